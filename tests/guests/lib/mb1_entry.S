/* SPDX-License-Identifier: MIT */
/*
 * The multiboot1 header of a test guest (Multiboot 0.6.96, 3.1.1): flag
 * bit 0 (page-align modules) and bit 1 (memory information), but not bit
 * 16, so there are no address fields and the loader reads the ELF32
 * program headers; QEMU's -kernel loads it this way too. guest.ld puts
 * .multiboot first in the file, inside the first 8 KiB. The entry point
 * itself is _start (start.S).
 */
	.section .note.GNU-stack, "", @progbits

#define MB1_HEADER_MAGIC    0x1badb002
#define MB1_FLAG_PAGE_ALIGN (1 << 0)
#define MB1_FLAG_MEMORY     (1 << 1)
#define MB1_FLAGS           (MB1_FLAG_PAGE_ALIGN | MB1_FLAG_MEMORY)

	.section .multiboot, "a"
	.align 4
	.long	MB1_HEADER_MAGIC
	.long	MB1_FLAGS
	/* magic + flags + checksum = 0 (mod 2^32) */
	.long	0x100000000 - (MB1_HEADER_MAGIC + MB1_FLAGS)
