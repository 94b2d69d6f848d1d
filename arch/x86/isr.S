/* SPDX-License-Identifier: MIT */
/*
 * Interrupt and exception entry stubs, one per vector 0-255.
 *
 * Register contract: the CPU has pushed SS, RSP, RFLAGS, CS, RIP and, for
 * vectors 8, 10-14, 17, 21, 29 and 30, an error code. Each stub pushes a
 * zero error code where the CPU did not, then the vector number, and jumps
 * to isr_common, which saves the 15 general registers to form a struct
 * trap_frame (arch/x86/include/trap.h), calls trap_dispatch(frame) in
 * arch/x86/trap.c, restores the registers and returns with IRETQ.
 * Interrupts stay off throughout (all IDT entries are interrupt gates).
 */
#include "asm-offsets.h"

/* Vectors for which the CPU pushes an error code (SDM 3A 6.13). */
#define HAS_ERRCODE(v) ((v) == 8 || ((v) >= 10 && (v) <= 14) || (v) == 17 || (v) == 21 || (v) == 29 || (v) == 30)

	.text
	.balign 16
	.globl isr_stubs
isr_stubs:
	vec = 0
	.rept 256
	.balign 16
	.if !HAS_ERRCODE(vec)
	pushq $0
	.endif
	pushq $vec
	jmp isr_common
	vec = vec + 1
	.endr

isr_common:
	pushq %rax
	pushq %rbx
	pushq %rcx
	pushq %rdx
	pushq %rsi
	pushq %rdi
	pushq %rbp
	pushq %r8
	pushq %r9
	pushq %r10
	pushq %r11
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	cld
	movq %rsp, %rdi
	call trap_dispatch
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %r11
	popq %r10
	popq %r9
	popq %r8
	popq %rbp
	popq %rdi
	popq %rsi
	popq %rdx
	popq %rcx
	popq %rbx
	popq %rax
	addq $16, %rsp		/* vector and error code */
	iretq
