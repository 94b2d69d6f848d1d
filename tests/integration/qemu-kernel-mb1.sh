#!/usr/bin/env bash
# The multiboot1 path: QEMU's -kernel loads build/shade.elf through the
# multiboot1 header's address fields (QEMU refuses ELF64 otherwise) and
# passes the file name first on the command line, which Shade skips.
. "$(dirname "$0")/lib.sh"

timeout 120 qemu-system-x86_64 -kernel "$ROOT/build/shade.elf" \
	-append "loglevel=debug" -m 128 -smp 2 -display none \
	-serial "file:$LOG" -no-reboot \
	-device isa-debug-exit,iobase=0xf4,iosize=4 </dev/null
status=$?
echo "qemu exited with $status"
# isa-debug-exit: a write of 0 to port 0xf4 exits with (0 << 1) | 1
[ "$status" -eq 1 ] || fail "QEMU exited with $status, not through Shade's power-off (1)"
expect 'loaded by multiboot1: qemu'
expect "command line: 'loglevel=debug'"
reject 'unknown option'
expect_re '^shade\[0\]: memory: 12[0-7] MiB usable'
expect 'smp: 2 CPUs online'
expect_final 'shade: done pass=0 fail=0'
finish
