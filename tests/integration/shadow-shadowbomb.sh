#!/usr/bin/env bash
# Shadow memory stays bounded: Shade with shadow_mem=512K (64 shadow pages
# of 8 KiB) runs the shadowbomb guest (tests/guests/shadowbomb.c) with 64
# MiB, which builds 24 address spaces of 250 page tables each, in 32-bit,
# PAE and 4-level paging, and reads and writes through all of them three
# times over. HC_STATS must never show more than 64 shadow pages in use,
# shadow_faults must grow in every pass, every read must give the right
# data after all that reclaim, and the MMU audit must stay quiet.
. "$(dirname "$0")/lib.sh"

elf=$(guest_elf shadowbomb) || exit 1
mkiso "$WORK/x.iso" --vmm-args "shadow_mem=512K mmu_audit=on" \
	--guest "$elf" "name=shadowbomb mem=64M -- max_shadow_pages=64"
boot bochs "$WORK/x.iso" --cpus 1
expect_status 0
expect_started shadowbomb 1 '[0-9]+' 64 multiboot2 "$elf"
expect_guest_pass shadowbomb
expect "[shadowbomb] PASS the bound is on the command line (max_shadow_pages=64)"
for m in 32-bit PAE 4-level; do
	expect "[shadowbomb] PASS $m: 24 address spaces of 250 page tables each (6000 tables)"
	expect "[shadowbomb] PASS $m: 3 passes over every table read and wrote the right data (0 wrong)"
	expect_re "^\[shadowbomb\] PASS $m: shadow pages in use stayed within 64 "
	for p in 0 1 2; do
		expect_re "^\[shadowbomb\] PASS $m: pass $p: shadow_faults grew "
	done
done
reject "error: mmu audit:"
expect_stopped shadowbomb 0
expect_final 'shade: done pass=1 fail=0'
finish
