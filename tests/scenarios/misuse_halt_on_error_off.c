/* SPDX-License-Identifier: MIT */
/*
 * With GOSAN_OPTIONS=halt_on_error=0, misuse is reported and the call
 * returns: the program goes on and exits with the report exit status
 * (66). One of each: send on a closed channel, close of a closed channel,
 * a negative WaitGroup counter, an unlock of an unlocked mutex; each is
 * reported once, with its own stack.
 *
 * ENV: GOSAN_OPTIONS=halt_on_error=0
 * EXPECT-EXIT: 66
 * EXPECT: after send
 * EXPECT: after close
 * EXPECT: after done
 * EXPECT: after unlock
 * EXPECT: main goes on to the end
 * EXPECT-COUNT: 1 SUMMARY: gosan: send-on-closed-channel
 * EXPECT-COUNT: 1 SUMMARY: gosan: close-of-closed-channel
 * EXPECT-COUNT: 1 SUMMARY: gosan: negative-waitgroup
 * EXPECT-COUNT: 1 SUMMARY: gosan: unlock-of-unlocked-mutex
 * EXPECT: gosan: 4 reports; exit status 66
 */
#include <gosan.h>
#include <stdio.h>

int main(void)
{
    go_chan *c = go_chan_make(sizeof(int), 1);
    go_chan_close(c);
    int v = 1;
    go_chan_send(c, &v); /* @LINE send on closed */
    printf("after send\n");
    go_chan_close(c); /* @LINE close of closed */
    printf("after close\n");
    go_wg wg = GO_WG_INIT;
    go_wg_done(&wg); /* @LINE negative counter */
    printf("after done\n");
    go_mutex mu = GO_MUTEX_INIT;
    go_mutex_unlock(&mu); /* @LINE unlock of unlocked */
    printf("after unlock\n");
    printf("main goes on to the end\n");
    return 0;
}
