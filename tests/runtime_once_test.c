/* SPDX-License-Identifier: MIT */
/*
 * go_once (sync.Once): with 1000 concurrent first callers fn runs exactly
 * once and every caller returns only after it finished; later calls do
 * nothing, whatever function they pass.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gosan.h>

#include "harness.h"

#define CALLERS 1000

struct once_test {
    go_once once;
    int runs;       /* atomic: how often fn ran */
    int finished;   /* plain: set by fn just before it returns */
    int not_done;   /* atomic: callers that returned before fn finished */
    int returned;   /* atomic */
    go_chan *start; /* closed to let every caller go at once */
    go_wg wg;
};

static void slow_init(void *p)
{
    struct once_test *t = p;
    __atomic_add_fetch(&t->runs, 1, __ATOMIC_RELAXED);
    /* Long enough for every other caller to arrive and wait. */
    go_sleep(20000000);
    t->finished = 1;
}

static void once_caller(void *p)
{
    struct once_test *t = p;
    go_chan_recv(t->start, NULL);
    go_once_do(&t->once, slow_init, t);
    /* A plain read: go_once_do's return must order it after fn. */
    if (t->finished != 1)
        __atomic_add_fetch(&t->not_done, 1, __ATOMIC_RELAXED);
    __atomic_add_fetch(&t->returned, 1, __ATOMIC_RELAXED);
    go_wg_done(&t->wg);
}

/* _i == 0: the default GOMAXPROCS; _i == 1: one P. */
START_TEST(test_once_concurrent_callers_run_fn_once)
{
    int prev = _i == 1 ? go_maxprocs(1) : 0;
    struct once_test *t = calloc(1, sizeof *t);
    t->start = go_chan_make(0, 0);
    go_wg_add(&t->wg, CALLERS);
    for (int i = 0; i < CALLERS; i++)
        go(once_caller, t);
    go_chan_close(t->start);
    go_wg_wait(&t->wg);
    if (prev > 0)
        go_maxprocs(prev);
    ck_assert_int_eq(t->runs, 1);
    ck_assert_int_eq(t->not_done, 0);
    ck_assert_int_eq(t->returned, CALLERS);
    ck_assert_int_eq(t->finished, 1);
    ck_assert_int_eq(t->once.m.state, 0);
    go_chan_free(t->start);
    free(t);
}
END_TEST

static void count(void *p)
{
    (*(int *)p)++;
}

static void count_other(void *p)
{
    (*(int *)p) += 100;
}

START_TEST(test_once_later_calls_do_nothing)
{
    go_once o = GO_ONCE_INIT;
    int n = 0;
    go_once_do(&o, count, &n);
    ck_assert_int_eq(n, 1);
    for (int i = 0; i < 10; i++)
        go_once_do(&o, count, &n);
    ck_assert_int_eq(n, 1);
    /* Another function, another argument: still done. */
    int other = 0;
    go_once_do(&o, count_other, &other);
    ck_assert_int_eq(other, 0);
    ck_assert_int_eq(n, 1);
    /* A fresh Once runs again. */
    go_once o2 = GO_ONCE_INIT;
    go_once_do(&o2, count_other, &other);
    ck_assert_int_eq(other, 100);
}
END_TEST

/* Once inside the function of another Once, and an fn that starts
 * goroutines which themselves call the same Once (they wait for it). */
struct nested {
    go_once outer, inner;
    int inner_runs;
    int helper_saw; /* atomic */
    go_wg wg;
};

static void inner_fn(void *p)
{
    struct nested *n = p;
    n->inner_runs++;
}

static void helper(void *p)
{
    struct nested *n = p;
    go_once_do(&n->inner, inner_fn, n);
    __atomic_store_n(&n->helper_saw, n->inner_runs, __ATOMIC_RELAXED);
    go_wg_done(&n->wg);
}

static void outer_fn(void *p)
{
    struct nested *n = p;
    go_wg_add(&n->wg, 1);
    go(helper, n);
    go_sleep(2000000);
    go_once_do(&n->inner, inner_fn, n);
}

START_TEST(test_once_nested_onces)
{
    struct nested n;
    memset(&n, 0, sizeof n);
    go_once_do(&n.outer, outer_fn, &n);
    go_wg_wait(&n.wg);
    ck_assert_int_eq(n.inner_runs, 1);
    ck_assert_int_eq(n.helper_saw, 1);
}
END_TEST

/* go_exit inside fn: Go's Do defers both the done flag and the unlock, and
 * Goexit runs deferred calls, so Do "considers it to have returned": later
 * calls return without calling their function, and nobody is left blocked
 * on the Once. */
static go_once exit_once;

static void fn_exits(void *p)
{
    (void)p;
    go_exit();
}

static void exit_caller(void *p)
{
    go_once_do(&exit_once, fn_exits, NULL);
    printf("unreachable after go_exit\n");
    go_chan_send(p, NULL);
}

static void second_fn(void *p)
{
    (void)p;
    printf("second fn ran\n");
}

SCENARIO(once_fn_goexit)
{
    go_chan *c = go_chan_make(0, 1);
    go(exit_caller, c);
    go_sleep(10000000);
    go_once_do(&exit_once, second_fn, NULL);
    printf("second Do returned\n");
}

START_TEST(test_once_fn_goexit_counts_as_returned)
{
    struct child c;
    run_scenario("once_fn_goexit", NULL, 30, &c);
    ck_assert_exited(&c, 0);
    ck_assert_output_has(&c, "second Do returned");
    ck_assert_output_lacks(&c, "second fn ran");
    ck_assert_output_lacks(&c, "unreachable after go_exit");
    child_free(&c);
}
END_TEST

TCase *tcase_runtime_once(void)
{
    TCase *tc = tcase_create("once");
    tcase_add_checked_fixture(tc, rt_test_setup, rt_test_verify);
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, test_once_concurrent_callers_run_fn_once, 0, 2);
    tcase_add_test(tc, test_once_later_calls_do_nothing);
    tcase_add_test(tc, test_once_nested_onces);
    tcase_add_test(tc, test_once_fn_goexit_counts_as_returned);
    return tc;
}
