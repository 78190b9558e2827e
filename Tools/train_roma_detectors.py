#!/usr/bin/env python3
"""Trains ROMA's detector family (small anchor-free, CenterNet-style) with plain numpy.

    nice -n 19 python3 Tools/train_roma_detectors.py [--out DIR] [--edgec PATH] [--quick]

Every detector reads a 128x128 grey frame (input `frame` [1,1,128,128], values 0..1) and
starts with a bilinear Resize to its own input size, so the device feeds all of them the
same tensor and the resolution is part of the model. Then

    conv 3x3 s2 (w) -> conv 3x3 s2 (2w) -> conv 3x3 (2w) -> conv 3x3 s2 (4w) -> conv 3x3 (4w)
    -> head conv 3x3 (5)                 every conv but the head followed by Relu

giving `maps` [1,5,S/8,S/8] at stride 8 of the input: channel 0 the centre heatmap logit,
1..2 the centre's sub-cell offset (x, y), 3..4 log(width, height) in cells. Decoding
(here and in Sources/EdgeRoma/DetectionDecoder.swift, the same rule): sigmoid of the
heatmap, keep cells that are the maximum of their 3x3 neighbourhood with score >= 0.05,
box centre (col + dx, row + dy) * cell, size exp(lw, lh) * cell, clipped to the frame.

Loss: CenterNet's penalty-reduced focal loss (alpha 2, beta 4) on Gaussian centre targets,
L1 on offset and log-size at the centre cells; Adam with cosine decay. Layers (im2col
convolution forward/backward) are imported from Tools/train_digits_portfolio.py. Data are
still frames from Tools/roma_scenario.py (seed 1000 for training, 2000 for the offline
profile; the benchmark scenarios use other seeds). Seeds are fixed: the run is
deterministic for a given numpy/BLAS.

Offline profile per detector (Tests/Fixtures/detectors/<name>.profile.json), computed with
onnxruntime on the exported ONNX over held-out stills:
  * ap50 by object-size bin (sqrt of box area in frame pixels: <12, 12-24, 24-48, >=48),
    COCO-style (ground truth outside the bin and detections matched to it are ignored);
  * recall by size bin (share of ground truth found at IoU 0.5 with score >= 0.05);
  * beta by size bin: the displacement penalty, fitted by least squares on
    log(AP50(shifted) / AP50(still)) = -beta * shift, where the ground truth is moved by
    shift in {1, 2, 4, 8} px in random directions -- what happens when the scene moves on
    while a detector computes (ROMA's degradation factor);
  * latency: `edgec bench --threads 1 --json` of the compiled model (median, p90, min),
    when --edgec is given.
Also written: manifest.json, sample_frame.npy and <name>_maps.npy (onnxruntime's output on
it, for the Swift test against our runtime), README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")
from pathlib import Path
from typing import Dict, List, Tuple

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

sys.path.insert(0, str(Path(__file__).resolve().parent))
from train_digits_portfolio import conv_backward, conv_forward  # noqa: E402
import roma_scenario  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = ROOT / "Tests" / "Fixtures" / "detectors"
FRAME = 128
STRIDE = 8
SIZE_BINS = [0.0, 12.0, 24.0, 48.0, 1e9]
SIZE_BIN_NAMES = ["<12", "12-24", "24-48", ">=48"]
SHIFTS = [1.0, 2.0, 4.0, 8.0]
SCORE_MIN = 0.05
MAX_DETECTIONS = 32

# name, input size, base width, training steps (batch 16)
FAMILY = [
    ("det48-w6", 48, 6, 700),
    ("det64-w8", 64, 8, 600),
    ("det96-w10", 96, 10, 450),
    ("det128-w12", 128, 12, 380),
]


def layer_plan(width: int) -> List[Tuple[str, int, int]]:
    """(name, cout, stride) of the convolutions, head last."""
    return [("conv1", width, 2), ("conv2", 2 * width, 2), ("conv3", 2 * width, 1),
            ("conv4", 4 * width, 2), ("conv5", 4 * width, 1), ("head", 5, 1)]


# ====================================================================== data

def resize_matrix(n_in: int, n_out: int) -> np.ndarray:
    """[n_out, n_in] bilinear weights, half-pixel centres, edge clamp (ONNX Resize linear)."""
    m = np.zeros((n_out, n_in), np.float32)
    for o in range(n_out):
        c = min(max((o + 0.5) * n_in / n_out - 0.5, 0.0), n_in - 1)
        i0 = int(np.floor(c))
        i1 = min(i0 + 1, n_in - 1)
        f = c - i0
        m[o, i0] += 1 - f
        m[o, i1] += f
    return m


def resize_frames(frames: np.ndarray, size: int) -> np.ndarray:
    x = frames.astype(np.float32) / 255.0
    if size == FRAME:
        return x[:, None]
    r = resize_matrix(FRAME, size)
    return np.ascontiguousarray((r @ x @ r.T)[:, None], dtype=np.float32)


def targets(boxes: List[List[List[int]]], grid: int) -> Tuple[np.ndarray, ...]:
    """Heatmap [N,1,G,G], regression [N,4,G,G] (dx, dy, lw, lh) and its mask [N,1,G,G]."""
    n = len(boxes)
    cell = FRAME / grid
    heat = np.zeros((n, 1, grid, grid), np.float32)
    reg = np.zeros((n, 4, grid, grid), np.float32)
    mask = np.zeros((n, 1, grid, grid), np.float32)
    gy, gx = np.meshgrid(np.arange(grid), np.arange(grid), indexing="ij")
    for i, bs in enumerate(boxes):
        for x0, y0, x1, y1, _ in sorted(bs, key=lambda b: (b[2] - b[0]) * (b[3] - b[1])):
            cx, cy = (x0 + x1) / 2 / cell, (y0 + y1) / 2 / cell
            w, h = (x1 - x0) / cell, (y1 - y0) / cell
            col, row = min(int(cx), grid - 1), min(int(cy), grid - 1)
            sx, sy = max(0.5, w / 6), max(0.5, h / 6)
            g = np.exp(-((gx - col) ** 2 / (2 * sx * sx) + (gy - row) ** 2 / (2 * sy * sy)))
            heat[i, 0] = np.maximum(heat[i, 0], g)
            heat[i, 0, row, col] = 1.0
            reg[i, :, row, col] = [cx - col, cy - row, np.log(w), np.log(h)]
            mask[i, 0, row, col] = 1.0
    return heat, reg, mask


# ====================================================================== model

def init_params(width: int, rng: np.random.Generator) -> Dict[str, np.ndarray]:
    p, cin = {}, 1
    for name, cout, _ in layer_plan(width):
        scale = np.sqrt(2.0 / (cin * 9)) if name != "head" else 0.01
        p[name + ".weight"] = (rng.standard_normal((cout, cin, 3, 3)) * scale).astype(np.float32)
        p[name + ".bias"] = np.zeros(cout, np.float32)
        cin = cout
    p["head.bias"][0] = -2.19   # heatmap prior 0.1 (CenterNet)
    return p


def forward(p, width: int, x: np.ndarray, keep: bool = False):
    caches, h = [], x
    plan = layer_plan(width)
    for name, _, stride in plan:
        z, cache = conv_forward(h, p[name + ".weight"], p[name + ".bias"], stride)
        if name != "head":
            h = np.maximum(z, 0.0)
            caches.append((name, stride, cache, z > 0))
        else:
            h = z
            caches.append((name, stride, cache, None))
    return (h, caches) if keep else h


def loss_and_grads(p, width, x, heat, reg, mask):
    out, caches = forward(p, width, x, keep=True)
    n_obj = max(1.0, float(mask.sum()))
    logit = out[:, :1]
    prob = np.clip(1.0 / (1.0 + np.exp(-logit)), 1e-6, 1 - 1e-6)
    pos = heat >= 1.0
    neg_w = (1.0 - heat) ** 4
    loss_pos = -((1 - prob) ** 2 * np.log(prob))[pos].sum()
    loss_neg = -(neg_w * prob ** 2 * np.log(1 - prob))[~pos].sum()
    d_pos = -(1 - prob) ** 2 * ((1 - prob) - 2 * prob * np.log(prob))
    d_neg = -neg_w * prob ** 2 * (2 * (1 - prob) * np.log(1 - prob) - prob)
    dlogit = np.where(pos, d_pos, d_neg) / n_obj
    diff = (out[:, 1:] - reg) * mask
    loss_reg = np.abs(diff).sum() / n_obj
    dreg = np.sign(diff) * mask / n_obj
    loss = (loss_pos + loss_neg) / n_obj + loss_reg
    dh = np.concatenate([dlogit, dreg], axis=1).astype(np.float32)
    g = {}
    for name, stride, cache, active in reversed(caches):
        if active is not None:
            dh = dh * active
        dh, g[name + ".weight"], g[name + ".bias"] = conv_backward(dh, p[name + ".weight"], cache, stride)
    return float(loss), g


class Adam:
    def __init__(self, params, lr: float, steps: int):
        self.lr, self.steps, self.t = lr, steps, 0
        self.m = {k: np.zeros_like(v) for k, v in params.items()}
        self.v = {k: np.zeros_like(v) for k, v in params.items()}

    def step(self, p, g, wd: float = 1e-4):
        self.t += 1
        lr = self.lr * 0.5 * (1 + np.cos(np.pi * (self.t - 1) / self.steps))
        for k in p:
            gk = g[k] + (wd * p[k] if k.endswith(".weight") else 0.0)
            self.m[k] = 0.9 * self.m[k] + 0.1 * gk
            self.v[k] = 0.999 * self.v[k] + 0.001 * gk * gk
            mh = self.m[k] / (1 - 0.9 ** self.t)
            vh = self.v[k] / (1 - 0.999 ** self.t)
            p[k] = (p[k] - lr * mh / (np.sqrt(vh) + 1e-8)).astype(np.float32)


def train(name, size, width, steps, frames, boxes, rng, batch=16):
    p = init_params(width, rng)
    opt = Adam(p, 3e-3, steps)
    x_all = resize_frames(frames, size)
    grid = size // STRIDE
    t0 = time.time()
    for s in range(steps):
        idx = rng.integers(0, len(frames), batch)
        xb = x_all[idx].copy()
        bb = [boxes[i] for i in idx]
        flip = rng.random(batch) < 0.5
        xb[flip] = xb[flip][..., ::-1]
        bb = [[[FRAME - b[2], b[1], FRAME - b[0], b[3], b[4]] for b in bs] if f else bs
              for bs, f in zip(bb, flip)]
        heat, reg, mask = targets(bb, grid)
        loss, g = loss_and_grads(p, width, np.ascontiguousarray(xb), heat, reg, mask)
        opt.step(p, g)
        if s % 100 == 0 or s == steps - 1:
            print(f"  {name} step {s + 1}/{steps} loss {loss:.3f} ({time.time() - t0:.0f} s)", flush=True)
    return p


# ====================================================================== decode and AP

def decode(maps: np.ndarray) -> List[Tuple[float, float, float, float, float]]:
    """maps [5,G,G] -> [(x0, y0, x1, y1, score)] in frame pixels, best first."""
    grid = maps.shape[1]
    cell = FRAME / grid
    score = 1.0 / (1.0 + np.exp(-maps[0]))
    padded = np.pad(score, 1, constant_values=-1.0)
    win = np.lib.stride_tricks.sliding_window_view(padded, (3, 3)).max(axis=(2, 3))
    rows, cols = np.nonzero((score >= win) & (score >= SCORE_MIN))
    dets = []
    for r, c in zip(rows, cols):
        cx, cy = (c + maps[1, r, c]) * cell, (r + maps[2, r, c]) * cell
        w, h = np.exp(maps[3, r, c]) * cell, np.exp(maps[4, r, c]) * cell
        dets.append((max(0.0, cx - w / 2), max(0.0, cy - h / 2), min(FRAME, cx + w / 2),
                     min(FRAME, cy + h / 2), float(score[r, c])))
    dets.sort(key=lambda d: -d[4])
    return dets[:MAX_DETECTIONS]


def iou(a, b) -> float:
    iw = min(a[2], b[2]) - max(a[0], b[0])
    ih = min(a[3], b[3]) - max(a[1], b[1])
    if iw <= 0 or ih <= 0:
        return 0.0
    inter = iw * ih
    return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter)


def box_size(b) -> float:
    return float(np.sqrt(max(0.0, b[2] - b[0]) * max(0.0, b[3] - b[1])))


def size_bin(s: float) -> int:
    return int(np.searchsorted(SIZE_BINS, s, side="right") - 1)


def ap101(scores: List[float], tp: List[bool], n_gt: int) -> float:
    """COCO's 101-point interpolated AP."""
    if n_gt == 0:
        return float("nan")
    order = np.argsort(-np.asarray(scores), kind="stable")
    t = np.asarray(tp, bool)[order]
    ctp, cfp = np.cumsum(t), np.cumsum(~t)
    rec = ctp / n_gt
    prec = ctp / np.maximum(ctp + cfp, 1)
    prec = np.maximum.accumulate(prec[::-1])[::-1] if len(prec) else prec
    out = 0.0
    for r in np.linspace(0, 1, 101):
        k = np.searchsorted(rec, r - 1e-12, side="left")   # recall exactly at a level reaches it
        out += prec[k] if k < len(prec) else 0.0
    return out / 101


def evaluate(dets_per_frame, gts_per_frame, threshold=0.5, bin_index=None):
    """AP and recall; with bin_index, COCO-style restricted to that size bin."""
    scores, tps, n_gt, found = [], [], 0, 0
    for dets, gts in zip(dets_per_frame, gts_per_frame):
        in_bin = [bin_index is None or size_bin(box_size(g)) == bin_index for g in gts]
        n_gt += sum(in_bin)
        used = [False] * len(gts)
        for d in dets:
            best, bi = threshold, -1
            for j, g in enumerate(gts):
                if not used[j]:
                    v = iou(d, g)
                    if v >= best:
                        best, bi = v, j
            if bi >= 0:
                used[bi] = True
                if in_bin[bi]:
                    scores.append(d[4])
                    tps.append(True)
                    found += 1
            elif bin_index is None or size_bin(box_size(d)) == bin_index:
                scores.append(d[4])
                tps.append(False)
    return ap101(scores, tps, n_gt), (found / n_gt if n_gt else float("nan")), n_gt


def shifted(gts_per_frame, shift: float, rng):
    out = []
    for gts in gts_per_frame:
        moved = []
        for g in gts:
            a = rng.uniform(0, 2 * np.pi)
            dx, dy = shift * np.cos(a), shift * np.sin(a)
            moved.append([g[0] + dx, g[1] + dy, g[2] + dx, g[3] + dy, g[4]])
        out.append(moved)
    return out


# ====================================================================== ONNX

def export(p, name: str, size: int, width: int, path: Path, meta: Dict[str, str]) -> None:
    nodes, inits = [], []
    x = "frame"
    if size != FRAME:
        scale = np.array([1, 1, size / FRAME, size / FRAME], np.float32)
        inits.append(numpy_helper.from_array(scale, "resize.scales"))
        nodes.append(helper.make_node("Resize", [x, "", "resize.scales"], ["/resize/Resize_output_0"],
                                      name="/resize/Resize", mode="linear",
                                      coordinate_transformation_mode="half_pixel"))
        x = "/resize/Resize_output_0"
    for lname, _, stride in layer_plan(width):
        w, b = lname + ".weight", lname + ".bias"
        inits += [numpy_helper.from_array(p[w], w), numpy_helper.from_array(p[b], b)]
        out = "maps" if lname == "head" else f"/{lname}/Conv_output_0"
        nodes.append(helper.make_node("Conv", [x, w, b], [out], name=f"/{lname}/Conv",
                                      kernel_shape=[3, 3], pads=[1, 1, 1, 1], strides=[stride, stride]))
        if lname != "head":
            x = f"/{lname}/Relu_output_0"
            nodes.append(helper.make_node("Relu", [out], [x], name=f"/{lname}/Relu"))
    g = size // STRIDE
    graph = helper.make_graph(
        nodes, name,
        [helper.make_tensor_value_info("frame", TensorProto.FLOAT, [1, 1, FRAME, FRAME])],
        [helper.make_tensor_value_info("maps", TensorProto.FLOAT, [1, 5, g, g])],
        initializer=inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)],
                              producer_name="edge-train-roma-detectors", producer_version="1",
                              doc_string=f"ROMA detector {name}; generated by Tools/train_roma_detectors.py")
    model.ir_version = 8
    helper.set_model_props(model, meta)
    model = onnx.shape_inference.infer_shapes(model)
    onnx.checker.check_model(model, full_check=True)
    onnx.save(model, str(path))


def ort_session(path: Path):
    import onnxruntime as ort
    so = ort.SessionOptions()
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    so.intra_op_num_threads = 1
    return ort.InferenceSession(str(path), so, providers=["CPUExecutionProvider"])


def bench(edgec: str, onnx_path: Path, workdir: Path, repeats: int = 3) -> dict:
    """edgec bench, `repeats` times; keeps the run with the lowest median (the machine is
    shared: the least disturbed run is the closest to the device's own latency)."""
    edgm = workdir / (onnx_path.stem + ".edgm")
    subprocess.run(["nice", "-n", "19", edgec, "compile", str(onnx_path), "-o", str(edgm)],
                   check=True, stdout=subprocess.DEVNULL)
    runs = []
    for _ in range(repeats):
        out = subprocess.run(["nice", "-n", "19", edgec, "bench", str(edgm), "--threads", "1",
                              "--iterations", "200", "--warmup", "20", "--json"],
                             check=True, capture_output=True, text=True).stdout
        runs.append(json.loads(out))
    r = min(runs, key=lambda x: x["median_ms"])
    return {"median_ms": round(r["median_ms"], 4), "p90_ms": round(r["p90_ms"], 4),
            "min_ms": round(r["min_ms"], 4), "iterations": r["iterations"],
            "medians_of_repeats": [round(x["median_ms"], 4) for x in runs],
            "flops": r["flops"], "arena_bytes": r["arena_bytes"],
            "command": f"edgec bench MODEL.edgm --threads 1 --iterations 200 --warmup 20 --json "
                       f"(nice -n 19), best median of {repeats}"}


def offline_profile(path: Path, name: str, size: int, width: int, params: int,
                    ev_frames: np.ndarray, ev_boxes) -> dict:
    """AP, recall and beta by size bin on the held-out stills, with onnxruntime."""
    sess = ort_session(path)
    maps = np.concatenate([sess.run(["maps"], {"frame": resize_frames(ev_frames[k:k + 1], FRAME)})[0]
                           for k in range(len(ev_frames))])
    dets = [decode(m) for m in maps]
    ap50, rec, n_gt = evaluate(dets, ev_boxes, 0.5)
    maps_all = [evaluate(dets, ev_boxes, t)[0] for t in np.arange(0.5, 0.96, 0.05)]
    bins = []
    for b in range(len(SIZE_BIN_NAMES)):
        ap_b, rec_b, n_b = evaluate(dets, ev_boxes, 0.5, b)
        srng = np.random.default_rng(7)
        ratios = []
        for s in SHIFTS:
            ap_s = evaluate(dets, shifted(ev_boxes, s, srng), 0.5, b)[0]
            ratios.append(max(ap_s, 1e-3) / max(ap_b, 1e-3))
        # least squares through the origin: log(ratio) = -beta * shift
        xs = np.asarray(SHIFTS)
        beta = float(max(0.0, -(xs * np.log(ratios)).sum() / (xs * xs).sum()))
        bins.append({"bin": SIZE_BIN_NAMES[b], "min_px": SIZE_BINS[b],
                     "max_px": SIZE_BINS[b + 1] if b + 1 < len(SIZE_BIN_NAMES) else None,
                     "ground_truth": n_b, "ap50": round(ap_b, 4), "recall": round(rec_b, 4),
                     "beta_per_px": round(beta, 4),
                     "ap50_shifted": {str(int(s)): round(r * ap_b, 4) for s, r in zip(SHIFTS, ratios)}})
    return {"name": name, "input_size": size, "width": width, "params": params,
            "stills": {"seed": 2000, "frames": len(ev_frames), "ground_truth": n_gt},
            "ap50": round(ap50, 4), "map": round(float(np.mean(maps_all)), 4),
            "recall": round(rec, 4), "size_bins": bins}


# ====================================================================== main

def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    ap.add_argument("--edgec", help="edgec binary (release) for the latency profile")
    ap.add_argument("--train-stills", type=int, default=2000)
    ap.add_argument("--eval-stills", type=int, default=300)
    ap.add_argument("--quick", action="store_true", help="10 steps each (a smoke test, not the fixtures)")
    ap.add_argument("--steps-scale", type=float, default=3.0, help="multiply every detector's training steps")
    ap.add_argument("--only", help="comma-separated detector names")
    ap.add_argument("--profile-only", action="store_true",
                    help="only recompute the offline profiles of trained detectors (keeps their latency)")
    ap.add_argument("--bench-only", action="store_true",
                    help="only (re)measure the latency of trained detectors (needs --edgec)")
    args = ap.parse_args()
    if args.bench_only and not args.edgec:
        ap.error("--bench-only needs --edgec")
    t0 = time.time()
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    cache = Path(f"/tmp/roma-stills-{args.train_stills}-{args.eval_stills}.json")
    if cache.exists():
        doc = json.loads(cache.read_text())
        tr_boxes, ev_boxes = doc["train"], doc["eval"]
        tr_frames, ev_frames = np.load(cache.with_suffix(".train.npy")), np.load(cache.with_suffix(".eval.npy"))
    else:
        print(f"rendering {args.train_stills} training and {args.eval_stills} held-out stills", flush=True)
        tr_frames, tr_boxes = roma_scenario.render_stills(args.train_stills, seed=1000)
        ev_frames, ev_boxes = roma_scenario.render_stills(args.eval_stills, seed=2000)
        np.save(cache.with_suffix(".train.npy"), tr_frames)
        np.save(cache.with_suffix(".eval.npy"), ev_frames)
        cache.write_text(json.dumps({"train": tr_boxes, "eval": ev_boxes}))
    if args.only == "none":
        return 0
    sample = (ev_frames[:1].astype(np.float32) / 255.0)[:, None]
    np.save(out / "sample_frame.npy", np.ascontiguousarray(sample))
    family = [f for f in FAMILY if not args.only or f[0] in args.only.split(",")]
    for i, (name, size, width, steps) in enumerate(FAMILY):
        if (name, size, width, steps) not in family:
            continue
        if args.profile_only:
            pf = out / f"{name}.profile.json"
            old = json.loads(pf.read_text()) if pf.exists() else {}
            model = onnx.load(str(out / f"{name}.onnx"))
            params = sum(int(np.prod(t.dims)) for t in model.graph.initializer if t.name != "resize.scales")
            profile = offline_profile(out / f"{name}.onnx", name, size, width, params, ev_frames, ev_boxes)
            if "latency" in old:
                profile["latency"] = old["latency"]
            pf.write_text(json.dumps(profile, indent=1) + "\n")
            print(f"{name}: AP50 {profile['ap50']:.3f} (profile recomputed)", flush=True)
            continue
        if args.bench_only:
            pf = out / f"{name}.profile.json"
            profile = json.loads(pf.read_text())
            profile["latency"] = bench(args.edgec, out / f"{name}.onnx", Path("/tmp"))
            pf.write_text(json.dumps(profile, indent=1) + "\n")
            print(f"{name}: latency {profile['latency']['median_ms']:.3f} ms", flush=True)
            continue
        rng = np.random.default_rng(100 + i)
        p = train(name, size, width, 10 if args.quick else int(round(steps * args.steps_scale)), tr_frames, tr_boxes, rng)
        path = out / f"{name}.onnx"
        params = sum(v.size for v in p.values())
        meta = {"edge.variant": name, "edge.input_size": str(size), "edge.width": str(width),
                "edge.stride": str(STRIDE)}
        export(p, name, size, width, path, meta)
        sess = ort_session(path)
        first = sess.run(["maps"], {"frame": resize_frames(ev_frames[:1], FRAME)})[0]
        # numpy forward agrees with onnxruntime on the first frame (catches export mistakes)
        err = float(np.abs(forward(p, width, resize_frames(ev_frames[:1], size)) - first).max())
        assert err < 1e-3, f"{name}: numpy vs onnxruntime differ by {err}"
        np.save(out / f"{name}_maps.npy", first)
        profile = offline_profile(path, name, size, width, int(params), ev_frames, ev_boxes)
        if args.edgec:
            profile["latency"] = bench(args.edgec, path, Path("/tmp"))
        (out / f"{name}.profile.json").write_text(json.dumps(profile, indent=1) + "\n")
        print(f"{name}: AP50 {profile['ap50']:.3f} mAP {profile['map']:.3f} by size "
              + " ".join(f"{b['bin']}:{b['ap50']:.2f}" for b in profile["size_bins"])
              + (f" latency {profile['latency']['median_ms']:.3f} ms" if args.edgec else ""), flush=True)
    # the manifest lists every family member whose profile exists (runs with --only add up)
    entries = []
    for name, size, width, _ in FAMILY:
        pf = out / f"{name}.profile.json"
        if not pf.exists():
            continue
        prof = json.loads(pf.read_text())
        entries.append({"name": name, "model": f"{name}.onnx", "profile": pf.name,
                        "input_size": size, "width": width, "params": prof["params"],
                        "ap50": prof["ap50"], "map": prof["map"],
                        "latency_ms": prof.get("latency", {}).get("median_ms")})
    manifest = {"format": "roma-detectors", "version": 1, "frame": [FRAME, FRAME], "input": "frame",
                "output": "maps", "stride": STRIDE, "score_min": SCORE_MIN,
                "max_detections": MAX_DETECTIONS, "size_bins_px": SIZE_BINS[1:-1],
                "sample": "sample_frame.npy", "detectors": entries}
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    write_readme(out, entries)
    print(f"done in {time.time() - t0:.0f} s", flush=True)
    return 0


def write_readme(out: Path, entries) -> None:
    lines = [
        "# ROMA detectors (CenterNet-style, trained with numpy)",
        "",
        "Generated by `nice -n 19 python3 Tools/train_roma_detectors.py --edgec .build/release/edgec`",
        "(see its docstring: architecture, loss, data, profiles; packages in `Tools/requirements-train.txt`).",
        "Do not edit by hand. Format of `manifest.json` and `<name>.profile.json`: `Formats/ROMA_SCENARIO.md`.",
        "",
        "AP50 on 300 held-out 128x128 stills (seed 2000, onnxruntime), by object size (sqrt of box area, frame px);",
        "latency: `edgec bench --threads 1`, best median of 3 runs on the (shared) development machine.",
        "",
        "| detector | input | width | params | AP50 | mAP | AP50 <12 | 12-24 | 24-48 | >=48 | median ms | p90 ms |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for e in entries:
        prof = json.loads((out / e["profile"]).read_text())
        lat = prof.get("latency", {})
        bins = " | ".join(f"{b['ap50']:.3f}" for b in prof["size_bins"])
        lines.append(f"| {e['name']} | {e['input_size']} | {e['width']} | {e['params']} | {prof['ap50']:.3f} "
                     f"| {prof['map']:.3f} | {bins} | {lat.get('median_ms', float('nan')):.3f} "
                     f"| {lat.get('p90_ms', float('nan')):.3f} |")
    (out / "README.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    sys.exit(main())
