# Shared by record.sh and ../golden.sh.  transcript CMDS PROG: run every
# line of CMDS (nft's arguments, shell-quoted; blank lines and lines
# starting with # are skipped) as `PROG ARGS` (PROG: a shell command
# prefix) and print, per command:
#   ### ARGS
#   <stdout>
#   --- stderr
#   <stderr>
#   --- exit N
transcript() {
	tdir=$(mktemp -d)
	while IFS= read -r line || [ -n "$line" ]; do
		case $line in '' | '#'*) continue ;; esac
		printf '### %s\n' "$line"
		rc=0
		eval "$2 $line" >"$tdir/o" 2>"$tdir/e" </dev/null || rc=$?
		cat "$tdir/o"
		printf -- '--- stderr\n'
		cat "$tdir/e"
		printf -- '--- exit %d\n' "$rc"
	done <"$1"
	rm -rf "$tdir"
}
