#!/usr/bin/env python3
"""Runs the ONNX project's own backend test models through the edgec CLI.

    python3 Tools/onnx_backend_check.py [--edgec PATH] [--json FILE] [--filter TEXT]
                                        [--suites pytorch-converted,pytorch-operator]

The models and data ship inside the onnx pip package
(<onnx>/backend/test/data/<suite>/<test>/model.onnx with test_data_set_0/input_*.pb and
output_*.pb TensorProtos). For each test:

    edgec compile model.onnx -o m.edgm [--shape NAME=AxBxC ...]   (symbolic inputs only)
    edgec run m.edgm --input NAME=FILE.npy ... --output-dir DIR

edgec writes one "<output name, [^A-Za-z0-9._-] replaced by '_'>.npy" per graph output.
A test passes when |edge - ref| <= 1e-4 * (1 + |ref|) everywhere (a second count uses
1e-3). Prints one PASS/FAIL line per test, "N passed, N failed" and a breakdown of the
failure reasons (compile errors grouped by the op types they name).
Exit status: 0 when the run completed (whatever the pass count), 2 on usage errors.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
from edgetools.common import find_edgec  # noqa: E402
TOL = 1e-4
LOOSE_TOL = 1e-3


def sanitize(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]", "_", name)


def backend_data_dir() -> Path:
    import onnx
    return Path(onnx.__file__).resolve().parent / "backend" / "test" / "data"


def read_pb(path: Path) -> Tuple[str, np.ndarray]:
    import onnx
    from onnx import numpy_helper
    t = onnx.TensorProto()
    t.ParseFromString(path.read_bytes())
    return t.name, numpy_helper.to_array(t)


def pb_index(p: Path) -> int:
    m = re.search(r"_(\d+)\.pb$", p.name)
    return int(m.group(1)) if m else 0


def load_test(test_dir: Path):
    """-> (model, [(input name, array, declared dims)], [(output name, array)])"""
    import onnx
    model = onnx.load(str(test_dir / "model.onnx"))
    inits = {i.name for i in model.graph.initializer}
    graph_inputs = [vi for vi in model.graph.input if vi.name not in inits]
    data = test_dir / "test_data_set_0"
    in_pbs = sorted(data.glob("input_*.pb"), key=pb_index)
    out_pbs = sorted(data.glob("output_*.pb"), key=pb_index)
    by_name = {vi.name: vi for vi in graph_inputs}
    inputs = []
    for i, p in enumerate(in_pbs):
        name, arr = read_pb(p)
        if not name or name not in by_name:
            if i >= len(graph_inputs):
                raise ValueError(f"{p.name}: more input files than graph inputs")
            name = graph_inputs[i].name
        dims = []
        for d in by_name[name].type.tensor_type.shape.dim:
            dims.append(d.dim_value if d.HasField("dim_value") else None)
        inputs.append((name, arr, dims))
    outputs = []
    for i, p in enumerate(out_pbs):
        name, arr = read_pb(p)
        graph_outs = [o.name for o in model.graph.output]
        if not name or name not in graph_outs:
            name = graph_outs[i]
        outputs.append((name, arr))
    return model, inputs, outputs


def max_rel_err(actual: np.ndarray, ref: np.ndarray) -> float:
    a = np.asarray(actual, dtype=np.float64)
    r = np.asarray(ref, dtype=np.float64)
    if a.size == 0:
        return 0.0
    diff = np.abs(a - r)
    same = (a == r) | (np.isnan(a) & np.isnan(r))          # equal infinities, both NaN
    err = np.where(same, 0.0, diff / (1.0 + np.abs(r)))
    err = np.where(np.isnan(err), np.inf, err)
    return float(err.max())


def run_cmd(cmd: List[str], deadline: float, env=None) -> Tuple[int, str, str]:
    """Runs cmd in its own process group; kills the group at the deadline."""
    timeout = max(0.1, deadline - time.monotonic())
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            errors="replace", start_new_session=True, env=env)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.communicate()
        raise
    return proc.returncode, out, err


def first_line(*texts: str) -> str:
    """First non-empty line (the last one for a Python-style traceback)."""
    for t in texts:
        lines = [ln.strip() for ln in t.splitlines() if ln.strip()]
        if lines:
            return (lines[-1] if lines[0].startswith("Traceback") else lines[0])[:300]
    return "(no message)"


def failure_message(rc: int, out: str, err: str) -> str:
    msg = first_line(err, out)
    if rc < 0:
        try:
            sig = signal.Signals(-rc).name
        except ValueError:
            sig = f"signal {-rc}"
        return f"crashed ({sig}): {msg}"
    return msg


def check_one(edgec: Path, test_dir: Path, work: Path, timeout: float) -> dict:
    res = {"name": test_dir.name, "suite": test_dir.parent.name, "status": "FAIL",
           "reason": "", "detail": "", "max_err": None, "ops": []}
    t0 = time.monotonic()
    deadline = t0 + timeout
    try:
        model, inputs, outputs = load_test(test_dir)
    except Exception as e:  # broken test data: not Edge's fault, but reported
        res.update(reason="bad test data", detail=str(e).splitlines()[0])
        return res
    res["ops"] = sorted({n.op_type for n in model.graph.node})
    # Some pytorch-operator tests hold uninitialized float64 data (e.g. 9e223): values that
    # float32 cannot hold make any float32 runtime "mismatch"; such failures are labelled.
    f32max = float(np.finfo(np.float32).max)
    data_issue = any(a.dtype.kind == "f" and a.size and
                     np.nanmax(np.where(np.isfinite(a), np.abs(a), 0)) > f32max
                     for a in [x[1] for x in inputs] + [o[1] for o in outputs])
    work.mkdir(parents=True, exist_ok=True)
    edgm = work / "m.edgm"
    out_dir = work / "out"
    out_dir.mkdir(exist_ok=True)

    cmd = [str(edgec), "compile", str(test_dir / "model.onnx"), "-o", str(edgm)]
    input_args = []
    for i, (name, arr, dims) in enumerate(inputs):
        if any(d is None or d == 0 for d in dims) or len(dims) != arr.ndim:
            cmd += ["--shape", f"{name}=" + "x".join(str(int(s)) for s in arr.shape)]
        f = work / f"input_{i}.npy"
        np.save(f, np.array(arr, order="C"))
        input_args += ["--input", f"{name}={f}"]
    try:
        rc, out, err = run_cmd(cmd, deadline)
    except subprocess.TimeoutExpired:
        res.update(reason="timeout", detail=f"compile exceeded {timeout:.0f}s")
        return res
    except OSError as e:
        res.update(reason="run error", detail=f"cannot start edgec: {e}")
        return res
    if rc != 0:
        res.update(reason="compile error", detail=failure_message(rc, out, err))
        return res

    cmd = [str(edgec), "run", str(edgm)] + input_args + ["--output-dir", str(out_dir)]
    try:
        rc, out, err = run_cmd(cmd, deadline)
    except subprocess.TimeoutExpired:
        res.update(reason="timeout", detail=f"run exceeded {timeout:.0f}s")
        return res
    if rc != 0:
        res.update(reason="run error", detail=failure_message(rc, out, err))
        return res

    worst = 0.0
    for name, ref in outputs:
        f = out_dir / f"{sanitize(name)}.npy"
        if not f.exists():
            res.update(reason="run error", detail=f"missing output file {f.name}")
            return res
        try:
            got = np.load(f)
        except Exception as e:
            res.update(reason="run error", detail=f"unreadable {f.name}: {e}")
            return res
        if got.shape != ref.shape:
            if got.size == ref.size:
                detail = f"output {name!r} shape {list(got.shape)} != {list(ref.shape)}"
            else:
                res.update(reason="mismatch", detail=f"output {name!r} shape {list(got.shape)} "
                                                     f"!= {list(ref.shape)}", max_err=float("inf"))
                return res
            res["detail"] = detail
            got = got.reshape(ref.shape)
        worst = max(worst, max_rel_err(got, ref))
    res["max_err"] = worst
    res["seconds"] = round(time.monotonic() - t0, 3)
    if worst <= TOL and not res["detail"]:
        res.update(status="PASS", reason="")
    elif data_issue:
        res.update(reason="bad test data",
                   detail=f"values beyond float32 range in the test data (max err {worst:.3g})")
    elif res["detail"]:
        res.update(reason="mismatch")
    else:
        res.update(reason="mismatch", detail=f"max err {worst:.3g}")
    res["pass_loose"] = worst <= LOOSE_TOL and not res["detail"].startswith("output")
    return res


def reason_key(r: dict) -> str:
    """Groups failures: compile errors by the op types their message names."""
    if r["reason"] == "compile error":
        msg = r["detail"]
        named = [op for op in r["ops"] if re.search(rf"(?<![A-Za-z]){re.escape(op)}(?![A-Za-z])", msg)]
        if named:
            return "compile error: " + "/".join(sorted(named))
        generic = re.sub(r"'[^']*'|\"[^\"]*\"", "'…'", msg)
        generic = re.sub(r"\d+", "N", generic)
        return "compile error: " + generic[:120]
    if r["reason"] == "mismatch":
        return "mismatch (passes 1e-3)" if r.get("pass_loose") else "mismatch"
    if r["reason"] == "run error":
        generic = re.sub(r"\d+", "N", re.sub(r"'[^']*'", "'…'", r["detail"]))
        return "run error: " + generic[:120]
    return r["reason"]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--edgec", help="edgec binary (default .build/release/edgec, then .build/debug/edgec)")
    ap.add_argument("--json", type=Path, help="write per-test results here")
    ap.add_argument("--suites", default="pytorch-converted,pytorch-operator")
    ap.add_argument("--filter", default=None, help="only tests whose name contains this")
    ap.add_argument("--timeout", type=float, default=60.0, help="seconds per test (compile + run)")
    ap.add_argument("--data-dir", type=Path, default=None, help="backend data dir (default: onnx package)")
    ap.add_argument("--keep", type=Path, default=None, help="keep work files under this dir")
    ap.add_argument("-q", "--quiet", action="store_true", help="print failures only")
    args = ap.parse_args(argv)

    edgec = find_edgec(args.edgec)
    if edgec is None or not edgec.exists():
        print(f"edgec not found ({args.edgec or '.build/release/edgec, .build/debug/edgec'}); "
              "build it with `swift build -c release` or pass --edgec", file=sys.stderr)
        return 2
    data = args.data_dir or backend_data_dir()
    tests: List[Path] = []
    for suite in [s.strip() for s in args.suites.split(",") if s.strip()]:
        d = data / suite
        if not d.is_dir():
            print(f"no such suite directory: {d}", file=sys.stderr)
            return 2
        tests += sorted(p for p in d.iterdir() if (p / "model.onnx").exists())
    if args.filter:
        tests = [t for t in tests if args.filter in t.name]
    if not tests:
        print("no tests selected", file=sys.stderr)
        return 2

    work_root = Path(tempfile.mkdtemp(prefix="edge-backend-")) if args.keep is None else args.keep
    results = []
    width = max(len(f"{t.parent.name}/{t.name}") for t in tests)
    try:
        for t in tests:
            r = check_one(edgec, t, work_root / t.parent.name / t.name, args.timeout)
            results.append(r)
            label = f"{r['suite']}/{r['name']}".ljust(width)
            if r["status"] == "PASS":
                if not args.quiet:
                    print(f"{label}  PASS  (max err {r['max_err']:.2g})")
            else:
                print(f"{label}  FAIL({r['reason']}: {r['detail']})")
            sys.stdout.flush()
    finally:
        if args.keep is None:
            shutil.rmtree(work_root, ignore_errors=True)

    passed = sum(r["status"] == "PASS" for r in results)
    loose = sum(1 for r in results if r["status"] == "PASS" or r.get("pass_loose"))
    failed = len(results) - passed
    print()
    print(f"{passed} passed, {failed} failed (of {len(results)}); "
          f"{loose} within the looser 1e-3 tolerance")
    if failed:
        print("\nfailure reasons:")
        by_reason = collections.Counter(reason_key(r) for r in results if r["status"] != "PASS")
        for k, n in by_reason.most_common():
            print(f"  {n:4d}  {k}")
        ops_failing = collections.Counter()
        for r in results:
            if r["status"] != "PASS" and r["reason"] == "compile error":
                key = reason_key(r)
                if key.startswith("compile error: ") and "'" not in key:
                    for op in key[len("compile error: "):].split("/"):
                        ops_failing[op] += 1
        if ops_failing:
            print("\nop types named by compile errors: "
                  + ", ".join(f"{op} ({n})" for op, n in ops_failing.most_common()))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        summary = {"edgec": str(edgec), "tolerance": TOL, "loose_tolerance": LOOSE_TOL,
                   "passed": passed, "failed": failed, "passed_loose": loose,
                   "failure_reasons": dict(collections.Counter(
                       reason_key(r) for r in results if r["status"] != "PASS")),
                   "results": results}
        args.json.write_text(json.dumps(summary, indent=1, default=float) + "\n")
        print(f"\nwrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
