// SPDX-License-Identifier: MIT
/*
 * Power off, in the order the emulators and real machines need it:
 *   1. Bochs: the 8 bytes "Shutdown" written to port 0x8900;
 *   2. QEMU: a write to the isa-debug-exit device at port 0xf4, which
 *      tools/boot attaches (QEMU then exits with status 1);
 *   3. ACPI: SLP_TYP from \_S5 and SLP_EN written to PM1a/PM1b_CNT
 *      (ACPI 6.4, 4.8.3.2 and 7.4.2), what real hardware understands;
 *   4. otherwise: say so and halt.
 * On hardware without the first two devices those ports are unassigned
 * and the writes do nothing.
 *
 * Context: any CPU, interrupts off.
 */
#include "power.h"
#include "asm.h"
#include "tsc.h"
#include "console.h"

#define BOCHS_SHUTDOWN_PORT  0x8900
#define QEMU_DEBUG_EXIT_PORT 0xf4
#define PM1_SLP_TYP_SHIFT    10
#define PM1_SLP_EN	     BIT(13)
#define SETTLE_US	     100000

static struct {
	u16 pm1a_cnt, pm1b_cnt;
	u8 slp_typa, slp_typb;
	bool have_s5;
} acpi_sleep;

void power_init(const struct acpi_info *acpi)
{
	acpi_sleep.pm1a_cnt = acpi->pm1a_cnt;
	acpi_sleep.pm1b_cnt = acpi->pm1b_cnt;
	acpi_sleep.slp_typa = acpi->slp_typa;
	acpi_sleep.slp_typb = acpi->slp_typb;
	acpi_sleep.have_s5 = acpi->have_s5 && acpi->pm1a_cnt;
}

static void acpi_s5(void)
{
	if (!acpi_sleep.have_s5)
		return;
	outw(acpi_sleep.pm1a_cnt,
	     (acpi_sleep.slp_typa << PM1_SLP_TYP_SHIFT) | PM1_SLP_EN);
	if (acpi_sleep.pm1b_cnt)
		outw(acpi_sleep.pm1b_cnt,
		     (acpi_sleep.slp_typb << PM1_SLP_TYP_SHIFT) | PM1_SLP_EN);
	udelay(SETTLE_US);
}

void power_off(void)
{
	static const char bochs_cmd[] = "Shutdown";

	irq_disable();
	console_flush();
	for (const char *p = bochs_cmd; *p; p++)
		outb(BOCHS_SHUTDOWN_PORT, (u8)*p);
	udelay(SETTLE_US);
	outb(QEMU_DEBUG_EXIT_PORT, 0);
	udelay(SETTLE_US);
	acpi_s5();
	console_write_line("shade: power off failed; halting", 32);
	console_flush();
	for (;;)
		halt();
}
