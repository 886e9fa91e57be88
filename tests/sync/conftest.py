# SPDX-License-Identifier: MIT
"""Interoperability rig: the real conntrackd beside ctrackd, over a veth link.

    ns syA<pid>: kernel conntrack         ns syB<pid>: ctrackd (table service)
      + conntrackd (FT-FW, UDP 3780)        -Y mode=ftfw -Y udp=...
      vA 192.168.209.2/24 ------------------ vB 192.168.209.3/24
      (.12: SNAT address, .9: a stranger)

Everything lives inside the two namespaces and a temporary directory; the
fixture removes both on the way out.  nf_conntrack_max is never touched.
"""
import os
import shutil
import subprocess
import tempfile
import time

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.environ.get("CTRACK_BUILD", os.path.join(ROOT, "build"))
A_ADDR, B_ADDR = "192.168.209.2", "192.168.209.3"

CONNTRACKD_CONF = """
Sync {{
	Mode FTFW {{
	}}
	UDP {{
		IPv4_address {a}
		IPv4_Destination_Address {b}
		Port 3780
		Interface vA
		Checksum on
	}}
}}
General {{
	HashSize 8192
	HashLimit 65536
	LogFile {tmp}/conntrackd.log
	LockFile {tmp}/conntrackd.lock
	UNIX {{
		Path {tmp}/conntrackd.ctl
	}}
	NetlinkBufferSize 2097152
	NetlinkBufferSizeMaxGrowth 8388608
}}
"""


def _need():
    if os.geteuid() != 0:
        pytest.skip("sync interop tests need root (network namespaces)")
    for tool in ("ip", "nft", "conntrack", "conntrackd"):
        if not shutil.which(tool):
            pytest.skip(f"{tool} is not installed (apt-get install conntrackd conntrack nftables)")
    for b in ("ctrack", "ctrackd", "ctrack-sync"):
        if not os.access(os.path.join(BUILD, b), os.X_OK):
            pytest.skip(f"build/{b} is missing: run make")


def sh(*args, check=True, ns=None, input=None, env=None):
    cmd = (["ip", "netns", "exec", ns] if ns else []) + list(args)
    p = subprocess.run(cmd, capture_output=True, text=True, input=input, timeout=20, env=env)
    if check and p.returncode != 0:
        raise AssertionError(f"{cmd}: rc {p.returncode}\n{p.stdout}\n{p.stderr}")
    return p.stdout


class Rig:
    def __init__(self, tmp, a, b):
        self.tmp, self.a, self.b = tmp, a, b
        self.sock = os.path.join(tmp, "ctrackd.sock")
        self.sync_sock = os.path.join(tmp, "ctrack-sync.sock")
        self.conf = os.path.join(tmp, "conntrackd.conf")
        self.env = dict(os.environ, CTRACK_SOCKET=self.sock, LC_ALL="C", TZ="UTC")

    # the Linux side
    def conntrack(self, *args, check=True):
        return sh("conntrack", *args, ns=self.a, check=check)

    def conntrackd(self, *args):
        return sh("conntrackd", "-C", self.conf, *args, ns=self.a)

    # the ctrack side (ctrackd runs in ns B; its sockets are files)
    def ctrack(self, *args, check=True):
        return sh(os.path.join(BUILD, "ctrack"), *args, env=self.env, check=check)

    def sync(self, *args):
        return sh(os.path.join(BUILD, "ctrack-sync"), "-C", self.sync_sock, *args)

    def stats(self):
        return self.sync("-s")


def wait_for(pred, timeout=5.0, step=0.1):
    end = time.time() + timeout
    while True:
        v = pred()
        if v or time.time() > end:
            return v
        time.sleep(step)


@pytest.fixture(scope="module")
def rig():
    _need()
    tag = f"{os.getpid() % 100000}"
    a, b = f"syA{tag}", f"syB{tag}"
    tmp = tempfile.mkdtemp(prefix="ctsync.")
    r = Rig(tmp, a, b)
    daemon = None
    try:
        sh("ip", "netns", "add", a)
        sh("ip", "netns", "add", b)
        sh("ip", "link", "add", "vA", "netns", a, "type", "veth", "peer", "name", "vB", "netns", b)
        for ns, dev, addr in ((a, "vA", A_ADDR), (b, "vB", B_ADDR)):
            sh("ip", "-n", ns, "addr", "add", f"{addr}/24", "dev", dev)
            sh("ip", "-n", ns, "link", "set", dev, "up")
            sh("ip", "-n", ns, "link", "set", "lo", "up")
        sh("ip", "-n", a, "addr", "add", "192.168.209.12/24", "dev", "vA")
        sh("ip", "-n", a, "addr", "add", "192.168.209.9/24", "dev", "vA")
        with open(r.conf, "w") as f:
            f.write(CONNTRACKD_CONF.format(a=A_ADDR, b=B_ADDR, tmp=tmp))
        log = open(os.path.join(tmp, "ctrackd.log"), "w")
        daemon = subprocess.Popen(
            ["ip", "netns", "exec", b, os.path.join(BUILD, "ctrackd"), "-s", r.sock, "-v",
             "-Y", "mode=ftfw", "-Y", f"udp={B_ADDR},{A_ADDR},iface=vB",
             "-Y", f"control={r.sync_sock}", "-Y", "ack-window=20"],
            stderr=log)
        assert wait_for(lambda: os.path.exists(r.sync_sock) and os.path.exists(r.sock)), \
            "ctrackd did not start"
        sh("conntrackd", "-C", r.conf, "-d", ns=a)
        assert wait_for(lambda: os.path.exists(os.path.join(tmp, "conntrackd.ctl")))
        time.sleep(0.5)
        yield r
    finally:
        if os.path.exists(os.path.join(tmp, "conntrackd.ctl")):
            sh("conntrackd", "-C", r.conf, "-k", ns=a, check=False)
        if daemon:
            daemon.terminate()
            try:
                daemon.wait(5)
            except subprocess.TimeoutExpired:
                daemon.kill()
        for ns in (a, b):
            subprocess.run(["ip", "netns", "del", ns], capture_output=True)
        if os.environ.get("CTSYNC_KEEP"):
            print("kept", tmp)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
