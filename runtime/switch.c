/* SPDX-License-Identifier: MIT */
/*
 * This file implements rt__context_make: the initial frame of a new
 * goroutine, laid out exactly as rt__switch (switch_<arch>.S) saves one, so
 * that the first switch to it "returns" into rt__goroutine_trampoline with
 * the goroutine in a callee-saved register. The FP control words are the
 * creating thread's, as pthread_create does for the floating-point
 * environment.
 */
#include <string.h>

#include "runtime_impl.h"

void rt__goroutine_trampoline(void);

#if defined(__x86_64__)

void rt__context_make(struct rt_context *ctx, void *top, void *arg)
{
    /* 16-byte aligned top, one empty slot above the frame so that the
     * trampoline starts with rsp % 16 == 0 before its call. */
    uintptr_t t = ((uintptr_t)top & ~(uintptr_t)15) - 16;
    uint64_t *frame = (uint64_t *)(t - 64);
    uint32_t mxcsr;
    uint16_t fcw;
    __asm__ volatile("stmxcsr %0" : "=m"(mxcsr));
    __asm__ volatile("fnstcw %0" : "=m"(fcw));
    frame[0] = (uint64_t)mxcsr | ((uint64_t)fcw << 32);
    frame[1] = 0;                 /* r15 */
    frame[2] = 0;                 /* r14 */
    frame[3] = 0;                 /* r13 */
    frame[4] = (uint64_t)arg;     /* r12: the goroutine */
    frame[5] = 0;                 /* rbx */
    frame[6] = 0;                 /* rbp: ends frame-pointer walks */
    frame[7] = (uint64_t)(uintptr_t)rt__goroutine_trampoline;
    ((uint64_t *)t)[0] = 0;
    ((uint64_t *)t)[1] = 0;
    ctx->sp = frame;
}

#elif defined(__aarch64__)

void rt__context_make(struct rt_context *ctx, void *top, void *arg)
{
    uintptr_t t = ((uintptr_t)top & ~(uintptr_t)15) - 16;
    uint64_t *frame = (uint64_t *)(t - 176);
    uint64_t fpcr;
    __asm__ volatile("mrs %0, fpcr" : "=r"(fpcr));
    memset(frame, 0, 176);
    frame[0] = (uint64_t)arg;     /* x19: the goroutine */
    frame[10] = 0;                /* x29 */
    frame[11] = (uint64_t)(uintptr_t)rt__goroutine_trampoline; /* x30 */
    frame[20] = fpcr;
    ((uint64_t *)t)[0] = 0;
    ((uint64_t *)t)[1] = 0;
    ctx->sp = frame;
}

#else
#error "gosan supports x86-64 and aarch64 Linux only"
#endif
