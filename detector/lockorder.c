/* SPDX-License-Identifier: MIT */
/*
 * This file implements lock-order inversion detection (TSan's "potential
 * deadlock", go-deadlock's lock order check): a graph with an edge A -> B
 * whenever a goroutine or thread acquires lock B while holding lock A. A
 * new edge that closes a cycle means two code paths take the same locks
 * in opposite orders: run at the wrong moment they deadlock, even if this
 * run did not. Each cycle is reported once, with, for every edge, where B
 * was acquired while A was held and where A had been acquired.
 *
 * The graph lives under one spin lock; it is only touched when a lock is
 * taken while another is held, and edges are added once.
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include "detector_impl.h"

#define NODE_BUCKETS 4096
#define MAX_CYCLE 16
#define MAX_VISIT 10000

struct edge {
    struct node *to;
    uint32_t from_stack;   /* where the held lock had been acquired */
    uint32_t to_stack;     /* where the new lock was acquired */
    uint64_t goid;
    uint32_t thread_id;
    struct edge *next;     /* the from node's out list */
};

struct node {
    uintptr_t m;
    struct edge *out;
    struct node *next;     /* hash chain */
    uint32_t visit;        /* DFS mark (visit generation) */
    struct edge *via;      /* DFS: the edge that reached this node */
    struct node *via_from;
};

static struct {
    struct det_spin lock;
    struct node *buckets[NODE_BUCKETS];
    uint32_t visit;
    uint64_t reported[256]; /* cycles already reported (hashes) */
    uint32_t nreported;
} g;

static struct node *node_of(uintptr_t m, bool create)
{
    struct node **b = &g.buckets[(m >> 4) * 0x9e3779b97f4a7c15ull >> 52 &
                                 (NODE_BUCKETS - 1)];
    for (struct node *n = *b; n; n = n->next)
        if (n->m == m)
            return n;
    if (!create)
        return NULL;
    struct node *n = calloc(1, sizeof *n);
    if (!n)
        return NULL;
    n->m = m;
    n->next = *b;
    *b = n;
    return n;
}

static struct edge *find_edge(struct node *from, struct node *to)
{
    for (struct edge *e = from->out; e; e = e->next)
        if (e->to == to)
            return e;
    return NULL;
}

/* find_path does a DFS from `from` to `to`; on success the path can be
 * walked back from `to` through via_from / via. */
static bool find_path(struct node *from, struct node *to)
{
    /* Called with g.lock held: one stack for everybody, off the caller's
     * (goroutine stacks are small). */
    static struct node *stack[MAX_VISIT];
    uint32_t mark = ++g.visit;
    int sp = 0, visited = 0;
    from->visit = mark;
    from->via = NULL;
    stack[sp++] = from;
    while (sp > 0 && visited++ < MAX_VISIT) {
        struct node *n = stack[--sp];
        for (struct edge *e = n->out; e; e = e->next) {
            struct node *next = e->to;
            if (next->visit == mark)
                continue;
            next->visit = mark;
            next->via = e;
            next->via_from = n;
            if (next == to)
                return true;
            if (sp < MAX_VISIT)
                stack[sp++] = next;
        }
    }
    return false;
}

static bool first_report(uint64_t key)
{
    for (uint32_t i = 0; i < g.nreported && i < 256; i++)
        if (g.reported[i] == key)
            return false;
    g.reported[g.nreported++ % 256] = key;
    return true;
}

struct cycle {
    int n;
    uintptr_t m[MAX_CYCLE];          /* m[i] -> m[i+1 mod n] */
    struct edge e[MAX_CYCLE];        /* copies, safe after unlock */
};

static void add_edge_stacks(struct rep_report *r, const struct cycle *c,
                            int i)
{
    int j = (i + 1) % c->n;
    const struct edge *e = &c->e[i];
    char who[64];
    det_thread_name(who, sizeof who, e->goid, e->thread_id);
    const uintptr_t *pcs;
    int n = det_depot_get(e->to_stack, &pcs);
    struct rep_stack *s = rep_report_stack(
        r, pcs, n, "Mutex M%d acquired here while holding mutex M%d in %s:",
        j + 1, i + 1, who);
    if (s && !n)
        s->note = "[stack not known]";
    n = det_depot_get(e->from_stack, &pcs);
    s = rep_report_stack(r, pcs, n, "Mutex M%d previously acquired by the "
                         "same %s here:", i + 1,
                         e->goid ? "goroutine" : "thread");
    if (s && !n)
        s->note = "[stack not known]";
}

static void report_cycle(struct det_thread *t, const struct cycle *c)
{
    struct rep_report r;
    rep_report_init(&r, REP_LOCK_ORDER_INVERSION,
                    "WARNING: lock-order inversion (potential deadlock)");
    r.filter = &det_stack_filter;
    rep_report_message(&r, "Cycle in lock order graph: ");
    for (int i = 0; i < c->n; i++)
        rep_report_message(&r, "M%d (%p) => ", i + 1, (void *)c->m[i]);
    rep_report_message(&r, "M1\n");
    for (int i = 0; i < c->n; i++)
        add_edge_stacks(&r, c, i);
    uint64_t key = 0;
    for (int i = 0; i < c->n; i++)
        key ^= c->m[i] * 0x9e3779b97f4a7c15ull;
    r.dedupe_key = key ^ REP_LOCK_ORDER_INVERSION;
    det_enter(t);
    rep_emit(&r);
    rep_report_free(&r);
    det_leave(t);
}

/* add_edge records held -> m; returns the cycle it closes, if any. */
static bool add_edge(struct det_thread *t, const struct det_held *held,
                     uintptr_t m, uint32_t stack, struct cycle *c)
{
    det_spin_lock(&g.lock);
    struct node *from = node_of(held->m, true);
    struct node *to = node_of(m, true);
    if (!from || !to || find_edge(from, to)) {
        det_spin_unlock(&g.lock);
        return false;
    }
    struct edge *e = calloc(1, sizeof *e);
    if (!e) {
        det_spin_unlock(&g.lock);
        return false;
    }
    e->to = to;
    e->from_stack = held->stack;
    e->to_stack = stack;
    e->goid = t->goid;
    e->thread_id = t->thread_id;
    e->next = from->out;
    from->out = e;
    /* Does m already lead back to the held lock? */
    bool cycle = find_path(to, from);
    if (cycle) {
        /* Walk back from `from` to `to`, then close with the new edge. */
        struct node *path[MAX_CYCLE];
        struct edge *edges[MAX_CYCLE];
        int n = 0;
        for (struct node *x = from; x != to && n < MAX_CYCLE - 1;
             x = x->via_from) {
            path[n] = x->via_from;
            edges[n] = x->via;
            n++;
        }
        /* path[k] -> ... reversed: build the cycle from `to` forwards. */
        c->n = 0;
        for (int k = n - 1; k >= 0; k--) {
            c->m[c->n] = path[k]->m;
            c->e[c->n] = *edges[k];
            c->n++;
        }
        c->m[c->n] = from->m;
        c->e[c->n] = *e;
        c->n++;
        uint64_t key = 0;
        for (int i = 0; i < c->n; i++)
            key ^= c->m[i] * 0xc2b2ae3d27d4eb4full;
        cycle = first_report(key);
    }
    det_spin_unlock(&g.lock);
    return cycle;
}

/* det_held_prune drops the exclusive locks t no longer owns: Go lets
 * another goroutine unlock a mutex (a hand-over), and that unlock cannot
 * edit t's list, so t finds out here, before it adds an edge or is judged
 * for exiting with locks held. */
void det_held_prune(struct det_thread *t)
{
    uint32_t kept = 0;
    for (uint32_t i = 0; i < t->nheld; i++) {
        if (t->held[i].write) {
            struct det_sync *s = det_sync_get(t->held[i].m, 0, false);
            if (!s || atomic_load(&s->owner) != t)
                continue;
        }
        t->held[kept++] = t->held[i];
    }
    t->nheld = kept;
}

void det_lock_acquired(struct det_thread *t, uintptr_t m, bool write,
                       uint32_t stack)
{
    if (t->nheld)
        det_held_prune(t);
    for (uint32_t i = 0; i < t->nheld; i++) {
        if (t->held[i].m == m)
            continue; /* a recursive or read re-acquisition */
        struct cycle c;
        if (add_edge(t, &t->held[i], m, stack, &c))
            report_cycle(t, &c);
    }
    if (t->nheld < DET_MAX_HELD) {
        t->held[t->nheld].m = m;
        t->held[t->nheld].stack = stack;
        t->held[t->nheld].write = write;
        t->nheld++;
    }
}

void det_lock_released(struct det_thread *t, uintptr_t m)
{
    for (uint32_t i = t->nheld; i > 0; i--) {
        if (t->held[i - 1].m == m) {
            memmove(&t->held[i - 1], &t->held[i],
                    (t->nheld - i) * sizeof t->held[0]);
            t->nheld--;
            return;
        }
    }
}

void det_lock_forget(uintptr_t m)
{
    det_spin_lock(&g.lock);
    struct node *n = node_of(m, false);
    if (n) {
        /* Edges into n stay (rare, harmless); edges out of it go. */
        struct edge *e = n->out;
        n->out = NULL;
        while (e) {
            struct edge *next = e->next;
            free(e);
            e = next;
        }
    }
    det_spin_unlock(&g.lock);
}

void det_lockorder_lock(bool lock)
{
    if (lock)
        det_spin_lock(&g.lock);
    else
        det_spin_unlock(&g.lock);
}
