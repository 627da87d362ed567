/* SPDX-License-Identifier: MIT */
/*
 * Tests of suppressions (reports/suppress.c): the parser (TSan's
 * TYPE:PATTERN syntax, comments, errors naming FILE:LINE), the matcher
 * (each type against the kinds it covers and the ones it does not;
 * function, file and module of any frame; race_top's top frame only;
 * anchors and globs), and end to end: `gosan run --suppressions` and
 * GOSAN_OPTIONS=suppressions over the racy program and over scenarios of
 * other kinds, checking the exit status (a suppressed report does not
 * make it 66), the count printed at exit, that nothing reaches the JSON,
 * JUnit and SARIF outputs, and that a malformed or unreadable file fails
 * with status 2 and names FILE:LINE.
 */
#define _GNU_SOURCE
#include <check.h>
#include <json-c/json.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "launcher_support.h"
#include "reports.h"

/* ---- the matcher -------------------------------------------------------------- */

static const struct {
    const char *pattern, *str;
    bool match;
} globs[] = {
    { "increment", "increment", true },
    { "incr", "increment", true },         /* anywhere, TSan's *...* */
    { "ment", "increment", true },
    { "^incr", "increment", true },
    { "^ment", "increment", false },       /* anchored at the start */
    { "ment$", "increment", true },
    { "incr$", "increment", false },       /* anchored at the end */
    { "^increment$", "increment", true },
    { "^increment$", "increments", false },
    { "in*ment", "increment", true },
    { "in?rement", "increment", true },
    { "in?crement", "increment", false },
    { "*/launcher/*.c", "/src/tests/launcher/racy.c", true },
    { "*/launcher/*.c", "/src/tests/launcher/racy.h", false },
    { "a*b*c", "aXXbYYc", true },
    { "a*b*c", "aXXcYYb", false },
    { "x", "", false },                    /* nothing matches nothing */
};

START_TEST(test_suppress_glob)
{
    ck_assert_msg(rep_glob_match(globs[_i].pattern, globs[_i].str) ==
                      globs[_i].match,
                  "'%s' against '%s': expected %s", globs[_i].pattern,
                  globs[_i].str, globs[_i].match ? "a match" : "no match");
}
END_TEST

static const struct rep_frame frames_api[] = {
    { .function = "go_mutex_unlock", .file = "/src/gosan/runtime/mutex.c",
      .line = 80, .module = "/usr/lib/libgosan.so" },
    { .function = "target_fn", .file = "/src/app/lib/target.c", .line = 12,
      .module = "/usr/lib/libtarget.so.1" },
    { .function = "main", .file = "/src/app/main.c", .line = 5,
      .module = "/usr/bin/app" },
};
static const struct rep_frame frames_other[] = {
    { .function = "other_fn", .file = "/src/app/other.c", .line = 3,
      .module = "/usr/bin/app" },
};

/* report makes a report of kind k whose second stack has the target
 * frames below an entry point of gosan's. */
static void report(struct rep_report *r, enum rep_kind k)
{
    rep_report_init(r, k, NULL);
    struct rep_stack *s = rep_report_stack(r, NULL, 0, "First:");
    s->frames = frames_other;
    s->nframes = 1;
    s = rep_report_stack(r, NULL, 0, "Second:");
    s->frames = frames_api;
    s->nframes = 3;
}

/* match parses text and says whether it matches a report of kind k. */
static bool match(const char *text, enum rep_kind k)
{
    struct rep_suppressions s;
    char err[512] = "";
    int rc = rep_suppressions_parse(&s, "t.supp", text, err, sizeof err);
    ck_assert_msg(rc == 0, "'%s' does not parse: %s", text, err);
    struct rep_report r;
    report(&r, k);
    bool hit = rep_suppressions_match(&s, &r) != NULL;
    rep_report_free(&r);
    rep_suppressions_free(&s);
    return hit;
}

/* Each type matches the kinds it names, and not the others. */
static const struct {
    const char *text;
    enum rep_kind kind;
    bool match;
} kinds[] = {
    { "race:target_fn", REP_DATA_RACE, true },
    { "race:target_fn", REP_DEADLOCK, false },
    { "race_top:other_fn", REP_DATA_RACE, true },
    { "race_top:target_fn", REP_DATA_RACE, false }, /* not a top frame */
    { "race_top:go_mutex_unlock", REP_DATA_RACE, true },
    { "thread:target_fn", REP_THREAD_LEAK, true },
    { "thread:target_fn", REP_DATA_RACE, false },
    { "mutex:target_fn", REP_UNLOCK_OF_UNLOCKED_MUTEX, true },
    { "mutex:target_fn", REP_RUNLOCK_OF_UNLOCKED_RWMUTEX, true },
    { "mutex:target_fn", REP_MUTEX_MISUSE, true },
    { "mutex:target_fn", REP_LOCK_ORDER_INVERSION, false },
    { "deadlock:target_fn", REP_DEADLOCK, true },
    { "deadlock:target_fn", REP_LOCK_ORDER_INVERSION, true },
    { "deadlock:target_fn", REP_GOROUTINE_LEAK, false },
    { "leak:target_fn", REP_GOROUTINE_LEAK, true },
    { "leak:target_fn", REP_THREAD_LEAK, false },
    { "chan:target_fn", REP_SEND_ON_CLOSED_CHANNEL, true },
    { "chan:target_fn", REP_CLOSE_OF_CLOSED_CHANNEL, true },
    { "chan:target_fn", REP_CLOSE_OF_NIL_CHANNEL, true },
    { "chan:target_fn", REP_NEGATIVE_WAITGROUP, false },
    { "sync:target_fn", REP_NEGATIVE_WAITGROUP, true },
    { "sync:target_fn", REP_UNLOCK_OF_UNLOCKED_MUTEX, true },
    { "sync:target_fn", REP_DATA_RACE, false },
    { "signal:target_fn", REP_DATA_RACE, false },  /* accepted, no kind */
    { "called_from_lib:libtarget.so", REP_DATA_RACE, true },
    { "called_from_lib:libtarget.so", REP_GOROUTINE_LEAK, true },
    { "called_from_lib:target_fn", REP_DATA_RACE, false }, /* modules only */
    { "called_from_lib:libnothere.so", REP_DATA_RACE, false },
    { "data-race:target_fn", REP_DATA_RACE, true },
    { "lock-order-inversion:target_fn", REP_LOCK_ORDER_INVERSION, true },
    { "lock-order-inversion:target_fn", REP_DEADLOCK, false },
    { "stack-overflow:target_fn", REP_STACK_OVERFLOW, true },
    /* The pattern against function, file and module of any frame. */
    { "race:lib/target.c", REP_DATA_RACE, true },
    { "race:*/app/lib/*.c", REP_DATA_RACE, true },
    { "race:^/src/app/lib/", REP_DATA_RACE, true },
    { "race:^lib/", REP_DATA_RACE, false },
    { "race:/usr/bin/app$", REP_DATA_RACE, true },
    { "race:main", REP_DATA_RACE, true },
    { "race:nothing_like_it", REP_DATA_RACE, false },
    /* A file of several lines: any one matching suppresses. */
    { "# known issues\n\nleak:x\n  race : target_fn  \n", REP_DATA_RACE,
      true },
    { "# known issues\nleak:target_fn\ndeadlock:target_fn\n", REP_DATA_RACE,
      false },
};

START_TEST(test_suppress_kinds)
{
    ck_assert_msg(match(kinds[_i].text, kinds[_i].kind) == kinds[_i].match,
                  "'%s' against a %s report: expected %s", kinds[_i].text,
                  rep_kind_name(kinds[_i].kind),
                  kinds[_i].match ? "a match" : "no match");
}
END_TEST

START_TEST(test_suppress_parse)
{
    struct rep_suppressions s;
    char err[512] = "";
    const char *text = "# a comment\n"
                       "\n"
                       "   # an indented comment\n"
                       "race:legacy_*\r\n"
                       "\tdeadlock:^third_party/\n"
                       "called_from_lib:libfoo.so";
    ck_assert_int_eq(rep_suppressions_parse(&s, "f.supp", text, err,
                                            sizeof err), 0);
    ck_assert_int_eq(s.n, 3);
    ck_assert_str_eq(s.v[0].type, "race");
    ck_assert_str_eq(s.v[0].pattern, "legacy_*");
    ck_assert_int_eq(s.v[0].line, 4);
    ck_assert_str_eq(s.v[1].type, "deadlock");
    ck_assert_str_eq(s.v[1].pattern, "^third_party/");
    ck_assert_int_eq(s.v[1].line, 5);
    ck_assert_str_eq(s.v[2].pattern, "libfoo.so");
    ck_assert_int_eq(s.v[2].line, 6);
    rep_suppressions_free(&s);
    /* An empty file (or only comments) suppresses nothing. */
    ck_assert_int_eq(rep_suppressions_parse(&s, "e.supp", "# x\n", err,
                                            sizeof err), 0);
    ck_assert_int_eq(s.n, 0);
    rep_suppressions_free(&s);
}
END_TEST

static const struct {
    const char *text, *err;
} bad[] = {
    { "race:x\nrace\n", "f.supp:2: 'race' is not of the form type:pattern" },
    { "# c\n\nbogus:x\n", "f.supp:3: unknown suppression type 'bogus'" },
    { "race:\n", "f.supp:1: empty pattern after 'race:'" },
    { "leak:  \n", "f.supp:1: empty pattern after 'leak:'" },
    { "Race:x\n", "f.supp:1: unknown suppression type 'Race'" },
};

START_TEST(test_suppress_parse_errors)
{
    struct rep_suppressions s;
    char err[512] = "";
    ck_assert_int_ne(rep_suppressions_parse(&s, "f.supp", bad[_i].text, err,
                                            sizeof err), 0);
    ck_assert_msg(!strncmp(err, bad[_i].err, strlen(bad[_i].err)),
                  "expected '%s...', got '%s'", bad[_i].err, err);
    rep_suppressions_free(&s);
}
END_TEST

/* ---- end to end -------------------------------------------------------------- */

#ifdef GOSAN_LAUNCHER_E2E

#define RACY GOSAN_PROG_DIR "/racy"
#define SCN(name) GOSAN_SCENARIO_DIR "/" name

/* struct srun is one run in a fresh directory D with D/s.supp holding a
 * test's suppressions, and every output file it left. */
struct srun {
    char *dir, *supp;
    char *junit, *json, *sarif; /* paths */
    struct proc_out o;
    char *xml, *jsonl, *sarif_text; /* contents, NULL if absent */
};

static void srun_setup(struct srun *r, const char *supp_text)
{
    memset(r, 0, sizeof *r);
    r->dir = test_dir();
    ck_assert_int_gt(asprintf(&r->supp, "%s/s.supp", r->dir), 0);
    ck_assert_int_gt(asprintf(&r->junit, "%s/out.xml", r->dir), 0);
    ck_assert_int_gt(asprintf(&r->json, "%s/out.jsonl", r->dir), 0);
    ck_assert_int_gt(asprintf(&r->sarif, "%s/out.sarif", r->dir), 0);
    if (supp_text)
        ck_assert(write_file_text(r->supp, supp_text, strlen(supp_text)));
}

/* gosan_run runs `gosan run --suppressions S --junit --json --sarif`,
 * then args (NULL-terminated: "--", the program and its arguments). */
static void gosan_run(struct srun *r, const char *supp_text,
                      const char *const *env, ...)
{
    srun_setup(r, supp_text);
    char *argv[40] = { GOSAN_LAUNCHER_PATH, "run", "--suppressions", r->supp,
                       "--junit", r->junit, "--json", r->json, "--sarif",
                       r->sarif };
    int n = 10;
    va_list ap;
    va_start(ap, env);
    for (char *a; n < 39 && (a = va_arg(ap, char *));)
        argv[n++] = a;
    va_end(ap);
    argv[n] = NULL;
    run_cmd(argv, env, NULL, 90, &r->o);
    r->xml = read_file_text(r->junit, NULL);
    r->jsonl = read_file_text(r->json, NULL);
    r->sarif_text = read_file_text(r->sarif, NULL);
}

static void srun_free(struct srun *r)
{
    proc_out_free(&r->o);
    remove_dir(r->dir);
    free(r->dir);
    free(r->supp);
    free(r->junit);
    free(r->json);
    free(r->sarif);
    free(r->xml);
    free(r->jsonl);
    free(r->sarif_text);
}

/* sarif_results counts the results of a SARIF log's run. */
static int sarif_results(const char *text)
{
    json_object *log = json_tokener_parse(text), *runs, *results;
    ck_assert_ptr_nonnull(log);
    ck_assert(json_object_object_get_ex(log, "runs", &runs));
    ck_assert(json_object_object_get_ex(json_object_array_get_idx(runs, 0),
                                        "results", &results));
    int n = (int)json_object_array_length(results);
    json_object_put(log);
    return n;
}

/* assert_suppressed: the run reported nothing, and says it hid n reports
 * with the suppression on line `line`. */
static void assert_suppressed(const struct srun *r, int n, const char *supp,
                              int line)
{
    char *count, *which;
    ck_assert_int_gt(asprintf(&count, "gosan: %d report%s suppressed (%s)\n",
                              n, n == 1 ? "" : "s", r->supp), 0);
    ck_assert_int_gt(asprintf(&which, " %s (line %d)\n", supp, line), 0);
    ck_assert_has(r->o.err, count);
    ck_assert_has(r->o.err, which);
    ck_assert_lacks(r->o.err, "SUMMARY: gosan:");
    ck_assert_lacks(r->o.err, "gosan run: 1 report");
    ck_assert_ptr_nonnull(r->jsonl);
    ck_assert_str_eq(r->jsonl, "");
    ck_assert_ptr_nonnull(r->xml);
    ck_assert_has(r->xml, "<testcase classname=\"gosan\" name=\"no reports\"");
    ck_assert_lacks(r->xml, "<failure");
    ck_assert_ptr_nonnull(r->sarif_text);
    ck_assert_int_eq(sarif_results(r->sarif_text), 0);
    free(count);
    free(which);
}

START_TEST(test_suppress_run_race)
{
    struct srun r;
    gosan_run(&r, "# the known race, ticket 1\n\nrace:increment\n", NULL,
              "--", RACY, NULL);
    ck_assert_exit(&r.o, 0); /* not 66: the only report was suppressed */
    ck_assert_has(r.o.out, "counter = 2");
    assert_suppressed(&r, 1, "race:increment", 3);
    srun_free(&r);
}
END_TEST

START_TEST(test_suppress_run_race_file_glob)
{
    struct srun r;
    gosan_run(&r, "race:*/launcher/racy.c\n", NULL, "--", RACY, NULL);
    ck_assert_exit(&r.o, 0);
    assert_suppressed(&r, 1, "race:*/launcher/racy.c", 1);
    srun_free(&r);
}
END_TEST

START_TEST(test_suppress_run_race_module)
{
    struct srun r;
    gosan_run(&r, "called_from_lib:/racy$\n", NULL, "--", RACY, NULL);
    ck_assert_exit(&r.o, 0);
    assert_suppressed(&r, 1, "called_from_lib:/racy$", 1);
    srun_free(&r);
}
END_TEST

START_TEST(test_suppress_run_no_match)
{
    struct srun r;
    /* The right function under the wrong type, and the wrong function. */
    gosan_run(&r, "deadlock:increment\nleak:increment\nrace:decrement\n",
              NULL, "--", RACY, NULL);
    ck_assert_exit(&r.o, 66);
    ck_assert_has(r.o.err, "WARNING: DATA RACE");
    ck_assert_lacks(r.o.err, "suppressed");
    ck_assert_has(r.jsonl, "\"kind\":\"data-race\"");
    ck_assert_has(r.xml, "failures=\"1\"");
    ck_assert_int_eq(sarif_results(r.sarif_text), 1);
    ck_assert_has(r.sarif_text, "\"ruleId\": \"data-race\"");
    srun_free(&r);
}
END_TEST

/* Other kinds, end to end: each scenario with a suppression of its kind
 * (exit status 0, the count printed) and with one of another kind
 * (reported as before). halt_on_error=0 lets misuse Go panics on return,
 * so that the process reaches its exit handlers. */
static const struct {
    const char *prog, *supp, *other, *options;
    int status; /* unsuppressed */
} scenarios[] = {
    { SCN("leak_blocked_read"), "leak:consumer", "race:consumer", NULL, 66 },
    { SCN("lockorder_go_mutex"), "deadlock:deposit", "mutex:deposit", NULL,
      66 },
    { SCN("pthread_thread_leak"), "thread:pthread_thread_leak.c",
      "leak:pthread_thread_leak.c", NULL, 66 },
    { SCN("misuse_unlock_of_unlocked"), "mutex:add_item", "chan:add_item",
      "GOSAN_OPTIONS=halt_on_error=0", 66 },
    { SCN("misuse_close_of_closed"), "chan:misuse_close_of_closed.c",
      "mutex:misuse_close_of_closed.c", "GOSAN_OPTIONS=halt_on_error=0",
      66 },
};

START_TEST(test_suppress_run_kinds)
{
    const char *env[] = { scenarios[_i].options, NULL };
    char *text;
    ck_assert_int_gt(asprintf(&text, "%s\n", scenarios[_i].supp), 0);
    struct srun r;
    gosan_run(&r, text, env, "--", scenarios[_i].prog, NULL);
    ck_assert_exit(&r.o, 0);
    assert_suppressed(&r, 1, scenarios[_i].supp, 1);
    srun_free(&r);
    free(text);
    ck_assert_int_gt(asprintf(&text, "%s\n", scenarios[_i].other), 0);
    gosan_run(&r, text, env, "--", scenarios[_i].prog, NULL);
    ck_assert_exit(&r.o, scenarios[_i].status);
    ck_assert_has(r.o.err, "SUMMARY: gosan:");
    ck_assert_lacks(r.o.err, "suppressed");
    ck_assert_has(r.xml, "<failure");
    srun_free(&r);
    free(text);
}
END_TEST

START_TEST(test_suppress_run_malformed)
{
    struct srun r;
    gosan_run(&r, "race:x\n# fine\nrace x\n", NULL, "--", RACY, NULL);
    ck_assert_exit(&r.o, 2);
    char *where;
    ck_assert_int_gt(asprintf(&where, "gosan run: --suppressions %s:3: "
                              "'race x' is not of the form type:pattern\n",
                              r.supp), 0);
    ck_assert_has(r.o.err, where);
    ck_assert_lacks(r.o.out, "counter"); /* the program never ran */
    free(where);
    srun_free(&r);
}
END_TEST

/* prog runs a program with the detector preloaded and GOSAN_OPTIONS
 * options, without the launcher. */
static void prog(struct proc_out *o, const char *path, const char *options)
{
    char *opt;
    ck_assert_int_gt(asprintf(&opt, "GOSAN_OPTIONS=%s", options), 0);
    const char *env[] = { "LD_PRELOAD=" GOSAN_DETECTOR_PATH, opt, NULL };
    char *argv[] = { (char *)path, NULL };
    run_cmd(argv, env, NULL, 60, o);
    free(opt);
}

START_TEST(test_suppress_env)
{
    struct srun r;
    srun_setup(&r, "race:^increment$\n");
    char *opt;
    ck_assert_int_gt(asprintf(&opt, "suppressions=%s", r.supp), 0);
    prog(&r.o, RACY, opt);
    ck_assert_exit(&r.o, 0);
    ck_assert_has(r.o.err, "gosan: 1 report suppressed (");
    ck_assert_has(r.o.err, "race:^increment$ (line 1)");
    ck_assert_lacks(r.o.err, "WARNING: DATA RACE");
    free(opt);
    srun_free(&r);
}
END_TEST

START_TEST(test_suppress_env_malformed)
{
    struct srun r;
    srun_setup(&r, "race:x\nraces:y\n");
    char *opt, *want;
    ck_assert_int_gt(asprintf(&opt, "suppressions=%s", r.supp), 0);
    prog(&r.o, RACY, opt);
    ck_assert_exit(&r.o, 2);
    ck_assert_int_gt(asprintf(&want, "gosan: suppressions %s:2: unknown "
                              "suppression type 'races'", r.supp), 0);
    ck_assert_has(r.o.err, want);
    ck_assert_lacks(r.o.out, "counter");
    proc_out_free(&r.o);
    free(opt);
    free(want);
    /* Unreadable: a missing file. */
    ck_assert_int_gt(asprintf(&opt, "suppressions=%s/none.supp", r.dir), 0);
    prog(&r.o, RACY, opt);
    ck_assert_exit(&r.o, 2);
    ck_assert_has(r.o.err, "none.supp: cannot read it: No such file");
    free(opt);
    srun_free(&r);
}
END_TEST

#endif /* GOSAN_LAUNCHER_E2E */

TCase *tcase_launcher_suppress(void)
{
    TCase *tc = tcase_create("suppress");
    tcase_set_timeout(tc, 300);
    tcase_add_loop_test(tc, test_suppress_glob, 0,
                        sizeof globs / sizeof globs[0]);
    tcase_add_loop_test(tc, test_suppress_kinds, 0,
                        sizeof kinds / sizeof kinds[0]);
    tcase_add_test(tc, test_suppress_parse);
    tcase_add_loop_test(tc, test_suppress_parse_errors, 0,
                        sizeof bad / sizeof bad[0]);
#ifdef GOSAN_LAUNCHER_E2E
    tcase_add_test(tc, test_suppress_run_race);
    tcase_add_test(tc, test_suppress_run_race_file_glob);
    tcase_add_test(tc, test_suppress_run_race_module);
    tcase_add_test(tc, test_suppress_run_no_match);
    tcase_add_loop_test(tc, test_suppress_run_kinds, 0,
                        sizeof scenarios / sizeof scenarios[0]);
    tcase_add_test(tc, test_suppress_run_malformed);
    tcase_add_test(tc, test_suppress_env);
    tcase_add_test(tc, test_suppress_env_malformed);
#endif
    return tc;
}
