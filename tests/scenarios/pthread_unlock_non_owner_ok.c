/* SPDX-License-Identifier: MIT */
/*
 * The twin of pthread_unlock_non_owner: an error-checking mutex, each
 * thread unlocks only what it locked; main takes it after the worker.
 *
 * EXPECT-EXIT: 0
 * EXPECT: main's lock and unlock: ok
 * EXPECT-NOT: held by another thread
 * EXPECT-NOT: SUMMARY: gosan
 */
#include <pthread.h>
#include <stdio.h>

static pthread_mutex_t mu;
static int counter;

static void *worker(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&mu);
    counter++;
    pthread_mutex_unlock(&mu);
    return NULL;
}

int main(void)
{
    pthread_mutexattr_t attr;
    pthread_mutexattr_init(&attr);
    pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_ERRORCHECK);
    pthread_mutex_init(&mu, &attr);
    pthread_mutexattr_destroy(&attr);

    pthread_t th;
    pthread_create(&th, NULL, worker, NULL);
    pthread_join(th, NULL);
    int a = pthread_mutex_lock(&mu);
    counter++;
    int b = pthread_mutex_unlock(&mu);
    printf("main's lock and unlock: %s\n", a == 0 && b == 0 ? "ok" : "failed");
    pthread_mutex_destroy(&mu);
    return 0;
}
