# SPDX-License-Identifier: MIT
"""Kernel-differential check of the FTP and TFTP helpers (issue 6), until
ctrack-track can assign helpers (needs nft `ct helper set` in lib/nft).

The packets go through a real kernel fw namespace (tests/kdiff topology)
with a ruleset attaching the ftp helper to tcp dport 21 and tftp to udp
dport 69; the same pcap is replayed through libctrack by helpers_drv.c
(same assignment rule, by port, on the first packet).  Compared: per-packet
forward/drop, `conntrack -L -o extended`, and `conntrack -L expect` of both
families.

    make && cc -std=c11 -D_DEFAULT_SOURCE -Iinclude tests/helpers/helpers_drv.c \\
        build/libctrack.a -lpcap -o build/helpers_drv
    sudo python3 tests/helpers/helpers_diff.py build/helpers_drv
"""
import os, struct, subprocess, sys, tempfile, time
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "kdiff"))
DRV = sys.argv[1] if len(sys.argv) > 1 else "build/helpers_drv"
WORK = tempfile.mkdtemp(prefix="ctrack-helpers-")
import kdiff
from kdiff import *

HELPERS = """
table inet h {
	ct helper ftp-h { type "ftp" protocol tcp; l3proto inet; }
	ct helper tftp-h { type "tftp" protocol udp; l3proto inet; }
	chain pre {
		type filter hook prerouting priority 0; policy accept;
		tcp dport 21 ct helper set "ftp-h"
		udp dport 69 ct helper set "tftp-h"
	}
}
"""

def scenario(sc):
    # 1 active FTP v4 + data connection
    f = TcpFlow(sc, C4, S4, 40000, 21); f.handshake()
    f.s(ACK | PSH, b"220 ready\r\n"); f.c(ACK | PSH, b"USER a\r\n"); f.s(ACK | PSH, b"331 pw\r\n")
    f.c(ACK | PSH, b"PORT 10,1,0,2,200,10\r\n"); f.s(ACK | PSH, b"200 ok\r\n")
    # the data connection, from the server's side
    sc.s(ip(S4, C4, 6, tcp(S4, C4, 20, 51210, 7000000, 0, SYN)))
    sc.c(ip(C4, S4, 6, tcp(C4, S4, 51210, 20, 8000000, 7000001, SYN | ACK)))
    sc.s(ip(S4, C4, 6, tcp(S4, C4, 20, 51210, 7000001, 8000001, ACK)))
    # an ICMP error about the data connection (related to it)
    sc.c(ip(C4, S4, 1, icmp(3, 3, rest=b"\0\0\0\0", payload=ip(S4, C4, 6, tcp(S4, C4, 20, 51210, 7000001, 8000001, ACK))[:28])))
    # 2 passive v4, expectation left pending
    g = TcpFlow(sc, C4, S4, 40001, 21); g.handshake()
    g.s(ACK | PSH, b"220 ready\r\n"); g.c(ACK | PSH, b"PASV\r\n")
    g.s(ACK | PSH, b"227 Entering Passive Mode (10,2,0,2,156,65).\r\n")
    # 3 partial: PORT abc dropped, then first-segment rule, wrong address
    h = TcpFlow(sc, C4, S4, 40002, 21); h.handshake()
    h.c(ACK | PSH, b"PORT 10,1,0,2,200,20\r\n")          # first segment: not parsed
    h.c(ACK | PSH, b"PORT abc\r\n", advance=False)       # partial: dropped
    h.c(ACK | PSH, b"PORT 10,9,9,9,200,21\r\n")          # wrong address: no expectation
    # 4 IPv6 EPRT then EPSV (evicts)
    v = TcpFlow(sc, C6, S6, 40003, 21); v.handshake()
    v.s(ACK | PSH, b"220 ready\r\n"); v.c(ACK | PSH, b"USER a\r\n")
    v.c(ACK | PSH, b"EPRT |2|fd00:1::2|51211|\r\n")
    v.s(ACK | PSH, b"200 ok\r\n")
    w = TcpFlow(sc, C6, S6, 40004, 21); w.handshake()
    w.s(ACK | PSH, b"220 ready\r\n"); w.c(ACK | PSH, b"EPSV\r\n")
    w.s(ACK | PSH, b"229 Entering Extended Passive Mode (|||40001|)\r\n")
    # 5 TFTP RRQ + DATA, and an unanswered RRQ
    sc.c(udp_pkt(C4, S4, 34200, 69, b"\x00\x01file\x00octet\x00"))
    sc.s(udp_pkt(S4, C4, 50001, 34200, b"\x00\x03\x00\x01data"))
    sc.c(udp_pkt(C4, S4, 34202, 69, b"\x00\x01file\x00octet\x00"))
    # 6 split command: first half dropped
    s2 = TcpFlow(sc, C4, S4, 40005, 21); s2.handshake()
    s2.c(ACK | PSH, b"USER a\r\n")
    s2.c(ACK | PSH, b"PORT 10,1,0,2,200,30", advance=False)
    s2.c(ACK | PSH, b"PORT 10,1,0,2,200,30\r\n")

topo = Topology({"net.netfilter.nf_conntrack_acct": "1"}).up()
try:
    topo.nft(topo.f, HELPERS)
    sc = Scenario(topo, WORK, name="ftpdiff")
    scenario(sc)
    sc.finish()
    kexp = []
    for fam in ("ipv4", "ipv6"):
        r = run(["ip", "netns", "exec", topo.f, "conntrack", "-L", "expect", "-f", fam])
        kexp += [l for l in r.stdout.splitlines() if l.strip()]
    kfwd, extra = sc.kernel_forwarded()
    write_pcap(os.path.join(WORK, "ftpdiff.pcap"), [(ts, fr) for ts, side, l3, fr in sc.sent])
    out = subprocess.run([DRV, os.path.join(WORK, "ftpdiff.pcap"), str(sc.list_time)], capture_output=True, text=True).stdout
    cfwd = {}
    ct, cexp = [], []
    for ln in out.splitlines():
        if ln.startswith("CT "): ct.append(ln[3:])
        elif ln.startswith("EXP "): cexp.append(ln[4:])
        else:
            f = ln.split(); cfwd[int(f[0])] = f[1] == "forward"
    print("== verdicts")
    for i, (ts, side, l3, fr) in enumerate(sc.sent):
        mark = "" if kfwd[i] == cfwd.get(i + 1) else "   <<< DIFF"
        print("%3d k=%s c=%s %s%s" % (i + 1, "fwd" if kfwd[i] else "DROP", "fwd" if cfwd.get(i + 1) else "DROP", describe(l3), mark))
    print("== kernel table"); print("\n".join(sorted(sc.kernel_table)))
    print("== ctrack table"); print("\n".join(sorted(ct)))
    print("== diffs", compare_tables(sc.kernel_table, ct, 3))
    strip = lambda l: l.split(" ", 1)[1]
    print("== kernel expect"); print("\n".join(sorted(kexp)))
    print("== ctrack expect"); print("\n".join(sorted(cexp)))
    print("== expect equal (timeouts aside):", sorted(map(strip, kexp)) == sorted(map(strip, cexp)))
finally:
    topo.down()
