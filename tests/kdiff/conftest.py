# SPDX-License-Identifier: MIT
"""pytest fixtures for the kernel-differential suite (see kdiff.py)."""

import os

import pytest

import kdiff

# Pin to one CPU: veth delivers injected frames through the per-CPU backlog,
# so sends from one CPU keep their order.
try:
    os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
except (AttributeError, OSError):
    pass

_NETNS_OK = None

DEFAULT_SYSCTLS = {"net.netfilter.nf_conntrack_acct": "1"}


def _netns_ok():
    global _NETNS_OK
    if _NETNS_OK is None:
        _NETNS_OK = kdiff.netns_available()
    return _NETNS_OK


class KDiff:
    def __init__(self, tmp_path, request):
        self.tmp_path = tmp_path
        self.request = request
        self.topo = None
        self.scenarios = []

    def scenario(self, sysctls=None, acct=True):
        """A fresh topology (fresh conntrack table) with fw sysctls applied."""
        assert self.topo is None, "one scenario per test"
        s = dict(DEFAULT_SYSCTLS if acct else {})
        s.update(sysctls or {})
        self.topo = kdiff.Topology(s)
        self.topo.up()
        sc = kdiff.Scenario(self.topo, str(self.tmp_path), s, name=self.request.node.name)
        self.scenarios.append(sc)
        return sc

    def check(self, sc):
        """Compare kernel and ctrack; fail with a full report on any difference."""
        if sc.kernel_table is None:
            sc.finish()
        if os.environ.get("KDIFF_KERNEL_ONLY"):
            print(sc.report(["(KDIFF_KERNEL_ONLY: ctrack not compared)"]))
            return
        diffs = sc.compare()
        if diffs:
            pytest.fail(sc.report(diffs), pytrace=False)

    def close(self):
        for sc in self.scenarios:
            sc.close()
        if self.topo is not None:
            self.topo.down()


@pytest.fixture
def kd(tmp_path, request):
    if not kdiff.is_root():
        pytest.skip("SKIP kdiff: needs root (network namespaces, AF_PACKET)")
    if not _netns_ok():
        pytest.skip("SKIP kdiff: `ip netns` does not work here")
    k = KDiff(tmp_path, request)
    request.addfinalizer(k.close)
    return k
