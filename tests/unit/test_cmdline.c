// SPDX-License-Identifier: MIT
/*
 * Unit tests for lib/cmdline.c: splitting lines into words, "--", and the
 * number parsers at and just past every limit.
 *
 * Context: host, cmocka, under ASan and UBSan.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "types.h"
#include "errno.h"
#include "cmdline.h"

/* Fetch the next word and check all of its fields; val NULL = bare flag. */
static void expect_word(struct cmdline_iter *it, const char *word,
			const char *key, const char *val)
{
	struct cmdline_word w;

	assert_true(cmdline_next(it, &w));
	assert_int_equal(w.len, strlen(word));
	assert_memory_equal(w.word, word, w.len);
	assert_ptr_equal(w.key, w.word);
	assert_int_equal(w.key_len, strlen(key));
	assert_memory_equal(w.key, key, w.key_len);
	if (!val) {
		assert_null(w.val);
		assert_int_equal(w.val_len, 0);
		return;
	}
	assert_non_null(w.val);
	assert_ptr_equal(w.val, w.key + w.key_len + 1);
	assert_int_equal(w.val_len, strlen(val));
	assert_memory_equal(w.val, val, w.val_len);
}

static void expect_end(struct cmdline_iter *it)
{
	struct cmdline_word w;

	assert_false(cmdline_next(it, &w));
	/* The end is sticky. */
	assert_false(cmdline_next(it, &w));
}

static void test_empty_line(void **state)
{
	struct cmdline_iter it;

	(void)state;
	cmdline_iter_init(&it, "");
	expect_end(&it);
	assert_null(it.rest);
}

static void test_null_line(void **state)
{
	struct cmdline_iter it;

	(void)state;
	cmdline_iter_init(&it, NULL);
	expect_end(&it);
	assert_null(it.rest);
}

static void test_blanks_only(void **state)
{
	struct cmdline_iter it;

	(void)state;
	cmdline_iter_init(&it, " \t  \t");
	expect_end(&it);
	assert_null(it.rest);
}

static void test_words_and_blanks(void **state)
{
	struct cmdline_iter it;

	(void)state;
	cmdline_iter_init(&it, "  name=linux\tmem=16M  \t control  ");
	expect_word(&it, "name=linux", "name", "linux");
	expect_word(&it, "mem=16M", "mem", "16M");
	expect_word(&it, "control", "control", NULL);
	expect_end(&it);
	assert_null(it.rest);
}

static void test_single_char_words(void **state)
{
	struct cmdline_iter it;

	(void)state;
	cmdline_iter_init(&it, "a b");
	expect_word(&it, "a", "a", NULL);
	expect_word(&it, "b", "b", NULL);
	expect_end(&it);
}

static void test_value_with_equals(void **state)
{
	struct cmdline_iter it;

	(void)state;
	cmdline_iter_init(&it, "a=b=c");
	expect_word(&it, "a=b=c", "a", "b=c");
	expect_end(&it);
}

static void test_empty_key_and_value(void **state)
{
	struct cmdline_iter it;

	(void)state;
	cmdline_iter_init(&it, "=x k= =");
	expect_word(&it, "=x", "", "x");
	expect_word(&it, "k=", "k", "");
	expect_word(&it, "=", "", "");
	expect_end(&it);
}

static void test_double_dash_rest(void **state)
{
	const char *line = "cpus=2 --  \t console=ttyS0 -- x";
	struct cmdline_iter it;

	(void)state;
	cmdline_iter_init(&it, line);
	expect_word(&it, "cpus=2", "cpus", "2");
	expect_end(&it);
	assert_non_null(it.rest);
	assert_string_equal(it.rest, "console=ttyS0 -- x");
	/* rest points into the caller's line, not a copy. */
	assert_ptr_equal(it.rest, strstr(line, "console"));
}

static void test_double_dash_at_end(void **state)
{
	struct cmdline_iter it;

	(void)state;
	cmdline_iter_init(&it, "a --");
	expect_word(&it, "a", "a", NULL);
	expect_end(&it);
	assert_non_null(it.rest);
	assert_string_equal(it.rest, "");
}

static void test_double_dash_first(void **state)
{
	struct cmdline_iter it;

	(void)state;
	cmdline_iter_init(&it, "-- a=1");
	expect_end(&it);
	assert_string_equal(it.rest, "a=1");
}

static void test_dash_words_are_words(void **state)
{
	struct cmdline_iter it;

	(void)state;
	cmdline_iter_init(&it, "--x a-- - ---");
	expect_word(&it, "--x", "--x", NULL);
	expect_word(&it, "a--", "a--", NULL);
	expect_word(&it, "-", "-", NULL);
	expect_word(&it, "---", "---", NULL);
	expect_end(&it);
	assert_null(it.rest);
}

static void test_key_is(void **state)
{
	struct cmdline_iter it;
	struct cmdline_word w;

	(void)state;
	cmdline_iter_init(&it, "cpus=4 control cpusx=1");
	assert_true(cmdline_next(&it, &w));
	assert_true(cmdline_key_is(&w, "cpus"));
	assert_false(cmdline_key_is(&w, "cpu"));
	assert_false(cmdline_key_is(&w, "cpus="));
	assert_false(cmdline_key_is(&w, "cpusx"));
	assert_true(cmdline_next(&it, &w));
	assert_true(cmdline_key_is(&w, "control"));
	assert_false(cmdline_key_is(&w, "contro"));
	assert_false(cmdline_key_is(&w, ""));
	assert_true(cmdline_next(&it, &w));
	assert_false(cmdline_key_is(&w, "cpus"));
	assert_true(cmdline_key_is(&w, "cpusx"));
}

/* parse_u64 over the whole string; out is poisoned to catch stray writes. */
static int u64_of(const char *s, u64 *out)
{
	*out = 0xdeadbeef;
	return parse_u64(s, (u32)strlen(s), out);
}

static void expect_u64(const char *s, u64 want)
{
	u64 v;

	assert_int_equal(u64_of(s, &v), 0);
	assert_int_equal(v, want);
}

static void expect_u64_error(const char *s, int rc)
{
	u64 v;

	assert_int_equal(u64_of(s, &v), rc);
	assert_int_equal(v, 0xdeadbeef);
}

static void test_u64_decimal(void **state)
{
	(void)state;
	expect_u64("0", 0);
	expect_u64("7", 7);
	expect_u64("0010", 10);
	expect_u64("4294967296", 4294967296ULL);
	expect_u64("18446744073709551614", UINT64_MAX - 1);
	expect_u64("18446744073709551615", UINT64_MAX);
}

static void test_u64_decimal_overflow(void **state)
{
	(void)state;
	expect_u64_error("18446744073709551616", -ERANGE);
	expect_u64_error("18446744073709551620", -ERANGE);
	expect_u64_error("99999999999999999999", -ERANGE);
	expect_u64_error("184467440737095516150", -ERANGE);
}

static void test_u64_hex(void **state)
{
	(void)state;
	expect_u64("0x0", 0);
	expect_u64("0xff", 255);
	expect_u64("0XFF", 255);
	expect_u64("0xDeadBeef", 0xdeadbeef);
	expect_u64("0xffffffffffffffff", UINT64_MAX);
	expect_u64("0x000000000000000000001", 1);
	expect_u64("0x8000000000000000", 1ULL << 63);
}

static void test_u64_hex_overflow(void **state)
{
	(void)state;
	expect_u64_error("0x10000000000000000", -ERANGE);
	expect_u64_error("0x1ffffffffffffffff", -ERANGE);
}

static void test_u64_invalid(void **state)
{
	(void)state;
	expect_u64_error("", -EINVAL);
	expect_u64_error("0x", -EINVAL);
	expect_u64_error("x1", -EINVAL);
	expect_u64_error("12a", -EINVAL);
	expect_u64_error("ff", -EINVAL);
	expect_u64_error("0xfg", -EINVAL);
	expect_u64_error("-1", -EINVAL);
	expect_u64_error("+1", -EINVAL);
	expect_u64_error(" 1", -EINVAL);
	expect_u64_error("1 ", -EINVAL);
	expect_u64_error("1.5", -EINVAL);
	expect_u64_error("0x-1", -EINVAL);
	expect_u64_error("00x1", -EINVAL);
	/* Malformed wins over overflow. */
	expect_u64_error("99999999999999999999x", -EINVAL);
}

static void test_u64_uses_len_only(void **state)
{
	u64 v = 0;

	(void)state;
	/* Words are not NUL-terminated: only len chars count. */
	assert_int_equal(parse_u64("123456", 3, &v), 0);
	assert_int_equal(v, 123);
	assert_int_equal(parse_u64("0x1fz", 4, &v), 0);
	assert_int_equal(v, 0x1f);
	assert_int_equal(parse_u64("5", 0, &v), -EINVAL);
	/* "0x" cut to len 2 is not a number, nor is "0x1" cut to "0". */
	assert_int_equal(parse_u64("0x1", 2, &v), -EINVAL);
	assert_int_equal(parse_u64("0x1", 1, &v), 0);
	assert_int_equal(v, 0);
}

static int size_of(const char *s, u64 *out)
{
	*out = 0xdeadbeef;
	return parse_size(s, (u32)strlen(s), out);
}

static void expect_size(const char *s, u64 want)
{
	u64 v;

	assert_int_equal(size_of(s, &v), 0);
	assert_int_equal(v, want);
}

static void expect_size_error(const char *s, int rc)
{
	u64 v;

	assert_int_equal(size_of(s, &v), rc);
	assert_int_equal(v, 0xdeadbeef);
}

static void test_size_plain(void **state)
{
	(void)state;
	expect_size("0", 0);
	expect_size("4096", 4096);
	expect_size("0x1000", 4096);
	expect_size("18446744073709551615", UINT64_MAX);
	expect_size_error("18446744073709551616", -ERANGE);
}

static void test_size_suffixes(void **state)
{
	(void)state;
	expect_size("4K", 4096);
	expect_size("4k", 4096);
	expect_size("16M", 16 * MiB);
	expect_size("16m", 16 * MiB);
	expect_size("3G", 3 * GiB);
	expect_size("1g", GiB);
	expect_size("0K", 0);
	expect_size("16G", 17179869184ULL);
	expect_size("0x10M", 16 * MiB);
	expect_size("0x1K", 1024);
}

static void test_size_suffix_limits(void **state)
{
	(void)state;
	/* The largest multiple of each unit that fits, and the next one. */
	expect_size("18014398509481983K", UINT64_MAX - (KiB - 1));
	expect_size_error("18014398509481984K", -ERANGE);
	expect_size("17592186044415M", UINT64_MAX - (MiB - 1));
	expect_size_error("17592186044416M", -ERANGE);
	expect_size("17179869183G", UINT64_MAX - (GiB - 1));
	expect_size_error("17179869184G", -ERANGE);
	expect_size_error("0x400000000G", -ERANGE);
	expect_size_error("99999999999999999999K", -ERANGE);
}

static void test_size_invalid(void **state)
{
	(void)state;
	expect_size_error("", -EINVAL);
	expect_size_error("K", -EINVAL);
	expect_size_error("G", -EINVAL);
	expect_size_error("16T", -EINVAL);
	expect_size_error("16KB", -EINVAL);
	expect_size_error("16 M", -EINVAL);
	expect_size_error("M16", -EINVAL);
	expect_size_error("-1M", -EINVAL);
	expect_size_error("0xM", -EINVAL);
	expect_size_error("16KK", -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty_line),
		cmocka_unit_test(test_null_line),
		cmocka_unit_test(test_blanks_only),
		cmocka_unit_test(test_words_and_blanks),
		cmocka_unit_test(test_single_char_words),
		cmocka_unit_test(test_value_with_equals),
		cmocka_unit_test(test_empty_key_and_value),
		cmocka_unit_test(test_double_dash_rest),
		cmocka_unit_test(test_double_dash_at_end),
		cmocka_unit_test(test_double_dash_first),
		cmocka_unit_test(test_dash_words_are_words),
		cmocka_unit_test(test_key_is),
		cmocka_unit_test(test_u64_decimal),
		cmocka_unit_test(test_u64_decimal_overflow),
		cmocka_unit_test(test_u64_hex),
		cmocka_unit_test(test_u64_hex_overflow),
		cmocka_unit_test(test_u64_invalid),
		cmocka_unit_test(test_u64_uses_len_only),
		cmocka_unit_test(test_size_plain),
		cmocka_unit_test(test_size_suffixes),
		cmocka_unit_test(test_size_suffix_limits),
		cmocka_unit_test(test_size_invalid),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
