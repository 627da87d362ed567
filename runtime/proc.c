/* SPDX-License-Identifier: MIT */
/*
 * This file implements Ms and Ps: the idle lists, starting an M for an
 * idle P when work appears (wakep/startm), parking an M that found nothing
 * (stopm), handing off a P that lost its M to a system call (handoffp),
 * and GOMAXPROCS.
 *
 * Wakeup policy (Go's): at most one M is woken while some M is already
 * spinning (looking for work without having found any), and a spinning M
 * that finds work wakes another one if it was the last spinner. That keeps
 * the number of futex wakeups low while still fanning work out quickly.
 *
 * Invariants:
 *  - An idle P is on sched.pidle with status RT_P_IDLE; npidle counts them.
 *  - An idle M is on sched.midle sleeping on its park note; it is woken
 *    only by startm, which hands it a P in m->nextp first.
 *  - nmspinning counts Ms with m->spinning set.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "runtime_impl.h"

#define MAX_PROCS 1024

/* ---- Ps --------------------------------------------------------------- */

/* rt__pidleput puts p on the idle list. sched.lock held. */
void rt__pidleput(struct rt_p *p)
{
    if (!rt__runq_empty(p))
        RT_THROW("pidleput: P %d has work", p->id);
    p->m = NULL;
    atomic_store_explicit(&p->status, RT_P_IDLE, memory_order_release);
    p->link = rt__sched.pidle;
    rt__sched.pidle = p;
    atomic_fetch_add_explicit(&rt__sched.npidle, 1, memory_order_seq_cst);
}

/* rt__pidleget takes an idle P within GOMAXPROCS. sched.lock held. */
struct rt_p *rt__pidleget(void)
{
    struct rt_p **pp = &rt__sched.pidle;
    int32_t procs = atomic_load_explicit(&rt__sched.gomaxprocs,
                                         memory_order_relaxed);
    while (*pp) {
        struct rt_p *p = *pp;
        if (p->id < procs) {
            *pp = p->link;
            p->link = NULL;
            atomic_fetch_sub_explicit(&rt__sched.npidle, 1,
                                      memory_order_seq_cst);
            return p;
        }
        pp = &p->link;
    }
    return NULL;
}

void rt__acquirep(struct rt_m *m, struct rt_p *p)
{
    if (m->p || p->m)
        RT_THROW("acquirep: M %d already has a P or P %d has an M", m->id,
                 p->id);
    m->p = p;
    p->m = m;
    atomic_store_explicit(&p->status, RT_P_RUNNING, memory_order_release);
    if (atomic_load_explicit(&rt__sched.sysmon_wait, memory_order_relaxed))
        rt__sysmon_wake();
}

struct rt_p *rt__releasep(struct rt_m *m)
{
    struct rt_p *p = m->p;
    if (!p || p->m != m)
        RT_THROW("releasep: M %d does not own its P", m->id);
    p->m = NULL;
    m->p = NULL;
    return p;
}

static struct rt_p *new_p(int32_t id)
{
    struct rt_p *p = aligned_alloc(RT_CACHE_LINE, sizeof *p);
    if (!p)
        RT_THROW("out of memory allocating a P");
    memset(p, 0, sizeof *p);
    p->id = id;
    atomic_store(&p->status, RT_P_IDLE);
    return p;
}

void rt__procs_init(int n)
{
    if (n < 1)
        n = 1;
    if (n > MAX_PROCS)
        n = MAX_PROCS;
    rt__sched.allp = calloc(MAX_PROCS, sizeof *rt__sched.allp);
    if (!rt__sched.allp)
        RT_THROW("out of memory allocating Ps");
    atomic_store(&rt__sched.gomaxprocs, n);
    rt__lock(&rt__sched.lock);
    for (int32_t i = n - 1; i >= 0; i--) {
        rt__sched.allp[i] = new_p(i);
        rt__pidleput(rt__sched.allp[i]);
    }
    rt__sched.nallp = n;
    rt__unlock(&rt__sched.lock);
}

/* rt__procs_resize sets GOMAXPROCS. Growing puts new (or retired) Ps on
 * the idle list at once; shrinking takes effect as each surplus P passes
 * through the scheduler: its M hands the queue to the global queue and
 * retires it (no stop-the-world, since goroutines cannot be preempted). */
int rt__procs_resize(int n)
{
    if (n > MAX_PROCS)
        n = MAX_PROCS;
    rt__lock(&rt__sched.lock);
    int old = atomic_load(&rt__sched.gomaxprocs);
    atomic_store(&rt__sched.gomaxprocs, n);
    for (int32_t i = 0; i < n; i++) {
        if (i >= rt__sched.nallp) {
            rt__sched.allp[i] = new_p(i);
            rt__sched.nallp = i + 1;
            rt__pidleput(rt__sched.allp[i]);
        } else if (atomic_load(&rt__sched.allp[i]->status) == RT_P_RETIRED) {
            rt__pidleput(rt__sched.allp[i]);
        }
    }
    /* Idle Ps beyond n leave the idle list. */
    struct rt_p **pp = &rt__sched.pidle;
    while (*pp) {
        struct rt_p *p = *pp;
        if (p->id >= n) {
            *pp = p->link;
            atomic_fetch_sub(&rt__sched.npidle, 1);
            atomic_store(&p->status, RT_P_RETIRED);
            continue;
        }
        pp = &p->link;
    }
    rt__unlock(&rt__sched.lock);
    for (int i = old; i < n; i++)
        rt__wakep();
    return old;
}

/* ---- Ms --------------------------------------------------------------- */

struct rt_m *rt__newm_struct(void)
{
    struct rt_m *m = calloc(1, sizeof *m);
    if (!m)
        RT_THROW("out of memory allocating an M");
    m->g0.flags = RT_GF_G0;
    m->g0.m = m;
    atomic_store(&m->g0.status, RT_G_RUNNING);
    rt__lock(&rt__sched.lock);
    m->id = rt__sched.mcount++;
    m->all_link = rt__sched.allm;
    rt__sched.allm = m;
    rt__unlock(&rt__sched.lock);
    return m;
}

/* rt__mput puts m on the idle list. sched.lock held. */
void rt__mput(struct rt_m *m)
{
    m->sched_link = rt__sched.midle;
    rt__sched.midle = m;
    rt__sched.nmidle++;
}

/* rt__mget takes an idle M. sched.lock held. */
struct rt_m *rt__mget(void)
{
    struct rt_m *m = rt__sched.midle;
    if (m) {
        rt__sched.midle = m->sched_link;
        rt__sched.nmidle--;
    }
    return m;
}

void rt__thread_stack_bounds(uintptr_t *lo, uintptr_t *hi,
                             uintptr_t *guard_lo);

static void *mstart(void *arg)
{
    struct rt_m *m = arg;
    m->tid = (pid_t)syscall(SYS_gettid);
    rt__tls_m = m;
    rt__thread_stack_bounds(&m->g0.stack_lo, &m->g0.stack_hi,
                            &m->g0.guard_lo);
    rt__stack_thread_init(m);
    struct rt_p *p = m->nextp;
    m->nextp = NULL;
    rt__acquirep(m, p);
    rt__schedule();
}

static void newm(struct rt_p *p, bool spinning)
{
    struct rt_m *m = rt__newm_struct();
    m->nextp = p;
    m->spinning = spinning;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    /* The new thread inherits the creator's signal mask, as any thread
     * would; goroutines run with whatever mask their M has. */
    int err = pthread_create(&m->thread, &attr, mstart, m);
    pthread_attr_destroy(&attr);
    if (err)
        RT_THROW("cannot create a thread for the scheduler: %s",
                 strerror(err));
}

/* rt__startm runs p (or an idle P if p is NULL) on an idle or new M. If
 * spinning, the caller already counted the M in nmspinning. */
void rt__startm(struct rt_p *p, bool spinning)
{
    rt__lock(&rt__sched.lock);
    if (!p) {
        p = rt__pidleget();
        if (!p) {
            rt__unlock(&rt__sched.lock);
            if (spinning &&
                atomic_fetch_sub(&rt__sched.nmspinning, 1) <= 0)
                RT_THROW("startm: negative nmspinning");
            return;
        }
    }
    struct rt_m *m = rt__mget();
    rt__unlock(&rt__sched.lock);
    if (atomic_load_explicit(&rt__sched.sysmon_wait, memory_order_relaxed))
        rt__sysmon_wake();
    if (!m) {
        newm(p, spinning);
        return;
    }
    m->spinning = spinning;
    m->nextp = p;
    rt__note_wakeup(&m->park);
}

void rt__wakep(void)
{
    if (atomic_load_explicit(&rt__sched.npidle, memory_order_seq_cst) == 0)
        return;
    int32_t expected = 0;
    if (atomic_load_explicit(&rt__sched.nmspinning, memory_order_relaxed) ||
        !atomic_compare_exchange_strong(&rt__sched.nmspinning, &expected, 1))
        return;
    rt__startm(NULL, true);
}

/* rt__stopm parks m until startm hands it a P. */
void rt__stopm(struct rt_m *m)
{
    if (m->p)
        RT_THROW("stopm: M %d holds a P", m->id);
    if (m->spinning)
        RT_THROW("stopm: M %d is spinning", m->id);
    rt__lock(&rt__sched.lock);
    rt__mput(m);
    if (rt__sched.nmidle == rt__sched.mcount)
        rt__checkdead();
    rt__unlock(&rt__sched.lock);
    rt__note_sleep(&m->park);
    rt__note_clear(&m->park);
    struct rt_p *p = m->nextp;
    m->nextp = NULL;
    rt__acquirep(m, p);
}

/* rt__handoffp finds a new owner for p, which lost its M to a system
 * call: an M to run its work, a spinning M if nobody looks for work, or
 * the idle list. */
void rt__handoffp(struct rt_p *p)
{
    if (!rt__runq_empty(p) ||
        atomic_load_explicit(&rt__sched.runq_size, memory_order_acquire)) {
        rt__startm(p, false);
        return;
    }
    int32_t expected = 0;
    if (atomic_load(&rt__sched.nmspinning) + atomic_load(&rt__sched.npidle)
            == 0 &&
        atomic_compare_exchange_strong(&rt__sched.nmspinning, &expected, 1)) {
        rt__startm(p, true);
        return;
    }
    rt__lock(&rt__sched.lock);
    if (rt__timers_next() != INT64_MAX && rt__sched.timer_sleeper == NULL) {
        rt__unlock(&rt__sched.lock);
        rt__startm(p, false);
        return;
    }
    rt__pidleput(p);
    rt__unlock(&rt__sched.lock);
}
