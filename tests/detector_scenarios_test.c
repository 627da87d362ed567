/* SPDX-License-Identifier: MIT */
/*
 * The end-to-end scenarios (the programs in tests/scenarios): each is run with the
 * detector preloaded and checked against the expectations written in its
 * source. One loop test over all of them; ctest runs them one at a time
 * (GOSAN_SCENARIO=name) so that each has a name and a verdict of its own.
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "scenario_check.h"

struct scenario_entry {
    const char *name, *src, *exe;
};

#define SCENARIO_ENTRY(name, src, exe) { name, src, exe },
static const struct scenario_entry scenarios[] = {
#include "scenarios.inc"
    { NULL, NULL, NULL }
};
#undef SCENARIO_ENTRY

#define NSCENARIOS ((int)(sizeof scenarios / sizeof scenarios[0]) - 1)

START_TEST(test_scenario)
{
    const struct scenario_entry *s = &scenarios[_i];
    const char *only = getenv("GOSAN_SCENARIO");
    if (only && strcmp(only, s->name))
        return;
    check_scenario(s->exe, s->src, GOSAN_DETECTOR_PATH);
}
END_TEST

TCase *tcase_detector_scenarios(void)
{
    TCase *tc = tcase_create("scenarios");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, test_scenario, 0, NSCENARIOS);
    return tc;
}
