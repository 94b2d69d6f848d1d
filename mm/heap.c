// SPDX-License-Identifier: MIT
/*
 * Shade's heap (include/heap.h): first fit over a free list kept sorted by
 * address, so that a freed block merges with both neighbours in one walk.
 *
 * Every block, free or not, starts with a 16-byte header: its size
 * (header included, a multiple of 16) and a magic that says whether it is
 * in use. Blocks are 16-byte aligned, so payloads are too. A free block
 * keeps its list link in the first payload bytes. Headers swallowed by a
 * merge keep their free magic, so freeing such a block again still reads
 * as a double free rather than as a stray pointer.
 *
 * Memory comes from h->grow in regions of at least 64 KiB. Regions need not
 * be adjacent; when they are, their blocks merge like any others.
 *
 * Context: any CPU, not interrupt handlers. h->lock protects the free list
 * and the counters. h->grow is called with h->lock held, so the lock order
 * is heap->lock, then whatever grow takes (pmm->lock); grow must not use
 * the heap.
 */
#include "types.h"
#include "errno.h"
#include "panic.h"
#include "spinlock.h"
#include "heap.h"

#define HEAP_ALIGN	16
#define HEAP_GROW_MIN	(64 * KiB)
#define HEAP_MAGIC_USED 0x6465737570616568ULL /* "heapused" in memory */
#define HEAP_MAGIC_FREE 0x6565726670616568ULL /* "heapfree" in memory */

struct heap_block {
	u64 size;		 /* whole block, header included */
	u64 magic;		 /* HEAP_MAGIC_USED or HEAP_MAGIC_FREE */
	struct heap_block *next; /* free blocks only: overlays the payload */
};

#define HEAP_HDR       offsetof(struct heap_block, next)
#define HEAP_MIN_BLOCK ALIGN_UP(sizeof(struct heap_block), HEAP_ALIGN)

_Static_assert(HEAP_HDR == HEAP_ALIGN, "payloads must stay 16-byte aligned");

static char *block_end(const struct heap_block *b)
{
	return (char *)b + b->size;
}

static void *payload(struct heap_block *b)
{
	return (char *)b + HEAP_HDR;
}

void heap_init(struct heap *h, heap_grow_fn grow)
{
	spin_init(&h->lock, "heap");
	h->free = NULL;
	h->grow = grow;
	h->bytes_total = 0;
	h->bytes_used = 0;
}

/*
 * Puts b into the free list at its address and merges it with the blocks
 * just before and after it. A block that overlaps a free one means the
 * list or a header is corrupt. Caller holds h->lock.
 */
static void free_insert(struct heap *h, struct heap_block *b)
{
	struct heap_block *prev = NULL, *next = h->free;

	spin_assert_held(&h->lock);
	while (next && next < b) {
		prev = next;
		next = next->next;
	}
	if ((prev && block_end(prev) > (char *)b) ||
	    (next && block_end(b) > (char *)next))
		panic("heap: block %p (%llu bytes) overlaps a free block", b,
		      (unsigned long long)b->size);

	b->magic = HEAP_MAGIC_FREE;
	b->next = next;
	if (next && block_end(b) == (char *)next) {
		b->size += next->size;
		b->next = next->next;
	}
	if (!prev) {
		h->free = b;
	} else if (block_end(prev) == (char *)b) {
		prev->size += b->size;
		prev->next = b->next;
	} else {
		prev->next = b;
	}
}

/*
 * Takes the first free block of at least need bytes, splitting off the
 * tail when it is big enough to be a block of its own. Returns the payload
 * or NULL. Caller holds h->lock.
 */
static void *take_first_fit(struct heap *h, u64 need)
{
	struct heap_block **link = &h->free, *b, *rest;

	spin_assert_held(&h->lock);
	for (b = h->free; b && b->size < need; b = b->next)
		link = &b->next;
	if (!b)
		return NULL;

	if (b->size - need >= HEAP_MIN_BLOCK) {
		rest = (struct heap_block *)((char *)b + need);
		rest->size = b->size - need;
		rest->magic = HEAP_MAGIC_FREE;
		rest->next = b->next;
		*link = rest;
		b->size = need;
	} else {
		*link = b->next;
	}
	b->magic = HEAP_MAGIC_USED;
	h->bytes_used += b->size;
	return payload(b);
}

/*
 * Asks grow for a region that holds a block of need bytes and adds it,
 * trimmed to 16-byte edges, to the free list. Caller holds h->lock.
 */
static int heap_grow(struct heap *h, u64 need)
{
	uintptr_t start, end;
	struct heap_block *b;
	void *base;
	u64 len;
	int ret;

	if (!h->grow)
		return -ENOMEM;
	ret = h->grow(ALIGN_UP(MAX(need, HEAP_GROW_MIN), PAGE_SIZE), &base,
		      &len);
	if (ret)
		return ret;
	if ((uintptr_t)base > UINTPTR_MAX - len)
		panic("heap: grow returned a region past the address space");
	start = ALIGN_UP((uintptr_t)base, HEAP_ALIGN);
	end = ALIGN_DOWN((uintptr_t)base + len, HEAP_ALIGN);
	if (end <= start || end - start < HEAP_MIN_BLOCK)
		return -ENOMEM;

	b = (struct heap_block *)start;
	b->size = end - start;
	h->bytes_total += b->size;
	free_insert(h, b);
	return 0;
}

void *heap_alloc(struct heap *h, size_t size)
{
	u64 need;
	void *p;

	/* Bounding size here keeps every sum below, grow's included, exact. */
	if (size > SIZE_MAX - HEAP_GROW_MIN)
		return NULL;
	need = MAX(ALIGN_UP(size + HEAP_HDR, HEAP_ALIGN), HEAP_MIN_BLOCK);

	spin_lock(&h->lock);
	p = take_first_fit(h, need);
	if (!p && heap_grow(h, need) == 0)
		p = take_first_fit(h, need);
	spin_unlock(&h->lock);
	return p;
}

/* Panics unless b is the header of a block in use. Caller holds h->lock. */
static void check_live(const struct heap *h, const struct heap_block *b,
		       const void *ptr)
{
	if (b->magic == HEAP_MAGIC_FREE)
		panic("heap_free(%p): double free", ptr);
	if (b->magic != HEAP_MAGIC_USED)
		panic("heap_free(%p): not a heap block (magic %#llx)", ptr,
		      (unsigned long long)b->magic);
	if (b->size < HEAP_MIN_BLOCK || !IS_ALIGNED(b->size, HEAP_ALIGN) ||
	    b->size > h->bytes_used)
		panic("heap_free(%p): corrupt header (size %llu)", ptr,
		      (unsigned long long)b->size);
}

void heap_free(struct heap *h, void *ptr)
{
	struct heap_block *b;
	u64 size;

	if (!ptr)
		return;
	if (!IS_ALIGNED((uintptr_t)ptr, HEAP_ALIGN))
		panic("heap_free(%p): misaligned, not a heap block", ptr);
	b = (struct heap_block *)((char *)ptr - HEAP_HDR);

	spin_lock(&h->lock);
	check_live(h, b, ptr);
	/* Read before the merge may grow b; count once it cannot panic. */
	size = b->size;
	free_insert(h, b);
	h->bytes_used -= size;
	spin_unlock(&h->lock);
}

s64 heap_check(struct heap *h)
{
	const struct heap_block *b, *prev = NULL;
	u64 free_bytes = 0;
	s64 n = 0;
	bool ok = true;

	spin_lock(&h->lock);
	for (b = h->free; b && ok; prev = b, b = b->next, n++) {
		ok = b->magic == HEAP_MAGIC_FREE && b->size >= HEAP_MIN_BLOCK &&
		     IS_ALIGNED(b->size, HEAP_ALIGN) &&
		     IS_ALIGNED((uintptr_t)b, HEAP_ALIGN);
		/* Touching neighbours would mean a merge was missed. */
		if (prev && block_end(prev) >= (const char *)b)
			ok = false;
		free_bytes += b->size;
	}
	if (free_bytes + h->bytes_used != h->bytes_total)
		ok = false;
	spin_unlock(&h->lock);
	return ok ? n : -EINVAL;
}
