// SPDX-License-Identifier: MIT
/*
 * crash: prints a few lines while other partitions run, then triple-faults
 * another way than triplefault.c: an IDT of the full size whose gates are
 * all not present, and a divide by zero. #DE finds no gate (#NP), the
 * #NP finds none (#DF), the #DF finds none: shutdown. The partitions
 * beside it must finish untouched (tests/integration/guest-sidebyside.sh).
 */
#include "guest.h"

#define LINES 20

void crash_divide(void);
void crash_div_site(void);

/* 1 / 0: the div itself is the faulting instruction. */
asm(".pushsection .text\n"
    ".globl crash_divide, crash_div_site\n"
    "crash_divide:\n"
    "\txorl %ecx, %ecx\n"
    "\tmovl $1, %eax\n"
    "\txorl %edx, %edx\n"
    "crash_div_site:\n"
    "\tdivl %ecx\n"
    "\tret\n"
    ".popsection");

static u64 empty_idt[256];

u32 guest_main(u32 magic, u32 info)
{
	u32 i;

	(void)magic;
	(void)info;
	for (i = 1; i <= LINES; i++)
		gprintf("crash line %u of %u\n", i, LINES);
	gprintf("divide by zero at %p with no IDT gates present\n",
		crash_div_site);
	idt_load(empty_idt, sizeof(empty_idt) - 1);
	crash_divide();
	failf("still running after the triple fault");
	return report();
}
