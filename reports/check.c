/* SPDX-License-Identifier: MIT */
/*
 * This file implements the runtime half of gosan/check.h: the name of the
 * Check test that runs now, which every report then carries, and how many
 * reports were made since it began (the teardown fails a test that made
 * any). Two buffers alternate so that a report being emitted by a
 * goroutine left over from the previous test reads a whole name, never one
 * being overwritten.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>

#include "reports.h"

#define API __attribute__((visibility("default")))

static char names[2][256];
static unsigned next;
static uint64_t reports_before; /* rep_emitted() when the test began */

API void gosan_test_begin(const char *name)
{
    if (!name) {
        rep_set_current_test(NULL);
        return;
    }
    /* The same test again (its teardown names it too): keep counting. */
    const char *cur = rep_current_test();
    if (cur && !strncmp(cur, name, sizeof names[0] - 1))
        return;
    reports_before = rep_emitted();
    char *buf = names[next++ & 1];
    snprintf(buf, sizeof names[0], "%s", name);
    rep_set_current_test(buf);
}

API int gosan_test_reports(void)
{
    return (int)(rep_emitted() - reports_before);
}

API void gosan_test_end(void)
{
    rep_set_current_test(NULL);
}
