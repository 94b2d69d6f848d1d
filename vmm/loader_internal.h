/* SPDX-License-Identifier: MIT */
/*
 * What the parts of the guest loader share: vmm/loader.c reads the
 * multiboot headers and picks the way to load, vmm/loader_segments.c
 * reads ELF program headers and checks every segment before it joins the
 * guest_image, vmm/bootinfo_build.c plans guest RAM and writes the boot
 * information. Nothing outside these three files includes this header.
 */
#ifndef SHADE_LOADER_INTERNAL_H
#define SHADE_LOADER_INTERNAL_H

#include "types.h"
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

#endif
