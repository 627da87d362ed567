/* SPDX-License-Identifier: MIT */
/*
 * The twin of hang_goroutine_thread: main releases the mutex before it
 * waits for the thread's answer, so the thread gets it and answers.
 *
 * ENV: GOSAN_OPTIONS=hang_timeout=2
 * EXPECT-EXIT: 0
 * EXPECT: answer = 1
 * EXPECT-NOT: program hung
 * EXPECT-NOT: SUMMARY: gosan
 */
#include <gosan.h>
#include <pthread.h>
#include <stdio.h>

static pthread_mutex_t table_lock = PTHREAD_MUTEX_INITIALIZER;

static void *answerer(void *arg)
{
    go_chan *answers = arg;
    pthread_mutex_lock(&table_lock);
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
    pthread_mutex_unlock(&table_lock);
    int v;
    go_chan_recv(answers, &v);
    pthread_join(th, NULL);
    printf("answer = %d\n", v);
    return 0;
}
