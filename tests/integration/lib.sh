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
