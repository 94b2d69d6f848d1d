// SPDX-License-Identifier: MIT
/*
 * The small devices of a PC's chipset that a guest touches while it
 * boots, times itself or leaves:
 *
 *  - The ACPI power-management registers (ACPI 6.5 specification, 4.8
 *    "ACPI Hardware Model", fixed hardware registers), as the FADT
 *    describes them (vmm/vacpi.c):
 *    PM1a_EVT_BLK at VPM_BASE_PORT: PM1_STS (write 1 to clear) and
 *    PM1_EN. TMR_STS rises whenever bit 23 of the PM timer changes; no
 *    SCI is ever raised, whatever PM1_EN says.
 *    PM1a_CNT_BLK at VPM_CNT_PORT: SCI_EN always reads 1 (the partition
 *    is in ACPI mode from the start; the FADT has no SMI command port).
 *    SLP_EN with SLP_TYP = VPM_S5_SLP_TYP (the DSDT's \_S5) powers the
 *    partition off: it stops with status 0. Other sleep types are not
 *    offered by the DSDT and are ignored.
 *    PM_TMR_BLK at VPM_TMR_PORT: the 24-bit PM timer at 3.579545 MHz,
 *    read with any width; it starts near its wrap (VPM_TMR_START).
 *  - The 8042 keyboard controller (ports 0x60 data, 0x64 status and
 *    command), with no keyboard and no mouse behind it: the status
 *    register (system flag from the command byte), the command byte
 *    (commands 0x20, 0x60), the self-test (0xaa answers 0x55), the
 *    interface tests (0xab, 0xa9 answer 0), port enables (0xa7, 0xa8,
 *    0xad, 0xae), the output port (0xd0, 0xd1), and the pulse commands
 *    0xf0-0xff, of which those pulsing bit 0 (0xfe) reset the machine.
 *    Bytes for the keyboard itself are dropped; IRQ1 is never raised.
 *  - The reset control register at 0xcf9 (Intel PIIX/ICH "RST_CNT"):
 *    a write with RST_CPU (bit 2) resets; SYS_RST and FULL_RST read back.
 *  - Port 0x92, "system control port A": bit 0 resets, bit 1 (A20)
 *    always reads 1.
 *
 * A partition cannot be reset, so a reset stops it with STATUS_RESET and
 * a line naming the write that asked for it.
 *
 * Context: the port handlers on any vCPU's CPU in its VM-exit handler,
 * taking p->vdev_lock; partition_stop() is called after releasing it.
 */
#include "vmm.h"

/* PM1 registers: offsets of the bytes in the snapshot pm_bytes() makes */
#define PM_FIRST     VPM_BASE_PORT
#define PM_LAST	     (VPM_TMR_PORT + 3)
#define PM1_STS_OFF  0
#define PM1_EN_OFF   2
#define PM1_CNT_OFF  (VPM_CNT_PORT - VPM_BASE_PORT)
#define PM_TMR_OFF   (VPM_TMR_PORT - VPM_BASE_PORT)
#define PM_REG_BYTES (PM_LAST - PM_FIRST + 1)

/* PM1_STS and PM1_EN (ACPI 4.8.3.1) */
#define PM1_TMR_STS	 BIT(0)
#define PM1_STS_WRITABLE 0x8731 /* TMR, BM, GBL, PWRBTN, SLPBTN, RTC, WAK */
#define PM1_EN_WRITABLE	 0x0721 /* TMR, GBL, PWRBTN, SLPBTN, RTC */
/* PM1_CNT (ACPI 4.8.3.2) */
#define PM1_SCI_EN	 BIT(0)
#define PM1_CNT_WRITABLE 0x1c02 /* BM_RLD, SLP_TYP */
#define PM1_SLP_TYP(v)	 (((v) >> 10) & 7)
#define PM1_SLP_EN	 BIT(13)
#define PM_TMR_MASK	 0xffffff
#define PM_TMR_STS_SHIFT 23 /* TMR_STS: this bit of the timer changed */

/* The 8042 */
#define KBC_DATA	 0x60
#define KBC_STATUS	 0x64
#define KBC_ST_OBF	 BIT(0)
#define KBC_ST_SYS	 BIT(2)
#define KBC_ST_CMD	 BIT(3) /* the last write went to 0x64 */
#define KBC_ST_UNLOCKED	 BIT(4) /* keyboard not inhibited */
#define KBC_CTR_SYS	 BIT(2)
#define KBC_CTR_KBD_OFF	 BIT(4)
#define KBC_CTR_AUX_OFF	 BIT(5)
#define KBC_CTR_DEFAULT	 0x45 /* as a BIOS leaves it: IRQ1, SYS, translate */
#define KBC_READ_CTR	 0x20
#define KBC_WRITE_CTR	 0x60
#define KBC_AUX_OFF	 0xa7
#define KBC_AUX_ON	 0xa8
#define KBC_AUX_TEST	 0xa9
#define KBC_SELF_TEST	 0xaa
#define KBC_KBD_TEST	 0xab
#define KBC_KBD_OFF	 0xad
#define KBC_KBD_ON	 0xae
#define KBC_READ_OUT	 0xd0
#define KBC_WRITE_OUT	 0xd1
#define KBC_PULSE	 0xf0	/* 0xf0-0xff: pulse output port bits 3:0 */
#define KBC_PULSE_RESET	 BIT(0) /* clear in the command: pulse reset */
#define KBC_SELF_TEST_OK 0x55
#define KBC_TEST_OK	 0x00
#define KBC_OUT_RESET	 BIT(0) /* output port: 0 holds the CPU in reset */
#define KBC_OUT_A20	 BIT(1)

#define RST_CNT	       0xcf9
#define RST_CPU	       BIT(2)
#define RST_CNT_STORED 0x0a /* SYS_RST, FULL_RST */
#define PORT_92	       0x92
#define P92_RESET      BIT(0)
#define P92_A20	       BIT(1)

/* Why an access stops the partition, decided under the lock. */
enum misc_stop { MISC_RUN, MISC_RESET, MISC_POWER_OFF };

struct misc_out {
	enum misc_stop stop;
	u16 port; /* the write that did it */
	u8 val;
};

/* The PM timer's ticks since creation, offset by VPM_TMR_START. */
static u64 pm_ticks(const struct vpm *pm, u64 now)
{
	return VPM_TMR_START +
	       (now > pm->origin ? vtime_ticks(now - pm->origin, VPM_TIMER_HZ)
				 : 0);
}

static u16 pm1_sts(const struct vpm *pm, u64 now)
{
	bool tmr = pm_ticks(pm, now) >> PM_TMR_STS_SHIFT !=
		   pm->sts_cleared >> PM_TMR_STS_SHIFT;

	return pm->sts | (tmr ? PM1_TMR_STS : 0);
}

/* Every PM register byte at one instant, so a wide read is consistent. */
static void pm_bytes(const struct vpm *pm, u64 now, u8 *b)
{
	u16 sts = pm1_sts(pm, now), cnt = pm->cnt | PM1_SCI_EN;
	u32 tmr = pm_ticks(pm, now) & PM_TMR_MASK;

	for (u32 i = 0; i < PM_REG_BYTES; i++)
		b[i] = 0xff;
	b[PM1_STS_OFF] = sts & 0xff;
	b[PM1_STS_OFF + 1] = sts >> 8;
	b[PM1_EN_OFF] = pm->en & 0xff;
	b[PM1_EN_OFF + 1] = pm->en >> 8;
	b[PM1_CNT_OFF] = cnt & 0xff;
	b[PM1_CNT_OFF + 1] = cnt >> 8;
	for (u32 i = 0; i < 4; i++)
		b[PM_TMR_OFF + i] = tmr >> (8 * i);
}

/* val, shifted to byte `shift` of a 16-bit register, replaces it. */
static u16 put_byte(u16 reg, u32 shift, u8 val)
{
	return (reg & ~(0xff << shift)) | val << shift;
}

static void pm_write(struct vpm *pm, u32 off, u8 val, u64 now,
		     struct misc_out *res)
{
	u32 shift = 8 * (off & 1);
	u16 bits = (u16)(val << shift), cnt;

	switch (off & ~1u) {
	case PM1_STS_OFF:
		if (bits & PM1_TMR_STS)
			pm->sts_cleared = pm_ticks(pm, now);
		pm->sts &= ~(bits & PM1_STS_WRITABLE);
		break;
	case PM1_EN_OFF:
		pm->en = put_byte(pm->en, shift, val) & PM1_EN_WRITABLE;
		break;
	case PM1_CNT_OFF:
		cnt = put_byte(pm->cnt, shift, val);
		pm->cnt = cnt & PM1_CNT_WRITABLE;
		if ((cnt & PM1_SLP_EN) && PM1_SLP_TYP(cnt) == VPM_S5_SLP_TYP)
			res->stop = MISC_POWER_OFF;
		break;
	}
}

static void kbc_reply(struct vkbc *k, u8 val)
{
	k->out = val;
	k->out_full = true;
}

static u8 kbc_status(const struct vkbc *k)
{
	return (k->out_full ? KBC_ST_OBF : 0) |
	       (k->ctr & KBC_CTR_SYS ? KBC_ST_SYS : 0) |
	       (k->last_cmd ? KBC_ST_CMD : 0) | KBC_ST_UNLOCKED;
}

static u8 kbc_read_data(struct vkbc *k)
{
	k->out_full = false;
	return k->out;
}

static void kbc_command(struct vkbc *k, u8 cmd, struct misc_out *res)
{
	k->pending = 0;
	switch (cmd) {
	case KBC_READ_CTR:
		kbc_reply(k, k->ctr);
		break;
	case KBC_WRITE_CTR:
	case KBC_WRITE_OUT:
		k->pending = cmd;
		break;
	case KBC_AUX_OFF:
	case KBC_AUX_ON:
		k->ctr = cmd == KBC_AUX_OFF ? k->ctr | KBC_CTR_AUX_OFF
					    : k->ctr & ~KBC_CTR_AUX_OFF;
		break;
	case KBC_KBD_OFF:
	case KBC_KBD_ON:
		k->ctr = cmd == KBC_KBD_OFF ? k->ctr | KBC_CTR_KBD_OFF
					    : k->ctr & ~KBC_CTR_KBD_OFF;
		break;
	case KBC_SELF_TEST:
		kbc_reply(k, KBC_SELF_TEST_OK);
		break;
	case KBC_AUX_TEST:
	case KBC_KBD_TEST:
		kbc_reply(k, KBC_TEST_OK);
		break;
	case KBC_READ_OUT:
		kbc_reply(k, KBC_OUT_RESET | KBC_OUT_A20);
		break;
	default:
		if (cmd >= KBC_PULSE && !(cmd & KBC_PULSE_RESET))
			res->stop = MISC_RESET;
		break;
	}
}

/* A byte on 0x60: the data of a pending command, else for the absent
 * keyboard. */
static void kbc_write_data(struct vkbc *k, u8 val, struct misc_out *res)
{
	u8 cmd = k->pending;

	k->pending = 0;
	if (cmd == KBC_WRITE_CTR)
		k->ctr = val;
	else if (cmd == KBC_WRITE_OUT && !(val & KBC_OUT_RESET))
		res->stop = MISC_RESET;
}

static u8 misc_read(struct vlegacy *l, u16 port, u64 now)
{
	u8 pm[PM_REG_BYTES];

	if (port >= PM_FIRST && port <= PM_LAST) {
		pm_bytes(&l->pm, now, pm);
		return pm[port - PM_FIRST];
	}
	switch (port) {
	case KBC_DATA:
		return kbc_read_data(&l->kbc);
	case KBC_STATUS:
		return kbc_status(&l->kbc);
	case PORT_92:
		return l->port92 | P92_A20;
	case RST_CNT:
		return l->cf9;
	default:
		return 0xff;
	}
}

static void misc_write(struct vlegacy *l, u16 port, u8 val, u64 now,
		       struct misc_out *res)
{
	enum misc_stop before = res->stop;

	if (port >= PM_FIRST && port <= PM_LAST) {
		pm_write(&l->pm, port - PM_FIRST, val, now, res);
	} else if (port == KBC_DATA) {
		l->kbc.last_cmd = false;
		kbc_write_data(&l->kbc, val, res);
	} else if (port == KBC_STATUS) {
		l->kbc.last_cmd = true;
		kbc_command(&l->kbc, val, res);
	} else if (port == PORT_92) {
		l->port92 = val & ~P92_RESET;
		if (val & P92_RESET)
			res->stop = MISC_RESET;
	} else if (port == RST_CNT) {
		l->cf9 = val & RST_CNT_STORED;
		if (val & RST_CPU)
			res->stop = MISC_RESET;
	}
	if (res->stop != before) {
		res->port = port;
		res->val = val;
	}
}

/*
 * Byte by byte; the PM registers read from one snapshot. A reset or a
 * power-off ends the access at the byte that asked for it.
 */
u32 vmisc_in(struct vcpu *v, u16 port, u32 size)
{
	struct partition *p = v->part;
	u64 now = vlegacy_now();
	u32 val = 0;

	spin_lock(&p->vdev_lock);
	for (u32 i = 0; i < size; i++)
		val |= (u32)misc_read(&p->legacy, port + i, now) << (8 * i);
	spin_unlock(&p->vdev_lock);
	return val;
}

bool vmisc_out(struct vcpu *v, u16 port, u32 size, u32 val)
{
	struct partition *p = v->part;
	struct misc_out res = {.stop = MISC_RUN};
	u64 now = vlegacy_now();

	spin_lock(&p->vdev_lock);
	for (u32 i = 0; i < size && res.stop == MISC_RUN; i++)
		misc_write(&p->legacy, port + i, val >> (8 * i), now, &res);
	spin_unlock(&p->vdev_lock);
	switch (res.stop) {
	case MISC_POWER_OFF:
		partition_stop(p, 0, "ACPI power-off (S5)");
		return false;
	case MISC_RESET:
		partition_stop(p, STATUS_RESET,
			       "guest requested a reset (write %#x to port "
			       "%#x)",
			       res.val, res.port);
		return false;
	default:
		return true;
	}
}

void vmisc_init(struct partition *p, u64 now)
{
	struct vlegacy *l = &p->legacy;

	l->pm = (struct vpm){.origin = now, .sts_cleared = VPM_TMR_START};
	l->kbc = (struct vkbc){.ctr = KBC_CTR_DEFAULT};
	l->port92 = 0;
	l->cf9 = 0;
}
