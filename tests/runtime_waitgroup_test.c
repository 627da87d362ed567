/* SPDX-License-Identifier: MIT */
/*
 * go_wg (sync.WaitGroup): Add/Done/Wait, Wait on a zero counter, many
 * waiters released at once, reuse for new rounds once Wait returned, a
 * fan-out of 1000 goroutines, and the negative counter Go panics on (with
 * and without halt_on_error).
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gosan.h>

#include "harness.h"

static int32_t counter_of(go_wg *wg)
{
    return (int32_t)(__atomic_load_n(&wg->state, __ATOMIC_ACQUIRE) >> 32);
}

static uint32_t waiters_of(go_wg *wg)
{
    return (uint32_t)__atomic_load_n(&wg->state, __ATOMIC_ACQUIRE);
}

/* ---- Add, Done, Wait ----------------------------------------------------- */

struct basic {
    go_wg wg;
    int done[3]; /* plain: Done publishes them to Wait */
    int idx;     /* atomic */
};

static void basic_worker(void *p)
{
    struct basic *b = p;
    int i = __atomic_fetch_add(&b->idx, 1, __ATOMIC_RELAXED);
    go_sleep(1000000 * (i + 1));
    b->done[i] = 1;
    go_wg_done(&b->wg);
}

START_TEST(test_waitgroup_add_done_wait)
{
    struct basic b;
    memset(&b, 0, sizeof b);
    go_wg_add(&b.wg, 3);
    ck_assert_int_eq(counter_of(&b.wg), 3);
    for (int i = 0; i < 3; i++)
        go(basic_worker, &b);
    go_wg_wait(&b.wg);
    /* Everything before each Done happens before Wait returns. */
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(b.done[i], 1);
    ck_assert_int_eq(counter_of(&b.wg), 0);
    ck_assert_uint_eq(waiters_of(&b.wg), 0);
}
END_TEST

START_TEST(test_waitgroup_wait_on_zero_returns_at_once)
{
    go_wg wg = GO_WG_INIT;
    int64_t t0 = go_now();
    go_wg_wait(&wg);
    go_wg_wait(&wg);
    go_wg_add(&wg, 2);
    go_wg_done(&wg);
    go_wg_add(&wg, -1);
    go_wg_wait(&wg);
    go_wg_add(&wg, 0);
    go_wg_wait(&wg);
    /* Nothing blocked: well under the 1 s tolerance. */
    ck_assert_int_lt(go_now() - t0, 1000000000);
    ck_assert_uint_eq(wg.state, 0);
}
END_TEST

/* ---- many waiters -------------------------------------------------------- */

#define MANY_WAITERS 50

struct many {
    go_wg wg;      /* the one they all wait on */
    go_wg out;     /* the waiters have returned */
    int released;  /* atomic */
    int value;     /* plain, written before Done */
    int saw_value; /* atomic */
};

static void many_waiter(void *p)
{
    struct many *m = p;
    go_wg_wait(&m->wg);
    __atomic_add_fetch(&m->released, 1, __ATOMIC_RELAXED);
    if (m->value == 42)
        __atomic_add_fetch(&m->saw_value, 1, __ATOMIC_RELAXED);
    go_wg_done(&m->out);
}

START_TEST(test_waitgroup_many_waiters_all_released)
{
    struct many m;
    memset(&m, 0, sizeof m);
    go_wg_add(&m.wg, 1);
    go_wg_add(&m.out, MANY_WAITERS);
    for (int i = 0; i < MANY_WAITERS; i++)
        go(many_waiter, &m);
    /* White-box: every waiter counted itself in. */
    int64_t deadline = go_now() + 10000000000LL;
    while (waiters_of(&m.wg) < MANY_WAITERS && go_now() < deadline)
        go_sleep(100000);
    ck_assert_uint_eq(waiters_of(&m.wg), MANY_WAITERS);
    go_sleep(2000000);
    ck_assert_int_eq(__atomic_load_n(&m.released, __ATOMIC_RELAXED), 0);
    m.value = 42;
    go_wg_done(&m.wg);
    go_wg_wait(&m.out);
    ck_assert_int_eq(m.released, MANY_WAITERS);
    ck_assert_int_eq(m.saw_value, MANY_WAITERS);
    ck_assert_uint_eq(m.wg.state, 0);
}
END_TEST

/* ---- reuse --------------------------------------------------------------- */

#define ROUNDS 500
#define ROUND_WORKERS 8
#define ROUND_WAITERS 3

struct reuse {
    go_wg wg;                /* reused every round */
    go_wg waiters;           /* the round's extra waiters returned */
    int round;               /* plain, written by main between rounds */
    int work[ROUND_WORKERS]; /* plain */
    int bad;                 /* atomic */
};

struct reuse_worker_arg {
    struct reuse *r;
    int i;
};

static void reuse_worker(void *p)
{
    struct reuse_worker_arg *a = p;
    a->r->work[a->i] = a->r->round;
    go_wg_done(&a->r->wg);
}

static void reuse_waiter(void *p)
{
    struct reuse *r = p;
    go_wg_wait(&r->wg);
    for (int i = 0; i < ROUND_WORKERS; i++)
        if (r->work[i] != r->round)
            __atomic_add_fetch(&r->bad, 1, __ATOMIC_RELAXED);
    go_wg_done(&r->waiters);
}

START_TEST(test_waitgroup_reuse_after_wait)
{
    struct reuse *r = calloc(1, sizeof *r);
    struct reuse_worker_arg args[ROUND_WORKERS];
    for (int round = 1; round <= ROUNDS; round++) {
        r->round = round;
        go_wg_add(&r->wg, ROUND_WORKERS);
        go_wg_add(&r->waiters, ROUND_WAITERS);
        for (int i = 0; i < ROUND_WAITERS; i++)
            go(reuse_waiter, r);
        for (int i = 0; i < ROUND_WORKERS; i++) {
            args[i] = (struct reuse_worker_arg){r, i};
            go(reuse_worker, &args[i]);
        }
        go_wg_wait(&r->wg);
        for (int i = 0; i < ROUND_WORKERS; i++)
            ck_assert_int_eq(r->work[i], round);
        /* Every Wait of this round has returned before the next Add. */
        go_wg_wait(&r->waiters);
    }
    ck_assert_int_eq(r->bad, 0);
    ck_assert_uint_eq(r->wg.state, 0);
    free(r);
}
END_TEST

/* ---- fan-out ------------------------------------------------------------- */

#define FANOUT 1000

struct fan {
    go_wg wg;
    int slot[FANOUT]; /* plain, one per goroutine */
    int ran;          /* atomic */
};

struct fan_arg {
    struct fan *f;
    int i;
};

static void fan_worker(void *p)
{
    struct fan_arg *a = p;
    a->f->slot[a->i] = a->i + 1;
    __atomic_add_fetch(&a->f->ran, 1, __ATOMIC_RELAXED);
    go_wg_done(&a->f->wg);
}

/* _i == 0: one Add of 1000; _i == 1: Add(1) before each go statement. */
START_TEST(test_waitgroup_fan_out_1000)
{
    struct fan *f = calloc(1, sizeof *f);
    struct fan_arg *args = calloc(FANOUT, sizeof *args);
    if (_i == 0)
        go_wg_add(&f->wg, FANOUT);
    for (int i = 0; i < FANOUT; i++) {
        args[i] = (struct fan_arg){f, i};
        if (_i == 1)
            go_wg_add(&f->wg, 1);
        go(fan_worker, &args[i]);
    }
    go_wg_wait(&f->wg);
    ck_assert_int_eq(f->ran, FANOUT);
    long sum = 0;
    for (int i = 0; i < FANOUT; i++)
        sum += f->slot[i];
    ck_assert_int_eq(sum, (long)FANOUT * (FANOUT + 1) / 2);
    ck_assert_uint_eq(f->wg.state, 0);
    free(args);
    free(f);
}
END_TEST

/* ---- deadlock ------------------------------------------------------------ */

SCENARIO(waitgroup_deadlock)
{
    static go_wg wg;
    go_wg_add(&wg, 1);
    go_wg_wait(&wg);
    printf("unreachable\n"); /* and no tail call: keep this frame */
}

START_TEST(test_waitgroup_deadlock_all_asleep)
{
    struct child c;
    run_scenario("waitgroup_deadlock", NULL, 30, &c);
    ck_assert_exited(&c, 2);
    ck_assert_output_has(&c, "fatal error: all goroutines are asleep - "
                             "deadlock!");
    ck_assert_output_has(&c, "goroutine 1 [sync.WaitGroup.Wait]:");
    ck_assert_output_has(&c, "scenario_waitgroup_deadlock");
    child_free(&c);
}
END_TEST

/* ---- misuse -------------------------------------------------------------- */

SCENARIO(waitgroup_negative)
{
    static go_wg wg;
    go_wg_add(&wg, 1);
    go_wg_done(&wg);
    go_wg_done(&wg);
    printf("unreachable\n");
}

static void neg_done(void *p)
{
    go_wg_done(p);
}

SCENARIO(waitgroup_negative_continue)
{
    static go_wg wg;
    go_wg_done(&wg);
    printf("still running: counter %d\n", (int)counter_of(&wg));
    go_wg_add(&wg, -5);
    /* The counter is consistent: the group still works. */
    go_wg_add(&wg, 3);
    for (int i = 0; i < 3; i++)
        go(neg_done, &wg);
    go_wg_wait(&wg);
    printf("works: state %llu\n", (unsigned long long)wg.state);
}

START_TEST(test_waitgroup_negative_counter_panics)
{
    struct child c;
    run_scenario("waitgroup_negative", NULL, 30, &c);
    ck_assert_killed(&c, SIGABRT);
    ck_assert_output_has(&c, "panic: sync: negative WaitGroup counter");
    ck_assert_output_has(&c, "goroutine 1 [running]:");
    ck_assert_output_has(&c, "scenario_waitgroup_negative");
    ck_assert_output_lacks(&c, "unreachable");
    child_free(&c);
}
END_TEST

START_TEST(test_waitgroup_negative_continues_without_halt)
{
    struct child c;
    const char *env[] = {"GOSAN_OPTIONS=halt_on_error=0", NULL};
    run_scenario("waitgroup_negative_continue", env, 30, &c);
    /* It goes on, and exits with gosan's exitcode since it reported. */
    ck_assert_exited(&c, 66);
    ck_assert_int_eq(child_count(&c, "panic: sync: negative WaitGroup "
                                     "counter"),
                     2);
    ck_assert_output_has(&c, "still running: counter 0");
    ck_assert_output_has(&c, "works: state 0");
    child_free(&c);
}
END_TEST

TCase *tcase_runtime_waitgroup(void)
{
    TCase *tc = tcase_create("waitgroup");
    tcase_add_checked_fixture(tc, rt_test_setup, rt_test_verify);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_waitgroup_add_done_wait);
    tcase_add_test(tc, test_waitgroup_wait_on_zero_returns_at_once);
    tcase_add_test(tc, test_waitgroup_many_waiters_all_released);
    tcase_add_test(tc, test_waitgroup_reuse_after_wait);
    tcase_add_loop_test(tc, test_waitgroup_fan_out_1000, 0, 2);
    tcase_add_test(tc, test_waitgroup_deadlock_all_asleep);
    tcase_add_test(tc, test_waitgroup_negative_counter_panics);
    tcase_add_test(tc, test_waitgroup_negative_continues_without_halt);
    return tc;
}
