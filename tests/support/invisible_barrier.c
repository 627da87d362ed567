/* SPDX-License-Identifier: MIT */
/*
 * This file implements the invisible barrier of race tests: built on a raw
 * futex, with no gosan call and no pthread call, so no detector sees an
 * edge through it (the accesses it orders stay "concurrent" for the
 * detector while their real order is fixed). Threads block in the kernel;
 * use it between threads, or between goroutines on different Ms.
 */
#define _GNU_SOURCE
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "harness.h"

void invisible_barrier_init(struct invisible_barrier *b, uint32_t n)
{
    b->n = n;
    b->count = 0;
    b->generation = 0;
}

void invisible_barrier_wait(struct invisible_barrier *b)
{
    uint32_t gen = __atomic_load_n(&b->generation, __ATOMIC_ACQUIRE);
    if (__atomic_add_fetch(&b->count, 1, __ATOMIC_ACQ_REL) == b->n) {
        __atomic_store_n(&b->count, 0, __ATOMIC_RELAXED);
        __atomic_add_fetch(&b->generation, 1, __ATOMIC_RELEASE);
        syscall(SYS_futex, &b->generation, FUTEX_WAKE_PRIVATE, 1 << 30, NULL,
                NULL, 0);
        return;
    }
    while (__atomic_load_n(&b->generation, __ATOMIC_ACQUIRE) == gen)
        syscall(SYS_futex, &b->generation, FUTEX_WAIT_PRIVATE, gen, NULL,
                NULL, 0);
}
