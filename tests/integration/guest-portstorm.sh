#!/usr/bin/env bash
# An I/O port storm: portstorm writes and reads ports with every width,
# except the partition's own devices (COM1, 0xe9, 0xf4 and the virtual
# PC's, docs/platform.md). Unassigned ports
# read as all ones and ignore writes, Shade logs each port's first access
# exactly once, and stays up (contract section 4).
#
# Every port 0x0000-0xffff, in about ten seconds of Bochs: Shade gathers
# first accesses to consecutive ports into one log line.
. "$(dirname "$0")/lib.sh"

ranges=(0x0-0xffff)
timeout=300
list=$(
	IFS=,
	echo "${ranges[*]}"
)

# The partition's own ports (contract section 4, docs/platform.md), as
# in tests/guests/portstorm.c.
devices=(0x20 0x21 0x40 0x41 0x42 0x43 0x60 0x61 0x64 0x70 0x71 0x92 0xa0
	0xa1 0xe9 0xf4 0x3f8 0x3f9 0x3fa 0x3fb 0x3fc 0x3fd 0x3fe 0x3ff 0x4d0
	0x4d1 0xcf9)
for ((port = 0x600; port <= 0x60b; port++)); do
	devices+=("$(printf '0x%x' "$port")")
done

# The ports a range touches, less the partition's own devices.
expected=0
for r in "${ranges[@]}"; do
	first=$((${r%-*})) last=$((${r#*-}))
	expected=$((expected + last - first + 1))
	for dev in "${devices[@]}"; do
		((dev < first || dev > last)) || expected=$((expected - 1))
	done
done

elf=$(guest_elf portstorm) || exit 1
mkiso "$WORK/x.iso" --guest "$elf" "name=portstorm -- ranges=$list"
boot bochs "$WORK/x.iso" --cpus 1 --timeout "$timeout"
expect_status 0
expect_guest_pass portstorm
expect '[portstorm] ports up to 0xffff done'
# Shade logs each port's first access once; consecutive ports share one
# line, "first accesses to unassigned I/O ports 0xA-0xB". Expand the lines
# into one port per line and count.
logged=$(lines | sed -nE \
	"s/.*partition 'portstorm': first access(es)? to unassigned I\/O ports? (0x[0-9a-f]+)(-(0x[0-9a-f]+))? \(reads all ones, writes ignored\)$/\2 \4/p" |
	while read -r lo hi; do
		for ((port = lo; port <= ${hi:-$lo}; port++)); do
			printf '0x%x\n' "$port"
		done
	done)
dups=$(sort <<<"$logged" | uniq -d | head -5)
[ -z "$dups" ] || fail "ports logged more than once: $dups"
n=$(grep -c . <<<"$logged")
[ "$n" -eq "$expected" ] || fail "$n ports logged, expected $expected"
for port in 0x0 0x80 0x3f7 0xe8 0xf5 0xcf8 0xcff 0xff00 0xffff; do
	grep -qx "$port" <<<"$logged" || fail "port $port not logged"
done
for port in 0x20 0x43 0x61 0x71 0xe9 0xf4 0x3f8 0x3fd 0x3ff 0x608 0xcf9; do
	! grep -qx "$port" <<<"$logged" || fail "device port $port logged as unassigned"
done
expect_stopped portstorm 0
expect_final 'shade: done pass=1 fail=0'
finish
