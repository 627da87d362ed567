/* SPDX-License-Identifier: MIT */
/*
 * This file implements the stack depot: every distinct call stack is
 * stored once and named by a 32-bit id (TSan's StackDepot). Creation
 * stacks of goroutines, allocation stacks of heap blocks and the stacks of
 * lock acquisitions are kept as ids: a few bytes per record instead of a
 * few hundred.
 *
 * An open-addressing table of ids, keyed by a hash of the pcs; the pcs
 * live in chunks that are never freed (stacks are few: the distinct code
 * paths of the program).
 */
#define _GNU_SOURCE
#define UNW_LOCAL_ONLY
#include <libunwind.h>
#include <stdlib.h>
#include <string.h>

#include "detector_impl.h"

struct entry {
    uint64_t hash;
    uint32_t n;
    uintptr_t *pcs;
};

static struct {
    struct det_spin lock;
    struct entry *entries;   /* by id; entries[0] is the empty stack */
    uint32_t nentries, cap;
    uint32_t *table;         /* open addressing: ids, 0 = empty */
    uint32_t table_size;     /* power of two */
    uintptr_t *chunk;        /* storage for pcs */
    size_t chunk_used, chunk_cap;
} depot;

static uint64_t hash_pcs(const uintptr_t *pcs, int n)
{
    uint64_t h = 0xcbf29ce484222325ull ^ (uint64_t)n;
    for (int i = 0; i < n; i++) {
        h ^= pcs[i];
        h *= 0x100000001b3ull;
        h ^= h >> 29;
    }
    return h;
}

static uintptr_t *store_pcs(const uintptr_t *pcs, int n)
{
    if (depot.chunk_used + (size_t)n > depot.chunk_cap) {
        size_t cap = 64 * 1024;
        if ((size_t)n > cap)
            cap = (size_t)n;
        depot.chunk = malloc(cap * sizeof *depot.chunk);
        if (!depot.chunk)
            DET_THROW("out of memory in the stack depot");
        depot.chunk_cap = cap;
        depot.chunk_used = 0;
    }
    uintptr_t *p = depot.chunk + depot.chunk_used;
    memcpy(p, pcs, (size_t)n * sizeof *pcs);
    depot.chunk_used += (size_t)n;
    return p;
}

static void grow_table(void)
{
    uint32_t size = depot.table_size ? depot.table_size * 2 : 4096;
    uint32_t *t = calloc(size, sizeof *t);
    if (!t)
        DET_THROW("out of memory in the stack depot");
    for (uint32_t id = 1; id < depot.nentries; id++) {
        uint32_t i = (uint32_t)depot.entries[id].hash & (size - 1);
        while (t[i])
            i = (i + 1) & (size - 1);
        t[i] = id;
    }
    free(depot.table);
    depot.table = t;
    depot.table_size = size;
}

uint32_t det_depot_put(const uintptr_t *pcs, int n)
{
    if (n <= 0)
        return 0;
    if (n > REP_MAX_FRAMES)
        n = REP_MAX_FRAMES;
    uint64_t h = hash_pcs(pcs, n);
    det_spin_lock(&depot.lock);
    if ((depot.nentries + 1) * 2 >= depot.table_size)
        grow_table();
    uint32_t i = (uint32_t)h & (depot.table_size - 1);
    for (;; i = (i + 1) & (depot.table_size - 1)) {
        uint32_t id = depot.table[i];
        if (!id)
            break;
        struct entry *e = &depot.entries[id];
        if (e->hash == h && e->n == (uint32_t)n &&
            !memcmp(e->pcs, pcs, (size_t)n * sizeof *pcs)) {
            det_spin_unlock(&depot.lock);
            return id;
        }
    }
    if (depot.nentries == 0)
        depot.nentries = 1; /* id 0 is "no stack" */
    if (depot.nentries >= depot.cap) {
        uint32_t cap = depot.cap ? depot.cap * 2 : 1024;
        struct entry *a = realloc(depot.entries, cap * sizeof *a);
        if (!a)
            DET_THROW("out of memory in the stack depot");
        depot.entries = a;
        depot.cap = cap;
    }
    uint32_t id = depot.nentries++;
    depot.entries[id] = (struct entry){ h, (uint32_t)n, store_pcs(pcs, n) };
    depot.table[i] = id;
    det_spin_unlock(&depot.lock);
    return id;
}

int det_depot_get(uint32_t id, const uintptr_t **pcs)
{
    det_spin_lock(&depot.lock);
    if (id == 0 || id >= depot.nentries) {
        det_spin_unlock(&depot.lock);
        *pcs = NULL;
        return 0;
    }
    /* Entries never move once stored (pcs live in chunks). */
    *pcs = depot.entries[id].pcs;
    int n = (int)depot.entries[id].n;
    det_spin_unlock(&depot.lock);
    return n;
}

uint32_t det_stack_here(int skip)
{
    uintptr_t pcs[REP_MAX_FRAMES];
    int n = rep_backtrace(pcs, REP_MAX_FRAMES, skip + 1);
    return det_depot_put(pcs, n);
}

int det_stack_of_thread(struct det_thread *t, uintptr_t pc, uintptr_t *pcs,
                        int max)
{
    int n = 0;
    if (pc && n < max)
        pcs[n++] = pc;
    for (uint32_t i = t->depth; i > 0 && n < max; i--)
        pcs[n++] = t->stack[i - 1];
    return n;
}

void det_depot_lock(bool lock)
{
    if (lock)
        det_spin_lock(&depot.lock);
    else
        det_spin_unlock(&depot.lock);
}
