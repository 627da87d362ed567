/* SPDX-License-Identifier: MIT */
/*
 * This file implements the run queues: each P's bounded lock-free local
 * queue with its runnext slot, the global queue, and work stealing.
 *
 * Local queue (Go's runq): a ring of RT_RUNQ_SIZE goroutine pointers with
 * a head and a tail index that only grow. Only the owning P writes tail
 * (push); the owner and thieves advance head with CAS (pop, steal). A
 * thief copies up to half of the victim's queue and then claims it with a
 * single CAS on head, so a steal either takes the whole batch or nothing.
 * Slots are read racily by thieves and validated by that CAS, hence the
 * relaxed atomic loads of slots.
 *
 * runnext holds a goroutine readied by the running one (a channel handoff
 * or a go statement): it runs next, inheriting the time slice, so that a
 * producer/consumer pair stays on one P and in cache. Thieves take runnext
 * only in their last round, after giving its owner a moment to run it.
 *
 * Invariants:
 *  - 0 <= tail - head <= RT_RUNQ_SIZE, on a consistent read.
 *  - A goroutine is in at most one queue (or runnext) at a time.
 */
#include "runtime_impl.h"

#define RUNQ_MASK (RT_RUNQ_SIZE - 1)

_Static_assert((RT_RUNQ_SIZE & RUNQ_MASK) == 0, "runq size is a power of 2");

/* ---- global queue (sched.lock) ------------------------------------------ */

static void globrunq_put_locked(struct rt_g *g)
{
    g->sched_link = NULL;
    if (rt__sched.runq_tail)
        rt__sched.runq_tail->sched_link = g;
    else
        rt__sched.runq_head = g;
    rt__sched.runq_tail = g;
    atomic_fetch_add_explicit(&rt__sched.runq_size, 1, memory_order_release);
}

void rt__globrunq_put(struct rt_g *g)
{
    rt__lock(&rt__sched.lock);
    globrunq_put_locked(g);
    rt__unlock(&rt__sched.lock);
}

/* rt__globrunq_put_locked is for callers that already hold sched.lock. */
void rt__globrunq_put_locked(struct rt_g *g)
{
    globrunq_put_locked(g);
}

void rt__globrunq_put_batch(struct rt_g *head, struct rt_g *tail, int32_t n)
{
    tail->sched_link = NULL;
    rt__lock(&rt__sched.lock);
    if (rt__sched.runq_tail)
        rt__sched.runq_tail->sched_link = head;
    else
        rt__sched.runq_head = head;
    rt__sched.runq_tail = tail;
    atomic_fetch_add_explicit(&rt__sched.runq_size, n, memory_order_release);
    rt__unlock(&rt__sched.lock);
}

static struct rt_g *globrunq_pop_locked(void)
{
    struct rt_g *g = rt__sched.runq_head;
    if (!g)
        return NULL;
    rt__sched.runq_head = g->sched_link;
    if (!rt__sched.runq_head)
        rt__sched.runq_tail = NULL;
    atomic_fetch_sub_explicit(&rt__sched.runq_size, 1, memory_order_relaxed);
    return g;
}

/* rt__globrunq_get takes a fair share of the global queue: returns one
 * goroutine and moves up to max-1 more (max 0: no limit beyond half a
 * local queue) into p's local queue. Called with sched.lock held. */
struct rt_g *rt__globrunq_get(struct rt_p *p, int32_t max)
{
    int32_t size = atomic_load_explicit(&rt__sched.runq_size,
                                        memory_order_relaxed);
    if (size == 0)
        return NULL;
    int32_t procs = atomic_load_explicit(&rt__sched.gomaxprocs,
                                         memory_order_relaxed);
    int32_t n = size / procs + 1;
    if (n > size)
        n = size;
    if (max > 0 && n > max)
        n = max;
    if (n > RT_RUNQ_SIZE / 2)
        n = RT_RUNQ_SIZE / 2;
    /* Never overflow the local queue: that would take sched.lock again. */
    int32_t room = (int32_t)(RT_RUNQ_SIZE - rt__runq_len(p));
    if (n > room + 1)
        n = room + 1;
    struct rt_g *g = globrunq_pop_locked();
    for (int32_t i = 1; i < n; i++) {
        struct rt_g *more = globrunq_pop_locked();
        if (!more)
            break;
        rt__runq_put(p, more, false);
    }
    return g;
}

/* ---- local queue ---------------------------------------------------------- */

/* runq_put_slow moves half of the full local queue plus g to the global
 * queue in one batch. Returns false if thieves got there first. */
static bool runq_put_slow(struct rt_p *p, struct rt_g *g, uint32_t head,
                          uint32_t tail)
{
    enum { HALF = RT_RUNQ_SIZE / 2 };
    struct rt_g *batch[HALF + 1];
    uint32_t n = (tail - head) / 2;
    if (n != HALF)
        RT_THROW("runq_put_slow: queue is not full (%u)", tail - head);
    for (uint32_t i = 0; i < n; i++)
        batch[i] = atomic_load_explicit(&p->runq[(head + i) & RUNQ_MASK],
                                        memory_order_relaxed);
    if (!atomic_compare_exchange_strong_explicit(&p->runq_head, &head,
                                                 head + n,
                                                 memory_order_release,
                                                 memory_order_relaxed))
        return false;
    batch[n] = g;
    for (uint32_t i = 0; i < n; i++)
        batch[i]->sched_link = batch[i + 1];
    rt__globrunq_put_batch(batch[0], batch[n], (int32_t)n + 1);
    return true;
}

enum rt_runq_put rt__runq_put(struct rt_p *p, struct rt_g *g, bool next)
{
    if (next) {
        struct rt_g *old = atomic_exchange_explicit(&p->runnext, g,
                                                    memory_order_acq_rel);
        if (!old)
            return RT_RUNQ_NEXT;
        /* Kick the old runnext out to the regular queue. */
        g = old;
    }
    for (;;) {
        uint32_t head = atomic_load_explicit(&p->runq_head,
                                             memory_order_acquire);
        uint32_t tail = atomic_load_explicit(&p->runq_tail,
                                             memory_order_relaxed);
        if (tail - head < RT_RUNQ_SIZE) {
            atomic_store_explicit(&p->runq[tail & RUNQ_MASK], g,
                                  memory_order_relaxed);
            atomic_store_explicit(&p->runq_tail, tail + 1,
                                  memory_order_release);
            return RT_RUNQ_LOCAL;
        }
        if (runq_put_slow(p, g, head, tail))
            return RT_RUNQ_GLOBAL;
    }
}

struct rt_g *rt__runq_get(struct rt_p *p, bool *inherit)
{
    struct rt_g *next = atomic_load_explicit(&p->runnext,
                                             memory_order_relaxed);
    if (next && atomic_compare_exchange_strong_explicit(
                    &p->runnext, &next, NULL, memory_order_acq_rel,
                    memory_order_relaxed)) {
        *inherit = true;
        return next;
    }
    *inherit = false;
    for (;;) {
        uint32_t head = atomic_load_explicit(&p->runq_head,
                                             memory_order_acquire);
        uint32_t tail = atomic_load_explicit(&p->runq_tail,
                                             memory_order_relaxed);
        if (tail == head)
            return NULL;
        struct rt_g *g = atomic_load_explicit(&p->runq[head & RUNQ_MASK],
                                              memory_order_relaxed);
        if (atomic_compare_exchange_weak_explicit(&p->runq_head, &head,
                                                  head + 1,
                                                  memory_order_release,
                                                  memory_order_relaxed))
            return g;
    }
}

uint32_t rt__runq_len(struct rt_p *p)
{
    uint32_t head = atomic_load_explicit(&p->runq_head, memory_order_acquire);
    uint32_t tail = atomic_load_explicit(&p->runq_tail, memory_order_acquire);
    return tail - head;
}

bool rt__runq_empty(struct rt_p *p)
{
    /* Loop until a consistent snapshot: runnext may move into the queue
     * between our reads (Go's runqempty). */
    for (;;) {
        uint32_t head = atomic_load_explicit(&p->runq_head,
                                             memory_order_acquire);
        uint32_t tail = atomic_load_explicit(&p->runq_tail,
                                             memory_order_acquire);
        struct rt_g *next = atomic_load_explicit(&p->runnext,
                                                 memory_order_acquire);
        if (tail == atomic_load_explicit(&p->runq_tail, memory_order_acquire))
            return head == tail && next == NULL;
    }
}

/* runq_grab copies up to half of victim's queue into batch, a ring that
 * starts at batch_head, and claims them. Returns the number taken. */
static uint32_t runq_grab(struct rt_p *victim, struct rt_g *_Atomic *batch,
                          uint32_t batch_head, bool steal_runnext)
{
    for (;;) {
        uint32_t head = atomic_load_explicit(&victim->runq_head,
                                             memory_order_acquire);
        uint32_t tail = atomic_load_explicit(&victim->runq_tail,
                                             memory_order_acquire);
        uint32_t n = tail - head;
        n = n - n / 2;
        if (n == 0) {
            if (!steal_runnext)
                return 0;
            struct rt_g *next = atomic_load_explicit(&victim->runnext,
                                                     memory_order_acquire);
            if (!next)
                return 0;
            /* The victim is probably about to run it (it just readied it
             * and will block soon): give it ~3 us, as Go does, before
             * stealing, so that a ping-pong pair is not split across Ps. */
            if (atomic_load_explicit(&victim->status, memory_order_relaxed)
                == RT_P_RUNNING) {
                int64_t until = rt__nanotime() + 3000;
                while (rt__nanotime() < until)
                    rt__cpu_relax();
            }
            if (!atomic_compare_exchange_strong_explicit(
                    &victim->runnext, &next, NULL, memory_order_acq_rel,
                    memory_order_relaxed))
                continue;
            atomic_store_explicit(&batch[batch_head & RUNQ_MASK], next,
                                  memory_order_relaxed);
            return 1;
        }
        if (n > RT_RUNQ_SIZE / 2)
            continue; /* read inconsistent head and tail */
        for (uint32_t i = 0; i < n; i++) {
            struct rt_g *g = atomic_load_explicit(
                &victim->runq[(head + i) & RUNQ_MASK], memory_order_relaxed);
            atomic_store_explicit(&batch[(batch_head + i) & RUNQ_MASK], g,
                                  memory_order_relaxed);
        }
        if (atomic_compare_exchange_strong_explicit(
                &victim->runq_head, &head, head + n, memory_order_release,
                memory_order_relaxed))
            return n;
    }
}

struct rt_g *rt__runq_steal(struct rt_p *p, struct rt_p *victim,
                            bool steal_runnext)
{
    uint32_t tail = atomic_load_explicit(&p->runq_tail, memory_order_relaxed);
    uint32_t n = runq_grab(victim, p->runq, tail, steal_runnext);
    if (n == 0)
        return NULL;
    n--;
    struct rt_g *g = atomic_load_explicit(&p->runq[(tail + n) & RUNQ_MASK],
                                          memory_order_relaxed);
    if (n == 0)
        return g;
    uint32_t head = atomic_load_explicit(&p->runq_head, memory_order_acquire);
    if (tail - head + n >= RT_RUNQ_SIZE)
        RT_THROW("runq_steal overflowed the local queue");
    atomic_store_explicit(&p->runq_tail, tail + n, memory_order_release);
    return g;
}

/* rt__runq_drain_to_global moves everything in p's local queue and
 * runnext to the global queue (p is being retired or stopped). */
void rt__runq_drain_to_global(struct rt_p *p)
{
    struct rt_g *next = atomic_exchange_explicit(&p->runnext, NULL,
                                                 memory_order_acq_rel);
    if (next)
        rt__globrunq_put(next);
    bool inherit;
    struct rt_g *g;
    while ((g = rt__runq_get(p, &inherit)))
        rt__globrunq_put(g);
}
