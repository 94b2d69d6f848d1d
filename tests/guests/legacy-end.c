// SPDX-License-Identifier: MIT
/*
 * legacy-end: a partition that leaves the way a PC operating system
 * does, through the legacy devices (tests/integration/platform-legacy*.sh,
 * vmm/vmisc.c). The command line names the way:
 *
 *	end=s5		SLP_TYP = 5 (Shade's \_S5) with SLP_EN in PM1a_CNT:
 *			Shade stops the partition with status 0
 *	end=cf9		0x02 then 0x06 to the reset control register 0xcf9
 *	end=kbc		0xfe to the keyboard controller's command port 0x64
 *	end=p92		bit 0 of port 0x92 (fast reset)
 *	end=kbc-out	0xd1 to port 0x64, then an output port value with
 *			the reset bit clear to 0x60
 *	end=halt	no device at all: STI; HLT with a one-shot APIC
 *			timer armed whose vector TPR holds back; once it
 *			has fired nothing can wake the vCPU, and Shade
 *			stops the partition as all halted (status 254,
 *			vmm/vintr.c)
 *
 * Each reset stops the partition with status 251 (STATUS_RESET). If
 * the partition is still running afterwards, the guest says so and
 * exits with its failure count.
 */
#include "guest.h"
#include "pcdev.h"
#include "apic.h"

#define KBC_WRITE_OUT  0xd1
#define KBC_PULSE_RST  0xfe
#define KBC_OUT_A20    0x02
#define RST_SYS	       0x02
#define RST_CPU	       0x04
#define P92_FAST_RESET 0x01
#define HALT_VECTOR    0x30
#define HALT_TPR       0xf0   /* above HALT_VECTOR's priority class */
#define HALT_COUNT     100000 /* 1 ms of the 100 MHz APIC bus clock */

static bool end_is(const char *cmdline, const char *way)
{
	static const char key[] = "end=";

	return !memcmp(cmdline, key, sizeof(key) - 1) &&
	       !strcmp(cmdline + sizeof(key) - 1, way);
}

u32 guest_main(u32 magic, u32 info)
{
	const char *cmdline = bootinfo_cmdline(magic, info);

	gprintf("leaving by '%s'\n", cmdline);
	if (end_is(cmdline, "s5")) {
		outw(PM1_CNT, PM1_SLP_TYP(PM_S5_SLP_TYP) | PM1_SLP_EN);
	} else if (end_is(cmdline, "cf9")) {
		outb(RST_CNT, RST_SYS);
		outb(RST_CNT, RST_SYS | RST_CPU);
	} else if (end_is(cmdline, "kbc")) {
		outb(KBC_STATUS, KBC_PULSE_RST);
	} else if (end_is(cmdline, "p92")) {
		outb(PORT_92, inb(PORT_92) | P92_FAST_RESET);
	} else if (end_is(cmdline, "kbc-out")) {
		outb(KBC_STATUS, KBC_WRITE_OUT);
		outb(KBC_DATA, KBC_OUT_A20);
	} else if (end_is(cmdline, "halt")) {
		/* The timer is armed when HLT runs, so Shade must wait for it;
		 * once it fired, its interrupt can never be taken. */
		xapic_write(APIC_TPR, HALT_TPR);
		xapic_write(APIC_TIMER_DCR, DCR_DIV_1);
		xapic_write(APIC_LVT_TIMER, LVT_ONESHOT | HALT_VECTOR);
		xapic_write(APIC_TIMER_ICR, HALT_COUNT);
		asm volatile("sti; hlt" : : : "memory");
	} else {
		failf("command line '%s': want "
		      "end=s5|cf9|kbc|p92|kbc-out|halt",
		      cmdline);
		return report();
	}
	failf("still running after '%s'", cmdline);
	return report();
}
