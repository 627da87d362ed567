/* SPDX-License-Identifier: MIT */
/*
 * Every goroutine asleep: two workers wait for jobs on a channel that main
 * never sends on, and main waits for the workers on a WaitGroup. Go dies
 * with "all goroutines are asleep - deadlock!" and exit status 2; gosan
 * does the same, as a deadlock report with every goroutine's stack, what
 * it waits on and where it was created.
 *
 * TIMEOUT: 20
 * EXPECT-EXIT: 2
 * EXPECT-COUNT: 1 fatal error: all goroutines are asleep - deadlock!
 * EXPECT: goroutine 1 [sync.WaitGroup.Wait]:
 * EXPECT: Blocked on sync.WaitGroup.Wait
 * EXPECT: goroutine 2 [chan receive]:
 * EXPECT-COUNT: 2 [chan receive]:
 * EXPECT: goroutine 2 created by goroutine 1 at:
 * EXPECT-COUNT: 2 created by goroutine 1 at:
 * EXPECT: made by goroutine 1 at:
 * EXPECT-COUNT: 1 SUMMARY: gosan: deadlock
 * EXPECT-NOT: not reached
 */
#include <gosan.h>
#include <stdio.h>

static go_chan *jobs; /* int */
static go_wg wg;

static void worker(void *arg)
{
    (void)arg;
    int job;
    go_chan_recv(jobs, &job); /* @LINE each worker waits for a job */
    go_wg_done(&wg);
}

int main(void)
{
    jobs = go_chan_make(sizeof(int), 0); /* @LINE */
    go_wg_add(&wg, 2);
    go(worker, NULL); /* @LINE */
    go(worker, NULL);
    /* Forgotten: sending the two jobs. */
    go_wg_wait(&wg); /* @LINE main waits for the workers */
    printf("not reached\n");
    return 0;
}
