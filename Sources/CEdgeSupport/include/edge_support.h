// C shims shared by the host and the device (Embedded Swift) builds.
//
// Embedded Swift has no Glibc overlay, so everything the runtime needs from libc,
// OpenBLAS and zlib is reached through this one module. Variadic functions (open)
// and macros (MAP_FAILED, errno) are not importable; small static inline helpers
// wrap them.
#ifndef EDGE_SUPPORT_H
#define EDGE_SUPPORT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <time.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <cblas.h>
#include <zlib.h>
#include "edge_activation.h"
#include "edge_gemm.h"
#include "edge_conv_pack.h"
#include "edge_depthwise.h"
#include "edge_direct_conv.h"
#include "edge_threads.h"
#include "edge_interleave.h"

/// Opens a file read-only; returns the descriptor or -1.
static inline int edge_open_read(const char *path) { return open(path, O_RDONLY | O_CLOEXEC); }

/// Creates or truncates a file for writing; returns the descriptor or -1.
static inline int edge_open_write(const char *path) {
    return open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
}

/// Size of an open file in bytes, or -1.
static inline int64_t edge_file_size(int fd) {
    struct stat st;
    if (fstat(fd, &st) != 0) return -1;
    return (int64_t)st.st_size;
}

/// Maps a whole file read-only and private; NULL on failure (MAP_FAILED is a macro).
static inline void *edge_mmap_read(int fd, size_t size) {
    void *p = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
    return p == MAP_FAILED ? NULL : p;
}

static inline int edge_munmap(void *p, size_t size) { return munmap(p, size); }

static inline int edge_errno(void) { return errno; }

/// Monotonic clock in nanoseconds.
static inline uint64_t edge_now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/// CPU time of the whole process (all its threads) in nanoseconds: on a shared machine,
/// what one thread's work cost, whatever the other processes' load (benchmarks only).
static inline uint64_t edge_cpu_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/// 64-byte aligned allocation (cache line, and the alignment of every .edgm weight blob).
static inline void *edge_aligned_alloc(size_t size) {
    void *p = NULL;
    if (posix_memalign(&p, 64, size == 0 ? 64 : size) != 0) return NULL;
    return p;
}

/// Writes all bytes, retrying short writes; 0 on success.
static inline int edge_write_all(int fd, const void *buf, size_t n) {
    const char *c = (const char *)buf;
    while (n > 0) {
        ssize_t w = write(fd, c, n);
        if (w < 0) { if (errno == EINTR) continue; return -1; }
        c += w; n -= (size_t)w;
    }
    return 0;
}

/// Reads up to n bytes, retrying short reads; returns bytes read or -1.
static inline int64_t edge_read_all(int fd, void *buf, size_t n) {
    char *c = (char *)buf; size_t got = 0;
    while (got < n) {
        ssize_t r = read(fd, c + got, n - got);
        if (r < 0) { if (errno == EINTR) continue; return -1; }
        if (r == 0) break;
        got += (size_t)r;
    }
    return (int64_t)got;
}

static inline void edge_write_stderr(const char *s) { fputs(s, stderr); fflush(stderr); }
static inline void edge_write_stdout(const char *s) { fputs(s, stdout); fflush(stdout); }

#endif
