/* SPDX-License-Identifier: MIT */
/*
 * The twin of misuse_negative_waitgroup: the error path returns after its
 * Done, so each worker calls Done exactly once.
 *
 * EXPECT-EXIT: 0
 * EXPECT: done
 * EXPECT-NOT: panic
 * EXPECT-NOT: SUMMARY: gosan
 */
#include <gosan.h>
#include <stdio.h>

static go_wg wg;

static void worker(void *arg)
{
    int job = *(int *)arg;
    if (job < 0) {
        go_wg_done(&wg);
        return;
    }
    go_wg_done(&wg);
}

int main(void)
{
    static int jobs[] = { -1, 1 };
    go_wg_add(&wg, 2);
    go(worker, &jobs[0]);
    go(worker, &jobs[1]);
    go_wg_wait(&wg);
    printf("done\n");
    return 0;
}
