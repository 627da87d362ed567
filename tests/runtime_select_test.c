/* SPDX-License-Identifier: MIT */
/*
 * Select: the ready case is chosen, default, nil channels, blocking selects
 * woken by a send, a receive or a close, send on a closed channel (Go's
 * panic), uniform choice among ready cases (measured), the same channel
 * in two cases, more cases than the on-stack arrays hold, a stress of many
 * goroutines selecting on shared channels, and the empty select.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gosan.h>

#include "harness.h"
#include "runtime_impl.h"

/* main_parked_in reports whether the main goroutine is parked for reason
 * (white-box: lets a partner act only once main really blocks, without
 * sleeping). */
static bool main_parked_in(uint8_t reason)
{
    struct rt_g *m = rt__sched.main_g;
    return atomic_load(&m->status) == RT_G_WAITING &&
           __atomic_load_n(&m->wait_reason, __ATOMIC_RELAXED) == reason;
}

/* wait_main_parked yields until main is parked in a select (10 s at most;
 * returns false on timeout). */
static bool wait_main_parked(void)
{
    int64_t deadline = test_now() + 10000000000;
    while (!main_parked_in(RT_WAIT_SELECT)) {
        if (test_now() > deadline)
            return false;
        go_yield();
    }
    return true;
}

/* ---- non-blocking behaviour ------------------------------------------------- */

START_TEST(test_select_ready_recv_chosen)
{
    go_chan *idle = go_chan_make(sizeof(int), 0);
    go_chan *ready = go_chan_make(sizeof(int), 1);
    int v = 42;
    go_chan_send(ready, &v);
    int a = -1, b = -1;
    go_select_case cases[] = { GO_RECV_CASE(idle, &a), GO_RECV_CASE(ready, &b) };
    ck_assert_int_eq(go_select(cases, 2, false), 1);
    ck_assert_int_eq(b, 42);
    ck_assert(cases[1].ok);
    ck_assert_int_eq(a, -1);
    ck_assert_uint_eq(go_chan_len(ready), 0);
    go_chan_free(idle);
    go_chan_free(ready);
}
END_TEST

START_TEST(test_select_ready_send_chosen)
{
    go_chan *full = go_chan_make(sizeof(int), 1);
    go_chan *space = go_chan_make(sizeof(int), 1);
    int one = 1, two = 2, v;
    go_chan_send(full, &one);
    go_select_case cases[] = { GO_SEND_CASE(full, &two),
                               GO_SEND_CASE(space, &two) };
    ck_assert_int_eq(go_select(cases, 2, true), 1);
    ck_assert_int_eq(go_chan_try_recv(space, &v), 1);
    ck_assert_int_eq(v, 2);
    ck_assert_int_eq(go_chan_try_recv(full, &v), 1);
    ck_assert_int_eq(v, 1); /* the full channel kept its value only */
    go_chan_free(full);
    go_chan_free(space);
}
END_TEST

START_TEST(test_select_default_when_none_ready)
{
    go_chan *c1 = go_chan_make(sizeof(int), 0);
    go_chan *c2 = go_chan_make(sizeof(int), 1);
    int fill = 9, a = 7, b = 8;
    go_chan_send(c2, &fill);
    go_select_case cases[] = { GO_RECV_CASE(c1, &a), GO_SEND_CASE(c2, &b),
                               GO_SEND_CASE(c1, &b) };
    for (int i = 0; i < 100; i++)
        ck_assert_int_eq(go_select(cases, 3, true), -1);
    ck_assert_int_eq(a, 7); /* untouched */
    ck_assert_uint_eq(go_chan_len(c2), 1);
    go_chan_free(c1);
    go_chan_free(c2);
}
END_TEST

START_TEST(test_select_nil_channels_never_fire)
{
    int v = 5, w = 0;
    go_select_case all_nil[] = { GO_RECV_CASE(NULL, &v), GO_SEND_CASE(NULL, &v) };
    ck_assert_int_eq(go_select(all_nil, 2, true), -1);
    go_chan *c = go_chan_make(sizeof(int), 1);
    for (int i = 0; i < 1000; i++) {
        go_chan_send(c, &i);
        go_select_case cases[] = { GO_RECV_CASE(NULL, &v), GO_RECV_CASE(c, &w),
                                   GO_SEND_CASE(NULL, &v) };
        ck_assert_int_eq(go_select(cases, 3, false), 1);
        ck_assert_int_eq(w, i);
    }
    go_chan_free(c);
}
END_TEST

START_TEST(test_select_zero_cases_with_default)
{
    ck_assert_int_eq(go_select(NULL, 0, true), -1);
    go_select_case unused[1];
    ck_assert_int_eq(go_select(unused, 0, true), -1);
}
END_TEST

/* ---- blocking selects woken later ------------------------------------------- */

struct partner {
    go_chan *c;
    int value;
    int got;
    bool parked_seen;
    go_wg wg;
};

static void send_when_main_parked(void *p)
{
    struct partner *pt = p;
    pt->parked_seen = wait_main_parked();
    go_chan_send(pt->c, &pt->value);
    go_wg_done(&pt->wg);
}

static void recv_when_main_parked(void *p)
{
    struct partner *pt = p;
    pt->parked_seen = wait_main_parked();
    go_chan_recv(pt->c, &pt->got);
    go_wg_done(&pt->wg);
}

static void close_when_main_parked(void *p)
{
    struct partner *pt = p;
    pt->parked_seen = wait_main_parked();
    go_chan_close(pt->c);
    go_wg_done(&pt->wg);
}

START_TEST(test_select_blocking_woken_by_send)
{
    static struct partner pt;
    memset(&pt, 0, sizeof pt);
    go_chan *other = go_chan_make(sizeof(int), 0);
    pt.c = go_chan_make(sizeof(int), _i); /* unbuffered, then buffered */
    pt.value = 1234;
    go_wg_add(&pt.wg, 1);
    go(send_when_main_parked, &pt);
    int a = -1, b = -1;
    go_select_case cases[] = { GO_RECV_CASE(other, &a), GO_RECV_CASE(NULL, &a),
                               GO_RECV_CASE(pt.c, &b) };
    ck_assert_int_eq(go_select(cases, 3, false), 2);
    ck_assert_int_eq(b, 1234);
    ck_assert(cases[2].ok);
    ck_assert_int_eq(a, -1);
    go_wg_wait(&pt.wg);
    ck_assert(pt.parked_seen);
    go_chan_free(pt.c);
    go_chan_free(other);
}
END_TEST

START_TEST(test_select_blocking_woken_by_recv)
{
    static struct partner pt;
    memset(&pt, 0, sizeof pt);
    go_chan *other = go_chan_make(sizeof(int), 0);
    pt.c = go_chan_make(sizeof(int), 0);
    go_wg_add(&pt.wg, 1);
    go(recv_when_main_parked, &pt);
    int x = 77, y = 88;
    go_select_case cases[] = { GO_SEND_CASE(other, &y), GO_SEND_CASE(pt.c, &x) };
    ck_assert_int_eq(go_select(cases, 2, false), 1);
    go_wg_wait(&pt.wg);
    ck_assert(pt.parked_seen);
    ck_assert_int_eq(pt.got, 77);
    /* The losing send case left nothing behind. */
    ck_assert_int_eq(go_chan_try_recv(other, &x), 0);
    go_chan_free(pt.c);
    go_chan_free(other);
}
END_TEST

START_TEST(test_select_blocking_woken_by_close)
{
    static struct partner pt;
    memset(&pt, 0, sizeof pt);
    go_chan *other = go_chan_make(sizeof(long), 0);
    pt.c = go_chan_make(sizeof(long), _i);
    go_wg_add(&pt.wg, 1);
    go(close_when_main_parked, &pt);
    long a = 0x5555, b = 0x5555;
    go_select_case cases[] = { GO_RECV_CASE(other, &a), GO_RECV_CASE(pt.c, &b) };
    cases[1].ok = true;
    ck_assert_int_eq(go_select(cases, 2, false), 1);
    ck_assert(!cases[1].ok);
    ck_assert_int_eq(b, 0); /* zeroed */
    ck_assert_int_eq(a, 0x5555);
    go_wg_wait(&pt.wg);
    ck_assert(pt.parked_seen);
    /* Closed: ready at once from now on. */
    ck_assert_int_eq(go_select(cases, 2, false), 1);
    go_chan_free(pt.c);
    go_chan_free(other);
}
END_TEST

/* ---- send on a closed channel: Go's panic ------------------------------------- */

SCENARIO(select_send_on_closed)
{
    go_chan *c = go_chan_make(sizeof(int), 1);
    go_chan *idle = go_chan_make(sizeof(int), 0);
    go_chan_close(c);
    int v = 1;
    go_select_case cases[] = { GO_RECV_CASE(idle, &v), GO_SEND_CASE(c, &v) };
    go_select(cases, 2, true);
    printf("select returned\n");
}

static void close_after_main_parks(void *c)
{
    wait_main_parked();
    go_chan_close(c);
}

SCENARIO(select_blocked_send_then_closed)
{
    go_chan *c = go_chan_make(sizeof(int), 0);
    go_chan *idle = go_chan_make(sizeof(int), 0);
    go(close_after_main_parks, c);
    int v = 1;
    go_select_case cases[] = { GO_RECV_CASE(idle, &v), GO_SEND_CASE(c, &v) };
    go_select(cases, 2, false);
    printf("select returned\n");
}

START_TEST(test_select_send_on_closed_panics)
{
    struct child c;
    run_scenario("select_send_on_closed", NULL, 30, &c);
    ck_assert_killed(&c, SIGABRT);
    ck_assert_output_has(&c, "panic: send on closed channel");
    ck_assert_output_has(&c, "scenario_select_send_on_closed");
    ck_assert_output_lacks(&c, "select returned");
    child_free(&c);

    run_scenario("select_blocked_send_then_closed", NULL, 30, &c);
    ck_assert_killed(&c, SIGABRT);
    ck_assert_output_has(&c, "panic: send on closed channel");
    ck_assert_output_lacks(&c, "select returned");
    child_free(&c);
}
END_TEST

/* ---- fairness ------------------------------------------------------------------ */

/* chi_square of counts[0..k) against a uniform expectation. */
static double chi_square(const long *counts, int k, long total)
{
    double expect = (double)total / k, x = 0;
    for (int i = 0; i < k; i++) {
        double d = (double)counts[i] - expect;
        x += d * d / expect;
    }
    return x;
}

/* Critical values of chi-square at p = 1e-6: a fair select fails once in
 * a million runs; a bias of a few percent fails every time. */
#define CHI2_1E6_DF1 23.93
#define CHI2_1E6_DF3 30.66
#define CHI2_1E6_DF19 63.68

#define FAIR_ROUNDS 100000

START_TEST(test_select_fair_two_cases)
{
    go_chan *a = go_chan_make(sizeof(int), 0);
    go_chan *b = go_chan_make(sizeof(int), 0);
    go_chan_close(a);
    go_chan_close(b);
    long counts[2] = { 0 };
    go_select_case cases[] = { GO_RECV_CASE(a, NULL), GO_RECV_CASE(b, NULL) };
    for (int i = 0; i < FAIR_ROUNDS; i++) {
        int k = go_select(cases, 2, false);
        ck_assert(k == 0 || k == 1);
        counts[k]++;
    }
    double x = chi_square(counts, 2, FAIR_ROUNDS);
    ck_assert_msg(x < CHI2_1E6_DF1, "chose %ld / %ld (chi-square %.1f)",
                  counts[0], counts[1], x);
    /* And the plain band: each within 3% of half. */
    for (int i = 0; i < 2; i++)
        ck_assert_msg(labs(counts[i] - FAIR_ROUNDS / 2) < FAIR_ROUNDS * 3 / 200,
                      "case %d chosen %ld times of %d", i, counts[i],
                      FAIR_ROUNDS);
    go_chan_free(a);
    go_chan_free(b);
}
END_TEST

START_TEST(test_select_fair_four_mixed_cases)
{
    /* Four always-ready cases of different kinds: a closed channel, a
     * channel with a full buffer (recv), a channel with buffer space
     * (send), and a second closed one. */
    go_chan *closed1 = go_chan_make(sizeof(int), 0);
    go_chan *closed2 = go_chan_make(sizeof(int), 4);
    go_chan *data = go_chan_make(sizeof(int), FAIR_ROUNDS);
    go_chan *space = go_chan_make(sizeof(int), FAIR_ROUNDS);
    go_chan_close(closed1);
    go_chan_close(closed2);
    for (int i = 0; i < FAIR_ROUNDS; i++)
        go_chan_send(data, &i);
    int in = 0, out = 3;
    long counts[4] = { 0 };
    go_select_case cases[] = { GO_RECV_CASE(closed1, &in),
                               GO_RECV_CASE(data, &in),
                               GO_SEND_CASE(space, &out),
                               GO_RECV_CASE(closed2, &in) };
    for (int i = 0; i < FAIR_ROUNDS; i++) {
        int k = go_select(cases, 4, false);
        ck_assert(k >= 0 && k < 4);
        counts[k]++;
    }
    double x = chi_square(counts, 4, FAIR_ROUNDS);
    ck_assert_msg(x < CHI2_1E6_DF3, "chose %ld / %ld / %ld / %ld "
                  "(chi-square %.1f)", counts[0], counts[1], counts[2],
                  counts[3], x);
    ck_assert_uint_eq(go_chan_len(data), (size_t)(FAIR_ROUNDS - counts[1]));
    ck_assert_uint_eq(go_chan_len(space), (size_t)counts[2]);
    go_chan_free(closed1);
    go_chan_free(closed2);
    go_chan_free(data);
    go_chan_free(space);
}
END_TEST

/* ---- the same channel in two cases ---------------------------------------------- */

START_TEST(test_select_same_channel_two_recv_cases)
{
    go_chan *c = go_chan_make(sizeof(int), 1);
    long counts[2] = { 0 };
    for (int i = 0; i < 20000; i++) {
        go_chan_send(c, &i);
        int a = -1, b = -1;
        go_select_case cases[] = { GO_RECV_CASE(c, &a), GO_RECV_CASE(c, &b) };
        int k = go_select(cases, 2, false);
        ck_assert(k == 0 || k == 1);
        ck_assert_int_eq(k == 0 ? a : b, i);
        ck_assert_int_eq(k == 0 ? b : a, -1);
        counts[k]++;
        ck_assert_uint_eq(go_chan_len(c), 0);
    }
    double x = chi_square(counts, 2, 20000);
    ck_assert_msg(x < CHI2_1E6_DF1, "chose %ld / %ld", counts[0], counts[1]);
    go_chan_free(c);
}
END_TEST

START_TEST(test_select_same_channel_send_and_recv)
{
    /* Buffered, empty: only the send can proceed. */
    go_chan *c = go_chan_make(sizeof(int), 1);
    int out = 5, in = -1;
    go_select_case cases[] = { GO_RECV_CASE(c, &in), GO_SEND_CASE(c, &out) };
    ck_assert_int_eq(go_select(cases, 2, false), 1);
    /* Full: only the receive can. */
    ck_assert_int_eq(go_select(cases, 2, false), 0);
    ck_assert_int_eq(in, 5);
    go_chan_free(c);
}
END_TEST

START_TEST(test_select_same_channel_blocking_partner)
{
    /* Unbuffered: a select cannot pair its own send with its own receive;
     * it blocks until a partner receives (or sends). */
    static struct partner pt;
    for (int round = 0; round < 2; round++) {
        memset(&pt, 0, sizeof pt);
        pt.c = go_chan_make(sizeof(int), 0);
        pt.value = 31;
        go_wg_add(&pt.wg, 1);
        go(round == 0 ? recv_when_main_parked : send_when_main_parked, &pt);
        int out = 13, in = -1;
        go_select_case cases[] = { GO_RECV_CASE(pt.c, &in),
                                   GO_SEND_CASE(pt.c, &out),
                                   GO_RECV_CASE(pt.c, &in) };
        int k = go_select(cases, 3, false);
        go_wg_wait(&pt.wg);
        ck_assert(pt.parked_seen);
        if (round == 0) {
            ck_assert_int_eq(k, 1);
            ck_assert_int_eq(pt.got, 13);
            ck_assert_int_eq(in, -1);
        } else {
            ck_assert(k == 0 || k == 2);
            ck_assert_int_eq(in, 31);
        }
        go_chan_free(pt.c);
    }
}
END_TEST

/* ---- many cases (heap arrays) ------------------------------------------------------ */

#define MANY 20

START_TEST(test_select_many_cases_ready_one)
{
    go_chan *c[MANY];
    int vals[MANY];
    go_select_case cases[MANY];
    for (int i = 0; i < MANY; i++) {
        c[i] = go_chan_make(sizeof(int), 1);
        vals[i] = -1;
        cases[i] = GO_RECV_CASE(i % 5 == 3 ? NULL : c[i], &vals[i]);
    }
    ck_assert_int_eq(go_select(cases, MANY, true), -1);
    for (int round = 0; round < MANY; round++) {
        if (!cases[round].chan)
            continue;
        int v = 100 + round;
        go_chan_send(c[round], &v);
        ck_assert_int_eq(go_select(cases, MANY, false), round);
        ck_assert_int_eq(vals[round], 100 + round);
    }
    for (int i = 0; i < MANY; i++)
        go_chan_free(c[i]);
}
END_TEST

START_TEST(test_select_many_cases_fair)
{
    go_chan *c[MANY];
    go_select_case cases[MANY];
    for (int i = 0; i < MANY; i++) {
        c[i] = go_chan_make(0, 0);
        go_chan_close(c[i]);
        cases[i] = GO_RECV_CASE(c[i], NULL);
    }
    long counts[MANY] = { 0 };
    for (int i = 0; i < 2 * FAIR_ROUNDS; i++) {
        int k = go_select(cases, MANY, false);
        ck_assert(k >= 0 && k < MANY);
        counts[k]++;
    }
    double x = chi_square(counts, MANY, 2 * FAIR_ROUNDS);
    ck_assert_msg(x < CHI2_1E6_DF19, "chi-square %.1f over %d cases", x, MANY);
    for (int i = 0; i < MANY; i++)
        go_chan_free(c[i]);
}
END_TEST

struct many_partner {
    go_chan *c;
    bool parked_seen;
    go_wg wg;
};

static void send_many(void *p)
{
    struct many_partner *mp = p;
    mp->parked_seen = wait_main_parked();
    int v = 4242;
    go_chan_send(mp->c, &v);
    go_wg_done(&mp->wg);
}

START_TEST(test_select_many_cases_blocking)
{
    go_chan *c[MANY];
    int vals[MANY];
    go_select_case cases[MANY];
    for (int i = 0; i < MANY; i++) {
        c[i] = go_chan_make(sizeof(int), (size_t)(i % 3));
        vals[i] = -1;
        cases[i] = GO_RECV_CASE(c[i], &vals[i]);
    }
    for (int target = 0; target < MANY; target += 7) {
        static struct many_partner mp;
        memset(&mp, 0, sizeof mp);
        mp.c = c[target];
        go_wg_add(&mp.wg, 1);
        go(send_many, &mp);
        ck_assert_int_eq(go_select(cases, MANY, false), target);
        ck_assert_int_eq(vals[target], 4242);
        go_wg_wait(&mp.wg);
        ck_assert(mp.parked_seen);
    }
    /* No waiter was left behind on any channel: freeing would report. */
    for (int i = 0; i < MANY; i++)
        go_chan_free(c[i]);
}
END_TEST

/* ---- stress: many goroutines selecting on shared channels --------------------------- */

#define ST_CHANS 3
#define ST_PRODUCERS 8
#define ST_CONSUMERS 8
#define ST_PER_PRODUCER 20000

struct sel_stress {
    go_chan *c[ST_CHANS];
    go_wg producers, consumers;
    int next_producer, next_consumer;
    uint64_t sum[ST_CONSUMERS], count[ST_CONSUMERS];
    uint64_t per_chan[ST_CHANS];
};

static void stress_producer(void *p)
{
    struct sel_stress *s = p;
    int id = __atomic_fetch_add(&s->next_producer, 1, __ATOMIC_RELAXED);
    for (uint64_t i = 0; i < ST_PER_PRODUCER; i++) {
        uint64_t v = (uint64_t)id * ST_PER_PRODUCER + i + 1;
        go_select_case cases[ST_CHANS];
        for (int k = 0; k < ST_CHANS; k++)
            cases[k] = GO_SEND_CASE(s->c[k], &v);
        int k = go_select(cases, ST_CHANS, false);
        __atomic_add_fetch(&s->per_chan[k], 1, __ATOMIC_RELAXED);
    }
    go_wg_done(&s->producers);
}

static void stress_consumer(void *p)
{
    struct sel_stress *s = p;
    int id = __atomic_fetch_add(&s->next_consumer, 1, __ATOMIC_RELAXED);
    go_select_case cases[ST_CHANS];
    uint64_t v;
    for (int k = 0; k < ST_CHANS; k++)
        cases[k] = GO_RECV_CASE(s->c[k], &v);
    int open = ST_CHANS;
    while (open > 0) {
        int k = go_select(cases, ST_CHANS, false);
        if (!cases[k].ok) {
            cases[k].chan = NULL; /* closed and drained: stop watching it */
            open--;
            continue;
        }
        s->sum[id] += v;
        s->count[id]++;
    }
    go_wg_done(&s->consumers);
}

START_TEST(test_select_stress_checksum)
{
    static struct sel_stress s;
    memset(&s, 0, sizeof s);
    static const size_t caps[ST_CHANS] = { 0, 1, 16 };
    for (int k = 0; k < ST_CHANS; k++)
        s.c[k] = go_chan_make(sizeof(uint64_t), caps[k]);
    go_wg_add(&s.producers, ST_PRODUCERS);
    go_wg_add(&s.consumers, ST_CONSUMERS);
    for (int i = 0; i < ST_CONSUMERS; i++)
        go(stress_consumer, &s);
    for (int i = 0; i < ST_PRODUCERS; i++)
        go(stress_producer, &s);
    go_wg_wait(&s.producers);
    for (int k = 0; k < ST_CHANS; k++)
        go_chan_close(s.c[k]);
    go_wg_wait(&s.consumers);
    uint64_t n = (uint64_t)ST_PRODUCERS * ST_PER_PRODUCER, sum = 0, count = 0;
    for (int i = 0; i < ST_CONSUMERS; i++) {
        sum += s.sum[i];
        count += s.count[i];
    }
    ck_assert_uint_eq(count, n);
    ck_assert_uint_eq(sum, n * (n + 1) / 2);
    uint64_t sent = 0;
    for (int k = 0; k < ST_CHANS; k++) {
        sent += s.per_chan[k];
        ck_assert_msg(s.per_chan[k] > 0, "channel %d never chosen", k);
    }
    ck_assert_uint_eq(sent, n);
    for (int k = 0; k < ST_CHANS; k++)
        go_chan_free(s.c[k]);
}
END_TEST

/* ---- two selects, each with a send and a receive on one channel --------------------------- */

#define PAIR_ROUNDS 20000

struct pairing {
    go_chan *c;
    long sent[2], received[2];
    uint64_t sum_received;
    go_wg wg;
};

struct pair_arg {
    struct pairing *p;
    int id;
};

static void pair_selector(void *a)
{
    struct pair_arg *pa = a;
    struct pairing *p = pa->p;
    for (int i = 0; i < PAIR_ROUNDS; i++) {
        uint64_t out = (uint64_t)pa->id * PAIR_ROUNDS + i + 1, in = 0;
        go_select_case cases[] = { GO_SEND_CASE(p->c, &out),
                                   GO_RECV_CASE(p->c, &in) };
        /* Only the other selector can be the partner. */
        if (go_select(cases, 2, false) == 0) {
            p->sent[pa->id]++;
        } else {
            p->received[pa->id]++;
            __atomic_add_fetch(&p->sum_received, in, __ATOMIC_RELAXED);
        }
    }
    go_wg_done(&p->wg);
}

START_TEST(test_select_two_selects_pair_on_one_channel)
{
    static struct pairing p;
    static struct pair_arg args[2];
    memset(&p, 0, sizeof p);
    p.c = go_chan_make(sizeof(uint64_t), 0);
    go_wg_add(&p.wg, 2);
    for (int i = 0; i < 2; i++) {
        args[i] = (struct pair_arg){ &p, i };
        go(pair_selector, &args[i]);
    }
    go_wg_wait(&p.wg);
    /* Every operation of one is the other's partner. */
    ck_assert_int_eq(p.sent[0], p.received[1]);
    ck_assert_int_eq(p.sent[1], p.received[0]);
    ck_assert_int_eq(p.sent[0] + p.received[0], PAIR_ROUNDS);
    ck_assert_int_gt(p.sent[0], 0);
    ck_assert_int_gt(p.sent[1], 0);
    go_chan_free(p.c);
}
END_TEST

/* ---- close wakes every goroutine blocked in a select ---------------------------------- */

#define CLOSE_WAITERS 200

struct close_all {
    go_chan *c, *other;
    go_wg parked, done;
    int closed_seen, wrong;
};

static void select_until_closed(void *p)
{
    struct close_all *ca = p;
    long v = 99;
    go_select_case cases[] = { GO_RECV_CASE(ca->other, &v),
                               GO_RECV_CASE(ca->c, &v) };
    go_wg_done(&ca->parked);
    int k = go_select(cases, 2, false);
    if (k == 1 && !cases[1].ok && v == 0)
        __atomic_add_fetch(&ca->closed_seen, 1, __ATOMIC_RELAXED);
    else
        __atomic_add_fetch(&ca->wrong, 1, __ATOMIC_RELAXED);
    go_wg_done(&ca->done);
}

START_TEST(test_select_close_wakes_all_selects)
{
    static struct close_all ca;
    memset(&ca, 0, sizeof ca);
    ca.c = go_chan_make(sizeof(long), 0);
    ca.other = go_chan_make(sizeof(long), 0);
    go_wg_add(&ca.parked, CLOSE_WAITERS);
    go_wg_add(&ca.done, CLOSE_WAITERS);
    for (int i = 0; i < CLOSE_WAITERS; i++)
        go(select_until_closed, &ca);
    go_wg_wait(&ca.parked);
    /* Some may not have parked yet: either way each must see the close. */
    go_chan_close(ca.c);
    go_wg_wait(&ca.done);
    ck_assert_int_eq(ca.closed_seen, CLOSE_WAITERS);
    ck_assert_int_eq(ca.wrong, 0);
    /* Every waiter left the other channel's queue. */
    go_chan_free(ca.other);
    go_chan_free(ca.c);
}
END_TEST

/* ---- the empty select ---------------------------------------------------------------- */

SCENARIO(select_no_cases)
{
    go_select(NULL, 0, false);
    printf("select returned\n");
}

SCENARIO(select_all_nil_cases)
{
    int v;
    go_select_case cases[] = { GO_RECV_CASE(NULL, &v), GO_SEND_CASE(NULL, &v) };
    go_select(cases, 2, false);
    printf("select returned\n");
}

START_TEST(test_select_no_cases_deadlock)
{
    struct child c;
    run_scenario("select_no_cases", NULL, 30, &c);
    ck_assert_exited(&c, 2);
    ck_assert_output_has(&c, "fatal error: all goroutines are asleep - "
                             "deadlock!");
    ck_assert_output_has(&c, "goroutine 1 [select (no cases)]:");
    ck_assert_output_lacks(&c, "select returned");
    child_free(&c);

    run_scenario("select_all_nil_cases", NULL, 30, &c);
    ck_assert_exited(&c, 2);
    ck_assert_output_has(&c, "fatal error: all goroutines are asleep - "
                             "deadlock!");
    ck_assert_output_lacks(&c, "select returned");
    child_free(&c);
}
END_TEST

TCase *tcase_runtime_select(void)
{
    TCase *tc = tcase_create("select");
    tcase_add_checked_fixture(tc, rt_test_setup, rt_test_verify);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_select_ready_recv_chosen);
    tcase_add_test(tc, test_select_ready_send_chosen);
    tcase_add_test(tc, test_select_default_when_none_ready);
    tcase_add_test(tc, test_select_nil_channels_never_fire);
    tcase_add_test(tc, test_select_zero_cases_with_default);
    tcase_add_loop_test(tc, test_select_blocking_woken_by_send, 0, 2);
    tcase_add_test(tc, test_select_blocking_woken_by_recv);
    tcase_add_loop_test(tc, test_select_blocking_woken_by_close, 0, 2);
    tcase_add_test(tc, test_select_send_on_closed_panics);
    tcase_add_test(tc, test_select_fair_two_cases);
    tcase_add_test(tc, test_select_fair_four_mixed_cases);
    tcase_add_test(tc, test_select_same_channel_two_recv_cases);
    tcase_add_test(tc, test_select_same_channel_send_and_recv);
    tcase_add_test(tc, test_select_same_channel_blocking_partner);
    tcase_add_test(tc, test_select_many_cases_ready_one);
    tcase_add_test(tc, test_select_many_cases_fair);
    tcase_add_test(tc, test_select_many_cases_blocking);
    tcase_add_test(tc, test_select_stress_checksum);
    tcase_add_test(tc, test_select_close_wakes_all_selects);
    tcase_add_test(tc, test_select_two_selects_pair_on_one_channel);
    tcase_add_test(tc, test_select_no_cases_deadlock);
    return tc;
}
