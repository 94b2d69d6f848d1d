// SPDX-License-Identifier: MIT
/*
 * Where a guest image's bytes go: the checks every segment passes before
 * it joins the guest_image (inside the file, inside guest RAM, clear of
 * page 0, the reserved low range and the other segments), the entry
 * point check, and the ELF32/ELF64 program headers that most multiboot
 * images are loaded by. vmm/loader.c, which reads the multiboot headers,
 * calls in here.
 *
 * Context: boot CPU, while partitions are created (and host unit tests).
 * Pure: reads the image, writes the caller's structures, no allocation.
 */
#include "types.h"
#include "errno.h"
#include "kstring.h"
#include "format.h"
#include "loader.h"
#include "loader_internal.h"

const char *loader_ram_text(u64 ram_bytes, char *buf, size_t size)
{
	if (IS_ALIGNED(ram_bytes, MiB))
		ksnprintf(buf, size, "%lu MiB", ram_bytes / MiB);
	else if (IS_ALIGNED(ram_bytes, KiB))
		ksnprintf(buf, size, "%lu KiB", ram_bytes / KiB);
	else
		ksnprintf(buf, size, "0x%lx bytes", ram_bytes);
	return buf;
}

/* ---- segments ---------------------------------------------------------- */

/* Do [a, a_end) and [b, b_end) share a byte? */
static bool ranges_overlap(u64 a, u64 a_end, u64 b, u64 b_end)
{
	return a < b_end && b < a_end;
}

/* The segment's bytes must be in the file: [offset, offset + size). */
static int check_file_range(struct loader *l, const char *what, u64 offset,
			    u64 size)
{
	if (offset > UINT64_MAX - size)
		return loader_fail(l,
				   "%s: file offset 0x%lx + size 0x%lx wraps "
				   "past 2^64",
				   what, offset, size);
	if (offset + size > l->len)
		return loader_fail(l,
				   "image truncated: %s needs file bytes up "
				   "to 0x%lx, the image has 0x%lx",
				   what, offset + size, l->len);
	return 0;
}

/*
 * Where the segment goes: inside guest RAM, not in page 0 (a guest's NULL
 * pointer must stay free), not in the reserved low range, and not on top
 * of a segment before it.
 */
static int check_placement(struct loader *l, const char *what, gpa_t gpa,
			   u64 end)
{
	const struct guest_image *img = l->out;
	char ram[24];

	if (gpa < PAGE_SIZE)
		return loader_fail(l,
				   "%s: [0x%lx, 0x%lx) overlaps page 0, which "
				   "stays free",
				   what, gpa, end);
	if (ranges_overlap(gpa, end, GUEST_LOW_RESERVED_START,
			   GUEST_LOW_RESERVED_END))
		return loader_fail(l,
				   "%s: [0x%lx, 0x%lx) overlaps the reserved "
				   "range [0x%llx, 0x%llx)",
				   what, gpa, end, GUEST_LOW_RESERVED_START,
				   GUEST_LOW_RESERVED_END);
	if (end > l->ram_bytes)
		return loader_fail(
			l,
			"%s: ends at 0x%lx, beyond the partition's "
			"%s of RAM",
			what, end,
			loader_ram_text(l->ram_bytes, ram, sizeof(ram)));
	for (u32 i = 0; i < img->nsegments; i++) {
		const struct guest_segment *s = &img->segments[i];

		if (ranges_overlap(gpa, end, s->gpa, s->gpa + s->mem_size))
			return loader_fail(l,
					   "%s: [0x%lx, 0x%lx) overlaps the "
					   "segment at [0x%lx, 0x%lx)",
					   what, gpa, end, s->gpa,
					   s->gpa + s->mem_size);
	}
	return 0;
}

/*
 * Check one piece of the image and add it to the list: file bytes
 * [file_offset, + file_size) go to gpa, then zeros up to gpa + mem_size.
 */
int loader_add_segment(struct loader *l, const char *what, u64 file_offset,
		       u64 file_size, gpa_t gpa, u64 mem_size)
{
	struct guest_image *img = l->out;
	struct guest_segment *s;

	if (file_size > mem_size)
		return loader_fail(l,
				   "%s: file size 0x%lx is above memory size "
				   "0x%lx",
				   what, file_size, mem_size);
	if (check_file_range(l, what, file_offset, file_size))
		return -EINVAL;
	if (gpa > UINT64_MAX - mem_size)
		return loader_fail(l,
				   "%s: address 0x%lx + memory size 0x%lx "
				   "wraps past 2^64",
				   what, gpa, mem_size);
	if (check_placement(l, what, gpa, gpa + mem_size))
		return -EINVAL;
	if (img->nsegments == LOADER_MAX_SEGMENTS)
		return loader_fail(l, "%s: more than %d segments to load", what,
				   LOADER_MAX_SEGMENTS);
	s = &img->segments[img->nsegments++];
	s->file_offset = file_offset;
	s->file_size = file_size;
	s->gpa = gpa;
	s->mem_size = mem_size;
	img->image_end = MAX(img->image_end, gpa + mem_size);
	return 0;
}

/* The guest starts at the entry point: it must be in a loaded segment. */
int loader_check_entry(struct loader *l)
{
	const struct guest_image *img = l->out;

	for (u32 i = 0; i < img->nsegments; i++) {
		const struct guest_segment *s = &img->segments[i];

		if (img->entry >= s->gpa && img->entry - s->gpa < s->mem_size)
			return 0;
	}
	return loader_fail(l,
			   "entry point 0x%lx (%s) is not inside a loaded "
			   "segment",
			   img->entry, l->entry_from);
}

/* ---- ELF --------------------------------------------------------------- */

/*
 * ELF file header (System V ABI, "ELF Header"), the fields Shade reads:
 *
 *	 0  u8  e_ident[16]	7f 'E' 'L' 'F', class (1 = ELF32, 2 = ELF64),
 *				data (1 = little endian), version (1)
 *	16  u16 e_type		2 = ET_EXEC
 *	18  u16 e_machine	3 = EM_386, 62 = EM_X86_64
 *	24  e_entry, e_phoff	ELF32: u32 at 24, 28; ELF64: u64 at 24, 32
 *	    e_phentsize, e_phnum ELF32: u16 at 42, 44; ELF64: u16 at 54, 56
 *
 * Program header (one per segment), ELF32 / ELF64 offsets:
 *
 *	p_type	 u32 at 0 / u32 at 0	1 = PT_LOAD
 *	p_offset u32 at 4 / u64 at 8	file offset of the segment's bytes
 *	p_paddr	 u32 at 12 / u64 at 24	where they go (GRUB loads here too)
 *	p_filesz u32 at 16 / u64 at 32	bytes from the file
 *	p_memsz	 u32 at 20 / u64 at 40	bytes in memory, the rest zeroed
 */
#define ELF_MAGIC	0x464c457fu /* 7f 'E' 'L' 'F', little endian */
#define EI_CLASS	4
#define EI_DATA		5
#define EI_VERSION	6
#define ELFCLASS32	1
#define ELFCLASS64	2
#define ELFDATA2LSB	1
#define EV_CURRENT	1
#define ET_EXEC		2
#define EM_386		3
#define EM_X86_64	62
#define PT_LOAD		1
#define ELF32_EHDR_SIZE 52
#define ELF64_EHDR_SIZE 64
#define ELF32_PHDR_SIZE 32
#define ELF64_PHDR_SIZE 56

struct elf_header {
	bool is64;
	u64 entry;
	u64 phoff;
	u16 phentsize;
	u16 phnum;
};

struct elf_phdr {
	u32 type;
	u64 offset, paddr, filesz, memsz;
};

/* e_ident: magic, class, byte order, version. */
static int elf_ident(struct loader *l, const char *via)
{
	const u8 *e = l->image;

	if (l->len < ELF32_EHDR_SIZE || rd32(e) != ELF_MAGIC)
		return loader_fail(l,
				   "not an ELF file, and %s has no load "
				   "address fields to load it otherwise",
				   via);
	if (e[EI_CLASS] != ELFCLASS32 && e[EI_CLASS] != ELFCLASS64)
		return loader_fail(l, "ELF header: class %u is not 1 or 2",
				   e[EI_CLASS]);
	if (e[EI_DATA] != ELFDATA2LSB)
		return loader_fail(l,
				   "ELF header: data encoding %u is not 1 "
				   "(little endian)",
				   e[EI_DATA]);
	if (e[EI_VERSION] != EV_CURRENT)
		return loader_fail(l, "ELF header: version %u is not 1",
				   e[EI_VERSION]);
	if (e[EI_CLASS] == ELFCLASS64 && l->len < ELF64_EHDR_SIZE)
		return loader_fail(l,
				   "image truncated: the ELF64 header needs "
				   "%d bytes, the image has 0x%lx",
				   ELF64_EHDR_SIZE, l->len);
	return 0;
}

/* The rest of the file header, ELF32 or ELF64. */
static int elf_header(struct loader *l, const char *via, struct elf_header *h)
{
	const u8 *e = l->image;
	u16 type, machine;

	if (elf_ident(l, via))
		return -EINVAL;
	type = rd16(e + 16);
	machine = rd16(e + 18);
	h->is64 = e[EI_CLASS] == ELFCLASS64;
	if (type != ET_EXEC)
		return loader_fail(
			l, "ELF header: e_type %u is not 2 (ET_EXEC)", type);
	if (machine != (h->is64 ? EM_X86_64 : EM_386))
		return loader_fail(l,
				   "ELF header: e_machine %u is not %d (%s) "
				   "for ELF%s",
				   machine, h->is64 ? EM_X86_64 : EM_386,
				   h->is64 ? "EM_X86_64" : "EM_386",
				   h->is64 ? "64" : "32");
	h->entry = h->is64 ? rd64(e + 24) : rd32(e + 24);
	h->phoff = h->is64 ? rd64(e + 32) : rd32(e + 28);
	h->phentsize = h->is64 ? rd16(e + 54) : rd16(e + 42);
	h->phnum = h->is64 ? rd16(e + 56) : rd16(e + 44);
	return 0;
}

/* The program header table: entries of the expected size, in the file. */
static int elf_check_phdrs(struct loader *l, const struct elf_header *h)
{
	u32 want = h->is64 ? ELF64_PHDR_SIZE : ELF32_PHDR_SIZE;
	u64 bytes = (u64)h->phnum * h->phentsize;

	if (h->phnum == 0)
		return loader_fail(l, "ELF: no program headers (e_phnum 0), "
				      "so no PT_LOAD segment");
	if (h->phentsize != want)
		return loader_fail(l, "ELF header: e_phentsize %u is not %u",
				   h->phentsize, want);
	if (h->phoff > l->len || bytes > l->len - h->phoff)
		return loader_fail(l,
				   "ELF program headers [0x%lx, +0x%lx) run "
				   "past the end of the image (0x%lx bytes)",
				   h->phoff, bytes, l->len);
	return 0;
}

static void elf_phdr_at(const struct loader *l, const struct elf_header *h,
			u32 i, struct elf_phdr *ph)
{
	const u8 *p = l->image + h->phoff + (u64)i * h->phentsize;

	ph->type = rd32(p);
	if (h->is64) {
		ph->offset = rd64(p + 8);
		ph->paddr = rd64(p + 24);
		ph->filesz = rd64(p + 32);
		ph->memsz = rd64(p + 40);
	} else {
		ph->offset = rd32(p + 4);
		ph->paddr = rd32(p + 12);
		ph->filesz = rd32(p + 16);
		ph->memsz = rd32(p + 20);
	}
}

/* Every PT_LOAD segment with bytes in memory; other types are ignored. */
static int elf_segments(struct loader *l, const struct elf_header *h)
{
	struct elf_phdr ph;
	char what[32];

	for (u32 i = 0; i < h->phnum; i++) {
		elf_phdr_at(l, h, i, &ph);
		if (ph.type != PT_LOAD || (ph.memsz == 0 && ph.filesz == 0))
			continue;
		ksnprintf(what, sizeof(what), "ELF segment %u", i);
		if (loader_add_segment(l, what, ph.offset, ph.filesz, ph.paddr,
				       ph.memsz))
			return -EINVAL;
	}
	if (l->out->nsegments == 0)
		return loader_fail(l,
				   "ELF: no PT_LOAD segment among the %u "
				   "program headers",
				   h->phnum);
	return 0;
}

/*
 * Load by the ELF program headers, as GRUB does for a multiboot image
 * without address fields: each PT_LOAD segment at its p_paddr.
 */
int elf_load(struct loader *l, const char *via)
{
	struct elf_header h = {0};

	if (elf_header(l, via, &h) || elf_check_phdrs(l, &h) ||
	    elf_segments(l, &h))
		return -EINVAL;
	/* The guest starts in 32-bit protected mode, paging off. */
	if (h.entry > UINT32_MAX)
		return loader_fail(l,
				   "ELF header: e_entry 0x%lx is not below 4 "
				   "GiB, where a 32-bit entry can reach",
				   h.entry);
	l->out->entry = h.entry;
	l->entry_from = "e_entry";
	return 0;
}
