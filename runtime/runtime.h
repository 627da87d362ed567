/* SPDX-License-Identifier: MIT */
/*
 * runtime.h is what other gosan components (detector, leak checker,
 * reports) may use of the runtime: the hook table, and read-only
 * introspection of goroutines for reports.
 */
#ifndef GOSAN_RUNTIME_H
#define GOSAN_RUNTIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hooks.h"

struct rt_g;

/* A snapshot of one goroutine, for reports. */
struct rt_ginfo {
    struct rt_g *g;
    uint64_t id;
    uint32_t status;        /* enum rt_gstatus, without the scan bit */
    uint32_t flags;         /* RT_GF_* */
    enum rt_wait_reason wait_reason;
    const void *wait_obj;
    int64_t wait_since;     /* coarse monotonic ns when it parked */
    uintptr_t go_pc;        /* where it was created (return address) */
    uint64_t parent_id;
    uintptr_t stack_lo, stack_hi;
    /* Registers saved at the last switch, for unwinding a goroutine that
     * is not running: the resume pc, stack pointer after the return, and
     * frame pointer. Zero for a running goroutine. */
    uintptr_t saved_pc, saved_sp, saved_fp;
    void *detector;
};

struct rep_stack_filter;
/* rt_stack_filter hides the runtime's own frames at the top of a traceback
 * (keeping the public go_* entry point) and goroutine start-up frames at
 * the bottom. */
const struct rep_stack_filter *rt_stack_filter(void);

const char *rt_wait_reason_string(enum rt_wait_reason r);
const char *rt_gstatus_string(uint32_t status);

uint64_t rt_g_id(const struct rt_g *g);
/* rt_g_stack returns g's stack bounds [lo, hi). */
void rt_g_stack(const struct rt_g *g, uintptr_t *lo, uintptr_t *hi);
/* rt_g_is_system: g is an M's scheduler context, not a goroutine. */
bool rt_g_is_system(const struct rt_g *g);
/* rt_g_is_thread_flow: g is the flow of an OS thread that existed before
 * it entered the runtime (the main goroutine, a foreign thread's). */
bool rt_g_is_thread_flow(const struct rt_g *g);
/* rt_g_creator: the goroutine that spawned g (0 for the main goroutine)
 * and the return address of its go_spawn call. */
uint64_t rt_g_parent(const struct rt_g *g, uintptr_t *go_pc);
/* rt_g_detector is the detector's per-goroutine slot (NULL initially). */
void **rt_g_detector(struct rt_g *g);
/* rt_current_g is the running goroutine, or NULL when the calling thread
 * has never entered the runtime (a plain pthread) or the runtime is not
 * initialized. Never initializes anything. */
struct rt_g *rt_current_g(void);

/* rt_goroutines_each calls visit for every live goroutine (not g0s). A
 * parked goroutine is held parked while visit runs, so its stack may be
 * read; visit must not block or call into the runtime. */
void rt_goroutines_each(void (*visit)(const struct rt_ginfo *info, void *arg),
                        void *arg);

/* rt_describe_goroutine adds g (from a visit of rt_goroutines_each, so
 * held parked) to report r: "goroutine 7 [chan receive, 2 minutes]:" with
 * its stack, what it is blocked on (a channel with its size, len, cap and
 * where it was made), and where it was created. */
struct rep_report;
void rt_describe_goroutine(struct rep_report *r, const struct rt_ginfo *info);

/* rt_misuse_message is Go's text for a misuse ("send on closed channel")
 * and rt_misuse_is_fatal tells whether Go says "fatal error:" rather than
 * "panic:". */
const char *rt_misuse_message(enum rt_misuse kind);
bool rt_misuse_is_fatal(enum rt_misuse kind);

#endif
