// SPDX-License-Identifier: MIT
/*
 * Unit tests for lib/format.c. The C library's snprintf is the reference:
 * a table of hand-written formats, then every combination of flags, width,
 * precision, length modifier and conversion over a list of edge values, and
 * truncation at every buffer size. What C leaves undefined (%p's layout,
 * NULL for %s, unknown conversions) is checked against Shade's own rules
 * from include/format.h.
 *
 * Host-built, under ASan and UBSan.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <limits.h>
#include <cmocka.h>

#include "types.h"
#include "format.h"

#define OUT_SIZE 600
#define SENTINEL 0x5a

static u64 ncompared;

/*
 * Formats with both kvsnprintf and vsnprintf into buffers of `size` bytes
 * that start out identical, and compares the whole buffers: that checks
 * the text, the NUL, and that neither wrote past what it should.
 */
static void compare_v(size_t size, const char *fmt, va_list ap)
{
	char got[OUT_SIZE], want[OUT_SIZE];
	va_list ap2;
	int rg, rw;

	assert_true(size <= OUT_SIZE);
	memset(got, SENTINEL, sizeof(got));
	memset(want, SENTINEL, sizeof(want));
	va_copy(ap2, ap);
	rg = kvsnprintf(got, size, fmt, ap);
	rw = vsnprintf(want, size, fmt, ap2);
	va_end(ap2);
	ncompared++;
	if (rg != rw || memcmp(got, want, sizeof(got)) != 0)
		fail_msg("format \"%s\" size %zu: got \"%.*s\" (%d), "
			 "want \"%.*s\" (%d)",
			 fmt, size, (int)MIN((size_t)rg, size), got, rg,
			 (int)MIN((size_t)rw, size), want, rw);
}

__printf(1, 2) static void compare(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	compare_v(OUT_SIZE, fmt, ap);
	va_end(ap);
}

__printf(2, 3) static void compare_n(size_t size, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	compare_v(size, fmt, ap);
	va_end(ap);
}

/* Every buffer size from 0 to two past the full length. */
__printf(1, 2) static void compare_all_sizes(const char *fmt, ...)
{
	char full[OUT_SIZE];
	va_list ap, ap2;
	size_t size;
	int n;

	va_start(ap, fmt);
	va_copy(ap2, ap);
	n = vsnprintf(full, sizeof(full), fmt, ap2);
	va_end(ap2);
	assert_true(n >= 0 && n + 3 <= OUT_SIZE);
	for (size = 0; size <= (size_t)n + 2; size++) {
		va_copy(ap2, ap);
		compare_v(size, fmt, ap2);
		va_end(ap2);
	}
	va_end(ap);
}

/* Checks Shade's output against a fixed string, for what C leaves open. */
__printf(2, 3) static void expect(const char *want, const char *fmt, ...)
{
	char got[OUT_SIZE];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = kvsnprintf(got, sizeof(got), fmt, ap);
	va_end(ap);
	assert_string_equal(got, want);
	assert_int_equal(n, (int)strlen(want));
}

static void test_plain_text(void **state)
{
	(void)state;
	compare("%s", "");
	compare("hello, world");
	compare("100%% sure");
	compare("%%%%");
	compare("a%cb", 'x');
	compare("%c", 0);
	compare("[%c%c%c]", 'a', 255, -1);
	compare("[%5c|%-5c|%1c]", 'x', 'y', 'z');
	compare("[%*c]", -3, 'q');
}

static void test_strings(void **state)
{
	static const char unterminated[3] = {'a', 'b', 'c'};

	(void)state;
	compare("[%s]", "text");
	compare("[%10s][%-10s]", "right", "left");
	compare("[%.2s][%.0s][%.10s]", "abcdef", "abcdef", "abc");
	compare("[%8.3s][%-8.3s]", "abcdef", "abcdef");
	compare("[%*.*s]", 7, 2, "xyz");
	compare("[%-*.*s]", 7, 2, "xyz");
	compare("[%*s]", -6, "neg");
	compare("[%.*s]", -1, "negative precision means none");
	compare("[%.3s]", unterminated);
	compare("[%1s]", "longer than the width");
}

/* These tests combine flags on purpose where C says one overrides the
 * other ('-' beats '0', '+' beats ' ', a precision beats '0'); gcc warns
 * about each, but what the library does then is defined and compared. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat"
static void test_integers_by_hand(void **state)
{
	(void)state;
	compare("%d %d %d", 0, 1, -1);
	compare("%d %d", INT_MAX, INT_MIN);
	compare("%u %u", 0u, UINT_MAX);
	compare("%lld %lld", (long long)INT64_MAX, (long long)INT64_MIN);
	compare("%ld %lu", (long)INT64_MIN, (unsigned long)UINT64_MAX);
	compare("%llu %llx %llo", (unsigned long long)UINT64_MAX,
		(unsigned long long)UINT64_MAX, (unsigned long long)UINT64_MAX);
	compare("%#llo %#llX", (unsigned long long)UINT64_MAX,
		(unsigned long long)UINT64_MAX);
	compare("%.0d|%.0u|%.0x|%.0o|%.d", 0, 0u, 0u, 0u, 0);
	compare("%5.0d|%-5.0d|%+.0d|% .0d", 0, 0, 0, 0);
	compare("%#.0o|%#.0x|%#o|%#x|%#5.0o", 0u, 0u, 0u, 0u, 0u);
	compare("%#.3o|%#.2o|%#o|%#05o|%#-6o|", 8u, 8u, 8u, 8u, 8u);
	compare("%#x|%#X|%#08x|%#-8x|%#.4x|%#8.4x", 255u, 255u, 255u, 255u,
		255u, 255u);
	compare("%05d|%-05d|%05.2d|%+05d|% 05d", -42, -42, -42, 42, 42);
	compare("%0-5d|%-+5d|%+ d|% +d|%#0x", 7, 7, 7, 7, 7u);
	compare("%hhd %hhu %hhx", 300, 300u, 300u);
	compare("%hd %hu %hx", 70000, 70000u, 70000u);
	compare("%hhd %hd", -129, -32769);
	compare("%zu %zx %zd", (size_t)SIZE_MAX, (size_t)0x1234, (size_t)5);
	compare("%td %tx", (ptrdiff_t)PTRDIFF_MIN, (ptrdiff_t)-1);
	compare("%i %5i %-5i|", 12, 34, 56);
	compare("%.20d|%.20llx|%30.25lld", 7, 0xabcULL, (long long)INT64_MIN);
	compare("%00005d|%.05d|%-0010d|", 3, 3, 3);
}

static void test_star(void **state)
{
	(void)state;
	compare("[%*d]", 6, 42);
	compare("[%*d]", -6, 42);
	compare("[%-*d]", -6, 42);
	compare("[%0*d]", -6, 42);
	compare("[%.*d]", 4, 42);
	compare("[%.*d]", -4, 42);
	compare("[%0.*d]", -4, 42);
	compare("[%*.*d]", 8, 4, -42);
	compare("[%*.*x]", -8, 0, 0u);
	compare("[%*d]", 0, 5);
	compare("%*d|%*d|%*d", 1, 2, 3, 4, 5, 6);
}
#pragma GCC diagnostic pop

/* Many arguments, so some of them are read from the stack and some from
 * the register save area, through va_lists passed down two levels. */
static void test_many_arguments(void **state)
{
	(void)state;
	compare("%d %s %lld %c %u %x %ld %s %d %lld %d %llu %s %d %d %d %c", 1,
		"two", 3LL, '4', 5u, 6u, 7L, "eight", 9, 10LL, 11, 12ULL,
		"thirteen", 14, 15, 16, '!');
	compare("%hhd %hd %d %ld %lld %zd %td %hhu %hu %u %lu %llu %zu",
		(signed char)-1, (short)-2, -3, -4L, -5LL, (size_t)6,
		(ptrdiff_t)-7, (unsigned char)8, (unsigned short)9, 10u, 11UL,
		12ULL, (size_t)13);
}

/* Every defined combination of flags, width, precision, length modifier
 * and conversion, over values at each type's edges. */
static const long long values[] = {
	0,
	1,
	-1,
	7,
	-7,
	9,
	10,
	42,
	-42,
	99,
	127,
	-128,
	128,
	255,
	256,
	-129,
	32767,
	-32768,
	65535,
	65536,
	INT_MAX,
	INT_MIN,
	UINT_MAX,
	0x12345678,
	0x123456789abcdefLL,
	INT64_MAX,
	INT64_MIN,
	-0x100000000LL,
};

static const char *const widths[] = {"", "1", "2", "7", "25"};
static const char *const precs[] = {"", ".", ".0", ".1", ".2", ".5", ".24"};
static const char *const lengths[] = {"hh", "h", "", "l", "ll", "z", "t"};

static void compare_signed(const char *fmt, const char *len, long long v)
{
	if (!strcmp(len, "l"))
		compare(fmt, (long)v);
	else if (!strcmp(len, "ll"))
		compare(fmt, v);
	else if (!strcmp(len, "z") || !strcmp(len, "t"))
		compare(fmt, (ptrdiff_t)v);
	else
		compare(fmt, (int)v);
}

static void compare_unsigned(const char *fmt, const char *len, long long v)
{
	if (!strcmp(len, "l"))
		compare(fmt, (unsigned long)v);
	else if (!strcmp(len, "ll"))
		compare(fmt, (unsigned long long)v);
	else if (!strcmp(len, "z") || !strcmp(len, "t"))
		compare(fmt, (size_t)v);
	else
		compare(fmt, (unsigned int)v);
}

/* The flags spelled by the bits of mask, in the order "-0+ #". */
static void flags_string(unsigned int mask, const char *allowed, char *out)
{
	static const char all[] = "-0+ #";
	size_t i;

	for (i = 0; all[i]; i++)
		if ((mask & (1u << i)) && strchr(allowed, all[i]))
			*out++ = all[i];
	*out = '\0';
}

/* One format, e.g. "[%-07.2hhx]", over every value. */
static void sweep_format(char conv, const char *flags, size_t w, size_t p,
			 size_t l)
{
	char fmt[64];
	size_t v;

	snprintf(fmt, sizeof(fmt), "[%%%s%s%s%s%c]", flags, widths[w], precs[p],
		 lengths[l], conv);
	for (v = 0; v < ARRAY_SIZE(values); v++) {
		if (conv == 'd' || conv == 'i')
			compare_signed(fmt, lengths[l], values[v]);
		else
			compare_unsigned(fmt, lengths[l], values[v]);
	}
}

/* Walks flags x width x precision x length as one mixed-radix counter. */
static void sweep_conversion(char conv, const char *allowed_flags)
{
	const size_t nw = ARRAY_SIZE(widths), np = ARRAY_SIZE(precs);
	const size_t nl = ARRAY_SIZE(lengths);
	unsigned int mask;
	char flags[8];
	size_t i;

	for (i = 0; i < 32 * nw * np * nl; i++) {
		mask = (unsigned int)(i % 32);
		flags_string(mask, allowed_flags, flags);
		/* A mask with a flag this conversion does not take repeats
		 * one without it: skip it. */
		if (strlen(flags) != (size_t)__builtin_popcount(mask))
			continue;
		sweep_format(conv, flags, i / 32 % nw, i / 32 / nw % np,
			     i / 32 / nw / np % nl);
	}
}

static void test_sweep_signed(void **state)
{
	(void)state;
	ncompared = 0;
	sweep_conversion('d', "-0+ ");
	sweep_conversion('i', "-0+ ");
	print_message("  %llu signed formats compared\n",
		      (unsigned long long)ncompared);
}

static void test_sweep_unsigned(void **state)
{
	(void)state;
	ncompared = 0;
	sweep_conversion('u', "-0");
	sweep_conversion('x', "-0#");
	sweep_conversion('X', "-0#");
	sweep_conversion('o', "-0#");
	print_message("  %llu unsigned formats compared\n",
		      (unsigned long long)ncompared);
}

static void test_truncation(void **state)
{
	(void)state;
	compare_all_sizes("hello");
	compare_all_sizes("%d", INT_MIN);
	compare_all_sizes("[%-12s|%8.3x]", "abc", 0xbeefu);
	compare_all_sizes("%lld/%#llo/%c", (long long)INT64_MIN, 01234ULL, 'z');
	compare_all_sizes("%*d%%", -20, 99);
	compare_all_sizes("%030lu", 12345UL);
}

static void test_size_zero(void **state)
{
	char buf[4] = {'a', 'b', 'c', 'd'};

	(void)state;
	assert_int_equal(ksnprintf(NULL, 0, "%d", 12345), 5);
	assert_int_equal(ksnprintf(NULL, 0, "%s", ""), 0);
	assert_int_equal(ksnprintf(buf, 0, "%s", "xyz"), 3);
	assert_memory_equal(buf, "abcd", 4);
	assert_int_equal(ksnprintf(buf, 1, "%s", "xyz"), 3);
	assert_int_equal(buf[0], '\0');
	assert_int_equal(buf[1], 'b');
}

/* A width far bigger than the buffer is counted, not written. */
static void test_huge_width(void **state)
{
	char small[16];

	(void)state;
	assert_int_equal(ksnprintf(small, sizeof(small), "%*d", 100000, 1),
			 100000);
	assert_string_equal(small, "               ");
	assert_int_equal(ksnprintf(small, sizeof(small), "%-100000d|", 1),
			 100001);
	assert_string_equal(small, "1              ");
	compare_n(16, "%*d", 100000, 1);
	compare_n(16, "%0*lld", 5000, (long long)INT64_MIN);
}

static void test_pointer(void **state)
{
	(void)state;
	expect("0x0000000000000000", "%p", NULL);
	expect("0x0000000000001234", "%p", (void *)0x1234);
	expect("0xffff800000001000", "%p", (void *)0xffff800000001000ULL);
	expect("[  0x00000000deadbeef]", "[%20p]", (void *)0xdeadbeefULL);
	expect("[0x00000000deadbeef  ]", "[%-20p]", (void *)0xdeadbeefULL);
	expect("[0x00000000deadbeef  ]", "[%*p]", -20, (void *)0xdeadbeefULL);
	expect("0x0000000000000001 7", "%p %d", (void *)1, 7);
}

/* C leaves these undefined; include/format.h defines them for Shade. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat"
#pragma GCC diagnostic ignored "-Wformat-extra-args"
static void test_shade_rules(void **state)
{
	/* volatile: gcc must not see the NULL and warn about it. */
	const char *volatile null_string = NULL;

	(void)state;
	expect("(null)", "%s", null_string);
	expect("[  (null)]", "[%8s]", null_string);
	expect("[(nu]", "[%.3s]", null_string);
	expect("a%qb", "a%qb");
	expect("%-5q7", "%-5q%d", 7);
	expect("%y 5", "%y %d", 5);
	expect("abc%", "abc%");
	expect("abc%-08l", "abc%-08l");
	expect("%", "%");
	expect("x%j", "x%j");
	expect("0x0000000000000010", "%#p", (void *)16);
}
#pragma GCC diagnostic pop

/* kvsnprintf must leave the caller's list usable through va_copy. */
static int format_twice(char *a, char *b, size_t size, const char *fmt,
			va_list ap)
{
	va_list again;
	int n;

	va_copy(again, ap);
	n = kvsnprintf(a, size, fmt, ap);
	kvsnprintf(b, size, fmt, again);
	va_end(again);
	return n;
}

__printf(3, 4) static int format_twice_top(char *a, char *b, const char *fmt,
					   ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = format_twice(a, b, 64, fmt, ap);
	va_end(ap);
	return n;
}

static void test_va_list_passed_down(void **state)
{
	char a[64], b[64];

	(void)state;
	assert_int_equal(format_twice_top(a, b, "%s=%lld,%d,%x", "k",
					  (long long)INT64_MIN, 3, 0xabu),
			 27);
	assert_string_equal(a, "k=-9223372036854775808,3,ab");
	assert_string_equal(b, a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_text),
		cmocka_unit_test(test_strings),
		cmocka_unit_test(test_integers_by_hand),
		cmocka_unit_test(test_star),
		cmocka_unit_test(test_many_arguments),
		cmocka_unit_test(test_sweep_signed),
		cmocka_unit_test(test_sweep_unsigned),
		cmocka_unit_test(test_truncation),
		cmocka_unit_test(test_size_zero),
		cmocka_unit_test(test_huge_width),
		cmocka_unit_test(test_pointer),
		cmocka_unit_test(test_shade_rules),
		cmocka_unit_test(test_va_list_passed_down),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
