// SPDX-License-Identifier: MIT
/*
 * Unit tests for loader_parse() (vmm/loader.c, vmm/loader_segments.c):
 * ELF32 and ELF64 images behind multiboot2 and multiboot1 headers, the
 * a.out address fields of both, the choice of format, and one test per
 * way an image can be wrong, each checking the exact message. The images
 * are built by tests/unit/loader_images.h. loader_plan() and the boot
 * information are tested in tests/unit/test_bootinfo_build.c.
 *
 * Context: host, cmocka, under ASan and UBSan.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "types.h"
#include "errno.h"
#include "loader.h"
#include "loader_images.h"

#define RAM (16 * MiB)

static struct guest_image gi;
static struct loader_error lerr;

static void parse_ok(enum guest_format fmt)
{
	memset(&gi, 0xa5, sizeof(gi));
	memset(&lerr, 0x5a, sizeof(lerr));
	if (loader_parse(img, img_len, fmt, RAM, &gi, &lerr))
		fail_msg("refused: %s", lerr.msg);
}

static void parse_bad(enum guest_format fmt, const char *msg)
{
	memset(&lerr, 0x5a, sizeof(lerr));
	assert_int_equal(loader_parse(img, img_len, fmt, RAM, &gi, &lerr),
			 -EINVAL);
	assert_string_equal(lerr.msg, msg);
}

static void expect_segment(u32 i, u64 file_offset, u64 file_size, gpa_t gpa,
			   u64 mem_size)
{
	assert_true(i < gi.nsegments);
	assert_int_equal(gi.segments[i].file_offset, file_offset);
	assert_int_equal(gi.segments[i].file_size, file_size);
	assert_int_equal(gi.segments[i].gpa, gpa);
	assert_int_equal(gi.segments[i].mem_size, mem_size);
}

/* std_elf_mb2() with one field of `width` bytes at off set to v. */
static void field_bad(bool is64, u64 off, u32 width, u64 v, const char *msg)
{
	std_elf_mb2(is64);
	memcpy(img + off, &v, width); /* little endian: the low bytes */
	parse_bad(GUEST_FORMAT_AUTO, msg);
}

/* ---- valid images ------------------------------------------------------ */

static void expect_std_elf(enum guest_format format)
{
	assert_int_equal(gi.format, format);
	assert_int_equal(gi.nsegments, 1);
	expect_segment(0, 0x1000, 0x1000, STD_PADDR, 0x3000);
	assert_int_equal(gi.entry, STD_ENTRY);
	assert_int_equal(gi.image_end, STD_PADDR + 0x3000);
}

static void test_elf32_mb2(void **state)
{
	(void)state;
	std_elf_mb2(false);
	parse_ok(GUEST_FORMAT_AUTO);
	expect_std_elf(GUEST_FORMAT_MULTIBOOT2);
	assert_false(gi.align_modules);
	parse_ok(GUEST_FORMAT_MULTIBOOT2);
	expect_std_elf(GUEST_FORMAT_MULTIBOOT2);
}

static void test_elf64_mb2(void **state)
{
	(void)state;
	std_elf_mb2(true);
	parse_ok(GUEST_FORMAT_AUTO);
	expect_std_elf(GUEST_FORMAT_MULTIBOOT2);
}

static void test_elf_mb1(void **state)
{
	(void)state;
	std_elf_mb1(false, 0x3); /* align modules, memory info */
	parse_ok(GUEST_FORMAT_AUTO);
	expect_std_elf(GUEST_FORMAT_MULTIBOOT1);
	assert_true(gi.align_modules);
	std_elf_mb1(true, 0x4 | BIT(17)); /* video; optional bit 17 */
	parse_ok(GUEST_FORMAT_MULTIBOOT1);
	expect_std_elf(GUEST_FORMAT_MULTIBOOT1);
	assert_false(gi.align_modules);
}

/* Several PT_LOADs; other types and empty PT_LOADs are skipped. */
static void test_elf_segments(void **state)
{
	(void)state;
	reset_image(0x3000);
	elf_hdr(true, 0x200000, 5);
	elf_phdr(true, 0, PT_NOTE, 0x100, 0, 0x20, 0x20);
	elf_phdr(true, 1, PT_LOAD, 0x1000, 0x200000, 0x1000, 0x1000);
	elf_phdr(true, 2, PT_LOAD, 0x2000, 0x300000, 0, 0);
	elf_phdr(true, 3, 0x6474e551, 0, 0, 0, 0); /* PT_GNU_STACK */
	elf_phdr(true, 4, PT_LOAD, 0x2000, 0x201000, 0x800, 0x5000);
	mb2_begin(0x1000);
	mb2_finish();
	parse_ok(GUEST_FORMAT_AUTO);
	assert_int_equal(gi.nsegments, 2);
	expect_segment(0, 0x1000, 0x1000, 0x200000, 0x1000);
	expect_segment(1, 0x2000, 0x800, 0x201000, 0x5000);
	assert_int_equal(gi.image_end, 0x206000);
	/* Low memory below the reserved range is fine, and so is an
	 * entry in the bss part of a segment. */
	elf_phdr(true, 4, PT_LOAD, 0x2000, 0x1000, 0x800, 0x9ec00);
	w64(24, 0x9fbff);
	parse_ok(GUEST_FORMAT_AUTO);
	expect_segment(1, 0x2000, 0x800, 0x1000, 0x9ec00);
	assert_int_equal(gi.image_end, 0x201000);
}

static void test_elf_max_segments(void **state)
{
	(void)state;
	reset_image(0x2000);
	elf_hdr(false, 0x100000, LOADER_MAX_SEGMENTS);
	for (u32 i = 0; i < LOADER_MAX_SEGMENTS; i++)
		elf_phdr(false, i, PT_LOAD, 0x1000, 0x100000 + i * 0x1000,
			 0x100, 0x1000);
	mb2_begin(0x1000);
	mb2_finish();
	parse_ok(GUEST_FORMAT_AUTO);
	assert_int_equal(gi.nsegments, LOADER_MAX_SEGMENTS);
}

/* The mb2 a.out kludge: address and entry tags, no ELF. */
static void test_mb2_address(void **state)
{
	(void)state;
	reset_image(0x3000);
	mb2_begin(0x40);
	mb2_address(0x100040, 0x100000, 0, 0x108000);
	mb2_entry(0x100100);
	mb2_finish();
	parse_ok(GUEST_FORMAT_AUTO);
	assert_int_equal(gi.format, GUEST_FORMAT_MULTIBOOT2);
	assert_int_equal(gi.nsegments, 1);
	expect_segment(0, 0, 0x3000, 0x100000, 0x8000);
	assert_int_equal(gi.entry, 0x100100);
	assert_int_equal(gi.image_end, 0x108000);

	/* load_end_addr limits the file bytes; bss_end_addr 0: no bss. */
	reset_image(0x3000);
	mb2_begin(0x1000);
	mb2_address(0x200000, 0x200000, 0x200800, 0);
	mb2_entry(0x200000);
	mb2_finish();
	parse_ok(GUEST_FORMAT_MULTIBOOT2);
	expect_segment(0, 0x1000, 0x800, 0x200000, 0x800);
}

static void test_mb1_address(void **state)
{
	(void)state;
	reset_image(0x2000);
	mb1_header(0x20, BIT(16) | BIT(0));
	mb1_address(0x20, 0x100020, 0x100000, 0x101800, 0x104000, 0x100040);
	parse_ok(GUEST_FORMAT_AUTO);
	assert_int_equal(gi.format, GUEST_FORMAT_MULTIBOOT1);
	expect_segment(0, 0, 0x1800, 0x100000, 0x4000);
	assert_int_equal(gi.entry, 0x100040);
	assert_true(gi.align_modules);
	/* The header's own load address may equal load_addr. */
	mb1_address(0x20, 0x100000, 0x100000, 0, 0, 0x100000);
	parse_ok(GUEST_FORMAT_MULTIBOOT1);
	expect_segment(0, 0x20, 0x2000 - 0x20, 0x100000, 0x2000 - 0x20);
}

/* An entry address tag overrides e_entry of an ELF image. */
static void test_mb2_entry_tag_with_elf(void **state)
{
	(void)state;
	std_elf(false);
	mb2_begin(STD_HDR);
	mb2_entry(0x102000);
	mb2_finish();
	parse_ok(GUEST_FORMAT_AUTO);
	assert_int_equal(gi.entry, 0x102000);
	assert_int_equal(gi.nsegments, 1);
}

/* Tags Shade ignores or cannot honour, when allowed to. */
static void test_mb2_tolerated_tags(void **state)
{
	static const u32 provided[] = {1, 2, 3, 4, 6};
	static const u32 wanted[] = {1, 5, 8, 14};
	static const u32 console[] = {3}, fb[3] = {1024, 768, 32};
	static const u32 reloc[4] = {0x100000, 0xffffffff, 0x1000, 1};
	static const u32 efi_entry = 0x100000;

	(void)state;
	std_elf(true);
	mb2_begin(STD_HDR);
	mb2_tag(1, 0, provided, sizeof(provided));
	mb2_tag(1, 1, wanted, sizeof(wanted)); /* optional */
	mb2_tag(4, 0, console, sizeof(console));
	mb2_tag(5, 1, fb, sizeof(fb));
	mb2_tag(7, 1, NULL, 0);
	mb2_tag(8, 1, &efi_entry, sizeof(efi_entry));
	mb2_tag(9, 1, &efi_entry, sizeof(efi_entry));
	mb2_tag(10, 0, reloc, sizeof(reloc));
	mb2_tag(99, 1, fb, 5); /* odd size: the next tag is 8-aligned */
	mb2_tag(6, 0, NULL, 0);
	mb2_finish();
	parse_ok(GUEST_FORMAT_AUTO);
	expect_std_elf(GUEST_FORMAT_MULTIBOOT2);
	assert_true(gi.align_modules);
}

/* Both headers: auto takes multiboot2, format= picks either. */
static void test_both_headers(void **state)
{
	(void)state;
	std_elf_mb2(false);
	mb1_header(0x1800, 0);
	parse_ok(GUEST_FORMAT_AUTO);
	assert_int_equal(gi.format, GUEST_FORMAT_MULTIBOOT2);
	parse_ok(GUEST_FORMAT_MULTIBOOT1);
	assert_int_equal(gi.format, GUEST_FORMAT_MULTIBOOT1);
}

/* The last places a header may start. */
static void test_header_at_the_limits(void **state)
{
	(void)state;
	reset_image(0x9000);
	elf_hdr(false, 0x100000, 1);
	elf_phdr(false, 0, PT_LOAD, 0, 0x100000, 0x9000, 0x9000);
	mb2_begin(32768 - 24);
	mb2_finish();
	parse_ok(GUEST_FORMAT_AUTO);
	assert_int_equal(gi.format, GUEST_FORMAT_MULTIBOOT2);

	reset_image(0x3000);
	elf_hdr(false, 0x100000, 1);
	elf_phdr(false, 0, PT_LOAD, 0, 0x100000, 0x3000, 0x3000);
	mb1_header(8192 - 12, 0);
	parse_ok(GUEST_FORMAT_AUTO);
	assert_int_equal(gi.format, GUEST_FORMAT_MULTIBOOT1);
}

/* ---- header placement and checksums ------------------------------------ */

#define NO_HEADER                                                            \
	"no multiboot2 header in the first 32 KiB and no multiboot1 header " \
	"in the first 8 KiB"
#define NO_MB2                                                             \
	"format=multiboot2: no multiboot2 header (8-byte aligned) in the " \
	"first 32 KiB"
#define NO_MB1                                                             \
	"format=multiboot1: no multiboot1 header (4-byte aligned) in the " \
	"first 8 KiB"

static void test_no_header(void **state)
{
	(void)state;
	std_elf(false);
	parse_bad(GUEST_FORMAT_AUTO, NO_HEADER);
	parse_bad(GUEST_FORMAT_MULTIBOOT2, NO_MB2);
	parse_bad(GUEST_FORMAT_MULTIBOOT1, NO_MB1);
	reset_image(0);
	parse_bad(GUEST_FORMAT_AUTO, NO_HEADER);
	assert_int_equal(
		loader_parse(NULL, 100, GUEST_FORMAT_AUTO, RAM, &gi, &lerr),
		-EINVAL);
}

static void test_header_beyond_limit(void **state)
{
	(void)state;
	reset_image(0x9000);
	mb2_begin(32768);
	mb2_finish();
	parse_bad(GUEST_FORMAT_MULTIBOOT2, NO_MB2);
	/* The 16 fixed bytes must be inside 32 KiB too. */
	mb2_begin(32768 - 8);
	mb2_finish();
	parse_bad(GUEST_FORMAT_MULTIBOOT2, NO_MB2);
	reset_image(0x3000);
	mb1_header(8192, 0);
	mb1_header(8192 - 8, 0); /* its checksum would end past 8 KiB */
	parse_bad(GUEST_FORMAT_AUTO, NO_HEADER);
	/* Starts inside, but the address fields end outside 8 KiB. */
	mb1_header(8192 - 12, BIT(16));
	parse_bad(GUEST_FORMAT_AUTO, "multiboot1 header: the address fields "
				     "(flags bit 16) run past the first 8 "
				     "KiB");
	/* The fixed part fits, the tags do not. */
	reset_image(0x9000);
	mb2_begin(32768 - 16);
	mb2_finish();
	parse_bad(GUEST_FORMAT_AUTO, "multiboot2 header: header_length 24 "
				     "runs past the first 32 KiB");
}

static void test_header_misaligned(void **state)
{
	(void)state;
	std_elf(false);
	mb2_begin(STD_HDR + 4);
	mb2_finish();
	parse_bad(GUEST_FORMAT_MULTIBOOT2, NO_MB2);
	std_elf(false);
	mb1_header(STD_HDR + 2, 0);
	parse_bad(GUEST_FORMAT_MULTIBOOT1, NO_MB1);
}

#define MB2_SUM "multiboot2 header at offset 0x1000: checksum 0x1234 is wrong, "
#define MB1_SUM "multiboot1 header at offset 0x1000: checksum 0xe4524ffe is "

static void test_bad_checksums(void **state)
{
	(void)state;
	std_elf_mb2(false);
	w32(STD_HDR + 12, 0x1234);
	parse_bad(GUEST_FORMAT_AUTO, MB2_SUM "should be 0x17adaf12");
	parse_bad(GUEST_FORMAT_MULTIBOOT2, MB2_SUM "should be 0x17adaf12");
	std_elf_mb1(false, 0);
	w32(STD_HDR + 4, 1); /* flags changed, checksum not */
	parse_bad(GUEST_FORMAT_AUTO, MB1_SUM "wrong, should be 0xe4524ffd");
	parse_bad(GUEST_FORMAT_MULTIBOOT1,
		  MB1_SUM "wrong, should be 0xe4524ffd");
	/* A good multiboot1 header wins over a broken multiboot2 one. */
	std_elf_mb2(false);
	w32(STD_HDR + 12, 0x1234);
	mb1_header(0x1800, 0);
	parse_ok(GUEST_FORMAT_AUTO);
	assert_int_equal(gi.format, GUEST_FORMAT_MULTIBOOT1);
}

/* Only the choice of format; tests/unit/test_linux_boot.c has the rest. */
static void test_linux(void **state)
{
	(void)state;
	/* format=auto: no multiboot header, "HdrS": read as Linux. */
	reset_image(0x4000);
	memcpy(img + 0x202, "HdrS", 4);
	parse_bad(GUEST_FORMAT_AUTO, "Linux boot protocol 0.00 is older than "
				     "2.02 (no cmd_line_ptr); Shade needs "
				     "2.02 or later");
	/* A multiboot header wins over "HdrS". */
	std_elf_mb2(false);
	memcpy(img + 0x202, "HdrS", 4);
	parse_ok(GUEST_FORMAT_AUTO);
	assert_int_equal(gi.format, GUEST_FORMAT_MULTIBOOT2);
	/* format=linux insists on the Linux header. */
	std_elf_mb2(false);
	parse_bad(GUEST_FORMAT_LINUX, "format=linux: no Linux boot protocol "
				      "header (\"HdrS\" at offset 0x202)");
}

/* ---- multiboot2 header fields and tags --------------------------------- */

static void test_mb2_architecture(void **state)
{
	(void)state;
	std_elf_mb2(false);
	w32(STD_HDR + 4, 4); /* MIPS */
	mb2_fix_checksum();
	parse_bad(GUEST_FORMAT_AUTO, "multiboot2 header: architecture 4 is "
				     "not 0 (i386 protected mode)");
}

static void test_mb2_header_length(void **state)
{
	(void)state;
	std_elf_mb2(false);
	w32(STD_HDR + 8, 16);
	mb2_fix_checksum();
	parse_bad(GUEST_FORMAT_AUTO, "multiboot2 header: header_length 16 is "
				     "below 24");
	w32(STD_HDR + 8, 0x1008);
	mb2_fix_checksum();
	parse_bad(GUEST_FORMAT_AUTO, "multiboot2 header: header_length 4104 "
				     "runs past the end of the image");
	w32(STD_HDR + 8, 0xffffffff);
	mb2_fix_checksum();
	parse_bad(GUEST_FORMAT_AUTO, "multiboot2 header: header_length "
				     "4294967295 runs past the end of the "
				     "image");
}

static void test_mb2_tag_sizes(void **state)
{
	(void)state;
	std_elf_mb2(false);
	w32(STD_HDR + 20, 4); /* end tag size */
	parse_bad(GUEST_FORMAT_AUTO, "multiboot2 header tag 0 (end) at "
				     "offset 0x1010: size 4 is below 8");
	w32(STD_HDR + 20, 16);
	parse_bad(GUEST_FORMAT_AUTO, "multiboot2 header tag 0 (end) at "
				     "offset 0x1010: size 16 runs past "
				     "header_length 24");
	std_elf_mb2(false);
	w32(STD_HDR + 8, 32); /* room for a 16-byte end tag */
	w32(STD_HDR + 20, 16);
	mb2_fix_checksum();
	parse_bad(GUEST_FORMAT_AUTO, "multiboot2 header tag 0 (end) at "
				     "offset 0x1010: size 16 is not 8");
	/* A tag header cut by header_length. */
	std_elf(false);
	mb2_begin(STD_HDR);
	mb2_entry(STD_ENTRY);
	mb2_finish();
	w32(STD_HDR + 8, 24);
	mb2_fix_checksum();
	parse_bad(GUEST_FORMAT_AUTO, "multiboot2 header tag 3 (entry "
				     "address) at offset 0x1010: size 12 runs "
				     "past header_length 24");
	w32(STD_HDR + 8, 36);
	mb2_fix_checksum();
	parse_bad(GUEST_FORMAT_AUTO, "multiboot2 header: the tag at offset "
				     "0x1020 runs past header_length 36");
	/* Too short for its fields. */
	w32(STD_HDR + 20, 8);
	w32(STD_HDR + 8, 32);
	mb2_fix_checksum();
	parse_bad(GUEST_FORMAT_AUTO, "multiboot2 header tag 3 (entry "
				     "address) at offset 0x1010: size 8 is "
				     "below 12");
}

static void test_mb2_no_end_tag(void **state)
{
	(void)state;
	std_elf(false);
	mb2_begin(STD_HDR);
	mb2_tag(4, 0, "\0\0\0\0", 4);
	mb2_finish();
	w32(STD_HDR + 8, 32); /* cuts off the end tag */
	mb2_fix_checksum();
	parse_bad(GUEST_FORMAT_AUTO, "multiboot2 header: no end tag (type 0) "
				     "within header_length 32");
}

/* std_elf() behind a multiboot2 header with one tag; expect msg. */
static void one_tag_bad(u16 type, u16 flags, const void *data, u32 len,
			const char *msg)
{
	std_elf(false);
	mb2_begin(STD_HDR);
	mb2_tag(type, flags, data, len);
	mb2_finish();
	parse_bad(GUEST_FORMAT_AUTO, msg);
}

#define NOT_SUPPORTED " but Shade does not support it"

static void test_mb2_required_tags(void **state)
{
	static const u32 fb[3] = {1024, 768, 32}, entry = 0x100000;

	(void)state;
	one_tag_bad(99, 0, NULL, 0,
		    "multiboot2 header tag 99 (unknown) at offset 0x1010: "
		    "required (flags 0x0)," NOT_SUPPORTED);
	one_tag_bad(5, 2, fb, sizeof(fb), /* flags without bit 0 */
		    "multiboot2 header tag 5 (framebuffer) at offset 0x1010: "
		    "required (flags 0x2)," NOT_SUPPORTED);
	one_tag_bad(7, 0, NULL, 0,
		    "multiboot2 header tag 7 (EFI boot services) at offset "
		    "0x1010: required (flags 0x0)," NOT_SUPPORTED);
	one_tag_bad(8, 0, &entry, 4,
		    "multiboot2 header tag 8 (EFI i386 entry address) at "
		    "offset 0x1010: required (flags 0x0)," NOT_SUPPORTED);
	one_tag_bad(9, 0, &entry, 4,
		    "multiboot2 header tag 9 (EFI amd64 entry address) at "
		    "offset 0x1010: required (flags 0x0)," NOT_SUPPORTED);
}

#define INFO_TAG "multiboot2 header tag 1 (information request) at offset "

static void test_mb2_info_request(void **state)
{
	static const u32 want[] = {1, 6, 5}, partial[] = {1, 0};

	(void)state;
	one_tag_bad(1, 0, want, sizeof(want),
		    INFO_TAG "0x1010: asks for information tag type 5; Shade "
			     "gives only 1, 2, 3, 4, 6");
	one_tag_bad(1, 0, partial, 6,
		    INFO_TAG "0x1010: size 14 is not 8 + 4 * n");
	/* Type 0 is not a kind of information. */
	one_tag_bad(1, 0, partial, 8,
		    INFO_TAG "0x1010: asks for information tag type 0; Shade "
			     "gives only 1, 2, 3, 4, 6");
}

static void test_mb2_address_tag(void **state)
{
	(void)state;
	reset_image(0x3000);
	mb2_begin(0x40);
	mb2_address(0x100040, 0x100000, 0, 0);
	mb2_finish();
	parse_bad(GUEST_FORMAT_AUTO, "multiboot2 header: an address tag "
				     "needs an entry address tag (type 3)");
	mb2_begin(0x40);
	mb2_tag(2, 0, "0123456789abcdef", 12);
	mb2_finish();
	parse_bad(GUEST_FORMAT_AUTO, "multiboot2 header tag 2 (address) at "
				     "offset 0x50: size 20 is below 24");
}

/* ---- multiboot1 flags and the a.out fields ----------------------------- */

static void test_mb1_required_flags(void **state)
{
	(void)state;
	std_elf_mb1(false, BIT(3) | BIT(0));
	parse_bad(GUEST_FORMAT_AUTO, "multiboot1 header: flags 0x9 require "
				     "bits 0x8, which Shade does not know");
	std_elf_mb1(false, BIT(15) | BIT(16));
	parse_bad(GUEST_FORMAT_AUTO, "multiboot1 header: flags 0x18000 "
				     "require bits 0x8000, which Shade does "
				     "not know");
	std_elf_mb1(false, 0xfff8);
	parse_bad(GUEST_FORMAT_MULTIBOOT1, "multiboot1 header: flags 0xfff8 "
					   "require bits 0xfff8, which Shade "
					   "does not know");
}

/* mb1 bit 16 at file offset 0x20; each field broken in turn. */
static void aout_bad(u32 header_addr, u32 load_addr, u32 load_end, u32 bss_end,
		     u32 entry, const char *msg)
{
	reset_image(0x2000);
	mb1_header(0x20, BIT(16));
	mb1_address(0x20, header_addr, load_addr, load_end, bss_end, entry);
	parse_bad(GUEST_FORMAT_AUTO, msg);
}

static void test_aout_fields(void **state)
{
	(void)state;
	aout_bad(0x100000, 0x100020, 0, 0, 0x100020,
		 "multiboot1 address fields: header_addr 0x100000 is below "
		 "load_addr 0x100020");
	aout_bad(0x100040, 0x100000, 0, 0, 0x100000,
		 "multiboot1 address fields: header_addr - load_addr is 0x40, "
		 "beyond the header's file offset 0x20");
	aout_bad(0x100020, 0x100000, 0xfffff, 0, 0x100000,
		 "multiboot1 address fields: load_end_addr 0xfffff is below "
		 "load_addr 0x100000");
	aout_bad(0x100020, 0x100000, 0x102001, 0, 0x100000,
		 "image truncated: load_end_addr 0x102001 needs file bytes up "
		 "to 0x2001, the image has 0x2000");
	aout_bad(0x100020, 0x100000, 0x101000, 0x100fff, 0x100000,
		 "multiboot1 address fields: bss_end_addr 0x100fff is below "
		 "the end of the loaded bytes 0x101000");
	aout_bad(0x100020, 0x100000, 0, 0x100fff, 0x100000,
		 "multiboot1 address fields: bss_end_addr 0x100fff is below "
		 "the end of the loaded bytes 0x102000");
	aout_bad(0x100020, 0x100020, 0x100020, 0, 0x100020,
		 "multiboot1 address fields: nothing to load (load_addr "
		 "0x100020)");
	aout_bad(0x100020, 0x100000, 0, 0, 0x102000,
		 "entry point 0x102000 (entry_addr) is not inside a loaded "
		 "segment");
	/* Huge u32 fields: the sums are done in 64 bits. */
	aout_bad(0xffffffff, 0xffffffe0, 0, 0xffffffff, 0xffffffe0,
		 "multiboot1 address fields: bss_end_addr 0xffffffff is below "
		 "the end of the loaded bytes 0x100001fdf");
	aout_bad(0xfffff020, 0xfffff000, 0, 0, 0xfffff000,
		 "multiboot1 address fields: ends at 0x100001000, beyond the "
		 "partition's 16 MiB of RAM");
}

/* ---- where segments go ------------------------------------------------- */

/* std_elf() with the one segment moved or resized. */
static void seg_bad(bool is64, u64 offset, u64 paddr, u64 filesz, u64 memsz,
		    const char *msg)
{
	std_elf_mb2(is64);
	elf_phdr(is64, 0, PT_LOAD, offset, paddr, filesz, memsz);
	parse_bad(GUEST_FORMAT_AUTO, msg);
}

static void test_segment_placement(void **state)
{
	(void)state;
	seg_bad(false, 0x1000, 0x9f000, 0x1000, 0x2000,
		"ELF segment 0: [0x9f000, 0xa1000) overlaps the reserved "
		"range [0x9fc00, 0x100000)");
	seg_bad(false, 0x1000, 0xfffff, 0x1000, 0x1000,
		"ELF segment 0: [0xfffff, 0x100fff) overlaps the reserved "
		"range [0x9fc00, 0x100000)");
	seg_bad(false, 0x1000, 0x800, 0x1000, 0x1000,
		"ELF segment 0: [0x800, 0x1800) overlaps page 0, which stays "
		"free");
	seg_bad(false, 0x1000, 0xfff000, 0x1000, 0x2000,
		"ELF segment 0: ends at 0x1001000, beyond the partition's 16 "
		"MiB of RAM");
	seg_bad(true, 0x1000, 0x40000000000ULL, 0x1000, 0x1000,
		"ELF segment 0: ends at 0x40000001000, beyond the partition's "
		"16 MiB of RAM");
}

static void test_segment_file_range(void **state)
{
	(void)state;
	seg_bad(false, 0x1000, 0x100000, 0x1001, 0x2000,
		"image truncated: ELF segment 0 needs file bytes up to 0x2001, "
		"the image has 0x2000");
	seg_bad(false, 0xffffffff, 0x100000, 0x10, 0x2000,
		"image truncated: ELF segment 0 needs file bytes up to "
		"0x10000000f, the image has 0x2000");
	seg_bad(false, 0x1000, 0x100000, 0x2000, 0x1000,
		"ELF segment 0: file size 0x2000 is above memory size 0x1000");
	seg_bad(true, 0xfffffffffffff000ULL, 0x100000, 0x2000, 0x2000,
		"ELF segment 0: file offset 0xfffffffffffff000 + size 0x2000 "
		"wraps past 2^64");
	seg_bad(true, 0x1000, 0xfffffffffffff000ULL, 0x1000, 0x2000,
		"ELF segment 0: address 0xfffffffffffff000 + memory size "
		"0x2000 wraps past 2^64");
	seg_bad(true, 0x1000, 0x100000, 0x1000, 0xffffffffffffffffULL,
		"ELF segment 0: address 0x100000 + memory size "
		"0xffffffffffffffff wraps past 2^64");
}

static void test_segment_overlap(void **state)
{
	(void)state;
	reset_image(0x3000);
	elf_hdr(false, 0x100000, 3);
	elf_phdr(false, 0, PT_LOAD, 0x1000, 0x100000, 0x1000, 0x1000);
	elf_phdr(false, 1, PT_LOAD, 0x2000, 0x200000, 0x1000, 0x1000);
	elf_phdr(false, 2, PT_LOAD, 0x2000, 0x1ff000, 0x1000, 0x1001);
	mb2_begin(0x1000);
	mb2_finish();
	parse_bad(GUEST_FORMAT_AUTO, "ELF segment 2: [0x1ff000, 0x200001) "
				     "overlaps the segment at [0x200000, "
				     "0x201000)");
	/* Touching is not overlapping. */
	elf_phdr(false, 2, PT_LOAD, 0x2000, 0x1ff000, 0x1000, 0x1000);
	parse_ok(GUEST_FORMAT_AUTO);
	assert_int_equal(gi.nsegments, 3);
}

static void test_too_many_segments(void **state)
{
	(void)state;
	reset_image(0x2000);
	elf_hdr(false, 0x100000, LOADER_MAX_SEGMENTS + 1);
	for (u32 i = 0; i <= LOADER_MAX_SEGMENTS; i++)
		elf_phdr(false, i, PT_LOAD, 0x1000, 0x100000 + i * 0x1000,
			 0x100, 0x1000);
	mb2_begin(0x1000);
	mb2_finish();
	parse_bad(GUEST_FORMAT_AUTO, "ELF segment 16: more than 16 segments "
				     "to load");
}

#define NOT_INSIDE "is not inside a loaded segment"
#define NOT_BELOW  "is not below 4 GiB, where a 32-bit entry can reach"

static void test_entry(void **state)
{
	(void)state;
	field_bad(false, 24, 4, 0x103000, /* one past the segment */
		  "entry point 0x103000 (e_entry) " NOT_INSIDE);
	field_bad(false, 24, 4, 0xfffff,
		  "entry point 0xfffff (e_entry) " NOT_INSIDE);
	field_bad(true, 24, 8, 0x100000000ULL,
		  "ELF header: e_entry 0x100000000 " NOT_BELOW);
	field_bad(true, 24, 8, 0xffffffff80100010ULL, /* a virtual address */
		  "ELF header: e_entry 0xffffffff80100010 " NOT_BELOW);
	std_elf(false);
	mb2_begin(STD_HDR);
	mb2_entry(0x200000);
	mb2_finish();
	parse_bad(GUEST_FORMAT_AUTO,
		  "entry point 0x200000 (entry address tag) " NOT_INSIDE);
}

/* ---- ELF headers ------------------------------------------------------- */

#define NOT_ELF(hdr)                                                          \
	"not an ELF file, and the " hdr " header has no load address fields " \
	"to load it otherwise"

static void test_elf_ident(void **state)
{
	(void)state;
	field_bad(false, 0, 1, 0x7e, NOT_ELF("multiboot2"));
	std_elf_mb1(false, 0);
	img[3] = 'f';
	parse_bad(GUEST_FORMAT_AUTO, NOT_ELF("multiboot1"));
	field_bad(false, 4, 1, 3, "ELF header: class 3 is not 1 or 2");
	field_bad(false, 5, 1, 2,
		  "ELF header: data encoding 2 is not 1 (little endian)");
	field_bad(false, 6, 1, 0, "ELF header: version 0 is not 1");
}

static void test_elf_truncated_header(void **state)
{
	(void)state;
	/* A 40-byte image: 16 bytes of ELF ident and a multiboot2 header. */
	reset_image(40);
	elf_hdr(false, 0, 0);
	mb2_begin(16);
	mb2_finish();
	parse_bad(GUEST_FORMAT_AUTO, NOT_ELF("multiboot2"));
	reset_image(56);
	elf_hdr(true, 0, 0);
	memset(img + 16, 0, 40);
	mb2_begin(32);
	mb2_finish();
	parse_bad(GUEST_FORMAT_AUTO, "image truncated: the ELF64 header needs "
				     "64 bytes, the image has 0x38");
}

static void test_elf_type_machine(void **state)
{
	(void)state;
	field_bad(false, 16, 2, 3, /* ET_DYN */
		  "ELF header: e_type 3 is not 2 (ET_EXEC)");
	field_bad(false, 18, 2, 62,
		  "ELF header: e_machine 62 is not 3 (EM_386) for ELF32");
	field_bad(true, 18, 2, 3,
		  "ELF header: e_machine 3 is not 62 (EM_X86_64) for ELF64");
}

#define PHDRS_PAST "run past the end of the image (0x2000 bytes)"

static void test_elf_phdrs(void **state)
{
	(void)state;
	field_bad(false, 44, 2, 0,
		  "ELF: no program headers (e_phnum 0), so no PT_LOAD segment");
	field_bad(false, 0x34, 4, PT_NOTE,
		  "ELF: no PT_LOAD segment among the 1 program headers");
	field_bad(true, 54, 2, 32, "ELF header: e_phentsize 32 is not 56");
	field_bad(false, 44, 2, 0xffff,
		  "ELF program headers [0x34, +0x1fffe0) " PHDRS_PAST);
	field_bad(false, 28, 4, 0x2000 - 31,
		  "ELF program headers [0x1fe1, +0x20) " PHDRS_PAST);
	field_bad(
		true, 32, 8, 0xffffffffffffffe0ULL,
		"ELF program headers [0xffffffffffffffe0, +0x38) " PHDRS_PAST);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_elf32_mb2),
		cmocka_unit_test(test_elf64_mb2),
		cmocka_unit_test(test_elf_mb1),
		cmocka_unit_test(test_elf_segments),
		cmocka_unit_test(test_elf_max_segments),
		cmocka_unit_test(test_mb2_address),
		cmocka_unit_test(test_mb1_address),
		cmocka_unit_test(test_mb2_entry_tag_with_elf),
		cmocka_unit_test(test_mb2_tolerated_tags),
		cmocka_unit_test(test_both_headers),
		cmocka_unit_test(test_header_at_the_limits),
		cmocka_unit_test(test_no_header),
		cmocka_unit_test(test_header_beyond_limit),
		cmocka_unit_test(test_header_misaligned),
		cmocka_unit_test(test_bad_checksums),
		cmocka_unit_test(test_linux),
		cmocka_unit_test(test_mb2_architecture),
		cmocka_unit_test(test_mb2_header_length),
		cmocka_unit_test(test_mb2_tag_sizes),
		cmocka_unit_test(test_mb2_no_end_tag),
		cmocka_unit_test(test_mb2_required_tags),
		cmocka_unit_test(test_mb2_info_request),
		cmocka_unit_test(test_mb2_address_tag),
		cmocka_unit_test(test_mb1_required_flags),
		cmocka_unit_test(test_aout_fields),
		cmocka_unit_test(test_segment_placement),
		cmocka_unit_test(test_segment_file_range),
		cmocka_unit_test(test_segment_overlap),
		cmocka_unit_test(test_too_many_segments),
		cmocka_unit_test(test_entry),
		cmocka_unit_test(test_elf_ident),
		cmocka_unit_test(test_elf_truncated_header),
		cmocka_unit_test(test_elf_type_machine),
		cmocka_unit_test(test_elf_phdrs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
