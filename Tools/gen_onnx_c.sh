#!/bin/sh
# Regenerates the protobuf-c code of the CONNX target from Formats/onnx.proto:
#   Sources/CONNX/onnx.pb-c.c
#   Sources/CONNX/include/onnx.pb-c.h
# Needs protoc-c (Debian/Ubuntu: apt-get install protobuf-c-compiler libprotobuf-c-dev).
# Run from anywhere; the generated files are committed, so normal builds need only
# libprotobuf-c, not the compiler.
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
proto_dir="$root/Formats"
out_c="$root/Sources/CONNX"
out_h="$out_c/include"

command -v protoc-c >/dev/null 2>&1 || {
    echo "gen_onnx_c.sh: protoc-c not found (apt-get install protobuf-c-compiler)" >&2
    exit 1
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

(cd "$proto_dir" && protoc-c --c_out="$tmp" onnx.proto)

banner="/* GENERATED FILE - DO NOT EDIT.
 * Produced by Tools/gen_onnx_c.sh from Formats/onnx.proto with $(protoc-c --version 2>&1 | head -n 1 | tr -d '\n').
 * Edit the .proto and rerun the script instead. */
"

mkdir -p "$out_h"
{ printf '%s\n' "$banner"; cat "$tmp/onnx.pb-c.c"; } > "$out_c/onnx.pb-c.c"
{ printf '%s\n' "$banner"; cat "$tmp/onnx.pb-c.h"; } > "$out_h/onnx.pb-c.h"

echo "wrote $out_c/onnx.pb-c.c"
echo "wrote $out_h/onnx.pb-c.h"
