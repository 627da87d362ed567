/* SPDX-License-Identifier: MIT */
/*
 * The twin of race_select_elem: the sender waits until the writer has
 * filled in the message (the close of `filled` happens before the receive
 * that sees it) before sending it through go_select.
 *
 * EXPECT-EXIT: 0
 * EXPECT-NOT: WARNING: DATA RACE
 * EXPECT: got id 1
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
    msg = (struct message){ .id = 1, .len = 42 };
    go_chan_close(filled);
    go_wg_done(&wg);
}

static void sender(void *arg)
{
    (void)arg;
    go_chan_recv(filled, NULL);
    go_select_case cases[1] = { GO_SEND_CASE(out, &msg) };
    go_select(cases, 1, false);
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
