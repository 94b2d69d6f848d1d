// SPDX-License-Identifier: MIT
/*
 * Shade's page tables.
 *
 * Layout: identity mapping of [0, top), top being the end of the highest
 * RAM range or 4 GiB, whichever is larger, in 2 MiB pages. The 2 MiB
 * regions that hold Shade's image are split into 4 KiB pages so that
 * permissions follow the linker's sections (linker.ld):
 *
 *	.text              read-only, executable
 *	.rodata            read-only, not executable
 *	.data, .bss        writable, not executable
 *	everything else    writable, not executable; page 0 not present
 *
 * A 2 MiB region that contains no RAM is mapped uncached (PCD|PWT): that
 * is where the local APIC and other devices live.
 *
 * Context: paging_init() on the boot CPU during boot; the APs load the
 * same CR3 in the trampoline. The tables do not change afterwards, except
 * for paging_map_trampoline(), which runs before any AP starts.
 */
#include "paging.h"
#include "pmm.h"
#include "asm.h"
#include "x86.h"
#include "kstring.h"
#include "panic.h"
#include "printk.h"

#define ENTRIES 512
#define MAX_TOP PAGING_MAX_TOP

extern const char __image_start[], __text_end[], __rodata_end[], __image_end[];

static u64 *pml4;
static u64 mapped_top; /* 0 until paging_init() switches CR3 */
static u64 nx_bit;     /* PTE_NX if EFER.NXE is on, else 0 */

static u64 *alloc_table(void)
{
	hpa_t pa;

	if (pmm_alloc_frame(&host_pmm, &pa))
		panic("paging: out of memory for page tables (%llu frames "
		      "free)",
		      (unsigned long long)host_pmm.free_frames);
	memset((void *)hpa_to_hva(pa), 0, PAGE_SIZE);
	return (u64 *)hpa_to_hva(pa);
}

/* The table that entry[idx] points to, created if missing. */
static u64 *next_table(u64 *table, u32 idx)
{
	if (!(table[idx] & PTE_P))
		table[idx] = hva_to_hpa((hva_t)alloc_table()) | PTE_P | PTE_RW;
	return (u64 *)hpa_to_hva(table[idx] & PTE_ADDR_MASK);
}

static bool range_has_ram(const struct boot_info *bi, u64 lo, u64 hi)
{
	for (u32 i = 0; i < bi->nmmap; i++) {
		const struct mem_range *r = &bi->mmap[i];

		if (r->type == MEM_AVAILABLE && r->base < hi &&
		    r->base + r->len > lo)
			return true;
	}
	return false;
}

/* Permissions of one 4 KiB page inside the image's 2 MiB regions. */
static u64 small_page_flags(u64 va)
{
	if (va == 0)
		return 0;
	if (va >= (u64)__image_start && va < (u64)__text_end)
		return PTE_P;
	if (va >= (u64)__text_end && va < (u64)__rodata_end)
		return PTE_P | nx_bit;
	return PTE_P | PTE_RW | nx_bit;
}

static void map_region_4k(u64 *pd, u32 idx, u64 base)
{
	u64 *pt = alloc_table();

	for (u32 i = 0; i < ENTRIES; i++) {
		u64 va = base + (u64)i * PAGE_SIZE;
		u64 flags = small_page_flags(va);

		pt[i] = flags ? (va | flags) : 0;
	}
	pd[idx] = hva_to_hpa((hva_t)pt) | PTE_P | PTE_RW;
}

static bool needs_small_pages(u64 base)
{
	u64 img_lo = ALIGN_DOWN((u64)__image_start, LARGE_SIZE);
	u64 img_hi = ALIGN_UP((u64)__image_end, LARGE_SIZE);

	return base == 0 || (base >= img_lo && base < img_hi);
}

static void map_region(const struct boot_info *bi, u64 base)
{
	u64 *pdpt = next_table(pml4, (base >> 39) & 511);
	u64 *pd = next_table(pdpt, (base >> 30) & 511);
	u32 idx = (base >> LARGE_SHIFT) & 511;
	u64 flags = PTE_P | PTE_RW | PTE_PS | nx_bit;

	if (needs_small_pages(base)) {
		map_region_4k(pd, idx, base);
		return;
	}
	if (!range_has_ram(bi, base, base + LARGE_SIZE))
		flags |= PTE_PCD | PTE_PWT;
	pd[idx] = base | flags;
}

static u64 top_of_ram(const struct boot_info *bi)
{
	u64 top = 4 * GiB;

	for (u32 i = 0; i < bi->nmmap; i++) {
		const struct mem_range *r = &bi->mmap[i];

		if (r->type != MEM_AVAILABLE && r->type != MEM_ACPI_RECLAIMABLE)
			continue;
		if (r->base + r->len > MAX_TOP || r->base + r->len < r->base) {
			pr_warn("paging: ignoring memory above %llu GiB (map "
				"entry %#llx+%#llx)",
				MAX_TOP / GiB, (unsigned long long)r->base,
				(unsigned long long)r->len);
			return MAX_TOP;
		}
		top = MAX(top, ALIGN_UP(r->base + r->len, LARGE_SIZE));
	}
	return top;
}

void paging_init(const struct boot_info *bi)
{
	u64 top = top_of_ram(bi);

	nx_bit = (rdmsr(MSR_IA32_EFER) & EFER_NXE) ? PTE_NX : 0;
	pml4 = alloc_table();
	for (u64 base = 0; base < top; base += LARGE_SIZE)
		map_region(bi, base);
	write_cr3(hva_to_hpa((hva_t)pml4));
	mapped_top = top;
	pr_info("paging: %llu GiB identity-mapped; text read-only%s",
		(unsigned long long)(top / GiB),
		nx_bit ? ", data and heap not executable"
		       : " (no NX on this CPU)");
}

void paging_map_trampoline(hpa_t pa)
{
	u64 *pdpt = next_table(pml4, 0);
	u64 *pd = next_table(pdpt, 0);
	u64 *pt;

	BUG_ON(pa >= LARGE_SIZE || !(pd[0] & PTE_P) || (pd[0] & PTE_PS));
	pt = (u64 *)hpa_to_hva(pd[0] & PTE_ADDR_MASK);
	pt[pa >> PAGE_SHIFT] = pa | PTE_P | PTE_RW;
	invlpg(hpa_to_hva(pa));
}

const void *paging_phys_map(u64 pa, u64 len, void *ctx)
{
	u64 limit = mapped_top ? mapped_top : 4 * GiB;

	(void)ctx;
	if (pa + len < pa || pa + len > limit)
		return NULL;
	if (mapped_top && pa < PAGE_SIZE)
		return NULL;
	return (const void *)hpa_to_hva(pa);
}

u64 paging_mapped_limit(void)
{
	return mapped_top;
}
