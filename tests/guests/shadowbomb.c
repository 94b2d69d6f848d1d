// SPDX-License-Identifier: MIT
/*
 * shadowbomb: a guest that would make a shadow MMU without a bound eat
 * unbounded memory (tests/integration/shadow-shadowbomb.sh, which boots
 * Shade with shadow_mem=512K, i.e. 64 shadow pages of 8 KiB, and this
 * guest with mem=64M). It fills its RAM with page tables: "spaces=N"
 * address spaces (default 24), each with as many distinct page tables
 * as the pool allows (up to 512 per space, "tables=N" in all, default
 * 6000), each table mapping two pages of a small set of data pages. Then,
 * "passes=N" times (default 3), it switches to every space in turn and
 * reads through every table, writing through some, so that every table
 * needs a shadow page again and again, far more than the bound allows.
 *
 * Checks: every read gives the data the mapping says (after Shade has
 * reclaimed and rebuilt the shadow pages many times); every write lands
 * in the right page; HC_STATS (contract section 5) never shows more
 * shadow pages in use than "max_shadow_pages=N" on the command line
 * (the bound the script configured), and its shadow_faults grows in each
 * pass. In 32-bit, PAE and 4-level paging ("modes=" bit mask, default 7).
 */
#include "guest.h"
#include "paging.h"

#define IDENT_MAX (64u << 20)

#define ALL_MODES      ((1u << PG_NR_MODES) - 1)
#define DEFAULT_SPACES 24
#define MAX_SPACES     64
#define DEFAULT_TABLES 6000
#define DEFAULT_PASSES 3
#define MAX_PER_SPACE  512
#define NR_DATA	       64
#define USER_VA	       0x40000000u /* 512 PDEs' worth in every mode */
#define STATS_EVERY    64	   /* tables between HC_STATS samples */
#define MAX_SHOWN      8

#define SIG(i)	  (0x5b000000u | (i))
#define SLOT_WORD 16 /* words below are signatures, slots above */

static enum pg_mode mode;
static const char *mname;
static struct pg_space kernel;
static struct pg_space spaces[MAX_SPACES];
static u32 nspaces, per_space, passes, bound, ntables;
static u32 data[NR_DATA];
static bool shade;

static struct shade_stats stats __aligned(8);
static u64 max_in_use, last_faults;
static u32 over_bound, samples, mismatches;

/* ---- layout ---------------------------------------------------------- */

/* Table t of a space covers the large-page range t; two pages in it. */
static u32 table_va(u32 t)
{
	return USER_VA + t * pg_large_size(mode);
}

static u32 page_va(u32 t, u32 k)
{
	u32 idx = k == 0 ? (t * 7) % 512 : (t * 13 + 5) % 512;

	return table_va(t) + idx * PG_PAGE_SIZE;
}

static u32 data_of(u32 s, u32 t, u32 k)
{
	return (s * 31 + t * 3 + k) % NR_DATA;
}

/* ---- statistics -------------------------------------------------------- */

static void sample(void)
{
	if (!shade)
		return;
	if (hc_stats(PARTITION_SELF, gpa_of(&stats)) != 0) {
		failf("%s: HC_STATS failed", mname);
		shade = false;
		return;
	}
	samples++;
	if (stats.shadow_pages_in_use > max_in_use)
		max_in_use = stats.shadow_pages_in_use;
	if (stats.shadow_pages_in_use > bound && over_bound++ < MAX_SHOWN)
		failf("%s: %llu shadow pages in use, more than the bound %u",
		      mname, stats.shadow_pages_in_use, bound);
}

/* ---- building ---------------------------------------------------------- */

static bool build(void)
{
	u32 s, t, k;

	if (!pg_space_init(&kernel, mode) ||
	    pg_map_identity(&kernel, pg_ident_end(), true) != 0)
		return false;
	for (s = 0; s < nspaces; s++) {
		if (!pg_space_init(&spaces[s], mode) ||
		    pg_share(&spaces[s], &kernel, 0, pg_ident_end()) != 0)
			return false;
		for (t = 0; t < per_space; t++)
			for (k = 0; k < 2; k++)
				if (pg_map(&spaces[s], page_va(t, k),
					   data[data_of(s, t, k)],
					   PG_P | PG_RW) != 0)
					return false;
	}
	return true;
}

/* ---- the passes ---------------------------------------------------------- */

/* Through every table of space s: reads, and a write in every 8th. */
static void touch_space(u32 s, u32 pass)
{
	u32 t, k, want, got, v, slot = SLOT_WORD + s;
	struct pg_fault f;

	for (t = 0; t < per_space; t++) {
		for (k = 0; k < 2; k++) {
			want = SIG(data_of(s, t, k));
			got = pg_read32(page_va(t, k), &f);
			if (f.vector < 0 && got == want)
				continue;
			if (mismatches++ < MAX_SHOWN)
				failf("%s: pass %u space %u table %u: read "
				      "0x%x gave 0x%x (vector %d), expected "
				      "0x%x",
				      mname, pass, s, t, page_va(t, k), got,
				      f.vector, want);
		}
		if (t % 8 == pass % 8) {
			v = s << 24 | t << 8 | pass;
			*(volatile u32 *)(page_va(t, 1) + slot * 4) = v;
			got = *(volatile u32 *)(data[data_of(s, t, 1)] +
						slot * 4);
			if (got != v && mismatches++ < MAX_SHOWN)
				failf("%s: pass %u space %u table %u: wrote "
				      "0x%x, the page holds 0x%x",
				      mname, pass, s, t, v, got);
		}
		if (t % STATS_EVERY == 0)
			sample();
	}
}

static void run_passes(void)
{
	u32 p, s;
	u64 before;

	for (p = 0; p < passes; p++) {
		sample();
		before = stats.shadow_faults;
		for (s = 0; s < nspaces; s++) {
			pg_load(&spaces[(s * 7 + p) % nspaces]);
			touch_space((s * 7 + p) % nspaces, p);
		}
		sample();
		if (shade)
			checkf(stats.shadow_faults > before,
			       "%s: pass %u: shadow_faults grew (%llu -> %llu)",
			       mname, p, before, stats.shadow_faults);
		last_faults = stats.shadow_faults;
	}
}

static void run_mode(enum pg_mode m)
{
	u32 s, free_pages;

	mode = m;
	mname = pg_mode_name(m);
	max_in_use = 0;
	over_bound = samples = mismatches = 0;
	if (!checkf(pg_mode_supported(m), "%s paging offered (CPUID)", mname))
		return;
	/* Each table needs one page; the roots and directories a few. */
	free_pages = pg_pool_free_pages() - nspaces * 4 - 16;
	per_space = ntables / nspaces;
	if (per_space * nspaces > free_pages)
		per_space = free_pages / nspaces;
	if (per_space > MAX_PER_SPACE)
		per_space = MAX_PER_SPACE;
	if (!checkf(build(),
		    "%s: %u address spaces of %u page tables each "
		    "(%u tables)",
		    mname, nspaces, per_space, nspaces * per_space))
		return;
	pg_enable(&kernel);
	run_passes();
	pg_disable();
	checkf(mismatches == 0,
	       "%s: %u passes over every table read and wrote the right data "
	       "(%u wrong)",
	       mname, passes, mismatches);
	if (shade)
		checkf(over_bound == 0 && samples > 0,
		       "%s: shadow pages in use stayed within %u (%u samples, "
		       "at most %llu)",
		       mname, bound, samples, max_in_use);
	for (s = 0; s < nspaces; s++)
		pg_space_destroy(&spaces[s], 0, pg_ident_end());
	pg_space_destroy(&kernel, 0, 0);
}

u32 guest_main(u32 magic, u32 info)
{
	static char cmdline[160];
	enum pg_mode m;
	u32 modes, i;

	if (!pg_guest_init(magic, info, IDENT_MAX, 0, cmdline, sizeof(cmdline)))
		guest_poweroff(report());
	shade = is_shade();
	nspaces = pg_cmdline_u32(cmdline, "spaces", DEFAULT_SPACES);
	ntables = pg_cmdline_u32(cmdline, "tables", DEFAULT_TABLES);
	passes = pg_cmdline_u32(cmdline, "passes", DEFAULT_PASSES);
	bound = pg_cmdline_u32(cmdline, "max_shadow_pages", 0);
	modes = pg_cmdline_u32(cmdline, "modes", ALL_MODES);
	if (nspaces == 0 || nspaces > MAX_SPACES)
		nspaces = DEFAULT_SPACES;
	if (!shade)
		failf("not under Shade: no HC_STATS, only the data is checked");
	else if (!checkf(bound > 0,
			 "the bound is on the command line "
			 "(max_shadow_pages=%u)",
			 bound))
		shade = false;
	for (i = 0; i < NR_DATA; i++) {
		data[i] = pg_alloc();
		*(volatile u32 *)data[i] = SIG(i);
	}
	for (m = PG_MODE_32BIT; m < PG_NR_MODES; m++)
		if (modes & (1u << m))
			run_mode(m);
	guest_poweroff(report());
}
