/* SPDX-License-Identifier: MIT */
/*
 * select over channel cases, Go's semantics: among the cases that can
 * proceed one is chosen uniformly at random; a NULL channel never fires.
 */
#ifndef GOSAN_SELECT_H
#define GOSAN_SELECT_H

#include <stdbool.h>
#include <stddef.h>

#include <gosan/chan.h>

#ifdef __cplusplus
extern "C" {
#endif

enum { GO_SEND = 1, GO_RECV = 2 };

typedef struct {
    go_chan *chan; /* NULL: this case never fires */
    int dir;       /* GO_SEND or GO_RECV */
    void *elem;    /* value to send, or where to store the received value
                      (may be NULL) */
    bool ok;       /* set for the chosen receive case: false if the channel
                      was closed */
} go_select_case;

#define GO_SEND_CASE(ch, p) \
    ((go_select_case){ .chan = (ch), .dir = GO_SEND, .elem = (void *)(p) })
#define GO_RECV_CASE(ch, p) \
    ((go_select_case){ .chan = (ch), .dir = GO_RECV, .elem = (p) })

/* go_select returns the index of the case that proceeded; -1 when
 * has_default and no case was ready. With n == 0 and !has_default it blocks
 * forever. */
int go_select(go_select_case *cases, size_t n, bool has_default);

#ifdef __cplusplus
}
#endif

#endif
