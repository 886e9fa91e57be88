#!/bin/sh
# Record the golden transcripts of the list commands from the real nft
# (1.0.6) inside throw-away network namespaces: for each NAME.nft given (all
# of them by default), a fresh namespace loads it with `nft -f`, then every
# line of NAME.cmds (nft's arguments, shell-quoted) runs there, and NAME.out
# receives, per command, its stdout, its stderr and its exit status (the
# format of transcript() in transcript.sh, which golden.sh uses for
# ctrack-nft).  A fresh namespace per ruleset makes the handles those of an
# empty ruleset, as ctrack-nft -f FILE starts from.  Needs root; never
# touches the host's ruleset.
# Usage: tests/nft/list/record.sh [NAME.nft ...]
set -eu
cd "$(dirname "$0")"
. ./transcript.sh
[ $# -gt 0 ] || set -- *.nft
for f in "$@"; do
	b=${f%.nft}
	ns=ctrack-nftlist-$$
	ip netns add "$ns"
	if ! ip netns exec "$ns" nft -f "$f"; then
		ip netns del "$ns"
		echo "record.sh: nft refuses $f" >&2
		exit 1
	fi
	transcript "$b.cmds" "ip netns exec $ns env LC_ALL=C nft" >"$b.out"
	ip netns del "$ns"
	echo "recorded $b.out"
done
