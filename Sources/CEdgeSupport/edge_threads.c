// The thread pool of edge_threads.h.
#include "edge_threads.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

/* One published job. Two slots, used by turns (generation parity): a worker that read
   the ticket of job G just before the caller published G + 1 still reads G's slot, which
   the caller only rewrites for G + 2. */
typedef struct {
    edge_pool_task task;
    void *context;
    long count;
} edge_pool_job;

struct edge_pool {
    int threads;
    long scratch_floats;
    float *scratch;            /* (threads - 1) * scratch_floats, workers 1... */
    pthread_t *workers;
    pthread_mutex_t lock;      /* only for sleeping and waking */
    pthread_cond_t wake;
    pthread_cond_t done;
    edge_pool_job jobs[2];
    int stop;
    int started;
    int busy;                  /* atomic: a job is published and not yet joined */
    int sleepers;              /* atomic: workers asleep (or about to be) on `wake` */
    int caller_waiting;        /* atomic: the caller sleeps (or is about to) on `done` */
    /* The hot words on their own cache lines: workers poll `ticket` while the caller and
       the workers count into `finished`. */
    _Alignas(64) uint64_t ticket;          /* generation << 32 | next index to take */
    _Alignas(64) long finished;          /* tasks of the current job completed */
};

/* How long a waiting thread spins before it sleeps, in nanoseconds. A time, not a
   count of pause instructions: one `pause` takes ~10 cycles on AMD Zen but ~140 on
   Intel since Skylake, and a spinning thread on a shared or oversubscribed core takes
   that time from the thread doing the work. 50 us covers the gap between two parallel
   regions of a layer (and most single-threaded layers between two parallel ones)
   without holding a core through long serial stretches. */
#define EDGE_SPIN_NS 50000L
/* Pauses between two clock reads while spinning. */
#define EDGE_SPIN_BATCH 16

#define EDGE_TICKET_GEN(t) ((t) >> 32)
#define EDGE_TICKET_INDEX(t) ((long)((t) & 0xffffffffu))

static __thread edge_pool *edge_current_pool;

void edge_pool_set_current(edge_pool *pool) { edge_current_pool = pool; }
edge_pool *edge_pool_current(void) { return edge_current_pool; }

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

/* Takes and runs indices of job `gen` until none is left (or a newer job replaced it).
   A worker that wakes late finds the ticket past the count, or of a newer generation,
   and takes nothing: the caller never waits for a thread that did not start a task,
   only for tasks in flight. The count is read before the compare-and-swap: a swap that
   succeeds proves the ticket was still `gen`'s, so (all three sequentially consistent:
   count load, swap, and the caller's ticket store before it rewrites this slot for
   gen + 2) the count read was `gen`'s too. */
static void edge_pool_drain(edge_pool *pool, uint64_t gen, int thread) {
    const edge_pool_job *job = &pool->jobs[gen & 1];
    for (;;) {
        uint64_t t = __atomic_load_n(&pool->ticket, __ATOMIC_ACQUIRE);
        if (EDGE_TICKET_GEN(t) != gen) return;
        const long count = __atomic_load_n(&job->count, __ATOMIC_SEQ_CST);
        if (EDGE_TICKET_INDEX(t) >= count) return;
        if (!__atomic_compare_exchange_n(&pool->ticket, &t, t + 1, 0, __ATOMIC_SEQ_CST, __ATOMIC_ACQUIRE)) continue;
        job->task(job->context, EDGE_TICKET_INDEX(t), thread);
        if (__atomic_add_fetch(&pool->finished, 1, __ATOMIC_SEQ_CST) == count &&
            __atomic_load_n(&pool->caller_waiting, __ATOMIC_SEQ_CST)) {
            pthread_mutex_lock(&pool->lock);
            pthread_cond_signal(&pool->done);
            pthread_mutex_unlock(&pool->lock);
        }
    }
}

/* Spins while the generation in `ticket` is `gen` and no stop is asked, for at most
   EDGE_SPIN_NS. Returns the ticket last read. */
static uint64_t edge_spin_for_job(edge_pool *pool, uint64_t gen) {
    const long start = edge_monotonic_ns();
    for (;;) {
        for (int s = 0; s < EDGE_SPIN_BATCH; s++) {
            const uint64_t t = __atomic_load_n(&pool->ticket, __ATOMIC_ACQUIRE);
            if (EDGE_TICKET_GEN(t) != gen || __atomic_load_n(&pool->stop, __ATOMIC_ACQUIRE)) return t;
            edge_cpu_relax();
        }
        if (edge_monotonic_ns() - start > EDGE_SPIN_NS) return __atomic_load_n(&pool->ticket, __ATOMIC_ACQUIRE);
    }
}

typedef struct { edge_pool *pool; int thread; } edge_worker_arg;

static void *edge_worker(void *raw) {
    edge_pool *pool = ((edge_worker_arg *)raw)->pool;
    const int thread = ((edge_worker_arg *)raw)->thread;
    free(raw);
    uint64_t seen = 0;
    for (;;) {
        uint64_t t = edge_spin_for_job(pool, seen);
        if (EDGE_TICKET_GEN(t) == seen && !__atomic_load_n(&pool->stop, __ATOMIC_ACQUIRE)) {
            /* Sleep. `sleepers` is raised before the ticket is read again and the caller
               reads `sleepers` after publishing (both sequentially consistent): either
               this thread sees the new job, or the caller sees a sleeper and wakes it
               under the lock this thread holds until it waits. */
            pthread_mutex_lock(&pool->lock);
            __atomic_add_fetch(&pool->sleepers, 1, __ATOMIC_SEQ_CST);
            while (EDGE_TICKET_GEN(__atomic_load_n(&pool->ticket, __ATOMIC_SEQ_CST)) == seen &&
                   !__atomic_load_n(&pool->stop, __ATOMIC_SEQ_CST))
                pthread_cond_wait(&pool->wake, &pool->lock);
            __atomic_sub_fetch(&pool->sleepers, 1, __ATOMIC_SEQ_CST);
            pthread_mutex_unlock(&pool->lock);
        }
        if (__atomic_load_n(&pool->stop, __ATOMIC_ACQUIRE)) return NULL;
        seen = EDGE_TICKET_GEN(__atomic_load_n(&pool->ticket, __ATOMIC_ACQUIRE));
        edge_pool_drain(pool, seen, thread);
    }
}

edge_pool *edge_pool_create(int threads, long scratch_floats) {
    if (threads < 1) return NULL;
    edge_pool *pool = NULL;
    if (posix_memalign((void **)&pool, 64, sizeof *pool) != 0) return NULL;
    *pool = (edge_pool){0};
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
    __atomic_store_n(&pool->stop, 1, __ATOMIC_SEQ_CST);
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
       tasks see thread 0, whose scratch is the one the nested caller passed. A count the
       ticket's 32-bit index cannot hold runs there too. */
    if (!pool || pool->threads == 1 || count == 1 || count > 0x7fffffffL ||
        __atomic_exchange_n(&pool->busy, 1, __ATOMIC_ACQ_REL)) {
        for (long i = 0; i < count; i++) task(context, i, 0);
        return;
    }
    /* Publish: the slot of the next generation (no late worker reads it, see
       edge_pool_job), then the ticket that opens it. */
    const uint64_t gen = (EDGE_TICKET_GEN(__atomic_load_n(&pool->ticket, __ATOMIC_RELAXED)) + 1) & 0xffffffffu;
    edge_pool_job *job = &pool->jobs[gen & 1];
    job->task = task;
    job->context = context;
    __atomic_store_n(&job->count, count, __ATOMIC_SEQ_CST);
    __atomic_store_n(&pool->finished, 0, __ATOMIC_RELAXED);
    __atomic_store_n(&pool->ticket, gen << 32, __ATOMIC_SEQ_CST);
    if (__atomic_load_n(&pool->sleepers, __ATOMIC_SEQ_CST) > 0) {
        pthread_mutex_lock(&pool->lock);
        pthread_cond_broadcast(&pool->wake);
        pthread_mutex_unlock(&pool->lock);
    }
    edge_pool_drain(pool, gen, 0);
    /* Every index is taken: wait for the ones still running on workers, spinning first
       (they usually end within microseconds of the caller's last one). */
    if (__atomic_load_n(&pool->finished, __ATOMIC_ACQUIRE) < count) {
        const long start = edge_monotonic_ns();
        while (__atomic_load_n(&pool->finished, __ATOMIC_ACQUIRE) < count && edge_monotonic_ns() - start <= EDGE_SPIN_NS)
            for (int s = 0; s < EDGE_SPIN_BATCH && __atomic_load_n(&pool->finished, __ATOMIC_ACQUIRE) < count; s++)
                edge_cpu_relax();
        if (__atomic_load_n(&pool->finished, __ATOMIC_ACQUIRE) < count) {
            pthread_mutex_lock(&pool->lock);
            __atomic_store_n(&pool->caller_waiting, 1, __ATOMIC_SEQ_CST);
            while (__atomic_load_n(&pool->finished, __ATOMIC_SEQ_CST) < count) pthread_cond_wait(&pool->done, &pool->lock);
            __atomic_store_n(&pool->caller_waiting, 0, __ATOMIC_RELAXED);
            pthread_mutex_unlock(&pool->lock);
        }
    }
    __atomic_store_n(&pool->busy, 0, __ATOMIC_RELEASE);
}
