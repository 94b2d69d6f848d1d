// SPDX-License-Identifier: MIT
/*
 * smp: secondary vCPUs (HC_VCPU_START, contract section 5), in a
 * partition with cpus=3 (tests/integration/guest-smp.sh). vCPU 0 first
 * tries the start arguments that must fail, then starts vCPUs 1 and 2 on
 * stacks of their own; each checks its entry registers, makes a hypercall,
 * prints a line and raises its flag; vCPU 0 waits for both flags with a
 * bounded spin (a count, not time: there is no timer here) and finally
 * checks that running vCPUs cannot be started again. It exits once both
 * secondaries are done, so their PASS/FAIL lines count in its status.
 */
#include "guest.h"

#define NCPUS	   3
#define STACK_SIZE 4096

/*
 * About 3 instructions per round: far longer than a start takes even in
 * Bochs, short enough that a lost vCPU fails the test instead of hanging.
 */
#define WAIT_ROUNDS 100000000u

static u8 stacks[NCPUS][STACK_SIZE] __aligned(16);
static struct vcpu_boot boots[NCPUS];

/*
 * Secondaries keep running (spinning) until vCPU 0 sets this, so that the
 * -EBUSY checks see them running rather than halted.
 */
static volatile u32 release;

/* Values of vcpu_boot.started, set by the secondary itself. */
#define SECONDARY_RUNNING 1
#define SECONDARY_DONE	  2

static bool wait_flag(volatile u32 *flag, u32 value)
{
	u32 n;

	for (n = 0; n < WAIT_ROUNDS; n++) {
		if (__atomic_load_n(flag, __ATOMIC_ACQUIRE) == value)
			return true;
		cpu_relax();
	}
	return false;
}

/* Runs on the secondary vCPU, on its own stack. */
static void secondary_main(u32 index, struct vcpu_boot *boot)
{
	u32 cr0 = read_cr0(), esp;

	asm volatile("movl %%esp, %0" : "=r"(esp));
	checkf(esp > (u32)stacks[index] && esp <= boot->stack_top,
	       "vCPU %u: on its own stack (ESP 0x%x)", index, esp);
	checkf(index == boot->index, "vCPU %u: EAX holds its index", index);
	checkf(boot == &boots[boot->index], "vCPU %u: EBX holds the argument",
	       index);
	checkf((cr0 & X86_CR0_PE) && !(cr0 & X86_CR0_PG),
	       "vCPU %u: protected mode, paging off", index);
	checkf(hc_version() == SHADE_ABI_VERSION,
	       "vCPU %u: HC_VERSION from a secondary vCPU", index);
	gprintf("vCPU %u started\n", index);
	__atomic_store_n(&boot->started, SECONDARY_RUNNING, __ATOMIC_RELEASE);
	checkf(wait_flag(&release, 1), "vCPU %u: released by vCPU 0", index);
	__atomic_store_n(&boot->started, SECONDARY_DONE, __ATOMIC_RELEASE);
}

static i32 start(u32 index)
{
	return vcpu_start(index, &boots[index], stacks[index], STACK_SIZE,
			  secondary_main);
}

/* Arguments HC_VCPU_START must refuse before any secondary runs. */
static void bad_starts(u64 mem)
{
	gpa_t entry = gpa_of(vcpu_entry), arg = gpa_of(&boots[2]);

	check_eq(hc_vcpu_start(NCPUS, entry, arg), -EINVAL,
		 "start vCPU 3 of 3: -EINVAL");
	check_eq(hc_vcpu_start(0x80000000u, entry, arg), -EINVAL,
		 "start vCPU 0x80000000: -EINVAL");
	check_eq(hc_vcpu_start(0xffffffffu, entry, arg), -EINVAL,
		 "start vCPU 0xffffffff: -EINVAL");
	check_eq(hc_vcpu_start(2, (gpa_t)mem, arg), -EINVAL,
		 "entry at the end of RAM: -EINVAL");
	check_eq(hc_vcpu_start(2, 0xfffffff0u, arg), -EINVAL,
		 "entry at 0xfffffff0: -EINVAL");
}

/* Every vCPU now runs: starting any of them again is -EBUSY. */
static void busy_starts(void)
{
	u32 i;

	for (i = 0; i < NCPUS; i++)
		checkf(hc_vcpu_start(i, gpa_of(vcpu_entry), 0) == -EBUSY,
		       "start running vCPU %u again: -EBUSY", i);
}

u32 guest_main(u32 magic, u32 info)
{
	struct partition_info pi;
	u32 i;

	(void)magic;
	(void)info;
	if (!check(is_shade(), "running under Shade") || !self_info(&pi))
		return report();
	check_eq(pi.ncpus, NCPUS, "partition has 3 vCPUs");
	bad_starts(pi.mem_bytes);
	for (i = 1; i < NCPUS; i++)
		checkf(start(i) == 0, "HC_VCPU_START(%u) succeeds", i);
	for (i = 1; i < NCPUS; i++)
		checkf(wait_flag(&boots[i].started, SECONDARY_RUNNING),
		       "vCPU %u raised its flag", i);
	busy_starts();
	__atomic_store_n(&release, 1, __ATOMIC_RELEASE);
	/* Their last lines first, so that no line is cut by our exit. */
	for (i = 1; i < NCPUS; i++)
		checkf(wait_flag(&boots[i].started, SECONDARY_DONE),
		       "vCPU %u finished", i);
	return report();
}
