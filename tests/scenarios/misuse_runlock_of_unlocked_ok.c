/* SPDX-License-Identifier: MIT */
/*
 * The twin of misuse_runlock_of_unlocked: one RUnlock per RLock, with
 * readers overlapping.
 *
 * EXPECT-EXIT: 0
 * EXPECT: size = 3
 * EXPECT-NOT: RUnlock of unlocked
 * EXPECT-NOT: SUMMARY: gosan
 */
#include <gosan.h>
#include <stdio.h>

static go_rwmutex table;
static int size = 3;
static go_wg wg;

static void reader(void *arg)
{
    (void)arg;
    go_rwmutex_rlock(&table);
    int n = size;
    go_rwmutex_runlock(&table);
    (void)n;
    go_wg_done(&wg);
}

int main(void)
{
    go_wg_add(&wg, 4);
    for (int i = 0; i < 4; i++)
        go(reader, NULL);
    go_wg_wait(&wg);
    go_rwmutex_rlock(&table);
    printf("size = %d\n", size);
    go_rwmutex_runlock(&table);
    return 0;
}
