/* SPDX-License-Identifier: MIT */
/*
 * Scenario programs (tests/scenarios/<area>_<scenario>.c) state what gosan
 * must report about them in their own source:
 *
 *   EXPECT-EXIT: 66             exit status (default 0)
 *   EXPECT-SIGNAL: 6            killed by this signal instead
 *   EXPECT: WARNING: DATA RACE  a line of the output contains this
 *   EXPECT-COUNT: 2 WARNING: DATA RACE   exactly this many occurrences
 *   EXPECT-NOT: WARNING: DATA RACE       no occurrence
 *   ENV: GOMAXPROCS=1           extra environment for the run
 *   NO-DETECTOR                 run without the preloaded detector
 *   TIMEOUT: 60                 seconds (default 60)
 *
 * and a marker comment on a source line, @LINE, means "the report names
 * this file:line" (e.g. `x++; // @LINE write side`). Directives may appear
 * anywhere, typically in the header comment.
 *
 * Goroutine ids: only the first goroutine a program starts is sure to be
 * goroutine 2. Later ids come from per-P batches, as in Go, so a spawner
 * that changed P in between (after a system call handed its P off, say)
 * gives the next one an id from another batch: count such lines with
 * EXPECT-COUNT rather than naming goroutine 3.
 */
#ifndef GOSAN_SCENARIO_CHECK_H
#define GOSAN_SCENARIO_CHECK_H

#include <stdbool.h>

/* check_scenario runs the scenario binary exe built from source file src
 * (with the detector preloaded unless the source says NO-DETECTOR) and
 * ck_asserts every expectation in src. */
void check_scenario(const char *exe, const char *src, const char *detector);

#endif
