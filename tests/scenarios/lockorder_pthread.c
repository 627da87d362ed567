/* SPDX-License-Identifier: MIT */
/*
 * A lock-order inversion in a plain pthread program (the interposer sees
 * the pthread mutexes): thread T1 takes a then b; after it was joined,
 * thread T2 takes b then a. No deadlock in this run; reported once, with
 * both edges' acquisition stacks.
 *
 * EXPECT-EXIT: 66
 * EXPECT-COUNT: 1 WARNING: lock-order inversion (potential deadlock)
 * EXPECT: Mutex M2 acquired here while holding mutex M1 in thread T
 * EXPECT: Mutex M1 acquired here while holding mutex M2 in thread T
 * EXPECT: previously acquired by the same thread here:
 * EXPECT-COUNT: 1 SUMMARY: gosan: lock-order-inversion
 */
#include <pthread.h>
#include <stdio.h>

static pthread_mutex_t a = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t b = PTHREAD_MUTEX_INITIALIZER;
static int shared;

static void *a_then_b(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&a); /* @LINE */
    pthread_mutex_lock(&b); /* @LINE */
    shared++;
    pthread_mutex_unlock(&b);
    pthread_mutex_unlock(&a);
    return NULL;
}

static void *b_then_a(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&b); /* @LINE */
    pthread_mutex_lock(&a); /* @LINE */
    shared++;
    pthread_mutex_unlock(&a);
    pthread_mutex_unlock(&b);
    return NULL;
}

int main(void)
{
    pthread_t t1, t2;
    pthread_create(&t1, NULL, a_then_b, NULL);
    pthread_join(t1, NULL);
    pthread_create(&t2, NULL, b_then_a, NULL);
    pthread_join(t2, NULL);
    printf("shared = %d\n", shared);
    return 0;
}
