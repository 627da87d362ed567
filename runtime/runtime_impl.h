/* SPDX-License-Identifier: MIT */
/*
 * runtime_impl.h is shared by the files of the runtime and by nothing else.
 *
 * Vocabulary (Go's, defined once here):
 *   G  a goroutine: its saved registers, stack and wait state (struct rt_g).
 *   M  an OS thread that runs goroutines (struct rt_m). Each M has a g0: a
 *      pseudo-goroutine whose stack is the thread's own stack (for the main
 *      thread, a separately mapped one). The scheduler runs on g0.
 *   P  a processor: the right to run Go code, with a local run queue. There
 *      are GOMAXPROCS Ps. An M must hold a P to run goroutines; an M in a
 *      system call gives its P back so that another M can use it.
 *
 * Blocking substrate: rt_park() and rt_ready(). Every primitive that waits
 * (channels, select, timers, semaphores and everything built on them) is
 * built on these two; none touches a run queue itself.
 */
#ifndef GOSAN_RUNTIME_IMPL_H
#define GOSAN_RUNTIME_IMPL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <pthread.h>
#include <sys/types.h>

#include <gosan/chan.h>
#include <gosan/go.h>
#include <gosan/select.h>

#include "hooks.h"
#include "runtime.h"

/* Everything declared below is internal to libgosan: hidden, so that the
 * compiler reaches it directly instead of through the GOT and PLT. */
#pragma GCC visibility push(hidden)

/* The active hook table (hooks.c); see hooks.h for the contract. */
extern bool rt__hooks_on;
extern const struct rt_hooks *rt__hooks;

#define RT_HOOK(name, ...)                                        \
    do {                                                          \
        if (__builtin_expect(rt__hooks_on, 0) && rt__hooks->name) \
            rt__hooks->name(__VA_ARGS__);                         \
    } while (0)

#define RT_HOOKS_ON() __builtin_expect(rt__hooks_on, 0)

/* Zeroed memory the program reaches channels through (hooks.h,
 * object_new): contexts, errgroups, tickers. */
void *rt__object_alloc(size_t size);
void rt__object_free(void *p);

#define rt_likely(x) __builtin_expect(!!(x), 1)
#define rt_unlikely(x) __builtin_expect(!!(x), 0)

#define RT_CACHE_LINE 64
#define RT_NOINLINE __attribute__((noinline))
#define RT_NORETURN __attribute__((noreturn))

/* ---- failures ----------------------------------------------------------
 * RT_THROW and RT_CHECK are for broken internal invariants: always compiled
 * in, they print file:line and abort. User misuse goes through rt__misuse
 * (a report, then Go's panic policy); environment failures are returned. */
RT_NORETURN void rt__throw(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
#define RT_THROW(...) rt__throw(__FILE__, __LINE__, __VA_ARGS__)
#define RT_CHECK(x)                                          \
    do {                                                     \
        if (rt_unlikely(!(x)))                               \
            rt__throw(__FILE__, __LINE__, "check failed: %s", #x); \
    } while (0)
#define RT_CHECK_EQ(a, b)                                                   \
    do {                                                                    \
        long long rt_a_ = (long long)(a), rt_b_ = (long long)(b);           \
        if (rt_unlikely(rt_a_ != rt_b_))                                    \
            rt__throw(__FILE__, __LINE__, "check failed: %s == %s (%lld vs " \
                      "%lld)", #a, #b, rt_a_, rt_b_);                       \
    } while (0)

/* rt__fatal prints "fatal error: <msg>" and the goroutines, then exits 2,
 * like Go's fatal errors (deadlock, stack overflow). */
RT_NORETURN void rt__fatal(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));
/* rt__throw_user reports a misuse of the API that has no report kind of
 * its own (bad arguments) the way Go panics: the message, the goroutine,
 * exit status 2. */
RT_NORETURN void rt__throw_user(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

/* ---- tracing ------------------------------------------------------------ */
#ifdef RT_TRACE_ENABLED
void rt__trace(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
#define RT_TRACE(...) rt__trace(__VA_ARGS__)
#else
#define RT_TRACE(...) ((void)0)
#endif

/* ---- futex, locks and notes -------------------------------------------- */

/* struct rt_lock is the runtime's internal mutex (Go's runtime.mutex): a
 * futex word that spins briefly and then sleeps. Critical sections under it
 * are short and never park a goroutine. 0 free, 1 held, 2 held + sleepers. */
struct rt_lock {
    _Atomic uint32_t key;
};

void rt__lock(struct rt_lock *l);
void rt__unlock(struct rt_lock *l);
bool rt__trylock(struct rt_lock *l);

/* struct rt_note is a one-shot event for an OS thread (Go's note): one
 * thread sleeps on it, another wakes it; noteclear re-arms it. */
struct rt_note {
    _Atomic uint32_t key;
};

void rt__note_clear(struct rt_note *n);
void rt__note_wakeup(struct rt_note *n);
void rt__note_sleep(struct rt_note *n);
/* rt__note_tsleep sleeps until woken or ns passed; returns true if woken. */
bool rt__note_tsleep(struct rt_note *n, int64_t ns);

int rt__futex_wait(_Atomic uint32_t *addr, uint32_t val, int64_t ns);
void rt__futex_wake(_Atomic uint32_t *addr, int n);

static inline void rt__cpu_relax(void)
{
#if defined(__x86_64__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ volatile("yield" ::: "memory");
#endif
}

/* ---- context switch ------------------------------------------------------
 * A goroutine's registers are pushed on its own stack by rt__switch; the
 * context holds only the stack pointer. See switch_<arch>.S. */
struct rt_context {
    void *sp;
};

void rt__switch(struct rt_context *from, struct rt_context *to);
/* rt__context_make prepares ctx so that the first switch to it calls
 * rt__goroutine_main(arg) on the stack that ends at top. */
void rt__context_make(struct rt_context *ctx, void *top, void *arg);
RT_NORETURN void rt__goroutine_main(void *g);

/* ---- time ---------------------------------------------------------------- */
int64_t rt__nanotime(void);       /* CLOCK_MONOTONIC, ns */
int64_t rt__coarse_nanotime(void); /* CLOCK_MONOTONIC_COARSE: cheap, ~4 ms */

/* ---- libc's own copies ------------------------------------------------------
 * The runtime copies channel elements with libc's memcpy looked up in libc
 * itself, so that a preloaded detector's memcpy (which records the
 * program's accesses) does not see the runtime's internal copies: those are
 * ordered by the channel lock, which the detector does not model. */
extern void *(*rt__libc_memcpy)(void *, const void *, size_t);
extern void *(*rt__libc_memset)(void *, int, size_t);
void rt__libc_init(void);

static inline void rt__memcpy(void *dst, const void *src, size_t n)
{
    rt__libc_memcpy(dst, src, n);
}

static inline void rt__memset(void *dst, int v, size_t n)
{
    rt__libc_memset(dst, v, n);
}

/* ---- random -------------------------------------------------------------- */
uint32_t rt__fastrand(void);      /* per-M wyrand; seeded from select_seed */
static inline uint32_t rt__fastrandn(uint32_t n)
{
    return (uint32_t)(((uint64_t)rt__fastrand() * n) >> 32);
}

/* ---- timers --------------------------------------------------------------
 * struct rt_timer is one entry of the runtime's timer heap. fn runs on an
 * M's g0 stack with a P held and no runtime lock held; it must not block.
 * A stopped timer may be restarted. */
struct rt_timer {
    int64_t when;        /* protected by the timer heap lock */
    int64_t period;      /* > 0: re-armed at when + period after firing */
    void (*fn)(struct rt_timer *t, int64_t now);
    void *arg;           /* for fn */
    int32_t heap_index;  /* -1 when not in the heap; protected by the lock */
    _Atomic uint32_t running; /* fn in progress; rt_timer_stop waits it out */
};

void rt__timer_init(struct rt_timer *t, void (*fn)(struct rt_timer *, int64_t),
                    void *arg);
void rt__timer_start(struct rt_timer *t, int64_t when, int64_t period);
/* rt__timer_stop removes t; returns true if it was pending. On return fn
 * is not running and will not run. */
bool rt__timer_stop(struct rt_timer *t);
/* rt__timer_stop_nowait removes t without waiting for a call of fn in
 * progress (for use from fn's own call chain). */
bool rt__timer_stop_nowait(struct rt_timer *t);
/* rt__timers_run fires due timers; returns the next deadline or INT64_MAX. */
int64_t rt__timers_run(int64_t now);
int64_t rt__timers_next(void);
int rt__timers_count(void);

/* ---- goroutines ---------------------------------------------------------- */

/* enum rt_gstatus and RT_G_SCAN: runtime.h */

/* g flags, set at creation and immutable afterwards */
enum {
    RT_GF_MAIN = 1,     /* the main goroutine: runs on the main thread stack */
    RT_GF_EXTERNAL = 2, /* a foreign thread's flow: parks on its own futex */
    RT_GF_G0 = 4,       /* an M's scheduler context */
    RT_GF_SLOT = 8,     /* lives at the top of a pooled stack slot */
};

/* What a running goroutine asks g0 to do after it switched away. */
enum rt_switch_action {
    RT_SWITCH_NONE,
    RT_SWITCH_PARK,  /* mark waiting, run park_fn, schedule */
    RT_SWITCH_YIELD, /* back to the global run queue (Gosched) */
    RT_SWITCH_YIELD_LOCAL, /* back to the local run queue tail */
    RT_SWITCH_EXIT,  /* recycle the goroutine */
    RT_SWITCH_EXIT_MAIN, /* the main goroutine called go_exit */
    RT_SWITCH_SYSCALL_EXIT, /* left a system call and found no P */
};

struct rt_waiter;
struct rt_m;
struct rt_p;

/* struct rt_defer is a cleanup that go_exit runs, as Go's Goexit runs
 * deferred calls: Once and errgroup must not be left half done when the
 * function they run calls go_exit. Records live on the goroutine's stack
 * and form a LIFO list (rt__defer_push/pop). */
struct rt_defer {
    void (*fn)(void *arg);
    void *arg;
    struct rt_defer *next;
};

struct rt_g {
    /* Saved stack pointer; valid while the goroutine is not running. */
    struct rt_context ctx;
    /* Usable stack [stack_lo, stack_hi); guard region [guard_lo, stack_lo).
     * Immutable while the goroutine is live. */
    uintptr_t stack_lo, stack_hi, guard_lo;
    /* enum rt_gstatus, possibly | RT_G_SCAN. Transitions by CAS. */
    _Atomic uint32_t status;
    uint32_t flags;           /* RT_GF_*; immutable */
    uint64_t id;              /* goroutine id; 0 for g0 */
    struct rt_m *m;           /* M running it; only meaningful while running */
    struct rt_g *sched_link;  /* run queue / free list link */
    go_fn fn;                 /* entry point and its argument */
    void *arg;

    /* Park protocol: set by the goroutine before switching to g0, which
     * calls park_fn(g, park_arg) after the switch. If it returns false the
     * goroutine is made runnable again at once. */
    bool (*park_fn)(struct rt_g *g, void *arg);
    void *park_arg;
    uint8_t wait_reason;      /* enum rt_wait_reason; valid while WAITING */
    const void *wait_obj;     /* what it waits on (channel, mutex...) */
    int64_t wait_since;       /* coarse clock when it parked */
    /* wait_since of the park in which goleak_verify reported it: the
     * detector does not report the same blocked goroutine twice. */
    int64_t leak_reported_since;

    /* Set by the goroutine that wakes it: the waiter record that fired. */
    struct rt_waiter *param;
    /* Waiter records of a blocked select, linked through wait_link. */
    struct rt_waiter *waiting;
    /* 0 until a select this goroutine is blocked in has been won. */
    _Atomic uint32_t select_done;
    /* select cases while blocked in select (for reports). */
    const go_select_case *select_cases;
    uint32_t select_ncases;
    /* Cooperative preemption request set by sysmon; honoured at runtime
     * entry points. */
    _Atomic bool preempt;

    uintptr_t go_pc;          /* return address of the go_spawn call */
    uint64_t parent_id;       /* goroutine that spawned it */
    int64_t start_time;       /* when it was scheduled this slice (coarse) */

    struct rt_timer sleep_timer; /* go_sleep */
    _Atomic uint32_t ext_futex;  /* external goroutines sleep on it */
    uintptr_t ext_park_sp;       /* ...below this frame while they do */
    void *detector;              /* the detector's per-goroutine state */
    void *asan_fake_stack;       /* AddressSanitizer fiber bookkeeping */
    struct rt_defer *defers;     /* cleanups go_exit runs, newest first */
};

/* ---- Ms --------------------------------------------------------------- */

struct rt_m {
    int32_t id;
    pid_t tid;
    pthread_t thread;
    struct rt_g g0;           /* the scheduler context (flags RT_GF_G0) */
    struct rt_g *curg;        /* running goroutine, NULL while on g0 */
    struct rt_p *p;           /* attached P, NULL when none */
    struct rt_p *nextp;       /* P handed over by startm before wakeup */
    struct rt_p *oldp;        /* P held before a system call */
    bool spinning;            /* looking for work with nmspinning counted */
    struct rt_note park;      /* stopm sleeps here */
    struct rt_m *sched_link;  /* idle M list; protected by sched.lock */
    struct rt_m *all_link;    /* all Ms, immutable once linked */
    enum rt_switch_action switch_action; /* set by curg before switching */
    /* A goroutine that switched directly to another one on this M: its
     * action is finished by the goroutine that runs next (sched.c). */
    struct rt_g *prev;
    enum rt_switch_action prev_action;
    void *altstack;           /* sigaltstack for the overflow handler */
    void *g0_stack;           /* mapped g0 stack (M0 only), else NULL */
    size_t g0_stack_size;
};

/* ---- Ps --------------------------------------------------------------- */

enum rt_pstatus {
    RT_P_IDLE,    /* on the idle list */
    RT_P_RUNNING, /* owned by an M running goroutines or the scheduler */
    RT_P_SYSCALL, /* owned by an M whose goroutine is in a system call;
                     sysmon may take it */
    RT_P_RETIRED, /* beyond GOMAXPROCS; unused until it grows again */
};

#define RT_RUNQ_SIZE 256

struct rt_p {
    int32_t id;
    _Atomic uint32_t status;  /* enum rt_pstatus; CAS transitions */
    struct rt_m *m;           /* owner while RUNNING or SYSCALL */
    struct rt_p *link;        /* idle list; protected by sched.lock */
    _Atomic uint32_t schedtick;   /* incremented on every new slice */
    _Atomic uint32_t runs;        /* incremented on every goroutine switch */
    _Atomic uint32_t syscalltick; /* incremented on every syscall */
    uint32_t inherited;       /* consecutive runnext runs in this slice */
    int64_t slice_start;      /* nanotime at the start of this slice */

    /* Local run queue: a lock-free ring. The owner pushes at tail; the
     * owner and thieves pop at head with CAS (Go's runq). */
    _Atomic uint32_t runq_head __attribute__((aligned(RT_CACHE_LINE)));
    _Atomic uint32_t runq_tail;
    struct rt_g *_Atomic runnext; /* runs next; readied by a channel op */
    struct rt_g *_Atomic runq[RT_RUNQ_SIZE];

    /* Free goroutines (with their stacks) for reuse. Owner only. */
    struct rt_g *gfree;
    int32_t gfree_count;
    /* Goroutine id cache, refilled in batches from sched.goid_gen. */
    uint64_t goid_next, goid_end;

    /* sysmon's view: last observed ticks and when they changed. */
    uint32_t sysmon_schedtick, sysmon_syscalltick, sysmon_runs;
    int64_t sysmon_schedwhen, sysmon_syscallwhen;
} __attribute__((aligned(RT_CACHE_LINE)));

/* ---- the scheduler ------------------------------------------------------ */

struct rt_sched {
    struct rt_lock lock; /* protects the fields below unless noted */

    struct rt_m *midle;        /* idle Ms */
    int32_t nmidle;
    int32_t mcount;            /* Ms created */
    int32_t nm_external_running; /* foreign threads outside the runtime */
    struct rt_m *allm;         /* all Ms (lock-free readers via all_link) */

    struct rt_p *pidle;        /* idle Ps */
    _Atomic int32_t npidle;    /* read without the lock */
    _Atomic int32_t nmspinning; /* Ms spinning; read without the lock */

    struct rt_g *runq_head, *runq_tail; /* global run queue */
    _Atomic int32_t runq_size;

    _Atomic int32_t gomaxprocs;
    struct rt_p **allp;        /* allp[0..nallp); grows, never shrinks */
    int32_t nallp;

    struct rt_g *gfree;        /* global free goroutines; gfree_lock */
    int32_t ngfree;
    int32_t ngfree_low;        /* lowest ngfree since the last scavenge */
    struct rt_lock gfree_lock;

    _Atomic uint64_t goid_gen; /* next goroutine id batch */
    _Atomic int32_t ngoroutines; /* live goroutines, main included */

    /* All goroutines ever created (slots are reused), for dumps and leak
     * checks. Append-only under allg_lock; readers load nallg first. */
    struct rt_lock allg_lock;
    struct rt_g **allg;
    _Atomic size_t nallg;
    size_t allg_cap;

    /* sysmon */
    struct rt_note sysmon_note;
    _Atomic bool sysmon_wait;  /* sysmon sleeps until woken */
    struct rt_m *timer_sleeper; /* M sleeping until the next timer */
    int64_t timer_sleep_until;

    bool main_started;
    struct rt_g *main_g;
    _Atomic bool main_exited;  /* main goroutine called go_exit */
};

extern struct rt_sched rt__sched;

/* ---- TLS ---------------------------------------------------------------
 * Goroutines migrate between threads at every park, so code must never
 * keep a thread-local address or an M across a park; rt__getm and rt__getg
 * are out-of-line so that the compiler cannot cache the thread pointer. */
extern __thread struct rt_m *rt__tls_m __attribute__((tls_model("initial-exec")));
extern __thread struct rt_g *rt__tls_ext_g __attribute__((tls_model("initial-exec")));

struct rt_m *rt__getm(void);
/* rt__getg returns the running goroutine: an M's curg, its g0 when on the
 * scheduler stack, or the calling foreign thread's external goroutine.
 * Initializes the runtime on first use. Never NULL. */
struct rt_g *rt__getg(void);

#if defined(__x86_64__)
/* On x86-64 every access to an initial-exec TLS variable goes through the
 * %fs segment, so the compiler cannot keep one thread's TLS address across
 * a call during which the goroutine moved to another thread: reading the
 * variable inline is safe. (On AArch64 the thread pointer lives in a
 * register the compiler may cache, hence the out-of-line accessors.) */
static inline struct rt_m *rt__getm_fast(void)
{
    return rt__tls_m;
}
#else
#define rt__getm_fast rt__getm
#endif

static inline struct rt_g *rt__getg_fast(void)
{
    struct rt_m *m = rt__getm_fast();
    if (rt_likely(m != NULL))
        return m->curg ? m->curg : &m->g0;
    return rt__getg();
}

/* ---- scheduler entry points (sched.c, proc.c) -------------------------- */

void rt__init(void);
extern _Atomic bool rt__initialized;

/* rt_park blocks the calling goroutine. After its context is saved, on g0,
 * park_fn(g, arg) runs (typically unlocking what protects the wait queue g
 * was put on); if it returns false g is resumed at once. Returns when
 * another goroutine called rt_ready(g). */
void rt__park(bool (*park_fn)(struct rt_g *, void *), void *arg,
              uint8_t reason, const void *obj);
/* rt_ready makes a parked g runnable. next: run it next on this P (a
 * channel handoff). May be called on g0, from any goroutine or thread. */
void rt__ready(struct rt_g *g, bool next);
/* rt__park_unlock_fn is a park_fn that releases the struct rt_lock arg. */
bool rt__park_unlock_fn(struct rt_g *g, void *lock);

/* rt__ready_wake is rt__ready(g, true) that always wakes an idle M: for
 * a waiter whose waker goes on running (a mutex unlock), unlike a channel
 * handoff where the waker usually blocks next. */
void rt__ready_wake(struct rt_g *g);

void rt__defer_push(struct rt_defer *d, void (*fn)(void *), void *arg);
void rt__defer_pop(struct rt_defer *d);

void rt__gosched(bool local);
void rt__preempt_yield(struct rt_g *g);

/* rt__preempt_check honours sysmon's request that g yield (cooperative
 * preemption at runtime entry points). */
static inline void rt__preempt_check(struct rt_g *g)
{
    if (rt_unlikely(atomic_load_explicit(&g->preempt, memory_order_relaxed)))
        rt__preempt_yield(g);
}

/* proc.c: Ms and Ps */
void rt__wakep(void);
void rt__startm(struct rt_p *p, bool spinning);
void rt__stopm(struct rt_m *m);
void rt__handoffp(struct rt_p *p);
struct rt_p *rt__pidleget(void);
void rt__pidleput(struct rt_p *p);
struct rt_m *rt__mget(void);
void rt__mput(struct rt_m *m);
struct rt_m *rt__newm_struct(void);
RT_NORETURN void rt__schedule(void);
void rt__acquirep(struct rt_m *m, struct rt_p *p);
struct rt_p *rt__releasep(struct rt_m *m);
void rt__procs_init(int n);
int rt__procs_resize(int n);

/* runq.c */
enum rt_runq_put {
    RT_RUNQ_NEXT,   /* g went to runnext and displaced nobody */
    RT_RUNQ_LOCAL,  /* a goroutine was added to the local queue */
    RT_RUNQ_GLOBAL, /* the local queue overflowed to the global one */
};
enum rt_runq_put rt__runq_put(struct rt_p *p, struct rt_g *g, bool next);
struct rt_g *rt__runq_get(struct rt_p *p, bool *inherit);
bool rt__runq_empty(struct rt_p *p);
uint32_t rt__runq_len(struct rt_p *p);
struct rt_g *rt__runq_steal(struct rt_p *p, struct rt_p *victim,
                            bool steal_runnext);
void rt__globrunq_put(struct rt_g *g);
void rt__globrunq_put_batch(struct rt_g *head, struct rt_g *tail, int32_t n);
struct rt_g *rt__globrunq_get(struct rt_p *p, int32_t max);
void rt__runq_drain_to_global(struct rt_p *p);

/* stack.c: goroutine slots (G + stack) */
struct rt_g *rt__gslot_alloc(void);
/* rt__gslot_prefault: a spinning M faults in a slot the next go statement
 * will need; false when there is none. */
bool rt__gslot_prefault(void);
void rt__gslot_free(struct rt_g *g);
void rt__stack_init(void);
void rt__stack_thread_init(struct rt_m *m);
bool rt__stack_check_canary(struct rt_g *g);
/* rt__stack_scavenge returns to the OS the memory of cached goroutine
 * slots that the program did not need since the last call (sysmon calls
 * it about once a second); returns how many slots it released. */
size_t rt__stack_scavenge(void);
/* rt__stack_scavenge_pending: there is something to scavenge. */
bool rt__stack_scavenge_pending(void);
void rt__stack_switch_checks(struct rt_g *g);
void rt__allg_add(struct rt_g *g);

/* sysmon.c */
void rt__sysmon_start(void);
void rt__sysmon_wake(void);

/* checkdead.c */
void rt__checkdead(void);
void rt__dump_goroutines(void);
const char *rt__wait_reason_string(uint8_t reason);
const char *rt__status_string(uint32_t status);

/* procs.c */
int rt__default_procs(void);
/* rt__cgroup_cpu_limit: the cgroup CPU bandwidth limit in CPUs (-1: none)
 * from a /proc/self/cgroup and a mountinfo file; prefix is prepended to
 * mount points (tests point it at a fake tree). */
double rt__cgroup_cpu_limit(const char *proc_cgroup, const char *mountinfo,
                            const char *prefix);
/* rt__procs_compute: GOMAXPROCS from $GOMAXPROCS (env, may be NULL), the
 * usable CPUs and the cgroup limit. */
int rt__procs_compute(const char *env, int ncpu, double cgroup_limit);

/* hooks.c */
void rt__hooks_init(void);

/* chan.c, used by select.c and time.c */
struct rt_waiter {
    struct rt_g *g;
    struct rt_waiter *next, *prev; /* channel wait queue; chan lock */
    struct rt_waiter *wait_link;   /* g->waiting list (select) */
    go_chan *c;
    void *elem;          /* data to send, or where to receive */
    bool is_select;
    bool success;        /* true: a value was transferred; false: closed */
    uint32_t case_index; /* select case */
    uint64_t seq;        /* element sequence number, for the hooks */
};

struct rt_waitq {
    struct rt_waiter *first, *last;
};

struct go_chan {
    /* lock protects every field below that is not marked immutable. Never
     * ready a goroutine while holding it: collect, unlock, then ready. */
    struct rt_lock lock;
    /* closed and qcount are also read without the lock by the fast
     * paths (Go's "empty"/"full" checks), see chan.c. */
    _Atomic uint32_t closed;
    _Atomic size_t qcount;   /* elements in the buffer */
    size_t dataqsiz;         /* capacity; immutable */
    size_t elemsize;         /* immutable */
    char *buf;               /* ring of dataqsiz elements; immutable */
    size_t sendx, recvx;     /* ring indices */
    uint64_t send_seq, recv_seq; /* elements sent / received so far */
    struct rt_waitq recvq, sendq;
    struct rt_timer *timer;  /* go_after/ticker timer that sends on it */
    uintptr_t make_pc;       /* caller of go_chan_make */
    uint64_t make_goid;      /* goroutine that made it */
    void *detector;          /* the detector's state (rt_chan_detector) */
};

void rt__waitq_enqueue(struct rt_waitq *q, struct rt_waiter *w);
struct rt_waiter *rt__waitq_dequeue(struct rt_waitq *q);
void rt__waitq_remove(struct rt_waitq *q, struct rt_waiter *w);

bool rt__chan_send(go_chan *c, const void *elem, bool block, uintptr_t pc);
/* returns 1 received, -1 closed, 0 would block (!block only) */
int rt__chan_recv(go_chan *c, void *elem, bool block, uintptr_t pc);
struct rt_g *rt__chan_send_direct(go_chan *c, struct rt_waiter *w,
                                  const void *elem, struct rt_g *g);
struct rt_g *rt__chan_recv_direct(go_chan *c, struct rt_waiter *w,
                                  void *elem, struct rt_g *g);
void rt__chan_buf_put(go_chan *c, const void *elem, struct rt_g *g);
void rt__chan_buf_take(go_chan *c, void *elem, struct rt_g *g);
go_chan *rt__chan_make(size_t elem_size, size_t cap, uintptr_t pc);
/* rt__chan_init makes an unbuffered channel in place (inside another
 * object); rt__chan_destroy ends its life. */
void rt__chan_init(go_chan *c, size_t elem_size, uintptr_t pc);
void rt__chan_destroy(go_chan *c);

/* misuse.c: a Go panic that is a detector report plus the halt policy. */
void rt__misuse(struct rt_g *g, enum rt_misuse kind, const void *obj,
                uintptr_t pc);

#pragma GCC visibility pop

#endif
