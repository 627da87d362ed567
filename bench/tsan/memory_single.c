/* SPDX-License-Identifier: MIT */
/*
 * memory_single PASSES MIB: no threads at all. The main thread makes PASSES
 * passes over an array of MIB MiB: a read-modify-write pass
 * (x = x*5 + pass) and a summing pass, like one memory_heavy thread, plus
 * a small struct-of-fields update per element every 8th element (mixed
 * 4- and 8-byte accesses through a pointer). Checks the total against a
 * closed form.
 */
#include "wl.h"

struct rec {
    uint32_t hits;
    uint32_t pad;
    uint64_t acc;
};

static uint64_t run_pass(uint64_t *a, size_t n, struct rec *r, uint64_t p)
{
    for (size_t i = 0; i < n; i++)
        a[i] = a[i] * 5 + p;
    uint64_t s = 0;
    for (size_t i = 0; i < n; i++) {
        s += a[i];
        if ((i & 7) == 0) {
            r[i >> 3 & 1023].hits++;
            r[i >> 3 & 1023].acc += a[i] & 1;
        }
    }
    return s;
}

int main(int argc, char **argv)
{
    int passes = (int)wl_arg(argc, argv, 1, 100);
    long mib = wl_arg(argc, argv, 2, 8);
    size_t n = (size_t)mib * 1024 * 1024 / sizeof(uint64_t);
    uint64_t *a = malloc(n * sizeof *a);
    struct rec *r = calloc(1024, sizeof *r);
    if (!a || !r)
        wl_fail("malloc");
    for (size_t i = 0; i < n; i++)
        a[i] = i * 7;
    double t0 = wl_now_ms();
    uint64_t total = 0;
    for (int p = 0; p < passes; p++)
        total += run_pass(a, n, r, (uint64_t)p);
    double ms = wl_now_ms() - t0;

    uint64_t tri = n % 2 == 0 ? (n / 2) * (n - 1) : n * ((n - 1) / 2);
    uint64_t s = 7 * tri, want = 0;
    for (int p = 0; p < passes; p++) {
        s = 5 * s + n * (uint64_t)p;
        want += s;
    }
    uint64_t hits = 0;
    for (int i = 0; i < 1024; i++)
        hits += r[i].hits;
    if (total != want || hits != (uint64_t)passes * ((n + 7) / 8))
        wl_fail("wrong total");
    double acc = (double)passes * (double)n * 3;
    printf("memory_single passes=%d mib=%ld ok=1 inner_ms=%.2f "
           "ns_per_access=%.3f\n", passes, mib, ms, ms * 1e6 / acc);
    free(a);
    free(r);
    return 0;
}
