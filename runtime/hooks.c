/* SPDX-License-Identifier: MIT */
/*
 * This file implements the hook table's installation (see hooks.h). The
 * table pointer is never NULL: with no detector it points to an empty
 * table and rt__hooks_on is false, so RT_HOOK is one predictable branch.
 *
 * A detector preloaded into the process (libgosan-detect.so) is found at
 * runtime initialization by looking up gosan_detector_hooks with dlsym: the
 * runtime links nothing of the detector's.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>

#include "runtime_impl.h"

static const struct rt_hooks no_hooks;

/* Until rt__libc_init runs, the default memcpy/memset (there is no
 * detector to hide them from before the runtime starts). */
static void *plain_memcpy(void *d, const void *s, size_t n)
{
    return memcpy(d, s, n);
}

static void *plain_memset(void *d, int v, size_t n)
{
    return memset(d, v, n);
}

void *(*rt__libc_memcpy)(void *, const void *, size_t) = plain_memcpy;
void *(*rt__libc_memset)(void *, int, size_t) = plain_memset;

void rt__libc_init(void)
{
    void *libc = dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD);
    if (!libc)
        return;
    void *c = dlsym(libc, "memcpy");
    void *s = dlsym(libc, "memset");
    if (c)
        rt__libc_memcpy = (void *(*)(void *, const void *, size_t))c;
    if (s)
        rt__libc_memset = (void *(*)(void *, int, size_t))s;
    dlclose(libc);
}

bool rt__hooks_on;
const struct rt_hooks *rt__hooks = &no_hooks;

void rt_hooks_install(const struct rt_hooks *h)
{
    rt__hooks = h ? h : &no_hooks;
    __atomic_store_n(&rt__hooks_on, h != NULL, __ATOMIC_RELEASE);
}

void rt__hooks_init(void)
{
    rt__libc_init();
    const struct rt_hooks *(*find)(void) =
        (const struct rt_hooks *(*)(void))dlsym(RTLD_DEFAULT,
                                                "gosan_detector_hooks");
    if (find) {
        const struct rt_hooks *h = find();
        if (h)
            rt_hooks_install(h);
    }
}

/* rt__deadlock_hook lets a detector report a global deadlock its own way
 * before the runtime prints Go's message. */
void rt__deadlock_hook(void)
{
    if (RT_HOOKS_ON() && rt__hooks->deadlock)
        rt__hooks->deadlock();
}

/* rt__object_alloc allocates zeroed runtime memory that the program holds
 * references through (see object_new in hooks.h). */
void *rt__object_alloc(size_t size)
{
    void *p = calloc(1, size);
    if (p)
        RT_HOOK(object_new, p, size);
    return p;
}

void rt__object_free(void *p)
{
    if (!p)
        return;
    RT_HOOK(object_free, p);
    free(p);
}
