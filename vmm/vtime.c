// SPDX-License-Identifier: MIT
/*
 * Time for the virtual devices: every clock a guest can read (the APIC
 * timer, the PIT, the ACPI PM timer, the RTC) is the TSC scaled to the
 * device's frequency, so that a guest calibrating one against another
 * finds them consistent. The TSC's own frequency is the one Shade
 * measured at boot (arch/x86/tsc.c), and CPUID 0x40000010 reports it.
 */
#include "vplatform.h"
#include "tsc.h"

/* a * b / c without overflow: the 128-bit product divided by c with
 * DIV, which faults unless the quotient fits 64 bits; so a quotient that
 * would not fit saturates to ~0 instead, and so does c == 0 (hi >= 0
 * always): no #DE for any input. */
static u64 muldiv(u64 a, u64 b, u64 c)
{
	u64 lo, hi, q, r;

	__asm__("mulq %3" : "=a"(lo), "=d"(hi) : "a"(a), "rm"(b));
	if (hi >= c)
		return ~0ULL;
	__asm__("divq %4" : "=a"(q), "=d"(r) : "a"(lo), "d"(hi), "rm"(c));
	(void)r;
	return q;
}

u64 vtime_ticks(u64 tsc_delta, u64 hz)
{
	return muldiv(tsc_delta, hz, tsc_khz() * 1000);
}

u64 vtime_tsc(u64 ticks, u64 hz)
{
	return muldiv(ticks, tsc_khz() * 1000, hz);
}
