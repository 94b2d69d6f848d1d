// SPDX-License-Identifier: MIT
/*
 * Page tables for the paging guests (paging.h): the page pool, building
 * and tearing down address spaces in the three modes, entry access, and
 * paging on and off. Exceptions and probes are in paging_trap.c and
 * paging_lm.S.
 *
 * Runs on any vCPU at CPL 0, interrupts off; only the pool is shared
 * between vCPUs (under pool_lock). Tables are reached through the
 * identity map: a table's physical address is also its pointer.
 */
#include "paging.h"
#include "check.h"
#include "console.h"
#include "bootinfo.h"
#include "x86.h"
#include "str.h"

/* Control registers and EFER (SDM 3A 2.5, 2.2.1). */
#define CR0_WP	       (1u << 16)
#define CR4_PSE	       (1u << 4)
#define CR4_PAE	       (1u << 5)
#define MSR_EFER       0xc0000080u
#define EFER_LME       (1ull << 8)
#define CPUID_1_PSE    (1u << 3)  /* EDX */
#define CPUID_1_PAE    (1u << 6)  /* EDX */
#define CPUID_1_PSE36  (1u << 17) /* EDX */
#define CPUID_EXT_MAX  0x80000000u
#define CPUID_EXT_FEAT 0x80000001u
#define CPUID_EXT_1G   (1u << 26) /* EDX */
#define CPUID_EXT_LM   (1u << 29) /* EDX */
#define CPUID_EXT_ADDR 0x80000008u
#define DEFAULT_MAXPHY 36 /* SDM 3A 4.1.4: without leaf 80000008H */

/* Entry address fields (bits 31:12; bits 51:12 in 8-byte entries). */
#define ADDR_MASK32 0xfffff000ull
#define ADDR_MASK64 0x000ffffffffff000ull

#define MIB	    0x100000u
#define IDENT_ALIGN (4u << 20) /* a large page in every mode */

/* The pool: a bump range, then a LIFO list of freed pages. */
static u32 pool_lock;	   /* protects the four fields below */
static u32 pool_next;	   /* next never-used page */
static u32 pool_end;	   /* end of the range */
static u32 pool_free_head; /* freed pages, linked through word 0 */
static u32 pool_nfree;	   /* pages available in all */

static u32 ident_end;

u32 pg_read_cr3(void)
{
	u32 v;

	asm volatile("mov %%cr3, %0" : "=r"(v));
	return v;
}

static inline u64 rdmsr(u32 msr)
{
	u32 lo, hi;

	asm volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return (u64)hi << 32 | lo;
}

static inline void wrmsr(u32 msr, u64 v)
{
	asm volatile("wrmsr"
		     :
		     : "c"(msr), "a"((u32)v), "d"((u32)(v >> 32))
		     : "memory");
}

/* ---- modes and CPUID ---------------------------------------------- */

const char *pg_mode_name(enum pg_mode m)
{
	static const char *const names[PG_NR_MODES] = {"32-bit", "PAE",
						       "4-level"};

	return m < PG_NR_MODES ? names[m] : "?";
}

u32 pg_entry_size(enum pg_mode m)
{
	return m == PG_MODE_32BIT ? 4 : 8;
}

u32 pg_nr_entries(enum pg_mode m)
{
	return m == PG_MODE_32BIT ? 1024 : 512;
}

u32 pg_large_size(enum pg_mode m)
{
	return m == PG_MODE_32BIT ? 4u << 20 : 2u << 20;
}

static int top_level(enum pg_mode m)
{
	return m == PG_MODE_32BIT ? PG_LEVEL_PD
	       : m == PG_MODE_PAE ? PG_LEVEL_PDPT
				  : PG_LEVEL_PML4;
}

static u32 level_shift(enum pg_mode m, int level)
{
	return PG_PAGE_SHIFT + (u32)(level - 1) * (m == PG_MODE_32BIT ? 10 : 9);
}

u32 pg_index(enum pg_mode m, u64 va, int level)
{
	u32 n = (m == PG_MODE_PAE && level == PG_LEVEL_PDPT) ? 4
							     : pg_nr_entries(m);

	return (u32)(va >> level_shift(m, level)) & (n - 1);
}

static u64 addr_mask(enum pg_mode m)
{
	return m == PG_MODE_32BIT ? ADDR_MASK32 : ADDR_MASK64;
}

/* PS makes this entry a leaf: a PDE, or a 4-level PDPTE. */
static bool is_large(enum pg_mode m, int level, pte_t e)
{
	if (!(e & PG_PS))
		return false;
	return level == PG_LEVEL_PD ||
	       (level == PG_LEVEL_PDPT && m == PG_MODE_4LEVEL);
}

bool pg_mode_supported(enum pg_mode m)
{
	u32 edx1 = cpuid(1, 0).edx;

	switch (m) {
	case PG_MODE_32BIT:
		return edx1 & CPUID_1_PSE;
	case PG_MODE_PAE:
		return edx1 & CPUID_1_PAE;
	case PG_MODE_4LEVEL:
		return (edx1 & CPUID_1_PAE) &&
		       cpuid(CPUID_EXT_MAX, 0).eax >= CPUID_EXT_FEAT &&
		       (cpuid(CPUID_EXT_FEAT, 0).edx & CPUID_EXT_LM);
	}
	return false;
}

u32 pg_maxphyaddr(void)
{
	if (cpuid(CPUID_EXT_MAX, 0).eax < CPUID_EXT_ADDR)
		return DEFAULT_MAXPHY;
	return cpuid(CPUID_EXT_ADDR, 0).eax & 0xff;
}

bool pg_has_pse36(void)
{
	return cpuid(1, 0).edx & CPUID_1_PSE36;
}

bool pg_has_1g_pages(void)
{
	return cpuid(CPUID_EXT_MAX, 0).eax >= CPUID_EXT_FEAT &&
	       (cpuid(CPUID_EXT_FEAT, 0).edx & CPUID_EXT_1G);
}

/* ---- the page pool ------------------------------------------------- */

static void pool_acquire(void)
{
	while (__atomic_exchange_n(&pool_lock, 1, __ATOMIC_ACQUIRE))
		cpu_relax();
}

static void pool_release(void)
{
	__atomic_store_n(&pool_lock, 0, __ATOMIC_RELEASE);
}

void pg_pool_init(u32 base, u32 end)
{
	pool_next = base;
	pool_end = end;
	pool_free_head = 0;
	pool_nfree = (end - base) / PG_PAGE_SIZE;
}

static void clear_page(u32 pa)
{
	u32 n = PG_PAGE_SIZE / 4;

	asm volatile("cld; rep stosl" : "+D"(pa), "+c"(n) : "a"(0) : "memory");
}

u32 pg_alloc(void)
{
	u32 pa = 0;

	pool_acquire();
	if (pool_free_head) {
		pa = pool_free_head;
		pool_free_head = *(volatile u32 *)pa;
	} else if (pool_next < pool_end) {
		pa = pool_next;
		pool_next += PG_PAGE_SIZE;
	}
	if (pa)
		pool_nfree--;
	pool_release();
	if (pa)
		clear_page(pa);
	return pa;
}

void pg_free(u32 pa)
{
	pool_acquire();
	*(volatile u32 *)pa = pool_free_head;
	pool_free_head = pa;
	pool_nfree++;
	pool_release();
}

u32 pg_pool_free_pages(void)
{
	return __atomic_load_n(&pool_nfree, __ATOMIC_RELAXED);
}

u32 pg_ram_end(u32 magic, u32 info)
{
	static struct boot_info bi;

	if (!bootinfo_parse(magic, info, &bi) || !bi.has_meminfo)
		return 0;
	return 0x100000u + bi.mem_upper * 1024u;
}

void pg_set_ident_end(u32 end)
{
	ident_end = end;
}

u32 pg_ident_end(void)
{
	return ident_end;
}

u32 pg_guest_init(u32 magic, u32 info, u32 ident_max, u32 reserve,
		  char *cmdline, u32 size)
{
	const char *c = bootinfo_cmdline(magic, info);
	u32 ram = pg_ram_end(magic, info), base;

	gsnprintf(cmdline, size, "%s", c);
	base = ((u32)_image_end + MIB - 1) & ~(MIB - 1);
	ident_end = (ram < ident_max ? ram : ident_max) & ~(IDENT_ALIGN - 1);
	if (!checkf(ident_end >= base + MIB + reserve,
		    "RAM (%u KiB) reaches 1 MiB past the image (0x%x) and "
		    "the reserve",
		    ram >> 10, base))
		return 0;
	pg_pool_init(base, ident_end - reserve);
	pg_cpu_init();
	return ram;
}

u32 pg_cmdline_u32(const char *cmdline, const char *key, u32 def)
{
	size_t n = strlen(key);
	const char *p = cmdline;
	u32 v;

	while (*p) {
		while (*p == ' ')
			p++;
		if (memcmp(p, key, n) == 0 && p[n] == '=') {
			p += n + 1;
			if (parse_u32(&p, &v))
				return v;
			failf("command line: bad number after %s=", key);
			return def;
		}
		while (*p && *p != ' ')
			p++;
	}
	return def;
}

/* ---- entries ------------------------------------------------------- */

pte_t pg_get(enum pg_mode m, u32 entry_pa)
{
	volatile u32 *p = (volatile u32 *)entry_pa;

	if (m == PG_MODE_32BIT)
		return p[0];
	return (u64)p[1] << 32 | p[0];
}

void pg_set(enum pg_mode m, u32 entry_pa, pte_t v)
{
	volatile u32 *p = (volatile u32 *)entry_pa;

	if (m == PG_MODE_32BIT) {
		p[0] = (u32)v;
	} else if (v & PG_P) {
		p[1] = (u32)(v >> 32);
		asm volatile("" : : : "memory");
		p[0] = (u32)v;
	} else {
		p[0] = (u32)v;
		asm volatile("" : : : "memory");
		p[1] = (u32)(v >> 32);
	}
}

pte_t pg_xchg(enum pg_mode m, u32 entry_pa, pte_t v)
{
	volatile u32 *p = (volatile u32 *)entry_pa;
	u32 lo, hi;

	if (m == PG_MODE_32BIT)
		return __atomic_exchange_n(p, (u32)v, __ATOMIC_SEQ_CST);
	lo = p[0];
	hi = p[1];
	asm volatile("1: lock cmpxchg8b %0\n\t"
		     "jnz 1b"
		     : "+m"(*(volatile u64 *)entry_pa), "+a"(lo), "+d"(hi)
		     : "b"((u32)v), "c"((u32)(v >> 32))
		     : "memory", "cc");
	return (u64)hi << 32 | lo;
}

/* ---- address spaces ------------------------------------------------ */

bool pg_space_init(struct pg_space *s, enum pg_mode mode)
{
	s->mode = mode;
	s->root = pg_alloc();
	return s->root != 0;
}

static pte_t table_flags(enum pg_mode m, int level)
{
	/* PAE PDPTEs have no R/W or U/S; bits 2:1 are reserved (4.4.1). */
	if (m == PG_MODE_PAE && level == PG_LEVEL_PDPT)
		return PG_P;
	return PG_P | PG_RW | PG_US;
}

/*
 * The table holding va's entry at level: walks down from the root,
 * allocating missing tables when alloc. 0 when a table is missing (and
 * not allocated), a large page is in the way, or an entry points outside
 * the identity map.
 */
static u32 table_for(const struct pg_space *s, u64 va, int level, bool alloc)
{
	enum pg_mode m = s->mode;
	u32 table = s->root, esz = pg_entry_size(m), ea, t;
	int l;
	pte_t e;

	for (l = top_level(m); l > level; l--) {
		ea = table + pg_index(m, va, l) * esz;
		e = pg_get(m, ea);
		if (!(e & PG_P)) {
			if (!alloc || !(t = pg_alloc()))
				return 0;
			e = t | table_flags(m, l);
			pg_set(m, ea, e);
		} else if (is_large(m, l, e)) {
			return 0;
		}
		if ((e & addr_mask(m)) >= ident_end)
			return 0;
		table = (u32)(e & addr_mask(m));
	}
	return table;
}

u32 pg_entry_addr(const struct pg_space *s, u64 va, int level)
{
	u32 t = table_for(s, va, level, false);

	return t ? t + pg_index(s->mode, va, level) * pg_entry_size(s->mode)
		 : 0;
}

u32 pg_entry_make(const struct pg_space *s, u64 va, int level)
{
	u32 t = table_for(s, va, level, true);

	return t ? t + pg_index(s->mode, va, level) * pg_entry_size(s->mode)
		 : 0;
}

int pg_map(const struct pg_space *s, u64 va, u64 pa, u64 flags)
{
	u32 ea = pg_entry_make(s, va, PG_LEVEL_PT);

	if (!ea)
		return -1;
	pg_set(s->mode, ea, (pa & PG_PAGE_MASK) | flags);
	return 0;
}

int pg_map_large(const struct pg_space *s, u64 va, u64 pa, u64 flags)
{
	u32 ea = pg_entry_make(s, va, PG_LEVEL_PD);

	if (!ea)
		return -1;
	pg_set(s->mode, ea, pa | flags | PG_PS);
	return 0;
}

int pg_map_identity(const struct pg_space *s, u32 end, bool large)
{
	u32 step = large ? pg_large_size(s->mode) : PG_PAGE_SIZE;
	u64 a;

	for (a = 0; a < end; a += step) {
		if ((large ? pg_map_large(s, a, a, PG_P | PG_RW)
			   : pg_map(s, a, a, PG_P | PG_RW)) != 0)
			return -1;
	}
	return 0;
}

int pg_share(const struct pg_space *dst, const struct pg_space *src, u64 va,
	     u64 len)
{
	u32 step = pg_large_size(src->mode), sea, dea;
	u64 a;

	for (a = va; a < va + len; a += step) {
		sea = pg_entry_addr(src, a, PG_LEVEL_PD);
		dea = pg_entry_make(dst, a, PG_LEVEL_PD);
		if (!dea)
			return -1;
		pg_set(dst->mode, dea, sea ? pg_get(src->mode, sea) : 0);
	}
	return 0;
}

void pg_free_tables(const struct pg_space *s, u64 va, u64 len)
{
	u32 step = pg_large_size(s->mode), ea;
	u64 a;
	pte_t e;

	for (a = va; a < va + len; a += step) {
		ea = pg_entry_addr(s, a, PG_LEVEL_PD);
		if (!ea)
			continue;
		e = pg_get(s->mode, ea);
		pg_set(s->mode, ea, 0);
		if ((e & PG_P) && !(e & PG_PS) &&
		    (e & addr_mask(s->mode)) < ident_end)
			pg_free((u32)(e & addr_mask(s->mode)));
	}
}

struct destroy_ctx {
	enum pg_mode mode;
	u64 keep_va, keep_end;
};

static void destroy_table(const struct destroy_ctx *c, u32 table, int level,
			  u64 base)
{
	u32 i, n = level == PG_LEVEL_PDPT && c->mode == PG_MODE_PAE
			   ? 4
			   : pg_nr_entries(c->mode);
	u64 va, span = 1ull << level_shift(c->mode, level);
	pte_t e;

	for (i = 0; level > PG_LEVEL_PT && i < n; i++) {
		e = pg_get(c->mode, table + i * pg_entry_size(c->mode));
		va = base + i * span;
		if (!(e & PG_P) || is_large(c->mode, level, e) ||
		    (e & addr_mask(c->mode)) >= ident_end)
			continue;
		if (level == PG_LEVEL_PD && va >= c->keep_va &&
		    va + span <= c->keep_end)
			continue;
		destroy_table(c, (u32)(e & addr_mask(c->mode)), level - 1, va);
	}
	pg_free(table);
}

void pg_space_destroy(struct pg_space *s, u64 keep_va, u64 keep_len)
{
	struct destroy_ctx c = {s->mode, keep_va, keep_va + keep_len};

	if (s->root)
		destroy_table(&c, s->root, top_level(s->mode), 0);
	s->root = 0;
}

/* ---- paging on and off, CR3, INVLPG -------------------------------- */

void pg_enable(const struct pg_space *s)
{
	u32 cr4 = read_cr4() & ~(CR4_PSE | CR4_PAE);

	if (s->mode == PG_MODE_32BIT)
		cr4 |= CR4_PSE;
	else
		cr4 |= CR4_PAE;
	write_cr4(cr4);
	write_cr3(s->root);
	if (s->mode == PG_MODE_4LEVEL) {
		pg_load_idt(true);
		wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_LME);
	}
	/* With LME set this activates IA-32e mode (SDM 3A 10.8.5). */
	write_cr0(read_cr0() | X86_CR0_PG | CR0_WP);
}

void pg_disable(void)
{
	u64 efer;

	write_cr0(read_cr0() & ~X86_CR0_PG);
	efer = rdmsr(MSR_EFER);
	if (efer & EFER_LME) {
		wrmsr(MSR_EFER, efer & ~EFER_LME);
		pg_load_idt(false);
	}
	write_cr4(read_cr4() & ~(CR4_PSE | CR4_PAE));
}

void pg_load(const struct pg_space *s)
{
	write_cr3(s->root);
}

void pg_flush(void)
{
	write_cr3(pg_read_cr3());
}

u32 pg_rand(u32 *state)
{
	u32 x = *state;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	*state = x;
	return x;
}
