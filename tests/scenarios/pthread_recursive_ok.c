/* SPDX-License-Identifier: MIT */
/*
 * The twin of pthread_double_lock: the mutex is recursive, so the holder
 * may lock it again; no report, and the program ends.
 *
 * EXPECT-EXIT: 0
 * EXPECT: hits = 2
 * EXPECT-NOT: already holds
 * EXPECT-NOT: SUMMARY: gosan
 */
#include <pthread.h>
#include <stdio.h>

static pthread_mutex_t mu;
static int hits;

static __attribute__((noinline)) void count_hit(void)
{
    pthread_mutex_lock(&mu);
    hits++;
    pthread_mutex_unlock(&mu);
}

static __attribute__((noinline)) void update(void)
{
    pthread_mutex_lock(&mu);
    count_hit();
    pthread_mutex_unlock(&mu);
}

static void *worker(void *arg)
{
    (void)arg;
    update();
    return NULL;
}

int main(void)
{
    pthread_mutexattr_t attr;
    pthread_mutexattr_init(&attr);
    pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
    pthread_mutex_init(&mu, &attr);
    pthread_mutexattr_destroy(&attr);
    pthread_t th;
    pthread_create(&th, NULL, worker, NULL);
    update();
    pthread_join(th, NULL);
    printf("hits = %d\n", hits);
    pthread_mutex_destroy(&mu);
    return 0;
}
