/* SPDX-License-Identifier: MIT */
/*
 * The guest page-table walker (vmm/gpt.c): translates a guest-virtual
 * address for one access exactly as the processor would (SDM Vol. 3A
 * chapter 4), for the shadow MMU. It reports the translation, the rights
 * the guest's entries grant, every guest paging-structure entry it used
 * (the shadow MMU write-protects their frames) and, when the access is not
 * allowed, the page-fault error code the guest must see.
 *
 * Supported: 32-bit paging with 4 MiB pages and PSE-36 (4.3), PAE paging
 * (4.4), 4-level paging with 2 MiB and optional 1 GiB pages (4.5), NX,
 * CR0.WP, SMEP and SMAP (4.6). Not supported, so not to be offered to a
 * guest: protection keys (CR4.PKE, CR4.PKS), 5-level paging, CET shadow
 * stacks, HLAT.
 *
 * Pure: guest memory is reached only through the two callbacks in
 * struct gpt_ctx, so the host unit tests (tests/unit/test_gpt.c) drive it
 * over a fake guest RAM.
 */
#ifndef SHADE_GPT_H
#define SHADE_GPT_H

#include "types.h"
#include "x86.h"

/* gpt_walk's result when the access page-faults; errors are negative. */
#define GPT_FAULT 1

/* After this many restarts (set_ad saw the entry change) gpt_walk gives up. */
#define GPT_MAX_RESTARTS 8

enum gpt_mode {
	GPT_MODE_32BIT,	 /* CR0.PG=1, CR4.PAE=0 (4.3) */
	GPT_MODE_PAE,	 /* CR0.PG=1, CR4.PAE=1, EFER.LMA=0 (4.4) */
	GPT_MODE_4LEVEL, /* CR0.PG=1, CR4.PAE=1, EFER.LMA=1 (4.5) */
};

/* Levels are counted from the page up, as the SDM's tables do. */
enum gpt_level {
	GPT_LEVEL_PT = 1,   /* PTE: maps a 4 KiB page */
	GPT_LEVEL_PD = 2,   /* PDE: page table, or a 2 MiB / 4 MiB page */
	GPT_LEVEL_PDPT = 3, /* PDPTE: page directory, or a 1 GiB page */
	GPT_LEVEL_PML4 = 4, /* PML4E: page-directory-pointer table */
};
#define GPT_MAX_LEVELS 4

/* Sizes of the entries the callbacks move. */
#define GPT_PTE32_SIZE 4 /* 32-bit paging */
#define GPT_PTE64_SIZE 8 /* PAE and 4-level paging */

/*
 * The guest's paging state and the way to its memory.
 *
 * read_pte reads size bytes (4 or 8, naturally aligned) of guest-physical
 * memory at gpa into *val, zero-extended; it returns 0, or a negative value
 * when gpa is not guest RAM. set_ad writes new over an entry only if it
 * still holds old (a locked compare-and-exchange, so that it counts as a
 * guest write); it returns 0 when it wrote, 1 when the entry had changed
 * (the walker then starts over), or -EFAULT when gpa is not guest RAM.
 */
struct gpt_ctx {
	enum gpt_mode mode;
	u64 cr0;	   /* WP */
	u64 cr4;	   /* PSE, PAE, SMEP, SMAP */
	u64 efer;	   /* NXE */
	u64 cr3;	   /* the guest's CR3 */
	u64 pdptes[4];	   /* PAE: the PDPTE registers, loaded at CR3 load */
	u32 maxphyaddr;	   /* the guest's CPUID.80000008H:EAX[7:0], 32-52 */
	bool has_1g_pages; /* CPUID.80000001H:EDX.Page1GB[26] */
	int (*read_pte)(void *opaque, gpa_t gpa, u64 *val, u32 size);
	int (*set_ad)(void *opaque, gpa_t gpa, u64 old, u64 new, u32 size);
	void *opaque; /* passed to both callbacks */
};

/*
 * One access (SDM 3A 4.6). user is CPL 3. implicit_supervisor marks an
 * access to a system structure (GDT, LDT, IDT, TSS...): a supervisor-mode
 * access whatever the CPL, never exempted from SMAP. rflags_ac is
 * RFLAGS.AC, which lets explicit supervisor accesses reach user pages
 * under SMAP. A fetch is neither a write nor implicit.
 */
struct gpt_access {
	bool write;
	bool user;
	bool fetch;
	bool implicit_supervisor;
	bool rflags_ac;
};

/*
 * What a walk found. Per-level arrays are indexed by level - 1 and filled
 * from top_level down to stop_level: pte_gpa is where the entry lies in
 * guest-physical memory, pte its value (after the walker set A/D). In PAE
 * mode the level-3 entry comes from ctx->pdptes, not from memory:
 * pte_gpa[GPT_LEVEL_PDPT - 1] only says where it was loaded from, and a
 * guest write there takes effect at the next CR3 load, so that frame
 * need not be write-protected.
 *
 * gpa, level_of_leaf, page_size and the rights are set once a leaf is
 * reached: on success, and on a page fault for lack of rights (error_code
 * has P=1, RSVD=0). The rights are those the entries grant, folded over
 * the levels as SDM 3A 4.6 says, before CR0.WP, SMEP and SMAP:
 * writable = R/W=1 in every entry, user = U/S=1 in every entry,
 * executable = no entry has XD=1 with EFER.NXE=1 (32-bit paging: always).
 */
struct gpt_walk {
	gpa_t gpa;	   /* the translation of the address */
	u32 level_of_leaf; /* 1 (4 KiB page), 2 (2 or 4 MiB), 3 (1 GiB) */
	u64 page_size;
	bool writable;
	bool user;
	bool executable;
	u32 top_level;	/* 2, 3 or 4, by mode */
	u32 stop_level; /* the last level read: the leaf, or where it failed */
	gpa_t pte_gpa[GPT_MAX_LEVELS];
	u64 pte[GPT_MAX_LEVELS];
	u32 error_code; /* X86_PF_*, when GPT_FAULT is returned */
};

/*
 * Translate gva for access acc under ctx (SDM 3A 4.3-4.8), filling *w.
 *
 * Returns 0 when the access is allowed; the walker has then set the
 * accessed flag in every entry it used and, for a write, the dirty flag
 * in the leaf, through ctx->set_ad. Returns GPT_FAULT when the access
 * page-faults, with w->error_code set (P, W/R, U/S, RSVD, I/D as in 4.7)
 * and no A/D flag written; a not-present entry gives P=0 whatever its
 * other bits, a reserved bit P=1 and RSVD=1, and the walk stops at that
 * level. Returns -EFAULT when a paging structure is not guest RAM (the
 * read or set_ad callback failed; w->stop_level and its pte_gpa name the
 * entry), -EBUSY when the entries kept changing under set_ad for
 * GPT_MAX_RESTARTS restarts, -EINVAL for a ctx or access no processor can
 * produce (an unknown mode, CR4.PAE not matching it, maxphyaddr outside
 * 32-52, gva above 4 GiB without 4-level paging or not canonical with it,
 * a fetch that is also a write or implicit). A non-canonical address
 * gives #GP or #SS, not #PF: the caller checks that first.
 *
 * Caller holds the partition's MMU lock, so that what the walk reports
 * stays true while the shadow MMU acts on it.
 */
int gpt_walk(const struct gpt_ctx *ctx, gva_t gva, const struct gpt_access *acc,
	     struct gpt_walk *w);

/*
 * Is pdpte a valid PAE PDPTE (SDM 3A 4.4.1)? A MOV to CR3 (or CR0, CR4)
 * that would load an invalid one raises #GP(0) instead. Pure.
 */
bool gpt_pae_pdpte_valid(u64 pdpte, u32 maxphyaddr);

#endif
