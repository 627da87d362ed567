/* SPDX-License-Identifier: MIT */
/*
 * This file implements the detector's threads (goroutines and OS threads)
 * and the slots their clocks are indexed by.
 *
 * Slots (TSan v3's idea): DET_SLOTS clock positions shared by all the
 * threads of the program over time. A thread holds a slot while it runs;
 * a slot's epoch only grows, across owners, so an access recorded in the
 * shadow as (slot, epoch) keeps its meaning after the slot changes hands.
 * The price: the new owner's epochs cover the old owner's, so a thread
 * that synchronizes with the new owner looks ordered after everything the
 * old owner did in the slot: a race with one of those accesses is missed.
 * A finished thread's accesses mostly are ordered anyway (joined, waited
 * for), and a freed slot waits in a FIFO quarantine of SLOT_QUARANTINE
 * slots before it can be reused; after that the lowest free slot is taken
 * first, which keeps clocks short (joins cost O(slots in use)).
 *
 * When no slot is free, a parked goroutine (one that cannot access memory)
 * gives up its slot, least recently run first; it takes another when it
 * runs again. That is where the price can be paid for a live goroutine:
 * with more than DET_SLOTS goroutines holding slots at once, races with
 * what a long-parked goroutine did before it parked can be missed (Go's
 * race detector has a hard limit instead: 8128 live goroutines), and a
 * note says so once. Only with more than DET_SLOTS OS threads running at
 * once do threads share a slot (races between them are then missed; a
 * warning says so once).
 *
 * Finished threads stay in a graveyard for a while so that a race with an
 * access of a finished goroutine still gets that access's stack.
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "detector_impl.h"

#define SLOT_QUARANTINE 32
#define SLOT_HISTORY 16
#define GRAVEYARD_MAX 1024
/* Thread states leaving the graveyard are kept for reuse, with their clock
 * and first trace part, up to this many: a program that starts goroutines
 * at a high rate would otherwise malloc and free ~5 KiB per goroutine, and
 * glibc would trim and regrow its heap (page faults) all the time. */
#define SPARES_MAX 4096
#define THREAD_SLOT_REFS 8

__thread struct det_thread *det_tls_cur __attribute__((tls_model("initial-exec")));

struct slot_owner {
    det_epoch first;          /* first epoch of this ownership */
    struct det_thread *t;     /* NULL once t was freed */
    uint64_t goid;
    uint32_t thread_id;
};

struct det_slot {
    det_epoch epoch;          /* last epoch handed out in this slot */
    struct det_thread *owner; /* NULL when free */
    struct slot_owner hist[SLOT_HISTORY];
    uint32_t nhist;           /* total ownerships (ring index) */
    bool in_quarantine;
};

static struct {
    struct det_spin lock;     /* protects everything below */
    struct det_slot slots[DET_SLOTS];
    uint16_t quarantine[SLOT_QUARANTINE];
    uint32_t q_head, q_len;
    uint64_t free_bits[DET_SLOTS / 64]; /* free, out of quarantine */
    uint32_t next_unused;     /* slots never used yet: [next_unused, ...) */
    uint64_t run_clock;       /* for LRU victims */
    bool shared_warned;
    bool steal_noted;
    uint32_t next_thread_id;
    struct det_thread *all;   /* live threads */
    struct det_thread *grave_head, *grave_tail;
    uint32_t ngrave;
} st = { .next_thread_id = 1 };

/* ---- slots (st.lock held) ------------------------------------------------- */

static int take_free_slot(void)
{
    for (int w = 0; w < DET_SLOTS / 64; w++) {
        if (st.free_bits[w]) {
            int b = __builtin_ctzll(st.free_bits[w]);
            st.free_bits[w] &= ~(1ull << b);
            return w * 64 + b;
        }
    }
    if (st.next_unused < DET_SLOTS)
        return (int)st.next_unused++;
    if (st.q_len > 0) {
        int s = st.quarantine[st.q_head];
        st.q_head = (st.q_head + 1) % SLOT_QUARANTINE;
        st.q_len--;
        st.slots[s].in_quarantine = false;
        return s;
    }
    return -1;
}

static void release_slot(int s)
{
    st.slots[s].owner = NULL;
    if (st.q_len == SLOT_QUARANTINE) {
        /* The oldest quarantined slot becomes free. */
        int old = st.quarantine[st.q_head];
        st.q_head = (st.q_head + 1) % SLOT_QUARANTINE;
        st.q_len--;
        st.slots[old].in_quarantine = false;
        st.free_bits[old / 64] |= 1ull << (old % 64);
    }
    st.quarantine[(st.q_head + st.q_len) % SLOT_QUARANTINE] = (uint16_t)s;
    st.q_len++;
    st.slots[s].in_quarantine = true;
}

/* steal_slot takes the slot of the least recently run parked goroutine. */
static int steal_slot(void)
{
    int best = -1;
    uint64_t best_run = UINT64_MAX;
    for (int s = 0; s < DET_SLOTS; s++) {
        struct det_thread *o = st.slots[s].owner;
        if (o && atomic_load(&o->parked) && o->last_run < best_run) {
            best = s;
            best_run = o->last_run;
        }
    }
    if (best >= 0) {
        if (!st.steal_noted) {
            st.steal_noted = true;
            rep_printf("gosan: more than %d goroutines hold race detector "
                       "clock slots at once; parked ones lend theirs, and "
                       "races with what they did before parking may be "
                       "missed\n", DET_SLOTS);
        }
        struct det_thread *victim = st.slots[best].owner;
        victim->slot = DET_NO_SLOT;
        st.slots[best].owner = NULL;
    }
    return best;
}

/* assign_slot gives t slot s and a fresh epoch in it. */
static void assign_slot(struct det_thread *t, int s)
{
    struct det_slot *sl = &st.slots[s];
    sl->owner = t;
    sl->epoch++;
    if (sl->epoch >= DET_EPOCH_MAX)
        DET_THROW("slot %d ran out of epochs", s);
    t->slot = (uint16_t)s;
    t->epoch = sl->epoch;
    if ((uint32_t)s >= t->clock.n)
        t->clock.n = (uint32_t)s + 1;
    t->clock.e[s] = t->epoch;
    uint32_t index = sl->nhist++ % SLOT_HISTORY;
    struct slot_owner *h = &sl->hist[index];
    if (t->nhist_refs < sizeof t->hist_refs / sizeof t->hist_refs[0]) {
        t->hist_refs[t->nhist_refs].slot = (uint16_t)s;
        t->hist_refs[t->nhist_refs].index = (uint16_t)index;
        t->nhist_refs++;
    } else {
        t->hist_overflow = true;
    }
    h->first = t->epoch;
    h->t = t;
    h->goid = t->goid;
    h->thread_id = t->thread_id;
}

static void acquire_slot_locked(struct det_thread *t)
{
    int s = take_free_slot();
    if (s < 0)
        s = steal_slot();
    if (s < 0) {
        /* More running threads than slots: share the last one. */
        if (!st.shared_warned) {
            st.shared_warned = true;
            rep_printf("gosan: more than %d threads run at once; some races "
                       "between them will not be detected\n", DET_SLOTS);
        }
        s = DET_SLOTS - 1;
        struct det_slot *sl = &st.slots[s];
        t->slot = (uint16_t)s;
        t->epoch = ++sl->epoch;
        if ((uint32_t)s >= t->clock.n)
            t->clock.n = (uint32_t)s + 1;
        t->clock.e[s] = t->epoch;
        return;
    }
    assign_slot(t, s);
}

void det_thread_need_slot(struct det_thread *t)
{
    det_spin_lock(&st.lock);
    if (t->slot == DET_NO_SLOT)
        acquire_slot_locked(t);
    det_spin_unlock(&st.lock);
    det_trace_epoch(t);
}

void det_release_epoch(struct det_thread *t)
{
    if (t->slot == DET_NO_SLOT)
        return;
    det_epoch e = t->epoch + 1;
    if (det_unlikely(e >= DET_EPOCH_MAX))
        DET_THROW("slot %u ran out of epochs", t->slot);
    t->epoch = e;
    t->clock.e[t->slot] = e;
    /* Only the owner writes its slot's epoch while it owns it. */
    __atomic_store_n(&st.slots[t->slot].epoch, e, __ATOMIC_RELAXED);
    det_trace_epoch(t);
}

void det_thread_renamed(struct det_thread *t)
{
    /* Reports name the owner of an epoch from the slot history: the main
     * thread that became the main goroutine was that goroutine all along. */
    det_spin_lock(&st.lock);
    for (int s = 0; s < DET_SLOTS; s++) {
        struct det_slot *sl = &st.slots[s];
        for (uint32_t i = 0; i < SLOT_HISTORY; i++)
            if (sl->hist[i].t == t)
                sl->hist[i].goid = t->goid;
    }
    det_spin_unlock(&st.lock);
}

struct det_thread *det_slot_owner(uint16_t slot, det_epoch e, uint64_t *goid,
                                  uint32_t *thread_id, bool *finished)
{
    *goid = 0;
    *thread_id = 0;
    *finished = false;
    if (slot >= DET_SLOTS)
        return NULL;
    det_spin_lock(&st.lock);
    struct det_slot *sl = &st.slots[slot];
    struct det_thread *found = NULL;
    uint32_t n = sl->nhist < SLOT_HISTORY ? sl->nhist : SLOT_HISTORY;
    det_epoch best = 0;
    bool any = false;
    for (uint32_t i = 0; i < n; i++) {
        struct slot_owner *h = &sl->hist[i];
        if (h->first <= e && (!any || h->first > best)) {
            any = true;
            best = h->first;
            found = h->t;
            *goid = h->goid;
            *thread_id = h->thread_id;
        }
    }
    if (found)
        *finished = atomic_load(&found->finished);
    else if (any)
        *finished = true;
    det_spin_unlock(&st.lock);
    return found;
}

/* ---- threads ----------------------------------------------------------------- */

/* forget_thread (st.lock held) removes t from the slot histories that
 * still point at it: reports then no longer name it. */
static void forget_thread(struct det_thread *t)
{
    if (!t->hist_overflow) {
        for (uint8_t i = 0; i < t->nhist_refs; i++) {
            struct slot_owner *h =
                &st.slots[t->hist_refs[i].slot].hist[t->hist_refs[i].index];
            if (h->t == t)
                h->t = NULL;
        }
        return;
    }
    for (int s = 0; s < DET_SLOTS; s++) {
        struct det_slot *sl = &st.slots[s];
        uint32_t n = sl->nhist < SLOT_HISTORY ? sl->nhist : SLOT_HISTORY;
        for (uint32_t i = 0; i < n; i++)
            if (sl->hist[i].t == t)
                sl->hist[i].t = NULL;
    }
}

static struct {
    struct det_spin lock;
    struct det_thread *head;  /* linked through grave_next */
    uint32_t n;
} spares;

/* recycle_thread keeps a forgotten thread state for det_thread_new, or
 * frees it when enough are kept. */
static void recycle_thread(struct det_thread *t)
{
    det_spin_lock(&spares.lock);
    if (spares.n < SPARES_MAX) {
        t->grave_next = spares.head;
        spares.head = t;
        spares.n++;
        det_spin_unlock(&spares.lock);
        return;
    }
    det_spin_unlock(&spares.lock);
    det_trace_free(t);
    det_clock_free(&t->clock);
    free(t->stack);
    free(t);
}

/* reuse_thread returns a kept thread state, reset, or NULL. */
static struct det_thread *reuse_thread(void)
{
    det_spin_lock(&spares.lock);
    struct det_thread *t = spares.head;
    if (t) {
        spares.head = t->grave_next;
        spares.n--;
    }
    det_spin_unlock(&spares.lock);
    if (!t)
        return NULL;
    struct det_trace_part *part = det_trace_recycle(t);
    det_epoch *clock = t->clock.e;
    uint32_t clock_cap = t->clock.cap;
    uintptr_t *stack = t->stack;
    uint32_t stack_cap = t->stack_cap;
    memset(t, 0, sizeof *t);
    memset(clock, 0, clock_cap * sizeof *clock);
    t->clock.e = clock;
    t->clock.cap = clock_cap;
    t->stack = stack;
    t->stack_cap = stack_cap;
    det_trace_init_with(t, part);
    return t;
}


struct det_thread *det_thread_new(bool is_goroutine)
{
    struct det_thread *t = reuse_thread();
    if (!t) {
        t = calloc(1, sizeof *t);
        if (!t)
            DET_THROW("out of memory allocating a thread state");
        t->clock.e = calloc(DET_SLOTS, sizeof *t->clock.e);
        if (!t->clock.e)
            DET_THROW("out of memory allocating a vector clock");
        t->clock.cap = DET_SLOTS;
        det_trace_init(t);
    }
    t->slot = DET_NO_SLOT;
    t->is_goroutine = is_goroutine;
    det_spin_lock(&st.lock);
    if (!is_goroutine)
        t->thread_id = st.next_thread_id++;
    t->all_next = st.all;
    if (st.all)
        st.all->all_prev = t;
    st.all = t;
    det_spin_unlock(&st.lock);
    return t;
}

void det_thread_start(struct det_thread *t)
{
    det_spin_lock(&st.lock);
    if (t->slot == DET_NO_SLOT)
        acquire_slot_locked(t);
    t->last_run = ++st.run_clock;
    det_spin_unlock(&st.lock);
    det_trace_epoch(t);
}

void det_thread_park(struct det_thread *t)
{
    atomic_store(&t->parked, true);
}

void det_thread_resume(struct det_thread *t)
{
    atomic_store(&t->parked, false);
    /* A slot taken away while parked is replaced before t runs. */
    if (det_unlikely(t->slot == DET_NO_SLOT)) {
        det_thread_need_slot(t);
        return;
    }
    t->last_run = ++st.run_clock; /* racy increment: an LRU hint only */
}

void det_thread_finish(struct det_thread *t)
{
    struct det_thread *evict = NULL;
    det_spin_lock(&st.lock);
    atomic_store(&t->finished, true);
    if (t->slot != DET_NO_SLOT && st.slots[t->slot].owner == t)
        release_slot(t->slot);
    t->slot = DET_NO_SLOT;
    /* From the live list to the graveyard. */
    if (t->all_prev)
        t->all_prev->all_next = t->all_next;
    else if (st.all == t)
        st.all = t->all_next;
    if (t->all_next)
        t->all_next->all_prev = t->all_prev;
    t->all_next = t->all_prev = NULL;
    t->grave_next = NULL;
    if (st.grave_tail)
        st.grave_tail->grave_next = t;
    else
        st.grave_head = t;
    st.grave_tail = t;
    if (++st.ngrave > GRAVEYARD_MAX) {
        evict = st.grave_head;
        st.grave_head = evict->grave_next;
        st.ngrave--;
        forget_thread(evict);
    }
    det_spin_unlock(&st.lock);
    if (evict)
        recycle_thread(evict);
}

struct det_thread *det_cur_slow(void)
{
    det_init();
    struct det_thread *t = det_tls_cur;
    if (t)
        return t;
    t = det_thread_new(false);
    t->os_tid = (pid_t)syscall(SYS_gettid);
    det_tls_cur = t;
    det_thread_start(t);
    return t;
}

void det_thread_name(char *buf, size_t len, uint64_t goid, uint32_t thread_id)
{
    if (goid == 1)
        snprintf(buf, len, "main goroutine");
    else if (goid)
        snprintf(buf, len, "goroutine %llu", (unsigned long long)goid);
    else if (thread_id == 1)
        snprintf(buf, len, "main thread");
    else if (thread_id)
        snprintf(buf, len, "thread T%u", thread_id - 1);
    else
        snprintf(buf, len, "an unknown goroutine");
}

void det_threads_each(void (*fn)(struct det_thread *t, void *arg), void *arg)
{
    det_spin_lock(&st.lock);
    for (struct det_thread *t = st.all; t; t = t->all_next)
        fn(t, arg);
    det_spin_unlock(&st.lock);
}

/* ---- fork ------------------------------------------------------------------ */

void det_depot_lock(bool lock);
void det_lockorder_lock(bool lock);

void det_fork_prepare(void)
{
    det_depot_lock(true);
    det_lockorder_lock(true);
    det_spin_lock(&st.lock);
}

void det_fork_parent(void)
{
    det_spin_unlock(&st.lock);
    det_lockorder_lock(false);
    det_depot_lock(false);
}

void det_fork_child(void)
{
    det_fork_parent();
}
