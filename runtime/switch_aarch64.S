/* SPDX-License-Identifier: MIT */
/*
 * Goroutine context switch for AArch64 (AAPCS64).
 *
 * rt__switch(from, to) saves x19-x28, the frame pointer x29, the link
 * register x30, the low halves d8-d15 of v8-v15 and FPCR on the current
 * stack, stores sp in from->sp, loads to->sp and restores the same frame.
 *
 * Frame layout, from the saved sp upwards (176 bytes):
 *   [sp+0]   x19 x20   [sp+16]  x21 x22   [sp+32]  x23 x24
 *   [sp+48]  x25 x26   [sp+64]  x27 x28   [sp+80]  x29 x30
 *   [sp+96]  d8  d9    [sp+112] d10 d11   [sp+128] d12 d13
 *   [sp+144] d14 d15   [sp+160] fpcr      [sp+168] (padding)
 */
    .text
    .globl rt__switch
    .hidden rt__switch
    .type rt__switch, %function
    .p2align 4
rt__switch:
    .cfi_startproc
    sub sp, sp, #176
    .cfi_adjust_cfa_offset 176
    stp x19, x20, [sp, #0]
    stp x21, x22, [sp, #16]
    stp x23, x24, [sp, #32]
    stp x25, x26, [sp, #48]
    stp x27, x28, [sp, #64]
    stp x29, x30, [sp, #80]
    stp d8, d9, [sp, #96]
    stp d10, d11, [sp, #112]
    stp d12, d13, [sp, #128]
    stp d14, d15, [sp, #144]
    mrs x9, fpcr
    str x9, [sp, #160]
    mov x9, sp
    str x9, [x0]
    ldr x9, [x1]
    mov sp, x9
    ldp x19, x20, [sp, #0]
    ldp x21, x22, [sp, #16]
    ldp x23, x24, [sp, #32]
    ldp x25, x26, [sp, #48]
    ldp x27, x28, [sp, #64]
    ldp x29, x30, [sp, #80]
    ldp d8, d9, [sp, #96]
    ldp d10, d11, [sp, #112]
    ldp d12, d13, [sp, #128]
    ldp d14, d15, [sp, #144]
    ldr x9, [sp, #160]
    msr fpcr, x9
    add sp, sp, #176
    .cfi_adjust_cfa_offset -176
    ret
    .cfi_endproc
    .size rt__switch, .-rt__switch

/*
 * rt__goroutine_trampoline: a new goroutine's first switch returns here
 * (x30 in its initial frame), with the struct rt_g pointer in x19.
 */
    .globl rt__goroutine_trampoline
    .hidden rt__goroutine_trampoline
    .type rt__goroutine_trampoline, %function
    .p2align 4
rt__goroutine_trampoline:
    .cfi_startproc
    .cfi_undefined x30
    mov x29, #0
    mov x0, x19
    bl rt__goroutine_main
    brk #0
    .cfi_endproc
    .size rt__goroutine_trampoline, .-rt__goroutine_trampoline

    .section .note.GNU-stack,"",%progbits
