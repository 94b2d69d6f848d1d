#!/usr/bin/env bash
# A guest's reset through each of the PC's reset paths (vmm/vmisc.c):
# the reset control register 0xcf9, the keyboard controller's pulse
# command 0xfe and its output port (0xd1), port 0x92's fast reset. A
# partition cannot be reset, so each stops with status 251 and a line
# naming the write; Shade and the other partitions carry on.
. "$(dirname "$0")/lib.sh"

end=$(guest_elf legacy-end) || exit 1
ways=(cf9 kbc kbc-out p92)
args=()
for way in "${ways[@]}"; do
	args+=(--guest "$end" "name=$way -- end=$way")
done
mkiso "$WORK/x.iso" "${args[@]}"
boot bochs "$WORK/x.iso" --cpus 4
expect_status 1

declare -A write=(
	[cf9]='write 0x6 to port 0xcf9'
	[kbc]='write 0xfe to port 0x64'
	[kbc-out]='write 0x2 to port 0x60'
	[p92]='write 0x3 to port 0x92'
)
for way in "${ways[@]}"; do
	expect "[$way] leaving by 'end=$way'"
	reject "[$way] FAIL"
	expect_stopped_re "$way" 251 "guest requested a reset \\(${write[$way]}\\)\$"
done
expect_final 'shade: done pass=0 fail=4'
finish
