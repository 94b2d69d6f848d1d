/* SPDX-License-Identifier: MIT */
/*
 * Entry stubs for external interrupts in the test guests (apic.h), 32-bit
 * protected mode, CPL 0, any vCPU.
 *
 * apic_irq_stubs holds one stub per vector from 32 to 255, each
 * APIC_STUB_SIZE bytes apart, so that apic.c finds vector V's stub at
 * apic_irq_stubs + (V - 32) * APIC_STUB_SIZE. A stub pushes its vector
 * and goes to apic_irq_common, which saves the general registers, calls
 * apic_irq_dispatch(vector) (apic.c) and returns with iret. Interrupt
 * gates: the handler runs with IF=0 on the interrupted stack (no ring
 * change). The segment registers hold the flat selectors throughout, so
 * they are not touched.
 */
	.section .note.GNU-stack, "", @progbits

#define APIC_STUB_SIZE 16 /* apic.c: the same */
#define FIRST_VECTOR   32

	.text
	.globl apic_irq_stubs
	.balign APIC_STUB_SIZE
apic_irq_stubs:
	.set vec, FIRST_VECTOR
	.rept 256 - FIRST_VECTOR
	.balign APIC_STUB_SIZE
	pushl	$vec			/* 5 bytes: an imm32 for any vector */
	jmp	apic_irq_common		/* at most 5 bytes */
	.set vec, vec + 1
	.endr

apic_irq_common:
	pushal
	cld
	pushl	32(%esp)		/* the vector, above the 8 registers */
	call	apic_irq_dispatch
	addl	$4, %esp
	popal
	addl	$4, %esp		/* the vector */
	iret
