#!/bin/sh
# Golden-file tests of ctrack-nft (pf style):
#   pfN.nft    must be accepted; `list ruleset` must print pfN.ok exactly
#   pfailN.nft must be rejected with exactly the message in pfailN.err
# The .ok and .err files are what the real nft 1.0.6 prints (mkref.sh).
# Usage: tests/nft/golden.sh [BUILD]
cd "$(dirname "$0")" || exit 1
BIN=${1:-build}
case $BIN in /*) ;; *) BIN=../../$BIN ;; esac
BIN=$BIN/ctrack-nft
fail=0 n=0
tmp=$(mktemp)
for f in pf[0-9]*.nft; do
	b=${f%.nft}
	n=$((n + 1))
	if ! "$BIN" -f "$f" list ruleset >"$tmp" 2>&1 || ! cmp -s "$tmp" "$b.ok"; then
		echo "FAIL $b"; diff -u "$b.ok" "$tmp" | head -20; fail=$((fail + 1))
	fi
done
for f in pfail*.nft; do
	b=${f%.nft}
	n=$((n + 1))
	if "$BIN" -c -f "$f" 2>"$tmp" >/dev/null || ! cmp -s "$tmp" "$b.err"; then
		echo "FAIL $b"; diff -u "$b.err" "$tmp" | head -20; fail=$((fail + 1))
	fi
done
rm -f "$tmp"
echo "nft golden: $((n - fail))/$n passed"
[ $fail -eq 0 ]
