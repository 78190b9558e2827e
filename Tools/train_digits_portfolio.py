#!/usr/bin/env python3
"""Trains a small CNN on scikit-learn's 8x8 digits and writes a portfolio of pruned variants.

    python3 Tools/train_digits_portfolio.py [--out DIR] [--seed N]

Requires the pinned packages in Tools/requirements-train.txt (numpy, onnx, onnxruntime,
scikit-learn). Everything is plain numpy: forward and backward passes are written out
below, no deep-learning framework is used. Deterministic for a given seed (and BLAS).

Model (no BatchNorm; every Conv has a bias):

    image [1,1,8,8]
    conv1  Conv(1->16, 3x3, pad 1)            + Relu   -> [16,8,8]
    conv2  Conv(16->32, 3x3, pad 1, stride 2) + Relu   -> [32,4,4]
    conv3  Conv(32->32, 3x3, pad 1)           + Relu   -> [32,4,4]
    GlobalAveragePool -> Flatten -> fc Gemm(32->10, transB=1) -> logits [1,10]

Portfolio: iterative magnitude pruning (IMP) with retraining, the recipe DNNShifter
builds its portfolio with (lottery-ticket style IMP; here the surviving weights are
fine-tuned after each step rather than rewound). Every step removes a fixed fraction of
the weights still alive, ranked by |w| globally over all conv + gemm weights, then
retrains with the masks held fixed, so pruned weights stay exactly 0.0.

Dead filters. A filter whose weights are all masked has its bias masked as well (the
channel is then exactly 0 after the Relu instead of a constant), the weights that read
a dead channel in the next layer are masked too (they only ever multiply zeros), and
this is repeated until nothing changes; the retraining after the step recovers what the
bias removal cost. With global pruning whole filters die naturally at high sparsity;
if a level still had no dead filter at all, the filters with the smallest L1 norm are
killed the same way (structured step) -- the script reports when it did so.

Each level is exported as ONNX opset 13 to <out>/digits_imp_<pct>.onnx with metadata
edge.accuracy (held-out test accuracy measured with onnxruntime over the whole test
split), edge.sparsity (fraction of zero conv/gemm weights) and edge.variant (imp-<pct>).
Also written: sample_<k>.npy test images, samples.json (labels, per-variant logits from
onnxruntime 1.20.1 CPU with graph optimizations disabled, predicted classes) and
README.md with the summary table.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

# Single-threaded BLAS: the matrices are tiny, and a fixed summation order keeps the
# run reproducible across machines with different core counts.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")
from pathlib import Path
from typing import Dict, List, Tuple

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = ROOT / "Tests" / "Fixtures" / "portfolio"

# (name, cin, cout, stride) for the three 3x3 pad-1 convolutions
CONVS = [("conv1", 1, 16, 1), ("conv2", 16, 32, 2), ("conv3", 32, 32, 1)]
NUM_CLASSES = 10
WEIGHTS = ["conv1.weight", "conv2.weight", "conv3.weight", "fc.weight"]
BIASES = ["conv1.bias", "conv2.bias", "conv3.bias", "fc.bias"]


# ====================================================================== data

def load_data(seed: int) -> Tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    digits = load_digits()
    x = (digits.images.astype(np.float32) / 16.0).reshape(-1, 1, 8, 8)
    y = digits.target.astype(np.int64)
    x_tr, x_te, y_tr, y_te = train_test_split(
        x, y, test_size=0.25, stratify=y, random_state=seed)
    return (np.ascontiguousarray(x_tr), y_tr, np.ascontiguousarray(x_te), y_te)


# ====================================================================== layers

def im2col(x: np.ndarray, k: int, stride: int, pad: int) -> Tuple[np.ndarray, int, int]:
    """x [N,C,H,W] -> cols [N*Ho*Wo, C*k*k] (row order n, ho, wo; column order c, i, j)."""
    n, c, h, w = x.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    ho = (h + 2 * pad - k) // stride + 1
    wo = (w + 2 * pad - k) // stride + 1
    win = np.lib.stride_tricks.sliding_window_view(xp, (k, k), axis=(2, 3))
    win = win[:, :, ::stride, ::stride][:, :, :ho, :wo]          # [N,C,Ho,Wo,k,k]
    cols = win.transpose(0, 2, 3, 1, 4, 5).reshape(n * ho * wo, c * k * k)
    return np.ascontiguousarray(cols), ho, wo


def col2im(dcols: np.ndarray, shape: Tuple[int, ...], k: int, stride: int, pad: int,
           ho: int, wo: int) -> np.ndarray:
    n, c, h, w = shape
    d = dcols.reshape(n, ho, wo, c, k, k).transpose(0, 3, 4, 5, 1, 2)  # [N,C,k,k,Ho,Wo]
    dxp = np.zeros((n, c, h + 2 * pad, w + 2 * pad), dtype=dcols.dtype)
    for i in range(k):
        for j in range(k):
            dxp[:, :, i:i + stride * ho:stride, j:j + stride * wo:stride] += d[:, :, i, j]
    return dxp[:, :, pad:pad + h, pad:pad + w]


def conv_forward(x, w, b, stride):
    cout, _, k, _ = w.shape
    cols, ho, wo = im2col(x, k, stride, 1)
    out = cols @ w.reshape(cout, -1).T + b
    out = out.reshape(x.shape[0], ho, wo, cout).transpose(0, 3, 1, 2)
    return np.ascontiguousarray(out), (cols, x.shape, ho, wo)


def conv_backward(dout, w, cache, stride):
    cols, xshape, ho, wo = cache
    cout, _, k, _ = w.shape
    d = dout.transpose(0, 2, 3, 1).reshape(-1, cout)
    dw = (d.T @ cols).reshape(w.shape)
    db = d.sum(axis=0)
    dx = col2im(d @ w.reshape(cout, -1), xshape, k, stride, 1, ho, wo)
    return dx, dw, db


def forward(p: Dict[str, np.ndarray], x: np.ndarray, train: bool = False):
    caches = []
    h = x
    for name, _, _, stride in CONVS:
        z, cache = conv_forward(h, p[name + ".weight"], p[name + ".bias"], stride)
        h = np.maximum(z, 0.0)
        caches.append((cache, z > 0))
    pooled = h.mean(axis=(2, 3))                                   # GAP + Flatten
    logits = pooled @ p["fc.weight"].T + p["fc.bias"]
    if not train:
        return logits
    return logits, (caches, pooled, h.shape)


def loss_and_grads(p, x, y):
    logits, (caches, pooled, hshape) = forward(p, x, train=True)
    n = x.shape[0]
    z = logits - logits.max(axis=1, keepdims=True)
    prob = np.exp(z)
    prob /= prob.sum(axis=1, keepdims=True)
    loss = float(-np.log(prob[np.arange(n), y] + 1e-12).mean())
    dlog = prob
    dlog[np.arange(n), y] -= 1.0
    dlog /= n
    g = {"fc.weight": dlog.T @ pooled, "fc.bias": dlog.sum(axis=0)}
    dh = np.broadcast_to((dlog @ p["fc.weight"])[:, :, None, None] / (hshape[2] * hshape[3]),
                         hshape)
    for (name, _, _, stride), (cache, active) in zip(reversed(CONVS), reversed(caches)):
        dz = dh * active
        dh, g[name + ".weight"], g[name + ".bias"] = conv_backward(
            dz, p[name + ".weight"], cache, stride)
    return loss, {k: v.astype(np.float32) for k, v in g.items()}


def init_params(rng: np.random.Generator) -> Dict[str, np.ndarray]:
    p = {}
    for name, cin, cout, _ in CONVS:
        fan_in = cin * 9
        p[name + ".weight"] = (rng.standard_normal((cout, cin, 3, 3)) *
                               np.sqrt(2.0 / fan_in)).astype(np.float32)
        p[name + ".bias"] = np.zeros(cout, np.float32)
    cin = CONVS[-1][2]
    p["fc.weight"] = (rng.standard_normal((NUM_CLASSES, cin)) *
                      np.sqrt(1.0 / cin)).astype(np.float32)
    p["fc.bias"] = np.zeros(NUM_CLASSES, np.float32)
    return p


def accuracy(p, x, y, batch: int = 512) -> float:
    pred = np.concatenate([forward(p, x[i:i + batch]).argmax(axis=1)
                           for i in range(0, len(x), batch)])
    return float((pred == y).mean())


def shift_augment(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Random translation by -1..1 pixel in each direction (zero fill)."""
    n = x.shape[0]
    xp = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    dy = rng.integers(0, 3, n)
    dx = rng.integers(0, 3, n)
    out = np.empty_like(x)
    for a in range(3):
        for b in range(3):
            sel = (dy == a) & (dx == b)
            out[sel] = xp[sel, :, a:a + 8, b:b + 8]
    return out


def train(p, masks, x, y, epochs: int, lr: float, rng: np.random.Generator,
          batch: int = 32, wd: float = 1e-4, log: str = "") -> None:
    """Adam with cosine-decayed learning rate; masked entries stay exactly 0."""
    m = {k: np.zeros_like(v) for k, v in p.items()}
    v = {k: np.zeros_like(v) for k, v in p.items()}
    b1, b2, eps = 0.9, 0.999, 1e-8
    steps_per_epoch = (len(x) + batch - 1) // batch
    total = epochs * steps_per_epoch
    t = 0
    for ep in range(epochs):
        order = rng.permutation(len(x))
        xa = shift_augment(x[order], rng)
        ya = y[order]
        losses = []
        for s in range(steps_per_epoch):
            xb, yb = xa[s * batch:(s + 1) * batch], ya[s * batch:(s + 1) * batch]
            loss, g = loss_and_grads(p, xb, yb)
            losses.append(loss)
            t += 1
            cur = float(lr * 0.5 * (1.0 + np.cos(np.pi * (t - 1) / total)))
            for k in p:
                gk = g[k]
                if k.endswith(".weight"):
                    gk = gk + wd * p[k]
                if k in masks:
                    gk = gk * masks[k]
                m[k] = b1 * m[k] + (1 - b1) * gk
                v[k] = b2 * v[k] + (1 - b2) * gk * gk
                mh = m[k] / (1 - b1 ** t)
                vh = v[k] / (1 - b2 ** t)
                p[k] = (p[k] - cur * mh / (np.sqrt(vh) + eps)).astype(np.float32)
                if k in masks:
                    p[k] = masked(p[k], masks[k])
        if log and (ep == epochs - 1 or ep % 10 == 0):
            print(f"  {log} epoch {ep + 1}/{epochs} loss {np.mean(losses):.4f}", flush=True)


# ====================================================================== pruning

def cascade_dead(masks: Dict[str, np.ndarray]) -> None:
    """Masks the bias of every all-masked filter and the next layer's weights reading a
    dead channel, until nothing changes."""
    changed = True
    while changed:
        changed = False
        for li, (name, _, _, _) in enumerate(CONVS):
            wm, bm = masks[name + ".weight"], masks[name + ".bias"]
            dead = ~wm.reshape(wm.shape[0], -1).any(axis=1)
            if (bm[dead] != 0).any():
                bm[dead] = 0.0
                changed = True
            dead = bm == 0
            nxt = WEIGHTS[li + 1]
            nm = masks[nxt]
            if nm[:, dead].any():
                nm[:, dead] = 0.0
                changed = True


def prune_global(p, masks, fraction: float) -> None:
    """Removes `fraction` of the alive conv/gemm weights with the smallest |w| (globally)."""
    alive = np.concatenate([masks[k].ravel() for k in WEIGHTS]).astype(bool)
    mags = np.concatenate([np.abs(p[k]).ravel() for k in WEIGHTS])
    idx = np.flatnonzero(alive)
    n_prune = int(round(fraction * idx.size))
    order = idx[np.argsort(mags[idx], kind="stable")[:n_prune]]
    flat = np.concatenate([masks[k].ravel() for k in WEIGHTS])
    flat[order] = 0.0
    off = 0
    for k in WEIGHTS:
        sz = masks[k].size
        masks[k] = flat[off:off + sz].reshape(masks[k].shape).copy()
        off += sz


def kill_weakest_filters(p, masks, per_layer: Dict[str, int]) -> None:
    """Structured step: zeroes the alive filters with the smallest L1 norm."""
    for name, count in per_layer.items():
        wm = masks[name + ".weight"]
        l1 = np.abs(p[name + ".weight"] * wm).reshape(wm.shape[0], -1).sum(axis=1)
        alive = np.flatnonzero(masks[name + ".bias"] != 0)
        victims = alive[np.argsort(l1[alive], kind="stable")[:count]]
        wm[victims] = 0.0
        masks[name + ".bias"][victims] = 0.0


def masked(w: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """w with the masked entries set to +0.0 (never -0.0)."""
    return np.where(mask != 0, w, np.float32(0.0)).astype(np.float32)


def apply_masks(p, masks) -> None:
    for k, mk in masks.items():
        p[k] = masked(p[k], mk)


def stats(p) -> dict:
    zero_w = sum(int((p[k] == 0).sum()) for k in WEIGHTS)
    total_w = sum(p[k].size for k in WEIGHTS)
    nonzero = sum(int(np.count_nonzero(p[k])) for k in WEIGHTS + BIASES)
    total = sum(p[k].size for k in WEIGHTS + BIASES)
    dead = {}
    alive_ch = [1]
    for name, _, cout, _ in CONVS:
        w, b = p[name + ".weight"], p[name + ".bias"]
        is_dead = ~w.reshape(cout, -1).any(axis=1) & (b == 0)
        dead[name] = int(is_dead.sum())
        alive_ch.append(cout - dead[name])
    # parameter count once the dead filters (and the weights reading them) are removed
    compact = 0
    for i, (name, _, _, _) in enumerate(CONVS):
        compact += alive_ch[i + 1] * alive_ch[i] * 9 + alive_ch[i + 1]
    compact += NUM_CLASSES * alive_ch[-1] + NUM_CLASSES
    return {"sparsity": zero_w / total_w, "nonzero_params": nonzero, "dense_params": total,
            "compact_params": compact, "dead_filters": dead,
            "filters": {name: cout for name, _, cout, _ in CONVS}}


# ====================================================================== ONNX

def export(p, path: Path, meta: Dict[str, str], doc: str) -> onnx.ModelProto:
    nodes, inits = [], []
    x = "image"
    for name, _, _, stride in CONVS:
        w, b = name + ".weight", name + ".bias"
        inits += [numpy_helper.from_array(p[w], w), numpy_helper.from_array(p[b], b)]
        conv_out = f"/{name}/Conv_output_0"
        nodes.append(helper.make_node(
            "Conv", [x, w, b], [conv_out], name=f"/{name}/Conv",
            dilations=[1, 1], group=1, kernel_shape=[3, 3], pads=[1, 1, 1, 1],
            strides=[stride, stride]))
        relu = "relu" + name[len("conv"):]
        x = f"/{relu}/Relu_output_0"
        nodes.append(helper.make_node("Relu", [conv_out], [x], name=f"/{relu}/Relu"))
    nodes.append(helper.make_node("GlobalAveragePool", [x], ["/pool/GlobalAveragePool_output_0"],
                                  name="/pool/GlobalAveragePool"))
    nodes.append(helper.make_node("Flatten", ["/pool/GlobalAveragePool_output_0"],
                                  ["/Flatten_output_0"], name="/Flatten", axis=1))
    inits += [numpy_helper.from_array(p["fc.weight"], "fc.weight"),
              numpy_helper.from_array(p["fc.bias"], "fc.bias")]
    nodes.append(helper.make_node("Gemm", ["/Flatten_output_0", "fc.weight", "fc.bias"],
                                  ["logits"], name="/fc/Gemm", alpha=1.0, beta=1.0, transB=1))
    graph = helper.make_graph(
        nodes, "main_graph",
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, [1, 1, 8, 8])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, NUM_CLASSES])],
        initializer=inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)],
                              producer_name="edge-train-digits-portfolio",
                              producer_version="1", doc_string=doc)
    model.ir_version = 8
    helper.set_model_props(model, meta)
    model = onnx.shape_inference.infer_shapes(model)
    onnx.checker.check_model(model, full_check=True)
    onnx.save(model, str(path))
    return model


def ort_session(path: Path):
    import onnxruntime as ort
    so = ort.SessionOptions()
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    so.intra_op_num_threads = 1
    return ort.InferenceSession(str(path), so, providers=["CPUExecutionProvider"])


def ort_logits(sess, x: np.ndarray) -> np.ndarray:
    return np.concatenate([sess.run(["logits"], {"image": x[i:i + 1]})[0]
                           for i in range(len(x))])


# ====================================================================== main

def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--fraction", type=float, default=0.4,
                    help="fraction of the alive weights removed per IMP step")
    ap.add_argument("--steps", type=int, default=7, help="number of IMP steps")
    ap.add_argument("--dense-epochs", type=int, default=60)
    ap.add_argument("--retrain-epochs", type=int, default=40)
    ap.add_argument("--retrain-lr", type=float, default=5e-3)
    ap.add_argument("--samples", type=int, default=4)
    args = ap.parse_args()

    t0 = time.time()
    rng = np.random.default_rng(args.seed)
    x_tr, y_tr, x_te, y_te = load_data(args.seed)
    print(f"digits: {len(x_tr)} train / {len(x_te)} test", flush=True)

    p = init_params(rng)
    masks = {k: np.ones_like(p[k]) for k in WEIGHTS + BIASES if k != "fc.bias"}
    train(p, masks, x_tr, y_tr, args.dense_epochs, 3e-3, rng, log="dense")

    levels: List[Tuple[Dict[str, np.ndarray], str]] = [
        ({k: v.copy() for k, v in p.items()}, "dense")]
    for step in range(1, args.steps + 1):
        prune_global(p, masks, args.fraction)
        cascade_dead(masks)
        note = "IMP"
        st = stats({k: p[k] * masks[k] if k in masks else p[k] for k in p})
        if step == args.steps and sum(st["dead_filters"].values()) == 0:
            kill_weakest_filters(p, masks, {name: cout // 4 for name, _, cout, _ in CONVS})
            cascade_dead(masks)
            note = "IMP + structured (L1) filter step"
            print("  no whole filter died naturally: structured step applied", flush=True)
        apply_masks(p, masks)
        train(p, masks, x_tr, y_tr, args.retrain_epochs, args.retrain_lr, rng, log=f"step {step}")
        levels.append(({k: v.copy() for k, v in p.items()}, note))

    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    for old in list(out.glob("digits_imp_*.onnx")) + list(out.glob("sample_*.npy")):
        old.unlink()

    rows = []
    sessions = {}
    for params, note in levels:
        st = stats(params)
        pct = int(round(100 * st["sparsity"]))
        variant = f"imp-{pct:02d}"
        fname = f"digits_imp_{pct:02d}.onnx"
        assert all(r["variant"] != variant for r in rows), f"duplicate level {variant}"
        np_acc = accuracy(params, x_te, y_te)
        # export once with a placeholder to measure with onnxruntime, then record that
        meta = {"edge.accuracy": "", "edge.sparsity": f"{st['sparsity']:.4f}",
                "edge.variant": variant, "edge.dataset": "sklearn-digits-8x8",
                "edge.test_images": str(len(x_te))}
        doc = (f"8x8 digits CNN, {note}, seed {args.seed}; "
               "generated by Tools/train_digits_portfolio.py")
        export(params, out / fname, meta, doc)
        sess = ort_session(out / fname)
        logits = ort_logits(sess, x_te)
        ort_acc = float((logits.argmax(axis=1) == y_te).mean())
        if abs(ort_acc - np_acc) > 1e-12:
            print(f"  note: {variant} numpy accuracy {np_acc:.4f} != onnxruntime {ort_acc:.4f}")
        meta["edge.accuracy"] = f"{ort_acc:.4f}"
        export(params, out / fname, meta, doc)
        # verification of the file as written
        model = onnx.load(str(out / fname))
        onnx.checker.check_model(model, full_check=True)
        props = {m.key: m.value for m in model.metadata_props}
        sess = ort_session(out / fname)
        check = float((ort_logits(sess, x_te).argmax(axis=1) == y_te).mean())
        assert props["edge.accuracy"] == f"{check:.4f}", (variant, props, check)
        sessions[variant] = sess
        rows.append({"variant": variant, "model": fname, "note": note,
                     "sparsity": round(st["sparsity"], 4), "accuracy": round(ort_acc, 4),
                     "nonzero_params": st["nonzero_params"], "dense_params": st["dense_params"],
                     "compact_params": st["compact_params"], "dead_filters": st["dead_filters"],
                     "filters": st["filters"]})
        print(f"{variant}: sparsity {st['sparsity']:.4f} acc {ort_acc:.4f} "
              f"nonzero {st['nonzero_params']} compact {st['compact_params']} "
              f"dead {st['dead_filters']}", flush=True)

    # ---------------------------------------------------------------- samples
    sparsest = rows[-1]["variant"]
    pred_sparse = ort_logits(sessions[sparsest], x_te).argmax(axis=1)
    picks: List[int] = []
    wrong = np.flatnonzero(pred_sparse != y_te)
    labels_seen = set()
    for i in range(len(x_te)):
        if len(picks) >= args.samples - (1 if wrong.size else 0):
            break
        if int(y_te[i]) not in labels_seen and i not in wrong:
            picks.append(i)
            labels_seen.add(int(y_te[i]))
    if wrong.size:
        picks.append(int(wrong[0]))   # one image the sparsest variant gets wrong
    samples = []
    for k, i in enumerate(picks):
        img = np.ascontiguousarray(x_te[i:i + 1], dtype=np.float32)
        np.save(out / f"sample_{k}.npy", img)
        entry = {"file": f"sample_{k}.npy", "test_index": int(i), "label": int(y_te[i]),
                 "variants": {}}
        for r in rows:
            lg = sessions[r["variant"]].run(["logits"], {"image": img})[0][0]
            entry["variants"][r["variant"]] = {
                "logits": [float(v) for v in lg], "predicted": int(lg.argmax())}
        samples.append(entry)
    doc = {
        "input": "image", "output": "logits", "input_shape": [1, 1, 8, 8],
        "reference": "onnxruntime 1.20.1, CPU, graph optimizations disabled",
        "tolerance": 1e-4,
        "split": {"dataset": "sklearn.datasets.load_digits, pixels / 16",
                  "test_size": 0.25, "stratify": True, "random_state": args.seed,
                  "train": int(len(x_tr)), "test": int(len(x_te))},
        "variants": rows,
        "samples": samples,
    }
    (out / "samples.json").write_text(json.dumps(doc, indent=1) + "\n")

    elapsed = time.time() - t0
    write_readme(out, rows, args, len(x_tr), len(x_te))
    size = sum(f.stat().st_size for f in out.iterdir() if f.is_file())
    print(f"wrote {len(rows)} variants to {out} ({size / 1024:.0f} KiB) in {elapsed:.1f} s")
    return 0


def write_readme(out: Path, rows, args, n_tr: int, n_te: int) -> None:
    cmd = "python3 Tools/train_digits_portfolio.py"
    if args.seed != 0:
        cmd += f" --seed {args.seed}"
    lines = [
        "# Digits portfolio (pruned variants of one trained CNN)",
        "",
        f"Generated by `{cmd}` (plain numpy training, deterministic, about half a minute",
        "on 2 CPU cores; packages pinned in `Tools/requirements-train.txt`, install with",
        "`pip install -r Tools/requirements-train.txt`). Do not edit by hand.",
        "",
        f"* Data: scikit-learn's bundled 8x8 digits, pixels / 16, stratified 75/25 split "
        f"(random_state={args.seed}): {n_tr} train, {n_te} test images.",
        "* Model: Conv(1->16,3x3,p1)+Relu -> Conv(16->32,3x3,p1,s2)+Relu -> "
        "Conv(32->32,3x3,p1)+Relu -> GlobalAveragePool -> Flatten -> Gemm(32->10). "
        "Input `image` [1,1,8,8], output `logits` [1,10], opset 13.",
        f"* Trained with Adam ({args.dense_epochs} epochs, +-1 px shift augmentation), then "
        f"{args.steps} steps of iterative magnitude pruning: each removes "
        f"{args.fraction:.0%} of the remaining conv+gemm weights by global |w|, then "
        f"{args.retrain_epochs} epochs of retraining (Adam, lr {args.retrain_lr:g}, cosine) "
        "with fixed masks (pruned weights "
        "stay exactly 0.0).",
        "* An all-zero filter also gets a zero bias (exactly dead after Relu) and the "
        "next layer's weights reading it are zeroed, before retraining.",
        "* `metadata_props`: `edge.accuracy` (test accuracy via onnxruntime over all "
        f"{n_te} test images), `edge.sparsity` (zero fraction of conv+gemm weights), "
        "`edge.variant`.",
        "* `sample_<k>.npy`: test images [1,1,8,8] float32; `samples.json`: their labels "
        "and per-variant onnxruntime 1.20.1 logits (CPU, optimizations disabled) and "
        "predicted class. The last sample is one the sparsest variant misclassifies "
        "(if any).",
        "",
        "Nonzero params counts conv/gemm weights and biases that are not 0; compact params "
        "is the dense size of the network once the dead filters (and the weights that read "
        "them) are removed; dead filters are filters with all-zero weights and zero bias.",
        "",
        "| variant | file | sparsity | test accuracy | nonzero params | compact params "
        "| dead conv1 | dead conv2 | dead conv3 |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in rows:
        d, f = r["dead_filters"], r["filters"]
        lines.append(
            f"| {r['variant']} | `{r['model']}` | {r['sparsity']:.4f} | {r['accuracy']:.4f} "
            f"| {r['nonzero_params']} / {r['dense_params']} | {r['compact_params']} "
            f"| {d['conv1']}/{f['conv1']} | {d['conv2']}/{f['conv2']} "
            f"| {d['conv3']}/{f['conv3']} |")
    notes = sorted({r["note"] for r in rows if r["note"] not in ("dense", "IMP")})
    if notes:
        lines += ["", "Levels not from plain IMP: " + ", ".join(
            f"{r['variant']} ({r['note']})" for r in rows if r["note"] in notes) + "."]
    (out / "README.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    sys.exit(main())
