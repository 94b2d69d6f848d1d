// SPDX-License-Identifier: MIT
/*
 * Dirty logging: the hypercalls and the get-and-clear with its two
 * write-protect paths (dirtylog/include/dirtylog.h; docs/dirtylog.md has
 * the design and the races).
 *
 * A GET, on the slot's log lock:
 *
 *   1. harvest   each bitmap word exchanged with 0 into the snapshot
 *                (dirty_bitmap_harvest): a mark made before its word's
 *                exchange is reported now, one made after stays for the
 *                next GET;
 *   2. protect   R/W taken from the leaf entries of the reported pages:
 *                through their rmaps, DIRTYLOG_BATCH pages per hold of
 *                the MMU lock, or by walking every shadow page;
 *   3. shootdown one round of IPIs to the partition's vCPUs in guest mode
 *                (mmu_flush_wp), if step 2 took R/W from any entry;
 *   4. copy-out  the snapshot into the caller's buffer (a guest write:
 *                logged, if the caller's own slot logs).
 *
 * Why no write is lost. A page reported in step 1 may still be written
 * through its old writable entry until step 3 has flushed every TLB; such
 * a write lands in a page this GET reports, so whoever copies the page
 * after the GET sees it. After step 3 no CPU holds a writable translation
 * of a reported page, so its next write faults, and the fault handler
 * marks the page before it makes the entry writable again (under the MMU
 * lock, which step 2 also holds): that write is reported by a later GET.
 * A page that was not reported had no bit set, so it had no writable
 * entry (entries become writable only on a marked write fault), except
 * one marked after its word's exchange, whose bit stays set. Between the
 * batches of step 2 the lock is dropped with TLBs not yet flushed; every
 * MMU path that relies on an entry being read-only checks
 * mmu.wp_unflushed and flushes first (vmm/mmu.c), so the early release
 * cannot let a stale writable translation through (the race KVM fixed
 * right after its 2012 change).
 *
 * Context: a vCPU's physical CPU, in a VM-exit handler (a hypercall).
 * Locks: the slot's log lock, then the MMU lock.
 */
#include "dirtylog.h"
#include "vmm.h"
#include "pmm.h"
#include "paging.h"
#include "asm.h"
#include "errno.h"
#include "kstring.h"
#include "printk.h"

static struct slot_dirty_log *log_of(struct partition *p, u32 slot)
{
	return &p->slots[slot].log;
}

/* Like the MMU lock, waited for with interrupts enabled: the holder may
 * be in a shootdown, or a stop may be kicking this CPU. */
static void log_lock(struct slot_dirty_log *log)
{
	irq_enable();
	spin_lock(&log->lock);
	irq_disable();
}

bool dirtylog_active(struct partition *p, gfn_t gfn)
{
	const struct memslot *s = &p->slots[0];

	return gfn - s->base_gfn < s->npages &&
	       __atomic_load_n(&s->log.enabled, __ATOMIC_ACQUIRE);
}

void dirtylog_mark(struct partition *p, gfn_t gfn)
{
	struct memslot *s = &p->slots[0];

	if (dirtylog_active(p, gfn))
		dirty_bitmap_mark(&s->log.bm, gfn - s->base_gfn);
}

/* The bitmap and the snapshot, allocated once per slot. */
static int alloc_log(struct memslot *s)
{
	struct slot_dirty_log *log = &s->log;
	u64 bytes = dirty_bitmap_bytes(s->npages);
	u64 frames = DIV_ROUND_UP(bytes, PAGE_SIZE);
	hpa_t bm, snap;

	if (log->snapshot)
		return 0;
	if (pmm_alloc(&host_pmm, frames, 1, 0, &bm))
		return -ENOMEM;
	if (pmm_alloc(&host_pmm, frames, 1, 0, &snap)) {
		pmm_free(&host_pmm, bm, frames);
		return -ENOMEM;
	}
	log->nwords = dirty_bitmap_words(s->npages);
	log->snapshot = (u64 *)hpa_to_hva(snap);
	memset(log->snapshot, 0, frames * PAGE_SIZE);
	return dirty_bitmap_init(&log->bm, s->npages, (u64 *)hpa_to_hva(bm));
}

s64 dirtylog_enable(struct partition *p, u32 slot)
{
	struct memslot *s = &p->slots[slot];
	struct slot_dirty_log *log = log_of(p, slot);
	s64 ret = 0;

	log_lock(log);
	if (log->enabled)
		goto out; /* already logging: the log goes on */
	if (alloc_log(s)) {
		ret = -ENOMEM;
		goto out;
	}
	dirty_bitmap_init(&log->bm, s->npages, log->bm.words);
	/* Marks start now; then every writable entry goes read-only, so
	 * that each page's next write faults and is marked. */
	__atomic_store_n(&log->enabled, true, __ATOMIC_RELEASE);
	mmu_lock(p);
	mmu_write_protect_all(p);
	mmu_unlock(p);
	mmu_flush_wp(p);
	pr_info("partition '%s': dirty logging on for slot %u (%lu pages)",
		p->cfg.name, slot, s->npages);
out:
	spin_unlock(&log->lock);
	return ret;
}

s64 dirtylog_disable(struct partition *p, u32 slot)
{
	struct slot_dirty_log *log = log_of(p, slot);

	/* Entries stay read-only; the next write to each page faults once
	 * and makes it writable for good. */
	log_lock(log);
	if (log->enabled)
		pr_info("partition '%s': dirty logging off for slot %u",
			p->cfg.name, slot);
	__atomic_store_n(&log->enabled, false, __ATOMIC_RELEASE);
	spin_unlock(&log->lock);
	return 0;
}

s64 dirtylog_set_policy(struct partition *p, u64 policy)
{
	if (policy >= DIRTYLOG_POLICY_COUNT)
		return -EINVAL;
	__atomic_store_n(&p->dirty_policy, (u32)policy, __ATOMIC_RELAXED);
	return 0;
}

/* Step 2 by rmaps: the snapshot's pages, DIRTYLOG_BATCH per lock hold. */
static u64 protect_by_rmap(struct partition *p, const struct memslot *s)
{
	const struct slot_dirty_log *log = &s->log;
	u64 protected = 0, w = 0;

	while (w < log->nwords) {
		u32 pages = 0;

		mmu_lock(p);
		for (; w < log->nwords && pages < DIRTYLOG_BATCH; w++) {
			u64 mask = log->snapshot[w];

			if (!mask)
				continue;
			protected += mmu_write_protect_mask(
				p, s->base_gfn + w * DIRTY_BITMAP_WORD_BITS,
				mask);
			pages += __builtin_popcountll(mask);
		}
		mmu_unlock(p);
	}
	return protected;
}

/* Step 2 by walking every shadow page, in one hold. */
static u64 protect_by_walk(struct partition *p)
{
	u64 protected;

	mmu_lock(p);
	protected = mmu_write_protect_all(p);
	mmu_unlock(p);
	return protected;
}

static bool use_rmap(struct partition *p, s64 dirty)
{
	switch (__atomic_load_n(&p->dirty_policy, __ATOMIC_RELAXED)) {
	case DIRTYLOG_POLICY_RMAP:
		return true;
	case DIRTYLOG_POLICY_WALK:
		return false;
	default:
		return (u64)dirty <
		       __atomic_load_n(&p->stats.shadow_pages_in_use,
				       __ATOMIC_RELAXED);
	}
}

s64 dirtylog_get(struct partition *caller, struct partition *p, u32 slot,
		 gpa_t bitmap_gpa, u64 bitmap_bytes)
{
	struct memslot *s = &p->slots[slot];
	struct slot_dirty_log *log = log_of(p, slot);
	u64 t0, t1, t2, protected;
	bool rmap;
	s64 dirty;

	log_lock(log);
	if (!log->enabled) {
		dirty = -EINVAL;
		goto out;
	}
	if (bitmap_bytes < dirty_bitmap_bytes(s->npages)) {
		dirty = -ENOSPC;
		goto out;
	}
	if (!gpa_range_ok(caller, bitmap_gpa, bitmap_bytes)) {
		dirty = -EFAULT;
		goto out;
	}
	t0 = rdtsc();
	dirty = dirty_bitmap_harvest(&log->bm, log->snapshot, log->nwords, NULL,
				     NULL);
	t1 = rdtsc();
	rmap = use_rmap(p, dirty);
	protected = rmap ? protect_by_rmap(p, s) : protect_by_walk(p);
	if (protected)
		mmu_flush_wp(p);
	t2 = rdtsc();
	guest_write(caller, bitmap_gpa, log->snapshot,
		    dirty_bitmap_bytes(s->npages));

	p->stats.dirty_get_calls++;
	if (rmap)
		p->stats.dirty_get_rmap_calls++;
	else
		p->stats.dirty_get_walk_calls++;
	p->stats.dirty_pages_reported += dirty;
	p->stats.last_get_cycles = rdtsc() - t0;
	p->stats.last_get_write_protect_cycles = t2 - t1;
out:
	spin_unlock(&log->lock);
	return dirty;
}
