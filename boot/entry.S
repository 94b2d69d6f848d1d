/* SPDX-License-Identifier: MIT */
/*
 * Shade's first instructions.
 *
 * Register contract on entry (mb_entry32), from the boot loader:
 *	multiboot2 (GRUB):        EAX = 0x36d76289, EBX = physical address of
 *	                          the boot information
 *	multiboot1 (qemu -kernel): EAX = 0x2badb002, EBX = likewise
 *	32-bit protected mode, paging off, interrupts off, flat segments,
 *	no usable stack.
 *
 * What it does: checks for long mode, identity-maps the first 4 GiB with
 * 2 MiB pages, turns on PAE, EFER.LME (and NXE where the CPU has it) and
 * paging, loads a 64-bit GDT and jumps to boot_main(magic, info) in
 * boot/main.c on the boot stack. mm/paging.c later replaces these page
 * tables with Shade's real ones.
 */
#include "asm-offsets.h"

#define MB2_MAGIC	0xe85250d6
#define MB2_ARCH_I386	0
#define MB1_MAGIC	0x1badb002
/* mb1 flags: align modules on pages, want memory info, address fields
 * valid (QEMU refuses ELF64 images unless the address fields are given) */
#define MB1_FLAGS	((1 << 0) | (1 << 1) | (1 << 16))

#define CR0_PE		(1 << 0)
#define CR0_WP		(1 << 16)
#define CR0_PG		(1 << 31)
#define CR4_PAE		(1 << 5)
#define MSR_EFER	0xc0000080
#define EFER_LME	(1 << 8)
#define EFER_NXE	(1 << 11)
#define CPUID_LM	(1 << 29)
#define CPUID_NX	(1 << 20)
#define PDE_2M		0x83	/* present, writable, 2 MiB page */
#define PTE_TABLE	0x03	/* present, writable, points to a table */

	.section .multiboot, "a"
	/* Multiboot2 header (multiboot2 spec 3.1): must be 8-byte aligned in
	 * the first 32 KiB. Only the end tag: GRUB loads the ELF by its
	 * program headers. */
	.balign 8
mb2_header:
	.long MB2_MAGIC
	.long MB2_ARCH_I386
	.long mb2_header_end - mb2_header
	.long -(MB2_MAGIC + MB2_ARCH_I386 + (mb2_header_end - mb2_header))
	.word 0, 0		/* end tag: type 0, flags 0 */
	.long 8			/* size 8 */
mb2_header_end:

	/* Multiboot1 header (multiboot 0.6.96 3.1.1): 4-byte aligned in the
	 * first 8 KiB. The address fields describe the whole image as one
	 * block: file bytes from __image_start to __load_end, then bss. */
	.balign 4
mb1_header:
	.long MB1_MAGIC
	.long MB1_FLAGS
	.long -(MB1_MAGIC + MB1_FLAGS)
	.long mb1_header	/* header_addr */
	.long __image_start	/* load_addr */
	.long __load_end	/* load_end_addr */
	.long __bss_end		/* bss_end_addr */
	.long mb_entry32	/* entry_addr */

	.section .text.entry, "ax"
	.code32
	.globl mb_entry32
mb_entry32:
	cli
	cld
	movl $boot_stack_top, %esp
	movl %eax, boot_magic
	movl %ebx, boot_info_pa

	/* Long mode? CPUID 0x80000001 EDX bit 29. */
	movl $0x80000000, %eax
	cpuid
	cmpl $0x80000001, %eax
	jb no_long_mode
	movl $0x80000001, %eax
	cpuid
	testl $CPUID_LM, %edx
	jz no_long_mode
	movl %edx, %ebp		/* keep the NX bit for later */

	/* PML4[0] -> PDPT; PDPT[0..3] -> four page directories of 2 MiB
	 * pages covering [0, 4 GiB). The tables are in .bss, zeroed by the
	 * loader; every entry used is written here anyway. */
	movl $boot_pdpt, %eax
	orl $PTE_TABLE, %eax
	movl %eax, boot_pml4
	movl $0, boot_pml4 + 4

	xorl %ecx, %ecx
1:	movl %ecx, %eax
	shll $12, %eax
	addl $boot_pd, %eax
	orl $PTE_TABLE, %eax
	movl %eax, boot_pdpt(, %ecx, 8)
	movl $0, boot_pdpt + 4(, %ecx, 8)
	incl %ecx
	cmpl $4, %ecx
	jb 1b

	xorl %ecx, %ecx		/* ecx = 2 MiB page index, 0..2047 */
2:	movl %ecx, %eax
	shll $21, %eax
	orl $PDE_2M, %eax
	movl %eax, boot_pd(, %ecx, 8)
	movl %ecx, %eax
	shrl $11, %eax		/* bits 32+ of the address: index / 2048 */
	movl %eax, boot_pd + 4(, %ecx, 8)
	incl %ecx
	cmpl $2048, %ecx
	jb 2b

	movl %cr4, %eax
	orl $CR4_PAE, %eax
	movl %eax, %cr4
	movl $boot_pml4, %eax
	movl %eax, %cr3

	movl $MSR_EFER, %ecx
	rdmsr
	orl $EFER_LME, %eax
	testl $CPUID_NX, %ebp
	jz 3f
	orl $EFER_NXE, %eax
3:	wrmsr

	movl %cr0, %eax
	orl $(CR0_PG | CR0_PE | CR0_WP), %eax
	movl %eax, %cr0

	lgdt boot_gdt_ptr
	ljmp $BOOT_CS, $entry64

	/* Not a 64-bit CPU: say so on COM1 (and port 0xe9), then stop. */
no_long_mode:
	movl $no_lm_msg, %esi
4:	movb (%esi), %al
	testb %al, %al
	jz 6f
	movw $0x3fd, %dx	/* LSR: wait for "transmitter empty" */
5:	inb %dx, %al
	testb $0x20, %al
	jz 5b
	movb (%esi), %al
	movw $0x3f8, %dx
	outb %al, %dx
	outb %al, $0xe9
	incl %esi
	jmp 4b
6:	hlt
	jmp 6b

	.code64
entry64:
	movl $BOOT_DS, %eax
	movl %eax, %ds
	movl %eax, %es
	movl %eax, %ss
	movl %eax, %fs
	movl %eax, %gs
	movq $boot_stack_top, %rsp
	xorl %ebp, %ebp		/* ends the backtrace chain */
	movl boot_magic, %edi
	movl boot_info_pa, %esi
	call boot_main
7:	cli
	hlt
	jmp 7b

	.section .rodata
no_lm_msg:
	.asciz "shade: panic: this CPU has no 64-bit long mode; Shade needs x86-64\r\n"

	/* The boot GDT: null, 64-bit code, data. APs use it too, from the
	 * real-mode trampoline (arch/x86/trampoline.S), before they load
	 * their own per-CPU GDT. */
	.balign 16
	.globl boot_gdt
boot_gdt:
	.quad 0
	.quad 0x00af9a000000ffff	/* BOOT_CS: 64-bit code, DPL 0 */
	.quad 0x00cf92000000ffff	/* BOOT_DS: data, DPL 0 */
boot_gdt_end:
	.globl boot_gdt_ptr
boot_gdt_ptr:
	.word boot_gdt_end - boot_gdt - 1
	.quad boot_gdt

	.section .data
boot_magic:	.long 0
boot_info_pa:	.long 0

	.section .bss
	.balign 4096
boot_pml4:	.skip 4096
boot_pdpt:	.skip 4096
boot_pd:	.skip 4 * 4096
	.globl boot_stack_bottom, boot_stack_top
boot_stack_bottom:
	.skip BOOT_STACK_SIZE
boot_stack_top:
