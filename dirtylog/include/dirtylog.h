/* SPDX-License-Identifier: MIT */
/*
 * Dirty logging of a partition's memory slots (dirtylog/dirtylog.c,
 * docs/dirtylog.md): the hypercalls HC_DIRTY_LOG_ENABLE, _DISABLE, _GET
 * and _POLICY (contract section 5), and the marks every write path makes.
 *
 * While a slot logs, every leaf shadow entry of its pages is read-only
 * until the guest writes the page: the write faults, the fault handler
 * marks the page in the slot's bitmap and only then makes the entry
 * writable. Shade's own writes into guest memory (hypercall results,
 * emulated instructions, accessed and dirty flags) mark through
 * guest_mark_written() in vmm/guest_mem.c. HC_DIRTY_LOG_GET takes the
 * bitmap word by word (an atomic exchange each, so no mark is lost),
 * write-protects the reported pages again by one of two paths, and ends
 * with one TLB shootdown before it returns:
 *
 *   rmap path:  for each reported gfn, the leaf entries in its rmap;
 *   walk path:  every leaf entry of every shadow page.
 *
 * Either path works in short holds of the MMU lock (DIRTYLOG_BATCH and
 * the constants below), so a vCPU that faults meanwhile waits for one
 * batch at most. The policy chooses the path (contract section 5):
 *
 *   0 auto   the rmap path while the dirty pages are fewer than
 *            DIRTYLOG_AUTO_FACTOR (128) times the shadow pages in use, else
 *            the walk (docs/performance.md has the measurements); in one
 *            pass as policy words when the marks made since the last GET
 *            say so before the harvest (dirtylog.c);
 *   1 rmap   always the rmap path: harvest the whole bitmap, then
 *            protect each reported page;
 *   2 walk   always the walk;
 *   3 seed   the rule of KVM's 2012 "rmap_write_protect" change, which
 *            auto applied first: the rmap path while dirty < shadow pages;
 *   4 words  the rmap path in one pass, word by word: each bitmap word is
 *            exchanged with 0 and its pages protected at once (the shape
 *            of KVM's later kvm_get_dirty_log_protect).
 */
#ifndef SHADE_DIRTYLOG_H
#define SHADE_DIRTYLOG_H

#include "types.h"
#include "spinlock.h"
#include "dirty_bitmap.h"

struct partition;

enum dirtylog_policy {
	DIRTYLOG_POLICY_AUTO = 0,
	DIRTYLOG_POLICY_RMAP = 1,
	DIRTYLOG_POLICY_WALK = 2,
	DIRTYLOG_POLICY_SEED = 3,
	DIRTYLOG_POLICY_WORDS = 4,
	DIRTYLOG_POLICY_COUNT,
};

/*
 * Auto's threshold: the rmap path while dirty < DIRTYLOG_AUTO_FACTOR x
 * shadow pages in use (S). A level-1 shadow page holds 512 entries, and
 * the walk reads them all, a cache line (8 entries) at a time, while the
 * rmap path touches about a line of entries and a line of rmap heads per
 * dirty page: if a line cost the same either way, the two would meet at
 * 512 S / 8 = 64 S dirty pages, whatever the slot's size. They meet
 * later, because the batched walk visits the shadow pages in hash-bucket
 * order, not in the order they lie in memory, and pays more per line
 * than the rmap path's nearby lines do (docs/performance.md): natively
 * between 64 S and 256 S (128 S to 256 S from 4 GiB up), and between
 * 64 S and 160 S in Bochs. 128 keeps auto closest to the better path
 * over all of it; KVM's rule (a factor of 1, policy seed) was up to 17
 * times slower between S and 128 S dirty pages. Where the two paths cost
 * about the same, the rmap path's lock holds are the shorter ones.
 */
#define DIRTYLOG_AUTO_FACTOR 128

/*
 * One hold of the MMU lock does at most this much, so that a vCPU that
 * faults during a GET waits for one batch at most:
 *   rmap path: DIRTYLOG_BATCH pages, and DIRTYLOG_BATCH_WORDS bitmap
 *              words looked at (runs of clean words are skipped with the
 *              lock not held);
 *   walk path: DIRTYLOG_WALK_BATCH shadow entries (mmu_write_protect_some).
 * The walk looks at an entry in about a quarter of the time the rmap path
 * protects a page, so the two bounds are about the same time.
 */
#define DIRTYLOG_BATCH	     64
#define DIRTYLOG_BATCH_WORDS 64
#define DIRTYLOG_WALK_BATCH  256

/* A slot's log. The bitmap storage is allocated at the first enable and
 * kept, so that a mark racing with a disable never touches freed memory. */
struct slot_dirty_log {
	bool enabled; /* read by marks without a lock */
	struct dirty_bitmap bm;
	u64 *snapshot; /* what the last GET harvested */
	u64 nwords;
	/* Serializes ENABLE, DISABLE and GET on the slot; taken before
	 * the MMU lock. */
	spinlock_t lock;
};

/* HC_DIRTY_LOG_* on slot `slot` of partition p, the caller's checks of
 * CPL, permission and existence done. Results as the contract says. The
 * vCPU's physical CPU, in a VM-exit handler. */
s64 dirtylog_enable(struct partition *p, u32 slot);
s64 dirtylog_disable(struct partition *p, u32 slot);
s64 dirtylog_get(struct partition *caller, struct partition *p, u32 slot,
		 gpa_t bitmap_gpa, u64 bitmap_bytes);
s64 dirtylog_set_policy(struct partition *p, u64 policy);

/* Is gfn in a slot that logs? Any CPU, no lock. */
bool dirtylog_active(struct partition *p, gfn_t gfn);

/* Mark gfn written if its slot logs. Any CPU, no lock; the fault path
 * calls it before making the page writable. */
void dirtylog_mark(struct partition *p, gfn_t gfn);

#endif
