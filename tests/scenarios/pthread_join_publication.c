/* SPDX-License-Identifier: MIT */
/*
 * The racy twin of pthread_join_publication_ok: main reads the result as
 * soon as a relaxed flag says it is there, before joining. The flag gives
 * no happens-before, so main's read of value races with the thread's
 * write.
 *
 * EXPECT-EXIT: 66
 * EXPECT: result: 42
 * EXPECT-COUNT: 1 WARNING: DATA RACE
 * EXPECT: SUMMARY: gosan: data-race
 */
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>

struct result {
    int value;
    int ready; /* relaxed */
};

static void *compute(void *arg)
{
    struct result *r = arg;
    r->value = 42; /* @LINE the thread writes */
    __atomic_store_n(&r->ready, 1, __ATOMIC_RELAXED);
    return NULL;
}

int main(void)
{
    struct result *r = calloc(1, sizeof *r);
    pthread_t th;
    pthread_create(&th, NULL, compute, r);
    while (!__atomic_load_n(&r->ready, __ATOMIC_RELAXED))
        sched_yield();
    printf("result: %d\n", r->value); /* @LINE main reads before the join */
    pthread_join(th, NULL);
    free(r);
    return 0;
}
