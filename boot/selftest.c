// SPDX-License-Identifier: MIT
/*
 * Boot-time checks that prove the machinery works on the hardware it runs
 * on: a round trip of cross-CPU calls to every CPU, and, when asked for on
 * the command line (selftest=...), a deliberate fault whose report the
 * integration tests read (tests/integration/).
 *
 * Context: boot CPU, after all CPUs are online.
 */
#include "selftest.h"
#include "ipi.h"
#include "percpu.h"
#include "asm.h"
#include "printk.h"
#include "panic.h"

#define IPI_ROUNDS 16

static void ipi_mark(void *arg)
{
	u64 *seen = arg;

	__atomic_fetch_or(seen, BIT(this_cpu_id()), __ATOMIC_RELAXED);
}

void selftest_ipi(void)
{
	cpumask_t others = cpus_online_mask() & ~BIT(this_cpu_id());
	cpumask_t missing = 0;
	u64 seen = 0, t0, cycles;
	int n;

	if (!others)
		return;
	t0 = rdtsc();
	for (int round = 0; round < IPI_ROUNDS; round++) {
		seen = 0;
		if (ipi_call(others, ipi_mark, &seen, &missing))
			panic("ipi: CPUs %#llx did not answer a cross-CPU call",
			      (unsigned long long)missing);
		if (seen != others)
			panic("ipi: answers from %#llx, expected %#llx",
			      (unsigned long long)seen,
			      (unsigned long long)others);
	}
	cycles = (rdtsc() - t0) / IPI_ROUNDS;
	n = __builtin_popcountll(others);
	pr_info("ipi: round trip to %d CPU%s ok (%llu cycles per call, %d "
		"calls)",
		n, n == 1 ? "" : "s", (unsigned long long)cycles, IPI_ROUNDS);
}

/* One `ret` instruction in writable, non-executable data. */
static u8 data_code[16] = {0xc3};

/* The fault functions are never inlined, so that the backtrace names them. */
static __noinline void fault_ud(void *arg)
{
	(void)arg;
	__asm__ volatile("ud2");
}

static __noinline void fault_write_text(void)
{
	volatile u8 *text = (volatile u8 *)(hva_t)selftest_run;

	pr_info("selftest: writing to read-only text at %p", (void *)text);
	*text = 0xcc;
}

static __noinline void fault_exec_data(void)
{
	void (*fn)(void) = (void (*)(void))(hva_t)data_code;

	pr_info("selftest: calling non-executable data at %p", (void *)fn);
	fn();
}

static void fault_ud_somewhere(void)
{
	cpumask_t others = cpus_online_mask() & ~BIT(this_cpu_id());

	if (!others) {
		pr_info("selftest: undefined opcode on CPU %u", this_cpu_id());
		fault_ud(NULL);
		return;
	}
	u32 target = __builtin_ctzll(others);

	pr_info("selftest: undefined opcode on CPU %u", target);
	ipi_call(BIT(target), fault_ud, NULL, NULL);
}

__noinline void selftest_run(enum selftest which)
{
	switch (which) {
	case SELFTEST_NONE:
	case SELFTEST_BAD_GUEST_STATE: /* acted on by the VMX layer */
		return;
	case SELFTEST_FAULT_WRITE_TEXT:
		fault_write_text();
		break;
	case SELFTEST_FAULT_EXEC_DATA:
		fault_exec_data();
		break;
	case SELFTEST_FAULT_UD:
		fault_ud_somewhere();
		break;
	}
	panic("selftest %d: the deliberate fault did not happen", which);
}
