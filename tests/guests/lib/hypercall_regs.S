/* SPDX-License-Identifier: MIT */
/*
 * vmcall_regs(struct vmcall_regs *r): VMCALL with every general register
 * loaded from *r, and every register stored back afterwards, so a test can
 * see exactly what the hypervisor changed (contract section 5: EAX only).
 * cdecl, 32-bit, CPL 0; EBX, ESI, EDI and EBP are saved for the caller.
 */
	.section .note.GNU-stack, "", @progbits
	.text

/* Offsets in struct vmcall_regs (hypercall.h). */
#define R_EAX 0
#define R_EBX 4
#define R_ECX 8
#define R_EDX 12
#define R_ESI 16
#define R_EDI 20
#define R_EBP 24

	.globl vmcall_regs
	.type vmcall_regs, @function
vmcall_regs:
	pushl	%ebp
	pushl	%ebx
	pushl	%esi
	pushl	%edi
	movl	20(%esp), %eax		/* r, above 4 saved registers + return */
	pushl	%eax			/* keep r where we can find it again */
	movl	R_EBX(%eax), %ebx
	movl	R_ECX(%eax), %ecx
	movl	R_EDX(%eax), %edx
	movl	R_ESI(%eax), %esi
	movl	R_EDI(%eax), %edi
	movl	R_EBP(%eax), %ebp
	movl	R_EAX(%eax), %eax
	vmcall
	xchgl	%eax, (%esp)		/* EAX = r; the result waits on the stack */
	movl	%ebx, R_EBX(%eax)
	movl	%ecx, R_ECX(%eax)
	movl	%edx, R_EDX(%eax)
	movl	%esi, R_ESI(%eax)
	movl	%edi, R_EDI(%eax)
	movl	%ebp, R_EBP(%eax)
	popl	%ecx
	movl	%ecx, R_EAX(%eax)
	popl	%edi
	popl	%esi
	popl	%ebx
	popl	%ebp
	ret
	.size vmcall_regs, . - vmcall_regs
