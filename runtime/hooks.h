/* SPDX-License-Identifier: MIT */
/*
 * hooks.h is the seam between the runtime and any detector: one table of
 * function pointers that the runtime calls at the points where the Go
 * memory model creates an edge, where goroutines are born, block and die,
 * and where Go would panic. The runtime never includes a detector header;
 * a detector fills a struct rt_hooks and installs it with rt_hooks_install.
 *
 * Cost when no detector is active: RT_HOOK tests one global flag, a
 * predictable branch, and calls nothing.
 *
 * The vocabulary is happens-before vocabulary. Every hook takes the
 * goroutine explicitly because the runtime often acts on behalf of a
 * parked partner (a sender completing a parked receiver's receive).
 *
 * Event order guarantees (what a detector may rely on):
 *  - go_create(parent, child) runs in the parent before the child can run;
 *    go_start(child) is the child's first event, on its own stack;
 *    go_end(g) its last, still on its own stack.
 *  - switch_to(g) runs on the M that is about to run g, before any of g's
 *    events on that M. Events between two switch_to calls on one M belong
 *    to that goroutine unless they name another one.
 *  - block(g, ...) runs in g before it parks; unblock(g, waker) runs in the
 *    waker before g can run again.
 *  - Channels (seq numbers count elements, from 0, per direction):
 *      buffered send of element k:    chan_send(sender, c, k)
 *      buffered receive of element k: chan_recv(receiver, c, k)
 *    A buffered transfer where one side was parked emits both events, the
 *    sender's first. An unbuffered rendezvous emits
 *      chan_sync(c, sender, receiver)
 *    which is a two-way edge (Go: send -> receive completes, and
 *    receive -> send completes). close emits chan_close before anybody can
 *    observe it; a receive that observes the close emits chan_recv_closed.
 *  - lock_post(..., ok) follows a lock_pre only when ok; unlock runs
 *    before the lock can be taken by anybody else.
 *  - access(g, ...) for a send's value runs in the sender before the send;
 *    for a received value, in the receiver after the receive completed.
 */
#ifndef GOSAN_RUNTIME_HOOKS_H
#define GOSAN_RUNTIME_HOOKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <gosan/chan.h>

struct rt_g;

/* Why a goroutine is parked. Strings are Go's, unique, and never reused. */
enum rt_wait_reason {
    RT_WAIT_NONE = 0,
    RT_WAIT_CHAN_SEND,
    RT_WAIT_CHAN_RECV,
    RT_WAIT_CHAN_SEND_NIL,
    RT_WAIT_CHAN_RECV_NIL,
    RT_WAIT_SELECT,
    RT_WAIT_SELECT_NO_CASES,
    RT_WAIT_SLEEP,
    RT_WAIT_MUTEX,
    RT_WAIT_RWMUTEX_RLOCK,
    RT_WAIT_RWMUTEX_LOCK,
    RT_WAIT_WAITGROUP,
    RT_WAIT_COND,
    RT_WAIT_SEMACQUIRE,
    RT_WAIT_SEMAPHORE,
    RT_WAIT_FOREVER,   /* main goroutine after go_exit, etc. */
    RT_WAIT_COUNT
};

/* Misuse that Go turns into a panic or a fatal error. */
enum rt_misuse {
    RT_MISUSE_SEND_ON_CLOSED = 0,
    RT_MISUSE_CLOSE_OF_CLOSED,
    RT_MISUSE_CLOSE_OF_NIL,
    RT_MISUSE_NEGATIVE_WAITGROUP,
    RT_MISUSE_WAITGROUP_REUSE,
    RT_MISUSE_UNLOCK_OF_UNLOCKED,
    RT_MISUSE_RUNLOCK_OF_UNLOCKED,
    RT_MISUSE_RWUNLOCK_OF_UNLOCKED,
    RT_MISUSE_COND_WAIT_UNLOCKED,
    RT_MISUSE_COND_COPIED,
    RT_MISUSE_WAITGROUP_CONCURRENT_ADD,
    RT_MISUSE_SEMAPHORE_RELEASE,
    RT_MISUSE_CHAN_FREE_IN_USE,
    RT_MISUSE_MUTEX_COPIED,
    RT_MISUSE_COUNT
};

/* What kind of lock a lock event is about. */
enum rt_lock_kind {
    RT_LOCK_MUTEX = 0,
    RT_LOCK_RW_WRITE,
    RT_LOCK_RW_READ,
};

struct rt_hooks {
    /* goroutine lifecycle */
    void (*go_create)(struct rt_g *parent, struct rt_g *child, uintptr_t pc);
    void (*go_start)(struct rt_g *g);
    void (*go_end)(struct rt_g *g);
    void (*switch_to)(struct rt_g *g);
    void (*block)(struct rt_g *g, enum rt_wait_reason reason, const void *obj);
    void (*unblock)(struct rt_g *g, struct rt_g *waker);

    /* A memory access the runtime makes on the program's behalf: reading
     * the value to send from the sender's buffer, writing a received value
     * into the receiver's, and the channel itself (send and len read it,
     * close writes it, so that a close racing with a send is a race, as in
     * Go). */
    void (*access)(struct rt_g *g, const void *addr, size_t size,
                   bool is_write, uintptr_t pc);

    /* plain happens-before edges on an address */
    void (*acquire)(struct rt_g *g, const void *addr);
    void (*release)(struct rt_g *g, const void *addr);
    /* release then acquire as one event (Go's racereleaseacquire) */
    void (*release_acquire)(struct rt_g *g, const void *addr);

    /* channels */
    void (*chan_make)(struct rt_g *g, go_chan *c, size_t elem_size,
                      size_t cap, uintptr_t pc);
    void (*chan_free)(struct rt_g *g, go_chan *c);
    void (*chan_send)(struct rt_g *g, go_chan *c, uint64_t seq);
    void (*chan_recv)(struct rt_g *g, go_chan *c, uint64_t seq);
    void (*chan_sync)(go_chan *c, struct rt_g *sender, struct rt_g *receiver);
    void (*chan_close)(struct rt_g *g, go_chan *c, uintptr_t pc);
    void (*chan_recv_closed)(struct rt_g *g, go_chan *c);

    /* locks (go_mutex, go_rwmutex) */
    void (*lock_pre)(struct rt_g *g, const void *m, enum rt_lock_kind kind,
                     uintptr_t pc);
    void (*lock_post)(struct rt_g *g, const void *m, enum rt_lock_kind kind,
                      uintptr_t pc, bool ok);
    void (*unlock)(struct rt_g *g, const void *m, enum rt_lock_kind kind,
                   uintptr_t pc);

    /* Misuse that Go panics on. Returns true when the detector reported it
     * (the runtime then only applies the halt policy), false to let the
     * runtime print Go's message itself. */
    bool (*misuse)(struct rt_g *g, enum rt_misuse kind, const void *obj,
                   uintptr_t pc);

    /* Every goroutine is blocked for good: called once, before the runtime
     * reports "all goroutines are asleep - deadlock!" and exits. */
    void (*deadlock)(void);

    /* Queries for reports (may be NULL): the full stack where goroutine g
     * was created, where channel c was made. Return the number of pcs. */
    int (*creation_stack)(struct rt_g *g, uintptr_t *pcs, int max);
    int (*chan_stack)(go_chan *c, uintptr_t *pcs, int max);

    /* Runtime memory the program reaches channels through (a context node
     * holds its done channel and its children, an errgroup its context, a
     * ticker its channel): born and gone. A leak detector's reachability
     * scan follows pointers through these as through heap blocks; the
     * runtime's bookkeeping (goroutines, wait queues) is never announced,
     * because it reaches every channel and would keep every leak alive. */
    void (*object_new)(const void *p, size_t size);
    void (*object_free)(const void *p);
};

/* rt_hooks_install makes h the active table (NULL: back to none). Call it
 * before any goroutine exists, or accept that events already past are not
 * seen. */
void rt_hooks_install(const struct rt_hooks *h);

#endif
