// SPDX-License-Identifier: MIT
/*
 * dirtylog-work: the workload a control partition logs
 * (dirtylog-ctl.c, tests/integration/dirtylog-control.sh). Two vCPUs
 * write a deterministic pattern into a test area, phase after phase
 * (dlog_ctl_writes()), each phase ended by a write to its own signal
 * page; between phases the workload idles until the controller has
 * taken enough GETs, which it sees in its own HC_STATS (the protocol is
 * described in lib/dlog.h). After the last phase it stops at once, so
 * that the controller also reads the log of a stopped partition.
 *
 * vCPU 0 writes the even pages, vCPU 1 the odd ones; each written page
 * gets two stores, the second through the writable entry the first
 * left. vCPU 1 writes in a way that a missing TLB shootdown would lose a
 * write (second_main()). Command line: phases=N (the controller's too; the last phase is
 * written just before the stop), sti=1 to run with interrupts enabled.
 */
#include "guest.h"
#include "dlog.h"

#define STACK_SIZE  8192
#define WAIT_ROUNDS 400000000u
#define STATS_POLLS 2000000u

static u8 stack1[STACK_SIZE] __aligned(16);
static struct vcpu_boot boot1;
static volatile u32 go; /* the phase vCPU 1 may write */
static u32 phases, use_sti;

static volatile u32 *area_page(u32 page)
{
	return (volatile u32 *)(DLOG_CTL_AREA + page * DLOG_PAGE_SIZE);
}

/*
 * vCPU 1's pages in the phase about to begin, in the order it writes
 * them (vCPU 0 fills this in before it raises go): the odd pages of the
 * pattern, upwards in odd phases, downwards in even ones.
 */
static u32 plan[DLOG_CTL_PAGES / 2];
static u32 plan_len;

static void make_plan(u32 k)
{
	u32 n, page;

	plan_len = 0;
	for (n = 0; n < DLOG_CTL_PAGES / 2; n++) {
		page = k & 1 ? 2 * n + 1 : DLOG_CTL_PAGES - 1 - 2 * n;
		if (dlog_ctl_writes(k, page))
			plan[plan_len++] = page;
	}
}

static void write_even_half(u32 k)
{
	u32 page;

	for (page = 0; page < DLOG_CTL_PAGES; page += 2) {
		if (!dlog_ctl_writes(k, page))
			continue;
		area_page(page)[0] = k;
		area_page(page)[1 + (k + page) % 1000] = page;
	}
}

/*
 * vCPU 1: between its last write of phase k and its first of phase k + 1
 * it makes no store at all (no flag, no call, nothing on the stack), so
 * it takes no VM exit, and the TLB entry of the page it wrote last (which
 * it writes first in the next phase, the direction turning) stays. A GET
 * in between must shoot it down, or that write is lost. Bochs empties a
 * CPU's TLB at every VM exit: a store that faulted in between would hide
 * a missing shootdown. vCPU 0 learns that this half is done from the
 * value of its last page.
 */
static void second_main(u32 index, struct vcpu_boot *boot)
{
	u32 k, i;

	(void)index;
	if (use_sti)
		asm volatile("sti");
	__atomic_store_n(&boot->started, 1, __ATOMIC_RELEASE);
	for (k = 1; k <= phases; k++) {
		while (__atomic_load_n(&go, __ATOMIC_ACQUIRE) != k)
			cpu_relax();
		for (i = 0; i < plan_len; i++) {
			area_page(plan[i])[0] = k;
			area_page(plan[i])[1] = plan[i];
		}
	}
	/* Returning halts this vCPU: it is out of guest mode at the stop. */
}

static u64 gets_so_far(void)
{
	struct shade_stats st;

	return dlog_stats(PARTITION_SELF, &st) ? st.dirty_get_calls : ~0ull;
}

/* Wait until the controller's GETs on our log reach want. */
static bool wait_gets(u64 want)
{
	u32 n;

	for (n = 0; n < STATS_POLLS; n++) {
		u64 g = gets_so_far();

		if (g == ~0ull)
			return false;
		if (g >= want)
			return true;
	}
	failf("the controller took no GET for a long time (want %llu)", want);
	return false;
}

/* One phase: both halves, then the signal page. */
static bool phase(u32 k)
{
	volatile u32 *last;

	make_plan(k);
	last = area_page(plan[plan_len - 1]);
	__atomic_store_n(&go, k, __ATOMIC_RELEASE);
	write_even_half(k);
	if (!checkf(dlog_wait_eq(last, k, WAIT_ROUNDS),
		    "phase %u: vCPU 1 wrote its half", k))
		return false;
	dlog_fence(); /* every write above is visible before the signal */
	*(volatile u32 *)(DLOG_CTL_SIGNAL + k * DLOG_PAGE_SIZE) = k;
	return true;
}

u32 guest_main(u32 magic, u32 info)
{
	struct partition_info pi;
	u64 c0;
	u32 k;

	phases = dlog_arg(bootinfo_cmdline(magic, info), "phases", 8);
	use_sti = dlog_arg(bootinfo_cmdline(magic, info), "sti", 0);
	if (use_sti)
		asm volatile("sti");
	if (!check(is_shade(), "running under Shade") || !self_info(&pi) ||
	    !check_eq(pi.ncpus, 2, "partition has 2 vCPUs") ||
	    !check(phases >= 1 && phases < DLOG_CTL_MAX_PHASES,
		   "phases=N within 1..63") ||
	    !check(pi.mem_bytes >= DLOG_CTL_SIGNAL +
					   DLOG_CTL_MAX_PHASES * DLOG_PAGE_SIZE,
		   "the test area and the signal pages fit in RAM"))
		return report();
	if (!check_eq(vcpu_start(1, &boot1, stack1, STACK_SIZE, second_main), 0,
		      "HC_VCPU_START(1)") ||
	    !check(dlog_wait_eq(&boot1.started, 1, WAIT_ROUNDS), "vCPU 1 runs"))
		return report();
	/* The controller enables our log and takes a first GET. */
	if (!wait_gets(1))
		return report();
	gprintf("logged by the controller; %u phases\n", phases);
	for (k = 1; k <= phases; k++) {
		if (!phase(k))
			return report();
		if (k == phases)
			break; /* stop right after the last signal */
		c0 = gets_so_far();
		if (c0 == ~0ull || !wait_gets(c0 + DLOG_CTL_SETTLE_GETS))
			return report();
	}
	gprintf("wrote %u phases\n", phases);
	return report();
}
