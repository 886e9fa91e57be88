#!/bin/sh
# make demo: replay the small-office example through its ruleset.
set -e
B=${1:-build}
mkdir -p "$B/examples"
python3 examples/gen_office.py "$B/examples" >/dev/null
echo "== ctrack-replay: examples/office.nft on $B/examples/{wan0,lan0}.pcap"
"$B/ctrack-replay" -f examples/office.nft \
	--iface wan0,02:00:00:00:01:01,203.0.113.1/24 \
	--iface lan0,02:00:00:00:02:01,198.51.100.1/24 \
	--route 0.0.0.0/0,wan0,203.0.113.254 \
	--neigh wan0,203.0.113.254,02:00:00:00:01:fe --neigh lan0,198.51.100.10,02:00:00:00:02:0a \
	--in wan0="$B/examples/wan0.pcap" --in lan0="$B/examples/lan0.pcap" \
	--out wan0="$B/examples/out-wan0.pcap" --out lan0="$B/examples/out-lan0.pcap" \
	--verdicts "$B/examples/verdicts.txt" --events "$B/examples/events.txt" \
	--ruleset-out "$B/examples/ruleset-after.nft" --no-progress
echo "== verdicts: $B/examples/verdicts.txt (first lines)"
head -n 12 "$B/examples/verdicts.txt"
echo "== forwarded frames: $B/examples/out-wan0.pcap, $B/examples/out-lan0.pcap; events: $B/examples/events.txt"
