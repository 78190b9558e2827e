#!/usr/bin/env python3
"""Benchmarks Edge against onnxruntime on full-size models, on 1 or N threads each.

    python3 Tools/bench_vs_ort.py [--models resnet18,mobilenetv2] [--iterations 50]
                                  [--warmup 5] [--threads 1] [--rounds 1] [--edgec PATH]
                                  [--markdown FILE] [--work-dir out/bench] [--no-edge]

--threads N gives Edge N threads (`edgec bench --threads N`) and onnxruntime
intra_op_num_threads = N. --rounds R alternates Edge and onnxruntime R times per model
(each round: warmup + iterations of each) and reports the median of the round medians,
so a busy machine slows both sides alike. Each side also reports the median of its
per-iteration process CPU time (all threads): with 1 thread, "CPU ratio" is the
latency ratio without the time other processes took the core (the figure to trust on a
shared machine); with N threads it is total work, not latency.

For each model: builds it with Tools/edgetools/models.py (width 1.0, 1000 classes, seeded,
input 1x3x224x224), checks its output scale, compiles it with
`edgec compile M.onnx -o M.edgm [--shape input=1x3x224x224]`, runs
`edgec bench M.edgm --iterations N --warmup W --json` with OPENBLAS_NUM_THREADS=1
(its JSON has "median_ms" and maybe "p90_ms"), then times onnxruntime on the same
.onnx in this process (1 intra-op and 1 inter-op thread, ORT_ENABLE_ALL, sequential
execution, same warmup/iterations; median and p90 of per-run wall time).
Prints a Markdown table; --markdown FILE appends it (with a header line) to FILE.
Other environment variables (e.g. OPENBLAS_CORETYPE, OPENBLAS_L2_SIZE) pass through
unchanged.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Dict, List, Optional

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import edgetools.models as em  # noqa: E402
from edgetools.common import find_edgec  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent

# name -> (builder name, kwargs); all at 224x224 with 1000 classes (yolo: 80 classes)
BENCH_MODELS: Dict[str, tuple] = {
    "resnet18": ("resnet18", dict(width=1.0, num_classes=1000)),
    "mobilenetv2": ("mobilenetv2", dict(width=1.0, num_classes=1000, input_size=224)),
    "mobilenetv3_small": ("mobilenetv3_small", dict(width=1.0, num_classes=1000, input_size=224)),
    "vgg11_bn": ("vgg11_bn", dict(width=1.0, num_classes=1000, input_size=224, pool="none")),
    "yolo_tiny": ("yolo_tiny", dict(width=1.0, num_classes=80)),
}
INPUT_SHAPE = [1, 3, 224, 224]


def build(name: str, work: Path, seed: int) -> Path:
    builder, kw = BENCH_MODELS[name]
    model = em.build_model(builder, seed=seed, **kw)
    shapes = {n: INPUT_SHAPE for n in em.symbolic_inputs(model)}
    feeds = em.random_inputs(model, shapes, seed=seed)
    stds = em.check_output_scale(model, feeds)
    path = work / f"{name}.onnx"
    data = model.SerializeToString()
    if not path.exists() or path.read_bytes() != data:
        path.write_bytes(data)
    print(f"[{name}] built {path} ({len(data) / 1e6:.1f} MB, {em.param_count(model) / 1e6:.2f} M params, "
          f"output std " + ", ".join(f"{v:.3g}" for v in stds.values()) + ")", file=sys.stderr)
    return path


def parse_json_output(text: str) -> dict:
    """The JSON object in edgec's stdout (whole output, or the last line that parses)."""
    text = text.strip()
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        pass
    for line in reversed(text.splitlines()):
        line = line.strip()
        if line.startswith("{"):
            try:
                return json.loads(line)
            except json.JSONDecodeError:
                continue
    start, end = text.find("{"), text.rfind("}")
    if start >= 0 and end > start:
        return json.loads(text[start:end + 1])
    raise ValueError(f"no JSON in edgec output: {text[:200]!r}")


def edge_env(native_blas: bool) -> dict:
    """Environment for edgec: one BLAS thread; with native_blas, OpenBLAS picks the CPU's
    own kernel (this machine's image pins OPENBLAS_CORETYPE=Haswell, i.e. AVX2 only, while
    onnxruntime's MLAS uses AVX-512 on the same CPU). Correctness is checked in the same
    run (check_edge_outputs)."""
    env = dict(os.environ)
    env["OPENBLAS_NUM_THREADS"] = "1"
    if native_blas:
        env.pop("OPENBLAS_CORETYPE", None)
        env.pop("OPENBLAS_L2_SIZE", None)
    return env


def check_edge_outputs(edgec: Path, onnx_path: Path, seed: int, native_blas: bool, timeout: float) -> float:
    """Runs edgec and onnxruntime on the same input; returns the max relative error."""
    import onnx
    import onnxruntime as ort
    model = onnx.load(str(onnx_path))
    shapes = {n: INPUT_SHAPE for n in em.symbolic_inputs(model)}
    feeds = em.random_inputs(model, shapes, seed=seed + 1)
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    so.log_severity_level = 3
    sess = ort.InferenceSession(str(onnx_path), so, providers=["CPUExecutionProvider"])
    outs = sess.run(None, feeds)
    work = onnx_path.parent / (onnx_path.stem + "_check")
    work.mkdir(exist_ok=True)
    cmd = [str(edgec), "run", str(onnx_path.with_suffix(".edgm")), "--output-dir", str(work / "out")]
    for name, value in feeds.items():
        np.save(work / f"in_{name}.npy", value)
        cmd += ["--input", f"{name}=" + str(work / f"in_{name}.npy")]
    p = subprocess.run(cmd, capture_output=True, text=True, env=edge_env(native_blas), timeout=timeout)
    if p.returncode != 0:
        raise RuntimeError("run failed: " + p.stderr.strip())
    worst = 0.0
    for out, ref in zip(sess.get_outputs(), outs):
        safe = "".join(c if (c.isascii() and (c.isalnum() or c in "._-")) else "_" for c in out.name)
        got = np.load(work / "out" / f"{safe}.npy")
        worst = max(worst, float(np.max(np.abs(got - ref) / (1 + np.abs(ref)))))
    return worst


def compile_edge(edgec: Path, onnx_path: Path, timeout: float) -> float:
    """Compiles onnx_path next to itself; returns the seconds it took."""
    import onnx
    model = onnx.load(str(onnx_path), load_external_data=False)
    cmd = [str(edgec), "compile", str(onnx_path), "-o", str(onnx_path.with_suffix(".edgm"))]
    for name in em.symbolic_inputs(model):
        cmd += ["--shape", f"{name}=" + "x".join(map(str, INPUT_SHAPE))]
    t0 = time.monotonic()
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    if p.returncode != 0:
        msg = (p.stderr or p.stdout).strip()
        raise RuntimeError("compile failed: " + (msg.splitlines()[0] if msg else f"exit {p.returncode}"))
    return time.monotonic() - t0


def bench_edge_compiled(edgec: Path, onnx_path: Path, iterations: int, warmup: int, timeout: float,
                        native_blas: bool, threads: int) -> dict:
    env = edge_env(native_blas)
    cmd = [str(edgec), "bench", str(onnx_path.with_suffix(".edgm")), "--iterations", str(iterations),
           "--warmup", str(warmup), "--threads", str(threads), "--json"]
    p = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=timeout)
    if p.returncode != 0:
        msg = (p.stderr or p.stdout).strip()
        raise RuntimeError("bench failed: " + (msg.splitlines()[0] if msg else f"exit {p.returncode}"))
    res = parse_json_output(p.stdout)
    if "median_ms" not in res:
        raise RuntimeError(f"edgec bench JSON lacks median_ms: {res}")
    return res


def ort_session_options(threads: int):
    """The onnxruntime settings every benchmark here uses: `threads` intra-op threads, one
    inter-op thread, sequential execution, every graph optimization."""
    import onnxruntime as ort
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    so.log_severity_level = 3
    return so


def bench_ort(onnx_path: Path, iterations: int, warmup: int, seed: int, threads: int = 1) -> dict:
    import onnx
    import onnxruntime as ort

    sess = ort.InferenceSession(str(onnx_path), ort_session_options(threads), providers=["CPUExecutionProvider"])
    model = onnx.load(str(onnx_path))
    shapes = {n: INPUT_SHAPE for n in em.symbolic_inputs(model)}
    feeds = em.random_inputs(model, shapes, seed=seed)
    for _ in range(warmup):
        sess.run(None, feeds)
    times, cpu = [], []
    for _ in range(iterations):
        t, c = time.perf_counter(), time.process_time()
        sess.run(None, feeds)
        times.append((time.perf_counter() - t) * 1e3)
        cpu.append((time.process_time() - c) * 1e3)
    return {"median_ms": float(np.median(times)), "p90_ms": float(np.percentile(times, 90)),
            "min_ms": float(np.min(times)), "cpu_median_ms": float(np.median(cpu)), "iterations": iterations}


def fmt(v) -> str:
    return "n/a" if v is None else f"{v:.2f}"


def table(rows: List[dict]) -> str:
    lines = ["| model | edge median ms | ort median ms | ratio edge/ort | edge p90 | ort p90 | edge GFLOP/s "
             "| edge CPU ms | ort CPU ms | CPU ratio | max rel. error vs ort |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        e, o = r.get("edge") or {}, r.get("ort") or {}
        em_, om = e.get("median_ms"), o.get("median_ms")
        ratio = f"{em_ / om:.2f}" if em_ is not None and om else "n/a"
        name = r["model"] + (f" ({r['error']})" if r.get("error") else "")
        gflops = f"{e['flops'] / (em_ * 1e6):.1f}" if em_ and e.get("flops") else "n/a"
        err = f"{r['max_rel_error']:.1e}" if r.get("max_rel_error") is not None else "n/a"
        ec, oc = e.get("cpu_median_ms"), o.get("cpu_median_ms")
        cpu_ratio = f"{ec / oc:.2f}" if ec is not None and oc else "n/a"
        lines.append(f"| {name} | {fmt(em_)} | {fmt(om)} | {ratio} | {fmt(e.get('p90_ms'))} | "
                     f"{fmt(o.get('p90_ms'))} | {gflops} | {fmt(ec)} | {fmt(oc)} | {cpu_ratio} | {err} |")
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--models", default="resnet18,mobilenetv2",
                    help=f"comma-separated, from: {', '.join(BENCH_MODELS)}")
    ap.add_argument("--iterations", type=int, default=50)
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--edgec", default=None, help="default .build/release/edgec, then .build/debug/edgec")
    ap.add_argument("--markdown", type=Path, default=None, help="append the table to this file")
    ap.add_argument("--work-dir", type=Path, default=ROOT / "out" / "bench")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--timeout", type=float, default=1800.0, help="seconds per edgec invocation")
    ap.add_argument("--no-edge", action="store_true", help="onnxruntime only")
    ap.add_argument("--json", type=Path, default=None, help="write raw results here")
    ap.add_argument("--threads", type=int, default=1, help="threads for Edge and onnxruntime (intra-op)")
    ap.add_argument("--rounds", type=int, default=1, help="alternating Edge/onnxruntime rounds per model")
    ap.add_argument("--keep-blas-env", action="store_true",
                    help="keep OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE for edgec (default: unset them so "
                         "OpenBLAS uses this CPU's own kernels, as onnxruntime does)")
    args = ap.parse_args(argv)

    names = [m.strip() for m in args.models.split(",") if m.strip()]
    unknown = [m for m in names if m not in BENCH_MODELS]
    if unknown:
        print(f"unknown model(s): {', '.join(unknown)}; known: {', '.join(BENCH_MODELS)}", file=sys.stderr)
        return 2
    edgec = None if args.no_edge else find_edgec(args.edgec)
    if not args.no_edge and (edgec is None or not edgec.exists()):
        print("edgec not found; build it (swift build -c release), pass --edgec, or use --no-edge",
              file=sys.stderr)
        return 2
    args.work_dir.mkdir(parents=True, exist_ok=True)

    rows = []
    for name in names:
        row = {"model": name}
        path = build(name, args.work_dir, args.seed)
        edge_rounds, ort_rounds = [], []
        if edgec is not None:
            try:
                row["compile_s"] = compile_edge(edgec, path, args.timeout)
            except (RuntimeError, subprocess.TimeoutExpired) as e:
                row["error"] = f"edge: {e}"
                print(f"[{name}] edge compile failed: {e}", file=sys.stderr)
        for r in range(args.rounds):
            if edgec is not None and "error" not in row:
                try:
                    res = bench_edge_compiled(edgec, path, args.iterations, args.warmup, args.timeout,
                                              not args.keep_blas_env, args.threads)
                    edge_rounds.append(res)
                    print(f"[{name}] round {r + 1}: edge median {res['median_ms']:.2f} ms "
                          f"(GEMM kernel {res.get('gemm_kernel', '?')}, {args.threads} thread(s))", file=sys.stderr)
                except (RuntimeError, ValueError, subprocess.TimeoutExpired) as e:
                    row["error"] = f"edge: {e}"
                    print(f"[{name}] edge failed: {e}", file=sys.stderr)
            res = bench_ort(path, args.iterations, args.warmup, args.seed, args.threads)
            ort_rounds.append(res)
            print(f"[{name}] round {r + 1}: ort median {res['median_ms']:.2f} ms", file=sys.stderr)
        if edge_rounds:
            row["edge"] = dict(edge_rounds[-1])
            row["edge"]["median_ms"] = float(np.median([e["median_ms"] for e in edge_rounds]))
            row["edge"]["p90_ms"] = float(np.median([e["p90_ms"] for e in edge_rounds if "p90_ms" in e] or [np.nan]))
            row["edge_round_medians"] = [e["median_ms"] for e in edge_rounds]
            if all("cpu_median_ms" in e for e in edge_rounds):
                row["edge"]["cpu_median_ms"] = float(np.median([e["cpu_median_ms"] for e in edge_rounds]))
            try:
                row["max_rel_error"] = check_edge_outputs(edgec, path, args.seed, not args.keep_blas_env, args.timeout)
                print(f"[{name}] max relative error vs onnxruntime {row['max_rel_error']:.2e}", file=sys.stderr)
            except (RuntimeError, ValueError, subprocess.TimeoutExpired) as e:
                row["error"] = f"edge check: {e}"
        row["ort"] = dict(ort_rounds[-1])
        row["ort"]["median_ms"] = float(np.median([o["median_ms"] for o in ort_rounds]))
        row["ort"]["p90_ms"] = float(np.median([o["p90_ms"] for o in ort_rounds]))
        row["ort_round_medians"] = [o["median_ms"] for o in ort_rounds]
        row["ort"]["cpu_median_ms"] = float(np.median([o["cpu_median_ms"] for o in ort_rounds]))
        rows.append(row)

    md = table(rows)
    print(md)
    if args.markdown:
        header = (f"\n### Edge vs onnxruntime, {datetime.datetime.now().isoformat(timespec='seconds')}, "
                  f"{platform.machine()}, {args.iterations} iterations ({args.warmup} warmup), "
                  f"{args.threads} thread(s), median of {args.rounds} alternating round(s), 1x3x224x224, "
                  f"Edge GEMM kernel "
                  f"{next((r['edge'].get('gemm_kernel') for r in rows if r.get('edge')), 'n/a')}\n\n"
                  f"Command: `python3 Tools/bench_vs_ort.py --models {args.models} --iterations {args.iterations} "
                  f"--warmup {args.warmup} --threads {args.threads} --rounds {args.rounds}"
                  f"{' --keep-blas-env' if args.keep_blas_env else ''}`\n\n")
        args.markdown.parent.mkdir(parents=True, exist_ok=True)
        with args.markdown.open("a") as f:
            f.write(header + md + "\n")
        print(f"appended to {args.markdown}", file=sys.stderr)
    if args.json:
        args.json.write_text(json.dumps({"rows": rows, "iterations": args.iterations,
                                         "warmup": args.warmup}, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
