// SPDX-License-Identifier: MIT
/*
 * dirtylog-errors: the dirty-log hypercalls' bad inputs (contract section
 * 5), each answered with the contract's errno and changing nothing, and
 * the writes Shade makes into a logged page on the guest's behalf, which
 * count as guest writes (tests/integration/dirtylog-errors.sh).
 *
 * Two partitions run this guest. The one with the control flag (command
 * line "-- other=NAME") checks, on its own slot and on NAME's: a slot not
 * logging (-EINVAL), unknown slots and partition ids (-ENOENT, existence
 * before arguments), unknown policies (-EINVAL), bitmaps too small
 * (-ENOSPC) or not wholly in RAM (-EFAULT), and VMCALL at CPL 3 (-EPERM).
 * "Changes nothing": a failed call writes nothing into its buffer, marks
 * nothing dirty, clears nothing (the next valid GET still reports every
 * page written before), counts no GET in HC_STATS, and a refused policy
 * leaves the old one in force (seen in which path the next GET takes).
 * Its RAM is 16388K, 4097 pages, so that a bitmap needs 520 bytes, not a
 * power of two. Then HC_STATS, HC_PARTITION_INFO (across a page
 * boundary), HC_MEMSLOT_INFO and HC_DIRTY_LOG_GET itself write into
 * logged pages, and the next GET must report exactly those.
 *
 * The partition without the flag ("-- other=NAME" too) checks that every
 * id but 0 is -EPERM for it, before existence and arguments, and never
 * enables its own log (the control partition expects -EINVAL from it).
 */
#include "guest.h"
#include "dlog.h"

/* The messages name the first unknown policy. */
_Static_assert(DIRTY_LOG_POLICY_COUNT == 5, "policies 0-4 are defined");

#define POISON 0xa5
#define BAD_ID 1000
#define NAREA  8

/* The buffer each GET fills: a page of its own, so that its frame is
 * known and nothing else writes it. */
static u8 bitmap[DLOG_PAGE_SIZE] __aligned(DLOG_PAGE_SIZE);
/* Pages only the test writes (and Shade, when asked to). */
static u8 area[NAREA][DLOG_PAGE_SIZE] __aligned(DLOG_PAGE_SIZE);

static u64 mem;
static u32 npages, need, self_id, other_id;

static bool all_poison(const void *p, u32 len)
{
	const u8 *b = p;
	u32 i;

	for (i = 0; i < len; i++) {
		if (b[i] != POISON)
			return false;
	}
	return true;
}

static bool reported(u32 gfn)
{
	return dlog_bit((const u32 *)bitmap, gfn);
}

static u32 area_gfn(u32 i)
{
	return dlog_gfn(area[i]);
}

/* A GET into bitmap that must fail with err and leave bitmap alone. */
static void get_fails(u32 id, u32 slot, u32 bytes, i32 err, const char *what)
{
	i32 rc;

	memset(bitmap, POISON, sizeof(bitmap));
	rc = hc_dirty_log_get(id, slot, gpa_of(bitmap), bytes);
	checkf(rc == -err && all_poison(bitmap, sizeof(bitmap)),
	       "%s: %d (want %d), buffer untouched", what, rc, -err);
}

/*
 * A GET with the buffer at gpa that must fail with err. The bytes of the
 * buffer inside RAM (if any; at most a page of them) were poisoned before
 * the last valid GET, and must keep their poison: writing it here would
 * mark the page dirty.
 */
static void get_buf_fails(gpa_t gpa, u32 bytes, i32 err, const char *what)
{
	u32 inside = gpa < mem ? (u32)(mem - gpa) : 0;
	i32 rc;

	if (inside > bytes)
		inside = bytes;
	if (inside > DLOG_PAGE_SIZE)
		inside = DLOG_PAGE_SIZE;
	rc = hc_dirty_log_get(PARTITION_SELF, 0, gpa, bytes);
	checkf(rc == -err && (!inside || all_poison((void *)gpa, inside)),
	       "GET into 0x%x, %u bytes (%s): %d (want %d), nothing written",
	       gpa, bytes, what, rc, -err);
}

/* A valid GET of our own slot; returns its count, checked against the
 * bits it set, or -1. */
static i32 get_ok(const char *what)
{
	i32 rc;
	u32 bits;

	memset(bitmap, POISON, sizeof(bitmap));
	rc = hc_dirty_log_get(PARTITION_SELF, 0, gpa_of(bitmap), need);
	if (rc < 0) {
		failf("%s: GET failed with %d", what, rc);
		return -1;
	}
	bits = dlog_popcount((const u32 *)bitmap, npages);
	if (!checkf((u32)rc == bits &&
			    all_poison(bitmap + need, sizeof(bitmap) - need),
		    "%s: GET returned %d, %u bits set, nothing written past "
		    "%u bytes",
		    what, rc, bits, need))
		return -1;
	return rc;
}

/* ---- before the log is enabled ---- */

static void not_logging(void)
{
	get_fails(PARTITION_SELF, 0, need, EINVAL, "GET on a slot not logging");
	check_eq(hc_dirty_log_disable(PARTITION_SELF, 0), 0,
		 "DISABLE of a slot not logging: 0");
	get_fails(PARTITION_SELF, 0, need, EINVAL,
		  "GET after DISABLE of a slot not logging");
	get_fails(PARTITION_SELF, 0, 0, EINVAL,
		  "GET on a slot not logging, 0-byte buffer");
}

static void unknown_slots(u32 id, const char *who)
{
	static const u32 slots[] = {1, 2, 0x80000000u, 0xffffffffu};
	u32 i;

	for (i = 0; i < ARRAY_SIZE(slots); i++) {
		checkf(hc_dirty_log_enable(id, slots[i]) == -ENOENT &&
			       hc_dirty_log_disable(id, slots[i]) == -ENOENT,
		       "%s slot 0x%x: ENABLE and DISABLE -ENOENT", who,
		       slots[i]);
		get_fails(id, slots[i], need, ENOENT, "GET of an unknown slot");
	}
	/* Existence before arguments: a bad buffer does not change it. */
	checkf(hc_dirty_log_get(id, 1, (gpa_t)mem, 0) == -ENOENT,
	       "%s slot 1, buffer past RAM, 0 bytes: -ENOENT (existence "
	       "before arguments)",
	       who);
}

static void unknown_ids(void)
{
	static const u32 ids[] = {BAD_ID, 0x7fffffffu, 0xffffffffu};
	u32 i, id;

	for (i = 0; i < ARRAY_SIZE(ids); i++) {
		id = ids[i];
		checkf(hc_dirty_log_enable(id, 0) == -ENOENT &&
			       hc_dirty_log_disable(id, 0) == -ENOENT &&
			       hc_dirty_log_policy(id, 0) == -ENOENT &&
			       hc_dirty_log_policy(
				       id, DIRTY_LOG_POLICY_COUNT) == -ENOENT,
		       "unknown partition 0x%x from a control partition: "
		       "ENABLE, DISABLE, POLICY -ENOENT",
		       id);
		get_fails(id, 0, need, ENOENT, "GET of an unknown partition");
		get_fails(id, 5, 0, ENOENT,
			  "GET of an unknown partition, bad slot and size");
	}
}

static void bad_policies(u32 id, const char *who)
{
	static const u32 bad[] = {DIRTY_LOG_POLICY_COUNT,
				  DIRTY_LOG_POLICY_COUNT + 1, 0x80000000u,
				  0xffffffffu};
	u32 i;

	for (i = 0; i < ARRAY_SIZE(bad); i++)
		checkf(hc_dirty_log_policy(id, bad[i]) == -EINVAL,
		       "%s: POLICY %u: -EINVAL", who, bad[i]);
	for (i = 0; i < DIRTY_LOG_POLICY_COUNT; i++)
		checkf(hc_dirty_log_policy(id, i) == 0, "%s: POLICY %u: 0", who,
		       i);
}

/* The other partition exists, has no control flag and never logs. */
static void other_partition(void)
{
	if (!checkf(other_id > 0, "found the other partition: id %d",
		    (i32)other_id))
		return;
	get_fails(other_id, 0, need, EINVAL,
		  "GET of the other partition's slot, not logging");
	unknown_slots(other_id, "other partition");
	bad_policies(other_id, "other partition");
}

/* ---- CPL 3 ---- */

static volatile i32 user_rc[4];

static void user_calls(void)
{
	user_rc[0] = hc_dirty_log_enable(PARTITION_SELF, 0);
	user_rc[1] = hc_dirty_log_get(PARTITION_SELF, 0, gpa_of(bitmap), need);
	user_rc[2] = hc_dirty_log_policy(PARTITION_SELF, 1);
	user_rc[3] = hc_dirty_log_disable(PARTITION_SELF, 0);
}

static void cpl3(bool logging)
{
	memset(bitmap, POISON, sizeof(bitmap));
	if (!check_eq(expect_fault_user(user_calls), -1,
		      "dirty-log calls at CPL 3 return"))
		return;
	checkf(user_rc[0] == -EPERM && user_rc[1] == -EPERM &&
		       user_rc[2] == -EPERM && user_rc[3] == -EPERM,
	       "ENABLE, GET, POLICY, DISABLE at CPL 3 (log %s): %d %d %d %d "
	       "(all -EPERM)",
	       logging ? "on" : "off", user_rc[0], user_rc[1], user_rc[2],
	       user_rc[3]);
	check(all_poison(bitmap, sizeof(bitmap)),
	      "nothing written by the GET at CPL 3");
	/* The refused ENABLE did not enable it, the DISABLE did not stop it. */
	if (logging)
		get_ok("GET after the CPL 3 DISABLE");
	else
		get_fails(PARTITION_SELF, 0, need, EINVAL,
			  "GET after the CPL 3 ENABLE (still not logging)");
}

/* ---- with the log on ---- */

static void write_area(u32 i)
{
	__atomic_store_n((volatile u32 *)area[i], 0x1000 + i, __ATOMIC_RELAXED);
}

/*
 * Pages written before a string of failed GETs are all reported by the
 * next valid one, whose count and path are as if the failures had not
 * happened; the failures marked nothing (the top page of RAM, which some
 * of their buffers overlap, stays clean).
 */
static void failed_gets_change_nothing(void)
{
	struct shade_stats before, after;
	u32 top = (u32)(mem / DLOG_PAGE_SIZE) - 1;
	i32 n;

	memset((void *)(u32)(mem - DLOG_PAGE_SIZE), POISON, DLOG_PAGE_SIZE);
	memset(area[6], POISON, DLOG_PAGE_SIZE);
	check_eq(hc_dirty_log_policy(PARTITION_SELF, DIRTY_LOG_POLICY_RMAP), 0,
		 "POLICY 1 (rmap)");
	get_ok("GET to start clean");
	write_area(0);
	write_area(3);
	write_area(5);
	if (!dlog_stats(PARTITION_SELF, &before))
		return;
	get_fails(PARTITION_SELF, 0, need - 1, ENOSPC, "GET, bitmap 1 short");
	get_fails(PARTITION_SELF, 0, need - 8, ENOSPC, "GET, bitmap 8 short");
	get_fails(PARTITION_SELF, 0, 8, ENOSPC, "GET, 8-byte bitmap");
	get_fails(PARTITION_SELF, 0, 0, ENOSPC, "GET, 0-byte bitmap");
	get_buf_fails((gpa_t)mem, need, EFAULT, "just past RAM");
	get_buf_fails((gpa_t)mem - need / 2, need, EFAULT,
		      "straddling the end of RAM");
	get_buf_fails((gpa_t)mem - need + 1, need, EFAULT,
		      "one byte past the end of RAM");
	get_buf_fails(0xfffffff0u, need, EFAULT, "wrapping around 4 GiB");
	get_buf_fails(0u - need, need, EFAULT, "ending at 4 GiB");
	get_buf_fails(gpa_of(area[6]), 0xffffffffu, EFAULT,
		      "in RAM, 4 GiB - 1 bytes");
	get_buf_fails((gpa_t)mem - DLOG_PAGE_SIZE, DLOG_PAGE_SIZE + 1, EFAULT,
		      "the top page and one byte more");
	check_eq(hc_dirty_log_policy(PARTITION_SELF, DIRTY_LOG_POLICY_COUNT),
		 -EINVAL, "POLICY 5 with the log on: -EINVAL");
	if (!dlog_stats(PARTITION_SELF, &after))
		return;
	check(after.dirty_get_calls == before.dirty_get_calls &&
		      after.dirty_pages_reported == before.dirty_pages_reported,
	      "failed GETs count no GET and no page in HC_STATS");
	n = get_ok("GET after the failed ones");
	if (n < 0)
		return;
	checkf(reported(area_gfn(0)) && reported(area_gfn(3)) &&
		       reported(area_gfn(5)),
	       "the pages written before the failed GETs are reported "
	       "(frames 0x%x 0x%x 0x%x)",
	       area_gfn(0), area_gfn(3), area_gfn(5));
	checkf(!reported(area_gfn(1)) && !reported(area_gfn(4)) &&
		       !reported(area_gfn(6)),
	       "pages not written are not reported (one was under a failed "
	       "GET's buffer)");
	checkf(!reported(top),
	       "the top page of RAM (frame 0x%x), under the failed GETs' "
	       "buffers, is not reported: they wrote nothing",
	       top);
	if (!dlog_stats(PARTITION_SELF, &after))
		return;
	checkf(after.dirty_get_calls == before.dirty_get_calls + 1 &&
		       after.dirty_get_rmap_calls ==
			       before.dirty_get_rmap_calls + 1 &&
		       after.dirty_get_walk_calls ==
			       before.dirty_get_walk_calls &&
		       after.dirty_pages_reported ==
			       before.dirty_pages_reported + (u32)n,
	       "HC_STATS: one GET, by rmap (POLICY 5 refused), %d pages", n);
}

/* A refused policy leaves the walk policy in force too. */
static void refused_policy_keeps_walk(void)
{
	struct shade_stats before, after;

	check_eq(hc_dirty_log_policy(PARTITION_SELF, DIRTY_LOG_POLICY_WALK), 0,
		 "POLICY 2 (walk)");
	check_eq(hc_dirty_log_policy(PARTITION_SELF, 0xffffffffu), -EINVAL,
		 "POLICY 0xffffffff: -EINVAL");
	if (!dlog_stats(PARTITION_SELF, &before) || get_ok("GET by walk") < 0 ||
	    !dlog_stats(PARTITION_SELF, &after))
		return;
	check(after.dirty_get_walk_calls == before.dirty_get_walk_calls + 1 &&
		      after.dirty_get_rmap_calls == before.dirty_get_rmap_calls,
	      "HC_STATS: the GET took the walk path (POLICY 0xffffffff "
	      "refused)");
	check_eq(hc_dirty_log_policy(PARTITION_SELF, DIRTY_LOG_POLICY_AUTO), 0,
		 "POLICY 0 (auto)");
}

/*
 * Shade's own writes into logged pages are reported by the next GET:
 * HC_STATS, HC_PARTITION_INFO across a page boundary, HC_MEMSLOT_INFO,
 * and the bitmap a GET wrote. A failed call and HC_PARTITION_FIND (which
 * only reads) mark nothing.
 */
static void shade_writes_count(void)
{
	u32 off = DLOG_PAGE_SIZE - 20;

	get_ok("GET to start clean");
	if (get_ok("GET reporting the previous GET's bitmap") < 0)
		return;
	checkf(reported(dlog_gfn(bitmap)),
	       "the bitmap page the previous GET wrote is reported (frame "
	       "0x%x)",
	       dlog_gfn(bitmap));
	memcpy(area[7], "dirtylog-errors", 16); /* any name: only read */
	get_ok("GET to start clean");
	check_eq(hc_stats(PARTITION_SELF, gpa_of(area[1])), 0,
		 "HC_STATS into area page 1");
	check_eq(hc_partition_info(PARTITION_SELF, gpa_of(area[2] + off)), 0,
		 "HC_PARTITION_INFO across area pages 2 and 3");
	check_eq(hc_memslot_info(PARTITION_SELF, 0, gpa_of(area[4])), 0,
		 "HC_MEMSLOT_INFO into area page 4");
	check_eq(hc_partition_info(PARTITION_SELF, (gpa_t)mem - 8), -EFAULT,
		 "HC_PARTITION_INFO straddling the end of RAM: -EFAULT");
	hc_partition_find(gpa_of(area[7]));
	if (get_ok("GET after Shade's writes") < 0)
		return;
	checkf(reported(area_gfn(1)), "HC_STATS's page is reported");
	checkf(reported(area_gfn(2)) && reported(area_gfn(3)),
	       "both pages HC_PARTITION_INFO wrote are reported");
	checkf(reported(area_gfn(4)), "HC_MEMSLOT_INFO's page is reported");
	checkf(!reported(area_gfn(5)) && !reported(area_gfn(6)),
	       "untouched area pages are not reported");
	checkf(!reported(area_gfn(7)),
	       "the page HC_PARTITION_FIND read is not reported");
	checkf(!reported((u32)(mem / DLOG_PAGE_SIZE) - 1),
	       "the failed HC_PARTITION_INFO marked nothing");
}

static void disable_again(void)
{
	check_eq(hc_dirty_log_disable(PARTITION_SELF, 0), 0, "DISABLE: 0");
	get_fails(PARTITION_SELF, 0, need, EINVAL, "GET after DISABLE");
	check_eq(hc_dirty_log_disable(PARTITION_SELF, 0), 0,
		 "DISABLE again: 0");
	check_eq(hc_dirty_log_enable(PARTITION_SELF, 0), 0, "ENABLE again: 0");
	write_area(6);
	if (get_ok("GET after ENABLE again") >= 0)
		check(reported(area_gfn(6)),
		      "a page written after the new ENABLE is reported");
}

static void control_role(void)
{
	not_logging();
	unknown_slots(PARTITION_SELF, "own");
	unknown_ids();
	bad_policies(PARTITION_SELF, "own");
	other_partition();
	cpl3(false);
	check_eq(hc_dirty_log_enable(PARTITION_SELF, 0), 0, "ENABLE: 0");
	check_eq(hc_dirty_log_enable(PARTITION_SELF, 0), 0,
		 "ENABLE while logging: 0");
	failed_gets_change_nothing();
	refused_policy_keeps_walk();
	cpl3(true);
	unknown_slots(PARTITION_SELF, "own (logging)");
	shade_writes_count();
	disable_again();
}

/* ---- the partition without the control flag ---- */

static void peer_role(void)
{
	u32 ids[] = {other_id, self_id, BAD_ID, 0xffffffffu};
	u32 i, id;

	for (i = 0; i < ARRAY_SIZE(ids); i++) {
		id = ids[i];
		checkf(hc_dirty_log_enable(id, 0) == -EPERM &&
			       hc_dirty_log_disable(id, 0) == -EPERM &&
			       hc_dirty_log_policy(id, 0) == -EPERM &&
			       hc_dirty_log_policy(
				       id, DIRTY_LOG_POLICY_COUNT) == -EPERM,
		       "id 0x%x without control: ENABLE, DISABLE, POLICY "
		       "-EPERM",
		       id);
		get_fails(id, 0, need, EPERM, "GET of an id without control");
		get_fails(id, 1, 0, EPERM,
			  "GET of an id without control, bad slot and size "
			  "(permission first)");
	}
	checkf(hc_dirty_log_get(other_id, 0, (gpa_t)mem, need) == -EPERM,
	       "GET of the control partition into a bad buffer: -EPERM");
	get_fails(PARTITION_SELF, 0, need, EINVAL, "own GET, not logging");
	unknown_slots(PARTITION_SELF, "own");
	check_eq(hc_dirty_log_policy(PARTITION_SELF, DIRTY_LOG_POLICY_COUNT),
		 -EINVAL, "own POLICY 5: -EINVAL");
	cpl3(false);
}

u32 guest_main(u32 magic, u32 info)
{
	char other[PARTITION_NAME_LEN + 1];
	struct partition_info pi;
	struct memslot_info ms;

	dlog_arg_str(bootinfo_cmdline(magic, info), "other", other,
		     sizeof(other));
	trap_init();
	if (!check(is_shade(), "running under Shade") || !self_info(&pi) ||
	    !check_eq(hc_memslot_info(PARTITION_SELF, 0, gpa_of(&ms)), 0,
		      "HC_MEMSLOT_INFO(0, 0)"))
		return report();
	mem = pi.mem_bytes;
	self_id = pi.id;
	npages = (u32)ms.npages;
	need = dlog_bitmap_bytes(npages);
	other_id = (u32)hc_partition_find(gpa_of(other));
	gprintf("%s partition, %u pages (bitmap %u bytes), other '%s' id %d\n",
		pi.flags & PARTITION_FLAG_CONTROL ? "control" : "plain", npages,
		need, other, (i32)other_id);
	if (pi.flags & PARTITION_FLAG_CONTROL)
		control_role();
	else
		peer_role();
	return report();
}
