#!/bin/sh
# Regenerate the golden files from the real nft (1.0.6) inside a throw-away
# network namespace.  pfail files are applied for real (not -c), so that the
# errors the kernel reports at commit ("Could not process rule") are
# recorded too; ctrack-nft -c reports those as well.  Needs root; never
# touches the host's ruleset.
# Usage: tests/nft/mkref.sh pf5.nft pfail20.nft ...
set -e
cd "$(dirname "$0")"
ns=ctrack-nft-ref-$$
ip netns add $ns
trap 'ip netns del $ns' EXIT
for f in "$@"; do
	b=${f%.nft}
	ip netns exec $ns nft flush ruleset
	case $b in
	pfail*) ! ip netns exec $ns nft -f "$f" 2>"$b.err" ;;
	*) ip netns exec $ns nft -f "$f" && ip netns exec $ns nft list ruleset >"$b.ok" ;;
	esac
done
