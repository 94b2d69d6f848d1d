// SPDX-License-Identifier: MIT
/*
 * hcabuse: every way to get a hypercall wrong, each answered with the
 * contract's error (section 5): unknown numbers, buffers outside RAM,
 * straddling its end or wrapping around 4 GiB, other partitions' ids
 * without the control flag, missing names and slots, VMCALL from ring 3;
 * and the order of the checks (CPL, permission, existence, arguments).
 * Also checks the edges that must work (a buffer ending exactly at the end
 * of RAM, at address 0, unaligned) and that VMCALL changes EAX only.
 * Runs alone in a 16 MiB partition (tests/integration/guest-hcabuse.sh).
 */
#include "guest.h"

#define NAME "hcabuse"

/* Buffers start as this, to see whether a failed call wrote anything. */
#define POISON 0xa5

static u64 mem;
static u32 self_id;

/* A pointer to the last len bytes of RAM. */
static void *ram_tail(u32 len)
{
	return (void *)(u32)(mem - len);
}

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

static void unknown_numbers(void)
{
	static const u32 nrs[] = {
		10, 11, 100, 0x7fffffff, 0x80000000, 0xffffffff,
	};
	u32 i;

	for (i = 0; i < ARRAY_SIZE(nrs); i++)
		checkf(hypercall(nrs[i], 0, 0, 0, 0) == -ENOSYS,
		       "hypercall number 0x%x: -ENOSYS", nrs[i]);
}

/* HC_PARTITION_INFO(0, gpa) with a buffer that is not wholly in RAM. */
static void info_bad_buffer(gpa_t gpa, const char *what)
{
	checkf(hc_partition_info(PARTITION_SELF, gpa) == -EFAULT,
	       "HC_PARTITION_INFO to 0x%x (%s): -EFAULT", gpa, what);
}

static void info_good_buffer(struct partition_info *pi, const char *what)
{
	memset(pi, POISON, sizeof(*pi));
	checkf(hc_partition_info(PARTITION_SELF, gpa_of(pi)) == 0 &&
		       pi->id == self_id && pi->mem_bytes == mem,
	       "HC_PARTITION_INFO to 0x%x (%s) succeeds", gpa_of(pi), what);
}

static void info_buffers(void)
{
	const u32 len = sizeof(struct partition_info);
	static u8 unaligned[sizeof(struct partition_info) + 1];

	info_bad_buffer((gpa_t)mem, "just past the end of RAM");
	info_bad_buffer((gpa_t)mem - 1, "last byte of RAM");
	memset(ram_tail(len - 1), POISON, len - 1);
	info_bad_buffer((gpa_t)mem - (len - 1), "straddling the end of RAM");
	check(all_poison(ram_tail(len - 1), len - 1),
	      "nothing written by the failed call");
	info_bad_buffer(0xffffffffu, "gpa + len wraps around 4 GiB");
	info_bad_buffer(0xfffffff0u, "gpa + len wraps to low RAM");
	info_bad_buffer(0u - len, "ending exactly at 4 GiB");
	info_good_buffer(ram_tail(len), "ending exactly at the end of RAM");
	info_good_buffer((struct partition_info *)(unaligned + 1), "unaligned");
	info_good_buffer((struct partition_info *)0, "at address 0");
}

/*
 * Any id but 0 and our own needs the control flag, and permission is
 * checked before existence and arguments: ids that exist (others may run
 * beside us) and ids that do not are all -EPERM, even with a bad buffer.
 */
static void other_ids(void)
{
	static const u32 ids[] = {
		1, 2, 3, 4, 5, 6, 7, 8, 1000, 0x7fffffff, 0xffffffff,
	};
	struct partition_info pi;
	struct memslot_info ms;
	struct shade_stats st;
	i32 rc[4];
	u32 i;

	for (i = 0; i < ARRAY_SIZE(ids); i++) {
		if (ids[i] == self_id)
			continue;
		rc[0] = hc_partition_info(ids[i], gpa_of(&pi));
		rc[1] = hc_partition_info(ids[i], (gpa_t)mem);
		rc[2] = hc_memslot_info(ids[i], 0, gpa_of(&ms));
		rc[3] = hc_stats(ids[i], gpa_of(&st));
		checkf(rc[0] == -EPERM && rc[1] == -EPERM && rc[2] == -EPERM &&
			       rc[3] == -EPERM,
		       "id 0x%x without control: INFO %d, INFO to a bad "
		       "buffer %d, MEMSLOT_INFO %d, STATS %d (all -EPERM)",
		       ids[i], rc[0], rc[1], rc[2], rc[3]);
	}
}

static void find(void)
{
	char *tail;

	check_eq(hc_partition_find(gpa_of("nosuch")), -ENOENT,
		 "HC_PARTITION_FIND('nosuch'): -ENOENT");
	/* Names have at most 15 characters: no NUL within 16 bytes. */
	check_eq(hc_partition_find(gpa_of("abcdefghijklmnopqrstuvwxyz")),
		 -EINVAL, "HC_PARTITION_FIND of a 26-character name: -EINVAL");
	check_eq(hc_partition_find((gpa_t)mem), -EFAULT,
		 "HC_PARTITION_FIND with the name past RAM: -EFAULT");
	check_eq(hc_partition_find(0xffffffffu), -EFAULT,
		 "HC_PARTITION_FIND with the name at 0xffffffff: -EFAULT");
	tail = ram_tail(3);
	memcpy(tail, "hca", 3);
	check_eq(hc_partition_find(gpa_of(tail)), -EFAULT,
		 "HC_PARTITION_FIND with no NUL before the end: -EFAULT");
	tail = ram_tail(sizeof(NAME));
	memcpy(tail, NAME, sizeof(NAME));
	check_eq(hc_partition_find(gpa_of(tail)), self_id,
		 "HC_PARTITION_FIND with the NUL in the last byte of RAM");
}

static void memslots(void)
{
	const u32 len = sizeof(struct memslot_info);
	struct memslot_info ms;

	check_eq(hc_memslot_info(PARTITION_SELF, 1, gpa_of(&ms)), -ENOENT,
		 "HC_MEMSLOT_INFO slot 1: -ENOENT");
	check_eq(hc_memslot_info(PARTITION_SELF, 0xffffffffu, gpa_of(&ms)),
		 -ENOENT, "HC_MEMSLOT_INFO slot 0xffffffff: -ENOENT");
	check_eq(hc_memslot_info(PARTITION_SELF, 1, (gpa_t)mem), -ENOENT,
		 "HC_MEMSLOT_INFO slot 1 to a bad buffer: -ENOENT (existence "
		 "before arguments)");
	check_eq(hc_memslot_info(PARTITION_SELF, 0, (gpa_t)mem - (len - 1)),
		 -EFAULT, "HC_MEMSLOT_INFO straddling the end of RAM: -EFAULT");
	check_eq(hc_memslot_info(PARTITION_SELF, 0, gpa_of(ram_tail(len))), 0,
		 "HC_MEMSLOT_INFO ending exactly at the end of RAM");
}

/*
 * Dirty logging's calls on a slot that does not log, and its policy
 * check (dirtylog-errors.c covers every argument in depth).
 */
static void dirty_log(void)
{
	static u64 bitmap[(16 << 20) / 4096 / 64];

	check_eq(hc_dirty_log_get(PARTITION_SELF, 0, gpa_of(bitmap),
				  sizeof(bitmap)),
		 -EINVAL, "HC_DIRTY_LOG_GET on a slot not logging: -EINVAL");
	check_eq(hc_dirty_log_policy(PARTITION_SELF, DIRTY_LOG_POLICY_COUNT),
		 -EINVAL, "HC_DIRTY_LOG_POLICY 5 (the first unknown): -EINVAL");
	check_eq(hc_dirty_log_disable(PARTITION_SELF, 0), 0,
		 "HC_DIRTY_LOG_DISABLE on a slot not logging: 0");
}

static void stats(void)
{
	const u32 len = sizeof(struct shade_stats);
	struct shade_stats st;
	u64 first;

	check_eq(hc_stats(PARTITION_SELF, (gpa_t)mem), -EFAULT,
		 "HC_STATS past the end of RAM: -EFAULT");
	check_eq(hc_stats(PARTITION_SELF, (gpa_t)mem - (len - 1)), -EFAULT,
		 "HC_STATS straddling the end of RAM: -EFAULT");
	check_eq(hc_stats(PARTITION_SELF, 0u - 64), -EFAULT,
		 "HC_STATS wrapping around 4 GiB: -EFAULT");
	memset(&st, POISON, sizeof(st));
	if (!check_eq(hc_stats(PARTITION_SELF, gpa_of(&st)), 0,
		      "HC_STATS succeeds"))
		return;
	first = st.vm_exits;
	checkf(first > 0, "vm_exits %llu > 0", first);
	gprintf("stats: shadow pages %llu, shadow faults %llu, dirty gets "
		"%llu\n",
		st.shadow_pages_in_use, st.shadow_faults, st.dirty_get_calls);
	check_eq(hc_stats(PARTITION_SELF, gpa_of(ram_tail(len))), 0,
		 "HC_STATS ending exactly at the end of RAM");
	check(((struct shade_stats *)ram_tail(len))->vm_exits > first,
	      "vm_exits grows between two calls");
}

static volatile i32 user_version, user_info, user_unknown;
static struct partition_info user_pi;

/* Runs at CPL 3 (expect_fault_user): plain VMCALLs, results kept. */
static void user_calls(void)
{
	user_version = hc_version();
	user_info = hc_partition_info(PARTITION_SELF, gpa_of(&user_pi));
	user_unknown = hypercall(12345, 0, 0, 0, 0);
}

static void cpl3(void)
{
	memset(&user_pi, POISON, sizeof(user_pi));
	if (!check_eq(expect_fault_user(user_calls), -1,
		      "ring-3 code runs and returns without a fault"))
		return;
	check_eq(user_version, -EPERM, "HC_VERSION at CPL 3: -EPERM");
	check_eq(user_info, -EPERM, "HC_PARTITION_INFO at CPL 3: -EPERM");
	check_eq(user_unknown, -EPERM,
		 "unknown number at CPL 3: -EPERM (CPL is checked first)");
	check(all_poison(&user_pi, sizeof(user_pi)),
	      "nothing written by the CPL 3 call");
}

/* VMCALL with distinct values in every register; only EAX may change. */
static void regs_call(u32 nr, u32 ebx, u32 ecx, i32 want, const char *what)
{
	struct vmcall_regs r = {
		.eax = nr,
		.ebx = ebx,
		.ecx = ecx,
		.edx = 0xd00dfeed,
		.esi = 0x5151c0de,
		.edi = 0xd1d1d1d1,
		.ebp = 0xbeb0beb0,
	};
	struct vmcall_regs before = r;

	vmcall_regs(&r);
	checkf((i32)r.eax == want && r.ebx == before.ebx &&
		       r.ecx == before.ecx && r.edx == before.edx &&
		       r.esi == before.esi && r.edi == before.edi &&
		       r.ebp == before.ebp,
	       "%s: EAX %d, other registers preserved", what, (i32)r.eax);
}

static void registers(void)
{
	static struct partition_info pi;

	regs_call(HC_VERSION, 0x12345678, 0x9abcdef0, SHADE_ABI_VERSION,
		  "HC_VERSION");
	regs_call(12345, 0x12345678, 0x9abcdef0, -ENOSYS, "unknown number");
	regs_call(HC_PARTITION_INFO, PARTITION_SELF, gpa_of(&pi), 0,
		  "HC_PARTITION_INFO");
	regs_call(HC_PARTITION_INFO, PARTITION_SELF, (gpa_t)mem, -EFAULT,
		  "HC_PARTITION_INFO to a bad buffer");
}

u32 guest_main(u32 magic, u32 info)
{
	struct partition_info pi;

	(void)magic;
	(void)info;
	trap_init();
	if (!check(is_shade(), "running under Shade") || !self_info(&pi))
		return report();
	mem = pi.mem_bytes;
	self_id = pi.id;
	unknown_numbers();
	info_buffers();
	other_ids();
	find();
	memslots();
	dirty_log();
	stats();
	cpl3();
	registers();
	return report();
}
