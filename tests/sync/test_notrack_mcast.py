# SPDX-License-Identifier: MIT
"""NOTRACK over IPv4 multicast with conntrackd, external caches disabled:
states go straight into the other side's table, in both directions, as the
spec's live test saw between two conntrackd nodes.

    ns smA<pid>: kernel + conntrackd          ns smB<pid>: ctrackd
      vA 192.168.213.2/24 --- 225.0.0.50:3781 --- vB 192.168.213.3/24
"""
import os
import shutil
import subprocess
import tempfile

import pytest

from conftest import BUILD, sh, wait_for

CONF = """
Sync {{
	Mode NOTRACK {{
		DisableExternalCache on
	}}
	Multicast {{
		IPv4_address 225.0.0.50
		Group 3781
		IPv4_interface 192.168.213.2
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


@pytest.fixture(scope="module")
def rig():
    if os.geteuid() != 0 or not shutil.which("conntrackd"):
        pytest.skip("needs root and conntrackd")
    tag = f"{os.getpid() % 100000}"
    a, b = f"smA{tag}", f"smB{tag}"
    tmp = tempfile.mkdtemp(prefix="ctsyncmc.")
    sock, ssock, conf = (os.path.join(tmp, n) for n in ("d.sock", "s.sock", "c.conf"))
    proc = None
    try:
        sh("ip", "netns", "add", a)
        sh("ip", "netns", "add", b)
        sh("ip", "link", "add", "vA", "netns", a, "type", "veth", "peer", "name", "vB", "netns", b)
        for ns, dev, addr in ((a, "vA", "192.168.213.2"), (b, "vB", "192.168.213.3")):
            sh("ip", "-n", ns, "addr", "add", f"{addr}/24", "dev", dev)
            sh("ip", "-n", ns, "link", "set", dev, "up")
            sh("ip", "-n", ns, "link", "set", "lo", "up")
        with open(conf, "w") as f:
            f.write(CONF.format(tmp=tmp))
        proc = subprocess.Popen(
            ["ip", "netns", "exec", b, os.path.join(BUILD, "ctrackd"), "-s", sock,
             "-Y", "mode=notrack", "-Y", "mcast=225.0.0.50,192.168.213.3,port=3781,iface=vB",
             "-Y", "disable-external-cache", "-Y", f"control={ssock}"],
            stderr=open(os.path.join(tmp, "ctrackd.log"), "w"))
        assert wait_for(lambda: os.path.exists(ssock))
        sh("conntrackd", "-C", conf, "-d", ns=a)
        assert wait_for(lambda: os.path.exists(os.path.join(tmp, "conntrackd.ctl")))
        yield a, dict(os.environ, CTRACK_SOCKET=sock), ssock
    finally:
        if os.path.exists(os.path.join(tmp, "conntrackd.ctl")):
            sh("conntrackd", "-C", conf, "-k", ns=a, check=False)
        if proc:
            proc.terminate()
            proc.wait(5)
        for ns in (a, b):
            subprocess.run(["ip", "netns", "del", ns], capture_output=True)
        shutil.rmtree(tmp, ignore_errors=True)


def test_both_directions_straight_into_tables(rig):
    a, env, ssock = rig
    ctrack = os.path.join(BUILD, "ctrack")
    sh("conntrack", "-I", "-p", "tcp", "-s", "10.1.1.1", "-d", "10.2.2.2", "--sport", "1234",
       "--dport", "80", "--state", "ESTABLISHED", "-u", "ASSURED,SEEN_REPLY", "-m", "7", "-t",
       "120", ns=a)
    assert wait_for(lambda: "src=10.1.1.1" in sh(ctrack, "-L", env=env)), \
        sh(os.path.join(BUILD, "ctrack-sync"), "-C", ssock, "-s")
    line = [l for l in sh(ctrack, "-L", env=env).splitlines() if "10.1.1.1" in l][0]
    assert "ESTABLISHED" in line and "mark=7" in line and "[ASSURED]" in line
    sh(ctrack, "-I", "-p", "udp", "-s", "10.7.7.7", "-d", "10.8.8.8", "--sport", "5000",
       "--dport", "53", "-t", "100", env=env)
    assert wait_for(lambda: "src=10.7.7.7" in sh("conntrack", "-L", ns=a, check=False))
    sh("conntrack", "-D", "-p", "tcp", "-s", "10.1.1.1", ns=a)
    assert wait_for(lambda: "src=10.1.1.1" not in sh(ctrack, "-L", env=env, check=False))
