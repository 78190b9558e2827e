// The thread pool of edge_threads.h.
#include "edge_threads.h"

#include <pthread.h>
#include <stdlib.h>
#include <time.h>

struct edge_pool {
    int threads;
    long scratch_floats;
    float *scratch;            /* (threads - 1) * scratch_floats, workers 1... */
    pthread_t *workers;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    pthread_cond_t done;
    /* The published job; `generation` changes once per edge_pool_run. */
    edge_pool_task task;
    void *context;
    long count;
    long next;                 /* atomic: next index to take */
    unsigned long pending;     /* workers still inside the current job (changed under lock, atomic) */
    unsigned long generation;  /* atomic reads while spinning */
    int stop;
    int started;
    int busy;                  /* atomic: a job is published and not yet joined */
};

/* How long a waiting thread spins before it sleeps on the condition variable, in
   nanoseconds. A time, not a count of pause instructions: one `pause` takes ~10 cycles on
   AMD Zen but ~140 on Intel since Skylake, so the old 20,000 pauses meant ~0.1 ms on one
   machine and ~1 ms on the other, and a spinning thread on a shared or oversubscribed
   core takes that time from the thread doing the work. 50 us covers the gap between two
   parallel regions of a layer (and most single-threaded layers between two parallel
   ones) without holding a core through long serial stretches. */
#define EDGE_SPIN_NS 50000L
/* Pauses between two clock reads while spinning. */
#define EDGE_SPIN_BATCH 16

static __thread edge_pool *edge_current_pool;

void edge_pool_set_current(edge_pool *pool) { edge_current_pool = pool; }
edge_pool *edge_pool_current(void) { return edge_current_pool; }

static void edge_pool_drain(edge_pool *pool, int thread) {
    for (;;) {
        long i = __atomic_fetch_add(&pool->next, 1, __ATOMIC_ACQ_REL);
        if (i >= pool->count) return;
        pool->task(pool->context, i, thread);
    }
}

static inline void edge_cpu_relax(void) {
#if defined(__x86_64__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

static long edge_monotonic_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long)t.tv_sec * 1000000000L + t.tv_nsec;
}

/* Spins while (`*word == value`) == `equal` and *stop (when given) is clear, for at most
   EDGE_SPIN_NS; the caller then checks again under the lock and sleeps if need be. */
static void edge_spin(const unsigned long *word, unsigned long value, int equal, const int *stop) {
    const long start = edge_monotonic_ns();
    for (;;) {
        for (int s = 0; s < EDGE_SPIN_BATCH; s++) {
            if ((__atomic_load_n(word, __ATOMIC_ACQUIRE) == value) != equal) return;
            if (stop && __atomic_load_n(stop, __ATOMIC_ACQUIRE)) return;
            edge_cpu_relax();
        }
        if (edge_monotonic_ns() - start > EDGE_SPIN_NS) return;
    }
}

typedef struct { edge_pool *pool; int thread; } edge_worker_arg;

static void *edge_worker(void *raw) {
    edge_pool *pool = ((edge_worker_arg *)raw)->pool;
    const int thread = ((edge_worker_arg *)raw)->thread;
    free(raw);
    unsigned long seen = 0;
    for (;;) {
        /* Spin a little for the next job, then sleep. */
        edge_spin(&pool->generation, seen, 1, &pool->stop);   /* while no new job */
        pthread_mutex_lock(&pool->lock);
        while (pool->generation == seen && !pool->stop) pthread_cond_wait(&pool->wake, &pool->lock);
        if (pool->stop) {
            pthread_mutex_unlock(&pool->lock);
            return NULL;
        }
        seen = pool->generation;
        pthread_mutex_unlock(&pool->lock);
        edge_pool_drain(pool, thread);
        pthread_mutex_lock(&pool->lock);
        if (__atomic_sub_fetch(&pool->pending, 1, __ATOMIC_ACQ_REL) == 0) pthread_cond_signal(&pool->done);
        pthread_mutex_unlock(&pool->lock);
    }
}

edge_pool *edge_pool_create(int threads, long scratch_floats) {
    if (threads < 1) return NULL;
    edge_pool *pool = calloc(1, sizeof *pool);
    if (!pool) return NULL;
    pool->threads = threads;
    pool->scratch_floats = scratch_floats;
    pthread_mutex_init(&pool->lock, NULL);
    pthread_cond_init(&pool->wake, NULL);
    pthread_cond_init(&pool->done, NULL);
    if (threads > 1) {
        void *s = NULL;
        if (posix_memalign(&s, 64, (size_t)(threads - 1) * (size_t)scratch_floats * sizeof(float) + 64) != 0) {
            edge_pool_destroy(pool);
            return NULL;
        }
        pool->scratch = s;
        pool->workers = calloc((size_t)threads, sizeof(pthread_t));
        if (!pool->workers) { edge_pool_destroy(pool); return NULL; }
        for (int t = 1; t < threads; t++) {
            edge_worker_arg *arg = malloc(sizeof *arg);
            if (!arg) { edge_pool_destroy(pool); return NULL; }
            arg->pool = pool;
            arg->thread = t;
            if (pthread_create(&pool->workers[t], NULL, edge_worker, arg) != 0) {
                free(arg);
                edge_pool_destroy(pool);
                return NULL;
            }
            pool->started = t;
        }
    }
    return pool;
}

void edge_pool_destroy(edge_pool *pool) {
    if (!pool) return;
    pthread_mutex_lock(&pool->lock);
    __atomic_store_n(&pool->stop, 1, __ATOMIC_RELEASE);
    pthread_cond_broadcast(&pool->wake);
    pthread_mutex_unlock(&pool->lock);
    for (int t = 1; t <= pool->started; t++) pthread_join(pool->workers[t], NULL);
    pthread_cond_destroy(&pool->done);
    pthread_cond_destroy(&pool->wake);
    pthread_mutex_destroy(&pool->lock);
    free(pool->workers);
    free(pool->scratch);
    free(pool);
}

int edge_pool_threads(const edge_pool *pool) { return pool ? pool->threads : 1; }

long edge_pool_scratch_floats(const edge_pool *pool) { return pool ? pool->scratch_floats : 0; }

float *edge_pool_scratch(edge_pool *pool, int thread) {
    return pool->scratch + (size_t)(thread - 1) * (size_t)pool->scratch_floats;
}

void edge_pool_run(edge_pool *pool, edge_pool_task task, void *context, long count) {
    if (count <= 0) return;
    /* A job started from inside a task of this pool (nested) runs on the calling thread:
       the workers are busy with the outer job, and republishing would corrupt it. Its
       tasks see thread 0, whose scratch is the one the nested caller passed. */
    if (!pool || pool->threads == 1 || count == 1 || __atomic_exchange_n(&pool->busy, 1, __ATOMIC_ACQ_REL)) {
        for (long i = 0; i < count; i++) task(context, i, 0);
        return;
    }
    pthread_mutex_lock(&pool->lock);
    pool->task = task;
    pool->context = context;
    pool->count = count;
    __atomic_store_n(&pool->next, 0, __ATOMIC_RELEASE);
    __atomic_store_n(&pool->pending, pool->threads - 1, __ATOMIC_RELEASE);
    __atomic_store_n(&pool->generation, pool->generation + 1, __ATOMIC_RELEASE);
    pthread_cond_broadcast(&pool->wake);
    pthread_mutex_unlock(&pool->lock);
    edge_pool_drain(pool, 0);
    /* The workers usually finish within microseconds of the caller: spin before sleeping,
       so a layer does not pay a condition-variable wake-up at its end. */
    edge_spin(&pool->pending, 0, 0, NULL);   /* while workers are inside the job */
    pthread_mutex_lock(&pool->lock);
    while (pool->pending > 0) pthread_cond_wait(&pool->done, &pool->lock);
    pthread_mutex_unlock(&pool->lock);
    __atomic_store_n(&pool->busy, 0, __ATOMIC_RELEASE);
}
