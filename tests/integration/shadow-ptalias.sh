#!/usr/bin/env bash
# Aliasing in guest page tables under the shadow MMU: the ptalias guest
# (tests/guests/ptalias.c) in 32-bit, PAE and 4-level paging, with Shade's
# MMU audit on. One page under 2000 linear addresses, one page table under
# several PDEs and in two address spaces (PAE/4-level: one directory under
# two PDPTEs; 4-level: one PDPT under two PML4Es), one large page under a
# writable and a read-only PDE (clean and dirty), tables written through
# their own data mappings, and a recursive mapping whose self entry is
# written through itself. Every check must pass and the audit stay quiet.
. "$(dirname "$0")/lib.sh"

elf=$(guest_elf ptalias) || exit 1
mkiso "$WORK/x.iso" --vmm-args "mmu_audit=on" \
	--guest "$elf" "name=ptalias -- aliases=2000"
boot bochs "$WORK/x.iso" --cpus 1
expect_status 0
expect_started ptalias 1 '[0-9]+' 16 multiboot2 "$elf"
expect_guest_pass ptalias
for m in 32-bit PAE 4-level; do
	expect "[ptalias] PASS $m: 2000 aliases of one page see each of 8 writes (0 mismatches)"
	expect "[ptalias] PASS $m: aliases made read-only, unmapped, moved to another page: right data and faults (0 wrong)"
	expect "[ptalias] PASS $m: a PTE change seen under all three PDEs"
	expect "[ptalias] PASS $m: the same table in a second space: the changed PTE"
	expect "[ptalias] PASS $m: ... and still after a write through the writable PDE"
	expect "[ptalias] PASS $m: ... and its PDE, made read-only among those writes, faults on a write after a CR3 load"
	expect "[ptalias] PASS $m: ... a clean read-only PDE to the same page still faults on writes"
	expect "[ptalias] PASS $m: ... a dirty read-only PDE to the same page still faults on writes"
	expect "[ptalias] PASS $m: PTE written with a locked exchange through the data mapping"
	expect "[ptalias] PASS $m: PDE written through the directory's data mapping"
	expect "[ptalias] PASS $m: PTE written through the window"
	expect "[ptalias] PASS $m: PDE written through the window"
	expect "[ptalias] PASS $m: writes through the read-only window fault (the self entry)"
	expect "[ptalias] PASS $m: self entry removed through itself (no fault)"
	expect "[ptalias] PASS $m: the window is gone"
	expect_re "^\[ptalias\] PASS $m: every page back in the pool \(([0-9]+) of \1\)\$"
done
expect "[ptalias] PASS PAE: one page directory under two PDPTEs"
expect "[ptalias] PASS 4-level: one PDPT under PML4[0] and PML4[1]: a mapped page"
expect "[ptalias] PASS 4-level: PML4[1] written through the PML4's own window"
expect "[ptalias] PASS 4-level: PDPTE written through the window"
reject "error: mmu audit:"
expect_stopped ptalias 0
expect_final 'shade: done pass=1 fail=0'
finish
