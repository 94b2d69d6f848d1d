#!/usr/bin/env bash
# Dirty logging under racing writers, after KVM's dirty_log_test (issue
# 5): the dirtylog guest in a 3-vCPU partition pinned to CPUs 1-3 of
# four logs its own RAM; vCPUs 1 and 2 write pseudo-random pages while
# vCPU 0 takes GET after GET, with paging off, then through the guest's
# own 32-bit and PAE page tables (aliases, 4 MiB and 2 MiB pages, page
# table churn), under the policies auto, rmap, walk and words each. No
# write may be lost; false positives stay under 1%; HC_STATS counts the
# GETs, the forced path and the shootdowns; a write on another CPU right
# after a GET is reported by the next one (a missing shootdown fails
# this); the accessed and dirty flags Shade sets are logged. At least
# 100,000 writes are checked. With mmu_audit=on.
#
# The main run has every vCPU enable interrupts (sti=1). A second, short
# run leaves them disabled, as a vCPU starts: a GET's shootdown IPI must
# still reach vCPUs that spin with interrupts off.
. "$(dirname "$0")/lib.sh"

elf=$(guest_elf dirtylog) || exit 1
mkiso "$WORK/x.iso" --vmm-args "mmu_audit=on" \
	--guest "$elf" "name=dl cpus=3 pcpus=1-3 -- iters=80 rounds=30 sti=1"
boot bochs "$WORK/x.iso" --cpus 4 --timeout 360
expect_status 0
expect_started dl 3 '1,2,3' 16 multiboot2 "$elf"
expect_guest_pass dl
for mode in 'paging off' '32-bit paging' 'PAE paging'; do
	for policy in auto rmap walk words; do
		expect "[dl] PASS race, $mode, $policy: no write lost"
		expect "[dl] PASS race, $mode, $policy: false positives"
		expect_re "^\[dl\] PASS race, $mode, $policy: [0-9]+ GETs by rmap, [0-9]+ by walk \(policy $policy\)\$"
		expect "[dl] PASS shootdown, $mode, $policy: 30 rounds, the write after each GET or ENABLE reported"
	done
done
expect '[dl] PASS 32-bit paging: a write through a clear dirty flag: the flag set'
expect '[dl] PASS PAE paging: a write into a page table in use (Shade emulates it) is reported'
checked=$(lines | sed -n 's/^\[dl\] checked writes: \([0-9]*\), lost: 0$/\1/p')
[ "${checked:-0}" -ge 100000 ] ||
	fail "checked writes: '${checked}', want at least 100000 and none lost"
echo "checked writes: ${checked:-none}"
reject 'mmu audit:'
reject 'slow to answer'
expect_stopped dl 0
expect_final 'shade: done pass=1 fail=0'

# Interrupts off in every vCPU: the shootdowns and the final stop must
# still get through (a short run: paging off, few GETs).
LOG=${SHADE_TEST_LOGDIR:-$WORK}/$NAME-cli.serial
mkiso "$WORK/y.iso" \
	--guest "$elf" "name=dlcli cpus=3 pcpus=1-3 -- iters=4 rounds=4 modes=1"
boot bochs "$WORK/y.iso" --cpus 4 --timeout 60
expect_status 0
expect_guest_pass dlcli
reject 'slow to answer'
expect_stopped dlcli 0
expect_final 'shade: done pass=1 fail=0'
finish
