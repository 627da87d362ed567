/* SPDX-License-Identifier: MIT */
/*
 * go_errgroup (x/sync/errgroup): all succeed; the first error (by time)
 * is returned and cancels the group's context so that the others return;
 * set_limit bounds the goroutines in flight (measured); Wait frees nothing
 * and go_errgroup_free cleans up; a group without a context.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gosan.h>

#include "harness.h"

#define MS 1000000LL

static bool is_done(go_ctx *c)
{
    go_chan *d = go_ctx_done(c);
    return d != NULL && go_chan_try_recv(d, NULL) == -1;
}

/* ---- all succeed --------------------------------------------------------- */

struct counter {
    int ran;    /* atomic */
    int saw_ok; /* atomic: the context was not done while they ran */
};

static int succeed(go_ctx *ctx, void *arg)
{
    struct counter *c = arg;
    go_sleep(1 * MS);
    if (go_ctx_err(ctx) == GO_CTX_OK)
        __atomic_add_fetch(&c->saw_ok, 1, __ATOMIC_RELAXED);
    __atomic_add_fetch(&c->ran, 1, __ATOMIC_RELAXED);
    return 0;
}

START_TEST(test_errgroup_all_succeed)
{
    struct counter c = {0};
    go_ctx *ctx = NULL;
    go_errgroup *g = go_errgroup_new(go_ctx_background(), &ctx);
    ck_assert_ptr_nonnull(g);
    ck_assert_ptr_nonnull(ctx);
    ck_assert_int_eq(go_ctx_err(ctx), GO_CTX_OK);
    for (int i = 0; i < 20; i++)
        go_errgroup_go(g, succeed, &c);
    ck_assert_int_eq(go_errgroup_wait(g), 0);
    ck_assert_int_eq(c.ran, 20);
    ck_assert_int_eq(c.saw_ok, 20);
    /* Wait cancels the group's context (errgroup.WithContext). */
    ck_assert_int_eq(go_ctx_err(ctx), GO_CANCELED);
    go_errgroup_free(g);

    /* An empty group. */
    g = go_errgroup_new(go_ctx_background(), NULL);
    ck_assert_int_eq(go_errgroup_wait(g), 0);
    go_errgroup_free(g);
}
END_TEST

/* ---- the first error ----------------------------------------------------- */

struct first {
    int returned_on_cancel; /* atomic */
    int timed_out;          /* atomic */
};

static int fail_7_soon(go_ctx *ctx, void *arg)
{
    (void)ctx;
    (void)arg;
    go_sleep(10 * MS);
    return 7;
}

static int fail_9_later(go_ctx *ctx, void *arg)
{
    (void)arg;
    /* Fails too, but only after the group was canceled: not first. */
    go_chan_recv(go_ctx_done(ctx), NULL);
    go_sleep(5 * MS);
    return 9;
}

/* blocked waits for the group's context, or 10 s. */
static int blocked(go_ctx *ctx, void *arg)
{
    struct first *f = arg;
    go_chan *timeout = go_after(10000 * MS);
    go_select_case cases[2] = {
        GO_RECV_CASE(go_ctx_done(ctx), NULL),
        GO_RECV_CASE(timeout, NULL),
    };
    int chosen = go_select(cases, 2, false);
    go_chan_free(timeout);
    if (chosen == 0) {
        __atomic_add_fetch(&f->returned_on_cancel, 1, __ATOMIC_RELAXED);
        return go_ctx_err(ctx) == GO_CANCELED ? 99 : 98;
    }
    __atomic_add_fetch(&f->timed_out, 1, __ATOMIC_RELAXED);
    return 0;
}

START_TEST(test_errgroup_first_error_cancels_the_rest)
{
    struct first f = {0};
    go_ctx *ctx;
    go_errgroup *g = go_errgroup_new(go_ctx_background(), &ctx);
    int64_t t0 = go_now();
    for (int i = 0; i < 5; i++)
        go_errgroup_go(g, blocked, &f);
    go_errgroup_go(g, fail_9_later, NULL);
    go_errgroup_go(g, fail_7_soon, NULL);
    for (int i = 0; i < 5; i++)
        go_errgroup_go(g, blocked, &f);
    int err = go_errgroup_wait(g);
    int64_t elapsed = go_now() - t0;
    ck_assert_int_eq(err, 7);
    ck_assert_int_eq(f.returned_on_cancel, 10);
    ck_assert_int_eq(f.timed_out, 0);
    ck_assert_int_eq(go_ctx_err(ctx), GO_CANCELED);
    ck_assert(is_done(ctx));
    /* The blocked ones returned on the cancel, not after their 10 s. */
    ck_assert_int_lt(elapsed, 5000 * MS);
    go_errgroup_free(g);
}
END_TEST

/* A parent context canceled from outside reaches the group's. */
START_TEST(test_errgroup_parent_cancel_reaches_tasks)
{
    struct first f = {0};
    go_ctx *parent = go_ctx_with_cancel(go_ctx_background());
    go_ctx *ctx;
    go_errgroup *g = go_errgroup_new(parent, &ctx);
    for (int i = 0; i < 4; i++)
        go_errgroup_go(g, blocked, &f);
    go_sleep(5 * MS);
    go_ctx_cancel(parent);
    /* Every task returned 99 (canceled): the first of them. */
    ck_assert_int_eq(go_errgroup_wait(g), 99);
    ck_assert_int_eq(f.returned_on_cancel, 4);
    ck_assert_int_eq(go_ctx_err(ctx), GO_CANCELED);
    go_errgroup_free(g);
    go_ctx_release(parent);
}
END_TEST

/* ---- set_limit ----------------------------------------------------------- */

#define LIMIT_TASKS 50
#define LIMIT 4

struct limited {
    int inflight; /* atomic */
    int max;      /* atomic */
    int done;     /* atomic */
};

static int limited_task(go_ctx *ctx, void *arg)
{
    (void)ctx;
    struct limited *l = arg;
    int n = __atomic_add_fetch(&l->inflight, 1, __ATOMIC_RELAXED);
    int m = __atomic_load_n(&l->max, __ATOMIC_RELAXED);
    while (n > m &&
           !__atomic_compare_exchange_n(&l->max, &m, n, true, __ATOMIC_RELAXED,
                                        __ATOMIC_RELAXED)) {
    }
    go_sleep(1 * MS);
    __atomic_sub_fetch(&l->inflight, 1, __ATOMIC_RELAXED);
    __atomic_add_fetch(&l->done, 1, __ATOMIC_RELAXED);
    return 0;
}

START_TEST(test_errgroup_set_limit_bounds_concurrency)
{
    struct limited l = {0};
    go_errgroup *g = go_errgroup_new(go_ctx_background(), NULL);
    go_errgroup_set_limit(g, LIMIT);
    for (int i = 0; i < LIMIT_TASKS; i++)
        go_errgroup_go(g, limited_task, &l);
    ck_assert_int_eq(go_errgroup_wait(g), 0);
    ck_assert_int_eq(l.done, LIMIT_TASKS);
    ck_assert_int_eq(l.max, LIMIT);
    /* Between rounds the limit may change. */
    memset(&l, 0, sizeof l);
    go_errgroup_set_limit(g, 1);
    for (int i = 0; i < 10; i++)
        go_errgroup_go(g, limited_task, &l);
    ck_assert_int_eq(go_errgroup_wait(g), 0);
    ck_assert_int_eq(l.max, 1);
    ck_assert_int_eq(l.done, 10);
    /* And be lifted. */
    memset(&l, 0, sizeof l);
    go_errgroup_set_limit(g, -1);
    for (int i = 0; i < 10; i++)
        go_errgroup_go(g, limited_task, &l);
    ck_assert_int_eq(go_errgroup_wait(g), 0);
    ck_assert_int_eq(l.done, 10);
    go_errgroup_free(g);
}
END_TEST

/* ---- Wait frees nothing; free cleans up ---------------------------------- */

static int fail_3(go_ctx *ctx, void *arg)
{
    (void)ctx;
    (void)arg;
    return 3;
}

static int fail_5(go_ctx *ctx, void *arg)
{
    (void)ctx;
    (void)arg;
    return 5;
}

START_TEST(test_errgroup_wait_frees_nothing)
{
    go_ctx *ctx;
    go_errgroup *g = go_errgroup_new(go_ctx_background(), &ctx);
    go_errgroup_go(g, fail_3, NULL);
    ck_assert_int_eq(go_errgroup_wait(g), 3);
    /* Everything still usable after Wait: the context, Wait itself, Go. */
    ck_assert_int_eq(go_ctx_err(ctx), GO_CANCELED);
    ck_assert(is_done(ctx));
    go_ctx *child = go_ctx_with_cancel(ctx);
    ck_assert_int_eq(go_ctx_err(child), GO_CANCELED);
    go_ctx_release(child);
    ck_assert_int_eq(go_errgroup_wait(g), 3);
    go_errgroup_go(g, fail_5, NULL);
    ck_assert_int_eq(go_errgroup_wait(g), 3); /* still the first error */
    go_errgroup_free(g);
    go_errgroup_free(NULL);
}
END_TEST

static long rss_kb(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    long size = 0, resident = 0;
    if (f) {
        if (fscanf(f, "%ld %ld", &size, &resident) != 2)
            resident = 0;
        fclose(f);
    }
    return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

static int quick(go_ctx *ctx, void *arg)
{
    (void)ctx;
    return (int)(intptr_t)arg;
}

static void group_round(int i)
{
    go_ctx *ctx;
    go_errgroup *g = go_errgroup_new(go_ctx_background(), i % 2 ? &ctx : NULL);
    if (i % 3 == 0)
        go_errgroup_set_limit(g, 2);
    for (int k = 0; k < 4; k++)
        go_errgroup_go(g, quick, (void *)(intptr_t)(k == 2 && i % 5 == 0));
    int err = go_errgroup_wait(g);
    if (err != (i % 5 == 0))
        ck_abort_msg("round %d: wait returned %d", i, err);
    go_errgroup_free(g);
}

START_TEST(test_errgroup_free_cleans_up)
{
    for (int i = 0; i < 1000; i++)
        group_round(i);
    long before = rss_kb();
    for (int i = 0; i < 20000; i++)
        group_round(i);
    long after = rss_kb();
    if (TEST_UNDER_ASAN)
        return;
    ck_assert_msg(after - before < 4096,
                  "RSS grew by %ld kB over 20000 "
                  "groups",
                  after - before);
}
END_TEST

/* ---- without a context --------------------------------------------------- */

struct order {
    int fast_done; /* atomic */
};

static int slow_ok(go_ctx *ctx, void *arg)
{
    struct order *o = arg;
    /* The group's own context still exists and is canceled by the error. */
    go_chan_recv(go_ctx_done(ctx), NULL);
    return __atomic_load_n(&o->fast_done, __ATOMIC_ACQUIRE) ? 0 : 42;
}

static int fast_fail(go_ctx *ctx, void *arg)
{
    (void)ctx;
    struct order *o = arg;
    go_sleep(2 * MS);
    __atomic_store_n(&o->fast_done, 1, __ATOMIC_RELEASE);
    return 11;
}

START_TEST(test_errgroup_without_ctx_out)
{
    struct order o = {0};
    go_errgroup *g = go_errgroup_new(go_ctx_background(), NULL);
    go_errgroup_go(g, slow_ok, &o);
    go_errgroup_go(g, fast_fail, &o);
    ck_assert_int_eq(go_errgroup_wait(g), 11);
    go_errgroup_free(g);

    g = go_errgroup_new(go_ctx_background(), NULL);
    for (int i = 0; i < 8; i++)
        go_errgroup_go(g, quick, NULL);
    ck_assert_int_eq(go_errgroup_wait(g), 0);
    go_errgroup_free(g);
}
END_TEST

/* ---- a task that calls go_exit ------------------------------------------- */

/* x/sync/errgroup defers the group's done: a function that calls
 * runtime.Goexit (t.FailNow in a test, for one) still counts as returned,
 * with no error, and Wait returns. */
static int task_goexit(go_ctx *ctx, void *arg)
{
    (void)ctx;
    (void)arg;
    go_exit();
    return 1;
}

SCENARIO(errgroup_task_goexit)
{
    go_errgroup *g = go_errgroup_new(go_ctx_background(), NULL);
    go_errgroup_set_limit(g, 1);
    go_errgroup_go(g, task_goexit, NULL);
    go_errgroup_go(g, quick, (void *)(intptr_t)4);
    printf("wait returned %d\n", go_errgroup_wait(g));
    go_errgroup_free(g);
}

START_TEST(test_errgroup_task_goexit_counts_as_done)
{
    struct child c;
    run_scenario("errgroup_task_goexit", NULL, 30, &c);
    ck_assert_exited(&c, 0);
    ck_assert_output_has(&c, "wait returned 4");
    child_free(&c);
}
END_TEST

/* ---- misuse: changing the limit while goroutines are active -------------- */

static int park_until_done(go_ctx *ctx, void *arg)
{
    (void)arg;
    go_chan_recv(go_ctx_done(ctx), NULL);
    return 0;
}

SCENARIO(errgroup_set_limit_while_active)
{
    go_errgroup *g = go_errgroup_new(go_ctx_background(), NULL);
    go_errgroup_set_limit(g, 2);
    go_errgroup_go(g, park_until_done, NULL);
    go_errgroup_set_limit(g, 3);
    printf("unreachable\n");
}

START_TEST(test_errgroup_set_limit_while_active_panics)
{
    struct child c;
    run_scenario("errgroup_set_limit_while_active", NULL, 30, &c);
    ck_assert_exited(&c, 2);
    ck_assert_output_has(&c, "panic: errgroup: modify limit while 1 "
                             "goroutines in the group are still active");
    ck_assert_output_lacks(&c, "unreachable");
    child_free(&c);
}
END_TEST

TCase *tcase_runtime_errgroup(void)
{
    TCase *tc = tcase_create("errgroup");
    tcase_add_checked_fixture(tc, rt_test_setup, rt_test_verify);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_errgroup_all_succeed);
    tcase_add_test(tc, test_errgroup_first_error_cancels_the_rest);
    tcase_add_test(tc, test_errgroup_parent_cancel_reaches_tasks);
    tcase_add_test(tc, test_errgroup_set_limit_bounds_concurrency);
    tcase_add_test(tc, test_errgroup_wait_frees_nothing);
    tcase_add_test(tc, test_errgroup_free_cleans_up);
    tcase_add_test(tc, test_errgroup_without_ctx_out);
    tcase_add_test(tc, test_errgroup_task_goexit_counts_as_done);
    tcase_add_test(tc, test_errgroup_set_limit_while_active_panics);
    return tc;
}
