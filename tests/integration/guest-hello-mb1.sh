#!/usr/bin/env bash
# The multiboot1 path: hello-mb1 (only a multiboot1 header, so format=auto
# must pick multiboot1) in a 32 MiB partition. The guest checks the
# multiboot1 information structure, CPUID and hypercalls like hello does.
. "$(dirname "$0")/lib.sh"

elf=$(guest_elf hello-mb1) || exit 1
# The module's bytes and string are what tests/guests/hello-mb1.c expects.
printf 'Shade test module: 0123456789abcdef\n' >"$WORK/module.txt"
mkiso "$WORK/x.iso" --guest "$elf" "name=hello-mb1 mem=32M -- hello world" \
	--guest "$WORK/module.txt" "module-for=hello-mb1 greeting for hello-mb1"
boot bochs "$WORK/x.iso" --cpus 1
expect_status 0
expect_started hello-mb1 1 '[0-9]+' 32 multiboot1 "$elf"
expect_guest_pass hello-mb1
expect '[hello-mb1] PASS EAX holds the multiboot1 magic'
expect "[hello-mb1] PASS command line is 'hello world'"
expect '[hello-mb1] PASS memory map entry 2: base 0x100000 len 0x1f00000 type 1'
expect '[hello-mb1] PASS mem_upper in KiB'
expect '[hello-mb1] PASS module content'
expect '[hello-mb1] PASS partition info: mem_bytes'
expect_stopped hello-mb1 0
expect_final 'shade: done pass=1 fail=0'
finish
