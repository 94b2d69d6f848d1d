#!/usr/bin/env bash
# Secondary vCPUs: the smp guest in a 3-vCPU partition pinned to CPUs 1-3
# of four. vCPU 0 starts vCPUs 1 and 2 with HC_VCPU_START, each prints a
# line from its own physical CPU, and the start arguments that must fail
# (-EINVAL, -EBUSY) do (contract section 5).
. "$(dirname "$0")/lib.sh"

elf=$(guest_elf smp) || exit 1
mkiso "$WORK/x.iso" --guest "$elf" "name=smp cpus=3 pcpus=1-3"
boot bochs "$WORK/x.iso" --cpus 4
expect_status 0
expect_started smp 3 '1,2,3' 16 multiboot2 "$elf"
expect_guest_pass smp
for i in 1 2; do
	expect "[smp] vCPU $i started"
	expect "[smp] PASS vCPU $i: EAX holds its index"
	expect "[smp] PASS vCPU $i: HC_VERSION from a secondary vCPU"
	expect "[smp] PASS vCPU $i finished"
done
expect '[smp] PASS start vCPU 3 of 3: -EINVAL'
expect '[smp] PASS entry at the end of RAM: -EINVAL'
expect '[smp] PASS start running vCPU 1 again: -EBUSY'
expect_stopped smp 0
expect_final 'shade: done pass=1 fail=0'
finish
