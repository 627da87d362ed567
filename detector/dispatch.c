/* SPDX-License-Identifier: MIT */
/*
 * This file implements the runtime's hook table (runtime/hooks.h) for the
 * detector: each event becomes happens-before edges for the race detector
 * (and, in blocking.c, state for the leak and deadlock detectors). The
 * mapping of the Go memory model:
 *
 *   go statement -> goroutine start     child's clock = parent's clock
 *   buffered send/recv of element k     release-store-acquire on slot k%cap
 *     (so the k-th receive happens before the (k+cap)-th send completes)
 *   unbuffered rendezvous               both ways, on the channel's sync clock
 *   close -> receive that sees it       release / acquire on the close clock
 *   Unlock -> later Lock                release-store / acquire
 *   RUnlock -> Lock                     release-merge into the read clock
 *   WaitGroup Done -> Wait returns,
 *   Once fn -> Do returns, Cond signal -> woken Wait, context cancel ->
 *   done observed, semaphore release -> acquire
 *                                       release / acquire on the object
 *
 * Every hook names its goroutine; a goroutine's detector state hangs off
 * its struct rt_g and is created on first use.
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include "detector_impl.h"

/* key2 values of a channel's sync objects: 1 + slot index for buffer
 * slots, these two for the rest. */
#define CHAN_CLOSE_KEY 0
#define CHAN_SYNC_KEY UINT64_MAX

extern const struct rep_stack_filter det_stack_filter;

/* gthread returns g's detector state, creating it for goroutines that
 * existed before the detector saw them (the main goroutine) and for the
 * runtime's scheduler contexts. */
static struct det_thread *gthread(struct rt_g *g)
{
    if (!g)
        return det_cur();
    void **slot = rt_g_detector(g);
    struct det_thread *t = *slot;
    if (det_likely(t != NULL))
        return t;
    bool system = rt_g_is_system(g);
    /* The main goroutine (or a foreign thread's) continues the flow of the
     * OS thread it runs on: it keeps what that thread did before it
     * entered the runtime, clock and history. */
    struct det_thread *cur = det_tls_cur;
    if (rt_g_is_thread_flow(g) && cur && !cur->is_goroutine && !cur->g &&
        rt_current_g() == g) {
        cur->g = g;
        cur->is_goroutine = true;
        cur->goid = rt_g_id(g);
        det_thread_renamed(cur);
        *slot = cur;
        return cur;
    }
    t = det_thread_new(!system);
    t->g = g;
    t->is_system = system;
    t->goid = system ? 0 : rt_g_id(g);
    if (t->goid != 1 && !system) {
        uintptr_t go_pc;
        t->parent_goid = rt_g_parent(g, &go_pc);
        t->creation_stack = det_depot_put(&go_pc, go_pc ? 1 : 0);
    }
    *slot = t;
    det_thread_start(t);
    return t;
}

/* ---- goroutines ------------------------------------------------------------- */

/* creation_stack unwinds the go statement's stack and keeps it from the
 * caller of go_spawn on (its return address is go_pc). */
static uint32_t creation_stack(uintptr_t go_pc)
{
    uintptr_t pcs[REP_MAX_FRAMES];
    int n = rep_backtrace(pcs, REP_MAX_FRAMES, 0);
    int start = 0;
    for (int i = 0; i < n; i++) {
        if (pcs[i] == go_pc) {
            start = i;
            break;
        }
    }
    return det_depot_put(pcs + start, n - start);
}

static void on_go_create(struct rt_g *parent, struct rt_g *child,
                         uintptr_t pc)
{
    struct det_thread *pt = gthread(parent);
    det_enter(pt);
    struct det_thread *ct = det_thread_new(true);
    ct->g = child;
    ct->goid = rt_g_id(child);
    ct->parent_goid = pt->goid;
    ct->parent_thread_id = pt->thread_id;
    ct->creation_stack = creation_stack(pc);
    /* go statement -> goroutine start: the child starts knowing all the
     * parent knows. */
    det_clock_copy(&ct->clock, &pt->clock);
    *rt_g_detector(child) = ct;
    det_leave(pt);
    det_release_epoch(pt);
}

static void on_go_start(struct rt_g *g)
{
    struct det_thread *t = gthread(g);
    det_tls_cur = t;
    if (t->slot == DET_NO_SLOT)
        det_thread_start(t);
}

static void on_go_end(struct rt_g *g)
{
    struct det_thread *t = gthread(g);
    det_thread_exiting(t);
    det_enter(t);
    /* The stack will carry another goroutine: forget what happened on it. */
    uintptr_t lo, hi;
    rt_g_stack(g, &lo, &hi);
    det_shadow_reset(lo, hi - lo);
    det_sync_free_range(lo, hi);
    det_leave(t);
    *rt_g_detector(g) = NULL;
    det_thread_finish(t);
    if (det_tls_cur == t)
        det_tls_cur = NULL;
}

static void on_switch_to(struct rt_g *g)
{
    struct det_thread *t = gthread(g);
    det_tls_cur = t;
    atomic_store_explicit(&t->blocked_reason, RT_WAIT_NONE,
                          memory_order_relaxed);
    det_thread_resume(t);
}

static void on_block(struct rt_g *g, enum rt_wait_reason reason,
                     const void *obj)
{
    struct det_thread *t = gthread(g);
    det_thread_park(t);
    det_blocked(t, reason, obj);
}

static bool on_misuse(struct rt_g *g, enum rt_misuse kind, const void *obj,
                      uintptr_t pc)
{
    return det_misuse(gthread(g), kind, obj, pc);
}

static int on_creation_stack(struct rt_g *g, uintptr_t *pcs, int max)
{
    struct det_thread *t = *rt_g_detector(g);
    if (!t)
        return 0;
    const uintptr_t *stored;
    int n = det_depot_get(t->creation_stack, &stored);
    if (n > max)
        n = max;
    memcpy(pcs, stored, (size_t)n * sizeof *pcs);
    return n;
}

static int on_chan_stack(go_chan *c, uintptr_t *pcs, int max)
{
    struct det_sync *s = det_sync_get((uintptr_t)c, CHAN_CLOSE_KEY, false);
    if (!s || !s->make_stack)
        return 0;
    const uintptr_t *stored;
    int n = det_depot_get(s->make_stack, &stored);
    if (n > max)
        n = max;
    memcpy(pcs, stored, (size_t)n * sizeof *pcs);
    return n;
}

/* ---- plain edges --------------------------------------------------------------- */

static void on_acquire(struct rt_g *g, const void *addr)
{
    det_acquire_addr(gthread(g), (uintptr_t)addr);
}

static void on_release(struct rt_g *g, const void *addr)
{
    det_release_addr(gthread(g), (uintptr_t)addr);
}

/* release_store_acquire: the object takes t's clock and t learns what the
 * object had (Go's racereleaseacquire, TSan's ReleaseStoreAcquire). */
static void release_store_acquire(struct det_thread *t, struct det_sync *s)
{
    det_spin_lock(&s->lock);
    struct det_clock old = s->clock;
    det_clock_init(&s->clock);
    det_clock_copy(&s->clock, &t->clock);
    det_clock_join(&t->clock, &old);
    det_spin_unlock(&s->lock);
    det_clock_free(&old);
    det_release_epoch(t);
}

static void on_release_acquire(struct rt_g *g, const void *addr)
{
    struct det_thread *t = gthread(g);
    release_store_acquire(t, det_sync_get((uintptr_t)addr, 0, true));
}

static void on_access(struct rt_g *g, const void *addr, size_t size,
                      bool is_write, uintptr_t pc)
{
    struct det_thread *t = gthread(g);
    if (size <= 16)
        det_access(t, (uintptr_t)addr, size, is_write, false, pc);
    else
        det_access_range(t, (uintptr_t)addr, size, is_write, pc);
}

/* ---- channels ----------------------------------------------------------------- */

static void on_chan_make(struct rt_g *g, go_chan *c, size_t elem_size,
                         size_t cap, uintptr_t pc)
{
    (void)elem_size;
    (void)pc;
    struct det_thread *t = gthread(g);
    /* The channel's memory may have held something else: start clean. */
    det_sync_free_range((uintptr_t)c, (uintptr_t)c + 1);
    det_shadow_reset((uintptr_t)c, 8);
    struct det_sync *s = det_sync_get((uintptr_t)c, CHAN_CLOSE_KEY, true);
    s->chan_cap = cap;
    s->make_stack = det_here(t, pc);
    *rt_chan_detector(c) = s;
    /* Making a channel is not an access (as in Go): the pointer reaches
     * other goroutines only through memory or a channel, where its own
     * handoff is checked, and the runtime makes channels under its own
     * locks (a context's done channel) that the detector does not see. */
    det_reach_register(c, 0);
}

static void on_chan_free(struct rt_g *g, go_chan *c)
{
    (void)g;
    *rt_chan_detector(c) = NULL;
    det_reach_forget(c);
    det_sync_free_range((uintptr_t)c, (uintptr_t)c + 1);
    det_shadow_reset((uintptr_t)c, 8);
}

/* chan_base is the channel's close object, which also caches the others
 * (made with the channel; looked up for a channel made before the
 * detector started). */
static inline struct det_sync *chan_base(go_chan *c)
{
    struct det_sync *base = *rt_chan_detector(c);
    if (det_likely(base))
        return base;
    return det_sync_get((uintptr_t)c, CHAN_CLOSE_KEY, true);
}

/* Buffers up to this many slots get a table of their slot objects; larger
 * ones look each up. */
#define CHAN_SLOT_TABLE_MAX 4096

static struct det_sync *chan_slot(go_chan *c, uint64_t seq)
{
    struct det_sync *base = chan_base(c);
    size_t cap = base->chan_cap ? base->chan_cap : 1;
    size_t i = (size_t)(seq % cap);
    if (cap > CHAN_SLOT_TABLE_MAX)
        return det_sync_get((uintptr_t)c, 1 + i, true);
    struct det_sync *_Atomic *table =
        atomic_load_explicit(&base->chan_slots, memory_order_acquire);
    if (det_unlikely(!table)) {
        struct det_sync *_Atomic *fresh = calloc(cap, sizeof *fresh);
        if (!fresh)
            DET_THROW("out of memory for a channel's slot table");
        struct det_sync *_Atomic *none = NULL;
        if (atomic_compare_exchange_strong(&base->chan_slots, &none, fresh))
            table = fresh;
        else {
            free((void *)fresh);
            table = none;
        }
    }
    struct det_sync *s = atomic_load_explicit(&table[i], memory_order_acquire);
    if (det_likely(s))
        return s;
    /* det_sync_get makes it once; racing callers store the same object. */
    s = det_sync_get((uintptr_t)c, 1 + i, true);
    atomic_store_explicit(&table[i], s, memory_order_release);
    return s;
}

static struct det_sync *chan_rendezvous(go_chan *c)
{
    struct det_sync *base = chan_base(c);
    struct det_sync *s = atomic_load_explicit(&base->chan_sync,
                                              memory_order_acquire);
    if (det_likely(s))
        return s;
    s = det_sync_get((uintptr_t)c, CHAN_SYNC_KEY, true);
    atomic_store_explicit(&base->chan_sync, s, memory_order_release);
    return s;
}

static void on_chan_send(struct rt_g *g, go_chan *c, uint64_t seq)
{
    release_store_acquire(gthread(g), chan_slot(c, seq));
}

static void on_chan_recv(struct rt_g *g, go_chan *c, uint64_t seq)
{
    release_store_acquire(gthread(g), chan_slot(c, seq));
}

static void on_chan_sync(go_chan *c, struct rt_g *sender,
                         struct rt_g *receiver)
{
    struct det_sync *s = chan_rendezvous(c);
    struct det_thread *st = gthread(sender), *rt = gthread(receiver);
    /* send -> receive completes, and receive -> send completes. */
    det_release(st, s);
    det_acquire(rt, s);
    det_release(rt, s);
    det_acquire(st, s);
}

static void on_chan_close(struct rt_g *g, go_chan *c, uintptr_t pc)
{
    struct det_thread *t = gthread(g);
    struct det_sync *s = chan_base(c);
    if (!s->close_stack) {
        s->close_stack = det_here(t, pc);
        s->close_goid = t->goid;
        s->close_thread_id = t->thread_id;
    }
    det_release(t, s);
}

static void on_chan_recv_closed(struct rt_g *g, go_chan *c)
{
    det_acquire(gthread(g), chan_base(c));
}

/* ---- locks --------------------------------------------------------------------- */

/* A go_mutex found locked by a Lock although no Lock of it was ever seen
 * is a copy of a locked mutex (the C form of Go's value-receiver mistake):
 * Lock would wait forever for an owner that exists only in the original.
 * Every Lock marks the mutex here, before the runtime's compare-and-swap
 * can set the locked bit, so whoever sees the bit finds the mark -- if it
 * looks for the mark *after* seeing the bit. Two first Locks at once: one
 * reads "no mark", the other marks and locks, the first then sees the
 * bit; it must read the mark again (the fences pair: the marker's fence
 * comes before its CAS, the checker's after its read of the bit) or it
 * takes its rival for a copy. */
static void on_lock_pre(struct rt_g *g, const void *m, enum rt_lock_kind kind,
                        uintptr_t pc)
{
    (void)g;
    if (kind != RT_LOCK_MUTEX)
        return;
    struct det_sync *s = det_sync_get((uintptr_t)m, 0, true);
    if (__builtin_expect(atomic_load_explicit(&s->lock_seen,
                                              memory_order_relaxed), 1))
        return;
    if (rt_mutex_is_locked(m)) {
        atomic_thread_fence(memory_order_seq_cst);
        if (!atomic_load(&s->lock_seen))
            rt_misuse(RT_MISUSE_MUTEX_COPIED, m, pc);
    }
    atomic_store(&s->lock_seen, true);
    atomic_thread_fence(memory_order_seq_cst);
}

static void on_lock_post(struct rt_g *g, const void *m, enum rt_lock_kind kind,
                         uintptr_t pc, bool ok)
{
    if (ok)
        det_mutex_locked(gthread(g), (uintptr_t)m, kind != RT_LOCK_RW_READ,
                         pc);
}

static void on_unlock(struct rt_g *g, const void *m, enum rt_lock_kind kind,
                      uintptr_t pc)
{
    det_mutex_unlocking(gthread(g), (uintptr_t)m, kind != RT_LOCK_RW_READ,
                        pc);
}

/* ---- the table ----------------------------------------------------------------- */

static const struct rt_hooks hooks = {
    .go_create = on_go_create,
    .go_start = on_go_start,
    .go_end = on_go_end,
    .switch_to = on_switch_to,
    .block = on_block,
    .access = on_access,
    .acquire = on_acquire,
    .release = on_release,
    .release_acquire = on_release_acquire,
    .object_new = det_reach_register,
    .object_free = det_reach_forget,
    .chan_make = on_chan_make,
    .chan_free = on_chan_free,
    .chan_send = on_chan_send,
    .chan_recv = on_chan_recv,
    .chan_sync = on_chan_sync,
    .chan_close = on_chan_close,
    .chan_recv_closed = on_chan_recv_closed,
    .lock_pre = on_lock_pre,
    .lock_post = on_lock_post,
    .unlock = on_unlock,
    .misuse = on_misuse,
    .creation_stack = on_creation_stack,
    .chan_stack = on_chan_stack,
};

/* gosan_detector_hooks is how the runtime finds the detector (runtime/
 * hooks.c looks it up with dlsym when it starts). */
__attribute__((visibility("default"))) const struct rt_hooks *
gosan_detector_hooks(void)
{
    det_init();
    return &hooks;
}
