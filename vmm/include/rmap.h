/* SPDX-License-Identifier: MIT */
/*
 * The reverse map (vmm/rmap.c): for one guest frame, the set of shadow
 * page-table entries that map it. The shadow MMU keeps one rmap head per
 * gfn, so that write-protecting or unmapping a guest page finds every spte
 * behind it without walking all shadow tables. A guest may map one page
 * from any number of page tables (aliases), so the set has no size limit.
 *
 * Each member is an sptep: the address of a u64 spte inside a shadow page
 * table. Ordering is not kept; a set never holds the same sptep twice.
 *
 * Context: the caller holds the partition's MMU lock for every function
 * here except rmap_cache_topup/trim/drain; none of them takes a lock. The
 * topup and trim calls run before the lock is taken and after it is
 * dropped, so that the general allocator is never called inside it.
 */
#ifndef SHADE_RMAP_H
#define SHADE_RMAP_H

#include "types.h"

/* sptes per descriptor: 14 pointers + next + two counters = 128 bytes. */
#define RMAP_DESC_ENTRIES 14

/* Descriptors one rmap_add may take from the cache, at most. */
#define RMAP_DESCS_PER_ADD 1

/* Set in an rmap head that points to a descriptor chain. */
#define RMAP_HEAD_MANY BIT(0)

/*
 * An rmap head is one word, read by its low bit:
 *
 *   val == 0                  empty
 *
 *   val = sptep, bit 0 clear  exactly one entry; the word is the sptep
 *                             itself (sptes are 8-byte aligned)
 *
 *   val = desc | 1            two or more entries, in a chain:
 *
 *     head ---> +--------------+    +--------------+    +--------------+
 *               | next --------+--> | next --------+--> | next = NULL  |
 *               | count = 3    |    | count = 14   |    | count = 14   |
 *               | tail = 28    |    | tail: unused |    | tail: unused |
 *               | sptes[0..2]  |    | sptes[0..13] |    | sptes[0..13] |
 *               +--------------+    +--------------+    +--------------+
 *               first: 1..14 used   every later descriptor is full
 *
 * Only the first descriptor may be partly full, so an add fills it (or puts
 * a new one in front) and a removal refills its hole with the first
 * descriptor's last entry. The first descriptor's tail_count is the number
 * of entries behind it, so counting is O(1). A chain always holds at least
 * two entries: one left alone goes back into the head word.
 */
struct rmap_head {
	unsigned long val; /* 0, an sptep, or a descriptor | RMAP_HEAD_MANY */
};

struct rmap_desc; /* private to vmm/rmap.c */

/*
 * Spare descriptors, so that rmap_add never calls an allocator. Fill it
 * with rmap_cache_topup() before taking the MMU lock; rmap_add takes from
 * it, and every descriptor a removal frees comes back to its free list
 * (freeing inside the lock would call the general allocator too). Give
 * spares back with rmap_cache_trim() or rmap_cache_drain() after the lock
 * is dropped. A zeroed cache is a valid, empty one.
 *
 * One cache per vCPU (or per path that fills the map): topup, trim and
 * drain must not race with other users of the same cache. Under the MMU
 * lock, pass the cache of the CPU doing the work, for adds and removals
 * alike.
 */
struct rmap_cache {
	struct rmap_desc *free; /* spare descriptors, linked through next */
	u32 nfree;		/* how many */
	/*
	 * Descriptors rmap_add took from this cache minus those a removal
	 * gave back to it. A descriptor may come back to another vCPU's
	 * cache, so one cache's value can go negative; summed over every
	 * cache of a partition it is the number of descriptors in its chains.
	 */
	s64 in_use;
};

/*
 * Makes the cache hold at least min spare descriptors, allocating each
 * with alloc(size), which must return 8-byte aligned memory. Returns 0, or
 * -ENOMEM when alloc fails (the descriptors it did get stay in the cache).
 * Caller does not hold the MMU lock.
 */
int rmap_cache_topup(struct rmap_cache *c, u32 min, void *(*alloc)(size_t));

/* Frees spare descriptors with free_fn until at most keep are left.
 * Caller does not hold the MMU lock. */
void rmap_cache_trim(struct rmap_cache *c, u32 keep, void (*free_fn)(void *));

/* rmap_cache_trim(c, 0, free_fn): every spare descriptor is freed. */
void rmap_cache_drain(struct rmap_cache *c, void (*free_fn)(void *));

/*
 * Adds sptep (non-NULL, 8-byte aligned; panics otherwise) to h, taking at
 * most RMAP_DESCS_PER_ADD descriptors from c. Returns 0, or -ENOMEM with h
 * unchanged when a descriptor is needed and c has none: the caller forgot
 * to top up (n adds under one hold of the lock need n * RMAP_DESCS_PER_ADD
 * spares). sptep must not be in h already; that is not checked, since it
 * would cost a walk of h on every fault. Caller holds the MMU lock.
 */
int rmap_add(struct rmap_head *h, u64 *sptep, struct rmap_cache *c);

/*
 * Removes sptep from h; a descriptor that empties goes to c's free list.
 * Panics if sptep is not in h: the shadow MMU lost track of an spte.
 * Caller holds the MMU lock.
 */
void rmap_remove(struct rmap_head *h, u64 *sptep, struct rmap_cache *c);

/* Empties h; its descriptors go to c's free list. Caller holds the MMU
 * lock. */
void rmap_clear(struct rmap_head *h, struct rmap_cache *c);

/* Number of entries in h, in O(1). Caller holds the MMU lock. */
u32 rmap_count(const struct rmap_head *h);

/* Whether sptep is in h: a walk, meant for the debug checker. Caller holds
 * the MMU lock. */
bool rmap_contains(const struct rmap_head *h, const u64 *sptep);

/*
 * Checks the shape of h: aligned sptes, the first descriptor holding
 * 1..RMAP_DESC_ENTRIES entries, later ones full, a chain of at least two
 * entries, tail_count right. Returns the number of descriptors in the
 * chain (0 for the one-word forms) or -EINVAL. For the debug checker and
 * the unit tests. Caller holds the MMU lock.
 */
int rmap_check(const struct rmap_head *h);

/*
 * Walking an rmap:
 *
 *	struct rmap_iter it;
 *	u64 *sptep;
 *
 *	rmap_for_each(h, &it, sptep)
 *		if (...)
 *			rmap_remove(h, sptep, c);
 *
 * The walk returns every entry that was in h when it began exactly once,
 * in no particular order. While it runs, the caller may remove entries the
 * walk has already returned (the current one included) and nothing else:
 * no rmap_add, no rmap_clear, no removal of an entry not yet returned.
 * Other heads may change freely.
 *
 * Why that is safe: the iterator copies a descriptor's entries when it
 * reaches it and remembers the descriptor after it. Removing an entry
 * already returned writes only the hole it leaves, in a descriptor already
 * copied, and the first descriptor's last slot, which is copied before any
 * other; it frees only the first descriptor (emptied, or folded into the
 * head word), which the walk has copied by then. Descriptors still to come
 * are never touched. Caller holds the MMU lock for the whole walk.
 */
struct rmap_iter {
	u64 *batch[RMAP_DESC_ENTRIES]; /* entries copied from a descriptor */
	u32 n;			       /* how many batch holds */
	u32 pos;		       /* next one to return */
	const struct rmap_desc *next;  /* the descriptor after the batch */
};

/* The first entry of h, or NULL when h is empty. */
u64 *rmap_iter_first(const struct rmap_head *h, struct rmap_iter *it);

/* The next entry, or NULL when the walk is over. */
u64 *rmap_iter_next(struct rmap_iter *it);

#define rmap_for_each(h, it, sptep)                         \
	for ((sptep) = rmap_iter_first((h), (it)); (sptep); \
	     (sptep) = rmap_iter_next(it))

#endif
