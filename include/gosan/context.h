/* SPDX-License-Identifier: MIT */
/*
 * Context trees (package context): cancellation and deadlines propagate from
 * a context to all its descendants; values are looked up towards the root.
 */
#ifndef GOSAN_CONTEXT_H
#define GOSAN_CONTEXT_H

#include <stdint.h>

#include <gosan/chan.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct go_ctx go_ctx;

enum { GO_CTX_OK = 0, GO_CANCELED = 1, GO_DEADLINE_EXCEEDED = 2 };

go_ctx *go_ctx_background(void); /* never canceled; not freed */
go_ctx *go_ctx_with_cancel(go_ctx *parent);
go_ctx *go_ctx_with_timeout(go_ctx *parent, int64_t ns);
go_ctx *go_ctx_with_deadline(go_ctx *parent, int64_t deadline_ns);
go_ctx *go_ctx_with_value(go_ctx *parent, const void *key, void *val);

/* go_ctx_cancel is the CancelFunc: cancels ctx and its children. */
void go_ctx_cancel(go_ctx *ctx);

/* go_ctx_done: a channel of element size 0, closed on cancel or deadline;
 * owned by ctx; NULL for Background (never done). */
go_chan *go_ctx_done(go_ctx *ctx);

int go_ctx_err(go_ctx *ctx); /* GO_CTX_OK, GO_CANCELED, GO_DEADLINE_EXCEEDED */
void *go_ctx_value(go_ctx *ctx, const void *key);

/* go_ctx_release cancels (if cancelable) and frees ctx. Release children
 * before their parent. */
void go_ctx_release(go_ctx *ctx);

#ifdef __cplusplus
}
#endif

#endif
