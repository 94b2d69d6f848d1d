// SPDX-License-Identifier: MIT
/*
 * Unit tests for the per-slot dirty bitmap (dirtylog/dirty_bitmap.c), built
 * on the host under ASan and UBSan. Targeted tests cover the size helpers,
 * slots whose page count is and is not a multiple of 64, the bit layout of
 * contract section 5, what mark and harvest return, the masks each()
 * receives, out[] written whole and nothing past it, -ENOSPC, and the
 * panics for an out-of-range mark and a stray bit past the last page
 * (caught through host_panic_hook). A long randomized run checks every
 * operation against a per-page model.
 *
 * The concurrency test runs writer threads that mark pages against one
 * harvester thread, stamping every mark and every harvest with a shared
 * sequentially consistent counter, then checks per page that each bit a
 * mark set was reported exactly once, that every mark was followed by a
 * report, and that no page was reported twice without a mark in between.
 * A harvest that reads a word and then stores 0 fails it (lost bits).
 *
 * Links: tests/unit/test_dirty_bitmap.c dirtylog/dirty_bitmap.c
 * tests/unit/host_shim.c, and pthreads (in libc since glibc 2.34).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <cmocka.h>

#include "types.h"
#include "errno.h"
#include "dirty_bitmap.h"
#include "host_shim.h"

#define WORD_BITS DIRTY_BITMAP_WORD_BITS
#define GUARD	  0xa5a5a5a5a5a5a5a5ULL /* fill for words nobody may write */
#define GUARDS	  3			/* guard words behind every array */
#define MAX_WORDS 64			/* up to 4096 pages in these tests */

/* A bitmap over storage with guard words behind it. */
struct tb {
	struct dirty_bitmap b;
	u64 words[MAX_WORDS + GUARDS];
};

static void tb_init(struct tb *t, u64 npages)
{
	u64 nwords = dirty_bitmap_words(npages);
	u64 i;

	assert_true(nwords <= MAX_WORDS);
	for (i = 0; i < ARRAY_SIZE(t->words); i++)
		t->words[i] = GUARD;
	assert_int_equal(dirty_bitmap_init(&t->b, npages, t->words), 0);
	for (i = 0; i < nwords; i++)
		assert_int_equal(t->words[i], 0);
}

static void check_guards(const u64 *words, u64 from)
{
	u64 i;

	for (i = from; i < from + GUARDS; i++)
		assert_int_equal(words[i], GUARD);
}

static void fill_guard(u64 *out, u64 n)
{
	u64 i;

	for (i = 0; i < n; i++)
		out[i] = GUARD;
}

/* What each() saw during one harvest. */
struct seen {
	u64 calls;
	u64 first[MAX_WORDS];
	u64 mask[MAX_WORDS];
};

static void record_each(void *ctx, u64 first_page, u64 mask)
{
	struct seen *s = ctx;

	assert_true(s->calls < MAX_WORDS);
	s->first[s->calls] = first_page;
	s->mask[s->calls] = mask;
	s->calls++;
}

/* Checks that s saw exactly the non-zero words of out[0..nwords), in
 * order, each with its first page. */
static void check_seen(const struct seen *s, const u64 *out, u64 nwords)
{
	u64 w, k = 0;

	for (w = 0; w < nwords; w++) {
		if (!out[w])
			continue;
		assert_true(k < s->calls);
		assert_int_equal(s->first[k], w * WORD_BITS);
		assert_int_equal(s->mask[k], out[w]);
		k++;
	}
	assert_int_equal(k, s->calls);
}

static u64 popcount_words(const u64 *w, u64 n)
{
	u64 i, c = 0;

	for (i = 0; i < n; i++)
		c += (u64)__builtin_popcountll(w[i]);
	return c;
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

static void test_sizes(void **state)
{
	static const struct {
		u64 npages, words;
	} t[] = {
		{0, 0},	  {1, 1},     {63, 1},
		{64, 1},  {65, 2},    {128, 2},
		{129, 3}, {1000, 16}, {UINT64_MAX, 1ULL << 58},
	};
	u64 i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(t); i++) {
		assert_int_equal(dirty_bitmap_words(t[i].npages), t[i].words);
		assert_int_equal(dirty_bitmap_bytes(t[i].npages),
				 8 * t[i].words);
	}
}

static void test_init(void **state)
{
	struct dirty_bitmap b;
	struct tb t;
	u64 w[2];

	(void)state;
	assert_int_equal(dirty_bitmap_init(&b, 0, w), -EINVAL);
	assert_int_equal(dirty_bitmap_init(&b, 5, NULL), -EINVAL);
	tb_init(&t, 65); /* starts from GUARD-filled storage */
	assert_int_equal(t.b.npages, 65);
	assert_int_equal(t.b.nwords, 2);
	assert_int_equal(t.b.last_mask, 1);
	check_guards(t.words, 2);
	assert_int_equal(dirty_bitmap_count(&t.b), 0);
	tb_init(&t, 128);
	assert_int_equal(t.b.last_mask, ~0ULL);
}

/* Bit i is bit i % 64 of word i / 64; mark says whether it was new. */
static void test_mark_layout(void **state)
{
	static const u64 pages[] = {0, 1, 63, 64, 70, 127, 128, 199};
	struct tb t;
	u64 i, p;

	(void)state;
	tb_init(&t, 200);
	for (i = 0; i < ARRAY_SIZE(pages); i++) {
		p = pages[i];
		assert_true(dirty_bitmap_mark(&t.b, p));
		assert_true(t.words[p / 64] & BIT(p % 64));
		assert_false(dirty_bitmap_mark(&t.b, p));
		assert_int_equal(dirty_bitmap_count(&t.b), i + 1);
	}
	assert_int_equal(t.words[0], BIT(0) | BIT(1) | BIT(63));
	assert_int_equal(t.words[1], BIT(0) | BIT(6) | BIT(63));
	assert_int_equal(t.words[2], BIT(0));
	assert_int_equal(t.words[3], BIT(199 - 192));
	check_guards(t.words, 4);
}

/* Every page of slots around the word size: the last word holds exactly
 * npages % 64 bits, and a harvest reports them all once. */
static void test_last_word(void **state)
{
	static const u64 sizes[] = {1, 2, 63, 64, 65, 127, 128, 130, 4095};
	u64 out[MAX_WORDS + GUARDS];
	struct seen s;
	struct tb t;
	u64 i, p, n, nw;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		n = sizes[i];
		nw = dirty_bitmap_words(n);
		tb_init(&t, n);
		for (p = 0; p < n; p++)
			assert_true(dirty_bitmap_mark(&t.b, p));
		assert_int_equal(t.words[nw - 1], t.b.last_mask);
		assert_int_equal(dirty_bitmap_count(&t.b), n);
		fill_guard(out, ARRAY_SIZE(out));
		memset(&s, 0, sizeof(s));
		assert_int_equal(
			dirty_bitmap_harvest(&t.b, out, nw, record_each, &s),
			(s64)n);
		assert_int_equal(s.calls, nw);
		check_seen(&s, out, nw);
		assert_int_equal(out[nw - 1], t.b.last_mask);
		check_guards(out, nw);
		assert_int_equal(dirty_bitmap_count(&t.b), 0);
	}
}

static void test_mark_out_of_range(void **state)
{
	static const u64 bad[] = {130, 131, 191, 192, 1ULL << 40, UINT64_MAX};
	struct tb t;
	u64 i;

	(void)state;
	tb_init(&t, 130);
	assert_true(dirty_bitmap_mark(&t.b, 129));
	for (i = 0; i < ARRAY_SIZE(bad); i++)
		expect_panic(dirty_bitmap_mark(&t.b, bad[i]), "out of range");
	assert_int_equal(t.words[0], 0);
	assert_int_equal(t.words[1], 0);
	assert_int_equal(t.words[2], BIT(1));
	check_guards(t.words, 3);
}

/* A bit past npages can only come from a stray write: harvest panics. */
static void test_stray_tail_bit(void **state)
{
	u64 out[MAX_WORDS];
	struct tb t;

	(void)state;
	tb_init(&t, 70);
	t.words[1] |= BIT(6); /* page 70: one past the end */
	expect_panic(dirty_bitmap_harvest(&t.b, out, 2, NULL, NULL),
		     "bits past page 70");
}

static void test_harvest_clears(void **state)
{
	u64 out[MAX_WORDS + GUARDS];
	struct seen s = {0};
	struct tb t;

	(void)state;
	tb_init(&t, 300); /* five words, the last with 44 pages */
	dirty_bitmap_mark(&t.b, 3);
	dirty_bitmap_mark(&t.b, 5);
	dirty_bitmap_mark(&t.b, 200);
	dirty_bitmap_mark(&t.b, 299);
	fill_guard(out, ARRAY_SIZE(out));
	assert_int_equal(dirty_bitmap_harvest(&t.b, out, 5, record_each, &s),
			 4);
	assert_int_equal(out[0], BIT(3) | BIT(5));
	assert_int_equal(out[1], 0); /* zeros are written too */
	assert_int_equal(out[2], 0);
	assert_int_equal(out[3], BIT(200 - 192));
	assert_int_equal(out[4], BIT(299 - 256));
	check_guards(out, 5);
	assert_int_equal(s.calls, 3);
	check_seen(&s, out, 5);
	assert_int_equal(dirty_bitmap_count(&t.b), 0);

	/* Cleared: the next harvest reports nothing and writes zeros. */
	fill_guard(out, ARRAY_SIZE(out));
	memset(&s, 0, sizeof(s));
	assert_int_equal(dirty_bitmap_harvest(&t.b, out, 5, record_each, &s),
			 0);
	assert_int_equal(popcount_words(out, 5), 0);
	assert_int_equal(s.calls, 0);
	check_guards(out, 5);
	assert_true(dirty_bitmap_mark(&t.b, 3)); /* new again */
}

/* The marks count: new bits only, taken and restarted from 0, and reset
 * by init. */
static void test_marks_count(void **state)
{
	u64 out[MAX_WORDS + GUARDS];
	struct tb t;

	(void)state;
	tb_init(&t, 300);
	assert_int_equal(dirty_bitmap_take_marks(&t.b), 0);
	dirty_bitmap_mark(&t.b, 3);
	dirty_bitmap_mark(&t.b, 3); /* already set: not counted */
	dirty_bitmap_mark(&t.b, 299);
	assert_int_equal(dirty_bitmap_take_marks(&t.b), 2);
	assert_int_equal(dirty_bitmap_take_marks(&t.b), 0);
	dirty_bitmap_mark(&t.b, 3); /* still set: not counted */
	assert_int_equal(dirty_bitmap_take_marks(&t.b), 0);
	assert_int_equal(dirty_bitmap_harvest(&t.b, out, 5, NULL, NULL), 2);
	dirty_bitmap_mark(&t.b, 3); /* clear again: counted */
	dirty_bitmap_mark(&t.b, 64);
	assert_int_equal(dirty_bitmap_take(&t.b, 0), BIT(3));
	assert_int_equal(dirty_bitmap_peek(&t.b, 0), 0);
	assert_int_equal(dirty_bitmap_peek(&t.b, 1), 1);
	assert_int_equal(dirty_bitmap_take_marks(&t.b), 2);
	dirty_bitmap_mark(&t.b, 7);
	assert_int_equal(dirty_bitmap_init(&t.b, 300, t.b.words), 0);
	assert_int_equal(dirty_bitmap_take_marks(&t.b), 0);
}

/* out_words below the bitmap's words: -ENOSPC and nothing touched; above:
 * only the bitmap's words are written. each may be NULL. */
static void test_enospc(void **state)
{
	u64 out[MAX_WORDS + GUARDS];
	struct seen s = {0};
	struct tb t;

	(void)state;
	tb_init(&t, 129); /* three words */
	dirty_bitmap_mark(&t.b, 0);
	dirty_bitmap_mark(&t.b, 128);
	fill_guard(out, ARRAY_SIZE(out));
	assert_int_equal(dirty_bitmap_harvest(&t.b, out, 2, record_each, &s),
			 -ENOSPC);
	assert_int_equal(dirty_bitmap_harvest(&t.b, out, 0, NULL, NULL),
			 -ENOSPC);
	assert_int_equal(s.calls, 0);
	check_guards(out, 0);
	assert_int_equal(dirty_bitmap_count(&t.b), 2);

	assert_int_equal(dirty_bitmap_harvest(&t.b, out, 6, NULL, NULL), 2);
	assert_int_equal(out[0], BIT(0));
	assert_int_equal(out[1], 0);
	assert_int_equal(out[2], BIT(0));
	check_guards(out, 3);
}

/* --- randomized, single-threaded, against a model ------------------- */

#define RANDOM_ROUNDS 400
#define RANDOM_OPS    3000

struct model {
	struct tb t;
	u64 npages, nwords;
	bool dirty[MAX_WORDS * WORD_BITS];
	u64 marks, harvests, reported, enospc, panics;
};

static void model_mark(struct model *m, u64 page)
{
	assert_int_equal(dirty_bitmap_mark(&m->t.b, page), !m->dirty[page]);
	m->dirty[page] = true;
	m->marks++;
}

/* out[] against the model, which is then cleared. */
static void model_take(struct model *m, const u64 *out)
{
	u64 p;

	for (p = 0; p < m->nwords * WORD_BITS; p++) {
		bool bit = out[p / WORD_BITS] & BIT(p % WORD_BITS);

		assert_int_equal(bit, p < m->npages && m->dirty[p]);
		if (p < m->npages)
			m->dirty[p] = false;
	}
}

static u64 model_count(const struct model *m)
{
	u64 p, c = 0;

	for (p = 0; p < m->npages; p++)
		c += m->dirty[p];
	return c;
}

static void model_harvest(struct model *m, u64 *seed)
{
	u64 out[MAX_WORDS + GUARDS + 2];
	u64 extra = below(seed, 3), want = model_count(m);
	struct seen s = {0};

	fill_guard(out, ARRAY_SIZE(out));
	assert_int_equal(dirty_bitmap_harvest(&m->t.b, out, m->nwords + extra,
					      record_each, &s),
			 (s64)want);
	check_seen(&s, out, m->nwords);
	check_guards(out, m->nwords);
	model_take(m, out);
	assert_int_equal(dirty_bitmap_count(&m->t.b), 0);
	m->harvests++;
	m->reported += want;
}

static void model_enospc(struct model *m, u64 *seed)
{
	u64 out[MAX_WORDS + GUARDS];
	u64 short_by = 1 + below(seed, m->nwords);

	fill_guard(out, ARRAY_SIZE(out));
	assert_int_equal(dirty_bitmap_harvest(&m->t.b, out,
					      m->nwords - short_by, record_each,
					      NULL),
			 -ENOSPC);
	check_guards(out, 0);
	assert_int_equal(dirty_bitmap_count(&m->t.b), model_count(m));
	m->enospc++;
}

static void model_op(struct model *m, u64 *seed)
{
	u64 r = below(seed, 1000);

	if (r < 700)
		model_mark(m, below(seed, m->npages));
	else if (r < 800) /* the edges of the slot */
		model_mark(m, r & 1 ? m->npages - 1 : 0);
	else if (r < 900)
		assert_int_equal(dirty_bitmap_count(&m->t.b), model_count(m));
	else if (r < 980)
		model_harvest(m, seed);
	else if (r < 995)
		model_enospc(m, seed);
	else {
		expect_panic(dirty_bitmap_mark(&m->t.b,
					       m->npages + below(seed, 200)),
			     "out of range");
		m->panics++;
	}
}

static u64 random_npages(u64 *seed)
{
	switch (below(seed, 4)) {
	case 0: /* a whole number of words */
		return WORD_BITS * (1 + below(seed, MAX_WORDS));
	case 1: /* tiny */
		return 1 + below(seed, 3);
	default:
		return 1 + below(seed, MAX_WORDS * WORD_BITS);
	}
}

static void test_random(void **state)
{
	static struct model m;
	u64 seed = 0x5eed0d1b17ULL, round, op;

	(void)state;
	memset(&m, 0, sizeof(m));
	for (round = 0; round < RANDOM_ROUNDS; round++) {
		m.npages = random_npages(&seed);
		m.nwords = dirty_bitmap_words(m.npages);
		memset(m.dirty, 0, sizeof(m.dirty));
		tb_init(&m.t, m.npages);
		/* Rounds with few pages get many marks per page. */
		for (op = 0; op < RANDOM_OPS; op++)
			model_op(&m, &seed);
		model_harvest(&m, &seed);
		check_guards(m.t.words, m.nwords);
	}
	print_message(
		"random: %d rounds, %llu marks, %llu harvests, "
		"%llu reported, %llu -ENOSPC, %llu panics\n",
		RANDOM_ROUNDS, (unsigned long long)m.marks,
		(unsigned long long)m.harvests, (unsigned long long)m.reported,
		(unsigned long long)m.enospc, (unsigned long long)m.panics);
}

/* --- concurrent marks against a harvester ----------------------------- */

/* Few pages, so that marks keep hitting the word being harvested. */
#define CONC_PAGES	  200 /* three full words and 8 pages */
#define CONC_WRITERS	  3
#define CONC_MARKS	  200000 /* per writer */
#define CONC_MAX_HARVESTS (1u << 20)
#define CONC_MAX_REPORTS  (CONC_WRITERS * CONC_MARKS + 1)

/* One mark: its page, whether it set the bit, and the counter just
 * before and just after it. */
struct mark_rec {
	u64 page, t0, t1;
	bool newly;
};

/* One page reported by harvest number h. */
struct report_rec {
	u64 page;
	u32 h;
};

/* Counter values just before and just after harvest h. */
struct harvest_rec {
	u64 h0, h1;
};

static struct {
	struct dirty_bitmap b;
	u64 words[CONC_PAGES / WORD_BITS + 1];
	u64 clock; /* the shared counter: __atomic, sequentially consistent */
	bool writers_done;
	struct mark_rec *marks; /* writer i's are [i * CONC_MARKS, ...) */
	struct report_rec *reports;
	struct harvest_rec *harvests;
	u64 nreports;
	u32 nharvests;
	u64 errors; /* bad harvest results seen by the harvester thread */
} conc;

static u64 tick(void)
{
	return __atomic_fetch_add(&conc.clock, 1, __ATOMIC_SEQ_CST);
}

static void *writer(void *arg)
{
	u64 id = (u64)(uintptr_t)arg, seed = 0x9e3779b97f4a7c15ULL * (id + 1);
	struct mark_rec *r = &conc.marks[id * CONC_MARKS];
	u64 i;

	for (i = 0; i < CONC_MARKS; i++, r++) {
		r->page = below(&seed, CONC_PAGES);
		r->t0 = tick();
		r->newly = dirty_bitmap_mark(&conc.b, r->page);
		r->t1 = tick();
	}
	return NULL;
}

static void report_each(void *ctx, u64 first_page, u64 mask)
{
	u32 h = *(u32 *)ctx;

	for (; mask; mask &= mask - 1) {
		if (conc.nreports == CONC_MAX_REPORTS) {
			conc.errors++;
			return;
		}
		conc.reports[conc.nreports].page =
			first_page + (u64)__builtin_ctzll(mask);
		conc.reports[conc.nreports++].h = h;
	}
}

/* One stamped harvest; the caller is the only harvester. */
static void conc_harvest(void)
{
	u64 out[ARRAY_SIZE(conc.words)], before = conc.nreports;
	u32 h = conc.nharvests;
	s64 n;

	conc.harvests[h].h0 = tick();
	n = dirty_bitmap_harvest(&conc.b, out, ARRAY_SIZE(out), report_each,
				 &h);
	conc.harvests[h].h1 = tick();
	conc.nharvests++;
	if (n < 0 || (u64)n != conc.nreports - before ||
	    (u64)n != popcount_words(out, ARRAY_SIZE(out)) ||
	    (out[ARRAY_SIZE(out) - 1] & ~conc.b.last_mask))
		conc.errors++;
}

static void *harvester(void *arg)
{
	(void)arg;
	while (!__atomic_load_n(&conc.writers_done, __ATOMIC_SEQ_CST) &&
	       conc.nharvests < CONC_MAX_HARVESTS - 1)
		conc_harvest();
	return NULL;
}

static int cmp_mark(const void *a, const void *b)
{
	const struct mark_rec *x = a, *y = b;

	if (x->page != y->page)
		return x->page < y->page ? -1 : 1;
	return x->t0 < y->t0 ? -1 : x->t0 > y->t0;
}

static int cmp_report(const void *a, const void *b)
{
	const struct report_rec *x = a, *y = b;

	if (x->page != y->page)
		return x->page < y->page ? -1 : 1;
	return x->h < y->h ? -1 : x->h > y->h;
}

/*
 * The checks for one page, given its marks sorted by t0 and its reports
 * sorted by harvest. A report in harvest h needs a mark that may have set
 * the bit after the previous report's harvest began and before h ended;
 * marks that set the bit and reports pair up one to one; and the last
 * mark must be followed by a report. Returns failures, with a message.
 */
static u64 check_page(u64 page, const struct mark_rec *m, u64 nm,
		      const struct report_rec *r, u64 nr)
{
	u64 i, k = 0, newly = 0, max_t1 = 0, after = 0, fails = 0;
	const struct harvest_rec *hr;

	for (i = 0; i < nm; i++)
		newly += m[i].newly;
	for (i = 0; i < nr; i++) {
		hr = &conc.harvests[r[i].h];
		for (; k < nm && m[k].t0 < hr->h1; k++)
			max_t1 = MAX(max_t1, m[k].t1);
		if (!k || max_t1 <= after) {
			print_error("page %llu: report in harvest %u with no "
				    "mark since the last\n",
				    (unsigned long long)page, r[i].h);
			fails++;
		}
		after = hr->h0;
	}
	if (newly != nr) {
		print_error("page %llu: %llu marks set the bit, %llu reports\n",
			    (unsigned long long)page, (unsigned long long)newly,
			    (unsigned long long)nr);
		fails++;
	}
	if (nm && (!nr || conc.harvests[r[nr - 1].h].h1 <= m[nm - 1].t0)) {
		print_error("page %llu: last mark never reported\n",
			    (unsigned long long)page);
		fails++;
	}
	return fails;
}

/* Sorts the records by page and runs check_page on each page. */
static u64 check_all(void)
{
	const u64 nmarks = (u64)CONC_WRITERS * CONC_MARKS;
	u64 page, im = 0, ir = 0, m0, r0, fails = 0;

	qsort(conc.marks, nmarks, sizeof(*conc.marks), cmp_mark);
	qsort(conc.reports, conc.nreports, sizeof(*conc.reports), cmp_report);
	for (page = 0; page < CONC_PAGES; page++) {
		for (m0 = im; im < nmarks && conc.marks[im].page == page; im++)
			;
		for (r0 = ir;
		     ir < conc.nreports && conc.reports[ir].page == page; ir++)
			;
		fails += check_page(page, &conc.marks[m0], im - m0,
				    &conc.reports[r0], ir - r0);
	}
	if (ir != conc.nreports) /* a page past the slot was reported */
		fails++;
	return fails;
}

static void conc_setup(void)
{
	memset(&conc, 0, sizeof(conc));
	assert_int_equal(dirty_bitmap_init(&conc.b, CONC_PAGES, conc.words), 0);
	conc.marks =
		calloc((size_t)CONC_WRITERS * CONC_MARKS, sizeof(*conc.marks));
	conc.reports = calloc(CONC_MAX_REPORTS, sizeof(*conc.reports));
	conc.harvests = calloc(CONC_MAX_HARVESTS, sizeof(*conc.harvests));
	assert_non_null(conc.marks);
	assert_non_null(conc.reports);
	assert_non_null(conc.harvests);
}

static void test_concurrent(void **state)
{
	pthread_t w[CONC_WRITERS], h;
	u64 i, fails;

	(void)state;
	conc_setup();
	assert_int_equal(pthread_create(&h, NULL, harvester, NULL), 0);
	for (i = 0; i < CONC_WRITERS; i++)
		assert_int_equal(pthread_create(&w[i], NULL, writer,
						(void *)(uintptr_t)i),
				 0);
	for (i = 0; i < CONC_WRITERS; i++)
		assert_int_equal(pthread_join(w[i], NULL), 0);
	__atomic_store_n(&conc.writers_done, true, __ATOMIC_SEQ_CST);
	assert_int_equal(pthread_join(h, NULL), 0);
	conc_harvest(); /* the final one, after every mark */
	assert_int_equal(dirty_bitmap_count(&conc.b), 0);
	assert_int_equal(conc.errors, 0);
	print_message("concurrent: %d writers, %llu marks, %u harvests, "
		      "%llu reports\n",
		      CONC_WRITERS,
		      (unsigned long long)CONC_WRITERS * CONC_MARKS,
		      conc.nharvests, (unsigned long long)conc.nreports);
	fails = check_all();
	free(conc.marks);
	free(conc.reports);
	free(conc.harvests);
	assert_int_equal(fails, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sizes),
		cmocka_unit_test(test_init),
		cmocka_unit_test(test_mark_layout),
		cmocka_unit_test(test_last_word),
		cmocka_unit_test(test_mark_out_of_range),
		cmocka_unit_test(test_stray_tail_bit),
		cmocka_unit_test(test_harvest_clears),
		cmocka_unit_test(test_enospc),
		cmocka_unit_test(test_marks_count),
		cmocka_unit_test(test_random),
		cmocka_unit_test(test_concurrent),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
