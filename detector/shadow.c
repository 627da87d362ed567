/* SPDX-License-Identifier: MIT */
/*
 * This file implements shadow memory: four 64-bit cells for every 8-byte
 * word of the address space (detector_impl.h has the cell format).
 *
 * The detector is preloaded into programs laid out by the kernel with ASLR
 * (the executable near 0x55..., libraries and stacks near 0x7f...), so a
 * fixed linear mapping like TSan's cannot be reserved. Instead the address
 * space is cut into 4 GiB regions; the first access to a region reserves
 * its 16 GiB of shadow (MAP_NORESERVE: pages cost memory only once
 * touched) and records it in a flat table indexed by addr >> 32. A lookup
 * is one table load and an add: the table's few live entries stay cached.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "detector_impl.h"

#define LEAF_APP_BYTES (1ull << DET_LEAF_SHIFT)
#define LEAF_SHADOW_BYTES (LEAF_APP_BYTES / 8 * DET_CELLS * sizeof(uint64_t))
#define PAGE 4096ul

uint64_t *_Atomic det_shadow_l1[1u << (DET_VA_BITS - DET_LEAF_SHIFT)];
static struct det_spin leaf_lock;

uint64_t *det_shadow_leaf_slow(uintptr_t addr)
{
    uintptr_t top = addr >> DET_LEAF_SHIFT;
    det_spin_lock(&leaf_lock);
    uint64_t *leaf = atomic_load(&det_shadow_l1[top]);
    if (!leaf) {
        void *p = mmap(NULL, LEAF_SHADOW_BYTES, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (p == MAP_FAILED)
            DET_THROW("cannot reserve %llu bytes of shadow memory: %s",
                      (unsigned long long)LEAF_SHADOW_BYTES, strerror(errno));
        leaf = p;
        atomic_store_explicit(&det_shadow_l1[top], leaf, memory_order_release);
    }
    det_spin_unlock(&leaf_lock);
    return leaf;
}

/* reset_resident zeroes the shadow in [lo, hi) page by page, skipping
 * pages that were never touched (mincore says so): a dead goroutine's
 * 256 KiB stack has 1 MiB of shadow, of which a page or two is in use, and
 * MADV_DONTNEED costs tens of microseconds per call on these VMs. */
static void reset_resident(char *lo, char *hi)
{
    char *plo = (char *)(((uintptr_t)lo + PAGE - 1) & ~(PAGE - 1));
    char *phi = (char *)((uintptr_t)hi & ~(PAGE - 1));
    if (plo >= phi) {
        memset(lo, 0, (size_t)(hi - lo));
        return;
    }
    memset(lo, 0, (size_t)(plo - lo));
    memset(phi, 0, (size_t)(hi - phi));
    size_t npages = (size_t)(phi - plo) / PAGE;
    unsigned char vec[256];
    for (size_t done = 0; done < npages;) {
        size_t n = npages - done < sizeof vec ? npages - done : sizeof vec;
        char *base = plo + done * PAGE;
        if (mincore(base, n * PAGE, vec) != 0) {
            memset(base, 0, n * PAGE);
        } else {
            for (size_t i = 0; i < n; i++)
                if (vec[i] & 1)
                    memset(base + i * PAGE, 0, PAGE);
        }
        done += n;
    }
}

void det_shadow_reset(uintptr_t addr, size_t size)
{
    if (!size)
        return;
    uintptr_t lo = addr & ~(uintptr_t)7;
    uintptr_t end = addr + size;
    while (lo < end) {
        uintptr_t top = lo >> DET_LEAF_SHIFT;
        if (top >= (1u << (DET_VA_BITS - DET_LEAF_SHIFT)))
            return;
        uintptr_t leaf_end = (top + 1) << DET_LEAF_SHIFT;
        uintptr_t hi = end < leaf_end ? end : leaf_end;
        uint64_t *leaf = atomic_load_explicit(&det_shadow_l1[top],
                                              memory_order_acquire);
        if (leaf) {
            char *s = (char *)(leaf + ((lo & 0xffffffffu) >> 3) * DET_CELLS);
            char *e = (char *)(leaf + (((hi - 1) & 0xffffffffu) >> 3) *
                                          DET_CELLS + DET_CELLS);
            if (e - s <= (ptrdiff_t)(4 * PAGE))
                memset(s, 0, (size_t)(e - s));
            else
                reset_resident(s, e);
        }
        lo = hi;
    }
}
