# SPDX-License-Identifier: MIT
"""Fragments (spec §2.3) and many interleaved flows."""

import random

from kdiff import (ACK, FIN, PSH, RST, SYN, C4, S4, C6, S6, TcpFlow, tcp_opts, udp_pkt,
                   echo_pkt, fragment4, fragment6, ip, udp)


def _udp4(sport, n, ident):
    payload = (bytes(range(256)) * (n // 256 + 1))[:n]
    return ip(C4, S4, 17, udp(C4, S4, sport, 53, payload), ident=ident, df=False)


def test_fragments_ipv4(kd):
    """A datagram is tracked once (packets=1, bytes = whole datagram) and its
    fragments leave only when it is complete, in any arrival order; an
    incomplete datagram is held (no entry, nothing forwarded)."""
    sc = kd.scenario()
    sc.c(*fragment4(_udp4(10000, 1000, 0x1001), 400))               # in order
    fr = fragment4(_udp4(10001, 1000, 0x1002), 400)
    sc.c(fr[2], fr[0], fr[1])                                        # out of order
    fr = fragment4(_udp4(10002, 1000, 0x1003), 400)
    sc.c(fr[0], fr[2])                                               # never completed
    fr = fragment4(ip(C4, S4, 1, bytes(echo_pkt(C4, S4, 0x55, 1, payload=b"p" * 600))[20:],
                      ident=0x1004, df=False), 296)                  # fragmented echo
    sc.c(*fr)
    # The reply, fragmented too.
    sc.s(*fragment4(ip(S4, C4, 17, udp(S4, C4, 53, 10000, b"R" * 900), ident=0x2001,
                       df=False), 304))
    sc.finish()
    assert sc.kernel_has("sport=10000", "packets=1 bytes=1028"), sc.kernel_table
    assert not sc.kernel_has("sport=10002"), sc.kernel_table
    kd.check(sc)


def test_fragments_ipv4_overlap_and_duplicate(kd):
    sc = kd.scenario()
    fr = fragment4(_udp4(10100, 1000, 0x3001), 400)
    sc.c(fr[0], fr[1], fr[1], fr[2])                                 # exact duplicate
    big = _udp4(10101, 1000, 0x3002)
    a = fragment4(big, 400)
    b = fragment4(big, 200)
    sc.c(a[0], b[3], a[1], a[2])                                     # overlapping piece
    sc.finish()
    kd.check(sc)


def test_fragments_ipv6(kd):
    sc = kd.scenario()
    d1 = ip(C6, S6, 17, udp(C6, S6, 11000, 53, b"6" * 1000))
    sc.c(*fragment6(d1, 400, ident=0xABC001))
    fr = fragment6(ip(C6, S6, 17, udp(C6, S6, 11001, 53, b"7" * 1000)), 400, ident=0xABC002)
    sc.c(fr[1], fr[2], fr[0])
    fr = fragment6(ip(C6, S6, 17, udp(C6, S6, 11002, 53, b"8" * 1000)), 400, ident=0xABC003)
    sc.c(fr[0], fr[1])                                               # never completed
    sc.c(*fragment6(echo_pkt(C6, S6, 0x66, 1, payload=b"e" * 700), 304, ident=0xABC004))
    sc.s(*fragment6(ip(S6, C6, 17, udp(S6, C6, 53, 11000, b"r" * 900)), 496, ident=0xABC005))
    sc.finish()
    assert sc.kernel_has("sport=11000", "packets=1 bytes=1048"), sc.kernel_table
    assert not sc.kernel_has("sport=11002"), sc.kernel_table
    kd.check(sc)


def test_fragments_ipv6_large(kd):
    """IPv6 fragments of at least the minimum MTU (1280) except the last."""
    sc = kd.scenario()
    sc.c(*fragment6(ip(C6, S6, 17, udp(C6, S6, 11100, 53, b"L" * 3000)), 1400, ident=0xDEF001))
    fr = fragment6(ip(C6, S6, 17, udp(C6, S6, 11101, 53, b"M" * 3000)), 1400, ident=0xDEF002)
    sc.c(fr[2], fr[1], fr[0])
    sc.s(*fragment6(ip(S6, C6, 17, udp(S6, C6, 53, 11100, b"N" * 2000)), 1400, ident=0xDEF003))
    sc.finish()
    assert sc.kernel_has("sport=11100", "packets=1 bytes=3048"), sc.kernel_table
    kd.check(sc)


def _tcp_steps(f, rng):
    opts = tcp_opts(mss=1460, sackperm=True, wscale=rng.choice([0, 7]))
    yield lambda: f.c(SYN, opts=opts)
    if rng.random() < 0.1:
        return                                   # stays SYN_SENT
    yield lambda: f.s(SYN | ACK, opts=opts)
    yield lambda: f.c(ACK)
    for _ in range(rng.randrange(0, 4)):
        n = rng.randrange(1, 400)
        yield lambda n=n: f.c(ACK | PSH, b"c" * n)
        yield lambda n=n: f.s(ACK | PSH, b"s" * n)
    end = rng.random()
    if end < 0.3:
        yield lambda: f.c(FIN | ACK)
        yield lambda: f.s(FIN | ACK)
        yield lambda: f.c(ACK)
    elif end < 0.45:
        yield lambda: f.s(RST | ACK)
    elif end < 0.55:
        yield lambda: f.c(ACK | PSH, b"x", seq=f.nxt["c"] + 50_000_000, advance=False)


def _udp_steps(ca, sa, sp, rng):
    yield lambda sc: sc.c(udp_pkt(ca, sa, sp, 53, b"q" * rng.randrange(1, 200)))
    if rng.random() < 0.7:
        yield lambda sc: sc.s(udp_pkt(sa, ca, 53, sp, b"a" * rng.randrange(1, 200)))
        if rng.random() < 0.5:
            yield lambda sc: sc.c(udp_pkt(ca, sa, sp, 53, b"q2"))


def _echo_steps(ca, sa, ident, rng):
    for seq in range(rng.randrange(1, 4)):
        yield lambda sc, seq=seq: sc.c(echo_pkt(ca, sa, ident, seq))
        if rng.random() < 0.8:
            yield lambda sc, seq=seq: sc.s(echo_pkt(sa, ca, ident, seq, reply=True))


def test_many_interleaved_flows(kd):
    """300 flows (TCP, UDP, ICMP; IPv4 and IPv6; addresses behind the
    puppets) whose packets are interleaved at random (fixed seed)."""
    rng = random.Random(20240611)
    sc = kd.scenario()
    gens = []
    for i in range(300):
        v6 = rng.random() < 0.3
        if v6:
            ca = "fd00:11::%x" % (1 + i % 50)
            sa = "fd00:22::%x" % (1 + i % 7)
        else:
            ca = "10.11.%d.%d" % (i // 200, 1 + i % 200)
            sa = "10.22.0.%d" % (1 + i % 7)
        kind = rng.random()
        sp = 20000 + i
        if kind < 0.6:
            f = TcpFlow(sc, ca, sa, sp, rng.choice([80, 443, 22]),
                        cisn=rng.getrandbits(32), sisn=rng.getrandbits(32))
            gens.append(((lambda st: (lambda sc: st()))(s) for s in _tcp_steps(f, rng)))
        elif kind < 0.85:
            gens.append(_udp_steps(ca, sa, sp, rng))
        else:
            gens.append(_echo_steps(ca, sa, i, rng))
    while gens:
        g = rng.choice(gens)
        try:
            step = next(g)
        except StopIteration:
            gens.remove(g)
            continue
        step(sc)
    sc.finish()
    assert sc.kernel_count() > 250, sc.kernel_count()
    kd.check(sc)
