/* SPDX-License-Identifier: MIT */
/*
 * Per-CPU data. Each CPU's GS base points at its own struct percpu, whose
 * first field points at itself, so this_cpu() is one load from %gs:0.
 *
 * Fields are written only by their own CPU, except where a comment says
 * otherwise (the IPI mailbox is written by the sender).
 */
#ifndef SHADE_PERCPU_H
#define SHADE_PERCPU_H

#include "types.h"
#include "gdt.h"
#include "spinlock.h" /* this_cpu_id(), cpu_relax() */

#define MAX_CPUS 64

#define CPU_STACK_SIZE (16 * 1024)
#define IST_STACK_SIZE (8 * 1024)

struct ipi_request;
struct vcpu;

struct percpu {
	struct percpu *self; /* must stay first: this_cpu() reads %gs:0 */
	u32 cpu_id;	     /* Shade's CPU number, 0 = boot CPU */
	u32 apic_id;	     /* local APIC ID (x2APIC ID in x2APIC mode) */
	hva_t stack_bottom, stack_top; /* the CPU's normal stack */
	bool online;	   /* set by the CPU itself once ap_main is done */
	struct vcpu *vcpu; /* the one vCPU pinned here (set at boot), or NULL */

	/* IPI mailbox (arch/x86/ipi.c): the sender stores a request here
	 * under ipi_lock; this CPU takes it with an atomic exchange. */
	struct ipi_request *ipi_req;
	u64 ipis_handled;

	struct cpu_tables tables; /* GDT, TSS, IST stacks */
};

extern struct percpu percpu[MAX_CPUS];
extern u32 nr_cpus_online;

static inline struct percpu *this_cpu(void)
{
	struct percpu *p;

	__asm__ volatile("movq %%gs:0, %0" : "=r"(p));
	return p;
}

/* Point GS at cpu's block. Called once per CPU, first thing. */
void percpu_init(u32 cpu);

#endif
