/* SPDX-License-Identifier: MIT */
/*
 * wl.h: helpers shared by the bench/tsan workloads. Every workload is a
 * plain pthread program (so that TSan understands it as well as gosan's
 * interposer does), prints one line
 *
 *   <name> <parameters> ok=1 inner_ms=<threaded section> ns_per_op=<...>
 *
 * and exits 0 only when its result is the expected one.
 */
#ifndef BENCH_TSAN_WL_H
#define BENCH_TSAN_WL_H

#define _GNU_SOURCE
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static inline double wl_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static inline void wl_fail(const char *what)
{
    fprintf(stderr, "FAIL: %s\n", what);
    exit(1);
}

static inline void wl_ok(int rc, const char *what)
{
    if (rc != 0) {
        fprintf(stderr, "FAIL: %s: %s\n", what, strerror(rc));
        exit(1);
    }
}

/* wl_arg: argv[i] as a long, or def when absent. */
static inline long wl_arg(int argc, char **argv, int i, long def)
{
    if (argc <= i)
        return def;
    char *end;
    long v = strtol(argv[i], &end, 10);
    if (*end || v <= 0)
        wl_fail("bad numeric argument");
    return v;
}

static inline const char *wl_sarg(int argc, char **argv, int i,
                                  const char *def)
{
    return argc > i ? argv[i] : def;
}

static inline void wl_spawn(pthread_t *th, void *(*fn)(void *), void *arg)
{
    wl_ok(pthread_create(th, NULL, fn, arg), "pthread_create");
}

static inline void wl_join(pthread_t th)
{
    wl_ok(pthread_join(th, NULL), "pthread_join");
}

#endif
