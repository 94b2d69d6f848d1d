// SPDX-License-Identifier: MIT
/*
 * triplefault: loads an empty IDT (limit 0) and executes ud2. The #UD
 * cannot be delivered (vector 6 is past the limit), nor the #GP that
 * follows, nor the double fault: the processor shuts down, which under
 * VMX is a triple-fault VM exit. Shade must stop this partition with
 * status 255 naming the ud2's address, and nothing else
 * (tests/integration/guest-misbehave.sh).
 */
#include "guest.h"

void triple_fault_site(void);

/* A global label, so that the address printed is exactly the ud2's. */
asm(".pushsection .text\n"
    ".globl triple_fault_site\n"
    "triple_fault_site:\n"
    "\tud2\n"
    ".popsection");

u32 guest_main(u32 magic, u32 info)
{
	(void)magic;
	(void)info;
	gprintf("loading an empty IDT, then ud2 at %p\n", triple_fault_site);
	idt_load(NULL, 0);
	triple_fault_site();
	/* Only reached if the fault was somehow delivered and returned. */
	failf("still running after the triple fault");
	return report();
}
