#!/usr/bin/env bash
# Installs the system packages Edge builds against, only when missing.
set -euo pipefail
need=()
for pkg in libopenblas-dev zlib1g-dev libprotobuf-c-dev protobuf-c-compiler; do
    dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
    echo "installing: ${need[*]}"
    SUDO=""
    [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi
command -v swift >/dev/null || { echo "swift not found: install Swift 6.x (https://swift.org/install)" >&2; exit 1; }
