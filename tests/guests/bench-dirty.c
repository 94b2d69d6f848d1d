// SPDX-License-Identifier: MIT
/*
 * bench-dirty: the in-Shade dirty-log benchmark (make bench, bench/bochs).
 *
 * The partition logs its own RAM. With paging off, it first reads every
 * page of its test area, so that the shadow tables are fully built (each
 * page mapped, read-only), and clears the log. Then, for n = 1, 2, 4, ...
 * up to every page of the area, under each policy (rmap, walk, words,
 * seed, auto: contract section 5) and for up to `reps` repetitions (fewer
 * where n is large: each point writes at most `budget` pages per policy):
 * it writes one byte into n evenly spaced pages (n write faults, each
 * marking its page), calls HC_DIRTY_LOG_GET, and prints what HC_STATS
 * says about that GET:
 *
 *   B,<mem MiB>,<helpers>,<policy>,<n>,<reported>,<path>,<get cycles>,
 *     <write-protect cycles>,<shootdown rounds>,<IPIs>,<shadow pages>,
 *     <helper gap cycles>
 *
 * `helpers` extra vCPUs (-- helpers=N, 0-3) spin writing a page of their
 * own in guest mode on other physical CPUs, so that each GET's shootdown
 * must interrupt them. Each helper also reads the TSC around every write:
 * the longest gap between two of its writes since the previous GET (an
 * IPI exit, the write fault on its page that the GET protected, a wait
 * for the MMU lock) is the helper gap, what a vCPU felt of that GET. Its
 * page counts among the reported ones. Cycles are TSC cycles as the guest
 * sees them: under Bochs that is emulated time, for comparing points with
 * each other.
 */
#include "guest.h"

#define MIB	     (1024u * 1024u)
#define PAGE	     4096u
#define AREA_START   (16u * MIB) /* above the image, stacks, bitmap */
#define MAX_HELPERS  3
#define HELPER_STACK 4096
#define MAX_MEM	     (1024u * MIB)
#define BITMAP_BYTES (MAX_MEM / PAGE / 8)
#define POLICIES     5
#define WAIT_ROUNDS  200000000u

static u64 bitmap[BITMAP_BYTES / 8] __aligned(PAGE);
static u8 stacks[MAX_HELPERS + 1][HELPER_STACK] __aligned(16);
static struct vcpu_boot boots[MAX_HELPERS + 1];
static volatile u8 helper_page[MAX_HELPERS + 1][PAGE] __aligned(PAGE);
static volatile u32 helpers_stop;
static struct shade_stats st __aligned(8);

static const u32 policy_order[POLICIES] = {
	DIRTY_LOG_POLICY_RMAP, DIRTY_LOG_POLICY_WALK, DIRTY_LOG_POLICY_WORDS,
	DIRTY_LOG_POLICY_SEED, DIRTY_LOG_POLICY_AUTO,
};

/* Per helper: the longest gap between two of its writes since the main
 * vCPU last took it (in TSC cycles). Read and cleared by one_get(). 32
 * bits: a 64-bit atomic would be an x87 instruction here (i686, no SSE),
 * and the guest runs with no FPU set up; gaps stay far below 2^32. */
static u32 helper_gap[MAX_HELPERS + 1];

static inline u64 rdtsc(void)
{
	u32 lo, hi;

	asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (u64)hi << 32 | lo;
}

/* A helper vCPU: in guest mode, writing its own page, until told to stop
 * (each write after a GET faults once, then runs at full speed), and
 * noting the longest gap between two writes. */
static void helper_main(u32 index, struct vcpu_boot *boot)
{
	u64 last = rdtsc(), now;
	u32 i = 0, gap;

	__atomic_store_n(&boot->started, 1, __ATOMIC_RELEASE);
	while (!__atomic_load_n(&helpers_stop, __ATOMIC_ACQUIRE)) {
		helper_page[index][(i * 64) % PAGE] = (u8)i;
		i++;
		now = rdtsc();
		gap = now - last > 0xffffffffULL ? 0xffffffffu
						 : (u32)(now - last);
		last = now;
		if (gap > __atomic_load_n(&helper_gap[index], __ATOMIC_RELAXED))
			__atomic_store_n(&helper_gap[index], gap,
					 __ATOMIC_RELAXED);
	}
	__atomic_store_n(&boot->started, 2, __ATOMIC_RELEASE);
	for (;;)
		asm volatile("cli; hlt");
}

static bool start_helpers(u32 n)
{
	for (u32 i = 1; i <= n; i++) {
		if (vcpu_start(i, &boots[i], stacks[i], HELPER_STACK,
			       helper_main)) {
			failf("helper vCPU %u did not start", i);
			return false;
		}
		for (u32 w = 0; w < WAIT_ROUNDS && !boots[i].started; w++)
			cpu_relax();
		if (!boots[i].started) {
			failf("helper vCPU %u never ran", i);
			return false;
		}
	}
	return true;
}

static u32 arg_u32(const char *cmdline, const char *key, u32 dflt)
{
	size_t klen = strlen(key);

	for (const char *p = cmdline; *p; p++) {
		if ((p == cmdline || p[-1] == ' ') && !memcmp(p, key, klen) &&
		    p[klen] == '=') {
			const char *v = p + klen + 1;
			u32 val;

			if (parse_u32(&v, &val))
				return val;
		}
	}
	return dflt;
}

/* The longest helper gap since the last call, and a fresh start. */
static u32 take_helper_gap(u32 helpers)
{
	u32 gap = 0;

	for (u32 i = 1; i <= helpers; i++) {
		u32 g = __atomic_exchange_n(&helper_gap[i], 0,
					    __ATOMIC_RELAXED);

		gap = g > gap ? g : gap;
	}
	return gap;
}

static const char *policy_name(u32 policy)
{
	static const char *const names[] = {"auto", "rmap", "walk", "seed",
					    "words"};

	return policy < ARRAY_SIZE(names) ? names[policy] : "?";
}

/* One measured GET after dirtying n pages of the area spaced by stride. */
static bool one_get(u32 mem_mib, u32 helpers, u32 policy, u32 n, u32 stride,
		    u32 round)
{
	struct shade_stats before;
	u32 gap;
	i32 got;

	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (hc_stats(0, gpa_of(&st)))
		return false;
	before = st;
	for (u32 i = 0; i < n; i++)
		*(volatile u8 *)(AREA_START + i * stride * PAGE) = (u8)round;
	take_helper_gap(helpers);
	got = hc_dirty_log_get(0, 0, gpa_of(bitmap), sizeof(bitmap));
	/* The helpers' writes right after the GET fault on their pages (it
	 * protected them): let each get a few in before the gap is read. */
	for (u32 w = 0; w < 2000u * helpers; w++)
		cpu_relax();
	gap = take_helper_gap(helpers);
	if (got < 0 || hc_stats(0, gpa_of(&st))) {
		failf("GET of %u pages failed: %d", n, got);
		return false;
	}
	if ((u32)got < n) {
		failf("GET reported %d of the %u pages written", got, n);
		return false;
	}
	gprintf("B,%u,%u,%s,%u,%d,%s,%llu,%llu,%llu,%llu,%llu,%u\n", mem_mib,
		helpers, policy_name(policy), n, got,
		st.dirty_get_rmap_calls > before.dirty_get_rmap_calls ? "rmap"
								      : "walk",
		(unsigned long long)st.last_get_cycles,
		(unsigned long long)st.last_get_write_protect_cycles,
		(unsigned long long)(st.tlb_shootdown_rounds -
				     before.tlb_shootdown_rounds),
		(unsigned long long)(st.tlb_shootdown_ipis -
				     before.tlb_shootdown_ipis),
		(unsigned long long)st.shadow_pages_in_use, gap);
	return true;
}

u32 guest_main(u32 magic, u32 info)
{
	const char *cmdline = bootinfo_cmdline(magic, info);
	u32 helpers = arg_u32(cmdline, "helpers", 0);
	u32 reps = arg_u32(cmdline, "reps", 3);
	u32 budget = arg_u32(cmdline, "budget", 65536);
	struct partition_info pi;
	u32 area_pages, mem_mib, round = 0;

	if (!self_info(&pi))
		return report();
	mem_mib = (u32)(pi.mem_bytes / MIB);
	if (pi.mem_bytes <= AREA_START + PAGE || pi.mem_bytes > MAX_MEM ||
	    helpers > MAX_HELPERS || helpers + 1 > pi.ncpus) {
		failf("needs 16M < mem <= 1G and cpus > helpers (helpers=%u)",
		      helpers);
		return report();
	}
	area_pages = (u32)((pi.mem_bytes - AREA_START) / PAGE);
	gprintf("bench: %u MiB, %u test pages, %u helper vCPU(s), up to %u "
		"reps, %u pages per point and policy\n",
		mem_mib, area_pages, helpers, reps, budget);
	if (!start_helpers(helpers))
		return report();
	check_eq(hc_dirty_log_enable(0, 0), 0, "dirty logging enabled");
	for (u32 i = 0; i < area_pages; i++)
		(void)*(volatile u8 *)(AREA_START + i * PAGE);
	hc_dirty_log_get(0, 0, gpa_of(bitmap), sizeof(bitmap));
	gprintf("B,mem_mib,helpers,policy,dirty_pages,reported,path,"
		"get_cycles,wp_cycles,rounds,ipis,shadow_pages,"
		"helper_gap_cycles\n");
	for (u32 n = 1;; n = n * 2 < area_pages ? n * 2 : area_pages) {
		u32 nreps = budget / n < reps ? budget / n : reps;

		for (u32 k = 0; k < POLICIES; k++) {
			check_eq(hc_dirty_log_policy(0, policy_order[k]), 0,
				 "policy set");
			for (u32 r = 0; r < (nreps ? nreps : 1); r++)
				if (!one_get(mem_mib, helpers, policy_order[k],
					     n, area_pages / n, ++round))
					return report();
		}
		if (n == area_pages)
			break;
	}
	__atomic_store_n(&helpers_stop, 1, __ATOMIC_RELEASE);
	gprintf("bench: done\n");
	return report();
}
