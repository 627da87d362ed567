/* SPDX-License-Identifier: MIT */
/*
 * This file implements select (Go's runtime/select.go).
 *
 * The cases' channels are locked in address order, deduplicated, so that
 * two selects over the same channels cannot deadlock; they are polled in a
 * random permutation, so that among ready cases each is chosen with equal
 * probability. Three passes:
 *   pass 1: look for a case that can proceed now, in poll order;
 *   pass 2: (nothing ready, blocking) enqueue a waiter on every channel,
 *           in lock order, and park; the channels are unlocked by the
 *           park_fn, only once this goroutine is off its stack;
 *   pass 3: woken by the winner's partner (g->param names the waiter that
 *           fired); relock, dequeue the losing waiters, unlock.
 * A partner completing one of our waiters first wins g->select_done by
 * CAS (rt__waitq_dequeue); waiters of the other cases are then skipped by
 * anybody who finds them before pass 3 removes them.
 *
 * Waiter records live on this goroutine's stack. The park_fn reads them
 * after the switch while unlocking; that is safe because a woken select
 * first relocks every channel, so it cannot leave this frame before the
 * park_fn released the last lock (after which nothing reads them).
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include <gosan/select.h>

#include "runtime_impl.h"

/* Cases handled with arrays on the stack; larger selects use the heap. */
#define SELECT_STACK_CASES 8
#define SELECT_MAX_CASES 65536

struct select_state {
    go_select_case *cases;
    uint32_t *pollorder;  /* indices of non-nil cases, shuffled */
    uint32_t *lockorder;  /* the same indices sorted by channel address */
    uint32_t n;           /* non-nil cases */
    uint32_t ncases;      /* all cases */
};

static void sort_lockorder(struct select_state *s)
{
    /* Insertion sort: selects are small, and this is stable and simple. */
    for (uint32_t i = 1; i < s->n; i++) {
        uint32_t v = s->lockorder[i];
        uintptr_t key = (uintptr_t)s->cases[v].chan;
        uint32_t j = i;
        while (j > 0 &&
               (uintptr_t)s->cases[s->lockorder[j - 1]].chan > key) {
            s->lockorder[j] = s->lockorder[j - 1];
            j--;
        }
        s->lockorder[j] = v;
    }
}

static void sellock(struct select_state *s)
{
    go_chan *last = NULL;
    for (uint32_t i = 0; i < s->n; i++) {
        go_chan *c = s->cases[s->lockorder[i]].chan;
        if (c != last)
            rt__lock(&c->lock);
        last = c;
    }
}

static void selunlock(struct select_state *s)
{
    for (uint32_t i = s->n; i-- > 0;) {
        go_chan *c = s->cases[s->lockorder[i]].chan;
        if (i > 0 && c == s->cases[s->lockorder[i - 1]].chan)
            continue; /* unlock each channel once, at its first entry */
        rt__unlock(&c->lock);
    }
}

/* selparkcommit is the select's park_fn: unlock every channel, walking
 * g->waiting (lock order), never touching a waiter after the unlock of
 * its channel could let the goroutine resume. */
static bool selparkcommit(struct rt_g *g, void *arg)
{
    (void)arg;
    go_chan *last = NULL;
    for (struct rt_waiter *w = g->waiting; w; w = w->wait_link) {
        if (w->c != last && last)
            rt__unlock(&last->lock);
        last = w->c;
    }
    if (last)
        rt__unlock(&last->lock);
    return true;
}

/* pass1 looks for a case that can proceed. On success it completes it,
 * unlocks everything and returns the case index; otherwise -1 with the
 * channels still locked. */
static int pass1(struct select_state *s, struct rt_g *g, uintptr_t pc)
{
    for (uint32_t k = 0; k < s->n; k++) {
        uint32_t i = s->pollorder[k];
        go_select_case *cs = &s->cases[i];
        go_chan *c = cs->chan;
        struct rt_waiter *w;
        if (cs->dir == GO_RECV) {
            if ((w = rt__waitq_dequeue(&c->sendq))) {
                struct rt_g *partner = rt__chan_recv_direct(c, w, cs->elem, g);
                selunlock(s);
                rt__ready(partner, true);
                cs->ok = true;
                return (int)i;
            }
            if (atomic_load_explicit(&c->qcount, memory_order_relaxed) > 0) {
                rt__chan_buf_take(c, cs->elem, g);
                selunlock(s);
                cs->ok = true;
                return (int)i;
            }
            if (atomic_load_explicit(&c->closed, memory_order_relaxed)) {
                selunlock(s);
                RT_HOOK(chan_recv_closed, g, c);
                if (cs->elem && c->elemsize)
                    memset(cs->elem, 0, c->elemsize);
                cs->ok = false;
                return (int)i;
            }
        } else {
            if (atomic_load_explicit(&c->closed, memory_order_relaxed)) {
                selunlock(s);
                rt__misuse(g, RT_MISUSE_SEND_ON_CLOSED, c, pc);
                return (int)i;
            }
            if ((w = rt__waitq_dequeue(&c->recvq))) {
                struct rt_g *partner = rt__chan_send_direct(c, w, cs->elem, g);
                selunlock(s);
                rt__ready(partner, true);
                return (int)i;
            }
            if (atomic_load_explicit(&c->qcount, memory_order_relaxed) <
                c->dataqsiz) {
                rt__chan_buf_put(c, cs->elem, g);
                selunlock(s);
                return (int)i;
            }
        }
    }
    return -1;
}

/* block_and_wait is passes 2 and 3: enqueue, park, and sort out who won. */
static int block_and_wait(struct select_state *s, struct rt_waiter *waiters,
                          struct rt_g *g, uintptr_t pc)
{
    /* Pass 2: a waiter on every channel, linked in lock order. */
    struct rt_waiter **link = &g->waiting;
    atomic_store(&g->select_done, 0);
    g->param = NULL;
    for (uint32_t k = 0; k < s->n; k++) {
        uint32_t i = s->lockorder[k];
        go_select_case *cs = &s->cases[i];
        struct rt_waiter *w = &waiters[k];
        memset(w, 0, sizeof *w);
        w->g = g;
        w->c = cs->chan;
        w->elem = cs->elem;
        w->is_select = true;
        w->case_index = i;
        *link = w;
        link = &w->wait_link;
        rt__waitq_enqueue(cs->dir == GO_RECV ? &cs->chan->recvq
                                             : &cs->chan->sendq, w);
    }
    *link = NULL;
    g->select_cases = s->cases;
    g->select_ncases = s->ncases;
    rt__park(selparkcommit, NULL, RT_WAIT_SELECT, s->cases);

    /* Pass 3: dequeue the losers. */
    sellock(s);
    struct rt_waiter *won = g->param;
    g->param = NULL;
    g->select_cases = NULL;
    atomic_store(&g->select_done, 0);
    for (uint32_t k = 0; k < s->n; k++) {
        struct rt_waiter *w = &waiters[k];
        if (w == won)
            continue;
        go_select_case *cs = &s->cases[w->case_index];
        rt__waitq_remove(cs->dir == GO_RECV ? &w->c->recvq : &w->c->sendq, w);
    }
    g->waiting = NULL;
    if (!won)
        RT_THROW("select: woken without a winning case");
    go_select_case *cs = &s->cases[won->case_index];
    selunlock(s);
    if (cs->dir == GO_SEND) {
        if (!won->success)
            rt__misuse(g, RT_MISUSE_SEND_ON_CLOSED, won->c, pc);
    } else {
        cs->ok = won->success;
    }
    return (int)won->case_index;
}

static int do_select(go_select_case *cases, size_t ncases, bool block,
                     uintptr_t pc, uint32_t *pollorder, uint32_t *lockorder,
                     struct rt_waiter *waiters)
{
    struct rt_g *g = rt__getg_fast();
    struct select_state s = { .cases = cases, .pollorder = pollorder,
                              .lockorder = lockorder, .n = 0,
                              .ncases = (uint32_t)ncases };
    /* Random poll order over the non-nil cases (Fisher-Yates, inside
     * out), and the lock order by address. */
    for (uint32_t i = 0; i < (uint32_t)ncases; i++) {
        if (cases[i].dir != GO_SEND && cases[i].dir != GO_RECV)
            rt__throw_user("panic: go_select: case %u has direction %d "
                           "(want GO_SEND or GO_RECV)", i, cases[i].dir);
        if (!cases[i].chan)
            continue;
        uint32_t j = rt__fastrandn(s.n + 1);
        pollorder[s.n] = pollorder[j];
        pollorder[j] = i;
        lockorder[s.n] = i;
        s.n++;
    }
    if (s.n == 0) {
        if (!block)
            return -1;
        rt__park(NULL, NULL, RT_WAIT_SELECT_NO_CASES, NULL);
        RT_THROW("select with no cases was resumed");
    }
    sort_lockorder(&s);
    rt__preempt_check(g);

    sellock(&s);
    int chosen = pass1(&s, g, pc);
    if (chosen >= 0)
        return chosen;
    if (!block) {
        selunlock(&s);
        return -1;
    }
    return block_and_wait(&s, waiters, g, pc);
}

/* Race hooks, as in Go: a select evaluates every send operand on entry (a
 * read of each value to send, and of each channel sent on, which races
 * with a close), and the chosen receive case writes its element. */
static void entry_accesses(go_select_case *cases, size_t n, uintptr_t pc)
{
    struct rt_g *g = rt__getg_fast();
    for (size_t i = 0; i < n; i++) {
        go_chan *c = cases[i].chan;
        if (!c || cases[i].dir != GO_SEND)
            continue;
        RT_HOOK(access, g, c, 1, false, pc);
        if (cases[i].elem && c->elemsize)
            RT_HOOK(access, g, cases[i].elem, c->elemsize, false, pc);
    }
}

static void exit_accesses(go_select_case *cases, int chosen, uintptr_t pc)
{
    if (chosen < 0)
        return;
    go_select_case *cs = &cases[chosen];
    if (cs->dir == GO_RECV && cs->elem && cs->chan->elemsize)
        RT_HOOK(access, rt__getg_fast(), cs->elem, cs->chan->elemsize, true,
                pc);
}

static int select_cases(go_select_case *cases, size_t n, bool has_default,
                        uintptr_t pc);

int go_select(go_select_case *cases, size_t n, bool has_default)
{
    uintptr_t pc = (uintptr_t)__builtin_return_address(0);
    if (n > SELECT_MAX_CASES)
        rt__throw_user("panic: go_select: %zu cases (max %d)", n,
                       SELECT_MAX_CASES);
    if (n && !cases)
        rt__throw_user("panic: go_select: NULL cases with n = %zu", n);
    if (!RT_HOOKS_ON())
        return select_cases(cases, n, has_default, pc);
    entry_accesses(cases, n, pc);
    int r = select_cases(cases, n, has_default, pc);
    exit_accesses(cases, r, pc);
    return r;
}

static int select_cases(go_select_case *cases, size_t n, bool has_default,
                        uintptr_t pc)
{
    if (n <= SELECT_STACK_CASES) {
        /* Sized to n: a parked select should cost as little stack as
         * possible (a parked goroutine's memory is its stack). */
        size_t k = n ? n : 1;
        uint32_t pollorder[k], lockorder[k];
        struct rt_waiter waiters[k];
        return do_select(cases, n, !has_default, pc, pollorder, lockorder,
                         waiters);
    }
    uint32_t *orders = malloc(n * 2 * sizeof *orders);
    struct rt_waiter *waiters = malloc(n * sizeof *waiters);
    if (!orders || !waiters)
        rt__throw_user("panic: go_select: out of memory for %zu cases", n);
    int r = do_select(cases, n, !has_default, pc, orders, orders + n,
                      waiters);
    free(orders);
    free(waiters);
    return r;
}

int rt_select_chans(const struct rt_ginfo *info, go_chan **out, int max)
{
    if (info->wait_reason != RT_WAIT_SELECT || !info->wait_obj)
        return 0;
    const go_select_case *cases = info->wait_obj;
    int n = 0;
    for (uint32_t i = 0; i < info->g->select_ncases && n < max; i++)
        if (cases[i].chan)
            out[n++] = cases[i].chan;
    return n;
}
