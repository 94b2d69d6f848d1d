/* SPDX-License-Identifier: MIT */
/*
 * Guest images built in a buffer, for the loader tests
 * (tests/unit/test_loader.c, tests/unit/test_bootinfo_build.c): ELF32 and
 * ELF64 headers and program headers, multiboot2 headers with tags, and
 * multiboot1 headers with or without address fields. Each helper writes
 * at a file offset of the one image buffer; the checksum helpers make a
 * header valid again after a test changed a field on purpose.
 *
 * Host-only; static functions, so a test that includes this file uses
 * only what it needs (unused ones are marked so).
 */
#ifndef SHADE_LOADER_IMAGES_H
#define SHADE_LOADER_IMAGES_H

#include <string.h>

#include "types.h"

#define IMG_MAX (64 * 1024)

#define MB2_MAGIC 0xe85250d6u
#define MB1_MAGIC 0x1badb002u
#define PT_LOAD	  1
#define PT_NOTE	  4

static u8 img[IMG_MAX] __aligned(8);
static u64 img_len;

static __unused void reset_image(u64 len)
{
	memset(img, 0, sizeof(img));
	img_len = len;
}

static __unused void w16(u64 off, u16 v)
{
	memcpy(img + off, &v, sizeof(v));
}

static __unused void w32(u64 off, u32 v)
{
	memcpy(img + off, &v, sizeof(v));
}

static __unused void w64(u64 off, u64 v)
{
	memcpy(img + off, &v, sizeof(v));
}

static __unused u32 r32(u64 off)
{
	u32 v;

	memcpy(&v, img + off, sizeof(v));
	return v;
}

/* ---- ELF --------------------------------------------------------------- */

#define ELF32_PHOFF 52
#define ELF64_PHOFF 64

/* File header: executable for i386 (ELF32) or x86-64 (ELF64), program
 * headers right after it. */
static __unused void elf_hdr(bool is64, u64 entry, u16 phnum)
{
	static const u8 ident[] = {0x7f, 'E', 'L', 'F'};

	memcpy(img, ident, sizeof(ident));
	img[4] = is64 ? 2 : 1; /* class */
	img[5] = 1;	       /* little endian */
	img[6] = 1;	       /* version */
	w16(16, 2);	       /* ET_EXEC */
	w16(18, is64 ? 62 : 3);
	w32(20, 1);
	if (is64) {
		w64(24, entry);
		w64(32, ELF64_PHOFF);
		w16(52, 64);
		w16(54, 56);
		w16(56, phnum);
	} else {
		w32(24, (u32)entry);
		w32(28, ELF32_PHOFF);
		w16(40, 52);
		w16(42, 32);
		w16(44, phnum);
	}
}

static __unused u64 phdr_off(bool is64, u32 i)
{
	return is64 ? ELF64_PHOFF + i * 56 : ELF32_PHOFF + i * 32;
}

/* Program header i. The virtual address differs from p_paddr, as in a
 * higher-half kernel, to show that the loader uses p_paddr. */
static __unused void elf_phdr(bool is64, u32 i, u32 type, u64 offset, u64 paddr,
			      u64 filesz, u64 memsz)
{
	u64 p = phdr_off(is64, i);

	w32(p, type);
	if (is64) {
		w64(p + 8, offset);
		w64(p + 16, paddr + 0xffffffff80000000ULL);
		w64(p + 24, paddr);
		w64(p + 32, filesz);
		w64(p + 40, memsz);
	} else {
		w32(p + 4, (u32)offset);
		w32(p + 8, (u32)paddr + 0xc0000000u);
		w32(p + 12, (u32)paddr);
		w32(p + 16, (u32)filesz);
		w32(p + 20, (u32)memsz);
	}
}

/* ---- multiboot2 header ------------------------------------------------- */

static u64 mb2_at, mb2_pos; /* header offset, next tag offset */

static __unused void mb2_fix_checksum(void)
{
	w32(mb2_at + 12, -(r32(mb2_at) + r32(mb2_at + 4) + r32(mb2_at + 8)));
}

/* Magic, architecture 0; tags follow with mb2_tag(), then mb2_finish(). */
static __unused void mb2_begin(u64 off)
{
	mb2_at = off;
	mb2_pos = off + 16;
	w32(off, MB2_MAGIC);
	w32(off + 4, 0);
}

static __unused void mb2_tag(u16 type, u16 flags, const void *data, u32 len)
{
	w16(mb2_pos, type);
	w16(mb2_pos + 2, flags);
	w32(mb2_pos + 4, 8 + len);
	if (len)
		memcpy(img + mb2_pos + 8, data, len);
	mb2_pos += ALIGN_UP(8 + len, 8);
}

/* Address tag (type 2) and entry address tag (type 3). */
static __unused void mb2_address(u32 header_addr, u32 load_addr,
				 u32 load_end_addr, u32 bss_end_addr)
{
	const u32 a[] = {header_addr, load_addr, load_end_addr, bss_end_addr};

	mb2_tag(2, 0, a, sizeof(a));
}

static __unused void mb2_entry(u32 entry_addr)
{
	mb2_tag(3, 0, &entry_addr, sizeof(entry_addr));
}

/* End tag, header_length, checksum. */
static __unused void mb2_finish(void)
{
	mb2_tag(0, 0, NULL, 0);
	w32(mb2_at + 8, (u32)(mb2_pos - mb2_at));
	mb2_fix_checksum();
}

/* ---- multiboot1 header ------------------------------------------------- */

static __unused void mb1_fix_checksum(u64 off)
{
	w32(off + 8, -(r32(off) + r32(off + 4)));
}

static __unused void mb1_header(u64 off, u32 flags)
{
	w32(off, MB1_MAGIC);
	w32(off + 4, flags);
	mb1_fix_checksum(off);
}

/* The five address fields of flags bit 16. */
static __unused void mb1_address(u64 off, u32 header_addr, u32 load_addr,
				 u32 load_end_addr, u32 bss_end_addr,
				 u32 entry_addr)
{
	w32(off + 12, header_addr);
	w32(off + 16, load_addr);
	w32(off + 20, load_end_addr);
	w32(off + 24, bss_end_addr);
	w32(off + 28, entry_addr);
}

/* ---- the usual images -------------------------------------------------- */

#define STD_ENTRY 0x100010
#define STD_PADDR 0x100000
#define STD_HDR	  0x1000 /* multiboot header offset, inside the segment */

/* One PT_LOAD: file [0x1000, 0x2000) to 0x100000, 0x3000 bytes in memory. */
static __unused void std_elf(bool is64)
{
	reset_image(0x2000);
	elf_hdr(is64, STD_ENTRY, 1);
	elf_phdr(is64, 0, PT_LOAD, 0x1000, STD_PADDR, 0x1000, 0x3000);
}

static __unused void std_elf_mb2(bool is64)
{
	std_elf(is64);
	mb2_begin(STD_HDR);
	mb2_finish();
}

static __unused void std_elf_mb1(bool is64, u32 flags)
{
	std_elf(is64);
	mb1_header(STD_HDR, flags);
}

#endif
