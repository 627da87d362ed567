/* SPDX-License-Identifier: MIT */
/*
 * bench.h is shared by gosan_bench.c (the workloads) and driver.c (flags,
 * one child process per workload, disturbance measurement). Nothing here
 * touches gosan: the driver process never starts the runtime.
 */
#ifndef GOSAN_BENCH_H
#define GOSAN_BENCH_H

#include <stdbool.h>
#include <stdint.h>

struct result;

struct workload {
    const char *name;
    int64_t ops;  /* default op count / rounds (times -scale unless fixed) */
    bool fixed;   /* ignore -scale */
    bool warmup;  /* run once at ops/10 before the timed run */
    void (*run)(int64_t n, struct result *r);
};

/* The flags, as bench.go has them. */
struct options {
    const char *child;     /* -child NAME: run one workload in this process */
    const char *only;      /* -only a,b,c */
    const char *scale_str; /* -scale, passed to children verbatim */
    double scale;
    bool inproc, nowarm, list;
    int64_t quiet_max;     /* -quiet-max, ns; 0 = don't wait */
    double quiet_pct;      /* -quiet-pct */
    double max_foreign;    /* -max-foreign */
    int retries;           /* -retries */
};

int64_t bench_now_ns(void);               /* CLOCK_MONOTONIC */
int64_t bench_proc_status_kb(const char *field); /* /proc/self/status, kB */
int bench_num_cpu(void);                  /* CPUs this process may use */

/* bench_parse_args fills o (defaults included) from Go-style flags; exits
 * with status 2 on a bad flag. */
void bench_parse_args(int argc, char **argv, struct options *o);

/* bench_select fills sel with the workloads -only names (default: all of
 * table); exits with status 2 on an unknown name. Returns the count. */
int bench_select(const char *only, const struct workload *table, int n,
                 const struct workload **sel);

/* bench_run_driven runs w in a child process (again while other processes
 * disturbed it, see -max-foreign/-retries) and prints its line with the
 * disturbance fields. Returns false when the child failed. */
bool bench_run_driven(const struct workload *w, const struct options *o);

#endif
