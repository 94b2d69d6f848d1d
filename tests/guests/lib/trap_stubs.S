/* SPDX-License-Identifier: MIT */
/*
 * Low-level exception plumbing for the test guests (32-bit, CPL 0):
 *
 * - trap_stub_N for vectors 0-31 and 0x80: push a zero error code where
 *   the CPU pushes none, then the vector, and go to trap_common, which
 *   saves every register as a struct trap_frame (trap.h), loads the
 *   kernel data segments and calls trap_dispatch(frame). If that returns,
 *   the frame is restored and iret resumes at frame->eip.
 * - trap_setjmp / trap_longjmp: how trap_dispatch abandons a faulting
 *   test function and resumes in expect_fault().
 * - enter_user(fn, esp): iret to CPL 3 at fn; trap_user_return is the
 *   return address placed on that stack, which comes back with int 0x80.
 */
	.section .note.GNU-stack, "", @progbits

#define SEL_KDATA 0x10
#define SEL_UCODE 0x1b
#define SEL_UDATA 0x23
#define EFLAGS_RESERVED 0x2	/* bit 1 always set; IF, IOPL, NT clear */

	.text

/* Vectors where the CPU pushes an error code (SDM vol. 3A, table 6-1). */
.macro STUB vec
	.globl trap_stub_\vec
trap_stub_\vec:
	.if (\vec == 8) || (\vec >= 10 && \vec <= 14) || (\vec == 17) || (\vec == 21) || (\vec == 29) || (\vec == 30)
	.else
	pushl	$0
	.endif
	pushl	$\vec
	jmp	trap_common
.endm

.irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,128
	STUB \v
.endr

trap_common:
	pushal
	pushl	%ds
	pushl	%es
	movw	$SEL_KDATA, %ax
	movw	%ax, %ds
	movw	%ax, %es
	cld
	pushl	%esp			/* struct trap_frame * */
	call	trap_dispatch
	addl	$4, %esp
	popl	%es
	popl	%ds
	popal
	addl	$8, %esp		/* vector and error code */
	iret

	.section .rodata
	.globl trap_stub_table
	.align 4
trap_stub_table:			/* vectors 0-31, then 0x80 */
.irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,128
	.long	trap_stub_\v
.endr

	.text

/* struct trap_jmp: ebx, esi, edi, ebp, esp, eip (trap.c). */
	.globl trap_setjmp
	.type trap_setjmp, @function
trap_setjmp:
	movl	4(%esp), %eax
	movl	%ebx, 0(%eax)
	movl	%esi, 4(%eax)
	movl	%edi, 8(%eax)
	movl	%ebp, 12(%eax)
	leal	4(%esp), %ecx		/* the caller's ESP after we return */
	movl	%ecx, 16(%eax)
	movl	(%esp), %ecx
	movl	%ecx, 20(%eax)
	xorl	%eax, %eax
	ret
	.size trap_setjmp, . - trap_setjmp

	.globl trap_longjmp
	.type trap_longjmp, @function
trap_longjmp:
	movl	4(%esp), %edx
	movl	8(%esp), %eax
	movl	0(%edx), %ebx
	movl	4(%edx), %esi
	movl	8(%edx), %edi
	movl	12(%edx), %ebp
	movl	16(%edx), %esp
	jmp	*20(%edx)
	.size trap_longjmp, . - trap_longjmp

/* enter_user(void (*fn)(void), u32 user_esp): never returns here. */
	.globl enter_user
	.type enter_user, @function
enter_user:
	movl	4(%esp), %ecx
	movl	8(%esp), %edx
	/* DPL-0 data selectors would be nulled by the iret: use ring 3's. */
	movw	$SEL_UDATA, %ax
	movw	%ax, %ds
	movw	%ax, %es
	movw	%ax, %fs
	movw	%ax, %gs
	pushl	$SEL_UDATA		/* SS */
	pushl	%edx			/* ESP */
	pushl	$EFLAGS_RESERVED
	pushl	$SEL_UCODE		/* CS */
	pushl	%ecx			/* EIP */
	iret
	.size enter_user, . - enter_user

	.globl trap_user_return
trap_user_return:
	int	$0x80
	ud2
