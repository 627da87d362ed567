/* SPDX-License-Identifier: MIT */
/*
 * Contexts (package context): Background, WithCancel, cancellation of a
 * subtree (and of nothing else), values looked up towards the root,
 * deadlines and timeouts (a child never outlives its parent's deadline),
 * the done channel in a select, children of canceled parents, and the
 * memory rules: release children then parents (thousands of times, RSS
 * checked), or parents first.
 */
#define _GNU_SOURCE
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gosan.h>

#include "harness.h"

/* is_done: the done channel is closed (a receive would not block). */
static bool is_done(go_ctx *c)
{
    go_chan *d = go_ctx_done(c);
    return d != NULL && go_chan_try_recv(d, NULL) == -1;
}

/* ---- Background ---------------------------------------------------------- */

START_TEST(test_context_background_never_done)
{
    go_ctx *bg = go_ctx_background();
    ck_assert_ptr_nonnull(bg);
    ck_assert_ptr_eq(go_ctx_background(), bg);
    ck_assert_ptr_null(go_ctx_done(bg));
    ck_assert_int_eq(go_ctx_err(bg), GO_CTX_OK);
    ck_assert_ptr_null(go_ctx_value(bg, &bg));
    /* Neither cancel nor release do anything to it. */
    go_ctx_cancel(bg);
    go_ctx_release(bg);
    ck_assert_int_eq(go_ctx_err(bg), GO_CTX_OK);
    ck_assert_ptr_null(go_ctx_done(bg));
    /* A value node over Background is never done either. */
    static int key;
    go_ctx *v = go_ctx_with_value(bg, &key, &key);
    ck_assert_ptr_null(go_ctx_done(v));
    ck_assert_int_eq(go_ctx_err(v), GO_CTX_OK);
    go_ctx_release(v);
}
END_TEST

/* ---- WithCancel ---------------------------------------------------------- */

struct done_waiter {
    go_ctx *ctx;
    int woke; /* atomic */
    go_wg wg;
};

static void done_waiter(void *p)
{
    struct done_waiter *w = p;
    bool ok = go_chan_recv(go_ctx_done(w->ctx), NULL);
    if (!ok && go_ctx_err(w->ctx) == GO_CANCELED)
        __atomic_add_fetch(&w->woke, 1, __ATOMIC_RELAXED);
    go_wg_done(&w->wg);
}

START_TEST(test_context_with_cancel)
{
    go_ctx *c = go_ctx_with_cancel(go_ctx_background());
    go_chan *d = go_ctx_done(c);
    ck_assert_ptr_nonnull(d);
    ck_assert_ptr_eq(go_ctx_done(c), d);
    ck_assert_uint_eq(go_chan_cap(d), 0);
    ck_assert_int_eq(go_chan_try_recv(d, NULL), 0);
    ck_assert_int_eq(go_ctx_err(c), GO_CTX_OK);
    /* Goroutines blocked on the done channel all wake up. */
    struct done_waiter w = {.ctx = c};
    go_wg_add(&w.wg, 10);
    for (int i = 0; i < 10; i++)
        go(done_waiter, &w);
    go_sleep(2000000);
    go_ctx_cancel(c);
    go_wg_wait(&w.wg);
    ck_assert_int_eq(w.woke, 10);
    ck_assert_int_eq(go_chan_try_recv(d, NULL), -1);
    ck_assert_int_eq(go_ctx_err(c), GO_CANCELED);
    /* Idempotent: the same error, the same (closed) channel, no panic
     * (close of closed). */
    go_ctx_cancel(c);
    go_ctx_cancel(c);
    ck_assert_int_eq(go_ctx_err(c), GO_CANCELED);
    ck_assert_ptr_eq(go_ctx_done(c), d);
    go_ctx_release(c);

    /* Done asked for only after the cancel: closed as well. */
    go_ctx *c2 = go_ctx_with_cancel(go_ctx_background());
    go_ctx_cancel(c2);
    ck_assert(is_done(c2));
    ck_assert_int_eq(go_ctx_err(c2), GO_CANCELED);
    go_ctx_release(c2);
}
END_TEST

/* ---- a tree -------------------------------------------------------------- */

#define DEPTH 10

START_TEST(test_context_cancel_subtree_only)
{
    static int key;
    /* chain[0] <- chain[1] <- ... <- chain[9], every other link through a
     * value node; sib[i] is a sibling of chain[i] (same parent). */
    go_ctx *chain[DEPTH], *sib[DEPTH], *val[DEPTH];
    go_ctx *parent = go_ctx_background();
    for (int i = 0; i < DEPTH; i++) {
        val[i] = NULL;
        if (i % 2 == 1) {
            val[i] = go_ctx_with_value(parent, &key, (void *)(intptr_t)i);
            parent = val[i];
        }
        chain[i] = go_ctx_with_cancel(parent);
        sib[i] = i % 3 == 0 ? go_ctx_with_timeout(parent, 3600000000000LL)
                            : go_ctx_with_cancel(parent);
        parent = chain[i];
    }
    /* Some of them have their done channel already, some do not. */
    for (int i = 0; i < DEPTH; i += 2) {
        ck_assert_ptr_nonnull(go_ctx_done(chain[i]));
        ck_assert_ptr_nonnull(go_ctx_done(sib[i + 1]));
    }
    const int mid = 5;
    go_ctx_cancel(chain[mid]);
    for (int i = 0; i < DEPTH; i++) {
        bool canceled = i >= mid;
        ck_assert_msg(is_done(chain[i]) == canceled,
                      "chain[%d] done=%d, expected %d", i, is_done(chain[i]),
                      canceled);
        ck_assert_int_eq(go_ctx_err(chain[i]),
                         canceled ? GO_CANCELED : GO_CTX_OK);
        /* sib[i] hangs off chain[i - 1]: canceled iff i - 1 >= mid. */
        bool sib_canceled = i - 1 >= mid;
        ck_assert_msg(is_done(sib[i]) == sib_canceled,
                      "sib[%d] done=%d, expected %d", i, is_done(sib[i]),
                      sib_canceled);
        ck_assert_int_eq(go_ctx_err(sib[i]),
                         sib_canceled ? GO_CANCELED : GO_CTX_OK);
    }
    /* Canceling the root now cancels the rest, with its own error only
     * where nothing was canceled before. */
    go_ctx_cancel(chain[0]);
    for (int i = 0; i < DEPTH; i++) {
        ck_assert(is_done(chain[i]));
        ck_assert(is_done(sib[i]) == (i >= 1));
        ck_assert_int_eq(go_ctx_err(chain[i]), GO_CANCELED);
    }
    ck_assert_int_eq(go_ctx_err(sib[0]), GO_CTX_OK);
    /* Release children before parents. */
    for (int i = DEPTH - 1; i >= 0; i--) {
        go_ctx_release(chain[i]);
        go_ctx_release(sib[i]);
        if (val[i])
            go_ctx_release(val[i]);
    }
}
END_TEST

/* ---- values -------------------------------------------------------------- */

START_TEST(test_context_values_walk_up)
{
    static int k1, k2, k3;
    char a[] = "a", b[] = "b", shadow[] = "shadow";
    go_ctx *v1 = go_ctx_with_value(go_ctx_background(), &k1, a);
    go_ctx *v2 = go_ctx_with_value(v1, &k2, b);
    go_ctx *c = go_ctx_with_cancel(v2);
    go_ctx *t = go_ctx_with_timeout(c, 3600000000000LL);
    go_ctx *v3 = go_ctx_with_value(t, &k1, shadow);
    go_ctx *leaf = go_ctx_with_cancel(v3);
    ck_assert_ptr_eq(go_ctx_value(leaf, &k1), shadow);
    ck_assert_ptr_eq(go_ctx_value(v3, &k1), shadow);
    ck_assert_ptr_eq(go_ctx_value(leaf, &k2), b);
    ck_assert_ptr_eq(go_ctx_value(t, &k1), a);
    ck_assert_ptr_eq(go_ctx_value(c, &k1), a);
    ck_assert_ptr_eq(go_ctx_value(v1, &k2), NULL);
    ck_assert_ptr_null(go_ctx_value(leaf, &k3));
    /* Keys compare by identity, not by what they point to. */
    static int k1_twin;
    ck_assert_ptr_null(go_ctx_value(leaf, &k1_twin));
    /* A NULL value is a value. */
    go_ctx *vn = go_ctx_with_value(leaf, &k2, NULL);
    ck_assert_ptr_null(go_ctx_value(vn, &k2));
    ck_assert_ptr_eq(go_ctx_value(vn, &k1), shadow);
    /* Canceling does not touch values. */
    go_ctx_cancel(c);
    ck_assert_ptr_eq(go_ctx_value(leaf, &k2), b);
    ck_assert_int_eq(go_ctx_err(vn), GO_CANCELED);
    go_ctx_release(vn);
    go_ctx_release(leaf);
    go_ctx_release(v3);
    go_ctx_release(t);
    go_ctx_release(c);
    go_ctx_release(v2);
    go_ctx_release(v1);
}
END_TEST

/* ---- deadlines ----------------------------------------------------------- */

#define MS 1000000LL

START_TEST(test_context_with_timeout_fires)
{
    int64_t t0 = go_now();
    go_ctx *c = go_ctx_with_timeout(go_ctx_background(), 50 * MS);
    go_chan *d = go_ctx_done(c);
    ck_assert_int_eq(go_ctx_err(c), GO_CTX_OK);
    ck_assert(!go_chan_recv(d, NULL));
    int64_t elapsed = go_now() - t0;
    ck_assert_int_eq(go_ctx_err(c), GO_DEADLINE_EXCEEDED);
    ck_assert(is_done(c));
    /* Never early; late by at most 500 ms on a loaded machine. */
    ck_assert_int_ge(elapsed, 50 * MS);
    ck_assert_int_lt(elapsed, 550 * MS);
    /* Cancel after the deadline keeps the deadline's error. */
    go_ctx_cancel(c);
    ck_assert_int_eq(go_ctx_err(c), GO_DEADLINE_EXCEEDED);
    go_ctx_release(c);

    /* Nobody asked for the done channel before it fired. */
    go_ctx *c2 = go_ctx_with_timeout(go_ctx_background(), 10 * MS);
    go_sleep(30 * MS);
    ck_assert_int_eq(go_ctx_err(c2), GO_DEADLINE_EXCEEDED);
    ck_assert(is_done(c2));
    go_ctx_release(c2);

    /* Canceled before its deadline: GO_CANCELED, and the timer does not
     * change that later. */
    go_ctx *c3 = go_ctx_with_timeout(go_ctx_background(), 10 * MS);
    go_ctx_cancel(c3);
    ck_assert_int_eq(go_ctx_err(c3), GO_CANCELED);
    go_sleep(30 * MS);
    ck_assert_int_eq(go_ctx_err(c3), GO_CANCELED);
    go_ctx_release(c3);
}
END_TEST

START_TEST(test_context_child_never_outlives_parent_deadline)
{
    int64_t t0 = go_now();
    go_ctx *parent = go_ctx_with_timeout(go_ctx_background(), 50 * MS);
    go_ctx *child = go_ctx_with_timeout(parent, 10000 * MS);
    go_ctx *grandchild = go_ctx_with_deadline(child, t0 + 20000 * MS);
    ck_assert(!go_chan_recv(go_ctx_done(grandchild), NULL));
    int64_t elapsed = go_now() - t0;
    ck_assert_int_ge(elapsed, 50 * MS);
    ck_assert_int_lt(elapsed, 550 * MS);
    ck_assert_int_eq(go_ctx_err(grandchild), GO_DEADLINE_EXCEEDED);
    ck_assert_int_eq(go_ctx_err(child), GO_DEADLINE_EXCEEDED);
    ck_assert_int_eq(go_ctx_err(parent), GO_DEADLINE_EXCEEDED);
    go_ctx_release(grandchild);
    go_ctx_release(child);
    go_ctx_release(parent);

    /* An earlier child deadline fires first and leaves the parent alone. */
    t0 = go_now();
    parent = go_ctx_with_timeout(go_ctx_background(), 200 * MS);
    child = go_ctx_with_timeout(parent, 20 * MS);
    ck_assert(!go_chan_recv(go_ctx_done(child), NULL));
    elapsed = go_now() - t0;
    ck_assert_int_ge(elapsed, 20 * MS);
    ck_assert_int_eq(go_ctx_err(child), GO_DEADLINE_EXCEEDED);
    ck_assert_int_eq(go_ctx_err(parent), GO_CTX_OK);
    ck_assert(!is_done(parent));
    go_ctx_release(child);
    go_ctx_release(parent);
}
END_TEST

START_TEST(test_context_deadline_in_the_past_is_done)
{
    go_ctx *c = go_ctx_with_deadline(go_ctx_background(), go_now() - 1);
    ck_assert_int_eq(go_ctx_err(c), GO_DEADLINE_EXCEEDED);
    ck_assert(is_done(c));
    go_ctx *c2 = go_ctx_with_timeout(go_ctx_background(), 0);
    ck_assert_int_eq(go_ctx_err(c2), GO_DEADLINE_EXCEEDED);
    ck_assert(is_done(c2));
    go_ctx *c3 = go_ctx_with_timeout(go_ctx_background(), -5 * MS);
    ck_assert_int_eq(go_ctx_err(c3), GO_DEADLINE_EXCEEDED);
    /* Its children start done. */
    go_ctx *child = go_ctx_with_cancel(c3);
    ck_assert_int_eq(go_ctx_err(child), GO_DEADLINE_EXCEEDED);
    ck_assert(is_done(child));
    go_ctx_release(child);
    go_ctx_release(c3);
    go_ctx_release(c2);
    go_ctx_release(c);
}
END_TEST

/* ---- select -------------------------------------------------------------- */

struct canceler {
    go_ctx *ctx;
    int64_t after;
    go_wg wg;
};

static void cancel_later(void *p)
{
    struct canceler *c = p;
    go_sleep(c->after);
    go_ctx_cancel(c->ctx);
    go_wg_done(&c->wg);
}

START_TEST(test_context_done_in_select)
{
    go_chan *data = go_chan_make(sizeof(int), 0);
    go_ctx *c = go_ctx_with_cancel(go_ctx_background());
    int v = 0;

    /* Not done: default. */
    go_select_case cases[2] = {
        GO_RECV_CASE(data, &v),
        GO_RECV_CASE(go_ctx_done(c), NULL),
    };
    ck_assert_int_eq(go_select(cases, 2, true), -1);

    /* Data ready, context not done: the data case. */
    go_chan *buf = go_chan_make(sizeof(int), 1);
    int x = 7;
    go_chan_send(buf, &x);
    cases[0] = GO_RECV_CASE(buf, &v);
    ck_assert_int_eq(go_select(cases, 2, false), 0);
    ck_assert_int_eq(v, 7);

    /* Canceled while blocked in the select. */
    struct canceler k = {c, 10 * MS};
    go_wg_add(&k.wg, 1);
    go(cancel_later, &k);
    cases[0] = GO_RECV_CASE(data, &v);
    cases[1].ok = true;
    ck_assert_int_eq(go_select(cases, 2, false), 1);
    ck_assert(!cases[1].ok);
    ck_assert_int_eq(go_ctx_err(c), GO_CANCELED);
    go_wg_wait(&k.wg); /* out of go_ctx_cancel before c is released */

    /* A timeout in a select, next to a channel that never delivers. */
    go_ctx *t = go_ctx_with_timeout(go_ctx_background(), 10 * MS);
    go_select_case tc[2] = {
        GO_RECV_CASE(data, &v),
        GO_RECV_CASE(go_ctx_done(t), NULL),
    };
    ck_assert_int_eq(go_select(tc, 2, false), 1);
    ck_assert_int_eq(go_ctx_err(t), GO_DEADLINE_EXCEEDED);

    /* Background's done is NULL: a case that never fires. */
    go_select_case bc[2] = {
        GO_RECV_CASE(go_ctx_done(go_ctx_background()), NULL),
        GO_RECV_CASE(buf, &v),
    };
    ck_assert_int_eq(go_select(bc, 2, true), -1);
    go_chan_send(buf, &x);
    ck_assert_int_eq(go_select(bc, 2, false), 1);

    go_ctx_release(t);
    go_ctx_release(c);
    go_chan_free(buf);
    go_chan_free(data);
}
END_TEST

/* ---- Err and Done agree -------------------------------------------------- */

/* Go's contract (context.Context): "If Done is not yet closed, Err returns
 * nil", so an error from go_ctx_err means the done channel is closed: a
 * goroutine that saw the error must never find the channel still open. A
 * poller races go_ctx_cancel on another P for up to 3 s. */
struct err_done {
    go_ctx *cur;     /* published with round */
    int round;       /* atomic: the round the poller may start */
    int acked;       /* atomic: the round the poller finished */
    int stop;        /* atomic */
    long violations; /* written by the poller, read after the join */
    long checked;
    go_wg wg;
};

static void err_done_poller(void *p)
{
    struct err_done *e = p;
    for (int r = 0;; r++) {
        for (int spins = 0; __atomic_load_n(&e->round, __ATOMIC_ACQUIRE) < r;
             spins++) {
            if (__atomic_load_n(&e->stop, __ATOMIC_ACQUIRE))
                goto out;
            if (spins % 4096 == 4095)
                go_yield(); /* progress with one P */
        }
        go_ctx *c = e->cur;
        go_chan *d = go_ctx_done(c);
        for (;;) {
            int err = go_ctx_err(c);
            int closed = go_chan_try_recv(d, NULL) == -1;
            if (err != GO_CTX_OK && !closed) {
                e->violations++;
                break;
            }
            if (closed)
                break;
        }
        e->checked++;
        __atomic_store_n(&e->acked, r, __ATOMIC_RELEASE);
    }
out:
    go_wg_done(&e->wg);
}

START_TEST(test_context_err_implies_done_closed)
{
    struct err_done *e = calloc(1, sizeof *e);
    e->round = -1;
    e->acked = -1;
    go_wg_add(&e->wg, 1);
    go(err_done_poller, e);
    int64_t deadline = go_now() + 3000 * MS;
    int r;
    for (r = 0; go_now() < deadline; r++) {
        go_ctx *c = go_ctx_with_cancel(go_ctx_background());
        go_ctx_done(c);
        e->cur = c;
        __atomic_store_n(&e->round, r, __ATOMIC_RELEASE);
        for (volatile int i = 0; i < r % 200; i++) {
        }
        go_ctx_cancel(c);
        for (int spins = 0; __atomic_load_n(&e->acked, __ATOMIC_ACQUIRE) < r;
             spins++)
            if (spins % 4096 == 4095)
                go_yield();
        go_ctx_release(c);
        if (__atomic_load_n(&e->violations, __ATOMIC_RELAXED) > 0)
            break;
    }
    __atomic_store_n(&e->stop, 1, __ATOMIC_RELEASE);
    go_wg_wait(&e->wg);
    long violations = e->violations, checked = e->checked;
    free(e);
    ck_assert_msg(violations == 0,
                  "go_ctx_err returned an error while the "
                  "done channel was still open (%ld times in %ld rounds)",
                  violations, checked);
}
END_TEST

/* ---- children of canceled parents ---------------------------------------- */

START_TEST(test_context_child_of_canceled_parent_starts_canceled)
{
    static int key;
    go_ctx *p = go_ctx_with_cancel(go_ctx_background());
    go_ctx_cancel(p);
    go_ctx *c = go_ctx_with_cancel(p);
    ck_assert_int_eq(go_ctx_err(c), GO_CANCELED);
    ck_assert(is_done(c));
    /* With a deadline: the parent's error, not "deadline exceeded". */
    go_ctx *t = go_ctx_with_timeout(p, 3600000000000LL);
    ck_assert_int_eq(go_ctx_err(t), GO_CANCELED);
    ck_assert(is_done(t));
    /* Through a value node. */
    go_ctx *v = go_ctx_with_value(p, &key, NULL);
    ck_assert_int_eq(go_ctx_err(v), GO_CANCELED);
    ck_assert(is_done(v));
    go_ctx *vc = go_ctx_with_cancel(v);
    ck_assert_int_eq(go_ctx_err(vc), GO_CANCELED);
    ck_assert(is_done(vc));
    go_ctx_release(vc);
    go_ctx_release(v);
    go_ctx_release(t);
    go_ctx_release(c);
    go_ctx_release(p);
}
END_TEST

/* Children created concurrently with the parent's cancel all end up
 * canceled: none slips through between the check and the link. */
struct spawner {
    go_ctx *parent;
    go_ctx *kids[64];
    go_chan *start;
    go_wg wg;
};

static void spawn_children(void *p)
{
    struct spawner *s = p;
    go_chan_recv(s->start, NULL);
    for (int i = 0; i < 64; i++)
        s->kids[i] = i % 4 == 3
                         ? go_ctx_with_timeout(s->parent, 3600000000000LL)
                         : go_ctx_with_cancel(s->parent);
    go_wg_done(&s->wg);
}

START_TEST(test_context_cancel_races_child_creation)
{
    for (int round = 0; round < 300; round++) {
        struct spawner s[2];
        go_ctx *p = go_ctx_with_cancel(go_ctx_background());
        go_chan *start = go_chan_make(0, 0);
        for (int i = 0; i < 2; i++) {
            memset(&s[i], 0, sizeof s[i]);
            s[i].parent = p;
            s[i].start = start;
            go_wg_add(&s[i].wg, 1);
            go(spawn_children, &s[i]);
        }
        go_chan_close(start);
        if (round % 2)
            go_yield();
        go_ctx_cancel(p);
        for (int i = 0; i < 2; i++) {
            go_wg_wait(&s[i].wg);
            for (int k = 0; k < 64; k++) {
                ck_assert_int_eq(go_ctx_err(s[i].kids[k]), GO_CANCELED);
                ck_assert(is_done(s[i].kids[k]));
                go_ctx_release(s[i].kids[k]);
            }
        }
        go_ctx_release(p);
        go_chan_free(start);
    }
}
END_TEST

/* ---- memory -------------------------------------------------------------- */

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

static void create_release_round(int i)
{
    static int key;
    go_ctx *p = go_ctx_with_cancel(go_ctx_background());
    go_ctx *v = go_ctx_with_value(p, &key, &key);
    go_ctx *t = go_ctx_with_timeout(v, 3600000000000LL);
    go_ctx *c = go_ctx_with_cancel(t);
    go_ctx *d = go_ctx_with_deadline(c, go_now() - 1); /* done at once */
    if (i % 2) {
        go_ctx_done(c);
        go_ctx_done(t);
    }
    if (i % 3 == 0)
        go_ctx_cancel(t);
    go_ctx_release(d);
    go_ctx_release(c);
    go_ctx_release(t);
    go_ctx_release(v);
    go_ctx_release(p);
}

START_TEST(test_context_create_release_many)
{
    /* Freed memory is scribbled on: a use after free shows. */
    mallopt(M_PERTURB, 0xa5);
    for (int i = 0; i < 5000; i++)
        create_release_round(i);
    long before = rss_kb();
    for (int i = 0; i < 50000; i++)
        create_release_round(i);
    long after = rss_kb();
    if (TEST_UNDER_ASAN)
        return;
    /* 50000 rounds of five nodes, two timers and two channels: a leak of
     * even one node per round would be several MB. */
    ck_assert_msg(after - before < 4096,
                  "RSS grew by %ld kB over 50000 "
                  "create/release rounds",
                  after - before);
}
END_TEST

START_TEST(test_context_release_parent_first)
{
    static int key;
    mallopt(M_PERTURB, 0xa5);
    char val[] = "v";
    for (int i = 0; i < 2000; i++) {
        go_ctx *p = go_ctx_with_value(go_ctx_background(), &key, val);
        go_ctx *c1 = go_ctx_with_cancel(p);
        go_ctx *c2 = go_ctx_with_timeout(c1, 3600000000000LL);
        go_ctx *v = go_ctx_with_value(c2, &p, NULL);
        go_ctx *c3 = go_ctx_with_cancel(v);
        if (i % 2)
            go_ctx_done(c3);
        /* Parents first: they are canceled, but stay usable until the
         * last child is released. */
        go_ctx_release(p);
        go_ctx_release(c1);
        ck_assert_int_eq(go_ctx_err(c2), GO_CANCELED);
        ck_assert_int_eq(go_ctx_err(c3), GO_CANCELED);
        ck_assert(is_done(c3));
        ck_assert_ptr_eq(go_ctx_value(c3, &key), val);
        go_ctx_release(c2);
        go_ctx_release(v);
        ck_assert_ptr_eq(go_ctx_value(c3, &key), val);
        ck_assert_int_eq(go_ctx_err(c3), GO_CANCELED);
        go_ctx_release(c3);
    }
}
END_TEST

/* Deadlines that fire while the program releases the context. */
START_TEST(test_context_release_races_deadline)
{
    mallopt(M_PERTURB, 0xa5);
    for (int i = 0; i < 3000; i++) {
        go_ctx *p = go_ctx_with_timeout(go_ctx_background(), (i % 50) * 1000);
        go_ctx *c = go_ctx_with_timeout(p, (i % 7) * 1000);
        if (i % 2)
            go_ctx_done(c);
        if (i % 5 == 0)
            go_yield();
        go_ctx_release(c);
        go_ctx_release(p);
    }
}
END_TEST

/* ---- misuse ------------------------------------------------------------- */

SCENARIO(context_nil_parent)
{
    go_ctx_with_cancel(NULL);
    printf("unreachable\n");
}

SCENARIO(context_nil_key)
{
    go_ctx_with_value(go_ctx_background(), NULL, NULL);
    printf("unreachable\n");
}

START_TEST(test_context_nil_parent_and_key_panic)
{
    struct child c;
    run_scenario("context_nil_parent", NULL, 30, &c);
    ck_assert_exited(&c, 2);
    ck_assert_output_has(&c, "panic: cannot create context from nil parent");
    ck_assert_output_lacks(&c, "unreachable");
    child_free(&c);
    run_scenario("context_nil_key", NULL, 30, &c);
    ck_assert_exited(&c, 2);
    ck_assert_output_has(&c, "panic: nil key");
    ck_assert_output_lacks(&c, "unreachable");
    child_free(&c);
}
END_TEST

TCase *tcase_runtime_context(void)
{
    TCase *tc = tcase_create("context");
    tcase_add_checked_fixture(tc, rt_test_setup, rt_test_verify);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_context_background_never_done);
    tcase_add_test(tc, test_context_with_cancel);
    tcase_add_test(tc, test_context_cancel_subtree_only);
    tcase_add_test(tc, test_context_values_walk_up);
    tcase_add_test(tc, test_context_with_timeout_fires);
    tcase_add_test(tc, test_context_child_never_outlives_parent_deadline);
    tcase_add_test(tc, test_context_deadline_in_the_past_is_done);
    tcase_add_test(tc, test_context_done_in_select);
    tcase_add_test(tc, test_context_err_implies_done_closed);
    tcase_add_test(tc, test_context_child_of_canceled_parent_starts_canceled);
    tcase_add_test(tc, test_context_cancel_races_child_creation);
    tcase_add_test(tc, test_context_create_release_many);
    tcase_add_test(tc, test_context_release_parent_first);
    tcase_add_test(tc, test_context_release_races_deadline);
    tcase_add_test(tc, test_context_nil_parent_and_key_panic);
    return tc;
}
