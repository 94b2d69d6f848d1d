#!/usr/bin/env bash
# The first guest: hello (multiboot2) in a default partition on one CPU.
# The guest checks its entry state, command line, memory map, module,
# CPUID leaves and its own partition's hypercalls and prints PASS/FAIL
# lines; here we check Shade's start and stop lines around them and the
# final line (contract sections 2-5).
. "$(dirname "$0")/lib.sh"

elf=$(guest_elf hello) || exit 1
# The module's bytes and string are what tests/guests/hello.c expects.
printf 'Shade test module: 0123456789abcdef\n' >"$WORK/module.txt"
mkiso "$WORK/x.iso" --guest "$elf" "name=hello -- hello world" \
	--guest "$WORK/module.txt" "module-for=hello greeting for hello"
boot bochs "$WORK/x.iso" --cpus 1
expect_status 0
expect_started hello 1 '[0-9]+' 16 multiboot2 "$elf"
expect_guest_pass hello
expect "[hello] PASS command line is 'hello world'"
expect '[hello] PASS memory map entry 2: base 0x100000 len 0xf00000 type 1'
expect '[hello] PASS module content'
expect '[hello] PASS CPUID 0x40000000 signature is ShadeVMM'
expect '[hello] PASS HC_VERSION is 1.0'
expect '[hello] PASS memory slot 0 npages = mem / 4096'
expect '[hello] rep outsb to the UART works'
expect '[hello] outsb to 0xe9 backwards'
expect '[hello] PASS REP OUTSB consumed ECX'
expect '[hello] PASS OUTSB with DF=1 walked down'
expect '[hello] PASS SSE works once CR4.OSFXSR is set'
expect_stopped hello 0
expect_final 'shade: done pass=1 fail=0'
finish
