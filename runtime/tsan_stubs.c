/* SPDX-License-Identifier: MIT */
/*
 * This file implements the entry points that code compiled with
 * -fsanitize=thread calls (the __tsan_* ABI of gcc and clang), as weak
 * definitions that do nothing but the operation itself: an object compiled
 * with -fsanitize=thread links against -lgosan without libtsan and runs at
 * near-native speed. When the detector (libgosan-detect.so) is preloaded,
 * its strong definitions come first in symbol lookup and take over.
 *
 * The atomic entry points must still be atomic operations: they perform
 * the operation with the requested memory order (the __tsan_memory_order
 * values are those of __ATOMIC_*). 128-bit operations use the compiler's
 * __atomic builtins on __int128, which fall back to libatomic.
 *
 * Also here: go_race_read/write/acquire/release (gosan/race.h), no-ops
 * without the detector.
 */
#include <stddef.h>
#include <stdint.h>

#include <gosan/race.h>

#define WEAK __attribute__((weak))

/* ---- plain accesses, function entry and exit ------------------------------- */

WEAK void __tsan_init(void) {}
WEAK void __tsan_func_entry(void *pc) { (void)pc; }
WEAK void __tsan_func_exit(void) {}
WEAK void __tsan_ignore_thread_begin(void) {}
WEAK void __tsan_ignore_thread_end(void) {}
WEAK void __tsan_read_range(void *addr, unsigned long size)
{
    (void)addr;
    (void)size;
}
WEAK void __tsan_write_range(void *addr, unsigned long size)
{
    (void)addr;
    (void)size;
}
WEAK void __tsan_read_range_pc(void *addr, unsigned long size, void *pc)
{
    (void)addr;
    (void)size;
    (void)pc;
}
WEAK void __tsan_write_range_pc(void *addr, unsigned long size, void *pc)
{
    (void)addr;
    (void)size;
    (void)pc;
}
WEAK void __tsan_vptr_read(void **vptr) { (void)vptr; }
WEAK void __tsan_vptr_update(void **vptr, void *val)
{
    (void)vptr;
    (void)val;
}
WEAK void __tsan_acquire(void *addr) { (void)addr; }
WEAK void __tsan_release(void *addr) { (void)addr; }

#define ACCESS_STUBS(n)                                                    \
    WEAK void __tsan_read##n(void *addr) { (void)addr; }                   \
    WEAK void __tsan_write##n(void *addr) { (void)addr; }                  \
    WEAK void __tsan_unaligned_read##n(void *addr) { (void)addr; }         \
    WEAK void __tsan_unaligned_write##n(void *addr) { (void)addr; }        \
    WEAK void __tsan_volatile_read##n(void *addr) { (void)addr; }          \
    WEAK void __tsan_volatile_write##n(void *addr) { (void)addr; }         \
    WEAK void __tsan_unaligned_volatile_read##n(void *addr) { (void)addr; }\
    WEAK void __tsan_unaligned_volatile_write##n(void *addr) { (void)addr; }\
    WEAK void __tsan_read##n##_pc(void *addr, void *pc)                    \
    {                                                                      \
        (void)addr;                                                        \
        (void)pc;                                                          \
    }                                                                      \
    WEAK void __tsan_write##n##_pc(void *addr, void *pc)                   \
    {                                                                      \
        (void)addr;                                                        \
        (void)pc;                                                          \
    }

ACCESS_STUBS(1)
ACCESS_STUBS(2)
ACCESS_STUBS(4)
ACCESS_STUBS(8)
ACCESS_STUBS(16)

/* ---- atomics ---------------------------------------------------------------- */

typedef int8_t a8;
typedef int16_t a16;
typedef int32_t a32;
typedef int64_t a64;
typedef __int128 a128;

#define ATOMIC_STUBS(n)                                                      \
    WEAK a##n __tsan_atomic##n##_load(const volatile a##n *a, int mo)        \
    {                                                                        \
        (void)mo;                                                            \
        return __atomic_load_n(a, __ATOMIC_SEQ_CST);                         \
    }                                                                        \
    WEAK void __tsan_atomic##n##_store(volatile a##n *a, a##n v, int mo)     \
    {                                                                        \
        (void)mo;                                                            \
        __atomic_store_n(a, v, __ATOMIC_SEQ_CST);                            \
    }                                                                        \
    WEAK a##n __tsan_atomic##n##_exchange(volatile a##n *a, a##n v, int mo)  \
    {                                                                        \
        (void)mo;                                                            \
        return __atomic_exchange_n(a, v, __ATOMIC_SEQ_CST);                  \
    }                                                                        \
    WEAK a##n __tsan_atomic##n##_fetch_add(volatile a##n *a, a##n v, int mo) \
    {                                                                        \
        (void)mo;                                                            \
        return __atomic_fetch_add(a, v, __ATOMIC_SEQ_CST);                   \
    }                                                                        \
    WEAK a##n __tsan_atomic##n##_fetch_sub(volatile a##n *a, a##n v, int mo) \
    {                                                                        \
        (void)mo;                                                            \
        return __atomic_fetch_sub(a, v, __ATOMIC_SEQ_CST);                   \
    }                                                                        \
    WEAK a##n __tsan_atomic##n##_fetch_and(volatile a##n *a, a##n v, int mo) \
    {                                                                        \
        (void)mo;                                                            \
        return __atomic_fetch_and(a, v, __ATOMIC_SEQ_CST);                   \
    }                                                                        \
    WEAK a##n __tsan_atomic##n##_fetch_or(volatile a##n *a, a##n v, int mo)  \
    {                                                                        \
        (void)mo;                                                            \
        return __atomic_fetch_or(a, v, __ATOMIC_SEQ_CST);                    \
    }                                                                        \
    WEAK a##n __tsan_atomic##n##_fetch_xor(volatile a##n *a, a##n v, int mo) \
    {                                                                        \
        (void)mo;                                                            \
        return __atomic_fetch_xor(a, v, __ATOMIC_SEQ_CST);                   \
    }                                                                        \
    WEAK a##n __tsan_atomic##n##_fetch_nand(volatile a##n *a, a##n v, int mo)\
    {                                                                        \
        (void)mo;                                                            \
        return __atomic_fetch_nand(a, v, __ATOMIC_SEQ_CST);                  \
    }                                                                        \
    WEAK int __tsan_atomic##n##_compare_exchange_strong(                     \
        volatile a##n *a, a##n *c, a##n v, int mo, int fmo)                  \
    {                                                                        \
        (void)mo;                                                            \
        (void)fmo;                                                           \
        return __atomic_compare_exchange_n(a, c, v, 0, __ATOMIC_SEQ_CST,     \
                                           __ATOMIC_SEQ_CST);                \
    }                                                                        \
    WEAK int __tsan_atomic##n##_compare_exchange_weak(                       \
        volatile a##n *a, a##n *c, a##n v, int mo, int fmo)                  \
    {                                                                        \
        (void)mo;                                                            \
        (void)fmo;                                                           \
        return __atomic_compare_exchange_n(a, c, v, 1, __ATOMIC_SEQ_CST,     \
                                           __ATOMIC_SEQ_CST);                \
    }                                                                        \
    WEAK a##n __tsan_atomic##n##_compare_exchange_val(                       \
        volatile a##n *a, a##n c, a##n v, int mo, int fmo)                   \
    {                                                                        \
        (void)mo;                                                            \
        (void)fmo;                                                           \
        __atomic_compare_exchange_n(a, &c, v, 0, __ATOMIC_SEQ_CST,           \
                                    __ATOMIC_SEQ_CST);                       \
        return c;                                                            \
    }

/* The requested order is at most seq_cst, and seq_cst is what every stub
 * gives: stronger than asked is always correct, and these stubs only run
 * in instrumented builds without the detector. */
ATOMIC_STUBS(8)
ATOMIC_STUBS(16)
ATOMIC_STUBS(32)
ATOMIC_STUBS(64)
ATOMIC_STUBS(128)

WEAK void __tsan_atomic_thread_fence(int mo)
{
    (void)mo;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
}

WEAK void __tsan_atomic_signal_fence(int mo)
{
    (void)mo;
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
}

/* ---- annotations (gosan/race.h) --------------------------------------------- */

WEAK void go_race_read(const void *addr, size_t size)
{
    (void)addr;
    (void)size;
}

WEAK void go_race_write(const void *addr, size_t size)
{
    (void)addr;
    (void)size;
}

WEAK void go_race_acquire(const void *sync_addr)
{
    (void)sync_addr;
}

WEAK void go_race_release(const void *sync_addr)
{
    (void)sync_addr;
}
