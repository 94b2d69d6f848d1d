// SPDX-License-Identifier: MIT
/*
 * ptabuse: hostile page tables, in 32-bit, PAE and 4-level paging
 * (tests/integration/shadow-ptabuse.sh, next to a well-behaved partition:
 * Shade and the neighbour must stay up, and this guest too). Every access
 * is checked against a model of the SDM's page walk (SDM vol. 3A, 4.3 to
 * 4.7) built into the guest, and the notable cases against the exact
 * error code as well. Runs bare on Bochs except for the hypercall part.
 *
 * Fixed by the SDM, and what the model says:
 * - CPL 0, CR0.WP=1, EFER.NXE=0, no SMEP/SMAP/PKE: a write faults if any
 *   level clears R/W; U/S does not matter; XD (bit 63) is a reserved bit.
 * - Reserved bits: 32-bit paging: only in 4 MiB PDEs, bits 21:(M-19) with
 *   M = min(MAXPHYADDR, 40) under PSE-36 (21:13 without), table 4-5. PAE:
 *   bits 62:MAXPHYADDR and 63 in PDEs and PTEs, 20:13 in 2 MiB PDEs
 *   (tables 4-9 to 4-11); PDPTEs are loaded at MOV to CR3 and a present
 *   one with a reserved bit (2:1, 8:5, 63:MAXPHYADDR) makes that MOV
 *   #GP(0) (4.4.1). 4-level: bits 51:MAXPHYADDR and 63 at every level,
 *   PS in a PML4E, 20:13 (29:13) in 2 MiB (1 GiB) pages, PS in a PDPTE
 *   without 1 GiB pages; bits 62:52 are ignored (tables 4-15 to 4-20).
 *   A present entry with a reserved bit gives #PF with P=1 and RSVD=1;
 *   a not-present entry gives P=0 whatever its other bits.
 * - A table beyond the partition's RAM: nothing answers there, and on a
 *   PC such a read returns all ones (open bus). An all-ones entry has P,
 *   R/W and PS set and, in PAE and 4-level paging, reserved bits (63,
 *   and 62:MAXPHYADDR or 51:MAXPHYADDR), so the walk through such a table
 *   ends in #PF with P=1, RSVD=1; a PAE PDPT there makes MOV to CR3
 *   #GP(0). In 32-bit paging an all-ones PTE is a valid 4 KiB page at
 *   0xfffff000, beyond RAM, which this guest must not touch (Shade stops a
 *   partition that accesses memory outside its RAM), so 32-bit paging
 *   walks through no beyond-RAM table here.
 *
 * Parts, in each mode: (1) tables beyond RAM at each level; (2) entries
 * pointing at their own table (a PDE at its PD, a PTE at its page table,
 * a 4-level PDPTE at its PDPT) and writes through those mappings; (3) one
 * reserved bit at a time at each level, present and not present, and the
 * ignored bits that are not reserved; (4) under Shade, HC_PARTITION_INFO
 * writing its output into a live page table: after a CR3 load the
 * translation must follow the new entries; (5) a storm: page directories
 * and tables filled with pseudo-random entries (leaves kept inside a
 * scratch area of RAM) and random reads and writes, "touches=N" per
 * round (default 1500), "rounds=N" (default 3), re-randomized between.
*
 * Past 800 lines: a guest is one file (tests/guests/guests.mk), and the
 * walk model, the per-mode table builders and the storm share its state;
 * each part is a short function of its own.
 */
#include "guest.h"
#include "paging.h"

#define IDENT_MAX    (16u << 20)
#define SCRATCH_SIZE (4u << 20) /* top of the identity map, 4 MiB aligned */

#define ALL_MODES	(((1u << PG_NR_MODES) - 1))
#define DEFAULT_TOUCHES 1500
#define DEFAULT_ROUNDS	3
#define MAX_SHOWN	8 /* FAIL lines per storm */

#define BEYOND_VA  0x80000000u /* part 1, PDE level */
#define BEYOND_VA2 0x40000000u /* part 1, PDPTE level */
#define HC_VA	   0x90000000u /* part 4 */
#define SELF_VA	   0xa0000000u /* part 2 */
#define RSV_VA	   0xb0000000u /* part 3 */
#define STORM_VA   0xc0000000u /* part 5: the top GiB */
#define STORM_SIZE 0x40000000u
#define PML4_1_VA  (1ull << 39)

#define NR_STORM_PTS 8
#define SIG(i)	     (0xab5e0000u | (i))

static enum pg_mode mode;
static const char *mname;
static struct pg_space kernel;
static u32 ram_end, scratch;
static u32 maxphy;
static u32 touches, rounds;
static u32 seed = 0x2545f491;
static u32 data_frame[2];

/* ---- the model of the walk ----------------------------------------- */

/* What an access does: vector -1 and pa, or #PF with error. */
struct outcome {
	int vector;
	u32 error;
	u64 pa;
	u32 nwalked;	 /* entries read, top level first */
	pte_t walked[4]; /* for the FAIL lines */
};

/* Bits hi:lo set (none if hi < lo). */
static u64 bits(u32 hi, u32 lo)
{
	if (hi < lo)
		return 0;
	return (~0ull >> (63 - hi)) & ~((1ull << lo) - 1);
}

/* PSE-36's physical-address width for 4 MiB pages (4.3). */
static u32 pse36_width(void)
{
	if (!pg_has_pse36())
		return 32;
	return maxphy < 40 ? maxphy : 40;
}

static u64 reserved_bits(int level, pte_t e)
{
	bool ps = e & PG_PS;

	switch (mode) {
	case PG_MODE_32BIT:
		return level == PG_LEVEL_PD && ps ? bits(21, pse36_width() - 19)
						  : 0;
	case PG_MODE_PAE:
		return bits(62, maxphy) | PG_XD |
		       (level == PG_LEVEL_PD && ps ? bits(20, 13) : 0);
	case PG_MODE_4LEVEL:
		if (level == PG_LEVEL_PML4)
			return bits(51, maxphy) | PG_XD | PG_PS;
		if (level == PG_LEVEL_PDPT && ps)
			return bits(51, maxphy) | PG_XD |
			       (pg_has_1g_pages() ? bits(29, 13) : PG_PS);
		return bits(51, maxphy) | PG_XD |
		       (level == PG_LEVEL_PD && ps ? bits(20, 13) : 0);
	}
	return 0;
}

static bool is_leaf(int level, pte_t e)
{
	if (level == PG_LEVEL_PT)
		return true;
	if (mode == PG_MODE_PAE && level == PG_LEVEL_PDPT)
		return false;
	return (level == PG_LEVEL_PD || level == PG_LEVEL_PDPT) && (e & PG_PS);
}

static u64 leaf_pa(int level, pte_t e, u64 va)
{
	u32 shift = level == PG_LEVEL_PT ? 12 : level == PG_LEVEL_PD ? 21 : 30;
	u64 hi;

	if (mode == PG_MODE_32BIT) {
		if (level == PG_LEVEL_PT)
			return (e & 0xfffff000u) | (va & 0xfff);
		hi = pse36_width() > 32
			     ? (e >> 13) & bits(pse36_width() - 33, 0)
			     : 0;
		return (hi << 32) | (e & 0xffc00000u) | (va & 0x3fffff);
	}
	return (e & bits(maxphy - 1, shift)) | (va & bits(shift - 1, 0));
}

static bool model_broken;

/* Guest-physical memory as a walk sees it: open bus beyond RAM. */
static u64 phys_read(u64 pa, u32 size)
{
	volatile u32 *p = (volatile u32 *)(u32)pa;

	if (pa >= ram_end)
		return size == 4 ? 0xffffffffu : ~0ull;
	if (pa + size > pg_ident_end()) {
		if (!model_broken)
			failf("%s: model: a table at 0x%llx, in RAM but not "
			      "identity mapped",
			      mname, pa);
		model_broken = true;
		return 0;
	}
	return size == 4 ? p[0] : (u64)p[1] << 32 | p[0];
}

static struct outcome pf(struct outcome o, u32 error)
{
	o.vector = VECTOR_PF;
	o.error = error;
	return o;
}

static struct outcome model_walk(const struct pg_space *s, u64 va, bool write)
{
	u32 esz = pg_entry_size(mode), w = write ? PF_W : 0;
	u64 table = mode == PG_MODE_PAE ? s->root & ~0x1fu : s->root;
	int level = mode == PG_MODE_32BIT ? 2 : mode == PG_MODE_PAE ? 3 : 4;
	struct outcome o = {-1, 0, 0, 0, {0}};
	bool rw = true;
	pte_t e;

	for (;; level--) {
		e = phys_read(table + pg_index(mode, va, level) * esz, esz);
		o.walked[o.nwalked++] = e;
		if (!(e & PG_P))
			return pf(o, w);
		if (e & reserved_bits(level, e))
			return pf(o, PF_P | PF_RSVD | w);
		if (!(mode == PG_MODE_PAE && level == PG_LEVEL_PDPT))
			rw = rw && (e & PG_RW);
		if (is_leaf(level, e))
			break;
		table = e & (mode == PG_MODE_32BIT ? 0xfffff000u
						   : bits(maxphy - 1, 12));
	}
	if (write && !rw)
		return pf(o, PF_P | PF_W);
	o.pa = leaf_pa(level, e, va);
	return o;
}

/* "#PF error 0x3 (entries 0x..., 0x...)": the outcome and the walk. */
static void outcome_str(const struct outcome *o, char *buf, u32 size)
{
	u32 n, i;

	if (o->vector < 0)
		n = gsnprintf(buf, size, "access to 0x%llx (entries", o->pa);
	else
		n = gsnprintf(buf, size, "#PF error 0x%x (entries", o->error);
	for (i = 0; i < o->nwalked && n < size; i++)
		n += gsnprintf(buf + n, size - n, " 0x%llx", o->walked[i]);
	if (n < size)
		gsnprintf(buf + n, size - n, ")");
}

/*
 * Do the access at va and compare with the model: the fault, or the data
 * at the physical address (read through the identity map). An access the
 * model sends beyond RAM is not made; it counts in *skipped. Returns
 * true if they agree; describes a disagreement in buf.
 */
static bool access_matches(const struct pg_space *s, u64 va, bool write,
			   u32 *skipped, char *buf, u32 size)
{
	struct outcome o = model_walk(s, va, write);
	struct pg_fault f;
	u32 v = pg_rand(&seed), got;
	char ms[112], fs[64];

	if (o.vector < 0 && o.pa + 4 > pg_ident_end()) {
		*skipped += 1;
		return true;
	}
	if (write) {
		pg_write32(va, v, &f);
		got = v;
	} else {
		got = pg_read32(va, &f);
	}
	if (o.vector >= 0 && pg_fault_is(&f, o.vector, o.error, va))
		return true;
	if (o.vector < 0 && f.vector < 0 && got == *(volatile u32 *)(u32)o.pa)
		return true;
	outcome_str(&o, ms, sizeof(ms));
	pg_fault_str(&f, fs, sizeof(fs));
	gsnprintf(buf, size, "%s 0x%llx: %s (value 0x%x), model: %s",
		  write ? "write" : "read", va, fs, got, ms);
	return false;
}

/* One checked access with its own PASS/FAIL line; also the exact fault. */
static void expect_access(const struct pg_space *s, u64 va, bool write,
			  int vector, u32 error, const char *what)
{
	struct outcome o = model_walk(s, va, write);
	u32 skipped = 0;
	char buf[224];
	bool ok = access_matches(s, va, write, &skipped, buf, sizeof(buf));

	if (ok && skipped) {
		gprintf("%s: %s: %s 0x%llx: not made (model: beyond RAM)\n",
			mname, what, write ? "write" : "read", va);
		return;
	}
	if (ok && vector != -2 && (o.vector != vector || o.error != error)) {
		outcome_str(&o, buf, sizeof(buf));
		checkf(false,
		       "%s: %s: model says %s, expected vector %d "
		       "error 0x%x",
		       mname, what, buf, vector, error);
		return;
	}
	if (ok)
		checkf(true, "%s: %s (%s)", mname, what,
		       o.vector < 0 ? "no fault" : "#PF as the model says");
	else
		checkf(false, "%s: %s: %s", mname, what, buf);
}

#define ANY -2 /* expect_access: whatever the model says */

/* ---- spaces --------------------------------------------------------- */

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

static u32 esz(void)
{
	return pg_entry_size(mode);
}

static pte_t table_flags(int level)
{
	return mode == PG_MODE_PAE && level == PG_LEVEL_PDPT
		       ? PG_P
		       : PG_P | PG_RW | PG_US;
}

/* ---- 1: tables beyond RAM ------------------------------------------ */

static void beyond_at(const struct pg_space *s, u64 pa, u32 k)
{
	u64 va = BEYOND_VA + k * 2 * pg_large_size(mode) + 0x3458;
	u32 ea = pg_entry_make(s, va, PG_LEVEL_PD);
	char what[96];

	pg_set(mode, ea, pa | table_flags(PG_LEVEL_PD));
	pg_flush();
	gsnprintf(what, sizeof(what), "page table at 0x%llx, beyond RAM: read",
		  pa);
	expect_access(s, va, false, VECTOR_PF, PF_P | PF_RSVD, what);
	gsnprintf(what, sizeof(what),
		  "page table at 0x%llx, beyond RAM: "
		  "write",
		  pa);
	expect_access(s, va, true, VECTOR_PF, PF_P | PF_RSVD | PF_W, what);
	pg_set(mode, ea, 0);

	va = BEYOND_VA2 + 0x5008;
	ea = pg_entry_make(s, va, PG_LEVEL_PDPT);
	pg_set(mode, ea, pa | table_flags(PG_LEVEL_PDPT));
	pg_flush(); /* PAE: PDPTEs load with CR3 */
	gsnprintf(what, sizeof(what), "page directory at 0x%llx, beyond RAM",
		  pa);
	expect_access(s, va, false, VECTOR_PF, PF_P | PF_RSVD, what);
	pg_set(mode, ea, 0);

	if (mode == PG_MODE_4LEVEL) {
		ea = s->root + 8;
		pg_set(mode, ea, pa | table_flags(PG_LEVEL_PML4));
		pg_flush();
		gsnprintf(what, sizeof(what), "PDPT at 0x%llx, beyond RAM", pa);
		expect_access(s, PML4_1_VA + 0x1000, true, VECTOR_PF,
			      PF_P | PF_RSVD | PF_W, what);
		pg_set(mode, ea, 0);
	}
	pg_flush();
}

static void beyond_ram(const struct pg_space *s)
{
	u64 beyond[3] = {ram_end, ram_end + (64u << 20), 1ull << 32};
	u32 k, n = maxphy > 32 ? 3 : 2;
	struct pg_fault f;

	if (mode == PG_MODE_32BIT) {
		gprintf("32-bit: no walk through a table beyond RAM: its "
			"all-ones PTEs map 0xfffff000, outside RAM\n");
		return;
	}
	for (k = 0; k < n; k++)
		beyond_at(s, beyond[k], k);
	if (mode == PG_MODE_PAE) {
		pg_try_load_cr3(ram_end, &f);
		checkf(pg_fault_is(&f, VECTOR_GP, 0, 0) &&
			       pg_read_cr3() == s->root,
		       "%s: MOV to CR3 with the PDPT beyond RAM: #GP(0), CR3 "
		       "unchanged",
		       mname);
		pg_load(s);
	}
}

/*
 * ---- 2: entries pointing at their own table ------------------------
 *
 * An entry that removes the mapping it is written through is written with
 * one locked exchange: with two 4-byte MOVs the second may fault, since
 * the first already took the mapping away and the processor may or may
 * not still hold it in its TLB (SDM 3A 4.10.4.3).
 */

static void self_pde(const struct pg_space *s)
{
	u32 ea = pg_entry_make(s, SELF_VA, PG_LEVEL_PD), i, k, pt;
	u32 pd = ea & (u32)PG_PAGE_MASK, idx = pg_index(mode, SELF_VA, 2);
	u64 self = SELF_VA + (u64)idx * PG_PAGE_SIZE; /* PD as a page */
	u32 pd_base = mode == PG_MODE_32BIT ? 0 : SELF_VA & 0xc0000000u;

	pg_set(mode, ea, pd | PG_P | PG_RW | PG_US);
	pg_flush();
	expect_access(s, self + idx * esz(), false, -1, 0,
		      "PDE pointing at its own PD: read it through itself");
	for (i = 0; i < 8; i++)
		expect_access(s, SELF_VA + i * PG_PAGE_SIZE + 8 * i, false, ANY,
			      0,
			      "PDE at its own PD: the PD's entries "
			      "as PTEs");
	/* A page table put in by a write through the self mapping. */
	pt = pg_alloc();
	pg_set(mode, pt + 3 * esz(), data_frame[0] | PG_P | PG_RW);
	k = idx + 1;
	pg_set(mode, (u32)self + k * esz(), pt | PG_P | PG_RW | PG_US);
	pg_flush();
	expect_access(s,
		      pd_base + (u64)k * pg_large_size(mode) + 3 * PG_PAGE_SIZE,
		      false, -1, 0, "PDE written through its PD's self map");
	pg_xchg(mode, (u32)self + idx * esz(), 0);
	pg_flush();
	expect_access(s, self, false, VECTOR_PF, 0,
		      "the self PDE cleared through itself: not present");
	pg_set(mode, pd + k * esz(), 0);
	pg_free(pt);
}

static void self_pte(const struct pg_space *s)
{
	u64 y = SELF_VA + 4 * pg_large_size(mode), yk, y7;
	u32 ea, pt, k = 5;

	pg_map(s, y, data_frame[0], PG_P | PG_RW);
	ea = pg_entry_addr(s, y, PG_LEVEL_PT);
	pt = ea & (u32)PG_PAGE_MASK;
	yk = y + k * PG_PAGE_SIZE;
	y7 = y + 7 * PG_PAGE_SIZE;
	pg_set(mode, pt + k * esz(), pt | PG_P | PG_RW);
	pg_invlpg(yk);
	expect_access(s, yk + k * esz(), false, -1, 0,
		      "PTE mapping its own page table: read it");
	pg_set(mode, (u32)yk + k * esz(), pt | PG_P);
	pg_invlpg(yk);
	expect_access(s, yk + 16, true, VECTOR_PF, PF_P | PF_W,
		      "... made read-only through itself: writes fault");
	pg_set(mode, pt + k * esz(), pt | PG_P | PG_RW);
	pg_invlpg(yk);
	pg_set(mode, (u32)yk + 7 * esz(), data_frame[1] | PG_P | PG_RW);
	pg_invlpg(y7);
	expect_access(s, y7, false, -1, 0,
		      "another PTE written through the self-mapped table");
	pg_xchg(mode, (u32)yk + k * esz(), 0);
	pg_invlpg(yk);
	expect_access(s, yk, false, VECTOR_PF, 0,
		      "the self PTE cleared through itself: not present");
}

/* 4-level: PDPT[3] -> the PDPT: the top GiB sees it as a directory. */
static void self_pdpte(const struct pg_space *s)
{
	u32 ea = pg_entry_make(s, 0xc0000000u, PG_LEVEL_PDPT);
	u32 pdpt = ea & (u32)PG_PAGE_MASK, j;
	u64 self_page = 0xc0000000u + 3ull * (2u << 20) + 3 * PG_PAGE_SIZE;

	pg_set(mode, ea, pdpt | PG_P | PG_RW | PG_US);
	pg_flush();
	for (j = 0; j < 4; j++)
		expect_access(s, 0xc0000000u + j * PG_PAGE_SIZE + 0x40, false,
			      ANY, 0,
			      "PDPTE at its own PDPT: the identity "
			      "PDEs as PTEs");
	expect_access(s, self_page + 3 * 8, false, -1, 0,
		      "PDPTE at its own PDPT: reads itself");
	pg_xchg(mode, (u32)self_page + 3 * 8, 0);
	pg_flush();
	expect_access(s, self_page, false, VECTOR_PF, 0,
		      "the self PDPTE cleared through itself: not present");
}

/* ---- 3: reserved bits ------------------------------------------------ */

/* One entry changed for a moment: the outcome of a read and a write. */
static void with_entry(const struct pg_space *s, u32 ea, pte_t v, u64 va,
		       u32 want_read, const char *what)
{
	pte_t old = pg_get(mode, ea);
	char w[96];

	pg_set(mode, ea, v);
	pg_flush();
	gsnprintf(w, sizeof(w), "%s: read", what);
	expect_access(s, va, false, want_read == ~0u ? -1 : VECTOR_PF,
		      want_read == ~0u ? 0 : want_read, w);
	gsnprintf(w, sizeof(w), "%s: write", what);
	expect_access(s, va, true, want_read == ~0u ? -1 : VECTOR_PF,
		      want_read == ~0u ? 0 : want_read | PF_W, w);
	pg_set(mode, ea, old);
	pg_flush();
}

#define NO_FAULT ~0u

static void reserved_32bit(const struct pg_space *s, u32 pde, u64 lva)
{
	pte_t big = pg_get(mode, pde);

	with_entry(s, pde, big | (1u << 21), lva, PF_P | PF_RSVD,
		   "4 MiB PDE with bit 21 set (reserved)");
	with_entry(s, pde, (big | (1u << 21)) & ~PG_P, lva, 0,
		   "... and not present: P=0, no RSVD");
	with_entry(s, pde, big | (7u << 9), lva, NO_FAULT,
		   "4 MiB PDE with bits 11:9 set (ignored)");
}

static void reserved_pae_4level(const struct pg_space *s, u32 pde, u32 pte,
				u64 va, u32 lpde, u64 lva)
{
	pte_t e = pg_get(mode, pte), d = pg_get(mode, pde);
	pte_t l = pg_get(mode, lpde), m = maxphy < 52 ? 1ull << maxphy : 0;
	bool pae = mode == PG_MODE_PAE;

	if (m) {
		with_entry(s, pte, e | m, va, PF_P | PF_RSVD,
			   "PTE with bit MAXPHYADDR set (reserved)");
		with_entry(s, pde, d | m, va, PF_P | PF_RSVD,
			   "PDE with bit MAXPHYADDR set (reserved)");
		with_entry(s, pte, (e | m) & ~PG_P, va, 0,
			   "... not-present PTE with it: P=0, no RSVD");
	}
	with_entry(s, pte, e | PG_XD, va, PF_P | PF_RSVD,
		   "PTE with XD set, EFER.NXE=0 (reserved)");
	with_entry(s, pde, d | PG_XD, va, PF_P | PF_RSVD,
		   "PDE with XD set, EFER.NXE=0 (reserved)");
	with_entry(s, lpde, l | (1u << 13), lva, PF_P | PF_RSVD,
		   "2 MiB PDE with bit 13 set (reserved)");
	with_entry(s, pte, e | (1ull << 52), va,
		   pae && maxphy <= 52 ? PF_P | PF_RSVD : NO_FAULT,
		   pae ? "PTE with bit 52 set (reserved in PAE)"
		       : "PTE with bit 52 set (ignored in 4-level)");
	with_entry(s, pte, e | (1ull << 62), va,
		   pae ? PF_P | PF_RSVD : NO_FAULT,
		   pae ? "PTE with bit 62 set (reserved in PAE)"
		       : "PTE with bit 62 set (ignored in 4-level)");
	with_entry(s, pte, e | (7u << 9), va, NO_FAULT,
		   "PTE with bits 11:9 set (ignored)");
}

/* Under PML4[1], so that the identity map stays usable meanwhile. */
static void reserved_4level(const struct pg_space *s)
{
	u64 va = PML4_1_VA + 0x2010;
	u32 pml4e, pdpte;
	pte_t a, b;

	pg_map(s, va, data_frame[1], PG_P | PG_RW);
	pml4e = pg_entry_addr(s, va, PG_LEVEL_PML4);
	pdpte = pg_entry_addr(s, va, PG_LEVEL_PDPT);
	a = pg_get(mode, pml4e);
	b = pg_get(mode, pdpte);
	pg_flush();
	expect_access(s, va, true, -1, 0, "a page under PML4[1]");

	with_entry(s, pml4e, a | PG_PS, va, PF_P | PF_RSVD,
		   "PML4E with PS set (reserved)");
	with_entry(s, pdpte, b | PG_PS, va, PF_P | PF_RSVD,
		   pg_has_1g_pages() ? "PDPTE as a 1 GiB page, bits 29:13 "
				       "not 0 (reserved)"
				     : "PDPTE with PS set, no 1 GiB pages "
				       "(reserved)");
	if (maxphy < 52) {
		with_entry(s, pml4e, a | 1ull << maxphy, va, PF_P | PF_RSVD,
			   "PML4E with bit MAXPHYADDR set (reserved)");
		with_entry(s, pdpte, b | 1ull << maxphy, va, PF_P | PF_RSVD,
			   "PDPTE with bit MAXPHYADDR set (reserved)");
	}
}

/* PAE: PDPTEs with reserved bits make MOV to CR3 #GP(0). */
static void reserved_pdpte(const struct pg_space *s)
{
	u32 ea = pg_entry_addr(s, RSV_VA, PG_LEVEL_PDPT);
	pte_t e = pg_get(mode, ea);
	pte_t bad[3] = {e | PG_RW, e | (1u << 5), e | PG_XD};
	const char *what[3] = {"R/W", "bit 5", "bit 63"};
	struct pg_fault f;
	u32 i;

	for (i = 0; i < 3; i++) {
		pg_set(mode, ea, bad[i]);
		pg_try_load_cr3(s->root, &f);
		checkf(pg_fault_is(&f, VECTOR_GP, 0, 0),
		       "%s: PDPTE with %s set: MOV to CR3 gives #GP(0)", mname,
		       what[i]);
		pg_set(mode, ea, e);
	}
	pg_load(s);
	expect_access(s, RSV_VA + 0x2010, false, -1, 0,
		      "PDPTE restored: it maps");
}

static void reserved(const struct pg_space *s)
{
	u64 va = RSV_VA + 0x2010, lva = RSV_VA + 8 * pg_large_size(mode);
	u32 pte, pde, lpde;

	pg_map(s, va, data_frame[0], PG_P | PG_RW);
	pg_map_large(s, lva, scratch, PG_P | PG_RW);
	lva += 0x1234 & ~3u;
	pg_flush();
	pte = pg_entry_addr(s, va, PG_LEVEL_PT);
	pde = pg_entry_addr(s, va, PG_LEVEL_PD);
	lpde = pg_entry_addr(s, lva, PG_LEVEL_PD);
	expect_access(s, va, true, -1, 0, "a plain 4 KiB page");
	expect_access(s, lva, true, -1, 0, "a plain large page");
	if (mode == PG_MODE_32BIT) {
		reserved_32bit(s, lpde, lva);
		return;
	}
	reserved_pae_4level(s, pde, pte, va, lpde, lva);
	if (mode == PG_MODE_4LEVEL)
		reserved_4level(s);
	else
		reserved_pdpte(s);
}

/* ---- 4: Shade writes into a live page table --------------------------- */

static void hypercall_into_table(const struct pg_space *s)
{
	u32 n = 64 / esz(), i, t, skipped = 0, bad = 0, changed = 0;
	struct partition_info *pi;
	char buf[224];
	i32 r;

	for (i = 0; i < n; i++)
		pg_map(s, HC_VA + i * PG_PAGE_SIZE, data_frame[0],
		       PG_P | PG_RW);
	t = pg_entry_addr(s, HC_VA, PG_LEVEL_PT) & (u32)PG_PAGE_MASK;
	pg_flush();
	for (i = 0; i < n; i++)
		bad += !pg_reads(HC_VA + i * PG_PAGE_SIZE, SIG(0));
	checkf(bad == 0, "%s: %u pages through one table, before", mname, n);

	r = hc_partition_info(PARTITION_SELF, t);
	pi = (struct partition_info *)t;
	check_eq(r, 0,
		 mode == PG_MODE_32BIT ? "32-bit: HC_PARTITION_INFO "
					 "into a live page table"
		 : mode == PG_MODE_PAE ? "PAE: HC_PARTITION_INFO into a "
					 "live page table"
				       : "4-level: HC_PARTITION_INFO "
					 "into a live page table");
	checkf(r == 0 && memcmp(pi->name, "ptabuse", 8) == 0,
	       "%s: the table holds the partition's name now", mname);
	pg_flush();
	for (i = 0, bad = 0; i < n; i++) {
		struct outcome o = model_walk(s, HC_VA + i * PG_PAGE_SIZE, 0);

		changed += o.vector >= 0 || o.pa != data_frame[0];
		if (!access_matches(s, HC_VA + i * PG_PAGE_SIZE + 0x10, false,
				    &skipped, buf, sizeof(buf)))
			bad += !checkf(false,
				       "%s: entry %u after the "
				       "hypercall: %s",
				       mname, i, buf);
	}
	checkf(bad == 0 && changed >= 4,
	       "%s: after a CR3 load the translation follows the "
	       "hypervisor-written entries (%u changed, %u beyond RAM not "
	       "touched)",
	       mname, changed, skipped);
	for (i = 0; i < n; i++)
		pg_set(mode, t + i * esz(), 0);
	pg_flush();
}

/* ---- 5: the storm ---------------------------------------------------- */

static u32 storm_pts[NR_STORM_PTS];

/* Now and then one reserved (or, in 4-level, ignored) high bit. */
static pte_t random_high_bit(void)
{
	u32 r = pg_rand(&seed);

	if (mode == PG_MODE_32BIT || r % 8 != 0)
		return 0;
	r >>= 3;
	if (r % 4 == 0)
		return PG_XD;
	return 1ull << (maxphy + (r >> 2) % (63 - maxphy));
}

static pte_t random_pte(void)
{
	u32 r = pg_rand(&seed);
	pte_t e = scratch + (r % (SCRATCH_SIZE / PG_PAGE_SIZE)) * PG_PAGE_SIZE;

	e |= pg_rand(&seed) & 0xfff;
	if (pg_rand(&seed) % 8)
		e |= PG_P;
	return e | random_high_bit();
}

static pte_t random_pde(void)
{
	u32 r = pg_rand(&seed), f = pg_rand(&seed) & 0xfff & ~(u32)PG_PS;
	u32 large = pg_large_size(mode);
	pte_t e;

	if (r % 3 == 0) {
		e = scratch + (r >> 2) % (SCRATCH_SIZE / large) * large;
		e |= f | PG_PS;
		if (mode == PG_MODE_32BIT && (r >> 8) % 6 == 0)
			e |= 1u << 21;
		else if (mode != PG_MODE_32BIT && (r >> 8) % 6 == 0)
			e |= 1u << (13 + (r >> 12) % 8);
	} else {
		e = storm_pts[(r >> 2) % NR_STORM_PTS] | f;
	}
	if (r % 5 != 0)
		e |= PG_P;
	return e | random_high_bit();
}

static u32 storm_pd(const struct pg_space *s)
{
	return pg_entry_make(s, STORM_VA, PG_LEVEL_PD) & (u32)PG_PAGE_MASK;
}

static u32 storm_pdes(void)
{
	return mode == PG_MODE_32BIT ? 256 : 512;
}

static void storm_fill(const struct pg_space *s)
{
	u32 pd = storm_pd(s), i, j, first = pg_index(mode, STORM_VA, 2);

	for (j = 0; j < NR_STORM_PTS; j++)
		for (i = 0; i < pg_nr_entries(mode); i++)
			pg_set(mode, storm_pts[j] + i * esz(), random_pte());
	for (i = 0; i < storm_pdes(); i++)
		pg_set(mode, pd + (first + i) * esz(), random_pde());
}

/* Change a few entries of a live storm, as a kernel would, then flush. */
static void storm_stir(const struct pg_space *s)
{
	u32 pd = storm_pd(s), i, first = pg_index(mode, STORM_VA, 2);
	u32 n = pg_nr_entries(mode);

	for (i = 0; i < 24; i++) {
		u32 r = pg_rand(&seed);

		if (i % 3 == 0)
			pg_xchg(mode, pd + (first + r % storm_pdes()) * esz(),
				random_pde());
		else
			pg_set(mode,
			       storm_pts[r % NR_STORM_PTS] +
				       (r >> 8) % n * esz(),
			       random_pte());
	}
	pg_flush();
}

static void storm(const struct pg_space *s)
{
	u32 r, i, bad = 0, skipped = 0, faults = 0, rsvd = 0, pd;
	u32 first = pg_index(mode, STORM_VA, PG_LEVEL_PD);
	struct outcome o;
	char buf[224];
	u64 va;
	bool w;

	for (i = 0; i < NR_STORM_PTS; i++)
		storm_pts[i] = pg_alloc();
	pd = storm_pd(s);
	storm_fill(s);
	pg_flush();
	for (r = 0; r < rounds; r++) {
		for (i = 0; i < touches; i++) {
			va = STORM_VA + (pg_rand(&seed) % STORM_SIZE & ~3u);
			w = pg_rand(&seed) & 1;
			o = model_walk(s, va, w);

			faults += o.vector >= 0;
			rsvd += o.vector >= 0 && (o.error & PF_RSVD);
			if (access_matches(s, va, w, &skipped, buf,
					   sizeof(buf)))
				continue;
			if (bad++ < MAX_SHOWN)
				failf("%s: storm round %u: %s", mname, r, buf);
		}
		storm_stir(s);
	}
	checkf(bad == 0 && skipped == 0,
	       "%s: storm: %u rounds of %u random accesses through random "
	       "tables agree with the model (%u faults, %u of them "
	       "reserved-bit; %u wrong, %u beyond RAM)",
	       mname, rounds, touches, faults, rsvd, bad, skipped);
	/* The PDEs share the tables: clear them rather than free. */
	for (i = 0; i < storm_pdes(); i++)
		pg_set(mode, pd + (first + i) * esz(), 0);
	pg_flush();
	for (i = 0; i < NR_STORM_PTS; i++)
		pg_free(storm_pts[i]);
}

/*
 * The end of guest-physical memory: the highest end of a memory-map entry
 * that is not "reserved", below 4 GiB. Under Shade that is the end of
 * RAM; bare on Bochs it includes the ACPI tables the BIOS puts above the
 * RAM the boot information calls available.
 */
static u32 memory_top(u32 magic, u32 info)
{
	static struct boot_info bi;
	u64 top = 0, end;
	u32 i;

	if (!bootinfo_parse(magic, info, &bi))
		return 0;
	for (i = 0; i < bi.nmmap; i++) {
		end = bi.mmap[i].base + bi.mmap[i].len;
		if (bi.mmap[i].type != MMAP_RESERVED && end > top &&
		    end <= 1ull << 32)
			top = end;
	}
	return (u32)top;
}

/* ---- main -------------------------------------------------------------- */

static void run_mode(enum pg_mode m)
{
	struct pg_space s;
	u32 i;

	mode = m;
	mname = pg_mode_name(m);
	if (!checkf(pg_mode_supported(m), "%s paging offered (CPUID)", mname))
		return;
	if (!check(pg_space_init(&kernel, m) &&
			   pg_map_identity(&kernel, pg_ident_end(), true) == 0,
		   "identity map built") ||
	    !new_space(&s))
		return;
	for (i = 0; i < 2; i++) {
		data_frame[i] = pg_alloc();
		*(volatile u32 *)data_frame[i] = SIG(i);
	}
	pg_enable(&s);
	beyond_ram(&s);
	self_pde(&s);
	self_pte(&s);
	if (m == PG_MODE_4LEVEL)
		self_pdpte(&s);
	reserved(&s);
	if (is_shade())
		hypercall_into_table(&s);
	storm(&s);
	pg_disable();
	drop_space(&s);
	pg_space_destroy(&kernel, 0, 0);
	pg_free(data_frame[0]);
	pg_free(data_frame[1]);
}

u32 guest_main(u32 magic, u32 info)
{
	static char cmdline[128];
	enum pg_mode m;
	u32 modes;

	if (!pg_guest_init(magic, info, IDENT_MAX, SCRATCH_SIZE, cmdline,
			   sizeof(cmdline)))
		return report();
	ram_end = memory_top(magic, info);
	scratch = pg_ident_end() - SCRATCH_SIZE;
	maxphy = pg_maxphyaddr();
	touches = pg_cmdline_u32(cmdline, "touches", DEFAULT_TOUCHES);
	rounds = pg_cmdline_u32(cmdline, "rounds", DEFAULT_ROUNDS);
	modes = pg_cmdline_u32(cmdline, "modes", ALL_MODES);
	gprintf("RAM ends at 0x%x, MAXPHYADDR %u, PSE-36 %s, 1 GiB pages "
		"%s\n",
		ram_end, maxphy, pg_has_pse36() ? "yes" : "no",
		pg_has_1g_pages() ? "yes" : "no");
	if (!is_shade())
		failf("not under Shade: the hypercall part is left out");
	for (m = PG_MODE_32BIT; m < PG_NR_MODES; m++)
		if (modes & (1u << m))
			run_mode(m);
	guest_poweroff(report());
}
