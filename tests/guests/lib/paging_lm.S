/* SPDX-License-Identifier: MIT */
/*
 * Exception entry and probing accesses for the paging guests (paging.h),
 * in legacy protected mode and in IA-32e mode, on any vCPU, CPL 0,
 * interrupts off. paging_trap.c builds the GDT and the two IDTs from the stub
 * tables here.
 *
 * A probe is a single instruction that may fault, listed with its fixup
 * label in the pg_fixups table. Both exception paths look the faulting
 * EIP/RIP up there: if it is a probe they resume at its fixup with
 * EAX = vector and EDX = error code (the other registers as they were);
 * otherwise the exception is unexpected and pg_trap_unexpected(vector,
 * error, eip) in paging_trap.c prints it and ends the guest.
 *
 * - pg_stub32_N (vectors 0-31): 32-bit interrupt gates. The CPU pushes
 *   EFLAGS, CS, EIP (and an error code for some vectors); the stub pushes
 *   a zero error code where there is none, then the vector.
 * - pg_stub64_N: 64-bit interrupt gates, used while EFER.LMA=1, from
 *   compatibility mode or from the 64-bit helper. The CPU pushes SS, RSP,
 *   RFLAGS, CS, RIP (and an error code). An unexpected exception returns
 *   with IRETQ to pg_lm_unexpected, 32-bit code, which calls C.
 * - pg_probe_*: the 32-bit probes (cdecl). They return a u64: EDX = 0 and
 *   EAX = the value read when the access completed; EDX = 0x100 | vector
 *   and EAX = the error code when it faulted.
 * - pg_lm_call(struct pg_lm_req *): a far call into 64-bit code (selector
 *   0x18), which performs req->op at the 64-bit address req->addr and
 *   returns with a 32-bit far return to compatibility mode. Only with
 *   EFER.LMA=1. Faults are reported in req->vector and req->error.
 */
	.section .note.GNU-stack, "", @progbits

#define SEL_CODE32 0x08
#define SEL_CODE64 0x18

#define PROBE_FAULTED 0x100

/* struct pg_lm_req (paging_trap.c): u64 addr, val; u32 op, vector, error, pad;
 * u64 cr2. */
#define REQ_ADDR   0
#define REQ_VAL    8
#define REQ_OP     16
#define REQ_VECTOR 20
#define REQ_ERROR  24
#define REQ_CR2    32

#define LM_OP_READ32  0
#define LM_OP_WRITE32 1
#define LM_OP_READ64  2
#define LM_OP_WRITE64 3
#define LM_OP_INVLPG  4

/* FIXUP insn, target: a fault at insn resumes at target. */
.macro FIXUP insn, target
	.pushsection .rodata.pg_fixups, "a"
	.long	\insn, \target
	.popsection
.endm

	.section .rodata.pg_fixups, "a"
	.align 4
	.globl pg_fixups
pg_fixups:

/* ---------------------------------------------------------------- 32-bit */
	.text
	.code32

.macro STUB32 vec	/* error code pushed by the CPU: SDM 3A table 6-1 */
pg_stub32_\vec:
	.if (\vec == 8) || (\vec >= 10 && \vec <= 14) || (\vec == 17) || (\vec == 21) || (\vec == 29) || (\vec == 30)
	.else
	pushl	$0
	.endif
	pushl	$\vec
	jmp	pg_common32
.endm

.irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	STUB32 \v
.endr

/*
 * After PUSHAL the frame is: EDI ESI EBP ESP EBX EDX ECX EAX at 0-28,
 * then vector 32, error 36, EIP 40, CS 44, EFLAGS 48.
 */
pg_common32:
	pushal
	movl	40(%esp), %eax
	movl	$pg_fixups, %esi
1:	cmpl	$pg_fixups_end, %esi
	je	2f
	cmpl	(%esi), %eax
	je	3f
	addl	$8, %esi
	jmp	1b
2:	cld
	pushl	%eax			/* EIP */
	pushl	40(%esp)		/* error (36 + 4) */
	pushl	40(%esp)		/* vector (32 + 8) */
	call	pg_trap_unexpected	/* does not return */
	ud2
3:	movl	4(%esi), %ecx
	movl	%ecx, 40(%esp)		/* resume at the fixup */
	movl	32(%esp), %ecx
	movl	%ecx, 28(%esp)		/* EAX = vector */
	movl	36(%esp), %ecx
	movl	%ecx, 20(%esp)		/* EDX = error code */
	popal
	addl	$8, %esp
	iret

/* u64 pg_probe_read32(u32 addr) */
	.globl pg_probe_read32
	.type pg_probe_read32, @function
pg_probe_read32:
	movl	4(%esp), %ecx
	xorl	%edx, %edx
1:	movl	(%ecx), %eax
	ret
	FIXUP	1b, pg_probe_fault
	.size pg_probe_read32, . - pg_probe_read32

/* u64 pg_probe_write32(u32 addr, u32 val) */
	.globl pg_probe_write32
	.type pg_probe_write32, @function
pg_probe_write32:
	movl	4(%esp), %ecx
	movl	8(%esp), %eax
	xorl	%edx, %edx
1:	movl	%eax, (%ecx)
	xorl	%eax, %eax
	ret
	FIXUP	1b, pg_probe_fault
	.size pg_probe_write32, . - pg_probe_write32

/* u64 pg_probe_read64(u32 addr, u32 *high): the low half is returned. */
	.globl pg_probe_read64
	.type pg_probe_read64, @function
pg_probe_read64:
	movl	4(%esp), %ecx
	xorl	%edx, %edx
1:	movl	4(%ecx), %eax
	movl	8(%esp), %ecx
	movl	%eax, (%ecx)
	movl	4(%esp), %ecx
2:	movl	(%ecx), %eax
	ret
	FIXUP	1b, pg_probe_fault
	FIXUP	2b, pg_probe_fault
	.size pg_probe_read64, . - pg_probe_read64

/*
 * u64 pg_probe_write64(u32 addr, u32 low, u32 high): one locked 8-byte
 * write (CMPXCHG8B until it takes), so that the first access is a write.
 */
	.globl pg_probe_write64
	.type pg_probe_write64, @function
pg_probe_write64:
	pushl	%ebx
	pushl	%esi
	movl	12(%esp), %esi
	movl	16(%esp), %ebx
	movl	20(%esp), %ecx
	xorl	%eax, %eax
	xorl	%edx, %edx
1:	lock cmpxchg8b (%esi)
	jnz	1b
	xorl	%eax, %eax
	xorl	%edx, %edx
2:	popl	%esi
	popl	%ebx
	ret
3:	movl	%edx, %ecx
	orl	$PROBE_FAULTED, %eax
	movl	%eax, %edx
	movl	%ecx, %eax
	jmp	2b
	FIXUP	1b, 3b
	.size pg_probe_write64, . - pg_probe_write64

/* u64 pg_probe_load_cr3(u32 cr3): MOV to CR3, which may #GP. */
	.globl pg_probe_load_cr3
	.type pg_probe_load_cr3, @function
pg_probe_load_cr3:
	movl	4(%esp), %eax
	xorl	%edx, %edx
1:	movl	%eax, %cr3
	ret
	FIXUP	1b, pg_probe_fault
	.size pg_probe_load_cr3, . - pg_probe_load_cr3

/* The common fixup of the probes above that keep nothing on the stack. */
pg_probe_fault:
	movl	%edx, %ecx
	orl	$PROBE_FAULTED, %eax
	movl	%eax, %edx
	movl	%ecx, %eax
	ret

/* void pg_lm_call(struct pg_lm_req *req) */
	.globl pg_lm_call
	.type pg_lm_call, @function
pg_lm_call:
	pushl	%ebx
	movl	8(%esp), %ebx
	lcall	$SEL_CODE64, $pg_lm_entry
	popl	%ebx
	ret
	.size pg_lm_call, . - pg_lm_call

/*
 * Where IRETQ lands after an unexpected exception in IA-32e mode:
 * compatibility mode, on the interrupted stack.
 */
pg_lm_unexpected:
	cld
	pushl	pg_lm_unexp_eip
	pushl	pg_lm_unexp_error
	pushl	pg_lm_unexp_vector
	call	pg_trap_unexpected
	ud2

/* ---------------------------------------------------------------- 64-bit */
	.code64

/*
 * The far call pushed the 32-bit EIP and CS at ESP. The upper halves of
 * RSP and RBX are undefined after 32-bit code (SDM vol. 1, 3.4.1.1), so
 * zero-extend them first.
 */
pg_lm_entry:
	movl	%esp, %esp
	movl	%ebx, %ebx
	movq	REQ_ADDR(%rbx), %rdx
	movl	REQ_OP(%rbx), %eax
	cmpl	$LM_OP_READ32, %eax
	je	10f
	cmpl	$LM_OP_WRITE32, %eax
	je	11f
	cmpl	$LM_OP_READ64, %eax
	je	12f
	cmpl	$LM_OP_WRITE64, %eax
	je	13f
	invlpg	(%rdx)
	lretl
10:	movl	(%rdx), %eax
	movq	%rax, REQ_VAL(%rbx)
	lretl
11:	movl	REQ_VAL(%rbx), %eax
1:	movl	%eax, (%rdx)
	lretl
12:	movq	(%rdx), %rax
	movq	%rax, REQ_VAL(%rbx)
	lretl
13:	movq	REQ_VAL(%rbx), %rax
2:	movq	%rax, (%rdx)
	lretl
	FIXUP	10b, pg_lm_fault
	FIXUP	1b, pg_lm_fault
	FIXUP	12b, pg_lm_fault
	FIXUP	2b, pg_lm_fault
pg_lm_fault:
	movl	%eax, REQ_VECTOR(%rbx)
	movl	%edx, REQ_ERROR(%rbx)
	movq	%cr2, %rax		/* all 64 bits, unlike in 32-bit code */
	movq	%rax, REQ_CR2(%rbx)
	lretl

.macro STUB64 vec
pg_stub64_\vec:
	.if (\vec == 8) || (\vec >= 10 && \vec <= 14) || (\vec == 17) || (\vec == 21) || (\vec == 29) || (\vec == 30)
	.else
	pushq	$0
	.endif
	pushq	$\vec
	jmp	pg_common64
.endm

.irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	STUB64 \v
.endr

/*
 * After the four pushes the frame is: RSI RDX RCX RAX at 0-24, then
 * vector 32, error 40, RIP 48, CS 56, RFLAGS 64, RSP 72, SS 80.
 */
pg_common64:
	pushq	%rax
	pushq	%rcx
	pushq	%rdx
	pushq	%rsi
	movq	48(%rsp), %rax
	movl	$pg_fixups, %esi
1:	cmpl	$pg_fixups_end, %esi
	je	2f
	movl	(%rsi), %ecx
	cmpq	%rcx, %rax
	je	3f
	addq	$8, %rsi
	jmp	1b
2:	movl	$pg_lm_unexp_vector, %esi
	movq	32(%rsp), %rcx
	movl	%ecx, (%rsi)
	movl	$pg_lm_unexp_error, %esi
	movq	40(%rsp), %rcx
	movl	%ecx, (%rsi)
	movl	$pg_lm_unexp_eip, %esi
	movl	%eax, (%rsi)
	movl	$pg_lm_unexpected, %ecx	/* zero-extends */
	movq	%rcx, 48(%rsp)
	movq	$SEL_CODE32, 56(%rsp)
	jmp	4f
3:	movl	4(%rsi), %ecx
	movq	%rcx, 48(%rsp)		/* resume at the fixup */
	movq	32(%rsp), %rcx
	movq	%rcx, 24(%rsp)		/* RAX = vector */
	movq	40(%rsp), %rcx
	movq	%rcx, 8(%rsp)		/* RDX = error code */
4:	popq	%rsi
	popq	%rdx
	popq	%rcx
	popq	%rax
	addq	$16, %rsp
	iretq

	.code32

	.section .rodata.pg_fixups, "a"
	.globl pg_fixups_end
pg_fixups_end:

	.section .rodata
	.align 4
	.globl pg_stub32_table
pg_stub32_table:
.irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	.long	pg_stub32_\v
.endr
	.globl pg_stub64_table
pg_stub64_table:
.irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	.long	pg_stub64_\v
.endr

	.section .bss
	.align 4
pg_lm_unexp_vector:
	.skip	4
pg_lm_unexp_error:
	.skip	4
pg_lm_unexp_eip:
	.skip	4
