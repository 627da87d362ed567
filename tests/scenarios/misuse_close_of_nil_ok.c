/* SPDX-License-Identifier: MIT */
/*
 * The twin of misuse_close_of_nil: the constructor makes the quit channel.
 *
 * EXPECT-EXIT: 0
 * EXPECT: stopped
 * EXPECT-NOT: panic
 * EXPECT-NOT: SUMMARY: gosan
 */
#include <gosan.h>
#include <stdio.h>

struct server {
    go_chan *requests;
    go_chan *quit;
};

static void server_init(struct server *s)
{
    s->requests = go_chan_make(sizeof(int), 8);
    s->quit = go_chan_make(0, 0);
}

static __attribute__((noinline)) void server_stop(struct server *s)
{
    go_chan_close(s->quit);
}

int main(void)
{
    static struct server s;
    server_init(&s);
    server_stop(&s);
    printf("stopped\n");
    return 0;
}
