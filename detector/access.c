/* SPDX-License-Identifier: MIT */
/*
 * This file implements the check of a memory access against the shadow:
 * the hot path of the race detector (FastTrack's epochs on TSan's cells).
 *
 * An access of t to bytes `mask` of a word compares with each of the
 * word's four cells. A cell conflicts when its bytes overlap, it was made
 * by another slot, one of the two accesses writes, not both are atomic,
 * and its epoch is not covered by t's clock (no happens-before). Then the
 * access is recorded in a cell: one of t's own with the same bytes, else an
 * empty one, else one that t's clock already covers and that the new
 * access may stand for, else a pseudo-random one (an eviction: TSan's
 * trade-off, accepted for O(1) checks), a read rather than a write when a
 * read is recorded.
 *
 * "May stand for": an access that happens after a covered one reports
 * every race the covered one would — against later writes, and, when the
 * new access is a write, later reads — by transitivity. A read cannot
 * stand for a covered write: a later unordered read would race with the
 * write and not with the read. So a read replaces only covered reads.
 *
 * The common case is cheaper still: if a cell already records this very
 * access (same slot, epoch, bytes and kind) — a loop touching the same
 * word again before any synchronization — nothing else is done, not even
 * tracing (FastTrack's same-epoch fast path). A write recorded in this
 * epoch also covers a later read of the same bytes.
 *
 * Shadow cells are read and written with relaxed atomics and no lock: two
 * threads updating one word's cells at once may lose one update (a missed
 * race, never a false one).
 */
#define _GNU_SOURCE
#include "detector_impl.h"
#include "trace.h"

#define READ_BIT (1ull << 56)

static DET_ALWAYS_INLINE uint64_t load_cell(uint64_t *c)
{
    return __atomic_load_n(c, __ATOMIC_RELAXED);
}

static DET_ALWAYS_INLINE void store_cell(uint64_t *c, uint64_t v)
{
    __atomic_store_n(c, v, __ATOMIC_RELAXED);
}

static DET_NOINLINE void check_word(struct det_thread *t, uint64_t *cells,
                                    uint64_t cur, uintptr_t addr,
                                    uint8_t size, bool write, bool atomic,
                                    uintptr_t pc, bool trace)
{
    uint8_t mask = CELL_MASK(cur);
    int store = -1, covered = -1, empty = -1;
    uint64_t racy = 0;
    for (int i = 0; i < DET_CELLS; i++) {
        uint64_t c = load_cell(&cells[i]);
        if (c == 0) {
            if (empty < 0)
                empty = i;
            continue;
        }
        uint16_t cs = CELL_SLOT(c);
        if (cs == t->slot) {
            /* Our own earlier access: replace it if the new one is at
             * least as strong over the same bytes. */
            if (CELL_MASK(c) == mask && (write || CELL_READ(c)) && store < 0)
                store = i;
            continue;
        }
        bool ordered = cs < t->clock.n && CELL_EPOCH(c) <= t->clock.e[cs];
        if (ordered) {
            if (covered < 0 && (write || CELL_READ(c)))
                covered = i;
            continue;
        }
        if (!(CELL_MASK(c) & mask))
            continue;
        if (CELL_READ(c) && !write)
            continue;
        if (CELL_ATOMIC(c) && atomic)
            continue;
        if (!racy)
            racy = c;
    }
    if (trace)
        det_trace_access(t, addr, size, write, atomic, pc);
    if (store < 0)
        store = empty >= 0 ? empty : covered;
    if (store < 0) {
        int start = (int)((t->epoch ^ (addr >> 3)) % DET_CELLS);
        store = start;
        for (int k = 0; !write && k < DET_CELLS; k++) {
            int i = (start + k) % DET_CELLS;
            if (CELL_READ(load_cell(&cells[i]))) {
                store = i;
                break;
            }
        }
    }
    store_cell(&cells[store], cur);
    if (det_unlikely(racy != 0))
        det_report_race(t, addr, size, write, atomic, pc, racy,
                        addr & ~(uintptr_t)7);
}

/* access_word checks the bytes of one word; addr and size stay inside it. */
static DET_ALWAYS_INLINE void access_word(struct det_thread *t, uintptr_t addr,
                                          uint8_t size, bool write,
                                          bool atomic, uintptr_t pc,
                                          bool trace)
{
    uint64_t *cells = det_shadow(addr);
    if (det_unlikely(!cells))
        return;
    uint8_t mask = (uint8_t)(((1u << size) - 1) << (addr & 7));
    uint64_t cur = MAKE_CELL(t->epoch, t->slot, mask, !write, atomic);
    /* Same-epoch fast path: this access (or a write covering this read) is
     * already recorded. */
    uint64_t as_write = cur & ~READ_BIT;
    for (int i = 0; i < DET_CELLS; i++) {
        uint64_t c = load_cell(&cells[i]);
        if (c == cur || c == as_write)
            return;
    }
    check_word(t, cells, cur, addr, size, write, atomic, pc, trace);
}

DET_ALWAYS_INLINE void det_access(struct det_thread *t, uintptr_t addr,
                                  size_t size, bool write, bool atomic,
                                  uintptr_t pc)
{
    if (det_unlikely(t->ignore | t->in_runtime))
        return;
    if (det_unlikely(t->slot == DET_NO_SLOT))
        det_thread_need_slot(t);
    /* Nearly every access lies inside one word: with size a constant (the
     * entry points), this branch leaves a straight line. */
    if (det_likely((addr & 7) + size <= 8)) {
        access_word(t, addr, (uint8_t)size, write, atomic, pc, true);
        return;
    }
    while (size > 0) {
        size_t off = addr & 7;
        size_t n = 8 - off < size ? 8 - off : size;
        access_word(t, addr, (uint8_t)n, write, atomic, pc, true);
        addr += n;
        size -= n;
    }
}

/* Ranges (memcpy, memset...) are traced as one event, then checked word by
 * word: a megabyte copy must not flush the trace. */
void det_access_range(struct det_thread *t, uintptr_t addr, size_t size,
                      bool write, uintptr_t pc)
{
    if (det_unlikely(t->ignore | t->in_runtime) || size == 0)
        return;
    if (size <= 16) {
        det_access(t, addr, size, write, false, pc);
        return;
    }
    if (det_unlikely(t->slot == DET_NO_SLOT))
        det_thread_need_slot(t);
    det_trace_range(t, addr, size, write, pc);
    while (size > 0) {
        size_t off = addr & 7;
        size_t n = 8 - off < size ? 8 - off : size;
        access_word(t, addr, (uint8_t)n, write, false, pc, false);
        addr += n;
        size -= n;
    }
}

/* ---- the compiler's entry points for plain accesses ---------------------------
 * Here rather than in tsan_api.c so that the access check inlines into
 * them: they are called for every instrumented load and store. The pc is
 * the return address into the instrumented function. */

#define PC() ((uintptr_t)__builtin_return_address(0))
#define API __attribute__((visibility("default")))

#define ACCESS_ENTRY(n)                                                       \
    API void __tsan_read##n(void *addr)                                       \
    {                                                                         \
        det_access(det_cur(), (uintptr_t)addr, n, false, false, PC());        \
    }                                                                         \
    API void __tsan_write##n(void *addr)                                      \
    {                                                                         \
        det_access(det_cur(), (uintptr_t)addr, n, true, false, PC());         \
    }                                                                         \
    API void __tsan_unaligned_read##n(void *addr)                             \
    {                                                                         \
        det_access(det_cur(), (uintptr_t)addr, n, false, false, PC());        \
    }                                                                         \
    API void __tsan_unaligned_write##n(void *addr)                            \
    {                                                                         \
        det_access(det_cur(), (uintptr_t)addr, n, true, false, PC());         \
    }                                                                         \
    API void __tsan_volatile_read##n(void *addr)                              \
    {                                                                         \
        det_access(det_cur(), (uintptr_t)addr, n, false, false, PC());        \
    }                                                                         \
    API void __tsan_volatile_write##n(void *addr)                             \
    {                                                                         \
        det_access(det_cur(), (uintptr_t)addr, n, true, false, PC());         \
    }                                                                         \
    API void __tsan_unaligned_volatile_read##n(void *addr)                    \
    {                                                                         \
        det_access(det_cur(), (uintptr_t)addr, n, false, false, PC());        \
    }                                                                         \
    API void __tsan_unaligned_volatile_write##n(void *addr)                   \
    {                                                                         \
        det_access(det_cur(), (uintptr_t)addr, n, true, false, PC());         \
    }                                                                         \
    API void __tsan_read##n##_pc(void *addr, void *pc)                        \
    {                                                                         \
        det_access(det_cur(), (uintptr_t)addr, n, false, false,               \
                   (uintptr_t)pc);                                            \
    }                                                                         \
    API void __tsan_write##n##_pc(void *addr, void *pc)                       \
    {                                                                         \
        det_access(det_cur(), (uintptr_t)addr, n, true, false,                \
                   (uintptr_t)pc);                                            \
    }

ACCESS_ENTRY(1)
ACCESS_ENTRY(2)
ACCESS_ENTRY(4)
ACCESS_ENTRY(8)
ACCESS_ENTRY(16)

API void __tsan_read_range(void *addr, unsigned long size)
{
    det_access_range(det_cur(), (uintptr_t)addr, size, false, PC());
}

API void __tsan_write_range(void *addr, unsigned long size)
{
    det_access_range(det_cur(), (uintptr_t)addr, size, true, PC());
}

API void __tsan_read_range_pc(void *addr, unsigned long size, void *pc)
{
    det_access_range(det_cur(), (uintptr_t)addr, size, false, (uintptr_t)pc);
}

API void __tsan_write_range_pc(void *addr, unsigned long size, void *pc)
{
    det_access_range(det_cur(), (uintptr_t)addr, size, true, (uintptr_t)pc);
}
