/* SPDX-License-Identifier: MIT */
/*
 * Unlock of an unlocked pthread mutex (undefined behaviour for a default
 * mutex): an error path unlocks and the common exit unlocks again. The
 * interposer reports it with the stack of the second unlock; the program
 * goes on and exits with the report exit status. Its kind is the one a
 * go_mutex gets for the same mistake.
 *
 * EXPECT-EXIT: 66
 * EXPECT: items = 1
 * EXPECT-COUNT: 1 WARNING: unlock of an unlocked mutex
 * EXPECT: by main thread:
 * EXPECT-COUNT: 1 SUMMARY: gosan: unlock-of-unlocked-mutex
 */
#include <pthread.h>
#include <stdio.h>

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static int items;

static __attribute__((noinline)) int add_item(int v)
{
    pthread_mutex_lock(&mu);
    if (v < 0)
        pthread_mutex_unlock(&mu); /* the error path unlocks ... */
    else
        items++;
    pthread_mutex_unlock(&mu); /* @LINE ... and so does the common exit */
    return v < 0 ? -1 : 0;
}

int main(void)
{
    add_item(1);
    add_item(-1);
    printf("items = %d\n", items);
    return 0;
}
