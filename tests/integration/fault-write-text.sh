#!/usr/bin/env bash
# A deliberate write to Shade's read-only text (selftest=fault-write-text)
# must give the full exception report: vector, error code, CR2, every
# register, a backtrace, then all CPUs stop and tools/boot exits 1.
# This also proves that the text really is mapped read-only.
. "$(dirname "$0")/lib.sh"

mkiso "$WORK/x.iso" --vmm-args "selftest=fault-write-text"
boot bochs "$WORK/x.iso" --cpus 1
expect_status 1
addr=$(grep -oE 'writing to read-only text at 0x[0-9a-f]+' "$LOG" | grep -oE '0x[0-9a-f]+$')
[ -n "$addr" ] || fail "the selftest did not say which address it writes"
expect 'EXCEPTION vector 14 (#PF page fault), error code 0x3, on CPU 0'
expect "page fault at CR2 $addr: protection violation, write, supervisor mode"
expect_re 'RIP 0x[0-9a-f]{16}  CS 0x8  RFLAGS 0x[0-9a-f]+  RSP 0x[0-9a-f]{16}  SS 0x10'
expect_re 'RAX 0x[0-9a-f]{16} RBX 0x[0-9a-f]{16} RCX 0x[0-9a-f]{16} RDX 0x[0-9a-f]{16}'
expect_re 'RSI 0x[0-9a-f]{16} RDI 0x[0-9a-f]{16} RBP 0x[0-9a-f]{16} R8  0x[0-9a-f]{16}'
expect_re 'R9  0x[0-9a-f]{16} R10 0x[0-9a-f]{16} R11 0x[0-9a-f]{16} R12 0x[0-9a-f]{16}'
expect_re 'R13 0x[0-9a-f]{16} R14 0x[0-9a-f]{16} R15 0x[0-9a-f]{16}'
expect "CR2 $addr"
expect 'backtrace'
expect_re '  #0 0x[0-9a-f]{16} fault_write_text\+0x[0-9a-f]+$'
expect_re '  #1 0x[0-9a-f]{16} selftest_run\+0x[0-9a-f]+$'
expect_re '  #2 0x[0-9a-f]{16} boot_main\+0x[0-9a-f]+$'
expect 'shade: panic: all CPUs stopped'
reject 'shade: done'
finish
