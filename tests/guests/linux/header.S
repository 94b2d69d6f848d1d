/* SPDX-License-Identifier: MIT */
/*
 * The Linux test guest as a bzImage (Documentation/arch/x86/boot.rst):
 * the real-mode part, then the 32-bit entry.
 *
 * .linux_setup is the real-mode part, setup_sects + 1 = 2 sectors, of
 * which only the setup header at 0x1f1 matters: no loader here runs
 * real-mode code. linux.ld places it in the file right before the
 * protected-mode kernel, which a loader puts at 1 MiB. Between the end of
 * the header (0x26c) and 0x290 lie junk bytes that a loader copying "the
 * setup header" into boot_params must leave out.
 *
 * linux_start is code32_start. Register contract on entry (the 32-bit
 * boot protocol): 32-bit protected mode, paging and interrupts off, CS
 * __BOOT_CS (0x10), DS = ES = SS = __BOOT_DS (0x18) from a loaded GDT,
 * ESI = the boot_params, EBP = EDI = EBX = 0; ESP undefined, so nothing
 * here uses the stack until ESP is set. It records that state in
 * linux_entry (.data: start.S clears .bss) and joins the library's
 * _start with EAX = LINUX_ENTRY_MAGIC and EBX = the boot_params.
 */
	.section .note.GNU-stack, "", @progbits

#include "linux_entry.h"

	.section .linux_setup, "a"
	.org	0x1f1
	.byte	LINUX_SETUP_SECTS	/* setup_sects */
	.word	0			/* root_flags */
	.long	linux_syssize		/* syssize: linux.ld */
	.word	0			/* ram_size */
	.word	0xffff			/* vid_mode: normal */
	.word	0			/* root_dev */
	.word	0xaa55			/* boot_flag */
	.byte	0xeb, header_end - 1f	/* jump: the header's length */
1:	.ascii	"HdrS"
	.word	LINUX_PROTOCOL		/* version */
	.long	0			/* realmode_swtch */
	.word	0			/* start_sys_seg */
	.word	0			/* kernel_version */
	.byte	0			/* type_of_loader */
	.byte	LINUX_LOADED_HIGH	/* loadflags */
	.word	0			/* setup_move_size */
	.long	linux_start		/* code32_start */
	.long	0			/* ramdisk_image */
	.long	0			/* ramdisk_size */
	.long	0			/* bootsect_kludge */
	.word	0			/* heap_end_ptr */
	.byte	0			/* ext_loader_ver */
	.byte	0			/* ext_loader_type */
	.long	0			/* cmd_line_ptr */
	.long	LINUX_INITRD_ADDR_MAX	/* initrd_addr_max */
	.long	LINUX_KERNEL_ALIGN	/* kernel_alignment */
	.byte	0			/* relocatable_kernel */
	.byte	LINUX_MIN_ALIGN		/* min_alignment */
	.word	0			/* xloadflags */
	.long	LINUX_CMDLINE_SIZE	/* cmdline_size */
	.long	0			/* hardware_subarch: PC */
	.quad	LINUX_SUBARCH_DATA	/* hardware_subarch_data */
	.long	0			/* payload_offset */
	.long	0			/* payload_length */
	.quad	0			/* setup_data */
	.quad	0x100000		/* pref_address */
	.long	linux_init_size		/* init_size: linux.ld */
	.long	0			/* handover_offset */
	.long	0			/* kernel_info_offset */
header_end:
	.org	LINUX_HDR_HOLE_END, LINUX_JUNK
	.org	(LINUX_SETUP_SECTS + 1) * 512, 0

	.section .text.linux_entry, "ax"
	.globl	linux_start
	.type	linux_start, @function
linux_start:
	movl	%eax, linux_entry + LE_EAX
	movl	%ebx, linux_entry + LE_EBX
	movl	%ecx, linux_entry + LE_ECX
	movl	%edx, linux_entry + LE_EDX
	movl	%esi, linux_entry + LE_ESI
	movl	%edi, linux_entry + LE_EDI
	movl	%ebp, linux_entry + LE_EBP
	movl	%esp, linux_entry + LE_ESP
	movw	%cs, linux_entry + LE_CS
	movw	%ds, linux_entry + LE_DS
	movw	%es, linux_entry + LE_ES
	movw	%ss, linux_entry + LE_SS
	movw	%fs, linux_entry + LE_FS
	movw	%gs, linux_entry + LE_GS
	str	linux_entry + LE_TR
	sgdt	linux_entry + LE_GDTR
	movl	%cr0, %eax
	movl	%eax, linux_entry + LE_CR0
	movl	$entry_stack_top, %esp	/* MOV leaves EFLAGS alone */
	pushfl
	popl	linux_entry + LE_EFLAGS
	movl	$LINUX_ENTRY_MAGIC, %eax
	movl	linux_entry + LE_ESI, %ebx
	jmp	_start
	.size	linux_start, . - linux_start

	.data
	.align	4
	.globl	linux_entry
	.type	linux_entry, @object
linux_entry:
	.fill	LE_SIZE, 1, 0xa5	/* not zero: every field is written */
	.size	linux_entry, . - linux_entry
	.align	16
entry_stack:
	.skip	16
entry_stack_top:
