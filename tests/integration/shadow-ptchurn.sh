#!/usr/bin/env bash
# Page-table churn on four vCPUs at once: the ptchurn guest
# (tests/guests/ptchurn.c) in a 4-vCPU partition on CPUs 0-3, in 32-bit,
# PAE and 4-level paging. Each vCPU forks, execs and exits in address
# spaces of its own (fresh tables, PTEs moved, made read-only, cleared,
# copy-on-write, freed tables reused as data, CR3 switches), while vCPU 0
# rewrites a page table shared by all, which the others check after INVLPG
# or a CR3 load each time it changes. Every vCPU's checks must pass in
# every mode and the MMU audit stay quiet.
. "$(dirname "$0")/lib.sh"

elf=$(guest_elf ptchurn) || exit 1
mkiso "$WORK/x.iso" --vmm-args "mmu_audit=on" \
	--guest "$elf" "name=ptchurn cpus=4 pcpus=0-3 -- iters=8"
boot bochs "$WORK/x.iso" --cpus 4
expect_status 0
expect_started ptchurn 4 '0,1,2,3' 16 multiboot2 "$elf"
expect_guest_pass ptchurn
for i in 1 2 3; do
	expect "[ptchurn] PASS HC_VCPU_START($i)"
done
for m in 32-bit PAE 4-level; do
	for i in 0 1 2 3; do
		expect_re "^\[ptchurn\] PASS vCPU $i $m: 8 iterations, [0-9]+ checks \(0 failed\), [1-9][0-9]* generations of the shared table checked\$"
	done
	expect_re "^\[ptchurn\] PASS $m: the shared table was rewritten [1-9][0-9]* times while the others read it\$"
	expect_re "^\[ptchurn\] PASS $m: every page back in the pool \(([0-9]+) of \1\)\$"
done
expect "[ptchurn] PASS all 4 vCPUs finished"
reject "error: mmu audit:"
expect_stopped ptchurn 0
expect_final 'shade: done pass=1 fail=0'
finish
