/* SPDX-License-Identifier: MIT */
/*
 * The go statement: what the parent wrote before `go` is visible to the
 * child (norace_go_statement). Here the parent fills in the settings
 * after starting the child, so the child's read races with the parent's
 * write.
 *
 * EXPECT-EXIT: 66
 * EXPECT-COUNT: 1 WARNING: DATA RACE
 * EXPECT: Previous
 * EXPECT: created at:
 * EXPECT: Location is global 'settings'
 * EXPECT: SUMMARY: gosan: data-race
 * EXPECT: Found 1 data race(s)
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
    used = settings.verbose; /* @LINE the child reads the settings */
    go_wg_done(&wg);
}

static void parent(void *arg)
{
    (void)arg;
    go_wg_add(&wg, 1);
    go(child, NULL);
    settings.verbose = 3; /* @LINE the parent writes them after `go` */
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
