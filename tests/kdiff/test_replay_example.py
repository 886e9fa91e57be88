# SPDX-License-Identifier: MIT
"""The bundled example (examples/gen_office.py, examples/office.nft) through
a kernel router namespace configured as examples/demo.sh configures
ctrack-replay, and through ctrack-replay with demo.sh's own options.

The frames of the two example captures are injected in their merged order,
with the example's gaps kept up to GAP_CAP seconds (the capture spans about
a minute; the longest gap that matters is the 1.5 s between the datagrams
of the UDP flow that becomes a stream).  The kernel needs static neighbours
for the workstations; ctrack-replay gets only demo.sh's two and learns the
rest from the frames, as in the demo."""

import os
import subprocess
import time

import pytest

import kdiff
import replay_kd

GAP_CAP = 1.6

EXAMPLE_NET = replay_kd.Net(
    links=[
        replay_kd.Link("wan", "wan0", "02:00:00:00:01:01", ["203.0.113.1/24"],
                       "02:00:00:00:01:fe"),
        replay_kd.Link("lan", "lan0", "02:00:00:00:02:01", ["198.51.100.1/24"],
                       "02:00:00:00:02:0a"),
    ],
    # as in examples/demo.sh
    routes=[("0.0.0.0/0", "wan0", "203.0.113.254")],
    neighs=[("wan0", "203.0.113.254", "02:00:00:00:01:fe"),
            ("lan0", "198.51.100.10", "02:00:00:00:02:0a")],
    kernel_neighs=[("lan0", "198.51.100.%d" % h, "02:00:00:00:02:%02x" % h)
                   for h in (20, 21, 22)],
)


@pytest.fixture
def rk(tmp_path, request):
    if not kdiff.is_root() or not kdiff.netns_available():
        pytest.skip("SKIP replay kdiff: needs root and network namespaces")
    h = replay_kd.Harness(tmp_path, request)
    request.addfinalizer(h.close)
    return h


def test_office_example(rk, tmp_path):
    gen = os.path.join(kdiff.REPO, "examples", "gen_office.py")
    subprocess.run(["python3", gen, str(tmp_path / "ex")], check=True, capture_output=True)
    with open(os.path.join(kdiff.REPO, "examples", "office.nft")) as f:
        ruleset = f.read()
    frames = [(ts, n, "wan", fr) for n, (ts, fr) in
              enumerate(replay_kd.read_pcap(str(tmp_path / "ex" / "wan0.pcap")))]
    frames += [(ts, n, "lan", fr) for n, (ts, fr) in
               enumerate(replay_kd.read_pcap(str(tmp_path / "ex" / "lan0.pcap")))]
    frames.sort(key=lambda x: (x[0], x[2] == "lan", x[1]))   # demo.sh: --in wan0 first
    assert len(frames) > 100
    sc = rk.scenario(ruleset=ruleset, net=EXAMPLE_NET, nf={"nf_conntrack_acct": "0"})
    prev = None
    for ts, _, side, fr in frames:
        if prev is not None:
            gap = min((ts - prev) / 1e9, GAP_CAP)
            if gap > 0.002:
                sc.sleep(gap)
        prev = ts
        sc.send_frame(side, fr)
    diffs = rk.diffs(sc)
    if os.environ.get("REPLAY_KD_VERBOSE"):
        print(sc.report(diffs))
    if diffs:
        pytest.fail(sc.report(diffs), pytrace=False)
    # The example does what it says: the scan is dropped, the sessions pass.
    assert any("ESTABLISHED" in ln and "dport=22" in ln for ln in sc.kernel_table)
    assert sum("TIME_WAIT" in ln for ln in sc.kernel_table) >= 5
