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

#include <gosan/sync.h>

#include "hooks.h"

struct rt_g;

/* A snapshot of one goroutine, for reports. */
enum rt_gstatus {
    RT_G_FREE = 0,  /* slot not in use (pooled, or never used) */
    RT_G_RUNNABLE,  /* in a run queue */
    RT_G_RUNNING,   /* on an M */
    RT_G_WAITING,   /* parked; rt_ready makes it runnable */
    RT_G_SYSCALL,   /* between go_syscall_enter and go_syscall_exit */
    RT_G_DEAD,      /* exited; being recycled */
};
/* RT_G_SCAN is or'ed into a WAITING status while another thread inspects
 * the parked goroutine's stack; rt_ready waits until it is cleared (Go's
 * _Gscan bit). */
#define RT_G_SCAN 0x100u

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
    /* Off its thread (parked, or runnable after running): its stack below
     * this address is dead. 0 while it runs. */
    uintptr_t live_sp;
    void *start_arg;        /* the argument its function was started with */
    bool leak_reported;     /* goleak_verify reported it in this park */
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
/* rt_chan_detector is the detector's per-channel slot (NULL when made):
 * channel operations find their happens-before state without a lookup. */
void **rt_chan_detector(go_chan *c);
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

/* rt_aux_threads_add: a detector started n threads of its own; the
 * whole-program deadlock check must not take them for the program's. */
void rt_aux_threads_add(int n);
/* rt_timers_pending: a timer will fire (somebody will wake up). */
bool rt_timers_pending(void);
/* rt_timers_each calls visit with the argument of every pending timer (a
 * channel a go_after will send on, a context a deadline will cancel),
 * under the timer lock: visit must not call the runtime. */
void rt_timers_each(void (*visit)(void *timer_arg, void *arg), void *arg);
/* rt_chan_extent gives the memory of channel c (header and buffer) and
 * whether a timer will send on it (go_after, a ticker). */
void rt_chan_extent(go_chan *c, uintptr_t *lo, uintptr_t *hi,
                    bool *has_timer);
/* rt_select_chans gives the channels of a goroutine blocked in select
 * (from its rt_ginfo): returns how many (up to max). */
int rt_select_chans(const struct rt_ginfo *info, go_chan **out, int max);

/* rt_misuse_message is Go's text for a misuse ("send on closed channel")
 * and rt_misuse_is_fatal tells whether Go says "fatal error:" rather than
 * "panic:". */
const char *rt_misuse_message(enum rt_misuse kind);
/* rt_misuse reports a misuse found by the detector in the calling
 * goroutine, then halts or returns as the runtime's own misuse does. */
void rt_misuse(enum rt_misuse kind, const void *obj, uintptr_t pc);
/* rt_mutex_is_locked reads m's locked bit. */
bool rt_mutex_is_locked(const go_mutex *m);
bool rt_misuse_is_fatal(enum rt_misuse kind);

#endif
