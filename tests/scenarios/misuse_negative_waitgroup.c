/* SPDX-License-Identifier: MIT */
/*
 * A negative WaitGroup counter: the worker calls Done on its error path
 * and again at the end (the C version of a deferred Done plus an explicit
 * one). Go panics "sync: negative WaitGroup counter"; gosan reports it
 * with the stack of the Done that went below zero, and aborts.
 *
 * EXPECT-SIGNAL: 6
 * EXPECT-COUNT: 1 panic: sync: negative WaitGroup counter
 * EXPECT: by goroutine 2:
 * EXPECT: Goroutine 2 (running) created at:
 * EXPECT-COUNT: 1 SUMMARY: gosan: negative-waitgroup
 * EXPECT-NOT: not reached
 */
#include <gosan.h>
#include <stdio.h>

static go_wg wg;
static go_chan *finished;

static void worker(void *arg)
{
    int job = *(int *)arg;
    if (job < 0)
        go_wg_done(&wg); /* the error path's Done */
    go_wg_done(&wg); /* @LINE and the Done at the end: one too many */
    go_chan_send(finished, &job);
}

int main(void)
{
    static int job = -1;
    finished = go_chan_make(sizeof(int), 1);
    go_wg_add(&wg, 1);
    go(worker, &job); /* @LINE */
    go_wg_wait(&wg);
    go_chan_recv(finished, &job);
    printf("not reached\n");
    return 0;
}
