// SPDX-License-Identifier: MIT
/*
 * What the legacy devices (include/vlegacy.h) take from the machine:
 * the TSC as their clock, the host's date and time at boot for the RTC,
 * and IPIs to vCPU 0, which the 8259 interrupts and which runs the
 * devices' timers. Host unit tests of the devices replace this file.
 *
 * The host's RTC is read once, by the boot CPU while it creates the
 * partitions (interrupts off, the other CPUs not yet running guests);
 * Shade touches the host's CMOS nowhere else. The index is written with
 * bit 7 (the NMI mask) clear, as Linux writes it; nothing is written to
 * the CMOS itself.
 *
 * Context: vlegacy_init() and vlegacy_host_time() on the boot CPU at
 * partition creation; vlegacy_now() and vlegacy_kick() anywhere.
 */
#include "vmm.h"
#include "asm.h"
#include "tsc.h"
#include "kstring.h"

#define CMOS_INDEX	0x70
#define CMOS_DATA	0x71
#define CMOS_SEC	0x00
#define CMOS_MIN	0x02
#define CMOS_HOUR	0x04
#define CMOS_MDAY	0x07
#define CMOS_MONTH	0x08
#define CMOS_YEAR	0x09
#define CMOS_A		0x0a
#define CMOS_B		0x0b
#define CMOS_A_UIP	BIT(7)
#define CMOS_B_BINARY	BIT(2)
#define CMOS_B_24H	BIT(1)
#define CMOS_HOUR_PM	BIT(7)
#define UIP_WAIT_US	10000 /* an update cycle lasts at most 2 ms */
#define READ_TRIES	3
#define DEFAULT_CENTURY 20

/* When the host has no sensible RTC: 2025-01-01 00:00:00. */
#define FALLBACK_YEAR 2025

struct host_date {
	u8 sec, min, hour, mday, month, year, century, b;
};

u64 vlegacy_now(void)
{
	return rdtsc();
}

void vlegacy_kick(struct partition *p)
{
	vcpu_kick(&p->vcpus[0]);
}

static u8 cmos_read(u8 reg)
{
	outb(CMOS_INDEX, reg);
	return inb(CMOS_DATA);
}

static u32 bcd(u8 v, bool binary)
{
	return binary ? v : (v >> 4) * 10 + (v & 0xf);
}

/* One reading, after the update in progress (if any) is over. */
static bool host_sample(struct host_date *d)
{
	u64 deadline = tsc_deadline_us(UIP_WAIT_US);

	while (cmos_read(CMOS_A) & CMOS_A_UIP) {
		if (tsc_passed(deadline))
			return false;
	}
	d->sec = cmos_read(CMOS_SEC);
	d->min = cmos_read(CMOS_MIN);
	d->hour = cmos_read(CMOS_HOUR);
	d->mday = cmos_read(CMOS_MDAY);
	d->month = cmos_read(CMOS_MONTH);
	d->year = cmos_read(CMOS_YEAR);
	d->century = cmos_read(VRTC_CENTURY);
	d->b = cmos_read(CMOS_B);
	return true;
}

/* The reading as seconds since 1970, or -1 if it makes no sense. */
static s64 host_date_secs(const struct host_date *d)
{
	bool bin = d->b & CMOS_B_BINARY;
	u32 hour = bcd(d->hour & ~CMOS_HOUR_PM, bin);
	u32 century = bcd(d->century, bin);

	if (!(d->b & CMOS_B_24H))
		hour = hour % 12 + (d->hour & CMOS_HOUR_PM ? 12 : 0);
	if (century < 19 || century > 21)
		century = DEFAULT_CENTURY;
	if (bcd(d->sec, bin) > 59 || bcd(d->min, bin) > 59 || hour > 23 ||
	    bcd(d->mday, bin) < 1 || bcd(d->mday, bin) > 31 ||
	    bcd(d->month, bin) < 1 || bcd(d->month, bin) > 12 ||
	    bcd(d->year, bin) > 99)
		return -1;
	return vrtc_date_to_secs(century * 100 + bcd(d->year, bin),
				 bcd(d->month, bin), bcd(d->mday, bin), hour,
				 bcd(d->min, bin), bcd(d->sec, bin));
}

/* Two equal readings in a row, so that no update fell between. */
static s64 host_rtc_read(void)
{
	struct host_date a, b;

	if (!host_sample(&a))
		return -1;
	for (int i = 0; i < READ_TRIES; i++) {
		if (!host_sample(&b))
			return -1;
		if (!memcmp(&a, &b, sizeof(a)))
			return host_date_secs(&a);
		a = b;
	}
	return -1;
}

s64 vlegacy_host_time(void)
{
	static s64 secs;
	static bool read;

	if (!read) {
		secs = host_rtc_read();
		if (secs < 0)
			secs = vrtc_date_to_secs(FALLBACK_YEAR, 1, 1, 0, 0, 0);
		read = true;
	}
	return secs;
}

void vlegacy_init(struct partition *p)
{
	u64 now = vlegacy_now();

	vpic_init(p);
	vpit_init(p, now);
	vrtc_init(p, now, vlegacy_host_time());
	vmisc_init(p, now);
}
