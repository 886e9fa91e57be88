# SPDX-License-Identifier: MIT
"""Fixtures for the CLI conformance tests: the real conntrack in a private
kernel network namespace beside ctrack talking to a private ctrackd."""
import os
import shutil
import signal
import subprocess
import tempfile
import time

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.environ.get("CTRACK_BUILD", os.path.join(ROOT, "build"))

RULESET = """
table inet ctcli {
    chain out { type filter hook output priority 0; ct state new accept; }
    chain in { type filter hook input priority 0; ct state established accept; }
}
"""


def _need_root():
    if os.geteuid() != 0:
        pytest.skip("CLI conformance tests need root (network namespaces)")
    for tool in ("ip", "nft", "conntrack"):
        if not shutil.which(tool):
            pytest.skip(f"{tool} is not installed")
    for b in ("ctrack", "ctrackd"):
        if not os.access(os.path.join(BUILD, b), os.X_OK):
            pytest.skip(f"build/{b} is missing: run make")


class Pair:
    """Runs the same conntrack command line on both sides."""

    def __init__(self, ns, sock, bindir):
        self.ns = ns
        self.env = dict(os.environ, CTRACK_SOCKET=sock, LC_ALL="C", TZ="UTC")
        self.bindir = bindir
        self.exe = os.path.join(bindir, "conntrack")

    def real(self, args, timeout=10, stdin=None):
        p = subprocess.run(["ip", "netns", "exec", self.ns, "conntrack"] + list(args),
                           capture_output=True, text=True, timeout=timeout, input=stdin,
                           env=self.env)
        return p.returncode, p.stdout, p.stderr

    def ours(self, args, timeout=10, stdin=None):
        # Through a symlink named conntrack, with argv[0] "conntrack" as the
        # real one gets it from `ip netns exec`: the process name and the
        # usage text's program name match.
        p = subprocess.run(["conntrack"] + list(args), executable=self.exe,
                           capture_output=True, text=True, timeout=timeout, input=stdin,
                           env=self.env)
        return p.returncode, p.stdout, p.stderr

    def popen_real(self, args):
        return subprocess.Popen(["ip", "netns", "exec", self.ns, "conntrack"] + list(args),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                env=self.env)

    def popen_ours(self, args):
        return subprocess.Popen(["conntrack"] + list(args), executable=self.exe,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                env=self.env)


def _pair(sysctls=()):
    """A namespace for the real conntrack and a ctrackd for ours, with the same
    conntrack sysctls set on both sides (per-namespace ones: the host is not
    touched)."""
    _need_root()
    ns = f"ctcli{os.getpid()}{'t' if sysctls else ''}"
    tmp = tempfile.mkdtemp(prefix="ctcli.")
    sock = os.path.join(tmp, "ctrackd.sock")
    os.symlink(os.path.join(BUILD, "ctrack"), os.path.join(tmp, "conntrack"))
    subprocess.run(["ip", "netns", "add", ns], check=True)
    daemon = None
    try:
        subprocess.run(["ip", "netns", "exec", ns, "nft", "-f", "-"], input=RULESET, text=True,
                       check=True)
        opts = []
        for name, value in sysctls:
            subprocess.run(["ip", "netns", "exec", ns, "sysctl", "-qw",
                            f"net.netfilter.{name}={value}"], check=True)
            opts += ["-o", f"{name}={value}"]
        log = open(os.path.join(tmp, "ctrackd.log"), "w")
        daemon = subprocess.Popen([os.path.join(BUILD, "ctrackd"), "-s", sock] + opts, stderr=log)
        for _ in range(100):
            if os.path.exists(sock):
                break
            time.sleep(0.02)
        yield Pair(ns, sock, tmp)
    finally:
        if daemon:
            daemon.send_signal(signal.SIGTERM)
            try:
                daemon.wait(timeout=5)
            except subprocess.TimeoutExpired:
                daemon.kill()
        subprocess.run(["ip", "netns", "del", ns])
        shutil.rmtree(tmp, ignore_errors=True)


@pytest.fixture(scope="module")
def pair():
    yield from _pair()


@pytest.fixture(scope="module")
def pair_ts():
    """Accounting and timestamps on: packets=/bytes=, delta-time=, [start=]."""
    yield from _pair((("nf_conntrack_acct", 1), ("nf_conntrack_timestamp", 1)))
