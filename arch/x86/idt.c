// SPDX-License-Identifier: MIT
/*
 * The interrupt descriptor table, shared by all CPUs.
 *
 * Every vector points at its 16-byte stub in arch/x86/isr.S. All entries
 * are interrupt gates (interrupts stay off in handlers). Double faults,
 * NMIs and machine checks run on their own IST stacks (arch/x86/gdt.c).
 *
 * Context: idt_init() on the boot CPU before anything can fault;
 * idt_load() on each CPU as it starts.
 */
#include "trap.h"
#include "gdt.h"
#include "x86.h"

#define IDT_ENTRIES	     256
#define ISR_STUB_SIZE	     16
#define GATE_INTERRUPT	     0x8e /* present, DPL 0, 64-bit interrupt gate */
#define VECTOR_NMI	     2
#define VECTOR_DOUBLE_FAULT  8
#define VECTOR_MACHINE_CHECK 18

struct idt_gate {
	u16 offset_low;
	u16 selector;
	u8 ist;
	u8 type_attr;
	u16 offset_mid;
	u32 offset_high;
	u32 reserved;
} __packed;

_Static_assert(sizeof(struct idt_gate) == 16, "IDT gate layout");

static struct idt_gate idt[IDT_ENTRIES] __aligned(16);

extern const char isr_stubs[]; /* arch/x86/isr.S */

static void set_gate(int vector, u8 ist)
{
	u64 handler = (u64)isr_stubs + (u64)vector * ISR_STUB_SIZE;

	idt[vector] = (struct idt_gate){
		.offset_low = handler & 0xffff,
		.selector = GDT_KERNEL_CS,
		.ist = ist,
		.type_attr = GATE_INTERRUPT,
		.offset_mid = (handler >> 16) & 0xffff,
		.offset_high = handler >> 32,
	};
}

void idt_init(void)
{
	for (int v = 0; v < IDT_ENTRIES; v++)
		set_gate(v, 0);
	set_gate(VECTOR_NMI, IST_NMI);
	set_gate(VECTOR_DOUBLE_FAULT, IST_DOUBLE_FAULT);
	set_gate(VECTOR_MACHINE_CHECK, IST_MACHINE_CHECK);
	idt_load();
}

void idt_load(void)
{
	struct {
		u16 limit;
		u64 base;
	} __packed ptr = {sizeof(idt) - 1, (u64)idt};

	__asm__ volatile("lidt %0" : : "m"(ptr) : "memory");
}
