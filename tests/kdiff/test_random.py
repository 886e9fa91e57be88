# SPDX-License-Identifier: MIT
"""Randomised differential scenarios (fixed seeds, so a failure reproduces):
TCP segments with random flags, sequence and acknowledgement numbers and
windows on a few flows, so that the state tables, window checks, RST and
resync rules meet combinations no hand-written test covers."""

import os
import random

import pytest

from kdiff import (ACK, FIN, PSH, RST, SYN, URG, C4, S4, C6, S6, TcpFlow, tcp_opts, udp_pkt,
                   echo_pkt, icmp_error, ip, udp, fragment4, fragment6)

FLAGS = [SYN, SYN | ACK, ACK, ACK | PSH, FIN | ACK, RST, RST | ACK, ACK | URG, SYN | FIN, FIN]
WEIGHTS = [6, 5, 12, 12, 5, 3, 3, 1, 1, 1]


def _segment(f, rng):
    side = rng.choice("cs")
    other = "s" if side == "c" else "c"
    flags = rng.choices(FLAGS, WEIGHTS)[0]
    r = rng.random()
    nxt = f.nxt[side]
    if r < 0.6:
        seq = nxt
    elif r < 0.75:
        seq = nxt + rng.randrange(1, 70000)
    elif r < 0.9:
        seq = nxt - rng.randrange(1, 70000)
    else:
        seq = rng.getrandbits(32)
    r = rng.random()
    if not flags & ACK:
        ack = 0 if rng.random() < 0.8 else f.nxt[other]
    elif r < 0.7:
        ack = f.nxt[other]
    elif r < 0.85:
        ack = f.nxt[other] + rng.randrange(-3000, 3000)
    else:
        ack = rng.getrandbits(32)
    data = b""
    if not flags & (SYN | RST) and rng.random() < 0.5:
        data = b"d" * rng.choice([1, 10, 100, 1000])
    opts = b""
    if flags & SYN:
        opts = tcp_opts(mss=1460, sackperm=rng.random() < 0.5,
                        wscale=rng.choice([None, 0, 2, 7, 14]))
    win = rng.choice([0, 100, 1000, 29200, 65535])
    f._pkt(side, flags, data, seq=seq & 0xFFFFFFFF, ack=ack & 0xFFFFFFFF, win=win, opts=opts,
           advance=(seq == nxt))


def _seeds():
    """12 seeds by default; KDIFF_SEEDS=A-B runs seeds A..B instead."""
    spec = os.environ.get("KDIFF_SEEDS")
    if spec:
        a, _, b = spec.partition("-")
        return range(int(a), int(b or a) + 1)
    return range(1, 13)


@pytest.mark.parametrize("seed", _seeds())
def test_random_tcp(kd, seed):
    rng = random.Random(seed)
    sysctls = {}
    if seed % 3 == 0:
        sysctls["net.netfilter.nf_conntrack_tcp_loose"] = "0"
    if seed % 4 == 0:
        sysctls["net.netfilter.nf_conntrack_tcp_be_liberal"] = "1"
    sc = kd.scenario(sysctls)
    flows = []
    for i in range(12):
        v6 = i % 4 == 3
        f = TcpFlow(sc, C6 if v6 else C4, S6 if v6 else S4, 30000 + i, 80,
                    cisn=rng.getrandbits(32), sisn=rng.getrandbits(32))
        if rng.random() < 0.7:
            o = tcp_opts(mss=1460, sackperm=True, wscale=rng.choice([None, 7]))
            f.handshake(copts=o, sopts=o)
        flows.append(f)
    for _ in range(400):
        _segment(rng.choice(flows), rng)
    sc.finish()
    kd.check(sc)


def _quote(rng, pkts, v6, back):
    """A packet to quote in an ICMP error: one that side `back` sent, or a
    made-up one from that side."""
    if pkts and rng.random() < 0.8:
        return rng.choice(pkts)
    ca, sa = (C6, S6) if v6 else (C4, S4)
    if back == "s":
        return udp_pkt(sa, ca, 53, rng.randrange(40000, 40010))
    return udp_pkt(ca, sa, rng.randrange(40000, 40010), 53)


@pytest.mark.parametrize("seed", _seeds())
def test_random_udp_icmp(kd, seed):
    """UDP flows and pings with ICMP/ICMPv6 errors quoting sent packets,
    made-up packets or packets of the other direction, from the peer or a
    router, sometimes with a bogus outer destination."""
    rng = random.Random(1000 + seed)
    sc = kd.scenario()
    sent = {"c": [], "s": []}
    for _ in range(150):
        v6 = rng.random() < 0.4
        ca, sa = (C6, S6) if v6 else (C4, S4)
        r = rng.random()
        port = rng.randrange(40000, 40010)
        if r < 0.35:
            p = udp_pkt(ca, sa, port, 53, b"q", bad_csum=rng.random() < 0.05)
            sc.c(p)
            sent["c"].append(p)
        elif r < 0.55:
            p = udp_pkt(sa, ca, 53, port, b"a")
            sc.s(p)
            sent["s"].append(p)
        elif r < 0.7:
            reply = rng.random() < 0.4
            p = echo_pkt(sa if reply else ca, ca if reply else sa, rng.randrange(1, 4),
                         rng.randrange(0, 3), reply=reply)
            (sc.s if reply else sc.c)(p)
            sent["s" if reply else "c"].append(p)
        else:
            # An error travelling towards the side that sent the quoted packet.
            back = rng.choice("cs")
            q = _quote(rng, [p for p in sent[back] if (p[0] >> 4 == 6) == v6], v6, back)
            qsrc = q[8:24] if v6 else q[12:16]
            import ipaddress
            qsrc = str(ipaddress.ip_address(qsrc))
            router = ("fd00:22::1" if back == "c" else "fd00:11::1") if v6 else \
                ("10.22.0.1" if back == "c" else "10.11.0.1")
            peer = S6 if v6 and back == "c" else C6 if v6 else S4 if back == "c" else C4
            src = rng.choice([router, peer])
            dst = qsrc if rng.random() < 0.9 else ("fd00:11::99" if v6 else "10.11.0.99")
            if v6:
                typ, code = rng.choice([(1, 4), (1, 0), (3, 0), (2, 0), (4, 0)])
            else:
                typ, code = rng.choice([(3, 3), (3, 1), (11, 0), (12, 0), (4, 0), (5, 1)])
            err = icmp_error(src, dst, typ, code, q)
            (sc.s if back == "c" else sc.c)(err)
    sc.finish()
    kd.check(sc)


@pytest.mark.parametrize("seed", _seeds())
def test_random_fragments(kd, seed):
    """Datagrams (UDP, ICMP echo; IPv4, IPv6) cut at random sizes, sent in
    random order with duplicates, overlapping pieces and missing pieces,
    interleaved with each other."""
    rng = random.Random(5000 + seed)
    sc = kd.scenario()
    queue = []
    for d in range(20):
        v6 = rng.random() < 0.4
        ca, sa = (C6, S6) if v6 else (C4, S4)
        n = rng.randrange(100, 2500)
        if rng.random() < 0.7:
            dg = ip(ca, sa, 17, udp(ca, sa, 41000 + d, 53, bytes(rng.getrandbits(8) for _ in range(n))),
                    **({} if v6 else {"ident": 0x5000 + d, "df": False}))
        else:
            dg = echo_pkt(ca, sa, 0x700 + d, 1, payload=b"e" * n)
            if not v6:
                dg = ip(ca, sa, 1, dg[20:], ident=0x5000 + d, df=False)
        size = rng.choice([8, 64, 400, 504, 1000, 1232, 1400])
        if v6:
            fr = fragment6(dg, size, ident=0xF0000 + d)
        else:
            fr = fragment4(dg, size)
        r = rng.random()
        if r < 0.15 and len(fr) > 1:
            fr.pop(rng.randrange(len(fr)))                     # never completes
        elif r < 0.3:
            fr.append(rng.choice(fr))                           # duplicate
        elif r < 0.4 and not v6:
            other = fragment4(dg, size // 2 * 8 // 8 or 8)
            fr.append(rng.choice(other))                        # overlap (maybe)
        rng.shuffle(fr)
        queue.append(fr)
    while queue:
        fr = rng.choice(queue)
        sc.c(fr.pop(0))
        if not fr:
            queue.remove(fr)
    sc.finish()
    kd.check(sc)
