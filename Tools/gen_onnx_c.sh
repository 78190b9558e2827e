#!/bin/sh
# Regenerates the CONNX target's protobuf-c code from Formats/onnx.proto.
exec "$(dirname "$0")/gen_protobuf_c.sh" onnx.proto CONNX gen_onnx_c.sh
