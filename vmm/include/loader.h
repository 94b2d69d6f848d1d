/* SPDX-License-Identifier: MIT */
/*
 * Guest image loading, the pure part (vmm/loader.c): reading multiboot2
 * and multiboot1 headers, ELF32/ELF64 program headers or the multiboot
 * address fields; planning where the image, the modules and the boot
 * information go in guest RAM; and building the boot information the
 * guest will find in EBX. vmm/partition.c then copies bytes into guest
 * memory as planned.
 *
 * Guest RAM is all of [0, ram_bytes); the memory map given to the guest
 * (contract section 2) is
 *	[0, 0x9fc00) available, [0x9fc00, 0x100000) reserved,
 *	[0x100000, ram_bytes) available.
 * Nothing is loaded into the reserved range or below 0x1000 (page 0 stays
 * free so that a guest's NULL pointer is visible to it).
 */
#ifndef SHADE_LOADER_H
#define SHADE_LOADER_H

#include "types.h"
#include "config.h"

#define LOADER_MAX_SEGMENTS 16
#define LOADER_MAX_MODULES  16

#define GUEST_LOW_RESERVED_START 0x9fc00ULL
#define GUEST_LOW_RESERVED_END	 0x100000ULL

struct guest_segment {
	u64 file_offset; /* bytes [file_offset, file_offset + file_size) */
	u64 file_size;	 /* of the image go to gpa; the rest of mem_size */
	gpa_t gpa;	 /* up to gpa + mem_size is zeroed */
	u64 mem_size;
};

struct guest_image {
	enum guest_format format; /* MULTIBOOT2 or MULTIBOOT1, never AUTO */
	u32 nsegments;
	struct guest_segment segments[LOADER_MAX_SEGMENTS];
	gpa_t entry;
	gpa_t image_end;    /* end of the highest segment */
	bool align_modules; /* mb1 flag bit 0 / mb2 module-alignment tag */
};

struct loader_error {
	char msg[192];
};

/*
 * Read the image's headers. fmt AUTO tries multiboot2, then multiboot1,
 * then recognizes a Linux bzImage ("format=linux is not supported yet").
 * Every field is checked against the image length and ram_bytes: header
 * checksum and placement, required multiboot2 tags Shade cannot honour
 * (EFI, framebuffer without the optional flag...), mb1 flag bits 3-15,
 * ELF class/machine/type, program headers inside the file, PT_LOAD
 * segments inside the file (filesz <= memsz) and inside guest RAM, not
 * overlapping each other, the reserved low range or page 0, the entry
 * point inside a loaded segment; address fields consistent
 * (header_addr >= load_addr, load_end <= bss_end, ...). Returns 0 or
 * -EINVAL with a message that names the field and value.
 */
int loader_parse(const u8 *image, u64 len, enum guest_format fmt, u64 ram_bytes,
		 struct guest_image *out, struct loader_error *err);

struct loader_module {
	u64 size;	     /* bytes */
	const char *cmdline; /* the module's string */
	gpa_t gpa;	     /* set by loader_plan() */
};

struct loader_plan {
	gpa_t info_gpa; /* where the boot information goes */
	u64 info_size;
};

/*
 * Place the modules (page aligned, after image_end, in order) and the boot
 * information (after the last module, 8-byte aligned; it must fit in
 * LOADER_INFO_MAX bytes) in guest RAM, skipping the reserved low range.
 * Sets mods[i].gpa and *plan. Returns 0 or -ENOSPC with a message saying
 * how many bytes were needed and how much RAM the partition has.
 */
#define LOADER_INFO_MAX (64 * 1024)
int loader_plan(const struct guest_image *img, struct loader_module *mods,
		u32 nmods, const char *cmdline, u64 ram_bytes,
		struct loader_plan *plan, struct loader_error *err);

/*
 * Build the boot information for img->format into buf (at least
 * plan->info_size bytes, which loader_plan computed), as it will sit at
 * plan->info_gpa: command line, boot loader name ("Shade"), basic memory
 * info, the memory map above, the modules, and for multiboot2 the ACPI
 * old and new RSDP tags (include/vacpi.h). Returns the number of
 * bytes written. For multiboot1, the strings, module list and memory map
 * live inside buf too, at guest-physical addresses inside the plan.
 */
u64 loader_build_info(const struct guest_image *img,
		      const struct loader_module *mods, u32 nmods,
		      const char *cmdline, u64 ram_bytes,
		      const struct loader_plan *plan, u8 *buf);

/* The EAX value the guest is entered with. */
u32 loader_entry_magic(const struct guest_image *img);

#endif
