/* SPDX-License-Identifier: MIT */
/*
 * What the Linux test guest's entry code (header.S) records before it
 * changes anything, for hello.c to check against the 32-bit boot
 * protocol, and the setup-header values header.S puts in the image,
 * which hello.c expects back in the boot_params. Included by both.
 */
#ifndef GUEST_LINUX_ENTRY_H
#define GUEST_LINUX_ENTRY_H

/* Setup header values (Documentation/arch/x86/boot.rst). */
#define LINUX_PROTOCOL	      0x020f /* 2.15 */
#define LINUX_SETUP_SECTS     1
#define LINUX_INITRD_ADDR_MAX 0x7fffffff
#define LINUX_CMDLINE_SIZE    100
#define LINUX_KERNEL_ALIGN    0x1000
#define LINUX_MIN_ALIGN	      12
#define LINUX_SUBARCH_DATA    0x45444148 /* "HADE", read back as copied */
#define LINUX_HDR_END	      0x26c	 /* 0x202 + the jump's offset */
#define LINUX_HDR_HOLE_END    0x290	 /* junk from here back to the end */
#define LINUX_JUNK	      0xcc
#define LINUX_LOADED_HIGH     0x01

/* EAX for _start (start.S), so guest_main knows how it was entered. */
#define LINUX_ENTRY_MAGIC 0x4c6e7578 /* "xunL" */

/* Offsets in struct linux_entry_state. */
#define LE_EAX	  0
#define LE_EBX	  4
#define LE_ECX	  8
#define LE_EDX	  12
#define LE_ESI	  16
#define LE_EDI	  20
#define LE_EBP	  24
#define LE_ESP	  28
#define LE_EFLAGS 32
#define LE_CR0	  36
#define LE_CS	  40
#define LE_DS	  42
#define LE_ES	  44
#define LE_SS	  46
#define LE_FS	  48
#define LE_GS	  50
#define LE_TR	  52
#define LE_GDTR	  54 /* limit (2 bytes), base (4 bytes) */
#define LE_SIZE	  60

#ifndef __ASSEMBLER__
#include "types.h"

struct linux_entry_state {
	u32 eax, ebx, ecx, edx, esi, edi, ebp, esp;
	u32 eflags, cr0;
	u16 cs, ds, es, ss, fs, gs, tr;
	u16 gdt_limit;
	u32 gdt_base;
} __attribute__((packed));

_Static_assert(sizeof(struct linux_entry_state) == LE_SIZE, "layout");
_Static_assert(offsetof(struct linux_entry_state, esi) == LE_ESI, "layout");
_Static_assert(offsetof(struct linux_entry_state, cs) == LE_CS, "layout");
_Static_assert(offsetof(struct linux_entry_state, gdt_limit) == LE_GDTR,
	       "layout");

extern struct linux_entry_state linux_entry;
extern char linux_start[]; /* code32_start */
#endif

#endif
