/* SPDX-License-Identifier: MIT */
/*
 * This file implements the __tsan_atomic* entry points: every C11/GCC
 * atomic operation of instrumented code, for 8- to 128-bit operands.
 *
 * An atomic operation is an atomic access (it races with plain accesses to
 * the same bytes, never with other atomics) and, depending on its memory
 * order, a synchronization: acquire orders (acquire, acq_rel, seq_cst, and
 * consume treated as acquire) join the variable's clock into the thread's,
 * release orders join the thread's clock into the variable's; relaxed ones
 * synchronize nothing. As in TSan, the operation itself is done while the
 * variable's sync object is locked, so that the value a thread reads and
 * the clock it acquires belong together. Stores release-store (the
 * variable's clock becomes the thread's); read-modify-writes release-merge,
 * which keeps release sequences (a relaxed RMW in between does not cut the
 * edge from an earlier release store).
 *
 * Fences are performed but not modelled (TSan's choice too): code that
 * synchronizes only through relaxed atomics and fences may see false
 * reports.
 */
#define _GNU_SOURCE
#include <stdint.h>

#include "detector_impl.h"

#define API __attribute__((visibility("default")))
#define PC() ((uintptr_t)__builtin_return_address(0))

enum { MO_RELAXED, MO_CONSUME, MO_ACQUIRE, MO_RELEASE, MO_ACQ_REL,
       MO_SEQ_CST };

static inline bool is_acquire(int mo)
{
    return mo == MO_CONSUME || mo == MO_ACQUIRE || mo == MO_ACQ_REL ||
           mo == MO_SEQ_CST;
}

static inline bool is_release(int mo)
{
    return mo == MO_RELEASE || mo == MO_ACQ_REL || mo == MO_SEQ_CST;
}

/* A 128-bit operation of the detector itself must be atomic: with the
 * sync object locked around it, a plain one would do for other detected
 * operations, but not against the program's uninstrumented code. */
typedef int8_t a8;
typedef int16_t a16;
typedef int32_t a32;
typedef int64_t a64;
typedef __int128 a128;

/* sync_begin locks the variable's sync object (created if release) and
 * acquires from it if acquire. Returns NULL when there is nothing to do. */
static inline struct det_sync *sync_begin(struct det_thread *t, uintptr_t a,
                                          bool acq, bool rel)
{
    if (!acq && !rel)
        return NULL;
    struct det_sync *s = det_sync_get(a, 0, rel);
    if (!s)
        return NULL;
    det_spin_lock(&s->lock);
    if (acq)
        det_clock_join(&t->clock, &s->clock);
    return s;
}

static inline void sync_end(struct det_thread *t, struct det_sync *s,
                            bool rel, bool store)
{
    if (!s)
        return;
    if (rel) {
        if (store)
            det_clock_copy(&s->clock, &t->clock);
        else
            det_clock_join(&s->clock, &t->clock);
    }
    det_spin_unlock(&s->lock);
    if (rel)
        det_release_epoch(t);
}

static inline bool active(struct det_thread *t)
{
    return !(t->ignore | t->in_runtime);
}

#define LOAD(n)                                                                \
    API a##n __tsan_atomic##n##_load(const volatile a##n *a, int mo)           \
    {                                                                          \
        struct det_thread *t = det_cur();                                      \
        if (!active(t))                                                        \
            return __atomic_load_n(a, __ATOMIC_SEQ_CST);                       \
        det_access(t, (uintptr_t)a, n / 8, false, true, PC());                 \
        struct det_sync *s = sync_begin(t, (uintptr_t)a, is_acquire(mo),       \
                                        false);                                \
        a##n v = __atomic_load_n(a, __ATOMIC_SEQ_CST);                         \
        sync_end(t, s, false, false);                                          \
        return v;                                                              \
    }

#define STORE(n)                                                               \
    API void __tsan_atomic##n##_store(volatile a##n *a, a##n v, int mo)        \
    {                                                                          \
        struct det_thread *t = det_cur();                                      \
        if (!active(t)) {                                                      \
            __atomic_store_n(a, v, __ATOMIC_SEQ_CST);                          \
            return;                                                            \
        }                                                                      \
        det_access(t, (uintptr_t)a, n / 8, true, true, PC());                  \
        bool rel = is_release(mo);                                             \
        struct det_sync *s = sync_begin(t, (uintptr_t)a, false, rel);          \
        __atomic_store_n(a, v, __ATOMIC_SEQ_CST);                              \
        sync_end(t, s, rel, true);                                             \
    }

#define RMW(n, name, op)                                                       \
    API a##n __tsan_atomic##n##_##name(volatile a##n *a, a##n v, int mo)       \
    {                                                                          \
        struct det_thread *t = det_cur();                                      \
        if (!active(t))                                                        \
            return op(a, v, __ATOMIC_SEQ_CST);                                 \
        det_access(t, (uintptr_t)a, n / 8, true, true, PC());                  \
        bool acq = is_acquire(mo), rel = is_release(mo);                       \
        struct det_sync *s = sync_begin(t, (uintptr_t)a, acq, rel);            \
        a##n old = op(a, v, __ATOMIC_SEQ_CST);                                 \
        sync_end(t, s, rel, false);                                            \
        return old;                                                            \
    }

#define CAS(n)                                                                 \
    static a##n cas##n(volatile a##n *a, a##n *cmp, a##n v, int mo, int fmo,  \
                       bool weak, bool *ok, uintptr_t pc)                      \
    {                                                                          \
        struct det_thread *t = det_cur();                                      \
        if (!active(t)) {                                                      \
            *ok = __atomic_compare_exchange_n(a, cmp, v, weak,                 \
                                              __ATOMIC_SEQ_CST,                \
                                              __ATOMIC_SEQ_CST);               \
            return *cmp;                                                       \
        }                                                                      \
        det_access(t, (uintptr_t)a, n / 8, true, true, pc);                    \
        bool acq = is_acquire(mo) || is_acquire(fmo), rel = is_release(mo);    \
        struct det_sync *s = sync_begin(t, (uintptr_t)a, acq, rel);            \
        *ok = __atomic_compare_exchange_n(a, cmp, v, weak, __ATOMIC_SEQ_CST,   \
                                          __ATOMIC_SEQ_CST);                   \
        /* A failed CAS is only a load: it releases nothing. */                \
        sync_end(t, s, rel && *ok, false);                                     \
        return *cmp;                                                           \
    }                                                                          \
    API int __tsan_atomic##n##_compare_exchange_strong(                        \
        volatile a##n *a, a##n *c, a##n v, int mo, int fmo)                    \
    {                                                                          \
        bool ok;                                                               \
        cas##n(a, c, v, mo, fmo, false, &ok, PC());                            \
        return ok;                                                             \
    }                                                                          \
    API int __tsan_atomic##n##_compare_exchange_weak(                          \
        volatile a##n *a, a##n *c, a##n v, int mo, int fmo)                    \
    {                                                                          \
        bool ok;                                                               \
        cas##n(a, c, v, mo, fmo, true, &ok, PC());                             \
        return ok;                                                             \
    }                                                                          \
    API a##n __tsan_atomic##n##_compare_exchange_val(                          \
        volatile a##n *a, a##n c, a##n v, int mo, int fmo)                     \
    {                                                                          \
        bool ok;                                                               \
        return cas##n(a, &c, v, mo, fmo, false, &ok, PC());                    \
    }

#define XCHG(a, v, mo) __atomic_exchange_n(a, v, mo)

#define ALL(n)                                                                 \
    LOAD(n)                                                                    \
    STORE(n)                                                                   \
    RMW(n, exchange, XCHG)                                                     \
    RMW(n, fetch_add, __atomic_fetch_add)                                      \
    RMW(n, fetch_sub, __atomic_fetch_sub)                                      \
    RMW(n, fetch_and, __atomic_fetch_and)                                      \
    RMW(n, fetch_or, __atomic_fetch_or)                                        \
    RMW(n, fetch_xor, __atomic_fetch_xor)                                      \
    RMW(n, fetch_nand, __atomic_fetch_nand)                                    \
    CAS(n)

ALL(8)
ALL(16)
ALL(32)
ALL(64)
ALL(128)

API void __tsan_atomic_thread_fence(int mo)
{
    (void)mo;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
}

API void __tsan_atomic_signal_fence(int mo)
{
    (void)mo;
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
}
