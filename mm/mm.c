// SPDX-License-Identifier: MIT
/*
 * Memory management start-up, and Shade's kmalloc/kfree.
 *
 * The frame allocator is built from the loader's memory map minus what is
 * already in use: Shade's image, the loader's information structure, the
 * modules (guest images), and the allocator's own bitmap, which is placed
 * in the first free space above 1 MiB.
 *
 * Context: mm_init() on the boot CPU, interrupts off. kmalloc() and
 * kfree() from any CPU outside interrupt handlers; kheap.lock inside.
 */
#include "mm.h"
#include "pmm.h"
#include "heap.h"
#include "paging.h"
#include "kstring.h"
#include "panic.h"
#include "printk.h"
#include "errno.h"

/* The image, the boot information, the bitmap and each module. */
#define MAX_RESERVED (3 + BOOT_MAX_MODULES)

extern const char __image_start[], __image_end[];

struct pmm host_pmm;
static struct heap kheap;
static u64 usable_bytes, image_bytes, module_bytes;

static u32 collect_reserved(const struct boot_info *bi, struct mem_range *res)
{
	u32 n = 0;

	res[n++] = (struct mem_range){
		(u64)__image_start, __image_end - __image_start, MEM_RESERVED};
	res[n++] = (struct mem_range){
		bi->info_start, bi->info_end - bi->info_start, MEM_RESERVED};
	for (u32 i = 0; i < bi->nmodules; i++) {
		const struct boot_module *m = &bi->modules[i];

		res[n++] = (struct mem_range){m->start, m->end - m->start,
					      MEM_RESERVED};
		module_bytes += m->end - m->start;
	}
	image_bytes = __image_end - __image_start;
	return n;
}

static void pmm_setup(const struct boot_info *bi)
{
	struct mem_range res[MAX_RESERVED];
	u32 nres = collect_reserved(bi, res);
	u64 bytes = pmm_bitmap_bytes(bi->mmap, bi->nmmap);
	hpa_t home;

	if (pmm_find_home(bi->mmap, bi->nmmap, res, nres, bytes, &home))
		panic("mm: no room for the %llu-byte frame bitmap in %u memory "
		      "map entries",
		      (unsigned long long)bytes, bi->nmmap);
	res[nres++] = (struct mem_range){home, bytes, MEM_RESERVED};
	if (pmm_init(&host_pmm, bi->mmap, bi->nmmap, res, nres,
		     (u64 *)hpa_to_hva(home)))
		panic("mm: no free memory at all (%u memory map entries)",
		      bi->nmmap);
	usable_bytes = host_pmm.total_frames * PAGE_SIZE;
}

/* The heap grows by whole frames straight from the frame allocator. */
static int heap_grow(u64 bytes, void **base, u64 *len)
{
	u64 frames = DIV_ROUND_UP(bytes, PAGE_SIZE);
	hpa_t pa;

	if (pmm_alloc(&host_pmm, frames, 1, 0, &pa))
		return -ENOMEM;
	*base = (void *)hpa_to_hva(pa);
	*len = frames * PAGE_SIZE;
	return 0;
}

void mm_init(const struct boot_info *bi)
{
	pmm_setup(bi);
	paging_init(bi);
	heap_init(&kheap, heap_grow);
}

void mm_print_summary(void)
{
	pr_info("memory: %llu MiB usable, %llu MiB free; image %llu KiB, "
		"modules %llu KiB",
		(unsigned long long)(usable_bytes / MiB),
		(unsigned long long)(host_pmm.free_frames * PAGE_SIZE / MiB),
		(unsigned long long)(image_bytes / KiB),
		(unsigned long long)(module_bytes / KiB));
}

void *kmalloc(size_t size)
{
	return heap_alloc(&kheap, size);
}

void *kzalloc(size_t size)
{
	void *p = heap_alloc(&kheap, size);

	if (p)
		memset(p, 0, size);
	return p;
}

void kfree(void *ptr)
{
	heap_free(&kheap, ptr);
}
