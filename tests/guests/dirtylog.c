// SPDX-License-Identifier: MIT
/*
 * dirtylog: self-logging under racing writers, after KVM's dirty_log_test
 * (tests/integration/dirtylog-race.sh). A partition of 3 vCPUs on
 * different physical CPUs logs its own RAM. vCPUs 1 and 2, the writers,
 * store into pseudo-random pages of a 4 MiB test area while vCPU 0 takes
 * HC_DIRTY_LOG_GET after GET and checks every write against them.
 *
 * Timeline. vCPU 0 publishes `phase`: 2k-1 just before GET number k, 2k
 * right after it. A writer reads phase (p1), stores p1 into the page,
 * fences, reads phase again (p2) and appends {page, p1, p2} to its log.
 * The write began after GETs 1..p1/2 had returned, so none of those may
 * be what reports it; it was complete before GET (p2+1)/2 + 1 began, so
 * that one or an earlier one must report it (contract section 5). So:
 *
 *   (a) each logged write's page is in the bitmap of some GET j with
 *       p1/2 + 1 <= j <= (p2+1)/2 + 1. A write that fell wholly between
 *       two GETs (p1 == p2, even) has exactly one GET that may report it.
 *       Anything else is a lost write.
 *   (b) a page GET k reports holds a value written for GET k - 1, k or
 *       (since the writers go on) k + 1, as in KVM's check; an older one,
 *       or the test area's initial value, counts as a false positive
 *       (c), which the contract allows rarely: under 1%. One page in 16
 *       is never written at all, so that a report of it is plainly false.
 *
 * Bochs empties a CPU's TLB at every VM exit, so a writable TLB entry
 * that a GET failed to shoot down is only used by a vCPU that has not
 * left guest mode since: half of the time the writers write 16 hot pages
 * only, whose entries stay, and the shootdown test below makes no store
 * between its two writes. vCPU 0 varies how many writes it lets happen
 * between GETs (none to a thousand), so that GETs find few or many pages
 * dirty.
 *
 * Runs: paging off, then the guest's own 32-bit and PAE page tables,
 * where the writers reach each test page through three mappings: the
 * identity map (4 MiB or 2 MiB pages), an alias of 4 KiB pages and an
 * alias of large pages; between GETs vCPU 0 churns the 4 KiB alias's
 * page tables (switching between two copies, clearing accessed and
 * dirty flags) and the writers switch between two roots. Each mode runs
 * the race under the policies auto, rmap, walk and words (HC_STATS must
 * count the GETs, the forced path, the pages and shootdown rounds), then
 * the shootdown test under each:
 *
 *   both writers write page X (their TLBs now hold it writable); GET
 *   reports X; one writer writes X once more; the next GET must report
 *   X again. Without a TLB shootdown in the first GET that write would
 *   go through the stale writable entry, fault nowhere, and be lost.
 *
 * Paging modes also check that Shade's own writes to the guest's page
 * tables (accessed and dirty flags, emulated page-table writes) are
 * logged. Command line: iters=N (GETs per race), rounds=N (shootdown
 * rounds per policy), modes=M (bit 0 paging off, 1 32-bit, 2 PAE),
 * sti=1 (every vCPU runs with interrupts enabled; they start disabled).
 *
 * Past 800 lines: a guest is one file (guests.mk), and the writers, the
 * checks and the page tables they run on share the timeline above.
 */
#include "guest.h"
#include "dlog.h"

#define NCPUS	   3
#define NWRITERS   2
#define STACK_SIZE 8192

#define TEST_BASE  0x400000u /* 4 MiB: well above the image */
#define TEST_PAGES 1024u     /* 4 MiB */
#define TEST_GFN   (TEST_BASE >> DLOG_PAGE_SHIFT)
#define TEST_WORDS (TEST_PAGES / 32)
#define INIT_VALUE 0xffffffffu /* a test page nobody wrote since init */

/* Every 16th page is never written: a report of it is a false positive. */
static bool is_sentinel(u32 page)
{
	return page % 16 == 15;
}

/* Guest-virtual bases of the test area with paging on (identity first). */
#define ALIAS_4K    0x40000000u
#define ALIAS_LARGE 0x80000000u
#define NALIAS	    3

#define LOG_SIZE 4096u /* entries per writer, a power of two */
#define HIST	 64u   /* bitmaps of the test area kept, for check (a) */

#define WAIT_ROUNDS 200000000u

enum mode { MODE_OFF, MODE_32, MODE_PAE, NMODES };
static const char *const mode_names[NMODES] = {"paging off", "32-bit paging",
					       "PAE paging"};
static const char *const policy_names[DIRTY_LOG_POLICY_COUNT] = {
	"auto", "rmap", "walk", "seed", "words"};
/* The policies raced: every path (seed takes the same two as auto). */
static const u32 raced[] = {DIRTY_LOG_POLICY_AUTO, DIRTY_LOG_POLICY_RMAP,
			    DIRTY_LOG_POLICY_WALK, DIRTY_LOG_POLICY_WORDS};

/* ---- shared between vCPU 0 and the writers ---- */

enum op { OP_IDLE, OP_RACE, OP_PRIME, OP_ONCE, OP_PAGING };

/*
 * A command: vCPU 0 fills it in, then bumps seq; each writer does it and
 * stores seq into its ack (OP_RACE: once a later command has stopped
 * it). All in one cache line, so in one page: vCPU 0's stores make that
 * page writable before the writers' acks, which then never fault.
 */
static struct {
	u32 op;
	u32 mode;  /* OP_PAGING */
	u32 page;  /* OP_PRIME, OP_ONCE */
	u32 value; /* OP_ONCE */
	u32 who;   /* OP_ONCE: the writer that writes */
	volatile u32 seq;
	volatile u32 ack[NWRITERS];
} cmd __aligned(64);

static volatile u32 phase;
static volatile u32 force_hot; /* the writers write hot pages only */

/* sti=1 on the command line: every vCPU runs with interrupts enabled. */
static u32 writers_sti;

/* One write, as its writer logged it. */
struct wlog {
	u16 page;
	u16 alias;
	u32 p1, p2;
};
static struct wlog logs[NWRITERS][LOG_SIZE];
static volatile u32 head[NWRITERS];    /* entries published */
static volatile u32 checked[NWRITERS]; /* entries vCPU 0 is done with */

static u8 stacks[NCPUS][STACK_SIZE] __aligned(16);
static struct vcpu_boot boots[NCPUS];

/* ---- the guest's page tables (paging modes) ---- */

#define PTE_P	(1u << 0)
#define PTE_RW	(1u << 1)
#define PTE_A	(1u << 5)
#define PTE_D	(1u << 6)
#define PTE_PS	(1u << 7)
#define PTE_AVL (1u << 9)
#define CR0_WP	(1u << 16)
#define CR4_PSE (1u << 4)
#define CR4_PAE (1u << 5)

/* 32-bit: two roots, two copies of the alias's page table. */
static u32 pd32[2][1024] __aligned(4096);
static u32 pt32[2][1024] __aligned(4096);
/* PAE: two roots (PDPTs), three directories shared by both, two copies
 * of the alias's two page tables. Entries are 8 bytes, kept here as two
 * 4-byte halves (entry i is words 2i, 2i+1): every address is below
 * 4 GiB, so the high halves stay 0 and each update is one 4-byte store. */
static u32 pdpt[2][1024] __aligned(4096);
static u32 pdpae[3][1024] __aligned(4096);
static u32 ptpae[2][2][1024] __aligned(4096);
static u32 roots[NMODES][2];
static u32 alias_copy; /* which copy the alias uses now */

static u32 alias_base[NALIAS] = {TEST_BASE, ALIAS_4K, ALIAS_LARGE};

/* ---- vCPU 0's records ---- */

static u32 bm[4096 / 4] __aligned(4096); /* the GET's buffer */
static u32 hist[HIST][TEST_WORDS];	 /* test-area bits of GET k % HIST */
static u32 bm_bytes, npages;
static u32 nget; /* GETs so far: GET k is the k-th */

struct run_stats {
	u32 gets, writes, lost, unchecked, reported, never, stale, future;
	u32 cycles; /* DISABLE/ENABLE cycles */
	u64 sum_rc;
};
static u64 total_checked, total_lost;

static volatile u32 *test_page(u32 page)
{
	return (volatile u32 *)(TEST_BASE + page * DLOG_PAGE_SIZE);
}

/* ---- paging ---- */

static void build_32(void)
{
	u32 r, i, c;

	for (c = 0; c < 2; c++)
		for (i = 0; i < 1024; i++)
			pt32[c][i] = (TEST_BASE + i * DLOG_PAGE_SIZE) | PTE_P |
				     PTE_RW;
	for (r = 0; r < 2; r++) {
		for (i = 0; i < 4; i++) /* identity, 0-16 MiB, 4 MiB pages */
			pd32[r][i] = (i << 22) | PTE_P | PTE_RW | PTE_PS;
		pd32[r][ALIAS_4K >> 22] = (u32)pt32[0] | PTE_P | PTE_RW;
		pd32[r][ALIAS_LARGE >> 22] =
			TEST_BASE | PTE_P | PTE_RW | PTE_PS;
		roots[MODE_32][r] = (u32)pd32[r];
	}
}

static void build_pae(void)
{
	u32 r, i, c, h;

	for (c = 0; c < 2; c++)
		for (h = 0; h < 2; h++)
			for (i = 0; i < 512; i++)
				ptpae[c][h][2 * i] =
					(TEST_BASE +
					 (h * 512 + i) * DLOG_PAGE_SIZE) |
					PTE_P | PTE_RW;
	for (i = 0; i < 8; i++) /* identity, 0-16 MiB, 2 MiB pages */
		pdpae[0][2 * i] = (i << 21) | PTE_P | PTE_RW | PTE_PS;
	for (h = 0; h < 2; h++) {
		pdpae[1][2 * h] = (u32)ptpae[0][h] | PTE_P | PTE_RW;
		pdpae[2][2 * h] =
			(TEST_BASE + (h << 21)) | PTE_P | PTE_RW | PTE_PS;
	}
	for (r = 0; r < 2; r++) {
		for (i = 0; i < 3; i++) /* PDPTEs: P only, RW is reserved */
			pdpt[r][2 * i] = (u32)pdpae[i] | PTE_P;
		roots[MODE_PAE][r] = (u32)pdpt[r];
	}
}

/* Turn paging on in mode m on this vCPU (from paging off), or off. */
static void paging_on(enum mode m)
{
	if (m == MODE_OFF)
		return;
	write_cr4(read_cr4() | (m == MODE_32 ? CR4_PSE : CR4_PAE));
	write_cr3(roots[m][0]);
	write_cr0(read_cr0() | X86_CR0_PG | CR0_WP);
}

static void paging_off(void)
{
	write_cr0(read_cr0() & ~(X86_CR0_PG | CR0_WP));
	write_cr4(read_cr4() & ~(CR4_PSE | CR4_PAE));
}

static void invlpg(u32 va)
{
	asm volatile("invlpg (%0)" : : "r"(va) : "memory");
}

/* The alias's entry for page in copy c, and the page table holding it. */
static volatile u32 *alias_pte(enum mode m, u32 c, u32 page)
{
	if (m == MODE_32)
		return &pt32[c][page];
	return &ptpae[c][page / 512][2 * (page % 512)];
}

/*
 * Page-table churn between GETs: point the alias at the other copy of
 * its page tables (one 4-byte store per entry, the low half of a PAE
 * one), and clear accessed and dirty flags in entries of the copy just
 * left, which Shade's walker must set again when it is back.
 */
static void churn(enum mode m, u32 *rnd)
{
	u32 old = alias_copy, i, h;

	alias_copy ^= 1;
	if (m == MODE_32) {
		for (i = 0; i < 2; i++)
			((volatile u32 *)pd32[i])[ALIAS_4K >> 22] =
				(u32)pt32[alias_copy] | PTE_P | PTE_RW;
	} else {
		for (h = 0; h < 2; h++)
			((volatile u32 *)pdpae[1])[2 * h] =
				(u32)ptpae[alias_copy][h] | PTE_P | PTE_RW;
	}
	for (i = 0; i < 8; i++) {
		volatile u32 *e =
			alias_pte(m, old, dlog_rand(rnd) % TEST_PAGES);

		*e &= ~(PTE_A | PTE_D);
	}
}

/* ---- the writers (vCPUs 1 and 2) ---- */

static volatile u32 *writer_va(enum mode m, u32 alias, u32 page)
{
	if (m == MODE_OFF)
		alias = 0;
	return (volatile u32 *)(alias_base[alias] + page * DLOG_PAGE_SIZE);
}

/* Write pseudo-random pages until the next command; log each write. */
static void race_writer(u32 w, u32 seq, enum mode m)
{
	u32 h = head[w], rnd = 0x9e3779b9u * (w + 1) + seq;

	while (__atomic_load_n(&cmd.seq, __ATOMIC_ACQUIRE) == seq) {
		u32 r, page, alias, p1, p2;

		if (h - __atomic_load_n(&checked[w], __ATOMIC_ACQUIRE) >=
		    LOG_SIZE) {
			cpu_relax();
			continue;
		}
		r = dlog_rand(&rnd);
		page = r % TEST_PAGES;
		/* Every other run of 256 writes goes to 16 hot pages only
		 * (a set that moves every 1024 writes): their TLB entries
		 * stay, so that the writes that race with a GET go through
		 * them, without VM exits (Bochs empties the TLB at each). */
		if (!(h & 256) || force_hot)
			page = ((h / 1024) * 101 + (r & 15) * 37) % TEST_PAGES;
		if (is_sentinel(page))
			page ^= 1;
		alias = (r >> 16) % NALIAS;
		p1 = __atomic_load_n(&phase, __ATOMIC_ACQUIRE);
		*writer_va(m, alias, page) = p1 << 1 | w;
		dlog_fence();
		p2 = __atomic_load_n(&phase, __ATOMIC_ACQUIRE);
		logs[w][h % LOG_SIZE] = (struct wlog){page, alias, p1, p2};
		__atomic_store_n(&head[w], ++h, __ATOMIC_RELEASE);
		/* Root churn: a CR3 load every 256 writes. */
		if (m != MODE_OFF && h % 256 == 0)
			write_cr3(roots[m][(h / 256) & 1]);
	}
}

static void writer_main(u32 index, struct vcpu_boot *boot)
{
	u32 w = index - 1, seen = 0, seq, i;
	enum mode m = MODE_OFF;

	if (writers_sti)
		asm volatile("sti");
	__atomic_store_n(&boot->started, 1, __ATOMIC_RELEASE);
	for (;;) {
		while ((seq = __atomic_load_n(&cmd.seq, __ATOMIC_ACQUIRE)) ==
		       seen)
			cpu_relax();
		seen = seq;
		switch (cmd.op) {
		case OP_PAGING:
			paging_off();
			m = cmd.mode;
			paging_on(m);
			break;
		case OP_RACE:
			race_writer(w, seq, m);
			continue; /* stopped by a new command: do that one */
		case OP_PRIME:
			/* Several writes: the first faults, the rest go
			 * through the writable TLB entry it left. */
			for (i = 0; i < 4; i++)
				*writer_va(m, w + 1, cmd.page) = 0x70000000 + i;
			break;
		case OP_ONCE:
			if (cmd.who == w)
				*writer_va(m, w + 1, cmd.page) = cmd.value;
			break;
		}
		/*
		 * No fence and no other store before the ack (a release
		 * store, ordered after the ones above on x86): one that
		 * faulted would take this vCPU out of guest mode, and Bochs
		 * empties a CPU's TLB at every VM exit or entry, which
		 * would hide a missing shootdown from the test.
		 */
		__atomic_store_n(&cmd.ack[w], seq, __ATOMIC_RELEASE);
	}
}

/* Issue a command; unless it is OP_RACE, wait until both writers did it. */
static bool command(u32 op)
{
	u32 seq = cmd.seq + 1, w;

	cmd.op = op;
	__atomic_store_n(&cmd.seq, seq, __ATOMIC_RELEASE);
	if (op == OP_RACE)
		return true;
	for (w = 0; w < NWRITERS; w++)
		if (!dlog_wait_eq(&cmd.ack[w], seq, WAIT_ROUNDS)) {
			failf("writer %u did not finish command %u", w + 1, op);
			return false;
		}
	return true;
}

/* ---- vCPU 0: GETs and checks ---- */

/*
 * GET number ++nget into bm, with phase 2k-1 published before it and 2k
 * right after it (so that writes through a TLB entry the GET should have
 * shot down are soon logged as "after GET k"); its count must equal the
 * bits it set.
 */
static i32 get(void)
{
	i32 rc;

	nget++;
	__atomic_store_n(&phase, 2 * nget - 1, __ATOMIC_SEQ_CST);
	rc = hc_dirty_log_get(PARTITION_SELF, 0, gpa_of(bm), bm_bytes);
	__atomic_store_n(&phase, 2 * nget, __ATOMIC_SEQ_CST);
	if (rc < 0) {
		failf("GET %u: %d", nget, rc);
		return rc;
	}
	if ((u32)rc != dlog_popcount(bm, npages)) {
		failf("GET %u returned %d but set %u bits", nget, rc,
		      dlog_popcount(bm, npages));
		return -1;
	}
	memcpy(hist[nget % HIST], &bm[TEST_GFN / 32], sizeof(hist[0]));
	return rc;
}

static bool gfn_reported(u32 gfn)
{
	return dlog_bit(bm, gfn);
}

static bool reported(u32 k, u32 page)
{
	return dlog_bit(hist[k % HIST], page);
}

/*
 * (b) and (c): what the pages GET k reported hold. The writers go on
 * meanwhile, so a page may hold a write made after GET k (k + 1); one
 * older than GET k - 1 is stale.
 */
static void check_values(u32 k, struct run_stats *rs)
{
	u32 page, v, l;

	for (page = 0; page < TEST_PAGES; page++) {
		if (!reported(k, page))
			continue;
		rs->reported++;
		v = *test_page(page);
		if (v == INIT_VALUE || is_sentinel(page)) {
			rs->never++;
			continue;
		}
		l = (v >> 1) / 2 + 1; /* the first GET that may report it */
		if (l > k + 1) {
			if (rs->future++ < 5)
				failf("GET %u: page %u holds 0x%x, written in "
				      "a round that has not begun",
				      k, page, v);
		} else if (l + 1 < k) {
			rs->stale++;
		}
	}
}

static void lost_write(u32 w, const struct wlog *e, u32 k, u32 lo, u32 hi)
{
	char seen[8];
	u32 j, n = 0;

	/* Which of GETs lo-2 .. hi+2 (at most k) reported the page. */
	for (j = lo > 2 ? lo - 2 : 1; j <= hi + 2 && j <= k; j++)
		seen[n++] = reported(j, e->page) ? '1' : '0';
	seen[n] = '\0';
	failf("lost write: vCPU %u, page %u (frame 0x%x), alias %u, phases "
	      "%u..%u: not in GETs %u..%u (GETs %u..: %s)",
	      w + 1, e->page, TEST_GFN + e->page, e->alias, e->p1, e->p2, lo,
	      hi, lo > 2 ? lo - 2 : 1, seen);
}

/* (a): every write logged up to h[] against the GETs up to k. */
static void check_writes(u32 k, const u32 *h, struct run_stats *rs)
{
	u32 w, i, j, lo, hi;

	for (w = 0; w < NWRITERS; w++) {
		for (i = checked[w]; i != h[w]; i++) {
			const struct wlog *e = &logs[w][i % LOG_SIZE];
			bool ok = false;

			lo = e->p1 / 2 + 1;
			hi = (e->p2 + 1) / 2 + 1;
			if (hi > k || lo > hi) {
				failf("write with phases %u..%u checked after "
				      "GET %u",
				      e->p1, e->p2, k);
				continue;
			}
			if (lo + HIST <= k) {
				rs->unchecked++;
				continue;
			}
			for (j = lo; j <= hi && !ok; j++)
				ok = reported(j, e->page);
			rs->writes++;
			if (!ok && rs->lost++ < 10)
				lost_write(w, e, k, lo, hi);
		}
		__atomic_store_n(&checked[w], h[w], __ATOMIC_RELEASE);
	}
}

static bool log_full(u32 w)
{
	return head[w] - checked[w] >= LOG_SIZE;
}

/* Let about `want` writes happen, or as many as the writers' logs still
 * take (bounded: the writers may be slow). */
static void let_writes_happen(u32 want)
{
	u32 start = head[0] + head[1], n;

	for (n = 0; n < 20000000u; n++) {
		if (head[0] + head[1] - start >= want ||
		    (log_full(0) && log_full(1)))
			return;
		cpu_relax();
	}
}

/*
 * DISABLE, some writes, ENABLE, with the writers going on: counted as
 * a GET that reports every page (the writes around it need not be
 * logged), after which every write must be again, whatever writable TLB
 * entries the writers got while the log was off.
 */
static bool enable_cycle(struct run_stats *rs)
{
	u32 h[NWRITERS], w;
	i32 off, on;

	for (w = 0; w < NWRITERS; w++)
		h[w] = __atomic_load_n(&head[w], __ATOMIC_ACQUIRE);
	nget++;
	__atomic_store_n(&phase, 2 * nget - 1, __ATOMIC_SEQ_CST);
	off = hc_dirty_log_disable(PARTITION_SELF, 0);
	/* Long enough for each writer to fault on all its hot pages, and
	 * then to write them through the TLB for a while. */
	let_writes_happen(512);
	on = hc_dirty_log_enable(PARTITION_SELF, 0);
	__atomic_store_n(&phase, 2 * nget, __ATOMIC_SEQ_CST);
	memset(hist[nget % HIST], 0xff, sizeof(hist[0]));
	if (off || on) {
		failf("DISABLE %d, ENABLE %d", off, on);
		return false;
	}
	rs->cycles++;
	check_writes(nget, h, rs);
	return true;
}

/* One GET with its checks; false after a failed GET. */
static bool race_iteration(struct run_stats *rs, u32 want)
{
	u32 h[NWRITERS], w;
	i32 rc;

	let_writes_happen(want);
	/* Before get() publishes phase 2k-1: every write logged up to h[]
	 * read its p2 before that. */
	for (w = 0; w < NWRITERS; w++)
		h[w] = __atomic_load_n(&head[w], __ATOMIC_ACQUIRE);
	rc = get();
	if (rc < 0)
		return false;
	rs->gets++;
	rs->sum_rc += (u32)rc;
	check_values(nget, rs);
	check_writes(nget, h, rs);
	return true;
}

/*
 * How many writes vCPU 0 lets happen before each GET: none (GETs back to
 * back, few pages dirty: the rmap path under auto) up to many (the walk).
 */
static const u32 gaps[] = {0, 4, 32, 256, 1024};

/* HC_STATS moved as the run's GETs and its policy say. */
static void check_run_stats(const char *what, u32 policy,
			    const struct shade_stats *s0,
			    const struct shade_stats *s1, u32 gets, u64 pages)
{
	u64 dg = s1->dirty_get_calls - s0->dirty_get_calls;
	u64 dr = s1->dirty_get_rmap_calls - s0->dirty_get_rmap_calls;
	u64 dw = s1->dirty_get_walk_calls - s0->dirty_get_walk_calls;
	u64 dp = s1->dirty_pages_reported - s0->dirty_pages_reported;
	u64 rounds = s1->tlb_shootdown_rounds - s0->tlb_shootdown_rounds;
	u64 ipis = s1->tlb_shootdown_ipis - s0->tlb_shootdown_ipis;
	bool rmap = policy == DIRTY_LOG_POLICY_RMAP ||
		    policy == DIRTY_LOG_POLICY_WORDS;
	bool path_ok = rmap				 ? dr == gets && !dw
		       : policy == DIRTY_LOG_POLICY_WALK ? dw == gets && !dr
							 : dr + dw == gets;

	checkf(dg == gets && dp == pages,
	       "%s: HC_STATS counts %llu GETs and %llu pages (made %u, "
	       "reported %llu)",
	       what, dg, dp, gets, pages);
	checkf(path_ok, "%s: %llu GETs by rmap, %llu by walk (policy %s)", what,
	       dr, dw, policy_names[policy]);
	checkf(rounds > 0, "%s: %llu TLB shootdown rounds, %llu IPIs", what,
	       rounds, ipis);
	checkf(s1->last_get_write_protect_cycles <= s1->last_get_cycles,
	       "%s: last GET took %llu cycles, %llu of them write-protecting",
	       what, s1->last_get_cycles, s1->last_get_write_protect_cycles);
}

/* Test area back to INIT_VALUE, then a GET that takes those writes. */
static i32 fresh_area(void)
{
	u32 page;

	for (page = 0; page < TEST_PAGES; page++)
		*test_page(page) = INIT_VALUE;
	return get();
}

/* The race: iters GETs against both writers, under policy, in mode m. */
static void run_race(enum mode m, u32 policy, u32 iters, u32 *rnd)
{
	struct run_stats rs = {0};
	struct shade_stats s0, s1;
	char what[64];
	u32 i;
	i32 rc;
	u64 t0 = dlog_rdtsc();

	gsnprintf(what, sizeof(what), "race, %s, %s", mode_names[m],
		  policy_names[policy]);
	if (!check_eq(hc_dirty_log_policy(PARTITION_SELF, policy), 0,
		      "HC_DIRTY_LOG_POLICY") ||
	    !dlog_stats(PARTITION_SELF, &s0) || (rc = fresh_area()) < 0)
		return;
	rs.sum_rc = (u32)rc;
	command(OP_RACE);
	for (i = 0; i < iters; i++) {
		/* Every 16th time a log off/on cycle first, hot pages only
		 * until the GET after it. */
		force_hot = i % 16 == 15;
		if (force_hot && !enable_cycle(&rs))
			break;
		if (!race_iteration(&rs,
				    gaps[dlog_rand(rnd) % ARRAY_SIZE(gaps)]))
			break;
		force_hot = 0;
		if (m != MODE_OFF)
			churn(m, rnd);
	}
	command(OP_IDLE);
	race_iteration(&rs, 0); /* the writes made since the last GET */
	if (!dlog_stats(PARTITION_SELF, &s1))
		return;
	gprintf("%s: %u GETs, %u log off/on, %u writes checked, %u lost, %u "
		"unchecked\n",
		what, rs.gets, rs.cycles, rs.writes, rs.lost, rs.unchecked);
	gprintf("%s: %u test pages reported, %u never written, %u stale; "
		"%u Mi cycles\n",
		what, rs.reported, rs.never, rs.stale,
		(u32)((dlog_rdtsc() - t0) >> 20));
	total_checked += rs.writes;
	total_lost += rs.lost;
	checkf(rs.lost == 0, "%s: no write lost (%u checked)", what, rs.writes);
	checkf(rs.future == 0, "%s: no page holds a value from the future",
	       what);
	checkf(rs.writes >= iters, "%s: at least one write per GET", what);
	checkf((rs.never + rs.stale) * 100 <= rs.reported,
	       "%s: false positives %u of %u reported pages (at most 1%%)",
	       what, rs.never + rs.stale, rs.reported);
	check_run_stats(what, policy, &s0, &s1, rs.gets + 1, rs.sum_rc);
}

/*
 * The shootdown test: both writers write page X (so their TLBs hold it
 * writable), a GET reports X, one writer writes X once more, and the next
 * GET must report X again. Every fourth round the log is off while they
 * write X, and an ENABLE takes the GET's place: the write after it must
 * be reported too.
 */
static bool shootdown_round(const char *what, u32 r, u32 page, u32 *gets,
			    u64 *pages)
{
	bool cycle = r % 4 == 3;
	i32 rc = 0;

	cmd.page = page;
	if (cycle && hc_dirty_log_disable(PARTITION_SELF, 0))
		return false;
	if (!command(OP_PRIME))
		return false;
	if (cycle) {
		nget++; /* as a GET that reports everything, for check (a) */
		memset(hist[nget % HIST], 0xff, sizeof(hist[0]));
		if (hc_dirty_log_enable(PARTITION_SELF, 0))
			return false;
	} else if ((rc = get()) < 0) {
		return false;
	} else {
		++*gets;
		*pages += (u32)rc;
		if (!reported(nget, page))
			failf("%s: round %u: the GET after both writers wrote "
			      "page %u did not report it",
			      what, r, page);
	}
	cmd.who = r % NWRITERS;
	cmd.value = 0x50000000 | r;
	if (!command(OP_ONCE) || (rc = get()) < 0)
		return false;
	++*gets;
	*pages += (u32)rc;
	if (reported(nget, page) && *test_page(page) == cmd.value)
		return reported(nget - 1, page);
	failf("%s: round %u: page %u (frame 0x%x) written by vCPU %u after "
	      "%s, not in GET %u (holds 0x%x); stale TLB?",
	      what, r, page, TEST_GFN + page, cmd.who + 1,
	      cycle ? "ENABLE" : "a GET", nget, *test_page(page));
	return false;
}

static void run_shootdown(enum mode m, u32 policy, u32 rounds, u32 *rnd)
{
	struct shade_stats s0, s1;
	u32 r, bad = 0, gets = 0;
	u64 pages = 0;
	char what[64];

	gsnprintf(what, sizeof(what), "shootdown, %s, %s", mode_names[m],
		  policy_names[policy]);
	if (!check_eq(hc_dirty_log_policy(PARTITION_SELF, policy), 0,
		      "HC_DIRTY_LOG_POLICY") ||
	    !dlog_stats(PARTITION_SELF, &s0))
		return;
	for (r = 0; r < rounds && bad < 5; r++)
		bad += !shootdown_round(what, r, dlog_rand(rnd) % TEST_PAGES,
					&gets, &pages);
	if (!dlog_stats(PARTITION_SELF, &s1))
		return;
	checkf(bad == 0,
	       "%s: %u rounds, the write after each GET or ENABLE reported",
	       what, r);
	check_run_stats(what, policy, &s0, &s1, gets, pages);
	checkf(s1.tlb_shootdown_rounds - s0.tlb_shootdown_rounds >= gets,
	       "%s: a shootdown round per GET (%llu rounds, %u GETs)", what,
	       s1.tlb_shootdown_rounds - s0.tlb_shootdown_rounds, gets);
}

/*
 * Shade's own writes to the guest's page tables are logged: the accessed
 * and dirty flags its walker sets, and a page-table write it emulates.
 * The writers are idle.
 */
static void run_walker_writes(enum mode m)
{
	const u32 page = 5;
	const u32 va = ALIAS_4K + page * DLOG_PAGE_SIZE;
	volatile u32 *pte = alias_pte(m, alias_copy, page);
	u32 pt = dlog_gfn(pte);
	const char *mn = mode_names[m];

	*pte &= ~(PTE_A | PTE_D);
	invlpg(va);
	if (get() < 0)
		return;
	(void)*(volatile u32 *)va;
	if (get() < 0)
		return;
	checkf((*pte & PTE_A) && !(*pte & PTE_D) && gfn_reported(pt),
	       "%s: a read through a clear accessed flag: the flag set (PTE "
	       "0x%x), its page table (frame 0x%x) reported",
	       mn, *pte, pt);
	checkf(!gfn_reported(TEST_GFN + page),
	       "%s: the page only read is not reported", mn);
	*(volatile u32 *)va = 0x600d600d;
	if (get() < 0)
		return;
	checkf((*pte & PTE_D) && gfn_reported(pt) &&
		       gfn_reported(TEST_GFN + page),
	       "%s: a write through a clear dirty flag: the flag set (PTE "
	       "0x%x), its page table and the page reported",
	       mn, *pte);
	*alias_pte(m, alias_copy, page + 1) ^= PTE_AVL;
	if (get() < 0)
		return;
	checkf(gfn_reported(pt),
	       "%s: a write into a page table in use (Shade emulates it) is "
	       "reported",
	       mn);
}

static bool start_writers(void)
{
	u32 i;

	for (i = 1; i < NCPUS; i++)
		if (!checkf(vcpu_start(i, &boots[i], stacks[i], STACK_SIZE,
				       writer_main) == 0,
			    "HC_VCPU_START(%u)", i))
			return false;
	for (i = 1; i < NCPUS; i++)
		if (!checkf(dlog_wait_eq(&boots[i].started, 1, WAIT_ROUNDS),
			    "vCPU %u runs", i))
			return false;
	return true;
}

static void set_mode(enum mode m)
{
	paging_off();
	cmd.mode = m;
	command(OP_PAGING);
	paging_on(m);
}

u32 guest_main(u32 magic, u32 info)
{
	u32 iters, rounds, modes, rnd = 0x2545f491u;
	struct partition_info pi;
	struct memslot_info ms;
	enum mode m;
	u32 p;

	iters = dlog_arg(bootinfo_cmdline(magic, info), "iters", 100);
	rounds = dlog_arg(bootinfo_cmdline(magic, info), "rounds", 20);
	modes = dlog_arg(bootinfo_cmdline(magic, info), "modes", 7);
	writers_sti = dlog_arg(bootinfo_cmdline(magic, info), "sti", 0);
	if (writers_sti)
		asm volatile("sti");
	trap_init();
	if (!check(is_shade(), "running under Shade") || !self_info(&pi) ||
	    !check_eq(pi.ncpus, NCPUS, "partition has 3 vCPUs") ||
	    !check_eq(hc_memslot_info(PARTITION_SELF, 0, gpa_of(&ms)), 0,
		      "HC_MEMSLOT_INFO(0, 0)"))
		return report();
	npages = (u32)ms.npages;
	bm_bytes = dlog_bitmap_bytes(npages);
	if (!check(npages >= TEST_GFN + TEST_PAGES && bm_bytes <= sizeof(bm) &&
			   (u32)_image_end <= TEST_BASE,
		   "the test area fits between the image and the end of RAM"))
		return report();
	gprintf("%u GETs per race, %u shootdown rounds, modes 0x%x\n", iters,
		rounds, modes);
	build_32();
	build_pae();
	if (!check_eq(hc_dirty_log_enable(PARTITION_SELF, 0), 0,
		      "HC_DIRTY_LOG_ENABLE") ||
	    !start_writers())
		return report();
	for (m = 0; m < NMODES; m++) {
		if (!(modes & (1u << m)))
			continue;
		set_mode(m);
		for (p = 0; p < ARRAY_SIZE(raced); p++)
			run_race(m, raced[p], iters, &rnd);
		for (p = 0; p < ARRAY_SIZE(raced); p++)
			run_shootdown(m, raced[p], rounds, &rnd);
		if (m != MODE_OFF)
			run_walker_writes(m);
		set_mode(MODE_OFF);
	}
	gprintf("checked writes: %llu, lost: %llu\n", total_checked,
		total_lost);
	return report();
}
