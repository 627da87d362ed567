/* SPDX-License-Identifier: MIT */
/*
 * A million short-lived goroutines under the detector, spawned in batches
 * of 1000 that main joins with a WaitGroup; each does a little
 * instrumented work on its own slot of a shared array. Nothing races
 * (different slots; a batch's writes happen before main's Wait returns,
 * and that happens before the next batch starts). What it shows: the
 * detector's memory stays bounded (slots are reused, finished goroutines'
 * state is recycled) and the run takes reasonable time. The peak RSS is
 * printed from /proc/self/status.
 *
 * TIMEOUT: 120
 * EXPECT-EXIT: 0
 * EXPECT-NOT: WARNING: DATA RACE
 * EXPECT: goroutines = 1000000, checksum ok
 * EXPECT: peak RSS (VmHWM):
 */
#include <gosan.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#define TOTAL 1000000
#define BATCH 1000
#define RACER 777777

static int slots[TOTAL + 1];
static go_wg wg;

static void work(void *arg)
{
    long i = (long)(intptr_t)arg;
    slots[i] = (int)(i % 1000);
    if (i == RACER)
        slots[i] += 1;
    slots[i] += 1;
    go_wg_done(&wg);
}

static void print_peak_rss(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    while (f && fgets(line, sizeof line, f))
        if (!strncmp(line, "VmHWM:", 6))
            printf("peak RSS (VmHWM): %s", line + 6 + strspn(line + 6, " \t"));
    if (f)
        fclose(f);
}

int main(void)
{
    int64_t start = go_now();
    for (long b = 0; b < TOTAL / BATCH; b++) {
        go_wg_add(&wg, BATCH);
        for (long j = 0; j < BATCH; j++)
            go(work, (void *)(intptr_t)(b * BATCH + j));
        go_wg_wait(&wg);
    }
    int64_t elapsed = go_now() - start;
    long bad = 0;
    for (long i = 0; i < TOTAL; i++)
        if (slots[i] != (int)(i % 1000) + 1 + (i == RACER))
            bad++;
    printf("goroutines = %d, checksum %s\n", TOTAL, bad ? "BAD" : "ok");
    printf("elapsed: %" PRId64 " ms\n", elapsed / 1000000);
    print_peak_rss();
    return 0;
}
