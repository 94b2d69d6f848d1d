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
 *   rmap path:  for each reported gfn, the leaf entries in its rmap, in
 *               batches of DIRTYLOG_BATCH pages per MMU-lock hold;
 *   walk path:  every leaf entry of every shadow page, in one hold.
 *
 * The policy chooses: auto takes the rmap path when fewer pages are dirty
 * than shadow pages are in use (KVM's 2012 "rmap_write_protect" rule),
 * the walk otherwise; 1 and 2 force one path.
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
	DIRTYLOG_POLICY_COUNT,
};

/* Pages whose rmaps one MMU-lock hold write-protects on the rmap path. */
#define DIRTYLOG_BATCH 64

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
