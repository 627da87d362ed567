/* SPDX-License-Identifier: MIT */
/*
 * This file implements the runtime's three failure paths:
 *  - rt__throw: a broken internal invariant (a gosan bug): file:line of
 *    the check, the goroutines, abort.
 *  - rt__fatal / rt__throw_user: Go's "fatal error:" and "panic:" for
 *    conditions of the program (deadlock, stack overflow, bad arguments):
 *    the message, the goroutines, exit status 2 as in Go.
 *  - rt__misuse: misuse that Go panics on (send on a closed channel...):
 *    a detector report if a detector is installed, Go's message otherwise,
 *    then abort unless GOSAN_OPTIONS=halt_on_error=0.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "reports.h"
#include "runtime_impl.h"

void rt__print_current_goroutine(void);

static const char *const misuse_messages[RT_MISUSE_COUNT] = {
    [RT_MISUSE_SEND_ON_CLOSED] = "send on closed channel",
    [RT_MISUSE_CLOSE_OF_CLOSED] = "close of closed channel",
    [RT_MISUSE_CLOSE_OF_NIL] = "close of nil channel",
    [RT_MISUSE_NEGATIVE_WAITGROUP] = "sync: negative WaitGroup counter",
    [RT_MISUSE_WAITGROUP_REUSE] =
        "sync: WaitGroup is reused before previous Wait has returned",
    [RT_MISUSE_UNLOCK_OF_UNLOCKED] = "sync: unlock of unlocked mutex",
    [RT_MISUSE_RUNLOCK_OF_UNLOCKED] = "sync: RUnlock of unlocked RWMutex",
    [RT_MISUSE_RWUNLOCK_OF_UNLOCKED] = "sync: Unlock of unlocked RWMutex",
    [RT_MISUSE_COND_WAIT_UNLOCKED] =
        "sync: Cond.Wait called without holding its lock",
    [RT_MISUSE_COND_COPIED] = "sync.Cond is copied",
    [RT_MISUSE_WAITGROUP_CONCURRENT_ADD] =
        "sync: WaitGroup misuse: Add called concurrently with Wait",
    [RT_MISUSE_SEMAPHORE_RELEASE] = "semaphore: released more than held",
    [RT_MISUSE_CHAN_FREE_IN_USE] =
        "go_chan_free of a channel with waiting goroutines",
    [RT_MISUSE_MUTEX_COPIED] = "sync: Mutex is copied while locked",
};
_Static_assert(sizeof misuse_messages / sizeof misuse_messages[0] ==
                   RT_MISUSE_COUNT,
               "a message for every misuse");

const char *rt_misuse_message(enum rt_misuse kind)
{
    if ((unsigned)kind >= RT_MISUSE_COUNT)
        return "?";
    return misuse_messages[kind];
}

bool rt_misuse_is_fatal(enum rt_misuse kind)
{
    switch (kind) {
    case RT_MISUSE_UNLOCK_OF_UNLOCKED:
    case RT_MISUSE_RUNLOCK_OF_UNLOCKED:
    case RT_MISUSE_RWUNLOCK_OF_UNLOCKED:
        return true;
    case RT_MISUSE_SEND_ON_CLOSED:
    case RT_MISUSE_CLOSE_OF_CLOSED:
    case RT_MISUSE_CLOSE_OF_NIL:
    case RT_MISUSE_NEGATIVE_WAITGROUP:
    case RT_MISUSE_WAITGROUP_REUSE:
    case RT_MISUSE_COND_WAIT_UNLOCKED:
    case RT_MISUSE_COND_COPIED:
    case RT_MISUSE_WAITGROUP_CONCURRENT_ADD:
    case RT_MISUSE_SEMAPHORE_RELEASE:
    case RT_MISUSE_CHAN_FREE_IN_USE:
    case RT_MISUSE_MUTEX_COPIED:
    case RT_MISUSE_COUNT:
        break;
    }
    return false;
}

/* flush_stdio flushes the program's buffered output without waiting on a
 * stream somebody else holds locked (that goroutine may never run again). */
static void flush_stdio(void)
{
    FILE *streams[] = { stdout, stderr };
    for (size_t i = 0; i < 2; i++) {
        if (ftrylockfile(streams[i]) == 0) {
            fflush_unlocked(streams[i]);
            funlockfile(streams[i]);
        }
    }
}

/* While dying, symbolization may block on a lock the dying goroutine
 * holds (malloc's, in the worst case): a timer makes sure we still die. */
static void arm_death_timer(void)
{
    signal(SIGALRM, SIG_DFL);
    alarm(10);
}

RT_NORETURN void rt__throw(const char *file, int line, const char *fmt, ...)
{
    arm_death_timer();
    flush_stdio();
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    rep_printf("fatal error: gosan runtime: %s\n(at %s:%d; this is a bug in "
               "gosan, please report it)\n\n", msg, file, line);
    rt__print_current_goroutine();
    abort();
}

static RT_NORETURN void die(const char *prefix, const char *fmt, va_list ap)
{
    arm_death_timer();
    flush_stdio();
    char msg[512];
    vsnprintf(msg, sizeof msg, fmt, ap);
    rep_printf("%s%s\n\n", prefix, msg);
    rt__dump_goroutines();
    flush_stdio();
    _exit(2);
}

RT_NORETURN void rt__fatal(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    die("fatal error: ", fmt, ap);
}

RT_NORETURN void rt__throw_user(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    die("", fmt, ap);
}

static enum rep_kind misuse_kind(enum rt_misuse kind)
{
    switch (kind) {
    case RT_MISUSE_SEND_ON_CLOSED: return REP_SEND_ON_CLOSED_CHANNEL;
    case RT_MISUSE_CLOSE_OF_CLOSED: return REP_CLOSE_OF_CLOSED_CHANNEL;
    case RT_MISUSE_CLOSE_OF_NIL: return REP_CLOSE_OF_NIL_CHANNEL;
    case RT_MISUSE_NEGATIVE_WAITGROUP: return REP_NEGATIVE_WAITGROUP;
    case RT_MISUSE_WAITGROUP_REUSE: return REP_WAITGROUP_REUSE;
    case RT_MISUSE_WAITGROUP_CONCURRENT_ADD: return REP_WAITGROUP_REUSE;
    case RT_MISUSE_UNLOCK_OF_UNLOCKED: return REP_UNLOCK_OF_UNLOCKED_MUTEX;
    case RT_MISUSE_RUNLOCK_OF_UNLOCKED: return REP_RUNLOCK_OF_UNLOCKED_RWMUTEX;
    case RT_MISUSE_RWUNLOCK_OF_UNLOCKED: return REP_UNLOCK_OF_UNLOCKED_MUTEX;
    case RT_MISUSE_COND_WAIT_UNLOCKED: return REP_COND_WAIT_UNLOCKED;
    case RT_MISUSE_COND_COPIED: return REP_SYNC_COPIED;
    case RT_MISUSE_SEMAPHORE_RELEASE: return REP_SEMAPHORE_OVERRELEASE;
    case RT_MISUSE_CHAN_FREE_IN_USE: return REP_CHANNEL_FREE_IN_USE;
    case RT_MISUSE_MUTEX_COPIED: return REP_SYNC_COPIED;
    case RT_MISUSE_COUNT: break;
    }
    return REP_MUTEX_MISUSE;
}

/* report_misuse is the runtime's own report, without a detector: Go's
 * panic text and the goroutine's stack, as a report (counted for the exit
 * status, and in the JSON output when asked for). */
static void report_misuse(struct rt_g *g, enum rt_misuse kind)
{
    char headline[256];
    snprintf(headline, sizeof headline, "%s%s",
             rt_misuse_is_fatal(kind) ? "fatal error: " : "panic: ",
             rt_misuse_message(kind));
    struct rep_report r;
    rep_report_init(&r, misuse_kind(kind), headline);
    r.filter = rt_stack_filter();
    uintptr_t pcs[REP_MAX_FRAMES];
    int n = rep_backtrace(pcs, REP_MAX_FRAMES, 1);
    struct rep_stack *s = rep_report_stack(&r, pcs, n,
                                           "goroutine %llu [running]:",
                                           (unsigned long long)(g ? g->id
                                                                  : 0));
    if (s)
        s->goroutine = g ? g->id : 0;
    /* Every misuse is its own event: a panic is never deduplicated. */
    r.dedupe_key = (uint64_t)rep_emitted() * 0x9e3779b97f4a7c15ull + 1 +
                   (uint64_t)kind;
    rep_emit(&r);
    rep_report_free(&r);
}

/* rt_misuse is rt__misuse for the detector, which finds some misuse the
 * runtime cannot see (a copied mutex) and wants the same policy. */
void rt_misuse(enum rt_misuse kind, const void *obj, uintptr_t pc)
{
    rt__misuse(rt__getg_fast(), kind, obj, pc);
}

void rt__misuse(struct rt_g *g, enum rt_misuse kind, const void *obj,
                uintptr_t pc)
{
    bool reported = false;
    if (RT_HOOKS_ON() && rt__hooks->misuse)
        reported = rt__hooks->misuse(g, kind, obj, pc);
    bool halt = rep_options()->halt_on_error;
    if (!reported) {
        flush_stdio();
        report_misuse(g, kind);
    }
    if (halt) {
        arm_death_timer();
        flush_stdio();
        rep_quiesce();
        abort();
    }
}

RT_NORETURN void rt__stack_overflow(struct rt_g *g, uintptr_t sp,
                                    const void *ucontext)
{
    arm_death_timer();
    flush_stdio();
    rep_printf("runtime: goroutine stack exceeds %zu-byte limit\n"
               "runtime: sp=%#lx stack=[%#lx, %#lx]\n"
               "fatal error: stack overflow\n\n"
               "goroutine %llu stack overflow\n",
               (size_t)(g->stack_hi - g->stack_lo), (unsigned long)sp,
               (unsigned long)g->stack_lo, (unsigned long)g->stack_hi,
               (unsigned long long)g->id);
    if (ucontext) {
        uintptr_t pcs[REP_MAX_FRAMES];
        int n = rep_backtrace_signal((void *)ucontext, pcs, REP_MAX_FRAMES);
        rep_print_stack(pcs, n, true, rt_stack_filter());
    }
    if (g->go_pc && !(g->flags & (RT_GF_MAIN | RT_GF_G0))) {
        struct rep_frame f[8];
        rep_symbolize(g->go_pc, false, f, 8);
        rep_printf("created by %s in goroutine %llu\n\t%s:%d\n", f[0].function,
                   (unsigned long long)g->parent_id,
                   rep_strip_path(f[0].file), f[0].line);
    }
    _exit(2);
}

/* rt__stack_switch_checks runs on g0 each time a goroutine switched away:
 * a goroutine without a guard page is checked for overflow here. */
void rt__stack_switch_checks(struct rt_g *g)
{
    extern bool rt__stack_canaries;
    if (rt_unlikely(rt__stack_canaries) && (g->flags & RT_GF_SLOT) &&
        !rt__stack_check_canary(g))
        rt__stack_overflow(g, 0, NULL);
}
