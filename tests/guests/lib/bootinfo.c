// SPDX-License-Identifier: MIT
/*
 * Reading and checking multiboot2 and multiboot1 boot information in the
 * test guests (layouts in bootinfo.h). Runs on vCPU 0 before anything has
 * touched the memory where the boot loader (Shade) put the information.
 */
#include "bootinfo.h"
#include "check.h"
#include "console.h"
#include "str.h"

/* Multiboot2 tag types (spec 2.0, 3.6). */
#define MB2_TAG_END	    0
#define MB2_TAG_CMDLINE	    1
#define MB2_TAG_LOADER	    2
#define MB2_TAG_MODULE	    3
#define MB2_TAG_MEMINFO	    4
#define MB2_TAG_MMAP	    6
#define MB2_TAG_ACPI_OLD    14
#define MB2_TAG_ACPI_NEW    15
#define MB2_INFO_MAX	    (64 * 1024)
#define MB2_TAG_ALIGN	    8
#define MB2_MMAP_ENTRY_SIZE 24

/* Multiboot1 info flags (spec 0.6.96, 3.3). */
#define MB1_INFO_MEMORY	 (1u << 0)
#define MB1_INFO_CMDLINE (1u << 2)
#define MB1_INFO_MODS	 (1u << 3)
#define MB1_INFO_MMAP	 (1u << 6)
#define MB1_INFO_LOADER	 (1u << 9)
#define MB1_INFO_SIZE	 88

/* Contract section 2: the memory map every partition is given. */
#define LOW_RESERVED_START 0x9fc00u
#define LOW_RESERVED_END   0x100000u
#define PAGE_SIZE	   4096u

struct mb2_tag {
	u32 type;
	u32 size;
};

struct mb2_mmap_entry {
	u64 base;
	u64 len;
	u32 type;
	u32 reserved;
};

struct mb1_info {
	u32 flags;
	u32 mem_lower, mem_upper;
	u32 boot_device;
	u32 cmdline;
	u32 mods_count, mods_addr;
	u32 syms[4];
	u32 mmap_length, mmap_addr;
	u32 drives_length, drives_addr;
	u32 config_table;
	u32 boot_loader_name;
};

struct mb1_module {
	u32 start, end, string, reserved;
};

/* Each entry is preceded by its size, not counting the size field. */
struct __attribute__((packed)) mb1_mmap_entry {
	u32 size;
	u64 base;
	u64 len;
	u32 type;
};

static bool add_mmap(struct boot_info *bi, u64 base, u64 len, u32 type)
{
	if (bi->nmmap == BOOT_MAX_MMAP) {
		failf("boot info: more than %u memory map entries",
		      BOOT_MAX_MMAP);
		return false;
	}
	bi->mmap[bi->nmmap].base = base;
	bi->mmap[bi->nmmap].len = len;
	bi->mmap[bi->nmmap].type = type;
	bi->nmmap++;
	bi->has_mmap = true;
	return true;
}

static bool add_module(struct boot_info *bi, u32 start, u32 end,
		       const char *string)
{
	if (bi->nmods == BOOT_MAX_MODS) {
		failf("boot info: more than %u modules", BOOT_MAX_MODS);
		return false;
	}
	bi->mods[bi->nmods].start = start;
	bi->mods[bi->nmods].end = end;
	bi->mods[bi->nmods].string = string;
	bi->nmods++;
	return true;
}

static bool mb2_mmap(const struct mb2_tag *t, struct boot_info *bi)
{
	const u32 *hdr = (const u32 *)(t + 1); /* entry_size, entry_version */
	const u8 *p = (const u8 *)(hdr + 2), *end = (const u8 *)t + t->size;
	const struct mb2_mmap_entry *e;

	if (t->size < 16 || hdr[0] != MB2_MMAP_ENTRY_SIZE) {
		failf("boot info: memory map tag size %u, entry size %u",
		      t->size, t->size >= 16 ? hdr[0] : 0);
		return false;
	}
	for (; p + MB2_MMAP_ENTRY_SIZE <= end; p += MB2_MMAP_ENTRY_SIZE) {
		e = (const struct mb2_mmap_entry *)p;
		if (!add_mmap(bi, e->base, e->len, e->type))
			return false;
	}
	return true;
}

static bool mb2_tag(const struct mb2_tag *t, struct boot_info *bi)
{
	const u32 *w = (const u32 *)(t + 1);

	switch (t->type) {
	case MB2_TAG_CMDLINE:
		bi->cmdline = (const char *)w;
		return true;
	case MB2_TAG_LOADER:
		bi->loader_name = (const char *)w;
		return true;
	case MB2_TAG_MODULE:
		return add_module(bi, w[0], w[1], (const char *)(w + 2));
	case MB2_TAG_MEMINFO:
		bi->has_meminfo = true;
		bi->mem_lower = w[0];
		bi->mem_upper = w[1];
		return true;
	case MB2_TAG_MMAP:
		return mb2_mmap(t, bi);
	case MB2_TAG_ACPI_OLD:
		bi->acpi_old = (const u8 *)w;
		bi->acpi_old_len = t->size - sizeof(*t);
		return true;
	case MB2_TAG_ACPI_NEW:
		bi->acpi_new = (const u8 *)w;
		bi->acpi_new_len = t->size - sizeof(*t);
		return true;
	default: /* tags a test does not look at */
		return true;
	}
}

static bool mb2_parse(u32 info, struct boot_info *bi)
{
	u32 total = *(const u32 *)info, off = 8;
	const struct mb2_tag *t;

	bi->info_size = total;
	if (total < 16 || total > MB2_INFO_MAX) {
		failf("boot info: multiboot2 total_size %u", total);
		return false;
	}
	while (off + sizeof(*t) <= total) {
		t = (const struct mb2_tag *)(info + off);
		if (t->size < sizeof(*t) || t->size > total - off) {
			failf("boot info: tag type %u at +%u has size %u",
			      t->type, off, t->size);
			return false;
		}
		if (t->type == MB2_TAG_END)
			return true;
		if (!mb2_tag(t, bi))
			return false;
		off += (t->size + MB2_TAG_ALIGN - 1) & ~(MB2_TAG_ALIGN - 1);
	}
	failf("boot info: no end tag within total_size %u", total);
	return false;
}

static bool mb1_parse_mmap(const struct mb1_info *mi, struct boot_info *bi)
{
	u32 p = mi->mmap_addr, end = mi->mmap_addr + mi->mmap_length;
	const struct mb1_mmap_entry *e;

	while (p + sizeof(*e) <= end) {
		e = (const struct mb1_mmap_entry *)p;
		if (!add_mmap(bi, e->base, e->len, e->type))
			return false;
		p += e->size + sizeof(e->size);
	}
	return true;
}

static bool mb1_parse(u32 info, struct boot_info *bi)
{
	const struct mb1_info *mi = (const struct mb1_info *)info;
	const struct mb1_module *m;
	u32 i;

	bi->mb1 = true;
	bi->info_size = MB1_INFO_SIZE;
	if (mi->flags & MB1_INFO_MEMORY) {
		bi->has_meminfo = true;
		bi->mem_lower = mi->mem_lower;
		bi->mem_upper = mi->mem_upper;
	}
	if (mi->flags & MB1_INFO_CMDLINE)
		bi->cmdline = (const char *)mi->cmdline;
	if (mi->flags & MB1_INFO_LOADER)
		bi->loader_name = (const char *)mi->boot_loader_name;
	if (mi->flags & MB1_INFO_MODS) {
		m = (const struct mb1_module *)mi->mods_addr;
		for (i = 0; i < mi->mods_count; i++) {
			if (!add_module(bi, m[i].start, m[i].end,
					(const char *)m[i].string))
				return false;
		}
	}
	if (mi->flags & MB1_INFO_MMAP)
		return mb1_parse_mmap(mi, bi);
	return true;
}

bool bootinfo_parse(u32 magic, u32 info, struct boot_info *bi)
{
	memset(bi, 0, sizeof(*bi));
	bi->info_addr = info;
	if (magic == MB2_BOOTLOADER_MAGIC)
		return mb2_parse(info, bi);
	if (magic == MB1_BOOTLOADER_MAGIC)
		return mb1_parse(info, bi);
	failf("boot info: unknown magic 0x%x in EAX", magic);
	return false;
}

const char *bootinfo_cmdline(u32 magic, u32 info)
{
	static struct boot_info bi;

	if (!bootinfo_parse(magic, info, &bi) || !bi.cmdline)
		return "";
	return bi.cmdline;
}

static void check_cmdline(const struct boot_info *bi, const char *want)
{
	const char *got = bi->cmdline ? bi->cmdline : "(none)";

	checkf(bi->cmdline && strcmp(got, want) == 0,
	       "command line is '%s' (expected '%s')", got, want);
}

static void check_meminfo(const struct boot_info *bi, u64 mem)
{
	if (!check(bi->has_meminfo, "basic memory information present"))
		return;
	check_eq(bi->mem_lower, LOW_RESERVED_START >> 10, "mem_lower in KiB");
	check_eq(bi->mem_upper, (mem - LOW_RESERVED_END) >> 10,
		 "mem_upper in KiB");
}

static void check_mmap(const struct boot_info *bi, u64 mem)
{
	const struct boot_mmap want[] = {
		{0, LOW_RESERVED_START, MMAP_AVAILABLE},
		{LOW_RESERVED_START, LOW_RESERVED_END - LOW_RESERVED_START,
		 MMAP_RESERVED},
		{LOW_RESERVED_END, mem - LOW_RESERVED_END, MMAP_AVAILABLE},
	};
	const struct boot_mmap *e;
	u32 i;

	if (!check(bi->has_mmap, "memory map present"))
		return;
	check_eq(bi->nmmap, ARRAY_SIZE(want), "memory map has 3 entries");
	for (i = 0; i < bi->nmmap && i < ARRAY_SIZE(want); i++) {
		e = &bi->mmap[i];
		checkf(e->base == want[i].base && e->len == want[i].len &&
			       e->type == want[i].type,
		       "memory map entry %u: base 0x%llx len 0x%llx type %u "
		       "(expected 0x%llx 0x%llx %u)",
		       i, e->base, e->len, e->type, want[i].base, want[i].len,
		       want[i].type);
	}
}

static bool overlaps(u32 a, u32 a_end, u32 b, u32 b_end)
{
	return a < b_end && b < a_end;
}

static void check_module(const struct boot_info *bi,
			 const struct boot_expect *ex)
{
	const struct boot_module *m = &bi->mods[0];
	u32 image_end = (u32)_image_end;

	if (!check_eq(bi->nmods, 1, "one boot module"))
		return;
	checkf(strcmp(m->string, ex->module_string) == 0,
	       "module string is '%s' (expected '%s')", m->string,
	       ex->module_string);
	check_eq(m->end - m->start, ex->module_len, "module size");
	checkf(m->start % PAGE_SIZE == 0, "module at 0x%x is page aligned",
	       m->start);
	checkf(m->start >= image_end && m->end <= ex->mem_bytes &&
		       m->start < m->end,
	       "module [0x%x, 0x%x) lies in RAM above the image (end 0x%x)",
	       m->start, m->end, image_end);
	if (m->end - m->start == ex->module_len)
		check(memcmp((const void *)m->start, ex->module_data,
			     ex->module_len) == 0,
		      "module content");
}

static void check_info_placement(const struct boot_info *bi, u64 mem)
{
	u32 start = bi->info_addr, end = bi->info_addr + bi->info_size;
	const struct boot_module *m = &bi->mods[0];

	checkf(start >= PAGE_SIZE && end <= mem,
	       "boot information [0x%x, 0x%x) lies in RAM above page 0", start,
	       end);
	checkf(!overlaps(start, end, (u32)_image_start, (u32)_image_end),
	       "boot information is clear of the image");
	if (bi->nmods > 0)
		checkf(!overlaps(start, end, m->start, m->end),
		       "boot information is clear of the module");
}

void bootinfo_check(const struct boot_info *bi, const struct boot_expect *ex)
{
	gprintf("boot info at 0x%x, %u bytes, loader '%s'\n", bi->info_addr,
		bi->info_size, bi->loader_name ? bi->loader_name : "(none)");
	check_cmdline(bi, ex->cmdline);
	check_meminfo(bi, ex->mem_bytes);
	check_mmap(bi, ex->mem_bytes);
	check_module(bi, ex);
	check_info_placement(bi, ex->mem_bytes);
}
