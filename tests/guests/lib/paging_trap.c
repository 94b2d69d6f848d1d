// SPDX-License-Identifier: MIT
/*
 * Exceptions and probes for the paging guests (paging.h): this library's
 * GDT and its 32-bit and 64-bit IDTs, built from paging_lm.S's stubs; the
 * C side of the probes (an access that may fault, and the checks built on
 * them); the requests to paging_lm.S's 64-bit helper for addresses above
 * 4 GiB; INVLPG.
 *
 * Runs on any vCPU at CPL 0, interrupts off. The tables are built once,
 * by the first pg_cpu_init() (vCPU 0's, before it starts the others), and
 * only read afterwards; a probe's result comes back in registers, so
 * nothing here is shared between vCPUs.
 */
#include "paging.h"
#include "check.h"
#include "console.h"
#include "x86.h"

#define MSR_EFER 0xc0000080u
#define EFER_LMA (1ull << 10)

/* Our GDT (paging_lm.S knows the selectors). */
#define SEL_CODE32 0x08
#define SEL_DATA   0x10
#define SEL_CODE64 0x18

#define DESC_ACCESS_CODE  0x9a /* present, DPL 0, code, readable */
#define DESC_ACCESS_DATA  0x92 /* present, DPL 0, data, writable */
#define DESC_FLAGS_FLAT32 0xc  /* 4 KiB granularity, 32-bit */
#define DESC_FLAGS_CODE64 0xa  /* 4 KiB granularity, L=1, D=0 */
#define GATE_INTR	  0x8e /* present, DPL 0, interrupt gate */

#define NR_EXC_VECTORS 32

/* A 32-bit probe's EDX after a fault: this bit, and the vector. */
#define PROBE_FAULTED 0x100

/* paging_lm.S's request to its 64-bit helper. */
enum lm_op {
	LM_OP_READ32,
	LM_OP_WRITE32,
	LM_OP_READ64,
	LM_OP_WRITE64,
	LM_OP_INVLPG,
};

struct pg_lm_req {
	u64 addr;
	u64 val;
	u32 op;
	u32 vector; /* ~0: no fault */
	u32 error;
	u32 pad;
	u64 cr2;
};

_Static_assert(offsetof(struct pg_lm_req, op) == 16, "paging_lm.S");
_Static_assert(offsetof(struct pg_lm_req, error) == 24, "paging_lm.S");
_Static_assert(offsetof(struct pg_lm_req, cr2) == 32, "paging_lm.S");

struct idt32_gate {
	u16 offset_low;
	u16 selector;
	u8 zero;
	u8 type;
	u16 offset_high;
};

struct idt64_gate {
	u16 offset_low;
	u16 selector;
	u8 ist;
	u8 type;
	u16 offset_mid;
	u32 offset_high;
	u32 reserved;
};

struct __attribute__((packed)) table_register {
	u16 limit;
	u32 base;
};

/* Defined in paging_lm.S. */
extern const u32 pg_stub32_table[NR_EXC_VECTORS];
extern const u32 pg_stub64_table[NR_EXC_VECTORS];
u64 pg_probe_read32(u32 addr);
u64 pg_probe_write32(u32 addr, u32 val);
u64 pg_probe_read64(u32 addr, u32 *high);
u64 pg_probe_write64(u32 addr, u32 low, u32 high);
u64 pg_probe_load_cr3(u32 cr3);
void pg_lm_call(struct pg_lm_req *req);
__noreturn void pg_trap_unexpected(u32 vector, u32 error, u32 eip);

static u64 gdt[4] __aligned(8);
static struct idt32_gate idt32[NR_EXC_VECTORS] __aligned(8);
static struct idt64_gate idt64[NR_EXC_VECTORS] __aligned(16);
static volatile bool tables_built;

static inline u32 read_cr2(void)
{
	u32 v;

	asm volatile("mov %%cr2, %0" : "=r"(v));
	return v;
}

static inline u64 rdmsr(u32 msr)
{
	u32 lo, hi;

	asm volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return (u64)hi << 32 | lo;
}

/* ---- descriptor tables and exceptions ------------------------------ */

static u64 seg_desc(u32 base, u32 limit, u8 access, u8 flags)
{
	return (u64)(limit & 0xffff) | (u64)(base & 0xffffff) << 16 |
	       (u64)access << 40 | (u64)((limit >> 16) & 0xf) << 48 |
	       (u64)(flags & 0xf) << 52 | (u64)(base >> 24) << 56;
}

static void build_tables(void)
{
	u32 v, h;

	gdt[SEL_CODE32 >> 3] =
		seg_desc(0, 0xfffff, DESC_ACCESS_CODE, DESC_FLAGS_FLAT32);
	gdt[SEL_DATA >> 3] =
		seg_desc(0, 0xfffff, DESC_ACCESS_DATA, DESC_FLAGS_FLAT32);
	gdt[SEL_CODE64 >> 3] =
		seg_desc(0, 0xfffff, DESC_ACCESS_CODE, DESC_FLAGS_CODE64);
	for (v = 0; v < NR_EXC_VECTORS; v++) {
		h = pg_stub32_table[v];
		idt32[v] = (struct idt32_gate){(u16)h, SEL_CODE32, 0, GATE_INTR,
					       (u16)(h >> 16)};
		h = pg_stub64_table[v];
		idt64[v] = (struct idt64_gate){
			(u16)h, SEL_CODE64, 0, GATE_INTR, (u16)(h >> 16), 0, 0};
	}
	tables_built = true;
}

static void load_idt(const void *base, u32 size)
{
	struct table_register r = {(u16)(size - 1), (u32)base};

	asm volatile("lidt %0" : : "m"(r) : "memory");
}

void pg_load_idt(bool ia32e)
{
	if (ia32e)
		load_idt(idt64, sizeof(idt64));
	else
		load_idt(idt32, sizeof(idt32));
}

void pg_cpu_init(void)
{
	struct table_register r = {sizeof(gdt) - 1, (u32)gdt};

	if (!tables_built)
		build_tables();
	asm volatile("lgdt %0\n\t"
		     "ljmp %1, $1f\n"
		     "1:\n\t"
		     "movw %w2, %%ds\n\t"
		     "movw %w2, %%es\n\t"
		     "movw %w2, %%fs\n\t"
		     "movw %w2, %%gs\n\t"
		     "movw %w2, %%ss"
		     :
		     : "m"(r), "i"(SEL_CODE32), "r"(SEL_DATA)
		     : "memory");
	load_idt(idt32, sizeof(idt32));
}

/* Called from paging_lm.S on an exception no probe expects. */
void pg_trap_unexpected(u32 vector, u32 error, u32 eip)
{
	failf("unexpected exception %u, error code 0x%x, at EIP 0x%x "
	      "(CR2 0x%x, CR3 0x%x)",
	      vector, error, eip, read_cr2(), pg_read_cr3());
	guest_exit(report());
}

static void lm_access(u32 op, u64 va, u64 *val, struct pg_fault *f)
{
	struct pg_lm_req r = {va, val ? *val : 0, op, ~0u, 0, 0, 0};

	if (!(rdmsr(MSR_EFER) & EFER_LMA)) {
		failf("address 0x%llx above 4 GiB outside IA-32e mode", va);
		r.vector = VECTOR_GP;
	} else {
		pg_lm_call(&r);
	}
	if (val)
		*val = r.val;
	if (!f)
		return;
	f->vector = r.vector == ~0u ? -1 : (int)r.vector;
	f->error = r.error;
	f->cr2 = r.cr2;
}

void pg_invlpg(u64 va)
{
	if (va >> 32)
		lm_access(LM_OP_INVLPG, va, NULL, NULL);
	else
		asm volatile("invlpg (%0)" : : "r"((u32)va) : "memory");
}

/* ---- probes -------------------------------------------------------- */

/* Decode a 32-bit probe's result; true if the access completed. */
static bool probe_done(u64 r, struct pg_fault *f)
{
	u32 status = (u32)(r >> 32);

	if (!(status & PROBE_FAULTED)) {
		f->vector = -1;
		f->error = 0;
		f->cr2 = 0;
		return true;
	}
	f->vector = (int)(status & 0xff);
	f->error = (u32)r;
	f->cr2 = read_cr2();
	return false;
}

bool pg_try_load_cr3(u32 cr3, struct pg_fault *f)
{
	return probe_done(pg_probe_load_cr3(cr3), f);
}

u32 pg_read32(u64 va, struct pg_fault *f)
{
	u64 v = 0, r;

	if (va >> 32) {
		lm_access(LM_OP_READ32, va, &v, f);
		return f->vector < 0 ? (u32)v : 0;
	}
	r = pg_probe_read32((u32)va);
	return probe_done(r, f) ? (u32)r : 0;
}

bool pg_write32(u64 va, u32 v, struct pg_fault *f)
{
	u64 v64 = v;

	if (va >> 32) {
		lm_access(LM_OP_WRITE32, va, &v64, f);
		return f->vector < 0;
	}
	return probe_done(pg_probe_write32((u32)va, v), f);
}

u64 pg_read64(u64 va, struct pg_fault *f)
{
	u64 v = 0, r;
	u32 hi = 0;

	if (va >> 32) {
		lm_access(LM_OP_READ64, va, &v, f);
		return f->vector < 0 ? v : 0;
	}
	r = pg_probe_read64((u32)va, &hi);
	return probe_done(r, f) ? (u64)hi << 32 | (u32)r : 0;
}

bool pg_write64(u64 va, u64 v, struct pg_fault *f)
{
	if (va >> 32) {
		lm_access(LM_OP_WRITE64, va, &v, f);
		return f->vector < 0;
	}
	return probe_done(pg_probe_write64((u32)va, (u32)v, (u32)(v >> 32)), f);
}

bool pg_fault_is(const struct pg_fault *f, int vector, u32 error, u64 va)
{
	if (vector < 0 || f->vector != vector)
		return f->vector == vector;
	if (f->error != error)
		return false;
	return vector != VECTOR_PF || f->cr2 == va;
}

void pg_fault_str(const struct pg_fault *f, char *buf, u32 size)
{
	if (f->vector < 0)
		gsnprintf(buf, size, "no fault");
	else if (f->vector == VECTOR_PF)
		gsnprintf(buf, size, "#PF error 0x%x at 0x%llx", f->error,
			  f->cr2);
	else
		gsnprintf(buf, size, "vector %d error 0x%x", f->vector,
			  f->error);
}

bool pg_check_read(const char *prefix, u64 va, u32 want, const char *what)
{
	struct pg_fault f;
	char fs[64];
	u32 got = pg_read32(va, &f);

	if (f.vector < 0 && got == want)
		return checkf(true, "%s: %s", prefix, what);
	pg_fault_str(&f, fs, sizeof(fs));
	return checkf(false,
		      "%s: %s: read 0x%llx: got 0x%x (%s), expected 0x%x",
		      prefix, what, va, got, fs, want);
}

static void probe_access(u64 va, bool write, struct pg_fault *f)
{
	if (write)
		pg_write32(va, 0xdeadbeef, f);
	else
		pg_read32(va, f);
}

bool pg_check_fault(const char *prefix, u64 va, bool write, u32 error,
		    const char *what)
{
	struct pg_fault f;
	char fs[64];

	probe_access(va, write, &f);
	if (pg_fault_is(&f, VECTOR_PF, error, va))
		return checkf(true, "%s: %s", prefix, what);
	pg_fault_str(&f, fs, sizeof(fs));
	return checkf(false, "%s: %s: %s 0x%llx: %s, expected #PF error 0x%x",
		      prefix, what, write ? "write" : "read", va, fs, error);
}

bool pg_reads(u64 va, u32 want)
{
	struct pg_fault f;

	return pg_read32(va, &f) == want && f.vector < 0;
}

bool pg_faults(u64 va, bool write, u32 error)
{
	struct pg_fault f;

	probe_access(va, write, &f);
	return pg_fault_is(&f, VECTOR_PF, error, va);
}
