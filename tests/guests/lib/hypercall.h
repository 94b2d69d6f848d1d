/* SPDX-License-Identifier: MIT */
/*
 * Shade's hypercall ABI as a guest sees it (contract section 5): VMCALL
 * with EAX = number and arguments in EBX, ECX, EDX, ESI (a 32-bit guest
 * passes the low halves); the result comes back in EAX as a signed value,
 * -errno on failure; every other register is preserved. Structures are
 * laid out exactly as the contract writes them; the static asserts pin
 * each offset, since i386 aligns u64 to 4 bytes only.
 */
#ifndef GUEST_HYPERCALL_H
#define GUEST_HYPERCALL_H

#include "types.h"

#define SHADE_ABI_VERSION 0x00010000 /* major 1, minor 0 */

enum hypercall_nr {
	HC_VERSION = 0,
	HC_PARTITION_INFO = 1,	  /* id, out_gpa */
	HC_PARTITION_FIND = 2,	  /* name_gpa */
	HC_MEMSLOT_INFO = 3,	  /* id, slot, out_gpa */
	HC_DIRTY_LOG_ENABLE = 4,  /* id, slot */
	HC_DIRTY_LOG_DISABLE = 5, /* id, slot */
	HC_DIRTY_LOG_GET = 6,	  /* id, slot, bitmap_gpa, bitmap_bytes */
	HC_VCPU_START = 7,	  /* vcpu index, entry_gpa, arg */
	HC_STATS = 8,		  /* id, out_gpa */
	HC_DIRTY_LOG_POLICY = 9,  /* id, policy */
};

/* Linux errno numbers, as the contract uses them. */
#define EPERM  1
#define ENOENT 2
#define EFAULT 14
#define EBUSY  16
#define EINVAL 22
#define ENOSPC 28
#define ENOSYS 38

#define PARTITION_SELF 0 /* id 0: the caller itself */

#define PARTITION_FLAG_CONTROL (1u << 0)
#define PARTITION_FLAG_RUNNING (1u << 1)

#define PARTITION_NAME_LEN 16

struct partition_info {
	u32 id;
	u32 ncpus;
	u64 mem_bytes;
	u32 nslots;
	u32 flags;
	char name[PARTITION_NAME_LEN];
};

_Static_assert(offsetof(struct partition_info, mem_bytes) == 8, "ABI");
_Static_assert(offsetof(struct partition_info, nslots) == 16, "ABI");
_Static_assert(offsetof(struct partition_info, name) == 24, "ABI");
_Static_assert(sizeof(struct partition_info) == 40, "ABI");

struct memslot_info {
	u64 base_gfn;
	u64 npages;
	u32 flags;
	u32 reserved;
};

_Static_assert(offsetof(struct memslot_info, flags) == 16, "ABI");
_Static_assert(sizeof(struct memslot_info) == 24, "ABI");

enum dirty_log_policy {
	DIRTY_LOG_POLICY_AUTO = 0,
	DIRTY_LOG_POLICY_RMAP = 1,
	DIRTY_LOG_POLICY_WALK = 2,
	DIRTY_LOG_POLICY_SEED = 3,  /* rmap while dirty < shadow pages */
	DIRTY_LOG_POLICY_WORDS = 4, /* rmap, word by word in one pass */
	DIRTY_LOG_POLICY_COUNT = 5, /* the first value that is -EINVAL */
};

struct shade_stats {
	u64 vm_exits;
	u64 shadow_pages_in_use;
	u64 shadow_faults;
	u64 dirty_get_calls;
	u64 dirty_get_rmap_calls;
	u64 dirty_get_walk_calls;
	u64 dirty_pages_reported;
	u64 last_get_cycles;
	u64 last_get_write_protect_cycles;
	u64 tlb_shootdown_rounds;
	u64 tlb_shootdown_ipis;
};

_Static_assert(offsetof(struct shade_stats, tlb_shootdown_ipis) == 80, "ABI");
_Static_assert(sizeof(struct shade_stats) == 88, "ABI");

/* The raw call; unused arguments are passed as 0. */
static inline i32 hypercall(u32 nr, u32 a0, u32 a1, u32 a2, u32 a3)
{
	i32 ret;

	asm volatile("vmcall"
		     : "=a"(ret)
		     : "a"(nr), "b"(a0), "c"(a1), "d"(a2), "S"(a3)
		     : "memory");
	return ret;
}

static inline i32 hc_version(void)
{
	return hypercall(HC_VERSION, 0, 0, 0, 0);
}

static inline i32 hc_partition_info(u32 id, gpa_t out)
{
	return hypercall(HC_PARTITION_INFO, id, out, 0, 0);
}

static inline i32 hc_partition_find(gpa_t name)
{
	return hypercall(HC_PARTITION_FIND, name, 0, 0, 0);
}

static inline i32 hc_memslot_info(u32 id, u32 slot, gpa_t out)
{
	return hypercall(HC_MEMSLOT_INFO, id, slot, out, 0);
}

static inline i32 hc_dirty_log_enable(u32 id, u32 slot)
{
	return hypercall(HC_DIRTY_LOG_ENABLE, id, slot, 0, 0);
}

static inline i32 hc_dirty_log_disable(u32 id, u32 slot)
{
	return hypercall(HC_DIRTY_LOG_DISABLE, id, slot, 0, 0);
}

static inline i32 hc_dirty_log_get(u32 id, u32 slot, gpa_t bitmap, u32 bytes)
{
	return hypercall(HC_DIRTY_LOG_GET, id, slot, bitmap, bytes);
}

static inline i32 hc_vcpu_start(u32 index, gpa_t entry, u32 arg)
{
	return hypercall(HC_VCPU_START, index, entry, arg, 0);
}

static inline i32 hc_stats(u32 id, gpa_t out)
{
	return hypercall(HC_STATS, id, out, 0, 0);
}

static inline i32 hc_dirty_log_policy(u32 id, u32 policy)
{
	return hypercall(HC_DIRTY_LOG_POLICY, id, policy, 0, 0);
}

/* Every general register around one VMCALL (hypercall_regs.S). */
struct vmcall_regs {
	u32 eax, ebx, ecx, edx, esi, edi, ebp;
};

/*
 * Load all seven registers from *r, VMCALL, store them back into *r: for
 * checking that the hypervisor changes EAX only.
 */
void vmcall_regs(struct vmcall_regs *r);

/* Convert a pointer into the guest-physical address a hypercall takes. */
static inline gpa_t gpa_of(const volatile void *p)
{
	return (gpa_t)(uintptr_t)p;
}

#endif
