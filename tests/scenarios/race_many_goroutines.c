/* SPDX-License-Identifier: MIT */
/*
 * The racy twin of norace_many_goroutines: a million short-lived
 * goroutines in batches of 1000, each writing its own slot of a shared
 * array, except that goroutine number 777777 also bumps its neighbour's
 * slot, racing with the neighbour (in the same batch, so nothing orders
 * them). The race must be found although the detector's slots have been
 * reused hundreds of thousands of times by then.
 *
 * TIMEOUT: 120
 * EXPECT-EXIT: 66
 * EXPECT-COUNT: 1 WARNING: DATA RACE
 * EXPECT: Previous
 * EXPECT: created at:
 * EXPECT: Location is global 'slots'
 * EXPECT: SUMMARY: gosan: data-race
 * EXPECT: Found 1 data race(s)
 * EXPECT: goroutines = 1000000
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
    slots[i] = (int)(i % 1000); /* @LINE every goroutine writes its own slot */
    if (i == RACER)
        slots[i + 1] += 1; /* @LINE bumps its neighbour's slot */
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
        if (slots[i] != (int)(i % 1000) + 1 + (i == RACER + 1))
            bad++;
    printf("goroutines = %d, checksum %s\n", TOTAL, bad ? "BAD" : "ok");
    printf("elapsed: %" PRId64 " ms\n", elapsed / 1000000);
    print_peak_rss();
    return 0;
}
