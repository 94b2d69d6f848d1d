// SPDX-License-Identifier: MIT
/*
 * pgmatrix: the paging-mode matrix, a differential test of the shadow MMU
 * (tests/integration/shadow-pgmatrix.sh). The same image runs bare on
 * Bochs, the reference CPU, and as a Shade partition, and the script
 * compares the "M " lines of both runs, which must match exactly. So the
 * lines say only what the processor decided (fault or not, error code,
 * CR2 relative to the address accessed, the A and D bits it set), never an
 * address that could differ between the runs. The guest's own PASS/FAIL
 * checks are about its own consistency; what the right answers are is
 * whatever the bare processor does.
 *
 * The modes, each entered from protected mode with paging off and left
 * again: 32-bit paging (CR4.PSE=1 with 4 KiB and 4 MiB pages; CR4.PSE=0,
 * where PS in a PDE is ignored), PAE (4 KiB and 2 MiB pages, EFER.NXE=1
 * then 0) and 4-level paging (4 KiB, 2 MiB and, where CPUID says so, 1 GiB
 * pages), entered twice: with NXE=1, then with NXE=0. In IA-32e mode the C
 * code runs in compatibility mode; the 4-level targets lie in the upper
 * half (PML4 entry 511), reached from 64-bit code (pgm_access64) by a far
 * call from ring 0 or from a 32-bit ring-3 segment. Last, 32-bit paging
 * once more: the guest must work as before after leaving IA-32e mode.
 *
 * A probe writes every entry on its target's path (the rights it tests,
 * A and D clear), invalidates with INVLPG (a CR3 load in the not-present
 * and reserved-bit groups), makes one access at CPL 0 or 3 (a byte read,
 * a byte write, or a call to the `ret` at the target) and reads the
 * entries back. Every target maps the same byte, TARGET_PA.
 *
 * Output: "M cpu ..." (what CPUID offers), "M key ..." (this legend in
 * short), one line per group, "M done groups=N". Lines wrap at LINE_WRAP
 * characters and continue as "M + ...", so that Shade never splits them.
 *   M T up=U cC wpW r:... w:... x:...    the matrix of target T with the
 *	entry above the leaf at rights U, at CPL C with CR0.WP=W: one token
 *	per leaf rights, in rights_name() order (rs, ws, ru, wu, then the
 *	same with n = XD set where the mode has XD) for a read, a write, an
 *	instruction fetch. A token is the #PF error code in hex or "--" for
 *	no fault, then a digit: 1 leaf A, 2 leaf D, 4 A of the entry above;
 *	a run of N equal tokens is written once, as "token*N".
 *   M T np|rsvd|nx0|hi|seq|pdpte ...     the other groups, with full
 *	tokens: the fault ("--", the #PF error code, or vV/E for another
 *	vector), '.', then a hex mask of the A bits from the top level down
 *	to the leaf and the leaf's D bit last.
 * Suffixes: "@D" CR2 was the address plus D, "!" a read returned a wrong
 * byte, "^M" (matrix) the A bits above the upper entry (mask M, top level
 * bit 0) differ from its own.
 *
 * Memory stays below 16 MiB: the image at 1 MiB, identity-mapped with the
 * first 4 MiB, user-accessible, in every mode; TARGET_PA at 8 MiB.
 * This file is past 800 lines because the matrix is one scenario: the
 * groups share the target table, the probe and the output format.
*
 * Past 800 lines: a guest is one file (tests/guests/guests.mk), and the
 * mode set-up, the probes and the output share the table builders; every
 * function is short.
 */
#include "guest.h"

/* Paging-structure entry bits (SDM vol. 3A, 4.3-4.5). */
#define PTE_P  (1ull << 0)
#define PTE_RW (1ull << 1)
#define PTE_US (1ull << 2)
#define PTE_A  (1ull << 5)
#define PTE_D  (1ull << 6)
#define PTE_PS (1ull << 7)
#define PTE_XD (1ull << 63)

#define CR0_WP	(1u << 16)
#define CR4_PSE (1u << 4)
#define CR4_PAE (1u << 5)

#define MSR_IA32_EFER 0xc0000080
#define EFER_LME      (1u << 8)
#define EFER_LMA      (1u << 10)
#define EFER_NXE      (1u << 11)

/* CPUID (SDM vol. 2A, CPUID). */
#define CPUID_1_EDX_PSE	      (1u << 3)
#define CPUID_1_EDX_PAE	      (1u << 6)
#define CPUID_1_EDX_PSE36     (1u << 17)
#define CPUID_EXT_MAX	      0x80000000
#define CPUID_EXT_FEATURES    0x80000001
#define CPUID_EXT_ADDR_SIZES  0x80000008
#define CPUID_EXT_EDX_NX      (1u << 20)
#define CPUID_EXT_EDX_PAGE1GB (1u << 26)
#define CPUID_EXT_EDX_LM      (1u << 29)
#define MAXPHYADDR_DEFAULT    36 /* without leaf 0x80000008 */
#define MAXPHYADDR_MASK	      0xff
#define PAGING_ADDR_BITS_MAX  52

/* Memory. */
#define PAGE_SIZE    4096u
#define IDMAP_SIZE   (4u << 20)
#define TARGET_PA    0x00805123u /* the byte every probe touches */
#define TARGET_FRAME (TARGET_PA & ~(PAGE_SIZE - 1))
#define LARGE_PA     0x00800000u /* 2 and 4 MiB pages holding TARGET_PA */
#define RET_OPCODE   0xc3

/* Target linear addresses, each mapping TARGET_PA. */
#define VA32_4K	    0x40000123u /* PDE 256 -> pt32_t[0] */
#define VA32_PS0    0x40400123u /* PDE 257, PS=1 but CR4.PSE=0 -> pt32_t[0] */
#define VA32_4M	    0x40805123u /* PDE 258: 4 MiB page at LARGE_PA */
#define VAPAE_4K    0x40000123u /* PDPTE 1, PDE 0 -> pt_t[0] */
#define VAPAE_2M    0x40205123u /* PDPTE 1, PDE 1: 2 MiB page at LARGE_PA */
#define VACOMPAT_4K 0xc0000123u /* PML4E 0, PDPTE 3 -> pd_t, pt_t */
#define VALM_BASE   0xffffff8000000000ull    /* PML4E 511 */
#define VALM_4K	    (VALM_BASE + 0x123)	     /* PDPTE 0, PDE 0 -> pt_lt[0] */
#define VALM_2M	    (VALM_BASE + 0x205123)   /* PDE 1: 2 MiB page */
#define VALM_1G	    (VALM_BASE + 0x40805123) /* PDPTE 1: 1 GiB page at 0 */

#define PT32_ENTRIES 1024
#define PT64_ENTRIES 512
#define PDPT_PAE     4

/* Rights under test, ORed into an entry by path_write(). */
#define RT_W   1 /* R/W=1 */
#define RT_U   2 /* U/S=1 */
#define RT_N   4 /* XD=1 */
#define RT_ALL (RT_W | RT_U)

/* Access kinds; pgm_access64 compares ECX with these numbers. */
#define ACC_READ   0
#define ACC_WRITE  1
#define ACC_EXEC   2
#define ACC_INVLPG 3

#define LINE_WRAP  150	/* Shade splits console lines at 160 */
#define BIT_MAXPHY 0xff /* a reserved-bit case: bit MAXPHYADDR */

static u32 pd32[PT32_ENTRIES] __aligned(PAGE_SIZE);
static u32 pt32_id[PT32_ENTRIES] __aligned(PAGE_SIZE);
static u32 pt32_t[PT32_ENTRIES] __aligned(PAGE_SIZE);
static u64 pdpt_pae[PDPT_PAE] __aligned(32);
static u64 pd_id[PT64_ENTRIES] __aligned(PAGE_SIZE);
static u64 pt_id[2][PT64_ENTRIES] __aligned(PAGE_SIZE);
static u64 pd_t[PT64_ENTRIES] __aligned(PAGE_SIZE);
static u64 pt_t[PT64_ENTRIES] __aligned(PAGE_SIZE);
static u64 pml4[PT64_ENTRIES] __aligned(PAGE_SIZE);
static u64 pdpt_id[PT64_ENTRIES] __aligned(PAGE_SIZE);
static u64 pdpt_lt[PT64_ENTRIES] __aligned(PAGE_SIZE);
static u64 pd_lt[PT64_ENTRIES] __aligned(PAGE_SIZE);
static u64 pt_lt[PT64_ENTRIES] __aligned(PAGE_SIZE);

/* The path of paging-structure entries that maps one target. */
struct target {
	const char *name;
	u64 va;
	u8 levels; /* entries on the path, top level first */
	u8 first;  /* the first with R/W, U/S, XD and A (a PAE PDPTE: none) */
	bool wide; /* 8-byte entries */
	bool lm64; /* accessed from 64-bit code */
	void *ent[4];
	u32 val[4]; /* each entry's address + P and PS (ENT) */
};

/* A static initializer: a table's address plus flags (no '|' allowed). */
#define ENT(table, flags) ((u32)(table) + (u32)(flags))

/* What a probe writes into the path, per level. */
struct path_cfg {
	u8 rights[4];
	u64 set[4];
	u64 clear[4];
};

struct probe_res {
	int vector; /* -1: the access completed */
	u32 error;
	u64 cr2;
	bool bad_value;
	u64 ent[4]; /* the path after the access */
};

struct cpu_info {
	u32 maxphy;
	bool pse, pse36, pae, nx, lm, page1gb;
};

static struct cpu_info cpu;
static u32 groups, bad_values;

/* Probe parameters: read by probe_access(), also at CPL 3. */
static volatile u64 probe_va;
static volatile u32 probe_kind;
static volatile bool probe_lm64;
static volatile u8 probe_value;
static struct __attribute__((packed)) {
	u32 offset;
	u16 sel;
} probe_far;

static char line[LINE_WRAP + 64];
static u32 line_len;

/*
 * pgm_access64: one access from 64-bit code, far-called from
 * compatibility mode through SEL_KCODE64 or SEL_UCODE64. EDX:EAX = the
 * linear address, ECX = ACC_*; returns (32-bit far return) with the byte
 * read in AL. EDX is clobbered. The stack lies below 4 GiB: RSP is ESP.
 */
void pgm_access64(void);

/* The numbers pgm_access64 compares ECX with, and the byte it writes. */
_Static_assert(ACC_WRITE == 1 && ACC_EXEC == 2 && ACC_INVLPG == 3,
	       "pgm_access64's access kinds");
_Static_assert(RET_OPCODE == 0xc3, "pgm_access64's byte");

asm(".pushsection .text\n"
    ".code64\n"
    "pgm_access64:\n"
    "\tmovl %esp, %esp\n"
    "\tshlq $32, %rdx\n"
    "\tmovl %eax, %eax\n"
    "\torq %rdx, %rax\n"
    "\tcmpl $1, %ecx\n"
    "\tje 1f\n"
    "\tcmpl $2, %ecx\n"
    "\tje 2f\n"
    "\tcmpl $3, %ecx\n"
    "\tje 3f\n"
    "\tmovb (%rax), %al\n"
    "\tlretl\n"
    "1:\tmovb $0xc3, (%rax)\n"
    "\tlretl\n"
    "2:\tcall *%rax\n"
    "\tlretl\n"
    "3:\tinvlpg (%rax)\n"
    "\tlretl\n"
    ".code32\n"
    ".popsection");

/* ---- processor state ---------------------------------------------- */

static u64 pgm_rdmsr(u32 msr)
{
	u32 lo, hi;

	asm volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return (u64)hi << 32 | lo;
}

static void pgm_wrmsr(u32 msr, u64 v)
{
	asm volatile("wrmsr"
		     :
		     : "c"(msr), "a"((u32)v), "d"((u32)(v >> 32))
		     : "memory");
}

static u32 pgm_read_cr3(void)
{
	u32 v;

	asm volatile("mov %%cr3, %0" : "=r"(v));
	return v;
}

static void efer_update(u32 set, u32 clear)
{
	pgm_wrmsr(MSR_IA32_EFER, (pgm_rdmsr(MSR_IA32_EFER) | set) & ~clear);
}

static void set_wp(bool on)
{
	u32 cr0 = read_cr0();

	write_cr0(on ? cr0 | CR0_WP : cr0 & ~CR0_WP);
}

/* A CR3 load: the whole TLB, and in PAE mode the PDPTE registers. */
static void flush_all(void)
{
	write_cr3(pgm_read_cr3());
}

static void paging_on(u32 cr3, u32 cr4_set, u32 cr4_clear)
{
	write_cr4((read_cr4() | cr4_set) & ~cr4_clear);
	write_cr3(cr3);
	write_cr0(read_cr0() | X86_CR0_PG);
}

static void paging_off(void)
{
	write_cr0(read_cr0() & ~X86_CR0_PG);
}

static void cpu_probe(void)
{
	struct cpuid_regs l1 = cpuid(1, 0);
	u32 ext_max = cpuid(CPUID_EXT_MAX, 0).eax, ext_edx = 0;

	if (ext_max >= CPUID_EXT_FEATURES)
		ext_edx = cpuid(CPUID_EXT_FEATURES, 0).edx;
	cpu.maxphy = MAXPHYADDR_DEFAULT;
	if (ext_max >= CPUID_EXT_ADDR_SIZES)
		cpu.maxphy =
			cpuid(CPUID_EXT_ADDR_SIZES, 0).eax & MAXPHYADDR_MASK;
	cpu.pse = l1.edx & CPUID_1_EDX_PSE;
	cpu.pse36 = l1.edx & CPUID_1_EDX_PSE36;
	cpu.pae = l1.edx & CPUID_1_EDX_PAE;
	cpu.nx = ext_edx & CPUID_EXT_EDX_NX;
	cpu.lm = ext_edx & CPUID_EXT_EDX_LM;
	cpu.page1gb = ext_edx & CPUID_EXT_EDX_PAGE1GB;
	gprintf("M cpu maxphyaddr=%u pse=%d pse36=%d pae=%d nx=%d lm=%d "
		"1g=%d\n",
		cpu.maxphy, cpu.pse, cpu.pse36, cpu.pae, cpu.nx, cpu.lm,
		cpu.page1gb);
}

/* ---- output lines ----------------------------------------------------- */

static void line_emit(void)
{
	gprintf("%s\n", line);
	line_len = 0;
}

static void line_vadd(const char *fmt, va_list ap)
{
	char piece[64];
	int n = vgsnprintf(piece, sizeof(piece), fmt, ap);

	if (line_len + n > LINE_WRAP) {
		line_emit();
		line_len = gsnprintf(line, sizeof(line), "M +");
	}
	line_len += gsnprintf(line + line_len, sizeof(line) - line_len, "%s",
			      piece);
}

static void __printf(1, 2) line_add(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	line_vadd(fmt, ap);
	va_end(ap);
}

/* A group's line: "M " and the group's name. */
static void __printf(1, 2) line_start(const char *fmt, ...)
{
	va_list ap;

	groups++;
	line_len = gsnprintf(line, sizeof(line), "M ");
	va_start(ap, fmt);
	line_vadd(fmt, ap);
	va_end(ap);
}

/* "rs", "wux": R/W, U/S and, with nx, XD. */
static const char *rights_name(u32 r, bool nx, char buf[4])
{
	buf[0] = r & RT_W ? 'w' : 'r';
	buf[1] = r & RT_U ? 'u' : 's';
	buf[2] = nx ? (r & RT_N ? 'n' : 'x') : '\0';
	buf[3] = '\0';
	return buf;
}

/* ---- paths and probes ------------------------------------------------ */

static u64 ent_read(const struct target *t, u32 i)
{
	volatile u32 *p = t->ent[i];

	return t->wide ? (u64)p[1] << 32 | p[0] : p[0];
}

/* The high half first: the low one holds P. No walk happens in between. */
static void ent_write(const struct target *t, u32 i, u64 v)
{
	volatile u32 *p = t->ent[i];

	if (t->wide)
		p[1] = (u32)(v >> 32);
	p[0] = (u32)v;
}

static void cfg_init(struct path_cfg *c)
{
	u32 i;

	for (i = 0; i < ARRAY_SIZE(c->rights); i++) {
		c->rights[i] = RT_ALL;
		c->set[i] = 0;
		c->clear[i] = 0;
	}
}

static u64 rights_bits(u32 r)
{
	return (r & RT_W ? PTE_RW : 0) | (r & RT_U ? PTE_US : 0) |
	       (r & RT_N ? PTE_XD : 0);
}

static void path_write(const struct target *t, const struct path_cfg *c)
{
	u32 i;
	u64 v;

	for (i = 0; i < t->levels; i++) {
		v = t->val[i];
		if (i >= t->first)
			v |= rights_bits(c->rights[i]);
		ent_write(t, i, (v | c->set[i]) & ~c->clear[i]);
	}
}

static u8 access64(u64 va, u32 kind, u16 sel)
{
	u32 lo = (u32)va, hi = (u32)(va >> 32);

	probe_far.offset = (u32)pgm_access64;
	probe_far.sel = sel;
	asm volatile("lcall *%[far]"
		     : "+a"(lo), "+d"(hi), "+c"(kind)
		     : [far] "m"(probe_far)
		     : "memory", "cc");
	return (u8)lo;
}

/* Runs at CPL 0 or 3 under expect_fault() or expect_fault_user(). */
static void probe_access(void)
{
	u32 va = (u32)probe_va;

	if (probe_lm64) {
		probe_value = access64(probe_va, probe_kind, probe_far.sel);
		return;
	}
	switch (probe_kind) {
	case ACC_READ:
		probe_value = *(volatile u8 *)va;
		break;
	case ACC_WRITE:
		*(volatile u8 *)va = RET_OPCODE;
		break;
	case ACC_EXEC:
		((void (*)(void))va)();
		break;
	}
}

/* INVLPG of the target: from 64-bit code where it lies above 4 GiB. */
static void flush_va(const struct target *t)
{
	if (t->lm64)
		access64(t->va, ACC_INVLPG, SEL_KCODE64);
	else
		asm volatile("invlpg (%0)" : : "r"((u32)t->va) : "memory");
}

static void probe(const struct target *t, u32 kind, u32 cpl,
		  struct probe_res *r)
{
	u32 i;

	probe_va = t->va;
	probe_kind = kind;
	probe_lm64 = t->lm64;
	probe_value = 0;
	probe_far.sel = cpl ? SEL_UCODE64 : SEL_KCODE64;
	r->vector = cpl ? expect_fault_user(probe_access)
			: expect_fault(probe_access);
	r->error = r->vector >= 0 ? last_trap.error : 0;
	r->cr2 = r->vector == VEC_PF ? last_trap.cr2 : 0;
	r->bad_value =
		r->vector < 0 && kind == ACC_READ && probe_value != RET_OPCODE;
	bad_values += r->bad_value;
	for (i = 0; i < t->levels; i++)
		r->ent[i] = ent_read(t, i);
}

/* Write the path with cfg, invalidate, probe. */
static void probe_cfg(const struct target *t, const struct path_cfg *c,
		      bool cr3_load, u32 kind, u32 cpl, struct probe_res *r)
{
	path_write(t, c);
	if (cr3_load)
		flush_all();
	else
		flush_va(t);
	probe(t, kind, cpl, r);
}

/* The default path, and the PDPTE registers reloaded from it. */
static void path_reset(const struct target *t)
{
	struct path_cfg c;

	cfg_init(&c);
	path_write(t, &c);
	flush_all();
}

/* ---- tokens ------------------------------------------------------------ */

static bool a_bit(const struct target *t, const struct probe_res *r, u32 i)
{
	return i >= t->first && (r->ent[i] & PTE_A);
}

static bool leaf_d(const struct target *t, const struct probe_res *r)
{
	return r->ent[t->levels - 1] & PTE_D;
}

static void fault_str(const struct probe_res *r, char *buf, u32 size)
{
	if (r->vector < 0)
		gsnprintf(buf, size, "--");
	else if (r->vector == VEC_PF)
		gsnprintf(buf, size, "%02x", r->error);
	else
		gsnprintf(buf, size, "v%u/%x", r->vector, r->error);
}

/* "@D" for CR2 off the address, "!" for a wrong byte read. */
static void suffix_str(const struct target *t, const struct probe_res *r,
		       char *buf, u32 size)
{
	u32 n = 0;

	buf[0] = '\0';
	if (r->vector == VEC_PF && r->cr2 != t->va)
		n += gsnprintf(buf, size, "@%llx", r->cr2 - t->va);
	if (r->bad_value)
		gsnprintf(buf + n, size - n, "!");
}

/* Matrix token: fault, digit (leaf A, leaf D, upper A), suffixes. */
static void short_str(const struct target *t, const struct probe_res *r,
		      char *buf, u32 size)
{
	u32 leaf = t->levels - 1, up = leaf - 1, d, i, higher = 0;
	char f[16], s[24];

	d = a_bit(t, r, leaf) | leaf_d(t, r) << 1;
	if (leaf > 0) {
		d |= a_bit(t, r, up) << 2;
		for (i = t->first; i < up; i++)
			if (a_bit(t, r, i) != a_bit(t, r, up))
				higher |= 1u << i;
	}
	fault_str(r, f, sizeof(f));
	suffix_str(t, r, s, sizeof(s));
	if (higher)
		gsnprintf(buf, size, "%s%u%s^%x", f, d, s, higher);
	else
		gsnprintf(buf, size, "%s%u%s", f, d, s);
}

#define TOKEN_MAX 24

/* Tokens after pre, a run of n equal ones as "tok*n". */
static void add_runs(const char *pre, char tok[][TOKEN_MAX], u32 n)
{
	u32 i, run;

	for (i = 0; i < n; i += run) {
		for (run = 1; i + run < n; run++)
			if (strcmp(tok[i], tok[i + run]))
				break;
		if (run > 1)
			line_add("%s%s*%u", i ? " " : pre, tok[i], run);
		else
			line_add("%s%s", i ? " " : pre, tok[i]);
	}
}

/* Full token: fault '.' mask of the A bits top down, then leaf D. */
static void add_full(const char *pre, const struct target *t,
		     const struct probe_res *r)
{
	u32 i, m = 0;
	char f[16], s[24];

	for (i = t->first; i < t->levels; i++)
		m = m << 1 | a_bit(t, r, i);
	m = m << 1 | leaf_d(t, r);
	fault_str(r, f, sizeof(f));
	suffix_str(t, r, s, sizeof(s));
	line_add("%s%s.%x%s", pre, f, m, s);
}

/* The prefix of the token for (cpl, kind) in a " c0 r:.. w:.. x:.." run. */
static const char *prefix(u32 cpl, u32 kind)
{
	static const char *const first[2] = {" c0 r:", " c3 r:"};

	if (kind == ACC_READ)
		return first[cpl != 0];
	return kind == ACC_WRITE ? " w:" : " x:";
}

/* Six full tokens: r, w, x at CPL 0 and 3, each probe with cfg. */
static void add_rwx_both(const struct target *t, const struct path_cfg *c,
			 bool cr3_load)
{
	struct probe_res r;
	u32 cpl, kind;

	for (cpl = 0; cpl <= 3; cpl += 3)
		for (kind = ACC_READ; kind <= ACC_EXEC; kind++) {
			probe_cfg(t, c, cr3_load, kind, cpl, &r);
			add_full(prefix(cpl, kind), t, &r);
		}
}

/* ---- the groups -------------------------------------------------------- */

/* One matrix line: every leaf rights for r, w, x; up < 0: no upper. */
static void matrix_line(const struct target *t, u32 nr, int up, u32 cpl,
			bool wp)
{
	static const char *const kind_pre[3] = {" r:", " w:", " x:"};
	u32 leaf = t->levels - 1, kind, lr;
	char un[4], tok[8][TOKEN_MAX];
	struct path_cfg c;
	struct probe_res r;

	set_wp(wp);
	line_start("%s up=%s c%u wp%u", t->name,
		   up < 0 ? "-" : rights_name(up, nr > 4, un), cpl, wp);
	for (kind = ACC_READ; kind <= ACC_EXEC; kind++) {
		for (lr = 0; lr < nr; lr++) {
			cfg_init(&c);
			c.rights[leaf] = lr;
			if (up >= 0)
				c.rights[leaf - 1] = up;
			probe_cfg(t, &c, false, kind, cpl, &r);
			short_str(t, &r, tok[lr], sizeof(tok[lr]));
		}
		add_runs(kind_pre[kind], tok, nr);
	}
	line_emit();
}

/*
 * Every leaf rights x upper rights (the entry right above the leaf, if it
 * has rights and vary_up) x CPL 0/3 x CR0.WP 0/1 x read/write/fetch.
 */
static void matrix(const struct target *t, bool nx, bool vary_up)
{
	u32 nr = nx ? 8 : 4, leaf = t->levels - 1, cpl, wp;
	bool has_up = vary_up && leaf > 0 && leaf - 1 >= t->first;
	int up, nup = has_up ? (int)nr : 1;

	for (up = 0; up < nup; up++)
		for (cpl = 0; cpl <= 3; cpl += 3)
			for (wp = 0; wp < 2; wp++)
				matrix_line(t, nr, has_up ? up : -1, cpl, wp);
	set_wp(true);
}

/* P=0 at each level in turn (a CR3 load after each change). */
static void not_present(const struct target *t)
{
	struct path_cfg c;
	u32 lvl;

	for (lvl = 0; lvl < t->levels; lvl++) {
		cfg_init(&c);
		c.clear[lvl] = PTE_P;
		line_start("%s np L%u", t->name, lvl);
		add_rwx_both(t, &c, true);
		line_emit();
	}
	path_reset(t);
}

struct rsvd_case {
	u8 level;
	u8 bit;	    /* or BIT_MAXPHY */
	bool not_p; /* also P=0: the reserved bit must not matter */
};

static const struct rsvd_case rsvd_32_4m[] = {{0, 21, false}};
static const struct rsvd_case rsvd_pae_4k[] = {
	{1, BIT_MAXPHY, false}, {1, 52, false}, {1, 62, false},
	{2, BIT_MAXPHY, false}, {2, 52, false}, {2, 62, false},
	{2, BIT_MAXPHY, true},
};
static const struct rsvd_case rsvd_pae_2m[] = {
	{1, 13, false}, {1, 20, false}, {1, BIT_MAXPHY, false},
	{1, 52, false}, {1, 62, false},
};
/* 4-level: bits 62:52 are ignored, not reserved; PS is reserved in a
 * PML4E, and in a PDPTE that points to a PD it makes a 1 GiB page whose
 * bits 29:13 (the PD's address) are reserved, or is itself reserved. */
static const struct rsvd_case rsvd_lm_4k[] = {
	{0, 7, false},		{0, BIT_MAXPHY, false}, {0, 51, false},
	{0, 52, false},		{1, 7, false},		{1, BIT_MAXPHY, false},
	{1, 51, false},		{2, BIT_MAXPHY, false}, {2, 51, false},
	{3, BIT_MAXPHY, false}, {3, 51, false},		{3, 52, false},
	{3, 62, false},		{3, BIT_MAXPHY, true},
};
static const struct rsvd_case rsvd_lm_2m[] = {
	{2, 13, false},
	{2, 20, false},
	{2, BIT_MAXPHY, false},
	{2, 52, false},
};
static const struct rsvd_case rsvd_lm_1g[] = {
	{1, 13, false},
	{1, 29, false},
	{1, BIT_MAXPHY, false},
	{1, 52, false},
};

/* Reserved (and ignored) bits: one line per case. */
static void reserved(const struct target *t, const struct rsvd_case *rc, u32 n)
{
	struct path_cfg c;
	u32 i, bit;

	for (i = 0; i < n; i++) {
		bit = rc[i].bit == BIT_MAXPHY ? cpu.maxphy : rc[i].bit;
		if (rc[i].bit == BIT_MAXPHY && bit >= PAGING_ADDR_BITS_MAX)
			continue;
		cfg_init(&c);
		c.set[rc[i].level] = 1ull << bit;
		if (rc[i].not_p)
			c.clear[rc[i].level] = PTE_P;
		line_start("%s rsvd L%u b%u%s", t->name, rc[i].level, bit,
			   rc[i].not_p ? " np" : "");
		add_rwx_both(t, &c, true);
		line_emit();
	}
	path_reset(t);
}

struct nx0_case {
	const char *name;
	int level; /* from the leaf: 0 leaf, 1 the entry above, ... */
	u8 rights;
};

/* EFER.NXE=0: XD is a reserved bit; fetch faults have no I/D bit. */
static const struct nx0_case nx0_cases[] = {
	{"xd-leaf", 0, RT_ALL | RT_N}, {"xd-up", 1, RT_ALL | RT_N},
	{"xd-top", 3, RT_ALL | RT_N},  {"s-leaf", 0, RT_W},
	{"ro-leaf", 0, RT_U},
};

static void nx0(const struct target *t)
{
	struct path_cfg c;
	u32 i;
	int lvl;

	for (i = 0; i < ARRAY_SIZE(nx0_cases); i++) {
		lvl = (int)t->levels - 1 - nx0_cases[i].level;
		if (lvl < (int)t->first)
			continue;
		cfg_init(&c);
		c.rights[lvl] = nx0_cases[i].rights;
		line_start("%s nx0 %s", t->name, nx0_cases[i].name);
		add_rwx_both(t, &c, false);
		line_emit();
	}
}

/* 4-level, above the matrix's upper level: R/W=0, U/S=0 or XD=1 in the
 * PML4E or the PDPTE, at CPL 0/3 with WP 0/1. */
static void higher_levels(const struct target *t)
{
	static const u8 restrict_to[] = {RT_U, RT_W, RT_ALL | RT_N};
	struct path_cfg c;
	u32 lvl, i, wp;
	char rn[4];

	for (lvl = 0; lvl + 2 < t->levels; lvl++)
		for (i = 0; i < ARRAY_SIZE(restrict_to); i++) {
			cfg_init(&c);
			c.rights[lvl] = restrict_to[i];
			line_start("%s hi L%u=%s", t->name, lvl,
				   rights_name(restrict_to[i], true, rn));
			for (wp = 0; wp < 2; wp++) {
				set_wp(wp);
				line_add(" wp%u", wp);
				add_rwx_both(t, &c, false);
			}
			line_emit();
		}
	set_wp(true);
}

/* One access of a sequence, without touching the path. */
static void step(const struct target *t, u32 kind, u32 cpl, const char *pre)
{
	struct probe_res r;

	probe(t, kind, cpl, &r);
	add_full(pre, t, &r);
}

/* D: set by a write after a read cached the translation; A=1 D=0. */
static void seq_dirty(const struct target *t)
{
	struct path_cfg c;
	u32 leaf = t->levels - 1;

	set_wp(true);
	line_start("%s seq dirty", t->name);
	cfg_init(&c);
	path_write(t, &c);
	flush_va(t);
	step(t, ACC_READ, 0, " c0r:");
	step(t, ACC_WRITE, 0, " c0w:");
	step(t, ACC_WRITE, 3, " c3w:");
	c.set[leaf] = PTE_A;
	path_write(t, &c);
	flush_va(t);
	step(t, ACC_WRITE, 3, " a1 c3w:");
	c.set[leaf] = PTE_A | PTE_D;
	c.rights[leaf] = RT_U;
	path_write(t, &c);
	flush_va(t);
	step(t, ACC_WRITE, 3, " ad-ro c3w:");
	line_emit();
}

/* A user read-only page with CR0.WP=0, then WP toggled without a flush. */
static void seq_wp(const struct target *t)
{
	struct path_cfg c;

	line_start("%s seq wp", t->name);
	cfg_init(&c);
	c.rights[t->levels - 1] = RT_U;
	path_write(t, &c);
	flush_va(t);
	set_wp(false);
	step(t, ACC_WRITE, 0, " wp0 c0w:");
	step(t, ACC_WRITE, 3, " c3w:");
	step(t, ACC_READ, 3, " c3r:");
	step(t, ACC_WRITE, 0, " c0w:");
	set_wp(true);
	step(t, ACC_WRITE, 0, " wp1 c0w:");
	step(t, ACC_READ, 3, " c3r:");
	set_wp(false);
	step(t, ACC_WRITE, 0, " wp0 c0w:");
	set_wp(true);
	line_emit();
}

/*
 * Entries changed without an invalidation: not present to present (the
 * processor caches no not-present translation, SDM 4.10.2.3), and read-only
 * to writable (SDM 4.10.4.3 allows one spurious #PF; Bochs walks again).
 */
static void seq_lazy(const struct target *t)
{
	struct path_cfg c;
	u32 leaf = t->levels - 1;

	line_start("%s seq lazy", t->name);
	cfg_init(&c);
	c.clear[leaf] = PTE_P;
	path_write(t, &c);
	flush_va(t);
	step(t, ACC_READ, 0, " np c0r:");
	c.clear[leaf] = 0;
	path_write(t, &c);
	step(t, ACC_READ, 0, " p c0r:");
	c.rights[leaf] = RT_U;
	path_write(t, &c);
	flush_va(t);
	step(t, ACC_READ, 3, " ro c3r:");
	c.rights[leaf] = RT_ALL;
	path_write(t, &c);
	step(t, ACC_WRITE, 3, " rw c3w:");
	line_emit();
}

static void sequences(const struct target *t)
{
	seq_dirty(t);
	seq_wp(t);
	seq_lazy(t);
}

/* ---- PAE PDPTEs: loaded with CR3, reserved bits #GP there ------------- */

static volatile u32 cr3_to_load;

static void load_cr3(void)
{
	write_cr3(cr3_to_load);
}

static void enable_paging(void)
{
	write_cr0(read_cr0() | X86_CR0_PG);
}

static void vector_str(int vec, char *buf, u32 size)
{
	if (vec < 0)
		gsnprintf(buf, size, "ok");
	else
		gsnprintf(buf, size, "v%u/%x", vec, last_trap.error);
}

/* MOV to CR3 with one reserved bit in the PDPTE, then with it and P=0. */
static void pdpte_reserved(const struct target *t)
{
	static const u8 bits[] = {1, 2, 5, 6, 7, 8, BIT_MAXPHY, 62, 63};
	u64 good = t->val[0];
	u32 i, bit;
	char v[16];

	line_start("%s pdpte rsvd", t->name);
	cr3_to_load = pgm_read_cr3();
	for (i = 0; i < ARRAY_SIZE(bits); i++) {
		bit = bits[i] == BIT_MAXPHY ? cpu.maxphy : bits[i];
		ent_write(t, 0, good | 1ull << bit);
		vector_str(expect_fault(load_cr3), v, sizeof(v));
		line_add(" b%u:%s", bit, v);
		ent_write(t, 0, good);
		flush_all();
	}
	ent_write(t, 0, (good & ~PTE_P) | 1ull << 1 | 1ull << 63);
	vector_str(expect_fault(load_cr3), v, sizeof(v));
	line_add(" np:%s", v);
	ent_write(t, 0, good);
	flush_all();
	line_emit();
}

/* Setting CR0.PG loads the PDPTEs too: a reserved bit is a #GP there. */
static void pdpte_paging_on(const struct target *t)
{
	char v[16];
	int vec;

	line_start("%s pdpte pg-on", t->name);
	paging_off();
	ent_write(t, 0, t->val[0] | PTE_RW);
	vec = expect_fault(enable_paging);
	vector_str(vec, v, sizeof(v));
	line_add(" b1:%s pg=%u", v, !!(read_cr0() & X86_CR0_PG));
	ent_write(t, 0, t->val[0]);
	if (!(read_cr0() & X86_CR0_PG))
		enable_paging();
	flush_all();
	line_emit();
}

/* The PDPTE registers keep the old entry until CR3 is loaded. */
static void pdpte_cached(const struct target *t)
{
	line_start("%s pdpte cached", t->name);
	path_reset(t);
	step(t, ACC_READ, 0, " c0r:");
	ent_write(t, 0, t->val[0] & ~PTE_P);
	flush_va(t);
	step(t, ACC_READ, 0, " np-invlpg c0r:");
	flush_all();
	step(t, ACC_READ, 0, " np-cr3 c0r:");
	ent_write(t, 0, t->val[0]);
	step(t, ACC_READ, 0, " p c0r:");
	flush_all();
	step(t, ACC_READ, 0, " p-cr3 c0r:");
	line_emit();
}

/* ---- page tables and targets ------------------------------------------- */

static const struct target t32_4k = {
	.name = "32-4k",
	.va = VA32_4K,
	.levels = 2,
	.ent = {&pd32[256], &pt32_t[0]},
	.val = {ENT(pt32_t, PTE_P), TARGET_FRAME | PTE_P},
};
static const struct target t32_ps0 = {
	.name = "32-ps0",
	.va = VA32_PS0,
	.levels = 2,
	.ent = {&pd32[257], &pt32_t[0]},
	.val = {ENT(pt32_t, PTE_P | PTE_PS), TARGET_FRAME | PTE_P},
};
static const struct target t32_4m = {
	.name = "32-4m",
	.va = VA32_4M,
	.levels = 1,
	.ent = {&pd32[258]},
	.val = {LARGE_PA | PTE_P | PTE_PS},
};
static const struct target tpae_4k = {
	.name = "pae-4k",
	.va = VAPAE_4K,
	.levels = 3,
	.first = 1,
	.wide = true,
	.ent = {&pdpt_pae[1], &pd_t[0], &pt_t[0]},
	.val = {ENT(pd_t, PTE_P), ENT(pt_t, PTE_P), TARGET_FRAME | PTE_P},
};
static const struct target tpae_2m = {
	.name = "pae-2m",
	.va = VAPAE_2M,
	.levels = 2,
	.first = 1,
	.wide = true,
	.ent = {&pdpt_pae[1], &pd_t[1]},
	.val = {ENT(pd_t, PTE_P), LARGE_PA | PTE_P | PTE_PS},
};
/* 4-level, from compatibility mode: PML4E 0 is the identity map's. */
static const struct target tcompat_4k = {
	.name = "cm-4k",
	.va = VACOMPAT_4K,
	.levels = 3,
	.wide = true,
	.ent = {&pdpt_id[3], &pd_t[0], &pt_t[0]},
	.val = {ENT(pd_t, PTE_P), ENT(pt_t, PTE_P), TARGET_FRAME | PTE_P},
};
static const struct target tlm_4k = {
	.name = "4l-4k",
	.va = VALM_4K,
	.levels = 4,
	.wide = true,
	.lm64 = true,
	.ent = {&pml4[511], &pdpt_lt[0], &pd_lt[0], &pt_lt[0]},
	.val = {ENT(pdpt_lt, PTE_P), ENT(pd_lt, PTE_P), ENT(pt_lt, PTE_P),
		TARGET_FRAME | PTE_P},
};
static const struct target tlm_2m = {
	.name = "4l-2m",
	.va = VALM_2M,
	.levels = 3,
	.wide = true,
	.lm64 = true,
	.ent = {&pml4[511], &pdpt_lt[0], &pd_lt[1]},
	.val = {ENT(pdpt_lt, PTE_P), ENT(pd_lt, PTE_P),
		LARGE_PA | PTE_P | PTE_PS},
};
static const struct target tlm_1g = {
	.name = "4l-1g",
	.va = VALM_1G,
	.levels = 2,
	.wide = true,
	.lm64 = true,
	.ent = {&pml4[511], &pdpt_lt[1]},
	.val = {ENT(pdpt_lt, PTE_P), PTE_P | PTE_PS},
};

#define ID_FLAGS (PTE_P | PTE_RW | PTE_US)

/* The first 4 MiB identity-mapped, user-accessible, in every mode. */
static void build_identity_maps(void)
{
	u32 i;

	for (i = 0; i < PT32_ENTRIES; i++) {
		pt32_id[i] = i * PAGE_SIZE | ID_FLAGS;
		pt_id[i / PT64_ENTRIES][i % PT64_ENTRIES] =
			i * PAGE_SIZE | ID_FLAGS;
	}
	pd32[0] = (u32)pt32_id | ID_FLAGS;
	pd_id[0] = (u32)pt_id[0] | ID_FLAGS;
	pd_id[1] = (u32)pt_id[1] | ID_FLAGS;
	pdpt_pae[0] = (u32)pd_id | PTE_P;
	pdpt_id[0] = (u32)pd_id | ID_FLAGS;
	pml4[0] = (u32)pdpt_id | ID_FLAGS;
}

static const struct target *const all_targets[] = {
	&t32_4k,     &t32_ps0, &t32_4m, &tpae_4k, &tpae_2m,
	&tcompat_4k, &tlm_4k,  &tlm_2m, &tlm_1g,
};

/* Every target's default path, before paging is on: a PAE PDPTE must be
 * right when CR3 is loaded, as INVLPG does not reload it. */
static void paths_init(void)
{
	struct path_cfg c;
	u32 i;

	cfg_init(&c);
	for (i = 0; i < ARRAY_SIZE(all_targets); i++)
		path_write(all_targets[i], &c);
}

/* The byte every probe reads, writes or calls (paging off). */
static void prepare_target(void)
{
	*(volatile u8 *)TARGET_PA = RET_OPCODE;
}

/* ---- the modes ------------------------------------------------------- */

static void mode_32bit(void)
{
	paging_on((u32)pd32, CR4_PSE, CR4_PAE);
	matrix(&t32_4k, false, true);
	matrix(&t32_4m, false, false);
	not_present(&t32_4k);
	not_present(&t32_4m);
	reserved(&t32_4m, rsvd_32_4m, ARRAY_SIZE(rsvd_32_4m));
	sequences(&t32_4k);
	sequences(&t32_4m);
	paging_off();

	/* PS in a PDE means nothing without CR4.PSE. */
	paging_on((u32)pd32, 0, CR4_PSE | CR4_PAE);
	matrix(&t32_ps0, false, false);
	not_present(&t32_ps0);
	seq_dirty(&t32_ps0);
	paging_off();
}

static void mode_pae(void)
{
	efer_update(EFER_NXE, 0);
	paging_on((u32)pdpt_pae, CR4_PAE, 0);
	matrix(&tpae_4k, true, true);
	matrix(&tpae_2m, true, true);
	not_present(&tpae_4k);
	not_present(&tpae_2m);
	reserved(&tpae_4k, rsvd_pae_4k, ARRAY_SIZE(rsvd_pae_4k));
	reserved(&tpae_2m, rsvd_pae_2m, ARRAY_SIZE(rsvd_pae_2m));
	pdpte_reserved(&tpae_4k);
	pdpte_paging_on(&tpae_4k);
	pdpte_cached(&tpae_4k);
	sequences(&tpae_4k);
	sequences(&tpae_2m);

	/* NXE off with paging on: XD becomes a reserved bit. */
	efer_update(0, EFER_NXE);
	flush_all();
	nx0(&tpae_4k);
	nx0(&tpae_2m);
	paging_off();
	write_cr4(read_cr4() & ~CR4_PAE);
}

/* CR0.PG with EFER.LME=1: IA-32e mode, still running 32-bit code. */
static bool enter_4level(bool nxe)
{
	write_cr4(read_cr4() | CR4_PAE);
	write_cr3((u32)pml4);
	efer_update(EFER_LME | (nxe ? EFER_NXE : 0), nxe ? 0 : EFER_NXE);
	write_cr0(read_cr0() | X86_CR0_PG);
	if (!check(pgm_rdmsr(MSR_IA32_EFER) & EFER_LMA,
		   "CR0.PG with EFER.LME=1 sets EFER.LMA"))
		return false;
	trap_enter_ia32e();
	return true;
}

/* Clear CR0.PG in compatibility mode, then EFER.LME. */
static void leave_4level(void)
{
	paging_off();
	check(!(pgm_rdmsr(MSR_IA32_EFER) & EFER_LMA),
	      "clearing CR0.PG clears EFER.LMA");
	trap_leave_ia32e();
	efer_update(0, EFER_LME | EFER_NXE);
	write_cr4(read_cr4() & ~CR4_PAE);
}

static void mode_4level(void)
{
	const struct target *const large[] = {&tlm_2m, &tlm_1g};
	u32 i, nlarge = cpu.page1gb ? 2 : 1;

	if (!enter_4level(true))
		return;
	matrix(&tlm_4k, true, true);
	for (i = 0; i < nlarge; i++)
		matrix(large[i], true, true);
	matrix(&tcompat_4k, true, false);
	higher_levels(&tlm_4k);
	not_present(&tlm_4k);
	reserved(&tlm_4k, rsvd_lm_4k, ARRAY_SIZE(rsvd_lm_4k));
	reserved(&tlm_2m, rsvd_lm_2m, ARRAY_SIZE(rsvd_lm_2m));
	if (cpu.page1gb)
		reserved(&tlm_1g, rsvd_lm_1g, ARRAY_SIZE(rsvd_lm_1g));
	sequences(&tlm_4k);
	for (i = 0; i < nlarge; i++)
		sequences(large[i]);
	leave_4level();

	/* A second visit, with NXE=0 from the start. */
	if (!enter_4level(false))
		return;
	nx0(&tlm_4k);
	nx0(large[nlarge - 1]);
	leave_4level();
}

/* After IA-32e mode: 32-bit paging and the 32-bit IDT and TSS again. */
static void mode_32bit_again(void)
{
	paging_on((u32)pd32, CR4_PSE, CR4_PAE);
	not_present(&t32_4k);
	sequences(&t32_4m);
	paging_off();
}

u32 guest_main(u32 magic, u32 info)
{
	(void)magic;
	(void)info;
	trap_init();
	cpu_probe();
	gprintf("M key: leaf rs(x) ws(x) ru(x) wu(x) rsn wsn run wun; token "
		"#PF error (-- none), digit A+2D+4upA, *N repeat; full: "
		"error.mask\n");
	if (!checkf((u32)_image_end <= IDMAP_SIZE,
		    "the image ends at %p, inside the identity map",
		    _image_end) ||
	    !check(cpu.pse && cpu.pae, "CPUID offers PSE and PAE"))
		guest_poweroff(report());
	build_identity_maps();
	paths_init();
	prepare_target();
	mode_32bit();
	mode_pae();
	if (cpu.lm && cpu.nx)
		mode_4level();
	else
		gprintf("M 4-level paging skipped: lm=%d nx=%d\n", cpu.lm,
			cpu.nx);
	mode_32bit_again();
	check_eq(bad_values, 0,
		 "every completed read returned the target byte");
	check_eq(read_cr0() & X86_CR0_PG, 0, "paging is off at the end");
	gprintf("M done groups=%u\n", groups);
	guest_poweroff(report());
}
