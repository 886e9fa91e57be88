# SPDX-License-Identifier: MIT
"""Helpers and NAT for helpers through the router (issue 6; spec §9, §10.6):
the kernel fw namespace and build/ctrack-replay run the same nft ruleset on
the same injected frames; forwarded frames are compared byte for byte, then
`conntrack -L -o extended` and `conntrack -L expect` (helpers_kd.py).

The ruleset is stateful: new flows from the client side only to ports 21
and 69; everything else must come in as ESTABLISHED or RELATED.  The helper
is attached with the nftables idiom:
    ct helper "ftp-standard" { type "ftp" protocol tcp; }
    tcp dport 21 ct helper set "ftp-standard"
"""

import os

import pytest

import kdiff
from kdiff import C4, S4, C6, S6, F14, F16, ACK, PSH, SYN, FIN, TcpFlow, ip, tcp, udp_pkt, \
    tcp_opts
import helpers_kd
from helpers_kd import ruleset, payload

SNAT_ADDR = "10.2.0.100"
MASQ = '\t\toifname "f1" masquerade'


@pytest.fixture(scope="module")
def topo():
    if not kdiff.is_root():
        pytest.skip("SKIP kdiff: needs root (network namespaces, AF_PACKET)")
    if not kdiff.netns_available():
        pytest.skip("SKIP kdiff: `ip netns` does not work here")
    t = helpers_kd.Topo({"net.netfilter.nf_conntrack_acct": "1"})
    try:
        t.up()
        yield t
    finally:
        t.down()


@pytest.fixture
def hk(topo, tmp_path, request):
    """hk(rules) -> a scenario on a fresh table with that ruleset."""
    made = []

    def make(rules):
        topo.reset(rules)
        sc = helpers_kd.Scenario(topo, str(tmp_path), rules, request.node.name,
                                 {"net.netfilter.nf_conntrack_acct": "1"})
        made.append(sc)
        return sc

    yield make
    for sc in made:
        sc.close()


def check(sc):
    if sc.kernel_table is None:
        sc.finish()
    diffs = sc.compare()
    if os.environ.get("HELPERS_KD_REPORT"):
        print(sc.report(diffs))
    if diffs:
        pytest.fail(sc.report(diffs), pytrace=False)


def ftp_open(sc, csrc, sdst, sport, srv=None, cisn=1000000, sisn=5000000):
    """A control connection up to the point where commands are parsed
    (handshake, greeting, USER: both directions past their first segment)."""
    f = TcpFlow(sc, csrc, sdst, sport, 21, cisn, sisn)
    if srv is not None:
        f.srv = srv
    f.handshake()
    f.s(ACK | PSH, b"220 ready\r\n")
    f.c(ACK | PSH, b"USER ftp\r\n")
    f.s(ACK | PSH, b"331 password\r\n")
    return f


class NatFlow(TcpFlow):
    """A flow whose server sees the client at another address (snat /
    masquerade): the server's packets go to `seen` instead of the client;
    `cadj`/`sadj` model the byte-count changes a NAT helper made (the server
    sees client seq + cadj)."""

    def __init__(self, sc, csrc, sdst, sport, dport, seen, cisn=1000000, sisn=5000000):
        super().__init__(sc, csrc, sdst, sport, dport, cisn, sisn)
        self.seen = seen
        self.cadj = 0

    def s(self, flags, data=b"", ack=None, **kw):
        if ack is None and flags & ACK:
            ack = (self.nxt["c"] + self.cadj) & 0xFFFFFFFF
        ca = self.ca
        self.ca = self.seen
        try:
            return super().s(flags, data, ack=ack, **kw)
        finally:
            self.ca = ca


def nat_open(sc, csrc, sdst, sport, seen, cisn=1000000, sisn=5000000):
    f = NatFlow(sc, csrc, sdst, sport, 21, seen, cisn, sisn)
    f.handshake()
    f.s(ACK | PSH, b"220 ready\r\n")
    f.c(ACK | PSH, b"USER ftp\r\n")
    f.s(ACK | PSH, b"331 password\r\n")
    return f


def data_conn(sc, src, dst, sport, dport, from_server, isn=7000000, risn=8000000, peer=None,
              peer_sees=None):
    """Handshake and one data segment of a data connection from src to dst;
    the responder answers from `peer` (default dst) to `peer_sees` (default
    src): its real address, and the initiator as NAT shows it."""
    a, b = (sc.s, sc.c) if from_server else (sc.c, sc.s)
    pa, pd = peer or dst, peer_sees or src
    a(ip(src, dst, 6, tcp(src, dst, sport, dport, isn, 0, SYN)))
    b(ip(pa, pd, 6, tcp(pa, pd, dport, sport, risn, isn + 1, SYN | ACK)))
    a(ip(src, dst, 6, tcp(src, dst, sport, dport, isn + 1, risn + 1, ACK)))
    a(ip(src, dst, 6, tcp(src, dst, sport, dport, isn + 1, risn + 1, ACK | PSH,
                          payload=b"x" * 100)))


# ---- without NAT ------------------------------------------------------------------

@pytest.mark.parametrize("helper", [True, False], ids=["helper", "nohelper"])
def test_ftp_active(hk, helper):
    """PORT: the server's data connection is RELATED with the helper; without
    it the stateful forward chain drops it (and nothing is expected)."""
    sc = hk(ruleset(helpers=helper))
    f = ftp_open(sc, C4, S4, 40000)
    f.c(ACK | PSH, b"PORT 10,1,0,2,200,10\r\n")
    f.s(ACK | PSH, b"200 PORT ok\r\n")
    data_conn(sc, S4, C4, 20, 51210, from_server=True)
    f.c(ACK)
    sc.finish()
    assert sc.kernel_has("sport=20", "dport=51210") == helper, sc.kernel_table
    check(sc)


@pytest.mark.parametrize("helper", [True, False], ids=["helper", "nohelper"])
def test_ftp_passive(hk, helper):
    """PASV / 227: the client's data connection to the announced port."""
    sc = hk(ruleset(helpers=helper))
    f = ftp_open(sc, C4, S4, 40001)
    f.c(ACK | PSH, b"PASV\r\n")
    f.s(ACK | PSH, b"227 Entering Passive Mode (10,2,0,2,156,65).\r\n")
    data_conn(sc, C4, S4, 40100, 40001, from_server=False)
    sc.finish()
    assert sc.kernel_has("sport=40100", "dport=40001") == helper, sc.kernel_table
    check(sc)


def test_ftp_pending_expectation(hk):
    """Expectations left pending are listed alike (`conntrack -L expect`),
    v4 and v6; a second PORT on the same control connection replaces the
    first (max_expected 1)."""
    sc = hk(ruleset())
    f = ftp_open(sc, C4, S4, 40002)
    f.c(ACK | PSH, b"PORT 10,1,0,2,200,20\r\n")
    f.s(ACK | PSH, b"200 ok\r\n")
    f.c(ACK | PSH, b"PORT 10,1,0,2,200,21\r\n")
    g = ftp_open(sc, C4, S4, 40003)
    g.c(ACK | PSH, b"PASV\r\n")
    g.s(ACK | PSH, b"227 Entering Passive Mode (10,2,0,2,156,66).\r\n")
    h = ftp_open(sc, C6, S6, 40004)
    h.c(ACK | PSH, b"EPSV\r\n")
    h.s(ACK | PSH, b"229 Entering Extended Passive Mode (|||40002|)\r\n")
    sc.finish()
    assert len(sc.kernel_expect) == 3, sc.kernel_expect
    check(sc)


def test_ftp_v6_eprt_epsv(hk):
    """EPRT and EPSV over IPv6, data connections both ways."""
    sc = hk(ruleset())
    f = ftp_open(sc, C6, S6, 40005)
    f.c(ACK | PSH, b"EPRT |2|fd00:1::2|51211|\r\n")
    f.s(ACK | PSH, b"200 ok\r\n")
    data_conn(sc, S6, C6, 20, 51211, from_server=True)
    g = ftp_open(sc, C6, S6, 40006)
    g.c(ACK | PSH, b"EPSV\r\n")
    g.s(ACK | PSH, b"229 Entering Extended Passive Mode (|||40003|)\r\n")
    data_conn(sc, C6, S6, 40101, 40003, from_server=False)
    sc.finish()
    check(sc)


def test_tftp_read(hk):
    """An RRQ expects the server's answer from a new port (§9.4); an
    unanswered RRQ leaves its expectation."""
    sc = hk(ruleset())
    sc.c(udp_pkt(C4, S4, 34200, 69, b"\x00\x01file\x00octet\x00"))
    sc.s(udp_pkt(S4, C4, 50001, 34200, b"\x00\x03\x00\x01data"))
    sc.c(udp_pkt(C4, S4, 34200, 50001, b"\x00\x04\x00\x01"))
    sc.c(udp_pkt(C4, S4, 34202, 69, b"\x00\x01other\x00octet\x00"))
    sc.finish()
    check(sc)


# ---- with NAT on the control connection ------------------------------------------------

def test_ftp_masquerade_port(hk):
    """§9.3 [V]: masquerade rewrites PORT to the fw's address (same length
    here) and the data connection maps back to the inside host."""
    sc = hk(ruleset(snat=MASQ))
    f = nat_open(sc, C4, S4, 40010, F14)
    f.c(ACK | PSH, b"PORT 10,1,0,2,200,10\r\n")
    f.s(ACK | PSH, b"200 PORT ok\r\n")
    data_conn(sc, S4, F14, 20, 51210, from_server=True, peer=C4)
    f.c(ACK | PSH, b"QUIT\r\n")
    f.s(ACK | PSH, b"221 bye\r\n")
    sc.finish()
    assert any(payload(p) == b"PORT 10,2,0,1,200,10\r\n" for p in sc.raw["s"]), sc.raw["s"]
    check(sc)


def test_ftp_snat_seqadj(hk):
    """§9.3 [V]: snat to a longer address adds 2 bytes; later client->server
    seq +2, server->client ack -2 (a SACK block too); a second PORT adds
    up."""
    sc = hk(ruleset(snat='\t\toifname "f1" snat ip to %s' % SNAT_ADDR))
    f = nat_open(sc, C4, S4, 40011, SNAT_ADDR)
    f.c(ACK | PSH, b"PORT 10,1,0,2,156,65\r\n")
    f.cadj = 2
    f.s(ACK | PSH, b"200 PORT ok\r\n")
    data_conn(sc, S4, SNAT_ADDR, 20, 40001, from_server=True, peer=C4)
    f.c(ACK | PSH, b"LIST\r\n")
    sack_l = (f.nxt["c"] + 2 - 6) & 0xFFFFFFFF
    f.s(ACK, opts=tcp_opts(sack=[(sack_l, sack_l + 3)]))
    f.c(ACK | PSH, b"PORT 10,1,0,2,156,66\r\n")
    f.cadj = 4
    f.s(ACK | PSH, b"200 PORT ok\r\n")
    f.c(ACK | PSH, b"QUIT\r\n")
    f.s(ACK | FIN, b"")
    f.c(ACK | FIN)
    f.s(ACK)
    sc.finish()
    assert any(payload(p) == b"PORT 10,2,0,100,156,65\r\n" for p in sc.raw["s"]), sc.raw["s"]
    check(sc)


def test_ftp_masquerade_pasv(hk):
    """A 227 from the server through masquerade (the client's side is
    NATed; the server's address is left as it is)."""
    sc = hk(ruleset(snat=MASQ))
    f = nat_open(sc, C4, S4, 40012, F14)
    f.c(ACK | PSH, b"PASV\r\n")
    f.s(ACK | PSH, b"227 Entering Passive Mode (10,2,0,2,156,67).\r\n")
    data_conn(sc, C4, S4, 40102, 40003, from_server=False, peer_sees=F14)
    sc.finish()
    check(sc)


def test_ftp_dnat_pasv(hk):
    """The server behind DNAT announces its own address in 227; the client
    sees the public one and its data connection is DNATed to the server."""
    pub = "10.1.0.1"
    sc = hk(ruleset(allow='\t\tct status dnat accept',
                    dnat='\t\tiifname "f0" tcp dport 21 dnat ip to %s' % S4))
    f = TcpFlow(sc, C4, pub, 40013, 21)
    f.c(SYN)
    sc.s(ip(S4, C4, 6, tcp(S4, C4, 21, 40013, f.nxt["s"], f.nxt["c"], SYN | ACK)))
    f.nxt["s"] += 1
    f.c(ACK)
    for data in (b"220 ready\r\n",):
        sc.s(ip(S4, C4, 6, tcp(S4, C4, 21, 40013, f.nxt["s"], f.nxt["c"], ACK | PSH,
                               payload=data)))
        f.nxt["s"] += len(data)
    f.c(ACK | PSH, b"PASV\r\n")
    data = b"227 Entering Passive Mode (10,2,0,2,156,68).\r\n"
    sc.s(ip(S4, C4, 6, tcp(S4, C4, 21, 40013, f.nxt["s"], f.nxt["c"], ACK | PSH, payload=data)))
    f.nxt["s"] += len(data)
    data_conn(sc, C4, pub, 40103, 40004, from_server=False, peer=S4)
    sc.finish()
    check(sc)


def test_ftp_v6_masquerade_eprt(hk):
    """EPRT over IPv6 with masquerade: the address is written in full
    (eight 4-digit groups), the payload grows, seq/ack adjusted."""
    sc = hk(ruleset(snat=MASQ))
    f = nat_open(sc, C6, S6, 40014, F16)
    f.c(ACK | PSH, b"EPRT |2|fd00:1::2|51212|\r\n")
    f.cadj = len(b"|2|fd00:0002:0000:0000:0000:0000:0000:0001|51212|") - \
        len(b"|2|fd00:1::2|51212|")
    f.s(ACK | PSH, b"200 ok\r\n")
    data_conn(sc, S6, F16, 20, 51212, from_server=True, peer=C6)
    f.c(ACK | PSH, b"EPSV\r\n")
    f.s(ACK | PSH, b"229 Entering Extended Passive Mode (|||40005|)\r\n")
    data_conn(sc, C6, S6, 40104, 40005, from_server=False, peer_sees=F16)
    f.c(ACK | PSH, b"QUIT\r\n")
    sc.finish()
    check(sc)


def test_tftp_masquerade(hk):
    """TFTP read through masquerade: the server's DATA to the fw's address
    maps back to the client."""
    sc = hk(ruleset(snat=MASQ))
    sc.c(udp_pkt(C4, S4, 34210, 69, b"\x00\x01file\x00octet\x00"))
    sc.s(udp_pkt(S4, F14, 50011, 34210, b"\x00\x03\x00\x01data"))
    sc.c(udp_pkt(C4, S4, 34210, 50011, b"\x00\x04\x00\x01"))
    sc.c(udp_pkt(C4, S4, 34212, 69, b"\x00\x01other\x00octet\x00"))
    sc.finish()
    check(sc)


def test_ftp_snat_eprt_epsv_v4(hk):
    """EPRT over IPv4 under snat to a longer address (+2), then an EPSV
    reply (no address, same length)."""
    sc = hk(ruleset(snat='\t\toifname "f1" snat ip to %s' % SNAT_ADDR))
    f = nat_open(sc, C4, S4, 40015, SNAT_ADDR)
    f.c(ACK | PSH, b"EPRT |1|10.1.0.2|51213|\r\n")
    f.cadj = 2
    f.s(ACK | PSH, b"200 ok\r\n")
    data_conn(sc, S4, SNAT_ADDR, 20, 51213, from_server=True, peer=C4)
    f.c(ACK | PSH, b"EPSV\r\n")
    f.s(ACK | PSH, b"229 Entering Extended Passive Mode (|||40006|)\r\n")
    data_conn(sc, C4, S4, 40105, 40006, from_server=False, peer_sees=SNAT_ADDR)
    f.c(ACK | PSH, b"QUIT\r\n")
    sc.finish()
    assert any(payload(p) == b"EPRT |1|10.2.0.100|51213|\r\n" for p in sc.raw["s"])
    check(sc)


def test_ftp_dnat_pasv_longer(hk):
    """The client connects to a public address (10.22.33.44, routed to the
    server side) DNATed to the server: the 227 text grows by 3 bytes, so the
    server->client direction is adjusted (seq +3) and the client's acks
    shifted back (ack -3)."""
    pub = "10.22.33.44"
    sc = hk(ruleset(allow='\t\tct status dnat accept',
                    dnat='\t\tip daddr %s tcp dport 21 dnat ip to %s' % (pub, S4)))
    f = TcpFlow(sc, C4, pub, 40016, 21)
    sadj = [0]

    def srv(flags, data=b""):
        sc.s(ip(S4, C4, 6, tcp(S4, C4, 21, 40016, f.nxt["s"], f.nxt["c"], flags,
                               payload=data)))
        f.nxt["s"] += len(data) + (1 if flags & (SYN | FIN) else 0)

    def cli(flags, data=b""):
        f.c(flags, data, ack=(f.nxt["s"] + sadj[0]) & 0xFFFFFFFF)

    f.c(SYN)
    srv(SYN | ACK)
    cli(ACK)
    srv(ACK | PSH, b"220 ready\r\n")
    cli(ACK | PSH, b"USER ftp\r\n")
    srv(ACK | PSH, b"331 pw\r\n")
    cli(ACK | PSH, b"PASV\r\n")
    srv(ACK | PSH, b"227 Entering Passive Mode (10,2,0,2,156,70).\r\n")
    sadj[0] = 3
    data_conn(sc, C4, pub, 40106, 40006, from_server=False, peer=S4)
    cli(ACK | PSH, b"QUIT\r\n")
    srv(ACK | PSH, b"221 bye\r\n")
    cli(ACK)
    sc.finish()
    assert any(payload(p) == b"227 Entering Passive Mode (10,22,33,44,156,70).\r\n"
               for p in sc.raw["c"]), sc.raw["c"]
    check(sc)
