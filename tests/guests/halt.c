// SPDX-License-Identifier: MIT
/*
 * halt: its only vCPU halts with interrupts disabled, from which nothing
 * can wake it. Shade must notice and stop the partition with status 254
 * (contract section 4; tests/integration/guest-misbehave.sh).
 */
#include "guest.h"

u32 guest_main(u32 magic, u32 info)
{
	(void)magic;
	(void)info;
	gprintf("halting with interrupts disabled\n");
	halt_forever();
}
