#!/usr/bin/env python3
"""Random rule differential against the real nft (needs root, ip netns, nft).

Random rules are built from tier-A fragments; each is applied with the real
nft inside a throw-away network namespace and with ctrack-nft.  Both must
accept or both reject, and accepted rules must list identically (-s).

usage: tests/nft/listdiff.py [BUILD] [NRULES] [SEED]
"""
import os, random, subprocess, sys, tempfile

MATCHES = [
    'ip saddr 10.0.0.1', 'ip saddr != 10.0.0.0/8', 'ip daddr 192.168.1.1-192.168.1.9',
    'ip daddr { 1.1.1.1, 2.2.2.0/24 }', 'ip protocol tcp', 'ip protocol { tcp, udp }',
    'ip6 saddr ::1', 'ip6 daddr fe80::/10', 'ip6 nexthdr udp', 'tcp dport 22',
    'tcp dport { 80, 443 }', 'tcp sport 1024-65535', 'tcp flags syn', 'tcp flags & (syn | ack) == syn',
    'tcp flags syn / syn,ack', 'udp dport 53', 'udp sport != 67', 'th dport 53',
    'icmp type echo-request', 'icmpv6 type nd-neighbor-solicit', 'icmp code 3',
    'meta l4proto tcp', 'meta l4proto { tcp, udp }', 'meta nfproto ipv4', 'meta nfproto ipv6',
    'meta mark 0x1', 'meta mark & 0xff == 0x2', 'meta length > 100', 'iifname "eth0"',
    'oifname { "eth0", "eth1" }', 'iif "lo"', 'ct state new', 'ct state established,related',
    'ct state { new, invalid }', 'ct status dnat', 'ct mark 0x10', 'ct mark and 0xf != 0',
    'ct direction reply', 'ct expiration < 30s', 'ct helper "ftp"', 'ct l3proto ipv4',
    'ct protocol tcp', 'ct original ip saddr 10.0.0.1', 'ct reply ip6 daddr ::1',
    'ct bytes > 1000', 'ct zone 1', 'meta mark xor 0x3 == 0x1',
    'ip saddr { 10.0.0.0/8, 10.1.0.0/16 }', 'tcp dport { 1-10, 5-20, 30 }', 'udp dport { 53 }',
    'ip daddr & 255.255.255.0 == 10.0.0.0', 'ip6 saddr & ffff:: == 2001::',
    'tcp flags & (fin | syn) != 0', 'tcp flags == 0x12', 'tcp flags != { syn, ack }',
    'ct state != established', 'ct status ! assured', 'ct mark | 0x2 == 0x3',
    'meta length { 1-100, 200-300 }', 'meta l4proto != 6', 'meta mark != 0x0-0xff',
    'icmpv6 code { no-route, 4 }', 'icmp type != { 0, 8 }', 'ip protocol != { 1, 6 }',
    'ct original proto-dst 80', 'ct reply protocol udp', 'ct expiration 1h-2h',
    'ct packets < 10', 'ct original bytes 1-100', 'ip saddr 0xff', 'iifname "eth*"',
    'oifname != "lo"', 'oif "lo"', 'meta mark 0xff00/8', 'ct helper != "sip"',
]
STMTS = [
    'accept', 'drop', 'counter', 'counter accept', 'log prefix "x: " level info',
    'limit rate 10/second', 'limit rate over 1 mbytes/second drop', 'meta mark set 0x5',
    'ct mark set meta mark', 'ct mark set ct mark | 0x1', 'notrack', 'reject',
    'reject with tcp reset', 'reject with icmpx admin-prohibited', 'jump sub', 'goto sub',
    'return', 'continue', 'ct zone set 2', 'meta mark set ip saddr map { 10.0.0.1 : 0x1 }',
    'tcp dport vmap { 22 : accept, 23 : drop, 25 : jump sub }', 'ip saddr vmap { 10.0.0.0/8 : drop }',
    'log flags tcp options', 'log level emerg flags all', 'log prefix "a" flags ip options',
    'limit rate 5/minute burst 10 packets', 'limit rate 100 kbytes/second burst 50 kbytes',
    'meta mark set 0x1 xor 0x3', 'meta mark set meta mark & 0xffff', 'ct mark set 0x0',
    'ct mark set ct mark and 0xff00 or 0x1', 'ct zone set meta mark map { 1 : 5, 2 : 6 }',
    'reject with icmp host-unreachable', 'reject with icmpv6 admin-prohibited',
    'reject with icmp 13', 'reject with icmpv6 5', 'counter packets 5 bytes 10 drop',
    'meta mark set tcp dport map { 22 : 0x1, 80-90 : 0x2 }',
]
NAT = [
    'masquerade', 'masquerade to :1024-2048', 'snat to 10.0.0.1', 'snat ip to 10.0.0.0/24',
    'snat ip6 to dead::1', 'snat to 10.0.0.1:80', 'masquerade random,persistent',
    'snat ip to 10.0.0.1-10.0.0.9:1000-2000', 'snat ip6 to [dead::1]:80',
    'snat ip6 to dead::1-dead::ff', 'snat ip to ip daddr map { 1.1.1.1 : 2.2.2.2 }',
    'masquerade to :10', 'snat to :53', 'snat ip to 10.0.0.1 fully-random,persistent',
]


def rule(rnd, nat):
    parts = [rnd.choice(MATCHES) for _ in range(rnd.randrange(0, 3))]
    pool = NAT if nat else STMTS
    parts.append(rnd.choice(pool))
    return ' '.join(parts)


def main():
    build = sys.argv[1] if len(sys.argv) > 1 else 'build'
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 300
    rnd = random.Random(int(sys.argv[3]) if len(sys.argv) > 3 else 1)
    tool = os.path.abspath(os.path.join(build, 'ctrack-nft'))
    if os.geteuid() != 0:
        print('listdiff: needs root, skipped')
        return 0
    ns = 'ctrack-listdiff-%d' % os.getpid()
    subprocess.run(['ip', 'netns', 'add', ns], check=True)
    ex = ['ip', 'netns', 'exec', ns]
    bad = 0
    try:
        for k in range(n):
            fam = rnd.choice(['ip', 'ip6', 'inet'])
            nat = rnd.random() < 0.2
            r = rule(rnd, nat)
            chain = ('type nat hook postrouting priority 100;' if nat else
                     'type filter hook input priority 0;')
            script = ('add table %s t\nadd chain %s t sub\nadd chain %s t c { %s }\n'
                      'add rule %s t c %s\n' % (fam, fam, fam, chain, fam, r))
            with tempfile.NamedTemporaryFile('w', suffix='.nft', delete=False) as f:
                f.write(script)
            subprocess.run(ex + ['nft', 'flush', 'ruleset'])
            k1 = subprocess.run(ex + ['nft', '-f', f.name], capture_output=True, text=True)
            kl = subprocess.run(ex + ['nft', '-s', 'list', 'ruleset'], capture_output=True,
                                text=True).stdout if k1.returncode == 0 else None
            c1 = subprocess.run([tool, '-s', '-f', f.name, 'list', 'ruleset'],
                                capture_output=True, text=True)
            cl = c1.stdout if c1.returncode == 0 else None
            os.unlink(f.name)
            if (kl is None) != (cl is None) or (kl is not None and kl != cl):
                bad += 1
                print('[%s] %s' % (fam, r))
                print('   nft:    %s' % (k1.stderr.strip().splitlines()[0] if kl is None else
                                         [l.strip() for l in kl.splitlines() if l.startswith('\t\t') and not l.strip().startswith('type ')]))
                print('   ctrack: %s' % (c1.stderr.strip().splitlines()[0] if cl is None else
                                         [l.strip() for l in cl.splitlines() if l.startswith('\t\t') and not l.strip().startswith('type ')]))
    finally:
        subprocess.run(['ip', 'netns', 'del', ns])
    print('listdiff: %d/%d rules agree' % (n - bad, n))
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main())
