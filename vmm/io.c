// SPDX-License-Identifier: MIT
/*
 * Port I/O from guests (contract section 4): every IN/OUT exits
 * (unconditional I/O exiting) and lands here.
 *
 *	0x3f8-0x3ff	a 16550 UART: THR bytes go to the partition console,
 *			LSR always reads "transmitter empty"
 *	0xe9		bytes go to the partition console (the Bochs idiom)
 *	0xf4		a write of V (any width) stops the partition, status V
 *	port_map[]	the legacy PC devices (include/vlegacy.h)
 *	anything else	reads all ones, writes are ignored; the first access
 *			to each port is logged once per partition
 *
 * String forms (INS/OUTS, with REP) are emulated item by item, each
 * linear address translated through the guest's page tables (32-bit
 * addresses: 64-bit guests' string I/O is not supported yet).
 *
 * Context: the vCPU's physical CPU, in its VM-exit handler.
 */
#include "exit.h"
#include "vmx.h"
#include "x86.h"
#include "printk.h"
#include "kstring.h"
#include "vlegacy.h"

/* I/O exit qualification (SDM 3C table 28-5) */
#define IO_QUAL_SIZE(q) (((q)&7) + 1)
#define IO_QUAL_IN	BIT(3)
#define IO_QUAL_STRING	BIT(4)
#define IO_QUAL_REP	BIT(5)
#define IO_QUAL_PORT(q) (((q) >> 16) & 0xffff)

#define UART_BASE   0x3f8
#define UART_LAST   0x3ff
#define UART_THR    0 /* and DLL when DLAB=1 */
#define UART_IER    1
#define UART_IIR    2
#define UART_LCR    3
#define UART_MCR    4
#define UART_LSR    5
#define UART_MSR    6
#define UART_SCR    7
#define LCR_DLAB    0x80
#define LSR_EMPTY   0x60 /* THRE | TEMT */
#define IIR_NO_INTR 0x01
#define PORT_E9	    0xe9
#define PORT_EXIT   0xf4
#define RFLAGS_DF   BIT(10)

static u32 uart_read(struct partition *p, u32 reg)
{
	struct vuart *u = &p->uart;

	switch (reg) {
	case UART_THR:
		return 0; /* no input */
	case UART_IER:
		return (u->lcr & LCR_DLAB) ? 0 : u->ier;
	case UART_IIR:
		return IIR_NO_INTR;
	case UART_LCR:
		return u->lcr;
	case UART_MCR:
		return u->mcr;
	case UART_LSR:
		return LSR_EMPTY;
	case UART_SCR:
		return u->scr;
	default:
		return 0; /* MSR: no modem lines */
	}
}

static void uart_write(struct partition *p, u32 reg, u8 val)
{
	struct vuart *u = &p->uart;

	switch (reg) {
	case UART_THR:
		if (!(u->lcr & LCR_DLAB))
			pconsole_putc(p, (char)val);
		return;
	case UART_IER:
		if (!(u->lcr & LCR_DLAB))
			u->ier = val & 0xf;
		return;
	case UART_LCR:
		u->lcr = val;
		return;
	case UART_MCR:
		u->mcr = val;
		return;
	case UART_SCR:
		u->scr = val;
		return;
	}
}

static void print_port_range(struct partition *p, u16 lo, u16 hi)
{
	if (lo == hi)
		pr_info("partition '%s': first access to unassigned I/O port "
			"0x%x (reads all ones, writes ignored)",
			p->cfg.name, lo);
	else
		pr_info("partition '%s': first accesses to unassigned I/O "
			"ports 0x%x-0x%x (reads all ones, writes ignored)",
			p->cfg.name, lo, hi);
}

/* Caller holds p->ports_lock. */
static void flush_port_log_locked(struct partition *p)
{
	spin_assert_held(&p->ports_lock);
	if (p->ports_open)
		print_port_range(p, p->ports_lo, p->ports_hi);
	p->ports_open = false;
}

void io_flush_port_log(struct partition *p)
{
	spin_lock(&p->ports_lock);
	flush_port_log_locked(p);
	spin_unlock(&p->ports_lock);
}

/*
 * Every unassigned port is logged once per partition, on its first
 * access. A guest probing ports one after another (a driver scanning for
 * hardware, or a storm) would print thousands of lines, so first accesses
 * to consecutive ports gather into one range, printed when the next first
 * access is elsewhere or the partition stops.
 */
static void log_unassigned(struct vcpu *v, u16 port)
{
	struct partition *p = v->part;
	u8 bit = 1 << (port & 7);

	if (!p->ports_seen || (__atomic_fetch_or(&p->ports_seen[port / 8], bit,
						 __ATOMIC_RELAXED) &
			       bit))
		return;
	spin_lock(&p->ports_lock);
	if (p->ports_open && port == p->ports_hi + 1) {
		p->ports_hi = port;
	} else {
		flush_port_log_locked(p);
		p->ports_open = true;
		p->ports_lo = p->ports_hi = port;
	}
	spin_unlock(&p->ports_lock);
}

static u32 console_in(struct vcpu *v, u16 port, u32 size)
{
	(void)size;
	if (port == PORT_E9)
		return PORT_E9;
	return uart_read(v->part, port - UART_BASE);
}

static bool console_out(struct vcpu *v, u16 port, u32 size, u32 val)
{
	(void)size;
	if (port == PORT_E9)
		pconsole_putc(v->part, (char)val);
	else
		uart_write(v->part, port - UART_BASE, (u8)val);
	return true;
}

static u32 exit_port_in(struct vcpu *v, u16 port, u32 size)
{
	(void)v;
	(void)port;
	return size == 4 ? 0xffffffff : (1U << (8 * size)) - 1;
}

static bool exit_port_out(struct vcpu *v, u16 port, u32 size, u32 val)
{
	(void)port;
	(void)size;
	partition_exit(v->part, val);
	return false;
}

/*
 * Who answers which port (docs/platform.md): the contract's console and
 * exit ports, then the legacy PC devices (include/vlegacy.h). in()
 * returns the value, out() false when the access stopped the partition.
 */
struct port_range {
	u16 first, last;
	u32 (*in)(struct vcpu *v, u16 port, u32 size);
	bool (*out)(struct vcpu *v, u16 port, u32 size, u32 val);
};

static const struct port_range port_map[] = {
	{0x020, 0x021, vpic_in, vpic_out},   /* 8259 master */
	{0x040, 0x043, vpit_in, vpit_out},   /* 8254 */
	{0x060, 0x060, vmisc_in, vmisc_out}, /* keyboard controller data */
	{0x061, 0x061, vpit_in, vpit_out},   /* PIT channel 2 gate */
	{0x064, 0x064, vmisc_in, vmisc_out}, /* keyboard controller */
	{0x070, 0x071, vrtc_in, vrtc_out},   /* CMOS RTC */
	{0x092, 0x092, vmisc_in, vmisc_out}, /* system control port A */
	{0x0a0, 0x0a1, vpic_in, vpic_out},   /* 8259 slave */
	{PORT_E9, PORT_E9, console_in, console_out},
	{PORT_EXIT, PORT_EXIT, exit_port_in, exit_port_out},
	{UART_BASE, UART_LAST, console_in, console_out},
	{0x4d0, 0x4d1, vpic_in, vpic_out},			/* ELCR */
	{VPM_BASE_PORT, VPM_TMR_PORT + 3, vmisc_in, vmisc_out}, /* ACPI PM */
	{0xcf9, 0xcf9, vmisc_in, vmisc_out}, /* reset control */
};

static const struct port_range *port_lookup(u16 port)
{
	for (u32 i = 0; i < ARRAY_SIZE(port_map); i++)
		if (port >= port_map[i].first && port <= port_map[i].last)
			return &port_map[i];
	return NULL;
}

/* One IN of `size` bytes; returns the value. */
static u32 port_in(struct vcpu *v, u16 port, u32 size)
{
	const struct port_range *r = port_lookup(port);

	if (r)
		return r->in(v, port, size);
	log_unassigned(v, port);
	return size == 4 ? 0xffffffff : (1U << (8 * size)) - 1;
}

/* One OUT; returns false if the partition stopped. */
static bool port_out(struct vcpu *v, u16 port, u32 size, u32 val)
{
	const struct port_range *r = port_lookup(port);

	if (r)
		return r->out(v, port, size, val);
	log_unassigned(v, port);
	return true;
}

static void io_simple(struct vcpu *v, u64 q)
{
	u32 size = IO_QUAL_SIZE(q), mask;
	u16 port = IO_QUAL_PORT(q);

	mask = size == 4 ? 0xffffffff : (1U << (8 * size)) - 1;
	if (q & IO_QUAL_IN) {
		v->regs.rax = (v->regs.rax & ~(u64)mask) |
			      (port_in(v, port, size) & mask);
	} else if (!port_out(v, port, size, v->regs.rax & mask)) {
		return;
	}
	vmexit_skip_instruction();
}

/* A REP INS/OUTS moves at most this many items per VM exit; then the
 * guest re-executes the instruction with RCX, RSI/RDI already advanced,
 * as a real CPU does when an interrupt arrives mid-REP (SDM 2A "REP").
 * One exit therefore never keeps its CPU from IPIs for long. */
#define IO_REP_BATCH 4096

enum item_result { ITEM_DONE, ITEM_FAULTED, ITEM_STOPPED };

/*
 * Where the bytes of one item at linear address `linear` lie in guest
 * memory: an item may straddle two pages, which need not be adjacent.
 */
static enum item_result item_gpas(struct vcpu *v, u64 linear, u32 size,
				  bool write, gpa_t gpa[4])
{
	for (u32 i = 0; i < size; i++) {
		int ret;

		if (i && ((linear + i) & ~PAGE_MASK)) {
			gpa[i] = gpa[i - 1] + 1;
			continue;
		}
		ret = mmu_translate(v, linear + i, write, &gpa[i]);
		if (ret == MMU_XLATE_FAULT)
			return ITEM_FAULTED;
		if (ret) {
			partition_stop(v->part, STATUS_UNHANDLED,
				       "vCPU %u: string I/O at %#lx reaches "
				       "guest-physical memory outside RAM",
				       v->index, linear + i);
			return ITEM_STOPPED;
		}
	}
	return ITEM_DONE;
}

/* One INS/OUTS item at a guest-linear address, translated through the
 * guest's page tables (a #PF is the guest's, before the port is
 * touched, as on the processor). */
static enum item_result io_string_one(struct vcpu *v, u16 port, u32 size,
				      bool in, u64 linear)
{
	gpa_t gpa[4];
	u8 bytes[4];
	enum item_result r = item_gpas(v, linear, size, in, gpa);
	u32 val = 0;

	if (r != ITEM_DONE)
		return r;
	if (in) {
		val = port_in(v, port, size);
		memcpy(bytes, &val, size);
		for (u32 i = 0; i < size; i++)
			guest_write(v->part, gpa[i], &bytes[i], 1);
		return ITEM_DONE;
	}
	for (u32 i = 0; i < size; i++)
		guest_read(v->part, gpa[i], &bytes[i], 1);
	memcpy(&val, bytes, size);
	return port_out(v, port, size, val) ? ITEM_DONE : ITEM_STOPPED;
}

/*
 * INS/OUTS: move `size` bytes per item between the port and ES:(E)DI or
 * DS:(E)SI, stepping by DF, RCX times with REP. Linear addresses go
 * through the guest's page tables (mmu_translate); a #PF on an item stops
 * the instruction there, with RCX and the index register telling the
 * guest's handler where, as a REP does on the processor.
 */
static void io_string(struct vcpu *v, u64 q)
{
	u32 size = IO_QUAL_SIZE(q);
	u16 port = IO_QUAL_PORT(q);
	bool in = q & IO_QUAL_IN, rep = q & IO_QUAL_REP;
	u64 count = rep ? (u32)v->regs.rcx : 1;
	s64 step = (vmread(GUEST_RFLAGS) & RFLAGS_DF) ? -(s64)size : size;
	u64 *addr = in ? &v->regs.rdi : &v->regs.rsi;
	u64 base = vmread(in ? GUEST_ES_BASE : GUEST_DS_BASE);

	for (u32 done = 0; count; count--, done++) {
		if (done == IO_REP_BATCH)
			return; /* resume at the same instruction */
		if (io_string_one(v, port, size, in,
				  (u32)(base + (u32)*addr)) != ITEM_DONE)
			return;
		*addr = (u32)(*addr + step);
		if (rep)
			v->regs.rcx = (u32)(v->regs.rcx - 1);
	}
	vmexit_skip_instruction();
}

void vmexit_io(struct vcpu *v)
{
	u64 q = vmread(EXIT_QUALIFICATION);

	if (q & IO_QUAL_STRING)
		io_string(v, q);
	else
		io_simple(v, q);
}
