#!/usr/bin/env bash
# Installs the system packages Edge builds against, only when missing.
set -euo pipefail
arch=$(dpkg --print-architecture)
need=()
# mosquitto: the MQTT broker the fleet tests start; libmosquitto-dev: its client library (CEdgeMqtt);
# openssl: the fleet TLS test makes a self-signed broker certificate with it.
for pkg in libopenblas-dev zlib1g-dev libprotobuf-c-dev protobuf-c-compiler libsodium-dev libmosquitto-dev mosquitto openssl; do
    # Qualify with the native architecture: with arm64 also installed (Firmware/),
    # a bare name is ambiguous to dpkg.
    dpkg -s "$pkg:$arch" >/dev/null 2>&1 || dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
    echo "installing: ${need[*]}"
    SUDO=""
    [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    # A mirror mid-sync for some foreign architecture must not stop a native install.
    $SUDO apt-get update -qq || echo "apt-get update reported errors; trying to install anyway" >&2
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi
command -v swift >/dev/null || { echo "swift not found: install Swift 6.x (https://swift.org/install)" >&2; exit 1; }
