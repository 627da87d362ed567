/* SPDX-License-Identifier: MIT */
/*
 * The twin of misuse_waitgroup_reuse: the next round's Add comes after
 * the previous Wait returned, which Go allows.
 *
 * ENV: GOMAXPROCS=1
 * EXPECT-EXIT: 0
 * EXPECT: round 1 done
 * EXPECT: round 2 done
 * EXPECT-NOT: panic
 * EXPECT-NOT: SUMMARY: gosan
 */
#include <gosan.h>
#include <stdio.h>

static go_wg wg;

static void task(void *arg)
{
    (void)arg;
    go_wg_done(&wg);
}

int main(void)
{
    for (int round = 1; round <= 2; round++) {
        go_wg_add(&wg, 1);
        go(task, NULL);
        go_wg_wait(&wg);
        printf("round %d done\n", round);
    }
    return 0;
}
