/* SPDX-License-Identifier: MIT */
/*
 * This file implements contexts (Go's package context): a tree in which
 * canceling a node cancels all its descendants, deadlines fire on the
 * runtime's timer heap, and values are looked up towards the root.
 *
 * Node kinds: background (the root, static), cancel (WithCancel), timer
 * (WithDeadline/WithTimeout: a cancel node with a deadline), value
 * (WithValue: Done and Err are its nearest cancelable ancestor's).
 *
 * Cancellation follows Go's cancelCtx: the first cancel records the error,
 * closes the done channel (created lazily by go_ctx_done; a node canceled
 * before anybody asked for it hands out one shared closed channel), cancels
 * the children while holding its own lock, and unlinks itself from its
 * parent. A deadline later than the parent's cannot outlive the parent:
 * the parent's cancel reaches the child first.
 *
 * Locks are struct rt_lock (they never park), because a deadline's cancel
 * runs as a timer function on the scheduler's stack.
 *
 * Memory: a node is freed when the program released it and every child
 * has been freed (a reference per child), so releasing a parent before its
 * children is safe, if not recommended.
 *
 * Memory model: cancel releases on the node; go_ctx_err returning an error
 * and go_ctx_done handing out an already-closed channel acquire on it; the
 * done channel's close gives the same edge to receivers.
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include <gosan/context.h>

#include "runtime_impl.h"

enum ctx_kind { CTX_BACKGROUND, CTX_CANCEL, CTX_VALUE };

struct go_ctx {
    enum ctx_kind kind;
    struct go_ctx *parent;       /* immutable; NULL for background */
    _Atomic uint32_t refs;       /* 1 (unless released) + live children */

    /* Cancel nodes. lock protects done, the children list and the
     * sibling links of the children. */
    struct rt_lock lock;
    go_chan *_Atomic done;       /* lazily made; may be shared_closed */
    _Atomic int err;             /* GO_CTX_OK until canceled */
    struct go_ctx *cancel_parent; /* cancelable ancestor we are linked to */
    struct go_ctx *children;     /* linked through sibling_next/prev */
    struct go_ctx *sibling_next, *sibling_prev;
    bool linked;                 /* on cancel_parent's children list */
    int64_t deadline;            /* INT64_MAX: none */
    bool has_timer;
    struct rt_timer timer;

    /* Value nodes: immutable. */
    const void *key;
    void *val;
};

static struct go_ctx background = {
    .kind = CTX_BACKGROUND, .refs = 1, .deadline = INT64_MAX,
};

static go_chan *shared_closed;
static pthread_once_t shared_closed_once = PTHREAD_ONCE_INIT;

static void make_shared_closed(void)
{
    shared_closed = rt__chan_make(0, 0, 0);
    go_chan_close(shared_closed);
}

go_ctx *go_ctx_background(void)
{
    return &background;
}

/* cancelable returns the nearest node at or above ctx that can be
 * canceled, or NULL (only background above). */
static struct go_ctx *cancelable(go_ctx *ctx)
{
    while (ctx && ctx->kind == CTX_VALUE)
        ctx = ctx->parent;
    return ctx && ctx->kind == CTX_CANCEL ? ctx : NULL;
}

static void ctx_unref(go_ctx *ctx);

static void free_node(go_ctx *ctx)
{
    go_chan *d = atomic_load(&ctx->done);
    if (d && d != shared_closed)
        go_chan_free(d);
    go_ctx *parent = ctx->parent;
    rt__object_free(ctx);
    if (parent)
        ctx_unref(parent);
}

static void ctx_unref(go_ctx *ctx)
{
    if (ctx->kind == CTX_BACKGROUND)
        return;
    if (atomic_fetch_sub(&ctx->refs, 1) == 1)
        free_node(ctx);
}

/* cancel is Go's cancelCtx.cancel. */
static void cancel(go_ctx *ctx, int err, bool remove_from_parent)
{
    rt__lock(&ctx->lock);
    if (atomic_load(&ctx->err) != GO_CTX_OK) {
        rt__unlock(&ctx->lock);
        return;
    }
    if (RT_HOOKS_ON())
        RT_HOOK(release, rt__getg_fast(), ctx);
    atomic_store_explicit(&ctx->err, err, memory_order_release);
    go_chan *d = atomic_load(&ctx->done);
    if (d)
        go_chan_close(d);
    struct go_ctx *child = ctx->children;
    ctx->children = NULL;
    while (child) {
        struct go_ctx *next = child->sibling_next;
        child->sibling_next = child->sibling_prev = NULL;
        child->linked = false;
        cancel(child, err, false);
        child = next;
    }
    rt__unlock(&ctx->lock);
    if (ctx->has_timer)
        rt__timer_stop_nowait(&ctx->timer);
    if (remove_from_parent && ctx->cancel_parent) {
        struct go_ctx *p = ctx->cancel_parent;
        rt__lock(&p->lock);
        if (ctx->linked) {
            if (ctx->sibling_prev)
                ctx->sibling_prev->sibling_next = ctx->sibling_next;
            else
                p->children = ctx->sibling_next;
            if (ctx->sibling_next)
                ctx->sibling_next->sibling_prev = ctx->sibling_prev;
            ctx->sibling_next = ctx->sibling_prev = NULL;
            ctx->linked = false;
        }
        rt__unlock(&p->lock);
    }
}

static void deadline_fired(struct rt_timer *t, int64_t now)
{
    (void)now;
    cancel(t->arg, GO_DEADLINE_EXCEEDED, true);
}

static go_ctx *new_node(go_ctx *parent, enum ctx_kind kind)
{
    if (!parent)
        rt__throw_user("panic: cannot create context from nil parent");
    rt__getg_fast();
    go_ctx *ctx = rt__object_alloc(sizeof *ctx);
    if (!ctx)
        rt__throw_user("panic: context: out of memory");
    ctx->kind = kind;
    ctx->parent = parent;
    atomic_store(&ctx->refs, 1);
    ctx->deadline = INT64_MAX;
    if (parent->kind != CTX_BACKGROUND)
        atomic_fetch_add(&parent->refs, 1);
    return ctx;
}

/* propagate links ctx under its nearest cancelable ancestor, or cancels it
 * at once if that ancestor is already canceled (Go's propagateCancel). */
static void propagate(go_ctx *ctx)
{
    struct go_ctx *p = cancelable(ctx->parent);
    if (!p)
        return;
    rt__lock(&p->lock);
    int perr = atomic_load(&p->err);
    if (perr == GO_CTX_OK) {
        ctx->cancel_parent = p;
        ctx->sibling_next = p->children;
        if (p->children)
            p->children->sibling_prev = ctx;
        p->children = ctx;
        ctx->linked = true;
    }
    rt__unlock(&p->lock);
    if (perr != GO_CTX_OK) {
        if (RT_HOOKS_ON())
            RT_HOOK(acquire, rt__getg_fast(), p);
        cancel(ctx, perr, false);
    }
}

static int64_t deadline_of(go_ctx *ctx)
{
    for (; ctx; ctx = ctx->parent)
        if (ctx->kind == CTX_CANCEL && ctx->deadline != INT64_MAX)
            return ctx->deadline;
    return INT64_MAX;
}

go_ctx *go_ctx_with_cancel(go_ctx *parent)
{
    go_ctx *ctx = new_node(parent, CTX_CANCEL);
    propagate(ctx);
    return ctx;
}

go_ctx *go_ctx_with_deadline(go_ctx *parent, int64_t deadline_ns)
{
    go_ctx *ctx = new_node(parent, CTX_CANCEL);
    /* A later deadline than the parent's is the parent's business. */
    if (deadline_of(parent) <= deadline_ns) {
        propagate(ctx);
        return ctx;
    }
    ctx->deadline = deadline_ns;
    propagate(ctx);
    if (deadline_ns <= rt__nanotime()) {
        cancel(ctx, GO_DEADLINE_EXCEEDED, true);
        return ctx;
    }
    rt__lock(&ctx->lock);
    if (atomic_load(&ctx->err) == GO_CTX_OK) {
        rt__timer_init(&ctx->timer, deadline_fired, ctx);
        ctx->has_timer = true;
        rt__timer_start(&ctx->timer, deadline_ns, 0);
    }
    rt__unlock(&ctx->lock);
    return ctx;
}

go_ctx *go_ctx_with_timeout(go_ctx *parent, int64_t ns)
{
    int64_t now = rt__nanotime();
    int64_t d = ns > INT64_MAX - now ? INT64_MAX - 1 : now + ns;
    return go_ctx_with_deadline(parent, d);
}

go_ctx *go_ctx_with_value(go_ctx *parent, const void *key, void *val)
{
    if (!key)
        rt__throw_user("panic: nil key");
    go_ctx *ctx = new_node(parent, CTX_VALUE);
    ctx->key = key;
    ctx->val = val;
    return ctx;
}

void go_ctx_cancel(go_ctx *ctx)
{
    if (ctx && ctx->kind == CTX_CANCEL)
        cancel(ctx, GO_CANCELED, true);
}

go_chan *go_ctx_done(go_ctx *ctx)
{
    struct go_ctx *c = cancelable(ctx);
    if (!c)
        return NULL;
    go_chan *d = atomic_load_explicit(&c->done, memory_order_acquire);
    if (d)
        return d;
    rt__lock(&c->lock);
    d = atomic_load(&c->done);
    if (!d) {
        if (atomic_load(&c->err) != GO_CTX_OK) {
            pthread_once(&shared_closed_once, make_shared_closed);
            d = shared_closed;
            if (RT_HOOKS_ON())
                RT_HOOK(acquire, rt__getg_fast(), c);
        } else {
            d = rt__chan_make(0, 0, (uintptr_t)__builtin_return_address(0));
        }
        atomic_store_explicit(&c->done, d, memory_order_release);
    }
    rt__unlock(&c->lock);
    return d;
}

int go_ctx_err(go_ctx *ctx)
{
    struct go_ctx *c = cancelable(ctx);
    if (!c)
        return GO_CTX_OK;
    int err = atomic_load_explicit(&c->err, memory_order_acquire);
    if (err != GO_CTX_OK) {
        /* cancel sets err and closes done under the lock: wait for it to
         * finish, so that an error is never seen with done still open. */
        rt__lock(&c->lock);
        rt__unlock(&c->lock);
        if (RT_HOOKS_ON())
            RT_HOOK(acquire, rt__getg_fast(), c);
    }
    return err;
}

void *go_ctx_value(go_ctx *ctx, const void *key)
{
    for (; ctx; ctx = ctx->parent)
        if (ctx->kind == CTX_VALUE && ctx->key == key)
            return ctx->val;
    return NULL;
}

void go_ctx_release(go_ctx *ctx)
{
    if (!ctx || ctx->kind == CTX_BACKGROUND)
        return;
    if (ctx->kind == CTX_CANCEL) {
        cancel(ctx, GO_CANCELED, true);
        /* The deadline's function may be running on another M: wait it
         * out before the node can go. */
        if (ctx->has_timer)
            rt__timer_stop(&ctx->timer);
    }
    ctx_unref(ctx);
}
