/* SPDX-License-Identifier: MIT */
/*
 * errgroup: each task writes its result, and the results may be read once
 * go_errgroup_wait has returned (it waits for every task). Here main
 * reads them before waiting.
 *
 * EXPECT-EXIT: 66
 * EXPECT-COUNT: 1 WARNING: DATA RACE
 * EXPECT: Previous
 * EXPECT: created at:
 * EXPECT: Location is global 'sizes'
 * EXPECT: SUMMARY: gosan: data-race
 */
#include <gosan.h>
#include <stdio.h>

#define TASKS 4

static long sizes[TASKS];

static int measure(go_ctx *ctx, void *arg)
{
    (void)ctx;
    long i = (long)(intptr_t)arg;
    sizes[i] = 100 * (i + 1); /* @LINE a task writes its result */
    return 0;
}

int main(void)
{
    go_errgroup *g = go_errgroup_new(NULL, NULL);
    for (long i = 0; i < TASKS; i++)
        go_errgroup_go(g, measure, (void *)(intptr_t)i);
    long total = 0;
    for (int i = 0; i < TASKS; i++)
        total += sizes[i]; /* @LINE main reads the results */
    int err = go_errgroup_wait(g);
    printf("err = %d, total = %ld\n", err, total);
    go_errgroup_free(g);
    return 0;
}
