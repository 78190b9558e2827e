"""Writing fixture cases (Tests/Fixtures/README.md) and registering their generators.

A case directory holds model.onnx, case.json and .npy files: per run, the inputs
``run<i>_in_<j>.npy`` and onnxruntime's outputs ``run<i>_out_<j>.npy``. Both
make_fixtures.py and make_pruning_fixtures.py write that format through ``write_run``
and ``write_case_json``.

Generators register themselves where they are defined::

    generator = Registry()

    @generator
    def ops_conv(): ...

    generator.run_all()   # in definition order

so adding a generator is one function, not a function plus a line in a call list.
"""
from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence

import numpy as np


def dump_json(obj) -> str:
    """Indented JSON with short number lists kept on one line."""
    text = json.dumps(obj, indent=1)
    return re.sub(r"\[\s*(-?[\d.e+-]+(?:,\s*-?[\d.e+-]+)*)\s*\]",
                  lambda m: "[" + ", ".join(v.strip() for v in m.group(1).split(",")) + "]", text) + "\n"


def write_case_json(directory: Path, info: dict) -> None:
    (directory / "case.json").write_text(dump_json(info))


def write_run(directory: Path, index: int, name: str, shapes: Dict[str, List[int]],
              feeds: Dict[str, np.ndarray], outputs: Dict[str, np.ndarray],
              input_names: Sequence[str], output_names: Sequence[str], case: str,
              max_abs: Optional[float] = None) -> dict:
    """Saves one run's inputs and outputs as .npy files; returns its case.json entry.
    Outputs must be finite float32 (and at most ``max_abs`` in magnitude when given)."""
    run = {"name": name, "shapes": shapes, "inputs": {}, "outputs": {}}
    for j, n in enumerate(input_names):
        fn = f"run{index}_in_{j}.npy"
        np.save(directory / fn, np.array(feeds[n], order="C"))
        run["inputs"][n] = fn
    for j, n in enumerate(output_names):
        fn = f"run{index}_out_{j}.npy"
        arr = np.array(outputs[n], order="C")  # (ascontiguousarray would turn 0-d into 1-d)
        if arr.dtype != np.float32:
            raise ValueError(f"{case}: output {n} has dtype {arr.dtype}")
        if not np.all(np.isfinite(arr)) or (max_abs is not None and arr.size and np.abs(arr).max() > max_abs):
            raise ValueError(f"{case}: output {n} has non-finite or huge values")
        np.save(directory / fn, arr)
        run["outputs"][n] = fn
    return run


class Registry:
    """Fixture generators in the order they were defined (see the module docstring)."""

    def __init__(self) -> None:
        self.generators: List[Callable[[], None]] = []

    def __call__(self, fn: Callable[[], None]) -> Callable[[], None]:
        self.generators.append(fn)
        return fn

    def run_all(self) -> None:
        for fn in self.generators:
            fn()
