// SPDX-License-Identifier: MIT
/*
 * linux-hello: a guest that is a bzImage (header.S, linux.ld), booted by
 * tests/integration/guest-linux.sh with format=linux, an initrd of two
 * module-for modules and a command line. Checks, as a Linux kernel would
 * rely on them, what the 32-bit boot protocol
 * (Documentation/arch/x86/boot.rst, zero-page.rst) promises at
 * code32_start: the registers, segments, GDT and flags header.S recorded,
 * then the boot_params at ESI: the setup header copied from the image,
 * the loader's fields, the command line, the initrd bytes, the e820 map
 * of contract section 2, acpi_rsdp_addr, and that the kernel, the initrd,
 * the boot_params and the command line do not overlap. Then the usual
 * CPUID and own-partition hypercall checks.
 */
#include "guest.h"
#include "linux_entry.h"

/* Must match tests/integration/guest-linux.sh. */
#define NAME	    "linux-hello"
#define MEM_BYTES   (24u << 20)
#define CMDLINE	    "console=ttyS0 initrd=two-parts hello=world"
#define INITRD_1    "Shade initrd, part one (27)\n"
#define INITRD_2    "part two\n"
#define INITRD_1_AT 0
#define INITRD_2_AT ((sizeof(INITRD_1) - 1 + 3) & ~3u) /* cpio padding */
#define INITRD_SIZE (INITRD_2_AT + sizeof(INITRD_2) - 1)

/* Offsets in struct boot_params (zero-page.rst, boot.rst). */
#define BP_ORIG_VIDEO_ISVGA  0x00f
#define BP_ACPI_RSDP_ADDR    0x070
#define BP_EXT_RAMDISK_IMAGE 0x0c0
#define BP_EXT_RAMDISK_SIZE  0x0c4
#define BP_EXT_CMD_LINE_PTR  0x0c8
#define BP_ALT_MEM_K	     0x1e0
#define BP_E820_ENTRIES	     0x1e8
#define BP_SETUP_SECTS	     0x1f1
#define BP_SYSSIZE	     0x1f4
#define BP_BOOT_FLAG	     0x1fe
#define BP_HEADER	     0x202
#define BP_VERSION	     0x206
#define BP_TYPE_OF_LOADER    0x210
#define BP_LOADFLAGS	     0x211
#define BP_CODE32_START	     0x214
#define BP_RAMDISK_IMAGE     0x218
#define BP_RAMDISK_SIZE	     0x21c
#define BP_HEAP_END_PTR	     0x224
#define BP_CMD_LINE_PTR	     0x228
#define BP_INITRD_ADDR_MAX   0x22c
#define BP_CMDLINE_SIZE	     0x238
#define BP_SUBARCH_DATA	     0x240
#define BP_SETUP_DATA	     0x250
#define BP_PREF_ADDRESS	     0x258
#define BP_INIT_SIZE	     0x260
#define BP_E820_TABLE	     0x2d0
#define BP_SIZE		     4096

/* linux.ld's values for the header: their addresses are the values. */
extern char linux_syssize[];

#define PAGE_SIZE_4K 4096u
#define LOADED_HIGH  0x01
#define CAN_USE_HEAP 0x80
#define BOOT_CS	     0x10
#define BOOT_DS	     0x18
#define RSDP_GPA     0xf0000

static const u8 *bp;

static u8 bp8(u32 off)
{
	return bp[off];
}

static u16 bp16(u32 off)
{
	u16 v;

	memcpy(&v, bp + off, sizeof(v));
	return v;
}

static u32 bp32(u32 off)
{
	u32 v;

	memcpy(&v, bp + off, sizeof(v));
	return v;
}

static u64 bp64(u32 off)
{
	u64 v;

	memcpy(&v, bp + off, sizeof(v));
	return v;
}

static bool overlaps(u32 a, u32 a_len, u32 b, u32 b_len)
{
	return a < b + b_len && b < a + a_len;
}

/* ---- the processor at code32_start ------------------------------------- */

/* A GDT entry: present, 4 GiB flat (base 0, limit 0xfffff pages), 32-bit,
 * code or data with the given type bits set. SDM 3A 3.4.5. */
static bool is_flat(u64 d, bool code, u32 type_bits)
{
	u32 base = (u32)((d >> 16) & 0xffffff) | (u32)((d >> 56) << 24);
	u32 limit = (u32)(d & 0xffff) | (u32)(((d >> 48) & 0xf) << 16);
	u32 type = (u32)(d >> 40) & 0xf;
	bool s = d >> 44 & 1, p = d >> 47 & 1, db = d >> 54 & 1,
	     g = d >> 55 & 1;

	return base == 0 && limit == 0xfffff && s && p && db && g &&
	       !!(type & 0x8) == code && (type & type_bits) == type_bits;
}

static void gdt_check(void)
{
	const struct linux_entry_state *e = &linux_entry;
	u64 cs, ds;

	if (!checkf(e->gdt_limit >= BOOT_DS + 7,
		    "GDT at 0x%x, limit 0x%x, holds __BOOT_DS", e->gdt_base,
		    e->gdt_limit))
		return;
	memcpy(&cs, (const void *)(e->gdt_base + BOOT_CS), sizeof(cs));
	memcpy(&ds, (const void *)(e->gdt_base + BOOT_DS), sizeof(ds));
	checkf(is_flat(cs, true, 0x2),
	       "GDT 0x10: flat 4 GiB execute/read code (0x%08x%08x)",
	       (u32)(cs >> 32), (u32)cs);
	checkf(is_flat(ds, false, 0x2),
	       "GDT 0x18: flat 4 GiB read/write data (0x%08x%08x)",
	       (u32)(ds >> 32), (u32)ds);
	checkf(e->gdt_base + e->gdt_limit < MEM_BYTES &&
		       !overlaps(e->gdt_base, e->gdt_limit + 1u,
				 (u32)_image_start,
				 (u32)(_image_end - _image_start)),
	       "GDT lies in RAM, clear of the kernel");
}

static void entry_check(u32 magic, u32 info)
{
	const struct linux_entry_state *e = &linux_entry;

	check_eq(magic, LINUX_ENTRY_MAGIC, "entered at code32_start");
	checkf(e->esi == info && e->esi != 0, "ESI 0x%x holds the boot_params",
	       e->esi);
	check_eq(e->ebx, 0, "EBX is 0");
	check_eq(e->ebp, 0, "EBP is 0");
	check_eq(e->edi, 0, "EDI is 0");
	check_eq(e->cs, BOOT_CS, "CS is __BOOT_CS");
	checkf(e->ds == BOOT_DS && e->es == BOOT_DS && e->ss == BOOT_DS,
	       "DS, ES, SS are __BOOT_DS (0x%x 0x%x 0x%x)", e->ds, e->es,
	       e->ss);
	checkf((e->cr0 & X86_CR0_PE) && !(e->cr0 & X86_CR0_PG),
	       "protected mode, paging off (CR0 0x%x)", e->cr0);
	checkf(!(e->eflags & (X86_EFLAGS_IF | X86_EFLAGS_VM)),
	       "interrupts off, not virtual-8086 (EFLAGS 0x%x)", e->eflags);
	gdt_check();
}

/* ---- boot_params ------------------------------------------------------- */

static void header_check(void)
{
	check(memcmp(bp + BP_HEADER, "HdrS", 4) == 0, "boot_params: HdrS");
	check_eq(bp16(BP_VERSION), LINUX_PROTOCOL, "boot_params: version");
	check_eq(bp8(BP_SETUP_SECTS), LINUX_SETUP_SECTS,
		 "boot_params: setup_sects");
	check_eq(bp16(BP_BOOT_FLAG), 0xaa55, "boot_params: boot_flag");
	check_eq(bp32(BP_SYSSIZE), (u32)linux_syssize, "boot_params: syssize");
	check_eq(bp32(BP_CODE32_START), (u32)linux_start,
		 "boot_params: code32_start");
	check_eq(bp32(BP_INITRD_ADDR_MAX), LINUX_INITRD_ADDR_MAX,
		 "boot_params: initrd_addr_max");
	check_eq(bp32(BP_CMDLINE_SIZE), LINUX_CMDLINE_SIZE,
		 "boot_params: cmdline_size");
	check_eq((i64)bp64(BP_SUBARCH_DATA), LINUX_SUBARCH_DATA,
		 "boot_params: hardware_subarch_data copied");
	check_eq((i64)bp64(BP_PREF_ADDRESS), 0x100000,
		 "boot_params: pref_address");
	check_eq(bp32(BP_INIT_SIZE), (u32)(_image_end - _image_start),
		 "boot_params: init_size");
	check_eq((i64)bp64(BP_SETUP_DATA), 0, "boot_params: no setup_data");
	for (u32 off = LINUX_HDR_END; off < LINUX_HDR_HOLE_END; off++)
		if (bp8(off) != 0) {
			failf("boot_params byte 0x%x is 0x%x: copied past the "
			      "setup header's end 0x%x",
			      off, bp8(off), LINUX_HDR_END);
			return;
		}
	check(true, "boot_params: nothing past the setup header copied");
}

static void loader_fields_check(void)
{
	u8 flags = bp8(BP_LOADFLAGS);

	check_eq(bp8(BP_TYPE_OF_LOADER), 0xff,
		 "boot_params: type_of_loader 0xff (undefined)");
	checkf((flags & LOADED_HIGH) && (flags & CAN_USE_HEAP),
	       "boot_params: loadflags 0x%x: LOADED_HIGH, CAN_USE_HEAP", flags);
	checkf(bp16(BP_HEAP_END_PTR) != 0, "boot_params: heap_end_ptr 0x%x",
	       bp16(BP_HEAP_END_PTR));
	check_eq(bp8(BP_ORIG_VIDEO_ISVGA), 0,
		 "boot_params: orig_video_isVGA 0 (no VGA)");
	checkf(bp32(BP_EXT_RAMDISK_IMAGE) == 0 &&
		       bp32(BP_EXT_RAMDISK_SIZE) == 0 &&
		       bp32(BP_EXT_CMD_LINE_PTR) == 0,
	       "boot_params: nothing above 4 GiB (ext_* fields 0)");
}

static void cmdline_check(u32 bp_gpa)
{
	u32 ptr = bp32(BP_CMD_LINE_PTR);
	const char *c = (const char *)ptr;
	u32 len;

	if (!checkf(ptr >= PAGE_SIZE_4K && ptr < MEM_BYTES,
		    "cmd_line_ptr 0x%x is in RAM", ptr))
		return;
	len = strnlen(c, MEM_BYTES - ptr);
	checkf(strcmp(c, CMDLINE) == 0, "command line is '%s'", c);
	checkf(len <= LINUX_CMDLINE_SIZE, "command line within cmdline_size");
	checkf(!overlaps(ptr, len + 1, (u32)_image_start, bp32(BP_INIT_SIZE)) &&
		       !overlaps(ptr, len + 1, bp_gpa, BP_SIZE) &&
		       !overlaps(ptr, len + 1, bp32(BP_RAMDISK_IMAGE),
				 bp32(BP_RAMDISK_SIZE)),
	       "command line clear of the kernel, boot_params and initrd");
}

static void initrd_check(u32 bp_gpa)
{
	u32 at = bp32(BP_RAMDISK_IMAGE), size = bp32(BP_RAMDISK_SIZE);
	const u8 *p = (const u8 *)at;
	bool gap_zero = true;

	check_eq(size, INITRD_SIZE, "initrd size: both modules, padded");
	if (!checkf(at >= (u32)_image_end && size <= MEM_BYTES - at,
		    "initrd [0x%x, +0x%x) in RAM above the kernel", at, size))
		return;
	checkf(at % PAGE_SIZE_4K == 0, "initrd at 0x%x is page aligned", at);
	checkf(at + size - 1 <= LINUX_INITRD_ADDR_MAX,
	       "initrd ends below initrd_addr_max");
	checkf(!overlaps(at, size, bp_gpa, BP_SIZE),
	       "initrd clear of boot_params");
	if (size != INITRD_SIZE)
		return;
	check(memcmp(p + INITRD_1_AT, INITRD_1, sizeof(INITRD_1) - 1) == 0,
	      "initrd bytes: module 1");
	for (u32 i = sizeof(INITRD_1) - 1; i < INITRD_2_AT; i++)
		gap_zero = gap_zero && p[i] == 0;
	check(gap_zero, "initrd bytes: zero padding to 4 bytes");
	check(memcmp(p + INITRD_2_AT, INITRD_2, sizeof(INITRD_2) - 1) == 0,
	      "initrd bytes: module 2");
}

static void e820_check(void)
{
	static const struct {
		u64 base, len;
		u32 type;
	} want[3] = {
		{0, 0x9fc00, 1},
		{0x9fc00, 0x60400, 2},
		{0x100000, MEM_BYTES - 0x100000, 1},
	};

	if (!check_eq(bp8(BP_E820_ENTRIES), 3, "e820: 3 entries"))
		return;
	for (u32 i = 0; i < 3; i++) {
		u32 e = BP_E820_TABLE + i * 20;

		checkf(bp64(e) == want[i].base && bp64(e + 8) == want[i].len &&
			       bp32(e + 16) == want[i].type,
		       "e820 entry %u: base 0x%llx len 0x%llx type %u", i,
		       bp64(e), bp64(e + 8), bp32(e + 16));
	}
	check_eq(bp32(BP_ALT_MEM_K), (MEM_BYTES - 0x100000) / 1024,
		 "alt_mem_k: KiB above 1 MiB");
}

static void acpi_check(void)
{
	u64 rsdp = bp64(BP_ACPI_RSDP_ADDR);
	const u8 *p = (const u8 *)RSDP_GPA;
	u8 sum = 0;

	if (!check_eq((i64)rsdp, RSDP_GPA, "acpi_rsdp_addr is the RSDP"))
		return;
	for (u32 i = 0; i < 20; i++)
		sum += p[i];
	checkf(memcmp(p, "RSD PTR ", 8) == 0 && sum == 0,
	       "RSDP signature and checksum at acpi_rsdp_addr");
}

u32 guest_main(u32 magic, u32 info)
{
	const struct platform_expect pex = {NAME, 1, MEM_BYTES};

	gprintf("hello from a Linux boot protocol guest, boot_params at "
		"0x%x\n",
		info);
	entry_check(magic, info);
	bp = (const u8 *)info;
	if (checkf(info >= PAGE_SIZE_4K && info <= MEM_BYTES - BP_SIZE &&
			   !overlaps(info, BP_SIZE, (u32)_image_start,
				     (u32)(_image_end - _image_start)),
		   "boot_params in RAM, clear of the kernel")) {
		header_check();
		loader_fields_check();
		cmdline_check(info);
		initrd_check(info);
		e820_check();
		acpi_check();
	}
	platform_check(&pex);
	return report();
}
