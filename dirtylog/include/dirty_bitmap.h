/* SPDX-License-Identifier: MIT */
/*
 * The dirty bitmap of one memory slot (dirtylog/dirty_bitmap.c), in the
 * format HC_DIRTY_LOG_GET hands to guests (contract section 5): bit i, that
 * is bit i % 64 of little-endian u64 word i / 64, stands for page
 * base_gfn + i of the slot. Pages are counted from the slot's start here;
 * the caller adds base_gfn. Bits past npages in the last word stay clear.
 *
 * Marks and harvests race, and the bitmap is built so that no mark is lost:
 *
 *   The lost dirty bit. A harvest that reads a word and then stores 0 into
 *   it wipes out any bit a vCPU sets in between. That vCPU's fault handler
 *   goes on to make its page writable, so later writes to the page no
 *   longer fault and are never logged: the guest's write is lost for good.
 *   dirty_bitmap_harvest() therefore takes each word with one atomic
 *   exchange against 0. A bit set before the exchange is in the value it
 *   returns (this harvest reports it and write-protects the page); a bit
 *   set after it stays in the word for the next harvest. Every set bit is
 *   reported exactly once.
 *
 *   Why a whole word per exchange. KVM once swapped in a fresh bitmap
 *   under SRCU and write-protected the whole slot on every get; since 2012
 *   ("srcu-less get_dirty_log", now kvm_get_dirty_log_protect) it skips
 *   zero words, exchanges each other word with 0 and write-protects just
 *   the pages in that word's mask. One locked instruction then covers 64
 *   pages, clean pages cost nothing, and the write-protect step walks only
 *   the rmaps of pages that were reported. The same shape here: each()
 *   receives a word's first page and its mask.
 *
 *   Why a mark always does the atomic OR. Skipping it when the bit already
 *   reads set looks cheaper, but a harvest may clear that bit and
 *   write-protect the page right after the read; the fault handler would
 *   then make the page writable again with no bit set, and lose the write.
 *
 * Context: any CPU. dirty_bitmap_mark() is called from vCPU write-fault
 * handlers without the MMU lock, on many CPUs at once, before the handler
 * makes the page writable. dirty_bitmap_harvest() runs under the slot's
 * dirty-log mutex, one harvest per slot at a time; each() may take the
 * MMU lock. Nothing here takes a lock.
 */
#ifndef SHADE_DIRTY_BITMAP_H
#define SHADE_DIRTY_BITMAP_H

#include "types.h"

/* Pages per bitmap word, and bytes per word (contract section 5). */
#define DIRTY_BITMAP_WORD_BITS	64
#define DIRTY_BITMAP_WORD_BYTES 8

struct dirty_bitmap {
	u64 *words;    /* nwords words; changed only by atomic operations */
	u64 npages;    /* pages in the slot: bits [0, npages) may be set */
	u64 nwords;    /* dirty_bitmap_words(npages) */
	u64 last_mask; /* the bits of words[nwords - 1] that stand for pages */
	u64 marks;     /* bits marks found clear, since the last
			  dirty_bitmap_take_marks(); atomic adds */
};

/* Pages in a word: the bits set in x, by hand, in a few instructions
 * (without -mpopcnt the compiler's builtin is a call into libgcc). */
static inline u64 dirty_bitmap_weight(u64 x)
{
	x = x - ((x >> 1) & 0x5555555555555555ULL);
	x = (x & 0x3333333333333333ULL) + ((x >> 2) & 0x3333333333333333ULL);
	x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0fULL;
	return (x * 0x0101010101010101ULL) >> 56;
}

/* Words needed for npages pages: ceil(npages / 64). */
u64 dirty_bitmap_words(u64 npages);

/* Bytes needed for npages pages: 8 * ceil(npages / 64), the least
 * bitmap_bytes HC_DIRTY_LOG_GET accepts. */
u64 dirty_bitmap_bytes(u64 npages);

/*
 * Set b up over words[], which holds dirty_bitmap_words(npages) words and
 * is cleared here (callers may hand it over zeroed or not). Returns 0, or
 * -EINVAL for 0 pages or no storage. No marks or harvests may run yet.
 */
int dirty_bitmap_init(struct dirty_bitmap *b, u64 npages, u64 *words);

/*
 * Mark page (slot-relative) dirty with one atomic OR. Returns true if its
 * bit was clear, false if it was already set. A page >= npages is the
 * caller's bug: panic. Any CPU, no lock needed.
 */
bool dirty_bitmap_mark(struct dirty_bitmap *b, u64 page);

/*
 * Called by a harvest for each non-zero word, in increasing order:
 * first_page is the word's first page (a multiple of 64, slot-relative)
 * and mask its bits, bit n standing for page first_page + n.
 */
typedef void (*dirty_bitmap_each_fn)(void *ctx, u64 first_page, u64 mask);

/*
 * Take every dirty bit out of b: each word is exchanged with 0, stored in
 * out[] (all b->nwords words, zeros included; out[] past them is left
 * alone) and, when non-zero, passed to each(ctx, ...) if each is not NULL.
 * Returns the number of pages reported (the bits set in out[]), or -ENOSPC
 * (b and out[] untouched) if out_words < b->nwords. Caller holds the
 * slot's dirty-log mutex; marks may run concurrently.
 */
s64 dirty_bitmap_harvest(struct dirty_bitmap *b, u64 *out, u64 out_words,
			 dirty_bitmap_each_fn each, void *ctx);

/*
 * Take word w (0 <= w < b->nwords) out of b with one atomic exchange
 * against 0, as a harvest does, and return it (bit n: page 64 w + n). For
 * a caller that harvests word by word and acts on each word at once.
 * Same rules as dirty_bitmap_harvest().
 */
u64 dirty_bitmap_take(struct dirty_bitmap *b, u64 w);

/*
 * How many marks found their bit clear since the last call (or init), and
 * a new count from 0. An estimate of what the next harvest reports, taken
 * before it runs (marks racing with either make it off by their number):
 * for choosing how to harvest, never for correctness.
 */
u64 dirty_bitmap_take_marks(struct dirty_bitmap *b);

/* Word w as it is now (a plain atomic load): a word that reads 0 has
 * nothing to take yet. */
static inline u64 dirty_bitmap_peek(const struct dirty_bitmap *b, u64 w)
{
	return __atomic_load_n(&b->words[w], __ATOMIC_SEQ_CST);
}

/* Pages marked and not yet harvested; a snapshot when marks run
 * concurrently. For statistics and tests. */
u64 dirty_bitmap_count(const struct dirty_bitmap *b);

#endif
