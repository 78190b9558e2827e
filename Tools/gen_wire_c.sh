#!/bin/sh
# Regenerates the CEdgeWire target's protobuf-c code from Formats/edge_wire.proto.
exec "$(dirname "$0")/gen_protobuf_c.sh" edge_wire.proto CEdgeWire gen_wire_c.sh
