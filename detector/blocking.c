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
#include <time.h>

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
    case RT_MISUSE_MUTEX_COPIED: return REP_SYNC_COPIED;
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
    case RT_MISUSE_MUTEX_COPIED: return "Lock of a copy";
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
    _Static_assert(RT_MISUSE_COUNT <= 32, "misuse_reported is 32 bits");
    uint32_t bit = 1u << kind;
    /* Counted as a report in the making before the claim: a thread that
     * finds the claim taken halts the process, and its rep_quiesce must
     * wait for this report to be written. */
    rep_emit_begin();
    if (s && (__atomic_fetch_or(&s->misuse_reported, bit, __ATOMIC_ACQ_REL) &
              bit)) {
        /* Reported already: the runtime still applies the halt policy. */
        rep_emit_end();
        det_leave(t);
        return true;
    }
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
    rep_emit_end();
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

/* The members of a cycle other than the one closing it are parked on a
 * mutex that only another member can unlock: their stacks stay put while
 * rt_goroutines_each holds them and we describe them. */
struct cycle_members {
    struct rep_report *r;
    const struct link *chain;
    int n;
    struct det_thread *closing;
    int unparked;
};

static bool is_member(const struct cycle_members *cm, uint64_t goid)
{
    for (int i = 0; i < cm->n; i++) {
        struct det_thread *m = cm->chain[i].t;
        if (m != cm->closing && m->is_goroutine && m->goid == goid)
            return true;
    }
    return false;
}

static void describe_member(const struct rt_ginfo *info, void *arg)
{
    struct cycle_members *cm = arg;
    if (is_member(cm, info->id))
        rt_describe_goroutine(cm->r, info);
}

/* A member announced its wait (the block event) before its switch away
 * completed; count those not parked yet. */
static void count_unparked(const struct rt_ginfo *info, void *arg)
{
    struct cycle_members *cm = arg;
    if (is_member(cm, info->id) && info->status != RT_G_WAITING)
        cm->unparked++;
}

/* describe_closing adds the goroutine or thread that closed the cycle: it
 * is still running (about to park), so its stack is captured here. */
static void describe_closing(struct rep_report *r, struct det_thread *t)
{
    char who[64], title[160];
    det_thread_name(who, sizeof who, t->goid, t->thread_id);
    uint32_t stack = t->is_goroutine ? det_stack_here(3) : t->blocked_stack;
    const char *what =
        t->is_goroutine
            ? rt_wait_reason_string(atomic_load(&t->blocked_reason))
            : (t->blocked_call ? t->blocked_call : "a lock");
    snprintf(title, sizeof title, "%s [%s]:", who, what);
    add_depot_stack(r, stack, title);
    /* The same "Blocked on" line the parked members get from
     * rt_describe_goroutine. */
    const void *obj = atomic_load(&t->blocked_obj);
    if (t->is_goroutine && obj) {
        struct rep_stack *s =
            rep_report_stack(r, NULL, 0, "Blocked on %s %p", what, obj);
        if (s)
            s->note = "";
    }
    if (t->is_goroutine && t->goid != 1 && t->creation_stack) {
        snprintf(title, sizeof title, "%s created by goroutine %llu at:", who,
                 (unsigned long long)t->parent_goid);
        add_depot_stack(r, t->creation_stack, title);
    }
}

/* Two members may close the same cycle at once, each on its M, each seeing
 * the other as blocked: only the first to claim the cycle reports it (and
 * waits for the others to finish parking); the others park at once. */
#define CLAIMED_CYCLES 256
static _Atomic uint64_t claimed_cycles[CLAIMED_CYCLES];

static bool claim_cycle(uint64_t key)
{
    key |= 1; /* 0 marks a free entry */
    for (unsigned i = 0; i < CLAIMED_CYCLES; i++) {
        _Atomic uint64_t *e = &claimed_cycles[(key + i) % CLAIMED_CYCLES];
        uint64_t seen = atomic_load(e);
        if (seen == key)
            return false;
        if (seen == 0 && atomic_compare_exchange_strong(e, &seen, key))
            return true;
        if (seen == key)
            return false;
    }
    return true; /* full: the report's own deduplication still applies */
}

static void report_cycle(struct det_thread *t, const struct link *chain,
                         int n)
{
    uint64_t key = 0;
    for (int i = 0; i < n; i++)
        key ^= chain[i].m * 0x9e3779b97f4a7c15ull;
    if (!claim_cycle(key))
        return;
    struct rep_report r;
    rep_report_init(&r, REP_DEADLOCK,
                    "WARNING: DEADLOCK (goroutines wait for each other's "
                    "locks)");
    r.filter = &det_stack_filter;
    rep_report_message(&r, "These goroutines are blocked forever; the rest "
                       "of the program may go on:\n");
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
    }
    /* Where each member is blocked, and where it came from. */
    describe_closing(&r, t);
    struct cycle_members cm = { &r, chain, n, t, 0 };
    /* Each of them is finishing its park on its own M, holding no lock we
     * hold: give them a few milliseconds to get there. */
    for (int tries = 0; tries < 200; tries++) {
        cm.unparked = 0;
        rt_goroutines_each(count_unparked, &cm);
        if (!cm.unparked)
            break;
        struct timespec pause = { 0, 50 * 1000 };
        nanosleep(&pause, NULL);
    }
    rt_goroutines_each(describe_member, &cm);
    for (int i = 0; i < n; i++) {
        struct det_thread *m = chain[i].t;
        if (m == t || m->is_goroutine)
            continue;
        char who[64], title[160];
        det_thread_name(who, sizeof who, m->goid, m->thread_id);
        snprintf(title, sizeof title, "%s blocked in %s at:", who,
                 m->blocked_call ? m->blocked_call : "a lock");
        add_depot_stack(&r, m->blocked_stack, title);
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
    if (t->nheld)
        det_held_prune(t);
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
    /* t's state will be reused for another goroutine: the locks it still
     * holds must not name that one as their owner. */
    for (uint32_t i = 0; i < t->nheld; i++) {
        struct det_sync *s = det_sync_get(t->held[i].m, 0, false);
        struct det_thread *self = t;
        if (s)
            atomic_compare_exchange_strong(&s->owner, &self, NULL);
    }
    det_leave(t);
}
