// SPDX-License-Identifier: MIT
/*
 * bench-native: times Shade's HC_DIRTY_LOG_GET (dirtylog_get(): harvest,
 * write protection, shootdown, copy-out) on Shade's real shadow MMU, built
 * as a Linux program (bench/native/README.md).
 *
 * For each slot size: build the guest, take a read fault on every page
 * so that the shadow tables are complete, turn dirty logging on, then for
 * each dirty count d = 1, 2, 4, ... all test pages, and each repetition,
 * and each policy (auto, rmap, walk, seed, words; the order rotates
 * between repetitions): write-fault d evenly spaced pages through
 * mmu_page_fault(), time one dirtylog_get(), check what it reported and
 * that every reported page is write-protected again, and time the floor
 * (read the harvested bitmap, touch each dirty page's spte once). Then
 * the latency phase (latency.c): a second thread write-faults while the
 * first takes GETs.
 *
 * Usage: bench-native [-s SLOT_MIB]... [-r MAX_REPS] [-b FAULT_BUDGET]
 *                     [-o CSV] [--peer KVM_CSV | --no-peer WHY]
 *                     [--compare-out CSV] [--audit-max-mib N]
 *                     [--latency-gets N] [--latency-csv CSV] [-v]
 *
 * Context: a Linux process; one thread but in the latency phase.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmm.h"
#include "x86.h"
#include "paging.h"
#include "bench.h"

bool bench_verbose;
u32 bench_shade_errors;

static struct bench_vm vm;
static struct bench_slot slots[8];

/* Settings (main() documents them). */
static u32 max_reps = 11, min_reps = 3;
static u64 fault_budget = 16ULL << 20;
static u64 audit_max_mib = ~0ULL;
static u32 latency_gets = 8;

void bench_die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "bench-native: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

/* MemAvailable from /proc/meminfo, in bytes (0 if unknown). */
static u64 mem_available(void)
{
	FILE *f = fopen("/proc/meminfo", "r");
	char line[128];
	unsigned long long kib = 0;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "MemAvailable: %llu kB", &kib) == 1)
			break;
	fclose(f);
	return kib * KiB;
}

/* Repetitions at dirty count d: as many as the fault budget pays for
 * (each repetition write-faults d pages per policy), within the bounds. */
static u32 reps_for(u64 d)
{
	u64 r = fault_budget / (BENCH_POLICIES * d);

	return (u32)MAX((u64)min_reps, MIN(r, (u64)max_reps));
}

/* ------------------------------------------------------------------ */
/* Checks: every GET is verified before its time is kept */

static u64 caller_word(u64 w)
{
	return *(u64 *)gpa_to_hva(&vm.caller, w * 8);
}

/*
 * What the GET returned and left behind: the count, the copied-out bitmap
 * (its population, and the bit of each written page), every written
 * page's one spte read-only, the live bitmap empty. The pages are checked
 * all when full is set, else at most CHECK_SAMPLE of them, evenly spread
 * (the count and the population are always checked in full).
 */
#define CHECK_SAMPLE 1024

static void check_get(s64 got, u64 d, u64 stride, bool full)
{
	struct partition *p = &vm.p;
	u64 bits = 0, step = full || d <= CHECK_SAMPLE ? 1 : d / CHECK_SAMPLE;

	if (got < 0 || (u64)got != d)
		bench_die("GET reported %ld pages, %lu were written", got, d);
	for (u64 w = 0; w < dirty_bitmap_words(vm.npages); w++)
		bits += __builtin_popcountll(caller_word(w));
	if (bits != d)
		bench_die("the copied-out bitmap has %lu bits, not %lu", bits,
			  d);
	for (u64 k = 0; k < d; k += step) {
		gfn_t g = BENCH_FIRST_TEST_PAGE + k * stride;
		struct rmap_iter it;
		u64 *sptep;

		if (!(caller_word(g / 64) & BIT(g % 64)))
			bench_die("gfn %#lx was written but not reported", g);
		if (rmap_count(&p->mmu.rmaps[g]) != 1)
			bench_die("gfn %#lx has %u mappings, not 1", g,
				  rmap_count(&p->mmu.rmaps[g]));
		rmap_for_each(&p->mmu.rmaps[g], &it, sptep)
		{
			if (*sptep & PTE_RW)
				bench_die("gfn %#lx is still writable after "
					  "the GET",
					  g);
		}
	}
	if (dirty_bitmap_count(&p->slots[0].log.bm))
		bench_die("marks left in the bitmap after the GET");
}

/*
 * The floor: what any rmap-based GET must at least do. One pass over the
 * harvested bitmap, and for each set bit one load of the gfn's rmap head
 * and one read-modify-write of the spte it names (clearing R/W, already
 * clear: the state does not change). It runs after the GET, so it finds
 * the caches as the GET left them: a lower bound.
 */
static double floor_pass(void)
{
	const struct slot_dirty_log *log = &vm.p.slots[0].log;
	const struct rmap_head *rmaps = vm.p.mmu.rmaps;
	u64 t0 = now_ns();

	for (u64 w = 0; w < log->nwords; w++) {
		u64 m = ((volatile u64 *)log->snapshot)[w];

		while (m) {
			gfn_t g = w * 64 + __builtin_ctzll(m);
			unsigned long h = rmaps[g].val;
			struct rmap_iter it;
			u64 *sptep;

			m &= m - 1;
			if (!(h & RMAP_HEAD_MANY)) {
				if (h)
					*(volatile u64 *)h &= ~PTE_RW;
				continue;
			}
			rmap_for_each(&rmaps[g], &it, sptep) *
				(volatile u64 *)sptep &= ~PTE_RW;
		}
	}
	return (double)(now_ns() - t0);
}

/*
 * The walk's floor: read every entry of every level-1 shadow page once,
 * in the order mmu_write_protect_some() visits them (bucket by bucket of
 * the page cache), with no branch per entry and no store, and no lock.
 * The median of five passes.
 */
static double walk_floor(void)
{
	double t[5];
	u64 acc = 0;

	for (u32 r = 0; r < ARRAY_SIZE(t); r++) {
		u64 t0 = now_ns();

		for (u32 b = 0; b < MMU_HASH_BUCKETS; b++) {
			for (struct mmu_page *sp = vm.p.mmu.hash[b]; sp;
			     sp = sp->hash_next) {
				if (sp->role.level != 1)
					continue;
				for (u32 i = 0; i < 512; i++)
					acc |= ((volatile u64 *)sp->spt)[i];
			}
		}
		t[r] = (double)(now_ns() - t0);
	}
	if (acc & PTE_RW)
		bench_die("a writable spte after the last GET");
	for (u32 i = 1; i < ARRAY_SIZE(t); i++)
		for (u32 j = i; j > 0 && t[j] < t[j - 1]; j--) {
			double x = t[j];

			t[j] = t[j - 1];
			t[j - 1] = x;
		}
	return t[ARRAY_SIZE(t) / 2];
}

/* ------------------------------------------------------------------ */
/* One GET */

static double write_ns_total, write_faults_total;

static void one_get(u32 policy, u64 d, u64 stride, bool full_check,
		    struct get_sample *out)
{
	struct partition *p = &vm.p;
	const struct get_probe *pr = &bench_probe;
	u64 rmap0 = p->stats.dirty_get_rmap_calls;
	u64 sd0 = p->stats.tlb_shootdown_rounds;
	u64 t0, t1, c0, c1, wp_end, tsc0;
	s64 got;

	if (dirtylog_set_policy(p, policy))
		bench_die("policy %u refused", policy);
	t0 = now_ns();
	vm_write_pages(&vm, BENCH_FIRST_TEST_PAGE, d, stride);
	write_ns_total += (double)(now_ns() - t0);
	write_faults_total += (double)d;

	/* Holds: on the rmap path at most one per bitmap word or per
	 * DIRTYLOG_BATCH pages, on the walk one per DIRTYLOG_WALK_BATCH
	 * entries or so (empty buckets count a little); the shootdown's. */
	probe_start(&p->mmu.lock, dirty_bitmap_words(vm.npages) +
					  d / DIRTYLOG_BATCH +
					  p->mmu.pages_in_use * 2 * 512 /
						  DIRTYLOG_WALK_BATCH +
					  MMU_HASH_BUCKETS + 16);
	c0 = cpu_now_ns();
	t0 = now_ns();
	tsc0 = rdtsc();
	got = dirtylog_get(&vm.caller, p, 0, 0, vm.bitmap_bytes);
	t1 = now_ns();
	c1 = cpu_now_ns();
	probe_stop();

	wp_end = pr->flush_start ? pr->flush_start : pr->copy_start;
	out->get_ns = MAX((double)(t1 - t0) - wall_overhead_ns, 0.0);
	/* The CPU-time interval holds both wall-clock reads too. */
	out->cpu_ns =
		MAX((double)(c1 - c0) - cpu_overhead_ns - 2 * wall_overhead_ns,
		    0.0);
	/* The words path (and auto when it takes it) harvests word by word
	 * while it protects: no harvest phase, and the write protection
	 * counts from the GET's start. */
	out->harvest_ns =
		pr->harvest_end ? tsc_to_ns(pr->harvest_end - pr->harvest_start)
				: 0;
	out->wp_ns =
		tsc_to_ns(wp_end - (pr->harvest_end ? pr->harvest_end : tsc0));
	out->flush_ns = pr->flush_start
				? tsc_to_ns(pr->flush_end - pr->flush_start)
				: 0;
	out->copy_ns = tsc_to_ns(pr->copy_end - pr->copy_start);
	out->hold_ns = tsc_to_ns(pr->lock_hold_p99);
	out->hold_max_ns = tsc_to_ns(pr->lock_hold_max);
	out->hold_med_ns = tsc_to_ns(pr->lock_hold_med);
	out->holds = pr->lock_holds;
	out->shootdowns = p->stats.tlb_shootdown_rounds - sd0;
	out->rmap_path = p->stats.dirty_get_rmap_calls != rmap0;
	check_get(got, d, stride, full_check);
	/* The target "one shootdown round per GET that protected anything":
	 * d >= 1 pages were writable, so exactly one. */
	if (out->shootdowns != 1)
		bench_die("a GET of %lu pages (policy %s) sent %lu shootdown "
			  "rounds, not 1",
			  d, policy_name(policy), out->shootdowns);
	out->floor_ns = floor_pass();
}

/* A GET that protects nothing sends no shootdown round, whatever the
 * policy (the other half of the target above). */
static void empty_gets(void)
{
	for (u32 pol = 0; pol < BENCH_POLICIES; pol++) {
		u64 sd0 = vm.p.stats.tlb_shootdown_rounds;

		if (dirtylog_set_policy(&vm.p, pol) ||
		    dirtylog_get(&vm.caller, &vm.p, 0, 0, vm.bitmap_bytes))
			bench_die("an empty GET under policy %s failed",
				  policy_name(pol));
		if (vm.p.stats.tlb_shootdown_rounds != sd0)
			bench_die("an empty GET under policy %s sent a "
				  "shootdown round",
				  policy_name(pol));
	}
}

/* ------------------------------------------------------------------ */
/* One slot */

/* mmu_audit() probes the page hash once per guest frame: minutes for a
 * 64 GiB slot. Above this size only the audit after the sweep runs. */
#define AUDIT_BOTH_MAX_MIB 16384

static u32 audit(struct bench_slot *s, const char *when)
{
	u32 errors;

	u64 t0 = now_ns();

	if (s->slot_mib > audit_max_mib)
		return ~0u;
	errors = mmu_audit(&vm.p, when);
	fprintf(stderr, "  mmu_audit (%s): %u inconsistencies, %.1f s\n", when,
		errors, (double)(now_ns() - t0) / 1e9);
	return errors;
}

static void sweep(struct bench_slot *s)
{
	u64 d = 1, t0 = now_ns();

	for (;;) {
		struct bench_point *pt = &s->pt[s->npoints++];
		u64 stride = s->avail / d;

		pt->dirty = d;
		pt->reps = reps_for(d);
		for (u32 r = 0; r < pt->reps; r++) {
			for (u32 k = 0; k < BENCH_POLICIES; k++) {
				u32 pol = (r + k) % BENCH_POLICIES;

				one_get(pol, d, stride, r == 0, &pt->s[pol][r]);
			}
		}
		fprintf(stderr, "  %lu dirty: %u reps, %.1f s\n", d, pt->reps,
			(double)(now_ns() - t0) / 1e9);
		if (d == s->avail || s->npoints == BENCH_MAX_POINTS)
			break;
		d = MIN(2 * d, s->avail);
	}
}

static bool run_slot(struct bench_slot *s, u64 mib)
{
	u64 bytes = mib * MiB, npages = bytes >> PAGE_SHIFT;
	u64 need = arena_bytes_for(npages), avail = mem_available();
	enum vm_mode mode = bytes > 4 * GiB ? VM_4LEVEL : VM_NONPAGING;
	u32 errors;
	u64 t0;

	if (avail && need + 1 * GiB > avail) {
		printf("slot %lu MiB: skipped, needs %lu MiB of host memory "
		       "and %lu MiB are available\n",
		       mib, need / MiB, avail / MiB);
		return false;
	}
	fprintf(stderr, "slot %lu MiB: building (arena %lu MiB)\n", mib,
		need / MiB);
	arena_create(need);
	vm_create(&vm, bytes, mode);
	s->slot_mib = mib;
	s->mode = vm_mode_name(&vm);
	s->npages = npages;
	s->avail = npages - BENCH_FIRST_TEST_PAGE;
	t0 = now_ns();
	vm_touch_all(&vm);
	s->touch_ns_per_fault = (double)(now_ns() - t0) / (double)npages;
	fprintf(stderr, "  touched %lu pages: %.1f s\n", npages,
		(double)(now_ns() - t0) / 1e9);
	s->shadow_pages = vm.p.mmu.pages_in_use;
	s->huge_share = arena_huge_share();
	if (vm.p.stats.guest_page_faults)
		bench_die("the touch faulted into the guest");
	errors = s->slot_mib <= AUDIT_BOTH_MAX_MIB ? audit(s, "shadow built")
						   : 0;
	if (dirtylog_enable(&vm.p, 0))
		bench_die("dirtylog_enable failed");
	if (dirtylog_get(&vm.caller, &vm.p, 0, 0, vm.bitmap_bytes) != 0)
		bench_die("a GET right after ENABLE reported pages");
	empty_gets();

	write_ns_total = write_faults_total = 0;
	sweep(s);
	s->write_fault_ns = write_ns_total / write_faults_total;
	if (latency_gets)
		latency_phase(&vm, s, latency_gets);
	s->walk_floor_ns = walk_floor();
	if (vm.p.mmu.pages_in_use != s->shadow_pages)
		bench_die("shadow pages in use changed during the sweep "
			  "(%lu, then %lu)",
			  s->shadow_pages, vm.p.mmu.pages_in_use);
	s->audit_errors = audit(s, "after the sweep");
	if (s->audit_errors != ~0u && errors != ~0u)
		s->audit_errors += errors;
	arena_destroy();
	return true;
}

/* ------------------------------------------------------------------ */

static void usage(void)
{
	fprintf(stderr,
		"usage: bench-native [-s SLOT_MIB]... [-r MAX_REPS] "
		"[-b FAULT_BUDGET]\n"
		"                    [-o CSV] [--peer KVM_CSV | --no-peer WHY] "
		"[--compare-out CSV]\n"
		"                    [--audit-max-mib N] [--latency-gets N] "
		"[--latency-csv CSV] [-v]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	u64 sizes[8], nsizes = 0;
	const char *csv = NULL, *peer = NULL, *why_not = NULL, *cmp = NULL;
	const char *lat_csv = NULL;
	u32 ndone = 0;
	FILE *f;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *next = i + 1 < argc ? argv[i + 1] : 0;

		if (!strcmp(a, "-v")) {
			bench_verbose = true;
			continue;
		}
		if (!next)
			usage();
		i++;
		if (!strcmp(a, "-s") && nsizes < ARRAY_SIZE(sizes))
			sizes[nsizes++] = strtoull(next, NULL, 0);
		else if (!strcmp(a, "-r"))
			max_reps = (u32)strtoul(next, NULL, 0);
		else if (!strcmp(a, "-b"))
			fault_budget = strtoull(next, NULL, 0);
		else if (!strcmp(a, "-o"))
			csv = next;
		else if (!strcmp(a, "--peer"))
			peer = next;
		else if (!strcmp(a, "--no-peer"))
			why_not = next;
		else if (!strcmp(a, "--compare-out"))
			cmp = next;
		else if (!strcmp(a, "--audit-max-mib"))
			audit_max_mib = strtoull(next, NULL, 0);
		else if (!strcmp(a, "--latency-gets"))
			latency_gets = (u32)strtoul(next, NULL, 0);
		else if (!strcmp(a, "--latency-csv"))
			lat_csv = next;
		else
			usage();
	}
	if (!nsizes) {
		sizes[nsizes++] = 64;
		sizes[nsizes++] = 1024;
	}
	max_reps = MIN(MAX(max_reps, 1u), (u32)BENCH_MAX_REPS);
	min_reps = MIN(min_reps, max_reps);
	for (u64 i = 0; i < nsizes; i++)
		if (sizes[i] < 2 || sizes[i] % 2 || sizes[i] > 512 * 1024)
			bench_die("slot size %lu MiB: want an even number of "
				  "MiB from 2 to 524288",
				  sizes[i]);

	clocks_calibrate();
	printf("clock reads cost %.0f ns (CLOCK_MONOTONIC) and %.0f ns "
	       "(CLOCK_THREAD_CPUTIME_ID); subtracted from each GET\n",
	       wall_overhead_ns, cpu_overhead_ns);
	for (u64 i = 0; i < nsizes; i++)
		if (run_slot(&slots[ndone], sizes[i]))
			ndone++;

	f = csv ? fopen(csv, "w") : NULL;
	if (csv && !f)
		bench_die("cannot write %s", csv);
	if (f)
		report_csv_header(f);
	for (u32 i = 0; i < ndone; i++) {
		report_table(&slots[i]);
		if (f)
			report_csv_slot(f, &slots[i]);
	}
	if (f)
		fclose(f);
	report_phases(slots, ndone);
	report_holds(slots, ndone);
	report_model(slots, ndone);
	f = lat_csv ? fopen(lat_csv, "w") : NULL;
	if (lat_csv && !f)
		bench_die("cannot write %s", lat_csv);
	report_latency(f, slots, ndone);
	if (f)
		fclose(f);
	f = cmp ? fopen(cmp, "w") : NULL;
	report_peer(slots, ndone, peer, why_not, f);
	if (f)
		fclose(f);
	if (bench_shade_errors) {
		printf("Shade printed %u error line(s): see above\n",
		       bench_shade_errors);
		return 1;
	}
	return 0;
}
