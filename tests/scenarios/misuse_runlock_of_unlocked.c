/* SPDX-License-Identifier: MIT */
/*
 * RUnlock of an RWMutex that is not read-locked: a reader read-unlocks
 * twice. Go dies with "fatal error: sync: RUnlock of unlocked RWMutex";
 * gosan reports it with the stack, and aborts.
 *
 * EXPECT-SIGNAL: 6
 * EXPECT-COUNT: 1 fatal error: sync: RUnlock of unlocked RWMutex
 * EXPECT: by main goroutine:
 * EXPECT-COUNT: 1 SUMMARY: gosan: runlock-of-unlocked-rwmutex
 * EXPECT-NOT: not reached
 */
#include <gosan.h>
#include <stdio.h>

static go_rwmutex table;
static int size = 3;

static __attribute__((noinline)) int lookup(void)
{
    go_rwmutex_rlock(&table);
    int n = size;
    go_rwmutex_runlock(&table);
    if (n > 0)
        go_rwmutex_runlock(&table); /* @LINE one RUnlock too many */
    return n;
}

int main(void)
{
    lookup();
    printf("not reached\n");
    return 0;
}
