// SPDX-License-Identifier: MIT
/*
 * The bytes of a partition's ACPI tables (include/vacpi.h): what a guest
 * finds when it looks for ACPI as an OS on a PC does. Shade's platform
 * has no firmware, so this file plays the firmware's part: it describes
 * the virtual devices of docs/platform.md in the tables an OS reads
 * before touching any of them.
 *
 *	0xe0000	RSDT	root table, 32-bit pointers: FADT, MADT
 *	0xe0040	XSDT	the same pointers, 64 bits wide (ACPI 2.0+)
 *	0xe0080	FACS	64-byte aligned; no waking vector (no sleep states
 *			but S5)
 *	0xe0100	FADT	the fixed hardware: PM1a event and control blocks,
 *			PM timer, reset register, boot architecture flags;
 *			points at the FACS and the DSDT
 *	0xe0240	DSDT	AML: only Name (_S5, ...) for power off
 *	0xe0280	MADT	one local APIC per vCPU, the LINT1 NMI; no I/O APIC
 *	0xf0000	RSDP	points at the RSDT and the XSDT
 *
 * Section numbers are from the ACPI 6.5 specification; the tables are the
 * revisions of ACPI 5.0 (FADT 5, MADT 3, FACS 2), which every ACPI 2.0+
 * OS reads. arch/x86/acpi.c reads firmware tables the other way round;
 * tests/unit/test_vacpi.c feeds it these.
 *
 * Context: pure. Boot CPU at partition creation, and host unit tests.
 */
#include "types.h"
#include "errno.h"
#include "kstring.h"
#include "vacpi.h"
#include "vlapic.h"
#include "vlegacy.h"

#define OEM_ID		 "SHADE "   /* 6 characters, space padded */
#define OEM_TABLE_ID	 "SHADEPC " /* 8 */
#define OEM_REVISION	 1
#define CREATOR_ID	 "SHDE" /* no ASL compiler made these bytes */
#define CREATOR_REVISION 1

/* Root System Description Pointer (5.2.5.3). */
struct rsdp {
	char sig[8]; /* "RSD PTR " */
	u8 checksum; /* the first 20 bytes sum to 0 */
	char oem_id[6];
	u8 revision; /* 2: ACPI 2.0 and later, with the XSDT */
	u32 rsdt_address;
	u32 length;
	u64 xsdt_address;
	u8 ext_checksum; /* all 36 bytes sum to 0 */
	u8 reserved[3];
} __packed;
_Static_assert(sizeof(struct rsdp) == VACPI_RSDP_LEN, "RSDP layout");
_Static_assert(offsetof(struct rsdp, length) == VACPI_RSDP_V1_LEN,
	       "ACPI 1.0 RSDP");

/* The header of every other table but the FACS (5.2.6). */
struct sdt_header {
	char sig[4];
	u32 length; /* of the whole table */
	u8 revision;
	u8 checksum; /* the whole table sums to 0 */
	char oem_id[6];
	char oem_table_id[8];
	u32 oem_revision;
	char creator_id[4];
	u32 creator_revision;
} __packed;
_Static_assert(sizeof(struct sdt_header) == 36, "SDT header layout");

#define NROOT_ENTRIES 2 /* FADT, MADT */

struct rsdt {
	struct sdt_header hdr;
	u32 entry[NROOT_ENTRIES];
} __packed;

struct xsdt {
	struct sdt_header hdr;
	u64 entry[NROOT_ENTRIES]; /* unaligned (offset 36), as always */
} __packed;

/* Generic Address Structure (5.2.3.2). */
struct gas {
	u8 space_id;
	u8 bit_width;
	u8 bit_offset;
	u8 access_size;
	u64 address;
} __packed;
_Static_assert(sizeof(struct gas) == 12, "GAS layout");

#define GAS_SYSTEM_IO	 0x01
#define GAS_ACCESS_BYTE	 1
#define GAS_ACCESS_WORD	 2
#define GAS_ACCESS_DWORD 3

/* Fixed ACPI Description Table, revision 5 (ACPI 5.0): 268 bytes (5.2.9,
 * table 5.9). */
struct fadt {
	struct sdt_header hdr;
	u32 firmware_ctrl; /* FACS */
	u32 dsdt;
	u8 reserved_44; /* ACPI 1.0 INT_MODEL */
	u8 preferred_pm_profile;
	u16 sci_int;
	u32 smi_cmd;
	u8 acpi_enable, acpi_disable, s4bios_req, pstate_cnt;
	u32 pm1a_evt_blk, pm1b_evt_blk;
	u32 pm1a_cnt_blk, pm1b_cnt_blk;
	u32 pm2_cnt_blk;
	u32 pm_tmr_blk;
	u32 gpe0_blk, gpe1_blk;
	u8 pm1_evt_len, pm1_cnt_len, pm2_cnt_len, pm_tmr_len;
	u8 gpe0_blk_len, gpe1_blk_len, gpe1_base, cst_cnt;
	u16 p_lvl2_lat, p_lvl3_lat;
	u16 flush_size, flush_stride;
	u8 duty_offset, duty_width;
	u8 day_alrm, mon_alrm, century;
	u16 iapc_boot_arch;
	u8 reserved_111;
	u32 flags;
	struct gas reset_reg;
	u8 reset_value;
	u16 arm_boot_arch;     /* ACPI 5.1 */
	u8 fadt_minor_version; /* ACPI 5.1 */
	u64 x_firmware_ctrl;
	u64 x_dsdt;
	struct gas x_pm1a_evt_blk, x_pm1b_evt_blk;
	struct gas x_pm1a_cnt_blk, x_pm1b_cnt_blk;
	struct gas x_pm2_cnt_blk;
	struct gas x_pm_tmr_blk;
	struct gas x_gpe0_blk, x_gpe1_blk;
	struct gas sleep_control_reg, sleep_status_reg; /* ACPI 5.0 */
} __packed;
_Static_assert(offsetof(struct fadt, sci_int) == 46, "FADT SCI_INT");
_Static_assert(offsetof(struct fadt, pm1a_evt_blk) == 56, "FADT PM1a_EVT");
_Static_assert(offsetof(struct fadt, pm_tmr_blk) == 76, "FADT PM_TMR_BLK");
_Static_assert(offsetof(struct fadt, pm1_evt_len) == 88, "FADT lengths");
_Static_assert(offsetof(struct fadt, iapc_boot_arch) == 109, "FADT boot");
_Static_assert(offsetof(struct fadt, flags) == 112, "FADT flags");
_Static_assert(offsetof(struct fadt, reset_reg) == 116, "FADT RESET_REG");
_Static_assert(offsetof(struct fadt, x_firmware_ctrl) == 132, "FADT X_");
_Static_assert(offsetof(struct fadt, x_pm_tmr_blk) == 208, "FADT X_PM_TMR");
_Static_assert(sizeof(struct fadt) == 268, "FADT revision 5");

#define FADT_REVISION	       5
/* Preferred_PM_Profile 0: unspecified. */
#define PM_PROFILE_UNSPECIFIED 0
/* A worst-case latency above 100 (C2) or 1000 (C3) microseconds says the
 * state is not supported (5.2.9): HLT (C1) is all a vCPU has. */
#define P_LVL2_NOT_SUPPORTED   101
#define P_LVL3_NOT_SUPPORTED   1001

/* IA-PC boot architecture flags (5.2.9.3). */
#define BOOT_LEGACY_DEVICES  BIT(0) /* ISA-era devices: PIC, PIT, RTC */
#define BOOT_8042	     BIT(1) /* ports 0x60/0x64 exist */
#define BOOT_VGA_NOT_PRESENT BIT(2) /* no VGA: 0xa0000 is plain RAM */

/* Fixed feature flags (table 5.10). */
#define FADT_WBINVD	   BIT(0) /* WBINVD flushes caches as it should */
#define FADT_PROC_C1	   BIT(2) /* HLT works on every processor */
#define FADT_PWR_BUTTON	   BIT(4) /* 1: no fixed-feature power button */
#define FADT_SLP_BUTTON	   BIT(5) /* 1: no fixed-feature sleep button */
#define FADT_FIX_RTC	   BIT(6) /* 1: no RTC wake status in PM1 */
#define FADT_TMR_VAL_EXT   BIT(8) /* 1 would mean a 32-bit PM timer */
#define FADT_RESET_REG_SUP BIT(10)

#define FADT_FLAGS                                                        \
	(FADT_WBINVD | FADT_PROC_C1 | FADT_PWR_BUTTON | FADT_SLP_BUTTON | \
	 FADT_FIX_RTC | FADT_RESET_REG_SUP)
_Static_assert(!(FADT_FLAGS & FADT_TMR_VAL_EXT), "the PM timer is 24-bit");

/* The reset register: writing 0x06 (system reset, full reset) to the
 * reset control register at 0xcf9 (vmm/vmisc.c). */
#define RESET_PORT  0xcf9
#define RESET_VALUE 0x06

/* PM1 block lengths in bytes: status + enable, control, timer. */
#define PM1_EVT_LEN 4
#define PM1_CNT_LEN 2
#define PM_TMR_LEN  4

/* Firmware ACPI Control Structure, version 2 (5.2.10): no checksum, no
 * SDT header; 64 bytes, 64-byte aligned. */
struct facs {
	char sig[4];
	u32 length;
	u32 hardware_signature;
	u32 firmware_waking_vector;
	u32 global_lock;
	u32 flags;
	u64 x_firmware_waking_vector;
	u8 version;
	u8 reserved[3];
	u32 ospm_flags;
	u8 reserved2[24];
} __packed;
_Static_assert(sizeof(struct facs) == 64, "FACS layout");

#define FACS_VERSION 2

/* Multiple APIC Description Table, revision 3 (5.2.12). */
struct madt {
	struct sdt_header hdr;
	u32 lapic_address;
	u32 flags;
} __packed;
_Static_assert(sizeof(struct madt) == 44, "MADT layout");

#define MADT_REVISION	    3
#define MADT_PCAT_COMPAT    BIT(0) /* the dual 8259 exists (vmm/vpic.c) */
#define MADT_TYPE_LAPIC	    0
#define MADT_TYPE_LAPIC_NMI 4
#define MADT_LAPIC_ENABLED  BIT(0)

struct madt_lapic {
	u8 type, length;
	u8 uid; /* ACPI processor UID */
	u8 apic_id;
	u32 flags;
} __packed;
_Static_assert(sizeof(struct madt_lapic) == 8, "MADT local APIC");

struct madt_lapic_nmi {
	u8 type, length;
	u8 uid;	   /* 0xff: all processors */
	u16 flags; /* MPS INTI flags */
	u8 lint;
} __packed;
_Static_assert(sizeof(struct madt_lapic_nmi) == 6, "MADT local APIC NMI");

#define MADT_ALL_PROCESSORS  0xff
/* MPS INTI flags (table 5.26): polarity active high (01), trigger edge
 * (01 << 2), as an NMI on LINT1 is wired on PCs. */
#define MPS_INTI_ACTIVE_HIGH 0x1
#define MPS_INTI_EDGE	     (0x1 << 2)
#define NMI_LINT	     1

#define MADT_MAX_BYTES                                                      \
	(sizeof(struct madt) + VACPI_MAX_CPUS * sizeof(struct madt_lapic) + \
	 sizeof(struct madt_lapic_nmi))

#define RSDT_REVISION 1
#define XSDT_REVISION 1
#define DSDT_REVISION 2 /* 2 and up: AML integers are 64 bits */

/* AML encodings (20.2). */
#define AML_ZERO_OP	0x00
#define AML_NAME_OP	0x08
#define AML_BYTE_PREFIX 0x0a
#define AML_PACKAGE_OP	0x12

/*
 * The whole of the DSDT's AML: Name (_S5, Package () { 5, 5, 0, 0 }),
 * byte by byte as iasl would assemble it at the root scope (the DSDT's
 * scope is \, so "_S5_" names \_S5). The package holds SLP_TYPa and
 * SLP_TYPb, the values an OS writes to PM1a_CNT.SLP_TYP (and PM1b, which
 * does not exist here) with SLP_EN to enter S5 (7.4.2); vmm/vmisc.c stops
 * the partition when it sees that value. The two reserved elements are
 * there because OSes index the package blindly.
 */
#define S5_PKG_START \
	6 /* the PkgLength byte follows NameOp, NameSeg, PackageOp */
static const u8 dsdt_aml[] = {
	AML_NAME_OP, /* NameOp */
	'_',
	'S',
	'5',
	'_',		/* NameSeg "_S5_" */
	AML_PACKAGE_OP, /* PackageOp */
	0x08,		/* PkgLength: 1 byte (bits 7-6 = 0), counting
				       itself and the 7 bytes that follow */
	0x04,		/* NumElements */
	AML_BYTE_PREFIX,
	VPM_S5_SLP_TYP, /* SLP_TYPa: BytePrefix 5 */
	AML_BYTE_PREFIX,
	VPM_S5_SLP_TYP, /* SLP_TYPb */
	AML_ZERO_OP,	/* reserved: ZeroOp */
	AML_ZERO_OP,	/* reserved */
};
_Static_assert(sizeof(dsdt_aml) - S5_PKG_START == 0x08, "_S5 PkgLength");
_Static_assert(VPM_S5_SLP_TYP < 8, "SLP_TYP is a 3-bit field");

struct dsdt {
	struct sdt_header hdr;
	u8 aml[sizeof(dsdt_aml)];
} __packed;

/* The layout of include/vacpi.h, checked: no table runs into the next. */
#define AREA_OFF(gpa) ((gpa)-VACPI_AREA_GPA)
_Static_assert(VACPI_RSDT_GPA + sizeof(struct rsdt) <= VACPI_XSDT_GPA, "RSDT");
_Static_assert(VACPI_XSDT_GPA + sizeof(struct xsdt) <= VACPI_FACS_GPA, "XSDT");
_Static_assert(VACPI_FACS_GPA % 64 == 0, "FACS alignment");
_Static_assert(VACPI_FACS_GPA + sizeof(struct facs) <= VACPI_FADT_GPA, "FACS");
_Static_assert(VACPI_FADT_GPA + sizeof(struct fadt) <= VACPI_DSDT_GPA, "FADT");
_Static_assert(VACPI_DSDT_GPA + sizeof(struct dsdt) <= VACPI_MADT_GPA, "DSDT");
_Static_assert(AREA_OFF(VACPI_MADT_GPA) + MADT_MAX_BYTES <= VACPI_TABLES_BYTES,
	       "MADT");
_Static_assert(VACPI_AREA_GPA + VACPI_TABLES_BYTES <= VACPI_RSDP_GPA, "area");
_Static_assert(VACPI_RSDP_GPA % 16 == 0, "the RSDP is found on 16-byte steps");
_Static_assert(VACPI_RSDP_GPA + VACPI_RSDP_LEN <= VACPI_AREA_END, "RSDP");
_Static_assert(VACPI_AREA_END <= 1ULL << 32, "32-bit pointers reach it");

/* The value that makes len bytes at p sum to 0 with it. */
static u8 acpi_checksum(const void *p, u32 len)
{
	const u8 *b = p;
	u8 sum = 0;

	while (len--)
		sum += *b++;
	return (u8)-sum;
}

/* Fill a header; the checksum is set last, by sdt_seal(). */
static void sdt_header(struct sdt_header *h, const char *sig, u32 length,
		       u8 revision)
{
	memcpy(h->sig, sig, sizeof(h->sig));
	h->length = length;
	h->revision = revision;
	memcpy(h->oem_id, OEM_ID, sizeof(h->oem_id));
	memcpy(h->oem_table_id, OEM_TABLE_ID, sizeof(h->oem_table_id));
	h->oem_revision = OEM_REVISION;
	memcpy(h->creator_id, CREATOR_ID, sizeof(h->creator_id));
	h->creator_revision = CREATOR_REVISION;
}

static void sdt_seal(struct sdt_header *h)
{
	h->checksum = 0;
	h->checksum = acpi_checksum(h, h->length);
}

static void *at(u8 *buf, u64 gpa)
{
	return buf + AREA_OFF(gpa);
}

static void build_roots(u8 *buf)
{
	struct rsdt *r = at(buf, VACPI_RSDT_GPA);
	struct xsdt *x = at(buf, VACPI_XSDT_GPA);
	static const u64 tables[NROOT_ENTRIES] = {VACPI_FADT_GPA,
						  VACPI_MADT_GPA};

	sdt_header(&r->hdr, "RSDT", sizeof(*r), RSDT_REVISION);
	sdt_header(&x->hdr, "XSDT", sizeof(*x), XSDT_REVISION);
	for (u32 i = 0; i < NROOT_ENTRIES; i++) {
		r->entry[i] = (u32)tables[i];
		x->entry[i] = tables[i];
	}
	sdt_seal(&r->hdr);
	sdt_seal(&x->hdr);
}

static struct gas io_gas(u16 port, u8 bytes, u8 access_size)
{
	return (struct gas){.space_id = GAS_SYSTEM_IO,
			    .bit_width = (u8)(bytes * 8),
			    .access_size = access_size,
			    .address = port};
}

/* The PM blocks (vmm/vmisc.c), each both as a port and as a GAS. */
static void fadt_pm_blocks(struct fadt *f)
{
	f->pm1a_evt_blk = VPM_BASE_PORT;
	f->pm1_evt_len = PM1_EVT_LEN;
	f->pm1a_cnt_blk = VPM_CNT_PORT;
	f->pm1_cnt_len = PM1_CNT_LEN;
	f->pm_tmr_blk = VPM_TMR_PORT;
	f->pm_tmr_len = PM_TMR_LEN;
	/* PM1 status and enable are 16-bit registers, hence word access. */
	f->x_pm1a_evt_blk = io_gas(VPM_BASE_PORT, PM1_EVT_LEN, GAS_ACCESS_WORD);
	f->x_pm1a_cnt_blk = io_gas(VPM_CNT_PORT, PM1_CNT_LEN, GAS_ACCESS_WORD);
	f->x_pm_tmr_blk = io_gas(VPM_TMR_PORT, PM_TMR_LEN, GAS_ACCESS_DWORD);
}

static void build_fadt(u8 *buf)
{
	struct fadt *f = at(buf, VACPI_FADT_GPA);

	sdt_header(&f->hdr, "FACP", sizeof(*f), FADT_REVISION);
	f->firmware_ctrl = (u32)VACPI_FACS_GPA;
	f->x_firmware_ctrl = VACPI_FACS_GPA;
	f->dsdt = (u32)VACPI_DSDT_GPA;
	f->x_dsdt = VACPI_DSDT_GPA;
	f->preferred_pm_profile = PM_PROFILE_UNSPECIFIED;
	f->sci_int = VPM_SCI_IRQ;
	/* SMI_CMD 0: no SMI command port, the hardware is always in ACPI
	 * mode (SCI_EN reads 1), so ACPI_ENABLE/ACPI_DISABLE stay 0. */
	f->smi_cmd = 0;
	fadt_pm_blocks(f);
	f->p_lvl2_lat = P_LVL2_NOT_SUPPORTED;
	f->p_lvl3_lat = P_LVL3_NOT_SUPPORTED;
	/* The CMOS byte with the century (vmm/vrtc.c keeps it there). */
	f->century = VRTC_CENTURY;
	f->iapc_boot_arch =
		BOOT_LEGACY_DEVICES | BOOT_8042 | BOOT_VGA_NOT_PRESENT;
	f->flags = FADT_FLAGS;
	f->reset_reg = io_gas(RESET_PORT, 1, GAS_ACCESS_BYTE);
	f->reset_value = RESET_VALUE;
	sdt_seal(&f->hdr);
}

static void build_facs(u8 *buf)
{
	struct facs *s = at(buf, VACPI_FACS_GPA);

	memcpy(s->sig, "FACS", sizeof(s->sig));
	s->length = sizeof(*s);
	s->version = FACS_VERSION;
}

static void build_dsdt(u8 *buf)
{
	struct dsdt *d = at(buf, VACPI_DSDT_GPA);

	sdt_header(&d->hdr, "DSDT", sizeof(*d), DSDT_REVISION);
	memcpy(d->aml, dsdt_aml, sizeof(dsdt_aml));
	sdt_seal(&d->hdr);
}

/*
 * One enabled local APIC per vCPU, APIC ID and ACPI processor UID both
 * the vCPU index (vlapic_init() gives each vCPU that ID), and LINT1 as
 * NMI on all of them. No I/O APIC entry and no interrupt source
 * overrides: Shade has no I/O APIC, so the ISA interrupts reach vCPU 0
 * through the 8259 pair and its LINT0 (ExtINT), which PCAT_COMPAT
 * announces.
 */
static void build_madt(u8 *buf, u32 ncpus)
{
	struct madt *m = at(buf, VACPI_MADT_GPA);
	struct madt_lapic *l = (struct madt_lapic *)(m + 1);
	struct madt_lapic_nmi *nmi = (struct madt_lapic_nmi *)(l + ncpus);

	sdt_header(&m->hdr, "APIC", (u32)((u8 *)(nmi + 1) - (u8 *)m),
		   MADT_REVISION);
	m->lapic_address = (u32)VLAPIC_DEFAULT_BASE;
	m->flags = MADT_PCAT_COMPAT;
	for (u32 i = 0; i < ncpus; i++)
		l[i] = (struct madt_lapic){.type = MADT_TYPE_LAPIC,
					   .length = sizeof(*l),
					   .uid = (u8)i,
					   .apic_id = (u8)i,
					   .flags = MADT_LAPIC_ENABLED};
	*nmi = (struct madt_lapic_nmi){.type = MADT_TYPE_LAPIC_NMI,
				       .length = sizeof(*nmi),
				       .uid = MADT_ALL_PROCESSORS,
				       .flags = MPS_INTI_ACTIVE_HIGH |
						MPS_INTI_EDGE,
				       .lint = NMI_LINT};
	sdt_seal(&m->hdr);
}

int vacpi_tables_build(u32 ncpus, u8 *buf)
{
	if (ncpus < 1 || ncpus > VACPI_MAX_CPUS)
		return -EINVAL;
	memset(buf, 0, VACPI_TABLES_BYTES);
	build_roots(buf);
	build_facs(buf);
	build_fadt(buf);
	build_dsdt(buf);
	build_madt(buf, ncpus);
	return 0;
}

void vacpi_rsdp_build(u8 out[VACPI_RSDP_LEN])
{
	struct rsdp r = {
		.revision = 2,
		.rsdt_address = (u32)VACPI_RSDT_GPA,
		.length = VACPI_RSDP_LEN,
		.xsdt_address = VACPI_XSDT_GPA,
	};

	memcpy(r.sig, "RSD PTR ", sizeof(r.sig));
	memcpy(r.oem_id, OEM_ID, sizeof(r.oem_id));
	r.checksum = acpi_checksum(&r, VACPI_RSDP_V1_LEN);
	r.ext_checksum = acpi_checksum(&r, sizeof(r));
	memcpy(out, &r, sizeof(r));
}
