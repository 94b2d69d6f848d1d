/* SPDX-License-Identifier: MIT */
/*
 * The shadow MMU (vmm/mmu.c, vmm/mmu_fault.c, docs/shadow-mmu.md).
 *
 * Shade does not use EPT. The processor runs every guest on page tables
 * Shade builds, the shadow tables, which map guest-virtual addresses
 * straight to host frames. Shade fills them lazily: a guest access that
 * finds no shadow entry page-faults into Shade, which walks the guest's
 * own tables (vmm/gpt.c) and either installs the missing entries (a
 * "shadow fault") or hands the guest the page fault its own tables call
 * for (a "guest fault").
 *
 * A shadow page table shadows one guest page table, or part of one, in
 * one context: struct mmu_page is keyed by the guest frame (gfn) and a
 * role (union mmu_role). A guest large page, which has no guest table
 * below it, is shadowed by "direct" pages of 4 KiB entries. Each shadow
 * page lives in two host frames: the table the processor walks, and a
 * frame for Shade's bookkeeping about it.
 *
 * Guest frames used as page tables are write-protected in every shadow
 * entry that maps them, found through the per-gfn reverse maps
 * (vmm/rmap.c); a guest write to one traps and is emulated
 * (vmm/emulate.c) with the shadow entries it affects dropped, so the
 * shadow tables never go stale.
 *
 * Locking: each partition has one MMU lock, struct mmu.lock. It protects
 * the page cache, the shadow tables' contents, the reverse maps and the
 * write-tracking counts. A CPU waits for it with interrupts enabled
 * (mmu_lock()), because the holder may send a TLB-shootdown IPI and wait
 * for every other vCPU of the partition to answer. Lock order:
 * mmu.lock, then host_pmm.lock or the heap's lock (never the other way).
 */
#ifndef SHADE_MMU_H
#define SHADE_MMU_H

#include "types.h"
#include "spinlock.h"
#include "rmap.h"

struct partition;
struct vcpu;

/* The guest's paging mode, as the role records it. */
enum mmu_gmode {
	MMU_GMODE_NONPAGING, /* CR0.PG = 0: guest-physical = guest-virtual */
	MMU_GMODE_32BIT,     /* 32-bit paging (4-byte entries) */
	MMU_GMODE_PAE,	     /* PAE paging */
	MMU_GMODE_4LEVEL,    /* 4-level paging (IA-32e mode) */
};

/* Rights folded into a role: what every guest entry above allows. */
#define MMU_ACC_W   BIT(0)
#define MMU_ACC_U   BIT(1)
#define MMU_ACC_X   BIT(2)
#define MMU_ACC_ALL (MMU_ACC_W | MMU_ACC_U | MMU_ACC_X)

/*
 * What a shadow page means, besides which guest frame it shadows. Two
 * shadow pages of one gfn with different roles are different pages: the
 * same guest table reached with different upper-level rights, or read as
 * a 32-bit table and as a PAE table, must not share shadow entries.
 */
union mmu_role {
	u32 word;
	struct {
		u32 level : 3;	  /* 1 (entries map 4 KiB pages) to 4 */
		u32 gmode : 2;	  /* enum mmu_gmode */
		u32 quadrant : 2; /* 32-bit guests: which part of the guest
				     table (below) */
		u32 direct : 1;	  /* no guest table: maps a guest large page
				     (or guest-physical memory, paging off) */
		u32 access : 3;	  /* MMU_ACC_*: rights of the entries above */
		u32 cr0_wp : 1;	  /* the guest's CR0.WP */
		u32 nxe : 1;	  /* the guest's EFER.NXE */
		u32 pse : 1;	  /* the guest's CR4.PSE (32-bit paging) */
		u32 unused : 18;
	};
};

/*
 * A 32-bit guest table has 1024 4-byte entries; a shadow table has 512
 * 8-byte ones, covering half the address space per entry as much. So a
 * guest page table (4 MiB) is shadowed by two shadow tables, quadrant 0
 * and 1, and a guest page directory (4 GiB) by four, one per PAE
 * page-directory-pointer entry of the shadow root.
 */

/* A shadow page. The table is one frame; this header and the gfns array
 * share the frame right after it (mmu_page_of()). */
struct mmu_page {
	u64 *spt;  /* the 512 shadow entries */
	gfn_t gfn; /* guest table's frame, or first frame
				      mapped (direct) */
	union mmu_role role;
	struct mmu_page *hash_next;	      /* same bucket (hash of gfn) */
	struct mmu_page *lru_prev, *lru_next; /* partition's list, newest
						 first */
	struct rmap_head parents;	      /* shadow entries pointing here */
	u32 root_count;			      /* vCPUs using it as a root */
	u32 write_flood; /* emulated writes since a fault last used it */
	bool invalid;	 /* zapped; freed once root_count is 0 */
	u32 magic;
	/* Indirect level-1 pages: the gfn each present entry maps. */
	u32 gfns[512];
};

#define MMU_HASH_BUCKETS 1024

/*
 * The page cache's bucket for gfn: every shadow page of one gfn, whatever
 * its role, lands in the same bucket, so "all pages of this gfn" (write
 * tracking, unshadowing) is one bucket walk. Fibonacci hashing: the top
 * bits of gfn times 2^64 / phi, which spreads consecutive and strided
 * gfns alike (tests/unit/test_mmu_hash.c).
 */
static inline u32 mmu_hash(gfn_t gfn)
{
	return (u32)((gfn * 0x9e3779b97f4a7c15ULL) >> 54) &
	       (MMU_HASH_BUCKETS - 1);
}
_Static_assert(MMU_HASH_BUCKETS == 1u << (64 - 54), "hash width");

/* Per-partition MMU state (struct partition's mmu). */
struct mmu {
	spinlock_t lock;
	struct mmu_page *hash[MMU_HASH_BUCKETS];
	struct mmu_page *lru_head, *lru_tail;
	u64 pages_in_use; /* shadow pages allocated, zapped roots included */
	u64 pages_max;	  /* the bound (shadow_mem=) */
	u64 npages;	  /* guest frames covered by the arrays below */
	struct rmap_head *rmaps; /* per gfn: the leaf sptes mapping it */
	u16 *write_track;	 /* per gfn: indirect shadow pages of it */
	u64 reclaimed;		 /* shadow pages zapped to stay in bound */
	/* Zapped pages waiting for the TLB shootdown before they are
	 * freed (linked through lru_next), and whether one is owed. */
	struct mmu_page *zapped;
	bool flush_pending;
	/* A dirty-log GET cleared R/W bits and dropped the lock before its
	 * shootdown: until the next one, a stale writable TLB entry may
	 * exist, so whoever relies on a read-only entry flushes first. */
	bool wp_unflushed;
	/* Takes descriptors freed by paths that have no vCPU cache. */
	struct rmap_cache spare;
	u64 audit_countdown; /* events until the next audit */
	u32 maxphyaddr;	     /* the guest's CPUID.80000008H:EAX[7:0] */
	bool has_1g_pages;
};

/* Per-vCPU MMU state (struct vcpu's mmu). */
#define MMU_PAE_ROOTS 4
struct vcpu_mmu {
	enum mmu_gmode gmode;
	/* The shadow root(s) the vCPU runs on: PAE-format shadow tables
	 * (guests with paging off, 32-bit or PAE paging) use pae_root, a
	 * 4-entry table below 4 GiB, whose entries point at roots[0..3];
	 * 4-level guests use roots[0]. */
	struct mmu_page *roots[MMU_PAE_ROOTS];
	hpa_t pae_root;
	u64 pdptes[4]; /* PAE: the guest's PDPTE registers */
	struct rmap_cache rmap_cache;
	/* Set by any CPU that changed shadow entries this vCPU may have
	 * cached; the vCPU flushes its TLB (INVVPID) before its next VM
	 * entry. */
	u32 flush_req;
	/* True while the vCPU is in guest mode, or about to enter it
	 * after having looked at flush_req (vmm/vcpu.c). */
	u32 in_guest;
};

/* Shade option shadow_mem= (bytes per partition; 0 = default) and
 * mmu_audit= (check the whole MMU every N events; 0 = never). */
extern u64 mmu_shadow_mem_option;
extern u32 mmu_audit_period;

/* Bytes of host memory one shadow page costs. */
#define MMU_PAGE_COST (2 * PAGE_SIZE)

/* --- vmm/mmu.c: partition-wide --- */

/* Take and drop the partition's MMU lock. mmu_lock waits with interrupts
 * enabled (see above) and returns with them disabled: call it from a
 * VM-exit handler, never from an interrupt handler or with another lock
 * held but a slot's dirty-log lock. */
void mmu_lock(struct partition *p);
void mmu_unlock(struct partition *p);

/* Allocate the per-gfn arrays and set the bound. Boot CPU, at partition
 * creation, before anything is written into guest memory. */
int mmu_init(struct partition *p);

/*
 * Shade has written [gpa, gpa + len) of guest memory (a hypercall's
 * output): any shadow page of those frames is zapped, so that the guest's
 * page tables and their shadows agree. Caller holds no MMU lock.
 */
void mmu_guest_write_hook(struct partition *p, gpa_t gpa, u64 len);

/*
 * Dirty logging: take R/W away from every leaf entry of the gfns in mask
 * (bit n stands for first_gfn + n), through their rmaps. Returns how many
 * entries lost it. The TLBs are not flushed: the caller ends with
 * mmu_flush_wp() before it returns to its guest. Caller holds the MMU
 * lock.
 */
u64 mmu_write_protect_mask(struct partition *p, gfn_t first_gfn, u64 mask);

/*
 * The walk: every leaf entry of every shadow page, in batches between
 * which the caller may drop the MMU lock (vmm/mmu.c says why that is
 * safe). A cursor starts zeroed ({0}); each call looks at most at about
 * `budget` entries from where the cursor is (a page that is not level 1
 * counts as 8, moving on to the next bucket as 1), takes R/W away from
 * those that have it, moves the cursor on and returns how many lost it.
 * mmu_wp_done() says when the walk is over. No flush, as above. Caller
 * holds the MMU lock.
 */
struct mmu_wp_cursor {
	u32 bucket;	       /* page-cache bucket (mmu_hash) being walked */
	u32 entry;	       /* the next entry of page */
	struct mmu_page *page; /* where to go on in the bucket; NULL: at its
				  head */
};
u64 mmu_write_protect_some(struct partition *p, struct mmu_wp_cursor *c,
			   u32 budget);
static inline bool mmu_wp_done(const struct mmu_wp_cursor *c)
{
	return c->bucket >= MMU_HASH_BUCKETS;
}

/* The shootdown owed for write-protection done so far (none when nothing
 * is owed). Takes the MMU lock. */
void mmu_flush_wp(struct partition *p);

/* Check every shadow page, entry, reverse map and count (printing each
 * inconsistency); returns the number found. Takes the MMU lock. */
u32 mmu_audit(struct partition *p, const char *when);

/* --- vmm/mmu_fault.c: per vCPU --- */

/* Allocate the vCPU's PAE root. Boot CPU, at partition creation. */
int mmu_vcpu_init(struct vcpu *v);

/*
 * The guest's CR0, CR4 or EFER changed in a way that matters to paging
 * (v->cr0, v->cr4, v->efer already updated, PDPTEs loaded): drop the
 * current roots and load the ones of the new mode and CR3. Also at vCPU
 * (re)start. Returns 0, or a negative errno after stopping the partition.
 * The vCPU's physical CPU, its VMCS current.
 */
int mmu_reset_context(struct vcpu *v);

/* MOV to CR3 with paging on (v->cr3 and, in PAE mode, v->mmu.pdptes
 * already updated): switch to the shadow root of the new CR3. */
int mmu_load_cr3(struct vcpu *v);

/* Read the four PAE PDPTEs from the guest's CR3 into *out; false if one
 * is invalid (the guest's MOV then raises #GP). */
bool mmu_read_pdptes(struct vcpu *v, u64 cr3, u64 *out);

/*
 * Translate gva for one access by the guest at its current CPL, as the
 * processor would (setting accessed/dirty flags). Returns 0 and *gpa;
 * MMU_XLATE_FAULT after injecting the guest's #PF; -EFAULT when the
 * translation lies outside the partition's RAM (nothing injected).
 */
#define MMU_XLATE_FAULT 1
int mmu_translate(struct vcpu *v, gva_t gva, bool write, gpa_t *gpa);
/* The same walk, for any guest-physical address, RAM or not (vmm/mmio.c):
 * 0, MMU_XLATE_FAULT, or -EFAULT when the walk itself failed. */
int mmu_translate_any(struct vcpu *v, gva_t gva, bool write, gpa_t *gpa);

/* INVLPG gva. */
void mmu_invlpg(struct vcpu *v, gva_t gva);

/* A #PF exit: fix the shadow tables, inject the guest's own fault, or
 * emulate a write to a guest page table. */
void mmu_page_fault(struct vcpu *v, gva_t gva, u32 error_code);

/*
 * Before VM entry, interrupts off: true if the vCPU must first reload its
 * roots (one was zapped), which mmu_reload() does with interrupts on.
 */
bool mmu_needs_reload(struct vcpu *v);
void mmu_reload(struct vcpu *v);

#endif
