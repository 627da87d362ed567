/* SPDX-License-Identifier: MIT */
/*
 * control: the positive control of bench/real/run.sh. Two bugs gosan must
 * find in a plain pthread program built without -fsanitize=thread, the
 * way pigz, xz and zstd are built:
 *
 *  - a data race through memset (the detector checks the ranges the libc
 *    memory functions touch; built with -fno-builtin so that the calls
 *    are not inlined), between main and the thread it created;
 *  - a lock-order inversion (mu then mv in the thread, mv then mu in
 *    main, never at the same time, so the run does not deadlock).
 *
 * run.sh fails unless gosan reports the lock-order inversion (documented
 * for unmodified programs); the race is reported today because the
 * detector checks memset/memcpy ranges even in uninstrumented code, which
 * is also the source of the false positives in repro/.
 */
#include <pthread.h>
#include <string.h>

static char buf[256];
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t mv = PTHREAD_MUTEX_INITIALIZER;

static void *writer(void *arg)
{
    memset(buf, *(int *)arg, sizeof buf);      /* races with main's memset */
    pthread_mutex_lock(&mu);
    pthread_mutex_lock(&mv);                   /* mu -> mv */
    pthread_mutex_unlock(&mv);
    pthread_mutex_unlock(&mu);
    return NULL;
}

int main(void)
{
    pthread_t t;
    int a = 1, b = 2;
    pthread_create(&t, NULL, writer, &a);
    memset(buf, b, sizeof buf);
    pthread_join(t, NULL);
    pthread_mutex_lock(&mv);
    pthread_mutex_lock(&mu);                   /* mv -> mu */
    pthread_mutex_unlock(&mu);
    pthread_mutex_unlock(&mv);
    return 0;
}
