/* SPDX-License-Identifier: MIT */
/*
 * What the two partitions of the `make run` demo share (demo-work.c
 * writes memory, demo-ctl.c shows where): the heat map's geometry, guest
 * time from the TSC, and their command-line words. Both run on vCPUs at
 * CPL 0, paging off.
 *
 * The map covers the workload's slot 0 in DEMO_MAP_ROWS rows of
 * DEMO_MAP_COLS cells; cell c holds pages [demo_cell_first(c),
 * demo_cell_first(c + 1)) of the slot. With 64 MiB a row is 8 MiB and a
 * cell 128 KiB, 32 pages. The workload draws its picture scene in these
 * cells, so both sides must agree on them.
 *
 * Time: RDTSC does not exit, and Shade reports the TSC's frequency in
 * CPUID leaf 0x40000010 EAX (kHz, the leaf VMware and KVM use). Both
 * partitions count whole milliseconds of that clock. Shade gives every
 * partition the physical CPUs' TSC as it is, so the two agree on it:
 * the control partition samples at whole seconds of it and the workload
 * changes scenes (and prints) at half seconds, so that their console
 * lines never land inside one another's block of lines.
 */
#ifndef DEMO_COMMON_H
#define DEMO_COMMON_H

#include "guest.h"

#define DEMO_MAP_ROWS  8
#define DEMO_MAP_COLS  64
#define DEMO_MAP_CELLS (DEMO_MAP_ROWS * DEMO_MAP_COLS)

#define DEMO_PAGE_SHIFT 12
#define DEMO_MIB_PAGES	256u /* 4 KiB pages in a MiB */

#define CPUID_HV_BASE	0x40000000
#define CPUID_HV_TIMING 0x40000010 /* EAX: TSC frequency in kHz */

/* First page of map cell `cell` (0..DEMO_MAP_CELLS) in a slot of npages. */
static inline u32 demo_cell_first(u32 cell, u32 npages)
{
	/* cell * npages < 2^32 for slots up to 8 GiB. */
	return cell * npages / DEMO_MAP_CELLS;
}

static inline u64 demo_rdtsc(void)
{
	u32 lo, hi;

	asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((u64)hi << 32) | lo;
}

/* n / d for a 32-bit guest without libgcc: two 64-by-32 divl steps. */
static inline u64 demo_div(u64 n, u32 d)
{
	u32 hi = (u32)(n >> 32), lo = (u32)n, qhi = hi / d, rem = hi % d, qlo;

	/* rem < d, so (rem:lo) / d fits in 32 bits. */
	asm("divl %4" : "=a"(qlo), "=d"(rem) : "a"(lo), "d"(rem), "rm"(d));
	return ((u64)qhi << 32) | qlo;
}

/* The TSC frequency Shade reports, in kHz; 0 if there is no such leaf. */
static inline u32 demo_tsc_khz(void)
{
	if (!is_shade() || cpuid(CPUID_HV_BASE, 0).eax < CPUID_HV_TIMING)
		return 0;
	return cpuid(CPUID_HV_TIMING, 0).eax;
}

/* Milliseconds of TSC time (since the TSC started counting). */
static inline u64 demo_now_ms(u32 khz)
{
	return demo_div(demo_rdtsc(), khz);
}

/* Spin until TSC time reaches ms. */
static inline void demo_wait_until_ms(u32 khz, u64 ms)
{
	u64 deadline = ms * khz;

	while (demo_rdtsc() < deadline)
		cpu_relax();
}

/*
 * The number in the word "key=N" of a command line of blank-separated
 * words, or def if there is none. *bad is set if the word is there but N
 * is not a number.
 */
static inline u32 demo_arg(const char *cmdline, const char *key, u32 def,
			   bool *bad)
{
	size_t klen = strlen(key);
	const char *p = cmdline;
	u32 v;

	while (*p) {
		while (*p == ' ')
			p++;
		if (memcmp(p, key, klen) == 0 && p[klen] == '=') {
			p += klen + 1;
			if (parse_u32(&p, &v) && (*p == ' ' || *p == '\0'))
				return v;
			*bad = true;
			return def;
		}
		while (*p && *p != ' ')
			p++;
	}
	return def;
}

#endif
