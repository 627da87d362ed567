/* SPDX-License-Identifier: MIT */
/*
 * A racy program for the launcher's end-to-end tests: two goroutines
 * increment a global without synchronization (a data race the detector
 * reports), and main says so on stderr first. Compiled with
 * -fsanitize=thread and linked against libgosan.
 */
#include <gosan.h>
#include <stdio.h>

static int counter;
static go_wg wg;

static void increment(void *arg)
{
    (void)arg;
    counter++; /* both goroutines read and write here */
    go_wg_done(&wg);
}

int main(void)
{
    fprintf(stderr, "racy: starting two goroutines\n");
    go_wg_add(&wg, 2);
    go(increment, NULL);
    go(increment, NULL);
    go_wg_wait(&wg);
    printf("counter = %d\n", counter);
    return 0;
}
