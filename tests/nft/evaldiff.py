#!/usr/bin/env python3
"""Kernel-differential test of the nft evaluator (needs root, ip netns).

The same ruleset is loaded into the kernel in a throw-away network namespace
and into ctrack-nft; the same random IPv4 and IPv6 packets are sent through the
kernel's output hook (raw socket on lo) and evaluated by ctrack-nft at the
output hook.  A prerouting chain drops them when they come back in from lo,
so the kernel sends no answers (RSTs, ICMP errors) that would pass the
output hook too.  Every rule carries a counter, so the two `list ruleset`
listings (counters included) must be identical.

usage: tests/nft/evaldiff.py [BUILD] [NPACKETS] [SEED]
"""
import os, random, socket, struct, subprocess, sys, tempfile

RULES = r'''
table ip t {
	set nets {
		type ipv4_addr
		flags interval
		elements = { 127.0.1.0/24, 127.1.0.0-127.1.3.255 }
	}

	set ports {
		type inet_service
		elements = { 22, 53, 443 }
	}

	set pairs {
		type ipv4_addr . ipv4_addr . inet_service
		elements = { 127.0.0.4 . 127.0.0.1 . 22, 127.0.0.1 . 127.0.0.2 . 80,
			     127.0.1.3 . 127.5.0.4 . 443 }
	}

	set ranges {
		typeof ip saddr . tcp sport . tcp dport
		flags interval
		elements = { 127.0.0.0/24 . 1000-1500 . 20-30, 127.1.0.0/16 . 22 . 400-500,
			     127.2.0.0-127.2.1.255 . 40000 . 80 }
	}

	chain out {
		type filter hook output priority filter; policy accept;
		counter
		meta l4proto tcp counter jump tcpc
		udp dport @ports counter
		udp dport vmap { 1-100 : jump lowudp, 5353 : drop }
		ip saddr @nets counter
		ip daddr != 127.0.0.0/16 counter
		ip daddr 127.0.0.1-127.0.0.9 counter
		icmp type { echo-request, echo-reply } counter
		icmp type destination-unreachable icmp code port-unreachable counter drop
		meta length > 100 counter
		meta length 20-40 counter
		oifname "lo" counter
		oifname "l*" counter
		ip protocol 17 udp sport != 1000-2000 counter
		ct state new counter
		ct state established counter
		ct state invalid counter
		ct direction reply counter
		ct status seen-reply counter
		ct original ip saddr 127.0.1.0/24 counter
		ct protocol udp ct original proto-dst 53 counter
		ct mark 0 counter
		ip saddr . udp dport { 127.0.1.5 . 53, 127.0.0.2 . 1000, 127.0.2.0/24 . 10-60 } counter
		ip saddr . ip daddr . tcp dport @pairs counter
		ip saddr . tcp sport . tcp dport @ranges counter
		ip saddr & 255.255.0.0 . ip protocol { 127.1.0.0 . tcp, 127.0.0.0 . udp } counter
		ct state . ip daddr { new . 127.0.0.1, established . 127.0.0.3 } counter
		ip daddr . meta l4proto vmap { 127.5.0.3 . udp : jump lowudp, 127.0.0.9 . tcp : continue }
		counter
	}

	chain tcpc {
		tcp flags syn / fin,syn,rst,ack counter
		tcp flags & (fin | rst) != 0 counter return
		tcp dport { 22, 80, 443 } counter goto web
		tcp sport 1024-65535 counter
		tcp flags ! syn counter
	}

	chain web {
		tcp dport 80 counter drop
		ip saddr & 0.0.0.1 == 0.0.0.1 counter
	}

	chain lowudp {
		udp dport < 50 counter return
		counter accept
	}

	chain late {
		type filter hook output priority 10; policy accept;
		counter
		tcp dport 443 counter drop
		counter
	}
}
table inet mixed {
	set v6 {
		type ipv6_addr
		flags interval
		elements = { ::1, fd00::/64 }
	}

	chain out {
		type filter hook output priority -5; policy accept;
		meta nfproto ipv6 counter
		ip6 saddr @v6 counter
		ip6 nexthdr udp counter
		meta l4proto { tcp, udp } th dport 53 counter
		icmpv6 type echo-request counter
		ip6 daddr fd00::5-fd00::9 counter jump six
		ip saddr 127.0.0.0/16 counter
		ct state untracked counter
		meta l4proto icmp counter
		tcp dport 443 counter
		ip6 saddr . meta l4proto { ::1 . udp, fd00::1 . tcp, fd01::1 . ipv6-icmp } counter
		meta l4proto { tcp, udp } ip6 daddr . th dport { fd00::/64 . 1-100, ::1 . 443 } counter
		ip6 saddr . ip6 daddr . udp sport { fd00::7 . fd00::20 . 53 } counter
	}

	chain six {
		udp sport 53 counter return
		counter
	}
}
table ip sink {
	chain pre {
		type filter hook prerouting priority filter; policy drop;
	}
}
table ip6 sink6 {
	chain pre {
		type filter hook prerouting priority filter; policy drop;
	}
}
'''


def csum(b):
    if len(b) % 2:
        b += b'\0'
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


FLOWS = [('127.0.0.1', '127.0.0.2', 6, 1000, 80), ('127.0.1.5', '127.0.0.3', 17, 5353, 53),
         ('127.0.0.4', '127.0.0.1', 6, 40000, 22)]


def flow_packet(rnd):
    '''A packet of a few fixed flows, either direction, so that conntrack
    sees replies (established) as well as new connections.'''
    src, dst, proto, sport, dport = rnd.choice(FLOWS)
    if rnd.random() < 0.5:
        src, dst, sport, dport = dst, src, dport, sport
    if proto == 6:
        flags = rnd.choice([0x02, 0x12, 0x10, 0x18])
        l4 = struct.pack('!HHIIBBHHH', sport, dport, 1, 1, 0x50, flags, 1024, 0, 0)
    else:
        l4 = struct.pack('!HHHH', sport, dport, 8, 0)
    tot = 20 + len(l4)
    hdr = struct.pack('!BBHHHBBH4s4s', 0x45, 0, tot, 1, 0, 64, proto, 0,
                      socket.inet_aton(src), socket.inet_aton(dst))
    hdr = hdr[:10] + struct.pack('!H', csum(hdr)) + hdr[12:]
    return hdr + l4, dst


def packet6(rnd):
    src = rnd.choice(['::1', 'fd00::1', 'fd00::7', 'fd01::1'])
    dst = rnd.choice(['::1', 'fd00::5', 'fd00::20'])
    proto = rnd.choice([6, 17, 17, 58])
    payload = bytes(rnd.randrange(0, 80))
    if proto == 6:
        l4 = struct.pack('!HHIIBBHHH', rnd.choice([22, 40000]), rnd.choice([53, 443, 80]), 1, 0,
                         0x50, 0x02, 1024, 0, 0) + payload
    elif proto == 17:
        l4 = struct.pack('!HHHH', rnd.choice([53, 1000]), rnd.choice([53, 443, 9]),
                         8 + len(payload), 0) + payload
    else:
        l4 = struct.pack('!BBHI', rnd.choice([128, 129, 1]), 0, 0, 0) + payload
    hdr = struct.pack('!IHBB16s16s', 0x60000000, len(l4), proto, 64,
                      socket.inet_pton(socket.AF_INET6, src), socket.inet_pton(socket.AF_INET6, dst))
    return hdr + l4, dst


def packet(rnd):
    if rnd.random() < 0.3:
        return packet6(rnd)
    if rnd.random() < 0.4:
        return flow_packet(rnd)
    src = '127.%d.%d.%d' % (rnd.choice([0, 0, 1, 2]), rnd.randrange(4), rnd.randrange(1, 20))
    dst = '127.%d.0.%d' % (rnd.choice([0, 0, 5]), rnd.randrange(1, 12))
    proto = rnd.choice([6, 6, 17, 17, 1])
    payload = bytes(rnd.randrange(0, 120))
    if proto == 6:
        sport = rnd.choice([22, 80, 1000, 1500, 40000])
        dport = rnd.choice([22, 80, 443, 8080, 25])
        flags = rnd.choice([0x02, 0x12, 0x10, 0x11, 0x04, 0x18, 0x01, 0x00])
        l4 = struct.pack('!HHIIBBHHH', sport, dport, 1, 0, 0x50, flags, 1024, 0, 0) + payload
    elif proto == 17:
        sport = rnd.choice([53, 1000, 1500, 3000])
        dport = rnd.choice([22, 53, 443, 10, 60, 99, 5353, 9999])
        l4 = struct.pack('!HHHH', sport, dport, 8 + len(payload), 0) + payload
    else:
        t, c = rnd.choice([(8, 0), (0, 0), (3, 3), (3, 1), (11, 0)])
        l4 = struct.pack('!BBHI', t, c, 0, 0) + payload
    tot = 20 + len(l4)
    hdr = struct.pack('!BBHHHBBH4s4s', 0x45, 0, tot, 1, 0, 64, proto, 0,
                      socket.inet_aton(src), socket.inet_aton(dst))
    hdr = hdr[:10] + struct.pack('!H', csum(hdr)) + hdr[12:]
    return hdr + l4, dst


def main():
    build = sys.argv[1] if len(sys.argv) > 1 else 'build'
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 400
    rnd = random.Random(int(sys.argv[3]) if len(sys.argv) > 3 else 1)
    tool = os.path.abspath(os.path.join(build, 'ctrack-nft'))
    if os.geteuid() != 0:
        print('evaldiff: needs root, skipped')
        return 0
    pkts = [packet(rnd) for _ in range(n)]
    d = tempfile.mkdtemp()
    rules = os.path.join(d, 'rules.nft')
    hexf = os.path.join(d, 'pkts.hex')
    open(rules, 'w').write(RULES)
    open(hexf, 'w').write(''.join(p.hex() + '\n' for p, _ in pkts))
    ns = 'ctrack-evaldiff-%d' % os.getpid()
    subprocess.run(['ip', 'netns', 'add', ns], check=True)
    try:
        ex = ['ip', 'netns', 'exec', ns]
        subprocess.run(ex + ['ip', 'link', 'set', 'lo', 'up'], check=True)
        subprocess.run(ex + ['ip', 'addr', 'add', 'fd00::5/64', 'dev', 'lo'], check=True)
        subprocess.run(ex + ['ip', 'addr', 'add', 'fd00::20/64', 'dev', 'lo', 'nodad'], check=True)
        subprocess.run(ex + ['nft', '-f', rules], check=True)
        sender = ('import socket,sys\n'
                  's=socket.socket(socket.AF_INET,socket.SOCK_RAW,socket.IPPROTO_RAW)\n'
                  's6=socket.socket(socket.AF_INET6,socket.SOCK_RAW,socket.IPPROTO_RAW)\n'
                  'for l in open(sys.argv[1]):\n'
                  '  b=bytes.fromhex(l.strip())\n'
                  '  try:\n'
                  '    if b[0]>>4==4: s.sendto(b,(socket.inet_ntoa(b[16:20]),0))\n'
                  '    else: s6.sendto(b,(socket.inet_ntop(socket.AF_INET6,b[24:40]),0))\n'
                  '  except OSError: pass\n')
        subprocess.run(ex + ['python3', '-c', sender, hexf], check=True)
        kern = subprocess.run(ex + ['nft', 'list', 'ruleset'], check=True,
                              capture_output=True, text=True).stdout
    finally:
        subprocess.run(['ip', 'netns', 'del', ns])
    ours = subprocess.run([tool, '-f', rules, '--eval', 'output', hexf, '--conntrack', '--oif', 'lo',
                           'list', 'ruleset'], check=True, capture_output=True, text=True).stdout
    ours = ours[ours.index('table '):]
    if os.environ.get("EVALDIFF_SHOW"):
        print(ours)
    if ours == kern:
        print('evaldiff: %d packets, listings with counters identical' % n)
        return 0
    import difflib
    sys.stdout.writelines(difflib.unified_diff(kern.splitlines(True), ours.splitlines(True),
                                               'kernel', 'ctrack'))
    print('evaldiff: FAILED')
    return 1


if __name__ == '__main__':
    sys.exit(main())
