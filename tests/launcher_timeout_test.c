/* SPDX-License-Identifier: MIT */
/*
 * End-to-end tests of `gosan run`'s time limits, slow by nature (each
 * waits out a grace period of about ten seconds), so in a TCase of their
 * own that ctest runs beside the others:
 *  - --timeout's backstop: a program still running SECONDS+10 seconds
 *    after it started is killed and reported as a deadlock;
 *  - lingering: processes a program left running after it exited are
 *    killed LNC_LINGER_SECONDS (10) later, without a report.
 */
#define _GNU_SOURCE
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "launcher_support.h"

#ifdef GOSAN_LAUNCHER_E2E

#define HELPER GOSAN_PROG_DIR "/helper"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

START_TEST(test_timeout_backstop)
{
    char *dir = test_dir(), *junit, *json;
    ck_assert_int_gt(asprintf(&junit, "%s/out.xml", dir), 0);
    ck_assert_int_gt(asprintf(&json, "%s/out.jsonl", dir), 0);
    char *argv[] = { GOSAN_LAUNCHER_PATH, "run", "--timeout", "1",
                     "--junit", junit, "--json", json, "--", HELPER,
                     "say", "sleeping", "sleep", "60000", NULL };
    struct proc_out o;
    double t0 = now_s();
    run_cmd(argv, NULL, NULL, 60, &o);
    double took = now_s() - t0;
    ck_assert_exit(&o, 66);
    /* The backstop fires at 1+10 s (the detector may report sooner). */
    ck_assert_msg(took < 30, "took %.1f s", took);
    char *jsonl = read_file_text(json, NULL), *xml = read_file_text(junit,
                                                                    NULL);
    ck_assert_ptr_nonnull(jsonl);
    ck_assert_ptr_nonnull(xml);
    ck_assert_has(jsonl, "\"kind\":\"deadlock\"");
    ck_assert_has(xml, "type=\"deadlock\"");
    ck_assert_has(xml, "<system-err>sleeping\n");
    if (strstr(jsonl, "did not finish")) {
        ck_assert_has(o.err, "gosan run: ");
        ck_assert_has(o.err, "did not finish within 1 seconds; killing it");
        ck_assert_has(xml, "name=\"gosan: program did not finish within 1 "
                           "seconds\"");
        ck_assert_has(xml, "value=\"killed after 11 seconds (--timeout "
                           "1)\"");
    }
    free(jsonl);
    free(xml);
    proc_out_free(&o);
    remove_dir(dir);
    free(dir);
    free(junit);
    free(json);
}
END_TEST

START_TEST(test_timeout_linger)
{
    /* The helper exits at once, leaving a child that holds its stderr
     * for 60 s. */
    char *argv[] = { GOSAN_LAUNCHER_PATH, "run", "--", HELPER, "spawn",
                     "60000", "exit", "5", NULL };
    struct proc_out o;
    double t0 = now_s();
    run_cmd(argv, NULL, NULL, 60, &o);
    double took = now_s() - t0;
    ck_assert_exit(&o, 5);
    ck_assert_has(o.err, "exited, but processes it started were still "
                         "running 10 seconds later; killing them");
    ck_assert_msg(took >= 9.5 && took < 30, "took %.1f s", took);
    proc_out_free(&o);

    /* A short-lived straggler is simply waited for. */
    char *argv2[] = { GOSAN_LAUNCHER_PATH, "run", "--", HELPER, "spawn",
                      "500", "exit", "0", NULL };
    t0 = now_s();
    run_cmd(argv2, NULL, NULL, 60, &o);
    took = now_s() - t0;
    ck_assert_exit(&o, 0);
    ck_assert_lacks(o.err, "killing");
    ck_assert_msg(took >= 0.4 && took < 5, "took %.1f s", took);
    proc_out_free(&o);
}
END_TEST

#endif /* GOSAN_LAUNCHER_E2E */

TCase *tcase_launcher_timeout(void)
{
    TCase *tc = tcase_create("timeout");
    tcase_set_timeout(tc, 60);
#ifdef GOSAN_LAUNCHER_E2E
    tcase_add_test(tc, test_timeout_backstop);
    tcase_add_test(tc, test_timeout_linger);
#endif
    return tc;
}
