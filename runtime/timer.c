/* SPDX-License-Identifier: MIT */
/*
 * This file implements the runtime's timers: one 4-ary min-heap ordered by
 * deadline, driven by the scheduler. Every M checks the earliest deadline
 * when it schedules (an atomic load, and a clock read only when a timer
 * exists); an M with nothing to do sleeps until the earliest deadline
 * (proc.c's timer sleeper), and adding an earlier timer wakes it. No thread
 * per timer, and a goroutine waiting on a timer costs no thread.
 *
 * Timer functions run on an M's g0 stack, with a P held and no lock held.
 * They must not block: they ready a goroutine (go_sleep) or do a
 * non-blocking channel send (go_after, tickers).
 *
 * A single heap with one lock, not Go's per-P heaps: with the core counts
 * this runtime targets, the lock is cheap and it keeps stopping a timer
 * simple (no timer migration between Ps).
 *
 * Invariants:
 *  - t->heap_index is t's position in the heap, or -1; under timers.lock.
 *  - timers.next is heap[0]->when, or INT64_MAX when the heap is empty.
 *  - t->running counts calls of t->fn in progress; rt__timer_stop returns
 *    only when it is zero and t is out of the heap.
 */
#define _GNU_SOURCE
#include <sched.h>
#include <stdlib.h>
#include <time.h>

#include "runtime_impl.h"

#define HEAP_ARITY 4

static struct {
    struct rt_lock lock;
    struct rt_timer **heap;
    size_t n, cap;
    _Atomic int64_t next;
} timers = { .next = INT64_MAX };

int64_t rt__nanotime(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t rt__coarse_nanotime(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t go_now(void)
{
    return rt__nanotime();
}

/* ---- the heap (timers.lock held) ----------------------------------------- */

static void heap_set(size_t i, struct rt_timer *t)
{
    timers.heap[i] = t;
    t->heap_index = (int32_t)i;
}

static void sift_up(size_t i)
{
    struct rt_timer *t = timers.heap[i];
    while (i > 0) {
        size_t parent = (i - 1) / HEAP_ARITY;
        if (timers.heap[parent]->when <= t->when)
            break;
        heap_set(i, timers.heap[parent]);
        i = parent;
    }
    heap_set(i, t);
}

static void sift_down(size_t i)
{
    struct rt_timer *t = timers.heap[i];
    for (;;) {
        size_t first = i * HEAP_ARITY + 1;
        if (first >= timers.n)
            break;
        size_t best = first;
        size_t last = first + HEAP_ARITY;
        if (last > timers.n)
            last = timers.n;
        for (size_t c = first + 1; c < last; c++)
            if (timers.heap[c]->when < timers.heap[best]->when)
                best = c;
        if (timers.heap[best]->when >= t->when)
            break;
        heap_set(i, timers.heap[best]);
        i = best;
    }
    heap_set(i, t);
}

static void heap_push(struct rt_timer *t)
{
    if (timers.n == timers.cap) {
        size_t cap = timers.cap ? timers.cap * 2 : 256;
        struct rt_timer **h = realloc(timers.heap, cap * sizeof *h);
        if (!h)
            RT_THROW("out of memory growing the timer heap");
        timers.heap = h;
        timers.cap = cap;
    }
    heap_set(timers.n++, t);
    sift_up(timers.n - 1);
}

static void heap_remove(struct rt_timer *t)
{
    size_t i = (size_t)t->heap_index;
    struct rt_timer *last = timers.heap[--timers.n];
    t->heap_index = -1;
    if (i == timers.n)
        return;
    heap_set(i, last);
    if (i > 0 && timers.heap[(i - 1) / HEAP_ARITY]->when > last->when)
        sift_up(i);
    else
        sift_down(i);
}

static void update_next(void)
{
    atomic_store_explicit(&timers.next,
                          timers.n ? timers.heap[0]->when : INT64_MAX,
                          memory_order_seq_cst);
}

/* ---- public to the runtime ----------------------------------------------- */

void rt__timer_init(struct rt_timer *t, void (*fn)(struct rt_timer *, int64_t),
                    void *arg)
{
    t->when = 0;
    t->period = 0;
    t->fn = fn;
    t->arg = arg;
    t->heap_index = -1;
    atomic_store(&t->running, 0);
}

/* wake_for_timer makes sure somebody will run a timer due at when: the M
 * sleeping until a later deadline is woken, or an idle P is started. */
static void wake_for_timer(int64_t when)
{
    struct rt_m *sleeper = atomic_load(&rt__sched.timer_sleeper);
    if (sleeper) {
        if (when < atomic_load(&rt__sched.timer_sleep_until)) {
            sleeper = atomic_exchange(&rt__sched.timer_sleeper, NULL);
            if (sleeper)
                rt__note_wakeup(&sleeper->park);
        }
        return;
    }
    rt__wakep();
}

void rt__timer_start(struct rt_timer *t, int64_t when, int64_t period)
{
    rt__lock(&timers.lock);
    t->when = when;
    t->period = period;
    if (t->heap_index >= 0) {
        sift_up((size_t)t->heap_index);
        sift_down((size_t)t->heap_index);
    } else {
        heap_push(t);
    }
    bool earliest = timers.heap[0] == t;
    update_next();
    rt__unlock(&timers.lock);
    if (earliest)
        wake_for_timer(when);
}

bool rt__timer_stop_nowait(struct rt_timer *t)
{
    rt__lock(&timers.lock);
    bool pending = t->heap_index >= 0;
    if (pending) {
        heap_remove(t);
        update_next();
    }
    rt__unlock(&timers.lock);
    return pending;
}

bool rt__timer_stop(struct rt_timer *t)
{
    bool pending = rt__timer_stop_nowait(t);
    /* Wait out a call of fn in progress on another M: the caller is about
     * to free what fn uses. fn never blocks, so this is short. */
    for (int spins = 0; atomic_load_explicit(&t->running,
                                             memory_order_acquire); spins++) {
        if (spins < 100)
            rt__cpu_relax();
        else
            sched_yield();
    }
    return pending;
}

int64_t rt__timers_next(void)
{
    return atomic_load_explicit(&timers.next, memory_order_seq_cst);
}

int rt__timers_count(void)
{
    rt__lock(&timers.lock);
    int n = (int)timers.n;
    rt__unlock(&timers.lock);
    return n;
}

void rt_timers_each(void (*visit)(void *timer_arg, void *arg), void *arg)
{
    rt__lock(&timers.lock);
    for (size_t i = 0; i < timers.n; i++)
        visit(timers.heap[i]->arg, arg);
    rt__unlock(&timers.lock);
}

/* pop_due takes up to max due timers off the heap (re-arming periodic
 * ones) into batch, each counted as running. timers.lock held. */
static size_t pop_due(int64_t now, struct rt_timer **batch, size_t max)
{
    size_t n = 0;
    while (n < max && timers.n > 0 && timers.heap[0]->when <= now) {
        struct rt_timer *t = timers.heap[0];
        if (t->period > 0) {
            /* Re-arm, skipping the periods that were missed entirely
             * (a ticker drops ticks for slow receivers, as in Go). The
             * new deadline is after now, so it is not popped again. */
            int64_t late = now - t->when;
            t->when += t->period * (1 + late / t->period);
            sift_down(0);
        } else {
            heap_remove(t);
        }
        atomic_fetch_add_explicit(&t->running, 1, memory_order_relaxed);
        batch[n++] = t;
    }
    update_next();
    return n;
}

/* rt__timers_run runs the timers due at now. They are taken off the heap
 * in batches, one lock hold per batch rather than per timer: when many
 * timers fall due together (10k goroutines waiting on go_after), the Ms
 * that run timers and the goroutines that start them would otherwise
 * hand the lock back and forth once per timer. A timer in a batch counts
 * as running from the moment it leaves the heap, so rt__timer_stop waits
 * for its call exactly as for one in progress. */
int64_t rt__timers_run(int64_t now)
{
    enum { BATCH = 64 };
    struct rt_timer *batch[BATCH];
    for (;;) {
        rt__lock(&timers.lock);
        size_t n = pop_due(now, batch, BATCH);
        if (n == 0) {
            int64_t next = timers.n ? timers.heap[0]->when : INT64_MAX;
            rt__unlock(&timers.lock);
            return next;
        }
        rt__unlock(&timers.lock);
        for (size_t i = 0; i < n; i++) {
            struct rt_timer *t = batch[i];
            t->fn(t, now);
            atomic_fetch_sub_explicit(&t->running, 1, memory_order_release);
        }
    }
}
