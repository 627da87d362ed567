/* SPDX-License-Identifier: MIT */
/*
 * This file implements vector clocks over slots (detector_impl.h). A clock
 * stores entries [0, n) and treats the rest as zero, so joining the clock
 * of a program that has used few slots touches few entries: slots are
 * handed out lowest first (thread.c), which keeps n small for programs with
 * few concurrent goroutines, and bounded by DET_SLOTS for any program.
 *
 * Clock buffers come from a pool of free buffers per capacity (8, 16, ...
 * DET_SLOTS entries) and go back to it: a program that makes and drops
 * sync objects at a high rate (a context per request, a channel per call)
 * grows a fresh clock for each, and with malloc that meant glibc trimming
 * and regrowing its heap — page faults — all the time. The pool keeps at
 * most POOL_BYTES per capacity; beyond that buffers go back to malloc.
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

#define MIN_CAP 8
#define POOL_CLASSES 6 /* 8 << 5 == 256 == DET_SLOTS */
#define POOL_BYTES (4u << 20)
_Static_assert((MIN_CAP << (POOL_CLASSES - 1)) == DET_SLOTS,
               "one pool class per power of two up to DET_SLOTS");

struct free_buffer {
    struct free_buffer *next;
};

static struct {
    struct det_spin lock;
    struct free_buffer *head;
    uint32_t n;
} pool[POOL_CLASSES];

/* class_of: the pool class of a capacity, -1 when it is not a pool size
 * (a thread's clock is made with DET_SLOTS entries: a pool size). */
static int class_of(uint32_t cap)
{
    for (int k = 0; k < POOL_CLASSES; k++)
        if (cap == (uint32_t)MIN_CAP << k)
            return k;
    return -1;
}

static det_epoch *buffer_get(uint32_t cap)
{
    int k = class_of(cap);
    if (k >= 0) {
        det_spin_lock(&pool[k].lock);
        struct free_buffer *b = pool[k].head;
        if (b) {
            pool[k].head = b->next;
            pool[k].n--;
        }
        det_spin_unlock(&pool[k].lock);
        if (b)
            return (det_epoch *)b;
    }
    det_epoch *e = malloc(cap * sizeof *e);
    if (!e)
        DET_THROW("out of memory growing a vector clock");
    return e;
}

static void buffer_put(det_epoch *e, uint32_t cap)
{
    if (!e)
        return;
    int k = class_of(cap);
    if (k >= 0) {
        det_spin_lock(&pool[k].lock);
        if (pool[k].n < POOL_BYTES / (cap * sizeof *e)) {
            struct free_buffer *b = (struct free_buffer *)e;
            b->next = pool[k].head;
            pool[k].head = b;
            pool[k].n++;
            det_spin_unlock(&pool[k].lock);
            return;
        }
        det_spin_unlock(&pool[k].lock);
    }
    free(e);
}

void det_clock_init(struct det_clock *c)
{
    c->n = 0;
    c->cap = 0;
    c->e = NULL;
}

void det_clock_free(struct det_clock *c)
{
    buffer_put(c->e, c->cap);
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
    uint32_t cap = c->cap ? c->cap : MIN_CAP;
    while (cap < n)
        cap *= 2;
    if (cap > DET_SLOTS)
        cap = DET_SLOTS;
    det_epoch *e = buffer_get(cap);
    if (c->cap)
        memcpy(e, c->e, c->cap * sizeof *e);
    memset(e + c->cap, 0, (cap - c->cap) * sizeof *e);
    buffer_put(c->e, c->cap);
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
