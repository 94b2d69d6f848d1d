// SPDX-License-Identifier: MIT
/*
 * The MC146818A real-time clock and its CMOS RAM, ports 0x70 (index; bit
 * 7, the NMI mask on a PC, is dropped) and 0x71 (data). Section names
 * are those of the Motorola MC146818A data sheet.
 *
 *  - "Address Map": time and date at 0x00-0x09 (0x01, 0x03, 0x05 are the
 *    alarm), registers A-D at 0x0a-0x0d, then RAM up to 0x7f, where the
 *    BIOS keeps its configuration: the century at 0x32 (the FADT's
 *    CENTURY) and the memory sizes (0x15-0x18, 0x30-0x31, 0x34-0x35),
 *    filled in from the partition's mem= with the checksum at 0x2e.
 *  - "Time, Calendar and Alarm Data Modes": BCD or binary (register B
 *    DM), 12- or 24-hour (24/12; bit 7 of the hour is PM).
 *  - "Update Cycle": once a second; register A's UIP is 1 from 244 us
 *    before the update until it ends 1984 us later, so "wait while UIP"
 *    loops end. SET in register B stops updates: the time registers then
 *    hold what the guest writes, and the clock restarts from them when
 *    SET is cleared.
 *  - "Interrupts": the periodic (rate from register A), alarm (0xc0-0xff
 *    in an alarm byte matches anything) and update-ended flags PF, AF, UF
 *    of register C are set whether or not enabled; IRQF and IRQ8 follow
 *    the enabled ones (PIE, AIE, UIE in register B) until register C is
 *    read, which clears it. Register D reads VRT (valid RAM and time).
 *
 * The clock is kept as seconds since 1970 at a TSC value and counts with
 * the TSC, starting from the host's date at boot (vmm/vlegacy.c); the
 * registers are computed when read. Not modelled: the divider-chain
 * control of register A (the clock always runs), daylight saving (DSE),
 * and a day-of-week register that differs from the date's (writes to it
 * are ignored). Changing DM or 24/12 re-encodes the registers at once,
 * where the chip would keep the old bytes.
 *
 * Context: the port handlers on any vCPU's CPU in its VM-exit handler,
 * taking p->vdev_lock; vrtc_check() and vrtc_deadline() on vCPU 0 before
 * VM entry (through vpit_check()), with it held.
 */
#include "vmm.h"

#define RTC_INDEX      0x70
#define RTC_DATA       0x71
#define RTC_INDEX_MASK 0x7f /* bit 7 is the PC's NMI mask */
#define RTC_IRQ	       8

#define REG_SEC	       0x00
#define REG_SEC_ALARM  0x01
#define REG_MIN	       0x02
#define REG_MIN_ALARM  0x03
#define REG_HOUR       0x04
#define REG_HOUR_ALARM 0x05
#define REG_WDAY       0x06
#define REG_MDAY       0x07
#define REG_MONTH      0x08
#define REG_YEAR       0x09
#define REG_A	       0x0a
#define REG_B	       0x0b
#define REG_C	       0x0c
#define REG_D	       0x0d

#define A_UIP	    BIT(7)
#define A_WRITABLE  0x7f
#define A_RS(a)	    ((a)&0xf)
#define A_DEFAULT   0x26 /* 32.768 kHz time base, 1024 Hz periodic rate */
#define B_SET	    BIT(7)
#define B_PIE	    BIT(6)
#define B_AIE	    BIT(5)
#define B_UIE	    BIT(4)
#define B_DM_BINARY BIT(2)
#define B_24H	    BIT(1)
#define B_DEFAULT   B_24H /* BCD, 24-hour: what PC BIOSes use */
/* Register C; each flag sits at the position of its enable in B. */
#define C_IRQF	    BIT(7)
#define C_PF	    BIT(6)
#define C_AF	    BIT(5)
#define C_UF	    BIT(4)
#define C_EVENTS    (C_PF | C_AF | C_UF)
#define D_VRT	    BIT(7)

#define HOUR_PM		BIT(7)
#define ALARM_DONT_CARE 0xc0

#define TIMEBASE_HZ 32768 /* the crystal the divider chain counts */
#define UIP_BEFORE  8	  /* 244 us, in time-base clocks */
#define UIP_AFTER   65	  /* 1984 us */

/* BIOS bytes of the CMOS RAM (IBM PC/AT Technical Reference) */
#define NV_EQUIPMENT	0x14
#define NV_BASE_MEM	0x15 /* KiB below 640 KiB, 0x15 low, 0x16 high */
#define NV_EXT_MEM	0x17 /* KiB above 1 MiB, at most 0xffff */
#define NV_CHECKSUM	0x2e /* sum of 0x10-0x2d, 0x2e high, 0x2f low */
#define NV_SUM_FIRST	0x10
#define NV_SUM_LAST	0x2d
#define NV_EXT_MEM_COPY 0x30
#define NV_HIGH_MEM	0x34 /* 64 KiB blocks above 16 MiB */
#define EQUIPMENT_FPU	BIT(1)
#define BASE_MEM_TOP	0x9fc00 /* the guest's EBDA starts here */

#define SECS_PER_DAY 86400

struct rtc_time {
	s64 year;
	u32 month, mday, wday, hour, min, sec;
};

static s64 floor_div(s64 a, s64 b)
{
	s64 q = a / b;

	return a % b < 0 ? q - 1 : q;
}

/* Days since 1970-01-01 of a date of the proleptic Gregorian calendar
 * (H. Hinnant, "chrono-Compatible Low-Level Date Algorithms"). */
static s64 days_from_civil(s64 y, u32 m, u32 d)
{
	s64 era;
	u32 yoe, doy, doe;

	y -= m <= 2;
	era = floor_div(y, 400);
	yoe = (u32)(y - era * 400);
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void civil_from_days(s64 z, struct rtc_time *t)
{
	s64 era;
	u32 doe, yoe, doy, mp;

	z += 719468;
	era = floor_div(z, 146097);
	doe = (u32)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	t->mday = doy - (153 * mp + 2) / 5 + 1;
	t->month = mp < 10 ? mp + 3 : mp - 9;
	t->year = yoe + era * 400 + (t->month <= 2);
}

static void time_from_secs(s64 secs, struct rtc_time *t)
{
	s64 days = floor_div(secs, SECS_PER_DAY);
	u32 sod = (u32)(secs - days * SECS_PER_DAY);

	civil_from_days(days, t);
	/* 1970-01-01 was a Thursday (5, Sunday being 1). */
	t->wday = (u32)((days % 7 + 11) % 7) + 1;
	t->hour = sod / 3600;
	t->min = sod / 60 % 60;
	t->sec = sod % 60;
}

s64 vrtc_date_to_secs(u32 year, u32 month, u32 mday, u32 hour, u32 min, u32 sec)
{
	return days_from_civil(year, month, mday) * SECS_PER_DAY + hour * 3600 +
	       min * 60 + sec;
}

static u8 to_bcd(u32 v)
{
	return (u8)((v / 10 % 10) << 4 | v % 10);
}

static u32 from_bcd(u8 v)
{
	return (v >> 4) * 10 + (v & 0xf);
}

static u8 encode(const struct vrtc *r, u32 v)
{
	return r->cmos[REG_B] & B_DM_BINARY ? (u8)v : to_bcd(v);
}

static u32 decode(const struct vrtc *r, u8 v)
{
	return r->cmos[REG_B] & B_DM_BINARY ? v : from_bcd(v);
}

static u8 encode_hour(const struct vrtc *r, u32 h)
{
	if (r->cmos[REG_B] & B_24H)
		return encode(r, h);
	return encode(r, h % 12 ? h % 12 : 12) | (h >= 12 ? HOUR_PM : 0);
}

static u32 decode_hour(const struct vrtc *r, u8 v)
{
	if (r->cmos[REG_B] & B_24H)
		return decode(r, v);
	return decode(r, v & ~HOUR_PM) % 12 + (v & HOUR_PM ? 12 : 0);
}

static bool is_time_reg(u8 reg)
{
	return reg == REG_SEC || reg == REG_MIN || reg == REG_HOUR ||
	       (reg >= REG_WDAY && reg <= REG_YEAR) || reg == VRTC_CENTURY;
}

static bool is_set(const struct vrtc *r)
{
	return r->cmos[REG_B] & B_SET;
}

/* The clock now, in seconds since 1970 (stopped while SET). */
static s64 rtc_secs(const struct vrtc *r, u64 now)
{
	if (is_set(r) || now < r->base_tsc)
		return r->base_secs;
	return r->base_secs + (s64)vtime_ticks(now - r->base_tsc, 1);
}

/* A time register as the clock gives it, in the current data mode. */
static u8 time_reg(const struct vrtc *r, u8 reg, s64 secs)
{
	struct rtc_time t;

	time_from_secs(secs, &t);
	switch (reg) {
	case REG_SEC:
		return encode(r, t.sec);
	case REG_MIN:
		return encode(r, t.min);
	case REG_HOUR:
		return encode_hour(r, t.hour);
	case REG_WDAY:
		return encode(r, t.wday);
	case REG_MDAY:
		return encode(r, t.mday);
	case REG_MONTH:
		return encode(r, t.month);
	case REG_YEAR:
		return encode(r, (u32)(t.year % 100));
	default:
		return encode(r, (u32)(t.year / 100));
	}
}

/* Values a guest may write out of range are clamped to the nearest. */
static u32 clamp(u32 v, u32 lo, u32 hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

/* The time registers' bytes as seconds (SET cleared, or one written). */
static s64 secs_from_regs(const struct vrtc *r, const u8 *regs)
{
	u32 year = clamp(decode(r, regs[VRTC_CENTURY]), 0, 99) * 100 +
		   clamp(decode(r, regs[REG_YEAR]), 0, 99);

	return vrtc_date_to_secs(year, clamp(decode(r, regs[REG_MONTH]), 1, 12),
				 clamp(decode(r, regs[REG_MDAY]), 1, 31),
				 clamp(decode_hour(r, regs[REG_HOUR]), 0, 23),
				 clamp(decode(r, regs[REG_MIN]), 0, 59),
				 clamp(decode(r, regs[REG_SEC]), 0, 59));
}

/* SET rises: the time registers stand still, holding the time now. */
static void freeze_clock(struct vrtc *r, u64 now)
{
	s64 secs = rtc_secs(r, now);

	for (u8 reg = 0; reg < sizeof(r->cmos); reg++) {
		if (is_time_reg(reg))
			r->cmos[reg] = time_reg(r, reg, secs);
	}
}

/* SET falls, or a time register was written: the clock goes on from
 * the registers' time, the next update one second from now. */
static void restart_clock(struct vrtc *r, u64 now)
{
	r->base_secs = secs_from_regs(r, r->cmos);
	r->base_tsc = now;
	r->seen_secs = r->base_secs;
}

/* A time register written while the clock runs. */
static void write_time(struct vrtc *r, u8 reg, u8 val, u64 now)
{
	if (reg == REG_WDAY)
		return; /* follows from the date */
	freeze_clock(r, now);
	r->cmos[reg] = val;
	restart_clock(r, now);
}

/* The periodic interrupt's period in time-base clocks (register A RS:
 * 1 and 2 give 256 and 128 Hz, 3-15 give 8192 Hz down to 2 Hz), 0 if
 * off. */
static u32 period_clocks(const struct vrtc *r)
{
	u32 rs = A_RS(r->cmos[REG_A]);

	if (!rs)
		return 0;
	return rs <= 2 ? 64u << rs : 1u << (rs - 1);
}

static u64 periods(const struct vrtc *r, u64 now)
{
	u32 clocks = period_clocks(r);

	if (!clocks || now < r->origin)
		return 0;
	return vtime_ticks(now - r->origin, TIMEBASE_HZ) / clocks;
}

/* Does the alarm match the time of day sod, in seconds since midnight
 * ("Interrupts")? */
static bool alarm_matches(const struct vrtc *r, u32 sod)
{
	const u8 alarm[] = {r->cmos[REG_SEC_ALARM], r->cmos[REG_MIN_ALARM],
			    r->cmos[REG_HOUR_ALARM]};
	const u8 time[] = {encode(r, sod % 60), encode(r, sod / 60 % 60),
			   encode_hour(r, sod / 3600)};

	for (u32 i = 0; i < ARRAY_SIZE(alarm); i++) {
		if ((alarm[i] & ALARM_DONT_CARE) != ALARM_DONT_CARE &&
		    alarm[i] != time[i])
			return false;
	}
	return true;
}

/*
 * Did the alarm match at an update in (from, to]? A day covers every
 * time of day, so a longer span (vCPU 0 did not run, and nobody read the
 * RTC) is cut to one: at most 86400 cheap steps, once, after such a gap.
 */
static bool alarm_between(const struct vrtc *r, s64 from, s64 to)
{
	u32 sod = (u32)(from - floor_div(from, SECS_PER_DAY) * SECS_PER_DAY);

	if (to - from > SECS_PER_DAY)
		to = from + SECS_PER_DAY;
	for (s64 s = from + 1; s <= to; s++) {
		sod = sod + 1 == SECS_PER_DAY ? 0 : sod + 1;
		if (alarm_matches(r, sod))
			return true;
	}
	return false;
}

/* IRQF and the IRQ8 line follow the enabled flags. */
static void rtc_irq(struct partition *p)
{
	struct vrtc *r = &p->legacy.rtc;
	bool irqf = r->flags & r->cmos[REG_B] & C_EVENTS;

	r->flags = irqf ? r->flags | C_IRQF : r->flags & ~C_IRQF;
	if (irqf != r->line) {
		r->line = irqf;
		vpic_set_irq_locked(p, RTC_IRQ, irqf);
	}
}

void vrtc_check(struct partition *p, u64 now)
{
	struct vrtc *r = &p->legacy.rtc;
	u64 n = periods(r, now);
	s64 secs = rtc_secs(r, now);

	spin_assert_held(&p->vdev_lock);
	if (n > r->seen_periods)
		r->flags |= C_PF;
	r->seen_periods = n;
	if (!is_set(r) && secs > r->seen_secs) {
		r->flags |= C_UF;
		if (alarm_between(r, r->seen_secs, secs))
			r->flags |= C_AF;
		r->seen_secs = secs;
	}
	rtc_irq(p);
}

u64 vrtc_deadline(struct partition *p)
{
	struct vrtc *r = &p->legacy.rtc;
	u8 b = r->cmos[REG_B];
	u32 clocks = period_clocks(r);
	u64 periodic = 0, update = 0;

	spin_assert_held(&p->vdev_lock);
	/* IRQ8 stays high until register C is read: no new edge before. */
	if (r->line)
		return 0;
	if ((b & B_PIE) && clocks)
		periodic = r->origin +
			   vlegacy_tsc_of((r->seen_periods + 1) * clocks,
					  TIMEBASE_HZ);
	if ((b & (B_UIE | B_AIE)) && !is_set(r))
		update = r->base_tsc +
			 vlegacy_tsc_of((u64)(r->seen_secs - r->base_secs + 1),
					1);
	if (!periodic || !update)
		return periodic | update;
	return MIN(periodic, update);
}

/* UIP: from 244 us before an update to its end ("Update Cycle"). The
 * first update comes one second after base_tsc. */
static bool in_update(const struct vrtc *r, u64 now)
{
	u64 clocks, in_second;

	if (is_set(r) || now < r->base_tsc)
		return false;
	clocks = vtime_ticks(now - r->base_tsc, TIMEBASE_HZ);
	in_second = clocks % TIMEBASE_HZ;
	return in_second >= TIMEBASE_HZ - UIP_BEFORE ||
	       (in_second < UIP_AFTER && clocks >= TIMEBASE_HZ);
}

static u8 rtc_read(struct partition *p, u8 reg, u64 now)
{
	struct vrtc *r = &p->legacy.rtc;
	u8 val;

	if (is_time_reg(reg) && !is_set(r))
		return time_reg(r, reg, rtc_secs(r, now));
	switch (reg) {
	case REG_A:
		return r->cmos[REG_A] | (in_update(r, now) ? A_UIP : 0);
	case REG_C:
		val = r->flags;
		r->flags = 0;
		rtc_irq(p);
		return val;
	case REG_D:
		return D_VRT;
	default:
		return r->cmos[reg];
	}
}

static void write_b(struct vrtc *r, u8 val, u64 now)
{
	bool was_set = is_set(r);

	if (!was_set && (val & B_SET))
		freeze_clock(r, now);
	r->cmos[REG_B] = val;
	if (was_set && !(val & B_SET))
		restart_clock(r, now);
}

static void rtc_write(struct partition *p, u8 reg, u8 val, u64 now)
{
	struct vrtc *r = &p->legacy.rtc;

	if (is_time_reg(reg) && !is_set(r)) {
		write_time(r, reg, val, now);
		return;
	}
	switch (reg) {
	case REG_A:
		r->cmos[REG_A] = val & A_WRITABLE;
		/* The new rate counts from now: no stale PF. */
		r->seen_periods = periods(r, now);
		break;
	case REG_B:
		write_b(r, val, now);
		break;
	case REG_C:
	case REG_D:
		break; /* read-only */
	default:
		r->cmos[reg] = val;
		break;
	}
	rtc_irq(p);
}

u32 vrtc_in(struct vcpu *v, u16 port, u32 size)
{
	struct partition *p = v->part;
	struct vrtc *r = &p->legacy.rtc;
	u64 now = vlegacy_now();
	u32 val = 0;
	bool line;

	spin_lock(&p->vdev_lock);
	line = r->line;
	vrtc_check(p, now);
	for (u32 i = 0; i < size; i++, port++) {
		u8 b = 0xff;

		if (port == RTC_INDEX)
			b = r->index;
		else if (port == RTC_DATA)
			b = rtc_read(p, r->index, now);
		val |= (u32)b << (8 * i);
	}
	line = !line && r->line;
	spin_unlock(&p->vdev_lock);
	/* IRQ8 rose on another vCPU's read: vCPU 0 takes it now. */
	if (line && v->index != 0)
		vlegacy_kick(p);
	return val;
}

bool vrtc_out(struct vcpu *v, u16 port, u32 size, u32 val)
{
	struct partition *p = v->part;
	struct vrtc *r = &p->legacy.rtc;
	u64 now = vlegacy_now();

	spin_lock(&p->vdev_lock);
	vrtc_check(p, now);
	for (u32 i = 0; i < size; i++, port++) {
		u8 b = val >> (8 * i);

		if (port == RTC_INDEX)
			r->index = b & RTC_INDEX_MASK;
		else if (port == RTC_DATA)
			rtc_write(p, r->index, b, now);
	}
	spin_unlock(&p->vdev_lock);
	/* The next RTC interrupt may have moved: vCPU 0 waits for it. */
	if (v->index != 0)
		vlegacy_kick(p);
	return true;
}

static void put16(u8 *cmos, u8 reg, u64 val)
{
	val = MIN(val, 0xffff);
	cmos[reg] = val & 0xff;
	cmos[reg + 1] = val >> 8;
}

/* The BIOS's bytes: equipment, memory sizes, checksum. */
static void nvram_init(u8 *cmos, u64 mem)
{
	u16 sum = 0;

	cmos[NV_EQUIPMENT] = EQUIPMENT_FPU;
	put16(cmos, NV_BASE_MEM, MIN(mem, BASE_MEM_TOP) / KiB);
	put16(cmos, NV_EXT_MEM, mem > MiB ? (mem - MiB) / KiB : 0);
	put16(cmos, NV_EXT_MEM_COPY, mem > MiB ? (mem - MiB) / KiB : 0);
	put16(cmos, NV_HIGH_MEM, mem > 16 * MiB ? (mem - 16 * MiB) >> 16 : 0);
	for (u8 reg = NV_SUM_FIRST; reg <= NV_SUM_LAST; reg++)
		sum += cmos[reg];
	cmos[NV_CHECKSUM] = sum >> 8;
	cmos[NV_CHECKSUM + 1] = sum & 0xff;
}

void vrtc_init(struct partition *p, u64 now, s64 host_secs)
{
	struct vrtc *r = &p->legacy.rtc;

	*r = (struct vrtc){.base_secs = host_secs,
			   .base_tsc = now,
			   .seen_secs = host_secs,
			   .origin = now};
	r->cmos[REG_A] = A_DEFAULT;
	r->cmos[REG_B] = B_DEFAULT;
	nvram_init(r->cmos, p->cfg.mem_bytes);
}
