// SPDX-License-Identifier: MIT
/*
 * The instruction emulator (vmm/include/emulate.h, which lists what it
 * knows): one guest instruction with one memory operand, decoded and then
 * executed against guest memory reached through struct emu_ops.
 *
 * The file reads top to bottom in three parts:
 *
 *  - Decoding. Prefixes (legacy ones, then REX right before the opcode),
 *    the opcode (one byte, or two after 0F), which selects a row of the
 *    tables below; then ModRM, SIB and displacement, the immediate, and
 *    from all of it the memory operand's linear address. Bytes are fetched
 *    one at a time, so that nothing past the instruction is ever touched.
 *
 *  - Host operations. Every arithmetic result and its flags come from
 *    running the same instruction on the host processor (host_op()), on
 *    registers, with the guest's arithmetic flags loaded first: what the
 *    SDM leaves "undefined" then comes out as the processor makes it.
 *
 *  - Execution. One function per kind of row (ALU on memory, ALU into a
 *    register, load, store, XCHG, CMPXCHG, CMPXCHG8B, STOS), working on a
 *    copy of the registers that is committed only once every access has
 *    gone through, so a fault leaves the guest's registers as they were.
 *    Read-modify-write instructions write through ops->cmpxchg in a loop
 *    (rmw()): if another CPU changed the operand between the read and the
 *    write, the operation is redone on the new value, as a locked
 *    instruction would have seen it.
 *
 * Context: any CPU, the vCPU's own thread, VMX root (or the host, in
 * tests/unit/test_emulate.c). Pure: no Shade state, no locks; guest memory
 * only through the callbacks.
 *
 * About 1000 lines: the decoder and the executor share the opcode tables
 * and the decoded form, and the host operations need one assembly text
 * per operation and size; apart, they would need a private header for a
 * single user.
 */
#include "types.h"
#include "kstring.h"
#include "emulate.h"

/* Legacy prefixes (SDM 2 2.1.1) and REX (2.2.1). */
#define PFX_OPSIZE   0x66
#define PFX_ADDRSIZE 0x67
#define PFX_LOCK     0xf0
#define PFX_REPNE    0xf2
#define PFX_REP	     0xf3
#define REX_MASK     0xf0
#define REX_BASE     0x40
#define REX_W	     BIT(3) /* 64-bit operands */
#define REX_R	     BIT(2) /* ModRM.reg bit 3 */
#define REX_X	     BIT(1) /* SIB.index bit 3 */
#define REX_B	     BIT(0) /* ModRM.rm or SIB.base bit 3 */
#define REX_REG_BIT  8	    /* the register number bit each one adds */

#define OPCODE_ESCAPE 0x0f /* two-byte opcodes: 0F xx, written 0x0fxx */
#define TWO_BYTE(b)   (0x0f00 | (b))

/* ModRM and SIB (SDM 2 2.1.5, tables 2-1 to 2-3). */
#define MODRM_MOD(m)  ((m) >> 6)
#define MODRM_REG(m)  (((m) >> 3) & 7)
#define MODRM_RM(m)   ((m)&7)
#define SIB_SCALE(s)  ((s) >> 6)
#define SIB_INDEX(s)  (((s) >> 3) & 7)
#define SIB_BASE(s)   ((s)&7)
#define MOD_NO_DISP   0
#define MOD_DISP8     1
#define MOD_DISP_FULL 2 /* disp16 or disp32 */
#define MOD_REGISTER  3
#define RM_SIB	      4 /* rm: a SIB byte follows */
#define RM_DISP32     5 /* mod 0: disp32 alone (RIP-relative in 64-bit mode) */
#define SIB_NO_INDEX  4 /* without REX.X */
#define SIB_NO_BASE   5 /* with mod 0: disp32 instead of a base */
#define RM16_DISP16   6 /* 16-bit addressing, mod 0: disp16 alone */
#define NO_REG	      (-1)

/* Without REX, byte registers 4-7 are AH CH DH BH: bits 15:8 of 0-3. */
#define HIGH_BYTE_FIRST 4
#define HIGH_BYTE_LAST	7
#define HIGH_BYTE_SHIFT 8

#define ADDR_32BIT_MASK 0xffffffffULL

/* How emu_execute() runs a row of the tables. */
enum emu_kind {
	K_NONE,	     /* not decoded */
	K_ALU_M,     /* memory op= register, immediate or nothing */
	K_ALU_R,     /* register op= memory */
	K_LOAD,	     /* register = memory, maybe extended */
	K_STORE,     /* memory = register or immediate */
	K_XCHG,	     /* swap memory and register */
	K_CMPXCHG,   /* compare with rAX, then store or load */
	K_CMPXCHG8B, /* the same with rDX:rAX and rCX:rBX */
	K_STOS,	     /* ES:[rDI] = rAX, then step rDI */
};

/* Host operations; the first eight in the ALU opcodes' order (/0 to /7). */
enum emu_op {
	OP_ADD,
	OP_OR,
	OP_ADC,
	OP_SBB,
	OP_AND,
	OP_SUB,
	OP_XOR,
	OP_CMP,
	OP_TEST,
	OP_INC,
	OP_DEC,
	OP_NOT,
	OP_NEG,
	OP_BT,
	OP_BTS,
	OP_BTR,
	OP_BTC,
	OP_MOV, /* no host instruction: the new value is the source */
};

/* Properties of a row. */
#define F_BYTE	 BIT(0)	 /* 8-bit operands */
#define F_IMM8	 BIT(1)	 /* an 8-bit immediate, sign-extended */
#define F_IMMZ	 BIT(2)	 /* a 16- or 32-bit immediate, sign-extended */
#define F_MOFFS	 BIT(3)	 /* no ModRM: an address-size offset; rAX */
#define F_STRING BIT(4)	 /* no ModRM: ES:[rDI]; rAX */
#define F_SRC8	 BIT(5)	 /* loads a byte (MOVZX, MOVSX) */
#define F_SRC16	 BIT(6)	 /* loads a word (MOVZX, MOVSX) */
#define F_SRC32	 BIT(7)	 /* loads at most a dword (MOVSXD) */
#define F_SX	 BIT(8)	 /* sign-extends what it loads */
#define F_64	 BIT(9)	 /* only in 64-bit mode */
#define F_REG0	 BIT(10) /* the register operand is rAX */

#define ANY (-1) /* a row for every ModRM.reg */

struct opdesc {
	u16 opcode; /* 0x0fxx for the two-byte map */
	s8 ext;	    /* ModRM.reg (the /n of a group), or ANY */
	u8 kind;
	u8 op;
	u16 flags;
	const char *name;
};

/*
 * The eight ALU operations (ADD OR ADC SBB AND SUB XOR CMP, n = 0 to 7)
 * share seven memory forms: opcodes 8n + 0 to 8n + 3, and 80 81 83 /n.
 */
#define ALU_BLOCK_END	0x40 /* the 8n + k opcodes lie below */
#define ALU_BLOCK_SHIFT 3    /* n */
#define ALU_BLOCK_MASK	7    /* k */
#define ALU_RM_FORMS	4    /* k = 0 to 3 are the r/m forms */

static const char *const alu_names[] = {"add", "or",  "adc", "sbb",
					"and", "sub", "xor", "cmp"};

static const struct opdesc alu_forms[] = {
	{0x00, ANY, K_ALU_M, 0, F_BYTE, NULL},
	{0x01, ANY, K_ALU_M, 0, 0, NULL},
	{0x02, ANY, K_ALU_R, 0, F_BYTE, NULL},
	{0x03, ANY, K_ALU_R, 0, 0, NULL},
	{0x80, ANY, K_ALU_M, 0, F_BYTE | F_IMM8, NULL},
	{0x81, ANY, K_ALU_M, 0, F_IMMZ, NULL},
	{0x83, ANY, K_ALU_M, 0, F_IMM8, NULL},
};

/* Everything else. */
static const struct opdesc descs[] = {
	{0x63, ANY, K_LOAD, OP_MOV, F_SRC32 | F_SX | F_64, "movsxd"},
	{0x84, ANY, K_ALU_M, OP_TEST, F_BYTE, "test"},
	{0x85, ANY, K_ALU_M, OP_TEST, 0, "test"},
	{0x86, ANY, K_XCHG, OP_MOV, F_BYTE, "xchg"},
	{0x87, ANY, K_XCHG, OP_MOV, 0, "xchg"},
	{0x88, ANY, K_STORE, OP_MOV, F_BYTE, "mov"},
	{0x89, ANY, K_STORE, OP_MOV, 0, "mov"},
	{0x8a, ANY, K_LOAD, OP_MOV, F_BYTE, "mov"},
	{0x8b, ANY, K_LOAD, OP_MOV, 0, "mov"},
	{0xa0, ANY, K_LOAD, OP_MOV, F_BYTE | F_MOFFS | F_REG0, "mov"},
	{0xa1, ANY, K_LOAD, OP_MOV, F_MOFFS | F_REG0, "mov"},
	{0xa2, ANY, K_STORE, OP_MOV, F_BYTE | F_MOFFS | F_REG0, "mov"},
	{0xa3, ANY, K_STORE, OP_MOV, F_MOFFS | F_REG0, "mov"},
	{0xaa, ANY, K_STOS, OP_MOV, F_BYTE | F_STRING | F_REG0, "stos"},
	{0xab, ANY, K_STOS, OP_MOV, F_STRING | F_REG0, "stos"},
	{0xc6, 0, K_STORE, OP_MOV, F_BYTE | F_IMM8, "mov"},
	{0xc7, 0, K_STORE, OP_MOV, F_IMMZ, "mov"},
	{0xf6, 0, K_ALU_M, OP_TEST, F_BYTE | F_IMM8, "test"},
	{0xf6, 2, K_ALU_M, OP_NOT, F_BYTE, "not"},
	{0xf6, 3, K_ALU_M, OP_NEG, F_BYTE, "neg"},
	{0xf7, 0, K_ALU_M, OP_TEST, F_IMMZ, "test"},
	{0xf7, 2, K_ALU_M, OP_NOT, 0, "not"},
	{0xf7, 3, K_ALU_M, OP_NEG, 0, "neg"},
	{0xfe, 0, K_ALU_M, OP_INC, F_BYTE, "inc"},
	{0xfe, 1, K_ALU_M, OP_DEC, F_BYTE, "dec"},
	{0xff, 0, K_ALU_M, OP_INC, 0, "inc"},
	{0xff, 1, K_ALU_M, OP_DEC, 0, "dec"},
	{TWO_BYTE(0xa3), ANY, K_ALU_M, OP_BT, 0, "bt"},
	{TWO_BYTE(0xab), ANY, K_ALU_M, OP_BTS, 0, "bts"},
	{TWO_BYTE(0xb3), ANY, K_ALU_M, OP_BTR, 0, "btr"},
	{TWO_BYTE(0xbb), ANY, K_ALU_M, OP_BTC, 0, "btc"},
	{TWO_BYTE(0xba), 4, K_ALU_M, OP_BT, F_IMM8, "bt"},
	{TWO_BYTE(0xba), 5, K_ALU_M, OP_BTS, F_IMM8, "bts"},
	{TWO_BYTE(0xba), 6, K_ALU_M, OP_BTR, F_IMM8, "btr"},
	{TWO_BYTE(0xba), 7, K_ALU_M, OP_BTC, F_IMM8, "btc"},
	{TWO_BYTE(0xb0), ANY, K_CMPXCHG, OP_CMP, F_BYTE, "cmpxchg"},
	{TWO_BYTE(0xb1), ANY, K_CMPXCHG, OP_CMP, 0, "cmpxchg"},
	{TWO_BYTE(0xb6), ANY, K_LOAD, OP_MOV, F_SRC8, "movzx"},
	{TWO_BYTE(0xb7), ANY, K_LOAD, OP_MOV, F_SRC16, "movzx"},
	{TWO_BYTE(0xbe), ANY, K_LOAD, OP_MOV, F_SRC8 | F_SX, "movsx"},
	{TWO_BYTE(0xbf), ANY, K_LOAD, OP_MOV, F_SRC16 | F_SX, "movsx"},
	{TWO_BYTE(0xc7), 1, K_CMPXCHG8B, OP_MOV, 0, "cmpxchg8b"},
};

static const struct opdesc *find_row(const struct opdesc *rows, u32 nrows,
				     u16 opcode, int ext)
{
	const struct opdesc *e;

	for (e = rows; e < rows + nrows; e++)
		if (e->opcode == opcode &&
		    (ext == ANY || e->ext == ANY || e->ext == ext))
			return e;
	return NULL;
}

/*
 * The row for opcode and ModRM.reg ext into *row; with ext ANY, whether
 * opcode has a row at all (asked before its ModRM byte is fetched).
 */
static bool find_desc(u16 opcode, int ext, struct opdesc *row)
{
	const struct opdesc *e;
	u32 n = ext == ANY ? 0 : ext;

	if (opcode < ALU_BLOCK_END &&
	    (opcode & ALU_BLOCK_MASK) < ALU_RM_FORMS) {
		n = opcode >> ALU_BLOCK_SHIFT;
		opcode &= ALU_BLOCK_MASK;
	}
	e = find_row(alu_forms, ARRAY_SIZE(alu_forms), opcode, ANY);
	if (e) {
		*row = *e;
		row->op = n;
		row->name = alu_names[n];
		return true;
	}
	e = find_row(descs, ARRAY_SIZE(descs), opcode, ext);
	if (e)
		*row = *e;
	return e;
}

/* --- small helpers ------------------------------------------------------ */

static u64 size_mask(u32 size)
{
	return size >= 8 ? ~0ULL : BIT(8 * size) - 1;
}

static u64 sign_extend(u64 v, u32 size)
{
	u32 unused = 64 - 8 * size;

	return (u64)((s64)(v << unused) >> unused);
}

static bool is_bit_op(u32 op)
{
	return op >= OP_BT && op <= OP_BTC;
}

static bool has_imm(const struct emu_insn *i)
{
	return i->flags & (F_IMM8 | F_IMMZ);
}

static bool is_high_byte(const struct emu_insn *i, u32 reg, u32 size)
{
	return size == 1 && !i->rex && reg >= HIGH_BYTE_FIRST &&
	       reg <= HIGH_BYTE_LAST;
}

static u64 reg_get(const struct emu_regs *r, const struct emu_insn *i, u32 reg,
		   u32 size)
{
	if (is_high_byte(i, reg, size))
		return (r->gpr[reg - HIGH_BYTE_FIRST] >> HIGH_BYTE_SHIFT) &
		       size_mask(1);
	return r->gpr[reg] & size_mask(size);
}

/*
 * Writes a register as the processor does (SDM 1 3.4.1.1): 8- and 16-bit
 * results merge into the register, 32-bit ones zero-extend (the upper
 * half is only visible in 64-bit mode, where that is the rule).
 */
static void reg_put(struct emu_regs *r, const struct emu_insn *i, u32 reg,
		    u32 size, u64 v)
{
	u64 mask = size_mask(size);

	if (is_high_byte(i, reg, size)) {
		reg -= HIGH_BYTE_FIRST;
		mask <<= HIGH_BYTE_SHIFT;
		v <<= HIGH_BYTE_SHIFT;
	} else if (size == 4) {
		v &= mask;
		mask = ~0ULL; /* the upper half becomes 0 */
	}
	r->gpr[reg] = (r->gpr[reg] & ~mask) | (v & mask);
}

/* In 64-bit mode only FS and GS have a base (SDM 3A 3.4.4). */
static u64 seg_base(enum emu_mode mode, const struct emu_regs *r, int seg)
{
	if (mode == EMU_MODE_64 && seg != EMU_FS && seg != EMU_GS)
		return 0;
	return r->seg_base[seg];
}

/* Outside 64-bit mode, linear addresses are 32 bits and wrap. */
static u64 linear_of(enum emu_mode mode, const struct emu_regs *r, int seg,
		     u64 offset)
{
	u64 linear = seg_base(mode, r, seg) + offset;

	return mode == EMU_MODE_64 ? linear : linear & ADDR_32BIT_MASK;
}

/* RIP wraps at the code size: IP at 64 KiB, EIP at 4 GiB. */
static u64 ip_mask(enum emu_mode mode)
{
	if (mode == EMU_MODE_16)
		return size_mask(2);
	return mode == EMU_MODE_32 ? ADDR_32BIT_MASK : ~0ULL;
}

/* --- decoding ------------------------------------------------------------ */

struct decoder {
	enum emu_mode mode;
	const struct emu_regs *regs;
	const struct emu_ops *ops;
	struct emu_insn *i;
	bool opsize_prefix, addrsize_prefix;
	u8 rex;	 /* the REX prefix, or 0 */
	int seg; /* the segment override, or NO_REG */
	u8 modrm;
	/* The memory operand: disp + base + index * scale (+ RIP). */
	int base, index;
	u32 scale;
	u64 disp;
	bool rip_relative;
	int def_seg; /* DS, or SS for addresses based on rSP or rBP */
};

/* Fetches n more instruction bytes, little-endian, into *val. */
static enum emu_result fetch(struct decoder *d, u32 n, u64 *val)
{
	struct emu_insn *i = d->i;
	u32 k;

	*val = 0;
	for (k = 0; k < n; k++) {
		u64 ip = (d->regs->rip + i->nbytes) & ip_mask(d->mode);
		u64 at = linear_of(d->mode, d->regs, EMU_CS, ip);
		u8 b;

		if (i->nbytes == EMU_MAX_INSN_LEN)
			return EMU_UNHANDLED; /* the processor's #GP */
		if (d->ops->fetch(d->ops->opaque, at, &b, 1) != EMU_OK)
			return EMU_FAULTED;
		i->bytes[i->nbytes++] = b;
		*val |= (u64)b << (8 * k);
	}
	return EMU_DONE;
}

/* The segment override prefixes, by enum emu_seg: ES CS SS DS FS GS. */
static const u8 seg_prefixes[] = {0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65};

static int seg_prefix(u8 b)
{
	u32 seg;

	for (seg = 0; seg < ARRAY_SIZE(seg_prefixes); seg++)
		if (seg_prefixes[seg] == b)
			return seg;
	return NO_REG;
}

/*
 * Reads prefixes up to the first opcode byte. A REX prefix counts only
 * right before the opcode: a legacy prefix after it cancels it (SDM 2
 * 2.2.1), and of two REX prefixes the last counts.
 */
static enum emu_result decode_prefixes(struct decoder *d, u8 *opcode)
{
	enum emu_result ret;
	u64 b;

	for (;;) {
		ret = fetch(d, 1, &b);
		if (ret != EMU_DONE)
			return ret;
		if (d->mode == EMU_MODE_64 && (b & REX_MASK) == REX_BASE) {
			d->rex = b;
			continue;
		}
		if (b == PFX_OPSIZE) {
			d->opsize_prefix = true;
		} else if (b == PFX_ADDRSIZE) {
			d->addrsize_prefix = true;
		} else if (b == PFX_LOCK) {
			d->i->lock = true;
		} else if (b == PFX_REP || b == PFX_REPNE) {
			return EMU_UNHANDLED;
		} else if (seg_prefix(b) != NO_REG) {
			d->seg = seg_prefix(b);
		} else {
			*opcode = b;
			return EMU_DONE;
		}
		d->rex = 0;
	}
}

/* The opcode, ModRM when it has one, and the row they select. */
static enum emu_result decode_opcode(struct decoder *d, u8 first)
{
	struct opdesc row;
	u16 opcode = first;
	enum emu_result ret;
	bool found;
	u64 b;

	if (first == OPCODE_ESCAPE) {
		ret = fetch(d, 1, &b);
		if (ret != EMU_DONE)
			return ret;
		opcode = TWO_BYTE(b);
	}
	found = find_desc(opcode, ANY, &row);
	if (found && !(row.flags & (F_MOFFS | F_STRING))) {
		ret = fetch(d, 1, &b);
		if (ret != EMU_DONE)
			return ret;
		d->modrm = b;
		if (MODRM_MOD(d->modrm) == MOD_REGISTER)
			return EMU_UNHANDLED;
		found = find_desc(opcode, MODRM_REG(d->modrm), &row);
	}
	if (!found || ((row.flags & F_64) && d->mode != EMU_MODE_64))
		return EMU_UNHANDLED;
	d->i->name = row.name;
	d->i->kind = row.kind;
	d->i->op = row.op;
	d->i->flags = row.flags;
	return EMU_DONE;
}

/* Operand, address and memory sizes (SDM 1 3.6, SDM 2 2.2.1.2). */
static void set_sizes(struct decoder *d)
{
	struct emu_insn *i = d->i;
	bool is_16bit = d->mode == EMU_MODE_16;

	/* 66 and 67 switch between 16 and 32 bits; REX.W makes 64. */
	if (i->flags & F_BYTE)
		i->op_size = 1;
	else if (d->rex & REX_W)
		i->op_size = 8;
	else
		i->op_size = is_16bit != d->opsize_prefix ? 2 : 4;

	if (d->mode == EMU_MODE_64)
		i->addr_size = d->addrsize_prefix ? 4 : 8;
	else
		i->addr_size = is_16bit != d->addrsize_prefix ? 2 : 4;

	if (i->kind == K_CMPXCHG8B)
		i->mem_size = d->rex & REX_W ? 16 : 8; /* 66 is ignored */
	else if (i->flags & F_SRC8)
		i->mem_size = 1;
	else if (i->flags & F_SRC16)
		i->mem_size = 2;
	else if (i->flags & F_SRC32)
		i->mem_size = MIN(i->op_size, 4);
	else
		i->mem_size = i->op_size;
}

static void set_access(struct emu_insn *i)
{
	bool read_only = i->op == OP_CMP || i->op == OP_TEST || i->op == OP_BT;

	i->mem_read = i->kind != K_STORE && i->kind != K_STOS;
	i->mem_write = i->kind != K_LOAD && i->kind != K_ALU_R &&
		       !(i->kind == K_ALU_M && read_only);
}

/* 16-bit addressing (SDM 2 table 2-1): BX+SI BX+DI BP+SI BP+DI SI DI BP BX. */
static const s8 base16[8] = {EMU_RBX, EMU_RBX, EMU_RBP, EMU_RBP,
			     NO_REG,  NO_REG,  EMU_RBP, EMU_RBX};
static const s8 index16[8] = {EMU_RSI, EMU_RDI, EMU_RSI, EMU_RDI,
			      EMU_RSI, EMU_RDI, NO_REG,	 NO_REG};

/* Returns the size of the displacement that follows. */
static u32 decode_mem16(struct decoder *d)
{
	u32 mod = MODRM_MOD(d->modrm), rm = MODRM_RM(d->modrm);

	if (mod == MOD_NO_DISP && rm == RM16_DISP16)
		return 2;
	d->base = base16[rm];
	d->index = index16[rm];
	return mod == MOD_DISP8 ? 1 : mod == MOD_DISP_FULL ? 2 : 0;
}

/* 32- and 64-bit addressing (SDM 2 tables 2-2, 2-3; 2.2.1.3 to 2.2.1.6). */
static enum emu_result decode_mem32(struct decoder *d, u32 *disp_size)
{
	u32 mod = MODRM_MOD(d->modrm), rm = MODRM_RM(d->modrm);
	u32 rex_b = d->rex & REX_B ? REX_REG_BIT : 0;
	u32 rex_x = d->rex & REX_X ? REX_REG_BIT : 0;
	enum emu_result ret;
	u64 sib;

	*disp_size = mod == MOD_DISP8 ? 1 : mod == MOD_DISP_FULL ? 4 : 0;
	if (rm == RM_SIB) {
		ret = fetch(d, 1, &sib);
		if (ret != EMU_DONE)
			return ret;
		d->base = SIB_BASE(sib) | rex_b;
		d->index = SIB_INDEX(sib) | rex_x;
		d->scale = 1U << SIB_SCALE(sib);
		if (d->index == SIB_NO_INDEX)
			d->index = NO_REG;
		if (mod == MOD_NO_DISP && SIB_BASE(sib) == SIB_NO_BASE) {
			d->base = NO_REG;
			*disp_size = 4;
		}
	} else if (mod == MOD_NO_DISP && rm == RM_DISP32) {
		d->rip_relative = d->mode == EMU_MODE_64;
		*disp_size = 4;
	} else {
		d->base = rm | rex_b;
	}
	return EMU_DONE;
}

static enum emu_result decode_modrm_mem(struct decoder *d)
{
	enum emu_result ret;
	u32 disp_size;

	if (d->i->addr_size == 2) {
		disp_size = decode_mem16(d);
	} else {
		ret = decode_mem32(d, &disp_size);
		if (ret != EMU_DONE)
			return ret;
	}
	if (d->base == EMU_RSP || d->base == EMU_RBP)
		d->def_seg = EMU_SS;
	ret = fetch(d, disp_size, &d->disp);
	if (disp_size)
		d->disp = sign_extend(d->disp, disp_size);
	return ret;
}

static enum emu_result decode_imm(struct decoder *d)
{
	struct emu_insn *i = d->i;
	enum emu_result ret;
	u32 size = 0;

	if (i->flags & F_IMM8)
		size = 1;
	else if (i->flags & F_IMMZ)
		size = i->op_size == 2 ? 2 : 4;
	ret = fetch(d, size, &i->imm);
	if (size)
		i->imm = sign_extend(i->imm, size);
	return ret;
}

/*
 * BT BTS BTR BTC with a register bit offset reach outside their operand:
 * the offset is signed, and the bit lies in the operand-size unit
 * offset DIV (8 * size) units away (SDM 2 "BT", rounding down).
 */
static u64 bit_offset_bytes(const struct decoder *d)
{
	const struct emu_insn *i = d->i;
	u32 unit_shift = __builtin_ctz(8 * i->op_size);
	s64 offset = sign_extend(reg_get(d->regs, i, i->reg, i->op_size),
				 i->op_size);

	return (u64)((offset >> unit_shift) * i->op_size);
}

/* The memory operand's linear address, once the length is known. */
static void compute_linear(struct decoder *d)
{
	struct emu_insn *i = d->i;
	const struct emu_regs *r = d->regs;
	int seg = d->seg != NO_REG ? d->seg : d->def_seg;
	u64 ea = d->disp;

	if (i->flags & F_STRING) {
		ea = r->gpr[EMU_RDI];
		seg = EMU_ES; /* no override for the destination */
	}
	if (d->rip_relative)
		ea += r->rip + i->len;
	if (d->base != NO_REG)
		ea += r->gpr[d->base];
	if (d->index != NO_REG)
		ea += r->gpr[d->index] * d->scale;
	if (is_bit_op(i->op) && !has_imm(i))
		ea += bit_offset_bytes(d);
	i->linear = linear_of(d->mode, r, seg, ea & size_mask(i->addr_size));
}

/* Rules that would make the processor fault instead (#UD, #GP). */
static bool is_valid(const struct emu_insn *i)
{
	/* LOCK only on read-modify-writes of memory (SDM 2 "LOCK"). */
	if (i->lock && !(i->mem_read && i->mem_write))
		return false;
	/* CMPXCHG16B: the operand must be 16-byte aligned. */
	return i->mem_size != 16 || IS_ALIGNED(i->linear, 16);
}

static enum emu_result decode(struct decoder *d)
{
	struct emu_insn *i = d->i;
	enum emu_result ret;
	u8 opcode;

	ret = decode_prefixes(d, &opcode);
	if (ret != EMU_DONE)
		return ret;
	i->rex = d->rex != 0;
	ret = decode_opcode(d, opcode);
	if (ret != EMU_DONE)
		return ret;
	set_sizes(d);
	set_access(i);
	i->reg = MODRM_REG(d->modrm) | (d->rex & REX_R ? REX_REG_BIT : 0);
	if (i->flags & F_REG0)
		i->reg = EMU_RAX;
	if (i->flags & F_MOFFS)
		ret = fetch(d, i->addr_size, &d->disp);
	else if (!(i->flags & F_STRING))
		ret = decode_modrm_mem(d);
	if (ret != EMU_DONE)
		return ret;
	ret = decode_imm(d);
	if (ret != EMU_DONE)
		return ret;
	i->len = i->nbytes;
	compute_linear(d);
	return is_valid(i) ? EMU_DONE : EMU_UNHANDLED;
}

enum emu_result emu_decode(enum emu_mode mode, const struct emu_regs *regs,
			   const struct emu_ops *ops, struct emu_insn *insn)
{
	struct decoder d = {
		.mode = mode,
		.regs = regs,
		.ops = ops,
		.i = insn,
		.seg = NO_REG,
		.base = NO_REG,
		.index = NO_REG,
		.scale = 1,
		.def_seg = EMU_DS,
	};
	enum emu_result ret;

	memset(insn, 0, sizeof(*insn));
	ret = decode(&d);
	if (ret != EMU_DONE) {
		insn->len = 0;
		insn->kind = K_NONE;
	}
	return ret;
}

/* --- host operations ----------------------------------------------------- */

/*
 * Runs one instruction on host registers d and s with the guest's
 * arithmetic flags (in) loaded, and leaves the flags it produced in fl.
 * The stack pointer first steps over the 128-byte red zone, which the
 * unit test's compiler may be using for host_op()'s locals.
 */
#define HOST_ASM(text)                                              \
	asm volatile("lea -128(%%rsp), %%rsp\n\t"                   \
		     "pushfq\n\t"                                   \
		     "andq %[keep], (%%rsp)\n\t"                    \
		     "orq %[in], (%%rsp)\n\t"                       \
		     "popfq\n\t" text "\n\t"                        \
		     "pushfq\n\t"                                   \
		     "popq %[fl]\n\t"                               \
		     "lea 128(%%rsp), %%rsp"                        \
		     : [d] "+r"(dst), [fl] "=&r"(fl)                \
		     : [s] "r"(src), [in] "r"(in), [keep] "r"(keep) \
		     : "cc")

/* One text per operand size; bit instructions have no 8-bit form. */
#define SIZED(b, w, l, q)            \
	do {                         \
		if (size == 1)       \
			HOST_ASM(b); \
		else if (size == 2)  \
			HOST_ASM(w); \
		else if (size == 4)  \
			HOST_ASM(l); \
		else                 \
			HOST_ASM(q); \
	} while (0)
#define BINARY(insn)                                        \
	SIZED(insn "b %b[s], %b[d]", insn "w %w[s], %w[d]", \
	      insn "l %k[s], %k[d]", insn "q %q[s], %q[d]")
#define UNARY(insn) \
	SIZED(insn "b %b[d]", insn "w %w[d]", insn "l %k[d]", insn "q %q[d]")
#define BITOP(insn)                                         \
	SIZED(insn "w %w[s], %w[d]", insn "w %w[s], %w[d]", \
	      insn "l %k[s], %k[d]", insn "q %q[s], %q[d]")

/*
 * dst op= src at this operand size, as the host computes it; updates the
 * arithmetic flags in *rflags (and no other bit) and returns the result.
 */
static u64 host_op(u32 op, u32 size, u64 dst, u64 src, u64 *rflags)
{
	u64 in = *rflags & X86_RFLAGS_ARITH, keep = ~X86_RFLAGS_ARITH;
	u64 fl = in;

	switch (op) {
	case OP_ADD:
		BINARY("add");
		break;
	case OP_OR:
		BINARY("or");
		break;
	case OP_ADC:
		BINARY("adc");
		break;
	case OP_SBB:
		BINARY("sbb");
		break;
	case OP_AND:
		BINARY("and");
		break;
	case OP_SUB:
		BINARY("sub");
		break;
	case OP_XOR:
		BINARY("xor");
		break;
	case OP_CMP:
		BINARY("cmp");
		break;
	case OP_TEST:
		BINARY("test");
		break;
	case OP_INC:
		UNARY("inc");
		break;
	case OP_DEC:
		UNARY("dec");
		break;
	case OP_NOT:
		UNARY("not");
		break;
	case OP_NEG:
		UNARY("neg");
		break;
	case OP_BT:
		BITOP("bt");
		break;
	case OP_BTS:
		BITOP("bts");
		break;
	case OP_BTR:
		BITOP("btr");
		break;
	case OP_BTC:
		BITOP("btc");
		break;
	default: /* OP_MOV */
		dst = src;
		break;
	}
	*rflags = (*rflags & keep) | (fl & X86_RFLAGS_ARITH);
	return dst & size_mask(size);
}

/* --- execution ------------------------------------------------------------ */

/* One execution: the instruction and the copy of the registers it changes. */
struct exec {
	const struct emu_ops *ops;
	const struct emu_insn *i;
	struct emu_regs r;
};

static u64 run_op(struct exec *x, u32 op, u64 dst, u64 src)
{
	return host_op(op, x->i->op_size, dst, src, &x->r.rflags);
}

static enum emu_result mem_read(struct exec *x, void *buf)
{
	if (x->ops->read(x->ops->opaque, x->i->linear, buf, x->i->mem_size))
		return EMU_FAULTED;
	return EMU_DONE;
}

static enum emu_result mem_write(struct exec *x, const void *buf)
{
	if (x->ops->write(x->ops->opaque, x->i->linear, buf, x->i->mem_size))
		return EMU_FAULTED;
	return EMU_DONE;
}

static enum emu_result mem_cmpxchg(struct exec *x, const void *old,
				   const void *new, void *cur)
{
	if (x->ops->cmpxchg(x->ops->opaque, x->i->linear, old, new, cur,
			    x->i->mem_size))
		return EMU_FAULTED;
	return EMU_DONE;
}

/* The source operand: immediate or register; for BT*, the bit number. */
static u64 source(const struct exec *x)
{
	const struct emu_insn *i = x->i;
	u64 src = has_imm(i) ? i->imm : reg_get(&x->r, i, i->reg, i->op_size);

	if (is_bit_op(i->op))
		src &= 8 * i->op_size - 1;
	return src & size_mask(i->op_size);
}

/*
 * Memory op= src as one atomic read-modify-write: compute from the value
 * read, then store only if memory still holds it; if another CPU wrote in
 * between, compute again from what it wrote. Each retry means another
 * CPU's write went through, so the loop ends. Leaves the value the
 * operation used in *old, and that round's flags in x->r.
 */
static enum emu_result rmw(struct exec *x, u64 src, u64 *old)
{
	u64 flags = x->r.rflags, new, cur;

	*old = 0;
	if (mem_read(x, old) != EMU_DONE)
		return EMU_FAULTED;
	for (;;) {
		x->r.rflags = flags;
		new = run_op(x, x->i->op, *old, src);
		cur = 0;
		if (mem_cmpxchg(x, old, &new, &cur) != EMU_DONE)
			return EMU_FAULTED;
		if (cur == *old)
			return EMU_DONE;
		*old = cur;
	}
}

/* ALU, TEST, INC DEC NOT NEG and BT* on a memory destination. */
static enum emu_result exec_alu_m(struct exec *x)
{
	u64 src = source(x), val = 0;

	if (x->i->mem_write)
		return rmw(x, src, &val);
	if (mem_read(x, &val) != EMU_DONE)
		return EMU_FAULTED;
	run_op(x, x->i->op, val, src);
	return EMU_DONE;
}

static enum emu_result exec_alu_r(struct exec *x)
{
	const struct emu_insn *i = x->i;
	u64 val = 0, res;

	if (mem_read(x, &val) != EMU_DONE)
		return EMU_FAULTED;
	res = run_op(x, i->op, reg_get(&x->r, i, i->reg, i->op_size), val);
	if (i->op != OP_CMP)
		reg_put(&x->r, i, i->reg, i->op_size, res);
	return EMU_DONE;
}

static enum emu_result exec_load(struct exec *x)
{
	const struct emu_insn *i = x->i;
	u64 val = 0;

	if (mem_read(x, &val) != EMU_DONE)
		return EMU_FAULTED;
	if (i->flags & F_SX)
		val = sign_extend(val, i->mem_size);
	reg_put(&x->r, i, i->reg, i->op_size, val);
	return EMU_DONE;
}

static enum emu_result exec_store(struct exec *x)
{
	u64 val = source(x);

	return mem_write(x, &val);
}

static enum emu_result exec_xchg(struct exec *x)
{
	const struct emu_insn *i = x->i;
	u64 old;

	if (rmw(x, source(x), &old) != EMU_DONE)
		return EMU_FAULTED;
	reg_put(&x->r, i, i->reg, i->op_size, old);
	return EMU_DONE;
}

/*
 * CMPXCHG (SDM 2): flags as CMP rAX, memory. On a mismatch the processor
 * writes the value it read back; not writing leaves memory the same, and
 * keeps a concurrent write that came in between.
 */
static enum emu_result exec_cmpxchg(struct exec *x)
{
	const struct emu_insn *i = x->i;
	u64 acc = reg_get(&x->r, i, EMU_RAX, i->op_size);
	u64 src = source(x), cur = 0;

	if (mem_cmpxchg(x, &acc, &src, &cur) != EMU_DONE)
		return EMU_FAULTED;
	run_op(x, OP_CMP, acc, cur);
	if (cur != acc)
		reg_put(&x->r, i, EMU_RAX, i->op_size, cur);
	return EMU_DONE;
}

/* Two registers as the memory value hi:lo, each half bytes (4 or 8). */
static void reg_pair(const struct emu_regs *r, u32 lo, u32 hi, u32 half,
		     u64 *out)
{
	if (half == 8) {
		out[0] = r->gpr[lo];
		out[1] = r->gpr[hi];
	} else {
		out[0] = (r->gpr[lo] & ADDR_32BIT_MASK) | (r->gpr[hi] << 32);
		out[1] = 0;
	}
}

/* CMPXCHG8B and CMPXCHG16B (SDM 2): ZF only, the other flags unchanged. */
static enum emu_result exec_cmpxchg8b(struct exec *x)
{
	const struct emu_insn *i = x->i;
	u32 half = i->mem_size / 2;
	u64 old[2], new[2], cur[2] = {0, 0};

	reg_pair(&x->r, EMU_RAX, EMU_RDX, half, old);
	reg_pair(&x->r, EMU_RBX, EMU_RCX, half, new);
	if (mem_cmpxchg(x, old, new, cur) != EMU_DONE)
		return EMU_FAULTED;
	x->r.rflags &= ~X86_RFLAGS_ZF;
	if (!memcmp(cur, old, sizeof(old))) {
		x->r.rflags |= X86_RFLAGS_ZF;
	} else if (half == 8) {
		reg_put(&x->r, i, EMU_RAX, half, cur[0]);
		reg_put(&x->r, i, EMU_RDX, half, cur[1]);
	} else {
		reg_put(&x->r, i, EMU_RAX, half, cur[0]);
		reg_put(&x->r, i, EMU_RDX, half, cur[0] >> 32);
	}
	return EMU_DONE;
}

/* STOS: store, then step rDI (at the address size) by the operand size. */
static enum emu_result exec_stos(struct exec *x)
{
	const struct emu_insn *i = x->i;
	u64 val = reg_get(&x->r, i, EMU_RAX, i->op_size);
	u64 rdi = x->r.gpr[EMU_RDI];

	if (mem_write(x, &val) != EMU_DONE)
		return EMU_FAULTED;
	if (x->r.rflags & X86_RFLAGS_DF)
		rdi -= i->op_size;
	else
		rdi += i->op_size;
	reg_put(&x->r, i, EMU_RDI, i->addr_size, rdi);
	return EMU_DONE;
}

static enum emu_result (*const executors[])(struct exec *x) = {
	[K_ALU_M] = exec_alu_m,		[K_ALU_R] = exec_alu_r,
	[K_LOAD] = exec_load,		[K_STORE] = exec_store,
	[K_XCHG] = exec_xchg,		[K_CMPXCHG] = exec_cmpxchg,
	[K_CMPXCHG8B] = exec_cmpxchg8b, [K_STOS] = exec_stos,
};

enum emu_result emu_execute(enum emu_mode mode, struct emu_regs *regs,
			    const struct emu_ops *ops, struct emu_insn *insn)
{
	struct exec x = {.ops = ops, .i = insn, .r = *regs};
	enum emu_result ret;

	if (insn->kind == K_NONE || insn->kind >= ARRAY_SIZE(executors))
		return EMU_UNHANDLED;
	ret = executors[insn->kind](&x);
	if (ret != EMU_DONE)
		return ret;
	x.r.rip = (x.r.rip + insn->len) & ip_mask(mode);
	*regs = x.r;
	return EMU_DONE;
}
