# SPDX-License-Identifier: MIT
"""Header shapes through NAT (spec §10.5): IPv4 options (the L4 header after
a longer IP header, the header checksum updated over it), IPv6 extension
headers before the L4 header (the kernel skips them to find the ports),
UDP-Lite, and ICMP errors about an entry with both manipulations
(dnat + masquerade)."""

import struct

from kdiff import (C4, S4, C6, S6, F04, F14, F16, SYN, ACK, csum, a2b, ip, ipv6, udp, tcp,
                   udp_pkt, icmp_error, pseudo)
from nat_kd import NatFlow, nk  # noqa: F401

MASQ = """
table inet nat {
	chain post {
		type nat hook postrouting priority srcnat; policy accept;
		oifname "f1" counter masquerade
	}
}
"""

DNAT_MASQ = """
table ip nat {
	chain pre {
		type nat hook prerouting priority dstnat; policy accept;
		iifname "f0" ip daddr 10.1.0.1 udp dport 5353 counter dnat to 10.2.0.2:53
	}
	chain post {
		type nat hook postrouting priority srcnat; policy accept;
		oifname "f1" counter masquerade
	}
}
"""


def ipv4_opts(src, dst, proto, l4, opts, ttl=64, ident=0x4242):
    """IPv4 with options (padded to 4 bytes)."""
    opts = opts + b"\0" * (-len(opts) % 4)
    ihl = 5 + len(opts) // 4
    h = bytearray(struct.pack("!BBHHHBBH4s4s", 0x40 | ihl, 0, 20 + len(opts) + len(l4), ident,
                              0x4000, ttl, proto, 0, a2b(src), a2b(dst)) + opts)
    struct.pack_into("!H", h, 10, csum(bytes(h)))
    return bytes(h) + l4


def udplite(src, dst, sport, dport, payload, cov=8):
    seg = bytearray(struct.pack("!HHHH", sport, dport, cov, 0) + payload)
    ph = pseudo(src, dst, 136, len(seg))
    struct.pack_into("!H", seg, 6, csum(ph + bytes(seg[:cov or len(seg)])) or 0xFFFF)
    return bytes(seg)


def test_ipv4_options(nk):
    """A NOP-padded timestamp-less option block (NOP, NOP, NOP, EOL) and a
    router-alert option: the ports after the 24-byte header are rewritten."""
    sc = nk.scenario(MASQ)
    sc.c(ipv4_opts(C4, S4, 17, udp(C4, S4, 5000, 53, b"opt"), b"\x01\x01\x01\x00"))
    sc.c(ipv4_opts(C4, S4, 6, tcp(C4, S4, 5001, 80, 1, 0, SYN), b"\x94\x04\x00\x00"))
    sc.s(ipv4_opts(S4, F14, 17, udp(S4, F14, 53, 5000, b"back"), b"\x01\x01\x01\x00"))
    sc.finish()
    assert (len(sc.raw["s"]), len(sc.raw["c"])) == (2, 1), sc.report([])
    nk.check(sc)


def test_ipv6_extension_headers(nk):
    """Hop-by-hop and destination options headers before UDP / TCP."""
    sc = nk.scenario(MASQ)
    dopt = struct.pack("!BB", 17, 0) + b"\x01\x04\0\0\0\0"        # PadN
    sc.c(ipv6(C6, S6, 60, dopt + udp(C6, S6, 6000, 53, b"ext")))
    hbh = struct.pack("!BB", 60, 0) + b"\x01\x04\0\0\0\0"
    dopt6 = struct.pack("!BB", 6, 0) + b"\x01\x04\0\0\0\0"
    sc.c(ipv6(C6, S6, 0, hbh + dopt6 + tcp(C6, S6, 6001, 80, 7, 0, SYN)))
    sc.s(ipv6(S6, F16, 60, dopt + udp(S6, F16, 53, 6000, b"ext-back")))
    sc.finish()
    assert (len(sc.raw["s"]), len(sc.raw["c"])) == (2, 1), sc.report([])
    nk.check(sc)


def test_udplite(nk):
    """UDP-Lite (its checksum always present), full and partial coverage,
    masqueraded both ways; the checksum is updated incrementally.
    nf_conntrack_checksum=0 here: with it on, the kernel verifies UDP-Lite
    over a pseudo-header carrying protocol 17 (full coverage) or 0 (partial,
    nf_ip_checksum_partial), so every correct RFC 3828 checksum fails and
    the packet is INVALID; ctrack agrees (test_udplite_checksum_quirk)."""
    sc = nk.scenario(MASQ, sysctls={"net.netfilter.nf_conntrack_checksum": "0"})
    sc.c(ip(C4, S4, 136, udplite(C4, S4, 7000, 53, b"lite-payload", cov=0)))
    sc.c(ip(C4, S4, 136, udplite(C4, S4, 7001, 53, b"lite-payload", cov=20)))
    sc.s(ip(S4, F14, 136, udplite(S4, F14, 53, 7000, b"reply", cov=0)))
    sc.c(ip(C6, S6, 136, udplite(C6, S6, 7002, 53, b"lite6", cov=0)))
    sc.c(ip(C4, S4, 136, udplite(C4, S4, 7003, 53, b"lite-payload", cov=8)))
    sc.finish()
    assert (len(sc.raw["s"]), len(sc.raw["c"])) == (4, 1), sc.report([])
    nk.check(sc)


def test_udplite_checksum_quirk(nk):
    """With nf_conntrack_checksum=1, correct UDP-Lite packets are INVALID in
    the kernel (see above) and dropped by `ct state invalid drop`."""
    sc = nk.scenario(MASQ)
    sc.c(ip(C4, S4, 136, udplite(C4, S4, 7000, 53, b"lite-payload", cov=0)))
    sc.c(ip(C4, S4, 136, udplite(C4, S4, 7003, 53, b"lite-payload", cov=8)))
    sc.finish()
    assert sc.kernel_count() == 0 and not sc.raw["s"], sc.report([])
    nk.check(sc)


def test_icmp_error_dnat_and_masquerade(nk):
    """An error from the server about a packet of an entry with DNAT and
    SNAT: both the outer and the quoted addresses are translated back at
    both hooks (client sees it from 10.1.0.1, quoting 10.1.0.2 ->
    10.1.0.1:5353)."""
    sc = nk.scenario(DNAT_MASQ)
    sc.c(udp_pkt(C4, F04, 40000, 5353))
    sc.s(icmp_error(S4, F14, 3, 3, udp_pkt(F14, S4, 40000, 53, ttl=63)))
    sc.s(icmp_error("10.22.0.1", F14, 3, 1, udp_pkt(F14, S4, 40000, 53, ttl=63)))
    sc.finish()
    assert len(sc.raw["c"]) == 2, sc.report([])
    nk.check(sc)
