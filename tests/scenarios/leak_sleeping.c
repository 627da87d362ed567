/* SPDX-License-Identifier: MIT */
/*
 * The buggy twin of leak_late_exit_ok: this goroutine would exit only
 * after ten seconds, far beyond goleak_verify's retries (20 attempts,
 * sleeps capped at 100 ms): it is reported as a leak, in state sleep, and
 * goleak_verify gives up after a few hundred milliseconds.
 *
 * EXPECT-EXIT: 66
 * EXPECT: leaked = 1
 * EXPECT: retried before giving up: yes
 * EXPECT: gave up in time: yes
 * EXPECT-COUNT: 1 WARNING: GOROUTINE LEAK
 * EXPECT: goroutine 2 [sleep]:
 * EXPECT: goroutine 2 created by goroutine 1 at:
 * EXPECT-COUNT: 1 SUMMARY: gosan: goroutine-leak
 */
#include <gosan.h>
#include <stdio.h>

#define MS (1000 * 1000LL)

static void slow(void *arg)
{
    (void)arg;
    go_sleep(10000 * MS); /* @LINE still sleeping when main checks */
}

int main(void)
{
    int64_t start = go_now();
    go(slow, NULL); /* @LINE */
    int n = goleak_verify();
    int64_t waited = go_now() - start;
    printf("leaked = %d\n", n);
    /* The backoff sleeps add up to about 330 ms. */
    printf("retried before giving up: %s\n", waited >= 200 * MS ? "yes"
                                                                 : "no");
    printf("gave up in time: %s\n", waited < 5000 * MS ? "yes" : "no");
    return 0;
}
