/* SPDX-License-Identifier: MIT */
/*
 * Channels with Go's semantics. A NULL go_chan * is the nil channel: send
 * and receive on it block forever. Elements are copied by value
 * (elem_size bytes); elem_size 0 is allowed (chan struct{}).
 */
#ifndef GOSAN_CHAN_H
#define GOSAN_CHAN_H

#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct go_chan go_chan;

/* go_chan_make makes a channel; cap 0 is unbuffered. */
go_chan *go_chan_make(size_t elem_size, size_t cap);

/* go_chan_send blocks until the value is delivered or buffered. A send on a
 * closed channel is reported misuse (Go's panic). */
void go_chan_send(go_chan *c, const void *elem);

/* go_chan_recv blocks for a value; returns false when the channel is closed
 * and drained, with *elem zero-filled. elem may be NULL. */
bool go_chan_recv(go_chan *c, void *elem);

/* go_chan_try_send is `select { case c <- v: default: }`. */
bool go_chan_try_send(go_chan *c, const void *elem);

/* go_chan_try_recv: 1 received, 0 would block, -1 closed and drained. */
int go_chan_try_recv(go_chan *c, void *elem);

/* go_chan_close: close of a closed or nil channel is reported misuse. */
void go_chan_close(go_chan *c);

size_t go_chan_len(go_chan *c);
size_t go_chan_cap(go_chan *c);

/* go_chan_free: the caller's promise that nobody uses c any more. */
void go_chan_free(go_chan *c);

#ifdef __cplusplus
}
#endif

#endif
