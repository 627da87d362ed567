/* SPDX-License-Identifier: MIT */
/*
 * This file intercepts the malloc family and the libc memory functions:
 *
 *  - Heap blocks are recorded (address, size, allocation stack, goroutine)
 *    so that a race on heap memory says which block it is and where it was
 *    allocated, and free() forgets the shadow and sync objects of the
 *    block: memory reused by a later malloc starts with no history (no
 *    false race between the old and the new owner).
 *  - memcpy, memmove, memset (and their _chk forms) check the ranges they
 *    read and write, as TSan's interceptors do.
 *
 * The real allocator is glibc's, through its exported __libc_* entry
 * points: no dlsym (which itself allocates) is needed to reach it. The
 * detector's own allocations (in_runtime set) are not recorded.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <link.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>

#include "detector_impl.h"

#define API __attribute__((visibility("default")))
#define PC() ((uintptr_t)__builtin_return_address(0))

void *__libc_malloc(size_t);
void *__libc_calloc(size_t, size_t);
void *__libc_realloc(void *, size_t);
void *__libc_memalign(size_t, size_t);
void __libc_free(void *);

/* ---- who is calling -------------------------------------------------------------- */

/* The code of the detector and of libgosan, and of the libraries that work
 * only on their behalf (libunwind, libdw, libelf, json-c): their calls to
 * malloc and memcpy (clocks, traces, reports, unwinding) are not the
 * program's accesses and must not be checked or recorded — and their
 * calls to pthread_mutex_lock must not be interposed: libunwind takes its
 * own lock while it unwinds for a report, which would unwind again. */
#define OWN_OBJECTS 6
static struct {
    uintptr_t lo, hi;
} own_code[OWN_OBJECTS];

struct find_object {
    uintptr_t base;
    uintptr_t lo, hi;
};

static int find_object_cb(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)size;
    struct find_object *f = arg;
    if (info->dlpi_addr != f->base)
        return 0;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD)
            continue;
        uintptr_t lo = info->dlpi_addr + ph->p_vaddr;
        uintptr_t hi = lo + ph->p_memsz;
        if (!f->lo || lo < f->lo)
            f->lo = lo;
        if (hi > f->hi)
            f->hi = hi;
    }
    return 1;
}

static void find_own_code(int i, void *symbol)
{
    Dl_info info;
    if (!dladdr(symbol, &info))
        return;
    struct find_object f = { (uintptr_t)info.dli_fbase, 0, 0 };
    dl_iterate_phdr(find_object_cb, &f);
    own_code[i].lo = f.lo;
    own_code[i].hi = f.hi;
}

static inline bool internal_caller(uintptr_t pc)
{
    for (int i = 0; i < OWN_OBJECTS; i++)
        if (pc >= own_code[i].lo && pc < own_code[i].hi)
            return true;
    return false;
}

bool det_internal_caller(uintptr_t pc)
{
    return internal_caller(pc);
}

/* ---- the block table ---------------------------------------------------------- */

#define STRIPES 1024

struct block {
    struct det_heap_block b;
    struct block *next;
};

static struct {
    struct det_spin lock;
    struct block *head;
} stripes[STRIPES];

static struct block *free_records; /* recycled records; records_lock */
static struct det_spin records_lock;

static struct det_spin *stripe_lock(uintptr_t p, struct block ***head)
{
    size_t i = (p >> 4) * 0x9e3779b97f4a7c15ull >> 54 & (STRIPES - 1);
    *head = &stripes[i].head;
    return &stripes[i].lock;
}

static struct block *record_alloc(void)
{
    det_spin_lock(&records_lock);
    struct block *r = free_records;
    if (r)
        free_records = r->next;
    det_spin_unlock(&records_lock);
    if (!r)
        r = __libc_malloc(sizeof *r);
    return r;
}

static void record_free(struct block *r)
{
    det_spin_lock(&records_lock);
    r->next = free_records;
    free_records = r;
    det_spin_unlock(&records_lock);
}

/* track records a new block, when the program allocated it. */
static void track(void *p, size_t size, uintptr_t pc)
{
    if (!p || !det_global.enabled || internal_caller(pc))
        return;
    struct det_thread *t = det_tls_cur;
    if (det_tls_internal || (t && t->in_runtime))
        return;
    struct block *r = record_alloc();
    if (!r)
        return;
    r->b.addr = (uintptr_t)p;
    r->b.size = size;
    r->b.goid = t ? t->goid : 0;
    r->b.thread_id = t ? t->thread_id : 0;
    r->b.alloc_stack = 0;
    if (t) {
        uintptr_t pcs[REP_MAX_FRAMES];
        int n = det_stack_of_thread(t, pc, pcs, REP_MAX_FRAMES);
        det_enter(t);
        r->b.alloc_stack = det_depot_put(pcs, n);
        det_leave(t);
    }
    struct block **head;
    struct det_spin *l = stripe_lock((uintptr_t)p, &head);
    det_spin_lock(l);
    r->next = *head;
    *head = r;
    det_spin_unlock(l);
}

/* untrack forgets the block at p and everything about its memory. */
static void untrack(void *p)
{
    if (!p || !det_global.enabled)
        return;
    struct block **head;
    struct det_spin *l = stripe_lock((uintptr_t)p, &head);
    det_spin_lock(l);
    struct block **pr = head;
    while (*pr && (*pr)->b.addr != (uintptr_t)p)
        pr = &(*pr)->next;
    struct block *r = *pr;
    if (r)
        *pr = r->next;
    det_spin_unlock(l);
    /* All of the chunk (free() wrote all of it, up to its usable size). */
    size_t size = malloc_usable_size(p);
    if (r && r->b.size > size)
        size = r->b.size;
    if (r)
        record_free(r);
    det_shadow_reset((uintptr_t)p, size);
    det_sync_free_range((uintptr_t)p, (uintptr_t)p + size);
}

bool det_heap_find(uintptr_t addr, struct det_heap_block *out)
{
    /* Reports only: a scan of every block. */
    for (size_t i = 0; i < STRIPES; i++) {
        det_spin_lock(&stripes[i].lock);
        for (struct block *r = stripes[i].head; r; r = r->next) {
            if (addr >= r->b.addr && addr < r->b.addr + r->b.size) {
                *out = r->b;
                det_spin_unlock(&stripes[i].lock);
                return true;
            }
        }
        det_spin_unlock(&stripes[i].lock);
    }
    return false;
}

/* det_heap_each calls fn for every live block of the program's, a stripe
 * of the table locked at a time: fn may allocate (the detector's own
 * allocations are not recorded) but not free a program block. */
void det_heap_each(void (*fn)(uintptr_t lo, size_t size, void *arg),
                   void *arg)
{
    for (size_t i = 0; i < STRIPES; i++) {
        det_spin_lock(&stripes[i].lock);
        for (struct block *r = stripes[i].head; r; r = r->next)
            fn(r->b.addr, r->b.size, arg);
        det_spin_unlock(&stripes[i].lock);
    }
}

static inline bool checking(struct det_thread **t, uintptr_t pc);

/* ---- the malloc family ---------------------------------------------------------- */

API void *malloc(size_t size)
{
    void *p = __libc_malloc(size);
    track(p, size, PC());
    return p;
}

API void *calloc(size_t n, size_t size)
{
    void *p = __libc_calloc(n, size);
    track(p, n * size, PC());
    return p;
}

API void *realloc(void *old, size_t size)
{
    if (!old)
        return malloc(size);
    if (size == 0) {
        free(old);
        return NULL;
    }
    /* The detector's own blocks are in no table (and it may realloc while
     * it holds one of the table's locks: det_heap_each). */
    if (PC() >= own_code[0].lo && PC() < own_code[0].hi)
        return __libc_realloc(old, size);
    /* The old block's accesses must not carry over into the new block
     * (possibly at the same address, possibly handed to somebody else). */
    struct det_thread *t = det_tls_cur;
    size_t old_size = malloc_usable_size(old);
    if (t && !t->in_runtime && det_global.enabled && !internal_caller(PC()) &&
        det_instrumented_caller(PC()))
        det_access_range(t, (uintptr_t)old, old_size < size ? old_size : size,
                         false, PC());
    void *p = __libc_realloc(old, size);
    if (p) {
        untrack(old);
        track(p, size, PC());
    }
    return p;
}

API void free(void *p)
{
    if (!p)
        return;
    /* The detector's own memory never had shadow. The runtime's may (a
     * channel is accessed as a location): forget it like the program's. */
    uintptr_t pc = PC();
    if (!(pc >= own_code[0].lo && pc < own_code[0].hi)) {
        /* Freeing is a write of the block (as in TSan): an access that
         * nothing orders before the free races with it. The first 64 KiB
         * are checked; a race deeper in a huge block is left unseen. */
        struct det_thread *t;
        if (checking(&t, pc)) {
            size_t size = malloc_usable_size(p);
            det_access_range(t, (uintptr_t)p, size < 65536 ? size : 65536,
                             true, pc);
        }
        untrack(p);
    }
    __libc_free(p);
}

API void cfree(void *p)
{
    free(p);
}

API int posix_memalign(void **out, size_t align, size_t size)
{
    if (align < sizeof(void *) || (align & (align - 1)))
        return EINVAL;
    void *p = __libc_memalign(align, size);
    if (!p)
        return ENOMEM;
    track(p, size, PC());
    *out = p;
    return 0;
}

API void *aligned_alloc(size_t align, size_t size)
{
    void *p = __libc_memalign(align, size);
    track(p, size, PC());
    return p;
}

API void *memalign(size_t align, size_t size)
{
    void *p = __libc_memalign(align, size);
    track(p, size, PC());
    return p;
}

API void *valloc(size_t size)
{
    void *p = __libc_memalign(4096, size);
    track(p, size, PC());
    return p;
}

/* ---- memcpy and friends ---------------------------------------------------------- */

static void *(*real_memcpy)(void *, const void *, size_t);
static void *(*real_memmove)(void *, const void *, size_t);
static void *(*real_memset)(void *, int, size_t);

/* Until the real functions are resolved (calls made before the detector's
 * constructor), byte loops that the compiler must not turn back into
 * calls. */
__attribute__((optimize("no-tree-loop-distribute-patterns")))
static void *slow_move(void *dst, const void *src, size_t n)
{
    unsigned char *d = dst;
    const unsigned char *s = src;
    if (d < s) {
        for (size_t i = 0; i < n; i++)
            d[i] = s[i];
    } else {
        for (size_t i = n; i > 0; i--)
            d[i - 1] = s[i - 1];
    }
    return dst;
}

__attribute__((optimize("no-tree-loop-distribute-patterns")))
static void *slow_set(void *dst, int v, size_t n)
{
    unsigned char *d = dst;
    for (size_t i = 0; i < n; i++)
        d[i] = (unsigned char)v;
    return dst;
}

void det_heap_init(void)
{
    det_tls_internal++;
    find_own_code(0, (void *)det_heap_init);
    find_own_code(1, (void *)rep_options);
    static const char *const helpers[] = {
        "unw_backtrace", "dwfl_begin", "elf_version", "json_object_new_object",
    };
    for (int i = 0; i < 4; i++) {
        void *sym = dlsym(RTLD_DEFAULT, helpers[i]);
        if (sym)
            find_own_code(2 + i, sym);
    }
    void *libc = dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD);
    if (libc) {
        real_memcpy = (void *(*)(void *, const void *, size_t))dlsym(libc,
                                                                    "memcpy");
        real_memmove = (void *(*)(void *, const void *, size_t))dlsym(
            libc, "memmove");
        real_memset = (void *(*)(void *, int, size_t))dlsym(libc, "memset");
        dlclose(libc);
    }
    det_tls_internal--;
}

static inline bool checking(struct det_thread **t, uintptr_t pc)
{
    *t = det_tls_cur;
    return det_global.enabled && *t && !(*t)->in_runtime &&
           !det_tls_internal && !internal_caller(pc) &&
           det_instrumented_caller(pc);
}

API void *memcpy(void *dst, const void *src, size_t n)
{
    struct det_thread *t;
    if (checking(&t, PC()) && n) {
        det_access_range(t, (uintptr_t)src, n, false, PC());
        det_access_range(t, (uintptr_t)dst, n, true, PC());
    }
    return real_memcpy ? real_memcpy(dst, src, n) : slow_move(dst, src, n);
}

API void *memmove(void *dst, const void *src, size_t n)
{
    struct det_thread *t;
    if (checking(&t, PC()) && n) {
        det_access_range(t, (uintptr_t)src, n, false, PC());
        det_access_range(t, (uintptr_t)dst, n, true, PC());
    }
    return real_memmove ? real_memmove(dst, src, n) : slow_move(dst, src, n);
}

API void *memset(void *dst, int v, size_t n)
{
    struct det_thread *t;
    if (checking(&t, PC()) && n)
        det_access_range(t, (uintptr_t)dst, n, true, PC());
    return real_memset ? real_memset(dst, v, n) : slow_set(dst, v, n);
}

API void *__memcpy_chk(void *dst, const void *src, size_t n, size_t dstlen)
{
    if (n > dstlen)
        abort(); /* what glibc's __chk_fail does, minus the message */
    return memcpy(dst, src, n);
}

API void *__memmove_chk(void *dst, const void *src, size_t n, size_t dstlen)
{
    if (n > dstlen)
        abort();
    return memmove(dst, src, n);
}

API void *__memset_chk(void *dst, int v, size_t n, size_t dstlen)
{
    if (n > dstlen)
        abort();
    return memset(dst, v, n);
}
