/* SPDX-License-Identifier: MIT */
/*
 * This file renders a report as one JSON object (a line of the JSON Lines
 * output), with json-c. The schema (docs/API.md has it in full):
 *
 *   {"kind": "data-race", "headline": "WARNING: DATA RACE", "pid": 1234,
 *    "test": "suite:case", "message": "...", "trailer": "...",
 *    "summary": "x.c:42 in worker",
 *    "stacks": [{"title": "Write at 0x... by goroutine 7", "goroutine": 7,
 *                "thread": 0, "note": "...", "user_frame": 0,
 *                "frames": [{"function": "worker", "file": "x.c",
 *                            "line": 42, "pc": "0x401a2b", "offset": 43,
 *                            "inlined": false,
 *                            "module": "/usr/bin/app"}]}]}
 *
 * message (text before the stacks), trailer (after them), test, note and
 * module appear only when set. user_frame is the index of the frame that
 * names the finding (finding.c): the first frame of the program itself,
 * after gosan's public entry points; summary is that frame of the first
 * stack with frames. json_parse.c reads these lines back.
 */
#define _GNU_SOURCE
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reports.h"

static json_object *frame_json(const struct rep_frame *f)
{
    json_object *o = json_object_new_object();
    char pc[32];
    snprintf(pc, sizeof pc, "0x%lx", (unsigned long)f->pc);
    json_object_object_add(o, "function", json_object_new_string(f->function));
    json_object_object_add(o, "file",
                           json_object_new_string(rep_strip_path(f->file)));
    json_object_object_add(o, "line", json_object_new_int(f->line));
    json_object_object_add(o, "pc", json_object_new_string(pc));
    json_object_object_add(o, "offset",
                           json_object_new_int64((int64_t)f->fn_offset));
    json_object_object_add(o, "inlined", json_object_new_boolean(f->inlined));
    if (f->module && f->module[0] && strcmp(f->module, "??"))
        json_object_object_add(o, "module", json_object_new_string(f->module));
    return o;
}

char *rep_render_json(const struct rep_report *r, int pid)
{
    json_object *root = json_object_new_object();
    json_object_object_add(root, "kind",
                           json_object_new_string(rep_kind_name(r->kind)));
    json_object_object_add(root, "headline",
                           json_object_new_string(r->headline));
    json_object_object_add(root, "pid", json_object_new_int(pid));
    if (r->test)
        json_object_object_add(root, "test", json_object_new_string(r->test));
    if (r->message[0])
        json_object_object_add(root, "message",
                               json_object_new_string(r->message));
    if (r->trailer[0])
        json_object_object_add(root, "trailer",
                               json_object_new_string(r->trailer));
    json_object *stacks = json_object_new_array();
    char summary[1024] = "";
    for (int i = 0; i < r->nstacks; i++) {
        const struct rep_stack *s = &r->stacks[i];
        json_object *js = json_object_new_object();
        /* The title without its trailing colon. */
        char title[sizeof s->title];
        snprintf(title, sizeof title, "%s", s->title);
        size_t tl = strlen(title);
        if (tl && title[tl - 1] == ':')
            title[tl - 1] = '\0';
        json_object_object_add(js, "title", json_object_new_string(title));
        json_object_object_add(js, "goroutine",
                               json_object_new_int64((int64_t)s->goroutine));
        json_object_object_add(js, "thread",
                               json_object_new_int64((int64_t)s->thread));
        if (s->note)
            json_object_object_add(js, "note", json_object_new_string(s->note));
        json_object *frames = json_object_new_array();
        const struct rep_frame *fr;
        struct rep_frame *owned;
        int user;
        int n = rep_stack_frames(r, s, &fr, &owned, &user);
        for (int j = 0; j < n; j++)
            json_object_array_add(frames, frame_json(&fr[j]));
        if (n > 0)
            json_object_object_add(js, "user_frame",
                                   json_object_new_int(user));
        if (!summary[0] && n > 0)
            snprintf(summary, sizeof summary, "%s:%d in %s",
                     rep_strip_path(fr[user].file), fr[user].line,
                     fr[user].function);
        free(owned);
        json_object_object_add(js, "frames", frames);
        json_object_array_add(stacks, js);
    }
    json_object_object_add(root, "summary", json_object_new_string(summary));
    json_object_object_add(root, "stacks", stacks);
    const char *text = json_object_to_json_string_ext(
        root, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
    size_t len = strlen(text);
    char *line = malloc(len + 2); /* room for the newline rep_emit adds */
    if (line)
        memcpy(line, text, len + 1);
    json_object_put(root);
    return line;
}
