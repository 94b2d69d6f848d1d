// SPDX-License-Identifier: MIT
/*
 * The shadow page cache: shadow pages keyed by (gfn, role), their parent
 * links, the per-gfn reverse maps of leaf entries, write tracking of guest
 * page tables, zapping, reclaim within the bound, the TLB shootdown, and
 * the audit that checks all of it. docs/shadow-mmu.md draws the picture;
 * vmm/mmu_fault.c decides what to build.
 *
 *   gfn rmap --> leaf sptes          shadow page (gfn, role)
 *                                      spt: 512 entries -----> child pages
 *   write_track[gfn] = number of       parents: sptes pointing here
 *   indirect pages of gfn              gfns[i]: gfn behind leaf entry i
 *
 * Invariants (mmu_audit() checks each):
 *  - every present leaf spte is in the rmap of the gfn it maps, and every
 *    rmap entry is such an spte;
 *  - every present non-leaf spte points at a live page whose parents list
 *    holds it, and every parent entry points back;
 *  - write_track[gfn] is the number of live indirect pages of gfn, and no
 *    leaf spte maps a tracked gfn writable;
 *  - pages_in_use counts every allocated page and never exceeds the
 *    bound by more than the roots pinned by vCPUs.
 *
 * Memory: a shadow page is two contiguous host frames, the table and a
 * header frame (struct mmu_page). Pages are freed only after a TLB
 * shootdown, so no processor walks a freed table.
 *
 * Context: every function here but mmu_init, mmu_lock, mmu_guest_write_hook
 * and the audit entry points runs with the partition's MMU lock held.
 *
 * About 870 lines. The candidate for a split is the dirty log's write
 * protection (mmu_write_protect_mask/_some, mmu_flush_wp), which shares
 * the page cache's internals with the rest; it stays here until it
 * grows further.
 */
#include "mmu_internal.h"
#include "percpu.h"
#include "ipi.h"
#include "pmm.h"
#include "heap.h"
#include "vmx.h"
#include "vmx_caps.h"
#include "asm.h"
#include "errno.h"
#include "kstring.h"
#include "printk.h"
#include "format.h"
#include "panic.h"

_Static_assert(sizeof(union mmu_role) == sizeof(u32), "a role is one word");
_Static_assert(sizeof(struct mmu_page) <= PAGE_SIZE,
	       "the header fits the frame after the table");

u64 mmu_shadow_mem_option;
u32 mmu_audit_period;

/* Default bound: 1/32 of guest RAM, at least 4 MiB (512 pages). */
#define DEFAULT_MIN_BYTES (4 * MiB)
#define DEFAULT_RAM_SHARE 32
/* Pages a partition needs whatever the bound: every vCPU's roots pinned
 * plus a fault's path. */
#define MIN_PAGES(ncpus) \
	((u64)MMU_PAE_ROOTS * (ncpus) + 2 * MMU_PAGES_PER_FAULT)

static struct mmu *mmu_of(struct partition *p)
{
	return &p->mmu;
}

void mmu_lock(struct partition *p)
{
	/* The holder may be waiting for this CPU to answer a shootdown
	 * IPI: keep taking interrupts while waiting. */
	irq_enable();
	spin_lock(&mmu_of(p)->lock);
	irq_disable();
}

void mmu_unlock(struct partition *p)
{
	spin_unlock(&mmu_of(p)->lock);
}

/* ------------------------------------------------------------------ */
/* Set-up */

static void *alloc_frames_zeroed(u64 bytes)
{
	hpa_t pa;
	u64 n = DIV_ROUND_UP(bytes, PAGE_SIZE);

	if (pmm_alloc(&host_pmm, n, 1, 0, &pa))
		return NULL;
	memset((void *)hpa_to_hva(pa), 0, n * PAGE_SIZE);
	return (void *)hpa_to_hva(pa);
}

int mmu_init(struct partition *p)
{
	struct mmu *m = mmu_of(p);
	u64 npages = p->slots[0].npages;
	u64 bytes = mmu_shadow_mem_option;
	struct cpuid_regs c;

	spin_init(&m->lock, "mmu");
	m->npages = npages;
	m->rmaps = alloc_frames_zeroed(npages * sizeof(struct rmap_head));
	if (!m->rmaps)
		return -ENOMEM;
	m->write_track = alloc_frames_zeroed(npages * sizeof(u16));
	if (!m->write_track) {
		pmm_free(&host_pmm, hva_to_hpa((hva_t)m->rmaps),
			 DIV_ROUND_UP(npages * sizeof(struct rmap_head),
				      PAGE_SIZE));
		m->rmaps = NULL;
		return -ENOMEM;
	}
	if (!bytes)
		bytes = MAX(DEFAULT_MIN_BYTES,
			    p->cfg.mem_bytes / DEFAULT_RAM_SHARE);
	m->pages_max = bytes / MMU_PAGE_COST;
	if (m->pages_max < MIN_PAGES(p->cfg.ncpus)) {
		pr_warn("partition '%s': shadow_mem=%luK is below the %lu "
			"shadow pages %u vCPU%s need; using %lu",
			p->cfg.name, bytes / KiB, MIN_PAGES(p->cfg.ncpus),
			p->cfg.ncpus, p->cfg.ncpus == 1 ? "" : "s",
			MIN_PAGES(p->cfg.ncpus));
		m->pages_max = MIN_PAGES(p->cfg.ncpus);
	}
	/* The guest sees the host's CPUID leaves 0x80000001/8 (vmm/exit.c
	 * passes them through), so the walker uses the same limits. */
	c = cpuid(0x80000008, 0);
	m->maxphyaddr = c.eax & 0xff;
	if (m->maxphyaddr < 32 || m->maxphyaddr > 52)
		m->maxphyaddr = 36;
	m->has_1g_pages = cpuid(0x80000001, 0).edx & CPUID_80000001_EDX_PDPE1GB;
	m->audit_countdown = mmu_audit_period;
	return 0;
}

/* ------------------------------------------------------------------ */
/* The page cache */

struct mmu_page *mmu_bucket(struct partition *p, gfn_t gfn)
{
	return mmu_of(p)->hash[mmu_hash(gfn)];
}

static void lru_unlink(struct mmu *m, struct mmu_page *sp)
{
	if (sp->lru_prev)
		sp->lru_prev->lru_next = sp->lru_next;
	else
		m->lru_head = sp->lru_next;
	if (sp->lru_next)
		sp->lru_next->lru_prev = sp->lru_prev;
	else
		m->lru_tail = sp->lru_prev;
	sp->lru_prev = sp->lru_next = NULL;
}

static void lru_push_front(struct mmu *m, struct mmu_page *sp)
{
	sp->lru_prev = NULL;
	sp->lru_next = m->lru_head;
	if (m->lru_head)
		m->lru_head->lru_prev = sp;
	else
		m->lru_tail = sp;
	m->lru_head = sp;
}

static void hash_unlink(struct mmu *m, struct mmu_page *sp)
{
	struct mmu_page **pp = &m->hash[mmu_hash(sp->gfn)];

	while (*pp != sp)
		pp = &(*pp)->hash_next;
	*pp = sp->hash_next;
	sp->hash_next = NULL;
}

bool mmu_gfn_tracked(struct partition *p, gfn_t gfn)
{
	struct mmu *m = mmu_of(p);

	return gfn < m->npages && m->write_track[gfn];
}

/* gfn just became a page table: no leaf spte may map it writable. */
static void write_protect_gfn(struct partition *p, gfn_t gfn)
{
	struct mmu *m = mmu_of(p);
	struct rmap_iter it;
	u64 *sptep;

	rmap_for_each(&m->rmaps[gfn], &it, sptep)
	{
		if (*sptep & PTE_RW) {
			*sptep &= ~PTE_RW;
			m->flush_pending = true;
		}
	}
	/* An entry a dirty-log GET made read-only may still be writable in
	 * some TLB: this protection must not rely on it. */
	if (m->wp_unflushed)
		m->flush_pending = true;
}

static struct mmu_page *alloc_page(struct partition *p, gfn_t gfn,
				   union mmu_role role)
{
	struct mmu *m = mmu_of(p);
	struct mmu_page *sp;
	hpa_t pa;

	if (pmm_alloc(&host_pmm, 2, 1, 0, &pa))
		return NULL;
	memset((void *)hpa_to_hva(pa), 0, PAGE_SIZE);
	sp = (struct mmu_page *)hpa_to_hva(pa + PAGE_SIZE);
	memset(sp, 0, sizeof(*sp));
	sp->spt = (u64 *)hpa_to_hva(pa);
	sp->gfn = gfn;
	sp->role = role;
	sp->magic = MMU_PAGE_MAGIC;
	m->pages_in_use++;
	p->stats.shadow_pages_in_use = m->pages_in_use;
	return sp;
}

static void free_page(struct partition *p, struct mmu_page *sp)
{
	struct mmu *m = mmu_of(p);

	sp->magic = 0;
	if (pmm_free(&host_pmm, mmu_page_hpa(sp), 2))
		panic("mmu: freeing shadow page %#lx failed", mmu_page_hpa(sp));
	m->pages_in_use--;
	p->stats.shadow_pages_in_use = m->pages_in_use;
}

struct mmu_page *mmu_get_page(struct partition *p, gfn_t gfn,
			      union mmu_role role)
{
	struct mmu *m = mmu_of(p);
	struct mmu_page *sp;

	for (sp = m->hash[mmu_hash(gfn)]; sp; sp = sp->hash_next) {
		if (sp->gfn == gfn && sp->role.word == role.word) {
			lru_unlink(m, sp);
			lru_push_front(m, sp);
			return sp;
		}
	}
	sp = alloc_page(p, gfn, role);
	if (!sp)
		return NULL;
	sp->hash_next = m->hash[mmu_hash(gfn)];
	m->hash[mmu_hash(gfn)] = sp;
	lru_push_front(m, sp);
	if (!role.direct && gfn < m->npages && m->write_track[gfn]++ == 0)
		write_protect_gfn(p, gfn);
	return sp;
}

/* ------------------------------------------------------------------ */
/* Entries */

/* The gfn a present leaf entry maps. */
static gfn_t leaf_gfn(const struct mmu_page *sp, u32 i)
{
	return sp->role.direct ? sp->gfn + i : sp->gfns[i];
}

bool mmu_drop_spte(struct partition *p, struct mmu_page *sp, u32 i,
		   struct rmap_cache *c)
{
	u64 *sptep = &sp->spt[i];
	u64 spte = *sptep;

	if (!spte_present(spte))
		return false;
	if (sp->role.level == 1)
		rmap_remove(&mmu_of(p)->rmaps[leaf_gfn(sp, i)], sptep, c);
	else
		rmap_remove(&mmu_page_of(spte)->parents, sptep, c);
	*sptep = 0;
	mmu_of(p)->flush_pending = true;
	return true;
}

int mmu_set_leaf(struct partition *p, struct mmu_page *sp, u32 i, gfn_t gfn,
		 u64 spte, struct rmap_cache *c)
{
	struct mmu *m = mmu_of(p);
	u64 *sptep = &sp->spt[i];
	u64 old = *sptep;
	int ret;

	if (spte_present(old) && leaf_gfn(sp, i) == gfn) {
		/* Same frame, new rights: the rmap already has it. Taking
		 * rights away needs the shootdown. */
		if (old & ~spte & (PTE_RW | PTE_US))
			m->flush_pending = true;
		if (spte & ~old & PTE_NX)
			m->flush_pending = true;
		*sptep = spte;
		return 0;
	}
	mmu_drop_spte(p, sp, i, c);
	ret = rmap_add(&m->rmaps[gfn], sptep, c);
	if (ret)
		return ret;
	if (!sp->role.direct)
		sp->gfns[i] = (u32)gfn;
	*sptep = spte;
	return 0;
}

int mmu_link(struct partition *p, struct mmu_page *sp, u32 i,
	     struct mmu_page *child, struct rmap_cache *c)
{
	int ret;

	mmu_drop_spte(p, sp, i, c);
	ret = rmap_add(&child->parents, &sp->spt[i], c);
	if (ret)
		return ret;
	sp->spt[i] = mmu_page_hpa(child) | SPTE_LINK;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Zapping */

void mmu_zap_page(struct partition *p, struct mmu_page *sp,
		  struct rmap_cache *c)
{
	struct mmu *m = mmu_of(p);
	struct rmap_iter it;
	u64 *sptep;

	if (sp->invalid)
		return;
	for (u32 i = 0; i < SPT_ENTRIES; i++)
		mmu_drop_spte(p, sp, i, c);
	rmap_for_each(&sp->parents, &it, sptep)
	{
		*sptep = 0;
		rmap_remove(&sp->parents, sptep, c);
	}
	hash_unlink(m, sp);
	lru_unlink(m, sp);
	if (!sp->role.direct && sp->gfn < m->npages)
		m->write_track[sp->gfn]--;
	sp->invalid = true;
	m->flush_pending = true;
	/* A root some vCPU still runs on stays until that vCPU reloads
	 * (mmu_needs_reload() sees invalid); mmu_put_root frees it. */
	if (sp->root_count)
		return;
	sp->lru_next = m->zapped;
	m->zapped = sp;
}

bool mmu_zap_gfn(struct partition *p, gfn_t gfn, struct rmap_cache *c)
{
	struct mmu_page *sp, *next;
	bool any = false;

	for (sp = mmu_bucket(p, gfn); sp; sp = next) {
		next = sp->hash_next;
		if (sp->gfn == gfn && !sp->role.direct) {
			mmu_zap_page(p, sp, c);
			any = true;
		}
	}
	return any;
}

/*
 * Least recently used first: the LRU list's tail. A page some vCPU runs
 * on as a root is skipped (MIN_PAGES leaves room for those). All the
 * victims share one shootdown, after which they are freed.
 */
void mmu_make_room(struct partition *p, u32 n, struct rmap_cache *c)
{
	struct mmu *m = mmu_of(p);
	struct mmu_page *sp = m->lru_tail, *prev;
	u64 freeing = 0;

	while (sp && m->pages_in_use - freeing + n > m->pages_max) {
		prev = sp->lru_prev;
		if (!sp->root_count) {
			/* Zapping sp unlinks its children, never prev. */
			mmu_zap_page(p, sp, c);
			m->reclaimed++;
			freeing++;
		}
		sp = prev;
	}
	if (freeing)
		mmu_commit(p);
}

/* ------------------------------------------------------------------ */
/* Guest writes to page tables */

/* The shadow entries of sp that guest entry gi of its table feeds. */
static void entries_of(const struct mmu_page *sp, u32 gi, u32 *first,
		       u32 *count)
{
	*count = 0;
	if (sp->role.gmode != MMU_GMODE_32BIT) {
		*first = gi;
		*count = 1;
		return;
	}
	if (sp->role.level == 1) {
		/* Quadrant q shadows guest PTEs [512q, 512q + 512). */
		if (gi / SPT_ENTRIES == sp->role.quadrant) {
			*first = gi % SPT_ENTRIES;
			*count = 1;
		}
		return;
	}
	/* A guest PDE covers 4 MiB, two shadow PDEs; quadrant q shadows
	 * guest PDEs [256q, 256q + 256). */
	if (gi / (SPT_ENTRIES / 2) == sp->role.quadrant) {
		*first = (gi % (SPT_ENTRIES / 2)) * 2;
		*count = 2;
	}
}

bool mmu_pte_written(struct partition *p, gpa_t gpa, u32 len,
		     struct rmap_cache *c)
{
	gfn_t gfn = gpa >> PAGE_SHIFT;
	u32 off = gpa & ~PAGE_MASK;
	struct mmu_page *sp;
	bool any = false;

	if (!len)
		return false;
	for_each_gfn_page(p, gfn, sp)
	{
		u32 size = sp->role.gmode == MMU_GMODE_32BIT ? 4 : 8;
		u32 last = MIN(off + len, (u32)PAGE_SIZE) - 1;

		for (u32 gi = off / size; gi <= last / size; gi++) {
			u32 first, n;

			entries_of(sp, gi, &first, &n);
			for (u32 k = 0; k < n; k++)
				any |= mmu_drop_spte(p, sp, first + k, c);
		}
	}
	return any;
}

/* Shade itself writes into guest memory (vmm/guest_mem.c). */
void mmu_guest_write_hook(struct partition *p, gpa_t gpa, u64 len)
{
	struct mmu *m = mmu_of(p);
	gfn_t first = gpa >> PAGE_SHIFT, last;
	bool tracked = false;

	if (!len || !m->write_track)
		return;
	/* The write must be visible before write_track is read: a fault
	 * shadowing one of these frames right now increments write_track,
	 * fences, then reads the entry again (fetch() in mmu_fault.c), so
	 * one of the two sees the other. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	last = (gpa + len - 1) >> PAGE_SHIFT;
	for (gfn_t g = first; g <= last && g < m->npages; g++)
		tracked |= __atomic_load_n(&m->write_track[g],
					   __ATOMIC_RELAXED) != 0;
	if (!tracked)
		return;
	/* Unshadow: the guest gets its table back as it now is at its next
	 * fault through it. */
	mmu_lock(p);
	for (gfn_t g = first; g <= last && g < m->npages; g++)
		mmu_zap_gfn(p, g, &m->spare);
	mmu_commit(p);
	mmu_unlock(p);
}

/* ------------------------------------------------------------------ */
/* Roots */

void mmu_get_root(struct mmu_page *sp)
{
	sp->root_count++;
}

void mmu_put_root(struct partition *p, struct mmu_page *sp)
{
	if (--sp->root_count || !sp->invalid)
		return;
	/* A zapped root nobody runs on any more: its entries are gone and
	 * the vCPU dropping it flushes before its next entry. */
	free_page(p, sp);
}

/* ------------------------------------------------------------------ */
/* The TLB shootdown */

static void shootdown_ack(void *arg)
{
	/* The interrupt itself did the work: the target left guest mode,
	 * and flushes (flush_req) before it enters again. */
	(void)arg;
}

static void flush_remote_tlbs(struct partition *p)
{
	cpumask_t targets = 0;
	u32 self = this_cpu_id();

	for (u32 i = 0; i < p->cfg.ncpus; i++) {
		struct vcpu *v = &p->vcpus[i];

		__atomic_store_n(&v->mmu.flush_req, 1, __ATOMIC_SEQ_CST);
		if (v->pcpu != self &&
		    __atomic_load_n(&v->mmu.in_guest, __ATOMIC_SEQ_CST))
			targets |= BIT(v->pcpu);
	}
	/* A round with no target still counts: every vCPU flushes before
	 * its next entry. */
	p->stats.tlb_shootdown_rounds++;
	if (!targets)
		return;
	p->stats.tlb_shootdown_ipis += __builtin_popcountll(targets);
	/* Each target that was in guest mode exits on the IPI; one that
	 * was not sees flush_req before it enters (vmm/vcpu.c). */
	while (ipi_call(targets, shootdown_ack, NULL, &targets) == -ETIMEDOUT)
		pr_warn("partition '%s': CPUs %#lx are slow to answer a TLB "
			"shootdown; retrying",
			p->cfg.name, targets);
}

void mmu_commit(struct partition *p)
{
	struct mmu *m = mmu_of(p);
	struct mmu_page *sp;

	if (!m->flush_pending)
		return;
	m->flush_pending = false;
	m->wp_unflushed = false;
	flush_remote_tlbs(p);
	while ((sp = m->zapped)) {
		m->zapped = sp->lru_next;
		free_page(p, sp);
	}
}

/* ------------------------------------------------------------------ */
/* Write protection for dirty logging */

static u64 protect_rmap(struct rmap_head *h)
{
	struct rmap_iter it;
	u64 *sptep, n = 0;

	rmap_for_each(h, &it, sptep)
	{
		if (*sptep & PTE_RW) {
			*sptep &= ~PTE_RW;
			n++;
		}
	}
	return n;
}

u64 mmu_write_protect_mask(struct partition *p, gfn_t first_gfn, u64 mask)
{
	struct mmu *m = mmu_of(p);
	u64 n = 0;

	while (mask) {
		gfn_t gfn = first_gfn + __builtin_ctzll(mask);

		mask &= mask - 1;
		if (gfn < m->npages)
			n += protect_rmap(&m->rmaps[gfn]);
	}
	if (n)
		m->wp_unflushed = true;
	return n;
}

/*
 * The walk, in batches. The caller drops the MMU lock between batches, so
 * the walk must go on correctly from a page cache that changed meanwhile.
 * It goes bucket by bucket through the page cache's hash, not along the
 * LRU list: a page never changes bucket, a new page goes to the head of
 * its bucket, and a page that is used moves in the LRU list but not in
 * its bucket. So the pages of a bucket that were there when the walk
 * started and are still there keep their order, and the walk's position
 * is a bucket, a page in it and an entry in that page.
 *
 * Pages the walk does not look at, or looks at only in part, are safe to
 * miss: a page added to a bucket after the walk passed it, or an entry
 * filled after the walk passed it, was filled after the GET's harvest,
 * by a fault that either left it read-only or marked the page first
 * (mmu_fault.c: a logged page becomes writable only on a write fault,
 * which marks it), so its bit is still set for the next GET. A page that
 * went away took its entries with it, after a shootdown of its own.
 */

/* The cursor's page, if it is still in its bucket; else the bucket's
 * head, from its first entry: a page gone from the bucket leaves no
 * place to go on from, so the bucket is walked again (protecting twice
 * is harmless). */
static struct mmu_page *wp_resume(struct mmu *m, struct mmu_wp_cursor *c)
{
	struct mmu_page *sp;

	for (sp = m->hash[c->bucket]; sp; sp = sp->hash_next)
		if (sp == c->page)
			return sp;
	c->entry = 0;
	return m->hash[c->bucket];
}

/* Entries tested per step: one cache line. Most lines of a walk hold no
 * writable entry, and one branch per line rather than per entry spares
 * the walk a misprediction per rare writable entry. */
#define WP_LINE 8

/* Take R/W from entries [first, end) of level-1 page sp (both multiples
 * of WP_LINE); returns how many lost it. */
static u64 wp_entries(struct mmu_page *sp, u32 first, u32 end)
{
	u64 *spt = sp->spt, n = 0;

	for (u32 i = first; i < end; i += WP_LINE) {
		u64 any = 0;

		for (u32 k = 0; k < WP_LINE; k++)
			any |= spt[i + k];
		if (!(any & PTE_RW))
			continue;
		for (u32 k = 0; k < WP_LINE; k++) {
			if (spt[i + k] & PTE_RW) {
				spt[i + k] &= ~PTE_RW;
				n++;
			}
		}
	}
	return n;
}

_Static_assert(SPT_ENTRIES % WP_LINE == 0, "whole lines per page");

u64 mmu_write_protect_some(struct partition *p, struct mmu_wp_cursor *c,
			   u32 budget)
{
	struct mmu *m = mmu_of(p);
	struct mmu_page *sp;
	u64 n = 0;

	if (mmu_wp_done(c))
		return 0;
	budget = MAX(budget, WP_LINE);
	sp = c->page ? wp_resume(m, c) : m->hash[c->bucket];
	for (;;) {
		for (; sp; sp = sp->hash_next, c->entry = 0) {
			u32 end;

			if (budget < WP_LINE) {
				c->page = sp; /* go on at sp's first entry */
				goto out;
			}
			if (sp->role.level != 1) {
				budget -= WP_LINE;
				continue;
			}
			end = MIN(SPT_ENTRIES,
				  c->entry + (u32)ALIGN_DOWN(budget, WP_LINE));
			n += wp_entries(sp, c->entry, end);
			budget -= end - c->entry;
			if (end < SPT_ENTRIES) {
				c->page = sp; /* the budget ended inside sp */
				c->entry = end;
				goto out;
			}
		}
		/* The bucket is done: the next, unless the budget is. */
		c->page = NULL;
		c->entry = 0;
		if (++c->bucket == MMU_HASH_BUCKETS || budget < WP_LINE)
			goto out;
		budget--; /* even an empty bucket costs a look */
		sp = m->hash[c->bucket];
	}
out:
	if (n)
		m->wp_unflushed = true;
	return n;
}

void mmu_flush_wp(struct partition *p)
{
	struct mmu *m = mmu_of(p);

	mmu_lock(p);
	if (m->wp_unflushed)
		m->flush_pending = true;
	mmu_commit(p);
	mmu_unlock(p);
}

/* ------------------------------------------------------------------ */
/* The audit */

#define AUDIT_MAX_REPORTS 8

struct audit {
	struct partition *p;
	const char *when;
	u32 errors;
};

static __printf(2, 3) void audit_error(struct audit *a, const char *fmt, ...)
{
	char msg[160];
	va_list ap;

	if (a->errors++ >= AUDIT_MAX_REPORTS)
		return;
	va_start(ap, fmt);
	kvsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	pr_err("mmu audit: partition '%s' (%s): %s", a->p->cfg.name, a->when,
	       msg);
}

static bool live_page(const struct mmu_page *sp)
{
	return sp->magic == MMU_PAGE_MAGIC;
}

static void audit_entries(struct audit *a, struct mmu_page *sp, u64 *leaves)
{
	struct mmu *m = mmu_of(a->p);

	for (u32 i = 0; i < SPT_ENTRIES; i++) {
		u64 spte = sp->spt[i];

		if (!spte_present(spte))
			continue;
		if (sp->role.level > 1) {
			struct mmu_page *child = mmu_page_of(spte);

			if (!live_page(child) || child->invalid)
				audit_error(a,
					    "gfn %#lx level %u entry %u "
					    "points at a dead page",
					    sp->gfn, sp->role.level, i);
			else if (!rmap_contains(&child->parents, &sp->spt[i]))
				audit_error(a,
					    "gfn %#lx level %u entry %u is "
					    "not in its child's parents",
					    sp->gfn, sp->role.level, i);
			continue;
		}
		gfn_t gfn = leaf_gfn(sp, i);

		(*leaves)++;
		if (gfn >= m->npages) {
			audit_error(a, "a leaf maps gfn %#lx beyond RAM", gfn);
			continue;
		}
		if ((spte & PTE_ADDR_MASK) != a->p->slots[0].hfns[gfn]
						      << PAGE_SHIFT)
			audit_error(a, "leaf for gfn %#lx maps the wrong frame",
				    gfn);
		if (!rmap_contains(&m->rmaps[gfn], &sp->spt[i]))
			audit_error(a, "leaf for gfn %#lx is not in its rmap",
				    gfn);
		if ((spte & PTE_RW) && m->write_track[gfn])
			audit_error(a,
				    "page table gfn %#lx is mapped "
				    "writable",
				    gfn);
	}
}

static void audit_parents(struct audit *a, struct mmu_page *sp)
{
	struct rmap_iter it;
	u64 *sptep;

	if (rmap_check(&sp->parents) < 0)
		audit_error(a, "gfn %#lx: parents list is malformed", sp->gfn);
	rmap_for_each(&sp->parents, &it, sptep)
	{
		if (!spte_present(*sptep) || mmu_page_of(*sptep) != sp)
			audit_error(a,
				    "gfn %#lx: a parent entry does not "
				    "point back",
				    sp->gfn);
	}
}

static u32 audit_locked(struct audit *a)
{
	struct partition *p = a->p;
	struct mmu *m = mmu_of(p);
	u64 pages = 0, leaves = 0, rmap_entries = 0;
	struct mmu_page *sp;

	for (sp = m->lru_head; sp; sp = sp->lru_next) {
		pages++;
		if (!live_page(sp) || sp->invalid) {
			audit_error(a, "a dead page is on the LRU list");
			break;
		}
		audit_entries(a, sp, &leaves);
		audit_parents(a, sp);
	}
	for (gfn_t g = 0; g < m->npages; g++) {
		u32 tracked = 0;

		if (rmap_check(&m->rmaps[g]) < 0)
			audit_error(a, "rmap of gfn %#lx is malformed", g);
		rmap_entries += rmap_count(&m->rmaps[g]);
		for_each_gfn_page(p, g, sp) tracked++;
		if (tracked != m->write_track[g])
			audit_error(a, "gfn %#lx: write_track %u, %u pages", g,
				    m->write_track[g], tracked);
	}
	if (rmap_entries != leaves)
		audit_error(a, "%lu rmap entries for %lu leaf entries",
			    rmap_entries, leaves);
	/* Zapped roots still pinned are off the list but counted. */
	if (pages > m->pages_in_use)
		audit_error(a, "%lu pages listed, %lu in use", pages,
			    m->pages_in_use);
	return a->errors;
}

u32 mmu_audit(struct partition *p, const char *when)
{
	struct audit a = {p, when, 0};
	u32 errors;

	mmu_lock(p);
	errors = audit_locked(&a);
	mmu_unlock(p);
	if (errors)
		pr_err("mmu audit: partition '%s' (%s): %u inconsistencies",
		       p->cfg.name, when, errors);
	return errors;
}

void mmu_audit_tick(struct partition *p)
{
	struct mmu *m = mmu_of(p);

	if (!mmu_audit_period)
		return;
	if (__atomic_sub_fetch(&m->audit_countdown, 1, __ATOMIC_RELAXED))
		return;
	__atomic_store_n(&m->audit_countdown, mmu_audit_period,
			 __ATOMIC_RELAXED);
	if (!mmu_audit(p, "periodic"))
		pr_debug("mmu audit: partition '%s': %lu shadow pages, ok",
			 p->cfg.name, m->pages_in_use);
}
