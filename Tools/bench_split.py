#!/usr/bin/env python3
"""Accuracy and bytes of `edgec split` Transfer Layers (BENCHMARKS.md, "Split with a Transfer Layer").

    nice -n 19 python3 Tools/bench_split.py [--edgec .build/release/edgec] [--out DIR]

1. Digits CNN (Tests/Fixtures/portfolio/digits_imp_00.onnx): regenerates its data split
   with the trainer's own `load_data` (scikit-learn digits, stratified 75/25,
   random_state=0): the PCA basis is fitted on 256 *training* images, accuracy and
   fidelity are measured on the 450 held-out *test* images. For every valid cut x
   {none, pool2, pca:2/4/8/16, pca:auto (0.99), u8, f16, pca:8+u8}, prints test accuracy
   split vs unsplit, top-1 agreement, bytes per frame actually sent (mean, after zlib).
2. Fixture models (ResNet-18, MobileNetV2, YOLO-style; seeded random weights, so no
   accuracy exists): output fidelity on 16 seeded N(0,1) inputs, basis fitted on 32
   others, at a few cuts.

Needs numpy and scikit-learn (Tools/requirements-train.txt). Runs edgec as a subprocess;
prints a Markdown table and writes it to DIR/split_bench.md with DIR/*.json (raw reports).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "Tools"))


def run(cmd, check=True):
    p = subprocess.run(cmd, capture_output=True, text=True)
    if check and p.returncode != 0:
        raise SystemExit(f"failed ({p.returncode}): {' '.join(cmd)}\n{p.stderr}")
    return p


def valid_cuts(edgec, model, out):
    # An out-of-range cut is refused with the list of valid ones.
    p = run([edgec, "split", model, "--at", "1000000", "-o", str(out / "probe")], check=False)
    tail = p.stderr.split("valid cuts: ")[-1].strip().rstrip(".")
    return [int(x) for x in tail.split(", ") if x.strip().isdigit()]


def split(edgec, model, cut, tl, enc, calib, out, evaluate=None, labels=None):
    d = out / f"{Path(model).stem}_{cut}_{tl.replace(':', '')}_{enc}"
    cmd = [edgec, "split", model, "--at", str(cut), "--tl", tl, "--transfer", enc,
           "--calibration", str(calib), "-o", str(d), "--json"]
    if evaluate is not None:
        cmd += ["--eval", str(evaluate)]
    if labels is not None:
        cmd += ["--labels", str(labels)]
    r = json.loads(run(cmd).stdout)
    (out / (d.name + ".json")).write_text(json.dumps(r, indent=1))
    return r


def digits(edgec, out, lines):
    import train_digits_portfolio as trainer
    x_tr, _, x_te, y_te = trainer.load_data(0)
    data = out / "digits_data"
    data.mkdir(parents=True, exist_ok=True)
    np.save(data / "calib.npy", x_tr[:256].astype(np.float32))
    np.save(data / "test_x.npy", x_te.astype(np.float32))
    np.save(data / "test_y.npy", y_te.astype(np.float32))
    model = out / "digits_imp_00.edgm"
    run([edgec, "compile", str(ROOT / "Tests/Fixtures/portfolio/digits_imp_00.onnx"), "-o", str(model)])
    configs = [("none", "f32"), ("none", "f16"), ("none", "u8"), ("pool2", "f32"), ("pool2", "u8"),
               ("pca:2", "f32"), ("pca:4", "f32"), ("pca:8", "f32"), ("pca:16", "f32"),
               ("pca:auto", "f32"), ("pca:8", "u8")]
    lines += ["### Digits CNN: test accuracy per cut and Transfer Layer (450 held-out test images)", "",
              "| cut (tensor) | TL | enc | K | bytes/frame | vs f32 none | test acc split | unsplit | top-1 agree | mean rel err | added head/tail ms |",
              "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for cut in valid_cuts(edgec, str(model), out):
        base = None
        for tl, enc in configs:
            try:
                r = split(edgec, str(model), cut, tl, enc, data / "calib.npy", out, data / "test_x.npy", data / "test_y.npy")
            except SystemExit as err:
                lines.append(f"| {cut} | {tl} | {enc} | | refused: {str(err).splitlines()[-1].replace('edgec: error: ', '')} | | | | | | |")
                continue
            e = r["evaluation"]
            if base is None:
                base = r["transfer_bytes"]
            t = r["time_ms"]
            loses = " **(loses accuracy)**" if e["accuracy_split"] < e["accuracy_unsplit"] - 1e-9 else ""
            shape = "x".join(map(str, r["cut"]["shape"]))
            lines.append(f"| {cut} ({shape}) | {r['tl']['kind']} | {enc} | {r['k'] or ''} | {r['transfer_bytes']:.0f} | "
                         f"{base / r['transfer_bytes']:.1f}x | {e['accuracy_split']:.4f}{loses} | {e['accuracy_unsplit']:.4f} | "
                         f"{e['top1_agreement']:.4f} | {e['mean_rel_error']:.2e} | {t['added_head']:.3f} / {t['added_tail']:.3f} |")
    lines.append("")


def fixtures(edgec, out, lines):
    models = [("resnet18", {"input": [1, 3, 32, 32]}), ("mobilenetv2", {}), ("yolo_tiny", {"images": [1, 3, 64, 64]})]
    lines += ["### Fixture models: output fidelity (16 seeded N(0,1) inputs; PCA fitted on 32 others)", "",
              "| model | cut (tensor) | TL | enc | K | bytes/frame | vs f32 none | max rel err | mean rel err | top-1 agree |",
              "|---|---|---|---|---:|---:|---:|---:|---:|---:|"]
    rng = np.random.default_rng(11)
    for name, shapes in models:
        src = ROOT / "Tests/Fixtures/models" / name / "model.onnx"
        model = out / f"{name}.edgm"
        cmd = [edgec, "compile", str(src), "-o", str(model)]
        for k, v in shapes.items():
            cmd += ["--shape", f"{k}=" + "x".join(map(str, v))]
        run(cmd)
        shape = list(np.load(ROOT / "Tests/Fixtures/models" / name / "run0_in_0.npy").shape)
        data = out / f"{name}_data"
        data.mkdir(parents=True, exist_ok=True)
        np.save(data / "calib.npy", rng.standard_normal([32] + shape[1:]).astype(np.float32))
        np.save(data / "eval.npy", rng.standard_normal([16] + shape[1:]).astype(np.float32))
        cuts = valid_cuts(edgec, str(model), out)
        picked = sorted(set([cuts[len(cuts) // 4], cuts[len(cuts) // 2], cuts[(3 * len(cuts)) // 4]]))
        for cut in picked:
            base = None
            for tl, enc in [("none", "f32"), ("none", "u8"), ("pool2", "f32"), ("pca:auto", "f32"), ("pca:auto", "u8")]:
                try:
                    r = split(edgec, str(model), cut, tl, enc, data / "calib.npy", out, data / "eval.npy")
                except SystemExit as err:
                    lines.append(f"| {name} | {cut} | {tl} | {enc} | | refused: {str(err).splitlines()[-1].replace('edgec: error: ', '')} | | | | |")
                    continue
                e = r["evaluation"]
                if base is None:
                    base = r["transfer_bytes"]
                agree = f"{e['top1_agreement']:.4f}" if "top1_agreement" in e else "-"
                s = "x".join(map(str, r["cut"]["shape"]))
                lines.append(f"| {name} | {cut} ({s}) | {r['tl']['kind']} | {enc} | {r['k'] or ''} | {r['transfer_bytes']:.0f} | "
                             f"{base / r['transfer_bytes']:.1f}x | {e['max_rel_error']:.2e} | {e['mean_rel_error']:.2e} | {agree} |")
    lines.append("")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--edgec", default=str(ROOT / ".build/release/edgec"))
    ap.add_argument("--out", default="/tmp/edge-split-bench")
    ap.add_argument("--skip-fixtures", action="store_true")
    args = ap.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    lines = []
    digits(args.edgec, out, lines)
    if not args.skip_fixtures:
        fixtures(args.edgec, out, lines)
    text = "\n".join(lines)
    (out / "split_bench.md").write_text(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
