/* SPDX-License-Identifier: MIT */
/*
 * Trace events and the inline writer of the most frequent one, the memory
 * access (trace.c has the rest: parts, recycling, replay).
 *
 * Events are 64-bit words; bits 61-63 give the kind:
 *   ACCESS        write<<60 | atomic<<59 | size<<52 | pc(48), then addr
 *   ACCESS_NEAR   write<<60 | atomic<<59 | (size-1)<<56 | pc delta<<47 |
 *                 addr(47): one word, when the access's pc is within
 *                 [-256, 255] bytes of the previous access's pc in this part
 *                 (9-bit two's complement) and addr fits 47 bits
 *   RANGE         write<<60 | pc, then addr, then size
 *   ENTRY         pc
 *   EXIT
 *   EPOCH         slot<<40 | epoch(40)
 *
 * "The previous access's pc" is t->trace_pc, which every ACCESS and
 * ACCESS_NEAR sets and the start of a part resets to 0: a replay follows
 * it from the part's start, so a part can be read on its own.
 *
 * Accesses dominate a trace (a loop writes one per word it touches in a
 * new epoch), and a loop body's accesses sit a few dozen bytes apart: most
 * take 8 bytes, as in TSan, instead of 16.
 */
#ifndef GOSAN_DETECTOR_TRACE_H
#define GOSAN_DETECTOR_TRACE_H

#include "detector_impl.h"

#define EV_ACCESS 0ull
#define EV_RANGE 1ull
#define EV_ENTRY 2ull
#define EV_EXIT 3ull
#define EV_EPOCH 4ull
#define EV_ACCESS_NEAR 5ull
#define EV_KIND(w) ((w) >> 61)
#define EV_PC(w) ((w) & ((1ull << 48) - 1))
#define EV_NEAR_ADDR_BITS 47
#define EV_NEAR_DELTA_BITS 9
#define FIRST_PART_WORDS 256
#define PART_WORDS 2048

struct det_trace_part {
    struct det_trace_part *next;
    det_epoch start_epoch;
    uint16_t start_slot;
    uint32_t start_depth;
    uintptr_t *start_stack;
    uint32_t start_stack_cap;
    _Atomic uint32_t n;
    uint32_t cap;
    uint64_t ev[];
};

/* det_trace_next_part makes room: t's trace gets a fresh current part. */
void det_trace_next_part(struct det_thread *t);

/* trace_reserve returns room for k words in t's current part. */
static DET_ALWAYS_INLINE uint64_t *trace_reserve(struct det_thread *t,
                                                 uint32_t k)
{
    struct det_trace_part *p = t->trace_tail;
    uint32_t n = atomic_load_explicit(&p->n, memory_order_relaxed);
    if (det_unlikely(n + k > p->cap)) {
        det_trace_next_part(t);
        p = t->trace_tail;
        n = 0;
    }
    return &p->ev[n];
}

/* trace_commit publishes the k words written after trace_reserve. */
static DET_ALWAYS_INLINE void trace_commit(struct det_thread *t, uint32_t k)
{
    struct det_trace_part *p = t->trace_tail;
    uint32_t n = atomic_load_explicit(&p->n, memory_order_relaxed);
    atomic_store_explicit(&p->n, n + k, memory_order_release);
}

/* det_trace_access records an access of size bytes (1..8 when it comes
 * from a word check; up to 31 otherwise) at addr by the code at pc. */
static DET_ALWAYS_INLINE void det_trace_access(struct det_thread *t,
                                               uintptr_t addr, uint8_t size,
                                               bool write, bool atomic,
                                               uintptr_t pc)
{
    uint64_t *w = trace_reserve(t, 2);
    /* After trace_reserve: a new part resets trace_pc. */
    int64_t delta = (int64_t)(pc - t->trace_pc);
    t->trace_pc = pc;
    if (det_likely(delta >= -(1 << (EV_NEAR_DELTA_BITS - 1)) &&
                   delta < (1 << (EV_NEAR_DELTA_BITS - 1)) &&
                   addr < (1ull << EV_NEAR_ADDR_BITS) && size >= 1 &&
                   size <= 8)) {
        w[0] = EV_ACCESS_NEAR << 61 | (uint64_t)write << 60 |
               (uint64_t)atomic << 59 | (uint64_t)(size - 1) << 56 |
               ((uint64_t)delta & ((1u << EV_NEAR_DELTA_BITS) - 1))
                   << EV_NEAR_ADDR_BITS |
               addr;
        trace_commit(t, 1);
        return;
    }
    w[0] = EV_ACCESS << 61 | (uint64_t)write << 60 | (uint64_t)atomic << 59 |
           (uint64_t)(size & 31) << 52 | EV_PC(pc);
    w[1] = addr;
    trace_commit(t, 2);
}

#endif
