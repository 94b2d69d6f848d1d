// SPDX-License-Identifier: MIT
/*
 * Linux guests (contract section 3: "linux images are entered through
 * the Linux 32-bit boot protocol"), after Documentation/arch/x86/boot.rst
 * and zero-page.rst in the Linux tree.
 *
 * A bzImage is the real-mode part (the boot sector and the setup code,
 * setup_sects + 1 sectors of 512 bytes, with the setup header at 0x1f1)
 * followed by the protected-mode kernel. Shade has no real mode to run
 * the setup code in, so it does what the 32-bit boot protocol asks of a
 * loader, as GRUB and kexec do: it loads the protected-mode kernel at
 * 1 MiB, fills a struct boot_params (the "zero page") with a copy of the
 * setup header and what the setup code would have found out (the memory
 * map, the initrd, the command line), and enters code32_start in flat
 * 32-bit protected mode, paging and interrupts off, with __BOOT_CS and
 * __BOOT_DS from a GDT it provides and ESI pointing at the zero page.
 *
 * The image is not trusted: every field is read from bytes the image has,
 * sums are checked for overflow, and a kernel the partition cannot hold
 * is refused with a message that names the field, as for multiboot.
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
#include "vacpi.h"

/*
 * The setup header (boot.rst, "The Real-Mode Kernel Header"): the same
 * offsets in the image and in boot_params, which holds a copy of it.
 * "(proto)" is the first boot protocol with the field.
 */
#define HDR_SETUP_SECTS	       0x1f1 /* u8; 0 means 4 */
#define HDR_VID_MODE	       0x1fa /* u16 */
#define HDR_JUMP	       0x200 /* 0xeb, then the header's end - 0x202 */
#define HDR_HEADER	       0x202 /* u32 "HdrS" */
#define HDR_VERSION	       0x206 /* u16 (major << 8) | minor */
#define HDR_TYPE_OF_LOADER     0x210 /* u8 */
#define HDR_LOADFLAGS	       0x211 /* u8 */
#define HDR_CODE32_START       0x214 /* u32 */
#define HDR_RAMDISK_IMAGE      0x218 /* u32 */
#define HDR_RAMDISK_SIZE       0x21c /* u32 */
#define HDR_HEAP_END_PTR       0x224 /* u16 (2.01) */
#define HDR_EXT_LOADER_VER     0x226 /* u8 (2.02) */
#define HDR_EXT_LOADER_TYPE    0x227 /* u8 (2.02) */
#define HDR_CMD_LINE_PTR       0x228 /* u32 (2.02) */
#define HDR_INITRD_ADDR_MAX    0x22c /* u32 (2.03) */
#define HDR_KERNEL_ALIGNMENT   0x230 /* u32 (2.05) */
#define HDR_RELOCATABLE	       0x234 /* u8 (2.05) */
#define HDR_CMDLINE_SIZE       0x238 /* u32 (2.06) */
#define HDR_SETUP_DATA	       0x250 /* u64 (2.09) */
#define HDR_PREF_ADDRESS       0x258 /* u64 (2.10) */
#define HDR_INIT_SIZE	       0x260 /* u32 (2.10) */
#define HDR_END_MAX	       0x290 /* boot_params' next field */
#define HDRS_MAGIC	       0x53726448u /* "HdrS" */
#define JUMP_OPCODE	       0xeb	   /* a short jmp over the header */
#define SECTOR_SIZE	       512
#define SETUP_SECTS_ZERO_MEANS 4

#define PROTO(major, minor)    (((major) << 8) | (minor))
#define PROTO_CMD_LINE_PTR     PROTO(2, 2)
#define PROTO_INITRD_MAX       PROTO(2, 3)
#define PROTO_RELOCATABLE      PROTO(2, 5)
#define PROTO_CMDLINE_SIZE     PROTO(2, 6)
#define PROTO_SETUP_DATA       PROTO(2, 9)
#define PROTO_INIT_SIZE	       PROTO(2, 10)
#define INITRD_MAX_BEFORE_203  0x37ffffffu /* boot.rst, initrd_addr_max */
#define CMDLINE_MAX_BEFORE_206 255

/* loadflags */
#define LOADED_HIGH   BIT(0) /* protected-mode code at 0x100000 */
#define KEEP_SEGMENTS BIT(6) /* obsolete; Shade gives __BOOT_DS */
#define CAN_USE_HEAP  BIT(7) /* heap_end_ptr is valid */

/* What Shade writes into the header (boot.rst, "Sample Boot Config"). */
#define LOADER_UNDEFINED 0xff	/* type_of_loader: no assigned id */
#define VID_MODE_NORMAL	 0xffff /* "vga=normal": Shade reads no vga= */
#define HEAP_END	 0xe000 /* real-mode heap end, for 2.02+ */
#define HEAP_END_PTR	 (HEAP_END - 0x200)
#define KERNEL_LOAD_GPA	 0x100000 /* bzImage: "loaded high" */

/*
 * The rest of struct boot_params (zero-page.rst) that Shade fills; all
 * else stays zero: no screen_info (orig_video_isVGA 0: no VGA), no APM,
 * EDD or EFI information, no setup_data.
 */
#define BP_SIZE		   4096
#define BP_ACPI_RSDP_ADDR  0x070 /* u64 */
#define BP_ALT_MEM_K	   0x1e0 /* u32: KiB above 1 MiB */
#define BP_E820_ENTRIES	   0x1e8 /* u8 */
#define BP_E820_TABLE	   0x2d0 /* {u64 addr, u64 size, u32 type} */
#define BP_E820_ENTRY_SIZE 20
#define BP_E820_MAX	   128

/*
 * The GDT the 32-bit protocol requires, right after boot_params in the
 * boot information block: __BOOT_CS (0x10) and __BOOT_DS (0x18) 4 GiB
 * flat, and a TSS for TR (0x20), which VT-x needs usable, as Linux's own
 * setup code provides one "for Intel VT" (arch/x86/boot/pm.c).
 * Descriptor layout: SDM 3A 3.4.5.
 */
#define LINUX_BOOT_CS	 0x10
#define LINUX_BOOT_DS	 0x18
#define LINUX_BOOT_TSS	 0x20
#define GDT_ENTRIES	 5
#define GDT_BYTES	 (GDT_ENTRIES * 8)
#define DESC_TYPE_SHIFT	 40
#define DESC_LIMIT_LOW	 0xffffULL
#define DESC_LIMIT_HIGH	 0xf0000ULL /* bits 19:16, at 51:48 */
#define DESC_LIMIT_SHIFT 32	    /* bit 16 of the limit to bit 48 */
#define DESC_S		 BIT(44)    /* code or data, not system */
#define DESC_P		 BIT(47)
#define DESC_DB		 BIT(54) /* 32-bit */
#define DESC_G		 BIT(55) /* limit in 4 KiB units */
#define TYPE_CODE_RX_ACC 0xb
#define TYPE_DATA_RW_ACC 0x3
#define TYPE_TSS32_BUSY	 0xb
#define FLAT_LIMIT_4K	 0xfffff /* 4 GiB in pages */
#define TSS_LIMIT	 0x67

/* Base 0, the given limit, type and flags. */
static u64 gdt_desc(u32 limit, u32 type, u64 flags)
{
	return (limit & DESC_LIMIT_LOW) |
	       ((limit & DESC_LIMIT_HIGH) << DESC_LIMIT_SHIFT) |
	       ((u64)type << DESC_TYPE_SHIFT) | flags;
}

/* ---- reading the image ------------------------------------------------- */

bool linux_is_bzimage(const u8 *image, u64 len)
{
	return image && len >= HDR_HEADER + 4 &&
	       rd32(image + HDR_HEADER) == HDRS_MAGIC;
}

/* The protocol version, as 2.02, for messages. */
#define PROTO_FMT     "%u.%02u"
#define PROTO_ARGS(v) ((v) >> 8), ((v)&0xff)

/*
 * The header's bytes, as far as the jump at 0x200 says it goes (boot.rst,
 * "32-bit Boot Protocol"), and the limits the plan checks, with the
 * defaults of the versions that lack the fields.
 */
static int linux_copy_header(struct loader *l)
{
	struct linux_setup *s = &l->out->setup;
	const u8 *img = l->image;
	u32 hdr_end = HDR_HEADER + img[HDR_JUMP + 1];

	if (img[HDR_JUMP] != JUMP_OPCODE || hdr_end > HDR_END_MAX)
		return loader_fail(l,
				   "Linux setup header: jump 0x%x 0x%x at "
				   "0x200 does not end the header by 0x%x",
				   img[HDR_JUMP], img[HDR_JUMP + 1],
				   HDR_END_MAX);
	s->hdr_len = (u16)(hdr_end - LINUX_SETUP_HDR_OFFSET);
	memcpy(s->hdr, img + LINUX_SETUP_HDR_OFFSET, s->hdr_len);
	s->initrd_addr_max = s->version >= PROTO_INITRD_MAX
				     ? rd32(img + HDR_INITRD_ADDR_MAX)
				     : INITRD_MAX_BEFORE_203;
	s->cmdline_size = s->version >= PROTO_CMDLINE_SIZE
				  ? rd32(img + HDR_CMDLINE_SIZE)
				  : CMDLINE_MAX_BEFORE_206;
	return 0;
}

/* The header: present, new enough, a bzImage; its bytes copied. */
static int linux_header(struct loader *l, u64 *pm_offset)
{
	struct linux_setup *s = &l->out->setup;
	const u8 *img = l->image;
	u32 sects;

	if (!linux_is_bzimage(img, l->len))
		return loader_fail(l, "format=linux: no Linux boot protocol "
				      "header (\"HdrS\" at offset 0x202)");
	/* At least 2 sectors, so every header field below is in the file. */
	sects = img[HDR_SETUP_SECTS] ? img[HDR_SETUP_SECTS]
				     : SETUP_SECTS_ZERO_MEANS;
	*pm_offset = (u64)(sects + 1) * SECTOR_SIZE;
	if (*pm_offset >= l->len)
		return loader_fail(l,
				   "image truncated: setup_sects %u puts the "
				   "protected-mode kernel at 0x%lx, the image "
				   "has 0x%lx bytes",
				   img[HDR_SETUP_SECTS], *pm_offset, l->len);
	s->version = rd16(img + HDR_VERSION);
	if (s->version < PROTO_CMD_LINE_PTR)
		return loader_fail(l,
				   "Linux boot protocol " PROTO_FMT " is "
				   "older than 2.02 (no cmd_line_ptr); Shade "
				   "needs 2.02 or later",
				   PROTO_ARGS(s->version));
	if (!(img[HDR_LOADFLAGS] & LOADED_HIGH))
		return loader_fail(l,
				   "Linux image: loadflags 0x%x lack "
				   "LOADED_HIGH (a zImage, loaded at 0x10000); "
				   "Shade loads only bzImages",
				   img[HDR_LOADFLAGS]);
	return linux_copy_header(l);
}

/*
 * Where the kernel runs once it has moved itself (boot.rst, init_size):
 * a relocatable kernel at load address aligned up to kernel_alignment,
 * but never below pref_address (arch/x86/boot/compressed/head_32.S takes
 * the larger: pref_address is its LOAD_PHYSICAL_ADDR); any other at
 * pref_address. Before 2.10 there is neither pref_address nor init_size:
 * the kernel runs where it is loaded, needing what it brought.
 */
static int linux_runtime_start(struct loader *l, u64 *start)
{
	const u8 *img = l->image;
	u16 v = l->out->setup.version;
	u64 pref = v >= PROTO_INIT_SIZE ? rd64(img + HDR_PREF_ADDRESS) : 0;
	u32 align = rd32(img + HDR_KERNEL_ALIGNMENT);

	if (v >= PROTO_RELOCATABLE && img[HDR_RELOCATABLE]) {
		if (align == 0 || (align & (align - 1)))
			return loader_fail(l,
					   "Linux setup header: "
					   "kernel_alignment 0x%x of a "
					   "relocatable kernel is not a power "
					   "of two",
					   align);
		*start = MAX(ALIGN_UP(KERNEL_LOAD_GPA, align), pref);
		return 0;
	}
	*start = pref ? pref : KERNEL_LOAD_GPA;
	if (*start < KERNEL_LOAD_GPA)
		return loader_fail(l,
				   "Linux setup header: pref_address 0x%lx of "
				   "a kernel that is not relocatable is below "
				   "1 MiB",
				   *start);
	return 0;
}

/*
 * The protected-mode kernel: file bytes from pm_offset on at 1 MiB, and
 * in memory up to the end of what it needs where it runs, so that the
 * initrd and the boot information go above that and the kernel
 * decompressing itself does not overwrite them.
 */
int linux_load(struct loader *l)
{
	const u8 *img = l->image;
	u64 pm_offset = 0, start = 0, file_size, end;
	u32 init_size;
	char ram[24];

	l->out->format = GUEST_FORMAT_LINUX;
	if (linux_header(l, &pm_offset) || linux_runtime_start(l, &start))
		return -EINVAL;
	init_size = l->out->setup.version >= PROTO_INIT_SIZE
			    ? rd32(img + HDR_INIT_SIZE)
			    : 0;
	loader_ram_text(l->ram_bytes, ram, sizeof(ram));
	if (start > l->ram_bytes || init_size > l->ram_bytes - start)
		return loader_fail(l,
				   "Linux kernel: runs at 0x%lx and needs "
				   "init_size 0x%x bytes there, up to 0x%lx; "
				   "the partition has %s of RAM",
				   start, init_size, start + init_size, ram);
	file_size = l->len - pm_offset;
	end = MAX(KERNEL_LOAD_GPA + file_size, start + init_size);
	if (loader_add_segment(l, "Linux protected-mode kernel", pm_offset,
			       file_size, KERNEL_LOAD_GPA,
			       end - KERNEL_LOAD_GPA))
		return -EINVAL;
	l->out->entry = rd32(img + HDR_CODE32_START);
	l->entry_from = "code32_start";
	return 0;
}

/* ---- planning ---------------------------------------------------------- */

/* boot_params, the GDT, the command line with its NUL. */
#define INFO_OFF_GDT	 BP_SIZE
#define INFO_OFF_CMDLINE (BP_SIZE + GDT_BYTES)

u64 linux_info_size(const char *cmdline)
{
	return ALIGN_UP(INFO_OFF_CMDLINE + strlen(cmdline ? cmdline : "") + 1,
			8);
}

int linux_check_cmdline(const struct guest_image *img, const char *cmdline,
			struct loader_error *err)
{
	u64 n = strlen(cmdline ? cmdline : "");

	if (n <= img->setup.cmdline_size)
		return 0;
	ksnprintf(err->msg, sizeof(err->msg),
		  "the command line has %lu characters, more than the "
		  "kernel's cmdline_size %u",
		  n, img->setup.cmdline_size);
	return -EINVAL;
}

/* The initrd: from the first module to the end of the last. */
static void initrd_range(const struct loader_module *mods, u32 nmods,
			 gpa_t *start, u64 *size)
{
	*start = nmods ? mods[0].gpa : 0;
	*size = nmods ? mods[nmods - 1].gpa + mods[nmods - 1].size - *start : 0;
}

int linux_check_initrd(const struct guest_image *img,
		       const struct loader_module *mods, u32 nmods,
		       struct loader_error *err)
{
	gpa_t start;
	u64 size;

	initrd_range(mods, nmods, &start, &size);
	if (size == 0 || start + size - 1 <= img->setup.initrd_addr_max)
		return 0;
	ksnprintf(err->msg, sizeof(err->msg),
		  "the initrd [0x%lx, 0x%lx) goes above the kernel's "
		  "initrd_addr_max 0x%x",
		  start, start + size, img->setup.initrd_addr_max);
	return -ENOSPC;
}

/* ---- the boot information block --------------------------------------- */

static void put16(u8 *buf, u64 off, u16 v)
{
	memcpy(buf + off, &v, sizeof(v));
}

static void put32(u8 *buf, u64 off, u32 v)
{
	memcpy(buf + off, &v, sizeof(v));
}

static void put64(u8 *buf, u64 off, u64 v)
{
	memcpy(buf + off, &v, sizeof(v));
}

/* The setup header, copied and then modified as boot.rst's "write" and
 * "modify (obligatory)" fields ask. */
static void bp_setup_header(const struct linux_setup *s, gpa_t cmdline_gpa,
			    gpa_t initrd, u64 initrd_size, u8 *bp)
{
	memcpy(bp + LINUX_SETUP_HDR_OFFSET, s->hdr, s->hdr_len);
	put16(bp, HDR_VID_MODE, VID_MODE_NORMAL);
	bp[HDR_TYPE_OF_LOADER] = LOADER_UNDEFINED;
	bp[HDR_EXT_LOADER_VER] = 0;
	bp[HDR_EXT_LOADER_TYPE] = 0;
	bp[HDR_LOADFLAGS] =
		(u8)((bp[HDR_LOADFLAGS] | CAN_USE_HEAP) & ~KEEP_SEGMENTS);
	put16(bp, HDR_HEAP_END_PTR, HEAP_END_PTR);
	put32(bp, HDR_RAMDISK_IMAGE, (u32)initrd);
	put32(bp, HDR_RAMDISK_SIZE, (u32)initrd_size);
	put32(bp, HDR_CMD_LINE_PTR, (u32)cmdline_gpa);
	if (s->version >= PROTO_SETUP_DATA)
		put64(bp, HDR_SETUP_DATA, 0);
}

/* The memory map every partition gets (contract section 2), as e820. */
static void bp_e820(u64 ram_bytes, u8 *bp)
{
	struct guest_range r[GUEST_MMAP_ENTRIES];

	guest_mmap(ram_bytes, r);
	for (u32 i = 0; i < GUEST_MMAP_ENTRIES; i++) {
		u64 e = BP_E820_TABLE + (u64)i * BP_E820_ENTRY_SIZE;

		put64(bp, e, r[i].base);
		put64(bp, e + 8, r[i].len);
		put32(bp, e + 16, r[i].type);
	}
	bp[BP_E820_ENTRIES] = GUEST_MMAP_ENTRIES;
	put32(bp, BP_ALT_MEM_K,
	      (u32)((ram_bytes - GUEST_LOW_RESERVED_END) / KiB));
}

u64 linux_build_info(const struct guest_image *img,
		     const struct loader_module *mods, u32 nmods,
		     const char *cmdline, u64 ram_bytes,
		     const struct loader_plan *plan, u8 *buf)
{
	const char *c = cmdline ? cmdline : "";
	gpa_t initrd;
	u64 initrd_size;

	_Static_assert(GUEST_MMAP_ENTRIES <= BP_E820_MAX, "e820 table");
	initrd_range(mods, nmods, &initrd, &initrd_size);
	bp_setup_header(&img->setup, plan->info_gpa + INFO_OFF_CMDLINE, initrd,
			initrd_size, buf);
	put64(buf, BP_ACPI_RSDP_ADDR, VACPI_RSDP_GPA);
	bp_e820(ram_bytes, buf);
	put64(buf, INFO_OFF_GDT + LINUX_BOOT_CS,
	      gdt_desc(FLAT_LIMIT_4K, TYPE_CODE_RX_ACC,
		       DESC_S | DESC_P | DESC_DB | DESC_G));
	put64(buf, INFO_OFF_GDT + LINUX_BOOT_DS,
	      gdt_desc(FLAT_LIMIT_4K, TYPE_DATA_RW_ACC,
		       DESC_S | DESC_P | DESC_DB | DESC_G));
	put64(buf, INFO_OFF_GDT + LINUX_BOOT_TSS,
	      gdt_desc(TSS_LIMIT, TYPE_TSS32_BUSY, DESC_P));
	memcpy(buf + INFO_OFF_CMDLINE, c, strlen(c) + 1);
	return plan->info_size;
}

/* ---- entry ------------------------------------------------------------- */

void linux_entry_state(const struct guest_image *img,
		       const struct loader_plan *plan, struct loader_entry *e)
{
	*e = (struct loader_entry){
		.eip = (u32)img->entry,
		.esi = (u32)plan->info_gpa,
		.cs = LINUX_BOOT_CS,
		.ds = LINUX_BOOT_DS,
		.tr = LINUX_BOOT_TSS,
		.gdt_limit = GDT_BYTES - 1,
		.gdt_base = plan->info_gpa + INFO_OFF_GDT,
	};
}
