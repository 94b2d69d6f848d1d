// SPDX-License-Identifier: MIT
/*
 * legacy: the legacy PC devices of a partition, checked from inside it
 * (tests/integration/platform-legacy.sh; Shade's models are
 * vmm/vpic.c, vpit.c, vrtc.c, vmisc.c). Every rate is measured against
 * the TSC, whose frequency CPUID 0x40000010 gives, by counting events.
 *
 *  - the state a BIOS leaves: 8259 masks, PIT modes, CMOS defaults,
 *    PM1_CNT.SCI_EN, the keyboard controller's status
 *  - the PM timer: its 24-bit wrap (it starts 1 s before it, so this
 *    comes first) with TMR_STS, its rate within 1%, byte and word reads
 *  - the 8259 pair: ICW1-ICW4, OCW1 masks, ELCR, IRR latching while
 *    masked, ISR through OCW3, EOI (non-specific, specific), the poll
 *    command, AEOI; IRQ0 against IRQ8 (the RTC's periodic interrupt) for
 *    the priority resolver: the default order, rotation with "set
 *    priority", a slave masked at IR2, nesting and special mask mode
 *  - the PIT: IRQ0 periods in modes 2 and 3 within 2% over 50 and 25
 *    ticks, mode 0 once; the channel 2 calibration loop through port
 *    0x61 within 1%; latch and read-back (status, NULL COUNT, OUT), the
 *    gate, BCD, the square wave and refresh toggle in port 0x61
 *  - the RTC: a valid BCD date whose weekday agrees, binary and 12-hour
 *    modes, SET, a rollover into 2000-01-01 that ends a "wait for UIP"
 *    loop and raises UF and AF, PF, the periodic rate within 2%, NVRAM,
 *    the BIOS memory-size bytes against HC_PARTITION_INFO
 *  - the keyboard controller: self-test, command byte; ports 0x92 and
 *    0xcf9 written without asking for a reset
 *
 * The exit status is the number of failed checks. The S5 power-off and
 * the resets, which end a partition, are legacy-end.c's. (Past 800
 * lines: one guest checks every device so that one Bochs boot covers
 * them, and the interrupt checks share its event log.)
 */
#include "guest.h"
#include "apic.h"
#include "pcdev.h"

#define BIT(n)		(1u << (n))
#define PIC_BASE	0x20
#define SLAVE_BASE	0x28
#define IRQ_PIT		0
#define IRQ_CASCADE	2
#define IRQ_RTC		8
#define IRQ_SPURIOUS	7
#define VEC(irq)	((irq) < 8 ? PIC_BASE + (irq) : SLAVE_BASE + (irq)-8)
#define MAX_EVENTS	64
#define PIT_1KHZ	1193 /* counts: 1000.15 Hz */
#define PIT_500HZ	2386
#define PIT_CAL_COUNT	59659 /* 50 ms, as Linux's pit_calibrate_tsc */
#define PIT_CAL_MS	50
#define RTC_RATE_1024HZ 0x26 /* register A: 32.768 kHz base, RS = 6 */
#define RTC_RATE_OFF	0x20
#define RTC_HZ_1024	1024
#define PM_TMR_WRAP	0x1000000u
#define US_PER_S	1000000u

static u32 tsc_khz;

/* Every PIC interrupt, in order, with its TSC; the handler sends EOI
 * unless a check wants the IRQ left in service. */
static volatile bool eoi_on = true;
static volatile u32 nevents;
static volatile u32 ev_vector[MAX_EVENTS];
static volatile u64 ev_tsc[MAX_EVENTS];

static inline void sti(void)
{
	asm volatile("sti" : : : "memory");
}

static inline void cli(void)
{
	asm volatile("cli" : : : "memory");
}

/* A few instructions with IF=1: where a pending interrupt comes in. */
static inline void interrupt_window(void)
{
	asm volatile("nop; nop; nop" : : : "memory");
}

static void pic_handler(u32 cpu, u32 vector)
{
	u32 n = nevents;

	(void)cpu;
	if (n < MAX_EVENTS) {
		ev_vector[n] = vector;
		ev_tsc[n] = apic_rdtsc();
		nevents = n + 1;
	}
	/* Reading register C lowers IRQ8, so the next event is an edge. */
	if (vector == VEC(IRQ_RTC))
		cmos_read(RTC_C);
	if (!eoi_on)
		return;
	if (vector >= SLAVE_BASE)
		outb(PIC_SLAVE_CMD, PIC_EOI);
	outb(PIC_MASTER_CMD, PIC_EOI);
}

static u32 count_of(u32 irq)
{
	return __atomic_load_n(&apic_irq_count[0][VEC(irq)], __ATOMIC_ACQUIRE);
}

static u64 us_to_tsc(u32 us)
{
	return apic_div((u64)tsc_khz * us, 1000);
}

/* Spin (interrupts as they are) until nevents >= n or us pass. */
static bool wait_events(u32 n, u32 us)
{
	u64 end = apic_rdtsc() + us_to_tsc(us);

	while (nevents < n) {
		if (apic_rdtsc() > end)
			return false;
		cpu_relax();
	}
	return true;
}

/* |got - want| <= want * pct / 100 */
static bool within(u64 got, u64 want, u32 pct)
{
	u64 diff = got > want ? got - want : want - got;

	return diff * 100 <= want * pct;
}

/* TSC ticks of n ticks of a clock of hz. */
static u64 ticks_to_tsc(u64 n, u32 hz)
{
	return apic_div(n * tsc_khz * 1000, hz);
}

/* ---- the state a BIOS leaves ------------------------------------------ */

static void bios_state_checks(void)
{
	check_eq(inb(PIC_MASTER_DATA), 0xfb,
		 "8259 master as a BIOS leaves it: all masked but IRQ2");
	check_eq(inb(PIC_SLAVE_DATA), 0xff,
		 "8259 slave as a BIOS leaves it: all masked");
	check_eq(pit_status(0) & 0x3f, 0x36,
		 "PIT channel 0 as a BIOS leaves it: LSB/MSB, mode 3, binary");
	check_eq(pit_status(1) & 0x3f, 0x14,
		 "PIT channel 1 as a BIOS leaves it: LSB, mode 2");
	check_eq(cmos_read(RTC_B), RTC_B_24H,
		 "RTC register B as a BIOS leaves it: BCD, 24-hour, no IRQ");
	check_eq(cmos_read(RTC_D), RTC_D_VRT, "RTC register D: VRT set");
	check_eq(inw(PM1_CNT) & PM1_SCI_EN, PM1_SCI_EN,
		 "PM1a_CNT.SCI_EN is set: ACPI mode from the start");
	check_eq(inb(KBC_STATUS) & (KBC_ST_OBF | KBC_ST_IBF | KBC_ST_SYS),
		 KBC_ST_SYS,
		 "8042 status: buffers empty, system flag set (POST done)");
}

/* ---- ACPI PM timer ---------------------------------------------------- */

/* The 24-bit wrap: Shade starts the timer 1 s before it. */
static void pm_wrap_checks(void)
{
	u32 first = pm_timer(), prev = first, cur = first, high = 0;
	u64 end = apic_rdtsc() +
		  ticks_to_tsc(PM_TMR_WRAP - first + PM_TIMER_HZ / 10,
			       PM_TIMER_HZ);

	while (apic_rdtsc() < end) {
		cur = pm_timer();
		high |= cur & 0xff000000;
		if (cur < prev)
			break;
		prev = cur;
	}
	check_eq(high, 0, "PM timer: bits 24-31 read 0");
	if (!checkf(cur < prev && prev >= 0xf00000 && cur < 0x100000,
		    "PM timer wraps from 0x%x to 0x%x (24 bits; first read "
		    "0x%x)",
		    prev, cur, first))
		return;
	check_eq(inw(PM1_STS) & PM1_TMR_STS, PM1_TMR_STS,
		 "PM1_STS.TMR_STS set: bit 23 of the timer changed");
	outw(PM1_STS, PM1_TMR_STS);
	check_eq(inw(PM1_STS) & PM1_TMR_STS, 0,
		 "PM1_STS.TMR_STS cleared by writing 1");
}

static void pm_checks(void)
{
	u64 t0a, t0b, t1a, t1b, tsc, want;
	u32 p0, p1, w, b, h;

	/* Each read's time: the middle of the TSCs around it. */
	t0a = apic_rdtsc();
	p0 = pm_timer();
	t0b = apic_rdtsc();
	apic_delay_us(50000);
	t1a = apic_rdtsc();
	p1 = pm_timer();
	t1b = apic_rdtsc();
	tsc = (t1a + t1b) / 2 - (t0a + t0b) / 2;
	want = apic_div(apic_div(tsc * PM_TIMER_HZ, tsc_khz), 1000);
	checkf(within((p1 - p0) & 0xffffff, want, 1),
	       "PM timer: %u ticks in %llu TSC ticks, expected %llu (1%%)",
	       (p1 - p0) & 0xffffff, tsc, want);

	w = pm_timer();
	b = inb(PM_TMR + 2);
	h = inw(PM_TMR + 1);
	checkf(((b - (w >> 16)) & 0xff) <= 1,
	       "PM timer: byte read of bits 16-23 (0x%x) agrees with 0x%x", b,
	       w);
	checkf(((h - (w >> 8)) & 0xffff) <= 0x100,
	       "PM timer: word read of bits 8-23 (0x%x) agrees with 0x%x", h,
	       w);
	check_eq(inb(PM_TMR + 3), 0, "PM timer: byte 3 reads 0");

	outw(PM1_EN, 0xffff);
	check_eq(inw(PM1_EN), 0x0721,
		 "PM1_EN: TMR, GBL, PWRBTN, SLPBTN, RTC enables writable");
	outw(PM1_EN, 0);
	outw(PM1_CNT, 0);
	check_eq(inw(PM1_CNT) & PM1_SCI_EN, PM1_SCI_EN,
		 "PM1_CNT.SCI_EN stays set when written 0");
}

/* ---- the 8259 pair ---------------------------------------------------- */

static void pic_setup_checks(void)
{
	pic_init(PIC_BASE, SLAVE_BASE, false);
	check_eq(inb(PIC_MASTER_DATA), 0, "8259 master: ICW1 clears the mask");
	check_eq(inb(PIC_SLAVE_DATA), 0, "8259 slave: ICW1 clears the mask");
	pic_mask(0xa5, 0x5a);
	check_eq(inb(PIC_MASTER_DATA), 0xa5, "8259 master: OCW1 reads back");
	check_eq(inb(PIC_SLAVE_DATA), 0x5a, "8259 slave: OCW1 reads back");
	pic_mask(0xff, 0xff);
	outb(PIC_ELCR_MASTER, 0xff);
	outb(PIC_ELCR_SLAVE, 0xff);
	check_eq(inb(PIC_ELCR_MASTER), 0xf8,
		 "ELCR: IRQ 0-2 stay edge-triggered");
	check_eq(inb(PIC_ELCR_SLAVE), 0xde,
		 "ELCR: IRQ 8 and 13 stay edge-triggered");
	outw(PIC_ELCR_MASTER, 0);
	check_eq(inw(PIC_ELCR_MASTER), 0, "ELCR: one 16-bit write clears both");
}

/* With IF=0 and IRQ0 unmasked: stop channel 0 (a control word), take
 * away a request latched before (poll, EOI), then write the count, so
 * that the next IRQ0 is the new count's. Returns the TSC after the
 * count was written. */
static u64 pit0_restart(u32 mode, u16 count)
{
	outb(PIT_CMD, PIT_LSB_MSB | mode << 1);
	outb(PIC_MASTER_CMD, PIC_POLL);
	if (inb(PIC_MASTER_CMD) & 0x80)
		outb(PIC_MASTER_CMD, PIC_EOI);
	nevents = 0;
	outb(PIT_CH0, count & 0xff);
	outb(PIT_CH0, count >> 8);
	return apic_rdtsc();
}

static void pic_irq0_checks(void)
{
	u32 before;

	pit_program(0, 2, PIT_1KHZ);
	apic_delay_us(3000);
	check(pic_irr(false) & 1, "IRQ0 latches in IRR while masked");
	check_eq(pic_isr(false), 0, "OCW3 read ISR: nothing in service");
	sti();
	apic_delay_us(3000);
	check_eq(count_of(IRQ_PIT), 0, "IRQ0 masked: no interrupt");
	eoi_on = false;
	outb(PIC_MASTER_DATA, 0xfe);
	interrupt_window();
	check_eq(count_of(IRQ_PIT), 1,
		 "unmasking IRQ0 delivers the latched request at once");
	apic_delay_us(5000);
	check_eq(count_of(IRQ_PIT), 1,
		 "IRQ0 in service without EOI: no further IRQ0");
	check_eq(pic_isr(false), 0x01, "OCW3 read ISR: IRQ0 in service");
	check(pic_irr(false) & 1, "new ticks wait in IRR meanwhile");
	before = count_of(IRQ_PIT);
	outb(PIC_MASTER_CMD, PIC_EOI);
	interrupt_window();
	cli();
	check_eq(count_of(IRQ_PIT), before + 1,
		 "non-specific EOI lets the waiting IRQ0 in");
	check_eq(pic_isr(false), 0x01, "IRQ0 in service again");
	outb(PIC_MASTER_CMD, PIC_SPECIFIC_EOI | IRQ_PIT);
	check_eq(pic_isr(false), 0, "specific EOI for IRQ0 clears ISR bit 0");
	eoi_on = true;
}

/* OCW3 poll, IF=0, IRQ0 unmasked and ticking at 1 kHz. */
static void pic_poll_checks(void)
{
	apic_delay_us(2000);
	outb(PIC_MASTER_CMD, PIC_POLL);
	check_eq(inb(PIC_MASTER_CMD), 0x80 | IRQ_PIT,
		 "poll command: IRQ0 requested");
	check_eq(pic_isr(false), 0x01, "the poll acknowledged IRQ0");
	outb(PIC_MASTER_CMD, PIC_EOI);
	pic_mask(0xff, 0xff);
	outb(PIC_MASTER_CMD, PIC_POLL);
	check_eq(inb(PIC_MASTER_CMD), 0, "poll with every IRQ masked: none");
}

/* n IRQ0 periods after the first tick, against the count's period. */
static void irq0_rate_check(u32 mode, u16 count, u32 n)
{
	u64 want = ticks_to_tsc(count, PIT_HZ), got;
	u32 period_us = count * 1000u / (PIT_HZ / 1000);

	pic_mask(0xfe, 0xff);
	pit0_restart(mode, count);
	sti();
	wait_events(n + 1, 2 * (n + 1) * period_us + 10000);
	cli();
	pic_mask(0xff, 0xff);
	if (!checkf(nevents >= n + 1, "PIT mode %u: %u IRQ0 ticks came", mode,
		    n + 1))
		return;
	got = apic_div(ev_tsc[n] - ev_tsc[0], n);
	checkf(within(got, want, 2),
	       "PIT mode %u, count %u: IRQ0 every %llu TSC ticks over %u "
	       "ticks, expected %llu (2%%)",
	       mode, count, got, n, want);
}

static void irq0_oneshot_check(void)
{
	u64 t0, want = ticks_to_tsc(PIT_CAL_COUNT, PIT_HZ);

	pic_mask(0xfe, 0xff);
	t0 = pit0_restart(0, PIT_CAL_COUNT);
	sti();
	apic_delay_us(3 * PIT_CAL_MS * 1000);
	cli();
	pic_mask(0xff, 0xff);
	if (!check_eq(nevents, 1, "PIT mode 0: one IRQ0 in 150 ms"))
		return;
	checkf(within(ev_tsc[0] - t0, want, 2),
	       "PIT mode 0: IRQ0 %llu TSC ticks after the count, expected "
	       "%llu (2%%)",
	       ev_tsc[0] - t0, want);
}

static void pic_aeoi_check(void)
{
	pic_init(PIC_BASE, SLAVE_BASE, true);
	pic_mask(0xfe, 0xff);
	eoi_on = false;
	pit0_restart(2, PIT_1KHZ);
	sti();
	wait_events(3, 20000);
	cli();
	check(nevents >= 3, "AEOI: IRQ0 keeps coming without EOI");
	check_eq(pic_isr(false), 0, "AEOI: nothing stays in service");
	eoi_on = true;
	pic_init(PIC_BASE, SLAVE_BASE, false);
	pic_mask(0xff, 0xff);
}

/* ---- IRQ0 against IRQ8: the priority resolver ------------------------- */

/* Start the RTC's periodic interrupt at 1024 Hz (IF=0). */
static void rtc_periodic_on(void)
{
	cmos_write(RTC_A, RTC_RATE_1024HZ);
	cmos_write(RTC_B, RTC_B_24H | RTC_B_PIE);
	cmos_read(RTC_C);
}

static void rtc_periodic_off(void)
{
	cmos_write(RTC_B, RTC_B_24H);
	cmos_read(RTC_C);
}

/* IRQ0 and IRQ8 both latched while IF=0, then IF=1: which came first. */
static bool both_pending_then_run(const char *what)
{
	apic_delay_us(3000);
	if (!checkf((pic_irr(false) & 0x05) == 0x05 && (pic_irr(true) & 1),
		    "%s: IRQ0 and IRQ8 (via IR2) both requested", what))
		return false;
	nevents = 0;
	sti();
	interrupt_window();
	cli();
	return checkf(nevents >= 2, "%s: both delivered", what);
}

/* The vector of the first event from the other IRQ than the first
 * event's (0 if none). The first IRQ may come twice before the other:
 * its 1 ms period can end while its own handler runs (between the
 * register C read, or the PIT's edge, and the EOI), and then it wins
 * again. */
static u32 other_vector(void)
{
	for (u32 i = 1; i < nevents && i < MAX_EVENTS; i++) {
		if (ev_vector[i] != ev_vector[0])
			return ev_vector[i];
	}
	return 0;
}

static void priority_order_checks(void)
{
	if (both_pending_then_run("default priority"))
		checkf(ev_vector[0] == VEC(IRQ_PIT) &&
			       other_vector() == VEC(IRQ_RTC),
		       "default priority: IRQ0 (0x%x) before IRQ8 (0x%x)",
		       ev_vector[0], other_vector());
	outb(PIC_MASTER_CMD, PIC_SET_PRIORITY | 1);
	if (both_pending_then_run("IR1 lowest"))
		checkf(ev_vector[0] == VEC(IRQ_RTC) &&
			       other_vector() == VEC(IRQ_PIT),
		       "set priority (IR2 highest): IRQ8 (0x%x) before IRQ0 "
		       "(0x%x)",
		       ev_vector[0], other_vector());
	outb(PIC_MASTER_CMD, PIC_SET_PRIORITY | 7);
}

/* IRQ2 masked at the master holds back the whole slave. */
static void slave_mask_check(void)
{
	pic_mask(0xfe | BIT(IRQ_CASCADE), 0xfe);
	u32 pit = 0, rtc = 0;

	nevents = 0;
	sti();
	apic_delay_us(5000);
	cli();
	for (u32 i = 0; i < nevents; i++) {
		pit += ev_vector[i] == VEC(IRQ_PIT);
		rtc += ev_vector[i] == VEC(IRQ_RTC);
	}
	checkf(pit > 0 && rtc == 0 && (pic_irr(true) & 1),
	       "IR2 masked: IRQ0 runs (%u), IRQ8 waits in the slave's IRR "
	       "(%u delivered)",
	       pit, rtc);
	pic_mask(0xfe & ~BIT(IRQ_CASCADE), 0xfe);
}

/* A slave IRQ in service shows in both ISRs; specific EOIs clear them. */
static void slave_in_service_checks(void)
{
	eoi_on = false;
	pic_mask(0xff & ~BIT(IRQ_CASCADE), 0xfe);
	nevents = 0;
	sti();
	wait_events(1, 5000);
	cli();
	if (check_eq(nevents, 1, "IRQ8 alone: delivered once without EOI")) {
		check_eq(pic_isr(false), BIT(IRQ_CASCADE),
			 "a slave IRQ in service: IR2 in the master's ISR");
		check_eq(pic_isr(true), 0x01, "and IR0 in the slave's ISR");
	}
	outb(PIC_SLAVE_CMD, PIC_SPECIFIC_EOI | 0);
	outb(PIC_MASTER_CMD, PIC_SPECIFIC_EOI | IRQ_CASCADE);
	check_eq(pic_isr(false) | pic_isr(true) << 8, 0,
		 "specific EOIs to both chips clear both ISRs");
	eoi_on = true;
}

/* IRQ0 in service blocks IR2 (lower) until special mask mode masks it. */
static void special_mask_checks(void)
{
	u32 n;

	eoi_on = false;
	pic_mask(0xfe & ~BIT(IRQ_CASCADE), 0xfe);
	apic_delay_us(3000);
	nevents = 0;
	sti();
	interrupt_window();
	apic_delay_us(3000);
	cli();
	n = nevents;
	checkf(n == 1 && ev_vector[0] == VEC(IRQ_PIT),
	       "IRQ0 in service holds back IRQ8 (%u delivered)", n);
	outb(PIC_MASTER_CMD, PIC_SMM_ON);
	pic_mask(0xff & ~BIT(IRQ_CASCADE), 0xfe);
	nevents = 0;
	sti();
	interrupt_window();
	cli();
	checkf(nevents >= 1 && ev_vector[0] == VEC(IRQ_RTC),
	       "special mask mode, IRQ0 masked: IRQ8 nests (%u delivered)",
	       nevents);
	outb(PIC_MASTER_CMD, PIC_SMM_OFF);
	outb(PIC_SLAVE_CMD, PIC_EOI);
	outb(PIC_MASTER_CMD, PIC_EOI);
	outb(PIC_MASTER_CMD, PIC_EOI);
	check_eq(pic_isr(false) | pic_isr(true) << 8, 0,
		 "three non-specific EOIs leave nothing in service");
	eoi_on = true;
}

static void rtc_rate_check(void)
{
	u64 want = apic_div((u64)tsc_khz * 1000, RTC_HZ_1024), got;
	u32 n = 50;

	pic_mask(0xff & ~BIT(IRQ_CASCADE), 0xfe);
	cmos_read(RTC_C);
	nevents = 0;
	sti();
	wait_events(n + 2, 200000);
	cli();
	if (!check(nevents >= n + 2, "RTC periodic interrupt: 52 IRQ8s came"))
		return;
	/* The first may have waited in IRR: count from the second. */
	got = apic_div(ev_tsc[n + 1] - ev_tsc[1], n);
	checkf(within(got, want, 2),
	       "RTC periodic interrupt: IRQ8 every %llu TSC ticks, expected "
	       "%llu (1024 Hz, 2%%)",
	       got, want);
}

static void priority_checks(void)
{
	pic_mask(0xff, 0xff);
	pit_program(0, 2, PIT_1KHZ);
	rtc_periodic_on();
	pic_mask(0xfe & ~BIT(IRQ_CASCADE), 0xfe);
	priority_order_checks();
	slave_mask_check();
	slave_in_service_checks();
	special_mask_checks();
	rtc_rate_check();
	pic_mask(0xff, 0xff);
	rtc_periodic_off();
}

/* ---- the PIT, polled ------------------------------------------------- */

/* Linux's pit_calibrate_tsc: channel 2 in mode 0 for 50 ms, polled
 * through port 0x61 until OUT2 rises. */
static void pit_calibration_check(void)
{
	u64 t0, t1 = 0, end, want = (u64)tsc_khz * PIT_CAL_MS;
	u8 out2;

	pit_gate2(true);
	pit_program(2, 0, PIT_CAL_COUNT);
	t0 = apic_rdtsc();
	out2 = inb(PORT_B) & PORT_B_OUT2;
	end = t0 + 4 * want;
	while (apic_rdtsc() < end) {
		if (inb(PORT_B) & PORT_B_OUT2) {
			t1 = apic_rdtsc();
			break;
		}
	}
	check_eq(out2, 0, "port 0x61: OUT2 low while mode 0 counts");
	if (!check(t1 != 0, "port 0x61: OUT2 rises at terminal count"))
		return;
	checkf(within(t1 - t0, want, 1),
	       "PIT calibration loop: %llu TSC ticks in 50 ms, expected %llu "
	       "from CPUID (1%%)",
	       t1 - t0, want);
}

static void pit_read_back_checks(void)
{
	u16 v1;
	u8 st;

	pit_gate2(false);
	pit_program(2, 0, 1000);
	check_eq(pit_status(2), PIT_ST_NULL | PIT_LSB_MSB,
		 "read-back status, gate low: OUT low, NULL COUNT, mode 0");
	pit_gate2(true);
	apic_delay_us(2000);
	outb(PIT_CMD, PIT_READ_BACK | PIT_RB_CH(2));
	st = inb(PIT_CH2);
	v1 = pit_read(2);
	check_eq(st, PIT_ST_OUT | PIT_LSB_MSB,
		 "read-back status after terminal count: OUT high, count "
		 "loaded");
	checkf(v1 > 60000,
	       "mode 0 counts on past terminal count (read back 0x%x)", v1);
}

static void pit_latch_checks(void)
{
	u16 v1, v2, v3;

	pit_program(2, 2, 0);
	outb(PIT_CMD, 2 << 6);
	apic_delay_us(2000);
	outb(PIT_CMD, 2 << 6); /* ignored: the first latch is unread */
	v1 = pit_read(2);
	v2 = pit_read(2);
	checkf(((v1 - v2) & 0xffff) > 1500 && ((v1 - v2) & 0xffff) < 8000,
	       "latched count 0x%x held while the counter ran on to 0x%x", v1,
	       v2);

	pit_program(2, 0, 0xffff);
	apic_delay_us(1000);
	pit_gate2(false);
	v1 = pit_latched(2);
	apic_delay_us(2000);
	v2 = pit_latched(2);
	pit_gate2(true);
	apic_delay_us(1000);
	v3 = pit_latched(2);
	checkf(v1 == v2 && v3 < v2,
	       "mode 0: gate low holds the count (0x%x, 0x%x), high resumes "
	       "(0x%x)",
	       v1, v2, v3);
}

static void pit_bcd_check(void)
{
	u16 v;

	outb(PIT_CMD, 2 << 6 | PIT_LSB_MSB | PIT_BCD);
	outb(PIT_CH2, 0x99);
	outb(PIT_CH2, 0x99);
	apic_delay_us(1000);
	v = pit_latched(2);
	checkf(is_bcd(v & 0xff) && is_bcd(v >> 8) && v < 0x9999 && v > 0x7000,
	       "BCD mode 0: counts down in BCD from 9999 (0x%x)", v);
}

/* Transitions of a port 0x61 bit over us microseconds. */
static u32 port_b_toggles(u8 bit, u32 us)
{
	u64 end = apic_rdtsc() + us_to_tsc(us);
	u8 last = inb(PORT_B) & bit, cur;
	u32 n = 0;

	while (apic_rdtsc() < end) {
		cur = inb(PORT_B) & bit;
		n += cur != last;
		last = cur;
	}
	return n;
}

static void pit_port_b_checks(void)
{
	u32 n;

	pit_program(2, 3, PIT_1KHZ);
	n = port_b_toggles(PORT_B_OUT2, 3000);
	checkf(n >= 4 && n <= 8,
	       "mode 3 at 1 kHz: OUT2 changed %u times in 3 ms (4-8)", n);
	n = port_b_toggles(PORT_B_REFRESH, 1000);
	checkf(n >= 2, "port 0x61 refresh bit toggled %u times in 1 ms", n);
	pit_gate2(false);
}

/* ---- the RTC ---------------------------------------------------------- */

struct rtc_regs {
	u8 sec, min, hour, wday, mday, month, year, century;
};

/* Wait while UIP (bounded), then read the time registers. */
static void rtc_read_all(struct rtc_regs *r)
{
	u64 end = apic_rdtsc() + us_to_tsc(10000);

	while ((cmos_read(RTC_A) & RTC_A_UIP) && apic_rdtsc() < end)
		cpu_relax();
	r->sec = cmos_read(RTC_SEC);
	r->min = cmos_read(RTC_MIN);
	r->hour = cmos_read(RTC_HOUR);
	r->wday = cmos_read(RTC_WDAY);
	r->mday = cmos_read(RTC_MDAY);
	r->month = cmos_read(RTC_MONTH);
	r->year = cmos_read(RTC_YEAR);
	r->century = cmos_read(RTC_CENTURY);
}

/* Sakamoto's day of the week, Sunday = 0. */
static u32 day_of_week(u32 y, u32 m, u32 d)
{
	static const u8 t[] = {0, 3, 2, 5, 0, 3, 5, 1, 4, 6, 2, 4};

	y -= m < 3;
	return (y + y / 4 - y / 100 + y / 400 + t[m - 1] + d) % 7;
}

static u32 days_in_month(u32 y, u32 m)
{
	static const u8 days[] = {31, 28, 31, 30, 31, 30,
				  31, 31, 30, 31, 30, 31};
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return days[m - 1] + (m == 2 && leap);
}

static void rtc_date_check(void)
{
	struct rtc_regs r;
	u32 y, m, d;
	bool bcd;

	rtc_read_all(&r);
	bcd = is_bcd(r.sec) && is_bcd(r.min) && is_bcd(r.hour) &&
	      is_bcd(r.wday) && is_bcd(r.mday) && is_bcd(r.month) &&
	      is_bcd(r.year) && is_bcd(r.century);
	if (!checkf(bcd, "RTC date %02x%02x-%02x-%02x %02x:%02x:%02x is BCD",
		    r.century, r.year, r.month, r.mday, r.hour, r.min, r.sec))
		return;
	y = from_bcd(r.century) * 100 + from_bcd(r.year);
	m = from_bcd(r.month);
	d = from_bcd(r.mday);
	checkf(y >= 2000 && y < 2200 && m >= 1 && m <= 12 && d >= 1 &&
		       d <= days_in_month(y, m) && from_bcd(r.hour) < 24 &&
		       from_bcd(r.min) < 60 && from_bcd(r.sec) < 60,
	       "RTC date %u-%02u-%02u is a valid date and time", y, m, d);
	check_eq(from_bcd(r.wday), day_of_week(y, m, d) + 1,
		 "RTC day of the week agrees with the date");
}

static u32 secs_of_day(u32 h, u32 m, u32 s)
{
	return h * 3600 + m * 60 + s;
}

static void rtc_mode_checks(void)
{
	struct rtc_regs bcd, bin, h12;
	u32 t_bcd, t_bin, hour;

	rtc_read_all(&bcd);
	cmos_write(RTC_B, RTC_B_24H | RTC_B_BINARY);
	rtc_read_all(&bin);
	cmos_write(RTC_B, 0);
	rtc_read_all(&h12);
	cmos_write(RTC_B, RTC_B_24H);
	t_bcd = secs_of_day(from_bcd(bcd.hour), from_bcd(bcd.min),
			    from_bcd(bcd.sec));
	t_bin = secs_of_day(bin.hour, bin.min, bin.sec);
	checkf(bin.sec < 60 && bin.min < 60 && bin.hour < 24 &&
		       t_bin >= t_bcd && t_bin - t_bcd <= 2,
	       "binary mode: %02u:%02u:%02u, the BCD clock read %02x:%02x:%02x",
	       bin.hour, bin.min, bin.sec, bcd.hour, bcd.min, bcd.sec);
	hour = from_bcd(h12.hour & 0x7f) % 12 + (h12.hour & 0x80 ? 12 : 0);
	checkf(from_bcd(h12.hour & 0x7f) >= 1 &&
		       from_bcd(h12.hour & 0x7f) <= 12 &&
		       (hour == bin.hour || hour == (bin.hour + 1u) % 24),
	       "12-hour mode: hour 0x%02x (bit 7 = PM) for %02u h", h12.hour,
	       bin.hour);
}

/* SET, then 1999-12-31 23:59:59 and an alarm at 00:00:00. */
static void rtc_set_1999(void)
{
	static const u8 regs[] = {
		RTC_SEC,  RTC_MIN,     RTC_HOUR,   RTC_MDAY,   RTC_MONTH,
		RTC_YEAR, RTC_CENTURY, RTC_SEC_AL, RTC_MIN_AL, RTC_HOUR_AL};
	static const u8 vals[] = {0x59, 0x59, 0x23, 0x31, 0x12,
				  0x99, 0x19, 0x00, 0x00, 0x00};

	cmos_write(RTC_B, RTC_B_24H | RTC_B_SET);
	for (u32 i = 0; i < ARRAY_SIZE(regs); i++)
		cmos_write(regs[i], vals[i]);
	apic_delay_us(2000);
	check_eq(cmos_read(RTC_SEC), 0x59, "SET: the clock stands still");
	cmos_read(RTC_C);
}

/* The first update after SET clears ends a "wait for UIP to fall" loop
 * one second later, in the next millennium. */
static void rtc_rollover_checks(void)
{
	struct rtc_regs r;
	u64 t0, t1 = 0, end;
	u8 c;

	rtc_set_1999();
	cmos_write(RTC_B, RTC_B_24H);
	t0 = apic_rdtsc();
	end = t0 + us_to_tsc(2 * US_PER_S);
	while (apic_rdtsc() < end && !(cmos_read(RTC_A) & RTC_A_UIP))
		cpu_relax();
	while (apic_rdtsc() < end) {
		if (!(cmos_read(RTC_A) & RTC_A_UIP)) {
			t1 = apic_rdtsc();
			break;
		}
	}
	if (!check(t1 != 0, "UIP rose and fell within 2 s of clearing SET"))
		return;
	checkf(within(t1 - t0, us_to_tsc(US_PER_S), 1),
	       "the update came %llu TSC ticks after SET cleared, expected "
	       "1 s (%llu, 1%%)",
	       t1 - t0, us_to_tsc(US_PER_S));
	rtc_read_all(&r);
	checkf(r.century == 0x20 && r.year == 0 && r.month == 1 &&
		       r.mday == 1 && r.hour == 0 && r.min == 0 && r.sec <= 1 &&
		       r.wday == 7,
	       "1999-12-31 23:59:59 + 1 s = %02x%02x-%02x-%02x %02x:%02x:%02x, "
	       "day %x (2000-01-01 00:00:00, Saturday = 7)",
	       r.century, r.year, r.month, r.mday, r.hour, r.min, r.sec,
	       r.wday);
	c = cmos_read(RTC_C);
	checkf((c & (RTC_C_UF | RTC_C_AF | RTC_C_IRQF)) ==
		       (RTC_C_UF | RTC_C_AF),
	       "register C 0x%02x: update and alarm (00:00:00) flags, no "
	       "IRQF (not enabled)",
	       c);
	check_eq(cmos_read(RTC_C) & (RTC_C_UF | RTC_C_AF), 0,
		 "reading register C clears it");
}

static void rtc_periodic_flag_checks(void)
{
	cmos_write(RTC_A, RTC_RATE_1024HZ);
	cmos_read(RTC_C);
	apic_delay_us(3000);
	check_eq(cmos_read(RTC_C) & (RTC_C_PF | RTC_C_IRQF), RTC_C_PF,
		 "periodic flag PF set at 1024 Hz with PIE off, no IRQF");
	cmos_write(RTC_A, RTC_RATE_OFF);
	cmos_read(RTC_C);
	apic_delay_us(3000);
	check_eq(cmos_read(RTC_C) & RTC_C_PF, 0, "rate select 0: no PF");
	cmos_write(RTC_A, RTC_RATE_1024HZ);
}

static void nvram_checks(void)
{
	struct partition_info pi;
	u32 bad = 0, ext, high;

	for (u32 pass = 0; pass < 2; pass++) {
		for (u8 reg = 0x40; reg < 0x80; reg++)
			cmos_write(reg, (u8)(reg ^ (pass ? 0xa5 : 0x5a)));
		for (u8 reg = 0x40; reg < 0x80; reg++)
			bad += cmos_read(reg) !=
			       (u8)(reg ^ (pass ? 0xa5 : 0x5a));
	}
	check_eq(bad, 0, "NVRAM 0x40-0x7f keeps what is written");
	if (!self_info(&pi))
		return;
	ext = (u32)((pi.mem_bytes - 0x100000) / 1024);
	high = pi.mem_bytes > 0x1000000
		       ? (u32)((pi.mem_bytes - 0x1000000) >> 16)
		       : 0;
	check_eq(cmos_read(0x15) | cmos_read(0x16) << 8, 639,
		 "CMOS 0x15-0x16: 639 KiB of base memory");
	check_eq(cmos_read(0x17) | cmos_read(0x18) << 8,
		 ext < 0xffff ? ext : 0xffff,
		 "CMOS 0x17-0x18: KiB above 1 MiB, from mem=");
	check_eq(cmos_read(0x30) | cmos_read(0x31) << 8,
		 ext < 0xffff ? ext : 0xffff, "CMOS 0x30-0x31: the same");
	check_eq(cmos_read(0x34) | cmos_read(0x35) << 8, high,
		 "CMOS 0x34-0x35: 64 KiB blocks above 16 MiB, from mem=");
}

static void rtc_checks(void)
{
	rtc_date_check();
	rtc_mode_checks();
	rtc_periodic_flag_checks();
	nvram_checks();
	rtc_rollover_checks();
}

/* ---- keyboard controller, ports 0x92 and 0xcf9 ------------------------- */

static void kbc_checks(void)
{
	u8 ctr;

	outb(KBC_STATUS, 0xaa);
	check_eq(inb(KBC_STATUS) & (KBC_ST_OBF | KBC_ST_CMD),
		 KBC_ST_OBF | KBC_ST_CMD,
		 "8042 self-test: output buffer full, last write a command");
	check_eq(inb(KBC_DATA), 0x55, "8042 self-test answers 0x55");
	check_eq(inb(KBC_STATUS) & KBC_ST_OBF, 0, "reading 0x60 empties it");
	outb(KBC_STATUS, 0x20);
	ctr = inb(KBC_DATA);
	check_eq(ctr, 0x45, "8042 command byte as a BIOS leaves it");
	outb(KBC_STATUS, 0x60);
	outb(KBC_DATA, 0x41);
	check_eq(inb(KBC_STATUS) & (KBC_ST_CMD | KBC_ST_SYS), 0,
		 "status: last write data; system flag from the command byte");
	outb(KBC_STATUS, 0x20);
	check_eq(inb(KBC_DATA), 0x41, "8042 command byte written by 0x60");
	outb(KBC_STATUS, 0x60);
	outb(KBC_DATA, ctr);

	check_eq(inb(PORT_92) & 0x03, 0x02, "port 0x92: A20 on, no reset");
	outb(PORT_92, 0x02);
	outb(RST_CNT, 0x02);
	check_eq(inb(RST_CNT), 0x02,
		 "0xcf9: SYS_RST reads back; no reset without RST_CPU");
}

u32 guest_main(u32 magic, u32 info)
{
	u32 bus_khz;

	(void)magic;
	(void)info;
	trap_init();
	apic_irq_init();
	for (u32 irq = 0; irq < 16; irq++)
		apic_set_handler(VEC(irq), pic_handler);
	apic_clocks(&tsc_khz, &bus_khz);
	if (!check(tsc_khz != 0, "CPUID 0x40000010 gives the TSC frequency"))
		return report();
	gprintf("TSC %u kHz\n", tsc_khz);
	bios_state_checks();
	pm_wrap_checks();
	pic_setup_checks();
	pic_irq0_checks();
	pic_poll_checks();
	irq0_rate_check(2, PIT_1KHZ, 50);
	irq0_rate_check(3, PIT_500HZ, 25);
	irq0_oneshot_check();
	pic_aeoi_check();
	priority_checks();
	pit_calibration_check();
	pit_read_back_checks();
	pit_latch_checks();
	pit_bcd_check();
	pit_port_b_checks();
	pm_checks();
	rtc_checks();
	kbc_checks();
	check_eq(count_of(IRQ_SPURIOUS), 0, "no IRQ7 (spurious) came");
	return report();
}
