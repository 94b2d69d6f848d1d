/* SPDX-License-Identifier: MIT */
/*
 * Cross-CPU calls: run a function on a set of CPUs and wait until each has
 * finished it (arch/x86/ipi.c). This is the transport the TLB shootdowns
 * of dirty logging use: one request, one IPI per target, one
 * acknowledgement per target.
 */
#ifndef SHADE_IPI_H
#define SHADE_IPI_H

#include "types.h"

typedef u64 cpumask_t; /* bit n = CPU n; MAX_CPUS is 64 */

struct ipi_request {
	void (*fn)(void *arg); /* runs on each target, interrupts off */
	void *arg;
	u32 pending; /* targets that have not acknowledged yet */
};

/*
 * Run fn(arg) on every CPU in `targets` (the calling CPU is skipped: call
 * fn yourself if you need it) and wait for all of them. Returns 0, or
 * -ETIMEDOUT after about a second, naming the CPUs that did not answer in
 * *missing (may be NULL). Context: any CPU, interrupts on or off; do not
 * hold a lock that fn takes.
 */
int ipi_call(cpumask_t targets, void (*fn)(void *), void *arg,
	     cpumask_t *missing);

/* The VECTOR_IPI_CALL handler (arch/x86/trap.c), also called to poll for
 * requests while this CPU waits for others. */
void ipi_handle(void);

/* Mask of all online CPUs. */
cpumask_t cpus_online_mask(void);

#define for_each_cpu(cpu, mask)            \
	for (u32 cpu = 0; cpu < 64; cpu++) \
		if ((mask)&BIT(cpu))

#endif
