#!/bin/sh
# Run the nftables 1.0.6 conformance files (tier A) against build/ctrack-nft.
# Usage: tests/nft/conformance.sh [BUILD] [extra t_runner.py args]
# Prints the runner's table; the last lines give the tier-A pass count.
set -e
cd "$(dirname "$0")/../.."
BUILD=${1:-build}
[ $# -gt 0 ] && shift
T=../shared/nft-tests
if [ ! -d "$T" ]; then
	echo "conformance: $T not found, skipped"
	exit 0
fi
python3 "$T/t_runner.py" --prog "$PWD/$BUILD/ctrack-nft" --tiers A "$@" "$T"/tests-py/*/*.t
