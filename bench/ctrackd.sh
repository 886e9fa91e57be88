#!/bin/sh
# SPDX-License-Identifier: MIT
# ctrackd live figures for `make bench` (issues 7 and 9), root only:
#
#  1. forwarded packets per second through ctrackd between two veth pairs
#     with the example ruleset (examples/office.nft), a generator in one
#     namespace and a sink in the other; then the kernel's own forwarding
#     with the same ruleset on the same veths, in the same run;
#  2. state replication from an active ctrackd creating connections at full
#     speed (every generated packet a new flow) to a standby ctrackd over a
#     sync link: replicated entries per second and how long the standby
#     lags behind; then ctrack-sync --bench (one process, loopback) for the
#     per-entry lag distribution.
#
#    ns fbG<pid>              ns fbR<pid>                      ns fbS<pid>
#    g0 10.0.1.2 ──veth── lan0 [ctrackd | kernel] wan0 ──veth── s0 10.0.2.2
#    (generator: raw         10.0.1.1      10.0.2.1          (sink: a netdev
#     frames, AF_PACKET)          │ y0 192.168.215.1          ingress drop;
#                                 │                            rx counter)
#                          ns fbY<pid>: standby ctrackd, y0 192.168.215.2
#
# Frames: 60-byte UDP 10.0.1.2 -> 10.0.2.2, 256 flows (forwarding) or a new
# flow per frame (replication), sent with sendmmsg on a packet socket
# bypassing the qdisc.  Two CPUs at most are used: the generator on the
# first (where the veth receive path of lan0 also runs, in softirq), the
# router on the last.  Everything lives in the namespaces; nf_conntrack_max
# is never touched.
#   usage: sh bench/ctrackd.sh BUILD
set -eu
B=${1:-build}
case "$B" in /*) ;; *) B="$(pwd)/$B" ;; esac
SECS=${CTRACKD_BENCH_SECS:-3}
if [ "$(id -u)" != 0 ] || ! command -v ip >/dev/null 2>&1 || ! command -v nft >/dev/null 2>&1; then
	echo "SKIP ctrackd live bench: needs root, ip and nft (network namespaces)"
	exit 0
fi
for t in ctrackd ctrack-sync; do
	[ -x "$B/$t" ] || { echo "ctrackd bench: $B/$t missing (run make)" >&2; exit 2; }
done

# ---- the generator (C, built once into BUILD/bench) ----
GEN="$B/bench/ctrackd-gen"
mkdir -p "$B/bench"
if [ ! -x "$GEN" ] || [ "$0" -nt "$GEN" ]; then
	cat >"$GEN.c" <<'EOF'
/* ctrackd-gen IFACE DSTMAC SECONDS FLOWS: 60-byte UDP frames 10.0.1.2 -> 10.0.2.2
 * at full speed; FLOWS source ports in turn, or 0 for a new flow per frame.
 * Prints the number of frames sent. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#define BATCH 256
static uint16_t csum(const uint8_t *p, int n)
{
	uint32_t s = 0;
	for (int i = 0; i < n; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}
static double mono(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}
int main(int argc, char **argv)
{
	static uint8_t f[BATCH][60];
	struct mmsghdr m[BATCH];
	struct iovec v[BATCH];
	struct sockaddr_ll sll = {.sll_family = AF_PACKET};
	struct ifreq ifr;
	unsigned mac[6], flows;
	unsigned long long sent = 0, i = 0;
	double secs, end;
	int fd, one = 1;

	if (argc != 5 || sscanf(argv[2], "%x:%x:%x:%x:%x:%x", &mac[0], &mac[1], &mac[2], &mac[3],
				&mac[4], &mac[5]) != 6)
		return 2;
	secs = atof(argv[3]);
	flows = (unsigned)atoi(argv[4]);
	fd = socket(AF_PACKET, SOCK_RAW, 0);
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", argv[1]);
	if (fd < 0 || ioctl(fd, SIOCGIFINDEX, &ifr) < 0)
		return perror("socket"), 1;
	sll.sll_ifindex = ifr.ifr_ifindex;
	if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0 || bind(fd, (struct sockaddr *)&sll, sizeof(sll)) < 0)
		return perror("bind"), 1;
	setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof(one));
	for (int k = 0; k < BATCH; k++) {
		uint8_t *p = f[k], *ip = p + 14;
		for (int j = 0; j < 6; j++)
			p[j] = (uint8_t)mac[j];
		memcpy(p + 6, ifr.ifr_hwaddr.sa_data, 6);
		p[12] = 0x08;
		ip[0] = 0x45;
		ip[3] = 46; /* total length: 20 + 8 + 18 */
		ip[8] = 64;
		ip[9] = 17;
		memcpy(ip + 12, (uint8_t[]){10, 0, 1, 2, 10, 0, 2, 2}, 8);
		ip[24] = 0; /* UDP length 26, checksum 0 (none, RFC 768) */
		ip[25] = 26;
		ip[22] = 0;
		ip[23] = 0;
		v[k] = (struct iovec){p, 60};
		memset(&m[k], 0, sizeof(m[k]));
		m[k].msg_hdr.msg_iov = &v[k];
		m[k].msg_hdr.msg_iovlen = 1;
	}
	end = mono() + secs;
	while (mono() < end) {
		for (int k = 0; k < BATCH; k++, i++) {
			uint8_t *ip = f[k] + 14;
			unsigned sport, dport;
			uint16_t c;
			if (flows) {
				sport = 1024 + (unsigned)(i % flows);
				dport = 9;
			} else {
				sport = 1024 + (unsigned)(i % 64512);
				dport = 1 + (unsigned)(i / 64512 % 65535);
			}
			ip[20] = (uint8_t)(sport >> 8);
			ip[21] = (uint8_t)sport;
			ip[22] = (uint8_t)(dport >> 8);
			ip[23] = (uint8_t)dport;
			ip[4] = (uint8_t)(i >> 8);
			ip[5] = (uint8_t)i;
			ip[10] = ip[11] = 0;
			c = csum(ip, 20);
			ip[10] = (uint8_t)(c >> 8);
			ip[11] = (uint8_t)c;
		}
		int n = sendmmsg(fd, m, BATCH, 0);
		if (n > 0)
			sent += (unsigned)n;
		else
			i -= BATCH; /* not sent: the same flows again */
	}
	printf("%llu\n", sent);
	return 0;
}
EOF
	cc -O2 -Wall -o "$GEN" "$GEN.c" || { echo "ctrackd bench: cannot build the generator" >&2; exit 2; }
fi

# How busy the CPUs are with other work (0.5 s of /proc/stat): on a shared
# 2-CPU machine a build next door halves the ctrackd figure.
cpu_busy() {
	set -- $(head -n 1 /proc/stat)
	t0=$(($2 + $3 + $4 + $5 + $6 + $7 + $8)) i0=$(($5 + $6))
	sleep 0.5
	set -- $(head -n 1 /proc/stat)
	t1=$(($2 + $3 + $4 + $5 + $6 + $7 + $8)) i1=$(($5 + $6))
	echo $(( (t1 - t0 - (i1 - i0)) * 100 / (t1 - t0 + 1) ))
}
busy=$(cpu_busy)
if [ "$busy" -gt 20 ]; then
	echo "ctrackd bench: WARNING: the CPUs were ${busy}% busy with other work just before: figures are low and noisy"
else
	echo "ctrackd bench: CPUs ${busy}% busy with other work just before"
fi

tag=$$
G=fbG$tag R=fbR$tag S=fbS$tag Y=fbY$tag
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ctrackd-bench.XXXXXX")
pids=""
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null || true; done
	for p in $pids; do wait "$p" 2>/dev/null || true; done
	for n in $G $R $S $Y; do ip netns del "$n" 2>/dev/null || true; done
	rm -rf "$tmp"
}
trap cleanup EXIT
trap "exit 1" INT TERM HUP PIPE

ncpu=$(nproc)
CPU_GEN=0
CPU_RT=$((ncpu - 1))

for n in $G $R $S $Y; do ip netns add $n; ip -n $n link set lo up; done
ip link add g0 netns $G type veth peer name lan0 netns $R
ip link add s0 netns $S type veth peer name wan0 netns $R
ip link add y0 netns $R type veth peer name y0 netns $Y
for d in lan0 wan0 y0; do ip -n $R link set $d up; done
ip -n $G link set g0 up
ip -n $S link set s0 up
ip -n $Y link set y0 up
ip -n $S addr add 10.0.2.2/24 dev s0
ip -n $R addr add 192.168.215.1/24 dev y0
ip -n $Y addr add 192.168.215.2/24 dev y0
# The sink drops everything it receives at ingress: no ICMP back, no socket.
ip netns exec $S nft -f - <<EOF
table netdev sink {
	chain sinkin { type filter hook ingress device s0 priority 0; policy drop; }
}
EOF
LAN_MAC=$(ip netns exec $R cat /sys/class/net/lan0/address)
SINK_MAC=$(ip netns exec $S cat /sys/class/net/s0/address)
sink_rx() { ip netns exec $S cat /sys/class/net/s0/statistics/rx_packets; }

# gen FLOWS: run the generator for SECS on CPU_GEN; prints "offered forwarded" (pps).
gen() {
	r0=$(sink_rx)
	t0=$(date +%s.%N)
	sent=$(ip netns exec $G taskset -c $CPU_GEN "$GEN" g0 "$LAN_MAC" "$SECS" "$1")
	t1=$(date +%s.%N)
	sleep 0.2 # frames still in the rings
	r1=$(sink_rx)
	awk -v s="$sent" -v r=$((r1 - r0)) -v t0="$t0" -v t1="$t1" \
		'BEGIN { d = t1 - t0; printf "%.0f %.0f %d %d\n", s / d, r / d, s, r }'
}

start_ctrackd() { # NAME NS ARGS...: start, wait for its socket
	name=$1 ns=$2
	shift 2
	ip netns exec $ns taskset -c $CPU_RT "$B/ctrackd" -q -s "$tmp/$name.sock" "$@" \
		2>"$tmp/$name.log" &
	pids="$pids $!"
	eval "pid_$name=$!"
	i=0
	while [ ! -S "$tmp/$name.sock" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
	[ -S "$tmp/$name.sock" ] || { echo "ctrackd bench: $name did not start" >&2; cat "$tmp/$name.log" >&2; exit 1; }
}
stop_ctrackd() { # NAME
	eval "p=\$pid_$1"
	kill "$p" 2>/dev/null || true
	wait "$p" 2>/dev/null || true
}

# The router namespace in one of two modes on the same veths.
spare_kernel() { # the router's kernel is spared the frames ctrackd takes (docs/ctrackd.md)
	ip netns exec $R nft -f - <<EOF
table netdev spare {
	chain lanin { type filter hook ingress device lan0 priority 0; policy drop; }
	chain wanin { type filter hook ingress device wan0 priority 0; policy drop; }
}
EOF
}
kernel_router() { # on|off: the kernel forwards with the ruleset, addresses on the veths
	if [ "$1" = on ]; then
		ip -n $R addr add 10.0.1.1/24 dev lan0
		ip -n $R addr add 10.0.2.1/24 dev wan0
		ip -n $R neigh replace 10.0.2.2 lladdr "$SINK_MAC" dev wan0 nud permanent
		ip netns exec $R sysctl -qw net.ipv4.ip_forward=1
		ip netns exec $R nft -f examples/office.nft
	else
		ip netns exec $R nft flush ruleset
		ip netns exec $R sysctl -qw net.ipv4.ip_forward=0
		ip -n $R addr flush dev lan0
		ip -n $R addr flush dev wan0
		ip -n $R neigh flush dev wan0
	fi
}
IFS_ARGS="--iface lan0,10.0.1.1/24 --iface wan0,10.0.2.1/24 --neigh wan0,10.0.2.2,$SINK_MAC"

# ---- 1. forwarding: ctrackd, then the kernel, ROUNDS times alternately ----
# (the figures of a shared 2-CPU machine move by tens of percent from one
# second to the next: the best round of each is compared)
ROUNDS=${CTRACKD_BENCH_ROUNDS:-2}
c_best=0 k_best=0 k_lim=0
r=1
while [ $r -le $ROUNDS ]; do
	spare_kernel
	start_ctrackd fwd $R $IFS_ARGS -f examples/office.nft
	set -- $(gen 256)
	stop_ctrackd fwd
	ip netns exec $R nft flush ruleset
	printf "ctrackd   forward, round %d: %8.0f pkt/s (offered %.0f pkt/s, %s s)\n" $r "$2" "$1" "$SECS"
	c_best=$(awk -v a="$c_best" -v b="$2" 'BEGIN { print ((b > a) ? b : a) }')
	kernel_router on
	set -- $(gen 256)
	kernel_router off
	# The kernel forwards in the generator's own softirq (veth receive runs
	# on the sending CPU), so it is paced by the generator: when it forwards
	# all it is offered, its figure is a lower bound.  (Steering lan0 to the
	# other CPU with RPS makes the generator slower still.)
	printf "kernel    forward, round %d: %8.0f pkt/s (offered %.0f pkt/s)\n" $r "$2" "$1"
	k_best=$(awk -v a="$k_best" -v b="$2" 'BEGIN { print ((b > a) ? b : a) }')
	[ "$4" -lt "$3" ] || k_lim=1
	r=$((r + 1))
done
awk -v c="$c_best" -v k="$k_best" 'BEGIN {
	printf "forwarding (examples/office.nft, 60-byte UDP over 256 flows, veth to veth): ctrackd %.0f pkt/s, kernel %.0f pkt/s (best rounds), ratio %.2f\n", c, k, (k > 0 ? c / k : 0) }'
[ "$k_lim" = 0 ] || echo "  (the kernel forwarded every frame the generator managed to send: its figure is the generator's limit, a lower bound)"

# ---- 2. replication: active ctrackd creating connections at full speed -> standby ----
spare_kernel
CPU_RT_SAVE=$CPU_RT CPU_RT=0-$((ncpu - 1)) # the standby: wherever there is room
start_ctrackd stby $Y -Y mode=ftfw -Y udp=192.168.215.2,192.168.215.1,iface=y0,rcvbuf=8388608 \
	-Y "control=$tmp/stby-sync.sock" -Y hashlimit=2000000
CPU_RT=$CPU_RT_SAVE
start_ctrackd act $R $IFS_ARGS -f examples/office.nft -m 2000000 \
	-Y mode=ftfw -Y udp=192.168.215.1,192.168.215.2,iface=y0,sndbuf=8388608 \
	-Y "control=$tmp/act-sync.sock"
ext_count() {
	"$B/ctrack-sync" -C "$tmp/stby-sync.sock" -s |
		awk '/^cache external/ { e = 1 } e && /current active connections/ { print $NF; exit }'
}
RSECS=${CTRACKD_BENCH_RSECS:-2}
t0=$(date +%s.%N)
sent=$(ip netns exec $G taskset -c $CPU_GEN "$GEN" g0 "$LAN_MAC" "$RSECS" 0)
t1=$(date +%s.%N)
created=$(CTRACK_SOCKET="$tmp/act.sock" "$B/ctrack" -C 2>/dev/null || echo 0)
have=$(ext_count)
# Wait for the standby to catch up, or to stop gaining for 3 s (a lost tail
# is found by the next ALIVE message, one a second, then NACKed and resent).
last=-1 still=0 t2=$t1
while [ "$have" -lt "$created" ] && [ $still -lt 30 ]; do
	sleep 0.1
	have=$(ext_count)
	if [ "$have" = "$last" ]; then still=$((still + 1)); else still=0; t2=$(date +%s.%N); fi
	last=$have
done
[ "$have" -ge "$created" ] && t2=$(date +%s.%N)
"$B/ctrack-sync" -C "$tmp/act-sync.sock" -s >"$tmp/act.stats"
"$B/ctrack-sync" -C "$tmp/stby-sync.sock" -s >"$tmp/stby.stats"
[ -z "${CTRACKD_BENCH_DEBUG:-}" ] || cat "$tmp/act.stats" "$tmp/stby.stats" >&2
lost=$(sed -n 's/^message tracking: \([0-9]*\) lost.*/\1/p' "$tmp/stby.stats")
resent=$(sed -n 's/^message tracking: .* \([0-9]*\) resent.*/\1/p' "$tmp/act.stats")
purged=$(sed -n 's/^rsqueue: .*purged \([0-9]*\), overflow \([0-9]*\).*/\1 \2/p' "$tmp/act.stats")
stop_ctrackd act
stop_ctrackd stby
awk -v s="$sent" -v c="$created" -v h="$have" -v t0="$t0" -v t1="$t1" -v t2="$t2" 'BEGIN {
	d = t1 - t0; w = t2 - t0; lag = t2 - t1; if (lag < 0) lag = 0;
	printf "replication (active ctrackd -> standby ctrackd, FT-FW over a veth): %d of %d entries replicated, %.0f entries/s\n", h, c, h / w;
	printf "  active created %d connections in %.1f s (%.0f/s, of %d frames offered); the standby was %.2f s behind at the end\n", c, d, c / d, s, lag }'
set -- $purged
echo "  FT-FW: the standby missed ${lost:-?} messages (socket buffer) and NACKed them, ${resent:-?} resent; the active's resend queue (ResendQueueSize 131072) dropped ${1:-?} messages not yet acknowledged (they could not be resent had they been lost); transmit queue overflows ${2:-?}"
# ---- 2b. per-entry lag, one process over loopback (ctrack-sync --bench) ----
taskset -c $CPU_RT "$B/ctrack-sync" --bench 200000 | sed 's/^/ctrack-sync --bench: /'
