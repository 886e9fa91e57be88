# SPDX-License-Identifier: MIT
"""snat through the kernel and ctrack (spec §10.3): one address and port,
an address range (the kernel's jhash2 address choice), port ranges and
their exhaustion, persistent, IPv6."""

from kdiff import C4, S4, C6, S6, SYN, ACK, PSH, udp_pkt, echo_pkt
from nat_kd import NatFlow, table_find, reply_dport, reply_field, nk  # noqa: F401

SNAT1 = """
table ip nat {
	chain post {
		type nat hook postrouting priority srcnat; policy accept;
		oifname "f1" meta l4proto { tcp, udp } counter snat to 10.2.0.100:30000 comment "snat"
	}
}
"""

SNAT_RANGE = """
table ip nat {
	chain post {
		type nat hook postrouting priority srcnat; policy accept;
		oifname "f1" ip saddr 10.11.0.0/16 counter snat to 10.22.9.10-10.22.9.20
		oifname "f1" ip saddr 10.12.0.0/16 counter snat to 10.22.9.10-10.22.9.20 persistent
		oifname "f1" ip saddr 10.1.0.0/24 meta l4proto { tcp, udp } counter snat ip to 10.22.8.1-10.22.8.2:2000-2001
	}
}
"""

SNAT6 = """
table ip6 nat {
	chain post {
		type nat hook postrouting priority srcnat; policy accept;
		oifname "f1" ip6 saddr fd00:11::/64 counter snat to fd00:22::100-fd00:22::1ff
		oifname "f1" ip6 saddr fd00:1::/64 meta l4proto { tcp, udp } counter snat to [fd00:22::53]:3000
		oifname "f1" ip6 saddr fd00:1::/64 counter snat to fd00:22::53
	}
}
"""


def test_snat_one_address_and_port(nk):
    """`snat to 10.2.0.100:30000`: a single-port range is used whether or not
    the tuple is unique; a second flow to the same server clashes and is
    dropped at confirm; the same port towards another server is free
    (§10.3 [V])."""
    sc = nk.scenario(SNAT1)
    f = NatFlow(sc, C4, S4, 40000, 80, ssrc="10.2.0.100", sport=30000)
    f.handshake()
    f.data(10)
    NatFlow(sc, "10.11.0.9", S4, 40001, 80).c(SYN)               # clash: dropped
    g = NatFlow(sc, "10.11.0.9", "10.22.0.7", 40001, 80, ssrc="10.2.0.100", sport=30000)
    g.handshake()                                                # other server: free
    sc.c(udp_pkt(C4, S4, 999, 53))
    sc.s(udp_pkt(S4, "10.2.0.100", 53, 30000))
    sc.c(udp_pkt("10.11.0.9", S4, 999, 53))                      # UDP clash: dropped
    sc.finish()
    assert not sc.kernel_has("src=10.11.0.9", "dst=10.2.0.2"), sc.kernel_table
    assert sc.kernel_count() == 3, sc.kernel_table
    nk.check(sc)


def test_snat_address_range(nk):
    """An address range: the address is a hash of (source, destination),
    the kernel's jhash2 scaled into the range, so it is the same for both;
    `persistent` hashes the source only.  The port is kept (§10.3 step 2-3)."""
    sc = nk.scenario(SNAT_RANGE)
    flows = []
    for i in range(12):
        src = "10.11.%d.%d" % (i % 3, 10 + i)
        dst = "10.22.0.%d" % (2 + i % 4)
        flows.append((src, dst))
        sc.c(udp_pkt(src, dst, 10000 + i, 53))
    for i in range(6):
        src = "10.12.0.%d" % (1 + i % 2)
        sc.c(udp_pkt(src, "10.22.1.%d" % (1 + i), 11000 + i, 53))
    sc.finish()
    nk.check(sc)
    # persistent: one address per client whatever the server.
    for cl in ("10.12.0.1", "10.12.0.2"):
        addrs = {reply_field(ln, "dst") for ln in table_find(sc.kernel_table, "src=%s " % cl)}
        assert len(addrs) == 1, sc.kernel_table


def test_snat_address_and_port_range(nk):
    """`snat ip to 10.22.8.1-10.22.8.2:2000-2001`: four (address, port)
    pairs per server; the address by hash, the port searched.  The
    same-server flows exhaust the pairs the hash allows: compared, which
    flows pass (the search order is random, the counts are not)."""
    sc = nk.scenario(SNAT_RANGE)
    for p in range(3):
        sc.c(udp_pkt(C4, S4, 5000 + p, 53))
    sc.finish()
    kt = sc.kernel_table
    assert {reply_dport(ln) for ln in kt} == {2000, 2001}, kt
    assert len(kt) == 2, kt
    sc.run_replay()
    ct = sc.ctrack_table()
    assert {reply_dport(ln) for ln in ct} == {2000, 2001}, ct
    assert {reply_field(ln, "dst") for ln in ct} == {reply_field(ln, "dst") for ln in kt}, (kt, ct)
    assert len(sc.replay["out"]["s"]) == len(sc.raw["s"]) == 2


def test_snat_port_kept_unique_classes(nk):
    """A source port already in use by another client through the same
    mapping address is searched in its class: <512 -> 1-511, 512-1023 ->
    600-1023, >=1024 -> 1024-65535 (§10.3 step 4), from a random offset."""
    sc = nk.scenario(SNAT1.replace("snat to 10.2.0.100:30000", "snat to 10.2.0.100"))
    for port in (80, 800, 40000):
        sc.c(udp_pkt("10.11.0.1", S4, port, 53))
        sc.c(udp_pkt("10.11.0.2", S4, port, 53))
    sc.finish()
    kt = sc.kernel_table
    sc.run_replay()
    ct = sc.ctrack_table()
    for port, lo, hi in ((80, 1, 511), (800, 600, 1023), (40000, 1024, 65535)):
        for tab in (kt, ct):
            (first,) = table_find(tab, "src=10.11.0.1 ", "sport=%d " % port)
            (second,) = table_find(tab, "src=10.11.0.2 ", "sport=%d " % port)
            assert reply_dport(first) == port, tab
            q = reply_dport(second)
            assert q != port and lo <= q <= hi, (port, tab)
    assert len(sc.replay["out"]["s"]) == len(sc.raw["s"]) == 6


def test_snat_ipv6(nk):
    """IPv6 snat to an address range (the hash over all four words) and to
    one address and port; TCP, UDP and ICMPv6 echo."""
    sc = nk.scenario(SNAT6)
    for i in range(6):
        sc.c(udp_pkt("fd00:11::%x" % (0x10 + i), "fd00:22::%x" % (2 + i), 20000 + i, 53))
    f = NatFlow(sc, C6, S6, 40000, 80, ssrc="fd00:22::53", sport=3000)
    f.handshake()
    f.data(7)
    sc.c(udp_pkt(C6, S6, 6000, 53))
    sc.s(udp_pkt(S6, "fd00:22::53", 53, 3000))
    sc.c(echo_pkt(C6, S6, 77, 1))
    sc.s(echo_pkt(S6, "fd00:22::53", 77, 1, reply=True))
    sc.finish()
    nk.check(sc)
