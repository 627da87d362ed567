/* SPDX-License-Identifier: MIT */
/*
 * Double lock of a non-recursive (default) pthread mutex by the thread
 * that holds it: a self-deadlock. update() locks and calls a helper that
 * locks again. The interposer reports it before the thread blocks for
 * good; then the program is hung, and the hang watchdog (hang_timeout=2)
 * stops it with the report exit status.
 *
 * ENV: GOSAN_OPTIONS=hang_timeout=2
 * TIMEOUT: 20
 * EXPECT-EXIT: 66
 * EXPECT-COUNT: 1 a thread locks a mutex it already holds
 * EXPECT: is held by main thread, who locked it at:
 * EXPECT: fatal error: program hung
 * EXPECT: main thread [pthread_mutex_lock,
 * EXPECT-NOT: not reached
 */
#include <pthread.h>
#include <stdio.h>

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static int hits;

static __attribute__((noinline)) void count_hit(void)
{
    pthread_mutex_lock(&mu); /* @LINE locked again by the holder */
    hits++;
    pthread_mutex_unlock(&mu);
}

static __attribute__((noinline)) void update(void)
{
    pthread_mutex_lock(&mu); /* @LINE first lock */
    count_hit();
    pthread_mutex_unlock(&mu);
}

int main(void)
{
    update();
    printf("not reached\n");
    return 0;
}
