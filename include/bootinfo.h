/* SPDX-License-Identifier: MIT */
/*
 * What the boot loader told us, in one loader-independent structure.
 * boot/mb2.c fills it from a multiboot2 information structure (GRUB),
 * boot/mb1.c from a multiboot1 one (qemu -kernel). Strings are copied into
 * the structure's own pool, so nothing here points back into the loader's
 * memory except the modules themselves.
 */
#ifndef SHADE_BOOTINFO_H
#define SHADE_BOOTINFO_H

#include "types.h"

/* Memory map entry types, as multiboot2 and the E820 BIOS call number them. */
enum mem_type {
	MEM_AVAILABLE = 1,
	MEM_RESERVED = 2,
	MEM_ACPI_RECLAIMABLE = 3,
	MEM_ACPI_NVS = 4,
	MEM_BAD = 5,
};

struct mem_range {
	u64 base;
	u64 len;
	u32 type; /* enum mem_type; other values are treated as reserved */
};

struct boot_module {
	hpa_t start;	     /* first byte */
	hpa_t end;	     /* one past the last byte */
	const char *cmdline; /* in boot_info.strpool, never NULL */
};

#define BOOT_MAX_MMAP	 128
#define BOOT_MAX_MODULES 32
#define BOOT_MAX_RSDP	 64 /* an ACPI 2.0+ RSDP is 36 bytes */
#define BOOT_STRPOOL	 16384

struct boot_info {
	const char *loader;	 /* "multiboot2" or "multiboot1" */
	const char *loader_name; /* boot loader name tag, "" if none */
	const char *cmdline;	 /* Shade's command line, "" if none */

	bool has_basic_meminfo;
	u32 mem_lower_kib, mem_upper_kib;

	u32 nmmap;
	struct mem_range mmap[BOOT_MAX_MMAP];

	u32 nmodules;
	struct boot_module modules[BOOT_MAX_MODULES];

	/* Copy of the RSDP from the ACPI old/new tags; rsdp_len 0 if none. */
	u32 rsdp_len;
	u8 rsdp[BOOT_MAX_RSDP];

	/* Where the loader's information structure lies, to keep it out of
	 * the frame allocator (mb1: the main structure only). */
	hpa_t info_start, info_end;

	u32 strpool_used;
	char strpool[BOOT_STRPOOL];
};

/* A parse error: which tag (or field) was bad, and why. */
struct boot_error {
	char msg[160];
};

/*
 * Translates a physical range of the loader's memory into a pointer we may
 * read, or NULL when [pa, pa + len) is not readable. Inside Shade this is
 * the identity map; unit tests map a buffer.
 */
typedef const void *(*phys_map_fn)(u64 pa, u64 len, void *ctx);

#define MB2_BOOTLOADER_MAGIC 0x36d76289u
#define MB1_BOOTLOADER_MAGIC 0x2badb002u

/*
 * Parse the multiboot2 information at physical address info_pa. Returns 0,
 * or -EINVAL with err->msg naming the offending tag ("tag 6 (memory map) at
 * offset 0x40: entry_size 20 is not a multiple of 8").
 */
int mb2_parse(u64 info_pa, phys_map_fn map, void *ctx, struct boot_info *out,
	      struct boot_error *err);

/* Same for a multiboot1 information structure. */
int mb1_parse(u64 info_pa, phys_map_fn map, void *ctx, struct boot_info *out,
	      struct boot_error *err);

#endif
