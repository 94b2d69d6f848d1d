// SPDX-License-Identifier: MIT
/*
 * ptalias: aliasing in guest page tables, the cases a shadow MMU's
 * reverse maps and write protection have to get right, in 32-bit, PAE
 * and 4-level paging (tests/integration/shadow-ptalias.sh). Uses no
 * hypercall, so it also runs bare on Bochs, the reference.
 *
 * In each mode, each part in address spaces of its own that share the
 * identity map of low memory (large pages):
 *
 * 1. One page at many linear addresses ("aliases=N" on the command line,
 *    default 2000, through several page tables): a write through any
 *    alias is seen through all; then some aliases made read-only, some
 *    unmapped, some moved to another page, and back, with the faults
 *    each must give.
 * 2. One page table under three PDEs of one space and one PDE of a
 *    second space; a PTE change seen through all four after INVLPG or a
 *    CR3 load. PAE/4-level: one page directory under two PDPTEs; 4-level:
 *    one PDPT under two PML4Es (PML4[1] then aliases the low 512 GiB).
 * 3. A page table and a page directory that are also mapped writable as
 *    data: entries written through those mappings (MOV, XCHG, CMPXCHG8B)
 *    change the translation after INVLPG.
 * 4. A recursive mapping: PD[1023] -> the PD (32-bit), PD[511] of the
 *    top PD -> itself (PAE), PML4[511] -> the PML4 (4-level). Entries of
 *    every level read and written through the window, and the root's own
 *    self entry written through itself: made read-only (the window must
 *    then fault on writes), restored, and finally removed.
*
 * Past 800 lines: a guest is one file (tests/guests/guests.mk), and its
 * five parts share the address-space helpers; each part is a short
 * function of its own.
 */
#include "guest.h"
#include "paging.h"

#define ALL_MODES	((1u << PG_NR_MODES) - 1)
#define DEFAULT_ALIASES 2000
#define MAX_ALIASES	16384
#define IDENT_MAX	(32u << 20)

#define ALIAS_VA 0x40000000u /* part 1 */
#define TABLE_VA 0x50000000u /* part 2 */
#define DATA_VA	 0x60000000u /* part 3 */
#define REC_VA	 0xc0400000u /* part 4: inside PAE's top PD */
#define LARGE_VA 0x70000000u /* part 2: one large page, two PDEs */

/* A large page of RAM that only part 2 uses, at the top of the map. */
#define LARGE_RESERVE (4u << 20)

/* 4-level: PML4[1] covers [512 GiB, 1 TiB). */
#define PML4_1_VA (1ull << 39)

#define NR_FRAMES 8
#define SIG(i)	  (0x51600000u | (i))
#define SIG_OFF	  0x800u /* a second signature word in each frame */

/* Entry bits the processor may set behind our back. */
#define AD_BITS (PG_A | PG_D)

static enum pg_mode mode;
static const char *mname;
static struct pg_space kernel;
static u32 frames[NR_FRAMES];
static u32 nr_aliases;
static u32 large_frame;
static volatile u32 probe_var = 0x7a7a0001;

static u32 esz(void)
{
	return pg_entry_size(mode);
}

static u32 large(void)
{
	return pg_large_size(mode);
}

/* ---- checks -------------------------------------------------------- */

static bool read_is(u64 va, u32 want, const char *what)
{
	return pg_check_read(mname, va, want, what);
}

static bool faults(u64 va, bool write, u32 error, const char *what)
{
	return pg_check_fault(mname, va, write, error, what);
}

/* An entry, less the accessed and dirty flags, is want. */
static bool entry_is(pte_t got, pte_t want, const char *what)
{
	return checkf((got & ~AD_BITS) == want,
		      "%s: %s (0x%llx, expected 0x%llx)", mname, what, got,
		      want);
}

/* ---- spaces and frames --------------------------------------------- */

static bool new_space(struct pg_space *s)
{
	return check(pg_space_init(s, mode) &&
			     pg_share(s, &kernel, 0, pg_ident_end()) == 0,
		     "new address space");
}

static void drop_space(struct pg_space *s)
{
	pg_space_destroy(s, 0, pg_ident_end());
}

static u32 frame(u32 i)
{
	return frames[i % NR_FRAMES];
}

static void make_frames(void)
{
	u32 i;

	for (i = 0; i < NR_FRAMES; i++) {
		frames[i] = pg_alloc();
		*(volatile u32 *)frames[i] = SIG(i);
		*(volatile u32 *)(frames[i] + SIG_OFF) = ~SIG(i);
	}
}

static void map(const struct pg_space *s, u64 va, u32 pa, u64 flags)
{
	if (pg_map(s, va, pa, flags) != 0)
		failf("%s: pg_map(0x%llx) ran out of pages", mname, va);
}

/* Install table as the level entry for va (P, RW, US; PDPTE: P). */
static u32 install(const struct pg_space *s, u64 va, int level, u32 table)
{
	u32 ea = pg_entry_make(s, va, level);
	pte_t flags = PG_P | PG_RW | PG_US;

	if (mode == PG_MODE_PAE && level == PG_LEVEL_PDPT)
		flags = PG_P;
	if (ea)
		pg_set(mode, ea, table | flags);
	else
		failf("%s: no room for an entry at 0x%llx", mname, va);
	return ea;
}

/* ---- 1: one page, many aliases ------------------------------------- */

static u32 alias_va(u32 i)
{
	return ALIAS_VA + i * PG_PAGE_SIZE;
}

/* Every alias reads want at off; p's own frame too. */
static u32 alias_mismatches(u32 p, u32 off, u32 want)
{
	u32 i, bad = 0;

	for (i = 0; i < nr_aliases; i++)
		bad += !pg_reads(alias_va(i) + off, want);
	return bad + (*(volatile u32 *)(p + off) != want);
}

/* Aliases i % 7 == 0 move to q, % 5 unmapped, % 3 read-only. */
enum alias_kind { ALIAS_RW, ALIAS_RO, ALIAS_GONE, ALIAS_MOVED };

static enum alias_kind alias_kind(u32 i)
{
	return i % 7 == 0   ? ALIAS_MOVED
	       : i % 5 == 0 ? ALIAS_GONE
	       : i % 3 == 0 ? ALIAS_RO
			    : ALIAS_RW;
}

static void alias_rewrite(const struct pg_space *s, u32 p, u32 q)
{
	static const pte_t flags[] = {PG_P | PG_RW, PG_P, 0, PG_P | PG_RW};
	u32 i;
	enum alias_kind k;

	for (i = 0; i < nr_aliases; i++) {
		k = alias_kind(i);
		pg_set(mode, pg_entry_addr(s, alias_va(i), PG_LEVEL_PT),
		       k == ALIAS_GONE ? 0
				       : (k == ALIAS_MOVED ? q : p) | flags[k]);
	}
}

static u32 alias_mixed_mismatches(u32 pv, u32 qv, u32 off)
{
	u32 i, bad = 0;
	u64 va;

	for (i = 0; i < nr_aliases; i++) {
		va = alias_va(i) + off;
		switch (alias_kind(i)) {
		case ALIAS_MOVED:
			bad += !pg_reads(va, qv);
			break;
		case ALIAS_GONE:
			bad += !pg_faults(va, false, 0) +
			       !pg_faults(va, true, PF_W);
			break;
		case ALIAS_RO:
			bad += !pg_reads(va, pv) +
			       !pg_faults(va, true, PF_P | PF_W);
			break;
		case ALIAS_RW:
			bad += !pg_reads(va, pv);
			break;
		}
	}
	return bad;
}

static void many_aliases(void)
{
	struct pg_space s;
	u32 p = pg_alloc(), q = pg_alloc(), i, r, j, off, bad = 0;

	if (!new_space(&s))
		return;
	for (i = 0; i < nr_aliases; i++)
		map(&s, alias_va(i), p, PG_P | PG_RW);
	pg_load(&s);
	for (r = 0; r < 8; r++) {
		j = (r * 997 + 1) % nr_aliases;
		off = (r * 268) & 0xffc;
		*(volatile u32 *)(alias_va(j) + off) = 0xa1a50000 | r;
		bad += alias_mismatches(p, off, 0xa1a50000 | r);
	}
	checkf(bad == 0,
	       "%s: %u aliases of one page see each of 8 writes "
	       "(%u mismatches)",
	       mname, nr_aliases, bad);

	*(volatile u32 *)(q + 0x40) = 0x0e0e0e0e;
	*(volatile u32 *)(p + 0x40) = 0x0a0a0a0a;
	alias_rewrite(&s, p, q);
	pg_flush();
	bad = alias_mixed_mismatches(0x0a0a0a0a, 0x0e0e0e0e, 0x40);
	*(volatile u32 *)(alias_va(1) + 0x40) = 0x0b0b0b0b;
	bad += alias_mixed_mismatches(0x0b0b0b0b, 0x0e0e0e0e, 0x40);
	checkf(bad == 0,
	       "%s: aliases made read-only, unmapped, moved to "
	       "another page: right data and faults (%u wrong)",
	       mname, bad);

	for (i = 0; i < nr_aliases; i++) {
		pg_set(mode, pg_entry_addr(&s, alias_va(i), PG_LEVEL_PT),
		       p | PG_P | PG_RW);
		pg_invlpg(alias_va(i));
	}
	*(volatile u32 *)(alias_va(nr_aliases - 1) + 0x44) = 0x0c0c0c0c;
	bad = alias_mismatches(p, 0x44, 0x0c0c0c0c) +
	      alias_mismatches(p, 0x40, 0x0b0b0b0b);
	checkf(bad == 0,
	       "%s: all aliases back on one page after INVLPG each "
	       "(%u mismatches)",
	       mname, bad);

	pg_load(&kernel);
	drop_space(&s);
	pg_free(p);
	pg_free(q);
}

/* ---- 2: one page table (directory, PDPT) under several entries ----- */

static u32 fill_table(void)
{
	u32 t = pg_alloc(), i;

	for (i = 0; i < NR_FRAMES; i++)
		pg_set(mode, t + i * esz(), frame(i) | PG_P | PG_RW);
	return t;
}

static void shared_tables(void)
{
	struct pg_space s1, s2;
	u64 r[4] = {TABLE_VA, TABLE_VA + 3 * large(), TABLE_VA + 32 * large(),
		    TABLE_VA + 5 * large()};
	u32 t, i, k, bad = 0, ea[4];

	if (!new_space(&s1) || !new_space(&s2))
		return;
	t = fill_table();
	for (k = 0; k < 3; k++)
		ea[k] = install(&s1, r[k], PG_LEVEL_PD, t);
	ea[3] = install(&s2, r[3], PG_LEVEL_PD, t);
	pg_load(&s1);
	for (k = 0; k < 3; k++)
		for (i = 0; i < NR_FRAMES; i++)
			bad += !pg_reads(r[k] + i * PG_PAGE_SIZE, SIG(i));
	checkf(bad == 0,
	       "%s: one page table under three PDEs maps the "
	       "same pages (%u wrong)",
	       mname, bad);

	pg_set(mode, t + 3 * esz(), frame(5) | PG_P | PG_RW);
	for (k = 0; k < 3; k++)
		pg_invlpg(r[k] + 3 * PG_PAGE_SIZE);
	for (k = 0, bad = 0; k < 3; k++)
		bad += !pg_reads(r[k] + 3 * PG_PAGE_SIZE, SIG(5));
	checkf(bad == 0, "%s: a PTE change seen under all three PDEs", mname);
	pg_load(&s2);
	read_is(r[3] + 3 * PG_PAGE_SIZE, SIG(5),
		"the same table in a second space: the changed PTE");
	read_is(r[3] + 6 * PG_PAGE_SIZE, SIG(6),
		"the same table in a second space: an unchanged PTE");
	pg_set(mode, t + 4 * esz(), 0);
	pg_invlpg(r[3] + 4 * PG_PAGE_SIZE);
	faults(r[3] + 4 * PG_PAGE_SIZE, false, 0,
	       "PTE cleared while in the second space: not present there");
	pg_load(&s1);
	for (k = 0, bad = 0; k < 3; k++)
		bad += !pg_faults(r[k] + 4 * PG_PAGE_SIZE, false, 0);
	checkf(bad == 0, "%s: ... and in the first space after CR3 load",
	       mname);
	pg_set(mode, t + 5 * esz(), frame(5) | PG_P);
	for (k = 0; k < 3; k++)
		pg_invlpg(r[k] + 5 * PG_PAGE_SIZE);
	for (k = 0, bad = 0; k < 3; k++)
		bad += !pg_faults(r[k] + 5 * PG_PAGE_SIZE, true, PF_P | PF_W) +
		       !pg_reads(r[k] + 5 * PG_PAGE_SIZE, SIG(5));
	checkf(bad == 0,
	       "%s: a PTE made read-only: writes fault under all "
	       "three PDEs",
	       mname);

	if (mode != PG_MODE_32BIT) {
		/* The directory holding r[0]'s PDE, also under PDPTE 2. */
		u32 pd = (u32)(pg_get(mode,
				      pg_entry_addr(&s1, r[0], PG_LEVEL_PDPT)) &
			       PG_PAGE_MASK);
		u64 va = r[0] - ALIAS_VA + 0x80000000u;
		u32 pdpte = install(&s1, va, PG_LEVEL_PDPT, pd);

		pg_flush(); /* PAE: PDPTEs are loaded with CR3 (4.4.1) */
		read_is(va + 1 * PG_PAGE_SIZE, SIG(1),
			"one page directory under two PDPTEs");
		read_is(va + 3 * PG_PAGE_SIZE, SIG(5),
			"... with the changed PTE");
		pg_set(mode, pdpte, 0);
		pg_flush();
	}
	if (mode == PG_MODE_4LEVEL) {
		u32 pml4e1 = s1.root + 8;

		pg_set(mode, pml4e1, pg_get(mode, s1.root) & ~AD_BITS);
		read_is(PML4_1_VA + r[1] + 2 * PG_PAGE_SIZE, SIG(2),
			"one PDPT under PML4[0] and PML4[1]: a mapped page");
		read_is(PML4_1_VA + (u32)&probe_var, probe_var,
			"... and the identity map through PML4[1]");
		pg_write32(PML4_1_VA + (u32)&probe_var, 0x7a7a0002,
			   &(struct pg_fault){0});
		check_eq(
			probe_var, 0x7a7a0002,
			"4-level: a write through PML4[1] lands in low memory");
		pg_set(mode, pml4e1, 0);
		pg_flush();
		faults(PML4_1_VA + (u32)&probe_var, false, 0,
		       "PML4[1] removed: not present");
	}

	pg_load(&kernel);
	pg_set(mode, ea[1], 0);
	pg_set(mode, ea[2], 0);
	pg_set(mode, ea[3], 0);
	drop_space(&s1);
	drop_space(&s2);
}

/*
 * The directory written many times in a row (a shadow MMU may then stop
 * tracking it, "write flooding"), the read-only PDE among the writes made
 * writable, used, and read-only again, then a CR3 load: it must not keep
 * any writable translation.
 */
static void large_flood(const struct pg_space *s, u32 rw, u32 ro, u32 pde)
{
	u32 i, other = pg_entry_make(s, rw + 8 * large(), PG_LEVEL_PD);

	pg_set(mode, pde, large_frame | PG_P | PG_RW | PG_D | PG_PS);
	pg_flush();
	*(volatile u32 *)(ro + 0x5000) = 0x5a5a5a5a;
	for (i = 0; i < 8; i++)
		pg_set(mode, other + i * esz(),
		       large_frame | PG_P | PG_RW | PG_PS);
	pg_set(mode, pde, large_frame | PG_P | PG_D | PG_PS);
	for (i = 0; i < 8; i++)
		pg_set(mode, other + i * esz(), 0);
	pg_flush();
	read_is(ro + 0x5000, 0x5a5a5a5a,
		"directory rewritten many times: the large page reads");
	faults(ro + 0x5000, true, PF_P | PF_W,
	       "... and its PDE, made read-only among those writes, "
	       "faults on a write after a CR3 load");
	(void)rw;
}

/*
 * The writable PDE clean (D=0) and first only read through, then written
 * through (the processor sets its D flag): the read-only PDE beside it,
 * clean or dirty, still faults on writes.
 */
static void large_clean(const struct pg_space *s, u32 rw, u32 ro, u32 pde)
{
	u32 rw_pde = pg_entry_addr(s, rw, PG_LEVEL_PD), i;
	pte_t ro_d[2] = {0, PG_D};

	for (i = 0; i < 2; i++) {
		pg_set(mode, rw_pde, large_frame | PG_P | PG_RW | PG_PS);
		pg_set(mode, pde, large_frame | PG_P | PG_PS | ro_d[i]);
		pg_flush();
		read_is(ro + 0x9000 + i * 4,
			*(volatile u32 *)(rw + 0x9000 + i * 4),
			"clean writable PDE read, then ...");
		*(volatile u32 *)(rw + 0x9000 + i * 4) = 0x9a9a0000 + i;
		checkf(pg_get(mode, rw_pde) & PG_D,
		       "%s: ... written: the processor set its D flag", mname);
		faults(ro + 0x9000 + i * 4, true, PF_P | PF_W,
		       i ? "... a dirty read-only PDE to the same page still "
			   "faults on writes"
			 : "... a clean read-only PDE to the same page still "
			   "faults on writes");
	}
}

/*
 * One large page under two PDEs of one space, one PDE writable and one
 * read-only: the rights are the PDE's own, so writes through the
 * read-only one fault whatever was written through the other.
 */
static void large_aliases(void)
{
	struct pg_space s;
	u32 rw = LARGE_VA, ro = LARGE_VA + 2 * large(), pde;

	if (!new_space(&s))
		return;
	pg_map_large(&s, rw, large_frame, PG_P | PG_RW);
	pg_map_large(&s, ro, large_frame, PG_P);
	pde = pg_entry_addr(&s, ro, PG_LEVEL_PD);
	pg_load(&s);
	*(volatile u32 *)(rw + 0x1000) = 0x1a1a1a1a;
	read_is(ro + 0x1000, 0x1a1a1a1a,
		"one large page under a writable and a read-only PDE");
	faults(ro + 0x1000, true, PF_P | PF_W,
	       "... a write through the read-only PDE faults, after one "
	       "through the writable PDE");
	faults(ro + 0x3000, true, PF_P | PF_W,
	       "... a write through the read-only PDE faults, first");
	*(volatile u32 *)(rw + 0x3000) = 0x3a3a3a3a;
	faults(ro + 0x3000, true, PF_P | PF_W,
	       "... and still after a write through the writable PDE");
	pg_set(mode, pde, large_frame | PG_P | PG_RW | PG_PS);
	pg_invlpg(ro + 0x3000);
	*(volatile u32 *)(ro + 0x3000) = 0x3b3b3b3b;
	read_is(rw + 0x3000, 0x3b3b3b3b,
		"the read-only PDE made writable: the write lands");
	pg_set(mode, pde, large_frame | PG_P | PG_PS);
	pg_invlpg(ro + 0x3000);
	faults(ro + 0x3000, true, PF_P | PF_W,
	       "... and read-only again: writes fault again");
	large_flood(&s, rw, ro, pde);
	large_clean(&s, rw, ro, pde);
	pg_load(&kernel);
	drop_space(&s);
}

/* ---- 3: tables that are also data ---------------------------------- */

static void table_as_data(void)
{
	struct pg_space s;
	u64 w = DATA_VA + 16 * large(), wpd = w + PG_PAGE_SIZE;
	u64 r2 = DATA_VA + large();
	u32 t, pd, j, pdi;
	pte_t old;
	struct pg_fault f;

	if (!new_space(&s))
		return;
	map(&s, DATA_VA, frame(0), PG_P | PG_RW);
	t = pg_entry_addr(&s, DATA_VA, PG_LEVEL_PT) & (u32)PG_PAGE_MASK;
	pd = pg_entry_addr(&s, DATA_VA, PG_LEVEL_PD) & (u32)PG_PAGE_MASK;
	map(&s, w, t, PG_P | PG_RW);
	map(&s, wpd, pd, PG_P | PG_RW);
	pg_load(&s);
	read_is(DATA_VA, SIG(0), "a page through a table that is also data");

	for (j = 1; j <= 3; j++) {
		pg_set(mode, (u32)w + j * esz(), frame(j) | PG_P | PG_RW);
		pg_invlpg(DATA_VA + j * PG_PAGE_SIZE);
	}
	for (j = 1; j <= 3; j++)
		read_is(DATA_VA + j * PG_PAGE_SIZE, SIG(j),
			"PTE written with MOV through the table's data "
			"mapping");
	old = pg_xchg(mode, (u32)w + 1 * esz(), frame(4) | PG_P | PG_RW);
	pg_invlpg(DATA_VA + 1 * PG_PAGE_SIZE);
	entry_is(old, frame(1) | PG_P | PG_RW,
		 mode == PG_MODE_32BIT
			 ? "XCHG through the data mapping returns the old PTE"
			 : "CMPXCHG8B through the data mapping returns the "
			   "old PTE");
	read_is(DATA_VA + 1 * PG_PAGE_SIZE, SIG(4),
		"PTE written with a locked exchange through the data mapping");
	if (mode == PG_MODE_32BIT)
		pg_write32(w + 2 * esz(), frame(5) | PG_P | PG_RW, &f);
	else
		pg_write64(w + 2 * esz(), frame(5) | PG_P | PG_RW, &f);
	pg_invlpg(DATA_VA + 2 * PG_PAGE_SIZE);
	read_is(DATA_VA + 2 * PG_PAGE_SIZE, SIG(5),
		"PTE written by a probe through the data mapping");
	pg_set(mode, (u32)w + 3 * esz(), 0);
	pg_invlpg(DATA_VA + 3 * PG_PAGE_SIZE);
	faults(DATA_VA + 3 * PG_PAGE_SIZE, false, 0,
	       "PTE cleared through the data mapping: not present");
	pg_set(mode, (u32)w, frame(0) | PG_P);
	pg_invlpg(DATA_VA);
	faults(DATA_VA, true, PF_P | PF_W,
	       "PTE made read-only through the data mapping: write faults");
	pg_set(mode, t + 6 * esz(), frame(6) | PG_P | PG_RW);
	pg_invlpg(DATA_VA + 6 * PG_PAGE_SIZE);
	read_is(DATA_VA + 6 * PG_PAGE_SIZE, SIG(6),
		"PTE written through the identity map");
	entry_is(pg_get(mode, (u32)w + 6 * esz()), frame(6) | PG_P | PG_RW,
		 "the data mapping reads that PTE");

	/* The directory as data: a second PDE to the same table. */
	pdi = pg_index(mode, r2, PG_LEVEL_PD);
	pg_set(mode, (u32)wpd + pdi * esz(), t | PG_P | PG_RW | PG_US);
	pg_flush();
	read_is(r2 + 6 * PG_PAGE_SIZE, SIG(6),
		"PDE written through the directory's data mapping");
	faults(r2, true, PF_P | PF_W, "... and the read-only PTE under it");
	pg_set(mode, (u32)wpd + pdi * esz(), 0);
	pg_invlpg(r2 + 6 * PG_PAGE_SIZE);
	faults(r2 + 6 * PG_PAGE_SIZE, false, 0,
	       "PDE cleared through the data mapping: not present");

	pg_load(&kernel);
	drop_space(&s);
}

/* ---- 4: a recursive mapping ---------------------------------------- */

/* Sign-extend a 48-bit linear address (SDM 3A 3.3.7.1). */
static u64 canonical(u64 va)
{
	return (va & (1ull << 47)) ? va | 0xffff000000000000ull : va;
}

/*
 * Where va's entry at level appears through the recursive window. The
 * self entry's index is the last one in the table it sits in.
 */
static u64 window(u64 va, int level)
{
	u32 i;
	u64 w;

	switch (mode) {
	case PG_MODE_32BIT:
		return level == PG_LEVEL_PT ? 0xffc00000u + (va >> 12) * 4
					    : 0xfffff000u + (va >> 22) * 4;
	case PG_MODE_PAE: /* only for va in the top GiB */
		return level == PG_LEVEL_PT
			       ? 0xffe00000u + ((va >> 12) & 0x3ffff) * 8
			       : 0xfffff000u + ((va >> 21) & 0x1ff) * 8;
	case PG_MODE_4LEVEL:
		w = 0;
		for (i = 0; i < (u32)level; i++)
			w |= 511ull << (39 - 9 * i);
		w |= ((va & 0xffffffffffffull) >> (12 + 9 * (level - 1))) * 8;
		return canonical(w);
	}
	return 0;
}

static u64 self_entry_va(void)
{
	switch (mode) {
	case PG_MODE_32BIT:
		return 0xfffffffcu; /* PD[1023] */
	case PG_MODE_PAE:
		return 0xfffffff8u; /* PD[511] of the top PD */
	default:
		return 0xfffffffffffffff8ull; /* PML4[511] */
	}
}

static u64 read_entry(u64 va, struct pg_fault *f)
{
	return mode == PG_MODE_32BIT ? pg_read32(va, f) : pg_read64(va, f);
}

static bool write_entry(u64 va, pte_t v, struct pg_fault *f)
{
	return mode == PG_MODE_32BIT ? pg_write32(va, (u32)v, f)
				     : pg_write64(va, v, f);
}

/* The entry read through the window equals the one in the table. */
static void window_reads(const struct pg_space *s, u64 va, int level,
			 const char *what)
{
	struct pg_fault f;
	u64 wva = window(va, level);
	pte_t got = read_entry(wva, &f);
	u32 ea = pg_entry_addr(s, va, level);
	pte_t want = ea ? pg_get(mode, ea) : ~0ull;
	char fs[64];

	pg_fault_str(&f, fs, sizeof(fs));
	checkf(f.vector < 0 && (got & ~AD_BITS) == (want & ~AD_BITS),
	       "%s: %s through the window at 0x%llx (got 0x%llx, %s; "
	       "table has 0x%llx)",
	       mname, what, wva, got, fs, want);
}

/* Install the self entry; returns its physical address. */
static u32 make_recursive(const struct pg_space *s, u32 *table)
{
	u32 ea;

	switch (mode) {
	case PG_MODE_32BIT:
		*table = s->root;
		ea = s->root + 1023 * 4;
		break;
	case PG_MODE_PAE:
		ea = pg_entry_make(s, REC_VA, PG_LEVEL_PD);
		*table = ea & (u32)PG_PAGE_MASK;
		ea = *table + 511 * 8;
		break;
	default:
		*table = s->root;
		ea = s->root + 511 * 8;
		break;
	}
	pg_set(mode, ea, *table | PG_P | PG_RW);
	return ea;
}

static void window_writes(const struct pg_space *s)
{
	u64 tv2 = REC_VA + PG_PAGE_SIZE, tv3 = REC_VA + large();
	u32 t2 = fill_table();
	struct pg_fault f;

	write_entry(window(tv2, PG_LEVEL_PT), frame(1) | PG_P | PG_RW, &f);
	pg_invlpg(tv2);
	read_is(tv2, SIG(1), "PTE written through the window");
	entry_is(pg_get(mode, pg_entry_addr(s, tv2, PG_LEVEL_PT)),
		 frame(1) | PG_P | PG_RW, "... and it is in the table");
	write_entry(window(tv2, PG_LEVEL_PT), 0, &f);
	pg_invlpg(tv2);
	faults(tv2, false, 0, "PTE cleared through the window");

	write_entry(window(tv3, PG_LEVEL_PD), t2 | PG_P | PG_RW | PG_US, &f);
	pg_invlpg(tv3);
	pg_invlpg(window(tv3, PG_LEVEL_PT));
	read_is(tv3 + 2 * PG_PAGE_SIZE, SIG(2),
		"PDE written through the window");
	window_reads(s, tv3 + 2 * PG_PAGE_SIZE, PG_LEVEL_PT,
		     "the new table's PTE");
	write_entry(window(tv3, PG_LEVEL_PD), 0, &f);
	pg_invlpg(tv3 + 2 * PG_PAGE_SIZE);
	pg_invlpg(window(tv3, PG_LEVEL_PT));
	faults(tv3 + 2 * PG_PAGE_SIZE, false, 0,
	       "PDE cleared through the window");
	pg_free(t2);
}

/* 4-level: a PDPTE, and the PML4 written through its own window. */
static void window_writes_4level(const struct pg_space *s)
{
	u64 va = 0x80000000u, pml4e1 = window(PML4_1_VA, PG_LEVEL_PML4);
	u32 pd = pg_alloc(), t2 = fill_table();
	struct pg_fault f;

	pg_set(mode, pd, t2 | PG_P | PG_RW | PG_US);
	write_entry(window(va, PG_LEVEL_PDPT), pd | PG_P | PG_RW | PG_US, &f);
	pg_invlpg(va + 3 * PG_PAGE_SIZE);
	read_is(va + 3 * PG_PAGE_SIZE, SIG(3),
		"PDPTE written through the window");
	write_entry(window(va, PG_LEVEL_PDPT), 0, &f);
	pg_invlpg(va + 3 * PG_PAGE_SIZE);
	faults(va + 3 * PG_PAGE_SIZE, false, 0,
	       "PDPTE cleared through the window");

	write_entry(pml4e1, pg_get(mode, s->root) & ~AD_BITS, &f);
	pg_invlpg(PML4_1_VA + (u32)&probe_var);
	read_is(PML4_1_VA + (u32)&probe_var, probe_var,
		"PML4[1] written through the PML4's own window");
	write_entry(pml4e1, 0, &f);
	pg_invlpg(PML4_1_VA + (u32)&probe_var);
	faults(PML4_1_VA + (u32)&probe_var, false, 0,
	       "PML4[1] cleared through the window");
	pg_free(pd);
	pg_free(t2);
}

/* The self entry written through itself: read-only, back, removed. */
static void self_entry(const struct pg_space *s, u32 self_pa, u32 table)
{
	u64 self = self_entry_va(), pte_w = window(REC_VA, PG_LEVEL_PT);
	struct pg_fault f;
	char fs[64];

	write_entry(self, table | PG_P, &f);
	pg_fault_str(&f, fs, sizeof(fs));
	checkf(f.vector < 0,
	       "%s: self entry made read-only through itself "
	       "(%s)",
	       mname, fs);
	pg_flush();
	entry_is(pg_get(mode, self_pa), table | PG_P,
		 "the self entry is read-only in the table");
	window_reads(s, REC_VA, PG_LEVEL_PT, "PTE still readable");
	faults(pte_w, true, PF_P | PF_W,
	       "writes through the read-only window fault (a PTE)");
	faults(self, true, PF_P | PF_W,
	       "writes through the read-only window fault (the self entry)");

	pg_set(mode, self_pa, table | PG_P | PG_RW);
	pg_flush();
	write_entry(window(REC_VA, PG_LEVEL_PT), frame(3) | PG_P | PG_RW, &f);
	pg_invlpg(REC_VA);
	read_is(REC_VA, SIG(3), "self entry writable again: PTE written");

	write_entry(self, 0, &f);
	pg_fault_str(&f, fs, sizeof(fs));
	checkf(f.vector < 0, "%s: self entry removed through itself (%s)",
	       mname, fs);
	pg_flush();
	checkf(pg_get(mode, self_pa) == 0, "%s: the self entry is gone", mname);
	faults(pte_w, false, 0, "the window is gone");
	read_is(REC_VA, SIG(3), "the mapping itself stays");
}

static void recursive(void)
{
	struct pg_space s;
	u32 self_pa, table;
	int l;

	if (!new_space(&s))
		return;
	map(&s, REC_VA, frame(0), PG_P | PG_RW);
	self_pa = make_recursive(&s, &table);
	pg_load(&s);
	read_is(REC_VA, SIG(0), "recursive space: an ordinary mapping");
	for (l = PG_LEVEL_PT; l <= (mode == PG_MODE_4LEVEL ? 4 : 2); l++)
		window_reads(&s, REC_VA, l, "an entry read");
	if (mode != PG_MODE_PAE) /* PAE's window covers the top GiB only */
		window_reads(&s, (u32)&probe_var, PG_LEVEL_PD,
			     "an identity-map PDE read");
	window_writes(&s);
	if (mode == PG_MODE_4LEVEL)
		window_writes_4level(&s);
	self_entry(&s, self_pa, table);
	pg_load(&kernel);
	drop_space(&s);
}

static void run_mode(enum pg_mode m)
{
	u32 before = pg_pool_free_pages(), i;

	mode = m;
	mname = pg_mode_name(m);
	if (!checkf(pg_mode_supported(m), "%s paging offered (CPUID)", mname))
		return;
	if (!check(pg_space_init(&kernel, m) &&
			   pg_map_identity(&kernel, pg_ident_end(), true) == 0,
		   "identity map built"))
		return;
	make_frames();
	gprintf("%s paging: %u aliases\n", mname, nr_aliases);
	pg_enable(&kernel);
	many_aliases();
	shared_tables();
	large_aliases();
	table_as_data();
	recursive();
	pg_disable();
	pg_space_destroy(&kernel, 0, 0);
	for (i = 0; i < NR_FRAMES; i++)
		pg_free(frames[i]);
	checkf(pg_pool_free_pages() == before,
	       "%s: every page back in the pool (%u of %u)", mname,
	       pg_pool_free_pages(), before);
}

u32 guest_main(u32 magic, u32 info)
{
	static char cmdline[128];
	enum pg_mode m;
	u32 modes;

	if (!pg_guest_init(magic, info, IDENT_MAX, LARGE_RESERVE, cmdline,
			   sizeof(cmdline)))
		return report();
	large_frame = pg_ident_end() - LARGE_RESERVE;
	nr_aliases = pg_cmdline_u32(cmdline, "aliases", DEFAULT_ALIASES);
	if (nr_aliases < 8 || nr_aliases > MAX_ALIASES)
		nr_aliases = DEFAULT_ALIASES;
	modes = pg_cmdline_u32(cmdline, "modes", ALL_MODES);
	for (m = PG_MODE_32BIT; m < PG_NR_MODES; m++)
		if (modes & (1u << m))
			run_mode(m);
	guest_poweroff(report());
}
