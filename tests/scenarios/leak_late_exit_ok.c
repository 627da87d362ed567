/* SPDX-License-Identifier: MIT */
/*
 * A goroutine that is finishing is not a leak: this one exits 50 ms after
 * main calls goleak_verify, which retries with growing sleeps (goleak's
 * backoff) until it is gone, then returns 0. It must have waited at least
 * the 50 ms, and not much more than the backoff's next step.
 *
 * EXPECT-EXIT: 0
 * EXPECT: leaked = 0
 * EXPECT: waited for the late goroutine: yes
 * EXPECT: gave up early: no
 * EXPECT-NOT: GOROUTINE LEAK
 * EXPECT-NOT: SUMMARY: gosan
 */
#include <gosan.h>
#include <stdio.h>

#define MS (1000 * 1000LL)

static void late(void *arg)
{
    (void)arg;
    go_sleep(50 * MS); /* the test is about time: it exits 50 ms late */
}

int main(void)
{
    int64_t start = go_now();
    go(late, NULL);
    int n = goleak_verify();
    int64_t waited = go_now() - start;
    printf("leaked = %d\n", n);
    printf("waited for the late goroutine: %s\n",
           waited >= 50 * MS ? "yes" : "no");
    /* goleak's backoff reaches 50 ms of sleeps after 65 ms in all; 2 s is
     * far beyond even a loaded machine's delays. */
    printf("gave up early: %s\n", waited < 2000 * MS ? "no" : "yes");
    printf("waited %lld ms\n", (long long)(waited / MS));
    return 0;
}
