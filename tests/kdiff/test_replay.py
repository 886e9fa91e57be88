# SPDX-License-Identifier: MIT
"""ctrack-replay against a kernel router namespace: the office ruleset
(replay_kd.OFFICE_RULESET) and IPv4 / IPv6 traffic through and to the
firewall.  Every test compares forwarded and generated frames byte for byte,
drops, the final table and the rule counters (see replay_kd.py)."""

import os
import struct

import pytest

import kdiff
import replay_kd
from kdiff import ACK, FIN, PSH, RST, SYN, tcp_opts, udp_pkt, echo_pkt, icmp_error
from replay_kd import (LAN4, LAN6, WAN4, WAN6, FW_LAN4, FW_LAN6, FW_WAN4, FW_WAN6, SERVER4,
                       SERVER6)

_NETNS = None


@pytest.fixture
def rk(tmp_path, request):
    global _NETNS
    if not kdiff.is_root():
        pytest.skip("SKIP replay kdiff: needs root (network namespaces, AF_PACKET)")
    if _NETNS is None:
        _NETNS = kdiff.netns_available()
    if not _NETNS:
        pytest.skip("SKIP replay kdiff: `ip netns` does not work here")
    h = replay_kd.Harness(tmp_path, request)
    request.addfinalizer(h.close)
    return h


def check(rk, sc):
    diffs = rk.diffs(sc)
    if os.environ.get("REPLAY_KD_VERBOSE"):
        print(sc.report(diffs))
    if diffs:
        pytest.fail(sc.report(diffs), pytrace=False)


OPTS = tcp_opts(mss=1460, sackperm=True, wscale=7)


def test_tcp_sessions_v4(rk):
    """A LAN host's web session out (accepted by iifname/oifname), an ssh
    session in to the server (dport rule, ct state new), both closed; an
    ssh session left open; an http session in whose server resets."""
    sc = rk.scenario()
    out = sc.flow("lan", "wan", "10.11.0.20", "10.22.0.80", 50000, 80)
    out.handshake(OPTS, OPTS)
    out.data(300)
    out.data(40)
    ssh = sc.flow("wan", "lan", "10.22.0.200", SERVER4, 51022, 22, cisn=7770000, sisn=8880000)
    ssh.handshake(OPTS, OPTS)
    ssh.data(48)
    out.close()
    ssh.data(64)
    ssh.close()
    keep = sc.flow("wan", "lan", "10.22.0.202", SERVER4, 52000, 22, cisn=100, sisn=900)
    keep.handshake(OPTS, OPTS)
    web = sc.flow("wan", "lan", "10.22.0.201", SERVER4, 40404, 80, cisn=5000, sisn=6000)
    web.handshake()
    web.c(ACK | PSH, b"GET / HTTP/1.0\r\n\r\n")
    web.s(RST | ACK)
    check(rk, sc)


def test_tcp_sessions_v6(rk):
    """The same over IPv6: out through iifname/oifname, in to the server's
    ssh and http (ip6 daddr rule), an open session and a reset."""
    sc = rk.scenario()
    out = sc.flow("lan", "wan", "fd00:11::20", "fd00:22::80", 50000, 80)
    out.handshake(OPTS, OPTS)
    out.data(300)
    ssh = sc.flow("wan", "lan", "fd00:22::200", SERVER6, 51022, 22, cisn=7770000,
                  sisn=8880000)
    ssh.handshake(OPTS, OPTS)
    ssh.data(48)
    out.close()
    ssh.close()
    keep = sc.flow("wan", "lan", "fd00:22::202", SERVER6, 52000, 80, cisn=100, sisn=900)
    keep.handshake(OPTS, OPTS)
    keep.data(10)
    keep.s(RST | ACK)
    check(rk, sc)


@pytest.mark.parametrize("v6", [False, True], ids=["v4", "v6"])
def test_port_scan_blocked(rk, v6):
    """A scan of the server from the WAN: only ssh and http get through
    (the puppet server answers nothing); the rest falls to the forward
    chain's last counter and its drop policy.  An unsolicited ACK is picked
    up (nf_conntrack_tcp_loose) and dropped likewise; SYNs to the firewall's
    own WAN address die at the input policy without an answer."""
    sc = rk.scenario()
    src, srv, fw = ("fd00:22::66", SERVER6, FW_WAN6) if v6 else ("10.22.0.66", SERVER4, FW_WAN4)
    for k, port in enumerate((21, 22, 23, 25, 80, 110, 139, 443, 445, 3306, 3389, 8080)):
        sc.wan(kdiff.ip(src, srv, 6, kdiff.tcp(src, srv, 61000 + k, port, 4242, 0, SYN,
                                               win=1024)))
    lan_host = "fd00:11::22" if v6 else "10.11.0.22"
    sc.wan(kdiff.ip(src, lan_host, 6, kdiff.tcp(src, lan_host, 61100, 3389, 1, 1, ACK)))
    for port in (22, 80, 8080):
        sc.wan(kdiff.ip(src, fw, 6, kdiff.tcp(src, fw, 61200, port, 7, 0, SYN, win=1024)))
    check(rk, sc)


def test_udp_dns(rk):
    """DNS-like request / reply from the LAN (IPv4 and IPv6), an unsolicited
    UDP datagram from the WAN (dropped), a flow that becomes a stream
    (packets after 2 s: ASSURED, 120 s) and a one-way flow."""
    sc = rk.scenario()
    q = b"\x12\x34\x01\x00\x00\x01" + b"\0" * 6 + b"\x03www\x07example\x03com\x00\x00\x01\x00\x01"
    a = q[:2] + b"\x81\x80" + q[4:] + b"\xc0\x0c\x00\x01\x00\x01\x00\x00\x0e\x10\x00\x04\x0a\x16\x00\x50"
    for c, s in (("10.11.0.20", "10.22.0.53"), ("fd00:11::20", "fd00:22::53")):
        sc.lan(udp_pkt(c, s, 40000, 53, q))
        sc.wan(udp_pkt(s, c, 53, 40000, a))
        sc.lan(udp_pkt(c, s, 40001, 53, q))
        sc.wan(udp_pkt(s, c, 53, 40002, a))              # to a port nobody asked from
        sc.lan(udp_pkt(c, s, 42000, 53, b"q0"))
        sc.wan(udp_pkt(s, c, 53, 42000, b"a0"))
    sc.sleep(2.1)
    for c, s in (("10.11.0.20", "10.22.0.53"), ("fd00:11::20", "fd00:22::53")):
        sc.lan(udp_pkt(c, s, 42000, 53, b"q1"))
        sc.wan(udp_pkt(s, c, 53, 42000, b"a1"))
        sc.lan(udp_pkt(c, s, 40001, 53, q))
    check(rk, sc)


def test_ping(rk):
    """Pings through the firewall (LAN to WAN, replies back), from the WAN
    (dropped by policy), to the firewall's own addresses from both sides
    (echo replies made by the firewall), and an echo reply nobody asked for
    (INVALID, dropped)."""
    sc = rk.scenario()
    for c, s, fl, fw_w, wan_h in (
            ("10.11.0.21", "10.22.0.1", FW_LAN4, FW_WAN4, "10.22.0.99"),
            ("fd00:11::21", "fd00:22::1", FW_LAN6, FW_WAN6, "fd00:22::99")):
        for k in range(2):
            sc.lan(echo_pkt(c, s, 0x77, k, payload=b"ping" * 8))
            sc.wan(echo_pkt(s, c, 0x77, k, reply=True, payload=b"ping" * 8))
        sc.wan(echo_pkt(wan_h, c, 0x99, 1))                # in: no rule
        sc.wan(echo_pkt(wan_h, fw_w, 0x99, 1, payload=b"abcd" * 4))
        sc.wan(echo_pkt(wan_h, fw_w, 0x99, 2, payload=b"abcd" * 4))
        sc.wan(echo_pkt(wan_h, fl, 0x98, 1))               # the LAN address, from the WAN
        sc.lan(echo_pkt(c, fl, 0x55, 1))
        sc.wan(echo_pkt(wan_h, c, 0x1111, 1, reply=True))  # reply without request
    check(rk, sc)


@pytest.mark.parametrize("v6", [False, True], ids=["v4", "v6"])
def test_local_answers(rk, v6):
    """Packets for the firewall itself that the input chain accepts but no
    service listens for: a SYN gets a RST+ACK, a bare ACK a RST, UDP an ICMP
    port unreachable; what input drops gets no answer.  The answers go
    through output and postrouting and end the entries as the kernel's do."""
    sc = rk.scenario()
    c, fw = ("fd00:11::30", FW_LAN6) if v6 else ("10.11.0.30", FW_LAN4)
    w = "fd00:22::30" if v6 else "10.22.0.30"
    fw_w = FW_WAN6 if v6 else FW_WAN4
    sc.lan(kdiff.ip(c, fw, 6, kdiff.tcp(c, fw, 33000, 22, 1000, 0, SYN, opts=OPTS)))
    sc.lan(kdiff.ip(c, fw, 6, kdiff.tcp(c, fw, 33001, 8080, 2000, 0, SYN, payload=b"tfo")))
    sc.lan(kdiff.ip(c, fw, 6, kdiff.tcp(c, fw, 33002, 22, 3000, 4444, ACK | PSH,
                                        payload=b"hello")))
    sc.lan(udp_pkt(c, fw, 34000, 9999, b"x" * 100))
    sc.lan(udp_pkt(c, fw, 34001, 9999, b"y" * 1300))     # the quote is cut
    sc.lan(udp_pkt(c, fw, 34002, 53, b"dropped"))        # input policy: no answer
    sc.lan(kdiff.ip(c, fw, 6, kdiff.tcp(c, fw, 33003, 443, 1, 0, SYN)))   # no answer
    sc.wan(kdiff.ip(w, fw_w, 6, kdiff.tcp(w, fw_w, 33004, 22, 1, 0, SYN)))  # no answer
    sc.lan(kdiff.ip(c, fw, 6, kdiff.tcp(c, fw, 33000, 22, 1000, 0, SYN, opts=OPTS)))  # again
    check(rk, sc)


@pytest.mark.parametrize("v6", [False, True], ids=["v4", "v6"])
def test_reject(rk, v6):
    """`reject with tcp reset`, `reject with icmp[v6] type port-unreachable`
    and `reject with icmpx type admin-prohibited` in the forward chain: the
    answer goes back to the sender (RELATED to the dying entry), the packet
    and its entry die."""
    sc = rk.scenario()
    c, s = ("fd00:11::40", "fd00:22::40") if v6 else ("10.11.0.40", "10.22.0.40")
    sc.lan(kdiff.ip(c, s, 6, kdiff.tcp(c, s, 35000, 113, 1000, 0, SYN, opts=OPTS)))
    sc.wan(kdiff.ip(s, c, 6, kdiff.tcp(s, c, 35001, 113, 2000, 0, SYN)))
    sc.lan(kdiff.ip(c, s, 6, kdiff.tcp(c, s, 35002, 113, 1000, 777, ACK | PSH,
                                       payload=b"ident")))
    sc.lan(udp_pkt(c, s, 36000, 514, b"<13>syslog line"))
    sc.lan(udp_pkt(c, s, 36001, 515, b"lpd"))
    sc.wan(udp_pkt(s, c, 36002, 514, b"in"))
    sc.lan(udp_pkt(c, s, 36000, 514, b"<13>syslog again"))
    check(rk, sc)


@pytest.mark.parametrize("v6", [False, True], ids=["v4", "v6"])
def test_ttl(rk, v6):
    """TTL / hop limit 1 is not forwarded: time exceeded from the address
    of the receiving interface (the entry never confirmed); 2 leaves as 1;
    TTL 1 to the firewall itself is delivered."""
    sc = rk.scenario()
    c, s, fw = ("fd00:11::50", "fd00:22::50", FW_LAN6) if v6 else ("10.11.0.50", "10.22.0.50",
                                                                     FW_LAN4)
    kw = (lambda t: {"hlim": t}) if v6 else (lambda t: {"ttl": t})
    sc.lan(udp_pkt(c, s, 37000, 33434, b"trace", **kw(1)))
    sc.lan(udp_pkt(c, s, 37000, 33435, b"trace", **kw(2)))
    sc.lan(kdiff.ip(c, s, 6, kdiff.tcp(c, s, 37001, 80, 1, 0, SYN), **kw(1)))
    sc.lan(kdiff.ip(c, s, 58 if v6 else 1, kdiff.echo(c, s, 5, 1), **kw(1)))
    sc.wan(udp_pkt(s, c, 33434, 37000, b"in", **kw(1)))  # dropped by policy anyway
    sc.lan(kdiff.ip(c, fw, 58 if v6 else 1, kdiff.echo(c, fw, 6, 1), **kw(1)))
    check(rk, sc)


@pytest.mark.parametrize("v6", [False, True], ids=["v4", "v6"])
def test_icmp_errors(rk, v6):
    """An ICMP error for a tracked flow is RELATED and goes through (also
    one for a TCP flow); one about nothing is INVALID and dropped; one for
    the firewall's own answer flow ends at input."""
    sc = rk.scenario()
    if v6:
        c, s, rtr, unreach, code, tex = "fd00:11::60", "fd00:22::54", "fd00:22::1", 1, 4, 3
    else:
        c, s, rtr, unreach, code, tex = "10.11.0.60", "10.22.0.54", "10.22.0.1", 3, 3, 11
    hl = (lambda t: {"hlim": t}) if v6 else (lambda t: {"ttl": t})
    q = udp_pkt(c, s, 41000, 53, b"\x44\x44\x01\x00" + b"\0" * 8, **hl(63))
    sc.lan(udp_pkt(c, s, 41000, 53, b"\x44\x44\x01\x00" + b"\0" * 8))
    sc.wan(icmp_error(s, c, unreach, code, q))                    # RELATED
    f = sc.flow("lan", "wan", c, s, 41001, 80)
    f.c(SYN, opts=OPTS)
    syn = kdiff.ip(c, s, 6, kdiff.tcp(c, s, 41001, 80, f.nxt["c"] - 1, 0, SYN, opts=OPTS),
                   **hl(62))
    sc.wan(icmp_error(rtr, c, tex, 0, syn))                       # time exceeded, RELATED
    bogus = udp_pkt(c, s, 1, 2, b"zz", **hl(63))
    sc.wan(icmp_error(s, c, unreach, code, bogus))                # about nothing: INVALID
    sc.lan(icmp_error(c, s, unreach, code, udp_pkt(s, c, 3, 4, b"yy")))  # out, nothing: INVALID
    check(rk, sc)


@pytest.mark.parametrize("v6", [False, True], ids=["v4", "v6"])
def test_fragments(rk, v6):
    """Fragmented UDP both ways through the firewall (reassembled for
    conntrack, forwarded as the original fragments), fragments out of
    order, a fragmented ping and a fragmented datagram to the firewall's
    own UDP service (port unreachable quoting the reassembled datagram)."""
    sc = rk.scenario()
    if v6:
        c, s, fw = "fd00:11::70", "fd00:22::70", FW_LAN6
        frag = lambda p: kdiff.fragment6(p, 400)
    else:
        c, s, fw = "10.11.0.70", "10.22.0.70", FW_LAN4
        frag = lambda p: kdiff.fragment4(p, 400)
    req = udp_pkt(c, s, 43000, 4000, bytes(range(256)) * 4, **({} if v6 else {"df": False}))
    sc.lan(*frag(req))
    rep = udp_pkt(s, c, 4000, 43000, b"R" * 900, **({} if v6 else {"df": False}))
    fr = frag(rep)
    sc.wan(fr[1], fr[0], *fr[2:])
    ping = kdiff.ip(c, s, 58 if v6 else 1, kdiff.echo(c, s, 9, 1, payload=b"P" * 1000),
                    **({} if v6 else {"df": False}))
    sc.lan(*frag(ping))
    loc = udp_pkt(c, fw, 43001, 9999, b"L" * 1000, **({} if v6 else {"df": False}))
    sc.lan(*frag(loc))
    check(rk, sc)


@pytest.mark.parametrize("v6", [False, True], ids=["v4", "v6"])
def test_tos_and_flow_label(rk, v6):
    """What the firewall's answers copy from the packet they answer: the
    TOS / traffic class (and ECN bits) and the IPv6 flow label, for host
    resets, port unreachables and echo replies, for reject rules and for
    time exceeded; forwarded packets keep theirs untouched."""
    sc = rk.scenario()
    c, s, fw = ("fd00:11::80", "fd00:22::80", FW_LAN6) if v6 else ("10.11.0.80", "10.22.0.80",
                                                                     FW_LAN4)
    if v6:
        kw = lambda ttl=64: {"flow": (0x2a << 20) | 0x12345, "hlim": ttl}
    else:
        kw = lambda ttl=64: {"tos": 0x2a, "ttl": ttl}
    pe = 58 if v6 else 1
    sc.lan(kdiff.ip(c, fw, 6, kdiff.tcp(c, fw, 38000, 22, 1000, 0, SYN), **kw()))
    sc.lan(kdiff.ip(c, fw, 17, kdiff.udp(c, fw, 38001, 9999, b"u"), **kw()))
    sc.lan(kdiff.ip(c, fw, pe, kdiff.echo(c, fw, 7, 1), **kw()))
    sc.lan(kdiff.ip(c, s, 6, kdiff.tcp(c, s, 38002, 113, 1, 0, SYN), **kw()))
    sc.lan(kdiff.ip(c, s, 17, kdiff.udp(c, s, 38003, 514, b"r"), **kw()))
    sc.lan(kdiff.ip(c, s, 17, kdiff.udp(c, s, 38004, 33434, b"t"), **kw(1)))
    sc.lan(kdiff.ip(c, s, 17, kdiff.udp(c, s, 38005, 53, b"f"), **kw()))
    check(rk, sc)


def test_broadcast_multicast_otherhost(rk):
    """Frames that are not unicast to a host behind the firewall: subnet and
    limited broadcasts go to the firewall itself (input chain; no port
    unreachable and no echo reply for a broadcast), multicast the firewall
    has not joined is dropped after prerouting (never forwarded), joined
    IPv6 multicast (ff02::1) is delivered without an error, and a unicast
    frame for another MAC never reaches IP."""
    sc = rk.scenario()
    bcast, mc4 = b"\xff" * 6, bytes.fromhex("01005e0000fb")
    c = LAN4
    sc.send("lan", udp_pkt(c, "10.1.0.255", 34000, 9999, b"b1"), dst_mac=bcast)
    sc.send("lan", udp_pkt(c, "255.255.255.255", 34001, 9999, b"b2"), dst_mac=bcast)
    sc.send("lan", udp_pkt(c, "10.1.0.255", 137, 137, b"netbios"), dst_mac=bcast)
    sc.send("lan", echo_pkt(c, "10.1.0.255", 3, 1), dst_mac=bcast)
    sc.send("lan", udp_pkt(c, "224.0.0.251", 5353, 5353, b"mdns"), dst_mac=mc4)
    sc.send("lan", udp_pkt(c, "239.1.2.3", 5000, 5000, b"m"),
            dst_mac=bytes.fromhex("01005e010203"))
    sc.send("lan", udp_pkt(LAN6, "ff02::1", 34002, 9999, b"m6"),
            dst_mac=bytes.fromhex("333300000001"))
    sc.send("lan", udp_pkt(LAN6, "ff02::fb", 5353, 5353, b"mdns6"),
            dst_mac=bytes.fromhex("3333000000fb"))
    sc.send("lan", udp_pkt(c, "10.22.0.9", 34003, 53, b"other"),
            dst_mac=bytes.fromhex("020000000999"))
    sc.lan(udp_pkt(c, "10.22.0.9", 34004, 53, b"unicast"))
    # Delivered to the firewall but never answered: TCP to a broadcast
    # (input accepts ssh from the LAN), ping and UDP to 224.0.0.1 (joined by
    # every interface; icmp_echo_ignore_broadcasts), a DHCP discover.
    sc.send("lan", kdiff.ip(c, "10.1.0.255", 6, kdiff.tcp(c, "10.1.0.255", 33000, 22, 1, 0,
                                                          SYN)), dst_mac=bcast)
    sc.send("lan", echo_pkt(c, "224.0.0.1", 4, 1), dst_mac=bytes.fromhex("01005e000001"))
    sc.send("lan", udp_pkt(c, "224.0.0.1", 34005, 9999, b"ah"),
            dst_mac=bytes.fromhex("01005e000001"))
    sc.send("lan", udp_pkt("0.0.0.0", "255.255.255.255", 68, 67, b"discover"), dst_mac=bcast)
    sc.lan(udp_pkt(c, "10.2.0.255", 34006, 9999, b"other subnet's broadcast"))
    # IPv6: TCP to a joined group (no reset), a ping to all-nodes (answered
    # from a unicast address), UDP to the all-routers group (joined: the
    # firewall forwards) and to our solicited-node group.
    c6 = LAN6
    sc.send("lan", kdiff.ip(c6, "ff02::1", 6, kdiff.tcp(c6, "ff02::1", 33001, 22, 1, 0, SYN)),
            dst_mac=bytes.fromhex("333300000001"))
    sc.send("lan", echo_pkt(c6, "ff02::1", 5, 1), dst_mac=bytes.fromhex("333300000001"))
    sc.send("lan", udp_pkt(c6, "ff02::2", 34007, 9999, b"r"),
            dst_mac=bytes.fromhex("333300000002"))
    sc.send("lan", udp_pkt(c6, "ff02::1:ff00:1", 34008, 9999, b"s"),
            dst_mac=bytes.fromhex("3333ff000001"))
    check(rk, sc)


@pytest.mark.parametrize("v6", [False, True], ids=["v4", "v6"])
def test_martians(rk, v6):
    """Impossible sources and destinations: what the IP layer drops before
    PREROUTING (IPv6 multicast sources, ::1), what routing drops after it
    (IPv4 sources that are ours, multicast, loopback or zero; loopback
    destinations), and what passes (an IPv6 source that is ours)."""
    sc = rk.scenario()
    if v6:
        for src, dst in (("fd00:2::1", "fd00:22::9"), ("ff02::1", "fd00:22::9"),
                         ("fd00:1::77", "::1"), ("::1", "fd00:22::9"),
                         ("fd00:1::1", "fd00:22::9")):
            sc.lan(udp_pkt(src, dst, 34000, 53, b"m"))
    else:
        for src, dst in (("10.2.0.1", "10.22.0.9"), ("224.1.1.1", "10.22.0.9"),
                         ("127.0.0.1", "10.22.0.9"), ("10.1.0.77", "127.0.0.1"),
                         ("0.0.0.0", "10.22.0.9"), ("255.255.255.255", "10.22.0.9"),
                         ("10.1.0.1", "10.22.0.9"), ("10.1.0.77", "0.0.0.0")):
            sc.lan(udp_pkt(src, dst, 34000, 53, b"m"))
    good, far = ("fd00:1::77", "fd00:22::9") if v6 else ("10.1.0.77", "10.22.0.9")
    sc.lan(udp_pkt(good, far, 34001, 53, b"fine"))
    # A unicast packet in a broadcast / multicast frame is not forwarded.
    sc.send("lan", udp_pkt(good, far, 34002, 53, b"bcast frame"), dst_mac=b"\xff" * 6)
    # No route: ICMP destination unreachable from the receiving interface.
    nowhere = "2001:db8::1" if v6 else "192.0.2.1"
    sc.send("lan", udp_pkt(LAN6 if v6 else LAN4, nowhere, 34003, 53, b"lost"))
    sc.send("lan", kdiff.ip(LAN6 if v6 else LAN4, nowhere, 6,
                            kdiff.tcp(LAN6 if v6 else LAN4, nowhere, 34004, 80, 1, 0, SYN)))
    check(rk, sc)


def test_neighbour_discovery(rk):
    """IPv6 neighbour solicitations from the LAN for the firewall's address
    (multicast to its solicited-node group: advertisement with Override and
    our MAC; unicast as a reachability probe: without), one for another
    host's address and one for the address of the other interface (no
    answers).  The ruleset accepts ND in input, as the nftables wiki's."""
    sc = rk.scenario()

    def ns(dst, target, dmac):
        opt = b"\x01\x01" + bytes.fromhex("020000000102")
        body = kdiff.icmp(135, 0, b"\0\0\0\0", kdiff.a2b(target) + opt, src=LAN6, dst=dst)
        sc.send("lan", kdiff.ip(LAN6, dst, 58, body, hlim=255), dst_mac=dmac)

    ns("ff02::1:ff00:1", FW_LAN6, bytes.fromhex("3333ff000001"))
    ns(FW_LAN6, FW_LAN6, None)
    ns("ff02::1:ff00:9", "fd00:1::9", bytes.fromhex("3333ff000009"))
    ns(FW_LAN6, FW_WAN6, None)          # the other interface's address: no answer
    check(rk, sc)


@pytest.mark.parametrize("v6", [False, True], ids=["v4", "v6"])
def test_local_output(rk, v6):
    """Packets the firewall sends itself (--local): they go through output
    and postrouting and create entries; the answers come back in as
    ESTABLISHED and are delivered; with no socket behind them the host
    answers those in turn (a reset for the SYN-ACK, a port unreachable,
    RELATED, for the DNS reply); a ping's reply is just delivered."""
    sc = rk.scenario()
    me, srv, lanh = (FW_WAN6, "fd00:22::53", "fd00:11::20") if v6 else (FW_WAN4, "10.22.0.53",
                                                                       "10.11.0.20")
    sc.local(udp_pkt(me, srv, 5353, 53, b"\x12\x34query"))
    sc.wan(udp_pkt(srv, me, 53, 5353, b"\x12\x34answer"))
    sc.local(kdiff.ip(me, srv, 6, kdiff.tcp(me, srv, 40000, 80, 1000, 0, SYN, opts=OPTS)))
    sc.wan(kdiff.ip(srv, me, 6, kdiff.tcp(srv, me, 80, 40000, 9000, 1001, SYN | ACK, opts=OPTS)))
    sc.local(echo_pkt(me, srv, 0x42, 1))
    sc.wan(echo_pkt(srv, me, 0x42, 1, reply=True))
    sc.local(udp_pkt(FW_LAN6 if v6 else FW_LAN4, lanh, 123, 123, b"ntp"))
    check(rk, sc)


def test_expiry_by_packet_time(rk):
    """Timeouts run on packet time: with 2 s UDP / SYN_SENT / ICMP timeouts,
    entries idle for 2.4 s are gone when the next packet comes: a late
    reply from the WAN is then NEW and dropped by the forward policy, a
    late SYN-ACK INVALID, a late echo reply INVALID; a repeated query makes
    a fresh entry."""
    sc = rk.scenario(nf={"nf_conntrack_udp_timeout": "2",
                         "nf_conntrack_tcp_timeout_syn_sent": "2",
                         "nf_conntrack_icmp_timeout": "2",
                         "nf_conntrack_icmpv6_timeout": "2"})
    for c, s in (("10.11.0.90", "10.22.0.90"), ("fd00:11::90", "fd00:22::90")):
        sc.lan(udp_pkt(c, s, 44000, 53, b"q"))
        sc.wan(udp_pkt(s, c, 53, 44000, b"a"))
        sc.lan(udp_pkt(c, s, 44001, 53, b"q"))
        sc.lan(kdiff.ip(c, s, 6, kdiff.tcp(c, s, 44002, 80, 500, 0, SYN)))
        sc.lan(echo_pkt(c, s, 0x90, 1))
    sc.sleep(2.4)
    for c, s in (("10.11.0.90", "10.22.0.90"), ("fd00:11::90", "fd00:22::90")):
        sc.wan(udp_pkt(s, c, 53, 44000, b"late"))
        sc.lan(udp_pkt(c, s, 44001, 53, b"again"))
        sc.wan(kdiff.ip(s, c, 6, kdiff.tcp(s, c, 80, 44002, 7000, 501, SYN | ACK)))
        sc.wan(echo_pkt(s, c, 0x90, 1, reply=True))
    check(rk, sc)


# Accepts everything; `ct state new counter` makes the kernel hook conntrack
# into the namespace (it does so only for rulesets that use it, see
# test_no_conntrack_without_ct_rules); MLD reports of the kernel itself are
# left out of the counters.
ACCEPT_ALL = """
table inet t {
	chain c_pre { type filter hook prerouting priority 0; policy accept; ct state new counter; }
	chain c_in { type filter hook input priority 0; policy accept; counter; }
	chain c_fwd { type filter hook forward priority 0; policy accept; counter; }
	chain c_out {
		type filter hook output priority 0; policy accept;
		ip6 daddr ff00::/8 accept
		counter
	}
	chain c_post {
		type filter hook postrouting priority 0; policy accept;
		ip6 daddr ff00::/8 accept
		counter
	}
}
"""


@pytest.mark.parametrize("v6", [False, True], ids=["v4", "v6"])
def test_host_checks_without_invalid_drop(rk, v6):
    """With a ruleset that accepts everything (no `ct state invalid drop`),
    what reaches the firewall's own stack is checked there: bad L4
    checksums get no answer (TCP, UDP, ICMP check them before answering),
    a zero UDP checksum is valid over IPv4 only, a RST or a SYN+RST gets
    no reset, a SYN+FIN does."""
    sc = rk.scenario(ruleset=ACCEPT_ALL)
    c, fw = (LAN6, FW_LAN6) if v6 else (LAN4, FW_LAN4)
    sc.lan(kdiff.ip(c, fw, 6, kdiff.tcp(c, fw, 45000, 22, 1, 0, SYN, bad_csum=True)))
    sc.lan(udp_pkt(c, fw, 45001, 9999, b"bad", bad_csum=True))
    sc.lan(echo_pkt(c, fw, 0x45, 1, bad_csum=True))
    sc.lan(udp_pkt(c, fw, 45002, 9999, b"zero", zero_csum=True))
    sc.lan(kdiff.ip(c, fw, 6, kdiff.tcp(c, fw, 45003, 22, 1, 0, RST)))
    sc.lan(kdiff.ip(c, fw, 6, kdiff.tcp(c, fw, 45004, 22, 1, 0, SYN | RST)))
    sc.lan(kdiff.ip(c, fw, 6, kdiff.tcp(c, fw, 45005, 22, 1, 0, SYN | FIN)))
    sc.lan(kdiff.ip(c, fw, 6, kdiff.tcp(c, fw, 45006, 22, 1, 0, 0)))        # no flags
    sc.lan(udp_pkt(c, fw, 45007, 9999, b"good"))
    check(rk, sc)


def test_ipv4_options_forwarded(rk):
    """IPv4 options on forwarded packets: record route and timestamp are
    filled in by the router (ip_forward_options), others pass as they are."""
    sc = rk.scenario(ruleset=ACCEPT_ALL)
    c, s = "10.11.0.95", "10.22.0.95"

    def with_opts(opts, l4, proto=17):
        p = kdiff.ipv4(c, s, proto, l4)
        hl = 20 + len(opts)
        h = bytearray(p[:20])
        h[0] = 0x40 | hl // 4
        struct.pack_into("!H", h, 2, hl + len(l4))
        h[10:12] = b"\0\0"
        h = h + opts
        struct.pack_into("!H", h, 10, kdiff.csum(bytes(h)))
        return bytes(h) + l4

    u = kdiff.udp(c, s, 46000, 53, b"opts")
    rr = bytes([7, 11, 4]) + b"\0" * 8 + b"\0"            # record route, 2 slots, + EOL
    rr_full = bytes([7, 7, 8, 10, 1, 0, 2, 0])             # record route, no room left
    ra = bytes([148, 4, 0, 0])                              # router alert
    nop = bytes([1, 1, 1, 0])
    for o in (rr, rr_full, ra, nop):
        sc.lan(with_opts(o, u))
    check(rk, sc)


NO_CT_RULESET = """
table inet t {
	chain c_fwd { type filter hook forward priority 0; policy accept; counter; }
}
"""


def test_no_conntrack_without_ct_rules(rk):
    """A ruleset with no ct expression and no NAT: the kernel table stays
    empty."""
    sc = rk.scenario(ruleset=NO_CT_RULESET)
    sc.lan(udp_pkt("10.11.0.96", "10.22.0.96", 47000, 53, b"x"))
    check(rk, sc)


def _frag_at(pkt, cuts, v6, ident=0x4242):
    """Fragments of an IP packet (no options / extension headers) cut at the
    given payload offsets (multiples of 8)."""
    if v6:
        src = kdiff.ipaddress.ip_address(pkt[8:24]).compressed
        dst = kdiff.ipaddress.ip_address(pkt[24:40]).compressed
        nh, hlim, data = pkt[6], pkt[7], pkt[40:]
    else:
        src, dst = kdiff.socket.inet_ntoa(pkt[12:16]), kdiff.socket.inet_ntoa(pkt[16:20])
        nh, ttl, data = pkt[9], pkt[8], pkt[20:]
    edges = [0] + list(cuts) + [len(data)]
    out = []
    for a, b in zip(edges, edges[1:]):
        more = b < len(data)
        if v6:
            fh = struct.pack("!BBHI", nh, 0, a | (1 if more else 0), ident)
            out.append(kdiff.ipv6(src, dst, 44, fh + data[a:b], hlim=hlim))
        else:
            out.append(kdiff.ipv4(src, dst, nh, data[a:b], ttl=ttl, ident=ident, df=False,
                                  frag_off=a, mf=more))
    return out


@pytest.mark.parametrize("v6", [False, True], ids=["v4", "v6"])
def test_fragments_uneven(rk, v6):
    """Fragments of unequal sizes (the largest not first), a duplicate
    fragment, and a datagram whose last fragment never comes (held, then
    nothing forwarded)."""
    sc = rk.scenario()
    c, s = ("fd00:11::71", "fd00:22::71") if v6 else ("10.11.0.71", "10.22.0.71")
    kw = {} if v6 else {"df": False}
    p = udp_pkt(c, s, 43100, 4000, bytes(range(200)) * 6, **kw)
    fr = _frag_at(p, [256, 1024], v6)
    sc.lan(*fr)
    p2 = udp_pkt(c, s, 43101, 4000, b"D" * 1000, **kw)
    fr2 = _frag_at(p2, [504], v6, ident=0x4343)
    sc.lan(fr2[0], fr2[0], fr2[1])
    p3 = udp_pkt(c, s, 43102, 4000, b"L" * 1000, **kw)
    sc.lan(_frag_at(p3, [496], v6, ident=0x4444)[0])
    check(rk, sc)
