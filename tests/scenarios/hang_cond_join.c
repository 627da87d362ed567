/* SPDX-License-Identifier: MIT */
/*
 * A plain pthread program that hangs: the worker waits on a condition
 * variable for a flag that main never sets (main forgot to publish the
 * work), and main joins the worker. Nothing can ever move, and the runtime
 * knows nothing of these threads: the detector's hang watchdog
 * (hang_timeout=2 here) reports every thread's stack at the point where it
 * blocks and stops the program with the report exit status, instead of
 * hanging CI.
 *
 * ENV: GOSAN_OPTIONS=hang_timeout=2
 * TIMEOUT: 20
 * EXPECT-EXIT: 66
 * EXPECT: fatal error: program hung: every goroutine and thread has been blocked for 2 seconds - deadlock!
 * EXPECT: main thread [pthread_join,
 * EXPECT: thread T1 [pthread_cond_wait,
 * EXPECT-COUNT: 1 SUMMARY: gosan: deadlock
 * EXPECT-NOT: not reached
 */
#include <pthread.h>
#include <stdio.h>

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static int ready;

static void *worker(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&mu);
    while (!ready)
        pthread_cond_wait(&cond, &mu); /* @LINE the worker waits forever */
    pthread_mutex_unlock(&mu);
    return NULL;
}

int main(void)
{
    pthread_t th;
    pthread_create(&th, NULL, worker, NULL);
    /* Forgotten: ready = 1 and pthread_cond_signal(&cond), under mu. */
    pthread_join(th, NULL); /* @LINE main waits for the worker */
    printf("not reached\n");
    return 0;
}
