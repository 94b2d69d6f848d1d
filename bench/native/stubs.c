// SPDX-License-Identifier: MIT
/*
 * Tripwires for the parts of Shade that the MMU sources reach only on
 * paths the benchmark never takes: a fault on guest-physical memory that
 * is not RAM (emulated devices, vmm/mmio.c) and the instruction
 * emulator's view of the VM exit (vmm/exit.c), which an emulated guest
 * page-table write uses. Reaching one stops the run.
 *
 * Weak, and declared here without Shade's headers: they stand in only
 * where the real function is not linked, and do not depend on its exact
 * parameters (each stops the run without looking at them).
 *
 * Context: the harness's threads.
 */
/* bench.c's, declared here too: bench.h would bring Shade's headers. */
__attribute__((noreturn)) void bench_die(const char *fmt, ...);

#define TRIPWIRE(name)                                                \
	void name(void);                                              \
	__attribute__((weak)) void name(void)                         \
	{                                                             \
		bench_die("Shade called " #name                       \
			  "(): the benchmark never takes that path"); \
	}

TRIPWIRE(mmio_fault)
TRIPWIRE(vmexit_emu_mode)
TRIPWIRE(vmexit_emu_regs_load)
TRIPWIRE(vmexit_emu_regs_store)
TRIPWIRE(vmexit_emu_bytes)
