// SPDX-License-Identifier: MIT
/*
 * hello: the first guest, multiboot2. Checks that Shade enters it as the
 * contract says (sections 2-5): the magic, the boot information (command
 * line, memory map, one module) against what
 * tests/integration/guest-hello-mb2.sh configures, the CPUID leaves and
 * the hypercalls describing its own partition. Exits with the number of
 * failed checks.
 */
#include "guest.h"

/* Must match tests/integration/guest-hello-mb2.sh. */
#define NAME	      "hello"
#define MEM_BYTES     (16ull << 20) /* the default mem= */
#define CMDLINE	      "hello world"
#define MODULE_STRING "greeting for hello"
#define MODULE_DATA   "Shade test module: 0123456789abcdef\n"

/* Two lines through the string forms of OUT, which Shade emulates: one
 * with REP OUTSB to the UART, one with OUTSB items to port 0xe9 going
 * backwards (DF set). */
static void string_io_check(void)
{
	static const char fwd[] = "rep outsb to the UART works\n";
	static const char back[] = "\nsdrawkcab 9ex0 ot bstuo";
	const char *src = fwd;
	u32 count = sizeof(fwd) - 1;

	__asm__ volatile("cld; rep outsb"
			 : "+S"(src), "+c"(count)
			 : "d"(0x3f8)
			 : "memory");
	check_eq(count, 0, "REP OUTSB consumed ECX");
	src = back + sizeof(back) - 2;
	for (u32 i = 0; i < sizeof(back) - 1; i++)
		__asm__ volatile("std; outsb; cld"
				 : "+S"(src)
				 : "d"(0xe9)
				 : "memory", "cc");
	check_eq((u32)(src + 1 - back), 0, "OUTSB with DF=1 walked down");
}

/* An OS turns SSE on with CR4.OSFXSR; Shade must let that bit reach the
 * real CR4, or the first SSE instruction raises #UD (a triple fault here:
 * this guest installs no handler). */
static void sse_check(void)
{
	u32 out = 0;

	write_cr4(read_cr4() | (1u << 9) | (1u << 10));
	check_eq(read_cr4() & 0x600, 0x600,
		 "CR4 reads back OSFXSR and OSXMMEXCPT");
	/* xmm0 is not a clobber the compiler knows with -mno-sse; nothing
	 * else in this guest uses it. */
	__asm__ volatile("pcmpeqd %%xmm0, %%xmm0; movd %%xmm0, %0" : "=r"(out));
	check_eq(out, 0xffffffff, "SSE works once CR4.OSFXSR is set");
}

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

	gprintf("hello from a multiboot2 guest\n");
	entry_state_check();
	check_eq(magic, MB2_BOOTLOADER_MAGIC, "EAX holds the multiboot2 magic");
	if (bootinfo_parse(magic, info, &bi))
		bootinfo_check(&bi, &ex);
	platform_check(&pex);
	string_io_check();
	sse_check();
	return report();
}
