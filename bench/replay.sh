#!/bin/sh
# ctrack-replay end to end on tcp-1m (issue 4 "Speed"): reading the capture,
# parsing, the hooks with the example ruleset, tracking, writing the
# forwarded frames and the final table.  The capture holds both directions
# in one file, so it is given to both interfaces: each frame is read twice
# and the copy whose destination MAC is not that interface's is dropped at
# the link layer (as a NIC would), which costs a few ns.
#   usage: sh bench/replay.sh BUILD
set -eu
B=${1:-build}
P="$B/bench/tcp-1m.pcap"
[ -s "$P" ] || { echo "replay bench: $P missing (run make bench)" >&2; exit 2; }
out=$(mktemp -d "${TMPDIR:-/tmp}/ctrack-rbench.XXXXXX")
t0=$(date +%s.%N)
"$B/ctrack-replay" -f bench/replay.nft --no-progress \
	--set nf_conntrack_max=2000000 \
	--iface lan0,02:00:00:00:00:02,192.168.255.1/24 \
	--iface wan0,02:00:00:00:00:01,192.168.254.1/24 \
	--route 10.0.0.0/8,lan0,192.168.255.254 --neigh lan0,192.168.255.254,02:00:00:00:00:01 \
	--route 172.16.0.0/12,wan0,192.168.254.254 --neigh wan0,192.168.254.254,02:00:00:00:00:02 \
	--in lan0="$P" --in wan0="$P" --out wan0="$out/wan0.pcap" --out lan0="$out/lan0.pcap" \
	--conntrack "$out/table.txt" 2>"$out/summary.txt"
t1=$(date +%s.%N)
fwd=$(sed -n 's/.* \([0-9]*\) forwarded.*/\1/p' "$out/summary.txt" | head -n 1)
lines=$(wc -l <"$out/table.txt")
awk -v t0="$t0" -v t1="$t1" -v f="$fwd" -v n="$lines" 'BEGIN {
	s = t1 - t0;
	printf "replay    tcp-1m end to end: %d packets forwarded in %.2f s = %.2f Mpps (%.0f ns/pkt), final table %d lines\n",
		f, s, f / s / 1e6, s * 1e9 / f, n }'
cat "$out/summary.txt" | sed 's/^/  /'
rm -rf "$out"
