/* SPDX-License-Identifier: MIT */
/*
 * This file implements goroutine introspection for reports: the registers
 * a parked goroutine's context switch saved (so that its stack can be
 * unwound while it stays parked), the walk over all goroutines, and the
 * Go-style goroutine dump of fatal errors:
 *
 *   goroutine 7 [chan receive, 2 minutes]:
 *   worker(...)
 *           /src/x.c:42 +0x1d
 *   created by main in goroutine 1
 *           /src/x.c:60 +0x5a
 *
 * A parked goroutine is held parked while it is inspected: the inspector
 * sets the RT_G_SCAN bit on its status with a CAS, and rt__ready waits for
 * the bit to clear (Go's _Gscan). Running and runnable goroutines are not
 * unwound: their stacks move under us.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "reports.h"
#include "runtime_impl.h"

static const char *const wait_reason_strings[RT_WAIT_COUNT] = {
    [RT_WAIT_NONE] = "",
    [RT_WAIT_CHAN_SEND] = "chan send",
    [RT_WAIT_CHAN_RECV] = "chan receive",
    [RT_WAIT_CHAN_SEND_NIL] = "chan send (nil chan)",
    [RT_WAIT_CHAN_RECV_NIL] = "chan receive (nil chan)",
    [RT_WAIT_SELECT] = "select",
    [RT_WAIT_SELECT_NO_CASES] = "select (no cases)",
    [RT_WAIT_SLEEP] = "sleep",
    [RT_WAIT_MUTEX] = "sync.Mutex.Lock",
    [RT_WAIT_RWMUTEX_RLOCK] = "sync.RWMutex.RLock",
    [RT_WAIT_RWMUTEX_LOCK] = "sync.RWMutex.Lock",
    [RT_WAIT_WAITGROUP] = "sync.WaitGroup.Wait",
    [RT_WAIT_COND] = "sync.Cond.Wait",
    [RT_WAIT_SEMACQUIRE] = "semacquire",
    [RT_WAIT_SEMAPHORE] = "semaphore.Weighted.Acquire",
    [RT_WAIT_FOREVER] = "forever",
};
_Static_assert(sizeof wait_reason_strings / sizeof wait_reason_strings[0] ==
                   RT_WAIT_COUNT,
               "a string for every wait reason");

const char *rt_wait_reason_string(enum rt_wait_reason r)
{
    if ((unsigned)r >= RT_WAIT_COUNT || !wait_reason_strings[r])
        return "?";
    return wait_reason_strings[r];
}

const char *rt__wait_reason_string(uint8_t reason)
{
    return rt_wait_reason_string((enum rt_wait_reason)reason);
}

const char *rt_gstatus_string(uint32_t status)
{
    switch ((enum rt_gstatus)(status & ~RT_G_SCAN)) {
    case RT_G_FREE: return "free";
    case RT_G_RUNNABLE: return "runnable";
    case RT_G_RUNNING: return "running";
    case RT_G_WAITING: return "waiting";
    case RT_G_SYSCALL: return "syscall";
    case RT_G_DEAD: return "dead";
    }
    return "?";
}

const char *rt__status_string(uint32_t status)
{
    return rt_gstatus_string(status);
}

/* saved_regs reads the frame rt__switch pushed (switch_<arch>.S). */
static void saved_regs(const struct rt_g *g, struct rep_regs *r)
{
    const uint64_t *f = g->ctx.sp;
    memset(r, 0, sizeof *r);
    if (!f)
        return;
#if defined(__x86_64__)
    r->callee[4] = f[1]; /* r15 */
    r->callee[3] = f[2]; /* r14 */
    r->callee[2] = f[3]; /* r13 */
    r->callee[1] = f[4]; /* r12 */
    r->callee[0] = f[5]; /* rbx */
    r->fp = f[6];
    r->pc = f[7];
    r->sp = (uintptr_t)(f + 8);
#elif defined(__aarch64__)
    for (int i = 0; i < 10; i++)
        r->callee[i] = f[i];
    r->fp = f[10];
    r->pc = f[11];
    r->sp = (uintptr_t)f + 176;
#endif
}

/* has_saved_context: a goroutine whose registers are on its stack. The
 * goroutine of a foreign thread and a never-run one have none. */
static bool has_saved_context(const struct rt_g *g, uint32_t status)
{
    if (g->flags & (RT_GF_EXTERNAL | RT_GF_G0))
        return false;
    return (status & ~RT_G_SCAN) == RT_G_WAITING;
}

static void fill_info(struct rt_g *g, uint32_t status, struct rt_ginfo *info)
{
    memset(info, 0, sizeof *info);
    info->g = g;
    info->id = g->id;
    info->status = status & ~RT_G_SCAN;
    info->flags = g->flags;
    if (info->status == RT_G_WAITING) {
        info->wait_reason = (enum rt_wait_reason)g->wait_reason;
        info->wait_obj = g->wait_obj;
        info->wait_since = g->wait_since;
        info->leak_reported = g->leak_reported_since == g->wait_since;
    }
    info->go_pc = g->go_pc;
    info->parent_id = g->parent_id;
    info->stack_lo = g->stack_lo;
    info->stack_hi = g->stack_hi;
    info->start_arg = g->arg;
    info->detector = g->detector;
    if (has_saved_context(g, status)) {
        struct rep_regs r;
        saved_regs(g, &r);
        info->saved_pc = r.pc;
        info->saved_sp = r.sp;
        info->saved_fp = r.fp;
        info->live_sp = r.sp;
    } else if ((g->flags & RT_GF_EXTERNAL) && info->status == RT_G_WAITING) {
        info->live_sp = g->ext_park_sp;
    }
}

/* rt__g_backtrace unwinds a parked goroutine held with the scan bit. */
int rt__g_backtrace(struct rt_g *g, uintptr_t *pcs, int max)
{
    struct rep_regs r;
    saved_regs(g, &r);
    if (!r.pc)
        return 0;
    return rep_backtrace_regs(&r, pcs, max);
}

/* hold_parked sets the scan bit if g is parked. Returns the status seen. */
static uint32_t hold_parked(struct rt_g *g, bool *held)
{
    *held = false;
    for (;;) {
        uint32_t s = atomic_load_explicit(&g->status, memory_order_acquire);
        if (s != RT_G_WAITING)
            return s;
        if (atomic_compare_exchange_weak(&g->status, &s, s | RT_G_SCAN)) {
            *held = true;
            return s;
        }
    }
}

static void release_parked(struct rt_g *g)
{
    atomic_fetch_and(&g->status, ~RT_G_SCAN);
}

static bool is_goroutine(const struct rt_g *g, uint32_t status)
{
    if (g->flags & RT_GF_G0)
        return false;
    if (status == RT_G_FREE || status == RT_G_DEAD)
        return false;
    /* A foreign thread's goroutine is listed only while it is the main
     * goroutine: other threads are not goroutines of the program. */
    if ((g->flags & RT_GF_EXTERNAL) && g != rt__sched.main_g)
        return false;
    return true;
}

void rt_goroutines_each(void (*visit)(const struct rt_ginfo *info, void *arg),
                        void *arg)
{
    if (!atomic_load_explicit(&rt__initialized, memory_order_acquire))
        return;
    size_t n = atomic_load_explicit(&rt__sched.nallg, memory_order_acquire);
    struct rt_g **all = rt__sched.allg;
    for (size_t i = 0; i < n; i++) {
        struct rt_g *g = all[i];
        bool held;
        uint32_t s = hold_parked(g, &held);
        if (is_goroutine(g, s)) {
            struct rt_ginfo info;
            fill_info(g, s, &info);
            visit(&info, arg);
        }
        if (held)
            release_parked(g);
    }
}

/* ---- the dump ------------------------------------------------------------ */

/* ---- which frames are the runtime's --------------------------------------- */

/* The runtime's and the reports' source directories, from __FILE__: the
 * DWARF line tables name the same paths. */
static char runtime_dir[1024], reports_dir[1024];
static size_t runtime_dir_len, reports_dir_len;

static void source_dirs_init(void)
{
    const char *self = __FILE__; /* .../runtime/traceback.c */
    const char *slash = strrchr(self, '/');
    if (!slash)
        return;
    size_t len = (size_t)(slash - self) + 1;
    if (len >= sizeof runtime_dir - 16)
        return;
    memcpy(runtime_dir, self, len);
    runtime_dir_len = len;
    /* .../runtime/ -> .../reports/ */
    size_t parent = len - 1;
    while (parent > 0 && self[parent - 1] != '/')
        parent--;
    memcpy(reports_dir, self, parent);
    memcpy(reports_dir + parent, "reports/", 9);
    reports_dir_len = parent + 8;
}

static bool frame_internal(const struct rep_frame *f)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, source_dirs_init);
    if (!strncmp(f->function, "rt__", 4))
        return true;
    return (runtime_dir_len &&
            !strncmp(f->file, runtime_dir, runtime_dir_len)) ||
           (reports_dir_len && !strncmp(f->file, reports_dir, reports_dir_len));
}

static bool frame_api(const struct rep_frame *f)
{
    return !strncmp(f->function, "go_", 3) ||
           !strncmp(f->function, "goleak_", 7);
}

static bool frame_bottom(const struct rep_frame *f)
{
    static const char *const names[] = {
        "rt__goroutine_main", "rt__goroutine_trampoline",
        "__libc_start_call_main", "__libc_start_main", "_start",
        "start_thread", "clone", "clone3", "__clone", "__clone3",
        "__libc_start_main_impl", NULL,
    };
    for (const char *const *n = names; *n; n++)
        if (!strncmp(f->function, *n, strlen(*n)) &&
            (f->function[strlen(*n)] == '\0' || f->function[strlen(*n)] == '@'))
            return true;
    return false;
}

static const struct rep_stack_filter stack_filter = {
    .internal = frame_internal, .api = frame_api, .bottom = frame_bottom,
};

const struct rep_stack_filter *rt_stack_filter(void)
{
    return &stack_filter;
}

static void print_created_by(const struct rt_g *g)
{
    if (!g->go_pc || (g->flags & (RT_GF_MAIN | RT_GF_EXTERNAL)))
        return;
    struct rep_frame f[8];
    rep_symbolize(g->go_pc, false, f, 8);
    rep_printf("created by %s in goroutine %llu\n\t%s:%d +0x%lx\n",
               f[0].function, (unsigned long long)g->parent_id,
               rep_strip_path(f[0].file), f[0].line,
               (unsigned long)f[0].fn_offset);
}

static void print_goroutine(struct rt_g *g, uint32_t status, bool current)
{
    uint32_t s = status & ~RT_G_SCAN;
    if (current) {
        rep_printf("goroutine %llu [running]:\n", (unsigned long long)g->id);
        uintptr_t pcs[REP_MAX_FRAMES];
        int n = rep_backtrace(pcs, REP_MAX_FRAMES, 0);
        rep_print_stack(pcs, n, false, &stack_filter);
    } else if (s == RT_G_WAITING) {
        int64_t mins = (rt__coarse_nanotime() - g->wait_since) / 60000000000;
        if (mins >= 1)
            rep_printf("goroutine %llu [%s, %lld minutes]:\n",
                       (unsigned long long)g->id,
                       rt__wait_reason_string(g->wait_reason),
                       (long long)mins);
        else
            rep_printf("goroutine %llu [%s]:\n", (unsigned long long)g->id,
                       rt__wait_reason_string(g->wait_reason));
        if (has_saved_context(g, status)) {
            uintptr_t pcs[REP_MAX_FRAMES];
            int n = rt__g_backtrace(g, pcs, REP_MAX_FRAMES);
            rep_print_stack(pcs, n, false, &stack_filter);
        }
    } else {
        rep_printf("goroutine %llu [%s]:\n", (unsigned long long)g->id,
                   rt_gstatus_string(s));
    }
    print_created_by(g);
    rep_printf("\n");
}

/* rt__dump_goroutines prints every goroutine, the calling one first. */
void rt__dump_goroutines(void)
{
    struct rt_g *self = rt_current_g();
    if (self && !(self->flags & RT_GF_G0))
        print_goroutine(self, RT_G_RUNNING, true);
    size_t n = atomic_load_explicit(&rt__sched.nallg, memory_order_acquire);
    struct rt_g **all = rt__sched.allg;
    for (size_t i = 0; i < n; i++) {
        struct rt_g *g = all[i];
        if (g == self)
            continue;
        bool held;
        uint32_t s = hold_parked(g, &held);
        if (is_goroutine(g, s))
            print_goroutine(g, s, false);
        if (held)
            release_parked(g);
    }
}

/* rt__print_current_goroutine prints the calling goroutine's stack (for
 * panics). */
void rt__print_current_goroutine(void)
{
    struct rt_g *self = rt_current_g();
    if (self)
        print_goroutine(self, RT_G_RUNNING, true);
}
