#!/bin/sh
# Golden-file tests of ctrack-nft (pf style):
#   pfN.nft    must be accepted; `list ruleset` must print pfN.ok exactly
#   pfailN.nft must be rejected with exactly the message in pfailN.err
# The .ok and .err files are what the real nft 1.0.6 prints (mkref.sh).
#   list/NAME.nft with list/NAME.cmds: each command's output, errors and
#   exit status must be list/NAME.out (list/record.sh records it).
# Usage: tests/nft/golden.sh [BUILD]
cd "$(dirname "$0")" || exit 1
BIN=${1:-build}
case $BIN in /*) ;; *) BIN=$(cd ../.. && pwd)/$BIN ;; esac
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
# list/NAME.nft: the commands of list/NAME.cmds on that ruleset (list
# variants, -a -s -n -t -j, errors) against list/NAME.out, recorded from the
# real nft by list/record.sh; every command is a case of its own.
. list/transcript.sh
for f in list/*.nft; do
	b=${f%.nft}
	[ -f "$b.cmds" ] && [ -f "$b.out" ] || continue
	(cd list && transcript "${b#list/}.cmds" "$BIN --offline -f ${b#list/}.nft") >"$tmp" 2>&1
	res=$(awk -v name="$b" '
		# blocks start at "### "; block k of the recording against block k of ours
		FNR == 1 { file++; k = 0 }
		/^### / { k++; head[file, k] = $0 }
		{ body[file, k] = body[file, k] $0 "\n" }
		END {
			n = 0; bad = 0
			for (i = 1; (1, i) in head; i++) {
				n++
				if (head[1, i] != head[2, i] || body[1, i] != body[2, i]) {
					bad++
					printf "FAIL %s: %s\n", name, substr(head[1, i], 5)
					printf "  expected:\n%s  got:\n%s", body[1, i], body[2, i]
				}
			}
			printf "COUNT %d %d\n", n, bad
		}' "$b.out" "$tmp")
	printf '%s\n' "$res" | grep -v '^COUNT' | head -60
	set -- $(printf '%s\n' "$res" | sed -n 's/^COUNT //p')
	n=$((n + $1))
	fail=$((fail + $2))
done
rm -f "$tmp"
echo "nft golden: $((n - fail))/$n passed"
[ $fail -eq 0 ]
