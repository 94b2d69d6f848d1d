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
	static const char *const names[] = {"auto", "rmap", "walk"};

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

/* ------------------------------------------------------------------ */
/* CSV */

void report_csv_header(FILE *f)
{
	fprintf(f, "system,slot_mib,guest_mode,shadow_pages,policy,"
		   "dirty_pages,reported,reps,path,get_ns_median,get_ns_min,"
		   "get_ns_max,get_cpu_ns_median,harvest_ns_median,"
		   "wp_ns_median,shootdown_ns_median,copyout_ns_median,"
		   "floor_ns_median,lock_hold_ns_median,lock_hold_max_ns,"
		   "lock_holds,shootdowns\n");
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
				"%lu,%lu\n",
				s->slot_mib, s->mode, s->shadow_pages,
				policy_name(pol), pt->dirty, pt->dirty,
				pt->reps, path_of(pt, pol), get.med, get.min,
				get.max, STAT(pt, pol, cpu_ns).med,
				STAT(pt, pol, harvest_ns).med,
				STAT(pt, pol, wp_ns).med,
				STAT(pt, pol, flush_ns).med,
				STAT(pt, pol, copy_ns).med,
				STAT(pt, pol, floor_ns).med, hold.med, hmax.max,
				last->holds, last->shootdowns);
		}
	}
}

/* ------------------------------------------------------------------ */
/* Tables */

/* Write-protect cost per dirty page on the rmap path, from the point
 * with every test page dirty. */
static double rmap_ns_per_page(const struct bench_slot *s)
{
	const struct bench_point *pt = &s->pt[s->npoints - 1];

	return STAT(pt, DIRTYLOG_POLICY_RMAP, wp_ns).med / (double)pt->dirty;
}

static void table_header(const struct bench_slot *s)
{
	printf("\nslot %lu MiB (%s): %lu pages, %lu dirtiable, %lu shadow "
	       "pages in use; read fault %.0f ns, write fault %.0f ns; "
	       "%.0f%% of the arena on 2 MiB pages; mmu_audit: %s\n",
	       s->slot_mib, s->mode, s->npages, s->avail, s->shadow_pages,
	       s->touch_ns_per_fault, s->write_fault_ns, 100 * s->huge_share,
	       s->audit_errors == ~0u ? "not run"
	       : s->audit_errors      ? "INCONSISTENT"
				      : "clean");
	printf("GET in microseconds: wall = CLOCK_MONOTONIC, median "
	       "[min-max]; cpu = the thread's CPU time, median; a/b = auto's "
	       "cpu median over the\nbetter forced policy's; phases "
	       "(medians): harvest, write protection on each path, copy-out; "
	       "hold = longest MMU-lock hold, in us and in pages\n");
	printf("%8s | %22s %7s | %22s %7s | %7s %7s %4s %5s | %7s | %7s %7s "
	       "%7s %7s | %6s %5s %7s\n",
	       "dirty", "rmap wall", "cpu", "walk wall", "cpu", "auto", "cpu",
	       "path", "a/b", "floor", "harvest", "wp:rmap", "wp:walk",
	       "copyout", "hold:r", "pages", "hold:w");
}

void report_table(const struct bench_slot *s)
{
	double per_page = rmap_ns_per_page(s);

	table_header(s);
	for (u32 i = 0; i < s->npoints; i++) {
		const struct bench_point *pt = &s->pt[i];
		struct stat3 rm = STAT(pt, DIRTYLOG_POLICY_RMAP, get_ns);
		struct stat3 wk = STAT(pt, DIRTYLOG_POLICY_WALK, get_ns);
		double rc = STAT(pt, DIRTYLOG_POLICY_RMAP, cpu_ns).med;
		double wc = STAT(pt, DIRTYLOG_POLICY_WALK, cpu_ns).med;
		double ac = STAT(pt, DIRTYLOG_POLICY_AUTO, cpu_ns).med;
		double hold = STAT(pt, DIRTYLOG_POLICY_RMAP, hold_ns).med;
		char rbuf[32], wbuf[32];

		snprintf(rbuf, sizeof(rbuf), "%.1f [%.1f-%.1f]", US(rm.med),
			 US(rm.min), US(rm.max));
		snprintf(wbuf, sizeof(wbuf), "%.1f [%.1f-%.1f]", US(wk.med),
			 US(wk.min), US(wk.max));
		printf("%8lu | %22s %7.1f | %22s %7.1f | %7.1f %7.1f %4s "
		       "%5.2f | %7.1f | %7.1f %7.1f %7.1f %7.1f | %6.1f %5.0f "
		       "%7.1f\n",
		       pt->dirty, rbuf, US(rc), wbuf, US(wc),
		       US(STAT(pt, DIRTYLOG_POLICY_AUTO, get_ns).med), US(ac),
		       path_of(pt, DIRTYLOG_POLICY_AUTO), ac / MIN(rc, wc),
		       US(STAT(pt, DIRTYLOG_POLICY_RMAP, floor_ns).med),
		       US(STAT(pt, DIRTYLOG_POLICY_RMAP, harvest_ns).med),
		       US(STAT(pt, DIRTYLOG_POLICY_RMAP, wp_ns).med),
		       US(STAT(pt, DIRTYLOG_POLICY_WALK, wp_ns).med),
		       US(STAT(pt, DIRTYLOG_POLICY_RMAP, copy_ns).med),
		       US(hold), hold / per_page,
		       US(STAT(pt, DIRTYLOG_POLICY_WALK, hold_ns).med));
	}
	printf("hold:r, hold:w: the longest MMU-lock hold in a GET under the "
	       "rmap and walk policies (99th percentile of the holds when "
	       "there are 100 or more);\npages: hold:r in dirty pages' worth "
	       "of rmap write protection at its all-dirty rate, %.1f ns per "
	       "page here\n",
	       per_page);
}

/* ------------------------------------------------------------------ */
/* The cost model: where the rmap path stops paying, and what auto picks */

struct model {
	double walk_per_sp; /* walk write-protect ns per shadow page */
	double rmap_dense;  /* rmap write-protect ns per page, all dirty */
	double rmap_cross;  /* the same, at the last point rmap won */
	u64 crossover;	    /* first dirty count where walk wins, or 0 */
	u32 wrong;	    /* points where auto took the clearly worse path */
	double worst;	    /* auto's median over the best, at worst */
};

static struct model model_of(const struct bench_slot *s)
{
	struct model m = {0};

	m.rmap_dense = rmap_ns_per_page(s);
	for (u32 k = 0; k < s->npoints; k++) {
		const struct bench_point *pt = &s->pt[k];
		double rm = STAT(pt, DIRTYLOG_POLICY_RMAP, cpu_ns).med;
		double wk = STAT(pt, DIRTYLOG_POLICY_WALK, cpu_ns).med;
		double au = STAT(pt, DIRTYLOG_POLICY_AUTO, cpu_ns).med;
		bool auto_rmap = pt->s[DIRTYLOG_POLICY_AUTO][0].rmap_path;

		m.walk_per_sp += STAT(pt, DIRTYLOG_POLICY_WALK, wp_ns).med;
		if (!m.crossover && wk < rm)
			m.crossover = pt->dirty;
		if (!m.crossover)
			m.rmap_cross =
				STAT(pt, DIRTYLOG_POLICY_RMAP, wp_ns).med /
				(double)pt->dirty;
		/* Wrong only where the other path is clearly (10%) better:
		 * closer than that is within the noise here. */
		if (auto_rmap ? rm > 1.1 * wk : wk > 1.1 * rm)
			m.wrong++;
		m.worst = MAX(m.worst, au / MIN(rm, wk));
	}
	m.walk_per_sp /= s->npoints * (double)s->shadow_pages;
	return m;
}

void report_model(const struct bench_slot *slots, u32 nslots)
{
	double lowest = 0;

	printf("\nthe auto rule (rmap path when dirty < shadow pages in use) "
	       "against the data (GET times: CPU-time medians, which a "
	       "descheduled harness does not inflate):\n");
	printf("%9s %7s | %8s %8s | %8s %8s | %9s %6s | %6s %5s\n", "slot_mib",
	       "shadow", "walk", "floor", "rmap", "rmap", "crossover",
	       "/shadow", "auto", "worst");
	printf("%9s %7s | %8s %8s | %8s %8s | %9s %6s | %6s %5s\n", "", "pages",
	       "ns/sp", "ns/sp", "ns/pg all", "ns/pg x", "dirty", "", "wrong",
	       "a/b");
	for (u32 i = 0; i < nslots; i++) {
		const struct bench_slot *s = &slots[i];
		struct model m = model_of(s);
		double ratio = (double)m.crossover / (double)s->shadow_pages;

		printf("%9lu %7lu | %8.0f %8.0f | %8.1f %8.1f | %9lu %6.1f | "
		       "%3u/%-2u %5.2f\n",
		       s->slot_mib, s->shadow_pages, m.walk_per_sp,
		       s->walk_floor_ns / (double)s->shadow_pages, m.rmap_dense,
		       m.rmap_cross, m.crossover, ratio, m.wrong, s->npoints,
		       m.worst);
		if (m.crossover && (!lowest || ratio < lowest))
			lowest = ratio;
	}
	printf("walk ns/sp: the walk's write protection per shadow page in "
	       "use (median over the points), floor: every level-1 entry "
	       "read once;\nrmap ns/pg: the rmap path's per dirty page, "
	       "with every page dirty and at the last point where it beat "
	       "the walk;\ncrossover: the first dirty count (powers of two) "
	       "where the walk's GET beats the rmap's (0: never); "
	       "auto wrong: points\nwhere auto took the path that was more "
	       "than 10%% slower; worst a/b: auto's median over the better "
	       "path's, at worst\n");
	if (lowest)
		printf("data: the rmap path wins while dirty < about %.0f x "
		       "shadow pages in use (the lowest crossover measured; "
		       "points are a factor 2 apart)\n",
		       lowest);
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
