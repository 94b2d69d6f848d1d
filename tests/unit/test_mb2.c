// SPDX-License-Identifier: MIT
/*
 * Unit tests for boot/mb2.c. A small builder writes multiboot2
 * information structures into a buffer that stands for the loader's
 * memory at MEM_BASE; the phys_map_fn maps ranges of that buffer and
 * refuses everything outside it. Each malformed case checks the error
 * code and that the message names the tag and the problem. (Past 800
 * lines because every malformed case needs its own broken structure;
 * split by tag it would scatter the one builder they all share.)
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

#define MEM_BASE 0x100000ULL
#define MEM_SIZE (1 * MiB + 64)

/* The loader's memory, as the parser sees it through map_mem(). */
struct test_mem {
	u64 base;
	u64 len; /* readable bytes from base */
	u8 *buf;
	u32 calls;
	u64 call_pa[4], call_len[4]; /* the first few map requests */
};

static u8 mem_buf[MEM_SIZE] __aligned(8);
static struct test_mem mem;
static struct boot_info bi;
static struct boot_error err;
static u32 blen; /* bytes of the structure built so far */

static const void *map_mem(u64 pa, u64 len, void *ctx)
{
	struct test_mem *m = ctx;

	if (m->calls < ARRAY_SIZE(m->call_pa)) {
		m->call_pa[m->calls] = pa;
		m->call_len[m->calls] = len;
	}
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
	blen = 8;
}

static void put32(u32 off, u32 v)
{
	memcpy(mem_buf + off, &v, sizeof(v));
}

/* Append a tag with the given data; returns its offset. */
static u32 add_tag(u32 type, const void *data, u32 data_len)
{
	u32 off = blen;

	assert_true(off + 8 + data_len <= MEM_SIZE);
	put32(off, type);
	put32(off + 4, 8 + data_len);
	if (data_len)
		memcpy(mem_buf + off + 8, data, data_len);
	blen = (u32)ALIGN_UP(off + 8 + data_len, 8);
	return off;
}

/* Append a tag of data_len zero bytes; returns its offset. */
static u32 add_zero_tag(u32 type, u32 data_len)
{
	u32 off = add_tag(type, NULL, 0);

	assert_true(off + 8 + data_len <= MEM_SIZE);
	put32(off + 4, 8 + data_len);
	blen = (u32)ALIGN_UP(off + 8 + data_len, 8);
	return off;
}

static u32 add_string_tag(u32 type, const char *s)
{
	return add_tag(type, s, (u32)strlen(s) + 1);
}

static u32 add_module(u32 start, u32 end, const char *s)
{
	u8 data[256];
	u32 n = (u32)strlen(s) + 1;

	assert_true(8 + n <= sizeof(data));
	memcpy(data, &start, 4);
	memcpy(data + 4, &end, 4);
	memcpy(data + 8, s, n);
	return add_tag(3, data, 8 + n);
}

static u32 add_meminfo(u32 lower, u32 upper)
{
	u32 data[2] = {lower, upper};

	return add_tag(4, data, sizeof(data));
}

/* A memory map tag of n entries of entry_size bytes each. */
static u32 add_mmap(u32 entry_size, const struct mem_range *r, u32 n)
{
	static u8 data[8 + 200 * 32];
	u32 len = 8 + n * entry_size;

	assert_true(len <= sizeof(data));
	memset(data, 0xee, sizeof(data)); /* fields past the known ones */
	memcpy(data, &entry_size, 4);
	memset(data + 4, 0, 4); /* entry_version */
	for (u32 i = 0; i < n; i++) {
		u8 *e = data + 8 + i * entry_size;

		memcpy(e, &r[i].base, 8);
		memcpy(e + 8, &r[i].len, 8);
		memcpy(e + 16, &r[i].type, 4);
		memset(e + 20, 0, 4);
	}
	return add_tag(6, data, len);
}

static void end_info_at(u32 total)
{
	put32(0, total);
	put32(4, 0);
}

/* Append the end tag and set total_size to cover everything. */
static void finish(void)
{
	add_tag(0, NULL, 0);
	end_info_at(blen);
}

static int parse(void)
{
	return mb2_parse(MEM_BASE, map_mem, &mem, &bi, &err);
}

/* The parse fails with -EINVAL and a message holding both strings. */
static void expect_error(int rc, const char *where, const char *what)
{
	assert_int_equal(rc, -EINVAL);
	if (!strstr(err.msg, where) || !strstr(err.msg, what))
		fail_msg("message '%s' lacks '%s' or '%s'", err.msg, where,
			 what);
}

/* The string lies in bi's pool. */
static void expect_pooled(const char *s, const char *want)
{
	assert_true(s >= bi.strpool && s < bi.strpool + BOOT_STRPOOL);
	assert_string_equal(s, want);
}

static const struct mem_range sample_map[] = {
	{0, 0x9fc00, MEM_AVAILABLE},
	{0x9fc00, 0x400, MEM_RESERVED},
	{0x100000, 0x1ff00000, MEM_AVAILABLE},
	{0xfffc0000, 0x40000, MEM_RESERVED},
	{0x100000000ULL, 0x40000000ULL, 7},
};

static void fill_rsdp(u8 *p, u32 n, u8 seed)
{
	for (u32 i = 0; i < n; i++)
		p[i] = (u8)(seed + i);
}

static void test_full_parse(void **state)
{
	u8 old_rsdp[20], new_rsdp[36], fb[20] = {0};

	(void)state;
	reset();
	fill_rsdp(old_rsdp, sizeof(old_rsdp), 0x10);
	fill_rsdp(new_rsdp, sizeof(new_rsdp), 0x80);
	add_string_tag(1, "loglevel=debug cpus=4");
	add_string_tag(2, "GRUB 2.06");
	add_module(0x200000, 0x280000, "name=a mem=16M -- x");
	add_tag(8, fb, sizeof(fb)); /* framebuffer: skipped */
	add_module(0x300000, 0x300000, "");
	add_meminfo(639, 523136);
	add_mmap(24, sample_map, ARRAY_SIZE(sample_map));
	add_tag(14, old_rsdp, sizeof(old_rsdp));
	add_tag(15, new_rsdp, sizeof(new_rsdp));
	finish();

	assert_int_equal(parse(), 0);
	assert_string_equal(err.msg, "");
	assert_string_equal(bi.loader, "multiboot2");
	expect_pooled(bi.cmdline, "loglevel=debug cpus=4");
	expect_pooled(bi.loader_name, "GRUB 2.06");
	assert_true(bi.has_basic_meminfo);
	assert_int_equal(bi.mem_lower_kib, 639);
	assert_int_equal(bi.mem_upper_kib, 523136);
	assert_int_equal(bi.nmodules, 2);
	assert_int_equal(bi.modules[0].start, 0x200000);
	assert_int_equal(bi.modules[0].end, 0x280000);
	expect_pooled(bi.modules[0].cmdline, "name=a mem=16M -- x");
	assert_int_equal(bi.modules[1].start, 0x300000);
	assert_int_equal(bi.modules[1].end, 0x300000);
	expect_pooled(bi.modules[1].cmdline, "");
	assert_int_equal(bi.nmmap, ARRAY_SIZE(sample_map));
	for (u32 i = 0; i < ARRAY_SIZE(sample_map); i++) {
		assert_int_equal(bi.mmap[i].base, sample_map[i].base);
		assert_int_equal(bi.mmap[i].len, sample_map[i].len);
		assert_int_equal(bi.mmap[i].type, sample_map[i].type);
	}
	assert_int_equal(bi.rsdp_len, 36);
	assert_memory_equal(bi.rsdp, new_rsdp, 36);
	assert_int_equal(bi.info_start, MEM_BASE);
	assert_int_equal(bi.info_end, MEM_BASE + blen);
	assert_int_equal(bi.strpool_used,
			 sizeof("loglevel=debug cpus=4") + sizeof("GRUB 2.06") +
				 sizeof("name=a mem=16M -- x") + 1);
}

static void test_minimal(void **state)
{
	(void)state;
	reset();
	finish();
	assert_int_equal(blen, 16);
	memset(&bi, 0x77, sizeof(bi));
	assert_int_equal(parse(), 0);
	assert_string_equal(bi.loader, "multiboot2");
	assert_string_equal(bi.cmdline, "");
	assert_string_equal(bi.loader_name, "");
	assert_false(bi.has_basic_meminfo);
	assert_int_equal(bi.nmmap, 0);
	assert_int_equal(bi.nmodules, 0);
	assert_int_equal(bi.rsdp_len, 0);
	assert_int_equal(bi.strpool_used, 0);
	assert_int_equal(bi.info_start, MEM_BASE);
	assert_int_equal(bi.info_end, MEM_BASE + 16);
}

static void test_maps_header_then_whole(void **state)
{
	(void)state;
	reset();
	add_string_tag(1, "x");
	finish();
	assert_int_equal(parse(), 0);
	assert_int_equal(mem.calls, 2);
	assert_int_equal(mem.call_pa[0], MEM_BASE);
	assert_int_equal(mem.call_len[0], 8);
	assert_int_equal(mem.call_pa[1], MEM_BASE);
	assert_int_equal(mem.call_len[1], blen);
}

static void test_unknown_tags_skipped(void **state)
{
	u8 junk[13];

	(void)state;
	reset();
	memset(junk, 0xff, sizeof(junk));
	add_tag(5, junk, 12);
	add_tag(99, junk, 13); /* size 21: the next tag starts at 24 */
	add_tag(0x7fffffff, junk, 1);
	add_string_tag(1, "after");
	finish();
	assert_int_equal(parse(), 0);
	expect_pooled(bi.cmdline, "after");
}

static void test_old_rsdp_only(void **state)
{
	u8 rsdp[24];

	(void)state;
	reset();
	fill_rsdp(rsdp, sizeof(rsdp), 1);
	add_tag(14, rsdp, sizeof(rsdp)); /* longer than 20 is fine */
	finish();
	assert_int_equal(parse(), 0);
	assert_int_equal(bi.rsdp_len, 20);
	assert_memory_equal(bi.rsdp, rsdp, 20);
}

static void test_new_rsdp_wins_either_order(void **state)
{
	u8 old_rsdp[20], new_rsdp[36];

	(void)state;
	reset();
	fill_rsdp(old_rsdp, sizeof(old_rsdp), 0x10);
	fill_rsdp(new_rsdp, sizeof(new_rsdp), 0x80);
	add_tag(15, new_rsdp, sizeof(new_rsdp));
	add_tag(14, old_rsdp, sizeof(old_rsdp));
	finish();
	assert_int_equal(parse(), 0);
	assert_int_equal(bi.rsdp_len, 36);
	assert_memory_equal(bi.rsdp, new_rsdp, 36);
}

static void test_mmap_wide_entries(void **state)
{
	(void)state;
	reset();
	add_mmap(40, sample_map, ARRAY_SIZE(sample_map));
	finish();
	assert_int_equal(parse(), 0);
	assert_int_equal(bi.nmmap, ARRAY_SIZE(sample_map));
	for (u32 i = 0; i < ARRAY_SIZE(sample_map); i++) {
		assert_int_equal(bi.mmap[i].base, sample_map[i].base);
		assert_int_equal(bi.mmap[i].len, sample_map[i].len);
		assert_int_equal(bi.mmap[i].type, sample_map[i].type);
	}
}

static void test_mmap_empty(void **state)
{
	(void)state;
	reset();
	add_mmap(24, NULL, 0);
	finish();
	assert_int_equal(parse(), 0);
	assert_int_equal(bi.nmmap, 0);
}

static void test_mmap_entry_version_ignored(void **state)
{
	u32 off;

	(void)state;
	reset();
	off = add_mmap(24, sample_map, 1);
	put32(off + 12, 1);
	finish();
	assert_int_equal(parse(), 0);
	assert_int_equal(bi.nmmap, 1);
}

static void test_mmap_max_entries(void **state)
{
	static struct mem_range r[BOOT_MAX_MMAP + 1];

	(void)state;
	for (u32 i = 0; i < ARRAY_SIZE(r); i++)
		r[i] = (struct mem_range){i * PAGE_SIZE, PAGE_SIZE, 1};
	reset();
	add_mmap(24, r, BOOT_MAX_MMAP);
	finish();
	assert_int_equal(parse(), 0);
	assert_int_equal(bi.nmmap, BOOT_MAX_MMAP);
	assert_int_equal(bi.mmap[BOOT_MAX_MMAP - 1].base,
			 (BOOT_MAX_MMAP - 1) * PAGE_SIZE);

	reset();
	add_mmap(24, r, BOOT_MAX_MMAP + 1);
	finish();
	expect_error(parse(), "multiboot2 tag 6 (memory map) at offset 0x8: ",
		     "129 entries, more than 128");
}

static void test_mmap_entry_ends_at_top(void **state)
{
	struct mem_range r = {0xffffffff00000000ULL, 0x100000000ULL, 2};

	(void)state;
	reset();
	add_mmap(24, &r, 1);
	finish();
	assert_int_equal(parse(), 0);
	assert_int_equal(bi.mmap[0].base, r.base);
	assert_int_equal(bi.mmap[0].len, r.len);

	/* A length of 0 at the very top does not wrap either. */
	r = (struct mem_range){UINT64_MAX, 0, 2};
	reset();
	add_mmap(24, &r, 1);
	finish();
	assert_int_equal(parse(), 0);
}

static void test_mmap_entry_wraps(void **state)
{
	struct mem_range r[2] = {
		{0, 0x1000, 1},
		{0xffffffff00000000ULL, 0x100000001ULL, 2},
	};

	(void)state;
	reset();
	add_mmap(24, r, 2);
	finish();
	expect_error(parse(), "tag 6 (memory map)", "entry 1: ");
	assert_non_null(strstr(err.msg, "wraps past 2^64"));

	r[1] = (struct mem_range){2, UINT64_MAX, 1};
	reset();
	add_mmap(24, r, 2);
	finish();
	expect_error(parse(), "tag 6 (memory map)", "wraps past 2^64");
}

static void test_modules_max(void **state)
{
	char name[16];

	(void)state;
	reset();
	for (u32 i = 0; i < BOOT_MAX_MODULES; i++) {
		snprintf(name, sizeof(name), "m%u", i);
		add_module(i * 0x1000, i * 0x1000 + 0x800, name);
	}
	finish();
	assert_int_equal(parse(), 0);
	assert_int_equal(bi.nmodules, BOOT_MAX_MODULES);
	expect_pooled(bi.modules[BOOT_MAX_MODULES - 1].cmdline, "m31");
	assert_int_equal(bi.modules[BOOT_MAX_MODULES - 1].start, 31 * 0x1000);

	reset();
	for (u32 i = 0; i <= BOOT_MAX_MODULES; i++)
		add_module(0, 0, "m");
	finish();
	expect_error(parse(), "multiboot2 tag 3 (module)", "more than 32");
}

static void test_total_exactly_1mib(void **state)
{
	(void)state;
	reset();
	/* Header, one big tag, end tag. */
	add_zero_tag(99, (u32)(MiB - 8 - 8 - 8));
	finish();
	assert_int_equal(blen, MiB);
	assert_int_equal(parse(), 0);
	assert_int_equal(bi.info_end, MEM_BASE + MiB);
}

static void test_bytes_after_end_tag_ignored(void **state)
{
	(void)state;
	reset();
	add_tag(0, NULL, 0);
	add_string_tag(1, "ignored");
	add_tag(0xdead, NULL, 0);
	end_info_at(blen);
	assert_int_equal(parse(), 0);
	assert_string_equal(bi.cmdline, "");
	assert_int_equal(bi.info_end, MEM_BASE + blen);
}

static void test_strpool_exactly_full(void **state)
{
	static char s[BOOT_STRPOOL + 1];

	(void)state;
	reset();
	memset(s, 'a', BOOT_STRPOOL - 1);
	s[BOOT_STRPOOL - 1] = '\0';
	add_string_tag(1, s);
	finish();
	assert_int_equal(parse(), 0);
	assert_int_equal(bi.strpool_used, BOOT_STRPOOL);
	assert_int_equal(strlen(bi.cmdline), BOOT_STRPOOL - 1);

	/* Not one byte more. */
	reset();
	add_string_tag(1, s);
	add_string_tag(2, "");
	finish();
	expect_error(parse(), "tag 2 (boot loader name)",
		     "does not fit in the string pool");
}

static void test_strpool_overflow(void **state)
{
	static char s[BOOT_STRPOOL + 1];

	(void)state;
	reset();
	memset(s, 'a', BOOT_STRPOOL);
	s[BOOT_STRPOOL] = '\0';
	add_string_tag(1, s);
	finish();
	expect_error(parse(), "multiboot2 tag 1 (command line) at offset 0x8",
		     "16385-byte string does not fit in the string pool");
}

static void test_info_misaligned(void **state)
{
	(void)state;
	reset();
	finish();
	expect_error(mb2_parse(MEM_BASE + 4, map_mem, &mem, &bi, &err),
		     "multiboot2 information at 0x100004",
		     "not 8-byte aligned");
	assert_int_equal(mem.calls, 0);
}

static void test_header_unmappable(void **state)
{
	(void)state;
	reset();
	finish();
	expect_error(mb2_parse(MEM_BASE - 8, map_mem, &mem, &bi, &err),
		     "multiboot2 information at 0xffff8",
		     "cannot map its header");
	reset();
	mem.len = 4;
	finish();
	expect_error(parse(), "multiboot2 information",
		     "cannot map its header");
}

static void test_body_unmappable(void **state)
{
	(void)state;
	reset();
	add_string_tag(1, "x");
	finish();
	mem.len = blen - 8;
	expect_error(parse(), "multiboot2 information",
		     "cannot map its 32 bytes");
}

static void test_total_size_too_small(void **state)
{
	(void)state;
	reset();
	end_info_at(8);
	expect_error(parse(), "multiboot2 information",
		     "total_size 8 is below 16");
	end_info_at(0);
	expect_error(parse(), "multiboot2 information",
		     "total_size 0 is below 16");
}

static void test_total_size_not_multiple_of_8(void **state)
{
	(void)state;
	reset();
	finish();
	end_info_at(20);
	expect_error(parse(), "multiboot2 information",
		     "total_size 20 is not a multiple of 8");
	end_info_at(17);
	expect_error(parse(), "multiboot2 information",
		     "total_size 17 is not a multiple of 8");
}

static void test_total_size_too_big(void **state)
{
	(void)state;
	reset();
	finish();
	end_info_at((u32)MiB + 8);
	expect_error(parse(), "multiboot2 information",
		     "total_size 1048584 is above 1 MiB");
	end_info_at(UINT32_MAX - 7);
	mem.calls = 0;
	expect_error(parse(), "multiboot2 information", "is above 1 MiB");
	/* Refused before the parser asks for the whole structure. */
	assert_int_equal(mem.calls, 1);
}

static void test_total_size_wraps(void **state)
{
	(void)state;
	reset();
	finish();
	mem.base = UINT64_MAX - 7;
	mem.len = 8;
	expect_error(mb2_parse(UINT64_MAX - 7, map_mem, &mem, &bi, &err),
		     "multiboot2 information at 0xfffffffffffffff8",
		     "total_size 16 wraps past 2^64");
}

static void test_tag_size_below_header(void **state)
{
	u32 off;

	(void)state;
	reset();
	off = add_string_tag(1, "x");
	put32(off + 4, 4);
	finish();
	expect_error(parse(), "multiboot2 tag 1 (command line) at offset 0x8",
		     "size 4 is below the 8 bytes this tag needs");
}

static void test_tag_size_zero(void **state)
{
	u32 off;

	(void)state;
	reset();
	off = add_tag(99, NULL, 0);
	put32(off + 4, 0);
	finish();
	expect_error(parse(), "multiboot2 tag 99 (unknown) at offset 0x8",
		     "size 0 is below the 8 bytes");
}

static void test_tag_runs_past_total(void **state)
{
	u32 off;

	(void)state;
	reset();
	add_string_tag(2, "grub");
	off = add_string_tag(1, "x");
	finish();
	put32(off + 4, blen - off + 1);
	expect_error(parse(), "multiboot2 tag 1 (command line) at offset 0x18",
		     "size 25 runs past total_size 48");
}

static void test_tag_huge_size(void **state)
{
	u32 off;

	(void)state;
	reset();
	off = add_tag(8, NULL, 0);
	put32(off + 4, UINT32_MAX);
	finish();
	expect_error(parse(), "tag 8 (framebuffer info)",
		     "size 4294967295 runs past total_size");
}

static void test_missing_end_tag(void **state)
{
	(void)state;
	reset();
	add_string_tag(1, "abc");
	end_info_at(blen);
	expect_error(parse(), "multiboot2 information",
		     "no end tag (type 0) within total_size 24");

	/* The last tag ending exactly at total_size is still no end tag. */
	reset();
	add_zero_tag(99, 8);
	end_info_at(blen);
	expect_error(parse(), "multiboot2 information", "no end tag");
}

static void test_end_tag_wrong_size(void **state)
{
	u32 off;

	(void)state;
	reset();
	off = add_tag(0, "12345678", 8);
	end_info_at(blen);
	expect_error(parse(), "multiboot2 tag 0 (end) at offset 0x8",
		     "size 16 is not 8");
	put32(off + 4, 12);
	expect_error(parse(), "tag 0 (end)", "size 12 is not 8");
}

static void test_cmdline_not_terminated(void **state)
{
	(void)state;
	reset();
	/* The NUL lies in the padding after the tag, not inside it. */
	add_tag(1, "abcd", 4);
	finish();
	expect_error(parse(), "multiboot2 tag 1 (command line) at offset 0x8",
		     "string is not NUL-terminated inside the tag");
}

static void test_cmdline_empty_tag(void **state)
{
	(void)state;
	reset();
	add_tag(1, NULL, 0);
	finish();
	expect_error(parse(), "tag 1 (command line)",
		     "not NUL-terminated inside the tag");
}

static void test_loader_name_not_terminated(void **state)
{
	(void)state;
	reset();
	add_string_tag(1, "ok");
	add_tag(2, "GRUB", 4);
	finish();
	expect_error(parse(),
		     "multiboot2 tag 2 (boot loader name) at offset "
		     "0x18",
		     "not NUL-terminated");
}

static void test_module_not_terminated(void **state)
{
	u32 data[3] = {0x1000, 0x2000, 0x41414141};

	(void)state;
	reset();
	add_tag(3, data, sizeof(data));
	finish();
	expect_error(parse(), "multiboot2 tag 3 (module) at offset 0x8",
		     "not NUL-terminated");
}

static void test_module_without_string_byte(void **state)
{
	u32 data[2] = {0x1000, 0x2000};

	(void)state;
	reset();
	add_tag(3, data, sizeof(data));
	finish();
	expect_error(parse(), "tag 3 (module)", "not NUL-terminated");
}

static void test_module_too_small(void **state)
{
	u32 data[1] = {0x1000};

	(void)state;
	reset();
	add_tag(3, data, sizeof(data));
	finish();
	expect_error(parse(), "multiboot2 tag 3 (module) at offset 0x8",
		     "size 12 is below the 16 bytes this tag needs");
}

static void test_module_start_above_end(void **state)
{
	(void)state;
	reset();
	add_module(0x2001, 0x2000, "m");
	finish();
	expect_error(parse(), "multiboot2 tag 3 (module) at offset 0x8",
		     "mod_start 0x2001 is above mod_end 0x2000");
}

static void test_meminfo_too_small(void **state)
{
	u32 lower = 639;

	(void)state;
	reset();
	add_tag(4, &lower, sizeof(lower));
	finish();
	expect_error(parse(), "multiboot2 tag 4 (basic meminfo) at offset 0x8",
		     "size 12 is below the 16 bytes");
}

static void test_mmap_too_small(void **state)
{
	u32 entry_size = 24;

	(void)state;
	reset();
	add_tag(6, &entry_size, sizeof(entry_size));
	finish();
	expect_error(parse(), "multiboot2 tag 6 (memory map) at offset 0x8",
		     "size 12 is below the 16 bytes");
}

static void test_mmap_entry_size_not_multiple_of_8(void **state)
{
	char pad[56];

	(void)state;
	reset();
	memset(pad, 'p', sizeof(pad) - 1);
	pad[sizeof(pad) - 1] = '\0';
	add_string_tag(1, pad); /* puts the map at offset 0x48 */
	add_mmap(20, sample_map, 2);
	finish();
	assert_int_equal(parse(), -EINVAL);
	assert_string_equal(err.msg, "multiboot2 tag 6 (memory map) at offset "
				     "0x48: entry_size 20 is not a multiple "
				     "of 8");
}

static void test_mmap_entry_size_too_small(void **state)
{
	(void)state;
	reset();
	add_mmap(16, sample_map, 2);
	finish();
	expect_error(parse(), "multiboot2 tag 6 (memory map) at offset 0x8",
		     "entry_size 16 is below 24");

	/* 0 must be refused before anything divides by it. */
	reset();
	add_zero_tag(6, 8 + 24); /* entry_size 0 */
	finish();
	expect_error(parse(), "tag 6 (memory map)", "entry_size 0 is below 24");
}

static void test_mmap_partial_entry(void **state)
{
	u32 off;

	(void)state;
	reset();
	off = add_mmap(24, sample_map, 2);
	put32(off + 4, 16 + 24 + 8); /* one entry and a third */
	finish();
	expect_error(parse(), "multiboot2 tag 6 (memory map) at offset 0x8",
		     "32 bytes of entries are not a multiple of entry_size 24");
}

static void test_rsdp_too_small(void **state)
{
	u8 rsdp[36] = {0};

	(void)state;
	reset();
	add_tag(14, rsdp, 19);
	finish();
	expect_error(parse(), "multiboot2 tag 14 (ACPI old RSDP) at offset 0x8",
		     "size 27 is below the 28 bytes");

	reset();
	add_tag(15, rsdp, 35);
	finish();
	expect_error(parse(), "multiboot2 tag 15 (ACPI new RSDP) at offset 0x8",
		     "size 43 is below the 44 bytes");
}

static void test_duplicate_tags(void **state)
{
	(void)state;
	reset();
	add_string_tag(1, "a");
	add_string_tag(1, "b");
	finish();
	expect_error(parse(), "multiboot2 tag 1 (command line) at offset 0x18",
		     "appears twice");

	reset();
	add_mmap(24, sample_map, 1);
	add_meminfo(1, 2);
	add_mmap(24, sample_map, 1);
	finish();
	expect_error(parse(), "tag 6 (memory map)", "appears twice");

	/* Modules, and tags Shade does not read, may repeat. */
	reset();
	add_module(0, 1, "a");
	add_module(1, 2, "b");
	add_tag(8, NULL, 0);
	add_tag(8, NULL, 0);
	finish();
	assert_int_equal(parse(), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full_parse),
		cmocka_unit_test(test_minimal),
		cmocka_unit_test(test_maps_header_then_whole),
		cmocka_unit_test(test_unknown_tags_skipped),
		cmocka_unit_test(test_old_rsdp_only),
		cmocka_unit_test(test_new_rsdp_wins_either_order),
		cmocka_unit_test(test_mmap_wide_entries),
		cmocka_unit_test(test_mmap_empty),
		cmocka_unit_test(test_mmap_entry_version_ignored),
		cmocka_unit_test(test_mmap_max_entries),
		cmocka_unit_test(test_mmap_entry_ends_at_top),
		cmocka_unit_test(test_mmap_entry_wraps),
		cmocka_unit_test(test_modules_max),
		cmocka_unit_test(test_total_exactly_1mib),
		cmocka_unit_test(test_bytes_after_end_tag_ignored),
		cmocka_unit_test(test_strpool_exactly_full),
		cmocka_unit_test(test_strpool_overflow),
		cmocka_unit_test(test_info_misaligned),
		cmocka_unit_test(test_header_unmappable),
		cmocka_unit_test(test_body_unmappable),
		cmocka_unit_test(test_total_size_too_small),
		cmocka_unit_test(test_total_size_not_multiple_of_8),
		cmocka_unit_test(test_total_size_too_big),
		cmocka_unit_test(test_total_size_wraps),
		cmocka_unit_test(test_tag_size_below_header),
		cmocka_unit_test(test_tag_size_zero),
		cmocka_unit_test(test_tag_runs_past_total),
		cmocka_unit_test(test_tag_huge_size),
		cmocka_unit_test(test_missing_end_tag),
		cmocka_unit_test(test_end_tag_wrong_size),
		cmocka_unit_test(test_cmdline_not_terminated),
		cmocka_unit_test(test_cmdline_empty_tag),
		cmocka_unit_test(test_loader_name_not_terminated),
		cmocka_unit_test(test_module_not_terminated),
		cmocka_unit_test(test_module_without_string_byte),
		cmocka_unit_test(test_module_too_small),
		cmocka_unit_test(test_module_start_above_end),
		cmocka_unit_test(test_meminfo_too_small),
		cmocka_unit_test(test_mmap_too_small),
		cmocka_unit_test(test_mmap_entry_size_not_multiple_of_8),
		cmocka_unit_test(test_mmap_entry_size_too_small),
		cmocka_unit_test(test_mmap_partial_entry),
		cmocka_unit_test(test_rsdp_too_small),
		cmocka_unit_test(test_duplicate_tags),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
