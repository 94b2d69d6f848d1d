/* SPDX-License-Identifier: MIT */
/*
 * Shade's own address space (mm/paging.c): host physical memory
 * identity-mapped, with Shade's text read-only and everything else
 * non-executable, page 0 unmapped to catch NULL pointers, and non-RAM
 * (device) memory uncached. All CPUs share one set of tables.
 */
#ifndef SHADE_PAGING_H
#define SHADE_PAGING_H

#include "types.h"
#include "bootinfo.h"

/* The most host memory Shade maps: one PML4 entry's worth. mm/mm.c keeps
 * the frame allocator below it too. */
#define PAGING_MAX_TOP (512ULL << 30)

/* Shade maps host memory one to one: the conversion is the identity, but
 * it is written out so that the two kinds of address stay apart. */
static inline hva_t hpa_to_hva(hpa_t pa)
{
	return (hva_t)pa;
}

static inline hpa_t hva_to_hpa(hva_t va)
{
	return (hpa_t)va;
}

/*
 * Build the tables for every range of the memory map (and all of the
 * first 4 GiB) and switch this CPU to them. Boot CPU, after the frame
 * allocator exists; panics if it runs out of frames (boot time).
 */
void paging_init(const struct boot_info *bi);

/* Make one page below 1 MiB executable, for the AP trampoline. */
void paging_map_trampoline(hpa_t pa);

/*
 * A phys_map_fn for boot-time parsers (ACPI): the identity pointer if
 * [pa, pa + len) is mapped and does not touch page 0 once paging_init()
 * has run, else NULL.
 */
const void *paging_phys_map(u64 pa, u64 len, void *ctx);

/* Bytes of address space mapped, from 0. */
u64 paging_mapped_limit(void);

#endif
