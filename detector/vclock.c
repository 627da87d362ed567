/* SPDX-License-Identifier: MIT */
/*
 * This file implements vector clocks over slots (detector_impl.h). A clock
 * stores entries [0, n) and treats the rest as zero, so joining the clock
 * of a program that has used few slots touches few entries: slots are
 * handed out lowest first (thread.c), which keeps n small for programs with
 * few concurrent goroutines, and bounded by DET_SLOTS for any program.
 *
 * Also here: the detector's spin lock slow path.
 */
#define _GNU_SOURCE
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include "detector_impl.h"

void det_spin_lock_slow(struct det_spin *l)
{
    for (int spins = 0;; spins++) {
        while (atomic_load_explicit(&l->locked, memory_order_relaxed)) {
            if (spins++ < 64)
                det_cpu_relax();
            else
                sched_yield();
        }
        if (!atomic_exchange_explicit(&l->locked, 1, memory_order_acquire))
            return;
    }
}

void det_clock_init(struct det_clock *c)
{
    c->n = 0;
    c->cap = 0;
    c->e = NULL;
}

void det_clock_free(struct det_clock *c)
{
    free(c->e);
    det_clock_init(c);
}

void det_clock_reset(struct det_clock *c)
{
    if (c->e)
        memset(c->e, 0, c->n * sizeof *c->e);
    c->n = 0;
}

static void ensure(struct det_clock *c, uint32_t n)
{
    if (n <= c->cap)
        return;
    uint32_t cap = c->cap ? c->cap : 8;
    while (cap < n)
        cap *= 2;
    if (cap > DET_SLOTS)
        cap = DET_SLOTS;
    det_epoch *e = realloc(c->e, cap * sizeof *e);
    if (!e)
        DET_THROW("out of memory growing a vector clock");
    memset(e + c->cap, 0, (cap - c->cap) * sizeof *e);
    c->e = e;
    c->cap = cap;
}

void det_clock_join(struct det_clock *dst, const struct det_clock *src)
{
    uint32_t n = src->n;
    if (n > dst->n) {
        ensure(dst, n);
        dst->n = n;
    }
    det_epoch *d = dst->e;
    const det_epoch *s = src->e;
    for (uint32_t i = 0; i < n; i++)
        if (s[i] > d[i])
            d[i] = s[i];
}

void det_clock_copy(struct det_clock *dst, const struct det_clock *src)
{
    ensure(dst, src->n);
    if (src->n)
        memcpy(dst->e, src->e, src->n * sizeof *dst->e);
    if (dst->n > src->n)
        memset(dst->e + src->n, 0, (dst->n - src->n) * sizeof *dst->e);
    dst->n = src->n;
}
