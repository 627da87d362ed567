/* SPDX-License-Identifier: MIT */
/*
 * This file implements goroutine slots: a goroutine's stack with its
 * struct rt_g at the top, carved from large mappings ("slabs"), guarded,
 * pooled after exit, and given back to the OS beyond a bound. It also
 * implements the stack overflow detector.
 *
 * Why slots, slabs and MADV_GUARD_INSTALL (runtime/README.md has the long
 * version): a million parked goroutines must fit in the default
 * vm.max_map_count of 65530. One mmap per stack with an mprotect'ed guard
 * page costs two VMAs per goroutine, so it stops near 32k goroutines.
 * Instead, a slab is one anonymous mapping holding many slots, and each
 * slot's guard region is installed with madvise(MADV_GUARD_INSTALL)
 * (Linux 6.13+), which marks page-table entries without splitting the VMA.
 * On older kernels the first slots get mprotect guards while a VMA budget
 * lasts, and the rest get a canary word checked at every switch away from
 * the goroutine: overflow is then reported after the fact, but reported.
 *
 * Slot layout (addresses increase to the right):
 *   [ guard (stack_guard bytes) | stack ... | struct rt_g ]
 * The struct rt_g shares the stack's top page with the first frames, so
 * a parked goroutine that used less than a page of stack costs one page.
 *
 * Invariants:
 *  - A slot's guard is installed once, when its slab is mapped, and never
 *    removed; MADV_DONTNEED keeps guard markers.
 *  - Every slot ever carved is in sched.allg (the struct rt_g of a slot
 *    whose memory went back to the OS reads as zero, i.e. RT_G_FREE).
 *  - Cold slots (memory returned) are tracked outside the slots, in
 *    cold_slots[], because writing into a cold slot would fault it in.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "reports.h"
#include "runtime_impl.h"

#ifndef MADV_GUARD_INSTALL
#define MADV_GUARD_INSTALL 102
#endif

#define STACK_CANARY 0x6f73616e67756172ull /* "raugnaso" */
#define ALTSTACK_SIZE (256 * 1024)
#define SLAB_TARGET_BYTES (32u << 20)
#define G_AREA (((sizeof(struct rt_g) + 63) / 64) * 64)
/* The whole struct rt_g lies in its slot's top page (populate_top and
 * rt__gslot_prefault fault in that page by touching it). */
_Static_assert(G_AREA <= 4096, "struct rt_g outgrew a page");
/* Slots at most in the prefault pipeline (pending + in progress + done):
 * a bound on the memory committed ahead of need, PREFAULT_MAX pages. */
#define PREFAULT_MAX 64
#define PREFAULT_REFILL 8

enum guard_mode {
    GUARD_MADVISE,  /* MADV_GUARD_INSTALL: free guards */
    GUARD_MPROTECT, /* PROT_NONE guard, costs VMAs: within a budget */
    GUARD_NONE,     /* no guard page: only the canary word */
};

static struct {
    struct rt_lock lock;       /* protects every field below */
    size_t page;
    size_t stack_size;         /* usable stack + G area */
    size_t guard_size;
    size_t slot_size;          /* guard + stack */
    size_t slots_per_slab;
    char *slab;                /* current slab being carved */
    size_t slab_next;          /* next unused slot index in it */
    bool madvise_guard_works;
    long mprotect_budget;      /* guard pages we may still mprotect */
    size_t hot_limit;          /* slots kept hot in the global pool */
    struct rt_g **cold_slots;  /* slots whose memory went back to the OS */
    size_t ncold, cold_cap;
    /* The prefault pipeline (see rt__gslot_prefault): slots with no
     * memory yet, waiting for a spinning M to fault their top page in;
     * slots being faulted in; slots whose top page is resident. Every
     * one of them is already in allg (and reads RT_G_FREE). */
    struct rt_g *pending[PREFAULT_MAX];
    size_t npending, nprefaulting;
    struct rt_g *prefaulted[PREFAULT_MAX];
    size_t nprefaulted;
    /* Slab address ranges, for the overflow handler (append-only). */
    uintptr_t *slab_lo;
    _Atomic size_t nslabs;
    size_t slab_cap;
} stacks = { .madvise_guard_works = true };

/* stacks.npending, readable without the lock: a spinning M looks at it
 * on every round of its spin loop. */
static _Atomic size_t npending_hint;

static struct sigaction previous_segv, previous_bus;

/* True once guard pages could not be installed with MADV_GUARD_INSTALL:
 * every slot then carries a canary word checked at each switch. */
bool rt__stack_canaries;

static size_t round_up(size_t x, size_t to)
{
    return (x + to - 1) / to * to;
}

/* ---- allg ------------------------------------------------------------- */

void rt__allg_add(struct rt_g *g)
{
    rt__lock(&rt__sched.allg_lock);
    size_t n = atomic_load_explicit(&rt__sched.nallg, memory_order_relaxed);
    if (n == rt__sched.allg_cap) {
        size_t cap = rt__sched.allg_cap ? rt__sched.allg_cap * 2 : 1024;
        /* Readers may be walking the old array: keep it alive (leaked; it
         * is at most half the size of the new one). */
        struct rt_g **a = malloc(cap * sizeof *a);
        if (!a)
            RT_THROW("out of memory growing the goroutine table");
        if (n)
            memcpy(a, rt__sched.allg, n * sizeof *a);
        atomic_thread_fence(memory_order_release);
        rt__sched.allg = a;
        rt__sched.allg_cap = cap;
    }
    rt__sched.allg[n] = g;
    atomic_store_explicit(&rt__sched.nallg, n + 1, memory_order_release);
    rt__unlock(&rt__sched.allg_lock);
}

/* ---- slabs -------------------------------------------------------------- */

static void guard_budget_init(void)
{
    long max_maps = 65530;
    FILE *f = fopen("/proc/sys/vm/max_map_count", "re");
    if (f) {
        if (fscanf(f, "%ld", &max_maps) != 1)
            max_maps = 65530;
        fclose(f);
    }
    /* Leave half of the map count to the program and the libraries;
     * each guard may split one VMA into three. */
    stacks.mprotect_budget = max_maps / 2 / 2;
}

static void slab_record(char *slab)
{
    size_t n = atomic_load_explicit(&stacks.nslabs, memory_order_relaxed);
    if (n == stacks.slab_cap) {
        size_t cap = stacks.slab_cap ? stacks.slab_cap * 2 : 64;
        uintptr_t *a = malloc(cap * sizeof *a);
        if (!a)
            RT_THROW("out of memory recording stack slabs");
        if (n)
            memcpy(a, stacks.slab_lo, n * sizeof *a);
        atomic_thread_fence(memory_order_release);
        stacks.slab_lo = a; /* the old array is leaked for lock-free readers */
        stacks.slab_cap = cap;
    }
    stacks.slab_lo[n] = (uintptr_t)slab;
    atomic_store_explicit(&stacks.nslabs, n + 1, memory_order_release);
}

/* install_guard protects [lo, lo+len) and returns the mode used. Called
 * with stacks.lock held. */
static enum guard_mode install_guard(char *lo, size_t len)
{
    if (stacks.madvise_guard_works) {
        if (madvise(lo, len, MADV_GUARD_INSTALL) == 0)
            return GUARD_MADVISE;
        stacks.madvise_guard_works = false;
        rt__stack_canaries = true;
    }
    if (stacks.mprotect_budget > 0 && mprotect(lo, len, PROT_NONE) == 0) {
        stacks.mprotect_budget--;
        return GUARD_MPROTECT;
    }
    return GUARD_NONE;
}

static void new_slab(void)
{
    size_t bytes = stacks.slots_per_slab * stacks.slot_size;
    char *slab = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (slab == MAP_FAILED)
        RT_THROW("cannot map %zu bytes for goroutine stacks: %s", bytes,
                 strerror(errno));
    slab_record(slab);
    stacks.slab = slab;
    stacks.slab_next = 0;
}

/* populate_top commits the top page of a slot that has no memory (new, or
 * given back by the scavenger) before the goroutine's first touch: on these
 * VMs a first-touch page fault costs 11-50 us, madvise(MADV_POPULATE_WRITE)
 * of the same page 2-8 us. A goroutine that only parks never needs more
 * than that page. Kernels before 5.14 say EINVAL: then faults it is. */
static _Atomic bool populate_unsupported;

static void populate_top(struct rt_g *g)
{
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif
    if (atomic_load_explicit(&populate_unsupported, memory_order_relaxed))
        return;
    uintptr_t page = ((uintptr_t)g + G_AREA - 1) & ~(uintptr_t)4095;
    if (madvise((void *)page, 4096, MADV_POPULATE_WRITE) && errno == EINVAL)
        atomic_store_explicit(&populate_unsupported, true,
                              memory_order_relaxed);
}

/* reset_slot initializes the struct rt_g at the top of slot. */
static void reset_slot(struct rt_g *g, char *slot)
{
    memset(g, 0, sizeof *g);
    g->flags = RT_GF_SLOT;
    g->guard_lo = (uintptr_t)slot;
    g->stack_lo = (uintptr_t)slot + stacks.guard_size;
    g->stack_hi = (uintptr_t)g;
    rt__timer_init(&g->sleep_timer, NULL, g);
    if (rt__stack_canaries)
        *(uint64_t *)g->stack_lo = STACK_CANARY;
}

static struct rt_g *carve_slot(void)
{
    if (!stacks.slab || stacks.slab_next == stacks.slots_per_slab)
        new_slab();
    char *slot = stacks.slab + stacks.slab_next++ * stacks.slot_size;
    (void)install_guard(slot, stacks.guard_size);
    return (struct rt_g *)(slot + stacks.slot_size - G_AREA);
}

/* take_unfaulted returns a slot whose memory nobody has touched: a
 * pending one, a cold one, or a newly carved one (*carved set: the caller
 * adds it to allg). Called with stacks.lock held. */
static struct rt_g *take_unfaulted(bool *carved)
{
    *carved = false;
    if (stacks.npending > 0) {
        struct rt_g *g = stacks.pending[--stacks.npending];
        atomic_store_explicit(&npending_hint, stacks.npending,
                              memory_order_relaxed);
        return g;
    }
    if (stacks.ncold > 0)
        return stacks.cold_slots[--stacks.ncold];
    *carved = true;
    return carve_slot();
}

/* refill_pending adds up to PREFAULT_REFILL slots to the prefault
 * pipeline (at most PREFAULT_MAX in it), from the cold slots and then new
 * ones; the carved ones go to added[] (the caller adds them to allg once
 * stacks.lock is released). Only a program that runs out of cached slots
 * gets here, so the pipeline holds slots it is about to need. A few at a
 * time, because carving costs a system call (the guard) under the lock
 * that a prefaulting M takes too. Called with stacks.lock held; returns
 * how many it carved. */
static size_t refill_pending(struct rt_g **added)
{
    size_t nadded = 0;
    for (int i = 0; i < PREFAULT_REFILL &&
                    stacks.npending + stacks.nprefaulting +
                            stacks.nprefaulted < PREFAULT_MAX; i++) {
        if (stacks.ncold > 0) {
            stacks.pending[stacks.npending++] =
                stacks.cold_slots[--stacks.ncold];
        } else {
            struct rt_g *g = carve_slot();
            stacks.pending[stacks.npending++] = g;
            added[nadded++] = g;
        }
    }
    atomic_store_explicit(&npending_hint, stacks.npending,
                          memory_order_relaxed);
    return nadded;
}

/* rt__gslot_alloc returns a fresh slot: one a spinning M already faulted
 * in if any, else a cold or newly carved one. The caller has already
 * looked in the free lists. */
struct rt_g *rt__gslot_alloc(void)
{
    struct rt_g *added[PREFAULT_REFILL + 1];
    size_t nadded = 0;
    rt__lock(&stacks.lock);
    if (stacks.nprefaulted > 0) {
        struct rt_g *g = stacks.prefaulted[--stacks.nprefaulted];
        rt__unlock(&stacks.lock);
        reset_slot(g, (char *)g + G_AREA - stacks.slot_size);
        return g;
    }
    bool carved;
    struct rt_g *g = take_unfaulted(&carved);
    if (carved)
        added[nadded++] = g;
    nadded += refill_pending(added + nadded);
    rt__unlock(&stacks.lock);
    for (size_t i = 0; i < nadded; i++)
        rt__allg_add(added[i]);
    populate_top(g);
    reset_slot(g, (char *)g + G_AREA - stacks.slot_size);
    return g;
}

/* rt__gslot_prefault faults in the top page of one pending slot, for an M
 * that is spinning with nothing to run; returns false when there was
 * nothing to do.
 *
 * Why: on these VMs (PVM guests) the first user-mode access to a page
 * costs 15-40 us, of which MADV_POPULATE_WRITE saves only the guest's
 * part: the hypervisor's shadow page-table entry is made only by the
 * access itself. But it is made for the whole VM: a page touched once by
 * any vCPU is then free for every thread. A program that spawns
 * goroutines faster than slots come back (100k goroutines that park)
 * would pay that once per goroutine on the spawning thread, serially;
 * the spinning M, which would otherwise only pause, pays it instead, in
 * parallel, and the spawner takes the slot ready (measured: 20 us per page
 * first touch, 0.05 us after another thread touched it).
 *
 * The touch is an atomic add of 0 to the slot's (free, zero) status word,
 * which lies in the top page: a write that changes nothing, atomic for
 * the allg walkers that may read it, and outside any stack frame. The
 * pipeline is bounded (PREFAULT_MAX pages committed ahead of need) and
 * filled only by rt__gslot_alloc, so an idle program prefaults nothing. */
bool rt__gslot_prefault(void)
{
    if (atomic_load_explicit(&npending_hint, memory_order_relaxed) == 0)
        return false;
    rt__lock(&stacks.lock);
    if (stacks.npending == 0) {
        rt__unlock(&stacks.lock);
        return false;
    }
    struct rt_g *g = stacks.pending[--stacks.npending];
    stacks.nprefaulting++;
    atomic_store_explicit(&npending_hint, stacks.npending,
                          memory_order_relaxed);
    rt__unlock(&stacks.lock);
    populate_top(g); /* the guest's part, cheaper than a fault */
    atomic_fetch_add_explicit(&g->status, 0, memory_order_relaxed);
    rt__lock(&stacks.lock);
    stacks.nprefaulting--;
    stacks.prefaulted[stacks.nprefaulted++] = g;
    rt__unlock(&stacks.lock);
    return true;
}

/* release_cold returns the memory of the n slots in v to the OS and keeps
 * them as cold slots. Adjacent slots are released with one madvise: on
 * these VMs a call costs ~80 us whatever its size, and DONTNEED keeps the
 * guard markers inside the range. */
static int compare_addr(const void *a, const void *b)
{
    uintptr_t x = *(const uintptr_t *)a, y = *(const uintptr_t *)b;
    return x < y ? -1 : x > y;
}

static void release_cold(struct rt_g **v, size_t n)
{
    qsort(v, n, sizeof *v, compare_addr);
    size_t i = 0;
    while (i < n) {
        char *lo = (char *)v[i] + G_AREA - stacks.slot_size + stacks.guard_size;
        char *hi = (char *)v[i] + G_AREA;
        size_t j = i + 1;
        while (j < n && (char *)v[j] + G_AREA - stacks.slot_size == hi) {
            hi = (char *)v[j] + G_AREA;
            j++;
        }
        if (madvise(lo, (size_t)(hi - lo), MADV_DONTNEED))
            RT_THROW("madvise(MADV_DONTNEED) of stacks: %s", strerror(errno));
        i = j;
    }
    rt__lock(&stacks.lock);
    if (stacks.ncold + n > stacks.cold_cap) {
        size_t cap = stacks.cold_cap ? stacks.cold_cap : 1024;
        while (cap < stacks.ncold + n)
            cap *= 2;
        struct rt_g **a = realloc(stacks.cold_slots, cap * sizeof *a);
        if (!a)
            RT_THROW("out of memory tracking cold stacks");
        stacks.cold_slots = a;
        stacks.cold_cap = cap;
    }
    memcpy(stacks.cold_slots + stacks.ncold, v, n * sizeof *v);
    stacks.ncold += n;
    rt__unlock(&stacks.lock);
}

bool rt__stack_scavenge_pending(void)
{
    return (size_t)rt__sched.ngfree > stacks.hot_limit;
}

size_t rt__stack_scavenge(void)
{
    /* What stayed unused in the global cache for a whole period, beyond
     * the hot limit, goes (Go's background scavenger, in miniature). */
    rt__lock(&rt__sched.gfree_lock);
    int32_t low = rt__sched.ngfree_low < rt__sched.ngfree
                      ? rt__sched.ngfree_low
                      : rt__sched.ngfree;
    long excess = (long)low - (long)stacks.hot_limit;
    struct rt_g **v = NULL;
    size_t n = 0;
    if (excess > 0)
        v = malloc((size_t)excess * sizeof *v);
    while (v && n < (size_t)excess && rt__sched.gfree) {
        struct rt_g *g = rt__sched.gfree;
        rt__sched.gfree = g->sched_link;
        rt__sched.ngfree--;
        v[n++] = g;
    }
    rt__sched.ngfree_low = rt__sched.ngfree;
    rt__unlock(&rt__sched.gfree_lock);
    if (n)
        release_cold(v, n);
    free(v);
    return n;
}

size_t rt__gslot_hot_limit(void)
{
    return stacks.hot_limit;
}

size_t rt__stack_size(void)
{
    return stacks.stack_size - G_AREA;
}

bool rt__stack_check_canary(struct rt_g *g)
{
    return *(uint64_t *)g->stack_lo == STACK_CANARY;
}

/* ---- overflow detection ------------------------------------------------- */

static bool in_guard(struct rt_g *g, uintptr_t addr)
{
    return g && g->guard_lo && g->guard_lo < g->stack_lo &&
           addr >= g->guard_lo && addr < g->stack_lo;
}

/* slot_of returns the goroutine whose guard region holds addr, if any. */
static struct rt_g *guard_owner(uintptr_t addr)
{
    size_t n = atomic_load_explicit(&stacks.nslabs, memory_order_acquire);
    size_t slab_bytes = stacks.slots_per_slab * stacks.slot_size;
    for (size_t i = 0; i < n; i++) {
        uintptr_t lo = stacks.slab_lo[i];
        if (addr < lo || addr >= lo + slab_bytes)
            continue;
        size_t idx = (addr - lo) / stacks.slot_size;
        uintptr_t slot = lo + idx * stacks.slot_size;
        if (addr < slot + stacks.guard_size)
            return (struct rt_g *)(slot + stacks.slot_size - G_AREA);
        return NULL;
    }
    return NULL;
}

RT_NORETURN void rt__stack_overflow(struct rt_g *g, uintptr_t sp,
                                    const void *ucontext);

static void overflow_handler(int sig, siginfo_t *si, void *uc)
{
    uintptr_t addr = (uintptr_t)si->si_addr;
    struct rt_m *m = rt__tls_m;
    struct rt_g *g = m ? m->curg : NULL;
    if (!in_guard(g, addr)) {
        struct rt_g *owner = guard_owner(addr);
        if (owner)
            g = owner;
        else if (!(m && in_guard(&m->g0, addr)))
            g = NULL;
        else
            g = &m->g0;
    }
    if (g) {
        uintptr_t sp = 0;
#if defined(__x86_64__)
        sp = (uintptr_t)((ucontext_t *)uc)->uc_mcontext.gregs[REG_RSP];
#elif defined(__aarch64__)
        sp = (uintptr_t)((ucontext_t *)uc)->uc_mcontext.sp;
#endif
        rt__stack_overflow(g, sp, uc);
    }
    /* Not ours: hand the fault to whoever had the signal before us. */
    struct sigaction *prev = sig == SIGSEGV ? &previous_segv : &previous_bus;
    if (prev->sa_flags & SA_SIGINFO) {
        prev->sa_sigaction(sig, si, uc);
        return;
    }
    if (prev->sa_handler == SIG_IGN || prev->sa_handler == SIG_DFL) {
        /* Re-raise with the default action once we return. */
        signal(sig, SIG_DFL);
        return;
    }
    prev->sa_handler(sig);
}

/* rt__stack_thread_init gives the calling M an alternate signal stack so
 * that the overflow handler can run when the goroutine's stack is full. */
void rt__stack_thread_init(struct rt_m *m)
{
    void *alt = mmap(NULL, ALTSTACK_SIZE, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (alt == MAP_FAILED)
        RT_THROW("cannot map a signal stack: %s", strerror(errno));
    stack_t ss = { .ss_sp = alt, .ss_size = ALTSTACK_SIZE, .ss_flags = 0 };
    stack_t old;
    /* Keep a signal stack the program installed on this thread, unless it
     * is too small for the overflow report (which unwinds and symbolizes):
     * sanitizers install a few pages, and their instrumented frames are
     * large. The replaced stack stays mapped: its owner may unmap it. */
    if (sigaltstack(NULL, &old) == 0 && !(old.ss_flags & SS_DISABLE) &&
        old.ss_size >= ALTSTACK_SIZE) {
        munmap(alt, ALTSTACK_SIZE);
        return;
    }
    if (sigaltstack(&ss, NULL))
        RT_THROW("sigaltstack: %s", strerror(errno));
    m->altstack = alt;
}

void rt__stack_init(void)
{
    const struct rep_options *o = rep_options();
    stacks.page = (size_t)sysconf(_SC_PAGESIZE);
    size_t want = o->stack_size < 16 * 1024 ? 16 * 1024 : o->stack_size;
    stacks.stack_size = round_up(want, stacks.page);
    stacks.guard_size = round_up(o->stack_guard ? o->stack_guard : 1,
                                 stacks.page);
    stacks.slot_size = stacks.stack_size + stacks.guard_size;
    stacks.slots_per_slab = SLAB_TARGET_BYTES / stacks.slot_size;
    if (stacks.slots_per_slab < 4)
        stacks.slots_per_slab = 4;
    stacks.hot_limit = o->stack_cache / stacks.slot_size;
    guard_budget_init();

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = overflow_handler;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGSEGV, &sa, &previous_segv);
    sigaction(SIGBUS, &sa, &previous_bus);
}

/* rt__g0_stack_alloc maps a scheduler stack for the main thread's M. */
void *rt__g0_stack_alloc(size_t size, uintptr_t *lo, uintptr_t *hi)
{
    size_t guard = stacks.page;
    char *p = mmap(NULL, size + guard, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED)
        RT_THROW("cannot map a scheduler stack: %s", strerror(errno));
    rt__lock(&stacks.lock);
    (void)install_guard(p, guard);
    rt__unlock(&stacks.lock);
    *lo = (uintptr_t)p + guard;
    *hi = (uintptr_t)p + guard + size;
    return p;
}
