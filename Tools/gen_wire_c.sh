#!/bin/sh
# Regenerates the protobuf-c code of the CEdgeWire target from Formats/edge_wire.proto:
#   Sources/CEdgeWire/edge_wire.pb-c.c
#   Sources/CEdgeWire/include/edge_wire.pb-c.h
# Needs protoc-c (Debian/Ubuntu: apt-get install protobuf-c-compiler libprotobuf-c-dev).
# Run from anywhere; the generated files are committed, so normal builds need only
# libprotobuf-c, not the compiler.
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
proto_dir="$root/Formats"
out_c="$root/Sources/CEdgeWire"
out_h="$out_c/include"

command -v protoc-c >/dev/null 2>&1 || {
    echo "gen_wire_c.sh: protoc-c not found (apt-get install protobuf-c-compiler)" >&2
    exit 1
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

(cd "$proto_dir" && protoc-c --c_out="$tmp" edge_wire.proto)

banner="/* GENERATED FILE - DO NOT EDIT.
 * Produced by Tools/gen_wire_c.sh from Formats/edge_wire.proto with $(protoc-c --version 2>&1 | head -n 1 | tr -d '\n').
 * Edit the .proto and rerun the script instead. */
"

mkdir -p "$out_h"
{ printf '%s\n' "$banner"; cat "$tmp/edge_wire.pb-c.c"; } > "$out_c/edge_wire.pb-c.c"
{ printf '%s\n' "$banner"; cat "$tmp/edge_wire.pb-c.h"; } > "$out_h/edge_wire.pb-c.h"

echo "wrote $out_c/edge_wire.pb-c.c"
echo "wrote $out_h/edge_wire.pb-c.h"
