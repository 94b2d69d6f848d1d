/* SPDX-License-Identifier: MIT */
/*
 * Helpers shared by the dirty-logging guests (dirtylog*.c): the dirty
 * bitmap as HC_DIRTY_LOG_GET writes it (contract section 5), read as
 * 32-bit words (bit i of little-endian 64-bit word i / 64 is bit i % 32
 * of 32-bit word i / 32), full fences, the command line's numbers, a
 * small pseudo-random generator, and the protocol of the control test.
 * Any vCPU, CPL 0, paging on or off.
 */
#ifndef GUEST_DLOG_H
#define GUEST_DLOG_H

#include "types.h"
#include "hypercall.h"

#define DLOG_PAGE_SIZE	4096u
#define DLOG_PAGE_SHIFT 12

/* The bytes a bitmap for npages must have: 8 * ceil(npages / 64). */
static inline u32 dlog_bitmap_bytes(u32 npages)
{
	return 8 * ((npages + 63) / 64);
}

static inline bool dlog_bit(const volatile u32 *bm, u32 i)
{
	return (bm[i / 32] >> (i % 32)) & 1;
}

/* Bits set among the first nbits of bm. */
u32 dlog_popcount(const volatile u32 *bm, u32 nbits);

/*
 * A full fence: a locked add to the stack. Every earlier store is
 * globally visible before any later load or store (SDM 3A 9.2.2), without
 * MFENCE, which the guests (built -mno-sse) do not assume.
 */
static inline void dlog_fence(void)
{
	asm volatile("lock; addl $0, (%%esp)" : : : "memory", "cc");
}

/* The time stamp counter (which Shade lets the guest read directly). */
static inline u64 dlog_rdtsc(void)
{
	u32 lo, hi;

	asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (u64)hi << 32 | lo;
}

/* The page frame of a pointer (paging off, or identity mapped). */
static inline u32 dlog_gfn(const volatile void *p)
{
	return (u32)(uintptr_t)p >> DLOG_PAGE_SHIFT;
}

/* The number after "key=" among the words of cmdline, or def. */
u32 dlog_arg(const char *cmdline, const char *key, u32 def);

/* The word after "key=" into buf (size bytes, NUL-terminated; "" if the
 * key is absent); returns buf. */
char *dlog_arg_str(const char *cmdline, const char *key, char *buf, u32 size);

/* xorshift32; *state must not be 0. */
u32 dlog_rand(u32 *state);

/* HC_STATS(id) into *st; false with a FAIL line if it fails. */
bool dlog_stats(u32 id, struct shade_stats *st);

/*
 * Spin until *p == want (acquire order) for at most rounds rounds of a
 * few instructions: a count, not time, so that a lost vCPU fails the test
 * instead of hanging it. Returns whether it got there.
 */
bool dlog_wait_eq(const volatile u32 *p, u32 want, u32 rounds);

/*
 * The control test's protocol (dirtylog-ctl.c logs dirtylog-work.c).
 * Partitions share no memory, so the workload speaks through its dirty
 * log and the controller through the workload's HC_STATS:
 *
 *   work: in phase k it writes the pattern's pages of its test area, then
 *         (after a fence) signal page k, which nothing else ever writes;
 *         then it waits until its dirty_get_calls has grown by
 *         DLOG_CTL_SETTLE_GETS since, and goes on with phase k + 1;
 *   ctl:  GETs until one reports signal page k; one more GET, which
 *         began after every write of phase k was complete (the signal's
 *         write-protect fault came after them), so that these GETs
 *         together must report every page of phase k; then
 *         DLOG_CTL_IDLE_GETS GETs, which run while the workload idles.
 *
 * The GET that first reports signal k is at most the second to end
 * after the workload read its count, so DLOG_CTL_SETTLE_GETS covers it,
 * the one after it and the idle ones.
 */
#define DLOG_CTL_AREA	     0x400000u /* the workload's test area */
#define DLOG_CTL_PAGES	     512u
#define DLOG_CTL_SIGNAL	     0x700000u /* signal page k at + k pages */
#define DLOG_CTL_MAX_PHASES  64u
#define DLOG_CTL_IDLE_GETS   2u
#define DLOG_CTL_SETTLE_GETS (3u + DLOG_CTL_IDLE_GETS)

/* Does the workload write test page `page` in phase k (k >= 1)? About
 * four pages in five, a different set each phase. */
static inline bool dlog_ctl_writes(u32 k, u32 page)
{
	return (page * 7 + k * 3) % 5 != 0;
}

#endif
