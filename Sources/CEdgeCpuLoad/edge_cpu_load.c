#define _GNU_SOURCE
#include "edge_cpu_load.h"

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

unsigned long long edge_cpu_load_now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (unsigned long long)ts.tv_sec * 1000000000ull + (unsigned long long)ts.tv_nsec;
}

int edge_cpu_pin_self(int cpu) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    return sched_setaffinity(0, sizeof set, &set);
}

static void sleep_until(unsigned long long t_ns) {
    struct timespec ts;
    ts.tv_sec = (time_t)(t_ns / 1000000000ull);
    ts.tv_nsec = (long)(t_ns % 1000000000ull);
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) != 0) {}
}

// The child: only async-signal-safe calls (it was forked from a multi-threaded process).
static void run_schedule(int n, const double *start_s, const double *end_s, const double *share,
                         double period_s, unsigned long long t0_ns) {
    const unsigned long long period = (unsigned long long)(period_s * 1e9);
    for (int i = 0; i < n; i++) {
        unsigned long long a = t0_ns + (unsigned long long)(start_s[i] * 1e9);
        unsigned long long b = t0_ns + (unsigned long long)(end_s[i] * 1e9);
        unsigned long long on = (unsigned long long)(share[i] * (double)period);
        if (on == 0 || b <= a) continue;
        if (edge_cpu_load_now_ns() < a) sleep_until(a);
        for (unsigned long long p = a; p < b; p += period) {
            unsigned long long busy_end = p + on, next = p + period;
            if (edge_cpu_load_now_ns() >= next) continue;      // fell behind: skip to the next period
            volatile unsigned long long sink = 0;
            while (edge_cpu_load_now_ns() < busy_end) sink++;   // spin
            if (on < period) sleep_until(next < b ? next : b);
        }
    }
}

pid_t edge_cpu_load_start(int cpu, int n, const double *start_s, const double *end_s, const double *share,
                          double period_s, int nice_level, unsigned long long t0_ns) {
    if (n <= 0 || period_s <= 0) return -1;
    pid_t pid = fork();
    if (pid != 0) return pid;   // parent (or -1)
    edge_cpu_pin_self(cpu);
    setpriority(PRIO_PROCESS, 0, nice_level);
    run_schedule(n, start_s, end_s, share, period_s, t0_ns);
    _exit(0);
}

void edge_cpu_load_stop(pid_t pid) {
    if (pid <= 0) return;
    kill(pid, SIGKILL);
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}   // ECHILD: already reaped
}
