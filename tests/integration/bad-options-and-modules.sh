#!/usr/bin/env bash
# Bad words on Shade's command line are each reported, quoted, and the
# machine still boots. Modules reach Shade through GRUB; two partitions
# whose images have no multiboot header are each reported with the
# partition's name and the module, and count as failed, so the final line
# has fail=2 and tools/boot exits 1 (contract sections 1 and 2).
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
expect "error: partition 'alpha': image (module 0, 5000 bytes): no multiboot2 header in the first 32 KiB and no multiboot1 header in the first 8 KiB"
expect "error: partition 'beta': image (module 1, 5240 bytes): no multiboot2 header"
expect_final 'shade: done pass=0 fail=2'
finish
