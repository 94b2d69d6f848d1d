/* SPDX-License-Identifier: MIT */
/*
 * Constants shared between assembly and C. Included by .S files, so only
 * #defines here; C code checks the ones tied to a structure layout with
 * static asserts (arch/x86/smp.c, arch/x86/trap.c).
 */
#ifndef SHADE_ASM_OFFSETS_H
#define SHADE_ASM_OFFSETS_H

#define BOOT_CS 0x08
#define BOOT_DS 0x10

#define BOOT_STACK_SIZE 16384

/* struct ap_boot_params (arch/x86/include/smp.h), at the end of the
 * trampoline page */
#define AP_PARAM_CR3   0
#define AP_PARAM_STACK 8
#define AP_PARAM_EFER  16
#define AP_PARAM_CPU   24

/* struct trap_frame (arch/x86/include/trap.h): 15 registers, then vector */
#define TRAP_FRAME_VECTOR 120

#endif
