// SPDX-License-Identifier: MIT
/*
 * The guests' local APIC helpers (apic.h): register access in either
 * mode, caught MSR faults, the interrupt IDT and its C dispatcher, and
 * TSC arithmetic without libgcc. Any vCPU at CPL 0 with paging off, except
 * apic_irq_init() and the *_fault() calls (vCPU 0: expect_fault()).
 */
#include "apic.h"
#include "trap.h"
#include "x86.h"

#define APIC_STUB_SIZE	 16 /* apic_stubs.S: the same */
#define FIRST_IRQ_VECTOR 32
#define NUM_VECTORS	 256
#define GATE_INTR32	 0x8e /* present, DPL 0, 32-bit interrupt gate */
#define US_PER_MS	 1000

struct idt_gate {
	u16 offset_low;
	u16 selector;
	u8 zero;
	u8 type;
	u16 offset_high;
};

struct __attribute__((packed)) table_register {
	u16 limit;
	u32 base;
};

extern const u8 apic_irq_stubs[]; /* apic_stubs.S */
void apic_irq_dispatch(u32 vector);

static struct idt_gate irq_idt[NUM_VECTORS] __aligned(8);
static struct table_register irq_idtr, boot_gdtr;
static apic_handler_t handlers[NUM_VECTORS];
static volatile bool cpu_x2apic[APIC_MAX_CPUS];
/* Each secondary vCPU's stack, (lo, hi]; vCPU 0 is everything else. */
static volatile u32 stack_lo[APIC_MAX_CPUS], stack_hi[APIC_MAX_CPUS];

volatile u32 apic_irq_count[APIC_MAX_CPUS][256];
volatile u64 apic_irq_tsc[APIC_MAX_CPUS];

/* ---- MSRs whose #GP is expected ---------------------------------------- */

static volatile u32 fault_msr;
static volatile u64 fault_val;

static void do_rdmsr(void)
{
	fault_val = apic_rdmsr(fault_msr);
}

static void do_wrmsr(void)
{
	apic_wrmsr(fault_msr, fault_val);
}

int apic_rdmsr_fault(u32 msr, u64 *val)
{
	int vec;

	fault_msr = msr;
	fault_val = 0;
	vec = expect_fault(do_rdmsr);
	*val = fault_val;
	return vec;
}

int apic_wrmsr_fault(u32 msr, u64 val)
{
	fault_msr = msr;
	fault_val = val;
	return expect_fault(do_wrmsr);
}

/* ---- registers -------------------------------------------------------- */

u32 apic_this_cpu(void)
{
	u32 esp;

	asm volatile("movl %%esp, %0" : "=r"(esp));
	for (u32 i = 1; i < APIC_MAX_CPUS; i++)
		if (esp > stack_lo[i] && esp <= stack_hi[i])
			return i;
	return 0;
}

bool apic_is_x2apic(void)
{
	return cpu_x2apic[apic_this_cpu()];
}

void apic_set_mode(bool x2apic)
{
	u64 base = apic_rdmsr(MSR_APIC_BASE) | APIC_BASE_EN;

	if (x2apic)
		base |= APIC_BASE_EXTD;
	apic_wrmsr(MSR_APIC_BASE, base);
	cpu_x2apic[apic_this_cpu()] = x2apic;
}

u32 apic_read(u32 reg)
{
	if (apic_is_x2apic())
		return (u32)apic_rdmsr(X2APIC_MSR(reg));
	return xapic_read(reg);
}

void apic_write(u32 reg, u32 val)
{
	if (apic_is_x2apic())
		apic_wrmsr(X2APIC_MSR(reg), val);
	else
		xapic_write(reg, val);
}

void apic_eoi(void)
{
	apic_write(APIC_EOI, 0);
}

void apic_send_ipi(u32 icr_low, u32 dest)
{
	if (apic_is_x2apic()) {
		apic_wrmsr(X2APIC_MSR(APIC_ICR_LOW), (u64)dest << 32 | icr_low);
		return;
	}
	xapic_write(APIC_ICR_HIGH, dest << 24);
	xapic_write(APIC_ICR_LOW, icr_low);
}

/* ---- interrupts ------------------------------------------------------- */

static void set_gate(u32 vector, u32 handler)
{
	irq_idt[vector] = (struct idt_gate){
		.offset_low = handler & 0xffff,
		.selector = SEL_KCODE,
		.type = GATE_INTR32,
		.offset_high = handler >> 16,
	};
}

void apic_irq_init(void)
{
	struct table_register cur;
	const struct idt_gate *old;
	u32 n;

	asm volatile("sidt %0" : "=m"(cur));
	asm volatile("sgdt %0" : "=m"(boot_gdtr));
	/* Keep trap.c's exception gates (and int 0x80 for ring 3). */
	old = (const struct idt_gate *)cur.base;
	n = (cur.limit + 1u) / sizeof(*old);
	for (u32 v = 0; v < NUM_VECTORS && v < n; v++)
		irq_idt[v] = old[v];
	for (u32 v = FIRST_IRQ_VECTOR; v < NUM_VECTORS; v++)
		if (v != VEC_USER_RETURN)
			set_gate(v,
				 (u32)apic_irq_stubs + (v - FIRST_IRQ_VECTOR) *
							       APIC_STUB_SIZE);
	irq_idtr = (struct table_register){sizeof(irq_idt) - 1, (u32)irq_idt};
	asm volatile("lidt %0" : : "m"(irq_idtr) : "memory");
}

void apic_cpu_init(u32 index, void *stack, u32 stack_size)
{
	stack_lo[index] = (u32)stack;
	stack_hi[index] = (u32)stack + stack_size;
	/* vCPU 0's flat segments: the selectors Shade loaded already name
	 * them, so only CS needs a far jump to reload. */
	asm volatile("lgdt %0\n\t"
		     "ljmp %1, $1f\n"
		     "1:\n\t"
		     "movw %w2, %%ds\n\t"
		     "movw %w2, %%es\n\t"
		     "movw %w2, %%ss\n\t"
		     "lidt %3"
		     :
		     : "m"(boot_gdtr), "i"(SEL_KCODE), "r"(SEL_KDATA),
		       "m"(irq_idtr)
		     : "memory");
}

void apic_set_handler(u32 vector, apic_handler_t h)
{
	handlers[vector] = h;
}

/* Called from apic_irq_common (apic_stubs.S) with IF=0. */
void apic_irq_dispatch(u32 vector)
{
	u32 cpu = apic_this_cpu();

	apic_irq_tsc[cpu] = apic_rdtsc();
	__atomic_fetch_add(&apic_irq_count[cpu][vector], 1, __ATOMIC_SEQ_CST);
	if (handlers[vector])
		handlers[vector](cpu, vector);
	else
		apic_eoi();
}

/* ---- time ------------------------------------------------------------- */

void apic_clocks(u32 *tsc_khz, u32 *bus_khz)
{
	struct cpuid_regs r = cpuid(CPUID_HV_TIMING, 0);

	*tsc_khz = r.eax;
	*bus_khz = r.ebx;
}

/* Two 32-bit divisions: the high half, then the remainder with the low
 * half, as divl takes them. */
u64 apic_div(u64 n, u32 d)
{
	u32 hi = (u32)(n >> 32), lo = (u32)n, qhi = hi / d, r = hi % d, qlo;

	asm("divl %2" : "=a"(qlo), "+d"(r) : "rm"(d), "a"(lo));
	return (u64)qhi << 32 | qlo;
}

u64 apic_tsc_us(u32 us)
{
	u32 tsc_khz, bus_khz;

	apic_clocks(&tsc_khz, &bus_khz);
	return apic_div((u64)tsc_khz * us, US_PER_MS);
}

bool apic_wait_count(u32 cpu, u32 vector, u32 n, u32 us)
{
	u64 end = apic_rdtsc() + apic_tsc_us(us);

	while (__atomic_load_n(&apic_irq_count[cpu][vector], __ATOMIC_ACQUIRE) <
	       n) {
		if (apic_rdtsc() > end)
			return false;
		cpu_relax();
	}
	return true;
}

void apic_delay_us(u32 us)
{
	u64 end = apic_rdtsc() + apic_tsc_us(us);

	while (apic_rdtsc() < end)
		cpu_relax();
}
