#!/usr/bin/env bash
# Dirty logging's bad inputs (contract section 5): the dirtylog-errors
# guest in a control partition 'dlerr' (16388K: 4097 pages, a 520-byte
# bitmap) and in a plain one 'dlpeer', one CPU each. Every invalid
# argument gets the contract's errno and changes nothing; Shade's own
# writes into logged pages (HC_STATS, HC_PARTITION_INFO, HC_MEMSLOT_INFO,
# a GET's bitmap) are reported by the next GET. Two CPUs, not one: the
# -EPERM checks need a second partition that exists.
. "$(dirname "$0")/lib.sh"

elf=$(guest_elf dirtylog-errors) || exit 1
mkiso "$WORK/x.iso" --vmm-args "mmu_audit=on" \
	--guest "$elf" "name=dlerr mem=16388K control -- other=dlpeer" \
	--guest "$elf" "name=dlpeer -- other=dlerr"
boot bochs "$WORK/x.iso" --cpus 2
expect_status 0
expect_started dlerr 1 '[0-9]+' 16 multiboot2 "$elf"
expect_guest_pass dlerr
expect_guest_pass dlpeer
expect '[dlerr] control partition, 4097 pages (bitmap 520 bytes)'
expect '[dlerr] PASS GET on a slot not logging: -22 (want -22), buffer untouched'
expect '[dlerr] PASS GET, bitmap 1 short: -28 (want -28), buffer untouched'
expect_re '^\[dlerr\] PASS GET into 0x[0-9a-f]+, 520 bytes \(straddling the end of RAM\): -14 \(want -14\), nothing written$'
expect '[dlerr] PASS unknown partition 0x3e8 from a control partition: ENABLE, DISABLE, POLICY -ENOENT'
expect '[dlerr] PASS own: POLICY 5: -EINVAL'
expect '[dlerr] PASS own: POLICY 6: -EINVAL'
for pol in 0 1 2 3 4; do
	expect "[dlerr] PASS own: POLICY $pol: 0"
done
expect '[dlerr] PASS ENABLE, GET, POLICY, DISABLE at CPL 3 (log on): -1 -1 -1 -1 (all -EPERM)'
expect '[dlerr] PASS the pages written before the failed GETs are reported'
expect '[dlerr] PASS HC_STATS: one GET, by rmap (POLICY 5 refused)'
expect '[dlerr] PASS both pages HC_PARTITION_INFO wrote are reported'
expect_re '^\[dlpeer\] PASS id 0x[0-9a-f]+ without control: ENABLE, DISABLE, POLICY -EPERM$'
expect '[dlpeer] PASS GET of the control partition into a bad buffer: -EPERM'
reject 'mmu audit:'
expect_stopped dlerr 0
expect_stopped dlpeer 0
expect_final 'shade: done pass=2 fail=0'
finish
