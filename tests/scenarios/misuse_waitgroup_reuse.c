/* SPDX-License-Identifier: MIT */
/*
 * A WaitGroup reused before the previous Wait returned: main waits for a
 * round of one task; the task calls Done (the counter reaches zero and main
 * is woken) and at once Add(1) for a next round, before main's Wait has
 * returned. Go panics "sync: WaitGroup is reused before previous Wait has
 * returned"; so does gosan, with main's stack in Wait, and it aborts.
 *
 * To be sure main is parked in Wait before the task's Done, there is one P
 * (GOMAXPROCS=1) and the task waits, yielding, for a flag main sets just
 * before it calls Wait (main cannot run again until it parks in Wait).
 *
 * ENV: GOMAXPROCS=1
 * EXPECT-SIGNAL: 6
 * EXPECT-COUNT: 1 panic: sync: WaitGroup is reused before previous Wait has returned
 * EXPECT: by main goroutine:
 * EXPECT-COUNT: 1 SUMMARY: gosan: waitgroup-reuse
 * EXPECT-NOT: not reached
 */
#include <gosan.h>
#include <stdio.h>

static go_wg wg;
static int main_waits; /* relaxed flag: no happens-before */

static void task(void *arg)
{
    (void)arg;
    while (!__atomic_load_n(&main_waits, __ATOMIC_RELAXED))
        go_yield();
    go_wg_done(&wg);   /* round 1 ends: main's Wait is woken ... */
    go_wg_add(&wg, 1); /* ... and round 2 starts before it returned */
}

int main(void)
{
    go_wg_add(&wg, 1);
    go(task, NULL);
    __atomic_store_n(&main_waits, 1, __ATOMIC_RELAXED);
    go_wg_wait(&wg); /* @LINE main's Wait finds the WaitGroup reused */
    printf("not reached\n");
    return 0;
}
