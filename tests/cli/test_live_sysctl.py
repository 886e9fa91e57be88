# SPDX-License-Identifier: MIT
"""ctrack-sysctl against ctrackd beside procps' sysctl in a throw-away kernel
network namespace: the same command lines on both, comparing stdout, stderr
and the exit status; then the kernel's effect of nf_conntrack_acct on
existing and new entries (seen with conntrack / ctrack -L), and
nf_conntrack_max, which only ctrackd lets us change (the kernel's is global
and read-only in a child namespace; the host's value is never written)."""
import os
import shutil
import subprocess

import pytest

from conftest import BUILD, _pair

NF = "net.netfilter."


@pytest.fixture(scope="module")
def pair():
    if not shutil.which("sysctl"):
        pytest.skip("sysctl is not installed")
    if not os.access(os.path.join(BUILD, "ctrack-sysctl"), os.X_OK):
        pytest.skip("build/ctrack-sysctl is missing: run make")
    for p in _pair():
        os.symlink(os.path.join(BUILD, "ctrack-sysctl"), os.path.join(p.bindir, "sysctl"))
        yield p


def real(p, *args):
    r = subprocess.run(["ip", "netns", "exec", p.ns, "sysctl"] + list(args), capture_output=True,
                       text=True, timeout=10, env=p.env)
    return r.returncode, r.stdout, r.stderr


def ours(p, *args):
    # argv[0] "sysctl", as the real one gets it: messages carry that name
    r = subprocess.run(["sysctl"] + list(args), executable=os.path.join(p.bindir, "sysctl"),
                       capture_output=True, text=True, timeout=10, env=p.env)
    return r.returncode, r.stdout, r.stderr


def same(p, *args):
    r, o = real(p, *args), ours(p, *args)
    assert o == r, f"sysctl {' '.join(args)}\nreal: {r}\nours: {o}"
    return o


CASES = [
    [NF + "nf_conntrack_tcp_timeout_established"],
    [NF + "nf_conntrack_acct", NF + "nf_conntrack_timestamp", NF + "nf_conntrack_checksum"],
    ["net/netfilter/nf_conntrack_udp_timeout"],
    ["-n", NF + "nf_conntrack_generic_timeout"],
    ["-N", NF + "nf_conntrack_generic_timeout"],
    [NF + "nf_conntrack_count"],
    [NF + "nf_conntrack_nope"],
    ["-e", NF + "nf_conntrack_nope"],
    [NF + "nf_conntrack_acct", NF + "nf_conntrack_nope", NF + "nf_conntrack_timestamp"],
    ["nf_conntrack_acct"],
    ["-w", NF + "nf_conntrack_tcp_timeout_established=7200"],
    [NF + "nf_conntrack_tcp_timeout_established"],
    ["-w", NF + "nf_conntrack_tcp_timeout_established=0x1c20"],
    [NF + "nf_conntrack_tcp_timeout_established"],
    ["-w", NF + "nf_conntrack_tcp_timeout_established=7300 "],
    ["-w", NF + "nf_conntrack_tcp_timeout_established=99999999999"],
    ["-w", NF + "nf_conntrack_tcp_timeout_established=x"],
    ["-w", NF + "nf_conntrack_tcp_timeout_established="],
    ["-w", NF + "nf_conntrack_tcp_timeout_established"],
    [NF + "nf_conntrack_tcp_timeout_established=432000"],
    ["-q", "-w", NF + "nf_conntrack_udp_timeout=40"],
    [NF + "nf_conntrack_udp_timeout"],
    ["-w", NF + "nf_conntrack_udp_timeout=30", NF + "nf_conntrack_udp_timeout_stream=150"],
    ["-w", NF + "nf_conntrack_udp_timeout_stream=120"],
    ["-w", NF + "nf_conntrack_acct=5"],
    ["-w", NF + "nf_conntrack_events=3"],
    ["-w", NF + "nf_conntrack_tcp_max_retrans=256"],
    ["-w", NF + "nf_conntrack_tcp_loose=0"],
    ["-w", NF + "nf_conntrack_tcp_loose=1"],
    ["-w", NF + "nf_conntrack_nope=1"],
    # a read-only key: sysctl warns and still exits 0
    ["-w", NF + "nf_conntrack_count=3"],
    ["-w", "net.ipv4.ipfrag_time=31"],
    ["net.ipv4.ipfrag_time"],
    ["-w", "net.ipv4.ipfrag_time=30"],
]


def test_same_as_sysctl(pair):
    for args in CASES:
        same(pair, *args)


def test_all(pair):
    """-a: every setting ctrackd has, with the kernel's defaults and names."""
    rc, out, err = ours(pair, "-a")
    assert rc == 0 and err == ""
    lines = out.splitlines()
    assert lines == sorted(lines)
    mine = dict(ln.split(" = ") for ln in lines)
    assert mine.pop(NF + "ctrack_compat_rst_unack") == "0"
    rc, kout, _ = real(pair, "-a")
    kernel = dict(ln.split(" = ", 1) for ln in kout.splitlines() if " = " in ln)
    # the table sizes are ctrackd's -m, the kernel's the host's
    for k in ("nf_conntrack_max", "nf_conntrack_buckets"):
        assert int(mine.pop(NF + k)) > 0
    assert len(mine) > 40
    for k, v in mine.items():
        assert kernel.get(k) == v, k


def conntrack(p, side, *args):
    if side == "real":
        return p.real(list(args))
    return p.ours(list(args))


def test_acct_applies_to_new_entries(pair):
    """nf_conntrack_acct at runtime: entries created before it keep no counters."""
    for side, sysctl in (("real", real), ("ours", ours)):
        assert sysctl(pair, "-qw", NF + "nf_conntrack_acct=0")[0] == 0
        assert conntrack(pair, side, "-I", "-s", "10.7.0.1", "-d", "10.7.0.2", "-p", "udp",
                         "--sport", "1", "--dport", "2", "-t", "100")[0] == 0
        assert sysctl(pair, "-w", NF + "nf_conntrack_acct=1")[:2] == \
            (0, NF + "nf_conntrack_acct = 1\n")
        assert conntrack(pair, side, "-I", "-s", "10.7.0.3", "-d", "10.7.0.2", "-p", "udp",
                         "--sport", "1", "--dport", "2", "-t", "100")[0] == 0
        rc, out, _ = conntrack(pair, side, "-L", "-d", "10.7.0.2")
        assert rc == 0
        before = [ln for ln in out.splitlines() if "src=10.7.0.1 " in ln]
        after = [ln for ln in out.splitlines() if "src=10.7.0.3 " in ln]
        assert len(before) == 1 and len(after) == 1, (side, out)
        assert "packets=" not in before[0], (side, before)
        assert after[0].count("packets=0 bytes=0") == 2, (side, after)
        assert sysctl(pair, "-qw", NF + "nf_conntrack_acct=0")[0] == 0
        conntrack(pair, side, "-D", "-d", "10.7.0.2")


def test_max_within_the_preallocated_table(pair):
    """nf_conntrack_max can be lowered and raised up to ctrackd's pool, not beyond."""
    rc, out, _ = ours(pair, "-n", NF + "nf_conntrack_max")
    assert rc == 0
    pool = int(out)
    try:
        assert ours(pair, "-w", NF + "nf_conntrack_max=2") == \
            (0, NF + "nf_conntrack_max = 2\n", "")
        for i in (1, 2):
            assert pair.ours(["-I", "-s", f"10.8.0.{i}", "-d", "10.8.0.9", "-p", "udp", "--sport",
                              "1", "--dport", "2", "-t", "100"])[0] == 0
        # the table is full: a third entry is refused, the two stay
        assert pair.ours(["-I", "-s", "10.8.0.3", "-d", "10.8.0.9", "-p", "udp", "--sport", "1",
                          "--dport", "2", "-t", "100"])[0] != 0
        assert ours(pair, NF + "nf_conntrack_count")[1] == NF + "nf_conntrack_count = 2\n"
        # lowering below the count kills nothing (new entries go through early drop)
        assert ours(pair, "-qw", NF + "nf_conntrack_max=1")[0] == 0
        assert ours(pair, NF + "nf_conntrack_count")[1] == NF + "nf_conntrack_count = 2\n"
        rc, out, err = ours(pair, "-w", f"{NF}nf_conntrack_max={pool + 1}")
        assert rc == 1 and out == ""
        assert err.startswith(f'sysctl: setting key "{NF}nf_conntrack_max": Invalid argument\n')
        assert f"preallocated for {pool} entries" in err and "-m" in err
        rc, _, err = ours(pair, "-w", NF + "nf_conntrack_max=0")
        assert rc == 1 and "not supported" in err
        assert ours(pair, "-n", NF + "nf_conntrack_max")[1] == "1\n"
    finally:
        ours(pair, "-qw", f"{NF}nf_conntrack_max={pool}")
        pair.ours(["-D", "-d", "10.8.0.9"])
    assert ours(pair, "-n", NF + "nf_conntrack_max")[1] == f"{pool}\n"


def test_no_daemon(tmp_path):
    exe = os.path.join(BUILD, "ctrack-sysctl")
    if not os.access(exe, os.X_OK):
        pytest.skip("build/ctrack-sysctl is missing")
    r = subprocess.run([exe, "--socket", str(tmp_path / "none"), "-a"], capture_output=True,
                       text=True)
    assert r.returncode == 1 and "cannot connect to ctrackd" in r.stderr
