/* SPDX-License-Identifier: MIT */
/*
 * This file implements traces: each thread's recent events (accesses,
 * function entries and exits, epoch changes), kept so that a race report
 * can show the stack of the *previous* access, which happened long before
 * the race was noticed. TSan v3 does the same: the shadow cell names a
 * (slot, epoch); the report finds that slot's owner and replays its trace
 * from a known point (the start of a part, which stores the call stack of
 * that moment) up to the access.
 *
 * A trace is a list of parts; a full part makes room by recycling the
 * oldest once the thread has 2 << history_size parts. The first part is
 * small so that a parked goroutine that did little costs little.
 *
 * Events are 64-bit words; trace.h has their format. An access costs one
 * word when its pc is near the previous access's (a loop body), else two.
 *
 * Only the owner writes its trace; a report reads it under trace_lock,
 * which the owner takes to recycle a part. Readers read up to part->n,
 * published with release order after the events.
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include "detector_impl.h"
#include "trace.h"

static uint32_t max_parts(void)
{
    int h = rep_options()->history_size;
    if (h < 0)
        h = 0;
    if (h > 7)
        h = 7;
    return 2u << h;
}

static struct det_trace_part *part_new(uint32_t words)
{
    struct det_trace_part *p = malloc(sizeof *p + words * sizeof(uint64_t));
    if (!p)
        DET_THROW("out of memory for a trace part");
    memset(p, 0, sizeof *p);
    p->cap = words;
    return p;
}

/* part_start records where the part begins: epoch, slot, call stack. */
static void part_start(struct det_thread *t, struct det_trace_part *p)
{
    p->next = NULL;
    p->start_epoch = t->epoch;
    p->start_slot = t->slot;
    p->start_depth = t->depth;
    t->trace_pc = 0; /* a replay starts each part from pc 0 (trace.h) */
    if (t->depth > p->start_stack_cap) {
        free(p->start_stack);
        p->start_stack = malloc(t->depth * sizeof *p->start_stack);
        if (!p->start_stack)
            DET_THROW("out of memory for a trace part");
        p->start_stack_cap = t->depth;
    }
    if (t->depth)
        memcpy(p->start_stack, t->stack, t->depth * sizeof *t->stack);
    atomic_store_explicit(&p->n, 0, memory_order_release);
}

void det_trace_init(struct det_thread *t)
{
    det_trace_init_with(t, NULL);
}

void det_trace_init_with(struct det_thread *t, struct det_trace_part *p)
{
    if (!p)
        p = part_new(FIRST_PART_WORDS);
    part_start(t, p);
    t->trace_head = t->trace_tail = p;
    t->trace_parts = 1;
}

struct det_trace_part *det_trace_recycle(struct det_thread *t)
{
    struct det_trace_part *keep = NULL, *p = t->trace_head;
    while (p) {
        struct det_trace_part *next = p->next;
        if (!keep && p->cap == FIRST_PART_WORDS) {
            keep = p;
            keep->next = NULL;
        } else {
            free(p->start_stack);
            free(p);
        }
        p = next;
    }
    t->trace_head = t->trace_tail = NULL;
    return keep;
}

void det_trace_free(struct det_thread *t)
{
    struct det_trace_part *p = t->trace_head;
    while (p) {
        struct det_trace_part *next = p->next;
        free(p->start_stack);
        free(p);
        p = next;
    }
    t->trace_head = t->trace_tail = NULL;
}

/* det_trace_next_part makes room for more events: a new part while the
 * trace may grow, else the oldest part, recycled. */
DET_NOINLINE void det_trace_next_part(struct det_thread *t)
{
    struct det_trace_part *p;
    det_enter(t);
    if (t->trace_parts < max_parts()) {
        p = part_new(PART_WORDS);
        t->trace_parts++;
    } else {
        det_spin_lock(&t->trace_lock);
        p = t->trace_head;
        t->trace_head = p->next;
        det_spin_unlock(&t->trace_lock);
    }
    part_start(t, p);
    det_spin_lock(&t->trace_lock);
    t->trace_tail->next = p;
    t->trace_tail = p;
    if (!t->trace_head)
        t->trace_head = p;
    det_spin_unlock(&t->trace_lock);
    det_leave(t);
}

void det_trace_range(struct det_thread *t, uintptr_t addr, size_t size,
                     bool write, uintptr_t pc)
{
    uint64_t *w = trace_reserve(t, 3);
    w[0] = EV_RANGE << 61 | (uint64_t)write << 60 | EV_PC(pc);
    w[1] = addr;
    w[2] = size;
    trace_commit(t, 3);
}

void det_trace_func_entry(struct det_thread *t, uintptr_t pc)
{
    uint64_t *w = trace_reserve(t, 1);
    w[0] = EV_ENTRY << 61 | EV_PC(pc);
    trace_commit(t, 1);
}

void det_trace_func_exit(struct det_thread *t)
{
    uint64_t *w = trace_reserve(t, 1);
    w[0] = EV_EXIT << 61;
    trace_commit(t, 1);
}

void det_trace_epoch(struct det_thread *t)
{
    uint64_t *w = trace_reserve(t, 1);
    w[0] = EV_EPOCH << 61 | (uint64_t)t->slot << 40 | (t->epoch &
                                                        DET_EPOCH_MAX);
    trace_commit(t, 1);
}

/* ---- replay ------------------------------------------------------------------ */

struct replay {
    uintptr_t *stack;
    uint32_t depth, cap;
};

static void replay_push(struct replay *r, uintptr_t pc)
{
    if (r->depth == r->cap) {
        uint32_t cap = r->cap ? r->cap * 2 : 64;
        uintptr_t *s = realloc(r->stack, cap * sizeof *s);
        if (!s)
            return;
        r->stack = s;
        r->cap = cap;
    }
    r->stack[r->depth++] = pc;
}

/* overlaps: does [a, a+size) touch bytes `mask` of the word at word? */
static bool overlaps(uintptr_t a, uint64_t size, uintptr_t word, uint8_t mask)
{
    uintptr_t lo = a > word ? a : word;
    uintptr_t hi = a + size < word + 8 ? a + size : word + 8;
    for (uintptr_t b = lo; b < hi; b++)
        if (mask & (1u << (b - word)))
            return true;
    return false;
}

static int result(struct replay *r, uintptr_t pc, uintptr_t *pcs, int max)
{
    int n = 0;
    if (max > 0)
        pcs[n++] = pc;
    for (uint32_t i = r->depth; i > 0 && n < max; i--)
        pcs[n++] = r->stack[i - 1];
    return n;
}

int det_trace_find(struct det_thread *t, uint16_t slot, det_epoch e,
                   uintptr_t word_addr, uint8_t mask, bool write,
                   uintptr_t *pcs, int max, uintptr_t *access_addr)
{
    struct replay r = { NULL, 0, 0 };
    int found = 0;
    det_spin_lock(&t->trace_lock);
    for (struct det_trace_part *p = t->trace_head; p && !found; p = p->next) {
        r.depth = 0;
        for (uint32_t i = 0; i < p->start_depth; i++)
            replay_push(&r, p->start_stack[i]);
        det_epoch epoch = p->start_epoch;
        uint16_t cur_slot = p->start_slot;
        uintptr_t last_pc = 0;
        uint32_t n = atomic_load_explicit(&p->n, memory_order_acquire);
        for (uint32_t i = 0; i < n && !found;) {
            uint64_t w = p->ev[i];
            switch (EV_KIND(w)) {
            case EV_ACCESS: {
                uintptr_t a = i + 1 < n ? p->ev[i + 1] : 0;
                uint64_t size = (w >> 52) & 31;
                bool is_write = (w >> 60) & 1;
                last_pc = EV_PC(w);
                if (epoch == e && cur_slot == slot && is_write == write &&
                    overlaps(a, size, word_addr, mask)) {
                    found = result(&r, last_pc, pcs, max);
                    *access_addr = a;
                }
                i += 2;
                break;
            }
            case EV_ACCESS_NEAR: {
                uintptr_t a = w & ((1ull << EV_NEAR_ADDR_BITS) - 1);
                uint64_t size = ((w >> 56) & 7) + 1;
                bool is_write = (w >> 60) & 1;
                uint64_t field = (w >> EV_NEAR_ADDR_BITS) &
                                 ((1u << EV_NEAR_DELTA_BITS) - 1);
                int64_t delta = (int64_t)field -
                                (field >> (EV_NEAR_DELTA_BITS - 1)
                                     ? (1 << EV_NEAR_DELTA_BITS)
                                     : 0);
                last_pc += (uintptr_t)delta;
                if (epoch == e && cur_slot == slot && is_write == write &&
                    overlaps(a, size, word_addr, mask)) {
                    found = result(&r, last_pc, pcs, max);
                    *access_addr = a;
                }
                i++;
                break;
            }
            case EV_RANGE: {
                uintptr_t a = i + 1 < n ? p->ev[i + 1] : 0;
                uint64_t size = i + 2 < n ? p->ev[i + 2] : 0;
                bool is_write = (w >> 60) & 1;
                if (epoch == e && cur_slot == slot && is_write == write &&
                    overlaps(a, size, word_addr, mask)) {
                    found = result(&r, EV_PC(w), pcs, max);
                    *access_addr = word_addr;
                }
                i += 3;
                break;
            }
            case EV_ENTRY:
                replay_push(&r, EV_PC(w));
                i++;
                break;
            case EV_EXIT:
                if (r.depth)
                    r.depth--;
                i++;
                break;
            case EV_EPOCH:
                epoch = w & DET_EPOCH_MAX;
                cur_slot = (uint16_t)((w >> 40) & 0xffff);
                i++;
                break;
            default:
                i++;
                break;
            }
        }
    }
    det_spin_unlock(&t->trace_lock);
    free(r.stack);
    return found;
}
