#!/usr/bin/env python3
"""Reconvene on digits: structured pruning at initialization vs unstructured SynFlow vs IMP.

    python3 Tools/train_reconvene_portfolio.py [--edgec .build/release/edgec] [--out DIR]

Reuses the numpy trainer of Tools/train_digits_portfolio.py (imported, not copied) on a
wider base CNN (conv widths 32-64-128 instead of 16-32-32: a base with more to remove, so
the variants span a real latency range):

    image [1,1,8,8] -> Conv(1->32) -> Conv(32->64, s2) -> Conv(64->128) (3x3 pad 1, Relu)
    -> GlobalAveragePool -> Flatten -> Gemm(128->10)

For each keep ratio:
  * reconvene: `edgec prune init.onnx --method reconvene --keep K --seed S` on the
    untrained dense model writes a smaller dense ONNX (whole filters removed, seeded
    re-initialization); it is trained from there like the dense model.
  * synflow: unstructured iterative SynFlow (100 rounds, numpy) on the dense
    initialization, masked to the same parameter count as the reconvene model, trained
    with the masks fixed (the unstructured pruning-at-initialization counterpart).
Plus the dense model and iterative magnitude pruning of the trained dense model (the
project's IMP, `prune_global` + retraining), 50% of the alive weights per step.

Every model is exported to ONNX with edge.accuracy (onnxruntime over the test split),
compiled with edgec, and measured: params and FLOPs (`edgec inspect --json`), .edgm size,
latency (`edgec bench`, 1 thread, OPENBLAS_NUM_THREADS=1 for the measured process; best median of 3
interleaved rounds, as the machine is shared). Results: <out>/results.json and a Markdown table
on stdout (pasted into BENCHMARKS.md). With --fixtures DIR the reconvene set (plus the
dense model) is written as the demo portfolio: ONNX files, sample inputs, samples.json
with onnxruntime logits, README.md.

    python3 Tools/train_reconvene_portfolio.py --summarize A/results.json B/results.json ...

prints the accuracy of every model over several runs (other --seed values) and the mean.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np
import onnx
from onnx import numpy_helper

sys.path.insert(0, str(Path(__file__).resolve().parent))
import train_digits_portfolio as tdp  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
WIDE = [("conv1", 1, 32, 1), ("conv2", 32, 64, 2), ("conv3", 64, 128, 1)]


def use_architecture(convs) -> None:
    """Points the trainer's module-level architecture at `convs` (its functions read it)."""
    tdp.CONVS = convs
    tdp.WEIGHTS = [c[0] + ".weight" for c in convs] + ["fc.weight"]
    tdp.BIASES = [c[0] + ".bias" for c in convs] + ["fc.bias"]


def params_of(p, masks=None) -> int:
    """Conv/gemm weights and biases that are stored (nonzero-masked count with masks)."""
    total = 0
    for k in tdp.WEIGHTS + tdp.BIASES:
        total += int(masks[k].sum()) if masks is not None and k in masks else p[k].size
    return total


def flops_dense(p) -> int:
    """Multiply-adds x2 of the convs and the gemm for one 8x8 image."""
    h = 8
    f = 0
    for name, _, _, stride in tdp.CONVS:
        w = p[name + ".weight"]
        h = (h + 2 - 3) // stride + 1
        f += 2 * h * h * w.size
    return f + 2 * p["fc.weight"].size


# ---------------------------------------------------------------- SynFlow (numpy)

def synflow_grads(p):
    """dR/dtheta for R = sum of the logits of the |theta| network on an all-ones image."""
    a = {k: np.abs(v).astype(np.float64) for k, v in p.items()}
    x = np.ones((1, 1, 8, 8))
    caches, h = [], x
    for name, _, _, stride in tdp.CONVS:
        z, cache = tdp.conv_forward(h, a[name + ".weight"], a[name + ".bias"], stride)
        h = np.maximum(z, 0.0)
        caches.append((cache, z > 0))
    pooled = h.mean(axis=(2, 3))
    dlog = np.ones((1, tdp.NUM_CLASSES))
    g = {"fc.weight": dlog.T @ pooled, "fc.bias": dlog.sum(axis=0)}
    dh = np.broadcast_to((dlog @ a["fc.weight"])[:, :, None, None] / (h.shape[2] * h.shape[3]), h.shape)
    for (name, _, _, stride), (cache, active) in zip(reversed(tdp.CONVS), reversed(caches)):
        dh, g[name + ".weight"], g[name + ".bias"] = tdp.conv_backward(dh * active, a[name + ".weight"], cache, stride)
    return g


def synflow_masks(p, keep_weights: int, rounds: int = 100):
    """Iterative SynFlow over the conv/gemm weights (biases stay): keep `keep_weights`."""
    masks = {k: np.ones_like(p[k]) for k in tdp.WEIGHTS}
    total = sum(p[k].size for k in tdp.WEIGHTS)
    for r in range(1, rounds + 1):
        q = dict(p)
        for k in tdp.WEIGHTS:
            q[k] = p[k] * masks[k]
        g = synflow_grads(q)
        scores = np.concatenate([(np.abs(q[k]) * g[k]).ravel() for k in tdp.WEIGHTS])
        alive = np.concatenate([masks[k].ravel() for k in tdp.WEIGHTS]) > 0
        target = int(round(total * (keep_weights / total) ** (r / rounds)))
        order = np.argsort(-np.where(alive, scores, -1.0), kind="stable")
        flat = np.zeros(total, np.float32)
        flat[order[:target]] = 1.0
        off = 0
        for k in tdp.WEIGHTS:
            masks[k] = flat[off:off + p[k].size].reshape(p[k].shape)
            off += p[k].size
    return masks


# ---------------------------------------------------------------- edgec

def run(cmd, **kw) -> str:
    return subprocess.run(cmd, check=True, capture_output=True, text=True, **kw).stdout


def measure(edgec: str, onnx_path: Path, work: Path) -> dict:
    edgm = work / (onnx_path.stem + ".edgm")
    run([edgec, "compile", str(onnx_path), "-o", str(edgm)])
    info = json.loads(run([edgec, "inspect", str(edgm), "--json"]))
    return {"params": info["params"], "flops": info["flops"], "edgm_bytes": edgm.stat().st_size, "edgm": str(edgm)}


def bench_all(edgec: str, rows, iterations: int, rounds: int = 3) -> None:
    """Latency of every model: `rounds` interleaved rounds of `edgec bench` (1 thread,
    OPENBLAS_NUM_THREADS=1), the best round's median per model (the machine is shared)."""
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1")
    for _ in range(rounds):
        for r in rows:
            b = json.loads(run([edgec, "bench", r["edgm"], "--iterations", str(iterations), "--warmup", "20",
                                "--threads", "1", "--json"], env=env))
            r["latency_ms"] = min(r.get("latency_ms", float("inf")), b["median_ms"])


def load_onnx_params(path: Path):
    m = onnx.load(str(path))
    return {t.name: numpy_helper.to_array(t).astype(np.float32).copy() for t in m.graph.initializer}


def test_accuracy(path: Path, x, y) -> float:
    sess = tdp.ort_session(path)
    return float((tdp.ort_logits(sess, x).argmax(axis=1) == y).mean())


def export(p, path: Path, variant: str, note: str, seed: int, x_te, y_te, np_acc: float) -> float:
    meta = {"edge.accuracy": "", "edge.variant": variant, "edge.dataset": "sklearn-digits-8x8",
            "edge.test_images": str(len(x_te)), "edge.sparsity": f"{sparsity(p):.4f}"}
    doc = f"8x8 digits CNN (wide base), {note}, seed {seed}; generated by Tools/train_reconvene_portfolio.py"
    tdp.export(p, path, meta, doc)
    acc = test_accuracy(path, x_te, y_te)
    if abs(acc - np_acc) > 1e-12:
        print(f"  note: {variant} numpy accuracy {np_acc:.4f} != onnxruntime {acc:.4f}")
    meta["edge.accuracy"] = f"{acc:.4f}"
    tdp.export(p, path, meta, doc)
    return acc


def sparsity(p) -> float:
    zero = sum(int((p[k] == 0).sum()) for k in tdp.WEIGHTS)
    return zero / sum(p[k].size for k in tdp.WEIGHTS)


# ---------------------------------------------------------------- main

def summarize(paths) -> int:
    """Accuracy per model over several runs (results.json of different --seed values)."""
    runs = [json.loads(Path(p).read_text()) for p in paths]
    seeds = [r["seed"] for r in runs]
    print(f"| model | params (seed {seeds[0]}) | " + " | ".join(f"acc seed {s}" for s in seeds) + " | mean |")
    print("| --- | ---: | " + " | ".join("---:" for _ in seeds) + " | ---: |")
    for row in runs[0]["rows"]:
        accs = [next((r["accuracy"] for r in run["rows"] if r["variant"] == row["variant"]), None) for run in runs]
        known = [a for a in accs if a is not None]
        print(f"| {row['variant']} | {row['params']} | " + " | ".join("-" if a is None else f"{a:.4f}" for a in accs)
              + f" | {sum(known) / len(known):.4f} |")
    return 0


def main() -> int:
    if len(sys.argv) > 2 and sys.argv[1] == "--summarize":
        return summarize(sys.argv[2:])
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--edgec", default=str(ROOT / ".build" / "release" / "edgec"))
    ap.add_argument("--out", type=Path, default=ROOT / "out" / "reconvene")
    ap.add_argument("--fixtures", type=Path, default=None, help="write the demo portfolio here")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--keeps", default="0.25,0.125,0.0625,0.03125")
    ap.add_argument("--epochs", type=int, default=20)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--imp-steps", type=int, default=4)
    ap.add_argument("--imp-epochs", type=int, default=8)
    ap.add_argument("--iterations", type=int, default=300, help="edgec bench iterations")
    ap.add_argument("--samples", type=int, default=4)
    args = ap.parse_args()

    t0 = time.time()
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    use_architecture(WIDE)
    x_tr, y_tr, x_te, y_te = tdp.load_data(args.seed)
    rng = np.random.default_rng(args.seed)
    init = tdp.init_params(rng)
    init_path = out / "digits_dense_init.onnx"
    tdp.export(init, init_path, {"edge.variant": "init"}, "untrained wide digits CNN")

    rows = []

    def record(kind, variant, path, p, acc, masks=None, note=""):
        m = measure(args.edgec, path, out)
        row = {"kind": kind, "variant": variant, "file": path.name, "accuracy": acc,
               "params": m["params"] if masks is None else params_of(p, masks),
               "edgm_params": m["params"], "flops": m["flops"], "edgm_bytes": m["edgm_bytes"],
               "edgm": m["edgm"], "note": note}
        rows.append(row)
        print(f"{variant:>16}: acc {acc:.4f} params {row['params']:>6} FLOPs {row['flops']:>8} "
              f"edgm {row['edgm_bytes']:>7} B ({time.time() - t0:.0f} s)", flush=True)
        return row

    # Dense.
    dense = {k: v.copy() for k, v in init.items()}
    train_rng = np.random.default_rng(args.seed + 1)
    tdp.train(dense, {}, x_tr, y_tr, args.epochs, args.lr, train_rng, log="dense")
    acc = export(dense, out / "digits_dense.onnx", "dense", "dense", args.seed, x_te, y_te, tdp.accuracy(dense, x_te, y_te))
    dense_row = record("dense", "dense", out / "digits_dense.onnx", dense, acc)
    n_bias = sum(dense[k].size for k in tdp.BIASES)

    for keep in [float(k) for k in args.keeps.split(",")]:
        tag = f"{keep * 100:g}".replace(".", "_")
        # Reconvene: edgec prune on the untrained model, then train the smaller dense net.
        rc_path = out / f"digits_rc_{tag}_init.onnx"
        run([args.edgec, "prune", str(init_path), "--method", "reconvene", "--keep", str(keep),
             "--seed", str(args.seed), "-o", str(rc_path), "--report", str(out / f"digits_rc_{tag}.json")])
        p = load_onnx_params(rc_path)
        widths = [p[c[0] + ".weight"].shape[0] for c in WIDE]
        use_architecture([(n, p[n + ".weight"].shape[1], p[n + ".weight"].shape[0], s) for n, _, _, s in WIDE])
        tdp.train(p, {}, x_tr, y_tr, args.epochs, args.lr, np.random.default_rng(args.seed + 1), log=f"reconvene {keep}")
        acc = export(p, out / f"digits_rc_{tag}.onnx", f"reconvene-{tag}", f"Reconvene keep {keep}", args.seed,
                     x_te, y_te, tdp.accuracy(p, x_te, y_te))
        rc = record("reconvene", f"reconvene-{tag}", out / f"digits_rc_{tag}.onnx", p, acc,
                    note="widths " + "-".join(map(str, widths)))
        use_architecture(WIDE)
        # Unstructured SynFlow at the same parameter count (biases kept).
        masks = synflow_masks(init, rc["params"] - n_bias)
        for k in tdp.BIASES:
            masks[k] = np.ones_like(init[k])
        p = {k: v.copy() for k, v in init.items()}
        tdp.apply_masks(p, masks)
        tdp.train(p, masks, x_tr, y_tr, args.epochs, args.lr, np.random.default_rng(args.seed + 1), log=f"synflow {keep}")
        acc = export(p, out / f"digits_sf_{tag}.onnx", f"synflow-{tag}", f"unstructured SynFlow, params of reconvene-{tag}",
                     args.seed, x_te, y_te, tdp.accuracy(p, x_te, y_te))
        record("synflow", f"synflow-{tag}", out / f"digits_sf_{tag}.onnx", p, acc, masks=masks)

    # IMP from the trained dense model.
    p = {k: v.copy() for k, v in dense.items()}
    masks = {k: np.ones_like(p[k]) for k in tdp.WEIGHTS + tdp.BIASES if k != "fc.bias"}
    imp_rng = np.random.default_rng(args.seed + 2)
    for step in range(1, args.imp_steps + 1):
        tdp.prune_global(p, masks, 0.5)
        tdp.cascade_dead(masks)
        tdp.apply_masks(p, masks)
        tdp.train(p, masks, x_tr, y_tr, args.imp_epochs, 5e-3, imp_rng, log=f"imp step {step}")
        pct = int(round(100 * sparsity(p)))
        acc = export(p, out / f"digits_imp_{pct}.onnx", f"imp-{pct}", f"IMP step {step}", args.seed,
                     x_te, y_te, tdp.accuracy(p, x_te, y_te))
        full = {k: (masks[k] if k in masks else np.ones_like(p[k])) for k in tdp.WEIGHTS + tdp.BIASES}
        record("imp", f"imp-{pct}", out / f"digits_imp_{pct}.onnx", p, acc, masks=full)

    train_seconds = time.time() - t0
    bench_all(args.edgec, rows, args.iterations)
    for r in rows:
        del r["edgm"]
    elapsed = time.time() - t0
    print(f"training, export and compile: {train_seconds:.0f} s", flush=True)
    (out / "results.json").write_text(json.dumps({"seed": args.seed, "epochs": args.epochs, "seconds": elapsed,
                                                  "rows": rows}, indent=1) + "\n")
    print_table(rows, dense_row)
    print(f"\n{len(rows)} models in {elapsed:.0f} s", flush=True)
    if args.fixtures:
        write_fixtures(args, rows, out, x_te, y_te, len(x_tr))
    return 0


def print_table(rows, dense_row) -> None:
    print("\n| model | test acc | params | x smaller | FLOPs | .edgm bytes | latency ms | x faster | note |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
    for r in rows:
        print(f"| {r['variant']} | {r['accuracy']:.4f} | {r['params']} | {dense_row['params'] / r['params']:.1f} "
              f"| {r['flops']} | {r['edgm_bytes']} | {r['latency_ms']:.4f} "
              f"| {dense_row['latency_ms'] / r['latency_ms']:.2f} | {r['note']} |")


def write_fixtures(args, rows, out: Path, x_te, y_te, n_train: int) -> None:
    import shutil
    fx: Path = args.fixtures
    fx.mkdir(parents=True, exist_ok=True)
    for old in list(fx.glob("*.onnx")) + list(fx.glob("sample_*.npy")):
        old.unlink()
    chosen = [r for r in rows if r["kind"] in ("dense", "reconvene")]
    sessions = {}
    for r in chosen:
        shutil.copy(out / r["file"], fx / r["file"])
        sessions[r["variant"]] = tdp.ort_session(fx / r["file"])
    samples = []
    for k in range(args.samples):
        img = np.ascontiguousarray(x_te[k:k + 1], dtype=np.float32)
        np.save(fx / f"sample_{k}.npy", img)
        entry = {"file": f"sample_{k}.npy", "test_index": k, "label": int(y_te[k]), "variants": {}}
        for r in chosen:
            lg = sessions[r["variant"]].run(["logits"], {"image": img})[0][0]
            entry["variants"][r["variant"]] = {"logits": [float(v) for v in lg], "predicted": int(lg.argmax())}
        samples.append(entry)
    doc = {"input": "image", "output": "logits", "input_shape": [1, 1, 8, 8],
           "reference": "onnxruntime 1.20.1, CPU, graph optimizations disabled", "tolerance": 1e-4,
           "split": {"dataset": "sklearn.datasets.load_digits, pixels / 16", "test_size": 0.25, "stratify": True,
                     "random_state": args.seed, "train": n_train, "test": int(len(x_te))},
           "variants": [{"variant": r["variant"], "model": r["file"], "accuracy": round(r["accuracy"], 4),
                         "compact_params": r["edgm_params"], "sparsity": 0.0, "note": r["note"]} for r in chosen],
           "samples": samples}
    (fx / "samples.json").write_text(json.dumps(doc, indent=1) + "\n")
    lines = ["# Reconvene digits portfolio (structured pruning at initialization)", "",
             "Generated by `python3 Tools/train_reconvene_portfolio.py --fixtures Tests/Fixtures/reconvene` "
             "(numpy training, deterministic; see BENCHMARKS.md for the comparison with unstructured SynFlow and IMP). "
             "Do not edit by hand.", "",
             "Each variant is a dense, smaller network: `edgec prune --method reconvene` removed whole filters from "
             "the untrained wide base (conv 32-64-128), then it was trained from its seeded initialization "
             f"({args.epochs} epochs, Adam, +-1 px shifts).", "",
             "| variant | file | test accuracy | params | widths |", "| --- | --- | ---: | ---: | --- |"]
    for r in chosen:
        lines.append(f"| {r['variant']} | `{r['file']}` | {r['accuracy']:.4f} | {r['edgm_params']} | {r['note']} |")
    (fx / "README.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    sys.exit(main())
