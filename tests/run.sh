#!/bin/sh
# SPDX-License-Identifier: MIT
# Run the test suites against a build directory.
#
#   tests/run.sh BUILD          unit tests, then the kernel-differential and CLI suites
#   tests/run.sh BUILD unit     unit tests only
#   tests/run.sh BUILD kdiff    kernel-differential suite only
#   tests/run.sh BUILD cli      CLI conformance suite only (ctrack vs conntrack)
#
# Unit tests are the cmocka binaries BUILD/tests/test_*; every test inside a
# binary counts.  The kdiff suite (tests/kdiff) and the CLI conformance
# suite (tests/cli: the real conntrack against a kernel namespace beside
# ctrack against ctrackd) are pytest suites that need root and network
# namespaces; without them they are skipped with a message.  The last
# line is always "N passed, N failed"; the exit status is non-zero if
# anything failed (a binary that crashes, or a pytest run that collects no
# test, counts as a failure).
set -u

BUILD=${1:-build}
MODE=${2:-all}
case "$MODE" in
all|unit|kdiff|cli|sync|nft) ;;
*) echo "usage: $0 BUILD [unit|kdiff|cli|sync|nft]" >&2; exit 2 ;;
esac

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
case "$BUILD" in
/*) ;;
*) BUILD="$ROOT/$BUILD" ;;
esac

PASSED=0
FAILED=0
LOG=$(mktemp "${TMPDIR:-/tmp}/ctrack-run.XXXXXX")
trap 'rm -f "$LOG"' EXIT INT TERM

# The number after a cmocka summary tag ("[  PASSED  ] 3 test(s).").
cmocka_count() {
	sed -n "s/^\[  $1  \] \([0-9][0-9]*\) test.*/\1/p" "$LOG" | tail -n 1
}

run_unit() {
	found=0
	for t in "$BUILD"/tests/test_*; do
		[ -x "$t" ] && [ -f "$t" ] || continue
		found=1
		name=$(basename "$t")
		CMOCKA_MESSAGE_OUTPUT=stdout "$t" >"$LOG" 2>&1
		rc=$?
		p=$(cmocka_count PASSED)
		f=$(cmocka_count FAILED)
		p=${p:-0}
		f=${f:-0}
		if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
			# Crashed or exited before its summary: count it as one failure.
			f=1
		fi
		PASSED=$((PASSED + p))
		FAILED=$((FAILED + f))
		if [ "$f" -ne 0 ]; then
			echo "FAIL $name: $p passed, $f failed (exit $rc)"
			sed 's/^/    /' "$LOG" | tail -n 60
		else
			echo "ok   $name: $p passed"
		fi
	done
	[ "$found" -eq 1 ] || echo "unit: no test binaries in $BUILD/tests"
}

kdiff_possible() {
	[ "$(id -u)" = 0 ] || return 1
	command -v ip >/dev/null 2>&1 || return 1
	probe="kd-probe-$$"
	ip netns add "$probe" >/dev/null 2>&1 || return 1
	ip netns del "$probe" >/dev/null 2>&1
	return 0
}

# Sum the "N word" counts of pytest's final summary line.
pytest_count() {
	tail -n 1 "$LOG" | tr ',' '\n' | sed -n "s/^[^0-9]*\([0-9][0-9]*\) $1\( .*\)\{0,1\}\$/\1/p" |
		head -n 1
}

# run_pytest NAME DIR: one pytest suite; its counts join the totals.
run_pytest() {
	name=$1
	dir=$2
	if ! kdiff_possible; then
		echo "SKIP $name: needs root and network namespaces"
		return
	fi
	PY=/usr/bin/python3
	[ -x "$PY" ] || PY=python3
	CTRACK_BUILD="$BUILD" "$PY" -m pytest -q -rfEX -p no:cacheprovider "$dir" \
		>"$LOG" 2>&1
	rc=$?
	cat "$LOG"
	if [ "$rc" -eq 5 ]; then
		echo "FAIL $name: pytest collected no tests"
		FAILED=$((FAILED + 1))
		return
	fi
	p=$(pytest_count passed)
	f=$(pytest_count failed)
	e=$(pytest_count 'errors\{0,1\}')
	xf=$(pytest_count xfailed)
	xp=$(pytest_count xpassed)
	s=$(pytest_count skipped)
	p=${p:-0} f=${f:-0} e=${e:-0} xf=${xf:-0} xp=${xp:-0} s=${s:-0}
	# xfail(strict=True) tests that fail as expected count as passed;
	# strict xpasses are reported by pytest as failures already.
	PASSED=$((PASSED + p + xf))
	FAILED=$((FAILED + f + e))
	if [ "$rc" -ne 0 ] && [ $((f + e)) -eq 0 ]; then
		echo "FAIL $name: pytest exited $rc"
		FAILED=$((FAILED + 1))
	fi
	echo "$name: $p passed, $xf xfailed (expected), $s skipped, $f failed, $e errors"
}

# nftables: tier-A conformance (no root), golden listings and error
# messages (no root), the evaluator against the kernel and the JSON
# listings against nft's (root).
run_nft() {
	PY=/usr/bin/python3
	[ -x "$PY" ] || PY=python3
	"$PY" "$ROOT/tests/nft/conformance_check.py" "$BUILD" >"$LOG" 2>&1
	rc=$?
	cat "$LOG"
	p=$(sed -n 's/^nft-conformance: \([0-9]*\) passed, \([0-9]*\) known, \([0-9]*\) failed.*/\1 \2 \3/p' "$LOG")
	if [ -n "$p" ]; then
		set -- $p
		# known misses are lines nft 1.0.6 fails as well: expected failures
		PASSED=$((PASSED + $1 + $2))
		FAILED=$((FAILED + $3))
	elif ! grep -q '^SKIP' "$LOG"; then
		FAILED=$((FAILED + 1))
	fi
	[ "$rc" -eq 0 ] || [ -n "$p" ] || FAILED=$((FAILED + 1))
	(cd "$ROOT" && sh tests/nft/golden.sh "$BUILD") >"$LOG" 2>&1
	cat "$LOG"
	p=$(sed -n 's|^nft golden: \([0-9]*\)/\([0-9]*\) passed|\1 \2|p' "$LOG")
	if [ -n "$p" ]; then
		set -- $p
		PASSED=$((PASSED + $1))
		FAILED=$((FAILED + $2 - $1))
	else
		FAILED=$((FAILED + 1))
	fi
	# names nft 1.0.6 refuses or takes, position by position (keywords.tsv):
	# one test, whatever the number of cases
	"$PY" "$ROOT/tests/nft/keywords.py" check "$BUILD" >"$LOG" 2>&1
	rc=$?
	tail -n 121 "$LOG"
	if [ "$rc" -eq 0 ] && grep -q '^nft keywords: ' "$LOG"; then
		PASSED=$((PASSED + 1))
	else
		FAILED=$((FAILED + 1))
	fi
	if kdiff_possible; then
		"$PY" "$ROOT/tests/nft/evaldiff.py" "$BUILD" >"$LOG" 2>&1
		rc=$?
		tail -n 3 "$LOG"
		if [ "$rc" -eq 0 ]; then PASSED=$((PASSED + 1)); else FAILED=$((FAILED + 1)); fi
		# every tier-A rule's JSON listing against nft's, byte for byte
		"$PY" "$ROOT/tests/nft/jsondiff.py" "$BUILD" >"$LOG" 2>&1
		rc=$?
		tail -n 3 "$LOG"
		if [ "$rc" -eq 0 ]; then PASSED=$((PASSED + 1)); else FAILED=$((FAILED + 1)); fi
	else
		echo "SKIP nft evaldiff, jsondiff: need root and network namespaces"
	fi
}

case "$MODE" in
all)
	run_unit
	run_pytest kdiff "$ROOT/tests/kdiff"
	run_pytest cli "$ROOT/tests/cli"
	run_pytest sync "$ROOT/tests/sync"
	run_nft
	;;
unit) run_unit ;;
kdiff) run_pytest kdiff "$ROOT/tests/kdiff" ;;
cli) run_pytest cli "$ROOT/tests/cli" ;;
sync) run_pytest sync "$ROOT/tests/sync" ;;
nft) run_nft ;;
esac

echo "$PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
