/* SPDX-License-Identifier: MIT */
/*
 * Starting secondary vCPUs. HC_VCPU_START (contract section 5) enters a
 * vCPU at entry_gpa in 32-bit protected mode, paging off, with EAX = its
 * index and EBX = arg, but with no stack: vcpu_entry (vcpu_entry.S) takes
 * EBX as a struct vcpu_boot, switches to its stack and calls its function.
 * When the function returns the vCPU halts with interrupts off for good.
 */
#ifndef GUEST_VCPU_H
#define GUEST_VCPU_H

#include "types.h"

struct vcpu_boot;
typedef void (*vcpu_fn_t)(u32 index, struct vcpu_boot *boot);

/* Layout known to vcpu_entry.S: stack_top first, fn second. */
struct vcpu_boot {
	u32 stack_top;
	vcpu_fn_t fn;
	u32 index;	      /* what the starter asked for, for checks */
	volatile u32 started; /* set by the vCPU once it runs */
};

void vcpu_entry(void);

/* HC_VCPU_START(index, vcpu_entry, boot) after filling in *boot. */
i32 vcpu_start(u32 index, struct vcpu_boot *boot, void *stack, u32 stack_size,
	       vcpu_fn_t fn);

#endif
