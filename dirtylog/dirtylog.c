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
 *                through their rmaps, or by walking every shadow page,
 *                in short holds of the MMU lock (dirtylog.h's batches);
 *                policy words does steps 1 and 2 together, word by word;
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
 * batches of step 2 the lock is dropped with TLBs not yet flushed (and a
 * vCPU may fault in new entries: vmm/mmu.c says why the walk may miss
 * those); every
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

/* Step 2 by walking every shadow page, DIRTYLOG_WALK_BATCH entries per
 * hold; HC_DIRTY_LOG_ENABLE's protection too. */
static u64 protect_by_walk(struct partition *p)
{
	struct mmu_wp_cursor c = {0};
	u64 protected = 0;

	while (!mmu_wp_done(&c)) {
		mmu_lock(p);
		protected += mmu_write_protect_some(p, &c, DIRTYLOG_WALK_BATCH);
		mmu_unlock(p);
	}
	return protected;
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
	protect_by_walk(p);
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

/*
 * Protect the lowest *budget pages of mask (bit n: first_gfn + n), taking
 * them from *budget, and return the bits left for the next hold. Caller
 * holds the MMU lock.
 */
static u64 protect_bits(struct partition *p, gfn_t first_gfn, u64 mask,
			u32 *budget, u64 *protected)
{
	u32 pages = (u32)dirty_bitmap_weight(mask);
	u64 now = mask;

	if (pages > *budget) {
		pages = *budget;
		now = 0;
		for (u32 k = 0; k < pages; k++) {
			u64 rest = mask & ~now;

			now |= rest & (0 - rest); /* its lowest bit */
		}
	}
	if (now)
		*protected += mmu_write_protect_mask(p, first_gfn, now);
	*budget -= pages;
	return mask & ~now;
}

/* A word with marks in it, taken out of the bitmap now and kept in the
 * snapshot for the copy-out. */
static u64 take_word(struct slot_dirty_log *log, u64 w, s64 *dirty)
{
	u64 mask = dirty_bitmap_take(&log->bm, w);

	log->snapshot[w] = mask;
	*dirty += dirty_bitmap_weight(mask);
	return mask;
}

/* Word w of the pages to protect: the snapshot's (harvested already), or,
 * word by word, taken out of the bitmap now. Clean words cost one load. */
static inline u64 next_word(struct slot_dirty_log *log, u64 w, bool take,
			    s64 *dirty)
{
	if (!take)
		return log->snapshot[w];
	if (!dirty_bitmap_peek(&log->bm, w)) {
		log->snapshot[w] = 0;
		return 0;
	}
	return take_word(log, w, dirty);
}

/* The first word from w on with a page to protect (or nwords): clean
 * words skipped in a tight loop, with no lock held (those taken out of
 * the bitmap leave 0 in the snapshot). */
static u64 skip_clean(struct slot_dirty_log *log, u64 w, bool take)
{
	if (!take) {
		while (w < log->nwords && !log->snapshot[w])
			w++;
		return w;
	}
	for (; w < log->nwords && !dirty_bitmap_peek(&log->bm, w); w++)
		log->snapshot[w] = 0;
	return w;
}

/*
 * Step 2 by rmaps, DIRTYLOG_BATCH pages and DIRTYLOG_BATCH_WORDS words per
 * hold of the MMU lock; with take, step 1 too, word by word (policy
 * words). A word taken out of the bitmap is protected before the lock is
 * dropped, or what is left of it in the next hold.
 */
static u64 protect_by_rmap(struct partition *p, struct memslot *s, bool take,
			   s64 *dirty)
{
	struct slot_dirty_log *log = &s->log;
	u64 protected = 0, w = 0, left = 0;

	while (w < log->nwords) {
		u32 budget = DIRTYLOG_BATCH, words = DIRTYLOG_BATCH_WORDS;

		if (!left) {
			w = skip_clean(log, w, take);
			if (w == log->nwords)
				break;
			left = next_word(log, w, take, dirty);
		}
		mmu_lock(p);
		for (;;) {
			left = protect_bits(
				p, s->base_gfn + w * DIRTY_BITMAP_WORD_BITS,
				left, &budget, &protected);
			if (left)
				break; /* the budget ended inside word w */
			if (++w == log->nwords || !budget || !--words)
				break;
			left = next_word(log, w, take, dirty);
		}
		mmu_unlock(p);
	}
	return protected;
}

/* Auto's bound on dirty pages for the rmap path (DIRTYLOG_AUTO_FACTOR). */
static u64 auto_rmap_below(struct partition *p)
{
	return DIRTYLOG_AUTO_FACTOR *
	       __atomic_load_n(&p->stats.shadow_pages_in_use, __ATOMIC_RELAXED);
}

/* Which path a GET that harvested `dirty` pages takes under policy. */
static bool use_rmap(struct partition *p, u32 policy, s64 dirty)
{
	switch (policy) {
	case DIRTYLOG_POLICY_RMAP:
		return true;
	case DIRTYLOG_POLICY_WALK:
		return false;
	case DIRTYLOG_POLICY_SEED:
		return (u64)dirty <
		       __atomic_load_n(&p->stats.shadow_pages_in_use,
				       __ATOMIC_RELAXED);
	default: /* auto */
		return (u64)dirty < auto_rmap_below(p);
	}
}

/*
 * Steps 1 and 2; returns the pages reported, *protected the entries that
 * lost R/W, *rmap the path, *t_wp when step 2 began. Caller holds the
 * slot's log lock.
 *
 * Auto does not know how many pages are dirty before it harvests, and the
 * cheapest rmap GET harvests and protects in one pass (policy words). So
 * it estimates first, from the marks made since the last GET (each mark
 * that set a clear bit counts; dirty_bitmap_take_marks()): below its bound
 * it takes the one-pass words path; else it harvests, counts, and takes
 * the rmap path if the count is below the bound after all, the walk
 * otherwise. A wrong estimate (marks racing with the GET) costs time only.
 */
static s64 harvest_and_protect(struct partition *p, struct memslot *s,
			       u64 *protected, bool *rmap, u64 *t_wp)
{
	struct slot_dirty_log *log = &s->log;
	u32 policy = __atomic_load_n(&p->dirty_policy, __ATOMIC_RELAXED);
	u64 marks = dirty_bitmap_take_marks(&log->bm);
	s64 dirty = 0;

	if (policy == DIRTYLOG_POLICY_WORDS ||
	    (policy == DIRTYLOG_POLICY_AUTO && marks < auto_rmap_below(p))) {
		*t_wp = rdtsc();
		*rmap = true;
		*protected = protect_by_rmap(p, s, true, &dirty);
		return dirty;
	}
	dirty = dirty_bitmap_harvest(&log->bm, log->snapshot, log->nwords, NULL,
				     NULL);
	*t_wp = rdtsc();
	*rmap = use_rmap(p, policy, dirty);
	*protected =
		*rmap ? protect_by_rmap(p, s, false, NULL) : protect_by_walk(p);
	return dirty;
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
	dirty = harvest_and_protect(p, s, &protected, &rmap, &t1);
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
