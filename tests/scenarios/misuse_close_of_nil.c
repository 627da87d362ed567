/* SPDX-License-Identifier: MIT */
/*
 * Close of a nil channel: a server struct whose quit channel was never
 * made (the constructor forgot it) is shut down. Go panics "close of nil
 * channel"; gosan says the same with the stack, and aborts.
 *
 * EXPECT-SIGNAL: 6
 * EXPECT-COUNT: 1 panic: close of nil channel
 * EXPECT: by main goroutine:
 * EXPECT-COUNT: 1 SUMMARY: gosan: close-of-nil-channel
 * EXPECT-NOT: not reached
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
    /* Forgotten: s->quit = go_chan_make(0, 0); */
}

static __attribute__((noinline)) void server_stop(struct server *s)
{
    go_chan_close(s->quit); /* @LINE quit is nil */
}

int main(void)
{
    static struct server s;
    server_init(&s);
    server_stop(&s);
    printf("not reached\n");
    return 0;
}
