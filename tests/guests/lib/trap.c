// SPDX-License-Identifier: MIT
/*
 * The test guests' GDT, TSS and IDT, and the C side of exception handling
 * (trap_stubs.S has the entry stubs). Runs on vCPU 0 at CPL 0; the TSS
 * exists only so that an exception or int 0x80 from ring 3 has a ring-0
 * stack to land on. In IA-32e mode a second IDT, of 64-bit gates, and a
 * 64-bit TSS take over (trap_enter_ia32e); both TSSs point at the same
 * ring-0 stack, since only one is in use at a time.
 */
#include "trap.h"
#include "check.h"
#include "console.h"

/* Segment descriptor fields (SDM vol. 3A, 3.4.5). */
#define DESC_ACCESS_CODE  0x9a /* present, DPL 0, code, readable */
#define DESC_ACCESS_DATA  0x92 /* present, DPL 0, data, writable */
#define DESC_ACCESS_DPL3  0x60
#define DESC_ACCESS_TSS32 0x89 /* present, available 32-bit TSS */
#define DESC_ACCESS_TSS64 0x89 /* the same type in IA-32e mode: 64-bit TSS */
#define DESC_FLAGS_FLAT32 0xc  /* 4 KiB granularity, 32-bit */
#define DESC_FLAGS_CODE64 0xa  /* 4 KiB granularity, L=1 (64-bit code) */
#define DESC_TSS_BUSY	  (1ull << 41) /* type bit 1: busy TSS */

/* Gate types (SDM vol. 3A, 6.11). */
#define GATE_INTR32 0x8e /* present, DPL 0, 32-bit interrupt gate */
#define GATE_INTR64 0x8e /* the same type in IA-32e mode: 64-bit gate */
#define GATE_DPL3   0x60

#define MSR_IA32_EFER 0xc0000080
#define EFER_LMA      (1u << 10)

#define NUM_STUB_VECTORS 33 /* 0-31 and 0x80, as in trap_stub_table */
#define NUM_VECTORS	 256

struct tss32 {
	u32 link, esp0, ss0, esp1, ss1, esp2, ss2;
	u32 cr3, eip, eflags, eax, ecx, edx, ebx, esp, ebp, esi, edi;
	u32 es, cs, ss, ds, fs, gs, ldt;
	u16 trap, iomap_base;
};

_Static_assert(sizeof(struct tss32) == 104, "SDM vol. 3A, figure 8-2");

struct __attribute__((packed)) tss64 {
	u32 reserved0;
	u64 rsp[3];
	u64 reserved1;
	u64 ist[7];
	u64 reserved2;
	u16 reserved3, iomap_base;
};

_Static_assert(sizeof(struct tss64) == 104, "SDM vol. 3A, figure 8-11");

struct idt_gate {
	u16 offset_low;
	u16 selector;
	u8 zero;
	u8 type;
	u16 offset_high;
};

struct idt_gate64 {
	u16 offset_low;
	u16 selector;
	u8 ist;
	u8 type;
	u16 offset_mid;
	u32 offset_high;
	u32 reserved;
};

_Static_assert(sizeof(struct idt_gate64) == 16, "SDM vol. 3A, figure 6-8");

struct __attribute__((packed)) table_register {
	u16 limit;
	u32 base;
};

/* Callee-saved registers, ESP and EIP: see trap_stubs.S. */
struct trap_jmp {
	u32 ebx, esi, edi, ebp, esp, eip;
};

/* Defined in trap_stubs.S. */
extern const u32 trap_stub_table[NUM_STUB_VECTORS];
extern const u32 trap64_stub_table[NUM_STUB_VECTORS];
extern u64 trap_ia32e_cr2; /* CR2 as the 64-bit stubs saw it */
extern void trap_user_return(void);
int trap_setjmp(struct trap_jmp *j) __attribute__((returns_twice));
__noreturn void trap_longjmp(struct trap_jmp *j, int v);
__noreturn void enter_user(void (*fn)(void), u32 esp);
void trap_dispatch(struct trap_frame *f);

/* null, SEL_KCODE .. SEL_TSS, SEL_KCODE64, SEL_UCODE64, SEL_TSS64 (2) */
static u64 gdt[10] __aligned(8);
static struct idt_gate idt[NUM_VECTORS] __aligned(8);
static struct idt_gate64 idt64[NUM_VECTORS] __aligned(16);
static struct tss32 tss __aligned(16);
static struct tss64 tss64 __aligned(16);
static bool in_ia32e; /* between trap_enter_ia32e and trap_leave_ia32e */
static u8 trap_stack[4096] __aligned(16);
static u8 user_stack[4096] __aligned(16);
static trap_handler_t handlers[NUM_VECTORS];

static struct trap_jmp recover;
static volatile bool recover_armed;

volatile struct trap_record last_trap;

static u64 seg_desc(u32 base, u32 limit, u8 access, u8 flags)
{
	return (u64)(limit & 0xffff) | (u64)(base & 0xffffff) << 16 |
	       (u64)access << 40 | (u64)((limit >> 16) & 0xf) << 48 |
	       (u64)(flags & 0xf) << 52 | (u64)(base >> 24) << 56;
}

static void gdt_load(void)
{
	struct table_register r = {sizeof(gdt) - 1, (u32)gdt};

	/* The far jump reloads CS; the rest are plain moves. */
	asm volatile("lgdt %0\n\t"
		     "ljmp %1, $1f\n"
		     "1:\n\t"
		     "movw %w2, %%ds\n\t"
		     "movw %w2, %%es\n\t"
		     "movw %w2, %%fs\n\t"
		     "movw %w2, %%gs\n\t"
		     "movw %w2, %%ss\n\t"
		     "ltr %w3"
		     :
		     : "m"(r), "i"(SEL_KCODE), "r"(SEL_KDATA), "r"(SEL_TSS)
		     : "memory");
}

static void gdt_init(void)
{
	gdt[0] = 0;
	gdt[SEL_KCODE >> 3] =
		seg_desc(0, 0xfffff, DESC_ACCESS_CODE, DESC_FLAGS_FLAT32);
	gdt[SEL_KDATA >> 3] =
		seg_desc(0, 0xfffff, DESC_ACCESS_DATA, DESC_FLAGS_FLAT32);
	gdt[SEL_UCODE >> 3] =
		seg_desc(0, 0xfffff, DESC_ACCESS_CODE | DESC_ACCESS_DPL3,
			 DESC_FLAGS_FLAT32);
	gdt[SEL_UDATA >> 3] =
		seg_desc(0, 0xfffff, DESC_ACCESS_DATA | DESC_ACCESS_DPL3,
			 DESC_FLAGS_FLAT32);
	gdt[SEL_TSS >> 3] =
		seg_desc((u32)&tss, sizeof(tss) - 1, DESC_ACCESS_TSS32, 0);
	tss.ss0 = SEL_KDATA;
	tss.esp0 = (u32)(trap_stack + sizeof(trap_stack));
	/* An I/O bitmap base past the limit: no port access from ring 3. */
	tss.iomap_base = sizeof(tss);

	gdt[SEL_KCODE64 >> 3] =
		seg_desc(0, 0xfffff, DESC_ACCESS_CODE, DESC_FLAGS_CODE64);
	gdt[SEL_UCODE64 >> 3] =
		seg_desc(0, 0xfffff, DESC_ACCESS_CODE | DESC_ACCESS_DPL3,
			 DESC_FLAGS_CODE64);
	/* A 16-byte system descriptor; the upper half holds base 63:32. */
	gdt[SEL_TSS64 >> 3] =
		seg_desc((u32)&tss64, sizeof(tss64) - 1, DESC_ACCESS_TSS64, 0);
	gdt[(SEL_TSS64 >> 3) + 1] = 0;
	tss64.rsp[0] = (u32)(trap_stack + sizeof(trap_stack));
	tss64.iomap_base = sizeof(tss64);
}

/* LTR wants an available TSS: clear the busy bit a previous LTR set. */
static void tr_load(u16 sel)
{
	gdt[sel >> 3] &= ~DESC_TSS_BUSY;
	asm volatile("ltr %w0" : : "r"(sel) : "memory");
}

static void set_gate(u32 vector, u32 handler, u8 type)
{
	idt[vector].offset_low = handler & 0xffff;
	idt[vector].selector = SEL_KCODE;
	idt[vector].zero = 0;
	idt[vector].type = type;
	idt[vector].offset_high = handler >> 16;
}

static void set_gate64(u32 vector, u32 handler, u8 type)
{
	idt64[vector] = (struct idt_gate64){
		.offset_low = handler & 0xffff,
		.selector = SEL_KCODE64,
		.type = type,
		.offset_mid = handler >> 16,
	};
}

void idt_load(const void *base, u16 limit)
{
	struct table_register r = {limit, (u32)base};

	asm volatile("lidt %0" : : "m"(r) : "memory");
}

void trap_init(void)
{
	u32 v;

	gdt_init();
	gdt_load();
	for (v = 0; v < 32; v++)
		set_gate(v, trap_stub_table[v], GATE_INTR32);
	set_gate(VEC_USER_RETURN, trap_stub_table[32], GATE_INTR32 | GATE_DPL3);
	idt_load(idt, sizeof(idt) - 1);
}

static u64 trap_rdmsr(u32 msr)
{
	u32 lo, hi;

	asm volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return (u64)hi << 32 | lo;
}

static u32 trap_read_cr2(void)
{
	u32 v;

	asm volatile("mov %%cr2, %0" : "=r"(v));
	return v;
}

void trap_enter_ia32e(void)
{
	u32 v;

	if (!(trap_rdmsr(MSR_IA32_EFER) & EFER_LMA)) {
		failf("trap_enter_ia32e: EFER.LMA is 0, not in IA-32e mode");
		return;
	}
	for (v = 0; v < 32; v++)
		set_gate64(v, trap64_stub_table[v], GATE_INTR64);
	set_gate64(VEC_USER_RETURN, trap64_stub_table[32],
		   GATE_INTR64 | GATE_DPL3);
	idt_load(idt64, sizeof(idt64) - 1);
	tr_load(SEL_TSS64);
	in_ia32e = true;
}

void trap_leave_ia32e(void)
{
	if (trap_rdmsr(MSR_IA32_EFER) & EFER_LMA) {
		failf("trap_leave_ia32e: EFER.LMA is still 1");
		return;
	}
	idt_load(idt, sizeof(idt) - 1);
	tr_load(SEL_TSS);
	in_ia32e = false;
}

void idt_install(u32 vector, trap_handler_t h)
{
	if (vector >= 32 && vector != VEC_USER_RETURN) {
		failf("idt_install: no stub for vector %u", vector);
		return;
	}
	handlers[vector] = h;
}

static void record(const struct trap_frame *f)
{
	last_trap.vector = f->vector;
	last_trap.error = f->error;
	last_trap.eip = f->eip;
	last_trap.cs = f->cs;
	last_trap.cr2 = 0;
	if (f->vector == VEC_PF)
		last_trap.cr2 = in_ia32e ? trap_ia32e_cr2 : trap_read_cr2();
	last_trap.count++;
}

/*
 * Called from trap_common or, in IA-32e mode, from trap64_common in
 * compatibility mode (trap_stubs.S), with interrupts off.
 */
void trap_dispatch(struct trap_frame *f)
{
	record(f);
	if (handlers[f->vector]) {
		handlers[f->vector](f);
		return;
	}
	if (recover_armed) {
		recover_armed = false;
		trap_longjmp(&recover, 1);
	}
	failf("unexpected exception %u, error code 0x%x, at CS:EIP 0x%x:0x%x",
	      f->vector, f->error, f->cs, f->eip);
	guest_exit(report());
}

int expect_fault(void (*fn)(void))
{
	if (trap_setjmp(&recover))
		return (int)last_trap.vector;
	recover_armed = true;
	fn();
	recover_armed = false;
	return -1;
}

int expect_fault_user(void (*fn)(void))
{
	u32 *sp = (u32 *)(user_stack + sizeof(user_stack));

	if (trap_setjmp(&recover)) {
		if (last_trap.vector == VEC_USER_RETURN)
			return -1;
		return (int)last_trap.vector;
	}
	*--sp = (u32)trap_user_return;
	recover_armed = true;
	enter_user(fn, (u32)sp);
}
