/* SPDX-License-Identifier: MIT */
/*
 * The twin of race_go_statement: the parent writes the settings before
 * the go statement, which happens before the child starts.
 *
 * EXPECT-EXIT: 0
 * EXPECT-NOT: WARNING: DATA RACE
 * EXPECT: used = 3
 */
#include <gosan.h>
#include <stdio.h>

static struct {
    long verbose;
} settings;
static long used;
static go_wg wg;

static void child(void *arg)
{
    (void)arg;
    used = settings.verbose;
    go_wg_done(&wg);
}

static void parent(void *arg)
{
    (void)arg;
    go_wg_add(&wg, 1);
    settings.verbose = 3;
    go(child, NULL);
    go_wg_wait(&wg);
    go_wg_done(arg);
}

int main(void)
{
    go_wg top = GO_WG_INIT;
    go_wg_add(&top, 1);
    go(parent, &top);
    go_wg_wait(&top);
    printf("used = %ld\n", used);
    return 0;
}
