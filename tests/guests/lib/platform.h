/* SPDX-License-Identifier: MIT */
/*
 * Checks of the platform every Shade guest sees (contract sections 3-5):
 * the processor state at entry, the CPUID hypervisor leaves and the
 * hypercalls that describe the caller's own partition.
 */
#ifndef GUEST_PLATFORM_H
#define GUEST_PLATFORM_H

#include "types.h"
#include "hypercall.h"

/* What the integration script configured for this partition. */
struct platform_expect {
	const char *name;
	u32 ncpus;
	u64 mem_bytes;
};

/* CPUID 0x40000000 says "ShadeVMM": safe to VMCALL. */
bool is_shade(void);

/* Protected mode, paging off, interrupts off, not virtual-8086. */
void entry_state_check(void);

/*
 * CPUID leaves 1 and 0x40000000, HC_VERSION, HC_PARTITION_INFO(0),
 * HC_PARTITION_FIND(own name), HC_MEMSLOT_INFO(0, 0). Without Shade
 * (bare on QEMU or Bochs) one FAIL line replaces the hypercall checks,
 * which would only raise #UD there.
 */
void platform_check(const struct platform_expect *ex);

/* HC_PARTITION_INFO(0) into *pi; false (with a FAIL line) if it fails. */
bool self_info(struct partition_info *pi);

#endif
