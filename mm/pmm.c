// SPDX-License-Identifier: MIT
/*
 * The physical frame allocator (include/pmm.h): one bit per 4 KiB frame,
 * set while the frame is free, kept in 64-bit words so that every search
 * steps over 64 frames at a time where a word is all used or all free.
 *
 * The loader's memory map is not trusted to be tidy. Entries may come in
 * any order, overlap, or have unaligned edges, so a frame counts as free
 * only when it lies wholly inside some available entry and touches no
 * other entry and no reserved range: available ranges are rounded inward,
 * everything else outward. Empty entries are skipped; an available entry
 * whose end wraps past 2^64 is skipped, while an unavailable one is cut at
 * the top of the address space instead, since honouring the part we can
 * read is the safe reading of a range that must stay unused.
 *
 * Placement policy: searches start at 1 MiB, and frames below it are used
 * only when nothing above fits, because the AP trampoline must live there.
 * Among fitting runs the lowest is chosen, so results are predictable.
 *
 * Context: any CPU, interrupts on or off. p->lock protects the bitmap, the
 * counters and the hint; every public function takes it, and the static
 * helpers below run with it held.
 */
#include "types.h"
#include "errno.h"
#include "kstring.h"
#include "spinlock.h"
#include "pmm.h"

#define BITS_PER_WORD 64

/* MAXPHYADDR is at most 52 (SDM Vol. 3A, 4.1.4): RAM above is fiction. */
#define PMM_MAX_PHYS_SHIFT 52
#define PMM_MAX_FRAMES	   (1ULL << (PMM_MAX_PHYS_SHIFT - PAGE_SHIFT))

/* The first frame of the preferred area: everything from 1 MiB up. */
#define PMM_LOW_FRAMES ((1 * MiB) >> PAGE_SHIFT)

/* Where the map and the reserved ranges are, for pmm_find_home. */
struct pmm_layout {
	const struct mem_range *map;
	u32 nmap;
	const struct mem_range *res;
	u32 nres;
};

/*
 * The frames [*first, *end) wholly inside r if r is a sane available
 * entry; false for other types and for empty or wrapping entries.
 */
static bool avail_frames(const struct mem_range *r, u64 *first, u64 *end)
{
	u64 top;

	if (r->type != MEM_AVAILABLE || r->len == 0 ||
	    r->base > UINT64_MAX - r->len)
		return false;
	top = MIN(r->base + r->len, PMM_MAX_FRAMES << PAGE_SHIFT);
	if (r->base >= top)
		return false;
	*first = ALIGN_UP(r->base, PAGE_SIZE) >> PAGE_SHIFT;
	*end = top >> PAGE_SHIFT;
	return *first < *end;
}

/* The frames [*first, *end) that r touches at all; false if r is empty. */
static bool blocked_frames(const struct mem_range *r, u64 *first, u64 *end)
{
	u64 last;

	if (r->len == 0)
		return false;
	if (r->base > UINT64_MAX - (r->len - 1))
		last = UINT64_MAX;
	else
		last = r->base + (r->len - 1);
	*first = r->base >> PAGE_SHIFT;
	*end = (last >> PAGE_SHIFT) + 1;
	return true;
}

/* One past the highest frame of any available entry: the bitmap's size. */
static u64 map_frames(const struct mem_range *map, u32 nmap)
{
	u64 top = 0, first, end;
	u32 i;

	for (i = 0; i < nmap; i++)
		if (avail_frames(&map[i], &first, &end))
			top = MAX(top, end);
	return top;
}

u64 pmm_bitmap_bytes(const struct mem_range *map, u32 nmap)
{
	return DIV_ROUND_UP(map_frames(map, nmap), BITS_PER_WORD) * sizeof(u64);
}

/* Sets (frees) or clears (uses) the bits of [from, to), a word at a time. */
static void fill_bits(u64 *bm, u64 from, u64 to, bool set)
{
	while (from < to) {
		u64 bit = from % BITS_PER_WORD;
		u64 n = MIN(BITS_PER_WORD - bit, to - from);
		u64 mask = n == BITS_PER_WORD ? ~0ULL : (BIT(n) - 1) << bit;

		if (set)
			bm[from / BITS_PER_WORD] |= mask;
		else
			bm[from / BITS_PER_WORD] &= ~mask;
		from += n;
	}
}

/*
 * The first frame in [from, to) whose bit equals set, or to. Whole words
 * with nothing to find are skipped with one compare. Bits past nframes in
 * the last word are clear, and results are clamped to to, so they never
 * leak out as frames.
 */
static u64 find_bit(const u64 *bm, u64 from, u64 to, bool set)
{
	u64 flip = set ? 0 : ~0ULL;
	u64 w, word;

	if (from >= to)
		return to;
	w = from / BITS_PER_WORD;
	word = (bm[w] ^ flip) & (~0ULL << (from % BITS_PER_WORD));
	while (!word) {
		if (++w * BITS_PER_WORD >= to)
			return to;
		word = bm[w] ^ flip;
	}
	return MIN(w * BITS_PER_WORD + (u64)__builtin_ctzll(word), to);
}

/* Bits set in x; by hand, as the kernel links no libgcc popcount. */
static u64 popcount64(u64 x)
{
	x = x - ((x >> 1) & 0x5555555555555555ULL);
	x = (x & 0x3333333333333333ULL) + ((x >> 2) & 0x3333333333333333ULL);
	x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0fULL;
	return (x * 0x0101010101010101ULL) >> 56;
}

/* Marks every frame that r touches as used. Caller holds p->lock. */
static void block_range(struct pmm *p, const struct mem_range *r)
{
	u64 first, end;

	if (blocked_frames(r, &first, &end))
		fill_bits(p->bitmap, MIN(first, p->nframes),
			  MIN(end, p->nframes), false);
}

/* Fills the bitmap from the map and the reserved ranges. */
static void build_bitmap(struct pmm *p, const struct pmm_layout *l)
{
	u64 first, end;
	u32 i;

	memset(p->bitmap, 0,
	       DIV_ROUND_UP(p->nframes, BITS_PER_WORD) * sizeof(u64));
	for (i = 0; i < l->nmap; i++)
		if (avail_frames(&l->map[i], &first, &end))
			fill_bits(p->bitmap, first, end, true);
	for (i = 0; i < l->nmap; i++)
		if (l->map[i].type != MEM_AVAILABLE)
			block_range(p, &l->map[i]);
	for (i = 0; i < l->nres; i++)
		block_range(p, &l->res[i]);
	/* Frame 0 holds the real-mode IVT, and a 0 address means "none". */
	fill_bits(p->bitmap, 0, 1, false);
}

int pmm_init(struct pmm *p, const struct mem_range *map, u32 nmap,
	     const struct mem_range *res, u32 nres, u64 *bitmap)
{
	struct pmm_layout l = {map, nmap, res, nres};
	u64 w, nfree = 0;

	spin_init(&p->lock, "pmm");
	spin_lock(&p->lock);
	p->bitmap = bitmap;
	p->nframes = map_frames(map, nmap);
	if (p->nframes)
		build_bitmap(p, &l);
	for (w = 0; w < DIV_ROUND_UP(p->nframes, BITS_PER_WORD); w++)
		nfree += popcount64(bitmap[w]);
	p->total_frames = nfree;
	p->free_frames = nfree;
	/* No free frame lies in [PMM_LOW_FRAMES, hint): see take_frames. */
	p->hint = find_bit(bitmap, PMM_LOW_FRAMES, p->nframes, true);
	spin_unlock(&p->lock);
	return nfree ? 0 : -EINVAL;
}

/*
 * The lowest s in [from, end - n] that is a multiple of align and starts a
 * run of n free frames. Each round either succeeds or moves past a used
 * frame, so the bitmap is read about once over. Caller holds p->lock.
 */
static bool find_run(const struct pmm *p, u64 from, u64 end, u64 n, u64 align,
		     u64 *out)
{
	u64 s = from, used;

	for (;;) {
		s = find_bit(p->bitmap, s, end, true);
		if (s >= end)
			return false;
		if (s % align) {
			if (align - s % align >= end - s)
				return false;
			s += align - s % align;
		}
		if (end - s < n)
			return false;
		used = find_bit(p->bitmap, s, s + n, false);
		if (used == s + n) {
			*out = s;
			return true;
		}
		s = used + 1;
	}
}

/*
 * Runs starting at or above start first; then runs starting below it,
 * whose end may reach past start. Caller holds p->lock.
 */
static bool search(const struct pmm *p, u64 start, u64 end, u64 n, u64 align,
		   u64 *out)
{
	if (find_run(p, start, end, n, align, out))
		return true;
	return start > 0 &&
	       find_run(p, 0, MIN(end, start - 1 + n), n, align, out);
}

/*
 * Marks [first, first + n) used. The hint keeps the invariant that no
 * frame in [PMM_LOW_FRAMES, hint) is free: taking frames cannot break it,
 * and a single frame found from the hint had only used frames before it.
 * Caller holds p->lock.
 */
static void take_frames(struct pmm *p, u64 first, u64 n, bool from_hint)
{
	fill_bits(p->bitmap, first, first + n, false);
	p->free_frames -= n;
	if (from_hint && first >= p->hint)
		p->hint = first + 1;
}

int pmm_alloc(struct pmm *p, u64 nframes, u64 align_frames, hpa_t limit,
	      hpa_t *pa)
{
	u64 end, start, first = 0;
	bool single, found;

	if (nframes == 0)
		return -EINVAL;
	if (align_frames == 0)
		align_frames = 1;
	single = nframes == 1 && align_frames == 1;

	spin_lock(&p->lock);
	end = p->nframes;
	if (limit)
		end = MIN(end, limit >> PAGE_SHIFT);
	start = single ? p->hint : PMM_LOW_FRAMES;
	found = nframes <= end &&
		search(p, start, end, nframes, align_frames, &first);
	if (found)
		take_frames(p, first, nframes, single);
	spin_unlock(&p->lock);

	if (!found)
		return -ENOMEM;
	*pa = first << PAGE_SHIFT;
	return 0;
}

int pmm_alloc_frame(struct pmm *p, hpa_t *pa)
{
	return pmm_alloc(p, 1, 1, 0, pa);
}

/*
 * True if [first, first + n) may be returned: inside the bitmap, not frame
 * 0, and every frame in use. More frames than are out is a sure sign of a
 * bogus range (a reserved one, say) even where the bits cannot tell.
 * Caller holds p->lock.
 */
static bool is_freeable(const struct pmm *p, u64 first, u64 n)
{
	return first != 0 && first < p->nframes && n <= p->nframes - first &&
	       n <= p->total_frames - p->free_frames &&
	       find_bit(p->bitmap, first, first + n, true) == first + n;
}

int pmm_free(struct pmm *p, hpa_t pa, u64 nframes)
{
	u64 first = pa >> PAGE_SHIFT, low;
	int ret = -EINVAL;

	if (nframes == 0 || !IS_ALIGNED(pa, PAGE_SIZE))
		return -EINVAL;

	spin_lock(&p->lock);
	if (is_freeable(p, first, nframes)) {
		fill_bits(p->bitmap, first, first + nframes, true);
		p->free_frames += nframes;
		/* Pull the hint back over the freed frames it had passed. */
		low = MAX(first, PMM_LOW_FRAMES);
		if (first + nframes > PMM_LOW_FRAMES && low < p->hint)
			p->hint = low;
		ret = 0;
	}
	spin_unlock(&p->lock);
	return ret;
}

/* True if available entries, together, cover all of [first, end). */
static bool is_covered(const struct pmm_layout *l, u64 first, u64 end)
{
	u64 pos = first, next, f, e;
	u32 i;

	while (pos < end) {
		next = pos;
		for (i = 0; i < l->nmap; i++)
			if (avail_frames(&l->map[i], &f, &e) && f <= pos &&
			    pos < e)
				next = MAX(next, e);
		if (next == pos)
			return false;
		pos = next;
	}
	return true;
}

/* True if an unavailable entry or a reserved range touches [first, end). */
static bool is_blocked(const struct pmm_layout *l, u64 first, u64 end)
{
	u64 f, e;
	u32 i;

	for (i = 0; i < l->nmap; i++)
		if (l->map[i].type != MEM_AVAILABLE &&
		    blocked_frames(&l->map[i], &f, &e) && f < end && first < e)
			return true;
	for (i = 0; i < l->nres; i++)
		if (blocked_frames(&l->res[i], &f, &e) && f < end && first < e)
			return true;
	return false;
}

/* Lowers *best to first if n frames from there would all be free. */
static void try_home(const struct pmm_layout *l, u64 first, u64 n, u64 *best)
{
	if (first < PMM_LOW_FRAMES || first >= *best ||
	    n > PMM_MAX_FRAMES - MIN(first, PMM_MAX_FRAMES))
		return;
	if (is_covered(l, first, first + n) && !is_blocked(l, first, first + n))
		*best = first;
}

/*
 * The lowest fitting address starts where the frame below it is unusable
 * (or at 1 MiB), so it is 1 MiB, the start of an available entry or the
 * end of a blocking range: trying those candidates alone is enough.
 */
int pmm_find_home(const struct mem_range *map, u32 nmap,
		  const struct mem_range *res, u32 nres, u64 bytes, hpa_t *pa)
{
	struct pmm_layout l = {map, nmap, res, nres};
	u64 n, best = UINT64_MAX, f, e;
	u32 i;

	if (bytes == 0)
		return -EINVAL;
	n = (bytes - 1) / PAGE_SIZE + 1;
	try_home(&l, PMM_LOW_FRAMES, n, &best);
	for (i = 0; i < nmap; i++) {
		if (avail_frames(&map[i], &f, &e))
			try_home(&l, f, n, &best);
		else if (map[i].type != MEM_AVAILABLE &&
			 blocked_frames(&map[i], &f, &e))
			try_home(&l, e, n, &best);
	}
	for (i = 0; i < nres; i++)
		if (blocked_frames(&res[i], &f, &e))
			try_home(&l, e, n, &best);
	if (best == UINT64_MAX)
		return -ENOMEM;
	*pa = best << PAGE_SHIFT;
	return 0;
}
