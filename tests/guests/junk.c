// SPDX-License-Identifier: MIT
/*
 * junk: a guest that throws junk at the virtual platform
 * (docs/platform.md) while Shade and a neighbour partition must stay
 * healthy (tests/integration/platform-junk.sh). A seeded xorshift
 * generator makes every run the same; "-- rounds=N seed=S" sizes it.
 *
 *  1. xAPIC page: every register slot at every width (1, 2, 4, 8 bytes),
 *     aligned and not, read and written with random values, then random
 *     accesses by eleven of the instruction forms the emulator knows (MOV
 *     load and store, MOVZX, OR, AND, XCHG, TEST, INC, CMPXCHG,
 *     CMPXCHG8B, STOS), interrupts off.
 *  2. MSRs: every x2APIC MSR (0x800-0x8ff) read and written with random
 *     values, and IA32_APIC_BASE moved between disabled, xAPIC and x2APIC
 *     at random, each #GP caught and compared with the SDM's rules
 *     (x2APIC MSRs fault outside x2APIC mode; read-only and absent
 *     registers fault; invalid mode transitions and reserved bits fault).
 *     In x2APIC mode the xAPIC page is unassigned: it reads all ones.
 *  3. Legacy ports: random bytes, words and dwords to the 8259s, the PIT,
 *     port 0x61, the keyboard data port, the RTC, the ELCR and the ACPI PM
 *     blocks (never SLP_EN, never the reset ports 0xcf9, 0x64 and 0x92);
 *     PCI configuration data (0xcfc) reads all ones.
 *  4. Unassigned device memory (the I/O APIC and HPET pages, 0xe0000000,
 *     just above RAM, just above the APIC page, the top page, and more
 *     pages than Shade logs): the same eleven forms, reads all ones,
 *     writes vanish.
 *  5. Then the platform must still work: the APIC, reset through
 *     IA32_APIC_BASE, is in its power-up state and has nothing pending;
 *     self-IPIs with random vectors (interrupts on, the IDT of lib/apic.c
 *     that counts and EOIs vectors 32-255) arrive once each, in priority
 *     order, held back by TPR; in x2APIC mode through SELF IPI and the
 *     ICR MSR; the APIC timer fires in one-shot, periodic and
 *     TSC-deadline mode; the PIT reaches vCPU 0 through the 8259 and
 *     LINT0 (ExtINT).
 *
 * Exits with the number of failed checks. Never run it bare on a machine.
 *
 * About 1000 lines: one guest, because the point is that every kind of
 * junk hits the same partition in one boot, and the platform checks at
 * the end must run after all of it.
 */
#include "guest.h"
#include "apic.h"
#include "dlog.h"

#define DEFAULT_ROUNDS 200
#define DEFAULT_SEED   0x5eed
#define MAX_REPORTED   8 /* FAIL lines per kind of mismatch */

#define PAGE		  0x1000u
#define LVT_EXTINT	  (7u << 8)
#define LVT_NMI		  (4u << 8)
#define MSR_X2APIC_FIRST  0x800
#define MSR_X2APIC_LAST	  0x8ff
#define APIC_BASE_DEFAULT 0xfee00000ull

#define PIC1		     0x20
#define PIC2		     0xa0
#define PIC_EOI		     0x20
#define PIC_BASE	     0x30 /* vectors 0x30-0x3f during the PIT test */
#define PIT_CH0		     0x40
#define PIT_CMD		     0x43
#define PIT_HZ		     1193182u
#define ELCR1		     0x4d0
#define ELCR2		     0x4d1
#define PM1_CNT_SLP_EN_BYTE1 0x20 /* SLP_EN: bit 13, bit 5 of port 0x605 */
#define PCI_CONFIG_DATA	     0xcfc

#define FIRST_VECTOR 32 /* lib/apic.c's first stub */
#define NVECTORS     256

static u32 rng;
static u32 rounds;
static struct partition_info pi;

/* ---- interrupts: lib/apic.c counts, this file's handler EOIs ------------ */

static volatile u32 order[64]; /* vectors in the order they arrived */
static volatile u32 norder;
static volatile bool pic_active; /* vectors PIC_BASE.. also get a PIC EOI */

static volatile u32 *const counts = apic_irq_count[0];

static void junk_handler(u32 cpu, u32 vector)
{
	(void)cpu;
	order[norder++ % ARRAY_SIZE(order)] = vector;
	if (pic_active && vector >= PIC_BASE && vector < PIC_BASE + 16) {
		if (vector >= PIC_BASE + 8)
			outb(PIC2, PIC_EOI);
		outb(PIC1, PIC_EOI);
	}
	apic_eoi();
}

static void install_handlers(void)
{
	apic_irq_init();
	for (u32 v = FIRST_VECTOR; v < NVECTORS; v++)
		apic_set_handler(v, junk_handler);
}

/* Spin with interrupts as they are until *p >= want or us pass. */
static bool wait_count(volatile u32 *p, u32 want, u32 us)
{
	u64 t0 = apic_rdtsc(), limit = apic_tsc_us(us);

	while (*p < want && apic_rdtsc() - t0 < limit)
		cpu_relax();
	return *p >= want;
}

static void clear_counts(void)
{
	for (u32 v = 0; v < NVECTORS; v++)
		counts[v] = 0;
	norder = 0;
}

static u32 total_count(void)
{
	u32 n = 0;

	for (u32 v = 0; v < NVECTORS; v++)
		n += counts[v];
	return n;
}

static u32 rnd(void)
{
	return dlog_rand(&rng);
}

/* A random vector lib/apic.c counts: 32-255 but 0x80 (trap.c's ring-3
 * return gate). */
static u8 random_vector(void)
{
	u8 v;

	do
		v = (u8)(FIRST_VECTOR + rnd() % (NVECTORS - FIRST_VECTOR));
	while (v == VEC_USER_RETURN);
	return v;
}

/* ---- device memory accesses, by instruction form ---------------------- */

enum op {
	OP_LOAD,
	OP_STORE,
	OP_MOVZX,
	OP_OR,
	OP_AND,
	OP_XCHG,
	OP_TEST,
	OP_INC,
	OP_CMPXCHG,
	OP_STOS,
	OP_CMPXCHG8B,
	OP_COUNT,
};

static const char *const op_names[OP_COUNT] = {
	"mov load", "mov store", "movzx",   "or",   "and",	 "xchg",
	"test",	    "inc",	 "cmpxchg", "stos", "cmpxchg8b",
};

/* Does the form return the device's value in a register? */
static bool op_reads(enum op k)
{
	return k == OP_LOAD || k == OP_MOVZX || k == OP_XCHG ||
	       k == OP_CMPXCHG || k == OP_CMPXCHG8B;
}

/* All ones in the low w bytes. */
static u64 ones(u32 w)
{
	return w >= 8 ? ~0ull : (1ull << (8 * w)) - 1;
}

static u32 op_load(u32 a, u32 w)
{
	u32 v = 0;

	if (w == 1)
		asm volatile("movb (%1), %b0" : "+q"(v) : "r"(a) : "memory");
	else if (w == 2)
		asm volatile("movw (%1), %w0" : "+r"(v) : "r"(a) : "memory");
	else
		asm volatile("movl (%1), %0" : "=r"(v) : "r"(a) : "memory");
	return v;
}

static void op_store(u32 a, u32 w, u32 v)
{
	if (w == 1)
		asm volatile("movb %b0, (%1)" : : "q"(v), "r"(a) : "memory");
	else if (w == 2)
		asm volatile("movw %w0, (%1)" : : "r"(v), "r"(a) : "memory");
	else
		asm volatile("movl %0, (%1)" : : "r"(v), "r"(a) : "memory");
}

static u32 op_movzx(u32 a, u32 w)
{
	u32 v;

	if (w == 1)
		asm volatile("movzbl (%1), %0" : "=r"(v) : "r"(a) : "memory");
	else if (w == 2)
		asm volatile("movzwl (%1), %0" : "=r"(v) : "r"(a) : "memory");
	else
		v = op_load(a, 4);
	return v;
}

static void op_or(u32 a, u32 w, u32 v)
{
	if (w == 1)
		asm volatile("orb %b0, (%1)"
			     :
			     : "q"(v), "r"(a)
			     : "memory", "cc");
	else if (w == 2)
		asm volatile("orw %w0, (%1)"
			     :
			     : "r"(v), "r"(a)
			     : "memory", "cc");
	else
		asm volatile("orl %0, (%1)"
			     :
			     : "r"(v), "r"(a)
			     : "memory", "cc");
}

static void op_and(u32 a, u32 w, u32 v)
{
	if (w == 1)
		asm volatile("andb %b0, (%1)"
			     :
			     : "q"(v), "r"(a)
			     : "memory", "cc");
	else if (w == 2)
		asm volatile("andw %w0, (%1)"
			     :
			     : "r"(v), "r"(a)
			     : "memory", "cc");
	else
		asm volatile("andl %0, (%1)"
			     :
			     : "r"(v), "r"(a)
			     : "memory", "cc");
}

/* XCHG: returns the register afterwards (the old memory value in its
 * low w bytes, v's other bytes unchanged). */
static u32 op_xchg(u32 a, u32 w, u32 v)
{
	if (w == 1)
		asm volatile("xchgb %b0, (%1)" : "+q"(v) : "r"(a) : "memory");
	else if (w == 2)
		asm volatile("xchgw %w0, (%1)" : "+r"(v) : "r"(a) : "memory");
	else
		asm volatile("xchgl %0, (%1)" : "+r"(v) : "r"(a) : "memory");
	return v;
}

static void op_test(u32 a, u32 w, u32 v)
{
	if (w == 1)
		asm volatile("testb %b0, (%1)"
			     :
			     : "q"(v), "r"(a)
			     : "memory", "cc");
	else if (w == 2)
		asm volatile("testw %w0, (%1)"
			     :
			     : "r"(v), "r"(a)
			     : "memory", "cc");
	else
		asm volatile("testl %0, (%1)"
			     :
			     : "r"(v), "r"(a)
			     : "memory", "cc");
}

static void op_inc(u32 a, u32 w)
{
	if (w == 1)
		asm volatile("incb (%0)" : : "r"(a) : "memory", "cc");
	else if (w == 2)
		asm volatile("incw (%0)" : : "r"(a) : "memory", "cc");
	else
		asm volatile("incl (%0)" : : "r"(a) : "memory", "cc");
}

/* LOCK CMPXCHG with EAX = 0: returns EAX afterwards (the memory value
 * when it was not 0). */
static u32 op_cmpxchg(u32 a, u32 w, u32 v)
{
	u32 acc = 0;

	if (w == 1)
		asm volatile("lock cmpxchgb %b2, (%1)"
			     : "+a"(acc)
			     : "r"(a), "q"(v)
			     : "memory", "cc");
	else if (w == 2)
		asm volatile("lock cmpxchgw %w2, (%1)"
			     : "+a"(acc)
			     : "r"(a), "r"(v)
			     : "memory", "cc");
	else
		asm volatile("lock cmpxchgl %2, (%1)"
			     : "+a"(acc)
			     : "r"(a), "r"(v)
			     : "memory", "cc");
	return acc;
}

/* LOCK CMPXCHG8B with EDX:EAX = 0: an 8-byte access. */
static u64 op_cmpxchg8b(u32 a, u32 v)
{
	u64 acc = 0;

	asm volatile("lock cmpxchg8b (%1)"
		     : "+A"(acc)
		     : "S"(a), "b"(v), "c"(~v)
		     : "memory", "cc");
	return acc;
}

static void op_stos(u32 a, u32 w, u32 v)
{
	if (w == 1)
		asm volatile("cld; stosb" : "+D"(a) : "a"(v) : "memory");
	else if (w == 2)
		asm volatile("cld; stosw" : "+D"(a) : "a"(v) : "memory");
	else
		asm volatile("cld; stosl" : "+D"(a) : "a"(v) : "memory");
}

/* One access of form k, w bytes (8 for CMPXCHG8B) at a; returns the
 * value it read into a register (0 for the forms that read none). */
static u64 mmio_op(enum op k, u32 a, u32 w, u32 v)
{
	switch (k) {
	case OP_LOAD:
		return op_load(a, w);
	case OP_STORE:
		op_store(a, w, v);
		return 0;
	case OP_MOVZX:
		return op_movzx(a, w);
	case OP_OR:
		op_or(a, w, v);
		return 0;
	case OP_AND:
		op_and(a, w, v);
		return 0;
	case OP_XCHG:
		return op_xchg(a, w, v);
	case OP_TEST:
		op_test(a, w, v);
		return 0;
	case OP_INC:
		op_inc(a, w);
		return 0;
	case OP_CMPXCHG:
		return op_cmpxchg(a, w, v);
	case OP_STOS:
		op_stos(a, w, v);
		return 0;
	default:
		return op_cmpxchg8b(a, v);
	}
}

/* A random form and width; *w is set (8 for CMPXCHG8B). */
static enum op random_op(u32 *w)
{
	static const u32 widths[] = {1, 2, 4};
	enum op k = (enum op)(rnd() % OP_COUNT);

	*w = k == OP_CMPXCHG8B ? 8 : widths[rnd() % 3];
	return k;
}

/* ---- 1. the xAPIC page ------------------------------------------------- */

static void xapic_sweep(void)
{
	for (u32 slot = 0; slot < PAGE; slot += 16) {
		u32 a = XAPIC_BASE + slot;

		for (u32 b = 0; b < 4; b++)
			(void)op_load(a + b, 1);
		(void)op_load(a + 4 + rnd() % 12, 1);
		(void)op_load(a, 2);
		(void)op_load(a + 1, 2);
		(void)op_load(a + 2, 2);
		(void)op_load(a, 4);
		(void)op_load(a + 1 + rnd() % 3, 4);
		(void)op_cmpxchg8b(a, rnd());
		op_store(a, 1, rnd());
		op_store(a + 2, 2, rnd());
		op_store(a + 1, 4, rnd());
		op_store(a, 4, rnd());
	}
}

static void xapic_random(void)
{
	for (u32 i = 0; i < rounds; i++) {
		u32 w;
		enum op k = random_op(&w);
		u32 off = rnd() % (PAGE - w + 1);

		(void)mmio_op(k, XAPIC_BASE + off, w, rnd());
	}
}

static void phase_xapic(void)
{
	u32 version = xapic_read(APIC_VERSION);
	u32 id = xapic_read(APIC_ID);

	checkf((version & 0xff) >= 0x10 && (version & 0xff) <= 0x15 &&
		       ((version >> 16) & 0xff) >= 5,
	       "xAPIC version register 0x%x: an integrated APIC, 6+ LVT "
	       "entries",
	       version);
	check_eq(id >> 24, 0, "xAPIC ID register: APIC ID 0 on vCPU 0");
	/* One of each message Shade drops, so that their log lines are
	 * certain: INIT and NMI to self. */
	xapic_write(APIC_ICR_HIGH, 0);
	xapic_write(APIC_ICR_LOW, ICR_SH_SELF | ICR_DM_INIT);
	xapic_write(APIC_ICR_LOW, ICR_SH_SELF | ICR_DM_NMI);
	xapic_sweep();
	xapic_random();
	check_eq(xapic_read(APIC_VERSION), version,
		 "xAPIC page: every register slot and width, and random "
		 "accesses by 11 instruction forms; the version register "
		 "is unchanged");
}

/* ---- 2. MSRs ------------------------------------------------------------ */

/* Did RDMSR/WRMSR of msr (with val) raise #GP? Any other exception is a
 * failure of its own. */
static bool msr_faults(u32 msr, u64 val, bool write)
{
	u64 got;
	int vec = write ? apic_wrmsr_fault(msr, val)
			: apic_rdmsr_fault(msr, &got);

	if (vec >= 0 && vec != VEC_GP)
		failf("%s of MSR 0x%x raised vector %d, not #GP",
		      write ? "WRMSR" : "RDMSR", msr, vec);
	return vec >= 0;
}

/* SDM 3A table 10-6: the x2APIC MSRs that can be read, and written. */
static bool x2apic_readable(u32 msr)
{
	u32 r = msr - MSR_X2APIC_FIRST;

	return r == 0x2 || r == 0x3 || r == 0x8 || r == 0xa || r == 0xd ||
	       r == 0xf || (r >= 0x10 && r <= 0x28) || r == 0x2f || r == 0x30 ||
	       (r >= 0x32 && r <= 0x39) || r == 0x3e;
}

static bool x2apic_writable(u32 msr)
{
	u32 r = msr - MSR_X2APIC_FIRST;

	return r == 0x8 || r == 0xb || r == 0xf || r == 0x28 || r == 0x2f ||
	       r == 0x30 || (r >= 0x32 && r <= 0x38) || r == 0x3e || r == 0x3f;
}

enum apic_mode { MODE_DISABLED, MODE_XAPIC, MODE_X2APIC, MODE_INVALID };

static enum apic_mode mode_of(u64 base)
{
	if (!(base & APIC_BASE_EN))
		return base & APIC_BASE_EXTD ? MODE_INVALID : MODE_DISABLED;
	return base & APIC_BASE_EXTD ? MODE_X2APIC : MODE_XAPIC;
}

/* SDM 3A figure 10-27: the transitions IA32_APIC_BASE allows. */
static bool transition_ok(enum apic_mode from, enum apic_mode to)
{
	if (to == MODE_INVALID)
		return false;
	if (from == to || to == MODE_DISABLED)
		return true;
	return (from == MODE_DISABLED && to == MODE_XAPIC) ||
	       (from == MODE_XAPIC && to == MODE_X2APIC);
}

struct msr_stats {
	u32 bad_x2apic; /* x2APIC MSR access that did not follow the rules */
	u32 bad_base;	/* IA32_APIC_BASE write that did not */
	u32 bad_tsc_dl; /* IA32_TSC_DEADLINE write that faulted */
	u32 base_writes, x2_accesses;
};

static void mismatch(u32 *n, const char *what, u32 msr, u64 val, bool faulted)
{
	if (++*n <= MAX_REPORTED)
		failf("%s: MSR 0x%x value 0x%llx %s", what, msr, val,
		      faulted ? "raised #GP" : "did not raise #GP");
}

/* One x2APIC MSR access in mode m, checked against the SDM. */
static void x2apic_access(enum apic_mode m, u32 msr, bool write,
			  struct msr_stats *st)
{
	u64 val = (u64)rnd() << 32 | rnd();
	bool faulted, ok;

	/* Mostly 32-bit values: the upper half is reserved but for the
	 * ICR, and a write of anything there faults. */
	if (rnd() % 4)
		val &= 0xffffffffu;
	faulted = msr_faults(msr, val, write);
	st->x2_accesses++;
	if (m != MODE_X2APIC)
		ok = faulted; /* SDM 3A 10.12.1.2 */
	else if (!write)
		ok = faulted == !x2apic_readable(msr);
	else
		/* A writable register may still refuse reserved bits. */
		ok = faulted || x2apic_writable(msr);
	if (!ok)
		mismatch(&st->bad_x2apic,
			 m == MODE_X2APIC ? "x2APIC mode" : "not x2APIC mode",
			 msr, val, faulted);
}

/* A write of IA32_APIC_BASE: the default base with random mode bits, a
 * reserved bit now and then (must fault), or pure noise (unchecked). */
static void apic_base_write(enum apic_mode *m, struct msr_stats *st)
{
	static const u32 reserved[] = {0, 1, 2, 3, 4, 5, 6, 7, 9, 52, 63};
	u64 val = APIC_BASE_DEFAULT;
	u32 kind = rnd() % 8;
	enum apic_mode to;
	bool faulted, ok;
	u64 now;

	if (rnd() & 1)
		val |= APIC_BASE_EN;
	if (rnd() % 3 == 0)
		val |= APIC_BASE_EXTD;
	if (rnd() & 1)
		val |= APIC_BASE_BSP;
	if (kind == 0)
		val |= 1ull << reserved[rnd() % ARRAY_SIZE(reserved)];
	if (kind == 1)
		val = (u64)rnd() << 32 | rnd();
	to = mode_of(val);
	faulted = msr_faults(MSR_APIC_BASE, val, true);
	st->base_writes++;
	if (kind == 1) {
		if (!faulted)
			*m = to;
	} else {
		ok = kind != 0 && transition_ok(*m, to);
		if (faulted == ok)
			mismatch(&st->bad_base, "IA32_APIC_BASE", MSR_APIC_BASE,
				 val, faulted);
		if (!faulted)
			*m = to;
	}
	now = apic_rdmsr(MSR_APIC_BASE);
	if (mode_of(now) != *m)
		mismatch(&st->bad_base, "IA32_APIC_BASE mode read back",
			 MSR_APIC_BASE, now, faulted);
}

/* Back to xAPIC mode whatever the mode: through disabled, which resets
 * the APIC (SDM 3A 10.4.3). */
static void apic_to_xapic(void)
{
	apic_wrmsr(MSR_APIC_BASE, APIC_BASE_DEFAULT | APIC_BASE_BSP);
	apic_set_mode(false);
}

static void msr_sweep(enum apic_mode m, struct msr_stats *st)
{
	for (u32 msr = MSR_X2APIC_FIRST; msr <= MSR_X2APIC_LAST; msr++) {
		x2apic_access(m, msr, false, st);
		x2apic_access(m, msr, true, st);
	}
}

static void phase_msrs(void)
{
	struct msr_stats st = {0};
	enum apic_mode m = MODE_XAPIC;
	u32 got;

	msr_sweep(m, &st);
	check(!msr_faults(MSR_APIC_BASE,
			  APIC_BASE_DEFAULT | APIC_BASE_BSP | APIC_BASE_EN |
				  APIC_BASE_EXTD,
			  true),
	      "IA32_APIC_BASE: xAPIC to x2APIC mode");
	m = MODE_X2APIC;
	check_eq(apic_rdmsr(X2APIC_MSR(APIC_ID)), 0,
		 "x2APIC ID MSR: 0 on vCPU 0");
	check_eq(apic_rdmsr(X2APIC_MSR(APIC_LDR)), 1,
		 "x2APIC LDR MSR: cluster 0, bit 0");
	got = op_load(XAPIC_BASE, 4);
	check_eq(got, 0xffffffffu,
		 "x2APIC mode: the xAPIC page is unassigned, reads all ones");
	msr_sweep(m, &st);
	for (u32 i = 0; i < rounds * 4; i++) {
		u32 r = rnd() % 16;

		if (r == 0)
			apic_base_write(&m, &st);
		else if (r == 1 && msr_faults(MSR_TSC_DEADLINE,
					      apic_rdtsc() + rnd(), true))
			mismatch(&st.bad_tsc_dl, "IA32_TSC_DEADLINE",
				 MSR_TSC_DEADLINE, 0, true);
		else
			x2apic_access(m, MSR_X2APIC_FIRST + rnd() % 0x100,
				      rnd() & 1, &st);
	}
	apic_to_xapic();
	checkf(st.bad_x2apic == 0,
	       "x2APIC MSRs: %u accesses, #GP as the SDM says (outside "
	       "x2APIC mode, read-only and absent registers)",
	       st.x2_accesses);
	checkf(st.bad_base == 0,
	       "IA32_APIC_BASE: %u writes, #GP exactly for reserved bits and "
	       "invalid mode transitions",
	       st.base_writes);
	check_eq(st.bad_tsc_dl, 0, "IA32_TSC_DEADLINE: writes never fault");
}

/* ---- 3. legacy ports ---------------------------------------------------- */

struct port_range {
	u16 first, last;
};

/* Ranges an access may cover whole (never 0x64, 0x92, 0xcf9). */
static const struct port_range junk_ports[] = {
	{0x20, 0x21}, {0xa0, 0xa1},   {0x40, 0x43},   {0x60, 0x61},
	{0x70, 0x71}, {0x4d0, 0x4d1}, {0x600, 0x60b},
};

static void port_write(u16 port, u32 w, u32 v)
{
	/* SLP_EN is bit 5 of port 0x605: never set, no sleep state. */
	if (port <= 0x605 && 0x605 < port + w)
		v &= ~((u32)PM1_CNT_SLP_EN_BYTE1 << (8 * (0x605 - port)));
	if (w == 1)
		outb(port, (u8)v);
	else if (w == 2)
		outw(port, (u16)v);
	else
		outl(port, v);
}

static void port_read(u16 port, u32 w)
{
	if (w == 1)
		(void)inb(port);
	else if (w == 2)
		(void)inw(port);
	else
		(void)inl(port);
}

static void phase_ports(void)
{
	u32 pci_bad = 0;

	for (u32 i = 0; i < rounds * 4; i++) {
		const struct port_range *r =
			&junk_ports[rnd() % ARRAY_SIZE(junk_ports)];
		u32 w = 1u << (rnd() % 3);
		u16 port = r->first + rnd() % (r->last - r->first + 1);

		if (port + w - 1 > r->last)
			w = 1;
		if (rnd() & 1)
			port_write(port, w, rnd());
		else
			port_read(port, w);
		/* Status reads of the reset-capable ports are harmless. */
		if (i % 16 == 0) {
			(void)inb(0x64);
			(void)inb(0x92);
		}
		if (i % 8 == 0) {
			outl(PCI_CONFIG_DATA, rnd());
			pci_bad += inl(PCI_CONFIG_DATA) != 0xffffffffu;
		}
	}
	checkf(pci_bad == 0,
	       "legacy ports: %u random accesses; PCI config data 0xcfc "
	       "reads all ones (%u wrong)",
	       rounds * 4, pci_bad);
}

/* ---- 4. unassigned device memory --------------------------------------- */

struct unassigned_stats {
	u32 accesses, bad;
};

/* One access of form k; a value read must be all ones, and a read after
 * a write finds nothing written. */
static void unassigned_access(u32 a, enum op k, u32 w,
			      struct unassigned_stats *st)
{
	u32 v = rnd();
	u64 got = mmio_op(k, a, w, v), want = ones(w);
	bool ok = true;

	st->accesses++;
	if (k == OP_XCHG)
		ok = (got & want) == want;
	else if (op_reads(k))
		ok = got == want;
	if (ok && !op_reads(k))
		ok = op_load(a & ~3u, 4) == 0xffffffffu;
	if (!ok && ++st->bad <= MAX_REPORTED)
		failf("unassigned 0x%x: %s of %u bytes read 0x%llx", a,
		      op_names[k], w, got);
}

static void unassigned_page(u32 page, struct unassigned_stats *st)
{
	/* The first access is at the page's start: the address Shade logs. */
	unassigned_access(page, OP_LOAD, 4, st);
	for (u32 i = 0; i < rounds / 4 + 1; i++) {
		u32 w;
		enum op k = random_op(&w);

		unassigned_access(page + rnd() % (PAGE - w + 1), k, w, st);
	}
}

/* Pages Shade logs (16 per partition, vmm/mmio.c), then more that it
 * must not; 0xfee00000 was the first, in phase 2. */
#define FLOOD_BASE  0xd0000000u
#define FLOOD_PAGES 12

static void phase_unassigned(void)
{
	const u32 pages[] = {
		0xfec00000u,	   /* I/O APIC: Shade has none */
		0xfed00000u,	   /* HPET: none either */
		0xe0000000u,	   /* where PCI would put its windows */
		(u32)pi.mem_bytes, /* just above RAM */
		0xfee01000u,	   /* just above the APIC page */
		0xfffff000u,	   /* the top page (a PC's reset vector) */
		(u32)pi.mem_bytes + PAGE,
	};
	struct unassigned_stats st = {0};

	for (u32 i = 0; i < ARRAY_SIZE(pages); i++)
		unassigned_page(pages[i], &st);
	for (u32 i = 0; i < FLOOD_PAGES; i++)
		unassigned_access(FLOOD_BASE + i * PAGE, OP_LOAD, 4, &st);
	checkf(st.bad == 0,
	       "unassigned device memory: %u accesses by 11 instruction "
	       "forms, reads all ones, writes vanish",
	       st.accesses);
}

/* ---- 5. the platform still works ----------------------------------------- */

static bool regs_zero(u32 first)
{
	u32 any = 0;

	for (u32 i = 0; i < 8; i++)
		any |= apic_read(first + i * 16);
	return any == 0;
}

/* After the reset of apic_to_xapic(): SDM 3A 10.4.7.1's power-up state.
 * Then a BIOS's virtual-wire setup, with the PIC's line masked. */
static void apic_restore_check(void)
{
	u32 lvt_masked = 1;

	for (u32 r = APIC_LVT_TIMER; r <= APIC_LVT_ERROR; r += 16)
		lvt_masked &= apic_read(r) >> 16;
	checkf((apic_read(APIC_SVR) & SVR_ENABLE) == 0 && lvt_masked &&
		       apic_read(APIC_TPR) == 0 && regs_zero(APIC_IRR) &&
		       regs_zero(APIC_ISR) && apic_read(APIC_TIMER_ICR) == 0,
	       "APIC disabled and re-enabled in IA32_APIC_BASE: power-up "
	       "state (SVR 0x%x, nothing pending or in service)",
	       apic_read(APIC_SVR));
	apic_write(APIC_SVR, SVR_ENABLE | 0xff);
	apic_write(APIC_LVT_LINT0, LVT_EXTINT | LVT_MASKED);
	apic_write(APIC_LVT_LINT1, LVT_NMI);
	apic_write(APIC_ESR, 0);
	clear_counts();
	apic_sti();
	apic_delay_us(2000);
	apic_cli();
	check_eq(total_count(), 0, "no interrupt arrives after the reset");
}

static void self_ipi(u8 v)
{
	if (apic_is_x2apic())
		apic_write(APIC_SELF_IPI, v);
	else
		apic_write(APIC_ICR_LOW, ICR_SH_SELF | v);
}

/* One random vector at a time, interrupts on: each arrives once. */
static void ipi_singles(const char *how)
{
	u32 bad = 0;

	for (u32 i = 0; i < rounds; i++) {
		u8 v = random_vector();

		clear_counts();
		apic_sti();
		self_ipi(v);
		wait_count(&counts[v], 1, 1000);
		apic_cli();
		if ((counts[v] != 1 || total_count() != 1) &&
		    ++bad <= MAX_REPORTED)
			failf("%s: self-IPI vector 0x%x arrived %u times (%u "
			      "interrupts in all)",
			      how, v, counts[v], total_count());
	}
	checkf(bad == 0, "%s: %u self-IPIs with random vectors, each once", how,
	       rounds);
}

/* Several pending at once: delivered highest first, a repeat merged. */
static void ipi_batch(void)
{
	u32 want = 0, prev = NVECTORS, descending = 1;
	u8 v[6];

	clear_counts();
	for (u32 i = 0; i < ARRAY_SIZE(v); i++) {
		v[i] = random_vector();
		self_ipi(v[i]);
	}
	self_ipi(v[0]); /* the same vector twice: one IRR bit */
	for (u32 b = 0; b < NVECTORS; b++)
		for (u32 i = 0; i < ARRAY_SIZE(v); i++)
			if (v[i] == b) {
				want++;
				break;
			}
	apic_sti();
	wait_count(&norder, want, 2000);
	apic_delay_us(200);
	apic_cli();
	for (u32 i = 0; i < norder && i < ARRAY_SIZE(order); i++) {
		descending &= order[i] < prev;
		prev = order[i];
	}
	checkf(norder == want && descending,
	       "%u pending vectors (one sent twice) delivered once each, "
	       "highest first (%u deliveries)",
	       want, norder);
}

/* TPR 0x80 holds back classes 8 and below (SDM 3A 10.8.3.1). */
static void ipi_tpr(void)
{
	clear_counts();
	apic_write(APIC_TPR, 0x80);
	apic_sti();
	self_ipi(0x85);
	self_ipi(0x95);
	wait_count(&counts[0x95], 1, 1000);
	apic_delay_us(200);
	checkf(counts[0x95] == 1 && counts[0x85] == 0,
	       "TPR 0x80: vector 0x95 arrives, 0x85 waits");
	apic_write(APIC_TPR, 0);
	wait_count(&counts[0x85], 1, 1000);
	apic_cli();
	check_eq(counts[0x85], 1, "TPR 0: vector 0x85 arrives");
}

static void ipi_x2apic(void)
{
	apic_set_mode(true);
	ipi_singles("x2APIC SELF IPI");
	clear_counts();
	apic_sti();
	apic_send_ipi(0x4f, 0); /* fixed, physical, to APIC ID 0 */
	wait_count(&counts[0x4f], 1, 1000);
	apic_cli();
	check_eq(counts[0x4f], 1,
		 "x2APIC ICR MSR: a fixed IPI to its own ID arrives");
	apic_to_xapic();
	apic_write(APIC_SVR, SVR_ENABLE | 0xff);
}

static void phase_ipis(void)
{
	ipi_singles("xAPIC ICR");
	ipi_batch();
	ipi_tpr();
	checkf(regs_zero(APIC_ISR) && regs_zero(APIC_IRR),
	       "after the IPIs nothing is pending or in service");
	ipi_x2apic();
}

/* ---- the timers ---------------------------------------------------------- */

static void timer_oneshot(void)
{
	u32 c1, c2;

	clear_counts();
	apic_write(APIC_TIMER_DCR, DCR_DIV_1);
	apic_write(APIC_LVT_TIMER, 0x41);
	apic_write(APIC_TIMER_ICR, 2000000); /* 20 ms at 100 MHz */
	c1 = apic_read(APIC_TIMER_CCR);
	c2 = apic_read(APIC_TIMER_CCR);
	checkf(c1 <= 2000000 && c2 <= c1 && c2 > 0,
	       "APIC timer: the current count runs down (%u, then %u)", c1, c2);
	apic_sti();
	wait_count(&counts[0x41], 1, 200000);
	apic_delay_us(25000);
	apic_cli();
	check_eq(counts[0x41], 1, "APIC timer one-shot: one interrupt");
	check_eq(apic_read(APIC_TIMER_CCR), 0, "APIC timer one-shot: count 0");
}

static void timer_periodic(void)
{
	clear_counts();
	apic_write(APIC_LVT_TIMER, 0x42 | LVT_PERIODIC);
	apic_write(APIC_TIMER_ICR, 100000); /* 1 ms */
	apic_sti();
	wait_count(&counts[0x42], 3, 200000);
	apic_cli();
	apic_write(APIC_TIMER_ICR, 0);
	apic_write(APIC_LVT_TIMER, LVT_MASKED);
	checkf(counts[0x42] >= 3, "APIC timer periodic: %u interrupts",
	       counts[0x42]);
}

static void timer_tsc_deadline(void)
{
	clear_counts();
	apic_write(APIC_LVT_TIMER, 0x43 | LVT_TSC_DEADLINE);
	apic_wrmsr(MSR_TSC_DEADLINE, apic_rdtsc() + apic_tsc_us(1000));
	apic_sti();
	wait_count(&counts[0x43], 1, 200000);
	apic_delay_us(2000);
	apic_cli();
	check_eq(counts[0x43], 1, "TSC-deadline timer: one interrupt");
	check_eq(apic_rdmsr(MSR_TSC_DEADLINE), 0,
		 "TSC-deadline timer: disarmed after firing");
	apic_write(APIC_LVT_TIMER, LVT_MASKED);
}

/* The PIT's IRQ0 through the 8259 (reprogrammed from whatever the junk
 * left) and LINT0 in ExtINT mode. */
static void pit_through_pic(void)
{
	u32 div = PIT_HZ / 1000; /* 1 kHz */

	outb(PIC1, 0x11); /* ICW1: edge, cascade, ICW4 */
	outb(PIC1 + 1, PIC_BASE);
	outb(PIC1 + 1, 0x04);
	outb(PIC1 + 1, 0x01);
	outb(PIC2, 0x11);
	outb(PIC2 + 1, PIC_BASE + 8);
	outb(PIC2 + 1, 0x02);
	outb(PIC2 + 1, 0x01);
	outb(ELCR1, 0);
	outb(ELCR2, 0);
	outb(PIC2 + 1, 0xff);
	outb(PIC1 + 1, 0xfe); /* IRQ0 only */
	outb(PIT_CMD, 0x34);  /* channel 0, lo/hi, rate generator */
	outb(PIT_CH0, div & 0xff);
	outb(PIT_CH0, div >> 8);
	apic_write(APIC_LVT_LINT0, LVT_EXTINT);
	clear_counts();
	pic_active = true;
	apic_sti();
	wait_count(&counts[PIC_BASE], 5, 500000);
	apic_cli();
	outb(PIC1 + 1, 0xff);
	pic_active = false;
	checkf(counts[PIC_BASE] >= 5,
	       "PIT IRQ0 through the 8259 and LINT0 (ExtINT): %u interrupts",
	       counts[PIC_BASE]);
}

u32 guest_main(u32 magic, u32 info)
{
	const char *cmdline = bootinfo_cmdline(magic, info);
	u32 tsc_khz, bus_khz;

	rounds = dlog_arg(cmdline, "rounds", DEFAULT_ROUNDS);
	rng = dlog_arg(cmdline, "seed", DEFAULT_SEED) | 1;
	gprintf("junk: rounds=%u seed=0x%x\n", rounds, rng);
	trap_init();
	apic_clocks(&tsc_khz, &bus_khz);
	if (!checkf(tsc_khz != 0, "CPUID 0x40000010: TSC %u kHz", tsc_khz) ||
	    !self_info(&pi))
		return report();
	install_handlers();
	phase_xapic();
	phase_msrs();
	phase_ports();
	phase_unassigned();
	apic_restore_check();
	phase_ipis();
	timer_oneshot();
	timer_periodic();
	timer_tsc_deadline();
	pit_through_pic();
	return report();
}
