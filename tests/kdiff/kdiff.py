# SPDX-License-Identifier: MIT
"""Kernel-differential harness: the same packets through a Linux kernel
firewall namespace and through libctrack (build/ctrack-track).

Topology (one set of namespaces per test, names carry a random suffix):

    netns kd-XXXX-c (client)     netns kd-XXXX-f (fw)                netns kd-XXXX-s (server)
   +---------------------+      +---------------------------+      +---------------------+
   |  c0                 |      | f0                     f1 |      |                 s0  |
   |  02:00:00:00:01:02  |<---->| 02:..:01:01   02:..:02:01 |<---->|  02:00:00:00:02:02  |
   |  10.1.0.2/24        | veth | 10.1.0.1/24   10.2.0.1/24 | veth |  10.2.0.2/24        |
   |  fd00:1::2/64       |      | fd00:1::1/64  fd00:2::1/64|      |  fd00:2::2/64       |
   +---------------------+      | routes: 10.11/16 -> .1.2  |      +---------------------+
     puppet: nft drops all      |         10.22/16 -> .2.2  |        puppet: nft drops all
     input and output; the      |   fd00:11::/64, fd00:22::/64     input and output
     harness injects frames     | forwarding on, rp_filter 0|
     with AF_PACKET on c0 and   | static neighbours, no DAD |
     captures what fw forwards  | nft: ct state invalid drop|
                                +---------------------------+

Every packet is built here (raw IPv4/IPv6 + TCP/UDP/ICMP/ICMPv6) and injected as
an Ethernet frame on c0 (towards fw:f0) or s0 (towards fw:f1).  Frames the fw
forwards are captured with AF_PACKET on the far puppet interface (frames the
harness sent itself are PACKET_OUTGOING there and ignored).  The injected
frames are also written to a pcap (nanosecond timestamps = real send time),
which build/ctrack-track replays through libctrack.  The two conntrack tables
(`conntrack -L -o extended`) and the two sets of forwarded packets are then
compared.

Only the Python 3 standard library is used (ctypes for setns(2)).
"""

import contextlib
import ctypes
import ipaddress
import os
import random
import re
import socket
import struct
import subprocess
import time

# --------------------------------------------------------------------------
# Addresses

C_MAC = bytes.fromhex("020000000102")
F0_MAC = bytes.fromhex("020000000101")
F1_MAC = bytes.fromhex("020000000201")
S_MAC = bytes.fromhex("020000000202")

C4, F04, F14, S4 = "10.1.0.2", "10.1.0.1", "10.2.0.1", "10.2.0.2"
C6, F06, F16, S6 = "fd00:1::2", "fd00:1::1", "fd00:2::1", "fd00:2::2"
# Prefixes routed behind the puppets (for many-flow scenarios).
C4_NET, S4_NET = "10.11.0.0/16", "10.22.0.0/16"
C6_NET, S6_NET = "fd00:11::/64", "fd00:22::/64"

ETH_P_ALL = 0x0003
ETH_P_IP = 0x0800
ETH_P_IPV6 = 0x86DD
PACKET_OUTGOING = 4
SO_TIMESTAMPNS = 35

FIN, SYN, RST, PSH, ACK, URG = 0x01, 0x02, 0x04, 0x08, 0x10, 0x20

FW_RULESET = """
table inet t {
	chain fw_forward {
		type filter hook forward priority 0; policy accept;
		ct state invalid counter drop
	}
}
"""

PUPPET_RULESET = """
table inet t {
	chain p_in { type filter hook input priority 0; policy drop; }
	chain p_out { type filter hook output priority 0; policy drop; }
}
"""


def is_root():
    return os.geteuid() == 0


# --------------------------------------------------------------------------
# Namespaces

_libc = ctypes.CDLL(None, use_errno=True)
CLONE_NEWNET = 0x40000000


def _setns(fd):
    if _libc.setns(fd, CLONE_NEWNET) != 0:
        err = ctypes.get_errno()
        raise OSError(err, "setns: " + os.strerror(err))


@contextlib.contextmanager
def in_netns(name):
    """Run the body with this thread in netns `name` (sockets created inside
    stay in that namespace)."""
    back = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
    target = os.open("/run/netns/" + name, os.O_RDONLY)
    try:
        _setns(target)
        try:
            yield
        finally:
            _setns(back)
    finally:
        os.close(target)
        os.close(back)


def run(cmd, check=True, input=None):
    r = subprocess.run(cmd, input=input, capture_output=True, text=True)
    if check and r.returncode != 0:
        raise RuntimeError("command failed (%d): %s\n%s%s" %
                           (r.returncode, " ".join(cmd), r.stdout, r.stderr))
    return r


def netns_available():
    """True when we are root and `ip netns` works."""
    if not is_root():
        return False
    name = "kd-probe-%06x" % random.getrandbits(24)
    try:
        r = run(["ip", "netns", "add", name], check=False)
        if r.returncode != 0:
            return False
        run(["ip", "netns", "del", name], check=False)
        return True
    except (OSError, RuntimeError):
        return False


class Topology:
    """client <-> fw <-> server, see the diagram at the top of this file."""

    def __init__(self, fw_sysctls=None):
        sfx = "%06x" % random.getrandbits(24)
        self.c = "kd-%s-c" % sfx
        self.f = "kd-%s-f" % sfx
        self.s = "kd-%s-s" % sfx
        self.created = []
        self.fw_sysctls = dict(fw_sysctls or {})

    # -- setup ----------------------------------------------------------
    def up(self):
        for ns in (self.c, self.f, self.s):
            run(["ip", "netns", "add", ns])
            self.created.append(ns)
        common = {
            "net.ipv6.conf.all.accept_dad": "0",
            "net.ipv6.conf.default.accept_dad": "0",
            "net.ipv6.conf.all.dad_transmits": "0",
            "net.ipv6.conf.default.dad_transmits": "0",
            "net.ipv6.conf.default.addr_gen_mode": "1",  # no link-local
            "net.ipv6.conf.all.accept_ra": "0",
            "net.ipv6.conf.default.accept_ra": "0",
            "net.ipv4.conf.all.rp_filter": "0",
            "net.ipv4.conf.default.rp_filter": "0",
        }
        for ns in (self.c, self.s):
            self.sysctl(ns, common)
        fw = dict(common)
        fw.update({
            "net.ipv4.ip_forward": "1",
            "net.ipv6.conf.all.forwarding": "1",
            "net.ipv4.conf.all.send_redirects": "0",
            "net.ipv4.conf.default.send_redirects": "0",
        })
        self.sysctl(self.f, fw)

        ipf = ["ip", "-n", self.f]
        run(ipf + ["link", "add", "f0", "address", mac_str(F0_MAC), "type", "veth",
                   "peer", "name", "c0", "address", mac_str(C_MAC), "netns", self.c])
        run(ipf + ["link", "add", "f1", "address", mac_str(F1_MAC), "type", "veth",
                   "peer", "name", "s0", "address", mac_str(S_MAC), "netns", self.s])
        for ns, dev, a4, a6 in ((self.c, "c0", C4, C6), (self.s, "s0", S4, S6),
                                (self.f, "f0", F04, F06), (self.f, "f1", F14, F16)):
            ipn = ["ip", "-n", ns]
            self.sysctl(ns, {"net.ipv4.conf.%s.rp_filter" % dev: "0",
                             "net.ipv6.conf.%s.accept_dad" % dev: "0"})
            run(ipn + ["addr", "add", a4 + "/24", "dev", dev])
            run(ipn + ["addr", "add", a6 + "/64", "dev", dev, "nodad"])
            run(ipn + ["link", "set", dev, "up"])
        run(["ip", "-n", self.f, "link", "set", "lo", "up"])
        # Veth marks received frames CHECKSUM_UNNECESSARY when the receiving
        # end has RX checksum offload; conntrack would then never verify L4
        # checksums.  Turn RX offload off on the fw side.
        with in_netns(self.f):
            for dev in ("f0", "f1"):
                ethtool_set_rx_csum(dev, False)
        for ip, mac, dev in ((C4, C_MAC, "f0"), (C6, C_MAC, "f0"),
                             (S4, S_MAC, "f1"), (S6, S_MAC, "f1")):
            run(ipf + ["neigh", "replace", ip, "lladdr", mac_str(mac), "dev", dev,
                       "nud", "permanent"])
        for net, gw in ((C4_NET, C4), (S4_NET, S4), (C6_NET, C6), (S6_NET, S6)):
            run(ipf + ["route", "add", net, "via", gw])
        # Puppets: their kernels never answer anything.
        for ns in (self.c, self.s):
            self.nft(ns, PUPPET_RULESET)
        self.nft(self.f, FW_RULESET)
        if self.fw_sysctls:
            self.sysctl(self.f, self.fw_sysctls)
        return self

    def down(self):
        for ns in reversed(self.created):
            run(["ip", "netns", "del", ns], check=False)
        self.created = []

    # -- helpers ----------------------------------------------------------
    def sysctl(self, ns, kv):
        args = ["%s=%s" % (k, v) for k, v in kv.items()]
        run(["ip", "netns", "exec", ns, "sysctl", "-q", "-w"] + args)

    def nft(self, ns, ruleset):
        run(["ip", "netns", "exec", ns, "nft", "-f", "-"], input=ruleset)

    def conntrack_list(self):
        """`conntrack -L -o extended` in fw: (lines, time_ns of the listing)."""
        t = time.time_ns()
        r = run(["ip", "netns", "exec", self.f, "conntrack", "-L", "-o", "extended"])
        lines = [ln for ln in r.stdout.splitlines() if ln.strip()]
        return lines, t

    def nft_list(self):
        return run(["ip", "netns", "exec", self.f, "nft", "list", "ruleset"]).stdout


def mac_str(b):
    return ":".join("%02x" % x for x in b)


def ethtool_set_rx_csum(dev, on):
    """SIOCETHTOOL ETHTOOL_SRXCSUM on `dev` in the current netns."""
    import fcntl
    SIOCETHTOOL = 0x8946
    ETHTOOL_SRXCSUM = 0x15
    ev = struct.pack("II", ETHTOOL_SRXCSUM, 1 if on else 0)
    buf = ctypes.create_string_buffer(ev)
    ifr = struct.pack("16sP", dev.encode(), ctypes.addressof(buf))
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        fcntl.ioctl(s.fileno(), SIOCETHTOOL, ifr)
    finally:
        s.close()


# --------------------------------------------------------------------------
# Packet crafting

def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def a2b(addr):
    return ipaddress.ip_address(addr).packed


def is6(addr):
    return ":" in addr


def pseudo(src, dst, proto, length):
    if is6(src):
        return a2b(src) + a2b(dst) + struct.pack("!IxxxB", length, proto)
    return a2b(src) + a2b(dst) + struct.pack("!xBH", proto, length)


def l4_with_csum(src, dst, proto, hdr, payload, csum_off, bad=False, zero=False):
    seg = bytearray(hdr + payload)
    if zero:
        return bytes(seg)
    ph = pseudo(src, dst, proto, len(seg)) if proto != 1 else b""
    c = csum(ph + bytes(seg))
    if proto == 17 and c == 0:
        c = 0xFFFF
    if bad:
        c ^= 0x5A5A
    struct.pack_into("!H", seg, csum_off, c)
    return bytes(seg)


def tcp_opts(mss=None, wscale=None, sackperm=False, ts=None, sack=None):
    o = b""
    if mss is not None:
        o += struct.pack("!BBH", 2, 4, mss)
    if sackperm:
        o += b"\x04\x02"
    if ts is not None:
        o += struct.pack("!BBII", 8, 10, ts[0], ts[1])
    if wscale is not None:
        o += b"\x01" + struct.pack("!BBB", 3, 3, wscale)
    if sack:
        o += struct.pack("!BB", 5, 2 + 8 * len(sack))
        for le, re_ in sack:
            o += struct.pack("!II", le, re_)
    while len(o) % 4:
        o += b"\x01"
    return o


def tcp(src, dst, sport, dport, seq, ack, flags, win=29200, opts=b"", payload=b"",
        bad_csum=False, doff=None, urg=0):
    d = doff if doff is not None else (20 + len(opts)) // 4
    hdr = struct.pack("!HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF,
                      d << 4, flags, win, 0, urg) + opts
    return l4_with_csum(src, dst, 6, hdr, payload, 16, bad=bad_csum)


def udp(src, dst, sport, dport, payload=b"", bad_csum=False, zero_csum=False):
    hdr = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0)
    return l4_with_csum(src, dst, 17, hdr, payload, 6, bad=bad_csum, zero=zero_csum)


def icmp(typ, code, rest=b"", payload=b"", bad_csum=False, src=None, dst=None):
    """ICMPv4 when src is None or IPv4, ICMPv6 otherwise."""
    hdr = struct.pack("!BBH", typ, code, 0) + rest
    if src is not None and is6(src):
        return l4_with_csum(src, dst, 58, hdr, payload, 2, bad=bad_csum)
    return l4_with_csum("0.0.0.0", "0.0.0.0", 1, hdr, payload, 2, bad=bad_csum)


def echo(src, dst, ident, seq, reply=False, payload=b"ctrack-kdiff-echo", bad_csum=False):
    if is6(src):
        t = 129 if reply else 128
    else:
        t = 0 if reply else 8
    return icmp(t, 0, struct.pack("!HH", ident, seq), payload, bad_csum, src, dst)


def ipv4(src, dst, proto, l4, ttl=64, ident=None, df=True, frag_off=0, mf=False,
         bad_csum=False, tos=0, total_len=None):
    if ident is None:
        ident = random.getrandbits(16)
    flags = (0x4000 if df else 0) | (0x2000 if mf else 0) | (frag_off // 8)
    tl = total_len if total_len is not None else 20 + len(l4)
    h = bytearray(struct.pack("!BBHHHBBH4s4s", 0x45, tos, tl, ident, flags, ttl, proto, 0,
                              a2b(src), a2b(dst)))
    c = csum(bytes(h))
    if bad_csum:
        c ^= 0x1111
    struct.pack_into("!H", h, 10, c)
    return bytes(h) + l4


def ipv6(src, dst, nh, payload, hlim=64, flow=0):
    return struct.pack("!IHBB16s16s", (6 << 28) | flow, len(payload), nh, hlim,
                       a2b(src), a2b(dst)) + payload


def ip(src, dst, proto, l4, **kw):
    if is6(src):
        return ipv6(src, dst, proto, l4, **{k: v for k, v in kw.items() if k in ("hlim", "flow")})
    return ipv4(src, dst, proto, l4, **kw)


def fragment4(pkt, size):
    """Split an IPv4 packet into fragments carrying `size` (multiple of 8) bytes."""
    hdr, data = pkt[:20], pkt[20:]
    ident = struct.unpack("!H", hdr[4:6])[0]
    src = socket.inet_ntoa(hdr[12:16])
    dst = socket.inet_ntoa(hdr[16:20])
    out = []
    for off in range(0, len(data), size):
        chunk = data[off:off + size]
        out.append(ipv4(src, dst, hdr[9], chunk, ttl=hdr[8], ident=ident, df=False,
                        frag_off=off, mf=off + size < len(data)))
    return out


def fragment6(pkt, size, ident=None):
    """Split an IPv6 packet (no extension headers) into fragments."""
    src = str(ipaddress.ip_address(pkt[8:24]))
    dst = str(ipaddress.ip_address(pkt[24:40]))
    nh, hlim, data = pkt[6], pkt[7], pkt[40:]
    if ident is None:
        ident = random.getrandbits(32)
    out = []
    for off in range(0, len(data), size):
        chunk = data[off:off + size]
        more = off + size < len(data)
        fh = struct.pack("!BBHI", nh, 0, off | (1 if more else 0), ident)
        out.append(ipv6(src, dst, 44, fh + chunk, hlim=hlim))
    return out


def describe(l3):
    """Short human text for a packet (for failure reports)."""
    try:
        if l3[0] >> 4 == 4:
            ihl = (l3[0] & 15) * 4
            src, dst = socket.inet_ntoa(l3[12:16]), socket.inet_ntoa(l3[16:20])
            proto, l4 = l3[9], l3[ihl:]
            fo = struct.unpack("!H", l3[6:8])[0]
            frag = ""
            if fo & 0x3FFF:
                frag = " frag(off=%d%s)" % ((fo & 0x1FFF) * 8, ",MF" if fo & 0x2000 else "")
                if fo & 0x1FFF:
                    return "%s > %s proto %d%s" % (src, dst, proto, frag)
        else:
            src = str(ipaddress.ip_address(l3[8:24]))
            dst = str(ipaddress.ip_address(l3[24:40]))
            proto, l4, frag = l3[6], l3[40:], ""
            if proto == 44:
                proto = l4[0]
                fo = struct.unpack("!H", l4[2:4])[0]
                frag = " frag(off=%d%s)" % (fo & ~7, ",M" if fo & 1 else "")
                l4 = l4[8:]
                if fo & ~7:
                    return "%s > %s proto %d%s" % (src, dst, proto, frag)
        if proto == 6 and len(l4) >= 20:
            sp, dp, seq, ack, off, fl, win = struct.unpack("!HHIIBBH", l4[:16])
            names = "".join(c for b, c in ((SYN, "S"), (FIN, "F"), (RST, "R"), (PSH, "P"),
                                           (ACK, "."), (URG, "U")) if fl & b)
            plen = len(l4) - (off >> 4) * 4
            return "TCP %s:%d > %s:%d [%s] seq=%d ack=%d win=%d len=%d%s" % (
                src, sp, dst, dp, names, seq, ack, win, plen, frag)
        if proto == 17 and len(l4) >= 8:
            sp, dp, ln = struct.unpack("!HHH", l4[:6])
            return "UDP %s:%d > %s:%d len=%d%s" % (src, sp, dst, dp, ln - 8, frag)
        if proto in (1, 58) and len(l4) >= 4:
            return "%s %s > %s type=%d code=%d%s" % ("ICMP" if proto == 1 else "ICMPv6",
                                                     src, dst, l4[0], l4[1], frag)
        return "%s > %s proto %d%s" % (src, dst, proto, frag)
    except (IndexError, struct.error, ValueError):
        return "(%d bytes)" % len(l3)


def normalise_l3(l3):
    """Forwarded-packet identity: the L3 bytes minus TTL / hop limit and the
    IPv4 header checksum (both change when forwarding).  The IPv6 fragment
    identification is also cleared: the kernel re-fragments reassembled IPv6
    datagrams with a new identification (spec §2.3)."""
    b = bytearray(l3)
    if not b:
        return bytes(b)
    if b[0] >> 4 == 4 and len(b) >= 20:
        tl = struct.unpack("!H", b[2:4])[0]
        del b[tl:]
        b[8] = 0
        b[10:12] = b"\0\0"
    elif b[0] >> 4 == 6 and len(b) >= 40:
        pl = struct.unpack("!H", b[4:6])[0]
        del b[40 + pl:]
        b[7] = 0
        if b[6] == 44 and len(b) >= 48:
            b[44:48] = b"\0\0\0\0"
            if struct.unpack("!H", b[42:44])[0] & 0xFFF9 == 0:
                # An atomic fragment (offset 0, no M): the kernel reassembles
                # it and forwards the datagram without the Fragment header.
                b[6] = b[40]
                del b[40:48]
                struct.pack_into("!H", b, 4, pl - 8)
    return bytes(b)


# --------------------------------------------------------------------------
# pcap (nanosecond format, DLT_EN10MB)

def write_pcap(path, frames):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B23C4D, 2, 4, 0, 0, 65535, 1))
        for ts, fr in frames:
            f.write(struct.pack("<IIII", ts // 1_000_000_000, ts % 1_000_000_000,
                                len(fr), len(fr)))
            f.write(fr)


# --------------------------------------------------------------------------
# conntrack -L parsing and comparison

_TIMEOUT_RE = re.compile(r"^((?:ipv[46]\s+\d+\s+)?\S+\s+\d+\s+)(\d+)(\s.*)$")


def parse_ct_line(line):
    """-> (key text with timeout/use/id removed, timeout or None)."""
    line = " ".join(line.split())
    toks = line.split(" ")
    # Drop `use=N` and a conntrack `id=N` that follows it (-o id); the ICMP
    # `id=` l4 field comes before and is kept.
    out = []
    seen_use = False
    for t in toks:
        if t.startswith("use="):
            seen_use = True
            continue
        if seen_use and t.startswith("id="):
            continue
        out.append(t)
    # delta-time= (timestamps on) is compared with the timeout's tolerance.
    delta = None
    for i, t in enumerate(out):
        if t.startswith("delta-time="):
            delta = int(t[11:])
            out[i] = "delta-time=D"
    line = " ".join(out)
    m = _TIMEOUT_RE.match(line)
    if not m:
        return line, None if delta is None else (None, delta)
    to = int(m.group(2))
    return m.group(1) + "T" + m.group(3), to if delta is None else (to, delta)


def _num_key(x):
    if isinstance(x, tuple):
        return tuple(v or 0 for v in x)
    return (x or 0,)


def compare_tables(kernel_lines, ctrack_lines, tol):
    """Returns a list of difference texts (empty when equal)."""
    k = sorted(parse_ct_line(ln) for ln in kernel_lines)
    c = sorted(parse_ct_line(ln) for ln in ctrack_lines)
    diffs = []
    kk = {}
    for key, to in k:
        kk.setdefault(key, []).append(to)
    cc = {}
    for key, to in c:
        cc.setdefault(key, []).append(to)
    for key in sorted(set(kk) | set(cc)):
        a = sorted(kk.get(key, []), key=_num_key)
        b = sorted(cc.get(key, []), key=_num_key)
        if len(a) != len(b):
            diffs.append("entry count %d (kernel) != %d (ctrack): %s" % (len(a), len(b), key))
            continue
        for x, y in zip(a, b):
            xs = x if isinstance(x, tuple) else (x,)
            ys = y if isinstance(y, tuple) else (y,)
            for u, v in zip(xs, ys):
                if (u is None) != (v is None) or (u is not None and abs(u - v) > tol):
                    diffs.append("timeout/delta-time %s (kernel) vs %s (ctrack): %s"
                                 % (x, y, key))
                    break
    return diffs


# --------------------------------------------------------------------------
# A scenario: inject, capture, list, replay through ctrack, compare

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TIMEOUT_TOLERANCE_S = 3


def ctrack_track_path():
    build = os.environ.get("CTRACK_BUILD", os.path.join(REPO, "build"))
    if not os.path.isabs(build):
        build = os.path.join(REPO, build)
    return os.path.join(build, "ctrack-track")


def _packet_socket(ns, dev, proto):
    with in_netns(ns):
        s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(proto))
        s.bind((dev, proto))
    return s


def frag_info(l3):
    """None for a packet that is not a fragment; else (datagram key, byte
    offset, more-fragments flag, data, header template)."""
    if not l3:
        return None
    if l3[0] >> 4 == 4 and len(l3) >= 20:
        ihl = (l3[0] & 15) * 4
        tl, ident, fo = struct.unpack("!HHH", l3[2:8])
        if not fo & 0x3FFF:
            return None
        key = (4, l3[12:16], l3[16:20], ident, l3[9])
        return key, (fo & 0x1FFF) * 8, bool(fo & 0x2000), l3[ihl:tl], l3[:ihl]
    if l3[0] >> 4 == 6 and len(l3) >= 48 and l3[6] == 44:
        pl = struct.unpack("!H", l3[4:6])[0]
        fo, ident = struct.unpack("!HI", l3[42:48])
        key = (6, l3[8:24], l3[24:40], ident)
        return key, fo & 0xFFF8, bool(fo & 1), l3[48:40 + pl], l3[:40] + bytes([l3[40]])
    return None


def reassemble(frags):
    """The datagram made of `frags` (fragments of one datagram, any order,
    duplicates allowed), or None if a piece is missing."""
    pieces = {}
    total = None
    hdr = None
    for f in frags:
        fi = frag_info(f)
        if fi is None:
            return None
        _, off, more, data, h = fi
        pieces.setdefault(off, data)
        if off == 0:
            hdr = h
        if not more:
            total = off + len(data)
    if total is None or hdr is None:
        return None
    buf = bytearray(total)
    have = 0
    for off in sorted(pieces):
        if off > have:
            return None
        data = pieces[off][:total - off]
        buf[off:off + len(data)] = data
        have = max(have, off + len(data))
    if have < total:
        return None
    if hdr[0] >> 4 == 4:
        h = bytearray(hdr)
        struct.pack_into("!H", h, 2, len(h) + total)
        struct.pack_into("!H", h, 6, struct.unpack("!H", h[6:8])[0] & 0x4000)
        return bytes(h) + bytes(buf)
    h = bytearray(hdr[:40])
    h[6] = hdr[40]
    struct.pack_into("!H", h, 4, total)
    return bytes(h) + bytes(buf)


FW_ADDRS = {a2b(a) for a in (F04, F14, F06, F16)}


def _from_fw(l3):
    """True for packets the fw itself sent (source is one of its addresses)."""
    if l3 and l3[0] >> 4 == 4:
        return l3[12:16] in FW_ADDRS
    return l3[8:24] in FW_ADDRS


class Scenario:
    """One run of packets.  c()/s() inject an L3 packet from the client or
    server side; finish() collects the kernel's view; check() replays the
    pcap through ctrack-track and compares."""

    def __init__(self, topo, workdir, sysctls=None, name="scenario"):
        self.topo = topo
        self.workdir = workdir
        self.name = name
        self.sysctls = dict(sysctls or {})
        self.sent = []            # (ts_ns, side 'c' | 's', l3 bytes)
        self.captured = []        # (side where captured 'c' | 's', raw l3 bytes, rx time ns)
        self.kernel_table = None
        self.list_time = None
        self.ctrack_out = None
        self.socks = []
        self.tx = {"c": _packet_socket(topo.c, "c0", 0), "s": _packet_socket(topo.s, "s0", 0)}
        self.rx = {"c": _packet_socket(topo.c, "c0", ETH_P_ALL),
                   "s": _packet_socket(topo.s, "s0", ETH_P_ALL)}
        for s in self.rx.values():
            s.setsockopt(socket.SOL_SOCKET, 33, 8 << 20)  # SO_RCVBUFFORCE
            s.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
            s.setblocking(False)
        self.socks = list(self.tx.values()) + list(self.rx.values())

    def close(self):
        for s in self.socks:
            s.close()
        self.socks = []

    # -- injection --------------------------------------------------------
    def _send(self, side, l3):
        et = ETH_P_IPV6 if l3[0] >> 4 == 6 else ETH_P_IP
        if side == "c":
            fr = F0_MAC + C_MAC + struct.pack("!H", et) + l3
        else:
            fr = F1_MAC + S_MAC + struct.pack("!H", et) + l3
        ts = time.time_ns()
        self.tx[side].send(fr)
        self.sent.append((ts, side, bytes(l3), fr))
        if len(self.sent) % 64 == 0:
            self._drain(0)

    def c(self, *pkts):
        for p in pkts:
            self._send("c", p)

    def s(self, *pkts):
        for p in pkts:
            self._send("s", p)

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
                    if addr[2] == PACKET_OUTGOING:
                        continue
                    ts = time.time_ns()
                    for lvl, typ, val in anc:
                        if lvl == socket.SOL_SOCKET and typ == SO_TIMESTAMPNS:
                            sec, nsec = struct.unpack("qq", val[:16])
                            ts = sec * 1_000_000_000 + nsec
                    self._keep(side, data, ts)
            if not got:
                if time.monotonic() >= deadline:
                    return
                time.sleep(0.01)

    def _keep(self, side, fr, ts):
        if len(fr) < 14 or fr[0] & 1:          # multicast / broadcast: ND, MLD
            return
        src_mac = fr[6:12]
        if src_mac not in (F0_MAC, F1_MAC):
            return
        et = struct.unpack("!H", fr[12:14])[0]
        if et not in (ETH_P_IP, ETH_P_IPV6):
            return
        self.captured.append((side, bytes(fr[14:]), ts))

    def finish(self):
        """Collect forwarded packets and the kernel table."""
        self._drain(0.25)
        self.kernel_table, self.list_time = self.topo.conntrack_list()
        self._drain(0)
        self.close()
        return self

    # -- kernel verdicts --------------------------------------------------
    def kernel_forwarded(self):
        """Per injected packet: True if the kernel forwarded it; plus the
        captured packets that match no injected packet.  Identical packets
        (retransmissions) are told apart by time: a capture belongs to the
        latest identical packet injected before it (forwarding takes
        microseconds)."""
        caps = {}
        for side, raw, ts in self.captured:
            caps.setdefault((side, normalise_l3(raw)), []).append(ts)
        sent_by_key = {}
        for i, (ts, side, l3, fr) in enumerate(self.sent):
            key = ("s" if side == "c" else "c", normalise_l3(l3))
            sent_by_key.setdefault(key, []).append(i)
        fwd = [False] * len(self.sent)
        extra = []
        for key, tss in caps.items():
            cands = sent_by_key.get(key, [])
            left = 0
            for ts in sorted(tss):
                pick = None
                for i in cands:
                    if not fwd[i] and self.sent[i][0] <= ts:
                        pick = i
                if pick is None:
                    left += 1
                else:
                    fwd[pick] = True
            if left:
                extra.append((key, left))
        return fwd, extra

    def kernel_has(self, *needles):
        """True when one kernel table line contains every needle."""
        return any(all(n in ln for n in needles) for ln in self.kernel_table)

    def kernel_count(self):
        return len(self.kernel_table)

    # -- ctrack side ------------------------------------------------------
    def run_ctrack(self):
        tool = ctrack_track_path()
        if not os.path.exists(tool):
            raise AssertionError("%s not built" % tool)
        pcap = os.path.join(self.workdir, "%s.pcap" % self.name)
        write_pcap(pcap, [(ts, fr) for ts, side, l3, fr in self.sent])
        now = self.list_time
        cmd = [tool, "--drop-invalid", "--now", "%d.%06d" % (now // 10**9, now % 10**9 // 1000),
               "--fw-mac", mac_str(F0_MAC), "--fw-mac", mac_str(F1_MAC)]
        for k, v in self.sysctls.items():
            cmd += ["--set", "%s=%s" % (k, v)]
        cmd.append(pcap)
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
        if r.returncode != 0:
            raise AssertionError("ctrack-track failed (%d): %s\n%s%s" %
                                 (r.returncode, " ".join(cmd), r.stdout, r.stderr))
        verdicts = {}
        table = []
        for ln in r.stdout.splitlines():
            if not ln.strip():
                continue
            if ln[0].isdigit():
                f = ln.split()
                verdicts[int(f[0])] = f[1:]
            else:
                table.append(ln)
        fwd = [False] * len(self.sent)
        for n, f in verdicts.items():
            if f[0] == "forward":
                idx = [n]
                for extra in f[2:]:
                    if extra.startswith("frags="):
                        idx = [int(x) for x in extra[6:].split(",")]
                for i in idx:
                    if 1 <= i <= len(fwd):
                        fwd[i - 1] = True
        self.ctrack_out = (r.stdout, verdicts, table, fwd, " ".join(cmd))
        return fwd, table, verdicts

    def compare(self):
        """Returns a list of difference texts; empty = kernel and ctrack agree.

        Forwarded traffic is compared as a multiset, per output side, of
        normalised datagrams: fragments are reassembled on both sides first.
        ctrack-track only says which input frames conntrack let through; how
        the kernel re-fragments a reassembled datagram on output (it keeps the
        original boundaries, but sends the datagram whole when it fits the
        largest fragment received, e.g. an IPv6 atomic fragment) is the
        forwarding path's business.  Identical packets (retransmissions,
        duplicate fragments) only have to agree in number."""
        cfwd, ctable, verdicts = self.run_ctrack()
        dst_side = {"c": "s", "s": "c"}
        # Kernel: what was captured, fragments reassembled per datagram.
        kcount = {}
        groups = {}
        for side, raw, ts in self.captured:
            fi = frag_info(raw)
            if fi is None:
                key = (side, normalise_l3(raw))
                kcount[key] = kcount.get(key, 0) + 1
            else:
                groups.setdefault((side,) + fi[0], []).append(raw)
        for gk, frs in groups.items():
            d = reassemble(frs)
            for n in ([d] if d is not None else frs):
                key = (gk[0], normalise_l3(n))
                kcount[key] = kcount.get(key, 0) + 1
        # ctrack: forwarded frames; a datagram is the frags= group of its line.
        ccount, idx = {}, {}
        grouped = set()
        for n, f in sorted(verdicts.items()):
            if f[0] != "forward":
                continue
            members = [n]
            for extra in f[2:]:
                if extra.startswith("frags="):
                    members = [int(x) for x in extra[6:].split(",")]
            members = [m for m in members if 1 <= m <= len(self.sent)]
            if not members:
                continue
            side = self.sent[members[0] - 1][1]
            pk = [self.sent[m - 1][2] for m in members]
            d = reassemble(pk) if frag_info(pk[0]) is not None else None
            units = [(d, members)] if d is not None else [(p, [m]) for p, m in zip(pk, members)]
            for p, ms in units:
                key = (dst_side[side], normalise_l3(p))
                ccount[key] = ccount.get(key, 0) + 1
                idx.setdefault(key, []).extend(m - 1 for m in ms)
            grouped.update(members)
        # Everything else that was injected, keyed the same way (for reports).
        pending = {}
        for i, (ts, side, l3, fr) in enumerate(self.sent):
            if i + 1 in grouped:
                continue
            fi = frag_info(l3)
            if fi is None:
                idx.setdefault((dst_side[side], normalise_l3(l3)), []).append(i)
            else:
                pending.setdefault((side,) + fi[0], []).append(i)
        for gk, ii in pending.items():
            d = reassemble([self.sent[i][2] for i in ii])
            if d is not None:
                idx.setdefault((dst_side[gk[0]], normalise_l3(d)), []).extend(ii)
            else:
                for i in ii:
                    idx.setdefault((dst_side[gk[0]], normalise_l3(self.sent[i][2])),
                                   []).append(i)
        diffs = []
        for key in sorted(set(kcount) | set(ccount), key=lambda k: min(idx.get(k, [1 << 30]))):
            a, b = kcount.get(key, 0), ccount.get(key, 0)
            if a == b:
                continue
            if key not in idx:
                if _from_fw(key[1]):
                    continue        # the fw's own answers (ICMP errors): not forwarded
                diffs.append("kernel sent %d x packet to %s side that was never injected: %s"
                             % (a, "client" if key[0] == "c" else "server", describe(key[1])))
                continue
            ii = sorted(set(idx[key]))
            ts, side, l3, fr = self.sent[ii[0]]
            v = "; ".join("%d: %s" % (i + 1, " ".join(verdicts.get(i + 1, ["?"]))) for i in ii)
            what = "packet %d" % (ii[0] + 1) if len(ii) == 1 else \
                "packets %s" % ",".join(str(i + 1) for i in ii)
            diffs.append("%s (%s %s): kernel forwarded %d, ctrack %d [%s]" % (
                what, "client->" if side == "c" else "server->", describe(key[1]), a, b, v))
        diffs += compare_tables(self.kernel_table, ctable, TIMEOUT_TOLERANCE_S)
        return diffs

    def report(self, diffs):
        out = ["scenario %s: %d difference(s)" % (self.name, len(diffs))]
        out += ["  " + d for d in diffs]
        out.append("kernel table (conntrack -L -o extended):")
        out += ["  " + ln for ln in self.kernel_table] or ["  (empty)"]
        if self.ctrack_out:
            stdout, verdicts, table, fwd, cmd = self.ctrack_out
            out.append("ctrack table (%s):" % cmd)
            out += ["  " + ln for ln in table] or ["  (empty)"]
        kfwd, extra = self.kernel_forwarded()
        for (side, n), cnt in extra:
            out.append("kernel-originated (not injected) towards %s: %d x %s" % (
                "client" if side == "c" else "server", cnt, describe(n)))
        out.append("packets (kernel verdict / ctrack verdict):")
        for i, (ts, side, l3, fr) in enumerate(self.sent):
            cv = ""
            if self.ctrack_out:
                cv = " ".join(self.ctrack_out[1].get(i + 1, ["?"]))
            out.append("  %3d %s %-9s %-24s %s" % (
                i + 1, "c>" if side == "c" else "s>", "fwd" if kfwd[i] else "DROP", cv,
                describe(l3)))
        return "\n".join(out)


# --------------------------------------------------------------------------
# Scenario helpers

class TcpFlow:
    """A TCP connection whose two ends are played by the harness.  Tracks
    the next sequence number of each side; every call may override seq, ack
    and the window and leave the counters untouched (advance=False)."""

    def __init__(self, sc, csrc, sdst, sport, dport, cisn=1000000, sisn=5000000):
        self.sc = sc
        self.ca, self.sa = csrc, sdst
        self.cp, self.sp = sport, dport
        self.nxt = {"c": cisn, "s": sisn}

    def _pkt(self, side, flags, data=b"", seq=None, ack=None, win=29200, opts=b"",
             bad_csum=False, advance=True, send=True, **ipkw):
        other = "s" if side == "c" else "c"
        if seq is None:
            seq = self.nxt[side]
        if ack is None:
            ack = self.nxt[other] if flags & ACK else 0
        if side == "c":
            src, dst, sp, dp = self.ca, self.sa, self.cp, self.sp
        else:
            src, dst, sp, dp = self.sa, self.ca, self.sp, self.cp
        seg = tcp(src, dst, sp, dp, seq, ack, flags, win, opts, data, bad_csum)
        p = ip(src, dst, 6, seg, **ipkw)
        if advance:
            n = len(data) + (1 if flags & SYN else 0) + (1 if flags & FIN else 0)
            self.nxt[side] = (seq + n) & 0xFFFFFFFF
        if send:
            (self.sc.c if side == "c" else self.sc.s)(p)
        return p

    def c(self, flags, data=b"", **kw):
        return self._pkt("c", flags, data, **kw)

    def s(self, flags, data=b"", **kw):
        return self._pkt("s", flags, data, **kw)

    def handshake(self, copts=b"", sopts=b""):
        self.c(SYN, opts=copts)
        self.s(SYN | ACK, opts=sopts)
        self.c(ACK)

    def data(self, nbytes=100):
        self.c(ACK | PSH, b"q" * nbytes)
        self.s(ACK | PSH, b"r" * nbytes)
        self.c(ACK)

    def close(self):
        """Client closes first: FIN, ACK, FIN, ACK -> TIME_WAIT."""
        self.c(FIN | ACK)
        self.s(ACK)
        self.s(FIN | ACK)
        self.c(ACK)


def udp_pkt(src, dst, sport, dport, payload=b"ctrack", **kw):
    ipkw = {k: kw.pop(k) for k in list(kw) if k in ("ttl", "ident", "df", "hlim")}
    return ip(src, dst, 17, udp(src, dst, sport, dport, payload, **kw), **ipkw)


def echo_pkt(src, dst, ident, seq, reply=False, **kw):
    proto = 58 if is6(src) else 1
    return ip(src, dst, proto, echo(src, dst, ident, seq, reply, **kw))


def icmp_error(src, dst, typ, code, quoted, rest=b"\0\0\0\0"):
    """An ICMP / ICMPv6 error from src to dst quoting `quoted` (an IP packet)."""
    proto = 58 if is6(src) else 1
    q = quoted[:1232] if proto == 58 else quoted[:28 + ((quoted[0] & 15) * 4 - 20)]
    return ip(src, dst, proto, icmp(typ, code, rest, q, False, src, dst))


def stepwise(sysctls, packets, workdir, match=None):
    """Debugging aid: inject `packets` ([(side, l3)]) one at a time into a
    fresh topology, list the kernel table after each and replay the prefix
    through ctrack-track; return (index, report) at the first difference in
    the forwarded verdict or in the table lines containing `match`, or None."""
    topo = Topology(sysctls)
    try:
        topo.up()
        sc = Scenario(topo, workdir, sysctls, name="stepwise")
        for i, (side, l3) in enumerate(packets):
            sc._send(side, l3)
            sc._drain(0.02)
            sc.kernel_table, sc.list_time = topo.conntrack_list()
            diffs = sc.compare()
            if match is not None:
                diffs = [d for d in diffs if match in d or d.startswith("packet")]
            if diffs:
                return i, sc.report(diffs)
        sc.close()
        return None
    finally:
        topo.down()


def differs(sysctls, packets, workdir):
    """Run `packets` ([(side, l3)]) through both; the difference list."""
    topo = Topology(sysctls)
    try:
        topo.up()
        sc = Scenario(topo, workdir, sysctls, name="differs")
        for side, l3 in packets:
            sc._send(side, l3)
        sc.finish()
        return sc.compare(), sc
    finally:
        topo.down()


def minimise(sysctls, packets, workdir):
    """Debugging aid: greedily drop packets while kernel and ctrack still
    differ; returns the smallest packet list found and its report."""
    diffs, sc = differs(sysctls, packets, workdir)
    if not diffs:
        return packets, None
    changed = True
    while changed:
        changed = False
        i = 0
        while i < len(packets):
            trial = packets[:i] + packets[i + 1:]
            d, s = differs(sysctls, trial, workdir)
            if d:
                packets, diffs, sc = trial, d, s
                changed = True
            else:
                i += 1
    return packets, sc.report(diffs)
