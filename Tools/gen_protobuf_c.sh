#!/bin/sh
# Regenerates a target's committed protobuf-c code from a .proto in Formats/:
#   gen_protobuf_c.sh NAME.proto TARGET [SCRIPT]
# writes Sources/TARGET/NAME.pb-c.c and Sources/TARGET/include/NAME.pb-c.h, with a banner
# naming SCRIPT (the wrapper a developer runs: gen_onnx_c.sh, gen_wire_c.sh).
# Needs protoc-c (Debian/Ubuntu: apt-get install protobuf-c-compiler libprotobuf-c-dev).
# The generated files are committed, so normal builds need only libprotobuf-c.
set -eu

[ $# -ge 2 ] || { echo "usage: $0 NAME.proto TARGET [SCRIPT]" >&2; exit 2; }
proto=$1
target=$2
script=${3:-gen_protobuf_c.sh}
name=${proto%.proto}

root=$(cd "$(dirname "$0")/.." && pwd)
proto_dir="$root/Formats"
out_c="$root/Sources/$target"
out_h="$out_c/include"

[ -f "$proto_dir/$proto" ] || { echo "$script: $proto_dir/$proto not found" >&2; exit 2; }
command -v protoc-c >/dev/null 2>&1 || {
    echo "$script: protoc-c not found (apt-get install protobuf-c-compiler)" >&2
    exit 1
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

(cd "$proto_dir" && protoc-c --c_out="$tmp" "$proto")

banner="/* GENERATED FILE - DO NOT EDIT.
 * Produced by Tools/$script from Formats/$proto with $(protoc-c --version 2>&1 | head -n 1 | tr -d '\n').
 * Edit the .proto and rerun the script instead. */
"

mkdir -p "$out_h"
{ printf '%s\n' "$banner"; cat "$tmp/$name.pb-c.c"; } > "$out_c/$name.pb-c.c"
{ printf '%s\n' "$banner"; cat "$tmp/$name.pb-c.h"; } > "$out_h/$name.pb-c.h"

echo "wrote $out_c/$name.pb-c.c"
echo "wrote $out_h/$name.pb-c.h"
