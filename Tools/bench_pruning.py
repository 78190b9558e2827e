#!/usr/bin/env python3
"""Structured-pruning benchmark: what Edge's lossless channel removal gives on sparse models.

    python3 Tools/bench_pruning.py [--edgec PATH] [--models vgg16_bn,resnet18]
                                   [--sparsities 0.5,0.7,0.8,0.9,0.95] [--iterations N]
                                   [--warmup W] [--rounds R] [--death-exponent K] [--markdown FILE]
                                   [--json FILE] [--work-dir out/bench_pruning] [--no-dense]

Models (seeded weights, built with Tools/edgetools/models.py):
  vgg16_bn           VGG-16-BN in DNNShifter's CIFAR-10 setting: input 1x3x32x32, 13 convs
                     64-64-M-128-128-M-256x3-M-512x3-M-512x3-M (3x3, bias, BN, Relu), then
                     Flatten -> Gemm(512->512) -> Relu -> Gemm(512->10).
  resnet18           ResNet-18, CIFAR style: input 1x3x32x32, 3x3 stem (stride 1, no max-pool),
                     BasicBlocks 64-128-256-512 with 1x1 projection shortcuts, GAP, Gemm(512->10).
  resnet18_imagenet  edgetools.models.resnet18 (7x7 stem, max-pool) at 1x3x224x224, 10 classes.

Sparse variants. Magnitude-pruning random weights never kills a whole filter, but IMP on a
trained network does (DNNShifter: VGG-16 shrinks ~5x at high IMP levels once dead filters
go). So each level s gets explicit structure, then unstructured sparsity:
  1. filter death: per layer a fraction d(s) = s^K of the filters (K = --death-exponent,
     default 5.5: d(0.9) = 0.56, i.e. ~5x fewer VGG-16 parameters, DNNShifter's figure) is
     made truly dead: weights 0, conv bias 0, BN gamma = beta = running mean = 0 (so the
     channel is exactly 0 after BN folding). Hidden Gemm layers lose rows (weights and bias
     0, a Relu follows). Layers whose output is a graph output keep every filter.
     Residual streams (channels shared by several writers through Add): a channel can only
     die in all writers at once, so the writers (stem / projection shortcut and each
     block's conv2) share one dead set of d/2 of the channels; on top, each writer
     independently loses d/4 of its filters (those stay: another writer keeps the channel).
  2. global magnitude pruning over the remaining Conv and Gemm weights, so that the zero
     fraction of all Conv + Gemm weights is exactly s; each surviving filter is rescaled to
     its dense L2 norm (activations stay O(1), as in a retrained network).
Level 0 ("dense") is the unpruned model (skip with --no-dense).

For each model and level, in one run: sparse .onnx size, .edgm size (pruned compile),
parameters in the ONNX (all initializers) and their non-zeros, Edge's parameters
(`edgec inspect --json` "params", BN folded) and FLOPs (pruned and --no-prune), compile
time (`edgec compile --json` "compile_ms", the pruning pass's own time from --report, and
wall time), latency: onnxruntime on the sparse .onnx (1 intra-op and 1 inter-op thread,
ORT_ENABLE_ALL, sequential; median of --iterations after --warmup) vs
`edgec bench --iterations N --json` "median_ms" on the pruned .edgm and on the --no-prune
.edgm (env OPENBLAS_NUM_THREADS=1, OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE removed so
OpenBLAS uses this CPU's own kernels, as onnxruntime does). The three are timed in turn
for --rounds rounds and each reports its best round's median (the machine is shared;
every round's median is in the JSON). Correctness: `edgec run` and
onnxruntime on the same seeded input; max |edge - ort| / (1 + |ort|).

Prints Markdown tables plus the DNNShifter comparison; --markdown FILE appends them with a
header line holding the exact command; --json FILE writes every number.
"""

from __future__ import annotations

import argparse
import datetime
import json
import math
import os
import platform
import shlex
import subprocess
import sys
import time
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import numpy as np
import onnx
from onnx import numpy_helper

sys.path.insert(0, str(Path(__file__).resolve().parent))
import edgetools.models as em  # noqa: E402
from edgetools.common import find_edgec, seed_of  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
DNNSHIFTER = {"size": 5.14, "speed": 1.67}  # VGG-16 / CIFAR-10, pruned vs sparse model


# ====================================================================== models

# name -> (builder, input shape, description)
BENCH_MODELS = {
    "vgg16_bn": (lambda seed: em.vgg16_bn_cifar(seed), [1, 3, 32, 32],
                 "VGG-16-BN, CIFAR-10 style (1x3x32x32, 10 classes, Flatten-Gemm 512-512-10)"),
    "resnet18": (lambda seed: em.resnet18_cifar(seed), [1, 3, 32, 32],
                 "ResNet-18, CIFAR style (1x3x32x32, 3x3 stem, no max-pool, 10 classes)"),
    "resnet18_imagenet": (lambda seed: em.resnet18(width=1.0, num_classes=10, seed=seed), [1, 3, 224, 224],
                          "ResNet-18, ImageNet style (1x3x224x224, 7x7 stem + max-pool, 10 classes)"),
}


# ====================================================================== sparsification


class Layer:
    """A Conv or Gemm whose output channels (rows) can die."""

    def __init__(self, node: onnx.NodeProto, weight: str, bias: Optional[str], bn: Optional[onnx.NodeProto]):
        self.node = node
        self.weight = weight
        self.bias = bias
        self.bn = bn
        self.dead: set = set()
        self.space = -1
        self.in_space: Optional[int] = None

    @property
    def name(self) -> str:
        return self.node.name


def analyze(model: onnx.ModelProto) -> Tuple[List[Layer], List[List[Layer]], set]:
    """Layers, channel spaces (list of writer layers sharing one channel space through
    BN/Relu/Add/Identity/Dropout) and the set of pinned space indices (graph outputs)."""
    inits = {i.name for i in model.graph.initializer}
    parent: Dict[str, str] = {}

    def find(t: str) -> str:
        while parent.get(t, t) != t:
            parent[t] = parent.get(parent[t], parent[t])
            t = parent[t]
        return t

    def union(a: str, b: str) -> None:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[ra] = rb

    consumers: Dict[str, List[onnx.NodeProto]] = {}
    producers = {o: n for n in model.graph.node for o in n.output}
    for n in model.graph.node:
        for i in n.input:
            consumers.setdefault(i, []).append(n)
    layers: List[Layer] = []
    for n in model.graph.node:
        # MaxPool / GAP / Flatten keep the channel identity (Flatten only follows 1x1 maps here)
        if n.op_type in ("BatchNormalization", "Relu", "Identity", "Dropout", "MaxPool",
                         "GlobalAveragePool", "Flatten"):
            union(n.output[0], n.input[0])
        elif n.op_type == "Reshape" and n.input[0] in producers and producers[n.input[0]].op_type == "GlobalAveragePool":
            union(n.output[0], n.input[0])  # torch's Shape/Gather/Concat/Reshape flatten after GAP
        elif n.op_type == "Add" and all(i not in inits for i in n.input):
            union(n.output[0], n.input[0])
            union(n.output[0], n.input[1])
        elif n.op_type in ("Conv", "Gemm"):
            if n.op_type == "Gemm":
                tb = next((a.i for a in n.attribute if a.name == "transB"), 0)
                if not tb:
                    raise ValueError(f"{n.name}: only Gemm(transB=1) is supported")
            cons = consumers.get(n.output[0], [])
            bn = cons[0] if len(cons) == 1 and cons[0].op_type == "BatchNormalization" else None
            layers.append(Layer(n, n.input[1], n.input[2] if len(n.input) > 2 and n.input[2] else None, bn))
    spaces: Dict[str, List[Layer]] = {}
    for l in layers:
        spaces.setdefault(find(l.node.output[0]), []).append(l)
    roots = list(spaces)
    outputs = {find(o.name) for o in model.graph.output}
    pinned = {k for k, r in enumerate(roots) if r in outputs}
    for l in layers:
        l.space = roots.index(find(l.node.output[0]))
        src = find(l.node.input[0])
        l.in_space = roots.index(src) if src in spaces else None
    return layers, [spaces[r] for r in roots], pinned


def expected_params(model: onnx.ModelProto, layers: List[Layer], spaces: List[List[Layer]], pinned: set) -> int:
    """Edge's lossless minimum: per Conv/Gemm, kept outputs x kept inputs x kernel + a bias per
    kept output (BN folding adds one); a channel goes when every writer of its space has it
    dead (and the space is no graph output). Exact when no filter is zero by accident."""
    shapes = {i.name: list(i.dims) for i in model.graph.initializer}
    removable = []
    for k, writers in enumerate(spaces):
        removable.append(set() if k in pinned else set.intersection(*[w.dead for w in writers]))
    total = 0
    for l in layers:
        w = shapes[l.weight]
        cout = w[0] - len(removable[l.space])
        cin = w[1] - (len(removable[l.in_space]) if l.in_space is not None else 0)
        if l.node.op_type == "Conv":
            groups = next((a.i for a in l.node.attribute if a.name == "group"), 1)
            if groups != 1:
                raise ValueError("expected_params: grouped convs are not modelled")
        total += cout * cin * int(np.prod(w[2:])) + (cout if (l.bias or l.bn is not None) else 0)
    return total


def death_fraction(s: float, k: float) -> float:
    return 0.0 if s <= 0 else float(s ** k)


def sparsify(model: onnx.ModelProto, s: float, k: float, seed: int) -> Tuple[onnx.ModelProto, dict]:
    """A copy of ``model`` with dead filters and total Conv+Gemm weight sparsity ``s``."""
    rng = np.random.default_rng(seed)
    out = onnx.ModelProto()
    out.CopyFrom(model)
    arrays = {i.name: numpy_helper.to_array(i).copy() for i in out.graph.initializer}
    layers, spaces, pinned = analyze(out)
    d = death_fraction(s, k)
    stats = {"death_fraction": d, "dead_filters": 0, "filters": 0, "removable_dead_filters": 0}
    if s > 0:
        for si, writers in enumerate(spaces):
            if si in pinned:
                continue
            c = arrays[writers[0].weight].shape[0]
            if len(writers) == 1:
                n_dead = min(c - 1, int(round(d * c)))
                writers[0].dead = set(rng.choice(c, n_dead, replace=False).tolist())
            else:
                shared_n = min(c - 1, int(round(d / 2 * c)))
                perm = rng.permutation(c)
                shared = set(perm[:shared_n].tolist())
                rest = perm[shared_n:]
                indep_n = min(len(rest) - 1, int(round(d / 4 * c)))
                for w in writers:
                    w.dead = shared | set(rng.choice(rest, indep_n, replace=False).tolist())
            stats["removable_dead_filters"] += len(set.intersection(*[w.dead for w in writers])) * len(writers)
    stats["expected_params"] = expected_params(out, layers, spaces, pinned)
    for l in layers:
        w = arrays[l.weight]
        stats["filters"] += w.shape[0]
        stats["dead_filters"] += len(l.dead)
        for f in l.dead:
            w[f] = 0
            if l.bias:
                arrays[l.bias][f] = 0
            if l.bn is not None:
                gamma, beta, mean = l.bn.input[1], l.bn.input[2], l.bn.input[3]
                arrays[gamma][f] = 0
                arrays[beta][f] = 0
                arrays[mean][f] = 0
    # global magnitude pruning over the live weights
    weights = [l.weight for l in layers]
    total = sum(arrays[n].size for n in weights)
    target = int(round(s * total))
    already = sum(int(np.count_nonzero(arrays[n] == 0)) for n in weights)
    need = target - already
    if need < 0:
        raise ValueError(f"dead filters alone exceed sparsity {s} ({already} > {target} zeros)")
    if need > 0:
        dense = {n: arrays[n].copy() for n in weights}
        flat = np.concatenate([np.abs(arrays[n]).ravel() for n in weights])
        live = np.flatnonzero(flat)
        pick = live[np.argpartition(flat[live], need - 1)[:need]]
        del flat
        mask = np.ones(total, dtype=bool)
        mask[pick] = False
        off = 0
        for n in weights:
            a = arrays[n]
            a *= mask[off:off + a.size].reshape(a.shape)
            off += a.size
            # keep each surviving filter's L2 norm
            rows = a.reshape(a.shape[0], -1)
            n0 = np.linalg.norm(dense[n].reshape(a.shape[0], -1).astype(np.float64), axis=1)
            n1 = np.linalg.norm(rows.astype(np.float64), axis=1)
            scale = np.where(n1 > 0, n0 / np.maximum(n1, 1e-30), 1.0).astype(np.float32)
            rows *= scale[:, None]
    zeros = sum(int(np.count_nonzero(arrays[n] == 0)) for n in weights)
    stats["weight_sparsity"] = zeros / total
    stats["prunable_weights"] = total
    accidental = 0
    for l in layers:
        rows = arrays[l.weight].reshape(arrays[l.weight].shape[0], -1)
        allzero = set(np.flatnonzero(~rows.any(axis=1)).tolist())
        accidental += len(allzero - l.dead)
    stats["accidental_zero_filters"] = accidental
    for init in out.graph.initializer:
        init.CopyFrom(numpy_helper.from_array(arrays[init.name], init.name))
    return out, stats


def count_params(model: onnx.ModelProto) -> Tuple[int, int]:
    total = nonzero = 0
    for i in model.graph.initializer:
        a = numpy_helper.to_array(i)
        if a.dtype.kind != "f":
            continue
        total += a.size
        nonzero += int(np.count_nonzero(a))
    return total, nonzero


# ====================================================================== edgec and onnxruntime


def edge_env() -> dict:
    env = dict(os.environ)
    env["OPENBLAS_NUM_THREADS"] = "1"
    env.pop("OPENBLAS_CORETYPE", None)
    env.pop("OPENBLAS_L2_SIZE", None)
    return env


def parse_json_output(text: str) -> dict:
    text = text.strip()
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        start, end = text.find("{"), text.rfind("}")
        if start >= 0 and end > start:
            return json.loads(text[start:end + 1])
        raise ValueError(f"no JSON in edgec output: {text[:200]!r}")


def edgec(exe: Path, args: List[str], timeout: float) -> Tuple[dict, float]:
    t0 = time.perf_counter()
    p = subprocess.run([str(exe)] + args, capture_output=True, text=True, env=edge_env(), timeout=timeout)
    wall = time.perf_counter() - t0
    if p.returncode != 0:
        msg = (p.stderr or p.stdout).strip()
        raise RuntimeError(f"edgec {args[0]} failed (exit {p.returncode}): " + (msg.splitlines()[-1] if msg else ""))
    return (parse_json_output(p.stdout) if "--json" in args else {"stdout": p.stdout, "stderr": p.stderr}), wall


def ort_session(path: Path):
    import onnxruntime as ort
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    so.inter_op_num_threads = 1
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    so.log_severity_level = 3
    return ort.InferenceSession(str(path), so, providers=["CPUExecutionProvider"])


def bench_ort(sess, feeds, iterations: int, warmup: int) -> dict:
    for _ in range(warmup):
        sess.run(None, feeds)
    times = []
    for _ in range(iterations):
        t = time.perf_counter()
        sess.run(None, feeds)
        times.append((time.perf_counter() - t) * 1e3)
    return {"median_ms": float(np.median(times)), "p90_ms": float(np.percentile(times, 90)),
            "min_ms": float(np.min(times))}


def max_rel_error(exe: Path, edgm: Path, feeds: Dict[str, np.ndarray], refs: Dict[str, np.ndarray],
                  work: Path, timeout: float) -> float:
    work.mkdir(parents=True, exist_ok=True)
    args = ["run", str(edgm), "--output-dir", str(work / "out")]
    for name, v in feeds.items():
        np.save(work / f"in_{name}.npy", v)
        args += ["--input", f"{name}={work / f'in_{name}.npy'}"]
    edgec(exe, args, timeout)
    worst = 0.0
    for name, ref in refs.items():
        safe = "".join(c if (c.isascii() and (c.isalnum() or c in "._-")) else "_" for c in name)
        got = np.load(work / "out" / f"{safe}.npy").reshape(ref.shape)
        worst = max(worst, float(np.max(np.abs(got.astype(np.float64) - ref) / (1 + np.abs(ref)))))
    return worst


def top_layers(bench: dict, n: int = 3) -> List[dict]:
    rows = sorted(bench.get("layers", []), key=lambda r: -r.get("ms", 0))[:n]
    return [{"name": r["name"], "op": r["op"], "ms": r["ms"], "share": r["share"], "flops": r.get("flops")} for r in rows]


# ====================================================================== one model, one level


def run_level(exe: Path, name: str, dense: onnx.ModelProto, shape: List[int], s: float, args, work: Path) -> dict:
    tag = "dense" if s == 0 else f"s{int(round(s * 100))}"
    row: dict = {"model": name, "sparsity": s, "tag": tag}
    t0 = time.perf_counter()
    if s == 0:
        model, stats = dense, {"death_fraction": 0.0, "dead_filters": 0, "removable_dead_filters": 0,
                               "accidental_zero_filters": 0, "weight_sparsity": 0.0}
        layers, spaces, pinned = analyze(dense)
        dims = {i.name: list(i.dims) for i in dense.graph.initializer}
        stats["filters"] = sum(dims[l.weight][0] for l in layers)
        stats["expected_params"] = expected_params(dense, layers, spaces, pinned)
    else:
        model, stats = sparsify(dense, s, args.death_exponent, seed_of("bench_pruning", name, tag, str(args.seed)))
    row["gen"] = stats
    path = work / f"{name}_{tag}.onnx"
    path.write_bytes(model.SerializeToString())
    row["gen_s"] = time.perf_counter() - t0
    row["onnx_bytes"] = path.stat().st_size
    row["onnx_params"], row["onnx_nonzero"] = count_params(model)

    feeds = em.random_inputs(model, {n: shape for n in em.graph_input_shapes(model)}, seed=args.seed + 1)
    sess = ort_session(path)
    names = [o.name for o in sess.get_outputs()]
    refs = dict(zip(names, [np.asarray(v, dtype=np.float64) for v in sess.run(names, feeds)]))
    row["output_std"] = float(np.mean([np.std(v) for v in refs.values()]))

    shape_args = []
    for n in em.symbolic_inputs(model):
        shape_args += ["--shape", f"{n}=" + "x".join(map(str, shape))]
    edgm = path.with_suffix(".edgm")
    edgm_np = path.with_name(path.stem + "_noprune.edgm")
    report = path.with_name(path.stem + "_report.json")
    c, wall = edgec(exe, ["compile", str(path), "-o", str(edgm), "--json", "--report", str(report)] + shape_args, args.timeout)
    rep = json.loads(report.read_text())
    row["compile"] = {"compile_ms": c["compile_ms"], "wall_ms": wall * 1e3, "prune_ms": rep.get("seconds", 0) * 1e3,
                      "pruned_params": c.get("pruned_params"), "channels_removed": rep.get("channels_removed"),
                      "groups_removed": rep.get("groups_removed"), "groups_total": rep.get("groups_total"),
                      "kept_zero_filters": len(rep.get("kept_zero_filters", [])), "kept_reasons": rep.get("kept_reasons", {}),
                      "folded_constant_channels": rep.get("folded_constant_channels")}
    c2, wall2 = edgec(exe, ["compile", str(path), "-o", str(edgm_np), "--json", "--no-prune"] + shape_args, args.timeout)
    row["compile_noprune"] = {"compile_ms": c2["compile_ms"], "wall_ms": wall2 * 1e3}
    ins, _ = edgec(exe, ["inspect", str(edgm), "--json"], args.timeout)
    ins2, _ = edgec(exe, ["inspect", str(edgm_np), "--json"], args.timeout)
    row["edgm_bytes"] = edgm.stat().st_size
    row["edgm_noprune_bytes"] = edgm_np.stat().st_size
    row["edge_params"], row["edge_flops"] = ins["params"], ins["flops"]
    row["dense_params"], row["dense_flops"] = ins2["params"], ins2["flops"]

    row["max_rel_error"] = max_rel_error(exe, edgm, feeds, refs, work / f"{name}_{tag}_check", args.timeout)
    row["max_rel_error_noprune"] = max_rel_error(exe, edgm_np, feeds, refs, work / f"{name}_{tag}_check_np", args.timeout)

    # Latency: --rounds rounds, each timing onnxruntime, Edge pruned and Edge --no-prune in turn
    # (N iterations each); the reported median is the best round's median (the machine is shared).
    bargs = ["--iterations", str(args.iterations), "--warmup", str(args.warmup), "--json"]
    runs: Dict[str, List[dict]] = {"ort": [], "edge": [], "edge_noprune": []}
    for _ in range(args.rounds):
        runs["ort"].append(bench_ort(sess, feeds, args.iterations, args.warmup))
        runs["edge"].append(edgec(exe, ["bench", str(edgm)] + bargs, args.timeout)[0])
        runs["edge_noprune"].append(edgec(exe, ["bench", str(edgm_np)] + bargs, args.timeout)[0])
    del sess
    for key, rs in runs.items():
        best = min(rs, key=lambda r: r["median_ms"])
        row[key] = {k: best.get(k) for k in ("median_ms", "p90_ms", "min_ms", "blas_core") if k in best}
        row[key]["round_medians"] = [r["median_ms"] for r in rs]
        if key != "ort":
            row[key]["top_layers"] = top_layers(best)
    return row


# ====================================================================== output


def mb(n: int) -> str:
    return f"{n / 1e6:.2f}"


def mp(n: int) -> str:
    return f"{n / 1e6:.2f}M" if n >= 1e5 else f"{n / 1e3:.1f}k"


def level_label(r: dict) -> str:
    return "dense" if r["sparsity"] == 0 else f"{r['sparsity'] * 100:g}%"


def tables(rows: List[dict]) -> str:
    ok = [r for r in rows if "error" not in r]
    size = ["| model | sparsity | dead filters | .onnx MB | .edgm MB | size onnx/edgm | ONNX params (nonzero) | "
            "Edge params (dense) | = lossless min. | MFLOPs pruned / dense | compile ms (prune pass, wall) | kept zero filters (expected) |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    speed = ["| model | sparsity | ort sparse ms | Edge pruned ms | Edge no-prune ms | speed ort/Edge | "
             "pruning gain (no-prune/pruned) | Edge no-prune vs ort | max rel. error (no-prune) |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in ok:
        g, c = r["gen"], r["compile"]
        size.append(
            f"| {r['model']} | {level_label(r)} | {g['dead_filters']}/{g['filters']} ({g['death_fraction'] * 100:.0f}%) | "
            f"{mb(r['onnx_bytes'])} | {mb(r['edgm_bytes'])} | {r['onnx_bytes'] / r['edgm_bytes']:.2f}x | "
            f"{mp(r['onnx_params'])} ({mp(r['onnx_nonzero'])}) | {mp(r['edge_params'])} ({mp(r['dense_params'])}) | "
            f"{'yes' if r['edge_params'] == g['expected_params'] else 'no: ' + str(g['expected_params'])} | "
            f"{r['edge_flops'] / 1e6:.0f} / {r['dense_flops'] / 1e6:.0f} | "
            f"{c['compile_ms']:.0f} ({c['prune_ms']:.0f}, {c['wall_ms']:.0f}) | {c['kept_zero_filters']} "
            f"({g['dead_filters'] - g['removable_dead_filters'] + g['accidental_zero_filters']}) |")
        o, e, n = r["ort"]["median_ms"], r["edge"]["median_ms"], r["edge_noprune"]["median_ms"]
        speed.append(
            f"| {r['model']} | {level_label(r)} | {o:.2f} | {e:.2f} | {n:.2f} | {o / e:.2f}x | {n / e:.2f}x | "
            f"{o / n:.2f}x | {r['max_rel_error']:.1e} ({r['max_rel_error_noprune']:.1e}) |")
    for r in rows:
        if "error" in r:
            size.append(f"| {r['model']} | {level_label(r)} | failed: {r['error']} |" + " |" * 9)
    return "\n".join(size) + "\n\n" + "\n".join(speed)


def comparison(rows: List[dict]) -> str:
    vgg = [r for r in rows if r["model"] == "vgg16_bn" and "error" not in r and r["sparsity"] > 0]
    if not vgg:
        return "DNNShifter comparison: no vgg16_bn rows."
    size = lambda r: r["onnx_bytes"] / r["edgm_bytes"]
    speed = lambda r: r["ort"]["median_ms"] / r["edge"]["median_ms"]
    gain = lambda r: r["edge_noprune"]["median_ms"] / r["edge"]["median_ms"]
    best_size = max(vgg, key=size)
    best_speed = max(vgg, key=speed)
    near = min(vgg, key=lambda r: abs(math.log(size(r) / DNNSHIFTER["size"])))
    walls = [r["compile"]["wall_ms"] for r in vgg]
    comp = [r["compile"]["compile_ms"] for r in vgg]
    return (f"**DNNShifter comparison.** DNNShifter's VGG-16 / CIFAR-10: {DNNSHIFTER['size']}x smaller and "
            f"{DNNSHIFTER['speed']}x faster than the sparse model. Edge, vgg16_bn: best size ratio "
            f"{size(best_size):.2f}x (at {level_label(best_size)}), best speed ratio onnxruntime-sparse/Edge "
            f"{speed(best_speed):.2f}x (at {level_label(best_speed)}); at comparable size reduction "
            f"({level_label(near)}: {size(near):.2f}x smaller) {speed(near):.2f}x faster than onnxruntime on the sparse "
            f"model and {gain(near):.2f}x faster than Edge running the same sparse model unpruned (the like-for-like "
            f"analogue of DNNShifter's ratio). Compile with pruning: {min(comp):.0f}-{max(comp):.0f} ms in-process, "
            f"{min(walls):.0f}-{max(walls):.0f} ms wall: {'under' if max(walls) < 1000 else 'NOT under'} 1 s at every level.")


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--models", default="vgg16_bn,resnet18", help=f"comma-separated, from: {', '.join(BENCH_MODELS)}")
    ap.add_argument("--sparsities", default="0.5,0.7,0.8,0.9,0.95")
    ap.add_argument("--iterations", type=int, default=20)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--rounds", type=int, default=3,
                    help="interleaved timing rounds (ort, Edge, Edge no-prune); the best round's median is reported")
    ap.add_argument("--death-exponent", type=float, default=5.5,
                    help="dead filter fraction per layer = sparsity^K (default 5.5: 90%% -> 56%% dead)")
    ap.add_argument("--edgec", default=None, help="default .build-pb/release/edgec, then .build/release/edgec")
    ap.add_argument("--markdown", type=Path, default=None, help="append the tables to this file")
    ap.add_argument("--json", type=Path, default=None, help="write raw results here")
    ap.add_argument("--work-dir", type=Path, default=ROOT / "out" / "bench_pruning")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--timeout", type=float, default=900.0, help="seconds per edgec invocation")
    ap.add_argument("--no-dense", action="store_true", help="skip the unpruned reference row")
    args = ap.parse_args(argv)

    names = [m.strip() for m in args.models.split(",") if m.strip()]
    unknown = [m for m in names if m not in BENCH_MODELS]
    if unknown:
        print(f"unknown model(s): {', '.join(unknown)}; known: {', '.join(BENCH_MODELS)}", file=sys.stderr)
        return 2
    levels = [float(v) for v in args.sparsities.split(",") if v.strip()]
    if any(not (0 < v < 1) for v in levels):
        print("sparsities must be in (0, 1)", file=sys.stderr)
        return 2
    if not args.no_dense:
        levels = [0.0] + levels
    exe = find_edgec(args.edgec, allow_debug=False)
    if exe is None or not exe.exists():
        print("edgec not found: swift build -c release --product edgec --scratch-path .build-pb, or pass --edgec",
              file=sys.stderr)
        return 2
    args.work_dir.mkdir(parents=True, exist_ok=True)

    rows: List[dict] = []
    started = time.perf_counter()
    for name in names:
        builder, shape, _ = BENCH_MODELS[name]
        dense = builder(args.seed)
        for s in levels:
            t0 = time.perf_counter()
            try:
                r = run_level(exe, name, dense, shape, s, args, args.work_dir)
            except (RuntimeError, ValueError, subprocess.TimeoutExpired) as e:
                r = {"model": name, "sparsity": s, "error": str(e)}
                print(f"[{name} {s}] FAILED: {e}", file=sys.stderr)
            else:
                c = r["compile"]
                print(f"[{name} {level_label(r)}] {time.perf_counter() - t0:.1f}s: weight sparsity "
                      f"{r['gen']['weight_sparsity']:.4f}, dead {r['gen']['dead_filters']} (+{r['gen']['accidental_zero_filters']} "
                      f"accidental), out std {r['output_std']:.3g}; params {r['dense_params']} -> {r['edge_params']}, "
                      f"size {r['onnx_bytes'] / r['edgm_bytes']:.2f}x; compile {c['compile_ms']:.0f} ms "
                      f"(prune {c['prune_ms']:.0f}, no-prune {r['compile_noprune']['compile_ms']:.0f}, wall {c['wall_ms']:.0f}); "
                      f"ort {r['ort']['median_ms']:.2f} ms, edge {r['edge']['median_ms']:.2f} ms, "
                      f"no-prune {r['edge_noprune']['median_ms']:.2f} ms; err {r['max_rel_error']:.1e}; "
                      f"kept zero filters {c['kept_reasons']}", file=sys.stderr)
            rows.append(r)
    elapsed = time.perf_counter() - started

    core = next((r["edge"].get("blas_core") for r in rows if r.get("edge")), "n/a")
    rule = (f"Sparse variants: per layer a fraction sparsity^{args.death_exponent:g} of the filters is truly dead "
            f"(weights, conv bias, BN gamma/beta/mean = 0; hidden Gemm rows too; residual-stream writers share d/2 dead "
            f"channels and lose d/4 more independently, which must stay), then global magnitude pruning of the other "
            f"Conv+Gemm weights to the level (surviving filters rescaled to their dense L2 norm). "
            f"Models: " + "; ".join(f"{n}: {BENCH_MODELS[n][2]}" for n in names) + ". "
            f"Sizes are file bytes; Edge params/FLOPs from `edgec inspect --json` (BN folded; dense = `--no-prune`).")
    md = tables(rows)
    cmp_line = comparison(rows)
    print(rule + "\n")
    print(md)
    print("\n" + cmp_line)
    if args.markdown:
        cmd = "python3 Tools/bench_pruning.py" + ("" if not argv else " " + shlex.join(argv))
        header = (f"\n### Structured pruning (dead filters, sparsity^{args.death_exponent:g} rule), "
                  f"{datetime.datetime.now().isoformat(timespec='seconds')}, {platform.machine()}, "
                  f"best of {args.rounds} interleaved rounds of {args.iterations} iterations ({args.warmup} warmup) "
                  f"(median per round), 1 thread, OpenBLAS core {core}, "
                  f"onnxruntime ORT_ENABLE_ALL\n\nCommand: `{cmd}`\n\n{rule}\n\n")
        args.markdown.parent.mkdir(parents=True, exist_ok=True)
        with args.markdown.open("a") as f:
            f.write(header + md + "\n\n" + cmp_line + "\n")
        print(f"appended to {args.markdown}", file=sys.stderr)
    if args.json:
        args.json.write_text(json.dumps({"rows": rows, "iterations": args.iterations, "warmup": args.warmup,
                                         "rounds": args.rounds, "death_exponent": args.death_exponent, "seconds": elapsed,
                                         "command": argv}, indent=1) + "\n")
    print(f"total {elapsed:.0f} s", file=sys.stderr)
    return 0 if all("error" not in r for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
