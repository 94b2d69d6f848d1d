/* SPDX-License-Identifier: MIT */
/*
 * The multiboot2 header of a test guest (Multiboot2 spec 2.0, 3.1): magic,
 * architecture 0 (i386 protected mode), length, checksum, and only the end
 * tag, so the loader takes the load addresses and the entry point from the
 * ELF32 program headers. guest.ld puts .multiboot first in the file, well
 * inside the first 32 KiB. The entry point itself is _start (start.S).
 */
	.section .note.GNU-stack, "", @progbits

#define MB2_HEADER_MAGIC 0xe85250d6
#define MB2_ARCH_I386    0

	.section .multiboot, "a"
	.align 8
mb2_header:
	.long	MB2_HEADER_MAGIC
	.long	MB2_ARCH_I386
	.long	mb2_header_end - mb2_header
	/* magic + architecture + length + checksum = 0 (mod 2^32) */
	.long	0x100000000 - (MB2_HEADER_MAGIC + MB2_ARCH_I386 + (mb2_header_end - mb2_header))
	.align 8
	.short	0			/* end tag: type 0, */
	.short	0			/* flags 0, */
	.long	8			/* size 8 */
mb2_header_end:
