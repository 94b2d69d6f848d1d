/* SPDX-License-Identifier: MIT */
/*
 * _start: the entry point of every test guest, multiboot1 or multiboot2.
 * Register contract on entry (both specifications): EAX = the boot
 * loader's magic, EBX = physical address of the boot information, 32-bit
 * protected mode, flat segments, paging and interrupts off, ESP undefined.
 *
 * Clears .bss (the loader should have, but a guest must not depend on
 * it), switches to a 16 KiB stack in .bss, programs the UART, calls
 * guest_main(magic, info) and stops the partition with its return value
 * as the status (guest_exit: a write to port 0xf4).
 */
	.section .note.GNU-stack, "", @progbits

#define STACK_SIZE 16384

	.text
	.globl _start
	.type _start, @function
_start:
	cld
	movl	%eax, %ebp		/* the magic; rep stosb needs EAX */
	movl	$__bss_start, %edi
	movl	$__bss_end, %ecx
	subl	%edi, %ecx
	xorl	%eax, %eax
	rep stosb
	movl	$boot_stack_top, %esp
	call	serial_init		/* keeps EBX and EBP (cdecl) */
	subl	$8, %esp		/* ESP 16-byte aligned at the call */
	pushl	%ebx
	pushl	%ebp
	call	guest_main
	pushl	%eax
	call	guest_exit
	.size _start, . - _start

	.section .bss
	.align 16
boot_stack:
	.skip	STACK_SIZE
boot_stack_top:
