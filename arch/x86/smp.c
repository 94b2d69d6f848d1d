// SPDX-License-Identifier: MIT
/*
 * Bringing up the application processors (SDM 3A 9.4.4, "MP
 * initialization protocol"; the timing follows the SDM's example).
 *
 * The boot CPU copies the real-mode trampoline (arch/x86/trampoline.S) to
 * a page below 1 MiB, then for each CPU in the MADT: fills in the
 * parameter block (CR3, EFER, stack, CPU number), sends INIT, waits 10 ms,
 * sends a startup IPI, and a second one if the CPU has not answered after
 * 200 us. It waits for each AP to mark itself online before starting the
 * next, so APs never share the trampoline's parameter block.
 *
 * APs are started before any VMXON (Bochs 2.7 mishandles INIT after VMX
 * operation has begun).
 *
 * Context: boot CPU during boot, interrupts off; then each AP in ap_main.
 */
#include "smp.h"
#include "percpu.h"
#include "lapic.h"
#include "trap.h"
#include "tsc.h"
#include "paging.h"
#include "pmm.h"
#include "asm.h"
#include "x86.h"
#include "kstring.h"
#include "printk.h"
#include "panic.h"
#include "asm-offsets.h"

_Static_assert(offsetof(struct ap_boot_params, cr3) == AP_PARAM_CR3, "");
_Static_assert(offsetof(struct ap_boot_params, stack) == AP_PARAM_STACK, "");
_Static_assert(offsetof(struct ap_boot_params, efer) == AP_PARAM_EFER, "");
_Static_assert(offsetof(struct ap_boot_params, cpu) == AP_PARAM_CPU, "");

#define INIT_DELAY_US	  10000
#define SIPI_DELAY_US	  200
#define AP_ONLINE_WAIT_US 1000000   /* generous: Bochs SMP is slow */
#define LOW_MEMORY_LIMIT  (1 * MiB) /* a SIPI vector addresses < 1 MiB */

extern const char ap_trampoline[], ap_params[], ap_trampoline_end[];

/* Allocate a CPU's stacks (normal and IST) from the frame allocator. */
static int alloc_cpu_stacks(struct percpu *c, hva_t ist[IST_COUNT])
{
	hpa_t pa;

	if (pmm_alloc(&host_pmm, CPU_STACK_SIZE / PAGE_SIZE, 1, 0, &pa))
		return -1;
	c->stack_bottom = hpa_to_hva(pa);
	c->stack_top = c->stack_bottom + CPU_STACK_SIZE;
	for (int i = 0; i < IST_COUNT; i++) {
		if (pmm_alloc(&host_pmm, IST_STACK_SIZE / PAGE_SIZE, 1, 0, &pa))
			return -1;
		ist[i] = hpa_to_hva(pa);
	}
	return 0;
}

static bool wait_online(u32 cpu, u64 us)
{
	u64 deadline = tsc_deadline_us(us);

	while (!tsc_passed(deadline)) {
		if (__atomic_load_n(&percpu[cpu].online, __ATOMIC_ACQUIRE))
			return true;
		cpu_relax();
	}
	return false;
}

/* INIT-SIPI-SIPI for one AP; true once it is online. */
static bool start_ap(u32 cpu, u32 apic_id, hpa_t tramp)
{
	lapic_send_init(apic_id);
	udelay(INIT_DELAY_US);
	lapic_send_sipi(apic_id, tramp);
	if (wait_online(cpu, SIPI_DELAY_US))
		return true;
	lapic_send_sipi(apic_id, tramp);
	return wait_online(cpu, AP_ONLINE_WAIT_US);
}

/* Copy the trampoline below 1 MiB and make that page executable. */
static hpa_t install_trampoline(void)
{
	size_t len = ap_trampoline_end - ap_trampoline;
	hpa_t pa;

	BUG_ON(len > PAGE_SIZE);
	if (pmm_alloc(&host_pmm, 1, 1, LOW_MEMORY_LIMIT, &pa))
		panic("smp: no free page below 1 MiB for the AP trampoline");
	memcpy((void *)hpa_to_hva(pa), ap_trampoline, len);
	paging_map_trampoline(pa);
	return pa;
}

static struct ap_boot_params *trampoline_params(hpa_t tramp)
{
	return (struct ap_boot_params *)(hpa_to_hva(tramp) +
					 (ap_params - ap_trampoline));
}

static void boot_one(u32 cpu, u32 apic_id, hpa_t tramp)
{
	struct ap_boot_params *params = trampoline_params(tramp);
	struct percpu *c = &percpu[cpu];
	hva_t ist[IST_COUNT];

	if (alloc_cpu_stacks(c, ist)) {
		pr_err("smp: no memory for the stacks of CPU %u", cpu);
		return;
	}
	for (int i = 0; i < IST_COUNT; i++)
		c->tables.ist_bottom[i] = ist[i];
	c->apic_id = apic_id;
	params->cr3 = read_cr3();
	params->efer = rdmsr(MSR_IA32_EFER);
	params->stack = c->stack_top;
	params->cpu = cpu;
	mb();
	if (!start_ap(cpu, apic_id, tramp)) {
		/* Back to wait-for-SIPI: a CPU that was merely slow must not
		 * wake later and read the next CPU's parameters. */
		lapic_send_init(apic_id);
		pr_err("smp: CPU %u (APIC ID %u) did not start; continuing "
		       "without it",
		       cpu, apic_id);
		return;
	}
	nr_cpus_online++;
}

u32 smp_boot(const struct acpi_info *acpi, u32 max_cpus)
{
	u32 self = lapic_id(), next = 1;
	hpa_t tramp;

	if (!acpi->have_madt || acpi->ncpus <= 1)
		return nr_cpus_online;
	tramp = install_trampoline();
	for (u32 i = 0; i < acpi->ncpus; i++) {
		if (acpi->cpus[i].apic_id == self)
			continue;
		if (next >= MAX_CPUS || (max_cpus && next >= max_cpus)) {
			pr_info("smp: leaving CPU with APIC ID %u offline "
				"(limit %u)",
				acpi->cpus[i].apic_id, next);
			continue;
		}
		/* A CPU that failed to start keeps its number: should it
		 * wake up late, it must not take over another CPU's block. */
		boot_one(next++, acpi->cpus[i].apic_id, tramp);
	}
	return nr_cpus_online;
}

void ap_main(struct ap_boot_params *params)
{
	u32 cpu = (u32)params->cpu;
	struct percpu *c = &percpu[cpu];

	percpu_init(cpu);
	gdt_init_cpu(&c->tables, c->tables.ist_bottom);
	idt_load();
	lapic_init_ap();
	if (lapic_id() != c->apic_id)
		panic("CPU %u started with APIC ID %u, expected %u", cpu,
		      lapic_id(), c->apic_id);
	pr_info("cpu %u online (APIC ID %u)", cpu, c->apic_id);
	__atomic_store_n(&c->online, true, __ATOMIC_RELEASE);
	cpu_idle();
}

/* What idle CPUs switch to once there is work: the vCPU loop, set by
 * boot_main() (arch/x86 does not know about vCPUs). */
static void (*idle_work)(void);

void smp_set_idle_work(void (*fn)(void))
{
	__atomic_store_n(&idle_work, fn, __ATOMIC_RELEASE);
}

void cpu_idle(void)
{
	for (;;) {
		void (*work)(void);

		irq_disable();
		work = __atomic_load_n(&idle_work, __ATOMIC_ACQUIRE);
		if (work)
			work(); /* does not return */
		safe_halt();
	}
}
