/* SPDX-License-Identifier: MIT */
/*
 * This file implements what the CI renderers (junit.c, sarif.c) and the
 * suppressions (suppress.c) need to know about a report beyond its text:
 * the frames of each stack, the "top user frame" that names the finding,
 * and when two reports are the same finding.
 *
 * The top user frame is the first frame of the program itself: a stack
 * starts, after the filter dropped gosan's insides, at the public entry
 * point the program called (go_chan_send, pthread_mutex_lock), which says
 * what was done but not where; the frame below it says where. text.c's
 * SUMMARY line, JSON's "summary", JUnit's testcase names and SARIF's
 * result locations all use it. A report read back from JSON has lost its
 * filter, so the JSON carries the index ("user_frame") per stack.
 *
 * Two reports are one finding when kind, test, headline and the top user
 * frames of their first two stacks agree, in either order: a race between
 * A and B is the race between B and A, and a parent and its forked child
 * may both report it.
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include "reports.h"

int rep_stack_frames(const struct rep_report *r, const struct rep_stack *s,
                     const struct rep_frame **frames,
                     struct rep_frame **owned, int *user)
{
    *frames = NULL;
    *owned = NULL;
    *user = 0;
    if (s->nframes > 0) {
        *frames = s->frames;
        if (s->user_frame > 0 && s->user_frame < s->nframes)
            *user = s->user_frame;
        return s->nframes;
    }
    if (s->npcs <= 0)
        return 0;
    enum { MAX = REP_MAX_FRAMES * 2 };
    struct rep_frame *fr = malloc(MAX * sizeof *fr);
    if (!fr)
        return 0;
    int n = rep_symbolize_stack(s->pcs, s->npcs, s->first_exact, r->filter,
                                fr, MAX);
    if (n <= 0) {
        free(fr);
        return 0;
    }
    /* Past the entry points, but never past the last frame. */
    int k = 0;
    while (k < n - 1 && r->filter && r->filter->api && r->filter->api(&fr[k]))
        k++;
    *frames = fr;
    *owned = fr;
    *user = k;
    return n;
}

const char *rep_headline(const struct rep_report *r)
{
    return r->headline && r->headline[0] ? r->headline
                                         : rep_kind_name(r->kind);
}

void rep_finding_of(const struct rep_report *r, struct rep_finding *f)
{
    memset(f, 0, sizeof *f);
    for (int i = 0; i < r->nstacks; i++) {
        const struct rep_frame *fr;
        struct rep_frame *owned;
        int user;
        int n = rep_stack_frames(r, &r->stacks[i], &fr, &owned, &user);
        char top[sizeof f->summary] = "";
        if (n > 0)
            snprintf(top, sizeof top, "%s:%d in %s",
                     rep_strip_path(fr[user].file), fr[user].line,
                     fr[user].function);
        if (i < 2)
            memcpy(f->top[i], top, sizeof top);
        /* As text.c: the first stack with frames names the finding. */
        if (n > 0 && !f->has_where) {
            memcpy(f->summary, top, sizeof top);
            f->where = fr[user];
            f->has_where = true;
        }
        free(owned);
        if (i >= 1 && f->has_where)
            break;
    }
    if (f->has_where)
        snprintf(f->name, sizeof f->name, "%s at %s", rep_headline(r),
                 f->summary);
    else
        snprintf(f->name, sizeof f->name, "%s", rep_headline(r));
    f->classname = r->test && r->test[0] ? r->test : rep_kind_name(r->kind);
}

bool rep_same_finding(const struct rep_report *a,
                      const struct rep_finding *fa,
                      const struct rep_report *b,
                      const struct rep_finding *fb)
{
    if (a->kind != b->kind || strcmp(rep_headline(a), rep_headline(b)))
        return false;
    if (strcmp(a->test ? a->test : "", b->test ? b->test : ""))
        return false;
    if (!strcmp(fa->top[0], fb->top[0]) && !strcmp(fa->top[1], fb->top[1]))
        return true;
    return !strcmp(fa->top[0], fb->top[1]) && !strcmp(fa->top[1], fb->top[0]);
}
