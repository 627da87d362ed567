/* SPDX-License-Identifier: MIT */
/*
 * The CI outputs read by real consumers rather than by our own
 * expectations of them:
 *
 *  - JUnit XML validated with xmllint against the JUnit 10 schema of
 *    Jenkins' xUnit plugin (golden/junit-10.xsd, what Jenkins validates
 *    against) and against our stricter golden/junit.xsd;
 *  - the same files read with junitparser (python3-junitparser), the
 *    library many CI report tools build on, asserting what it sees:
 *    suites, counts, testcases, failure and error elements, system-err;
 *  - SARIF validated against the SARIF 2.1.0 JSON schema
 *    (golden/sarif-schema-2.1.0.json, OASIS') with jsonschema
 *    (python3-jsonschema), formats checked.
 *
 * Inputs: hand-built reports rendered directly (a race, a clean run, a
 * crashed run, hostile text), and, where the instrumented programs exist,
 * the files `gosan run` writes for a racy, a clean and a crashing program.
 *
 * The tools are found at configure time (tests/CMakeLists.txt); a missing
 * one makes its tests print "SKIPPED: ..." and return, which ctest's
 * SKIP_REGULAR_EXPRESSION turns into a skipped launcher.consumers rather
 * than a pass.
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

/* ---- the consumers ------------------------------------------------------------ */

/* have says whether tool is there, and prints the skip marker if not. */
static bool have(const char *tool, const char *what, const char *package)
{
    if (tool[0])
        return true;
    printf("SKIPPED: %s not found at configure time (Debian package %s; "
           "scripts/deps.sh installs it): not checked\n", what, package);
    fflush(stdout);
    return false;
}

/* xmllint validates file against schema (a file in golden/). */
static void xmllint(const char *file, const char *schema)
{
    char *xsd;
    ck_assert_int_gt(asprintf(&xsd, "%s/%s", GOSAN_GOLDEN_DIR, schema), 0);
    char *argv[] = { GOSAN_XMLLINT, "--noout", "--schema", xsd,
                     (char *)file, NULL };
    struct proc_out o;
    run_cmd(argv, NULL, NULL, 60, &o);
    char *xml = read_file_text(file, NULL);
    ck_assert_msg(exited_with(&o, 0), "%s does not validate against %s:\n"
                  "%s\n%s", file, schema, o.err, xml);
    free(xml);
    free(xsd);
    proc_out_free(&o);
}

/* What junitparser sees, one line per element, for the tests to match. */
static const char junitparser_py[] =
    "import sys\n"
    "from junitparser import JUnitXml, Failure, Error, Skipped\n"
    "xml = JUnitXml.fromfile(sys.argv[1])\n"
    "print('testsuites tests=%s failures=%s errors=%s' %\n"
    "      (xml.tests, xml.failures, xml.errors))\n"
    "for s in xml:\n"
    "    print('suite name=%s tests=%s failures=%s errors=%s host=%s '\n"
    "          'stamp=%s' % (s.name, s.tests, s.failures, s.errors,\n"
    "                        s.hostname, s.timestamp))\n"
    "    for p in s.properties():\n"
    "        print('property %s=%s' % (p.name, p.value))\n"
    "    n = 0\n"
    "    for c in s:\n"
    "        n += 1\n"
    "        print('case classname=%s name=%s' % (c.classname, c.name))\n"
    "        for r in c.result:\n"
    "            kind = type(r).__name__.lower()\n"
    "            print('  %s type=%s message=%s' % (kind, r.type,\n"
    "                  (r.message or '').splitlines()[0]))\n"
    "            print('  %s text has %d lines' % (kind,\n"
    "                  len((r.text or '').splitlines())))\n"
    "    print('suite cases=%d' % n)\n"
    "    err = s._elem.find('system-err')\n"
    "    if err is not None:\n"
    "        print('system-err %d chars' % len(err.text or ''))\n";

/* junitparser reads file; its view is returned (malloc'ed). */
static char *junitparser(const char *file)
{
    char *argv[] = { GOSAN_PYTHON_JUNITPARSER, "-c", (char *)junitparser_py,
                     (char *)file, NULL };
    struct proc_out o;
    run_cmd(argv, NULL, NULL, 60, &o);
    ck_assert_msg(exited_with(&o, 0), "junitparser cannot read %s:\n%s",
                  file, o.err);
    char *out = strdup(o.out);
    proc_out_free(&o);
    return out;
}

static const char jsonschema_py[] =
    "import json, sys, jsonschema\n"
    "schema = json.load(open(sys.argv[1]))\n"
    "log = json.load(open(sys.argv[2]))\n"
    "cls = jsonschema.validators.validator_for(schema)\n"
    "cls.check_schema(schema)\n"
    "v = cls(schema, format_checker=jsonschema.FormatChecker())\n"
    "errors = sorted(v.iter_errors(log), key=lambda e: list(e.path))\n"
    "for e in errors[:20]:\n"
    "    print('%s: %s' % ('/'.join(map(str, e.path)), e.message))\n"
    "print('%s: %d errors' % (cls.__name__, len(errors)))\n"
    "sys.exit(1 if errors else 0)\n";

/* sarif_validate validates a SARIF file against the 2.1.0 schema. */
static void sarif_validate(const char *file)
{
    char *argv[] = { GOSAN_PYTHON_JSONSCHEMA, "-c", (char *)jsonschema_py,
                     GOSAN_GOLDEN_DIR "/sarif-schema-2.1.0.json",
                     (char *)file, NULL };
    struct proc_out o;
    run_cmd(argv, NULL, NULL, 120, &o);
    char *text = read_file_text(file, NULL);
    ck_assert_msg(exited_with(&o, 0), "%s is not valid SARIF 2.1.0:\n%s%s\n%s",
                  file, o.out, o.err, text);
    ck_assert_has(o.out, "Draft4Validator: 0 errors");
    free(text);
    proc_out_free(&o);
}

/* ---- hand-built runs ----------------------------------------------------------- */

static const struct rep_frame frames_write[] = {
    { .function = "go_chan_send", .file = "/src/gosan/runtime/chan.c",
      .line = 300, .pc = 0x7f0000001000, .module = "/usr/lib/libgosan.so" },
    { .function = "worker", .file = "/src/app/worker.c", .line = 42,
      .pc = 0x401a2b, .fn_offset = 0x1d, .module = "/src/app/app" },
    { .function = "run_jobs", .file = "/src/app/jobs.c", .line = 17,
      .pc = 0x401b00, .fn_offset = 0x40, .module = "/src/app/app" },
};
static const struct rep_frame frames_read[] = {
    { .function = "main", .file = "/src/app/dir with space/main.c",
      .line = 60, .pc = 0x401c10, .fn_offset = 0x5a,
      .module = "/src/app/app" },
};
static const struct rep_frame frames_nasty[] = {
    { .function = "f<&>\"'", .file = "/elsewhere/x]]>\x01\xff.c", .line = 1 },
};

static void race(struct rep_report *r, const char *test)
{
    rep_report_init(r, REP_DATA_RACE, "WARNING: DATA RACE");
    r->test = test;
    struct rep_stack *s = rep_report_stack(r, NULL, 0,
                                           "Write at 0x10 by goroutine 7:");
    s->goroutine = 7;
    s->frames = frames_write;
    s->nframes = 3;
    s->user_frame = 1;
    s = rep_report_stack(r, NULL, 0, "Previous read at 0x10 by main "
                                     "goroutine:");
    s->goroutine = 1;
    s->frames = frames_read;
    s->nframes = 1;
    s = rep_report_stack(r, NULL, 0, "Goroutine 9 (running) created at:");
    s->note = "[failed to restore the stack]";
    rep_report_trailer(r, "Location is global 'counter' of size 4\n");
}

static void nasty(struct rep_report *r)
{
    rep_report_init(r, REP_GOROUTINE_LEAK, "WARNING: GOROUTINE <LEAK> & co");
    r->test = "suite:case \"quoted\"";
    snprintf(r->message, sizeof r->message,
             "bad bytes \x01\x02\xff\xc3( ]]> \x1b[31mred\x1b[0m caf\xc3\xa9");
    struct rep_stack *s = rep_report_stack(r, NULL, 0, "Goroutine 3:");
    s->frames = frames_nasty;
    s->nframes = 1;
}

/* write_tmp writes text to DIR/name; the path is malloc'ed. */
static char *write_tmp(const char *dir, const char *name, char *text)
{
    ck_assert_ptr_nonnull(text);
    char *path;
    ck_assert_int_gt(asprintf(&path, "%s/%s", dir, name), 0);
    ck_assert(write_file_text(path, text, strlen(text)));
    free(text);
    return path;
}

static char *junit_of(struct rep_report *reports, int n, const char *error)
{
    static const char err_tail[] = "racy: starting\n\x01 <stderr> & more\n";
    struct rep_junit_property props[] = { { "status", "exit status 66" } };
    struct rep_junit_suite suite = {
        .name = "app --flag",
        .hostname = "ci-host",
        .timestamp = STAMP,
        .time = 1.25,
        .properties = props,
        .nproperties = 1,
        .reports = reports,
        .nreports = n,
        .system_err = err_tail,
        .system_err_len = sizeof err_tail - 1,
        .error = error,
    };
    return rep_render_junit(&suite, 1);
}

static char *sarif_of(struct rep_report *reports, int n, int signal)
{
    struct rep_sarif_run run = {
        .tool_version = "0.1.0",
        .command = "./app --flag",
        .base_dir = "/src/app",
        .start = STAMP,
        .end = STAMP + 2,
        .exited = signal == 0,
        .exit_code = 66,
        .exit_signal = signal,
        .reports = reports,
        .nreports = n,
    };
    return rep_render_sarif(&run);
}

/* ---- JUnit ----------------------------------------------------------------------- */

START_TEST(test_consumers_junit_xsd)
{
    if (!have(GOSAN_XMLLINT, "xmllint", "libxml2-utils"))
        return;
    char *dir = test_dir();
    struct rep_report r[3];
    race(&r[0], NULL);
    race(&r[1], "suite:test_x");
    nasty(&r[2]);
    const char *names[] = { "race.xml", "clean.xml", "crash.xml",
                            "nasty.xml" };
    char *files[4] = {
        write_tmp(dir, names[0], junit_of(r, 2, NULL)),
        write_tmp(dir, names[1], junit_of(NULL, 0, NULL)),
        write_tmp(dir, names[2], junit_of(NULL, 0, "app was killed by "
                                                    "signal 11")),
        write_tmp(dir, names[3], junit_of(&r[2], 1, NULL)),
    };
    for (int i = 0; i < 4; i++) {
        xmllint(files[i], "junit-10.xsd");
        xmllint(files[i], "junit.xsd");
        free(files[i]);
    }
    for (int i = 0; i < 3; i++)
        rep_report_free(&r[i]);
    remove_dir(dir);
    free(dir);
}
END_TEST

START_TEST(test_consumers_junitparser)
{
    if (!have(GOSAN_PYTHON_JUNITPARSER, "python3 module junitparser",
              "python3-junitparser"))
        return;
    char *dir = test_dir();
    struct rep_report r[3];
    race(&r[0], NULL);
    race(&r[1], "suite:test_x");
    nasty(&r[2]);
    char *file = write_tmp(dir, "race.xml", junit_of(r, 2, NULL));
    char *seen = junitparser(file);
    ck_assert_has(seen, "testsuites tests=2 failures=2 errors=0\n");
    ck_assert_has(seen, "suite name=app --flag tests=2 failures=2 errors=0 "
                        "host=ci-host stamp=2024-05-01T12:00:00\n");
    ck_assert_has(seen, "property status=exit status 66\n");
    /* classname: the kind, or the Check test; name: headline and the top
     * user frame (worker, not gosan's go_chan_send above it). */
    ck_assert_has(seen, "case classname=data-race name=WARNING: DATA RACE "
                        "at /src/app/worker.c:42 in worker\n"
                        "  failure type=data-race message=WARNING: DATA "
                        "RACE at /src/app/worker.c:42 in worker\n");
    ck_assert_has(seen, "case classname=suite:test_x name=WARNING: DATA RACE "
                        "at /src/app/worker.c:42 in worker\n");
    ck_assert_has(seen, "suite cases=2\n");
    ck_assert_has(seen, "system-err ");
    free(seen);
    free(file);

    file = write_tmp(dir, "clean.xml", junit_of(NULL, 0, NULL));
    seen = junitparser(file);
    ck_assert_has(seen, "testsuites tests=1 failures=0 errors=0\n");
    ck_assert_has(seen, "case classname=gosan name=no reports\nsuite cases=1");
    free(seen);
    free(file);

    file = write_tmp(dir, "crash.xml",
                     junit_of(NULL, 0, "app was killed by signal 11"));
    seen = junitparser(file);
    ck_assert_has(seen, "testsuites tests=1 failures=0 errors=1\n");
    ck_assert_has(seen, "case classname=gosan name=no reports\n"
                        "  error type=crash message=app was killed by "
                        "signal 11\n");
    free(seen);
    free(file);

    file = write_tmp(dir, "nasty.xml", junit_of(&r[2], 1, NULL));
    seen = junitparser(file);
    ck_assert_has(seen, "case classname=suite:case \"quoted\" name=WARNING: "
                        "GOROUTINE <LEAK> & co at /elsewhere/x]]>");
    free(seen);
    free(file);
    for (int i = 0; i < 3; i++)
        rep_report_free(&r[i]);
    remove_dir(dir);
    free(dir);
}
END_TEST

/* ---- SARIF ------------------------------------------------------------------------ */

START_TEST(test_consumers_sarif_schema)
{
    if (!have(GOSAN_PYTHON_JSONSCHEMA, "python3 module jsonschema",
              "python3-jsonschema"))
        return;
    char *dir = test_dir();
    struct rep_report r[3];
    race(&r[0], NULL);
    race(&r[1], "suite:test_x");
    nasty(&r[2]);
    char *files[] = {
        write_tmp(dir, "race.sarif", sarif_of(r, 3, 0)),
        write_tmp(dir, "clean.sarif", sarif_of(NULL, 0, 0)),
        write_tmp(dir, "crash.sarif", sarif_of(NULL, 0, 11)),
    };
    for (int i = 0; i < 3; i++) {
        sarif_validate(files[i]);
        free(files[i]);
    }
    for (int i = 0; i < 3; i++)
        rep_report_free(&r[i]);
    remove_dir(dir);
    free(dir);
}
END_TEST

/* ---- what gosan run writes ---------------------------------------------------------- */

#ifdef GOSAN_LAUNCHER_E2E

/* gosan_run runs `gosan run --junit D/out.xml --sarif D/out.sarif --
 * prog args...` and returns D. */
static char *gosan_run(const char *prog, const char *arg1, const char *arg2,
                       int status)
{
    char *dir = test_dir(), *xml, *sarif;
    ck_assert_int_gt(asprintf(&xml, "%s/out.xml", dir), 0);
    ck_assert_int_gt(asprintf(&sarif, "%s/out.sarif", dir), 0);
    char *argv[] = { GOSAN_LAUNCHER_PATH, "run", "--junit", xml, "--sarif",
                     sarif, "--", (char *)prog, (char *)arg1, (char *)arg2,
                     NULL };
    struct proc_out o;
    run_cmd(argv, NULL, NULL, 90, &o);
    ck_assert_exit(&o, status);
    proc_out_free(&o);
    free(xml);
    free(sarif);
    return dir;
}

static const struct {
    const char *prog, *arg1, *arg2;
    int status;
    const char *parsed; /* in junitparser's view */
} runs[] = {
    { GOSAN_PROG_DIR "/racy", NULL, NULL, 66,
      "suite name=racy tests=1 failures=1 errors=0 " },
    { GOSAN_PROG_DIR "/clean", NULL, NULL, 0,
      "case classname=gosan name=no reports\n" },
    { GOSAN_PROG_DIR "/helper", "signal", "9", 128 + 9,
      "  error type=crash message=" },
    { GOSAN_PROG_DIR "/forks", "wait", NULL, 66,
      "failure type=data-race message=WARNING: DATA RACE at " },
};

START_TEST(test_consumers_gosan_run)
{
    bool xsd = have(GOSAN_XMLLINT, "xmllint", "libxml2-utils");
    bool parser = have(GOSAN_PYTHON_JUNITPARSER, "python3 module junitparser",
                       "python3-junitparser");
    bool schema = have(GOSAN_PYTHON_JSONSCHEMA, "python3 module jsonschema",
                       "python3-jsonschema");
    if (!xsd && !parser && !schema)
        return;
    char *dir = gosan_run(runs[_i].prog, runs[_i].arg1, runs[_i].arg2,
                          runs[_i].status);
    char *xml, *sarif;
    ck_assert_int_gt(asprintf(&xml, "%s/out.xml", dir), 0);
    ck_assert_int_gt(asprintf(&sarif, "%s/out.sarif", dir), 0);
    if (xsd) {
        xmllint(xml, "junit-10.xsd");
        xmllint(xml, "junit.xsd");
    }
    if (parser) {
        char *seen = junitparser(xml);
        ck_assert_has(seen, runs[_i].parsed);
        free(seen);
    }
    if (schema)
        sarif_validate(sarif);
    remove_dir(dir);
    free(xml);
    free(sarif);
    free(dir);
}
END_TEST

#endif /* GOSAN_LAUNCHER_E2E */

TCase *tcase_launcher_consumers(void)
{
    TCase *tc = tcase_create("consumers");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_consumers_junit_xsd);
    tcase_add_test(tc, test_consumers_junitparser);
    tcase_add_test(tc, test_consumers_sarif_schema);
#ifdef GOSAN_LAUNCHER_E2E
    tcase_add_loop_test(tc, test_consumers_gosan_run, 0,
                        sizeof runs / sizeof runs[0]);
#endif
    return tc;
}
