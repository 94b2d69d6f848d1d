/* SPDX-License-Identifier: MIT */
/*
 * The physical frame allocator: one bit per 4 KiB frame of RAM, built from
 * the loader's memory map minus everything that is already in use (Shade's
 * image, the boot information, the modules, the bitmap itself). Frame 0 is
 * never handed out.
 *
 * Context: any CPU, interrupts on or off. pmm->lock protects the bitmap
 * and the counters; the functions take it themselves.
 */
#ifndef SHADE_PMM_H
#define SHADE_PMM_H

#include "types.h"
#include "spinlock.h"
#include "bootinfo.h"

struct pmm {
	spinlock_t lock;  /* protects everything below */
	u64 *bitmap;	  /* bit set = frame free */
	u64 nframes;	  /* frames covered by the bitmap: [0, nframes) */
	u64 total_frames; /* usable frames at init */
	u64 free_frames;
	u64 hint; /* a frame number to start single-frame searches at */
};

/* Bytes of bitmap needed to cover every available range of the map. */
u64 pmm_bitmap_bytes(const struct mem_range *map, u32 nmap);

/*
 * Choose where the bitmap itself goes: the lowest page-aligned address
 * inside an available range, at or above 1 MiB, that overlaps none of the
 * nres reserved ranges. Returns 0 and *pa, or -ENOMEM.
 */
int pmm_find_home(const struct mem_range *map, u32 nmap,
		  const struct mem_range *res, u32 nres, u64 bytes, hpa_t *pa);

/*
 * Build the allocator: frames wholly inside an available range and outside
 * every reserved range are free. bitmap must hold pmm_bitmap_bytes(map)
 * bytes (callers list the bitmap among the reserved ranges). Returns 0, or
 * -EINVAL if no frame is free.
 */
int pmm_init(struct pmm *p, const struct mem_range *map, u32 nmap,
	     const struct mem_range *res, u32 nres, u64 *bitmap);

/*
 * Allocate nframes contiguous frames whose first frame number is a multiple
 * of align_frames (1 = any), all below limit (an address; 0 = no limit).
 * Returns 0 and *pa, or -ENOMEM (nothing changed). Frames are not zeroed.
 */
int pmm_alloc(struct pmm *p, u64 nframes, u64 align_frames, hpa_t limit,
	      hpa_t *pa);

/* One frame anywhere: pmm_alloc(p, 1, 1, 0, pa). */
int pmm_alloc_frame(struct pmm *p, hpa_t *pa);

/*
 * Return frames. Returns 0, or -EINVAL (and frees nothing) if any of them
 * is outside the bitmap or already free: a double free is the caller's bug,
 * and the caller decides whether that is fatal.
 */
int pmm_free(struct pmm *p, hpa_t pa, u64 nframes);

/* Shade's one allocator of host frames (set up by mm/mm.c at boot). */
extern struct pmm host_pmm;

#endif
