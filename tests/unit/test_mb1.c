// SPDX-License-Identifier: MIT
/*
 * Unit tests for boot/mb1.c. The tests lay out a Multiboot 0.6.96
 * information structure, its strings, module list and memory map in a
 * buffer that stands for the loader's memory at MEM_BASE; the phys_map_fn
 * maps ranges of that buffer and refuses everything outside it. Each
 * malformed case checks the error code and that the message names the
 * field and the problem.
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

#define MEM_BASE 0x8000u
#define MEM_SIZE 0x20000u

/* Where the tests put things, as physical addresses. */
#define INFO_PA	   MEM_BASE
#define CMDLINE_PA (MEM_BASE + 0x100)
#define NAME_PA	   (MEM_BASE + 0x80)
#define MODS_PA	   (MEM_BASE + 0x2000)
#define MMAP_PA	   (MEM_BASE + 0x3000)
#define STRS_PA	   (MEM_BASE + 0x8000) /* module strings, 0x1400 apart */

/* Information structure fields and flags (Multiboot 0.6.96, 3.3). */
#define OFF_FLAGS	 0
#define OFF_MEM_LOWER	 4
#define OFF_MEM_UPPER	 8
#define OFF_BOOT_DEVICE	 12
#define OFF_CMDLINE	 16
#define OFF_MODS_COUNT	 20
#define OFF_MODS_ADDR	 24
#define OFF_MMAP_LENGTH	 44
#define OFF_MMAP_ADDR	 48
#define OFF_LOADER_NAME	 64
#define INFO_SIZE	 88
#define FLAG_MEM	 BIT(0)
#define FLAG_BOOT_DEVICE BIT(1)
#define FLAG_CMDLINE	 BIT(2)
#define FLAG_MODS	 BIT(3)
#define FLAG_MMAP	 BIT(6)
#define FLAG_LOADER_NAME BIT(9)

struct test_mem {
	u64 base;
	u64 len; /* readable bytes from base */
	u8 *buf;
	u32 calls;
};

static u8 mem_buf[MEM_SIZE];
static struct test_mem mem;
static struct boot_info bi;
static struct boot_error err;
static u32 mmap_len; /* bytes of memory map written so far */

static const void *map_mem(u64 pa, u64 len, void *ctx)
{
	struct test_mem *m = ctx;

	m->calls++;
	if (pa < m->base || pa - m->base > m->len ||
	    len > m->len - (pa - m->base))
		return NULL;
	return m->buf + (pa - m->base);
}

static void reset(void)
{
	memset(mem_buf, 0, sizeof(mem_buf));
	memset(&mem, 0, sizeof(mem));
	mem.base = MEM_BASE;
	mem.len = MEM_SIZE;
	mem.buf = mem_buf;
	memset(&err, 0x5a, sizeof(err));
	mmap_len = 0;
}

static u8 *at(u64 pa)
{
	assert_true(pa >= MEM_BASE && pa < MEM_BASE + MEM_SIZE);
	return mem_buf + (pa - MEM_BASE);
}

static void put32(u64 pa, u32 v)
{
	memcpy(at(pa), &v, sizeof(v));
}

static void put64(u64 pa, u64 v)
{
	memcpy(at(pa), &v, sizeof(v));
}

static void set_field(u32 off, u32 v)
{
	put32(INFO_PA + off, v);
}

static void add_flags(u32 flags)
{
	u32 old;

	memcpy(&old, at(INFO_PA + OFF_FLAGS), 4);
	set_field(OFF_FLAGS, old | flags);
}

static u32 put_string(u64 pa, const char *s)
{
	memcpy(at(pa), s, strlen(s) + 1);
	return (u32)pa;
}

/* A string of n 'c's at pa. */
static void put_long_string(u64 pa, u32 n, char c)
{
	memset(at(pa), c, n);
	*at(pa + n) = '\0';
}

static void set_cmdline(const char *s)
{
	add_flags(FLAG_CMDLINE);
	set_field(OFF_CMDLINE, put_string(CMDLINE_PA, s));
}

/* Module i of count, its string at string_pa (0 for none). */
static void set_module(u32 i, u32 start, u32 end, u32 string_pa)
{
	u64 e = MODS_PA + i * 16;

	put32(e, start);
	put32(e + 4, end);
	put32(e + 8, string_pa);
	put32(e + 12, 0);
}

static void set_modules(u32 count)
{
	add_flags(FLAG_MODS);
	set_field(OFF_MODS_COUNT, count);
	set_field(OFF_MODS_ADDR, MODS_PA);
}

/* Append a memory map entry whose size field says size (20 normally). */
static void add_mmap_entry(u32 size, u64 base, u64 len, u32 type)
{
	u64 e = MMAP_PA + mmap_len;

	put32(e, size);
	put64(e + 4, base);
	put64(e + 12, len);
	put32(e + 20, type);
	mmap_len += 4 + size;
	add_flags(FLAG_MMAP);
	set_field(OFF_MMAP_LENGTH, mmap_len);
	set_field(OFF_MMAP_ADDR, MMAP_PA);
}

static int parse(void)
{
	return mb1_parse(INFO_PA, map_mem, &mem, &bi, &err);
}

static void expect_error(int rc, const char *where, const char *what)
{
	assert_int_equal(rc, -EINVAL);
	if (!strstr(err.msg, where) || !strstr(err.msg, what))
		fail_msg("message '%s' lacks '%s' or '%s'", err.msg, where,
			 what);
}

static void expect_pooled(const char *s, const char *want)
{
	assert_true(s >= bi.strpool && s < bi.strpool + BOOT_STRPOOL);
	assert_string_equal(s, want);
}

static void test_full_parse(void **state)
{
	(void)state;
	reset();
	add_flags(FLAG_MEM | FLAG_BOOT_DEVICE);
	set_field(OFF_MEM_LOWER, 639);
	set_field(OFF_MEM_UPPER, 130048);
	set_field(OFF_BOOT_DEVICE, 0x8000ffff);
	set_cmdline("loglevel=debug cpus=2");
	set_modules(2);
	set_module(0, 0x100000, 0x180000, put_string(STRS_PA, "name=a -- x"));
	set_module(1, 0x200000, 0x200000, 0);
	add_mmap_entry(20, 0, 0x9fc00, MEM_AVAILABLE);
	add_mmap_entry(20, 0x9fc00, 0x400, MEM_RESERVED);
	add_mmap_entry(20, 0x100000, 0x7ee0000, MEM_AVAILABLE);
	add_mmap_entry(20, 0xfffc0000, 0x40000, 9);
	add_flags(FLAG_LOADER_NAME);
	set_field(OFF_LOADER_NAME, put_string(NAME_PA, "qemu"));

	assert_int_equal(parse(), 0);
	assert_string_equal(err.msg, "");
	assert_string_equal(bi.loader, "multiboot1");
	expect_pooled(bi.cmdline, "loglevel=debug cpus=2");
	expect_pooled(bi.loader_name, "qemu");
	assert_true(bi.has_basic_meminfo);
	assert_int_equal(bi.mem_lower_kib, 639);
	assert_int_equal(bi.mem_upper_kib, 130048);
	assert_int_equal(bi.nmodules, 2);
	assert_int_equal(bi.modules[0].start, 0x100000);
	assert_int_equal(bi.modules[0].end, 0x180000);
	expect_pooled(bi.modules[0].cmdline, "name=a -- x");
	assert_int_equal(bi.modules[1].start, 0x200000);
	assert_int_equal(bi.modules[1].end, 0x200000);
	expect_pooled(bi.modules[1].cmdline, "");
	assert_int_equal(bi.nmmap, 4);
	assert_int_equal(bi.mmap[0].base, 0);
	assert_int_equal(bi.mmap[0].len, 0x9fc00);
	assert_int_equal(bi.mmap[0].type, MEM_AVAILABLE);
	assert_int_equal(bi.mmap[1].base, 0x9fc00);
	assert_int_equal(bi.mmap[1].len, 0x400);
	assert_int_equal(bi.mmap[1].type, MEM_RESERVED);
	assert_int_equal(bi.mmap[2].base, 0x100000);
	assert_int_equal(bi.mmap[2].len, 0x7ee0000);
	assert_int_equal(bi.mmap[3].base, 0xfffc0000);
	assert_int_equal(bi.mmap[3].type, 9);
	assert_int_equal(bi.rsdp_len, 0);
	assert_int_equal(bi.info_start, INFO_PA);
	assert_int_equal(bi.info_end, INFO_PA + INFO_SIZE);
	assert_int_equal(bi.strpool_used, sizeof("loglevel=debug cpus=2") +
						  sizeof("name=a -- x") + 1 +
						  sizeof("qemu"));
}

static void test_no_flags(void **state)
{
	(void)state;
	reset();
	/* Every field is garbage, but no flag says it is there. */
	memset(at(INFO_PA + 4), 0xff, INFO_SIZE - 4);
	memset(&bi, 0x77, sizeof(bi));
	assert_int_equal(parse(), 0);
	assert_string_equal(bi.loader, "multiboot1");
	assert_string_equal(bi.cmdline, "");
	assert_string_equal(bi.loader_name, "");
	assert_false(bi.has_basic_meminfo);
	assert_int_equal(bi.nmodules, 0);
	assert_int_equal(bi.nmmap, 0);
	assert_int_equal(bi.rsdp_len, 0);
	assert_int_equal(bi.strpool_used, 0);
	assert_int_equal(mem.calls, 1);
}

static void test_meminfo_only(void **state)
{
	(void)state;
	reset();
	add_flags(FLAG_MEM);
	set_field(OFF_MEM_LOWER, 0xffffffff);
	set_field(OFF_MEM_UPPER, 0);
	assert_int_equal(parse(), 0);
	assert_true(bi.has_basic_meminfo);
	assert_int_equal(bi.mem_lower_kib, 0xffffffff);
	assert_int_equal(bi.mem_upper_kib, 0);
}

static void test_unaligned_everything(void **state)
{
	u32 info = INFO_PA + 0x1001;

	(void)state;
	reset();
	put32(info + OFF_FLAGS, FLAG_MMAP | FLAG_CMDLINE);
	put32(info + OFF_CMDLINE, put_string(CMDLINE_PA + 3, "odd"));
	put32(MMAP_PA + 1, 20);
	put64(MMAP_PA + 5, 0x123456789abcULL);
	put64(MMAP_PA + 13, 0x1000);
	put32(MMAP_PA + 21, 1);
	put32(info + OFF_MMAP_LENGTH, 24);
	put32(info + OFF_MMAP_ADDR, MMAP_PA + 1);
	assert_int_equal(mb1_parse(info, map_mem, &mem, &bi, &err), 0);
	assert_string_equal(bi.cmdline, "odd");
	assert_int_equal(bi.nmmap, 1);
	assert_int_equal(bi.mmap[0].base, 0x123456789abcULL);
	assert_int_equal(bi.mmap[0].len, 0x1000);
	assert_int_equal(bi.info_start, info);
	assert_int_equal(bi.info_end, info + INFO_SIZE);
}

static void test_info_unmappable(void **state)
{
	(void)state;
	reset();
	expect_error(mb1_parse(0x1000, map_mem, &mem, &bi, &err),
		     "multiboot1 information at 0x1000",
		     "cannot map its 88 bytes");
	/* One byte short at the end of readable memory. */
	mem.len = INFO_SIZE - 1;
	expect_error(parse(), "multiboot1 information at 0x8000",
		     "cannot map its 88 bytes");
	mem.len = INFO_SIZE;
	assert_int_equal(parse(), 0);
}

static void test_info_wraps(void **state)
{
	(void)state;
	reset();
	expect_error(mb1_parse(UINT64_MAX - 80, map_mem, &mem, &bi, &err),
		     "multiboot1 information at 0xffffffffffffffaf",
		     "wraps past 2^64");
	assert_int_equal(mem.calls, 0);
}

static void test_cmdline_unmappable(void **state)
{
	(void)state;
	reset();
	add_flags(FLAG_CMDLINE);
	set_field(OFF_CMDLINE, 0x1000);
	expect_error(parse(), "multiboot1 command line (flags bit 2) at 0x1000",
		     "cannot read byte 0");
}

static void test_cmdline_runs_off_memory(void **state)
{
	u64 pa = MEM_BASE + MEM_SIZE - 5;

	(void)state;
	reset();
	memset(at(pa), 'a', 5);
	add_flags(FLAG_CMDLINE);
	set_field(OFF_CMDLINE, (u32)pa);
	expect_error(parse(),
		     "multiboot1 command line (flags bit 2) at 0x27ffb",
		     "cannot read byte 5");
}

static void test_cmdline_length_limit(void **state)
{
	(void)state;
	reset();
	put_long_string(CMDLINE_PA, 4096, 'c');
	add_flags(FLAG_CMDLINE);
	set_field(OFF_CMDLINE, CMDLINE_PA);
	assert_int_equal(parse(), 0);
	assert_int_equal(strlen(bi.cmdline), 4096);
	assert_int_equal(bi.strpool_used, 4097);

	put_long_string(CMDLINE_PA, 4097, 'c');
	expect_error(parse(), "multiboot1 command line (flags bit 2) at 0x8100",
		     "longer than 4096 chars");
}

static void test_empty_cmdline(void **state)
{
	(void)state;
	reset();
	set_cmdline("");
	assert_int_equal(parse(), 0);
	expect_pooled(bi.cmdline, "");
	assert_int_equal(bi.strpool_used, 1);
}

static void test_loader_name_unmappable(void **state)
{
	(void)state;
	reset();
	add_flags(FLAG_LOADER_NAME);
	set_field(OFF_LOADER_NAME, 0xfffffff0);
	expect_error(parse(),
		     "multiboot1 boot loader name (flags bit 9) at 0xfffffff0",
		     "cannot read byte 0");
}

static void test_modules_max(void **state)
{
	char s[16];

	(void)state;
	reset();
	set_modules(BOOT_MAX_MODULES);
	for (u32 i = 0; i < BOOT_MAX_MODULES; i++) {
		snprintf(s, sizeof(s), "m%u", i);
		set_module(i, i * 0x1000, i * 0x1000 + 1,
			   put_string(STRS_PA + i * 16, s));
	}
	assert_int_equal(parse(), 0);
	assert_int_equal(bi.nmodules, BOOT_MAX_MODULES);
	assert_int_equal(bi.modules[31].start, 31 * 0x1000);
	assert_int_equal(bi.modules[31].end, 31 * 0x1000 + 1);
	expect_pooled(bi.modules[31].cmdline, "m31");

	set_modules(BOOT_MAX_MODULES + 1);
	expect_error(parse(), "multiboot1 modules (flags bit 3)",
		     "mods_count 33 is more than 32");
	/* count * 16 must not wrap into something small. */
	set_modules(0x10000000);
	expect_error(parse(), "modules (flags bit 3)",
		     "mods_count 268435456 is more than 32");
}

static void test_modules_zero(void **state)
{
	(void)state;
	reset();
	set_modules(0);
	set_field(OFF_MODS_ADDR, 0xdead0000); /* never looked at */
	assert_int_equal(parse(), 0);
	assert_int_equal(bi.nmodules, 0);
	assert_int_equal(mem.calls, 1);
}

static void test_modules_unmappable(void **state)
{
	(void)state;
	reset();
	set_modules(2);
	set_field(OFF_MODS_ADDR, MEM_BASE + MEM_SIZE - 16);
	expect_error(parse(), "multiboot1 modules (flags bit 3)",
		     "cannot map 2 entries at mods_addr 0x27ff0");
}

static void test_module_start_above_end(void **state)
{
	(void)state;
	reset();
	set_modules(2);
	set_module(0, 0x1000, 0x2000, 0);
	set_module(1, 0x3001, 0x3000, 0);
	expect_error(parse(), "multiboot1 module 1: ",
		     "mod_start 0x3001 is above mod_end 0x3000");
}

static void test_module_string_unmappable(void **state)
{
	(void)state;
	reset();
	set_modules(1);
	set_module(0, 0x1000, 0x2000, 0x100);
	expect_error(parse(), "multiboot1 module 0 string at 0x100",
		     "cannot read byte 0");
}

static void test_module_string_too_long(void **state)
{
	(void)state;
	reset();
	set_modules(1);
	put_long_string(STRS_PA, 5000, 'm');
	set_module(0, 0x1000, 0x2000, STRS_PA);
	expect_error(parse(), "multiboot1 module 0 string at 0x10000",
		     "longer than 4096 chars");
}

/*
 * 4097 + 4097 + 4097 + 4093 bytes fill the 16384-byte pool exactly: the
 * loader name of 4092 chars fits, one of 4093 does not.
 */
static void fill_pool_but(u32 last_len)
{
	reset();
	put_long_string(CMDLINE_PA, 4096, 'c');
	add_flags(FLAG_CMDLINE);
	set_field(OFF_CMDLINE, CMDLINE_PA);
	set_modules(2);
	put_long_string(STRS_PA, 4096, '0');
	put_long_string(STRS_PA + 0x1400, 4096, '1');
	set_module(0, 0, 0, STRS_PA);
	set_module(1, 0, 0, STRS_PA + 0x1400);
	put_long_string(STRS_PA + 0x2800, last_len, 'n');
	add_flags(FLAG_LOADER_NAME);
	set_field(OFF_LOADER_NAME, STRS_PA + 0x2800);
}

static void test_strpool_exactly_full(void **state)
{
	(void)state;
	fill_pool_but(4092);
	assert_int_equal(parse(), 0);
	assert_int_equal(bi.strpool_used, BOOT_STRPOOL);
	assert_int_equal(strlen(bi.loader_name), 4092);
	assert_int_equal(bi.loader_name[0], 'n');
	assert_int_equal(bi.modules[1].cmdline[4095], '1');
}

static void test_strpool_overflow(void **state)
{
	(void)state;
	fill_pool_but(4093);
	expect_error(parse(), "multiboot1 boot loader name (flags bit 9)",
		     "no room in the 16384-byte string pool");
}

static void test_strpool_full_module_without_string(void **state)
{
	(void)state;
	fill_pool_but(4092);
	/* Move the 4092 chars into a third module, add a fourth with no
	 * string: even "" needs a byte of pool. */
	set_field(OFF_FLAGS, FLAG_CMDLINE | FLAG_MODS);
	set_modules(4);
	set_module(2, 0, 0, STRS_PA + 0x2800);
	set_module(3, 0, 0, 0);
	expect_error(parse(), "multiboot1 module 3 string: ",
		     "no room in the 16384-byte string pool");
}

static void test_mmap_wide_entries(void **state)
{
	(void)state;
	reset();
	add_mmap_entry(24, 0x1000, 0x2000, 1);
	put32(MMAP_PA + 24, 0xeeeeeeee); /* the extra field */
	add_mmap_entry(20, 0x5000, 0x6000, 2);
	add_mmap_entry(28, 0x7000, 0x8000, 3);
	assert_int_equal(parse(), 0);
	assert_int_equal(bi.nmmap, 3);
	assert_int_equal(bi.mmap[1].base, 0x5000);
	assert_int_equal(bi.mmap[1].len, 0x6000);
	assert_int_equal(bi.mmap[1].type, 2);
	assert_int_equal(bi.mmap[2].base, 0x7000);
	assert_int_equal(bi.mmap[2].type, 3);
}

static void test_mmap_empty(void **state)
{
	(void)state;
	reset();
	add_flags(FLAG_MMAP);
	set_field(OFF_MMAP_LENGTH, 0);
	set_field(OFF_MMAP_ADDR, 0xdead0000); /* never looked at */
	assert_int_equal(parse(), 0);
	assert_int_equal(bi.nmmap, 0);
}

static void test_mmap_unmappable(void **state)
{
	(void)state;
	reset();
	add_mmap_entry(20, 0, 0x1000, 1);
	set_field(OFF_MMAP_ADDR, 0x100);
	expect_error(parse(), "multiboot1 memory map (flags bit 6)",
		     "cannot map 24 bytes at mmap_addr 0x100");
}

static void test_mmap_entry_too_small(void **state)
{
	(void)state;
	reset();
	add_mmap_entry(20, 0, 0x1000, 1);
	add_mmap_entry(16, 0x1000, 0x1000, 1);
	add_mmap_entry(20, 0x2000, 0x1000, 1);
	expect_error(parse(),
		     "multiboot1 memory map (flags bit 6) entry at offset 0x18",
		     "size 16 is below 20");
	/* Size 0 must not loop. */
	put32(MMAP_PA + 24, 0);
	expect_error(parse(), "entry at offset 0x18", "size 0 is below 20");
}

static void test_mmap_entry_past_length(void **state)
{
	(void)state;
	reset();
	add_mmap_entry(20, 0, 0x1000, 1);
	add_mmap_entry(20, 0x1000, 0x1000, 1);
	set_field(OFF_MMAP_LENGTH, 47);
	expect_error(parse(),
		     "multiboot1 memory map (flags bit 6) entry at offset 0x18",
		     "size 20 runs past mmap_length 47");
	/* A size that would wrap a 32-bit sum. */
	set_field(OFF_MMAP_LENGTH, 48);
	put32(MMAP_PA + 24, 0xfffffffc);
	expect_error(parse(), "entry at offset 0x18",
		     "size 4294967292 runs past mmap_length 48");
}

static void test_mmap_trailing_bytes(void **state)
{
	(void)state;
	reset();
	add_mmap_entry(20, 0, 0x1000, 1);
	set_field(OFF_MMAP_LENGTH, 24 + 3);
	expect_error(parse(),
		     "multiboot1 memory map (flags bit 6) entry at offset 0x18",
		     "size field runs past mmap_length 27");
}

static void test_mmap_max_entries(void **state)
{
	(void)state;
	reset();
	for (u32 i = 0; i < BOOT_MAX_MMAP; i++)
		add_mmap_entry(20, i * PAGE_SIZE, PAGE_SIZE, 1);
	assert_int_equal(parse(), 0);
	assert_int_equal(bi.nmmap, BOOT_MAX_MMAP);
	assert_int_equal(bi.mmap[BOOT_MAX_MMAP - 1].base,
			 (BOOT_MAX_MMAP - 1) * PAGE_SIZE);

	add_mmap_entry(20, 0, 0, 1);
	expect_error(parse(), "multiboot1 memory map (flags bit 6)",
		     "more than 128 entries");
}

static void test_mmap_wrap(void **state)
{
	(void)state;
	reset();
	add_mmap_entry(20, 0xffffffff00000000ULL, 0x100000000ULL, 2);
	add_mmap_entry(20, UINT64_MAX, 0, 2);
	assert_int_equal(parse(), 0);
	assert_int_equal(bi.nmmap, 2);

	add_mmap_entry(20, 0xffffffff00000000ULL, 0x100000001ULL, 2);
	expect_error(parse(),
		     "multiboot1 memory map (flags bit 6) entry at offset 0x30",
		     "base 0xffffffff00000000 + length 0x100000001 wraps");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full_parse),
		cmocka_unit_test(test_no_flags),
		cmocka_unit_test(test_meminfo_only),
		cmocka_unit_test(test_unaligned_everything),
		cmocka_unit_test(test_info_unmappable),
		cmocka_unit_test(test_info_wraps),
		cmocka_unit_test(test_cmdline_unmappable),
		cmocka_unit_test(test_cmdline_runs_off_memory),
		cmocka_unit_test(test_cmdline_length_limit),
		cmocka_unit_test(test_empty_cmdline),
		cmocka_unit_test(test_loader_name_unmappable),
		cmocka_unit_test(test_modules_max),
		cmocka_unit_test(test_modules_zero),
		cmocka_unit_test(test_modules_unmappable),
		cmocka_unit_test(test_module_start_above_end),
		cmocka_unit_test(test_module_string_unmappable),
		cmocka_unit_test(test_module_string_too_long),
		cmocka_unit_test(test_strpool_exactly_full),
		cmocka_unit_test(test_strpool_overflow),
		cmocka_unit_test(test_strpool_full_module_without_string),
		cmocka_unit_test(test_mmap_wide_entries),
		cmocka_unit_test(test_mmap_empty),
		cmocka_unit_test(test_mmap_unmappable),
		cmocka_unit_test(test_mmap_entry_too_small),
		cmocka_unit_test(test_mmap_entry_past_length),
		cmocka_unit_test(test_mmap_trailing_bytes),
		cmocka_unit_test(test_mmap_max_entries),
		cmocka_unit_test(test_mmap_wrap),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
