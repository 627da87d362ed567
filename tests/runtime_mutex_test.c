/* SPDX-License-Identifier: MIT */
/*
 * go_mutex (sync.Mutex): the zero value, mutual exclusion under stress
 * (also with one P), TryLock, starvation mode under a greedy locker,
 * waiters that park instead of burning their P, and the misuse Go dies on
 * (unlock of an unlocked mutex), with and without halt_on_error.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gosan.h>

#include "harness.h"

/* White-box: the state bits of runtime/mutex.c (Go's). */
#define MUTEX_LOCKED 1
#define MUTEX_STARVING 4

static int32_t state_of(go_mutex *m)
{
    return __atomic_load_n(&m->state, __ATOMIC_RELAXED);
}

/* ---- the zero value ------------------------------------------------------ */

static go_mutex global_mutex; /* zero-initialised static */

START_TEST(test_mutex_zero_value_ready)
{
    go_mutex m = GO_MUTEX_INIT;
    go_mutex_lock(&m);
    ck_assert_int_eq(state_of(&m), MUTEX_LOCKED);
    go_mutex_unlock(&m);
    ck_assert_int_eq(state_of(&m), 0);

    go_mutex_lock(&global_mutex);
    go_mutex_unlock(&global_mutex);

    go_mutex *h = calloc(1, sizeof *h);
    ck_assert(go_mutex_trylock(h));
    go_mutex_unlock(h);
    ck_assert_int_eq(state_of(h), 0);
    free(h);
}
END_TEST

/* ---- mutual exclusion ---------------------------------------------------- */

#define EXCL_GOROUTINES 8
#define EXCL_ITERS 1000000

struct excl {
    go_mutex m;
    long counter;   /* plain: only the mutex protects it */
    int inside;     /* plain too: > 1 would be a violation */
    int violations; /* atomic */
    go_wg wg;
};

static void excl_worker(void *p)
{
    struct excl *e = p;
    for (int i = 0; i < EXCL_ITERS; i++) {
        go_mutex_lock(&e->m);
        if (++e->inside != 1)
            __atomic_add_fetch(&e->violations, 1, __ATOMIC_RELAXED);
        e->counter++;
        /* Now and then hold it across a scheduling point, so that with one
         * P too the others queue up behind it and get woken. */
        if (i % 4096 == 0)
            go_yield();
        e->inside--;
        go_mutex_unlock(&e->m);
    }
    go_wg_done(&e->wg);
}

/* _i == 0: the default GOMAXPROCS; _i == 1: one P. */
START_TEST(test_mutex_mutual_exclusion_stress)
{
    int prev = _i == 1 ? go_maxprocs(1) : 0;
    struct excl *e = calloc(1, sizeof *e);
    go_wg_add(&e->wg, EXCL_GOROUTINES);
    for (int i = 0; i < EXCL_GOROUTINES; i++)
        go(excl_worker, e);
    go_wg_wait(&e->wg);
    if (prev > 0)
        go_maxprocs(prev);
    ck_assert_int_eq(e->violations, 0);
    ck_assert_int_eq(e->counter, (long)EXCL_GOROUTINES * EXCL_ITERS);
    /* Unlocked, no waiters, not starving, nobody woken. */
    ck_assert_int_eq(state_of(&e->m), 0);
    free(e);
}
END_TEST

/* GOMAXPROCS changes while goroutines contend (and wait) on the mutex. */
START_TEST(test_mutex_exclusion_while_gomaxprocs_changes)
{
    int prev = go_maxprocs(0);
    struct excl *e = calloc(1, sizeof *e);
    go_wg_add(&e->wg, EXCL_GOROUTINES);
    for (int i = 0; i < EXCL_GOROUTINES; i++)
        go(excl_worker, e);
    /* Workers done = the counter complete; poll it under the lock. */
    for (int k = 0;; k++) {
        go_mutex_lock(&e->m);
        long n = e->counter;
        go_mutex_unlock(&e->m);
        if (n == (long)EXCL_GOROUTINES * EXCL_ITERS)
            break;
        go_maxprocs(1 + k % 4);
        go_sleep(2000000);
    }
    go_wg_wait(&e->wg);
    go_maxprocs(prev);
    ck_assert_int_eq(e->violations, 0);
    ck_assert_int_eq(e->counter, (long)EXCL_GOROUTINES * EXCL_ITERS);
    ck_assert_int_eq(state_of(&e->m), 0);
    free(e);
}
END_TEST

/* ---- TryLock ------------------------------------------------------------- */

struct try_arg {
    go_mutex *m;
    go_chan *step; /* main -> goroutine */
    go_chan *res;  /* goroutine -> main: results of trylock */
};

static void try_worker(void *p)
{
    struct try_arg *a = p;
    for (int round = 0; round < 2; round++) {
        go_chan_recv(a->step, NULL);
        int ok = go_mutex_trylock(a->m);
        if (ok)
            go_mutex_unlock(a->m);
        go_chan_send(a->res, &ok);
    }
}

START_TEST(test_mutex_trylock)
{
    go_mutex m = GO_MUTEX_INIT;
    ck_assert(go_mutex_trylock(&m));
    /* Held (by us): fails, and does not change the state. */
    ck_assert(!go_mutex_trylock(&m));
    ck_assert_int_eq(state_of(&m), MUTEX_LOCKED);
    go_mutex_unlock(&m);
    ck_assert(go_mutex_trylock(&m));
    go_mutex_unlock(&m);

    /* From another goroutine: fails while main holds it, then succeeds. */
    struct try_arg a = {&m, go_chan_make(0, 0), go_chan_make(sizeof(int), 0)};
    go(try_worker, &a);
    int ok;
    go_mutex_lock(&m);
    go_chan_send(a.step, NULL);
    go_chan_recv(a.res, &ok);
    ck_assert_int_eq(ok, 0);
    go_mutex_unlock(&m);
    go_chan_send(a.step, NULL);
    go_chan_recv(a.res, &ok);
    ck_assert_int_eq(ok, 1);
    ck_assert_int_eq(state_of(&m), 0);
    go_chan_free(a.step);
    go_chan_free(a.res);
}
END_TEST

/* ---- starvation mode ----------------------------------------------------- */

struct greedy {
    go_mutex m;
    bool yield_inside; /* one P: yield while holding the lock */
    int stop;          /* atomic */
    int saw_starving;  /* atomic: state & 4 seen by the greedy locker */
    long rounds;       /* atomic */
    go_wg wg;
};

static void spin_ns(int64_t ns)
{
    int64_t end = go_now() + ns;
    while (go_now() < end)
        ;
}

/* greedy_locker relocks as soon as it unlocked, holding the lock a little
 * each time: without starvation mode a woken waiter (which must first be
 * scheduled) nearly always loses the race to it. With one P it yields
 * while holding the lock, so that the waiter runs, finds it locked and
 * queues again, until it starves. */
static void greedy_locker(void *p)
{
    struct greedy *g = p;
    while (!__atomic_load_n(&g->stop, __ATOMIC_RELAXED)) {
        go_mutex_lock(&g->m);
        if (g->yield_inside)
            go_yield();
        else
            spin_ns(20000);
        if (state_of(&g->m) & MUTEX_STARVING)
            __atomic_store_n(&g->saw_starving, 1, __ATOMIC_RELAXED);
        go_mutex_unlock(&g->m);
        __atomic_add_fetch(&g->rounds, 1, __ATOMIC_RELAXED);
    }
    go_wg_done(&g->wg);
}

/* _i == 0: the default GOMAXPROCS, the greedy locker holds the lock
 * 20 us at a time; _i == 1: one P, it yields while holding it (then the
 * waiter deterministically starves). */
START_TEST(test_mutex_starvation_mode_bounds_wait)
{
    int prev = _i == 1 ? go_maxprocs(1) : 0;
    struct greedy *g = calloc(1, sizeof *g);
    /* Without asynchronous preemption a spinning holder would never let
     * the waiter run on a single P (GOMAXPROCS=1 in the environment). */
    g->yield_inside = _i == 1 || go_maxprocs(0) < 2;
    go_wg_add(&g->wg, 1);
    go(greedy_locker, g);
    while (__atomic_load_n(&g->rounds, __ATOMIC_RELAXED) < 10)
        go_sleep(100000);
    int64_t worst = 0;
    int over_1ms = 0;
    for (int i = 0; i < 30; i++) {
        go_sleep(200000);
        int64_t t0 = go_now();
        go_mutex_lock(&g->m);
        int64_t lat = go_now() - t0;
        go_mutex_unlock(&g->m);
        if (lat > worst)
            worst = lat;
        if (lat > 1000000)
            over_1ms++;
    }
    __atomic_store_n(&g->stop, 1, __ATOMIC_RELAXED);
    go_wg_wait(&g->wg);
    if (prev > 0)
        go_maxprocs(prev);
    int saw = __atomic_load_n(&g->saw_starving, __ATOMIC_RELAXED);
    bool yield_inside = g->yield_inside;
    long rounds = g->rounds;
    int32_t st = state_of(&g->m);
    free(g);
    /* Go hands the lock over about 1 ms after a waiter starves; 100 ms is
     * the tolerance for a loaded 2-core machine. */
    ck_assert_msg(worst < 100000000,
                  "a waiter waited %lld ns behind a greedy locker "
                  "(%ld greedy rounds)",
                  (long long)worst, rounds);
    /* With one P the waiter always loses to the greedy locker until it
     * starves: the mutex must have gone into starvation mode. (With more
     * Ps the waiter may win before it starves: nothing to assert.) */
    if (_i == 1 || yield_inside)
        ck_assert_msg(saw,
                      "the starving bit was never observed (worst wait "
                      "%lld ns, %d waits over 1 ms, %ld greedy rounds)",
                      (long long)worst, over_1ms, rounds);
    /* Back to normal and free once everybody left. */
    ck_assert_int_eq(st, 0);
}
END_TEST

/* ---- waiters park -------------------------------------------------------- */

struct park_arg {
    go_mutex m;
    int got_lock; /* atomic */
    go_chan *ran; /* the other goroutine ran */
    go_wg wg;
};

static void park_blocked(void *p)
{
    struct park_arg *a = p;
    go_mutex_lock(&a->m);
    __atomic_store_n(&a->got_lock, 1, __ATOMIC_RELEASE);
    go_mutex_unlock(&a->m);
    go_wg_done(&a->wg);
}

static void park_other(void *p)
{
    struct park_arg *a = p;
    long sum = 0;
    for (int i = 0; i < 100; i++) {
        sum += i;
        go_yield();
    }
    go_chan_send(a->ran, &sum);
    go_wg_done(&a->wg);
}

START_TEST(test_mutex_waiter_parks_with_one_p)
{
    int prev = go_maxprocs(1);
    struct park_arg a = {.ran = go_chan_make(sizeof(long), 1)};
    go_mutex_lock(&a.m);
    go_wg_add(&a.wg, 2);
    go(park_blocked, &a);
    /* Let it block on the mutex (it runs on our only P). */
    go_sleep(5000000);
    go(park_other, &a);
    /* If the blocked goroutine burned the P, park_other would never run:
     * wait for it with a timeout instead of hanging. */
    go_chan *timeout = go_after(5000000000LL);
    long sum = -1;
    go_select_case cases[2] = {
        GO_RECV_CASE(a.ran, &sum),
        GO_RECV_CASE(timeout, NULL),
    };
    int chosen = go_select(cases, 2, false);
    go_chan_free(timeout);
    int blocked_got = __atomic_load_n(&a.got_lock, __ATOMIC_ACQUIRE);
    int32_t st = state_of(&a.m);
    go_mutex_unlock(&a.m);
    go_wg_wait(&a.wg);
    go_maxprocs(prev);
    ck_assert_msg(chosen == 0, "another goroutine could not run while one "
                               "was blocked on a mutex with GOMAXPROCS=1");
    ck_assert_int_eq(sum, 4950);
    ck_assert_int_eq(blocked_got, 0);
    /* One waiter counted, locked. */
    ck_assert_int_eq(st >> 3, 1);
    ck_assert_int_eq(st & MUTEX_LOCKED, 1);
    ck_assert_int_eq(__atomic_load_n(&a.got_lock, __ATOMIC_ACQUIRE), 1);
    go_chan_free(a.ran);
}
END_TEST

/* ---- semaphores that share a bucket -------------------------------------- */

/* White-box: runtime/sema.c hashes a semaphore's address into one of 251
 * buckets ((addr >> 3) % 251); mutexes 251 * 8 bytes apart share one, so
 * their waiters live in the same lists. */
#define COLL_MUTEXES 8
#define COLL_STRIDE (251 * 8)
#define COLL_PER_MUTEX 4
#define COLL_ITERS 20000

struct coll {
    char *arena;
    long counts[COLL_MUTEXES];
    int violations; /* atomic */
    int inside[COLL_MUTEXES];
    go_wg wg;
};

static go_mutex *coll_mutex(struct coll *c, int i)
{
    return (go_mutex *)(c->arena + (size_t)i * COLL_STRIDE);
}

struct coll_arg {
    struct coll *c;
    int i;
};

static void coll_worker(void *p)
{
    struct coll_arg *a = p;
    int i = a->i % COLL_MUTEXES;
    go_mutex *m = coll_mutex(a->c, i);
    for (int k = 0; k < COLL_ITERS; k++) {
        go_mutex_lock(m);
        if (++a->c->inside[i] != 1)
            __atomic_add_fetch(&a->c->violations, 1, __ATOMIC_RELAXED);
        a->c->counts[i]++;
        if (k % 16 == 0)
            go_yield(); /* others queue behind us */
        a->c->inside[i]--;
        go_mutex_unlock(m);
    }
    go_wg_done(&a->c->wg);
}

START_TEST(test_mutex_semaphores_sharing_a_bucket)
{
    struct coll *c = calloc(1, sizeof *c);
    c->arena = calloc(COLL_MUTEXES, COLL_STRIDE);
    struct coll_arg args[COLL_MUTEXES * COLL_PER_MUTEX];
    go_wg_add(&c->wg, COLL_MUTEXES * COLL_PER_MUTEX);
    for (int i = 0; i < COLL_MUTEXES * COLL_PER_MUTEX; i++) {
        args[i] = (struct coll_arg){c, i};
        go(coll_worker, &args[i]);
    }
    go_wg_wait(&c->wg);
    ck_assert_int_eq(c->violations, 0);
    for (int i = 0; i < COLL_MUTEXES; i++) {
        ck_assert_int_eq(c->counts[i], (long)COLL_PER_MUTEX * COLL_ITERS);
        ck_assert_int_eq(state_of(coll_mutex(c, i)), 0);
    }
    free(c->arena);
    free(c);
}
END_TEST

/* ---- deadlock ------------------------------------------------------------ */

static void lock_forever(void *p)
{
    go_mutex_lock(p);
}

SCENARIO(mutex_deadlock)
{
    static go_mutex m;
    go_mutex_lock(&m);
    go(lock_forever, &m);
    go_mutex_lock(&m);
    printf("unreachable\n"); /* and no tail call: keep this frame */
}

START_TEST(test_mutex_deadlock_all_asleep)
{
    struct child c;
    run_scenario("mutex_deadlock", NULL, 30, &c);
    ck_assert_exited(&c, 2);
    ck_assert_output_has(&c, "fatal error: all goroutines are asleep - "
                             "deadlock!");
    ck_assert_output_has(&c, "goroutine 1 [sync.Mutex.Lock]:");
    ck_assert_output_has(&c, "goroutine 2 [sync.Mutex.Lock]:");
    ck_assert_output_has(&c, "scenario_mutex_deadlock");
    child_free(&c);
}
END_TEST

/* ---- misuse -------------------------------------------------------------- */

SCENARIO(mutex_unlock_of_unlocked)
{
    static go_mutex m;
    go_mutex_unlock(&m);
    printf("unreachable\n");
}

struct cont_arg {
    go_mutex *m;
    long *counter;
    go_wg *wg;
};

static void cont_worker(void *p)
{
    struct cont_arg *a = p;
    for (int i = 0; i < 100000; i++) {
        go_mutex_lock(a->m);
        (*a->counter)++;
        go_mutex_unlock(a->m);
    }
    go_wg_done(a->wg);
}

SCENARIO(mutex_unlock_of_unlocked_continue)
{
    static go_mutex m;
    go_mutex_unlock(&m);
    printf("still running, state %d\n", (int)state_of(&m));
    /* Unlocked, no bits left behind: it still works. */
    if (!go_mutex_trylock(&m)) {
        printf("trylock failed after the misuse\n");
        return;
    }
    go_mutex_unlock(&m);
    /* Unlock of a mutex that was locked and unlocked already. */
    go_mutex_lock(&m);
    go_mutex_unlock(&m);
    go_mutex_unlock(&m);
    long counter = 0;
    go_wg wg = GO_WG_INIT;
    struct cont_arg a = {&m, &counter, &wg};
    go_wg_add(&wg, 4);
    for (int i = 0; i < 4; i++)
        go(cont_worker, &a);
    go_wg_wait(&wg);
    printf("counter %ld state %d\n", counter, (int)state_of(&m));
}

START_TEST(test_mutex_unlock_of_unlocked_fatal)
{
    struct child c;
    run_scenario("mutex_unlock_of_unlocked", NULL, 30, &c);
    ck_assert_killed(&c, SIGABRT);
    ck_assert_output_has(&c, "fatal error: sync: unlock of unlocked mutex");
    ck_assert_output_has(&c, "goroutine 1 [running]:");
    ck_assert_output_has(&c, "scenario_mutex_unlock_of_unlocked");
    ck_assert_output_lacks(&c, "unreachable");
    child_free(&c);
}
END_TEST

START_TEST(test_mutex_unlock_of_unlocked_continues_without_halt)
{
    struct child c;
    const char *env[] = {"GOSAN_OPTIONS=halt_on_error=0", NULL};
    run_scenario("mutex_unlock_of_unlocked_continue", env, 30, &c);
    /* It goes on, and exits with gosan's exitcode since it reported. */
    ck_assert_exited(&c, 66);
    ck_assert_output_has(&c, "fatal error: sync: unlock of unlocked mutex");
    ck_assert_int_eq(child_count(&c, "sync: unlock of unlocked mutex"), 2);
    ck_assert_output_has(&c, "still running, state 0");
    ck_assert_output_lacks(&c, "trylock failed");
    ck_assert_output_has(&c, "counter 400000 state 0");
    child_free(&c);
}
END_TEST

TCase *tcase_runtime_mutex(void)
{
    TCase *tc = tcase_create("mutex");
    tcase_add_checked_fixture(tc, rt_test_setup, rt_test_verify);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_mutex_zero_value_ready);
    tcase_add_loop_test(tc, test_mutex_mutual_exclusion_stress, 0, 2);
    tcase_add_test(tc, test_mutex_exclusion_while_gomaxprocs_changes);
    tcase_add_test(tc, test_mutex_trylock);
    tcase_add_loop_test(tc, test_mutex_starvation_mode_bounds_wait, 0, 2);
    tcase_add_test(tc, test_mutex_waiter_parks_with_one_p);
    tcase_add_test(tc, test_mutex_semaphores_sharing_a_bucket);
    tcase_add_test(tc, test_mutex_deadlock_all_asleep);
    tcase_add_test(tc, test_mutex_unlock_of_unlocked_fatal);
    tcase_add_test(tc, test_mutex_unlock_of_unlocked_continues_without_halt);
    return tc;
}
