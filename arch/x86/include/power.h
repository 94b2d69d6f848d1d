/* SPDX-License-Identifier: MIT */
/*
 * Turning the machine off (arch/x86/power.c).
 */
#ifndef SHADE_POWER_H
#define SHADE_POWER_H

#include "acpi.h"

/* Remember the ACPI sleep registers for power_off(). Boot CPU. */
void power_init(const struct acpi_info *acpi);

/*
 * Power off: Bochs's shutdown port, then QEMU's isa-debug-exit device,
 * then ACPI S5, and if the machine is still running, halt every CPU.
 * Any CPU; the others should already be idle.
 */
__noreturn void power_off(void);

#endif
