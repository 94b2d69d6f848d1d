/* SPDX-License-Identifier: MIT */
/*
 * vcpu_entry: where a secondary vCPU starts (HC_VCPU_START, contract
 * section 5). Register contract on entry: EAX = vCPU index, EBX = struct
 * vcpu_boot * (vcpu.h), ESP undefined, 32-bit protected mode, flat
 * segments, paging and interrupts off. Calls boot->fn(index, boot) on
 * boot->stack_top and halts for good when it returns.
 */
	.section .note.GNU-stack, "", @progbits
	.text

#define VB_STACK_TOP 0
#define VB_FN        4

	.globl vcpu_entry
	.type vcpu_entry, @function
vcpu_entry:
	movl	VB_STACK_TOP(%ebx), %esp
	subl	$8, %esp		/* keep ESP 16-byte aligned at the call */
	pushl	%ebx
	pushl	%eax
	call	*VB_FN(%ebx)
1:	cli
	hlt
	jmp	1b
	.size vcpu_entry, . - vcpu_entry
