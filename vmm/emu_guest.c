// SPDX-License-Identifier: MIT
/*
 * The bridge between the pure instruction emulator (vmm/emulate.c) and a
 * vCPU: its registers in and out of struct emu_regs, its code size, and
 * an instruction's bytes for a message. Used by the two callers of the
 * emulator, guest page-table writes (vmm/mmu_ptwrite.c) and device
 * memory (vmm/mmio.c).
 *
 * Context: the vCPU's physical CPU, its VMCS current.
 */
#include "exit.h"
#include "emulate.h"
#include "vmx.h"
#include "format.h"

enum emu_mode vmexit_emu_mode(void)
{
	u64 cs_ar = vmread(GUEST_CS_AR_BYTES);

	if (cs_ar & BIT(13))
		return EMU_MODE_64;
	return (cs_ar & BIT(14)) ? EMU_MODE_32 : EMU_MODE_16;
}

void vmexit_emu_regs_load(struct vcpu *v, struct emu_regs *r)
{
	static const u32 base_field[6] = {GUEST_ES_BASE, GUEST_CS_BASE,
					  GUEST_SS_BASE, GUEST_DS_BASE,
					  GUEST_FS_BASE, GUEST_GS_BASE};

	for (u32 n = 0; n < 16; n++)
		r->gpr[n] = vmexit_read_gpr(v, n);
	r->rip = vmread(GUEST_RIP);
	r->rflags = vmread(GUEST_RFLAGS);
	for (u32 s = 0; s < 6; s++)
		r->seg_base[s] = vmread(base_field[s]);
}

void vmexit_emu_regs_store(struct vcpu *v, const struct emu_regs *r)
{
	for (u32 n = 0; n < 16; n++)
		vmexit_write_gpr(v, n, r->gpr[n]);
	vmwrite(GUEST_RIP, r->rip);
	vmwrite(GUEST_RFLAGS, r->rflags);
	/* Completing an instruction ends STI/MOV-SS blocking. */
	vmwrite(GUEST_INTERRUPTIBILITY_INFO,
		vmread(GUEST_INTERRUPTIBILITY_INFO) & ~3ULL);
}

const char *vmexit_emu_bytes(const struct emu_insn *insn, char *buf, u32 size)
{
	u32 n = 0;

	buf[0] = 0;
	for (u32 i = 0; i < insn->nbytes && i < EMU_MAX_INSN_LEN; i++)
		n += ksnprintf(buf + n, size - n, "%s%02x", i ? " " : "",
			       insn->bytes[i]);
	return n ? buf : "unreadable";
}
