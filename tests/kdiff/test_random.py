# SPDX-License-Identifier: MIT
"""Randomised differential scenarios (fixed seeds, so a failure reproduces):
TCP segments with random flags, sequence and acknowledgement numbers and
windows on a few flows, so that the state tables, window checks, RST and
resync rules meet combinations no hand-written test covers."""

import os
import random

import pytest

from kdiff import ACK, FIN, PSH, RST, SYN, URG, C4, S4, C6, S6, TcpFlow, tcp_opts

FLAGS = [SYN, SYN | ACK, ACK, ACK | PSH, FIN | ACK, RST, RST | ACK, ACK | URG, SYN | FIN, FIN]
WEIGHTS = [6, 5, 12, 12, 5, 3, 3, 1, 1, 1]


def _segment(f, rng):
    side = rng.choice("cs")
    other = "s" if side == "c" else "c"
    flags = rng.choices(FLAGS, WEIGHTS)[0]
    r = rng.random()
    nxt = f.nxt[side]
    if r < 0.6:
        seq = nxt
    elif r < 0.75:
        seq = nxt + rng.randrange(1, 70000)
    elif r < 0.9:
        seq = nxt - rng.randrange(1, 70000)
    else:
        seq = rng.getrandbits(32)
    r = rng.random()
    if not flags & ACK:
        ack = 0 if rng.random() < 0.8 else f.nxt[other]
    elif r < 0.7:
        ack = f.nxt[other]
    elif r < 0.85:
        ack = f.nxt[other] + rng.randrange(-3000, 3000)
    else:
        ack = rng.getrandbits(32)
    data = b""
    if not flags & (SYN | RST) and rng.random() < 0.5:
        data = b"d" * rng.choice([1, 10, 100, 1000])
    opts = b""
    if flags & SYN:
        opts = tcp_opts(mss=1460, sackperm=rng.random() < 0.5,
                        wscale=rng.choice([None, 0, 2, 7, 14]))
    win = rng.choice([0, 100, 1000, 29200, 65535])
    f._pkt(side, flags, data, seq=seq & 0xFFFFFFFF, ack=ack & 0xFFFFFFFF, win=win, opts=opts,
           advance=(seq == nxt))


def _seeds():
    """12 seeds by default; KDIFF_SEEDS=A-B runs seeds A..B instead."""
    spec = os.environ.get("KDIFF_SEEDS")
    if spec:
        a, _, b = spec.partition("-")
        return range(int(a), int(b or a) + 1)
    return range(1, 13)


@pytest.mark.parametrize("seed", _seeds())
def test_random_tcp(kd, seed):
    rng = random.Random(seed)
    sysctls = {}
    if seed % 3 == 0:
        sysctls["net.netfilter.nf_conntrack_tcp_loose"] = "0"
    if seed % 4 == 0:
        sysctls["net.netfilter.nf_conntrack_tcp_be_liberal"] = "1"
    sc = kd.scenario(sysctls)
    flows = []
    for i in range(12):
        v6 = i % 4 == 3
        f = TcpFlow(sc, C6 if v6 else C4, S6 if v6 else S4, 30000 + i, 80,
                    cisn=rng.getrandbits(32), sisn=rng.getrandbits(32))
        if rng.random() < 0.7:
            o = tcp_opts(mss=1460, sackperm=True, wscale=rng.choice([None, 7]))
            f.handshake(copts=o, sopts=o)
        flows.append(f)
    for _ in range(400):
        _segment(rng.choice(flows), rng)
    sc.finish()
    kd.check(sc)
