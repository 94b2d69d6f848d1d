/* SPDX-License-Identifier: MIT */
/*
 * Starting the application processors (arch/x86/smp.c).
 */
#ifndef SHADE_SMP_H
#define SHADE_SMP_H

#include "types.h"
#include "acpi.h"

/* Filled by smp.c in the trampoline page before each AP's startup IPI;
 * the layout is fixed by the AP_PARAM_* offsets in asm-offsets.h. */
struct ap_boot_params {
	u64 cr3;
	u64 stack; /* initial RSP */
	u64 efer;
	u64 cpu; /* Shade CPU number */
};

/*
 * Start every enabled CPU the MADT lists (at most max_cpus in all, 0 = no
 * limit), one after another with INIT-SIPI-SIPI. CPUs that do not come up
 * are reported and left out. Returns the number of CPUs online, the boot
 * CPU included. Boot CPU, interrupts off.
 */
u32 smp_boot(const struct acpi_info *acpi, u32 max_cpus);

/* Entry of each AP in C, from ap_entry64 (arch/x86/trampoline.S). */
__noreturn void ap_main(struct ap_boot_params *params);

/* Make idle CPUs run fn (which never returns) from their next wake-up. */
void smp_set_idle_work(void (*fn)(void));

/* The idle loop every CPU ends in: halt with interrupts on, answering IPIs. */
__noreturn void cpu_idle(void);

#endif
