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

#include "runtime_impl.h"

static const struct rt_hooks no_hooks;

bool rt__hooks_on;
const struct rt_hooks *rt__hooks = &no_hooks;

void rt_hooks_install(const struct rt_hooks *h)
{
    rt__hooks = h ? h : &no_hooks;
    __atomic_store_n(&rt__hooks_on, h != NULL, __ATOMIC_RELEASE);
}

void rt__hooks_init(void)
{
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
