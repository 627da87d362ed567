/* SPDX-License-Identifier: MIT */
/*
 * Unlock of an unlocked mutex: an error path unlocks, and the common exit
 * unlocks again. Go dies with "fatal error: sync: unlock of unlocked
 * mutex"; gosan reports it with the stack of the second unlock, and
 * aborts.
 *
 * EXPECT-SIGNAL: 6
 * EXPECT-COUNT: 1 fatal error: sync: unlock of unlocked mutex
 * EXPECT: by main goroutine:
 * EXPECT-COUNT: 1 SUMMARY: gosan: unlock-of-unlocked-mutex
 * EXPECT-NOT: not reached
 */
#include <gosan.h>
#include <stdio.h>

static go_mutex mu;
static int items;

static __attribute__((noinline)) int add_item(int v)
{
    go_mutex_lock(&mu);
    if (v < 0)
        go_mutex_unlock(&mu); /* the error path unlocks ... */
    else
        items++;
    go_mutex_unlock(&mu); /* @LINE ... and so does the common exit */
    return v < 0 ? -1 : 0;
}

int main(void)
{
    add_item(1);
    add_item(-1);
    printf("not reached\n");
    return 0;
}
