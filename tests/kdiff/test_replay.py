# SPDX-License-Identifier: MIT
"""ctrack-replay against a kernel router namespace: the office ruleset
(replay_kd.OFFICE_RULESET) and IPv4 / IPv6 traffic through and to the
firewall.  Every test compares forwarded and generated frames byte for byte,
drops, the final table and the rule counters (see replay_kd.py)."""

import os

import pytest

import kdiff
import replay_kd
from kdiff import ACK, FIN, PSH, RST, SYN, tcp_opts, udp_pkt, echo_pkt, icmp_error
from replay_kd import (LAN4, LAN6, WAN4, WAN6, FW_LAN4, FW_LAN6, FW_WAN4, FW_WAN6, SERVER4,
                       SERVER6)

_NETNS = None


@pytest.fixture
def rk(tmp_path, request):
    global _NETNS
    if not kdiff.is_root():
        pytest.skip("SKIP replay kdiff: needs root (network namespaces, AF_PACKET)")
    if _NETNS is None:
        _NETNS = kdiff.netns_available()
    if not _NETNS:
        pytest.skip("SKIP replay kdiff: `ip netns` does not work here")
    h = replay_kd.Harness(tmp_path, request)
    request.addfinalizer(h.close)
    return h


def check(rk, sc):
    diffs = rk.diffs(sc)
    if os.environ.get("REPLAY_KD_VERBOSE"):
        print(sc.report(diffs))
    if diffs:
        pytest.fail(sc.report(diffs), pytrace=False)


OPTS = tcp_opts(mss=1460, sackperm=True, wscale=7)


def test_tcp_sessions_v4(rk):
    """A LAN host's web session out (accepted by iifname/oifname), an ssh
    session in to the server (dport rule, ct state new), both closed; an
    ssh session left open; an http session in whose server resets."""
    sc = rk.scenario()
    out = sc.flow("lan", "wan", "10.11.0.20", "10.22.0.80", 50000, 80)
    out.handshake(OPTS, OPTS)
    out.data(300)
    out.data(40)
    ssh = sc.flow("wan", "lan", "10.22.0.200", SERVER4, 51022, 22, cisn=7770000, sisn=8880000)
    ssh.handshake(OPTS, OPTS)
    ssh.data(48)
    out.close()
    ssh.data(64)
    ssh.close()
    keep = sc.flow("wan", "lan", "10.22.0.202", SERVER4, 52000, 22, cisn=100, sisn=900)
    keep.handshake(OPTS, OPTS)
    web = sc.flow("wan", "lan", "10.22.0.201", SERVER4, 40404, 80, cisn=5000, sisn=6000)
    web.handshake()
    web.c(ACK | PSH, b"GET / HTTP/1.0\r\n\r\n")
    web.s(RST | ACK)
    check(rk, sc)
