# SPDX-License-Identifier: MIT
"""Per-netns settings (spec §12) and expiry: the sysctls are set in the fw
namespace and passed to ctrack-track with --set."""

from kdiff import ACK, FIN, PSH, SYN, C4, S4, C6, S6, TcpFlow, tcp_opts, udp_pkt, echo_pkt

OPTS = tcp_opts(mss=1460, sackperm=True, wscale=7)


def test_custom_timeouts(kd):
    sc = kd.scenario({
        "net.netfilter.nf_conntrack_tcp_timeout_established": "1000",
        "net.netfilter.nf_conntrack_tcp_timeout_syn_sent": "50",
        "net.netfilter.nf_conntrack_tcp_timeout_time_wait": "7",
        "net.netfilter.nf_conntrack_udp_timeout": "40",
        "net.netfilter.nf_conntrack_udp_timeout_stream": "77",
        "net.netfilter.nf_conntrack_icmp_timeout": "15",
        "net.netfilter.nf_conntrack_icmpv6_timeout": "16",
        "net.netfilter.nf_conntrack_generic_timeout": "33",
    })
    f = TcpFlow(sc, C4, S4, 60000, 80)
    f.handshake(copts=OPTS, sopts=OPTS)
    TcpFlow(sc, C4, S4, 60001, 80).c(SYN, opts=OPTS)
    g = TcpFlow(sc, C4, S4, 60002, 80)
    g.handshake(copts=OPTS, sopts=OPTS)
    g.close()
    sc.c(udp_pkt(C4, S4, 60003, 53))
    sc.c(echo_pkt(C4, S4, 7, 1))
    sc.c(echo_pkt(C6, S6, 8, 1))
    from kdiff import ip
    sc.c(ip(C4, S4, 254, b"generic"))
    sc.finish()
    assert sc.kernel_has(" 1000 ESTABLISHED ") or sc.kernel_has(" 999 ESTABLISHED "), \
        sc.kernel_table
    kd.check(sc)


def test_expiry(kd):
    """Entries whose timeout has passed are not listed; a packet after the
    expiry creates a fresh entry (the reply direction becomes the
    original)."""
    sc = kd.scenario({"net.netfilter.nf_conntrack_udp_timeout": "1",
                      "net.netfilter.nf_conntrack_icmp_timeout": "1",
                      "net.netfilter.nf_conntrack_tcp_timeout_time_wait": "1"})
    sc.c(udp_pkt(C4, S4, 61000, 53))
    sc.c(udp_pkt(C4, S4, 61001, 53))
    sc.c(echo_pkt(C4, S4, 9, 1))
    f = TcpFlow(sc, C4, S4, 61002, 80)
    f.handshake(copts=OPTS, sopts=OPTS)
    f.close()
    sc.sleep(2.2)
    sc.s(udp_pkt(S4, C4, 53, 61001))                # after expiry: new flow
    sc.s(echo_pkt(S4, C4, 9, 1, reply=True))         # no entry any more: INVALID
    sc.finish()
    assert not sc.kernel_has("sport=61000 "), sc.kernel_table
    assert sc.kernel_has("src=10.2.0.2 dst=10.1.0.2 sport=53 dport=61001 "), sc.kernel_table
    kd.check(sc)


def test_accounting_off_then_default(kd):
    """acct off (the kernel default): no packets=/bytes= fields."""
    sc = kd.scenario(acct=False)
    f = TcpFlow(sc, C6, S6, 62000, 443)
    f.handshake(copts=OPTS, sopts=OPTS)
    f.c(ACK | PSH, b"x" * 33)
    f.c(FIN | ACK)
    sc.c(udp_pkt(C6, S6, 62001, 53))
    sc.finish()
    assert not sc.kernel_has("packets="), sc.kernel_table
    kd.check(sc)


def test_timestamps(kd):
    """nf_conntrack_timestamp=1: listings carry delta-time= (seconds since
    the entry was created)."""
    sc = kd.scenario({"net.netfilter.nf_conntrack_timestamp": "1"})
    sc.c(udp_pkt(C4, S4, 63000, 53))
    f = TcpFlow(sc, C4, S4, 63001, 80)
    f.handshake(copts=OPTS, sopts=OPTS)
    sc.sleep(1.5)
    sc.c(udp_pkt(C4, S4, 63002, 53))
    sc.finish()
    assert sc.kernel_has("delta-time="), sc.kernel_table
    kd.check(sc)
