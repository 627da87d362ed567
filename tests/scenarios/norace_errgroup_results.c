/* SPDX-License-Identifier: MIT */
/*
 * The twin of race_errgroup_results: main reads the results after
 * go_errgroup_wait, which returns after every task has.
 *
 * EXPECT-EXIT: 0
 * EXPECT-NOT: WARNING: DATA RACE
 * EXPECT: err = 0, total = 1000
 */
#include <gosan.h>
#include <stdio.h>

#define TASKS 4

static long sizes[TASKS];

static int measure(go_ctx *ctx, void *arg)
{
    (void)ctx;
    long i = (long)(intptr_t)arg;
    sizes[i] = 100 * (i + 1);
    return 0;
}

int main(void)
{
    go_errgroup *g = go_errgroup_new(NULL, NULL);
    for (long i = 0; i < TASKS; i++)
        go_errgroup_go(g, measure, (void *)(intptr_t)i);
    int err = go_errgroup_wait(g);
    long total = 0;
    for (int i = 0; i < TASKS; i++)
        total += sizes[i];
    printf("err = %d, total = %ld\n", err, total);
    go_errgroup_free(g);
    return 0;
}
