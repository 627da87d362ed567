/* SPDX-License-Identifier: MIT */
/*
 * This file reads a report back from the JSON line json.c wrote for it,
 * with json-c, into a struct rep_report whose frames are pre-symbolized:
 * the launcher does so for the reports of every process of a run, and
 * exit_files.c for the reports a process keeps for junit_path and
 * sarif_path. The renderers then treat it like any other report.
 *
 * The report's strings point into the parsed json_object (the owner),
 * which lives until rep_report_json_free; frame arrays are malloc'ed per
 * stack. Fields a line lacks take their zero values, so lines written by
 * an older gosan (without user_frame or module) still read.
 */
#define _GNU_SOURCE
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "reports.h"

static const char *str_field(json_object *o, const char *key)
{
    json_object *v;
    if (!json_object_object_get_ex(o, key, &v) ||
        !json_object_is_type(v, json_type_string))
        return NULL;
    return json_object_get_string(v);
}

/* int_field reads a number, or a string holding one ("0x401a2b"). */
static int64_t int_field(json_object *o, const char *key)
{
    json_object *v;
    if (!json_object_object_get_ex(o, key, &v))
        return 0;
    if (json_object_is_type(v, json_type_string))
        return (int64_t)strtoull(json_object_get_string(v), NULL, 0);
    return json_object_get_int64(v);
}

static bool kind_of(const char *name, enum rep_kind *out)
{
    for (int k = 0; name && k < REP_KIND_COUNT; k++) {
        if (!strcmp(rep_kind_name((enum rep_kind)k), name)) {
            *out = (enum rep_kind)k;
            return true;
        }
    }
    return false;
}

/* frames_of converts a stack's "frames" array; strings point into it. */
static struct rep_frame *frames_of(json_object *arr, int *n)
{
    *n = 0;
    if (!arr || !json_object_is_type(arr, json_type_array))
        return NULL;
    size_t len = json_object_array_length(arr);
    if (len == 0 || len > 100000)
        return NULL;
    struct rep_frame *fr = calloc(len, sizeof *fr);
    for (size_t i = 0; fr && i < len; i++) {
        json_object *f = json_object_array_get_idx(arr, i);
        const char *fn = str_field(f, "function");
        const char *file = str_field(f, "file");
        json_object *inl;
        fr[i].function = fn ? fn : "??";
        fr[i].file = file ? file : "??";
        fr[i].line = (int)int_field(f, "line");
        fr[i].pc = (uintptr_t)int_field(f, "pc");
        fr[i].fn_offset = (uintptr_t)int_field(f, "offset");
        fr[i].inlined = json_object_object_get_ex(f, "inlined", &inl) &&
                        json_object_get_boolean(inl);
        fr[i].module = str_field(f, "module");
    }
    *n = fr ? (int)len : 0;
    return fr;
}

/* report_of fills r from a parsed line. Returns false if it is not a
 * report. */
static bool report_of(json_object *o, struct rep_report *r)
{
    enum rep_kind kind;
    if (!json_object_is_type(o, json_type_object) ||
        !kind_of(str_field(o, "kind"), &kind))
        return false;
    rep_report_init(r, kind, str_field(o, "headline"));
    r->test = str_field(o, "test");
    const char *msg = str_field(o, "message");
    const char *trailer = str_field(o, "trailer");
    snprintf(r->message, sizeof r->message, "%s", msg ? msg : "");
    snprintf(r->trailer, sizeof r->trailer, "%s", trailer ? trailer : "");
    json_object *stacks;
    if (!json_object_object_get_ex(o, "stacks", &stacks) ||
        !json_object_is_type(stacks, json_type_array))
        return true;
    size_t ns = json_object_array_length(stacks);
    for (size_t i = 0; i < ns; i++) {
        json_object *js = json_object_array_get_idx(stacks, i);
        const char *title = str_field(js, "title");
        /* The JSON title lost the colon the text ends it with. */
        struct rep_stack *s = rep_report_stack(r, NULL, 0, "%s:",
                                               title ? title : "Stack");
        if (!s)
            break;
        s->goroutine = (uint64_t)int_field(js, "goroutine");
        s->thread = (uint32_t)int_field(js, "thread");
        s->note = str_field(js, "note");
        json_object *frames = NULL;
        json_object_object_get_ex(js, "frames", &frames);
        s->frames = frames_of(frames, &s->nframes);
        int64_t user = int_field(js, "user_frame");
        s->user_frame = user > 0 && user < s->nframes ? (int)user : 0;
    }
    return true;
}

bool rep_report_from_json(const char *line, size_t len,
                          struct rep_report *r, void **owner)
{
    *owner = NULL;
    if (len > (size_t)INT32_MAX)
        return false;
    json_tokener *tok = json_tokener_new();
    if (!tok)
        return false;
    json_object *o = json_tokener_parse_ex(tok, line, (int)len);
    size_t end = json_tokener_get_parse_end(tok);
    /* One object and nothing after it but blanks. */
    bool complete = json_tokener_get_error(tok) == json_tokener_success &&
                    end <= len && strspn(line + end, " \t\r\n") >= len - end;
    json_tokener_free(tok);
    if (!o || !complete || !report_of(o, r)) {
        json_object_put(o);
        return false;
    }
    *owner = o;
    return true;
}

void rep_report_json_free(struct rep_report *r, void *owner)
{
    for (int i = 0; i < r->nstacks; i++)
        free((void *)r->stacks[i].frames);
    rep_report_free(r);
    json_object_put(owner);
}
