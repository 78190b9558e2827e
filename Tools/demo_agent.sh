#!/usr/bin/env bash
# The hot-swap scene of `make demo`: a device agent on 127.0.0.1 gets two signed variants
# of the digits CNN, switches between them while a small load runs, and reports.
# Everything it starts is killed on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
edgec=.build/release/edgec
edged=.build/release/edged
out=out/demo/agent
rm -rf "$out"; mkdir -p "$out"
step() { printf '\n== %s\n' "$*"; }
digits=Tests/Fixtures/portfolio

step "agent: key pair, two signed variants (dense and 87%-pruned digits CNN)"
$edgec keygen --out $out/ops
for v in 00 87; do
    $edgec compile $digits/digits_imp_$v.onnx -o $out/d$v.edgm >/dev/null
    $edgec sign $out/d$v.edgm --key $out/ops.key --name digits-p$v --version 1 --family digits -o $out/d$v.edgs
done

step "start edged on 127.0.0.1 (free port), trusting only ops.pub"
$edged --listen 127.0.0.1:0 --store $out/store --trust $out/ops.pub --port-file $out/port --quiet &
pid=$!
trap 'kill -9 $pid 2>/dev/null || true' EXIT
for _ in $(seq 100); do [ -s $out/port ] && break; sleep 0.1; done
to=127.0.0.1:$(cat $out/port)
echo "listening on $to"

step "push both (the first one activated), infer"
$edgec push $out/d00.edgs --to $to --key $out/ops.key --activate
$edgec push $out/d87.edgs --to $to --key $out/ops.key
$edgec infer --to $to --input image=$digits/sample_0.npy --output-dir $out/infer

step "refused: an unsigned model, and a version that is already installed"
$edgec push $out/d00.edgm --to $to --key $out/ops.key || true
$edgec push $out/d00.edgs --to $to --key $out/ops.key || true

step "3 s of load (2 clients) while the variants alternate every 100 ms"
$edgec loadgen --to $to --input image=$digits/sample_0.npy --concurrency 2 --duration 3 \
    --swap digits-p87,digits-p00 --swap-every-ms 100 --key $out/ops.key

step "status"
$edgec status --to $to
