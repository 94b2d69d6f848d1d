// SPDX-License-Identifier: MIT
/*
 * The virtual devices' clocks (vmm/vtime.c): TSC deltas scaled to a
 * device frequency and back, exact to the tick for every 64-bit input,
 * saturating instead of wrapping where the result does not fit.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "vplatform.h"
#include "tsc.h"

static u64 fake_tsc_khz = 2000000; /* a 2 GHz TSC */

u64 tsc_khz(void)
{
	return fake_tsc_khz;
}

/* The exact floor(a * b / c), by 128-bit arithmetic in the test. */
static u64 reference(u64 a, u64 b, u64 c)
{
	unsigned __int128 q = (unsigned __int128)a * b / c;

	return q > ~0ULL ? ~0ULL : (u64)q;
}

static void test_round_numbers(void **state)
{
	(void)state;
	/* One second of a 2 GHz TSC is VPIT-rate ticks, and back. */
	assert_int_equal(vtime_ticks(2000000000ULL, 1193182), 1193182);
	assert_int_equal(vtime_tsc(1193182, 1193182), 2000000000ULL);
	assert_int_equal(vtime_ticks(0, 100000000), 0);
	/* Rounding is down: 19 TSC cycles are 0 ticks of a 100 MHz bus. */
	assert_int_equal(vtime_ticks(19, 100000000), 0);
	assert_int_equal(vtime_ticks(20, 100000000), 1);
}

static void test_no_overflow(void **state)
{
	static const u64 inputs[] = {1,
				     999,
				     0xffffffffULL,
				     0x123456789abcdefULL,
				     0x7fffffffffffffffULL,
				     ~0ULL};
	static const u64 hz[] = {1, 3579545, 1193182, 100000000, 4000000000ULL};
	static const u64 khz[] = {1000, 2000000, 3591234, 1};

	(void)state;
	for (u32 k = 0; k < sizeof(khz) / sizeof(khz[0]); k++) {
		fake_tsc_khz = khz[k];
		for (u32 i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++)
			for (u32 h = 0; h < sizeof(hz) / sizeof(hz[0]); h++) {
				u64 tsc_hz = khz[k] * 1000;

				assert_int_equal(
					vtime_ticks(inputs[i], hz[h]),
					reference(inputs[i], hz[h], tsc_hz));
				assert_int_equal(
					vtime_tsc(inputs[i], hz[h]),
					reference(inputs[i], tsc_hz, hz[h]));
			}
	}
	fake_tsc_khz = 2000000;
}

/* A zero frequency, the device's or the TSC's, saturates instead of
 * dividing by zero (a #DE in Shade); a zero delta is still 0 ticks. */
static void test_zero_divisor(void **state)
{
	(void)state;
	assert_int_equal(vtime_tsc(5, 0), ~0ULL);
	assert_int_equal(vtime_tsc(0, 0), ~0ULL);
	fake_tsc_khz = 0;
	assert_int_equal(vtime_ticks(1000, 1193182), ~0ULL);
	assert_int_equal(vtime_tsc(1000, 1193182), 0);
	fake_tsc_khz = 2000000;
	assert_int_equal(vtime_ticks(1000, 0), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_numbers),
		cmocka_unit_test(test_no_overflow),
		cmocka_unit_test(test_zero_divisor),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
