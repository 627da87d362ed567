/* SPDX-License-Identifier: MIT */
/*
 * x/sync/errgroup: a group of goroutines working on subtasks of one task;
 * the first error cancels the group's context.
 */
#ifndef GOSAN_ERRGROUP_H
#define GOSAN_ERRGROUP_H

#include <gosan/context.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct go_errgroup go_errgroup;

/* go_errgroup_new is errgroup.WithContext: *ctx_out (if ctx_out is not
 * NULL) receives a context derived from parent that is canceled when a
 * function first returns non-zero or when go_errgroup_wait returns. */
go_errgroup *go_errgroup_new(go_ctx *parent, go_ctx **ctx_out);
void go_errgroup_go(go_errgroup *g, int (*fn)(go_ctx *ctx, void *arg),
                    void *arg);
void go_errgroup_set_limit(go_errgroup *g, int n);
int go_errgroup_wait(go_errgroup *g); /* first non-zero return, 0 if none */
void go_errgroup_free(go_errgroup *g);

#ifdef __cplusplus
}
#endif

#endif
