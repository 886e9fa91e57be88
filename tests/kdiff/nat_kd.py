# SPDX-License-Identifier: MIT
"""Kernel-differential NAT harness (issue 5, spec §10), built on kdiff.py.

The topology is kdiff.Topology (client c0 -- f0 [fw] f1 -- s0 server, see
the diagram in kdiff.py); the fw namespace gets a NAT ruleset instead of
kdiff's filter ruleset.  Frames are crafted here, injected with AF_PACKET on
the puppet interfaces and whatever the kernel router sends out of f0 / f1 is
captured raw on c0 / s0.

The same injected frames are written as one pcap per fw interface (f0: the
client side's frames, f1: the server side's, nanosecond time stamps = send
time) and replayed through build/ctrack-replay with the namespace's
interfaces, addresses, routes, neighbours and the same ruleset file.  Its
--out pcaps hold what the userspace router sends out of f0 and f1.

Compared:
- per interface, the sequence of frames sent out, byte for byte from the IP
  header on.  A packet the kernel made itself (an ICMP error or an echo
  reply: an IPv4 ID that no injected packet has) is compared with its IPv4
  ID and header checksum masked, the values the spec calls unpredictable
  (§11.3); everything else, the quoted packet included, must be equal.
  A drop on one side only shows as a missing frame.
- the final tables: `conntrack -L -o extended` against ctrack-replay's
  --conntrack -o extended (kdiff.compare_tables: timeouts within 3 s).

Only the Python 3 standard library is used.
"""

import difflib
import os
import re
import socket
import struct
import subprocess
import time

import pytest

import kdiff
from kdiff import (C4, S4, C6, S6, F04, F14, F06, F16, C_MAC, S_MAC, F0_MAC, F1_MAC,
                   C4_NET, S4_NET, C6_NET, S6_NET, ETH_P_IP, ETH_P_IPV6, mac_str)

NAT_SYSCTLS = {
    "net.netfilter.nf_conntrack_acct": "1",
}

# nft's `flush ruleset` is run separately in the kernel namespace; this file
# is given as is to both.
FILTER_FORWARD = """
table inet filter {
	chain forward {
		type filter hook forward priority 0; policy accept;
		ct state invalid counter drop
	}
}
"""


class ReplayError(AssertionError):
    """ctrack-replay refused the input (e.g. a ruleset it cannot parse)."""


def replay_path():
    build = os.environ.get("CTRACK_BUILD", os.path.join(kdiff.REPO, "build"))
    if not os.path.isabs(build):
        build = os.path.join(kdiff.REPO, build)
    return os.path.join(build, "ctrack-replay")


def ip_trim(l3):
    """The IP packet without link padding."""
    if l3 and l3[0] >> 4 == 4 and len(l3) >= 20:
        return bytes(l3[:struct.unpack("!H", l3[2:4])[0]])
    if l3 and l3[0] >> 4 == 6 and len(l3) >= 40:
        return bytes(l3[:40 + struct.unpack("!H", l3[4:6])[0]])
    return bytes(l3)


def read_pcap(path):
    """Frames of a pcap (micro- or nanosecond)."""
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
        off += 16
        out.append(data[off:off + incl])
        off += incl
    return out


def _ip_id(l3):
    if l3 and l3[0] >> 4 == 4 and len(l3) >= 20:
        return struct.unpack("!H", l3[4:6])[0]
    return None


def l4_fields(l3):
    """(proto, src, dst, sport, dport) of an IP packet (ports None if not
    TCP/UDP); for ICMP/ICMPv6 echo sport is the id."""
    if l3[0] >> 4 == 4:
        ihl = (l3[0] & 15) * 4
        proto, src, dst, l4 = l3[9], socket.inet_ntoa(l3[12:16]), socket.inet_ntoa(l3[16:20]), l3[ihl:]
    else:
        proto = l3[6]
        src = socket.inet_ntop(socket.AF_INET6, l3[8:24])
        dst = socket.inet_ntop(socket.AF_INET6, l3[24:40])
        l4 = l3[40:]
    if proto in (6, 17) and len(l4) >= 4:
        sp, dp = struct.unpack("!HH", l4[:4])
        return proto, src, dst, sp, dp
    if proto in (1, 58) and len(l4) >= 8:
        return proto, src, dst, struct.unpack("!H", l4[4:6])[0], None
    return proto, src, dst, None, None


def csum_ok(l3):
    """True when the IPv4 header checksum and the L4 checksum verify."""
    if l3[0] >> 4 == 4:
        ihl = (l3[0] & 15) * 4
        if kdiff.csum(bytes(l3[:ihl])) != 0:
            return False
        proto, l4 = l3[9], bytes(l3[ihl:])
        src, dst = l3[12:16], l3[16:20]
        if proto == 1:
            return kdiff.csum(l4) == 0
        if proto in (6, 17):
            if proto == 17 and l4[6:8] == b"\0\0":
                return True
            ph = src + dst + struct.pack("!xBH", proto, len(l4))
            return kdiff.csum(ph + l4) == 0
        return True
    proto, l4 = l3[6], bytes(l3[40:])
    if proto in (6, 17, 58):
        ph = bytes(l3[8:40]) + struct.pack("!IxxxB", len(l4), proto)
        return kdiff.csum(ph + l4) == 0
    return True


SOL_PACKET = 263
PACKET_AUXDATA = 8
TP_STATUS_CSUMNOTREADY = 0x8


def complete_csum(l3):
    """Finish the L4 checksum of a CHECKSUM_PARTIAL packet as a NIC does:
    the field holds the pseudo-header sum; the sum over the L4 bytes with
    that value in place, complemented, is the checksum."""
    b = bytearray(l3)
    if b[0] >> 4 == 4:
        off, proto = (b[0] & 15) * 4, b[9]
    else:
        off, proto = 40, b[6]
    at = {6: 16, 17: 6, 58: 2}.get(proto)
    if at is None or len(b) < off + at + 2:
        return bytes(b)
    c = kdiff.csum(bytes(b[off:]))
    if proto == 17 and c == 0:
        c = 0xFFFF
    struct.pack_into("!H", b, off + at, c)
    return bytes(b)


class NatFlow(kdiff.TcpFlow):
    """A TCP connection through NAT.  The client sends csrc:cport ->
    cdst:dport; the server sees (and answers) ssrc:sport -> sdst:sdport
    from its own side, i.e. it sends sdst:sdport -> ssrc:sport.  Server
    fields default to the client's (no translation)."""

    def __init__(self, sc, csrc, cdst, cport, dport, ssrc=None, sdst=None, sport=None,
                 sdport=None, cisn=1000000, sisn=5000000):
        super().__init__(sc, csrc, cdst, cport, dport, cisn, sisn)
        self.view = {"c": (csrc, cdst, cport, dport),
                     "s": (sdst or cdst, ssrc or csrc, sdport or dport,
                           sport or cport)}

    def _pkt(self, side, flags, data=b"", seq=None, ack=None, win=29200, opts=b"",
             bad_csum=False, advance=True, send=True, **ipkw):
        other = "s" if side == "c" else "c"
        if seq is None:
            seq = self.nxt[side]
        if ack is None:
            ack = self.nxt[other] if flags & kdiff.ACK else 0
        src, dst, sp, dp = self.view[side]
        seg = kdiff.tcp(src, dst, sp, dp, seq, ack, flags, win, opts, data, bad_csum)
        p = kdiff.ip(src, dst, 6, seg, **ipkw)
        if advance:
            n = len(data) + (1 if flags & kdiff.SYN else 0) + (1 if flags & kdiff.FIN else 0)
            self.nxt[side] = (seq + n) & 0xFFFFFFFF
        if send:
            (self.sc.c if side == "c" else self.sc.s)(p)
        return p


class NatScenario(kdiff.Scenario):
    """kdiff.Scenario keeping the raw frames the fw sends, compared with
    what ctrack-replay sends for the same injected frames."""

    def __init__(self, topo, workdir, ruleset, sysctls, name, replay_args=None):
        super().__init__(topo, workdir, sysctls, name=name)
        self.ruleset = ruleset
        self.replay_args = list(replay_args or [])
        self.extra_addrs = {"f0": [], "f1": []}
        self.raw = {"c": [], "s": []}   # side where captured -> [l3]
        self.replay = None

    def _enable_auxdata(self):
        for sk in self.rx.values():
            sk.setsockopt(SOL_PACKET, PACKET_AUXDATA, 1)

    def _drain(self, wait):
        """kdiff.Scenario._drain, also reading PACKET_AUXDATA: a frame the
        kernel left CHECKSUM_PARTIAL (its own TCP answers over IPv6, veth
        keeps the offload) carries only the pseudo-header sum; a NIC would
        complete it, and so does this."""
        if not getattr(self, "_aux", False):
            self._enable_auxdata()
            self._aux = True
        deadline = time.monotonic() + wait
        while True:
            got = False
            for side, sk in self.rx.items():
                while True:
                    try:
                        data, anc, _, addr = sk.recvmsg(65535, 256)
                    except BlockingIOError:
                        break
                    got = True
                    if addr[2] == kdiff.PACKET_OUTGOING:
                        continue
                    ts = time.time_ns()
                    partial = False
                    for lvl, typ, val in anc:
                        if lvl == socket.SOL_SOCKET and typ == kdiff.SO_TIMESTAMPNS:
                            sec, nsec = struct.unpack("qq", val[:16])
                            ts = sec * 1_000_000_000 + nsec
                        elif lvl == SOL_PACKET and typ == PACKET_AUXDATA:
                            partial = bool(struct.unpack("I", val[:4])[0] & TP_STATUS_CSUMNOTREADY)
                    self._keep(side, data, ts)
                    self._keep_raw(side, data, partial)
            if not got:
                if time.monotonic() >= deadline:
                    return
                time.sleep(0.01)

    def _keep_raw(self, side, fr, partial):
        if len(fr) < 14 or fr[0] & 1 or fr[6:12] not in (F0_MAC, F1_MAC):
            return
        if struct.unpack("!H", fr[12:14])[0] not in (ETH_P_IP, ETH_P_IPV6):
            return
        l3 = ip_trim(fr[14:])
        if partial:
            l3 = complete_csum(l3)
        self.raw[side].append(l3)

    # -- the kernel's view -------------------------------------------------
    def kernel_out(self, side):
        """IP packets the kernel fw sent towards `side` ('c' or 's')."""
        return list(self.raw[side])

    def kernel_list(self, *args):
        """`conntrack -L ARGS -o extended` lines in the fw namespace."""
        r = kdiff.run(["ip", "netns", "exec", self.topo.f, "conntrack", "-L"] + list(args) +
                      ["-o", "extended"], check=False)
        return [ln for ln in r.stdout.splitlines() if ln.strip()]

    def kernel_counter(self, comment):
        """Packets counted by the kernel rule whose comment is `comment`."""
        txt = self.topo.nft_list()
        for ln in txt.splitlines():
            if 'comment "%s"' % comment in ln:
                m = re.search(r"counter packets (\d+)", ln)
                if m:
                    return int(m.group(1))
        raise AssertionError("no counter %r in\n%s" % (comment, txt))

    # -- ctrack-replay -----------------------------------------------------
    def run_replay(self, sent=None):
        """Replay `sent` (default: what was injected; a list of
        (ts, side, l3, frame)) through ctrack-replay."""
        if sent is None:
            sent = self.sent
        tool = replay_path()
        if not os.path.exists(tool):
            raise AssertionError("%s not built" % tool)
        wd = os.path.join(self.workdir, self.name)
        os.makedirs(wd, exist_ok=True)
        rs = os.path.join(wd, "ruleset.nft")
        with open(rs, "w") as f:
            f.write(self.ruleset)
        pin = {}
        for side, dev in (("c", "f0"), ("s", "f1")):
            pin[side] = os.path.join(wd, "in-%s.pcap" % dev)
            kdiff.write_pcap(pin[side], [(ts, fr) for ts, sd, l3, fr in sent
                                         if sd == side])
        pout = {"c": os.path.join(wd, "out-f0.pcap"), "s": os.path.join(wd, "out-f1.pcap")}
        table = os.path.join(wd, "conntrack.txt")
        verdicts = os.path.join(wd, "verdicts.txt")
        cmd = [tool, "-f", rs, "--no-progress",
               "--iface", ",".join(["f0", mac_str(F0_MAC), F04 + "/24", F06 + "/64"] +
                                   self.extra_addrs["f0"]),
               "--iface", ",".join(["f1", mac_str(F1_MAC), F14 + "/24", F16 + "/64"] +
                                   self.extra_addrs["f1"]),
               "--route", "%s,f0,%s" % (C4_NET, C4), "--route", "%s,f1,%s" % (S4_NET, S4),
               "--route", "%s,f0,%s" % (C6_NET, C6), "--route", "%s,f1,%s" % (S6_NET, S6),
               "--neigh", "f0,%s,%s" % (C4, mac_str(C_MAC)),
               "--neigh", "f0,%s,%s" % (C6, mac_str(C_MAC)),
               "--neigh", "f1,%s,%s" % (S4, mac_str(S_MAC)),
               "--neigh", "f1,%s,%s" % (S6, mac_str(S_MAC)),
               ] + self.replay_args + [
               "--in", "f0=" + pin["c"], "--in", "f1=" + pin["s"],
               "--out", "f0=" + pout["c"], "--out", "f1=" + pout["s"],
               "--conntrack", table, "-o", "extended", "--verdicts", verdicts]
        for k, v in self.sysctls.items():
            if k.startswith("net.netfilter."):
                cmd += ["--set", "%s=%s" % (k, v)]
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
        if r.returncode != 0:
            raise ReplayError("ctrack-replay failed (%d): %s\n%s%s" %
                                 (r.returncode, " ".join(cmd), r.stdout, r.stderr))
        out = {side: [ip_trim(fr[14:]) for fr in read_pcap(p)] for side, p in pout.items()}
        with open(table) as f:
            tab = [ln for ln in f.read().splitlines() if ln.strip()]
        with open(verdicts) as f:
            verd = f.read().splitlines()
        self.replay = {"out": out, "table": tab, "verdicts": verd, "cmd": " ".join(cmd),
                       "stderr": r.stderr}
        return self.replay

    def replay_out(self, side):
        return self.replay["out"][side]

    def ctrack_table(self):
        return self.replay["table"]

    # -- comparison --------------------------------------------------------
    def _injected_ids(self):
        return {_ip_id(l3) for ts, sd, l3, fr in self.sent} - {None}

    @staticmethod
    def _kernel_made(l3, injected_ids):
        """A packet the kernel made itself: an IPv4 ID no injected packet
        has, or a non-zero IPv6 flow label (injected packets carry 0)."""
        if l3 and l3[0] >> 4 == 4 and len(l3) >= 20:
            return _ip_id(l3) not in injected_ids
        if l3 and l3[0] >> 4 == 6 and len(l3) >= 40:
            return struct.unpack("!I", l3[:4])[0] & 0xFFFFF != 0
        return False

    @staticmethod
    def _mask(l3):
        """Blank what §11.3 calls unpredictable: the IPv4 ID (and so the
        header checksum), the IPv6 flow label."""
        b = bytearray(l3)
        if b and b[0] >> 4 == 4 and len(b) >= 20:
            b[4:6] = b"\xff\xff"
            b[10:12] = b"\xff\xff"
        elif b and b[0] >> 4 == 6 and len(b) >= 40:
            b[1] |= 0x0F
            b[2:4] = b"\xff\xff"
        return bytes(b)

    @staticmethod
    def _mask_frag6(l3):
        if l3 and l3[0] >> 4 == 6 and len(l3) >= 48 and l3[6] == 44:
            b = bytearray(l3)
            b[44:48] = b"\0\0\0\0"
            return bytes(b)
        return l3

    def compare_frames(self):
        diffs = []
        ids = self._injected_ids()
        for side, dev in (("c", "f0"), ("s", "f1")):
            k = self.kernel_out(side)
            c = self.replay_out(side)
            # IPv6 fragments: the kernel refragments with a new
            # identification (spec §2.3); it is masked on both sides.
            k = [self._mask_frag6(p) for p in k]
            c = [self._mask_frag6(p) for p in c]
            made = [self._kernel_made(p, ids) for p in k]
            km = [self._mask(p) if m else p for p, m in zip(k, made)]
            # The packet at the same place on the ctrack side is masked alike.
            cm = [self._mask(p) if i < len(made) and made[i] else p for i, p in enumerate(c)]
            if km == cm:
                continue
            diffs.append("frames out of %s differ (kernel %d, ctrack %d):" % (dev, len(k), len(c)))
            sm = difflib.SequenceMatcher(a=km, b=cm, autojunk=False)
            for op, a0, a1, b0, b1 in sm.get_opcodes():
                if op == "equal":
                    continue
                for i in range(a0, a1):
                    diffs.append("  kernel[%d] %s\n      %s" % (i, kdiff.describe(k[i]),
                                                              k[i].hex()))
                for j in range(b0, b1):
                    diffs.append("  ctrack[%d] %s\n      %s" % (j, kdiff.describe(c[j]),
                                                              c[j].hex()))
        return diffs

    def compare(self):
        self.run_replay()
        diffs = self.compare_frames()
        diffs += kdiff.compare_tables(self.kernel_table, self.ctrack_table(),
                                      kdiff.TIMEOUT_TOLERANCE_S)
        return diffs

    def report(self, diffs):
        out = ["scenario %s: %d difference(s)" % (self.name, len(diffs))]
        out += ["  " + d for d in diffs]
        out.append("kernel table:")
        out += ["  " + ln for ln in self.kernel_table] or ["  (empty)"]
        if self.replay:
            out.append("ctrack table (%s):" % self.replay["cmd"])
            out += ["  " + ln for ln in self.replay["table"]] or ["  (empty)"]
        out.append("injected:")
        for i, (ts, side, l3, fr) in enumerate(self.sent):
            v = ""
            if self.replay and i < len(self.replay["verdicts"]):
                v = self.replay["verdicts"][i]
            out.append("  %3d %s %s\n        ctrack: %s" % (
                i + 1, "c>" if side == "c" else "s>", kdiff.describe(l3), v))
        for side in ("c", "s"):
            out.append("kernel out towards %s:" % ("client" if side == "c" else "server"))
            out += ["  " + kdiff.describe(p) for p in self.raw[side]] or ["  (none)"]
        return "\n".join(out)


def frame_for(side, l3, ts):
    """A (ts, side, l3, frame) record as Scenario.sent holds, for replays
    of packets the kernel never saw."""
    et = kdiff.ETH_P_IPV6 if l3[0] >> 4 == 6 else kdiff.ETH_P_IP
    if side == "c":
        fr = F0_MAC + C_MAC + struct.pack("!H", et) + l3
    else:
        fr = F1_MAC + S_MAC + struct.pack("!H", et) + l3
    return (ts, side, bytes(l3), fr)


def table_find(lines, *needles):
    """The table lines that contain every needle."""
    return [ln for ln in lines if all(n in ln for n in needles)]


def reply_dport(line):
    """The reply tuple's dport of a `conntrack -L` line (the SNAT port)."""
    return int(re.findall(r"dport=(\d+)", line)[1])


def reply_field(line, name):
    """The reply tuple's `name=` value (src, dst, sport, dport, id, type)."""
    vals = re.findall(r"\b%s=(\S+)" % name, line)
    return vals[1] if len(vals) > 1 else None


class NatKD:
    def __init__(self, tmp_path, request):
        self.tmp_path = tmp_path
        self.request = request
        self.topo = None
        self.sc = None

    def scenario(self, ruleset, sysctls=None, filter_forward=True, addrs=(), routes=(),
                 neighs=()):
        """A fresh topology whose fw runs `ruleset` (nft text).  Extras, set
        up alike in the namespace and for ctrack-replay: addrs (("DEV",
        "ADDR/PLEN"), added in this order), routes ("PREFIX", "DEV", "GW"),
        neighs ("DEV", "ADDR", mac bytes)."""
        assert self.topo is None, "one scenario per test"
        s = dict(NAT_SYSCTLS)
        s.update(sysctls or {})
        if filter_forward:
            ruleset = FILTER_FORWARD + ruleset
        self.topo = kdiff.Topology(s)
        self.topo.up()
        kdiff.run(["ip", "netns", "exec", self.topo.f, "nft", "flush", "ruleset"])
        self.topo.nft(self.topo.f, ruleset)
        ipf = ["ip", "-n", self.topo.f]
        args = []
        for dev, a in addrs:
            kdiff.run(ipf + ["addr", "add", a, "dev", dev] + (["nodad"] if ":" in a else []))
        for dev, addr, mac in neighs:
            kdiff.run(ipf + ["neigh", "replace", addr, "lladdr", mac_str(mac), "dev", dev,
                             "nud", "permanent"])
            args += ["--neigh", "%s,%s,%s" % (dev, addr, mac_str(mac))]
        for pfx, dev, gw in routes:
            kdiff.run(ipf + ["route", "add", pfx, "via", gw, "dev", dev])
            args += ["--route", "%s,%s,%s" % (pfx, dev, gw)]
        name = re.sub(r"[^A-Za-z0-9_.-]", "_", self.request.node.name)
        self.sc = NatScenario(self.topo, str(self.tmp_path), ruleset, s, name, args)
        for dev, a in addrs:
            self.sc.extra_addrs[dev].append(a)
        return self.sc

    def check(self, sc):
        """Compare kernel and ctrack; fail with a full report on any difference."""
        if sc.kernel_table is None:
            sc.finish()
        diffs = sc.compare()
        if diffs:
            pytest.fail(sc.report(diffs), pytrace=False)

    def close(self):
        if self.sc is not None:
            self.sc.close()
        if self.topo is not None:
            self.topo.down()


_NETNS_OK = None


@pytest.fixture
def nk(tmp_path, request):
    if not kdiff.is_root():
        pytest.skip("SKIP kdiff: needs root (network namespaces, AF_PACKET)")
    global _NETNS_OK
    if _NETNS_OK is None:
        _NETNS_OK = kdiff.netns_available()
    if not _NETNS_OK:
        pytest.skip("SKIP kdiff: `ip netns` does not work here")
    k = NatKD(tmp_path, request)
    request.addfinalizer(k.close)
    return k
