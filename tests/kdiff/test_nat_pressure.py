# SPDX-License-Identifier: MIT
"""Pressure (issue 5): 70,000 connections from one side through snat to one
address and one server.  64,512 UDP flows from 10.1.0.2:1024-65535 keep
their ports and fill the class 1024-65535 of 10.2.0.100 towards
10.2.0.2:53; 5,488 more from 10.11.0.5:1024-6511 search it (128 + 64 + 32 +
16 + 8 candidates from random offsets, §10.3 step 4), find nothing and are
dropped at confirm.  Compared: the table (every entry, NATed reply tuples
included), the forwarded count, and the drops as the kernel counts them
(`conntrack -S` insert_failed and drop)."""

import re
import time

import kdiff
from kdiff import C4, S4, udp_pkt
from nat_kd import nk  # noqa: F401

SNAT = """
table ip nat {
	chain post {
		type nat hook postrouting priority srcnat; policy accept;
		oifname "f1" counter snat to 10.2.0.100
	}
}
"""

N_KEEP = 65535 - 1024 + 1
N_MORE = 70000 - N_KEEP


def _kernel_stats(sc):
    """`conntrack -S` in the fw namespace, summed over the CPUs."""
    r = kdiff.run(["ip", "netns", "exec", sc.topo.f, "conntrack", "-S"]).stdout
    tot = {}
    for ln in r.splitlines():
        for k, v in re.findall(r"(\w+)=(\d+)", ln):
            if k != "cpu":
                tot[k] = tot.get(k, 0) + int(v)
    return tot


def test_pressure_70k_snat_one_address(nk):
    sc = nk.scenario(SNAT, filter_forward=False)
    t0 = time.monotonic()
    for p in range(1024, 65536):
        sc.c(udp_pkt(C4, S4, p, 53, payload=b"", ident=p))
    for p in range(1024, 1024 + N_MORE):
        sc.c(udp_pkt("10.11.0.5", S4, p, 53, payload=b"", ident=p))
    sc.finish()
    st = _kernel_stats(sc)
    assert len(sc.kernel_table) == N_KEEP, len(sc.kernel_table)
    assert st.get("insert_failed") == N_MORE and st.get("drop") == N_MORE, st
    sc.run_replay()
    assert len(sc.ctrack_table()) == N_KEEP
    m = re.search(r"dropped:.*conntrack (\d+)", sc.replay["stderr"])
    assert m and int(m.group(1)) == N_MORE, sc.replay["stderr"]
    diffs = kdiff.compare_tables(sc.kernel_table, sc.ctrack_table(), 5)
    assert not diffs, diffs[:20]
    assert len(sc.replay["out"]["s"]) == N_KEEP
    # The capture may miss frames under this load: the kernel's forwarded
    # count is its table above; what was captured cannot exceed it.
    assert len(sc.raw["s"]) <= N_KEEP
    print("pressure: %.1f s" % (time.monotonic() - t0))
