#!/usr/bin/env bash
# Bad words on Shade's command line are each reported, quoted, and the
# machine still boots. Modules reach Shade through GRUB with their command
# lines intact; as this build cannot run partitions yet, each is reported as
# not started and counted as failed, so the final line has fail=2 and
# tools/boot exits 1 (contract sections 1 and 2).
. "$(dirname "$0")/lib.sh"

head -c 5000 /dev/zero >"$WORK/guest-a.bin"
head -c 5240 /dev/zero >"$WORK/guest-b.bin"
mkiso "$WORK/x.iso" --vmm-args "bogus=1 loglevel=loud cpus=0" \
	--guest "$WORK/guest-a.bin" "name=alpha mem=8M -- guest args" \
	--guest "$WORK/guest-b.bin" "name=beta"
boot bochs "$WORK/x.iso" --cpus 1
expect_status 1
expect "warning: command line: unknown option 'bogus=1'"
expect "warning: command line: loglevel: 'loud'"
expect "warning: command line: cpus: '0'"
expect_re 'memory: [0-9]+ MiB usable, [0-9]+ MiB free; image [0-9]+ KiB, modules 10 KiB'
expect "error: module 0 ('name=alpha mem=8M -- guest args'): partition not started"
expect "error: module 1 ('name=beta'): partition not started"
expect_final 'shade: done pass=0 fail=2'
finish
