# SPDX-License-Identifier: MIT
"""ALARM mode with conntrackd over UDP: states are refreshed periodically;
flagged messages are ignored; the external cache ages entries out.

    ns saA<pid>: kernel + conntrackd (ALARM, RefreshTime 2, CacheTimeout 6)
      vA 192.168.214.2/24 ----------- vB 192.168.214.3/24  ns saB<pid>: ctrackd
"""
import os
import shutil
import subprocess
import tempfile
import time

import pytest

from conftest import BUILD, sh, wait_for

CONF = """
Sync {{
	Mode ALARM {{
		RefreshTime 2
		CacheTimeout 6
	}}
	UDP {{
		IPv4_address 192.168.214.2
		IPv4_Destination_Address 192.168.214.3
		Port 3782
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
    a, b = f"saA{tag}", f"saB{tag}"
    tmp = tempfile.mkdtemp(prefix="ctsyncal.")
    sock, ssock, conf = (os.path.join(tmp, n) for n in ("d.sock", "s.sock", "c.conf"))
    proc = None
    try:
        sh("ip", "netns", "add", a)
        sh("ip", "netns", "add", b)
        sh("ip", "link", "add", "vA", "netns", a, "type", "veth", "peer", "name", "vB", "netns", b)
        for ns, dev, addr in ((a, "vA", "192.168.214.2"), (b, "vB", "192.168.214.3")):
            sh("ip", "-n", ns, "addr", "add", f"{addr}/24", "dev", dev)
            sh("ip", "-n", ns, "link", "set", dev, "up")
            sh("ip", "-n", ns, "link", "set", "lo", "up")
        with open(conf, "w") as f:
            f.write(CONF.format(tmp=tmp))
        proc = subprocess.Popen(
            ["ip", "netns", "exec", b, os.path.join(BUILD, "ctrackd"), "-s", sock,
             "-Y", "mode=alarm", "-Y", "refresh=2", "-Y", "cache-timeout=6",
             "-Y", "udp=192.168.214.3,192.168.214.2,port=3782,iface=vB",
             "-Y", f"control={ssock}"],
            stderr=open(os.path.join(tmp, "ctrackd.log"), "w"))
        assert wait_for(lambda: os.path.exists(ssock))
        sh("conntrackd", "-C", conf, "-d", ns=a)
        assert wait_for(lambda: os.path.exists(os.path.join(tmp, "conntrackd.ctl")))
        yield a, conf, dict(os.environ, CTRACK_SOCKET=sock), ssock
    finally:
        if os.path.exists(os.path.join(tmp, "conntrackd.ctl")):
            sh("conntrackd", "-C", conf, "-k", ns=a, check=False)
        if proc:
            proc.terminate()
            proc.wait(5)
        for ns in (a, b):
            subprocess.run(["ip", "netns", "del", ns], capture_output=True)
        shutil.rmtree(tmp, ignore_errors=True)


def test_alarm_both_directions(rig):
    a, conf, env, ssock = rig
    ext = lambda: sh(os.path.join(BUILD, "ctrack-sync"), "-C", ssock, "-e")
    sh("conntrack", "-I", "-p", "tcp", "-s", "10.1.1.1", "-d", "10.2.2.2", "--sport", "1234",
       "--dport", "80", "--state", "ESTABLISHED", "-u", "ASSURED", "-m", "7", "-t", "120",
       ns=a)
    assert wait_for(lambda: "src=10.1.1.1" in ext(), 5), \
        sh(os.path.join(BUILD, "ctrack-sync"), "-C", ssock, "-s")
    sh(os.path.join(BUILD, "ctrack"), "-I", "-p", "udp", "-s", "10.7.7.7", "-d", "10.8.8.8",
       "--sport", "5000", "--dport", "53", "-t", "100", env=env)
    # Sent on the event, then again by every refresh sweep.
    assert wait_for(lambda: "10.7.7.7" in sh("conntrackd", "-C", conf, "-e", ns=a), 5)
    # Still refreshed past CacheTimeout: the entry stays while conntrackd keeps sending it.
    time.sleep(7)
    assert "src=10.1.1.1" in ext()
