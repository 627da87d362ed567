/* SPDX-License-Identifier: MIT */
/*
 * go_cond (sync.Cond): Signal wakes one waiter (the oldest), Broadcast
 * wakes all, a Signal between a waiter's ticket and its sleep is not lost
 * (producer/consumer stress), Wait releases L and holds it again when it
 * returns, and the misuse: Wait without L, a Cond copied after first use.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gosan.h>

#include "harness.h"

/* wait_waiting waits (polling under L) until *waiting reaches n: each of
 * them took its ticket and released L inside go_cond_wait. */
static bool wait_waiting(go_mutex *l, int *waiting, int n)
{
    int64_t deadline = go_now() + 10000000000LL;
    for (;;) {
        go_mutex_lock(l);
        int w = *waiting;
        go_mutex_unlock(l);
        if (w >= n)
            return true;
        if (go_now() > deadline)
            return false;
        go_sleep(100000);
    }
}

static bool wait_atomic(int *p, int n, int64_t timeout_ns)
{
    int64_t deadline = go_now() + timeout_ns;
    while (__atomic_load_n(p, __ATOMIC_ACQUIRE) < n) {
        if (go_now() > deadline)
            return false;
        go_sleep(100000);
    }
    return true;
}

/* ---- Signal and Broadcast ------------------------------------------------ */

#define MAX_WAITERS 32

struct wake {
    go_mutex l;
    go_cond c;
    int waiting;            /* under l */
    int woken;              /* atomic */
    int order[MAX_WAITERS]; /* under l: ids in wake order */
    int next_id;            /* under l */
    go_wg wg;
};

static void wake_waiter(void *p)
{
    struct wake *w = p;
    go_mutex_lock(&w->l);
    int id = w->next_id++;
    w->waiting++;
    go_cond_wait(&w->c);
    /* L is held again here. */
    w->order[__atomic_fetch_add(&w->woken, 1, __ATOMIC_ACQ_REL)] = id;
    go_mutex_unlock(&w->l);
    go_wg_done(&w->wg);
}

START_TEST(test_cond_signal_wakes_one)
{
    struct wake *w = calloc(1, sizeof *w);
    go_cond_init(&w->c, &w->l);
    go_wg_add(&w->wg, 3);
    /* One at a time, so that their tickets are in id order. */
    for (int i = 0; i < 3; i++) {
        go(wake_waiter, w);
        ck_assert(wait_waiting(&w->l, &w->waiting, i + 1));
    }
    for (int k = 1; k <= 3; k++) {
        go_cond_signal(&w->c);
        ck_assert(wait_atomic(&w->woken, k, 10000000000LL));
        /* And not more than one per Signal. */
        go_sleep(10000000);
        ck_assert_int_eq(__atomic_load_n(&w->woken, __ATOMIC_ACQUIRE), k);
    }
    go_wg_wait(&w->wg);
    /* Signal wakes the goroutine that has waited longest. */
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(w->order[i], i);
    /* No waiter left: a Signal now is a no-op. */
    go_cond_signal(&w->c);
    ck_assert_uint_eq(w->c.wait, w->c.notify);
    free(w);
}
END_TEST

START_TEST(test_cond_broadcast_wakes_all)
{
    enum { N = 20 };
    struct wake *w = calloc(1, sizeof *w);
    go_cond_init(&w->c, &w->l);
    go_wg_add(&w->wg, N);
    for (int i = 0; i < N; i++)
        go(wake_waiter, w);
    ck_assert(wait_waiting(&w->l, &w->waiting, N));
    ck_assert_int_eq(__atomic_load_n(&w->woken, __ATOMIC_ACQUIRE), 0);
    go_cond_broadcast(&w->c);
    go_wg_wait(&w->wg);
    ck_assert_int_eq(w->woken, N);
    ck_assert_uint_eq(w->c.wait, N);
    ck_assert_uint_eq(w->c.notify, N);
    ck_assert_ptr_null(w->c.head);
    ck_assert_ptr_null(w->c.tail);
    /* Broadcast with nobody waiting is a no-op. */
    go_cond_broadcast(&w->c);
    /* A waiter that comes after the Broadcast is not woken by it. */
    go_wg_add(&w->wg, 1);
    go(wake_waiter, w);
    ck_assert(wait_waiting(&w->l, &w->waiting, N + 1));
    go_sleep(10000000);
    ck_assert_int_eq(__atomic_load_n(&w->woken, __ATOMIC_ACQUIRE), N);
    go_cond_signal(&w->c);
    go_wg_wait(&w->wg);
    ck_assert_int_eq(w->woken, N + 1);
    free(w);
}
END_TEST

/* The notify list's tickets are 32-bit counters that wrap: white-box,
 * start them just below the wrap and go through it with Signal and
 * Broadcast. */
START_TEST(test_cond_ticket_wraparound)
{
    struct wake *w = calloc(1, sizeof *w);
    go_cond_init(&w->c, &w->l);
    w->c.wait = w->c.notify = UINT32_MAX - 2;
    int expect = 0;
    for (int round = 0; round < 4; round++) {
        go_wg_add(&w->wg, 3);
        for (int i = 0; i < 3; i++) {
            go(wake_waiter, w);
            ck_assert(wait_waiting(&w->l, &w->waiting, expect + i + 1));
        }
        if (round % 2) {
            go_cond_broadcast(&w->c);
        } else {
            for (int i = 0; i < 3; i++) {
                go_cond_signal(&w->c);
                ck_assert(
                    wait_atomic(&w->woken, expect + i + 1, 10000000000LL));
            }
        }
        go_wg_wait(&w->wg);
        expect += 3;
        ck_assert_int_eq(w->woken, expect);
        ck_assert_uint_eq(w->c.wait, w->c.notify);
    }
    ck_assert_uint_eq(w->c.wait, (uint32_t)(UINT32_MAX - 2 + 12));
    free(w);
}
END_TEST

/* ---- no lost wakeups: a bounded queue ------------------------------------ */

#define PC_PRODUCERS 4
#define PC_CONSUMERS 4
#define PC_ITEMS 30000 /* per producer */
#define PC_CAP 4

struct pc {
    go_mutex l;
    go_cond not_empty, not_full;
    uint64_t buf[PC_CAP];
    int head, len;
    int producers_left; /* under l */
    uint64_t sum[PC_CONSUMERS];
    uint64_t count[PC_CONSUMERS];
    int next_consumer; /* atomic */
    int finished;      /* atomic */
    go_wg wg;
};

static void pc_producer(void *p)
{
    struct pc *q = p;
    static int next_id;
    int id = __atomic_fetch_add(&next_id, 1, __ATOMIC_RELAXED) % PC_PRODUCERS;
    for (uint64_t i = 0; i < PC_ITEMS; i++) {
        go_mutex_lock(&q->l);
        while (q->len == PC_CAP)
            go_cond_wait(&q->not_full);
        q->buf[(q->head + q->len) % PC_CAP] = (uint64_t)id * PC_ITEMS + i + 1;
        q->len++;
        go_mutex_unlock(&q->l);
        /* Outside L: this Signal may land between a consumer's ticket and
         * its sleep. */
        go_cond_signal(&q->not_empty);
    }
    go_mutex_lock(&q->l);
    q->producers_left--;
    go_mutex_unlock(&q->l);
    go_cond_broadcast(&q->not_empty);
    __atomic_add_fetch(&q->finished, 1, __ATOMIC_RELEASE);
    go_wg_done(&q->wg);
}

static void pc_consumer(void *p)
{
    struct pc *q = p;
    int id = __atomic_fetch_add(&q->next_consumer, 1, __ATOMIC_RELAXED);
    for (;;) {
        go_mutex_lock(&q->l);
        while (q->len == 0 && q->producers_left > 0)
            go_cond_wait(&q->not_empty);
        if (q->len == 0) {
            go_mutex_unlock(&q->l);
            break;
        }
        uint64_t v = q->buf[q->head];
        q->head = (q->head + 1) % PC_CAP;
        q->len--;
        go_mutex_unlock(&q->l);
        go_cond_signal(&q->not_full);
        q->sum[id] += v;
        q->count[id]++;
    }
    __atomic_add_fetch(&q->finished, 1, __ATOMIC_RELEASE);
    go_wg_done(&q->wg);
}

/* _i == 0: the default GOMAXPROCS; _i == 1: one P. */
START_TEST(test_cond_no_lost_wakeup_queue)
{
    int prev = _i == 1 ? go_maxprocs(1) : 0;
    struct pc *q = calloc(1, sizeof *q);
    go_cond_init(&q->not_empty, &q->l);
    go_cond_init(&q->not_full, &q->l);
    q->producers_left = PC_PRODUCERS;
    go_wg_add(&q->wg, PC_PRODUCERS + PC_CONSUMERS);
    for (int i = 0; i < PC_CONSUMERS; i++)
        go(pc_consumer, q);
    for (int i = 0; i < PC_PRODUCERS; i++)
        go(pc_producer, q);
    /* A lost wakeup would hang them: bound the wait (checked by the
     * assertion, not by the test's timeout). */
    bool all =
        wait_atomic(&q->finished, PC_PRODUCERS + PC_CONSUMERS, 30000000000LL);
    if (prev > 0)
        go_maxprocs(prev);
    ck_assert_msg(all,
                  "producer/consumer stalled: %d of %d finished "
                  "(a lost wakeup?)",
                  q->finished, PC_PRODUCERS + PC_CONSUMERS);
    go_wg_wait(&q->wg);
    uint64_t n = (uint64_t)PC_PRODUCERS * PC_ITEMS, sum = 0, count = 0;
    for (int i = 0; i < PC_CONSUMERS; i++) {
        sum += q->sum[i];
        count += q->count[i];
    }
    ck_assert_uint_eq(count, n);
    ck_assert_uint_eq(sum, n * (n + 1) / 2);
    free(q);
}
END_TEST

/* ---- Wait releases L and takes it again ---------------------------------- */

struct relock {
    go_mutex l;
    go_cond c;
    int ready;           /* under l */
    int go_on;           /* under l */
    int held_after_wait; /* atomic: 1 if L was locked when Wait returned */
    go_chan *woke;       /* waiter -> main, sent while holding L */
    go_chan *leave;      /* main -> waiter */
};

static void relock_waiter(void *p)
{
    struct relock *r = p;
    go_mutex_lock(&r->l);
    r->ready = 1;
    while (!r->go_on)
        go_cond_wait(&r->c);
    /* We hold L: our own TryLock fails. */
    __atomic_store_n(&r->held_after_wait, !go_mutex_trylock(&r->l),
                     __ATOMIC_RELEASE);
    go_chan_send(r->woke, NULL);
    go_chan_recv(r->leave, NULL);
    go_mutex_unlock(&r->l);
}

START_TEST(test_cond_wait_releases_and_reacquires_lock)
{
    struct relock r;
    memset(&r, 0, sizeof r);
    go_cond_init(&r.c, &r.l);
    r.woke = go_chan_make(0, 0);
    r.leave = go_chan_make(0, 0);
    go(relock_waiter, &r);
    ck_assert(wait_waiting(&r.l, &r.ready, 1));
    /* The waiter sits in Wait: L is free for us. */
    ck_assert(go_mutex_trylock(&r.l));
    r.go_on = 1;
    go_cond_signal(&r.c);
    go_mutex_unlock(&r.l);
    go_chan_recv(r.woke, NULL);
    ck_assert_int_eq(__atomic_load_n(&r.held_after_wait, __ATOMIC_ACQUIRE), 1);
    /* The waiter holds L now. */
    ck_assert(!go_mutex_trylock(&r.l));
    go_chan_send(r.leave, NULL);
    go_mutex_lock(&r.l);
    go_mutex_unlock(&r.l);
    go_chan_free(r.woke);
    go_chan_free(r.leave);
}
END_TEST

/* ---- deadlock ------------------------------------------------------------ */

SCENARIO(cond_deadlock)
{
    static go_mutex l;
    static go_cond c;
    go_cond_init(&c, &l);
    go_mutex_lock(&l);
    go_cond_wait(&c);
    printf("unreachable\n"); /* and no tail call: keep this frame */
}

START_TEST(test_cond_deadlock_all_asleep)
{
    struct child c;
    run_scenario("cond_deadlock", NULL, 30, &c);
    ck_assert_exited(&c, 2);
    ck_assert_output_has(&c, "fatal error: all goroutines are asleep - "
                             "deadlock!");
    ck_assert_output_has(&c, "goroutine 1 [sync.Cond.Wait]:");
    ck_assert_output_has(&c, "scenario_cond_deadlock");
    child_free(&c);
}
END_TEST

/* ---- misuse -------------------------------------------------------------- */

SCENARIO(cond_wait_without_lock)
{
    static go_mutex l;
    static go_cond c;
    go_cond_init(&c, &l);
    go_cond_wait(&c);
    printf("unreachable\n");
}

SCENARIO(cond_copied)
{
    static go_mutex l;
    static go_cond c, copy;
    go_cond_init(&c, &l);
    go_cond_signal(&c); /* first use: the Cond remembers its address */
    memcpy(&copy, &c, sizeof c);
    go_cond_signal(&copy);
    printf("unreachable\n");
}

SCENARIO(cond_copied_broadcast)
{
    static go_mutex l;
    static go_cond c, copy;
    go_cond_init(&c, &l);
    go_cond_broadcast(&c);
    memcpy(&copy, &c, sizeof c);
    go_cond_broadcast(&copy);
    printf("unreachable\n");
}

START_TEST(test_cond_wait_without_lock_panics)
{
    struct child c;
    run_scenario("cond_wait_without_lock", NULL, 30, &c);
    ck_assert_killed(&c, SIGABRT);
    ck_assert_output_has(&c, "sync: Cond.Wait called without holding its "
                             "lock");
    ck_assert_output_has(&c, "scenario_cond_wait_without_lock");
    ck_assert_output_lacks(&c, "unreachable");
    child_free(&c);
}
END_TEST

START_TEST(test_cond_copied_panics)
{
    static const char *const names[] = {"cond_copied", "cond_copied_broadcast"};
    for (int i = 0; i < 2; i++) {
        struct child c;
        run_scenario(names[i], NULL, 30, &c);
        ck_assert_killed(&c, SIGABRT);
        ck_assert_output_has(&c, "panic: sync.Cond is copied");
        ck_assert_output_lacks(&c, "unreachable");
        child_free(&c);
    }
}
END_TEST

TCase *tcase_runtime_cond(void)
{
    TCase *tc = tcase_create("cond");
    tcase_add_checked_fixture(tc, rt_test_setup, rt_test_verify);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_cond_signal_wakes_one);
    tcase_add_test(tc, test_cond_broadcast_wakes_all);
    tcase_add_test(tc, test_cond_ticket_wraparound);
    tcase_add_loop_test(tc, test_cond_no_lost_wakeup_queue, 0, 2);
    tcase_add_test(tc, test_cond_wait_releases_and_reacquires_lock);
    tcase_add_test(tc, test_cond_deadlock_all_asleep);
    tcase_add_test(tc, test_cond_wait_without_lock_panics);
    tcase_add_test(tc, test_cond_copied_panics);
    return tc;
}
