// SPDX-License-Identifier: MIT
/*
 * The shadow MMU's vCPU side: which shadow root a vCPU runs on for the
 * guest's paging mode and CR3, what a page fault means, and how a guest
 * write to one of its own page tables is carried out.
 *
 * Shadow format. The processor runs 32-bit guests (paging off, 32-bit or
 * PAE paging) in PAE mode: the shadow root is a per-vCPU 4-entry table
 * below 4 GiB (pae_root) whose entries point at four level-2 shadow
 * pages. 4-level guests run on a 4-level shadow whose root shadows the
 * guest's PML4. Shadow level n always shadows guest level n:
 *
 *   guest mode   shadow root entries             level 2        level 1
 *   paging off   4 direct pages, 1 GiB each      direct         direct
 *   32-bit       4 quadrants of the guest PD     PD quadrant    PT half
 *   PAE          the guest's 4 PDPTE registers   guest PD       guest PT
 *   4-level      root = guest PML4, level 4      ...            guest PT
 *
 * A page fault exit (mmu_page_fault) walks the guest's tables for the
 * access (vmm/gpt.c). If the guest's own tables forbid it, the guest gets
 * the #PF its tables call for, with the walker's error code and CR2: a
 * guest fault. Otherwise the fault is Shade's (a shadow fault): fetch()
 * builds the missing shadow pages down the path and installs the leaf,
 * with write permission only if the guest's dirty bit is set and the
 * frame is not a guest page table. A write to a guest page table is
 * emulated (vmm/mmu_ptwrite.c).
 *
 * Context: the vCPU's physical CPU, its VMCS current, interrupts off.
 * Everything that touches shadow state takes the partition's MMU lock.
 */
#include "mmu_internal.h"
#include "gpt.h"
#include "exit.h"
#include "vmcs.h"
#include "vmx.h"
#include "pmm.h"
#include "heap.h"
#include "asm.h"
#include "errno.h"
#include "kstring.h"
#include "printk.h"
#include "format.h"
#include "vplatform.h"

/* Spare rmap descriptors a vCPU keeps between faults. */
#define RMAP_CACHE_KEEP 32

#define BELOW_4G      (4ULL << 30)
#define PAE_ROOT_SPAN (1ULL << 30) /* bytes one PAE root entry maps */

/* Pages mapped by one entry of a shadow page of this level. */
static u64 entry_pages(u32 level)
{
	return 1ULL << (9 * (level - 1));
}

static u32 spt_index(gva_t gva, u32 level)
{
	return (gva >> (PAGE_SHIFT + 9 * (level - 1))) & (SPT_ENTRIES - 1);
}

static enum mmu_gmode gmode_of(const struct vcpu *v)
{
	if (!(v->cr0 & X86_CR0_PG))
		return MMU_GMODE_NONPAGING;
	if (!(v->cr4 & X86_CR4_PAE))
		return MMU_GMODE_32BIT;
	return (v->efer & EFER_LMA) ? MMU_GMODE_4LEVEL : MMU_GMODE_PAE;
}

static union mmu_role base_role(const struct vcpu *v, u32 level)
{
	union mmu_role r = {.word = 0};

	r.level = level;
	r.gmode = v->mmu.gmode;
	r.access = MMU_ACC_ALL;
	if (r.gmode == MMU_GMODE_NONPAGING) {
		r.direct = 1;
		return r;
	}
	r.cr0_wp = !!(v->cr0 & X86_CR0_WP);
	r.nxe = !!(v->efer & EFER_NXE);
	r.pse = r.gmode == MMU_GMODE_32BIT && (v->cr4 & X86_CR4_PSE);
	return r;
}

static void stop_oom(struct vcpu *v)
{
	partition_stop(v->part, STATUS_UNHANDLED,
		       "vCPU %u: out of host memory for shadow page tables",
		       v->index);
}

/* ------------------------------------------------------------------ */
/* The guest's tables, as the walker sees them */

int mmu_read_gpte(void *opaque, gpa_t gpa, u64 *val, u32 size)
{
	struct partition *p = opaque;
	void *h = gpa_to_hva(p, gpa);

	/* Nothing answers beyond RAM: the bus reads all ones (a PC's
	 * open bus), which the walker then judges like any entry. */
	if (!h || !gpa_range_ok(p, gpa, size)) {
		*val = size == 4 ? 0xffffffffULL : ~0ULL;
		return 0;
	}
	*val = size == 4 ? __atomic_load_n((u32 *)h, __ATOMIC_RELAXED)
			 : __atomic_load_n((u64 *)h, __ATOMIC_RELAXED);
	return 0;
}

/* Accessed and dirty flags: a locked compare-and-exchange on the guest's
 * entry, as the processor's own page walker does. */
static int set_ad(void *opaque, gpa_t gpa, u64 old, u64 new, u32 size)
{
	struct partition *p = opaque;
	void *h = gpa_to_hva(p, gpa);
	bool ok;

	if (!h || !gpa_range_ok(p, gpa, size))
		return 0; /* a write to nothing is dropped */
	/* Logged before it is made: a GET between the two would otherwise
	 * miss a write others can already see. */
	guest_mark_written(p, gpa, size);
	if (size == 4) {
		u32 o = (u32)old;

		ok = __atomic_compare_exchange_n((u32 *)h, &o, (u32) new, false,
						 __ATOMIC_SEQ_CST,
						 __ATOMIC_SEQ_CST);
	} else {
		ok = __atomic_compare_exchange_n((u64 *)h, &old, new, false,
						 __ATOMIC_SEQ_CST,
						 __ATOMIC_SEQ_CST);
	}
	return ok ? 0 : 1;
}

void mmu_gpt_ctx(struct vcpu *v, struct gpt_ctx *ctx)
{
	struct mmu *m = &v->part->mmu;

	memset(ctx, 0, sizeof(*ctx));
	switch (v->mmu.gmode) {
	case MMU_GMODE_32BIT:
		ctx->mode = GPT_MODE_32BIT;
		break;
	case MMU_GMODE_PAE:
		ctx->mode = GPT_MODE_PAE;
		break;
	default:
		ctx->mode = GPT_MODE_4LEVEL;
		break;
	}
	ctx->cr0 = v->cr0;
	ctx->cr4 = v->cr4;
	ctx->efer = v->efer;
	ctx->cr3 = v->cr3;
	memcpy(ctx->pdptes, v->mmu.pdptes, sizeof(ctx->pdptes));
	ctx->maxphyaddr = m->maxphyaddr;
	ctx->has_1g_pages = m->has_1g_pages;
	ctx->read_pte = mmu_read_gpte;
	ctx->set_ad = set_ad;
	ctx->opaque = v->part;
}

bool mmu_read_pdptes(struct vcpu *v, u64 cr3, u64 *out)
{
	gpa_t base = cr3 & 0xffffffe0; /* bits 31:5 (SDM 3A 4.4.1) */

	for (u32 i = 0; i < 4; i++) {
		mmu_read_gpte(v->part, base + 8 * i, &out[i], 8);
		if (!gpt_pae_pdpte_valid(out[i], v->part->mmu.maxphyaddr))
			return false;
	}
	return true;
}

/* ------------------------------------------------------------------ */
/* Roots */

int mmu_vcpu_init(struct vcpu *v)
{
	if (pmm_alloc(&host_pmm, 1, 1, BELOW_4G, &v->mmu.pae_root))
		return -ENOMEM;
	memset((void *)hpa_to_hva(v->mmu.pae_root), 0, PAGE_SIZE);
	return 0;
}

static void put_roots(struct vcpu *v)
{
	u64 *pae = (u64 *)hpa_to_hva(v->mmu.pae_root);

	for (u32 i = 0; i < MMU_PAE_ROOTS; i++) {
		if (v->mmu.roots[i])
			mmu_put_root(v->part, v->mmu.roots[i]);
		v->mmu.roots[i] = NULL;
		pae[i] = 0;
	}
}

/* The shadow page for root entry i of a PAE-format shadow, or NULL when
 * that gigabyte is not mapped (*err set on host memory exhaustion). */
static struct mmu_page *pae_root_page(struct vcpu *v, u32 i, int *err)
{
	struct partition *p = v->part;
	union mmu_role role = base_role(v, 2);
	struct mmu_page *sp;
	gfn_t gfn;

	switch (v->mmu.gmode) {
	case MMU_GMODE_NONPAGING:
		if (i * PAE_ROOT_SPAN >= p->cfg.mem_bytes)
			return NULL;
		gfn = i * entry_pages(3);
		break;
	case MMU_GMODE_32BIT:
		role.quadrant = i;
		gfn = (v->cr3 & 0xfffff000) >> PAGE_SHIFT;
		break;
	default: /* PAE: the PDPTE registers */
		if (!(v->mmu.pdptes[i] & PTE_P))
			return NULL;
		gfn = (v->mmu.pdptes[i] & PTE_ADDR_MASK) >> PAGE_SHIFT;
		break;
	}
	sp = mmu_get_page(p, gfn, role);
	if (!sp)
		*err = -ENOMEM;
	return sp;
}

/* Load the roots for the vCPU's mode and CR3. Caller holds the MMU lock. */
static int load_roots(struct vcpu *v)
{
	struct partition *p = v->part;
	u64 *pae = (u64 *)hpa_to_hva(v->mmu.pae_root);
	int err = 0;

	put_roots(v);
	v->mmu.gmode = gmode_of(v);
	mmu_make_room(p, MMU_PAGES_PER_FAULT, &v->mmu.rmap_cache);
	if (v->mmu.gmode == MMU_GMODE_4LEVEL) {
		gfn_t gfn = (v->cr3 & PTE_ADDR_MASK) >> PAGE_SHIFT;
		struct mmu_page *sp = mmu_get_page(p, gfn, base_role(v, 4));

		if (!sp)
			return -ENOMEM;
		mmu_get_root(sp);
		v->mmu.roots[0] = sp;
		vmwrite(GUEST_CR3, mmu_page_hpa(sp));
	} else {
		for (u32 i = 0; i < MMU_PAE_ROOTS && !err; i++) {
			struct mmu_page *sp = pae_root_page(v, i, &err);

			if (!sp)
				continue;
			mmu_get_root(sp);
			v->mmu.roots[i] = sp;
			/* PAE PDPTEs have no R/W or U/S bits (reserved). */
			pae[i] = mmu_page_hpa(sp) | PTE_P;
		}
		vmwrite(GUEST_CR3, v->mmu.pae_root);
	}
	/* The TLB holds translations of the old root: flush before entry. */
	v->mmu.flush_req = 1;
	return err;
}

static int load_roots_locked(struct vcpu *v)
{
	int ret;

	mmu_lock(v->part);
	ret = load_roots(v);
	mmu_commit(v->part);
	mmu_unlock(v->part);
	if (ret)
		stop_oom(v);
	return ret;
}

int mmu_reset_context(struct vcpu *v)
{
	return load_roots_locked(v);
}

int mmu_load_cr3(struct vcpu *v)
{
	return load_roots_locked(v);
}

bool mmu_needs_reload(struct vcpu *v)
{
	for (u32 i = 0; i < MMU_PAE_ROOTS; i++) {
		struct mmu_page *sp = v->mmu.roots[i];

		if (sp && __atomic_load_n(&sp->invalid, __ATOMIC_ACQUIRE))
			return true;
	}
	return false;
}

void mmu_reload(struct vcpu *v)
{
	load_roots_locked(v);
}

void mmu_invlpg(struct vcpu *v, gva_t gva)
{
	/* The shadow tables never hold a translation the guest's tables
	 * no longer give (writes to them trap), so there is nothing to
	 * drop but the processor's own TLB entry. */
	(void)gva;
	v->mmu.flush_req = 1;
}

/* ------------------------------------------------------------------ */
/* Building the shadow path */

/* Rights the guest entries from the top down to (and including) level
 * grant, folded (SDM 3A 4.6). PAE PDPTEs carry none. */
static u32 fold_access(const struct vcpu *v, const struct gpt_walk *w,
		       u32 level)
{
	bool nxe = v->efer & EFER_NXE;
	u32 acc = MMU_ACC_ALL;

	for (u32 l = w->top_level; l >= level && l >= 1; l--) {
		u64 e = w->pte[l - 1];

		if (v->mmu.gmode == MMU_GMODE_PAE && l == GPT_LEVEL_PDPT)
			continue;
		if (!(e & PTE_RW))
			acc &= ~MMU_ACC_W;
		if (!(e & PTE_US))
			acc &= ~MMU_ACC_U;
		if (nxe && v->mmu.gmode != MMU_GMODE_32BIT && (e & PTE_NX))
			acc &= ~MMU_ACC_X;
	}
	return acc;
}

/* The guest table a non-leaf guest entry points at. */
static gfn_t table_gfn(const struct vcpu *v, u64 gpte)
{
	if (v->mmu.gmode == MMU_GMODE_32BIT)
		return (gpte & 0xfffff000) >> PAGE_SHIFT;
	return (gpte & PTE_ADDR_MASK) >> PAGE_SHIFT;
}

/* What the leaf spte for this access may allow. */
static u64 leaf_spte(struct vcpu *v, gfn_t gfn, const struct gpt_walk *w,
		     const struct gpt_access *acc)
{
	struct partition *p = v->part;
	bool writable = true, user = true, exec = true, dirty = true;
	u64 spte;

	if (w) {
		writable = w->writable;
		user = w->user;
		exec = w->executable;
		dirty = w->pte[w->level_of_leaf - 1] & PTE_D;
		/* CR0.WP=0 lets the supervisor write read-only pages; the
		 * processor runs with WP=1, so such a page is made writable
		 * for the supervisor only, until a user access wants it
		 * back (KVM does the same). */
		if (!(v->cr0 & X86_CR0_WP) && acc->write && !acc->user &&
		    !writable) {
			writable = true;
			user = false;
		}
	}
	/* A clean page stays read-only so that the first write sets D. */
	if (!dirty)
		writable = false;
	if (mmu_gfn_tracked(p, gfn))
		writable = false;
	/* A logged page becomes writable only for a write, which is
	 * marked first: a write through the entry needs no fault, so it
	 * must already be in the bitmap (dirtylog/dirtylog.c). */
	if (writable && dirtylog_active(p, gfn)) {
		if (acc->write)
			dirtylog_mark(p, gfn);
		else
			writable = false;
	}
	spte = (p->slots[0].hfns[gfn] << PAGE_SHIFT) | PTE_P;
	if (writable)
		spte |= PTE_RW;
	if (user)
		spte |= PTE_US;
	if (!exec)
		spte |= PTE_NX;
	return spte;
}

/* Has the guest entry the walk read at level changed since (it was read
 * before its table was write-protected)? */
static bool gpte_changed(struct vcpu *v, const struct gpt_walk *w, u32 level)
{
	u32 size = v->mmu.gmode == MMU_GMODE_32BIT ? 4 : 8;
	u64 now;

	mmu_read_gpte(v->part, w->pte_gpa[level - 1], &now, size);
	return now != w->pte[level - 1];
}

enum fetch_result { FETCH_DONE, FETCH_RETRY, FETCH_NOMEM };

/*
 * Make the shadow path for gva and install its leaf: w is the guest walk
 * (NULL with paging off, where gpa = gva). Caller holds the MMU lock.
 */
static enum fetch_result fetch(struct vcpu *v, gva_t gva, gpa_t gpa,
			       const struct gpt_walk *w,
			       const struct gpt_access *acc)
{
	struct partition *p = v->part;
	struct rmap_cache *c = &v->mmu.rmap_cache;
	struct mmu_page *sp;
	u32 level, leaf_level = w ? w->level_of_leaf : 4;

	if (v->mmu.gmode == MMU_GMODE_4LEVEL) {
		sp = v->mmu.roots[0];
		level = 4;
	} else {
		sp = v->mmu.roots[(gva >> 30) & 3];
		level = 2;
	}
	if (!sp)
		return FETCH_RETRY; /* root being replaced */
	for (; level > 1; level--) {
		u32 i = spt_index(gva, level);
		union mmu_role role = base_role(v, level - 1);
		struct mmu_page *child;
		gfn_t gfn;

		sp->write_flood = 0;
		if (!w || level <= leaf_level) {
			/* No guest table below: a direct page for the part
			 * of guest-physical memory this entry covers. */
			role.direct = 1;
			/* A clean large page gets read-only direct pages:
			 * its first write must fault to set the guest's D
			 * (KVM's protect_clean_gpte). */
			if (w) {
				role.access = fold_access(v, w, leaf_level);
				if (!(w->pte[leaf_level - 1] & PTE_D))
					role.access &= ~MMU_ACC_W;
			}
			gfn = (gpa >> PAGE_SHIFT) & ~(entry_pages(level) - 1);
		} else {
			role.access = fold_access(v, w, level);
			if (v->mmu.gmode == MMU_GMODE_32BIT && level == 2)
				role.quadrant = (gva >> 21) & 1;
			gfn = table_gfn(v, w->pte[level - 1]);
		}
		/* An existing link is kept only if it leads where this walk
		 * leads: a large page's D bit, for one, changes the role of
		 * the direct page below without a write to a tracked table. */
		if (spte_present(sp->spt[i])) {
			child = mmu_page_of(sp->spt[i]);
			if (child->gfn == gfn &&
			    child->role.word == role.word) {
				sp = child;
				continue;
			}
			mmu_drop_spte(p, sp, i, c);
		}
		child = mmu_get_page(p, gfn, role);
		if (!child)
			return FETCH_NOMEM;
		if (mmu_link(p, sp, i, child, c))
			return FETCH_NOMEM;
		if (!role.direct) {
			/* The new page write-protected gfn just now; the
			 * walk read its entry before that. Make the
			 * protection take effect, then look again. */
			mmu_commit(p);
			/* Pairs with the fence in mmu_guest_write_hook():
			 * write_track's new count is visible before the
			 * entry is read again. */
			__atomic_thread_fence(__ATOMIC_SEQ_CST);
			if (gpte_changed(v, w, level - 1))
				return FETCH_RETRY;
		}
		sp = child;
	}
	sp->write_flood = 0;
	if (mmu_set_leaf(p, sp, spt_index(gva, 1), gpa >> PAGE_SHIFT,
			 leaf_spte(v, gpa >> PAGE_SHIFT, w, acc), c))
		return FETCH_NOMEM;
	return FETCH_DONE;
}

void mmu_inject_pf(struct vcpu *v, gva_t gva, u32 error_code)
{
	v->regs.cr2 = gva;
	vmexit_inject_exception(VECTOR_PAGE_FAULT, true, error_code);
}

int mmu_translate_any(struct vcpu *v, gva_t gva, bool write, gpa_t *gpa)
{
	struct gpt_access acc = {.write = write,
				 .user = vmexit_guest_cpl() == 3};
	struct gpt_ctx ctx;
	struct gpt_walk w;
	int ret;

	if (v->mmu.gmode == MMU_GMODE_NONPAGING) {
		*gpa = (u32)gva;
		return 0;
	}
	if (v->mmu.gmode != MMU_GMODE_4LEVEL)
		gva = (u32)gva;
	mmu_gpt_ctx(v, &ctx);
	mmu_lock(v->part);
	ret = gpt_walk(&ctx, gva, &acc, &w);
	mmu_unlock(v->part);
	if (ret == GPT_FAULT) {
		mmu_inject_pf(v, gva, w.error_code);
		return MMU_XLATE_FAULT;
	}
	if (ret)
		return -EFAULT;
	*gpa = w.gpa;
	return 0;
}

int mmu_translate(struct vcpu *v, gva_t gva, bool write, gpa_t *gpa)
{
	int ret = mmu_translate_any(v, gva, write, gpa);

	if (!ret && !gpa_to_hva(v->part, *gpa))
		return -EFAULT;
	return ret;
}

/* ------------------------------------------------------------------ */
/* The page-fault exit */

static void *rmap_desc_alloc(size_t size)
{
	return kmalloc(size);
}

/* Handle the fault with the MMU lock held; returns what to do after. */
enum fault_outcome {
	FAULT_FIXED,
	FAULT_GUEST,
	FAULT_STOP,
	FAULT_OOM,
	FAULT_MMIO
};

static enum fault_outcome fault_locked(struct vcpu *v, gva_t gva, u32 ec,
				       bool delivering, u32 *guest_ec,
				       gpa_t *bad_gpa)
{
	struct partition *p = v->part;
	struct gpt_access acc = {.write = ec & X86_PF_WR,
				 .user = ec & X86_PF_US,
				 .fetch = ec & X86_PF_ID};
	struct gpt_walk w, *wp = NULL;
	struct gpt_ctx ctx;
	gpa_t gpa;
	int ret;

	if (mmu_needs_reload(v))
		return FAULT_FIXED; /* vcpu_run reloads, the access retries */
	mmu_make_room(p, MMU_PAGES_PER_FAULT, &v->mmu.rmap_cache);
	if (v->mmu.gmode == MMU_GMODE_NONPAGING) {
		gpa = (u32)gva;
	} else {
		mmu_gpt_ctx(v, &ctx);
		if (v->mmu.gmode != MMU_GMODE_4LEVEL)
			gva = (u32)gva;
		ret = gpt_walk(&ctx, gva, &acc, &w);
		if (ret == GPT_FAULT) {
			*guest_ec = w.error_code;
			return FAULT_GUEST;
		}
		if (ret == -EBUSY)
			return FAULT_FIXED; /* entries kept changing: retry */
		if (ret) {
			*bad_gpa = ~0ULL;
			return FAULT_STOP;
		}
		gpa = w.gpa;
		wp = &w;
	}
	if (!gpa_to_hva(p, gpa)) {
		/* Device memory (or nothing): never mapped in the shadow
		 * tables, every access is emulated (vmm/mmio.c). */
		*bad_gpa = gpa;
		return FAULT_MMIO;
	}
	if (acc.write && mmu_gfn_tracked(p, gpa >> PAGE_SHIFT)) {
		gfn_t gfn = gpa >> PAGE_SHIFT;

		if (wp && !delivering) {
			mmu_page_table_write(v, gva, wp, gfn, acc.user);
			return FAULT_FIXED;
		}
		/* Paging is off, so nothing uses it as a table right now;
		 * or the processor wrote it delivering an event (pushing
		 * onto the stack), which is no instruction to emulate:
		 * stop shadowing it and let the write through. */
		if (wp && mmu_on_walk_path(v, wp, gfn)) {
			*bad_gpa = ~1ULL;
			return FAULT_STOP;
		}
		mmu_zap_gfn(p, gfn, &v->mmu.rmap_cache);
		p->stats.shadow_unshadowed++;
	}
	switch (fetch(v, gva, gpa, wp, &acc)) {
	case FETCH_NOMEM:
		return FAULT_OOM;
	default:
		return FAULT_FIXED;
	}
}

void mmu_page_fault(struct vcpu *v, gva_t gva, u32 ec)
{
	struct partition *p = v->part;
	enum fault_outcome out;
	u32 guest_ec = 0;
	gpa_t bad_gpa = 0;

	if (ec & X86_PF_RSVD) {
		partition_stop(p, STATUS_UNHANDLED,
			       "vCPU %u: reserved bit in a shadow entry for "
			       "%#lx (error code %#x): a Shade bug",
			       v->index, gva, ec);
		return;
	}
	if (rmap_cache_topup(&v->mmu.rmap_cache, MMU_RMAP_ADDS_PER_FAULT,
			     rmap_desc_alloc)) {
		stop_oom(v);
		return;
	}
	mmu_lock(p);
	out = fault_locked(v, gva, ec,
			   vmread(IDT_VECTORING_INFO) & INTR_INFO_VALID,
			   &guest_ec, &bad_gpa);
	mmu_commit(p);
	mmu_unlock(p);
	/* A big zap returns many descriptors to this cache: keep a few. */
	rmap_cache_trim(&v->mmu.rmap_cache, RMAP_CACHE_KEEP, kfree);
	switch (out) {
	case FAULT_FIXED:
		__atomic_fetch_add(&p->stats.shadow_faults, 1,
				   __ATOMIC_RELAXED);
		break;
	case FAULT_GUEST:
		__atomic_fetch_add(&p->stats.guest_page_faults, 1,
				   __ATOMIC_RELAXED);
		mmu_inject_pf(v, gva, guest_ec);
		break;
	case FAULT_STOP:
		if (bad_gpa == ~1ULL)
			partition_stop(p, STATUS_UNHANDLED,
				       "vCPU %u: delivering an event at RIP "
				       "%#lx wrote a page table that maps "
				       "itself (%#lx)",
				       v->index, vmread(GUEST_RIP), gva);
		else
			partition_stop(p, STATUS_UNHANDLED,
				       "vCPU %u: page walk for %#lx failed "
				       "at RIP %#lx",
				       v->index, gva, vmread(GUEST_RIP));
		break;
	case FAULT_OOM:
		stop_oom(v);
		break;
	case FAULT_MMIO:
		mmio_fault(v, gva, bad_gpa, ec);
		break;
	}
	mmu_audit_tick(p);
}
