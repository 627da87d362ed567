/* SPDX-License-Identifier: MIT */
/*
 * The twin of hang_cond_join: the worker waits on its condition variable
 * for longer than hang_timeout (3 s > 2 s), but the program is not hung:
 * another thread is busy (here in a sleep the detector does not see, which
 * it must count as running) and then publishes the flag. The watchdog must
 * stay silent.
 *
 * ENV: GOSAN_OPTIONS=hang_timeout=2
 * TIMEOUT: 30
 * EXPECT-EXIT: 0
 * EXPECT: worker saw ready
 * EXPECT-NOT: program hung
 * EXPECT-NOT: SUMMARY: gosan
 */
#include <pthread.h>
#include <stdio.h>
#include <time.h>

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static int ready;

static void *worker(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&mu);
    while (!ready)
        pthread_cond_wait(&cond, &mu);
    pthread_mutex_unlock(&mu);
    printf("worker saw ready\n");
    return NULL;
}

static void *publisher(void *arg)
{
    (void)arg;
    /* Slow work the detector does not see: about time, longer than the
     * hang timeout. */
    struct timespec ts = { 3, 0 };
    nanosleep(&ts, NULL);
    pthread_mutex_lock(&mu);
    ready = 1;
    pthread_cond_signal(&cond);
    pthread_mutex_unlock(&mu);
    return NULL;
}

int main(void)
{
    pthread_t w, p;
    pthread_create(&w, NULL, worker, NULL);
    pthread_create(&p, NULL, publisher, NULL);
    pthread_join(p, NULL);
    pthread_join(w, NULL);
    return 0;
}
