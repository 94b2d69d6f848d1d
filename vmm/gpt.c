// SPDX-License-Identifier: MIT
/*
 * The guest page-table walker (vmm/include/gpt.h): one walk from CR3 down
 * to the entry that maps the address, reading each guest entry through
 * ctx->read_pte, checking present and reserved bits on the way, folding
 * the access rights, then checking the access against them and, only if
 * it is allowed, setting the accessed and dirty flags through ctx->set_ad.
 *
 * The three paging modes differ in entry size, index width, the number of
 * levels, where large pages may appear and which bits are reserved; those
 * differences live in the small helpers below, and the walk itself is the
 * same loop for all three.
 *
 * Context: any CPU, under the partition's MMU lock; pure: touches guest
 * memory only through the callbacks.
 */
#include "types.h"
#include "errno.h"
#include "x86.h"
#include "gpt.h"

/* Returned by a walk that must start over; never leaves this file. */
#define GPT_RESTART 2

/*
 * Linear-address split (SDM 3A figures 4-2, 4-5, 4-8): a 12-bit page
 * offset, then one index per level, 10 bits wide with 32-bit paging
 * (1024 4-byte entries a table), 9 bits with PAE and 4-level paging (512
 * 8-byte entries). PAE's top index is only bits 31:30, the 4 PDPTEs.
 */
#define PT32_INDEX_BITS 10
#define PT64_INDEX_BITS 9
#define PAE_NR_PDPTES	4

/* 4-level paging translates 48-bit linear addresses, sign-extended (3.3.7.1). */
#define LA_BITS_4LEVEL 48

/* Without 4-level paging, linear addresses are 32 bits. */
#define ADDR_32BIT_LIMIT 0xffffffffULL

/* MAXPHYADDR: 36 on any CPU with PAE, at most 52 (4.1.4); 32 accepted too. */
#define MAXPHYADDR_MIN 32
#define MAXPHYADDR_MAX 52

/*
 * 32-bit paging (4.3, tables 4-3 to 4-6). CR3 bits 31:12 and PDE/PTE bits
 * 31:12 address the next table or the 4 KiB page. A 4 MiB PDE (CR4.PSE=1,
 * PS=1) holds physical-address bits 31:22 in bits 31:22 and, with PSE-36,
 * bits (M-1):32 in bits (M-20):13, where M = min(MAXPHYADDR, 40); bits
 * 21:(M-19) are reserved and bit 12 is PAT. PDEs pointing to page tables
 * and PTEs have no reserved bits.
 */
#define PT32_ADDR_MASK	     0xfffff000ULL
#define PDE32_4M_LOW_MASK    0xffc00000ULL /* physical bits 31:22 */
#define PDE32_4M_HIGH_MASK   0x001fe000ULL /* bits 20:13: physical 39:32 */
#define PDE32_4M_HIGH_TO_PA  19		   /* bit 13 moves to bit 32 */
#define PDE32_4M_RSVD_MSB    21
#define PDE32_4M_RSVD_FROM_M 19 /* the reserved bits start at M - 19 */
#define PSE36_MAXPHYADDR_CAP 40

/*
 * PAE paging (4.4, tables 4-7 to 4-11). CR3 bits 31:5 address the PDPT.
 * A PDPTE has bits 2:1 and 8:5 reserved and bits 63:M reserved (no XD,
 * no rights, no accessed flag). PDEs and PTEs have bits 62:M reserved,
 * and bit 63 is XD with EFER.NXE=1, reserved without.
 */
#define CR3_PAE_PDPT_MASK  0xffffffe0ULL
#define PDPTE_PAE_RSVD_LOW (BIT(1) | BIT(2) | BIT(5) | BIT(6) | BIT(7) | BIT(8))
#define PDPTE_PAE_RSVD_MSB 63
#define PAE_RSVD_MSB	   62

/*
 * 4-level paging (4.5, tables 4-14 to 4-20). CR3 and every entry address
 * the next level with bits (M-1):12; bits 51:M are reserved, bits 62:52
 * ignored (protection keys are not offered), bit 63 as in PAE. PS (bit 7)
 * is reserved in a PML4E, and in a PDPTE without 1 GiB page support.
 */
#define LONG_RSVD_MSB 51

/*
 * A 2 MiB or 1 GiB page (PAE and 4-level): bit 12 is PAT and the bits
 * from 13 up to the page size are reserved (20:13 or 29:13).
 */
#define LARGE_RSVD_LSB 13

/* Bits msb:lsb, as the SDM's tables write them; empty if msb < lsb. */
static u64 bit_range(u32 msb, u32 lsb)
{
	if (msb < lsb)
		return 0;
	return (~0ULL >> (63 - msb)) & (~0ULL << lsb);
}

/* One walk's inputs and output, to keep the helpers' parameter lists short. */
struct walker {
	const struct gpt_ctx *c;
	const struct gpt_access *a;
	gva_t gva;
	struct gpt_walk *w;
};

static bool is_32bit(const struct gpt_ctx *c)
{
	return c->mode == GPT_MODE_32BIT;
}

static bool is_pae_pdpte(const struct gpt_ctx *c, u32 level)
{
	return c->mode == GPT_MODE_PAE && level == GPT_LEVEL_PDPT;
}

static u32 top_level(const struct gpt_ctx *c)
{
	switch (c->mode) {
	case GPT_MODE_32BIT:
		return GPT_LEVEL_PD;
	case GPT_MODE_PAE:
		return GPT_LEVEL_PDPT;
	default:
		return GPT_LEVEL_PML4;
	}
}

static u32 pte_size(const struct gpt_ctx *c)
{
	return is_32bit(c) ? GPT_PTE32_SIZE : GPT_PTE64_SIZE;
}

/* The lowest address bit a level's index covers: the size of its pages. */
static u32 level_shift(const struct gpt_ctx *c, u32 level)
{
	u32 bits = is_32bit(c) ? PT32_INDEX_BITS : PT64_INDEX_BITS;

	return PAGE_SHIFT + bits * (level - 1);
}

/* Where an entry holds the address of a table or a 4 KiB page. */
static u64 addr_mask(const struct gpt_ctx *c)
{
	if (is_32bit(c))
		return PT32_ADDR_MASK;
	return bit_range(c->maxphyaddr - 1, PAGE_SHIFT);
}

static gpa_t root_table(const struct gpt_ctx *c)
{
	switch (c->mode) {
	case GPT_MODE_32BIT:
		return c->cr3 & PT32_ADDR_MASK;
	case GPT_MODE_PAE:
		return c->cr3 & CR3_PAE_PDPT_MASK;
	default:
		return c->cr3 & addr_mask(c);
	}
}

static bool has_nxe(const struct gpt_ctx *c)
{
	return c->efer & EFER_NXE;
}

/* Does this entry map a page rather than point to a table (PS=1)? */
static bool maps_large_page(const struct gpt_ctx *c, u32 level, u64 pte)
{
	if (!(pte & PTE_PS))
		return false;
	switch (c->mode) {
	case GPT_MODE_32BIT:
		return level == GPT_LEVEL_PD && (c->cr4 & X86_CR4_PSE);
	case GPT_MODE_PAE:
		return level == GPT_LEVEL_PD;
	default:
		return level == GPT_LEVEL_PD ||
		       (level == GPT_LEVEL_PDPT && c->has_1g_pages);
	}
}

static u64 rsvd_32bit(const struct gpt_ctx *c, bool large)
{
	u32 m = MIN(c->maxphyaddr, PSE36_MAXPHYADDR_CAP);

	if (!large)
		return 0;
	return bit_range(PDE32_4M_RSVD_MSB, m - PDE32_4M_RSVD_FROM_M);
}

static u64 rsvd_pae(const struct gpt_ctx *c, u32 level, bool large)
{
	u64 mask = bit_range(PAE_RSVD_MSB, c->maxphyaddr);

	if (level == GPT_LEVEL_PDPT)
		return PDPTE_PAE_RSVD_LOW |
		       bit_range(PDPTE_PAE_RSVD_MSB, c->maxphyaddr);
	if (!has_nxe(c))
		mask |= PTE_NX;
	if (large)
		mask |= bit_range(level_shift(c, level) - 1, LARGE_RSVD_LSB);
	return mask;
}

static u64 rsvd_4level(const struct gpt_ctx *c, u32 level, bool large)
{
	u64 mask = bit_range(LONG_RSVD_MSB, c->maxphyaddr);

	if (!has_nxe(c))
		mask |= PTE_NX;
	if (level == GPT_LEVEL_PML4 ||
	    (level == GPT_LEVEL_PDPT && !c->has_1g_pages))
		mask |= PTE_PS;
	if (large)
		mask |= bit_range(level_shift(c, level) - 1, LARGE_RSVD_LSB);
	return mask;
}

/* The bits that must be 0 in a present entry at this level. */
static u64 rsvd_bits(const struct gpt_ctx *c, u32 level, u64 pte)
{
	bool large = maps_large_page(c, level, pte);

	switch (c->mode) {
	case GPT_MODE_32BIT:
		return rsvd_32bit(c, large);
	case GPT_MODE_PAE:
		return rsvd_pae(c, level, large);
	default:
		return rsvd_4level(c, level, large);
	}
}

/*
 * Reads the entry for this level from the table at table (PAE's PDPTEs
 * from ctx->pdptes) and records where it is and what it holds.
 */
static int read_entry(struct walker *k, gpa_t table, u32 level, u64 *pte)
{
	const struct gpt_ctx *c = k->c;
	u32 bits = is_32bit(c) ? PT32_INDEX_BITS : PT64_INDEX_BITS;
	u64 index = (k->gva >> level_shift(c, level)) & (BIT(bits) - 1);
	gpa_t gpa = table + index * pte_size(c);

	k->w->stop_level = level;
	k->w->pte_gpa[level - 1] = gpa;
	if (is_pae_pdpte(c, level))
		*pte = c->pdptes[index & (PAE_NR_PDPTES - 1)];
	else if (c->read_pte(c->opaque, gpa, pte, pte_size(c)))
		return -EFAULT;
	k->w->pte[level - 1] = *pte;
	return 0;
}

/*
 * Folds one entry's rights into the walk (4.6): read-only or supervisor
 * at any level makes the page so, and XD at any level makes it
 * non-executable. Bit 63 is XD only with NXE; without it the reserved-bit
 * check has already stopped the walk, and 32-bit entries have no bit 63.
 * PAE PDPTEs carry no rights.
 */
static void fold_rights(struct walker *k, u32 level, u64 pte)
{
	struct gpt_walk *w = k->w;

	if (is_pae_pdpte(k->c, level))
		return;
	w->writable = w->writable && (pte & PTE_RW);
	w->user = w->user && (pte & PTE_US);
	w->executable = w->executable && !(pte & PTE_NX);
}

static void set_leaf(struct walker *k, u32 level, u64 pte)
{
	const struct gpt_ctx *c = k->c;
	struct gpt_walk *w = k->w;
	u64 size = BIT(level_shift(c, level));
	gpa_t base;

	if (is_32bit(c) && level == GPT_LEVEL_PD)
		base = (pte & PDE32_4M_LOW_MASK) |
		       ((pte & PDE32_4M_HIGH_MASK) << PDE32_4M_HIGH_TO_PA);
	else
		base = pte & addr_mask(c) & ~(size - 1);
	w->level_of_leaf = level;
	w->page_size = size;
	w->gpa = base | (k->gva & (size - 1));
}

static bool is_user_access(const struct gpt_access *a)
{
	return a->user && !a->implicit_supervisor;
}

/* SMAP (4.6.1): may a supervisor data access reach a user-mode address? */
static bool smap_allows(const struct gpt_ctx *c, const struct gpt_access *a)
{
	if (!(c->cr4 & X86_CR4_SMAP))
		return true;
	return a->rflags_ac && !a->implicit_supervisor;
}

/* The access rules of 4.6.1, against the rights folded over the walk. */
static bool access_allowed(const struct walker *k)
{
	const struct gpt_ctx *c = k->c;
	const struct gpt_access *a = k->a;
	const struct gpt_walk *w = k->w;

	if (a->fetch && !w->executable)
		return false;
	if (is_user_access(a))
		return w->user && (!a->write || w->writable);
	if (a->fetch)
		return !(w->user && (c->cr4 & X86_CR4_SMEP));
	if (w->user && !smap_allows(c, a))
		return false;
	return !a->write || w->writable || !(c->cr0 & X86_CR0_WP);
}

/*
 * Ends the walk with a page fault; cause is 0 (not present), X86_PF_P
 * (rights) or X86_PF_P | X86_PF_RSVD. The other bits describe the access
 * (4.7); I/D only where fetches can fault for it: with SMEP, or with NXE
 * under PAE or 4-level paging.
 */
static int fault(struct walker *k, u32 cause)
{
	const struct gpt_ctx *c = k->c;
	const struct gpt_access *a = k->a;
	bool id_meaningful =
		(c->cr4 & X86_CR4_SMEP) || (!is_32bit(c) && has_nxe(c));
	u32 ec = cause;

	if (a->write)
		ec |= X86_PF_WR;
	if (is_user_access(a))
		ec |= X86_PF_US;
	if (a->fetch && id_meaningful)
		ec |= X86_PF_ID;
	k->w->error_code = ec;
	return GPT_FAULT;
}

/* ORs flags into the recorded entry, as one locked guest write. */
static int update_entry(struct walker *k, u32 level, u64 flags)
{
	const struct gpt_ctx *c = k->c;
	struct gpt_walk *w = k->w;
	u64 old = w->pte[level - 1];
	int ret;

	if ((old & flags) == flags)
		return 0;
	ret = c->set_ad(c->opaque, w->pte_gpa[level - 1], old, old | flags,
			pte_size(c));
	if (ret == 1)
		return GPT_RESTART;
	if (ret)
		return -EFAULT;
	w->pte[level - 1] = old | flags;
	return 0;
}

/*
 * Sets the accessed flag in every entry the translation used, top down,
 * and the dirty flag in the leaf on a write (4.8). PAE PDPTEs have no
 * accessed flag: the processor does not use them from memory.
 */
static int set_accessed_dirty(struct walker *k)
{
	struct gpt_walk *w = k->w;
	u32 level;
	int ret;

	for (level = w->top_level; level >= w->level_of_leaf; level--) {
		u64 flags = PTE_A;

		if (is_pae_pdpte(k->c, level))
			continue;
		if (level == w->level_of_leaf && k->a->write)
			flags |= PTE_D;
		ret = update_entry(k, level, flags);
		if (ret)
			return ret;
	}
	return 0;
}

/*
 * One walk from the root. A not-present entry (4.3-4.5: P=0, whatever
 * else it holds) or a reserved bit in a present one ends it there; rights
 * are checked once the leaf is found. A/D are set only for an allowed
 * access: an access that faults has no translation to use (4.7, 4.8).
 */
static int walk_once(struct walker *k)
{
	const struct gpt_ctx *c = k->c;
	gpa_t table = root_table(c);
	u32 level;
	u64 pte;
	int ret;

	*k->w = (struct gpt_walk){.top_level = top_level(c),
				  .writable = true,
				  .user = true,
				  .executable = true};
	for (level = k->w->top_level;; level--) {
		ret = read_entry(k, table, level, &pte);
		if (ret)
			return ret;
		if (!(pte & PTE_P))
			return fault(k, 0);
		if (pte & rsvd_bits(c, level, pte))
			return fault(k, X86_PF_P | X86_PF_RSVD);
		fold_rights(k, level, pte);
		if (level == GPT_LEVEL_PT || maps_large_page(c, level, pte))
			break;
		table = pte & addr_mask(c);
	}
	set_leaf(k, level, pte);
	if (!access_allowed(k))
		return fault(k, X86_PF_P);
	return set_accessed_dirty(k);
}

static bool is_canonical(gva_t gva)
{
	u32 unused = 64 - LA_BITS_4LEVEL;

	return (gva_t)((s64)(gva << unused) >> unused) == gva;
}

static int check_args(const struct gpt_ctx *c, gva_t gva,
		      const struct gpt_access *a)
{
	bool pae = c->cr4 & X86_CR4_PAE;

	if (c->maxphyaddr < MAXPHYADDR_MIN || c->maxphyaddr > MAXPHYADDR_MAX)
		return -EINVAL;
	if (a->fetch && (a->write || a->implicit_supervisor))
		return -EINVAL;
	switch (c->mode) {
	case GPT_MODE_32BIT:
		return !pae && gva <= ADDR_32BIT_LIMIT ? 0 : -EINVAL;
	case GPT_MODE_PAE:
		return pae && gva <= ADDR_32BIT_LIMIT ? 0 : -EINVAL;
	case GPT_MODE_4LEVEL:
		return pae && is_canonical(gva) ? 0 : -EINVAL;
	default:
		return -EINVAL;
	}
}

int gpt_walk(const struct gpt_ctx *ctx, gva_t gva, const struct gpt_access *acc,
	     struct gpt_walk *w)
{
	struct walker k = {.c = ctx, .a = acc, .gva = gva, .w = w};
	u32 tries;
	int ret;

	ret = check_args(ctx, gva, acc);
	if (ret)
		return ret;
	for (tries = 0; tries <= GPT_MAX_RESTARTS; tries++) {
		ret = walk_once(&k);
		if (ret != GPT_RESTART)
			return ret;
	}
	return -EBUSY;
}

bool gpt_pae_pdpte_valid(u64 pdpte, u32 maxphyaddr)
{
	u64 rsvd =
		PDPTE_PAE_RSVD_LOW | bit_range(PDPTE_PAE_RSVD_MSB, maxphyaddr);

	return !(pdpte & PTE_P) || !(pdpte & rsvd);
}
