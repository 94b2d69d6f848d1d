// SPDX-License-Identifier: MIT
/*
 * Unit tests for the legacy PC devices (vmm/vpic.c, vpit.c, vrtc.c,
 * vmisc.c), built on the host under ASan and UBSan, with the clock in
 * the test's hands: this file replaces vmm/vlegacy.c, so vlegacy_now()
 * returns a TSC the tests move, at 1 GHz. What a guest cannot provoke
 * is checked here: a request vanishing before INTA (the spurious IRQ7
 * and IRQ15), level-triggered inputs, special fully nested mode,
 * rotation in AEOI, PIT modes 1, 4 and 5, a count written while counting,
 * the RTC's 12-hour mode, alarm and calendar edges, each PM register
 * width, every reset path. The guest test (tests/guests/legacy.c) covers
 * the same devices through Shade's real exits and interrupt injection.
 *
 * Links: tests/unit/test_vlegacy.c vmm/vpic.c vmm/vpit.c vmm/vrtc.c
 * vmm/vmisc.c vmm/vtime.c tests/unit/host_shim.c.
 *
 * About 1100 lines: one file, because every test shares the fake clock
 * and the partition this file sets up in place of vmm/vlegacy.c.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "vmm.h"
#include "tsc.h"

#define TSC_KHZ	   1000000ULL /* 1 GHz */
#define START_TSC  1000000000000ULL
#define HOST_SECS  1709214330 /* 2024-02-29 13:45:30 UTC, a Thursday */
#define MEM	   (24 * MiB)
#define MASTER_VEC 0x20
#define SLAVE_VEC  0x28

static struct partition part;
static struct vcpu vcpus[2];
static u64 now;
static u32 kicks;
static u32 stops, stop_status;
static char stop_reason[192];

/* ---- what vmm/vlegacy.c and the rest of Shade provide ----------------- */

u64 tsc_khz(void)
{
	return TSC_KHZ;
}

u64 vlegacy_now(void)
{
	return now;
}

s64 vlegacy_host_time(void)
{
	return HOST_SECS;
}

void vlegacy_kick(struct partition *p)
{
	assert_ptr_equal(p, &part);
	assert_false(spin_is_held(&p->vdev_lock));
	kicks++;
}

void partition_stop(struct partition *p, u32 status, const char *fmt, ...)
{
	va_list ap;

	assert_ptr_equal(p, &part);
	assert_false(spin_is_held(&p->vdev_lock));
	stops++;
	stop_status = status;
	va_start(ap, fmt);
	vsnprintf(stop_reason, sizeof(stop_reason), fmt, ap);
	va_end(ap);
}

/* ---- a partition and its ports, as vmm/io.c dispatches them ----------- */

static int setup(void **state)
{
	(void)state;
	memset(&part, 0, sizeof(part));
	memset(vcpus, 0, sizeof(vcpus));
	for (u32 i = 0; i < 2; i++) {
		vcpus[i].part = &part;
		vcpus[i].index = i;
	}
	part.vcpus = vcpus;
	part.cfg.ncpus = 2;
	part.cfg.mem_bytes = MEM;
	spin_init(&part.vdev_lock, "vdev");
	now = START_TSC;
	kicks = stops = stop_status = 0;
	stop_reason[0] = '\0';
	vpic_init(&part);
	vpit_init(&part, now);
	vrtc_init(&part, now, HOST_SECS);
	vmisc_init(&part, now);
	return 0;
}

static bool in_range(u16 port, u16 lo, u16 hi)
{
	return port >= lo && port <= hi;
}

static u32 in_v(u32 cpu, u16 port, u32 size)
{
	struct vcpu *v = &vcpus[cpu];

	if (in_range(port, 0x20, 0x21) || in_range(port, 0xa0, 0xa1) ||
	    in_range(port, 0x4d0, 0x4d1))
		return vpic_in(v, port, size);
	if (in_range(port, 0x40, 0x43) || port == 0x61)
		return vpit_in(v, port, size);
	if (in_range(port, 0x70, 0x71))
		return vrtc_in(v, port, size);
	return vmisc_in(v, port, size);
}

static bool out_v(u32 cpu, u16 port, u32 size, u32 val)
{
	struct vcpu *v = &vcpus[cpu];

	if (in_range(port, 0x20, 0x21) || in_range(port, 0xa0, 0xa1) ||
	    in_range(port, 0x4d0, 0x4d1))
		return vpic_out(v, port, size, val);
	if (in_range(port, 0x40, 0x43) || port == 0x61)
		return vpit_out(v, port, size, val);
	if (in_range(port, 0x70, 0x71))
		return vrtc_out(v, port, size, val);
	return vmisc_out(v, port, size, val);
}

static u8 inb(u16 port)
{
	return (u8)in_v(0, port, 1);
}

static void outb(u16 port, u8 val)
{
	assert_true(out_v(0, port, 1, val));
}

/* vCPU 0's side, with the lock held as vmm/vintr.c holds it. */
static int pending(void)
{
	int v;

	spin_lock(&part.vdev_lock);
	v = vpic_pending(&part);
	spin_unlock(&part.vdev_lock);
	return v;
}

static int ack(void)
{
	int v;

	spin_lock(&part.vdev_lock);
	v = vpic_ack(&part);
	spin_unlock(&part.vdev_lock);
	return v;
}

static void set_irq(u32 irq, bool level)
{
	spin_lock(&part.vdev_lock);
	vpic_set_irq_locked(&part, irq, level);
	spin_unlock(&part.vdev_lock);
}

static void pulse(u32 irq)
{
	set_irq(irq, true);
	set_irq(irq, false);
}

static u64 deadline(void)
{
	u64 d;

	spin_lock(&part.vdev_lock);
	d = vpit_deadline(&part);
	spin_unlock(&part.vdev_lock);
	return d;
}

static void check_timers(void)
{
	spin_lock(&part.vdev_lock);
	vpit_check(&part, now);
	spin_unlock(&part.vdev_lock);
}

/* The TSC at which a clock of hz, started at t0, has counted n ticks. */
static u64 at(u64 t0, u64 n, u64 hz)
{
	return t0 + vlegacy_tsc_of(n, hz);
}

/* Both chips initialized as Linux does, all IRQs unmasked. */
static void pic_linux_init(u8 master_icw4)
{
	static const u8 seq[][2] = {{0x20, 0x11}, {0xa0, 0x11}, {0x21, 0x20},
				    {0xa1, 0x28}, {0x21, 0x04}, {0xa1, 0x02}};

	for (u32 i = 0; i < sizeof(seq) / sizeof(seq[0]); i++)
		outb(seq[i][0], seq[i][1]);
	outb(0x21, master_icw4);
	outb(0xa1, 0x01);
	outb(0x21, 0x00);
	outb(0xa1, 0x00);
}

static u8 read_reg(u16 cmd, u8 ocw3)
{
	outb(cmd, ocw3);
	return inb(cmd);
}

/* ---- 8259 ------------------------------------------------------------- */

static void test_pic_bios_state(void **state)
{
	(void)state;
	assert_int_equal(inb(0x21), 0xfb);
	assert_int_equal(inb(0xa1), 0xff);
	pulse(0);
	assert_int_equal(pending(), -1); /* masked */
	outb(0x21, 0xfa);
	assert_int_equal(pending(), 0x08); /* the BIOS's vector base */
	assert_int_equal(ack(), 0x08);
}

static void test_pic_init_sequence(void **state)
{
	(void)state;
	outb(0x21, 0x5a);
	/* ICW1 with SNGL and without IC4: only ICW2 follows. */
	outb(0x20, 0x12);
	assert_int_equal(inb(0x21), 0); /* IMR cleared */
	outb(0x21, 0x40);
	outb(0x21, 0x77); /* OCW1 already */
	assert_int_equal(inb(0x21), 0x77);
	outb(0x21, 0);
	pulse(3);
	assert_int_equal(pending(), 0x43);
}

/* A level-triggered request that goes away before INTA: IR7, no ISR. */
static void test_pic_spurious_irq7(void **state)
{
	(void)state;
	pic_linux_init(0x01);
	outb(0x4d0, 0x08); /* IRQ3 level-triggered */
	set_irq(3, true);
	assert_int_equal(pending(), MASTER_VEC + 3);
	set_irq(3, false);
	assert_int_equal(pending(), -1);
	assert_int_equal(ack(), MASTER_VEC + 7);
	assert_int_equal(read_reg(0x20, 0x0b), 0); /* ISR */
}

/* On the slave: the master acknowledges IR2 (ISR), the slave answers IR7. */
static void test_pic_spurious_irq15(void **state)
{
	(void)state;
	pic_linux_init(0x01);
	outb(0x4d1, 0x04); /* IRQ10 level-triggered */
	set_irq(10, true);
	assert_int_equal(pending(), SLAVE_VEC + 2);
	set_irq(10, false);
	/* The master latched the edge on IR2; the slave has nothing. */
	assert_int_equal(pending(), SLAVE_VEC + 7);
	assert_int_equal(ack(), SLAVE_VEC + 7);
	assert_int_equal(read_reg(0x20, 0x0b), 0x04);
	assert_int_equal(read_reg(0xa0, 0x0b), 0x00);
}

static void test_pic_level_and_edge(void **state)
{
	(void)state;
	pic_linux_init(0x01);
	outb(0x4d0, 0xff);
	assert_int_equal(inb(0x4d0), 0xf8);
	outb(0x4d0, 0x20); /* IRQ5 level */
	set_irq(5, true);
	assert_int_equal(ack(), MASTER_VEC + 5);
	outb(0x20, 0x20);
	/* Still high: requests again (a level input is not consumed). */
	assert_int_equal(pending(), MASTER_VEC + 5);
	set_irq(5, false);
	assert_int_equal(pending(), -1);
	/* IRQ4 edge: a line held high requests once. */
	set_irq(4, true);
	assert_int_equal(ack(), MASTER_VEC + 4);
	outb(0x20, 0x20);
	assert_int_equal(pending(), -1);
	set_irq(4, false);
	set_irq(4, true);
	assert_int_equal(pending(), MASTER_VEC + 4);
}

static void test_pic_priority_and_eoi(void **state)
{
	(void)state;
	pic_linux_init(0x01);
	pulse(5);
	pulse(1);
	assert_int_equal(read_reg(0x20, 0x0a), 0x22); /* IRR */
	assert_int_equal(ack(), MASTER_VEC + 1);
	/* IRQ1 in service blocks IRQ5 (lower), not IRQ0 (higher). */
	assert_int_equal(pending(), -1);
	pulse(0);
	assert_int_equal(ack(), MASTER_VEC + 0);
	assert_int_equal(read_reg(0x20, 0x0b), 0x03);
	outb(0x20, 0x20); /* non-specific: the highest, IRQ0 */
	assert_int_equal(read_reg(0x20, 0x0b), 0x02);
	outb(0x20, 0x61); /* specific EOI 1 */
	assert_int_equal(read_reg(0x20, 0x0b), 0x00);
	assert_int_equal(ack(), MASTER_VEC + 5);
	outb(0x20, 0x20);
}

static void test_pic_rotation(void **state)
{
	(void)state;
	pic_linux_init(0x01);
	pulse(1);
	pulse(5);
	assert_int_equal(ack(), MASTER_VEC + 1);
	outb(0x20, 0xa0); /* rotate on non-specific EOI: IRQ1 lowest */
	pulse(1);
	assert_int_equal(ack(), MASTER_VEC + 5);
	outb(0x20, 0x20);
	assert_int_equal(ack(), MASTER_VEC + 1);
	outb(0x20, 0x20);
	/* Set priority: IRQ4 lowest, so IRQ6 beats IRQ3. */
	outb(0x20, 0xc4);
	pulse(3);
	pulse(6);
	assert_int_equal(ack(), MASTER_VEC + 6);
	/* Rotate on specific EOI 6: IRQ7 highest, then 0 ... 3. */
	outb(0x20, 0xe6);
	pulse(7);
	assert_int_equal(ack(), MASTER_VEC + 7);
	outb(0x20, 0x20);
	assert_int_equal(ack(), MASTER_VEC + 3);
}

static void test_pic_auto_eoi_rotation(void **state)
{
	(void)state;
	pic_linux_init(0x03); /* AEOI on the master */
	outb(0x20, 0x80);     /* rotate in AEOI mode */
	pulse(3);
	assert_int_equal(ack(), MASTER_VEC + 3);
	assert_int_equal(read_reg(0x20, 0x0b), 0);
	pulse(1);
	pulse(4);
	assert_int_equal(ack(), MASTER_VEC + 4); /* IRQ3 went lowest */
	outb(0x20, 0x00);			 /* rotation off */
	assert_int_equal(ack(), MASTER_VEC + 1);
}

static void test_pic_cascade_and_sfnm(void **state)
{
	(void)state;
	pic_linux_init(0x01);
	pulse(9);
	assert_int_equal(ack(), SLAVE_VEC + 1);
	assert_int_equal(read_reg(0x20, 0x0b), 0x04);
	assert_int_equal(read_reg(0xa0, 0x0b), 0x02);
	/* IRQ8 is above IRQ9 on the slave, but the master's IR2 is in
	 * service: fully nested mode holds it back. */
	pulse(8);
	assert_int_equal(pending(), -1);
	outb(0xa0, 0x20);
	outb(0x20, 0x20);
	assert_int_equal(ack(), SLAVE_VEC + 0);
	outb(0xa0, 0x20);
	outb(0x20, 0x20);

	pic_linux_init(0x11); /* SFNM on the master */
	pulse(9);
	assert_int_equal(ack(), SLAVE_VEC + 1);
	pulse(8);
	assert_int_equal(pending(), SLAVE_VEC + 0);
	assert_int_equal(ack(), SLAVE_VEC + 0);
	/* IRQ10 is below both in the slave's ISR: no. */
	pulse(10);
	assert_int_equal(pending(), -1);
}

/* A slave in AEOI keeps INT up for a second request: a new IR2 edge. */
static void test_pic_cascade_second_request(void **state)
{
	(void)state;
	pic_linux_init(0x03);
	outb(0xa0, 0x11);
	outb(0xa1, 0x28);
	outb(0xa1, 0x02);
	outb(0xa1, 0x03); /* slave AEOI too */
	outb(0xa1, 0x00);
	pulse(11);
	pulse(12);
	assert_int_equal(ack(), SLAVE_VEC + 3);
	assert_int_equal(ack(), SLAVE_VEC + 4);
	assert_int_equal(pending(), -1);
}

static void test_pic_special_mask_and_poll(void **state)
{
	(void)state;
	pic_linux_init(0x01);
	pulse(0);
	assert_int_equal(ack(), MASTER_VEC + 0);
	pulse(4);
	assert_int_equal(pending(), -1);
	outb(0x20, 0x68); /* special mask mode */
	outb(0x21, 0x01); /* mask IRQ0: its ISR bit stops counting */
	assert_int_equal(pending(), MASTER_VEC + 4);
	outb(0x20, 0x48);
	assert_int_equal(pending(), -1);
	outb(0x21, 0x00);
	outb(0x20, 0x20);
	/* Poll: the read is the INTA. */
	outb(0x20, 0x0c);
	assert_int_equal(inb(0x20), 0x84);
	assert_int_equal(read_reg(0x20, 0x0b), 0x10);
	outb(0x21, 0x80);
	outb(0x20, 0x0c);
	assert_int_equal(inb(0x21), 0x00); /* poll on either port: none */
	assert_int_equal(inb(0x21), 0x80); /* and the data port is IMR */
}

static void test_pic_kick_and_wide_access(void **state)
{
	(void)state;
	outb(0x21, 0xfe);
	vpic_set_irq(&part, 1, true); /* masked: no INTR, no kick */
	assert_int_equal(kicks, 0);
	vpic_set_irq(&part, 0, true);
	assert_int_equal(kicks, 1);
	assert_int_equal(ack(), 0x08);
	/* EOI and IMR in one 16-bit OUT from vCPU 1: nothing pending. */
	assert_true(out_v(1, 0x20, 2, 0xff20));
	assert_int_equal(inb(0x21), 0xff);
	assert_int_equal(kicks, 1);
	/* Unmasking IRQ1 on vCPU 1 lets it through: vCPU 0 is kicked. */
	assert_true(out_v(1, 0x21, 1, 0xfd));
	assert_int_equal(kicks, 2);
	assert_int_equal(pending(), 0x09);
	assert_int_equal(in_v(0, 0x4d0, 2), 0);
	assert_true(out_v(0, 0x4d0, 2, 0xffff));
	assert_int_equal(in_v(0, 0x4d0, 2), 0xdef8);
}

/* ---- 8254 ------------------------------------------------------------- */

static u16 pit_read16(u16 port)
{
	u8 lo = inb(port);

	return lo | inb(port) << 8;
}

static void pit_program(u32 ch, u8 mode, u16 count)
{
	outb(0x43, ch << 6 | 0x30 | mode << 1);
	outb(0x40 + ch, count & 0xff);
	outb(0x40 + ch, count >> 8);
}

static u8 status(u32 ch)
{
	outb(0x43, 0xe0 | 2 << ch);
	return inb(0x40 + ch);
}

static void test_pit_bios_state(void **state)
{
	(void)state;
	now += 1000000;				  /* 1 ms: every count loaded */
	assert_int_equal(status(0), 0x80 | 0x36); /* mode 3, OUT high */
	assert_int_equal(status(1) & 0x3f, 0x14);
	assert_int_equal(status(2) & 0x7f, 0x40 | 0x36); /* gate low */
	outb(0x21, 0xfa); /* IRQ0 unmasked: 18.2 Hz */
	assert_int_equal(deadline(), at(START_TSC, 65536, VPIT_HZ));
}

static void test_pit_mode0(void **state)
{
	u64 t0;

	(void)state;
	outb(0x21, 0xfe);
	pit_program(0, 0, 1000);
	t0 = now;
	assert_int_equal(status(0), 0x70); /* OUT low, not loaded yet */
	now = at(t0, 1, VPIT_HZ);
	assert_int_equal(status(0), 0x30);
	outb(0x43, 0x00);
	assert_int_equal(pit_read16(0x40), 999);
	assert_int_equal(deadline(), at(t0, 1000, VPIT_HZ));
	now = at(t0, 1000, VPIT_HZ) - 1;
	check_timers();
	assert_int_equal(pending(), -1);
	assert_int_equal(status(0) & 0x80, 0);
	now++;
	check_timers();
	assert_int_equal(pending(), 0x08);
	assert_int_equal(status(0) & 0x80, 0x80);
	assert_int_equal(deadline(), 0); /* once */
	now = at(t0, 1010, VPIT_HZ);
	outb(0x43, 0x00);
	assert_int_equal(pit_read16(0x40), 65526); /* wraps on */
}

static void test_pit_mode2_periodic(void **state)
{
	u64 t0;

	(void)state;
	outb(0x21, 0xfe);
	pit_program(0, 2, 100);
	t0 = now;
	for (u32 k = 1; k <= 3; k++) {
		assert_int_equal(deadline(), at(t0, k * 100, VPIT_HZ));
		now = deadline();
		check_timers();
		assert_int_equal(ack(), 0x08);
		outb(0x20, 0x20);
	}
	/* Ten periods late: one edge, the next deadline in the future. */
	now = at(t0, 1350, VPIT_HZ);
	check_timers();
	assert_int_equal(ack(), 0x08);
	outb(0x20, 0x20);
	assert_int_equal(pending(), -1);
	assert_int_equal(deadline(), at(t0, 1400, VPIT_HZ));
	/* Values: 100 down to 1, never 0; OUT low at 1. */
	now = at(t0, 1450, VPIT_HZ);
	outb(0x43, 0x00);
	assert_int_equal(pit_read16(0x40), 50);
	now = at(t0, 1499, VPIT_HZ);
	assert_int_equal(status(0) & 0x80, 0);
	/* IRQ0 masked: no deadline, the edge latches at the next check. */
	outb(0x21, 0xff);
	assert_int_equal(deadline(), 0);
	now = at(t0, 1500, VPIT_HZ);
	check_timers();
	outb(0x21, 0xfe);
	assert_int_equal(pending(), 0x08);
}

/* Counts of 1 and 2 count as programmed, but IRQ0 comes at most every
 * 40 PIT clocks (30 kHz): not an exit of vCPU 0 every microsecond. */
static void test_pit_tiny_count(void **state)
{
	u64 t0;

	(void)state;
	outb(0x21, 0xfe);
	pit_program(0, 2, 1);
	t0 = now;
	assert_int_equal(deadline(), at(t0, 1, VPIT_HZ));
	now = deadline();
	check_timers();
	assert_int_equal(ack(), 0x08);
	outb(0x20, 0x20);
	assert_int_equal(deadline(), at(now, 40, VPIT_HZ));
	pit_program(0, 3, 2);
	now = deadline();
	check_timers();
	assert_int_equal(ack(), 0x08);
	outb(0x20, 0x20);
	assert_true(deadline() >= at(now, 40, VPIT_HZ));
	outb(0x43, 0x00);
	assert_true(pit_read16(0x40) <= 2);
	/* A count of 40 and more runs at its own rate. */
	pit_program(0, 2, 40);
	t0 = now;
	now = deadline();
	assert_int_equal(now, at(t0, 40, VPIT_HZ));
	check_timers();
	assert_int_equal(deadline(), at(t0, 80, VPIT_HZ));
}

static void test_pit_mode2_new_count(void **state)
{
	u64 t0, t1;

	(void)state;
	outb(0x21, 0xfe);
	pit_program(0, 2, 100);
	t0 = now;
	now = at(t0, 30, VPIT_HZ);
	outb(0x40, 50); /* LSB/MSB: takes effect at the period's end */
	outb(0x40, 0);
	assert_int_equal(status(0) & 0x40, 0x40); /* NULL COUNT */
	now = at(t0, 60, VPIT_HZ);
	outb(0x43, 0x00);
	assert_int_equal(pit_read16(0x40), 40);
	assert_int_equal(deadline(), at(t0, 100, VPIT_HZ));
	now = deadline();
	check_timers();
	t1 = at(t0, 100, VPIT_HZ); /* the new count's start */
	assert_int_equal(deadline(), at(t1, 50, VPIT_HZ));
	now = at(t1, 20, VPIT_HZ);
	outb(0x43, 0x00);
	assert_int_equal(pit_read16(0x40), 30);
}

static void test_pit_mode3_square(void **state)
{
	u64 t0;

	(void)state;
	pit_program(0, 3, 10);
	t0 = now;
	now = at(t0, 2, VPIT_HZ);
	assert_int_equal(status(0) & 0x80, 0x80);
	outb(0x43, 0x00);
	assert_int_equal(pit_read16(0x40), 6);
	now = at(t0, 5, VPIT_HZ);
	assert_int_equal(status(0) & 0x80, 0);
	outb(0x43, 0x00);
	assert_int_equal(pit_read16(0x40), 10);
	now = at(t0, 4, VPIT_HZ);
	assert_int_equal(status(0) & 0x80, 0x80);
	now = at(t0, 10, VPIT_HZ);
	assert_int_equal(status(0) & 0x80, 0x80);
	/* An odd count: high for (N + 1) / 2 ticks, low for the rest. */
	pit_program(0, 3, 5);
	t0 = now;
	now = at(t0, 2, VPIT_HZ);
	assert_int_equal(status(0) & 0x80, 0x80);
	now = at(t0, 3, VPIT_HZ);
	assert_int_equal(status(0) & 0x80, 0);
	now = at(t0, 5, VPIT_HZ);
	assert_int_equal(status(0) & 0x80, 0x80);
}

static void test_pit_gate_modes(void **state)
{
	u64 t0;

	(void)state;
	/* Mode 1 on channel 2: waits for a rising gate, OUT low for N. */
	outb(0x61, 0);
	pit_program(2, 1, 100);
	now += 1000000;
	assert_int_equal(status(2), 0x80 | 0x40 | 0x32);
	outb(0x61, 1);
	t0 = now;
	now = at(t0, 40, VPIT_HZ);
	assert_int_equal(status(2), 0x32);
	outb(0x61, 0);
	outb(0x61, 1); /* retrigger */
	t0 = now;
	now = at(t0, 99, VPIT_HZ);
	assert_int_equal(inb(0x61) & 0x20, 0);
	now = at(t0, 100, VPIT_HZ);
	assert_int_equal(inb(0x61) & 0x20, 0x20);

	/* Mode 4: OUT low for the one tick at terminal count. */
	pit_program(2, 4, 20);
	t0 = now;
	now = at(t0, 19, VPIT_HZ);
	assert_int_equal(inb(0x61) & 0x20, 0x20);
	now = at(t0, 20, VPIT_HZ);
	assert_int_equal(inb(0x61) & 0x20, 0);
	now = at(t0, 21, VPIT_HZ);
	assert_int_equal(inb(0x61) & 0x20, 0x20);

	/* Mode 5: the strobe counts from the gate's rising edge. */
	outb(0x61, 0);
	pit_program(2, 5, 20);
	now += 1000000;
	outb(0x61, 1);
	t0 = now;
	now = at(t0, 20, VPIT_HZ);
	assert_int_equal(inb(0x61) & 0x20, 0);

	/* Mode 2: gate low stops it with OUT high, rising reloads. */
	pit_program(2, 2, 100);
	t0 = now;
	now = at(t0, 99, VPIT_HZ);
	assert_int_equal(inb(0x61) & 0x20, 0);
	outb(0x61, 0);
	assert_int_equal(inb(0x61) & 0x20, 0x20);
	outb(0x61, 1);
	outb(0x43, 0x80);
	assert_int_equal(pit_read16(0x42), 100);
}

static void test_pit_latch_readback_bcd(void **state)
{
	u64 t0;

	(void)state;
	pit_program(0, 2, 0); /* 65536 */
	t0 = now;
	now = at(t0, 100, VPIT_HZ);
	outb(0x43, 0x00);
	now = at(t0, 200, VPIT_HZ);
	outb(0x43, 0x00); /* ignored: the first is unread */
	assert_int_equal(pit_read16(0x40), 65436);
	assert_int_equal(pit_read16(0x40), 65336); /* live */
	/* Read-back of count and status: status first. */
	outb(0x43, 0xc2);
	assert_int_equal(inb(0x40), 0x80 | 0x34);
	assert_int_equal(pit_read16(0x40), 65336);
	/* LSB-only and MSB-only access. */
	outb(0x43, 0x14);
	outb(0x40, 0x80);
	t0 = now;
	now = at(t0, 0x10, VPIT_HZ);
	assert_int_equal(inb(0x40), 0x70);
	outb(0x43, 0x24);
	outb(0x40, 0x12);
	assert_int_equal(inb(0x40), 0x12);
	/* BCD: count 0 is 10000, read back in BCD. */
	outb(0x43, 0x31);
	outb(0x40, 0);
	outb(0x40, 0);
	t0 = now;
	now = at(t0, 1, VPIT_HZ);
	outb(0x43, 0x00);
	assert_int_equal(pit_read16(0x40), 0x9999);
	assert_int_equal(status(0) & 0x0f, 0x01);
}

static void test_pit_calibration_and_refresh(void **state)
{
	u64 t0;
	u32 toggles = 0;
	u8 last;

	(void)state;
	/* Linux's pit_calibrate_tsc: 50 ms on channel 2, gate from 0x61. */
	outb(0x61, (inb(0x61) & ~0x02) | 0x01);
	pit_program(2, 0, 59659);
	t0 = now;
	assert_int_equal(inb(0x61) & 0x20, 0);
	now = at(t0, 59659, VPIT_HZ) - 1;
	assert_int_equal(inb(0x61) & 0x20, 0);
	now++;
	assert_int_equal(inb(0x61) & 0x20, 0x20);
	assert_int_equal(inb(0x61) & 0x0f, 0x01);
	/* Refresh: bit 4 toggles every 18 PIT clocks. */
	last = inb(0x61) & 0x10;
	for (u32 i = 0; i < 100; i++) {
		now += 1000; /* 1 us */
		toggles += (inb(0x61) & 0x10) != last;
		last = inb(0x61) & 0x10;
	}
	assert_in_range(toggles, 5, 8);
}

/* Another vCPU moves channel 0's deadline or finds its edge: vCPU 0,
 * which the 8259 interrupts and which keeps the deadline, is kicked. */
static void test_pit_kicks_vcpu0(void **state)
{
	(void)state;
	outb(0x21, 0xfe);
	assert_true(out_v(1, 0x61, 1, 0x01)); /* channel 2 only */
	assert_int_equal(kicks, 0);
	assert_true(out_v(1, 0x43, 1, 0x34));
	assert_int_equal(kicks, 1);
	assert_true(out_v(1, 0x40, 1, 1000 & 0xff));
	assert_true(out_v(1, 0x40, 1, 1000 >> 8));
	assert_int_equal(kicks, 3);
	assert_int_equal(deadline(), at(now, 1000, VPIT_HZ));
	in_v(1, 0x61, 1);
	assert_int_equal(kicks, 3);
	now = deadline();
	in_v(1, 0x61, 1);
	assert_int_equal(kicks, 4);
	assert_int_equal(pending(), 0x08);
}

/* ---- RTC -------------------------------------------------------------- */

static u8 cmos(u8 reg)
{
	outb(0x70, reg | 0x80); /* the NMI mask bit is dropped */
	return inb(0x71);
}

static void cmos_set(u8 reg, u8 val)
{
	outb(0x70, reg);
	outb(0x71, val);
}

static void test_rtc_time_modes(void **state)
{
	(void)state;
	assert_int_equal(cmos(0x00), 0x30);
	assert_int_equal(cmos(0x02), 0x45);
	assert_int_equal(cmos(0x04), 0x13);
	assert_int_equal(cmos(0x06), 5); /* Thursday */
	assert_int_equal(cmos(0x07), 0x29);
	assert_int_equal(cmos(0x08), 0x02);
	assert_int_equal(cmos(0x09), 0x24);
	assert_int_equal(cmos(0x32), 0x20);
	assert_int_equal(cmos(0x0d), 0x80);
	cmos_set(0x0b, 0x06); /* binary */
	assert_int_equal(cmos(0x04), 13);
	assert_int_equal(cmos(0x09), 24);
	cmos_set(0x0b, 0x00); /* BCD, 12-hour: 1 PM */
	assert_int_equal(cmos(0x04), 0x81);
	cmos_set(0x04, 0x12); /* 12 AM is midnight */
	cmos_set(0x0b, 0x02);
	assert_int_equal(cmos(0x04), 0x00);
	assert_int_equal(cmos(0x00), 0x30);
	assert_int_equal(cmos(0x07), 0x29);
	/* Leap day + 1 s at the end of it. */
	cmos_set(0x04, 0x23);
	cmos_set(0x02, 0x59);
	cmos_set(0x00, 0x59);
	now += 1000000000ULL;
	assert_int_equal(cmos(0x08), 0x03);
	assert_int_equal(cmos(0x07), 0x01);
	assert_int_equal(cmos(0x06), 6);
}

static void test_rtc_set_and_calendar(void **state)
{
	static const u8 regs[] = {0x00, 0x02, 0x04, 0x07, 0x08, 0x09, 0x32};
	static const u8 vals[] = {0x59, 0x59, 0x23, 0x28, 0x02, 0x00, 0x21};

	(void)state;
	cmos_set(0x0b, 0x82);
	for (u32 i = 0; i < sizeof(regs); i++)
		cmos_set(regs[i], vals[i]);
	now += 5000000000ULL;
	assert_int_equal(cmos(0x00), 0x59); /* stands still */
	assert_int_equal(cmos(0x0a) & 0x80, 0);
	cmos_set(0x0b, 0x02);
	now += 1000000000ULL;
	/* 2100 is not a leap year. */
	assert_int_equal(cmos(0x08), 0x03);
	assert_int_equal(cmos(0x07), 0x01);
	assert_int_equal(cmos(0x09), 0x00);
	assert_int_equal(cmos(0x32), 0x21);
	assert_int_equal(cmos(0x06), 2); /* 2100-03-01 is a Monday */
}

static void test_rtc_uip(void **state)
{
	u64 t0 = now;

	(void)state;
	assert_int_equal(cmos(0x0a), 0x26);
	now = t0 + 999755000ULL; /* 245 us before the first update */
	assert_int_equal(cmos(0x0a), 0x26);
	now = t0 + 999800000ULL;
	assert_int_equal(cmos(0x0a), 0xa6);
	assert_int_equal(cmos(0x00), 0x30);
	now = t0 + 1001900000ULL; /* in the update cycle */
	assert_int_equal(cmos(0x0a), 0xa6);
	assert_int_equal(cmos(0x00), 0x31);
	now = t0 + 1002000000ULL;
	assert_int_equal(cmos(0x0a), 0x26);
}

static void test_rtc_flags_and_irq8(void **state)
{
	u64 t0 = now, d;

	(void)state;
	pic_linux_init(0x01);
	outb(0x21, 0x01); /* IRQ0 off: only the RTC's deadlines */
	assert_int_equal(cmos(0x0c), 0);
	now = t0 + 1000000000ULL;
	assert_int_equal(cmos(0x0c), 0x50); /* UF, PF; no IRQF */
	/* Alarm at 13:45:32, then enable AIE. */
	cmos_set(0x01, 0x32);
	cmos_set(0x03, 0xc0); /* any minute */
	cmos_set(0x05, 0x13);
	cmos_set(0x0a, 0x20); /* no periodic */
	cmos_set(0x0b, 0x22); /* AIE */
	assert_int_equal(deadline(), t0 + 2000000000ULL);
	now = t0 + 2000000000ULL;
	check_timers();
	assert_int_equal(pending(), SLAVE_VEC + 0);
	assert_int_equal(deadline(), 0); /* IRQ8 stays up until C is read */
	assert_int_equal(ack(), SLAVE_VEC + 0);
	outb(0xa0, 0x20);
	outb(0x20, 0x20);
	assert_int_equal(cmos(0x0c), 0xb0); /* IRQF, AF, UF */
	assert_int_equal(cmos(0x0c), 0);
	now = t0 + 3000000000ULL;
	check_timers();
	assert_int_equal(cmos(0x0c), 0x10); /* :33 is no alarm */
	/* Periodic at 2 Hz (RS = 15): every 0.5 s from the chain's start. */
	cmos_set(0x0a, 0x2f);
	cmos_set(0x0b, 0x42);
	d = deadline();
	assert_int_equal(d, START_TSC + 3500000000ULL);
	now = d;
	check_timers();
	assert_int_equal(ack(), SLAVE_VEC + 0);
	assert_int_equal(cmos(0x0c), 0xc0);
}

/* Alarms that came while nobody looked (vCPU 0 halted, nobody read the
 * RTC): AF at the next look, after a gap of hours or of days; an alarm
 * no time of day matches never sets it. */
static void test_rtc_alarm_after_gap(void **state)
{
	const u64 hour = 3600 * 1000000000ULL, day = 24 * hour;

	(void)state;
	cmos_set(0x0a, 0x20); /* no periodic */
	cmos_set(0x01, 0x15); /* alarm 10:20:15 */
	cmos_set(0x03, 0x20);
	cmos_set(0x05, 0x10);
	assert_int_equal(cmos(0x0c), 0);
	now += 20 * hour; /* 09:45:30 the next day: not yet */
	assert_int_equal(cmos(0x0c) & 0x20, 0);
	now += hour; /* 10:45:30 */
	assert_int_equal(cmos(0x0c) & 0x20, 0x20);
	now += 3 * day;
	assert_int_equal(cmos(0x0c) & 0x20, 0x20);
	cmos_set(0x01, 0x60); /* second 60: never */
	(void)cmos(0x0c);
	now += 3 * day;
	assert_int_equal(cmos(0x0c) & 0x20, 0);
	cmos_set(0x01, 0xc0); /* any second of 10:20 */
	now += day - hour;    /* 09:45:30 */
	assert_int_equal(cmos(0x0c) & 0x20, 0);
	now += hour;
	assert_int_equal(cmos(0x0c) & 0x20, 0x20);
}

static void test_cmos_nvram(void **state)
{
	u16 sum = 0;

	(void)state;
	assert_int_equal(cmos(0x15) | cmos(0x16) << 8, 639);
	assert_int_equal(cmos(0x17) | cmos(0x18) << 8, 23 * 1024);
	assert_int_equal(cmos(0x30) | cmos(0x31) << 8, 23 * 1024);
	assert_int_equal(cmos(0x34) | cmos(0x35) << 8, 128);
	for (u8 r = 0x10; r <= 0x2d; r++)
		sum += cmos(r);
	assert_int_equal(cmos(0x2e) << 8 | cmos(0x2f), sum);
	cmos_set(0x7f, 0xa5);
	cmos_set(0x0c, 0xff); /* read-only */
	cmos_set(0x0d, 0x00);
	assert_int_equal(cmos(0x7f), 0xa5);
	assert_int_equal(cmos(0x0d), 0x80);
	/* A 16-bit OUT writes the index and the data at once. */
	assert_true(out_v(0, 0x70, 2, 0x5a40));
	assert_int_equal(cmos(0x40), 0x5a);
}

/* ---- PM, keyboard controller, resets ---------------------------------- */

static void test_pm_timer(void **state)
{
	u64 t0 = now;

	(void)state;
	assert_int_equal(in_v(0, 0x608, 4), VPM_TMR_START);
	now = at(t0, 0x12345, VPM_TIMER_HZ);
	assert_int_equal(in_v(0, 0x608, 4), VPM_TMR_START + 0x12345);
	assert_int_equal(in_v(0, 0x609, 2),
			 ((VPM_TMR_START + 0x12345) >> 8) & 0xffff);
	assert_int_equal(in_v(0, 0x60b, 1), 0);
	assert_int_equal(in_v(0, 0x600, 2) & 1, 0);
	now = at(t0, VPM_TIMER_HZ + 5, VPM_TIMER_HZ); /* past the wrap */
	assert_int_equal(in_v(0, 0x608, 4), 5);
	assert_int_equal(in_v(0, 0x600, 2) & 1, 1); /* TMR_STS */
	assert_true(out_v(0, 0x600, 2, 0x0001));
	assert_int_equal(in_v(0, 0x600, 2) & 1, 0);
	assert_int_equal(in_v(0, 0x600, 4) >> 16, 0); /* PM1_EN */
	assert_true(out_v(0, 0x602, 2, 0xffff));
	assert_int_equal(in_v(0, 0x602, 2), 0x0721);
}

static void test_pm_sleep(void **state)
{
	(void)state;
	assert_int_equal(in_v(0, 0x604, 2), 0x0001);
	assert_true(out_v(0, 0x604, 2, 0x1000)); /* SLP_TYP 4, no SLP_EN */
	assert_int_equal(in_v(0, 0x604, 2), 0x1001);
	assert_true(out_v(0, 0x604, 2, 3 << 10 | 0x2000)); /* S3: ignored */
	assert_int_equal(stops, 0);
	assert_int_equal(in_v(0, 0x604, 2) & 0x2000, 0); /* write-only */
	/* SLP_TYP = 5 and SLP_EN in the high byte alone. */
	assert_false(out_v(1, 0x605, 1, (5 << 2) | 0x20));
	assert_int_equal(stops, 1);
	assert_int_equal(stop_status, 0);
	assert_string_equal(stop_reason, "ACPI power-off (S5)");
}

static void test_kbc(void **state)
{
	(void)state;
	assert_int_equal(inb(0x64), 0x14);
	outb(0x64, 0xaa);
	assert_int_equal(inb(0x64), 0x1d);
	assert_int_equal(inb(0x60), 0x55);
	assert_int_equal(inb(0x64), 0x1c);
	outb(0x64, 0xad); /* disable keyboard: CTR bit 4 */
	outb(0x64, 0x20);
	assert_int_equal(inb(0x60), 0x55);
	outb(0x64, 0xae);
	outb(0x64, 0x60);
	outb(0x60, 0x00); /* SYS cleared */
	assert_int_equal(inb(0x64), 0x10);
	outb(0x64, 0xd0);
	assert_int_equal(inb(0x60), 0x03);
	outb(0x64, 0xff); /* pulses nothing */
	outb(0x64, 0xfd); /* bit 0 set: no reset */
	outb(0x60, 0xf4); /* to the absent keyboard */
	assert_int_equal(inb(0x64) & 1, 0);
	assert_int_equal(stops, 0);
	assert_false(out_v(0, 0x64, 1, 0xf0));
	assert_int_equal(stop_status, STATUS_RESET);
	assert_string_equal(
		stop_reason,
		"guest requested a reset (write 0xf0 to port 0x64)");
}

static void test_resets(void **state)
{
	(void)state;
	outb(0xcf9, 0x0a);
	assert_int_equal(inb(0xcf9), 0x0a);
	outb(0x92, 0xfe & ~0x01);
	assert_int_equal(inb(0x92) & 0x03, 0x02);
	assert_int_equal(stops, 0);
	assert_false(out_v(0, 0xcf9, 1, 0x0e));
	assert_int_equal(stops, 1);
	assert_string_equal(
		stop_reason,
		"guest requested a reset (write 0xe to port 0xcf9)");
	assert_false(out_v(0, 0x92, 1, 0x01));
	assert_string_equal(stop_reason,
			    "guest requested a reset (write 0x1 to port 0x92)");
	outb(0x64, 0xd1);
	outb(0x60, 0x03); /* reset line kept high */
	assert_false(out_v(0, 0x64, 1, 0xd1) && out_v(0, 0x60, 1, 0x02));
	assert_int_equal(stops, 3);
	assert_int_equal(stop_status, STATUS_RESET);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_pic_bios_state, setup),
		cmocka_unit_test_setup(test_pic_init_sequence, setup),
		cmocka_unit_test_setup(test_pic_spurious_irq7, setup),
		cmocka_unit_test_setup(test_pic_spurious_irq15, setup),
		cmocka_unit_test_setup(test_pic_level_and_edge, setup),
		cmocka_unit_test_setup(test_pic_priority_and_eoi, setup),
		cmocka_unit_test_setup(test_pic_rotation, setup),
		cmocka_unit_test_setup(test_pic_auto_eoi_rotation, setup),
		cmocka_unit_test_setup(test_pic_cascade_and_sfnm, setup),
		cmocka_unit_test_setup(test_pic_cascade_second_request, setup),
		cmocka_unit_test_setup(test_pic_special_mask_and_poll, setup),
		cmocka_unit_test_setup(test_pic_kick_and_wide_access, setup),
		cmocka_unit_test_setup(test_pit_bios_state, setup),
		cmocka_unit_test_setup(test_pit_mode0, setup),
		cmocka_unit_test_setup(test_pit_mode2_periodic, setup),
		cmocka_unit_test_setup(test_pit_tiny_count, setup),
		cmocka_unit_test_setup(test_pit_mode2_new_count, setup),
		cmocka_unit_test_setup(test_pit_mode3_square, setup),
		cmocka_unit_test_setup(test_pit_gate_modes, setup),
		cmocka_unit_test_setup(test_pit_latch_readback_bcd, setup),
		cmocka_unit_test_setup(test_pit_calibration_and_refresh, setup),
		cmocka_unit_test_setup(test_pit_kicks_vcpu0, setup),
		cmocka_unit_test_setup(test_rtc_time_modes, setup),
		cmocka_unit_test_setup(test_rtc_set_and_calendar, setup),
		cmocka_unit_test_setup(test_rtc_uip, setup),
		cmocka_unit_test_setup(test_rtc_flags_and_irq8, setup),
		cmocka_unit_test_setup(test_rtc_alarm_after_gap, setup),
		cmocka_unit_test_setup(test_cmos_nvram, setup),
		cmocka_unit_test_setup(test_pm_timer, setup),
		cmocka_unit_test_setup(test_pm_sleep, setup),
		cmocka_unit_test_setup(test_kbc, setup),
		cmocka_unit_test_setup(test_resets, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
