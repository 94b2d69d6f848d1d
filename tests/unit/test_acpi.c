// SPDX-License-Identifier: MIT
/*
 * Unit tests for arch/x86/acpi.c. Each test builds firmware tables in a
 * fake physical memory (a buffer at FAKE_BASE), then breaks them one way at
 * a time: checksums, lengths, entries, pointers, the \_S5 encoding.
 *
 * fake_map() hands out a fresh heap copy of exactly the range asked for,
 * so ASan reports any read past what the parser mapped, not only reads
 * past the whole fake memory. It returns NULL outside the buffer, as
 * Shade's phys_map_fn does outside mapped memory.
 *
 * Host-built, under ASan and UBSan. Longer than most files because each
 * failure case needs its own broken table, and they read best side by side.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "types.h"
#include "errno.h"
#include "acpi.h"

struct fake_mem {
	u64 base;
	size_t size;
	u8 *bytes;
	void **maps; /* every copy handed out, freed by fake_free() */
	size_t nmaps, cap;
};

static void fake_init(struct fake_mem *m, u64 base, size_t size)
{
	memset(m, 0, sizeof(*m));
	m->base = base;
	m->size = size;
	m->bytes = calloc(1, size);
	assert_non_null(m->bytes);
}

static void fake_free(struct fake_mem *m)
{
	size_t i;

	for (i = 0; i < m->nmaps; i++)
		free(m->maps[i]);
	free(m->maps);
	free(m->bytes);
}

static const void *fake_map(u64 pa, u64 len, void *ctx)
{
	struct fake_mem *m = ctx;
	void *copy;

	if (pa < m->base || len == 0 || len > m->size ||
	    pa - m->base > m->size - len)
		return NULL;
	if (m->nmaps == m->cap) {
		m->cap = m->cap ? 2 * m->cap : 64;
		m->maps = realloc(m->maps, m->cap * sizeof(*m->maps));
		assert_non_null(m->maps);
	}
	copy = malloc(len);
	assert_non_null(copy);
	memcpy(copy, m->bytes + (pa - m->base), len);
	m->maps[m->nmaps++] = copy;
	return copy;
}

static u8 *at(struct fake_mem *m, u64 pa)
{
	assert_true(pa >= m->base && pa - m->base < m->size);
	return m->bytes + (pa - m->base);
}

static void put_le(u8 *p, u64 v, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		p[i] = (u8)(v >> (8 * i));
}

static u8 sum_bytes(const u8 *p, size_t n)
{
	u8 s = 0;

	while (n--)
		s += *p++;
	return s;
}

/* The standard layout: an ACPI 6 machine with both root tables. */
#define FAKE_BASE 0x7fe0000ULL
#define FAKE_SIZE (64 * KiB)
#define RSDP_PA	  (FAKE_BASE + 0x0)
#define RSDT_PA	  (FAKE_BASE + 0x100)
#define XSDT_PA	  (FAKE_BASE + 0x200)
#define MADT_PA	  (FAKE_BASE + 0x1000) /* the XSDT's */
#define MADT2_PA  (FAKE_BASE + 0x2000) /* the RSDT's, to tell them apart */
#define FADT_PA	  (FAKE_BASE + 0x3000)
#define DSDT_PA	  (FAKE_BASE + 0x4000) /* FADT.X_DSDT */
#define DSDT32_PA (FAKE_BASE + 0x5000) /* FADT.DSDT */
#define HPET_PA	  (FAKE_BASE + 0x6000)
#define SDT_LEN	  36
#define FADT_LEN  276

/* Sets the length, then the checksum byte so the table sums to 0. */
static void sdt_finish(struct fake_mem *m, u64 pa, u32 len)
{
	u8 *h = at(m, pa);

	put_le(h + 4, len, 4);
	h[9] = 0;
	h[9] = (u8)-sum_bytes(h, len);
}

static void build_table(struct fake_mem *m, u64 pa, const char *sig,
			const void *body, u32 body_len)
{
	u8 *h = at(m, pa);

	memset(h, 0, SDT_LEN);
	memcpy(h, sig, 4);
	h[8] = 1; /* revision */
	memcpy(h + 10, "SHADE ", 6);
	memcpy(h + 16, "FAKETBL ", 8);
	memcpy(h + SDT_LEN, body, body_len);
	sdt_finish(m, pa, SDT_LEN + body_len);
}

/* Breaks a table's checksum by one: the sum becomes 0x01. */
static void corrupt(struct fake_mem *m, u64 pa, u32 off)
{
	at(m, pa)[off]++;
}

static void build_root(struct fake_mem *m, u64 pa, const char *sig,
		       const u64 *entries, u32 n)
{
	u32 size = strcmp(sig, "XSDT") ? 4 : 8, i;
	u8 body[64 * 8];

	assert_true(n * size <= sizeof(body));
	for (i = 0; i < n; i++)
		put_le(body + i * size, entries[i], size);
	build_table(m, pa, sig, body, n * size);
}

static void build_rsdp(struct fake_mem *m, u64 pa, u8 revision, u64 rsdt,
		       u64 xsdt)
{
	u8 *r = at(m, pa);

	memset(r, 0, 36);
	memcpy(r, "RSD PTR ", 8);
	memcpy(r + 9, "SHADE ", 6);
	r[15] = revision;
	put_le(r + 16, rsdt, 4);
	put_le(r + 20, 36, 4);
	put_le(r + 24, xsdt, 8);
	r[8] = (u8)-sum_bytes(r, 20);
	r[32] = (u8)-sum_bytes(r, 36);
}

#define LE16(v)			 (v) & 0xff, ((v) >> 8) & 0xff
#define LE32(v)			 LE16((v)&0xffff), LE16(((v) >> 16) & 0xffff)
#define LE64(v)			 LE32((v)&0xffffffffULL), LE32((v) >> 32)
#define LAPIC(uid, id, flags)	 0, 8, (uid), (id), LE32(flags)
#define X2APIC(id, uid, flags)	 9, 16, 0, 0, LE32(id), LE32(flags), LE32(uid)
#define LAPIC_OVERRIDE(address)	 5, 12, 0, 0, LE64(address)
#define IOAPIC(id, address, gsi) 1, 12, (id), 0, LE32(address), LE32(gsi)

/* Entries shorter than their type needs; and one of length 0. */
#define SHORT_ENTRY4(type) (type), 4, 0, 0
#define SHORT_ENTRY8(type) (type), 8, 0, 0, 0, 0, 0, 0
#define EMPTY_ENTRY	   0, 0

#define CPU_ENABLED	   1
#define CPU_ONLINE_CAPABLE 2

static const u8 std_madt_entries[] = {
	LAPIC(0, 0, CPU_ENABLED),	  /* uid 0, APIC id 0 */
	LAPIC(1, 2, CPU_ENABLED),	  /* uid 1, APIC id 2 */
	LAPIC(2, 4, 0),			  /* disabled: left out */
	LAPIC(3, 6, CPU_ONLINE_CAPABLE),  /* not running yet: left out */
	IOAPIC(8, 0xfec00000, 0),	  /* not a CPU: skipped */
	X2APIC(0x100, 0x10, CPU_ENABLED), /* x2APIC id 0x100, uid 0x10 */
	X2APIC(0x101, 0x11, 0),		  /* disabled: left out */
	LAPIC_OVERRIDE(0xfee10000ULL),	  /* replaces 0xfee00000 */
};

static const u8 madt2_entries[] = {
	LAPIC(0, 0, CPU_ENABLED),
	LAPIC(1, 1, CPU_ENABLED),
};

static void build_madt(struct fake_mem *m, u64 pa, const u8 *entries, u32 len)
{
	u8 body[8 + 2048];

	assert_true(len <= sizeof(body) - 8);
	put_le(body, 0xfee00000, 4); /* local APIC address */
	put_le(body + 4, 1, 4);	     /* flags: PC-AT compatible */
	memcpy(body + 8, entries, len);
	build_table(m, pa, "APIC", body, 8 + len);
}

/* An FADT of len bytes; fields past len are left out of the table. */
static void build_fadt(struct fake_mem *m, u64 pa, u32 len, u64 dsdt,
		       u64 x_dsdt)
{
	u8 body[FADT_LEN - SDT_LEN] = {0};

	put_le(body + 40 - SDT_LEN, dsdt, 4);
	put_le(body + 64 - SDT_LEN, 0x604, 4); /* PM1a_CNT_BLK */
	put_le(body + 68 - SDT_LEN, 0, 4);     /* PM1b_CNT_BLK */
	put_le(body + 76 - SDT_LEN, 0x608, 4); /* PM_TMR_BLK */
	put_le(body + 140 - SDT_LEN, x_dsdt, 8);
	build_table(m, pa, "FACP", body, len - SDT_LEN);
	/* What lies past a short table must never be read: make it bait. */
	if (len < FADT_LEN)
		memcpy(at(m, pa + len), body + len - SDT_LEN, FADT_LEN - len);
}

/* NameOp and the name "_S5_": the start of Name (_S5, ...). */
#define NAME_S5 0x08, '_', 'S', '5', '_'

/* Some AML around \_S5, including a method that reads \_S5 (no NameOp). */
static const u8 std_dsdt_aml[] = {
	0x10,	 0x05, '_',  'S',  'B',	 '_',  /* Scope (\_SB) */
	0x70,	 '_',  'S',  '5',  '_',	 0x60, /* Store (\_S5, Local0) */
	NAME_S5, 0x12, 0x08, 0x04,	       /* Name (_S5, Package (4) */
	0x0a,	 0x05, 0x0a, 0x06, 0x00, 0x00, /* { 5, 6, 0, 0 }) */
	0x08,	 '_',  'S',  '4',  '_',	 0x12, 0x06, 0x04, 0x0a, 0x09, /* _S4 */
};

/* Name (_S5, Package (2) { 7, 7 }) */
static const u8 dsdt32_aml[] = {
	NAME_S5, 0x12, 0x06, 0x02, 0x0a, 0x07, 0x0a, 0x07,
};

struct test_ctx {
	struct fake_mem mem;
	struct acpi_info info;
	struct acpi_warnings warn;
};

static void build_standard(struct fake_mem *m)
{
	const u64 rsdt[] = {FADT_PA, MADT2_PA};
	const u64 xsdt[] = {HPET_PA, FADT_PA, MADT_PA};
	const u8 hpet[20] = {1};

	build_rsdp(m, RSDP_PA, 2, RSDT_PA, XSDT_PA);
	build_root(m, RSDT_PA, "RSDT", rsdt, ARRAY_SIZE(rsdt));
	build_root(m, XSDT_PA, "XSDT", xsdt, ARRAY_SIZE(xsdt));
	build_madt(m, MADT_PA, std_madt_entries, sizeof(std_madt_entries));
	build_madt(m, MADT2_PA, madt2_entries, sizeof(madt2_entries));
	build_fadt(m, FADT_PA, FADT_LEN, DSDT32_PA, DSDT_PA);
	build_table(m, DSDT_PA, "DSDT", std_dsdt_aml, sizeof(std_dsdt_aml));
	build_table(m, DSDT32_PA, "DSDT", dsdt32_aml, sizeof(dsdt32_aml));
	build_table(m, HPET_PA, "HPET", hpet, sizeof(hpet));
}

static int setup(void **state)
{
	struct test_ctx *t = calloc(1, sizeof(*t));

	if (!t)
		return -1;
	fake_init(&t->mem, FAKE_BASE, FAKE_SIZE);
	build_standard(&t->mem);
	*state = t;
	return 0;
}

static int teardown(void **state)
{
	struct test_ctx *t = *state;

	fake_free(&t->mem);
	free(t);
	return 0;
}

/* Parses from the RSDP at RSDP_PA, as handed over by a boot loader tag. */
static int parse_len(struct test_ctx *t, u32 rsdp_len)
{
	const void *rsdp = fake_map(RSDP_PA, rsdp_len, &t->mem);

	assert_non_null(rsdp);
	memset(&t->info, 0xa5, sizeof(t->info));
	memset(&t->warn, 0xa5, sizeof(t->warn));
	return acpi_parse(rsdp, rsdp_len, fake_map, &t->mem, &t->info,
			  &t->warn);
}

static int parse(struct test_ctx *t)
{
	return parse_len(t, 36);
}

static void dump_warnings(const struct acpi_warnings *w)
{
	u32 i;

	for (i = 0; i < w->n && i < ACPI_MAX_WARNINGS; i++)
		print_message("  warning: %s\n", w->msg[i]);
}

static void expect_warning(const struct acpi_warnings *w, const char *needle)
{
	u32 i;

	for (i = 0; i < w->n && i < ACPI_MAX_WARNINGS; i++)
		if (strstr(w->msg[i], needle))
			return;
	dump_warnings(w);
	fail_msg("no warning contains \"%s\"", needle);
}

static void expect_no_warnings(const struct acpi_warnings *w)
{
	if (w->n == 0)
		return;
	dump_warnings(w);
	fail_msg("%u unexpected warnings", w->n);
}

static void expect_cpu(const struct acpi_info *info, u32 i, u32 apic_id,
		       u32 uid)
{
	assert_true(i < info->ncpus);
	assert_int_equal(info->cpus[i].apic_id, apic_id);
	assert_int_equal(info->cpus[i].uid, uid);
}

static void test_valid_xsdt(void **state)
{
	struct test_ctx *t = *state;
	const struct acpi_info *info = &t->info;

	assert_int_equal(parse(t), 0);
	expect_no_warnings(&t->warn);
	assert_int_equal(info->rsdp_pa, 0);
	assert_int_equal(info->revision, 2);
	assert_string_equal(info->oem_id, "SHADE ");
	assert_true(info->have_madt);
	assert_int_equal(info->lapic_pa, 0xfee10000); /* the override */
	/* Disabled and online-capable-only CPUs are left out. */
	assert_int_equal(info->ncpus, 3);
	expect_cpu(info, 0, 0, 0);
	expect_cpu(info, 1, 2, 1);
	expect_cpu(info, 2, 0x100, 0x10);
	assert_int_equal(info->ncpus_ignored, 0);
	assert_true(info->have_fadt);
	assert_int_equal(info->pm1a_cnt, 0x604);
	assert_int_equal(info->pm1b_cnt, 0);
	assert_int_equal(info->pm_tmr, 0x608);
	/* X_DSDT wins over DSDT, and the method reading _S5_ is skipped. */
	assert_true(info->have_s5);
	assert_int_equal(info->slp_typa, 5);
	assert_int_equal(info->slp_typb, 6);
}

static void test_valid_rsdt_v1(void **state)
{
	struct test_ctx *t = *state;

	build_rsdp(&t->mem, RSDP_PA, 0, RSDT_PA, 0);
	assert_int_equal(parse_len(t, 20), 0);
	expect_no_warnings(&t->warn);
	assert_int_equal(t->info.revision, 0);
	assert_int_equal(t->info.lapic_pa, 0xfee00000);
	assert_int_equal(t->info.ncpus, 2);
	expect_cpu(&t->info, 0, 0, 0);
	expect_cpu(&t->info, 1, 1, 1);
	assert_true(t->info.have_s5);
}

/* Low memory for the legacy search: the BDA, an EBDA, the BIOS area. */
#define LOW_SIZE (1 * MiB)
#define EBDA_PA	 0x9fc00

static void put_rsdp_low(struct fake_mem *low, u64 pa)
{
	build_rsdp(low, pa, 2, RSDT_PA, XSDT_PA);
}

static void test_find_rsdp_ebda(void **state)
{
	struct fake_mem low;
	u64 pa = 0;

	(void)state;
	fake_init(&low, 0, LOW_SIZE);
	put_le(at(&low, 0x40e), EBDA_PA >> 4, 2);
	put_rsdp_low(&low, EBDA_PA + 0x30);
	put_rsdp_low(&low, 0xf0000); /* the EBDA comes first */
	assert_int_equal(acpi_find_rsdp(fake_map, &low, &pa), 0);
	assert_int_equal(pa, EBDA_PA + 0x30);
	fake_free(&low);
}

static void test_find_rsdp_bios_area(void **state)
{
	struct fake_mem low;
	u64 pa = 0;

	(void)state;
	fake_init(&low, 0, LOW_SIZE);
	put_le(at(&low, 0x40e), 0, 2); /* no EBDA */
	/* Decoys: a bad checksum, and a good one off a 16-byte boundary. */
	put_rsdp_low(&low, 0xe1000);
	at(&low, 0xe1000)[8]++;
	put_rsdp_low(&low, 0xe2004);
	put_rsdp_low(&low, 0xf5a10);
	assert_int_equal(acpi_find_rsdp(fake_map, &low, &pa), 0);
	assert_int_equal(pa, 0xf5a10);

	/* An RSDP in the EBDA segment's area, but no segment: not seen. */
	put_rsdp_low(&low, EBDA_PA);
	assert_int_equal(acpi_find_rsdp(fake_map, &low, &pa), 0);
	assert_int_equal(pa, 0xf5a10);
	fake_free(&low);
}

static void test_find_rsdp_missing(void **state)
{
	struct fake_mem low, none;
	u64 pa = 0;

	(void)state;
	fake_init(&low, 0, LOW_SIZE);
	put_le(at(&low, 0x40e), EBDA_PA >> 4, 2);
	memcpy(at(&low, 0xfffe0), "RSD PTR ", 8); /* checksum bad */
	assert_int_equal(acpi_find_rsdp(fake_map, &low, &pa), -ENOENT);
	fake_free(&low);

	/* Nothing mapped at all. */
	fake_init(&none, 0x100000000ULL, PAGE_SIZE);
	assert_int_equal(acpi_find_rsdp(fake_map, &none, &pa), -ENOENT);
	fake_free(&none);
}

static void test_bad_rsdp(void **state)
{
	struct test_ctx *t = *state;

	corrupt(&t->mem, RSDP_PA, 16);
	assert_int_equal(parse(t), -ENOENT);
	expect_warning(&t->warn, "RSDP: checksum is bad (sum 0x01)");
	assert_int_equal(t->warn.n, 1);
	assert_false(t->info.have_madt);

	build_rsdp(&t->mem, RSDP_PA, 2, RSDT_PA, XSDT_PA);
	memcpy(at(&t->mem, RSDP_PA), "RSD PTX ", 8);
	assert_int_equal(parse(t), -ENOENT);
	expect_warning(&t->warn, "RSDP: signature");

	build_rsdp(&t->mem, RSDP_PA, 2, RSDT_PA, XSDT_PA);
	assert_int_equal(parse_len(t, 12), -ENOENT);
	expect_warning(&t->warn, "RSDP: 12 bytes");
}

/* A broken ACPI 2.0 part of the RSDP: the RSDT is used instead. */
static void test_bad_rsdp_extension(void **state)
{
	struct test_ctx *t = *state;
	u8 *r;

	corrupt(&t->mem, RSDP_PA, 33);
	assert_int_equal(parse(t), 0);
	expect_warning(&t->warn, "RSDP: extended checksum is bad (sum 0x01)");
	assert_int_equal(t->info.ncpus, 2); /* the RSDT's MADT */

	build_rsdp(&t->mem, RSDP_PA, 2, RSDT_PA, XSDT_PA);
	assert_int_equal(parse_len(t, 20), 0);
	expect_warning(&t->warn, "RSDP: revision 2, but length 0 (20 bytes");
	assert_int_equal(t->info.ncpus, 2);

	/* A length past the bytes given: never summed, never read. */
	build_rsdp(&t->mem, RSDP_PA, 2, RSDT_PA, XSDT_PA);
	r = at(&t->mem, RSDP_PA);
	put_le(r + 20, 64, 4);
	r[32] = 0;
	r[32] = (u8)-sum_bytes(r, 64);
	assert_int_equal(parse(t), 0);
	expect_warning(&t->warn, "RSDP: revision 2, but length 64 (36 bytes");
	assert_int_equal(t->info.ncpus, 2);

	build_rsdp(&t->mem, RSDP_PA, 2, RSDT_PA, 0);
	assert_int_equal(parse(t), 0);
	expect_warning(&t->warn, "without an XSDT address");
	assert_int_equal(t->info.ncpus, 2);
}

static void test_bad_xsdt_falls_back(void **state)
{
	struct test_ctx *t = *state;

	corrupt(&t->mem, XSDT_PA, 40);
	assert_int_equal(parse(t), 0);
	expect_warning(&t->warn,
		       "XSDT at 0x7fe0200: checksum is bad (sum 0x01)");
	expect_warning(&t->warn, "XSDT unusable: using the RSDT at 0x7fe0100");
	assert_int_equal(t->warn.n, 2);
	assert_int_equal(t->info.ncpus, 2);
	assert_true(t->info.have_s5);

	/* An XSDT outside mapped memory. */
	build_rsdp(&t->mem, RSDP_PA, 2, RSDT_PA, 0xfff00000000ULL);
	assert_int_equal(parse(t), 0);
	expect_warning(&t->warn, "XSDT at 0xfff00000000: header is not in "
				 "mapped memory");
	assert_int_equal(t->info.ncpus, 2);

	/* The RSDT is broken too: nothing to go on. */
	corrupt(&t->mem, RSDT_PA, 36);
	assert_int_equal(parse(t), -ENOENT);
	expect_warning(&t->warn, "RSDT at 0x7fe0100: checksum is bad");
}

static void test_bad_madt_checksum(void **state)
{
	struct test_ctx *t = *state;

	corrupt(&t->mem, MADT_PA, 50);
	assert_int_equal(parse(t), -ENOENT);
	assert_string_equal(t->warn.msg[0],
			    "MADT at 0x7fe1000: checksum is bad (sum 0x01)");
	expect_warning(&t->warn, "XSDT: no usable MADT");
	assert_false(t->info.have_madt);
	assert_int_equal(t->info.ncpus, 0);
	/* The rest of the tables are still read. */
	assert_true(t->info.have_fadt);
	assert_true(t->info.have_s5);
}

static void test_truncated_table(void **state)
{
	struct test_ctx *t = *state;

	/* The length runs past the end of mapped memory. */
	put_le(at(&t->mem, MADT_PA + 4), FAKE_SIZE - 0x1000 + 16, 4);
	assert_int_equal(parse(t), -ENOENT);
	expect_warning(
		&t->warn,
		"MADT at 0x7fe1000: length 61456 runs past mapped memory");

	/* A table whose header itself is cut off by the end of memory. */
	build_fadt(&t->mem, FADT_PA, FADT_LEN, DSDT32_PA,
		   FAKE_BASE + FAKE_SIZE - 20);
	memcpy(at(&t->mem, FAKE_BASE + FAKE_SIZE - 20), "DSDT", 4);
	assert_int_equal(parse(t), -ENOENT);
	expect_warning(&t->warn, "DSDT at 0x7feffec: header is not in mapped");
	assert_true(t->info.have_fadt);
	assert_false(t->info.have_s5);
}

static void test_bad_lengths(void **state)
{
	struct test_ctx *t = *state;

	sdt_finish(&t->mem, MADT_PA, 20);
	assert_int_equal(parse(t), -ENOENT);
	expect_warning(&t->warn,
		       "MADT at 0x7fe1000: length 20 is not in [36, 1 MiB]");

	put_le(at(&t->mem, MADT_PA + 4), 2 * MiB, 4);
	assert_int_equal(parse(t), -ENOENT);
	expect_warning(&t->warn, "length 2097152 is not in [36, 1 MiB]");

	/* Long enough for a header, too short for the MADT's fixed part. */
	sdt_finish(&t->mem, MADT_PA, 40);
	assert_int_equal(parse(t), -ENOENT);
	expect_warning(&t->warn, "MADT at 0x7fe1000: length 40 is too short");

	/* An FADT that stops before the PM blocks. */
	sdt_finish(&t->mem, FADT_PA, 60);
	assert_int_equal(parse(t), -ENOENT);
	expect_warning(&t->warn, "FADT at 0x7fe3000: length 60 is too short");
	assert_false(t->info.have_fadt);
}

static void test_madt_entry_length_zero(void **state)
{
	static const u8 entries[] = {
		LAPIC(0, 0, CPU_ENABLED), /* offset 0x2c */
		LAPIC(1, 1, CPU_ENABLED), /* offset 0x34 */
		EMPTY_ENTRY,		  /* offset 0x3c: type 0, length 0 */
		LAPIC(2, 2, CPU_ENABLED), /* never reached */
	};
	struct test_ctx *t = *state;

	build_madt(&t->mem, MADT_PA, entries, sizeof(entries));
	assert_int_equal(parse(t), 0);
	expect_warning(&t->warn, "MADT at 0x7fe1000: entry at offset 0x3c "
				 "is broken (length 0, 10 bytes left)");
	assert_int_equal(t->warn.n, 1);
	/* What came before the broken entry is kept. */
	assert_int_equal(t->info.ncpus, 2);
}

static void test_madt_entry_past_end(void **state)
{
	static const u8 entries[] = {
		LAPIC(0, 0, CPU_ENABLED),
		X2APIC(7, 7, CPU_ENABLED),
	};
	struct test_ctx *t = *state;

	build_madt(&t->mem, MADT_PA, entries, sizeof(entries) - 1);
	assert_int_equal(parse(t), 0);
	expect_warning(&t->warn, "entry at offset 0x34 is broken (length 16, "
				 "15 bytes left)");
	assert_int_equal(t->info.ncpus, 1);

	/* One lone byte at the end: not even a type and a length. */
	build_madt(&t->mem, MADT_PA, entries, 9);
	assert_int_equal(parse(t), 0);
	expect_warning(&t->warn, "entry at offset 0x34 is broken (length 0, "
				 "1 bytes left)");
}

/* An entry too short for its type is skipped; the walk goes on. */
static void test_madt_entry_too_short(void **state)
{
	static const u8 entries[] = {
		SHORT_ENTRY4(0), /* a local APIC entry needs 8 bytes */
		LAPIC(1, 1, CPU_ENABLED),
		SHORT_ENTRY8(9), /* an x2APIC entry needs 16 */
		SHORT_ENTRY4(5), /* an override needs 12 */
	};
	struct test_ctx *t = *state;

	build_madt(&t->mem, MADT_PA, entries, sizeof(entries));
	assert_int_equal(parse(t), 0);
	expect_warning(&t->warn,
		       "entry at offset 0x2c (type 0) has length 4, needs 8");
	expect_warning(&t->warn, "(type 9) has length 8, needs 16");
	expect_warning(&t->warn, "(type 5) has length 4, needs 12");
	assert_int_equal(t->info.ncpus, 1);
	expect_cpu(&t->info, 0, 1, 1);
	assert_int_equal(t->info.lapic_pa, 0xfee00000);
}

static void test_missing_madt(void **state)
{
	struct test_ctx *t = *state;
	const u64 xsdt[] = {HPET_PA, FADT_PA};

	build_root(&t->mem, XSDT_PA, "XSDT", xsdt, ARRAY_SIZE(xsdt));
	assert_int_equal(parse(t), -ENOENT);
	expect_warning(&t->warn,
		       "XSDT: no usable MADT: only the boot CPU will run");
	assert_int_equal(t->warn.n, 1);
	assert_false(t->info.have_madt);
	assert_true(t->info.have_fadt);
	assert_true(t->info.have_s5);
}

static void test_no_enabled_cpu(void **state)
{
	static const u8 entries[] = {LAPIC(0, 0, 0)};
	struct test_ctx *t = *state;

	build_madt(&t->mem, MADT_PA, entries, sizeof(entries));
	assert_int_equal(parse(t), -ENOENT);
	expect_warning(&t->warn, "MADT at 0x7fe1000: lists no enabled CPU");
	assert_true(t->info.have_madt);
}

static void test_too_many_cpus(void **state)
{
	struct test_ctx *t = *state;
	u8 entries[(ACPI_MAX_CPUS + 6) * 16];
	u32 i;

	for (i = 0; i < ACPI_MAX_CPUS + 6; i++) {
		const u8 e[] = {X2APIC(0, 0, CPU_ENABLED)};

		memcpy(entries + 16 * i, e, sizeof(e));
		put_le(entries + 16 * i + 4, 1000 + i, 4); /* x2APIC id */
		put_le(entries + 16 * i + 12, i, 4);	   /* UID */
	}
	build_madt(&t->mem, MADT_PA, entries, sizeof(entries));
	assert_int_equal(parse(t), 0);
	assert_int_equal(t->info.ncpus, ACPI_MAX_CPUS);
	assert_int_equal(t->info.ncpus_ignored, 6);
	expect_cpu(&t->info, 0, 1000, 0);
	expect_cpu(&t->info, ACPI_MAX_CPUS - 1, 1000 + ACPI_MAX_CPUS - 1,
		   ACPI_MAX_CPUS - 1);
	expect_warning(&t->warn, "6 enabled CPUs beyond the first 64 ignored");
}

static void test_duplicate_apic_id(void **state)
{
	static const u8 entries[] = {
		LAPIC(0, 1, CPU_ENABLED),
		X2APIC(1, 9, CPU_ENABLED),
		LAPIC(2, 2, CPU_ENABLED),
	};
	struct test_ctx *t = *state;

	build_madt(&t->mem, MADT_PA, entries, sizeof(entries));
	assert_int_equal(parse(t), 0);
	expect_warning(&t->warn, "APIC id 0x1 is listed twice");
	assert_int_equal(t->info.ncpus, 2);
	expect_cpu(&t->info, 0, 1, 0);
	expect_cpu(&t->info, 1, 2, 2);
}

static void test_missing_s5(void **state)
{
	static const u8 aml[] = {0x10, 0x05, '_', 'S', 'B',  '_', 0x08,
				 '_',  'S',  '4', '_', 0x0a, 0x01};
	struct test_ctx *t = *state;

	build_table(&t->mem, DSDT_PA, "DSDT", aml, sizeof(aml));
	assert_int_equal(parse(t), 0);
	expect_warning(&t->warn,
		       "DSDT at 0x7fe4000: no \\_S5 object: no power off");
	assert_true(t->info.have_fadt);
	assert_false(t->info.have_s5);
}

/* The encodings of Name (\_S5, Package () {...}) firmware uses, and
 * broken ones that must fail without a read past the table. */
struct s5_case {
	const char *what;
	u8 aml[16];
	u32 len;
	bool ok;
	u8 typa, typb;
};

#define S5_CASE(what, ok, a, b, ...)                                       \
	{                                                                  \
		what, {__VA_ARGS__}, sizeof((u8[]){__VA_ARGS__}), ok, a, b \
	}
#define S5_OK(what, a, b, ...) S5_CASE(what, true, a, b, __VA_ARGS__)
#define S5_BAD(what, ...)      S5_CASE(what, false, 0, 0, __VA_ARGS__)

static const struct s5_case s5_cases[] = {
	S5_OK("root prefix, Zero and One", 0, 1, 0x08, 0x5c, '_', 'S', '5', '_',
	      0x12, 0x06, 0x04, 0x00, 0x01),
	S5_OK("WordPrefix", 7, 0x34, NAME_S5, 0x12, 0x08, 0x02, 0x0b, 0x07,
	      0x12, 0x0b, 0x34, 0x12),
	S5_OK("2-byte PkgLength", 3, 4, NAME_S5, 0x12, 0x48, 0x00, 0x04, 0x0a,
	      0x03, 0x0a, 0x04),
	S5_OK("4-byte PkgLength", 1, 1, NAME_S5, 0x12, 0xc8, 0x00, 0x00, 0x00,
	      0x04, 0x01, 0x01),
	S5_BAD("one element", NAME_S5, 0x12, 0x04, 0x01, 0x0a, 0x05),
	S5_BAD("not a package", NAME_S5, 0x0a, 0x05),
	S5_BAD("DWordPrefix element", NAME_S5, 0x12, 0x06, 0x02, 0x0c, 0x05,
	       0x00, 0x00, 0x00, 0x0a, 0x05),
	S5_BAD("cut off in the second element", NAME_S5, 0x12, 0x06, 0x02, 0x0a,
	       0x05, 0x0a),
	S5_BAD("cut off in the PkgLength", NAME_S5, 0x12, 0xc8, 0x00),
	S5_BAD("cut off after the name", NAME_S5),
	S5_BAD("half a name at the end", 0x08, '_', 'S', '5'),
	S5_BAD("no NameOp", 0x10, '_', 'S', '5', '_', 0x12, 0x06, 0x02, 0x0a,
	       0x05, 0x0a, 0x05),
};

static void test_s5_encodings(void **state)
{
	struct test_ctx *t = *state;
	const struct s5_case *c;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(s5_cases); i++) {
		c = &s5_cases[i];
		print_message("  \\_S5: %s\n", c->what);
		build_table(&t->mem, DSDT_PA, "DSDT", c->aml, c->len);
		assert_int_equal(parse(t), 0);
		assert_int_equal(t->info.have_s5, c->ok);
		if (c->ok) {
			expect_no_warnings(&t->warn);
			assert_int_equal(t->info.slp_typa, c->typa);
			assert_int_equal(t->info.slp_typb, c->typb);
		} else {
			expect_warning(&t->warn, "DSDT at 0x7fe4000: ");
			expect_warning(&t->warn, "no power off");
		}
	}
}

static void test_s5_undecodable_warning(void **state)
{
	static const u8 aml[] = {0x08, '_', 'S', '5', '_', 0x0a, 0x05};
	struct test_ctx *t = *state;

	build_table(&t->mem, DSDT_PA, "DSDT", aml, sizeof(aml));
	assert_int_equal(parse(t), 0);
	expect_warning(&t->warn, "DSDT at 0x7fe4000: \\_S5 at offset 0x25 is "
				 "not a package Shade can read");
}

static void test_fadt_dsdt_choice(void **state)
{
	struct test_ctx *t = *state;

	/* X_DSDT is 0: the 32-bit DSDT field is used. */
	build_fadt(&t->mem, FADT_PA, FADT_LEN, DSDT32_PA, 0);
	assert_int_equal(parse(t), 0);
	expect_no_warnings(&t->warn);
	assert_int_equal(t->info.slp_typa, 7);

	/* An ACPI 1.0 FADT ends before X_DSDT, whatever lies beyond. */
	build_fadt(&t->mem, FADT_PA, 116, DSDT32_PA, DSDT_PA);
	assert_int_equal(parse(t), 0);
	expect_no_warnings(&t->warn);
	assert_int_equal(t->info.slp_typa, 7);
	assert_int_equal(t->info.pm_tmr, 0x608);

	/* No DSDT at all. */
	build_fadt(&t->mem, FADT_PA, FADT_LEN, 0, 0);
	assert_int_equal(parse(t), 0);
	expect_warning(&t->warn, "FADT at 0x7fe3000: no DSDT address");
	assert_true(t->info.have_fadt);
	assert_false(t->info.have_s5);

	/* X_DSDT points at something that is not a DSDT. */
	build_fadt(&t->mem, FADT_PA, FADT_LEN, DSDT32_PA, MADT_PA);
	assert_int_equal(parse(t), 0);
	expect_warning(&t->warn, "DSDT at 0x7fe1000: signature is \"APIC\", "
				 "not \"DSDT\"");
	assert_false(t->info.have_s5);
}

static void test_missing_fadt(void **state)
{
	struct test_ctx *t = *state;
	const u64 xsdt[] = {MADT_PA};

	build_root(&t->mem, XSDT_PA, "XSDT", xsdt, ARRAY_SIZE(xsdt));
	assert_int_equal(parse(t), 0);
	expect_warning(&t->warn, "XSDT: no usable FADT: no power off");
	assert_false(t->info.have_fadt);
	assert_int_equal(t->info.ncpus, 3);
}

static void test_root_entry_unmapped(void **state)
{
	struct test_ctx *t = *state;
	const u64 xsdt[] = {0xdead0000ULL, 0, FADT_PA, MADT_PA};

	build_root(&t->mem, XSDT_PA, "XSDT", xsdt, ARRAY_SIZE(xsdt));
	assert_int_equal(parse(t), 0);
	expect_warning(&t->warn, "XSDT at 0x7fe0200: entry 0 (0xdead0000) is "
				 "not in mapped memory");
	expect_warning(&t->warn, "entry 1 (0x0) is not in mapped memory");
	assert_int_equal(t->warn.n, 2);
	assert_int_equal(t->info.ncpus, 3);

	/* A root table whose entries do not divide evenly. */
	sdt_finish(&t->mem, XSDT_PA, SDT_LEN + 4 * 8 + 3);
	assert_int_equal(parse(t), 0);
	expect_warning(&t->warn, "length 71 leaves a partial entry");
}

/* More problems than slots: the first ones are kept, nothing overflows. */
static void test_warnings_capped(void **state)
{
	struct test_ctx *t = *state;
	u64 xsdt[20];
	u32 i;

	for (i = 0; i < ARRAY_SIZE(xsdt); i++)
		xsdt[i] = 0xdead0000ULL + i * 0x1000;
	build_root(&t->mem, XSDT_PA, "XSDT", xsdt, ARRAY_SIZE(xsdt));
	assert_int_equal(parse(t), -ENOENT);
	assert_int_equal(t->warn.n, ACPI_MAX_WARNINGS);
	assert_non_null(strstr(t->warn.msg[0], "entry 0 (0xdead0000)"));
	assert_non_null(strstr(t->warn.msg[ACPI_MAX_WARNINGS - 1], "entry 7"));
}

/* Only the first valid MADT counts; a broken first one is passed over. */
static void test_second_madt(void **state)
{
	struct test_ctx *t = *state;
	const u64 xsdt[] = {MADT_PA, MADT2_PA, FADT_PA};

	build_root(&t->mem, XSDT_PA, "XSDT", xsdt, ARRAY_SIZE(xsdt));
	assert_int_equal(parse(t), 0);
	assert_int_equal(t->info.ncpus, 3);

	corrupt(&t->mem, MADT_PA, 44);
	assert_int_equal(parse(t), 0);
	expect_warning(&t->warn, "MADT at 0x7fe1000: checksum is bad");
	assert_int_equal(t->info.ncpus, 2);
}

#define ACPI_TEST(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		ACPI_TEST(test_valid_xsdt),
		ACPI_TEST(test_valid_rsdt_v1),
		ACPI_TEST(test_find_rsdp_ebda),
		ACPI_TEST(test_find_rsdp_bios_area),
		ACPI_TEST(test_find_rsdp_missing),
		ACPI_TEST(test_bad_rsdp),
		ACPI_TEST(test_bad_rsdp_extension),
		ACPI_TEST(test_bad_xsdt_falls_back),
		ACPI_TEST(test_bad_madt_checksum),
		ACPI_TEST(test_truncated_table),
		ACPI_TEST(test_bad_lengths),
		ACPI_TEST(test_madt_entry_length_zero),
		ACPI_TEST(test_madt_entry_past_end),
		ACPI_TEST(test_madt_entry_too_short),
		ACPI_TEST(test_missing_madt),
		ACPI_TEST(test_no_enabled_cpu),
		ACPI_TEST(test_too_many_cpus),
		ACPI_TEST(test_duplicate_apic_id),
		ACPI_TEST(test_missing_s5),
		ACPI_TEST(test_s5_encodings),
		ACPI_TEST(test_s5_undecodable_warning),
		ACPI_TEST(test_fadt_dsdt_choice),
		ACPI_TEST(test_missing_fadt),
		ACPI_TEST(test_root_entry_unmapped),
		ACPI_TEST(test_warnings_capped),
		ACPI_TEST(test_second_madt),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
