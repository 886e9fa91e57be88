# SPDX-License-Identifier: MIT
"""GRE (spec §6.2) and SCTP (§6.6) scenarios."""

import struct

from kdiff import C4, S4, C6, S6, ip

# -- SCTP -------------------------------------------------------------------

_CRC32C = []
for _i in range(256):
    _c = _i
    for _ in range(8):
        _c = (_c >> 1) ^ 0x82F63B78 if _c & 1 else _c >> 1
    _CRC32C.append(_c)


def crc32c(data):
    c = 0xFFFFFFFF
    for b in data:
        c = _CRC32C[(c ^ b) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF


def chunk(typ, flags, value=b""):
    c = struct.pack("!BBH", typ, flags, 4 + len(value)) + value
    return c + b"\0" * (-len(c) % 4)


def sctp(sport, dport, vtag, chunks, bad_crc=False):
    pkt = bytearray(struct.pack("!HHII", sport, dport, vtag, 0) + b"".join(chunks))
    crc = crc32c(bytes(pkt)) ^ (0x1 if bad_crc else 0)
    struct.pack_into("<I", pkt, 8, crc)     # stored little-endian (RFC 4960 B)
    return bytes(pkt)


def init(tag, tsn, ack=False, cookie=b""):
    v = struct.pack("!IIHHI", tag, 65535, 10, 10, tsn)
    if ack:
        v += struct.pack("!HH", 7, 4 + len(cookie)) + cookie
    return chunk(2 if ack else 1, 0, v)


def test_crc32c_vector():
    assert crc32c(b"123456789") == 0xE3069283


class Sctp:
    def __init__(self, sc, ca, sa, cp, sp, ctag=0x11111111, stag=0x22222222):
        self.sc, self.ca, self.sa, self.cp, self.sp = sc, ca, sa, cp, sp
        self.ctag, self.stag = ctag, stag

    def c(self, chunks, vtag=None, bad=False):
        v = self.stag if vtag is None else vtag
        self.sc.c(ip(self.ca, self.sa, 132, sctp(self.cp, self.sp, v, chunks, bad)))

    def s(self, chunks, vtag=None, bad=False):
        v = self.ctag if vtag is None else vtag
        self.sc.s(ip(self.sa, self.ca, 132, sctp(self.sp, self.cp, v, chunks, bad)))

    def setup(self):
        self.c([init(self.ctag, 100)], vtag=0)
        self.s([init(self.stag, 500, ack=True, cookie=b"C" * 16)])
        self.c([chunk(10, 0, b"C" * 16)])
        self.s([chunk(11, 0)])


def data_chunk(tsn, payload=b"hello"):
    return chunk(0, 3, struct.pack("!IHHI", tsn, 0, 0, 0) + payload)


def test_sctp_lifecycle(kd):
    """§6.6 path: INIT -> CLOSED, INIT_ACK -> COOKIE_WAIT, COOKIE_ECHO ->
    COOKIE_ECHOED, COOKIE_ACK -> ESTABLISHED+ASSURED; DATA/SACK/HEARTBEAT;
    SHUTDOWN, SHUTDOWN_ACK, SHUTDOWN_COMPLETE.  One association stopped at
    each stage."""
    sc = kd.scenario()
    a = Sctp(sc, C4, S4, 5000, 6000)
    a.c([init(a.ctag, 100)], vtag=0)
    b = Sctp(sc, C4, S4, 5001, 6000)
    b.c([init(b.ctag, 100)], vtag=0)
    b.s([init(b.stag, 500, ack=True, cookie=b"C" * 16)])
    c = Sctp(sc, C4, S4, 5002, 6000)
    c.setup()
    c.c([data_chunk(100)])
    c.s([chunk(3, 0, struct.pack("!IIHH", 100, 65535, 0, 0))])
    c.c([chunk(4, 0, struct.pack("!HH", 1, 8) + b"hbhb")])
    c.s([chunk(5, 0, struct.pack("!HH", 1, 8) + b"hbhb")])
    d = Sctp(sc, C4, S4, 5003, 6000)
    d.setup()
    d.c([chunk(7, 0, struct.pack("!I", 99))])
    d.s([chunk(8, 0)])
    d.c([chunk(14, 0)])
    e = Sctp(sc, C6, S6, 5004, 6000)
    e.setup()
    e.c([data_chunk(100)])
    sc.finish()
    assert sc.kernel_has("sctp", "ESTABLISHED", "sport=5002", "[ASSURED]"), sc.kernel_table
    kd.check(sc)


def test_sctp_bad_crc_and_vtag(kd):
    """§6.6: a wrong verification tag or a bad CRC32c is INVALID."""
    sc = kd.scenario()
    a = Sctp(sc, C4, S4, 5100, 6000)
    a.c([init(a.ctag, 100)], vtag=0, bad=True)
    b = Sctp(sc, C4, S4, 5101, 6000)
    b.setup()
    b.c([data_chunk(100)], vtag=0xDEADBEEF)
    b.s([chunk(3, 0, struct.pack("!IIHH", 100, 65535, 0, 0))], bad=True)
    b.c([data_chunk(101)])
    sc.finish()
    kd.check(sc)


# -- GRE ----------------------------------------------------------------------

def gre0(inner=b"\x45" + b"\0" * 19):
    return struct.pack("!HH", 0, 0x0800) + inner


def gre1(call_id, payload=b"ppp"):
    # Enhanced GRE (PPTP): K bit, version 1, protocol 0x880B, payload length, call ID.
    return struct.pack("!HHHH", 0x2001, 0x880B, len(payload), call_id) + payload


def test_gre(kd):
    """§6.2: version 0 keys are 0; version 1 PPTP: dstkey = call ID; 30 s
    until a reply, then 180 s and ASSURED (the first reply still 30 s)."""
    sc = kd.scenario()
    sc.c(ip(C4, S4, 47, gre0()))
    sc.c(ip(C4, "10.22.0.5", 47, gre1(0x1234)))
    sc.s(ip("10.22.0.5", C4, 47, gre1(0x4321)))
    sc.c(ip("10.11.0.7", S4, 47, gre0()))
    sc.s(ip(S4, "10.11.0.7", 47, gre0()))
    sc.c(ip("10.11.0.7", S4, 47, gre0()))
    sc.c(ip(C6, S6, 47, gre0()))
    sc.finish()
    assert sc.kernel_has("gre", "dstkey=0x1234"), sc.kernel_table
    kd.check(sc)
