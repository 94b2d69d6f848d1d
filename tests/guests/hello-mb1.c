// SPDX-License-Identifier: MIT
/*
 * hello-mb1: the multiboot1 twin of hello.c, in a 32 MiB partition.
 * Checks the multiboot1 magic and information structure (command line,
 * mem_lower/mem_upper, memory map, one module) against what
 * tests/integration/guest-hello-mb1.sh configures, then the same CPUID
 * and hypercall checks as hello. Also runs bare under QEMU's -kernel,
 * where the boot information and CPUID checks fail as expected and the
 * hypercalls are skipped.
 */
#include "guest.h"

/* Must match tests/integration/guest-hello-mb1.sh. */
#define NAME	      "hello-mb1"
#define MEM_BYTES     (32ull << 20)
#define CMDLINE	      "hello world"
#define MODULE_STRING "greeting for hello-mb1"
#define MODULE_DATA   "Shade test module: 0123456789abcdef\n"

u32 guest_main(u32 magic, u32 info)
{
	static struct boot_info bi;
	const struct boot_expect ex = {
		.cmdline = CMDLINE,
		.mem_bytes = MEM_BYTES,
		.module_string = MODULE_STRING,
		.module_data = MODULE_DATA,
		.module_len = sizeof(MODULE_DATA) - 1,
	};
	const struct platform_expect pex = {NAME, 1, MEM_BYTES};

	gprintf("hello from a multiboot1 guest\n");
	entry_state_check();
	check_eq(magic, MB1_BOOTLOADER_MAGIC, "EAX holds the multiboot1 magic");
	if (bootinfo_parse(magic, info, &bi))
		bootinfo_check(&bi, &ex);
	platform_check(&pex);
	return report();
}
