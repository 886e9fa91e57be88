import socket, struct, time, threading
def tcp_session(port, payload=b"hello"):
    srv = socket.socket(); srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", port)); srv.listen(1)
    def serve():
        c, _ = srv.accept(); c.recv(100); c.send(b"ok"); time.sleep(0.2); c.close()
    t = threading.Thread(target=serve); t.start()
    s = socket.create_connection(("127.0.0.1", port)); s.send(payload); s.recv(10)
    time.sleep(0.3); s.close(); t.join(); srv.close()
def raw(proto, data, dst="127.0.0.1"):
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, proto); s.sendto(data, (dst, 0)); s.close()
def csum(b):
    if len(b) % 2: b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b)//2), b)); s = (s >> 16) + (s & 0xffff); s += s >> 16
    return (~s) & 0xffff
import sys
what = sys.argv[1:]
for w in what:
    if w == "tcp": tcp_session(8080)
    if w == "tcp21": tcp_session(21, b"USER x\r\n")
    if w == "icmp":
        h = struct.pack("!BBHHH", 8, 0, 0, 1234, 1) + b"abcd"
        h = h[:2] + struct.pack("!H", csum(h)) + h[4:]; raw(1, h)
    if w == "dccp": raw(33, struct.pack("!HH", 1000, 2000) + b"\0"*12)
    if w == "gre": raw(47, struct.pack("!HH", 0, 0x0800) + b"\0"*20)
    if w == "igmp": raw(2, b"\x16\0\0\0" + socket.inet_aton("224.0.0.22"))
    if w == "udp6":
        s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); s.sendto(b"x"*12, ("::1", 5353)); s.close()
    if w == "sleep": time.sleep(1.1)
