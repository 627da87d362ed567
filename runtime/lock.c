/* SPDX-License-Identifier: MIT */
/*
 * This file implements the runtime's internal synchronization on futexes:
 * struct rt_lock, a mutex for short critical sections (channel state, the
 * scheduler's lists), and struct rt_note, a one-shot sleep/wakeup for OS
 * threads (an idle M waiting for work).
 *
 * rt_lock follows Go's lock_futex.go and Drepper's "Futexes are tricky":
 * key 0 free, 1 held, 2 held and somebody may sleep. Before sleeping a
 * contender spins a little, since the critical sections are a few dozen
 * instructions and a futex round trip costs microseconds on this kind of
 * VM (a system call alone is ~1.3 us).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <sched.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "runtime_impl.h"

enum {
    LOCK_ACTIVE_SPIN = 4,     /* rounds of busy spinning */
    LOCK_ACTIVE_SPIN_CNT = 30, /* pause instructions per round */
    LOCK_PASSIVE_SPIN = 1,    /* rounds of sched_yield */
};
#define LOCK_SLEEP_NS (1000 * 1000)

int rt__futex_wait(_Atomic uint32_t *addr, uint32_t val, int64_t ns)
{
    struct timespec ts, *tsp = NULL;
    if (ns >= 0) {
        ts.tv_sec = ns / 1000000000;
        ts.tv_nsec = ns % 1000000000;
        tsp = &ts;
    }
    long r = syscall(SYS_futex, (uint32_t *)addr, FUTEX_WAIT_PRIVATE, val,
                     tsp, NULL, 0);
    return r < 0 ? -errno : 0;
}

void rt__futex_wake(_Atomic uint32_t *addr, int n)
{
    syscall(SYS_futex, (uint32_t *)addr, FUTEX_WAKE_PRIVATE, n, NULL, NULL, 0);
}

bool rt__trylock(struct rt_lock *l)
{
    uint32_t expected = 0;
    return atomic_compare_exchange_strong_explicit(
        &l->key, &expected, 1, memory_order_acquire, memory_order_relaxed);
}

static RT_NOINLINE void lock_slow(struct rt_lock *l)
{
    /* Once we have slept, we must leave the key at 2 when we get the lock:
     * others may still be sleeping. */
    uint32_t wait = 1;
    for (;;) {
        for (int i = 0; i < LOCK_ACTIVE_SPIN; i++) {
            for (int k = 0; k < LOCK_ACTIVE_SPIN_CNT; k++) {
                if (atomic_load_explicit(&l->key, memory_order_relaxed) == 0) {
                    uint32_t expected = 0;
                    if (atomic_compare_exchange_weak_explicit(
                            &l->key, &expected, wait, memory_order_acquire,
                            memory_order_relaxed))
                        return;
                }
                rt__cpu_relax();
            }
        }
        for (int i = 0; i < LOCK_PASSIVE_SPIN; i++) {
            sched_yield();
            uint32_t expected = 0;
            if (atomic_compare_exchange_strong_explicit(
                    &l->key, &expected, wait, memory_order_acquire,
                    memory_order_relaxed))
                return;
        }
        /* Sleep: mark the lock contended. The timeout bounds the cost of
         * the one wakeup rt__unlock's fast path can miss (see there). */
        wait = 2;
        if (atomic_exchange_explicit(&l->key, 2, memory_order_acquire) == 0)
            return;
        rt__futex_wait(&l->key, 2, LOCK_SLEEP_NS);
    }
}

void rt__lock(struct rt_lock *l)
{
    uint32_t expected = 0;
    if (rt_likely(atomic_compare_exchange_weak_explicit(
            &l->key, &expected, 1, memory_order_acquire,
            memory_order_relaxed)))
        return;
    lock_slow(l);
}

/* rt__unlock releases with a plain store when nobody was marked asleep:
 * one atomic read-modify-write per lock/unlock pair instead of two, which
 * is most of the cost of a channel operation.
 *
 * The price is one rare missed wakeup: a contender may mark the key 2 and
 * enter futex_wait in the instant between our load and our store. Had it
 * been later, futex_wait would see 0 and return at once; had it been
 * earlier, we would see 2. In that instant it sleeps without a wakeup, so
 * contenders sleep at most LOCK_SLEEP_NS at a time before looking again. */
void rt__unlock(struct rt_lock *l)
{
    uint32_t v = atomic_load_explicit(&l->key, memory_order_relaxed);
    if (rt_likely(v == 1)) {
        atomic_store_explicit(&l->key, 0, memory_order_release);
        return;
    }
    v = atomic_exchange_explicit(&l->key, 0, memory_order_release);
    if (rt_unlikely(v == 2))
        rt__futex_wake(&l->key, 1);
    else if (rt_unlikely(v == 0))
        RT_THROW("unlock of unlocked runtime lock %p", (void *)l);
}

/* Notes: key 0 cleared, 1 woken. A sleeper waits while the key is 0. */

void rt__note_clear(struct rt_note *n)
{
    atomic_store_explicit(&n->key, 0, memory_order_relaxed);
}

void rt__note_wakeup(struct rt_note *n)
{
    uint32_t old = atomic_exchange_explicit(&n->key, 1, memory_order_release);
    if (old != 0)
        RT_THROW("note woken twice");
    rt__futex_wake(&n->key, 1);
}

void rt__note_sleep(struct rt_note *n)
{
    while (atomic_load_explicit(&n->key, memory_order_acquire) == 0)
        rt__futex_wait(&n->key, 0, -1);
}

bool rt__note_tsleep(struct rt_note *n, int64_t ns)
{
    if (ns < 0) {
        rt__note_sleep(n);
        return true;
    }
    int64_t deadline = rt__nanotime() + ns;
    while (atomic_load_explicit(&n->key, memory_order_acquire) == 0) {
        int64_t left = deadline - rt__nanotime();
        if (left <= 0)
            return false;
        rt__futex_wait(&n->key, 0, left);
    }
    return true;
}
