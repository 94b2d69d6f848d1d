// SPDX-License-Identifier: MIT
/*
 * Identity ("non-paging") shadow tables for guests that run with paging
 * off.
 *
 * VMX without unrestricted guest always runs the guest with CR0.PG set
 * (SDM 3C 26.3.1.1), so a guest that believes paging is off runs on these
 * tables: guest-linear address X maps to the host frame behind guest-
 * physical X, for all of the partition's RAM, writable and user-accessible
 * (the guest's own CPL and segment checks still apply). Addresses beyond
 * RAM are not present: an access there faults.
 *
 * PAE format (SDM 3A 4.4): a 4-entry PDPT below 4 GiB (a 32-bit guest's
 * CR3 holds it), page directories, then 4 KiB page tables, so that each
 * guest page can be backed, and later write-protected, on its own.
 *
 * Context: boot CPU, when the partition is created.
 */
#include "vmm.h"
#include "pmm.h"
#include "paging.h"
#include "x86.h"
#include "errno.h"
#include "kstring.h"

#define PAE_PDPT_ENTRIES 4
#define PAE_ENTRIES	 512
#define PT_SPAN		 (PAE_ENTRIES * PAGE_SIZE) /* 2 MiB per table */
#define PD_SPAN		 (PAE_ENTRIES * PT_SPAN)   /* 1 GiB per directory */
#define BELOW_4G	 (4ULL << 30)

static u64 *np_table(struct partition *p, hpa_t *pa)
{
	if (pmm_alloc(&host_pmm, 1, 1, BELOW_4G, pa))
		return NULL;
	memset((void *)hpa_to_hva(*pa), 0, PAGE_SIZE);
	p->np_pages++;
	return (u64 *)hpa_to_hva(*pa);
}

/* One page table: guest-physical [base, base + 2 MiB). */
static int build_pt(struct partition *p, u64 *pd_entry, gpa_t base)
{
	const struct memslot *s = &p->slots[0];
	hpa_t pa;
	u64 *pt = np_table(p, &pa);

	if (!pt)
		return -ENOMEM;
	for (u32 i = 0; i < PAE_ENTRIES; i++) {
		gfn_t gfn = (base >> PAGE_SHIFT) + i;

		if (gfn >= s->npages)
			break;
		pt[i] = (s->hfns[gfn] << PAGE_SHIFT) | PTE_P | PTE_RW | PTE_US;
	}
	*pd_entry = pa | PTE_P | PTE_RW | PTE_US;
	return 0;
}

int nonpaging_build(struct partition *p)
{
	u64 ram = p->slots[0].npages * PAGE_SIZE;
	hpa_t pdpt_pa, pd_pa;
	u64 *pdpt = np_table(p, &pdpt_pa);

	if (!pdpt)
		return -ENOMEM;
	for (u32 d = 0; d < PAE_PDPT_ENTRIES && (u64)d * PD_SPAN < ram; d++) {
		u64 *pd = np_table(p, &pd_pa);

		if (!pd)
			return -ENOMEM;
		/* PAE PDPTEs have no R/W or U/S bits (reserved there). */
		pdpt[d] = pd_pa | PTE_P;
		for (u32 t = 0; t < PAE_ENTRIES; t++) {
			gpa_t base = (u64)d * PD_SPAN + (u64)t * PT_SPAN;

			if (base >= ram)
				break;
			if (build_pt(p, &pd[t], base))
				return -ENOMEM;
		}
	}
	p->np_root = pdpt_pa;
	p->stats.shadow_pages_in_use = p->np_pages;
	return 0;
}
