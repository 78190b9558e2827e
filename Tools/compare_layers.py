#!/usr/bin/env python3
"""Where Edge loses to onnxruntime: per-block time of both on the same model, same run.

    python3 Tools/compare_layers.py [--models resnet18] [--threads 1] [--iterations 20]
                                    [--depth 2] [--edgec PATH] [--json FILE] [--markdown FILE]

Edge's side is `edgec bench --json`'s per-layer table; onnxruntime's is its own profiler
(SessionOptions.enable_profiling), whose node events carry each kernel's duration.
The two runtimes fuse differently (onnxruntime names a fused node after its output
tensor and adds layout reorders for its NCHWc kernels; Edge names a layer after its first
ONNX node), so layers are compared in *blocks*: the first --depth components of the
exporter's hierarchical names (`/layer4/layer4.1/conv2/Conv` -> `/layer4/layer4.1` at depth
2). Both sides are summed per block; onnxruntime's per run, then the median over runs.
Nodes onnxruntime adds (ReorderInput/ReorderOutput, ...) form one block per op type.

Models are built and compiled as in Tools/bench_vs_ort.py (same seeds, same shapes).
Kernel times exclude each runtime's per-run overhead, so block sums are a little below
the whole-model medians that Tools/bench_vs_ort.py reports.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from collections import defaultdict
from pathlib import Path
from typing import Dict, List

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_vs_ort as bv  # noqa: E402
import edgetools.models as em  # noqa: E402
from edgetools.common import find_edgec  # noqa: E402


def block_of(name: str, depth: int) -> str:
    parts = [p for p in name.split("/") if p]
    if len(parts) <= 1:
        return name
    # A node directly under the root (`/conv1/Conv`, `/fc/Gemm`) is its own block.
    return "/" + "/".join(parts[:min(depth, len(parts) - 1)])


def onnx_blocks(model, edge_layer_names: set, depth: int) -> Dict[str, str]:
    """Block of every ONNX node and of every tensor it produces: a node Edge fused into
    the layer before it (a Relu after its Conv, a BatchNormalization folded into it)
    belongs to that layer's block, whatever its own name says."""
    blocks: Dict[str, str] = {}
    current = None
    for node in model.graph.node:
        if node.name in edge_layer_names or current is None:
            current = block_of(node.name, depth)
        blocks[node.name] = current
        for out in node.output:
            blocks[out] = current
    return blocks


def edge_blocks(result: dict, depth: int) -> Dict[str, dict]:
    blocks: Dict[str, dict] = defaultdict(lambda: {"ms": 0.0, "kernels": set(), "ops": set()})
    for layer in result.get("layers", []):
        b = blocks[block_of(layer["name"], depth)]
        b["ms"] += layer["ms"]
        b["ops"].add(layer["op"])
        if layer.get("kernel"):
            b["kernels"].add(layer["kernel"].split(" ")[0])
    return blocks


def ort_blocks(onnx_path: Path, iterations: int, warmup: int, seed: int, threads: int,
               depth: int, edge_layer_names: set) -> Dict[str, dict]:
    import onnx
    import onnxruntime as ort
    model = onnx.load(str(onnx_path))
    feeds = em.random_inputs(model, {n: bv.INPUT_SHAPE for n in em.symbolic_inputs(model)}, seed=seed)
    blocks = onnx_blocks(model, edge_layer_names, depth)
    with tempfile.TemporaryDirectory() as tmp:
        so = bv.ort_session_options(threads)
        so.enable_profiling = True
        so.profile_file_prefix = os.path.join(tmp, "ort")
        sess = ort.InferenceSession(str(onnx_path), so, providers=["CPUExecutionProvider"])
        for _ in range(warmup):
            sess.run(None, feeds)
        for _ in range(iterations):
            sess.run(None, feeds)
        events = json.loads(Path(sess.end_profiling()).read_text())
    runs = sorted((e["ts"], e["ts"] + e["dur"]) for e in events
                  if e.get("cat") == "Session" and e.get("name") == "model_run")[warmup:]
    per_run: List[Dict[str, float]] = [defaultdict(float) for _ in runs]
    ops: Dict[str, set] = defaultdict(set)
    starts = [r[0] for r in runs]
    for e in events:
        if e.get("cat") != "Node" or not e["name"].endswith("_kernel_time"):
            continue
        i = int(np.searchsorted(starts, e["ts"], side="right")) - 1
        if i < 0 or e["ts"] > runs[i][1]:
            continue   # a warmup run's node
        name = e["name"][: -len("_kernel_time")]
        # A fused node is named after its output tensor (+ `_nchwc` in the blocked layout).
        name = name[: -len("_nchwc")] if name.endswith("_nchwc") else name
        op = e.get("args", {}).get("op_name", "?")
        # Nodes onnxruntime made itself (layout reorders, a HardSwish split in two) have
        # no name from the model: one block per op type.
        key = blocks.get(name) or (block_of(name, depth) if "/" in name else f"(onnxruntime {op})")
        per_run[i][key] += e["dur"] / 1e3
        ops[key].add(op)
    keys = set().union(*per_run) if per_run else set()
    return {k: {"ms": float(np.median([r.get(k, 0.0) for r in per_run])), "ops": ops[k]} for k in keys}


def compare(name: str, args, edgec: Path) -> List[dict]:
    path = bv.build(name, args.work_dir, args.seed)
    bv.compile_edge(edgec, path, args.timeout)
    result = bv.bench_edge_compiled(edgec, path, args.iterations, args.warmup, args.timeout, True, args.threads)
    edge = edge_blocks(result, args.depth)
    names = {layer["name"] for layer in result.get("layers", [])}
    ort_side = ort_blocks(path, args.iterations, args.warmup, args.seed, args.threads, args.depth, names)
    order = list(edge) + sorted(k for k in ort_side if k not in edge)
    rows = []
    for key in order:
        e, o = edge.get(key), ort_side.get(key)
        rows.append({"model": name, "block": key,
                     "edge_ms": e["ms"] if e else 0.0, "ort_ms": o["ms"] if o else 0.0,
                     "edge_ops": sorted(e["ops"]) if e else [], "edge_kernels": sorted(e["kernels"]) if e else [],
                     "ort_ops": sorted(o["ops"]) if o else []})
    return rows


def table(rows: List[dict]) -> str:
    out = ["| model | block | edge ms | ort ms | edge - ort ms | ratio | Edge kernels | onnxruntime ops |",
           "|---|---|---:|---:|---:|---:|---|---|"]
    for model in dict.fromkeys(r["model"] for r in rows):
        mine = [r for r in rows if r["model"] == model]
        for r in mine:
            ratio = f"{r['edge_ms'] / r['ort_ms']:.2f}" if r["ort_ms"] > 0 else "-"
            out.append(f"| {model} | `{r['block']}` | {r['edge_ms']:.3f} | {r['ort_ms']:.3f} | "
                       f"{r['edge_ms'] - r['ort_ms']:+.3f} | {ratio} | {', '.join(r['edge_kernels']) or '-'} | "
                       f"{', '.join(r['ort_ops']) or '-'} |")
        te, to = sum(r["edge_ms"] for r in mine), sum(r["ort_ms"] for r in mine)
        out.append(f"| {model} | **all blocks** | {te:.3f} | {to:.3f} | {te - to:+.3f} | "
                   f"{te / to:.2f} | | |")
    return "\n".join(out)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--models", default="resnet18", help="comma-separated, from: " + ", ".join(bv.BENCH_MODELS))
    ap.add_argument("--threads", type=int, default=1, help="threads for Edge and onnxruntime (intra-op)")
    ap.add_argument("--iterations", type=int, default=20)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--depth", type=int, default=2, help="name components that make a block")
    ap.add_argument("--edgec", default=None, help="default .build/release/edgec, then .build/debug/edgec")
    ap.add_argument("--work-dir", type=Path, default=bv.ROOT / "out" / "bench")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--timeout", type=float, default=1800.0, help="seconds per edgec invocation")
    ap.add_argument("--json", type=Path, default=None, help="write the rows here")
    ap.add_argument("--markdown", type=Path, default=None, help="append the table to this file")
    args = ap.parse_args(argv)
    names = [m.strip() for m in args.models.split(",") if m.strip()]
    unknown = [m for m in names if m not in bv.BENCH_MODELS]
    if unknown or args.depth < 1 or args.iterations < 1 or args.threads < 1:
        print(f"bad arguments: unknown model(s) {unknown}" if unknown else
              "bad arguments: --depth, --iterations and --threads must be >= 1", file=sys.stderr)
        return 2
    edgec = find_edgec(args.edgec)
    if edgec is None or not edgec.exists():
        print("edgec not found; build it (swift build -c release) or pass --edgec", file=sys.stderr)
        return 2
    args.work_dir.mkdir(parents=True, exist_ok=True)
    rows: List[dict] = []
    for name in names:
        print(f"[{name}] comparing blocks at {args.threads} thread(s)...", file=sys.stderr)
        try:
            rows += compare(name, args, edgec)
        except (RuntimeError, ValueError) as e:
            print(f"[{name}] failed: {e}", file=sys.stderr)
            return 1
    md = table(rows)
    print(md)
    if args.markdown:
        with args.markdown.open("a") as f:
            f.write(f"\nCommand: `python3 Tools/compare_layers.py --models {args.models} --threads {args.threads} "
                    f"--iterations {args.iterations} --depth {args.depth}`\n\n{md}\n")
    if args.json:
        args.json.write_text(json.dumps({"rows": rows, "threads": args.threads}, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
