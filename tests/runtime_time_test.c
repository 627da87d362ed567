/* SPDX-License-Identifier: MIT */
/*
 * Time: go_sleep, go_after (time.After), tickers, go_now, and the promise
 * that a goroutine waiting on a timer costs no thread.
 *
 * Tolerances: a timer never fires early (strict lower bounds); it may fire
 * late on a loaded CI machine, so upper bounds are generous (+50 ms for a
 * single sleep unless said otherwise).
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gosan.h>

#include "harness.h"
#include "runtime_impl.h"

#define MS 1000000LL
#define LATE_OK (50 * MS)

/* threads_now reads Threads: from /proc/self/status. */
static int threads_now(void)
{
    FILE *f = fopen("/proc/self/status", "re");
    ck_assert(f != NULL);
    char line[256];
    int n = -1;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "Threads: %d", &n) == 1)
            break;
    fclose(f);
    return n;
}

/* wait_no_timers waits (up to 5 s) for the timer heap to empty. */
static int wait_no_timers(void)
{
    int64_t deadline = test_now() + 5000 * MS;
    while (rt__timers_count() != 0 && test_now() < deadline)
        go_yield();
    return rt__timers_count();
}

/* ---- go_sleep ------------------------------------------------------------------ */

static const int64_t sleep_ms[] = { 1, 10, 30 };

START_TEST(test_time_sleep_duration)
{
    /* Never early, on every try; late by less than LATE_OK on the best of
     * three tries (a loaded machine may delay any one wakeup, a runtime
     * that oversleeps is late every time). */
    int64_t d = sleep_ms[_i] * MS, best = INT64_MAX;
    for (int rep = 0; rep < 3; rep++) {
        int64_t t0 = go_now();
        go_sleep(d);
        int64_t el = go_now() - t0;
        ck_assert_msg(el >= d, "go_sleep(%lld ms) returned after %lld ns",
                      (long long)sleep_ms[_i], (long long)el);
        if (el < best)
            best = el;
    }
    ck_assert_msg(best < d + LATE_OK, "go_sleep(%lld ms) took %lld ms at best",
                  (long long)sleep_ms[_i], (long long)(best / MS));
}
END_TEST

struct sleeper {
    int64_t d;
    int64_t early, max_late;
    go_wg wg;
};

static void timed_sleeper(void *p)
{
    struct sleeper *s = p;
    int64_t t0 = go_now();
    go_sleep(s->d);
    int64_t late = go_now() - t0 - s->d;
    if (late < 0)
        __atomic_add_fetch(&s->early, 1, __ATOMIC_RELAXED);
    int64_t m = __atomic_load_n(&s->max_late, __ATOMIC_RELAXED);
    while (late > m &&
           !__atomic_compare_exchange_n(&s->max_late, &m, late, false,
                                        __ATOMIC_RELAXED, __ATOMIC_RELAXED)) {
    }
    go_wg_done(&s->wg);
}

START_TEST(test_time_sleep_in_goroutines)
{
    static struct sleeper s;
    memset(&s, 0, sizeof s);
    s.d = 20 * MS;
    go_wg_add(&s.wg, 100);
    for (int i = 0; i < 100; i++)
        go(timed_sleeper, &s);
    go_wg_wait(&s.wg);
    ck_assert_int_eq(s.early, 0);
    ck_assert_msg(s.max_late < LATE_OK * 2, "a 20 ms sleep was %lld ms late",
                  (long long)(s.max_late / MS));
    ck_assert_int_eq(wait_no_timers(), 0);
}
END_TEST

static void sleep_nonpositive(void *p)
{
    go_wg *wg = p;
    go_sleep(0);
    go_sleep(-1);
    go_sleep(INT64_MIN);
    go_wg_done(wg);
}

START_TEST(test_time_sleep_zero_and_negative_return_at_once)
{
    int64_t t0 = go_now();
    for (int i = 0; i < 10000; i++) {
        go_sleep(0);
        go_sleep(-5 * MS);
    }
    go_sleep(INT64_MIN);
    int64_t el = go_now() - t0;
    /* 20001 calls that must not sleep: well under the 1 ms a single timed
     * sleep would cost even at the finest granularity. */
    ck_assert_msg(el < 50 * MS, "20001 non-positive sleeps took %lld ms",
                  (long long)(el / MS));
    static go_wg wg;
    go_wg_add(&wg, 10);
    for (int i = 0; i < 10; i++)
        go(sleep_nonpositive, &wg);
    go_wg_wait(&wg);
    ck_assert_int_eq(rt__timers_count(), 0);
}
END_TEST

/* ---- go_after ------------------------------------------------------------------- */

START_TEST(test_time_after_fires_once)
{
    const int64_t d = 10 * MS;
    int64_t best = INT64_MAX;
    for (int rep = 0; rep < 3; rep++) {
        int64_t t0 = go_now();
        go_chan *c = go_after(d);
        ck_assert_uint_eq(go_chan_cap(c), 1);
        int64_t fired = 0;
        ck_assert(go_chan_recv(c, &fired));
        int64_t t1 = go_now();
        ck_assert_msg(fired >= t0 + d, "fired at t0 + %lld ns",
                      (long long)(fired - t0));
        ck_assert_msg(fired <= t1, "fire time %lld after its receipt %lld",
                      (long long)fired, (long long)t1);
        if (t1 - t0 < best)
            best = t1 - t0;
        /* Once: nothing more arrives. */
        go_sleep(3 * d);
        ck_assert_int_eq(go_chan_try_recv(c, &fired), 0);
        ck_assert_int_eq(rt__timers_count(), 0);
        go_chan_free(c);
    }
    ck_assert_msg(best < d + LATE_OK, "go_after(10 ms) took %lld ms at best",
                  (long long)(best / MS));
}
END_TEST

START_TEST(test_time_after_nonpositive_fires_at_once)
{
    int64_t t0 = go_now();
    go_chan *c1 = go_after(0);
    go_chan *c2 = go_after(-10 * MS);
    int64_t v1, v2;
    ck_assert(go_chan_recv(c1, &v1));
    ck_assert(go_chan_recv(c2, &v2));
    ck_assert(v1 >= t0 && v2 >= t0);
    ck_assert_msg(go_now() - t0 < LATE_OK, "took %lld ms",
                  (long long)((go_now() - t0) / MS));
    go_chan_free(c1);
    go_chan_free(c2);
}
END_TEST

START_TEST(test_time_after_free_cancels)
{
    go_chan *c = go_after(1000 * MS); /* long: cannot fire before the free */
    ck_assert_int_eq(rt__timers_count(), 1);
    go_chan_free(c);
    ck_assert_int_eq(rt__timers_count(), 0);
    /* Many, with various deadlines, some already due. */
    for (int i = 0; i < 1000; i++) {
        go_chan *x = go_after((i % 5) * MS);
        if (i % 7 == 0)
            go_yield();
        go_chan_free(x);
    }
    ck_assert_int_eq(rt__timers_count(), 0);
    /* Past the deadlines: nothing fires into freed memory. */
    go_sleep(20 * MS);
    ck_assert_int_eq(rt__timers_count(), 0);
    /* Freed after firing, value never received: fine too. */
    go_chan *y = go_after(1 * MS);
    go_sleep(5 * MS);
    ck_assert_uint_eq(go_chan_len(y), 1);
    go_chan_free(y);
}
END_TEST

START_TEST(test_time_after_as_select_timeout)
{
    go_chan *never = go_chan_make(sizeof(int), 0);
    int64_t t0 = go_now();
    go_chan *timeout = go_after(5 * MS);
    int v;
    int64_t when;
    go_select_case cases[] = { GO_RECV_CASE(never, &v),
                               GO_RECV_CASE(timeout, &when) };
    ck_assert_int_eq(go_select(cases, 2, false), 1);
    ck_assert(cases[1].ok);
    int64_t el = go_now() - t0;
    ck_assert(el >= 5 * MS);
    ck_assert_msg(el < 5 * MS + LATE_OK, "took %lld ms", (long long)(el / MS));
    go_chan_free(timeout);
    go_chan_free(never);
}
END_TEST

#define AFTER_GOROUTINES 10000

struct afters {
    go_wg wg;
    int early, bad;
};

static void wait_after(void *p)
{
    struct afters *a = p;
    int64_t t0 = go_now();
    go_chan *c = go_after(1 * MS);
    int64_t v;
    if (!go_chan_recv(c, &v))
        __atomic_add_fetch(&a->bad, 1, __ATOMIC_RELAXED);
    else if (v < t0 + 1 * MS)
        __atomic_add_fetch(&a->early, 1, __ATOMIC_RELAXED);
    go_chan_free(c);
    go_wg_done(&a->wg);
}

START_TEST(test_time_after_many_concurrent)
{
    static struct afters a;
    memset(&a, 0, sizeof a);
    int64_t t0 = go_now();
    go_wg_add(&a.wg, AFTER_GOROUTINES);
    for (int i = 0; i < AFTER_GOROUTINES; i++)
        go(wait_after, &a);
    go_wg_wait(&a.wg);
    int64_t el = go_now() - t0;
    ck_assert_int_eq(a.bad, 0);
    ck_assert_int_eq(a.early, 0);
    ck_assert_msg(el < 10000 * MS, "%d go_after(1 ms) took %lld ms",
                  AFTER_GOROUTINES, (long long)(el / MS));
    ck_assert_int_eq(wait_no_timers(), 0);
}
END_TEST

/* ---- tickers -------------------------------------------------------------------------- */

START_TEST(test_time_ticker_period)
{
    const int64_t period = 10 * MS;
    const int ticks = 10;
    int64_t t0 = go_now();
    go_ticker *tk = go_ticker_new(period);
    go_chan *c = go_ticker_chan(tk);
    ck_assert_uint_eq(go_chan_cap(c), 1);
    int64_t prev = t0, v = 0;
    for (int i = 0; i < ticks; i++) {
        ck_assert(go_chan_recv(c, &v));
        ck_assert_msg(v > prev, "tick %d at %lld is not after %lld", i,
                      (long long)v, (long long)prev);
        ck_assert_msg(v >= t0 + (int64_t)(i + 1) * period,
                      "tick %d came %lld ns early", i,
                      (long long)(t0 + (i + 1) * period - v));
        prev = v;
    }
    int64_t el = go_now() - t0;
    ck_assert(el >= ticks * period);
    ck_assert_msg(el < ticks * period + 2 * LATE_OK,
                  "%d ticks of 10 ms took %lld ms", ticks,
                  (long long)(el / MS));
    go_ticker_stop(tk);
    ck_assert_int_eq(rt__timers_count(), 0);
}
END_TEST

START_TEST(test_time_ticker_drops_ticks_for_slow_receivers)
{
    /* Go's ticker drops ticks for a slow receiver and never replaces the
     * buffered one. Checked without trusting the clock's punctuality:
     * once the buffer is seen full at `full_at`, several more periods
     * pass; the value then received must still be the one that was
     * there at `full_at` (a replacement would carry a later time). */
    const int64_t period = 5 * MS;
    int64_t t0 = go_now();
    go_ticker *tk = go_ticker_new(period);
    go_chan *c = go_ticker_chan(tk);
    while (go_chan_len(c) == 0)
        go_sleep(MS);
    int64_t full_at = go_now();
    go_sleep(12 * period);
    ck_assert_uint_eq(go_chan_len(c), 1);
    int64_t first;
    ck_assert_int_eq(go_chan_try_recv(c, &first), 1);
    ck_assert(first >= t0 + period);
    ck_assert_msg(first <= full_at,
                  "the buffered tick (%lld ms after the start) was replaced "
                  "by a later one (the buffer was full at %lld ms)",
                  (long long)((first - t0) / MS),
                  (long long)((full_at - t0) / MS));
    /* No backlog. */
    int64_t v;
    ck_assert_int_eq(go_chan_try_recv(c, &v), 0);
    /* Ticking goes on, with fresh values. */
    ck_assert(go_chan_recv(c, &v));
    ck_assert(v > full_at);
    go_ticker_stop(tk);
}
END_TEST

START_TEST(test_time_ticker_stop_stops)
{
    go_ticker *tk = go_ticker_new(2 * MS);
    int64_t v;
    ck_assert(go_chan_recv(go_ticker_chan(tk), &v));
    ck_assert(go_chan_recv(go_ticker_chan(tk), &v));
    ck_assert_int_eq(rt__timers_count(), 1);
    go_ticker_stop(tk);
    ck_assert_int_eq(rt__timers_count(), 0);
    /* Stopped before its first tick, and many at once. */
    go_ticker *many[100];
    for (int i = 0; i < 100; i++)
        many[i] = go_ticker_new((i % 3 + 1) * MS);
    ck_assert_int_eq(rt__timers_count(), 100);
    go_sleep(2 * MS);
    for (int i = 0; i < 100; i++)
        go_ticker_stop(many[i]);
    ck_assert_int_eq(rt__timers_count(), 0);
    /* Nothing fires into freed memory. */
    go_sleep(10 * MS);
    go_ticker_stop(NULL);
}
END_TEST

SCENARIO(time_ticker_zero_period)
{
    go_ticker_new(0);
    printf("ticker created\n");
}

START_TEST(test_time_ticker_nonpositive_period_panics)
{
    struct child c;
    run_scenario("time_ticker_zero_period", NULL, 30, &c);
    ck_assert_exited(&c, 2);
    ck_assert_output_has(&c, "panic: non-positive interval for "
                             "go_ticker_new");
    ck_assert_output_lacks(&c, "ticker created");
    child_free(&c);
}
END_TEST

/* ---- go_now ---------------------------------------------------------------------------- */

struct now_check {
    int backwards;
    go_wg wg;
};

static void now_monotonic(void *p)
{
    struct now_check *nc = p;
    int64_t prev = go_now();
    for (int i = 0; i < 100000; i++) {
        int64_t t = go_now();
        if (t < prev)
            __atomic_add_fetch(&nc->backwards, 1, __ATOMIC_RELAXED);
        prev = t;
        if (i % 1000 == 0)
            go_yield(); /* and maybe move to another thread */
    }
    go_wg_done(&nc->wg);
}

START_TEST(test_time_now_monotonic)
{
    int64_t prev = go_now();
    for (int i = 0; i < 1000000; i++) {
        int64_t t = go_now();
        ck_assert(t >= prev);
        prev = t;
    }
    /* The same clock as CLOCK_MONOTONIC. */
    int64_t a = test_now(), n = go_now(), b = test_now();
    ck_assert(a <= n && n <= b);
    static struct now_check nc;
    memset(&nc, 0, sizeof nc);
    go_wg_add(&nc.wg, 8);
    for (int i = 0; i < 8; i++)
        go(now_monotonic, &nc);
    go_wg_wait(&nc.wg);
    ck_assert_int_eq(nc.backwards, 0);
}
END_TEST

/* ---- races between a timer firing and its cancellation ------------------------------------ */

#define RACERS 8
#define RACE_ROUNDS 5000

static void after_free_racer(void *p)
{
    go_wg *wg = p;
    for (int i = 0; i < RACE_ROUNDS; i++) {
        /* Due now or within a few microseconds: the timer fires on some M
         * while this goroutine frees the channel. */
        go_chan *c = go_after((i % 4) * 1000);
        if (i % 3 == 0)
            go_yield();
        go_chan_free(c);
    }
    go_wg_done(wg);
}

START_TEST(test_time_after_free_races_fire)
{
    static go_wg wg;
    go_wg_add(&wg, RACERS);
    for (int i = 0; i < RACERS; i++)
        go(after_free_racer, &wg);
    go_wg_wait(&wg);
    ck_assert_int_eq(wait_no_timers(), 0);
}
END_TEST

static void ticker_stop_racer(void *p)
{
    go_wg *wg = p;
    for (int i = 0; i < RACE_ROUNDS / 5; i++) {
        go_ticker *tk = go_ticker_new(1000 + (i % 5) * 1000);
        if (i % 2) {
            int64_t v;
            go_chan_recv(go_ticker_chan(tk), &v);
        } else {
            go_yield();
        }
        go_ticker_stop(tk);
    }
    go_wg_done(wg);
}

START_TEST(test_time_ticker_stop_races_tick)
{
    static go_wg wg;
    go_wg_add(&wg, RACERS);
    for (int i = 0; i < RACERS; i++)
        go(ticker_stop_racer, &wg);
    go_wg_wait(&wg);
    ck_assert_int_eq(wait_no_timers(), 0);
}
END_TEST

/* ---- a sleeping goroutine is not a deadlock ---------------------------------------------- */

static void sleep_then_send(void *c)
{
    go_sleep(100 * MS);
    int v = 7;
    go_chan_send(c, &v);
}

SCENARIO(time_sleeper_not_deadlock)
{
    go_chan *c = go_chan_make(sizeof(int), 0);
    go(sleep_then_send, c);
    int v = 0;
    go_chan_recv(c, &v); /* every M idle for 100 ms, one timer pending */
    printf("received %d\n", v);
}

START_TEST(test_time_sleeper_is_not_a_deadlock)
{
    struct child c;
    run_scenario("time_sleeper_not_deadlock", NULL, 30, &c);
    ck_assert_exited(&c, 0);
    ck_assert_output_has(&c, "received 7");
    ck_assert_output_lacks(&c, "deadlock");
    child_free(&c);
}
END_TEST

/* ---- sleeping goroutines cost no thread -------------------------------------------------- */

#define SLEEPERS 10000

struct sleepers {
    go_wg started, done;
    int stop;
};

static void sleep_until_stopped(void *p)
{
    struct sleepers *s = p;
    go_wg_done(&s->started);
    while (!__atomic_load_n(&s->stop, __ATOMIC_ACQUIRE))
        go_sleep(20 * MS);
    go_wg_done(&s->done);
}

START_TEST(test_time_sleepers_cost_no_threads)
{
    static struct sleepers s;
    memset(&s, 0, sizeof s);
    go_wg_add(&s.started, SLEEPERS);
    go_wg_add(&s.done, SLEEPERS);
    for (int i = 0; i < SLEEPERS; i++)
        go(sleep_until_stopped, &s);
    go_wg_wait(&s.started);
    go_sleep(30 * MS); /* every one of them in go_sleep now and then */
    int threads = threads_now(), peak = threads;
    for (int i = 0; i < 5; i++) {
        go_sleep(10 * MS);
        ck_assert_int_eq(go_num_goroutine(), SLEEPERS + 1);
        int t = threads_now();
        if (t > peak)
            peak = t;
    }
    __atomic_store_n(&s.stop, 1, __ATOMIC_RELEASE);
    go_wg_wait(&s.done);
    ck_assert_msg(peak < 16, "%d threads for %d sleeping goroutines "
                  "(%d at first)", peak, SLEEPERS, threads);
    ck_assert_int_eq(wait_no_timers(), 0);
}
END_TEST

/* The runtime starts on first use (about 1.5 ms here, tens of ms under
 * ASan on a loaded machine: threads, cgroup files, stack slabs). Timing
 * assertions are about timers, not that cold start, so each test (each
 * a fresh forked child) begins with the runtime up. */
static void time_test_setup(void)
{
    rt_test_setup();
    (void)go_id();
}

TCase *tcase_runtime_time(void)
{
    TCase *tc = tcase_create("time");
    tcase_add_checked_fixture(tc, time_test_setup, rt_test_verify);
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, test_time_sleep_duration, 0,
                        (int)(sizeof sleep_ms / sizeof sleep_ms[0]));
    tcase_add_test(tc, test_time_sleep_in_goroutines);
    tcase_add_test(tc, test_time_sleep_zero_and_negative_return_at_once);
    tcase_add_test(tc, test_time_after_fires_once);
    tcase_add_test(tc, test_time_after_nonpositive_fires_at_once);
    tcase_add_test(tc, test_time_after_free_cancels);
    tcase_add_test(tc, test_time_after_as_select_timeout);
    tcase_add_test(tc, test_time_after_many_concurrent);
    tcase_add_test(tc, test_time_ticker_period);
    tcase_add_test(tc, test_time_ticker_drops_ticks_for_slow_receivers);
    tcase_add_test(tc, test_time_ticker_stop_stops);
    tcase_add_test(tc, test_time_ticker_nonpositive_period_panics);
    tcase_add_test(tc, test_time_now_monotonic);
    tcase_add_test(tc, test_time_after_free_races_fire);
    tcase_add_test(tc, test_time_ticker_stop_races_tick);
    tcase_add_test(tc, test_time_sleepers_cost_no_threads);
    tcase_add_test(tc, test_time_sleeper_is_not_a_deadlock);
    return tc;
}
