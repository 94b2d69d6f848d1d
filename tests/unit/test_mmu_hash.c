// SPDX-License-Identifier: MIT
/*
 * The shadow page cache's key (vmm/include/mmu.h): the role packs into one
 * word whose fields never overlap, so that two different roles never
 * compare equal, and mmu_hash() spreads the gfns guests really use
 * (consecutive frames, page tables allocated 4 KiB or 2 MiB apart) evenly
 * over the buckets, so that a lookup walks a short chain.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "mmu.h"

/* Every combination of the role's fields, as a word. */
#define LEVELS	  4
#define GMODES	  4
#define QUADRANTS 4
#define ACCESSES  8

/* The k-th combination of the role's fields, k < ROLE_COMBINATIONS. */
#define ROLE_COMBINATIONS (LEVELS * GMODES * QUADRANTS * 2 * ACCESSES * 8)

struct fields {
	u32 level, gmode, quadrant, direct, access, wp, nxe, pse;
};

static struct fields nth_fields(u32 k)
{
	struct fields f;

	f.level = 1 + k % LEVELS;
	k /= LEVELS;
	f.gmode = k % GMODES;
	k /= GMODES;
	f.quadrant = k % QUADRANTS;
	k /= QUADRANTS;
	f.direct = k % 2;
	k /= 2;
	f.access = k % ACCESSES;
	k /= ACCESSES;
	f.wp = k & 1;
	f.nxe = (k >> 1) & 1;
	f.pse = (k >> 2) & 1;
	return f;
}

static void test_role_fields_distinct(void **state)
{
	static u8 seen[1 << 14];

	(void)state;
	assert_int_equal(sizeof(union mmu_role), 4);
	memset(seen, 0, sizeof(seen));
	for (u32 k = 0; k < ROLE_COMBINATIONS; k++) {
		struct fields f = nth_fields(k);
		union mmu_role r = {.word = 0};

		r.level = f.level;
		r.gmode = f.gmode;
		r.quadrant = f.quadrant;
		r.direct = f.direct;
		r.access = f.access;
		r.cr0_wp = f.wp;
		r.nxe = f.nxe;
		r.pse = f.pse;
		/* Each field reads back what was stored... */
		assert_int_equal(r.level, f.level);
		assert_int_equal(r.gmode, f.gmode);
		assert_int_equal(r.quadrant, f.quadrant);
		assert_int_equal(r.direct, f.direct);
		assert_int_equal(r.access, f.access);
		assert_int_equal(r.cr0_wp, f.wp);
		assert_int_equal(r.nxe, f.nxe);
		assert_int_equal(r.pse, f.pse);
		/* ...in the low 14 bits, and no two roles share a word. */
		assert_true(r.word < (1u << 14));
		assert_int_equal(seen[r.word], 0);
		seen[r.word] = 1;
	}
}

/* Hash n gfns first, first + stride, ...: the fullest bucket holds at most
 * twice the average (plus a little for small n). */
static void check_spread(u64 first, u64 stride, u32 n)
{
	static u32 load[MMU_HASH_BUCKETS];
	u32 max = 0, avg = (n + MMU_HASH_BUCKETS - 1) / MMU_HASH_BUCKETS;

	memset(load, 0, sizeof(load));
	for (u32 i = 0; i < n; i++) {
		u32 b = mmu_hash(first + (u64)i * stride);

		assert_true(b < MMU_HASH_BUCKETS);
		if (++load[b] > max)
			max = load[b];
	}
	if (max > 2 * avg + 2)
		fail_msg("stride %lu, %u gfns: a bucket holds %u (average %u)",
			 (unsigned long)stride, n, max, avg);
}

static void test_hash_spreads(void **state)
{
	(void)state;
	/* Consecutive frames: a guest's RAM, or its page tables. */
	check_spread(0, 1, 1 << 20);
	check_spread(0x12345, 1, 4096);
	/* Tables 2 MiB apart (one per large page), 1 GiB apart, and odd
	 * strides. */
	check_spread(0, 512, 1 << 16);
	check_spread(0, 1 << 18, 4096);
	check_spread(7, 3, 1 << 16);
	check_spread(1, 1000, 1 << 16);
}

/* Neighbouring gfns (a page table and the next one) rarely share a
 * bucket: no more often than three times chance. */
static void test_neighbours_rarely_collide(void **state)
{
	u32 same = 0;

	(void)state;
	for (u64 g = 0; g < 100000; g++)
		same += mmu_hash(g) == mmu_hash(g + 1);
	assert_true(same < 3 * 100000 / MMU_HASH_BUCKETS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_role_fields_distinct),
		cmocka_unit_test(test_hash_spreads),
		cmocka_unit_test(test_neighbours_rarely_collide),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
