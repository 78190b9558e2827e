#!/usr/bin/env bash
# `make demo`: the main job end to end on bundled models.
#  1. A portfolio of pruned variants of one real model (a small CNN trained on
#     scikit-learn's digits, pruned by iterative magnitude pruning; Tools/train_digits_portfolio.py):
#     compile all levels (dead channels removed), show size, latency and accuracy, predict.
#  2. A ResNet-18 (Tools/make_fixtures.py) at 224x224: compile, inspect, run and check against
#     onnxruntime's output, split it into two slices, benchmark.
set -euo pipefail
cd "$(dirname "$0")/.."
edgec=.build/release/edgec
out=out/demo
mkdir -p "$out"
step() { printf '\n== %s\n' "$*"; }

digits=Tests/Fixtures/portfolio
step "portfolio: 8 pruning levels of a digits CNN -> .edgm + manifest.json"
$edgec portfolio $digits/digits_imp_*.onnx -o $out/portfolio

step "predict one test image (true label 2) with the dense and the 92%-sparse variant"
for v in digits_imp_00 digits_imp_92; do
    printf '%s: ' "$v"
    $edgec run $out/portfolio/$v.edgm --input image=$digits/sample_0.npy --output-dir $out/predict --top 1 | grep '^top'
done

model=Tests/Fixtures/models/resnet18
step "compile ResNet-18 (ONNX -> .edgm)"
$edgec compile $model/model.onnx -o $out/resnet18.edgm --shape input=1x3x224x224

step "inspect"
$edgec inspect $out/resnet18.edgm | tail -n 12

step "run, and compare with onnxruntime's output"
$edgec run $out/resnet18.edgm --input input=$model/run1_in_0.npy --output-dir $out/outputs \
    --expect output=$model/run1_out_0.npy

step "slice: layers 0..7 on one machine, 8..end on another"
$edgec run $out/resnet18.edgm --input input=$model/run1_in_0.npy --slice 0:7 --output-dir $out/part1 --json > $out/part1.json
mid=$(sed -n 's/.*"name" : "\(.*\)",*$/\1/p' $out/part1.json | head -n 1)
$edgec run $out/resnet18.edgm --input "$mid=$out/part1/$(echo "$mid" | tr -c 'A-Za-z0-9._\n-' '_').npy" --slice 8: \
    --output-dir $out/part2 --expect output=$model/run1_out_0.npy

step "benchmark (1 BLAS thread)"
OPENBLAS_NUM_THREADS=1 $edgec bench $out/resnet18.edgm --iterations 20 --warmup 3 2>/dev/null | head -n 1

Tools/demo_agent.sh
