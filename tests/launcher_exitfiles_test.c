/* SPDX-License-Identifier: MIT */
/*
 * End-to-end tests of GOSAN_OPTIONS junit_path and sarif_path
 * (reports/exit_files.c): CI files a program writes itself, without
 * `gosan run`. The programs of tests/launcher/ and a scenario run with
 * the detector preloaded (as `gosan run` would, but by hand): a racy run
 * leaves a failing testcase and a SARIF result, a clean one a passing
 * testcase, a program that aborts right after its report still leaves
 * the file (rewritten after each report), and a forked child that
 * reports writes FILE.PID beside its parent's FILE.
 */
#define _GNU_SOURCE
#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "launcher_support.h"

#ifdef GOSAN_LAUNCHER_E2E

/* struct xrun is one run of a program in a fresh directory D with
 * junit_path=D/j.xml and sarif_path=D/s.sarif. */
struct xrun {
    char *dir, *junit, *sarif;
    struct proc_out o;
    char *xml, *sarif_text; /* contents, NULL if absent */
};

static void xrun(struct xrun *r, const char *prog, const char *arg)
{
    memset(r, 0, sizeof *r);
    r->dir = test_dir();
    ck_assert_int_gt(asprintf(&r->junit, "%s/j.xml", r->dir), 0);
    ck_assert_int_gt(asprintf(&r->sarif, "%s/s.sarif", r->dir), 0);
    char *opt;
    ck_assert_int_gt(asprintf(&opt, "GOSAN_OPTIONS=junit_path=%s:"
                              "sarif_path=%s", r->junit, r->sarif), 0);
    const char *env[] = { "LD_PRELOAD=" GOSAN_DETECTOR_PATH, opt, NULL };
    char *argv[] = { (char *)prog, (char *)arg, NULL };
    run_cmd(argv, env, NULL, 60, &r->o);
    r->xml = read_file_text(r->junit, NULL);
    r->sarif_text = read_file_text(r->sarif, NULL);
    free(opt);
}

static void xrun_free(struct xrun *r)
{
    proc_out_free(&r->o);
    remove_dir(r->dir);
    free(r->dir);
    free(r->junit);
    free(r->sarif);
    free(r->xml);
    free(r->sarif_text);
}

START_TEST(test_exitfiles_race)
{
    struct xrun r;
    xrun(&r, GOSAN_PROG_DIR "/racy", NULL);
    ck_assert_exit(&r.o, 66);
    ck_assert_msg(r.xml != NULL, "no junit_path file:\n%s", r.o.err);
    ck_assert_has(r.xml, "<testsuite name=\"racy\" tests=\"1\" "
                         "failures=\"1\" errors=\"0\"");
    ck_assert_has(r.xml, "<testcase classname=\"data-race\" "
                         "name=\"WARNING: DATA RACE at ");
    ck_assert_has(r.xml, "racy.c:17 in increment\"");
    ck_assert_has(r.xml, "<property name=\"status\" "
                         "value=\"exit status 66\"/>");
    ck_assert_ptr_nonnull(r.sarif_text);
    ck_assert_has(r.sarif_text, "\"ruleId\": \"data-race\"");
    ck_assert_has(r.sarif_text, "\"threadFlows\"");
    ck_assert_has(r.sarif_text, "\"exitCode\": 66");
    xrun_free(&r);
}
END_TEST

START_TEST(test_exitfiles_clean)
{
    struct xrun r;
    xrun(&r, GOSAN_PROG_DIR "/clean", NULL);
    ck_assert_exit(&r.o, 0);
    ck_assert_msg(r.xml != NULL, "no junit_path file:\n%s", r.o.err);
    ck_assert_has(r.xml, "<testcase classname=\"gosan\" name=\"no reports\"");
    ck_assert_has(r.xml, "failures=\"0\"");
    ck_assert_has(r.xml, "<property name=\"status\" value=\"exited\"/>");
    ck_assert_ptr_nonnull(r.sarif_text);
    ck_assert_lacks(r.sarif_text, "\"ruleId\"");
    xrun_free(&r);
}
END_TEST

START_TEST(test_exitfiles_abort)
{
    /* A panic aborts: no exit handler runs, the file written after the
     * report is what is left. */
    struct xrun r;
    xrun(&r, GOSAN_SCENARIO_DIR "/misuse_close_of_closed", NULL);
    ck_assert_msg(WIFSIGNALED(r.o.status) && WTERMSIG(r.o.status) == 6,
                  "expected SIGABRT, got 0x%x:\n%s", r.o.status, r.o.err);
    ck_assert_msg(r.xml != NULL, "no junit_path file:\n%s", r.o.err);
    ck_assert_has(r.xml, "<testcase classname=\"close-of-closed-channel\"");
    ck_assert_has(r.xml, "<property name=\"status\" value=\"running\"/>");
    ck_assert_ptr_nonnull(r.sarif_text);
    ck_assert_has(r.sarif_text, "\"ruleId\": \"close-of-closed-channel\"");
    xrun_free(&r);
}
END_TEST

START_TEST(test_exitfiles_fork_child)
{
    struct xrun r;
    xrun(&r, GOSAN_PROG_DIR "/forks", "wait");
    ck_assert_exit(&r.o, 0); /* the parent reported nothing */
    ck_assert_msg(r.xml != NULL, "no junit_path file:\n%s", r.o.err);
    ck_assert_has(r.xml, "name=\"no reports\"");
    /* The child's own file, FILE.PID, has its race. */
    DIR *d = opendir(r.dir);
    ck_assert_ptr_nonnull(d);
    int children = 0;
    for (struct dirent *e; (e = readdir(d));) {
        if (strncmp(e->d_name, "j.xml.", 6))
            continue;
        ck_assert_msg(!strstr(e->d_name, ".tmp."), "left behind: %s",
                      e->d_name);
        char *path, *xml;
        ck_assert_int_gt(asprintf(&path, "%s/%s", r.dir, e->d_name), 0);
        xml = read_file_text(path, NULL);
        ck_assert_ptr_nonnull(xml);
        ck_assert_has(xml, "<testcase classname=\"data-race\"");
        children++;
        free(xml);
        free(path);
    }
    closedir(d);
    ck_assert_int_eq(children, 1);
    xrun_free(&r);
}
END_TEST

#endif /* GOSAN_LAUNCHER_E2E */

TCase *tcase_launcher_exitfiles(void)
{
    TCase *tc = tcase_create("exitfiles");
    tcase_set_timeout(tc, 120);
#ifdef GOSAN_LAUNCHER_E2E
    tcase_add_test(tc, test_exitfiles_race);
    tcase_add_test(tc, test_exitfiles_clean);
    tcase_add_test(tc, test_exitfiles_abort);
    tcase_add_test(tc, test_exitfiles_fork_child);
#endif
    return tc;
}
