/* Umbrella header of the CEdgeWire target: protobuf-c's runtime API and the code
 * generated from Formats/edge_wire.proto by Tools/gen_wire_c.sh. Swift: `import CEdgeWire`. */
#ifndef CEDGEWIRE_H
#define CEDGEWIRE_H

#include <stdlib.h>
#include <string.h>
#include <protobuf-c/protobuf-c.h>
#include "edge_wire.pb-c.h"

/* Zeroed allocations for building messages from Swift (freed with free()). */
static inline void *edge_wire_calloc(size_t n, size_t size) { return calloc(n == 0 ? 1 : n, size); }

#endif
