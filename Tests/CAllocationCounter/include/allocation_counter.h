// Counts heap allocations made by this process while counting is on.
//
// Defining malloc/calloc/realloc in the test executable interposes glibc's for the whole
// process; each forwards to glibc's __libc_* entry point. Used by the tests that check
// `Interpreter.run` allocates nothing after load.
#ifndef ALLOCATION_COUNTER_H
#define ALLOCATION_COUNTER_H
#include <stdint.h>

void edge_allocations_start(void);
/// Stops counting and returns the number of allocations since start.
uint64_t edge_allocations_stop(void);

#endif
