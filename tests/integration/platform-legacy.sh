#!/usr/bin/env bash
# The legacy PC devices (vmm/vpic.c, vpit.c, vrtc.c, vmisc.c), checked
# from inside a partition by the legacy guest (tests/guests/legacy.c):
# the 8259 pair, the PIT and its IRQ0 rates, the calibration loop through
# port 0x61, the RTC and CMOS, the PM timer, the keyboard controller.
# Beside it, legacy-end powers its partition off through PM1a_CNT (S5),
# which stops it with status 0 and its own line; and a third partition
# halts with interrupts on and only a timer whose vector TPR holds back:
# once the timer fired nothing can wake it, and Shade stops it as all
# halted (254) instead of leaving it halted for ever.
. "$(dirname "$0")/lib.sh"

legacy=$(guest_elf legacy) || exit 1
end=$(guest_elf legacy-end) || exit 1
mkiso "$WORK/x.iso" --guest "$legacy" "name=legacy mem=24M" \
	--guest "$end" "name=s5 -- end=s5" \
	--guest "$end" "name=halt -- end=halt"
boot bochs "$WORK/x.iso" --cpus 3
expect_status 1

expect_started legacy 1 '[0-9]+' 24 multiboot2 "$legacy"
expect_guest_pass legacy
expect_re '^\[legacy\] PASS PIT mode 2, count 1193: IRQ0 every [0-9]+ TSC ticks over 50 ticks'
expect_re '^\[legacy\] PASS PIT mode 3, count 2386: IRQ0 every [0-9]+ TSC ticks over 25 ticks'
expect_re '^\[legacy\] PASS PIT calibration loop: [0-9]+ TSC ticks in 50 ms'
expect_re '^\[legacy\] PASS PM timer: [0-9]+ ticks in [0-9]+ TSC ticks'
expect_re '^\[legacy\] PASS PM timer wraps from 0xf[0-9a-f]{5} to 0x0?[0-9a-f]{1,5} '
expect '[legacy] PASS default priority: IRQ0 (0x20) before IRQ8 (0x28)'
expect '[legacy] PASS set priority (IR2 highest): IRQ8 (0x28) before IRQ0 (0x20)'
expect_re '^\[legacy\] PASS special mask mode, IRQ0 masked: IRQ8 nests'
expect_re '^\[legacy\] PASS RTC date 2[0-9]{3}-[0-9]{2}-[0-9]{2} is a valid date and time$'
expect '[legacy] PASS 1999-12-31 23:59:59 + 1 s = 2000-01-01 00:00:0'
expect '[legacy] PASS CMOS 0x34-0x35: 64 KiB blocks above 16 MiB, from mem='
expect_stopped legacy 0

expect "[s5] leaving by 'end=s5'"
reject '[s5] FAIL'
expect_stopped_re s5 0 'ACPI power-off \(S5\)$'

expect "[halt] leaving by 'end=halt'"
reject '[halt] FAIL'
expect_stopped_re halt 254 'all vCPUs halted; those with interrupts enabled have no timer armed and no interrupt they can take$'
expect_final 'shade: done pass=2 fail=1'
finish
