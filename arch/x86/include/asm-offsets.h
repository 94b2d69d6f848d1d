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

/* struct guest_regs (vmm/include/vmm.h) */
#define GUEST_RAX 0
#define GUEST_RBX 8
#define GUEST_RCX 16
#define GUEST_RDX 24
#define GUEST_RSI 32
#define GUEST_RDI 40
#define GUEST_RBP 48
#define GUEST_R8  56
#define GUEST_R9  64
#define GUEST_R10 72
#define GUEST_R11 80
#define GUEST_R12 88
#define GUEST_R13 96
#define GUEST_R14 104
#define GUEST_R15 112
#define GUEST_CR2 120

#define VMCS_HOST_RSP 0x6c14

#endif
