/* SPDX-License-Identifier: MIT */
/*
 * This file implements a bursty rate limiter, after Go by Example's "Rate
 * Limiting": a buffered channel is a bucket of tokens, filled to the brim
 * up front so that the first BURST requests go through at once, then
 * refilled by a goroutine at one token per ticker period. Each request
 * takes a token before it proceeds, so after the burst the requests run
 * at the ticker's rate. A full bucket blocks the refiller, and the ticker,
 * like Go's, drops ticks nobody receives: idle time earns at most BURST
 * (plus the tick in flight) tokens.
 *
 * The Go program it mirrors (with a stoppable refiller instead of the
 * leaking time.Tick):
 *
 *     tokens := make(chan time.Time, burst)
 *     for i := 0; i < burst; i++ { tokens <- time.Now() }
 *     ticker := time.NewTicker(period)
 *     done := make(chan struct{})
 *     go func() {
 *         for {
 *             select {
 *             case t := <-ticker.C:
 *                 select { case tokens <- t: case <-done: return }
 *             case <-done:
 *                 return
 *             }
 *         }
 *     }()
 *     for req := 1; req <= n; req++ { <-tokens; handle(req) }
 *     close(done); ticker.Stop()
 *
 * The program checks that request k (k > BURST) starts no earlier than
 * (k - BURST) periods after the ticker started, exactly, since a tick never
 * fires early, and that the whole run takes no more than that plus a
 * generous tolerance for a loaded machine.
 */
#include <stdio.h>
#include <stdlib.h>

#include <gosan.h>

#define MS (1000LL * 1000)

enum { BURST = 3, REQUESTS = 10 };
static const int64_t period = 20 * MS;
static const int64_t tolerance = 250 * MS; /* upper bound only */

struct limiter {
    go_chan *tokens;   /* int64_t: when the token was made; cap BURST */
    go_ticker *ticker; /* refill clock */
    go_chan *done;     /* element size 0; closed to stop the refiller */
    go_wg wg;          /* the refiller */
};

/* refill moves one token per tick into the bucket until done is closed. */
static void refill(void *arg)
{
    struct limiter *l = arg;
    int64_t t;
    for (;;) {
        go_select_case tick[2] = {GO_RECV_CASE(go_ticker_chan(l->ticker), &t),
                                  GO_RECV_CASE(l->done, NULL)};
        if (go_select(tick, 2, false) == 1)
            break;
        go_select_case put[2] = {GO_SEND_CASE(l->tokens, &t),
                                 GO_RECV_CASE(l->done, NULL)};
        if (go_select(put, 2, false) == 1)
            break;
    }
    go_wg_done(&l->wg);
}

static int fail(const char *msg, int req, double got_ms, double want_ms)
{
    fprintf(stderr, "rate_limiter: FAIL: request %d: %s: %.3f ms vs %.3f ms\n",
            req, msg, got_ms, want_ms);
    return 1;
}

int main(void)
{
    struct limiter l = {.tokens = go_chan_make(sizeof(int64_t), BURST),
                        .done = go_chan_make(0, 0)};
    int64_t prefill_at[BURST];

    /* Fill the bucket, then start the clock and the refiller. */
    for (int i = 0; i < BURST; i++) {
        prefill_at[i] = go_now();
        go_chan_send(l.tokens, &prefill_at[i]);
    }
    int64_t t0 = go_now();
    l.ticker = go_ticker_new(period);
    go_wg_add(&l.wg, 1);
    go(refill, &l);

    /* Serve the requests, one token each. */
    for (int req = 1; req <= REQUESTS; req++) {
        int64_t token;
        go_chan_recv(l.tokens, &token);
        int64_t at = go_now() - t0;
        if (req <= BURST) {
            /* The burst spends the prefilled tokens, in order. */
            if (token != prefill_at[req - 1])
                return fail("burst did not use a prefilled token", req,
                            (double)(token - t0) / MS, 0);
        } else {
            /* A tick's token: the (req - BURST)-th tick at the earliest. */
            int64_t earliest = (req - BURST) * period;
            if (token - t0 < earliest || at < earliest)
                return fail("ran before its tick", req, (double)at / MS,
                            (double)earliest / MS);
        }
        printf("rate_limiter: request %2d at %7.3f ms\n", req, (double)at / MS);
    }
    int64_t elapsed = go_now() - t0;

    /* Stop the refiller before the ticker: it may be receiving from the
     * ticker's channel, which go_ticker_stop frees. */
    go_chan_close(l.done);
    go_wg_wait(&l.wg);
    go_ticker_stop(l.ticker);
    go_chan_free(l.tokens);
    go_chan_free(l.done);

    int64_t want = (REQUESTS - BURST) * period;
    if (elapsed < want || elapsed > want + tolerance)
        return fail("total time out of bounds", REQUESTS, (double)elapsed / MS,
                    (double)want / MS);
    printf("rate_limiter: %d requests, burst %d, %.1f ms (expected %.1f): "
           "ok\n",
           REQUESTS, BURST, (double)elapsed / MS, (double)want / MS);
    return 0;
}
