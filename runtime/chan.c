/* SPDX-License-Identifier: MIT */
/*
 * This file implements channels with Go's semantics (runtime/chan.go):
 * a ring buffer, queues of waiting senders and receivers, direct handoff
 * to a waiting partner, close waking everybody, and the nil channel.
 *
 * Invariants (at least one of c->sendq and c->recvq is empty, except
 * for an unbuffered channel with a single goroutine blocked in a select
 * on both sending and receiving):
 *  - buffered: qcount > 0 implies recvq is empty;
 *              qcount < dataqsiz implies sendq is empty.
 *  - A waiter is on a queue only while its goroutine is parked (or about
 *    to park under the same lock), and is taken off by exactly one party:
 *    the partner that completes it, the closer, or (select) its own
 *    goroutine after another case won.
 *
 * Memory model hooks (hooks.h has the event contract): buffered elements
 * carry sequence numbers so that the detector can give "the k-th receive
 * happens before the (k+C)-th send completes"; an unbuffered rendezvous is
 * one chan_sync event; close is a release, and a receive that sees it an
 * acquire.
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include <gosan/chan.h>

#include "runtime_impl.h"

/* ---- wait queues (c->lock held) ----------------------------------------- */

void rt__waitq_enqueue(struct rt_waitq *q, struct rt_waiter *w)
{
    w->next = NULL;
    w->prev = q->last;
    if (q->last)
        q->last->next = w;
    else
        __atomic_store_n(&q->first, w, __ATOMIC_RELAXED);
    q->last = w;
}

void rt__waitq_remove(struct rt_waitq *q, struct rt_waiter *w)
{
    if (w->prev)
        w->prev->next = w->next;
    else if (q->first == w)
        __atomic_store_n(&q->first, w->next, __ATOMIC_RELAXED);
    else
        return; /* not on this queue (already dequeued) */
    if (w->next)
        w->next->prev = w->prev;
    else
        q->last = w->prev;
    w->next = w->prev = NULL;
}

/* rt__waitq_dequeue pops the first waiter that can still be completed: a
 * waiter of a select that another case already won is dropped. */
struct rt_waiter *rt__waitq_dequeue(struct rt_waitq *q)
{
    for (;;) {
        struct rt_waiter *w = q->first;
        if (!w)
            return NULL;
        __atomic_store_n(&q->first, w->next, __ATOMIC_RELAXED);
        if (w->next)
            w->next->prev = NULL;
        else
            q->last = NULL;
        w->next = w->prev = NULL;
        if (w->is_select) {
            uint32_t expected = 0;
            if (!atomic_compare_exchange_strong(&w->g->select_done,
                                                &expected, 1))
                continue;
        }
        return w;
    }
}

static inline bool waitq_empty(const struct rt_waitq *q)
{
    return __atomic_load_n(&q->first, __ATOMIC_RELAXED) == NULL;
}

/* ---- element copies ---------------------------------------------------- */

/* elem_copy copies one element; a NULL source is the zero value (sending
 * NULL sends zeros), a NULL destination discards. */
static inline void elem_copy(go_chan *c, void *dst, const void *src)
{
    if (!dst)
        return;
    if (rt_unlikely(!src)) {
        rt__memset(dst, 0, c->elemsize);
        return;
    }
    /* The common element sizes, without a call into libc. */
    switch (c->elemsize) {
    case 0: return;
    case 4: memcpy(dst, src, 4); return;
    case 8: memcpy(dst, src, 8); return;
    case 16: memcpy(dst, src, 16); return;
    default: rt__memcpy(dst, src, c->elemsize); return;
    }
}

static inline void elem_zero(go_chan *c, void *dst)
{
    if (dst && c->elemsize)
        rt__memset(dst, 0, c->elemsize);
}

static inline char *slot(go_chan *c, size_t i)
{
    return c->buf + i * c->elemsize;
}

/* ---- make and free ------------------------------------------------------ */

go_chan *rt__chan_make(size_t elem_size, size_t cap, uintptr_t pc)
{
    struct rt_g *g = rt__getg_fast();
    if (elem_size > 65536)
        rt__throw_user("panic: go_chan_make: element size %zu too large "
                       "(max 65536)", elem_size);
    size_t bytes = elem_size * cap;
    if (cap && bytes / cap != elem_size)
        rt__throw_user("panic: go_chan_make: size out of range");
    size_t head = (sizeof(go_chan) + 15) & ~(size_t)15;
    if (bytes > SIZE_MAX - head)
        rt__throw_user("panic: go_chan_make: size out of range");
    go_chan *c = aligned_alloc(16, (head + bytes + 15) & ~(size_t)15);
    if (!c)
        rt__throw_user("panic: go_chan_make: out of memory (%zu bytes)",
                       head + bytes);
    memset(c, 0, sizeof *c);
    c->elemsize = elem_size;
    c->dataqsiz = cap;
    c->buf = (char *)c + head;
    c->make_pc = pc;
    c->make_goid = g->id;
    RT_HOOK(chan_make, g, c, elem_size, cap, pc);
    return c;
}

void rt__chan_init(go_chan *c, size_t elem_size, uintptr_t pc)
{
    struct rt_g *g = rt__getg_fast();
    memset(c, 0, sizeof *c);
    c->elemsize = elem_size;
    c->make_pc = pc;
    c->make_goid = g->id;
    RT_HOOK(chan_make, g, c, elem_size, 0, pc);
}

void rt__chan_destroy(go_chan *c)
{
    RT_HOOK(chan_free, rt__getg_fast(), c);
}

void **rt_chan_detector(go_chan *c)
{
    return &c->detector;
}

go_chan *go_chan_make(size_t elem_size, size_t cap)
{
    return rt__chan_make(elem_size, cap,
                         (uintptr_t)__builtin_return_address(0));
}

void go_chan_free(go_chan *c)
{
    if (!c)
        return;
    struct rt_g *g = rt__getg_fast();
    if (c->timer) {
        rt__timer_stop(c->timer);
        free(c->timer);
        c->timer = NULL;
    }
    rt__lock(&c->lock);
    bool in_use = !waitq_empty(&c->recvq) || !waitq_empty(&c->sendq);
    rt__unlock(&c->lock);
    if (in_use) {
        /* Freeing would leave parked goroutines pointing at freed memory:
         * report and keep the channel alive (leaked) instead. */
        rt__misuse(g, RT_MISUSE_CHAN_FREE_IN_USE, c,
                   (uintptr_t)__builtin_return_address(0));
        return;
    }
    RT_HOOK(chan_free, g, c);
    free(c);
}

size_t go_chan_len(go_chan *c)
{
    if (!c)
        return 0;
    return atomic_load_explicit(&c->qcount, memory_order_relaxed);
}

size_t go_chan_cap(go_chan *c)
{
    return c ? c->dataqsiz : 0;
}

/* ---- transfers with a parked partner (c->lock held) --------------------- */

/* rt__chan_send_direct delivers elem to the parked receiver w (already
 * dequeued). Called with c->lock held; the caller unlocks and then
 * readies the returned partner (never ready under a channel lock). */
struct rt_g *rt__chan_send_direct(go_chan *c, struct rt_waiter *w,
                                  const void *elem, struct rt_g *g)
{
    if (c->dataqsiz == 0) {
        RT_HOOK(chan_sync, c, g, w->g);
    } else {
        /* Buffer empty with a receiver waiting: the element passes through
         * the slot at recvx, as if it had been buffered. */
        RT_HOOK(chan_send, g, c, c->send_seq);
        RT_HOOK(chan_recv, w->g, c, c->recv_seq);
        if (++c->recvx == c->dataqsiz)
            c->recvx = 0;
        c->sendx = c->recvx;
    }
    c->send_seq++;
    c->recv_seq++;
    elem_copy(c, w->elem, elem);
    w->success = true;
    w->g->param = w;
    return w->g;
}

/* rt__chan_recv_direct takes a value from the parked sender w (already
 * dequeued) into elem. Unbuffered: straight from the sender. Buffered (so
 * full): the head of the buffer, and the sender's value goes to the tail.
 * Go's recv(). Same locking contract as rt__chan_send_direct. */
struct rt_g *rt__chan_recv_direct(go_chan *c, struct rt_waiter *w,
                                  void *elem, struct rt_g *g)
{
    if (c->dataqsiz == 0) {
        RT_HOOK(chan_sync, c, w->g, g);
        elem_copy(c, elem, w->elem);
    } else {
        char *head = slot(c, c->recvx);
        RT_HOOK(chan_recv, g, c, c->recv_seq);
        RT_HOOK(chan_send, w->g, c, c->send_seq);
        elem_copy(c, elem, head);
        elem_copy(c, head, w->elem);
        if (++c->recvx == c->dataqsiz)
            c->recvx = 0;
        c->sendx = c->recvx;
    }
    c->send_seq++;
    c->recv_seq++;
    w->success = true;
    w->g->param = w;
    return w->g;
}

/* rt__chan_buf_put and rt__chan_buf_take move one element in or out of
 * the buffer (c->lock held, room or data checked by the caller). */
void rt__chan_buf_put(go_chan *c, const void *elem, struct rt_g *g)
{
    RT_HOOK(chan_send, g, c, c->send_seq);
    c->send_seq++;
    elem_copy(c, slot(c, c->sendx), elem);
    if (++c->sendx == c->dataqsiz)
        c->sendx = 0;
    atomic_store_explicit(&c->qcount,
                          atomic_load_explicit(&c->qcount,
                                               memory_order_relaxed) + 1,
                          memory_order_relaxed);
}

void rt__chan_buf_take(go_chan *c, void *elem, struct rt_g *g)
{
    RT_HOOK(chan_recv, g, c, c->recv_seq);
    c->recv_seq++;
    elem_copy(c, elem, slot(c, c->recvx));
    if (++c->recvx == c->dataqsiz)
        c->recvx = 0;
    atomic_store_explicit(&c->qcount,
                          atomic_load_explicit(&c->qcount,
                                               memory_order_relaxed) - 1,
                          memory_order_relaxed);
}

/* ---- send ----------------------------------------------------------------- */

/* full reports whether a send would block right now, read without the
 * lock. A stale answer is fine: it is only used to fail fast, and a
 * non-blocking operation may linearize at the moment of the read. */
static inline bool full(go_chan *c)
{
    if (c->dataqsiz == 0)
        return waitq_empty(&c->recvq);
    return atomic_load_explicit(&c->qcount, memory_order_relaxed) ==
           c->dataqsiz;
}

static inline bool empty(go_chan *c)
{
    if (c->dataqsiz == 0)
        return waitq_empty(&c->sendq);
    return atomic_load_explicit(&c->qcount, memory_order_relaxed) == 0;
}

RT_NORETURN static void block_forever(uint8_t reason)
{
    rt__park(NULL, NULL, reason, NULL);
    RT_THROW("goroutine blocked forever was resumed");
}

/* rt__chan_send is Go's chansend. Returns true if the value was sent
 * (always, when block). */
bool rt__chan_send(go_chan *c, const void *elem, bool block, uintptr_t pc)
{
    struct rt_g *g = rt__getg_fast();
    if (rt_unlikely(c == NULL)) {
        if (!block)
            return false;
        block_forever(RT_WAIT_CHAN_SEND_NIL);
    }
    rt__preempt_check(g);

    /* Fast path: a non-blocking send on an open channel that is full. The
     * closed flag is read first: a channel observed not closed and then
     * full was not closed when it was full. */
    if (!block && !atomic_load_explicit(&c->closed, memory_order_relaxed) &&
        full(c))
        return false;

    rt__lock(&c->lock);
    if (rt_unlikely(atomic_load_explicit(&c->closed, memory_order_relaxed))) {
        rt__unlock(&c->lock);
        rt__misuse(g, RT_MISUSE_SEND_ON_CLOSED, c, pc);
        return false;
    }
    struct rt_waiter *w = rt__waitq_dequeue(&c->recvq);
    if (w) {
        struct rt_g *partner = rt__chan_send_direct(c, w, elem, g);
        rt__unlock(&c->lock);
        rt__ready(partner, true);
        return true;
    }
    if (atomic_load_explicit(&c->qcount, memory_order_relaxed) <
        c->dataqsiz) {
        rt__chan_buf_put(c, elem, g);
        rt__unlock(&c->lock);
        return true;
    }
    if (!block) {
        rt__unlock(&c->lock);
        return false;
    }

    /* Block: our waiter lives on this stack until a receiver or the closer
     * takes it off the queue. */
    struct rt_waiter me = {
        .g = g, .c = c, .elem = (void *)elem, .is_select = false,
    };
    g->param = NULL;
    rt__waitq_enqueue(&c->sendq, &me);
    rt__park(rt__park_unlock_fn, &c->lock, RT_WAIT_CHAN_SEND, c);
    g->param = NULL;
    if (!me.success) {
        rt__misuse(g, RT_MISUSE_SEND_ON_CLOSED, c, pc);
        return false;
    }
    return true;
}

/* access_hooks tells a detector what a channel operation reads and
 * writes of the program's memory (Go: racereadpc(c.raceaddr()) and the
 * compiler's instrumentation of the value). */
static void send_accesses(go_chan *c, const void *elem, uintptr_t pc)
{
    struct rt_g *g = rt__getg_fast();
    if (c)
        RT_HOOK(access, g, c, 1, false, pc);
    if (elem && c && c->elemsize)
        RT_HOOK(access, g, elem, c->elemsize, false, pc);
}

void go_chan_send(go_chan *c, const void *elem)
{
    uintptr_t pc = (uintptr_t)__builtin_return_address(0);
    if (RT_HOOKS_ON())
        send_accesses(c, elem, pc);
    rt__chan_send(c, elem, true, pc);
}

bool go_chan_try_send(go_chan *c, const void *elem)
{
    uintptr_t pc = (uintptr_t)__builtin_return_address(0);
    if (RT_HOOKS_ON())
        send_accesses(c, elem, pc);
    return rt__chan_send(c, elem, false, pc);
}

/* ---- receive --------------------------------------------------------------- */

/* rt__chan_recv is Go's chanrecv: 1 received a value, -1 the channel is
 * closed and drained (elem zeroed), 0 would block (only when !block). */
int rt__chan_recv(go_chan *c, void *elem, bool block, uintptr_t pc)
{
    (void)pc;
    struct rt_g *g = rt__getg_fast();
    if (rt_unlikely(c == NULL)) {
        if (!block)
            return 0;
        block_forever(RT_WAIT_CHAN_RECV_NIL);
    }
    rt__preempt_check(g);

    /* Fast path: non-blocking receive on an empty channel. Emptiness is
     * read before closedness; if it is closed and still empty, the receive
     * linearizes at the moment it was both. */
    if (!block && empty(c)) {
        if (!atomic_load_explicit(&c->closed, memory_order_acquire))
            return 0;
        if (empty(c)) {
            RT_HOOK(chan_recv_closed, g, c);
            elem_zero(c, elem);
            return -1;
        }
    }

    rt__lock(&c->lock);
    if (atomic_load_explicit(&c->closed, memory_order_relaxed) &&
        atomic_load_explicit(&c->qcount, memory_order_relaxed) == 0) {
        rt__unlock(&c->lock);
        RT_HOOK(chan_recv_closed, g, c);
        elem_zero(c, elem);
        return -1;
    }
    struct rt_waiter *w = rt__waitq_dequeue(&c->sendq);
    if (w) {
        struct rt_g *partner = rt__chan_recv_direct(c, w, elem, g);
        rt__unlock(&c->lock);
        rt__ready(partner, true);
        return 1;
    }
    if (atomic_load_explicit(&c->qcount, memory_order_relaxed) > 0) {
        rt__chan_buf_take(c, elem, g);
        rt__unlock(&c->lock);
        return 1;
    }
    if (!block) {
        rt__unlock(&c->lock);
        return 0;
    }

    struct rt_waiter me = {
        .g = g, .c = c, .elem = elem, .is_select = false,
    };
    g->param = NULL;
    rt__waitq_enqueue(&c->recvq, &me);
    rt__park(rt__park_unlock_fn, &c->lock, RT_WAIT_CHAN_RECV, c);
    g->param = NULL;
    /* On close the closer zeroed elem and emitted chan_recv_closed. */
    return me.success ? 1 : -1;
}

/* A receive writes the element; it does not read the channel itself (as in
 * Go's chanrecv): a receive concurrent with close is the normal way a
 * receiver learns of the close, never a race. */
static void recv_accesses(go_chan *c, void *elem, uintptr_t pc)
{
    struct rt_g *g = rt__getg_fast();
    if (elem && c->elemsize)
        RT_HOOK(access, g, elem, c->elemsize, true, pc);
}

bool go_chan_recv(go_chan *c, void *elem)
{
    uintptr_t pc = (uintptr_t)__builtin_return_address(0);
    int r = rt__chan_recv(c, elem, true, pc);
    if (RT_HOOKS_ON() && c)
        recv_accesses(c, elem, pc);
    return r == 1;
}

int go_chan_try_recv(go_chan *c, void *elem)
{
    uintptr_t pc = (uintptr_t)__builtin_return_address(0);
    int r = rt__chan_recv(c, elem, false, pc);
    if (RT_HOOKS_ON() && c && r != 0)
        recv_accesses(c, elem, pc);
    return r;
}

/* ---- close ------------------------------------------------------------------ */

void go_chan_close(go_chan *c)
{
    uintptr_t pc = (uintptr_t)__builtin_return_address(0);
    struct rt_g *g = rt__getg_fast();
    if (c == NULL) {
        rt__misuse(g, RT_MISUSE_CLOSE_OF_NIL, NULL, pc);
        return;
    }
    RT_HOOK(access, g, c, 1, true, pc);
    rt__lock(&c->lock);
    if (atomic_load_explicit(&c->closed, memory_order_relaxed)) {
        rt__unlock(&c->lock);
        rt__misuse(g, RT_MISUSE_CLOSE_OF_CLOSED, c, pc);
        return;
    }
    RT_HOOK(chan_close, g, c, pc);
    atomic_store_explicit(&c->closed, 1, memory_order_release);

    /* Collect every waiter, then ready them once the lock is dropped. */
    struct rt_g *wake = NULL;
    struct rt_waiter *w;
    while ((w = rt__waitq_dequeue(&c->recvq))) {
        elem_zero(c, w->elem);
        w->success = false;
        RT_HOOK(chan_recv_closed, w->g, c);
        w->g->param = w;
        w->g->sched_link = wake;
        wake = w->g;
    }
    while ((w = rt__waitq_dequeue(&c->sendq))) {
        w->success = false;
        w->g->param = w;
        w->g->sched_link = wake;
        wake = w->g;
    }
    rt__unlock(&c->lock);
    while (wake) {
        struct rt_g *next = wake->sched_link;
        wake->sched_link = NULL;
        rt__ready(wake, false);
        wake = next;
    }
}

void rt_chan_extent(go_chan *c, uintptr_t *lo, uintptr_t *hi,
                    bool *has_timer)
{
    *lo = (uintptr_t)c;
    *hi = (uintptr_t)(c->buf + c->elemsize * c->dataqsiz);
    if (*hi < *lo + sizeof *c)
        *hi = *lo + sizeof *c;
    *has_timer = c->timer != NULL;
}
