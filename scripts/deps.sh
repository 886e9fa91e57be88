#!/bin/sh
# Make sure the Debian packages the build and the tests need are present.
# As root, missing ones are installed; otherwise the exact apt-get line is
# printed and the script fails.
set -u
PKGS="libpcap-dev libcmocka-dev python3-pytest nftables conntrack conntrackd curl iproute2 clang"
missing=""
have_pkg() {
	dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"
}
for p in $PKGS; do
	have_pkg "$p" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" = 0 ]; then
	echo "deps: installing$missing" >&2
	if ! apt-get install -y --no-install-recommends $missing >/tmp/ctrack-apt.log 2>&1; then
		apt-get update >>/tmp/ctrack-apt.log 2>&1
		apt-get install -y --no-install-recommends $missing >>/tmp/ctrack-apt.log 2>&1 || {
			echo "deps: apt-get failed, see /tmp/ctrack-apt.log" >&2; exit 1; }
	fi
	exit 0
fi
echo "deps: missing Debian packages. Run:" >&2
echo "  sudo apt-get install -y --no-install-recommends$missing" >&2
exit 1
