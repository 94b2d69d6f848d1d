/* SPDX-License-Identifier: MIT */
/*
 * The local APIC from inside a test guest (apic.c, apic-smp.c and the
 * other platform guests): register access in xAPIC mode (the page at
 * 0xFEE00000, paging off) and in x2APIC mode (MSRs 0x800 + offset / 16),
 * MSR accesses whose #GP is caught, the TSC and the clocks CPUID
 * 0x40000010 reports, and external interrupts: an IDT with a stub for
 * every vector from 32 up (apic_stubs.S) that counts each delivery per
 * vCPU and vector, records its TSC, and calls the vector's handler if
 * one is set (or writes EOI itself).
 *
 * vCPU 0 calls apic_irq_init() after trap_init(); a secondary vCPU calls
 * apic_cpu_init() first thing, on its own stack, which is how
 * apic_this_cpu() tells the vCPUs apart without an exit. Register
 * accesses go through the mode this vCPU chose with apic_set_mode().
 */
#ifndef GUEST_APIC_H
#define GUEST_APIC_H

#include "types.h"

#define APIC_MAX_CPUS 4

#define XAPIC_BASE	 0xfee00000u
#define MSR_APIC_BASE	 0x1b
#define MSR_TSC_DEADLINE 0x6e0
#define X2APIC_MSR(reg)	 (0x800 + (reg) / 16)
#define APIC_BASE_BSP	 (1u << 8)
#define APIC_BASE_EXTD	 (1u << 10)
#define APIC_BASE_EN	 (1u << 11)
#define CPUID_HV_TIMING	 0x40000010 /* EAX: TSC kHz, EBX: APIC bus kHz */

/* Register offsets (SDM 3A table 10-1). */
#define APIC_ID	       0x20
#define APIC_VERSION   0x30
#define APIC_TPR       0x80
#define APIC_APR       0x90
#define APIC_PPR       0xa0
#define APIC_EOI       0xb0
#define APIC_RRD       0xc0
#define APIC_LDR       0xd0
#define APIC_DFR       0xe0
#define APIC_SVR       0xf0
#define APIC_ISR       0x100
#define APIC_TMR       0x180
#define APIC_IRR       0x200
#define APIC_ESR       0x280
#define APIC_LVT_CMCI  0x2f0
#define APIC_ICR_LOW   0x300
#define APIC_ICR_HIGH  0x310
#define APIC_LVT_TIMER 0x320
#define APIC_LVT_THERM 0x330
#define APIC_LVT_PERF  0x340
#define APIC_LVT_LINT0 0x350
#define APIC_LVT_LINT1 0x360
#define APIC_LVT_ERROR 0x370
#define APIC_TIMER_ICR 0x380
#define APIC_TIMER_CCR 0x390
#define APIC_TIMER_DCR 0x3e0
#define APIC_SELF_IPI  0x3f0

/* Register fields. */
#define SVR_ENABLE	 (1u << 8)
#define LVT_MASKED	 (1u << 16)
#define LVT_ONESHOT	 (0u << 17)
#define LVT_PERIODIC	 (1u << 17)
#define LVT_TSC_DEADLINE (2u << 17)
#define DCR_DIV_1	 0xb
#define DCR_DIV_16	 0x3
#define ICR_DM_FIXED	 (0u << 8)
#define ICR_DM_LOWEST	 (1u << 8)
#define ICR_DM_NMI	 (4u << 8)
#define ICR_DM_INIT	 (5u << 8)
#define ICR_DM_SIPI	 (6u << 8)
#define ICR_LOGICAL	 (1u << 11)
#define ICR_PENDING	 (1u << 12)
#define ICR_ASSERT	 (1u << 14)
#define ICR_SH_SELF	 (1u << 18)
#define ICR_SH_ALL	 (2u << 18)
#define ICR_SH_OTHERS	 (3u << 18)
#define ESR_SEND_ILLEGAL (1u << 5)
#define ESR_RECV_ILLEGAL (1u << 6)
#define ESR_ILLEGAL_REG	 (1u << 7)

static inline u64 apic_rdtsc(void)
{
	u32 lo, hi;

	asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (u64)hi << 32 | lo;
}

static inline u64 apic_rdmsr(u32 msr)
{
	u32 lo, hi;

	asm volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return (u64)hi << 32 | lo;
}

static inline void apic_wrmsr(u32 msr, u64 v)
{
	asm volatile("wrmsr"
		     :
		     : "c"(msr), "a"((u32)v), "d"((u32)(v >> 32))
		     : "memory");
}

static inline void apic_sti(void)
{
	asm volatile("sti" : : : "memory");
}

static inline void apic_cli(void)
{
	asm volatile("cli" : : : "memory");
}

/* RDMSR/WRMSR at CPL 0 on vCPU 0 (expect_fault): the vector of the
 * exception it raised, or -1 (then *val holds what RDMSR read). */
int apic_rdmsr_fault(u32 msr, u64 *val);
int apic_wrmsr_fault(u32 msr, u64 val);

/* The xAPIC page, whatever the mode (paging off). */
static inline u32 xapic_read(u32 reg)
{
	return *(volatile u32 *)(XAPIC_BASE + reg);
}

static inline void xapic_write(u32 reg, u32 val)
{
	*(volatile u32 *)(XAPIC_BASE + reg) = val;
}

/* This vCPU's mode for apic_read()/apic_write(); apic_set_mode() also
 * writes IA32_APIC_BASE (EN, and EXTD if x2apic). */
void apic_set_mode(bool x2apic);
bool apic_is_x2apic(void);

/* A 32-bit register in this vCPU's mode. */
u32 apic_read(u32 reg);
void apic_write(u32 reg, u32 val);
void apic_eoi(void);
/* Send an IPI: ICR low dword and destination (xAPIC: 8 bits, into
 * ICR_HIGH 31:24; x2APIC: 32 bits, MSR 0x830 bits 63:32). */
void apic_send_ipi(u32 icr_low, u32 dest);

/* Which vCPU runs this code (by its stack; 0 unless apic_cpu_init()). */
u32 apic_this_cpu(void);

/* vCPU 0, after trap_init(): load the IDT with the interrupt stubs
 * (exception vectors and 0x80 keep trap.c's entries). */
void apic_irq_init(void);
/* A secondary vCPU, first thing: its stack range, then vCPU 0's GDT and
 * the interrupt IDT (Shade starts it with neither). */
void apic_cpu_init(u32 index, void *stack, u32 stack_size);

/* Called in the interrupt, IF=0, after the count and TSC are recorded;
 * it must write EOI itself. */
typedef void (*apic_handler_t)(u32 cpu, u32 vector);
void apic_set_handler(u32 vector, apic_handler_t h);

/* Deliveries so far per vCPU and vector, and the TSC of each vCPU's last
 * interrupt. */
extern volatile u32 apic_irq_count[APIC_MAX_CPUS][256];
extern volatile u64 apic_irq_tsc[APIC_MAX_CPUS];

/* CPUID 0x40000010: the TSC and APIC bus frequencies in kHz. */
void apic_clocks(u32 *tsc_khz, u32 *bus_khz);
/* TSC ticks in us microseconds, and n / d for a 64-bit n (no libgcc). */
u64 apic_tsc_us(u32 us);
u64 apic_div(u64 n, u32 d);

/* Spin until apic_irq_count[cpu][vector] >= n or us microseconds of TSC
 * passed; returns whether the count got there. */
bool apic_wait_count(u32 cpu, u32 vector, u32 n, u32 us);
/* Spin for us microseconds of TSC (interrupts as they are). */
void apic_delay_us(u32 us);

#endif
