/* SPDX-License-Identifier: MIT */
/*
 * Goroutine context switch for x86-64 (System V ABI).
 *
 * rt__switch(from, to) pushes the callee-saved registers and the FP control
 * words (MXCSR, x87 control word) on the current stack, stores the stack
 * pointer in from->sp, loads to->sp and pops the same frame. Caller-saved
 * registers need no saving: the switch is an ordinary call for the compiler.
 * No system call, no signal mask: the signal mask is per thread, and a
 * goroutine keeps the mask of whichever thread runs it.
 *
 * Frame layout, from the saved sp upwards (8 slots, 64 bytes):
 *   [sp+0]  MXCSR (low 4 bytes), x87 control word (bytes 4-5)
 *   [sp+8]  r15   [sp+16] r14   [sp+24] r13   [sp+32] r12
 *   [sp+40] rbx   [sp+48] rbp   [sp+56] return address
 * runtime/unwind.c and the leak reports rely on this layout.
 */
    .text
    .globl rt__switch
    .hidden rt__switch
    .type rt__switch, @function
    .p2align 4
rt__switch:
    .cfi_startproc
    pushq %rbp
    .cfi_adjust_cfa_offset 8
    pushq %rbx
    .cfi_adjust_cfa_offset 8
    pushq %r12
    .cfi_adjust_cfa_offset 8
    pushq %r13
    .cfi_adjust_cfa_offset 8
    pushq %r14
    .cfi_adjust_cfa_offset 8
    pushq %r15
    .cfi_adjust_cfa_offset 8
    subq $8, %rsp
    .cfi_adjust_cfa_offset 8
    stmxcsr (%rsp)
    fnstcw 4(%rsp)
    movq %rsp, (%rdi)
    movq (%rsi), %rsp
    ldmxcsr (%rsp)
    fldcw 4(%rsp)
    addq $8, %rsp
    .cfi_adjust_cfa_offset -8
    popq %r15
    .cfi_adjust_cfa_offset -8
    popq %r14
    .cfi_adjust_cfa_offset -8
    popq %r13
    .cfi_adjust_cfa_offset -8
    popq %r12
    .cfi_adjust_cfa_offset -8
    popq %rbx
    .cfi_adjust_cfa_offset -8
    popq %rbp
    .cfi_adjust_cfa_offset -8
    ret
    .cfi_endproc
    .size rt__switch, .-rt__switch

/*
 * rt__goroutine_trampoline is where a new goroutine's first switch returns
 * to. r12 holds the struct rt_g pointer placed by rt__context_make. The
 * return address is marked undefined so that unwinders stop here.
 */
    .globl rt__goroutine_trampoline
    .hidden rt__goroutine_trampoline
    .type rt__goroutine_trampoline, @function
    .p2align 4
rt__goroutine_trampoline:
    .cfi_startproc
    .cfi_undefined rip
    xorl %ebp, %ebp
    movq %r12, %rdi
    call rt__goroutine_main
    ud2
    .cfi_endproc
    .size rt__goroutine_trampoline, .-rt__goroutine_trampoline

    .section .note.GNU-stack,"",@progbits
