// SPDX-License-Identifier: MIT
/*
 * cr0paging: turns on 32-bit paging with a valid identity map of the
 * first 4 MiB (one page directory, one page table, 4 KiB pages), checks
 * that the mapping works and exits with 0: the smallest paging guest, run
 * beside the misbehaving ones in tests/integration/guest-misbehave.sh.
 */
#include "guest.h"

#define PAGE_SIZE    4096
#define PTE_PRESENT  (1u << 0)
#define PTE_WRITABLE (1u << 1)
#define PT_ENTRIES   1024

static u32 page_dir[PT_ENTRIES] __aligned(PAGE_SIZE);
static u32 page_table[PT_ENTRIES] __aligned(PAGE_SIZE);

/* 4 MiB identity-mapped covers the image, its stack and the UART code. */
static void build_identity_map(void)
{
	u32 i;

	for (i = 0; i < PT_ENTRIES; i++)
		page_table[i] = i * PAGE_SIZE | PTE_PRESENT | PTE_WRITABLE;
	page_dir[0] = (u32)page_table | PTE_PRESENT | PTE_WRITABLE;
}

u32 guest_main(u32 magic, u32 info)
{
	static volatile u32 probe = 0x600d600d;

	(void)magic;
	(void)info;
	build_identity_map();
	gprintf("enabling paging: CR3 %p, identity map of 4 MiB\n", page_dir);
	write_cr3((u32)page_dir);
	write_cr0(read_cr0() | X86_CR0_PG);
	check(read_cr0() & X86_CR0_PG, "CR0.PG is set");
	check_eq(probe, 0x600d600d, "memory reads through the identity map");
	return report();
}
