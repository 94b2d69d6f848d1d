#!/usr/bin/env bash
# An I/O port storm: portstorm writes and reads ports with every width,
# except the partition's own devices (COM1, 0xe9, 0xf4). Unassigned ports
# read as all ones and ignore writes, Shade logs each port's first access
# exactly once, and stays up (contract section 4).
#
# Shade's log line per port is what costs: in Bochs about 110 ports a
# second, so all 65536 take some ten minutes. By default the guest storms
# the legacy range, the PCI configuration ports and the top of the space
# (edges included); SHADE_PORTSTORM_FULL=1 storms every port.
. "$(dirname "$0")/lib.sh"

if [ "${SHADE_PORTSTORM_FULL:-0}" = 1 ]; then
	ranges=(0x0-0xffff)
	timeout=1500
else
	ranges=(0x0-0x3ff 0xcf8-0xcff 0xff00-0xffff)
	timeout=300
fi
list=$(
	IFS=,
	echo "${ranges[*]}"
)

# The ports a range touches, less the partition's own devices.
expected=0
for r in "${ranges[@]}"; do
	first=$((${r%-*})) last=$((${r#*-}))
	expected=$((expected + last - first + 1))
	for dev in 0xe9 0xf4 0x3f8 0x3f9 0x3fa 0x3fb 0x3fc 0x3fd 0x3fe 0x3ff; do
		((dev < first || dev > last)) || expected=$((expected - 1))
	done
done

elf=$(guest_elf portstorm) || exit 1
mkiso "$WORK/x.iso" --guest "$elf" "name=portstorm -- ranges=$list"
boot bochs "$WORK/x.iso" --cpus 1 --timeout "$timeout"
expect_status 0
expect_guest_pass portstorm
expect '[portstorm] ports up to 0xffff done'
first="partition 'portstorm': first access to unassigned I/O port"
for port in 0x0 0x80 0x3f7 0xe8 0xf5 0xcf8 0xcff 0xff00 0xffff; do
	expect_count 1 "$first $port (reads all ones, writes ignored)"
done
for port in 0xe9 0xf4 0x3f8 0x3fd 0x3ff; do
	reject "$first $port ("
done
expect_count "$expected" "$first 0x"
expect_stopped portstorm 0
expect_final 'shade: done pass=1 fail=0'
finish
