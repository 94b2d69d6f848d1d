/* SPDX-License-Identifier: MIT */
/*
 * What vmm/mmu.c (the shadow page cache) offers vmm/mmu_fault.c (faults,
 * roots and modes). Everything here runs with the partition's MMU lock
 * held unless it says otherwise.
 */
#ifndef SHADE_MMU_INTERNAL_H
#define SHADE_MMU_INTERNAL_H

#include "mmu.h"
#include "vmm.h"
#include "x86.h"
#include "paging.h"

#define SPT_ENTRIES		512
#define MMU_PAGE_MAGIC		0x5ad0u
/* Shadow pages one fault (or one root load) may create: four PAE roots,
 * or a root-to-leaf path of four levels, plus one. */
#define MMU_PAGES_PER_FAULT	5
/* Reverse-map additions one fault may make (parent links and the leaf). */
#define MMU_RMAP_ADDS_PER_FAULT 8

/* Non-leaf shadow entries grant everything; the leaf decides. */
#define SPTE_LINK (PTE_P | PTE_RW | PTE_US)

static inline bool spte_present(u64 spte)
{
	return spte & PTE_P;
}

/* The shadow page whose table a non-leaf spte points at. */
static inline struct mmu_page *mmu_page_of(u64 spte)
{
	return (struct mmu_page *)hpa_to_hva((spte & PTE_ADDR_MASK) +
					     PAGE_SIZE);
}

static inline hpa_t mmu_page_hpa(const struct mmu_page *sp)
{
	return hva_to_hpa((hva_t)sp->spt);
}

/* The shadow page (gfn, role), found in the cache or made. A new indirect
 * page write-protects gfn (a shootdown is then owed: mmu_commit). NULL
 * when host memory is exhausted. */
struct mmu_page *mmu_get_page(struct partition *p, gfn_t gfn,
			      union mmu_role role);

/* Clear shadow entry i of sp, unlinking it from its rmap or child. Returns
 * whether it was present. */
bool mmu_drop_spte(struct partition *p, struct mmu_page *sp, u32 i,
		   struct rmap_cache *c);

/* Set *sptep (entry i of sp, level 1) to map gfn with the bits in spte,
 * keeping the gfn's rmap exact. */
int mmu_set_leaf(struct partition *p, struct mmu_page *sp, u32 i, gfn_t gfn,
		 u64 spte, struct rmap_cache *c);

/* Point entry i of sp at child. */
int mmu_link(struct partition *p, struct mmu_page *sp, u32 i,
	     struct mmu_page *child, struct rmap_cache *c);

/* Zap one page, or every indirect page of gfn (Shade stops treating gfn
 * as a page table). Both leave a shootdown owed. */
void mmu_zap_page(struct partition *p, struct mmu_page *sp,
		  struct rmap_cache *c);
bool mmu_zap_gfn(struct partition *p, gfn_t gfn, struct rmap_cache *c);

/* Is gfn a guest page table Shade shadows (writes to it must trap)? */
bool mmu_gfn_tracked(struct partition *p, gfn_t gfn);

/* Indirect shadow pages of gfn, for a walk: for_each_gfn_page(p, gfn, sp) */
struct mmu_page *mmu_bucket(struct partition *p, gfn_t gfn);
#define for_each_gfn_page(p, g, sp)                                     \
	for ((sp) = mmu_bucket((p), (g)); (sp); (sp) = (sp)->hash_next) \
		if ((sp)->gfn == (g) && !(sp)->role.direct)

/* A guest write of len bytes at gpa reached page-table frame gfn: drop
 * the shadow entries it changes. Returns whether any was present. */
bool mmu_pte_written(struct partition *p, gpa_t gpa, u32 len,
		     struct rmap_cache *c);

/* Reclaim unused shadow pages until n more fit under the bound. */
void mmu_make_room(struct partition *p, u32 n, struct rmap_cache *c);

/* Before dropping the lock after changes: if a shootdown is owed, flush
 * every vCPU of the partition (one round of IPIs to those in guest
 * mode), then free the zapped pages. */
void mmu_commit(struct partition *p);

/* Root references. */
void mmu_get_root(struct mmu_page *sp);
void mmu_put_root(struct partition *p, struct mmu_page *sp);

/* vmm/mmu_fault.c: the guest's paging state as the walker wants it, its
 * reads of guest entries (all ones beyond RAM), and injecting its #PF. */
struct gpt_ctx;
struct gpt_walk;
void mmu_gpt_ctx(struct vcpu *v, struct gpt_ctx *ctx);
int mmu_read_gpte(void *opaque, gpa_t gpa, u64 *val, u32 size);
void mmu_inject_pf(struct vcpu *v, gva_t gva, u32 error_code);

/* vmm/mmu_ptwrite.c: the guest writes gfn, one of its page tables, at
 * gva (its walk w allowed the write); and whether gfn is one of the
 * tables w went through. */
void mmu_page_table_write(struct vcpu *v, gva_t gva, const struct gpt_walk *w,
			  gfn_t gfn, bool user);
bool mmu_on_walk_path(struct vcpu *v, const struct gpt_walk *w, gfn_t gfn);

/* Audit now if the period (mmu_audit=) says so. Takes the lock itself:
 * call it after mmu_unlock. */
void mmu_audit_tick(struct partition *p);

#endif
