/* SPDX-License-Identifier: MIT */
/*
 * This file implements the hang watchdog: a thread of the detector that
 * looks once a second at every goroutine and thread the detector knows.
 * When all of them have been blocked for hang_timeout seconds (default 30)
 * with no timer pending that could wake one — blocked in a channel or sync
 * operation, a pthread lock, join, condition wait, barrier or semaphore;
 * a sleep or a timed wait does not count — the program cannot go on: every
 * goroutine's and thread's stack is reported as a deadlock, and the process
 * exits with the report exit code, instead of hanging CI.
 *
 * This catches what the runtime's own "all goroutines are asleep" cannot:
 * deadlocks that involve OS threads (the runtime cannot tell a blocked
 * thread from a busy one), and plain pthread programs. A thread busy in a
 * system call the detector does not see (read(2), sleep(3)) counts as
 * running: the watchdog never stops a program that may still progress.
 *
 * It also drives the partial-deadlock scan of goroutines blocked on
 * channels (reach.c).
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "detector_impl.h"

void det_reach_tick(void);

struct survey {
    int running, blocked;
};

static bool blocked_for_good(struct det_thread *t)
{
    if (!atomic_load(&t->parked))
        return false;
    uint8_t r = atomic_load(&t->blocked_reason);
    return r != RT_WAIT_NONE && r != RT_WAIT_SLEEP;
}

static void survey_one(struct det_thread *t, void *arg)
{
    struct survey *s = arg;
    if (atomic_load(&t->finished) || t->is_system)
        return;
    if (blocked_for_good(t))
        s->blocked++;
    else
        s->running++;
}

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* ---- the report ------------------------------------------------------------- */

static void goroutine_visit(const struct rt_ginfo *info, void *arg)
{
    rt_describe_goroutine(arg, info);
}

struct thread_list {
    struct det_thread *v[256];
    int n;
};

static void thread_collect(struct det_thread *t, void *arg)
{
    struct thread_list *l = arg;
    if (t->is_goroutine || t->is_system || atomic_load(&t->finished) ||
        l->n == 256)
        return;
    l->v[l->n++] = t;
}

static int by_thread_id(const void *a, const void *b)
{
    const struct det_thread *x = *(struct det_thread *const *)a;
    const struct det_thread *y = *(struct det_thread *const *)b;
    return (x->thread_id > y->thread_id) - (x->thread_id < y->thread_id);
}

/* add_thread adds "thread T1 [pthread_cond_wait, 31 seconds]:" and the
 * stack where it blocked, or that it runs. */
static void add_thread(struct rep_report *r, struct det_thread *t,
                       int64_t now)
{
    char who[64];
    det_thread_name(who, sizeof who, 0, t->thread_id);
    if (!blocked_for_good(t)) {
        struct rep_stack *s = rep_report_stack(r, NULL, 0, "%s [running]:",
                                               who);
        if (s) {
            s->thread = t->thread_id;
            s->note = "[stack not available: it runs outside gosan's view]";
        }
        return;
    }
    const uintptr_t *pcs;
    int n = det_depot_get(t->blocked_stack, &pcs);
    int64_t secs = (now - t->blocked_since) / 1000000000;
    struct rep_stack *s = rep_report_stack(
        r, pcs, n, "%s [%s, %lld second%s]:", who,
        t->blocked_call ? t->blocked_call : "blocked", (long long)secs,
        secs == 1 ? "" : "s");
    if (s)
        s->thread = t->thread_id;
}

static void report_hang(int seconds)
{
    struct rep_report r;
    char headline[160];
    snprintf(headline, sizeof headline,
             "fatal error: program hung: every goroutine and thread has been "
             "blocked for %d seconds - deadlock!", seconds);
    rep_report_init(&r, REP_DEADLOCK, headline);
    r.filter = &det_stack_filter;
    rt_goroutines_each(goroutine_visit, &r);
    struct thread_list *l = calloc(1, sizeof *l);
    if (l) {
        det_threads_each(thread_collect, l);
        qsort(l->v, (size_t)l->n, sizeof l->v[0], by_thread_id);
        int64_t now = now_ns();
        for (int i = 0; i < l->n; i++)
            add_thread(&r, l->v[i], now);
    }
    r.dedupe_key = 0x4a4e47; /* "HNG" */
    rep_emit(&r);
    rep_report_free(&r);
    free(l);
    fflush(NULL);
    _exit(rep_options()->exitcode);
}

static void *watchdog(void *arg)
{
    (void)arg;
    det_tls_internal++;
    int timeout = rep_options()->hang_timeout;
    int64_t since = 0;
    for (;;) {
        struct timespec one = { 1, 0 };
        nanosleep(&one, NULL);
        int64_t now = now_ns();
        det_reach_tick();
        if (timeout <= 0)
            continue;
        struct survey s = { 0, 0 };
        det_threads_each(survey_one, &s);
        bool hung = s.running == 0 && s.blocked > 0 && !rt_timers_pending();
        if (!hung) {
            since = 0;
            continue;
        }
        if (!since)
            since = now;
        else if (now - since >= (int64_t)timeout * 1000000000)
            report_hang(timeout);
    }
    return NULL;
}

void det_watchdog_start(void)
{
    pthread_t th;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&attr, 4 << 20); /* libdw recurses deeply */
    det_tls_internal++;
    if (pthread_create(&th, &attr, watchdog, NULL) == 0)
        rt_aux_threads_add(1);
    det_tls_internal--;
    pthread_attr_destroy(&attr);
}
