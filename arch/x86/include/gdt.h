/* SPDX-License-Identifier: MIT */
/*
 * Each CPU's GDT and TSS (arch/x86/gdt.c). The TSS exists for its
 * interrupt stack table: double faults, NMIs and machine checks switch to
 * a stack of their own, so that a fault caused by a broken stack still
 * gets reported.
 */
#ifndef SHADE_GDT_H
#define SHADE_GDT_H

#include "types.h"

/* IST slots (1-based, as the IDT entry's IST field counts them) */
#define IST_DOUBLE_FAULT  1
#define IST_NMI		  2
#define IST_MACHINE_CHECK 3
#define IST_COUNT	  3

struct tss {
	u32 reserved0;
	u64 rsp[3];
	u64 reserved1;
	u64 ist[7];
	u64 reserved2;
	u16 reserved3;
	u16 iomap_base;
} __packed;

struct cpu_tables {
	u64 gdt[5]; /* null, code, data, TSS (two slots) */
	struct tss tss;
	hva_t ist_bottom[IST_COUNT]; /* lowest address of each IST stack */
};

/* Build and load this CPU's GDT and TSS; ist_stacks holds IST_COUNT stack
 * bottoms of IST_STACK_SIZE bytes each. */
void gdt_init_cpu(struct cpu_tables *t, const hva_t *ist_stacks);

#endif
