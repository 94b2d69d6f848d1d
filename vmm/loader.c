// SPDX-License-Identifier: MIT
/*
 * Guest image headers: finding and checking the multiboot2 or multiboot1
 * header, then reading where the image goes, either from the multiboot
 * address fields (the "a.out kludge", here) or from the ELF program
 * headers (vmm/loader_segments.c, which also checks every segment); or,
 * failing both, a Linux bzImage (vmm/loader_linux.c). The result is a
 * list of segments for vmm/partition_create.c to copy and an entry
 * point; vmm/bootinfo_build.c then plans the rest of guest RAM.
 *
 * The image comes from whoever wrote the GRUB configuration, so it is not
 * trusted: every field is checked against the bytes that hold it, every
 * sum of fields is checked for overflow, and every refusal is one message
 * naming the field and its value. A bad image fails its partition only.
 *
 * Context: boot CPU, while partitions are created (and host unit tests).
 * Pure: reads the image, writes the caller's structures, no allocation.
 */
#include "types.h"
#include "errno.h"
#include "kstring.h"
#include "format.h"
#include "loader.h"
#include "loader_internal.h"

/*
 * Multiboot2 header (Multiboot2 specification, section 3.1), 8-byte
 * aligned and wholly inside the first 32768 bytes of the image:
 *
 *	 0  u32 magic		0xE85250D6
 *	 4  u32 architecture	0 = i386 32-bit protected mode
 *	 8  u32 header_length	bytes, tags included
 *	12  u32 checksum	magic + architecture + header_length +
 *				checksum == 0 (mod 2^32)
 *	16  tags, each at an 8-byte aligned offset:
 *		u16 type
 *		u16 flags	bit 0: optional (the loader may ignore it)
 *		u32 size	bytes, this tag header included
 *	    ending with type 0, size 8
 */
#define MB2_HEADER_MAGIC 0xe85250d6u
#define MB2_SEARCH_BYTES 32768
#define MB2_HEADER_ALIGN 8
#define MB2_HEADER_SIZE	 16
#define MB2_ARCH_I386	 0
#define MB2_TAG_SIZE	 8
#define MB2_TAG_OPTIONAL BIT(0)
#define MB2_MIN_HEADER	 (MB2_HEADER_SIZE + MB2_TAG_SIZE)
#define MB2_OFF_ARCH	 4
#define MB2_OFF_LENGTH	 8

/*
 * Multiboot1 header (Multiboot 0.6.96, section 3.1), 4-byte aligned and
 * wholly inside the first 8192 bytes:
 *
 *	 0  u32 magic		0x1BADB002
 *	 4  u32 flags
 *	 8  u32 checksum	magic + flags + checksum == 0 (mod 2^32)
 *	12  u32 header_addr, load_addr, load_end_addr, bss_end_addr,
 *	    entry_addr				(flags bit 16)
 *	32  u32 mode_type, width, height, depth	(flags bit 2)
 *
 * Bits 0-15 are requirements: a loader that does not understand one must
 * refuse the image. Bits 16-31 are optional features.
 */
#define MB1_HEADER_MAGIC    0x1badb002u
#define MB1_SEARCH_BYTES    8192
#define MB1_HEADER_ALIGN    4
#define MB1_HEADER_SIZE	    12
#define MB1_ADDR_END	    32 /* end of the address fields */
#define MB1_OFF_FLAGS	    4
#define MB1_OFF_HEADER_ADDR 12
#define MB1_FLAG_ALIGN_MODS BIT(0) /* page-align modules */
#define MB1_FLAG_MEMINFO    BIT(1) /* always given */
#define MB1_FLAG_VIDEO	    BIT(2) /* a preference; text mode it is */
#define MB1_FLAG_ADDRESS    BIT(16)
#define MB1_FLAGS_REQUIRED  0xffffu /* bits 0-15 */
#define MB1_FLAGS_KNOWN \
	(MB1_FLAG_ALIGN_MODS | MB1_FLAG_MEMINFO | MB1_FLAG_VIDEO)

/* The a.out-kludge fields, from the mb2 address and entry tags or the
 * mb1 header; u32 on both, so their sums are done in u64. */
struct load_addrs {
	const char *what;  /* "multiboot2 address tag", ... */
	u64 header_offset; /* where the header sits in the file */
	u32 header_addr, load_addr, load_end_addr, bss_end_addr;
	u32 entry_addr;
};

/* Fill err->msg. Returns -EINVAL. */
int loader_fail(struct loader *l, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	kvsnprintf(l->err->msg, sizeof(l->err->msg), fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* ---- the a.out kludge -------------------------------------------------- */

/*
 * The multiboot address fields describe the image as one blob: the
 * header, at file offset H, is loaded at header_addr, so the file from
 * offset H - (header_addr - load_addr) goes to load_addr, up to
 * load_end_addr (0: to the end of the file); zeros follow up to
 * bss_end_addr (0: no bss).
 */
static int aout_file_range(struct loader *l, const struct load_addrs *a,
			   u64 *offset, u64 *size)
{
	u64 skip;

	if (a->header_addr < a->load_addr)
		return loader_fail(l,
				   "%s: header_addr 0x%x is below load_addr "
				   "0x%x",
				   a->what, a->header_addr, a->load_addr);
	skip = a->header_addr - a->load_addr;
	if (skip > a->header_offset)
		return loader_fail(l,
				   "%s: header_addr - load_addr is 0x%lx, "
				   "beyond the header's file offset 0x%lx",
				   a->what, skip, a->header_offset);
	*offset = a->header_offset - skip;
	if (a->load_end_addr == 0) {
		*size = l->len - *offset;
		return 0;
	}
	if (a->load_end_addr < a->load_addr)
		return loader_fail(l,
				   "%s: load_end_addr 0x%x is below "
				   "load_addr 0x%x",
				   a->what, a->load_end_addr, a->load_addr);
	*size = a->load_end_addr - a->load_addr;
	if (*size > l->len - *offset)
		return loader_fail(l,
				   "image truncated: load_end_addr 0x%x needs "
				   "file bytes up to 0x%lx, the image has "
				   "0x%lx",
				   a->load_end_addr, *offset + *size, l->len);
	return 0;
}

static int aout_load(struct loader *l, const struct load_addrs *a)
{
	u64 offset = 0, size = 0, mem_size;

	if (aout_file_range(l, a, &offset, &size))
		return -EINVAL;
	mem_size = size;
	if (a->bss_end_addr) {
		if (a->bss_end_addr < a->load_addr + size)
			return loader_fail(l,
					   "%s: bss_end_addr 0x%x is below the "
					   "end of the loaded bytes 0x%lx",
					   a->what, a->bss_end_addr,
					   a->load_addr + size);
		mem_size = a->bss_end_addr - a->load_addr;
	}
	if (mem_size == 0)
		return loader_fail(l, "%s: nothing to load (load_addr 0x%x)",
				   a->what, a->load_addr);
	if (loader_add_segment(l, a->what, offset, size, a->load_addr,
			       mem_size))
		return -EINVAL;
	l->out->entry = a->entry_addr;
	l->entry_from = "entry_addr";
	return 0;
}

/* ---- finding a header -------------------------------------------------- */

struct header_scan {
	bool found; /* a header with a good checksum, at offset */
	u64 offset;
	bool bad_found; /* the first magic with a bad checksum */
	u64 bad_offset;
};

/*
 * Look for magic at every align-th offset of the first `search` bytes,
 * followed by words that sum to 0 with it (words, the magic included,
 * all inside the searched bytes). A magic whose checksum fails is
 * remembered, so that a broken header is reported as such rather than as
 * missing.
 */
static void scan_header(const struct loader *l, u64 search, u32 magic,
			u32 align, u32 words, struct header_scan *s)
{
	u64 limit = MIN(l->len, search);

	memset(s, 0, sizeof(*s));
	for (u64 off = 0; off + words * 4 <= limit; off += align) {
		u32 sum = 0;

		if (rd32(l->image + off) != magic)
			continue;
		for (u32 i = 0; i < words; i++)
			sum += rd32(l->image + off + i * 4);
		if (sum == 0) {
			s->found = true;
			s->offset = off;
			return;
		}
		if (!s->bad_found) {
			s->bad_found = true;
			s->bad_offset = off;
		}
	}
}

/* The checksum error for a magic found at offset with words words. */
static int bad_checksum(struct loader *l, const char *which, u64 offset,
			u32 words)
{
	const u8 *h = l->image + offset;
	u32 sum = 0, checksum = rd32(h + (words - 1) * 4);

	for (u32 i = 0; i + 1 < words; i++)
		sum += rd32(h + i * 4);
	return loader_fail(l,
			   "%s header at offset 0x%lx: checksum 0x%x is wrong, "
			   "should be 0x%x",
			   which, offset, checksum, -sum);
}

/* ---- multiboot2 -------------------------------------------------------- */

struct mb2_header {
	u64 offset; /* of the header in the file */
	u64 end;    /* offset + header_length */
	bool has_address, has_entry;
	struct load_addrs addrs;
};

struct mb2_htag {
	u16 type;
	u16 flags;
	u32 size;
	u64 offset;	/* in the file */
	const u8 *data; /* after the tag header */
};

/* Tag types Shade gives in the boot information (bootinfo_build.c). */
#define MB2_PROVIDED	  (BIT(1) | BIT(2) | BIT(3) | BIT(4) | BIT(6))
#define MB2_PROVIDED_LIST "1, 2, 3, 4, 6"

typedef int (*mb2_htag_fn)(struct loader *l, struct mb2_header *h,
			   const struct mb2_htag *t);

static int mb2_info_request(struct loader *l, struct mb2_header *h,
			    const struct mb2_htag *t);
static int mb2_address(struct loader *l, struct mb2_header *h,
		       const struct mb2_htag *t);
static int mb2_entry(struct loader *l, struct mb2_header *h,
		     const struct mb2_htag *t);
static int mb2_module_align(struct loader *l, struct mb2_header *h,
			    const struct mb2_htag *t);
static int mb2_unsupported(struct loader *l, struct mb2_header *h,
			   const struct mb2_htag *t);

/*
 * Header tag types (section 3.1.3 onwards). min_size is the fixed part;
 * a NULL parse function means the tag needs nothing from Shade (console
 * flags: there is no console to choose; relocatable: the image is loaded
 * at its preferred address, which the tag allows).
 */
static const struct mb2_htag_kind {
	const char *name;
	u32 min_size;
	mb2_htag_fn parse;
} mb2_htag_kinds[] = {
	[0] = {"end", 8, NULL},
	[1] = {"information request", 8, mb2_info_request},
	[2] = {"address", 24, mb2_address},
	[3] = {"entry address", 12, mb2_entry},
	[4] = {"console flags", 12, NULL},
	[5] = {"framebuffer", 20, mb2_unsupported},
	[6] = {"module alignment", 8, mb2_module_align},
	[7] = {"EFI boot services", 8, mb2_unsupported},
	[8] = {"EFI i386 entry address", 12, mb2_unsupported},
	[9] = {"EFI amd64 entry address", 12, mb2_unsupported},
	[10] = {"relocatable", 24, NULL},
};

static const struct mb2_htag_kind mb2_unknown_htag = {"unknown", 8,
						      mb2_unsupported};

static const struct mb2_htag_kind *mb2_htag_kind(u32 type)
{
	return type < ARRAY_SIZE(mb2_htag_kinds) ? &mb2_htag_kinds[type]
						 : &mb2_unknown_htag;
}

/* "multiboot2 header tag 5 (framebuffer) at offset 0x30: <reason>" */
__printf(3, 4) static int mb2_tag_error(struct loader *l,
					const struct mb2_htag *t,
					const char *fmt, ...)
{
	struct loader_error *err = l->err;
	int n = ksnprintf(err->msg, sizeof(err->msg),
			  "multiboot2 header tag %u (%s) at offset 0x%lx: ",
			  t->type, mb2_htag_kind(t->type)->name, t->offset);
	va_list ap;

	va_start(ap, fmt);
	if (n >= 0 && (size_t)n < sizeof(err->msg))
		kvsnprintf(err->msg + n, sizeof(err->msg) - (size_t)n, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* Type 1: u32 mbi_tag_types[] -- the boot information tags the image
 * needs; with the optional flag, ones Shade lacks may be left out. */
static int mb2_info_request(struct loader *l, struct mb2_header *h,
			    const struct mb2_htag *t)
{
	u32 n = (t->size - MB2_TAG_SIZE) / 4;

	(void)h;
	if ((t->size - MB2_TAG_SIZE) % 4)
		return mb2_tag_error(l, t, "size %u is not 8 + 4 * n", t->size);
	for (u32 i = 0; i < n; i++) {
		u32 type = rd32(t->data + i * 4);

		if (type < 64 && (MB2_PROVIDED & BIT(type)))
			continue;
		if (!(t->flags & MB2_TAG_OPTIONAL))
			return mb2_tag_error(
				l, t,
				"asks for information tag type "
				"%u; Shade gives only " MB2_PROVIDED_LIST,
				type);
	}
	return 0;
}

/* Type 2: u32 header_addr, load_addr, load_end_addr, bss_end_addr */
static int mb2_address(struct loader *l, struct mb2_header *h,
		       const struct mb2_htag *t)
{
	(void)l;
	h->has_address = true;
	h->addrs.header_addr = rd32(t->data);
	h->addrs.load_addr = rd32(t->data + 4);
	h->addrs.load_end_addr = rd32(t->data + 8);
	h->addrs.bss_end_addr = rd32(t->data + 12);
	return 0;
}

/* Type 3: u32 entry_addr */
static int mb2_entry(struct loader *l, struct mb2_header *h,
		     const struct mb2_htag *t)
{
	(void)l;
	h->has_entry = true;
	h->addrs.entry_addr = rd32(t->data);
	return 0;
}

/* Type 6: no data; modules must be page aligned (they always are). */
static int mb2_module_align(struct loader *l, struct mb2_header *h,
			    const struct mb2_htag *t)
{
	(void)h;
	(void)t;
	l->out->align_modules = true;
	return 0;
}

/* Framebuffer, EFI, unknown: Shade cannot honour them; fine if optional. */
static int mb2_unsupported(struct loader *l, struct mb2_header *h,
			   const struct mb2_htag *t)
{
	(void)h;
	if (t->flags & MB2_TAG_OPTIONAL)
		return 0;
	return mb2_tag_error(l, t,
			     "required (flags 0x%x), but Shade does not "
			     "support it",
			     t->flags);
}

/* Read the tag header at off and check that the tag fits the header. */
static int mb2_htag_at(struct loader *l, const struct mb2_header *h, u64 off,
		       struct mb2_htag *t)
{
	const u8 *p = l->image + off;

	if (h->end - off < MB2_TAG_SIZE)
		return loader_fail(l,
				   "multiboot2 header: the tag at offset 0x%lx "
				   "runs past header_length %lu",
				   off, h->end - h->offset);
	t->type = rd16(p);
	t->flags = rd16(p + 2);
	t->size = rd32(p + 4);
	t->offset = off;
	t->data = p + MB2_TAG_SIZE;
	if (t->size < mb2_htag_kind(t->type)->min_size)
		return mb2_tag_error(l, t, "size %u is below %u", t->size,
				     mb2_htag_kind(t->type)->min_size);
	if (t->size > h->end - off)
		return mb2_tag_error(l, t,
				     "size %u runs past header_length %lu",
				     t->size, h->end - h->offset);
	return 0;
}

/* Walk the tags up to the end tag. */
static int mb2_tags(struct loader *l, struct mb2_header *h)
{
	u64 off = h->offset + MB2_HEADER_SIZE;
	struct mb2_htag t;

	while (off < h->end) {
		const struct mb2_htag_kind *k;

		if (mb2_htag_at(l, h, off, &t))
			return -EINVAL;
		if (t.type == 0)
			return t.size == MB2_TAG_SIZE
				       ? 0
				       : mb2_tag_error(l, &t,
						       "size %u is not 8",
						       t.size);
		k = mb2_htag_kind(t.type);
		if (k->parse && k->parse(l, h, &t))
			return -EINVAL;
		/* size <= end - off <= 32 KiB: no overflow. */
		off += ALIGN_UP(t.size, MB2_TAG_SIZE);
	}
	return loader_fail(l,
			   "multiboot2 header: no end tag (type 0) within "
			   "header_length %lu",
			   h->end - h->offset);
}

/* The fixed fields: architecture, header_length. */
static int mb2_fixed(struct loader *l, struct mb2_header *h)
{
	const u8 *p = l->image + h->offset;
	u32 arch = rd32(p + MB2_OFF_ARCH), length = rd32(p + MB2_OFF_LENGTH);
	u64 room = MIN(l->len, MB2_SEARCH_BYTES) - h->offset;

	if (arch != MB2_ARCH_I386)
		return loader_fail(l,
				   "multiboot2 header: architecture %u is not "
				   "0 (i386 protected mode)",
				   arch);
	if (length < MB2_MIN_HEADER)
		return loader_fail(l,
				   "multiboot2 header: header_length %u is "
				   "below %d",
				   length, MB2_MIN_HEADER);
	if (length > room)
		return loader_fail(l,
				   "multiboot2 header: header_length %u runs "
				   "past %s",
				   length,
				   l->len < MB2_SEARCH_BYTES
					   ? "the end of the image"
					   : "the first 32 KiB");
	h->end = h->offset + length;
	return 0;
}

static int mb2_load(struct loader *l, u64 offset)
{
	struct mb2_header h = {.offset = offset};

	l->out->format = GUEST_FORMAT_MULTIBOOT2;
	h.addrs.what = "multiboot2 address tag";
	h.addrs.header_offset = offset;
	if (mb2_fixed(l, &h) || mb2_tags(l, &h))
		return -EINVAL;
	if (h.has_address && !h.has_entry)
		return loader_fail(l, "multiboot2 header: an address tag needs "
				      "an entry address tag (type 3)");
	if (h.has_address)
		return aout_load(l, &h.addrs);
	if (elf_load(l, "the multiboot2 header"))
		return -EINVAL;
	if (h.has_entry) {
		l->out->entry = h.addrs.entry_addr;
		l->entry_from = "entry address tag";
	}
	return 0;
}

/* ---- multiboot1 -------------------------------------------------------- */

static void mb1_address_fields(struct loader *l, u64 offset,
			       struct load_addrs *a)
{
	const u8 *p = l->image + offset + MB1_OFF_HEADER_ADDR;

	a->what = "multiboot1 address fields";
	a->header_offset = offset;
	a->header_addr = rd32(p);
	a->load_addr = rd32(p + 4);
	a->load_end_addr = rd32(p + 8);
	a->bss_end_addr = rd32(p + 12);
	a->entry_addr = rd32(p + 16);
}

static int mb1_load(struct loader *l, u64 offset)
{
	u32 flags = rd32(l->image + offset + MB1_OFF_FLAGS);
	u32 unknown = flags & MB1_FLAGS_REQUIRED & ~MB1_FLAGS_KNOWN;
	struct load_addrs a;

	l->out->format = GUEST_FORMAT_MULTIBOOT1;
	if (unknown)
		return loader_fail(l,
				   "multiboot1 header: flags 0x%x require bits "
				   "0x%x, which Shade does not know",
				   flags, unknown);
	l->out->align_modules = flags & MB1_FLAG_ALIGN_MODS;
	if (!(flags & MB1_FLAG_ADDRESS))
		return elf_load(l, "the multiboot1 header");
	if (offset + MB1_ADDR_END > MIN(l->len, MB1_SEARCH_BYTES))
		return loader_fail(l,
				   "multiboot1 header: the address fields "
				   "(flags bit 16) run past %s",
				   l->len < MB1_SEARCH_BYTES
					   ? "the end of the image"
					   : "the first 8 KiB");
	mb1_address_fields(l, offset, &a);
	return aout_load(l, &a);
}

/* ---- choosing the format ----------------------------------------------- */

static int load_mb2_only(struct loader *l)
{
	struct header_scan s;

	scan_header(l, MB2_SEARCH_BYTES, MB2_HEADER_MAGIC, MB2_HEADER_ALIGN,
		    MB2_HEADER_SIZE / 4, &s);
	if (s.found)
		return mb2_load(l, s.offset);
	if (s.bad_found)
		return bad_checksum(l, "multiboot2", s.bad_offset,
				    MB2_HEADER_SIZE / 4);
	return loader_fail(l, "format=multiboot2: no multiboot2 header "
			      "(8-byte aligned) in the first 32 KiB");
}

static int load_mb1_only(struct loader *l)
{
	struct header_scan s;

	scan_header(l, MB1_SEARCH_BYTES, MB1_HEADER_MAGIC, MB1_HEADER_ALIGN,
		    MB1_HEADER_SIZE / 4, &s);
	if (s.found)
		return mb1_load(l, s.offset);
	if (s.bad_found)
		return bad_checksum(l, "multiboot1", s.bad_offset,
				    MB1_HEADER_SIZE / 4);
	return loader_fail(l, "format=multiboot1: no multiboot1 header "
			      "(4-byte aligned) in the first 8 KiB");
}

/* format=auto: multiboot2, else multiboot1, else say what it is. */
static int load_auto(struct loader *l)
{
	struct header_scan s2, s1;

	scan_header(l, MB2_SEARCH_BYTES, MB2_HEADER_MAGIC, MB2_HEADER_ALIGN,
		    MB2_HEADER_SIZE / 4, &s2);
	if (s2.found)
		return mb2_load(l, s2.offset);
	scan_header(l, MB1_SEARCH_BYTES, MB1_HEADER_MAGIC, MB1_HEADER_ALIGN,
		    MB1_HEADER_SIZE / 4, &s1);
	if (s1.found)
		return mb1_load(l, s1.offset);
	if (s2.bad_found)
		return bad_checksum(l, "multiboot2", s2.bad_offset,
				    MB2_HEADER_SIZE / 4);
	if (s1.bad_found)
		return bad_checksum(l, "multiboot1", s1.bad_offset,
				    MB1_HEADER_SIZE / 4);
	if (linux_is_bzimage(l->image, l->len))
		return linux_load(l);
	return loader_fail(l, "no multiboot2 header in the first 32 KiB and no "
			      "multiboot1 header in the first 8 KiB");
}

int loader_parse(const u8 *image, u64 len, enum guest_format fmt, u64 ram_bytes,
		 struct guest_image *out, struct loader_error *err)
{
	struct loader l = {
		.image = image,
		.len = image ? len : 0,
		.ram_bytes = ram_bytes,
		.out = out,
		.err = err,
	};
	int rc;

	memset(out, 0, sizeof(*out));
	err->msg[0] = '\0';
	switch (fmt) {
	case GUEST_FORMAT_MULTIBOOT2:
		rc = load_mb2_only(&l);
		break;
	case GUEST_FORMAT_MULTIBOOT1:
		rc = load_mb1_only(&l);
		break;
	case GUEST_FORMAT_LINUX:
		rc = linux_load(&l);
		break;
	default:
		rc = load_auto(&l);
		break;
	}
	return rc ? rc : loader_check_entry(&l);
}
