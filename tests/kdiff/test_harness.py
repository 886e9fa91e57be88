# SPDX-License-Identifier: MIT
"""Self-tests of the harness pieces that need no root: checksums, packet
layout, normalisation, conntrack line parsing and comparison, pcap."""

import struct

import kdiff


def test_checksum_known_value():
    # RFC 1071 example words: 0001 f203 f4f5 f6f7 -> sum ddf2, checksum 220d.
    assert kdiff.csum(bytes.fromhex("0001f203f4f5f6f7")) == 0x220D


def test_ipv4_header_checksum_verifies():
    p = kdiff.ipv4("10.1.0.2", "10.2.0.2", 17, b"\0" * 8, ident=1)
    assert kdiff.csum(p[:20]) == 0
    bad = kdiff.ipv4("10.1.0.2", "10.2.0.2", 17, b"\0" * 8, ident=1, bad_csum=True)
    assert kdiff.csum(bad[:20]) != 0


def test_l4_checksums_verify():
    for src, dst in (("10.1.0.2", "10.2.0.2"), ("fd00:1::2", "fd00:2::2")):
        seg = kdiff.tcp(src, dst, 1, 2, 3, 4, kdiff.SYN, payload=b"abc")
        assert kdiff.csum(kdiff.pseudo(src, dst, 6, len(seg)) + seg) == 0
        seg = kdiff.udp(src, dst, 1, 2, b"hello")
        assert kdiff.csum(kdiff.pseudo(src, dst, 17, len(seg)) + seg) == 0
        seg = kdiff.tcp(src, dst, 1, 2, 3, 4, kdiff.SYN, bad_csum=True)
        assert kdiff.csum(kdiff.pseudo(src, dst, 6, len(seg)) + seg) != 0
    ic = kdiff.echo("10.1.0.2", "10.2.0.2", 1, 1)
    assert kdiff.csum(ic) == 0
    ic6 = kdiff.echo("fd00:1::2", "fd00:2::2", 1, 1)
    assert kdiff.csum(kdiff.pseudo("fd00:1::2", "fd00:2::2", 58, len(ic6)) + ic6) == 0


def test_fragments_reassemble():
    p = kdiff.ipv4("10.1.0.2", "10.2.0.2", 17, bytes(range(200)) * 5, ident=7, df=False)
    fr = kdiff.fragment4(p, 400)
    assert len(fr) == 3
    assert b"".join(f[20:] for f in fr) == p[20:]
    offs = [struct.unpack("!H", f[6:8])[0] for f in fr]
    assert offs == [0x2000, 0x2000 | 50, 100]
    p6 = kdiff.ipv6("fd00:1::2", "fd00:2::2", 17, bytes(1000))
    fr6 = kdiff.fragment6(p6, 400, ident=5)
    assert b"".join(f[48:] for f in fr6) == p6[40:]


def test_normalise_ignores_ttl_and_ip_checksum_only():
    a = kdiff.ipv4("10.1.0.2", "10.2.0.2", 17, b"x" * 8, ident=9, ttl=64)
    b = kdiff.ipv4("10.1.0.2", "10.2.0.2", 17, b"x" * 8, ident=9, ttl=63)
    c = kdiff.ipv4("10.1.0.2", "10.2.0.2", 17, b"y" * 8, ident=9, ttl=63)
    assert kdiff.normalise_l3(a) == kdiff.normalise_l3(b)
    assert kdiff.normalise_l3(a) != kdiff.normalise_l3(c)
    assert kdiff.normalise_l3(a + b"\0" * 6) == kdiff.normalise_l3(a)   # Ethernet padding


def test_parse_ct_line_keeps_icmp_id():
    ln = ("ipv4     2 icmp     1 29 src=1.1.1.1 dst=2.2.2.2 type=8 code=0 id=1226 [UNREPLIED] "
          "src=2.2.2.2 dst=1.1.1.1 type=0 code=0 id=1226 mark=0 use=1 id=3424260650")
    key, to = kdiff.parse_ct_line(ln)
    assert to == 29
    assert "id=1226" in key and "3424260650" not in key and "use=" not in key


def test_compare_tables():
    k = ["ipv4     2 tcp      6 119 SYN_SENT src=1.1.1.1 dst=2.2.2.2 sport=1 dport=2 [UNREPLIED] "
         "src=2.2.2.2 dst=1.1.1.1 sport=2 dport=1 mark=0 use=1"]
    same = [k[0].replace(" 119 ", " 118 ").replace("use=1", "use=2")]
    assert kdiff.compare_tables(k, same, 3) == []
    late = [k[0].replace(" 119 ", " 110 ")]
    assert len(kdiff.compare_tables(k, late, 3)) == 1
    other = [k[0].replace("SYN_SENT", "SYN_RECV")]
    assert len(kdiff.compare_tables(k, other, 3)) == 2
    assert len(kdiff.compare_tables(k, [], 3)) == 1


def test_pcap_header(tmp_path):
    path = tmp_path / "x.pcap"
    kdiff.write_pcap(str(path), [(1_500_000_000_123_456_789, b"\1" * 60)])
    data = path.read_bytes()
    magic, vmaj, vmin, _, _, snap, link = struct.unpack("<IHHiIII", data[:24])
    assert (magic, vmaj, vmin, link) == (0xA1B23C4D, 2, 4, 1)
    sec, nsec, incl, orig = struct.unpack("<IIII", data[24:40])
    assert (sec, nsec, incl, orig) == (1_500_000_000, 123_456_789, 60, 60)


def test_delta_time_tolerance():
    k = ["ipv4     2 udp      17 29 src=1.1.1.1 dst=2.2.2.2 sport=1 dport=2 [UNREPLIED] "
         "src=2.2.2.2 dst=1.1.1.1 sport=2 dport=1 mark=0 delta-time=5 use=1"]
    assert kdiff.compare_tables(k, [k[0].replace("delta-time=5", "delta-time=4")], 3) == []
    assert len(kdiff.compare_tables(k, [k[0].replace("delta-time=5", "delta-time=40")], 3)) == 1


def test_normalise_atomic_fragment():
    d = kdiff.ipv6("fd00:1::2", "fd00:2::2", 17, kdiff.udp("fd00:1::2", "fd00:2::2", 1, 2, b"x"))
    (atomic,) = kdiff.fragment6(d, 1000, ident=3)
    assert kdiff.normalise_l3(atomic) == kdiff.normalise_l3(d)
    a, b = kdiff.fragment6(d + b"", 8, ident=3)[:2]
    assert kdiff.normalise_l3(a) != kdiff.normalise_l3(d)


def test_reassemble():
    p = kdiff.ipv4("10.1.0.2", "10.2.0.2", 17, bytes(range(200)) * 5, ident=7, df=False)
    fr = kdiff.fragment4(p, 400)
    n = kdiff.normalise_l3
    assert n(kdiff.reassemble([fr[2], fr[0], fr[1], fr[1]])) == n(p)
    assert kdiff.reassemble([fr[0], fr[2]]) is None
    d = kdiff.ipv6("fd00:1::2", "fd00:2::2", 17, bytes(range(100)) * 10)
    fr6 = kdiff.fragment6(d, 400, ident=9)
    assert kdiff.reassemble(fr6[::-1]) == d
    assert kdiff.frag_info(d) is None and kdiff.frag_info(p) is None
