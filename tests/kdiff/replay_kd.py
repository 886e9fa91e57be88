# SPDX-License-Identifier: MIT
"""End-to-end kernel-differential harness for ctrack-replay.

The same frames go through a Linux router namespace (the kernel, with an nft
ruleset) and through build/ctrack-replay (the same ruleset, the same
interfaces, routes and neighbours).  Compared afterwards:

  (a) the frames that leave each firewall interface, in order, byte for byte
      from the Ethernet header on (MAC rewrite, addresses, ports, TTL,
      checksums, payload).  Only what the kernel randomises is masked: the
      IPv4 ID (and so the header checksum, which is then verified instead)
      of firewall-generated packets sent without DF (ICMP errors, echo
      replies), and the fragment identification of IPv6 fragments (the
      kernel refragments with a fresh one, docs/differences.md).  IPv6 flow
      labels are compared: the firewall namespace runs with
      net.ipv6.auto_flowlabels=0.
  (b) per injected frame: forwarded or not (drops);
  (c) the final connection table (`conntrack -L -o extended`), timeouts
      within a tolerance;
  (d) the rule counters (`nft list ruleset` vs --ruleset-out).

Topology (a fresh set of namespaces per scenario, names with a random
suffix):  one puppet namespace per firewall interface, joined by a veth.
Puppets drop everything in their own stack; the harness injects frames on
the puppet end with AF_PACKET (to the firewall's MAC) and captures what the
firewall sends there.  The firewall namespace has forwarding on, static
neighbours, rp_filter off, no DAD / link-local addresses, checksum offload
off in both directions on its interfaces (so frames on the wire carry real
checksums), and ICMP rate limiting off (ctrack does not rate-limit: a
documented difference).

The packet builders, namespace helpers and table comparison come from
kdiff.py (imported, not modified).
"""

import ipaddress
import os
import random
import re
import socket
import struct
import subprocess
import time

import kdiff
from kdiff import a2b, mac_str, run

# --------------------------------------------------------------------------
# Network descriptions

ROUTER_SYSCTLS = {
    "net.ipv6.conf.all.accept_dad": "0",
    "net.ipv6.conf.default.accept_dad": "0",
    "net.ipv6.conf.all.dad_transmits": "0",
    "net.ipv6.conf.default.dad_transmits": "0",
    "net.ipv6.conf.default.addr_gen_mode": "1",  # no link-local addresses
    "net.ipv6.conf.all.accept_ra": "0",
    "net.ipv6.conf.default.accept_ra": "0",
    "net.ipv4.conf.all.rp_filter": "0",
    "net.ipv4.conf.default.rp_filter": "0",
    "net.ipv4.ip_forward": "1",
    "net.ipv6.conf.all.forwarding": "1",
    "net.ipv4.conf.all.send_redirects": "0",
    "net.ipv4.conf.default.send_redirects": "0",
    # Deterministic generated packets: no random flow labels, no ICMP
    # rate limiting (ctrack applies none, docs/differences.md).
    "net.ipv6.auto_flowlabels": "0",
    "net.ipv4.icmp_ratelimit": "0",
    "net.ipv6.icmp.ratelimit": "0",
    "net.ipv4.icmp_msgs_burst": "10000",
    "net.ipv4.icmp_msgs_per_sec": "10000",
}

PUPPET_SYSCTLS = {
    "net.ipv6.conf.all.accept_dad": "0",
    "net.ipv6.conf.default.accept_dad": "0",
    "net.ipv6.conf.default.addr_gen_mode": "1",
    "net.ipv6.conf.all.accept_ra": "0",
    "net.ipv6.conf.default.accept_ra": "0",
}

# Always on in both: per-entry packet/byte counters make (c) stronger.
NF_SETTINGS = {"nf_conntrack_acct": "1"}


class Link:
    """One firewall interface and the puppet at the other end of its veth."""

    def __init__(self, side, fw_dev, fw_mac, fw_addrs, peer_mac):
        self.side = side          # short name used by the scenario ("lan", "wan")
        self.fw_dev = fw_dev
        self.fw_mac = bytes.fromhex(fw_mac.replace(":", ""))
        self.fw_addrs = list(fw_addrs)   # "ADDR/PLEN"
        self.peer_mac = bytes.fromhex(peer_mac.replace(":", ""))


class Net:
    """A router: links, static routes (prefix, dev, gateway) and neighbours
    (dev, addr, mac).  `kernel_neighs` are extra neighbours the kernel needs
    where ctrack learns them from frames (kernels do not learn from IP)."""

    def __init__(self, links, routes=(), neighs=(), kernel_neighs=()):
        self.links = list(links)
        self.routes = list(routes)
        self.neighs = list(neighs)
        self.kernel_neighs = list(kernel_neighs)

    def link(self, side):
        for ln in self.links:
            if ln.side == side:
                return ln
        raise KeyError(side)

    def fw_addresses(self):
        return {a2b(a.split("/")[0]) for ln in self.links for a in ln.fw_addrs}

    def replay_args(self):
        args = []
        for ln in self.links:
            args += ["--iface", ",".join([ln.fw_dev, mac_str(ln.fw_mac)] + ln.fw_addrs)]
        for pfx, dev, gw in self.routes:
            args += ["--route", ",".join([pfx, dev] + ([gw] if gw else []))]
        for dev, addr, mac in self.neighs:
            args += ["--neigh", "%s,%s,%s" % (dev, addr, mac)]
        return args


# The main test network, laid out like kdiff.py's (addresses, MACs, routed
# prefixes behind the puppets), with the interface names of the office
# example so that its ruleset applies unchanged.
LAN4, LAN6 = "10.1.0.2", "fd00:1::2"        # hosts on the LAN side
WAN4, WAN6 = "10.2.0.2", "fd00:2::2"        # hosts on the WAN side
FW_LAN4, FW_LAN6 = "10.1.0.1", "fd00:1::1"
FW_WAN4, FW_WAN6 = "10.2.0.1", "fd00:2::1"
LAN4_NET, WAN4_NET = "10.11.0.0/16", "10.22.0.0/16"
LAN6_NET, WAN6_NET = "fd00:11::/64", "fd00:22::/64"
SERVER4, SERVER6 = "10.11.0.10", "fd00:11::10"   # the office server (ssh, http)

MAIN_NET = Net(
    links=[
        Link("lan", "lan0", "02:00:00:00:01:01", ["10.1.0.1/24", "fd00:1::1/64"],
             "02:00:00:00:01:02"),
        Link("wan", "wan0", "02:00:00:00:02:01", ["10.2.0.1/24", "fd00:2::1/64"],
             "02:00:00:00:02:02"),
    ],
    routes=[(LAN4_NET, "lan0", LAN4), (WAN4_NET, "wan0", WAN4),
            (LAN6_NET, "lan0", LAN6), (WAN6_NET, "wan0", WAN6)],
    neighs=[("lan0", LAN4, "02:00:00:00:01:02"), ("lan0", LAN6, "02:00:00:00:01:02"),
            ("wan0", WAN4, "02:00:00:00:02:02"), ("wan0", WAN6, "02:00:00:00:02:02")],
)

# The stateful small-office ruleset of examples/office.nft, adapted to the
# test network (server address, IPv6 server, local services, reject rules)
# with counters on every rule so that (d) sees every decision.
OFFICE_RULESET = """\
define lan_if = "lan0"
define wan_if = "wan0"
define server = 10.11.0.10
define server6 = fd00:11::10

table inet filter {
	chain prerouting {
		type filter hook prerouting priority filter; policy accept;
		meta l4proto tcp counter
		meta l4proto udp counter
		meta l4proto { icmp, ipv6-icmp } counter
	}

	chain input {
		type filter hook input priority filter; policy drop;
		ct state established,related counter accept
		ct state invalid counter drop
		iifname "lo" accept
		icmp type echo-request counter accept
		icmpv6 type echo-request counter accept
		icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert } counter accept
		iifname $lan_if tcp dport { ssh, 8080 } counter accept
		iifname $lan_if udp dport 9999 counter accept
		counter comment "input: everything else"
	}

	chain forward {
		type filter hook forward priority filter; policy drop;
		ct state established,related counter accept
		ct state invalid counter drop
		tcp dport 113 counter reject with tcp reset
		meta nfproto ipv4 udp dport 514 counter reject with icmp type port-unreachable
		meta nfproto ipv6 udp dport 514 counter reject with icmpv6 type port-unreachable
		udp dport 515 counter reject with icmpx type admin-prohibited
		iifname $lan_if oifname $wan_if counter accept
		ip daddr $server tcp dport { ssh, http } ct state new counter accept
		ip6 daddr $server6 tcp dport { ssh, http } ct state new counter accept
		counter comment "everything else"
	}

	chain output {
		type filter hook output priority filter; policy accept;
		ip6 daddr ff00::/8 accept comment "the kernel's own MLD reports"
		ct state new counter
		counter
	}

	chain postrouting {
		type filter hook postrouting priority filter; policy accept;
		ip6 daddr ff00::/8 accept
		oifname $lan_if counter
		oifname $wan_if counter
	}
}
"""

PUPPET_RULESET = kdiff.PUPPET_RULESET

# --------------------------------------------------------------------------
# Namespaces


def _ethtool(dev, cmd, on):
    """SIOCETHTOOL set command (ETHTOOL_SRXCSUM 0x15 / ETHTOOL_STXCSUM 0x17)."""
    import ctypes
    import fcntl
    ev = ctypes.create_string_buffer(struct.pack("II", cmd, 1 if on else 0))
    ifr = struct.pack("16sP", dev.encode(), ctypes.addressof(ev))
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        fcntl.ioctl(s.fileno(), 0x8946, ifr)
    finally:
        s.close()


class Router:
    """The kernel side: a firewall namespace and one puppet per link."""

    def __init__(self, net, ruleset, sysctls=None):
        sfx = "%06x" % random.getrandbits(24)
        self.net = net
        self.ruleset = ruleset
        self.sysctls = dict(sysctls or {})
        self.f = "rk-%s-fw" % sfx
        self.puppet = {ln.side: "rk-%s-%s" % (sfx, ln.side) for ln in net.links}
        self.created = []

    def up(self):
        try:
            self._up()
        except BaseException:
            self.down()
            raise
        return self

    def _up(self):
        for ns in [self.f] + list(self.puppet.values()):
            run(["ip", "netns", "add", ns])
            self.created.append(ns)
        self.sysctl(self.f, ROUTER_SYSCTLS)
        for ln in self.net.links:
            pns = self.puppet[ln.side]
            self.sysctl(pns, PUPPET_SYSCTLS)
            run(["ip", "-n", self.f, "link", "add", ln.fw_dev, "address", mac_str(ln.fw_mac),
                 "type", "veth", "peer", "name", "peer0", "address", mac_str(ln.peer_mac),
                 "netns", pns])
            self.sysctl(self.f, {"net.ipv4.conf.%s.rp_filter" % ln.fw_dev: "0",
                                 "net.ipv6.conf.%s.accept_dad" % ln.fw_dev: "0"})
            for a in ln.fw_addrs:
                extra = ["nodad"] if ":" in a else []
                run(["ip", "-n", self.f, "addr", "add", a, "dev", ln.fw_dev] + extra)
            run(["ip", "-n", self.f, "link", "set", ln.fw_dev, "up"])
            run(["ip", "-n", pns, "link", "set", "peer0", "up"])
            with kdiff.in_netns(self.f):
                _ethtool(ln.fw_dev, 0x15, False)   # verify checksums on receive
                _ethtool(ln.fw_dev, 0x17, False)   # full checksums on the wire
            with kdiff.in_netns(pns):
                _ethtool("peer0", 0x17, False)
            self.nft(pns, PUPPET_RULESET)
        run(["ip", "-n", self.f, "link", "set", "lo", "up"])
        for dev, addr, mac in self.net.neighs + self.net.kernel_neighs:
            run(["ip", "-n", self.f, "neigh", "replace", addr, "lladdr", mac, "dev", dev,
                 "nud", "permanent"])
        for pfx, dev, gw in self.net.routes:
            run(["ip", "-n", self.f, "route", "add", pfx, "dev", dev] +
                (["via", gw] if gw else []))
        self.nft(self.f, self.ruleset)
        nf = {"net.netfilter." + k: v for k, v in self.sysctls.items()}
        self.sysctl(self.f, nf)

    def down(self):
        for ns in reversed(self.created):
            run(["ip", "netns", "del", ns], check=False)
        self.created = []

    def sysctl(self, ns, kv):
        if kv:
            run(["ip", "netns", "exec", ns, "sysctl", "-q", "-w"] +
                ["%s=%s" % (k, v) for k, v in kv.items()])

    def nft(self, ns, ruleset):
        run(["ip", "netns", "exec", ns, "nft", "-f", "-"], input=ruleset)

    def conntrack_list(self):
        t = time.time_ns()
        r = run(["ip", "netns", "exec", self.f, "conntrack", "-L", "-o", "extended"])
        return [ln for ln in r.stdout.splitlines() if ln.strip()], t

    def nft_list(self):
        return run(["ip", "netns", "exec", self.f, "nft", "list", "ruleset"]).stdout


# --------------------------------------------------------------------------
# pcap reading (ctrack-replay writes microsecond pcaps)

def read_pcap(path):
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 24:
        raise AssertionError("%s: not a pcap (%d bytes)" % (path, len(data)))
    magic = struct.unpack("<I", data[:4])[0]
    if magic in (0xA1B2C3D4, 0xA1B23C4D):
        e = "<"
    else:
        e = ">"
        magic = struct.unpack(">I", data[:4])[0]
    nano = magic == 0xA1B23C4D
    out, off = [], 24
    while off + 16 <= len(data):
        sec, frac, caplen, _ = struct.unpack(e + "IIII", data[off:off + 16])
        off += 16
        ts = sec * 10**9 + (frac if nano else frac * 1000)
        out.append((ts, data[off:off + caplen]))
        off += caplen
    return out


def write_pcap_raw(path, packets):
    """A nanosecond pcap of raw IP packets (LINKTYPE_RAW, 101)."""
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B23C4D, 2, 4, 0, 0, 65535, 101))
        for ts, pkt in packets:
            f.write(struct.pack("<IIII", ts // 10**9, ts % 10**9, len(pkt), len(pkt)))
            f.write(pkt)


# --------------------------------------------------------------------------
# Frame comparison


def ip_len(l3):
    if l3 and l3[0] >> 4 == 4 and len(l3) >= 20:
        return struct.unpack("!H", l3[2:4])[0]
    if l3 and l3[0] >> 4 == 6 and len(l3) >= 40:
        return 40 + struct.unpack("!H", l3[4:6])[0]
    return len(l3)


def masked(frame, fw_addrs):
    """(bytes to compare, list of problems) for one frame leaving the fw."""
    problems = []
    b = bytearray(frame[:14] + frame[14:14 + ip_len(frame[14:])])
    l3 = memoryview(b)[14:]
    if len(l3) >= 20 and l3[0] >> 4 == 4:
        ihl = (l3[0] & 15) * 4
        if kdiff.csum(bytes(l3[:ihl])) != 0:
            problems.append("bad IPv4 header checksum")
        df = struct.unpack("!H", l3[6:8])[0] & 0x4000
        if bytes(l3[12:16]) in fw_addrs and not df:
            l3[4:6] = b"\xee\xee"          # ID: random in the kernel
            l3[10:12] = b"\xcc\xcc"        # so is the header checksum (verified above)
    elif len(l3) >= 48 and l3[0] >> 4 == 6 and l3[6] == 44:
        l3[44:48] = b"\xff\xff\xff\xff"    # refragmented: a fresh identification
    return bytes(b), problems


def frame_text(frame):
    if len(frame) < 14:
        return "(%d bytes)" % len(frame)
    return "%s>%s %s" % (mac_str(frame[6:12]), mac_str(frame[:6]),
                         kdiff.describe(frame[14:14 + ip_len(frame[14:])]))


def first_diff(a, b):
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y:
            return i
    return min(len(a), len(b))


# --------------------------------------------------------------------------
# nft counters

_TABLE_RE = re.compile(r"^\s*table\s+(\S+)\s+(\S+)\s*\{")
_CHAIN_RE = re.compile(r"^\s*chain\s+(\S+)\s*\{")
_COUNTER_RE = re.compile(r"counter packets (\d+) bytes (\d+)")


def ruleset_counters(text):
    """[(where, rule text without the counter values, packets, bytes)] in
    listing order; `where` = "family table chain #n"."""
    out, table, chain, n = [], "?", "?", 0
    for ln in text.splitlines():
        m = _TABLE_RE.match(ln)
        if m:
            table, chain = "%s %s" % (m.group(1), m.group(2)), "?"
            continue
        m = _CHAIN_RE.match(ln)
        if m:
            chain, n = m.group(1), 0
            continue
        for m in _COUNTER_RE.finditer(ln):
            n += 1
            rule = " ".join(_COUNTER_RE.sub("counter", ln).split())
            out.append(("%s %s #%d" % (table, chain, n), rule, int(m.group(1)),
                        int(m.group(2))))
    return out


def compare_counters(ktext, ctext):
    k, c = ruleset_counters(ktext), ruleset_counters(ctext)
    diffs = []
    if len(k) != len(c):
        diffs.append("counter count %d (kernel) != %d (ctrack)" % (len(k), len(c)))
    for a, b in zip(k, c):
        if a[0] != b[0] or a[1] != b[1]:
            diffs.append("counter position: kernel %s `%s` vs ctrack %s `%s`" % (
                a[0], a[1], b[0], b[1]))
        elif a[2:] != b[2:]:
            diffs.append("counter %s `%s`: kernel packets %d bytes %d, ctrack packets %d "
                         "bytes %d" % (a[0], a[1], a[2], a[3], b[2], b[3]))
    return diffs


# --------------------------------------------------------------------------
# The scenario

TIMEOUT_TOLERANCE_S = 3
ETH_P_ALL = 0x0003


def replay_path():
    build = os.environ.get("CTRACK_BUILD", os.path.join(kdiff.REPO, "build"))
    if not os.path.isabs(build):
        build = os.path.join(kdiff.REPO, build)
    return os.path.join(build, "ctrack-replay")


class Side:
    """Two sides of a Scenario seen as client (c) / server (s), for
    kdiff.TcpFlow."""

    def __init__(self, sc, c_side, s_side):
        self.sc, self.cs, self.ss = sc, c_side, s_side

    def c(self, *pkts):
        self.sc.send(self.cs, *pkts)

    def s(self, *pkts):
        self.sc.send(self.ss, *pkts)


class ReplayScenario:
    """Inject frames into a Router, collect what it does, replay the same
    frames through ctrack-replay and compare."""

    def __init__(self, router, workdir, name="scenario"):
        self.router = router
        self.net = router.net
        self.workdir = workdir
        self.name = re.sub(r"[^A-Za-z0-9_.-]", "_", name)
        self.sent = []        # (ts_ns, side, frame)
        self.captured = []    # (side, frame, ts_ns): what the fw sent on that link
        self.kernel_table = None
        self.kernel_ruleset = None
        self.list_time = None
        self.ctrack = None
        self.tx, self.rx = {}, {}
        for ln in self.net.links:
            pns = router.puppet[ln.side]
            self.tx[ln.side] = kdiff._packet_socket(pns, "peer0", 0)
            rx = kdiff._packet_socket(pns, "peer0", ETH_P_ALL)
            rx.setsockopt(socket.SOL_SOCKET, 33, 8 << 20)   # SO_RCVBUFFORCE
            rx.setsockopt(socket.SOL_SOCKET, kdiff.SO_TIMESTAMPNS, 1)
            rx.setblocking(False)
            self.rx[ln.side] = rx
        self.sides = {"c": "lan", "s": "wan"}

    # -- injection --------------------------------------------------------
    def send(self, side, *pkts, src_mac=None, dst_mac=None):
        ln = self.net.link(side)
        for l3 in pkts:
            et = kdiff.ETH_P_IPV6 if l3[0] >> 4 == 6 else kdiff.ETH_P_IP
            self.send_frame(side, (dst_mac or ln.fw_mac) + (src_mac or ln.peer_mac) +
                            struct.pack("!H", et) + l3)

    def send_frame(self, side, fr):
        ts = time.time_ns()
        self.tx[side].send(fr)
        self.sent.append((ts, side, bytes(fr)))
        if len(self.sent) % 32 == 0:
            self._drain(0)

    def local(self, *pkts):
        """Packets the firewall itself sends (a raw socket with the IP header
        included, in the firewall namespace): the same bytes go to
        ctrack-replay as its --local capture."""
        for l3 in pkts:
            v6 = l3[0] >> 4 == 6
            if "local" not in self.tx:
                with kdiff.in_netns(self.router.f):
                    self.tx["local4"] = socket.socket(socket.AF_INET, socket.SOCK_RAW,
                                                      socket.IPPROTO_RAW)
                    s6 = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_RAW)
                    s6.setsockopt(socket.IPPROTO_IPV6, 36, 1)   # IPV6_HDRINCL
                    self.tx["local6"] = s6
                self.tx["local"] = None
            dst = str(ipaddress.ip_address(l3[24:40] if v6 else l3[16:20]))
            ts = time.time_ns()
            self.tx["local6" if v6 else "local4"].sendto(l3, (dst, 0))
            self.sent.append((ts, "local", bytes(l3)))

    def lan(self, *pkts):
        self.send("lan", *pkts)

    def wan(self, *pkts):
        self.send("wan", *pkts)

    def flow(self, c_side, s_side, *args, **kw):
        """kdiff.TcpFlow between c_side (initiator) and s_side."""
        return kdiff.TcpFlow(Side(self, c_side, s_side), *args, **kw)

    def sleep(self, sec):
        self._drain(0)
        time.sleep(sec)

    def _drain(self, wait):
        deadline = time.monotonic() + wait
        while True:
            got = False
            for side, s in self.rx.items():
                while True:
                    try:
                        data, anc, _, addr = s.recvmsg(65535, 64)
                    except BlockingIOError:
                        break
                    got = True
                    if addr[2] == kdiff.PACKET_OUTGOING:
                        continue
                    ts = time.time_ns()
                    for lvl, typ, val in anc:
                        if lvl == socket.SOL_SOCKET and typ == kdiff.SO_TIMESTAMPNS:
                            sec, nsec = struct.unpack("qq", val[:16])
                            ts = sec * 10**9 + nsec
                    self._keep(side, data, ts)
            if not got:
                if time.monotonic() >= deadline:
                    return
                time.sleep(0.01)

    def _keep(self, side, fr, ts):
        # Unicast IP frames from the firewall's MAC on this link; multicast
        # (ND, MLD) is the kernel's own housekeeping.
        if len(fr) < 14 or fr[0] & 1 or fr[6:12] != self.net.link(side).fw_mac:
            return
        if struct.unpack("!H", fr[12:14])[0] not in (kdiff.ETH_P_IP, kdiff.ETH_P_IPV6):
            return
        self.captured.append((side, bytes(fr), ts))

    def finish(self):
        self._drain(0.25)
        self.kernel_table, self.list_time = self.router.conntrack_list()
        self.kernel_ruleset = self.router.nft_list()
        self._drain(0)
        self.close()
        return self

    def close(self):
        for s in list(self.tx.values()) + list(self.rx.values()):
            if s is not None:
                s.close()
        self.tx, self.rx = {}, {}

    # -- ctrack-replay ----------------------------------------------------
    def run_replay(self, extra_args=()):
        tool = replay_path()
        if not os.path.exists(tool):
            raise AssertionError("%s not built" % tool)
        d = os.path.join(self.workdir, self.name)
        os.makedirs(d, exist_ok=True)
        p = lambda n: os.path.join(d, n)
        with open(p("ruleset.nft"), "w") as f:
            f.write(self.router.ruleset)
        cmd = [tool, "-f", p("ruleset.nft")] + self.net.replay_args()
        for k, v in self.router.sysctls.items():
            cmd += ["--set", "%s=%s" % (k, v)]
        for ln in self.net.links:
            kdiff.write_pcap(p("in-%s.pcap" % ln.fw_dev),
                             [(ts, fr) for ts, side, fr in self.sent if side == ln.side])
            cmd += ["--in", "%s=%s" % (ln.fw_dev, p("in-%s.pcap" % ln.fw_dev)),
                    "--out", "%s=%s" % (ln.fw_dev, p("out-%s.pcap" % ln.fw_dev))]
        local = [(ts, fr) for ts, side, fr in self.sent if side == "local"]
        if local:
            write_pcap_raw(p("local.pcap"), local)
            cmd += ["--local", p("local.pcap")]
        cmd += ["--conntrack", p("conntrack.txt"), "-o", "extended",
                "--verdicts", p("verdicts.txt"), "--events", p("events.txt"),
                "--ruleset-out", p("ruleset-out.nft"), "--no-progress"]
        cmd += list(extra_args)
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        if r.returncode != 0:
            raise AssertionError("ctrack-replay failed (%d): %s\n%s%s" % (
                r.returncode, " ".join(cmd), r.stdout, r.stderr))
        out = {ln.side: [fr for ts, fr in read_pcap(p("out-%s.pcap" % ln.fw_dev))]
               for ln in self.net.links}
        with open(p("conntrack.txt")) as f:
            table = [ln for ln in f.read().splitlines() if ln.strip()]
        with open(p("verdicts.txt")) as f:
            verdicts = f.read().splitlines()
        with open(p("ruleset-out.nft")) as f:
            rs_out = f.read()
        # Input frames are numbered in merge order (by timestamp).
        order = sorted(range(len(self.sent)), key=lambda i: self.sent[i][0])
        by_input = {}
        for n, i in enumerate(order):
            if n < len(verdicts):
                by_input[i] = verdicts[n]
        self.ctrack = {"out": out, "table": table, "verdicts": by_input, "ruleset": rs_out,
                       "cmd": " ".join(cmd), "stderr": r.stderr, "dir": d}
        with open(p("kernel-conntrack.txt"), "w") as f:
            f.write("\n".join(self.kernel_table) + "\n")
        with open(p("kernel-ruleset.nft"), "w") as f:
            f.write(self.kernel_ruleset)
        return self.ctrack

    # -- comparison -------------------------------------------------------
    def kernel_out(self):
        return {ln.side: [fr for side, fr, ts in self.captured if side == ln.side]
                for ln in self.net.links}

    def forwarded(self, outs):
        """Per injected frame: did a frame with its IP bytes (TTL / IPv4
        header checksum / IPv6 fragment id aside) leave the firewall by the
        other link?  A frame is credited to the earliest injected frame with
        the same bytes that is not yet credited (both sides keep order)."""
        keys = {}
        for i, (ts, side, fr) in enumerate(self.sent):
            keys.setdefault(kdiff.normalise_l3(fr if side == "local" else fr[14:]),
                            []).append(i)
        fwd = [False] * len(self.sent)
        for side, frames in outs.items():
            for fr in frames:
                for i in keys.get(kdiff.normalise_l3(fr[14:]), []):
                    if not fwd[i] and self.sent[i][1] != side:
                        fwd[i] = True
                        break
        return fwd

    def compare(self):
        if self.kernel_table is None:
            self.finish()
        if self.ctrack is None:
            self.run_replay()
        fw_addrs = self.net.fw_addresses()
        diffs = []
        kout, cout = self.kernel_out(), self.ctrack["out"]
        # (a) frames, in order, per interface
        for ln in self.net.links:
            kf = [masked(f, fw_addrs) for f in kout[ln.side]]
            cf = [masked(f, fw_addrs) for f in cout[ln.side]]
            for who, lst, raw in (("kernel", kf, kout[ln.side]), ("ctrack", cf, cout[ln.side])):
                for j, (m, probs) in enumerate(lst):
                    for pr in probs:
                        diffs.append("%s frame %d out %s: %s: %s" % (
                            who, j + 1, ln.fw_dev, pr, frame_text(raw[j])))
            ka = [m for m, _ in kf]
            ca = [m for m, _ in cf]
            if ka == ca:
                continue
            if sorted(ka) == sorted(ca):
                diffs.append("out %s: same frames, different order" % ln.fw_dev)
                continue
            for j in range(max(len(ka), len(ca))):
                a = ka[j] if j < len(ka) else None
                b = ca[j] if j < len(ca) else None
                if a == b:
                    continue
                if a is None or b is None:
                    diffs.append("out %s frame %d: only %s has it: %s" % (
                        ln.fw_dev, j + 1, "ctrack" if a is None else "kernel",
                        frame_text(kout[ln.side][j] if b is None else cout[ln.side][j])))
                else:
                    off = first_diff(a, b)
                    diffs.append("out %s frame %d differs at byte %d (IP offset %d): "
                                 "kernel %s [%s] / ctrack %s [%s]" % (
                                     ln.fw_dev, j + 1, off, off - 14,
                                     frame_text(kout[ln.side][j]), a[off:off + 8].hex(),
                                     frame_text(cout[ln.side][j]), b[off:off + 8].hex()))
                if len(diffs) > 40:
                    break
        # (b) drops
        kfwd, cfwd = self.forwarded(kout), self.forwarded(cout)
        for i, (a, b) in enumerate(zip(kfwd, cfwd)):
            if a != b:
                ts, side, fr = self.sent[i]
                diffs.append("frame %d (in %s: %s): kernel %s, ctrack %s [%s]" % (
                    i + 1, "local" if side == "local" else self.net.link(side).fw_dev,
                    kdiff.describe(fr) if side == "local" else frame_text(fr),
                    "forwarded" if a else "did not forward",
                    "forwarded" if b else "did not forward",
                    self.ctrack["verdicts"].get(i, "?")))
        # (c) the table
        diffs += kdiff.compare_tables(self.kernel_table, self.ctrack["table"],
                                      TIMEOUT_TOLERANCE_S)
        # (d) counters
        diffs += compare_counters(self.kernel_ruleset, self.ctrack["ruleset"])
        return diffs

    def report(self, diffs):
        out = ["scenario %s: %d difference(s)" % (self.name, len(diffs))]
        out += ["  " + d for d in diffs]
        out.append("kernel table:")
        out += ["  " + ln for ln in self.kernel_table] or ["  (empty)"]
        if self.ctrack:
            out.append("ctrack table (%s):" % self.ctrack["cmd"])
            out += ["  " + ln for ln in self.ctrack["table"]] or ["  (empty)"]
            out.append("ctrack summary: " + self.ctrack["stderr"].strip())
        kout = self.kernel_out()
        for ln in self.net.links:
            out.append("out %s: kernel %d frames / ctrack %d frames" % (
                ln.fw_dev, len(kout[ln.side]), len(self.ctrack["out"][ln.side])))
            n = max(len(kout[ln.side]), len(self.ctrack["out"][ln.side]))
            for j in range(n):
                a = frame_text(kout[ln.side][j]) if j < len(kout[ln.side]) else "-"
                b = frame_text(self.ctrack["out"][ln.side][j]) \
                    if j < len(self.ctrack["out"][ln.side]) else "-"
                out.append("  %3d K %s" % (j + 1, a))
                if b != a:
                    out.append("      C %s" % b)
        out.append("injected frames (ctrack verdict):")
        for i, (ts, side, fr) in enumerate(self.sent):
            txt = kdiff.describe(fr) if side == "local" else frame_text(fr)
            out.append("  %3d %-5s %s\n        %s" % (i + 1, side, txt,
                                                      self.ctrack["verdicts"].get(i, "?")))
        out.append("outputs in %s" % self.ctrack["dir"])
        return "\n".join(out)


def check(sc):
    """Compare; a list of differences (empty = identical) and the report."""
    diffs = sc.compare()
    return diffs, sc.report(diffs) if diffs else ""


class Harness:
    """The pytest side: one Router + ReplayScenario per test, torn down
    always."""

    def __init__(self, tmp_path, request):
        self.tmp_path = tmp_path
        self.request = request
        self.router = None
        self.sc = None

    def scenario(self, ruleset=OFFICE_RULESET, net=MAIN_NET, nf=None):
        assert self.router is None, "one scenario per test"
        settings = dict(NF_SETTINGS)
        settings.update(nf or {})
        self.router = Router(net, ruleset, settings).up()
        self.sc = ReplayScenario(self.router, str(self.tmp_path), self.request.node.name)
        return self.sc

    def diffs(self, sc):
        if sc.kernel_table is None:
            sc.finish()
        return sc.compare()

    def close(self):
        if self.sc is not None:
            self.sc.close()
        if self.router is not None:
            self.router.down()
