/* SPDX-License-Identifier: MIT */
/*
 * Tests of the SARIF renderer (reports/sarif.c) and of `gosan run
 * --sarif`: a golden file rendered from hand-built reports
 * (golden/sarif_race.sarif; GOSAN_UPDATE_GOLDEN=1 rewrites it, review the
 * diff), and the log read back with json-c to check what viewers rely on:
 * a rule per report kind with ruleIndex pointing at it, one result per
 * distinct finding located at its top user frame, every stack as a
 * threadFlow (outermost call first, the top user frame "essential"),
 * URIs relative to SRCROOT or absolute file: URIs, percent-encoded,
 * order-independent fingerprints, and the invocation's exit status or
 * signal. Schema validation is in launcher_consumers_test.c.
 */
#define _GNU_SOURCE
#include <check.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "launcher_support.h"
#include "reports.h"

/* 2024-05-01T12:00:00Z */
#define STAMP 1714564800

/* ---- hand-built reports --------------------------------------------------------- */

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
static const struct rep_frame frames_leak[] = {
    { .function = "poller", .file = "/elsewhere/poll.c", .line = 9 },
};

static void stack(struct rep_report *r, const char *title, uint64_t g,
                  const struct rep_frame *fr, int n, int user)
{
    struct rep_stack *s = rep_report_stack(r, NULL, 0, "%s", title);
    ck_assert_ptr_nonnull(s);
    s->goroutine = g;
    s->frames = fr;
    s->nframes = n;
    s->user_frame = user;
}

/* race: worker (under go_chan_send) against main; swapped, the same race
 * seen from main's side. */
static void race(struct rep_report *r, bool swapped)
{
    rep_report_init(r, REP_DATA_RACE, "WARNING: DATA RACE");
    if (swapped) {
        stack(r, "Read at 0x10 by main goroutine:", 1, frames_read, 1, 0);
        stack(r, "Previous write at 0x10 by goroutine 7:", 7, frames_write,
              3, 1);
    } else {
        stack(r, "Write at 0x10 by goroutine 7:", 7, frames_write, 3, 1);
        stack(r, "Previous read at 0x10 by main goroutine:", 1, frames_read,
              1, 0);
    }
    struct rep_stack *s = rep_report_stack(r, NULL, 0,
                                           "Goroutine 7 (running) created "
                                           "at:");
    s->note = "[failed to restore the stack]";
    rep_report_trailer(r, "Location is global 'counter' of size 4\n");
}

static void leak(struct rep_report *r)
{
    rep_report_init(r, REP_GOROUTINE_LEAK, "WARNING: GOROUTINE LEAK");
    r->test = "core:test_poll";
    snprintf(r->message, sizeof r->message, "goroutine 3 [chan receive]:");
    stack(r, "Goroutine 3:", 3, frames_leak, 1, 0);
}

static char *render(struct rep_report *reports, int n, bool exited,
                    int signal)
{
    struct rep_sarif_run run = {
        .tool_version = "0.1.0",
        .command = "./app --flag",
        .base_dir = "/src/app/",
        .start = STAMP,
        .end = STAMP + 2,
        .exited = exited,
        .exit_code = 66,
        .exit_signal = signal,
        .reports = reports,
        .nreports = n,
    };
    char *text = rep_render_sarif(&run);
    ck_assert_ptr_nonnull(text);
    return text;
}

/* ---- reading it back ------------------------------------------------------------- */

/* at follows a path of keys and array indices, "runs/0/results"; "~1"
 * in a key stands for '/' (as in a JSON pointer). */
static json_object *at(json_object *o, const char *path)
{
    char *copy = strdup(path), *save = NULL;
    for (char *k = strtok_r(copy, "/", &save); o && k;
         k = strtok_r(NULL, "/", &save)) {
        for (char *t; (t = strstr(k, "~1"));)
            memmove(t + 1, t + 2, strlen(t + 2) + 1), *t = '/';
        if (json_object_is_type(o, json_type_array))
            o = json_object_array_get_idx(o, (size_t)atoi(k));
        else if (!json_object_object_get_ex(o, k, &o))
            o = NULL;
    }
    free(copy);
    ck_assert_msg(o != NULL, "no %s", path);
    return o;
}

static const char *str_at(json_object *o, const char *path)
{
    return json_object_get_string(at(o, path));
}

static int len_at(json_object *o, const char *path)
{
    return (int)json_object_array_length(at(o, path));
}

static json_object *parse(const char *text)
{
    json_object *o = json_tokener_parse(text);
    ck_assert_msg(o != NULL, "not JSON:\n%s", text);
    return o;
}

/* ---- the renderer --------------------------------------------------------------- */

START_TEST(test_sarif_golden)
{
    struct rep_report r[3];
    race(&r[0], false);
    race(&r[1], true); /* the same finding: no second result */
    leak(&r[2]);
    char *text = render(r, 3, true, 0);
    char *path;
    ck_assert_int_gt(asprintf(&path, "%s/sarif_race.sarif",
                              GOSAN_GOLDEN_DIR), 0);
    if (getenv("GOSAN_UPDATE_GOLDEN")) {
        ck_assert(write_file_text(path, text, strlen(text)));
    } else {
        char *want = read_file_text(path, NULL);
        if (!want || strcmp(want, text))
            write_file_text("sarif_race.sarif.actual", text, strlen(text));
        ck_assert_msg(want && !strcmp(want, text), "the SARIF log differs "
                      "from %s (left in sarif_race.sarif.actual)", path);
        free(want);
    }
    free(path);
    free(text);
    for (int i = 0; i < 3; i++)
        rep_report_free(&r[i]);
}
END_TEST

START_TEST(test_sarif_structure)
{
    struct rep_report r[3];
    race(&r[0], false);
    race(&r[1], true);
    leak(&r[2]);
    char *text = render(r, 3, true, 0);
    json_object *log = parse(text);
    ck_assert_str_eq(str_at(log, "version"), "2.1.0");
    ck_assert_int_eq(len_at(log, "runs"), 1);
    json_object *run = at(log, "runs/0");
    ck_assert_str_eq(str_at(run, "tool/driver/name"), "gosan");
    /* A rule per kind, each result's ruleIndex pointing at its rule. */
    ck_assert_int_eq(len_at(run, "tool/driver/rules"), REP_KIND_COUNT);
    ck_assert_int_eq(len_at(run, "results"), 2);
    for (int i = 0; i < 2; i++) {
        json_object *res = json_object_array_get_idx(at(run, "results"),
                                                     (size_t)i);
        char *rule;
        ck_assert_int_gt(asprintf(&rule, "tool/driver/rules/%d/id",
                                  json_object_get_int(at(res, "ruleIndex"))),
                         0);
        ck_assert_str_eq(str_at(run, rule), str_at(res, "ruleId"));
        free(rule);
    }
    json_object *race_res = at(run, "results/0");
    ck_assert_str_eq(str_at(race_res, "ruleId"), "data-race");
    ck_assert_str_eq(str_at(race_res, "level"), "error");
    ck_assert_str_eq(str_at(at(run, "results/1"), "ruleId"),
                     "goroutine-leak");
    ck_assert_str_eq(str_at(at(run, "results/1"), "level"), "warning");
    ck_assert_str_eq(str_at(at(run, "results/1"), "properties/test"),
                     "core:test_poll");
    /* Located at the top user frame: worker, not gosan's go_chan_send. */
    json_object *loc = at(race_res, "locations/0");
    ck_assert_str_eq(str_at(loc, "physicalLocation/artifactLocation/uri"),
                     "worker.c");
    ck_assert_str_eq(str_at(loc, "physicalLocation/artifactLocation/"
                                 "uriBaseId"), "SRCROOT");
    ck_assert_int_eq(json_object_get_int(at(loc, "physicalLocation/region/"
                                                 "startLine")), 42);
    ck_assert_str_eq(str_at(loc, "logicalLocations/0/name"), "worker");
    ck_assert_str_eq(str_at(run, "originalUriBaseIds/SRCROOT/uri"),
                     "file:///src/app/");
    ck_assert_has(str_at(race_res, "message/text"), "WARNING: DATA RACE");
    ck_assert_has(str_at(race_res, "message/text"), "global 'counter'");
    /* Each stack a threadFlow, outermost call first. */
    json_object *flows = at(race_res, "codeFlows/0/threadFlows");
    ck_assert_int_eq((int)json_object_array_length(flows), 3);
    ck_assert_str_eq(str_at(flows, "0/message/text"),
                     "Write at 0x10 by goroutine 7");
    ck_assert_int_eq(len_at(flows, "0/locations"), 3);
    const char *order[] = { "run_jobs", "worker", "go_chan_send" };
    const char *importance[] = { "important", "essential", "unimportant" };
    for (int i = 0; i < 3; i++) {
        char *p;
        ck_assert_int_gt(asprintf(&p, "0/locations/%d", i), 0);
        json_object *tfl = at(flows, p);
        ck_assert_str_eq(str_at(tfl, "location/logicalLocations/0/name"),
                         order[i]);
        ck_assert_int_eq(json_object_get_int(at(tfl, "nestingLevel")), i);
        ck_assert_str_eq(str_at(tfl, "importance"), importance[i]);
        free(p);
    }
    ck_assert_str_eq(str_at(flows, "0/locations/2/location/physicalLocation/"
                                   "artifactLocation/uri"),
                     "file:///src/gosan/runtime/chan.c");
    ck_assert_str_eq(str_at(flows, "0/locations/2/module"),
                     "/usr/lib/libgosan.so");
    ck_assert_int_eq(json_object_get_int(at(flows, "0/properties/"
                                                   "goroutine")), 7);
    /* Percent-encoded; a stack without frames keeps its note. */
    ck_assert_str_eq(str_at(flows, "1/locations/0/location/physicalLocation/"
                                   "artifactLocation/uri"),
                     "dir%20with%20space/main.c");
    ck_assert_str_eq(str_at(flows, "2/locations/0/location/message/text"),
                     "[failed to restore the stack]");
    /* A file outside SRCROOT is an absolute URI. */
    ck_assert_str_eq(str_at(run, "results/1/locations/0/physicalLocation/"
                                 "artifactLocation/uri"),
                     "file:///elsewhere/poll.c");
    /* The invocation. */
    json_object *inv = at(run, "invocations/0");
    ck_assert_int_eq(json_object_get_int(at(inv, "exitCode")), 66);
    ck_assert_str_eq(str_at(inv, "commandLine"), "./app --flag");
    ck_assert_str_eq(str_at(inv, "startTimeUtc"), "2024-05-01T12:00:00Z");
    json_object_put(log);
    free(text);
    for (int i = 0; i < 3; i++)
        rep_report_free(&r[i]);
}
END_TEST

START_TEST(test_sarif_fingerprint)
{
    /* The same race from either side has one fingerprint; another
     * finding another. */
    struct rep_report r[3];
    race(&r[0], false);
    race(&r[1], true);
    leak(&r[2]);
    const char *fp[3];
    json_object *logs[3];
    char *texts[3];
    for (int i = 0; i < 3; i++) {
        texts[i] = render(&r[i], 1, true, 0);
        logs[i] = parse(texts[i]);
        fp[i] = str_at(logs[i], "runs/0/results/0/partialFingerprints/"
                                "gosanFinding~1v1");
    }
    ck_assert_str_eq(fp[0], fp[1]);
    ck_assert_str_ne(fp[0], fp[2]);
    for (int i = 0; i < 3; i++) {
        json_object_put(logs[i]);
        free(texts[i]);
        rep_report_free(&r[i]);
    }
}
END_TEST

START_TEST(test_sarif_signal_and_clean)
{
    char *text = render(NULL, 0, false, 9);
    json_object *log = parse(text);
    ck_assert_int_eq(len_at(log, "runs/0/results"), 0);
    json_object *inv = at(log, "runs/0/invocations/0");
    ck_assert_int_eq(json_object_get_int(at(inv, "exitSignalNumber")), 9);
    ck_assert_str_eq(str_at(inv, "exitSignalName"), "SIGKILL");
    ck_assert(!json_object_object_get_ex(inv, "exitCode", NULL));
    json_object_put(log);
    free(text);
}
END_TEST

/* ---- gosan run --sarif ---------------------------------------------------------- */

#ifdef GOSAN_LAUNCHER_E2E

/* sarif_run runs `gosan run --sarif D/out.sarif -- prog args` and
 * returns the parsed log. */
static json_object *sarif_run(int status, const char *prog, const char *a1,
                              const char *a2)
{
    char *dir = test_dir(), *file;
    ck_assert_int_gt(asprintf(&file, "%s/out.sarif", dir), 0);
    char *argv[] = { GOSAN_LAUNCHER_PATH, "run", "--sarif", file, "--",
                     (char *)prog, (char *)a1, (char *)a2, NULL };
    struct proc_out o;
    run_cmd(argv, NULL, NULL, 90, &o);
    ck_assert_exit(&o, status);
    char *text = read_file_text(file, NULL);
    ck_assert_msg(text != NULL, "no --sarif file:\n%s", o.err);
    json_object *log = parse(text);
    free(text);
    proc_out_free(&o);
    remove_dir(dir);
    free(file);
    free(dir);
    return log;
}

START_TEST(test_sarif_run_race)
{
    json_object *log = sarif_run(66, GOSAN_PROG_DIR "/racy", NULL, NULL);
    json_object *run = at(log, "runs/0");
    ck_assert_int_eq(len_at(run, "results"), 1);
    json_object *res = at(run, "results/0");
    ck_assert_str_eq(str_at(res, "ruleId"), "data-race");
    const char *uri = str_at(res, "locations/0/physicalLocation/"
                                  "artifactLocation/uri");
    ck_assert_msg(strlen(uri) > 21 &&
                      !strcmp(uri + strlen(uri) - 21, "tests/launcher/racy.c"),
                  "uri %s", uri);
    ck_assert_int_eq(json_object_get_int(at(res, "locations/0/"
                                                 "physicalLocation/region/"
                                                 "startLine")), 17);
    ck_assert_str_eq(str_at(res, "locations/0/logicalLocations/0/name"),
                     "increment");
    /* Both accesses and where each goroutine was created. */
    ck_assert_int_ge(len_at(res, "codeFlows/0/threadFlows"), 2);
    ck_assert_has(str_at(res, "codeFlows/0/threadFlows/0/message/text"),
                  " by goroutine ");
    ck_assert_int_eq(json_object_get_int(at(run, "invocations/0/exitCode")),
                     66);
    ck_assert_has(str_at(run, "invocations/0/commandLine"), "racy");
    json_object_put(log);
}
END_TEST

START_TEST(test_sarif_run_clean)
{
    json_object *log = sarif_run(0, GOSAN_PROG_DIR "/clean", NULL, NULL);
    ck_assert_int_eq(len_at(log, "runs/0/results"), 0);
    ck_assert_int_eq(json_object_get_int(at(log, "runs/0/invocations/0/"
                                                 "exitCode")), 0);
    json_object_put(log);
    log = sarif_run(128 + 9, GOSAN_PROG_DIR "/helper", "signal", "9");
    ck_assert_int_eq(json_object_get_int(at(log, "runs/0/invocations/0/"
                                                 "exitSignalNumber")), 9);
    json_object_put(log);
}
END_TEST

#endif /* GOSAN_LAUNCHER_E2E */

TCase *tcase_launcher_sarif(void)
{
    TCase *tc = tcase_create("sarif");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_sarif_golden);
    tcase_add_test(tc, test_sarif_structure);
    tcase_add_test(tc, test_sarif_fingerprint);
    tcase_add_test(tc, test_sarif_signal_and_clean);
#ifdef GOSAN_LAUNCHER_E2E
    tcase_add_test(tc, test_sarif_run_race);
    tcase_add_test(tc, test_sarif_run_clean);
#endif
    return tc;
}
