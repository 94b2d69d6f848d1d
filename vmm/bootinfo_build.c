// SPDX-License-Identifier: MIT
/*
 * The boot information a multiboot guest finds at EBX (contract section
 * 3): loader_plan() decides where the modules and the information go in
 * guest RAM, loader_build_info() writes the multiboot2 or multiboot1
 * structure as it will sit there, and loader_entry_state() gives the
 * registers. This is the guest-side mirror of boot/mb2.c and boot/mb1.c,
 * which read what GRUB gives Shade. A Linux guest's boot_params are
 * planned here too and written by vmm/loader_linux.c.
 *
 * Guest RAM after planning, from low to high:
 *	image segments, up to image_end
 *	modules, each page aligned, in order (Linux: the initrd, one block)
 *	boot information, 8-byte aligned (Linux: page aligned)
 * with anything that would touch [0x9fc00, 0x100000) moved to 1 MiB.
 *
 * Context: boot CPU, while partitions are created (and host unit tests).
 * Pure: writes only the caller's buffer.
 */
#include "types.h"
#include "errno.h"
#include "kstring.h"
#include "format.h"
#include "bootinfo.h"
#include "loader.h"
#include "loader_internal.h"
#include "vacpi.h"

#define LOADER_NAME "Shade"
#define INFO_ALIGN  8

/* The memory map of every partition: guest_mmap() (loader_internal.h). */
#define MEM_LOWER_KIB (GUEST_LOW_RESERVED_START / KiB) /* 639 */

/* KiB of RAM above 1 MiB, as both basic meminfo formats give it. */
static u32 mem_upper_kib(u64 ram_bytes)
{
	return (u32)((ram_bytes - GUEST_LOW_RESERVED_END) / KiB);
}

static const char *str_or_empty(const char *s)
{
	return s ? s : "";
}

/* Bytes of a C string with its NUL. */
static u64 str_bytes(const char *s)
{
	return strlen(str_or_empty(s)) + 1;
}

/* ---- multiboot2 -------------------------------------------------------- */

/*
 * Multiboot2 boot information (Multiboot2 specification, section 3.6):
 *
 *	u32 total_size, u32 reserved (0)
 *	tags, each at an 8-byte aligned offset:
 *		u32 type, u32 size (this header included, padding not), data
 *	  1 command line	u8 string[]
 *	  2 boot loader name	u8 string[]
 *	  4 basic meminfo	u32 mem_lower, mem_upper (KiB)
 *	  6 memory map		u32 entry_size (24), u32 entry_version (0),
 *				entries {u64 base_addr, u64 length,
 *				u32 type, u32 reserved}
 *	  3 module		u32 mod_start, u32 mod_end, u8 string[]
 *	 14 ACPI old RSDP	the first 20 bytes of the RSDP (ACPI 1.0)
 *	 15 ACPI new RSDP	the whole 36-byte RSDP (ACPI 2.0+)
 *	end tag: type 0, size 8
 * The two ACPI tags carry copies of the RSDP that vmm/vacpi.c puts at
 * VACPI_RSDP_GPA (the same bytes: vacpi_rsdp_build()), as GRUB passes
 * the firmware's.
 */
#define MB2I_HEADER_SIZE     8
#define MB2I_TAG_SIZE	     8
#define MB2I_TAG_END	     0
#define MB2I_TAG_CMDLINE     1
#define MB2I_TAG_LOADER_NAME 2
#define MB2I_TAG_MODULE	     3
#define MB2I_TAG_MEMINFO     4
#define MB2I_TAG_MMAP	     6
#define MB2I_TAG_ACPI_OLD    14
#define MB2I_TAG_ACPI_NEW    15
#define MB2I_MEMINFO_DATA    8
#define MB2I_MMAP_HEAD	     8 /* entry_size, entry_version */
#define MB2I_MMAP_ENTRY	     24
#define MB2I_MODULE_HEAD     8 /* mod_start, mod_end */

/* A tag with data_len bytes of data, padded to the next tag. */
static u64 mb2_tag_bytes(u64 data_len)
{
	return ALIGN_UP(MB2I_TAG_SIZE + data_len, INFO_ALIGN);
}

static u64 mb2_info_size(const struct loader_module *mods, u32 nmods,
			 const char *cmdline)
{
	u64 size = MB2I_HEADER_SIZE;

	size += mb2_tag_bytes(str_bytes(cmdline));
	size += mb2_tag_bytes(str_bytes(LOADER_NAME));
	size += mb2_tag_bytes(MB2I_MEMINFO_DATA);
	size += mb2_tag_bytes(MB2I_MMAP_HEAD +
			      GUEST_MMAP_ENTRIES * MB2I_MMAP_ENTRY);
	for (u32 i = 0; i < nmods; i++)
		size += mb2_tag_bytes(MB2I_MODULE_HEAD +
				      str_bytes(mods[i].cmdline));
	size += mb2_tag_bytes(VACPI_RSDP_V1_LEN);
	size += mb2_tag_bytes(VACPI_RSDP_LEN);
	return size + MB2I_TAG_SIZE;
}

/* Writes the structure front to back. */
struct info_writer {
	u8 *buf;
	u64 pos;
};

static void put_u32(struct info_writer *w, u32 v)
{
	memcpy(w->buf + w->pos, &v, sizeof(v));
	w->pos += sizeof(v);
}

static void put_u64(struct info_writer *w, u64 v)
{
	memcpy(w->buf + w->pos, &v, sizeof(v));
	w->pos += sizeof(v);
}

static void put_string(struct info_writer *w, const char *s)
{
	u64 n = str_bytes(s);

	memcpy(w->buf + w->pos, str_or_empty(s), n);
	w->pos += n;
}

/* Start a tag; returns its offset for mb2_tag_close(). */
static u64 mb2_tag_open(struct info_writer *w, u32 type)
{
	u64 start = w->pos;

	put_u32(w, type);
	put_u32(w, 0); /* size, once known */
	return start;
}

static void mb2_tag_close(struct info_writer *w, u64 start)
{
	u32 size = (u32)(w->pos - start);

	memcpy(w->buf + start + 4, &size, sizeof(size));
	w->pos = ALIGN_UP(w->pos, INFO_ALIGN); /* padding: buf is zeroed */
}

static void mb2_put_string_tag(struct info_writer *w, u32 type, const char *s)
{
	u64 t = mb2_tag_open(w, type);

	put_string(w, s);
	mb2_tag_close(w, t);
}

static void mb2_put_memory(struct info_writer *w, u64 ram_bytes)
{
	struct guest_range r[GUEST_MMAP_ENTRIES];
	u64 t = mb2_tag_open(w, MB2I_TAG_MEMINFO);

	put_u32(w, (u32)MEM_LOWER_KIB);
	put_u32(w, mem_upper_kib(ram_bytes));
	mb2_tag_close(w, t);

	guest_mmap(ram_bytes, r);
	t = mb2_tag_open(w, MB2I_TAG_MMAP);
	put_u32(w, MB2I_MMAP_ENTRY);
	put_u32(w, 0); /* entry_version */
	for (u32 i = 0; i < GUEST_MMAP_ENTRIES; i++) {
		put_u64(w, r[i].base);
		put_u64(w, r[i].len);
		put_u32(w, r[i].type);
		put_u32(w, 0);
	}
	mb2_tag_close(w, t);
}

static void mb2_put_acpi(struct info_writer *w)
{
	u8 rsdp[VACPI_RSDP_LEN];
	u64 t;

	vacpi_rsdp_build(rsdp);
	t = mb2_tag_open(w, MB2I_TAG_ACPI_OLD);
	memcpy(w->buf + w->pos, rsdp, VACPI_RSDP_V1_LEN);
	w->pos += VACPI_RSDP_V1_LEN;
	mb2_tag_close(w, t);
	t = mb2_tag_open(w, MB2I_TAG_ACPI_NEW);
	memcpy(w->buf + w->pos, rsdp, VACPI_RSDP_LEN);
	w->pos += VACPI_RSDP_LEN;
	mb2_tag_close(w, t);
}

static u64 mb2_build(const struct loader_module *mods, u32 nmods,
		     const char *cmdline, u64 ram_bytes, u8 *buf)
{
	struct info_writer w = {.buf = buf, .pos = MB2I_HEADER_SIZE};
	u64 t;

	mb2_put_string_tag(&w, MB2I_TAG_CMDLINE, cmdline);
	mb2_put_string_tag(&w, MB2I_TAG_LOADER_NAME, LOADER_NAME);
	mb2_put_memory(&w, ram_bytes);
	for (u32 i = 0; i < nmods; i++) {
		t = mb2_tag_open(&w, MB2I_TAG_MODULE);
		put_u32(&w, (u32)mods[i].gpa);
		put_u32(&w, (u32)(mods[i].gpa + mods[i].size));
		put_string(&w, mods[i].cmdline);
		mb2_tag_close(&w, t);
	}
	mb2_put_acpi(&w);
	mb2_tag_close(&w, mb2_tag_open(&w, MB2I_TAG_END));
	t = w.pos;
	w.pos = 0;
	put_u32(&w, (u32)t); /* total_size; reserved stays 0 */
	return t;
}

/* ---- multiboot1 -------------------------------------------------------- */

/*
 * Multiboot 0.6.96 boot information (section 3.3), and where Shade puts
 * the parts it points to, all inside the one block at plan->info_gpa:
 *
 *	  0  the 88-byte structure:
 *		 0 u32 flags			bits 0, 2, 3, 6, 9
 *		 4 u32 mem_lower, mem_upper	bit 0 (KiB)
 *		16 u32 cmdline			bit 2 (address of a string)
 *		20 u32 mods_count, mods_addr	bit 3
 *		44 u32 mmap_length, mmap_addr	bit 6
 *		64 u32 boot_loader_name		bit 9 (address of a string)
 *	 88  memory map: entries {u32 size (20), u64 base_addr, u64 length,
 *	     u32 type}; mmap_addr points at the first size field
 *	160  modules: {u32 mod_start, mod_end, string, reserved (0)}
 *	     strings: command line, boot loader name, module strings
 */
#define MB1I_SIZE	     88
#define MB1I_OFF_FLAGS	     0
#define MB1I_OFF_MEM_LOWER   4
#define MB1I_OFF_MEM_UPPER   8
#define MB1I_OFF_CMDLINE     16
#define MB1I_OFF_MODS_COUNT  20
#define MB1I_OFF_MODS_ADDR   24
#define MB1I_OFF_MMAP_LENGTH 44
#define MB1I_OFF_MMAP_ADDR   48
#define MB1I_OFF_LOADER_NAME 64
#define MB1I_FLAG_MEM	     BIT(0)
#define MB1I_FLAG_CMDLINE    BIT(2)
#define MB1I_FLAG_MODS	     BIT(3)
#define MB1I_FLAG_MMAP	     BIT(6)
#define MB1I_FLAG_LOADER     BIT(9)
#define MB1I_FLAGS                                                             \
	(MB1I_FLAG_MEM | MB1I_FLAG_CMDLINE | MB1I_FLAG_MODS | MB1I_FLAG_MMAP | \
	 MB1I_FLAG_LOADER)
#define MB1I_MMAP_ENTRY	     24
#define MB1I_MMAP_SIZE_FIELD 20 /* bytes after the size field */
#define MB1I_MMAP_BYTES	     (GUEST_MMAP_ENTRIES * MB1I_MMAP_ENTRY)
#define MB1I_OFF_MMAP	     MB1I_SIZE
#define MB1I_OFF_MODS	     (MB1I_OFF_MMAP + MB1I_MMAP_BYTES)
#define MB1I_MODULE	     16

static u64 mb1_info_size(const struct loader_module *mods, u32 nmods,
			 const char *cmdline)
{
	u64 size = MB1I_OFF_MODS + (u64)nmods * MB1I_MODULE;

	size += str_bytes(cmdline) + str_bytes(LOADER_NAME);
	for (u32 i = 0; i < nmods; i++)
		size += str_bytes(mods[i].cmdline);
	return ALIGN_UP(size, INFO_ALIGN);
}

static void set_u32(u8 *buf, u64 off, u32 v)
{
	memcpy(buf + off, &v, sizeof(v));
}

/* The 88-byte structure's fields that point into the block. */
static void mb1_fixed(u8 *buf, gpa_t base, u32 nmods, u64 ram_bytes,
		      u64 cmdline_off, u64 name_off)
{
	set_u32(buf, MB1I_OFF_FLAGS, (u32)MB1I_FLAGS);
	set_u32(buf, MB1I_OFF_MEM_LOWER, (u32)MEM_LOWER_KIB);
	set_u32(buf, MB1I_OFF_MEM_UPPER, mem_upper_kib(ram_bytes));
	set_u32(buf, MB1I_OFF_CMDLINE, (u32)(base + cmdline_off));
	set_u32(buf, MB1I_OFF_MODS_COUNT, nmods);
	set_u32(buf, MB1I_OFF_MODS_ADDR, (u32)(base + MB1I_OFF_MODS));
	set_u32(buf, MB1I_OFF_MMAP_LENGTH, MB1I_MMAP_BYTES);
	set_u32(buf, MB1I_OFF_MMAP_ADDR, (u32)(base + MB1I_OFF_MMAP));
	set_u32(buf, MB1I_OFF_LOADER_NAME, (u32)(base + name_off));
}

static void mb1_mmap(u8 *buf, u64 ram_bytes)
{
	struct guest_range r[GUEST_MMAP_ENTRIES];
	struct info_writer w = {.buf = buf, .pos = MB1I_OFF_MMAP};

	guest_mmap(ram_bytes, r);
	for (u32 i = 0; i < GUEST_MMAP_ENTRIES; i++) {
		put_u32(&w, MB1I_MMAP_SIZE_FIELD);
		put_u64(&w, r[i].base);
		put_u64(&w, r[i].len);
		put_u32(&w, r[i].type);
	}
}

static u64 mb1_build(const struct loader_module *mods, u32 nmods,
		     const char *cmdline, u64 ram_bytes, gpa_t base, u8 *buf)
{
	struct info_writer w = {.buf = buf};
	u64 strings = MB1I_OFF_MODS + (u64)nmods * MB1I_MODULE;
	u64 name_off = strings + str_bytes(cmdline);

	mb1_fixed(buf, base, nmods, ram_bytes, strings, name_off);
	mb1_mmap(buf, ram_bytes);
	w.pos = strings;
	put_string(&w, cmdline);
	put_string(&w, LOADER_NAME);
	for (u32 i = 0; i < nmods; i++) {
		u64 entry = MB1I_OFF_MODS + (u64)i * MB1I_MODULE;

		set_u32(buf, entry, (u32)mods[i].gpa);
		set_u32(buf, entry + 4, (u32)(mods[i].gpa + mods[i].size));
		set_u32(buf, entry + 8, (u32)(base + w.pos));
		put_string(&w, mods[i].cmdline);
	}
	return ALIGN_UP(w.pos, INFO_ALIGN);
}

/* ---- planning ---------------------------------------------------------- */

static u64 info_size(const struct guest_image *img,
		     const struct loader_module *mods, u32 nmods,
		     const char *cmdline)
{
	if (img->format == GUEST_FORMAT_LINUX)
		return linux_info_size(cmdline);
	if (img->format == GUEST_FORMAT_MULTIBOOT1)
		return mb1_info_size(mods, nmods, cmdline);
	return mb2_info_size(mods, nmods, cmdline);
}

/*
 * Where module i starts, at the earliest. A Linux initrd is one block:
 * the modules after the first follow at the next 4-byte boundary, the
 * zeros between them are cpio padding (GRUB's initrd command does this).
 */
static u64 module_align(const struct guest_image *img, u32 i)
{
	return img->format == GUEST_FORMAT_LINUX && i > 0 ? 4 : PAGE_SIZE;
}

/* The boot information's alignment: Linux's boot_params are a page. */
static u64 info_align(const struct guest_image *img)
{
	return img->format == GUEST_FORMAT_LINUX ? PAGE_SIZE : INFO_ALIGN;
}

/*
 * Put size bytes at the first align-ed address at or after *cursor,
 * moved to 1 MiB if they would touch the reserved low range, and move
 * *cursor past them. Saturates at UINT64_MAX instead of wrapping, so the
 * caller's one check against RAM catches absurd sizes too.
 */
static gpa_t place(u64 *cursor, u64 size, u64 align)
{
	u64 at;

	if (*cursor > UINT64_MAX - align)
		return *cursor = UINT64_MAX;
	at = ALIGN_UP(*cursor, align);
	if (at < GUEST_LOW_RESERVED_END &&
	    (at >= GUEST_LOW_RESERVED_START ||
	     size > GUEST_LOW_RESERVED_START - at))
		at = GUEST_LOW_RESERVED_END;
	*cursor = size > UINT64_MAX - at ? UINT64_MAX : at + size;
	return at;
}

__printf(2, 3) static int plan_error(struct loader_error *err, const char *fmt,
				     ...)
{
	va_list ap;

	va_start(ap, fmt);
	kvsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return -ENOSPC;
}

int loader_plan(const struct guest_image *img, struct loader_module *mods,
		u32 nmods, const char *cmdline, u64 ram_bytes,
		struct loader_plan *plan, struct loader_error *err)
{
	u64 cursor = img->image_end, size;
	char ram[24];

	err->msg[0] = '\0';
	loader_ram_text(ram_bytes, ram, sizeof(ram));
	if (ram_bytes <= GUEST_LOW_RESERVED_END)
		return plan_error(err,
				  "the partition's RAM (%s) does not reach "
				  "above 1 MiB",
				  ram);
	if (nmods > LOADER_MAX_MODULES)
		return plan_error(err, "%u modules, more than %d", nmods,
				  LOADER_MAX_MODULES);
	if (img->format == GUEST_FORMAT_LINUX &&
	    linux_check_cmdline(img, cmdline, err))
		return -EINVAL;
	size = info_size(img, mods, nmods, cmdline);
	if (size > LOADER_INFO_MAX)
		return plan_error(err,
				  "the boot information needs %lu bytes, "
				  "more than %d",
				  size, LOADER_INFO_MAX);
	for (u32 i = 0; i < nmods; i++)
		mods[i].gpa =
			place(&cursor, mods[i].size, module_align(img, i));
	plan->info_gpa = place(&cursor, size, info_align(img));
	plan->info_size = size;
	if (cursor > ram_bytes)
		return plan_error(err,
				  "the image, %u module%s and the boot "
				  "information need 0x%lx bytes of RAM, the "
				  "partition has %s",
				  nmods, nmods == 1 ? "" : "s", cursor, ram);
	if (img->format == GUEST_FORMAT_LINUX)
		return linux_check_initrd(img, mods, nmods, err);
	return 0;
}

u64 loader_build_info(const struct guest_image *img,
		      const struct loader_module *mods, u32 nmods,
		      const char *cmdline, u64 ram_bytes,
		      const struct loader_plan *plan, u8 *buf)
{
	memset(buf, 0, plan->info_size);
	if (img->format == GUEST_FORMAT_LINUX)
		return linux_build_info(img, mods, nmods, cmdline, ram_bytes,
					plan, buf);
	if (img->format == GUEST_FORMAT_MULTIBOOT1)
		return mb1_build(mods, nmods, cmdline, ram_bytes,
				 plan->info_gpa, buf);
	return mb2_build(mods, nmods, cmdline, ram_bytes, buf);
}

/* ---- entry state ------------------------------------------------------- */

/* The selectors of a multiboot entry; vmm/vmcs.c used these from the
 * start, so they stay. No GDT backs them: the limit covers any selector. */
#define FLAT_CS	     0x08
#define FLAT_DS	     0x10
#define FLAT_TR	     0x18
#define NO_GDT_LIMIT 0xffff

u32 loader_entry_magic(const struct guest_image *img)
{
	if (img->format == GUEST_FORMAT_LINUX)
		return 0; /* the 32-bit boot protocol sets no EAX */
	if (img->format == GUEST_FORMAT_MULTIBOOT1)
		return MB1_BOOTLOADER_MAGIC;
	return MB2_BOOTLOADER_MAGIC;
}

void loader_entry_flat(struct loader_entry *e, u32 eip, u32 eax, u32 ebx)
{
	*e = (struct loader_entry){
		.eip = eip,
		.eax = eax,
		.ebx = ebx,
		.cs = FLAT_CS,
		.ds = FLAT_DS,
		.tr = FLAT_TR,
		.gdt_limit = NO_GDT_LIMIT,
		.gdt_base = 0,
	};
}

void loader_entry_state(const struct guest_image *img,
			const struct loader_plan *plan, struct loader_entry *e)
{
	if (img->format == GUEST_FORMAT_LINUX) {
		linux_entry_state(img, plan, e);
		return;
	}
	loader_entry_flat(e, (u32)img->entry, loader_entry_magic(img),
			  (u32)plan->info_gpa);
}
