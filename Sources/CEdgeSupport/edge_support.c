// Header-only shims; this file gives SwiftPM a translation unit.
#include "edge_support.h"
