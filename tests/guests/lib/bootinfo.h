/* SPDX-License-Identifier: MIT */
/*
 * The boot information a guest finds in EBX (contract section 3), read
 * from either format into one struct boot_info, and compared with what a
 * test expects from its partition's configuration (contract section 2).
 *
 * Multiboot2 (spec 2.0, section 3.6): a u32 total_size, a u32 reserved,
 * then 8-byte aligned tags { u32 type, size; ... } up to a type-0 tag.
 * Multiboot 0.6.96 (section 3.3): a fixed struct whose flags say which
 * fields are valid; strings, module list and memory map are pointed to.
 */
#ifndef GUEST_BOOTINFO_H
#define GUEST_BOOTINFO_H

#include "types.h"

#define MB2_BOOTLOADER_MAGIC 0x36d76289
#define MB1_BOOTLOADER_MAGIC 0x2badb002

#define BOOT_MAX_MMAP 16
#define BOOT_MAX_MODS 8

#define MMAP_AVAILABLE 1
#define MMAP_RESERVED  2

struct boot_mmap {
	u64 base;
	u64 len;
	u32 type;
};

struct boot_module {
	u32 start;
	u32 end; /* exclusive */
	const char *string;
};

struct boot_info {
	bool mb1;
	u32 info_addr;
	u32 info_size; /* bytes of the structure itself (mb2: total_size) */
	const char *cmdline;	 /* NULL if absent */
	const char *loader_name; /* NULL if absent */
	bool has_meminfo;
	u32 mem_lower, mem_upper; /* KiB */
	bool has_mmap;
	u32 nmmap;
	struct boot_mmap mmap[BOOT_MAX_MMAP];
	u32 nmods;
	struct boot_module mods[BOOT_MAX_MODS];
	/* Multiboot2 tags 14 and 15: copies of the ACPI RSDP (1.0: 20
	 * bytes, 2.0+: 36), NULL if absent. */
	const u8 *acpi_old, *acpi_new;
	u32 acpi_old_len, acpi_new_len;
};

/*
 * Fill *bi from the entry registers. The format follows from the magic.
 * Returns false (after a FAIL line) if the magic is unknown or the
 * structure is malformed: a tag running past total_size, no end tag, more
 * entries than fit in *bi.
 */
bool bootinfo_parse(u32 magic, u32 info, struct boot_info *bi);

/* What the integration script configured for this guest. */
struct boot_expect {
	const char *cmdline;	   /* after "--" on the module line */
	u64 mem_bytes;		   /* mem= */
	const char *module_string; /* the module-for= line's rest */
	const void *module_data;   /* the module file's bytes */
	u32 module_len;
};

/*
 * One PASS/FAIL line each: command line, mem_lower/mem_upper, the exact
 * three-entry memory map, the single module (string, size, content, page
 * aligned, above the image, inside RAM), the boot information itself
 * inside RAM and clear of the image and the module.
 */
void bootinfo_check(const struct boot_info *bi, const struct boot_expect *ex);

/* The guest's command line, or "" if there is none or the info is bad. */
const char *bootinfo_cmdline(u32 magic, u32 info);

#endif
