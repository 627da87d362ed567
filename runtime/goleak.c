/* SPDX-License-Identifier: MIT */
/*
 * This file implements goroutine leak checks (goleak's API, gosan/goleak.h)
 * and the description of a blocked goroutine that leak, deadlock and hang
 * reports share. It is part of libgosan and works with or without the
 * detector; with the detector, creation stacks and channel-creation stacks
 * are complete instead of one frame.
 *
 * goleak_verify works like goleak.VerifyNone: it looks for goroutines other
 * than the caller and the ignored ones; while there are some it retries,
 * sleeping 1 us, 2 us, ... up to 100 ms between attempts, 20 attempts in
 * all (goroutines that are finishing get the time to finish); then it
 * reports each leaked goroutine and returns how many there are. When there
 * are none the first attempt returns at once (a walk over the goroutine
 * table, no symbolization).
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <gosan/goleak.h>

#include "reports.h"
#include "runtime_impl.h"

#define MAX_RETRIES 20
#define MAX_SLEEP_NS (100 * 1000 * 1000)
#define MAX_REPORT_WAITS 300 /* 30 s more at most */

/* ---- describing a goroutine ------------------------------------------------ */

int rt__g_backtrace(struct rt_g *g, uintptr_t *pcs, int max);

static const char *chan_dir(int dir)
{
    return dir == GO_SEND ? "send" : "receive";
}

/* wait_object describes what a blocked goroutine waits on. */
static void wait_object(struct rep_report *r, const struct rt_ginfo *info)
{
    switch (info->wait_reason) {
    case RT_WAIT_CHAN_SEND:
    case RT_WAIT_CHAN_RECV: {
        go_chan *c = (go_chan *)info->wait_obj;
        uintptr_t pcs[REP_MAX_FRAMES];
        int n = 0;
        if (RT_HOOKS_ON() && rt__hooks->chan_stack)
            n = rt__hooks->chan_stack(c, pcs, REP_MAX_FRAMES);
        if (n == 0 && c->make_pc) {
            pcs[0] = c->make_pc;
            n = 1;
        }
        struct rep_stack *s = rep_report_stack(
            r, pcs, n, "Blocked on channel %p (element size %zu, len %zu, "
            "cap %zu, %s) made by goroutine %llu at:", (void *)c, c->elemsize,
            go_chan_len(c), c->dataqsiz,
            atomic_load(&c->closed) ? "closed" : "open",
            (unsigned long long)c->make_goid);
        if (s && !n)
            s->note = "[where it was made is not known]";
        break;
    }
    case RT_WAIT_SELECT: {
        const go_select_case *cases = info->wait_obj;
        const struct rt_g *g = info->g;
        size_t n = g->select_ncases;
        char line[256];
        int len = snprintf(line, sizeof line, "Blocked in select on");
        for (size_t i = 0; cases && i < n && i < 8 && len < (int)sizeof line;
             i++)
            len += snprintf(line + len, sizeof line - (size_t)len,
                            "%s channel %p (%s)", i ? "," : "",
                            (void *)cases[i].chan, chan_dir(cases[i].dir));
        struct rep_stack *s = rep_report_stack(r, NULL, 0, "%s", line);
        if (s)
            s->note = "";
        break;
    }
    case RT_WAIT_MUTEX:
    case RT_WAIT_RWMUTEX_LOCK:
    case RT_WAIT_RWMUTEX_RLOCK:
    case RT_WAIT_WAITGROUP:
    case RT_WAIT_COND:
    case RT_WAIT_SEMAPHORE: {
        struct rep_stack *s = rep_report_stack(
            r, NULL, 0, "Blocked on %s %p",
            rt_wait_reason_string(info->wait_reason), info->wait_obj);
        if (s)
            s->note = "";
        break;
    }
    case RT_WAIT_CHAN_SEND_NIL:
    case RT_WAIT_CHAN_RECV_NIL: {
        struct rep_stack *s = rep_report_stack(r, NULL, 0, "Blocked forever "
                                               "on the nil channel");
        if (s)
            s->note = "";
        break;
    }
    case RT_WAIT_NONE:
    case RT_WAIT_SELECT_NO_CASES:
    case RT_WAIT_SLEEP:
    case RT_WAIT_SEMACQUIRE:
    case RT_WAIT_FOREVER:
    case RT_WAIT_COUNT:
        break;
    }
}

static void creation(struct rep_report *r, const struct rt_ginfo *info)
{
    if (info->id == 1 || (info->flags & (RT_GF_MAIN | RT_GF_EXTERNAL)))
        return;
    uintptr_t pcs[REP_MAX_FRAMES];
    int n = 0;
    if (RT_HOOKS_ON() && rt__hooks->creation_stack)
        n = rt__hooks->creation_stack(info->g, pcs, REP_MAX_FRAMES);
    if (n == 0 && info->go_pc) {
        pcs[0] = info->go_pc;
        n = 1;
    }
    rep_report_stack(r, pcs, n, "goroutine %llu created by goroutine %llu "
                     "at:", (unsigned long long)info->id,
                     (unsigned long long)info->parent_id);
}

void rt_describe_goroutine(struct rep_report *r, const struct rt_ginfo *info)
{
    uintptr_t pcs[REP_MAX_FRAMES];
    int n = 0;
    char state[96];
    if (info->status == RT_G_WAITING) {
        int64_t waited = rt__coarse_nanotime() - info->wait_since;
        int64_t mins = waited / 60000000000;
        if (mins >= 1)
            snprintf(state, sizeof state, "%s, %lld minutes",
                     rt_wait_reason_string(info->wait_reason),
                     (long long)mins);
        else
            snprintf(state, sizeof state, "%s",
                     rt_wait_reason_string(info->wait_reason));
        if (info->saved_pc)
            n = rt__g_backtrace(info->g, pcs, REP_MAX_FRAMES);
    } else {
        snprintf(state, sizeof state, "%s", rt_gstatus_string(info->status));
    }
    struct rep_stack *s = rep_report_stack(r, pcs, n, "goroutine %llu [%s]:",
                                           (unsigned long long)info->id,
                                           state);
    if (s) {
        s->goroutine = info->id;
        if (!n)
            s->note = info->status == RT_G_WAITING
                          ? "[stack not available]"
                          : "[running: its stack is not available]";
    }
    if (info->status == RT_G_WAITING)
        wait_object(r, info);
    creation(r, info);
}

/* ---- ignores ------------------------------------------------------------------ */

struct name_list {
    char **names;
    size_t n, cap;
};

static struct {
    pthread_mutex_t lock;
    struct name_list top, any;
    uint64_t *ids;           /* goleak_ignore_current's snapshot, sorted */
    size_t nids, idcap;
} ignores = { .lock = PTHREAD_MUTEX_INITIALIZER };

static void list_add(struct name_list *l, const char *fn)
{
    if (!fn)
        return;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 8;
        char **a = realloc(l->names, cap * sizeof *a);
        if (!a)
            return;
        l->names = a;
        l->cap = cap;
    }
    char *copy = strdup(fn);
    if (copy)
        l->names[l->n++] = copy;
}

static void list_clear(struct name_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->names[i]);
    l->n = 0;
}

void goleak_ignore_top_function(const char *fn)
{
    pthread_mutex_lock(&ignores.lock);
    list_add(&ignores.top, fn);
    pthread_mutex_unlock(&ignores.lock);
}

void goleak_ignore_any_function(const char *fn)
{
    pthread_mutex_lock(&ignores.lock);
    list_add(&ignores.any, fn);
    pthread_mutex_unlock(&ignores.lock);
}

static void snapshot_visit(const struct rt_ginfo *info, void *arg)
{
    (void)arg;
    if (ignores.nids == ignores.idcap) {
        size_t cap = ignores.idcap ? ignores.idcap * 2 : 64;
        uint64_t *a = realloc(ignores.ids, cap * sizeof *a);
        if (!a)
            return;
        ignores.ids = a;
        ignores.idcap = cap;
    }
    ignores.ids[ignores.nids++] = info->id;
}

static int compare_ids(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

void goleak_ignore_current(void)
{
    rt__getg();
    pthread_mutex_lock(&ignores.lock);
    rt_goroutines_each(snapshot_visit, NULL);
    qsort(ignores.ids, ignores.nids, sizeof *ignores.ids, compare_ids);
    pthread_mutex_unlock(&ignores.lock);
}

void goleak_reset_ignores(void)
{
    pthread_mutex_lock(&ignores.lock);
    list_clear(&ignores.top);
    list_clear(&ignores.any);
    ignores.nids = 0;
    pthread_mutex_unlock(&ignores.lock);
}

/* ---- finding leaks --------------------------------------------------------------- */

struct scan {
    uint64_t self;
    bool need_stacks;        /* some ignore rule looks at functions */
    size_t leaked;
    struct rep_report *reports; /* NULL: only count */
    size_t nreports, cap;
};

static bool api_frame(const struct rep_frame *f)
{
    return !strncmp(f->function, "go_", 3) ||
           !strncmp(f->function, "goleak_", 7);
}

/* ignored_by_functions applies the top/any function rules to g's stack. */
static bool ignored_by_functions(const struct rt_ginfo *info)
{
    if (!info->saved_pc)
        return false;
    uintptr_t pcs[REP_MAX_FRAMES];
    int n = rt__g_backtrace(info->g, pcs, REP_MAX_FRAMES);
    struct rep_frame frames[REP_MAX_FRAMES * 2];
    int k = rep_symbolize_stack(pcs, n, false, rt_stack_filter(), frames,
                                REP_MAX_FRAMES * 2);
    /* The top function is the first of the program's own (not the gosan
     * call it is blocked in). */
    int top = 0;
    while (top < k && api_frame(&frames[top]))
        top++;
    for (size_t i = 0; i < ignores.top.n; i++)
        if (top < k && !strcmp(frames[top].function, ignores.top.names[i]))
            return true;
    for (size_t i = 0; i < ignores.any.n; i++)
        for (int j = 0; j < k; j++)
            if (!strcmp(frames[j].function, ignores.any.names[i]))
                return true;
    return false;
}

static bool ignored(const struct scan *s, const struct rt_ginfo *info)
{
    if (info->id == s->self)
        return true;
    if (ignores.nids &&
        bsearch(&info->id, ignores.ids, ignores.nids, sizeof *ignores.ids,
                compare_ids))
        return true;
    return s->need_stacks && ignored_by_functions(info);
}

static void leak_visit(const struct rt_ginfo *info, void *arg)
{
    struct scan *s = arg;
    if (ignored(s, info))
        return;
    s->leaked++;
    if (!s->reports)
        return;
    if (s->nreports == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 8;
        struct rep_report *a = realloc(s->reports, cap * sizeof *a);
        if (!a)
            return;
        s->reports = a;
        s->cap = cap;
    }
    struct rep_report *r = &s->reports[s->nreports++];
    if (info->status == RT_G_WAITING)
        info->g->leak_reported_since = info->wait_since;
    rep_report_init(r, REP_GOROUTINE_LEAK, "WARNING: GOROUTINE LEAK");
    r->filter = rt_stack_filter();
    rt_describe_goroutine(r, info);
    /* Each leaked goroutine is its own finding. */
    r->dedupe_key = info->id * 0x9e3779b97f4a7c15ull ^ REP_GOROUTINE_LEAK;
}

int goleak_verify(void)
{
    struct rt_g *self = rt__getg();
    struct scan s = { .self = self->id };
    pthread_mutex_lock(&ignores.lock);
    s.need_stacks = ignores.top.n || ignores.any.n;
    int64_t sleep_ns = 1000;
    /* A goroutine busy writing a report (an exit-holding-lock warning on
     * its way out, say) is not a leak yet: while one is being written,
     * the last attempt waits more, up to MAX_REPORT_WAITS more sleeps. */
    int report_waits = 0;
    for (int attempt = 0;; attempt++) {
        s.leaked = 0;
        rt_goroutines_each(leak_visit, &s);
        if (s.leaked && attempt == MAX_RETRIES - 1 && rep_emitting() &&
            report_waits < MAX_REPORT_WAITS) {
            report_waits++;
            attempt--;
        } else if (s.leaked == 0 || attempt == MAX_RETRIES - 1) {
            break;
        }
        pthread_mutex_unlock(&ignores.lock);
        go_sleep(sleep_ns);
        pthread_mutex_lock(&ignores.lock);
        sleep_ns = sleep_ns * 2 < MAX_SLEEP_NS ? sleep_ns * 2 : MAX_SLEEP_NS;
    }
    if (s.leaked == 0) {
        pthread_mutex_unlock(&ignores.lock);
        return 0;
    }
    /* Still there after the retries: describe each of them. */
    s.reports = malloc(8 * sizeof *s.reports);
    s.cap = s.reports ? 8 : 0;
    s.leaked = 0;
    rt_goroutines_each(leak_visit, &s);
    pthread_mutex_unlock(&ignores.lock);
    if (s.leaked)
        rep_printf("goleak: found %zu unexpected goroutine%s\n", s.leaked,
                   s.leaked == 1 ? "" : "s");
    for (size_t i = 0; i < s.nreports; i++) {
        rep_emit(&s.reports[i]);
        rep_report_free(&s.reports[i]);
    }
    free(s.reports);
    return (int)s.leaked;
}

/* ---- the global deadlock report ------------------------------------------------ */

static void deadlock_visit(const struct rt_ginfo *info, void *arg)
{
    rt_describe_goroutine(arg, info);
}

/* rt__report_deadlock reports every goroutine as one finding (Go's "all
 * goroutines are asleep"), the goroutines' stacks, what each waits on and
 * where it was created. */
void rt__report_deadlock(const char *headline)
{
    struct rep_report r;
    rep_report_init(&r, REP_DEADLOCK, headline);
    r.filter = rt_stack_filter();
    rt_goroutines_each(deadlock_visit, &r);
    r.dedupe_key = 0x0dead10c;
    rep_emit(&r);
    rep_report_free(&r);
}
