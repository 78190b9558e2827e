#!/usr/bin/env bash
# Benchmarks the device agent on the host (release build), loopback only:
#   steady-state latency vs latency while activations alternate, switch latency between
#   resident variants, cold-load time, RSS across many swaps, throughput at concurrency
#   1/2/4, and the wire's overhead over the in-process interpreter.
#   Tools/bench_agent.sh [seconds-per-run]   (default 10)
# Models: the digits portfolio (Tests/Fixtures/portfolio). Prints JSON lines and a summary.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
secs=${1:-10}
out="$root/out/bench_agent"
rm -rf "$out"; mkdir -p "$out"
[ -x "$root/.build/release/edged" ] && [ -x "$root/.build/release/edgec" ] || \
    (cd "$root" && swift build -c release --product edgec && swift build -c release --product edged)
E="$root/.build/release/edgec"
D="$root/.build/release/edged"
pf="$root/Tests/Fixtures/portfolio"
in="image=$pf/sample_0.npy"
$E keygen --out "$out/ops" >/dev/null
for v in 00 40 87; do
    $E compile "$pf/digits_imp_$v.onnx" -o "$out/d$v.edgm" >/dev/null
    $E sign "$out/d$v.edgm" --key "$out/ops.key" --name "d$v" --version 1 --family digits -o "$out/d$v.edgs" >/dev/null
done
"$D" --listen 127.0.0.1:0 --store "$out/store" --trust "$out/ops.pub" --port-file "$out/port" --workers 2 --quiet &
pid=$!
trap 'kill -9 $pid 2>/dev/null || true' EXIT
for _ in $(seq 100); do [ -s "$out/port" ] && break; sleep 0.1; done
A="127.0.0.1:$(cat "$out/port")"
K=(--key "$out/ops.key")
$E push "$out/d00.edgs" --to "$A" "${K[@]}" --activate >/dev/null
$E push "$out/d87.edgs" --to "$A" "${K[@]}" >/dev/null
$E push "$out/d40.edgs" --to "$A" "${K[@]}" >/dev/null
$E activate d87 --to "$A" "${K[@]}" >/dev/null; $E activate d00 --to "$A" "${K[@]}" >/dev/null
j() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }

echo "== in-process interpreter (edgec bench d00, 1 thread)"
$E bench "$out/d00.edgm" --iterations 2000 --warmup 100 --threads 1 --json > "$out/inproc.json"
j '"median_ms %.4f" % d["median_ms"]' < "$out/inproc.json"

for c in 1 2 4; do
    echo "== steady load, concurrency $c"
    $E loadgen --to "$A" --input "$in" --concurrency $c --duration "$secs" --json > "$out/steady_c$c.json"
    j '"requests %d failed %d rps %.0f p50_ms %.3f p99_ms %.3f" % (d["requests"], d["failed"], d["rps"], d["p50_ms"], d["p99_ms"])' < "$out/steady_c$c.json"
done

echo "== load (concurrency 4) while d00/d87 alternate every 20 ms"
$E loadgen --to "$A" --input "$in" --concurrency 4 --duration "$secs" --swap d87,d00 --swap-every-ms 20 "${K[@]}" --json > "$out/swaps_c4.json"
j '"requests %d failed %d rps %.0f p50_ms %.3f p99_ms %.3f swaps %d" % (d["requests"], d["failed"], d["rps"], d["p50_ms"], d["p99_ms"], d["swaps"])' < "$out/swaps_c4.json"
$E status --to "$A" --json > "$out/status_swaps.json"
j '"switch latency p50_ms %.3f p99_ms %.3f samples %d" % (d["switch_p50_ms"], d["switch_p99_ms"], d["switch_samples"])' < "$out/status_swaps.json"

echo "== cold load (activate the non-resident d40, 5 times)"
for i in 1 2 3 4 5; do
    $E activate d40 --to "$A" "${K[@]}" >/dev/null
    $E status --to "$A" --json | j '"cold_load_ms %.3f" % d["last_cold_load_ms"]'
    $E activate d00 --to "$A" "${K[@]}" >/dev/null; $E activate d87 --to "$A" "${K[@]}" >/dev/null   # evicts d40
done | tee "$out/cold.txt"

echo "== RSS across 1000 swaps (light load, concurrency 1)"
rss0=$($E status --to "$A" --json | j 'd["rss_bytes"]')
n=0
while [ "$n" -lt 1000 ]; do
    got=$($E loadgen --to "$A" --input "$in" --concurrency 1 --duration 5 --swap d00,d87 --swap-every-ms 0 "${K[@]}" --json | j 'd["swaps"]')
    n=$((n + got))
    echo "  after $n swaps: rss $($E status --to "$A" --json | j 'd["rss_bytes"]') bytes"
done | tee "$out/rss.txt"
rss1=$($E status --to "$A" --json | j 'd["rss_bytes"]')
echo "rss before $rss0 after $rss1 bytes ($(python3 -c "print('%+.2f%%' % (100.0*($rss1-$rss0)/$rss0))"))"
$E status --to "$A"
