/* SPDX-License-Identifier: MIT */
/*
 * fp_atomic_handoff: a gosan false positive on an unmodified program.
 *
 *   cc -O2 -g -fno-builtin -pthread -o fp_atomic_handoff fp_atomic_handoff.c
 *   gosan run -- ./fp_atomic_handoff     # exit 66: "WARNING: DATA RACE"
 *
 * A thread fills a buffer with memset and publishes it with a C11 release
 * store; main waits for the flag with acquire loads, then memcpy's the
 * buffer. The memcpy happens after the memset (release/acquire on
 * `ready`): there is no race. The program is not built with
 * -fsanitize=thread, so the detector never sees the atomics, but its
 * memset/memcpy interceptors (detector/heap.c, memcpy/memset ->
 * det_access_range) check the ranges anyway and find two accesses with no
 * happens-before between them: "data-race fp_atomic_handoff.c:<memcpy
 * line> in main". -fno-builtin only keeps gcc from inlining the calls
 * (real programs call memcpy/memset for non-constant sizes all the time).
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

static char msg[4096];
static atomic_int ready;

static void *producer(void *arg)
{
    (void)arg;
    memset(msg, 'x', sizeof msg);                            /* write */
    atomic_store_explicit(&ready, 1, memory_order_release);  /* publish */
    return NULL;
}

int main(void)
{
    pthread_t t;
    char copy[sizeof msg];
    pthread_create(&t, NULL, producer, NULL);
    while (!atomic_load_explicit(&ready, memory_order_acquire))
        ;                                                    /* wait */
    memcpy(copy, msg, sizeof msg);                           /* read: ordered */
    pthread_join(t, NULL);
    printf("%c\n", copy[100]);
    return 0;
}
