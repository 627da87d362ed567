/* SPDX-License-Identifier: MIT */
/*
 * spawn_join COUNT BATCH: creates COUNT threads in all, BATCH at a time
 * (create BATCH, then join them; BATCH 1 is strictly sequential). Each
 * child writes its own slot of a heap array; the parent reads every slot
 * after the join and checks it.
 */
#include "wl.h"

struct slot {
    long in, out;
};

static void *child(void *arg)
{
    struct slot *s = arg;
    s->out = s->in * 3 + 1;
    return NULL;
}

int main(int argc, char **argv)
{
    long count = wl_arg(argc, argv, 1, 20000);
    long batch = wl_arg(argc, argv, 2, 1);
    if (batch > 1024)
        wl_fail("batch too large");
    struct slot *slots = calloc((size_t)batch, sizeof *slots);
    pthread_t *th = calloc((size_t)batch, sizeof *th);
    if (!slots || !th)
        wl_fail("calloc");
    long done = 0, sum = 0;
    double t0 = wl_now_ms();
    while (done < count) {
        long n = count - done < batch ? count - done : batch;
        for (long i = 0; i < n; i++) {
            slots[i].in = done + i;
            wl_spawn(&th[i], child, &slots[i]);
        }
        for (long i = 0; i < n; i++) {
            wl_join(th[i]);
            if (slots[i].out != slots[i].in * 3 + 1)
                wl_fail("wrong child result");
            sum += slots[i].out;
        }
        done += n;
    }
    double ms = wl_now_ms() - t0;
    /* sum over k < count of 3k + 1 */
    if (sum != 3 * (count * (count - 1) / 2) + count)
        wl_fail("wrong sum");
    printf("spawn_join count=%ld batch=%ld ok=1 inner_ms=%.2f "
           "us_per_thread=%.2f\n", count, batch, ms, ms * 1e3 / (double)count);
    free(slots);
    free(th);
    return 0;
}
