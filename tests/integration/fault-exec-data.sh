#!/usr/bin/env bash
# Executing from a data page (selftest=fault-exec-data) must fault with an
# instruction-fetch page fault: data really is mapped non-executable.
. "$(dirname "$0")/lib.sh"

mkiso "$WORK/x.iso" --vmm-args "selftest=fault-exec-data"
boot bochs "$WORK/x.iso" --cpus 1
expect_status 1
addr=$(grep -oE 'calling non-executable data at 0x[0-9a-f]+' "$LOG" | grep -oE '0x[0-9a-f]+$')
[ -n "$addr" ] || fail "the selftest did not say which address it calls"
expect 'EXCEPTION vector 14 (#PF page fault), error code 0x11, on CPU 0'
expect "page fault at CR2 $addr: protection violation, read, supervisor mode, instruction fetch"
expect_re "RIP $addr "
expect 'shade: panic: all CPUs stopped'
reject 'shade: done'
finish
