# SPDX-License-Identifier: MIT
"""ICMP through NAT (spec §10.3, §10.5): echo ids mapped like ports, and
ICMP / ICMPv6 errors about NATed connections in both directions, the outer
header and the quoted packet both rewritten; errors the router makes itself
(TTL exceeded, rejects) for NATed packets."""

from kdiff import (C4, S4, C6, S6, F04, F14, F06, F16, SYN, ACK, PSH, udp_pkt, echo_pkt, echo,
                   icmp_error, ip, tcp)
from nat_kd import NatFlow, frame_for, table_find, reply_field, nk  # noqa: F401

MASQ = """
table inet nat {
	chain post {
		type nat hook postrouting priority srcnat; policy accept;
		oifname "f1" counter masquerade
	}
}
"""

DNAT = """
table inet nat {
	chain pre {
		type nat hook prerouting priority dstnat; policy accept;
		iifname "f0" ip daddr 10.1.0.1 tcp dport 8080 counter dnat ip to 10.2.0.2:80
		iifname "f0" ip daddr 10.1.0.50 tcp dport 8080 counter dnat ip to 10.2.0.2:80
		iifname "f0" ip daddr 10.1.0.1 tcp dport 8081 counter dnat ip to 10.2.0.2:81
		iifname "f0" ip daddr 10.1.0.1 tcp dport 8082 counter dnat ip to 10.2.0.2:82
		iifname "f0" ip daddr 10.1.0.1 udp dport 5353 counter dnat ip to 10.2.0.2:53
		iifname "f0" ip6 daddr fd00:1::1 udp dport 5353 counter dnat ip6 to [fd00:2::2]:53
		iifname "f0" ip6 daddr fd00:1::1 tcp dport 8081 counter dnat ip6 to [fd00:2::2]:81
	}
}
table inet filter2 {
	chain rej {
		type filter hook forward priority 10; policy accept;
		tcp dport 81 counter reject
		tcp dport 82 counter reject with tcp reset
	}
}
"""

ROUTER4 = "10.22.0.1"       # a router behind the server
ROUTER6 = "fd00:22::1"


def test_echo_masquerade(nk):
    """Echo ids are kept when unique; replies are translated back; the ICMP
    checksum is updated (§10.5)."""
    sc = nk.scenario(MASQ)
    for i in range(3):
        sc.c(echo_pkt(C4, S4, 0x100 + i, i))
        sc.s(echo_pkt(S4, F14, 0x100 + i, i, reply=True))
    sc.c(echo_pkt(C4, S4, 0, 1, payload=b"x"))           # id 0, odd length
    sc.s(echo_pkt(S4, F14, 0, 1, reply=True, payload=b"x"))
    sc.c(echo_pkt(C4, S4, 0xFFFF, 1, payload=b""))
    sc.s(echo_pkt(S4, F14, 0xFFFF, 1, reply=True, payload=b""))
    sc.finish()
    nk.check(sc)


def test_echo_id_clash(nk):
    """Two clients pinging the same server with the same id: the second id is
    searched over 0-65535 from a random offset (§10.3 step 4).  Each side's
    choice is then answered and must come back to the right client with the
    original id."""
    sc = nk.scenario(MASQ)
    sc.c(echo_pkt("10.11.0.5", S4, 0x4242, 1))
    sc.c(echo_pkt("10.11.0.6", S4, 0x4242, 1))
    sc.sleep(0.05)
    sc._drain(0.05)
    lines, _ = sc.topo.conntrack_list()
    (kb,) = table_find(lines, "src=10.11.0.6")
    kid = int(reply_field(kb, "id"))
    assert kid != 0x4242, lines
    sc.s(echo_pkt(S4, F14, 0x4242, 1, reply=True))
    sc.s(echo_pkt(S4, F14, kid, 1, reply=True))
    sc.finish()
    assert [p[16:20] for p in sc.raw["c"]] == [bytes([10, 11, 0, 5]), bytes([10, 11, 0, 6])]
    pings = sc.sent[:2]
    sc.run_replay(pings)
    (cb,) = table_find(sc.ctrack_table(), "src=10.11.0.6")
    cid = int(reply_field(cb, "id"))
    assert cid != 0x4242, sc.ctrack_table()
    t = pings[-1][0]
    sc.run_replay(pings + [frame_for("s", echo_pkt(S4, F14, 0x4242, 1, reply=True), t + 1000),
                           frame_for("s", echo_pkt(S4, F14, cid, 1, reply=True), t + 2000)])
    out = sc.replay["out"]["c"]
    assert [p[16:20] for p in out] == [bytes([10, 11, 0, 5]), bytes([10, 11, 0, 6])], \
        sc.report(["ctrack replies"])
    assert all(p[24:26] == b"\x42\x42" for p in out), sc.report(["ctrack ids"])


def test_icmp_errors_masquerade(nk):
    """Errors about masqueraded flows (§10.5 [V]): the server's port
    unreachable (reply direction) reaches the client as S -> C with the
    quote's source back to the client; a router's host unreachable quoting
    a full TCP header (inner checksum updated) or only 8 bytes; a time
    exceeded quoting an echo (inner id); and the client's own error about a
    server packet (original direction: outer source and quoted destination
    masqueraded)."""
    sc = nk.scenario(MASQ)
    sc.c(udp_pkt(C4, S4, 40000, 9999))
    u_out = udp_pkt(F14, S4, 40000, 9999, ident=0x1111)
    sc.s(icmp_error(S4, F14, 3, 3, u_out))
    t = NatFlow(sc, C4, "10.22.0.9", 40001, 80, ssrc=F14)
    t.c(SYN)
    syn_out = NatFlow(sc, F14, "10.22.0.9", 40001, 80).c(SYN, send=False, ttl=63)
    sc.s(icmp_error(ROUTER4, F14, 3, 1, syn_out[:40]))   # full TCP header quoted
    sc.s(icmp_error(ROUTER4, F14, 3, 1, syn_out))        # 8 bytes quoted
    sc.c(echo_pkt(C4, "10.22.0.10", 0x777, 1))
    sc.s(icmp_error(ROUTER4, F14, 11, 0, ip(F14, "10.22.0.10", 1, echo(F14, "10.22.0.10", 0x777, 1), ttl=1)))
    sc.c(udp_pkt(C4, S4, 41000, 53))
    reply = udp_pkt(S4, F14, 53, 41000)
    sc.s(reply)
    sc.c(icmp_error(C4, S4, 3, 3, udp_pkt(S4, C4, 53, 41000, ttl=63)))
    sc.finish()
    assert len(sc.raw["c"]) == 5 and len(sc.raw["s"]) == 5, sc.report([])
    nk.check(sc)


def test_icmp_errors_dnat(nk):
    """Errors about DNATed flows: the server's error and a router's error
    reach the client from the address the client used (§10.5 [V]: the
    rewritten address comes from the tuple); the client's error about a
    server packet reaches the server rewritten to the server's address."""
    sc = nk.scenario(DNAT)
    sc.c(udp_pkt(C4, F04, 40000, 5353))
    sc.s(icmp_error(S4, C4, 3, 3, udp_pkt(C4, S4, 40000, 53, ttl=63)))
    sc.s(icmp_error(ROUTER4, C4, 3, 1, udp_pkt(C4, S4, 40000, 53, ttl=63)))
    f = NatFlow(sc, C4, F04, 40001, 8080, sdst=S4, sdport=80)
    f.c(SYN)
    sa = f.s(SYN | ACK)
    sc.c(icmp_error(C4, F04, 3, 3, NatFlow(sc, F04, C4, 8080, 40001)
                    .c(SYN | ACK, seq=5000000, ack=1000001, send=False, ttl=63)))
    sc.finish()
    del sa
    nk.check(sc)


def test_router_errors_for_nat(nk):
    """Errors the router makes itself for DNATed packets: time exceeded for a
    TTL-1 packet, `reject` (port unreachable) and `reject with tcp reset` in
    forward; the quote / the RST are translated back to the address and
    port the client used (§11.3)."""
    sc = nk.scenario(DNAT)
    NatFlow(sc, C4, F04, 40000, 8080).c(SYN, ttl=1)
    NatFlow(sc, C4, "10.1.0.50", 40005, 8080).c(SYN, ttl=1)
    NatFlow(sc, C4, F04, 40001, 8081).c(SYN)
    NatFlow(sc, C4, F04, 40002, 8082).c(SYN)
    NatFlow(sc, C6, F06, 40003, 8081).c(SYN)
    sc.c(udp_pkt(C6, F06, 40004, 5353, hlim=1))
    sc.finish()
    assert len(sc.raw["c"]) == 6, sc.report([])
    nk.check(sc)


def test_icmpv6_errors_nat(nk):
    """IPv6: echo through masquerade, a router's and the server's errors
    about masqueraded and DNATed flows, packet too big, and the client's
    error about a server packet."""
    sc = nk.scenario(MASQ + DNAT)
    sc.c(echo_pkt(C6, S6, 0x99, 1))
    sc.s(echo_pkt(S6, F16, 0x99, 1, reply=True))
    sc.c(udp_pkt(C6, S6, 40000, 9999))
    sc.s(icmp_error(S6, F16, 1, 4, udp_pkt(F16, S6, 40000, 9999, hlim=63)))
    sc.c(udp_pkt(C6, "fd00:22::9", 40001, 9999, payload=b"z" * 1300))
    sc.s(icmp_error(ROUTER6, F16, 2, 0, udp_pkt(F16, "fd00:22::9", 40001, 9999,
                                                  payload=b"z" * 1300, hlim=63),
                    rest=b"\0\0\x05\x00"))
    sc.c(udp_pkt(C6, F06, 40002, 5353))
    sc.s(icmp_error(ROUTER6, C6, 1, 3, udp_pkt(C6, S6, 40002, 53, hlim=63)))
    sc.s(udp_pkt(S6, C6, 53, 40002))
    sc.c(icmp_error(C6, F06, 1, 4, udp_pkt(F06, C6, 5353, 40002, hlim=63)))
    sc.finish()
    nk.check(sc)


def test_icmp_redirect_about_nat_dropped(nk):
    """ICMP redirects about NATed entries are dropped (§10.5); an error of
    another type about the same flow passes.  An ICMPv6 redirect (137) is
    no error to conntrack: INVALID, dropped by `ct state invalid drop`."""
    sc = nk.scenario(MASQ)
    sc.c(udp_pkt(C4, S4, 40000, 9999))
    quoted = udp_pkt(F14, S4, 40000, 9999, ttl=63)
    sc.s(icmp_error(ROUTER4, F14, 5, 1, quoted, rest=bytes([10, 22, 0, 1])))
    sc.s(icmp_error(ROUTER4, F14, 3, 1, quoted))
    sc.c(udp_pkt(C6, S6, 40001, 9999))
    quoted6 = udp_pkt(F16, S6, 40001, 9999, hlim=63)
    sc.s(icmp_error(ROUTER6, F16, 137, 0, quoted6, rest=b"\0" * 4 + bytes(16) * 2))
    sc.s(icmp_error(ROUTER6, F16, 1, 3, quoted6))
    sc.finish()
    assert len(sc.raw["c"]) == 2, sc.report([])
    nk.check(sc)
