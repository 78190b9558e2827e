#!/usr/bin/env bash
# Fleet rollout benchmark: a real mosquitto on a free 127.0.0.1 port (password login),
# N edged agents in one group, each provisioned with a dense digits variant by a direct
# push, then `edgec fleet rollout` of a pruned variant: once without canaries (time to
# converge) and once with a 10% canary (--observe 0). Prints converge times and the
# resident memory of the broker and the agents. Everything is killed at the end.
#
#   Tools/bench_fleet.sh [N=20] [BIN=.build/release]
set -euo pipefail
n=${1:-20}
bin=${2:-.build/release}
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
for b in edged edgec; do [ -x "$bin/$b" ] || { echo "bench_fleet: $bin/$b missing (swift build -c release)" >&2; exit 2; }; done
w=$(mktemp -d /tmp/edge-bench-fleet.XXXXXX)
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$w"
} 2>/dev/null
trap cleanup EXIT

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mosquitto_passwd -c -b "$w/passwd" fleet bench-password
echo bench-password > "$w/pw"
cat > "$w/mosquitto.conf" <<CONF
listener $port 127.0.0.1
allow_anonymous false
password_file $w/passwd
persistence true
persistence_location $w/
log_dest file $w/mosquitto.log
user $(id -un)
CONF
mosquitto -c "$w/mosquitto.conf" 2>/dev/null & pids+=($!)
broker_pid=$!

"$bin/edgec" compile Tests/Fixtures/portfolio/digits_imp_00.onnx -o "$w/dense.edgm" >/dev/null
"$bin/edgec" compile Tests/Fixtures/portfolio/digits_imp_87.onnx -o "$w/p87.edgm" >/dev/null
"$bin/edgec" keygen --out "$w/ops" >/dev/null
"$bin/edgec" sign "$w/dense.edgm" --key "$w/ops.key" --name dense --version 1 -o "$w/dense.edgs" >/dev/null
"$bin/edgec" sign "$w/p87.edgm" --key "$w/ops.key" --name p87 --version 1 -o "$w/p87.edgs" >/dev/null
"$bin/edgec" sign "$w/dense.edgm" --key "$w/ops.key" --name dense2 --version 1 -o "$w/dense2.edgs" >/dev/null

auth=(--mqtt-user fleet --mqtt-password-file "$w/pw")
agent_pids=()
for i in $(seq 0 $((n - 1))); do
    d="$w/a$i"; mkdir -p "$d"
    "$bin/edged" --listen 127.0.0.1:0 --port-file "$d/port" --store "$d/store" --trust "$w/ops.pub" --quiet \
        --workers 1 --mqtt "127.0.0.1:$port" --device-id "$(printf 'dev-%03d' "$i")" --group bench "${auth[@]}" 2>"$d/log" &
    pids+=($!); agent_pids+=($!)
done
for i in $(seq 0 $((n - 1))); do
    for _ in $(seq 100); do [ -s "$w/a$i/port" ] && break; sleep 0.05; done
    "$bin/edgec" push "$w/dense.edgs" --to "127.0.0.1:$(cat "$w/a$i/port")" --key "$w/ops.key" --activate >/dev/null
done
sleep 1

rss_kb() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }
agents_rss() {
    local sum=0 max=0 r
    for p in "${agent_pids[@]}"; do r=$(rss_kb "$p"); sum=$((sum + r)); [ "$r" -gt "$max" ] && max=$r; done
    echo "agents RSS: mean $((sum / n)) KiB, max $max KiB; broker RSS $(rss_kb "$broker_pid") KiB"
}
echo "== $n agents, before any rollout"; agents_rss

t() { python3 -c 'import json,sys; r=json.load(sys.stdin); print("%s: %d converged in %.2f s" % (r["outcome"], r["converged"], r["seconds"]))'; }
echo "== rollout p87 v1, no canary"
"$bin/edgec" fleet rollout "$w/p87.edgs" --broker "127.0.0.1:$port" --group bench --key "$w/ops.key" "${auth[@]}" \
    --canary 0 --timeout 120 --json 2>/dev/null | t
agents_rss
echo "== rollout dense2 v1, 10% canary, --observe 0"
"$bin/edgec" fleet rollout "$w/dense2.edgs" --broker "127.0.0.1:$port" --group bench --key "$w/ops.key" "${auth[@]}" \
    --canary 10% --observe 0 --timeout 120 --json 2>/dev/null | t
agents_rss
start=$(date +%s.%N)
"$bin/edgec" fleet status --broker "127.0.0.1:$port" --group bench "${auth[@]}" --json >/dev/null
echo "== fleet status of $n devices: $(python3 -c "import time; print(f'{time.time()-$start:.2f}')") s"
