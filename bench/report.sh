#!/bin/sh
# `make bench-report`: the scale curve of issue 8 -- ns per packet of
# established TCP traffic at 1 K, 10 K, 100 K, 1 M and 10 M connections --
# printed as a table and drawn as an SVG plot (BUILD/bench/scale.svg), with
# the limit figure (one random 64-byte read per packet over the same
# footprint) beside it.
#
# usage: sh bench/report.sh BUILD_DIR
# The 10 M point needs about 4 GiB: it is run when MemAvailable allows
# (CTRACK_BENCH_10M=0 skips it); the whole report takes about 1-2 minutes.
set -eu
BUILD=${1:-build}
DIR="$BUILD/bench"
mkdir -p "$DIR"
TXT="$DIR/scale.txt"
SVG="$DIR/scale.svg"

wl="scale"
avail_kb=$(sed -n 's/^MemAvailable: *\([0-9]*\) kB/\1/p' /proc/meminfo 2>/dev/null || echo 0)
if [ "${CTRACK_BENCH_10M:-1}" != 0 ] && [ "${avail_kb:-0}" -ge 6000000 ]; then
	wl="scale 10m"
fi
cpu=$(( $(nproc) - 1 ))
echo "bench-report: ctrack-bench $wl (pinned to CPU $cpu)"
rc=0
"$BUILD/ctrack-bench" -c "$cpu" -w "${CTRACK_BENCH_WAIT:-30}" $wl >"$TXT" || rc=$?
if [ "$rc" -ne 0 ]; then
	cat "$TXT"
	echo "bench-report: ctrack-bench failed (exit $rc)" >&2
	exit 2
fi
grep -E '^(machine|load|busy|WARNING)' "$TXT" || true

# Rows of the scale tables: conns ns/pkt Mpps limit-ns x-limit MiB.
awk -v svg="$SVG" '
/^ +conns +ns\/pkt/ { inscale = 1; next }
inscale && NF == 6 && $1 ~ /^[0-9]+$/ { n++; c[n] = $1; ns[n] = $2; mpps[n] = $3; lim[n] = $4; xl[n] = $5; mib[n] = $6; next }
{ inscale = 0 }
function lg(x) { return log(x) / log(10) }
function fmtc(x) { return x >= 1e6 ? sprintf("%g M", x / 1e6) : x >= 1e3 ? sprintf("%g K", x / 1e3) : x }
END {
	if (n == 0) { print "bench-report: no scale rows in the output" > "/dev/stderr"; exit 1 }
	printf "\nscale curve: established TCP, ns per packet (median), ct_track_batch\n"
	printf "  %12s %9s %8s %10s %9s %10s\n", "connections", "ns/pkt", "Mpps", "limit ns", "x limit", "MiB"
	for (i = 1; i <= n; i++)
		printf "  %12s %9.1f %8.2f %10.1f %9.1f %10.1f\n", fmtc(c[i]), ns[i], mpps[i], lim[i], xl[i], mib[i]

	W = 720; H = 440; L = 70; R = 30; T = 50; B = 60
	ymax = 0
	for (i = 1; i <= n; i++) { if (ns[i] > ymax) ymax = ns[i]; if (lim[i] > ymax) ymax = lim[i] }
	step = 10; while (ymax / step > 8) step *= (step ~ /^1/ ? 2 : (step ~ /^2/ ? 2.5 : 2))
	ymax = (int(ymax / step) + 1) * step
	x0 = 3; x1 = 7
	if (lg(c[1]) < x0 - 1e-6) x0 = int(lg(c[1]) + 1e-6)
	if (lg(c[n]) > x1 + 1e-6) x1 = int(lg(c[n]) + 0.999)
	pw = W - L - R; ph = H - T - B
	printf "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"12\">\n", W, H, W, H > svg
	printf "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n" > svg
	printf "<text x=\"%d\" y=\"24\" font-size=\"15\" font-weight=\"bold\">ctrack: ns per packet of established TCP vs. table size</text>\n", L > svg
	printf "<text x=\"%d\" y=\"40\" fill=\"#555\">pure ACKs on random connections, ct_track_batch, one core; limit = one random 64-byte read per packet over the same footprint</text>\n", L > svg
	for (v = 0; v <= ymax + 1e-9; v += step) {
		y = T + ph - v / ymax * ph
		printf "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#ddd\"/>\n", L, y, L + pw, y > svg
		printf "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%g</text>\n", L - 6, y + 4, v > svg
	}
	for (e = x0; e <= x1; e++) {
		x = L + (e - x0) / (x1 - x0) * pw
		printf "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#ddd\"/>\n", x, T, x, T + ph > svg
		printf "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>\n", x, T + ph + 18, fmtc(10 ^ e) > svg
	}
	printf "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"#333\"/>\n", L, T, pw, ph > svg
	printf "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">connections in the table (log scale)</text>\n", L + pw / 2, H - 16 > svg
	printf "<text transform=\"translate(18,%d) rotate(-90)\" text-anchor=\"middle\">ns per packet</text>\n", T + ph / 2 > svg
	for (s = 0; s < 2; s++) {
		col = s ? "#999" : "#1f6fb4"
		pts = ""
		for (i = 1; i <= n; i++) {
			v = s ? lim[i] : ns[i]
			px[i] = L + (lg(c[i]) - x0) / (x1 - x0) * pw
			py[i] = T + ph - v / ymax * ph
			pts = pts sprintf("%.1f,%.1f ", px[i], py[i])
		}
		printf "<polyline points=\"%s\" fill=\"none\" stroke=\"%s\" stroke-width=\"2\"%s/>\n", pts, col, s ? " stroke-dasharray=\"5,4\"" : "" > svg
		for (i = 1; i <= n; i++) {
			printf "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4\" fill=\"%s\"/>\n", px[i], py[i], col > svg
			if (!s)
				printf "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" fill=\"%s\">%.0f</text>\n", px[i], py[i] - 9, col, ns[i] > svg
		}
	}
	printf "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#1f6fb4\" stroke-width=\"2\"/><text x=\"%d\" y=\"%d\">ctrack ns/packet</text>\n", L + 12, T + 16, L + 40, T + 16, L + 46, T + 20 > svg
	printf "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#999\" stroke-width=\"2\" stroke-dasharray=\"5,4\"/><text x=\"%d\" y=\"%d\">limit (random read)</text>\n", L + 12, T + 34, L + 40, T + 34, L + 46, T + 38 > svg
	printf "</svg>\n" > svg
	close(svg)
	printf "\nplot: %s\n", svg
}' "$TXT"
