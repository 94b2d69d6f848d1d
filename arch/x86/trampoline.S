/* SPDX-License-Identifier: MIT */
/*
 * Where application processors (APs) start.
 *
 * Register contract: the AP arrives here from a startup IPI in 16-bit real
 * mode with CS = page >> 4 and IP = 0, where `page` is the low page that
 * arch/x86/smp.c copied this code into. Nothing else is set up.
 *
 * The code is position independent (it only uses offsets from the start of
 * the page), goes straight from real mode to 64-bit long mode using Shade's
 * page tables (CR3 and EFER from the parameter block at ap_params, filled
 * in by smp.c before the IPI), and far-jumps to ap_entry64 in Shade's
 * image, which calls ap_main(params) on the stack smp.c allocated.
 */
#include "asm-offsets.h"

#define CR0_PE		(1 << 0)
#define CR0_WP		(1 << 16)
#define CR0_PG		(1 << 31)
#define CR4_PAE		(1 << 5)
#define MSR_EFER	0xc0000080

	.section .trampoline, "a"
	.code16
	.globl ap_trampoline
ap_trampoline:
	cli
	cld
	movw %cs, %ax
	movw %ax, %ds
	movzwl %ax, %esi
	shll $4, %esi		/* esi = linear address of this page */

	lgdtl (tramp_gdt_ptr - ap_trampoline)

	movl %cr4, %eax
	orl $CR4_PAE, %eax
	movl %eax, %cr4
	movl (ap_params - ap_trampoline + AP_PARAM_CR3), %eax
	movl %eax, %cr3
	movl $MSR_EFER, %ecx
	movl (ap_params - ap_trampoline + AP_PARAM_EFER), %eax
	movl (ap_params - ap_trampoline + AP_PARAM_EFER + 4), %edx
	wrmsr

	/* Protection and paging in one step: with EFER.LME set this enters
	 * IA-32e mode (SDM 3A 10.8.5); the far jump then loads a 64-bit CS. */
	movl %cr0, %eax
	orl $(CR0_PE | CR0_PG | CR0_WP), %eax
	movl %eax, %cr0
	ljmpl $BOOT_CS, $ap_entry64

	.balign 8
tramp_gdt_ptr:
	.word 23		/* three descriptors of boot_gdt */
	.long boot_gdt

	/* struct ap_boot_params: see arch/x86/include/smp.h */
	.balign 8
	.globl ap_params
ap_params:
	.quad 0			/* AP_PARAM_CR3 */
	.quad 0			/* AP_PARAM_STACK */
	.quad 0			/* AP_PARAM_EFER */
	.quad 0			/* AP_PARAM_CPU */
	.globl ap_trampoline_end
ap_trampoline_end:

	.text
	.code64
	/* rsi = linear address of the trampoline page (zero-extended here:
	 * the upper halves are undefined after the mode switch). */
ap_entry64:
	movl $BOOT_DS, %eax
	movl %eax, %ds
	movl %eax, %es
	movl %eax, %ss
	movl %eax, %fs
	movl %eax, %gs
	movl %esi, %esi
	leaq (ap_params - ap_trampoline)(%rsi), %rdi
	movq AP_PARAM_STACK(%rdi), %rsp
	xorl %ebp, %ebp
	call ap_main
1:	cli
	hlt
	jmp 1b
