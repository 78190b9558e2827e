#!/usr/bin/env bash
# Installs what the device build (Firmware/) and its tests need, and only what is missing:
#   aarch64 cross gcc, qemu-user, OpenBLAS and zlib for arm64 (Debian multiarch).
# With --armhf it also tries the 32-bit ARM (armv7 hard-float) cross compiler and libraries.
# Idempotent: a second run on a set-up machine does nothing (no apt-get update either).
# Debian/Ubuntu only; needs root (or sudo).
set -euo pipefail

armhf=0
for a in "$@"; do
    case "$a" in
        --armhf) armhf=1 ;;
        -h|--help) echo "usage: $0 [--armhf]"; exit 0 ;;
        *) echo "setup_cross: unknown option '$a'" >&2; exit 2 ;;
    esac
done

sudo=""
if [ "$(id -u)" != 0 ]; then
    if command -v sudo >/dev/null 2>&1; then sudo="sudo"; else
        echo "setup_cross: needs root (or sudo) to install packages" >&2; exit 1
    fi
fi
export DEBIAN_FRONTEND=noninteractive

installed() { dpkg -s "$1" 2>/dev/null | grep -q '^Status: install ok installed'; }

updated=0      # apt-get update already ran in this invocation
need_update=0  # a new dpkg architecture needs fresh package lists
ensure_arch() {
    if ! dpkg --print-foreign-architectures | grep -qx "$1"; then
        echo "setup_cross: adding dpkg architecture $1"
        $sudo dpkg --add-architecture "$1"
        updated=0
        need_update=1
    fi
}

# True when a package is unknown to apt (lists missing or stale).
unknown() { ! apt-cache show "$1" >/dev/null 2>&1; }

install_missing() {
    local missing=()
    for p in "$@"; do installed "$p" || missing+=("$p"); done
    [ ${#missing[@]} -eq 0 ] && return 0
    if [ "$updated" = 0 ]; then
        local stale=$need_update
        for p in "${missing[@]}"; do unknown "$p" && stale=1; done
        if [ "$stale" = 1 ]; then
            echo "setup_cross: apt-get update"
            # A partly failing mirror still leaves usable lists: go on and let install decide.
            $sudo apt-get update -qq >/dev/null 2>&1 || echo "setup_cross: apt-get update reported errors" >&2
            updated=1
            need_update=0
        fi
    fi
    echo "setup_cross: installing ${missing[*]}"
    local log
    log=$(mktemp)
    if ! $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >"$log" 2>&1; then
        [ "${quiet_fail:-0}" = 1 ] || cat "$log" >&2
        rm -f "$log"
        return 1
    fi
    rm -f "$log"
}

# Like install_missing, but a failure prints nothing from apt.
try_install() { quiet_fail=1 install_missing "$@"; }

ensure_arch arm64
install_missing gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user \
    libopenblas-dev:arm64 zlib1g-dev:arm64 libprotobuf-c-dev:arm64 libsodium-dev:arm64 libmosquitto-dev:arm64
# /usr/bin/time -v measures the device program's peak RSS (optional; small).
install_missing time

if [ "$armhf" = 1 ]; then
    ensure_arch armhf
    install_missing gcc-arm-linux-gnueabihf libc6-dev-armhf-cross
    # The -dev packages pull libc6-dev:armhf, whose linux-libc-dev:armhf must match the
    # host's version exactly; when the mirror lags that is unsatisfiable. The runtime
    # libraries suffice (the Makefile links them by soname; headers are arch-neutral).
    if installed libopenblas0:armhf && installed zlib1g:armhf && ! installed libopenblas-dev:armhf; then
        :   # set up by an earlier run through the fallback below
    elif ! try_install libopenblas-dev:armhf zlib1g-dev:armhf; then
        echo "setup_cross: libopenblas-dev:armhf/zlib1g-dev:armhf not installable; using the runtime libraries"
        if ! install_missing libopenblas0:armhf zlib1g:armhf; then
            echo "setup_cross: armhf libraries could not be installed (armv7 build unavailable)" >&2
            exit 1
        fi
    fi
fi

echo "setup_cross: ok ($(aarch64-linux-gnu-gcc -dumpversion 2>/dev/null | sed 's/^/aarch64-linux-gnu-gcc /'), $(qemu-aarch64 --version 2>/dev/null | head -n1))"
