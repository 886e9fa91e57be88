# SPDX-License-Identifier: MIT
"""Failover: two ctrackd firewalls own the same addresses; the standby keeps
the active node's entries (FT-FW replication) and takes over when the active
one dies, without breaking a single established connection.

                         ns foW<pid> (two bridges, a switch)
    ns foC<pid>          ┌───────────┐            ┌───────────┐        ns foS<pid>
    c0 10.0.1.2/24  ─────┤ brc       │            │ brs       ├─────  s0 10.0.2.2/24
       fd00:1::2/64      └─┬───────┬─┘            └─┬───────┬─┘          fd00:2::2/64
    (gw 10.0.1.1,          │       │                │       │        (gw 10.0.2.1,
        fd00:1::1)         a0      b0               a1      b1           fd00:2::1)
                     ns foA<pid>: ctrackd A    ns foB<pid>: ctrackd B
                     a0 10.0.1.1 fd00:1::1     b0 10.0.1.1 fd00:1::1   (the same
                     a1 10.0.2.1 fd00:2::1     b1 10.0.2.1 fd00:2::1    addresses)
                     y0 192.168.214.1/24 ───── y0 192.168.214.2/24  (sync link,
                                                                     kernel UDP)

Both nodes run the same stateful ruleset: established/related accepted,
invalid dropped, only a bare SYN may open a TCP connection to the service,
policy drop.  So a mid-stream packet of a connection the firewall does not
know (conntrack picks it up as `ct state new`) is dropped: a connection
survives the failover only if its entry was replicated and committed.

The client keeps 200 TCP connections (half IPv4, half IPv6) exchanging
data every 200 ms, and a UDP probe every 5 ms that measures the time
without forwarding.  A is killed with SIGKILL; `ctrack-sync --takeover`
on B (what a keepalived notify script runs) commits B's external cache,
starts forwarding and announces the addresses (gratuitous ARP, unsolicited
neighbour advertisements), and every connection must carry on: the same
bytes echoed in order, no reset.  Then the other way round (A restarted as
a standby, resynchronised with `-n`), and a control run where the standby's
cache is flushed before the takeover: then no connection may carry on.

Everything stays inside the namespaces and a temporary directory; the
fixture removes them.  nf_conntrack_max is never touched.
"""
import json
import os
import select
import shutil
import signal
import subprocess
import tempfile
import time

import pytest

from conftest import BUILD, sh, wait_for

PY = "/usr/bin/python3" if os.access("/usr/bin/python3", os.X_OK) else "python3"
NCONN = 200
PORT, UDP_PORT = 7000, 7001

RULESET = f"""
table inet filter {{
	chain forward {{
		type filter hook forward priority 0; policy drop;
		ct state established,related accept
		ct state invalid drop
		tcp dport {PORT} tcp flags syn / fin,syn,rst,ack ct state new accept
		udp dport {UDP_PORT} accept
	}}
}}
"""

# Echo server: TCP (both families) and a UDP echo for the probe.
SERVER = r"""
import selectors, socket, sys
port, uport = int(sys.argv[3]), int(sys.argv[4])
sel = selectors.DefaultSelector()
for fam, addr in ((socket.AF_INET, sys.argv[1]), (socket.AF_INET6, sys.argv[2])):
    l = socket.socket(fam, socket.SOCK_STREAM)
    l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    l.bind((addr, port))
    l.listen(1024)
    l.setblocking(False)
    sel.register(l, selectors.EVENT_READ, "listen")
    u = socket.socket(fam, socket.SOCK_DGRAM)
    u.bind((addr, uport))
    u.setblocking(False)
    sel.register(u, selectors.EVENT_READ, "udp")
print("listening", flush=True)
while True:
    for key, _ in sel.select():
        s = key.fileobj
        if key.data == "listen":
            c, _ = s.accept()
            c.setblocking(False)
            sel.register(c, selectors.EVENT_READ, "tcp")
        elif key.data == "udp":
            try:
                d, a = s.recvfrom(2048)
                s.sendto(d, a)
            except OSError:
                pass
        else:
            try:
                d = s.recv(65536)
            except OSError:
                d = b""
            if not d:
                sel.unregister(s)
                s.close()
            else:
                s.sendall(d)
"""

# Client: N connections sending a numbered line every PERIOD and checking
# that the echo is exactly what was sent, in order; a UDP probe every
# 5 ms.  Commands on stdin: "mark" starts a round (answers "marked"),
# "report" prints the round's figures as JSON, "quit".
CLIENT = r"""
import errno, json, os, selectors, socket, sys, time
h4, h6, port, uport, n = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
PERIOD, UPERIOD = 0.2, 0.005
now = time.monotonic
conns = []
for k in range(n):
    fam, host = (socket.AF_INET, h4) if k % 2 == 0 else (socket.AF_INET6, h6)
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    s.settimeout(10)
    s.connect((host, port))
    s.setblocking(False)
    conns.append({"s": s, "k": k, "seq": 0, "want": b"", "err": None, "last": None,
                  "first": None, "gap": 0.0})
udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
udp.connect((h4, uport))
udp.setblocking(False)
sel = selectors.DefaultSelector()
for c in conns:
    sel.register(c["s"], selectors.EVENT_READ, c)
sel.register(udp, selectors.EVENT_READ, "udp")
sel.register(0, selectors.EVENT_READ, "stdin")
mark = None
u_last, u_gap, u_first = None, 0.0, None
ready = False
next_send = next_usend = now()
stdin_buf = b""

def report():
    t = now()
    kept = [c for c in conns if c["err"] is None and c["first"] is not None
            and t - c["last"] < 1.5]
    return {"n": n, "kept": len(kept),
            "errors": [(c["k"], c["err"]) for c in conns if c["err"]],
            "stalled": [c["k"] for c in conns if c["err"] is None and c not in kept],
            "first_tcp_ms": min([(c["first"] - mark) * 1e3 for c in kept] or [-1]),
            "all_tcp_ms": max([(c["first"] - mark) * 1e3 for c in kept] or [-1]),
            "max_tcp_gap_ms": max([c["gap"] * 1e3 for c in kept] or [-1]),
            "udp_gap_ms": u_gap * 1e3,
            "udp_after_ms": (u_first - mark) * 1e3 if u_first else -1}

while True:
    t = now()
    if t >= next_send:
        next_send = t + PERIOD
        for c in conns:
            if c["err"] is None:
                line = b"%d:%08d\n" % (c["k"], c["seq"])
                c["seq"] += 1
                try:
                    if c["s"].send(line) != len(line):
                        c["err"] = "short send"
                    c["want"] += line
                except OSError as e:
                    c["err"] = errno.errorcode.get(e.errno, str(e))
    if t >= next_usend:
        next_usend = t + UPERIOD
        try:
            udp.send(b"probe")
        except OSError:
            pass
    for key, _ in sel.select(min(next_send, next_usend) - now()):
        c = key.data
        t = now()
        if c == "stdin":
            d = os.read(0, 256)
            if not d:
                sys.exit(0)
            stdin_buf += d
            while b"\n" in stdin_buf:
                cmd, stdin_buf = stdin_buf.split(b"\n", 1)
                if cmd == b"mark":
                    mark = now()
                    for x in conns:
                        x["first"] = None
                        x["gap"] = 0.0
                    u_gap, u_first = 0.0, None
                    print("marked", flush=True)
                elif cmd == b"report":
                    print(json.dumps(report()), flush=True)
                elif cmd == b"quit":
                    sys.exit(0)
            continue
        if c == "udp":
            try:
                while udp.recv(64):
                    if mark is not None and u_last is not None:
                        u_gap = max(u_gap, t - u_last)
                    if mark is not None and u_first is None and t > mark:
                        u_first = t
                    u_last = t
            except OSError:
                pass
            continue
        try:
            d = c["s"].recv(65536)
            if not d:
                c["err"] = "eof"
        except BlockingIOError:
            continue
        except OSError as e:
            d = b""
            c["err"] = errno.errorcode.get(e.errno, str(e))
        if c["err"]:
            sel.unregister(c["s"])
            continue
        if not c["want"].startswith(d):
            c["err"] = "corrupt echo"
            sel.unregister(c["s"])
            continue
        c["want"] = c["want"][len(d):]
        if mark is not None:
            if c["first"] is None and t > mark:
                c["first"] = t
            if c["last"] is not None:
                c["gap"] = max(c["gap"], t - c["last"])
        c["last"] = t
    if not ready and all(x["last"] is not None for x in conns):
        ready = True
        print("ready", flush=True)
"""

# One ARP request / neighbour solicitation for an address; prints the MACs
# that answered within 0.5 s (the standby must not be among them).
PROBE = r"""
import socket, struct, sys, time
ifname, kind, target, src = sys.argv[1:5]
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))
s.bind((ifname, 0))
mac = s.getsockname()[4]
def csum(b):
    b += b"\0" * (len(b) % 2)
    v = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while v >> 16:
        v = (v & 0xffff) + (v >> 16)
    return ~v & 0xffff
if kind == "arp":
    tip, sip = socket.inet_aton(target), socket.inet_aton(src)
    s.send(b"\xff" * 6 + mac + b"\x08\x06" + struct.pack("!HHBBH", 1, 0x0800, 6, 4, 1)
           + mac + sip + b"\0" * 6 + tip)
else:
    tgt, sip = socket.inet_pton(socket.AF_INET6, target), socket.inet_pton(socket.AF_INET6, src)
    dst = bytes.fromhex("ff0200000000000000000001ff") + tgt[13:]
    icmp = struct.pack("!BBHI", 135, 0, 0, 0) + tgt + b"\x01\x01" + mac
    ph = sip + dst + struct.pack("!I3xB", len(icmp), 58)
    icmp = icmp[:2] + struct.pack("!H", csum(ph + icmp)) + icmp[4:]
    ip6 = struct.pack("!IHBB", 0x60000000, len(icmp), 58, 255) + sip + dst
    s.send(b"\x33\x33" + dst[12:] + mac + b"\x86\xdd" + ip6 + icmp)
seen = set()
end = time.monotonic() + 0.5
s.settimeout(0.05)
while time.monotonic() < end:
    try:
        f = s.recv(2048)
    except socket.timeout:
        continue
    if kind == "arp" and f[12:14] == b"\x08\x06" and f[20:22] == b"\0\2" and f[28:32] == tip:
        seen.add(f[22:28].hex(":"))
    if (kind == "nd" and f[12:14] == b"\x86\xdd" and f[20] == 58 and f[54] == 136
            and f[62:78] == tgt):
        seen.add(f[6:12].hex(":"))
print(" ".join(sorted(seen)))
"""

TSO_OFF = """
import ctypes, fcntl, socket, struct, sys
for dev in sys.argv[1:]:
    ev = ctypes.create_string_buffer(struct.pack("II", 0x1f, 0))   # ETHTOOL_STSO, off
    ifr = struct.pack("16sP", dev.encode(), ctypes.addressof(ev)) + b"\\0" * 16
    sk = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    fcntl.ioctl(sk.fileno(), 0x8946, ifr)                          # SIOCETHTOOL
"""


class Node:
    """One ctrackd firewall (A or B) with its sockets and log."""

    def __init__(self, rig, name, ns, sync_local, sync_peer):
        self.rig, self.name, self.ns = rig, name, ns
        self.sock = os.path.join(rig.tmp, f"{name}.sock")
        self.sync_sock = os.path.join(rig.tmp, f"{name}-sync.sock")
        self.log = os.path.join(rig.tmp, f"{name}.log")
        self.sync_local, self.sync_peer = sync_local, sync_peer
        self.proc = None
        self.mac0 = self.mac1 = None

    def start(self, standby):
        for p in (self.sock, self.sync_sock):
            if os.path.exists(p):
                os.unlink(p)
        dev0, dev1 = f"{self.name.lower()}0", f"{self.name.lower()}1"
        args = [os.path.join(BUILD, "ctrackd"), "-v", "-s", self.sock,
                "--iface", f"{dev0},10.0.1.1/24,fd00:1::1/64",
                "--iface", f"{dev1},10.0.2.1/24,fd00:2::1/64",
                "-f", self.rig.rules,
                "-Y", "mode=ftfw", "-Y", f"udp={self.sync_local},{self.sync_peer},iface=y0",
                "-Y", f"control={self.sync_sock}"]
        if standby:
            args.append("--standby")
        self.proc = subprocess.Popen(["ip", "netns", "exec", self.ns] + args,
                                     stderr=open(self.log, "a"))
        assert wait_for(lambda: os.path.exists(self.sync_sock) and os.path.exists(self.sock)),\
            f"ctrackd {self.name} did not start:\n" + open(self.log).read()

    def kill(self, wait=True):
        self.proc.send_signal(signal.SIGKILL)
        if wait:
            self.reap()

    def reap(self):
        self.proc.wait(5)
        self.proc = None

    def sync(self, *args):
        return sh(os.path.join(BUILD, "ctrack-sync"), "-C", self.sync_sock, *args)

    def ctrack(self, *args):
        env = dict(os.environ, CTRACK_SOCKET=self.sock, LC_ALL="C")
        return sh(os.path.join(BUILD, "ctrack"), *args, env=env, check=False)  # stdout

    def ext_entries(self):
        return [l for l in self.sync("-e").splitlines()
                if f"dport={PORT}" in l and "ESTABLISHED" in l]


class Rig:
    def __init__(self):
        tag = f"{os.getpid() % 100000}"
        self.c, self.w, self.s = f"foC{tag}", f"foW{tag}", f"foS{tag}"
        self.a, self.b = f"foA{tag}", f"foB{tag}"
        self.tmp = tempfile.mkdtemp(prefix="ctfailover.")
        self.rules = os.path.join(self.tmp, "rules.nft")
        self.procs = []
        self.A = Node(self, "A", self.a, "192.168.214.1", "192.168.214.2")
        self.B = Node(self, "B", self.b, "192.168.214.2", "192.168.214.1")
        self.client = None

    def ns_all(self):
        return (self.c, self.w, self.s, self.a, self.b)

    def up(self):
        for n in self.ns_all():
            sh("ip", "netns", "add", n)
            sh("ip", "-n", n, "link", "set", "lo", "up")
        w = self.w
        # The switch: two bridges, no STP, no IGMP/MLD snooping (ND multicast floods).
        sh("sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1", ns=w)
        sh("sysctl", "-qw", "net.ipv6.conf.default.disable_ipv6=1", ns=w)
        for br in ("brc", "brs"):
            sh("ip", "-n", w, "link", "add", br, "type", "bridge", "stp_state", "0",
               "mcast_snooping", "0", "forward_delay", "0")
            sh("ip", "-n", w, "link", "set", br, "up")
        ports = [(self.c, "c0", "wc", "brc"), (self.s, "s0", "ws", "brs"),
                 (self.a, "a0", "wa0", "brc"), (self.a, "a1", "wa1", "brs"),
                 (self.b, "b0", "wb0", "brc"), (self.b, "b1", "wb1", "brs")]
        for ns, dev, wdev, br in ports:
            sh("ip", "link", "add", dev, "netns", ns, "type", "veth", "peer", "name", wdev,
               "netns", w)
            sh("ip", "-n", w, "link", "set", wdev, "master", br)
            sh("ip", "-n", w, "link", "set", wdev, "up")
        sh("ip", "link", "add", "y0", "netns", self.a, "type", "veth", "peer", "name", "y0",
           "netns", self.b)
        for ns, addr in ((self.a, "192.168.214.1"), (self.b, "192.168.214.2")):
            sh("ip", "-n", ns, "addr", "add", f"{addr}/24", "dev", "y0")
            sh("ip", "-n", ns, "link", "set", "y0", "up")
        for ns, dev, a4, a6, gw4, gw6 in ((self.c, "c0", "10.0.1.2/24", "fd00:1::2/64",
                                           "10.0.1.1", "fd00:1::1"),
                                          (self.s, "s0", "10.0.2.2/24", "fd00:2::2/64",
                                           "10.0.2.1", "fd00:2::1")):
            sh("ip", "-n", ns, "addr", "add", a4, "dev", dev)
            sh("ip", "-n", ns, "addr", "add", a6, "dev", dev, "nodad")
            sh("ip", "-n", ns, "link", "set", dev, "up")
            sh("ip", "-n", ns, "route", "add", "default", "via", gw4)
            sh("ip", "-n", ns, "-6", "route", "add", "default", "via", gw6)
            # A veth peer hands 64 KiB super-frames on: segmentation offload off.
            sh(PY, "-c", TSO_OFF, dev, ns=ns)
        with open(self.rules, "w") as f:
            f.write(RULESET)
        self.A.start(standby=False)
        self.B.start(standby=True)
        for node in (self.A, self.B):
            node.mac0 = mac_of(node.ns, f"{node.name.lower()}0")
            node.mac1 = mac_of(node.ns, f"{node.name.lower()}1")
        srv = subprocess.Popen(["ip", "netns", "exec", self.s, PY, "-c", SERVER, "10.0.2.2",
                                "fd00:2::2", str(PORT), str(UDP_PORT)],
                               stdout=subprocess.PIPE, text=True)
        self.procs.append(srv)
        assert srv.stdout.readline().strip() == "listening"

    def start_client(self):
        self.client = subprocess.Popen(
            ["ip", "netns", "exec", self.c, PY, "-c", CLIENT, "10.0.2.2", "fd00:2::2",
             str(PORT), str(UDP_PORT), str(NCONN)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.procs.append(self.client)
        line = self.read_client(30)
        assert line == "ready", f"client: {line!r} {self.client.stderr.read() if line is None else ''}"

    def read_client(self, timeout):
        r, _, _ = select.select([self.client.stdout], [], [], timeout)
        return self.client.stdout.readline().strip() if r else None

    def client_cmd(self, cmd, timeout=5):
        self.client.stdin.write(cmd + "\n")
        self.client.stdin.flush()
        return self.read_client(timeout)

    def down(self):
        for p in self.procs:
            p.kill()
            p.wait()
        for node in (self.A, self.B):
            if node.proc:
                node.proc.terminate()
                try:
                    node.proc.wait(5)
                except subprocess.TimeoutExpired:
                    node.proc.kill()
        for n in self.ns_all():
            subprocess.run(["ip", "netns", "del", n], capture_output=True)
        if os.environ.get("CTSYNC_KEEP"):
            print("kept", self.tmp)
        else:
            shutil.rmtree(self.tmp, ignore_errors=True)


def mac_of(ns, dev):
    out = sh("ip", "-n", ns, "-j", "link", "show", dev)
    return json.loads(out)[0]["address"]


def neigh_mac(ns, addr):
    out = json.loads(sh("ip", "-n", ns, "-j", "neigh", "show", addr) or "[]")
    return out[0].get("lladdr") if out else None


@pytest.fixture(scope="module")
def rig():
    if os.geteuid() != 0:
        pytest.skip("failover tests need root (network namespaces)")
    for tool in ("ip", "sysctl"):
        if not shutil.which(tool):
            pytest.skip(f"{tool} is not installed")
    for b in ("ctrack", "ctrackd", "ctrack-sync"):
        if not os.access(os.path.join(BUILD, b), os.X_OK):
            pytest.skip(f"build/{b} is missing: run make")
    r = Rig()
    try:
        r.up()
        yield r
    finally:
        r.down()


def probe(rig, kind, target, src, ns=None, dev="c0"):
    return sh(PY, "-c", PROBE, dev, kind, target, src, ns=ns or rig.c).split()


def failover(rig, old, new, capsys, label, commit=True):
    """Kill `old`, take over on `new`; returns the client's figures."""
    assert rig.client_cmd("mark") == "marked"
    # The notify script runs as soon as the node is known dead: here at
    # once (keepalived's VRRP detection time, about 3 advertisement
    # intervals, is not part of the figure).  The dead process's teardown
    # (closing its packet rings) overlaps with the takeover.
    t0 = time.monotonic()
    old.kill(wait=False)
    out = new.sync("--takeover")
    t_takeover = (time.monotonic() - t0) * 1e3
    old.reap()
    assert "active: forwarding" in out, out
    time.sleep(3.0)
    res = json.loads(rig.client_cmd("report"))
    res["takeover_ms"] = t_takeover
    res["committed"] = out.split("committed ")[1].split()[0] if "committed " in out else "?"
    tcp = (f"every TCP connection echoing again within {res['all_tcp_ms']:.0f} ms (first "
           f"{res['first_tcp_ms']:.0f} ms; TCP's retransmission backoff included)"
           if res["kept"] else "no TCP connection carried on")
    with capsys.disabled():
        print(f"\n{label}: {res['kept']} of {res['n']} connections kept; "
              f"no forwarding for {res['udp_gap_ms']:.0f} ms (UDP probe every 5 ms; SIGKILL "
              f"to `ctrack-sync --takeover` done {t_takeover:.0f} ms, {res['committed']} "
              f"entries committed); {tcp}")
    return res, out


def test_01_standby_is_silent(rig):
    """Only the active node answers ARP and neighbour solicitations for the shared addresses."""
    A, B = rig.A, rig.B
    assert probe(rig, "arp", "10.0.1.1", "10.0.1.2") == [A.mac0]
    assert probe(rig, "nd", "fd00:1::1", "fd00:1::2") == [A.mac0]
    assert probe(rig, "arp", "10.0.2.1", "10.0.2.2", ns=rig.s, dev="s0") == [A.mac1]
    assert "role standby" in B.sync("-s")
    assert "role active" in A.sync("-s")


def test_02_failover_keeps_every_connection(rig, capsys):
    A, B = rig.A, rig.B
    rig.start_client()
    # Every connection went through A and is in B's external cache, established.
    assert wait_for(lambda: len(A.ctrack("-L", "-p", "tcp", "--dport", str(PORT))
                               .splitlines()) == NCONN, 5)
    assert wait_for(lambda: len(B.ext_entries()) == NCONN, 10), B.sync("-s")
    # B has not been forwarding meanwhile: its table is empty.
    assert B.ctrack("-C").strip() == "0"
    assert neigh_mac(rig.c, "10.0.1.1") == A.mac0
    assert neigh_mac(rig.c, "fd00:1::1") == A.mac0
    res, out = failover(rig, A, B, capsys, "failover A -> B")
    assert res["errors"] == [], res
    assert res["stalled"] == [], res
    assert res["kept"] == NCONN, res
    assert int(res["committed"]) >= NCONN, out
    # The hosts moved to B's MAC because of the announcements (their entries
    # for A were fresh, so nothing else would have made them ask again).
    assert neigh_mac(rig.c, "10.0.1.1") == B.mac0
    assert neigh_mac(rig.c, "fd00:1::1") == B.mac0
    assert neigh_mac(rig.s, "10.0.2.1") == B.mac1
    assert neigh_mac(rig.s, "fd00:2::1") == B.mac1
    lines = B.ctrack("-L", "-p", "tcp", "--dport", str(PORT)).splitlines()
    assert len(lines) == NCONN and all("ESTABLISHED" in l and "[ASSURED]" in l for l in lines)
    assert "role active, takeovers 1" in B.sync("-s")
    assert probe(rig, "arp", "10.0.1.1", "10.0.1.2") == [B.mac0]


def test_03_failback(rig, capsys):
    """A comes back as the standby, asks for a resync (keepalived's backup
    script runs `conntrackd -n`), and takes the connections back."""
    A, B = rig.A, rig.B
    A.start(standby=True)
    time.sleep(0.3)
    assert "resync requested" in A.sync("-n")
    assert wait_for(lambda: len(A.ext_entries()) == NCONN, 10), A.sync("-s")
    assert probe(rig, "arp", "10.0.1.1", "10.0.1.2") == [B.mac0]
    res, _ = failover(rig, B, A, capsys, "failback B -> A")
    assert res["errors"] == [], res
    assert res["kept"] == NCONN, res
    assert neigh_mac(rig.c, "10.0.1.1") == A.mac0
    assert neigh_mac(rig.s, "fd00:2::1") == A.mac1


def test_04_without_the_entries_nothing_survives(rig, capsys):
    """Control: the same takeover with the standby's external cache flushed.
    The ruleset drops the mid-stream packets of unknown connections, so the
    commit is what kept them alive above.  (They are dropped, not reset.)"""
    A, B = rig.A, rig.B
    B.start(standby=True)
    time.sleep(0.3)
    B.sync("-n")
    assert wait_for(lambda: len(B.ext_entries()) == NCONN, 10), B.sync("-s")
    B.sync("-f", "external")
    assert B.ext_entries() == []
    res, out = failover(rig, A, B, capsys, "control (cache flushed) A -> B")
    assert "committed 0 entries" in out
    assert res["kept"] == 0, res
    assert res["errors"] == [], res  # stalled, not reset
    # Forwarding itself works: the UDP probe (a new flow the ruleset accepts) passes.
    assert 0 <= res["udp_after_ms"] < 3000, res


def test_05_standby_command(rig):
    """`ctrack-sync --standby` silences the active node again; --takeover undoes it."""
    B = rig.B
    assert "standby: not forwarding" in B.sync("--standby")
    assert "role standby" in B.sync("-s")
    assert probe(rig, "arp", "10.0.1.1", "10.0.1.2") == []  # A is dead, B silent
    assert probe(rig, "nd", "fd00:2::1", "fd00:2::2", ns=rig.s, dev="s0") == []
    assert "active: forwarding" in B.sync("--takeover")
    assert probe(rig, "arp", "10.0.1.1", "10.0.1.2") == [B.mac0]
    assert probe(rig, "nd", "fd00:2::1", "fd00:2::2", ns=rig.s, dev="s0") == [B.mac1]
