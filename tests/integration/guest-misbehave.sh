#!/usr/bin/env bash
# Guests of every ending, four partitions on four CPUs at once: each
# stops with its own status and one-line reason, and none of it stops
# Shade or the partitions beside it (contract section 4):
#   triplefault  empty IDT + ud2             status 255, RIP of the ud2
#   badinsn      ud2 and VMX instructions     #UD in the guest, status 0
#   cr0paging    CR0.PG with a valid map      paging works, status 0
#   halt         cli; hlt                     status 254
. "$(dirname "$0")/lib.sh"

args=()
for g in triplefault badinsn cr0paging halt; do
	elf=$(guest_elf "$g") || exit 1
	args+=(--guest "$elf" "name=$g")
done
mkiso "$WORK/x.iso" "${args[@]}"
boot bochs "$WORK/x.iso" --cpus 4
expect_status 1

# The guest prints the ud2's address ("ud2 at 0x00100010") before faulting.
site=$(lines | grep -oE '^\[triplefault\] loading an empty IDT, then ud2 at 0x[0-9a-f]+$' |
	grep -oE '0x[0-9a-f]+$' | sed 's/^0x0*//')
[ -n "$site" ] || fail "triplefault did not print the ud2's address"
expect_stopped_re triplefault 255 "triple fault on vCPU 0 at RIP 0x0*$site\$"
reject '[triplefault] FAIL'

expect_guest_pass badinsn
expect '[badinsn] PASS ud2: the guest'"'"'s own #UD handler ran once'
for insn in vmxon vmclear vmptrld vmptrst vmread vmwrite vmlaunch vmresume \
	vmxoff invept invvpid vmfunc; do
	expect "[badinsn] PASS $insn: vector 6 (expected 6)"
done
expect '[badinsn] PASS mov to CR4 with VMXE set: vector 13 (expected 13)'
expect_stopped badinsn 0

expect '[cr0paging] enabling paging'
expect '[cr0paging] PASS CR0.PG is set'
expect '[cr0paging] PASS memory reads through the identity map'
expect_stopped cr0paging 0

expect '[halt] halting with interrupts disabled'
expect_stopped_re halt 254 'all vCPUs halted with interrupts disabled$'

expect_final 'shade: done pass=2 fail=2'
finish
