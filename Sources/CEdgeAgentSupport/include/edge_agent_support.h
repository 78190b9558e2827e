/* Platform code of the device agent: TCP sockets with deadlines, detached threads, a
 * mutex and a counting semaphore, durable file operations (fsync of files and
 * directories, atomic rename) and resident memory. Shared by the host build (SwiftPM)
 * and the Embedded Swift device build, which has no Glibc overlay. */
#ifndef EDGE_AGENT_SUPPORT_H
#define EDGE_AGENT_SUPPORT_H

#include <stddef.h>
#include <stdint.h>

/* ---- sockets ------------------------------------------------------------------ */
/* Listens on an IPv4 address ("127.0.0.1"); port 0 picks a free port. fd or -1. */
int edge_tcp_listen(const char *host, int port, int backlog);
/* The port a listening socket is bound to, or -1. */
int edge_tcp_port(int fd);
/* Waits up to timeout_ms for a connection: fd, -2 on timeout, -1 on error. */
int edge_tcp_accept(int listen_fd, int timeout_ms);
/* Connects with a deadline: fd or -1. */
int edge_tcp_connect(const char *host, int port, int timeout_ms);
/* Reads exactly n bytes before the deadline. Returns n; 0 if the peer closed before the
 * first byte; -1 on error; -2 on timeout; -3 if the peer closed part-way. */
int64_t edge_read_exact(int fd, void *buf, size_t n, int timeout_ms);
/* As edge_read_exact, and *received_ns is when the kernel received the first bytes read
 * (CLOCK_MONOTONIC ns, from the socket's SO_TIMESTAMPNS stamp, which edge_tcp_accept
 * enables), or the time of the read if the segment carries no stamp. */
int64_t edge_read_exact_stamped(int fd, void *buf, size_t n, int timeout_ms, uint64_t *received_ns);
/* A CLOCK_REALTIME stamp (ns) converted to CLOCK_MONOTONIC ns; <= 0 or a future stamp
 * gives the monotonic now. */
uint64_t edge_rx_monotonic_ns(int64_t stamp_realtime_ns);
/* Writes all n bytes before the deadline: 0, or -1 error / -2 timeout. */
int edge_write_exact(int fd, const void *buf, size_t n, int timeout_ms);
void edge_close(int fd);
/* SIGPIPE would kill the agent when a client goes away mid-reply. */
void edge_ignore_sigpipe(void);

/* ---- threads ------------------------------------------------------------------ */
typedef void *(*edge_thread_fn)(void *);
/* Starts a detached thread; 0 on success. */
int edge_thread_start(edge_thread_fn fn, void *ctx);

typedef struct edge_mutex edge_mutex;
edge_mutex *edge_mutex_new(void);
void edge_mutex_lock(edge_mutex *m);
void edge_mutex_unlock(edge_mutex *m);
void edge_mutex_free(edge_mutex *m);

typedef struct edge_semaphore edge_semaphore;
edge_semaphore *edge_semaphore_new(unsigned value);
void edge_semaphore_wait(edge_semaphore *s);
void edge_semaphore_post(edge_semaphore *s);

void edge_sleep_ms(int ms);

/* ---- durable files ------------------------------------------------------------ */
/* Creates a new file for writing (fails if it exists): fd or -1. */
int edge_create_exclusive(const char *path);
int edge_fsync(int fd);
/* fsyncs a directory, making renames and unlinks in it durable. */
int edge_fsync_dir(const char *path);
int edge_rename(const char *from, const char *to);
int edge_unlink(const char *path);
int edge_mkdir(const char *path);
int edge_pwrite_all(int fd, const void *buf, size_t n, int64_t offset);
/* Free bytes available to unprivileged users on the file system of path, or -1. */
int64_t edge_free_bytes(const char *path);

/* Iterates a directory's entry names (not . and ..). Returns an opaque handle or NULL. */
void *edge_dir_open(const char *path);
/* Next name, or NULL at the end; valid until the next call. */
const char *edge_dir_next(void *dir);
void edge_dir_close(void *dir);

/* ---- process ------------------------------------------------------------------ */
/* Resident set size in bytes (from /proc/self/statm), or -1. */
int64_t edge_rss_bytes(void);
/* Wall-clock microseconds since the epoch. */
uint64_t edge_wall_us(void);
void edge_exit(int code);
int edge_getpid(void);

#endif
