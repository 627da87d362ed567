/* SPDX-License-Identifier: MIT */
/*
 * fp_gmutex_memset: a gosan false positive on an unmodified program that
 * uses GLib's GMutex.
 *
 *   cc -O2 -g -fno-builtin -pthread -o fp_gmutex_memset fp_gmutex_memset.c \
 *      -l:libglib-2.0.so.0                # Debian: libglib2.0-0, no -dev
 *   gosan run -- ./fp_gmutex_memset      # exit 66: "WARNING: DATA RACE"
 *
 * Two threads memset one buffer, each time holding the same GMutex: no
 * race. On Linux GLib's GMutex and GCond are built on futex(2) and
 * atomics, not on pthread_mutex/pthread_cond (libglib-2.0.so.0 imports no
 * pthread_cond_* at all, and pthread_mutex_* only for GRecMutex), so the
 * detector's pthread interposers see no lock; its memset interceptor
 * (detector/heap.c) still checks the range and reports the two memsets
 * as a race: "data-race fp_gmutex_memset.c:<memset line> in worker".
 * Any program whose locks are futex/atomic-based (GLib, Qt's QMutex,
 * folly, hand-made spinlocks) and that copies shared data with
 * memcpy/memset is reported the same way.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

/* glib/gthread.h's GMutex, declared here so that no -dev package is
 * needed: union _GMutex { gpointer p; guint i[2]; }. */
typedef union {
    void *p;
    unsigned i[2];
} GMutex;
void g_mutex_lock(GMutex *m);
void g_mutex_unlock(GMutex *m);

static GMutex mu;                 /* a zeroed static GMutex needs no init */
static char shared[4096];

static void *worker(void *arg)
{
    for (int i = 0; i < 1000; i++) {
        g_mutex_lock(&mu);
        memset(shared, *(char *)arg, sizeof shared);         /* under mu */
        g_mutex_unlock(&mu);
    }
    return NULL;
}

int main(void)
{
    pthread_t t[2];
    char a = 'a', b = 'b';
    pthread_create(&t[0], NULL, worker, &a);
    pthread_create(&t[1], NULL, worker, &b);
    pthread_join(t[0], NULL);
    pthread_join(t[1], NULL);
    printf("%c\n", shared[0]);
    return 0;
}
