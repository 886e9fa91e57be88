# SPDX-License-Identifier: MIT
"""nat statements in their other nft forms: dnat to an address range (the
kernel's hash), concatenated maps (address . port), `prefix` (netmap),
`masquerade fully-random` (spec §10.3, §10.4)."""

import pytest

from kdiff import C4, S4, C6, S6, F04, F06, F14, SYN, ACK, udp_pkt
from nat_kd import ReplayError, NatFlow, frame_for, table_find, reply_dport, reply_field, nk  # noqa: F401

DNAT_RANGE = """
table inet nat {
	chain pre {
		type nat hook prerouting priority dstnat; policy accept;
		iifname "f0" ip daddr 10.1.0.1 udp dport 53 counter dnat ip to 10.22.0.5-10.22.0.8
		iifname "f0" ip6 daddr fd00:1::1 udp dport 53 counter dnat ip6 to fd00:22::5-fd00:22::8
	}
}
"""

DNAT_CONCAT = """
table ip nat {
	chain pre {
		type nat hook prerouting priority dstnat; policy accept;
		iifname "f0" counter dnat ip to ip daddr . tcp dport map { 10.1.0.1 . 80 : 10.22.0.5 . 8080, 10.1.0.1 . 81 : 10.22.0.6 . 8081 }
	}
}
"""

DNAT_CONCAT_NAMED = """
table inet nat {
	map pf4 {
		type ipv4_addr . inet_service : ipv4_addr . inet_service
		elements = { 10.1.0.1 . 80 : 10.22.0.5 . 8080, 10.1.0.1 . 81 : 10.22.0.6 . 8081 }
	}
	map pf6 {
		typeof ip6 daddr . tcp dport : ip6 daddr . tcp dport
		elements = { fd00:1::1 . 80 : fd00:22::5 . 8080 }
	}
	set allowed {
		type ifname . ipv4_addr . inet_service
		flags interval
		elements = { "f0" . 10.1.0.0/24 . 80-81 }
	}
	chain pre {
		type nat hook prerouting priority dstnat; policy accept;
		iifname . ip saddr . tcp dport @allowed counter dnat ip to ip daddr . tcp dport map @pf4
		iifname "f0" counter dnat ip6 to ip6 daddr . tcp dport map @pf6
	}
}
"""

DNAT_CONCAT_RANGE = """
table ip nat {
	chain pre {
		type nat hook prerouting priority dstnat; policy accept;
		iifname "f0" meta l4proto udp counter dnat ip to udp dport map { 53 : 10.22.0.5-10.22.0.8 . 5300-5310 }
	}
}
"""

NETMAP6 = """
table ip6 nat {
	chain pre {
		type nat hook prerouting priority dstnat; policy accept;
		iifname "f0" ip6 daddr fd00:1::/64 udp dport 53 counter dnat ip6 prefix to fd00:22::/64
	}
}
"""

NETMAP = """
table ip nat {
	chain post {
		type nat hook postrouting priority srcnat; policy accept;
		oifname "f1" ip saddr 10.11.0.0/16 counter snat ip prefix to 10.99.0.0/16
	}
}
"""

MASQ_RANDOM = """
table ip nat {
	chain post {
		type nat hook postrouting priority srcnat; policy accept;
		oifname "f1" counter masquerade fully-random
	}
}
"""


def test_dnat_address_range(nk):
    """An address range for dnat: the address is a hash of (source,
    destination) scaled into the range, the same for the same pair."""
    sc = nk.scenario(DNAT_RANGE)
    for i in range(10):
        sc.c(udp_pkt("10.11.0.%d" % (1 + i), F04, 5000 + i, 53))
        sc.c(udp_pkt("fd00:11::%x" % (1 + i), F06, 5000 + i, 53))
    sc.finish()
    nk.check(sc)


def test_dnat_concatenated_map(nk):
    """`dnat ip to ip daddr . tcp dport map { A . P : B . Q }`: address and
    port from one map lookup."""
    sc = nk.scenario(DNAT_CONCAT)
    f = NatFlow(sc, C4, F04, 40000, 80, sdst="10.22.0.5", sdport=8080)
    f.handshake()
    g = NatFlow(sc, C4, F04, 40001, 81, sdst="10.22.0.6", sdport=8081)
    g.handshake()
    sc.finish()
    assert sc.kernel_has("src=10.22.0.5 dst=10.1.0.2 sport=8080 dport=40000"), sc.kernel_table
    nk.check(sc)


def test_snat_prefix_netmap(nk):
    """`snat ip prefix to 10.99.0.0/16`: the host part is kept
    (10.11.3.4 -> 10.99.3.4), the port too."""
    sc = nk.scenario(NETMAP)
    sc.c(udp_pkt("10.11.3.4", S4, 5000, 53))
    sc.c(udp_pkt("10.11.200.9", S4, 5001, 53))
    sc.s(udp_pkt(S4, "10.99.3.4", 53, 5000))
    sc.finish()
    assert sc.kernel_has("src=10.2.0.2 dst=10.99.3.4 sport=53 dport=5000"), sc.kernel_table
    nk.check(sc)


def test_dnat_concatenated_named_maps(nk):
    """Named maps of address . port, IPv4 (`type`) and IPv6 (`typeof`),
    behind a match on an interval set of ifname . address . port."""
    sc = nk.scenario(DNAT_CONCAT_NAMED)
    f = NatFlow(sc, C4, F04, 40000, 80, sdst="10.22.0.5", sdport=8080)
    f.handshake()
    g = NatFlow(sc, C4, F04, 40001, 81, sdst="10.22.0.6", sdport=8081)
    g.handshake()
    h = NatFlow(sc, C6, F06, 40002, 80, sdst="fd00:22::5", sdport=8080)
    h.handshake()
    sc.finish()
    assert sc.kernel_has("src=10.22.0.6 dst=10.1.0.2 sport=8081 dport=40001"), sc.kernel_table
    assert sc.kernel_has("src=fd00:22::5 dst=fd00:1::2 sport=8080 dport=40002"), sc.kernel_table
    nk.check(sc)


def test_dnat_concatenated_map_ranges(nk):
    """`dnat ip to udp dport map { P : A1-A2 . P1-P2 }`: an address range
    and a port range from one lookup."""
    sc = nk.scenario(DNAT_CONCAT_RANGE)
    for i in range(6):
        sc.c(udp_pkt("10.11.0.%d" % (1 + i), F04, 5000 + i, 53))
    sc.finish()
    nk.check(sc)


def test_dnat_prefix_netmap_ip6(nk):
    """`dnat ip6 prefix to fd00:22::/64`: the interface identifier is kept."""
    sc = nk.scenario(NETMAP6)
    sc.c(udp_pkt("fd00:11::7", "fd00:1::1234", 5000, 53))
    sc.c(udp_pkt("fd00:11::8", F06, 5001, 53))
    sc.finish()
    assert sc.kernel_has("src=fd00:22::1234"), sc.kernel_table
    nk.check(sc)


def test_masquerade_fully_random(nk):
    """`masquerade fully-random`: the port is searched from a random offset
    even when the original is free (§10.3: random skips steps 1 and 3).
    Deterministic: ports in 1024-65535 and distinct, and each side
    translates the server's answers to its own choice back."""
    sc = nk.scenario(MASQ_RANDOM)
    flows = [NatFlow(sc, "10.11.0.%d" % (5 + i), S4, 40000, 80) for i in range(3)]
    for f in flows:
        f.c(SYN)
    sc.finish()
    syns = list(sc.sent)
    kp = [reply_dport(table_find(sc.kernel_table, "src=10.11.0.%d " % (5 + i))[0])
          for i in range(3)]
    sc.run_replay(syns)
    cp = [reply_dport(table_find(sc.ctrack_table(), "src=10.11.0.%d " % (5 + i))[0])
          for i in range(3)]
    for ports in (kp, cp):
        assert len(set(ports)) == 3 and all(1024 <= p <= 65535 for p in ports), (kp, cp)
    t = syns[-1][0]
    extra = []
    for i, p in enumerate(cp):
        t += 1000
        extra.append(frame_for("s", NatFlow(sc, "10.11.0.%d" % (5 + i), S4, 40000, 80,
                                            ssrc=F14, sport=p).s(SYN | ACK, send=False), t))
    sc.run_replay(syns + extra)
    out = sc.replay["out"]["c"]
    assert [p[16:20] for p in out] == [bytes([10, 11, 0, 5 + i]) for i in range(3)], \
        sc.report(["ctrack replies"])
