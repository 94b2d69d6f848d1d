// SPDX-License-Identifier: MIT
/*
 * Unit tests for vmm/bootinfo_build.c: where loader_plan() puts modules
 * and the boot information (page alignment, the reserved low range, too
 * little RAM, absurd sizes), and the multiboot2 and multiboot1
 * structures loader_build_info() writes, read back field by field and
 * then, as an independent check, by Shade's own boot-information parsers
 * (boot/mb2.c, boot/mb1.c), as if the guest were another Shade. The
 * multiboot2 ACPI tags must hold the RSDP vmm/vacpi_tables.c builds.
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

static struct guest_image gi;
static struct loader_error lerr;
static struct loader_plan plan;
static u8 info[LOADER_INFO_MAX + 64];
static struct boot_info bi;
static struct boot_error berr;

/* Two modules after the standard image, which ends at 0x103000. */
static struct loader_module mods[2];
static const char *const CMDLINE = "console=ttyS0";

static void parsed_image(bool mb1)
{
	if (mb1)
		std_elf_mb1(false, 0);
	else
		std_elf_mb2(false);
	assert_int_equal(
		loader_parse(img, img_len, GUEST_FORMAT_AUTO, RAM, &gi, &lerr),
		0);
	assert_int_equal(gi.image_end, 0x103000);
	mods[0] =
		(struct loader_module){.size = 0x1800, .cmdline = "initrd a=1"};
	mods[1] = (struct loader_module){.size = 0x10, .cmdline = ""};
}

static void plan_ok(u32 nmods, const char *cmdline, u64 ram)
{
	memset(&lerr, 0x5a, sizeof(lerr));
	if (loader_plan(&gi, mods, nmods, cmdline, ram, &plan, &lerr))
		fail_msg("plan refused: %s", lerr.msg);
}

static void plan_bad(u32 nmods, const char *cmdline, u64 ram, const char *msg)
{
	memset(&lerr, 0x5a, sizeof(lerr));
	assert_int_equal(
		loader_plan(&gi, mods, nmods, cmdline, ram, &plan, &lerr),
		-ENOSPC);
	assert_string_equal(lerr.msg, msg);
}

/* Build into info[], checking that nothing past info_size is written. */
static void build(u32 nmods, const char *cmdline, u64 ram)
{
	memset(info, 0xa5, sizeof(info));
	assert_int_equal(
		loader_build_info(&gi, mods, nmods, cmdline, ram, &plan, info),
		plan.info_size);
	assert_int_equal(info[plan.info_size], 0xa5);
	assert_true(IS_ALIGNED(plan.info_size, 8));
}

static u32 rd32_at(u64 off)
{
	u32 v;

	memcpy(&v, info + off, sizeof(v));
	return v;
}

static u64 rd64_at(u64 off)
{
	u64 v;

	memcpy(&v, info + off, sizeof(v));
	return v;
}

/* Guest memory as boot/mb2.c and boot/mb1.c see it: only the block. */
static const void *map_info(u64 pa, u64 len, void *ctx)
{
	(void)ctx;
	if (pa < plan.info_gpa || pa - plan.info_gpa > plan.info_size ||
	    len > plan.info_size - (pa - plan.info_gpa))
		return NULL;
	return info + (pa - plan.info_gpa);
}

/* ---- planning ---------------------------------------------------------- */

static void test_plan_layout(void **state)
{
	(void)state;
	parsed_image(false);
	plan_ok(2, CMDLINE, RAM);
	assert_int_equal(mods[0].gpa, 0x103000);
	assert_int_equal(mods[1].gpa, 0x105000);
	assert_int_equal(plan.info_gpa, 0x105010);
	/* 8 + cmdline 24 + name 16 + meminfo 16 + mmap 88 + modules 32, 24
	 * + ACPI old RSDP 32 + ACPI new RSDP 48 + end 8 */
	assert_int_equal(plan.info_size, 296);

	parsed_image(true);
	plan_ok(2, CMDLINE, RAM);
	assert_int_equal(plan.info_gpa, 0x105010);
	/* 88 + mmap 72 + modules 32 + strings 14 + 6 + 11 + 1, aligned */
	assert_int_equal(plan.info_size, 224);
}

/* Nothing goes into [0x9fc00, 0x100000). */
static void test_plan_skips_reserved(void **state)
{
	(void)state;
	memset(&gi, 0, sizeof(gi));
	gi.format = GUEST_FORMAT_MULTIBOOT2;
	gi.image_end = 0x9e001;
	mods[0] = (struct loader_module){.size = 0xc00, .cmdline = "a"};
	mods[1] = (struct loader_module){.size = 0x1, .cmdline = "b"};
	plan_ok(2, "", RAM);
	assert_int_equal(mods[0].gpa, 0x9f000); /* ends at 0x9fc00 exactly */
	assert_int_equal(mods[1].gpa, 0x100000);
	assert_int_equal(plan.info_gpa, 0x100008);
	/* The boot information alone moves too. */
	gi.image_end = 0x9fb80;
	plan_ok(0, "", RAM);
	assert_int_equal(plan.info_size, 232);
	assert_int_equal(plan.info_gpa, 0x100000);
	gi.image_end = 0x9fc00 - 232;
	plan_ok(0, "", RAM);
	assert_int_equal(plan.info_gpa, 0x9fc00 - 232);
	/* A module of 0 bytes takes no room, but its address is in RAM. */
	gi.image_end = 0x200000;
	mods[0].size = 0;
	plan_ok(2, "", RAM);
	assert_int_equal(mods[0].gpa, 0x200000);
	assert_int_equal(mods[1].gpa, 0x200000);
}

static void test_plan_too_little_ram(void **state)
{
	(void)state;
	parsed_image(false);
	mods[0] = (struct loader_module){.size = 0x100000, .cmdline = "m"};
	plan_bad(1, "", 2 * MiB,
		 "the image, 1 module and the boot information need 0x203100 "
		 "bytes of RAM, the partition has 2 MiB");
	plan_ok(1, "", 0x203100);
	plan_bad(1, "", 0x2030ff,
		 "the image, 1 module and the boot information need 0x203100 "
		 "bytes of RAM, the partition has 0x2030ff bytes");
	plan_bad(2, "", 2 * MiB,
		 "the image, 2 modules and the boot information need 0x203128 "
		 "bytes of RAM, the partition has 2 MiB");
	plan_bad(0, "", 0x103000,
		 "the image, 0 modules and the boot information need 0x1030e8 "
		 "bytes of RAM, the partition has 1036 KiB");
	plan_bad(0, "", 1 * MiB,
		 "the partition's RAM (1 MiB) does not reach above 1 MiB");
}

/* Sizes that would wrap a 64-bit address saturate instead. */
static void test_plan_huge_module(void **state)
{
	(void)state;
	parsed_image(false);
	mods[0].size = UINT64_MAX;
	plan_bad(2, "", RAM,
		 "the image, 2 modules and the boot information need "
		 "0xffffffffffffffff bytes of RAM, the partition has 16 MiB");
	mods[0].size = UINT64_MAX - 0x103000 - 0x10;
	plan_bad(1, "", RAM,
		 "the image, 1 module and the boot information need "
		 "0xffffffffffffffff bytes of RAM, the partition has 16 MiB");
	mods[0].size = 0x1000;
	gi.image_end = UINT64_MAX - 0x800;
	plan_bad(1, "", RAM,
		 "the image, 1 module and the boot information need "
		 "0xffffffffffffffff bytes of RAM, the partition has 16 MiB");
}

static void test_plan_limits(void **state)
{
	static struct loader_module many[LOADER_MAX_MODULES + 1];
	static char long_cmdline[LOADER_INFO_MAX];

	(void)state;
	parsed_image(false);
	for (u32 i = 0; i < ARRAY_SIZE(many); i++)
		many[i] = (struct loader_module){.size = 1, .cmdline = "x"};
	assert_int_equal(loader_plan(&gi, many, LOADER_MAX_MODULES, "", RAM,
				     &plan, &lerr),
			 0);
	assert_int_equal(many[15].gpa, 0x103000 + 15 * PAGE_SIZE);
	assert_int_equal(loader_plan(&gi, many, LOADER_MAX_MODULES + 1, "", RAM,
				     &plan, &lerr),
			 -ENOSPC);
	assert_string_equal(lerr.msg, "17 modules, more than 16");
	memset(long_cmdline, 'a', sizeof(long_cmdline) - 1);
	plan_bad(0, long_cmdline, RAM,
		 "the boot information needs 65760 bytes, more than 65536");
}

/* ---- multiboot2 information -------------------------------------------- */

/* Check the tag at *off and move past it; returns its data offset. */
static u64 expect_tag(u64 *off, u32 type, u32 size)
{
	u64 data = *off + 8;

	assert_int_equal(rd32_at(*off), type);
	assert_int_equal(rd32_at(*off + 4), size);
	*off += ALIGN_UP(size, 8);
	return data;
}

static void expect_mmap_entry(u64 off, u64 base, u64 len, u32 type)
{
	assert_int_equal(rd64_at(off), base);
	assert_int_equal(rd64_at(off + 8), len);
	assert_int_equal(rd32_at(off + 16), type);
}

static void test_mb2_fields(void **state)
{
	u8 rsdp[VACPI_RSDP_LEN];
	u64 off = 8, d;

	(void)state;
	parsed_image(false);
	plan_ok(2, CMDLINE, RAM);
	build(2, CMDLINE, RAM);
	assert_int_equal(rd32_at(0), 296);
	assert_int_equal(rd32_at(4), 0);
	d = expect_tag(&off, 1, 8 + 14);
	assert_string_equal((char *)info + d, CMDLINE);
	d = expect_tag(&off, 2, 8 + 6);
	assert_string_equal((char *)info + d, "Shade");
	d = expect_tag(&off, 4, 16);
	assert_int_equal(rd32_at(d), 639);
	assert_int_equal(rd32_at(d + 4), 15 * 1024);
	d = expect_tag(&off, 6, 16 + 3 * 24);
	assert_int_equal(rd32_at(d), 24);
	assert_int_equal(rd32_at(d + 4), 0);
	expect_mmap_entry(d + 8, 0, 0x9fc00, 1);
	expect_mmap_entry(d + 32, 0x9fc00, 0x100000 - 0x9fc00, 2);
	expect_mmap_entry(d + 56, 0x100000, RAM - 0x100000, 1);
	for (u32 i = 0; i < 3; i++)
		assert_int_equal(rd32_at(d + 8 + i * 24 + 20),
				 0); /* reserved */
	d = expect_tag(&off, 3, 16 + 11);
	assert_int_equal(rd32_at(d), 0x103000);
	assert_int_equal(rd32_at(d + 4), 0x104800);
	assert_string_equal((char *)info + d + 8, "initrd a=1");
	d = expect_tag(&off, 3, 16 + 1);
	assert_int_equal(rd32_at(d), 0x105000);
	assert_int_equal(rd32_at(d + 4), 0x105010);
	assert_string_equal((char *)info + d + 8, "");
	vacpi_rsdp_build(rsdp);
	d = expect_tag(&off, 14, 8 + 20);
	assert_memory_equal(info + d, rsdp, 20);
	d = expect_tag(&off, 15, 8 + 36);
	assert_memory_equal(info + d, rsdp, 36);
	expect_tag(&off, 0, 8);
	assert_int_equal(off, 296);
	assert_int_equal(loader_entry_magic(&gi), 0x36d76289);
}

/* The guest's view, through Shade's own multiboot2 parser. */
static void test_mb2_parsed_back(void **state)
{
	u8 rsdp[VACPI_RSDP_LEN];

	(void)state;
	parsed_image(false);
	plan_ok(2, CMDLINE, 64 * MiB);
	build(2, CMDLINE, 64 * MiB);
	if (mb2_parse(plan.info_gpa, map_info, NULL, &bi, &berr))
		fail_msg("mb2_parse: %s", berr.msg);
	assert_string_equal(bi.cmdline, CMDLINE);
	assert_string_equal(bi.loader_name, "Shade");
	assert_true(bi.has_basic_meminfo);
	assert_int_equal(bi.mem_lower_kib, 639);
	assert_int_equal(bi.mem_upper_kib, 63 * 1024);
	assert_int_equal(bi.nmmap, 3);
	assert_int_equal(bi.mmap[2].base, 0x100000);
	assert_int_equal(bi.mmap[2].len, 63 * MiB);
	assert_int_equal(bi.mmap[1].type, MEM_RESERVED);
	assert_int_equal(bi.nmodules, 2);
	assert_int_equal(bi.modules[0].start, 0x103000);
	assert_int_equal(bi.modules[0].end, 0x104800);
	assert_string_equal(bi.modules[0].cmdline, "initrd a=1");
	assert_int_equal(bi.modules[1].start, 0x105000);
	assert_string_equal(bi.modules[1].cmdline, "");
	assert_int_equal(bi.info_start, 0x105010);
	assert_int_equal(bi.info_end, 0x105010 + 296);
	/* The XSDP wins over the ACPI 1.0 copy, and is the one at 0xf0000. */
	vacpi_rsdp_build(rsdp);
	assert_int_equal(bi.rsdp_len, 36);
	assert_memory_equal(bi.rsdp, rsdp, 36);
}

/* No command line and no modules: empty strings, no module tags. */
static void test_mb2_minimal(void **state)
{
	(void)state;
	parsed_image(false);
	mods[0].cmdline = NULL;
	plan_ok(0, NULL, RAM);
	assert_int_equal(plan.info_size, 8 + 16 + 16 + 16 + 88 + 32 + 48 + 8);
	build(0, NULL, RAM);
	if (mb2_parse(plan.info_gpa, map_info, NULL, &bi, &berr))
		fail_msg("mb2_parse: %s", berr.msg);
	assert_string_equal(bi.cmdline, "");
	assert_int_equal(bi.nmodules, 0);
	plan_ok(1, NULL, RAM);
	build(1, NULL, RAM);
	if (mb2_parse(plan.info_gpa, map_info, NULL, &bi, &berr))
		fail_msg("mb2_parse: %s", berr.msg);
	assert_string_equal(bi.modules[0].cmdline, "");
}

/* ---- multiboot1 information -------------------------------------------- */

static void test_mb1_fields(void **state)
{
	u32 base, mods_addr, mmap_addr;

	(void)state;
	parsed_image(true);
	plan_ok(2, CMDLINE, RAM);
	build(2, CMDLINE, RAM);
	base = (u32)plan.info_gpa;
	assert_int_equal(rd32_at(0),
			 BIT(0) | BIT(2) | BIT(3) | BIT(6) | BIT(9));
	assert_int_equal(rd32_at(4), 639);
	assert_int_equal(rd32_at(8), 15 * 1024);
	assert_string_equal((char *)info + rd32_at(16) - base, CMDLINE);
	assert_int_equal(rd32_at(20), 2);
	assert_string_equal((char *)info + rd32_at(64) - base, "Shade");
	/* Memory map: {u32 size = 20, u64 base, u64 len, u32 type} x 3 */
	assert_int_equal(rd32_at(44), 72);
	mmap_addr = rd32_at(48);
	assert_int_equal(rd32_at(mmap_addr - base), 20);
	expect_mmap_entry(mmap_addr - base + 4, 0, 0x9fc00, 1);
	assert_int_equal(rd32_at(mmap_addr - base + 24), 20);
	expect_mmap_entry(mmap_addr - base + 28, 0x9fc00, 0x60400, 2);
	expect_mmap_entry(mmap_addr - base + 52, 0x100000, 15 * MiB, 1);
	/* Modules: {mod_start, mod_end, string, reserved} */
	mods_addr = rd32_at(24) - base;
	assert_int_equal(rd32_at(mods_addr), 0x103000);
	assert_int_equal(rd32_at(mods_addr + 4), 0x104800);
	assert_string_equal((char *)info + rd32_at(mods_addr + 8) - base,
			    "initrd a=1");
	assert_int_equal(rd32_at(mods_addr + 12), 0);
	assert_int_equal(rd32_at(mods_addr + 16), 0x105000);
	assert_int_equal(rd32_at(mods_addr + 20), 0x105010);
	assert_string_equal((char *)info + rd32_at(mods_addr + 24) - base, "");
	assert_int_equal(loader_entry_magic(&gi), 0x2badb002);
}

/* Every pointer lies inside the block: Shade's multiboot1 parser reads
 * the whole structure through map_info(), which maps only the block. */
static void test_mb1_parsed_back(void **state)
{
	(void)state;
	parsed_image(true);
	plan_ok(2, CMDLINE, 3 * GiB);
	build(2, CMDLINE, 3 * GiB);
	if (mb1_parse(plan.info_gpa, map_info, NULL, &bi, &berr))
		fail_msg("mb1_parse: %s", berr.msg);
	assert_string_equal(bi.cmdline, CMDLINE);
	assert_string_equal(bi.loader_name, "Shade");
	assert_true(bi.has_basic_meminfo);
	assert_int_equal(bi.mem_upper_kib, 3 * 1024 * 1024 - 1024);
	assert_int_equal(bi.nmmap, 3);
	assert_int_equal(bi.mmap[0].len, 0x9fc00);
	assert_int_equal(bi.mmap[2].len, 3 * GiB - MiB);
	assert_int_equal(bi.nmodules, 2);
	assert_int_equal(bi.modules[1].end, 0x105010);
	assert_string_equal(bi.modules[0].cmdline, "initrd a=1");
	/* Without modules: mods_count 0, still parseable. */
	plan_ok(0, NULL, RAM);
	build(0, NULL, RAM);
	if (mb1_parse(plan.info_gpa, map_info, NULL, &bi, &berr))
		fail_msg("mb1_parse: %s", berr.msg);
	assert_int_equal(bi.nmodules, 0);
	assert_string_equal(bi.cmdline, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plan_layout),
		cmocka_unit_test(test_plan_skips_reserved),
		cmocka_unit_test(test_plan_too_little_ram),
		cmocka_unit_test(test_plan_huge_module),
		cmocka_unit_test(test_plan_limits),
		cmocka_unit_test(test_mb2_fields),
		cmocka_unit_test(test_mb2_parsed_back),
		cmocka_unit_test(test_mb2_minimal),
		cmocka_unit_test(test_mb1_fields),
		cmocka_unit_test(test_mb1_parsed_back),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
