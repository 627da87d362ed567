/* SPDX-License-Identifier: MIT */
/*
 * This file renders a report as text, in the format of Go's race detector
 * (2-space function, 6-space file:line indentation; sections separated by
 * blank lines; the block between "==================" banners), followed
 * by a grep-able summary line in TSan's style:
 *
 *   ==================
 *   WARNING: DATA RACE
 *   Write at 0x7b0400000010 by goroutine 7:
 *     worker()
 *         /src/x.c:42 +0x1d
 *
 *   Previous read at 0x7b0400000010 by main goroutine:
 *     main()
 *         /src/x.c:60 +0x5a
 *
 *   Goroutine 7 (running) created at:
 *     main()
 *         /src/x.c:55 +0x44
 *   SUMMARY: gosan: data-race /src/x.c:42 in worker
 *   ==================
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "reports.h"

#define BANNER "=================="

struct out {
    char *buf;
    size_t cap, len;
};

static void put(struct out *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void put(struct out *o, const char *fmt, ...)
{
    if (o->len >= o->cap)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(o->buf + o->len, o->cap - o->len, fmt, ap);
    va_end(ap);
    if (n > 0)
        o->len += (size_t)n;
    if (o->len > o->cap)
        o->len = o->cap;
}

size_t rep_render_text(const struct rep_report *r, char *buf, size_t cap)
{
    struct out o = { buf, cap, 0 };
    put(&o, BANNER "\n%s\n", r->headline);
    if (r->message[0]) {
        put(&o, "%s", r->message);
        if (r->message[strlen(r->message) - 1] != '\n')
            put(&o, "\n");
    }
    const char *sum_func = NULL, *sum_file = NULL;
    int sum_line = 0;
    for (int i = 0; i < r->nstacks; i++) {
        const struct rep_stack *s = &r->stacks[i];
        if (i > 0 || r->message[0])
            put(&o, "\n");
        put(&o, "%s\n", s->title);
        const struct rep_frame *frames;
        struct rep_frame *owned;
        int user;
        int n = rep_stack_frames(r, s, &frames, &owned, &user);
        /* A section with no frames: its note, or (note "") just its title. */
        if (n == 0 && !(s->note && !s->note[0]))
            put(&o, "  %s\n", s->note ? s->note
                                      : "[failed to restore the stack]");
        for (int j = 0; j < n; j++) {
            put(&o, "  %s()\n      %s:%d +0x%lx\n", frames[j].function,
                rep_strip_path(frames[j].file), frames[j].line,
                (unsigned long)frames[j].fn_offset);
        }
        if (!sum_func && n > 0) {
            /* The first frame of the program itself (not the gosan call
             * it was in) names the finding (finding.c). */
            sum_func = strdup(frames[user].function);
            sum_file = strdup(rep_strip_path(frames[user].file));
            sum_line = frames[user].line;
        }
        free(owned);
    }
    if (r->trailer[0]) {
        put(&o, "\n%s", r->trailer);
        if (r->trailer[strlen(r->trailer) - 1] != '\n')
            put(&o, "\n");
    }
    if (sum_func)
        put(&o, "SUMMARY: gosan: %s %s:%d in %s\n", rep_kind_name(r->kind),
            sum_file, sum_line, sum_func);
    else
        put(&o, "SUMMARY: gosan: %s\n", rep_kind_name(r->kind));
    put(&o, BANNER "\n");
    free((void *)sum_func);
    free((void *)sum_file);
    return o.len;
}
