/* SPDX-License-Identifier: MIT */
/*
 * Guest image loading, the pure part (vmm/loader.c): reading multiboot2
 * and multiboot1 headers, ELF32/ELF64 program headers or the multiboot
 * address fields, or the setup header of a Linux bzImage
 * (vmm/loader_linux.c); planning where the image, the modules and the
 * boot information go in guest RAM; building the boot information the
 * guest will find in EBX (multiboot) or ESI (Linux's boot_params); and
 * the register state vCPU 0 starts with. vmm/partition_create.c then
 * copies bytes into guest memory as planned.
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

/*
 * A Linux bzImage's setup header (Documentation/arch/x86/boot.rst), as
 * far as the plan and the boot_params need it. The header proper is kept
 * as bytes: the boot_params get a copy of it (32-bit boot protocol).
 */
#define LINUX_SETUP_HDR_OFFSET 0x1f1 /* in the image and in boot_params */
#define LINUX_SETUP_HDR_MAX    0x9f  /* up to boot_params' field at 0x290 */

struct linux_setup {
	u16 version; /* boot protocol, (major << 8) | minor */
	u16 hdr_len; /* bytes of hdr: 0x202 + the jump's offset - 0x1f1 */
	u32 initrd_addr_max; /* the highest byte the initrd may occupy */
	u32 cmdline_size;    /* the longest command line, NUL excluded */
	u8 hdr[LINUX_SETUP_HDR_MAX]; /* image bytes [0x1f1, 0x1f1 + hdr_len) */
};

struct guest_image {
	enum guest_format format; /* MULTIBOOT2, MULTIBOOT1 or LINUX */
	u32 nsegments;
	struct guest_segment segments[LOADER_MAX_SEGMENTS];
	gpa_t entry;
	gpa_t image_end;    /* end of the highest segment */
	bool align_modules; /* mb1 flag bit 0 / mb2 module-alignment tag */
	struct linux_setup setup; /* format LINUX only */
};

struct loader_error {
	char msg[192];
};

/*
 * Read the image's headers. fmt AUTO tries multiboot2, then multiboot1,
 * then a Linux bzImage ("HdrS" at offset 0x202). A bzImage's protected-
 * mode kernel is one segment at 1 MiB whose memory size covers what the
 * kernel needs before it reads its memory map (init_size, from where it
 * will run); Shade refuses boot protocols before 2.02 and images that are
 * not loaded high (zImages). For multiboot images,
 * every field is checked against the image length and ram_bytes: header
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
 *
 * format=linux: the modules are the initrd, one after the other as
 * one block (the first page aligned, each next one at the next 4-byte
 * boundary, zeros between: concatenated cpio archives, as GRUB's initrd
 * command makes them); the boot information is the page-aligned
 * boot_params, a GDT and the command line. Also -EINVAL for a command
 * line longer than the kernel's cmdline_size, -ENOSPC for an initrd that
 * would end above initrd_addr_max.
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
 * For Linux (vmm/loader_linux.c): the zero page (a copy of the setup
 * header, type_of_loader 0xff, CAN_USE_HEAP, the initrd, cmd_line_ptr,
 * acpi_rsdp_addr, the e820 table of the memory map above), then the GDT
 * of loader_entry_state() and the command line.
 */
u64 loader_build_info(const struct guest_image *img,
		      const struct loader_module *mods, u32 nmods,
		      const char *cmdline, u64 ram_bytes,
		      const struct loader_plan *plan, u8 *buf);

/* The EAX value the guest is entered with. */
u32 loader_entry_magic(const struct guest_image *img);

/*
 * vCPU 0's state at its first VM entry (contract section 3), for
 * vmm/vmcs.c. Every format: 32-bit protected mode, paging and interrupts
 * off, CS a flat 4 GiB execute/read code segment and DS, ES, SS, FS, GS
 * flat 4 GiB read/write data segments (base 0), TR a busy 32-bit TSS
 * (base 0), every register not named here 0.
 *
 *	multiboot	EAX magic, EBX the boot information; selectors
 *			0x08 (CS), 0x10 (data), 0x18 (TR); no GDT in guest
 *			memory (GDTR base 0, limit 0xffff): the guest
 *			loads its own before it reloads a segment.
 *	linux		ESI the boot_params, EAX = EBX = EBP = EDI = 0;
 *			CS __BOOT_CS (0x10), data __BOOT_DS (0x18), TR
 *			0x20, and a GDT in guest memory (inside the boot
 *			information block) that holds these descriptors,
 *			as the 32-bit boot protocol demands.
 */
struct loader_entry {
	u32 eip;
	u32 eax, ebx, esi;
	u16 cs; /* code selector */
	u16 ds; /* DS, ES, SS, FS and GS */
	u16 tr; /* task register selector */
	u16 gdt_limit;
	gpa_t gdt_base;
};

/* The multiboot-style state: also HC_VCPU_START's (eax = vCPU index,
 * ebx = its argument). */
void loader_entry_flat(struct loader_entry *e, u32 eip, u32 eax, u32 ebx);

/* vCPU 0's state for img, planned by loader_plan(). */
void loader_entry_state(const struct guest_image *img,
			const struct loader_plan *plan, struct loader_entry *e);

#endif
