// SPDX-License-Identifier: MIT
/*
 * badinsn: instructions a guest may not use. First ud2 with a #UD handler
 * installed: the guest must receive the #UD itself (vector 6, at the ud2)
 * and resume after it. Then every VMX instruction: in VMX non-root
 * operation they cause VM exits, and since CPUID tells this guest there
 * is no VMX, Shade must answer each with a #UD in the guest rather than
 * stop the partition. Setting CR4.VMXE must likewise raise #GP, as on a
 * processor without VMX. Exits 0 when all pass
 * (tests/integration/guest-misbehave.sh).
 */
#include "guest.h"

#define UD2_LEN 2

/* VMCS field encoding of the guest RIP (SDM vol. 3D, appendix B.4.3). */
#define VMCS_GUEST_RIP 0x681e

static u8 vmx_region[4096] __aligned(4096);
static u64 region_pa;
static u64 inv_descriptor[2] __aligned(16);

static volatile u32 ud_handled;
static volatile u32 ud_eip;

void ud2_site(void);

asm(".pushsection .text\n"
    ".globl ud2_site\n"
    "ud2_site:\n"
    "\tud2\n"
    "\tret\n"
    ".popsection");

/* Skip the ud2 and let the test carry on: a fault handler that returns. */
static void ud_handler(struct trap_frame *f)
{
	ud_handled++;
	ud_eip = f->eip;
	f->eip += UD2_LEN;
}

static void ud2_with_handler(void)
{
	idt_install(VEC_UD, ud_handler);
	ud2_site();
	idt_install(VEC_UD, NULL);
	check_eq(ud_handled, 1, "ud2: the guest's own #UD handler ran once");
	checkf(ud_eip == (u32)ud2_site, "ud2: #UD reported at the ud2 (0x%x)",
	       ud_eip);
}

static void do_vmxon(void)
{
	asm volatile("vmxon %0" : : "m"(region_pa) : "cc", "memory");
}

static void do_vmclear(void)
{
	asm volatile("vmclear %0" : : "m"(region_pa) : "cc", "memory");
}

static void do_vmptrld(void)
{
	asm volatile("vmptrld %0" : : "m"(region_pa) : "cc", "memory");
}

static void do_vmptrst(void)
{
	asm volatile("vmptrst %0" : "=m"(region_pa) : : "cc", "memory");
}

static void do_vmread(void)
{
	u32 v;

	asm volatile("vmread %1, %0" : "=r"(v) : "r"(VMCS_GUEST_RIP) : "cc");
}

static void do_vmwrite(void)
{
	asm volatile("vmwrite %0, %1" : : "r"(0u), "r"(VMCS_GUEST_RIP) : "cc");
}

static void do_vmlaunch(void)
{
	asm volatile("vmlaunch" : : : "cc", "memory");
}

static void do_vmresume(void)
{
	asm volatile("vmresume" : : : "cc", "memory");
}

static void do_vmxoff(void)
{
	asm volatile("vmxoff" : : : "cc", "memory");
}

static void do_invept(void)
{
	asm volatile("invept %0, %1"
		     :
		     : "m"(inv_descriptor), "r"(1u)
		     : "cc", "memory");
}

static void do_invvpid(void)
{
	asm volatile("invvpid %0, %1"
		     :
		     : "m"(inv_descriptor), "r"(0u)
		     : "cc", "memory");
}

/* VM function 0 (EPTP switching), which no guest of Shade has. */
static void do_vmfunc(void)
{
	asm volatile("vmfunc" : : "a"(0u), "c"(0u) : "cc", "memory");
}

static void set_cr4_vmxe(void)
{
	write_cr4(read_cr4() | X86_CR4_VMXE);
}

struct bad_insn {
	const char *name;
	void (*run)(void);
};

static const struct bad_insn vmx_insns[] = {
	{"vmxon", do_vmxon},	   {"vmclear", do_vmclear},
	{"vmptrld", do_vmptrld},   {"vmptrst", do_vmptrst},
	{"vmread", do_vmread},	   {"vmwrite", do_vmwrite},
	{"vmlaunch", do_vmlaunch}, {"vmresume", do_vmresume},
	{"vmxoff", do_vmxoff},	   {"invept", do_invept},
	{"invvpid", do_invvpid},   {"vmfunc", do_vmfunc},
};

static void expect_vector(const char *name, void (*run)(void), int want)
{
	int got = expect_fault(run);

	if (got < 0)
		failf("%s: no exception (expected vector %d)", name, want);
	else
		checkf(got == want, "%s: vector %d (expected %d) at 0x%x", name,
		       got, want, last_trap.eip);
}

u32 guest_main(u32 magic, u32 info)
{
	u32 i;

	(void)magic;
	(void)info;
	trap_init();
	region_pa = (u32)vmx_region;
	ud2_with_handler();
	for (i = 0; i < ARRAY_SIZE(vmx_insns); i++)
		expect_vector(vmx_insns[i].name, vmx_insns[i].run, VEC_UD);
	expect_vector("mov to CR4 with VMXE set", set_cr4_vmxe, VEC_GP);
	checkf(!(read_cr4() & X86_CR4_VMXE), "CR4.VMXE still reads 0");
	return report();
}
