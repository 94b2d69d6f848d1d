// SPDX-License-Identifier: MIT
/*
 * Unit tests for vmm/vacpi_tables.c, the ACPI tables every partition
 * finds in its RAM. The tables are placed in a fake guest memory
 * [0xe0000, 0x100000) and read back two ways: by Shade's own firmware
 * parser (arch/x86/acpi.c), which finds the RSDP by scanning as an OS
 * does and checks every checksum, as if the guest were another Shade; and
 * byte by byte at the offsets the ACPI specification gives, independent
 * of the structures vacpi_tables.c declares.
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
#include "acpi.h"
#include "vacpi.h"
#include "vlegacy.h"

#define AREA_SIZE (VACPI_AREA_END - VACPI_AREA_GPA)

/* Guest memory [0xe0000, 0x100000), as vacpi_build() leaves it. */
static u8 area[AREA_SIZE];

static const void *map_area(u64 pa, u64 len, void *ctx)
{
	(void)ctx;
	if (pa < VACPI_AREA_GPA || len > AREA_SIZE ||
	    pa - VACPI_AREA_GPA > AREA_SIZE - len)
		return NULL;
	return area + (pa - VACPI_AREA_GPA);
}

static void place(u32 ncpus)
{
	/* Guest RAM starts zeroed; the builder must clear its block itself. */
	memset(area, 0, sizeof(area));
	memset(area, 0x5a, VACPI_TABLES_BYTES);
	assert_int_equal(vacpi_tables_build(ncpus, area), 0);
	vacpi_rsdp_build(area + (VACPI_RSDP_GPA - VACPI_AREA_GPA));
}

static const u8 *gpa(u64 a)
{
	assert_true(a >= VACPI_AREA_GPA && a < VACPI_AREA_END);
	return area + (a - VACPI_AREA_GPA);
}

static u64 le(const u8 *p, u32 n)
{
	u64 v = 0;

	while (n--)
		v = v << 8 | p[n];
	return v;
}

static u8 sum(const u8 *p, u64 n)
{
	u8 s = 0;

	while (n--)
		s += *p++;
	return s;
}

/* A table's header: signature, length, revision, OEM, checksum. */
static const u8 *table(u64 a, const char *sig, u32 min_len, u8 revision)
{
	const u8 *t = gpa(a);
	u32 len = (u32)le(t + 4, 4);

	assert_memory_equal(t, sig, 4);
	assert_true(len >= min_len);
	assert_true(a + len <= VACPI_AREA_GPA + VACPI_TABLES_BYTES);
	assert_int_equal(t[8], revision);
	assert_memory_equal(t + 10, "SHADE ", 6);
	assert_int_equal(sum(t, len), 0);
	return t;
}

static void check_parsed(const struct acpi_info *ai, u32 ncpus)
{
	assert_true(ai->have_madt);
	assert_int_equal(ai->lapic_pa, 0xfee00000);
	assert_int_equal(ai->ncpus, ncpus);
	for (u32 i = 0; i < ncpus; i++) {
		assert_int_equal(ai->cpus[i].apic_id, i);
		assert_int_equal(ai->cpus[i].uid, i);
	}
	assert_true(ai->have_fadt);
	assert_int_equal(ai->pm1a_cnt, VPM_CNT_PORT);
	assert_int_equal(ai->pm1b_cnt, 0);
	assert_int_equal(ai->pm_tmr, VPM_TMR_PORT);
	assert_true(ai->have_s5);
	assert_int_equal(ai->slp_typa, VPM_S5_SLP_TYP);
	assert_int_equal(ai->slp_typb, VPM_S5_SLP_TYP);
}

/* Shade's own parser, from the scanned RSDP: XSDT, then RSDT only. */
static void expect_no_warnings(const struct acpi_warnings *w)
{
	for (u32 i = 0; i < w->n; i++)
		print_error("warning: %s\n", w->msg[i]);
	assert_int_equal(w->n, 0);
}

static void parse_back(u32 ncpus)
{
	static struct acpi_info ai;
	static struct acpi_warnings w;
	u8 v1[VACPI_RSDP_LEN];
	u64 pa = 0;

	place(ncpus);
	assert_int_equal(acpi_find_rsdp(map_area, NULL, &pa), 0);
	assert_int_equal(pa, VACPI_RSDP_GPA);
	assert_int_equal(
		acpi_parse(gpa(pa), VACPI_RSDP_LEN, map_area, NULL, &ai, &w),
		0);
	expect_no_warnings(&w);
	assert_int_equal(ai.revision, 2);
	assert_string_equal(ai.oem_id, "SHADE ");
	check_parsed(&ai, ncpus);

	/* The same RSDP made ACPI 1.0 (revision 0, checksum redone): the
	 * RSDT alone must give the same answers. */
	memcpy(v1, gpa(pa), VACPI_RSDP_V1_LEN);
	v1[15] = 0;
	v1[8] = 0;
	v1[8] = (u8)-sum(v1, VACPI_RSDP_V1_LEN);
	assert_int_equal(
		acpi_parse(v1, VACPI_RSDP_V1_LEN, map_area, NULL, &ai, &w), 0);
	expect_no_warnings(&w);
	check_parsed(&ai, ncpus);
}

static void test_parse_back_1(void **state)
{
	(void)state;
	parse_back(1);
}

static void test_parse_back_2(void **state)
{
	(void)state;
	parse_back(2);
}

static void test_parse_back_max(void **state)
{
	(void)state;
	parse_back(VACPI_MAX_CPUS);
}

static void test_bad_counts(void **state)
{
	static u8 buf[VACPI_TABLES_BYTES];

	(void)state;
	assert_int_equal(vacpi_tables_build(0, buf), -EINVAL);
	assert_int_equal(vacpi_tables_build(VACPI_MAX_CPUS + 1, buf), -EINVAL);
}

/* RSDP (5.2.5.3) and the two root tables: the same two tables. */
static void test_rsdp_and_roots(void **state)
{
	const u8 *r, *rsdt, *xsdt;

	(void)state;
	place(3);
	r = gpa(VACPI_RSDP_GPA);
	assert_memory_equal(r, "RSD PTR ", 8);
	assert_int_equal(sum(r, 20), 0);
	assert_memory_equal(r + 9, "SHADE ", 6);
	assert_int_equal(r[15], 2);
	assert_int_equal(le(r + 16, 4), VACPI_RSDT_GPA);
	assert_int_equal(le(r + 20, 4), 36);
	assert_int_equal(le(r + 24, 8), VACPI_XSDT_GPA);
	assert_int_equal(sum(r, 36), 0);
	rsdt = table(VACPI_RSDT_GPA, "RSDT", 36 + 8, 1);
	xsdt = table(VACPI_XSDT_GPA, "XSDT", 36 + 16, 1);
	assert_int_equal(le(rsdt + 4, 4), 36 + 2 * 4);
	assert_int_equal(le(xsdt + 4, 4), 36 + 2 * 8);
	for (u32 i = 0; i < 2; i++)
		assert_int_equal(le(rsdt + 36 + 4 * i, 4),
				 le(xsdt + 36 + 8 * i, 8));
	assert_int_equal(le(rsdt + 36, 4), VACPI_FADT_GPA);
	assert_int_equal(le(rsdt + 40, 4), VACPI_MADT_GPA);
}

static void expect_gas(const u8 *g, u8 space, u8 width, u8 access, u64 addr)
{
	assert_int_equal(g[0], space);
	assert_int_equal(g[1], width);
	assert_int_equal(g[2], 0);
	assert_int_equal(g[3], access);
	assert_int_equal(le(g + 4, 8), addr);
}

/* FADT revision 5 (5.2.9, table 5.9), field by field. */
static void test_fadt(void **state)
{
	const u8 *f, *facs;
	u32 flags;

	(void)state;
	place(2);
	f = table(VACPI_FADT_GPA, "FACP", 268, 5);
	assert_int_equal(le(f + 4, 4), 268);
	assert_int_equal(le(f + 36, 4), VACPI_FACS_GPA);
	assert_int_equal(le(f + 40, 4), VACPI_DSDT_GPA);
	assert_int_equal(le(f + 46, 2), 9);	 /* SCI_INT */
	assert_int_equal(le(f + 48, 4), 0);	 /* SMI_CMD: always ACPI mode */
	assert_int_equal(le(f + 52, 2), 0);	 /* ACPI_ENABLE, ACPI_DISABLE */
	assert_int_equal(le(f + 56, 4), 0x600);	 /* PM1a_EVT_BLK */
	assert_int_equal(le(f + 60, 4), 0);	 /* PM1b_EVT_BLK */
	assert_int_equal(le(f + 64, 4), 0x604);	 /* PM1a_CNT_BLK */
	assert_int_equal(le(f + 68, 4), 0);	 /* PM1b_CNT_BLK */
	assert_int_equal(le(f + 72, 4), 0);	 /* PM2_CNT_BLK */
	assert_int_equal(le(f + 76, 4), 0x608);	 /* PM_TMR_BLK */
	assert_int_equal(le(f + 80, 8), 0);	 /* no GPE blocks */
	assert_int_equal(f[88], 4);		 /* PM1_EVT_LEN */
	assert_int_equal(f[89], 2);		 /* PM1_CNT_LEN */
	assert_int_equal(f[90], 0);		 /* PM2_CNT_LEN */
	assert_int_equal(f[91], 4);		 /* PM_TMR_LEN */
	assert_true(le(f + 96, 2) > 100);	 /* no C2 */
	assert_true(le(f + 98, 2) > 1000);	 /* no C3 */
	assert_int_equal(f[108], 0x32);		 /* CENTURY: CMOS byte 0x32 */
	assert_int_equal(le(f + 109, 2) & 3, 3); /* LEGACY_DEVICES, 8042 */
	assert_int_equal(le(f + 109, 2) & BIT(5), 0); /* the RTC exists */
	flags = (u32)le(f + 112, 4);
	assert_true(flags & BIT(0));	     /* WBINVD */
	assert_true(flags & BIT(2));	     /* PROC_C1 */
	assert_false(flags & BIT(8));	     /* TMR_VAL_EXT: 24-bit timer */
	assert_true(flags & BIT(10));	     /* RESET_REG_SUP */
	assert_false(flags & BIT(20));	     /* not HW_REDUCED_ACPI */
	expect_gas(f + 116, 1, 8, 1, 0xcf9); /* RESET_REG */
	assert_int_equal(f[128], 0x06);	     /* RESET_VALUE */
	assert_int_equal(le(f + 132, 8), VACPI_FACS_GPA);
	assert_int_equal(le(f + 140, 8), VACPI_DSDT_GPA);
	expect_gas(f + 148, 1, 32, 2, 0x600); /* X_PM1a_EVT_BLK */
	expect_gas(f + 160, 0, 0, 0, 0);      /* X_PM1b_EVT_BLK */
	expect_gas(f + 172, 1, 16, 2, 0x604); /* X_PM1a_CNT_BLK */
	expect_gas(f + 208, 1, 32, 3, 0x608); /* X_PM_TMR_BLK */

	facs = gpa(VACPI_FACS_GPA);
	assert_int_equal(VACPI_FACS_GPA % 64, 0);
	assert_memory_equal(facs, "FACS", 4);
	assert_int_equal(le(facs + 4, 4), 64);
	assert_int_equal(facs[32], 2); /* version */
}

/* The DSDT's AML, exactly: Name (_S5, Package () { 5, 5, 0, 0 }). */
static void test_dsdt(void **state)
{
	static const u8 aml[] = {0x08, '_',  'S',  '5',	 '_',  0x12, 0x08,
				 0x04, 0x0a, 0x05, 0x0a, 0x05, 0x00, 0x00};
	const u8 *d;

	(void)state;
	assert_int_equal(VPM_S5_SLP_TYP, 5);
	place(1);
	d = table(VACPI_DSDT_GPA, "DSDT", 36, 2);
	assert_int_equal(le(d + 4, 4), 36 + sizeof(aml));
	assert_memory_equal(d + 36, aml, sizeof(aml));
}

/* MADT revision 3 (5.2.12): n local APICs, the LINT1 NMI, nothing else. */
static void test_madt(void **state)
{
	static const u8 nmi[] = {4, 6, 0xff, 0x05, 0x00, 1};
	const u8 *m, *e;
	u32 n = 5;

	(void)state;
	place(n);
	m = table(VACPI_MADT_GPA, "APIC", 44, 3);
	assert_int_equal(le(m + 4, 4), 44 + 8 * n + 6);
	assert_int_equal(le(m + 36, 4), 0xfee00000);
	assert_int_equal(le(m + 40, 4), 1); /* PCAT_COMPAT */
	for (u32 i = 0; i < n; i++) {
		e = m + 44 + 8 * i;
		assert_int_equal(e[0], 0); /* processor local APIC */
		assert_int_equal(e[1], 8);
		assert_int_equal(e[2], i);	   /* UID */
		assert_int_equal(e[3], i);	   /* APIC ID */
		assert_int_equal(le(e + 4, 4), 1); /* enabled */
	}
	assert_memory_equal(m + 44 + 8 * n, nmi, sizeof(nmi));
}

/* With the most vCPUs the tables still end inside their block, and
 * nothing else in the area (but the RSDP) is written. */
static void test_area_bounds(void **state)
{
	const u8 *m;

	(void)state;
	place(VACPI_MAX_CPUS);
	m = gpa(VACPI_MADT_GPA);
	assert_true(VACPI_MADT_GPA + le(m + 4, 4) <=
		    VACPI_AREA_GPA + VACPI_TABLES_BYTES);
	for (u64 a = VACPI_AREA_GPA + VACPI_TABLES_BYTES; a < VACPI_AREA_END;
	     a++)
		if (a < VACPI_RSDP_GPA || a >= VACPI_RSDP_GPA + VACPI_RSDP_LEN)
			assert_int_equal(*gpa(a), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_back_1),
		cmocka_unit_test(test_parse_back_2),
		cmocka_unit_test(test_parse_back_max),
		cmocka_unit_test(test_bad_counts),
		cmocka_unit_test(test_rsdp_and_roots),
		cmocka_unit_test(test_fadt),
		cmocka_unit_test(test_dsdt),
		cmocka_unit_test(test_madt),
		cmocka_unit_test(test_area_bounds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
