/* SPDX-License-Identifier: MIT */
/*
 * Stress and limits of the runtime core: a million goroutines spawned and
 * joined, a million parked at once (count and memory), a goroutine in a
 * blocking system call while the others keep running on GOMAXPROCS=1
 * (sysmon hands its P off), many goroutines churning through short system
 * calls, a system call that is not a deadlock, stack overflow (Go's fatal
 * error) and deep but legal recursion.
 *
 * The parked scenario takes a count argument for manual runs:
 *   check_runtime --scenario stress_million_parked 200000
 *
 * Each test prints how long it took ("stress: ..." on stderr) so that CI
 * logs show the budget being used.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <gosan.h>

#include "harness.h"
#include "runtime_impl.h"

#define MS 1000000LL
#define MILLION 1000000
/* The parked-goroutines scenario's size: a tenth under ASan, where each
 * parked goroutine also costs its stack's shadow and is ten times slower
 * to start. */
#define PARKED (TEST_UNDER_ASAN ? MILLION / 10 : MILLION)

size_t rt__stack_size(void); /* stack.c: usable bytes of a goroutine stack */

/* status_kb reads a "Key:   N kB" line of /proc/self/status. */
static long status_kb(const char *key)
{
    FILE *f = fopen("/proc/self/status", "re");
    if (!f)
        return -1;
    char line[256];
    long v = -1;
    size_t len = strlen(key);
    while (fgets(line, sizeof line, f)) {
        if (!strncmp(line, key, len) && line[len] == ':') {
            v = strtol(line + len + 1, NULL, 10);
            break;
        }
    }
    fclose(f);
    return v;
}

static void report_time(const char *what, int64_t t0)
{
    fprintf(stderr, "stress: %s: %.2f s\n", what,
            (double)(test_now() - t0) / 1e9);
}

/* ---- a million goroutines, spawned and joined ------------------------------------- */

struct counted {
    go_wg wg;
    uint64_t ran, odd_ids;
};

static void count_and_exit(void *p)
{
    struct counted *c = p;
    __atomic_add_fetch(&c->ran, 1, __ATOMIC_RELAXED);
    __atomic_add_fetch(&c->odd_ids, go_id() & 1, __ATOMIC_RELAXED);
    go_wg_done(&c->wg);
}

START_TEST(test_stress_million_spawn_join)
{
    static struct counted c;
    memset(&c, 0, sizeof c);
    int64_t t0 = test_now();
    go_wg_add(&c.wg, MILLION);
    uint64_t odd = 0;
    for (int i = 0; i < MILLION; i++)
        odd += go(count_and_exit, &c) & 1;
    go_wg_wait(&c.wg);
    report_time("1M goroutines spawned and joined", t0);
    /* Every goroutine ran once, with the id go_spawn returned (as far as
     * a parity checksum can tell). */
    ck_assert_uint_eq(c.ran, MILLION);
    ck_assert_uint_eq(c.odd_ids, odd);
    long rss = status_kb("VmRSS");
    fprintf(stderr, "stress: VmRSS after 1M spawn/join: %ld kB\n", rss);
}
END_TEST

/* ---- a million goroutines parked at once -------------------------------------------- */

struct parked {
    go_chan *release;
    go_wg started, done;
};

static void park_until_released(void *p)
{
    struct parked *pk = p;
    go_wg_done(&pk->started);
    go_chan_recv(pk->release, NULL);
    go_wg_done(&pk->done);
}

SCENARIO(stress_million_parked)
{
    static struct parked pk;
    int n = argc > 0 ? atoi(argv[0]) : PARKED;
    long rss0 = status_kb("VmRSS");
    int64_t t0 = test_now();
    pk.release = go_chan_make(0, 0);
    go_wg_add(&pk.started, n);
    go_wg_add(&pk.done, n);
    for (int i = 0; i < n; i++)
        go(park_until_released, &pk);
    go_wg_wait(&pk.started);
    int64_t t_started = test_now();
    /* White-box: wait (10 s at most) until every one of them is queued on
     * the channel, i.e. really parked. */
    long waiting = 0;
    int64_t deadline = test_now() + 10000 * MS;
    for (;;) {
        waiting = 0;
        rt__lock(&pk.release->lock);
        for (struct rt_waiter *w = pk.release->recvq.first; w; w = w->next)
            waiting++;
        rt__unlock(&pk.release->lock);
        if (waiting == n || test_now() > deadline)
            break;
        go_sleep(1 * MS);
    }
    int64_t t1 = test_now();
    int live = go_num_goroutine();
    long rss = status_kb("VmRSS");
    printf("parked=%d on_channel=%ld\n", live, waiting);
    printf("rss_kb=%ld per_goroutine_bytes=%ld\n", rss,
           (rss - rss0) * 1024 / n);
    printf("spawn_s=%.2f (until all started %.2f)\n", (double)(t1 - t0) / 1e9,
           (double)(t_started - t0) / 1e9);
    fflush(stdout);
    go_chan_close(pk.release);
    go_wg_wait(&pk.done);
    int64_t t2 = test_now();
    deadline = test_now() + 10000 * MS;
    while (go_num_goroutine() > 1 && test_now() < deadline)
        go_sleep(1 * MS);
    printf("release_s=%.2f\n", (double)(t2 - t1) / 1e9);
    printf("after=%d\n", go_num_goroutine());
    fflush(stdout);
}

START_TEST(test_stress_million_parked)
{
    /* 64 KiB stacks: a million of them is 80 GB of address space (guards
     * included) instead of 272 GB. Their memory is what the parked
     * goroutines touched: one page each. The scavenger gives the stacks
     * of the released ones back while they exit, and the rest goes with
     * the scenario's process. */
    struct child c;
    const char *env[] = { "GOSAN_OPTIONS=stack_size=64K", NULL };
    int64_t t0 = test_now();
    run_scenario("stress_million_parked", env, 200, &c);
    report_time("1M goroutines parked at once (scenario)", t0);
    fprintf(stderr, "%s", c.output);
    ck_assert_exited(&c, 0);
    char want[64];
    snprintf(want, sizeof want, "parked=%d on_channel=%d\n", PARKED + 1,
             PARKED);
    ck_assert_output_has(&c, want);
    ck_assert_output_has(&c, "after=1\n");
    const char *p = strstr(c.output, "per_goroutine_bytes=");
    ck_assert(p != NULL);
    long per = strtol(p + strlen("per_goroutine_bytes="), NULL, 10);
    /* A parked goroutine costs its used stack pages: one or two. */
    ck_assert_msg(TEST_UNDER_ASAN || (per > 0 && per <= 3 * 4096),
                  "a parked goroutine costs %ld bytes of RSS", per);
    child_free(&c);
}
END_TEST

/* ---- a blocking system call hands the P off -------------------------------------------- */

struct syscaller {
    int entered, left;
    go_wg wg;
};

static void blocking_call(void *p)
{
    struct syscaller *s = p;
    int fds[2];
    if (pipe(fds) != 0)
        abort();
    __atomic_store_n(&s->entered, 1, __ATOMIC_RELEASE);
    go_syscall_enter();
    /* Nobody writes: poll blocks the thread for its whole timeout. */
    struct pollfd pfd = { .fd = fds[0], .events = POLLIN };
    int r = poll(&pfd, 1, 200);
    go_syscall_exit();
    __atomic_store_n(&s->left, 1, __ATOMIC_RELEASE);
    close(fds[0]);
    close(fds[1]);
    if (r != 0)
        abort();
    go_wg_done(&s->wg);
}

static void nanosleep_call(void *p)
{
    struct syscaller *s = p;
    __atomic_store_n(&s->entered, 1, __ATOMIC_RELEASE);
    go_syscall_enter();
    struct timespec ts = { 0, 200 * MS };
    while (nanosleep(&ts, &ts) && errno == EINTR) {
    }
    go_syscall_exit();
    __atomic_store_n(&s->left, 1, __ATOMIC_RELEASE);
    go_wg_done(&s->wg);
}

struct worker {
    long count;
    int stop;
    go_wg wg;
};

static void busy_worker(void *p)
{
    struct worker *w = p;
    while (!__atomic_load_n(&w->stop, __ATOMIC_ACQUIRE)) {
        __atomic_add_fetch(&w->count, 1, __ATOMIC_RELAXED);
        go_yield();
    }
    go_wg_done(&w->wg);
}

SCENARIO(stress_syscall_handoff)
{
    static struct syscaller s;
    static struct worker w;
    go_fn call = argc > 0 && !strcmp(argv[0], "nanosleep") ? nanosleep_call
                                                             : blocking_call;
    printf("maxprocs=%d\n", go_maxprocs(0));
    go_wg_add(&w.wg, 1);
    go(busy_worker, &w);
    go_wg_add(&s.wg, 1);
    int64_t t0 = test_now();
    go(call, &s);
    /* Main and the worker can only run while the call blocks if the P was
     * handed to another thread. */
    while (!__atomic_load_n(&s.entered, __ATOMIC_ACQUIRE))
        go_yield();
    long main_yields = 0, worker_before = -1, worker_after = -1;
    while (!__atomic_load_n(&s.left, __ATOMIC_ACQUIRE)) {
        if (worker_before < 0)
            worker_before = __atomic_load_n(&w.count, __ATOMIC_RELAXED);
        worker_after = __atomic_load_n(&w.count, __ATOMIC_RELAXED);
        main_yields++;
        go_yield();
    }
    int64_t call_ns = test_now() - t0;
    go_wg_wait(&s.wg);
    __atomic_store_n(&w.stop, 1, __ATOMIC_RELEASE);
    go_wg_wait(&w.wg);
    printf("call_ms=%lld main_yields=%ld worker_progress=%ld\n",
           (long long)(call_ns / MS), main_yields,
           worker_after - worker_before);
    if (main_yields > 100 && worker_after - worker_before > 100)
        printf("progress ok\n");
}

START_TEST(test_stress_syscall_hands_p_off)
{
    static const char *const calls[] = { "poll", "nanosleep" };
    struct child c;
    const char *env[] = { "GOMAXPROCS=1", NULL };
    unsetenv("GOMAXPROCS"); /* run_scenario's entry must be the one seen */
    for (int i = 0; i < 2; i++) {
        int64_t t0 = test_now();
        /* run_scenario has no argv: pass the variant via the name table. */
        run_scenario(i == 0 ? "stress_syscall_handoff"
                            : "stress_syscall_handoff_nanosleep",
                     env, 60, &c);
        report_time(calls[i], t0);
        ck_assert_exited(&c, 0);
        ck_assert_output_has(&c, "maxprocs=1\n");
        ck_assert_output_has(&c, "progress ok");
        child_free(&c);
    }
}
END_TEST

SCENARIO(stress_syscall_handoff_nanosleep)
{
    char *args[] = { "nanosleep", NULL };
    scenario_stress_syscall_handoff(1, args);
}

/* ---- a goroutine in a system call is not a deadlock --------------------------------------- */

static void syscall_then_send(void *c)
{
    go_syscall_enter();
    struct timespec ts = { 0, 300 * MS };
    while (nanosleep(&ts, &ts) && errno == EINTR) {
    }
    go_syscall_exit();
    int v = 9;
    go_chan_send(c, &v);
}

SCENARIO(stress_syscall_not_deadlock)
{
    go_chan *c = go_chan_make(sizeof(int), 0);
    go(syscall_then_send, c);
    int v = 0;
    go_chan_recv(c, &v); /* every other M idle while the call lasts */
    printf("received %d\n", v);
}

START_TEST(test_stress_syscall_is_not_a_deadlock)
{
    static const char *const procs[] = { "GOMAXPROCS=1", "GOMAXPROCS=2" };
    unsetenv("GOMAXPROCS");
    for (int i = 0; i < 2; i++) {
        struct child c;
        const char *env[] = { procs[i], NULL };
        run_scenario("stress_syscall_not_deadlock", env, 30, &c);
        ck_assert_exited(&c, 0);
        ck_assert_output_has(&c, "received 9");
        ck_assert_output_lacks(&c, "deadlock");
        child_free(&c);
    }
}
END_TEST

/* ---- many goroutines in and out of system calls ---------------------------------------------- */

#define SYSCALLERS 16
#define SYSCALL_ROUNDS 1000

struct churn {
    long calls, yields;
    int stop;
    go_wg callers, workers;
};

static void syscall_churner(void *p)
{
    struct churn *ch = p;
    for (int i = 0; i < SYSCALL_ROUNDS; i++) {
        go_syscall_enter();
        struct timespec ts = { 0, (i % 4) * 50000 }; /* 0 to 150 us */
        nanosleep(&ts, NULL);
        go_syscall_exit();
        __atomic_add_fetch(&ch->calls, 1, __ATOMIC_RELAXED);
        if (i % 8 == 0)
            go_yield();
    }
    go_wg_done(&ch->callers);
}

static void churn_worker(void *p)
{
    struct churn *ch = p;
    while (!__atomic_load_n(&ch->stop, __ATOMIC_ACQUIRE)) {
        __atomic_add_fetch(&ch->yields, 1, __ATOMIC_RELAXED);
        go_yield();
    }
    go_wg_done(&ch->workers);
}

START_TEST(test_stress_syscall_churn)
{
    /* Goroutines entering and leaving short system calls, alone or while
     * others run: the P handoffs race with the returns (a returning
     * goroutine finds its P taken and must queue or grab an idle one; or
     * its P was handed to another M whose goroutine is now in a call of
     * its own). Variants: GOMAXPROCS=1 with workers, 2 with workers, 2
     * without. */
    static struct churn ch;
    static const char *const names[] = {
        "syscall churn, GOMAXPROCS=1, with workers",
        "syscall churn, GOMAXPROCS=2, with workers",
        "syscall churn, GOMAXPROCS=2, alone",
    };
    memset(&ch, 0, sizeof ch);
    go_maxprocs(_i == 0 ? 1 : 2);
    int workers = _i == 2 ? 0 : 2;
    int64_t t0 = test_now();
    go_wg_add(&ch.callers, SYSCALLERS);
    go_wg_add(&ch.workers, workers);
    for (int i = 0; i < workers; i++)
        go(churn_worker, &ch);
    for (int i = 0; i < SYSCALLERS; i++)
        go(syscall_churner, &ch);
    go_wg_wait(&ch.callers);
    __atomic_store_n(&ch.stop, 1, __ATOMIC_RELEASE);
    go_wg_wait(&ch.workers);
    report_time(names[_i], t0);
    ck_assert_int_eq(ch.calls, SYSCALLERS * SYSCALL_ROUNDS);
    if (workers)
        ck_assert_int_gt(ch.yields, 0);
}
END_TEST

/* ---- stack overflow ------------------------------------------------------------------ */

/* An opaque condition (never true at run time) keeps the compiler from
 * proving the recursion infinite. */
static volatile int stop_recursion;

static RT_NOINLINE int recurse_forever(int depth)
{
    volatile char frame[512];
    frame[0] = (char)depth;
    frame[sizeof frame - 1] = (char)depth;
    if (stop_recursion)
        return 0;
    return recurse_forever(depth + 1) + frame[0] + frame[sizeof frame - 1];
}

static void overflowing(void *p)
{
    (void)p;
    printf("overflowing goroutine %llu\n", (unsigned long long)go_id());
    fflush(stdout);
    printf("result %d\n", recurse_forever(0));
}

SCENARIO(stress_stack_overflow)
{
    go_chan *never = go_chan_make(0, 0);
    go(overflowing, NULL);
    go_chan_recv(never, NULL);
}

START_TEST(test_stress_stack_overflow_fatal)
{
    struct child c;
    run_scenario("stress_stack_overflow", NULL, 30, &c);
    ck_assert_exited(&c, 2);
    ck_assert_output_has(&c, "fatal error: stack overflow");
    const char *p = strstr(c.output, "overflowing goroutine ");
    ck_assert_msg(p != NULL, "no goroutine id in:\n%s", c.output);
    unsigned long long id = strtoull(p + strlen("overflowing goroutine "),
                                     NULL, 10);
    char want[64];
    snprintf(want, sizeof want, "goroutine %llu stack overflow", id);
    ck_assert_output_has(&c, want);
    ck_assert_output_has(&c, "recurse_forever");
    ck_assert_output_lacks(&c, "result ");
    child_free(&c);
}
END_TEST

/* ---- deep but legal recursion ----------------------------------------------------------- */

#define DEEP_FRAME 1024

static RT_NOINLINE long recurse_to(int depth)
{
    volatile char frame[DEEP_FRAME];
    memset((char *)frame, depth & 0x7f, sizeof frame);
    if (depth == 0)
        return frame[0];
    return recurse_to(depth - 1) + frame[DEEP_FRAME / 2];
}

struct deep {
    int depth;
    long result;
    go_wg wg;
};

static void deep_goroutine(void *p)
{
    struct deep *d = p;
    d->result = recurse_to(d->depth);
    go_wg_done(&d->wg);
}

START_TEST(test_stress_deep_recursion_within_stack)
{
    /* About 60% of the stack in 1 KiB frames, in several goroutines at
     * once (their stacks must not overlap). */
    static struct deep d[8];
    go_yield(); /* start the runtime: the stack size is known from then on */
    int depth = (int)(rt__stack_size() * 6 / 10 / (DEEP_FRAME + 64));
    ck_assert_int_gt(depth, 50);
    long expect = 0;
    for (int k = depth; k >= 0; k--)
        expect += k == 0 ? 0 : (k & 0x7f);
    for (int i = 0; i < 8; i++) {
        memset(&d[i], 0, sizeof d[i]);
        d[i].depth = depth;
        go_wg_add(&d[i].wg, 1);
        go(deep_goroutine, &d[i]);
    }
    for (int i = 0; i < 8; i++) {
        go_wg_wait(&d[i].wg);
        ck_assert_int_eq(d[i].result, expect);
    }
}
END_TEST

TCase *tcase_runtime_stress(void)
{
    TCase *tc = tcase_create("stress");
    tcase_add_checked_fixture(tc, rt_test_setup, rt_test_verify);
    tcase_set_timeout(tc, 240);
    tcase_add_test(tc, test_stress_million_spawn_join);
    tcase_add_test(tc, test_stress_million_parked);
    tcase_add_test(tc, test_stress_syscall_hands_p_off);
    tcase_add_loop_test(tc, test_stress_syscall_churn, 0, 3);
    tcase_add_test(tc, test_stress_syscall_is_not_a_deadlock);
    tcase_add_test(tc, test_stress_stack_overflow_fatal);
    tcase_add_test(tc, test_stress_deep_recursion_within_stack);
    return tc;
}
