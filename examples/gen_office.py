#!/usr/bin/env python3
"""Generate the small-office example: the frames a firewall receives on its
two interfaces during about two minutes of mixed traffic.

    internet hosts 192.0.2.0/24 ... upstream 203.0.113.254
            |
        wan0 203.0.113.1/24   (02:00:00:00:01:01)
        [ firewall ]
        lan0 198.51.100.1/24  (02:00:00:00:02:01)
            |
    server 198.51.100.10 (ssh, http), workstations 198.51.100.20-22

Only documentation address ranges are used (RFC 5737).  Every frame is one
the firewall receives (tcpdump -Q in), with valid checksums and consistent
TCP sequence numbers.  Usage: gen_office.py OUTDIR
"""
import os
import struct
import sys

FW_WAN = bytes.fromhex('020000000101')
FW_LAN = bytes.fromhex('020000000201')
UPSTREAM = bytes.fromhex('0200000001fe')
HOST_MAC = {10: bytes.fromhex('02000000020a'), 20: bytes.fromhex('020000000214'),
            21: bytes.fromhex('020000000215'), 22: bytes.fromhex('020000000216')}


def ip4(s):
    return bytes(int(x) for x in s.split('.'))


def csum(b):
    if len(b) & 1:
        b += b'\0'
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return (~s) & 0xffff


class Capture:
    def __init__(self):
        self.frames = []

    def add(self, t, frame):
        self.frames.append((t, len(self.frames), frame))

    def write(self, path):
        with open(path, 'wb') as w:
            w.write(struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
            for t, _, f in sorted(self.frames):
                us = int(round(t * 1e6))
                w.write(struct.pack('<IIII', us // 1000000, us % 1000000, len(f), len(f)))
                w.write(f)


ip_id = [0x1000]


def ipv4(src, dst, proto, l4, ttl=64):
    ip_id[0] = (ip_id[0] + 7) & 0xffff
    h = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(l4), ip_id[0], 0x4000, ttl,
                    proto, 0, ip4(src), ip4(dst))
    h = h[:10] + struct.pack('!H', csum(h)) + h[12:]
    return h + l4


def l4sum(src, dst, proto, seg):
    return csum(ip4(src) + ip4(dst) + struct.pack('!BBH', 0, proto, len(seg)) + seg)


def tcp(src, dst, sp, dp, seq, ack, flags, payload=b'', win=502, opts=b''):
    assert len(opts) % 4 == 0, 'TCP options must fill whole 32-bit words'
    doff = (20 + len(opts)) // 4
    seg = struct.pack('!HHIIBBHHH', sp, dp, seq, ack, doff << 4, flags, win, 0, 0) + opts + payload
    c = l4sum(src, dst, 6, seg)
    return ipv4(src, dst, 6, seg[:16] + struct.pack('!H', c) + seg[18:])


def udp(src, dst, sp, dp, payload):
    seg = struct.pack('!HHHH', sp, dp, 8 + len(payload), 0) + payload
    c = l4sum(src, dst, 17, seg) or 0xffff
    return ipv4(src, dst, 17, seg[:6] + struct.pack('!H', c) + seg[8:])


def icmp(src, dst, typ, code, rest, ttl=64):
    m = struct.pack('!BBH', typ, code, 0) + rest
    m = m[:2] + struct.pack('!H', csum(m)) + m[4:]
    return ipv4(src, dst, 1, m, ttl)


def eth(dst, src, ip):
    return dst + src + b'\x08\x00' + ip


# MSS 1460, SACK permitted, window scale 7, padded to a multiple of 4 with NOPs.
SYN_OPTS = bytes.fromhex('020405b4') + bytes.fromhex('0402') + bytes.fromhex('010101') + bytes.fromhex('030307')
F, S, R, P, A = 0x01, 0x02, 0x04, 0x08, 0x10


class Side:
    """Where a host's frames enter the firewall."""

    def __init__(self, cap, fw_mac, peer_mac):
        self.cap, self.fw_mac, self.peer_mac = cap, fw_mac, peer_mac

    def send(self, t, ip):
        self.cap.add(t, eth(self.fw_mac, self.peer_mac, ip))


def tcp_session(t, cli, srv, c, s, sp, dp, isn_c, isn_s, requests, rtt=0.02):
    """A full TCP session: handshake, request/response exchanges, FIN close.
    cli/srv are Side objects for the client's and server's interfaces."""
    cli.send(t, tcp(c, s, sp, dp, isn_c, 0, S, win=64240, opts=SYN_OPTS))
    t += rtt
    srv.send(t, tcp(s, c, dp, sp, isn_s, isn_c + 1, S | A, win=65160, opts=SYN_OPTS))
    t += rtt
    cs, ss = isn_c + 1, isn_s + 1
    cli.send(t, tcp(c, s, sp, dp, cs, ss, A))
    for req, resp in requests:
        t += 0.001
        cli.send(t, tcp(c, s, sp, dp, cs, ss, P | A, req))
        cs += len(req)
        t += rtt
        srv.send(t, tcp(s, c, dp, sp, ss, cs, P | A, resp))
        ss += len(resp)
        t += rtt
        cli.send(t, tcp(c, s, sp, dp, cs, ss, A))
        t += 0.5
    cli.send(t, tcp(c, s, sp, dp, cs, ss, F | A))
    t += rtt
    srv.send(t, tcp(s, c, dp, sp, ss, cs + 1, F | A))
    t += rtt
    cli.send(t, tcp(c, s, sp, dp, cs + 1, ss + 1, A))
    return t


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else '.'
    os.makedirs(out, exist_ok=True)
    wan_cap, lan_cap = Capture(), Capture()
    wan = Side(wan_cap, FW_WAN, UPSTREAM)
    lan = {h: Side(lan_cap, FW_LAN, HOST_MAC[h]) for h in HOST_MAC}
    T0 = 1763900000.0  # 2025-11-23, a fixed time for a deterministic replay

    # Workstations browse the web (192.0.2.80:443) and query DNS (192.0.2.53).
    get = b'GET / HTTP/1.1\r\nHost: www.example.com\r\n\r\n'
    ok = b'HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello'
    for i, h in enumerate((20, 21, 22)):
        t = T0 + i * 3.0
        src = '198.51.100.%d' % h
        q = struct.pack('!HHHHHH', 0x1234 + i, 0x0100, 1, 0, 0, 0) + b'\x03www\x07example\x03com\x00\x00\x01\x00\x01'
        lan[h].send(t, udp(src, '192.0.2.53', 40000 + i, 53, q))
        wan.send(t + 0.015, udp('192.0.2.53', src, 53, 40000 + i, q[:2] + b'\x81\x80' + q[4:] + b'\xc0\x0c\x00\x01\x00\x01\x00\x00\x0e\x10\x00\x04\xc0\x00\x02\x50'))
        tcp_session(t + 0.1, lan[h], wan, src, '192.0.2.80', 50000 + i, 443, 1000 + i * 7919,
                    3000000 + i * 104729, [(get, ok), (get, ok)])

    # A long-lived ssh session from the internet to the server.
    tcp_session(T0 + 5.0, wan, lan[10], '192.0.2.200', '198.51.100.10', 51022, 22, 777000,
                888000, [(b'SSH-2.0-client\r\n', b'SSH-2.0-server\r\n')] +
                [(b'x' * 48, b'y' * 64)] * 5)
    # A web request from the internet to the server's http port.
    tcp_session(T0 + 9.0, wan, lan[10], '192.0.2.201', '198.51.100.10', 40404, 80, 5000, 6000,
                [(get, ok)])
    # An ssh session that stays open at the end of the capture.
    t = T0 + 20.0
    wan.send(t, tcp('192.0.2.202', '198.51.100.10', 52000, 22, 100, 0, S, win=64240, opts=SYN_OPTS))
    lan[10].send(t + 0.02, tcp('198.51.100.10', '192.0.2.202', 22, 52000, 900, 101, S | A, win=65160, opts=SYN_OPTS))
    wan.send(t + 0.04, tcp('192.0.2.202', '198.51.100.10', 52000, 22, 101, 901, A))

    # Pings: a workstation pings out; the internet pings the firewall.
    for k in range(3):
        t = T0 + 12.0 + k
        lan[21].send(t, icmp('198.51.100.21', '192.0.2.1', 8, 0, struct.pack('!HH', 0x77, k) + b'ping' * 8))
        wan.send(t + 0.01, icmp('192.0.2.1', '198.51.100.21', 0, 0, struct.pack('!HH', 0x77, k) + b'ping' * 8, ttl=60))
        wan.send(t + 0.5, icmp('192.0.2.99', '203.0.113.1', 8, 0, struct.pack('!HH', 0x99, k) + b'abcd' * 4))

    # A port scan of the server from the internet: every SYN is dropped.
    for k, port in enumerate((21, 23, 25, 110, 139, 445, 3306, 3389, 5900, 8080)):
        wan.send(T0 + 30.0 + k * 0.01, tcp('192.0.2.66', '198.51.100.10', 61000 + k, port, 4242, 0, S, win=1024))
    # An unsolicited ACK (no connection): invalid with loose pickup? picked up, then dropped by policy.
    wan.send(T0 + 31.0, tcp('192.0.2.66', '198.51.100.22', 61100, 3389, 1, 1, A, win=1024))

    # A DNS query to a dead server: the ICMP port unreachable is RELATED and let in.
    t = T0 + 40.0
    q = struct.pack('!HHHHHH', 0x4444, 0x0100, 1, 0, 0, 0) + b'\x04test\x00\x00\x01\x00\x01'
    query = udp('198.51.100.22', '192.0.2.54', 41000, 53, q)
    lan[22].send(t, query)
    quoted = bytearray(query)
    quoted[8] -= 1  # as it left the firewall: TTL - 1
    quoted[10:12] = b'\0\0'
    quoted[10:12] = struct.pack('!H', csum(bytes(quoted[:20])))
    wan.send(t + 0.02, icmp('192.0.2.54', '198.51.100.22', 3, 3, b'\0\0\0\0' + bytes(quoted), ttl=60))
    # An ICMP error about nothing we track: invalid, dropped.
    bogus = udp('198.51.100.99', '192.0.2.55', 1, 2, b'zz')
    wan.send(t + 1.0, icmp('192.0.2.55', '198.51.100.99', 3, 3, b'\0\0\0\0' + bogus[:28], ttl=60))

    # DNS over UDP that becomes a stream (replies more than 2 s apart): ASSURED.
    for k in range(4):
        t = T0 + 50.0 + k * 1.5
        lan[20].send(t, udp('198.51.100.20', '192.0.2.53', 42000, 53, b'q%d' % k))
        wan.send(t + 0.01, udp('192.0.2.53', '198.51.100.20', 53, 42000, b'a%d' % k))

    wan_cap.write(os.path.join(out, 'wan0.pcap'))
    lan_cap.write(os.path.join(out, 'lan0.pcap'))
    print('%s: wan0.pcap %d frames, lan0.pcap %d frames' % (out, len(wan_cap.frames), len(lan_cap.frames)))


main()
