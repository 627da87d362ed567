/* SPDX-License-Identifier: MIT */
/*
 * This file implements the __tsan_* entry points other than plain accesses
 * (access.c) and atomics (tsan_atomic.c): initialization, function entry
 * and exit (the shadow call stack, and the trace events that let a report
 * rebuild an old access's stack), ignores, vptr accesses, and the
 * annotations (__tsan_acquire/release and gosan's go_race_*). Defined here
 * with default visibility, they take precedence over libgosan's weak
 * no-ops when this library is preloaded.
 */
#define _GNU_SOURCE
#include <stdlib.h>

#include <gosan/race.h>

#include "detector_impl.h"

#define API __attribute__((visibility("default")))
#define PC() ((uintptr_t)__builtin_return_address(0))

API void __tsan_init(void)
{
    det_init();
}

static DET_NOINLINE void grow_stack(struct det_thread *t)
{
    uint32_t cap = t->stack_cap ? t->stack_cap * 2 : 64;
    det_enter(t);
    uintptr_t *s = realloc(t->stack, cap * sizeof *s);
    det_leave(t);
    if (!s)
        DET_THROW("out of memory growing a shadow call stack");
    t->stack = s;
    t->stack_cap = cap;
}

API void __tsan_func_entry(void *pc)
{
    struct det_thread *t = det_cur();
    if (det_unlikely(t->depth == t->stack_cap))
        grow_stack(t);
    t->stack[t->depth++] = (uintptr_t)pc;
    det_trace_func_entry(t, (uintptr_t)pc);
}

API void __tsan_func_exit(void)
{
    struct det_thread *t = det_cur();
    /* A goroutine can leave functions it entered on no shadow stack we
     * saw (go_exit, longjmp): never underflow. */
    if (det_likely(t->depth > 0))
        t->depth--;
    det_trace_func_exit(t);
}

API void __tsan_ignore_thread_begin(void)
{
    det_cur()->ignore++;
}

API void __tsan_ignore_thread_end(void)
{
    struct det_thread *t = det_cur();
    if (t->ignore)
        t->ignore--;
}

API void __tsan_vptr_read(void **vptr)
{
    det_access(det_cur(), (uintptr_t)vptr, sizeof *vptr, false, false, PC());
}

API void __tsan_vptr_update(void **vptr, void *val)
{
    /* Writing the same vptr again (a constructor chain) is not a race. */
    if (*vptr != val)
        det_access(det_cur(), (uintptr_t)vptr, sizeof *vptr, true, false,
                   PC());
}

API void __tsan_acquire(void *addr)
{
    det_acquire_addr(det_cur(), (uintptr_t)addr);
}

API void __tsan_release(void *addr)
{
    det_release_addr(det_cur(), (uintptr_t)addr);
}

/* ---- gosan/race.h ---------------------------------------------------------- */

API void go_race_read(const void *addr, size_t size)
{
    det_access_range(det_cur(), (uintptr_t)addr, size, false, PC());
}

API void go_race_write(const void *addr, size_t size)
{
    det_access_range(det_cur(), (uintptr_t)addr, size, true, PC());
}

API void go_race_acquire(const void *sync_addr)
{
    det_acquire_addr(det_cur(), (uintptr_t)sync_addr);
}

API void go_race_release(const void *sync_addr)
{
    det_release_addr(det_cur(), (uintptr_t)sync_addr);
}
