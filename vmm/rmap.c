// SPDX-License-Identifier: MIT
/*
 * The reverse map (vmm/include/rmap.h, which draws the encoding): per guest
 * frame, the sptes that map it, in a one-word head that grows into a chain
 * of 128-byte descriptors. The layout follows KVM's pte_list.
 *
 * The rule that keeps chains compact: only the first descriptor may be
 * partly full. rmap_add appends to the first descriptor, or puts a fresh
 * one in front when it is full; rmap_remove fills the hole it makes with
 * the first descriptor's last entry, frees the first descriptor once it is
 * empty, and folds a chain left with one entry back into the head word. So
 * n >= 2 entries always take DIV_ROUND_UP(n, RMAP_DESC_ENTRIES) descriptors.
 *
 * Descriptors come only from a struct rmap_cache and go back to one, so no
 * function here allocates or frees memory except rmap_cache_topup/trim.
 *
 * Context: the caller holds the partition's MMU lock for everything but
 * the cache topup/trim/drain, which run outside it. Nothing here takes a
 * lock.
 */
#include "types.h"
#include "errno.h"
#include "panic.h"
#include "rmap.h"

struct rmap_desc {
	struct rmap_desc *next; /* the following, full, descriptor */
	u32 count;		/* entries used in sptes[] */
	u32 tail_count;		/* first descriptor only: entries behind it */
	u64 *sptes[RMAP_DESC_ENTRIES];
};

_Static_assert(sizeof(struct rmap_desc) == 128,
	       "a descriptor is two cache lines");

/* sptes and descriptors are 8-byte aligned, which frees bit 0 of a head. */
#define RMAP_PTR_ALIGN 8

static bool is_many(const struct rmap_head *h)
{
	return h->val & RMAP_HEAD_MANY;
}

static struct rmap_desc *first_desc(const struct rmap_head *h)
{
	return (struct rmap_desc *)(h->val & ~(unsigned long)RMAP_HEAD_MANY);
}

static void set_first_desc(struct rmap_head *h, struct rmap_desc *d)
{
	h->val = (unsigned long)d | RMAP_HEAD_MANY;
}

static void free_push(struct rmap_cache *c, struct rmap_desc *d)
{
	d->next = c->free;
	c->free = d;
	c->nfree++;
}

/* A descriptor leaves a chain for c's free list. */
static void cache_put(struct rmap_cache *c, struct rmap_desc *d)
{
	free_push(c, d);
	c->in_use--;
}

/* A descriptor from c holding just sptep, in front of next; NULL if c is
 * empty. */
static struct rmap_desc *cache_take(struct rmap_cache *c, u64 *sptep,
				    struct rmap_desc *next)
{
	struct rmap_desc *d = c->free;
	u32 i;

	if (!d)
		return NULL;
	c->free = d->next;
	c->nfree--;
	c->in_use++;
	d->next = next;
	d->count = 1;
	d->tail_count = next ? next->count + next->tail_count : 0;
	d->sptes[0] = sptep;
	/* Unused slots stay NULL, so rmap_check can see a stray entry. */
	for (i = 1; i < RMAP_DESC_ENTRIES; i++)
		d->sptes[i] = NULL;
	return d;
}

int rmap_cache_topup(struct rmap_cache *c, u32 min, void *(*alloc)(size_t))
{
	struct rmap_desc *d;

	while (c->nfree < min) {
		d = alloc(sizeof(*d));
		if (!d)
			return -ENOMEM;
		if (!IS_ALIGNED((uintptr_t)d, RMAP_PTR_ALIGN))
			panic("rmap: allocator returned misaligned %p", d);
		free_push(c, d);
	}
	return 0;
}

void rmap_cache_trim(struct rmap_cache *c, u32 keep, void (*free_fn)(void *))
{
	struct rmap_desc *d;

	while (c->nfree > keep) {
		d = c->free;
		c->free = d->next;
		c->nfree--;
		free_fn(d);
	}
}

void rmap_cache_drain(struct rmap_cache *c, void (*free_fn)(void *))
{
	rmap_cache_trim(c, 0, free_fn);
}

int rmap_add(struct rmap_head *h, u64 *sptep, struct rmap_cache *c)
{
	struct rmap_desc *d;

	if (!sptep || !IS_ALIGNED((uintptr_t)sptep, RMAP_PTR_ALIGN))
		panic("rmap_add: bad sptep %p", sptep);

	if (!h->val) {
		h->val = (unsigned long)sptep;
		return 0;
	}
	if (!is_many(h)) {
		d = cache_take(c, (u64 *)h->val, NULL);
		if (!d)
			return -ENOMEM;
		d->sptes[d->count++] = sptep;
		set_first_desc(h, d);
		return 0;
	}
	d = first_desc(h);
	if (d->count < RMAP_DESC_ENTRIES) {
		d->sptes[d->count++] = sptep;
		return 0;
	}
	d = cache_take(c, sptep, d);
	if (!d)
		return -ENOMEM;
	set_first_desc(h, d);
	return 0;
}

/* Finds sptep in the chain of h: its descriptor and slot, or NULL. */
static struct rmap_desc *chain_find(const struct rmap_head *h, const u64 *sptep,
				    u32 *slot)
{
	struct rmap_desc *d;
	u32 i;

	for (d = first_desc(h); d; d = d->next) {
		for (i = 0; i < d->count; i++) {
			if (d->sptes[i] == sptep) {
				*slot = i;
				return d;
			}
		}
	}
	return NULL;
}

/*
 * Fills slot i of d, just vacated, with the last entry of the first
 * descriptor, then frees the first descriptor if that emptied it, or
 * folds the chain into the head word if one entry is left.
 */
static void chain_fill_hole(struct rmap_head *h, struct rmap_desc *d, u32 i,
			    struct rmap_cache *c)
{
	struct rmap_desc *first = first_desc(h), *next = first->next;

	first->count--;
	d->sptes[i] = first->sptes[first->count];
	first->sptes[first->count] = NULL;

	if (first->count == 0) {
		/* Chains hold two or more, so a full one follows. */
		next->tail_count = first->tail_count - next->count;
		set_first_desc(h, next);
		cache_put(c, first);
	} else if (first->count == 1 && !next) {
		h->val = (unsigned long)first->sptes[0];
		cache_put(c, first);
	}
}

void rmap_remove(struct rmap_head *h, u64 *sptep, struct rmap_cache *c)
{
	struct rmap_desc *d;
	u32 i;

	if (!is_many(h)) {
		if (!sptep || h->val != (unsigned long)sptep)
			panic("rmap_remove: sptep %p not in rmap %p (holds "
			      "%#lx)",
			      sptep, h, h->val);
		h->val = 0;
		return;
	}
	d = chain_find(h, sptep, &i);
	if (!d)
		panic("rmap_remove: sptep %p not in rmap %p (%u entries)",
		      sptep, h, rmap_count(h));
	chain_fill_hole(h, d, i, c);
}

void rmap_clear(struct rmap_head *h, struct rmap_cache *c)
{
	struct rmap_desc *d, *next;

	if (is_many(h)) {
		for (d = first_desc(h); d; d = next) {
			next = d->next;
			cache_put(c, d);
		}
	}
	h->val = 0;
}

u32 rmap_count(const struct rmap_head *h)
{
	const struct rmap_desc *d;

	if (!is_many(h))
		return h->val ? 1 : 0;
	d = first_desc(h);
	return d->count + d->tail_count;
}

bool rmap_contains(const struct rmap_head *h, const u64 *sptep)
{
	u32 slot;

	if (!is_many(h))
		return sptep && h->val == (unsigned long)sptep;
	return chain_find(h, sptep, &slot) != NULL;
}

/* Whether d's entries are all aligned and non-NULL, and its unused slots
 * NULL. */
static bool desc_slots_ok(const struct rmap_desc *d)
{
	u32 i;

	for (i = 0; i < RMAP_DESC_ENTRIES; i++) {
		if (i < d->count &&
		    (!d->sptes[i] ||
		     !IS_ALIGNED((uintptr_t)d->sptes[i], RMAP_PTR_ALIGN)))
			return false;
		if (i >= d->count && d->sptes[i])
			return false;
	}
	return true;
}

int rmap_check(const struct rmap_head *h)
{
	const struct rmap_desc *first, *d;
	u32 behind = 0;
	int n = 0;

	if (!is_many(h))
		return IS_ALIGNED(h->val, RMAP_PTR_ALIGN) ? 0 : -EINVAL;
	first = first_desc(h);
	if (!first || first->count == 0 || first->count > RMAP_DESC_ENTRIES)
		return -EINVAL;
	for (d = first; d; d = d->next, n++) {
		if (d != first && d->count != RMAP_DESC_ENTRIES)
			return -EINVAL;
		if (!desc_slots_ok(d))
			return -EINVAL;
		if (d != first)
			behind += d->count;
	}
	if (behind != first->tail_count || first->count + behind < 2)
		return -EINVAL;
	return n;
}

/* Copies d's entries into the iterator and returns the first. */
static u64 *iter_load(struct rmap_iter *it, const struct rmap_desc *d)
{
	u32 i;

	if (!d)
		return NULL;
	for (i = 0; i < d->count; i++)
		it->batch[i] = d->sptes[i];
	it->n = d->count;
	it->pos = 1;
	it->next = d->next;
	return it->batch[0];
}

u64 *rmap_iter_first(const struct rmap_head *h, struct rmap_iter *it)
{
	it->n = 0;
	it->pos = 0;
	it->next = NULL;
	if (!h->val)
		return NULL;
	if (!is_many(h)) {
		it->batch[0] = (u64 *)h->val;
		it->n = 1;
		it->pos = 1;
		return it->batch[0];
	}
	return iter_load(it, first_desc(h));
}

u64 *rmap_iter_next(struct rmap_iter *it)
{
	if (it->pos < it->n)
		return it->batch[it->pos++];
	return iter_load(it, it->next);
}
