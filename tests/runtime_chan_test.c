/* SPDX-License-Identifier: MIT */
/*
 * Channel semantics: buffered FIFO, unbuffered rendezvous, close and
 * drain, the nil channel, len/cap, try operations, zero-size elements,
 * misuse (Go's panics) and MPMC stress with checksums.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gosan.h>

#include "harness.h"

/* ---- buffered FIFO, for capacities 1, 2, 7, 64 (loop test) ------------- */

static const size_t caps[] = { 1, 2, 7, 64 };

struct fifo_arg {
    go_chan *c;
    int n;
};

static void fifo_producer(void *p)
{
    struct fifo_arg *a = p;
    for (int i = 0; i < a->n; i++)
        go_chan_send(a->c, &i);
    go_chan_close(a->c);
}

START_TEST(test_chan_buffered_fifo)
{
    struct fifo_arg a = { go_chan_make(sizeof(int), caps[_i]), 10000 };
    ck_assert_uint_eq(go_chan_cap(a.c), caps[_i]);
    go(fifo_producer, &a);
    int v, expect = 0;
    while (go_chan_recv(a.c, &v)) {
        ck_assert_int_eq(v, expect);
        expect++;
    }
    ck_assert_int_eq(expect, a.n);
    /* Closed and drained: zero-filled, false. */
    v = 42;
    ck_assert(!go_chan_recv(a.c, &v));
    ck_assert_int_eq(v, 0);
    go_chan_free(a.c);
}
END_TEST

START_TEST(test_chan_len_cap)
{
    go_chan *c = go_chan_make(sizeof(long), 3);
    ck_assert_uint_eq(go_chan_len(c), 0);
    long x = 1;
    ck_assert(go_chan_try_send(c, &x));
    ck_assert(go_chan_try_send(c, &x));
    ck_assert_uint_eq(go_chan_len(c), 2);
    ck_assert(go_chan_try_send(c, &x));
    ck_assert(!go_chan_try_send(c, &x));
    ck_assert_uint_eq(go_chan_len(c), 3);
    ck_assert_uint_eq(go_chan_len(NULL), 0);
    ck_assert_uint_eq(go_chan_cap(NULL), 0);
    go_chan_free(c);
}
END_TEST

/* ---- close semantics ------------------------------------------------------ */

START_TEST(test_chan_close_drains_buffer_first)
{
    go_chan *c = go_chan_make(sizeof(int), 4);
    for (int i = 1; i <= 3; i++)
        go_chan_send(c, &i);
    go_chan_close(c);
    int v;
    for (int i = 1; i <= 3; i++) {
        ck_assert_int_eq(go_chan_try_recv(c, &v), 1);
        ck_assert_int_eq(v, i);
    }
    v = 7;
    ck_assert_int_eq(go_chan_try_recv(c, &v), -1);
    ck_assert_int_eq(v, 0);
    ck_assert(!go_chan_recv(c, NULL));
    go_chan_free(c);
}
END_TEST

struct close_wake {
    go_chan *c;
    go_wg wg;
    int closed_seen;
};

static void blocked_receiver(void *p)
{
    struct close_wake *w = p;
    long v = 99;
    if (!go_chan_recv(w->c, &v) && v == 0)
        __atomic_add_fetch(&w->closed_seen, 1, __ATOMIC_RELAXED);
    go_wg_done(&w->wg);
}

START_TEST(test_chan_close_wakes_all_receivers)
{
    struct close_wake w = { .c = go_chan_make(sizeof(long), 0) };
    go_wg_add(&w.wg, 10);
    for (int i = 0; i < 10; i++)
        go(blocked_receiver, &w);
    /* Let them park. */
    while (go_num_goroutine() > 1) {
        go_yield();
        break;
    }
    go_sleep(2000000);
    go_chan_close(w.c);
    go_wg_wait(&w.wg);
    ck_assert_int_eq(w.closed_seen, 10);
    go_chan_free(w.c);
}
END_TEST

/* ---- unbuffered rendezvous ------------------------------------------------- */

struct rendezvous {
    go_chan *c;
    int sent_returned;
};

static void sender(void *p)
{
    struct rendezvous *r = p;
    int v = 5;
    go_chan_send(r->c, &v);
    __atomic_store_n(&r->sent_returned, 1, __ATOMIC_RELEASE);
}

START_TEST(test_chan_unbuffered_blocks_until_received)
{
    struct rendezvous r = { .c = go_chan_make(sizeof(int), 0) };
    go(sender, &r);
    go_sleep(5000000);
    /* Nobody received yet: the sender must still be blocked. */
    ck_assert_int_eq(__atomic_load_n(&r.sent_returned, __ATOMIC_ACQUIRE), 0);
    int v;
    ck_assert(go_chan_recv(r.c, &v));
    ck_assert_int_eq(v, 5);
    while (!__atomic_load_n(&r.sent_returned, __ATOMIC_ACQUIRE))
        go_yield();
    go_chan_free(r.c);
}
END_TEST

START_TEST(test_chan_zero_size_elements)
{
    go_chan *c = go_chan_make(0, 2);
    ck_assert(go_chan_try_send(c, NULL));
    ck_assert(go_chan_try_send(c, NULL));
    ck_assert(!go_chan_try_send(c, NULL));
    ck_assert_int_eq(go_chan_try_recv(c, NULL), 1);
    ck_assert_uint_eq(go_chan_len(c), 1);
    go_chan_free(c);
}
END_TEST

START_TEST(test_chan_nil_try_ops_would_block)
{
    int v = 1;
    ck_assert(!go_chan_try_send(NULL, &v));
    ck_assert_int_eq(go_chan_try_recv(NULL, &v), 0);
}
END_TEST

/* ---- misuse: Go's panics, in a process of their own ------------------------- */

SCENARIO(chan_send_on_closed)
{
    go_chan *c = go_chan_make(sizeof(int), 1);
    go_chan_close(c);
    int v = 1;
    go_chan_send(c, &v);
}

SCENARIO(chan_close_of_closed)
{
    go_chan *c = go_chan_make(sizeof(int), 1);
    go_chan_close(c);
    go_chan_close(c);
}

SCENARIO(chan_close_of_nil)
{
    go_chan_close(NULL);
}

SCENARIO(chan_close_of_closed_continue)
{
    go_chan *c = go_chan_make(sizeof(int), 1);
    go_chan_close(c);
    go_chan_close(c);
    printf("still running\n");
}

START_TEST(test_chan_send_on_closed_panics)
{
    struct child c;
    run_scenario("chan_send_on_closed", NULL, 30, &c);
    ck_assert_killed(&c, SIGABRT);
    ck_assert_output_has(&c, "panic: send on closed channel");
    ck_assert_output_has(&c, "goroutine 1 [running]:");
    ck_assert_output_has(&c, "scenario_chan_send_on_closed");
    child_free(&c);
}
END_TEST

START_TEST(test_chan_close_of_closed_panics)
{
    struct child c;
    run_scenario("chan_close_of_closed", NULL, 30, &c);
    ck_assert_killed(&c, SIGABRT);
    ck_assert_output_has(&c, "panic: close of closed channel");
    child_free(&c);
    run_scenario("chan_close_of_nil", NULL, 30, &c);
    ck_assert_killed(&c, SIGABRT);
    ck_assert_output_has(&c, "panic: close of nil channel");
    child_free(&c);
}
END_TEST

START_TEST(test_chan_misuse_continues_without_halt)
{
    struct child c;
    const char *env[] = { "GOSAN_OPTIONS=halt_on_error=0", NULL };
    run_scenario("chan_close_of_closed_continue", env, 30, &c);
    /* It goes on, and having reported something it exits with 66. */
    ck_assert_exited(&c, 66);
    ck_assert_output_has(&c, "panic: close of closed channel");
    ck_assert_output_has(&c, "still running");
    child_free(&c);
}
END_TEST

/* ---- deadlock ------------------------------------------------------------------ */

SCENARIO(chan_global_deadlock)
{
    go_chan *c = go_chan_make(sizeof(int), 0);
    int v;
    go_chan_recv(c, &v);
}

START_TEST(test_chan_deadlock_all_asleep)
{
    struct child c;
    run_scenario("chan_global_deadlock", NULL, 30, &c);
    ck_assert_exited(&c, 2);
    ck_assert_output_has(&c, "fatal error: all goroutines are asleep - "
                             "deadlock!");
    ck_assert_output_has(&c, "goroutine 1 [chan receive]:");
    ck_assert_output_has(&c, "scenario_chan_global_deadlock");
    child_free(&c);
}
END_TEST

/* ---- MPMC stress with checksums ------------------------------------------------ */

#define MPMC_PRODUCERS 4
#define MPMC_CONSUMERS 4
#define MPMC_PER_PRODUCER 50000

struct mpmc {
    go_chan *c;
    go_wg producers, consumers;
    uint64_t sum[MPMC_CONSUMERS];
    uint64_t count[MPMC_CONSUMERS];
    int next_consumer;
};

static void mpmc_producer(void *p)
{
    struct mpmc *m = p;
    static int next_id;
    int id = __atomic_fetch_add(&next_id, 1, __ATOMIC_RELAXED) %
             MPMC_PRODUCERS;
    for (uint64_t i = 0; i < MPMC_PER_PRODUCER; i++) {
        uint64_t v = (uint64_t)id * MPMC_PER_PRODUCER + i + 1;
        go_chan_send(m->c, &v);
    }
    go_wg_done(&m->producers);
}

static void mpmc_consumer(void *p)
{
    struct mpmc *m = p;
    int id = __atomic_fetch_add(&m->next_consumer, 1, __ATOMIC_RELAXED);
    uint64_t v;
    while (go_chan_recv(m->c, &v)) {
        m->sum[id] += v;
        m->count[id]++;
    }
    go_wg_done(&m->consumers);
}

START_TEST(test_chan_mpmc_checksum)
{
    static const size_t mpmc_caps[] = { 0, 1, 128 };
    for (size_t k = 0; k < 3; k++) {
        struct mpmc m;
        memset(&m, 0, sizeof m);
        m.c = go_chan_make(sizeof(uint64_t), mpmc_caps[k]);
        go_wg_add(&m.producers, MPMC_PRODUCERS);
        go_wg_add(&m.consumers, MPMC_CONSUMERS);
        for (int i = 0; i < MPMC_CONSUMERS; i++)
            go(mpmc_consumer, &m);
        for (int i = 0; i < MPMC_PRODUCERS; i++)
            go(mpmc_producer, &m);
        go_wg_wait(&m.producers);
        go_chan_close(m.c);
        go_wg_wait(&m.consumers);
        uint64_t n = (uint64_t)MPMC_PRODUCERS * MPMC_PER_PRODUCER;
        uint64_t sum = 0, count = 0;
        for (int i = 0; i < MPMC_CONSUMERS; i++) {
            sum += m.sum[i];
            count += m.count[i];
        }
        /* Every value 1..n exactly once: nothing lost, nothing twice. */
        ck_assert_uint_eq(count, n);
        ck_assert_uint_eq(sum, n * (n + 1) / 2);
        go_chan_free(m.c);
    }
}
END_TEST

TCase *tcase_runtime_chan(void)
{
    TCase *tc = tcase_create("chan");
    tcase_add_checked_fixture(tc, rt_test_setup, rt_test_verify);
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, test_chan_buffered_fifo, 0,
                        (int)(sizeof caps / sizeof caps[0]));
    tcase_add_test(tc, test_chan_len_cap);
    tcase_add_test(tc, test_chan_close_drains_buffer_first);
    tcase_add_test(tc, test_chan_close_wakes_all_receivers);
    tcase_add_test(tc, test_chan_unbuffered_blocks_until_received);
    tcase_add_test(tc, test_chan_zero_size_elements);
    tcase_add_test(tc, test_chan_nil_try_ops_would_block);
    tcase_add_test(tc, test_chan_send_on_closed_panics);
    tcase_add_test(tc, test_chan_close_of_closed_panics);
    tcase_add_test(tc, test_chan_misuse_continues_without_halt);
    tcase_add_test(tc, test_chan_deadlock_all_asleep);
    tcase_add_test(tc, test_chan_mpmc_checksum);
    return tc;
}
