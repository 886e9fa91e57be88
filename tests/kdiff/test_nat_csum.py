# SPDX-License-Identifier: MIT
"""Checksum edges and fragments through NAT (spec §10.5, §2.3): a
rewritten TCP/UDP checksum that comes out as 0x0000 / 0xffff, an incoming
TCP checksum written as 0xffff, UDP's "computed 0 is sent as 0xffff",
odd lengths, and fragmented datagrams of a masqueraded flow (every
fragment takes the new address, the first one the new port and checksum)."""

import struct

from kdiff import (C4, S4, C6, S6, F14, F16, ACK, PSH, SYN, ip, tcp, udp, fragment4,
                   fragment6, csum, pseudo, echo_pkt)
from nat_kd import NatFlow, nk  # noqa: F401

MASQ = """
table inet nat {
	chain post {
		type nat hook postrouting priority srcnat; policy accept;
		oifname "f1" counter masquerade
	}
}
"""


def _tune(build, want):
    """The payload (4 bytes) for which build(payload) -> (l4 bytes, csum
    offset) has the checksum `want` computed per RFC 1071."""
    for x in range(1 << 16):
        pl = b"ck" + struct.pack("!H", x)
        seg, at = build(pl)
        if struct.unpack("!H", seg[at:at + 2])[0] == want:
            return pl
    raise AssertionError("no payload gives checksum %#x" % want)


def _tcp_seg(src, dst, sp, dp, payload, seq=1000001, ack=5000001):
    return tcp(src, dst, sp, dp, seq, ack, ACK | PSH, payload=payload)


def _zero_to_ffff(seg, at):
    b = bytearray(seg)
    assert b[at:at + 2] == b"\0\0"
    b[at:at + 2] = b"\xff\xff"
    return bytes(b)


def test_checksum_edges(nk):
    """Masquerade rewrites TCP and UDP checksums incrementally; the kernel's
    update never yields 0xffff for TCP, sends a UDP 0 as 0xffff and takes
    an incoming 0xffff (the other zero) as is."""
    sc = nk.scenario(MASQ)
    for v6 in (False, True):
        c, s, m = (C6, S6, F16) if v6 else (C4, S4, F14)
        base = 41000 if v6 else 40000
        # 1. TCP whose checksum after masquerade is 0x0000 (RFC 1071).
        f = NatFlow(sc, c, s, base, 80, ssrc=m)
        f.handshake()
        pl = _tune(lambda p: (_tcp_seg(m, s, base, 80, p), 16), 0x0000)
        f.c(ACK | PSH, pl)
        # 2. The reply whose checksum before de-NAT is 0 but sent as 0xffff.
        pl = _tune(lambda p: (_tcp_seg(s, m, 80, base, p, 5000001, f.nxt["c"]), 16), 0x0000)
        seg = _zero_to_ffff(_tcp_seg(s, m, 80, base, pl, 5000001, f.nxt["c"]), 16)
        sc.s(ip(s, m, 6, seg))
        # 4. UDP whose checksum after masquerade would be computed 0.
        def ubuild(p, sp=base + 2):
            seg = bytearray(struct.pack("!HHHH", sp, 53, 8 + len(p), 0) + p)
            ck = csum(pseudo(m, s, 17, len(seg)) + bytes(seg))
            struct.pack_into("!H", seg, 6, ck)
            return bytes(seg), 6
        pl = _tune(ubuild, 0x0000)
        sc.c(ip(c, s, 17, udp(c, s, base + 2, 53, pl)))
        # 5. odd lengths both ways.
        sc.c(ip(c, s, 17, udp(c, s, base + 3, 53, b"abc")))
        sc.s(ip(s, m, 17, udp(s, m, 53, base + 3, b"defgh")))
        sc.c(echo_pkt(c, s, 0x300 + base % 7, 1, payload=b"odd"))
    sc.finish()
    nk.check(sc)


def test_fragments_through_masquerade(nk):
    """Fragmented UDP and echo, IPv4 and IPv6, both directions: reassembled
    for conntrack, NATed, sent as fragments again."""
    sc = nk.scenario(MASQ)
    d = ip(C4, S4, 17, udp(C4, S4, 10000, 53, bytes(range(256)) * 4), ident=0x1001, df=False)
    sc.c(*fragment4(d, 400))
    r = ip(S4, F14, 17, udp(S4, F14, 53, 10000, b"R" * 900), ident=0x2001, df=False)
    sc.s(*fragment4(r, 304))
    e = echo_pkt(C4, S4, 0x55, 1, payload=b"p" * 600)
    sc.c(*fragment4(ip(C4, S4, 1, e[20:], ident=0x1004, df=False), 296))
    d6 = ip(C6, S6, 17, udp(C6, S6, 11000, 53, b"6" * 1000))
    sc.c(*fragment6(d6, 400, ident=0xABC001))
    r6 = ip(S6, F16, 17, udp(S6, F16, 53, 11000, b"r" * 900))
    sc.s(*fragment6(r6, 496, ident=0xABC005))
    sc.finish()
    assert len(sc.raw["s"]) == 3 + 3 + 3, sc.report([])
    nk.check(sc)
