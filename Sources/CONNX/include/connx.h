/* Umbrella header of the CONNX target: protobuf-c's runtime API and the code generated
 * from Formats/onnx.proto by Tools/gen_onnx_c.sh. Swift code does `import CONNX`. */
#ifndef CONNX_H
#define CONNX_H

#include <protobuf-c/protobuf-c.h>
#include "onnx.pb-c.h"

#endif
