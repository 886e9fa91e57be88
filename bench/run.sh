#!/bin/sh
# `make bench`: generate (once) the reference pcaps, then run ctrack-bench.
# usage: sh bench/run.sh BUILD_DIR [ctrack-bench arguments...]
# The pcaps come from ../shared/bench/gen_tcp_pcap.py (relative to the
# repository root) and are cached in BUILD_DIR/bench/; they are made again
# when the script is newer than them.
set -eu
BUILD=${1:-build}
[ $# -gt 0 ] && shift
GEN=${CTRACK_GEN_PCAP:-../shared/bench/gen_tcp_pcap.py}
DIR="$BUILD/bench"
mkdir -p "$DIR"

# gen NAME FLOWS DATA: write DIR/NAME.pcap unless an up-to-date copy exists.
gen() {
	out="$DIR/$1.pcap"
	if [ -s "$out" ] && [ "$out" -nt "$GEN" ]; then
		return 0
	fi
	if [ ! -f "$GEN" ]; then
		echo "bench: $GEN not found (run from the repository root)" >&2
		return 1
	fi
	python3 "$GEN" "$out.tmp" "$2" "$3" >/dev/null && mv "$out.tmp" "$out"
}

if [ ! -s "$DIR/tcp-100k.pcap" ] || [ ! -s "$DIR/tcp-1m.pcap" ] ||
   [ "$GEN" -nt "$DIR/tcp-1m.pcap" ] || [ "$GEN" -nt "$DIR/tcp-100k.pcap" ]; then
	echo "bench: generating pcaps in $DIR (once; about 20 s)"
fi
# The two generators run side by side (2 cores).
gen tcp-100k 100000 2 &
p1=$!
gen tcp-1m 1000000 0 &
p2=$!
rc=0
wait $p1 || rc=1
wait $p2 || rc=1
[ $rc = 0 ] || { echo "bench: pcap generation failed" >&2; exit 2; }

# The exact compile line of the harness (the library is built alike).
flags=$(make -s --no-print-directory -n -B BUILD="$BUILD" "$BUILD/bench/main.o" 2>/dev/null |
	grep -- ' -c ' | head -n 1 || true)
export CTRACK_BENCH_FLAGS="${flags:-unknown}"

# One core, the last one, so the figures are for one pinned thread; wait up
# to 30 s for other work (builds, fuzzers) to leave the CPUs.
cpu=$(( $(nproc) - 1 ))
rc=0
"$BUILD/ctrack-bench" -d "$DIR" -c "$cpu" -w "${CTRACK_BENCH_WAIT:-30}" "$@" || rc=$?
# ctrack-replay end to end on tcp-1m, beside the tracking-only figure above
# (issue 4): only for a full run, not when workloads were named.
if [ $# -eq 0 ]; then
	taskset -c "$cpu" sh bench/replay.sh "$BUILD" || rc=1
	# nft evaluation alone (issue 3): the documentation's stateful ruleset,
	# 1,000 distinct rules, and a named set of 10 vs 100,000 addresses.
	taskset -c "$cpu" "$BUILD/ctrack-nft" --bench || rc=1
	# ctrackd live (issues 7 and 9): forwarding beside the kernel's,
	# replication to a standby (root: namespaces; a SKIP line otherwise).
	sh bench/ctrackd.sh "$BUILD" || rc=1
fi
exit $rc
