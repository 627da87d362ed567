/* SPDX-License-Identifier: MIT */
/*
 * This file implements sync objects: the clock (and lock state) attached
 * to an address that the program synchronizes on — a mutex, a WaitGroup, a
 * channel and each of its buffer slots (a second key), an atomic variable,
 * an annotation address. They are created on first use and destroyed when
 * the memory they describe is freed (free, a dead goroutine's stack, a
 * freed channel), so that memory reused for something else starts with no
 * history.
 *
 * A hash table of chains, one spin lock per bucket, finds an object by
 * (addr, key2). A second table indexes objects by 4 KiB page, so that
 * freeing a range visits its pages rather than the whole table.
 *
 * Happens-before: acquire joins the object's clock into the thread's;
 * release joins the thread's into the object's (merge: several releasers,
 * as for RUnlock or WaitGroup.Done); release_store replaces it (Unlock).
 * Each release ends the releasing thread's epoch.
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include "detector_impl.h"

#define NBUCKETS (1u << 16)
#define NPAGE_BUCKETS (1u << 14)

struct bucket {
    struct det_spin lock;
    struct det_sync *head;
};

struct page_bucket {
    struct det_spin lock;
    struct page_entry *head;
};

struct page_entry {
    uintptr_t page;
    struct det_sync *objs;     /* linked through page_next */
    struct page_entry *next;
};

static struct bucket buckets[NBUCKETS];
static struct page_bucket pages[NPAGE_BUCKETS];

static uint32_t hash_key(uintptr_t addr, uint64_t key2)
{
    uint64_t h = (addr >> 3) * 0x9e3779b97f4a7c15ull ^ key2 * 0xc2b2ae3d27d4eb4full;
    return (uint32_t)(h >> 40) & (NBUCKETS - 1);
}

static struct page_bucket *page_bucket_of(uintptr_t page)
{
    return &pages[(page * 0x9e3779b97f4a7c15ull) >> 50 & (NPAGE_BUCKETS - 1)];
}

static void page_add(struct det_sync *s)
{
    uintptr_t page = s->addr >> 12;
    struct page_bucket *pb = page_bucket_of(page);
    det_spin_lock(&pb->lock);
    struct page_entry *e = pb->head;
    while (e && e->page != page)
        e = e->next;
    if (!e) {
        e = calloc(1, sizeof *e);
        if (!e)
            DET_THROW("out of memory indexing sync objects");
        e->page = page;
        e->next = pb->head;
        __atomic_store_n(&pb->head, e, __ATOMIC_RELEASE);
    }
    s->page_next = e->objs;
    e->objs = s;
    det_spin_unlock(&pb->lock);
}

static void page_remove(struct det_sync *s)
{
    uintptr_t page = s->addr >> 12;
    struct page_bucket *pb = page_bucket_of(page);
    det_spin_lock(&pb->lock);
    struct page_entry **pe = &pb->head;
    while (*pe && (*pe)->page != page)
        pe = &(*pe)->next;
    if (*pe) {
        struct det_sync **ps = &(*pe)->objs;
        while (*ps && *ps != s)
            ps = &(*ps)->page_next;
        if (*ps)
            *ps = s->page_next;
        if (!(*pe)->objs) {
            struct page_entry *dead = *pe;
            __atomic_store_n(pe, dead->next, __ATOMIC_RELEASE);
            free(dead);
        }
    }
    det_spin_unlock(&pb->lock);
}

static struct det_sync *lookup(uint32_t h, uintptr_t addr, uint64_t key2,
                               bool create);

/* Each thread remembers its last few lookups (det_thread.sync_cache):
 * eight readers taking one RWMutex otherwise all meet on its bucket's
 * lock, twice per RLock/RUnlock. An entry is good while no sync object was
 * destroyed since it was filled (sync_generation unchanged): a pointer
 * from the cache is then as valid as one from the table. */
static _Atomic uint64_t sync_generation;

struct det_sync *det_sync_get(uintptr_t addr, uint64_t key2, bool create)
{
    uint32_t h = hash_key(addr, key2);
    struct det_thread *t = det_tls_cur;
    struct det_sync_cache_entry *e = NULL;
    uint64_t gen = atomic_load_explicit(&sync_generation,
                                        memory_order_acquire);
    if (det_likely(t != NULL)) {
        e = &t->sync_cache[h % DET_SYNC_CACHE];
        if (e->s && e->addr == addr && e->key2 == key2 && e->gen == gen)
            return e->s;
    }
    struct det_sync *s = lookup(h, addr, key2, create);
    if (e && s) {
        e->addr = addr;
        e->key2 = key2;
        e->gen = gen;
        e->s = s;
    }
    return s;
}

static struct det_sync *lookup(uint32_t h, uintptr_t addr, uint64_t key2,
                               bool create)
{
    struct bucket *b = &buckets[h];
    det_spin_lock(&b->lock);
    struct det_sync *s = b->head;
    while (s && (s->addr != addr || s->key2 != key2))
        s = s->next;
    if (!s && create) {
        s = calloc(1, sizeof *s);
        if (!s)
            DET_THROW("out of memory for a sync object");
        s->addr = addr;
        s->key2 = key2;
        det_clock_init(&s->clock);
        det_clock_init(&s->read_clock);
        s->next = b->head;
        b->head = s;
        det_spin_unlock(&b->lock);
        page_add(s);
        return s;
    }
    det_spin_unlock(&b->lock);
    return s;
}

static void destroy(struct det_sync *s)
{
    atomic_fetch_add_explicit(&sync_generation, 1, memory_order_acq_rel);
    if (s->ever_locked)
        det_lock_forget(s->addr);
    struct bucket *b = &buckets[hash_key(s->addr, s->key2)];
    det_spin_lock(&b->lock);
    struct det_sync **ps = &b->head;
    while (*ps && *ps != s)
        ps = &(*ps)->next;
    if (*ps)
        *ps = s->next;
    det_spin_unlock(&b->lock);
    /* Nobody can find it now; a thread inside det_acquire/release with it
     * holds its lock: wait for that to finish. */
    det_spin_lock(&s->lock);
    det_spin_unlock(&s->lock);
    det_clock_free(&s->clock);
    det_clock_free(&s->read_clock);
    free((void *)s->chan_slots);
    free(s);
}

void det_sync_free(uintptr_t addr, uint64_t key2)
{
    struct det_sync *s = det_sync_get(addr, key2, false);
    if (!s)
        return;
    page_remove(s);
    destroy(s);
}

void det_sync_free_range(uintptr_t lo, uintptr_t hi)
{
    if (hi <= lo)
        return;
    for (uintptr_t page = lo >> 12; page <= (hi - 1) >> 12; page++) {
        struct page_bucket *pb = page_bucket_of(page);
        /* Most pages of a dead goroutine's stack hold no sync object, and
         * most buckets are empty: skip those without the lock. (An object
         * being made in the range right now would be a use of memory that
         * is being freed.) */
        if (!__atomic_load_n(&pb->head, __ATOMIC_ACQUIRE))
            continue;
        /* Unlink the objects of this page that fall in the range. */
        struct det_sync *doomed = NULL;
        det_spin_lock(&pb->lock);
        struct page_entry **pe = &pb->head;
        while (*pe && (*pe)->page != page)
            pe = &(*pe)->next;
        if (*pe) {
            struct det_sync **ps = &(*pe)->objs;
            while (*ps) {
                struct det_sync *s = *ps;
                if (s->addr >= lo && s->addr < hi) {
                    *ps = s->page_next;
                    s->page_next = doomed;
                    doomed = s;
                } else {
                    ps = &s->page_next;
                }
            }
            if (!(*pe)->objs) {
                struct page_entry *dead = *pe;
                __atomic_store_n(pe, dead->next, __ATOMIC_RELEASE);
                free(dead);
            }
        }
        det_spin_unlock(&pb->lock);
        while (doomed) {
            struct det_sync *next = doomed->page_next;
            destroy(doomed);
            doomed = next;
        }
    }
}

/* ---- happens-before ----------------------------------------------------------- */

void det_acquire(struct det_thread *t, struct det_sync *s)
{
    det_spin_lock(&s->lock);
    det_clock_join(&t->clock, &s->clock);
    det_spin_unlock(&s->lock);
}

void det_release(struct det_thread *t, struct det_sync *s)
{
    det_spin_lock(&s->lock);
    det_clock_join(&s->clock, &t->clock);
    det_spin_unlock(&s->lock);
    det_release_epoch(t);
}

void det_release_store(struct det_thread *t, struct det_sync *s)
{
    det_spin_lock(&s->lock);
    det_clock_copy(&s->clock, &t->clock);
    det_spin_unlock(&s->lock);
    det_release_epoch(t);
}

void det_acquire_addr(struct det_thread *t, uintptr_t addr)
{
    struct det_sync *s = det_sync_get(addr, 0, false);
    if (s)
        det_acquire(t, s);
}

void det_release_addr(struct det_thread *t, uintptr_t addr)
{
    det_release(t, det_sync_get(addr, 0, true));
}
