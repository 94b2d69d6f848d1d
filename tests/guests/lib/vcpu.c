// SPDX-License-Identifier: MIT
/* Starting a secondary vCPU on a stack of its own (vcpu.h). vCPU 0 only. */
#include "vcpu.h"
#include "hypercall.h"

i32 vcpu_start(u32 index, struct vcpu_boot *boot, void *stack, u32 stack_size,
	       vcpu_fn_t fn)
{
	/* 16-byte aligned, as gcc assumes at a call. */
	boot->stack_top = ((u32)stack + stack_size) & ~15u;
	boot->fn = fn;
	boot->index = index;
	boot->started = 0;
	return hc_vcpu_start(index, gpa_of(vcpu_entry), gpa_of(boot));
}
