#!/usr/bin/env bash
# A Linux guest (contract section 3: format=linux, the 32-bit boot
# protocol): linux-hello, a bzImage (tests/guests/linux/), in a 24 MiB
# partition with a command line and an initrd of two module-for modules.
# The guest checks its entry registers, segments and GDT, the boot_params
# at ESI (setup header copy, loader fields, command line, initrd bytes,
# e820, acpi_rsdp_addr) and its partition; here we check its PASS lines
# and Shade's lines. A second partition with the same image and a command
# line longer than the image's cmdline_size (100) must be refused.
. "$(dirname "$0")/lib.sh"

bin=$GUESTS/linux-hello.bin
[ -f "$bin" ] || {
	echo "missing $bin: run make first"
	exit 1
}
# The initrd's parts are what tests/guests/linux/hello.c expects.
printf 'Shade initrd, part one (27)\n' >"$WORK/part1"
printf 'part two\n' >"$WORK/part2"
long=$(printf 'x%.0s' $(seq 101))
mkiso "$WORK/x.iso" \
	--guest "$bin" "name=linux-hello format=linux mem=24M -- console=ttyS0 initrd=two-parts hello=world" \
	--guest "$WORK/part1" "module-for=linux-hello first" \
	--guest "$bin" "name=linux-long format=linux -- $long" \
	--guest "$WORK/part2" "module-for=linux-hello second"
boot bochs "$WORK/x.iso" --cpus 1
expect_status 1
expect_re "^shade\[[0-9]+\]: error: partition 'linux-long': image \(module 2, [0-9]+ bytes\): the command line has 101 characters, more than the kernel's cmdline_size 100\$"
expect_not_started linux-long
# The entry point is code32_start, where linux.ld puts linux_start.
expect_re "^shade\[[0-9]+\]: partition 'linux-hello': 1 vCPU on CPU [0-9]+, 24 MiB, linux image, entry 0x100000\$"
expect_guest_pass linux-hello
expect '[linux-hello] PASS ESI '
expect '[linux-hello] PASS CS is __BOOT_CS'
expect '[linux-hello] PASS DS, ES, SS are __BOOT_DS (0x18 0x18 0x18)'
expect '[linux-hello] PASS GDT 0x10: flat 4 GiB execute/read code'
expect '[linux-hello] PASS GDT 0x18: flat 4 GiB read/write data'
expect '[linux-hello] PASS EBX is 0'
expect '[linux-hello] PASS boot_params: nothing past the setup header copied'
expect '[linux-hello] PASS boot_params: type_of_loader 0xff (undefined)'
expect "[linux-hello] PASS command line is 'console=ttyS0 initrd=two-parts hello=world'"
expect '[linux-hello] PASS initrd bytes: module 1'
expect '[linux-hello] PASS initrd bytes: zero padding to 4 bytes'
expect '[linux-hello] PASS initrd bytes: module 2'
expect '[linux-hello] PASS e820 entry 1: base 0x9fc00 len 0x60400 type 2'
expect '[linux-hello] PASS e820 entry 2: base 0x100000 len 0x1700000 type 1'
expect '[linux-hello] PASS acpi_rsdp_addr is the RSDP'
expect '[linux-hello] PASS partition info: mem_bytes'
expect_stopped linux-hello 0
expect_final 'shade: done pass=1 fail=1'
finish
