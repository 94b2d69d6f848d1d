// SPDX-License-Identifier: MIT
/*
 * Unit tests for boot/options.c: every option and value, the defaults,
 * and the exact message for each kind of bad word.
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
#include "options.h"

/* Parse line into *o, expecting no bad words. */
static void parse_ok(const char *line, struct shade_options *o)
{
	struct options_errors errs;

	assert_int_equal(options_parse(line, o, &errs), 0);
	assert_int_equal(errs.n, 0);
}

/* Parse line, expecting exactly one bad word with message msg. */
static void parse_one_error(const char *line, struct shade_options *o,
			    const char *msg)
{
	struct options_errors errs;

	assert_int_equal(options_parse(line, o, &errs), 1);
	assert_int_equal(errs.n, 1);
	assert_string_equal(errs.msg[0], msg);
}

static void expect_defaults(const struct shade_options *o)
{
	assert_int_equal(o->loglevel, LOG_INFO);
	assert_int_equal(o->apic, APIC_MODE_AUTO);
	assert_int_equal(o->max_cpus, 0);
	assert_int_equal(o->selftest, SELFTEST_NONE);
}

static void test_defaults_empty(void **state)
{
	struct shade_options o;

	(void)state;
	memset(&o, 0xa5, sizeof(o));
	parse_ok("", &o);
	expect_defaults(&o);
}

static void test_defaults_null(void **state)
{
	struct shade_options o;

	(void)state;
	memset(&o, 0xa5, sizeof(o));
	parse_ok(NULL, &o);
	expect_defaults(&o);
}

static void test_loglevel_values(void **state)
{
	struct shade_options o;

	(void)state;
	parse_ok("loglevel=debug", &o);
	assert_int_equal(o.loglevel, LOG_DEBUG);
	parse_ok("loglevel=info", &o);
	assert_int_equal(o.loglevel, LOG_INFO);
	parse_ok("loglevel=warn", &o);
	assert_int_equal(o.loglevel, LOG_WARN);
	parse_ok("loglevel=error", &o);
	assert_int_equal(o.loglevel, LOG_ERR);
}

static void test_loglevel_bad(void **state)
{
	struct shade_options o;

	(void)state;
	parse_one_error("loglevel=loud", &o,
			"loglevel: 'loud' is not one of debug, info, warn, "
			"error");
	assert_int_equal(o.loglevel, LOG_INFO);
	/* Names match whole and case-sensitively. */
	parse_one_error("loglevel=DEBUG", &o,
			"loglevel: 'DEBUG' is not one of debug, info, warn, "
			"error");
	parse_one_error("loglevel=debugx", &o,
			"loglevel: 'debugx' is not one of debug, info, warn, "
			"error");
	parse_one_error("loglevel=deb", &o,
			"loglevel: 'deb' is not one of debug, info, warn, "
			"error");
	parse_one_error("loglevel=", &o,
			"loglevel: '' is not one of debug, info, warn, error");
	parse_one_error("loglevel", &o,
			"loglevel: 'loglevel' needs a value: debug, info, "
			"warn, error");
	assert_int_equal(o.loglevel, LOG_INFO);
}

static void test_apic_values(void **state)
{
	struct shade_options o;

	(void)state;
	parse_ok("apic=xapic", &o);
	assert_int_equal(o.apic, APIC_MODE_XAPIC);
	parse_ok("apic=x2apic", &o);
	assert_int_equal(o.apic, APIC_MODE_X2APIC);
	parse_ok("apic=auto", &o);
	assert_int_equal(o.apic, APIC_MODE_AUTO);
	parse_one_error("apic=x3apic", &o,
			"apic: 'x3apic' is not one of auto, xapic, x2apic");
	assert_int_equal(o.apic, APIC_MODE_AUTO);
}

static void test_cpus_range(void **state)
{
	struct shade_options o;

	(void)state;
	parse_ok("cpus=1", &o);
	assert_int_equal(o.max_cpus, 1);
	parse_ok("cpus=64", &o);
	assert_int_equal(o.max_cpus, 64);
	parse_ok("cpus=0x10", &o);
	assert_int_equal(o.max_cpus, 16);
	parse_ok("cpus=007", &o);
	assert_int_equal(o.max_cpus, 7);
}

static void test_cpus_bad(void **state)
{
	struct shade_options o;

	(void)state;
	parse_one_error("cpus=0", &o, "cpus: '0' is out of range 1-64");
	assert_int_equal(o.max_cpus, 0);
	parse_one_error("cpus=65", &o, "cpus: '65' is out of range 1-64");
	parse_one_error("cpus=18446744073709551615", &o,
			"cpus: '18446744073709551615' is out of range 1-64");
	parse_one_error("cpus=18446744073709551616", &o,
			"cpus: '18446744073709551616' is out of range 1-64");
	/* 2^32 + 4 would pass a check done after truncating to u32. */
	parse_one_error("cpus=4294967300", &o,
			"cpus: '4294967300' is out of range 1-64");
	parse_one_error("cpus=four", &o, "cpus: 'four' is not a number");
	parse_one_error("cpus=", &o, "cpus: '' is not a number");
	parse_one_error("cpus=-1", &o, "cpus: '-1' is not a number");
	parse_one_error("cpus", &o,
			"cpus: 'cpus' needs a value: a number 1-64");
	assert_int_equal(o.max_cpus, 0);
}

static void test_shadow_mem(void **state)
{
	struct shade_options o;

	(void)state;
	parse_ok("", &o);
	assert_int_equal(o.shadow_mem, 0);
	parse_ok("shadow_mem=64K", &o);
	assert_int_equal(o.shadow_mem, 64 << 10);
	parse_ok("shadow_mem=512k", &o);
	assert_int_equal(o.shadow_mem, 512 << 10);
	parse_ok("shadow_mem=1G", &o);
	assert_int_equal(o.shadow_mem, 1ULL << 30);
	parse_one_error("shadow_mem=32K", &o,
			"shadow_mem: '32K' is out of range 64K-1G");
	assert_int_equal(o.shadow_mem, 0);
	parse_one_error("shadow_mem=2G", &o,
			"shadow_mem: '2G' is out of range 64K-1G");
	parse_one_error("shadow_mem=lots", &o,
			"shadow_mem: 'lots' is not a size (a number with K, M "
			"or G)");
	parse_one_error("shadow_mem", &o,
			"shadow_mem: 'shadow_mem' needs a value: a size "
			"64K-1G");
	assert_int_equal(o.shadow_mem, 0);
}

static void test_mmu_audit(void **state)
{
	struct shade_options o;

	(void)state;
	parse_ok("", &o);
	assert_int_equal(o.mmu_audit, 0);
	parse_ok("mmu_audit=on", &o);
	assert_int_equal(o.mmu_audit, 64);
	parse_ok("mmu_audit=1", &o);
	assert_int_equal(o.mmu_audit, 1);
	parse_ok("mmu_audit=on mmu_audit=off", &o);
	assert_int_equal(o.mmu_audit, 0);
	parse_one_error("mmu_audit=yes", &o,
			"mmu_audit: 'yes' is not on, off or a number "
			"0-1000000");
	parse_one_error("mmu_audit=1000001", &o,
			"mmu_audit: '1000001' is not on, off or a number "
			"0-1000000");
	parse_one_error("mmu_audit", &o,
			"mmu_audit: 'mmu_audit' is not on, off or a number "
			"0-1000000");
	assert_int_equal(o.mmu_audit, 0);
}

static void test_selftest_values(void **state)
{
	struct shade_options o;

	(void)state;
	parse_ok("selftest=fault-write-text", &o);
	assert_int_equal(o.selftest, SELFTEST_FAULT_WRITE_TEXT);
	parse_ok("selftest=fault-exec-data", &o);
	assert_int_equal(o.selftest, SELFTEST_FAULT_EXEC_DATA);
	parse_ok("selftest=fault-ud", &o);
	assert_int_equal(o.selftest, SELFTEST_FAULT_UD);
	parse_ok("selftest=bad-guest-state", &o);
	assert_int_equal(o.selftest, SELFTEST_BAD_GUEST_STATE);
	parse_one_error("selftest=fault", &o,
			"selftest: 'fault' is not one of fault-write-text, "
			"fault-exec-data, fault-ud, bad-guest-state");
	assert_int_equal(o.selftest, SELFTEST_NONE);
}

static void test_unknown_option(void **state)
{
	struct shade_options o;

	(void)state;
	parse_one_error("foo=1", &o, "unknown option 'foo=1'");
	expect_defaults(&o);
	parse_one_error("verbose", &o, "unknown option 'verbose'");
	/* A key that only starts like a known one is unknown. */
	parse_one_error("cpus2=4", &o, "unknown option 'cpus2=4'");
	parse_one_error("CPUS=4", &o, "unknown option 'CPUS=4'");
	parse_one_error("=4", &o, "unknown option '=4'");
	expect_defaults(&o);
}

static void test_all_together(void **state)
{
	struct shade_options o;

	(void)state;
	parse_ok("  loglevel=debug\tapic=x2apic cpus=4 selftest=fault-ud  ",
		 &o);
	assert_int_equal(o.loglevel, LOG_DEBUG);
	assert_int_equal(o.apic, APIC_MODE_X2APIC);
	assert_int_equal(o.max_cpus, 4);
	assert_int_equal(o.selftest, SELFTEST_FAULT_UD);
}

static void test_last_word_wins(void **state)
{
	struct shade_options o;

	(void)state;
	parse_ok("cpus=2 cpus=8 loglevel=warn loglevel=debug", &o);
	assert_int_equal(o.max_cpus, 8);
	assert_int_equal(o.loglevel, LOG_DEBUG);
}

static void test_bad_words_do_not_stop_good_ones(void **state)
{
	struct shade_options o;
	struct options_errors errs;

	(void)state;
	assert_int_equal(
		options_parse("foo cpus=3 cpus=0 loglevel=warn", &o, &errs), 2);
	assert_string_equal(errs.msg[0], "unknown option 'foo'");
	assert_string_equal(errs.msg[1], "cpus: '0' is out of range 1-64");
	/* A bad value leaves the earlier good one in place. */
	assert_int_equal(o.max_cpus, 3);
	assert_int_equal(o.loglevel, LOG_WARN);
}

static void test_words_after_double_dash_ignored(void **state)
{
	struct shade_options o;

	(void)state;
	parse_ok("cpus=2 -- cpus=9 foo=1 loglevel=banana", &o);
	assert_int_equal(o.max_cpus, 2);
	assert_int_equal(o.loglevel, LOG_INFO);
	parse_ok("-- loglevel=debug", &o);
	assert_int_equal(o.loglevel, LOG_INFO);
}

static void test_errors_are_reset(void **state)
{
	struct shade_options o;
	struct options_errors errs;

	(void)state;
	memset(&errs, 0x5a, sizeof(errs));
	assert_int_equal(options_parse("cpus=2", &o, &errs), 0);
	assert_int_equal(errs.n, 0);
}

static void test_more_errors_than_slots(void **state)
{
	struct shade_options o;
	struct options_errors errs;
	char want[32];

	(void)state;
	assert_int_equal(options_parse("e0 e1 e2 e3 e4 e5 e6 e7 e8 e9 cpus=5",
				       &o, &errs),
			 10);
	assert_int_equal(errs.n, 10);
	for (int i = 0; i < OPTIONS_MAX_ERRORS; i++) {
		snprintf(want, sizeof(want), "unknown option 'e%d'", i);
		assert_string_equal(errs.msg[i], want);
	}
	assert_int_equal(o.max_cpus, 5);
}

static void test_long_word_is_shortened(void **state)
{
	struct shade_options o;
	struct options_errors errs;
	char line[300];
	char want[96];

	(void)state;
	memset(line, 'x', sizeof(line) - 1);
	line[sizeof(line) - 1] = '\0';
	assert_int_equal(options_parse(line, &o, &errs), 1);
	snprintf(want, sizeof(want), "unknown option '%.40s...'", line);
	assert_string_equal(errs.msg[0], want);

	/* Exactly 40 chars are quoted whole, 41 get shortened. */
	line[40] = '\0';
	assert_int_equal(options_parse(line, &o, &errs), 1);
	snprintf(want, sizeof(want), "unknown option '%.40s'", line);
	assert_string_equal(errs.msg[0], want);
	line[40] = 'x';
	line[41] = '\0';
	assert_int_equal(options_parse(line, &o, &errs), 1);
	snprintf(want, sizeof(want), "unknown option '%.40s...'", line);
	assert_string_equal(errs.msg[0], want);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults_empty),
		cmocka_unit_test(test_defaults_null),
		cmocka_unit_test(test_loglevel_values),
		cmocka_unit_test(test_loglevel_bad),
		cmocka_unit_test(test_apic_values),
		cmocka_unit_test(test_cpus_range),
		cmocka_unit_test(test_cpus_bad),
		cmocka_unit_test(test_shadow_mem),
		cmocka_unit_test(test_mmu_audit),
		cmocka_unit_test(test_selftest_values),
		cmocka_unit_test(test_unknown_option),
		cmocka_unit_test(test_all_together),
		cmocka_unit_test(test_last_word_wins),
		cmocka_unit_test(test_bad_words_do_not_stop_good_ones),
		cmocka_unit_test(test_words_after_double_dash_ignored),
		cmocka_unit_test(test_errors_are_reset),
		cmocka_unit_test(test_more_errors_than_slots),
		cmocka_unit_test(test_long_word_is_shortened),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
