/* SPDX-License-Identifier: MIT */
/*
 * go_sem (x/sync/semaphore.Weighted): TryAcquire respects the size, FIFO
 * (a big request at the front blocks smaller ones behind it), Acquire with
 * a context that gets canceled or was canceled already, a request larger
 * than the size, a bounded fan-out (measured), and releasing more than
 * held.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gosan.h>

#include "harness.h"

static int64_t cur_of(go_sem *s)
{
    go_mutex_lock(&s->mu);
    int64_t cur = s->cur;
    go_mutex_unlock(&s->mu);
    return cur;
}

/* queued_waiters counts the waiters in the queue (white-box: head and
 * tail, read under the semaphore's own mutex): 0, 1 or 2 (= "more"). */
static int queued_waiters(go_sem *s)
{
    go_mutex_lock(&s->mu);
    int n = s->head == NULL ? 0 : s->head == s->tail ? 1 : 2;
    go_mutex_unlock(&s->mu);
    return n;
}

static bool wait_queued(go_sem *s, int n)
{
    int64_t deadline = go_now() + 10000000000LL;
    while (queued_waiters(s) < n) {
        if (go_now() > deadline)
            return false;
        go_sleep(100000);
    }
    return true;
}

static bool wait_flag(int *p, int v, int64_t timeout_ns)
{
    int64_t deadline = go_now() + timeout_ns;
    while (__atomic_load_n(p, __ATOMIC_ACQUIRE) != v) {
        if (go_now() > deadline)
            return false;
        go_sleep(100000);
    }
    return true;
}

/* ---- TryAcquire ---------------------------------------------------------- */

START_TEST(test_semaphore_try_acquire_respects_size)
{
    go_sem s;
    go_sem_init(&s, 10);
    ck_assert(go_sem_try_acquire(&s, 3));
    ck_assert(go_sem_try_acquire(&s, 7));
    ck_assert(!go_sem_try_acquire(&s, 1));
    ck_assert_int_eq(cur_of(&s), 10);
    go_sem_release(&s, 5);
    ck_assert(!go_sem_try_acquire(&s, 6));
    ck_assert(go_sem_try_acquire(&s, 5));
    ck_assert(!go_sem_try_acquire(&s, 1));
    go_sem_release(&s, 10);
    ck_assert_int_eq(cur_of(&s), 0);
    ck_assert(!go_sem_try_acquire(&s, 11));
    ck_assert(go_sem_try_acquire(&s, 10));
    go_sem_release(&s, 10);
    /* Acquire with tokens available does not block. */
    ck_assert_int_eq(go_sem_acquire(&s, go_ctx_background(), 4), 0);
    ck_assert_int_eq(cur_of(&s), 4);
    go_sem_release(&s, 4);
    ck_assert_int_eq(cur_of(&s), 0);
}
END_TEST

/* ---- FIFO ---------------------------------------------------------------- */

struct fifo {
    go_sem s;
    int order; /* atomic */
    int big_pos, small_pos;
    int big_in, small_in; /* atomic */
    int big_res, small_res;
    go_chan *release_big;
    go_wg wg;
};

static void fifo_big(void *p)
{
    struct fifo *f = p;
    f->big_res = go_sem_acquire(&f->s, go_ctx_background(), 10);
    f->big_pos = __atomic_fetch_add(&f->order, 1, __ATOMIC_RELAXED);
    __atomic_store_n(&f->big_in, 1, __ATOMIC_RELEASE);
    go_chan_recv(f->release_big, NULL);
    go_sem_release(&f->s, 10);
    go_wg_done(&f->wg);
}

static void fifo_small(void *p)
{
    struct fifo *f = p;
    f->small_res = go_sem_acquire(&f->s, go_ctx_background(), 1);
    f->small_pos = __atomic_fetch_add(&f->order, 1, __ATOMIC_RELAXED);
    __atomic_store_n(&f->small_in, 1, __ATOMIC_RELEASE);
    go_sem_release(&f->s, 1);
    go_wg_done(&f->wg);
}

START_TEST(test_semaphore_fifo_big_request_blocks_smaller)
{
    struct fifo *f = calloc(1, sizeof *f);
    go_sem_init(&f->s, 10);
    f->release_big = go_chan_make(0, 0);
    ck_assert_int_eq(go_sem_acquire(&f->s, go_ctx_background(), 10), 0);
    go_wg_add(&f->wg, 2);
    go(fifo_big, f);
    ck_assert(wait_queued(&f->s, 1));
    go(fifo_small, f);
    ck_assert(wait_queued(&f->s, 2));
    /* One token free: it would fit the small request, but the big one is
     * at the front. */
    go_sem_release(&f->s, 1);
    ck_assert(!go_sem_try_acquire(&f->s, 1));
    go_sleep(20000000);
    ck_assert_int_eq(__atomic_load_n(&f->small_in, __ATOMIC_ACQUIRE), 0);
    ck_assert_int_eq(__atomic_load_n(&f->big_in, __ATOMIC_ACQUIRE), 0);
    /* All ten free: the big request gets them, the small one still waits. */
    go_sem_release(&f->s, 9);
    ck_assert(wait_flag(&f->big_in, 1, 10000000000LL));
    go_sleep(5000000);
    ck_assert_int_eq(__atomic_load_n(&f->small_in, __ATOMIC_ACQUIRE), 0);
    go_chan_send(f->release_big, NULL);
    go_wg_wait(&f->wg);
    ck_assert_int_eq(f->big_res, 0);
    ck_assert_int_eq(f->small_res, 0);
    ck_assert_int_eq(f->big_pos, 0);
    ck_assert_int_eq(f->small_pos, 1);
    ck_assert_int_eq(cur_of(&f->s), 0);
    ck_assert_int_eq(queued_waiters(&f->s), 0);
    go_chan_free(f->release_big);
    free(f);
}
END_TEST

/* ---- contexts ------------------------------------------------------------ */

struct ctx_acq {
    go_sem *s;
    go_ctx *ctx;
    int64_t n;
    int result; /* atomic; -1 until it returned */
    go_wg wg;
};

static void ctx_acquirer(void *p)
{
    struct ctx_acq *a = p;
    int r = go_sem_acquire(a->s, a->ctx, a->n);
    __atomic_store_n(&a->result, r, __ATOMIC_RELEASE);
    go_wg_done(&a->wg);
}

START_TEST(test_semaphore_acquire_canceled_while_waiting)
{
    go_sem s;
    go_sem_init(&s, 2);
    ck_assert(go_sem_try_acquire(&s, 2));
    struct ctx_acq a = {&s, go_ctx_with_cancel(go_ctx_background()), 1, -1};
    go_wg_add(&a.wg, 1);
    go(ctx_acquirer, &a);
    ck_assert(wait_queued(&s, 1));
    go_ctx_cancel(a.ctx);
    go_wg_wait(&a.wg);
    ck_assert_int_eq(a.result, GO_CANCELED);
    /* It left the queue and took nothing. */
    ck_assert_int_eq(queued_waiters(&s), 0);
    ck_assert_int_eq(cur_of(&s), 2);
    go_sem_release(&s, 2);
    ck_assert_int_eq(cur_of(&s), 0);
    ck_assert(go_sem_try_acquire(&s, 2));
    go_sem_release(&s, 2);
    go_ctx_release(a.ctx);

    /* Canceled by a deadline: GO_DEADLINE_EXCEEDED. */
    ck_assert(go_sem_try_acquire(&s, 2));
    int64_t t0 = go_now();
    go_ctx *t = go_ctx_with_timeout(go_ctx_background(), 20000000);
    ck_assert_int_eq(go_sem_acquire(&s, t, 1), GO_DEADLINE_EXCEEDED);
    ck_assert_int_ge(go_now() - t0, 20000000);
    ck_assert_int_eq(cur_of(&s), 2);
    ck_assert_int_eq(queued_waiters(&s), 0);
    go_sem_release(&s, 2);
    go_ctx_release(t);
}
END_TEST

/* The front waiter gives up: the one behind it fits and must be granted. */
START_TEST(test_semaphore_canceled_front_waiter_lets_others_in)
{
    go_sem s;
    go_sem_init(&s, 4);
    ck_assert(go_sem_try_acquire(&s, 3));
    struct ctx_acq big = {&s, go_ctx_with_cancel(go_ctx_background()), 4, -1};
    struct ctx_acq small = {&s, go_ctx_background(), 1, -1};
    go_wg_add(&big.wg, 1);
    go_wg_add(&small.wg, 1);
    go(ctx_acquirer, &big);
    ck_assert(wait_queued(&s, 1));
    go(ctx_acquirer, &small);
    ck_assert(wait_queued(&s, 2));
    go_ctx_cancel(big.ctx);
    go_wg_wait(&big.wg);
    go_wg_wait(&small.wg);
    ck_assert_int_eq(big.result, GO_CANCELED);
    ck_assert_int_eq(small.result, 0);
    ck_assert_int_eq(cur_of(&s), 4);
    go_sem_release(&s, 4);
    ck_assert_int_eq(cur_of(&s), 0);
    go_ctx_release(big.ctx);
}
END_TEST

START_TEST(test_semaphore_acquire_with_done_ctx_fails)
{
    go_sem s;
    go_sem_init(&s, 5);
    go_ctx *c = go_ctx_with_cancel(go_ctx_background());
    go_ctx_cancel(c);
    /* Tokens are there, but the context is done: fail, take nothing. */
    ck_assert_int_eq(go_sem_acquire(&s, c, 1), GO_CANCELED);
    ck_assert_int_eq(cur_of(&s), 0);
    /* Also when somebody already asked for the done channel. */
    go_ctx *c2 = go_ctx_with_cancel(go_ctx_background());
    ck_assert_ptr_nonnull(go_ctx_done(c2));
    go_ctx_cancel(c2);
    ck_assert_int_eq(go_sem_acquire(&s, c2, 1), GO_CANCELED);
    go_ctx *d = go_ctx_with_deadline(go_ctx_background(), go_now() - 1);
    ck_assert_int_eq(go_sem_acquire(&s, d, 5), GO_DEADLINE_EXCEEDED);
    ck_assert_int_eq(cur_of(&s), 0);
    ck_assert(go_sem_try_acquire(&s, 5));
    go_sem_release(&s, 5);
    go_ctx_release(c);
    go_ctx_release(c2);
    go_ctx_release(d);
}
END_TEST

START_TEST(test_semaphore_more_than_size_waits_for_ctx)
{
    go_sem s;
    go_sem_init(&s, 5);
    int64_t t0 = go_now();
    struct ctx_acq a = {&s, go_ctx_with_timeout(go_ctx_background(), 100000000),
                        6, -1};
    go_wg_add(&a.wg, 1);
    go(ctx_acquirer, &a);
    go_sleep(10000000);
    /* The doomed request is not queued: the others are not held up. */
    ck_assert_int_eq(__atomic_load_n(&a.result, __ATOMIC_ACQUIRE), -1);
    ck_assert_int_eq(queued_waiters(&s), 0);
    ck_assert(go_sem_try_acquire(&s, 5));
    go_sem_release(&s, 5);
    go_wg_wait(&a.wg);
    int64_t waited = go_now() - t0;
    ck_assert_int_eq(a.result, GO_DEADLINE_EXCEEDED);
    ck_assert_int_ge(waited, 100000000);
    ck_assert_int_eq(cur_of(&s), 0);
    go_ctx_release(a.ctx);
}
END_TEST

/* A grant racing with a cancel: whichever wins, no token leaks. */
#define RACE_ROUNDS 2000

START_TEST(test_semaphore_cancel_grant_race_leaks_nothing)
{
    go_sem s;
    go_sem_init(&s, 1);
    int ok = 0, canceled = 0;
    for (int i = 0; i < RACE_ROUNDS; i++) {
        ck_assert(go_sem_try_acquire(&s, 1));
        struct ctx_acq a = {&s, go_ctx_with_cancel(go_ctx_background()), 1, -1};
        go_wg_add(&a.wg, 1);
        go(ctx_acquirer, &a);
        if (i % 2)
            go_yield();
        /* Release and cancel at about the same time. */
        if (i % 3) {
            go_sem_release(&s, 1);
            go_ctx_cancel(a.ctx);
        } else {
            go_ctx_cancel(a.ctx);
            go_sem_release(&s, 1);
        }
        go_wg_wait(&a.wg);
        if (a.result == 0) {
            ok++;
            go_sem_release(&s, 1);
        } else {
            ck_assert_int_eq(a.result, GO_CANCELED);
            canceled++;
        }
        ck_assert_int_eq(cur_of(&s), 0);
        ck_assert_int_eq(queued_waiters(&s), 0);
        go_ctx_release(a.ctx);
    }
    ck_assert_int_eq(ok + canceled, RACE_ROUNDS);
}
END_TEST

/* ---- bounded fan-out ----------------------------------------------------- */

#define FAN_TASKS 200
#define FAN_BOUND 5

struct fan {
    go_sem s;
    int inflight;  /* atomic */
    int max;       /* atomic */
    int completed; /* atomic */
    int errors;    /* atomic */
    go_wg wg;
};

static void fan_task(void *p)
{
    struct fan *f = p;
    if (go_sem_acquire(&f->s, go_ctx_background(), 1) != 0) {
        __atomic_add_fetch(&f->errors, 1, __ATOMIC_RELAXED);
        go_wg_done(&f->wg);
        return;
    }
    int n = __atomic_add_fetch(&f->inflight, 1, __ATOMIC_RELAXED);
    int m = __atomic_load_n(&f->max, __ATOMIC_RELAXED);
    while (n > m &&
           !__atomic_compare_exchange_n(&f->max, &m, n, true, __ATOMIC_RELAXED,
                                        __ATOMIC_RELAXED)) {
    }
    go_sleep(200000);
    __atomic_sub_fetch(&f->inflight, 1, __ATOMIC_RELAXED);
    go_sem_release(&f->s, 1);
    __atomic_add_fetch(&f->completed, 1, __ATOMIC_RELAXED);
    go_wg_done(&f->wg);
}

START_TEST(test_semaphore_bounded_fan_out)
{
    struct fan *f = calloc(1, sizeof *f);
    go_sem_init(&f->s, FAN_BOUND);
    go_wg_add(&f->wg, FAN_TASKS);
    for (int i = 0; i < FAN_TASKS; i++)
        go(fan_task, f);
    go_wg_wait(&f->wg);
    ck_assert_int_eq(f->errors, 0);
    ck_assert_int_eq(f->completed, FAN_TASKS);
    ck_assert_int_le(f->max, FAN_BOUND);
    /* Each task sleeps holding its token: the bound is reached. */
    ck_assert_int_eq(f->max, FAN_BOUND);
    ck_assert_int_eq(cur_of(&f->s), 0);
    ck_assert_int_eq(queued_waiters(&f->s), 0);
    free(f);
}
END_TEST

/* ---- misuse -------------------------------------------------------------- */

SCENARIO(semaphore_release_more_than_held)
{
    static go_sem s;
    go_sem_init(&s, 3);
    go_sem_try_acquire(&s, 2);
    go_sem_release(&s, 3);
    printf("unreachable\n");
}

SCENARIO(semaphore_release_more_than_held_continue)
{
    static go_sem s;
    go_sem_init(&s, 3);
    go_sem_try_acquire(&s, 2);
    go_sem_release(&s, 3);
    printf("still running: cur %lld\n", (long long)s.cur);
    go_sem_release(&s, 2);
    printf("works: %d\n", go_sem_try_acquire(&s, 3));
}

START_TEST(test_semaphore_release_more_than_held_panics)
{
    struct child c;
    run_scenario("semaphore_release_more_than_held", NULL, 30, &c);
    ck_assert_killed(&c, SIGABRT);
    ck_assert_output_has(&c, "panic: semaphore: released more than held");
    ck_assert_output_lacks(&c, "unreachable");
    child_free(&c);

    const char *env[] = {"GOSAN_OPTIONS=halt_on_error=0", NULL};
    run_scenario("semaphore_release_more_than_held_continue", env, 30, &c);
    /* It goes on, and exits with gosan's exitcode since it reported. */
    ck_assert_exited(&c, 66);
    ck_assert_output_has(&c, "panic: semaphore: released more than held");
    ck_assert_output_has(&c, "still running: cur 2");
    ck_assert_output_has(&c, "works: 1");
    child_free(&c);
}
END_TEST

TCase *tcase_runtime_semaphore(void)
{
    TCase *tc = tcase_create("semaphore");
    tcase_add_checked_fixture(tc, rt_test_setup, rt_test_verify);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_semaphore_try_acquire_respects_size);
    tcase_add_test(tc, test_semaphore_fifo_big_request_blocks_smaller);
    tcase_add_test(tc, test_semaphore_acquire_canceled_while_waiting);
    tcase_add_test(tc, test_semaphore_canceled_front_waiter_lets_others_in);
    tcase_add_test(tc, test_semaphore_acquire_with_done_ctx_fails);
    tcase_add_test(tc, test_semaphore_more_than_size_waits_for_ctx);
    tcase_add_test(tc, test_semaphore_cancel_grant_race_leaks_nothing);
    tcase_add_test(tc, test_semaphore_bounded_fan_out);
    tcase_add_test(tc, test_semaphore_release_more_than_held_panics);
    return tc;
}
