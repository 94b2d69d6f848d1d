// SPDX-License-Identifier: MIT
/*
 * acpi: the ACPI tables of a partition, read as an OS reads them
 * (tests/integration/platform-acpi.sh, docs/platform.md). The RSDP is
 * found by scanning 0xe0000-0xfffff on 16-byte boundaries and must equal
 * the copies in the multiboot2 ACPI tags; every checksum is verified; the
 * RSDT and the XSDT must list the same tables; the MADT must list exactly
 * the partition's vCPUs (count from HC_PARTITION_INFO), whose CPUID and
 * local APIC IDs each vCPU checks itself; the FADT's PM blocks, reset
 * register and flags are compared with the platform's ports, and the PM
 * timer is read: 24 bits, counting at 3.579545 MHz against the TSC
 * (CPUID 0x40000010). The DSDT's \_S5 package gives SLP_TYP, and the
 * guest ends as an OS powers off: SLP_TYP | SLP_EN to PM1a_CNT, which
 * stops the partition with status 0. If any check failed it exits
 * through port 0xf4 with the failure count instead, so that status 0
 * means both "all passed" and "S5 works".
 *
 * Runs with cpus=2 or more for the MADT count to mean something.
 */
#include "guest.h"
#include "apic.h"

#define AREA_START 0xe0000u
#define AREA_END   0x100000u
#define RSDP_STEP  16
#define SDT_HDR	   36
#define TABLE_MAX  0x10000u /* no table here comes near it */

/* The platform's ports (docs/platform.md; Shade's include/vlegacy.h). */
#define PM1A_EVT_PORT 0x600
#define PM1A_CNT_PORT 0x604
#define PM_TMR_PORT   0x608
#define PM_TIMER_HZ   3579545u
#define SCI_IRQ	      9
#define S5_SLP_TYP    5 /* VPM_S5_SLP_TYP */

/* PM1 control register bits (ACPI 6.5, 4.8.4.2.1). */
#define PM1_CNT_SCI_EN	      (1u << 0)
#define PM1_CNT_SLP_TYP_SHIFT 10
#define PM1_CNT_SLP_EN	      (1u << 13)

#define APIC_BASE_ADDR 0xfffff000u

#define MAX_VCPUS   8
#define STACK_SIZE  4096
#define WAIT_ROUNDS 100000000u

/* What the walk found, for the later checks. */
struct acpi_seen {
	u32 rsdp;
	u32 fadt, madt, facs, dsdt;
};

static struct boot_info bi;
static struct partition_info pi;

static u16 rd16(u32 a)
{
	u16 v;

	memcpy(&v, (const void *)a, sizeof(v));
	return v;
}

static u32 rd32(u32 a)
{
	u32 v;

	memcpy(&v, (const void *)a, sizeof(v));
	return v;
}

static u64 rd64(u32 a)
{
	u64 v;

	memcpy(&v, (const void *)a, sizeof(v));
	return v;
}

static u8 sum(u32 a, u32 len)
{
	const u8 *p = (const u8 *)a;
	u8 s = 0;

	while (len--)
		s += *p++;
	return s;
}

/* Is [a, a + len) inside one memory map range that is not available RAM
 * (an OS would otherwise reuse the tables as free memory)? */
static bool in_reserved_memory(u32 a, u32 len)
{
	for (u32 i = 0; i < bi.nmmap; i++) {
		const struct boot_mmap *e = &bi.mmap[i];

		if (a >= e->base && (u64)a + len <= e->base + e->len)
			return e->type != MMAP_AVAILABLE;
	}
	return false;
}

/* ---- RSDP ------------------------------------------------------------ */

/* The OS's way: every 16 bytes, signature and ACPI 1.0 checksum. */
static u32 rsdp_scan(void)
{
	u32 found = 0, n = 0;

	for (u32 a = AREA_START; a < AREA_END; a += RSDP_STEP) {
		if (memcmp((const void *)a, "RSD PTR ", 8) == 0 &&
		    sum(a, 20) == 0) {
			if (!found)
				found = a;
			n++;
		}
	}
	checkf(n == 1,
	       "RSDP: %u found scanning 0xe0000-0xfffff on 16-byte "
	       "boundaries (expected 1), at 0x%x",
	       n, found);
	return found;
}

static void rsdp_check(u32 r)
{
	check_eq(*(const u8 *)(r + 15), 2, "RSDP: revision 2 (ACPI 2.0+)");
	check_eq(rd32(r + 20), 36, "RSDP: length 36");
	check_eq(sum(r, 20), 0, "RSDP: checksum of the first 20 bytes");
	check_eq(sum(r, 36), 0, "RSDP: extended checksum of all 36 bytes");
	check(memcmp((const void *)(r + 9), "SHADE ", 6) == 0,
	      "RSDP: OEM ID 'SHADE '");
	check(in_reserved_memory(r, 36), "RSDP: in reserved memory");
}

/* Multiboot2 tags 14 and 15 (Multiboot2 spec 3.6.12, 3.6.13). */
static void rsdp_tags_check(u32 r)
{
	if (check(bi.acpi_old != NULL, "multiboot2: ACPI old RSDP tag"))
		checkf(bi.acpi_old_len == 20 &&
			       memcmp(bi.acpi_old, (const void *)r, 20) == 0,
		       "multiboot2: ACPI old RSDP tag holds the 20 bytes at "
		       "0x%x (%u bytes)",
		       r, bi.acpi_old_len);
	if (check(bi.acpi_new != NULL, "multiboot2: ACPI new RSDP tag"))
		checkf(bi.acpi_new_len == 36 &&
			       memcmp(bi.acpi_new, (const void *)r, 36) == 0,
		       "multiboot2: ACPI new RSDP tag holds the 36 bytes at "
		       "0x%x (%u bytes)",
		       r, bi.acpi_new_len);
}

/* ---- tables ------------------------------------------------------------ */

/* A table's header checks; returns its length, or 0 (with FAIL lines). */
static u32 table_check(u64 a, const char *sig)
{
	char got[5] = {0};
	u32 len;

	if (!checkf(a >= AREA_START && a < AREA_END,
		    "%s: address 0x%llx in the BIOS area", sig, a))
		return 0;
	memcpy(got, (const void *)(u32)a, 4);
	len = rd32((u32)a + 4);
	if (!checkf(strcmp(got, sig) == 0 && len >= SDT_HDR &&
			    len <= TABLE_MAX && a + len <= AREA_END,
		    "%s at 0x%x: signature '%s', length %u", sig, (u32)a, got,
		    len))
		return 0;
	if (!checkf(sum((u32)a, len) == 0, "%s at 0x%x: checksum", sig, (u32)a))
		return 0;
	checkf(in_reserved_memory((u32)a, len),
	       "%s at 0x%x: in reserved memory", sig, (u32)a);
	return len;
}

/* Note the table at a in *s by its signature; counts the others. */
static void root_entry(struct acpi_seen *s, u32 a, u32 *others)
{
	char sig[5] = {0};

	memcpy(sig, (const void *)a, 4);
	if (strcmp(sig, "FACP") == 0 && !s->fadt && table_check(a, "FACP"))
		s->fadt = a;
	else if (strcmp(sig, "APIC") == 0 && !s->madt && table_check(a, "APIC"))
		s->madt = a;
	else
		(*others)++;
}

/* RSDT (u32 entries) and XSDT (u64 entries): the same list. */
static void roots_check(u32 r, struct acpi_seen *s)
{
	u32 rsdt = rd32(r + 16), xsdt = (u32)rd64(r + 24), n, others = 0;
	u32 rlen = table_check(rsdt, "RSDT"), xlen;
	bool same = true;

	check_eq(rd64(r + 24) >> 32, 0, "RSDP: XSDT address below 4 GiB");
	xlen = table_check(xsdt, "XSDT");
	if (!rlen || !xlen)
		return;
	n = (rlen - SDT_HDR) / 4;
	if (!checkf((rlen - SDT_HDR) % 4 == 0 && (xlen - SDT_HDR) % 8 == 0 &&
			    (xlen - SDT_HDR) / 8 == n,
		    "RSDT and XSDT: whole entries, %u and %u of them", n,
		    (xlen - SDT_HDR) / 8))
		return;
	for (u32 i = 0; i < n; i++)
		same &= rd32(rsdt + SDT_HDR + 4 * i) ==
			rd64(xsdt + SDT_HDR + 8 * i);
	checkf(same, "RSDT and XSDT list the same %u tables in order", n);
	for (u32 i = 0; i < n; i++)
		root_entry(s, rd32(rsdt + SDT_HDR + 4 * i), &others);
	checkf(s->fadt && s->madt && others == 0,
	       "root tables: one FADT, one MADT, nothing else (%u others)",
	       others);
}

/* ---- MADT ---------------------------------------------------------------- */

struct madt_count {
	u32 lapics, ids, uids; /* enabled entries; bitmaps of IDs, UIDs */
	u32 misplaced; /* entries whose UID or APIC ID is not their index */
	u32 ioapics, overrides, x2apics, others;
	u32 nmi_ok, nmis;
};

static void madt_entry(u32 e, struct madt_count *c)
{
	u8 type = *(const u8 *)e, len = *(const u8 *)(e + 1);

	switch (type) {
	case 0: /* processor local APIC */
		if (len == 8 && (rd32(e + 4) & 1)) {
			c->misplaced += *(const u8 *)(e + 2) != c->lapics ||
					*(const u8 *)(e + 3) != c->lapics;
			c->lapics++;
			if (*(const u8 *)(e + 3) < 32)
				c->ids |= 1u << *(const u8 *)(e + 3);
			if (*(const u8 *)(e + 2) < 32)
				c->uids |= 1u << *(const u8 *)(e + 2);
		}
		break;
	case 1: /* I/O APIC */
		c->ioapics++;
		break;
	case 2: /* interrupt source override */
		c->overrides++;
		break;
	case 4: /* local APIC NMI */
		c->nmis++;
		c->nmi_ok += len == 6 && *(const u8 *)(e + 2) == 0xff &&
			     rd16(e + 3) == 0x5 && *(const u8 *)(e + 5) == 1;
		break;
	case 9: /* local x2APIC */
		c->x2apics++;
		break;
	default:
		c->others++;
		break;
	}
}

static void madt_check(u32 m, u32 ncpus)
{
	u32 len = rd32(m + 4), off = 44,
	    all = ncpus >= 32 ? ~0u : (1u << ncpus) - 1;
	struct madt_count c = {0};

	check_eq(rd32(m + 36), XAPIC_BASE, "MADT: local APIC address");
	check_eq(rd32(m + 40), 1, "MADT: flags PCAT_COMPAT (8259s present)");
	while (off + 2 <= len) {
		u8 elen = *(const u8 *)(m + off + 1);

		if (elen < 2 || off + elen > len)
			break;
		madt_entry(m + off, &c);
		off += elen;
	}
	checkf(off == len, "MADT: entries end at the table's end (%u of %u)",
	       off, len);
	checkf(c.lapics == ncpus,
	       "MADT: %u enabled local APICs for the partition's %u vCPUs",
	       c.lapics, ncpus);
	checkf(c.ids == all && c.uids == all,
	       "MADT: APIC IDs and processor UIDs are 0..%u (ID bits 0x%x, UID "
	       "bits 0x%x)",
	       ncpus - 1, c.ids, c.uids);
	checkf(c.misplaced == 0,
	       "MADT: local APIC entry i has UID i and APIC ID i, the vCPU "
	       "index (%u not)",
	       c.misplaced);
	checkf(c.ioapics == 0 && c.overrides == 0 && c.x2apics == 0 &&
		       c.others == 0,
	       "MADT: no I/O APIC, no source override, nothing else "
	       "(%u, %u, %u, %u)",
	       c.ioapics, c.overrides, c.x2apics, c.others);
	checkf(c.nmis == 1 && c.nmi_ok == 1,
	       "MADT: one local APIC NMI entry: all processors, LINT1, edge, "
	       "active high");
}

/* ---- each vCPU's own IDs against the MADT -------------------------------- */

struct vcpu_ids {
	u32 cpuid_apic_id; /* CPUID.1:EBX[31:24] */
	u32 cpuid_count;   /* CPUID.1:EBX[23:16] */
	u32 lapic_id;	   /* xAPIC ID register [31:24] */
	u64 apic_base;	   /* IA32_APIC_BASE */
	volatile u32 done;
};

static struct vcpu_ids ids[MAX_VCPUS];
static u8 stacks[MAX_VCPUS][STACK_SIZE] __aligned(16);
static struct vcpu_boot boots[MAX_VCPUS];

static void read_ids(struct vcpu_ids *id)
{
	struct cpuid_regs r = cpuid(1, 0);

	id->cpuid_apic_id = r.ebx >> 24;
	id->cpuid_count = (r.ebx >> 16) & 0xff;
	id->apic_base = apic_rdmsr(MSR_APIC_BASE);
	id->lapic_id = xapic_read(APIC_ID) >> 24;
	__atomic_store_n(&id->done, 1, __ATOMIC_RELEASE);
}

static void secondary(u32 index, struct vcpu_boot *boot)
{
	(void)boot;
	read_ids(&ids[index]);
}

static bool wait_done(volatile u32 *flag)
{
	for (u32 n = 0; n < WAIT_ROUNDS; n++) {
		if (__atomic_load_n(flag, __ATOMIC_ACQUIRE))
			return true;
		cpu_relax();
	}
	return false;
}

static void vcpu_ids_check(u32 i, u32 ncpus)
{
	const struct vcpu_ids *id = &ids[i];
	u32 base = (u32)id->apic_base;

	checkf(id->cpuid_apic_id == i && id->lapic_id == i,
	       "vCPU %u: CPUID initial APIC ID %u, local APIC ID %u: its MADT "
	       "entry",
	       i, id->cpuid_apic_id, id->lapic_id);
	checkf(id->cpuid_count == ncpus,
	       "vCPU %u: CPUID.1 EBX[23:16] says %u logical processors "
	       "(expected %u)",
	       i, id->cpuid_count, ncpus);
	checkf((base & APIC_BASE_ADDR) == XAPIC_BASE && (base & APIC_BASE_EN) &&
		       !(base & APIC_BASE_EXTD) &&
		       !!(base & APIC_BASE_BSP) == (i == 0) &&
		       id->apic_base >> 32 == 0,
	       "vCPU %u: IA32_APIC_BASE 0x%llx: xAPIC at the MADT's address, "
	       "BSP only on vCPU 0",
	       i, id->apic_base);
}

static void vcpus_check(u32 ncpus)
{
	u32 n = ncpus < MAX_VCPUS ? ncpus : MAX_VCPUS;

	read_ids(&ids[0]);
	for (u32 i = 1; i < n; i++)
		check_eq(vcpu_start(i, &boots[i], stacks[i], STACK_SIZE,
				    secondary),
			 0, "HC_VCPU_START of a secondary vCPU");
	for (u32 i = 0; i < n; i++)
		if (checkf(wait_done(&ids[i].done), "vCPU %u reported", i))
			vcpu_ids_check(i, ncpus);
}

/* ---- FADT, FACS, DSDT ------------------------------------------------ */

/* A Generic Address Structure in system I/O space. */
static void gas_check(u32 g, u32 width, u32 port, const char *what)
{
	checkf(*(const u8 *)g == 1 && *(const u8 *)(g + 1) == width &&
		       *(const u8 *)(g + 2) == 0 && rd64(g + 4) == port,
	       "FADT %s: I/O port 0x%x, %u bits (space %u, width %u, address "
	       "0x%llx)",
	       what, port, width, *(const u8 *)g, *(const u8 *)(g + 1),
	       rd64(g + 4));
}

/* FADT CENTURY names the RTC's CMOS byte with the century (BCD or
 * binary, as register B says): 20 this century. */
static void century_check(u8 index)
{
	u8 b, c;

	check_eq(index, 0x32, "FADT: CENTURY is CMOS byte 0x32");
	outb(0x70, 0x0b);
	b = inb(0x71);
	outb(0x70, index);
	c = inb(0x71);
	checkf(c == ((b & 0x04) ? 20 : 0x20),
	       "CMOS byte 0x%x reads the century 20 (0x%x, register B 0x%x)",
	       index, c, b);
}

static void fadt_check(u32 f, struct acpi_seen *s)
{
	u32 len = rd32(f + 4), flags = rd32(f + 112);

	checkf(*(const u8 *)(f + 8) >= 3 && len >= 244,
	       "FADT: revision %u, length %u: has the X_ fields",
	       *(const u8 *)(f + 8), len);
	if (len < 244)
		return;
	check_eq(rd16(f + 46), SCI_IRQ, "FADT: SCI_INT");
	check_eq(rd32(f + 48), 0, "FADT: SMI_CMD 0 (always in ACPI mode)");
	check_eq(rd32(f + 56), PM1A_EVT_PORT, "FADT: PM1a_EVT_BLK");
	check_eq(rd32(f + 60), 0, "FADT: no PM1b_EVT_BLK");
	check_eq(rd32(f + 64), PM1A_CNT_PORT, "FADT: PM1a_CNT_BLK");
	check_eq(rd32(f + 68), 0, "FADT: no PM1b_CNT_BLK");
	check_eq(rd32(f + 76), PM_TMR_PORT, "FADT: PM_TMR_BLK");
	check_eq(*(const u8 *)(f + 88), 4, "FADT: PM1_EVT_LEN");
	check_eq(*(const u8 *)(f + 89), 2, "FADT: PM1_CNT_LEN");
	check_eq(*(const u8 *)(f + 91), 4, "FADT: PM_TMR_LEN");
	checkf((rd16(f + 109) & 3) == 3,
	       "FADT: IAPC_BOOT_ARCH 0x%x has "
	       "LEGACY_DEVICES and 8042",
	       rd16(f + 109));
	checkf((flags & 0x5) == 0x5 && !(flags & (1u << 8)) &&
		       (flags & (1u << 10)),
	       "FADT: flags 0x%x: WBINVD, PROC_C1, 24-bit timer, "
	       "RESET_REG_SUP",
	       flags);
	gas_check(f + 116, 8, 0xcf9, "RESET_REG");
	check_eq(*(const u8 *)(f + 128), 6, "FADT: RESET_VALUE");
	century_check(*(const u8 *)(f + 108));
	s->facs = rd32(f + 36);
	s->dsdt = rd32(f + 40);
	check_eq(rd64(f + 132), s->facs,
		 "FADT: X_FIRMWARE_CTRL = FIRMWARE_CTRL");
	check_eq(rd64(f + 140), s->dsdt, "FADT: X_DSDT = DSDT");
	gas_check(f + 148, 32, PM1A_EVT_PORT, "X_PM1a_EVT_BLK");
	gas_check(f + 172, 16, PM1A_CNT_PORT, "X_PM1a_CNT_BLK");
	gas_check(f + 208, 32, PM_TMR_PORT, "X_PM_TMR_BLK");
}

static void facs_check(u32 a)
{
	checkf(a % 64 == 0 && a >= AREA_START && a < AREA_END &&
		       memcmp((const void *)a, "FACS", 4) == 0 &&
		       rd32(a + 4) >= 64 && *(const u8 *)(a + 32) >= 1,
	       "FACS at 0x%x: 64-byte aligned, signature, length, version", a);
}

/*
 * Find Name (_S5, Package () {...}) in the AML: NameOp, "_S5_" (optionally
 * after the root prefix '\'), PackageOp, a one-byte PkgLength, NumElements
 * and SLP_TYPa as BytePrefix n, ZeroOp or OneOp. Returns SLP_TYPa, or -1.
 */
static int dsdt_s5(u32 d, u32 len)
{
	const u8 *b = (const u8 *)d;

	for (u32 i = SDT_HDR + 1; i + 9 <= len; i++) {
		if (memcmp(b + i, "_S5_", 4) != 0 ||
		    !(b[i - 1] == 0x08 ||
		      (b[i - 1] == '\\' && b[i - 2] == 0x08)))
			continue;
		if (b[i + 4] != 0x12 || (b[i + 5] & 0xc0) || b[i + 6] < 2)
			return -1;
		if (b[i + 7] == 0x0a)
			return b[i + 8];
		return b[i + 7] <= 1 ? b[i + 7] : -1;
	}
	return -1;
}

static int dsdt_check(u32 d)
{
	static const u8 aml[] = {0x08, '_',  'S',  '5',	 '_',  0x12, 0x08,
				 0x04, 0x0a, 0x05, 0x0a, 0x05, 0x00, 0x00};
	u32 len = table_check(d, "DSDT");
	int typ;

	if (!len)
		return -1;
	checkf(len == SDT_HDR + sizeof(aml) &&
		       memcmp((const void *)(d + SDT_HDR), aml, sizeof(aml)) ==
			       0,
	       "DSDT: its AML is Name (_S5, Package () {5, 5, 0, 0})");
	typ = dsdt_s5(d, len);
	check_eq(typ, S5_SLP_TYP, "DSDT: \\_S5 SLP_TYPa");
	return typ;
}

/* ---- the PM timer and PM1 -------------------------------------------- */

/* 24 bits, counting, at 3.579545 MHz measured against the TSC. */
static void pm_timer_check(void)
{
	struct cpuid_regs t = cpuid(CPUID_HV_TIMING, 0);
	u32 high = 0, pm0, pm1, ticks;
	u64 tsc0, tsc1, want, slack;

	for (u32 i = 0; i < 1000; i++)
		high |= inl(PM_TMR_PORT) & 0xff000000u;
	check_eq(high, 0,
		 "PM timer: bits 31:24 read 0 (24-bit, TMR_VAL_EXT=0)");
	tsc0 = apic_rdtsc();
	pm0 = inl(PM_TMR_PORT);
	/* About 0.1 s of the TSC at the rate CPUID gives. */
	while (apic_rdtsc() - tsc0 < (u64)t.eax * 100)
		cpu_relax();
	tsc1 = apic_rdtsc();
	pm1 = inl(PM_TMR_PORT);
	ticks = (pm1 - pm0) & 0xffffffu;
	if (!checkf(t.eax != 0, "CPUID 0x40000010: TSC %u kHz", t.eax))
		return;
	want = apic_div(apic_div((tsc1 - tsc0) * PM_TIMER_HZ, t.eax), 1000);
	slack = apic_div(want, 100);
	checkf(ticks > 0 && ticks >= want - slack && ticks <= want + slack,
	       "PM timer counts at 3.579545 MHz: %u ticks over %llu TSC "
	       "cycles (expected %llu +- 1%%)",
	       ticks, tsc1 - tsc0, want);
}

static void pm1_check(void)
{
	u16 cnt = inw(PM1A_CNT_PORT);

	checkf(cnt & PM1_CNT_SCI_EN,
	       "PM1a_CNT 0x%x: SCI_EN set (no SMI_CMD: always in ACPI mode)",
	       cnt);
}

/* ---- S5 ------------------------------------------------------------- */

static __noreturn void power_off(int slp_typ)
{
	u32 fails = report();
	u16 v;

	if (fails || slp_typ < 0)
		guest_exit(fails ? fails : 1);
	v = (u16)((u32)slp_typ << PM1_CNT_SLP_TYP_SHIFT | PM1_CNT_SLP_EN);
	gprintf("S5: writing 0x%x to PM1a_CNT (port 0x%x)\n", v, PM1A_CNT_PORT);
	outw(PM1A_CNT_PORT, v);
	for (u32 i = 0; i < 1000000; i++)
		cpu_relax();
	failf("S5: the partition still runs after SLP_EN");
	guest_exit(report());
}

u32 guest_main(u32 magic, u32 info)
{
	struct acpi_seen s = {0};
	int slp_typ = -1;

	trap_init();
	if (!check_eq(magic, MB2_BOOTLOADER_MAGIC, "multiboot2 magic") ||
	    !bootinfo_parse(magic, info, &bi) || !self_info(&pi))
		return report();
	gprintf("partition '%s', %u vCPU(s)\n", pi.name, pi.ncpus);
	s.rsdp = rsdp_scan();
	if (!s.rsdp)
		return report();
	rsdp_check(s.rsdp);
	rsdp_tags_check(s.rsdp);
	roots_check(s.rsdp, &s);
	if (s.madt)
		madt_check(s.madt, pi.ncpus);
	vcpus_check(pi.ncpus);
	if (s.fadt) {
		fadt_check(s.fadt, &s);
		facs_check(s.facs);
		slp_typ = dsdt_check(s.dsdt);
	}
	pm_timer_check();
	pm1_check();
	power_off(slp_typ);
}
