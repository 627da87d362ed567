/* SPDX-License-Identifier: MIT */
/*
 * This file implements stack capture with libunwind: of the calling thread
 * (for event stacks), of a parked goroutine from the registers its context
 * switch saved (a synthesized context for libunwind's DWARF unwinder), and
 * from a signal handler's context (stack overflow).
 *
 * Capture stores raw pcs only: no allocation, no symbolization, safe in a
 * signal handler. Names come later, in symbolize.c, when a report prints.
 */
#define _GNU_SOURCE
#define UNW_LOCAL_ONLY
#include <libunwind.h>
#include <string.h>
#include <ucontext.h>

#include "reports.h"

int rep_backtrace(uintptr_t *pcs, int max, int skip)
{
    void *buf[REP_MAX_FRAMES + 16];
    int want = max + skip + 1;
    if (want > (int)(sizeof buf / sizeof buf[0]))
        want = (int)(sizeof buf / sizeof buf[0]);
    int n = unw_backtrace(buf, want);
    int out = 0;
    /* buf[0] is inside this function; skip it and `skip` more. */
    for (int i = 1 + skip; i < n && out < max; i++)
        pcs[out++] = (uintptr_t)buf[i];
    return out;
}

static int walk(unw_cursor_t *cur, uintptr_t *pcs, int max)
{
    int n = 0;
    while (n < max) {
        unw_word_t ip = 0;
        if (unw_get_reg(cur, UNW_REG_IP, &ip) < 0 || ip == 0)
            break;
        pcs[n++] = (uintptr_t)ip;
        if (unw_step(cur) <= 0)
            break;
    }
    return n;
}

int rep_backtrace_regs(const struct rep_regs *r, uintptr_t *pcs, int max)
{
    unw_context_t uc;
    unw_cursor_t cur;
    if (unw_getcontext(&uc) < 0)
        return 0;
#if defined(__x86_64__)
    uc.uc_mcontext.gregs[REG_RIP] = (greg_t)r->pc;
    uc.uc_mcontext.gregs[REG_RSP] = (greg_t)r->sp;
    uc.uc_mcontext.gregs[REG_RBP] = (greg_t)r->fp;
    uc.uc_mcontext.gregs[REG_RBX] = (greg_t)r->callee[0];
    uc.uc_mcontext.gregs[REG_R12] = (greg_t)r->callee[1];
    uc.uc_mcontext.gregs[REG_R13] = (greg_t)r->callee[2];
    uc.uc_mcontext.gregs[REG_R14] = (greg_t)r->callee[3];
    uc.uc_mcontext.gregs[REG_R15] = (greg_t)r->callee[4];
#elif defined(__aarch64__)
    uc.uc_mcontext.pc = r->pc;
    uc.uc_mcontext.sp = r->sp;
    uc.uc_mcontext.regs[29] = r->fp;
    uc.uc_mcontext.regs[30] = r->pc;
    for (int i = 0; i < 10; i++)
        uc.uc_mcontext.regs[19 + i] = r->callee[i];
#endif
    if (unw_init_local(&cur, &uc) < 0)
        return 0;
    return walk(&cur, pcs, max);
}

int rep_backtrace_signal(void *ucontext, uintptr_t *pcs, int max)
{
    unw_cursor_t cur;
    if (unw_init_local2(&cur, (unw_context_t *)ucontext,
                        UNW_INIT_SIGNAL_FRAME) < 0)
        return 0;
    return walk(&cur, pcs, max);
}
