/* SPDX-License-Identifier: MIT */
/*
 * A hang that involves a goroutine and an OS thread: main (goroutine 1)
 * holds a pthread mutex and waits on a channel for the thread's answer;
 * the thread must take the mutex before it answers. The runtime's "all
 * goroutines are asleep" cannot decide (a thread it does not manage might
 * still send), so the detector's hang watchdog must: after hang_timeout
 * (2 s) it reports the goroutine and the thread, each where it blocks, and
 * stops the program with the report exit status.
 *
 * ENV: GOSAN_OPTIONS=hang_timeout=2
 * TIMEOUT: 20
 * EXPECT-EXIT: 66
 * EXPECT: fatal error: program hung: every goroutine and thread has been blocked for 2 seconds - deadlock!
 * EXPECT: goroutine 1 [chan receive]:
 * EXPECT: thread T1 [pthread_mutex_lock,
 * EXPECT: SUMMARY: gosan: deadlock
 * EXPECT-NOT: not reached
 */
#include <gosan.h>
#include <pthread.h>
#include <stdio.h>

static pthread_mutex_t table_lock = PTHREAD_MUTEX_INITIALIZER;

static void *answerer(void *arg)
{
    go_chan *answers = arg;
    pthread_mutex_lock(&table_lock); /* @LINE the thread waits for main */
    int v = 1;
    go_chan_send(answers, &v);
    pthread_mutex_unlock(&table_lock);
    return NULL;
}

int main(void)
{
    go_chan *answers = go_chan_make(sizeof(int), 0);
    pthread_mutex_lock(&table_lock);
    pthread_t th;
    pthread_create(&th, NULL, answerer, answers);
    int v;
    go_chan_recv(answers, &v); /* @LINE main waits for the thread */
    pthread_mutex_unlock(&table_lock);
    pthread_join(th, NULL);
    printf("not reached\n");
    return 0;
}
