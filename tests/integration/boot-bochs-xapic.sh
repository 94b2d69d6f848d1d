#!/usr/bin/env bash
# The xAPIC (memory-mapped) path: apic=xapic on two CPUs in Bochs. Also
# checks that Shade's command line reaches it through GRUB, and that a
# 64 MiB machine gives a matching memory summary.
. "$(dirname "$0")/lib.sh"

mkiso "$WORK/x.iso" --vmm-args "apic=xapic loglevel=debug"
boot bochs "$WORK/x.iso" --cpus 2 --mem 64
expect_status 0
expect "command line: 'apic=xapic loglevel=debug'"
expect_re '^shade\[0\]: memory: 6[0-3] MiB usable'
expect 'shade[1]: cpu 1 online (APIC ID 1)'
expect 'smp: 2 CPUs online (local APIC in xAPIC mode)'
expect_re 'vmx: VMX on in 2 CPUs'
expect 'ipi: round trip to 1 CPU ok'
expect_final 'shade: done pass=0 fail=0'
finish
