// A small fixed thread pool (pthreads) for splitting one layer's work over cores.
//
// Created at load (threads, their stacks and the workers' GEMM scratch are allocated
// there); `edge_pool_run` never allocates and takes no lock while workers are awake: it
// publishes the task range in one atomic ticket (generation and next index), workers
// (and the caller, as thread 0) take indices from it by compare-and-swap, and the caller
// waits only for the tasks still running, never for a worker that has not woken yet
// (on a loaded machine a wake-up costs a scheduler slice). Workers spin briefly (a
// bounded time, not a count of pause instructions) before sleeping on a condition
// variable, so back-to-back parallel regions do not pay a wake-up each.
//
// The interpreter makes its pool "current" for the calling thread while it runs
// (`edge_pool_set_current`, thread-local), and the GEMM (edge_gemm_parallel) picks it up:
// layers need no extra argument, and two interpreters on two threads do not share one.
#ifndef EDGE_THREADS_H
#define EDGE_THREADS_H

typedef struct edge_pool edge_pool;

/// `index` in [0, count); `thread` in [0, threads): the caller is 0.
typedef void (*edge_pool_task)(void *context, long index, int thread);

/// A pool of `threads` (>= 1; threads - 1 workers) whose workers own `scratch_floats` of
/// scratch each. NULL when a thread or allocation failed.
edge_pool *edge_pool_create(int threads, long scratch_floats);
void edge_pool_destroy(edge_pool *pool);
int edge_pool_threads(const edge_pool *pool);
/// Floats of each worker's scratch (0 without a pool).
long edge_pool_scratch_floats(const edge_pool *pool);
/// Worker `thread`'s scratch (thread >= 1).
float *edge_pool_scratch(edge_pool *pool, int thread);

/// Runs task(context, i, thread) for every i in [0, count) and returns when all are done.
/// Indices are taken one at a time by whichever thread is free, so a job of more indices
/// than threads balances itself. A job started from inside a task of the same pool runs
/// on the calling thread alone (as thread 0). Waiting threads spin for a bounded time
/// (EDGE_SPIN_NS), then sleep on a condition variable. Tasks may run on fewer threads
/// than the pool has (all on the caller when the workers are late).
void edge_pool_run(edge_pool *pool, edge_pool_task task, void *context, long count);

/// The pool of the interpreter running on this thread (NULL: single-threaded).
void edge_pool_set_current(edge_pool *pool);
edge_pool *edge_pool_current(void);

#endif
