#!/usr/bin/env bash
# Dirty logging from a control partition (issue 5): 'ctl' (control flag,
# CPU 1) logs 'work' (2 vCPUs on CPUs 2-3), which writes a deterministic
# pattern phase after phase and idles between phases until ctl has taken
# its GETs (dirtylog-ctl.c, dirtylog-work.c, lib/dlog.h). Every page of
# each phase's pattern is reported (a write right after a GET on a vCPU
# that stayed in guest mode included: a missing shootdown fails this);
# pages outside the pattern, old signals and GETs while the workload
# idles report (almost) nothing; the policy changes every phase; the
# workload's HC_STATS count ctl's GETs; the log of the stopped workload
# can still be read, then disabled. Both run with interrupts enabled
# (sti=1; dirtylog-race.sh checks shootdowns to vCPUs with them off).
. "$(dirname "$0")/lib.sh"

ctl=$(guest_elf dirtylog-ctl) || exit 1
work=$(guest_elf dirtylog-work) || exit 1
mkiso "$WORK/x.iso" --vmm-args "mmu_audit=on" \
	--guest "$ctl" "name=ctl control pcpus=1 -- phases=32 sti=1" \
	--guest "$work" "name=work cpus=2 pcpus=2-3 -- phases=32 sti=1"
boot bochs "$WORK/x.iso" --cpus 4 --timeout 180
expect_status 0
expect_started ctl 1 1 16 multiboot2 "$ctl"
expect_started work 2 '2,3' 16 multiboot2 "$work"
expect_guest_pass ctl
expect_guest_pass work
expect '[ctl] PASS phase 32: its signal page reported'
expect_re '^\[ctl\] checked writes: [0-9]+, lost: 0; '
expect '[ctl] PASS no write lost'
expect "[ctl] PASS 'work' has stopped (flags 0x0)"
expect '[ctl] PASS GET of the stopped partition: '
expect '[ctl] PASS GET after DISABLE: -EINVAL'
expect_re '^\[ctl\] PASS every GET took the rmap path \([0-9]+\) or the walk \([0-9]+\)$'
expect '[work] wrote 32 phases'
reject 'mmu audit:'
reject 'slow to answer'
expect_stopped work 0
expect_stopped ctl 0
expect_final 'shade: done pass=2 fail=0'
finish
