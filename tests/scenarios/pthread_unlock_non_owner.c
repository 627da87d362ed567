/* SPDX-License-Identifier: MIT */
/*
 * Unlock of an error-checking mutex by a thread that does not own it: the
 * worker holds the mutex, main unlocks it (glibc refuses with EPERM; for
 * a default mutex it would be undefined). Reported with main's stack and
 * where the owner locked it. The program goes on.
 *
 * EXPECT-EXIT: 66
 * EXPECT: main's unlock: EPERM
 * EXPECT-COUNT: 1 WARNING: unlock of a mutex held by another thread
 * EXPECT: by main thread:
 * EXPECT: is held by thread T1, who locked it at:
 * EXPECT-COUNT: 1 SUMMARY: gosan: mutex-misuse
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>

static pthread_mutex_t mu;
static int locked, tried; /* relaxed flags */

static void *worker(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&mu); /* @LINE the owner locks */
    __atomic_store_n(&locked, 1, __ATOMIC_RELAXED);
    while (!__atomic_load_n(&tried, __ATOMIC_RELAXED))
        sched_yield();
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
    while (!__atomic_load_n(&locked, __ATOMIC_RELAXED))
        sched_yield();
    int err = pthread_mutex_unlock(&mu); /* @LINE not the owner */
    printf("main's unlock: %s\n", err == EPERM ? "EPERM" : "succeeded");
    __atomic_store_n(&tried, 1, __ATOMIC_RELAXED);
    pthread_join(th, NULL);
    pthread_mutex_destroy(&mu);
    return 0;
}
