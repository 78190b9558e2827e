#define _GNU_SOURCE
#include "edge_agent_support.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

static uint64_t now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static int make_addr(const char *host, int port, struct sockaddr_in *a) {
    memset(a, 0, sizeof *a);
    a->sin_family = AF_INET;
    a->sin_port = htons((uint16_t)port);
    return inet_pton(AF_INET, host, &a->sin_addr) == 1 ? 0 : -1;
}

int edge_tcp_listen(const char *host, int port, int backlog) {
    struct sockaddr_in a;
    if (make_addr(host, port, &a) != 0) return -1;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, (struct sockaddr *)&a, sizeof a) != 0 || listen(fd, backlog) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

int edge_tcp_port(int fd) {
    struct sockaddr_in a;
    socklen_t len = sizeof a;
    if (getsockname(fd, (struct sockaddr *)&a, &len) != 0) return -1;
    return ntohs(a.sin_port);
}

static void tune(int fd) {
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

int edge_tcp_accept(int listen_fd, int timeout_ms) {
    struct pollfd p = {listen_fd, POLLIN, 0};
    int r = poll(&p, 1, timeout_ms);
    if (r == 0) return -2;
    if (r < 0) return errno == EINTR ? -2 : -1;
    int fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
    if (fd < 0) return (errno == EAGAIN || errno == EINTR || errno == ECONNABORTED) ? -2 : -1;
    tune(fd);
    /* The kernel stamps every received segment: the agent's request latency starts when
     * a frame arrived, not when a thread got the CPU to read it. */
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one);
    return fd;
}

int edge_tcp_connect(const char *host, int port, int timeout_ms) {
    struct sockaddr_in a;
    if (make_addr(host, port, &a) != 0) return -1;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) return -1;
    int r = connect(fd, (struct sockaddr *)&a, sizeof a);
    if (r != 0 && errno != EINPROGRESS) { close(fd); return -1; }
    if (r != 0) {
        struct pollfd p = {fd, POLLOUT, 0};
        if (poll(&p, 1, timeout_ms) != 1) { close(fd); return -1; }
        int err = 0; socklen_t len = sizeof err;
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
        if (err != 0) { close(fd); return -1; }
    }
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    tune(fd);
    return fd;
}

static uint64_t clock_ns(clockid_t c) {
    struct timespec ts;
    clock_gettime(c, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t edge_rx_monotonic_ns(int64_t stamp_realtime_ns) {
    /* Both clocks are read back to back; their offset is what converts the stamp. A stamp
     * in the future (the wall clock stepped back) means "now". */
    uint64_t mono = clock_ns(CLOCK_MONOTONIC);
    int64_t real = (int64_t)clock_ns(CLOCK_REALTIME);
    if (stamp_realtime_ns <= 0 || stamp_realtime_ns > real) return mono;
    uint64_t age = (uint64_t)(real - stamp_realtime_ns);
    return age > mono ? 0 : mono - age;
}

int64_t edge_read_exact_stamped(int fd, void *buf, size_t n, int timeout_ms, uint64_t *received_ns) {
    uint64_t deadline = now_ms() + (uint64_t)(timeout_ms < 0 ? 0 : timeout_ms);
    *received_ns = 0;
    size_t got = 0;
    while (got < n) {
        uint64_t t = now_ms();
        if (t >= deadline) return -2;
        struct pollfd p = {fd, POLLIN, 0};
        int r = poll(&p, 1, (int)(deadline - t));
        if (r == 0) return -2;
        if (r < 0) { if (errno == EINTR) continue; return -1; }
        struct iovec iov = {(char *)buf + got, n - got};
        union { char buf[CMSG_SPACE(sizeof(struct timespec))]; struct cmsghdr align; } control;
        struct msghdr m;
        memset(&m, 0, sizeof m);
        m.msg_iov = &iov;
        m.msg_iovlen = 1;
        m.msg_control = control.buf;
        m.msg_controllen = sizeof control.buf;
        ssize_t k = recvmsg(fd, &m, 0);
        if (k == 0) return got == 0 ? 0 : -3;
        if (k < 0) { if (errno == EINTR || errno == EAGAIN) continue; return -1; }
        if (got == 0) {
            int64_t stamp = 0;
            for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c != NULL; c = CMSG_NXTHDR(&m, c)) {
                if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS &&
                    c->cmsg_len >= CMSG_LEN(sizeof(struct timespec))) {
                    struct timespec ts;
                    memcpy(&ts, CMSG_DATA(c), sizeof ts);
                    stamp = (int64_t)ts.tv_sec * 1000000000ll + (int64_t)ts.tv_nsec;
                }
            }
            *received_ns = edge_rx_monotonic_ns(stamp);
        }
        got += (size_t)k;
    }
    return (int64_t)got;
}

int64_t edge_read_exact(int fd, void *buf, size_t n, int timeout_ms) {
    uint64_t unused;
    return edge_read_exact_stamped(fd, buf, n, timeout_ms, &unused);
}

int edge_write_exact(int fd, const void *buf, size_t n, int timeout_ms) {
    uint64_t deadline = now_ms() + (uint64_t)(timeout_ms < 0 ? 0 : timeout_ms);
    size_t sent = 0;
    while (sent < n) {
        uint64_t t = now_ms();
        if (t >= deadline) return -2;
        struct pollfd p = {fd, POLLOUT, 0};
        int r = poll(&p, 1, (int)(deadline - t));
        if (r == 0) return -2;
        if (r < 0) { if (errno == EINTR) continue; return -1; }
        ssize_t k = send(fd, (const char *)buf + sent, n - sent, MSG_NOSIGNAL);
        if (k < 0) { if (errno == EINTR || errno == EAGAIN) continue; return -1; }
        sent += (size_t)k;
    }
    return 0;
}

void edge_close(int fd) { if (fd >= 0) close(fd); }
void edge_ignore_sigpipe(void) { signal(SIGPIPE, SIG_IGN); }

int edge_thread_start(edge_thread_fn fn, void *ctx) {
    pthread_t t;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    /* Interpreters run on these threads: give them room beyond musl/qemu defaults. */
    pthread_attr_setstacksize(&attr, 8 << 20);
    int r = pthread_create(&t, &attr, fn, ctx);
    pthread_attr_destroy(&attr);
    return r;
}

struct edge_mutex { pthread_mutex_t m; };
edge_mutex *edge_mutex_new(void) {
    edge_mutex *m = malloc(sizeof *m);
    if (m) pthread_mutex_init(&m->m, NULL);
    return m;
}
void edge_mutex_lock(edge_mutex *m) { pthread_mutex_lock(&m->m); }
void edge_mutex_unlock(edge_mutex *m) { pthread_mutex_unlock(&m->m); }
void edge_mutex_free(edge_mutex *m) { if (m) { pthread_mutex_destroy(&m->m); free(m); } }

struct edge_semaphore { sem_t s; };
edge_semaphore *edge_semaphore_new(unsigned value) {
    edge_semaphore *s = malloc(sizeof *s);
    if (s) sem_init(&s->s, 0, value);
    return s;
}
void edge_semaphore_wait(edge_semaphore *s) { while (sem_wait(&s->s) != 0 && errno == EINTR) {} }
void edge_semaphore_post(edge_semaphore *s) { sem_post(&s->s); }

void edge_sleep_ms(int ms) {
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {}
}

int edge_create_exclusive(const char *path) {
    return open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
}
int edge_fsync(int fd) { return fsync(fd); }
int edge_fsync_dir(const char *path) {
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return -1;
    int r = fsync(fd);
    close(fd);
    return r;
}
int edge_rename(const char *from, const char *to) { return rename(from, to); }
int edge_unlink(const char *path) { return unlink(path); }
int edge_mkdir(const char *path) { return (mkdir(path, 0755) == 0 || errno == EEXIST) ? 0 : -1; }

int edge_pwrite_all(int fd, const void *buf, size_t n, int64_t offset) {
    const char *c = buf;
    while (n > 0) {
        ssize_t w = pwrite(fd, c, n, (off_t)offset);
        if (w < 0) { if (errno == EINTR) continue; return -1; }
        c += w; n -= (size_t)w; offset += w;
    }
    return 0;
}

int64_t edge_free_bytes(const char *path) {
    struct statvfs s;
    if (statvfs(path, &s) != 0) return -1;
    return (int64_t)s.f_bavail * (int64_t)s.f_frsize;
}

void *edge_dir_open(const char *path) { return opendir(path); }
const char *edge_dir_next(void *dir) {
    struct dirent *e;
    while ((e = readdir((DIR *)dir)) != NULL) {
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) return e->d_name;
    }
    return NULL;
}
void edge_dir_close(void *dir) { if (dir) closedir((DIR *)dir); }

int64_t edge_rss_bytes(void) {
    FILE *f = fopen("/proc/self/statm", "r");
    if (!f) return -1;
    long pages_total = 0, pages_rss = 0;
    int n = fscanf(f, "%ld %ld", &pages_total, &pages_rss);
    fclose(f);
    if (n != 2) return -1;
    return (int64_t)pages_rss * (int64_t)sysconf(_SC_PAGESIZE);
}

uint64_t edge_wall_us(void) {
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (uint64_t)tv.tv_sec * 1000000u + (uint64_t)tv.tv_usec;
}

void edge_exit(int code) { fflush(stdout); fflush(stderr); _exit(code); }
int edge_getpid(void) { return (int)getpid(); }
