// SPDX-License-Identifier: MIT
/*
 * Host "physical" memory for the native benchmark. Shade maps host memory
 * one to one (hpa_to_hva() is the identity, include/paging.h), so the
 * harness maps an anonymous arena at a fixed virtual address and tells
 * Shade's real frame allocator (mm/pmm.c) that it is RAM: every "physical"
 * address the allocator hands out is then a valid pointer. The arena
 * starts at 2 GiB so that its first frames lie below 4 GiB, where
 * mmu_vcpu_init() wants the PAE root (the allocator hands out the lowest
 * frames first). It is mapped with MAP_NORESERVE: only what Shade touches
 * costs memory. Shade maps host memory with 2 MiB pages, so the arena
 * asks for transparent huge pages; arena_huge_share() says how much of it
 * got them (TLB misses on 4 KiB pages would cost the harness what they
 * do not cost Shade).
 *
 * Context: the harness's one thread, between sweeps.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "pmm.h"
#include "mmu.h"
#include "bench.h"

#define ARENA_BASE 0x80000000ULL /* 2 GiB */

static void *arena;
static u64 arena_len;
static u64 *arena_bitmap;

u64 arena_bytes_for(u64 npages)
{
	u64 l1 = DIV_ROUND_UP(npages, 512), upper = DIV_ROUND_UP(l1, 512) + 8;
	u64 bytes = 0;

	bytes += (l1 + upper) * MMU_PAGE_COST;	    /* shadow pages */
	bytes += npages * sizeof(struct rmap_head); /* mmu.rmaps */
	bytes += npages * sizeof(u16);		    /* mmu.write_track */
	bytes += npages * sizeof(hfn_t);	    /* the slot's hfns */
	bytes += 4 * DIV_ROUND_UP(npages, 8);	    /* bitmaps, both sides */
	bytes += 16 * MiB; /* guest tables, data pool, caller, PAE root */
	return ALIGN_UP(bytes + bytes / 4, LARGE_SIZE);
}

void arena_destroy(void)
{
	if (!arena)
		return;
	munmap(arena, arena_len);
	free(arena_bitmap);
	arena = NULL;
	arena_bitmap = NULL;
	memset(&host_pmm, 0, sizeof(host_pmm));
}

void arena_create(u64 bytes)
{
	struct mem_range ram = {ARENA_BASE, bytes, MEM_AVAILABLE};

	arena_destroy();
	arena = mmap((void *)ARENA_BASE, bytes, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE |
			     MAP_FIXED_NOREPLACE,
		     -1, 0);
	if (arena == MAP_FAILED || (u64)arena != ARENA_BASE)
		bench_die("cannot map the %lu MiB arena at %#llx: %s",
			  bytes / MiB, ARENA_BASE,
			  arena == MAP_FAILED ? strerror(errno)
					      : "placed elsewhere");
	/* Shade maps host memory with 2 MiB pages (mm/paging.c): so does
	 * the arena, where the kernel can (transparent huge pages). */
	if (!getenv("BENCH_NO_THP"))
		madvise(arena, bytes, MADV_HUGEPAGE);
	arena_len = bytes;
	arena_bitmap = calloc(1, pmm_bitmap_bytes(&ram, 1));
	if (!arena_bitmap)
		bench_die("out of memory for the frame bitmap");
	if (pmm_init(&host_pmm, &ram, 1, NULL, 0, arena_bitmap))
		bench_die("pmm_init refused the arena");
}

double arena_huge_share(void)
{
	FILE *f = fopen("/proc/self/smaps", "r");
	char line[256];
	unsigned long long lo, hi, kib, rss = 0, huge = 0;
	bool in_arena = false;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%llx-%llx ", &lo, &hi) == 2) {
			in_arena = lo == ARENA_BASE;
			continue;
		}
		if (!in_arena)
			continue;
		if (sscanf(line, "Rss: %llu kB", &kib) == 1)
			rss = kib;
		else if (sscanf(line, "AnonHugePages: %llu kB", &kib) == 1)
			huge = kib;
	}
	fclose(f);
	return rss ? (double)huge / (double)rss : -1;
}
