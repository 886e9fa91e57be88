# SPDX-License-Identifier: MIT
"""dnat (port forwarding, maps) and redirect through the kernel and ctrack
(spec §10.2-§10.4), IPv4 and IPv6."""

from kdiff import C4, S4, C6, S6, F04, F06, SYN, ACK, PSH, FIN, udp_pkt, echo_pkt
from nat_kd import NatFlow, nk  # noqa: F401

PORTFWD = """
table inet nat {
	chain pre {
		type nat hook prerouting priority dstnat; policy accept;
		iifname "f0" ip daddr 10.1.0.1 tcp dport 8080 counter dnat ip to 10.2.0.2:80
		iifname "f0" ip daddr 10.1.0.1 udp dport 5353 counter dnat ip to 10.2.0.2:53
		iifname "f0" ip daddr 10.1.0.1 tcp dport 9000-9009 counter dnat ip to 10.2.0.2:7000-7009
		iifname "f0" ip6 daddr fd00:1::1 tcp dport 8080 counter dnat ip6 to [fd00:2::2]:80
		iifname "f0" ip6 daddr fd00:1::1 udp dport 5353 counter dnat ip6 to fd00:2::2
	}
}
"""

DNAT_MAP = """
table ip nat {
	chain pre {
		type nat hook prerouting priority dstnat; policy accept;
		iifname "f0" ip daddr 10.1.0.0/24 tcp dport 80 counter dnat to ip daddr map { 10.1.0.1 : 10.22.0.5, 10.1.0.50 : 10.22.0.6 }
		iifname "f0" ip daddr 10.1.0.1 udp dport 1000-2000 counter dnat to udp dport map { 1053 : 10.22.0.7, 1054 : 10.22.0.8 }
	}
}
"""

REDIRECT = """
table inet nat {
	chain pre {
		type nat hook prerouting priority dstnat; policy accept;
		iifname "f0" tcp dport 80 counter redirect to :8080
		iifname "f0" udp dport 53 counter redirect
	}
}
"""

DNAT_MASQ = """
table ip nat {
	chain pre {
		type nat hook prerouting priority dstnat; policy accept;
		iifname "f0" ip daddr 10.1.0.1 tcp dport 2222 counter dnat to 10.2.0.2:22
	}
	chain post {
		type nat hook postrouting priority srcnat; policy accept;
		oifname "f1" counter masquerade
	}
}
"""


def test_dnat_port_forward(nk):
    """10.1.0.1:8080 -> 10.2.0.2:80: REPLY becomes 10.2.0.2:80 -> client;
    the server's answers leave from 10.1.0.1:8080.  A port range maps
    9000+i to 7000+i?  No: a DNAT range without `random` keeps the port if it
    is in range, else searches from the minimum (§10.3 step 4)."""
    sc = nk.scenario(PORTFWD)
    f = NatFlow(sc, C4, F04, 40000, 8080, sdst=S4, sdport=80)
    f.handshake()
    f.data(77)
    f.close()
    sc.c(udp_pkt(C4, F04, 6000, 5353))
    sc.s(udp_pkt(S4, C4, 53, 6000))
    for i in range(3):
        NatFlow(sc, C4, F04, 41000 + i, 9000 + i).c(SYN)
    sc.finish()
    assert sc.kernel_has("src=10.2.0.2 dst=10.1.0.2 sport=80 dport=40000"), sc.kernel_table
    nk.check(sc)


def test_dnat_port_forward_ipv6(nk):
    sc = nk.scenario(PORTFWD)
    f = NatFlow(sc, C6, F06, 40000, 8080, sdst=S6, sdport=80)
    f.handshake()
    f.data(21)
    sc.c(udp_pkt(C6, F06, 6000, 5353))
    sc.s(udp_pkt(S6, C6, 5353, 6000))
    sc.finish()
    assert sc.kernel_has("src=fd00:2::2 dst=fd00:1::2 sport=80 dport=40000"), sc.kernel_table
    nk.check(sc)


def test_dnat_map(nk):
    """`dnat to ip daddr map {...}` and `dnat to udp dport map {...}`: the
    evaluator resolves the map, NAT maps the destination and keeps the port
    (no port given)."""
    sc = nk.scenario(DNAT_MAP)
    NatFlow(sc, C4, F04, 40000, 80, sdst="10.22.0.5").handshake()
    NatFlow(sc, C4, "10.1.0.50", 40001, 80, sdst="10.22.0.6").handshake()
    NatFlow(sc, C4, "10.1.0.51", 40002, 80).c(SYN)        # no map entry: no NAT rule fires
    sc.c(udp_pkt(C4, F04, 6000, 1053))
    sc.s(udp_pkt("10.22.0.7", C4, 1053, 6000))
    sc.c(udp_pkt(C4, F04, 6001, 1054))
    sc.c(udp_pkt(C4, F04, 6002, 1055))                    # no element: delivered locally
    sc.finish()
    nk.check(sc)


def test_redirect(nk):
    """redirect to :8080 takes the first address of the receiving interface
    (10.1.0.1 / fd00:1::1); nothing listens there, so the fw answers with a
    RST (TCP) or a port unreachable (UDP), translated back so that they come
    from the address the client used (§10.4, §11.3)."""
    sc = nk.scenario(REDIRECT)
    sc.c(NatFlow(sc, C4, S4, 40000, 80).c(SYN, send=False))
    sc.c(NatFlow(sc, C4, "10.22.3.3", 40001, 80).c(ACK | PSH, b"x" * 5, send=False))
    sc.c(NatFlow(sc, C6, S6, 40002, 80).c(SYN, send=False))
    sc.c(udp_pkt(C4, S4, 7000, 53))
    sc.c(udp_pkt(C6, S6, 7001, 53))
    sc.finish()
    assert len(sc.raw["c"]) == 5, sc.report([])
    nk.check(sc)


def test_dnat_and_masquerade(nk):
    """dnat at prerouting plus masquerade at postrouting on one entry:
    REPLY 10.2.0.2:22 -> 10.2.0.1:40000 (§10.1 "both together")."""
    sc = nk.scenario(DNAT_MASQ)
    f = NatFlow(sc, C4, F04, 40000, 2222, ssrc="10.2.0.1", sdst=S4, sdport=22)
    f.handshake()
    f.data(300)
    f.close()
    sc.finish()
    assert sc.kernel_has("src=10.2.0.2 dst=10.2.0.1 sport=22 dport=40000"), sc.kernel_table
    nk.check(sc)


def test_redirect_several_addresses(nk):
    """redirect takes the receiving interface's first address: IPv4 the
    first primary (10.1.0.1; 10.1.0.66 is a secondary, 10.8.8.1 a later
    primary), IPv6 the head of the kernel's address list, where a newer
    global address comes before older ones (fd00:8::1 before fd00:1::1)."""
    sc = nk.scenario(REDIRECT, addrs=(("f0", "10.1.0.66/24"), ("f0", "10.8.8.1/24"),
                                      ("f0", "fd00:8::1/64")))
    sc.c(udp_pkt(C4, S4, 7000, 53))
    sc.c(udp_pkt(C6, S6, 7001, 53))
    sc.c(NatFlow(sc, C6, S6, 40002, 80).c(SYN, send=False))
    sc.finish()
    nk.check(sc)
