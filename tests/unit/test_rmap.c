// SPDX-License-Identifier: MIT
/*
 * Unit tests for the reverse map (vmm/rmap.c), built on the host under ASan
 * and UBSan. The sptes are slots of a static array; descriptors come from
 * malloc through a counting allocator that can be told to fail. Targeted
 * tests cover every size around the descriptor boundaries, removal from
 * each position, the collapse back to one word, walks that remove as they
 * go, the descriptor cache, and the panic for removing an absent sptep
 * (caught through host_panic_hook). A long randomized run over many heads
 * and two caches checks every operation against a per-sptep model, and
 * that no descriptor leaks. (Past 800 lines: the randomized run shares the
 * model and checkers with the targeted tests, so they stay in one file.)
 *
 * Links: tests/unit/test_rmap.c vmm/rmap.c tests/unit/host_shim.c.
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
#include "rmap.h"
#include "host_shim.h"

#define N     RMAP_DESC_ENTRIES
#define POOL  5000 /* fake sptes */
#define NOONE (-1) /* owner of an sptep in no head */

static u64 sptes[POOL];

/* Which head (by the test's numbering) holds each sptep, and a stamp per
 * sptep to spot an entry a walk returns twice. */
static int owner[POOL];
static u32 seen[POOL];
static u32 stamp;

/* The descriptor allocator: malloc, counted, failing on request. */
static struct {
	u64 allocs, frees;
	s64 fail_after; /* successful allocations left; < 0: never fail */
} mem;

static void *desc_alloc(size_t size)
{
	assert_int_equal(size, 128);
	if (mem.fail_after == 0)
		return NULL;
	if (mem.fail_after > 0)
		mem.fail_after--;
	mem.allocs++;
	return malloc(size);
}

static void desc_free(void *p)
{
	mem.frees++;
	free(p);
}

static int setup(void **state)
{
	int i;

	(void)state;
	memset(&mem, 0, sizeof(mem));
	mem.fail_after = -1;
	for (i = 0; i < POOL; i++)
		owner[i] = NOONE;
	memset(seen, 0, sizeof(seen));
	stamp = 0;
	return 0;
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

static int index_of(const u64 *sptep)
{
	assert_true(sptep >= sptes && sptep < sptes + POOL);
	return (int)(sptep - sptes);
}

/* Descriptors a chain of n entries takes when it is kept compact. */
static int descs_for(u32 n)
{
	return n < 2 ? 0 : (int)DIV_ROUND_UP(n, N);
}

/* Whether adding to a head of n entries needs a descriptor. */
static bool add_needs_desc(u32 n)
{
	return n == 1 || (n >= N && n % N == 0);
}

/* Adds sptes[i] to head id, topping up c first. */
static void add(struct rmap_head *h, int id, int i, struct rmap_cache *c)
{
	assert_int_equal(owner[i], NOONE);
	assert_int_equal(rmap_cache_topup(c, RMAP_DESCS_PER_ADD, desc_alloc),
			 0);
	assert_int_equal(rmap_add(h, &sptes[i], c), 0);
	owner[i] = id;
}

static void del(struct rmap_head *h, int i, struct rmap_cache *c)
{
	rmap_remove(h, &sptes[i], c);
	owner[i] = NOONE;
}

static void fill(struct rmap_head *h, int id, int first, int n,
		 struct rmap_cache *c)
{
	int i;

	for (i = first; i < first + n; i++)
		add(h, id, i, c);
}

/*
 * Checks head id against the model: a walk returns each of its sptes
 * exactly once and nothing else, count and shape agree, and the head word
 * has the form its size calls for.
 */
static void check_head(const struct rmap_head *h, int id, u32 expect)
{
	struct rmap_iter it;
	u64 *sptep;
	u32 n = 0;
	int i;

	stamp++;
	rmap_for_each(h, &it, sptep)
	{
		i = index_of(sptep);
		if (owner[i] != id || seen[i] == stamp)
			fail_msg("head %d: walk gave sptes[%d] (owner %d%s)",
				 id, i, owner[i],
				 seen[i] == stamp ? ", twice" : "");
		seen[i] = stamp;
		n++;
	}
	assert_int_equal(n, expect);
	assert_int_equal(rmap_count(h), expect);
	assert_int_equal(rmap_check(h), descs_for(expect));
	if (expect == 0)
		assert_int_equal(h->val, 0);
	else
		assert_int_equal(h->val & RMAP_HEAD_MANY, expect >= 2);
}

/* check_head plus rmap_contains for every sptep of the pool. */
static void check_head_full(const struct rmap_head *h, int id, u32 expect)
{
	int i;

	check_head(h, id, expect);
	for (i = 0; i < POOL; i++)
		if (rmap_contains(h, &sptes[i]) != (owner[i] == id))
			fail_msg("head %d: contains(sptes[%d]) wrong", id, i);
}

/* Every descriptor either sits in a cache or in a chain, and the cache's
 * counter agrees with the chains. */
static void check_no_leak(const struct rmap_cache *c, u64 in_chains)
{
	assert_int_equal(c->in_use, in_chains);
	assert_int_equal(mem.allocs - mem.frees, c->nfree + in_chains);
}

static void drain(struct rmap_cache *c)
{
	rmap_cache_drain(c, desc_free);
	assert_int_equal(c->nfree, 0);
	assert_null(c->free);
	assert_int_equal(mem.allocs, mem.frees);
}

static void test_empty(void **state)
{
	struct rmap_head h = {0};
	struct rmap_cache c = {0};
	struct rmap_iter it;

	(void)state;
	check_head_full(&h, 0, 0);
	assert_null(rmap_iter_first(&h, &it));
	assert_null(rmap_iter_next(&it));
	assert_false(rmap_contains(&h, NULL));
	rmap_clear(&h, &c);
	assert_int_equal(h.val, 0);
	/* An empty head needs no descriptor for its first entry. */
	assert_int_equal(rmap_add(&h, &sptes[0], &c), 0);
	owner[0] = 0;
	check_head(&h, 0, 1);
	drain(&c);
}

static void test_one(void **state)
{
	struct rmap_head h = {0};
	struct rmap_cache c = {0};
	struct rmap_iter it;

	(void)state;
	add(&h, 0, 7, &c);
	/* The single form: the head word is the sptep itself. */
	assert_int_equal(h.val, (unsigned long)&sptes[7]);
	assert_int_equal(c.nfree, 1);
	assert_int_equal(c.in_use, 0);
	check_head_full(&h, 0, 1);
	assert_ptr_equal(rmap_iter_first(&h, &it), &sptes[7]);
	assert_null(rmap_iter_next(&it));
	assert_null(rmap_iter_next(&it));
	del(&h, 7, &c);
	check_head_full(&h, 0, 0);
	drain(&c);
}

static void test_two_and_collapse(void **state)
{
	struct rmap_head h = {0};
	struct rmap_cache c = {0};
	int first;

	(void)state;
	for (first = 0; first < 2; first++) {
		fill(&h, 0, 0, 2, &c);
		assert_int_equal(c.in_use, 1);
		assert_int_equal(c.nfree, 0);
		check_head_full(&h, 0, 2);
		/* Removing either one folds the other back into the word. */
		del(&h, first, &c);
		assert_int_equal(h.val, (unsigned long)&sptes[1 - first]);
		assert_int_equal(c.in_use, 0);
		assert_int_equal(c.nfree, 1);
		check_head_full(&h, 0, 1);
		del(&h, 1 - first, &c);
		check_head(&h, 0, 0);
	}
	assert_int_equal(mem.allocs, 1);
	drain(&c);
}

/* 0..n-1 in order 0 (oldest first), 1 (newest first) or 2 (shuffled). */
static void permutation(int *a, int n, int order, u64 *rng)
{
	int i, j, tmp;

	for (i = 0; i < n; i++)
		a[i] = order == 1 ? n - 1 - i : i;
	for (i = n - 1; order == 2 && i > 0; i--) {
		j = (int)below(rng, i + 1);
		tmp = a[i];
		a[i] = a[j];
		a[j] = tmp;
	}
}

/* Sizes around the descriptor edges, emptied from the front, the back and
 * the middle. */
static void test_desc_boundaries(void **state)
{
	static const int sizes[] = {N - 1, N,	      N + 1,	 N + 2,
				    2 * N, 2 * N + 1, 3 * N - 1, 3 * N};
	struct rmap_head h = {0};
	struct rmap_cache c = {0};
	int s, order, k, n, perm[3 * N];
	u64 rng = 0xb0da7e5ULL;

	(void)state;
	for (s = 0; s < (int)ARRAY_SIZE(sizes); s++) {
		for (order = 0; order < 3; order++) {
			n = sizes[s];
			fill(&h, 0, 0, n, &c);
			check_head_full(&h, 0, n);
			assert_int_equal(c.in_use, descs_for(n));
			permutation(perm, n, order, &rng);
			for (k = 0; k < sizes[s]; k++) {
				del(&h, perm[k], &c);
				check_head(&h, 0, --n);
				assert_int_equal(c.in_use, descs_for(n));
			}
		}
	}
	check_no_leak(&c, 0);
	drain(&c);
}

/* Three full descriptors behind a first one of five. */
static void test_remove_positions(void **state)
{
	const int n = 3 * N + 5;
	struct rmap_head h = {0};
	struct rmap_cache c = {0};
	u32 spares;

	(void)state;
	fill(&h, 0, 0, n, &c);
	assert_int_equal(rmap_check(&h), 4);
	spares = c.nfree;
	/* The oldest entry sits in the last descriptor, slot 0. */
	del(&h, 0, &c);
	check_head_full(&h, 0, n - 1);
	/* The newest sits at the end of the first descriptor. */
	del(&h, n - 1, &c);
	check_head_full(&h, 0, n - 2);
	/* The middle of the second descriptor. */
	del(&h, 2 * N + 7, &c);
	check_head_full(&h, 0, n - 3);
	/* Two more and the first descriptor is gone. */
	del(&h, N + 3, &c);
	del(&h, 5, &c);
	check_head_full(&h, 0, 3 * N);
	assert_int_equal(rmap_check(&h), 3);
	assert_int_equal(c.nfree, spares + 1);
	rmap_clear(&h, &c);
	assert_int_equal(c.nfree, spares + 4);
	check_no_leak(&c, 0);
	drain(&c);
}

/* Thousands of aliases of one page. */
static void test_many(void **state)
{
	struct rmap_head h = {0};
	struct rmap_cache c = {0};
	u64 rng = 0x5eedf00dULL;
	int i, n = POOL, order[POOL];

	(void)state;
	fill(&h, 0, 0, POOL, &c);
	check_head_full(&h, 0, POOL);
	assert_int_equal(c.in_use, DIV_ROUND_UP(POOL, N));
	permutation(order, POOL, 2, &rng);
	for (i = 0; i < POOL; i++) {
		del(&h, order[i], &c);
		n--;
		if (i % 97 == 0 || n < 2 * N)
			check_head(&h, 0, n);
		else
			assert_int_equal(rmap_count(&h), n);
	}
	check_head_full(&h, 0, 0);
	check_no_leak(&c, 0);
	drain(&c);
}

/*
 * Walks a head of n entries; every mod-th entry (counting from 0) is
 * removed as soon as the walk returns it, and with back set the one before
 * it too, if it was kept. Every entry must come exactly once.
 */
static void walk_removing(struct rmap_head *h, int n, int mod, bool back,
			  struct rmap_cache *c)
{
	struct rmap_iter it;
	u64 *sptep, *prev = NULL;
	int k = 0, left = n;

	stamp++;
	rmap_for_each(h, &it, sptep)
	{
		assert_true(seen[index_of(sptep)] != stamp);
		assert_int_equal(owner[index_of(sptep)], 0);
		seen[index_of(sptep)] = stamp;
		if (k++ % mod == 0) {
			del(h, index_of(sptep), c);
			left--;
			if (back && prev) {
				del(h, index_of(prev), c);
				left--;
			}
			prev = NULL;
		} else {
			prev = sptep;
		}
	}
	assert_int_equal(k, n);
	check_head(h, 0, left);
}

/* Fills a head with n entries, walks it removing every mod-th entry, then
 * walks what is left removing everything. */
static void walk_case(int n, int mod, bool back, struct rmap_cache *c)
{
	struct rmap_head h = {0};

	fill(&h, 0, 0, n, c);
	walk_removing(&h, n, mod, back, c);
	walk_removing(&h, rmap_count(&h), 1, false, c);
	assert_int_equal(h.val, 0);
}

static void test_walk_with_removal(void **state)
{
	static const int sizes[] = {1,	   2,	  3,	     N - 1, N,	 N + 1,
				    N + 2, 2 * N, 2 * N + 1, 3 * N, 100, 1000};
	static const int mods[] = {1, 2, 3, N, 1000000};
	struct rmap_cache c = {0};
	int s, m, back;

	(void)state;
	for (s = 0; s < (int)ARRAY_SIZE(sizes); s++)
		for (m = 0; m < (int)ARRAY_SIZE(mods); m++)
			for (back = 0; back < 2; back++)
				walk_case(sizes[s], mods[m], back, &c);
	check_no_leak(&c, 0);
	drain(&c);
}

static void test_remove_absent(void **state)
{
	static const int sizes[] = {0, 1, 2, N, N + 1, 3 * N + 2};
	struct rmap_head h = {0}, other = {0};
	struct rmap_cache c = {0};
	unsigned long before;
	int s, n, i;

	(void)state;
	add(&other, 1, POOL - 1, &c);
	for (s = 0; s < (int)ARRAY_SIZE(sizes); s++) {
		n = sizes[s];
		fill(&h, 0, 0, n, &c);
		if (n)
			del(&h, 0, &c); /* one that was there once */
		before = h.val;
		expect_panic(rmap_remove(&h, &sptes[0], &c), "not in rmap");
		expect_panic(rmap_remove(&h, &sptes[n], &c), "not in rmap");
		/* In another head is not in this one. */
		expect_panic(rmap_remove(&h, &sptes[POOL - 1], &c),
			     "not in rmap");
		expect_panic(rmap_remove(&h, NULL, &c), "not in rmap");
		assert_int_equal(h.val, before);
		check_head_full(&h, 0, n ? n - 1 : 0);
		rmap_clear(&h, &c);
		for (i = 0; i < n; i++)
			owner[i] = NOONE;
	}
	check_head_full(&other, 1, 1);
	expect_panic(rmap_add(&h, NULL, &c), "bad sptep");
	expect_panic(rmap_add(&h, (u64 *)((char *)&sptes[3] + 4), &c),
		     "bad sptep");
	check_head(&h, 0, 0);
	del(&other, POOL - 1, &c);
	check_no_leak(&c, 0);
	drain(&c);
}

/* With the cache empty, an add that needs a descriptor fails and changes
 * nothing; one that does not need one succeeds. */
static void test_cache_exhausted(void **state)
{
	static const int sizes[] = {0, 1, 2, N - 1, N, N + 1, 2 * N, 3 * N};
	struct rmap_head h = {0};
	struct rmap_cache c = {0};
	unsigned long before;
	int s, n, rc, i;

	(void)state;
	for (s = 0; s < (int)ARRAY_SIZE(sizes); s++) {
		n = sizes[s];
		fill(&h, 0, 0, n, &c);
		rmap_cache_drain(&c, desc_free);
		before = h.val;
		rc = rmap_add(&h, &sptes[n], &c);
		if (add_needs_desc(n)) {
			assert_int_equal(rc, -ENOMEM);
			assert_int_equal(h.val, before);
			check_head_full(&h, 0, n);
		} else {
			assert_int_equal(rc, 0);
			owner[n] = 0;
			check_head_full(&h, 0, n + 1);
			n++;
		}
		check_no_leak(&c, descs_for(n));
		rmap_clear(&h, &c);
		for (i = 0; i < n; i++)
			owner[i] = NOONE;
	}
	drain(&c);
}

static void test_cache_topup_trim(void **state)
{
	struct rmap_cache c = {0};

	(void)state;
	assert_int_equal(rmap_cache_topup(&c, 0, desc_alloc), 0);
	assert_int_equal(mem.allocs, 0);
	assert_int_equal(rmap_cache_topup(&c, 5, desc_alloc), 0);
	assert_int_equal(c.nfree, 5);
	/* Already enough: nothing allocated. */
	assert_int_equal(rmap_cache_topup(&c, 3, desc_alloc), 0);
	assert_int_equal(mem.allocs, 5);
	/* A failing allocator: what it gave stays in the cache. */
	mem.fail_after = 2;
	assert_int_equal(rmap_cache_topup(&c, 10, desc_alloc), -ENOMEM);
	assert_int_equal(c.nfree, 7);
	mem.fail_after = -1;
	assert_int_equal(rmap_cache_topup(&c, 10, desc_alloc), 0);
	assert_int_equal(c.nfree, 10);
	rmap_cache_trim(&c, 12, desc_free);
	assert_int_equal(c.nfree, 10);
	rmap_cache_trim(&c, 4, desc_free);
	assert_int_equal(c.nfree, 4);
	assert_int_equal(mem.frees, 6);
	check_no_leak(&c, 0);
	drain(&c);
	drain(&c);
}

/* A descriptor may come back to a cache other than the one it came from. */
static void test_two_caches(void **state)
{
	struct rmap_head h = {0};
	struct rmap_cache a = {0}, b = {0};
	int i;

	(void)state;
	fill(&h, 0, 0, 3 * N, &a);
	assert_int_equal(a.in_use, 3);
	for (i = 0; i < 3 * N; i++)
		del(&h, i, &b);
	assert_int_equal(a.in_use, 3);
	assert_int_equal(b.in_use, -3);
	assert_int_equal(b.nfree, 3);
	assert_int_equal(mem.allocs - mem.frees, a.nfree + b.nfree);
	rmap_cache_drain(&a, desc_free);
	drain(&b);
}

static void test_clear(void **state)
{
	static const int sizes[] = {1, 2, N, N + 1, 500};
	struct rmap_head h = {0};
	struct rmap_cache c = {0};
	int s, i;

	(void)state;
	for (s = 0; s < (int)ARRAY_SIZE(sizes); s++) {
		fill(&h, 0, 0, sizes[s], &c);
		rmap_clear(&h, &c);
		for (i = 0; i < sizes[s]; i++)
			owner[i] = NOONE;
		check_head_full(&h, 0, 0);
		check_no_leak(&c, 0);
	}
	drain(&c);
}

/* --- the randomized run ------------------------------------------------- */

#define HEADS	    64
#define RANDOM_OPS  300000
#define PHASE_OPS   25000 /* alternately filling and draining */
#define FULL_CHECKS 1000  /* every head checked this often */

static struct {
	struct rmap_head head[HEADS];
	u32 count[HEADS];
	struct rmap_cache cache[2]; /* two vCPUs */
	int live[POOL];		    /* sptes in some head, then the rest */
	int where[POOL];	    /* index of each sptep in live[] */
	int nlive;
	u64 rng;
	u64 enomem, panics, walks, clears, max_count;
} r;

static struct rmap_cache *any_cache(void)
{
	return &r.cache[below(&r.rng, 2)];
}

/* A skewed pick, so that head 0 collects thousands of aliases. */
static int pick_head(void)
{
	u64 x = below(&r.rng, 100);

	if (x < 50)
		return 0;
	if (x < 60)
		return 1 + (int)below(&r.rng, 3);
	return (int)below(&r.rng, HEADS);
}

static void swap_live(int a, int b)
{
	int sa = r.live[a], sb = r.live[b];

	r.live[a] = sb;
	r.live[b] = sa;
	r.where[sb] = a;
	r.where[sa] = b;
}

static void model_add(int id, int i)
{
	owner[i] = id;
	r.count[id]++;
	r.max_count = MAX(r.max_count, r.count[id]);
	swap_live(r.where[i], r.nlive++);
}

static void model_del(int i)
{
	r.count[owner[i]]--;
	owner[i] = NOONE;
	swap_live(r.where[i], --r.nlive);
}

/* Adds a free sptep, usually after a top-up that may itself fail. */
static int op_add(void)
{
	struct rmap_cache *c = any_cache();
	int id = pick_head(), i, rc;
	u64 x = below(&r.rng, 100);
	bool starved;

	if (r.nlive == POOL)
		return id;
	i = r.live[r.nlive + (int)below(&r.rng, POOL - r.nlive)];
	if (x < 85) {
		assert_int_equal(
			rmap_cache_topup(c, 1 + below(&r.rng, 3), desc_alloc),
			0);
	} else if (x < 90) {
		mem.fail_after = (s64)below(&r.rng, 2);
		rc = rmap_cache_topup(c, 2, desc_alloc);
		assert_int_equal(rc, c->nfree >= 2 ? 0 : -ENOMEM);
		mem.fail_after = -1;
	} else if (x < 95) {
		/* Forgot to top up, and no spare left from a removal. */
		rmap_cache_drain(c, desc_free);
	}
	starved = add_needs_desc(r.count[id]) && c->nfree == 0;
	rc = rmap_add(&r.head[id], &sptes[i], c);
	assert_int_equal(rc, starved ? -ENOMEM : 0);
	if (starved)
		r.enomem++;
	else
		model_add(id, i);
	return id;
}

static int op_del(void)
{
	int i, id;

	if (!r.nlive)
		return 0;
	i = r.live[below(&r.rng, r.nlive)];
	id = owner[i];
	rmap_remove(&r.head[id], &sptes[i], any_cache());
	model_del(i);
	return id;
}

/* The write-protect and zap paths: a walk that removes as it goes. */
static int op_walk(void)
{
	static const u64 eighths[] = {0, 1, 4, 8}; /* of entries removed */
	u64 odds = eighths[below(&r.rng, ARRAY_SIZE(eighths))];
	int id = (int)below(&r.rng, HEADS), i;
	struct rmap_cache *c = any_cache();
	u32 n = 0, expect = r.count[id];
	u64 *sptep, *prev = NULL;
	struct rmap_iter it;

	stamp++;
	rmap_for_each(&r.head[id], &it, sptep)
	{
		i = index_of(sptep);
		assert_true(owner[i] == id && seen[i] != stamp);
		seen[i] = stamp;
		n++;
		if (prev && below(&r.rng, 8) == 0) {
			rmap_remove(&r.head[id], prev, c);
			model_del(index_of(prev));
			prev = NULL;
		}
		if (below(&r.rng, 8) < odds) {
			rmap_remove(&r.head[id], sptep, c);
			model_del(i);
		} else {
			prev = sptep;
		}
	}
	assert_int_equal(n, expect);
	r.walks++;
	return id;
}

static int op_clear(void)
{
	int id = (int)below(&r.rng, HEADS), i;

	rmap_clear(&r.head[id], any_cache());
	for (i = 0; i < POOL; i++)
		if (owner[i] == id)
			model_del(i);
	r.clears++;
	return id;
}

/* Removing an sptep from a head that does not hold it panics and changes
 * nothing. */
static int op_absent(void)
{
	int id = (int)below(&r.rng, HEADS), i = (int)below(&r.rng, POOL);
	unsigned long before = r.head[id].val;

	if (owner[i] == id)
		return id;
	expect_panic(rmap_remove(&r.head[id], &sptes[i], any_cache()),
		     "not in rmap");
	assert_int_equal(r.head[id].val, before);
	r.panics++;
	return id;
}

static int random_op(int op)
{
	bool filling = (op / PHASE_OPS) % 2 == 0;
	u64 x = below(&r.rng, 1000);

	if (x < 5)
		return op_absent();
	if (x < 8)
		return op_clear();
	if (x < 40)
		return op_walk();
	if (x < 50) {
		rmap_cache_trim(any_cache(), (u32)below(&r.rng, 8), desc_free);
		return pick_head();
	}
	if (x < (filling ? 700 : 450))
		return op_add();
	return op_del();
}

/* Descriptors in chains match the caches' counters; none is lost. */
static void random_check_descs(void)
{
	s64 in_chains = 0;
	int id;

	for (id = 0; id < HEADS; id++)
		in_chains += descs_for(r.count[id]);
	assert_int_equal(r.cache[0].in_use + r.cache[1].in_use, in_chains);
	assert_int_equal(mem.allocs - mem.frees,
			 r.cache[0].nfree + r.cache[1].nfree + in_chains);
}

/* rmap_contains for a few sptes, in their own head and in another. */
static void random_check_contains(void)
{
	int k, i, id;

	for (k = 0; k < 4; k++) {
		i = (int)below(&r.rng, POOL);
		id = owner[i] == NOONE ? pick_head() : owner[i];
		assert_int_equal(rmap_contains(&r.head[id], &sptes[i]),
				 owner[i] == id);
		id = (int)below(&r.rng, HEADS);
		assert_int_equal(rmap_contains(&r.head[id], &sptes[i]),
				 owner[i] == id);
	}
}

static void test_random(void **state)
{
	int op, id, i;

	(void)state;
	memset(&r, 0, sizeof(r));
	r.rng = 0x0ddba11cafef00dULL;
	for (i = 0; i < POOL; i++)
		r.live[i] = r.where[i] = i;
	for (op = 0; op < RANDOM_OPS; op++) {
		id = random_op(op);
		check_head(&r.head[id], id, r.count[id]);
		random_check_descs();
		random_check_contains();
		if (op % FULL_CHECKS == 0)
			for (id = 0; id < HEADS; id++)
				check_head(&r.head[id], id, r.count[id]);
	}
	for (id = 0; id < HEADS; id++)
		rmap_clear(&r.head[id], &r.cache[id % 2]);
	for (i = 0; i < POOL; i++)
		owner[i] = NOONE;
	memset(r.count, 0, sizeof(r.count));
	random_check_descs();
	rmap_cache_drain(&r.cache[0], desc_free);
	drain(&r.cache[1]);
	print_message("random: %d ops, largest head %llu, %llu walks, "
		      "%llu clears, %llu -ENOMEM, %llu panics, %llu descs\n",
		      RANDOM_OPS, (unsigned long long)r.max_count,
		      (unsigned long long)r.walks, (unsigned long long)r.clears,
		      (unsigned long long)r.enomem,
		      (unsigned long long)r.panics,
		      (unsigned long long)mem.allocs);
}

#define RMAP_TEST(t) cmocka_unit_test_setup(t, setup)

int main(void)
{
	const struct CMUnitTest tests[] = {
		RMAP_TEST(test_empty),
		RMAP_TEST(test_one),
		RMAP_TEST(test_two_and_collapse),
		RMAP_TEST(test_desc_boundaries),
		RMAP_TEST(test_remove_positions),
		RMAP_TEST(test_many),
		RMAP_TEST(test_walk_with_removal),
		RMAP_TEST(test_remove_absent),
		RMAP_TEST(test_cache_exhausted),
		RMAP_TEST(test_cache_topup_trim),
		RMAP_TEST(test_two_caches),
		RMAP_TEST(test_clear),
		RMAP_TEST(test_random),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
