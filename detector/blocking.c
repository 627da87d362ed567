/* SPDX-License-Identifier: MIT */
/*
 * This file implements the detector's blocking-bug and misuse reports:
 *
 *  - Misuse that Go panics on (send on a closed channel, close of a closed
 *    or nil channel, negative WaitGroup counter, unlock of an unlocked
 *    mutex...), reported with Go's words, the stack of the offending call,
 *    and what Go cannot give: where the channel was closed the first time
 *    and where it was made. Each object is reported once.
 *  - Partial deadlocks through mutexes: a goroutine that blocks on a mutex
 *    whose owner waits for a mutex whose owner ... waits for one it holds:
 *    a cycle in the wait-for graph, reported as soon as it closes, while
 *    the rest of the program may run on.
 *  - A goroutine that exits holding a lock (a warning: Go allows unlocking
 *    elsewhere, but it is usually a forgotten unlock).
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include "detector_impl.h"

#define MAX_CHAIN 64

/* Stacks of uninstrumented callers, unwound once per call site: code not
 * compiled with -fsanitize=thread keeps no shadow call stack, and a real
 * unwind on every lock would cost a microsecond. */
#define SITE_CACHE 4096

static struct {
    uintptr_t pc;
    uint32_t id;
} sites[SITE_CACHE];

uint32_t det_here(struct det_thread *t, uintptr_t pc)
{
    uintptr_t pcs[REP_MAX_FRAMES];
    uint32_t id;
    det_enter(t);
    if (t->depth > 0) {
        int n = det_stack_of_thread(t, pc, pcs, REP_MAX_FRAMES);
        id = det_depot_put(pcs, n);
    } else {
        size_t i = (pc * 0x9e3779b97f4a7c15ull >> 52) & (SITE_CACHE - 1);
        if (__atomic_load_n(&sites[i].pc, __ATOMIC_ACQUIRE) == pc) {
            id = __atomic_load_n(&sites[i].id, __ATOMIC_RELAXED);
        } else {
            int n = rep_backtrace(pcs, REP_MAX_FRAMES, 0);
            /* Keep from the call site on. */
            int start = 0;
            for (int k = 0; k < n; k++)
                if (pcs[k] == pc) {
                    start = k;
                    break;
                }
            id = det_depot_put(pcs + start, n - start);
            __atomic_store_n(&sites[i].id, id, __ATOMIC_RELAXED);
            __atomic_store_n(&sites[i].pc, pc, __ATOMIC_RELEASE);
        }
    }
    det_leave(t);
    return id;
}

static void add_depot_stack(struct rep_report *r, uint32_t id,
                            const char *title)
{
    const uintptr_t *pcs;
    int n = det_depot_get(id, &pcs);
    struct rep_stack *s = rep_report_stack(r, pcs, n, "%s", title);
    if (s && !n)
        s->note = "[stack not known]";
}

static void add_creation(struct rep_report *r, struct det_thread *t)
{
    if (!t->is_goroutine || t->goid == 1 || !t->creation_stack)
        return;
    char title[128];
    snprintf(title, sizeof title, "Goroutine %llu (running) created at:",
             (unsigned long long)t->goid);
    add_depot_stack(r, t->creation_stack, title);
}

/* ---- misuse ------------------------------------------------------------------ */

static enum rep_kind misuse_kind(enum rt_misuse kind)
{
    switch (kind) {
    case RT_MISUSE_SEND_ON_CLOSED: return REP_SEND_ON_CLOSED_CHANNEL;
    case RT_MISUSE_CLOSE_OF_CLOSED: return REP_CLOSE_OF_CLOSED_CHANNEL;
    case RT_MISUSE_CLOSE_OF_NIL: return REP_CLOSE_OF_NIL_CHANNEL;
    case RT_MISUSE_NEGATIVE_WAITGROUP: return REP_NEGATIVE_WAITGROUP;
    case RT_MISUSE_WAITGROUP_REUSE: return REP_WAITGROUP_REUSE;
    case RT_MISUSE_WAITGROUP_CONCURRENT_ADD: return REP_WAITGROUP_REUSE;
    case RT_MISUSE_UNLOCK_OF_UNLOCKED: return REP_UNLOCK_OF_UNLOCKED_MUTEX;
    case RT_MISUSE_RUNLOCK_OF_UNLOCKED: return REP_RUNLOCK_OF_UNLOCKED_RWMUTEX;
    case RT_MISUSE_RWUNLOCK_OF_UNLOCKED: return REP_UNLOCK_OF_UNLOCKED_MUTEX;
    case RT_MISUSE_COND_WAIT_UNLOCKED: return REP_COND_WAIT_UNLOCKED;
    case RT_MISUSE_COND_COPIED: return REP_SYNC_COPIED;
    case RT_MISUSE_SEMAPHORE_RELEASE: return REP_SEMAPHORE_OVERRELEASE;
    case RT_MISUSE_CHAN_FREE_IN_USE: return REP_CHANNEL_FREE_IN_USE;
    case RT_MISUSE_COUNT: break;
    }
    return REP_MUTEX_MISUSE;
}

static bool is_channel_misuse(enum rt_misuse kind)
{
    return kind == RT_MISUSE_SEND_ON_CLOSED ||
           kind == RT_MISUSE_CLOSE_OF_CLOSED ||
           kind == RT_MISUSE_CHAN_FREE_IN_USE;
}

static const char *operation(enum rt_misuse kind)
{
    switch (kind) {
    case RT_MISUSE_SEND_ON_CLOSED: return "Send";
    case RT_MISUSE_CLOSE_OF_CLOSED:
    case RT_MISUSE_CLOSE_OF_NIL: return "Close";
    case RT_MISUSE_NEGATIVE_WAITGROUP:
    case RT_MISUSE_WAITGROUP_CONCURRENT_ADD: return "Add";
    case RT_MISUSE_WAITGROUP_REUSE: return "Wait";
    case RT_MISUSE_UNLOCK_OF_UNLOCKED:
    case RT_MISUSE_RWUNLOCK_OF_UNLOCKED: return "Unlock";
    case RT_MISUSE_RUNLOCK_OF_UNLOCKED: return "RUnlock";
    case RT_MISUSE_COND_WAIT_UNLOCKED:
    case RT_MISUSE_COND_COPIED: return "Use";
    case RT_MISUSE_SEMAPHORE_RELEASE: return "Release";
    case RT_MISUSE_CHAN_FREE_IN_USE: return "Free";
    case RT_MISUSE_COUNT: break;
    }
    return "Use";
}

bool det_misuse(struct det_thread *t, enum rt_misuse kind, const void *obj,
                uintptr_t pc)
{
    (void)pc;
    det_enter(t);
    struct det_sync *s = obj ? det_sync_get((uintptr_t)obj, 0, true) : NULL;
    if (s && s->broken) {
        /* Reported already: the runtime still applies the halt policy. */
        det_leave(t);
        return true;
    }
    if (s)
        s->broken = true;
    char headline[256];
    snprintf(headline, sizeof headline, "%s%s",
             rt_misuse_is_fatal(kind) ? "fatal error: " : "panic: ",
             rt_misuse_message(kind));
    struct rep_report r;
    rep_report_init(&r, misuse_kind(kind), headline);
    r.filter = &det_stack_filter;

    uintptr_t pcs[REP_MAX_FRAMES];
    int n = rep_backtrace(pcs, REP_MAX_FRAMES, 0);
    char who[64];
    det_thread_name(who, sizeof who, t->goid, t->thread_id);
    struct rep_stack *cur = rep_report_stack(&r, pcs, n, "%s%s%p by %s:",
                                             operation(kind),
                                             obj ? " of " : "", obj, who);
    if (cur)
        cur->goroutine = t->goid;

    if (s && is_channel_misuse(kind)) {
        if (s->close_stack) {
            char closer[64], title[160];
            det_thread_name(closer, sizeof closer, s->close_goid,
                            s->close_thread_id);
            snprintf(title, sizeof title, "%s closed by %s at:",
                     kind == RT_MISUSE_CLOSE_OF_CLOSED
                         ? "Channel first"
                         : "Channel", closer);
            add_depot_stack(&r, s->close_stack, title);
        }
        if (s->make_stack)
            add_depot_stack(&r, s->make_stack, "Channel made at:");
    }
    add_creation(&r, t);
    r.dedupe_key = ((uintptr_t)obj * 0x9e3779b97f4a7c15ull) ^ (uint64_t)kind ^
                   0x5a5a5a5aull;
    rep_emit(&r);
    rep_report_free(&r);
    det_leave(t);
    return true;
}

/* ---- wait-for cycles ------------------------------------------------------------ */

static bool waits_on_mutex(uint8_t reason)
{
    return reason == RT_WAIT_MUTEX || reason == RT_WAIT_RWMUTEX_LOCK ||
           reason == RT_WAIT_RWMUTEX_RLOCK;
}

struct link {
    struct det_thread *t;  /* waits for m */
    uintptr_t m;
    struct det_thread *owner;
    uint32_t owner_stack;
};

static void report_cycle(struct det_thread *t, const struct link *chain,
                         int n)
{
    struct rep_report r;
    rep_report_init(&r, REP_DEADLOCK,
                    "WARNING: DEADLOCK (goroutines wait for each other's "
                    "locks)");
    r.filter = &det_stack_filter;
    rep_report_message(&r, "These goroutines are blocked forever; the rest "
                       "of the program may go on:\n");
    uint64_t key = 0;
    for (int i = 0; i < n; i++) {
        char who[64], owner[64], title[256];
        det_thread_name(who, sizeof who, chain[i].t->goid,
                        chain[i].t->thread_id);
        det_thread_name(owner, sizeof owner, chain[i].owner->goid,
                        chain[i].owner->thread_id);
        rep_report_message(&r, "  %s waits for mutex %p, held by %s\n", who,
                           (void *)chain[i].m, owner);
        snprintf(title, sizeof title, "Mutex %p acquired by %s at:",
                 (void *)chain[i].m, owner);
        add_depot_stack(&r, chain[i].owner_stack, title);
        key ^= chain[i].m * 0x9e3779b97f4a7c15ull;
    }
    r.dedupe_key = key ^ REP_DEADLOCK;
    det_enter(t);
    rep_emit(&r);
    rep_report_free(&r);
    det_leave(t);
}

void det_blocked(struct det_thread *t, enum rt_wait_reason reason,
                 const void *obj)
{
    atomic_store(&t->blocked_obj, obj);
    atomic_store(&t->blocked_reason, (uint8_t)reason);
    if (!waits_on_mutex(reason) || !obj)
        return;
    /* Follow mutex -> owner -> the mutex it waits for -> ... Every owner on
     * the way must be parked: a parked goroutine blocked on a mutex held by
     * another parked one cannot move unless somebody outside the chain
     * unlocks, and nobody outside holds these mutexes. */
    struct link chain[MAX_CHAIN];
    int n = 0;
    struct det_thread *cur = t;
    uintptr_t m = (uintptr_t)obj;
    while (n < MAX_CHAIN) {
        struct det_sync *s = det_sync_get(m, 0, false);
        struct det_thread *owner = s ? atomic_load(&s->owner) : NULL;
        if (!owner)
            return;
        chain[n].t = cur;
        chain[n].m = m;
        chain[n].owner = owner;
        chain[n].owner_stack = s->owner_stack;
        n++;
        if (owner == t) {
            report_cycle(t, chain, n);
            return;
        }
        if (!atomic_load(&owner->parked) ||
            !waits_on_mutex(atomic_load(&owner->blocked_reason)))
            return;
        cur = owner;
        m = (uintptr_t)atomic_load(&owner->blocked_obj);
        if (!m)
            return;
    }
}

/* ---- exiting with locks held ------------------------------------------------------ */

void det_thread_exiting(struct det_thread *t)
{
    if (t->nheld == 0)
        return;
    det_enter(t);
    struct rep_report r;
    char who[64];
    det_thread_name(who, sizeof who, t->goid, t->thread_id);
    rep_report_init(&r, REP_EXIT_HOLDING_LOCK,
                    "WARNING: goroutine exits holding a lock");
    r.filter = &det_stack_filter;
    for (uint32_t i = 0; i < t->nheld; i++) {
        char title[160];
        snprintf(title, sizeof title, "%s exits holding mutex %p, acquired "
                 "at:", who, (void *)t->held[i].m);
        add_depot_stack(&r, t->held[i].stack, title);
    }
    add_creation(&r, t);
    rep_emit(&r);
    rep_report_free(&r);
    det_leave(t);
}
