// SPDX-License-Identifier: MIT
/*
 * boot_main(): where Shade's C code starts, on the boot CPU, called from
 * boot/entry.S in 64-bit mode with the loader's magic and information
 * pointer. Each step below is one init call; the reading order for the
 * whole tree is docs/tour.md.
 *
 * Context: boot CPU, interrupts off throughout; the APs start in
 * smp_boot() and wait in cpu_idle() for work.
 */
#include "types.h"
#include "version.h"
#include "bootinfo.h"
#include "options.h"
#include "console.h"
#include "printk.h"
#include "panic.h"
#include "mm.h"
#include "paging.h"
#include "percpu.h"
#include "gdt.h"
#include "trap.h"
#include "acpi.h"
#include "lapic.h"
#include "pic.h"
#include "smp.h"
#include "tsc.h"
#include "cpu.h"
#include "power.h"
#include "selftest.h"
#include "format.h"
#include "kstring.h"
#include "vmm.h"
#include "vmx_caps.h"
#include "exit.h"

void boot_main(u32 magic, u32 info_pa); /* called from boot/entry.S */

extern const char boot_stack_bottom[], boot_stack_top[]; /* boot/entry.S */

static struct boot_info bootinfo;
static struct shade_options opts;
static struct acpi_info acpi;
static u8 bsp_ist[IST_COUNT][IST_STACK_SIZE] __aligned(PAGE_SIZE);

/* Per-CPU block, GDT, TSS and IDT of the boot CPU: after this, faults are
 * reported instead of triple-faulting. */
static void bsp_early_init(void)
{
	struct percpu *c = &percpu[0];
	hva_t ist[IST_COUNT];

	percpu_init(0);
	c->stack_bottom = (hva_t)boot_stack_bottom;
	c->stack_top = (hva_t)boot_stack_top;
	for (int i = 0; i < IST_COUNT; i++)
		ist[i] = (hva_t)bsp_ist[i];
	gdt_init_cpu(&c->tables, ist);
	idt_init();
}

static void read_boot_info(u32 magic, u32 info_pa)
{
	struct boot_error err = {{0}};
	int ret;

	if (magic == MB2_BOOTLOADER_MAGIC)
		ret = mb2_parse(info_pa, paging_phys_map, NULL, &bootinfo,
				&err);
	else if (magic == MB1_BOOTLOADER_MAGIC)
		ret = mb1_parse(info_pa, paging_phys_map, NULL, &bootinfo,
				&err);
	else
		panic("Shade must be started by a multiboot2 or multiboot1 "
		      "loader (EAX = %#x)",
		      magic);
	if (ret)
		panic("bad boot information from the loader: %s", err.msg);
}

/* QEMU's -kernel (a multiboot1 loader that calls itself "qemu") puts the
 * image's file name first on the command line; GRUB drops it. */
static const char *shade_cmdline(void)
{
	const char *p = bootinfo.cmdline;

	if (strcmp(bootinfo.loader, "multiboot1") != 0 ||
	    strncmp(bootinfo.loader_name, "qemu", 4) != 0)
		return p;
	while (*p && *p != ' ')
		p++;
	while (*p == ' ')
		p++;
	return p;
}

static void read_options(void)
{
	struct options_errors errs;
	u32 bad = options_parse(shade_cmdline(), &opts, &errs);

	console_set_level(opts.loglevel);
	for (u32 i = 0; i < MIN(bad, (u32)OPTIONS_MAX_ERRORS); i++)
		pr_warn("command line: %s", errs.msg[i]);
	if (bad > OPTIONS_MAX_ERRORS)
		pr_warn("command line: %u more bad words",
			bad - OPTIONS_MAX_ERRORS);
}

/* The firmware's ACPI tables, read while the boot page tables still map
 * page 0 (the EBDA pointer lives there). */
static void read_acpi(void)
{
	struct acpi_warnings warn = {0};
	const void *rsdp = bootinfo.rsdp;
	u32 len = bootinfo.rsdp_len;
	u64 pa;

	if (!len && !acpi_find_rsdp(paging_phys_map, NULL, &pa)) {
		rsdp = paging_phys_map(pa, BOOT_MAX_RSDP, NULL);
		len = rsdp ? BOOT_MAX_RSDP : 0;
	}
	if (!len)
		pr_warn("acpi: no RSDP found; running on the boot CPU alone");
	else
		acpi_parse(rsdp, len, paging_phys_map, NULL, &acpi, &warn);
	for (u32 i = 0; i < MIN(warn.n, (u32)ACPI_MAX_WARNINGS); i++)
		pr_warn("acpi: %s", warn.msg[i]);
	if (len && !acpi.have_madt)
		pr_warn("acpi: no usable MADT; running on the boot CPU alone");
}

static void start_cpus(void)
{
	u32 n;

	pic_disable();
	lapic_init_bsp(opts.apic);
	percpu[0].apic_id = lapic_id();
	percpu[0].online = true;
	nr_cpus_online = 1;
	n = smp_boot(&acpi, opts.max_cpus);
	pr_info("smp: %u CPU%s online (local APIC in %s mode)", n,
		n == 1 ? "" : "s", lapic_mode_name());
}

/* Without VT-x no module can become a partition: each is reported and
 * counted as failed, as the contract requires for partitions that do not
 * start. */
static u32 report_unstarted_partitions(const char *why)
{
	for (u32 i = 0; i < bootinfo.nmodules; i++)
		pr_err("module %u ('%s'): partition not started: %s", i,
		       bootinfo.modules[i].cmdline, why);
	return bootinfo.nmodules;
}

static __noreturn void finish_without_vmx(const char *why)
{
	char line[64];
	u32 fail;
	int n;

	pr_err("VT-x not available: %s. Shade cannot run partitions on this "
	       "machine.",
	       why);
	fail = report_unstarted_partitions("VT-x not available");
	n = ksnprintf(line, sizeof(line), "shade: done pass=0 fail=%u", fail);
	console_write_line(line, n);
	power_off();
}

/* Partitions from the module lines; then every CPU, this one included,
 * runs its vCPU. The last partition to stop prints the final line and
 * powers off (vmm/partition.c). */
static __noreturn void run_partitions(void)
{
	u32 bad;

	/* Before the partitions: mmu_init() reads them. */
	mmu_shadow_mem_option = opts.shadow_mem;
	mmu_audit_period = opts.mmu_audit;
	bad = partitions_create(&bootinfo);
	vmx_selftest_bad_guest_state =
		opts.selftest == SELFTEST_BAD_GUEST_STATE;
	smp_set_idle_work(vcpu_cpu_loop);
	partitions_start_all(bad);
	vcpu_cpu_loop();
}

void boot_main(u32 magic, u32 info_pa)
{
	const char *why;

	bsp_early_init();
	console_init();
	read_boot_info(magic, info_pa);
	pr_info("Shade %s (hypercall ABI %d.%d), loaded by %s%s%s",
		SHADE_VERSION, SHADE_ABI_MAJOR, SHADE_ABI_MINOR,
		bootinfo.loader, *bootinfo.loader_name ? ": " : "",
		bootinfo.loader_name);
	pr_info("cpu: %s", cpu_model_name());
	pr_info("command line: '%s'", shade_cmdline());
	read_options();
	read_acpi();
	mm_init(&bootinfo);
	mm_print_summary();
	tsc_calibrate();
	power_init(&acpi);
	start_cpus();
	selftest_ipi();
	selftest_run(opts.selftest);

	if (vmx_init_all(&why))
		finish_without_vmx(why);
	run_partitions();
}
