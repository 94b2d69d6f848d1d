/* SPDX-License-Identifier: MIT */
/*
 * What the parts of the guest loader share: vmm/loader.c reads the
 * multiboot headers and picks the way to load, vmm/loader_segments.c
 * reads ELF program headers and checks every segment before it joins the
 * guest_image, vmm/loader_linux.c does both and more for a Linux bzImage,
 * vmm/bootinfo_build.c plans guest RAM and writes the boot information.
 * Nothing outside these four files includes this header.
 */
#ifndef SHADE_LOADER_INTERNAL_H
#define SHADE_LOADER_INTERNAL_H

#include "types.h"
#include "bootinfo.h"
#include "loader.h"

/* One loader_parse() call. */
struct loader {
	const u8 *image;
	u64 len;
	u64 ram_bytes;
	struct guest_image *out;
	struct loader_error *err;
	const char *entry_from; /* the field the entry point came from */
};

/* The image's fields have no alignment guarantee: read them by copying. */
static inline u16 rd16(const u8 *p)
{
	u16 v;

	__builtin_memcpy(&v, p, sizeof(v));
	return v;
}

static inline u32 rd32(const u8 *p)
{
	u32 v;

	__builtin_memcpy(&v, p, sizeof(v));
	return v;
}

static inline u64 rd64(const u8 *p)
{
	u64 v;

	__builtin_memcpy(&v, p, sizeof(v));
	return v;
}

/* "16 MiB", "2100 KiB" or "0x2030af bytes": a partition's RAM in
 * messages. Returns buf. */
const char *loader_ram_text(u64 ram_bytes, char *buf, size_t size);

/* Fill l->err->msg. Returns -EINVAL. */
__printf(2, 3) int loader_fail(struct loader *l, const char *fmt, ...);

/*
 * Check one piece of the image and add it to l->out: file bytes
 * [file_offset, + file_size) go to gpa, zeros follow up to gpa +
 * mem_size. `what` names it in messages ("ELF segment 2"). Returns 0 or
 * -EINVAL.
 */
int loader_add_segment(struct loader *l, const char *what, u64 file_offset,
		       u64 file_size, gpa_t gpa, u64 mem_size);

/* Is l->out->entry inside a loaded segment? Returns 0 or -EINVAL. */
int loader_check_entry(struct loader *l);

/*
 * Load by the ELF program headers (the multiboot header, named by `via`
 * in messages, has no address fields): segments and entry point.
 * Returns 0 or -EINVAL.
 */
int elf_load(struct loader *l, const char *via);

/* ---- the memory map every guest gets (contract section 2) ------------- */

#define GUEST_MMAP_ENTRIES 3

struct guest_range {
	u64 base, len;
	u32 type; /* enum mem_type */
};

/* [0, 0x9fc00) available, [0x9fc00, 1 MiB) reserved, [1 MiB, ram_bytes)
 * available; ram_bytes is above 1 MiB (loader_plan() checks). */
static inline void guest_mmap(u64 ram_bytes,
			      struct guest_range r[GUEST_MMAP_ENTRIES])
{
	r[0] = (struct guest_range){0, GUEST_LOW_RESERVED_START, MEM_AVAILABLE};
	r[1] = (struct guest_range){GUEST_LOW_RESERVED_START,
				    GUEST_LOW_RESERVED_END -
					    GUEST_LOW_RESERVED_START,
				    MEM_RESERVED};
	r[2] = (struct guest_range){GUEST_LOW_RESERVED_END,
				    ram_bytes - GUEST_LOW_RESERVED_END,
				    MEM_AVAILABLE};
}

/* ---- Linux (vmm/loader_linux.c) ---------------------------------------- */

/* Does the image carry the Linux boot protocol's "HdrS" at 0x202? */
bool linux_is_bzimage(const u8 *image, u64 len);

/* Load a bzImage: the setup header into l->out->setup, the protected-
 * mode kernel as one segment, the entry point. Returns 0 or -EINVAL. */
int linux_load(struct loader *l);

/* Bytes of the boot information block: boot_params, GDT, command line. */
u64 linux_info_size(const char *cmdline);

/* The command line against the kernel's cmdline_size. Returns 0 or
 * -EINVAL with a message. */
int linux_check_cmdline(const struct guest_image *img, const char *cmdline,
			struct loader_error *err);

/* After placement: the initrd (the modules, one block) against
 * initrd_addr_max. Returns 0 or -ENOSPC with a message. */
int linux_check_initrd(const struct guest_image *img,
		       const struct loader_module *mods, u32 nmods,
		       struct loader_error *err);

/* Write the block at plan->info_gpa into buf (zeroed by the caller).
 * Returns the bytes written, plan->info_size. */
u64 linux_build_info(const struct guest_image *img,
		     const struct loader_module *mods, u32 nmods,
		     const char *cmdline, u64 ram_bytes,
		     const struct loader_plan *plan, u8 *buf);

/* ESI, the selectors and the GDT of the block at plan->info_gpa. */
void linux_entry_state(const struct guest_image *img,
		       const struct loader_plan *plan, struct loader_entry *e);

#endif
