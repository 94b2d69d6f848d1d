// SPDX-License-Identifier: MIT
/*
 * Multiboot 0.6.96 boot information (qemu -kernel, older loaders) turned
 * into a struct boot_info, with the same distrust as boot/mb2.c: every
 * pointer the loader gives is mapped through the caller's phys_map_fn
 * before a byte behind it is read, and every size is checked against the
 * bytes that hold it. A bad field is refused with a message naming it.
 *
 * Context: boot CPU, before the heap and the frame allocator exist (and
 * host unit tests).
 */
#include "types.h"
#include "errno.h"
#include "kstring.h"
#include "format.h"
#include "bootinfo.h"

/*
 * The information structure (Multiboot 0.6.96, section 3.3); a field is
 * valid only when its flags bit is set:
 *
 *	 0  u32 flags
 *	 4  u32 mem_lower, mem_upper	bit 0: KiB below 1 MiB, KiB above it
 *	12  u32 boot_device		bit 1
 *	16  u32 cmdline			bit 2: address of a C string
 *	20  u32 mods_count, mods_addr	bit 3
 *	28  u32 syms[4]			bit 4 or 5
 *	44  u32 mmap_length, mmap_addr	bit 6
 *	52  u32 drives_length, addr	bit 7
 *	60  u32 config_table		bit 8
 *	64  u32 boot_loader_name	bit 9: address of a C string
 *	68  u32 apm_table		bit 10
 *	72  VBE fields, 16 bytes	bit 11
 *	88  end
 */
#define MB1_INFO_SIZE	    88
#define MB1_OFF_FLAGS	    0
#define MB1_OFF_MEM_LOWER   4
#define MB1_OFF_MEM_UPPER   8
#define MB1_OFF_CMDLINE	    16
#define MB1_OFF_MODS_COUNT  20
#define MB1_OFF_MODS_ADDR   24
#define MB1_OFF_MMAP_LENGTH 44
#define MB1_OFF_MMAP_ADDR   48
#define MB1_OFF_LOADER_NAME 64

#define MB1_FLAG_MEM	     BIT(0)
#define MB1_FLAG_CMDLINE     BIT(2)
#define MB1_FLAG_MODS	     BIT(3)
#define MB1_FLAG_MMAP	     BIT(6)
#define MB1_FLAG_LOADER_NAME BIT(9)

/* Module entry: u32 mod_start, mod_end (one past the last byte), string
 * (address of a C string, 0 for none), reserved. */
#define MB1_MOD_SIZE	   16
#define MB1_MOD_OFF_START  0
#define MB1_MOD_OFF_END	   4
#define MB1_MOD_OFF_STRING 8

/* Memory map entry: u32 size (bytes after this field), u64 base_addr,
 * u64 length, u32 type. The entries are packed, so the u64s are not
 * aligned. */
#define MB1_MMAP_SIZE_FIELD 4
#define MB1_MMAP_OFF_BASE   4
#define MB1_MMAP_OFF_LENGTH 12
#define MB1_MMAP_OFF_TYPE   20
#define MB1_MMAP_ENTRY_MIN  20

/* Strings have no length field; one longer than this is garbage. */
#define MB1_MAX_STRING 4096

struct mb1_parser {
	u64 info_pa;
	const u8 *info; /* MB1_INFO_SIZE bytes, mapped */
	phys_map_fn map;
	void *ctx;
	struct boot_info *out;
	struct boot_error *err;
};

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

/* "multiboot1 <what the caller names>: <reason>". Returns -EINVAL. */
__printf(2, 3) static int mb1_error(struct mb1_parser *p, const char *fmt, ...)
{
	int n = ksnprintf(p->err->msg, sizeof(p->err->msg), "multiboot1 ");
	va_list ap;

	va_start(ap, fmt);
	kvsnprintf(p->err->msg + n, sizeof(p->err->msg) - (size_t)n, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/*
 * Copy the C string at pa into the string pool, one mapped byte at a time
 * because nothing says how long it is or where readable memory ends.
 */
static int mb1_string(struct mb1_parser *p, const char *what, u32 pa,
		      const char **dst)
{
	struct boot_info *bi = p->out;
	char *s = &bi->strpool[bi->strpool_used];
	u32 room = BOOT_STRPOOL - bi->strpool_used;

	for (u32 i = 0; i <= MB1_MAX_STRING; i++) {
		const char *c = p->map((u64)pa + i, 1, p->ctx);

		if (!c)
			return mb1_error(p, "%s at 0x%x: cannot read byte %u",
					 what, pa, i);
		if (i == room)
			return mb1_error(p,
					 "%s at 0x%x: no room in the "
					 "%d-byte string pool",
					 what, pa, BOOT_STRPOOL);
		s[i] = *c;
		if (s[i] == '\0') {
			*dst = s;
			bi->strpool_used += i + 1;
			return 0;
		}
	}
	return mb1_error(p, "%s at 0x%x: longer than %d chars", what, pa,
			 MB1_MAX_STRING);
}

/* An empty string in the pool, for a module without one. */
static int mb1_empty_string(struct mb1_parser *p, const char *what,
			    const char **dst)
{
	struct boot_info *bi = p->out;

	if (bi->strpool_used == BOOT_STRPOOL)
		return mb1_error(p, "%s: no room in the %d-byte string pool",
				 what, BOOT_STRPOOL);
	bi->strpool[bi->strpool_used] = '\0';
	*dst = &bi->strpool[bi->strpool_used++];
	return 0;
}

static int mb1_module(struct mb1_parser *p, u32 i, const u8 *e)
{
	struct boot_module *m = &p->out->modules[i];
	u32 start = rd32(e + MB1_MOD_OFF_START);
	u32 end = rd32(e + MB1_MOD_OFF_END);
	u32 string = rd32(e + MB1_MOD_OFF_STRING);
	char what[32];

	if (start > end)
		return mb1_error(p,
				 "module %u: mod_start 0x%x is above "
				 "mod_end 0x%x",
				 i, start, end);
	m->start = start;
	m->end = end;
	ksnprintf(what, sizeof(what), "module %u string", i);
	/* The spec lets string be 0 for a module without one. */
	if (string == 0)
		return mb1_empty_string(p, what, &m->cmdline);
	return mb1_string(p, what, string, &m->cmdline);
}

/* Flags bit 3: mods_count entries of MB1_MOD_SIZE bytes at mods_addr. */
static int mb1_modules(struct mb1_parser *p)
{
	u32 count = rd32(p->info + MB1_OFF_MODS_COUNT);
	u32 addr = rd32(p->info + MB1_OFF_MODS_ADDR);
	const u8 *mods;

	if (count > BOOT_MAX_MODULES)
		return mb1_error(p,
				 "modules (flags bit 3): mods_count %u is "
				 "more than %d",
				 count, BOOT_MAX_MODULES);
	if (count == 0)
		return 0;
	mods = p->map(addr, (u64)count * MB1_MOD_SIZE, p->ctx);
	if (!mods)
		return mb1_error(p,
				 "modules (flags bit 3): cannot map %u "
				 "entries at mods_addr 0x%x",
				 count, addr);
	for (u32 i = 0; i < count; i++) {
		if (mb1_module(p, i, mods + i * MB1_MOD_SIZE))
			return -EINVAL;
		p->out->nmodules = i + 1;
	}
	return 0;
}

/* How errors in the memory map start, followed by the entry's offset. */
#define MB1_MMAP_WHAT "memory map (flags bit 6) entry at offset 0x%x: "

/* Record the range of the entry at byte `at`, whose size is checked. */
static int mb1_mmap_store(struct mb1_parser *p, const u8 *e, u32 at)
{
	struct boot_info *bi = p->out;
	u64 base = rd64(e + MB1_MMAP_OFF_BASE);
	u64 length = rd64(e + MB1_MMAP_OFF_LENGTH);

	if (bi->nmmap == BOOT_MAX_MMAP)
		return mb1_error(p,
				 "memory map (flags bit 6): more than %d "
				 "entries",
				 BOOT_MAX_MMAP);
	/* A range may end exactly at 2^64, never wrap past it. */
	if (length && base + (length - 1) < base)
		return mb1_error(p,
				 MB1_MMAP_WHAT "base 0x%lx + length 0x%lx "
					       "wraps past 2^64",
				 at, base, length);
	bi->mmap[bi->nmmap++] = (struct mem_range){
		.base = base,
		.len = length,
		.type = rd32(e + MB1_MMAP_OFF_TYPE),
	};
	return 0;
}

/* One entry at byte `at` of the map; sets *next to where the next starts. */
static int mb1_mmap_entry(struct mb1_parser *p, const u8 *map, u32 len, u32 at,
			  u32 *next)
{
	u32 size;

	if (len - at < MB1_MMAP_SIZE_FIELD)
		return mb1_error(p,
				 MB1_MMAP_WHAT "size field runs past "
					       "mmap_length %u",
				 at, len);
	size = rd32(map + at);
	if (size < MB1_MMAP_ENTRY_MIN)
		return mb1_error(p, MB1_MMAP_WHAT "size %u is below %d", at,
				 size, MB1_MMAP_ENTRY_MIN);
	if (size > len - at - MB1_MMAP_SIZE_FIELD)
		return mb1_error(p,
				 MB1_MMAP_WHAT "size %u runs past "
					       "mmap_length %u",
				 at, size, len);
	if (mb1_mmap_store(p, map + at, at))
		return -EINVAL;
	*next = at + MB1_MMAP_SIZE_FIELD + size;
	return 0;
}

/* Flags bit 6: mmap_length bytes of entries at mmap_addr. */
static int mb1_mmap(struct mb1_parser *p)
{
	u32 len = rd32(p->info + MB1_OFF_MMAP_LENGTH);
	u32 addr = rd32(p->info + MB1_OFF_MMAP_ADDR);
	const u8 *map;
	u32 at = 0;

	if (len == 0)
		return 0;
	map = p->map(addr, len, p->ctx);
	if (!map)
		return mb1_error(p,
				 "memory map (flags bit 6): cannot map %u "
				 "bytes at mmap_addr 0x%x",
				 len, addr);
	/* at + 4 + size <= len after each entry: the loop cannot wrap. */
	while (at < len) {
		if (mb1_mmap_entry(p, map, len, at, &at))
			return -EINVAL;
	}
	return 0;
}

static int mb1_fields(struct mb1_parser *p)
{
	u32 flags = rd32(p->info + MB1_OFF_FLAGS);
	struct boot_info *bi = p->out;

	if (flags & MB1_FLAG_MEM) {
		bi->has_basic_meminfo = true;
		bi->mem_lower_kib = rd32(p->info + MB1_OFF_MEM_LOWER);
		bi->mem_upper_kib = rd32(p->info + MB1_OFF_MEM_UPPER);
	}
	if ((flags & MB1_FLAG_CMDLINE) &&
	    mb1_string(p, "command line (flags bit 2)",
		       rd32(p->info + MB1_OFF_CMDLINE), &bi->cmdline))
		return -EINVAL;
	if ((flags & MB1_FLAG_MODS) && mb1_modules(p))
		return -EINVAL;
	if ((flags & MB1_FLAG_MMAP) && mb1_mmap(p))
		return -EINVAL;
	if ((flags & MB1_FLAG_LOADER_NAME) &&
	    mb1_string(p, "boot loader name (flags bit 9)",
		       rd32(p->info + MB1_OFF_LOADER_NAME), &bi->loader_name))
		return -EINVAL;
	return 0;
}

int mb1_parse(u64 info_pa, phys_map_fn map, void *ctx, struct boot_info *out,
	      struct boot_error *err)
{
	struct mb1_parser p = {
		.info_pa = info_pa,
		.map = map,
		.ctx = ctx,
		.out = out,
		.err = err,
	};

	memset(out, 0, sizeof(*out));
	out->loader = "multiboot1";
	out->loader_name = "";
	out->cmdline = "";
	err->msg[0] = '\0';

	if (info_pa > UINT64_MAX - MB1_INFO_SIZE)
		return mb1_error(&p, "information at 0x%lx wraps past 2^64",
				 info_pa);
	p.info = map(info_pa, MB1_INFO_SIZE, ctx);
	if (!p.info)
		return mb1_error(&p,
				 "information at 0x%lx: cannot map its %d "
				 "bytes",
				 info_pa, MB1_INFO_SIZE);
	out->info_start = info_pa;
	out->info_end = info_pa + MB1_INFO_SIZE;
	return mb1_fields(&p);
}
