/* SPDX-License-Identifier: MIT */
/*
 * detector_impl.h is shared by the files of the detector (libgosan-detect.so)
 * and by nothing else. detector/README.md explains the design; in short:
 *
 *  - Every goroutine and every thread has a struct det_thread: a vector
 *    clock, a shadow call stack and a trace of its recent events.
 *  - Clocks are indexed by *slot*, not by thread: there are DET_SLOTS slots,
 *    a thread holds one while it can access memory, and a slot passes from
 *    thread to thread (its epoch keeps growing). Clocks therefore never grow
 *    with the number of goroutines ever created (TSan v3's design).
 *  - Memory is checked through shadow memory: four 64-bit cells per 8-byte
 *    word, each a recent access (slot, epoch, byte mask, read/write,
 *    atomic). A new access races with a cell if their bytes overlap, their
 *    slots differ, one of them writes, not both are atomic, and the cell's
 *    epoch is not covered by the accessing thread's clock.
 *  - Sync objects (mutexes, channel slots, WaitGroups, atomics...) hold a
 *    clock, keyed by address.
 *  - To print the stack of the *previous* access of a race, each thread
 *    records its accesses and function entries/exits in a trace; the report
 *    replays the trace of the slot's owner up to the access.
 */
#ifndef GOSAN_DETECTOR_IMPL_H
#define GOSAN_DETECTOR_IMPL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "reports.h"
#include "runtime.h"

#pragma GCC visibility push(hidden)

#define det_likely(x) __builtin_expect(!!(x), 1)
#define det_unlikely(x) __builtin_expect(!!(x), 0)
#define DET_NOINLINE __attribute__((noinline))
#define DET_ALWAYS_INLINE inline __attribute__((always_inline))

void det_throw(const char *file, int line, const char *fmt, ...)
    __attribute__((noreturn, format(printf, 3, 4)));
#define DET_THROW(...) det_throw(__FILE__, __LINE__, __VA_ARGS__)
#define DET_CHECK(x)                                                    \
    do {                                                                \
        if (det_unlikely(!(x)))                                         \
            det_throw(__FILE__, __LINE__, "check failed: %s", #x);      \
    } while (0)

/* ---- a small spin lock (never parks, never calls a hooked function) --- */

struct det_spin {
    _Atomic uint32_t locked;
};

static inline void det_cpu_relax(void)
{
#if defined(__x86_64__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ volatile("yield" ::: "memory");
#endif
}

void det_spin_lock_slow(struct det_spin *l);

static inline void det_spin_lock(struct det_spin *l)
{
    if (det_likely(!atomic_exchange_explicit(&l->locked, 1,
                                             memory_order_acquire)))
        return;
    det_spin_lock_slow(l);
}

static inline void det_spin_unlock(struct det_spin *l)
{
    atomic_store_explicit(&l->locked, 0, memory_order_release);
}

/* ---- epochs, slots and vector clocks ------------------------------------ */

#define DET_SLOTS 256
#define DET_MAX_HELD 32
#define DET_NO_SLOT 0xffffu
#define DET_EPOCH_BITS 40
#define DET_EPOCH_MAX ((1ull << DET_EPOCH_BITS) - 1)

typedef uint64_t det_epoch;

/* struct det_clock is a vector clock over slots: e[i] is the last epoch of
 * slot i known to happen before. n is one past the highest index that may
 * be non-zero; entries at n and beyond are zero. A thread's clock is fixed
 * size (DET_SLOTS); a sync object's grows as needed. */
struct det_clock {
    uint32_t n;
    uint32_t cap;
    det_epoch *e;
};

void det_clock_init(struct det_clock *c);
void det_clock_free(struct det_clock *c);
/* dst = max(dst, src) entrywise */
void det_clock_join(struct det_clock *dst, const struct det_clock *src);
/* dst = src */
void det_clock_copy(struct det_clock *dst, const struct det_clock *src);
void det_clock_reset(struct det_clock *c);

/* ---- threads (goroutines and OS threads) -------------------------------- */

struct det_trace_part;

#define DET_SYNC_CACHE 8

struct det_thread {
    /* Hot: read on every access. */
    uint16_t slot;            /* DET_NO_SLOT while it has none */
    uint8_t ignore;           /* > 0: accesses are not checked */
    uint8_t in_runtime;       /* > 0: inside the detector; hooks skip */
    det_epoch epoch;          /* == clock.e[slot] */
    struct det_clock clock;

    /* Shadow call stack from __tsan_func_entry/exit: call-site pcs. */
    uintptr_t *stack;
    uint32_t depth, stack_cap;

    /* The trace: the events of the recent past, for reports. trace_lock
     * is taken by the owner only to recycle a part, and by a report that
     * replays the trace. */
    struct det_spin trace_lock;
    struct det_trace_part *trace_head;  /* oldest part */
    struct det_trace_part *trace_tail;  /* current part */
    uintptr_t trace_pc;    /* pc of the last access traced (trace.h) */
    uint32_t trace_parts;

    /* Identity, for reports. */
    uint64_t goid;            /* goroutine id; 0 for an OS thread */
    uint32_t thread_id;       /* T<n> for an OS thread */
    pid_t os_tid;
    bool is_goroutine;
    bool is_system;           /* an M's scheduler context */
    _Atomic bool finished;
    _Atomic bool parked;      /* a parked goroutine may lose its slot */
    uint32_t creation_stack;  /* depot id of where it was created */
    uint64_t parent_goid;
    uint32_t parent_thread_id;
    struct rt_g *g;
    uint64_t last_run;        /* for picking a slot victim (LRU) */
    uintptr_t stack_lo, stack_hi; /* an OS thread's stack (and TLS), if known */

    /* Locks held (lockorder.c): for lock-order edges and for the goroutine
     * that exits holding one. Owner-only. */
    struct det_held {
        uintptr_t m;
        uint32_t stack;       /* depot id of where it was acquired */
        bool write;
    } held[DET_MAX_HELD];
    uint32_t nheld;

    /* What it is blocked on (blocking.c), for wait-for cycles and the
     * hang watchdog; for an OS thread also the call and its stack. */
    _Atomic uint8_t blocked_reason; /* enum rt_wait_reason, NONE if running */
    const void *_Atomic blocked_obj;
    const char *blocked_call;       /* "pthread_mutex_lock"... */
    uint32_t blocked_stack;
    uintptr_t blocked_sp;           /* its stack pointer while blocked */
    int64_t blocked_since;          /* monotonic ns */

    /* Lists: all threads (for dumps), graveyard, spares. */
    struct det_thread *all_next, *all_prev;
    struct det_thread *grave_next;

    /* Where t appears in the slots' ownership histories (thread.c), so
     * that forgetting t does not scan them all; hist_overflow when it
     * owned more slots than this remembers. */
    struct {
        uint16_t slot;
        uint16_t index;
    } hist_refs[8];
    uint8_t nhist_refs;
    bool hist_overflow;

    /* Recent sync object lookups (syncmap.c). */
    struct det_sync_cache_entry {
        uintptr_t addr;
        uint64_t key2;
        uint64_t gen;
        struct det_sync *s;
    } sync_cache[DET_SYNC_CACHE];
};

/* The thread state of the code running now (per OS thread; switched with
 * goroutines by the runtime's switch_to hook). */
extern __thread struct det_thread *det_tls_cur
    __attribute__((tls_model("initial-exec")));

/* det_cur returns the running thread's state, creating one for a thread
 * the detector has not seen (a thread created before it loaded). */
struct det_thread *det_cur_slow(void);
static DET_ALWAYS_INLINE struct det_thread *det_cur(void)
{
    struct det_thread *t = det_tls_cur;
    if (det_likely(t != NULL))
        return t;
    return det_cur_slow();
}

struct det_thread *det_thread_new(bool is_goroutine);
/* det_thread_start gives t a slot and makes it able to access memory. */
void det_thread_start(struct det_thread *t);
/* det_thread_finish: t will not run again; its slot is freed and its state
 * is kept in the graveyard for reports about its past accesses. */
void det_thread_finish(struct det_thread *t);
/* det_thread_park / det_thread_unpark: a parked goroutine may lose its
 * slot to a thread that needs one; it gets one back when it runs. */
void det_thread_park(struct det_thread *t);
void det_thread_resume(struct det_thread *t);
/* det_thread_need_slot: t has no slot (it was taken while parked). */
void det_thread_need_slot(struct det_thread *t);

/* det_threads_each calls fn for every live thread state, under the
 * thread table's lock (fn must not create or finish threads). */
void det_threads_each(void (*fn)(struct det_thread *t, void *arg), void *arg);

/* det_release_epoch ends t's current epoch after a release: later
 * accesses of t are not covered by what it just released. */
void det_release_epoch(struct det_thread *t);

/* Which thread owned slot s at epoch e (for reports); NULL if forgotten.
 * The owner's identity (goid, thread_id) is given even then, when known. */
struct det_thread *det_slot_owner(uint16_t slot, det_epoch e, uint64_t *goid,
                                  uint32_t *thread_id, bool *finished);

/* ---- sync objects ----------------------------------------------------------- */

struct det_sync {
    uintptr_t addr;           /* key */
    uint64_t key2;            /* second key (channel slot index), 0 if none */
    struct det_spin lock;     /* protects clock and read_clock */
    struct det_clock clock;   /* released by unlock / send / Done / ... */
    struct det_clock read_clock; /* released by RUnlock */
    struct det_sync *next;    /* hash chain */
    struct det_sync *page_next; /* objects of the same page */
    /* Lock state (lockorder.c, blocking.c). */
    struct det_thread *_Atomic owner; /* write owner of a mutex, or NULL */
    uint32_t owner_stack;     /* where the owner acquired it */
    bool ever_locked;         /* a lock_post was seen at this address */
    uint32_t misuse_reported; /* 1 << enum rt_misuse: each kind once */
    _Atomic bool lock_seen;   /* a go_mutex Lock was seen (copy check) */
    /* Channel state (the close object, key2 0). */
    size_t chan_cap;          /* capacity */
    /* The channel's other objects, found once and kept here (freed with
     * this one): the rendezvous object and one per buffer slot. */
    struct det_sync *_Atomic chan_sync;
    struct det_sync *_Atomic *_Atomic chan_slots;
    uint32_t make_stack;      /* where it was made */
    uint32_t close_stack;     /* where it was first closed */
    uint64_t close_goid;
    uint32_t close_thread_id;
};

/* det_sync_get finds (or, if create, makes) the sync object for
 * (addr, key2). Objects live until the memory they describe is freed. */
struct det_sync *det_sync_get(uintptr_t addr, uint64_t key2, bool create);
/* det_sync_free_range drops every object in [lo, hi). */
void det_sync_free_range(uintptr_t lo, uintptr_t hi);
void det_sync_free(uintptr_t addr, uint64_t key2);

/* Happens-before through a sync object. */
void det_acquire(struct det_thread *t, struct det_sync *s);
void det_release(struct det_thread *t, struct det_sync *s);        /* merge */
void det_release_store(struct det_thread *t, struct det_sync *s);  /* assign */
void det_acquire_addr(struct det_thread *t, uintptr_t addr);
void det_release_addr(struct det_thread *t, uintptr_t addr);

/* ---- shadow memory ---------------------------------------------------------- */

/* A shadow cell (64 bits): epoch (40) | slot (8) | byte mask (8) | read (1)
 * | atomic (1). Zero is an empty cell. */
#define DET_CELLS 4
#define CELL_EPOCH(c) ((c) & DET_EPOCH_MAX)
#define CELL_SLOT(c) ((uint16_t)(((c) >> 40) & 0xff))
#define CELL_MASK(c) ((uint8_t)(((c) >> 48) & 0xff))
#define CELL_READ(c) (((c) >> 56) & 1)
#define CELL_ATOMIC(c) (((c) >> 57) & 1)
#define MAKE_CELL(epoch, slot, mask, read, atomic)                     \
    ((uint64_t)(epoch) | ((uint64_t)(slot) << 40) |                    \
     ((uint64_t)(mask) << 48) | ((uint64_t)(read) << 56) |             \
     ((uint64_t)(atomic) << 57))

#define DET_VA_BITS 48
#define DET_LEAF_SHIFT 32

extern uint64_t *_Atomic det_shadow_l1[1u << (DET_VA_BITS - DET_LEAF_SHIFT)];
uint64_t *det_shadow_leaf_slow(uintptr_t addr);

/* det_shadow returns the cells of the 8-byte word holding addr, or NULL
 * for an address outside the user address space. */
static DET_ALWAYS_INLINE uint64_t *det_shadow(uintptr_t addr)
{
    uintptr_t top = addr >> DET_LEAF_SHIFT;
    if (det_unlikely(top >= (1u << (DET_VA_BITS - DET_LEAF_SHIFT))))
        return NULL;
    uint64_t *leaf = atomic_load_explicit(&det_shadow_l1[top],
                                          memory_order_acquire);
    if (det_unlikely(leaf == NULL))
        leaf = det_shadow_leaf_slow(addr);
    return leaf + ((addr & 0xffffffffu) >> 3) * DET_CELLS;
}

/* det_shadow_reset forgets every access to [addr, addr+size) (the memory
 * was freed, or a dead goroutine's stack is reused). */
void det_shadow_reset(uintptr_t addr, size_t size);

/* ---- access checks ----------------------------------------------------------- */

/* det_access is always inlined into access.c's entry points; elsewhere it
 * is an ordinary call. */
extern void det_access(struct det_thread *t, uintptr_t addr, size_t size,
                       bool write, bool atomic, uintptr_t pc);
void det_access_range(struct det_thread *t, uintptr_t addr, size_t size,
                      bool write, uintptr_t pc);

/* ---- traces ------------------------------------------------------------------ */

void det_trace_init(struct det_thread *t);
/* det_trace_recycle keeps t's first trace part for a recycled thread
 * state and frees the others: returns the part kept (may be NULL). */
struct det_trace_part *det_trace_recycle(struct det_thread *t);
/* det_trace_init_with starts t's trace in part (from det_trace_recycle),
 * or in a new one when part is NULL. */
void det_trace_init_with(struct det_thread *t, struct det_trace_part *part);
void det_trace_free(struct det_thread *t);
/* det_trace_access is inline, in trace.h. */
void det_trace_range(struct det_thread *t, uintptr_t addr, size_t size,
                     bool write, uintptr_t pc);
void det_trace_func_entry(struct det_thread *t, uintptr_t pc);
void det_trace_func_exit(struct det_thread *t);
void det_trace_epoch(struct det_thread *t);
/* det_trace_find replays t's trace to the first access at (slot, epoch)
 * to the word holding word_addr that overlaps mask with the given kind,
 * and writes the call stack at that access (innermost first) and the
 * access's own address. Returns the number of pcs, 0 if the trace no
 * longer holds it. */
int det_trace_find(struct det_thread *t, uint16_t slot, det_epoch e,
                   uintptr_t word_addr, uint8_t mask, bool write,
                   uintptr_t *pcs, int max, uintptr_t *access_addr);

/* ---- the stack depot ------------------------------------------------------------ */

/* det_depot_put stores a stack once and returns its id (0: empty). */
uint32_t det_depot_put(const uintptr_t *pcs, int n);
int det_depot_get(uint32_t id, const uintptr_t **pcs);
/* det_stack_here captures the current stack (real unwinding, not the
 * shadow stack), skipping skip frames, into the depot. */
uint32_t det_stack_here(int skip);
/* det_stack_of_thread is t's shadow stack plus pc, innermost first. */
int det_stack_of_thread(struct det_thread *t, uintptr_t pc, uintptr_t *pcs,
                        int max);

/* ---- locks and blocking (lockorder.c, blocking.c) --------------------------- */

/* det_mutex_locked / det_mutex_unlocking: a lock was taken (write:
 * exclusively) / is about to be released, by t at pc (mutex.c). */
void det_mutex_locked(struct det_thread *t, uintptr_t m, bool write,
                      uintptr_t pc);
void det_mutex_unlocking(struct det_thread *t, uintptr_t m, bool write,
                         uintptr_t pc);

/* det_lock_acquired / det_lock_released keep t's held locks and the
 * lock-order graph; an acquisition that closes a cycle is reported. */
void det_lock_acquired(struct det_thread *t, uintptr_t m, bool write,
                       uint32_t stack);
void det_held_prune(struct det_thread *t);
void det_lock_released(struct det_thread *t, uintptr_t m);
/* det_lock_forget drops a freed lock from the graph. */
void det_lock_forget(uintptr_t m);
/* det_blocked checks whether t, now blocked on obj, closes a cycle of
 * goroutines each waiting for a mutex the next one holds. */
void det_blocked(struct det_thread *t, enum rt_wait_reason reason,
                 const void *obj);
/* det_misuse builds the report of a misuse the runtime found. */
bool det_misuse(struct det_thread *t, enum rt_misuse kind, const void *obj,
                uintptr_t pc);
/* det_thread_exiting warns about a goroutine that ends holding locks. */
void det_thread_exiting(struct det_thread *t);
/* det_here is the calling goroutine's stack, in the depot. */
uint32_t det_here(struct det_thread *t, uintptr_t pc);

extern const struct rep_stack_filter det_stack_filter;

/* det_internal_caller: pc is in the detector's or libgosan's own code (its
 * calls to libc are not the program's). */
bool det_internal_caller(uintptr_t pc);

/* ---- heap blocks ----------------------------------------------------------------- */

struct det_heap_block {
    uintptr_t addr;
    size_t size;
    uint32_t alloc_stack;
    uint64_t goid;
    uint32_t thread_id;
};

/* The leak detector (reach.c) knows channels (size 0) and the runtime's
 * objects the program reaches them through. */
void det_reach_register(const void *p, size_t size);
void det_reach_forget(const void *p);
void det_reach_init(void);
void det_watchdog_start(void);

/* det_heap_find describes the live heap block holding addr. */
bool det_heap_find(uintptr_t addr, struct det_heap_block *out);
/* det_instrumented_caller: pc is in a module compiled with
 * -fsanitize=thread (modules.c); only those get their memcpy, memset,
 * realloc and free checked as accesses. */
bool det_instrumented_caller(uintptr_t pc);

/* ---- reports --------------------------------------------------------------------- */

void det_report_race(struct det_thread *t, uintptr_t addr, size_t size,
                     bool write, bool atomic, uintptr_t pc, uint64_t old_cell,
                     uintptr_t old_word);
/* det_thread_renamed: t's goid changed (a thread became a goroutine). */
void det_thread_renamed(struct det_thread *t);
/* det_thread_name writes "goroutine 7", "main goroutine" or "thread T2". */
void det_thread_name(char *buf, size_t len, uint64_t goid, uint32_t thread_id);

/* ---- state ----------------------------------------------------------------------- */

struct det_global {
    bool enabled;              /* the detector is initialized */
    _Atomic uint64_t reports;  /* reports printed */
    _Atomic uint64_t races;
};

extern struct det_global det_global;

void det_init(void);
/* det_tls_internal > 0: this OS thread runs detector code; every
 * intercepted function (malloc, memcpy, pthread_*) called meanwhile — by
 * the detector or by a library it uses, such as libunwind taking its own
 * lock — goes straight to the real one. */
extern __thread int det_tls_internal __attribute__((tls_model("initial-exec")));

/* det_enter/det_leave bracket detector code that may call back into
 * intercepted functions. Both marks are needed: t's (hooks may act for a
 * goroutine other than the one the OS thread runs, and t's own checks
 * must stop) and the thread's (the interceptors look only at that). */
static inline void det_enter(struct det_thread *t)
{
    t->in_runtime++;
    det_tls_internal++;
}
static inline void det_leave(struct det_thread *t)
{
    det_tls_internal--;
    t->in_runtime--;
}

#pragma GCC visibility pop

#endif
