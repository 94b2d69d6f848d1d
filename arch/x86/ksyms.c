// SPDX-License-Identifier: MIT
/*
 * Address-to-name lookup in the symbol table that tools/gen-ksyms builds
 * from Shade's own ELF symbols (see the two-step link in the Makefile).
 * The table is sorted by address: a binary search finds the last symbol at
 * or below an address.
 *
 * Context: any, including exception and panic paths: reads only
 * constant data.
 */
#include "ksyms.h"

struct ksym {
	u64 addr;
	u64 name_offset; /* into ksyms_names */
};

/* Generated: build/ksyms.S */
extern const u64 ksyms_count;
extern const struct ksym ksyms_table[];
extern const char ksyms_names[];
extern const char __text_end[]; /* linker.ld */

const char *ksym_lookup(u64 addr, u64 *offset)
{
	u64 lo = 0, hi = ksyms_count;

	if (!hi || addr < ksyms_table[0].addr || addr >= (u64)__text_end)
		return NULL;
	/* Invariant: table[lo].addr <= addr, and table[hi].addr > addr or
	 * hi == count. */
	while (hi - lo > 1) {
		u64 mid = lo + (hi - lo) / 2;

		if (ksyms_table[mid].addr <= addr)
			lo = mid;
		else
			hi = mid;
	}
	*offset = addr - ksyms_table[lo].addr;
	return ksyms_names + ksyms_table[lo].name_offset;
}
