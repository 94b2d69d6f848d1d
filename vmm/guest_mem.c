// SPDX-License-Identifier: MIT
/*
 * Guest RAM: memory slots (guest frame -> host frame), and the helpers
 * through which Shade reads and writes guest-physical memory.
 *
 * Each guest page is backed by its own host frame, taken from the frame
 * allocator in 2 MiB runs where possible and zeroed, so that no guest ever
 * sees another's (or Shade's) old data. Slot 0 is all of the partition's
 * RAM, [0, mem).
 *
 * guest_write() is how Shade copies into a guest; the contract counts
 * those writes as guest writes for dirty logging, and guest_mark_written()
 * is where every write Shade makes on a guest's behalf is logged (the
 * emulator and the page walker's accessed/dirty flags call it too).
 *
 * Context: any CPU. Slots never change after partition creation, so
 * reading them needs no lock.
 */
#include "vmm.h"
#include "pmm.h"
#include "paging.h"
#include "heap.h"
#include "errno.h"
#include "kstring.h"

#define RUN_FRAMES (LARGE_SIZE / PAGE_SIZE)

/* Back pages [i, i + n) of the slot with one contiguous run, or fail. */
static int back_run(struct memslot *s, u64 i, u64 n)
{
	hpa_t pa;

	if (pmm_alloc(&host_pmm, n, n == RUN_FRAMES ? RUN_FRAMES : 1, 0, &pa))
		return -ENOMEM;
	memset((void *)hpa_to_hva(pa), 0, n * PAGE_SIZE);
	for (u64 k = 0; k < n; k++)
		s->hfns[i + k] = (pa >> PAGE_SHIFT) + k;
	return 0;
}

int memslot_alloc(struct memslot *s, u64 bytes)
{
	u64 npages = bytes / PAGE_SIZE;
	hpa_t map_pa;

	if (pmm_alloc(&host_pmm,
		      DIV_ROUND_UP(npages * sizeof(hfn_t), PAGE_SIZE), 1, 0,
		      &map_pa))
		return -ENOMEM;
	s->hfns = (hfn_t *)hpa_to_hva(map_pa);
	memset(s->hfns, 0, npages * sizeof(hfn_t));
	s->base_gfn = 0;
	s->npages = npages;
	for (u64 i = 0; i < npages;) {
		u64 n = MIN(RUN_FRAMES, npages - i);

		/* Large runs first; a fragmented host still works frame by
		 * frame. */
		if (back_run(s, i, n) == 0) {
			i += n;
			continue;
		}
		if (back_run(s, i, 1)) {
			memslot_free(s);
			return -ENOMEM;
		}
		i++;
	}
	return 0;
}

bool gpa_range_ok(struct partition *p, gpa_t gpa, u64 len)
{
	const struct memslot *s = &p->slots[0];
	u64 end = s->npages * PAGE_SIZE;

	return gpa <= end && len <= end - gpa;
}

void *gpa_to_hva(struct partition *p, gpa_t gpa)
{
	const struct memslot *s = &p->slots[0];
	gfn_t gfn = gpa >> PAGE_SHIFT;

	if (gfn >= s->npages)
		return NULL;
	return (void *)(hpa_to_hva(s->hfns[gfn] << PAGE_SHIFT) +
			(gpa & ~PAGE_MASK));
}

/* Copy page by page: consecutive guest pages need not be consecutive in
 * host memory. */
static int guest_copy(struct partition *p, gpa_t gpa, u8 *buf, u64 len,
		      bool to_guest)
{
	if (!gpa_range_ok(p, gpa, len))
		return -EFAULT;
	while (len) {
		u64 chunk = MIN(len, PAGE_SIZE - (gpa & ~PAGE_MASK));
		u8 *g = gpa_to_hva(p, gpa);

		if (to_guest)
			memcpy(g, buf, chunk);
		else
			memcpy(buf, g, chunk);
		gpa += chunk;
		buf += chunk;
		len -= chunk;
	}
	return 0;
}

int guest_read(struct partition *p, gpa_t gpa, void *dst, u64 len)
{
	return guest_copy(p, gpa, dst, len, false);
}

int guest_write(struct partition *p, gpa_t gpa, const void *src, u64 len)
{
	int ret;

	if (!gpa_range_ok(p, gpa, len))
		return -EFAULT;
	/* Logged before it is made, so that no GET can miss it. */
	guest_mark_written(p, gpa, len);
	ret = guest_copy(p, gpa, (u8 *)src, len, true);
	/* A page Shade wrote may be one of the guest's page tables: its
	 * shadows go, after the write, so that none is rebuilt from the
	 * old contents. */
	if (!ret)
		mmu_guest_write_hook(p, gpa, len);
	return ret;
}

void guest_mark_written(struct partition *p, gpa_t gpa, u64 len)
{
	if (!len)
		return;
	for (gfn_t g = gpa >> PAGE_SHIFT; g <= (gpa + len - 1) >> PAGE_SHIFT;
	     g++)
		dirtylog_mark(p, g);
}

void memslot_free(struct memslot *s)
{
	for (u64 i = 0; i < s->npages; i++) {
		if (s->hfns[i])
			pmm_free(&host_pmm, s->hfns[i] << PAGE_SHIFT, 1);
	}
	pmm_free(&host_pmm, hva_to_hpa((hva_t)s->hfns),
		 DIV_ROUND_UP(s->npages * sizeof(hfn_t), PAGE_SIZE));
	s->hfns = NULL;
	s->npages = 0;
}
