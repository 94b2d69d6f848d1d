/* SPDX-License-Identifier: MIT */
/*
 * Page tables for the test guests that run with paging on (the shadow-MMU
 * tests): a pool of zeroed 4 KiB pages, address spaces in the three
 * paging modes, 4 KiB and large mappings, entry access the way a kernel
 * does it, turning paging on and off, CR3 switches and INVLPG, and
 * "probes": single accesses that may fault, whose exception is caught and
 * described instead of ending the guest.
 *
 * The modes (SDM vol. 3A, chapter 4): 32-bit paging (4.3) with 4 MiB
 * pages, PAE paging (4.4) with 2 MiB pages, and 4-level paging (4.5),
 * which here means IA-32e mode with the guest still running its 32-bit
 * code: compatibility mode (EFER.LMA=1, CS.L=0). Linear addresses from
 * compatibility-mode code are 32 bits; addresses above 4 GiB are reached
 * through small 64-bit helpers (paging_lm.S), which the pg_*64 functions
 * call.
 *
 * Assumptions, which every guest using this keeps: guest-physical memory
 * below pg_ident_end() is identity mapped in every address space (so a
 * table's physical address is also a pointer to it), every table page
 * comes from the pool, and pg_cpu_init() ran on each vCPU before it turns
 * paging on. Exceptions are then handled by this library's own GDT and
 * IDTs, on any vCPU; an exception that no probe expects prints a FAIL
 * line and ends the guest. Runs at CPL 0 with interrupts off.
 */
#ifndef GUEST_PAGING_H
#define GUEST_PAGING_H

#include "types.h"

#define PG_PAGE_SIZE  4096u
#define PG_PAGE_SHIFT 12
#define PG_PAGE_MASK  (~(u64)(PG_PAGE_SIZE - 1))

enum pg_mode {
	PG_MODE_32BIT,	/* CR4.PAE=0: 2 levels of 1024 4-byte entries */
	PG_MODE_PAE,	/* CR4.PAE=1: 4 PDPTEs, then 2 levels of 512 */
	PG_MODE_4LEVEL, /* CR4.PAE=1, EFER.LMA=1: 4 levels of 512 */
};
#define PG_NR_MODES 3

/* Levels counted from the page up, as the SDM's tables do. */
#define PG_LEVEL_PT   1
#define PG_LEVEL_PD   2
#define PG_LEVEL_PDPT 3
#define PG_LEVEL_PML4 4

/* Paging-structure entry bits (SDM 3A tables 4-4 to 4-20). */
#define PG_P   (1ull << 0)
#define PG_RW  (1ull << 1)
#define PG_US  (1ull << 2)
#define PG_PWT (1ull << 3)
#define PG_PCD (1ull << 4)
#define PG_A   (1ull << 5)
#define PG_D   (1ull << 6)
#define PG_PS  (1ull << 7) /* in a PDE (PDPTE): a large page */
#define PG_G   (1ull << 8)
#define PG_XD  (1ull << 63)

/* Page-fault error code (SDM 3A 4.7). */
#define PF_P	(1u << 0)
#define PF_W	(1u << 1)
#define PF_U	(1u << 2)
#define PF_RSVD (1u << 3)
#define PF_I	(1u << 4)

#define VECTOR_GP 13
#define VECTOR_PF 14

/* A paging-structure entry of either size; 4-byte ones zero-extended. */
typedef u64 pte_t;

/* An address space: its mode and its root, the value for CR3. */
struct pg_space {
	enum pg_mode mode;
	u32 root; /* page directory, PDPT or PML4 */
};

/* What a probe saw: vector -1 if the access completed. */
struct pg_fault {
	int vector;
	u32 error;
	u64 cr2;
};

/* "32-bit", "PAE" or "4-level". */
const char *pg_mode_name(enum pg_mode m);

/* Entry size in bytes (4 or 8), entries per table, bytes a PDE maps. */
u32 pg_entry_size(enum pg_mode m);
u32 pg_nr_entries(enum pg_mode m);
u32 pg_large_size(enum pg_mode m);

/* Index of va's entry at level in a table of mode m. */
u32 pg_index(enum pg_mode m, u64 va, int level);

/*
 * CPUID says the processor (or Shade) offers mode m: PSE for 32-bit (its
 * 4 MiB pages), PAE, long mode. Also the physical-address width
 * (CPUID.80000008H:EAX[7:0], 36 if absent) and 1 GiB pages.
 */
bool pg_mode_supported(enum pg_mode m);
u32 pg_maxphyaddr(void);
bool pg_has_pse36(void);
bool pg_has_1g_pages(void);

/*
 * Load this library's GDT (flat 32-bit code 0x08 and data 0x10, 64-bit
 * code 0x18) and its 32-bit IDT on the calling vCPU. Call once per vCPU,
 * paging off, before anything else here. Drops trap.c's tables (and so
 * its TSS: no ring-3 code afterwards).
 */
void pg_cpu_init(void);

/* Load the 32-bit or the 64-bit IDT (pg_enable and pg_disable do). */
void pg_load_idt(bool ia32e);

/*
 * The page pool: the 4 KiB pages [base, end), both page aligned and below
 * pg_ident_end() once paging is on. pg_alloc returns a zeroed page (REP
 * STOSL, as kernels clear pages) or 0 when none is left; pg_free puts a
 * page back, writing a link into it; the most recently freed page comes
 * back first, so that a freed page table is soon reused as data. Any vCPU.
 */
void pg_pool_init(u32 base, u32 end);
u32 pg_alloc(void);
void pg_free(u32 pa);
u32 pg_pool_free_pages(void);

/* The end of guest RAM from the boot information (0 if it is unusable). */
u32 pg_ram_end(u32 magic, u32 info);

/* The identity-mapped range [0, end) the guest maps in every space. */
void pg_set_ident_end(u32 end);
u32 pg_ident_end(void);

/*
 * The usual start of a paging guest, on vCPU 0 with paging off: copy the
 * command line into cmdline (size bytes; the boot information may lie
 * where the pool goes), find the end of RAM, set the identity range to
 * RAM or ident_max, whichever is lower, rounded down to 4 MiB, make the
 * pool everything from the first MiB boundary past the image up to there
 * less the top reserve bytes (the guest's own), and pg_cpu_init().
 * Returns the end of RAM, or 0 after a FAIL line.
 */
u32 pg_guest_init(u32 magic, u32 info, u32 ident_max, u32 reserve,
		  char *cmdline, u32 size);

/* The number after "key=" in a command line of words, or def. */
u32 pg_cmdline_u32(const char *cmdline, const char *key, u32 def);

/* Allocate an empty root for a new space; false if the pool is empty. */
bool pg_space_init(struct pg_space *s, enum pg_mode mode);

/*
 * Map the 4 KiB page at va to pa with flags (PG_P and the rest),
 * allocating the tables above it (P, RW, US; a PAE PDPTE gets only P).
 * 0, or -1 if the pool ran out or a large page is in the way.
 */
int pg_map(const struct pg_space *s, u64 va, u64 pa, u64 flags);

/* Map a large page (4 MiB or 2 MiB, PS set for the caller). 0 or -1. */
int pg_map_large(const struct pg_space *s, u64 va, u64 pa, u64 flags);

/* Identity map [0, end), RW, with large pages or 4 KiB pages. 0 or -1. */
int pg_map_identity(const struct pg_space *s, u32 end, bool large);

/*
 * Give dst the same PDEs as src for [va, va + len) (whole PDE ranges):
 * both spaces then use the same page tables there, as kernels share their
 * kernel half. 0, or -1 if the pool ran out.
 */
int pg_share(const struct pg_space *dst, const struct pg_space *src, u64 va,
	     u64 len);

/*
 * The physical address of va's entry at level, or 0 if a table above it
 * is missing (not present) or maps a large page there.
 */
u32 pg_entry_addr(const struct pg_space *s, u64 va, int level);

/*
 * Read and write entries as a kernel does. pg_get: two 4-byte loads for
 * an 8-byte entry. pg_set: one MOV; for 8 bytes the half holding P last
 * when making an entry present, first when clearing it (Linux's PAE
 * order). pg_xchg: one locked exchange (XCHG or CMPXCHG8B), returning the
 * old entry.
 */
pte_t pg_get(enum pg_mode m, u32 entry_pa);
void pg_set(enum pg_mode m, u32 entry_pa, pte_t v);
pte_t pg_xchg(enum pg_mode m, u32 entry_pa, pte_t v);

/*
 * Free the page tables below the PDEs of [va, va + len) and clear those
 * PDEs (whole PDE ranges); no TLB flush. Large-page PDEs are just cleared.
 */
void pg_free_tables(const struct pg_space *s, u64 va, u64 len);

/*
 * Free every table of s, its root included, except the page tables below
 * PDEs inside [keep_va, keep_va + keep_len) (a shared range). Entries
 * that point back up (recursive mappings) must be cleared first.
 */
void pg_space_destroy(struct pg_space *s, u64 keep_va, u64 keep_len);

/*
 * The address of va's entry at level like pg_entry_addr, but allocating
 * the missing tables above it; 0 if the pool ran out or a large page is
 * in the way. For installing a table of one's own at some level.
 */
u32 pg_entry_make(const struct pg_space *s, u64 va, int level);

/*
 * Turn paging on in s->mode from paging off (CR0.WP too, so that CPL-0
 * writes obey R/W; for 4-level: the 64-bit IDT, EFER.LME, then CR0.PG),
 * and back off (leaving IA-32e mode, the 32-bit IDT again).
 */
void pg_enable(const struct pg_space *s);
void pg_disable(void);

/* MOV to CR3: switch to s (same mode), flushing non-global TLB entries. */
void pg_load(const struct pg_space *s);
u32 pg_read_cr3(void);

/* MOV to CR3 that may fault (PAE: reserved PDPTE bits give #GP(0)). */
bool pg_try_load_cr3(u32 cr3, struct pg_fault *f);
void pg_flush(void); /* reload CR3 with itself */

/* INVLPG; an address above 4 GiB goes through 64-bit code. */
void pg_invlpg(u64 va);

/*
 * Probes: one 4-byte (or 8-byte) access at va that may fault. Return the
 * value read (0 on a fault) or whether the write completed; *f says what
 * happened (vector -1, or the exception, error code and CR2). Addresses
 * above 4 GiB (4-level mode only) go through 64-bit code.
 */
u32 pg_read32(u64 va, struct pg_fault *f);
bool pg_write32(u64 va, u32 v, struct pg_fault *f);
u64 pg_read64(u64 va, struct pg_fault *f);
bool pg_write64(u64 va, u64 v, struct pg_fault *f);

/*
 * The outcome matches: vector 14 with this error code and CR2 == va, or
 * (vector -1) no fault. For the FAIL lines: "no fault", "#PF 0x3 at
 * 0x40001000", "vector 13 error 0x0".
 */
bool pg_fault_is(const struct pg_fault *f, int vector, u32 error, u64 va);
void pg_fault_str(const struct pg_fault *f, char *buf, u32 size);

/*
 * Checks built on the probes. pg_check_read: a 4-byte read at va gives
 * want; pg_check_fault: the access raises #PF with this error code and
 * CR2 = va. Each prints "PASS prefix: what" or a FAIL line with what
 * happened instead. pg_reads and pg_faults: the same, silent, for loops.
 */
bool pg_check_read(const char *prefix, u64 va, u32 want, const char *what);
bool pg_check_fault(const char *prefix, u64 va, bool write, u32 error,
		    const char *what);
bool pg_reads(u64 va, u32 want);
bool pg_faults(u64 va, bool write, u32 error);

/* A 32-bit pseudo-random generator (xorshift32); seed must not be 0. */
u32 pg_rand(u32 *state);

#endif
