/* SPDX-License-Identifier: MIT */
/*
 * Architectural constants, named as in the Intel SDM (Vol. 3A ch. 2 for
 * control registers, Vol. 4 for MSRs, Vol. 3A ch. 4 for paging).
 */
#ifndef SHADE_X86_H
#define SHADE_X86_H

#include "types.h"

/* CR0 (SDM 3A 2.5) */
#define X86_CR0_PE BIT(0)
#define X86_CR0_MP BIT(1)
#define X86_CR0_ET BIT(4)
#define X86_CR0_NE BIT(5)
#define X86_CR0_WP BIT(16)
#define X86_CR0_PG BIT(31)

/* CR4 */
#define X86_CR4_PSE    BIT(4)
#define X86_CR4_PAE    BIT(5)
#define X86_CR4_PGE    BIT(7)
#define X86_CR4_OSFXSR BIT(9)
#define X86_CR4_VMXE   BIT(13)
#define X86_CR4_SMEP   BIT(20)
#define X86_CR4_SMAP   BIT(21)

/* Page-fault error code (SDM 3A 4.7, figure 4-12) */
#define X86_PF_P    BIT(0) /* 0: not present; 1: rights or reserved bit */
#define X86_PF_WR   BIT(1) /* the access was a write */
#define X86_PF_US   BIT(2) /* the access was a user-mode access */
#define X86_PF_RSVD BIT(3) /* a reserved bit was set in an entry */
#define X86_PF_ID   BIT(4) /* instruction fetch */

/* MSRs (SDM Vol. 4) */
#define MSR_IA32_APIC_BASE	 0x1b
#define MSR_IA32_FEATURE_CONTROL 0x3a
#define MSR_IA32_TSC_DEADLINE	 0x6e0
#define MSR_IA32_EFER		 0xc0000080
#define MSR_IA32_FS_BASE	 0xc0000100
#define MSR_IA32_GS_BASE	 0xc0000101
#define MSR_IA32_KERNEL_GS_BASE	 0xc0000102

#define APIC_BASE_BSP	    BIT(8)
#define APIC_BASE_X2APIC    BIT(10)
#define APIC_BASE_ENABLE    BIT(11)
#define APIC_BASE_ADDR_MASK 0xffffff000ULL

#define EFER_SCE BIT(0)
#define EFER_LME BIT(8)
#define EFER_LMA BIT(10)
#define EFER_NXE BIT(11)

#define FEATURE_CONTROL_LOCK		  BIT(0)
#define FEATURE_CONTROL_VMXON_OUTSIDE_SMX BIT(2)

/* CPUID feature bits */
#define CPUID_1_ECX_VMX		   BIT(5)
#define CPUID_1_ECX_X2APIC	   BIT(21)
#define CPUID_1_ECX_TSC_DEADLINE   BIT(24)
#define CPUID_1_ECX_HYPERVISOR	   BIT(31)
#define CPUID_1_EDX_APIC	   BIT(9)
#define CPUID_80000001_EDX_NX	   BIT(20)
#define CPUID_80000001_EDX_PDPE1GB BIT(26)
#define CPUID_80000001_EDX_LM	   BIT(29)

/* Page-table entry bits, the same at every level (SDM 3A 4.5) */
#define PTE_P	      BIT(0)
#define PTE_RW	      BIT(1)
#define PTE_US	      BIT(2)
#define PTE_PWT	      BIT(3)
#define PTE_PCD	      BIT(4)
#define PTE_A	      BIT(5)
#define PTE_D	      BIT(6)
#define PTE_PS	      BIT(7)
#define PTE_G	      BIT(8)
#define PTE_NX	      BIT(63)
#define PTE_ADDR_MASK 0x000ffffffffff000ULL

/* RFLAGS */
#define X86_RFLAGS_IF BIT(9)

/* Segment selectors of Shade's GDT (arch/x86/gdt.c) */
#define GDT_KERNEL_CS 0x08
#define GDT_KERNEL_DS 0x10
#define GDT_TSS	      0x18

#endif
