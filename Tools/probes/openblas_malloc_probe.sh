#!/usr/bin/env bash
# Does OpenBLAS allocate inside sgemm? Builds Tools/probes/openblas_malloc_probe.c for the
# host and for aarch64 (Debian's arm64 OpenBLAS, run under qemu-aarch64) and runs it with
# 1 thread and with OpenBLAS's default thread count. Needs Tools/setup_cross.sh for the
# aarch64 half (skipped if aarch64-linux-gnu-gcc is missing).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
gcc -O1 "$here/openblas_malloc_probe.c" -o "$out/probe" -lopenblas
echo "== host, 1 thread";        PROBE_THREADS=1 "$out/probe"
echo "== host, default threads"; "$out/probe"
if command -v aarch64-linux-gnu-gcc >/dev/null && command -v qemu-aarch64 >/dev/null; then
    aarch64-linux-gnu-gcc -O1 "$here/openblas_malloc_probe.c" -o "$out/probe-arm64" -lopenblas
    for core in "" CORTEXA53 CORTEXA72 NEOVERSEN1; do
        echo "== aarch64 under qemu, 1 thread, OPENBLAS_CORETYPE=${core:-(auto)}"
        OPENBLAS_CORETYPE=$core PROBE_THREADS=1 timeout 600 qemu-aarch64 -L / "$out/probe-arm64"
    done
    echo "== aarch64 under qemu, default threads"
    timeout 900 qemu-aarch64 -L / "$out/probe-arm64"
fi
