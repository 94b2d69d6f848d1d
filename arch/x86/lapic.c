// SPDX-License-Identifier: MIT
/*
 * Local APIC driver (SDM 3A chapter 12).
 *
 * The APIC has the same registers in both modes; only the access differs:
 * xAPIC mode maps them at the physical base in IA32_APIC_BASE (offset
 * REG), x2APIC mode makes them MSRs 0x800 + REG / 16, with the ICR as one
 * 64-bit MSR and 32-bit APIC IDs. lapic_read/lapic_write hide that.
 *
 * Context: each CPU programs only its own APIC. Shade's page tables map
 * the xAPIC page uncached (mm/paging.c).
 */
#include "lapic.h"
#include "asm.h"
#include "spinlock.h"
#include "x86.h"
#include "trap.h"
#include "printk.h"
#include "panic.h"

#define APIC_ID	       0x20
#define APIC_VERSION   0x30
#define APIC_TPR       0x80
#define APIC_EOI       0xb0
#define APIC_SVR       0xf0
#define APIC_ESR       0x280
#define APIC_ICR_LOW   0x300
#define APIC_ICR_HIGH  0x310
#define APIC_LVT_TIMER 0x320
#define APIC_LVT_LINT0 0x350
#define APIC_LVT_LINT1 0x360
#define APIC_LVT_ERROR 0x370

#define X2APIC_MSR_BASE 0x800

#define SVR_ENABLE	     BIT(8)
#define LVT_MASKED	     BIT(16)
#define ICR_FIXED	     (0ULL << 8)
#define ICR_INIT	     (5ULL << 8)
#define ICR_STARTUP	     (6ULL << 8)
#define ICR_DELIVERY_PENDING BIT(12)
#define ICR_LEVEL_ASSERT     BIT(14)
#define ICR_ALL_BUT_SELF     (3ULL << 18)
#define XAPIC_DEST_SHIFT     56 /* destination in ICR bits 63:56 */
#define X2APIC_DEST_SHIFT    32 /* destination in ICR bits 63:32 */
#define ICR_SPIN_LIMIT	     10000000ULL

static bool x2apic;
static bool ready;
static volatile u32 *xapic_base;

static u32 lapic_read(u32 reg)
{
	if (x2apic)
		return (u32)rdmsr(X2APIC_MSR_BASE + reg / 16);
	return xapic_base[reg / 4];
}

static void lapic_write(u32 reg, u32 val)
{
	if (x2apic)
		wrmsr(X2APIC_MSR_BASE + reg / 16, val);
	else
		xapic_base[reg / 4] = val;
}

/* Write the ICR; in xAPIC mode wait until the APIC has sent the IPI
 * (x2APIC has no delivery-status bit: the write itself is the send). */
static void lapic_write_icr(u64 icr)
{
	if (x2apic) {
		wrmsr(X2APIC_MSR_BASE + APIC_ICR_LOW / 16, icr);
		return;
	}
	xapic_base[APIC_ICR_HIGH / 4] = (u32)(icr >> 32);
	xapic_base[APIC_ICR_LOW / 4] = (u32)icr;
	for (u64 i = 0; i < ICR_SPIN_LIMIT; i++) {
		if (!(xapic_base[APIC_ICR_LOW / 4] & ICR_DELIVERY_PENDING))
			return;
		cpu_relax();
	}
	panic("local APIC: IPI %#llx stuck in delivery",
	      (unsigned long long)icr);
}

static u64 icr_dest(u32 apic_id)
{
	return (u64)apic_id << (x2apic ? X2APIC_DEST_SHIFT : XAPIC_DEST_SHIFT);
}

/* Enable this CPU's APIC in the chosen mode, with every local interrupt
 * source masked: Shade uses the APIC only for IPIs. */
static void lapic_setup(void)
{
	u64 base = rdmsr(MSR_IA32_APIC_BASE);

	/* Enable first, then switch to x2APIC: going straight from
	 * disabled to x2APIC is an invalid transition (SDM 3A 12.12.5). */
	base |= APIC_BASE_ENABLE;
	wrmsr(MSR_IA32_APIC_BASE, base);
	if (x2apic)
		wrmsr(MSR_IA32_APIC_BASE, base | APIC_BASE_X2APIC);

	lapic_write(APIC_TPR, 0);
	lapic_write(APIC_LVT_TIMER, LVT_MASKED);
	lapic_write(APIC_LVT_LINT0, LVT_MASKED);
	lapic_write(APIC_LVT_LINT1, LVT_MASKED);
	lapic_write(APIC_LVT_ERROR, LVT_MASKED);
	lapic_write(APIC_ESR, 0);
	lapic_write(APIC_SVR, SVR_ENABLE | VECTOR_SPURIOUS);
	lapic_eoi();
}

enum apic_mode lapic_init_bsp(enum apic_mode want)
{
	struct cpuid_regs r = cpuid(1, 0);
	bool has_x2apic = r.ecx & CPUID_1_ECX_X2APIC;

	if (!(r.edx & CPUID_1_EDX_APIC))
		panic("this CPU has no local APIC; Shade needs one");
	if (want == APIC_MODE_X2APIC && !has_x2apic)
		pr_warn("apic=x2apic: this CPU has no x2APIC, using xAPIC");
	x2apic = has_x2apic && want != APIC_MODE_XAPIC;
	xapic_base = (volatile u32 *)(rdmsr(MSR_IA32_APIC_BASE) &
				      APIC_BASE_ADDR_MASK);
	lapic_setup();
	ready = true;
	return x2apic ? APIC_MODE_X2APIC : APIC_MODE_XAPIC;
}

void lapic_init_ap(void)
{
	lapic_setup();
}

bool lapic_is_ready(void)
{
	return ready;
}

const char *lapic_mode_name(void)
{
	return x2apic ? "x2APIC" : "xAPIC";
}

u32 lapic_id(void)
{
	u32 id = lapic_read(APIC_ID);

	return x2apic ? id : id >> 24;
}

void lapic_eoi(void)
{
	lapic_write(APIC_EOI, 0);
}

void lapic_send_ipi(u32 apic_id, u8 vector)
{
	lapic_write_icr(icr_dest(apic_id) | ICR_FIXED | ICR_LEVEL_ASSERT |
			vector);
}

void lapic_send_ipi_all_but_self(u8 vector)
{
	lapic_write_icr(ICR_ALL_BUT_SELF | ICR_FIXED | ICR_LEVEL_ASSERT |
			vector);
}

void lapic_send_init(u32 apic_id)
{
	lapic_write_icr(icr_dest(apic_id) | ICR_INIT | ICR_LEVEL_ASSERT);
}

void lapic_send_sipi(u32 apic_id, hpa_t trampoline)
{
	lapic_write_icr(icr_dest(apic_id) | ICR_STARTUP |
			(trampoline >> PAGE_SHIFT));
}
