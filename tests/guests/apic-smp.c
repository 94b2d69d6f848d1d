// SPDX-License-Identifier: MIT
/*
 * apic-smp: interprocessor interrupts between the vCPUs of one partition
 * (vmm/vlapic.c), with cpus=4 (tests/integration/platform-apic-smp.sh).
 *
 * vCPU 0 first sends an IPI to vCPU 3, which has not started yet: the
 * interrupt must wait in its IRR and arrive once it enables interrupts.
 * Then it starts vCPUs 1-3 (HC_VCPU_START), which load the guest's GDT
 * and IDT, enable interrupts and serve commands (halt, switch to x2APIC,
 * set LDR or DFR, read ESR or LDR) in a loop, counting every interrupt
 * they take. vCPU 0 sends IPIs in xAPIC mode (fixed, physical and
 * logical flat and cluster destinations, the shorthands, the physical
 * broadcast, lowest priority, an illegal vector, INIT and SIPI, which
 * Shade ignores) and, after every vCPU switched, in x2APIC mode, each
 * with a vector of its own, and checks exactly how many times each vCPU
 * took it. One secondary halts and must stay halted until an IPI wakes
 * it. Waits are bounded by the TSC, so a lost interrupt fails the test.
 */
#include "guest.h"
#include "apic.h"

#define NCPUS	   4
#define STACK_SIZE 8192
#define WAIT_US	   500000 /* for an interrupt or a command (TSC) */
#define SETTLE_US  2000	  /* for deliveries that should not happen */
#define EARLY_VEC  0x48	  /* sent to vCPU 3 before it starts */
#define FIRST_VEC  0x50

enum command {
	CMD_NONE,
	CMD_HALT,     /* sti; hlt, then raise woke */
	CMD_X2APIC,   /* switch to x2APIC mode */
	CMD_SET_LDR,  /* LDR = arg */
	CMD_SET_DFR,  /* DFR = arg */
	CMD_READ_ESR, /* write 0 to ESR, result = ESR */
	CMD_READ_LDR, /* result = LDR */
	CMD_EXIT,
};

static u8 stacks[NCPUS][STACK_SIZE] __aligned(16);
static struct vcpu_boot boots[NCPUS];
static volatile u32 cmd[NCPUS], cmd_arg[NCPUS], cmd_seq[NCPUS];
static volatile u32 ack_seq[NCPUS], result[NCPUS];
static volatile u32 halting[NCPUS], woke[NCPUS];
static volatile u32 start_id[NCPUS];
static volatile u64 start_base[NCPUS];
/* CPUID leaves 0xB and 0x1F, subleaf 0, EDX: the x2APIC ID. */
static volatile u32 start_topo[NCPUS][2];
static u32 next_vec = FIRST_VEC;

/* ---- the secondaries --------------------------------------------------- */

static void run_command(u32 index, u32 c)
{
	switch (c) {
	case CMD_HALT:
		halting[index] = 1;
		asm volatile("hlt" : : : "memory"); /* IF=1: until an IPI */
		woke[index] = 1;
		break;
	case CMD_X2APIC:
		apic_set_mode(true);
		break;
	case CMD_SET_LDR:
		apic_write(APIC_LDR, cmd_arg[index]);
		break;
	case CMD_SET_DFR:
		apic_write(APIC_DFR, cmd_arg[index]);
		break;
	case CMD_READ_ESR:
		apic_write(APIC_ESR, 0);
		result[index] = apic_read(APIC_ESR);
		break;
	case CMD_READ_LDR:
		result[index] = apic_read(APIC_LDR);
		break;
	}
}

/* Runs on vCPU index, on its own stack; interrupts on from the start. */
static void secondary_main(u32 index, struct vcpu_boot *boot)
{
	u32 seen = 0, c;

	apic_cpu_init(index, stacks[index], STACK_SIZE);
	start_id[index] = xapic_read(APIC_ID);
	start_base[index] = apic_rdmsr(MSR_APIC_BASE);
	start_topo[index][0] = cpuid(0xb, 0).edx;
	start_topo[index][1] = cpuid(0x1f, 0).edx;
	__atomic_store_n(&boot->started, 1, __ATOMIC_RELEASE);
	apic_sti();
	do {
		while (__atomic_load_n(&cmd_seq[index], __ATOMIC_ACQUIRE) ==
		       seen)
			cpu_relax();
		seen = cmd_seq[index];
		c = cmd[index];
		run_command(index, c);
		__atomic_store_n(&ack_seq[index], seen, __ATOMIC_RELEASE);
	} while (c != CMD_EXIT);
	apic_cli();
}

/* ---- vCPU 0 ------------------------------------------------------------ */

static bool wait_u32(volatile u32 *p, u32 want)
{
	u64 end = apic_rdtsc() + apic_tsc_us(WAIT_US);

	while (__atomic_load_n(p, __ATOMIC_ACQUIRE) != want) {
		if (apic_rdtsc() > end)
			return false;
		cpu_relax();
	}
	return true;
}

static void post(u32 cpu, u32 c, u32 arg)
{
	cmd[cpu] = c;
	cmd_arg[cpu] = arg;
	__atomic_fetch_add(&cmd_seq[cpu], 1, __ATOMIC_RELEASE);
}

/* Run a command on a secondary and wait for it; false if it never acks. */
static bool command(u32 cpu, u32 c, u32 arg)
{
	post(cpu, c, arg);
	if (wait_u32(&ack_seq[cpu], cmd_seq[cpu]))
		return true;
	failf("vCPU %u did not acknowledge command %u", cpu, c);
	return false;
}

static const char *mode(void)
{
	return apic_is_x2apic() ? "x2APIC" : "xAPIC";
}

/* Send one IPI with a fresh vector; exactly the vCPUs in want (a bit
 * each) must take it, once. */
static void ipi_case(const char *what, u32 icr, u32 dest, u32 want)
{
	u32 vec = next_vec++, got[NCPUS];
	bool ok = true;

	apic_send_ipi(icr | vec, dest);
	for (u32 i = 0; i < NCPUS; i++)
		if (want & (1u << i))
			apic_wait_count(i, vec, 1, WAIT_US);
	apic_delay_us(SETTLE_US);
	for (u32 i = 0; i < NCPUS; i++) {
		got[i] = apic_irq_count[i][vec];
		ok = ok && got[i] == ((want >> i) & 1);
	}
	checkf(ok, "%s: %s: deliveries %u %u %u %u", mode(), what, got[0],
	       got[1], got[2], got[3]);
}

static void start_secondaries(void)
{
	/* vCPU 3 is not started: the IPI waits in its IRR. */
	apic_send_ipi(ICR_DM_FIXED | EARLY_VEC, 3);
	for (u32 i = 1; i < NCPUS; i++)
		checkf(vcpu_start(i, &boots[i], stacks[i], STACK_SIZE,
				  secondary_main) == 0,
		       "HC_VCPU_START(%u)", i);
	for (u32 i = 1; i < NCPUS; i++) {
		checkf(wait_u32(&boots[i].started, 1), "vCPU %u started", i);
		checkf(start_id[i] == i << 24, "vCPU %u: xAPIC ID %u", i,
		       start_id[i] >> 24);
		checkf(start_topo[i][0] == i && start_topo[i][1] == i,
		       "vCPU %u: CPUID 0xB and 0x1F: x2APIC ID %u %u", i,
		       start_topo[i][0], start_topo[i][1]);
		checkf(start_base[i] == (XAPIC_BASE | APIC_BASE_EN),
		       "vCPU %u: IA32_APIC_BASE enabled, not BSP", i);
	}
	checkf(apic_wait_count(3, EARLY_VEC, 1, WAIT_US),
	       "IPI sent before vCPU 3 started: taken once it runs");
	apic_delay_us(SETTLE_US);
	checkf(apic_irq_count[3][EARLY_VEC] == 1 &&
		       apic_irq_count[0][EARLY_VEC] == 0,
	       "IPI sent before vCPU 3 started: exactly once, to vCPU 3");
}

/* Every vCPU's LDR (or DFR) to vals[i]. */
static void set_all(u32 c, u32 reg, const u32 *vals)
{
	apic_write(reg, vals[0]);
	for (u32 i = 1; i < NCPUS; i++)
		command(i, c, vals[i]);
}

/*
 * vCPU 3 halts (STI; HLT) WAKE_ROUNDS times; each time it must stay
 * halted until vCPU 0's IPI, take it once, and run again. The IPI must
 * wake it well within Shade's 1 ms preemption-timer backstop, which
 * would otherwise deliver it in the end: a halted target is kicked.
 */
#define WAKE_ROUNDS	    6
#define WAKE_MAX_LATENCY_US 400

static void halted_target(void)
{
	u32 slept = 0, woken = 0, once = 0, ran = 0;
	u64 t0, lat, max_lat = 0;

	for (u32 r = 0; r < WAKE_ROUNDS; r++) {
		u32 vec = next_vec++;

		halting[3] = 0;
		woke[3] = 0;
		post(3, CMD_HALT, 0);
		wait_u32(&halting[3], 1);
		apic_delay_us(2 * SETTLE_US);
		slept += !woke[3];
		t0 = apic_rdtsc();
		apic_send_ipi(ICR_DM_FIXED | vec, 3);
		woken += wait_u32(&woke[3], 1);
		lat = apic_irq_tsc[3] - t0;
		if (lat > max_lat)
			max_lat = lat;
		ran += wait_u32(&ack_seq[3], cmd_seq[3]);
		once += apic_irq_count[3][vec] == 1;
	}
	gprintf("%s: halted vCPU 3 woken by an IPI after at most %llu TSC "
		"ticks\n",
		mode(), max_lat);
	checkf(slept == WAKE_ROUNDS,
	       "%s: vCPU 3 stays halted without an interrupt", mode());
	checkf(woken == WAKE_ROUNDS && once == WAKE_ROUNDS &&
		       ran == WAKE_ROUNDS,
	       "%s: an IPI wakes halted vCPU 3, taken once, it runs again",
	       mode());
	checkf(max_lat < apic_tsc_us(WAKE_MAX_LATENCY_US),
	       "%s: the IPI wakes it at once (within 0.4 ms)", mode());
}

static void xapic_ipis(void)
{
	static const u32 flat[NCPUS] = {1u << 24, 2u << 24, 4u << 24, 8u << 24};
	static const u32 cluster[NCPUS] = {0x11u << 24, 0x12u << 24,
					   0x14u << 24, 0x18u << 24};
	static const u32 dfr_cluster[NCPUS] = {0, 0, 0, 0};

	ipi_case("fixed to vCPU 2", ICR_DM_FIXED, 2, 0x4);
	ipi_case("fixed to vCPU 0 (self)", ICR_DM_FIXED, 0, 0x1);
	ipi_case("all excluding self", ICR_SH_OTHERS, 0, 0xe);
	ipi_case("all including self", ICR_SH_ALL, 0, 0xf);
	ipi_case("self shorthand", ICR_SH_SELF, 3, 0x1);
	ipi_case("physical broadcast 0xFF", ICR_DM_FIXED, 0xff, 0xf);
	ipi_case("physical ID 4 (nobody)", ICR_DM_FIXED, 4, 0);
	set_all(CMD_SET_LDR, APIC_LDR, flat);
	ipi_case("logical flat 0x0A", ICR_LOGICAL, 0x0a, 0xa);
	ipi_case("lowest priority, logical 0x0E", ICR_DM_LOWEST | ICR_LOGICAL,
		 0x0e, 0x2);
	set_all(CMD_SET_DFR, APIC_DFR, dfr_cluster);
	set_all(CMD_SET_LDR, APIC_LDR, cluster);
	ipi_case("logical cluster 1, members 1 and 2", ICR_LOGICAL, 0x16, 0x6);
	ipi_case("logical cluster 2 (nobody)", ICR_LOGICAL, 0x26, 0);
	ipi_case("logical broadcast 0xFF", ICR_LOGICAL, 0xff, 0xf);
	halted_target();

	apic_write(APIC_ESR, 0);
	apic_send_ipi(ICR_DM_FIXED | 5, 1);
	apic_write(APIC_ESR, 0);
	checkf(apic_read(APIC_ESR) == ESR_SEND_ILLEGAL,
	       "xAPIC: vector 5 to vCPU 1: sender's ESR send illegal vector");
	if (command(1, CMD_READ_ESR, 0))
		checkf(result[1] == ESR_RECV_ILLEGAL,
		       "xAPIC: vector 5 to vCPU 1: its ESR receive illegal "
		       "vector (0x%x)",
		       result[1]);

	apic_send_ipi(ICR_DM_INIT | ICR_ASSERT, 1);
	apic_send_ipi(ICR_DM_INIT, 1);
	apic_send_ipi(ICR_DM_SIPI | 0x10, 1);
	if (command(1, CMD_READ_LDR, 0))
		checkf(result[1] == cluster[1],
		       "xAPIC: INIT and SIPI to vCPU 1 ignored (it runs, LDR "
		       "kept)");
}

static void x2apic_ipis(void)
{
	apic_set_mode(true);
	for (u32 i = 1; i < NCPUS; i++)
		command(i, CMD_X2APIC, 0);
	for (u32 i = 1; i < NCPUS; i++)
		if (command(i, CMD_READ_LDR, 0))
			checkf(result[i] == 1u << i,
			       "x2APIC: vCPU %u: LDR cluster 0, bit %u", i, i);
	ipi_case("fixed to vCPU 3", ICR_DM_FIXED, 3, 0x8);
	ipi_case("broadcast 0xFFFFFFFF", ICR_DM_FIXED, 0xffffffff, 0xf);
	ipi_case("physical 0xFF is vCPU 255 (nobody)", ICR_DM_FIXED, 0xff, 0);
	ipi_case("logical cluster 0, members 2 and 3", ICR_LOGICAL, 0xc, 0xc);
	ipi_case("logical cluster 1 (nobody)", ICR_LOGICAL, 0x10003, 0);
	ipi_case("all excluding self", ICR_SH_OTHERS, 0, 0xe);
	halted_target();
}

u32 guest_main(u32 magic, u32 info)
{
	struct partition_info pi;

	(void)magic;
	(void)info;
	trap_init();
	apic_irq_init();
	if (!check(is_shade(), "running under Shade") || !self_info(&pi))
		return report();
	if (!check(pi.ncpus == NCPUS, "partition has 4 vCPUs"))
		return report();
	apic_sti();
	start_secondaries();
	xapic_ipis();
	x2apic_ipis();
	for (u32 i = 1; i < NCPUS; i++)
		command(i, CMD_EXIT, 0);
	return report();
}
