// SPDX-License-Identifier: MIT
/*
 * Unit tests for the heap (mm/heap.c), built on the host under ASan and
 * UBSan. The heap grows from a test arena that can leave gaps between
 * regions or refuse to grow. Targeted tests cover splitting, merging with
 * each neighbour, first fit, grow sizes, size overflow and the panics for
 * bad frees (caught through host_panic_hook); a long randomized run checks
 * live blocks against a pattern and the free list with heap_check().
 *
 * Links: tests/unit/test_heap.c mm/heap.c tests/unit/host_shim.c.
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
#include "heap.h"
#include "spinlock.h"
#include "host_shim.h"

#define HDR	   16 /* the block header, as mm/heap.c lays it out */
#define ARENA_SIZE (64 * MiB)
#define MAX_REGION 4096

/* The memory behind every test heap, and what grow has handed out. */
static struct {
	char *base;
	u64 used;
	bool fail; /* grow answers -ENOMEM */
	bool gaps; /* leave holes between regions now and then */
	u64 rng;
	u64 last_request;
	u64 granted; /* bytes handed out in regions */
	int calls;
	int nregions;
	int ngroups; /* runs of regions that touch each other */
} arena;

/* xorshift64*: fixed seeds make every failure reproducible. */
static u64 rnd(u64 *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dULL;
}

static u64 below(u64 *s, u64 n)
{
	return rnd(s) % n;
}

static int test_grow(u64 bytes, void **base, u64 *len)
{
	u64 gap = 0;

	arena.calls++;
	arena.last_request = bytes;
	assert_true(bytes >= 64 * KiB && IS_ALIGNED(bytes, PAGE_SIZE));
	if (arena.fail)
		return -ENOMEM;
	if (arena.gaps && arena.nregions && below(&arena.rng, 3) == 0)
		gap = PAGE_SIZE * (1 + below(&arena.rng, 4));
	if (bytes > ARENA_SIZE - arena.used - gap)
		return -ENOMEM;
	if (gap || !arena.nregions)
		arena.ngroups++;
	arena.nregions++;
	arena.used += gap;
	*base = arena.base + arena.used;
	*len = bytes;
	arena.used += bytes;
	arena.granted += bytes;
	return 0;
}

static int setup(void **state)
{
	(void)state;
	memset(&arena, 0, sizeof(arena));
	arena.base = aligned_alloc(PAGE_SIZE, ARENA_SIZE);
	arena.rng = 0x1234abcd5678ef01ULL;
	return arena.base ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	free(arena.base);
	return 0;
}

static bool in_arena(const void *p, size_t size)
{
	const char *c = p;

	return c >= arena.base + HDR && c + size <= arena.base + arena.used;
}

/* What a block for size bytes occupies: header plus payload, 16-aligned,
 * never less than 32 bytes so that a free block has room for its link. */
static u64 block_size(size_t size)
{
	return MAX(ALIGN_UP(size + HDR, 16), 32);
}

static void test_basic(void **state)
{
	struct heap h;
	char *a, *b, *c;

	(void)state;
	heap_init(&h, test_grow);
	assert_int_equal(h.bytes_total, 0);
	assert_int_equal(heap_check(&h), 0);
	a = heap_alloc(&h, 1);
	b = heap_alloc(&h, 100);
	c = heap_alloc(&h, 4096);
	assert_true(a && b && c);
	assert_true(IS_ALIGNED((uintptr_t)a, 16) &&
		    IS_ALIGNED((uintptr_t)b, 16) &&
		    IS_ALIGNED((uintptr_t)c, 16));
	/* First fit from the bottom of one fresh region: back to back. */
	assert_ptr_equal(b, a + 32);
	assert_ptr_equal(c, b + 128);
	assert_int_equal(h.bytes_total, 64 * KiB);
	assert_int_equal(h.bytes_used, 32 + 128 + 4112);
	assert_int_equal(arena.calls, 1);
	memset(a, 1, 1);
	memset(b, 2, 100);
	memset(c, 3, 4096);
	assert_int_equal(heap_check(&h), 1);
	/* heap_check notices a trampled magic in the free tail after c. */
	((u64 *)(c + 4096))[1] ^= 1;
	assert_int_equal(heap_check(&h), -EINVAL);
	((u64 *)(c + 4096))[1] ^= 1;
	heap_free(&h, b);
	heap_free(&h, a);
	heap_free(&h, c);
	heap_free(&h, NULL);
	assert_int_equal(h.bytes_used, 0);
	assert_int_equal(heap_check(&h), 1);
	assert_int_equal(h.lock.owner_cpu, SPIN_NO_OWNER);
}

static void test_zero_size(void **state)
{
	struct heap h;
	void *a, *b;

	(void)state;
	heap_init(&h, test_grow);
	a = heap_alloc(&h, 0);
	b = heap_alloc(&h, 0);
	assert_true(a && b && a != b);
	assert_int_equal(h.bytes_used, 2 * 32);
	heap_free(&h, a);
	heap_free(&h, b);
	assert_int_equal(heap_check(&h), 1);
}

/* Frees the middle block of three in each order: every merge path. */
static void test_coalesce(void **state)
{
	static const int orders[][3] = {{0, 1, 2}, {0, 2, 1}, {1, 0, 2},
					{1, 2, 0}, {2, 0, 1}, {2, 1, 0}};
	struct heap h;
	void *p[4];
	size_t i, j;

	(void)state;
	heap_init(&h, test_grow);
	for (i = 0; i < ARRAY_SIZE(orders); i++) {
		for (j = 0; j < 4; j++)
			p[j] = heap_alloc(&h, 200);
		/* p[3] keeps the three off the tail, so merges are visible. */
		assert_int_equal(heap_check(&h), 1);
		heap_free(&h, p[orders[i][0]]);
		assert_int_equal(heap_check(&h), 2);
		heap_free(&h, p[orders[i][1]]);
		assert_int_equal(heap_check(&h),
				 orders[i][0] + orders[i][1] == 2 ? 3 : 2);
		heap_free(&h, p[orders[i][2]]);
		assert_int_equal(heap_check(&h), 2);
		heap_free(&h, p[3]);
		assert_int_equal(heap_check(&h), 1);
	}
	assert_int_equal(h.bytes_used, 0);
}

static void test_first_fit_and_split(void **state)
{
	struct heap h;
	char *a, *b, *c, *d, *e;

	(void)state;
	heap_init(&h, test_grow);
	a = heap_alloc(&h, 1000);
	b = heap_alloc(&h, 16);
	heap_free(&h, a);
	/* The lowest hole that fits wins, split at the front. */
	c = heap_alloc(&h, 100);
	assert_ptr_equal(c, a);
	d = heap_alloc(&h, 100);
	assert_ptr_equal(d, a + 128);
	/* 1024 - 256 = 768 bytes left in the hole; 752 + 16 fills it. */
	e = heap_alloc(&h, 752);
	assert_ptr_equal(e, a + 256);
	/* A remainder too small to be a block goes with the allocation. */
	heap_free(&h, e);
	e = heap_alloc(&h, 736);
	assert_ptr_equal(e, a + 256);
	assert_int_equal(h.bytes_used, 128 + 128 + 32 + 768);
	heap_free(&h, b);
	heap_free(&h, c);
	heap_free(&h, d);
	heap_free(&h, e);
	assert_int_equal(heap_check(&h), 1);
	assert_int_equal(h.bytes_used, 0);
}

static void test_grow_sizes(void **state)
{
	struct heap h, none;
	void *a, *b;

	(void)state;
	heap_init(&h, test_grow);
	a = heap_alloc(&h, 10);
	assert_int_equal(arena.last_request, 64 * KiB);
	/* Too big for what is left: grow by request + header, 4 KiB up. */
	b = heap_alloc(&h, 100 * KiB);
	assert_non_null(b);
	assert_int_equal(arena.last_request, 104 * KiB);
	assert_int_equal(h.bytes_total, 168 * KiB);
	/* The second region follows the first; the tails merge on free. */
	heap_free(&h, a);
	heap_free(&h, b);
	assert_int_equal(heap_check(&h), 1);

	arena.fail = true;
	assert_null(heap_alloc(&h, 200 * KiB));
	assert_int_equal(h.bytes_total, 168 * KiB);
	assert_int_equal(h.bytes_used, 0);
	assert_non_null(a = heap_alloc(&h, 1000));
	heap_free(&h, a);
	arena.fail = false;

	heap_init(&none, NULL);
	assert_null(heap_alloc(&none, 1));
	assert_int_equal(none.bytes_total, 0);
}

static void test_size_overflow(void **state)
{
	static const size_t sizes[] = {
		SIZE_MAX,	SIZE_MAX - 15,
		SIZE_MAX - HDR, SIZE_MAX - 64 * KiB,
		SIZE_MAX / 2,	ARENA_SIZE,
	};
	struct heap h;
	size_t i;

	(void)state;
	heap_init(&h, test_grow);
	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		arena.last_request = 0;
		assert_null(heap_alloc(&h, sizes[i]));
		/* If grow was asked, it was asked for at least the size. */
		assert_true(!arena.last_request ||
			    arena.last_request >= sizes[i]);
	}
	assert_int_equal(h.bytes_used, 0);
	assert_int_equal(heap_check(&h), 0);
}

/* Regions from grow that touch merge; those with a gap stay apart. */
static void test_regions(void **state)
{
	struct heap h;
	void *p[6];
	int i;

	(void)state;
	heap_init(&h, test_grow);
	for (i = 0; i < 3; i++)
		p[i] = heap_alloc(&h, 60 * KiB);
	assert_int_equal(arena.calls, 3);
	arena.used += PAGE_SIZE;
	for (i = 3; i < 6; i++)
		p[i] = heap_alloc(&h, 60 * KiB);
	assert_int_equal(arena.calls, 6);
	for (i = 0; i < 6; i++)
		heap_free(&h, p[i]);
	assert_int_equal(heap_check(&h), 2);
	assert_int_equal(h.bytes_total, 6 * 64 * KiB);
}

/* A region that is not 16-byte aligned is trimmed to 16-byte edges. */
static int odd_grow(u64 bytes, void **base, u64 *len)
{
	*base = arena.base + 8;
	*len = bytes + 4;
	return 0;
}

static void test_unaligned_region(void **state)
{
	struct heap h;
	void *p;

	(void)state;
	heap_init(&h, odd_grow);
	p = heap_alloc(&h, 5);
	assert_ptr_equal(p, arena.base + 16 + HDR);
	assert_int_equal(h.bytes_total, 64 * KiB - 16);
	heap_free(&h, p);
	assert_int_equal(heap_check(&h), 1);
}

/*
 * expect_panic (tests/unit/host_shim.h), then free the heap's lock: the
 * heap panicked with it held, as Shade would, and the test frees it so
 * that heap_check can show nothing was changed.
 */
#define expect_heap_panic(h, stmt, what)       \
	do {                                   \
		expect_panic(stmt, what);      \
		spin_init(&(h)->lock, "heap"); \
	} while (0)

/* Copies the header of the live block at payload live to at. */
static u64 *forge(char *at, const char *live)
{
	memcpy(at, live - HDR, HDR);
	return (u64 *)at;
}

/*
 * One region: a, b and c of 64 bytes (80-byte blocks) from its start, then
 * the free tail. a is freed, b and c stay live and host the forgeries.
 */
static void test_bad_free(void **state)
{
	struct heap h;
	char *a, *b, *c;
	u64 used;

	(void)state;
	heap_init(&h, test_grow);
	a = heap_alloc(&h, 64);
	b = heap_alloc(&h, 64);
	c = heap_alloc(&h, 64);
	assert_ptr_equal(c, a + 160);
	memset(b, 0, 64);
	heap_free(&h, a);
	used = h.bytes_used;

	expect_heap_panic(&h, heap_free(&h, a), "double free");
	expect_heap_panic(&h, heap_free(&h, b + 8), "misaligned");
	/* Inside a live block: the "header" is zeroed payload. */
	expect_heap_panic(&h, heap_free(&h, b + 32), "not a heap block");
	/* The payload of the free tail block. */
	expect_heap_panic(&h, heap_free(&h, c + 80), "double free");
	/* A live-looking header with an impossible size. */
	forge(b + 16, c)[0] = 8;
	expect_heap_panic(&h, heap_free(&h, b + 32), "corrupt header");
	/* ... or one bigger than all the heap has handed out. */
	forge(b + 16, c)[0] = 1ULL << 40;
	expect_heap_panic(&h, heap_free(&h, b + 32), "corrupt header");
	/* A live-looking header whose block would run into the free tail. */
	forge(c + 16, c);
	expect_heap_panic(&h, heap_free(&h, c + 32), "overlaps a free block");
	/* The same forgery inside the freed a, past its list link. */
	forge(a + 16, c);
	expect_heap_panic(&h, heap_free(&h, a + 32), "overlaps a free block");

	/* Nothing changed, and the real blocks still free cleanly. */
	assert_int_equal(h.bytes_used, used);
	assert_int_equal(heap_check(&h), 2);
	heap_free(&h, b);
	heap_free(&h, c);
	assert_int_equal(heap_check(&h), 1);
	assert_int_equal(h.bytes_used, 0);
}

/* A header swallowed by a merge still reads as freed. */
static void test_double_free_after_merge(void **state)
{
	struct heap h;
	void *x, *y, *z;

	(void)state;
	heap_init(&h, test_grow);
	x = heap_alloc(&h, 40);
	y = heap_alloc(&h, 40);
	z = heap_alloc(&h, 40);
	heap_free(&h, x);
	heap_free(&h, y);
	assert_int_equal(heap_check(&h), 2);
	expect_heap_panic(&h, heap_free(&h, y), "double free");
	heap_free(&h, z);
	assert_int_equal(heap_check(&h), 1);
}

struct live {
	u8 *p;
	size_t size;
	u8 seed;
};

static int by_address(const void *a, const void *b)
{
	const struct live *x = a, *y = b;

	return x->p < y->p ? -1 : x->p > y->p;
}

static size_t random_size(u64 *rng)
{
	u64 r = below(rng, 100);

	if (r < 60)
		return below(rng, 65);
	if (r < 90)
		return 65 + below(rng, 960);
	if (r < 99)
		return 1024 + below(rng, 7 * 1024);
	return 8 * KiB + below(rng, 192 * KiB);
}

/* Blocks, headers included, must not overlap: sort and compare. */
static void check_no_overlap(struct live *l, size_t n)
{
	size_t i;

	qsort(l, n, sizeof(*l), by_address);
	for (i = 1; i < n; i++)
		assert_true(l[i - 1].p + l[i - 1].size <= l[i].p - HDR);
}

static void check_pattern(const struct live *l)
{
	size_t i;

	for (i = 0; i < l->size; i++)
		if (l->p[i] != (u8)(l->seed + i))
			fail_msg("block %p byte %zu: %#x, expected %#x",
				 (void *)l->p, i, l->p[i], (u8)(l->seed + i));
}

static void random_alloc(struct heap *h, struct live *l, u64 *rng)
{
	size_t i;

	l->size = random_size(rng);
	l->p = heap_alloc(h, l->size);
	assert_non_null(l->p);
	assert_true(IS_ALIGNED((uintptr_t)l->p, 16));
	assert_true(in_arena(l->p, l->size));
	l->seed = (u8)rnd(rng);
	for (i = 0; i < l->size; i++)
		l->p[i] = (u8)(l->seed + i);
}

#define RANDOM_OPS  200000
#define RANDOM_LIVE 2000

static void test_random(void **state)
{
	static struct live live[RANDOM_LIVE];
	u64 rng = 0xfeedface0ddba11ULL, need = 0;
	size_t n = 0, i;
	struct heap h;
	int op;

	(void)state;
	arena.gaps = true;
	heap_init(&h, test_grow);
	for (op = 0; op < RANDOM_OPS; op++) {
		if (n < RANDOM_LIVE && (n == 0 || below(&rng, 100) < 52)) {
			random_alloc(&h, &live[n], &rng);
			need += block_size(live[n++].size);
		} else {
			i = below(&rng, n);
			check_pattern(&live[i]);
			heap_free(&h, live[i].p);
			need -= block_size(live[i].size);
			live[i] = live[--n];
		}
		/* A block may keep a 16-byte remainder too small to split. */
		assert_true(h.bytes_used >= need &&
			    h.bytes_used <= need + 16 * n);
		if (op % 1000 == 0) {
			assert_true(heap_check(&h) >= 0);
			check_no_overlap(live, n);
		}
	}
	while (n)
		heap_free(&h, live[--n].p);
	assert_int_equal(h.bytes_used, 0);
	assert_int_equal(h.bytes_total, arena.granted);
	assert_int_equal(heap_check(&h), arena.ngroups);
	print_message("random: %d ops, %d regions in %d groups, %llu KiB\n",
		      RANDOM_OPS, arena.nregions, arena.ngroups,
		      (unsigned long long)(h.bytes_total / KiB));
}

#define HEAP_TEST(t) cmocka_unit_test_setup_teardown(t, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		HEAP_TEST(test_basic),
		HEAP_TEST(test_zero_size),
		HEAP_TEST(test_coalesce),
		HEAP_TEST(test_first_fit_and_split),
		HEAP_TEST(test_grow_sizes),
		HEAP_TEST(test_size_overflow),
		HEAP_TEST(test_regions),
		HEAP_TEST(test_unaligned_region),
		HEAP_TEST(test_bad_free),
		HEAP_TEST(test_double_free_after_merge),
		HEAP_TEST(test_random),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
