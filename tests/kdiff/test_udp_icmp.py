# SPDX-License-Identifier: MIT
"""UDP, ICMP and ICMPv6 scenarios (spec §6.1, §6.3, §6.4)."""

import struct

import pytest

from kdiff import (C4, S4, C6, S6, SYN, TcpFlow, tcp_opts, udp_pkt, echo_pkt, icmp_error,
                   icmp, ip, udp)

ROUTER4 = "10.22.0.1"      # a router behind the server side
ROUTER6 = "fd00:22::1"


def test_udp_unreplied_replied_stream(kd):
    """§6.1: one-way flow stays UNREPLIED 30 s; a quick reply gives 30 s and
    no ASSURED; a packet >2 s after creation on a replied flow gives 120 s and
    ASSURED; a first reply >2 s after the query gives 30 s, no ASSURED."""
    sc = kd.scenario()
    sc.c(udp_pkt(C4, S4, 5000, 53))                       # unreplied
    sc.c(udp_pkt(C4, S4, 5001, 53))                       # replied at once
    sc.s(udp_pkt(S4, C4, 53, 5001))
    sc.c(udp_pkt(C4, S4, 5002, 53))                       # stream
    sc.s(udp_pkt(S4, C4, 53, 5002))
    sc.c(udp_pkt(C4, S4, 5003, 53))                       # late first reply
    sc.c(udp_pkt(C6, S6, 5004, 53))                       # IPv6 stream
    sc.s(udp_pkt(S6, C6, 53, 5004))
    sc.sleep(2.3)
    sc.c(udp_pkt(C4, S4, 5002, 53))
    sc.s(udp_pkt(S4, C4, 53, 5003))
    sc.s(udp_pkt(S6, C6, 53, 5004))
    sc.c(udp_pkt(C4, S4, 5000, 53))                       # still one-way
    sc.finish()
    assert sc.kernel_has("sport=5002", "[ASSURED]"), sc.kernel_table
    assert sc.kernel_has("sport=5000", "[UNREPLIED]"), sc.kernel_table
    assert not sc.kernel_has("sport=5003", "ASSURED"), sc.kernel_table
    kd.check(sc)


@pytest.mark.parametrize("sysctl_checksum", ["1", "0"])
def test_udp_checksums(kd, sysctl_checksum):
    """§6.1: a bad checksum is INVALID (with nf_conntrack_checksum=1), a zero
    checksum over IPv4 is valid; a length field larger than the packet is
    INVALID."""
    sc = kd.scenario({"net.netfilter.nf_conntrack_checksum": sysctl_checksum})
    sc.c(udp_pkt(C4, S4, 6000, 53, bad_csum=True))
    sc.c(udp_pkt(C4, S4, 6001, 53, zero_csum=True))
    sc.c(udp_pkt(C6, S6, 6002, 53, bad_csum=True))
    sc.c(udp_pkt(C4, S4, 6003, 53))
    sc.s(udp_pkt(S4, C4, 53, 6003, bad_csum=True))
    seg = bytearray(udp(C4, S4, 6004, 53, b"abcdefgh"))
    struct.pack_into("!H", seg, 4, 40)                    # length > bytes present
    sc.c(ip(C4, S4, 17, bytes(seg)))
    sc.finish()
    if sysctl_checksum == "1":
        assert not sc.kernel_has("sport=6000 "), sc.kernel_table
        assert sc.kernel_has("sport=6001 "), sc.kernel_table
        assert sc.kernel_has("sport=6003 ", "[UNREPLIED]"), sc.kernel_table
    kd.check(sc)


def test_icmp_echo(kd):
    """§6.3: echo request creates, reply -> no UNREPLIED, 30 s; an echo reply
    without entry, a non-invertible type (9) and type 42 are INVALID;
    timestamp request creates."""
    sc = kd.scenario()
    sc.c(echo_pkt(C4, S4, 0x1234, 1))
    sc.s(echo_pkt(S4, C4, 0x1234, 1, reply=True))
    sc.c(echo_pkt(C4, S4, 0x1234, 2))
    sc.c(echo_pkt(C4, S4, 0x2222, 1))                     # unreplied
    sc.s(echo_pkt(S4, C4, 0x3333, 1, reply=True))         # reply without entry
    sc.c(ip(C4, S4, 1, icmp(9, 0, b"\0" * 4)))            # router advertisement
    sc.c(ip(C4, S4, 1, icmp(42, 0, b"\0" * 4)))           # type > 18
    sc.c(ip(C4, S4, 1, icmp(13, 0, struct.pack("!HH", 77, 1), b"\0" * 12)))   # timestamp
    sc.c(echo_pkt(C4, S4, 0x4444, 1, bad_csum=True))
    sc.finish()
    assert sc.kernel_has("icmp", "id=4660", "type=0"), sc.kernel_table
    assert not sc.kernel_has("id=13107"), sc.kernel_table
    kd.check(sc)


def test_icmp_errors(kd):
    """§6.3: errors quoting a tracked flow are RELATED (not counted, no
    refresh, no SEEN_REPLY); errors quoting nothing, or with a bogus outer
    destination, are INVALID."""
    sc = kd.scenario()
    q1 = udp_pkt(C4, S4, 7000, 53)
    sc.c(q1)
    sc.s(icmp_error(S4, C4, 3, 3, q1))                        # port unreachable
    q2 = udp_pkt(C4, S4, 7001, 53)
    sc.c(q2)
    sc.s(icmp_error(ROUTER4, C4, 11, 0, q2))                  # from a router
    f = TcpFlow(sc, C4, S4, 7002, 80)
    syn = f.c(SYN, opts=tcp_opts(mss=1460))
    sc.s(icmp_error(ROUTER4, C4, 3, 1, syn))                  # host unreachable, TCP
    q3 = udp_pkt(C4, S4, 7003, 53)                           # never sent: no entry
    sc.s(icmp_error(S4, C4, 3, 3, q3))
    q4 = udp_pkt(C4, S4, 7004, 53)
    sc.c(q4)
    sc.s(icmp_error(S4, "10.11.0.9", 3, 3, q4))               # bogus outer dst
    # An error in the original direction (client reports about the server's
    # reply).
    sc.s(udp_pkt(S4, C4, 53, 7000))
    r = udp_pkt(S4, C4, 53, 7000)
    sc.c(icmp_error(C4, S4, 3, 3, r))
    sc.finish()
    assert sc.kernel_has("sport=7001", "[UNREPLIED]"), sc.kernel_table
    kd.check(sc)


def test_icmpv6(kd):
    """§6.4: echo, echo reply without entry INVALID, errors related or
    invalid, ND untracked (no entry)."""
    sc = kd.scenario()
    sc.c(echo_pkt(C6, S6, 0x99, 1))
    sc.s(echo_pkt(S6, C6, 0x99, 1, reply=True))
    sc.c(echo_pkt(C6, S6, 0x98, 1))
    sc.s(echo_pkt(S6, C6, 0x97, 1, reply=True))               # no entry: INVALID
    q = udp_pkt(C6, S6, 8000, 53)
    sc.c(q)
    sc.s(icmp_error(S6, C6, 1, 4, q))                         # port unreachable
    q2 = udp_pkt(C6, S6, 8001, 53)
    sc.c(q2)
    sc.s(icmp_error(ROUTER6, C6, 3, 0, q2))                   # time exceeded
    sc.s(icmp_error(S6, C6, 1, 4, udp_pkt(C6, S6, 8002, 53)))  # no entry: INVALID
    f = TcpFlow(sc, C6, S6, 8003, 80)
    syn = f.c(SYN, opts=tcp_opts(mss=1440))
    sc.s(icmp_error(ROUTER6, C6, 2, 0, syn, rest=struct.pack("!I", 1280)))  # packet too big
    sc.c(echo_pkt(C6, S6, 0x96, 1, bad_csum=True))
    sc.finish()
    assert sc.kernel_has("icmpv6", "id=153", "type=129"), sc.kernel_table
    kd.check(sc)


def test_generic_protocol(kd):
    """§6.2: an unknown L4 protocol (here 253) is tracked with addresses only,
    600 s, never ASSURED."""
    sc = kd.scenario()
    sc.c(ip(C4, S4, 253, b"experimental"))
    sc.s(ip(S4, C4, 253, b"answer"))
    sc.c(ip(C6, S6, 253, b"six"))
    sc.finish()
    assert sc.kernel_has("unknown", "253"), sc.kernel_table
    kd.check(sc)


def test_ip_header_checksum(kd):
    """§2.2 step 0: an IPv4 header with a bad checksum is discarded before
    any hook: no entry, not forwarded."""
    sc = kd.scenario()
    seg = udp(C4, S4, 9000, 53, b"x")
    sc.c(ip(C4, S4, 17, seg, bad_csum=True))
    sc.c(udp_pkt(C4, S4, 9001, 53))
    sc.finish()
    assert not sc.kernel_has("sport=9000 "), sc.kernel_table
    kd.check(sc)


def test_ttl_one_not_forwarded(kd):
    """A packet with TTL 1 cannot be forwarded; its unconfirmed entry is
    freed (§1.5).  The fw's own ICMP time exceeded goes back to the client
    and creates no entry of ours."""
    sc = kd.scenario()
    sc.c(udp_pkt(C4, S4, 9100, 53, ttl=1))
    sc.c(udp_pkt(C4, S4, 9101, 53))
    sc.finish()
    kd.check(sc)

