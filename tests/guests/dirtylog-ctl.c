// SPDX-License-Identifier: MIT
/*
 * dirtylog-ctl: a control partition that logs another one, "work"
 * (dirtylog-work.c), with HC_DIRTY_LOG_GET on its id
 * (tests/integration/dirtylog-control.sh). The two follow the protocol
 * in lib/dlog.h. For each of the workload's phases it checks:
 *
 *   - at least: every page the pattern writes in phase k is reported by
 *     the GETs between the end of phase k - 1's idle GETs and the GET
 *     after the one that reported phase k's signal page (no write lost,
 *     whichever of the workload's two vCPUs made it);
 *   - at most: no other test page, and no signal page but k's, is
 *     reported then, and nothing in the test area while the workload
 *     idles: such reports are false positives, counted, under 1%;
 *   - every GET's count equals the bits it set; the write-protect
 *     policy changes from phase to phase (auto, rmap, walk), and the
 *     workload's HC_STATS count the GETs, their path and their pages.
 *
 * The last phase is written just before the workload stops: its log
 * must still be there (contract section 5), then DISABLE ends it.
 * Command line: phases=N (the workload's too), sti=1.
 */
#include "guest.h"
#include "dlog.h"

#define TARGET	    "work"
#define MAX_GETS    200000u /* waiting for one signal: far beyond need */
#define AREA_GFN    (DLOG_CTL_AREA >> DLOG_PAGE_SHIFT)
#define SIGNAL_GFN  (DLOG_CTL_SIGNAL >> DLOG_PAGE_SHIFT)
#define AREA_WORDS  (DLOG_CTL_PAGES / 32)
#define IDLE_MAX_RC 32u /* pages an idle workload may dirty per GET */
#define STOP_ROUNDS 100000u

static u32 bm[4096 / 4] __aligned(4096);
static u32 seen[AREA_WORDS]; /* test pages reported in this phase */
static u32 work_id, npages, bm_bytes;

static struct {
	u32 gets, by_policy[3];
	u64 pages;
	u32 checked, lost, extra, idle_extra, stray_signals, idle_pages;
	u32 reported;
} tally;

/* A GET of the workload's slot 0 into bm; its count is the bits set. */
static i32 get(void)
{
	i32 rc = hc_dirty_log_get(work_id, 0, gpa_of(bm), bm_bytes);

	if (rc < 0) {
		failf("GET of '%s': %d", TARGET, rc);
		return rc;
	}
	tally.gets++;
	tally.pages += (u32)rc;
	if ((u32)rc != dlog_popcount(bm, npages)) {
		failf("GET returned %d but set %u bits", rc,
		      dlog_popcount(bm, npages));
		return -1;
	}
	return rc;
}

/* Signal pages other than k reported: never written again, so false. */
static void note_signals(u32 k)
{
	u32 j;

	for (j = 1; j < DLOG_CTL_MAX_PHASES; j++)
		if (j != k && dlog_bit(bm, SIGNAL_GFN + j))
			tally.stray_signals++;
}

/* Add this GET's test pages to seen[]. */
static void collect(u32 k)
{
	u32 i;

	for (i = 0; i < AREA_WORDS; i++)
		seen[i] |= bm[AREA_GFN / 32 + i];
	note_signals(k);
}

/* The phase's reports against its pattern. */
static void check_phase(u32 k)
{
	u32 page, lost = 0;

	for (page = 0; page < DLOG_CTL_PAGES; page++) {
		bool want = dlog_ctl_writes(k, page);
		bool got = dlog_bit(seen, page);

		tally.reported += got;
		if (want) {
			tally.checked += 2; /* two writes per page */
			if (!got && lost++ < 8)
				failf("phase %u: test page %u (frame 0x%x) "
				      "was written but never reported",
				      k, page, AREA_GFN + page);
		} else if (got) {
			tally.extra++;
		}
	}
	tally.lost += lost;
}

/* GETs until signal page k is reported, then one more. */
static bool follow_phase(u32 k)
{
	u32 n;

	for (n = 0; n < MAX_GETS; n++) {
		if (get() < 0)
			return false;
		collect(k);
		if (dlog_bit(bm, SIGNAL_GFN + k))
			break;
	}
	if (!checkf(n < MAX_GETS, "phase %u: its signal page reported", k))
		return false;
	if (get() < 0)
		return false;
	collect(k);
	check_phase(k);
	return true;
}

/* While the workload idles: nothing in the test area. */
static bool idle_gets(u32 k)
{
	u32 n, i;
	i32 rc;

	for (n = 0; n < DLOG_CTL_IDLE_GETS; n++) {
		if ((rc = get()) < 0)
			return false;
		for (i = 0; i < DLOG_CTL_PAGES; i++)
			tally.idle_extra += dlog_bit(bm, AREA_GFN + i);
		note_signals(k + 1);
		tally.idle_pages += (u32)rc;
		checkf((u32)rc <= IDLE_MAX_RC,
		       "idle GET after phase %u: %d pages (at most %u)", k, rc,
		       IDLE_MAX_RC);
	}
	return true;
}

static bool set_policy(u32 k)
{
	u32 policy = k % 3;

	tally.by_policy[policy]++;
	return check_eq(hc_dirty_log_policy(work_id, policy), 0,
			"HC_DIRTY_LOG_POLICY of the workload");
}

/* Wait until the workload has stopped; then its log is still there. */
static void after_stop(void)
{
	struct partition_info pi;
	u32 n, i, area = 0;
	i32 rc;

	for (n = 0; n < STOP_ROUNDS; n++) {
		if (hc_partition_info(work_id, gpa_of(&pi)) ||
		    !(pi.flags & PARTITION_FLAG_RUNNING))
			break;
	}
	if (!checkf(n < STOP_ROUNDS && !(pi.flags & PARTITION_FLAG_RUNNING),
		    "'%s' has stopped (flags 0x%x)", TARGET, pi.flags))
		return;
	rc = get();
	for (i = 0; rc >= 0 && i < DLOG_CTL_PAGES; i++)
		area += dlog_bit(bm, AREA_GFN + i);
	checkf(rc >= 0 && area == 0,
	       "GET of the stopped partition: %d pages, %u of them in the "
	       "test area (want none)",
	       rc, area);
	check_eq(hc_dirty_log_disable(work_id, 0), 0,
		 "DISABLE of the stopped partition's log");
	check_eq(hc_dirty_log_get(work_id, 0, gpa_of(bm), bm_bytes), -EINVAL,
		 "GET after DISABLE: -EINVAL");
}

static void check_stats(const struct shade_stats *s0)
{
	struct shade_stats s1;

	if (!dlog_stats(work_id, &s1))
		return;
	checkf(s1.dirty_get_calls - s0->dirty_get_calls == tally.gets &&
		       s1.dirty_pages_reported - s0->dirty_pages_reported ==
			       tally.pages,
	       "the workload's HC_STATS: %llu GETs, %llu pages (made %u, "
	       "reported %llu)",
	       s1.dirty_get_calls - s0->dirty_get_calls,
	       s1.dirty_pages_reported - s0->dirty_pages_reported, tally.gets,
	       tally.pages);
	checkf(s1.dirty_get_rmap_calls - s0->dirty_get_rmap_calls +
			       s1.dirty_get_walk_calls -
			       s0->dirty_get_walk_calls ==
		       tally.gets,
	       "every GET took the rmap path (%llu) or the walk (%llu)",
	       s1.dirty_get_rmap_calls - s0->dirty_get_rmap_calls,
	       s1.dirty_get_walk_calls - s0->dirty_get_walk_calls);
	checkf(s1.tlb_shootdown_ipis > s0->tlb_shootdown_ipis,
	       "the workload's vCPUs got %llu shootdown IPIs in %llu rounds",
	       s1.tlb_shootdown_ipis - s0->tlb_shootdown_ipis,
	       s1.tlb_shootdown_rounds - s0->tlb_shootdown_rounds);
}

static void summary(u32 phases)
{
	u32 fp = tally.extra + tally.idle_extra + tally.stray_signals;

	gprintf("%u phases, %u GETs (auto %u, rmap %u, walk %u phases)\n",
		phases, tally.gets, tally.by_policy[0], tally.by_policy[1],
		tally.by_policy[2]);
	gprintf("checked writes: %u, lost: %u; reported %u test pages, false "
		"positives: %u outside the pattern, %u while idle, %u "
		"signals\n",
		tally.checked, tally.lost, tally.reported, tally.extra,
		tally.idle_extra, tally.stray_signals);
	checkf(tally.lost == 0, "no write lost (%u checked)", tally.checked);
	checkf(fp * 100 <= tally.reported + 100,
	       "false positives: %u of %u reported test pages (at most 1%%)",
	       fp, tally.reported);
}

u32 guest_main(u32 magic, u32 info)
{
	struct shade_stats s0;
	struct memslot_info ms;
	struct partition_info pi;
	u32 phases, k;

	phases = dlog_arg(bootinfo_cmdline(magic, info), "phases", 8);
	if (dlog_arg(bootinfo_cmdline(magic, info), "sti", 0))
		asm volatile("sti");
	if (!check(is_shade(), "running under Shade") || !self_info(&pi) ||
	    !check(phases >= 1 && phases < DLOG_CTL_MAX_PHASES,
		   "phases=N within 1..63") ||
	    !check(pi.flags & PARTITION_FLAG_CONTROL, "has the control flag"))
		return report();
	work_id = (u32)hc_partition_find(gpa_of(TARGET));
	if (!checkf((i32)work_id > 0, "HC_PARTITION_FIND('%s'): %d", TARGET,
		    (i32)work_id) ||
	    !check_eq(hc_memslot_info(work_id, 0, gpa_of(&ms)), 0,
		      "HC_MEMSLOT_INFO of the workload's slot 0"))
		return report();
	npages = (u32)ms.npages;
	bm_bytes = dlog_bitmap_bytes(npages);
	if (!check(bm_bytes <= sizeof(bm) &&
			   npages > SIGNAL_GFN + DLOG_CTL_MAX_PHASES,
		   "the workload's RAM holds its test area and signals") ||
	    !dlog_stats(work_id, &s0) ||
	    !check_eq(hc_dirty_log_enable(work_id, 0), 0,
		      "HC_DIRTY_LOG_ENABLE of the workload") ||
	    get() < 0)
		return report();
	for (k = 1; k <= phases; k++) {
		memset(seen, 0, sizeof(seen));
		if (!set_policy(k) || !follow_phase(k))
			return report();
		if (k < phases && !idle_gets(k))
			return report();
	}
	after_stop();
	check_stats(&s0);
	summary(phases);
	return report();
}
