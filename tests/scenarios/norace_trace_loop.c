/* SPDX-License-Identifier: MIT */
/*
 * race_trace_loop's twin: main waits for fill before reading, so the
 * read is ordered after every write of the loop and nothing is reported.
 *
 * EXPECT-NOT: WARNING: DATA RACE
 * EXPECT: a[2500] = 2500
 */
#include <gosan.h>
#include <stdio.h>

#define N 3000

long a[N], b[N]; /* not static: every store stays */
static go_wg wg;

static void fill(void *arg)
{
    (void)arg;
    for (int i = 0; i < N; i++) {
        a[i] = i;
        b[i] = 2 * i;
    }
    go_wg_done(&wg);
}

int main(void)
{
    go_wg_add(&wg, 1);
    go(fill, NULL);
    go_wg_wait(&wg);
    printf("a[2500] = %ld\n", a[2500]);
    return 0;
}
