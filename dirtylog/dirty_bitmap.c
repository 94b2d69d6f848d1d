// SPDX-License-Identifier: MIT
/*
 * The per-slot dirty bitmap (dirtylog/include/dirty_bitmap.h, which gives
 * the format and the races): marks set bits with an atomic OR, harvests
 * take whole words with an atomic exchange against 0.
 *
 * Memory order: every access to a word is a __atomic builtin with
 * __ATOMIC_SEQ_CST. On x86 the OR and the exchange are locked instructions
 * whatever the order asked for, and a sequentially consistent load is a
 * plain MOV, so the strongest order costs nothing and keeps the reasoning
 * simple: all marks and harvests of one word fall into one total order.
 *
 * Context: any CPU. Marks need no lock; harvests run under the slot's
 * dirty-log mutex. Nothing here takes a lock, allocates or sleeps.
 */
#include "types.h"
#include "errno.h"
#include "panic.h"
#include "dirty_bitmap.h"

/* Shift from a page index to its word index: 64 pages per word. */
#define WORD_SHIFT	6
#define WORD_INDEX_MASK (DIRTY_BITMAP_WORD_BITS - 1)

_Static_assert(BIT(WORD_SHIFT) == DIRTY_BITMAP_WORD_BITS,
	       "WORD_SHIFT matches the word size");
_Static_assert(DIRTY_BITMAP_WORD_BYTES * 8 == DIRTY_BITMAP_WORD_BITS,
	       "a word is 8 bytes");

u64 dirty_bitmap_words(u64 npages)
{
	/* Not DIV_ROUND_UP: npages + 63 would wrap for the largest counts. */
	return (npages >> WORD_SHIFT) + ((npages & WORD_INDEX_MASK) != 0);
}

u64 dirty_bitmap_bytes(u64 npages)
{
	return DIRTY_BITMAP_WORD_BYTES * dirty_bitmap_words(npages);
}

/* The bits of the last word that stand for pages: all of them when npages
 * is a multiple of 64, else the low npages % 64. */
static u64 last_word_mask(u64 npages)
{
	u64 used = npages & WORD_INDEX_MASK;

	return used ? BIT(used) - 1 : ~0ULL;
}

int dirty_bitmap_init(struct dirty_bitmap *b, u64 npages, u64 *words)
{
	u64 w;

	if (npages == 0 || !words)
		return -EINVAL;
	b->words = words;
	b->npages = npages;
	b->nwords = dirty_bitmap_words(npages);
	b->last_mask = last_word_mask(npages);
	__atomic_store_n(&b->marks, 0, __ATOMIC_RELAXED);
	for (w = 0; w < b->nwords; w++)
		__atomic_store_n(&words[w], 0, __ATOMIC_SEQ_CST);
	return 0;
}

bool dirty_bitmap_mark(struct dirty_bitmap *b, u64 page)
{
	u64 bit, old;

	if (unlikely(page >= b->npages))
		panic("dirty_bitmap_mark: page %llu out of range (npages %llu)",
		      (unsigned long long)page, (unsigned long long)b->npages);
	bit = BIT(page & WORD_INDEX_MASK);
	/* Always the locked OR, never a test first: see dirty_bitmap.h. */
	old = __atomic_fetch_or(&b->words[page >> WORD_SHIFT], bit,
				__ATOMIC_SEQ_CST);
	if (old & bit)
		return false;
	__atomic_fetch_add(&b->marks, 1, __ATOMIC_RELAXED);
	return true;
}

u64 dirty_bitmap_take_marks(struct dirty_bitmap *b)
{
	return __atomic_exchange_n(&b->marks, 0, __ATOMIC_RELAXED);
}

/*
 * A word that reads 0 is left alone (as KVM does): there is nothing in it
 * to lose, and a bit set just after the read stays in the word for the
 * next harvest, exactly as one set just after an exchange would. A bit
 * past npages means the bitmap was written behind our back: panic.
 */
static inline u64 take_word(struct dirty_bitmap *b, u64 w)
{
	u64 mask;

	if (!__atomic_load_n(&b->words[w], __ATOMIC_SEQ_CST))
		return 0;
	mask = __atomic_exchange_n(&b->words[w], 0, __ATOMIC_SEQ_CST);
	if (unlikely(w == b->nwords - 1 && (mask & ~b->last_mask)))
		panic("dirty_bitmap: bits past page %llu set: %#llx",
		      (unsigned long long)b->npages,
		      (unsigned long long)(mask & ~b->last_mask));
	return mask;
}

u64 dirty_bitmap_take(struct dirty_bitmap *b, u64 w)
{
	return take_word(b, w);
}

s64 dirty_bitmap_harvest(struct dirty_bitmap *b, u64 *out, u64 out_words,
			 dirty_bitmap_each_fn each, void *ctx)
{
	u64 w, mask, pages = 0;

	if (out_words < b->nwords)
		return -ENOSPC;
	for (w = 0; w < b->nwords; w++) {
		mask = take_word(b, w);
		out[w] = mask;
		if (!mask)
			continue;
		pages += dirty_bitmap_weight(mask);
		if (each)
			each(ctx, w << WORD_SHIFT, mask);
	}
	return (s64)pages;
}

u64 dirty_bitmap_count(const struct dirty_bitmap *b)
{
	u64 w, pages = 0;

	for (w = 0; w < b->nwords; w++)
		pages += dirty_bitmap_weight(
			__atomic_load_n(&b->words[w], __ATOMIC_SEQ_CST));
	return pages;
}
