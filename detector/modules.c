/* SPDX-License-Identifier: MIT */
/*
 * This file tells which loaded modules (the executable and its shared
 * libraries) were compiled for the race detector: those that import the
 * __tsan_* entry points that -fsanitize=thread instrumentation calls.
 *
 * Why: the memcpy/memmove/memset/realloc/free interceptors see every
 * caller, but only code compiled with -fsanitize=thread tells the detector
 * about its atomics and its other plain accesses. In an uninstrumented
 * library (glib's futex-based mutexes, a C11 release store) the ordering
 * behind a memcpy is invisible, so checking the memcpy reports races in
 * correct code. Like the plain accesses, these ranges are checked only for
 * instrumented callers; an uninstrumented program gets the blocking-bug
 * detectors and pthread happens-before, never a race it cannot justify.
 *
 * Invariants:
 *  - The table is an immutable sorted array, replaced whole (the old one
 *    is never freed: a reader may still hold it). It is rebuilt when a pc
 *    falls in no known module (a library loaded since), at most once per
 *    change of the loader's add/remove counters.
 *  - A module is instrumented when one of its dynamic relocations (RELA or
 *    PLT) names a symbol starting with "__tsan_".
 */
#define _GNU_SOURCE
#include <elf.h>
#include <link.h>
#include <stdlib.h>
#include <string.h>

#include "detector_impl.h"

struct module {
    uintptr_t lo, hi;
    bool instrumented;
};

struct module_table {
    int n;
    unsigned long long adds, subs; /* the loader's counters when built */
    struct module m[];
};

static struct module_table *_Atomic table;
static struct det_spin rebuild_lock;

/* dynamic_ptr: glibc relocates the dynamic section's pointers in place on
 * most targets, not on all: an unrelocated one is below the load base. */
static uintptr_t dynamic_ptr(const struct dl_phdr_info *info, ElfW(Addr) p)
{
    return p < info->dlpi_addr ? info->dlpi_addr + p : p;
}

static bool relocs_name_tsan(const ElfW(Rela) *r, size_t bytes,
                             const ElfW(Sym) *symtab, const char *strtab)
{
    for (size_t i = 0; i < bytes / sizeof *r; i++) {
        size_t sym = ELF64_R_SYM(r[i].r_info);
        if (sym && !strncmp(strtab + symtab[sym].st_name, "__tsan_", 7))
            return true;
    }
    return false;
}

static bool imports_tsan(const struct dl_phdr_info *info)
{
    const ElfW(Dyn) *dyn = NULL;
    for (int i = 0; i < info->dlpi_phnum; i++)
        if (info->dlpi_phdr[i].p_type == PT_DYNAMIC)
            dyn = (const ElfW(Dyn) *)(info->dlpi_addr +
                                      info->dlpi_phdr[i].p_vaddr);
    if (!dyn)
        return false;
    const ElfW(Sym) *symtab = NULL;
    const char *strtab = NULL;
    const ElfW(Rela) *rela = NULL, *jmprel = NULL;
    size_t rela_size = 0, jmprel_size = 0;
    bool is_rela = true;
    for (; dyn->d_tag != DT_NULL; dyn++) {
        switch (dyn->d_tag) {
        case DT_SYMTAB:
            symtab = (const ElfW(Sym) *)dynamic_ptr(info, dyn->d_un.d_ptr);
            break;
        case DT_STRTAB:
            strtab = (const char *)dynamic_ptr(info, dyn->d_un.d_ptr);
            break;
        case DT_RELA:
            rela = (const ElfW(Rela) *)dynamic_ptr(info, dyn->d_un.d_ptr);
            break;
        case DT_RELASZ:
            rela_size = dyn->d_un.d_val;
            break;
        case DT_JMPREL:
            jmprel = (const ElfW(Rela) *)dynamic_ptr(info, dyn->d_un.d_ptr);
            break;
        case DT_PLTRELSZ:
            jmprel_size = dyn->d_un.d_val;
            break;
        case DT_PLTREL:
            is_rela = dyn->d_un.d_val == DT_RELA;
            break;
        }
    }
    if (!symtab || !strtab)
        return false;
    return (rela && relocs_name_tsan(rela, rela_size, symtab, strtab)) ||
           (is_rela && jmprel &&
            relocs_name_tsan(jmprel, jmprel_size, symtab, strtab));
}

struct build {
    struct module_table *t;
    int cap;
};

static int add_module(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)size;
    struct build *b = arg;
    uintptr_t lo = 0, hi = 0;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD)
            continue;
        uintptr_t l = info->dlpi_addr + ph->p_vaddr;
        if (!lo || l < lo)
            lo = l;
        if (l + ph->p_memsz > hi)
            hi = l + ph->p_memsz;
    }
    if (!lo || b->t->n == b->cap)
        return 0;
    struct module *m = &b->t->m[b->t->n++];
    m->lo = lo;
    m->hi = hi;
    m->instrumented = imports_tsan(info);
    b->t->adds = info->dlpi_adds;
    b->t->subs = info->dlpi_subs;
    return 0;
}

static int compare_modules(const void *a, const void *b)
{
    const struct module *x = a, *y = b;
    return x->lo < y->lo ? -1 : x->lo > y->lo;
}

static int count_module(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)info;
    (void)size;
    ++*(int *)arg;
    return 0;
}

static int read_counters(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)size;
    unsigned long long *c = arg;
    c[0] = info->dlpi_adds;
    c[1] = info->dlpi_subs;
    return 1; /* every entry carries the same counters */
}

static struct module_table *rebuild(const struct module_table *seen)
{
    det_spin_lock(&rebuild_lock);
    struct module_table *cur = atomic_load(&table);
    if (cur != seen) { /* somebody rebuilt meanwhile */
        det_spin_unlock(&rebuild_lock);
        return cur;
    }
    det_tls_internal++;
    int n = 0;
    dl_iterate_phdr(count_module, &n);
    n += 8; /* loads racing with the count */
    struct module_table *t = calloc(1, sizeof *t + n * sizeof t->m[0]);
    if (t) {
        struct build b = { t, n };
        dl_iterate_phdr(add_module, &b);
        qsort(t->m, t->n, sizeof t->m[0], compare_modules);
        atomic_store(&table, t);
        cur = t;
    }
    det_tls_internal--;
    det_spin_unlock(&rebuild_lock);
    return cur;
}

static const struct module *find(const struct module_table *t, uintptr_t pc)
{
    int lo = 0, hi = t ? t->n : 0;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (pc < t->m[mid].lo)
            hi = mid;
        else if (pc >= t->m[mid].hi)
            lo = mid + 1;
        else
            return &t->m[mid];
    }
    return NULL;
}

bool det_instrumented_caller(uintptr_t pc)
{
    struct module_table *t = atomic_load_explicit(&table,
                                                  memory_order_acquire);
    const struct module *m = find(t, pc);
    if (det_likely(m))
        return m->instrumented;
    /* Unknown code: a library loaded since the table was built (or code
     * outside any module: JIT, a trampoline), which stays unchecked. */
    unsigned long long counters[2] = { 0, 0 };
    det_tls_internal++;
    dl_iterate_phdr(read_counters, counters);
    det_tls_internal--;
    if (t && t->adds == counters[0] && t->subs == counters[1])
        return false;
    t = rebuild(t);
    m = find(t, pc);
    return m && m->instrumented;
}
