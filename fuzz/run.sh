#!/bin/sh
# Run every libFuzzer target built in DIR for SECONDS each.
#   usage: sh fuzz/run.sh DIR SECONDS      (run from the repository root)
# For a target NAME:
# - the kept crash inputs fuzz/regress/NAME/* are replayed first;
# - then it fuzzes with fuzz/corpus/NAME as seeds (new inputs go to a
#   scratch directory, so the committed corpus stays small);
# - a crash, leak, timeout or OOM input is copied to fuzz/regress/NAME/ so
#   it is replayed from then on (and by the unit tests), and the run fails.
set -u
dir=${1:?usage: run.sh DIR SECONDS}
secs=${2:-20}
status=0
found=0
for bin in "$dir"/fuzz_*; do
	[ -f "$bin" ] && [ -x "$bin" ] || continue
	found=1
	name=$(basename "$bin")
	reg=fuzz/regress/$name
	if [ -d "$reg" ] && [ -n "$(ls -A "$reg" 2>/dev/null)" ]; then
		echo "fuzz: $name: replaying $(ls "$reg" | wc -l) regression input(s)"
		if ! "$bin" "$reg"/* >/dev/null 2>&1; then
			echo "fuzz: $name: a regression input fails again" >&2
			status=1
			continue
		fi
	fi
	work=$(mktemp -d "${TMPDIR:-/tmp}/ctrack-fuzz.XXXXXX") || exit 1
	mkdir -p "$work/corpus"
	seeds=""
	[ -d "fuzz/corpus/$name" ] && seeds="fuzz/corpus/$name"
	echo "fuzz: $name: ${secs}s"
	# shellcheck disable=SC2086 # $seeds is empty or one path
	"$bin" -max_total_time="$secs" -print_final_stats=1 -artifact_prefix="$work/" \
		"$work/corpus" $seeds >"$work/log" 2>&1
	rc=$?
	if [ $rc -ne 0 ]; then
		echo "fuzz: $name: FAILED (exit $rc), last lines of the log:" >&2
		tail -n 30 "$work/log" >&2
		mkdir -p "$reg"
		for a in "$work"/crash-* "$work"/leak-* "$work"/timeout-* "$work"/oom-*; do
			[ -f "$a" ] || continue
			cp "$a" "$reg/" && echo "fuzz: kept $reg/$(basename "$a")" >&2
		done
		status=1
	else
		grep -E 'stat::number_of_executed_units' "$work/log" | sed "s/^/fuzz: $name: /"
	fi
	rm -rf "$work"
done
[ $found = 1 ] || { echo "fuzz: no fuzzers in $dir" >&2; exit 1; }
exit $status
