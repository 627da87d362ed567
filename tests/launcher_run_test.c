/* SPDX-License-Identifier: MIT */
/*
 * End-to-end tests of `gosan run`: the launcher runs the small programs
 * of tests/launcher/ (racy, clean and forks are compiled with
 * -fsanitize=thread and linked against libgosan; helper is a plain
 * program) with the detector preloaded into them only, and the tests
 * check its exit status, its --json and --junit files (the latter
 * validated against tests/golden/junit.xsd) and what it passes through.
 *
 * Built without the thread sanitizer's instrumentation (an ASan build),
 * there are no programs to run and this TCase is empty.
 */
#define _GNU_SOURCE
#include <check.h>
#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "launcher_support.h"

#ifdef GOSAN_LAUNCHER_E2E

#define RACY GOSAN_PROG_DIR "/racy"
#define CLEAN GOSAN_PROG_DIR "/clean"
#define FORKS GOSAN_PROG_DIR "/forks"
#define HELPER GOSAN_PROG_DIR "/helper"

/* struct run is one `gosan run --junit D/out.xml --json D/out.jsonl ...`
 * in a fresh directory D, and what it left. */
struct run {
    char *dir;
    char *junit, *json;  /* paths */
    struct proc_out o;
    char *xml;           /* the --junit file, NULL if none */
    char *jsonl;         /* the --json file, NULL if none */
    size_t jsonl_len;
};

/* validate checks the --junit file against tests/golden/junit.xsd, when
 * there is an xmllint (launcher.consumers says so when there is not). */
static void validate(const char *file)
{
    if (!GOSAN_XMLLINT[0]) {
        fprintf(stderr, "%s: xmllint not found (libxml2-utils); schema "
                "validation skipped\n", file);
        return;
    }
    char *argv[] = { GOSAN_XMLLINT, "--noout", "--schema",
                     GOSAN_GOLDEN_DIR "/junit.xsd", (char *)file, NULL };
    struct proc_out o;
    run_cmd(argv, NULL, NULL, 60, &o);
    ck_assert_msg(exited_with(&o, 0), "%s does not validate:\n%.2000s",
                  file, o.err);
    proc_out_free(&o);
}

/* gosan_run runs gosan run with the output options, then args
 * (NULL-terminated: more options, "--", the program and its arguments). */
static void gosan_run(struct run *r, const char *const *env, const char *in,
                      ...)
{
    memset(r, 0, sizeof *r);
    r->dir = test_dir();
    ck_assert_int_gt(asprintf(&r->junit, "%s/out.xml", r->dir), 0);
    ck_assert_int_gt(asprintf(&r->json, "%s/out.jsonl", r->dir), 0);
    char *argv[40] = { GOSAN_LAUNCHER_PATH, "run", "--junit", r->junit,
                       "--json", r->json };
    int n = 6;
    va_list ap;
    va_start(ap, in);
    for (char *a; n < 39 && (a = va_arg(ap, char *));)
        argv[n++] = a;
    va_end(ap);
    argv[n] = NULL;
    run_cmd(argv, env, in, 90, &r->o);
    r->xml = read_file_text(r->junit, NULL);
    r->jsonl = read_file_text(r->json, &r->jsonl_len);
    if (r->xml)
        validate(r->junit);
}

static void run_free(struct run *r)
{
    proc_out_free(&r->o);
    remove_dir(r->dir);
    free(r->dir);
    free(r->junit);
    free(r->json);
    free(r->xml);
    free(r->jsonl);
}

/* lines counts the lines of the --json file. */
static int lines(const struct run *r)
{
    return r->jsonl ? count_of(r->jsonl, "\n") : -1;
}

/* ---- reports and exit statuses ------------------------------------------- */

START_TEST(test_run_race)
{
    struct run r;
    gosan_run(&r, NULL, NULL, "--", RACY, NULL);
    ck_assert_exit(&r.o, 66);
    ck_assert_has(r.o.out, "counter = 2");     /* stdout passed through */
    ck_assert_has(r.o.err, "WARNING: DATA RACE"); /* stderr too */
    ck_assert_has(r.o.err, "gosan run: 1 report from");
    ck_assert_int_eq(lines(&r), 1);
    ck_assert_has(r.jsonl, "{\"kind\":\"data-race\"");
    ck_assert_has(r.jsonl, "racy.c");
    /* The documented schema (docs/API.md): the summary, each stack's
     * user_frame, each frame's module. */
    ck_assert_has(r.jsonl, "racy.c:17 in increment\",\"stacks\":[{");
    ck_assert_has(r.jsonl, "\"user_frame\":0,\"frames\":[{\"function\":"
                           "\"increment\",\"file\":");
    ck_assert_has(r.jsonl, "\"module\":\"" GOSAN_PROG_DIR "/racy\"}");
    ck_assert_ptr_nonnull(r.xml);
    ck_assert_has(r.xml, "<testsuite name=\"racy\" tests=\"1\" "
                         "failures=\"1\" errors=\"0\"");
    ck_assert_has(r.xml, "<testcase classname=\"data-race\" "
                         "name=\"WARNING: DATA RACE at ");
    ck_assert_has(r.xml, "racy.c:17 in increment\"");
    ck_assert_has(r.xml, "type=\"data-race\">==================\n"
                         "WARNING: DATA RACE\n");
    ck_assert_has(r.xml, "Goroutine ");
    ck_assert_has(r.xml, "<property name=\"status\" "
                         "value=\"exit status 66\"/>");
    ck_assert_has(r.xml, "<system-err>racy: starting two goroutines\n");
    run_free(&r);
}
END_TEST

START_TEST(test_run_clean)
{
    struct run r;
    gosan_run(&r, NULL, NULL, CLEAN, NULL);
    ck_assert_exit(&r.o, 0);
    ck_assert_has(r.o.out, "counter = 2");
    ck_assert_lacks(r.o.err, "WARNING");
    /* The --json file exists, empty. */
    ck_assert_ptr_nonnull(r.jsonl);
    ck_assert_int_eq((int)r.jsonl_len, 0);
    ck_assert_ptr_nonnull(r.xml);
    ck_assert_has(r.xml, "tests=\"1\" failures=\"0\" errors=\"0\"");
    ck_assert_has(r.xml, "<testcase classname=\"gosan\" name=\"no reports\"");
    ck_assert_lacks(r.xml, "<failure");
    run_free(&r);
}
END_TEST

START_TEST(test_run_exit_status)
{
    struct run r;
    gosan_run(&r, NULL, NULL, "--", HELPER, "say", "bye", "exit", "3",
              NULL);
    ck_assert_exit(&r.o, 3);
    ck_assert_str_eq(r.o.err, "bye\n");
    ck_assert_int_eq(lines(&r), 0);
    ck_assert_has(r.xml, "name=\"no reports\"");
    ck_assert_has(r.xml, "value=\"exit status 3\"");
    ck_assert_has(r.xml, "<system-err>bye\n</system-err>");
    run_free(&r);
}
END_TEST

START_TEST(test_run_killed_by_signal)
{
    struct run r;
    gosan_run(&r, NULL, NULL, HELPER, "signal", "15", NULL);
    ck_assert_exit(&r.o, 128 + 15);
    ck_assert_has(r.xml, "value=\"killed by signal 15 (Terminated)\"");
    /* Not a pass: the testcase carries an <error>. */
    ck_assert_has(r.xml, "tests=\"1\" failures=\"0\" errors=\"1\"");
    ck_assert_has(r.xml, "name=\"no reports\"");
    ck_assert_has(r.xml, "<error message=\"");
    ck_assert_has(r.xml, "was killed by signal 15 (Terminated)\" "
                         "type=\"crash\">");
    run_free(&r);
}
END_TEST

START_TEST(test_run_exitcode_option)
{
    struct run r;
    const char *env[] = { "GOSAN_OPTIONS=exitcode=42", NULL };
    gosan_run(&r, env, NULL, RACY, NULL);
    ck_assert_exit(&r.o, 42);
    ck_assert_int_eq(lines(&r), 1);
    run_free(&r);
}
END_TEST

/* A program the detector cannot be preloaded into runs, with a warning. */
START_TEST(test_run_static_program)
{
    struct run r;
    gosan_run(&r, NULL, NULL, GOSAN_PROG_DIR "/helper_static", "exit", "4",
              NULL);
    ck_assert_exit(&r.o, 4);
    ck_assert_has(r.o.err, "helper_static is statically linked: the "
                           "dynamic loader ignores LD_PRELOAD for it");
    run_free(&r);
    gosan_run(&r, NULL, NULL, HELPER, "exit", "4", NULL);
    ck_assert_exit(&r.o, 4);
    ck_assert_lacks(r.o.err, "warning");
    run_free(&r);
}
END_TEST

/* ---- processes the program starts ------------------------------------------- */

START_TEST(test_run_fork_child)
{
    struct run r;
    gosan_run(&r, NULL, NULL, FORKS, "wait", NULL);
    /* The parent exited 0, its child reported: 66 all the same. */
    ck_assert_exit(&r.o, 66);
    ck_assert_has(r.o.err, "forks: child reported");
    ck_assert_int_eq(lines(&r), 1);
    ck_assert_has(r.jsonl, "\"kind\":\"data-race\"");
    ck_assert_has(r.xml, "forks.c:");
    ck_assert_has(r.xml, "failures=\"1\"");
    ck_assert_has(r.xml, "value=\"exit status 0\"");
    run_free(&r);
}
END_TEST

START_TEST(test_run_fork_orphan)
{
    struct run r;
    gosan_run(&r, NULL, NULL, FORKS, "orphan", NULL);
    /* The child raced after its parent was gone; the launcher waited. */
    ck_assert_exit(&r.o, 66);
    ck_assert_int_eq(lines(&r), 1);
    ck_assert_has(r.jsonl, "\"kind\":\"data-race\"");
    ck_assert_has(r.xml, "failures=\"1\"");
    run_free(&r);
}
END_TEST

/* ---- stderr, stdin, stdout -------------------------------------------------------- */

START_TEST(test_run_stderr_tail)
{
    struct run r;
    gosan_run(&r, NULL, NULL, HELPER, "stderr", "200000", NULL);
    ck_assert_exit(&r.o, 0);
    /* All of it passed through... */
    ck_assert_uint_eq(r.o.err_len, 200000 + strlen("\nEND-OF-STDERR\n"));
    ck_assert_has(r.o.err, "\nEND-OF-STDERR\n");
    /* ...and its last 64 KiB in <system-err>, with a note. */
    ck_assert_has(r.xml, "[gosan: the first 134479 bytes of stderr are "
                         "left out; the last 65536 follow]\n");
    ck_assert_has(r.xml, "END-OF-STDERR\n</system-err>");
    ck_assert_uint_lt(strlen(r.xml), 70000);
    run_free(&r);
}
END_TEST

START_TEST(test_run_nasty_stderr)
{
    struct run r;
    gosan_run(&r, NULL, NULL, HELPER, "nasty", NULL);
    ck_assert_exit(&r.o, 0);
    ck_assert_has(r.o.err, "\x1b[31mred"); /* passed through untouched */
    ck_assert_has(r.xml, "&lt;tag attr=\"v\"&gt; &amp; 'q' ]]&gt;  bad:");
    ck_assert_has(r.xml, " red crlf&#13;\n caf\xc3\xa9 \xe2\x82\xac\n");
    run_free(&r);
}
END_TEST

START_TEST(test_run_stdin_stdout)
{
    struct run r;
    gosan_run(&r, NULL, "line one\nline two\n", HELPER, "cat", NULL);
    ck_assert_exit(&r.o, 0);
    ck_assert_str_eq(r.o.out, "line one\nline two\n");
    run_free(&r);
}
END_TEST

/* ---- the program's environment ------------------------------------------------------ */

START_TEST(test_run_environment)
{
    struct run r;
    char *supp;
    char *dir = test_dir();
    ck_assert_int_gt(asprintf(&supp, "%s/gosan.supp", dir), 0);
    ck_assert(write_file_text(supp, "race:nothing\n", 13));
    const char *env[] = { "GOSAN_OPTIONS=halt_on_error=0 exitcode=9",
                          "LD_PRELOAD=/old/libgosan-detect.so:libm.so.6",
                          NULL };
    gosan_run(&r, env, NULL, "--timeout", "7", "--suppressions", supp, "--",
              HELPER, "env", "GOSAN_OPTIONS", "env", "LD_PRELOAD", NULL);
    ck_assert_exit(&r.o, 0);
    /* The user's options first, then the launcher's. */
    ck_assert_has(r.o.out, "halt_on_error=0 exitcode=9:report_json=");
    ck_assert_has(r.o.out, "/reports.jsonl:hang_timeout=7:suppressions=");
    ck_assert_has(r.o.out, "/gosan.supp\n");
    /* The detector first; a stale detector entry dropped. */
    char *lib = realpath(GOSAN_DETECTOR_PATH, NULL), *line;
    ck_assert_ptr_nonnull(lib);
    ck_assert_int_gt(asprintf(&line, "\n%s:libm.so.6\n", lib), 0);
    ck_assert_has(r.o.out, line);
    free(line);
    free(lib);
    ck_assert_lacks(r.o.out, "/old/");
    run_free(&r);
    remove_dir(dir);
    free(dir);
    free(supp);
}
END_TEST

/* A report_json the user set gets the reports too, appended. */
START_TEST(test_run_user_report_json)
{
    char *dir = test_dir(), *mine, *opt;
    ck_assert_int_gt(asprintf(&mine, "%s/mine.jsonl", dir), 0);
    ck_assert_int_gt(asprintf(&opt, "GOSAN_OPTIONS=report_json=%s", mine),
                     0);
    ck_assert(write_file_text(mine, "{\"earlier\":1}\n", 14));
    const char *env[] = { opt, NULL };
    struct run r;
    gosan_run(&r, env, NULL, RACY, NULL);
    ck_assert_exit(&r.o, 66);
    char *text = read_file_text(mine, NULL);
    ck_assert_ptr_nonnull(text);
    ck_assert_int_eq(strncmp(text, "{\"earlier\":1}\n", 14), 0);
    ck_assert_str_eq(text + 14, r.jsonl);
    free(text);
    run_free(&r);
    remove_dir(dir);
    free(dir);
    free(mine);
    free(opt);
}
END_TEST

/* ---- the run directory ----------------------------------------------------------------- */

static int entries(const char *dir)
{
    DIR *d = opendir(dir);
    int n = 0;
    for (struct dirent *e; d && (e = readdir(d));)
        n += strncmp(e->d_name, "gosan-run.", 10) == 0;
    if (d)
        closedir(d);
    return n;
}

START_TEST(test_run_rundir)
{
    char *tmp = test_dir(), *env_tmp;
    ck_assert_int_gt(asprintf(&env_tmp, "TMPDIR=%s", tmp), 0);
    const char *env[] = { env_tmp, NULL };
    struct run r;
    gosan_run(&r, env, NULL, RACY, NULL);
    ck_assert_exit(&r.o, 66);
    ck_assert_int_eq(entries(tmp), 0); /* removed */
    run_free(&r);

    gosan_run(&r, env, NULL, "--keep-run-dir", RACY, NULL);
    ck_assert_exit(&r.o, 66);
    ck_assert_int_eq(entries(tmp), 1);
    const char *kept = strstr(r.o.err, "gosan run: run directory kept: ");
    ck_assert_ptr_nonnull(kept);
    char path[4096];
    ck_assert_int_eq(sscanf(kept, "gosan run: run directory kept: %4000s",
                            path), 1);
    strcat(path, "/reports.jsonl");
    char *text = read_file_text(path, NULL);
    ck_assert_ptr_nonnull(text);
    ck_assert_str_eq(text, r.jsonl);
    free(text);
    run_free(&r);
    remove_dir(tmp);
    free(tmp);
    free(env_tmp);
}
END_TEST

/* A signal sent to the launcher alone reaches the program; the launcher
 * exits with the program's status. */
START_TEST(test_run_signal_forwarded)
{
    char *script;
    ck_assert_int_gt(asprintf(&script,
        "%s run -- %s sleep 30000 & pid=$!; sleep 1; kill -TERM $pid; "
        "wait $pid; echo status=$?", GOSAN_LAUNCHER_PATH, HELPER), 0);
    char *argv[] = { "/bin/sh", "-c", script, NULL };
    struct proc_out o;
    run_cmd(argv, NULL, NULL, 60, &o);
    ck_assert_exit(&o, 0);
    ck_assert_str_eq(o.out, "status=143\n");
    proc_out_free(&o);
    free(script);
}
END_TEST

#endif /* GOSAN_LAUNCHER_E2E */

TCase *tcase_launcher_run(void)
{
    TCase *tc = tcase_create("run");
    tcase_set_timeout(tc, 90);
#ifdef GOSAN_LAUNCHER_E2E
    tcase_add_test(tc, test_run_race);
    tcase_add_test(tc, test_run_clean);
    tcase_add_test(tc, test_run_exit_status);
    tcase_add_test(tc, test_run_killed_by_signal);
    tcase_add_test(tc, test_run_exitcode_option);
    tcase_add_test(tc, test_run_static_program);
    tcase_add_test(tc, test_run_fork_child);
    tcase_add_test(tc, test_run_fork_orphan);
    tcase_add_test(tc, test_run_stderr_tail);
    tcase_add_test(tc, test_run_nasty_stderr);
    tcase_add_test(tc, test_run_stdin_stdout);
    tcase_add_test(tc, test_run_environment);
    tcase_add_test(tc, test_run_user_report_json);
    tcase_add_test(tc, test_run_rundir);
    tcase_add_test(tc, test_run_signal_forwarded);
#endif
    return tc;
}
