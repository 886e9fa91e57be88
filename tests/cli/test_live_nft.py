# SPDX-License-Identifier: MIT
"""ctrack-nft against a running ctrackd, beside the real nft against a kernel
network namespace: the same command lines on both sides, comparing stdout,
stderr and the exit status after every command, and `list ruleset` (also
with -a) after each sequence.  Then what only ctrackd can show here: rule
counters that survive other rules coming and going, with live traffic
through ctrackd (a veth pair, ping to ctrackd's own address)."""
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time

import pytest

from conftest import BUILD

NFT = os.path.join(BUILD, "ctrack-nft")


def _need():
    if os.geteuid() != 0:
        pytest.skip("live nft tests need root (network namespaces)")
    for tool in ("ip", "nft"):
        if not shutil.which(tool):
            pytest.skip(f"{tool} is not installed")
    for b in ("ctrack-nft", "ctrackd"):
        if not os.access(os.path.join(BUILD, b), os.X_OK):
            pytest.skip(f"build/{b} is missing: run make")


def start_ctrackd(sock, log, *extra, netns=None):
    pre = ["ip", "netns", "exec", netns] if netns else []
    d = subprocess.Popen(pre + [os.path.join(BUILD, "ctrackd"), "-s", sock] + list(extra),
                         stderr=open(log, "a"))
    for _ in range(250):
        if os.path.exists(sock):
            return d
        if d.poll() is not None:
            break
        time.sleep(0.02)
    d.kill()
    with open(log) as f:
        raise RuntimeError("ctrackd did not start:\n" + f.read())


def stop(d):
    d.send_signal(signal.SIGTERM)
    try:
        d.wait(timeout=5)
    except subprocess.TimeoutExpired:
        d.kill()
        d.wait()


class Pair:
    """nft in a throw-away namespace and ctrack-nft against a private ctrackd."""

    def __init__(self, ns, sock, tmp):
        self.ns, self.sock, self.tmp = ns, sock, tmp
        self.env = dict(os.environ, CTRACK_SOCKET=sock, LC_ALL="C")

    def real(self, args, stdin=None):
        p = subprocess.run(["ip", "netns", "exec", self.ns, "nft"] + list(args),
                           capture_output=True, text=True, timeout=20, input=stdin, env=self.env)
        return p.returncode, p.stdout, p.stderr

    def ours(self, args, stdin=None):
        p = subprocess.run([NFT] + list(args), capture_output=True, text=True, timeout=20,
                           input=stdin, env=self.env)
        return p.returncode, p.stdout, p.stderr

    def same(self, args, stdin=None):
        r, o = self.real(args, stdin), self.ours(args, stdin)
        assert o == r, f"nft {' '.join(args)}\nreal: {r}\nours: {o}"
        return o

    def same_listing(self):
        for flags in ([], ["-a"], ["-s"]):
            self.same(flags + ["list", "ruleset"])


@pytest.fixture(scope="module")
def pair():
    _need()
    ns = f"lvnft{os.getpid()}"
    tmp = tempfile.mkdtemp(prefix="ctrack-livenft.")
    sock = os.path.join(tmp, "ctrackd.sock")
    subprocess.run(["ip", "netns", "add", ns], check=True)
    subprocess.run(["ip", "-n", ns, "link", "set", "lo", "up"], check=True)
    d = None
    try:
        d = start_ctrackd(sock, os.path.join(tmp, "ctrackd.log"))
        yield Pair(ns, sock, tmp)
    finally:
        if d:
            stop(d)
        subprocess.run(["ip", "netns", "del", ns])
        shutil.rmtree(tmp, ignore_errors=True)


# The nftables documentation's simple ruleset, typed command by command as
# in its shell examples (`\;` reaches nft as a word of its own).
SIMPLE = [
    "flush ruleset",
    "add table inet filter",
    "add chain inet filter input { type filter hook input priority 0 ; policy drop ; }",
    "add chain inet filter forward { type filter hook forward priority 0 ; policy drop ; }",
    "add chain inet filter output { type filter hook output priority 0 ; policy accept ; }",
    "add rule inet filter input ct state established,related accept",
    "add rule inet filter input ct state invalid drop",
    "add rule inet filter input iif lo accept",
    "add rule inet filter input ip protocol icmp icmp type echo-request accept",
    "add rule inet filter input ip6 nexthdr icmpv6 icmpv6 type { nd-neighbor-solicit, echo-request, nd-router-advert, nd-neighbor-advert } accept",
    "add rule inet filter input tcp dport ssh ct state new counter accept",
    "add rule inet filter input tcp dport { http, https } ct state new accept",
    "add rule inet filter input counter reject with icmpx type admin-prohibited",
]


def test_simple_ruleset_as_typed(pair):
    for cmd in SIMPLE:
        pair.same(cmd.split())
    pair.same_listing()
    pair.same(["list", "table", "inet", "filter"])
    pair.same(["list", "chain", "inet", "filter", "input"])
    pair.same(["-a", "list", "chain", "inet", "filter", "input"])
    pair.same(["list", "tables"])
    pair.same(["flush", "ruleset"])
    pair.same(["list", "ruleset"])


# The commands: one argument or many, insert, delete by handle, errors.
SEQUENCE = [
    ["flush", "ruleset"],
    ["add", "rule", "filter", "input", "counter"],          # no such table
    ["add", "table", "ip", "filter"],
    ["add", "rule", "filter", "input", "counter"],          # no such chain
    ["add chain ip filter input { type filter hook input priority 0; policy accept; }"],
    ["add", "rule", "filter", "input", "ct", "state", "established,related", "counter", "accept"],
    ["add", "rule", "filter", "input", "tcp", "dport", "22", "counter", "accept"],
    ["insert", "rule", "filter", "input", "udp", "dport", "53", "counter", "accept"],
    ["add", "rule", "filter", "input", "tcp", "dport", "22", "acept"],  # syntax error
    ["add", "rule", "filter", "input", "foo", "bar"],
    ["-a", "list", "ruleset"],
    ["delete", "rule", "filter", "input", "handle", "99"],
    ["delete", "rule", "filter", "input", "handle", "3"],
    ["add", "rule", "ip", "filter", "input", "position", "2", "icmp", "type", "echo-request",
     "accept"],
    ["insert", "rule", "ip", "filter", "input", "handle", "4", "ip", "saddr", "10.0.0.0/8",
     "drop"],
    ["-a", "list", "ruleset"],
    ["--", "add", "chain", "ip", "filter", "pre", "{", "type", "filter", "hook", "prerouting",
     "priority", "-150", ";", "}"],
    ["add", "table", "ip", "nat"],
    ["add", "chain", "ip", "nat", "postrouting", "{", "type", "nat", "hook", "postrouting",
     "priority", "100", ";", "}"],
    ["add", "rule", "ip", "nat", "postrouting", "oifname", "eth0", "masquerade"],
    ["list", "table", "ip", "nope"],
    ["list", "chain", "ip", "filter", "nope"],
    ["list", "tables"],
    ["delete", "table", "ip", "nat"],
    ["flush", "chain", "ip", "filter", "input"],
    ["delete", "chain", "ip", "filter", "pre"],
]


def test_command_sequence(pair):
    for args in SEQUENCE:
        pair.same(args)
    pair.same_listing()


def write(pair, name, text):
    path = os.path.join(pair.tmp, name)
    with open(path, "w") as f:
        f.write(text)
    return path


GOOD = """flush ruleset
table inet fw {
	set allowed { type ipv4_addr; flags interval; elements = { 10.0.0.0/8, 192.168.1.1 } }
	chain input {
		type filter hook input priority filter; policy drop;
		ct state established,related counter accept
		ip saddr @allowed tcp dport { 22, 80 } accept
		limit rate 5/second counter accept
	}
}
"""

# The last line has an error: nothing of the file may be applied.
BAD = """add table ip extra
add chain ip extra c { type filter hook output priority 0; }
add rule ip extra c counter accept
add rule inet fw input tcp dport 443 acept
"""


def test_file_atomic(pair):
    good = write(pair, "good.nft", GOOD)
    bad = write(pair, "bad.nft", BAD)
    pair.same(["-f", good])
    pair.same_listing()
    before = pair.ours(["-a", "list", "ruleset"])
    rc, _, err = pair.same(["-f", bad])
    assert rc == 1 and "Error:" in err
    assert pair.ours(["-a", "list", "ruleset"]) == before
    pair.same_listing()
    # -c checks against the running ruleset and changes nothing
    pair.same(["-c", "-f", bad])
    ok = write(pair, "more.nft", "add rule inet fw input udp dport 53 accept\n")
    pair.same(["-c", "-f", ok])
    assert pair.ours(["-a", "list", "ruleset"]) == before
    pair.same(["-f", ok])
    pair.same_listing()
    # standard input
    pair.same(["-f", "-"], stdin="add rule inet fw input udp dport 54 accept\n")
    pair.same(["-f", "-"], stdin="add rule inet fw nochain udp dport 54 accept\n")
    pair.same_listing()
    pair.same(["-f", os.path.join(pair.tmp, "missing.nft")])


# The list commands (and -j) on a ruleset with sets, maps, a vmap, a ct
# helper object, comments and two families, before and after elements come
# and go: ctrackd answers them from its live ruleset.
LISTS = """flush ruleset
table inet filter {
	comment "main"
	ct helper ftp-std {
		type "ftp" protocol tcp
		l3proto inet
	}
	set blocklist {
		type ipv4_addr
		flags interval
		comment "bad hosts"
		elements = { 10.0.0.0/8, 192.0.2.1, 198.51.100.10-198.51.100.20 }
	}
	map ports {
		type inet_service : verdict
		elements = { 22 : accept, 80 : drop }
	}
	map marks {
		type ipv4_addr : mark
		elements = { 10.1.1.1 : 0x1 }
	}
	chain input {
		type filter hook input priority filter; policy drop;
		comment "input"
		ct state established,related counter accept
		ip saddr @blocklist counter drop comment "blocked"
		tcp dport vmap @ports
		meta mark set ip saddr map @marks
		ct helper set "ftp-std"
		icmp type echo-request limit rate 5/second accept
	}
	chain sub {
		return
	}
}
table ip nat {
	chain post {
		type nat hook postrouting priority srcnat; policy accept;
		oifname "eth0" masquerade
	}
}
table ip6 six {
	set s6 {
		type ipv6_addr
		elements = { ::1, 2001:db8::1 }
	}
}
"""

LIST_COMMANDS = [
    ["list", "tables"], ["list", "tables", "inet"],
    ["list", "table", "inet", "filter"], ["-a", "list", "table", "inet", "filter"],
    ["list", "table", "nat"], ["list", "table", "ip", "nope"], ["list", "table", "ip", "filter"],
    ["list", "chains"], ["-a", "list", "chains", "inet"],
    ["list", "chain", "inet", "filter", "input"], ["-a", "list", "chain", "inet", "filter", "sub"],
    ["list", "chain", "inet", "filter", "nope"],
    ["list", "sets"], ["list", "sets", "table", "inet", "filter"], ["list", "sets", "ip6"],
    ["list", "set", "inet", "filter", "blocklist"], ["-a", "list", "set", "ip6", "six", "s6"],
    ["list", "set", "inet", "filter", "nope"], ["list", "set", "inet", "filter", "ports"],
    ["list", "maps"], ["list", "map", "inet", "filter", "ports"],
    ["list", "counters"], ["list", "counter", "inet", "filter", "ftp-std"],
    ["list", "ct", "helpers", "table", "inet", "filter"],
    ["list", "ruleset", "ip"], ["-n", "list", "ruleset"], ["-t", "list", "sets"],
    ["list", "set", "inet", "filter"], ["list", "tables", "foo"],
    ["-j", "list", "ruleset"], ["-j", "-s", "list", "ruleset"], ["-j", "list", "tables"],
    ["-j", "list", "table", "inet", "filter"], ["-j", "list", "chain", "inet", "filter", "input"],
    ["-j", "list", "set", "inet", "filter", "blocklist"], ["-j", "list", "maps"],
    ["-j", "list", "set", "inet", "filter", "nope"],
]


def test_list_commands(pair):
    pair.same(["-f", write(pair, "lists.nft", LISTS)])
    for args in LIST_COMMANDS:
        pair.same(args)
    # elements added and deleted show in the next listing
    pair.same(["add", "element", "inet", "filter", "blocklist", "{ 203.0.113.5, 172.16.0.0/12 }"])
    pair.same(["add", "element", "inet", "filter", "ports", "{ 443 : accept }"])
    pair.same(["delete", "element", "inet", "filter", "blocklist", "{ 192.0.2.1 }"])
    for args in (["list", "set", "inet", "filter", "blocklist"],
                 ["-j", "list", "set", "inet", "filter", "blocklist"],
                 ["list", "map", "inet", "filter", "ports"],
                 ["-j", "list", "map", "inet", "filter", "ports"],
                 ["list", "table", "inet", "filter"], ["-j", "list", "ruleset"]):
        pair.same(args)
    pair.same(["flush", "ruleset"])


def test_offline_forms_ignore_the_daemon(pair, tmp_path):
    """-f without a socket named stays offline, as before this mode existed."""
    f = tmp_path / "r.nft"
    f.write_text("table ip t { chain c { type filter hook input priority 0; } }\n")
    env = {k: v for k, v in os.environ.items() if k != "CTRACK_SOCKET"}
    p = subprocess.run([NFT, "-f", str(f), "list", "ruleset"], capture_output=True, text=True,
                       env=env)
    assert p.returncode == 0 and p.stdout.startswith("table ip t {")
    p = subprocess.run([NFT, "-c", "-f", str(f)], capture_output=True, text=True, env=env)
    assert p.returncode == 0 and p.stdout == ""
    # the conformance runner's form: SCRIPT then options
    p = subprocess.run([NFT, str(f), "-s", "-p"], capture_output=True, text=True, env=pair.env)
    assert p.returncode == 0 and p.stdout.startswith("table ip t {")
    # --offline wins over $CTRACK_SOCKET
    p = subprocess.run([NFT, "--offline", "-f", str(f), "list", "ruleset"], capture_output=True,
                       text=True, env=pair.env)
    assert p.returncode == 0 and p.stdout.startswith("table ip t {")
    assert "table ip t" not in pair.ours(["list", "ruleset"])[1]


def test_no_daemon(tmp_path):
    _need()
    p = subprocess.run([NFT, "--socket", str(tmp_path / "none.sock"), "list", "ruleset"],
                       capture_output=True, text=True)
    assert p.returncode == 1
    assert p.stderr.startswith("Error: cannot connect to ctrackd at ")


# ---- live counters: traffic through ctrackd ----

PING = """
import os, socket, struct, sys
def csum(b):
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xffff)
    s += s >> 16
    return ~s & 0xffff
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
s.settimeout(2)
ident = os.getpid() & 0xffff
ok = 0
for seq in range(int(sys.argv[2])):
    h = struct.pack("!BBHHH", 8, 0, 0, ident, seq) + b"ctrack-lv!"
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


@pytest.fixture(scope="module")
def live():
    """ns C (c0 10.9.1.2) -- veth -- ns R (r0 owned by ctrackd, 10.9.1.1)."""
    _need()
    tag = os.getpid() % 100000
    c, r = f"lvc{tag}", f"lvr{tag}"
    tmp = tempfile.mkdtemp(prefix="ctrack-livecnt.")
    sock = os.path.join(tmp, "ctrackd.sock")
    d = None
    try:
        for n in (c, r):
            subprocess.run(["ip", "netns", "add", n], check=True)
            subprocess.run(["ip", "-n", n, "link", "set", "lo", "up"], check=True)
        subprocess.run(["ip", "link", "add", "c0", "netns", c, "type", "veth", "peer", "name",
                        "r0", "netns", r], check=True)
        subprocess.run(["ip", "-n", c, "addr", "add", "10.9.1.2/24", "dev", "c0"], check=True)
        subprocess.run(["ip", "-n", c, "link", "set", "c0", "up"], check=True)
        subprocess.run(["ip", "-n", r, "link", "set", "r0", "up"], check=True)
        d = start_ctrackd(sock, os.path.join(tmp, "ctrackd.log"), "--iface", "r0,10.9.1.1/24",
                          netns=r)
        env = dict(os.environ, CTRACK_SOCKET=sock, LC_ALL="C")

        def nft(*args):
            p = subprocess.run([NFT] + list(args), capture_output=True, text=True, env=env,
                               timeout=20)
            return p.returncode, p.stdout, p.stderr

        def ping(n):
            p = subprocess.run(["ip", "netns", "exec", c, "/usr/bin/python3", "-c", PING,
                                "10.9.1.1", str(n)], capture_output=True, text=True, timeout=30)
            return int(p.stdout.strip() or 0)

        yield nft, ping
    finally:
        if d:
            stop(d)
        for n in (c, r):
            subprocess.run(["ip", "netns", "del", n], capture_output=True)
        shutil.rmtree(tmp, ignore_errors=True)


def counter_of(listing, marker):
    for line in listing.splitlines():
        if marker in line:
            words = line.split()
            i = words.index("packets")
            return int(words[i + 1]), int(words[i + 3])
    raise AssertionError(f"no rule with {marker!r} in:\n{listing}")


def test_counters_survive_other_rules(live):
    nft, ping = live
    assert nft("add", "table", "ip", "filter")[0] == 0
    assert nft("add chain ip filter input { type filter hook input priority 0; policy accept; }")[0] == 0
    assert nft("add", "rule", "ip", "filter", "input", "icmp", "type", "echo-request", "counter",
               "accept")[0] == 0
    assert ping(3) == 3
    # 3 echo requests of 38 bytes (20 IP + 8 ICMP + 10 data)
    listing = nft("list", "ruleset")[1]
    assert counter_of(listing, "echo-request") == (3, 114)
    # rules added before and after it, one inserted at its handle, another deleted
    assert nft("insert", "rule", "ip", "filter", "input", "udp", "dport", "53", "counter")[0] == 0
    assert nft("add", "rule", "ip", "filter", "input", "tcp", "dport", "22", "counter")[0] == 0
    rc, out, _ = nft("-a", "list", "ruleset")
    handle = [ln.split()[-1] for ln in out.splitlines() if "udp dport 53" in ln][0]
    assert nft("delete", "rule", "ip", "filter", "input", "handle", handle)[0] == 0
    listing = nft("list", "ruleset")[1]
    assert counter_of(listing, "echo-request") == (3, 114)
    assert counter_of(listing, "tcp dport 22") == (0, 0)
    assert ping(2) == 2
    assert counter_of(nft("list", "ruleset")[1], "echo-request") == (5, 190)
    # a refused transaction changes nothing either
    assert nft("add", "rule", "ip", "filter", "input", "tcp", "dport", "1", "acept")[0] == 1
    assert counter_of(nft("list", "ruleset")[1], "echo-request") == (5, 190)
    # a table deleted and added again starts afresh, as in the kernel
    assert nft("delete", "table", "ip", "filter")[0] == 0
    assert nft("add table ip filter; add chain ip filter input { type filter hook input priority 0; }; add rule ip filter input icmp type echo-request counter accept")[0] == 0
    assert counter_of(nft("list", "ruleset")[1], "echo-request") == (0, 0)
    assert ping(1) == 1
    assert counter_of(nft("list", "ruleset")[1], "echo-request") == (1, 38)
    # flush ruleset ends it all
    assert nft("flush", "ruleset")[0] == 0
    assert nft("list", "ruleset")[1] == ""


def test_live_listings_show_counters(live):
    """list chain / list table / -j list ruleset carry what ctrackd counted."""
    nft, ping = live
    assert nft("add table ip filter; add chain ip filter input { type filter hook input priority 0; }")[0] == 0
    assert nft("add", "rule", "ip", "filter", "input", "icmp", "type", "echo-request", "counter",
               "accept")[0] == 0
    assert nft("add", "set", "ip", "filter", "seen", "{ type ipv4_addr; }")[0] == 0
    assert ping(2) == 2
    for cmd in (["list", "chain", "ip", "filter", "input"], ["list", "table", "ip", "filter"]):
        rc, out, _ = nft(*cmd)
        assert rc == 0 and counter_of(out, "echo-request") == (2, 76)
    rc, out, _ = nft("-j", "list", "ruleset")
    assert rc == 0
    rules = [o["rule"] for o in json.loads(out)["nftables"] if "rule" in o]
    assert [e for e in rules[0]["expr"] if "counter" in e] == [
        {"counter": {"packets": 2, "bytes": 76}}]
    rc, out, _ = nft("-j", "-s", "list", "chain", "ip", "filter", "input")
    assert rc == 0 and '{"counter": null}' in out
    # an element added live is listed at once, in text and JSON
    assert nft("add", "element", "ip", "filter", "seen", "{ 10.9.1.2 }")[0] == 0
    rc, out, _ = nft("list", "set", "ip", "filter", "seen")
    assert rc == 0 and "elements = { 10.9.1.2 }" in out
    rc, out, _ = nft("-j", "list", "set", "ip", "filter", "seen")
    assert json.loads(out)["nftables"][1]["set"]["elem"] == ["10.9.1.2"]
    rc, _, err = nft("list", "set", "ip", "filter", "nope")
    assert rc == 1 and err.startswith("Error: No such file or directory\n")
    assert nft("flush", "ruleset")[0] == 0
