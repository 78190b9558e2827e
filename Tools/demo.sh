#!/usr/bin/env bash
# `make demo`: the main job end to end on the bundled demo model (a ResNet-18 built and
# checked against onnxruntime by Tools/make_fixtures.py, at 224x224): compile, inspect,
# run and check against onnxruntime's output, benchmark.
set -euo pipefail
cd "$(dirname "$0")/.."
edgec=.build/release/edgec
model=Tests/Fixtures/models/resnet18
out=out/demo
mkdir -p "$out"

step() { printf '\n== %s\n' "$*"; }

step "compile (ONNX -> .edgm)"
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
OPENBLAS_NUM_THREADS=1 $edgec bench $out/resnet18.edgm --iterations 20 --warmup 3 | head -n 1
