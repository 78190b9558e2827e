#!/usr/bin/env bash
# DNNShifter comparisons and agent memory (issue 9), host, loopback only, release build:
#   - switch latency between resident variants vs activations that must cold-load
#     (command received -> first request served, the agent's own switch samples);
#   - RSS of one agent holding a portfolio's N variants vs N agents holding one each;
#   - RSS with 1 and with 8 resident variants;
#   - shared worker arenas vs one arena per variant per worker (--private-arenas).
# Portfolios: digits (the 8 IMP variants of Tests/Fixtures/portfolio, 8x8 input) and
# ResNet-18 (the Tests/Fixtures/models/resnet18 network at 1x3x224x224, made into 8 variants
# by `edgec prune --method l1 --keep K`; untrained weights: latency and memory only).
#   Tools/bench_agent_memory.sh [switches-per-run]   (default 40)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
n_sw=${1:-40}
out="$root/out/bench_agent_memory"
rm -rf "$out"; mkdir -p "$out"
[ -x "$root/.build/release/edged" ] && [ -x "$root/.build/release/edgec" ] || \
    (cd "$root" && swift build -c release --product edgec && swift build -c release --product edged)
E="$root/.build/release/edgec"
D="$root/.build/release/edged"
j() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
$E keygen --out "$out/ops" >/dev/null
K=(--key "$out/ops.key")
pids=()
cleanup() { local q; for q in "${pids[@]}"; do kill -9 "$q" 2>/dev/null || true; wait "$q" 2>/dev/null || true; done; }
trap cleanup EXIT

# --- portfolios: NAME -> out/P/v{1..8}.edgs and out/P/input.npy
pf="$root/Tests/Fixtures/portfolio"
mkdir -p "$out/digits" "$out/resnet18"
i=0
for v in 00 40 64 78 87 92 95 97; do
    i=$((i + 1))
    $E compile "$pf/digits_imp_$v.onnx" -o "$out/digits/v$i.edgm" >/dev/null
done
cp "$pf/sample_0.npy" "$out/digits/input.npy"; echo image > "$out/digits/input_name"
rn="$root/Tests/Fixtures/models/resnet18"
i=0
for keep in 1.0 0.8 0.65 0.5 0.4 0.3 0.2 0.12; do
    i=$((i + 1))
    if [ "$keep" = 1.0 ]; then cp "$rn/model.onnx" "$out/resnet18/v$i.onnx"
    else $E prune "$rn/model.onnx" --method l1 --keep "$keep" --shape input=1x3x224x224 -o "$out/resnet18/v$i.onnx" >/dev/null; fi
    $E compile "$out/resnet18/v$i.onnx" --shape input=1x3x224x224 -o "$out/resnet18/v$i.edgm" >/dev/null
done
cp "$rn/run1_in_0.npy" "$out/resnet18/input.npy"; echo input > "$out/resnet18/input_name"
for p in digits resnet18; do
    for i in 1 2 3 4 5 6 7 8; do
        $E sign "$out/$p/v$i.edgm" --key "$out/ops.key" --name "v$i" --version 1 --family "$p" -o "$out/$p/v$i.edgs" >/dev/null
    done
done

# start_agent DIR [edged options...] -> sets A (address), appends to pids
start_agent() {
    local dir=$1; shift
    mkdir -p "$dir"
    "$D" --listen 127.0.0.1:0 --store "$dir/store" --trust "$out/ops.pub" --port-file "$dir/port" --quiet "$@" &
    pids+=($!)
    for _ in $(seq 100); do [ -s "$dir/port" ] && break; sleep 0.1; done
    A="127.0.0.1:$(cat "$dir/port")"
}
stop_agents() { cleanup; pids=(); }
rss() { $E status --to "$1" --json | j 'd["rss_bytes"]'; }

for p in digits resnet18; do
    in="$(cat "$out/$p/input_name")=$out/$p/input.npy"
    echo "== $p"
    $E inspect "$out/$p/v1.edgm" --json > "$out/$p/v1.inspect.json" 2>/dev/null || true

    # 1. switch latency: 8 resident variants (warm) vs --resident 2 (every activation cold-loads)
    for mode in warm cold; do
        res=8; [ $mode = cold ] && res=2
        start_agent "$out/$p/sw_$mode" --workers 2 --resident $res
        for i in 1 2 3 4 5 6 7 8; do $E push "$out/$p/v$i.edgs" --to "$A" "${K[@]}" --activate >/dev/null; done
        $E loadgen --to "$A" --input "$in" --concurrency 1 --duration 600 --json > "$out/$p/sw_$mode.load.json" &
        lg=$!
        sleep 1
        for k in $(seq "$n_sw"); do
            # cycling over all 8: with --resident 2 the target is never loaded
            $E activate "v$(( (k % 8) + 1 ))" --to "$A" "${K[@]}" >/dev/null
            sleep 0.05
        done
        $E status --to "$A" --json > "$out/$p/sw_$mode.status.json"
        kill "$lg" 2>/dev/null || true; wait "$lg" 2>/dev/null || true
        j '"  switch %s: p50 %.3f ms p99 %.3f ms (%d samples), last cold load %.3f ms" % ("'$mode'", d["switch_p50_ms"], d["switch_p99_ms"], d["switch_samples"], d["last_cold_load_ms"])' < "$out/$p/sw_$mode.status.json"
        stop_agents
    done

    # 2. RSS: one agent with 1 / 8 resident variants, shared vs private arenas; 8 agents with one each
    for arenas in shared private; do
        extra=(); [ $arenas = private ] && extra=(--private-arenas)
        start_agent "$out/$p/mem_$arenas" --workers 2 --resident 8 "${extra[@]}"
        $E push "$out/$p/v1.edgs" --to "$A" "${K[@]}" --activate >/dev/null
        $E loadgen --to "$A" --input "$in" --concurrency 2 --duration 1 --json >/dev/null
        r1=$(rss "$A")
        for i in 2 3 4 5 6 7 8; do
            $E push "$out/$p/v$i.edgs" --to "$A" "${K[@]}" --activate >/dev/null
            $E loadgen --to "$A" --input "$in" --concurrency 2 --duration 1 --json >/dev/null
        done
        r8=$(rss "$A")
        arena=$($E status --to "$A" --json | j 'd["arena_bytes"]')
        echo "  rss $arenas arenas: 1 resident $r1 bytes, 8 resident $r8 bytes (worker arenas reported $arena bytes)"
        echo "$r1 $r8" > "$out/$p/mem_$arenas.txt"
        stop_agents
    done
    sum=0
    for i in 1 2 3 4 5 6 7 8; do
        start_agent "$out/$p/sep_$i" --workers 2
        $E push "$out/$p/v$i.edgs" --to "$A" "${K[@]}" --activate >/dev/null
        $E loadgen --to "$A" --input "$in" --concurrency 2 --duration 1 --json >/dev/null
        sum=$((sum + $(rss "$A")))
    done
    echo "  8 separate agents, one variant each: rss sum $sum bytes"
    echo "$sum" > "$out/$p/sep_sum.txt"
    stop_agents
done
echo "results in $out"
