# SPDX-License-Identifier: MIT
"""Two ctrackd nodes: shared-key authentication and channel failover.

    ns scC<pid>                              ns scD<pid>
      cC1 192.168.211.1/24 ---- link 1 ---- cD1 192.168.211.2/24  (default channel)
      cC2 192.168.212.1/24 ---- link 2 ---- cD2 192.168.212.2/24  (standby channel)

Both run FT-FW with key=...; link 1 is then taken down on C's side and
replication must carry on over link 2.  A datagram without the tag, or from
an address that is not the configured peer, must change nothing.
"""
import os
import shutil
import subprocess
import tempfile

import pytest

from conftest import BUILD, sh, wait_for

KEY = "00112233445566778899aabbccddeeff"


class Node:
    def __init__(self, tmp, name):
        self.sock = os.path.join(tmp, f"{name}.sock")
        self.sync_sock = os.path.join(tmp, f"{name}-sync.sock")
        self.env = dict(os.environ, CTRACK_SOCKET=self.sock, LC_ALL="C")

    def ctrack(self, *args):
        return sh(os.path.join(BUILD, "ctrack"), *args, env=self.env)

    def sync(self, *args):
        return sh(os.path.join(BUILD, "ctrack-sync"), "-C", self.sync_sock, *args)


@pytest.fixture(scope="module")
def pair():
    if os.geteuid() != 0:
        pytest.skip("needs root (network namespaces)")
    for b in ("ctrack", "ctrackd", "ctrack-sync"):
        if not os.access(os.path.join(BUILD, b), os.X_OK):
            pytest.skip(f"build/{b} is missing: run make")
    tag = f"{os.getpid() % 100000}"
    c, d = f"scC{tag}", f"scD{tag}"
    tmp = tempfile.mkdtemp(prefix="ctsyncpair.")
    procs = []
    try:
        sh("ip", "netns", "add", c)
        sh("ip", "netns", "add", d)
        for i in (1, 2):
            sh("ip", "link", "add", f"cC{i}", "netns", c, "type", "veth", "peer", "name",
               f"cD{i}", "netns", d)
            sh("ip", "-n", c, "addr", "add", f"192.168.21{i}.1/24", "dev", f"cC{i}")
            sh("ip", "-n", d, "addr", "add", f"192.168.21{i}.2/24", "dev", f"cD{i}")
            sh("ip", "-n", c, "link", "set", f"cC{i}", "up")
            sh("ip", "-n", d, "link", "set", f"cD{i}", "up")
        nodes = []
        for ns, me, peer, name in ((c, "1", "2", "C"), (d, "2", "1", "D")):
            n = Node(tmp, name)
            log = open(os.path.join(tmp, f"{name}.log"), "w")
            procs.append(subprocess.Popen(
                ["ip", "netns", "exec", ns, os.path.join(BUILD, "ctrackd"), "-s", n.sock,
                 "-Y", "mode=ftfw", "-Y", f"key={KEY}", "-Y", f"control={n.sync_sock}",
                 "-Y", f"udp=192.168.211.{me},192.168.211.{peer},iface=c{name}1,default",
                 "-Y", f"udp=192.168.212.{me},192.168.212.{peer},iface=c{name}2"],
                stderr=log))
            nodes.append(n)
        for n in nodes:
            assert wait_for(lambda: os.path.exists(n.sync_sock)), "ctrackd did not start"
        yield c, d, nodes[0], nodes[1]
    finally:
        for p in procs:
            p.terminate()
            try:
                p.wait(5)
            except subprocess.TimeoutExpired:
                p.kill()
        for ns in (c, d):
            subprocess.run(["ip", "netns", "del", ns], capture_output=True)
        shutil.rmtree(tmp, ignore_errors=True)


def ins(node, src):
    node.ctrack("-I", "-p", "tcp", "-s", src, "-d", "10.9.9.9", "--sport", "1000", "--dport",
                "443", "--state", "ESTABLISHED", "-u", "ASSURED,SEEN_REPLY", "-t", "300")


def test_01_keyed_replication(pair):
    c, d, C, D = pair
    ins(C, "10.1.0.1")
    assert wait_for(lambda: "src=10.1.0.1" in D.sync("-e")), D.sync("-s")
    ins(D, "10.1.0.2")
    assert wait_for(lambda: "src=10.1.0.2" in C.sync("-e")), C.sync("-s")
    assert "bad-tag=0" in D.sync("-s")


def test_02_untagged_and_strangers_rejected(pair):
    c, d, C, D = pair
    # A well-formed conntrackd NEW (captured from conntrackd 1.4.7), without the tag.
    msg = ("102000546b045d08000c00000a0101010a020202000800050000000c0005000206000000"
           "0008000304d200500005000403000000000800060000007800080007000000070010001f"
           "000000000000000000000000")
    code = ("import socket; s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); "
            "s.bind(('192.168.211.1',0)); "
            f"s.sendto(bytes.fromhex('{msg}'),('192.168.211.2',3780))")
    sh("python3", "-c", code, ns=c)
    assert wait_for(lambda: "bad-tag=1" in D.sync("-s")), D.sync("-s")
    sh("ip", "-n", c, "addr", "add", "192.168.211.77/24", "dev", "cC1")
    sh("python3", "-c", code.replace("192.168.211.1'", "192.168.211.77'"), ns=c)
    assert wait_for(lambda: "unknown-peer=1" in D.sync("-s")), D.sync("-s")
    assert "10.2.2.2" not in D.sync("-e")


def test_03_failover_to_second_link(pair):
    c, d, C, D = pair
    sh("ip", "-n", c, "link", "set", "cC1", "down")
    ins(C, "10.1.0.3")
    assert wait_for(lambda: "src=10.1.0.3" in D.sync("-e"), 8), (C.sync("-s"), D.sync("-s"))
    assert "failovers 0" not in C.sync("-s")
    assert "channel 1 of 2" in C.sync("-s")
