/* SPDX-License-Identifier: MIT */
/*
 * What this processor's VMX supports, read once from the capability MSRs
 * (vmm/vmx.c), and the control values Shade derived from them. Never
 * hard-coded: every control word is "what Shade wants" adjusted by the
 * allowed-0 and allowed-1 settings the CPU reports (SDM 3C A.3-A.5).
 */
#ifndef SHADE_VMX_CAPS_H
#define SHADE_VMX_CAPS_H

#include "types.h"

struct vmx_caps {
	u32 revision;			 /* VMCS revision identifier */
	u32 pin, cpu, cpu2, exit, entry; /* the controls Shade uses */
	u64 cr0_fixed0, cr0_fixed1, cr4_fixed0, cr4_fixed1;
	bool has_vpid;
	/* VMX-preemption timer (required): its value for about a
	 * millisecond. */
	u32 preempt_ticks;
	u32 preempt_rate; /* the timer counts down every 2^rate TSC ticks */
};

extern struct vmx_caps vmx_caps;

/*
 * Check VT-x on the boot CPU, derive the controls, then VMXON on every
 * online CPU. Returns 0, or -ENODEV with *why saying what is missing.
 */
int vmx_init_all(const char **why);

#endif
