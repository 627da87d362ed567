/* SPDX-License-Identifier: MIT */
/*
 * atomic_counter THREADS OPS seqcst|relaxed: THREADS threads do OPS
 * __atomic_fetch_add in all on one shared counter, with the given memory
 * order. Checks the final value.
 */
#include "wl.h"

static long counter;
static long per_thread;
static int relaxed;

static void *worker(void *arg)
{
    (void)arg;
    if (relaxed) {
        for (long i = 0; i < per_thread; i++)
            __atomic_fetch_add(&counter, 1, __ATOMIC_RELAXED);
    } else {
        for (long i = 0; i < per_thread; i++)
            __atomic_fetch_add(&counter, 1, __ATOMIC_SEQ_CST);
    }
    return NULL;
}

int main(int argc, char **argv)
{
    int nt = (int)wl_arg(argc, argv, 1, 2);
    long ops = wl_arg(argc, argv, 2, 10000000);
    const char *mode = wl_sarg(argc, argv, 3, "seqcst");
    if (nt > 256)
        wl_fail("too many threads");
    if (strcmp(mode, "relaxed") == 0)
        relaxed = 1;
    else if (strcmp(mode, "seqcst") != 0)
        wl_fail("mode is seqcst or relaxed");
    per_thread = ops / nt;
    pthread_t th[256];
    double t0 = wl_now_ms();
    for (int i = 0; i < nt; i++)
        wl_spawn(&th[i], worker, NULL);
    for (int i = 0; i < nt; i++)
        wl_join(th[i]);
    double ms = wl_now_ms() - t0;
    long want = per_thread * nt;
    if (__atomic_load_n(&counter, __ATOMIC_SEQ_CST) != want)
        wl_fail("wrong count");
    printf("atomic_counter threads=%d ops=%ld mode=%s ok=1 inner_ms=%.2f "
           "ns_per_op=%.2f\n", nt, want, mode, ms, ms * 1e6 / (double)want);
    return 0;
}
