/* SPDX-License-Identifier: MIT */
/*
 * This file builds data race reports, in the format of Go's race detector:
 *
 *   WARNING: DATA RACE
 *   Write at 0x... by goroutine 7:          the access that saw the race
 *     <its stack: the shadow call stack plus the access pc>
 *
 *   Previous read at 0x... by goroutine 6:   the conflicting earlier one
 *     <its stack, replayed from the trace of the slot's owner>
 *
 *   Goroutine 7 (running) created at:        for each goroutine but main
 *     <creation stack>
 *
 *   Location is heap block of size 16 at 0x... allocated by goroutine 3:
 *     <allocation stack>                     (or a global, or a stack)
 *
 * A racing loop would find the same race again and again: a racy word is
 * reported once, and equal reports (same kind, same pair of code
 * locations) once per process (rep_emit).
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "detector_impl.h"

#define RACY_WORDS 65536

/* Words already reported racy: like TSan (suppress_equal_addresses), a
 * racy location is reported once, whichever pair of accesses finds it
 * next (counter++ racing would otherwise give a read and a write report
 * of the same bug). An open-addressing set; when full, nothing more is
 * remembered and equal reports are still caught by rep_emit. */
static uintptr_t racy_words[RACY_WORDS];
static struct det_spin racy_lock;

static bool already_seen(uintptr_t word)
{
    uintptr_t key = word | 1;
    size_t i = (size_t)((word >> 3) * 0x9e3779b97f4a7c15ull >> 48) &
               (RACY_WORDS - 1);
    bool seen = false;
    det_spin_lock(&racy_lock);
    for (size_t probes = 0; probes < 64; probes++) {
        uintptr_t v = racy_words[i];
        if (v == key) {
            seen = true;
            break;
        }
        if (v == 0) {
            racy_words[i] = key;
            break;
        }
        i = (i + 1) & (RACY_WORDS - 1);
    }
    det_spin_unlock(&racy_lock);
    return seen;
}

/* ---- which frames are the detector's ---------------------------------------- */

/* The detector's and the interposer's source directories (the DWARF line
 * tables name the paths __FILE__ had). */
static char detector_dir[1024], interpose_dir[1024];
static size_t detector_dir_len, interpose_dir_len;
static pthread_once_t dir_once = PTHREAD_ONCE_INIT;

static void dir_init(void)
{
    const char *self = __FILE__; /* .../detector/race.c */
    const char *slash = strrchr(self, '/');
    if (!slash || (size_t)(slash - self) + 16 >= sizeof detector_dir)
        return;
    detector_dir_len = (size_t)(slash - self) + 1;
    memcpy(detector_dir, self, detector_dir_len);
    size_t parent = detector_dir_len - 1;
    while (parent > 0 && self[parent - 1] != '/')
        parent--;
    memcpy(interpose_dir, self, parent);
    memcpy(interpose_dir + parent, "interpose/", 11);
    interpose_dir_len = parent + 10;
}

static bool own_file(const struct rep_frame *f)
{
    pthread_once(&dir_once, dir_init);
    return (detector_dir_len &&
            !strncmp(f->file, detector_dir, detector_dir_len)) ||
           (interpose_dir_len &&
            !strncmp(f->file, interpose_dir, interpose_dir_len));
}

static bool frame_internal(const struct rep_frame *f)
{
    if (own_file(f))
        return true;
    if (!strncmp(f->function, "det_", 4) || !strncmp(f->function, "ip_", 3))
        return true;
    const struct rep_stack_filter *rt = rt_stack_filter();
    return rt->internal(f);
}

static bool frame_api(const struct rep_frame *f)
{
    return rt_stack_filter()->api(f) || !strncmp(f->function, "pthread_", 8);
}

static bool frame_bottom(const struct rep_frame *f)
{
    /* Thread start-up: glibc's, the runtime's, the interposer's trampoline. */
    return rt_stack_filter()->bottom(f) || own_file(f);
}

const struct rep_stack_filter det_stack_filter = {
    .internal = frame_internal, .api = frame_api, .bottom = frame_bottom,
};

/* ---- pieces of a report --------------------------------------------------- */

static const char *access_kind(bool write, bool atomic, bool previous)
{
    if (previous)
        return atomic ? (write ? "Previous atomic write" : "Previous atomic read")
                      : (write ? "Previous write" : "Previous read");
    return atomic ? (write ? "Atomic write" : "Atomic read")
                  : (write ? "Write" : "Read");
}

/* add_creation adds "Goroutine N (state) created at:" for t. */
static void add_creation(struct rep_report *r, uint64_t goid,
                         uint32_t thread_id, struct det_thread *t,
                         bool finished)
{
    if (goid == 1 || (!goid && thread_id == 1))
        return; /* the main goroutine / thread was not created by anyone */
    if (!goid && !thread_id)
        return; /* whose it was is forgotten: nothing to say */
    const uintptr_t *pcs = NULL;
    int n = t ? det_depot_get(t->creation_stack, &pcs) : 0;
    struct rep_stack *s;
    if (goid)
        s = rep_report_stack(r, pcs, n, "Goroutine %llu (%s) created at:",
                             (unsigned long long)goid,
                             finished ? "finished" : "running");
    else
        s = rep_report_stack(r, pcs, n, "Thread T%u (%s) created at:",
                             thread_id - 1, finished ? "finished" : "running");
    if (s && !n)
        s->note = "[creation stack not known]";
}

/* Whose stack holds an address: any goroutine's (not only the one whose
 * access found the race), or an OS thread's. */
struct stack_owner {
    uintptr_t addr;
    uint64_t goid;
    uint32_t thread_id;
};

static void find_stack_owner(const struct rt_ginfo *info, void *arg)
{
    struct stack_owner *so = arg;
    if (so->addr >= info->stack_lo && so->addr < info->stack_hi)
        so->goid = info->id;
}

static void find_thread_stack(struct det_thread *t, void *arg)
{
    struct stack_owner *so = arg;
    if (!t->is_goroutine && so->addr >= t->stack_lo && so->addr < t->stack_hi)
        so->thread_id = t->thread_id;
}

static void add_location(struct rep_report *r, uintptr_t addr,
                         struct det_thread *t)
{
    struct det_heap_block b;
    if (det_heap_find(addr, &b)) {
        char who[64];
        det_thread_name(who, sizeof who, b.goid, b.thread_id);
        const uintptr_t *pcs;
        int n = det_depot_get(b.alloc_stack, &pcs);
        struct rep_stack *s = rep_report_stack(
            r, pcs, n, "Location is heap block of size %zu at %p allocated "
            "by %s:", b.size, (void *)b.addr, who);
        if (s && !n)
            s->note = "[allocation stack not known]";
        return;
    }
    struct rep_data d;
    if (rep_symbolize_data(addr, &d)) {
        rep_report_trailer(r, "Location is global '%s' of size %zu at %p "
                           "(%s+0x%lx)\n", d.name, d.size, (void *)d.start,
                           d.module, (unsigned long)(d.start - d.module_base));
        return;
    }
    (void)t;
    struct stack_owner so = { addr, 0, 0 };
    rt_goroutines_each(find_stack_owner, &so);
    if (!so.goid)
        det_threads_each(find_thread_stack, &so);
    if (so.goid || so.thread_id) {
        char who[64];
        det_thread_name(who, sizeof who, so.goid, so.thread_id);
        rep_report_trailer(r, "Location is the stack of %s\n", who);
    }
}

/* ---- the report -------------------------------------------------------------- */

void det_report_race(struct det_thread *t, uintptr_t addr, size_t size,
                     bool write, bool atomic, uintptr_t pc, uint64_t old_cell,
                     uintptr_t old_word)
{
    (void)size;
    if (already_seen(old_word))
        return;
    det_enter(t);

    struct rep_report *r = malloc(sizeof *r);
    if (!r) {
        det_leave(t);
        return;
    }
    rep_report_init(r, REP_DATA_RACE, "WARNING: DATA RACE");
    r->filter = &det_stack_filter;

    /* The access that found the race. */
    uintptr_t pcs[REP_MAX_FRAMES];
    int n = det_stack_of_thread(t, pc, pcs, REP_MAX_FRAMES);
    char who[64];
    det_thread_name(who, sizeof who, t->goid, t->thread_id);
    struct rep_stack *cur = rep_report_stack(r, pcs, n, "%s at %p by %s:",
                                             access_kind(write, atomic, false),
                                             (void *)addr, who);
    if (cur) {
        cur->goroutine = t->goid;
        cur->thread = t->thread_id;
        cur->first_exact = false;
    }

    /* The earlier access, replayed from its thread's trace. */
    uint64_t ogoid;
    uint32_t otid;
    bool ofinished;
    struct det_thread *o = det_slot_owner(CELL_SLOT(old_cell),
                                          CELL_EPOCH(old_cell), &ogoid, &otid,
                                          &ofinished);
    uintptr_t opcs[REP_MAX_FRAMES];
    uintptr_t oaddr = old_word;
    int on = 0;
    if (o)
        on = det_trace_find(o, CELL_SLOT(old_cell), CELL_EPOCH(old_cell),
                            old_word, CELL_MASK(old_cell), !CELL_READ(old_cell),
                            opcs, REP_MAX_FRAMES, &oaddr);
    char owho[64];
    det_thread_name(owho, sizeof owho, ogoid, otid);
    struct rep_stack *prev = rep_report_stack(
        r, opcs, on, "%s at %p by %s:",
        access_kind(!CELL_READ(old_cell), CELL_ATOMIC(old_cell), true),
        (void *)oaddr, owho);
    if (prev) {
        prev->goroutine = ogoid;
        prev->thread = otid;
        if (!on)
            prev->note = "[failed to restore the stack]";
    }

    /* Where the goroutines came from, and what the memory is. */
    add_creation(r, t->goid, t->thread_id, t, false);
    if (ogoid != t->goid || otid != t->thread_id)
        add_creation(r, ogoid, otid, o, ofinished);
    add_location(r, addr, t);

    /* One report per pair of source lines, in either order. */
    uint64_t a = rep_stack_key(pcs, n, false, r->filter);
    uint64_t b = rep_stack_key(opcs, on, false, r->filter);
    if (a > b) {
        uint64_t x = a;
        a = b;
        b = x;
    }
    r->dedupe_key = (a * 0x9e3779b97f4a7c15ull) ^ (b * 0xc2b2ae3d27d4eb4full) ^
                    REP_DATA_RACE;
    bool emitted = rep_emit(r);
    /* "Found N data race(s)" counts what was reported, as Go does. */
    if (emitted)
        atomic_fetch_add(&det_global.races, 1);
    rep_report_free(r);
    free(r);
    det_leave(t);
    if (emitted && rep_options()->halt_on_race) {
        fflush(NULL);
        _exit(rep_options()->exitcode);
    }
}
