# SPDX-License-Identifier: MIT
"""TCP scenarios (spec §5).  Each test drives packets through the kernel fw
and through ctrack-track and compares the tables and forwarded packets
(kd.check).  The kernel-only assertions before kd.check() pin the harness to
spec facts marked [V], so a broken harness cannot pass silently."""

import pytest

from kdiff import (ACK, FIN, PSH, RST, SYN, URG, C4, S4, C6, S6, TcpFlow, tcp_opts)

OPTS = tcp_opts(mss=1460, sackperm=True, wscale=7)


def established(sc, sport, ca=C4, sa=S4, dport=80, opts=OPTS):
    f = TcpFlow(sc, ca, sa, sport, dport)
    f.handshake(copts=opts, sopts=opts)
    f.data(100)
    return f


@pytest.mark.parametrize("acct", [True, False], ids=["acct", "noacct"])
def test_tcp_handshake_data_fin_time_wait(kd, acct):
    sc = kd.scenario(acct=acct)
    f = established(sc, 40000)
    f.close()
    sc.finish()
    # §5.4/§5.7: the last ACK after both FINs -> TIME_WAIT (120 s), ASSURED.
    assert sc.kernel_has("TIME_WAIT", "sport=40000", "[ASSURED]"), sc.kernel_table
    kd.check(sc)


def test_tcp_states_along_the_way(kd):
    """One flow per intermediate state: SYN_SENT, SYN_RECV, ESTABLISHED,
    FIN_WAIT, CLOSE_WAIT, LAST_ACK."""
    sc = kd.scenario()
    TcpFlow(sc, C4, S4, 41001, 80).c(SYN, opts=OPTS)
    f = TcpFlow(sc, C4, S4, 41002, 80)
    f.c(SYN, opts=OPTS)
    f.s(SYN | ACK, opts=OPTS)
    established(sc, 41003)
    f = established(sc, 41004)
    f.c(FIN | ACK)
    f = established(sc, 41005)
    f.c(FIN | ACK)
    f.s(ACK)
    f = established(sc, 41006)
    f.c(FIN | ACK)
    f.s(ACK)
    f.s(FIN | ACK)
    sc.finish()
    for port, state in ((41001, "SYN_SENT"), (41002, "SYN_RECV"), (41003, "ESTABLISHED"),
                        (41004, "FIN_WAIT"), (41005, "CLOSE_WAIT"), (41006, "LAST_ACK")):
        assert sc.kernel_has(" %s " % state, "sport=%d " % port), (port, sc.kernel_table)
    kd.check(sc)


RST_VARIANTS = {
    # name: (setup, expected kernel outcome) -- spec §5.5
    "answer_to_syn": "server RST+ACK answers the SYN: entry deleted (§5.4 note 4)",
    "exact": "client RST with seq == server's highest ack: CLOSE, 10 s",
    "exact_reply": "server RST+ACK with exact seq: CLOSE",
    "in_window": "client RST inside the window but not exact: stays ESTABLISHED, 10 s",
    "below_ack": "client RST below the peer's highest ack: INVALID",
    "below_ack_ignore": "same with nf_conntrack_tcp_ignore_invalid_rst=1",
    "out_of_window": "client RST far above the window: INVALID",
    "after_fin": "RST in a closing state: accepted without sequence checks",
    "rst_seq0_syn_sent": "server RST seq 0 (ack = ISN+1) in SYN_SENT",
    "after_rst_reopen": "RST then a new SYN on the same ports (reopen from CLOSE)",
}


@pytest.mark.parametrize("variant", sorted(RST_VARIANTS))
def test_tcp_rst(kd, variant):
    sysctls = {}
    if variant == "below_ack_ignore":
        sysctls["net.netfilter.nf_conntrack_tcp_ignore_invalid_rst"] = "1"
    sc = kd.scenario(sysctls)
    if variant in ("answer_to_syn", "rst_seq0_syn_sent"):
        f = TcpFlow(sc, C4, S4, 42000, 80)
        f.c(SYN, opts=OPTS)
        if variant == "answer_to_syn":
            f.s(RST | ACK, seq=0)
        else:
            f.s(RST, seq=0, ack=0)
    else:
        f = established(sc, 42000)
        cn = f.nxt["c"]
        if variant == "exact":
            f.c(RST, seq=cn, ack=0)
        elif variant == "exact_reply":
            f.s(RST | ACK)
        elif variant == "in_window":
            f.c(RST, seq=cn + 10, ack=0)
        elif variant in ("below_ack", "below_ack_ignore"):
            f.c(RST, seq=cn - 50, ack=0)
        elif variant == "out_of_window":
            f.c(RST, seq=cn + 10_000_000, ack=0)
        elif variant == "after_fin":
            f.c(FIN | ACK)
            f.s(RST, seq=f.nxt["s"] + 1000, ack=0)
        elif variant == "after_rst_reopen":
            f.c(RST, seq=cn, ack=0)
            g = TcpFlow(sc, C4, S4, 42000, 80, cisn=7000000, sisn=9000000)
            g.c(SYN, opts=OPTS)
    sc.finish()
    if variant == "answer_to_syn":
        assert sc.kernel_count() == 0, sc.kernel_table
    if variant == "exact":
        assert sc.kernel_has(" CLOSE ", "sport=42000"), sc.kernel_table
    if variant == "below_ack":
        assert sc.kernel_has(" ESTABLISHED ", "sport=42000"), sc.kernel_table
    kd.check(sc)


def test_tcp_reopen_time_wait(kd):
    """§5.4 note 1: a SYN in TIME_WAIT after a FIN kills the old entry and
    creates a fresh one (SYN_SENT, UNREPLIED)."""
    sc = kd.scenario()
    f = established(sc, 43000)
    f.close()
    g = TcpFlow(sc, C4, S4, 43000, 80, cisn=3000000, sisn=8000000)
    g.c(SYN, opts=OPTS)
    # A second pair reopened all the way to ESTABLISHED.
    f = established(sc, 43001)
    f.close()
    g = TcpFlow(sc, C4, S4, 43001, 80, cisn=3000000, sisn=8000000)
    g.handshake(copts=OPTS, sopts=OPTS)
    sc.finish()
    assert sc.kernel_has(" SYN_SENT ", "sport=43000", "[UNREPLIED]"), sc.kernel_table
    assert sc.kernel_has(" ESTABLISHED ", "sport=43001"), sc.kernel_table
    kd.check(sc)


def test_tcp_reopen_time_wait_from_server(kd):
    """A reply-side SYN in TIME_WAIT: the new entry's originator is the old
    responder (§5.4 note 1)."""
    sc = kd.scenario()
    f = established(sc, 43100)
    f.close()
    f.s(SYN, seq=f.nxt["s"] + 100000, ack=0, opts=OPTS)
    sc.finish()
    kd.check(sc)


@pytest.mark.parametrize("loose", ["1", "0"])
def test_tcp_midstream_pickup(kd, loose):
    sc = kd.scenario({"net.netfilter.nf_conntrack_tcp_loose": loose})
    f = TcpFlow(sc, C4, S4, 44000, 22)
    f.c(ACK | PSH, b"x" * 50)
    f.s(ACK | PSH, b"y" * 70)
    f.c(ACK)
    f.c(ACK | PSH, b"z" * 20)
    # The same started from the server side.
    g = TcpFlow(sc, C4, S4, 44001, 22)
    g.s(ACK, b"s" * 10)
    g.c(ACK)
    sc.finish()
    if loose == "1":
        assert sc.kernel_has(" ESTABLISHED ", "sport=44000", "[ASSURED]"), sc.kernel_table
    else:
        assert sc.kernel_count() == 0, sc.kernel_table
    kd.check(sc)


def test_tcp_out_of_window(kd):
    sc = kd.scenario()
    f = established(sc, 45000)
    cn, sn = f.nxt["c"], f.nxt["s"]
    f.c(ACK | PSH, b"a" * 10, seq=cn + 50_000_000, advance=False)   # SEQ over upper bound
    f.c(ACK, ack=sn + 50_000_000, advance=False)                   # ACK over upper bound
    f.c(ACK | PSH, b"b" * 10, seq=cn - 3_000_000, advance=False)     # SEQ under lower bound
    f.c(ACK, ack=sn - 3_000_000, advance=False)                    # ACK under lower bound
    f.c(ACK | PSH, b"c" * 10)                                       # still fine
    f.s(ACK)
    sc.finish()
    kd.check(sc)


def test_tcp_retransmissions_and_dup_acks(kd):
    sc = kd.scenario()
    f = established(sc, 45100)
    p = f.c(ACK | PSH, b"d" * 300)
    sc.c(p, p)                     # retransmitted data
    for _ in range(4):             # identical ACKs: max_retrans cap (§5.7 rule 1)
        f.s(ACK)
    f.c(ACK | PSH, b"e" * 10)
    sc.finish()
    kd.check(sc)


def test_tcp_bad_flags(kd):
    """§5.1: bare FIN, NULL, SYN+FIN, FIN+RST and Xmas are INVALID even in an
    established flow; FIN+ACK+URG is fine."""
    sc = kd.scenario()
    f = established(sc, 46000)
    for fl in (FIN, 0, SYN | FIN, FIN | RST, FIN | SYN | RST | PSH | ACK | URG):
        f.c(fl, advance=False, ack=f.nxt["s"])
    TcpFlow(sc, C4, S4, 46001, 80).c(SYN | FIN)
    TcpFlow(sc, C4, S4, 46002, 80).c(0)
    TcpFlow(sc, C4, S4, 46003, 80).c(SYN | ACK)   # no entry: INVALID
    TcpFlow(sc, C4, S4, 46004, 80).c(FIN | ACK)   # no entry: INVALID
    TcpFlow(sc, C4, S4, 46005, 80).c(RST)         # no entry: INVALID
    sc.finish()
    kd.check(sc)


@pytest.mark.parametrize("sysctl_checksum", ["1", "0"])
def test_tcp_bad_checksum(kd, sysctl_checksum):
    sc = kd.scenario({"net.netfilter.nf_conntrack_checksum": sysctl_checksum})
    TcpFlow(sc, C4, S4, 47000, 80).c(SYN, opts=OPTS, bad_csum=True)
    f = established(sc, 47001)
    f.c(ACK | PSH, b"x" * 10, bad_csum=True, advance=False)
    f.s(ACK | PSH, b"y" * 10, bad_csum=True, advance=False)
    f.c(ACK | PSH, b"z" * 10)
    sc.finish()
    if sysctl_checksum == "1":
        assert not sc.kernel_has("sport=47000"), sc.kernel_table
    kd.check(sc)


def test_tcp_window_scaling(kd):
    """§5.8: both SYNs offer wscale 7, every window field is 1000; then data
    ahead of the next expected byte by 100000/120000/200000/300000; one flow
    where the SYN-ACK carries no wscale (scaling off both ways)."""
    sc = kd.scenario()
    ws = tcp_opts(mss=1460, sackperm=True, wscale=7)
    for i, ahead in enumerate((100000, 120000, 200000, 300000)):
        f = TcpFlow(sc, C4, S4, 48000 + i, 80)
        f.c(SYN, opts=ws, win=1000)
        f.s(SYN | ACK, opts=ws, win=1000)
        f.c(ACK, win=1000)
        f.c(ACK | PSH, b"w" * 100, seq=f.nxt["c"] + ahead, win=1000, advance=False)
    for i, ahead in enumerate((500, 100000)):
        f = TcpFlow(sc, C4, S4, 48010 + i, 80)
        f.c(SYN, opts=ws, win=1000)
        f.s(SYN | ACK, opts=tcp_opts(mss=1460), win=1000)
        f.c(ACK, win=1000)
        f.c(ACK | PSH, b"w" * 100, seq=f.nxt["c"] + ahead, win=1000, advance=False)
    sc.finish()
    kd.check(sc)


def test_tcp_simultaneous_open(kd):
    """§5.4 note 5: SS -> S2 -> SR -> ES."""
    sc = kd.scenario()
    f = TcpFlow(sc, C4, S4, 49000, 49000)
    f.c(SYN, opts=OPTS)
    f.s(SYN, opts=OPTS)
    f.c(SYN | ACK, seq=f.nxt["c"] - 1, opts=OPTS)
    f.s(SYN | ACK, seq=f.nxt["s"] - 1, opts=OPTS)
    f.c(ACK)
    f.s(ACK)
    sc.finish()
    kd.check(sc)


def test_tcp_syn_retransmit_no_refresh(kd):
    """§5.7: SYNs in SYN_SENT before a reply are neither counted nor
    refresh the timeout (119 -> 117 after 2 s)."""
    sc = kd.scenario()
    f = TcpFlow(sc, C4, S4, 49100, 80)
    p = f.c(SYN, opts=OPTS)
    sc.sleep(2.2)
    sc.c(p)
    sc.finish()
    kd.check(sc)


def test_tcp_ipv6(kd):
    sc = kd.scenario()
    f = established(sc, 50000, ca=C6, sa=S6)
    f.close()
    established(sc, 50001, ca=C6, sa=S6)
    TcpFlow(sc, C6, S6, 50002, 80).c(SYN, opts=OPTS)
    g = established(sc, 50003, ca=C6, sa=S6)
    g.c(RST, seq=g.nxt["c"], ack=0)
    TcpFlow(sc, C6, S6, 50004, 80).c(SYN, opts=OPTS, bad_csum=True)
    sc.finish()
    assert sc.kernel_has("ipv6", "TIME_WAIT", "sport=50000"), sc.kernel_table
    kd.check(sc)


def test_tcp_syn_in_established_resync(kd):
    """§5.5: a new client SYN on an established flow is ignored, the server's
    SYN-ACK acknowledging it resynchronises (SR), the client ACK -> ES."""
    sc = kd.scenario()
    established(sc, 51000)
    g = TcpFlow(sc, C4, S4, 51000, 80, cisn=77000000, sisn=88000000)
    g.handshake(copts=OPTS, sopts=OPTS)
    g.data(10)
    sc.finish()
    kd.check(sc)


def test_tcp_syn_reinit_in_syn_sent(kd):
    """§5.8: a later SYN with a higher end re-initialises the sender in SS;
    a SYN-ACK acking the old ISN fails (stays SS, UNREPLIED cleared)."""
    sc = kd.scenario()
    f = TcpFlow(sc, C4, S4, 51100, 80)
    f.c(SYN, opts=OPTS)
    f.c(SYN, seq=f.nxt["c"] + 100000, opts=OPTS)
    f.s(SYN | ACK, ack=1000001, opts=OPTS)        # acks the old ISN
    g = TcpFlow(sc, C4, S4, 51101, 80)
    g.c(SYN, opts=OPTS)
    g.c(SYN, seq=g.nxt["c"] + 100000, opts=OPTS)
    g.s(SYN | ACK, opts=OPTS)                     # acks the new ISN
    g.c(ACK)
    sc.finish()
    kd.check(sc)


def test_tcp_last_ack_challenge(kd):
    """§5.4 note 3: in LAST_ACK a client SYN arms a challenge ACK; the next
    server ACK does not move to TIME_WAIT."""
    sc = kd.scenario()
    f = established(sc, 51200)
    f.c(FIN | ACK)
    f.s(ACK)
    f.s(FIN | ACK)
    f.c(SYN, seq=f.nxt["c"] + 5000, opts=OPTS, advance=False)
    f.s(ACK, seq=f.nxt["s"])
    sc.finish()
    kd.check(sc)


def test_tcp_zero_window_and_unacked(kd):
    """§5.7 rules 3 and 4: unacknowledged data caps at UNACK (300 s); a zero
    window caps at RETRANS (300 s)."""
    sc = kd.scenario()
    f = established(sc, 51300)
    f.c(ACK | PSH, b"u" * 500)                    # not acked yet
    g = established(sc, 51301)
    g.s(ACK, win=0)
    g.c(ACK)
    sc.finish()
    kd.check(sc)


def test_tcp_be_liberal(kd):
    """§5.8: with nf_conntrack_tcp_be_liberal=1 out-of-window segments are
    accepted (window data not updated)."""
    sc = kd.scenario({"net.netfilter.nf_conntrack_tcp_be_liberal": "1"})
    f = established(sc, 51400)
    cn, sn = f.nxt["c"], f.nxt["s"]
    f.c(ACK | PSH, b"a" * 10, seq=cn + 50_000_000, advance=False)
    f.c(ACK, ack=sn + 50_000_000, advance=False)
    f.c(ACK | PSH, b"c" * 10)
    sc.finish()
    kd.check(sc)


def test_tcp_fin_variants(kd):
    """Server closes first; both FINs cross; FIN retransmitted (FW -> LA)."""
    sc = kd.scenario()
    f = established(sc, 51500)
    f.s(FIN | ACK)
    f.c(ACK)
    f.c(FIN | ACK)
    f.s(ACK)
    g = established(sc, 51501)
    pc = g.c(FIN | ACK, send=False)
    ps = g.s(FIN | ACK, ack=g.nxt["c"] - 1, send=False)
    sc.c(pc)
    sc.s(ps)
    g.c(ACK)
    g.s(ACK)
    h = established(sc, 51502)
    p = h.c(FIN | ACK)
    sc.c(p)
    sc.finish()
    kd.check(sc)

