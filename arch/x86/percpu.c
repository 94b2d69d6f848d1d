// SPDX-License-Identifier: MIT
/*
 * Per-CPU data blocks and this_cpu_id().
 *
 * Context: percpu_init() runs first thing on each CPU, interrupts off.
 */
#include "percpu.h"
#include "asm.h"
#include "x86.h"

struct percpu percpu[MAX_CPUS];
u32 nr_cpus_online; /* written by the boot CPU only, while it starts APs */

void percpu_init(u32 cpu)
{
	struct percpu *p = &percpu[cpu];

	p->self = p;
	p->cpu_id = cpu;
	wrmsr(MSR_IA32_GS_BASE, (u64)p);
}

u32 this_cpu_id(void)
{
	return this_cpu()->cpu_id;
}
