// SPDX-License-Identifier: MIT
/*
 * What bench-native prints: the CSV (one row per slot, policy and dirty
 * count), a table per slot, the cost model that says where the rmap path
 * stops paying and what the auto rule picks, and the comparison with the
 * KVM peer (Shade's median over KVM's at every common point) or why the
 * peer did not run.
 *
 * Context: the harness's one thread, after the sweeps.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dirtylog.h"
#include "bench.h"

#define US(ns) ((ns) / 1000.0)

const char *policy_name(u32 policy)
{
	static const char *const names[] = {"auto", "rmap", "walk", "seed",
					    "words"};

	_Static_assert(ARRAY_SIZE(names) == BENCH_POLICIES, "a name each");
	return policy < ARRAY_SIZE(names) ? names[policy] : "?";
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Median, minimum and maximum of one field over a point's repetitions. */
struct stat3 {
	double med, min, max;
};

static struct stat3 stat_of(const struct bench_point *pt, u32 pol,
			    size_t offset)
{
	double v[BENCH_MAX_REPS];
	u32 n = pt->reps;

	for (u32 r = 0; r < n; r++)
		v[r] = *(const double *)((const char *)&pt->s[pol][r] + offset);
	qsort(v, n, sizeof(v[0]), cmp_double);
	return (struct stat3){n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2,
			      v[0], v[n - 1]};
}

#define STAT(pt, pol, field) \
	stat_of((pt), (pol), offsetof(struct get_sample, field))

static const char *path_of(const struct bench_point *pt, u32 pol)
{
	u32 rmap = 0;

	for (u32 r = 0; r < pt->reps; r++)
		rmap += pt->s[pol][r].rmap_path;
	return rmap == pt->reps ? "rmap" : rmap ? "mixed" : "walk";
}

/* The best policy's CPU-time median at a point (any policy, auto too). */
static double best_cpu(const struct bench_point *pt)
{
	double best = 0;

	for (u32 pol = 0; pol < BENCH_POLICIES; pol++) {
		double v = STAT(pt, pol, cpu_ns).med;

		if (!pol || v < best)
			best = v;
	}
	return best;
}

static double ratio(const struct bench_point *pt, u32 pol)
{
	double best = best_cpu(pt);

	return best > 0 ? STAT(pt, pol, cpu_ns).med / best : 1.0;
}

/*
 * What auto's choice of path cost, apart from the noise between two
 * measurements of one path: the forced policy that runs the code auto
 * ran (words when auto took the rmap path, as its estimate is exact
 * here; walk, or seed when seed walked too, when it took the walk), the
 * better of them, over the best of the other policies.
 */
static double auto_choice_ratio(const struct bench_point *pt)
{
	double best = 0, same;

	for (u32 pol = 0; pol < BENCH_POLICIES; pol++) {
		double v = STAT(pt, pol, cpu_ns).med;

		if (pol != DIRTYLOG_POLICY_AUTO && (!best || v < best))
			best = v;
	}

	if (!strcmp(path_of(pt, DIRTYLOG_POLICY_AUTO), "rmap"))
		same = STAT(pt, DIRTYLOG_POLICY_WORDS, cpu_ns).med;
	else {
		same = STAT(pt, DIRTYLOG_POLICY_WALK, cpu_ns).med;
		if (!strcmp(path_of(pt, DIRTYLOG_POLICY_SEED), "walk"))
			same = MIN(same,
				   STAT(pt, DIRTYLOG_POLICY_SEED, cpu_ns).med);
	}
	return best > 0 ? same / best : 1.0;
}

/* ------------------------------------------------------------------ */
/* CSV */

void report_csv_header(FILE *f)
{
	fprintf(f, "system,slot_mib,guest_mode,shadow_pages,policy,"
		   "dirty_pages,reported,reps,path,get_ns_median,get_ns_min,"
		   "get_ns_max,get_cpu_ns_median,harvest_ns_median,"
		   "wp_ns_median,shootdown_ns_median,copyout_ns_median,"
		   "floor_ns_median,lock_hold_ns_median,lock_hold_max_ns,"
		   "lock_holds,shootdowns,cpu_over_best\n");
}

void report_csv_slot(FILE *f, const struct bench_slot *s)
{
	for (u32 i = 0; i < s->npoints; i++) {
		const struct bench_point *pt = &s->pt[i];

		for (u32 pol = 0; pol < BENCH_POLICIES; pol++) {
			struct stat3 get = STAT(pt, pol, get_ns);
			struct stat3 hold = STAT(pt, pol, hold_ns);
			struct stat3 hmax = STAT(pt, pol, hold_max_ns);
			const struct get_sample *last =
				&pt->s[pol][pt->reps - 1];

			fprintf(f,
				"shade,%lu,%s,%lu,%s,%lu,%lu,%u,%s,%.0f,%.0f,"
				"%.0f,%.0f,%.0f,%.0f,%.0f,%.0f,%.0f,%.0f,%.0f,"
				"%lu,%lu,%.3f\n",
				s->slot_mib, s->mode, s->shadow_pages,
				policy_name(pol), pt->dirty, pt->dirty,
				pt->reps, path_of(pt, pol), get.med, get.min,
				get.max, STAT(pt, pol, cpu_ns).med,
				STAT(pt, pol, harvest_ns).med,
				STAT(pt, pol, wp_ns).med,
				STAT(pt, pol, flush_ns).med,
				STAT(pt, pol, copy_ns).med,
				STAT(pt, pol, floor_ns).med, hold.med, hmax.max,
				last->holds, last->shootdowns, ratio(pt, pol));
		}
	}
}

/* ------------------------------------------------------------------ */
/* Tables */

/* The unit of a hold's "pages' worth": a hold of the rmap path with every
 * page dirty protects DIRTYLOG_BATCH pages (the median hold there), so
 * this is the lock-held time of one dirty page, lock overhead included. */
static double hold_ns_per_page(const struct bench_slot *s)
{
	const struct bench_point *pt = &s->pt[s->npoints - 1];

	return STAT(pt, DIRTYLOG_POLICY_RMAP, hold_med_ns).med / DIRTYLOG_BATCH;
}

/* Table columns, in this order. */
static const u32 cols[] = {
	DIRTYLOG_POLICY_RMAP, DIRTYLOG_POLICY_WALK, DIRTYLOG_POLICY_WORDS,
	DIRTYLOG_POLICY_SEED, DIRTYLOG_POLICY_AUTO,
};

static void table_header(const struct bench_slot *s)
{
	printf("\nslot %lu MiB (%s): %lu pages, %lu dirtiable, %lu shadow "
	       "pages in use; read fault %.0f ns, write fault %.0f ns; walk "
	       "floor %.1f us; %.0f%% of the arena on 2 MiB pages; mmu_audit: "
	       "%s\n",
	       s->slot_mib, s->mode, s->npages, s->avail, s->shadow_pages,
	       s->touch_ns_per_fault, s->write_fault_ns, US(s->walk_floor_ns),
	       100 * s->huge_share,
	       s->audit_errors == ~0u ? "not run"
	       : s->audit_errors      ? "INCONSISTENT"
				      : "clean");
	printf("GET in microseconds, CPU-time medians (the CSV has "
	       "wall-clock medians, min and max); x best: each policy's "
	       "median over the best policy's at that point;\nfloor: one "
	       "pass over the bitmap + each dirty spte once; hold: the "
	       "longest MMU-lock hold (99th percentile when 100 or more), "
	       "us;\nchoice: what auto's choice of path cost: the forced "
	       "policy that runs auto's code over the best (auto's own "
	       "ratio adds the noise between two runs of one path)\n");
	printf("%8s |", "dirty");
	for (u32 c = 0; c < ARRAY_SIZE(cols); c++)
		printf(" %8s", policy_name(cols[c]));
	printf(" %4s |", "path");
	for (u32 c = 0; c < ARRAY_SIZE(cols); c++)
		printf(" %5s", policy_name(cols[c]));
	printf(" %6s | %7s | %6s %6s %6s\n", "choice", "floor", "hold:r",
	       "hold:w", "hold:wd");
}

void report_table(const struct bench_slot *s)
{
	table_header(s);
	for (u32 i = 0; i < s->npoints; i++) {
		const struct bench_point *pt = &s->pt[i];

		printf("%8lu |", pt->dirty);
		for (u32 c = 0; c < ARRAY_SIZE(cols); c++)
			printf(" %8.1f", US(STAT(pt, cols[c], cpu_ns).med));
		printf(" %4s |", path_of(pt, DIRTYLOG_POLICY_AUTO));
		for (u32 c = 0; c < ARRAY_SIZE(cols); c++)
			printf(" %5.2f", ratio(pt, cols[c]));
		printf(" %6.2f | %7.1f | %6.2f %6.2f %6.2f\n",
		       auto_choice_ratio(pt),
		       US(STAT(pt, DIRTYLOG_POLICY_RMAP, floor_ns).med),
		       US(STAT(pt, DIRTYLOG_POLICY_RMAP, hold_ns).med),
		       US(STAT(pt, DIRTYLOG_POLICY_WALK, hold_ns).med),
		       US(STAT(pt, DIRTYLOG_POLICY_WORDS, hold_ns).med));
	}
}

/* Where the time goes, at 1 dirty page, the point nearest 64 x shadow
 * pages, and every page dirty: the phases of each path. */
static void phase_rows(const struct bench_slot *s, const struct bench_point *pt)
{
	static const u32 pols[] = {DIRTYLOG_POLICY_RMAP, DIRTYLOG_POLICY_WALK,
				   DIRTYLOG_POLICY_WORDS};
	double per_page = hold_ns_per_page(s);

	for (u32 k = 0; k < ARRAY_SIZE(pols); k++) {
		u32 pol = pols[k];
		double hold = STAT(pt, pol, hold_ns).med;

		printf("%8lu %9lu %6s | %9.1f %8.1f %9.1f %6.1f %8.1f | "
		       "%8.1f | %8.2f %7.0f %6lu %3lu\n",
		       s->slot_mib, pt->dirty, policy_name(pol),
		       US(STAT(pt, pol, cpu_ns).med),
		       US(STAT(pt, pol, harvest_ns).med),
		       US(STAT(pt, pol, wp_ns).med),
		       US(STAT(pt, pol, flush_ns).med),
		       US(STAT(pt, pol, copy_ns).med),
		       US(STAT(pt, pol, floor_ns).med), US(hold),
		       hold / per_page, pt->s[pol][pt->reps - 1].holds,
		       pt->s[pol][pt->reps - 1].shootdowns);
	}
}

void report_phases(const struct bench_slot *slots, u32 nslots)
{
	printf("\nwhere the time goes (medians, us): GET (CPU time), its "
	       "harvest, write protection (words: harvest included), "
	       "shootdown, copy-out;\nthe rmap floor; the longest MMU-lock "
	       "hold (99th pct.), in us and in pages' worth of rmap write "
	       "protection at its all-dirty rate; holds; shootdown rounds\n");
	printf("%8s %9s %6s | %9s %8s %9s %6s %8s | %8s | %8s %7s %6s %3s\n",
	       "slot_mib", "dirty", "policy", "GET", "harvest", "wp", "shootd",
	       "copyout", "floor", "hold", "pages", "holds", "sd");
	for (u32 i = 0; i < nslots; i++) {
		const struct bench_slot *s = &slots[i];
		u32 near = 0;

		for (u32 k = 0; k < s->npoints; k++)
			if (s->pt[k].dirty <= 64 * s->shadow_pages)
				near = k;
		phase_rows(s, &s->pt[0]);
		if (near && near != s->npoints - 1)
			phase_rows(s, &s->pt[near]);
		phase_rows(s, &s->pt[s->npoints - 1]);
	}
}

/* The longest MMU-lock hold of each policy over a slot's whole sweep. */
void report_holds(const struct bench_slot *slots, u32 nslots)
{
	printf("\nthe longest MMU-lock hold in any GET of the sweep: the "
	       "largest per-GET 99th percentile (and the largest raw "
	       "maximum, descheduling included), us;\npages: the first in "
	       "pages' worth, the unit being a %u-page hold of the rmap "
	       "path with every page dirty (its median) / %u (ns/page)\n",
	       DIRTYLOG_BATCH, DIRTYLOG_BATCH);
	printf("%8s %8s |", "slot_mib", "ns/page");
	for (u32 c = 0; c < ARRAY_SIZE(cols); c++)
		printf(" %21s", policy_name(cols[c]));
	printf("\n");
	for (u32 i = 0; i < nslots; i++) {
		const struct bench_slot *s = &slots[i];
		double per_page = hold_ns_per_page(s);

		printf("%8lu %8.2f |", s->slot_mib, per_page);
		for (u32 c = 0; c < ARRAY_SIZE(cols); c++) {
			double p99 = 0, max = 0;
			char buf[32];

			for (u32 k = 0; k < s->npoints; k++) {
				const struct bench_point *pt = &s->pt[k];

				p99 = MAX(p99, STAT(pt, cols[c], hold_ns).med);
				max = MAX(max,
					  STAT(pt, cols[c], hold_max_ns).max);
			}
			snprintf(buf, sizeof(buf), "%.2f (%.0f) %.0fp", US(p99),
				 US(max), p99 / per_page);
			printf(" %21s", buf);
		}
		printf("\n");
	}
}

/* ------------------------------------------------------------------ */
/* The auto rule: which factor, and how auto did */

/* A rule "the rmap path while dirty < factor x shadow pages, else the
 * walk", with the one-pass words path as auto takes it; its worst ratio
 * to the best policy and its total over all points against the best's. */
static void rule_eval(const struct bench_slot *s, double factor, bool words,
		      double *worst, double *sum, double *best_sum)
{
	for (u32 k = 0; k < s->npoints; k++) {
		const struct bench_point *pt = &s->pt[k];
		bool rmap =
			(double)pt->dirty < factor * (double)s->shadow_pages;
		u32 pol = !rmap	  ? DIRTYLOG_POLICY_WALK
			  : words ? DIRTYLOG_POLICY_WORDS
				  : DIRTYLOG_POLICY_RMAP;
		double v = STAT(pt, pol, cpu_ns).med, b = best_cpu(pt);

		*worst = MAX(*worst, v / b);
		*sum += v;
		*best_sum += b;
	}
}

void report_model(const struct bench_slot *slots, u32 nslots)
{
	static const double factors[] = {1, 8, 16, 32, 64, 128, 256};

	printf("\nauto rules against the data (CPU-time medians): the rmap "
	       "path (one pass, as auto takes it) while dirty < F x shadow "
	       "pages in use, else the walk;\nworst: the rule's worst "
	       "ratio to the best policy at any point; sum: its total time "
	       "over all points against the best's total\n");
	printf("%9s %7s %9s |", "slot_mib", "shadow", "crossover");
	for (u32 f = 0; f < ARRAY_SIZE(factors); f++)
		printf("  F=%-3.0f worst/sum", factors[f]);
	printf(" | %5s %6s %5s\n", "auto", "choice", "seed");
	for (u32 i = 0; i < nslots; i++) {
		const struct bench_slot *s = &slots[i];
		double aw = 0, cw = 0, sw = 0;
		u64 cross = 0;

		for (u32 k = 0; k < s->npoints && !cross; k++) {
			const struct bench_point *pt = &s->pt[k];

			if (STAT(pt, DIRTYLOG_POLICY_WALK, cpu_ns).med <
			    MIN(STAT(pt, DIRTYLOG_POLICY_RMAP, cpu_ns).med,
				STAT(pt, DIRTYLOG_POLICY_WORDS, cpu_ns).med))
				cross = pt->dirty;
		}
		printf("%9lu %7lu %9lu |", s->slot_mib, s->shadow_pages, cross);
		for (u32 f = 0; f < ARRAY_SIZE(factors); f++) {
			double worst = 0, sum = 0, bsum = 0;

			rule_eval(s, factors[f], true, &worst, &sum, &bsum);
			printf("  %11.2f/%-5.3f", worst, sum / bsum);
		}
		for (u32 k = 0; k < s->npoints; k++) {
			aw = MAX(aw, ratio(&s->pt[k], DIRTYLOG_POLICY_AUTO));
			cw = MAX(cw, auto_choice_ratio(&s->pt[k]));
			sw = MAX(sw, ratio(&s->pt[k], DIRTYLOG_POLICY_SEED));
		}
		printf(" | %5.2f %6.2f %5.2f\n", aw, cw, sw);
	}
	printf("crossover: the first dirty count (powers of two) where the "
	       "walk beats both rmap paths (0: never); auto, seed: the "
	       "measured policies' worst ratio to the best; choice: the worst "
	       "cost of auto's choice of path (above)\n");
}

/* ------------------------------------------------------------------ */
/* The latency phase */

void report_latency(FILE *csv, const struct bench_slot *slots, u32 nslots)
{
	if (csv)
		fprintf(csv, "slot_mib,policy,dirty_pages,gets,faults_in_get,"
			     "fault_ns_median,fault_ns_p99,fault_ns_max,"
			     "idle_fault_ns_mean,get_ns_median,"
			     "lock_hold_max_ns\n");
	printf("\nwhat a vCPU feels: another thread write-faults (vCPU 1) "
	       "while GETs run; latency of the faults that began inside a "
	       "GET, us (idle: its median fault with no GET running)\n");
	printf("%8s %6s %9s %4s | %7s %8s %8s %8s | %6s | %9s %8s\n",
	       "slot_mib", "policy", "dirty", "gets", "faults", "median", "p99",
	       "max", "idle", "GET med", "hold max");
	for (u32 i = 0; i < nslots; i++) {
		const struct bench_slot *s = &slots[i];

		for (u32 k = 0; k < s->nlat; k++) {
			const struct lat_row *r = &s->lat[k];

			printf("%8lu %6s %9lu %4u | %7lu %8.2f %8.2f %8.2f | "
			       "%6.2f | %9.1f %8.2f\n",
			       s->slot_mib, policy_name(r->policy), r->dirty,
			       r->gets, r->faults, US(r->med_ns), US(r->p99_ns),
			       US(r->max_ns), US(s->idle_fault_ns),
			       US(r->get_med_ns), US(r->hold_max_ns));
			if (csv)
				fprintf(csv,
					"%lu,%s,%lu,%u,%lu,%.0f,%.0f,%.0f,"
					"%.0f,%.0f,%.0f\n",
					s->slot_mib, policy_name(r->policy),
					r->dirty, r->gets, r->faults, r->med_ns,
					r->p99_ns, r->max_ns, s->idle_fault_ns,
					r->get_med_ns, r->hold_max_ns);
		}
	}
}

/* ------------------------------------------------------------------ */
/* The KVM peer */

struct peer_row {
	u64 mib, dirty;
	double us;
};

static u32 read_peer(const char *path, struct peer_row *rows, u32 max)
{
	FILE *f = fopen(path, "r");
	char line[256];
	u32 n = 0;

	if (!f)
		return 0;
	while (n < max && fgets(line, sizeof(line), f)) {
		unsigned long mib, dirty, reported;
		double med;

		if (sscanf(line, "kvm,%lu,%lu,%lu,%lf", &mib, &dirty, &reported,
			   &med) == 4)
			rows[n++] = (struct peer_row){mib, dirty, med};
	}
	fclose(f);
	return n;
}

void report_peer(const struct bench_slot *slots, u32 nslots,
		 const char *peer_csv, const char *why_not, FILE *cmp)
{
	static struct peer_row rows[1024];
	u32 nrows = peer_csv ? read_peer(peer_csv, rows, ARRAY_SIZE(rows)) : 0;
	u32 common = 0;

	if (!nrows) {
		printf("\nKVM peer: not run: %s\n",
		       why_not	  ? why_not
		       : peer_csv ? "its CSV has no rows"
				  : "no peer CSV given (--peer)");
		return;
	}
	printf("\nShade against the KVM peer (same machine, same run); "
	       "ratios are Shade's median GET over KVM's\n");
	printf("%9s %9s %10s %10s %10s %10s %9s %9s %9s\n", "slot_mib", "dirty",
	       "kvm us", "auto us", "rmap us", "walk us", "auto/kvm",
	       "rmap/kvm", "walk/kvm");
	if (cmp)
		fprintf(cmp, "slot_mib,dirty_pages,kvm_us_median,"
			     "shade_auto_us_median,shade_rmap_us_median,"
			     "shade_walk_us_median,auto_over_kvm,"
			     "rmap_over_kvm,walk_over_kvm\n");
	for (u32 i = 0; i < nslots; i++) {
		for (u32 k = 0; k < slots[i].npoints; k++) {
			const struct bench_point *pt = &slots[i].pt[k];
			double v[BENCH_POLICIES];

			for (u32 pol = 0; pol < BENCH_POLICIES; pol++)
				v[pol] = US(STAT(pt, pol, get_ns).med);
			for (u32 j = 0; j < nrows; j++) {
				const struct peer_row *r = &rows[j];

				if (r->mib != slots[i].slot_mib ||
				    r->dirty != pt->dirty)
					continue;
				common++;
				printf("%9lu %9lu %10.1f %10.1f %10.1f %10.1f "
				       "%9.2f %9.2f %9.2f\n",
				       r->mib, r->dirty, r->us, v[0], v[1],
				       v[2], v[0] / r->us, v[1] / r->us,
				       v[2] / r->us);
				if (cmp)
					fprintf(cmp,
						"%lu,%lu,%.2f,%.2f,%.2f,%.2f,"
						"%.3f,%.3f,%.3f\n",
						r->mib, r->dirty, r->us, v[0],
						v[1], v[2], v[0] / r->us,
						v[1] / r->us, v[2] / r->us);
			}
		}
	}
	if (!common)
		printf("(no common slot size and dirty count)\n");
}
