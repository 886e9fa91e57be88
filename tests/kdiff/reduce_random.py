#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Reduce a failing test_random_tcp seed to a minimal packet sequence.

    CTRACK_BUILD=build /usr/bin/python3 tests/kdiff/reduce_random.py SEED

Rebuilds the seed's packets, runs them once, takes the flow of the first
packet whose verdict differs (or of the first differing table line), keeps
that flow's packets up to that point and greedily removes packets while
kernel and ctrack still differ.  Prints the minimal sequence as a report and
as TcpFlow calls.  Needs root (network namespaces)."""

import os
import random
import re
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import kdiff          # noqa: E402
import test_random    # noqa: E402


class _Collect:
    def __init__(self):
        self.pk = []

    def c(self, *p):
        self.pk += [("c", x) for x in p]

    def s(self, *p):
        self.pk += [("s", x) for x in p]


def seed_packets(seed):
    rng = random.Random(seed)
    sc = _Collect()
    flows = []
    for i in range(12):
        v6 = i % 4 == 3
        f = kdiff.TcpFlow(sc, kdiff.C6 if v6 else kdiff.C4, kdiff.S6 if v6 else kdiff.S4,
                          30000 + i, 80, cisn=rng.getrandbits(32), sisn=rng.getrandbits(32))
        if rng.random() < 0.7:
            o = kdiff.tcp_opts(mss=1460, sackperm=True, wscale=rng.choice([None, 7]))
            f.handshake(copts=o, sopts=o)
        flows.append(f)
    for _ in range(400):
        test_random._segment(rng.choice(flows), rng)
    sysctls = {"net.netfilter.nf_conntrack_acct": "1"}
    if seed % 3 == 0:
        sysctls["net.netfilter.nf_conntrack_tcp_loose"] = "0"
    if seed % 4 == 0:
        sysctls["net.netfilter.nf_conntrack_tcp_be_liberal"] = "1"
    return sysctls, sc.pk


def client_port(l3):
    m = re.search(r":(3\d{4}) ", kdiff.describe(l3))
    return int(m.group(1)) if m else None


def as_calls(packets):
    out = []
    for side, l3 in packets:
        v6 = l3[0] >> 4 == 6
        l4 = l3[40:] if v6 else l3[(l3[0] & 15) * 4:]
        seq, ack = int.from_bytes(l4[4:8], "big"), int.from_bytes(l4[8:12], "big")
        off, fl, win = (l4[12] >> 4) * 4, l4[13], int.from_bytes(l4[14:16], "big")
        names = "|".join(n for b, n in ((kdiff.SYN, "SYN"), (kdiff.FIN, "FIN"), (kdiff.RST, "RST"),
                                        (kdiff.PSH, "PSH"), (kdiff.ACK, "ACK"), (kdiff.URG, "URG"))
                         if fl & b) or "0"
        data = len(l4) - off
        args = [names]
        if data:
            args.append('b"d" * %d' % data)
        args += ["seq=%d" % seq, "ack=%d" % ack, "win=%d" % win]
        if off > 20:
            args.append('opts=bytes.fromhex("%s")' % l4[20:off].hex())
        out.append("    f.%s(%s)" % (side, ", ".join(args)))
    return "\n".join(out)


def main():
    seed = int(sys.argv[1])
    os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    work = tempfile.mkdtemp(prefix="kd-reduce-")
    sysctls, pk = seed_packets(seed)
    diffs, sc = kdiff.differs(sysctls, pk, work)
    if not diffs:
        print("seed %d: no difference" % seed)
        return 0
    kfwd, _ = sc.kernel_forwarded()
    cfwd = sc.ctrack_out[3]
    first = next((i for i, (a, b) in enumerate(zip(kfwd, cfwd)) if a != b), None)
    if first is not None:
        port = client_port(pk[first][1])
        cut = pk[:first + 1]
    else:
        m = re.search(r"sport=(3\d{4})|dport=(3\d{4})", diffs[0])
        port = int(m.group(1) or m.group(2))
        cut = pk
    flow = [(s, p) for s, p in cut if client_port(p) == port]
    print("seed %d: flow %d, %d packets before reduction" % (seed, port, len(flow)))
    small, report = kdiff.minimise(sysctls, flow, work)
    print(report)
    print("sysctls:", sysctls)
    print(as_calls(small))
    return 1


if __name__ == "__main__":
    sys.exit(main())
