#!/bin/sh
# Listing captures for tests/golden/format/listing.txt (run inside netns ctfmt).
L() { echo "### conntrack -L $*"; conntrack -L "$@" 2>/dev/null; }
conntrack -F 2>/dev/null
sysctl -q -w net.netfilter.nf_conntrack_acct=0 net.netfilter.nf_conntrack_timestamp=0
I() { conntrack -I "$@" 2>/dev/null; }
echo "## block 1: -I entries, acct/timestamps off"
I -s 1.1.1.1 -d 2.2.2.2 -p tcp --sport 10 --dport 20 --state ESTABLISHED -u ASSURED,SEEN_REPLY -t 120 -m 42
I -s 1.1.1.1 -d 2.2.2.2 -p udp --sport 53000 --dport 53 -t 30
I -s 1.1.1.1 -d 2.2.2.2 -p icmp --icmp-type 8 --icmp-code 0 --icmp-id 1226 -t 30
I -s 1.1.1.1 -d 2.2.2.2 -p gre --srckey 0x1234 --dstkey 0xab -t 30
I -s 1.1.1.1 -d 2.2.2.2 -p sctp --sport 5 --dport 6 --state ESTABLISHED --orig-vtag 7 --reply-vtag 8 -t 30 -u SEEN_REPLY,ASSURED
I -s 1.1.1.1 -d 2.2.2.2 -p sctp --sport 5 --dport 7 --state COOKIE_WAIT --orig-vtag 7 --reply-vtag 8 -t 30
I -s 1.1.1.1 -d 2.2.2.2 -p sctp --sport 5 --dport 8 --state SHUTDOWN_ACK_SENT --orig-vtag 7 --reply-vtag 8 -t 30
I -s 1.1.1.1 -d 2.2.2.2 -p sctp --sport 5 --dport 9 --state CLOSED --orig-vtag 7 --reply-vtag 8 -t 30
I -s 1.1.1.1 -d 2.2.2.2 -p udplite --sport 5 --dport 6 -t 30
I -s 1.1.1.1 -d 2.2.2.2 -p 200 -t 30
I -s fd00::1 -d fd00:0:0:1::22 -p icmpv6 --icmpv6-type 128 --icmpv6-code 0 --icmpv6-id 77 -t 30
I -s ::ffff:1.2.3.4 -d 2001:db8::1:0:0:1 -p tcp --sport 1 --dport 2 --state SYN_SENT -t 30
I -s 1.1.1.1 -d 2.2.2.2 -p tcp --sport 1 --dport 2 --state LISTEN -t 30 -u FIXED_TIMEOUT
I -s 1.1.1.1 -d 2.2.2.2 -p tcp --sport 1 --dport 3 --state NONE -t 30
I -s 1.1.1.1 -d 2.2.2.2 -p tcp --sport 1 --dport 4 --state TIME_WAIT -t 30
I -s 1.1.1.1 -d 2.2.2.2 -p tcp --sport 1 --dport 5 --state CLOSE_WAIT -t 30
I -s 1.1.1.1 -d 2.2.2.2 -p tcp --sport 11 --dport 20 --state ESTABLISHED -t 30 -u FIXED_TIMEOUT,ASSURED
I -s 1.1.1.1 -d 2.2.2.2 -p tcp --sport 12 --dport 20 --state ESTABLISHED -t 30 -u SEEN_REPLY,ASSURED,FIXED_TIMEOUT
I -s 1.1.1.1 -d 2.2.2.2 -p udp --sport 1 --dport 2 -t 30 -w 7
I -s 1.1.1.1 -d 2.2.2.2 -p udp --sport 1 --dport 3 -t 30 --orig-zone 3
I -s 1.1.1.1 -d 2.2.2.2 -p udp --sport 1 --dport 4 -t 30 --reply-zone 4
I -s 1.1.1.1 -d 2.2.2.2 -r 3.3.3.3 -q 4.4.4.4 -p udp --sport 1 --dport 5 --reply-port-src 9 --reply-port-dst 8 -t 30
I -s 1.1.1.5 -d 2.2.2.2 -p tcp --sport 10 --dport 20 --state ESTABLISHED -t 30 -g 3.3.3.3
I -s 1.1.1.6 -d 2.2.2.2 -p tcp --sport 10 --dport 20 --state ESTABLISHED -t 30 -n 4.4.4.4
I -s 1.1.1.7 -d 2.2.2.2 -p tcp --sport 10 --dport 20 --state ESTABLISHED -t 30 -n 4.4.4.4:77 -g 5.5.5.5:88
I -s 1.1.1.8 -d 2.2.2.2 -p udp --sport 10 --dport 20 -t 30 -g 2.2.2.2:99
I -s fd00::1 -d fd00::2 -p udp --sport 10 --dport 20 -t 30 -g [fd00::3]:99
sleep 0.5
for o in "" extended id save xml; do L ${o:+-o $o}; done
echo "## block 2: acct and timestamps on"
conntrack -F 2>/dev/null
sysctl -q -w net.netfilter.nf_conntrack_acct=1 net.netfilter.nf_conntrack_timestamp=1
I -s 1.1.1.1 -d 2.2.2.2 -p tcp --sport 10 --dport 20 --state ESTABLISHED -u SEEN_REPLY,ASSURED -t 100 -m 7 -w 9
I -s fd00::1 -d fd00::2 -p udp --sport 10 --dport 20 -t 100 --orig-zone 5
sleep 2
for o in "" extended,id ktimestamp save xml xml,ktimestamp; do L ${o:+-o $o}; done
echo "## block 3: labels (map: 0 eth0-in 1 eth1-in 2 interactive 64 high 127 last; bit 3 set but unnamed)"
conntrack -F 2>/dev/null
sysctl -q -w net.netfilter.nf_conntrack_acct=0 net.netfilter.nf_conntrack_timestamp=0
unshare -m sh -c 'mount --bind /tmp/ctfmt-etc2 /etc
conntrack -I -s 1.1.1.5 -d 2.2.2.2 -p tcp --sport 10 --dport 20 --state ESTABLISHED -t 100 --label-add three
conntrack -I -s 1.1.1.6 -d 2.2.2.2 -p tcp --sport 10 --dport 20 --state ESTABLISHED -t 100 --label-add three
conntrack -U -s 1.1.1.6 --label-add high' >/dev/null 2>&1
unshare -m sh -c 'mount --bind /tmp/ctfmt-etc /etc
conntrack -I -s 1.1.1.1 -d 2.2.2.2 -p tcp --sport 10 --dport 20 --state ESTABLISHED -u SEEN_REPLY,ASSURED -t 100 --label-add eth0-in
conntrack -U -s 1.1.1.1 --label-add interactive
conntrack -U -s 1.1.1.1 --label-add last
conntrack -I -s 1.1.1.2 -d 2.2.2.2 -p tcp --sport 10 --dport 20 --state ESTABLISHED -t 100 --label-add high
conntrack -I -s 1.1.1.3 -d 2.2.2.2 -p tcp --sport 10 --dport 20 --state ESTABLISHED -t 100' >/dev/null 2>&1
sleep 0.5
unshare -m sh -c 'mount --bind /tmp/ctfmt-etc /etc
for o in "" labels xml xml,labels extended,id,labels; do echo "### conntrack -L -o $o"; conntrack -L ${o:+-o $o} 2>/dev/null; done'
conntrack -F 2>/dev/null
