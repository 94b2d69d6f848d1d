/* SPDX-License-Identifier: MIT */
/*
 * What the processor can do (arch/x86/cpu.c).
 */
#ifndef SHADE_CPU_H
#define SHADE_CPU_H

#include "types.h"

/* The CPUID brand string, or the vendor when there is none. */
const char *cpu_model_name(void);

/*
 * Whether VT-x can be used: CPUID.1:ECX.VMX set, and IA32_FEATURE_CONTROL
 * either unlocked or locked with VMXON outside SMX allowed. When not,
 * *why says so in one sentence.
 */
bool cpu_has_usable_vmx(const char **why);

#endif
