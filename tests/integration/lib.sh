# SPDX-License-Identifier: MIT
# Shared helpers for the integration tests: each test builds an ISO with
# tools/mkiso, boots it with tools/boot and checks the serial log.
#
# Sourced by tests/integration/*.sh, which tests/run starts from the
# repository root with SHADE_TEST_LOGDIR set.

set -u

ROOT=${SHADE_ROOT:-$(pwd)}
NAME=$(basename "$0" .sh)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/shade-$NAME.XXXXXX")
LOG=${SHADE_TEST_LOGDIR:-$WORK}/$NAME.serial
trap 'rm -rf "$WORK"' EXIT
failures=0

fail() {
	echo "FAIL: $*"
	failures=$((failures + 1))
}

# mkiso ISO [mkiso args...]
mkiso() {
	"$ROOT/tools/mkiso" "$@" >/dev/null || {
		echo "tools/mkiso $* failed"
		exit 1
	}
}

# boot EMULATOR ISO [tools/boot args...]: sets $status, log in $LOG
boot() {
	local emu=$1 iso=$2
	shift 2
	"$ROOT/tools/boot" "$emu" "$iso" --timeout 300 --log "$LOG" "$@"
	status=$?
	echo "tools/boot $emu exited with $status"
}

expect_status() {
	[ "$status" -eq "$1" ] || fail "tools/boot exited with $status, expected $1"
}

# The serial log without the UART's carriage returns.
lines() {
	tr -d '\r' <"$LOG"
}

# expect TEXT: a log line contains TEXT (fixed string)
expect() {
	lines | grep -qF -- "$1" || fail "no line with: $1"
}

# expect_re REGEX: a log line matches the extended regular expression
expect_re() {
	lines | grep -qE -- "$1" || fail "no line matching: $1"
}

reject() {
	! lines | grep -qF -- "$1" || fail "unexpected line with: $1"
}

# expect_count N TEXT: exactly N lines contain TEXT
expect_count() {
	local n
	n=$(lines | grep -cF -- "$2")
	[ "$n" -eq "$1" ] || fail "$n lines with '$2', expected $1"
}

# The contract's final line, exactly, and as the last line of Shade's output.
expect_final() {
	local last
	expect_count 1 "shade: done"
	last=$(lines | grep -v '^$' | tail -n 1)
	[ "$last" = "$1" ] || fail "last line is '$last', expected '$1'"
}

finish() {
	if [ "$failures" -ne 0 ]; then
		echo "$NAME: $failures check(s) failed; serial log: $LOG"
		exit 1
	fi
	echo "$NAME: ok"
	exit 0
}

# ---- partitions and test guests (tests/guests/, contract sections 2-4) ----

GUESTS=$ROOT/build/guests

# guest_elf NAME: print the path of build/guests/NAME.elf; fails if it is
# not built (make builds every guest).
guest_elf() {
	local elf=$GUESTS/$1.elf
	[ -f "$elf" ] || {
		echo "missing $elf: run make first" >&2
		return 1
	}
	printf '%s\n' "$elf"
}

# elf_entry ELF: the entry point in lowercase hex without 0x or leading 0s.
elf_entry() {
	readelf -h "$1" | awk '/Entry point address/ { print $4 }' |
		sed 's/^0x0*//'
}

# expect_started NAME NCPUS CPUS_RE MIB FORMAT [ELF]: Shade's line for a
# partition that starts, e.g. "shade[0]: partition 'hello': 1 vCPU(s) on
# CPU(s) 0, 16 MiB, multiboot2 image, entry 0x101a69". CPUS_RE is a regular
# expression for the CPU list; with ELF the entry point must be its own.
expect_started() {
	local name=$1 ncpus=$2 cpus=$3 mib=$4 format=$5 entry='0x[0-9a-f]+'
	[ $# -lt 6 ] || entry="0x0*$(elf_entry "$6")"
	expect_re "^shade\[[0-9]+\]: partition '$name': $ncpus vCPU(s|\(s\))? on CPU(s|\(s\))? $cpus, $mib MiB, $format image, entry $entry\$"
}

# expect_stopped NAME STATUS: the partition wrote STATUS to port 0xf4.
expect_stopped() {
	expect_re "^shade\[[0-9]+\]: partition '$1' stopped with status $2 \(the guest wrote $2 to port 0xf4\)\$"
}

# expect_stopped_re NAME STATUS REASON_RE: stopped by Shade with a reason.
expect_stopped_re() {
	expect_re "^shade\[[0-9]+\]: partition '$1' stopped with status $2: $3"
}

# expect_guest_pass NAME: the guest's checks all passed: PASS lines, no
# FAIL line, and its summary "RESULT pass=N fail=0" (check.c).
expect_guest_pass() {
	expect "[$1] PASS "
	reject "[$1] FAIL"
	expect_re "^\[$1\] RESULT pass=[1-9][0-9]* fail=0\$"
}

# expect_config_error NAME WORD: the contract's report of a bad partition
# line, "shade[0]: error: partition 'NAME': 'WORD': reason".
expect_config_error() {
	expect_re "^shade\[[0-9]+\]: error: partition '$1': "
	expect "error: partition '$1': '$2': "
}

# reject_re REGEX: no log line matches the extended regular expression.
reject_re() {
	! lines | grep -qE -- "$1" || fail "unexpected line matching: $1"
}

# expect_not_started NAME: no start line, no output and no stop for NAME.
expect_not_started() {
	reject_re "^shade\[[0-9]+\]: partition '$1': [0-9]+ vCPU"
	reject "[$1] "
	reject "partition '$1' stopped"
}

# expect_ok_partition NAME: a well-behaved partition (sidebyside with
# "-- lines=3") started once, printed its third line and stopped with 0.
expect_ok_partition() {
	expect_count 1 "partition '$1': 1 vCPU"
	expect_re "^\[$1\] line 3 of $1: "
	expect_stopped "$1" 0
}
