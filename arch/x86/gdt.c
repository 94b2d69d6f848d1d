// SPDX-License-Identifier: MIT
/*
 * Per-CPU GDT and TSS.
 *
 * In 64-bit mode segmentation is almost gone, but every CPU still needs a
 * code and a data descriptor, and a TSS whose interrupt stack table gives
 * double faults, NMIs and machine checks a known-good stack (SDM 3A 7.7
 * and 6.14.5).
 *
 * Context: the CPU being set up, interrupts off, during boot.
 */
#include "gdt.h"
#include "percpu.h"
#include "x86.h"
#include "kstring.h"

#define DESC_CODE64	   0x00af9a000000ffffULL /* present, DPL 0, L=1 */
#define DESC_DATA	   0x00cf92000000ffffULL /* present, DPL 0, writable */
#define DESC_TSS_AVAILABLE 0x89ULL /* present, type 9: 64-bit TSS */

/* A 64-bit TSS descriptor takes two GDT slots (SDM 3A 8.2.3). */
static void set_tss_desc(u64 *slot, const struct tss *tss)
{
	u64 base = (u64)tss;
	u64 limit = sizeof(*tss) - 1;

	slot[0] = (limit & 0xffff) | ((base & 0xffffff) << 16) |
		  (DESC_TSS_AVAILABLE << 40) | (((limit >> 16) & 0xf) << 48) |
		  (((base >> 24) & 0xff) << 56);
	slot[1] = base >> 32;
}

static void load_gdt(const u64 *gdt, size_t bytes)
{
	struct {
		u16 limit;
		u64 base;
	} __packed ptr = {(u16)(bytes - 1), (u64)gdt};

	/* Reload CS with a far return, then the data segments. FS and GS
	 * are left alone: loading them would clear the GS base that holds
	 * this CPU's percpu pointer. */
	__asm__ volatile("lgdt %0\n\t"
			 "pushq %1\n\t"
			 "leaq 1f(%%rip), %%rax\n\t"
			 "pushq %%rax\n\t"
			 "lretq\n"
			 "1:\n\t"
			 "movl %2, %%eax\n\t"
			 "movl %%eax, %%ds\n\t"
			 "movl %%eax, %%es\n\t"
			 "movl %%eax, %%ss\n\t"
			 :
			 : "m"(ptr), "i"(GDT_KERNEL_CS), "i"(GDT_KERNEL_DS)
			 : "rax", "memory");
}

void gdt_init_cpu(struct cpu_tables *t, const hva_t *ist_stacks)
{
	memset(&t->tss, 0, sizeof(t->tss));
	for (int i = 0; i < IST_COUNT; i++) {
		t->ist_bottom[i] = ist_stacks[i];
		t->tss.ist[i] = ist_stacks[i] + IST_STACK_SIZE;
	}
	/* No I/O permission bitmap: the base points past the TSS limit. */
	t->tss.iomap_base = sizeof(t->tss);

	t->gdt[0] = 0;
	t->gdt[1] = DESC_CODE64;
	t->gdt[2] = DESC_DATA;
	set_tss_desc(&t->gdt[3], &t->tss);

	load_gdt(t->gdt, sizeof(t->gdt));
	__asm__ volatile("ltr %w0" : : "r"((u16)GDT_TSS) : "memory");
}
