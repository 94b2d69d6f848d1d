// SPDX-License-Identifier: MIT
/*
 * Unit tests for the guest page-table walker (vmm/gpt.c), built on the
 * host under ASan and UBSan, over a fake guest RAM reached through the
 * walker's callbacks.
 *
 * The heart is a permission matrix: for every paging mode and page size,
 * every combination of U/S, R/W (and XD, where entries have it) at every
 * level, with CR0.WP, CR4.SMEP, CR4.SMAP, RFLAGS.AC and EFER.NXE on and
 * off, for reads, writes and fetches by user, supervisor and implicit
 * supervisor accesses. Each result is checked against an oracle written
 * from the SDM's prose (Vol. 3A 4.6, 4.7, 4.8) as a list of violations,
 * not as the walker's sequence of checks. Targeted tests cover reserved
 * bits at every level, not-present entries, PSE-36, 1 GiB pages, the
 * accessed and dirty flags, restarts, tables outside guest RAM, the
 * addresses of the entries visited and bad arguments.
 *
 * Links: tests/unit/test_gpt.c vmm/gpt.c tests/unit/host_shim.c.
 *
 * Past 800 lines because the oracle, the table builders and the matrix
 * share one fake memory; splitting them would mean a test-only header for
 * a single test.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "types.h"
#include "errno.h"
#include "x86.h"
#include "gpt.h"

/* --- a fake guest: RAM and the two callbacks --------------------------- */

#define RAM_SIZE (64 * KiB)
#define MAX_LOG	 16

static u8 ram[RAM_SIZE];

struct ad_write {
	gpa_t gpa;
	u64 old, new;
	u32 size;
};

static struct {
	u32 reads;
	u32 nwrites;
	struct ad_write log[MAX_LOG];
	u32 changes;		   /* set_ad first runs meddle this often */
	void (*meddle)(gpa_t gpa); /* "another CPU" writes the entry */
	bool ad_outside;	   /* set_ad answers -EFAULT */
} fake;

static void reset_fake(void)
{
	memset(&fake, 0, sizeof(fake));
}

static u64 ram_get(gpa_t gpa, u32 size)
{
	u64 v = 0;

	memcpy(&v, &ram[gpa], size);
	return v;
}

static void ram_put(gpa_t gpa, u64 v, u32 size)
{
	memcpy(&ram[gpa], &v, size);
}

static bool in_ram(gpa_t gpa, u32 size)
{
	return gpa < RAM_SIZE && RAM_SIZE - gpa >= size;
}

static int fake_read(void *opaque, gpa_t gpa, u64 *val, u32 size)
{
	assert_ptr_equal(opaque, &fake);
	assert_true(size == 4 || size == 8);
	assert_int_equal(gpa % size, 0);
	fake.reads++;
	if (!in_ram(gpa, size))
		return -EFAULT;
	*val = ram_get(gpa, size);
	return 0;
}

static int fake_set_ad(void *opaque, gpa_t gpa, u64 old, u64 new, u32 size)
{
	assert_ptr_equal(opaque, &fake);
	assert_true(size == 4 || size == 8);
	assert_int_equal(gpa % size, 0);
	if (!in_ram(gpa, size) || fake.ad_outside)
		return -EFAULT;
	if (fake.changes) {
		fake.changes--;
		fake.meddle(gpa);
	}
	if (ram_get(gpa, size) != old)
		return 1;
	/* The walker may only ever add A and D. */
	assert_int_equal(new & ~old & ~(u64)(PTE_A | PTE_D), 0);
	assert_int_not_equal(new, old);
	ram_put(gpa, new, size);
	assert_true(fake.nwrites < MAX_LOG);
	fake.log[fake.nwrites++] = (struct ad_write){gpa, old, new, size};
	return 0;
}

/* --- paths: one address's chain of tables, per mode and page size ------- */

/* Where the test puts its tables (inside RAM, apart from one another). */
static const gpa_t table_at[] = {0x3000, 0x5000, 0x8000, 0xb000};

#define PAE_CR3 0x3020 /* CR3 bits 31:5: the PDPT need not be page-aligned */

struct path {
	enum gpt_mode mode;
	u32 top, leaf;	/* levels, 1 = PTE */
	u32 size;	/* bytes per entry */
	u32 index[4];	/* [level - 1] */
	gpa_t table[4]; /* [level - 1]: the table holding that entry */
	gpa_t frame;	/* what the leaf maps */
	u64 page_size;
	gva_t gva;
	u32 maxphyaddr;
	bool has_1g_pages;
};

static u64 ones(u32 n)
{
	return n >= 64 ? ~0ULL : (1ULL << n) - 1;
}

/*
 * Builds the address from its indices (the inverse of what the walker
 * does): 10-bit indices with 32-bit paging, 9-bit ones otherwise, above
 * a 12-bit offset; 4-level addresses are sign-extended from bit 47.
 */
static gva_t compose_gva(const struct path *p, u64 offset)
{
	u32 width = p->mode == GPT_MODE_32BIT ? 10 : 9;
	gva_t gva = offset;
	u32 l;

	for (l = 1; l <= p->top; l++)
		gva |= (u64)p->index[l - 1] << (12 + width * (l - 1));
	if (p->mode == GPT_MODE_4LEVEL && (gva & (1ULL << 47)))
		gva |= ~ones(48);
	return gva;
}

/* Per mode: the indices of the test address, and the frames mapped. */
static const struct {
	u32 top, size;
	u32 index[4];	  /* [level - 1] */
	gpa_t frame[3];	  /* [leaf level - 1] */
	u64 page_size[3]; /* [leaf level - 1] */
} shapes[] = {
	[GPT_MODE_32BIT] = {.top = 2,
			    .size = 4,
			    .index = {0x1a7, 0x2d3},
			    .frame = {0x87654000, 0x87400000},
			    .page_size = {4 * KiB, 4 * MiB}},
	[GPT_MODE_PAE] = {.top = 3,
			  .size = 8,
			  .index = {0x0c3, 0x1b5, 2},
			  .frame = {0x987654000, 0x987600000},
			  .page_size = {4 * KiB, 2 * MiB}},
	[GPT_MODE_4LEVEL] = {.top = 4,
			     .size = 8,
			     .index = {0x0e7, 0x136, 0x0a9, 0x1f2},
			     .frame = {0x7f12345000, 0x7f12200000,
				       0x7f40000000},
			     .page_size = {4 * KiB, 2 * MiB, 1 * GiB}},
};

static struct path make_path(enum gpt_mode mode, u32 leaf)
{
	struct path p = {.mode = mode,
			 .leaf = leaf,
			 .top = shapes[mode].top,
			 .size = shapes[mode].size,
			 .frame = shapes[mode].frame[leaf - 1],
			 .page_size = shapes[mode].page_size[leaf - 1],
			 .maxphyaddr = 46,
			 .has_1g_pages = true};
	u32 l;

	for (l = 1; l <= p.top; l++) {
		p.index[l - 1] = shapes[mode].index[l - 1];
		p.table[l - 1] = table_at[p.top - l];
	}
	if (mode == GPT_MODE_PAE)
		p.table[2] = PAE_CR3;
	/* In a large page, the lower indices become part of the offset. */
	p.gva = compose_gva(&p, 0x5a5);
	return p;
}

static gpa_t entry_addr(const struct path *p, u32 level)
{
	return p->table[level - 1] + (gpa_t)p->index[level - 1] * p->size;
}

static bool in_memory(const struct path *p, u32 level)
{
	return !(p->mode == GPT_MODE_PAE && level == 3);
}

static bool carries_rights(const struct path *p, u32 level)
{
	return in_memory(p, level);
}

struct controls {
	bool wp, smep, smap, ac, nxe, pse;
};

static struct gpt_ctx make_ctx(const struct path *p, const struct controls *k)
{
	struct gpt_ctx c = {
		.mode = p->mode,
		.cr0 = X86_CR0_PE | X86_CR0_PG | (k->wp ? X86_CR0_WP : 0),
		.cr4 = (k->smep ? X86_CR4_SMEP : 0) |
		       (k->smap ? X86_CR4_SMAP : 0) |
		       (k->pse ? X86_CR4_PSE : 0),
		.efer = k->nxe ? EFER_NXE : 0,
		.cr3 = p->table[p->top - 1],
		.maxphyaddr = p->maxphyaddr,
		.has_1g_pages = p->has_1g_pages,
		.read_pte = fake_read,
		.set_ad = fake_set_ad,
		.opaque = &fake,
	};

	if (p->mode != GPT_MODE_32BIT)
		c.cr4 |= X86_CR4_PAE;
	if (p->mode == GPT_MODE_4LEVEL)
		c.efer |= EFER_LME | EFER_LMA;
	return c;
}

/* Sets an entry: in RAM where RAM is, and in the PDPTE registers. */
static void put_entry(const struct path *p, struct gpt_ctx *c, u32 level, u64 v)
{
	if (in_ram(entry_addr(p, level), p->size))
		ram_put(entry_addr(p, level), v, p->size);
	if (!in_memory(p, level))
		c->pdptes[p->index[level - 1]] = v;
}

static void or_entry(const struct path *p, struct gpt_ctx *c, u32 level,
		     u64 bits)
{
	put_entry(p, c, level, ram_get(entry_addr(p, level), p->size) | bits);
}

/*
 * Writes the path's entries, present, with extra[level - 1] ORed in where
 * the entry has rights (a PAE PDPTE gets none of them, and goes to
 * ctx->pdptes as well as to RAM, where it was loaded from).
 */
static void write_path(const struct path *p, struct gpt_ctx *c,
		       const u64 *extra)
{
	u32 l;

	for (l = p->top; l >= p->leaf; l--) {
		u64 v = (l == p->leaf ? p->frame : p->table[l - 2]) | PTE_P;

		if (l == p->leaf && l > 1)
			v |= PTE_PS;
		if (carries_rights(p, l))
			v |= extra[l - 1];
		put_entry(p, c, l, v);
	}
}

static const struct controls plain = {.pse = true};

/* --- the oracle ---------------------------------------------------------- */

struct access_kind {
	const char *name;
	struct gpt_access a;
};

static const struct access_kind kinds[] = {
	{"sup read", {0}},
	{"sup write", {.write = true}},
	{"sup fetch", {.fetch = true}},
	{"user read", {.user = true}},
	{"user write", {.user = true, .write = true}},
	{"user fetch", {.user = true, .fetch = true}},
	{"implicit read cpl3", {.user = true, .implicit_supervisor = true}},
	{"implicit write cpl3",
	 {.user = true, .write = true, .implicit_supervisor = true}},
	{"implicit read cpl0", {.implicit_supervisor = true}},
	{"implicit write cpl0", {.write = true, .implicit_supervisor = true}},
};

struct outcome {
	int ret;
	u32 ec;
	u32 stop;
};

/* The error-code bits that describe the access (4.7), whatever the fault. */
static u32 access_ec(const struct path *p, const struct controls *k,
		     const struct gpt_access *a)
{
	bool paeish = p->mode != GPT_MODE_32BIT;
	u32 ec = 0;

	if (a->write)
		ec += 2;
	if (a->user && !a->implicit_supervisor)
		ec += 4;
	if (a->fetch && (k->smep || (paeish && k->nxe)))
		ec += 16;
	return ec;
}

/*
 * SDM 3A 4.6 and 4.7, for a path whose entries are all present, from
 * the per-level flags. First the reserved-bit case: without NXE, bit 63
 * is reserved in PAE and 4-level entries, and the walk stops at the
 * highest entry holding it. Otherwise the address is a supervisor-mode
 * address if any entry has U/S=0, read-only if any has R/W=0, and (with
 * NXE) not executable if any has XD=1; the access faults if any rule of
 * 4.6.1 is broken, each rule written as one violation.
 */
static struct outcome oracle(const struct path *p, const u64 *flags,
			     const struct controls *k,
			     const struct gpt_access *a)
{
	bool paeish = p->mode != GPT_MODE_32BIT;
	bool cpl3 = a->user && !a->implicit_supervisor;
	bool supervisor_addr = false, read_only = false, no_exec = false;
	bool v = false;
	u32 ec = access_ec(p, k, a), l;

	for (l = p->top; l >= p->leaf; l--) {
		if (!carries_rights(p, l))
			continue;
		if (paeish && !k->nxe && (flags[l - 1] & PTE_NX))
			return (struct outcome){GPT_FAULT, ec | 1 | 8, l};
		supervisor_addr |= !(flags[l - 1] & PTE_US);
		read_only |= !(flags[l - 1] & PTE_RW);
		no_exec |= paeish && k->nxe && (flags[l - 1] & PTE_NX);
	}
	v |= cpl3 && supervisor_addr;
	v |= cpl3 && a->write && read_only;
	v |= a->fetch && no_exec;
	v |= !cpl3 && a->write && read_only && k->wp;
	v |= !cpl3 && a->fetch && !supervisor_addr && k->smep;
	v |= !cpl3 && !a->fetch && !supervisor_addr && k->smap &&
	     !(k->ac && !a->implicit_supervisor);
	if (v)
		return (struct outcome){GPT_FAULT, ec | 1, p->leaf};
	return (struct outcome){0, 0, p->leaf};
}

/* --- checks shared by the tests ------------------------------------------ */

static void check_visited(const struct path *p, const struct gpt_walk *w,
			  u32 stop)
{
	u32 l;

	assert_int_equal(w->top_level, p->top);
	assert_int_equal(w->stop_level, stop);
	for (l = p->top; l >= stop; l--)
		assert_int_equal(w->pte_gpa[l - 1], entry_addr(p, l));
}

/*
 * After a successful walk: A in each entry in memory, D in the leaf on a
 * write, written top down, nothing else, and the walk reports the
 * entries as they now are.
 */
static void check_ad(const struct path *p, const struct gpt_walk *w,
		     const struct gpt_access *a)
{
	u32 l, n = 0;

	for (l = p->top; l >= p->leaf; l--) {
		u64 e = ram_get(entry_addr(p, l), p->size);
		bool want_d = l == p->leaf && a->write;

		if (!in_memory(p, l)) {
			assert_false(e & (PTE_A | PTE_D));
			continue;
		}
		assert_true(e & PTE_A);
		assert_int_equal(!!(e & PTE_D), want_d);
		assert_int_equal(w->pte[l - 1], e);
		assert_true(n < fake.nwrites);
		assert_int_equal(fake.log[n].gpa, entry_addr(p, l));
		assert_int_equal(fake.log[n].size, p->size);
		n++;
	}
	assert_int_equal(fake.nwrites, n);
}

static void check_success(const struct path *p, const struct gpt_walk *w,
			  const struct gpt_access *a)
{
	assert_int_equal(w->gpa, p->frame | (p->gva & (p->page_size - 1)));
	assert_int_equal(w->level_of_leaf, p->leaf);
	assert_int_equal(w->page_size, p->page_size);
	check_visited(p, w, p->leaf);
	check_ad(p, w, a);
}

static int walk(const struct gpt_ctx *c, gva_t gva, const struct gpt_access *a,
		struct gpt_walk *w)
{
	reset_fake();
	return gpt_walk(c, gva, a, w);
}

/* --- the permission matrix ----------------------------------------------- */

static const char *mode_name[] = {"32-bit", "PAE", "4-level"};

/* Per-level flags from a combination number: 3 (or 2) bits per level. */
static void combo_flags(const struct path *p, u32 combo, u64 *flags)
{
	u32 bits = p->mode == GPT_MODE_32BIT ? 2 : 3;
	u32 l;

	for (l = p->top; l >= p->leaf; l--) {
		flags[l - 1] = 0;
		if (!carries_rights(p, l))
			continue;
		flags[l - 1] |= (combo & 1) ? PTE_US : 0;
		flags[l - 1] |= (combo & 2) ? PTE_RW : 0;
		if (bits == 3)
			flags[l - 1] |= (combo & 4) ? PTE_NX : 0;
		combo >>= bits;
	}
}

static u32 combo_count(const struct path *p)
{
	u32 levels = 0, l;

	for (l = p->top; l >= p->leaf; l--)
		levels += carries_rights(p, l);
	return 1u << (levels * (p->mode == GPT_MODE_32BIT ? 2 : 3));
}

static void check_rights(const struct path *p, const u64 *flags,
			 const struct gpt_walk *w, bool nxe)
{
	bool sup = false, ro = false, nx = false;
	u32 l;

	for (l = p->top; l >= p->leaf; l--) {
		if (!carries_rights(p, l))
			continue;
		sup |= !(flags[l - 1] & PTE_US);
		ro |= !(flags[l - 1] & PTE_RW);
		nx |= nxe && (flags[l - 1] & PTE_NX);
	}
	assert_int_equal(w->user, !sup);
	assert_int_equal(w->writable, !ro);
	assert_int_equal(w->executable, !nx);
}

static void check_one(const struct path *p, const u64 *flags,
		      const struct controls *k, const struct access_kind *ak)
{
	struct gpt_ctx c = make_ctx(p, k);
	struct gpt_access a = ak->a;
	struct outcome want;
	struct gpt_walk w;
	int ret;

	a.rflags_ac = k->ac;
	want = oracle(p, flags, k, &a);
	write_path(p, &c, flags);
	ret = walk(&c, p->gva, &a, &w);
	if (ret != want.ret || (ret == GPT_FAULT && w.error_code != want.ec))
		fail_msg("%s leaf %u, flags %llx/%llx/%llx/%llx, wp %d smep %d "
			 "smap %d ac %d nxe %d, %s: got %d ec %#x, want %d "
			 "ec %#x",
			 mode_name[p->mode], p->leaf,
			 (unsigned long long)flags[3],
			 (unsigned long long)flags[2],
			 (unsigned long long)flags[1],
			 (unsigned long long)flags[0], k->wp, k->smep, k->smap,
			 k->ac, k->nxe, ak->name, ret, w.error_code, want.ret,
			 want.ec);
	if (!(want.ec & X86_PF_RSVD))
		check_rights(p, flags, &w, k->nxe && p->mode != GPT_MODE_32BIT);
	if (ret == 0) {
		check_success(p, &w, &a);
		return;
	}
	check_visited(p, &w, want.stop);
	assert_int_equal(fake.nwrites, 0);
}

static void run_matrix(enum gpt_mode mode, u32 leaf)
{
	struct path p = make_path(mode, leaf);
	u32 combo, ctl, ak;
	u64 flags[4] = {0};
	u32 walks = 0;

	for (combo = 0; combo < combo_count(&p); combo++) {
		combo_flags(&p, combo, flags);
		for (ctl = 0; ctl < 32; ctl++) {
			struct controls k = {.wp = ctl & 1,
					     .smep = ctl & 2,
					     .smap = ctl & 4,
					     .ac = ctl & 8,
					     .nxe = ctl & 16,
					     .pse = true};

			for (ak = 0; ak < ARRAY_SIZE(kinds); ak++, walks++)
				check_one(&p, flags, &k, &kinds[ak]);
		}
	}
	print_message("%s leaf level %u: %u walks\n", mode_name[mode], leaf,
		      walks);
}

static void test_matrix_32bit_4k(void **state)
{
	(void)state;
	run_matrix(GPT_MODE_32BIT, 1);
}

static void test_matrix_32bit_4m(void **state)
{
	(void)state;
	run_matrix(GPT_MODE_32BIT, 2);
}

static void test_matrix_pae_4k(void **state)
{
	(void)state;
	run_matrix(GPT_MODE_PAE, 1);
}

static void test_matrix_pae_2m(void **state)
{
	(void)state;
	run_matrix(GPT_MODE_PAE, 2);
}

static void test_matrix_4level_4k(void **state)
{
	(void)state;
	run_matrix(GPT_MODE_4LEVEL, 1);
}

static void test_matrix_4level_2m(void **state)
{
	(void)state;
	run_matrix(GPT_MODE_4LEVEL, 2);
}

static void test_matrix_4level_1g(void **state)
{
	(void)state;
	run_matrix(GPT_MODE_4LEVEL, 3);
}

/* The reported rights, for every flag combination, with and without NXE. */
static void test_reported_rights(void **state)
{
	static const struct {
		enum gpt_mode mode;
		u32 leaf;
	} cases[] = {{GPT_MODE_32BIT, 1},  {GPT_MODE_32BIT, 2},
		     {GPT_MODE_PAE, 1},	   {GPT_MODE_PAE, 2},
		     {GPT_MODE_4LEVEL, 1}, {GPT_MODE_4LEVEL, 2},
		     {GPT_MODE_4LEVEL, 3}};
	struct gpt_access read = {0};
	u64 flags[4] = {0};
	u32 i, combo;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		struct path p = make_path(cases[i].mode, cases[i].leaf);
		struct gpt_ctx c = make_ctx(&p, &plain);
		struct gpt_walk w;

		c.efer |= EFER_NXE;
		for (combo = 0; combo < combo_count(&p); combo++) {
			combo_flags(&p, combo, flags);
			write_path(&p, &c, flags);
			/* A supervisor read with WP, SMEP, SMAP off always
			 * succeeds, so the rights are reported. */
			assert_int_equal(walk(&c, p.gva, &read, &w), 0);
			check_rights(&p, flags, &w, p.mode != GPT_MODE_32BIT);
		}
	}
}

/* A protection fault still reports the translation it refused. */
static void test_protection_fault_reports_leaf(void **state)
{
	struct path p = make_path(GPT_MODE_4LEVEL, 2);
	struct gpt_ctx c = make_ctx(&p, &plain);
	struct gpt_access uw = {.user = true, .write = true};
	u64 flags[4] = {0, PTE_RW, PTE_US | PTE_RW, PTE_US | PTE_RW};
	struct gpt_walk w;

	(void)state;
	write_path(&p, &c, flags);
	assert_int_equal(walk(&c, p.gva, &uw, &w), GPT_FAULT);
	assert_int_equal(w.error_code, X86_PF_P | X86_PF_WR | X86_PF_US);
	assert_int_equal(w.gpa, p.frame | (p.gva & (2 * MiB - 1)));
	assert_int_equal(w.level_of_leaf, 2);
	assert_false(w.user);
	assert_true(w.writable);
}

/* --- addresses: hand-computed examples, one per mode ---------------------- */

/* 0x12345678 = PDE 0x048, PTE 0x345, offset 0x678. */
static void test_addresses_32bit(void **state)
{
	struct path p = make_path(GPT_MODE_32BIT, 1);
	struct gpt_ctx c = make_ctx(&p, &plain);
	struct gpt_access rd = {0};
	struct gpt_walk w;

	(void)state;
	c.cr3 = 0x3000 | 0x18; /* PWT, PCD: not address bits */
	ram_put(0x3000 + 0x48 * 4, 0x5000 | PTE_P, 4);
	ram_put(0x5000 + 0x345 * 4, 0xcafe0000 | PTE_P, 4);
	assert_int_equal(walk(&c, 0x12345678, &rd, &w), 0);
	assert_int_equal(w.pte_gpa[1], 0x3120);
	assert_int_equal(w.pte_gpa[0], 0x5d14);
	assert_int_equal(w.gpa, 0xcafe0678);
	assert_int_equal(w.pte[0], 0xcafe0000 | PTE_P | PTE_A);
}

/* 0xc0201abc = PDPTE 3, PDE 0x001, PTE 0x001, offset 0xabc. */
static void test_addresses_pae(void **state)
{
	struct path p = make_path(GPT_MODE_PAE, 1);
	struct gpt_ctx c = make_ctx(&p, &plain);
	struct gpt_access rd = {0};
	struct gpt_walk w;

	(void)state;
	c.cr3 = 0x3040 | 0x18;
	c.pdptes[3] = 0x5000 | PTE_P;
	ram_put(0x5000 + 8, 0x8000 | PTE_P, 8);
	ram_put(0x8000 + 8, 0xf00d000 | PTE_P, 8);
	assert_int_equal(walk(&c, 0xc0201abc, &rd, &w), 0);
	assert_int_equal(w.pte_gpa[2], 0x3058);
	assert_int_equal(w.pte_gpa[1], 0x5008);
	assert_int_equal(w.pte_gpa[0], 0x8008);
	assert_int_equal(w.gpa, 0xf00dabc);
	assert_int_equal(fake.reads, 2); /* the PDPTE came from the register */
}

/* 0xffff800000403def = PML4E 0x100, PDPTE 0, PDE 2, PTE 3, offset 0xdef. */
static void test_addresses_4level(void **state)
{
	struct path p = make_path(GPT_MODE_4LEVEL, 1);
	struct gpt_ctx c = make_ctx(&p, &plain);
	struct gpt_access rd = {0};
	struct gpt_walk w;

	(void)state;
	c.cr3 = 0x3000 | 0x18;
	ram_put(0x3000 + 0x800, 0x5000 | PTE_P, 8);
	ram_put(0x5000, 0x8000 | PTE_P, 8);
	ram_put(0x8000 + 0x10, 0xb000 | PTE_P, 8);
	ram_put(0xb000 + 0x18, 0x123456789000ULL | PTE_P, 8);
	assert_int_equal(walk(&c, 0xffff800000403defULL, &rd, &w), 0);
	assert_int_equal(w.pte_gpa[3], 0x3800);
	assert_int_equal(w.pte_gpa[2], 0x5000);
	assert_int_equal(w.pte_gpa[1], 0x8010);
	assert_int_equal(w.pte_gpa[0], 0xb018);
	assert_int_equal(w.gpa, 0x123456789def);
	assert_int_equal(w.page_size, 4096);
}

/* --- not-present entries ---------------------------------------------------- */

/*
 * P=0 at each level gives a P=0 fault there, whatever else the entry
 * holds (reserved bits included), and the levels below are not read.
 */
static void check_not_present(enum gpt_mode mode, u32 leaf)
{
	struct path p = make_path(mode, leaf);
	struct controls k = {.pse = true, .nxe = true, .smep = true};
	u64 flags[4] = {PTE_US | PTE_RW, PTE_US | PTE_RW, PTE_US | PTE_RW,
			PTE_US | PTE_RW};
	u32 l, ak;

	for (l = p.top; l >= p.leaf; l--) {
		for (ak = 0; ak < ARRAY_SIZE(kinds); ak++) {
			const struct gpt_access *a = &kinds[ak].a;
			struct gpt_ctx c = make_ctx(&p, &k);
			u64 junk = ones(p.size * 8) & ~(u64)PTE_P;
			struct gpt_walk w;

			write_path(&p, &c, flags);
			put_entry(&p, &c, l, junk);
			assert_int_equal(walk(&c, p.gva, a, &w), GPT_FAULT);
			assert_int_equal(w.error_code, access_ec(&p, &k, a));
			check_visited(&p, &w, l);
			assert_int_equal(fake.nwrites, 0);
			assert_int_equal(fake.reads,
					 p.top - l + 1 -
						 (mode == GPT_MODE_PAE));
		}
	}
}

static void test_not_present(void **state)
{
	(void)state;
	check_not_present(GPT_MODE_32BIT, 1);
	check_not_present(GPT_MODE_32BIT, 2);
	check_not_present(GPT_MODE_PAE, 1);
	check_not_present(GPT_MODE_PAE, 2);
	check_not_present(GPT_MODE_4LEVEL, 1);
	check_not_present(GPT_MODE_4LEVEL, 2);
	check_not_present(GPT_MODE_4LEVEL, 3);
}

/* I/D in a not-present fault: only with SMEP, or NXE under PAE/4-level. */
static void test_id_bit(void **state)
{
	struct gpt_access fetch = {.fetch = true};
	static const struct {
		enum gpt_mode mode;
		bool smep, nxe;
		u32 ec;
	} cases[] = {
		{GPT_MODE_32BIT, false, false, 0},
		{GPT_MODE_32BIT, false, true, 0},
		{GPT_MODE_32BIT, true, false, X86_PF_ID},
		{GPT_MODE_PAE, false, false, 0},
		{GPT_MODE_PAE, false, true, X86_PF_ID},
		{GPT_MODE_PAE, true, false, X86_PF_ID},
		{GPT_MODE_4LEVEL, false, false, 0},
		{GPT_MODE_4LEVEL, false, true, X86_PF_ID},
		{GPT_MODE_4LEVEL, true, true, X86_PF_ID},
	};
	u32 i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		struct path p = make_path(cases[i].mode, 1);
		struct controls k = {.smep = cases[i].smep,
				     .nxe = cases[i].nxe};
		struct gpt_ctx c = make_ctx(&p, &k);
		u64 none[4] = {0};
		struct gpt_walk w;

		write_path(&p, &c, none);
		ram_put(entry_addr(&p, 1), 0, p.size);
		assert_int_equal(walk(&c, p.gva, &fetch, &w), GPT_FAULT);
		assert_int_equal(w.error_code, cases[i].ec);
	}
}

/* --- reserved bits ----------------------------------------------------------- */

struct rsvd_case {
	enum gpt_mode mode;
	u32 leaf;  /* the path's page size */
	u32 level; /* where the bit goes */
	u32 maxphyaddr;
	bool nxe, has_1g;
	u32 bit;
	bool reserved;
};

/*
 * One bit set in one entry of an otherwise valid path, for a user write
 * through a supervisor upper level: a reserved bit must win over the
 * rights (no translation, so P=1 RSVD=1 and the walk stops there); a
 * bit that is not reserved must leave the walk to the rights check.
 */
static void check_rsvd(const struct rsvd_case *r)
{
	struct path p = make_path(r->mode, r->leaf);
	struct controls k = {.pse = true, .nxe = r->nxe};
	struct gpt_access uw = {.user = true, .write = true};
	u64 extra[4] = {PTE_US | PTE_RW, PTE_US | PTE_RW, PTE_US | PTE_RW,
			PTE_US | PTE_RW};
	struct gpt_walk w;
	struct gpt_ctx c;
	int ret;

	p.maxphyaddr = r->maxphyaddr;
	p.has_1g_pages = r->has_1g;
	c = make_ctx(&p, &k);
	/* The highest entry with rights is a supervisor one. */
	extra[in_memory(&p, p.top) ? p.top - 1 : p.top - 2] = PTE_RW;
	write_path(&p, &c, extra);
	or_entry(&p, &c, r->level, 1ULL << r->bit);
	ret = walk(&c, p.gva, &uw, &w);
	if (r->reserved &&
	    (ret != GPT_FAULT ||
	     w.error_code != (X86_PF_P | X86_PF_RSVD | X86_PF_WR | X86_PF_US) ||
	     w.stop_level != r->level))
		fail_msg("%s leaf %u level %u M=%u bit %u: want RSVD, got %d "
			 "ec %#x stop %u",
			 mode_name[r->mode], r->leaf, r->level, r->maxphyaddr,
			 r->bit, ret, w.error_code, w.stop_level);
	if (!r->reserved &&
	    (ret != GPT_FAULT ||
	     w.error_code != (X86_PF_P | X86_PF_WR | X86_PF_US)))
		fail_msg("%s leaf %u level %u M=%u bit %u: not reserved, got "
			 "%d ec %#x",
			 mode_name[r->mode], r->leaf, r->level, r->maxphyaddr,
			 r->bit, ret, w.error_code);
	assert_int_equal(fake.nwrites, 0);
}

/* Bits [lo, hi] of one entry, all reserved or all not. */
static void check_rsvd_range(struct rsvd_case r, u32 lo, u32 hi, bool rsvd)
{
	for (r.bit = lo; r.bit <= hi; r.bit++) {
		r.reserved = rsvd;
		check_rsvd(&r);
	}
}

static void test_reserved_32bit(void **state)
{
	struct rsvd_case r = {.mode = GPT_MODE_32BIT, .maxphyaddr = 40};
	static const u32 ms[] = {32, 36, 39, 40, 46, 52};
	u32 i;

	(void)state;
	/* PDE and PTE of a 4 KiB page: nothing reserved (PTE bit 7 is PAT,
	 * 8 is G, 11:9 ignored; a PDE's bit 7 is PS, tested elsewhere). */
	r.leaf = 1;
	r.level = 1;
	check_rsvd_range(r, 7, 11, false);
	r.level = 2;
	check_rsvd_range(r, 8, 11, false);
	/* A 4 MiB PDE: 21:(M-19) reserved, M capped at 40 (table 4-4). */
	r.leaf = 2;
	r.level = 2;
	for (i = 0; i < ARRAY_SIZE(ms); i++) {
		u32 m = ms[i] < 40 ? ms[i] : 40;

		r.maxphyaddr = ms[i];
		check_rsvd_range(r, 8, 12, false); /* G, ignored, PAT */
		if (m > 32)
			check_rsvd_range(r, 13, m - 20, false);
		check_rsvd_range(r, m - 19, 21, true);
	}
}

static void test_reserved_pae(void **state)
{
	static const u32 ms[] = {36, 40, 46, 52};
	struct rsvd_case r = {.mode = GPT_MODE_PAE, .nxe = true};
	u32 i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(ms); i++) {
		r.maxphyaddr = ms[i];
		/* PDPTE (table 4-8): 2:1, 8:5, 63:M. */
		r.leaf = 1;
		r.level = 3;
		check_rsvd_range(r, 1, 2, true);
		check_rsvd_range(r, 3, 4, false);
		check_rsvd_range(r, 5, 8, true);
		check_rsvd_range(r, 9, 11, false);
		check_rsvd_range(r, ms[i], 63, true);
		/* PDE and PTE: 62:M, and XD only without NXE. */
		for (r.level = 1; r.level <= 2; r.level++) {
			check_rsvd_range(r, 8, 11, false);
			check_rsvd_range(r, ms[i], 62, true);
			r.nxe = false;
			check_rsvd_range(r, 63, 63, true);
			r.nxe = true;
		}
		/* 2 MiB PDE: 20:13 too; PAT (12) is not. */
		r.leaf = 2;
		r.level = 2;
		check_rsvd_range(r, 8, 12, false);
		check_rsvd_range(r, 13, 20, true);
		check_rsvd_range(r, ms[i], 62, true);
	}
}

static void check_reserved_4level_m(struct rsvd_case r, u32 m)
{
	r.maxphyaddr = m;
	r.leaf = 1;
	for (r.level = 1; r.level <= 4; r.level++) {
		check_rsvd_range(r, m, 51, true);
		check_rsvd_range(r, 52, 62, false); /* ignored */
		check_rsvd_range(r, 8, 11, false);
		r.nxe = false;
		check_rsvd_range(r, 63, 63, true);
		r.nxe = true;
	}
	/* PS: reserved in a PML4E; a PTE's bit 7 is PAT. */
	r.level = 4;
	check_rsvd_range(r, 7, 7, true);
	r.level = 1;
	check_rsvd_range(r, 7, 7, false);
	/* 2 MiB PDE: 20:13. */
	r.leaf = 2;
	r.level = 2;
	check_rsvd_range(r, 12, 12, false);
	check_rsvd_range(r, 13, 20, true);
	check_rsvd_range(r, m, 51, true);
	/* 1 GiB PDPTE: 29:13. */
	r.leaf = 3;
	r.level = 3;
	r.has_1g = true;
	check_rsvd_range(r, 12, 12, false);
	check_rsvd_range(r, 13, 29, true);
	check_rsvd_range(r, m, 51, true);
}

static void test_reserved_4level(void **state)
{
	static const u32 ms[] = {39, 46, 52};
	struct rsvd_case r = {.mode = GPT_MODE_4LEVEL, .nxe = true};
	u32 i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(ms); i++)
		check_reserved_4level_m(r, ms[i]);
}

/* --- large pages ----------------------------------------------------------------- */

static void test_pse36(void **state)
{
	struct path p = make_path(GPT_MODE_32BIT, 2);
	struct gpt_access rd = {0};
	u64 pde = 0x87400000 | PTE_PS | PTE_P;
	gpa_t pde_gpa = entry_addr(&p, 2);
	struct gpt_walk w;
	struct gpt_ctx c;

	(void)state;
	p.maxphyaddr = 40;
	c = make_ctx(&p, &plain);
	/* Bits 20:13 = 0xa5 are physical bits 39:32; PAT (12) is no address. */
	ram_put(pde_gpa, pde | (0xa5ULL << 13) | BIT(12), 4);
	assert_int_equal(walk(&c, p.gva, &rd, &w), 0);
	assert_int_equal(w.gpa, 0xa587400000ULL | (p.gva & (4 * MiB - 1)));
	assert_int_equal(w.page_size, 4 * MiB);
	assert_int_equal(w.level_of_leaf, 2);

	/* M = 36: bits 16:13 are address, 17 is reserved. */
	c.maxphyaddr = 36;
	ram_put(pde_gpa, pde | (0x5ULL << 13), 4);
	assert_int_equal(walk(&c, p.gva, &rd, &w), 0);
	assert_int_equal(w.gpa, 0x587400000ULL | (p.gva & (4 * MiB - 1)));
	ram_put(pde_gpa, pde | (0x15ULL << 13), 4);
	assert_int_equal(walk(&c, p.gva, &rd, &w), GPT_FAULT);
	assert_int_equal(w.error_code, X86_PF_P | X86_PF_RSVD);

	/* MAXPHYADDR 52: still only 40 bits with 32-bit paging. */
	c.maxphyaddr = 52;
	ram_put(pde_gpa, pde | (0xffULL << 13), 4);
	assert_int_equal(walk(&c, p.gva, &rd, &w), 0);
	assert_int_equal(w.gpa, 0xff87400000ULL | (p.gva & (4 * MiB - 1)));
	ram_put(pde_gpa, pde | BIT(21), 4);
	assert_int_equal(walk(&c, p.gva, &rd, &w), GPT_FAULT);
	assert_int_equal(w.error_code, X86_PF_P | X86_PF_RSVD);
}

/* CR4.PSE=0: PS is ignored and the PDE points to a page table. */
static void test_32bit_ps_without_pse(void **state)
{
	struct path p = make_path(GPT_MODE_32BIT, 1);
	struct controls k = {0};
	struct gpt_ctx c = make_ctx(&p, &k);
	u64 extra[4] = {0, PTE_PS};
	struct gpt_access rd = {0};
	struct gpt_walk w;

	(void)state;
	/* The PDE's bits 31:12 (bits 13 and 15 set) name the table. */
	p.table[0] = table_at[1] | (0x5ULL << 13);
	write_path(&p, &c, extra);
	assert_int_equal(walk(&c, p.gva, &rd, &w), 0);
	assert_int_equal(w.level_of_leaf, 1);
	assert_int_equal(w.page_size, 4096);
	check_success(&p, &w, &rd);
}

static void test_1g_pages(void **state)
{
	struct path p = make_path(GPT_MODE_4LEVEL, 3);
	struct gpt_access wr = {.write = true};
	u64 extra[4] = {PTE_RW, PTE_RW, PTE_RW, PTE_RW};
	struct gpt_walk w;
	struct gpt_ctx c;

	(void)state;
	c = make_ctx(&p, &plain);
	write_path(&p, &c, extra);
	assert_int_equal(walk(&c, p.gva, &wr, &w), 0);
	check_success(&p, &w, &wr);
	assert_int_equal(w.gpa, 0x7f40000000ULL | (p.gva & (GiB - 1)));
	assert_int_equal(w.pte[2] & (PTE_A | PTE_D), PTE_A | PTE_D);

	/* Without 1 GiB page support PS is a reserved bit in a PDPTE. */
	c.has_1g_pages = false;
	write_path(&p, &c, extra);
	assert_int_equal(walk(&c, p.gva, &wr, &w), GPT_FAULT);
	assert_int_equal(w.error_code, X86_PF_P | X86_PF_RSVD | X86_PF_WR);
	assert_int_equal(w.stop_level, 3);
	assert_int_equal(fake.nwrites, 0);
}

/* Bit 12 of a 2 MiB or 1 GiB entry is PAT, not an address bit. */
static void test_large_page_pat(void **state)
{
	static const struct {
		enum gpt_mode mode;
		u32 leaf;
	} cases[] = {{GPT_MODE_32BIT, 2},
		     {GPT_MODE_PAE, 2},
		     {GPT_MODE_4LEVEL, 2},
		     {GPT_MODE_4LEVEL, 3}};
	struct gpt_access rd = {0};
	u64 none[4] = {0};
	u32 i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		struct path p = make_path(cases[i].mode, cases[i].leaf);
		struct gpt_ctx c = make_ctx(&p, &plain);
		gva_t gva = p.gva & ~BIT(12); /* so a leaked PAT shows */
		struct gpt_walk w;

		write_path(&p, &c, none);
		or_entry(&p, &c, p.leaf, BIT(12));
		assert_int_equal(walk(&c, gva, &rd, &w), 0);
		assert_int_equal(w.gpa, p.frame | (gva & (p.page_size - 1)));
	}
}

/* --- accessed and dirty flags -------------------------------------------------- */

static void check_ad_cycle(enum gpt_mode mode, u32 leaf)
{
	struct path p = make_path(mode, leaf);
	struct gpt_ctx c = make_ctx(&p, &plain);
	struct gpt_access rd = {0}, wr = {.write = true};
	u64 extra[4] = {PTE_RW, PTE_RW, PTE_RW, PTE_RW};
	u32 in_mem = p.top - p.leaf + 1 - (mode == GPT_MODE_PAE);
	struct gpt_walk w;

	write_path(&p, &c, extra);
	/* A read sets A everywhere, D nowhere. */
	assert_int_equal(walk(&c, p.gva, &rd, &w), 0);
	check_success(&p, &w, &rd);
	assert_int_equal(fake.nwrites, in_mem);
	/* Again: nothing to write. */
	assert_int_equal(walk(&c, p.gva, &rd, &w), 0);
	assert_int_equal(fake.nwrites, 0);
	/* A write adds D to the leaf alone, in one exchange. */
	assert_int_equal(walk(&c, p.gva, &wr, &w), 0);
	assert_int_equal(fake.nwrites, 1);
	assert_int_equal(fake.log[0].gpa, entry_addr(&p, p.leaf));
	assert_int_equal(fake.log[0].new ^ fake.log[0].old, PTE_D);
	assert_int_equal(w.pte[p.leaf - 1], fake.log[0].new);
	assert_int_equal(walk(&c, p.gva, &wr, &w), 0);
	assert_int_equal(fake.nwrites, 0);
	/* From clean entries, a write sets A and D in the leaf at once. */
	write_path(&p, &c, extra);
	assert_int_equal(walk(&c, p.gva, &wr, &w), 0);
	check_success(&p, &w, &wr);
	assert_int_equal(fake.log[in_mem - 1].new ^ fake.log[in_mem - 1].old,
			 PTE_A | PTE_D);
}

static void test_accessed_dirty(void **state)
{
	(void)state;
	check_ad_cycle(GPT_MODE_32BIT, 1);
	check_ad_cycle(GPT_MODE_32BIT, 2);
	check_ad_cycle(GPT_MODE_PAE, 1);
	check_ad_cycle(GPT_MODE_PAE, 2);
	check_ad_cycle(GPT_MODE_4LEVEL, 1);
	check_ad_cycle(GPT_MODE_4LEVEL, 2);
	check_ad_cycle(GPT_MODE_4LEVEL, 3);
}

/* A write through a read-only page with WP=0 still sets D; a refused
 * write through the same page sets nothing. */
static void test_dirty_wp0(void **state)
{
	struct path p = make_path(GPT_MODE_4LEVEL, 1);
	struct controls k = {.wp = false};
	struct gpt_access wr = {.write = true};
	u64 extra[4] = {0};
	struct gpt_walk w;
	struct gpt_ctx c;

	(void)state;
	c = make_ctx(&p, &k);
	write_path(&p, &c, extra);
	assert_int_equal(walk(&c, p.gva, &wr, &w), 0);
	check_success(&p, &w, &wr);
	c.cr0 |= X86_CR0_WP;
	write_path(&p, &c, extra);
	assert_int_equal(walk(&c, p.gva, &wr, &w), GPT_FAULT);
	assert_int_equal(w.error_code, X86_PF_P | X86_PF_WR);
	assert_int_equal(fake.nwrites, 0);
}

/* --- restarts -------------------------------------------------------------------- */

static struct path meddle_path;

/* Another CPU repoints the leaf to the next frame up. */
static void repoint_leaf(gpa_t gpa)
{
	const struct path *p = &meddle_path;
	u64 e = ram_get(gpa, p->size);

	assert_int_equal(gpa, entry_addr(p, p->leaf));
	ram_put(gpa, e + p->page_size, p->size);
}

/* Another CPU clears P in the entry being updated. */
static void unmap_entry(gpa_t gpa)
{
	ram_put(gpa, ram_get(gpa, meddle_path.size) & ~(u64)PTE_P,
		meddle_path.size);
}

/* Another CPU keeps toggling an ignored bit. */
static void toggle_ignored(gpa_t gpa)
{
	ram_put(gpa, ram_get(gpa, meddle_path.size) ^ BIT(9), meddle_path.size);
}

static void test_restart_once(void **state)
{
	struct gpt_access wr = {.write = true};
	u64 extra[4] = {PTE_RW | PTE_A, PTE_RW | PTE_A, PTE_RW | PTE_A,
			PTE_RW | PTE_A};
	struct gpt_walk w;
	struct gpt_ctx c;
	u32 mode;

	(void)state;
	for (mode = GPT_MODE_32BIT; mode <= GPT_MODE_4LEVEL; mode++) {
		struct path *p = &meddle_path;

		*p = make_path(mode, 1);
		c = make_ctx(p, &plain);
		extra[0] =
			PTE_RW; /* upper levels have A: the leaf comes first */
		write_path(p, &c, extra);
		reset_fake();
		fake.changes = 1;
		fake.meddle = repoint_leaf;
		assert_int_equal(gpt_walk(&c, p->gva, &wr, &w), 0);
		/* The second walk saw the new frame and set A and D on it. */
		p->frame += 4096;
		assert_int_equal(w.gpa, p->frame | (p->gva & 0xfff));
		assert_int_equal(fake.nwrites, 1);
		assert_int_equal(ram_get(entry_addr(p, 1), p->size),
				 p->frame | PTE_P | PTE_RW | PTE_A | PTE_D);
	}
}

static void test_restart_into_fault(void **state)
{
	struct path *p = &meddle_path;
	struct gpt_access rd = {0};
	u64 none[4] = {0};
	struct gpt_walk w;
	struct gpt_ctx c;

	(void)state;
	*p = make_path(GPT_MODE_4LEVEL, 2);
	c = make_ctx(p, &plain);
	write_path(p, &c, none);
	reset_fake();
	fake.changes = 1;
	fake.meddle = unmap_entry; /* the PML4E, updated first */
	assert_int_equal(gpt_walk(&c, p->gva, &rd, &w), GPT_FAULT);
	assert_int_equal(w.error_code, 0);
	assert_int_equal(w.stop_level, 4);
	assert_int_equal(fake.nwrites, 0);
}

static void test_restart_gives_up(void **state)
{
	struct path *p = &meddle_path;
	struct gpt_access rd = {0};
	u64 none[4] = {0};
	struct gpt_walk w;
	struct gpt_ctx c;

	(void)state;
	*p = make_path(GPT_MODE_PAE, 1);
	c = make_ctx(p, &plain);
	write_path(p, &c, none);
	reset_fake();
	fake.changes = 1000;
	fake.meddle = toggle_ignored;
	assert_int_equal(gpt_walk(&c, p->gva, &rd, &w), -EBUSY);
	assert_int_equal(1000 - fake.changes, GPT_MAX_RESTARTS + 1);
	/* Two entries read per walk; the PDPTE is a register. */
	assert_int_equal(fake.reads, 2 * (GPT_MAX_RESTARTS + 1));
}

/* --- tables outside guest RAM ---------------------------------------------------- */

static void test_outside_ram(void **state)
{
	struct gpt_access rd = {0};
	u64 none[4] = {0};
	struct gpt_walk w;
	struct gpt_ctx c;
	struct path p;
	u32 mode, l;

	(void)state;
	for (mode = GPT_MODE_32BIT; mode <= GPT_MODE_4LEVEL; mode++) {
		p = make_path(mode, 1);
		for (l = p.top; l >= 1; l--) {
			if (!in_memory(&p, l))
				continue;
			/* The table holding level l's entry is past RAM. */
			p = make_path(mode, 1);
			p.table[l - 1] = RAM_SIZE + 0x3000;
			c = make_ctx(&p, &plain);
			c.cr3 = p.table[p.top - 1];
			memset(ram, 0, sizeof(ram));
			write_path(&p, &c, none);
			assert_int_equal(walk(&c, p.gva, &rd, &w), -EFAULT);
			assert_int_equal(w.stop_level, l);
			assert_int_equal(w.pte_gpa[l - 1], entry_addr(&p, l));
			assert_int_equal(fake.nwrites, 0);
		}
	}
}

static void test_set_ad_outside(void **state)
{
	struct path p = make_path(GPT_MODE_4LEVEL, 1);
	struct gpt_ctx c = make_ctx(&p, &plain);
	struct gpt_access rd = {0};
	u64 none[4] = {0};
	struct gpt_walk w;

	(void)state;
	write_path(&p, &c, none);
	reset_fake();
	fake.ad_outside = true;
	assert_int_equal(gpt_walk(&c, p.gva, &rd, &w), -EFAULT);
}

/* --- arguments ------------------------------------------------------------------- */

static void test_bad_args(void **state)
{
	struct path p = make_path(GPT_MODE_4LEVEL, 1);
	struct gpt_ctx c = make_ctx(&p, &plain);
	struct gpt_access rd = {0}, bad = {.fetch = true, .write = true};
	struct gpt_access bad2 = {.fetch = true, .implicit_supervisor = true};
	struct gpt_walk w;
	struct gpt_ctx t;

	(void)state;
	assert_int_equal(walk(&c, 0x0000800000000000ULL, &rd, &w), -EINVAL);
	assert_int_equal(walk(&c, 0xffff7fffffffffffULL, &rd, &w), -EINVAL);
	assert_int_equal(walk(&c, p.gva, &bad, &w), -EINVAL);
	assert_int_equal(walk(&c, p.gva, &bad2, &w), -EINVAL);
	t = c;
	t.maxphyaddr = 31;
	assert_int_equal(walk(&t, p.gva, &rd, &w), -EINVAL);
	t.maxphyaddr = 53;
	assert_int_equal(walk(&t, p.gva, &rd, &w), -EINVAL);
	t = c;
	t.cr4 &= ~X86_CR4_PAE;
	assert_int_equal(walk(&t, p.gva, &rd, &w), -EINVAL);
	t = c;
	t.mode = 7;
	assert_int_equal(walk(&t, p.gva, &rd, &w), -EINVAL);
	t = c;
	t.mode = GPT_MODE_PAE;
	assert_int_equal(walk(&t, 0x100000000ULL, &rd, &w), -EINVAL);
	t.mode = GPT_MODE_32BIT;
	assert_int_equal(walk(&t, 0x1000, &rd, &w), -EINVAL); /* PAE set */
	t.cr4 &= ~X86_CR4_PAE;
	assert_int_equal(walk(&t, 0x100000000ULL, &rd, &w), -EINVAL);
	assert_int_equal(fake.reads, 0);
}

static void test_pdpte_valid(void **state)
{
	(void)state;
	assert_true(gpt_pae_pdpte_valid(0, 36));
	assert_true(gpt_pae_pdpte_valid(0xfffffffffffffffeULL, 36));
	assert_true(gpt_pae_pdpte_valid(0xfffff000ULL | 0x619, 36));
	assert_true(gpt_pae_pdpte_valid(0xfffff000ULL | BIT(35) | 1, 36));
	assert_false(gpt_pae_pdpte_valid(BIT(36) | 1, 36));
	assert_false(gpt_pae_pdpte_valid(BIT(63) | 1, 52));
	assert_false(gpt_pae_pdpte_valid(BIT(1) | 1, 52));
	assert_false(gpt_pae_pdpte_valid(BIT(7) | 1, 52));
	assert_true(gpt_pae_pdpte_valid(BIT(51) | 1, 52));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_matrix_32bit_4k),
		cmocka_unit_test(test_matrix_32bit_4m),
		cmocka_unit_test(test_matrix_pae_4k),
		cmocka_unit_test(test_matrix_pae_2m),
		cmocka_unit_test(test_matrix_4level_4k),
		cmocka_unit_test(test_matrix_4level_2m),
		cmocka_unit_test(test_matrix_4level_1g),
		cmocka_unit_test(test_reported_rights),
		cmocka_unit_test(test_protection_fault_reports_leaf),
		cmocka_unit_test(test_addresses_32bit),
		cmocka_unit_test(test_addresses_pae),
		cmocka_unit_test(test_addresses_4level),
		cmocka_unit_test(test_not_present),
		cmocka_unit_test(test_id_bit),
		cmocka_unit_test(test_reserved_32bit),
		cmocka_unit_test(test_reserved_pae),
		cmocka_unit_test(test_reserved_4level),
		cmocka_unit_test(test_pse36),
		cmocka_unit_test(test_32bit_ps_without_pse),
		cmocka_unit_test(test_1g_pages),
		cmocka_unit_test(test_large_page_pat),
		cmocka_unit_test(test_accessed_dirty),
		cmocka_unit_test(test_dirty_wp0),
		cmocka_unit_test(test_restart_once),
		cmocka_unit_test(test_restart_into_fault),
		cmocka_unit_test(test_restart_gives_up),
		cmocka_unit_test(test_outside_ram),
		cmocka_unit_test(test_set_ad_outside),
		cmocka_unit_test(test_bad_args),
		cmocka_unit_test(test_pdpte_valid),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
