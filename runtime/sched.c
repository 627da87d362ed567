/* SPDX-License-Identifier: MIT */
/*
 * This file implements the goroutine scheduler: goroutine creation and
 * exit, the scheduling loop that every M runs on its g0 stack, parking and
 * readying (the blocking substrate of every primitive), Gosched, and the
 * public go_* functions about goroutines. Ms and Ps are managed in
 * proc.c, run queues in runq.c, goroutine slots in stack.c.
 *
 * A goroutine never switches directly to another: it switches to its M's
 * g0 with an action in m->switch_action (park, yield, exit), and g0 carries
 * the action out once the goroutine's registers are saved. That is what
 * makes parking race-free: a park_fn that releases a channel lock runs
 * only when the goroutine is off its stack, so a waker that takes the
 * lock next may resume it at once, on any M (Go's mcall(park_m)).
 *
 * Scheduling policy is Go's: local queue first, runnext before it (and
 * inheriting the time slice), the global queue every 61st slice and when
 * the local queue is empty, then stealing half of a random victim's queue.
 * There is no asynchronous preemption (C code cannot be stopped at an
 * arbitrary instruction without breaking libc's locks): sysmon flags a
 * goroutine that has run for 10 ms and the runtime's entry points honour
 * the flag, like Go's cooperative preemption before 1.14.
 *
 * Invariants:
 *  - A goroutine's status is RUNNING exactly while an M runs it; it is in
 *    at most one run queue, and only when RUNNABLE.
 *  - Only g0 changes a goroutine from RUNNING to WAITING/RUNNABLE/DEAD.
 *  - An M holds at most one P; an M running a goroutine holds one.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "reports.h"
#include "runtime_impl.h"

#if defined(__SANITIZE_ADDRESS__)
#define GOSAN_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define GOSAN_ASAN 1
#endif
#endif

#ifdef GOSAN_ASAN
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#endif

struct rt_sched rt__sched;
_Atomic bool rt__initialized;

__thread struct rt_m *rt__tls_m __attribute__((tls_model("initial-exec")));
__thread struct rt_g *rt__tls_ext_g __attribute__((tls_model("initial-exec")));

/* Goroutines spawned in a row before the spawner yields its P to them, see
 * go_spawn. */
#define SPAWN_YIELD_QUEUE (RT_RUNQ_SIZE * 3 / 4)
/* Goroutine ids handed to a P at a time. */
#define GOID_BATCH 16
/* Per-P free goroutine cache bounds (Go's gfput/gfget). */
#define GFREE_LOCAL_MAX 64
#define GFREE_LOCAL_KEEP 32

static pthread_key_t external_key;

/* ---- TLS accessors ------------------------------------------------------ */

RT_NOINLINE struct rt_m *rt__getm(void)
{
    return rt__tls_m;
}

static RT_NOINLINE struct rt_g *getg_slow(void);

RT_NOINLINE struct rt_g *rt__getg(void)
{
    struct rt_m *m = rt__tls_m;
    if (rt_likely(m != NULL))
        return m->curg ? m->curg : &m->g0;
    struct rt_g *g = rt__tls_ext_g;
    if (rt_likely(g != NULL))
        return g;
    return getg_slow();
}

struct rt_g *rt_current_g(void)
{
    if (!atomic_load_explicit(&rt__initialized, memory_order_acquire))
        return NULL;
    struct rt_m *m = rt__tls_m;
    if (m)
        return m->curg ? m->curg : &m->g0;
    return rt__tls_ext_g;
}

uint64_t rt_g_id(const struct rt_g *g)
{
    return g ? g->id : 0;
}

void rt_g_stack(const struct rt_g *g, uintptr_t *lo, uintptr_t *hi)
{
    *lo = g->stack_lo;
    *hi = g->stack_hi;
}

bool rt_g_is_system(const struct rt_g *g)
{
    return (g->flags & RT_GF_G0) != 0;
}

bool rt_g_is_thread_flow(const struct rt_g *g)
{
    return (g->flags & (RT_GF_MAIN | RT_GF_EXTERNAL)) != 0;
}

uint64_t rt_g_parent(const struct rt_g *g, uintptr_t *go_pc)
{
    if (go_pc)
        *go_pc = g->go_pc;
    return g->parent_id;
}

void **rt_g_detector(struct rt_g *g)
{
    return &g->detector;
}

/* ---- stack switching ---------------------------------------------------- */

/* switch_to_goroutine runs g on m until g switches back to g0. */
static inline void switch_to_goroutine(struct rt_m *m, struct rt_g *g)
{
#ifdef GOSAN_ASAN
    __sanitizer_start_switch_fiber(&m->g0.asan_fake_stack,
                                   (void *)g->stack_lo,
                                   g->stack_hi - g->stack_lo);
#endif
    rt__switch(&m->g0.ctx, &g->ctx);
#ifdef GOSAN_ASAN
    __sanitizer_finish_switch_fiber(m->g0.asan_fake_stack, NULL, NULL);
#endif
}

/* switch_to_scheduler saves g and runs m's g0. dying: g never resumes. */
static inline void switch_to_scheduler(struct rt_g *g, struct rt_m *m,
                                       bool dying)
{
#ifdef GOSAN_ASAN
    __sanitizer_start_switch_fiber(dying ? NULL : &g->asan_fake_stack,
                                   (void *)m->g0.stack_lo,
                                   m->g0.stack_hi - m->g0.stack_lo);
#else
    (void)dying;
#endif
    /* The scheduler runs code of its own (timers that send, readies): a
     * detector must not charge it to the goroutine that just left. */
    RT_HOOK(switch_to, &m->g0);
    rt__switch(&g->ctx, &m->g0.ctx);
#ifdef GOSAN_ASAN
    __sanitizer_finish_switch_fiber(g->asan_fake_stack, NULL, NULL);
#endif
}

static bool finish_action(struct rt_m *m, struct rt_g *g,
                          enum rt_switch_action action);

/* set_running makes g the running goroutine of m. */
static inline void set_running(struct rt_m *m, struct rt_p *p, struct rt_g *g,
                               bool inherit)
{
    m->curg = g;
    g->m = m;
    atomic_store_explicit(&g->status, RT_G_RUNNING, memory_order_relaxed);
    if (!inherit)
        atomic_fetch_add_explicit(&p->schedtick, 1, memory_order_relaxed);
    atomic_store_explicit(&p->runs,
                          atomic_load_explicit(&p->runs, memory_order_relaxed)
                              + 1,
                          memory_order_relaxed);
    RT_HOOK(switch_to, g);
}

/* pick_direct returns the goroutine p would run next, if the scheduler's
 * other duties (timers due, a turn for the global queue, a shrunken
 * GOMAXPROCS) do not need a full pass through find_runnable. */
static inline struct rt_g *pick_direct(struct rt_p *p, bool *inherit)
{
    if (rt_unlikely(p->id >= atomic_load_explicit(&rt__sched.gomaxprocs,
                                                  memory_order_relaxed)))
        return NULL;
    int64_t next_timer = rt__timers_next();
    if (next_timer != INT64_MAX && next_timer <= rt__nanotime())
        return NULL;
    if (atomic_load_explicit(&p->schedtick, memory_order_relaxed) % 61 == 0 &&
        atomic_load_explicit(&rt__sched.runq_size, memory_order_relaxed))
        return NULL;
    return rt__runq_get(p, inherit);
}

/* finish_previous completes the action of the goroutine that switched
 * directly to the one now running on this M. Called at every point where
 * a goroutine resumes. */
static inline void finish_previous(void)
{
    struct rt_m *m = rt__getm_fast();
    struct rt_g *prev = m->prev;
    if (rt_likely(prev == NULL))
        return;
    m->prev = NULL;
    if (finish_action(m, prev, m->prev_action)) {
        /* Its park was called off: it runs next on this P. */
        atomic_store_explicit(&prev->status, RT_G_RUNNABLE,
                              memory_order_release);
        rt__runq_put(m->p, prev, true);
    }
}

/* leave switches away from g, which asks for action. If this P has a
 * goroutine ready, g switches straight to it, which finishes g's action
 * once g's registers are saved; otherwise g switches to g0, which runs the
 * scheduler. One stack switch instead of two on the common path. Returns
 * when g runs again, on whatever M. */
static void leave(struct rt_g *g, enum rt_switch_action action, bool dying)
{
    struct rt_m *m = rt__getm_fast();
    struct rt_p *p = m->p;
    bool inherit;
    struct rt_g *next = pick_direct(p, &inherit);
    if (next) {
        m->prev = g;
        m->prev_action = action;
        set_running(m, p, next, inherit);
#ifdef GOSAN_ASAN
        __sanitizer_start_switch_fiber(dying ? NULL : &g->asan_fake_stack,
                                       (void *)next->stack_lo,
                                       next->stack_hi - next->stack_lo);
#endif
        rt__switch(&g->ctx, &next->ctx);
#ifdef GOSAN_ASAN
        __sanitizer_finish_switch_fiber(g->asan_fake_stack, NULL, NULL);
#endif
    } else {
        m->switch_action = action;
        switch_to_scheduler(g, m, dying);
    }
    finish_previous();
}

/* ---- goroutine ids and free goroutines ---------------------------------- */

static uint64_t new_goid(struct rt_p *p)
{
    if (!p)
        return atomic_fetch_add_explicit(&rt__sched.goid_gen, 1,
                                         memory_order_relaxed);
    if (p->goid_next == p->goid_end) {
        p->goid_next = atomic_fetch_add_explicit(&rt__sched.goid_gen,
                                                 GOID_BATCH,
                                                 memory_order_relaxed);
        p->goid_end = p->goid_next + GOID_BATCH;
    }
    return p->goid_next++;
}


/* gfput caches an exited goroutine (with its stack) on p, spilling to the
 * global cache. Memory goes back to the OS later, in the background, for
 * slots the program has not needed for a while (rt__stack_scavenge). */
static void gfput(struct rt_p *p, struct rt_g *g)
{
    g->sched_link = p->gfree;
    p->gfree = g;
    if (++p->gfree_count < GFREE_LOCAL_MAX)
        return;
    rt__lock(&rt__sched.gfree_lock);
    while (p->gfree_count > GFREE_LOCAL_KEEP) {
        struct rt_g *x = p->gfree;
        p->gfree = x->sched_link;
        p->gfree_count--;
        x->sched_link = rt__sched.gfree;
        rt__sched.gfree = x;
        rt__sched.ngfree++;
    }
    rt__unlock(&rt__sched.gfree_lock);
}

/* gfget returns a free goroutine slot: p's cache, the global cache (moving
 * a batch to p), or a new or cold slot. */
static struct rt_g *gfget(struct rt_p *p)
{
    if (p && !p->gfree && rt__sched.ngfree > 0) {
        rt__lock(&rt__sched.gfree_lock);
        while (p->gfree_count < GFREE_LOCAL_KEEP && rt__sched.gfree) {
            struct rt_g *x = rt__sched.gfree;
            rt__sched.gfree = x->sched_link;
            rt__sched.ngfree--;
            x->sched_link = p->gfree;
            p->gfree = x;
            p->gfree_count++;
        }
        if (rt__sched.ngfree < rt__sched.ngfree_low)
            rt__sched.ngfree_low = rt__sched.ngfree;
        rt__unlock(&rt__sched.gfree_lock);
    }
    if (p && p->gfree) {
        struct rt_g *g = p->gfree;
        p->gfree = g->sched_link;
        p->gfree_count--;
        return g;
    }
    if (!p && rt__sched.ngfree > 0) {
        rt__lock(&rt__sched.gfree_lock);
        struct rt_g *g = rt__sched.gfree;
        if (g) {
            rt__sched.gfree = g->sched_link;
            rt__sched.ngfree--;
            if (rt__sched.ngfree < rt__sched.ngfree_low)
                rt__sched.ngfree_low = rt__sched.ngfree;
        }
        rt__unlock(&rt__sched.gfree_lock);
        if (g)
            return g;
    }
    return rt__gslot_alloc();
}

/* ---- creation and exit --------------------------------------------------- */

uint64_t go_spawn(go_fn fn, void *arg)
{
    uintptr_t pc = (uintptr_t)__builtin_return_address(0);
    struct rt_g *g = rt__getg();
    struct rt_m *m = rt__getm();
    struct rt_p *p = m ? m->p : NULL;
    if (rt_unlikely(fn == NULL))
        rt__throw_user("panic: go of nil func value");

    struct rt_g *ng = gfget(p);
    ng->fn = fn;
    ng->arg = arg;
    ng->go_pc = pc;
    ng->parent_id = g->id;
    ng->id = new_goid(p);
    ng->param = NULL;
    ng->waiting = NULL;
    ng->wait_reason = RT_WAIT_NONE;
    ng->wait_obj = NULL;
    ng->select_cases = NULL;
    ng->defers = NULL;
    atomic_store_explicit(&ng->preempt, false, memory_order_relaxed);
#ifdef GOSAN_ASAN
    /* A reused stack keeps the shadow of the frames of the goroutine that
     * died on it (it never returned through them): start clean. */
    ASAN_UNPOISON_MEMORY_REGION((void *)ng->stack_lo,
                                ng->stack_hi - ng->stack_lo);
#endif
    rt__context_make(&ng->ctx, (void *)ng->stack_hi, ng);
    atomic_fetch_add_explicit(&rt__sched.ngoroutines, 1, memory_order_relaxed);
    RT_HOOK(go_create, g, ng, pc);
    atomic_store_explicit(&ng->status, RT_G_RUNNABLE, memory_order_release);
    uint64_t id = ng->id;

    if (p) {
        rt__runq_put(p, ng, true);
    } else {
        rt__globrunq_put(ng);
    }
    rt__wakep();

    /* Without asynchronous preemption a loop of go statements would queue
     * goroutines (each with a stack) far faster than the other Ps drain
     * them. The go statement is a preemption point: once the local queue
     * is mostly full, the spawner lets this P run what it spawned. */
    if (p && (g->flags & (RT_GF_G0 | RT_GF_EXTERNAL)) == 0) {
        if (rt__runq_len(p) >= SPAWN_YIELD_QUEUE)
            rt__gosched(true);
        else
            rt__preempt_check(g);
    }
    return id;
}

void rt__defer_push(struct rt_defer *d, void (*fn)(void *), void *arg)
{
    struct rt_g *g = rt__getg_fast();
    d->fn = fn;
    d->arg = arg;
    d->next = g->defers;
    g->defers = d;
}

void rt__defer_pop(struct rt_defer *d)
{
    struct rt_g *g = rt__getg_fast();
    if (g->defers != d)
        RT_THROW("defer records popped out of order");
    g->defers = d->next;
}

/* run_defers runs g's pending cleanups, newest first (go_exit). */
static void run_defers(struct rt_g *g)
{
    while (g->defers) {
        struct rt_defer *d = g->defers;
        g->defers = d->next;
        d->fn(d->arg);
    }
}

static RT_NORETURN void goexit1(struct rt_g *g)
{
    RT_HOOK(go_end, g);
    leave(g, RT_SWITCH_EXIT, true);
    RT_THROW("exited goroutine %llu resumed", (unsigned long long)g->id);
}

RT_NORETURN void rt__goroutine_main(void *arg)
{
    struct rt_g *g = arg;
#ifdef GOSAN_ASAN
    __sanitizer_finish_switch_fiber(NULL, NULL, NULL);
#endif
    if (g->flags & RT_GF_G0)
        rt__schedule();
    finish_previous();
    RT_HOOK(go_start, g);
    g->fn(g->arg);
    goexit1(g);
}

/* ---- parking and readying ------------------------------------------------- */

void rt__park(bool (*park_fn)(struct rt_g *, void *), void *arg,
              uint8_t reason, const void *obj)
{
    struct rt_g *g = rt__getg_fast();
    g->park_fn = park_fn;
    g->park_arg = arg;
    g->wait_reason = reason;
    g->wait_obj = obj;
    g->wait_since = rt__coarse_nanotime();
    RT_HOOK(block, g, (enum rt_wait_reason)reason, obj);
    if (rt_unlikely(g->flags & (RT_GF_EXTERNAL | RT_GF_G0))) {
        void rt__park_external(struct rt_g *g);
        if (g->flags & RT_GF_G0)
            RT_THROW("blocking operation (%s) on the scheduler stack",
                     rt__wait_reason_string(reason));
        g->ext_park_sp = (uintptr_t)__builtin_frame_address(0);
        rt__park_external(g);
        return;
    }
    leave(g, RT_SWITCH_PARK, false);
}

bool rt__park_unlock_fn(struct rt_g *g, void *lock)
{
    (void)g;
    rt__unlock(lock);
    return true;
}

void rt__ready(struct rt_g *g, bool next)
{
    /* WAITING -> RUNNABLE; spin while an inspector holds the scan bit. */
    for (;;) {
        uint32_t s = RT_G_WAITING;
        if (atomic_compare_exchange_weak_explicit(&g->status, &s,
                                                  RT_G_RUNNABLE,
                                                  memory_order_acq_rel,
                                                  memory_order_relaxed))
            break;
        if (s == RT_G_WAITING || s == (RT_G_WAITING | RT_G_SCAN)) {
            rt__cpu_relax();
            continue;
        }
        RT_THROW("ready of goroutine %llu in status %s",
                 (unsigned long long)g->id, rt__status_string(s));
    }
    if (RT_HOOKS_ON()) {
        struct rt_g *waker = rt_current_g();
        RT_HOOK(unblock, g, waker);
    }
    if (rt_unlikely(g->flags & RT_GF_EXTERNAL)) {
        atomic_store_explicit(&g->ext_futex, 1, memory_order_release);
        rt__futex_wake(&g->ext_futex, 1);
        return;
    }
    /* A goroutine handed to runnext will run on this P as soon as the
     * current one blocks, which is what usually happens next: waking an
     * idle M for it would cost a futex wakeup and a spinning thread for
     * nothing (Tokio's LIFO-slot policy). Only work that lands in a run
     * queue wakes an M; sysmon wakes one if runnext waits for a tick. */
    struct rt_m *m = rt__getm_fast();
    struct rt_p *p = m ? m->p : NULL;
    if (p) {
        if (rt__runq_put(p, g, next) != RT_RUNQ_NEXT)
            rt__wakep();
    } else {
        rt__globrunq_put(g);
        rt__wakep();
    }
}

void rt__ready_wake(struct rt_g *g)
{
    rt__ready(g, true);
    rt__wakep();
}

/* rt__park_external blocks a foreign thread's goroutine on its own futex:
 * it has no P to give away and no g0 to switch to. */
void rt__park_external(struct rt_g *g)
{
    atomic_store_explicit(&g->ext_futex, 0, memory_order_relaxed);
    atomic_store_explicit(&g->status, RT_G_WAITING, memory_order_release);
    rt__lock(&rt__sched.lock);
    rt__sched.nm_external_running--;
    bool all_idle = rt__sched.nmidle == rt__sched.mcount;
    if (all_idle && rt__sched.timer_sleeper == NULL)
        rt__checkdead();
    rt__unlock(&rt__sched.lock);
    if (g->park_fn && !g->park_fn(g, g->park_arg)) {
        uint32_t s = RT_G_WAITING;
        if (!atomic_compare_exchange_strong(&g->status, &s, RT_G_RUNNING))
            RT_THROW("external goroutine woken while its park failed");
        rt__lock(&rt__sched.lock);
        rt__sched.nm_external_running++;
        rt__unlock(&rt__sched.lock);
        return;
    }
    while (atomic_load_explicit(&g->ext_futex, memory_order_acquire) == 0)
        rt__futex_wait(&g->ext_futex, 0, -1);
    atomic_store_explicit(&g->status, RT_G_RUNNING, memory_order_release);
    rt__lock(&rt__sched.lock);
    rt__sched.nm_external_running++;
    rt__unlock(&rt__sched.lock);
}

void rt__gosched(bool local)
{
    struct rt_g *g = rt__getg_fast();
    if (g->flags & (RT_GF_EXTERNAL | RT_GF_G0)) {
        sched_yield();
        return;
    }
    leave(g, local ? RT_SWITCH_YIELD_LOCAL : RT_SWITCH_YIELD, false);
}

void rt__preempt_yield(struct rt_g *g)
{
    atomic_store_explicit(&g->preempt, false, memory_order_relaxed);
    if (!(g->flags & (RT_GF_EXTERNAL | RT_GF_G0)))
        rt__gosched(false);
}

/* ---- the scheduling loop -------------------------------------------------- */

/* steal_work tries every other P in a random order, four times, taking
 * runnext only in the last round. */
static struct rt_g *steal_work(struct rt_p *p)
{
    int32_t n = rt__sched.nallp;
    int32_t procs = atomic_load_explicit(&rt__sched.gomaxprocs,
                                         memory_order_relaxed);
    if (procs > n)
        procs = n;
    if (procs <= 1)
        return NULL;
    for (int round = 0; round < 4; round++) {
        bool last = round == 3;
        uint32_t start = rt__fastrandn((uint32_t)procs);
        for (int32_t i = 0; i < procs; i++) {
            struct rt_p *victim = rt__sched.allp[(start + (uint32_t)i) %
                                                 (uint32_t)procs];
            if (victim == p)
                continue;
            if (atomic_load_explicit(&victim->status, memory_order_relaxed)
                == RT_P_IDLE)
                continue;
            struct rt_g *g = rt__runq_steal(p, victim, last);
            if (g)
                return g;
        }
    }
    return NULL;
}

/* reset_spinning: a spinning M found work. If it was the last spinner,
 * wake another M to look for more (Go's resetspinning). */
static void reset_spinning(struct rt_m *m)
{
    m->spinning = false;
    int32_t left = atomic_fetch_sub_explicit(&rt__sched.nmspinning, 1,
                                             memory_order_acq_rel) - 1;
    if (left < 0)
        RT_THROW("negative nmspinning");
    if (left == 0)
        rt__wakep();
}

static struct rt_g *check_global(struct rt_p *p, int32_t max)
{
    if (atomic_load_explicit(&rt__sched.runq_size, memory_order_acquire) == 0)
        return NULL;
    rt__lock(&rt__sched.lock);
    struct rt_g *g = rt__globrunq_get(p, max);
    rt__unlock(&rt__sched.lock);
    return g;
}

static void run_timers(void)
{
    int64_t next = rt__timers_next();
    if (next == INT64_MAX)
        return;
    int64_t now = rt__nanotime();
    if (next <= now)
        rt__timers_run(now);
}

/* any_work is the last look before an M without a P sleeps. */
static bool any_work(void)
{
    if (atomic_load_explicit(&rt__sched.runq_size, memory_order_acquire))
        return true;
    for (int32_t i = 0; i < rt__sched.nallp; i++)
        if (!rt__runq_empty(rt__sched.allp[i]))
            return true;
    return false;
}

/* sleep_for_timers makes m the M that sleeps until the next timer, if
 * there are timers and no such M yet. Returns true if it slept and then
 * got a P back (the caller starts over). */
static bool sleep_for_timers(struct rt_m *m)
{
    int64_t next = rt__timers_next();
    if (next == INT64_MAX)
        return false;
    atomic_store(&rt__sched.timer_sleep_until, next);
    struct rt_m *expected = NULL;
    if (!atomic_compare_exchange_strong(&rt__sched.timer_sleeper, &expected,
                                        m))
        return false;
    /* A timer added before we registered must not be missed. */
    int64_t again = rt__timers_next();
    bool woken = false;
    if (again >= next) {
        int64_t delay = next - rt__nanotime();
        if (delay > 0)
            woken = rt__note_tsleep(&m->park, delay);
    }
    if (!woken) {
        expected = m;
        if (!atomic_compare_exchange_strong(&rt__sched.timer_sleeper,
                                            &expected, NULL))
            rt__note_sleep(&m->park); /* claimed by a waker: consume it */
    }
    rt__note_clear(&m->park);
    rt__lock(&rt__sched.lock);
    struct rt_p *p = rt__pidleget();
    rt__unlock(&rt__sched.lock);
    if (!p)
        return false;
    rt__acquirep(m, p);
    return true;
}

/* find_runnable returns a goroutine to run on m, blocking m until there
 * is one. m holds a P on entry and on return. */
static struct rt_g *find_runnable(struct rt_m *m, bool *inherit)
{
    for (;;) {
        struct rt_p *p = m->p;
        *inherit = false;

        /* A P beyond a lowered GOMAXPROCS gives its work away. */
        if (rt_unlikely(p->id >= atomic_load_explicit(&rt__sched.gomaxprocs,
                                                      memory_order_relaxed))) {
            rt__runq_drain_to_global(p);
            rt__releasep(m);
            rt__lock(&rt__sched.lock);
            atomic_store(&p->status, RT_P_RETIRED);
            rt__unlock(&rt__sched.lock);
            if (m->spinning)
                reset_spinning(m);
            /* What it had queued is now in the global queue: make sure an
             * M with a P looks there (they may all be asleep). */
            rt__wakep();
            rt__stopm(m);
            continue;
        }

        run_timers();

        struct rt_g *g;
        /* Fairness: the global queue gets a turn now and then. */
        if (atomic_load_explicit(&p->schedtick, memory_order_relaxed) % 61
                == 0 &&
            (g = check_global(p, 1)))
            goto found;
        if ((g = rt__runq_get(p, inherit)))
            goto found;
        if ((g = check_global(p, 0)))
            goto found;

        /* Steal, unless half the busy Ps already have a spinning M. */
        int32_t procs = atomic_load_explicit(&rt__sched.gomaxprocs,
                                             memory_order_relaxed);
        int32_t busy = procs - atomic_load_explicit(&rt__sched.npidle,
                                                    memory_order_relaxed);
        if (m->spinning ||
            2 * atomic_load_explicit(&rt__sched.nmspinning,
                                     memory_order_relaxed) < busy) {
            if (!m->spinning) {
                m->spinning = true;
                atomic_fetch_add_explicit(&rt__sched.nmspinning, 1,
                                          memory_order_acq_rel);
            }
            if ((g = steal_work(p)))
                goto found;
            /* Spin a little: a futex sleep and wakeup costs far more here
             * than a few microseconds of looking. */
            int64_t spin_ns = (int64_t)rep_options()->spin_us * 1000;
            if (spin_ns > 0) {
                int64_t until = rt__nanotime() + spin_ns;
                do {
                    /* Faulting in a slot for the next go statement is
                     * useful work (stack.c says why): it restarts the
                     * spin, like finding a goroutine would. */
                    if (rt__gslot_prefault())
                        until = rt__nanotime() + spin_ns;
                    else
                        for (int i = 0; i < 64; i++)
                            rt__cpu_relax();
                    if ((g = check_global(p, 0)) || (g = steal_work(p)))
                        goto found;
                    run_timers();
                    if ((g = rt__runq_get(p, inherit)))
                        goto found;
                } while (rt__nanotime() < until);
            }
        }

        /* Nothing: give the P back and sleep. */
        rt__lock(&rt__sched.lock);
        if ((g = rt__globrunq_get(p, 0))) {
            rt__unlock(&rt__sched.lock);
            goto found;
        }
        rt__releasep(m);
        rt__pidleput(p);
        rt__unlock(&rt__sched.lock);

        /* The spinning -> idle transition must look again: work may have
         * been queued after we looked but before we were idle, by an M that
         * saw nmspinning > 0 and so did not wake anybody (Go's "delicate
         * dance"). */
        if (m->spinning) {
            m->spinning = false;
            if (atomic_fetch_sub_explicit(&rt__sched.nmspinning, 1,
                                          memory_order_seq_cst) <= 0)
                RT_THROW("negative nmspinning");
            atomic_thread_fence(memory_order_seq_cst);
            if (any_work()) {
                rt__lock(&rt__sched.lock);
                struct rt_p *np = rt__pidleget();
                rt__unlock(&rt__sched.lock);
                if (np) {
                    rt__acquirep(m, np);
                    m->spinning = true;
                    atomic_fetch_add(&rt__sched.nmspinning, 1);
                    continue;
                }
            }
        }
        if (sleep_for_timers(m))
            continue;
        rt__stopm(m);
        continue;

    found:
        if (m->spinning)
            reset_spinning(m);
        return g;
    }
}

/* finish_action carries out what g asked for when it switched away (on
 * g0, or on the goroutine g switched to). Returns true only for a park
 * whose park_fn called it off: g must run again (status still WAITING;
 * the caller sets it). */
static bool finish_action(struct rt_m *m, struct rt_g *g,
                          enum rt_switch_action action)
{
    void rt__stack_switch_checks(struct rt_g *g);
    rt__stack_switch_checks(g);
    switch (action) {
    case RT_SWITCH_PARK:
        atomic_store_explicit(&g->status, RT_G_WAITING, memory_order_release);
        return g->park_fn && !g->park_fn(g, g->park_arg);
    case RT_SWITCH_YIELD:
        atomic_store_explicit(&g->status, RT_G_RUNNABLE, memory_order_release);
        rt__globrunq_put(g);
        return false;
    case RT_SWITCH_YIELD_LOCAL:
        atomic_store_explicit(&g->status, RT_G_RUNNABLE, memory_order_release);
        rt__runq_put(m->p, g, false);
        return false;
    case RT_SWITCH_EXIT:
        atomic_store_explicit(&g->status, RT_G_DEAD, memory_order_relaxed);
        g->fn = NULL;
        g->arg = NULL;
        g->detector = NULL;
        atomic_store_explicit(&g->status, RT_G_FREE, memory_order_release);
        atomic_fetch_sub_explicit(&rt__sched.ngoroutines, 1,
                                  memory_order_relaxed);
        gfput(m->p, g);
        return false;
    case RT_SWITCH_EXIT_MAIN:
        atomic_store_explicit(&g->status, RT_G_DEAD, memory_order_release);
        atomic_fetch_sub_explicit(&rt__sched.ngoroutines, 1,
                                  memory_order_relaxed);
        return false;
    case RT_SWITCH_SYSCALL_EXIT:
    case RT_SWITCH_NONE:
        break;
    }
    RT_THROW("goroutine %llu switched away without a reason (%d)",
             (unsigned long long)g->id, (int)action);
}

/* after_switch is finish_action on g0: returns a goroutine to resume at
 * once, or NULL to look for work. */
static struct rt_g *after_switch(struct rt_m *m, struct rt_g *g, bool *inherit)
{
    *inherit = true;
    enum rt_switch_action action = m->switch_action;
    m->switch_action = RT_SWITCH_NONE;
    if (action == RT_SWITCH_SYSCALL_EXIT) {
        /* The goroutine left a system call and found no P: queue it and
         * let this M sleep (Go's exitsyscall0). */
        void rt__stack_switch_checks(struct rt_g *g);
        rt__stack_switch_checks(g);
        atomic_store_explicit(&g->status, RT_G_RUNNABLE, memory_order_release);
        rt__lock(&rt__sched.lock);
        struct rt_p *p = rt__pidleget();
        if (p) {
            rt__unlock(&rt__sched.lock);
            rt__acquirep(m, p);
            return g;
        }
        void rt__globrunq_put_locked(struct rt_g *g);
        rt__globrunq_put_locked(g);
        rt__unlock(&rt__sched.lock);
        rt__stopm(m);
        return NULL;
    }
    if (finish_action(m, g, action))
        return g;
    return NULL;
}

static void execute(struct rt_m *m, struct rt_g *g, bool inherit)
{
    set_running(m, m->p, g, inherit);
    switch_to_goroutine(m, g);
}

RT_NORETURN void rt__schedule(void)
{
    /* g0 never migrates: its M is fixed, so one TLS read is enough. */
    struct rt_m *m = rt__tls_m;
    bool inherit = false;
    struct rt_g *g = NULL;
    if (m->curg) {
        /* First entry on the main thread's g0: the main goroutine has just
         * switched here with an action. */
        struct rt_g *prev = m->curg;
        m->curg = NULL;
        g = after_switch(m, prev, &inherit);
    }
    for (;;) {
        if (!g)
            g = find_runnable(m, &inherit);
        execute(m, g, inherit);
        struct rt_g *prev = m->curg;
        m->curg = NULL;
        g = after_switch(m, prev, &inherit);
    }
}

/* ---- system calls --------------------------------------------------------- */

void go_syscall_enter(void)
{
    struct rt_g *g = rt__getg();
    if (g->flags & (RT_GF_EXTERNAL | RT_GF_G0))
        return;
    struct rt_m *m = g->m;
    struct rt_p *p = m->p;
    if (rt_unlikely(atomic_load_explicit(&g->status, memory_order_relaxed)
                    == RT_G_SYSCALL))
        rt__throw_user("panic: go_syscall_enter: already in a system call "
                       "(calls may not nest)");
    atomic_fetch_add_explicit(&p->syscalltick, 1, memory_order_relaxed);
    /* The P is detached for the call (Go's entersyscall): it belongs to
     * whoever moves it out of RT_P_SYSCALL first — this M on its way out,
     * or sysmon handing it to another M. Were it still wired to this M, an
     * M that got it from sysmon and entered a call of its own would leave
     * it in RT_P_SYSCALL again, and this M's exit would take a P that
     * another M believes it owns. */
    m->oldp = p;
    m->p = NULL;
    p->m = NULL;
    atomic_store_explicit(&g->status, RT_G_SYSCALL, memory_order_release);
    atomic_store_explicit(&p->status, RT_P_SYSCALL, memory_order_release);
    if (atomic_load_explicit(&rt__sched.sysmon_wait, memory_order_relaxed))
        rt__sysmon_wake();
}

void go_syscall_exit(void)
{
    struct rt_g *g = rt__getg();
    if (g->flags & (RT_GF_EXTERNAL | RT_GF_G0))
        return;
    if (rt_unlikely(atomic_load_explicit(&g->status, memory_order_relaxed)
                    != RT_G_SYSCALL))
        rt__throw_user("panic: go_syscall_exit without go_syscall_enter");
    struct rt_m *m = rt__getm();
    struct rt_p *p = m->oldp;
    m->oldp = NULL;
    /* Fast path: our P is still ours. */
    uint32_t s = RT_P_SYSCALL;
    if (atomic_compare_exchange_strong_explicit(&p->status, &s, RT_P_RUNNING,
                                                memory_order_acq_rel,
                                                memory_order_relaxed)) {
        m->p = p;
        p->m = m;
        atomic_store_explicit(&g->status, RT_G_RUNNING, memory_order_release);
        return;
    }
    /* sysmon handed our P to another M. Take an idle P, or queue. */
    rt__lock(&rt__sched.lock);
    struct rt_p *np = rt__pidleget();
    rt__unlock(&rt__sched.lock);
    if (np) {
        rt__acquirep(m, np);
        atomic_store_explicit(&g->status, RT_G_RUNNING, memory_order_release);
        return;
    }
    m->switch_action = RT_SWITCH_SYSCALL_EXIT;
    switch_to_scheduler(g, m, false);
    finish_previous();
}

/* ---- initialization ------------------------------------------------------- */

static void external_destructor(void *arg)
{
    struct rt_g *g = arg;
    atomic_store(&g->status, RT_G_FREE);
    rt__lock(&rt__sched.lock);
    rt__sched.nm_external_running--;
    rt__unlock(&rt__sched.lock);
    if (g == rt__sched.main_g)
        atomic_fetch_sub(&rt__sched.ngoroutines, 1);
}

/* thread_stack_bounds finds the calling thread's stack and the guard
 * region below it: glibc's guard for a thread, the kernel's stack guard
 * gap (at least 256 pages) for the main thread. */
static void thread_stack_bounds(uintptr_t *lo, uintptr_t *hi,
                                uintptr_t *guard_lo)
{
    pthread_attr_t attr;
    void *addr;
    size_t size, guard = 0;
    *lo = *hi = *guard_lo = 0;
    if (pthread_getattr_np(pthread_self(), &attr))
        return;
    if (!pthread_attr_getstack(&attr, &addr, &size)) {
        *lo = (uintptr_t)addr;
        *hi = (uintptr_t)addr + size;
    }
    pthread_attr_getguardsize(&attr, &guard);
    pthread_attr_destroy(&attr);
    if (getpid() == (pid_t)syscall(SYS_gettid))
        guard = 256 * 4096;
    *guard_lo = *lo - guard;
}

/* rt__thread_stack_bounds is used by proc.c for new Ms' g0. */
void rt__thread_stack_bounds(uintptr_t *lo, uintptr_t *hi,
                             uintptr_t *guard_lo)
{
    thread_stack_bounds(lo, hi, guard_lo);
}

/* register_external gives a foreign thread a goroutine of its own. */
static struct rt_g *register_external(bool is_first)
{
    struct rt_g *g = calloc(1, sizeof *g);
    if (!g)
        RT_THROW("out of memory registering a thread");
    g->flags = RT_GF_EXTERNAL;
    g->id = is_first ? 1 : atomic_fetch_add(&rt__sched.goid_gen, 1);
    thread_stack_bounds(&g->stack_lo, &g->stack_hi, &g->guard_lo);
    rt__timer_init(&g->sleep_timer, NULL, g);
    atomic_store(&g->status, RT_G_RUNNING);
    rt__lock(&rt__sched.lock);
    rt__sched.nm_external_running++;
    if (is_first) {
        rt__sched.main_g = g;
        atomic_fetch_add(&rt__sched.ngoroutines, 1);
    }
    rt__unlock(&rt__sched.lock);
    rt__allg_add(g);
    rt__tls_ext_g = g;
    pthread_setspecific(external_key, g);
    return g;
}

void *rt__g0_stack_alloc(size_t size, uintptr_t *lo, uintptr_t *hi);

/* become_main makes the calling (main) thread M0 and its flow goroutine 1,
 * running on the thread's own stack; M0's g0 gets a mapped stack. Returns
 * false (changing nothing) if no P is free to give it, which can only
 * happen when the main thread enters the runtime after other threads
 * started it. */
static bool become_main(void)
{
    rt__lock(&rt__sched.lock);
    struct rt_p *p = rt__pidleget();
    rt__unlock(&rt__sched.lock);
    if (!p)
        return false;
    struct rt_m *m = rt__newm_struct();
    m->tid = (pid_t)syscall(SYS_gettid);
    m->thread = pthread_self();
    size_t g0_size = 256 * 1024;
    m->g0_stack = rt__g0_stack_alloc(g0_size, &m->g0.stack_lo,
                                     &m->g0.stack_hi);
    m->g0.guard_lo = (uintptr_t)m->g0_stack;
    m->g0_stack_size = g0_size;
    rt__context_make(&m->g0.ctx, (void *)m->g0.stack_hi, &m->g0);

    struct rt_g *g = calloc(1, sizeof *g);
    if (!g)
        RT_THROW("out of memory creating the main goroutine");
    g->flags = RT_GF_MAIN;
    g->id = 1;
    thread_stack_bounds(&g->stack_lo, &g->stack_hi, &g->guard_lo);
    rt__timer_init(&g->sleep_timer, NULL, g);
    g->m = m;
    atomic_store(&g->status, RT_G_RUNNING);
    rt__allg_add(g);
    rt__sched.main_g = g;
    atomic_fetch_add(&rt__sched.ngoroutines, 1);

    m->curg = g;
    rt__tls_m = m;
    rt__stack_thread_init(m);
    rt__acquirep(m, p);
    return true;
}

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static pid_t init_tid;

static void init_runtime(void)
{
    init_tid = (pid_t)syscall(SYS_gettid);
    rep_options();
    rep_install_exit_status();
    rt__hooks_init();
    pthread_key_create(&external_key, external_destructor);
    atomic_store(&rt__sched.goid_gen, 2);
    rt__stack_init();
    rt__procs_init(rt__default_procs());
    if (init_tid == getpid())
        become_main();
    rt__sched.main_started = true;
    atomic_store_explicit(&rt__initialized, true, memory_order_release);
    rt__sysmon_start();
}

void rt__init(void)
{
    pthread_once(&init_once, init_runtime);
}

static RT_NOINLINE struct rt_g *getg_slow(void)
{
    rt__init();
    struct rt_m *m = rt__tls_m;
    if (m)
        return m->curg ? m->curg : &m->g0;
    if (rt__tls_ext_g)
        return rt__tls_ext_g;
    /* Goroutine 1 is the main thread's flow, whenever it first comes. */
    if (getpid() == (pid_t)syscall(SYS_gettid) && rt__sched.main_g == NULL) {
        if (become_main())
            return rt__tls_m->curg;
        return register_external(true);
    }
    return register_external(false);
}

/* ---- public goroutine API --------------------------------------------------- */

uint64_t go_id(void)
{
    return rt__getg()->id;
}

void go_yield(void)
{
    rt__gosched(false);
}

int go_num_goroutine(void)
{
    rt__getg();
    return atomic_load_explicit(&rt__sched.ngoroutines, memory_order_relaxed);
}

int go_maxprocs(int n)
{
    rt__getg();
    int old = atomic_load(&rt__sched.gomaxprocs);
    if (n > 0 && n != old)
        rt__procs_resize(n);
    return old;
}

void go_exit(void)
{
    struct rt_g *g = rt__getg();
    if (g->flags & RT_GF_G0)
        RT_THROW("go_exit on the scheduler stack");
    if (g->flags & RT_GF_EXTERNAL) {
        /* A foreign thread's flow ends with its thread. */
        run_defers(g);
        pthread_exit(NULL);
    }
    run_defers(g);
    if (g->flags & RT_GF_MAIN) {
        /* Go: the other goroutines go on; when none is left the program
         * dies with "no goroutines (main called runtime.Goexit)". The main
         * thread's stack stays in use by nobody: M0 goes on with g0. */
        atomic_store(&rt__sched.main_exited, true);
        RT_HOOK(go_end, g);
        struct rt_m *m = rt__getm();
        m->switch_action = RT_SWITCH_EXIT_MAIN;
        switch_to_scheduler(g, m, true);
        RT_THROW("main goroutine resumed after go_exit");
    }
    goexit1(g);
}
