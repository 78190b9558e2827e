#!/usr/bin/env python3
"""Fixtures for `edgec prune` (Tests/EdgePruneInitTests): onnxruntime's outputs on pruned models.

    python3 Tools/make_prune_fixtures.py [--edgec .build/debug/edgec]

For each case, runs `edgec prune` on a committed model (Tests/Fixtures/pruning/*,
Tests/Fixtures/portfolio/*) with a fixed method, keep ratio and seed, checks the pruned
ONNX with onnx.checker, runs it in onnxruntime 1.20.1 (CPU, optimizations disabled) on
the source fixture's input and writes Tests/Fixtures/prune/<case>/: case.json (source,
options, output channels of every Conv/Gemm of the pruned model, params from the
report) and out.npy. The pruned ONNX itself is not committed: the Swift test prunes
again with the same options and must produce a model with these channel counts whose
outputs in Edge match onnxruntime's here (pruning is deterministic for a seed).
Requires Tools/requirements.txt.
"""

import argparse
import json
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
from onnx import numpy_helper

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "Tests" / "Fixtures" / "prune"

# name, source model (relative to Tests/Fixtures), input .npy, method, keep, seed, what it covers
CASES = [
    ("digits_reconvene", "portfolio/digits_imp_00.onnx", "portfolio/sample_0.npy", "reconvene", 0.25, 7,
     "conv chain, GlobalAveragePool + Flatten into Gemm"),
    ("resnet_basic_reconvene", "pruning/resnet_basic/model.onnx", "pruning/resnet_basic/run0_in_0.npy", "reconvene", 0.4, 1,
     "residual groups (projection and identity shortcut), standalone BatchNorm, Flatten into Gemm"),
    ("mobilenetv2_reconvene", "pruning/mobilenetv2_block/model.onnx", "pruning/mobilenetv2_block/run0_in_0.npy", "reconvene", 0.5, 2,
     "depthwise convs, inverted residual"),
    ("densenet_reconvene", "pruning/densenet_block/model.onnx", "pruning/densenet_block/run0_in_0.npy", "reconvene", 0.4, 3,
     "Concat of conv outputs"),
    ("flatten_gemm_reconvene", "pruning/flatten_gemm/model.onnx", "pruning/flatten_gemm/run0_in_0.npy", "reconvene", 0.3, 4,
     "Flatten of a spatial map into Gemm (blocks of H*W features)"),
    ("se_block_reconvene", "pruning/se_block/model.onnx", "pruning/se_block/run0_in_0.npy", "reconvene", 0.5, 5,
     "squeeze-excitation (Mul of two tensors)"),
    ("vgg16_bn_l1", "pruning/vgg16_bn_s30/model.onnx", "pruning/vgg16_bn_s30/run0_in_0.npy", "l1", 0.3, 0,
     "filter L1 pruning of a BatchNorm VGG, weights kept"),
    ("mixed_ops_l1", "pruning/mixed_ops/model.onnx", "pruning/mixed_ops/run0_in_0.npy", "l1", 0.6, 0,
     "Split, Resize, depthwise multiplier, ConvTranspose, MatMul (l1: no flow needed)"),
]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--edgec", default=str(ROOT / ".build" / "debug" / "edgec"))
    args = ap.parse_args()
    fixtures = ROOT / "Tests" / "Fixtures"
    if OUT.exists():
        shutil.rmtree(OUT)
    OUT.mkdir(parents=True)
    index = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, source, inp, method, keep, seed, note in CASES:
            pruned = Path(tmp) / f"{name}.onnx"
            report = Path(tmp) / f"{name}.json"
            subprocess.run([args.edgec, "prune", str(fixtures / source), "--method", method, "--keep", str(keep),
                            "--seed", str(seed), "-o", str(pruned), "--report", str(report)], check=True)
            model = onnx.load(str(pruned))
            onnx.checker.check_model(model, full_check=True)
            inits = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
            channels = {}
            for n in model.graph.node:
                if n.op_type in ("Conv", "Gemm"):
                    w = inits[n.input[1]]
                    trans_b = any(a.name == "transB" and a.i == 1 for a in n.attribute)
                    channels[n.name] = int(w.shape[0] if n.op_type == "Conv" or trans_b else w.shape[1])
            so = ort.SessionOptions()
            so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
            so.intra_op_num_threads = 1
            sess = ort.InferenceSession(str(pruned), so, providers=["CPUExecutionProvider"])
            x = np.load(fixtures / inp)
            feed = {sess.get_inputs()[0].name: x}
            outs = sess.run(None, feed)
            d = OUT / name
            d.mkdir()
            np.save(d / "out.npy", outs[0].astype(np.float32))
            r = json.loads(report.read_text())
            case = {"source": source, "input": inp, "input_name": sess.get_inputs()[0].name,
                    "output_name": sess.get_outputs()[0].name, "method": method, "keep": keep, "seed": seed,
                    "tolerance": 1e-4, "channels": channels, "params_after": r["params_after"],
                    "params_before": r["params_before"], "note": note}
            (d / "case.json").write_text(json.dumps(case, indent=1, sort_keys=True) + "\n")
            index.append(f"* `{name}`: {note} ({method}, keep {keep}, seed {seed}): params "
                         f"{r['params_before']} -> {r['params_after']}")
            print(name, r["params_before"], "->", r["params_after"], channels)
    (OUT / "README.md").write_text(
        "# `edgec prune` fixtures\n\nGenerated by `python3 Tools/make_prune_fixtures.py` (do not edit by hand): "
        "onnxruntime 1.20.1 outputs of models pruned by `edgec prune` with fixed options (case.json); "
        "the Swift tests prune again, compare channel counts and run the result in Edge against out.npy.\n\n"
        + "\n".join(index) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
