#!/usr/bin/env bash
# Hostile page tables next to a well-behaved partition: the ptabuse guest
# (tests/guests/ptabuse.c) walks through tables beyond its RAM (open bus:
# reserved-bit faults in PAE and 4-level paging, #GP for a PAE PDPT there),
# entries pointing at their own tables, a reserved bit at every level, a
# hypercall writing its output into a live page table, and a storm of
# random entries, each access checked against its model of the SDM's walk;
# beside it, sidebyside ("neighbour") prints its lines. Both must end with
# status 0, Shade must stay up and its MMU audit quiet.
. "$(dirname "$0")/lib.sh"

abuse=$(guest_elf ptabuse) || exit 1
sbs=$(guest_elf sidebyside) || exit 1
mkiso "$WORK/x.iso" --vmm-args "mmu_audit=on" \
	--guest "$abuse" "name=ptabuse mem=16M" \
	--guest "$sbs" "name=neighbour -- lines=100"
boot bochs "$WORK/x.iso" --cpus 2
expect_status 0
expect_started ptabuse 1 '[0-9]+' 16 multiboot2 "$abuse"
expect_started neighbour 1 '[0-9]+' 16 multiboot2 "$sbs"
expect_guest_pass ptabuse
for m in PAE 4-level; do
	expect "[ptabuse] PASS $m: page table at 0x1000000, beyond RAM: read (#PF as the model says)"
	expect "[ptabuse] PASS $m: page table at 0x1000000, beyond RAM: write (#PF as the model says)"
	expect "[ptabuse] PASS $m: page directory at 0x100000000, beyond RAM (#PF as the model says)"
	expect "[ptabuse] PASS $m: PTE with XD set, EFER.NXE=0 (reserved): read (#PF as the model says)"
done
expect "[ptabuse] PASS 4-level: PDPT at 0x1000000, beyond RAM (#PF as the model says)"
expect "[ptabuse] PASS PAE: MOV to CR3 with the PDPT beyond RAM: #GP(0), CR3 unchanged"
expect "[ptabuse] PASS PAE: PDPTE with R/W set: MOV to CR3 gives #GP(0)"
expect "[ptabuse] PASS 4-level: PML4E with PS set (reserved): read (#PF as the model says)"
expect "[ptabuse] PASS 4-level: PTE with bit 52 set (ignored in 4-level): read (no fault)"
expect "[ptabuse] PASS 32-bit: 4 MiB PDE with bit 21 set (reserved): read (#PF as the model says)"
for m in 32-bit PAE 4-level; do
	expect "[ptabuse] PASS $m: PDE pointing at its own PD: read it through itself (no fault)"
	expect "[ptabuse] PASS $m: the self PTE cleared through itself: not present (#PF as the model says)"
	expect "[ptabuse] PASS $m: HC_PARTITION_INFO into a live page table"
	expect_re "^\[ptabuse\] PASS $m: after a CR3 load the translation follows the hypervisor-written entries"
	expect_re "^\[ptabuse\] PASS $m: storm: 3 rounds of [0-9]+ random accesses through random tables agree with the model"
done
expect_re '^\[neighbour\] line 100 of neighbour: '
expect_stopped neighbour 0
reject "error: mmu audit:"
expect_stopped ptabuse 0
expect_final 'shade: done pass=2 fail=0'
finish
