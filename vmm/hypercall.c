// SPDX-License-Identifier: MIT
/*
 * Hypercalls (contract section 5; docs/hypercalls.md documents each).
 *
 * A guest executes VMCALL with RAX = number and arguments in RBX, RCX,
 * RDX, RSI (32-bit guests: the low halves). vmexit_vmcall() decodes them
 * into a struct hypercall, and each handler checks, in the contract's
 * order: CPL (in the dispatcher), permission, existence, then the other
 * arguments; it returns a result or -errno, which lands in RAX. Every
 * guest buffer is checked to lie wholly in the caller's RAM (gpa + len
 * overflow included) by guest_write()/guest_read().
 *
 * Context: the vCPU's physical CPU, in its VM-exit handler.
 */
#include "exit.h"
#include "vmx.h"
#include "version.h"
#include "errno.h"
#include "kstring.h"
#include "percpu.h"

enum hypercall_nr {
	HC_VERSION = 0,
	HC_PARTITION_INFO = 1,
	HC_PARTITION_FIND = 2,
	HC_MEMSLOT_INFO = 3,
	HC_DIRTY_LOG_ENABLE = 4,
	HC_DIRTY_LOG_DISABLE = 5,
	HC_DIRTY_LOG_GET = 6,
	HC_VCPU_START = 7,
	HC_STATS = 8,
	HC_DIRTY_LOG_POLICY = 9,
	HC_COUNT,
};

struct hypercall {
	struct vcpu *caller;
	struct partition *self;
	u64 nr;
	u64 arg[4]; /* RBX, RCX, RDX, RSI, truncated for 32-bit guests */
};

/* The structures guests receive, pinned to the contract's layout. */
struct hc_partition_info {
	u32 id, ncpus;
	u64 mem_bytes;
	u32 nslots, flags;
	char name[16];
};
_Static_assert(sizeof(struct hc_partition_info) == 40, "contract layout");

struct hc_memslot_info {
	u64 base_gfn, npages;
	u32 flags, reserved;
};
_Static_assert(sizeof(struct hc_memslot_info) == 24, "contract layout");

struct hc_stats {
	u64 vm_exits, shadow_pages_in_use, shadow_faults, dirty_get_calls,
		dirty_get_rmap_calls, dirty_get_walk_calls,
		dirty_pages_reported, last_get_cycles,
		last_get_write_protect_cycles, tlb_shootdown_rounds,
		tlb_shootdown_ipis;
};
_Static_assert(sizeof(struct hc_stats) == 11 * 8, "contract layout");

/* HC_MEMSLOT_INFO flags: bit 0 = the slot's dirty log is on (a Shade
 * extension: the contract leaves the flags to the hypervisor). */
#define MEMSLOT_DIRTY_LOGGING BIT(0)

#define PINFO_CONTROL BIT(0)
#define PINFO_RUNNING BIT(1)

/*
 * The partition an id names, with the permission check first: 0 is the
 * caller; any other id needs the control flag (-EPERM), then must exist
 * (-ENOENT).
 */
static s64 target_partition(struct hypercall *hc, u64 id,
			    struct partition **out)
{
	if (id == 0) {
		*out = hc->self;
		return 0;
	}
	if (!hc->self->cfg.control)
		return -EPERM;
	*out = partition_by_id(id);
	return *out ? 0 : -ENOENT;
}

static s64 hc_version(struct hypercall *hc)
{
	(void)hc;
	return (SHADE_ABI_MAJOR << 16) | SHADE_ABI_MINOR;
}

static s64 hc_partition_info(struct hypercall *hc)
{
	struct hc_partition_info info;
	struct partition *p;
	s64 ret = target_partition(hc, hc->arg[0], &p);

	if (ret)
		return ret;
	memset(&info, 0, sizeof(info));
	info.id = p->id;
	info.ncpus = p->cfg.ncpus;
	info.mem_bytes = p->cfg.mem_bytes;
	info.nslots = p->nslots;
	info.flags =
		(p->cfg.control ? PINFO_CONTROL : 0) |
		(__atomic_load_n(&p->running, __ATOMIC_RELAXED) ? PINFO_RUNNING
								: 0);
	memcpy(info.name, p->cfg.name, sizeof(p->cfg.name));
	return guest_write(hc->self, hc->arg[1], &info, sizeof(info));
}

static s64 hc_partition_find(struct hypercall *hc)
{
	char name[PARTITION_NAME_MAX + 2];
	struct partition *p;
	u64 len;

	/* Read up to 16 bytes, stopping at the end of RAM: a short name
	 * near the top of RAM is fine, a missing NUL is not. */
	for (len = 0; len < sizeof(name); len++) {
		if (guest_read(hc->self, hc->arg[0] + len, &name[len], 1))
			return -EFAULT;
		if (!name[len])
			break;
	}
	if (len == sizeof(name))
		return -EINVAL;
	p = partition_find(name, len);
	return p ? (s64)p->id : -ENOENT;
}

static s64 hc_memslot_info(struct hypercall *hc)
{
	struct hc_memslot_info info;
	struct partition *p;
	s64 ret = target_partition(hc, hc->arg[0], &p);

	if (ret)
		return ret;
	if (hc->arg[1] >= p->nslots)
		return -ENOENT;
	memset(&info, 0, sizeof(info));
	info.base_gfn = p->slots[hc->arg[1]].base_gfn;
	info.npages = p->slots[hc->arg[1]].npages;
	info.flags = p->slots[hc->arg[1]].flags |
		     (__atomic_load_n(&p->slots[hc->arg[1]].log.enabled,
				      __ATOMIC_RELAXED)
			      ? MEMSLOT_DIRTY_LOGGING
			      : 0);
	return guest_write(hc->self, hc->arg[2], &info, sizeof(info));
}

static s64 hc_vcpu_start(struct hypercall *hc)
{
	struct partition *p = hc->self;
	u64 index = hc->arg[0], entry = hc->arg[1];
	struct vcpu *v;

	if (index >= p->cfg.ncpus || !gpa_range_ok(p, entry, 1))
		return -EINVAL;
	v = &p->vcpus[index];
	spin_lock(&p->lock);
	if (v->state != VCPU_NOT_STARTED) {
		spin_unlock(&p->lock);
		return -EBUSY;
	}
	loader_entry_flat(&v->start, (u32)entry, (u32)index, (u32)hc->arg[2]);
	__atomic_store_n(&v->state, VCPU_RUNNABLE, __ATOMIC_RELEASE);
	spin_unlock(&p->lock);
	vcpu_wake(v);
	return 0;
}

static s64 hc_stats(struct hypercall *hc)
{
	struct hc_stats st;
	struct partition *p;
	s64 ret = target_partition(hc, hc->arg[0], &p);

	if (ret)
		return ret;
#define STAT(f) st.f = __atomic_load_n(&p->stats.f, __ATOMIC_RELAXED)
	STAT(vm_exits);
	STAT(shadow_pages_in_use);
	STAT(shadow_faults);
	STAT(dirty_get_calls);
	STAT(dirty_get_rmap_calls);
	STAT(dirty_get_walk_calls);
	STAT(dirty_pages_reported);
	STAT(last_get_cycles);
	STAT(last_get_write_protect_cycles);
	STAT(tlb_shootdown_rounds);
	STAT(tlb_shootdown_ipis);
#undef STAT
	return guest_write(hc->self, hc->arg[1], &st, sizeof(st));
}

/* The partition and slot a dirty-log call names (arg0, arg1), checked in
 * the contract's order: permission, then existence. */
static s64 target_slot(struct hypercall *hc, struct partition **p)
{
	s64 ret = target_partition(hc, hc->arg[0], p);

	if (ret)
		return ret;
	return hc->arg[1] < (*p)->nslots ? 0 : -ENOENT;
}

static s64 hc_dirty_log_enable(struct hypercall *hc)
{
	struct partition *p;
	s64 ret = target_slot(hc, &p);

	return ret ? ret : dirtylog_enable(p, (u32)hc->arg[1]);
}

static s64 hc_dirty_log_disable(struct hypercall *hc)
{
	struct partition *p;
	s64 ret = target_slot(hc, &p);

	return ret ? ret : dirtylog_disable(p, (u32)hc->arg[1]);
}

static s64 hc_dirty_log_get(struct hypercall *hc)
{
	struct partition *p;
	s64 ret = target_slot(hc, &p);

	return ret ? ret
		   : dirtylog_get(hc->self, p, (u32)hc->arg[1], hc->arg[2],
				  hc->arg[3]);
}

static s64 hc_dirty_log_policy(struct hypercall *hc)
{
	struct partition *p;
	s64 ret = target_partition(hc, hc->arg[0], &p);

	return ret ? ret : dirtylog_set_policy(p, hc->arg[1]);
}

static s64 (*const hypercalls[HC_COUNT])(struct hypercall *) = {
	[HC_VERSION] = hc_version,
	[HC_PARTITION_INFO] = hc_partition_info,
	[HC_PARTITION_FIND] = hc_partition_find,
	[HC_MEMSLOT_INFO] = hc_memslot_info,
	[HC_DIRTY_LOG_ENABLE] = hc_dirty_log_enable,
	[HC_DIRTY_LOG_DISABLE] = hc_dirty_log_disable,
	[HC_DIRTY_LOG_GET] = hc_dirty_log_get,
	[HC_VCPU_START] = hc_vcpu_start,
	[HC_STATS] = hc_stats,
	[HC_DIRTY_LOG_POLICY] = hc_dirty_log_policy,
};

/* In a 32-bit guest only the low halves of registers are its own. */
static u64 arg_reg(u64 reg, bool is64)
{
	return is64 ? reg : (u32)reg;
}

void vmexit_vmcall(struct vcpu *v)
{
	bool is64 = vmread(GUEST_CS_AR_BYTES) & BIT(13); /* CS.L */
	struct hypercall hc = {
		.caller = v,
		.self = v->part,
		.nr = arg_reg(v->regs.rax, is64),
		.arg = {arg_reg(v->regs.rbx, is64), arg_reg(v->regs.rcx, is64),
			arg_reg(v->regs.rdx, is64), arg_reg(v->regs.rsi, is64)},
	};
	s64 ret;

	if (vmexit_guest_cpl() != 0)
		ret = -EPERM;
	else if (hc.nr >= HC_COUNT)
		ret = -ENOSYS;
	else
		ret = hypercalls[hc.nr](&hc);
	v->regs.rax = is64 ? (u64)ret : (u32)ret;
	vmexit_skip_instruction();
}
