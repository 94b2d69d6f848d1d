// SPDX-License-Identifier: MIT
/*
 * Multiboot2 boot information (GRUB's "multiboot2" command) turned into a
 * struct boot_info. The loader's bytes are not trusted: every size is
 * checked against the bytes that hold it before a field is read, and a
 * bad tag is refused with a message naming it, because a hypervisor that
 * trusted a broken memory map would hand out memory it does not own.
 *
 * Context: boot CPU, before the heap and the frame allocator exist (and
 * host unit tests). The loader's memory is reached only through the
 * caller's phys_map_fn.
 */
#include "types.h"
#include "errno.h"
#include "kstring.h"
#include "format.h"
#include "bootinfo.h"

/*
 * The information structure (Multiboot2 spec, section 3.6):
 *
 *	u32 total_size		bytes, this header and the end tag included
 *	u32 reserved
 *	tags, each at an 8-byte aligned offset:
 *		u32 type
 *		u32 size	bytes of this tag, header included, padding not
 *		u8  data[size - 8]
 *	end tag: type 0, size 8
 */
#define MB2_HEADER_SIZE	    8
#define MB2_TAG_HEADER_SIZE 8
#define MB2_TAG_ALIGN	    8
#define MB2_MIN_TOTAL	    (u32)(MB2_HEADER_SIZE + MB2_TAG_HEADER_SIZE)
/* GRUB's structures are a few KiB; anything this large is garbage. */
#define MB2_MAX_TOTAL	    (1 * MiB)

enum mb2_tag_type {
	MB2_TAG_END = 0,
	MB2_TAG_CMDLINE = 1,
	MB2_TAG_LOADER_NAME = 2,
	MB2_TAG_MODULE = 3,
	MB2_TAG_BASIC_MEMINFO = 4,
	MB2_TAG_MMAP = 6,
	MB2_TAG_ACPI_OLD = 14,
	MB2_TAG_ACPI_NEW = 15,
};

/* Bytes an RSDP copy holds: ACPI 1.0 RSDP, ACPI 2.0+ XSDP (ACPI 5.2.5.3). */
#define RSDP_V1_SIZE 20
#define RSDP_V2_SIZE 36

/* Module tag data: u32 mod_start, u32 mod_end, u8 string[]. */
#define MB2_MOD_OFF_START  0
#define MB2_MOD_OFF_END	   4
#define MB2_MOD_OFF_STRING 8

/* Memory map tag data: u32 entry_size, u32 entry_version, entries. An
 * entry is at least {u64 base_addr, u64 length, u32 type, u32 reserved};
 * later versions may append fields, which we skip. */
#define MB2_MMAP_OFF_ENTRIES 8
#define MB2_MMAP_E_BASE	     0
#define MB2_MMAP_E_LENGTH    8
#define MB2_MMAP_E_TYPE	     16
#define MB2_MMAP_ENTRY_MIN   24

struct mb2_tag {
	u32 type;
	u32 size;
	u32 offset;	/* from the start of the information structure */
	const u8 *data; /* the size - 8 bytes after the tag header */
	u32 data_len;
};

struct mb2_parser {
	u64 info_pa;
	const u8 *info; /* all total_size bytes, mapped */
	u32 total_size;
	u32 seen; /* bit per tag type that may appear only once */
	struct boot_info *out;
	struct boot_error *err;
};

typedef int (*mb2_tag_fn)(struct mb2_parser *p, const struct mb2_tag *t);

static int mb2_cmdline(struct mb2_parser *p, const struct mb2_tag *t);
static int mb2_loader_name(struct mb2_parser *p, const struct mb2_tag *t);
static int mb2_module(struct mb2_parser *p, const struct mb2_tag *t);
static int mb2_basic_meminfo(struct mb2_parser *p, const struct mb2_tag *t);
static int mb2_mmap(struct mb2_parser *p, const struct mb2_tag *t);
static int mb2_acpi_old(struct mb2_parser *p, const struct mb2_tag *t);
static int mb2_acpi_new(struct mb2_parser *p, const struct mb2_tag *t);

/*
 * Every tag type the specification names, so messages can say what a tag
 * is; only those with a parse function matter to Shade. min_size is the
 * fixed part a tag needs before its strings or entries; "once" types
 * describe the whole machine, and a second copy means a confused loader.
 */
static const struct mb2_tag_kind {
	const char *name;
	u32 min_size;
	bool once;
	mb2_tag_fn parse;
} mb2_kinds[] = {
	[MB2_TAG_END] = {"end", 8, false, NULL},
	[MB2_TAG_CMDLINE] = {"command line", 8, true, mb2_cmdline},
	[MB2_TAG_LOADER_NAME] = {"boot loader name", 8, true, mb2_loader_name},
	[MB2_TAG_MODULE] = {"module", 16, false, mb2_module},
	[MB2_TAG_BASIC_MEMINFO] = {"basic meminfo", 16, true,
				   mb2_basic_meminfo},
	[5] = {"BIOS boot device", 8, false, NULL},
	[MB2_TAG_MMAP] = {"memory map", 16, true, mb2_mmap},
	[7] = {"VBE info", 8, false, NULL},
	[8] = {"framebuffer info", 8, false, NULL},
	[9] = {"ELF symbols", 8, false, NULL},
	[10] = {"APM table", 8, false, NULL},
	[11] = {"EFI 32-bit system table", 8, false, NULL},
	[12] = {"EFI 64-bit system table", 8, false, NULL},
	[13] = {"SMBIOS tables", 8, false, NULL},
	[MB2_TAG_ACPI_OLD] = {"ACPI old RSDP", 8 + RSDP_V1_SIZE, true,
			      mb2_acpi_old},
	[MB2_TAG_ACPI_NEW] = {"ACPI new RSDP", 8 + RSDP_V2_SIZE, true,
			      mb2_acpi_new},
	[16] = {"networking information", 8, false, NULL},
	[17] = {"EFI memory map", 8, false, NULL},
	[18] = {"EFI boot services not terminated", 8, false, NULL},
	[19] = {"EFI 32-bit image handle", 8, false, NULL},
	[20] = {"EFI 64-bit image handle", 8, false, NULL},
	[21] = {"image load base address", 8, false, NULL},
};

static const struct mb2_tag_kind mb2_unknown_kind = {"unknown", 8, false, NULL};

static const struct mb2_tag_kind *mb2_kind(u32 type)
{
	return type < ARRAY_SIZE(mb2_kinds) ? &mb2_kinds[type]
					    : &mb2_unknown_kind;
}

/* Loader fields sit at their natural alignment only if the loader put the
 * structure where the spec says; copying keeps a bad one from being UB. */
static u32 rd32(const u8 *p)
{
	u32 v;

	__builtin_memcpy(&v, p, sizeof(v));
	return v;
}

static u64 rd64(const u8 *p)
{
	u64 v;

	__builtin_memcpy(&v, p, sizeof(v));
	return v;
}

/* Append the formatted reason after the n-byte prefix already in msg. */
static int mb2_verror(struct mb2_parser *p, int n, const char *fmt, va_list ap)
{
	if (n >= 0 && (size_t)n < sizeof(p->err->msg))
		kvsnprintf(p->err->msg + n, sizeof(p->err->msg) - (size_t)n,
			   fmt, ap);
	return -EINVAL;
}

/* An error about the structure as a whole. Returns -EINVAL. */
__printf(2, 3) static int mb2_error(struct mb2_parser *p, const char *fmt, ...)
{
	int n = ksnprintf(p->err->msg, sizeof(p->err->msg),
			  "multiboot2 information at 0x%lx: ", p->info_pa);
	va_list ap;

	va_start(ap, fmt);
	mb2_verror(p, n, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* An error in one tag: "multiboot2 tag 6 (memory map) at offset 0x48: ..."
 * Returns -EINVAL. */
__printf(3, 4) static int mb2_tag_error(struct mb2_parser *p,
					const struct mb2_tag *t,
					const char *fmt, ...)
{
	int n = ksnprintf(p->err->msg, sizeof(p->err->msg),
			  "multiboot2 tag %u (%s) at offset 0x%x: ", t->type,
			  mb2_kind(t->type)->name, t->offset);
	va_list ap;

	va_start(ap, fmt);
	mb2_verror(p, n, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/*
 * Copy the NUL-terminated string that starts at byte `at` of the tag's
 * data into the string pool; it must end inside the tag.
 */
static int mb2_string(struct mb2_parser *p, const struct mb2_tag *t, u32 at,
		      const char **dst)
{
	struct boot_info *bi = p->out;
	const char *s = (const char *)t->data + at;
	u32 max = t->data_len - at;
	u32 len = (u32)strnlen(s, max);

	if (len == max)
		return mb2_tag_error(p, t,
				     "string is not NUL-terminated "
				     "inside the tag");
	if (len + 1 > BOOT_STRPOOL - bi->strpool_used)
		return mb2_tag_error(p, t,
				     "%u-byte string does not fit in the "
				     "string pool (%u of %d bytes used)",
				     len + 1, bi->strpool_used, BOOT_STRPOOL);
	*dst = &bi->strpool[bi->strpool_used];
	memcpy(&bi->strpool[bi->strpool_used], s, len + 1);
	bi->strpool_used += len + 1;
	return 0;
}

/* Type 1: u8 string[] */
static int mb2_cmdline(struct mb2_parser *p, const struct mb2_tag *t)
{
	return mb2_string(p, t, 0, &p->out->cmdline);
}

/* Type 2: u8 string[] */
static int mb2_loader_name(struct mb2_parser *p, const struct mb2_tag *t)
{
	return mb2_string(p, t, 0, &p->out->loader_name);
}

/* Type 3: u32 mod_start, u32 mod_end (one past the last byte), u8 string[] */
static int mb2_module(struct mb2_parser *p, const struct mb2_tag *t)
{
	struct boot_info *bi = p->out;
	struct boot_module *m;
	u32 start = rd32(t->data + MB2_MOD_OFF_START);
	u32 end = rd32(t->data + MB2_MOD_OFF_END);

	if (bi->nmodules == BOOT_MAX_MODULES)
		return mb2_tag_error(p, t, "more than %d modules",
				     BOOT_MAX_MODULES);
	if (start > end)
		return mb2_tag_error(p, t,
				     "mod_start 0x%x is above mod_end 0x%x",
				     start, end);
	m = &bi->modules[bi->nmodules];
	m->start = start;
	m->end = end;
	if (mb2_string(p, t, MB2_MOD_OFF_STRING, &m->cmdline))
		return -EINVAL;
	bi->nmodules++;
	return 0;
}

/* Type 4: u32 mem_lower, u32 mem_upper (KiB below 1 MiB, KiB above it) */
static int mb2_basic_meminfo(struct mb2_parser *p, const struct mb2_tag *t)
{
	p->out->has_basic_meminfo = true;
	p->out->mem_lower_kib = rd32(t->data);
	p->out->mem_upper_kib = rd32(t->data + 4);
	return 0;
}

/* One memory map entry: u64 base_addr, u64 length, u32 type, u32 reserved */
static int mb2_mmap_entry(struct mb2_parser *p, const struct mb2_tag *t, u32 i,
			  const u8 *e)
{
	struct mem_range *r = &p->out->mmap[i];
	u64 base = rd64(e + MB2_MMAP_E_BASE);
	u64 len = rd64(e + MB2_MMAP_E_LENGTH);

	/* A range may end exactly at 2^64, never wrap past it. */
	if (len && base + (len - 1) < base)
		return mb2_tag_error(p, t,
				     "entry %u: base 0x%lx + length 0x%lx "
				     "wraps past 2^64",
				     i, base, len);
	r->base = base;
	r->len = len;
	r->type = rd32(e + MB2_MMAP_E_TYPE);
	return 0;
}

/* Type 6: u32 entry_size, u32 entry_version, entries[] */
static int mb2_mmap(struct mb2_parser *p, const struct mb2_tag *t)
{
	u32 entry_size = rd32(t->data);
	u32 bytes = t->data_len - MB2_MMAP_OFF_ENTRIES;
	u32 n;

	if (entry_size % 8)
		return mb2_tag_error(p, t,
				     "entry_size %u is not a multiple of 8",
				     entry_size);
	if (entry_size < MB2_MMAP_ENTRY_MIN)
		return mb2_tag_error(p, t, "entry_size %u is below %d",
				     entry_size, MB2_MMAP_ENTRY_MIN);
	if (bytes % entry_size)
		return mb2_tag_error(p, t,
				     "%u bytes of entries are not a multiple "
				     "of entry_size %u",
				     bytes, entry_size);
	n = bytes / entry_size;
	if (n > BOOT_MAX_MMAP)
		return mb2_tag_error(p, t, "%u entries, more than %d", n,
				     BOOT_MAX_MMAP);
	for (u32 i = 0; i < n; i++) {
		if (mb2_mmap_entry(p, t, i,
				   t->data + MB2_MMAP_OFF_ENTRIES +
					   i * entry_size))
			return -EINVAL;
	}
	p->out->nmmap = n;
	return 0;
}

/*
 * Types 14 and 15: a copy of the RSDP. GRUB passes both when the firmware
 * has an XSDP; the XSDP wins whichever comes first, because only it can
 * point at the 64-bit XSDT.
 */
static int mb2_acpi_old(struct mb2_parser *p, const struct mb2_tag *t)
{
	if (p->out->rsdp_len == RSDP_V2_SIZE)
		return 0;
	memcpy(p->out->rsdp, t->data, RSDP_V1_SIZE);
	p->out->rsdp_len = RSDP_V1_SIZE;
	return 0;
}

static int mb2_acpi_new(struct mb2_parser *p, const struct mb2_tag *t)
{
	memcpy(p->out->rsdp, t->data, RSDP_V2_SIZE);
	p->out->rsdp_len = RSDP_V2_SIZE;
	return 0;
}

/* Read the tag header at offset and check that the tag fits. */
static int mb2_tag_at(struct mb2_parser *p, u32 offset, struct mb2_tag *t)
{
	const u8 *h = p->info + offset;

	t->type = rd32(h);
	t->size = rd32(h + 4);
	t->offset = offset;
	t->data = h + MB2_TAG_HEADER_SIZE;
	t->data_len = 0;
	if (t->size < mb2_kind(t->type)->min_size)
		return mb2_tag_error(p, t,
				     "size %u is below the %u bytes "
				     "this tag needs",
				     t->size, mb2_kind(t->type)->min_size);
	if (t->size > p->total_size - offset)
		return mb2_tag_error(p, t, "size %u runs past total_size %u",
				     t->size, p->total_size);
	t->data_len = t->size - MB2_TAG_HEADER_SIZE;
	return 0;
}

static int mb2_dispatch(struct mb2_parser *p, const struct mb2_tag *t)
{
	const struct mb2_tag_kind *k = mb2_kind(t->type);

	if (k->once) {
		if (p->seen & BIT(t->type))
			return mb2_tag_error(p, t, "appears twice");
		p->seen |= (u32)BIT(t->type);
	}
	return k->parse ? k->parse(p, t) : 0;
}

/* Walk the tags up to the end tag; bytes after it are not looked at. */
static int mb2_walk(struct mb2_parser *p)
{
	u32 offset = MB2_HEADER_SIZE;
	struct mb2_tag t;

	/* total_size and every offset are multiples of 8, so a tag header
	 * that starts inside the structure ends inside it too. */
	while (offset < p->total_size) {
		if (mb2_tag_at(p, offset, &t))
			return -EINVAL;
		if (t.type == MB2_TAG_END) {
			if (t.size != MB2_TAG_HEADER_SIZE)
				return mb2_tag_error(p, &t, "size %u is not 8",
						     t.size);
			return 0;
		}
		if (mb2_dispatch(p, &t))
			return -EINVAL;
		/* size <= total_size - offset <= 1 MiB: cannot overflow. */
		offset += (u32)ALIGN_UP(t.size, MB2_TAG_ALIGN);
	}
	return mb2_error(p, "no end tag (type 0) within total_size %u",
			 p->total_size);
}

/* Map the fixed header, check total_size, then map the whole structure. */
static int mb2_map_info(struct mb2_parser *p, phys_map_fn map, void *ctx)
{
	const u8 *hdr;
	u32 total;

	if (!IS_ALIGNED(p->info_pa, MB2_TAG_ALIGN))
		return mb2_error(p, "not 8-byte aligned");
	hdr = map(p->info_pa, MB2_HEADER_SIZE, ctx);
	if (!hdr)
		return mb2_error(p, "cannot map its header");
	total = rd32(hdr);
	if (total < MB2_MIN_TOTAL)
		return mb2_error(p, "total_size %u is below %u", total,
				 MB2_MIN_TOTAL);
	if (total > MB2_MAX_TOTAL)
		return mb2_error(p, "total_size %u is above 1 MiB", total);
	if (total % MB2_TAG_ALIGN)
		return mb2_error(p, "total_size %u is not a multiple of 8",
				 total);
	if (p->info_pa > UINT64_MAX - total)
		return mb2_error(p, "total_size %u wraps past 2^64", total);
	p->info = map(p->info_pa, total, ctx);
	if (!p->info)
		return mb2_error(p, "cannot map its %u bytes", total);
	p->total_size = total;
	return 0;
}

int mb2_parse(u64 info_pa, phys_map_fn map, void *ctx, struct boot_info *out,
	      struct boot_error *err)
{
	struct mb2_parser p = {
		.info_pa = info_pa,
		.out = out,
		.err = err,
	};
	int rc;

	memset(out, 0, sizeof(*out));
	out->loader = "multiboot2";
	out->loader_name = "";
	out->cmdline = "";
	err->msg[0] = '\0';

	rc = mb2_map_info(&p, map, ctx);
	if (rc)
		return rc;
	out->info_start = info_pa;
	out->info_end = info_pa + p.total_size;
	return mb2_walk(&p);
}
