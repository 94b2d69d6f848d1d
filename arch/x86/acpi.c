// SPDX-License-Identifier: MIT
/*
 * The firmware's ACPI tables, read once at boot: which CPUs exist (MADT),
 * where the local APIC is, and how to power off (FADT and the \_S5 object
 * in the DSDT). See arch/x86/include/acpi.h for the interface.
 *
 * Firmware tables are input we do not trust: every table is reached
 * through the caller's phys_map_fn, its 36-byte header is mapped first,
 * its length is bounded, then the whole length is mapped and checksummed
 * before a byte past the header is read. Each problem becomes a warning in
 * struct acpi_warnings naming the table and its address; nothing here
 * panics, and a bad table only costs what it would have told us.
 *
 * Section numbers are from the ACPI 6.5 specification.
 *
 * Context: boot CPU, during boot, before the other CPUs start; no locks.
 * Also host-built by tests/unit/test_acpi.c.
 */
#include "types.h"
#include "errno.h"
#include "kstring.h"
#include "format.h"
#include "acpi.h"

/*
 * Root System Description Pointer (5.2.5.3). ACPI 1.0 firmware provides
 * only the first 20 bytes; revision 2 and later add the XSDT.
 */
struct acpi_rsdp {
	char sig[8]; /* "RSD PTR " */
	u8 checksum; /* the first 20 bytes sum to 0 */
	char oemid[6];
	u8 revision; /* 0 for ACPI 1.0, 2 and up for the fields below */
	u32 rsdt_address;
	u32 length; /* of the whole RSDP, 36 */
	u64 xsdt_address;
	u8 ext_checksum; /* all `length` bytes sum to 0 */
	u8 reserved[3];
} __packed;
_Static_assert(sizeof(struct acpi_rsdp) == 36, "RSDP layout");

#define RSDP_SIG    "RSD PTR "
#define RSDP_V1_LEN 20

/* The header every other table starts with (5.2.6). */
struct sdt_header {
	char sig[4];
	u32 length; /* of the whole table, header included */
	u8 revision;
	u8 checksum; /* the whole table sums to 0 */
	char oemid[6];
	char oem_table_id[8];
	u32 oem_revision;
	u32 creator_id;
	u32 creator_revision;
} __packed;
_Static_assert(sizeof(struct sdt_header) == 36, "SDT header layout");

/* No real table comes near this; a bigger length is a corrupt header. */
#define ACPI_TABLE_MAX_LEN (1 * MiB)

/*
 * Multiple APIC Description Table, signature "APIC" (5.2.12): the header,
 * the local APIC address and flags, then variable-length entries, each
 * starting with its type and its length in bytes.
 */
struct madt {
	struct sdt_header hdr;
	u32 lapic_address;
	u32 flags;
} __packed;
_Static_assert(sizeof(struct madt) == 44, "MADT layout");

struct madt_entry {
	u8 type;
	u8 length;
} __packed;

#define MADT_LAPIC	    0 /* processor local APIC (5.2.12.2) */
#define MADT_LAPIC_OVERRIDE 5 /* 64-bit local APIC address (5.2.12.8) */
#define MADT_X2APIC	    9 /* processor local x2APIC (5.2.12.12) */

/* Local APIC and x2APIC flags (table 5.23). */
#define MADT_CPU_ENABLED	BIT(0)
#define MADT_CPU_ONLINE_CAPABLE BIT(1) /* off now, may be started later */

struct madt_lapic {
	struct madt_entry h;
	u8 uid; /* ACPI processor UID */
	u8 apic_id;
	u32 flags;
} __packed;
_Static_assert(sizeof(struct madt_lapic) == 8, "MADT local APIC layout");

struct madt_lapic_override {
	struct madt_entry h;
	u16 reserved;
	u64 address;
} __packed;
_Static_assert(sizeof(struct madt_lapic_override) == 12, "MADT override");

struct madt_x2apic {
	struct madt_entry h;
	u16 reserved;
	u32 x2apic_id;
	u32 flags;
	u32 uid;
} __packed;
_Static_assert(sizeof(struct madt_x2apic) == 16, "MADT x2APIC layout");

/*
 * Fixed ACPI Description Table, signature "FACP" (5.2.9), up to X_DSDT.
 * ACPI 1.0 tables end at offset 116, before the 64-bit fields, so each
 * field is read only when the table's length covers it.
 */
struct fadt {
	struct sdt_header hdr;
	u32 firmware_ctrl;   /* 36 */
	u32 dsdt;	     /* 40 */
	u8 unused_44[20];    /* profile, SCI, SMI command, PM1 event blocks */
	u32 pm1a_cnt_blk;    /* 64 */
	u32 pm1b_cnt_blk;    /* 68 */
	u32 pm2_cnt_blk;     /* 72 */
	u32 pm_tmr_blk;	     /* 76 */
	u8 unused_80[52];    /* GPE blocks, latencies, flags, reset register */
	u64 x_firmware_ctrl; /* 132 */
	u64 x_dsdt;	     /* 140 */
} __packed;
_Static_assert(offsetof(struct fadt, pm1a_cnt_blk) == 64, "FADT PM1a");
_Static_assert(offsetof(struct fadt, pm_tmr_blk) == 76, "FADT PM timer");
_Static_assert(offsetof(struct fadt, x_dsdt) == 140, "FADT X_DSDT");

#define FADT_PM_END	(offsetof(struct fadt, pm_tmr_blk) + sizeof(u32))
#define FADT_X_DSDT_END (offsetof(struct fadt, x_dsdt) + sizeof(u64))

/* AML encodings used to find \_S5 (20.2). */
#define AML_ZERO_OP	       0x00
#define AML_ONE_OP	       0x01
#define AML_NAME_OP	       0x08
#define AML_BYTE_PREFIX	       0x0a
#define AML_WORD_PREFIX	       0x0b
#define AML_PACKAGE_OP	       0x12
#define AML_ROOT_CHAR	       0x5c /* '\' */
/* PkgLength: bits 7-6 of the lead byte count the bytes that follow. */
#define AML_PKGLEN_EXTRA_SHIFT 6

/* One acpi_parse call's state. */
struct acpi_parser {
	phys_map_fn map;
	void *ctx;
	struct acpi_info *out;
	struct acpi_warnings *warn;
};

/* A table whose length has been bounded and whose checksum is good. */
struct acpi_table {
	const u8 *bytes; /* len readable bytes */
	u32 len;	 /* read once from the header; never re-read */
	u64 pa;
	const char *name; /* for messages: "MADT", not "APIC" */
};

__printf(4, 0) static void warn_v(struct acpi_parser *p, const char *name,
				  u64 pa, const char *fmt, va_list ap)
{
	struct acpi_warnings *w = p->warn;
	size_t size = sizeof(w->msg[0]);
	size_t n = 0;
	char *msg;

	/* Later warnings are dropped: the first ones explain the rest. */
	if (w->n >= ACPI_MAX_WARNINGS)
		return;
	msg = w->msg[w->n++];
	if (name)
		n = (size_t)ksnprintf(msg, size, "%s at 0x%llx: ", name,
				      (unsigned long long)pa);
	n = MIN(n, size - 1);
	kvsnprintf(msg + n, size - n, fmt, ap);
}

__printf(2, 3) static void acpi_warn(struct acpi_parser *p, const char *fmt,
				     ...)
{
	va_list ap;

	va_start(ap, fmt);
	warn_v(p, NULL, 0, fmt, ap);
	va_end(ap);
}

/* A warning about one table: "MADT at 0x7fe1234: ..." */
__printf(4, 5) static void table_warn(struct acpi_parser *p, const char *name,
				      u64 pa, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	warn_v(p, name, pa, fmt, ap);
	va_end(ap);
}

static u8 acpi_checksum(const void *p, size_t len)
{
	const u8 *b = p;
	u8 sum = 0;

	while (len--)
		sum += *b++;
	return sum;
}

/* Firmware strings go to the log: keep them printable. */
static void copy_printable(char *dst, const char *src, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		dst[i] = (src[i] >= 0x20 && src[i] < 0x7f) ? src[i] : '?';
	dst[n] = '\0';
}

/* Little-endian and possibly unaligned, like the root tables' entries. */
static u64 read_le(const u8 *b, u32 nbytes)
{
	u64 v = 0;

	while (nbytes--)
		v = (v << 8) | b[nbytes];
	return v;
}

/* Checks a table's header, then maps and checksums the whole table. */
static bool table_load(struct acpi_parser *p, u64 pa, const char *sig,
		       const char *name, struct acpi_table *t)
{
	const struct sdt_header *h = p->map(pa, sizeof(*h), p->ctx);
	char found[5];
	u8 sum;

	if (!h) {
		table_warn(p, name, pa, "header is not in mapped memory");
		return false;
	}
	if (memcmp(h->sig, sig, 4) != 0) {
		copy_printable(found, h->sig, 4);
		table_warn(p, name, pa, "signature is \"%s\", not \"%s\"",
			   found, sig);
		return false;
	}
	t->len = h->length;
	if (t->len < sizeof(*h) || t->len > ACPI_TABLE_MAX_LEN) {
		table_warn(p, name, pa, "length %u is not in [36, 1 MiB]",
			   t->len);
		return false;
	}
	t->bytes = p->map(pa, t->len, p->ctx);
	if (!t->bytes) {
		table_warn(p, name, pa, "length %u runs past mapped memory",
			   t->len);
		return false;
	}
	sum = acpi_checksum(t->bytes, t->len);
	if (sum) {
		table_warn(p, name, pa, "checksum is bad (sum 0x%02x)", sum);
		return false;
	}
	t->pa = pa;
	t->name = name;
	return true;
}

/* Scans [start, start + len) on 16-byte boundaries (5.2.5.1). */
static bool rsdp_scan(phys_map_fn map, void *ctx, u64 start, u64 len, u64 *pa)
{
	const u8 *r;
	u64 off;

	for (off = 0; off + RSDP_V1_LEN <= len; off += 16) {
		r = map(start + off, RSDP_V1_LEN, ctx);
		if (r && memcmp(r, RSDP_SIG, 8) == 0 &&
		    acpi_checksum(r, RSDP_V1_LEN) == 0) {
			*pa = start + off;
			return true;
		}
	}
	return false;
}

#define BDA_EBDA_SEGMENT 0x40e /* real-mode segment of the EBDA */
#define EBDA_SCAN_LEN	 (1 * KiB)
#define BIOS_AREA_START	 0xe0000
#define BIOS_AREA_LEN	 0x20000
#define LOW_MEM_END	 0xa0000 /* the EBDA lies below the VGA hole */

int acpi_find_rsdp(phys_map_fn map, void *ctx, u64 *pa)
{
	const u8 *seg = map(BDA_EBDA_SEGMENT, 2, ctx);
	u64 ebda;

	if (seg) {
		ebda = read_le(seg, 2) << 4;
		/* Zero or nonsense when there is no EBDA (e.g. under UEFI). */
		if (ebda > BDA_EBDA_SEGMENT && ebda < LOW_MEM_END &&
		    rsdp_scan(map, ctx, ebda, EBDA_SCAN_LEN, pa))
			return 0;
	}
	if (rsdp_scan(map, ctx, BIOS_AREA_START, BIOS_AREA_LEN, pa))
		return 0;
	return -ENOENT;
}

/* The ACPI 1.0 part of the RSDP, which every revision has. */
static bool rsdp_check(struct acpi_parser *p, const struct acpi_rsdp *r,
		       u32 len)
{
	u8 sum;

	if (len < RSDP_V1_LEN) {
		acpi_warn(p, "RSDP: %u bytes, fewer than the 20 of ACPI 1.0",
			  len);
		return false;
	}
	if (memcmp(r->sig, RSDP_SIG, 8) != 0) {
		acpi_warn(p, "RSDP: signature is not \"RSD PTR \"");
		return false;
	}
	sum = acpi_checksum(r, RSDP_V1_LEN);
	if (sum) {
		acpi_warn(p, "RSDP: checksum is bad (sum 0x%02x)", sum);
		return false;
	}
	p->out->revision = r->revision;
	copy_printable(p->out->oem_id, r->oemid, sizeof(r->oemid));
	return true;
}

/* Whether the ACPI 2.0 part is there and sound enough to use the XSDT. */
static bool rsdp_has_xsdt(struct acpi_parser *p, const struct acpi_rsdp *r,
			  u32 len)
{
	u8 sum;

	if (r->revision < 2)
		return false;
	if (len < sizeof(*r) || r->length < sizeof(*r) || r->length > len) {
		acpi_warn(p,
			  "RSDP: revision %u, but length %u (%u bytes "
			  "given): using the RSDT",
			  r->revision, len < sizeof(*r) ? 0 : r->length, len);
		return false;
	}
	sum = acpi_checksum(r, r->length);
	if (sum) {
		acpi_warn(p,
			  "RSDP: extended checksum is bad (sum 0x%02x): "
			  "using the RSDT",
			  sum);
		return false;
	}
	if (!r->xsdt_address) {
		acpi_warn(p,
			  "RSDP: revision %u without an XSDT address: "
			  "using the RSDT",
			  r->revision);
		return false;
	}
	return true;
}

/*
 * The root table lists the physical addresses of all other tables: the
 * XSDT as u64s after its header, the RSDT as u32s. Prefers the XSDT.
 */
static bool root_load(struct acpi_parser *p, const struct acpi_rsdp *r, u32 len,
		      struct acpi_table *root, u32 *entry_size)
{
	if (rsdp_has_xsdt(p, r, len)) {
		if (table_load(p, r->xsdt_address, "XSDT", "XSDT", root)) {
			*entry_size = sizeof(u64);
			return true;
		}
		acpi_warn(p, "XSDT unusable: using the RSDT at 0x%x",
			  r->rsdt_address);
	}
	if (!r->rsdt_address) {
		acpi_warn(p, "RSDP: no RSDT address");
		return false;
	}
	if (!table_load(p, r->rsdt_address, "RSDT", "RSDT", root))
		return false;
	*entry_size = sizeof(u32);
	return true;
}

/* Adds one processor from a local APIC or x2APIC entry. */
static void madt_add_cpu(struct acpi_parser *p, const struct acpi_table *t,
			 u32 apic_id, u32 uid, u32 flags)
{
	struct acpi_info *out = p->out;
	u32 i;

	/* Disabled, or online capable only: not a CPU we can start now. */
	if (!(flags & MADT_CPU_ENABLED))
		return;
	for (i = 0; i < out->ncpus; i++) {
		if (out->cpus[i].apic_id == apic_id) {
			table_warn(p, t->name, t->pa,
				   "APIC id 0x%x is listed twice: "
				   "ignoring the second",
				   apic_id);
			return;
		}
	}
	if (out->ncpus == ACPI_MAX_CPUS) {
		out->ncpus_ignored++;
		return;
	}
	out->cpus[out->ncpus].apic_id = apic_id;
	out->cpus[out->ncpus].uid = uid;
	out->ncpus++;
}

/* Whether an entry is long enough for its type's structure. */
static bool madt_entry_fits(struct acpi_parser *p, const struct acpi_table *t,
			    const struct madt_entry *e, u32 off, size_t need)
{
	if (e->length >= need)
		return true;
	table_warn(p, t->name, t->pa,
		   "entry at offset 0x%x (type %u) has length %u, "
		   "needs %zu: skipped",
		   off, e->type, e->length, need);
	return false;
}

static void madt_entry(struct acpi_parser *p, const struct acpi_table *t,
		       const struct madt_entry *e, u32 off)
{
	const struct madt_lapic *l = (const void *)e;
	const struct madt_lapic_override *o = (const void *)e;
	const struct madt_x2apic *x = (const void *)e;

	switch (e->type) {
	case MADT_LAPIC:
		if (madt_entry_fits(p, t, e, off, sizeof(*l)))
			madt_add_cpu(p, t, l->apic_id, l->uid, l->flags);
		break;
	case MADT_LAPIC_OVERRIDE:
		if (madt_entry_fits(p, t, e, off, sizeof(*o)))
			p->out->lapic_pa = o->address;
		break;
	case MADT_X2APIC:
		if (madt_entry_fits(p, t, e, off, sizeof(*x)))
			madt_add_cpu(p, t, x->x2apic_id, x->uid, x->flags);
		break;
	default:
		/* I/O APICs, overrides, NMIs: not Shade's business here. */
		break;
	}
}

/* Walks the entries after the fixed part; a broken one ends the walk,
 * since the length of everything after it is unknowable. */
static void madt_walk(struct acpi_parser *p, const struct acpi_table *t)
{
	const struct madt_entry *e;
	u32 off = sizeof(struct madt);

	while (off < t->len) {
		e = (const void *)(t->bytes + off);
		if (t->len - off < sizeof(*e) || e->length < sizeof(*e) ||
		    e->length > t->len - off) {
			table_warn(p, t->name, t->pa,
				   "entry at offset 0x%x is broken "
				   "(length %u, %u bytes left): "
				   "stopped reading",
				   off,
				   t->len - off < sizeof(*e) ? 0 : e->length,
				   t->len - off);
			return;
		}
		madt_entry(p, t, e, off);
		off += e->length;
	}
}

static void madt_load(struct acpi_parser *p, u64 pa)
{
	struct acpi_info *out = p->out;
	const struct madt *m;
	struct acpi_table t;

	if (!table_load(p, pa, "APIC", "MADT", &t))
		return;
	if (t.len < sizeof(*m)) {
		table_warn(p, t.name, pa, "length %u is too short", t.len);
		return;
	}
	m = (const void *)t.bytes;
	out->have_madt = true;
	out->lapic_pa = m->lapic_address;
	madt_walk(p, &t);
	if (out->ncpus_ignored)
		table_warn(p, t.name, pa,
			   "%u enabled CPUs beyond the first %u ignored",
			   out->ncpus_ignored, (u32)ACPI_MAX_CPUS);
	if (!out->ncpus)
		table_warn(p, t.name, pa, "lists no enabled CPU");
}

/* A cursor over AML bytes; every read is checked against end. */
struct aml_cursor {
	const u8 *bytes;
	u32 off;
	u32 end;
};

static bool aml_byte(struct aml_cursor *c, u8 *b)
{
	if (c->off >= c->end)
		return false;
	*b = c->bytes[c->off++];
	return true;
}

/* A sleep type value: ZeroOp, OneOp, BytePrefix b, or WordPrefix w
 * (whose low byte is the value; SLP_TYP is only 3 bits wide). */
static bool aml_sleep_type(struct aml_cursor *c, u8 *val)
{
	u8 op, high;

	if (!aml_byte(c, &op))
		return false;
	switch (op) {
	case AML_ZERO_OP:
		*val = 0;
		return true;
	case AML_ONE_OP:
		*val = 1;
		return true;
	case AML_BYTE_PREFIX:
		return aml_byte(c, val);
	case AML_WORD_PREFIX:
		return aml_byte(c, val) && aml_byte(c, &high);
	default:
		return false;
	}
}

/*
 * After the name: PackageOp, PkgLength (1 to 4 bytes), NumElements, then
 * the elements, of which the first two are SLP_TYPa and SLP_TYPb (7.4.2).
 */
static bool s5_decode(struct aml_cursor *c, u8 *typa, u8 *typb)
{
	u8 op, lead, nelem, skip;

	if (!aml_byte(c, &op) || op != AML_PACKAGE_OP || !aml_byte(c, &lead))
		return false;
	for (skip = lead >> AML_PKGLEN_EXTRA_SHIFT; skip; skip--)
		if (!aml_byte(c, &op))
			return false;
	if (!aml_byte(c, &nelem) || nelem < 2)
		return false;
	return aml_sleep_type(c, typa) && aml_sleep_type(c, typb);
}

/* "_S5_" at off is a definition: NameOp, optionally '\', then the name.
 * Anywhere else (a method reading \_S5) it is not ours to decode. */
static bool s5_is_definition(const struct acpi_table *t, u32 off)
{
	const u8 *b = t->bytes;
	u32 aml = sizeof(struct sdt_header);

	if (off >= aml + 1 && b[off - 1] == AML_NAME_OP)
		return true;
	return off >= aml + 2 && b[off - 1] == AML_ROOT_CHAR &&
	       b[off - 2] == AML_NAME_OP;
}

/*
 * Shade does not interpret AML: it looks for the byte pattern of
 * Name (\_S5, Package () { a, b, ... }), which is how firmware writes it.
 */
static void dsdt_find_s5(struct acpi_parser *p, const struct acpi_table *t)
{
	struct aml_cursor c = {.bytes = t->bytes, .end = t->len};
	u32 off, bad = 0;

	for (off = sizeof(struct sdt_header); off + 4 <= t->len; off++) {
		if (memcmp(t->bytes + off, "_S5_", 4) != 0 ||
		    !s5_is_definition(t, off))
			continue;
		c.off = off + 4;
		if (s5_decode(&c, &p->out->slp_typa, &p->out->slp_typb)) {
			p->out->have_s5 = true;
			return;
		}
		bad = off;
	}
	if (bad)
		table_warn(p, t->name, t->pa,
			   "\\_S5 at offset 0x%x is not a package "
			   "Shade can read: no power off",
			   bad);
	else
		table_warn(p, t->name, t->pa, "no \\_S5 object: no power off");
}

static void fadt_load(struct acpi_parser *p, u64 pa)
{
	struct acpi_info *out = p->out;
	struct acpi_table t, dsdt;
	const struct fadt *f;
	u64 dsdt_pa;

	if (!table_load(p, pa, "FACP", "FADT", &t))
		return;
	if (t.len < FADT_PM_END) {
		table_warn(p, t.name, pa, "length %u is too short", t.len);
		return;
	}
	f = (const void *)t.bytes;
	out->have_fadt = true;
	out->pm1a_cnt = f->pm1a_cnt_blk;
	out->pm1b_cnt = f->pm1b_cnt_blk;
	out->pm_tmr = f->pm_tmr_blk;

	dsdt_pa = f->dsdt;
	if (t.len >= FADT_X_DSDT_END && f->x_dsdt)
		dsdt_pa = f->x_dsdt;
	if (!dsdt_pa)
		table_warn(p, t.name, pa, "no DSDT address: no power off");
	else if (table_load(p, dsdt_pa, "DSDT", "DSDT", &dsdt))
		dsdt_find_s5(p, &dsdt);
}

/* One root table entry: only the MADT and the FADT matter to Shade. */
static void root_entry(struct acpi_parser *p, const struct acpi_table *root,
		       u32 i, u64 pa)
{
	const struct sdt_header *h = NULL;

	if (pa)
		h = p->map(pa, sizeof(*h), p->ctx);
	if (!h) {
		table_warn(p, root->name, root->pa,
			   "entry %u (0x%llx) is not in mapped memory", i,
			   (unsigned long long)pa);
		return;
	}
	/* The first valid one of each counts; later copies are ignored. */
	if (!memcmp(h->sig, "APIC", 4) && !p->out->have_madt)
		madt_load(p, pa);
	else if (!memcmp(h->sig, "FACP", 4) && !p->out->have_fadt)
		fadt_load(p, pa);
}

static void root_walk(struct acpi_parser *p, const struct acpi_table *root,
		      u32 entry_size)
{
	u32 body = root->len - (u32)sizeof(struct sdt_header);
	u32 i;

	if (body % entry_size)
		table_warn(p, root->name, root->pa,
			   "length %u leaves a partial entry", root->len);
	for (i = 0; i < body / entry_size; i++)
		root_entry(p, root, i,
			   read_le(root->bytes + sizeof(struct sdt_header) +
					   i * entry_size,
				   entry_size));
}

/*
 * Fills *out and *warn (both are cleared first). out->rsdp_pa is left 0:
 * the caller, which knows where the RSDP came from, sets it.
 */
int acpi_parse(const void *rsdp, u32 rsdp_len, phys_map_fn map, void *ctx,
	       struct acpi_info *out, struct acpi_warnings *warn)
{
	struct acpi_parser p = {
		.map = map,
		.ctx = ctx,
		.out = out,
		.warn = warn,
	};
	struct acpi_table root;
	u32 entry_size;

	memset(out, 0, sizeof(*out));
	memset(warn, 0, sizeof(*warn));
	if (!rsdp_check(&p, rsdp, rsdp_len) ||
	    !root_load(&p, rsdp, rsdp_len, &root, &entry_size))
		return -ENOENT;
	root_walk(&p, &root, entry_size);
	if (!out->have_fadt)
		acpi_warn(&p, "%s: no usable FADT: no power off", root.name);
	if (!out->have_madt)
		acpi_warn(&p, "%s: no usable MADT: only the boot CPU will run",
			  root.name);
	return out->ncpus ? 0 : -ENOENT;
}
