/* SPDX-License-Identifier: MIT */
/*
 * Golden-file tests of the JUnit renderer (reports/junit.c): hand-built
 * reports with pre-symbolized frames (no symbolizer involved) rendered and
 * compared byte for byte with tests/golden/junit_*.xml, and every output
 * validated with xmllint against tests/golden/junit.xsd (our stricter
 * statement of the shape Jenkins, GitLab and GitHub read) and
 * tests/golden/junit-10.xsd (Jenkins' xUnit plugin's own schema). Without
 * xmllint the validation is skipped with a message; launcher.consumers
 * then reports itself skipped.
 *
 * A deliberate format change: rerun with GOSAN_UPDATE_GOLDEN=1 to rewrite
 * the golden files, and review their diff. On a mismatch the renderer's
 * output is left in the test's working directory as NAME.actual.
 */
#define _GNU_SOURCE
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "launcher_support.h"
#include "reports.h"

/* 2024-05-01T12:00:00Z */
#define STAMP 1714564800

/* ---- hand-built reports ------------------------------------------------------ */

static const struct rep_frame frames_write[] = {
    { .function = "worker", .file = "/src/app/worker.c", .line = 42,
      .pc = 0x401a2b, .fn_offset = 0x1d },
    { .function = "run_jobs", .file = "/src/app/jobs.c", .line = 17,
      .pc = 0x401b00, .fn_offset = 0x40 },
};
static const struct rep_frame frames_read[] = {
    { .function = "main", .file = "/src/app/main.c", .line = 60,
      .pc = 0x401c10, .fn_offset = 0x5a },
};
static const struct rep_frame frames_created[] = {
    { .function = "main", .file = "/src/app/main.c", .line = 55,
      .pc = 0x401c00, .fn_offset = 0x44 },
};
static const struct rep_frame frames_other[] = {
    { .function = "flush", .file = "/src/app/cache.c", .line = 9,
      .pc = 0x401d00, .fn_offset = 0x12 },
};

static void add_stack(struct rep_report *r, const char *title, uint64_t g,
                      const struct rep_frame *fr, int n)
{
    struct rep_stack *s = rep_report_stack(r, NULL, 0, "%s", title);
    ck_assert_ptr_nonnull(s);
    s->goroutine = g;
    s->frames = fr;
    s->nframes = n;
}

/* race fills r with a data race between worker (goroutine 7) and main;
 * swapped: the same race found from the other side. */
static void race(struct rep_report *r, const char *test, bool swapped)
{
    rep_report_init(r, REP_DATA_RACE, "WARNING: DATA RACE");
    r->test = test;
    const struct rep_frame *a = frames_write, *b = frames_read;
    int na = 2, nb = 1;
    const char *ta = "Write at 0x7b0400000010 by goroutine 7:";
    const char *tb = "Previous read at 0x7b0400000010 by main goroutine:";
    if (swapped) {
        add_stack(r, "Read at 0x7b0400000010 by main goroutine:", 1, b, nb);
        add_stack(r, "Previous write at 0x7b0400000010 by goroutine 7:", 7,
                  a, na);
    } else {
        add_stack(r, ta, 7, a, na);
        add_stack(r, tb, 1, b, nb);
    }
    add_stack(r, "Goroutine 7 (running) created at:", 0, frames_created, 1);
    rep_report_trailer(r, "Location is global 'counter' of size 4\n");
}

static void free_reports(struct rep_report *r, int n)
{
    for (int i = 0; i < n; i++)
        rep_report_free(&r[i]);
}

/* ---- checking output ---------------------------------------------------------- */

/* validate runs xmllint with both schemas over xml. */
static void validate(const char *name, const char *xml)
{
    if (!GOSAN_XMLLINT[0]) {
        fprintf(stderr, "%s: xmllint not found (scripts/deps.sh installs "
                "libxml2-utils); schema validation skipped\n", name);
        return;
    }
    char *dir = test_dir(), *file;
    ck_assert_int_gt(asprintf(&file, "%s/%s", dir, name), 0);
    ck_assert(write_file_text(file, xml, strlen(xml)));
    static const char *const schemas[] = { "junit.xsd", "junit-10.xsd" };
    for (int i = 0; i < 2; i++) {
        char *xsd;
        ck_assert_int_gt(asprintf(&xsd, "%s/%s", GOSAN_GOLDEN_DIR,
                                  schemas[i]), 0);
        char *argv[] = { GOSAN_XMLLINT, "--noout", "--schema", xsd, file,
                         NULL };
        struct proc_out o;
        run_cmd(argv, NULL, NULL, 60, &o);
        ck_assert_msg(exited_with(&o, 0), "%s does not validate against "
                      "%s:\n%.2000s", name, schemas[i], o.err);
        proc_out_free(&o);
        free(xsd);
    }
    remove_dir(dir);
    free(file);
    free(dir);
}

/* check_golden compares xml with tests/golden/name and validates it. */
static void check_golden(const char *name, const char *xml)
{
    ck_assert_ptr_nonnull(xml);
    char *path;
    ck_assert_int_gt(asprintf(&path, "%s/%s", GOSAN_GOLDEN_DIR, name), 0);
    if (getenv("GOSAN_UPDATE_GOLDEN")) {
        ck_assert(write_file_text(path, xml, strlen(xml)));
    } else {
        char *want = read_file_text(path, NULL);
        if (!want || strcmp(want, xml)) {
            char actual[512];
            snprintf(actual, sizeof actual, "%s.actual", name);
            write_file_text(actual, xml, strlen(xml));
            ck_abort_msg("the renderer's output differs from %s: see "
                         "diff -u %s %s/%s (GOSAN_UPDATE_GOLDEN=1 rewrites "
                         "the golden file)", path, path, getcwd(NULL, 0),
                         actual);
        }
        free(want);
    }
    validate(name, xml);
    free(path);
}

/* ---- tests ---------------------------------------------------------------------- */

/* One race, reported inside a Check test: the classname is the test. */
START_TEST(test_junit_race)
{
    struct rep_report r[1];
    race(&r[0], "test_counter_race", false);
    struct rep_junit_property props[] = {
        { "command", "./counter -n 2" },
        { "status", "exit status 66" },
    };
    static const char err[] = "==================\nWARNING: DATA RACE\n"
                              "...\ngosan: 1 report; exit status 66\n";
    struct rep_junit_suite s = {
        .name = "counter -n 2", .hostname = "ci-7", .timestamp = STAMP,
        .time = 1.5, .properties = props, .nproperties = 2,
        .reports = r, .nreports = 1,
        .system_err = err, .system_err_len = sizeof err - 1,
    };
    char *xml = rep_render_junit(&s, 1);
    check_golden("junit_race.xml", xml);
    ck_assert_int_eq(count_of(xml, "<testcase "), 1);
    ck_assert_has(xml, "classname=\"test_counter_race\"");
    ck_assert_has(xml, "name=\"WARNING: DATA RACE at /src/app/worker.c:42 "
                       "in worker\"");
    ck_assert_has(xml, "type=\"data-race\"");
    free(xml);
    free_reports(r, 1);
}
END_TEST

/* A clean run is one passing testcase. */
START_TEST(test_junit_clean)
{
    struct rep_junit_suite s = {
        .name = "clean", .hostname = "ci-7", .timestamp = STAMP,
        .time = 0.25, .system_err = "all good\n", .system_err_len = 9,
    };
    char *xml = rep_render_junit(&s, 1);
    check_golden("junit_clean.xml", xml);
    ck_assert_has(xml, "tests=\"1\" failures=\"0\" errors=\"0\"");
    ck_assert_lacks(xml, "<failure");
    free(xml);
}
END_TEST

/* A run killed by a signal with nothing reported: its one testcase keeps
 * the clean run's name (CI history follows it) and carries an <error>,
 * so the crash is not shown as a pass. */
START_TEST(test_junit_crash)
{
    struct rep_junit_suite s = {
        .name = "crasher", .hostname = "ci-7", .timestamp = STAMP,
        .time = 0.5, .error = "crasher was killed by signal 11 "
                              "(Segmentation fault)",
    };
    char *xml = rep_render_junit(&s, 1);
    check_golden("junit_crash.xml", xml);
    ck_assert_has(xml, "<testsuites name=\"gosan\" tests=\"1\" "
                       "failures=\"0\" errors=\"1\"");
    ck_assert_has(xml, "tests=\"1\" failures=\"0\" errors=\"1\" "
                       "skipped=\"0\"");
    ck_assert_has(xml, "<testcase classname=\"gosan\" name=\"no reports\"");
    ck_assert_has(xml, "<error message=\"crasher was killed by signal 11 "
                       "(Segmentation fault)\" type=\"crash\">");
    ck_assert_lacks(xml, "<failure");
    free(xml);
}
END_TEST

/* The testcase is named by the top user frame: the first frame below
 * gosan's entry point (user_frame), not the entry point itself. */
START_TEST(test_junit_user_frame)
{
    static const struct rep_frame frames_api[] = {
        { .function = "go_chan_send", .file = "/src/gosan/chan.c",
          .line = 300 },
        { .function = "producer", .file = "/src/app/producer.c", .line = 8 },
    };
    struct rep_report r[1];
    rep_report_init(&r[0], REP_SEND_ON_CLOSED_CHANNEL,
                    "panic: send on closed channel");
    struct rep_stack *st = rep_report_stack(&r[0], NULL, 0, "by goroutine 4:");
    st->frames = frames_api;
    st->nframes = 2;
    st->user_frame = 1;
    struct rep_junit_suite s = {
        .name = "chan", .hostname = "ci-7", .timestamp = STAMP,
        .reports = r, .nreports = 1,
    };
    char *xml = rep_render_junit(&s, 1);
    validate("user_frame.xml", xml);
    ck_assert_has(xml, "<testcase classname=\"send-on-closed-channel\" "
                       "name=\"panic: send on closed channel at "
                       "/src/app/producer.c:8 in producer\"");
    free(xml);
    free_reports(r, 1);
}
END_TEST

/* The same finding twice (once from each side, as a parent and its forked
 * child may report it) is one testcase; a different finding whose name
 * collides with it is numbered. */
START_TEST(test_junit_dedupe)
{
    struct rep_report r[4];
    race(&r[0], NULL, false);
    race(&r[1], NULL, true);
    race(&r[2], NULL, false);
    /* Same top of the first stack, a different other side. */
    r[2].stacks[1].frames = frames_other;
    r[2].stacks[1].nframes = 1;
    rep_report_init(&r[3], REP_GOROUTINE_LEAK, "found unexpected goroutines");
    add_stack(&r[3], "Goroutine 9 [chan receive]:", 9, frames_other, 1);
    struct rep_junit_suite s = {
        .name = "cache", .hostname = "ci-7", .timestamp = STAMP,
        .time = 2, .reports = r, .nreports = 4,
    };
    char *xml = rep_render_junit(&s, 1);
    check_golden("junit_dedupe.xml", xml);
    ck_assert_int_eq(count_of(xml, "<testcase "), 3);
    ck_assert_has(xml, "tests=\"3\" failures=\"3\"");
    ck_assert_has(xml, "in worker (2)\"");
    ck_assert_has(xml, "classname=\"goroutine-leak\"");
    free(xml);
    free_reports(r, 4);
}
END_TEST

/* Whatever the bytes, the document is well-formed and valid: markup is
 * escaped, controls and ANSI colours dropped, bad UTF-8 replaced. */
START_TEST(test_junit_escaping)
{
    static const struct rep_frame fr[] = {
        { .function = "operator<<", .file = "/src/a&b/\"q\".cc", .line = 3,
          .pc = 0x10, .fn_offset = 0x4 },
    };
    struct rep_report r[1];
    rep_report_init(&r[0], REP_MUTEX_MISUSE, "fatal error: <bad> & 'worse'");
    r[0].test = "test_\x01odd\xff";
    add_stack(&r[0], "Unlock by goroutine 3 ]]>:", 3, fr, 1);
    rep_report_message(&r[0], "tab\there\r\nbell\x07 caf\xc3\xa9\n");
    static const char err[] =
        "<tag attr=\"v\"> & ]]> \x01\x02 bad:\xff\xc3( \xed\xa0\x80 "
        "\xef\xbf\xbe \x1b[31mred\x1b[0m crlf\r\n\0nul caf\xc3\xa9 \xe2\x82\xac"
        " \xc2\x85 \xf4\x90\x80\x80 \xc0\xaf\n";
    struct rep_junit_suite s = {
        .name = "odd <name> & \"args\"", .hostname = "h'1",
        .timestamp = STAMP, .time = 0.001,
        .reports = r, .nreports = 1,
        .system_err = err, .system_err_len = sizeof err - 1,
    };
    char *xml = rep_render_junit(&s, 1);
    check_golden("junit_escaping.xml", xml);
    ck_assert_lacks(xml, "\x01");
    ck_assert_lacks(xml, "\x07");
    ck_assert_lacks(xml, "\x1b");
    ck_assert_lacks(xml, "\xff");
    ck_assert_lacks(xml, "]]>");
    ck_assert_lacks(xml, "\r");
    ck_assert_has(xml, "&lt;tag attr=\"v\"&gt; &amp; ]]&gt;");
    ck_assert_has(xml, "name=\"odd &lt;name&gt; &amp; &quot;args&quot;\"");
    ck_assert_has(xml, "hostname=\"h&apos;1\"");
    ck_assert_has(xml, "red crlf&#13;\nnul caf\xc3\xa9 \xe2\x82\xac");
    ck_assert_has(xml, "bad:\xef\xbf\xbd\xef\xbf\xbd(");
    free(xml);
    free_reports(r, 1);
}
END_TEST

/* Several runs: a testsuite each, totals summed; a report without stacks
 * is named by its headline alone. */
START_TEST(test_junit_suites)
{
    struct rep_report r[2];
    race(&r[0], "test_counter_race", false);
    rep_report_init(&r[1], REP_DEADLOCK,
                    "fatal error: all goroutines are asleep - deadlock!");
    struct rep_junit_suite s[3] = {
        { .name = "first", .hostname = "ci-7", .timestamp = STAMP,
          .time = 0.5 },
        { .name = "second --flag", .hostname = "ci-7",
          .timestamp = STAMP + 61, .time = 0.75, .reports = r,
          .nreports = 2 },
        { .name = NULL, .hostname = NULL, .timestamp = STAMP + 3600,
          .time = -1 },
    };
    char *xml = rep_render_junit(s, 3);
    check_golden("junit_suites.xml", xml);
    ck_assert_has(xml, "<testsuites name=\"gosan\" tests=\"4\" "
                       "failures=\"2\" errors=\"0\" time=\"1.250\">");
    ck_assert_int_eq(count_of(xml, "<testsuite "), 3);
    ck_assert_has(xml, "name=\"fatal error: all goroutines are asleep - "
                       "deadlock!\" time");
    ck_assert_has(xml, "timestamp=\"2024-05-01T12:01:01\"");
    free(xml);
    free_reports(r, 2);
}
END_TEST

/* No suites at all is still a valid document. */
START_TEST(test_junit_empty)
{
    char *xml = rep_render_junit(NULL, 0);
    ck_assert_str_eq(xml, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                          "<testsuites name=\"gosan\" tests=\"0\" "
                          "failures=\"0\" errors=\"0\" time=\"0.000\">\n"
                          "</testsuites>\n");
    validate("junit_empty.xml", xml);
    free(xml);
}
END_TEST

TCase *tcase_launcher_junit(void)
{
    TCase *tc = tcase_create("junit");
    tcase_add_test(tc, test_junit_race);
    tcase_add_test(tc, test_junit_clean);
    tcase_add_test(tc, test_junit_crash);
    tcase_add_test(tc, test_junit_user_frame);
    tcase_add_test(tc, test_junit_dedupe);
    tcase_add_test(tc, test_junit_escaping);
    tcase_add_test(tc, test_junit_suites);
    tcase_add_test(tc, test_junit_empty);
    return tc;
}
