/* SPDX-License-Identifier: MIT */
/*
 * Entering a guest and coming back: the only assembly of the VT-x layer.
 *
 * int vmx_run(struct guest_regs *regs, bool launched)   (C calling convention)
 *
 * Register contract:
 *   in:  RDI = regs, RSI = launched (0: VMLAUNCH, else VMRESUME); the
 *        vCPU's VMCS is current on this CPU; interrupts are off.
 *   out: EAX = 0 after a VM exit (regs holds the guest's registers),
 *        -1 if the VM entry failed with VMfailInvalid, -2 with VMfailValid
 *        (the VM-instruction error field says why).
 *
 * How: save the host's callee-saved registers and the regs pointer on the
 * stack, write that stack pointer to HOST_RSP, load the guest registers
 * and CR2, enter. A VM exit lands on vmx_exit_stub with RSP = HOST_RSP
 * (all other host state comes from the VMCS), which stores the guest
 * registers and CR2 back into regs, restores the host registers and
 * returns 0 from vmx_run. So the C caller (vmm/vcpu.c) sees one function
 * call per guest run.
 */
#include "asm-offsets.h"

	.text
	.globl vmx_run
vmx_run:
	pushq %rbp
	pushq %rbx
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	pushq %rdi			/* regs, for the exit path */

	movq $VMCS_HOST_RSP, %rax
	vmwrite %rsp, %rax
	jbe entry_failed		/* CF or ZF: the vmwrite failed */

	movq GUEST_CR2(%rdi), %rax
	movq %rax, %cr2
	testq %rsi, %rsi		/* ZF stays until VMLAUNCH/VMRESUME */
	movq GUEST_RAX(%rdi), %rax
	movq GUEST_RBX(%rdi), %rbx
	movq GUEST_RCX(%rdi), %rcx
	movq GUEST_RDX(%rdi), %rdx
	movq GUEST_RSI(%rdi), %rsi
	movq GUEST_RBP(%rdi), %rbp
	movq GUEST_R8(%rdi), %r8
	movq GUEST_R9(%rdi), %r9
	movq GUEST_R10(%rdi), %r10
	movq GUEST_R11(%rdi), %r11
	movq GUEST_R12(%rdi), %r12
	movq GUEST_R13(%rdi), %r13
	movq GUEST_R14(%rdi), %r14
	movq GUEST_R15(%rdi), %r15
	movq GUEST_RDI(%rdi), %rdi	/* last: it held the pointer */
	jnz 1f
	vmlaunch
	jmp entry_failed
1:	vmresume

	/* Falling through means the entry failed: CF=1 VMfailInvalid,
	 * ZF=1 VMfailValid. RSP still points at the saved regs pointer. */
entry_failed:
	movl $-1, %eax
	movl $-2, %edx
	cmovzl %edx, %eax
	addq $8, %rsp			/* regs pointer */
	jmp restore_host

	.globl vmx_exit_stub
vmx_exit_stub:
	pushq %rdi			/* guest RDI, to free a register */
	movq 8(%rsp), %rdi		/* regs */
	movq %rax, GUEST_RAX(%rdi)
	movq %rbx, GUEST_RBX(%rdi)
	movq %rcx, GUEST_RCX(%rdi)
	movq %rdx, GUEST_RDX(%rdi)
	movq %rsi, GUEST_RSI(%rdi)
	movq %rbp, GUEST_RBP(%rdi)
	movq %r8, GUEST_R8(%rdi)
	movq %r9, GUEST_R9(%rdi)
	movq %r10, GUEST_R10(%rdi)
	movq %r11, GUEST_R11(%rdi)
	movq %r12, GUEST_R12(%rdi)
	movq %r13, GUEST_R13(%rdi)
	movq %r14, GUEST_R14(%rdi)
	movq %r15, GUEST_R15(%rdi)
	popq %rax			/* guest RDI */
	movq %rax, GUEST_RDI(%rdi)
	movq %cr2, %rax
	movq %rax, GUEST_CR2(%rdi)
	addq $8, %rsp			/* regs pointer */
	xorl %eax, %eax

restore_host:
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %rbx
	popq %rbp
	ret
