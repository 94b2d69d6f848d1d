/* SPDX-License-Identifier: MIT */
/*
 * A small heap for Shade's own variable-sized objects: a first-fit free list
 * with coalescing, 16-byte aligned blocks, growing in whole frames taken
 * from a callback (the frame allocator inside Shade). Each block carries a
 * header with a magic value so that a bad or double kfree() is caught.
 *
 * Context: any CPU; heap->lock protects the free list. Not for use from
 * interrupt handlers.
 */
#ifndef SHADE_HEAP_H
#define SHADE_HEAP_H

#include "types.h"
#include "spinlock.h"

/* Returns 0 and a new region of at least `bytes` bytes (*len set), or
 * -ENOMEM. */
typedef int (*heap_grow_fn)(u64 bytes, void **base, u64 *len);

struct heap_block; /* private to mm/heap.c */

struct heap {
	spinlock_t lock;	 /* protects free and the counters */
	struct heap_block *free; /* free blocks, sorted by address */
	heap_grow_fn grow;
	u64 bytes_total; /* all memory the heap owns */
	u64 bytes_used;	 /* handed out, headers included */
};

void heap_init(struct heap *h, heap_grow_fn grow);
/* NULL when the heap cannot grow; size 0 gives a valid unique pointer. */
void *heap_alloc(struct heap *h, size_t size);
/* NULL is ignored; a pointer that is not a live block panics. */
void heap_free(struct heap *h, void *ptr);

/*
 * Walks the free list and checks it: sorted, fully merged, magics intact,
 * and free bytes + bytes_used == bytes_total. Returns the number of free
 * blocks, or -EINVAL. Takes h->lock; meant for self-tests and unit tests.
 */
s64 heap_check(struct heap *h);

/* Shade's heap (mm/mm.c). kzalloc() zeroes. */
void *kmalloc(size_t size);
void *kzalloc(size_t size);
void kfree(void *ptr);

#endif
