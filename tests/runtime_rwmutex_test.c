/* SPDX-License-Identifier: MIT */
/*
 * go_rwmutex (sync.RWMutex): readers share the lock (measured), a writer
 * excludes readers and writers (stress with invariants), a waiting writer
 * blocks new readers and is not starved by a stream of them, and the
 * misuse Go dies on: RUnlock or Unlock of an unlocked RWMutex.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gosan.h>

#include "harness.h"

static void update_max(int *max, int v)
{
    int m = __atomic_load_n(max, __ATOMIC_RELAXED);
    while (v > m && !__atomic_compare_exchange_n(
                        max, &m, v, true, __ATOMIC_RELAXED, __ATOMIC_RELAXED)) {
    }
}

/* wait_count polls *p until it reaches n or timeout_ns passes. */
static bool wait_count(int *p, int n, int64_t timeout_ns)
{
    int64_t deadline = go_now() + timeout_ns;
    while (__atomic_load_n(p, __ATOMIC_ACQUIRE) < n) {
        if (go_now() > deadline)
            return false;
        go_sleep(100000);
    }
    return true;
}

/* ---- readers run together ------------------------------------------------ */

#define SHARED_READERS 6

struct shared {
    go_rwmutex rw;
    int inside;     /* atomic: readers holding the lock */
    int max_inside; /* atomic */
    int arrived;    /* atomic */
    go_chan *release;
    go_wg wg;
};

static void shared_reader(void *p)
{
    struct shared *s = p;
    go_rwmutex_rlock(&s->rw);
    int n = __atomic_add_fetch(&s->inside, 1, __ATOMIC_RELAXED);
    update_max(&s->max_inside, n);
    __atomic_add_fetch(&s->arrived, 1, __ATOMIC_RELEASE);
    /* Hold the read lock until every reader holds it. */
    go_chan_recv(s->release, NULL);
    __atomic_sub_fetch(&s->inside, 1, __ATOMIC_RELAXED);
    go_rwmutex_runlock(&s->rw);
    go_wg_done(&s->wg);
}

START_TEST(test_rwmutex_readers_share_the_lock)
{
    struct shared s = {.release = go_chan_make(0, 0)};
    go_rwmutex_rlock(&s.rw); /* main is a reader too */
    go_wg_add(&s.wg, SHARED_READERS);
    for (int i = 0; i < SHARED_READERS; i++)
        go(shared_reader, &s);
    bool all = wait_count(&s.arrived, SHARED_READERS, 10000000000LL);
    int max = __atomic_load_n(&s.max_inside, __ATOMIC_RELAXED);
    go_chan_close(s.release);
    go_wg_wait(&s.wg);
    go_rwmutex_runlock(&s.rw);
    ck_assert_msg(all,
                  "only %d of %d readers got the read lock while "
                  "others held it",
                  s.arrived, SHARED_READERS);
    ck_assert_int_eq(max, SHARED_READERS);
    ck_assert_int_eq(s.rw.reader_count, 0);
    /* Free again: a writer gets in at once. */
    go_rwmutex_lock(&s.rw);
    go_rwmutex_unlock(&s.rw);
    go_chan_free(s.release);
}
END_TEST

/* ---- a writer excludes everybody ----------------------------------------- */

#define EXCL_WRITERS 4
#define EXCL_READERS 4
#define EXCL_WRITES 20000
#define EXCL_READS 50000

struct excl {
    go_rwmutex rw;
    long a, b;          /* plain; a writer keeps a == b */
    long writes;        /* plain, writers only */
    int readers_inside; /* atomic */
    int writers_inside; /* atomic */
    int max_readers;    /* atomic */
    int violations;     /* atomic */
    go_wg wg;
};

static void violation(struct excl *e)
{
    __atomic_add_fetch(&e->violations, 1, __ATOMIC_RELAXED);
}

static void excl_writer(void *p)
{
    struct excl *e = p;
    for (int i = 0; i < EXCL_WRITES; i++) {
        go_rwmutex_lock(&e->rw);
        if (__atomic_add_fetch(&e->writers_inside, 1, __ATOMIC_RELAXED) != 1)
            violation(e);
        if (__atomic_load_n(&e->readers_inside, __ATOMIC_RELAXED) != 0)
            violation(e);
        e->a++;
        if (i % 64 == 0)
            go_yield(); /* hold it across a scheduling point now and then */
        e->b++;
        e->writes++;
        __atomic_sub_fetch(&e->writers_inside, 1, __ATOMIC_RELAXED);
        go_rwmutex_unlock(&e->rw);
    }
    go_wg_done(&e->wg);
}

static void excl_reader(void *p)
{
    struct excl *e = p;
    for (int i = 0; i < EXCL_READS; i++) {
        go_rwmutex_rlock(&e->rw);
        int n = __atomic_add_fetch(&e->readers_inside, 1, __ATOMIC_RELAXED);
        update_max(&e->max_readers, n);
        if (__atomic_load_n(&e->writers_inside, __ATOMIC_RELAXED) != 0)
            violation(e);
        long a = e->a;
        if (i % 64 == 0)
            go_yield();
        if (e->b != a)
            violation(e);
        __atomic_sub_fetch(&e->readers_inside, 1, __ATOMIC_RELAXED);
        go_rwmutex_runlock(&e->rw);
    }
    go_wg_done(&e->wg);
}

/* _i == 0: the default GOMAXPROCS; _i == 1: one P. */
START_TEST(test_rwmutex_writer_excludes_readers_and_writers)
{
    int prev = _i == 1 ? go_maxprocs(1) : 0;
    struct excl *e = calloc(1, sizeof *e);
    go_wg_add(&e->wg, EXCL_WRITERS + EXCL_READERS);
    for (int i = 0; i < EXCL_WRITERS + EXCL_READERS; i++)
        go(i % 2 ? excl_writer : excl_reader, e);
    go_wg_wait(&e->wg);
    if (prev > 0)
        go_maxprocs(prev);
    ck_assert_int_eq(e->violations, 0);
    ck_assert_int_eq(e->writes, (long)EXCL_WRITERS * EXCL_WRITES);
    ck_assert_int_eq(e->a, e->b);
    ck_assert_int_eq(e->a, (long)EXCL_WRITERS * EXCL_WRITES);
    /* Everything released. */
    ck_assert_int_eq(e->rw.reader_count, 0);
    ck_assert_int_eq(e->rw.reader_wait, 0);
    ck_assert_int_eq(e->rw.w.state, 0);
    free(e);
}
END_TEST

/* ---- writer preference --------------------------------------------------- */

struct pref {
    go_rwmutex rw;
    int order;      /* atomic: next position */
    int writer_pos; /* position at which the writer got in */
    int reader_pos; /* position at which the late reader got in */
    int writer_in;  /* atomic */
    int reader_in;  /* atomic */
    go_wg wg;
};

static void pref_writer(void *p)
{
    struct pref *a = p;
    go_rwmutex_lock(&a->rw);
    a->writer_pos = __atomic_fetch_add(&a->order, 1, __ATOMIC_RELAXED);
    __atomic_store_n(&a->writer_in, 1, __ATOMIC_RELEASE);
    go_sleep(2000000);
    go_rwmutex_unlock(&a->rw);
    go_wg_done(&a->wg);
}

static void pref_late_reader(void *p)
{
    struct pref *a = p;
    go_rwmutex_rlock(&a->rw);
    a->reader_pos = __atomic_fetch_add(&a->order, 1, __ATOMIC_RELAXED);
    __atomic_store_n(&a->reader_in, 1, __ATOMIC_RELEASE);
    go_rwmutex_runlock(&a->rw);
    go_wg_done(&a->wg);
}

START_TEST(test_rwmutex_waiting_writer_blocks_new_readers)
{
    struct pref a;
    memset(&a, 0, sizeof a);
    go_rwmutex_rlock(&a.rw);
    go_wg_add(&a.wg, 2);
    go(pref_writer, &a);
    /* White-box: the writer announced itself (reader_count went
     * negative) and waits for us. */
    int64_t deadline = go_now() + 10000000000LL;
    while (__atomic_load_n(&a.rw.reader_count, __ATOMIC_ACQUIRE) >= 0 &&
           go_now() < deadline)
        go_sleep(100000);
    int32_t rc = __atomic_load_n(&a.rw.reader_count, __ATOMIC_ACQUIRE);
    go(pref_late_reader, &a);
    /* Give the late reader ample time to (wrongly) get in. */
    go_sleep(20000000);
    int reader_early = __atomic_load_n(&a.reader_in, __ATOMIC_ACQUIRE);
    int writer_early = __atomic_load_n(&a.writer_in, __ATOMIC_ACQUIRE);
    go_rwmutex_runlock(&a.rw);
    go_wg_wait(&a.wg);
    ck_assert_msg(rc < 0, "the writer never announced itself");
    ck_assert_msg(!writer_early, "the writer got in while a reader held "
                                 "the lock");
    ck_assert_msg(!reader_early, "a new reader got in while a writer was "
                                 "waiting");
    /* The writer first, then the reader that came after it. */
    ck_assert_int_eq(a.writer_pos, 0);
    ck_assert_int_eq(a.reader_pos, 1);
    ck_assert_int_eq(a.rw.reader_count, 0);
}
END_TEST

#define STREAM_READERS 4

struct stream {
    go_rwmutex rw;
    int stop;       /* atomic */
    long reads;     /* atomic */
    int readers_in; /* atomic */
    int overlap;    /* atomic: reads that overlapped another reader */
    go_wg wg;
};

static void spin_ns(int64_t ns)
{
    int64_t end = go_now() + ns;
    while (go_now() < end)
        ;
}

/* stream_reader keeps the read lock held most of the time, overlapping the
 * other readers: without writer preference a writer would never find the
 * reader count at zero. */
static void stream_reader(void *p)
{
    struct stream *s = p;
    while (!__atomic_load_n(&s->stop, __ATOMIC_RELAXED)) {
        go_rwmutex_rlock(&s->rw);
        if (__atomic_add_fetch(&s->readers_in, 1, __ATOMIC_RELAXED) > 1)
            __atomic_add_fetch(&s->overlap, 1, __ATOMIC_RELAXED);
        spin_ns(20000);
        go_yield();
        __atomic_sub_fetch(&s->readers_in, 1, __ATOMIC_RELAXED);
        go_rwmutex_runlock(&s->rw);
        __atomic_add_fetch(&s->reads, 1, __ATOMIC_RELAXED);
    }
    go_wg_done(&s->wg);
}

START_TEST(test_rwmutex_writer_not_starved_by_readers)
{
    struct stream *s = calloc(1, sizeof *s);
    go_wg_add(&s->wg, STREAM_READERS);
    for (int i = 0; i < STREAM_READERS; i++)
        go(stream_reader, s);
    while (__atomic_load_n(&s->reads, __ATOMIC_RELAXED) < 100)
        go_sleep(100000);
    int64_t worst = 0;
    for (int i = 0; i < 20; i++) {
        int64_t t0 = go_now();
        go_rwmutex_lock(&s->rw);
        int64_t lat = go_now() - t0;
        int readers_in = __atomic_load_n(&s->readers_in, __ATOMIC_RELAXED);
        go_rwmutex_unlock(&s->rw);
        ck_assert_int_eq(readers_in, 0);
        if (lat > worst)
            worst = lat;
        go_sleep(500000);
    }
    __atomic_store_n(&s->stop, 1, __ATOMIC_RELAXED);
    go_wg_wait(&s->wg);
    int overlap = s->overlap;
    long reads = s->reads;
    free(s);
    ck_assert_msg(overlap > 0, "the readers never overlapped (%ld reads)",
                  reads);
    /* A writer waits for the readers inside (each ~20 us) and nothing
     * else: 200 ms is the tolerance for a loaded machine. */
    ck_assert_msg(worst < 200000000,
                  "a writer waited %lld ns behind a "
                  "stream of readers",
                  (long long)worst);
}
END_TEST

/* ---- deadlock ------------------------------------------------------------ */

SCENARIO(rwmutex_deadlock_rlock)
{
    static go_rwmutex rw;
    go_rwmutex_lock(&rw);
    go_rwmutex_rlock(&rw);
    printf("unreachable\n");
}

SCENARIO(rwmutex_deadlock_lock)
{
    static go_rwmutex rw;
    go_rwmutex_rlock(&rw);
    go_rwmutex_lock(&rw);
    printf("unreachable\n");
}

START_TEST(test_rwmutex_deadlock_all_asleep)
{
    struct child c;
    run_scenario("rwmutex_deadlock_rlock", NULL, 30, &c);
    ck_assert_exited(&c, 2);
    ck_assert_output_has(&c, "fatal error: all goroutines are asleep - "
                             "deadlock!");
    ck_assert_output_has(&c, "goroutine 1 [sync.RWMutex.RLock]:");
    child_free(&c);
    run_scenario("rwmutex_deadlock_lock", NULL, 30, &c);
    ck_assert_exited(&c, 2);
    ck_assert_output_has(&c, "fatal error: all goroutines are asleep - "
                             "deadlock!");
    ck_assert_output_has(&c, "goroutine 1 [sync.RWMutex.Lock]:");
    child_free(&c);
}
END_TEST

/* ---- misuse -------------------------------------------------------------- */

SCENARIO(rwmutex_runlock_of_unlocked)
{
    static go_rwmutex rw;
    go_rwmutex_runlock(&rw);
    printf("unreachable\n");
}

SCENARIO(rwmutex_runlock_of_write_locked)
{
    static go_rwmutex rw;
    go_rwmutex_lock(&rw);
    go_rwmutex_runlock(&rw);
    printf("unreachable\n");
}

SCENARIO(rwmutex_unlock_of_unlocked)
{
    static go_rwmutex rw;
    go_rwmutex_unlock(&rw);
    printf("unreachable\n");
}

SCENARIO(rwmutex_unlock_of_read_locked)
{
    static go_rwmutex rw;
    go_rwmutex_rlock(&rw);
    go_rwmutex_unlock(&rw);
    printf("unreachable\n");
}

SCENARIO(rwmutex_misuse_continue)
{
    static go_rwmutex rw;
    go_rwmutex_runlock(&rw);
    go_rwmutex_unlock(&rw);
    printf("still running: reader_count %d reader_wait %d w.state %d\n",
           (int)rw.reader_count, (int)rw.reader_wait, (int)rw.w.state);
    go_rwmutex_rlock(&rw);
    go_rwmutex_rlock(&rw);
    go_rwmutex_runlock(&rw);
    go_rwmutex_runlock(&rw);
    go_rwmutex_lock(&rw);
    go_rwmutex_unlock(&rw);
    printf("works: reader_count %d reader_wait %d w.state %d\n",
           (int)rw.reader_count, (int)rw.reader_wait, (int)rw.w.state);
}

START_TEST(test_rwmutex_runlock_of_unlocked_fatal)
{
    static const char *const names[] = {"rwmutex_runlock_of_unlocked",
                                        "rwmutex_runlock_of_write_locked"};
    for (int i = 0; i < 2; i++) {
        struct child c;
        run_scenario(names[i], NULL, 30, &c);
        ck_assert_killed(&c, SIGABRT);
        ck_assert_output_has(&c,
                             "fatal error: sync: RUnlock of unlocked RWMutex");
        ck_assert_output_has(&c, "goroutine 1 [running]:");
        ck_assert_output_lacks(&c, "unreachable");
        child_free(&c);
    }
}
END_TEST

START_TEST(test_rwmutex_unlock_of_unlocked_fatal)
{
    static const char *const names[] = {"rwmutex_unlock_of_unlocked",
                                        "rwmutex_unlock_of_read_locked"};
    for (int i = 0; i < 2; i++) {
        struct child c;
        run_scenario(names[i], NULL, 30, &c);
        ck_assert_killed(&c, SIGABRT);
        ck_assert_output_has(&c,
                             "fatal error: sync: Unlock of unlocked RWMutex");
        ck_assert_output_has(&c, "goroutine 1 [running]:");
        ck_assert_output_lacks(&c, "unreachable");
        child_free(&c);
    }
}
END_TEST

START_TEST(test_rwmutex_misuse_continues_without_halt)
{
    struct child c;
    const char *env[] = {"GOSAN_OPTIONS=halt_on_error=0", NULL};
    run_scenario("rwmutex_misuse_continue", env, 30, &c);
    /* It goes on, and exits with gosan's exitcode since it reported. */
    ck_assert_exited(&c, 66);
    ck_assert_output_has(&c, "fatal error: sync: RUnlock of unlocked RWMutex");
    ck_assert_output_has(&c, "fatal error: sync: Unlock of unlocked RWMutex");
    ck_assert_output_has(&c, "still running: reader_count 0 reader_wait 0 "
                             "w.state 0");
    ck_assert_output_has(&c, "works: reader_count 0 reader_wait 0 w.state 0");
    child_free(&c);
}
END_TEST

TCase *tcase_runtime_rwmutex(void)
{
    TCase *tc = tcase_create("rwmutex");
    tcase_add_checked_fixture(tc, rt_test_setup, rt_test_verify);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_rwmutex_readers_share_the_lock);
    tcase_add_loop_test(tc, test_rwmutex_writer_excludes_readers_and_writers, 0,
                        2);
    tcase_add_test(tc, test_rwmutex_waiting_writer_blocks_new_readers);
    tcase_add_test(tc, test_rwmutex_writer_not_starved_by_readers);
    tcase_add_test(tc, test_rwmutex_deadlock_all_asleep);
    tcase_add_test(tc, test_rwmutex_runlock_of_unlocked_fatal);
    tcase_add_test(tc, test_rwmutex_unlock_of_unlocked_fatal);
    tcase_add_test(tc, test_rwmutex_misuse_continues_without_halt);
    return tc;
}
