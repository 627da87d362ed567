/* SPDX-License-Identifier: MIT */
/*
 * Tests of the `gosan` command line: the informational commands, and
 * every usage error, each of which must exit 2 before running anything,
 * with a message that names what is wrong and where. The program, when
 * one is needed, is `true` from PATH: nothing here runs the detector.
 */
#define _GNU_SOURCE
#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "launcher_support.h"

#define GOSAN GOSAN_LAUNCHER_PATH

/* gosan runs the launcher with args (NULL-terminated) and extra env. */
static void gosan(struct proc_out *o, const char *const *env, ...)
{
    char *argv[32] = { GOSAN };
    va_list ap;
    va_start(ap, env);
    int n = 1;
    for (char *a; n < 31 && (a = va_arg(ap, char *));)
        argv[n++] = a;
    va_end(ap);
    argv[n] = NULL;
    run_cmd(argv, env, NULL, 60, o);
}

/* usage_error: o exited 2 with needle in its stderr and nothing run. */
static void usage_error(struct proc_out *o, const char *needle)
{
    ck_assert_exit(o, 2);
    ck_assert_has(o->err, needle);
    ck_assert_str_eq(o->out, "");
    proc_out_free(o);
}

START_TEST(test_cli_help)
{
    struct proc_out o;
    gosan(&o, NULL, "--help", NULL);
    ck_assert_exit(&o, 0);
    ck_assert_has(o.out, "usage: gosan run [options] [--] PROGRAM [ARGS...]");
    /* Every option and every exit status is documented. */
    static const char *const documented[] = {
        "--junit FILE", "--json FILE", "--sarif FILE",
        "--suppressions FILE", "--timeout SECONDS", "--keep-run-dir",
        "-h, --help", "--help-options", "--version", "GOSAN_OPTIONS",
        "GOSAN_DETECT_LIB", "TMPDIR", "exit status:", "\n  66 ",
        "\n  PROGRAM's own ", "\n  128+N ", "\n  2 ",
        "race, race_top, thread, mutex, deadlock",
    };
    for (size_t i = 0; i < sizeof documented / sizeof documented[0]; i++)
        ck_assert_has(o.out, documented[i]);
    proc_out_free(&o);
    gosan(&o, NULL, "run", "--help", NULL);
    ck_assert_exit(&o, 0);
    ck_assert_has(o.out, "usage: gosan run");
    proc_out_free(&o);
    /* After PROGRAM, --help is PROGRAM's. */
    gosan(&o, NULL, "run", "/no/such/prog", "--help", NULL);
    usage_error(&o, "cannot run '/no/such/prog'");
}
END_TEST

START_TEST(test_cli_version)
{
    struct proc_out o;
    gosan(&o, NULL, "--version", NULL);
    ck_assert_exit(&o, 0);
    ck_assert_str_eq(o.out, "gosan " GOSAN_VERSION "\n");
    proc_out_free(&o);
}
END_TEST

START_TEST(test_cli_help_options)
{
    struct proc_out o;
    gosan(&o, NULL, "--help-options", NULL);
    ck_assert_exit(&o, 0);
    ck_assert_has(o.out, "GOSAN_OPTIONS=");
    ck_assert_has(o.out, "exitcode");
    ck_assert_has(o.out, "report_json");
    ck_assert_has(o.out, "hang_timeout");
    ck_assert_has(o.out, "suppressions");
    proc_out_free(&o);
}
END_TEST

START_TEST(test_cli_no_command)
{
    struct proc_out o;
    gosan(&o, NULL, NULL);
    ck_assert_exit(&o, 2);
    ck_assert_has(o.err, "usage: gosan run");
    proc_out_free(&o);
    gosan(&o, NULL, "frob", NULL);
    usage_error(&o, "gosan: unknown command 'frob'");
}
END_TEST

START_TEST(test_cli_bad_options)
{
    struct proc_out o;
    gosan(&o, NULL, "run", "--frob", "true", NULL);
    usage_error(&o, "gosan run: unknown option '--frob'");
    /* No abbreviations: a later option must not change their meaning. */
    gosan(&o, NULL, "run", "--jun", "x.xml", "true", NULL);
    usage_error(&o, "unknown option '--jun'");
    gosan(&o, NULL, "run", "--junit", NULL);
    usage_error(&o, "option '--junit' needs a FILE argument");
    gosan(&o, NULL, "run", "--json=", "true", NULL);
    usage_error(&o, "option '--json' needs a non-empty FILE");
    gosan(&o, NULL, "run", "--keep-run-dir=yes", "true", NULL);
    usage_error(&o, "option '--keep-run-dir' takes no value");
}
END_TEST

START_TEST(test_cli_missing_program)
{
    struct proc_out o;
    gosan(&o, NULL, "run", NULL);
    usage_error(&o, "gosan run: missing PROGRAM");
    gosan(&o, NULL, "run", "--json", "x.jsonl", NULL);
    usage_error(&o, "missing PROGRAM");
    gosan(&o, NULL, "run", "--", NULL);
    usage_error(&o, "missing PROGRAM");
    gosan(&o, NULL, "run", "--", "", NULL);
    usage_error(&o, "PROGRAM is an empty string");
}
END_TEST

static const char *const bad_timeouts[] = {
    "0", "-1", "abc", "1.5", "10m", "", "99999999999", "1000001", " 5",
};

START_TEST(test_cli_bad_timeout)
{
    struct proc_out o;
    char opt[64];
    snprintf(opt, sizeof opt, "--timeout=%s", bad_timeouts[_i]);
    gosan(&o, NULL, "run", opt, "true", NULL);
    ck_assert_exit(&o, 2);
    ck_assert_has(o.err, bad_timeouts[_i][0] ? "bad --timeout value"
                                             : "needs a non-empty SECONDS");
    proc_out_free(&o);
}
END_TEST

START_TEST(test_cli_program_not_found)
{
    struct proc_out o;
    gosan(&o, NULL, "run", "gosan-no-such-command-xyz", NULL);
    usage_error(&o, "cannot run 'gosan-no-such-command-xyz': command not "
                    "found in PATH");
    gosan(&o, NULL, "run", "--", "./no/such/program", "arg", NULL);
    usage_error(&o, "cannot run './no/such/program': No such file or "
                    "directory");
}
END_TEST

START_TEST(test_cli_program_not_executable)
{
    char *dir = test_dir(), *file;
    ck_assert_int_gt(asprintf(&file, "%s/data.txt", dir), 0);
    ck_assert(write_file_text(file, "hello\n", 6));
    chmod(file, 0644);
    struct proc_out o;
    gosan(&o, NULL, "run", file, NULL);
    usage_error(&o, "not an executable file");
    gosan(&o, NULL, "run", dir, NULL);
    usage_error(&o, "Is a directory");
    /* Executable, but not a program exec(2) knows. */
    ck_assert(write_file_text(file, "\x7f" "ELF garbage", 12));
    chmod(file, 0755);
    gosan(&o, NULL, "run", file, NULL);
    usage_error(&o, "gosan run: cannot execute");
    remove_dir(dir);
    free(file);
    free(dir);
}
END_TEST

START_TEST(test_cli_suppressions)
{
    char *dir = test_dir(), *file, *colon;
    ck_assert_int_gt(asprintf(&file, "%s/missing.supp", dir), 0);
    struct proc_out o;
    gosan(&o, NULL, "run", "--suppressions", file, "true", NULL);
    usage_error(&o, "cannot read it: No such file or directory");
    gosan(&o, NULL, "run", "--suppressions", dir, "true", NULL);
    usage_error(&o, "cannot read it: it is a directory");
    if (geteuid() != 0) { /* root reads anything */
        ck_assert(write_file_text(file, "race:x\n", 7));
        chmod(file, 0);
        gosan(&o, NULL, "run", "--suppressions", file, "true", NULL);
        usage_error(&o, "cannot read it: Permission denied");
    }
    /* A malformed file is named with its line, before anything runs. */
    char *bad;
    ck_assert_int_gt(asprintf(&bad, "%s/bad.supp", dir), 0);
    ck_assert(write_file_text(bad, "# ok\nrace:x\nrace\n", 17));
    gosan(&o, NULL, "run", "--suppressions", bad, "true", NULL);
    char *want;
    ck_assert_int_gt(asprintf(&want, "gosan run: --suppressions %s:3: "
                              "'race' is not of the form type:pattern",
                              bad), 0);
    usage_error(&o, want);
    free(want);
    free(bad);
    /* GOSAN_OPTIONS cannot carry a ':' in a value. */
    ck_assert_int_gt(asprintf(&colon, "%s/a:b.supp", dir), 0);
    ck_assert(write_file_text(colon, "race:x\n", 7));
    gosan(&o, NULL, "run", "--suppressions", colon, "true", NULL);
    usage_error(&o, "may not contain ':'");
    remove_dir(dir);
    free(colon);
    free(file);
    free(dir);
}
END_TEST

START_TEST(test_cli_detector_missing)
{
    struct proc_out o;
    const char *env[] = { "GOSAN_DETECT_LIB=/no/such/libgosan-detect.so",
                          NULL };
    gosan(&o, env, "run", "true", NULL);
    usage_error(&o, "detector library GOSAN_DETECT_LIB=/no/such/"
                    "libgosan-detect.so: No such file or directory");
}
END_TEST

START_TEST(test_cli_bad_gosan_options)
{
    struct proc_out o;
    const char *env[] = { "GOSAN_OPTIONS=exitcode=42:frobnicate=1", NULL };
    gosan(&o, env, "run", "true", NULL);
    usage_error(&o, "gosan run: GOSAN_OPTIONS: unknown option 'frobnicate'");
    const char *env2[] = { "GOSAN_OPTIONS=exitcode=many", NULL };
    gosan(&o, env2, "run", "true", NULL);
    usage_error(&o, "bad value 'many' for option 'exitcode'");
}
END_TEST

START_TEST(test_cli_bad_outputs)
{
    char *dir = test_dir(), *same;
    ck_assert_int_gt(asprintf(&same, "%s/out", dir), 0);
    struct proc_out o;
    gosan(&o, NULL, "run", "--junit", "/no/such/dir/out.xml", "true", NULL);
    usage_error(&o, "--junit /no/such/dir/out.xml: cannot write in "
                    "/no/such/dir");
    gosan(&o, NULL, "run", "--json", dir, "true", NULL);
    usage_error(&o, "is a directory");
    gosan(&o, NULL, "run", "--json", same, "--junit", same, "true", NULL);
    usage_error(&o, "--junit and --json name the same file");
    gosan(&o, NULL, "run", "--sarif", same, "--junit", same, "true", NULL);
    usage_error(&o, "--junit and --sarif name the same file");
    gosan(&o, NULL, "run", "--sarif", "/no/such/dir/out.sarif", "true",
          NULL);
    usage_error(&o, "--sarif /no/such/dir/out.sarif: cannot write in "
                    "/no/such/dir");
    gosan(&o, NULL, "run", "--sarif", NULL);
    usage_error(&o, "--sarif");
    remove_dir(dir);
    free(same);
    free(dir);
}
END_TEST

TCase *tcase_launcher_cli(void)
{
    TCase *tc = tcase_create("cli");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_cli_help);
    tcase_add_test(tc, test_cli_version);
    tcase_add_test(tc, test_cli_help_options);
    tcase_add_test(tc, test_cli_no_command);
    tcase_add_test(tc, test_cli_bad_options);
    tcase_add_test(tc, test_cli_missing_program);
    tcase_add_loop_test(tc, test_cli_bad_timeout, 0,
                        (int)(sizeof bad_timeouts / sizeof bad_timeouts[0]));
    tcase_add_test(tc, test_cli_program_not_found);
    tcase_add_test(tc, test_cli_program_not_executable);
    tcase_add_test(tc, test_cli_suppressions);
    tcase_add_test(tc, test_cli_detector_missing);
    tcase_add_test(tc, test_cli_bad_gosan_options);
    tcase_add_test(tc, test_cli_bad_outputs);
    return tc;
}
