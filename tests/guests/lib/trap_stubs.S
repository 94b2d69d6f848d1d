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
 *   In compatibility mode its 32-bit iret works the same way.
 * - trap64_stub_N (IA-32e mode, 64-bit code, CPL 0): the same for the
 *   64-bit gates of trap_enter_ia32e(). trap64_common saves all sixteen
 *   registers, builds a struct trap_frame from their low halves and the
 *   64-bit interrupt frame, saves CR2 in trap_ia32e_cr2, loads the kernel
 *   data segments (also SS, which a ring change left null) and far-returns
 *   to compatibility mode to call trap_dispatch(frame), 32-bit C. If that
 *   returns, a far jump goes back to 64-bit mode, the frame's values
 *   replace the low halves of the saved registers, RIP, RFLAGS and RSP,
 *   and iretq resumes. Every stack here lies below 4 GiB.
 */
	.section .note.GNU-stack, "", @progbits

#define SEL_KCODE 0x08
#define SEL_KDATA 0x10
#define SEL_KCODE64 0x30
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

/* ---- IA-32e mode ---------------------------------------------------- */

/* struct trap_frame (trap.h), 17 dwords, and its space rounded to 8. */
#define TF_ES		0
#define TF_DS		4
#define TF_EDI		8
#define TF_ESI		12
#define TF_EBP		16
#define TF_ESP		20
#define TF_EBX		24
#define TF_EDX		28
#define TF_ECX		32
#define TF_EAX		36
#define TF_VECTOR	40
#define TF_ERROR	44
#define TF_EIP		48
#define TF_CS		52
#define TF_EFLAGS	56
#define TF_USER_ESP	60
#define TF_USER_SS	64
#define TF_SIZE		72

/* Above the frame: the registers trap64_common pushes, r15 lowest. */
#define G_R15		(TF_SIZE + 0)
#define G_RDI		(TF_SIZE + 64)
#define G_RSI		(TF_SIZE + 72)
#define G_RBP		(TF_SIZE + 80)
#define G_RBX		(TF_SIZE + 88)
#define G_RDX		(TF_SIZE + 96)
#define G_RCX		(TF_SIZE + 104)
#define G_RAX		(TF_SIZE + 112)
/* Above those: vector, error code and the CPU's 64-bit frame. */
#define H_VECTOR	(TF_SIZE + 120)
#define H_ERROR		(H_VECTOR + 8)
#define H_RIP		(H_VECTOR + 16)
#define H_CS		(H_VECTOR + 24)
#define H_RFLAGS	(H_VECTOR + 32)
#define H_RSP		(H_VECTOR + 40)
#define H_SS		(H_VECTOR + 48)

/* A dword at FROM(%rsp) to TO(%rsp), through EAX. */
.macro COPY32 from, to
	movl	\from(%rsp), %eax
	movl	%eax, \to(%rsp)
.endm

	.code64

.macro STUB64 vec
trap64_stub_\vec:
	.if (\vec == 8) || (\vec >= 10 && \vec <= 14) || (\vec == 17) || (\vec == 21) || (\vec == 29) || (\vec == 30)
	.else
	pushq	$0
	.endif
	pushq	$\vec
	jmp	trap64_common
.endm

.irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,128
	STUB64 \v
.endr

trap64_common:
	pushq	%rax
	pushq	%rcx
	pushq	%rdx
	pushq	%rbx
	pushq	%rbp
	pushq	%rsi
	pushq	%rdi
	pushq	%r8
	pushq	%r9
	pushq	%r10
	pushq	%r11
	pushq	%r12
	pushq	%r13
	pushq	%r14
	pushq	%r15
	subq	$TF_SIZE, %rsp
	movq	%cr2, %rax
	movq	%rax, trap_ia32e_cr2(%rip)
	COPY32	G_RDI, TF_EDI
	COPY32	G_RSI, TF_ESI
	COPY32	G_RBP, TF_EBP
	COPY32	G_RBX, TF_EBX
	COPY32	G_RDX, TF_EDX
	COPY32	G_RCX, TF_ECX
	COPY32	G_RAX, TF_EAX
	movl	%esp, TF_ESP(%rsp)
	COPY32	H_VECTOR, TF_VECTOR
	COPY32	H_ERROR, TF_ERROR
	COPY32	H_RIP, TF_EIP
	COPY32	H_CS, TF_CS
	COPY32	H_RFLAGS, TF_EFLAGS
	COPY32	H_RSP, TF_USER_ESP
	COPY32	H_SS, TF_USER_SS
	movw	%ds, %ax
	movzwl	%ax, %eax
	movl	%eax, TF_DS(%rsp)
	movw	%es, %ax
	movzwl	%ax, %eax
	movl	%eax, TF_ES(%rsp)
	movl	$SEL_KDATA, %eax
	movw	%ax, %ds
	movw	%ax, %es
	movw	%ax, %ss
	movl	%esp, %ebx		/* struct trap_frame *, kept by cdecl */
	pushq	$SEL_KCODE
	leaq	trap64_compat(%rip), %rax
	pushq	%rax
	lretq

	.code32
trap64_compat:
	cld
	pushl	%ebx
	call	trap_dispatch
	addl	$4, %esp
	ljmp	$SEL_KCODE64, $trap64_resume

	.code64
trap64_resume:
	movl	%esp, %esp		/* zero-extend: compatibility mode left RSP 63:32 undefined */
	COPY32	TF_EDI, G_RDI		/* each into the low half of its slot */
	COPY32	TF_ESI, G_RSI
	COPY32	TF_EBP, G_RBP
	COPY32	TF_EBX, G_RBX
	COPY32	TF_EDX, G_RDX
	COPY32	TF_ECX, G_RCX
	COPY32	TF_EAX, G_RAX
	COPY32	TF_EIP, H_RIP
	COPY32	TF_EFLAGS, H_RFLAGS
	COPY32	TF_USER_ESP, H_RSP
	movl	TF_DS(%rsp), %eax
	movw	%ax, %ds
	movl	TF_ES(%rsp), %eax
	movw	%ax, %es
	addq	$TF_SIZE, %rsp
	popq	%r15
	popq	%r14
	popq	%r13
	popq	%r12
	popq	%r11
	popq	%r10
	popq	%r9
	popq	%r8
	popq	%rdi
	popq	%rsi
	popq	%rbp
	popq	%rbx
	popq	%rdx
	popq	%rcx
	popq	%rax
	addq	$16, %rsp		/* vector and error code */
	iretq

	.code32

	.section .rodata
	.globl trap64_stub_table
	.align 4
trap64_stub_table:			/* vectors 0-31, then 0x80 */
.irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,128
	.long	trap64_stub_\v
.endr

	.section .bss
	.globl trap_ia32e_cr2
	.align 8
trap_ia32e_cr2:
	.skip	8
