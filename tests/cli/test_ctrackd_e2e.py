# SPDX-License-Identifier: MIT
"""End to end: client <-> ctrackd <-> server in three network namespaces.

ctrackd owns both router interfaces (the router namespace's kernel has no
address on them) and forwards real traffic through its ruleset; `ctrack`
(the conntrack drop-in) inspects and edits the connection table meanwhile.

    ns C: c0 10.0.1.2/24 fd00:1::2/64  --veth--  r0 (ctrackd 10.0.1.1, fd00:1::1)
    ns S: s0 10.0.2.2/24 fd00:2::2/64  --veth--  r1 (ctrackd 10.0.2.1, fd00:2::1)

The peers' TCP segmentation offload is off (a veth peer hands 64 KiB
super-frames to the other side, which a router on AF_PACKET cannot forward);
their checksum offload stays on, so ctrackd sees frames whose checksum the
sender left undone and must complete them.
"""
import ctypes
import fcntl
import hashlib
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import tempfile
import time

import pytest

from conftest import BUILD

RULESET = """
table inet filter {
	ct helper tftp-standard { type "tftp" protocol udp; }
	chain pre {
		type filter hook prerouting priority 0; policy accept;
		udp dport 69 ct helper set "tftp-standard"
	}
	chain forward {
		type filter hook forward priority 0; policy drop;
		ct state established,related accept
		ct state invalid drop
		tcp dport 2222 reject with tcp reset
		ip daddr 10.0.2.2 tcp dport { 8080, 9000 } accept
		udp dport { 69, 5353 } accept
		icmp type echo-request accept
		icmpv6 type echo-request accept
	}
	chain input {
		type filter hook input priority 0; policy accept;
	}
}
"""

# http.server without the reverse DNS lookup HTTPServer.server_bind does
# between bind() and listen() (it stalls in a namespace with no resolver,
# and connections meanwhile are refused).
HTTP_SERVER = """
import functools, http.server, socketserver, sys
class Server(http.server.ThreadingHTTPServer):
    def server_bind(self):
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = "e2e", self.server_address[1]
handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=sys.argv[3])
handler.func.log_message = lambda *a: None
Server((sys.argv[1], int(sys.argv[2])), handler).serve_forever()
"""

UDP_ECHO = """
import socket, sys
fam = socket.AF_INET6 if ":" in sys.argv[1] else socket.AF_INET
s = socket.socket(fam, socket.SOCK_DGRAM)
s.bind((sys.argv[1], int(sys.argv[2])))
while True:
    d, a = s.recvfrom(4096)
    s.sendto(d.upper(), a)
"""

# A TFTP server that answers a read request with one DATA block from a new
# port, as TFTP does (the reply is RELATED to the request's expectation).
TFTP = """
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], 69))
while True:
    d, a = s.recvfrom(512)
    if d[:2] == b"\\x00\\x01":
        t = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        t.bind((sys.argv[1], 0))
        t.sendto(b"\\x00\\x03\\x00\\x01hello", a)
        t.close()
"""

PING = """
import os, socket, struct, sys
def csum(b):
    if len(b) % 2:
        b += b"\\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xffff)
    s += s >> 16
    return ~s & 0xffff
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
s.settimeout(2)
ident = os.getpid() & 0xffff
ok = 0
for seq in range(int(sys.argv[2])):
    h = struct.pack("!BBHHH", 8, 0, 0, ident, seq) + b"ctrack-e2e"
    h = h[:2] + struct.pack("!H", csum(h)) + h[4:]
    s.sendto(h, (sys.argv[1], 0))
    try:
        while True:
            d, a = s.recvfrom(2048)
            ihl = (d[0] & 15) * 4
            if d[ihl] == 0 and struct.unpack("!H", d[ihl + 4:ihl + 6])[0] == ident:
                ok += 1
                break
    except socket.timeout:
        pass
print(ok)
"""

TSO_OFF = """
import ctypes, fcntl, socket, struct, sys
ev = ctypes.create_string_buffer(struct.pack("II", 0x1f, 0))   # ETHTOOL_STSO, off
ifr = struct.pack("16sP", sys.argv[1].encode(), ctypes.addressof(ev)) + b"\\0" * 16
sk = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
fcntl.ioctl(sk.fileno(), 0x8946, ifr)                          # SIOCETHTOOL
"""


def _need():
    if os.geteuid() != 0:
        pytest.skip("end-to-end tests need root (network namespaces)")
    for tool in ("ip", "curl"):
        if not shutil.which(tool):
            pytest.skip(f"{tool} is not installed")
    for b in ("ctrack", "ctrackd"):
        if not os.access(os.path.join(BUILD, b), os.X_OK):
            pytest.skip(f"build/{b} is missing: run make")


def sh(*args, check=True, **kw):
    return subprocess.run(list(args), check=check, capture_output=True, text=True, **kw)


class Net:
    def __init__(self):
        tag = os.getpid() % 100000
        self.c, self.r, self.s = f"e2c{tag}", f"e2r{tag}", f"e2s{tag}"
        self.tmp = tempfile.mkdtemp(prefix="ctrack-e2e.")
        self.sock = os.path.join(self.tmp, "ctrackd.sock")
        self.rules = os.path.join(self.tmp, "rules.nft")
        self.log = os.path.join(self.tmp, "ctrackd.log")
        self.www = os.path.join(self.tmp, "www")
        self.procs = []
        self.daemon = None

    def ns(self, ns, *args, **kw):
        return sh("ip", "netns", "exec", ns, *args, **kw)

    def bg(self, ns, *args):
        p = subprocess.Popen(["ip", "netns", "exec", ns] + list(args), stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
        self.procs.append(p)
        return p

    def py(self, ns, code, *args, **kw):
        return self.ns(ns, "/usr/bin/python3", "-c", code, *args, **kw)

    def ctrack(self, *args):
        env = dict(os.environ, CTRACK_SOCKET=self.sock, LC_ALL="C", TZ="UTC")
        p = subprocess.run([os.path.join(BUILD, "ctrack")] + list(args), capture_output=True,
                           text=True, env=env, timeout=10)
        return p.returncode, p.stdout, p.stderr

    def curl(self, url, *opts, timeout=10):
        return self.ns(self.c, "curl", "-s", "-o", "/dev/null", "-w", "%{http_code} %{size_download}",
                       *opts, url, check=False, timeout=timeout)

    def up(self):
        for n in (self.c, self.r, self.s):
            sh("ip", "netns", "add", n)
            sh("ip", "-n", n, "link", "set", "lo", "up")
        sh("ip", "link", "add", "c0", "netns", self.c, "type", "veth", "peer", "name", "r0",
           "netns", self.r)
        sh("ip", "link", "add", "s0", "netns", self.s, "type", "veth", "peer", "name", "r1",
           "netns", self.r)
        for ns, dev, a4, a6, gw4, gw6 in ((self.c, "c0", "10.0.1.2/24", "fd00:1::2/64",
                                           "10.0.1.1", "fd00:1::1"),
                                          (self.s, "s0", "10.0.2.2/24", "fd00:2::2/64",
                                           "10.0.2.1", "fd00:2::1")):
            sh("ip", "-n", ns, "addr", "add", a4, "dev", dev)
            sh("ip", "-n", ns, "addr", "add", a6, "dev", dev, "nodad")
            sh("ip", "-n", ns, "link", "set", dev, "up")
            sh("ip", "-n", ns, "route", "add", "default", "via", gw4)
            sh("ip", "-n", ns, "-6", "route", "add", "default", "via", gw6)
            self.py(ns, TSO_OFF, dev)
        for dev in ("r0", "r1"):
            sh("ip", "-n", self.r, "link", "set", dev, "up")
        with open(self.rules, "w") as f:
            f.write(RULESET)
        os.makedirs(self.www)
        self.big = os.urandom(4 << 20)
        with open(os.path.join(self.www, "big.bin"), "wb") as f:
            f.write(self.big)
        with open(os.path.join(self.www, "index.html"), "w") as f:
            f.write("hello\n")
        self.start_daemon()
        self.bg(self.s, "/usr/bin/python3", "-c", HTTP_SERVER, "10.0.2.2", "8080", self.www)
        self.bg(self.s, "/usr/bin/python3", "-c", UDP_ECHO, "10.0.2.2", "5353")
        self.bg(self.s, "/usr/bin/python3", "-c", UDP_ECHO, "fd00:2::2", "5353")
        self.bg(self.s, "/usr/bin/python3", "-c", TFTP, "10.0.2.2")
        for _ in range(100):
            if "10.0.2.2:8080" in self.ns(self.s, "ss", "-ltn").stdout:
                break
            time.sleep(0.05)
        else:
            raise RuntimeError("the HTTP server did not start")

    def start_daemon(self):
        self.daemon = subprocess.Popen(
            ["ip", "netns", "exec", self.r, os.path.join(BUILD, "ctrackd"), "-v", "-s", self.sock,
             "--iface", "r0,10.0.1.1/24,fd00:1::1/64", "--iface", "r1,10.0.2.1/24,fd00:2::1/64",
             "-f", self.rules, "-o", "nf_conntrack_acct=1",
             "-o", "nf_conntrack_tcp_timeout_time_wait=1",
             # neighbour timers scaled down from the kernel's 30 s / 5 s / 1 s
             "--neigh-timers", "1000,300,200"],
            stderr=open(self.log, "a"))
        for _ in range(200):
            if os.path.exists(self.sock):
                return
            time.sleep(0.02)
        raise RuntimeError("ctrackd did not start:\n" + self.read_log())

    def read_log(self):
        with open(self.log) as f:
            return f.read()

    def down(self):
        for p in self.procs:
            p.kill()
            p.wait()
        if self.daemon:
            self.daemon.send_signal(signal.SIGTERM)
            try:
                self.daemon.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.daemon.kill()
        for n in (self.c, self.r, self.s):
            subprocess.run(["ip", "netns", "del", n], capture_output=True)
        shutil.rmtree(self.tmp, ignore_errors=True)


@pytest.fixture(scope="module")
def net():
    _need()
    n = Net()
    try:
        n.up()
        yield n
    finally:
        n.down()


def entries(net, *args):
    rc, out, err = net.ctrack("-L", *args)
    assert rc == 0, err
    return out.splitlines()


def test_http_download(net):
    r = net.curl("http://10.0.2.2:8080/big.bin")
    assert r.returncode == 0 and r.stdout == f"200 {len(net.big)}", r
    # The whole file crossed, bytes intact.
    out = subprocess.run(["ip", "netns", "exec", net.c, "curl", "-s",
                          "http://10.0.2.2:8080/big.bin"], capture_output=True, timeout=10)
    assert hashlib.sha256(out.stdout).digest() == hashlib.sha256(net.big).digest()
    lines = [l for l in entries(net, "-p", "tcp", "--dport", "8080")]
    assert lines, "no entry for the download"
    # Closed by the server after the response: TIME_WAIT or gone (time_wait=1 s).
    for l in lines:
        assert re.search(r" (TIME_WAIT|CLOSE|LAST_ACK|FIN_WAIT|CLOSE_WAIT) ", l), l
        assert "[ASSURED]" in l
    big = [l for l in lines if int(re.findall(r"bytes=(\d+)", l)[1]) > len(net.big)]
    assert big, lines


def test_blocked_ports(net):
    # reject with tcp reset: refused at once
    t0 = time.monotonic()
    r = net.curl("http://10.0.2.2:2222/", "-m", "3")
    assert r.returncode == 7 and time.monotonic() - t0 < 2, r
    # not allowed: the policy drops it, the client times out
    r = net.curl("http://10.0.2.2:9999/", "-m", "1")
    assert r.returncode == 28, r
    lines = entries(net, "-p", "tcp", "--dport", "9999")
    assert lines == []  # dropped before confirmation: no entry


def test_udp_request_reply(net):
    code = ("import socket,sys\n"
            "f=socket.AF_INET6 if ':' in sys.argv[1] else socket.AF_INET\n"
            "s=socket.socket(f,socket.SOCK_DGRAM);s.settimeout(3)\n"
            "s.sendto(b'hello',(sys.argv[1],5353));print(s.recvfrom(100)[0].decode())")
    for dst in ("10.0.2.2", "fd00:2::2"):
        r = net.py(net.c, code, dst, timeout=10)
        assert r.stdout.strip() == "HELLO", (dst, r)
    for fam in ("ipv4", "ipv6"):
        lines = entries(net, "-p", "udp", "--dport", "5353", "-f", fam)
        assert len(lines) >= 1
        assert all("[UNREPLIED]" not in l and l.count("packets=1 ") == 2 for l in lines), lines


def test_ping(net):
    for dst in ("10.0.2.2", "10.0.1.1", "10.0.2.1"):
        r = net.py(net.c, PING, dst, "2", timeout=10)
        assert r.stdout.strip() == "2", (dst, r)
    lines = entries(net, "-p", "icmp", "-d", "10.0.2.2")
    assert lines and "type=8 code=0" in lines[0] and "packets=2" in lines[0], lines


def test_delete_and_flush(net):
    code = ("import socket\nfor p in range(40000,40005):\n"
            " s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM);s.bind(('10.0.1.2',p))\n"
            " s.settimeout(2);s.sendto(b'x',('10.0.2.2',5353));s.recvfrom(10)")
    net.py(net.c, code, timeout=10)
    rc, out, err = net.ctrack("-D", "-p", "udp", "--sport", "40001")
    assert rc == 0 and err.endswith("1 flow entries have been deleted.\n"), err
    assert entries(net, "-p", "udp", "--sport", "40001") == []
    assert len(entries(net, "-p", "udp", "-s", "10.0.1.2")) >= 4
    rc, out, err = net.ctrack("-F")
    assert rc == 0 and "emptied" in err
    rc, out, err = net.ctrack("-C")
    assert out == "0\n"


def test_events_for_curl(net):
    env = dict(os.environ, CTRACK_SOCKET=net.sock)
    ev = subprocess.Popen([os.path.join(BUILD, "ctrack"), "-E", "-p", "tcp"], env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        time.sleep(0.3)
        r = net.curl("http://10.0.2.2:8080/index.html")
        assert r.stdout == "200 6", r
        time.sleep(1.8)  # TIME_WAIT is 1 s here: the entry expires, DESTROY follows
    finally:
        ev.send_signal(signal.SIGINT)
        out, err = ev.communicate(timeout=5)
    kinds = [l.split("]")[0].strip() + "]" for l in out.splitlines()]
    assert kinds[0] == "[NEW]" and "[UPDATE]" in kinds and kinds[-1] == "[DESTROY]", out
    assert " SYN_SENT " in out.splitlines()[0] and " ESTABLISHED " in out
    # Datapath events are the kernel's: no [USERSPACE] suffix, no mark=/use=.
    assert "[USERSPACE]" not in out and " use=" not in out
    assert re.search(r"(\d+) flow events have been shown", err)


def test_reload_during_transfer(net):
    # A slow download (about 2 s) while the ruleset is reloaded twice: once
    # with a change, once with an error (refused, the old one stays).
    p = subprocess.Popen(["ip", "netns", "exec", net.c, "curl", "-s", "--limit-rate", "2M", "-o",
                          "/dev/null", "-w", "%{http_code} %{size_download}",
                          "http://10.0.2.2:8080/big.bin"], stdout=subprocess.PIPE, text=True)
    try:
        time.sleep(0.5)
        with open(net.rules, "w") as f:
            f.write(RULESET.replace("tcp dport 2222 reject with tcp reset",
                                    "tcp dport { 2222, 2223 } reject with tcp reset"))
        net.daemon.send_signal(signal.SIGHUP)
        time.sleep(0.4)
        with open(net.rules, "w") as f:
            f.write(RULESET.replace("policy drop;", "policy drop; bogus statement here"))
        net.daemon.send_signal(signal.SIGHUP)
        out, _ = p.communicate(timeout=15)
    finally:
        if p.poll() is None:
            p.kill()
    assert out == f"200 {len(net.big)}"
    log = net.read_log()
    assert "reloaded" in log and "refused, the old one stays" in log, log
    # The changed ruleset is the one in force: 2223 is refused at once now.
    r = net.curl("http://10.0.2.2:2223/", "-m", "3")
    assert r.returncode == 7, r
    with open(net.rules, "w") as f:
        f.write(RULESET)


def test_malformed_control_flood(net):
    junk = [b"", b"\x00" * 12, b"CT\x01\x01\x00\x00\x00\x0c\x00\x00\x00\x01",
            b"CT\x09\x01\x00\x00\x00\x0c\x00\x00\x00\x01", b"CT\x01\x01\xff\xff\xff\xff\0\0\0\1",
            b"CT\x01\x03\x00\x00\x00\x14\x00\x00\x00\x01\x00\x05\x00\x00\x00\x09xx",
            os.urandom(4096)]
    for i in range(300):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(net.sock)
        try:
            s.sendall(junk[i % len(junk)] + os.urandom(i % 64))
        except OSError:
            pass
        if i % 3 == 0:
            s.close()
        else:
            s.settimeout(0.05)
            try:
                s.recv(4096)
            except OSError:
                pass
            s.close()
    assert net.daemon.poll() is None, net.read_log()
    rc, out, err = net.ctrack("-L")
    assert rc == 0, err
    r = net.curl("http://10.0.2.2:8080/index.html")
    assert r.stdout == "200 6", r


def test_tftp_expectation(net):
    """The tftp helper (ct helper set in the ruleset) expects the server's
    reply from any port: -L expect lists it, -E expect sees it created and
    consumed, and the reply passes as RELATED through a drop policy."""
    env = dict(os.environ, CTRACK_SOCKET=net.sock)
    ev = subprocess.Popen([os.path.join(BUILD, "ctrack"), "-E", "expect"], env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    code = ("import socket\n"
            "s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM);s.bind(('10.0.1.2',40069))\n"
            "s.settimeout(3);s.sendto(b'\\x00\\x01f\\x00octet\\x00',('10.0.2.2',69))\n"
            "d,a=s.recvfrom(100);print(d[4:].decode(),a[0],a[1]!=69)")
    try:
        time.sleep(0.3)
        r = net.py(net.c, code, timeout=10)
        assert r.stdout.split() == ["hello", "10.0.2.2", "True"], r
        time.sleep(0.2)
    finally:
        ev.send_signal(signal.SIGINT)
        out, err = ev.communicate(timeout=5)
    lines = out.splitlines()
    # Event tags are right-aligned in 9 columns, as for connections.
    assert len(lines) == 2 and lines[0].startswith("    [NEW] ") and \
        lines[1].startswith("[DESTROY] "), out
    assert "proto=17 src=10.0.2.2 dst=10.0.1.2 sport=0 dport=40069" in lines[0], out
    assert "master-src=10.0.1.2 master-dst=10.0.2.2 sport=40069 dport=69" in lines[0], out
    assert "helper=tftp" in lines[0], out
    assert err.endswith("2 expectation events have been shown.\n"), err
    # The data flow was created from the expectation, which is gone now.
    rc, out, err = net.ctrack("-L", "expect")
    assert out == "" and err.endswith("0 expectations have been shown.\n")
    rc, out, _ = net.ctrack("-S", "expect")
    first = out.splitlines()[0]
    assert "expect_new=1 expect_create=1 expect_delete=1" in first, out
    data = entries(net, "-p", "udp", "--dport", "40069")
    assert len(data) == 1 and "sport=69" not in data[0], data


def stats(net):
    """SIGUSR1: ctrackd logs its counters; the last neighbour line, parsed."""
    before = net.read_log().count("probes broadcast")
    net.daemon.send_signal(signal.SIGUSR1)
    for _ in range(100):
        log = net.read_log()
        if log.count("probes broadcast") > before:
            break
        time.sleep(0.02)
    line = [l for l in log.splitlines() if "probes broadcast" in l][-1]
    return {k: int(v) for k, v in re.findall(r"(broadcast|unicast|failed) (\d+)", line)}


UDP_ASK = ("import socket,sys\n"
           "s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM);s.settimeout(float(sys.argv[1]))\n"
           "s.sendto(b'nud',('10.0.2.2',5353))\n"
           "try:\n print(s.recvfrom(100)[0].decode())\n"
           "except socket.timeout:\n print('timeout')")


def test_neighbour_reachability(net):
    """The kernel's neighbour states with scaled timers (reachable 0.5-1.5 s,
    delay 0.3 s, retransmit 0.2 s): a used stale neighbour is probed by
    unicast and stays usable when it answers; one that stops answering
    ARP fails after 3 probes, and the next packets are held while it is
    resolved anew by broadcast, then dropped; once it answers again
    traffic resumes."""
    assert net.py(net.c, UDP_ASK, "3").stdout.strip() == "NUD"
    time.sleep(1.8)  # past reachable_time
    s0 = stats(net)
    assert net.py(net.c, UDP_ASK, "3").stdout.strip() == "NUD"  # STALE -> DELAY
    time.sleep(0.8)  # DELAY -> PROBE: unicast, answered -> REACHABLE
    s1 = stats(net)
    assert s1["unicast"] > s0["unicast"] and s1["failed"] == s0["failed"], (s0, s1)

    net.ns(net.s, "sysctl", "-qw", "net.ipv4.conf.s0.arp_ignore=8")  # answer no ARP
    try:
        time.sleep(1.8)
        # Still usable while being probed (the address is kept in DELAY/PROBE).
        assert net.py(net.c, UDP_ASK, "3").stdout.strip() == "NUD"
        time.sleep(1.5)  # 0.3 s delay + 3 unanswered probes 0.2 s apart: FAILED
        s2 = stats(net)
        assert s2["failed"] > s1["failed"] and s2["unicast"] >= s1["unicast"] + 3, (s1, s2)
        # Resolved anew by broadcast, unanswered: the request is held, then dropped.
        assert net.py(net.c, UDP_ASK, "1.5", timeout=10).stdout.strip() == "timeout"
        s3 = stats(net)
        assert s3["broadcast"] > s2["broadcast"], (s2, s3)
    finally:
        net.ns(net.s, "sysctl", "-qw", "net.ipv4.conf.s0.arp_ignore=0")
    time.sleep(1.0)
    assert net.py(net.c, UDP_ASK, "3").stdout.strip() == "NUD"


def test_zz_clean_shutdown(net):
    """Last: SIGTERM stops ctrackd cleanly (exit 0, socket removed, nothing
    leaked or misused when built with sanitizers)."""
    net.daemon.send_signal(signal.SIGTERM)
    rc = net.daemon.wait(timeout=10)
    net.daemon = None
    log = net.read_log()
    assert rc == 0, log
    assert not os.path.exists(net.sock)
    assert "stopped" in log and "Sanitizer" not in log and "runtime error" not in log, log
