# SPDX-License-Identifier: MIT
"""More NAT paths through the kernel and ctrack: hairpin (dnat + masquerade
out of the same interface), snat at the input hook, redirect of echo
requests, TTL exceeded in the reply direction of a masqueraded flow, SCTP
and GRE through masquerade, the null binding that moves a port (§10.2),
dnat with `random`."""

import re
import struct
import zlib

from kdiff import (C4, S4, C6, S6, F04, F14, F06, F16, SYN, ACK, PSH, RST, FIN, udp_pkt, echo_pkt,
                   ip, udp, tcp)
from nat_kd import NatFlow, frame_for, table_find, reply_dport, reply_field, nk  # noqa: F401

HAIRPIN = """
table ip nat {
	chain pre {
		type nat hook prerouting priority dstnat; policy accept;
		ip daddr 10.1.0.1 tcp dport 8080 counter dnat to 10.11.0.7:80
	}
	chain post {
		type nat hook postrouting priority srcnat; policy accept;
		ip saddr 10.1.0.0/24 ip daddr 10.11.0.7 oifname "f0" counter masquerade
	}
}
"""

INPUT_SNAT = """
table inet nat {
	chain in {
		type nat hook input priority 100; policy accept;
		ip saddr 10.1.0.2 counter snat ip to 10.1.0.77
		ip6 saddr fd00:1::2 counter snat ip6 to fd00:1::77
	}
}
"""

REDIR = """
table inet nat {
	chain pre {
		type nat hook prerouting priority dstnat; policy accept;
		iifname "f0" ip daddr 10.22.0.0/16 icmp type echo-request counter redirect
		iifname "f0" ip6 daddr fd00:22::/64 icmpv6 type echo-request counter redirect
	}
}
"""

MASQ = """
table inet nat {
	chain post {
		type nat hook postrouting priority srcnat; policy accept;
		oifname "f1" counter masquerade
	}
}
"""

SNAT_ONE = """
table ip nat {
	chain post {
		type nat hook postrouting priority srcnat; policy accept;
		ip saddr 10.11.0.5 counter snat to 10.11.0.99
	}
}
"""

DNAT_RANDOM = """
table ip nat {
	chain pre {
		type nat hook prerouting priority dstnat; policy accept;
		ip daddr 10.1.0.1 tcp dport { 8080, 8081, 8082 } counter dnat to 10.2.0.2:7000-7001 random
	}
}
"""


def test_hairpin(nk):
    """A client reaches another host on its own side through the router's
    address: dnat, then masquerade out of the ingress interface.  REPLY
    10.11.0.7:80 -> 10.1.0.1:40000; ICMP redirects are off (send_redirects 0)."""
    sc = nk.scenario(HAIRPIN)
    f = NatFlow(sc, C4, F04, 40000, 8080, ssrc=F04, sdst="10.11.0.7", sdport=80)
    # The "server" is behind the client side here: its packets come from c0.
    f.view["s"] = ("10.11.0.7", F04, 80, 40000)
    f.sc = _SideC(sc)
    f.handshake()
    f.data(12)
    sc.finish()
    assert sc.kernel_has("src=10.11.0.7 dst=10.1.0.1 sport=80 dport=40000"), sc.kernel_table
    nk.check(sc)


class _SideC:
    """Both ends of a flow inject on the client side."""

    def __init__(self, sc):
        self.c = sc.c
        self.s = sc.c


def test_snat_at_input(nk):
    """snat in a nat chain at input: the router's answers (echo reply, TCP
    RST, port unreachable) go back to the mapped address, de-NATed at output
    (§10.1: reply direction with SRC_NAT, destination rewritten at a DST
    hook)."""
    sc = nk.scenario(INPUT_SNAT)
    sc.c(echo_pkt(C4, F04, 0x10, 1))
    sc.c(NatFlow(sc, C4, F04, 40000, 22).c(SYN, send=False))
    sc.c(udp_pkt(C4, F04, 40001, 9))
    sc.c(echo_pkt(C6, F06, 0x11, 1))
    sc.c(NatFlow(sc, C6, F06, 40002, 22).c(SYN, send=False))
    sc.finish()
    assert sc.kernel_has("src=10.1.0.1 dst=10.1.0.77"), sc.kernel_table
    nk.check(sc)


def test_redirect_echo(nk):
    """Echo requests to remote addresses redirected to the router: the reply
    comes from the address the client pinged."""
    sc = nk.scenario(REDIR)
    sc.c(echo_pkt(C4, "10.22.0.5", 0x20, 1))
    sc.c(echo_pkt(C4, "10.22.0.5", 0x20, 2))
    sc.c(echo_pkt(C6, "fd00:22::5", 0x21, 1))
    sc.finish()
    assert len(sc.raw["c"]) == 3, sc.report([])
    nk.check(sc)


def test_ttl_exceeded_reply_direction(nk):
    """The server's packet with TTL 1 towards the masquerade address: the
    router's time exceeded goes to the server and quotes the packet as the
    server sent it (destination back to 10.2.0.1:40000)."""
    sc = nk.scenario(MASQ)
    f = NatFlow(sc, C4, S4, 40000, 80, ssrc=F14)
    f.c(SYN)
    f.s(SYN | ACK, ttl=1)
    g = NatFlow(sc, C6, S6, 40001, 80, ssrc=F16)
    g.c(SYN)
    g.s(SYN | ACK, hlim=1)
    sc.finish()
    assert len(sc.raw["s"]) == 4, sc.report([])
    nk.check(sc)


def _crc32c(data):
    crc = 0xFFFFFFFF
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ 0x82F63B78 if crc & 1 else crc >> 1
    return crc ^ 0xFFFFFFFF


def sctp(sport, dport, vtag, chunks):
    hdr = struct.pack("!HHII", sport, dport, vtag, 0)
    crc = _crc32c(hdr + chunks)
    return struct.pack("!HHI", sport, dport, vtag) + struct.pack("<I", crc) + chunks


def sctp_init(itag):
    body = struct.pack("!IIHHI", itag, 65535, 10, 10, 1000)
    return struct.pack("!BBH", 1, 0, 4 + len(body)) + body


def sctp_init_ack(itag):
    cookie = struct.pack("!HH", 7, 8) + b"COOK"
    body = struct.pack("!IIHHI", itag, 65535, 10, 10, 2000) + cookie
    return struct.pack("!BBH", 2, 0, 4 + len(body)) + body


def gre(payload, proto=0x0800):
    return struct.pack("!HH", 0, proto) + payload


def test_sctp_gre_masquerade(nk):
    """SCTP: the port is rewritten and the CRC32c recomputed; GRE (version
    0): only the address changes."""
    sc = nk.scenario(MASQ)
    sc.c(ip(C4, S4, 132, sctp(5000, 6000, 0, sctp_init(0x11111111))))
    sc.s(ip(S4, F14, 132, sctp(6000, 5000, 0x11111111, sctp_init_ack(0x22222222))))
    inner = ip("192.168.0.1", "192.168.0.2", 17, udp("192.168.0.1", "192.168.0.2", 1, 2, b"g"))
    sc.c(ip(C4, S4, 47, gre(inner)))
    sc.s(ip(S4, F14, 47, gre(inner)))
    sc.finish()
    nk.check(sc)


def test_null_binding_moves_port(nk):
    """10.11.0.5:40000 is SNATed to 10.11.0.99:40000; then 10.11.0.99 itself
    opens 40000 to the same server.  No rule binds it, the null binding
    finds its reply tuple taken and moves the source port (§10.2), from a
    random offset in 1024-65535.  Deterministic: the first flow keeps 40000,
    the second gets another port in range, both pass."""
    sc = nk.scenario(SNAT_ONE)
    sc.c(NatFlow(sc, "10.11.0.5", S4, 40000, 80).c(SYN, send=False))
    sc.c(NatFlow(sc, "10.11.0.99", S4, 40000, 80).c(SYN, send=False))
    sc.finish()
    sc.run_replay()
    for tab in (sc.kernel_table, sc.ctrack_table()):
        (a,) = table_find(tab, "src=10.11.0.5 ")
        (b,) = table_find(tab, "src=10.11.0.99 ")
        assert reply_dport(a) == 40000, tab
        assert reply_dport(b) != 40000 and reply_dport(b) >= 1024, tab
        assert "[UNREPLIED]" in b
    assert len(sc.raw["s"]) == len(sc.replay["out"]["s"]) == 2


def test_dnat_random(nk):
    """`dnat to 10.2.0.2:7000-7001 random`: the port is searched from a
    random offset.  Three flows from one client port to three router ports
    map to the same server address: two take 7000 and 7001 (in either
    order); the third finds both reply tuples taken, keeps a taken one, and
    the null binding at postrouting (§10.2) then moves its source port
    (1024-65535, random offset), so all three pass.  Compared: the shape."""
    sc = nk.scenario(DNAT_RANDOM)
    for i in range(3):
        sc.c(NatFlow(sc, C4, F04, 40000, 8080 + i).c(SYN, send=False))
    sc.finish()
    sc.run_replay()
    for tab in (sc.kernel_table, sc.ctrack_table()):
        assert len(tab) == 3, tab
        ports = [int(re.findall(r"sport=(\d+)", ln)[1]) for ln in tab]
        assert set(ports) == {7000, 7001}, tab
        moved = [reply_dport(ln) for ln in tab if reply_dport(ln) != 40000]
        assert len(moved) == 1 and moved[0] >= 1024, tab
    assert len(sc.raw["s"]) == len(sc.replay["out"]["s"]) == 3


SNAT_2PORTS = """
table ip nat {
	chain post {
		type nat hook postrouting priority srcnat; policy accept;
		oifname "f1" meta l4proto tcp counter snat to 10.2.0.100:30000-30001
	}
}
"""


def test_syn_evicts_time_wait(nk):
    """Both ports of `snat to 10.2.0.100:30000-30001` are held by SNATed
    entries in TIME_WAIT.  A SYN whose sequence is not beyond theirs finds
    nothing and is dropped at confirm; one whose sequence is beyond evicts
    the entry holding the first candidate in the last 32 tries of the
    search and takes its port (§10.3 step 4).  Which of the two is evicted
    is random; compared: the drop, the pass, the surviving count and the
    states."""
    sc = nk.scenario(SNAT_2PORTS)
    sc.c(NatFlow(sc, "10.11.0.1", S4, 40000, 80).c(SYN, send=False))
    sc.c(NatFlow(sc, "10.11.0.2", S4, 40000, 80).c(SYN, send=False))
    sc.sleep(0.05)
    sc._drain(0.05)
    lines, _ = sc.topo.conntrack_list()
    kport = {cl: reply_dport(table_find(lines, "src=%s " % cl)[0])
             for cl in ("10.11.0.1", "10.11.0.2")}
    assert sorted(kport.values()) == [30000, 30001], lines

    def close(cl, port, send=True):
        f = NatFlow(sc, cl, S4, 40000, 80, ssrc="10.2.0.100", sport=port)
        f.nxt["c"] += 1
        pk = [f.s(SYN | ACK, send=False), f.c(ACK, send=False), f.c(FIN | ACK, send=False),
              f.s(ACK, send=False), f.s(FIN | ACK, send=False), f.c(ACK, send=False)]
        return [("s" if i in (0, 3, 4) else "c", p) for i, p in enumerate(pk)]

    for cl in ("10.11.0.1", "10.11.0.2"):
        for side, p in close(cl, kport[cl]):
            (sc.c if side == "c" else sc.s)(p)
    late = [NatFlow(sc, "10.11.0.3", S4, 40000, 80, cisn=10).c(SYN, send=False),
            NatFlow(sc, "10.11.0.4", S4, 40000, 80, cisn=3000000).c(SYN, send=False)]
    sc.c(*late)
    sc.finish()

    def shape(tab):
        return sorted((ln.split()[5], ln.split()[6]) for ln in tab)

    kt = sc.kernel_table
    assert not table_find(kt, "src=10.11.0.3 "), kt
    assert table_find(kt, "src=10.11.0.4 ", "SYN_SENT"), kt
    assert len(kt) == 2 and table_find(kt, "TIME_WAIT"), kt
    # ctrack: the same first SYNs, its own ports in the closes, the same late SYNs.
    syns = sc.sent[:2]
    sc.run_replay(syns)
    cport = {cl: reply_dport(table_find(sc.ctrack_table(), "src=%s " % cl)[0])
             for cl in ("10.11.0.1", "10.11.0.2")}
    t = syns[-1][0]
    seq = []
    for cl in ("10.11.0.1", "10.11.0.2"):
        for side, p in close(cl, cport[cl]):
            t += 1000
            seq.append(frame_for(side, p, t))
    for p in late:
        t += 1000
        seq.append(frame_for("c", p, t))
    sc.run_replay(syns + seq)
    ct = sc.ctrack_table()
    assert not table_find(ct, "src=10.11.0.3 "), sc.report(["ctrack passed the stale SYN"])
    assert table_find(ct, "src=10.11.0.4 ", "SYN_SENT"), sc.report(["ctrack dropped the SYN"])
    assert [s for s, _ in shape(ct)] == [s for s, _ in shape(kt)], (kt, ct)
