// SPDX-License-Identifier: MIT
/*
 * ptchurn: page tables churned the way fork, exec and exit churn them,
 * on every vCPU at once, in 32-bit, PAE and 4-level paging
 * (tests/integration/shadow-ptchurn.sh: cpus=4). Under Shade vCPU 0
 * starts the others with HC_VCPU_START; bare (no hypercalls) it runs
 * alone, which checks the guest itself against Bochs.
 *
 * Each vCPU has "spaces=N" address spaces (default 4) sharing one set of
 * identity-map page tables (the "kernel half"), each with a page of its
 * own that says which space it is. For "iters=N" iterations (default 12)
 * it switches to every space in turn and then, in one of them:
 *
 * - exec: maps fresh pages under two new page tables and writes patterns
 *   through them, checked through the identity map;
 * - changes PTEs: one page moved to another frame, one made read-only
 *   (a write must give #PF P|W with CR2 the address), one cleared (#PF
 *   with P=0); INVLPG on odd iterations, a CR3 reload on even ones;
 * - fork: a child space gets read-only copies of the mappings and the
 *   parent's become read-only too; the child reads them, its write
 *   faults, a copy-on-write break gives it its own frame; the child exits
 *   (its tables freed) and the parent takes its write faults and makes
 *   its pages writable again;
 * - exit: the user page tables and pages freed, the addresses then
 *   unmapped (#PF, P=0); the freed tables come back from the pool at once
 *   as data pages, filled with words that look like PTEs, and mapped:
 *   Shade must treat them as data now, and the old addresses stay
 *   unmapped.
 *
 * Meanwhile vCPU 0 rewrites the PTEs of one shared page table (a new
 * generation each time every vCPU has checked the last one): pages moved
 * among a set of frames, one not present, even ones read-only. The table
 * sits in a shared address space and is also linked into every vCPU's own
 * spaces; on a new generation each vCPU checks it, through its own space
 * after INVLPG or through the shared space after a CR3 load.
 */
#include "guest.h"
#include "paging.h"

#define MAX_CPUS     4
#define STACK_SIZE   8192
#define IDENT_MAX    (16u << 20)
#define ALL_MODES    ((1u << PG_NR_MODES) - 1)
#define MAX_SPACES   8
#define DEF_SPACES   4
#define DEF_ITERS    12
#define USER_PAGES   8 /* four under each of two page tables */
#define SH_PAGES     16
#define NR_SH_FRAMES 24
#define MAX_SHOWN    6 /* FAIL lines per vCPU and mode */

#define USER_VA	   0x40000000u
#define SHARED_VA  0x60000000u
#define PERSIST_VA 0x70000000u

#define PERSIST_SIG(c, s) (0x9e000000u | (c) << 8 | (s))
#define SH_SIG(x)	  (0x5f000000u | (x))
#define REUSE_SIG	  0x0dd0f00du

/*
 * About 3 instructions per round: long enough for the slowest vCPU under
 * Bochs, short enough that a lost vCPU fails the test, not hangs it.
 */
#define WAIT_ROUNDS 400000000u

struct cpu {
	u32 index;
	struct pg_space sp[MAX_SPACES];
	u32 persist[MAX_SPACES];
	u32 frames[USER_PAGES];
	u32 checks, fails, shown;
	u32 last_gen, gens_seen;
	u32 barriers;
	const char *mname;
};

static u8 stacks[MAX_CPUS][STACK_SIZE] __aligned(16);
static struct vcpu_boot boots[MAX_CPUS];
static struct cpu cpus[MAX_CPUS];
static u32 ncpus = 1, nspaces, iters;
static enum pg_mode mode_list[PG_NR_MODES];
static u32 nmodes;

/* Set up by vCPU 0 for the current mode, between barriers. */
static enum pg_mode mode;
static struct pg_space kernel, shared;
static u32 spt; /* the shared page table */
static u32 sh_frames[NR_SH_FRAMES];
static volatile u32 gen;
static volatile u32 acks[MAX_CPUS];
static u32 rounds;
static volatile u32 barrier_count, done_count;

/* ---- checks ---------------------------------------------------------- */

static __printf(3, 4) bool verify(struct cpu *c, bool ok, const char *fmt, ...)
{
	char what[GPRINTF_MAX - 48];
	va_list ap;

	c->checks++;
	if (ok)
		return true;
	c->fails++;
	if (c->shown++ < MAX_SHOWN) {
		va_start(ap, fmt);
		vgsnprintf(what, sizeof(what), fmt, ap);
		va_end(ap);
		failf("vCPU %u %s: %s", c->index, c->mname, what);
	}
	return false;
}

static bool v_read(struct cpu *c, u32 va, u32 want, const char *what)
{
	struct pg_fault f;
	u32 got = pg_read32(va, &f);

	return verify(c, f.vector < 0 && got == want,
		      "%s: read 0x%x: got 0x%x (vector %d, error 0x%x), "
		      "expected 0x%x",
		      what, va, got, f.vector, f.error, want);
}

static bool v_fault(struct cpu *c, u32 va, bool write, u32 error,
		    const char *what)
{
	struct pg_fault f;
	char fs[48];

	if (write)
		pg_write32(va, 0xbadbad00, &f);
	else
		pg_read32(va, &f);
	pg_fault_str(&f, fs, sizeof(fs));
	return verify(c, pg_fault_is(&f, VECTOR_PF, error, va),
		      "%s: %s 0x%x: %s, expected #PF error 0x%x", what,
		      write ? "write" : "read", va, fs, error);
}

static bool wait_until(volatile u32 *p, u32 value)
{
	u32 n;

	for (n = 0; n < WAIT_ROUNDS; n++) {
		if (__atomic_load_n(p, __ATOMIC_ACQUIRE) >= value)
			return true;
		cpu_relax();
	}
	return false;
}

static void barrier(struct cpu *c)
{
	u32 target = ++c->barriers * ncpus;

	__atomic_add_fetch(&barrier_count, 1, __ATOMIC_ACQ_REL);
	if (!wait_until(&barrier_count, target))
		failf("vCPU %u: barrier %u: the other vCPUs never came",
		      c->index, c->barriers);
}

/* ---- layout ------------------------------------------------------------ */

static u32 large(void)
{
	return pg_large_size(mode);
}

static u32 user_va(u32 k)
{
	return USER_VA + (k / 4) * large() + (k % 4) * 3 * PG_PAGE_SIZE;
}

static u32 pattern(const struct cpu *c, u32 it, u32 k)
{
	return (c->index << 28 | it << 12 | k << 4) ^ 0x0a5a0a50u;
}

static u32 pte_of(const struct pg_space *s, u32 va)
{
	return pg_entry_addr(s, va, PG_LEVEL_PT);
}

static void flush_page(u32 va, u32 it)
{
	if (it % 2)
		pg_invlpg(va);
	else
		pg_flush();
}

static bool new_space(struct cpu *c, struct pg_space *s)
{
	return verify(c,
		      pg_space_init(s, mode) &&
			      pg_share(s, &kernel, 0, pg_ident_end()) == 0,
		      "new address space: the pool ran out");
}

static void drop_space(struct pg_space *s)
{
	pg_space_destroy(s, 0, pg_ident_end());
}

/* ---- one iteration's steps -------------------------------------------- */

/* Every space says which it is; the CR3 switches of a scheduler. */
static void switch_around(struct cpu *c)
{
	u32 i;

	for (i = 0; i < nspaces; i++) {
		pg_load(&c->sp[i]);
		v_read(c, PERSIST_VA + 0x10, PERSIST_SIG(c->index, i),
		       "own page of the space just switched to");
	}
}

static void exec_map(struct cpu *c, const struct pg_space *s, u32 it)
{
	u32 k, off, va;

	for (k = 0; k < USER_PAGES; k++) {
		c->frames[k] = pg_alloc();
		if (!verify(c,
			    c->frames[k] && pg_map(s, user_va(k), c->frames[k],
						   PG_P | PG_RW) == 0,
			    "exec: pool ran out"))
			return;
	}
	for (k = 0; k < USER_PAGES; k++)
		for (off = 0; off < PG_PAGE_SIZE; off += 0x7fc) {
			va = user_va(k) + off;
			*(volatile u32 *)va = pattern(c, it, k) + off;
		}
	for (k = 0; k < USER_PAGES; k++)
		for (off = 0; off < PG_PAGE_SIZE; off += 0x7fc)
			verify(c,
			       *(volatile u32 *)(c->frames[k] + off) ==
				       pattern(c, it, k) + off,
			       "exec: page %u offset 0x%x not in its frame", k,
			       off);
}

static void change_ptes(struct cpu *c, const struct pg_space *s, u32 it)
{
	u32 g = pg_alloc(), va;
	pte_t old;

	/* Page 0 moves to a new frame. */
	va = user_va(0);
	*(volatile u32 *)(g + 0x20) = ~pattern(c, it, 0);
	pg_set(mode, pte_of(s, va), g | PG_P | PG_RW);
	flush_page(va, it);
	v_read(c, va + 0x20, ~pattern(c, it, 0), "moved page: new frame");
	*(volatile u32 *)(va + 0x24) = pattern(c, it, 9);
	verify(c,
	       *(volatile u32 *)(g + 0x24) == pattern(c, it, 9) &&
		       *(volatile u32 *)c->frames[0] == pattern(c, it, 0),
	       "moved page: a write went to the old frame");
	pg_free(c->frames[0]);
	c->frames[0] = g;

	/* Page 1 becomes read-only. */
	va = user_va(1);
	pg_set(mode, pte_of(s, va), c->frames[1] | PG_P);
	flush_page(va, it);
	v_read(c, va, pattern(c, it, 1), "read-only page: readable");
	v_fault(c, va + 0x7fc, true, PF_P | PF_W, "read-only page: write");
	verify(c,
	       *(volatile u32 *)(c->frames[1] + 0x7fc) ==
		       pattern(c, it, 1) + 0x7fc,
	       "read-only page: the faulting write changed it");

	/* Page 2 goes away; the processor set its dirty flag. */
	va = user_va(2);
	old = pg_xchg(mode, pte_of(s, va), 0);
	verify(c,
	       (old & ~(pte_t)(PG_A | PG_D)) == (c->frames[2] | PG_P | PG_RW) &&
		       (old & PG_D),
	       "cleared PTE: old value 0x%llx, expected frame 0x%x, P, "
	       "R/W and the dirty flag",
	       old, c->frames[2]);
	flush_page(va, it);
	v_fault(c, va, false, 0, "cleared PTE: read");
	v_fault(c, va + 4, true, PF_W, "cleared PTE: write");
	pg_free(c->frames[2]);
	c->frames[2] = 0;
}

/* Make the parent's mapping of page k read-only or writable again. */
static void set_rw(const struct pg_space *s, u32 k, u32 frame, bool rw)
{
	pg_set(mode, pte_of(s, user_va(k)), frame | PG_P | (rw ? PG_RW : 0));
}

static void fork_cow(struct cpu *c, struct pg_space *parent, u32 it)
{
	struct pg_space child;
	u32 k, h;

	if (!new_space(c, &child))
		return;
	for (k = 0; k < USER_PAGES; k++) {
		if (!c->frames[k])
			continue;
		verify(c, pg_map(&child, user_va(k), c->frames[k], PG_P) == 0,
		       "fork: pool ran out");
		set_rw(parent, k, c->frames[k], false);
	}
	pg_flush(); /* the parent's writable TLB entries go */
	pg_load(&child);
	v_read(c, user_va(3) + 0x7fc, pattern(c, it, 3) + 0x7fc,
	       "fork: child reads the parent's page");
	v_read(c, user_va(5), pattern(c, it, 5), "fork: child, second table");
	v_fault(c, user_va(2), false, 0, "fork: child, unmapped page");
	v_fault(c, user_va(3), true, PF_P | PF_W, "fork: child writes");

	/* Copy-on-write break in the child. */
	h = pg_alloc();
	memcpy((void *)h, (void *)c->frames[3], PG_PAGE_SIZE);
	pg_set(mode, pte_of(&child, user_va(3)), h | PG_P | PG_RW);
	pg_invlpg(user_va(3));
	*(volatile u32 *)user_va(3) = 0xc0c0c0c0u;
	verify(c,
	       *(volatile u32 *)h == 0xc0c0c0c0u &&
		       *(volatile u32 *)c->frames[3] == pattern(c, it, 3),
	       "fork: child's write after the copy-on-write break");

	/* The child exits. */
	pg_load(parent);
	drop_space(&child);
	pg_free(h);
	v_read(c, user_va(3), pattern(c, it, 3), "fork: parent's page kept");
	for (k = 3; k < USER_PAGES; k++) {
		v_fault(c, user_va(k) + 8, true, PF_P | PF_W,
			"fork: parent writes a shared page");
		set_rw(parent, k, c->frames[k], true);
		pg_invlpg(user_va(k));
		*(volatile u32 *)(user_va(k) + 8) = pattern(c, it, k) ^ 1;
	}
	set_rw(parent, 0, c->frames[0], true);
	pg_invlpg(user_va(0));
}

static void exit_unmap(struct cpu *c, const struct pg_space *s, u32 it)
{
	u32 k, x, i, va = USER_VA + 2 * large() + 5 * PG_PAGE_SIZE;

	for (k = 0; k < USER_PAGES; k++)
		if (c->frames[k])
			pg_free(c->frames[k]);
	pg_free_tables(s, USER_VA, 2 * large());
	pg_flush();
	for (k = 0; k < USER_PAGES; k += 3)
		v_fault(c, user_va(k), k % 2, k % 2 ? PF_W : 0,
			"exit: the page is unmapped");

	/* The freed tables come back first: now data that looks like PTEs. */
	x = pg_alloc();
	for (i = 0; i < pg_nr_entries(mode); i++)
		pg_set(mode, x + i * pg_entry_size(mode),
		       c->persist[it % nspaces] | PG_P | PG_RW);
	*(volatile u32 *)(x + 0x18) = REUSE_SIG;
	verify(c, pg_map(s, va, x, PG_P | PG_RW) == 0, "exit: pool ran out");
	v_read(c, va + 0x18, REUSE_SIG, "exit: a freed table reused as data");
	*(volatile u32 *)(va + 0x1c) = it;
	verify(c, *(volatile u32 *)(x + 0x1c) == it,
	       "exit: a write to the reused table's page");
	for (k = 0; k < USER_PAGES; k++)
		v_fault(c, user_va(k), false, 0,
			"exit: the reused table maps nothing");
	pg_free_tables(s, USER_VA, 3 * large());
	pg_flush();
	pg_free(x);
}

/* ---- the shared page table --------------------------------------------- */

static pte_t sh_entry(u32 g, u32 j)
{
	if (j == g % SH_PAGES)
		return 0;
	return sh_frames[(g + j) % NR_SH_FRAMES] | PG_P | (j % 2 ? PG_RW : 0);
}

static void write_shared(u32 g)
{
	u32 j;

	for (j = 0; j < SH_PAGES; j++) {
		if (j % 3 == 0)
			pg_xchg(mode, spt + j * pg_entry_size(mode),
				sh_entry(g, j));
		else
			pg_set(mode, spt + j * pg_entry_size(mode),
			       sh_entry(g, j));
	}
}

/* vCPU 0: a new generation once every vCPU has checked the last. */
static void shared_writer(void)
{
	u32 i, g = gen;

	for (i = 0; i < ncpus; i++)
		if (__atomic_load_n(&acks[i], __ATOMIC_ACQUIRE) != g)
			return;
	write_shared(g + 1);
	__atomic_store_n(&gen, g + 1, __ATOMIC_RELEASE);
	rounds++;
}

static void shared_reader(struct cpu *c, const struct pg_space *own)
{
	u32 g = __atomic_load_n(&gen, __ATOMIC_ACQUIRE), j, va;
	bool via_shared = g % 2 == 0;

	if (g == c->last_gen)
		return;
	if (via_shared) {
		pg_load(&shared);
	} else {
		for (j = 0; j < SH_PAGES; j++)
			pg_invlpg(SHARED_VA + j * PG_PAGE_SIZE);
	}
	for (j = 0; j < SH_PAGES; j++) {
		va = SHARED_VA + j * PG_PAGE_SIZE;
		if (j == g % SH_PAGES) {
			v_fault(c, va, false, 0, "shared table: cleared PTE");
			continue;
		}
		v_read(c, va, SH_SIG((g + j) % NR_SH_FRAMES),
		       via_shared ? "shared table, shared space"
				  : "shared table, own space");
		if (j % 2 == 0)
			v_fault(c, va + 4, true, PF_P | PF_W,
				"shared table: read-only PTE");
	}
	if (via_shared)
		pg_load(own);
	c->last_gen = g;
	c->gens_seen++;
	__atomic_store_n(&acks[c->index], g, __ATOMIC_RELEASE);
}

/* ---- per vCPU ------------------------------------------------------------ */

static bool build_spaces(struct cpu *c)
{
	u32 i, ea;

	for (i = 0; i < nspaces; i++) {
		c->persist[i] = pg_alloc();
		if (!c->persist[i] || !new_space(c, &c->sp[i]))
			return false;
		*(volatile u32 *)(c->persist[i] + 0x10) =
			PERSIST_SIG(c->index, i);
		ea = pg_entry_make(&c->sp[i], SHARED_VA, PG_LEVEL_PD);
		if (!verify(c,
			    ea && pg_map(&c->sp[i], PERSIST_VA, c->persist[i],
					 PG_P | PG_RW) == 0,
			    "pool ran out"))
			return false;
		pg_set(mode, ea, spt | PG_P | PG_RW | PG_US);
	}
	return true;
}

static void drop_spaces(struct cpu *c)
{
	u32 i;

	for (i = 0; i < nspaces; i++) {
		pg_set(mode, pg_entry_addr(&c->sp[i], SHARED_VA, PG_LEVEL_PD),
		       0);
		drop_space(&c->sp[i]);
		pg_free(c->persist[i]);
	}
}

static void churn(struct cpu *c)
{
	struct pg_space *s;
	u32 it;

	c->mname = pg_mode_name(mode);
	c->checks = c->fails = c->shown = c->gens_seen = 0;
	c->last_gen = ~0u;
	if (!build_spaces(c))
		return;
	pg_enable(&c->sp[0]);
	for (it = 0; it < iters; it++) {
		switch_around(c);
		s = &c->sp[it % nspaces];
		pg_load(s);
		exec_map(c, s, it);
		change_ptes(c, s, it);
		fork_cow(c, s, it);
		exit_unmap(c, s, it);
		if (c->index == 0)
			shared_writer();
		shared_reader(c, s);
	}
	pg_disable();
	drop_spaces(c);
	checkf(c->fails == 0 && c->gens_seen > 0,
	       "vCPU %u %s: %u iterations, %u checks (%u failed), %u "
	       "generations of the shared table checked",
	       c->index, c->mname, iters, c->checks, c->fails, c->gens_seen);
}

/* Every vCPU, every mode, in step. */
static void run_modes(struct cpu *c)
{
	u32 i;

	for (i = 0; i < nmodes; i++) {
		barrier(c); /* vCPU 0 has set up the mode */
		churn(c);
		barrier(c); /* nobody runs with paging on */
		barrier(c); /* vCPU 0 has torn it down */
	}
}

static void secondary_main(u32 index, struct vcpu_boot *boot)
{
	struct cpu *c = &cpus[index];

	pg_cpu_init();
	c->index = index;
	__atomic_store_n(&boot->started, 1, __ATOMIC_RELEASE);
	run_modes(c);
	__atomic_add_fetch(&done_count, 1, __ATOMIC_ACQ_REL);
}

/* ---- vCPU 0 ---------------------------------------------------------------- */

static bool setup_mode(enum pg_mode m)
{
	u32 i;

	mode = m;
	if (!pg_space_init(&kernel, m) ||
	    pg_map_identity(&kernel, pg_ident_end(), false) != 0 ||
	    !pg_space_init(&shared, m) ||
	    pg_share(&shared, &kernel, 0, pg_ident_end()) != 0)
		return false;
	for (i = 0; i < NR_SH_FRAMES; i++) {
		sh_frames[i] = pg_alloc();
		*(volatile u32 *)sh_frames[i] = SH_SIG(i);
	}
	spt = pg_alloc();
	pg_set(m, pg_entry_make(&shared, SHARED_VA, PG_LEVEL_PD),
	       spt | PG_P | PG_RW | PG_US);
	gen = 0;
	rounds = 0;
	for (i = 0; i < MAX_CPUS; i++)
		acks[i] = ~0u;
	write_shared(0);
	return true;
}

static void teardown_mode(void)
{
	u32 i;

	pg_set(mode, pg_entry_addr(&shared, SHARED_VA, PG_LEVEL_PD), 0);
	pg_space_destroy(&shared, 0, pg_ident_end());
	pg_space_destroy(&kernel, 0, 0);
	pg_free(spt);
	for (i = 0; i < NR_SH_FRAMES; i++)
		pg_free(sh_frames[i]);
}

static void choose_modes(u32 mask)
{
	enum pg_mode m;

	for (m = PG_MODE_32BIT; m < PG_NR_MODES; m++)
		if ((mask & (1u << m)) &&
		    checkf(pg_mode_supported(m), "%s paging offered (CPUID)",
			   pg_mode_name(m)))
			mode_list[nmodes++] = m;
}

static void start_secondaries(void)
{
	struct partition_info pi;
	u32 i;

	if (!is_shade()) {
		failf("not under Shade: vCPU 0 churns alone");
		return;
	}
	if (!self_info(&pi))
		return;
	ncpus = pi.ncpus < MAX_CPUS ? pi.ncpus : MAX_CPUS;
	for (i = 1; i < ncpus; i++)
		checkf(vcpu_start(i, &boots[i], stacks[i], STACK_SIZE,
				  secondary_main) == 0,
		       "HC_VCPU_START(%u)", i);
}

/* vCPU 0's side of run_modes(): the set-up and tear-down of each mode. */
static void run_modes0(struct cpu *c)
{
	u32 i, before;

	for (i = 0; i < nmodes; i++) {
		before = pg_pool_free_pages();
		if (!checkf(setup_mode(mode_list[i]), "%s: shared set-up",
			    pg_mode_name(mode_list[i])))
			return;
		gprintf("%s paging: %u vCPUs, %u spaces each, %u "
			"iterations\n",
			pg_mode_name(mode), ncpus, nspaces, iters);
		barrier(c);
		churn(c);
		barrier(c);
		checkf(rounds > 0,
		       "%s: the shared table was rewritten %u "
		       "times while the others read it",
		       pg_mode_name(mode), rounds);
		teardown_mode();
		checkf(pg_pool_free_pages() == before,
		       "%s: every page back in the pool (%u of %u)",
		       pg_mode_name(mode), pg_pool_free_pages(), before);
		barrier(c);
	}
}

u32 guest_main(u32 magic, u32 info)
{
	static char cmdline[128];
	struct cpu *c = &cpus[0];

	if (!pg_guest_init(magic, info, IDENT_MAX, 0, cmdline, sizeof(cmdline)))
		guest_poweroff(report());
	nspaces = pg_cmdline_u32(cmdline, "spaces", DEF_SPACES);
	iters = pg_cmdline_u32(cmdline, "iters", DEF_ITERS);
	if (nspaces == 0 || nspaces > MAX_SPACES)
		nspaces = DEF_SPACES;
	choose_modes(pg_cmdline_u32(cmdline, "modes", ALL_MODES));
	start_secondaries();
	run_modes0(c);
	checkf(ncpus == 1 || wait_until(&done_count, ncpus - 1),
	       "all %u vCPUs finished", ncpus);
	guest_poweroff(report());
}
