#!/usr/bin/env bash
# An exception on an AP (a #UD inside a cross-CPU call on CPU 1) is
# reported by that CPU, and the boot CPU, spinning with interrupts off
# while it waits for the answer, still stops.
. "$(dirname "$0")/lib.sh"

mkiso "$WORK/x.iso" --vmm-args "selftest=fault-ud"
boot bochs "$WORK/x.iso" --cpus 2
expect_status 1
expect 'selftest: undefined opcode on CPU 1'
expect 'shade[1]: error: EXCEPTION vector 6 (#UD invalid opcode), error code 0, on CPU 1'
expect_re '^shade\[1\]: error: RIP 0x[0-9a-f]{16}'
reject 'did not stop'
expect 'shade: panic: all CPUs stopped'
reject 'shade: done'
finish
