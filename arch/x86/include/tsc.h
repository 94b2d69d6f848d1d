/* SPDX-License-Identifier: MIT */
/*
 * The time-stamp counter as Shade's clock (arch/x86/tsc.c): calibrated once
 * at boot against the PIT, then used for every delay and timeout. Under
 * Bochs with "clock: sync=none" it counts emulated instructions, so delays
 * are deterministic there.
 */
#ifndef SHADE_TSC_H
#define SHADE_TSC_H

#include "types.h"

/* Measure the TSC frequency. Boot CPU, interrupts off. Returns kHz. */
u64 tsc_calibrate(void);

u64 tsc_khz(void);

/* The TSC value `us` microseconds from now, and whether it has passed. */
u64 tsc_deadline_us(u64 us);
bool tsc_passed(u64 deadline);

void udelay(u64 us);

#endif
