/* SPDX-License-Identifier: MIT */
/*
 * This file implements sysmon, the runtime's monitor thread (Go's sysmon).
 * It is not an M and holds no P. Every 20 us while something happens, and
 * up to every 10 ms when nothing does, it:
 *  - retakes a P whose goroutine has been in a system call (between
 *    go_syscall_enter and go_syscall_exit) for more than one tick, and
 *    hands it to another M, so that a blocking call does not stall the
 *    goroutines queued behind it;
 *  - wakes an idle M for goroutines queued on a P that has not switched
 *    goroutines for a tick (a goroutine readied into runnext wakes nobody,
 *    on the bet that the current one blocks soon);
 *  - asks a goroutine that has run for 10 ms without a scheduling point to
 *    yield at its next runtime call (cooperative preemption);
 *  - starts an M for overdue timers when every M is busy;
 *  - once a second, returns to the OS the memory of goroutine stacks that
 *    stayed unused in the cache (rt__stack_scavenge).
 * When every P is idle it sleeps until woken (entering a system call or
 * starting an M wakes it), so an idle program costs no CPU.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>

#include "runtime_impl.h"

#define SYSMON_MIN_DELAY_US 20
#define SYSMON_MAX_DELAY_US 10000
#define FORCE_PREEMPT_NS (10 * 1000 * 1000)
#define SCAVENGE_PERIOD_NS (1000 * 1000 * 1000)

static bool sysmon_started;

int rt__sysmon_threads(void)
{
    return sysmon_started ? 1 : 0;
}

void rt__sysmon_wake(void)
{
    rt__lock(&rt__sched.lock);
    if (atomic_load(&rt__sched.sysmon_wait)) {
        atomic_store(&rt__sched.sysmon_wait, false);
        rt__note_wakeup(&rt__sched.sysmon_note);
    }
    rt__unlock(&rt__sched.lock);
}

/* retake looks at every P; returns how many it acted on. */
static int retake(int64_t now)
{
    int n = 0;
    int32_t procs = atomic_load(&rt__sched.gomaxprocs);
    for (int32_t i = 0; i < procs && i < rt__sched.nallp; i++) {
        struct rt_p *p = rt__sched.allp[i];
        uint32_t s = atomic_load_explicit(&p->status, memory_order_acquire);
        if (s == RT_P_RUNNING) {
            /* Work waiting on a P that has not switched goroutines for a
             * whole tick (readying into runnext wakes nobody): let an idle
             * M steal it. */
            uint32_t runs = atomic_load_explicit(&p->runs,
                                                 memory_order_relaxed);
            if (runs == p->sysmon_runs && !rt__runq_empty(p) &&
                atomic_load(&rt__sched.npidle) > 0 &&
                atomic_load(&rt__sched.nmspinning) == 0) {
                rt__wakep();
                n++;
            }
            p->sysmon_runs = runs;
            uint32_t t = atomic_load(&p->schedtick);
            if (p->sysmon_schedtick != t) {
                p->sysmon_schedtick = t;
                p->sysmon_schedwhen = now;
            } else if (now - p->sysmon_schedwhen >= FORCE_PREEMPT_NS) {
                /* The same slice for 10 ms: ask its goroutine to yield. The
                 * M and goroutine may change under us; a stale flag only
                 * costs one early yield. */
                struct rt_m *m = p->m;
                struct rt_g *g = m ? m->curg : NULL;
                if (g)
                    atomic_store(&g->preempt, true);
                p->sysmon_schedwhen = now;
            }
        } else if (s == RT_P_SYSCALL) {
            uint32_t t = atomic_load(&p->syscalltick);
            if (p->sysmon_syscalltick != t) {
                p->sysmon_syscalltick = t;
                p->sysmon_syscallwhen = now;
                continue;
            }
            /* Leave it if there is nothing for it to do and other Ms are
             * idle or looking, unless the call has lasted 10 ms. */
            if (rt__runq_empty(p) &&
                atomic_load(&rt__sched.nmspinning) +
                        atomic_load(&rt__sched.npidle) > 0 &&
                now - p->sysmon_syscallwhen < FORCE_PREEMPT_NS)
                continue;
            uint32_t expected = RT_P_SYSCALL;
            if (atomic_compare_exchange_strong(&p->status, &expected,
                                               RT_P_IDLE)) {
                p->m = NULL;
                n++;
                rt__handoffp(p);
            }
        }
    }
    return n;
}

static void *sysmon(void *arg)
{
    (void)arg;
    prctl(PR_SET_NAME, "gosan-sysmon");
    /* Precise short sleeps: the default 50 us timer slack would turn every
     * 20 us tick into 70 us. */
    prctl(PR_SET_TIMERSLACK, 1UL);
    int64_t delay = SYSMON_MIN_DELAY_US;
    int idle = 0;
    int64_t last_scavenge = rt__nanotime();
    for (;;) {
        if (idle == 0)
            delay = SYSMON_MIN_DELAY_US;
        else if (idle > 50)
            delay *= 2;
        if (delay > SYSMON_MAX_DELAY_US)
            delay = SYSMON_MAX_DELAY_US;
        struct timespec ts = { 0, (long)delay * 1000 };
        nanosleep(&ts, NULL);

        int64_t now = rt__nanotime();
        if (now - last_scavenge >= SCAVENGE_PERIOD_NS) {
            last_scavenge = now;
            rt__stack_scavenge();
        }
        int32_t procs = atomic_load(&rt__sched.gomaxprocs);
        if (atomic_load(&rt__sched.npidle) >= procs) {
            /* Nothing runs: sleep until somebody starts running. */
            rt__lock(&rt__sched.lock);
            if (atomic_load(&rt__sched.npidle) >= procs) {
                rt__note_clear(&rt__sched.sysmon_note);
                atomic_store(&rt__sched.sysmon_wait, true);
                rt__unlock(&rt__sched.lock);
                /* Until somebody starts running, or the next timer (its
                 * M may start without telling us), or the next scavenge. */
                int64_t next = rt__timers_next();
                if (rt__stack_scavenge_pending() &&
                    last_scavenge + SCAVENGE_PERIOD_NS < next)
                    next = last_scavenge + SCAVENGE_PERIOD_NS;
                int64_t ns = next == INT64_MAX ? -1 : next - rt__nanotime();
                if (ns >= 0 && ns < 1000)
                    ns = 1000;
                rt__note_tsleep(&rt__sched.sysmon_note, ns);
                /* Woken, or timed out: either way nobody may wake this
                 * sleep any more (a waker that got in first already did;
                 * the note is cleared before the next sleep). */
                rt__lock(&rt__sched.lock);
                atomic_store(&rt__sched.sysmon_wait, false);
                rt__unlock(&rt__sched.lock);
                idle = 0;
                continue;
            }
            rt__unlock(&rt__sched.lock);
        }
        if (retake(now) > 0)
            idle = 0;
        else
            idle++;
        /* Timers overdue by a tick while every M is busy elsewhere. */
        int64_t next = rt__timers_next();
        if (next != INT64_MAX && next < now - delay * 1000)
            rt__wakep();
    }
    return NULL;
}

void rt__sysmon_start(void)
{
    pthread_t t;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&attr, 256 * 1024);
    int err = pthread_create(&t, &attr, sysmon, NULL);
    pthread_attr_destroy(&attr);
    if (err)
        RT_THROW("cannot start sysmon: %s", strerror(err));
    sysmon_started = true;
}
