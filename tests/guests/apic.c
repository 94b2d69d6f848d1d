// SPDX-License-Identifier: MIT
/*
 * apic: the virtual local APIC of one vCPU (vmm/vlapic.c), in a partition
 * with cpus=1 (tests/integration/platform-apic.sh). In xAPIC mode (the
 * page at 0xFEE00000, paging off), then in x2APIC mode (MSRs):
 *
 *  - the state a BIOS leaves; each register's read-only, reserved and
 *    writable bits; partial accesses to the page; locked
 *    read-modify-writes of the running current count; the x2APIC rules
 *    (#GP for a reserved bit, a read-only or write-only register, one
 *    that x2APIC mode lacks);
 *  - ESR's write-then-read latching and the error interrupt;
 *  - priorities: pending self-IPIs arrive highest first, TPR holds back
 *    lower classes, an interrupt of a higher class nests in a handler
 *    and one of the same class waits for its EOI;
 *  - the timer in one-shot, periodic and TSC-deadline modes, timed with
 *    the TSC against the frequencies CPUID 0x40000010 reports (never the
 *    wall clock), with its mode changes, masking and a HLT it ends;
 *  - IA32_APIC_BASE's transitions, and the reset that disabling is.
 *
 * Interrupt handlers only record; the checks run afterwards. Output is
 * slow in Bochs (every byte is a VM exit, and Shade prints each line with
 * interrupts off), so related register checks share one PASS line, with
 * a line for each value that is wrong, and nothing is printed while a
 * timer that is being timed runs.
 *
 * About 850 lines: one guest, so that one short boot covers both modes
 * with the same checks (each part runs once per mode).
 */
#include "guest.h"
#include "apic.h"

#define VEC_TIMER 0x30
#define VEC_ERROR 0xe0
#define VEC_SELF  0x55
#define VEC_DROP  0x70

#define VERSION_VALUE	   0x60014 /* version 0x14, highest LVT index 6 */
#define SVR_BIOS	   0x1ff
#define ERR_TOLERANCE	   20 /* one-shot and deadline: at most 1/20 late */
#define PERIODIC_TICKS	   20
#define PERIODIC_TOLERANCE 50 /* the average period within 1/50 (2%) */
#define TIMER_MS	   10
#define PERIOD_MS	   2
#define US_PER_MS	   1000

static u32 tsc_khz, bus_khz;

/* What the handlers saw, in order. */
#define MAX_RECORD 16
static volatile u32 order[MAX_RECORD];
static volatile u32 norder;
static volatile u64 tick_tsc[PERIODIC_TICKS + 8];
static volatile u32 nticks;

/* ---- grouped checks ---------------------------------------------------- */

static u32 group_bad;

/* One item of a group: a line for a wrong value, counted. */
static void note(u64 got, u64 want, const char *name)
{
	if (got == want)
		return;
	group_bad++;
	gprintf("  %s: got 0x%llx, expected 0x%llx\n", name, got, want);
}

/* The group's check: PASS if every item since the last group was right. */
__printf(1, 2) static bool group(const char *fmt, ...)
{
	char what[160];
	va_list ap;
	bool ok = group_bad == 0;

	va_start(ap, fmt);
	vgsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	group_bad = 0;
	return check(ok, what);
}

__printf(3, 4) static bool eq(u64 got, u64 want, const char *fmt, ...)
{
	char what[160];
	va_list ap;

	va_start(ap, fmt);
	vgsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return check_eq((i64)got, (i64)want, what);
}

static const char *mode(void)
{
	return apic_is_x2apic() ? "x2APIC" : "xAPIC";
}

static void record_handler(u32 cpu, u32 vector)
{
	(void)cpu;
	if (norder < MAX_RECORD)
		order[norder] = vector;
	norder++;
	apic_eoi();
}

static void tick_handler(u32 cpu, u32 vector)
{
	(void)vector;
	if (nticks < ARRAY_SIZE(tick_tsc))
		tick_tsc[nticks] = apic_irq_tsc[cpu];
	nticks++;
	apic_eoi();
}

static u32 count(u32 vector)
{
	return apic_irq_count[0][vector];
}

/* Bit vector of a 256-bit register (ISR, TMR, IRR) at base. */
static bool reg_bit(u32 base, u32 vector)
{
	return (apic_read(base + (vector / 32) * 16) >> (vector % 32)) & 1;
}

static void clear_order(void)
{
	norder = 0;
	for (u32 i = 0; i < MAX_RECORD; i++)
		order[i] = 0;
}

/* ---- registers -------------------------------------------------------- */

struct reg_value {
	u32 reg;
	u32 val;
	const char *name;
};

/* Power-up state as a BIOS leaves it (virtual-wire mode). */
static const struct reg_value bios_regs[] = {
	{APIC_ID, 0, "ID"},
	{APIC_VERSION, VERSION_VALUE, "version"},
	{APIC_TPR, 0, "TPR"},
	{APIC_PPR, 0, "PPR"},
	{APIC_LDR, 0, "LDR"},
	{APIC_DFR, 0xffffffff, "DFR"},
	{APIC_SVR, SVR_BIOS, "SVR"},
	{APIC_ESR, 0, "ESR"},
	{APIC_LVT_TIMER, LVT_MASKED, "LVT timer"},
	{APIC_LVT_THERM, LVT_MASKED, "LVT thermal"},
	{APIC_LVT_PERF, LVT_MASKED, "LVT perf"},
	{APIC_LVT_LINT0, 0x700, "LVT LINT0"},
	{APIC_LVT_LINT1, 0x400, "LVT LINT1"},
	{APIC_LVT_ERROR, LVT_MASKED, "LVT error"},
	{APIC_LVT_CMCI, LVT_MASKED, "LVT CMCI"},
	{APIC_TIMER_ICR, 0, "initial count"},
	{APIC_TIMER_CCR, 0, "current count"},
	{APIC_TIMER_DCR, 0, "divide configuration"},
};

static void bios_state(void)
{
	struct cpuid_regs c = cpuid(1, 0);

	note(c.ecx & (1u << 21), 1u << 21, "CPUID.1:ECX x2APIC");
	note(c.ecx & (1u << 24), 1u << 24, "CPUID.1:ECX TSC-deadline");
	note(c.edx & (1u << 9), 1u << 9, "CPUID.1:EDX APIC");
	group("CPUID.1: APIC, x2APIC, TSC-deadline timer");
	eq(apic_rdmsr(MSR_APIC_BASE), XAPIC_BASE | APIC_BASE_EN | APIC_BASE_BSP,
	   "IA32_APIC_BASE: 0xFEE00000, enabled, BSP");
	for (u32 i = 0; i < ARRAY_SIZE(bios_regs); i++)
		note(xapic_read(bios_regs[i].reg), bios_regs[i].val,
		     bios_regs[i].name);
	for (u32 i = 0; i < 8; i++) {
		note(xapic_read(APIC_ISR + i * 16), 0, "ISR");
		note(xapic_read(APIC_TMR + i * 16), 0, "TMR");
		note(xapic_read(APIC_IRR + i * 16), 0, "IRR");
	}
	group("xAPIC at start: virtual wire (SVR 0x1FF, LINT0 ExtINT, LINT1 "
	      "NMI, other LVTs masked), the rest 0");
}

/* What a write of all ones leaves, per register (xAPIC: reserved bits
 * ignored, read-only registers unchanged). */
static void xapic_write_masks(void)
{
	static const struct {
		u32 reg;
		u32 after; /* read after writing 0xFFFFFFFF */
		u32 restore;
		const char *name;
	} regs[] = {
		{APIC_TPR, 0xff, 0, "TPR"},
		{APIC_LDR, 0xff000000, 0, "LDR"},
		{APIC_DFR, 0xffffffff, 0xffffffff, "DFR"},
		{APIC_SVR, 0x3ff, SVR_BIOS, "SVR"},
		{APIC_LVT_TIMER, 0x700ff, LVT_MASKED, "LVT timer"},
		{APIC_LVT_THERM, 0x107ff, LVT_MASKED, "LVT thermal"},
		{APIC_LVT_PERF, 0x107ff, LVT_MASKED, "LVT perf"},
		{APIC_LVT_LINT0, 0x1a7ff, 0x700, "LVT LINT0"},
		{APIC_LVT_LINT1, 0x1a7ff, 0x400, "LVT LINT1"},
		{APIC_LVT_ERROR, 0x100ff, LVT_MASKED, "LVT error"},
		{APIC_LVT_CMCI, 0x107ff, LVT_MASKED, "LVT CMCI"},
		{APIC_TIMER_DCR, 0xb, 0, "divide configuration"},
		{APIC_ICR_HIGH, 0xff000000, 0, "ICR high"},
	};
	static const struct reg_value read_only[] = {
		{APIC_ID, 0, "ID"},
		{APIC_VERSION, VERSION_VALUE, "version"},
		{APIC_PPR, 0, "PPR"},
		{APIC_APR, 0, "APR"},
		{APIC_ISR + 0x70, 0, "ISR"},
		{APIC_TMR + 0x70, 0, "TMR"},
		{APIC_IRR + 0x70, 0, "IRR"},
		{APIC_TIMER_CCR, 0, "current count"},
	};

	for (u32 i = 0; i < ARRAY_SIZE(regs); i++) {
		xapic_write(regs[i].reg, 0xffffffff);
		note(xapic_read(regs[i].reg), regs[i].after, regs[i].name);
		xapic_write(regs[i].reg, regs[i].restore);
	}
	group("xAPIC: all ones written: exactly the writable bits stick");
	for (u32 i = 0; i < ARRAY_SIZE(read_only); i++) {
		xapic_write(read_only[i].reg, 0xffffffff);
		note(xapic_read(read_only[i].reg), read_only[i].val,
		     read_only[i].name);
	}
	group("xAPIC: writes to read-only registers are ignored");

	xapic_write(APIC_DFR, 0);
	note(xapic_read(APIC_DFR), 0x0fffffff, "DFR cluster");
	xapic_write(APIC_DFR, 0xffffffff);
	xapic_write(APIC_TPR, 0x35);
	note(xapic_read(APIC_PPR), 0x35, "PPR with TPR 0x35");
	note(xapic_read(APIC_APR), 0x35, "APR with TPR 0x35");
	xapic_write(APIC_TPR, 0);
	group("xAPIC: DFR bits 27:0 read as ones; PPR and APR follow TPR");
}

/* Reads inside a register's 16 bytes give its bytes; narrow writes do
 * nothing; an unimplemented register reads 0 and latches ESR bit 7. */
static void xapic_partial_and_reserved(void)
{
	volatile u8 *page = (volatile u8 *)XAPIC_BASE;

	note(page[APIC_VERSION], 0x14, "byte 0 of version");
	note(page[APIC_VERSION + 2], 0x06, "byte 2 of version");
	note(*(volatile u16 *)(page + APIC_VERSION), 0x14, "word of version");
	note(xapic_read(APIC_VERSION + 4), 0, "bytes 4-7 of version");
	page[APIC_TPR] = 0x55;
	note(xapic_read(APIC_TPR), 0, "TPR after a byte write");
	group("xAPIC: byte and word reads, bytes 4-15 read 0, a byte write "
	      "is ignored");

	xapic_write(APIC_ESR, 0);
	note(xapic_read(APIC_ESR), 0, "ESR before");
	note(xapic_read(0x40), 0, "register 0x40");
	note(xapic_read(APIC_ESR), 0, "ESR before it is written");
	xapic_write(APIC_ESR, 0);
	note(xapic_read(APIC_ESR), ESR_ILLEGAL_REG, "ESR after reading 0x40");
	xapic_write(0x3f0, 0x42); /* SELF IPI: x2APIC only */
	xapic_write(APIC_ESR, 0);
	note(xapic_read(APIC_ESR), ESR_ILLEGAL_REG, "ESR after writing 0x3F0");
	note(count(0x42), 0, "interrupts from writing 0x3F0");
	xapic_write(APIC_ESR, 0);
	note(xapic_read(APIC_ESR), 0, "ESR written again");
	group("xAPIC: reserved registers read 0 and latch illegal register "
	      "address");
}

/*
 * Locked read-modify-writes of the current count while it runs at the
 * full bus clock (masked, so no interrupt): Shade emulates each with one
 * read of the register and one write, which is ignored (read-only). The
 * count changes every 10 ns, so an emulator that read it again until two
 * reads agreed, as it may for RAM, would never finish the instruction.
 */
static void xapic_rmw_running_count(void)
{
	u32 ccr = XAPIC_BASE + APIC_TIMER_CCR, n = 0xffffffff, x = 0, y, a;

	apic_write(APIC_TIMER_DCR, DCR_DIV_1);
	apic_write(APIC_LVT_TIMER, LVT_MASKED | LVT_PERIODIC | VEC_TIMER);
	apic_write(APIC_TIMER_ICR, n);
	asm volatile("lock addl $1, (%0)" : : "r"(ccr) : "memory");
	asm volatile("xchgl %0, (%1)" : "+r"(x) : "r"(ccr) : "memory");
	y = x + 1; /* not the count: CMPXCHG writes nothing, loads it */
	asm volatile("lock cmpxchgl %2, (%1)"
		     : "+a"(y)
		     : "r"(ccr), "r"(0u)
		     : "memory", "cc");
	a = xapic_read(APIC_TIMER_CCR);
	apic_write(APIC_TIMER_ICR, 0);
	apic_write(APIC_LVT_TIMER, LVT_MASKED);
	apic_write(APIC_TIMER_DCR, 0);
	note(x > 0 && x < n, 1, "count XCHG read");
	note(y > 0 && y <= x, 1, "count CMPXCHG read");
	note(a > 0 && a <= y && a < x, 1, "count after (still running)");
	group("xAPIC: locked ADD, XCHG and CMPXCHG on the running current "
	      "count (divide by 1) read it once; the count goes on");
}

/* Software disable: every LVT masked, and it stays so. */
static void software_disable(void)
{
	xapic_write(APIC_SVR, 0xff);
	note(xapic_read(APIC_LVT_LINT0), 0x700 | LVT_MASKED, "LINT0 disabled");
	note(xapic_read(APIC_LVT_LINT1), 0x400 | LVT_MASKED, "LINT1 disabled");
	xapic_write(APIC_LVT_LINT0, 0x700);
	note(xapic_read(APIC_LVT_LINT0), 0x700 | LVT_MASKED,
	     "LINT0 unmasked while disabled");
	group("xAPIC: software-disabled: LVTs masked, and the mask sticks");
	xapic_write(APIC_SVR, SVR_BIOS);
	note(xapic_read(APIC_LVT_LINT0), 0x700 | LVT_MASKED,
	     "LINT0 re-enabled");
	xapic_write(APIC_LVT_LINT0, 0x700);
	xapic_write(APIC_LVT_LINT1, 0x400);
	note(xapic_read(APIC_LVT_LINT0), 0x700, "LINT0 unmasked");
	group("xAPIC: re-enabled: LVTs stay masked until written");
}

/* ---- errors, priorities ----------------------------------------------- */

static void esr_and_error_interrupt(void)
{
	u32 before = count(VEC_ERROR);

	apic_cli();
	apic_write(APIC_ESR, 0);
	apic_send_ipi(ICR_SH_SELF | 3, 0);
	note(apic_read(APIC_ESR), 0, "ESR before it is written");
	apic_write(APIC_ESR, 0);
	note(apic_read(APIC_ESR), ESR_SEND_ILLEGAL | ESR_RECV_ILLEGAL,
	     "ESR after the write");
	apic_write(APIC_ESR, 0);
	note(apic_read(APIC_ESR), 0, "ESR written again");
	group("%s: self-IPI vector 3: send and receive illegal vector, "
	      "latched by the next ESR write",
	      mode());

	apic_write(APIC_LVT_ERROR, VEC_ERROR);
	apic_send_ipi(ICR_SH_SELF | 3, 0);
	note(reg_bit(APIC_IRR, VEC_ERROR), 1, "error vector in IRR");
	apic_sti();
	apic_delay_us(500);
	note(count(VEC_ERROR) - before, 1, "error interrupts");
	apic_write(APIC_LVT_ERROR, LVT_MASKED | VEC_ERROR);
	apic_write(APIC_ESR, 0);
	note(apic_read(APIC_ESR), ESR_SEND_ILLEGAL | ESR_RECV_ILLEGAL, "ESR");
	group("%s: one error interrupt (LVT error)", mode());
}

/* Self-IPIs raised with IF=0 come highest first once IF=1. */
static void priority_order(void)
{
	static const u32 sent[] = {0x41, 0x82, 0x63, 0xc4, 0x52};
	static const u32 want[] = {0xc4, 0x82, 0x63, 0x52, 0x41};
	u32 in_irr = 0, left = 0;

	clear_order();
	apic_cli();
	for (u32 i = 0; i < ARRAY_SIZE(sent); i++) {
		apic_set_handler(sent[i], record_handler);
		apic_send_ipi(ICR_SH_SELF | sent[i], 0);
	}
	for (u32 i = 0; i < ARRAY_SIZE(sent); i++)
		in_irr += reg_bit(APIC_IRR, sent[i]);
	note(in_irr, ARRAY_SIZE(sent), "vectors in IRR with IF=0");
	note(norder, 0, "deliveries with IF=0");
	apic_sti();
	apic_delay_us(500);
	note(norder, ARRAY_SIZE(want), "deliveries after STI");
	for (u32 i = 0; i < ARRAY_SIZE(want); i++)
		note(order[i], want[i], "delivered vector");
	for (u32 i = 0; i < ARRAY_SIZE(sent); i++)
		left += reg_bit(APIC_IRR, sent[i]);
	note(left, 0, "vectors left in IRR");
	group("%s: five self-IPIs wait in IRR, then arrive highest first "
	      "(0xc4 0x82 0x63 0x52 0x41)",
	      mode());
}

static void tpr_blocking(void)
{
	clear_order();
	apic_set_handler(0x65, record_handler);
	apic_set_handler(0x75, record_handler);
	apic_set_handler(0x85, record_handler);
	apic_write(APIC_TPR, 0x70);
	apic_send_ipi(ICR_SH_SELF | 0x65, 0);
	apic_send_ipi(ICR_SH_SELF | 0x85, 0);
	apic_send_ipi(ICR_SH_SELF | 0x75, 0);
	apic_delay_us(500);
	note(norder, 1, "deliveries with TPR 0x70");
	note(order[0], 0x85, "vector delivered with TPR 0x70");
	note(reg_bit(APIC_IRR, 0x65) + reg_bit(APIC_IRR, 0x75), 2,
	     "0x65 and 0x75 in IRR");
	note(apic_read(APIC_PPR), 0x70, "PPR");
	group("%s: TPR 0x70 lets 0x85 through and holds 0x75 and 0x65", mode());
	apic_write(APIC_TPR, 0x60);
	apic_delay_us(200);
	note(norder, 2, "deliveries with TPR 0x60");
	note(order[1], 0x75, "vector delivered with TPR 0x60");
	apic_write(APIC_TPR, 0);
	apic_delay_us(200);
	note(norder, 3, "deliveries with TPR 0");
	note(order[2], 0x65, "vector delivered with TPR 0");
	group("%s: lowering TPR to 0x60, then 0, releases 0x75, then 0x65",
	      mode());
}

/* In the handler of 0x48: 0x5a (a higher class) nests, 0x4c (the same
 * class) waits for 0x48's EOI. All three share an ISR word, so EOI must
 * clear one bit. */
static volatile u32 nest_isr_outer, nest_isr_both, nest_ppr_outer,
	nest_ppr_nested;
static volatile u32 nest_isr_after_eoi, nest_seen_in_outer;

static void handler_nested(u32 cpu, u32 vector)
{
	(void)cpu;
	nest_isr_both = reg_bit(APIC_ISR, 0x48) && reg_bit(APIC_ISR, 0x5a);
	nest_ppr_nested = apic_read(APIC_PPR);
	order[norder++] = vector;
	apic_eoi();
	nest_isr_after_eoi =
		reg_bit(APIC_ISR, 0x48) && !reg_bit(APIC_ISR, 0x5a);
}

static void handler_outer(u32 cpu, u32 vector)
{
	(void)cpu;
	order[norder++] = vector;
	nest_isr_outer = reg_bit(APIC_ISR, 0x48);
	nest_ppr_outer = apic_read(APIC_PPR);
	apic_send_ipi(ICR_SH_SELF | 0x4c, 0);
	apic_send_ipi(ICR_SH_SELF | 0x5a, 0);
	apic_sti();
	apic_delay_us(300);
	apic_cli();
	nest_seen_in_outer = norder;
	apic_eoi();
}

static void nested_isr(void)
{
	clear_order();
	apic_set_handler(0x48, handler_outer);
	apic_set_handler(0x5a, handler_nested);
	apic_set_handler(0x4c, record_handler);
	apic_send_ipi(ICR_SH_SELF | 0x48, 0);
	apic_delay_us(800);
	note(norder, 3, "interrupts");
	note(nest_isr_outer, 1, "ISR holds 0x48 in its handler");
	note(nest_ppr_outer, 0x40, "PPR in 0x48's handler");
	note(nest_seen_in_outer, 2, "deliveries before 0x48's EOI");
	note(nest_isr_both, 1, "ISR holds 0x48 and 0x5a in 0x5a's handler");
	note(nest_ppr_nested, 0x50, "PPR in 0x5a's handler");
	note(nest_isr_after_eoi, 1, "EOI in 0x5a's handler cleared 0x5a only");
	note(order[0], 0x48, "first");
	note(order[1], 0x5a, "second");
	note(order[2], 0x4c, "third");
	note(apic_read(APIC_ISR + 0x20) | apic_read(APIC_ISR + 0x40), 0,
	     "ISR at the end");
	group("%s: nesting: 0x5a interrupts 0x48's handler, 0x4c waits for "
	      "its EOI; EOI clears the highest ISR bit",
	      mode());
}

/* ---- the timer -------------------------------------------------------- */

/* TSC ticks for n bus clocks. */
static u64 bus_to_tsc(u64 n)
{
	return apic_div(n * tsc_khz, bus_khz);
}

static void timer_stop(void)
{
	apic_write(APIC_LVT_TIMER, LVT_MASKED | VEC_TIMER);
	apic_write(APIC_TIMER_ICR, 0);
}

/* late <= span / ERR_TOLERANCE after the expected moment, never early. */
static bool on_time(u64 got, u64 want, u64 span)
{
	return got >= want && got - want <= span / ERR_TOLERANCE;
}

static void timer_oneshot(void)
{
	u32 n = bus_khz * TIMER_MS / 16, c0 = count(VEC_TIMER), ccr1, ccr2;
	u64 want = bus_to_tsc((u64)n * 16), t0;
	bool fired;

	apic_write(APIC_TIMER_DCR, DCR_DIV_16);
	apic_write(APIC_LVT_TIMER, LVT_ONESHOT | VEC_TIMER);
	t0 = apic_rdtsc();
	apic_write(APIC_TIMER_ICR, n);
	ccr1 = apic_read(APIC_TIMER_CCR);
	ccr2 = apic_read(APIC_TIMER_CCR);
	/* No output until it fired: Shade prints each line with interrupts
	 * off, which would delay the interrupt. */
	fired = apic_wait_count(0, VEC_TIMER, c0 + 1, 4 * TIMER_MS * US_PER_MS);
	checkf(ccr1 <= n && ccr2 < ccr1 && ccr2 > 0,
	       "%s: one-shot: the current count goes down", mode());
	gprintf("%s: one-shot: %llu TSC ticks, expected %llu\n", mode(),
		apic_irq_tsc[0] - t0, want);
	checkf(fired && on_time(apic_irq_tsc[0] - t0, want, want),
	       "%s: one-shot: fired after 10 ms of TSC (-0%%, +5%%)", mode());
	apic_delay_us(TIMER_MS * US_PER_MS);
	note(count(VEC_TIMER) - c0, 1, "interrupts");
	note(apic_read(APIC_TIMER_CCR), 0, "current count");
	note(apic_read(APIC_TIMER_ICR), n, "initial count");
	group("%s: one-shot: fired once, current count 0, initial count kept",
	      mode());
}

static void timer_periodic(void)
{
	u32 n = bus_khz * PERIOD_MS / 16, c0;
	u64 period = bus_to_tsc((u64)n * 16), total, want, lo, hi;
	bool each = true, fired;

	apic_set_handler(VEC_TIMER, tick_handler);
	nticks = 0;
	apic_write(APIC_TIMER_DCR, DCR_DIV_16);
	apic_write(APIC_LVT_TIMER, LVT_PERIODIC | VEC_TIMER);
	apic_write(APIC_TIMER_ICR, n);
	fired = apic_wait_count(
		0, VEC_TIMER, count(VEC_TIMER) + PERIODIC_TICKS + 1,
		3 * (PERIODIC_TICKS + 1) * PERIOD_MS * US_PER_MS);
	apic_write(APIC_TIMER_ICR, 0);
	c0 = count(VEC_TIMER);
	total = tick_tsc[PERIODIC_TICKS] - tick_tsc[0];
	want = period * PERIODIC_TICKS;
	gprintf("%s: periodic: %u periods in %llu TSC ticks, expected %llu\n",
		mode(), PERIODIC_TICKS, total, want);
	lo = want - want / PERIODIC_TOLERANCE;
	hi = want + want / PERIODIC_TOLERANCE;
	checkf(fired && total >= lo && total <= hi,
	       "%s: periodic: 20 periods of 2 ms, average within 2%%", mode());
	for (u32 i = 0; i < PERIODIC_TICKS; i++) {
		u64 d = tick_tsc[i + 1] - tick_tsc[i];

		each = each && d > period / 2 && d < period + period / 2;
	}
	checkf(each, "%s: periodic: every period within 50%%", mode());
	apic_delay_us(3 * PERIOD_MS * US_PER_MS);
	eq(count(VEC_TIMER), c0, "%s: periodic: initial count 0 stops it",
	   mode());
	apic_set_handler(VEC_TIMER, NULL);
}

static void timer_masked(void)
{
	u32 n = bus_khz * PERIOD_MS / 16, c0 = count(VEC_TIMER), a, b;

	apic_write(APIC_LVT_TIMER, LVT_MASKED | LVT_PERIODIC | VEC_TIMER);
	apic_write(APIC_TIMER_ICR, n);
	apic_delay_us(3 * PERIOD_MS * US_PER_MS);
	a = apic_read(APIC_TIMER_CCR);
	apic_delay_us(PERIOD_MS * US_PER_MS / 4);
	b = apic_read(APIC_TIMER_CCR);
	note(count(VEC_TIMER), c0, "interrupts while masked");
	note(a != b && a <= n && b <= n && a && b, 1, "counting");
	apic_write(APIC_LVT_TIMER, LVT_PERIODIC | VEC_TIMER);
	note(apic_wait_count(0, VEC_TIMER, c0 + 2, 4 * PERIOD_MS * US_PER_MS),
	     1, "interrupts once unmasked");
	timer_stop();
	group("%s: masked periodic timer: counts, no interrupt; unmasked: "
	      "fires again",
	      mode());
}

/* One-shot to periodic keeps the count; HLT ends at the next tick. */
static void timer_switch_and_hlt(void)
{
	u32 n = bus_khz * PERIOD_MS / 16, c0 = count(VEC_TIMER), ccr;
	u64 t0, want = bus_to_tsc((u64)n * 16);

	apic_write(APIC_LVT_TIMER, LVT_ONESHOT | VEC_TIMER);
	apic_write(APIC_TIMER_ICR, n);
	apic_write(APIC_LVT_TIMER, LVT_PERIODIC | VEC_TIMER);
	ccr = apic_read(APIC_TIMER_CCR);
	note(ccr > 0 && ccr < n, 1, "current count after the switch");
	note(apic_wait_count(0, VEC_TIMER, c0 + 2, 4 * PERIOD_MS * US_PER_MS),
	     1, "two interrupts");
	timer_stop();
	group("%s: one-shot to periodic: the count goes on, fires twice",
	      mode());

	c0 = count(VEC_TIMER);
	apic_cli();
	apic_write(APIC_LVT_TIMER, LVT_ONESHOT | VEC_TIMER);
	t0 = apic_rdtsc();
	apic_write(APIC_TIMER_ICR, n);
	asm volatile("sti; hlt" : : : "memory");
	note(count(VEC_TIMER) - c0, 1, "interrupts");
	note(apic_irq_tsc[0] - t0 >= want, 1, "HLT lasted until the deadline");
	timer_stop();
	group("%s: HLT ended by the timer interrupt, at its deadline", mode());
}

static void timer_tsc_deadline(void)
{
	u64 span = apic_tsc_us(TIMER_MS * US_PER_MS), dl, first, readback;
	u32 c0 = count(VEC_TIMER), ccr;
	bool fired;

	apic_write(APIC_LVT_TIMER, LVT_TSC_DEADLINE | VEC_TIMER);
	first = apic_rdmsr(MSR_TSC_DEADLINE);
	dl = apic_rdtsc() + span;
	apic_wrmsr(MSR_TSC_DEADLINE, dl);
	readback = apic_rdmsr(MSR_TSC_DEADLINE);
	ccr = apic_read(APIC_TIMER_CCR);
	fired = apic_wait_count(0, VEC_TIMER, c0 + 1, 4 * TIMER_MS * US_PER_MS);
	note(first, 0, "IA32_TSC_DEADLINE before");
	note(readback, dl, "IA32_TSC_DEADLINE after the write");
	note(ccr, 0, "current count");
	group("%s: TSC-deadline mode: the deadline reads back, current count "
	      "0",
	      mode());
	gprintf("%s: TSC deadline: fired %llu TSC ticks after it\n", mode(),
		apic_irq_tsc[0] - dl);
	checkf(fired && on_time(apic_irq_tsc[0], dl, span),
	       "%s: TSC deadline: fired at the deadline (+5%% of 10 ms)",
	       mode());
	eq(apic_rdmsr(MSR_TSC_DEADLINE), 0,
	   "%s: TSC deadline reads 0 once fired", mode());

	c0 = count(VEC_TIMER);
	apic_wrmsr(MSR_TSC_DEADLINE, apic_rdtsc() + span / 2);
	apic_wrmsr(MSR_TSC_DEADLINE, 0);
	apic_write(APIC_TIMER_ICR, 1000);
	note(apic_read(APIC_TIMER_CCR), 0, "current count after ICR write");
	apic_delay_us(TIMER_MS * US_PER_MS);
	note(count(VEC_TIMER), c0, "interrupts");
	group("%s: TSC deadline 0 disarms; the initial count is ignored",
	      mode());

	apic_wrmsr(MSR_TSC_DEADLINE, 1);
	checkf(apic_wait_count(0, VEC_TIMER, c0 + 1, TIMER_MS * US_PER_MS),
	       "%s: a TSC deadline in the past fires at once", mode());

	c0 = count(VEC_TIMER);
	apic_wrmsr(MSR_TSC_DEADLINE, apic_rdtsc() + span / 2);
	apic_write(APIC_LVT_TIMER, LVT_ONESHOT | VEC_TIMER);
	note(apic_rdmsr(MSR_TSC_DEADLINE), 0, "IA32_TSC_DEADLINE one-shot");
	apic_wrmsr(MSR_TSC_DEADLINE, apic_rdtsc() + span / 4);
	apic_delay_us(TIMER_MS * US_PER_MS);
	note(count(VEC_TIMER), c0, "interrupts");
	group("%s: leaving TSC-deadline mode disarms; IA32_TSC_DEADLINE "
	      "reads 0 and ignores writes in one-shot mode",
	      mode());
	timer_stop();
}

static void timers(void)
{
	timer_oneshot();
	timer_periodic();
	timer_masked();
	timer_switch_and_hlt();
	timer_tsc_deadline();
}

/* ---- x2APIC ----------------------------------------------------------- */

static void gp_read(u32 msr, const char *what)
{
	u64 v;

	note(apic_rdmsr_fault(msr, &v), VEC_GP, what);
}

static void gp_write(u32 msr, u64 val, const char *what)
{
	note(apic_wrmsr_fault(msr, val), VEC_GP, what);
}

static void x2apic_registers(void)
{
	u64 v;

	eq(apic_rdmsr_fault(X2APIC_MSR(APIC_VERSION), &v), VEC_GP,
	   "xAPIC mode: RDMSR of an x2APIC register: #GP");
	apic_set_mode(true);
	eq(apic_rdmsr(MSR_APIC_BASE),
	   XAPIC_BASE | APIC_BASE_EN | APIC_BASE_EXTD | APIC_BASE_BSP,
	   "IA32_APIC_BASE: x2APIC mode");
	note(apic_rdmsr(X2APIC_MSR(APIC_ID)), 0, "ID");
	note(apic_rdmsr(X2APIC_MSR(APIC_VERSION)), VERSION_VALUE, "version");
	note(apic_rdmsr(X2APIC_MSR(APIC_LDR)), 1, "LDR");
	note(apic_rdmsr(X2APIC_MSR(APIC_SVR)), SVR_BIOS, "SVR");
	group("x2APIC: ID 0, version, LDR cluster 0 bit 0, SVR kept");
	eq(xapic_read(APIC_VERSION), 0xffffffff,
	   "x2APIC: the xAPIC page is gone (reads all ones)");

	apic_wrmsr(X2APIC_MSR(APIC_TPR), 0x42);
	note(apic_rdmsr(X2APIC_MSR(APIC_TPR)), 0x42, "TPR");
	note(apic_rdmsr(X2APIC_MSR(APIC_PPR)), 0x42, "PPR");
	apic_wrmsr(X2APIC_MSR(APIC_TPR), 0);
	apic_wrmsr(X2APIC_MSR(APIC_LVT_CMCI), 0x107ff);
	note(apic_rdmsr(X2APIC_MSR(APIC_LVT_CMCI)), 0x107ff, "LVT CMCI");
	apic_wrmsr(X2APIC_MSR(APIC_LVT_CMCI), LVT_MASKED);
	apic_wrmsr(X2APIC_MSR(APIC_TIMER_DCR), 0xb);
	note(apic_rdmsr(X2APIC_MSR(APIC_TIMER_DCR)), 0xb, "DCR");
	apic_wrmsr(X2APIC_MSR(APIC_TIMER_DCR), 0);
	note(apic_wrmsr_fault(X2APIC_MSR(APIC_EOI), 0), -1, "EOI of 0");
	note(apic_wrmsr_fault(X2APIC_MSR(APIC_ESR), 0), -1, "ESR of 0");
	group("x2APIC: TPR, PPR, LVT, divide read back; EOI and ESR take 0");

	gp_read(X2APIC_MSR(APIC_EOI), "RDMSR EOI (write-only)");
	gp_read(X2APIC_MSR(APIC_SELF_IPI), "RDMSR SELF IPI (write-only)");
	gp_read(X2APIC_MSR(APIC_APR), "RDMSR 0x809 (no APR)");
	gp_read(X2APIC_MSR(APIC_RRD), "RDMSR 0x80C (no RRD)");
	gp_read(X2APIC_MSR(APIC_DFR), "RDMSR 0x80E (no DFR)");
	gp_read(X2APIC_MSR(APIC_ICR_HIGH), "RDMSR 0x831 (no ICR high)");
	gp_read(0x804, "RDMSR 0x804 (reserved)");
	gp_read(0x8ff, "RDMSR 0x8FF (reserved)");
	group("x2APIC: RDMSR of write-only, missing and reserved registers: "
	      "#GP");
	gp_write(X2APIC_MSR(APIC_ID), 0, "WRMSR ID");
	gp_write(X2APIC_MSR(APIC_VERSION), VERSION_VALUE, "WRMSR version");
	gp_write(X2APIC_MSR(APIC_PPR), 0, "WRMSR PPR");
	gp_write(X2APIC_MSR(APIC_LDR), 1, "WRMSR LDR");
	gp_write(X2APIC_MSR(APIC_ISR), 0, "WRMSR ISR");
	gp_write(X2APIC_MSR(APIC_IRR), 0, "WRMSR IRR");
	gp_write(X2APIC_MSR(APIC_TIMER_CCR), 0, "WRMSR current count");
	group("x2APIC: WRMSR of read-only registers: #GP");
	gp_write(X2APIC_MSR(APIC_EOI), 1, "EOI of 1");
	gp_write(X2APIC_MSR(APIC_ESR), 1, "ESR of 1");
	gp_write(X2APIC_MSR(APIC_TPR), 0x100, "TPR bit 8");
	gp_write(X2APIC_MSR(APIC_TPR), 1ULL << 32, "TPR bit 32");
	gp_write(X2APIC_MSR(APIC_SVR), SVR_BIOS | (1u << 12), "SVR bit 12");
	gp_write(X2APIC_MSR(APIC_LVT_TIMER), LVT_MASKED | (1u << 12),
		 "LVT timer bit 12");
	gp_write(X2APIC_MSR(APIC_TIMER_DCR), 4, "divide bit 2");
	gp_write(X2APIC_MSR(APIC_ICR_LOW), (1u << 13) | 0x60, "ICR bit 13");
	gp_write(X2APIC_MSR(APIC_SELF_IPI), 0x160, "SELF IPI bit 8");
	note(apic_rdmsr(X2APIC_MSR(APIC_TPR)) |
		     apic_rdmsr(X2APIC_MSR(APIC_SVR)),
	     SVR_BIOS, "TPR | SVR after the refused writes");
	note(count(0x60), 0, "interrupts from the refused ICR write");
	group("x2APIC: WRMSR with a reserved bit set: #GP, nothing changes");
}

static void x2apic_ipis(void)
{
	u32 c = count(VEC_SELF);

	apic_cli();
	apic_wrmsr(X2APIC_MSR(APIC_SELF_IPI), VEC_SELF);
	note(reg_bit(APIC_IRR, VEC_SELF), 1, "IRR");
	apic_sti();
	apic_delay_us(200);
	note(count(VEC_SELF) - c, 1, "interrupts");
	group("x2APIC: SELF IPI sets IRR, delivered once");

	apic_wrmsr(X2APIC_MSR(APIC_ICR_LOW), 0x56);
	apic_delay_us(200);
	note(count(0x56), 1, "interrupts");
	note(apic_rdmsr(X2APIC_MSR(APIC_ICR_LOW)), 0x56, "ICR");
	group("x2APIC: fixed IPI to ID 0 reaches itself; ICR reads back");
	apic_wrmsr(X2APIC_MSR(APIC_ICR_LOW), 1ULL << 32 | 0x57);
	apic_delay_us(200);
	note(count(0x57), 0, "interrupts");
	note(apic_rdmsr(X2APIC_MSR(APIC_ICR_LOW)), 1ULL << 32 | 0x57, "ICR");
	group("x2APIC: IPI to ID 1 (no such vCPU) goes nowhere");
	apic_send_ipi(ICR_SH_OTHERS | 0x58, 0);
	apic_send_ipi(ICR_SH_ALL | 0x59, 0);
	apic_delay_us(200);
	note(count(0x58), 0, "all-excluding-self");
	note(count(0x59), 1, "all-including-self");
	group("x2APIC: shorthands: all-excluding-self skips the sender, "
	      "all-including-self reaches it");
	apic_send_ipi(ICR_DM_INIT | ICR_ASSERT, 0);
	apic_send_ipi(ICR_DM_SIPI | 0x10, 0);
	apic_send_ipi(ICR_DM_NMI, 0);
	apic_delay_us(200);
	/* An NMI would hit trap.c's vector 2 and fail the test. */
	eq(apic_read(APIC_SVR), SVR_BIOS,
	   "x2APIC: INIT, SIPI, NMI to self ignored (APIC state kept)");
}

/* ---- IA32_APIC_BASE ---------------------------------------------------- */

static const struct reg_value reset_regs[] = {
	{APIC_ID, 0, "ID"},
	{APIC_SVR, 0xff, "SVR"},
	{APIC_TPR, 0, "TPR"},
	{APIC_LDR, 0, "LDR"},
	{APIC_DFR, 0xffffffff, "DFR"},
	{APIC_LVT_TIMER, LVT_MASKED, "LVT timer"},
	{APIC_LVT_LINT0, LVT_MASKED, "LVT LINT0"},
	{APIC_LVT_LINT1, LVT_MASKED, "LVT LINT1"},
	{APIC_LVT_ERROR, LVT_MASKED, "LVT error"},
	{APIC_IRR + 0x60, 0, "IRR"},
};

static void apic_base_transitions(void)
{
	u64 x2 = XAPIC_BASE | APIC_BASE_EN | APIC_BASE_EXTD | APIC_BASE_BSP;
	u64 off = XAPIC_BASE | APIC_BASE_BSP, v;

	note(apic_wrmsr_fault(MSR_APIC_BASE, x2 & ~APIC_BASE_EXTD), VEC_GP,
	     "x2APIC to xAPIC");
	note(apic_wrmsr_fault(MSR_APIC_BASE, x2 & ~APIC_BASE_EN), VEC_GP,
	     "EXTD without EN");
	note(apic_wrmsr_fault(MSR_APIC_BASE, x2 + 0x1000), VEC_GP,
	     "another base");
	note(apic_wrmsr_fault(MSR_APIC_BASE, x2 | (1u << 9)), VEC_GP,
	     "reserved bit 9");
	note(apic_rdmsr(MSR_APIC_BASE), x2, "IA32_APIC_BASE");
	group("IA32_APIC_BASE: x2APIC to xAPIC directly, EXTD without EN, "
	      "another base, a reserved bit: #GP");

	/* A pending interrupt and some state, then disable. */
	apic_cli();
	apic_wrmsr(X2APIC_MSR(APIC_TPR), 0x20);
	apic_wrmsr(X2APIC_MSR(APIC_SELF_IPI), VEC_DROP);
	note(apic_wrmsr_fault(MSR_APIC_BASE, off), -1, "x2APIC to disabled");
	note(apic_rdmsr_fault(X2APIC_MSR(APIC_VERSION), &v), VEC_GP,
	     "RDMSR version while disabled");
	note(xapic_read(APIC_VERSION), 0xffffffff, "xAPIC page");
	note(apic_wrmsr_fault(MSR_APIC_BASE, x2), VEC_GP, "disabled to x2APIC");
	note(apic_wrmsr_fault(MSR_APIC_BASE, off | APIC_BASE_EN), -1,
	     "disabled to xAPIC");
	group("IA32_APIC_BASE: x2APIC to disabled (no registers), disabled "
	      "to x2APIC #GP, disabled to xAPIC");
	apic_set_mode(false);
	for (u32 i = 0; i < ARRAY_SIZE(reset_regs); i++)
		note(xapic_read(reset_regs[i].reg), reset_regs[i].val,
		     reset_regs[i].name);
	group("after disabling: power-up state (SVR 0xFF, LVTs masked, TPR "
	      "and IRR clear, ID kept)");
	xapic_write(APIC_SVR, SVR_BIOS);
	apic_sti();
	apic_delay_us(200);
	eq(count(VEC_DROP), 0,
	   "after disabling: the pending interrupt is gone");
}

u32 guest_main(u32 magic, u32 info)
{
	(void)magic;
	(void)info;
	trap_init();
	apic_irq_init();
	if (!check(is_shade(), "running under Shade"))
		return report();
	apic_clocks(&tsc_khz, &bus_khz);
	gprintf("TSC %u kHz, APIC bus %u kHz\n", tsc_khz, bus_khz);
	eq(bus_khz, 100000, "CPUID 0x40000010: APIC bus 100 MHz");
	if (!check(tsc_khz != 0, "CPUID 0x40000010: TSC frequency"))
		return report();

	bios_state();
	xapic_write_masks();
	xapic_partial_and_reserved();
	xapic_rmw_running_count();
	software_disable();
	esr_and_error_interrupt();
	priority_order();
	tpr_blocking();
	nested_isr();
	timers();

	x2apic_registers();
	esr_and_error_interrupt();
	priority_order();
	tpr_blocking();
	nested_isr();
	timers();
	x2apic_ipis();
	apic_base_transitions();
	return report();
}
