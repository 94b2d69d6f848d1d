// SPDX-License-Identifier: MIT
/*
 * Unit tests for the instruction emulator (vmm/emulate.c), built on the
 * host under ASan and UBSan.
 *
 * The heart is differential: for every opcode the emulator knows, a
 * generator writes thousands of 64-bit-mode encodings (every operand
 * size, REX bits, AH-BH registers, LOCK, 67, segment prefixes, a
 * cancelled REX before a legacy prefix, every ModRM/SIB addressing form,
 * RIP-relative included) with random registers, flags and memory. The
 * host processor runs each one natively (native_run(), below, on a
 * MAP_32BIT page so that 32-bit addresses reach it), and the emulator runs
 * the same bytes over the same memory; registers, RFLAGS, RIP, memory,
 * the length and the operand's linear address must all agree. Encodings
 * that mean the same in 32-bit mode are emulated there too and must give
 * the native results. 16- and 32-bit-only behaviour (16-bit addressing,
 * address and IP wrap, moffs and STOS sizes, segment bases) is checked
 * against hand-computed cases over a fake guest memory, as are refusals
 * (unknown opcodes, REP, LOCK misuse, register forms, 15-byte limit),
 * faults, and read-modify-writes racing a write from "another CPU".
 *
 * Links: tests/unit/test_emulate.c vmm/emulate.c tests/unit/host_shim.c.
 *
 * Past 800 lines because the generator, the native runner and the hand
 * cases share the fake memories and the checkers; splitting them would
 * need a test-only header for a single test.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <asm/prctl.h>

#include "types.h"
#include "emulate.h"

#define RFLAGS_FIXED 0x202 /* bit 1, and IF, which user mode cannot clear */

/* --- random numbers ----------------------------------------------------- */

static u64 rng = 0x9e3779b97f4a7c15ULL;

/* xorshift64*: a fixed seed makes every failure reproducible. */
static u64 rnd(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 0x2545f4914f6cdd1dULL;
}

static u64 below(u64 n)
{
	return rnd() % n;
}

/* Values near the edges where flags change, and plain random ones. */
static u64 rnd_value(void)
{
	static const u64 edges[] = {
		0,	    1,		2,	     0x7f,	 0x80,
		0xff,	    0x7fff,	0x8000,	     0xffff,	 0x7fffffff,
		0x80000000, 0xffffffff, BIT(63) - 1, BIT(63),	 ~0ULL,
		0x100,	    0x10000,	BIT(32),     0x0f0f0f0f, 0xf0f0f0f0,
	};
	u64 v = edges[below(ARRAY_SIZE(edges))];

	switch (below(4)) {
	case 0:
		return v;
	case 1:
		return v ^ (rnd() & 1 ? 0 : ~0ULL);
	case 2:
		return below(512) - 256;
	default:
		return rnd();
	}
}

/* --- native execution --------------------------------------------------- */

/* What native_run() loads before the code and stores after it. */
struct cpu {
	u64 gpr[16]; /* by enum emu_gpr; RSP is neither loaded nor stored */
	u64 rflags;
};
_Static_assert(offsetof(struct cpu, rflags) == 128, "native_run offsets");

void native_run(struct cpu *c, const void *code);

/*
 * native_run(c, code): saves the callee-saved registers, loads RFLAGS and
 * every register but RSP from *c, calls code (one instruction and a RET),
 * stores RFLAGS and the registers back into *c, clears DF for the C
 * caller and returns.
 */
asm(".pushsection .text\n"
    ".globl native_run\n"
    ".type native_run, @function\n"
    "native_run:\n"
    "	push %rbx\n"
    "	push %rbp\n"
    "	push %r12\n"
    "	push %r13\n"
    "	push %r14\n"
    "	push %r15\n"
    "	push %rdi\n" /* c */
    "	push %rsi\n" /* code */
    "	pushq 128(%rdi)\n"
    "	popfq\n"
    "	mov 0(%rdi), %rax\n"
    "	mov 8(%rdi), %rcx\n"
    "	mov 16(%rdi), %rdx\n"
    "	mov 24(%rdi), %rbx\n"
    "	mov 40(%rdi), %rbp\n"
    "	mov 48(%rdi), %rsi\n"
    "	mov 64(%rdi), %r8\n"
    "	mov 72(%rdi), %r9\n"
    "	mov 80(%rdi), %r10\n"
    "	mov 88(%rdi), %r11\n"
    "	mov 96(%rdi), %r12\n"
    "	mov 104(%rdi), %r13\n"
    "	mov 112(%rdi), %r14\n"
    "	mov 120(%rdi), %r15\n"
    "	mov 56(%rdi), %rdi\n"
    "	call *(%rsp)\n"
    "	pushfq\n"
    "	push %rdi\n"
    "	mov 24(%rsp), %rdi\n" /* c, above rdi, rflags and code */
    "	popq 56(%rdi)\n"
    "	popq 128(%rdi)\n"
    "	mov %rax, 0(%rdi)\n"
    "	mov %rcx, 8(%rdi)\n"
    "	mov %rdx, 16(%rdi)\n"
    "	mov %rbx, 24(%rdi)\n"
    "	mov %rbp, 40(%rdi)\n"
    "	mov %rsi, 48(%rdi)\n"
    "	mov %r8, 64(%rdi)\n"
    "	mov %r9, 72(%rdi)\n"
    "	mov %r10, 80(%rdi)\n"
    "	mov %r11, 88(%rdi)\n"
    "	mov %r12, 96(%rdi)\n"
    "	mov %r13, 104(%rdi)\n"
    "	mov %r14, 112(%rdi)\n"
    "	mov %r15, 120(%rdi)\n"
    "	cld\n"
    "	add $16, %rsp\n"
    "	pop %r15\n"
    "	pop %r14\n"
    "	pop %r13\n"
    "	pop %r12\n"
    "	pop %rbp\n"
    "	pop %rbx\n"
    "	ret\n"
    ".size native_run, .-native_run\n"
    ".popsection\n");

/*
 * The arena: one code page, then the data the instructions reach, below
 * 2 GiB (MAP_32BIT) so that 32-bit addresses and disp32 reach it too.
 */
#define ARENA_SIZE  (3 * PAGE_SIZE)
#define CODE_OFF    0x100 /* where the instruction goes */
#define DATA_OFF    PAGE_SIZE
#define DATA_SIZE   (2 * PAGE_SIZE)
#define TARGET_OFF  (DATA_SIZE / 2 - 128) /* operands around the middle */
#define WINDOW	    1024		  /* re-randomized around it */
#define BT_MAX_BITS 3500		  /* BT* reach: +-438 bytes */
#define GS_BASE	    0x10000ULL		  /* set with arch_prctl */
#define OPCODE_RET  0xc3

static struct {
	u8 *code, *data;
	u64 fs_base;
	u8 before[DATA_SIZE], native[DATA_SIZE];
	u64 fetch_end; /* one past the last byte the emulator fetched */
	u32 bad;       /* accesses outside the arena */
} arena;

static bool arena_has(const u8 *area, u64 size, u64 linear, u32 len)
{
	u64 start = (u64)(uintptr_t)area;

	return linear >= start && linear + len <= start + size;
}

static void *arena_ptr(u64 linear)
{
	return (void *)(uintptr_t)linear;
}

static int arena_fetch(void *opaque, u64 linear, void *buf, u32 len)
{
	(void)opaque;
	if (!arena_has(arena.code, PAGE_SIZE, linear, len)) {
		arena.bad++;
		return EMU_FAULT;
	}
	memcpy(buf, arena_ptr(linear), len);
	arena.fetch_end = MAX(arena.fetch_end, linear + len);
	return EMU_OK;
}

static bool data_ok(u64 linear, u32 len)
{
	if (len != 1 && len != 2 && len != 4 && len != 8 && len != 16)
		return false;
	if (arena_has(arena.data, DATA_SIZE, linear, len))
		return true;
	arena.bad++;
	return false;
}

static int arena_read(void *opaque, u64 linear, void *buf, u32 len)
{
	(void)opaque;
	if (!data_ok(linear, len))
		return EMU_FAULT;
	memcpy(buf, arena_ptr(linear), len);
	return EMU_OK;
}

static int arena_write(void *opaque, u64 linear, const void *buf, u32 len)
{
	(void)opaque;
	if (!data_ok(linear, len))
		return EMU_FAULT;
	memcpy(arena_ptr(linear), buf, len);
	return EMU_OK;
}

/* Single-threaded: a plain compare and copy is atomic enough here. */
static int arena_cmpxchg(void *opaque, u64 linear, const void *old,
			 const void *new, void *cur, u32 len)
{
	(void)opaque;
	if (!data_ok(linear, len))
		return EMU_FAULT;
	memcpy(cur, arena_ptr(linear), len);
	if (!memcmp(cur, old, len))
		memcpy(arena_ptr(linear), new, len);
	return EMU_OK;
}

static const struct emu_ops arena_ops = {
	.fetch = arena_fetch,
	.read = arena_read,
	.write = arena_write,
	.cmpxchg = arena_cmpxchg,
};

static int arena_setup(void **state)
{
	u8 *p = mmap(NULL, ARENA_SIZE, PROT_READ | PROT_WRITE | PROT_EXEC,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
	u32 i;

	(void)state;
	if (p == MAP_FAILED)
		return -1;
	arena.code = p;
	arena.data = p + DATA_OFF;
	for (i = 0; i < DATA_SIZE; i++)
		arena.data[i] = rnd();
	/* GS is free in a 64-bit Linux process; FS holds the TLS. */
	if (syscall(SYS_arch_prctl, ARCH_SET_GS, GS_BASE) ||
	    syscall(SYS_arch_prctl, ARCH_GET_FS, &arena.fs_base))
		return -1;
	return 0;
}

static int arena_teardown(void **state)
{
	(void)state;
	return munmap(arena.code, ARENA_SIZE);
}

/* --- what the generator knows about each opcode -------------------------- */

#define T_BYTE	  BIT(0)  /* 8-bit operands */
#define T_LOCK	  BIT(1)  /* may take LOCK */
#define T_IMM8	  BIT(2)  /* an 8-bit immediate */
#define T_IMMZ	  BIT(3)  /* a 16- or 32-bit immediate */
#define T_MOFFS	  BIT(4)  /* A0-A3 */
#define T_STOS	  BIT(5)  /* AA AB */
#define T_BTREG	  BIT(6)  /* ModRM.reg holds a bit offset */
#define T_CMPXCHG BIT(7)  /* compares rAX with memory */
#define T_8B	  BIT(8)  /* CMPXCHG8B and CMPXCHG16B */
#define T_SRC8	  BIT(9)  /* loads a byte */
#define T_SRC16	  BIT(10) /* loads a word */
#define T_SRC32	  BIT(11) /* MOVSXD */
#define T_64	  BIT(12) /* no such instruction in 32-bit mode */

enum group { G_ALU, G_UNARY, G_MOV, G_XCHG, G_BIT, G_STRING };

struct tmpl {
	const char *name;
	u8 op[2];
	u8 op_len;
	s8 ext; /* ModRM.reg of a group, or -1 */
	u16 flags;
	u8 group;
};

static const struct tmpl others[] = {
	{"movsxd", {0x63}, 1, -1, T_SRC32 | T_64, G_MOV},
	{"test Eb,Gb", {0x84}, 1, -1, T_BYTE, G_ALU},
	{"test Ev,Gv", {0x85}, 1, -1, 0, G_ALU},
	{"xchg Eb,Gb", {0x86}, 1, -1, T_BYTE | T_LOCK, G_XCHG},
	{"xchg Ev,Gv", {0x87}, 1, -1, T_LOCK, G_XCHG},
	{"mov Eb,Gb", {0x88}, 1, -1, T_BYTE, G_MOV},
	{"mov Ev,Gv", {0x89}, 1, -1, 0, G_MOV},
	{"mov Gb,Eb", {0x8a}, 1, -1, T_BYTE, G_MOV},
	{"mov Gv,Ev", {0x8b}, 1, -1, 0, G_MOV},
	{"mov al,moffs", {0xa0}, 1, -1, T_BYTE | T_MOFFS, G_STRING},
	{"mov rAX,moffs", {0xa1}, 1, -1, T_MOFFS, G_STRING},
	{"mov moffs,al", {0xa2}, 1, -1, T_BYTE | T_MOFFS, G_STRING},
	{"mov moffs,rAX", {0xa3}, 1, -1, T_MOFFS, G_STRING},
	{"stosb", {0xaa}, 1, -1, T_BYTE | T_STOS, G_STRING},
	{"stos", {0xab}, 1, -1, T_STOS, G_STRING},
	{"mov Eb,Ib", {0xc6}, 1, 0, T_BYTE | T_IMM8, G_MOV},
	{"mov Ev,Iz", {0xc7}, 1, 0, T_IMMZ, G_MOV},
	{"test Eb,Ib", {0xf6}, 1, 0, T_BYTE | T_IMM8, G_ALU},
	{"not Eb", {0xf6}, 1, 2, T_BYTE | T_LOCK, G_UNARY},
	{"neg Eb", {0xf6}, 1, 3, T_BYTE | T_LOCK, G_UNARY},
	{"test Ev,Iz", {0xf7}, 1, 0, T_IMMZ, G_ALU},
	{"not Ev", {0xf7}, 1, 2, T_LOCK, G_UNARY},
	{"neg Ev", {0xf7}, 1, 3, T_LOCK, G_UNARY},
	{"inc Eb", {0xfe}, 1, 0, T_BYTE | T_LOCK, G_UNARY},
	{"dec Eb", {0xfe}, 1, 1, T_BYTE | T_LOCK, G_UNARY},
	{"inc Ev", {0xff}, 1, 0, T_LOCK, G_UNARY},
	{"dec Ev", {0xff}, 1, 1, T_LOCK, G_UNARY},
	{"bt Ev,Gv", {0x0f, 0xa3}, 2, -1, T_BTREG, G_BIT},
	{"bts Ev,Gv", {0x0f, 0xab}, 2, -1, T_BTREG | T_LOCK, G_BIT},
	{"btr Ev,Gv", {0x0f, 0xb3}, 2, -1, T_BTREG | T_LOCK, G_BIT},
	{"btc Ev,Gv", {0x0f, 0xbb}, 2, -1, T_BTREG | T_LOCK, G_BIT},
	{"bt Ev,Ib", {0x0f, 0xba}, 2, 4, T_IMM8, G_BIT},
	{"bts Ev,Ib", {0x0f, 0xba}, 2, 5, T_IMM8 | T_LOCK, G_BIT},
	{"btr Ev,Ib", {0x0f, 0xba}, 2, 6, T_IMM8 | T_LOCK, G_BIT},
	{"btc Ev,Ib", {0x0f, 0xba}, 2, 7, T_IMM8 | T_LOCK, G_BIT},
	{"cmpxchg Eb,Gb",
	 {0x0f, 0xb0},
	 2,
	 -1,
	 T_BYTE | T_LOCK | T_CMPXCHG,
	 G_XCHG},
	{"cmpxchg Ev,Gv", {0x0f, 0xb1}, 2, -1, T_LOCK | T_CMPXCHG, G_XCHG},
	{"movzx Gv,Eb", {0x0f, 0xb6}, 2, -1, T_SRC8, G_MOV},
	{"movzx Gv,Ew", {0x0f, 0xb7}, 2, -1, T_SRC16, G_MOV},
	{"movsx Gv,Eb", {0x0f, 0xbe}, 2, -1, T_SRC8, G_MOV},
	{"movsx Gv,Ew", {0x0f, 0xbf}, 2, -1, T_SRC16, G_MOV},
	{"cmpxchg8b/16b", {0x0f, 0xc7}, 2, 1, T_8B | T_LOCK, G_XCHG},
};

/* The eight ALU operations' seven forms each, and the rest. */
#define NR_ALU_TMPLS (8 * 7)
static struct tmpl tmpls[NR_ALU_TMPLS + ARRAY_SIZE(others)];
static char tmpl_names[NR_ALU_TMPLS][24];

static void build_tmpls(void)
{
	static const char *const ops[] = {"add", "or",	"adc", "sbb",
					  "and", "sub", "xor", "cmp"};
	static const struct {
		const char *form;
		u8 op;
		bool by_n; /* the opcode is op + 8n, else op /n */
		u16 flags;
	} forms[] = {
		{"Eb,Gb", 0x00, true, T_BYTE | T_LOCK},
		{"Ev,Gv", 0x01, true, T_LOCK},
		{"Gb,Eb", 0x02, true, T_BYTE},
		{"Gv,Ev", 0x03, true, 0},
		{"Eb,Ib", 0x80, false, T_BYTE | T_IMM8 | T_LOCK},
		{"Ev,Iz", 0x81, false, T_IMMZ | T_LOCK},
		{"Ev,Ib", 0x83, false, T_IMM8 | T_LOCK},
	};
	u32 n, f, k = 0;

	for (n = 0; n < 8; n++) {
		for (f = 0; f < ARRAY_SIZE(forms); f++, k++) {
			struct tmpl *t = &tmpls[k];

			snprintf(tmpl_names[k], sizeof(tmpl_names[k]), "%s %s",
				 ops[n], forms[f].form);
			t->name = tmpl_names[k];
			t->op[0] = forms[f].op + (forms[f].by_n ? 8 * n : 0);
			t->op_len = 1;
			t->ext = forms[f].by_n ? -1 : (s8)n;
			t->flags = forms[f].flags;
			if (n == 7) /* CMP only reads */
				t->flags &= ~T_LOCK;
			t->group = G_ALU;
		}
	}
	memcpy(&tmpls[k], others, sizeof(others));
}

/* --- the generator ---------------------------------------------------------- */

enum form {
	FORM_BASE,	  /* [base] */
	FORM_BASE_D8,	  /* [base + disp8] */
	FORM_BASE_D32,	  /* [base + disp32] */
	FORM_RIP,	  /* [rip + disp32] */
	FORM_SIB,	  /* [base + index * scale (+ disp)] */
	FORM_SIB_NO_BASE, /* [index * scale + disp32] */
	FORM_ABS,	  /* [disp32], through SIB */
	FORM_IMPLICIT,	  /* moffs or STOS */
	NR_MODRM_FORMS = FORM_IMPLICIT,
};

#define REX_W	 BIT(3)
#define REX_R	 BIT(2)
#define REX_X	 BIT(1)
#define REX_B	 BIT(0)
#define NO_REG	 (-1)
#define SEG_NONE 0

/* One generated case. */
struct gen {
	const struct tmpl *t;
	bool has_rex, p66, p67, lock;
	u8 rex, seg, junk_rex;
	u64 seg_base;
	u32 op_size, mem_size;
	int reg, base, index;
	u32 scale_log;
	enum form form;
	u32 mod, disp_size, disp_at, imm_size, imm_at;
	u8 bytes[2 * EMU_MAX_INSN_LEN];
	u32 len;
	struct cpu in;
	u64 target; /* the operand's linear address, as the SDM defines it */
	bool mode32_ok;
};

static bool has_base(enum form f)
{
	return f == FORM_BASE || f == FORM_BASE_D8 || f == FORM_BASE_D32 ||
	       f == FORM_SIB;
}

static void choose_sizes(struct gen *g)
{
	const struct tmpl *t = g->t;

	g->has_rex = rnd() & 1;
	g->p67 = below(4) == 0;
	g->lock = (t->flags & T_LOCK) && (rnd() & 1);
	if (t->flags & T_BYTE) {
		g->op_size = 1;
		g->p66 = below(8) == 0; /* ignored */
		if (g->has_rex && (rnd() & 1))
			g->rex |= REX_W; /* ignored */
	} else if (below(3) == 0) {
		g->op_size = 4;
	} else if (rnd() & 1) {
		g->op_size = 2;
		g->p66 = true;
	} else {
		g->op_size = 8;
		g->has_rex = true;
		g->rex |= REX_W;
		g->p66 = rnd() & 1; /* REX.W wins */
	}
	if (t->flags & T_8B)
		g->mem_size = g->rex & REX_W ? 16 : 8;
	else if (t->flags & T_SRC8)
		g->mem_size = 1;
	else if (t->flags & T_SRC16)
		g->mem_size = 2;
	else if (t->flags & T_SRC32)
		g->mem_size = MIN(g->op_size, 4);
	else
		g->mem_size = g->op_size;
}

/* A register other than RSP (and AH, unless allowed) and not in avoid. */
static int pick_reg(const struct gen *g, bool ah_ok, int avoid1, int avoid2)
{
	int r;

	do {
		r = below(g->has_rex ? 16 : 8);
	} while ((r == EMU_RSP && !ah_ok) || r == avoid1 || r == avoid2);
	return r;
}

static void choose_operands(struct gen *g)
{
	const struct tmpl *t = g->t;
	bool ah_ok = (t->flags & T_BYTE) && !g->has_rex;

	g->base = g->index = NO_REG;
	if (t->flags & (T_MOFFS | T_STOS))
		g->form = FORM_IMPLICIT;
	else
		g->form = below(NR_MODRM_FORMS);
	if (has_base(g->form))
		g->base = pick_reg(g, false, NO_REG, NO_REG);
	if (g->form == FORM_SIB || g->form == FORM_SIB_NO_BASE) {
		g->index = pick_reg(g, false, g->base, NO_REG);
		g->scale_log = below(4);
	}
	if (t->ext >= 0)
		g->reg = t->ext | (rnd() & 1 ? 8 : 0); /* REX.R is ignored */
	else if (t->flags & T_BTREG)
		g->reg = pick_reg(g, false, g->base, g->index);
	else
		g->reg = pick_reg(g, ah_ok, NO_REG, NO_REG);
	if (!g->has_rex)
		g->reg &= 7;
}

static void choose_segment(struct gen *g)
{
	static const u8 ignored[] = {0x26, 0x2e, 0x36, 0x3e};

	switch (below(8)) {
	case 0:
		g->seg = ignored[below(ARRAY_SIZE(ignored))];
		break;
	case 1:
	case 2:
		g->seg = 0x65;
		g->seg_base = GS_BASE;
		break;
	case 3:
		/* FS is far away: only a 64-bit base register reaches back. */
		if (has_base(g->form) && !g->p67) {
			g->seg = 0x64;
			g->seg_base = arena.fs_base;
		}
		break;
	default:
		break;
	}
	if (g->t->flags & T_STOS)
		g->seg_base = 0; /* ES:[rDI], whatever the prefix */
}

static bool has_sib(const struct gen *g)
{
	return g->form == FORM_SIB || g->form == FORM_SIB_NO_BASE ||
	       g->form == FORM_ABS || (has_base(g->form) && (g->base & 7) == 4);
}

static u8 rex_byte(const struct gen *g)
{
	u8 rex = 0x40 | g->rex;

	if (g->reg >= 8)
		rex |= REX_R;
	if (g->index >= 8)
		rex |= REX_X;
	if (g->base >= 8)
		rex |= REX_B;
	/* Bits nothing uses here are ignored: set them at random. */
	if (!has_sib(g) && (rnd() & 1))
		rex |= REX_X;
	if (g->base == NO_REG && (rnd() & 1))
		rex |= REX_B;
	return rex;
}

static void put_prefixes(struct gen *g)
{
	u8 pfx[4];
	u32 n = 0, i, junk_at;

	if (g->lock)
		pfx[n++] = 0xf0;
	if (g->p66)
		pfx[n++] = 0x66;
	if (g->p67)
		pfx[n++] = 0x67;
	if (g->seg)
		pfx[n++] = g->seg;
	for (i = n; i > 1; i--) {
		u32 j = below(i);
		u8 tmp = pfx[i - 1];

		pfx[i - 1] = pfx[j];
		pfx[j] = tmp;
	}
	/* A REX before a legacy prefix is cancelled by it. */
	g->junk_rex = n && below(8) == 0 ? 0x40 | below(16) : 0;
	junk_at = n ? below(n) : 0;
	for (i = 0; i < n; i++) {
		if (g->junk_rex && i == junk_at)
			g->bytes[g->len++] = g->junk_rex;
		g->bytes[g->len++] = pfx[i];
	}
	if (g->has_rex)
		g->bytes[g->len++] = rex_byte(g);
}

static u8 modrm(u32 mod, u32 reg, u32 rm)
{
	return mod << 6 | (reg & 7) << 3 | (rm & 7);
}

/* ModRM, SIB and room for the displacement, for 64-bit addressing. */
static void put_modrm(struct gen *g)
{
	u8 *b = g->bytes;
	u32 sib_base;

	switch (g->form) {
	case FORM_RIP:
		b[g->len++] = modrm(0, g->reg, 5);
		g->disp_size = 4;
		break;
	case FORM_ABS:
	case FORM_SIB_NO_BASE:
		b[g->len++] = modrm(0, g->reg, 4);
		sib_base = 5;
		b[g->len++] = g->scale_log << 6 |
			      (g->form == FORM_ABS ? 4 : g->index & 7) << 3 |
			      sib_base;
		g->disp_size = 4;
		break;
	default:
		g->mod = g->form == FORM_BASE_D8    ? 1
			 : g->form == FORM_BASE_D32 ? 2
			 : g->form == FORM_SIB	    ? below(3)
						    : 0;
		if (g->mod == 0 && (g->base & 7) == 5)
			g->mod = 1; /* [rbp] and [r13] need a displacement */
		g->disp_size = g->mod == 1 ? 1 : g->mod == 2 ? 4 : 0;
		if (g->form == FORM_SIB || (g->base & 7) == 4) {
			b[g->len++] = modrm(g->mod, g->reg, 4);
			b[g->len++] = g->scale_log << 6 |
				      (g->form == FORM_SIB ? g->index & 7 : 4)
					      << 3 |
				      (g->base & 7);
		} else {
			b[g->len++] = modrm(g->mod, g->reg, g->base);
		}
		break;
	}
	g->disp_at = g->len;
	g->len += g->disp_size;
}

static void layout(struct gen *g)
{
	const struct tmpl *t = g->t;
	u32 i;

	put_prefixes(g);
	for (i = 0; i < t->op_len; i++)
		g->bytes[g->len++] = t->op[i];
	if (t->flags & T_MOFFS) {
		g->disp_at = g->len;
		g->disp_size = g->p67 ? 4 : 8;
		g->len += g->disp_size;
	} else if (!(t->flags & T_STOS)) {
		put_modrm(g);
	}
	g->imm_size = t->flags & T_IMM8	  ? 1
		      : t->flags & T_IMMZ ? (g->op_size == 2 ? 2 : 4)
					  : 0;
	g->imm_at = g->len;
	for (i = 0; i < g->imm_size; i++)
		g->bytes[g->len++] = rnd();
}

static void put_le(u8 *at, u64 v, u32 size)
{
	memcpy(at, &v, size);
}

static u64 size_mask(u32 size)
{
	return size >= 8 ? ~0ULL : BIT(8 * size) - 1;
}

/* Floor division, as the SDM's BT bit-offset DIV is meant. */
static s64 floor_div(s64 a, s64 b)
{
	return a >= 0 ? a / b : -((-a + b - 1) / b);
}

/* Registers that address the operand: base + index * scale + disp. */
static void set_address(struct gen *g, u64 rip)
{
	u64 ea = g->target - g->seg_base;
	s64 disp = 0, idx = 0;
	u64 scale = 1ULL << g->scale_log;

	if (g->index != NO_REG) {
		idx = (s64)below(512) - 256;
		g->in.gpr[g->index] = idx;
	}
	switch (g->form) {
	case FORM_IMPLICIT:
		if (g->t->flags & T_STOS)
			g->in.gpr[EMU_RDI] = g->target;
		else
			put_le(g->bytes + g->disp_at, ea, g->disp_size);
		break;
	case FORM_RIP:
		disp = (s64)(ea - (rip + g->len));
		break;
	case FORM_ABS:
	case FORM_SIB_NO_BASE:
		disp = (s64)(ea - idx * scale);
		break;
	default:
		disp = g->disp_size == 1   ? (s8)rnd()
		       : g->disp_size == 4 ? (s32)rnd()
					   : 0;
		g->in.gpr[g->base] = ea - disp - idx * scale;
		break;
	}
	if (g->form != FORM_IMPLICIT) {
		assert_true(disp == (s32)disp);
		put_le(g->bytes + g->disp_at, disp, g->disp_size);
	}
	/* With a 32-bit address size the upper halves do not count. */
	if (g->p67 && g->base != NO_REG)
		g->in.gpr[g->base] += rnd() << 32;
	if (g->p67 && g->index != NO_REG)
		g->in.gpr[g->index] += rnd() << 32;
	if (g->p67 && (g->t->flags & T_STOS))
		g->in.gpr[EMU_RDI] += rnd() << 32;
}

/* Random memory, and an operand value that makes the case interesting. */
static void set_memory(struct gen *g)
{
	u8 *at = arena_ptr(g->target);
	u64 v = rnd_value(), lo, hi;
	u32 i;

	for (i = 0; i < WINDOW; i++)
		arena.data[TARGET_OFF - WINDOW / 2 + i] = rnd();
	put_le(at, v, MIN(g->mem_size, 8));
	if (!(rnd() & 1))
		return;
	/* Half the time memory equals the accumulator: CMPXCHG succeeds. */
	lo = g->in.gpr[EMU_RAX];
	hi = g->in.gpr[EMU_RDX];
	if ((g->t->flags & T_CMPXCHG))
		put_le(at, lo, g->mem_size);
	else if ((g->t->flags & T_8B) && g->mem_size == 8)
		put_le(at, (lo & 0xffffffff) | hi << 32, 8);
	else if (g->t->flags & T_8B) {
		put_le(at, lo, 8);
		put_le(at + 8, hi, 8);
	}
}

/* The bit offset BT* takes from a register, and where it lands. */
static void set_bit_offset(struct gen *g)
{
	s64 off = (s64)below(2 * BT_MAX_BITS + 1) - BT_MAX_BITS;
	u64 mask = size_mask(g->op_size);

	g->in.gpr[g->reg] = (rnd() & ~mask) | ((u64)off & mask);
	g->target += floor_div(off, 8 * g->op_size) * g->op_size;
}

static void gen_case(const struct tmpl *t, struct gen *g)
{
	u64 rip = (u64)(uintptr_t)(arena.code + CODE_OFF);
	u32 i;

	do {
		memset(g, 0, sizeof(*g));
		g->t = t;
		choose_sizes(g);
		choose_operands(g);
		choose_segment(g);
		layout(g);
	} while (g->len > EMU_MAX_INSN_LEN);

	for (i = 0; i < 16; i++)
		g->in.gpr[i] = rnd_value();
	g->in.rflags = RFLAGS_FIXED | (rnd() & X86_RFLAGS_ARITH);
	if ((t->flags & T_STOS) && (rnd() & 1))
		g->in.rflags |= X86_RFLAGS_DF;
	g->target = (u64)(uintptr_t)arena.data + TARGET_OFF + below(256);
	if (g->mem_size == 16)
		g->target &= ~15ULL;
	set_address(g, rip);
	if (t->flags & T_BTREG)
		set_bit_offset(g);
	set_memory(g);
	g->mode32_ok = !g->has_rex && !g->junk_rex && !g->p67 &&
		       g->form != FORM_RIP && !(t->flags & (T_MOFFS | T_64));
}

/* --- running a case both ways -------------------------------------------- */

static void dump_case(const struct gen *g, enum emu_mode mode)
{
	u32 i;

	fprintf(stderr, "%s in %d-bit mode:", g->t->name,
		mode == EMU_MODE_64 ? 64 : 32);
	for (i = 0; i < g->len; i++)
		fprintf(stderr, " %02x", g->bytes[i]);
	fprintf(stderr, "\n");
	for (i = 0; i < 16; i++)
		fprintf(stderr, "  in gpr[%u] = %#llx\n", i,
			(unsigned long long)g->in.gpr[i]);
	fprintf(stderr, "  in rflags = %#llx, target %#llx\n",
		(unsigned long long)g->in.rflags,
		(unsigned long long)g->target);
}

#define CHECK(g, mode, cond, ...)              \
	do {                                   \
		if (!(cond)) {                 \
			dump_case(g, mode);    \
			fail_msg(__VA_ARGS__); \
		}                              \
	} while (0)

static void emulate_case(const struct gen *g, enum emu_mode mode,
			 const struct cpu *native)
{
	u64 rip = (u64)(uintptr_t)(arena.code + CODE_OFF);
	struct emu_regs r = {.rip = rip, .rflags = g->in.rflags};
	struct emu_insn insn;
	enum emu_result ret;
	u32 i;

	memcpy(r.gpr, g->in.gpr, sizeof(r.gpr));
	/* In 64-bit mode ES CS SS DS bases must be ignored: make them odd. */
	for (i = EMU_ES; i <= EMU_DS; i++)
		r.seg_base[i] = mode == EMU_MODE_64 ? rnd() : 0;
	r.seg_base[EMU_FS] = arena.fs_base;
	r.seg_base[EMU_GS] = GS_BASE;
	memcpy(arena.data, arena.before, DATA_SIZE);
	arena.fetch_end = 0;
	arena.bad = 0;

	ret = emu_decode(mode, &r, &arena_ops, &insn);
	CHECK(g, mode, ret == EMU_DONE, "decode: %d", ret);
	CHECK(g, mode, insn.len == g->len, "len %u", insn.len);
	CHECK(g, mode, arena.fetch_end == rip + g->len, "fetched past it");
	CHECK(g, mode, insn.linear == g->target, "linear %#llx",
	      (unsigned long long)insn.linear);
	CHECK(g, mode, insn.mem_size == g->mem_size, "mem_size %u",
	      insn.mem_size);
	ret = emu_execute(mode, &r, &arena_ops, &insn);
	CHECK(g, mode, ret == EMU_DONE, "execute: %d (bad %u)", ret, arena.bad);
	for (i = 0; i < 16; i++)
		CHECK(g, mode, i == EMU_RSP || r.gpr[i] == native->gpr[i],
		      "gpr[%u] %#llx, native %#llx", i,
		      (unsigned long long)r.gpr[i],
		      (unsigned long long)native->gpr[i]);
	CHECK(g, mode, r.rflags == native->rflags, "rflags %#llx, native %#llx",
	      (unsigned long long)r.rflags, (unsigned long long)native->rflags);
	CHECK(g, mode, r.rip == rip + g->len, "rip");
	CHECK(g, mode, !memcmp(arena.data, arena.native, DATA_SIZE),
	      "memory differs");
}

static void run_case(const struct tmpl *t, u32 *n32)
{
	u8 *code = arena.code + CODE_OFF;
	struct cpu native;
	struct gen g;

	gen_case(t, &g);
	memcpy(code, g.bytes, g.len);
	code[g.len] = OPCODE_RET;
	memcpy(arena.before, arena.data, DATA_SIZE);
	native = g.in;
	native_run(&native, code);
	memcpy(arena.native, arena.data, DATA_SIZE);

	emulate_case(&g, EMU_MODE_64, &native);
	if (g.mode32_ok) {
		emulate_case(&g, EMU_MODE_32, &native);
		(*n32)++;
	}
}

#define CASES_PER_OPCODE 2500

static void run_group(enum group group)
{
	u32 k, n, n32 = 0, ntmpl = 0;

	build_tmpls();
	for (k = 0; k < ARRAY_SIZE(tmpls); k++) {
		if (tmpls[k].group != group)
			continue;
		ntmpl++;
		for (n = 0; n < CASES_PER_OPCODE; n++)
			run_case(&tmpls[k], &n32);
	}
	assert_true(ntmpl > 0);
	if (getenv("SHADE_TEST_VERBOSE"))
		fprintf(stderr, "%u forms, %u cases, %u also in 32-bit mode\n",
			ntmpl, ntmpl * CASES_PER_OPCODE, n32);
}

static void test_native_alu(void **state)
{
	(void)state;
	run_group(G_ALU);
}

static void test_native_unary(void **state)
{
	(void)state;
	run_group(G_UNARY);
}

static void test_native_mov(void **state)
{
	(void)state;
	run_group(G_MOV);
}

static void test_native_xchg_cmpxchg(void **state)
{
	(void)state;
	run_group(G_XCHG);
}

static void test_native_bit(void **state)
{
	(void)state;
	run_group(G_BIT);
}

static void test_native_moffs_stos(void **state)
{
	(void)state;
	run_group(G_STRING);
}

/* --- a fake guest memory for the hand-written cases ------------------------ */

#define FAKE_PAGES 8

static struct {
	u64 page[FAKE_PAGES];
	u8 bytes[FAKE_PAGES][PAGE_SIZE];
	u32 npages;
	bool read_only; /* writes and cmpxchg fault */
	u32 meddles;	/* cmpxchg calls that first change memory ... */
	u64 meddle_add; /* ... by adding this, as another CPU would */
	u32 cmpxchgs;
} fake;

static void fake_reset(void)
{
	memset(&fake, 0, sizeof(fake));
}

/* The byte at linear, or NULL if its page is not mapped (map: map it). */
static u8 *fake_byte(u64 linear, bool map)
{
	u64 page = linear & PAGE_MASK, off = linear & ~PAGE_MASK;
	u32 i;

	for (i = 0; i < fake.npages; i++)
		if (fake.page[i] == page)
			return &fake.bytes[i][off];
	if (!map)
		return NULL;
	assert_true(fake.npages < FAKE_PAGES);
	fake.page[fake.npages] = page;
	return &fake.bytes[fake.npages++][off];
}

static void fake_put(u64 linear, const void *buf, u32 len)
{
	u32 k;

	for (k = 0; k < len; k++)
		*fake_byte(linear + k, true) = ((const u8 *)buf)[k];
}

static void fake_put_val(u64 linear, u64 v, u32 len)
{
	fake_put(linear, &v, len);
}

static bool fake_copy(u64 linear, void *buf, u32 len)
{
	u32 k;

	for (k = 0; k < len; k++) {
		u8 *p = fake_byte(linear + k, false);

		if (!p)
			return false;
		((u8 *)buf)[k] = *p;
	}
	return true;
}

static u64 fake_get(u64 linear, u32 len)
{
	u64 v = 0;

	assert_true(fake_copy(linear, &v, len));
	return v;
}

static int fake_fetch(void *opaque, u64 linear, void *buf, u32 len)
{
	assert_ptr_equal(opaque, &fake);
	return fake_copy(linear, buf, len) ? EMU_OK : EMU_FAULT;
}

static int fake_read(void *opaque, u64 linear, void *buf, u32 len)
{
	assert_ptr_equal(opaque, &fake);
	return fake_copy(linear, buf, len) ? EMU_OK : EMU_FAULT;
}

static int fake_write(void *opaque, u64 linear, const void *buf, u32 len)
{
	u8 scratch[16];

	assert_ptr_equal(opaque, &fake);
	if (fake.read_only || !fake_copy(linear, scratch, len))
		return EMU_FAULT;
	fake_put(linear, buf, len);
	return EMU_OK;
}

static int fake_cmpxchg(void *opaque, u64 linear, const void *old,
			const void *new, void *cur, u32 len)
{
	assert_ptr_equal(opaque, &fake);
	fake.cmpxchgs++;
	if (fake.read_only || !fake_copy(linear, cur, len))
		return EMU_FAULT;
	if (fake.meddles) {
		fake.meddles--;
		fake_put_val(linear,
			     fake_get(linear, MIN(len, 8)) + fake.meddle_add,
			     MIN(len, 8));
		fake_copy(linear, cur, len);
	}
	if (!memcmp(cur, old, len))
		fake_put(linear, new, len);
	return EMU_OK;
}

static const struct emu_ops fake_ops = {
	.fetch = fake_fetch,
	.read = fake_read,
	.write = fake_write,
	.cmpxchg = fake_cmpxchg,
	.opaque = &fake,
};

#define CODE(s) (const u8 *)(s), sizeof(s) - 1

/* Places the bytes at CS:rip (without wrapping) and decodes them. */
static enum emu_result hand_decode(enum emu_mode mode, const struct emu_regs *r,
				   const u8 *bytes, u32 len,
				   struct emu_insn *insn)
{
	u64 cs = mode == EMU_MODE_64 ? 0 : r->seg_base[EMU_CS];

	fake_put(cs + r->rip, bytes, len);
	return emu_decode(mode, r, &fake_ops, insn);
}

/* --- addresses, lengths and sizes, computed by hand ------------------------ */

struct addr_case {
	const char *what;
	enum emu_mode mode;
	const u8 *bytes;
	u32 len;
	u64 linear;
	u32 mem_size;
	u64 gpr[16];
	u64 seg[6];
	u64 rip; /* 0: 0x100 */
};

static const struct addr_case addr_cases[] = {
	/* 16-bit mode: SDM 2 table 2-1 */
	{"16: [bx+si+disp8]", EMU_MODE_16, CODE("\x00\x40\x05"), 0x11025, 1,
	 .gpr = {[EMU_RBX] = 0x1000, [EMU_RSI] = 0x20},
	 .seg = {[EMU_DS] = 0x10000}},
	{"16: [bx+di]", EMU_MODE_16, CODE("\x01\x01"), 0x21002, 2,
	 .gpr = {[EMU_RBX] = 0x1000, [EMU_RDI] = 2},
	 .seg = {[EMU_DS] = 0x20000}},
	{"16: [bp+si] is in SS", EMU_MODE_16, CODE("\x01\x02"), 0x30110, 2,
	 .gpr = {[EMU_RBP] = 0x100, [EMU_RSI] = 0x10},
	 .seg = {[EMU_DS] = 0x20000, [EMU_SS] = 0x30000}},
	{"16: [bp+di-1] is in SS and wraps", EMU_MODE_16, CODE("\x01\x43\xff"),
	 0x3ffff, 2, .seg = {[EMU_DS] = 0x20000, [EMU_SS] = 0x30000}},
	{"16: [si+disp16]", EMU_MODE_16, CODE("\x01\x84\x34\x12"), 0x21244, 2,
	 .gpr = {[EMU_RSI] = 0x10}, .seg = {[EMU_DS] = 0x20000}},
	{"16: [di]", EMU_MODE_16, CODE("\x01\x05"), 0x20050, 2,
	 .gpr = {[EMU_RDI] = 0x50}, .seg = {[EMU_DS] = 0x20000}},
	{"16: [disp16]", EMU_MODE_16, CODE("\x01\x06\x34\x12"), 0x21234, 2,
	 .gpr = {[EMU_RBP] = 0x5555},
	 .seg = {[EMU_DS] = 0x20000, [EMU_SS] = 0x30000}},
	{"16: [bp+disp8] is in SS", EMU_MODE_16, CODE("\x01\x46\x10"), 0x30210,
	 2, .gpr = {[EMU_RBP] = 0x200},
	 .seg = {[EMU_DS] = 0x20000, [EMU_SS] = 0x30000}},
	{"16: [bx] ignores the upper bits", EMU_MODE_16, CODE("\x01\x07"),
	 0x21234, 2, .gpr = {[EMU_RBX] = 0xdead1234},
	 .seg = {[EMU_DS] = 0x20000}},
	{"16: [bx+si] wraps at 64 KiB", EMU_MODE_16, CODE("\x01\x00"), 0x20010,
	 2, .gpr = {[EMU_RBX] = 0xfff0, [EMU_RSI] = 0x20},
	 .seg = {[EMU_DS] = 0x20000}},
	{"16: ES override", EMU_MODE_16, CODE("\x26\x01\x07"), 0x40010, 2,
	 .gpr = {[EMU_RBX] = 0x10},
	 .seg = {[EMU_DS] = 0x20000, [EMU_ES] = 0x40000}},
	{"16: DS override on [bp]", EMU_MODE_16, CODE("\x3e\x01\x46\x00"),
	 0x20010, 2, .gpr = {[EMU_RBP] = 0x10},
	 .seg = {[EMU_DS] = 0x20000, [EMU_SS] = 0x30000}},
	{"16: FS override", EMU_MODE_16, CODE("\x64\x01\x07"), 0x50010, 2,
	 .gpr = {[EMU_RBX] = 0x10},
	 .seg = {[EMU_DS] = 0x20000, [EMU_FS] = 0x50000}},
	{"16: 66 makes 32-bit operands", EMU_MODE_16, CODE("\x66\x01\x07"),
	 0x20010, 4, .gpr = {[EMU_RBX] = 0x10}, .seg = {[EMU_DS] = 0x20000}},
	{"16: 67 makes 32-bit addresses", EMU_MODE_16, CODE("\x67\x01\x03"),
	 0x32345, 2, .gpr = {[EMU_RBX] = 0x12345}, .seg = {[EMU_DS] = 0x20000}},
	{"16: 67 with SIB [ebp+eax*4+8] is in SS", EMU_MODE_16,
	 CODE("\x67\x01\x44\x85\x08"), 0x30148, 2,
	 .gpr = {[EMU_RBP] = 0x100, [EMU_RAX] = 0x10},
	 .seg = {[EMU_DS] = 0x20000, [EMU_SS] = 0x30000}},
	{"16: linear address wraps at 4 GiB", EMU_MODE_16, CODE("\x01\x07"),
	 0x1000, 2, .gpr = {[EMU_RBX] = 0x2000},
	 .seg = {[EMU_DS] = 0xfffff000}},
	{"16: moffs is 16 bits", EMU_MODE_16, CODE("\xa1\x34\x12"), 0x21234, 2,
	 .seg = {[EMU_DS] = 0x20000}},
	{"16: 66 moffs: 32-bit operand, 16-bit offset", EMU_MODE_16,
	 CODE("\x66\xa1\x34\x12"), 0x21234, 4, .seg = {[EMU_DS] = 0x20000}},
	{"16: stosb is at ES:DI, whatever the override", EMU_MODE_16,
	 CODE("\x2e\xaa"), 0x40010, 1, .gpr = {[EMU_RDI] = 0xabcd0010},
	 .seg = {[EMU_ES] = 0x40000, [EMU_CS] = 0x60000}},
	{"16: bt [bx], ax reaches past the wrap", EMU_MODE_16,
	 CODE("\x0f\xa3\x07"), 0x20002, 2,
	 .gpr = {[EMU_RBX] = 0xfffe, [EMU_RAX] = 0x20},
	 .seg = {[EMU_DS] = 0x20000}},
	/* 32-bit mode: SDM 2 tables 2-2 and 2-3 */
	{"32: [esp] is in SS", EMU_MODE_32, CODE("\x01\x04\x24"), 0x101000, 4,
	 .gpr = {[EMU_RSP] = 0x1000}, .seg = {[EMU_SS] = 0x100000}},
	{"32: [ebp+8] is in SS", EMU_MODE_32, CODE("\x01\x45\x08"), 0x101008, 4,
	 .gpr = {[EMU_RBP] = 0x1000}, .seg = {[EMU_SS] = 0x100000}},
	{"32: [ebp+disp8] through SIB is in SS", EMU_MODE_32,
	 CODE("\x01\x44\x25\x04"), 0x100104, 4, .gpr = {[EMU_RBP] = 0x100},
	 .seg = {[EMU_SS] = 0x100000, [EMU_DS] = 0x200000}},
	{"32: [ebp*1+disp32] has no base: DS", EMU_MODE_32,
	 CODE("\x01\x04\x2d\x00\x01\x00\x00"), 0x200110, 4,
	 .gpr = {[EMU_RBP] = 0x10},
	 .seg = {[EMU_SS] = 0x100000, [EMU_DS] = 0x200000}},
	{"32: index esp means none", EMU_MODE_32, CODE("\x01\x04\x63"), 0x3000,
	 4, .gpr = {[EMU_RBX] = 0x3000, [EMU_RSP] = 0x77}},
	{"32: [disp32] is absolute, not RIP-relative", EMU_MODE_32,
	 CODE("\x01\x05\x78\x56\x34\x12"), 0x12346678, 4,
	 .seg = {[EMU_DS] = 0x1000}},
	{"32: the address wraps at 32 bits", EMU_MODE_32, CODE("\x01\x43\x20"),
	 0x1010, 4, .gpr = {[EMU_RBX] = 0xfffffff0},
	 .seg = {[EMU_DS] = 0x1000}},
	{"32: base plus offset wraps at 4 GiB", EMU_MODE_32, CODE("\x01\x03"),
	 0x10000000, 4, .gpr = {[EMU_RBX] = 0x90000000},
	 .seg = {[EMU_DS] = 0x80000000}},
	{"32: upper register halves do not count", EMU_MODE_32,
	 CODE("\x01\x03"), 0x1000, 4, .gpr = {[EMU_RBX] = 0xffffffff00001000}},
	{"32: 67 makes 16-bit addresses", EMU_MODE_32, CODE("\x67\x01\x00"),
	 0x1030, 4, .gpr = {[EMU_RBX] = 0x10010, [EMU_RSI] = 0x20},
	 .seg = {[EMU_DS] = 0x1000}},
	{"32: 66 makes 16-bit operands", EMU_MODE_32, CODE("\x66\x01\x03"),
	 0x1000, 2, .gpr = {[EMU_RBX] = 0x1000}},
	{"32: GS override", EMU_MODE_32, CODE("\x65\x8b\x03"), 0x700010, 4,
	 .gpr = {[EMU_RBX] = 0x10}, .seg = {[EMU_GS] = 0x700000}},
	{"32: moffs is 32 bits", EMU_MODE_32, CODE("\xa3\x78\x56\x34\x12"),
	 0x12346678, 4, .seg = {[EMU_DS] = 0x1000}},
	{"32: 66 stos at ES:EDI", EMU_MODE_32, CODE("\x66\xab"), 0x2100, 2,
	 .gpr = {[EMU_RDI] = 0x100},
	 .seg = {[EMU_ES] = 0x2000, [EMU_DS] = 0x5000}},
	/* 64-bit mode: SDM 2 2.2.1 */
	{"64: RIP-relative counts the immediate", EMU_MODE_64,
	 CODE("\x81\x05\x10\x00\x00\x00\x01\x00\x00\x00"), 0x101a, 4,
	 .rip = 0x1000},
	{"64: RIP-relative, negative, with imm8", EMU_MODE_64,
	 CODE("\xc6\x05\xf0\xff\xff\xff\x7f"), 0xff7, 1, .rip = 0x1000},
	{"64: RIP-relative bts with imm8", EMU_MODE_64,
	 CODE("\x0f\xba\x2d\x00\x01\x00\x00\x05"), 0x1108, 4, .rip = 0x1000},
	{"64: RIP-relative with 67 wraps at 4 GiB", EMU_MODE_64,
	 CODE("\x67\x8b\x05\x10\x00\x00\x00"), 0x7, 4, .rip = 0xfffffff0},
	{"64: mod 0 rm 5 with REX.B is still RIP-relative", EMU_MODE_64,
	 CODE("\x41\x8b\x05\x00\x01\x00\x00"), 0x1107, 4,
	 .gpr = {[13] = 0x9999}, .rip = 0x1000},
	{"64: [disp32] through SIB", EMU_MODE_64,
	 CODE("\x8b\x04\x25\x78\x56\x34\x12"), 0x12345678, 4, .rip = 0x100},
	{"64: [disp32] through SIB is sign-extended", EMU_MODE_64,
	 CODE("\x8b\x04\x25\x00\x00\x00\x80"), 0xffffffff80000000, 4,
	 .rip = 0x100},
	{"64: [r12] takes a SIB", EMU_MODE_64, CODE("\x41\x8b\x04\x24"), 0x5000,
	 4, .gpr = {[12] = 0x5000}},
	{"64: [r13+0]", EMU_MODE_64, CODE("\x41\x8b\x45\x00"), 0x6000, 4,
	 .gpr = {[13] = 0x6000}},
	{"64: SIB index r12 with REX.X", EMU_MODE_64, CODE("\x42\x8b\x04\x23"),
	 0x120, 4, .gpr = {[EMU_RBX] = 0x100, [12] = 0x20}},
	{"64: DS base is ignored", EMU_MODE_64, CODE("\x3e\x8b\x03"), 0x1000, 4,
	 .gpr = {[EMU_RBX] = 0x1000},
	 .seg = {[EMU_DS] = 0x10000000, [EMU_ES] = 1, [EMU_SS] = 2}},
	{"64: [rbp]: SS base is ignored", EMU_MODE_64, CODE("\x8b\x45\x00"),
	 0x3000, 4, .gpr = {[EMU_RBP] = 0x3000}, .seg = {[EMU_SS] = 0x1000}},
	{"64: FS base applies", EMU_MODE_64, CODE("\x64\x8b\x03"),
	 0x7fff00000010, 4, .gpr = {[EMU_RBX] = 0x10},
	 .seg = {[EMU_FS] = 0x7fff00000000}},
	{"64: GS with 67 truncates the offset, not the base", EMU_MODE_64,
	 CODE("\x65\x67\x8b\x03"), 0x100001000, 4,
	 .gpr = {[EMU_RBX] = 0xdead00001000}, .seg = {[EMU_GS] = 0x100000000}},
	{"64: 67 makes 32-bit addresses", EMU_MODE_64, CODE("\x67\x8b\x03"),
	 0x10, 4, .gpr = {[EMU_RBX] = 0xffffffff00000010}},
	{"64: moffs is 64 bits", EMU_MODE_64,
	 CODE("\x48\xa1\x88\x77\x66\x55\x44\x33\x22\x11"), 0x1122334455667788,
	 8, .rip = 0x100},
	{"64: moffs with 67 is 32 bits", EMU_MODE_64,
	 CODE("\x67\xa0\x78\x56\x34\x12"), 0x12345678, 1, .rip = 0x100},
	{"64: a REX before 66 is cancelled", EMU_MODE_64,
	 CODE("\x48\x66\x89\x03"), 0x1000, 2, .gpr = {[EMU_RBX] = 0x1000}},
	{"64: REX.W after 66 wins", EMU_MODE_64, CODE("\x66\x48\x89\x03"),
	 0x1000, 8, .gpr = {[EMU_RBX] = 0x1000}},
	{"64: of two REX prefixes the last counts", EMU_MODE_64,
	 CODE("\x48\x41\x89\x03"), 0x2222, 4,
	 .gpr = {[EMU_RBX] = 0x1000, [11] = 0x2222}},
	{"64: cmpxchg16b", EMU_MODE_64, CODE("\x48\x0f\xc7\x0b"), 0x1010, 16,
	 .gpr = {[EMU_RBX] = 0x1010}},
	{"64: cmpxchg8b ignores 66", EMU_MODE_64, CODE("\x66\x0f\xc7\x0b"),
	 0x1010, 8, .gpr = {[EMU_RBX] = 0x1010}},
	{"64: stos with 67 uses EDI", EMU_MODE_64, CODE("\x67\xaa"), 0x40, 1,
	 .gpr = {[EMU_RDI] = 0xffff000000000040}},
	{"64: mov r/m64, imm32", EMU_MODE_64,
	 CODE("\x48\xc7\x03\xff\xff\xff\xff"), 0x1000, 8,
	 .gpr = {[EMU_RBX] = 0x1000}},
	{"64: movsxd r64, m32", EMU_MODE_64, CODE("\x48\x63\x03"), 0x1000, 4,
	 .gpr = {[EMU_RBX] = 0x1000}},
	{"64: bt [rbx], eax with eax = -1", EMU_MODE_64, CODE("\x0f\xa3\x03"),
	 0xffc, 4, .gpr = {[EMU_RBX] = 0x1000, [EMU_RAX] = 0x12345678ffffffff}},
	{"64: bt [rbx], ax with ax = -1", EMU_MODE_64, CODE("\x66\x0f\xa3\x03"),
	 0xffe, 2, .gpr = {[EMU_RBX] = 0x1000, [EMU_RAX] = 0xffff}},
	{"64: bt [rbx], rax with rax = -65", EMU_MODE_64,
	 CODE("\x48\x0f\xa3\x03"), 0xff0, 8,
	 .gpr = {[EMU_RBX] = 0x1000, [EMU_RAX] = (u64)-65}},
	{"64: bts [rbx], eax with eax = 2^31 - 1", EMU_MODE_64,
	 CODE("\x0f\xab\x03"), 0x10000ffc, 4,
	 .gpr = {[EMU_RBX] = 0x1000, [EMU_RAX] = 0x7fffffff}},
	{"64: bt [rbx], imm8 stays at [rbx]", EMU_MODE_64,
	 CODE("\x0f\xba\x23\xff"), 0x1000, 4, .gpr = {[EMU_RBX] = 0x1000}},
};

static void test_addresses(void **state)
{
	const struct addr_case *c;
	struct emu_insn insn;
	enum emu_result ret;

	(void)state;
	for (c = addr_cases; c < addr_cases + ARRAY_SIZE(addr_cases); c++) {
		struct emu_regs r = {.rip = c->rip ? c->rip : 0x100};

		fake_reset();
		memcpy(r.gpr, c->gpr, sizeof(r.gpr));
		memcpy(r.seg_base, c->seg, sizeof(r.seg_base));
		ret = hand_decode(c->mode, &r, c->bytes, c->len, &insn);
		if (ret != EMU_DONE || insn.len != c->len ||
		    insn.linear != c->linear || insn.mem_size != c->mem_size)
			fail_msg("%s: result %d, len %u, linear %#llx, size %u",
				 c->what, ret, insn.len,
				 (unsigned long long)insn.linear,
				 insn.mem_size);
	}
}

/* --- execution outside 64-bit mode, by hand --------------------------------- */

#define F_CF X86_RFLAGS_CF
#define F_PF X86_RFLAGS_PF
#define F_AF X86_RFLAGS_AF
#define F_ZF X86_RFLAGS_ZF
#define F_SF X86_RFLAGS_SF
#define F_OF X86_RFLAGS_OF

/* Decodes and executes bytes at CS:rip; both steps must succeed. */
static void hand_run(enum emu_mode mode, struct emu_regs *r, const u8 *bytes,
		     u32 len)
{
	struct emu_insn insn;

	assert_int_equal(hand_decode(mode, r, bytes, len, &insn), EMU_DONE);
	assert_int_equal(insn.len, len);
	assert_int_equal(emu_execute(mode, r, &fake_ops, &insn), EMU_DONE);
}

#define RUN(mode, r, s) hand_run(mode, r, (const u8 *)(s), sizeof(s) - 1)

/* 16-bit mode: CS 0x10000, DS 0x20000, BX 0x10 */
static struct emu_regs regs16(void)
{
	struct emu_regs r = {.rip = 0x100, .rflags = RFLAGS_FIXED};

	r.seg_base[EMU_CS] = 0x10000;
	r.seg_base[EMU_DS] = 0x20000;
	r.gpr[EMU_RBX] = 0x10;
	return r;
}

static void test_16bit_execution(void **state)
{
	struct emu_regs r;

	(void)state;
	fake_reset();
	/* add [bx], ax: 16 bits, the upper bits of RAX untouched */
	r = regs16();
	r.gpr[EMU_RAX] = 0xaaaabbbbcccc0001;
	fake_put_val(0x20010, 0x5555ffff, 4);
	RUN(EMU_MODE_16, &r, "\x01\x07");
	assert_int_equal(fake_get(0x20010, 4), 0x55550000);
	assert_int_equal(r.rflags, RFLAGS_FIXED | F_CF | F_PF | F_AF | F_ZF);
	assert_int_equal(r.gpr[EMU_RAX], 0xaaaabbbbcccc0001);
	assert_int_equal(r.rip, 0x102);

	/* 66 add [bx], eax: 32 bits */
	r = regs16();
	r.gpr[EMU_RAX] = 0x80000000;
	r.rflags |= F_CF | F_ZF;
	fake_put_val(0x20010, 0x7fffffff, 4);
	RUN(EMU_MODE_16, &r, "\x66\x01\x07");
	assert_int_equal(fake_get(0x20010, 4), 0xffffffff);
	assert_int_equal(r.rflags, RFLAGS_FIXED | F_PF | F_SF);
	assert_int_equal(r.rip, 0x103);

	/* mov ah, [bx]; mov [si], bh */
	r = regs16();
	r.gpr[EMU_RAX] = 0xffffffffffff1111;
	fake_put_val(0x20010, 0x5a, 1);
	RUN(EMU_MODE_16, &r, "\x8a\x27");
	assert_int_equal(r.gpr[EMU_RAX], 0xffffffffffff5a11);
	r = regs16();
	r.gpr[EMU_RBX] = 0x7710;
	r.gpr[EMU_RSI] = 0x20;
	RUN(EMU_MODE_16, &r, "\x88\x3c");
	assert_int_equal(fake_get(0x20020, 1), 0x77);

	/* mov ax, [bx] merges; 66 mov eax, [bx] zero-extends */
	r = regs16();
	r.gpr[EMU_RAX] = ~0ULL;
	fake_put_val(0x20010, 0x12345678, 4);
	RUN(EMU_MODE_16, &r, "\x8b\x07");
	assert_int_equal(r.gpr[EMU_RAX], 0xffffffffffff5678);
	r.rip = 0x100;
	RUN(EMU_MODE_16, &r, "\x66\x8b\x07");
	assert_int_equal(r.gpr[EMU_RAX], 0x12345678);

	/* mov al, [1234]; mov [1236], ax */
	r = regs16();
	fake_put_val(0x21234, 0x99, 1);
	RUN(EMU_MODE_16, &r, "\xa0\x34\x12");
	assert_int_equal(r.gpr[EMU_RAX] & 0xff, 0x99);
	r.rip = 0x100;
	r.gpr[EMU_RAX] = 0xbeef;
	RUN(EMU_MODE_16, &r, "\xa3\x36\x12");
	assert_int_equal(fake_get(0x21236, 2), 0xbeef);
}

static void test_32bit_execution(void **state)
{
	struct emu_regs r = {.rip = 0x1000, .rflags = RFLAGS_FIXED};

	(void)state;
	fake_reset();
	/* xchg [ebx], ah, with DS applied */
	r.seg_base[EMU_DS] = 0x100000;
	r.gpr[EMU_RBX] = 0x2000;
	r.gpr[EMU_RAX] = 0x1234;
	fake_put_val(0x102000, 0xab, 1);
	RUN(EMU_MODE_32, &r, "\x86\x23");
	assert_int_equal(fake_get(0x102000, 1), 0x12);
	assert_int_equal(r.gpr[EMU_RAX], 0xab34);
	/* mov eax, [ebx]: a 32-bit result zero-extends */
	r.rip = 0x1000;
	r.gpr[EMU_RAX] = ~0ULL;
	fake_put_val(0x102000, 0x87654321, 4);
	RUN(EMU_MODE_32, &r, "\x8b\x03");
	assert_int_equal(r.gpr[EMU_RAX], 0x87654321);
	/* sub [ebx], 1 (83 /5): borrow and overflow flags */
	r.rip = 0x1000;
	fake_put_val(0x102000, 0x80000000, 4);
	RUN(EMU_MODE_32, &r, "\x83\x2b\x01");
	assert_int_equal(fake_get(0x102000, 4), 0x7fffffff);
	assert_int_equal(r.rflags, RFLAGS_FIXED | F_OF | F_AF | F_PF);
}

/* IP wraps at 64 KiB in 16-bit code, EIP at 4 GiB; RIP does not. */
static void test_rip_wrap(void **state)
{
	struct emu_regs r;
	struct emu_insn insn;

	(void)state;
	fake_reset();
	fake_put_val(0x20000, 0, 8); /* the data, at DS:BX */
	r = regs16();
	r.seg_base[EMU_CS] = 0x30000;
	r.rip = 0xfffd;
	fake_put(0x3fffd, "\x88\x47\x01", 3); /* mov [bx+1], al */
	assert_int_equal(emu_decode(EMU_MODE_16, &r, &fake_ops, &insn),
			 EMU_DONE);
	assert_int_equal(emu_execute(EMU_MODE_16, &r, &fake_ops, &insn),
			 EMU_DONE);
	assert_int_equal(r.rip, 0);

	/* an instruction across the wrap: its second byte is at CS:0 */
	r = regs16();
	r.seg_base[EMU_CS] = 0x30000;
	r.rip = 0xffff;
	fake_put(0x3ffff, "\x88", 1);
	fake_put(0x30000, "\x07", 1);
	assert_int_equal(emu_decode(EMU_MODE_16, &r, &fake_ops, &insn),
			 EMU_DONE);
	assert_int_equal(insn.len, 2);
	assert_int_equal(emu_execute(EMU_MODE_16, &r, &fake_ops, &insn),
			 EMU_DONE);
	assert_int_equal(r.rip, 1);

	/* 32-bit: EIP and the linear fetch address wrap at 4 GiB */
	r = (struct emu_regs){.rip = 0xfffffffe, .rflags = RFLAGS_FIXED};
	r.seg_base[EMU_CS] = 0x1000;
	fake_put(0xffe, "\x88\x03", 2);
	assert_int_equal(emu_decode(EMU_MODE_32, &r, &fake_ops, &insn),
			 EMU_DONE);
	assert_int_equal(emu_execute(EMU_MODE_32, &r, &fake_ops, &insn),
			 EMU_DONE);
	assert_int_equal(r.rip, 0);

	/* 64-bit: no wrap at 4 GiB */
	r = (struct emu_regs){.rip = 0xfffffffe, .rflags = RFLAGS_FIXED};
	fake_put(0xfffffffe, "\x88\x03", 2);
	assert_int_equal(emu_decode(EMU_MODE_64, &r, &fake_ops, &insn),
			 EMU_DONE);
	assert_int_equal(emu_execute(EMU_MODE_64, &r, &fake_ops, &insn),
			 EMU_DONE);
	assert_int_equal(r.rip, 0x100000000);
}

/* STOS steps DI, EDI or RDI by the address size, down with DF. */
static void test_stos_sizes(void **state)
{
	struct emu_regs r;

	(void)state;
	fake_reset();
	fake_put_val(0x40000, 0, 8);
	fake_put_val(0x4fff8, 0, 8);
	r = regs16();
	r.seg_base[EMU_ES] = 0x40000;
	r.gpr[EMU_RAX] = 0x11223344;
	r.gpr[EMU_RDI] = 0x123400000000ffff;
	RUN(EMU_MODE_16, &r, "\xaa");
	assert_int_equal(fake_get(0x4ffff, 1), 0x44);
	assert_int_equal(r.gpr[EMU_RDI], 0x1234000000000000);

	r = regs16();
	r.seg_base[EMU_ES] = 0x40000;
	r.rflags |= X86_RFLAGS_DF;
	r.gpr[EMU_RAX] = 0x11223344;
	r.gpr[EMU_RDI] = 0x10000;
	RUN(EMU_MODE_16, &r, "\x66\xab");
	assert_int_equal(fake_get(0x40000, 4), 0x11223344);
	assert_int_equal(r.gpr[EMU_RDI], 0x1fffc);
	assert_int_equal(r.rflags, RFLAGS_FIXED | X86_RFLAGS_DF);

	r = (struct emu_regs){.rip = 0x1000, .rflags = RFLAGS_FIXED};
	r.seg_base[EMU_ES] = 0x40000;
	r.gpr[EMU_RAX] = 0x5566;
	r.gpr[EMU_RDI] = 0xfffffffe;
	fake_put_val(0x3fffe, 0, 2);
	RUN(EMU_MODE_32, &r, "\x66\xab");
	assert_int_equal(fake_get(0x3fffe, 2), 0x5566);
	assert_int_equal(r.gpr[EMU_RDI], 0);

	r.rip = 0x1000;
	r.gpr[EMU_RDI] = 0xaaaa0010;
	RUN(EMU_MODE_32, &r, "\x67\xaa"); /* 16-bit address: DI */
	assert_int_equal(fake_get(0x40010, 1), 0x66);
	assert_int_equal(r.gpr[EMU_RDI], 0xaaaa0011);
}

/* --- refusals ------------------------------------------------------------- */

struct refusal {
	const char *what;
	enum emu_mode mode;
	const u8 *bytes;
	u32 len;
	u32 nbytes; /* fetched before refusing */
};

static const struct refusal refusals[] = {
	{"nop", EMU_MODE_64, CODE("\x90"), 1},
	{"ret", EMU_MODE_64, CODE("\xc3"), 1},
	{"hlt", EMU_MODE_64, CODE("\xf4"), 1},
	{"lea", EMU_MODE_64, CODE("\x8d\x03"), 1},
	{"ud2", EMU_MODE_64, CODE("\x0f\x0b"), 2},
	{"lgdt", EMU_MODE_64, CODE("\x0f\x01\x10"), 2},
	{"fld", EMU_MODE_64, CODE("\xd9\x00"), 1},
	{"82 (no alias of 80 here)", EMU_MODE_32, CODE("\x82\x00\x01"), 1},
	{"test alias f6 /1", EMU_MODE_64, CODE("\xf6\x08\x01"), 2},
	{"mul f7 /4", EMU_MODE_64, CODE("\xf7\x23"), 2},
	{"call ff /2", EMU_MODE_64, CODE("\xff\x10"), 2},
	{"0f ba /0", EMU_MODE_64, CODE("\x0f\xba\x00\x01"), 3},
	{"vmptrld 0f c7 /6", EMU_MODE_64, CODE("\x0f\xc7\x30"), 3},
	{"c6 /1", EMU_MODE_64, CODE("\xc6\x48\x00\x01"), 2},
	{"xadd", EMU_MODE_64, CODE("\x0f\xc1\x03"), 2},
	{"arpl in 32-bit mode", EMU_MODE_32, CODE("\x63\x03"), 2},
	{"inc eax in 32-bit mode", EMU_MODE_32, CODE("\x40\x01\x03"), 1},
	{"rep stos", EMU_MODE_64, CODE("\xf3\xaa"), 1},
	{"66 rep stos", EMU_MODE_64, CODE("\x66\xf3\xab"), 2},
	{"xacquire lock xchg", EMU_MODE_64, CODE("\xf2\xf0\x87\x03"), 1},
	{"add eax, eax", EMU_MODE_64, CODE("\x01\xc0"), 2},
	{"mov al, ah", EMU_MODE_64, CODE("\x88\xe0"), 2},
	{"xchg al, al", EMU_MODE_64, CODE("\x86\xc0"), 2},
	{"neg eax", EMU_MODE_64, CODE("\xf7\xd8"), 2},
	{"bt eax, eax", EMU_MODE_64, CODE("\x0f\xa3\xc0"), 3},
	{"cmpxchg8b eax", EMU_MODE_64, CODE("\x0f\xc7\xc8"), 3},
	{"add al, imm8 (no memory)", EMU_MODE_64, CODE("\x04\x01"), 1},
	{"lock mov", EMU_MODE_64, CODE("\xf0\x89\x03"), 3},
	{"lock mov load", EMU_MODE_64, CODE("\xf0\x8b\x03"), 3},
	{"lock mov imm", EMU_MODE_64, CODE("\xf0\xc7\x03\x01\x00\x00\x00"), 7},
	{"lock mov moffs", EMU_MODE_32, CODE("\xf0\xa3\x00\x10\x00\x00"), 6},
	{"lock cmp", EMU_MODE_64, CODE("\xf0\x39\x03"), 3},
	{"lock cmp imm", EMU_MODE_64, CODE("\xf0\x83\x3b\x01"), 4},
	{"lock add to register", EMU_MODE_64, CODE("\xf0\x03\x03"), 3},
	{"lock test", EMU_MODE_64, CODE("\xf0\x85\x03"), 3},
	{"lock test imm", EMU_MODE_64, CODE("\xf0\xf6\x03\x01"), 4},
	{"lock bt", EMU_MODE_64, CODE("\xf0\x0f\xa3\x03"), 4},
	{"lock bt imm", EMU_MODE_64, CODE("\xf0\x0f\xba\x23\x01"), 5},
	{"lock movzx", EMU_MODE_64, CODE("\xf0\x0f\xb6\x03"), 4},
	{"lock stos", EMU_MODE_64, CODE("\xf0\xaa"), 2},
	{"cmpxchg16b misaligned", EMU_MODE_64, CODE("\x48\x0f\xc7\x0e"), 4},
	{"16 bytes", EMU_MODE_64,
	 CODE("\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x89"
	      "\x03"),
	 15},
	{"prefixes only", EMU_MODE_64,
	 CODE("\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66"
	      "\x66"),
	 15},
};

static void test_refusals(void **state)
{
	const struct refusal *c;
	struct emu_insn insn;
	enum emu_result ret;

	(void)state;
	for (c = refusals; c < refusals + ARRAY_SIZE(refusals); c++) {
		struct emu_regs r = {.rip = 0x100, .rflags = RFLAGS_FIXED};
		struct emu_regs before;

		fake_reset();
		r.gpr[EMU_RSI] = 0x1008; /* misaligned for cmpxchg16b */
		before = r;
		ret = hand_decode(c->mode, &r, c->bytes, c->len, &insn);
		if (ret != EMU_UNHANDLED || insn.nbytes != c->nbytes ||
		    insn.len != 0 || memcmp(insn.bytes, c->bytes, c->nbytes))
			fail_msg("%s: result %d, nbytes %u, len %u", c->what,
				 ret, insn.nbytes, insn.len);
		assert_int_equal(emu_execute(c->mode, &r, &fake_ops, &insn),
				 EMU_UNHANDLED);
		assert_memory_equal(&r, &before, sizeof(r));
	}
}

/* Fifteen bytes are allowed; the last byte fetched is the last needed. */
static void test_longest(void **state)
{
	static const u8 longest[] = "\x66\x66\x66\x66\x66\x66\x66\x66\x66"
				    "\x66\x66\x66\x66\x89\x03";
	struct emu_regs r = {.rip = 0xff1, .rflags = RFLAGS_FIXED};
	struct emu_insn insn;

	(void)state;
	fake_reset();
	fake_put(0xff1, longest, 15); /* ends at the end of its page */
	assert_int_equal(emu_decode(EMU_MODE_64, &r, &fake_ops, &insn),
			 EMU_DONE);
	assert_int_equal(insn.len, 15);
	assert_int_equal(insn.mem_size, 2);
	assert_string_equal(insn.name, "mov");
	assert_true(insn.mem_write && !insn.mem_read);
}

/* --- faults ----------------------------------------------------------------- */

/* An instruction cut by an unmapped page: fetched up to it, nothing more. */
static void test_fetch_fault(void **state)
{
	struct emu_regs r = {.rip = 0x1ffe, .rflags = RFLAGS_FIXED};
	struct emu_insn insn;

	(void)state;
	fake_reset();
	fake_put(0x1ffe, "\x81\x03", 2); /* add dword [rbx], imm32 */
	assert_int_equal(emu_decode(EMU_MODE_64, &r, &fake_ops, &insn),
			 EMU_FAULTED);
	assert_int_equal(insn.nbytes, 2);
	assert_int_equal(insn.len, 0);
	assert_memory_equal(insn.bytes, "\x81\x03", 2);
	assert_int_equal(emu_execute(EMU_MODE_64, &r, &fake_ops, &insn),
			 EMU_UNHANDLED);
}

struct fault_case {
	const char *what;
	const u8 *bytes;
	u32 len;
};

static const struct fault_case fault_cases[] = {
	{"add", CODE("\x01\x03")},
	{"lock or", CODE("\xf0\x09\x03")},
	{"mov store", CODE("\x89\x03")},
	{"mov imm", CODE("\xc6\x03\x01")},
	{"xchg", CODE("\x87\x03")},
	{"cmpxchg", CODE("\x0f\xb1\x0b")},
	{"cmpxchg8b", CODE("\x0f\xc7\x0b")},
	{"stos", CODE("\x48\xab")},
	{"bts", CODE("\x0f\xab\x03")},
	{"inc", CODE("\xff\x03")},
	{"neg", CODE("\xf6\x1b")},
	{"mov moffs", CODE("\xa2\x00\x30\x00"
			   "\x00\x00\x00\x00"
			   "\x00")},
	{"load", CODE("\x8b\x03")},
	{"cmp", CODE("\x39\x03")},
	{"bt", CODE("\x0f\xa3\x03")},
	{"movzx", CODE("\x0f\xb6\x03")},
};

/* A write (or read) that faults leaves registers and memory unchanged. */
static void check_faults(bool mapped)
{
	const struct fault_case *c;

	for (c = fault_cases; c < fault_cases + ARRAY_SIZE(fault_cases); c++) {
		struct emu_regs r = {.rip = 0x100, .rflags = RFLAGS_FIXED};
		struct emu_regs before;
		struct emu_insn insn;
		u32 k;

		fake_reset();
		for (k = 0; k < 16; k++)
			r.gpr[k] = 0x1111111111111111ULL * k;
		r.gpr[EMU_RBX] = r.gpr[EMU_RDI] = 0x3000;
		r.gpr[EMU_RAX] = 0; /* CMPXCHG would succeed */
		if (mapped)
			fake_put_val(0x3000, 0, 8);
		fake.read_only = true;
		before = r;
		assert_int_equal(
			hand_decode(EMU_MODE_64, &r, c->bytes, c->len, &insn),
			EMU_DONE);
		if (!mapped || insn.mem_write)
			if (emu_execute(EMU_MODE_64, &r, &fake_ops, &insn) !=
				    EMU_FAULTED ||
			    memcmp(&r, &before, sizeof(r)))
				fail_msg("%s: no clean fault", c->what);
		if (mapped)
			assert_int_equal(fake_get(0x3000, 8), 0);
	}
}

static void test_write_fault(void **state)
{
	(void)state;
	check_faults(true);
}

static void test_read_fault(void **state)
{
	(void)state;
	check_faults(false);
}

/* --- another CPU writing during a read-modify-write ------------------------- */

struct race_case {
	const char *what;
	const u8 *bytes;
	u32 len;
	u64 mem, rax, rcx, meddle_add;
	u32 meddles;
	u64 mem_after, rax_after, flags_after;
	u64 undefined; /* flags the SDM leaves undefined */
	u32 cmpxchgs;
};

static const struct race_case races[] = {
	{"lock or", CODE("\xf0\x09\x03"), .mem = 1, .rax = 0x10,
	 .meddle_add = 0x100, .meddles = 1, .mem_after = 0x111,
	 .rax_after = 0x10, .flags_after = F_PF, .undefined = F_AF,
	 .cmpxchgs = 2},
	{"add, interrupted three times", CODE("\x48\x01\x03"), .mem = 1,
	 .rax = 1, .meddle_add = 0x100, .meddles = 3, .mem_after = 0x302,
	 .rax_after = 1, .flags_after = 0, .cmpxchgs = 4},
	{"lock inc", CODE("\xf0\xff\x03"), .mem = 1, .meddle_add = 0x80000000,
	 .meddles = 1, .mem_after = 0x80000002, .flags_after = F_SF,
	 .cmpxchgs = 2},
	{"xchg", CODE("\x87\x03"), .mem = 5, .rax = 9, .meddle_add = 0x40,
	 .meddles = 1, .mem_after = 9, .rax_after = 0x45, .cmpxchgs = 2},
	{"lock bts", CODE("\xf0\x0f\xab\x03"), .mem = 0, .rax = 3,
	 .meddle_add = 0x8, .meddles = 1, .mem_after = 0x8, .rax_after = 3,
	 .flags_after = F_CF, .undefined = F_OF | F_SF | F_AF | F_PF,
	 .cmpxchgs = 2},
	{"lock cmpxchg loses to the other write", CODE("\xf0\x0f\xb1\x0b"),
	 .mem = 5, .rax = 5, .rcx = 7, .meddle_add = 0x10, .meddles = 1,
	 .mem_after = 0x15, .rax_after = 0x15,
	 .flags_after = F_CF | F_SF | F_PF, .cmpxchgs = 1},
	{"lock cmpxchg wins", CODE("\xf0\x0f\xb1\x0b"), .mem = 5, .rax = 5,
	 .rcx = 7, .mem_after = 7, .rax_after = 5, .flags_after = F_ZF | F_PF,
	 .cmpxchgs = 1},
};

/*
 * A cmpxchg that finds memory changed by "another CPU" makes the
 * emulator redo the operation on the new value: both writes survive.
 */
static void test_concurrent_writer(void **state)
{
	const struct race_case *c;

	(void)state;
	for (c = races; c < races + ARRAY_SIZE(races); c++) {
		struct emu_regs r = {.rip = 0x100, .rflags = RFLAGS_FIXED};
		u64 flags;

		fake_reset();
		r.gpr[EMU_RBX] = 0x3000;
		r.gpr[EMU_RAX] = c->rax;
		r.gpr[EMU_RCX] = c->rcx;
		fake_put_val(0x3000, c->mem, 8);
		fake.meddles = c->meddles;
		fake.meddle_add = c->meddle_add;
		hand_run(EMU_MODE_64, &r, c->bytes, c->len);
		flags = r.rflags & ~c->undefined;
		if (fake_get(0x3000, 8) != c->mem_after ||
		    r.gpr[EMU_RAX] != c->rax_after ||
		    flags != (RFLAGS_FIXED | c->flags_after) ||
		    fake.cmpxchgs != c->cmpxchgs)
			fail_msg("%s: mem %#llx rax %#llx flags %#llx, %u "
				 "cmpxchg",
				 c->what,
				 (unsigned long long)fake_get(0x3000, 8),
				 (unsigned long long)r.gpr[EMU_RAX],
				 (unsigned long long)r.rflags, fake.cmpxchgs);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_native_alu),
		cmocka_unit_test(test_native_unary),
		cmocka_unit_test(test_native_mov),
		cmocka_unit_test(test_native_xchg_cmpxchg),
		cmocka_unit_test(test_native_bit),
		cmocka_unit_test(test_native_moffs_stos),
		cmocka_unit_test(test_addresses),
		cmocka_unit_test(test_16bit_execution),
		cmocka_unit_test(test_32bit_execution),
		cmocka_unit_test(test_rip_wrap),
		cmocka_unit_test(test_stos_sizes),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_longest),
		cmocka_unit_test(test_fetch_fault),
		cmocka_unit_test(test_write_fault),
		cmocka_unit_test(test_read_fault),
		cmocka_unit_test(test_concurrent_writer),
	};

	return cmocka_run_group_tests(tests, arena_setup, arena_teardown);
}
