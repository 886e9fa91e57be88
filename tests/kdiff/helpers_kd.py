# SPDX-License-Identifier: MIT
"""Kernel-differential harness for helpers and NAT through the router model
(issue 6): the kdiff.py topology and packet builders (imported, not
changed), but the firewall side is build/ctrack-replay with the same nft
ruleset as the kernel's fw namespace.

What is compared, kernel against ctrack-replay:
  - every frame the fw sends towards each side, byte for byte from the IP
    header on (TTL, checksums, rewritten FTP text, adjusted seq/ack), in
    order: so forwarding and drops are compared too;
  - `conntrack -L -o extended` (timeouts within a tolerance);
  - `conntrack -L expect` for IPv4 and IPv6 (timeouts within a tolerance).

The fw's transmit checksum offload is turned off so that a packet the kernel
mangled (CHECKSUM_PARTIAL after nf_nat_mangle_tcp_packet) leaves with its
checksum completed in software, as a real NIC would put it on the wire.
"""

import ctypes
import os
import socket
import struct
import subprocess
import time

import kdiff
from kdiff import (C_MAC, F0_MAC, F1_MAC, S_MAC, F04, F14, F06, F16, C4, S4, C6, S6,
                   mac_str, in_netns, run, write_pcap, describe, parse_ct_line)

TOL_S = 3

# The stateful forward policy shared by the scenarios: replies and related
# flows pass, new flows only as the scenario's `allow` says.
RULESET = """
table inet t {{
	ct helper ftp-standard {{ type "ftp" protocol tcp; }}
	ct helper tftp-standard {{ type "tftp" protocol udp; }}
	chain c_pre {{
		type filter hook prerouting priority 0; policy accept;
{helpers}
	}}
	chain c_fwd {{
		type filter hook forward priority 0; policy drop;
		ct state established,related accept
{allow}
	}}
	chain c_dnat {{
		type nat hook prerouting priority -100; policy accept;
{dnat}
	}}
	chain c_snat {{
		type nat hook postrouting priority 100; policy accept;
{snat}
	}}
}}
"""

HELPERS_ON = ('\t\ttcp dport 21 ct helper set "ftp-standard"\n'
              '\t\tudp dport 69 ct helper set "tftp-standard"')
# New flows from the client side: only the control connections.
ALLOW_CONTROL = ('\t\tiifname "f0" tcp dport 21 ct state new accept\n'
                 '\t\tiifname "f0" udp dport 69 ct state new accept')


def ruleset(helpers=True, allow=ALLOW_CONTROL, dnat="", snat=""):
    return RULESET.format(helpers=HELPERS_ON if helpers else "", allow=allow,
                          dnat=dnat, snat=snat)


def ethtool_set_tx_csum(dev, on):
    """SIOCETHTOOL ETHTOOL_STXCSUM on `dev` in the current netns."""
    import fcntl
    SIOCETHTOOL = 0x8946
    ETHTOOL_STXCSUM = 0x17
    ev = struct.pack("II", ETHTOOL_STXCSUM, 1 if on else 0)
    buf = ctypes.create_string_buffer(ev)
    ifr = struct.pack("16sP", dev.encode(), ctypes.addressof(buf))
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        fcntl.ioctl(s.fileno(), SIOCETHTOOL, ifr)
    finally:
        s.close()


def replay_path():
    build = os.environ.get("CTRACK_BUILD", os.path.join(kdiff.REPO, "build"))
    if not os.path.isabs(build):
        build = os.path.join(kdiff.REPO, build)
    return os.path.join(build, "ctrack-replay")


def read_pcap(path):
    """Frames of a pcap (micro- or nanosecond, any endianness)."""
    out = []
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 24:
        return out
    magic = struct.unpack("<I", data[:4])[0]
    end = "<" if magic in (0xA1B2C3D4, 0xA1B23C4D) else ">"
    off = 24
    while off + 16 <= len(data):
        _, _, incl, _ = struct.unpack(end + "IIII", data[off:off + 16])
        out.append(data[off + 16:off + 16 + incl])
        off += 16 + incl
    return out


def l3_of(frame):
    """The IP packet of an Ethernet frame, cut to its IP length."""
    l3 = frame[14:]
    if l3 and l3[0] >> 4 == 4 and len(l3) >= 20:
        return l3[:struct.unpack("!H", l3[2:4])[0]]
    if l3 and l3[0] >> 4 == 6 and len(l3) >= 40:
        return l3[:40 + struct.unpack("!H", l3[4:6])[0]]
    return l3


def parse_expect_line(line):
    """-> (line without its leading timeout, timeout)."""
    t = line.split(None, 1)
    try:
        return t[1] if len(t) > 1 else "", int(t[0])
    except ValueError:
        return line, None


def compare_expect(kernel, ctrack, tol=TOL_S):
    k = sorted(parse_expect_line(ln) for ln in kernel)
    c = sorted(parse_expect_line(ln) for ln in ctrack)
    diffs = []
    kk = [x for x, _ in k]
    cc = [x for x, _ in c]
    for x in sorted(set(kk) | set(cc)):
        if kk.count(x) != cc.count(x):
            diffs.append("expectation count %d (kernel) != %d (ctrack): %s" % (
                kk.count(x), cc.count(x), x))
    for (x, a), (y, b) in zip(k, c):
        if x == y and a is not None and b is not None and abs(a - b) > tol:
            diffs.append("expectation timeout %s (kernel) vs %s (ctrack): %s" % (a, b, x))
    return diffs


class Topo(kdiff.Topology):
    """kdiff's topology with the fw's ruleset replaced and TX checksum
    offload off on the fw side."""

    def up(self):
        super().up()
        run(["ip", "netns", "exec", self.f, "nft", "flush", "ruleset"])
        with in_netns(self.f):
            for dev in ("f0", "f1"):
                ethtool_set_tx_csum(dev, False)
        return self

    def reset(self, rules):
        """A fresh conntrack state and the given ruleset."""
        ns = ["ip", "netns", "exec", self.f]
        run(ns + ["nft", "flush", "ruleset"])
        run(ns + ["conntrack", "-F"], check=False)
        run(ns + ["conntrack", "-F", "expect"], check=False)
        run(ns + ["nft", "-f", "-"], input=rules)

    def expect_list(self):
        out = []
        for fam in ("ipv4", "ipv6"):
            r = run(["ip", "netns", "exec", self.f, "conntrack", "-L", "expect", "-f", fam],
                    check=False)
            out += [ln for ln in r.stdout.splitlines() if ln.strip()]
        return out


class Scenario(kdiff.Scenario):
    """Injection and capture as kdiff.Scenario; captures keep the raw bytes."""

    def __init__(self, topo, workdir, rules, name, sysctls=None):
        self.rules = rules
        self.raw = {"c": [], "s": []}
        self.kernel_expect = None
        super().__init__(topo, workdir, sysctls or {}, name=name)

    def _keep(self, side, fr, ts):
        if len(fr) < 14 or fr[0] & 1:
            return
        if fr[6:12] not in (F0_MAC, F1_MAC):
            return
        if struct.unpack("!H", fr[12:14])[0] not in (kdiff.ETH_P_IP, kdiff.ETH_P_IPV6):
            return
        self.raw[side].append(l3_of(fr))
        super()._keep(side, fr, ts)

    def finish(self):
        self._drain(0.25)
        self.kernel_table, self.list_time = self.topo.conntrack_list()
        self.kernel_expect = self.topo.expect_list()
        self._drain(0)
        self.close()
        return self

    # -- ctrack-replay ------------------------------------------------------
    def run_replay(self):
        tool = replay_path()
        if not os.path.exists(tool):
            raise AssertionError("%s not built" % tool)
        w = os.path.join(self.workdir, self.name)
        files = {k: "%s.%s" % (w, k) for k in
                 ("rules", "in0.pcap", "in1.pcap", "out0.pcap", "out1.pcap", "ct", "exp",
                  "verdicts")}
        with open(files["rules"], "w") as f:
            f.write(self.rules)
        write_pcap(files["in0.pcap"], [(ts, fr) for ts, side, l3, fr in self.sent if side == "c"])
        write_pcap(files["in1.pcap"], [(ts, fr) for ts, side, l3, fr in self.sent if side == "s"])
        cmd = [tool, "-f", files["rules"],
               "--iface", "f0,%s,%s/24,%s/64" % (mac_str(F0_MAC), F04, F06),
               "--iface", "f1,%s,%s/24,%s/64" % (mac_str(F1_MAC), F14, F16),
               "--neigh", "f0,%s,%s" % (C4, mac_str(C_MAC)),
               "--neigh", "f0,%s,%s" % (C6, mac_str(C_MAC)),
               "--neigh", "f1,%s,%s" % (S4, mac_str(S_MAC)),
               "--neigh", "f1,%s,%s" % (S6, mac_str(S_MAC)),
               "--route", "%s,f0,%s" % (kdiff.C4_NET, C4),
               "--route", "%s,f1,%s" % (kdiff.S4_NET, S4),
               "--route", "%s,f0,%s" % (kdiff.C6_NET, C6),
               "--route", "%s,f1,%s" % (kdiff.S6_NET, S6),
               "--in", "f0=" + files["in0.pcap"], "--in", "f1=" + files["in1.pcap"],
               "--out", "f0=" + files["out0.pcap"], "--out", "f1=" + files["out1.pcap"],
               "--conntrack", files["ct"], "-o", "extended", "--expect", files["exp"],
               "--verdicts", files["verdicts"], "--no-progress"]
        for k, v in self.sysctls.items():
            cmd += ["--set", "%s=%s" % (k, v)]
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
        if r.returncode != 0:
            raise AssertionError("ctrack-replay failed (%d): %s\n%s%s" % (
                r.returncode, " ".join(cmd), r.stdout, r.stderr))
        rd = lambda k: [ln for ln in open(files[k]).read().splitlines() if ln.strip()]
        self.c_table = rd("ct")
        self.c_expect = rd("exp")
        self.c_verdicts = rd("verdicts")
        self.c_out = {"c": [l3_of(f) for f in read_pcap(files["out0.pcap"])],
                      "s": [l3_of(f) for f in read_pcap(files["out1.pcap"])]}
        self.cmd = " ".join(cmd)

    def compare(self):
        self.run_replay()
        diffs = []
        for side, name in (("c", "client"), ("s", "server")):
            k, c = self.raw[side], self.c_out[side]
            for i in range(max(len(k), len(c))):
                a = k[i] if i < len(k) else None
                b = c[i] if i < len(c) else None
                if a != b:
                    diffs.append("frame %d towards the %s: kernel %s | ctrack %s%s" % (
                        i + 1, name, describe(a) if a else "(none)",
                        describe(b) if b else "(none)", first_diff(a, b)))
                    break
        diffs += kdiff.compare_tables(self.kernel_table, self.c_table, TOL_S)
        diffs += compare_expect(self.kernel_expect, self.c_expect)
        return diffs

    def report(self, diffs):
        out = ["scenario %s: %d difference(s)" % (self.name, len(diffs))]
        out += ["  " + d for d in diffs]
        out.append("kernel table:")
        out += ["  " + ln for ln in self.kernel_table] or ["  (empty)"]
        out.append("ctrack table:")
        out += ["  " + ln for ln in getattr(self, "c_table", [])] or ["  (empty)"]
        out.append("kernel expect:")
        out += ["  " + ln for ln in self.kernel_expect] or ["  (empty)"]
        out.append("ctrack expect:")
        out += ["  " + ln for ln in getattr(self, "c_expect", [])] or ["  (empty)"]
        out.append("injected (ctrack verdicts):")
        v = getattr(self, "c_verdicts", [])
        for i, (ts, side, l3, fr) in enumerate(self.sent):
            out.append("  %3d %s %s | %s" % (i + 1, side + ">", describe(l3),
                                              v[i] if i < len(v) else "?"))
        for side in ("c", "s"):
            out.append("kernel sent towards %s:" % side)
            out += ["  " + describe(x) for x in self.raw[side]]
            out.append("ctrack sent towards %s:" % side)
            out += ["  " + describe(x) for x in getattr(self, "c_out", {}).get(side, [])]
        out.append("replay: " + getattr(self, "cmd", ""))
        return "\n".join(out)


def first_diff(a, b):
    if not a or not b:
        return ""
    for i in range(min(len(a), len(b))):
        if a[i] != b[i]:
            return " (first difference at byte %d: %02x vs %02x; lengths %d/%d)" % (
                i, a[i], b[i], len(a), len(b))
    return " (lengths %d/%d)" % (len(a), len(b))


def payload(l3):
    """TCP/UDP payload of an IP packet (for assertions on rewritten text)."""
    if l3[0] >> 4 == 4:
        ihl = (l3[0] & 15) * 4
        proto, l4 = l3[9], l3[ihl:]
    else:
        proto, l4 = l3[6], l3[40:]
    if proto == 6:
        return l4[(l4[12] >> 4) * 4:]
    if proto == 17:
        return l4[8:]
    return b""
