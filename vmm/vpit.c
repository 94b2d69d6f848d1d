// SPDX-License-Identifier: MIT
/*
 * The 8254 programmable interval timer of a PC, clocked at 1.193182 MHz
 * from the TSC, and port B (0x61), which holds channel 2's gate and
 * output. Section names are those of the Intel 82C54 data sheet.
 *
 *  - "Control Word Format" (port 0x43): the counter, how its count is
 *    read and written (latch command, LSB, MSB, LSB then MSB), the mode
 *    and BCD counting (counts of at most 10000).
 *  - "Write Operations": a count takes effect once its last byte is
 *    written; in modes 2 and 3 a count written while counting takes over
 *    at the end of the current period.
 *  - "Read Operations": a plain read gives the counter as it runs, the
 *    LSB/MSB flip-flop alternating in LSB-then-MSB mode; the "Counter
 *    Latch Command" and the "Read-Back Command" freeze the count and/or
 *    the "Status Byte" (OUT, NULL COUNT, RW, mode, BCD) until read.
 *  - "Mode Definitions": 0 interrupt on terminal count, 1 hardware
 *    retriggerable one-shot, 2 rate generator, 3 square wave, 4 software
 *    and 5 hardware triggered strobe; the GATE input per mode as in the
 *    table "Gate Pin Operations Summary".
 *
 * Channel 0's GATE is tied high and its OUT is IRQ0 (rising edges:
 * periodically in modes 2 and 3, once in modes 0 and 4). Channel 1 once
 * refreshed DRAM; it can be programmed and read, and its OUT goes
 * nowhere. Channel 2's GATE is port 0x61 bit 0 and its OUT reads back in
 * bit 5: the TSC calibration loop of Linux and of Shade's own
 * arch/x86/tsc.c. Port 0x61 bit 4, the refresh request, toggles every 18
 * PIT clocks (15.085 us), for delay loops that count its toggles.
 *
 * Nothing is stepped: a counter's value and OUT are computed from the
 * ticks since its count was loaded (`start`), and channel 0's next IRQ0
 * edge is a TSC deadline (vpit_deadline()) that vCPU 0 checks before
 * each VM entry (vpit_check()). A count takes effect at once rather than
 * on the next clock edge.
 *
 * The power-up state is what a BIOS leaves: channel 0 in mode 3 with
 * count 65536 (18.2 Hz, masked at the 8259), channel 1 in mode 2 with
 * count 18, channel 2 in mode 3, its gate low.
 *
 * Context: the port handlers on any vCPU's CPU in its VM-exit handler,
 * taking p->vdev_lock; vpit_check() and vpit_deadline() on vCPU 0 before
 * VM entry, with it held.
 */
#include "vmm.h"

#define PIT_CH0	 0x40
#define PIT_CH2	 0x42
#define PIT_CMD	 0x43
#define PORT_B	 0x61
#define PIT_IRQ	 0
#define PIT_GATE 2 /* the channel with a gate */

/* Control word */
#define CW_SC(v)	((v) >> 6)
#define CW_RW(v)	(((v) >> 4) & 3)
#define CW_MODE(v)	(((v) >> 1) & 7)
#define CW_BCD		BIT(0)
#define SC_READ_BACK	3
#define RW_LATCH	0
#define RW_LSB		1
#define RW_MSB		2
#define RW_LSB_MSB	3
/* Read-back command: bits 5 and 4 are active low */
#define RB_NO_COUNT	BIT(5)
#define RB_NO_STATUS	BIT(4)
#define RB_COUNTER(i)	BIT(1 + (i))
/* Status byte */
#define ST_OUT		BIT(7)
#define ST_NULL_COUNT	BIT(6)
#define ST_RW_SHIFT	4
#define ST_MODE_SHIFT	1
/* Port B */
#define PORT_B_GATE2	BIT(0)
#define PORT_B_WRITABLE 0x0f /* gate 2, speaker, parity and channel checks */
#define PORT_B_REFRESH	BIT(4)
#define PORT_B_OUT2	BIT(5)
#define REFRESH_CLOCKS	18

/* The shortest IRQ0 period Shade runs: 40 PIT clocks (33.5 us, about 30
 * kHz). A smaller count keeps counting as programmed (reads, OUT and the
 * status byte are exact) but raises IRQ0 at most this often, as the APIC
 * timer's periodic mode does at 10 kHz: a count of 1 or 2 in mode 2 or 3
 * would otherwise bring vCPU 0 out of its guest every few microseconds. */
#define MIN_IRQ_PERIOD 40

#define BIOS_CH0_MODE 3
#define BIOS_CH1_MODE 2
#define BIOS_CH1_N    18
#define BIOS_CH2_MODE 3
#define BIOS_CH2_N    0x533 /* a 896 Hz beep */

static u32 wrap(const struct vpit_channel *ch)
{
	return ch->bcd ? 10000 : 65536;
}

static u16 to_bcd4(u32 v)
{
	return (u16)(v % 10 | (v / 10 % 10) << 4 | (v / 100 % 10) << 8 |
		     (v / 1000 % 10) << 12);
}

static u32 from_bcd4(u16 v)
{
	return (v & 0xf) + (v >> 4 & 0xf) * 10 + (v >> 8 & 0xf) * 100 +
	       (v >> 12) * 1000;
}

/* The count as the guest reads and writes it (0 stands for the maximum). */
static u16 encode(const struct vpit_channel *ch, u32 count)
{
	count %= wrap(ch);
	return ch->bcd ? to_bcd4(count) : (u16)count;
}

static u32 decode(const struct vpit_channel *ch, u16 raw)
{
	u32 n = ch->bcd ? from_bcd4(raw) % 10000 : raw;

	return n ? n : wrap(ch);
}

static bool gate(const struct vpit *pit, u32 i)
{
	return i != PIT_GATE || (pit->port61 & PORT_B_GATE2);
}

static bool is_running(const struct vpit_channel *ch)
{
	return ch->state == VPIT_COUNTING || ch->state == VPIT_PAUSED;
}

/* Ticks counted since the count was loaded. */
static u64 elapsed(const struct vpit_channel *ch, u64 now)
{
	if (ch->state == VPIT_PAUSED)
		return ch->paused;
	return now > ch->start ? vtime_ticks(now - ch->start, VPIT_HZ) : 0;
}

/* The counter after e ticks ("Mode Definitions"): modes 2 and 3 reload
 * every `reload` ticks (mode 3 counts down by two in each half), the
 * others count down from `reload` and wrap after the terminal count. */
static u32 count_at(const struct vpit_channel *ch, u64 e)
{
	u32 n = ch->reload, w = wrap(ch), phase = e % n, half = (n + 1) / 2;

	switch (ch->mode) {
	case 2:
		return n - phase;
	case 3:
		return phase < half ? n - 2 * phase : n - 2 * (phase - half);
	default:
		return (u32)((n + w - e % w) % w);
	}
}

/* OUT after e ticks: high from the terminal count on (0, 1), low for
 * the last tick of each period (2), high for the first half of each
 * period (3), low for the tick after the terminal count (4, 5). */
static bool out_at(const struct vpit_channel *ch, u64 e)
{
	u32 n = ch->reload;

	switch (ch->mode) {
	case 0:
	case 1:
		return e >= n;
	case 2:
		return e % n != n - 1;
	case 3:
		return e % n < (n + 1) / 2;
	default:
		return e != n;
	}
}

static u32 ch_count(const struct vpit_channel *ch, u64 now)
{
	return is_running(ch) ? count_at(ch, elapsed(ch, now)) : ch->held;
}

/* Before counting starts OUT is low in mode 0, high in the others. */
static bool ch_out(const struct vpit_channel *ch, u64 now)
{
	return is_running(ch) ? out_at(ch, elapsed(ch, now)) : ch->mode != 0;
}

/* TSC of the first IRQ0 edge (OUT rising) after now, or 0 if none. */
static u64 next_edge(const struct vpit_channel *ch, u64 now)
{
	u64 e, edge;

	if (ch->state != VPIT_COUNTING)
		return 0;
	e = elapsed(ch, now);
	switch (ch->mode) {
	case 0:
		edge = ch->reload;
		break;
	case 2:
	case 3:
		edge = (e / ch->reload + 1) * ch->reload;
		break;
	case 4:
		edge = ch->reload + 1;
		break;
	default:
		return 0;
	}
	return edge > e ? ch->start + vlegacy_tsc_of(edge, VPIT_HZ) : 0;
}

/* Modes 2 and 3: a count written while counting takes over at the end
 * of the period it was written in (reload_tsc). */
static void ch_sync(struct vpit_channel *ch, u64 now)
{
	if (ch->state != VPIT_COUNTING || !ch->next_reload ||
	    now < ch->reload_tsc)
		return;
	ch->start = ch->reload_tsc;
	ch->reload = ch->next_reload;
	ch->next_reload = 0;
}

/* Load the count and start counting now (or when the gate opens). */
static void ch_start(struct vpit_channel *ch, bool gate_high, u64 now)
{
	if (ch->next_reload)
		ch->reload = ch->next_reload;
	ch->next_reload = 0;
	ch->state = gate_high ? VPIT_COUNTING : VPIT_WAITING;
	ch->start = now;
	ch->irq_tsc = next_edge(ch, now);
}

/* Stop counting, the counter keeping its value. */
static void ch_hold(struct vpit_channel *ch, enum vpit_state state, u64 now)
{
	ch->held = ch_count(ch, now);
	ch->state = state;
	ch->irq_tsc = 0;
}

/* A complete count was written ("Write Operations"). */
static void ch_load(struct vpit *pit, u32 i, u16 raw, u64 now)
{
	struct vpit_channel *ch = &pit->ch[i];
	u32 n = decode(ch, raw);
	u64 e;

	switch (ch->mode) {
	case 2:
	case 3:
		if (ch->state == VPIT_COUNTING) {
			ch_sync(ch, now);
			e = elapsed(ch, now);
			ch->next_reload = n;
			ch->reload_tsc = ch->start +
					 vlegacy_tsc_of((e / ch->reload + 1) *
								ch->reload,
							VPIT_HZ);
			return;
		}
		break;
	case 1:
	case 5:
		/* Used at the next trigger (a rising gate). */
		ch->next_reload = n;
		if (ch->state == VPIT_IDLE)
			ch->state = VPIT_WAITING;
		return;
	}
	ch->next_reload = n;
	ch_start(ch, gate(pit, i), now);
}

static void ch_write(struct vpit *pit, u32 i, u8 val, u64 now)
{
	struct vpit_channel *ch = &pit->ch[i];

	switch (ch->access) {
	case RW_LSB:
		ch_load(pit, i, val, now);
		break;
	case RW_MSB:
		ch_load(pit, i, (u16)(val << 8), now);
		break;
	case RW_LSB_MSB:
		ch->write_hi_next = !ch->write_hi_next;
		if (ch->write_hi_next)
			ch->write_lo = val;
		else
			ch_load(pit, i, (u16)(ch->write_lo | val << 8), now);
		break;
	}
}

/* "NULL COUNT": a count written that the counter has not loaded yet. */
static bool null_count(const struct vpit_channel *ch, u64 now)
{
	if (ch->state == VPIT_IDLE || ch->state == VPIT_WAITING)
		return true;
	return ch->next_reload ||
	       (ch->state == VPIT_COUNTING && elapsed(ch, now) == 0);
}

static u8 ch_status(const struct vpit_channel *ch, u64 now)
{
	return (ch_out(ch, now) ? ST_OUT : 0) |
	       (null_count(ch, now) ? ST_NULL_COUNT : 0) |
	       ch->access << ST_RW_SHIFT | ch->mode << ST_MODE_SHIFT |
	       (ch->bcd ? CW_BCD : 0);
}

/* Counter latch command: ignored while an earlier latch is unread. */
static void ch_latch(struct vpit_channel *ch, u64 now)
{
	if (ch->latch_bytes)
		return;
	ch_sync(ch, now);
	ch->latched = encode(ch, ch_count(ch, now));
	ch->latch_bytes = ch->access == RW_LSB_MSB ? 2 : 1;
}

static void read_back(struct vpit *pit, u8 val, u64 now)
{
	for (u32 i = 0; i < 3; i++) {
		struct vpit_channel *ch = &pit->ch[i];

		if (!(val & RB_COUNTER(i)))
			continue;
		if (!(val & RB_NO_COUNT))
			ch_latch(ch, now);
		if (!(val & RB_NO_STATUS) && !ch->status_latched) {
			ch->status = ch_status(ch, now);
			ch->status_latched = true;
		}
	}
}

static void pit_control(struct vpit *pit, u8 val, u64 now)
{
	struct vpit_channel *ch;

	if (CW_SC(val) == SC_READ_BACK) {
		read_back(pit, val, now);
		return;
	}
	ch = &pit->ch[CW_SC(val)];
	if (CW_RW(val) == RW_LATCH) {
		ch_latch(ch, now);
		return;
	}
	ch_sync(ch, now);
	ch_hold(ch, VPIT_IDLE, now);
	ch->mode = CW_MODE(val) < 6 ? CW_MODE(val) : CW_MODE(val) - 4;
	ch->access = CW_RW(val);
	ch->bcd = val & CW_BCD;
	ch->next_reload = 0;
	ch->write_hi_next = false;
	ch->read_hi_next = false;
	ch->latch_bytes = 0;
	ch->status_latched = false;
}

/* A latched count, byte by byte in the channel's access mode. */
static u8 read_latched(struct vpit_channel *ch)
{
	bool hi = ch->access == RW_MSB ||
		  (ch->access == RW_LSB_MSB && ch->latch_bytes == 1);

	ch->latch_bytes--;
	return hi ? ch->latched >> 8 : ch->latched & 0xff;
}

static u8 ch_read(struct vpit_channel *ch, u64 now)
{
	u16 count;

	if (ch->status_latched) {
		ch->status_latched = false;
		return ch->status;
	}
	if (ch->latch_bytes)
		return read_latched(ch);
	ch_sync(ch, now);
	count = encode(ch, ch_count(ch, now));
	switch (ch->access) {
	case RW_MSB:
		return count >> 8;
	case RW_LSB_MSB:
		ch->read_hi_next = !ch->read_hi_next;
		return ch->read_hi_next ? count & 0xff : count >> 8;
	default:
		return count & 0xff;
	}
}

/* The gate of channel 2 changes ("Gate Pin Operations Summary"). */
static void ch_gate(struct vpit_channel *ch, bool high, u64 now)
{
	switch (ch->mode) {
	case 0:
	case 4: /* the gate enables counting */
		if (high && ch->state == VPIT_WAITING) {
			ch_start(ch, true, now);
		} else if (high && ch->state == VPIT_PAUSED) {
			ch->state = VPIT_COUNTING;
			ch->start = now - vlegacy_tsc_of(ch->paused, VPIT_HZ);
			ch->irq_tsc = next_edge(ch, now);
		} else if (!high && ch->state == VPIT_COUNTING) {
			ch->paused = elapsed(ch, now);
			ch->state = VPIT_PAUSED;
			ch->irq_tsc = 0;
		}
		break;
	case 2:
	case 3: /* low stops counting (OUT high), rising reloads */
		ch_sync(ch, now);
		if (high && ch->state == VPIT_WAITING)
			ch_start(ch, true, now);
		else if (!high && ch->state == VPIT_COUNTING)
			ch_hold(ch, VPIT_WAITING, now);
		break;
	default: /* 1, 5: a rising edge triggers */
		if (high && ch->state != VPIT_IDLE)
			ch_start(ch, true, now);
		break;
	}
}

static u8 port_b_read(const struct vpit *pit, u64 now)
{
	u8 val = pit->port61 & PORT_B_WRITABLE;

	if (vtime_ticks(now, VPIT_HZ) / REFRESH_CLOCKS % 2)
		val |= PORT_B_REFRESH;
	if (ch_out(&pit->ch[PIT_GATE], now))
		val |= PORT_B_OUT2;
	return val;
}

static void port_b_write(struct vpit *pit, u8 val, u64 now)
{
	bool was = pit->port61 & PORT_B_GATE2;

	pit->port61 = val & PORT_B_WRITABLE;
	if (was != (bool)(val & PORT_B_GATE2))
		ch_gate(&pit->ch[PIT_GATE], !was, now);
}

/* Raise IRQ0 if channel 0's OUT rose since the last look; returns
 * whether it did. */
static bool pit_tick(struct partition *p, u64 now)
{
	struct vpit_channel *ch = &p->legacy.pit.ch[0];

	if (!ch->irq_tsc || now < ch->irq_tsc)
		return false;
	vpic_set_irq_locked(p, PIT_IRQ, true);
	vpic_set_irq_locked(p, PIT_IRQ, false);
	ch_sync(ch, now);
	ch->irq_tsc = next_edge(ch, now);
	if (ch->irq_tsc && ch->reload < MIN_IRQ_PERIOD)
		ch->irq_tsc =
			MAX(ch->irq_tsc,
			    now + vlegacy_tsc_of(MIN_IRQ_PERIOD, VPIT_HZ));
	return true;
}

void vpit_check(struct partition *p, u64 now)
{
	spin_assert_held(&p->vdev_lock);
	pit_tick(p, now);
	vrtc_check(p, now);
}

u64 vpit_deadline(struct partition *p)
{
	u64 pit = p->legacy.pit.ch[0].irq_tsc, rtc = vrtc_deadline(p);

	spin_assert_held(&p->vdev_lock);
	/* A masked IRQ0 needs no exit: its edge is latched at the next
	 * check after the guest unmasks it, as the 8259's IRR would. */
	if (p->legacy.pic[0].imr & BIT(PIT_IRQ))
		pit = 0;
	if (!pit || !rtc)
		return pit | rtc;
	return MIN(pit, rtc);
}

u32 vpit_in(struct vcpu *v, u16 port, u32 size)
{
	struct partition *p = v->part;
	struct vpit *pit = &p->legacy.pit;
	u64 now = vlegacy_now();
	u32 val = 0;
	bool raised;

	spin_lock(&p->vdev_lock);
	raised = pit_tick(p, now);
	for (u32 i = 0; i < size; i++, port++) {
		u8 b = 0xff;

		if (port >= PIT_CH0 && port <= PIT_CH2)
			b = ch_read(&pit->ch[port - PIT_CH0], now);
		else if (port == PORT_B)
			b = port_b_read(pit, now);
		val |= (u32)b << (8 * i);
	}
	spin_unlock(&p->vdev_lock);
	/* An IRQ0 edge found by another vCPU: vCPU 0 takes it now. */
	if (raised && v->index != 0)
		vlegacy_kick(p);
	return val;
}

bool vpit_out(struct vcpu *v, u16 port, u32 size, u32 val)
{
	struct partition *p = v->part;
	struct vpit *pit = &p->legacy.pit;
	u64 now = vlegacy_now();
	bool ch0 = false;

	spin_lock(&p->vdev_lock);
	/* An edge due before this write still happens, as it would have. */
	pit_tick(p, now);
	for (u32 i = 0; i < size; i++, port++) {
		u8 b = val >> (8 * i);

		if (port >= PIT_CH0 && port <= PIT_CH2)
			ch_write(pit, port - PIT_CH0, b, now);
		else if (port == PIT_CMD)
			pit_control(pit, b, now);
		else if (port == PORT_B)
			port_b_write(pit, b, now);
		ch0 |= port == PIT_CH0 || port == PIT_CMD;
	}
	spin_unlock(&p->vdev_lock);
	/* vCPU 0 waits for channel 0's deadline: let it see the new one. */
	if (ch0 && v->index != 0)
		vlegacy_kick(p);
	return true;
}

/* A channel as the BIOS programmed it: control word, then count. */
static void bios_program(struct vpit *pit, u32 i, u8 access, u8 mode, u32 n,
			 u64 now)
{
	pit->ch[i] = (struct vpit_channel){.mode = mode, .access = access};
	ch_load(pit, i, (u16)n, now);
}

void vpit_init(struct partition *p, u64 now)
{
	struct vpit *pit = &p->legacy.pit;

	pit->port61 = 0;
	bios_program(pit, 0, RW_LSB_MSB, BIOS_CH0_MODE, 0, now);
	bios_program(pit, 1, RW_LSB, BIOS_CH1_MODE, BIOS_CH1_N, now);
	bios_program(pit, 2, RW_LSB_MSB, BIOS_CH2_MODE, BIOS_CH2_N, now);
}
