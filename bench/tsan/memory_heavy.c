/* SPDX-License-Identifier: MIT */
/*
 * memory_heavy PHASES MIB own|swap: 2 threads, each phase each thread does
 * one read-modify-write pass (x = x*5 + phase) and one summing pass over an
 * array of MIB MiB of uint64_t, then meets the other thread at a barrier
 * made of one mutex and one condvar, where it also adds its sum to a total.
 *
 *   own:  thread i always works on array i;
 *   swap: the arrays change owner every phase (thread i takes array
 *         (i + phase) % 2), so every access touches memory last written by
 *         the other thread, ordered only by the barrier.
 *
 * The main thread checks the total against its closed form.
 */
#include "wl.h"

#define NT 2

static uint64_t *arrays[NT];
static size_t len;
static int phases, swap;

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int waiting;
static unsigned long round_no;
static uint64_t total;

static void barrier_add(uint64_t part)
{
    pthread_mutex_lock(&mu);
    total += part;
    unsigned long my = round_no;
    if (++waiting == NT) {
        waiting = 0;
        round_no++;
        pthread_cond_broadcast(&cv);
    } else {
        while (round_no == my)
            pthread_cond_wait(&cv, &mu);
    }
    pthread_mutex_unlock(&mu);
}

static uint64_t pass(uint64_t *a, size_t n, uint64_t p)
{
    for (size_t i = 0; i < n; i++)
        a[i] = a[i] * 5 + p;
    uint64_t s = 0;
    for (size_t i = 0; i < n; i++)
        s += a[i];
    return s;
}

static void *worker(void *arg)
{
    int id = (int)(intptr_t)arg;
    for (int p = 0; p < phases; p++) {
        uint64_t *a = arrays[swap ? (id + p) % NT : id];
        barrier_add(pass(a, len, (uint64_t)p));
    }
    return NULL;
}

static void fill(void)
{
    for (int t = 0; t < NT; t++)
        for (size_t i = 0; i < len; i++)
            arrays[t][i] = i * 7 + (uint64_t)t;
}

int main(int argc, char **argv)
{
    phases = (int)wl_arg(argc, argv, 1, 100);
    long mib = wl_arg(argc, argv, 2, 8);
    const char *mode = wl_sarg(argc, argv, 3, "own");
    if (strcmp(mode, "swap") == 0)
        swap = 1;
    else if (strcmp(mode, "own") != 0)
        wl_fail("mode is own or swap");
    len = (size_t)mib * 1024 * 1024 / sizeof(uint64_t);
    for (int t = 0; t < NT; t++)
        if (!(arrays[t] = malloc(len * sizeof(uint64_t))))
            wl_fail("malloc");
    fill();

    pthread_t th[NT];
    double t0 = wl_now_ms();
    for (int t = 0; t < NT; t++)
        wl_spawn(&th[t], worker, (void *)(intptr_t)t);
    for (int t = 0; t < NT; t++)
        wl_join(th[t]);
    double ms = wl_now_ms() - t0;

    /* Check, in closed form (not timed): a pass maps the array's sum S to
     * 5*S + len*p (mod 2^64), and every phase gives each array exactly one
     * pass with the same p, whoever owns it, so both modes have the same
     * total. */
    uint64_t want = 0;
    for (int t = 0; t < NT; t++) {
        uint64_t n = len;
        uint64_t tri = n % 2 == 0 ? (n / 2) * (n - 1) : n * ((n - 1) / 2);
        uint64_t s = 7 * tri + n * (uint64_t)t;
        for (int p = 0; p < phases; p++) {
            s = 5 * s + n * (uint64_t)p;
            want += s;
        }
    }
    if (total != want)
        wl_fail("wrong total");
    double acc = (double)NT * phases * (double)len * 3;
    printf("memory_heavy mode=%s phases=%d mib=%ld ok=1 inner_ms=%.2f "
           "ns_per_access=%.3f\n", mode, phases, mib, ms, ms * 1e6 / acc);
    for (int t = 0; t < NT; t++)
        free(arrays[t]);
    return 0;
}
