// SPDX-License-Identifier: MIT
/*
 * Unit tests for Linux guests (vmm/loader_linux.c and the Linux parts of
 * vmm/bootinfo_build.c): synthetic bzImages of several boot protocol
 * versions and flags read by loader_parse(), each refusal's exact
 * message, where loader_plan() puts the initrd and the boot_params, the
 * zero page loader_build_info() writes (setup header copy, loader fields,
 * initrd, command line, ACPI RSDP, e820) read back by offset, the GDT,
 * and the entry state of both kinds of guests.
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
#include "bootinfo.h"
#include "loader.h"
#include "loader_images.h"
#include "vacpi.h"

#define RAM (16 * MiB)

/* The synthetic bzImage: 2 sectors of real-mode part, then the kernel. */
#define BZ_PM_OFFSET	0x400
#define BZ_PM_LEN	0x3000
#define BZ_HDR_END	0x26c /* protocol 2.15's header */
#define BZ_INIT_SIZE	0x20000
#define BZ_SUBARCH_DATA 0x4544414853ULL /* hardware_subarch_data marker */

static struct guest_image gi;
static struct loader_error lerr;
static struct loader_plan plan;
static struct loader_module mods[3];
static u8 info[LOADER_INFO_MAX + 64];

static u64 ram = RAM;

/*
 * Protocol `version`, loaded high, not relocatable, kernel_alignment
 * 0x200000, pref_address 1 MiB, init_size BZ_INIT_SIZE, cmdline_size 64,
 * initrd_addr_max 0x7fffffff. Bytes after the header, up to 0x290, are
 * junk the loader must not copy; the kernel is a byte pattern.
 */
static void bz_image(u16 version)
{
	reset_image(BZ_PM_OFFSET + BZ_PM_LEN);
	img[0x1f1] = 1;	    /* setup_sects */
	w16(0x1f4, 0x300);  /* syssize */
	w16(0x1fa, 0xfffd); /* vid_mode "ask", which Shade overrides */
	w16(0x1fe, 0xaa55);
	img[0x200] = 0xeb;
	img[0x201] = BZ_HDR_END - 0x202;
	memcpy(img + 0x202, "HdrS", 4);
	w16(0x206, version);
	w16(0x20e, 0x100); /* kernel_version */
	img[0x211] = 0x01; /* LOADED_HIGH */
	w32(0x214, 0x100000);
	w32(0x22c, 0x7fffffff);
	w32(0x230, 0x200000);
	img[0x235] = 12;
	w32(0x238, 64);
	w64(0x240, BZ_SUBARCH_DATA);
	w64(0x258, 0x100000);
	w32(0x260, BZ_INIT_SIZE);
	memset(img + BZ_HDR_END, 0xcc, 0x290 - BZ_HDR_END);
	for (u32 i = 0; i < BZ_PM_LEN; i++)
		img[BZ_PM_OFFSET + i] = (u8)(i * 7 + 1);
}

static void parse_ok(enum guest_format fmt)
{
	memset(&gi, 0xa5, sizeof(gi));
	memset(&lerr, 0x5a, sizeof(lerr));
	if (loader_parse(img, img_len, fmt, ram, &gi, &lerr))
		fail_msg("refused: %s", lerr.msg);
	assert_int_equal(gi.format, GUEST_FORMAT_LINUX);
}

static void parse_bad(const char *msg)
{
	memset(&lerr, 0x5a, sizeof(lerr));
	assert_int_equal(
		loader_parse(img, img_len, GUEST_FORMAT_LINUX, ram, &gi, &lerr),
		-EINVAL);
	assert_string_equal(lerr.msg, msg);
	/* format=auto finds the same header and the same fault. */
	assert_int_equal(
		loader_parse(img, img_len, GUEST_FORMAT_AUTO, ram, &gi, &lerr),
		-EINVAL);
	assert_string_equal(lerr.msg, msg);
}

static void expect_kernel(u64 file_offset, u64 mem_size)
{
	assert_int_equal(gi.nsegments, 1);
	assert_int_equal(gi.segments[0].file_offset, file_offset);
	assert_int_equal(gi.segments[0].file_size, img_len - file_offset);
	assert_int_equal(gi.segments[0].gpa, 0x100000);
	assert_int_equal(gi.segments[0].mem_size, mem_size);
	assert_int_equal(gi.image_end, 0x100000 + mem_size);
}

/* ---- parsing ----------------------------------------------------------- */

static void test_parse_215(void **state)
{
	(void)state;
	bz_image(0x020f);
	parse_ok(GUEST_FORMAT_LINUX);
	/* Up to init_size from 1 MiB, where this kernel runs. */
	expect_kernel(BZ_PM_OFFSET, BZ_INIT_SIZE);
	assert_int_equal(gi.entry, 0x100000);
	assert_int_equal(gi.setup.version, 0x020f);
	assert_int_equal(gi.setup.hdr_len, BZ_HDR_END - 0x1f1);
	assert_memory_equal(gi.setup.hdr, img + 0x1f1, BZ_HDR_END - 0x1f1);
	assert_int_equal(gi.setup.initrd_addr_max, 0x7fffffff);
	assert_int_equal(gi.setup.cmdline_size, 64);
	parse_ok(GUEST_FORMAT_AUTO);
	expect_kernel(BZ_PM_OFFSET, BZ_INIT_SIZE);
	/* A kernel bigger than init_size keeps its own size. */
	w32(0x260, 0x1000);
	parse_ok(GUEST_FORMAT_LINUX);
	expect_kernel(BZ_PM_OFFSET, BZ_PM_LEN);
	/* The entry point is code32_start, wherever in the kernel. */
	w32(0x214, 0x100200);
	parse_ok(GUEST_FORMAT_LINUX);
	assert_int_equal(gi.entry, 0x100200);
}

static void test_parse_setup_sects(void **state)
{
	(void)state;
	bz_image(0x020f);
	img[0x1f1] = 0; /* means 4: the kernel at 5 * 512 */
	parse_ok(GUEST_FORMAT_LINUX);
	expect_kernel(0xa00, BZ_INIT_SIZE);
	img[0x1f1] = 5;
	parse_ok(GUEST_FORMAT_LINUX);
	expect_kernel(0xc00, BZ_INIT_SIZE);
}

/* Fields a version does not have are not read: defaults instead. */
static void test_parse_old_versions(void **state)
{
	(void)state;
	bz_image(0x0202);
	parse_ok(GUEST_FORMAT_LINUX);
	assert_int_equal(gi.setup.initrd_addr_max, 0x37ffffff);
	assert_int_equal(gi.setup.cmdline_size, 255);
	/* No init_size before 2.10: just the file. */
	expect_kernel(BZ_PM_OFFSET, BZ_PM_LEN);
	bz_image(0x0205);
	parse_ok(GUEST_FORMAT_LINUX);
	assert_int_equal(gi.setup.initrd_addr_max, 0x7fffffff);
	assert_int_equal(gi.setup.cmdline_size, 255);
	bz_image(0x0206);
	parse_ok(GUEST_FORMAT_LINUX);
	assert_int_equal(gi.setup.cmdline_size, 64);
	expect_kernel(BZ_PM_OFFSET, BZ_PM_LEN);
	bz_image(0x020a);
	parse_ok(GUEST_FORMAT_LINUX);
	expect_kernel(BZ_PM_OFFSET, BZ_INIT_SIZE);
}

static void test_parse_runtime_start(void **state)
{
	(void)state;
	/* Not relocatable: it runs at pref_address. */
	bz_image(0x020f);
	w64(0x258, 0x400000);
	parse_ok(GUEST_FORMAT_LINUX);
	expect_kernel(BZ_PM_OFFSET, 0x300000 + BZ_INIT_SIZE);
	/* Relocatable: load address aligned up, at least pref_address. */
	img[0x234] = 1;
	w64(0x258, 0x800000);
	parse_ok(GUEST_FORMAT_LINUX);
	expect_kernel(BZ_PM_OFFSET, 0x700000 + BZ_INIT_SIZE);
	w64(0x258, 0);
	parse_ok(GUEST_FORMAT_LINUX);
	expect_kernel(BZ_PM_OFFSET, 0x100000 + BZ_INIT_SIZE);
	w32(0x230, 0x1000);
	parse_ok(GUEST_FORMAT_LINUX);
	expect_kernel(BZ_PM_OFFSET, BZ_INIT_SIZE);
	/* 2.05-2.09: relocatable, no init_size, no pref_address. */
	bz_image(0x0205);
	img[0x234] = 1;
	parse_ok(GUEST_FORMAT_LINUX);
	expect_kernel(BZ_PM_OFFSET, 0x100000);
}

static void test_refuse_header(void **state)
{
	(void)state;
	bz_image(0x0201);
	parse_bad("Linux boot protocol 2.01 is older than 2.02 (no "
		  "cmd_line_ptr); Shade needs 2.02 or later");
	bz_image(0x0200);
	parse_bad("Linux boot protocol 2.00 is older than 2.02 (no "
		  "cmd_line_ptr); Shade needs 2.02 or later");
	bz_image(0x020f);
	img[0x211] = 0x80;
	parse_bad("Linux image: loadflags 0x80 lack LOADED_HIGH (a zImage, "
		  "loaded at 0x10000); Shade loads only bzImages");
	bz_image(0x020f);
	img[0x200] = 0xe9;
	parse_bad("Linux setup header: jump 0xe9 0x6a at 0x200 does not end "
		  "the header by 0x290");
	bz_image(0x020f);
	img[0x201] = 0x8f; /* 0x291 */
	parse_bad("Linux setup header: jump 0xeb 0x8f at 0x200 does not end "
		  "the header by 0x290");
	img[0x201] = 0x8e; /* 0x290: the whole hole, fine */
	parse_ok(GUEST_FORMAT_LINUX);
	assert_int_equal(gi.setup.hdr_len, 0x9f);
	/* Nothing after the real-mode part. */
	bz_image(0x020f);
	img_len = BZ_PM_OFFSET;
	parse_bad("image truncated: setup_sects 1 puts the protected-mode "
		  "kernel at 0x400, the image has 0x400 bytes");
	img[0x1f1] = 0;
	img_len = 0x9ff;
	parse_bad("image truncated: setup_sects 0 puts the protected-mode "
		  "kernel at 0xa00, the image has 0x9ff bytes");
	/* "HdrS" in the last bytes of a tiny file. */
	reset_image(0x206);
	memcpy(img + 0x202, "HdrS", 4);
	parse_bad("image truncated: setup_sects 0 puts the protected-mode "
		  "kernel at 0xa00, the image has 0x206 bytes");
	/* format=linux without the header. */
	bz_image(0x020f);
	memcpy(img + 0x202, "HdrZ", 4);
	memset(&lerr, 0, sizeof(lerr));
	assert_int_equal(
		loader_parse(img, img_len, GUEST_FORMAT_LINUX, ram, &gi, &lerr),
		-EINVAL);
	assert_string_equal(lerr.msg, "format=linux: no Linux boot protocol "
				      "header (\"HdrS\" at offset 0x202)");
}

static void test_refuse_placement(void **state)
{
	(void)state;
	bz_image(0x020f);
	img[0x234] = 1;
	w32(0x230, 0x3000);
	parse_bad("Linux setup header: kernel_alignment 0x3000 of a "
		  "relocatable kernel is not a power of two");
	w32(0x230, 0);
	parse_bad("Linux setup header: kernel_alignment 0x0 of a relocatable "
		  "kernel is not a power of two");
	bz_image(0x020f);
	w64(0x258, 0x10000);
	parse_bad("Linux setup header: pref_address 0x10000 of a kernel that "
		  "is not relocatable is below 1 MiB");
	/* The kernel does not fit in mem=. */
	bz_image(0x020f);
	w32(0x260, 0xf00001);
	parse_bad("Linux kernel: runs at 0x100000 and needs init_size "
		  "0xf00001 bytes there, up to 0x1000001; the partition has "
		  "16 MiB of RAM");
	w32(0x260, 0xf00000); /* up to the last byte of RAM */
	parse_ok(GUEST_FORMAT_LINUX);
	expect_kernel(BZ_PM_OFFSET, 0xf00000);
	w64(0x258, 0x2000000);
	w32(0x260, 0x1000);
	parse_bad("Linux kernel: runs at 0x2000000 and needs init_size 0x1000 "
		  "bytes there, up to 0x2001000; the partition has 16 MiB of "
		  "RAM");
	w64(0x258, ~0ULL);
	parse_bad("Linux kernel: runs at 0xffffffffffffffff and needs "
		  "init_size 0x1000 bytes there, up to 0xfff; the partition "
		  "has 16 MiB of RAM");
	/* The file itself is too big. */
	bz_image(0x020f);
	w32(0x260, 0x1000);
	ram = 0x102000;
	parse_bad("Linux protected-mode kernel: ends at 0x103000, beyond the "
		  "partition's 1032 KiB of RAM");
	ram = RAM;
	bz_image(0x020f);
	w32(0x214, 0x90000);
	parse_bad("entry point 0x90000 (code32_start) is not inside a loaded "
		  "segment");
	w32(0x214, 0x100000 + BZ_INIT_SIZE);
	parse_bad("entry point 0x120000 (code32_start) is not inside a loaded "
		  "segment");
}

/* ---- planning ---------------------------------------------------------- */

static void plan_ok(u32 nmods, const char *cmdline)
{
	memset(&lerr, 0x5a, sizeof(lerr));
	if (loader_plan(&gi, mods, nmods, cmdline, ram, &plan, &lerr))
		fail_msg("plan refused: %s", lerr.msg);
}

static void plan_bad(u32 nmods, const char *cmdline, int rc, const char *msg)
{
	memset(&lerr, 0x5a, sizeof(lerr));
	assert_int_equal(
		loader_plan(&gi, mods, nmods, cmdline, ram, &plan, &lerr), rc);
	assert_string_equal(lerr.msg, msg);
}

static void parsed(void)
{
	bz_image(0x020f);
	parse_ok(GUEST_FORMAT_LINUX);
	mods[0] = (struct loader_module){.size = 0x1801, .cmdline = "a"};
	mods[1] = (struct loader_module){.size = 0x11, .cmdline = ""};
	mods[2] = (struct loader_module){.size = 0x2000, .cmdline = "c"};
}

/* Do [a, a + an) and [b, b + bn) share a byte? */
static bool overlap(u64 a, u64 an, u64 b, u64 bn)
{
	return a < b + bn && b < a + an;
}

/* The kernel, the initrd, the block and the reserved range: disjoint. */
static void expect_disjoint(u32 nmods)
{
	u64 initrd = nmods ? mods[0].gpa : 0;
	u64 initrd_len =
		nmods ? mods[nmods - 1].gpa + mods[nmods - 1].size - initrd : 0;

	assert_false(
		overlap(0x100000, gi.image_end - 0x100000, initrd, initrd_len));
	assert_false(overlap(0x100000, gi.image_end - 0x100000, plan.info_gpa,
			     plan.info_size));
	assert_false(
		overlap(initrd, initrd_len, plan.info_gpa, plan.info_size));
	assert_false(overlap(initrd, initrd_len, 0x9fc00, 0x60400));
	assert_false(overlap(plan.info_gpa, plan.info_size, 0x9fc00, 0x60400));
	assert_true(plan.info_gpa + plan.info_size <= ram);
}

static void test_plan(void **state)
{
	(void)state;
	parsed();
	/* No initrd: the block right after the kernel's init_size. */
	plan_ok(0, "console=ttyS0");
	assert_int_equal(plan.info_gpa, 0x120000);
	/* boot_params 4096, GDT 40, "console=ttyS0\0" 14, to 8 bytes */
	assert_int_equal(plan.info_size, 4152);
	expect_disjoint(0);
	/* One initrd, page aligned, then the page-aligned block. */
	plan_ok(1, "");
	assert_int_equal(mods[0].gpa, 0x120000);
	assert_int_equal(plan.info_gpa, 0x122000);
	assert_int_equal(plan.info_size, 4144);
	expect_disjoint(1);
	/* Three modules make one initrd: each next at a 4-byte boundary. */
	plan_ok(3, "x");
	assert_int_equal(mods[0].gpa, 0x120000);
	assert_int_equal(mods[1].gpa, 0x121804);
	assert_int_equal(mods[2].gpa, 0x121818);
	assert_int_equal(plan.info_gpa, 0x124000);
	expect_disjoint(3);
	/* A kernel running at 4 MiB: everything above its init_size. */
	w64(0x258, 0x400000);
	parse_ok(GUEST_FORMAT_LINUX);
	plan_ok(3, "x");
	assert_int_equal(mods[0].gpa, 0x420000);
	assert_int_equal(plan.info_gpa, 0x424000);
	expect_disjoint(3);
}

static void test_plan_cmdline(void **state)
{
	char line[80];

	(void)state;
	parsed();
	memset(line, 'a', sizeof(line) - 1);
	line[64] = '\0';
	plan_ok(0, line); /* cmdline_size 64: 64 characters fit */
	line[64] = 'a';
	line[65] = '\0';
	plan_bad(0, line, -EINVAL,
		 "the command line has 65 characters, more than the kernel's "
		 "cmdline_size 64");
	/* Before 2.06: 255 characters. */
	bz_image(0x0205);
	parse_ok(GUEST_FORMAT_LINUX);
	plan_ok(0, line);
	plan_ok(0, NULL);
}

static void test_plan_initrd(void **state)
{
	(void)state;
	parsed();
	/* The initrd [0x120000, 0x123818) must end by initrd_addr_max. */
	w32(0x22c, 0x123817);
	parse_ok(GUEST_FORMAT_LINUX);
	plan_ok(3, "");
	w32(0x22c, 0x123816);
	parse_ok(GUEST_FORMAT_LINUX);
	plan_bad(3, "", -ENOSPC,
		 "the initrd [0x120000, 0x123818) goes above the kernel's "
		 "initrd_addr_max 0x123816");
	plan_ok(0, ""); /* no initrd, no limit */
	/* RAM: the usual message, counting the boot_params (4144 bytes). */
	w32(0x22c, 0x7fffffff);
	parse_ok(GUEST_FORMAT_LINUX);
	ram = 0x125030;
	plan_ok(3, "");
	ram = 0x12502f;
	plan_bad(3, "", -ENOSPC,
		 "the image, 3 modules and the boot information need "
		 "0x125030 bytes of RAM, the partition has 0x12502f bytes");
	ram = RAM;
}

/* ---- the zero page ----------------------------------------------------- */

static u16 bp16(u64 off)
{
	u16 v;

	memcpy(&v, info + off, sizeof(v));
	return v;
}

static u32 bp32(u64 off)
{
	u32 v;

	memcpy(&v, info + off, sizeof(v));
	return v;
}

static u64 bp64(u64 off)
{
	u64 v;

	memcpy(&v, info + off, sizeof(v));
	return v;
}

static void build(u32 nmods, const char *cmdline)
{
	plan_ok(nmods, cmdline);
	memset(info, 0xa5, sizeof(info));
	assert_int_equal(
		loader_build_info(&gi, mods, nmods, cmdline, ram, &plan, info),
		plan.info_size);
	assert_int_equal(info[plan.info_size], 0xa5);
}

/* Only these bytes of the zero page may differ from zero. */
static bool is_written(u64 off)
{
	return (off >= 0x070 && off < 0x078) ||	       /* acpi_rsdp_addr */
	       (off >= 0x1e0 && off < 0x1e4) ||	       /* alt_mem_k */
	       off == 0x1e8 ||			       /* e820_entries */
	       (off >= 0x1f1 && off < BZ_HDR_END) ||   /* the header */
	       (off >= 0x2d0 && off < 0x2d0 + 3 * 20); /* e820_table */
}

static void test_boot_params(void **state)
{
	(void)state;
	parsed();
	img[0x211] |= 0x40;	/* KEEP_SEGMENTS: cleared */
	w64(0x250, 0x12345678); /* setup_data: cleared */
	w32(0x218, 0xdeadbeef); /* ramdisk_image: Shade's */
	img[0x210] = 0x12;	/* type_of_loader: Shade's */
	parse_ok(GUEST_FORMAT_LINUX);
	build(2, "console=ttyS0 hello");
	/* The header copied, then the loader's fields written. */
	assert_memory_equal(info + 0x1f1, img + 0x1f1, 0x1fa - 0x1f1);
	assert_int_equal(bp16(0x1fa), 0xffff); /* vid_mode */
	assert_memory_equal(info + 0x1fc, img + 0x1fc, 0x210 - 0x1fc);
	assert_int_equal(info[0x210], 0xff);	 /* type_of_loader */
	assert_int_equal(info[0x211], 0x81);	 /* LOADED_HIGH, CAN_USE_HEAP */
	assert_int_equal(bp32(0x214), 0x100000); /* code32_start */
	assert_int_equal(bp32(0x218), 0x120000); /* ramdisk_image */
	assert_int_equal(bp32(0x21c), 0x1815);	 /* to the end of module 1 */
	assert_int_equal(bp16(0x224), 0xde00);	 /* heap_end_ptr */
	assert_int_equal(info[0x226], 0);
	assert_int_equal(info[0x227], 0);
	assert_int_equal(bp32(0x228), plan.info_gpa + 4136);
	assert_string_equal((char *)info + 4136, "console=ttyS0 hello");
	assert_memory_equal(info + 0x22c, img + 0x22c, 0x250 - 0x22c);
	assert_int_equal(bp64(0x240), BZ_SUBARCH_DATA);
	assert_int_equal(bp64(0x250), 0); /* setup_data */
	assert_memory_equal(info + 0x258, img + 0x258, BZ_HDR_END - 0x258);
	/* The rest of boot_params. */
	assert_int_equal(bp64(0x070), VACPI_RSDP_GPA);
	assert_int_equal(bp32(0x1e0), (RAM - MiB) / KiB); /* alt_mem_k */
	assert_int_equal(info[0x1e8], 3);
	assert_int_equal(bp64(0x2d0), 0);
	assert_int_equal(bp64(0x2d8), 0x9fc00);
	assert_int_equal(bp32(0x2e0), MEM_AVAILABLE);
	assert_int_equal(bp64(0x2e4), 0x9fc00);
	assert_int_equal(bp64(0x2ec), 0x60400);
	assert_int_equal(bp32(0x2f4), MEM_RESERVED);
	assert_int_equal(bp64(0x2f8), 0x100000);
	assert_int_equal(bp64(0x300), RAM - 0x100000);
	assert_int_equal(bp32(0x308), MEM_AVAILABLE);
	for (u64 off = 0; off < 4096; off++)
		if (!is_written(off) && info[off])
			fail_msg("zero page byte 0x%lx is 0x%x", off,
				 info[off]);
}

static void test_boot_params_bare(void **state)
{
	(void)state;
	/* Protocol 2.02, no initrd, no command line, 32 MiB. */
	bz_image(0x0202);
	img[0x201] = 0x2c - 0x02; /* the header up to 0x22c */
	parse_ok(GUEST_FORMAT_LINUX);
	ram = 32 * MiB;
	build(0, "");
	ram = RAM;
	assert_int_equal(bp32(0x218), 0);
	assert_int_equal(bp32(0x21c), 0);
	assert_int_equal(bp32(0x228), plan.info_gpa + 4136);
	assert_int_equal(info[4136], 0);
	assert_int_equal(bp64(0x300), 31 * MiB);
	assert_int_equal(bp32(0x1e0), 31 * 1024);
	/* Past the 2.02 header: only what Shade writes there. */
	assert_int_equal(bp32(0x22c), 0);
	assert_int_equal(bp64(0x240), 0);
	assert_int_equal(bp64(0x258), 0);
}

static void test_gdt_and_entry(void **state)
{
	struct loader_entry e;

	(void)state;
	parsed();
	build(1, "x");
	assert_int_equal(bp64(4096), 0);
	assert_int_equal(bp64(4096 + 0x08), 0);
	assert_int_equal(bp64(4096 + 0x10), 0x00cf9b000000ffffULL);
	assert_int_equal(bp64(4096 + 0x18), 0x00cf93000000ffffULL);
	assert_int_equal(bp64(4096 + 0x20), 0x00008b0000000067ULL);
	memset(&e, 0xa5, sizeof(e));
	loader_entry_state(&gi, &plan, &e);
	assert_int_equal(e.eip, 0x100000);
	assert_int_equal(e.esi, plan.info_gpa);
	assert_int_equal(e.eax, 0);
	assert_int_equal(e.ebx, 0);
	assert_int_equal(e.cs, 0x10);
	assert_int_equal(e.ds, 0x18);
	assert_int_equal(e.tr, 0x20);
	assert_int_equal(e.gdt_base, plan.info_gpa + 4096);
	assert_int_equal(e.gdt_limit, 39);
	assert_int_equal(loader_entry_magic(&gi), 0);
}

/* The multiboot entry state is what vmm/vmcs.c always set. */
static void test_entry_multiboot(void **state)
{
	struct loader_entry e;

	(void)state;
	std_elf_mb1(false, 0);
	assert_int_equal(
		loader_parse(img, img_len, GUEST_FORMAT_AUTO, RAM, &gi, &lerr),
		0);
	plan_ok(0, "");
	memset(&e, 0xa5, sizeof(e));
	loader_entry_state(&gi, &plan, &e);
	assert_int_equal(e.eip, STD_ENTRY);
	assert_int_equal(e.eax, MB1_BOOTLOADER_MAGIC);
	assert_int_equal(e.ebx, plan.info_gpa);
	assert_int_equal(e.esi, 0);
	assert_int_equal(e.cs, 0x08);
	assert_int_equal(e.ds, 0x10);
	assert_int_equal(e.tr, 0x18);
	assert_int_equal(e.gdt_base, 0);
	assert_int_equal(e.gdt_limit, 0xffff);
	loader_entry_flat(&e, 0x200000, 3, 0x1234);
	assert_int_equal(e.eip, 0x200000);
	assert_int_equal(e.eax, 3);
	assert_int_equal(e.ebx, 0x1234);
	assert_int_equal(e.cs, 0x08);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_215),
		cmocka_unit_test(test_parse_setup_sects),
		cmocka_unit_test(test_parse_old_versions),
		cmocka_unit_test(test_parse_runtime_start),
		cmocka_unit_test(test_refuse_header),
		cmocka_unit_test(test_refuse_placement),
		cmocka_unit_test(test_plan),
		cmocka_unit_test(test_plan_cmdline),
		cmocka_unit_test(test_plan_initrd),
		cmocka_unit_test(test_boot_params),
		cmocka_unit_test(test_boot_params_bare),
		cmocka_unit_test(test_gdt_and_entry),
		cmocka_unit_test(test_entry_multiboot),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
