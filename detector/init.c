/* SPDX-License-Identifier: MIT */
/*
 * This file implements the detector's start and end: initialization (from
 * the library constructor, __tsan_init, or whichever entry point comes
 * first), the exit summary ("Found N data race(s)", Go's words), and the
 * detector's own fatal error path.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "detector_impl.h"

struct det_global det_global;
__thread int det_tls_internal __attribute__((tls_model("initial-exec")));

void det_heap_init(void);
void ip_init(void);

static pthread_once_t init_once = PTHREAD_ONCE_INIT;

static void summary(void)
{
    uint64_t races = atomic_load(&det_global.races);
    if (races)
        rep_printf("Found %llu data race(s)\n", (unsigned long long)races);
}

static void init(void)
{
    det_tls_internal++;
    rep_options();
    det_heap_init();
    /* Exit handlers run last-registered first: the summary, then the
     * exit status (which _exits). */
    rep_install_exit_status();
    ip_init();
    atexit(summary);
    /* Registered after the summary, so it runs before it. */
    det_reach_init();
    det_global.enabled = true;
    det_watchdog_start();
    det_tls_internal--;
}

void det_init(void)
{
    pthread_once(&init_once, init);
}

__attribute__((constructor)) static void det_constructor(void)
{
    det_init();
}

void det_throw(const char *file, int line, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    rep_printf("gosan: detector: fatal error: %s (at %s:%d)\n", msg, file,
               line);
    abort();
}
