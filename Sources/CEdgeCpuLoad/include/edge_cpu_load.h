#ifndef EDGE_CPU_LOAD_H
#define EDGE_CPU_LOAD_H
// Competing CPU load for realtime benchmarks (edgec roma-eval --mode realtime): a child
// process pinned to one core that, during each segment of a schedule, spins for `share` of
// every `period_s` and sleeps for the rest, so the detectors sharing that core get about
// (1 - share) of it. Host only.
#include <sys/types.h>

// Pins the calling thread to `cpu`; 0 on success, -1 on failure (errno set).
int edge_cpu_pin_self(int cpu);

// Forks the load process. Segment i covers [start_s[i], end_s[i]) seconds after the
// CLOCK_MONOTONIC instant `t0_ns`; it takes share[i] in [0, 1] of the core. The child
// sets its nice level to `nice_level` (best effort) and exits after the last segment.
// Returns the child's pid, or -1.
pid_t edge_cpu_load_start(int cpu, int n, const double *start_s, const double *end_s, const double *share,
                          double period_s, int nice_level, unsigned long long t0_ns);

// SIGKILLs and reaps the child (a no-op for pid <= 0).
void edge_cpu_load_stop(pid_t pid);

// CLOCK_MONOTONIC in nanoseconds.
unsigned long long edge_cpu_load_now_ns(void);

#endif
