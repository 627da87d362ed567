/* SPDX-License-Identifier: MIT */
/*
 * Timers: time.After and tickers, on the runtime's timer heap. A goroutine
 * waiting on a timer costs no thread.
 */
#ifndef GOSAN_TIME_H
#define GOSAN_TIME_H

#include <stdint.h>

#include <gosan/chan.h>

#ifdef __cplusplus
extern "C" {
#endif

/* go_after is time.After: a channel of int64_t (the fire time, go_now()
 * clock) with capacity 1, owned by the caller: go_chan_free it once its
 * value was received, or earlier to cancel the timer. */
go_chan *go_after(int64_t ns);

typedef struct go_ticker go_ticker;
go_ticker *go_ticker_new(int64_t period_ns); /* time.NewTicker */
go_chan *go_ticker_chan(go_ticker *t);       /* int64_t values, capacity 1 */
void go_ticker_stop(go_ticker *t);           /* stops and frees */

#ifdef __cplusplus
}
#endif

#endif
