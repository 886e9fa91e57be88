# SPDX-License-Identifier: MIT
"""Masquerade through the kernel and ctrack (spec §10.3, §10.4), IPv4 and
IPv6, byte for byte from the IP header on."""

from kdiff import C4, S4, C6, S6, F14, F16, SYN, ACK, udp_pkt, echo_pkt
from nat_kd import NatFlow, frame_for, table_find, reply_dport, nk  # noqa: F401

MASQ = """
table inet nat {
	chain post {
		type nat hook postrouting priority srcnat; policy accept;
		oifname "f1" counter masquerade comment "masq"
	}
}
"""

MASQ_PORTS = """
table ip nat {
	chain post {
		type nat hook postrouting priority srcnat; policy accept;
		oifname "f1" meta l4proto { tcp, udp } counter masquerade to :20000-20001
	}
}
"""


def test_masquerade_tcp_udp(nk):
    """§10.3 step 3: the port is kept (10.1.0.2:40000 -> 10.2.0.1:40000); the
    reply is translated back; UDP with a zero checksum stays zero."""
    sc = nk.scenario(MASQ)
    f = NatFlow(sc, C4, S4, 40000, 80, ssrc=F14)
    f.handshake()
    f.data(50)
    f.close()
    sc.c(udp_pkt(C4, S4, 5353, 53))
    sc.s(udp_pkt(S4, F14, 53, 5353))
    sc.c(udp_pkt(C4, S4, 5353, 53, zero_csum=True))
    sc.s(udp_pkt(S4, F14, 53, 5353, zero_csum=True))
    sc.finish()
    assert sc.kernel_has("src=10.2.0.2 dst=10.2.0.1 sport=80 dport=40000"), sc.kernel_table
    nk.check(sc)


def test_masquerade_ipv6(nk):
    """IPv6 masquerade takes f1's address fd00:2::1 (§10.4); TCP, UDP and
    ICMPv6 echo; the L4 pseudo-header checksum is updated (§10.5)."""
    sc = nk.scenario(MASQ)
    f = NatFlow(sc, C6, S6, 40001, 443, ssrc=F16)
    f.handshake()
    f.data(33)
    sc.c(udp_pkt(C6, S6, 5000, 53, payload=b"odd"))
    sc.s(udp_pkt(S6, F16, 53, 5000, payload=b"odd-reply"))
    sc.c(echo_pkt(C6, S6, 0x1234, 1))
    sc.s(echo_pkt(S6, F16, 0x1234, 1, reply=True))
    sc.finish()
    assert sc.kernel_has("src=fd00:2::2 dst=fd00:2::1 sport=443 dport=40001"), sc.kernel_table
    nk.check(sc)


def test_masquerade_only_out_f1(nk):
    """Traffic leaving by f0 gets a null binding: SRC_NAT_DONE but the same
    tuple; the server's own connection to a client is untouched."""
    sc = nk.scenario(MASQ)
    f = NatFlow(sc, S4, C4, 41000, 22)
    f.handshake()
    sc.s(udp_pkt(S4, C4, 7000, 7001))
    sc.c(udp_pkt(C4, S4, 7001, 7000))
    sc.finish()
    nk.check(sc)


def test_masquerade_port_range(nk):
    """`masquerade to :20000-20001`: the source port 40000 is outside the
    range, so a search from a random offset; two flows take both ports (in
    either order), a third clashing flow finds nothing and is dropped at
    confirm (§10.3 step 4).  Compared: which flows pass and that the ports
    are the range's; then each side's replies to its own choice."""
    sc = nk.scenario(MASQ_PORTS)
    for cl in ("10.11.0.5", "10.11.0.6", "10.11.0.7"):
        sc.c(NatFlow(sc, cl, S4, 40000, 80).c(SYN, send=False))
    sc.finish()
    kt = sc.kernel_table
    ports = sorted(reply_dport(ln) for ln in kt)
    assert ports == [20000, 20001], kt
    assert len(sc.raw["s"]) == 2, sc.report([])
    sc.run_replay()
    ct = sc.ctrack_table()
    assert sorted(reply_dport(ln) for ln in ct) == [20000, 20001], sc.report(["ctrack table"])
    assert len(sc.replay["out"]["s"]) == 2, sc.report(["ctrack forwarded"])
    # The same clients and the same drop (the third flow).
    assert sorted(ln.split()[6] for ln in kt) == sorted(ln.split()[6] for ln in ct), (kt, ct)


def test_masquerade_clash_random_port(nk):
    """Two clients with the same source port to the same server: the second
    reply tuple clashes, so its port is searched in 1024-65535 from a random
    offset (§10.3 step 4).  Deterministic parts: the first keeps 40000, the
    second gets another port >= 1024, and each side translates the server's
    SYN/ACK to its own choice back to the client."""
    sc = nk.scenario(MASQ)
    a = NatFlow(sc, "10.11.0.5", S4, 40000, 80, ssrc=F14)
    a.c(SYN)
    b_syn = NatFlow(sc, "10.11.0.6", S4, 40000, 80).c(SYN, send=False)
    sc.c(b_syn)
    sc.sleep(0.05)
    sc._drain(0.05)
    lines, _ = sc.topo.conntrack_list()
    (kb,) = table_find(lines, "src=10.11.0.6")
    kport = reply_dport(kb)
    assert kport != 40000 and 1024 <= kport <= 65535, lines
    a.s(SYN | ACK)
    NatFlow(sc, "10.11.0.6", S4, 40000, 80, ssrc=F14, sport=kport).s(SYN | ACK)
    sc.finish()
    assert len(sc.raw["c"]) == 2, sc.report([])
    # ctrack: replay the two SYNs, read its choice, then the replies to it.
    syns = sc.sent[:2]
    sc.run_replay(syns)
    (cb,) = table_find(sc.ctrack_table(), "src=10.11.0.6")
    cport = reply_dport(cb)
    assert cport != 40000 and 1024 <= cport <= 65535, sc.ctrack_table()
    t = syns[-1][0]
    extra = [frame_for("s", a.s(SYN | ACK, seq=5000000, send=False), t + 1000),
             frame_for("s", NatFlow(sc, "10.11.0.6", S4, 40000, 80, ssrc=F14, sport=cport)
                       .s(SYN | ACK, send=False), t + 2000)]
    sc.run_replay(syns + extra)
    out = sc.replay["out"]["c"]
    assert [p[16:20] for p in out] == [bytes([10, 11, 0, 5]), bytes([10, 11, 0, 6])], \
        sc.report(["ctrack did not translate both SYN/ACKs back"])
    assert [p[22:24] for p in out] == [b"\x9c\x40", b"\x9c\x40"], sc.report(["dport"])


def test_masquerade_source_selection(nk):
    """Masquerade takes the address the egress interface would choose for
    the next hop (§10.4): with f1 holding 10.2.0.1/24 and 10.9.9.1/24
    (fd00:2::1/64 and fd00:9::1/64), traffic routed via a gateway in
    10.9.9.0/24 (fd00:9::/64) leaves from 10.9.9.1 (fd00:9::1), traffic via
    10.2.0.2 from 10.2.0.1; a second address in the same subnet
    (10.2.0.77/24, secondary) is never chosen."""
    from kdiff import S_MAC
    sc = nk.scenario(MASQ, addrs=(("f1", "10.2.0.77/24"), ("f1", "10.9.9.1/24"),
                                             ("f1", "fd00:9::1/64")),
                     neighs=(("f1", "10.9.9.2", S_MAC), ("f1", "fd00:9::2", S_MAC)),
                     routes=(("10.33.0.0/16", "f1", "10.9.9.2"),
                             ("fd00:33::/64", "f1", "fd00:9::2"),
                             ("fd00:44::/64", "f1", "fd00:2::2")))
    sc.c(udp_pkt(C4, "10.33.0.5", 5000, 53))
    sc.c(udp_pkt(C4, "10.22.0.5", 5001, 53))
    sc.c(udp_pkt(C4, S4, 5002, 53))
    sc.c(udp_pkt(C6, "fd00:33::5", 5003, 53))
    sc.c(udp_pkt(C6, "fd00:44::5", 5004, 53))
    sc.c(udp_pkt(C6, S6, 5005, 53))
    sc.c(udp_pkt(C6, "fd00:9::2", 5006, 53))
    sc.finish()
    nk.check(sc)
