// SPDX-License-Identifier: MIT
/*
 * TSC calibration against the 8254 PIT, the one clock whose rate every PC
 * agrees on (1.193182 MHz).
 *
 * The method is the classic one (Linux's pit_calibrate_tsc): let PIT
 * channel 2 count down once for a known time, gated through port 0x61 so
 * that nothing reaches the speaker, and count TSC ticks until its output
 * goes high. Three rounds, the shortest wins (an SMI or an emulator hiccup
 * only ever makes a round longer).
 *
 * Context: boot CPU, interrupts off, before the APs start. Until
 * calibration, tsc_khz() returns a conservative guess (3 GHz), so early
 * timeouts are only ever too long, never too short.
 */
#include "tsc.h"
#include "asm.h"
#include "spinlock.h"
#include "printk.h"

#define PIT_HZ		1193182ULL
#define PIT_CH2_DATA	0x42
#define PIT_MODE	0x43
#define PIT_CH2_ONESHOT 0xb0 /* channel 2, lobyte/hibyte, mode 0, binary */
#define PORT_B		0x61
#define PORT_B_GATE2	0x01
#define PORT_B_SPEAKER	0x02
#define PORT_B_OUT2	0x20
#define CALIBRATE_MS	10
#define ROUNDS		3
#define GUESS_KHZ	3000000ULL
/* Polls of port 0x61 before deciding there is no PIT: a 10 ms countdown
 * takes a few thousand port reads on any machine or emulator. */
#define PIT_POLL_LIMIT	50000000ULL

static u64 khz = GUESS_KHZ;

/* One countdown of CALIBRATE_MS; returns TSC ticks, 0 if the PIT never
 * signalled the end. */
static u64 pit_round(void)
{
	u16 latch = PIT_HZ * CALIBRATE_MS / 1000;
	u64 t0, t1;

	outb(PORT_B, (inb(PORT_B) & ~PORT_B_SPEAKER) | PORT_B_GATE2);
	outb(PIT_MODE, PIT_CH2_ONESHOT);
	outb(PIT_CH2_DATA, latch & 0xff);
	outb(PIT_CH2_DATA, latch >> 8);

	t0 = rdtsc();
	for (u64 i = 0; i < PIT_POLL_LIMIT; i++) {
		if (inb(PORT_B) & PORT_B_OUT2) {
			t1 = rdtsc();
			return t1 - t0;
		}
	}
	return 0;
}

u64 tsc_calibrate(void)
{
	u64 best = 0;

	for (int i = 0; i < ROUNDS; i++) {
		u64 ticks = pit_round();

		if (ticks && (!best || ticks < best))
			best = ticks;
	}
	if (!best) {
		pr_warn("tsc: the PIT channel 2 never counted down; assuming "
			"%llu MHz",
			GUESS_KHZ / 1000);
		return khz;
	}
	khz = best / CALIBRATE_MS;
	pr_info("tsc: %lu.%03lu MHz (PIT calibration)", khz / 1000, khz % 1000);
	return khz;
}

u64 tsc_khz(void)
{
	return khz;
}

u64 tsc_deadline_us(u64 us)
{
	return rdtsc() + us * khz / 1000;
}

bool tsc_passed(u64 deadline)
{
	return (s64)(rdtsc() - deadline) >= 0;
}

void udelay(u64 us)
{
	u64 deadline = tsc_deadline_us(us);

	while (!tsc_passed(deadline))
		cpu_relax();
}
