/* SPDX-License-Identifier: MIT */
/*
 * racy_counter ITERS: DELIBERATELY RACY. Two threads increment one plain
 * global ITERS times each, without any synchronization: nothing orders
 * the two threads' accesses (the main thread creates both before joining
 * either), whatever the timing. Both detectors must report a data race
 * here. The count is not checked (it is wrong by design).
 */
#include "wl.h"

static long counter;
static long iters;

static void *worker(void *arg)
{
    (void)arg;
    for (long i = 0; i < iters; i++)
        counter++;
    return NULL;
}

int main(int argc, char **argv)
{
    iters = wl_arg(argc, argv, 1, 1000000);
    pthread_t th[2];
    double t0 = wl_now_ms();
    for (int i = 0; i < 2; i++)
        wl_spawn(&th[i], worker, NULL);
    for (int i = 0; i < 2; i++)
        wl_join(th[i]);
    double ms = wl_now_ms() - t0;
    printf("racy_counter iters=%ld counter=%ld ok=1 inner_ms=%.2f\n", iters,
           counter, ms);
    return 0;
}
