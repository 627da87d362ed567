/* SPDX-License-Identifier: MIT */
/*
 * The twin of deadlock_global: main sends the two jobs before it waits.
 *
 * EXPECT-EXIT: 0
 * EXPECT: done
 * EXPECT-NOT: deadlock
 * EXPECT-NOT: SUMMARY: gosan
 */
#include <gosan.h>
#include <stdio.h>

static go_chan *jobs; /* int */
static go_wg wg;

static void worker(void *arg)
{
    (void)arg;
    int job;
    go_chan_recv(jobs, &job);
    go_wg_done(&wg);
}

int main(void)
{
    jobs = go_chan_make(sizeof(int), 0);
    go_wg_add(&wg, 2);
    go(worker, NULL);
    go(worker, NULL);
    for (int i = 0; i < 2; i++)
        go_chan_send(jobs, &i);
    go_wg_wait(&wg);
    printf("done\n");
    return 0;
}
