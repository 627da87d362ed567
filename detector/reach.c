/* SPDX-License-Identifier: MIT */
/*
 * This file finds goroutine leaks while the program runs — partial
 * deadlocks on channels — the way Go 1.26's GC-based goroutine leak
 * detection does: a goroutine blocked on channels that nothing able to run
 * can reach any more will never be woken, even while the rest of the
 * program goes on. Reachability is decided by a conservative mark phase
 * without a collector:
 *
 *   objects  the program's heap blocks, channels (header and buffer) and
 *            the runtime objects the program reaches channels through
 *            (contexts, errgroups, tickers: hooks.h object_new);
 *   edges    any aligned word that points into an object;
 *   roots    the stacks of goroutines that are not blocked on a channel
 *            (parked ones from their saved stack pointer), the argument of
 *            goroutines not started yet, the stacks and TLS of the
 *            program's OS threads, the writable data of every loaded object
 *            except gosan's own, and the arguments of pending timers;
 *   live     a goroutine blocked on a channel that got marked can be woken:
 *            its stack becomes a root too, until nothing changes.
 *
 * What is left is reported: goroutines blocked on channels (or a select)
 * none of which is marked, on a nil channel, or in a select with no cases.
 *
 * Conservative means a report is a certainty, up to two blind spots that
 * can only hide a pointer for a moment or that a program rarely uses: a
 * pointer held only in a register of a running goroutine (so a goroutine
 * is reported only when two scans at least a second apart agree, with it
 * still in the same wait), and memory the scan does not know (mmap'd by
 * the program, thread-local storage of the runtime's own threads).
 *
 * Scans run from the watchdog thread when goroutines have been blocked on
 * channels for two seconds, and back off (up to a minute) while they find
 * nothing; one more runs at exit, where whatever is blocked on an
 * unreachable channel has leaked. Memory is read with process_vm_readv(),
 * which fails cleanly where a racing free unmapped it.
 */
#define _GNU_SOURCE
#include <link.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "detector_impl.h"

#define BLOCKED_NS (2ll * 1000 * 1000 * 1000)
#define EXIT_BLOCKED_NS (100ll * 1000 * 1000)
#define MIN_BACKOFF_NS (1ll * 1000 * 1000 * 1000)
#define MAX_BACKOFF_NS (64ll * 1000 * 1000 * 1000)
#define MAX_CHANS 64
#define MAX_REPORTED 256
#define PAGE 4096ul
#define READ_CHUNK (64 * 1024ul)

void det_heap_each(void (*fn)(uintptr_t lo, size_t size, void *arg),
                   void *arg);

/* ---- the registry of channels and runtime objects -------------------------- */

#define STRIPES 256

struct registered {
    uintptr_t p;
    size_t size;              /* 0 for a channel: its extent varies */
    struct registered *next;
};

static struct {
    struct det_spin lock;
    struct registered *head;
} registry[STRIPES];

static struct det_spin spare_lock;
static struct registered *spare;

static size_t stripe_of(uintptr_t p)
{
    return (p >> 4) * 0x9e3779b97f4a7c15ull >> 56 & (STRIPES - 1);
}

void det_reach_register(const void *p, size_t size)
{
    det_spin_lock(&spare_lock);
    struct registered *r = spare;
    if (r)
        spare = r->next;
    det_spin_unlock(&spare_lock);
    if (!r && !(r = malloc(sizeof *r)))
        return;
    r->p = (uintptr_t)p;
    r->size = size;
    size_t i = stripe_of(r->p);
    det_spin_lock(&registry[i].lock);
    r->next = registry[i].head;
    registry[i].head = r;
    det_spin_unlock(&registry[i].lock);
}

void det_reach_forget(const void *p)
{
    size_t i = stripe_of((uintptr_t)p);
    det_spin_lock(&registry[i].lock);
    struct registered **pr = &registry[i].head;
    while (*pr && (*pr)->p != (uintptr_t)p)
        pr = &(*pr)->next;
    struct registered *r = *pr;
    if (r)
        *pr = r->next;
    det_spin_unlock(&registry[i].lock);
    if (!r)
        return;
    det_spin_lock(&spare_lock);
    r->next = spare;
    spare = r;
    det_spin_unlock(&spare_lock);
}

/* ---- the object table -------------------------------------------------------- */

struct object {
    uintptr_t lo, hi;
    bool marked;
};

struct candidate {
    uint64_t id;
    int64_t wait_since;
};

static struct {
    struct det_spin lock;        /* one scan at a time */
    struct object *objs;
    size_t nobjs, cap;
    struct candidate prev[MAX_REPORTED]; /* unreachable in the last scan */
    size_t nprev;
    int64_t next_scan;
    int64_t backoff;
    /* Code addresses in gosan's own objects (detector, runtime). */
    uintptr_t own_code[2];
    /* The main thread: its stack, and its static TLS blocks (which ld.so
     * allocated outside any stack). */
    uintptr_t main_stack_lo, main_stack_hi;
    struct {
        uintptr_t lo, hi;
    } main_tls[32];
    int nmain_tls;
    char buf[READ_CHUNK];        /* what process_vm_readv copied */
} reach = { .backoff = MIN_BACKOFF_NS };

static void add_object(uintptr_t lo, uintptr_t hi)
{
    if (reach.nobjs == reach.cap) {
        size_t cap = reach.cap ? reach.cap * 2 : 4096;
        struct object *a = realloc(reach.objs, cap * sizeof *a);
        if (!a)
            return;
        reach.objs = a;
        reach.cap = cap;
    }
    reach.objs[reach.nobjs++] = (struct object){ lo, hi, false };
}

static int compare_objects(const void *a, const void *b)
{
    const struct object *x = a, *y = b;
    return x->lo < y->lo ? -1 : x->lo > y->lo;
}

static struct object *find_object(uintptr_t p)
{
    size_t lo = 0, hi = reach.nobjs;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (reach.objs[mid].lo <= p)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0)
        return NULL;
    struct object *o = &reach.objs[lo - 1];
    return p < o->hi ? o : NULL;
}

static void heap_object(uintptr_t lo, size_t size, void *arg)
{
    (void)arg;
    add_object(lo, lo + size);
}

static void collect_objects(void)
{
    reach.nobjs = 0;
    det_heap_each(heap_object, NULL);
    for (size_t i = 0; i < STRIPES; i++) {
        det_spin_lock(&registry[i].lock);
        for (struct registered *r = registry[i].head; r; r = r->next) {
            if (r->size) {
                add_object(r->p, r->p + r->size);
            } else {
                uintptr_t lo, hi;
                bool timer;
                rt_chan_extent((go_chan *)r->p, &lo, &hi, &timer);
                /* A buffer allocated apart from the header is its own
                 * object, reached through the header. */
                if (lo == r->p) {
                    add_object(lo, hi);
                } else {
                    add_object(r->p, r->p + 1);
                    add_object(lo, hi);
                }
            }
        }
        det_spin_unlock(&registry[i].lock);
    }
    qsort(reach.objs, reach.nobjs, sizeof *reach.objs, compare_objects);
}

/* ---- marking ----------------------------------------------------------------- */

struct worklist {
    struct object **v;
    size_t n, cap;
    bool changed;
};

static void mark(struct worklist *w, struct object *o)
{
    if (!o || o->marked)
        return;
    o->marked = true;
    w->changed = true;
    if (w->n == w->cap) {
        size_t cap = w->cap ? w->cap * 2 : 1024;
        struct object **a = realloc(w->v, cap * sizeof *a);
        if (!a)
            return; /* marked, not scanned: fewer reports, never more */
        w->v = a;
        w->cap = cap;
    }
    w->v[w->n++] = o;
}

/* copy_in reads up to len bytes at addr; returns how many it could. */
static size_t copy_in(uintptr_t addr, size_t len)
{
    struct iovec local = { reach.buf, len };
    struct iovec remote = { (void *)addr, len };
    ssize_t n = process_vm_readv(getpid(), &local, 1, &remote, 1, 0);
    return n > 0 ? (size_t)n : 0;
}

/* scan_range marks every object a word of [lo, hi) points into, skipping
 * pages that are not mapped. */
static void scan_range(struct worklist *w, uintptr_t lo, uintptr_t hi)
{
    lo = (lo + 7) & ~(uintptr_t)7;
    while (lo + 8 <= hi) {
        size_t len = hi - lo < READ_CHUNK ? hi - lo : READ_CHUNK;
        size_t got = copy_in(lo, len);
        for (size_t off = 0; off + 8 <= got; off += 8) {
            uintptr_t v;
            memcpy(&v, reach.buf + off, 8);
            mark(w, find_object(v));
        }
        if (got == len) {
            lo += len;
        } else {
            /* The page after what was read is not mapped: skip it. */
            uintptr_t bad = (lo + got) & ~(PAGE - 1);
            lo = bad + PAGE;
        }
    }
}

static void drain(struct worklist *w)
{
    while (w->n > 0) {
        struct object *o = w->v[--w->n];
        scan_range(w, o->lo, o->hi);
    }
}

static bool contains(const struct dl_phdr_info *info, uintptr_t addr)
{
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        uintptr_t lo = info->dlpi_addr + ph->p_vaddr;
        if (ph->p_type == PT_LOAD && addr >= lo && addr < lo + ph->p_memsz)
            return true;
    }
    return false;
}

struct data_scan {
    struct worklist *w;
    bool main_done;     /* dl_iterate_phdr gives the program first */
};

static int data_cb(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)size;
    struct data_scan *d = arg;
    struct worklist *w = d->w;
    bool is_main = !d->main_done;
    d->main_done = true;
    /* gosan's own shared objects hold every channel in their tables; a
     * runtime linked statically into the program is not told apart (its
     * globals reach no channel through an object the scan follows). */
    if (!is_main && (contains(info, reach.own_code[0]) ||
                     contains(info, reach.own_code[1])))
        return 0;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_W))
            continue;
        uintptr_t lo = info->dlpi_addr + ph->p_vaddr;
        scan_range(w, lo, lo + ph->p_memsz);
    }
    return 0;
}

/* live_from: where the live part of a thread's stack begins — its stack
 * pointer when it is blocked in a call the interposer sees, else (it runs:
 * its sp is unknown) the whole stack. */
static uintptr_t live_from(struct det_thread *t, uintptr_t lo, uintptr_t hi)
{
    uintptr_t sp = t->blocked_sp;
    if (atomic_load(&t->parked) &&
        atomic_load(&t->blocked_reason) != RT_WAIT_NONE && sp >= lo && sp < hi)
        return sp;
    return lo;
}

struct thread_roots {
    struct worklist *w;
    pid_t main_tid;
    uintptr_t main_lo;   /* where the main thread's live stack begins */
};

static void thread_root(struct det_thread *t, void *arg)
{
    struct thread_roots *tr = arg;
    if (t->is_system || atomic_load(&t->finished))
        return;
    if (t->os_tid == tr->main_tid && !t->is_goroutine)
        tr->main_lo = live_from(t, reach.main_stack_lo, reach.main_stack_hi);
    if (t->is_goroutine || !t->stack_hi)
        return;
    scan_range(tr->w, live_from(t, t->stack_lo, t->stack_hi), t->stack_hi);
}

static void timer_root(void *timer_arg, void *arg)
{
    mark(arg, find_object((uintptr_t)timer_arg));
}

/* ---- goroutines ------------------------------------------------------------------- */

struct gsnap {
    uint64_t id;
    bool chan_blocked;   /* parked on channels: live only if one is marked */
    bool rooted;         /* its stack has been scanned */
    int64_t wait_since;
    uintptr_t scan_lo, scan_hi;
    void *start_arg;
    int nchans;          /* -1: too many to tell, assume live */
    go_chan *chans[MAX_CHANS];
};

struct gsnaps {
    struct gsnap *v;
    size_t n, cap;
};

static bool on_channel(enum rt_wait_reason r)
{
    switch (r) {
    case RT_WAIT_CHAN_SEND:
    case RT_WAIT_CHAN_RECV:
    case RT_WAIT_CHAN_SEND_NIL:
    case RT_WAIT_CHAN_RECV_NIL:
    case RT_WAIT_SELECT:
    case RT_WAIT_SELECT_NO_CASES:
        return true;
    default:
        return false;
    }
}

static void snap_visit(const struct rt_ginfo *info, void *arg)
{
    struct gsnaps *s = arg;
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 64;
        struct gsnap *a = realloc(s->v, cap * sizeof *a);
        if (!a)
            return;
        s->v = a;
        s->cap = cap;
    }
    struct gsnap *g = &s->v[s->n++];
    memset(g, 0, sizeof *g);
    g->id = info->id;
    bool off_cpu = info->live_sp >= info->stack_lo &&
                   info->live_sp < info->stack_hi;
    g->scan_lo = off_cpu ? info->live_sp : info->stack_lo;
    g->scan_hi = info->stack_hi;
    g->start_arg = info->start_arg;
    if (info->status != RT_G_WAITING || !on_channel(info->wait_reason))
        return;
    g->chan_blocked = true;
    g->wait_since = info->wait_since;
    switch (info->wait_reason) {
    case RT_WAIT_SELECT: {
        int n = rt_select_chans(info, g->chans, MAX_CHANS);
        g->nchans = n == MAX_CHANS ? -1 : n;
        break;
    }
    case RT_WAIT_CHAN_SEND:
    case RT_WAIT_CHAN_RECV:
        g->chans[0] = (go_chan *)info->wait_obj;
        g->nchans = g->chans[0] ? 1 : 0;
        break;
    default:
        g->nchans = 0; /* nil channel, empty select: nothing can wake it */
        break;
    }
}

static void root_goroutine(struct worklist *w, struct gsnap *g)
{
    g->rooted = true;
    scan_range(w, g->scan_lo, g->scan_hi);
    mark(w, find_object((uintptr_t)g->start_arg));
}

static bool can_be_woken(const struct gsnap *g)
{
    if (g->nchans < 0)
        return true;
    for (int k = 0; k < g->nchans; k++) {
        struct object *o = find_object((uintptr_t)g->chans[k]);
        if (!o || o->marked)
            return true; /* unknown to the registry: assume alive */
    }
    return false;
}

/* scan does one mark and returns the ids of goroutines blocked (for at
 * least min_ns) on channels nothing live reaches. */
static size_t scan(int64_t now, int64_t min_ns, struct gsnaps *s,
                   uint64_t *out, size_t max)
{
    collect_objects();
    struct worklist w = { NULL, 0, 0, false };
    for (size_t i = 0; i < s->n; i++)
        if (!s->v[i].chan_blocked)
            root_goroutine(&w, &s->v[i]);
    /* The main thread's stack, unless the runtime knows it as a goroutine
     * (the main goroutine runs on it: done above, from its saved sp). */
    struct thread_roots tr = { &w, getpid(), reach.main_stack_lo };
    det_threads_each(thread_root, &tr);
    bool main_is_goroutine = false;
    for (size_t i = 0; i < s->n; i++)
        if (s->v[i].scan_hi > reach.main_stack_lo &&
            s->v[i].scan_lo < reach.main_stack_hi)
            main_is_goroutine = true;
    if (reach.main_stack_hi && !main_is_goroutine)
        scan_range(&w, tr.main_lo, reach.main_stack_hi);
    for (int i = 0; i < reach.nmain_tls; i++)
        scan_range(&w, reach.main_tls[i].lo, reach.main_tls[i].hi);
    struct data_scan d = { &w, false };
    dl_iterate_phdr(data_cb, &d);
    rt_timers_each(timer_root, &w);
    do {
        drain(&w);
        w.changed = false;
        for (size_t i = 0; i < s->n; i++) {
            struct gsnap *g = &s->v[i];
            if (g->chan_blocked && !g->rooted && can_be_woken(g))
                root_goroutine(&w, g);
        }
    } while (w.changed);
    free(w.v);

    size_t n = 0;
    for (size_t i = 0; i < s->n && n < max; i++) {
        struct gsnap *g = &s->v[i];
        if (g->chan_blocked && !g->rooted && now - g->wait_since >= min_ns)
            out[n++] = g->id;
    }
    return n;
}

/* ---- reports ------------------------------------------------------------------- */

struct report_ids {
    const uint64_t *ids;
    size_t n;
    struct rep_report *r;
};

static void report_visit(const struct rt_ginfo *info, void *arg)
{
    struct report_ids *ri = arg;
    for (size_t i = 0; i < ri->n; i++)
        if (ri->ids[i] == info->id)
            rt_describe_goroutine(ri->r, info);
}

/* Goroutines goleak_verify reported already (the same finding, found by a
 * test's teardown) are left out. */
struct unreported {
    const uint64_t *ids;
    size_t n;
    uint64_t *out;
    size_t nout;
};

static void unreported_visit(const struct rt_ginfo *info, void *arg)
{
    struct unreported *u = arg;
    if (info->leak_reported)
        return;
    for (size_t i = 0; i < u->n; i++)
        if (u->ids[i] == info->id)
            u->out[u->nout++] = info->id;
}

static void report(const uint64_t *all_ids, size_t nall, bool at_exit)
{
    uint64_t *ids = malloc(nall * sizeof *ids);
    if (!ids)
        return;
    struct unreported u = { all_ids, nall, ids, 0 };
    rt_goroutines_each(unreported_visit, &u);
    size_t n = u.nout;
    if (n == 0) {
        free(ids);
        return;
    }
    struct rep_report r;
    rep_report_init(&r, REP_DEADLOCK,
                    at_exit ? "WARNING: DEADLOCK (partial, found at exit: "
                              "goroutines blocked forever on unreachable "
                              "channels)"
                            : "WARNING: DEADLOCK (partial: goroutines blocked "
                              "forever on unreachable channels)");
    r.filter = rt_stack_filter();
    rep_report_message(
        &r,
        "%zu goroutine%s can never be woken: no goroutine or thread that "
        "can run, no global, no pending timer and no memory they reach "
        "refers to the channel%s %s blocked on.\n",
        n, n == 1 ? "" : "s", n == 1 ? "" : "s", n == 1 ? "it is" : "they are");
    struct report_ids ri = { ids, n, &r };
    rt_goroutines_each(report_visit, &ri);
    uint64_t key = 0x1eac;
    for (size_t i = 0; i < n; i++)
        key ^= ids[i] * 0x9e3779b97f4a7c15ull;
    r.dedupe_key = key;
    rep_emit(&r);
    rep_report_free(&r);
    free(ids);
}

static int64_t monotonic_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* ---- when to scan ---------------------------------------------------------------- */

static bool was_candidate(const struct gsnap *g)
{
    for (size_t i = 0; i < reach.nprev; i++)
        if (reach.prev[i].id == g->id &&
            reach.prev[i].wait_since == g->wait_since)
            return true;
    return false;
}

static struct gsnap *find_snap(struct gsnaps *s, uint64_t id)
{
    for (size_t k = 0; k < s->n; k++)
        if (s->v[k].id == id)
            return &s->v[k];
    return NULL;
}

void det_reach_tick(void)
{
    if (!rep_options()->detect_goroutine_leaks)
        return;
    int64_t now = monotonic_ns();
    if (now < reach.next_scan)
        return;
    struct gsnaps s = { NULL, 0, 0 };
    rt_goroutines_each(snap_visit, &s);
    bool worth = false;
    for (size_t i = 0; i < s.n; i++)
        if (s.v[i].chan_blocked && now - s.v[i].wait_since >= BLOCKED_NS)
            worth = true;
    if (!worth) {
        free(s.v);
        reach.nprev = 0;
        reach.backoff = MIN_BACKOFF_NS;
        reach.next_scan = now + reach.backoff;
        return;
    }
    uint64_t ids[MAX_REPORTED], confirmed[MAX_REPORTED];
    size_t nconfirmed = 0;
    det_spin_lock(&reach.lock);
    size_t n = scan(now, BLOCKED_NS, &s, ids, MAX_REPORTED);
    /* Report those found twice in a row in the same wait; remember the
     * rest for the next scan. */
    size_t nprev = 0;
    struct candidate next[MAX_REPORTED];
    for (size_t i = 0; i < n; i++) {
        struct gsnap *g = find_snap(&s, ids[i]);
        if (was_candidate(g))
            confirmed[nconfirmed++] = ids[i];
        else
            next[nprev++] = (struct candidate){ g->id, g->wait_since };
    }
    memcpy(reach.prev, next, nprev * sizeof *next);
    reach.nprev = nprev;
    det_spin_unlock(&reach.lock);
    free(s.v);
    if (nconfirmed)
        report(confirmed, nconfirmed, false);
    if (nprev) {
        reach.next_scan = now + MIN_BACKOFF_NS;
    } else {
        reach.backoff = reach.backoff * 2 < MAX_BACKOFF_NS ? reach.backoff * 2
                                                           : MAX_BACKOFF_NS;
        reach.next_scan = now + reach.backoff;
    }
}

static void at_exit(void)
{
    if (!rep_options()->detect_goroutine_leaks)
        return;
    det_tls_internal++;
    struct gsnaps s = { NULL, 0, 0 };
    rt_goroutines_each(snap_visit, &s);
    bool any = false;
    for (size_t i = 0; i < s.n; i++)
        any |= s.v[i].chan_blocked;
    if (any) {
        uint64_t ids[MAX_REPORTED];
        det_spin_lock(&reach.lock);
        /* main has returned: below this frame, the main thread's stack
         * holds only what is dead. */
        uintptr_t sp = (uintptr_t)__builtin_frame_address(0);
        if (sp >= reach.main_stack_lo && sp < reach.main_stack_hi)
            reach.main_stack_lo = sp;
        for (size_t i = 0; i < s.n; i++)
            if (sp >= s.v[i].scan_lo && sp < s.v[i].scan_hi)
                s.v[i].scan_lo = sp;
        size_t n = scan(monotonic_ns(), EXIT_BLOCKED_NS, &s, ids,
                        MAX_REPORTED);
        det_spin_unlock(&reach.lock);
        if (n)
            report(ids, n, true);
    }
    free(s.v);
    det_tls_internal--;
}

/* ---- set-up ---------------------------------------------------------------------- */

static int main_tls_cb(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)size;
    (void)arg;
    if (!info->dlpi_tls_data || reach.nmain_tls == 32)
        return 0;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_TLS)
            continue;
        uintptr_t lo = (uintptr_t)info->dlpi_tls_data;
        reach.main_tls[reach.nmain_tls].lo = lo;
        reach.main_tls[reach.nmain_tls].hi = lo + ph->p_memsz;
        reach.nmain_tls++;
    }
    return 0;
}

/* det_reach_init runs on the main thread (the library constructor). */
void det_reach_init(void)
{
    reach.own_code[0] = (uintptr_t)det_reach_init;
    reach.own_code[1] = (uintptr_t)rep_options;
    dl_iterate_phdr(main_tls_cb, NULL);
    pthread_attr_t attr;
    if (pthread_getattr_np(pthread_self(), &attr) == 0) {
        void *lo;
        size_t size;
        if (pthread_attr_getstack(&attr, &lo, &size) == 0) {
            reach.main_stack_lo = (uintptr_t)lo;
            reach.main_stack_hi = (uintptr_t)lo + size;
        }
        pthread_attr_destroy(&attr);
    }
    atexit(at_exit);
}
