/* SPDX-License-Identifier: MIT */
/*
 * mutex_contended THREADS OPS: THREADS threads share one counter; OPS
 * increments in all, each under one pthread mutex. Checks the final count.
 */
#include "wl.h"

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static long counter;
static long per_thread;

static void *worker(void *arg)
{
    (void)arg;
    for (long i = 0; i < per_thread; i++) {
        pthread_mutex_lock(&mu);
        counter++;
        pthread_mutex_unlock(&mu);
    }
    return NULL;
}

int main(int argc, char **argv)
{
    int nt = (int)wl_arg(argc, argv, 1, 2);
    long ops = wl_arg(argc, argv, 2, 2000000);
    if (nt > 256)
        wl_fail("too many threads");
    per_thread = ops / nt;
    pthread_t th[256];
    double t0 = wl_now_ms();
    for (int i = 0; i < nt; i++)
        wl_spawn(&th[i], worker, NULL);
    for (int i = 0; i < nt; i++)
        wl_join(th[i]);
    double ms = wl_now_ms() - t0;
    long want = per_thread * nt;
    if (counter != want)
        wl_fail("wrong count");
    printf("mutex_contended threads=%d ops=%ld ok=1 inner_ms=%.2f "
           "ns_per_op=%.1f\n", nt, want, ms, ms * 1e6 / (double)want);
    return 0;
}
