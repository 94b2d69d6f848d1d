// SPDX-License-Identifier: MIT
/*
 * Unit tests for the frame allocator (mm/pmm.c), built on the host under
 * ASan and UBSan. Targeted tests pin down the rules for messy memory maps,
 * reserved ranges, bad frees, alignment, limits and the bitmap's home; a
 * long randomized run checks every call against a per-frame model, which
 * also predicts exactly which run the allocator must pick (the lowest one
 * at or above 1 MiB, else the lowest one below). (A little past 800
 * lines: the model and the targeted tests share the map builders.)
 *
 * Links: tests/unit/test_pmm.c mm/pmm.c tests/unit/host_shim.c.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "types.h"
#include "errno.h"
#include "pmm.h"

typedef unsigned __int128 u128;

#define LOW_FRAMES 256 /* 1 MiB: where the allocator looks first */

enum { ST_NONE, ST_FREE, ST_USED };

static struct mem_range entry(u64 base, u64 len, u32 type)
{
	return (struct mem_range){.base = base, .len = len, .type = type};
}

static struct mem_range avail(u64 base, u64 len)
{
	return entry(base, len, MEM_AVAILABLE);
}

static struct mem_range rsvd(u64 base, u64 len)
{
	return entry(base, len, MEM_RESERVED);
}

static u64 *bitmap_for(const struct mem_range *map, u32 nmap)
{
	u64 bytes = pmm_bitmap_bytes(map, nmap);
	u64 *bm = malloc(bytes ? bytes : 8);

	assert_non_null(bm);
	/* Garbage, so that a bitmap pmm_init forgets to clear shows up. */
	memset(bm, 0xa5, bytes ? bytes : 8);
	return bm;
}

static int init(struct pmm *p, const struct mem_range *map, u32 nmap,
		const struct mem_range *res, u32 nres)
{
	return pmm_init(p, map, nmap, res, nres, bitmap_for(map, nmap));
}

static bool bit_free(const struct pmm *p, u64 f)
{
	return p->bitmap[f / 64] & BIT(f % 64);
}

/*
 * The rule, written the obvious way with 128-bit arithmetic so nothing
 * wraps: frame f is usable if some sane available entry holds all of it
 * and no other entry or reserved range touches it.
 */
static bool ref_usable(const struct mem_range *map, u32 nmap,
		       const struct mem_range *res, u32 nres, u64 f)
{
	u128 lo = (u128)f << 12, hi = lo + 4096;
	bool in = false;
	u32 i;

	if (f == 0 || hi > (u128)1 << 52)
		return false;
	for (i = 0; i < nmap; i++) {
		u128 b = map[i].base, e = b + map[i].len;

		if (map[i].len == 0)
			continue;
		if (map[i].type == MEM_AVAILABLE) {
			if (e <= (u128)UINT64_MAX && b <= lo && hi <= e)
				in = true;
		} else if (b < hi && lo < e) {
			return false;
		}
	}
	for (i = 0; i < nres; i++) {
		u128 b = res[i].base, e = b + res[i].len;

		if (res[i].len && b < hi && lo < e)
			return false;
	}
	return in;
}

/* Asserts that the bitmap says exactly what ref_usable says. */
static void check_against_ref(const struct pmm *p, const struct mem_range *map,
			      u32 nmap, const struct mem_range *res, u32 nres)
{
	u64 f, n = 0;

	for (f = 0; f < p->nframes; f++) {
		bool want = ref_usable(map, nmap, res, nres, f);

		if (bit_free(p, f) != want)
			fail_msg("frame %#llx: bitmap %d, reference %d",
				 (unsigned long long)f, bit_free(p, f), want);
		n += want;
	}
	assert_int_equal(p->total_frames, n);
	assert_int_equal(p->free_frames, n);
}

static void test_bitmap_bytes(void **state)
{
	struct mem_range one_mib[] = {avail(0, 0x100000)};
	struct mem_range ragged[] = {avail(0x1000, 0x100fff - 0x1000),
				     rsvd(0, 0x10000000)};
	struct mem_range absurd[] = {
		avail(0, 0x41000),		   /* the only sane entry */
		avail(0x500000, 0),		   /* empty */
		avail(UINT64_MAX - 0xfff, 0x3000), /* wraps */
		avail(1ULL << 52, 0x1000),	   /* beyond MAXPHYADDR */
	};
	struct mem_range none[] = {rsvd(0, 0x100000)};

	(void)state;
	assert_int_equal(pmm_bitmap_bytes(NULL, 0), 0);
	assert_int_equal(pmm_bitmap_bytes(none, 1), 0);
	assert_int_equal(pmm_bitmap_bytes(one_mib, 1), 256 / 8);
	/* 0x100fff holds 256 whole frames; a reserved entry adds nothing. */
	assert_int_equal(pmm_bitmap_bytes(ragged, 2), 256 / 8);
	/* 0x41 frames need two words. */
	assert_int_equal(pmm_bitmap_bytes(absurd, ARRAY_SIZE(absurd)), 16);
}

static void test_messy_map(void **state)
{
	struct mem_range map[] = {
		avail(0x200000, 0x100000), /* 2-3 MiB, listed first */
		avail(0x1800, 0x3000),	   /* unaligned: frames 2 and 3 only */
		avail(0x100000, 0x180000), /* overlaps the first */
		rsvd(0x250000, 0x1000),	   /* a hole inside */
		entry(0x260800, 0x10, MEM_ACPI_NVS), /* tiny */
		entry(0x270000, 0x1000, 77),	     /* unknown */
		avail(0x400000, 0),		     /* empty */
		avail(UINT64_MAX - 0xfff, 0x2000),   /* wraps */
		avail(1ULL << 52, 0x100000),	     /* past MAXPHYADDR */
	};
	struct pmm p;

	(void)state;
	assert_int_equal(init(&p, map, ARRAY_SIZE(map), NULL, 0), 0);
	assert_int_equal(p.nframes, 0x300);
	/* 2 low frames + 0x100..0x2ff minus the three holes. */
	assert_int_equal(p.total_frames, 2 + 0x200 - 3);
	assert_true(bit_free(&p, 2) && bit_free(&p, 3));
	assert_false(bit_free(&p, 1) || bit_free(&p, 4));
	assert_false(bit_free(&p, 0x250) || bit_free(&p, 0x260));
	assert_false(bit_free(&p, 0x270));
	assert_true(bit_free(&p, 0x24f) && bit_free(&p, 0x251));
	assert_true(bit_free(&p, 0x2ff)); /* the last bit of the last word */
	check_against_ref(&p, map, ARRAY_SIZE(map), NULL, 0);
	free(p.bitmap);
}

static void test_reserved_ranges(void **state)
{
	struct mem_range map[] = {avail(0, 0x800000)};
	struct mem_range res[] = {
		{.base = 0x100800, .len = 0x1000},   /* touches two frames */
		{.base = 0x200000, .len = 0},	     /* empty: ignored */
		{.base = 0x300fff, .len = 1},	     /* one byte */
		{.base = 0x7ff000, .len = 0x100000}, /* runs off the map */
		{.base = 0x10000000, .len = 0x1000}, /* outside the map */
	};
	struct mem_range wrap[] = {{.base = 0x400000, .len = UINT64_MAX}};
	struct pmm p;

	(void)state;
	assert_int_equal(init(&p, map, 1, res, ARRAY_SIZE(res)), 0);
	assert_false(bit_free(&p, 0x100) || bit_free(&p, 0x101));
	assert_true(bit_free(&p, 0xff) && bit_free(&p, 0x102));
	assert_true(bit_free(&p, 0x200));
	assert_false(bit_free(&p, 0x300));
	assert_false(bit_free(&p, 0x7ff));
	assert_int_equal(p.total_frames, 0x800 - 1 - 2 - 1 - 1);
	check_against_ref(&p, map, 1, res, ARRAY_SIZE(res));
	free(p.bitmap);

	/* A reserved range that wraps blocks everything from its base up. */
	assert_int_equal(init(&p, map, 1, wrap, 1), 0);
	assert_int_equal(p.total_frames, 0x400 - 1);
	check_against_ref(&p, map, 1, wrap, 1);
	free(p.bitmap);
}

static void test_frame_zero(void **state)
{
	struct mem_range map[] = {avail(0, 0x10000)};
	struct mem_range only_zero[] = {avail(0, 0x1000)};
	struct pmm p;
	hpa_t pa;
	int i;

	(void)state;
	assert_int_equal(init(&p, map, 1, NULL, 0), 0);
	assert_false(bit_free(&p, 0));
	assert_int_equal(p.total_frames, 15);
	for (i = 0; i < 15; i++) {
		assert_int_equal(pmm_alloc_frame(&p, &pa), 0);
		assert_true(pa != 0);
	}
	assert_int_equal(pmm_alloc_frame(&p, &pa), -ENOMEM);
	assert_int_equal(pmm_free(&p, 0, 1), -EINVAL);
	assert_int_equal(pmm_free(&p, 0, 2), -EINVAL);
	assert_int_equal(p.free_frames, 0);
	free(p.bitmap);

	assert_int_equal(init(&p, only_zero, 1, NULL, 0), -EINVAL);
	free(p.bitmap);
}

static void test_nothing_free(void **state)
{
	struct mem_range map[] = {avail(0x100000, 0x100000)};
	struct mem_range all[] = {{.base = 0xff000, .len = 0x102000}};
	struct pmm p;
	hpa_t pa;

	(void)state;
	assert_int_equal(init(&p, NULL, 0, NULL, 0), -EINVAL);
	assert_int_equal(p.nframes, 0);
	assert_int_equal(pmm_alloc_frame(&p, &pa), -ENOMEM);
	assert_int_equal(pmm_free(&p, 0x1000, 1), -EINVAL);
	free(p.bitmap);

	assert_int_equal(init(&p, map, 1, all, 1), -EINVAL);
	assert_int_equal(p.free_frames, 0);
	free(p.bitmap);
}

static void test_double_free(void **state)
{
	struct mem_range map[] = {avail(0x100000, 0x100000)};
	struct pmm p;
	hpa_t a, b;

	(void)state;
	assert_int_equal(init(&p, map, 1, NULL, 0), 0);
	assert_int_equal(pmm_alloc(&p, 4, 1, 0, &a), 0);
	assert_int_equal(pmm_alloc(&p, 4, 1, 0, &b), 0);
	assert_int_equal(b, a + 4 * PAGE_SIZE);
	assert_int_equal(pmm_free(&p, a, 4), 0);
	assert_int_equal(pmm_free(&p, a, 4), -EINVAL);
	assert_int_equal(pmm_free(&p, a + PAGE_SIZE, 1), -EINVAL);
	/* Half still in use, half already free: nothing may change. */
	assert_int_equal(pmm_free(&p, a + 2 * PAGE_SIZE, 4), -EINVAL);
	assert_false(bit_free(&p, b >> PAGE_SHIFT));
	assert_int_equal(p.free_frames, p.total_frames - 4);
	assert_int_equal(pmm_free(&p, b, 4), 0);
	assert_int_equal(p.free_frames, p.total_frames);
	free(p.bitmap);
}

static void test_bad_free(void **state)
{
	struct mem_range map[] = {avail(0, 0x200000)};
	struct mem_range res[] = {{.base = 0x180000, .len = 0x1000}};
	struct pmm p;
	hpa_t pa;

	(void)state;
	assert_int_equal(init(&p, map, 1, res, 1), 0);
	/* Nothing is out, so not even the reserved frame can come back. */
	assert_int_equal(pmm_free(&p, 0x180000, 1), -EINVAL);
	assert_int_equal(pmm_alloc(&p, 8, 1, 0, &pa), 0);
	assert_int_equal(pmm_free(&p, 0x200000, 1), -EINVAL); /* past end */
	assert_int_equal(pmm_free(&p, pa, UINT64_MAX), -EINVAL);
	assert_int_equal(pmm_free(&p, pa, 0x200), -EINVAL); /* runs off */
	assert_int_equal(pmm_free(&p, UINT64_MAX & PAGE_MASK, 2), -EINVAL);
	assert_int_equal(pmm_free(&p, pa + 1, 1), -EINVAL); /* unaligned */
	assert_int_equal(pmm_free(&p, pa, 0), -EINVAL);
	assert_int_equal(pmm_alloc(&p, 0, 1, 0, &pa), -EINVAL);
	assert_int_equal(p.free_frames, p.total_frames - 8);
	assert_int_equal(pmm_free(&p, pa, 8), 0);
	assert_int_equal(p.free_frames, p.total_frames);
	free(p.bitmap);
}

static void test_exhaustion(void **state)
{
	struct mem_range map[] = {avail(0x1000, 0x9f000),
				  avail(0x100000, 0x300000)};
	struct pmm p;
	hpa_t pa, *got;
	u64 i, n;

	(void)state;
	assert_int_equal(init(&p, map, 2, NULL, 0), 0);
	n = p.total_frames;
	assert_int_equal(n, 0x9f + 0x300);
	got = calloc(n, sizeof(*got));
	for (i = 0; i < n; i++) {
		assert_int_equal(pmm_alloc_frame(&p, &got[i]), 0);
		/* Lowest first, but low memory only once the rest is gone. */
		if (i < 0x300)
			assert_int_equal(got[i], 0x100000 + i * PAGE_SIZE);
		else
			assert_int_equal(got[i], (i - 0x300 + 1) * PAGE_SIZE);
	}
	assert_int_equal(p.free_frames, 0);
	assert_int_equal(pmm_alloc_frame(&p, &pa), -ENOMEM);
	assert_int_equal(pmm_alloc(&p, 2, 1, 0, &pa), -ENOMEM);
	for (i = 0; i < n; i++)
		assert_int_equal(pmm_free(&p, got[n - 1 - i], 1), 0);
	assert_int_equal(p.free_frames, n);
	/* The hint came back down with the frees. */
	assert_int_equal(pmm_alloc_frame(&p, &pa), 0);
	assert_int_equal(pa, 0x100000);
	assert_int_equal(pmm_alloc(&p, n, 1, 0, &pa), -ENOMEM);
	assert_int_equal(pmm_alloc(&p, 0x300 - 1, 1, 0, &pa), 0);
	assert_int_equal(pa, 0x101000);
	free(got);
	free(p.bitmap);
}

static void test_align_512(void **state)
{
	struct mem_range map[] = {avail(0x101000, 0xb00000 - 0x101000)};
	struct pmm p;
	hpa_t pa;
	int i;

	(void)state;
	assert_int_equal(init(&p, map, 1, NULL, 0), 0);
	/* Runs can start at 2, 4, 6 and 8 MiB; 10 MiB has no room left. */
	for (i = 1; i <= 4; i++) {
		assert_int_equal(pmm_alloc(&p, 512, 512, 0, &pa), 0);
		assert_int_equal(pa, i * 2 * MiB);
	}
	assert_int_equal(pmm_alloc(&p, 512, 512, 0, &pa), -ENOMEM);
	/* Frame 0x100 is not in the map, so 1 MiB alignment finds 10 MiB. */
	assert_int_equal(pmm_alloc(&p, 1, 256, 0, &pa), 0);
	assert_int_equal(pa, 10 * MiB);
	assert_int_equal(pmm_alloc(&p, 2, 3, 0, &pa), 0);
	assert_int_equal(pa, 0x102000); /* frame 0x102 is a multiple of 3 */
	assert_int_equal(p.free_frames, p.total_frames - 4 * 512 - 3);
	/* A huge alignment fits nowhere and must not wrap around. */
	assert_int_equal(pmm_alloc(&p, 1, UINT64_MAX, 0, &pa), -ENOMEM);
	assert_int_equal(pmm_alloc(&p, 1, 1ULL << 63, 0, &pa), -ENOMEM);
	free(p.bitmap);
}

static void test_limit(void **state)
{
	struct mem_range map[] = {avail(0x1000, 0x9f000),
				  avail(0x100000, 0x1000000)};
	struct pmm p;
	hpa_t pa;
	int i;

	(void)state;
	assert_int_equal(init(&p, map, 2, NULL, 0), 0);
	/* The AP trampoline: one frame below 1 MiB, the lowest there. */
	assert_int_equal(pmm_alloc(&p, 1, 1, 1 * MiB, &pa), 0);
	assert_int_equal(pa, 0x1000);
	assert_int_equal(pmm_alloc(&p, 4, 1, 1 * MiB, &pa), 0);
	assert_int_equal(pa, 0x2000);
	/* A limit that is not page aligned only counts whole frames. */
	assert_int_equal(pmm_alloc(&p, 1, 1, 0x7fff, &pa), 0);
	assert_int_equal(pa, 0x6000);
	assert_int_equal(pmm_alloc(&p, 1, 1, 0x7fff, &pa), -ENOMEM);
	assert_int_equal(pmm_alloc(&p, 1, 1, 0xfff, &pa), -ENOMEM);
	for (i = 0; i < 0x9f - 6; i++) {
		assert_int_equal(pmm_alloc(&p, 1, 1, 1 * MiB, &pa), 0);
		assert_true(pa + PAGE_SIZE <= 1 * MiB);
	}
	assert_int_equal(pmm_alloc(&p, 1, 1, 1 * MiB, &pa), -ENOMEM);
	assert_int_equal(pmm_alloc(&p, 1, 1, 4 * GiB, &pa), 0);
	assert_int_equal(pa, 0x100000);
	assert_int_equal(pmm_alloc(&p, 512, 512, 0x600000, &pa), 0);
	assert_int_equal(pa, 0x200000);
	/* The next 2 MiB run ends at 6 MiB: one byte short is too short. */
	assert_int_equal(pmm_alloc(&p, 512, 512, 0x5fffff, &pa), -ENOMEM);
	assert_int_equal(pmm_alloc(&p, 512, 512, 0x600000, &pa), 0);
	assert_int_equal(pa, 0x400000);
	assert_int_equal(pmm_alloc(&p, 512, 512, 0x600000, &pa), -ENOMEM);
	free(p.bitmap);
}

static void test_lock_taken(void **state)
{
	struct mem_range map[] = {avail(0, 0x400000)};
	struct pmm p;
	hpa_t pa;
	u32 t;

	(void)state;
	assert_int_equal(init(&p, map, 1, NULL, 0), 0);
	t = p.lock.next;
	assert_int_equal(pmm_alloc_frame(&p, &pa), 0);
	assert_int_equal(pmm_alloc(&p, 9, 4, 0, &pa), 0);
	assert_int_equal(pmm_alloc(&p, 1, 1, 0x1000, &pa), -ENOMEM);
	assert_int_equal(pmm_free(&p, pa, 9), 0);
	assert_int_equal(pmm_free(&p, pa, 9), -EINVAL);
	assert_int_equal(p.lock.next, t + 5);
	assert_int_equal(p.lock.owner_ticket, p.lock.next);
	assert_int_equal(p.lock.owner_cpu, SPIN_NO_OWNER);
	free(p.bitmap);
}

static void test_find_home(void **state)
{
	struct mem_range map[] = {
		avail(0x1000, 0x9f000),
		avail(0x1400000, 0x400000), /* 20-24 MiB, listed early */
		avail(0x100000, 0xf00000),  /* 1-16 MiB */
		avail(0x1000000, 0x400000), /* 16-20 MiB: adjacent */
		rsvd(0x600000, 0x1000),
	};
	struct mem_range res[] = {
		{.base = 0x100000, .len = 0x4800}, /* Shade, unaligned */
		{.base = 0x200000, .len = 0x1000}, /* a module */
	};
	u32 nmap = ARRAY_SIZE(map), nres = ARRAY_SIZE(res);
	hpa_t pa;

	(void)state;
	/* Never below 1 MiB, even though low memory is free. */
	assert_int_equal(pmm_find_home(map, nmap, res, nres, 0x3000, &pa), 0);
	assert_int_equal(pa, 0x105000);
	assert_int_equal(pmm_find_home(map, nmap, NULL, 0, 1, &pa), 0);
	assert_int_equal(pa, 0x100000);
	/* Too big for the gap before the module. */
	assert_int_equal(pmm_find_home(map, nmap, res, nres, 0x100000, &pa), 0);
	assert_int_equal(pa, 0x201000);
	/* Skips the reserved map entry at 6 MiB. */
	assert_int_equal(pmm_find_home(map, nmap, res, nres, 0x500000, &pa), 0);
	assert_int_equal(pa, 0x601000);
	/* Spans the adjacent entries at 16 and 20 MiB. */
	assert_int_equal(pmm_find_home(map, nmap, res, nres, 0xc00000, &pa), 0);
	assert_int_equal(pa, 0x601000);
	assert_int_equal(pmm_find_home(map, nmap, res, nres, 0x1200000, &pa),
			 -ENOMEM);
	assert_int_equal(pmm_find_home(map, nmap, res, nres, UINT64_MAX, &pa),
			 -ENOMEM);
	assert_int_equal(pmm_find_home(map, nmap, res, nres, 0, &pa), -EINVAL);
	assert_int_equal(pmm_find_home(map, 1, NULL, 0, 1, &pa), -ENOMEM);
}

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

struct world {
	struct mem_range map[16], res[4];
	u32 nmap, nres;
};

/* A random small machine: up to about 10 MiB, messy map, a few holes. */
static void gen_world(struct world *w, u64 *rng)
{
	u64 span = (512 + below(rng, 2048)) * PAGE_SIZE;
	u32 i, n = 2 + below(rng, 7);

	w->nmap = 0;
	if (below(rng, 2))
		w->map[w->nmap++] = avail(0x1000, 0x9f000);
	for (i = 0; i < n; i++) {
		struct mem_range *r = &w->map[w->nmap++];
		bool avail = below(rng, 10) < 7;

		r->type = avail ? MEM_AVAILABLE : 2 + below(rng, 6);
		r->base = below(rng, span);
		r->len = 1 + below(rng, avail ? span / 2 : 16 * PAGE_SIZE);
		if (below(rng, 2)) {
			r->base &= PAGE_MASK;
			r->len = ALIGN_UP(r->len, PAGE_SIZE);
		}
	}
	if (below(rng, 8) == 0)
		w->map[w->nmap++] = avail(span / 2, 0);
	if (below(rng, 8) == 0)
		w->map[w->nmap++] = avail(UINT64_MAX - 0xfff, 0x3000);
	if (below(rng, 16) == 0)
		w->map[w->nmap++] = rsvd(span, UINT64_MAX);
	w->nres = below(rng, 4);
	for (i = 0; i < w->nres; i++) {
		w->res[i].base = below(rng, span);
		w->res[i].len = below(rng, 8 * PAGE_SIZE);
		w->res[i].type = 0;
	}
}

struct model {
	struct world w;
	struct pmm p;
	u8 *st; /* ST_* per frame */
	u64 nfree;
	u64 (*live)[2]; /* first frame, count */
	u64 nlive;
	u64 rng;
	u64 n_ok, n_nomem, n_free, n_bad; /* what the run exercised */
};

static u64 round_up(u64 x, u64 a)
{
	return (x + a - 1) / a * a;
}

/* Lowest s in [lo, hi), a multiple of align, with [s, s + n) free below
 * end. Skipping past the first used frame j loses nothing: no run that
 * starts at or before j can contain it. */
static bool ref_find(const struct model *m, u64 lo, u64 hi, u64 end, u64 n,
		     u64 align, u64 *out)
{
	u64 s = round_up(lo, align), j;

	while (s < hi && s + n <= end) {
		for (j = s; j < s + n && m->st[j] == ST_FREE; j++)
			;
		if (j == s + n) {
			*out = s;
			return true;
		}
		s = round_up(j + 1, align);
	}
	return false;
}

static void mark(struct model *m, u64 first, u64 n, int from, int to)
{
	u64 f;

	for (f = first; f < first + n; f++) {
		assert_int_equal(m->st[f], from);
		m->st[f] = to;
	}
	m->nfree += to == ST_FREE ? n : -n;
}

static void new_model(struct model *m)
{
	u64 f;

	for (;;) {
		gen_world(&m->w, &m->rng);
		if (!init(&m->p, m->w.map, m->w.nmap, m->w.res, m->w.nres))
			break;
		free(m->p.bitmap);
	}
	check_against_ref(&m->p, m->w.map, m->w.nmap, m->w.res, m->w.nres);
	m->st = calloc(m->p.nframes, 1);
	m->live = calloc(m->p.nframes, sizeof(*m->live));
	m->nlive = 0;
	m->nfree = 0;
	for (f = 0; f < m->p.nframes; f++)
		if (bit_free(&m->p, f)) {
			m->st[f] = ST_FREE;
			m->nfree++;
		}
}

static void free_model(struct model *m)
{
	free(m->st);
	free(m->live);
	free(m->p.bitmap);
}

/* Mostly single frames, some short runs, a few long and 2 MiB ones. */
static u64 random_count(u64 *rng)
{
	u64 r = below(rng, 100);

	if (r < 70)
		return 1;
	if (r < 90)
		return 1 + below(rng, 16);
	if (r < 98)
		return 17 + below(rng, 112);
	return 512;
}

static void op_alloc(struct model *m)
{
	static const u64 aligns[] = {1, 1, 1, 1, 2, 3, 4, 8, 64, 512};
	u64 n, align, limit = 0, end, want = 0, pa;
	bool ok;
	int ret;

	n = random_count(&m->rng);
	align = aligns[below(&m->rng, ARRAY_SIZE(aligns))];
	if (below(&m->rng, 2))
		limit = below(&m->rng, m->p.nframes * PAGE_SIZE + 0x10000);
	else if (below(&m->rng, 4) == 0)
		limit = 1 * MiB;
	end = limit ? MIN(m->p.nframes, limit >> PAGE_SHIFT) : m->p.nframes;

	ok = ref_find(m, LOW_FRAMES, UINT64_MAX, end, n, align, &want) ||
	     ref_find(m, 0, LOW_FRAMES, end, n, align, &want);
	ret = pmm_alloc(&m->p, n, align, limit, &pa);
	if (!ok) {
		assert_int_equal(ret, -ENOMEM);
		m->n_nomem++;
		return;
	}
	assert_int_equal(ret, 0);
	m->n_ok++;
	assert_int_equal(pa, want << PAGE_SHIFT);
	assert_int_equal((pa >> PAGE_SHIFT) % align, 0);
	assert_true(!limit || pa + n * PAGE_SIZE <= limit);
	mark(m, want, n, ST_FREE, ST_USED);
	m->live[m->nlive][0] = want;
	m->live[m->nlive][1] = n;
	m->nlive++;
}

/* Frees a live run, now and then only its front half. */
static void op_free(struct model *m)
{
	u64 i = below(&m->rng, m->nlive), first = m->live[i][0];
	u64 n = m->live[i][1], k = n;

	if (n > 1 && below(&m->rng, 5) == 0)
		k = n / 2;
	assert_int_equal(pmm_free(&m->p, first << PAGE_SHIFT, k), 0);
	m->n_free++;
	mark(m, first, k, ST_USED, ST_FREE);
	if (k < n) {
		m->live[i][0] += k;
		m->live[i][1] -= k;
	} else {
		m->live[i][0] = m->live[--m->nlive][0];
		m->live[i][1] = m->live[m->nlive][1];
	}
}

/*
 * A free the model says is wrong must fail and change nothing. The bitmap
 * cannot tell a reserved frame from one in use, so the wrong frees tried
 * are those that reach frame 0, a free frame or past the end.
 */
static void op_bad_free(struct model *m)
{
	u64 first = below(&m->rng, m->p.nframes + 8), n = 1 + below(&m->rng, 4);
	u64 f, free_before = m->p.free_frames;
	bool wrong = first == 0 || first + n > m->p.nframes;

	for (f = first; !wrong && f < first + n; f++)
		wrong = m->st[f] == ST_FREE;
	if (!wrong)
		return;
	assert_int_equal(pmm_free(&m->p, first << PAGE_SHIFT, n), -EINVAL);
	assert_int_equal(m->p.free_frames, free_before);
	m->n_bad++;
	for (f = first; f < first + n && f < m->p.nframes; f++)
		assert_int_equal(bit_free(&m->p, f), m->st[f] == ST_FREE);
}

static void check_model(const struct model *m)
{
	u64 f, nw = DIV_ROUND_UP(m->p.nframes, 64);

	for (f = 0; f < m->p.nframes; f++)
		assert_int_equal(bit_free(&m->p, f), m->st[f] == ST_FREE);
	for (f = m->p.nframes; f < nw * 64; f++)
		assert_false(bit_free(&m->p, f));
}

static void test_random(void **state)
{
	struct model m = {.rng = 0x5eed5eed12345678ULL};
	int world, op;

	(void)state;
	for (world = 0; world < 40; world++) {
		new_model(&m);
		for (op = 0; op < 5000; op++) {
			u64 r = below(&m.rng, 100);

			if (m.nlive && (r < 40 || (r < 60 && m.nfree < 64)))
				op_free(&m);
			else if (r < 90)
				op_alloc(&m);
			else
				op_bad_free(&m);
			assert_int_equal(m.p.free_frames, m.nfree);
			assert_int_equal(m.p.lock.owner_cpu, SPIN_NO_OWNER);
			if (op % 500 == 0)
				check_model(&m);
		}
		while (m.nlive)
			op_free(&m);
		check_model(&m);
		assert_int_equal(m.p.free_frames, m.p.total_frames);
		free_model(&m);
	}
	print_message("random: %llu allocations, %llu -ENOMEM, %llu frees, "
		      "%llu bad frees\n",
		      (unsigned long long)m.n_ok, (unsigned long long)m.n_nomem,
		      (unsigned long long)m.n_free,
		      (unsigned long long)m.n_bad);
}

/* The lowest f >= 1 MiB starting n usable frames, by brute force. */
static u64 ref_home(const struct world *w, u64 n)
{
	u64 top = pmm_bitmap_bytes(w->map, w->nmap) * 8, f, run = 0;

	for (f = 0; f < top; f++) {
		if (f < LOW_FRAMES ||
		    !ref_usable(w->map, w->nmap, w->res, w->nres, f))
			run = 0;
		else if (++run == n)
			return f + 1 - n;
	}
	return 0;
}

static void test_find_home_random(void **state)
{
	u64 rng = 0x0badc0ffee15600dULL, n, want;
	struct world w;
	hpa_t pa;
	int i, ret;

	(void)state;
	for (i = 0; i < 1000; i++) {
		gen_world(&w, &rng);
		n = 1 + below(&rng, 64);
		want = ref_home(&w, n);
		ret = pmm_find_home(w.map, w.nmap, w.res, w.nres,
				    n * PAGE_SIZE - below(&rng, PAGE_SIZE),
				    &pa);
		if (!want) {
			assert_int_equal(ret, -ENOMEM);
			continue;
		}
		assert_int_equal(ret, 0);
		assert_int_equal(pa, want << PAGE_SHIFT);
	}
}

/* 64 GiB, almost all in use: aligned searches must skip whole words. */
static void test_large_map(void **state)
{
	struct mem_range map[] = {avail(0x100000, 64 * GiB - 0x100000)};
	u64 hole = 64 * GiB - 8 * MiB;
	struct timespec t0, t1;
	struct pmm p;
	hpa_t pa;
	int i;

	(void)state;
	assert_int_equal(init(&p, map, 1, NULL, 0), 0);
	assert_int_equal(pmm_alloc(&p, p.total_frames, 1, 0, &pa), 0);
	assert_int_equal(pa, 0x100000);
	assert_int_equal(pmm_free(&p, hole + PAGE_SIZE, 1023), 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < 200; i++) {
		assert_int_equal(pmm_alloc(&p, 512, 512, 0, &pa), 0);
		assert_int_equal(pa, hole + 2 * MiB);
		assert_int_equal(pmm_alloc(&p, 1, 1, 0, &pa), 0);
		assert_int_equal(pa, hole + PAGE_SIZE);
		assert_int_equal(pmm_free(&p, pa, 1), 0);
		assert_int_equal(pmm_free(&p, hole + 2 * MiB, 512), 0);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	print_message("large map: 800 calls over 16M frames in %ld ms\n",
		      (long)((t1.tv_sec - t0.tv_sec) * 1000 +
			     (t1.tv_nsec - t0.tv_nsec) / 1000000));
	assert_int_equal(
		pmm_free(&p, 0x100000, (hole >> PAGE_SHIFT) - 0x100 + 1), 0);
	assert_int_equal(pmm_free(&p, hole + 1024 * PAGE_SIZE,
				  (64 * GiB - hole) / PAGE_SIZE - 1024),
			 0);
	assert_int_equal(p.free_frames, p.total_frames);
	free(p.bitmap);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bitmap_bytes),
		cmocka_unit_test(test_messy_map),
		cmocka_unit_test(test_reserved_ranges),
		cmocka_unit_test(test_frame_zero),
		cmocka_unit_test(test_nothing_free),
		cmocka_unit_test(test_double_free),
		cmocka_unit_test(test_bad_free),
		cmocka_unit_test(test_exhaustion),
		cmocka_unit_test(test_align_512),
		cmocka_unit_test(test_limit),
		cmocka_unit_test(test_lock_taken),
		cmocka_unit_test(test_find_home),
		cmocka_unit_test(test_find_home_random),
		cmocka_unit_test(test_random),
		cmocka_unit_test(test_large_map),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
