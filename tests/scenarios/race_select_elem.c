/* SPDX-License-Identifier: MIT */
/*
 * A select send reads the value it sends, like go_chan_send does (Go: the
 * send statement evaluates its operand). Here the sender sends the shared
 * message through go_select while the writer is still filling it in: the
 * select's read of the message races with the writer's write.
 *
 * EXPECT-EXIT: 66
 * EXPECT-COUNT: 1 WARNING: DATA RACE
 * EXPECT: Previous
 * EXPECT: created at:
 * EXPECT: Location is global 'msg'
 * EXPECT: SUMMARY: gosan: data-race
 */
#include <gosan.h>
#include <stdio.h>

struct message {
    long id;
    long len;
};

static struct message msg;
static go_chan *out;
static go_chan *filled;
static go_wg wg;

static void writer(void *arg)
{
    (void)arg;
    msg = (struct message){ .id = 1, .len = 42 }; /* @LINE the write */
    go_chan_close(filled);
    go_wg_done(&wg);
}

static void sender(void *arg)
{
    (void)arg;
    go_select_case cases[1] = { GO_SEND_CASE(out, &msg) };
    go_select(cases, 1, false); /* @LINE the select's read of msg */
    go_wg_done(&wg);
}

int main(void)
{
    struct message got;
    out = go_chan_make(sizeof(struct message), 1);
    filled = go_chan_make(0, 0);
    go_wg_add(&wg, 2);
    go(writer, NULL);
    go(sender, NULL);
    go_chan_recv(out, &got);
    go_wg_wait(&wg);
    printf("got id %ld\n", got.id);
    go_chan_free(out);
    go_chan_free(filled);
    return 0;
}
