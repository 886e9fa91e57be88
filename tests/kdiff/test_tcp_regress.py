# SPDX-License-Identifier: MIT
"""TCP differences found by test_random_tcp, minimised with reduce_random.py.
Each test is the smallest packet sequence that still makes the kernel and
ctrack disagree; the docstring says what the kernel does.  Related seeds with
the same minimal shape are listed."""

from kdiff import ACK, FIN, PSH, RST, SYN, URG, C4, S4, C6, S6, TcpFlow  # noqa: F401


def test_tcp_min_random2_close_first_client_window(kd):
    """Minimised from test_random_tcp[2] (flow 30009).  The client side never
    had its window data set up (its ACK in SYN_SENT was ignored, its SYN-ACK
    was INVALID, its RST skipped the window check as an answer to the
    challenge ACK), so its next segment is that side's first in-window
    packet (§5.8 'mid-stream first packet from a side'): the kernel accepts
    and counts it."""
    sc = kd.scenario()
    f = TcpFlow(sc, C4, S4, 30009, 80)
    wsc = bytes.fromhex("020405b401030302")
    f.s(SYN, seq=1996704917, ack=0, win=1000, opts=wsc)
    f.c(ACK | PSH, seq=1563430078, ack=1996706018, win=29200)
    f.c(SYN | ACK, seq=1563457733, ack=1996706018, win=29200,
        opts=bytes.fromhex("020405b404020101"))
    f.s(SYN, seq=1996706018, ack=0, win=29200, opts=bytes.fromhex("020405b40402010303020101"))
    f.c(RST, seq=1563430078, ack=0, win=65535)
    f.s(ACK, b"d" * 100, seq=1996707022, ack=1563430082, win=65535)
    f.c(ACK | PSH, seq=1563364019, ack=1996707122, win=0)
    sc.finish()
    assert sc.kernel_has(" CLOSE ", "dport=80 packets=2 bytes=80"), sc.kernel_table
    kd.check(sc)


def test_tcp_min_random67_rst_in_syn_sent2(kd):
    """Minimised from test_random_tcp[67] (same as [30]).  Simultaneous open
    (SYN, reply SYN -> SYN_SENT2), then a reply RST far outside the window.
    The kernel leaves the entry in SYN_SENT2 and does not count the RST
    (the window check ignores it); the RST must not move it to CLOSE."""
    sc = kd.scenario()
    f = TcpFlow(sc, C6, S6, 30007, 80)
    f.c(SYN, seq=54626372, ack=0, win=100, opts=bytes.fromhex("020405b401030302"))
    f.s(SYN, seq=2282165933, ack=0, win=65535, opts=bytes.fromhex("020405b40103030e"))
    f.s(RST, seq=1707729210, ack=0, win=29200)
    sc.finish()
    assert sc.kernel_has(" SYN_SENT2 ", "sport=30007"), sc.kernel_table
    kd.check(sc)


def test_tcp_min_random35_rst_after_reinit_syn(kd):
    """Minimised from test_random_tcp[35] (same as [41]).  SYN, an ignored
    reply ACK in SYN_SENT, a re-initialising SYN from the client, then a
    client RST+ACK whose seq is neither the new ISN+1 nor the ACK recorded
    from the ignored packet: the kernel finds it INVALID (dropped, entry stays
    SYN_SENT)."""
    sc = kd.scenario()
    f = TcpFlow(sc, C4, S4, 30000, 80)
    f.c(SYN, seq=753948746, ack=0, win=0, opts=bytes.fromhex("020405b404020103030e0101"))
    f.s(ACK, seq=1440402319, ack=2356625584, win=100)
    f.c(SYN, seq=2356625584, ack=1440402319, win=1000, opts=bytes.fromhex("020405b401030307"))
    f.c(RST | ACK, seq=2356592450, ack=1440402319, win=0)
    sc.finish()
    assert sc.kernel_has(" SYN_SENT ", "sport=30000"), sc.kernel_table
    kd.check(sc)


def test_tcp_min_random39_rst_ack_after_reinit_syn(kd):
    """Minimised from test_random_tcp[39].  Server-originated SYN, an
    ignored client ACK, a re-initialising SYN (ISN+2), then a RST+ACK from
    the originator with seq = its td_end and ack = the ignored ACK's seq:
    the kernel finds it INVALID (entry stays SYN_SENT)."""
    sc = kd.scenario({"net.netfilter.nf_conntrack_tcp_loose": "0"})
    f = TcpFlow(sc, C4, S4, 30002, 80)
    f.s(SYN, seq=2773736143, ack=0, win=29200, opts=bytes.fromhex("020405b4"))
    f.c(PSH | ACK, seq=22872795, ack=3898270212, win=1000)
    f.s(SYN, seq=2773736145, ack=0, win=0, opts=bytes.fromhex("020405b40402010303000101"))
    f.s(RST | ACK, seq=2773736146, ack=22872795, win=65535)
    sc.finish()
    assert sc.kernel_has(" SYN_SENT ", "dport=30002"), sc.kernel_table
    kd.check(sc)


def test_tcp_random86_rst_ack_after_challenge_and_reinit(kd):
    """Seed 86.  SYN, an ignored reply ACK (challenge ACK candidate), a re-initialising SYN whose seq is that ACK's ack, then RST+ACK at the new ISN+1: kernel keeps SYN_SENT and does not count the RST; ctrack closes the entry."""
    sc = kd.scenario()
    f = TcpFlow(sc, C4, S4, 30000, 80)
    f.c(SYN, seq=3399578009, ack=0, win=100, opts=bytes.fromhex("020405b401030302"))
    f.s(PSH|ACK, seq=3340717725, ack=3399578014, win=65535)
    f.c(SYN, seq=3399578014, ack=3340717725, win=100, opts=bytes.fromhex("020405b401030300"))
    f.c(RST|ACK, seq=3399578015, ack=3340717725, win=0)
    sc.finish()
    kd.check(sc)


def test_tcp_random271_rst_after_bad_synack_and_reply_syn(kd):
    """Seed 271.  SYN, a SYN-ACK acking the wrong sequence (INVALID), a reply SYN, then a client RST inside the window: kernel keeps SYN_SENT (packets=1), ctrack closes it."""
    sc = kd.scenario()
    f = TcpFlow(sc, C4, S4, 30006, 80)
    f.c(SYN, seq=613253193, ack=0, win=29200, opts=bytes.fromhex("020405b404020103030e0101"))
    f.s(SYN|ACK, seq=2632634347, ack=613298471, win=29200, opts=bytes.fromhex("020405b40402010303070101"))
    f.s(SYN, seq=590759342, ack=0, win=1000, opts=bytes.fromhex("020405b401030300"))
    f.c(RST, seq=613265152, ack=0, win=65535)
    sc.finish()
    kd.check(sc)


def test_tcp_random273_originator_rst_after_reply_rst(kd):
    """Seed 273.  Server-originated SYN, an INVALID reply RST+ACK, then an originator RST with a random sequence: kernel keeps SYN_SENT, ctrack closes."""
    sc = kd.scenario({'net.netfilter.nf_conntrack_tcp_loose': '0'})
    f = TcpFlow(sc, C6, S6, 30011, 80)
    f.s(SYN, seq=2022783175, ack=269066167, win=65535, opts=bytes.fromhex("020405b401030307"))
    f.c(RST|ACK, seq=269066167, ack=697387771, win=65535)
    f.s(RST, seq=4192867549, ack=0, win=0)
    sc.finish()
    kd.check(sc)


def test_tcp_random162_reinit_then_reply_rst_then_ack(kd):
    """Seed 162.  SYN, re-initialising SYN, ignored reply data, reply RST, client ACK, then a server ACK acking a random value: kernel forwards it, ctrack finds it INVALID."""
    sc = kd.scenario({'net.netfilter.nf_conntrack_tcp_loose': '0'})
    f = TcpFlow(sc, C4, S4, 30010, 80)
    f.c(SYN, seq=2161014962, ack=0, win=100, opts=bytes.fromhex("020405b40402010303000101"))
    f.c(SYN, seq=2161014964, ack=4056922807, win=29200, opts=bytes.fromhex("020405b401030307"))
    f.s(PSH|ACK, b"d" * 10, seq=4056923808, ack=2161014965, win=0)
    f.s(RST, seq=4056923818, ack=0, win=1000)
    f.c(ACK, seq=2161014965, ack=4056921749, win=1000)
    f.s(PSH|ACK, seq=4056924820, ack=1684302012, win=1000)
    sc.finish()
    kd.check(sc)


def test_tcp_random235_challenge_rst_then_data(kd):
    """Seed 235.  Server SYN, ignored client ACK, re-initialising SYN, client RST+ACK answering it, then data both ways and a client URG segment far ahead: kernel forwards the last segment, ctrack finds it INVALID."""
    sc = kd.scenario()
    f = TcpFlow(sc, C4, S4, 30009, 80)
    f.s(SYN, seq=4196273879, ack=0, win=29200, opts=bytes.fromhex("020405b404020103030e0101"))
    f.c(ACK, seq=1997206600, ack=4196273882, win=100)
    f.s(SYN, seq=4196273884, ack=0, win=29200, opts=bytes.fromhex("020405b404020103030e0101"))
    f.c(RST|ACK, seq=1997206600, ack=4196273885, win=100)
    f.c(PSH|ACK, b"d" * 1000, seq=1997206602, ack=4196271301, win=1000)
    f.s(ACK, b"d" * 100, seq=4196273885, ack=1997207602, win=1000)
    f.c(ACK|URG, b"d" * 100, seq=1997240895, ack=2838561656, win=65535)
    sc.finish()
    kd.check(sc)


def test_tcp_random261_reinit_syn_then_zero_window_ack(kd):
    """Seed 261.  SYN, re-initialising SYN (with an ack field), SYN-ACK, client ACK, then a server ACK with a far-off sequence and window 0: kernel accepts and counts it, ctrack ignores it."""
    sc = kd.scenario({'net.netfilter.nf_conntrack_tcp_loose': '0'})
    f = TcpFlow(sc, C4, S4, 30000, 80)
    f.c(SYN, seq=1861303341, ack=0, win=29200, opts=bytes.fromhex("020405b40402010303000101"))
    f.c(SYN, seq=1861360874, ack=4237304218, win=1000, opts=bytes.fromhex("020405b404020103030e0101"))
    f.s(SYN|ACK, seq=4237304218, ack=1861360562, win=29200, opts=bytes.fromhex("020405b40402010303070101"))
    f.c(PSH|ACK, seq=1861360975, ack=4237304219, win=29200)
    f.s(PSH|ACK, seq=3858901557, ack=1861360975, win=0)
    sc.finish()
    kd.check(sc)


def test_tcp_random285_reinit_syn_then_fin_then_old_data(kd):
    """Seed 285.  SYN, higher re-initialising SYN, SYN-ACK, client FIN, then server data 67 KB below its window: kernel accepts it (CLOSE_WAIT), ctrack ignores it (stays FIN_WAIT)."""
    sc = kd.scenario({'net.netfilter.nf_conntrack_tcp_loose': '0'})
    f = TcpFlow(sc, C4, S4, 30009, 80)
    f.c(SYN, seq=1857117482, ack=0, win=100, opts=bytes.fromhex("020405b40103030e"))
    f.c(SYN, seq=1857137483, ack=0, win=29200, opts=bytes.fromhex("020405b401030302"))
    f.s(SYN|ACK, seq=738375421, ack=1857136305, win=29200, opts=bytes.fromhex("020405b401030302"))
    f.c(FIN|ACK, seq=1857137485, ack=738375422, win=65535)
    f.s(ACK, b"d" * 100, seq=738307938, ack=1857137486, win=0)
    sc.finish()
    kd.check(sc)
