# SPDX-License-Identifier: MIT
"""CLI conformance: the same command lines on the real conntrack 1.4.7 (kernel
network namespace) and on ctrack (against ctrackd), comparing stdout, stderr
and the exit status.  Both tables are first given the same content with -I.
Entry order is the kernel's hash order, so stdout lines are compared sorted;
remaining timeouts may differ by TOLERANCE seconds; conntrack ids and netlink
portids are masked."""
import calendar
import re
import signal
import time

import pytest

TOLERANCE = 2

SETUP = [
    "-I -s 1.1.1.1 -d 2.2.2.2 -p tcp --sport 10 --dport 20 --state ESTABLISHED -u ASSURED,SEEN_REPLY -t 120 -m 42",
    "-I -s 1.1.1.1 -d 2.2.2.2 -p udp --sport 53000 --dport 53 -t 30",
    "-I -s 1.1.1.1 -d 2.2.2.2 -p icmp --icmp-type 8 --icmp-code 0 --icmp-id 1226 -t 30",
    "-I -s 10.0.0.1 -d 10.0.0.2 -p tcp --sport 1111 --dport 80 --state SYN_SENT -t 60",
    "-I -s 10.0.0.1 -d 10.0.0.3 -p tcp --sport 1112 --dport 443 --state TIME_WAIT -u SEEN_REPLY -t 100 -m 3",
    "-I -s 2001:db8::1 -d 2001:db8::2 -p udp --sport 5 --dport 6 -t 50 -m 7",
    "-I -s 1.1.1.3 -d 2.2.2.2 -p tcp --sport 11 --dport 20 --state ESTABLISHED -u SEEN_REPLY -t 119 -w 7",
    "-I -s 1.1.1.4 -d 2.2.2.2 -p udp --sport 11 --dport 20 -t 119 --orig-zone 3",
    "-I -s 1.1.1.5 -d 2.2.2.2 -p udp --sport 11 --dport 20 -t 119 --reply-zone 4",
    "-I -s 1.1.1.6 -d 2.2.2.2 -p sctp --sport 7 --dport 8 --state ESTABLISHED --orig-vtag 1 --reply-vtag 2 -t 90",
]

_TIMEOUT_RES = [
    re.compile(r"^(\s*\[\w+\]\s+)?((?:ipv4|ipv6)\s+\d+\s+)?(\S+\s+\d+\s+)(\d+)(?=\s)"),
    re.compile(r"(-t )(\d+)"),
    re.compile(r"(<timeout>)(\d+)(?=</timeout>)"),
]

def _ctime(s):
    return calendar.timegm(time.strptime(s, "%a %b %d %H:%M:%S %Y"))


# Values that depend on when things ran, compared within TOLERANCE seconds:
# the -o timestamp prefix of events, delta-time and its XML form, and the
# [start=]/[stop=] dates of -o ktimestamp (both sides print them in UTC).
_TIME_FIELDS = [
    (re.compile(r"^\[(\d+\.\d+)\]\t"), lambda v: int(float(v))),
    (re.compile(r" delta-time=(\d+)"), int),
    (re.compile(r"<deltatime>(\d+)</deltatime>"), int),
    (re.compile(r"\[(?:start|stop)=([^\]]+)\]"), _ctime),
]


def normalize(text, strip_progname=False):
    """Sorted lines with masked ids/portids and timeouts pulled out."""
    out = []
    for line in text.splitlines():
        if strip_progname:
            line = re.sub(r" progname=\S+$", "", line)
        # The conntrack id (-o id) ends the entry, before labels= or an event's
        # [USERSPACE] suffix; an ICMP id= is followed by more of the tuple.
        line = re.sub(r" id=\d+(?=$| labels=| \[USERSPACE\])", " id=ID", line)
        line = re.sub(r"<id>\d+</id>", "<id>ID</id>", line)
        line = re.sub(r"portid=\d+", "portid=P", line)
        times = []
        for rx, conv in _TIME_FIELDS:
            for m in reversed(list(rx.finditer(line))):
                times.append(conv(m.group(1)))
                line = line[: m.start(1)] + "W" + line[m.end(1):]
        for rx in _TIMEOUT_RES:
            m = rx.search(line)
            if m:
                times.append(int(m.group(m.lastindex)))
                line = line[: m.start(m.lastindex)] + "T" + line[m.end(m.lastindex):]
                break
        out.append((line, times))
    out.sort()
    return out


def assert_same(real, ours, strip_progname=False):
    rc_r, out_r, err_r = real
    rc_o, out_o, err_o = ours
    assert err_o == err_r, f"stderr differs\nreal: {err_r!r}\nours: {err_o!r}"
    assert rc_o == rc_r, f"exit status differs: real {rc_r} ours {rc_o}"
    nr, no = normalize(out_r, strip_progname), normalize(out_o, strip_progname)
    assert [l for l, _ in no] == [l for l, _ in nr], f"stdout differs\nreal:\n{out_r}\nours:\n{out_o}"
    for (l, tr), (_, to) in zip(nr, no):
        for a, b in zip(tr, to):
            assert abs(a - b) <= TOLERANCE, f"time {b} vs {a} in {l}"


def reset(pair, setup=SETUP):
    for side in (pair.real, pair.ours):
        side(["-F"])
        for cmd in setup:
            rc, _, err = side(cmd.split())
            assert rc == 0, f"setup {cmd}: {err}"


def both(pair, args, **kw):
    return pair.real(args, **kw), pair.ours(args, **kw)


LISTINGS = [
    "-L", "-L conntrack", "conntrack -L", "-L -o extended", "-L -o id", "-L -o save",
    "-L -o xml", "-L -o ext,id", "-L -o extended,id", "-L -o userspace", "-L -p tcp",
    "-L -p udp", "-L -p 17", "-L -p icmp", "-L -p sctp", "-L -p tcp --state ESTABLISHED",
    "-L -p tcp --state SYN_SENT", "-L -p tcp --sport 10", "-L -p tcp --dport 443",
    "-L -p tcp --reply-port-src 20", "-L -p udp --reply-port-dst 53000",
    "-L -p icmp --icmp-type 8", "-L -p icmp --icmp-id 1226", "-L -s 1.1.1.1",
    "-L -d 2.2.2.2", "-L -s 1.1.0.0/16", "-L -s 10.0.0.0/8 -d 10.0.0.3/32",
    "-L -d 10.0.0.0/30", "-L -r 2.2.2.2", "-L -q 1.1.1.1", "-L -r 10.0.0.2 -q 10.0.0.1",
    "-L -s 2001:db8::1", "-L -s 2001:db8::/32", "-L -f ipv6", "-L -f ipv4",
    "-L -u ASSURED", "-L -u SEEN_REPLY", "-L -u !ASSURED", "-L -u UNREPLIED",
    "-L -u SEEN_REPLY,!ASSURED", "-L -u UNSET", "-L -m 42", "-L -m 0", "-L -m 2/2",
    "-L -m 1/1", "-L -m 0x2a", "-L -w 7", "-L --orig-zone 3", "-L --reply-zone 4",
    "-L -w 11-s", "-L -n", "-L -g", "-L -j", "-L -n 1.1.1.1", "-L -j 2.2.2.2:20",
    "-L expect", "-L exp", "-L dying", "-L unconfirmed", "-L -o save -p udp",
    "-L -p igmp", "-L -p 200", "-L -s 1.1.1.1 -p tcp --sport 10 --dport 20",
    "-L -c 0", "-L -c 5", "-L -c foo", "-L -m 3x", "-L -m 2/foo",
    "-L -m 0/0", "-L -u SEEN_REPLY,ASSURED", "-L dying -u UNSET",
]


@pytest.mark.parametrize("cmd", LISTINGS)
def test_listing(pair, cmd):
    reset(pair)
    assert_same(*both(pair, cmd.split()))


ERRORS = [
    "-L -x", "-L --foo", "-X", "-L -p 256", "-L -p -10", "-L -p 2000", "-L -p 20foo",
    "-L -p foo20", "-L -s 1.1.1.1 -z", "-L -p tcp -z", "-L -o save,extended",
    "-L -o bogus", "-L -u BOGUS", "-L -u", "-L -e NEW", "-L -t 10", "-L -j -n",
    "-L -s 1.1.1.1 -d ::1", "-L -s 1.1.1.1/33", "-L -r 1.1.1.0/24", "-L -f ipv5",
    "-L foo", "-L -L", "-L -D", "-I -s 1.1.1.9 -d 2.2.2.2 -p udp --sport 1 --dport 2",
    "-I -s 1.1.1.9 -d 2.2.2.2 -p tcp --sport 1 --dport 2 -t 10",
    "-I -s 1.1.1.9 -p udp --sport 1 --dport 2 -t 10",
    "-I -s 1.1.1.9 -d 2.2.2.2 -p udp --sport 1 -t 10",
    "-I -s 1.1.1.9 -d 2.2.2.2 -t 10", "-I -s 1.1.1.9 -d ::1 -p udp --sport 1 --dport 2 -t 10",
    "-I -s 1.1.1.9 -d 2.2.2.2 -p icmp -t 10",
    "-I -s 1.1.1.9 -d 2.2.2.2 -p tcp --sport 1 --dport 2 --state BOGUS -t 10",
    "-I -s 1.1.1.9 -d 2.2.2.2 -p udp --sport 1 --dport 2 -t 10 -z",
    "-G -s 1.1.1.1 -p tcp --sport 10 --dport 20",
    "-G -s 9.9.9.9 -d 2.2.2.2 -p tcp --sport 10 --dport 20", "-D -s 9.9.9.9",
    "-D -p tcp --sport 999", "-L dying -s 1.1.1.1", "-D dying", "-U expect",
    "-E -z", "-F -s 1.1.1.1", "-C -p tcp", "-S -m 1", "-L -m foo", "-L -w",
    "-L -p tcp --icmp-type 8", "-L --sport 10", "-U -s 1.1.1.1 -u UNSET",
    "-U -p tcp --sport 10 -t 300", "-I -s 1.1.1.1 -d 2.2.2.2 -p tcp --sport 10 --dport 20 --state ESTABLISHED -t 5",
    "-A -s 1.1.1.1 -d 2.2.2.2 -p tcp --sport 10 --dport 20 --state ESTABLISHED -t 5 -m 9",
    "-A -s 1.1.1.2 -d 2.2.2.2 -p udp --sport 10 --dport 20 -t 100 -u EXPECTED",
    "-I -s 1.1.1.2 -d 2.2.2.2 -p udp --sport 10 --dport 20 -t 100 -u ASSURED -f ipv4",
    # expectations: a master without a helper cannot have one; none to get or delete
    "-I expect -s 1.1.1.1 -d 2.2.2.2 -p tcp --sport 10 --dport 20 --tuple-src 1.1.1.1 "
    "--tuple-dst 2.2.2.2 --mask-src 255.255.255.255 --mask-dst 255.255.255.255 "
    "--tuple-port-src 0 --tuple-port-dst 3000 --mask-port-src 0 --mask-port-dst 65535 -t 60",
    "-I expect -s 1.1.1.9 -d 2.2.2.2 -p tcp --sport 10 --dport 20 --tuple-src 1.1.1.1 "
    "--tuple-dst 2.2.2.2 --mask-src 255.255.255.255 --mask-dst 255.255.255.255 "
    "--tuple-port-src 0 --tuple-port-dst 3000 --mask-port-src 0 --mask-port-dst 65535 -t 60",
    "-G expect -s 1.1.1.1 -d 2.2.2.2 -p tcp --sport 10 --dport 20 --reply-port-src 20 "
    "--reply-port-dst 10",
    "-D expect -s 1.1.1.1 -d 2.2.2.2 -p tcp --sport 10 --dport 20 --reply-port-src 20 "
    "--reply-port-dst 10",
    "-L expect -f ipv6", "-L expect -o xml", "-C expect", "-F expect",
]


@pytest.mark.parametrize("cmd", ERRORS)
def test_errors_and_quirks(pair, cmd):
    reset(pair)
    assert_same(*both(pair, cmd.split()))


MUTATIONS = [
    ("-I -s 1.1.1.2 -d 2.2.2.2 -p udp --sport 10 --dport 20 -t 100 -u OFFLOAD", "-L"),
    ("-I -s 1.1.1.2 -d 2.2.2.2 -p udp --sport 10 --dport 20 -t 100 -u ASSURED -m 5", "-L -o save"),
    ("-I -r 2.2.2.2 -q 1.1.1.2 -p udp --reply-port-src 20 --reply-port-dst 10 -t 100", "-L"),
    ("-I -s 1.1.1.2 -d 2.2.2.2 -r 2.2.2.9 -q 1.1.1.2 -p tcp --sport 1 --dport 2 --reply-port-src 2 --reply-port-dst 1 --state LISTEN -t 100", "-L"),
    ("-I -s 1.1.1.2 -d 2.2.2.2 -p tcp --sport 1 --dport 2 --state ESTABLISHED -t 100 -w 9", "-L -w 9"),
    ("-I -s ::2 -d ::3 -p icmpv6 --icmpv6-type 128 --icmpv6-code 0 --icmpv6-id 5 -t 100", "-L -f ipv6"),
    ("-I -s 1.1.1.2 -d 2.2.2.2 -p gre --srckey 5 --dstkey 6 -t 100", "-L -p gre"),
    ("-I -s 1.1.1.2 -d 2.2.2.2 -p 200 -t 100", "-L -o save"),
    ("-A -s 1.1.1.2 -d 2.2.2.2 -p udp --sport 10 --dport 20 -t 100", "-L"),
    ("-I -s 1.1.1.7 -d 2.2.2.2 -p udp --sport 1 --dport 2 -t 50 -n 5.5.5.5", "-L -o save"),
    ("-I -s 1.1.1.7 -d 2.2.2.2 -p udp --sport 1 --dport 2 -t 50 -n 5.5.5.5", "-L -j 5.5.5.5"),
    ("-I -s 1.1.1.7 -d 2.2.2.2 -p tcp --sport 1 --dport 2 --state ESTABLISHED -t 50 "
     "-g 5.5.5.5:80 -n 6.6.6.6:99", "-L -o save"),
    ("-I -s 1.1.1.7 -d 2.2.2.2 -p tcp --sport 1 --dport 2 --state ESTABLISHED -t 50 "
     "-g 5.5.5.5:80 -n 6.6.6.6:99", "-L -g 5.5.5.5:80"),
    ("-I -s 1.1.1.7 -d 2.2.2.2 -p tcp --sport 1 --dport 2 --state ESTABLISHED -t 50 -g 5.5.5.5",
     "-L -n"),
    ("-I -s 1.1.1.7 -d 2.2.2.2 -p icmp --icmp-type 8 --icmp-code 0 --icmp-id 3 -t 50 "
     "-g 5.5.5.5:80", "-L -g"),
    ("-I -s ::7 -d ::8 -p udp --sport 1 --dport 2 -t 50 -n [::9]:77", "-L -o save -f ipv6"),
    ("-D -p udp", "-L"), ("-D -s 1.1.1.1", "-L"), ("-D -s 1.1.0.0/16 -p tcp", "-L"),
    ("-D -m 42", "-L"), ("-D -u !SEEN_REPLY -p udp", "-L"), ("-D -f ipv6", "-L"),
    ("-D -w 7", "-L"), ("-D -o save -p icmp", "-L"), ("-D -o xml -p icmp", "-L"),
    ("-U -s 1.1.1.1 -p tcp --sport 10 -m 1", "-L"),
    ("-U -s 1.1.1.1 -p tcp --sport 10 -m 42", "-L"),
    ("-U -s 10.0.0.1 -p tcp --dport 443 -u ASSURED -o save", "-L"),
    ("-U -s 1.1.1.6 -p sctp --state CLOSED", "-L -o save"),
    ("-U -s 1.1.1.6 -p sctp --state CLOSED --orig-vtag 5 --reply-vtag 6", "-L -o save"),
    ("-U -s 1.1.1.6 -p sctp --state CLOSED --orig-vtag 5", "-L -o save"),
    ("-U -s 1.1.1.6 -p sctp --orig-vtag 5", "-L -o save"),
    ("-U -s 1.1.1.6 -p sctp --orig-vtag 5 --reply-vtag 7 -m 4", "-L -o save"),
    ("-U -s 1.1.1.3 -m 1", "-L"), ("-U -s 1.1.1.5 -m 1", "-L"),
    ("-F", "-L"), ("-F expect", "-L"), ("-F conntrack", "-C"),
    ("-G -s 1.1.1.1 -d 2.2.2.2 -p tcp --sport 10 --dport 20", "-L"),
    ("-G -r 2.2.2.2 -q 1.1.1.1 -p udp --reply-port-src 53 --reply-port-dst 53000", "-L"),
    ("-G -s 1.1.1.1 -d 2.2.2.2 -p icmp --icmp-type 8 --icmp-code 0 --icmp-id 1226 -o save", "-L"),
    ("-C", "-C expect"), ("-L -z", "-L"), ("-V", "-h"), ("", "-L -p tcp -h"),
    ("-S expect", "-L"),
]


@pytest.mark.parametrize("cmd,after", MUTATIONS)
def test_mutation_then_listing(pair, cmd, after):
    reset(pair)
    assert_same(*both(pair, cmd.split()))
    assert_same(*both(pair, after.split()))


def test_stats_shape(pair):
    """-S: one line per CPU in the kernel; the counter names and format must match."""
    reset(pair)
    (rr, orr, er), (ro, oo, eo) = both(pair, ["-S"])
    assert rr == ro == 0 and er == eo == ""
    key = lambda l: re.sub(r"=\d+", "=N", re.sub(r"^cpu=\d+\s*", "cpu=C ", l))
    assert {key(l) for l in orr.splitlines()} == {key(l) for l in oo.splitlines()}


def test_load_file(pair, tmp_path):
    reset(pair, [])
    f = tmp_path / "ct.txt"
    f.write_text("# comment\n" + "\n".join(SETUP[:4]) + "\n-D -p udp\n-U -s 1.1.1.1 -p tcp -m 5\n")
    assert_same(*both(pair, ["-R", str(f)]))
    assert_same(*both(pair, ["-L"]))
    bad = tmp_path / "bad.txt"
    bad.write_text("-I -s 1.1.1.8 -d 2.2.2.2 -p udp --sport 1 --dport 2 -t 10\n-L\n")
    assert_same(*both(pair, ["-R", str(bad)]))
    assert_same(*both(pair, ["-R", "-"], stdin="-F\n"))


def test_expect_events_summary(pair):
    """-E expect with nothing happening: the expectation summary line."""
    reset(pair)
    procs = (pair.popen_real(["-E", "expect"]), pair.popen_ours(["-E", "expect"]))
    time.sleep(0.4)
    res = []
    for p in procs:
        p.send_signal(signal.SIGINT)
        out, err = p.communicate(timeout=5)
        res.append((p.returncode, out, err))
    assert_same(*res)


@pytest.mark.parametrize("opts", [[], ["-o", "xml"], ["-o", "save"], ["-e", "NEW"],
                                  ["-e", "DESTROY,UPDATES"], ["-p", "udp"], ["-o", "id,extended"]])
def test_events(pair, opts):
    reset(pair, [])
    procs = (pair.popen_real(["-E"] + opts), pair.popen_ours(["-E"] + opts))
    time.sleep(0.5)
    ops = [SETUP[0], SETUP[1], "-U -s 1.1.1.1 -p tcp -m 43", "-D -p udp", "-D -p tcp"]
    for side in (pair.real, pair.ours):
        for op in ops:
            side(op.split())
    time.sleep(0.5)
    res = []
    for p in procs:
        p.send_signal(signal.SIGINT)
        out, err = p.communicate(timeout=5)
        res.append((p.returncode, out, err))
    real, ours = res
    # The real conntrack looks the sender's program name up in /proc when it
    # reads the event, so " progname=conntrack" appears only if the client
    # that caused it is still running then: a race in the real tool.  ctrackd
    # records the name at connect time and always sends it.  Everything else
    # on the line, portid included (masked: its value is the sender's), must
    # match.
    assert_same(real, ours, strip_progname=True)


# -U on several entries.  conntrack 1.4.7 sends an UPDATE and then a GET per
# entry, each acknowledged, and reads one message after each: the GET's
# answer is two messages (the entry, then the ACK), so from the second entry
# on every read returns the answer to an earlier request.  Which entries get
# printed, how many count as updated and where an error is reported
# therefore depend on the order of the dump, which is the kernel's hash
# order (seeded at random, per namespace) on one side and ctrackd's on the
# other.  So each side is checked against this read-lag model applied to
# its own dump order, and the resulting tables must be identical.
#
# (command, entry selected and changed by it, entry the update cannot find:
#  libnetfilter_conntrack sends the original tuple without its zone)
def _zoned_orig(l):
    return " zone=" in l or " zone-orig=" in l


LAGGED_UPDATES = [
    ("-U -s 10.0.0.1 -u ASSURED", lambda l: "src=10.0.0.1 " in l and "[ASSURED]" not in l,
     _zoned_orig),
    ("-U -s 10.0.0.1 -t 5", lambda l: "src=10.0.0.1 " in l, _zoned_orig),
    ("-U -s 10.0.0.1 -p tcp --state ESTABLISHED",
     lambda l: "src=10.0.0.1 " in l and " ESTABLISHED " not in l, _zoned_orig),
    ("-U -f ipv4 -m 1/1", lambda l: ":" not in l.split(" src=")[1].split()[0] and
     int(re.search(r" mark=(\d+)", l).group(1)) & 1 == 0, _zoned_orig),
    ("-U -s 1.1.1.1 -m 0xf0/0xf0",
     lambda l: "src=1.1.1.1 " in l and int(re.search(r" mark=(\d+)", l).group(1)) & 0xf0 != 0xf0,
     _zoned_orig),
    ("-U -s 1.1.1.1 -o save -m 9",
     lambda l: "src=1.1.1.1 " in l and " mark=9 " not in l, _zoned_orig),
    ("-U -w 7 -m 1", None, None),  # -w is illegal with -U: a plain error on both sides
]


def entry_key(line):
    """The original tuple of a default-format or save-format line."""
    if line.startswith("-"):
        src = re.search(r" -s (\S+)", line).group(1)
        dst = re.search(r" -d (\S+)", line).group(1)
        proto = re.search(r" -p (\S+)", line).group(1)
        m = re.search(r" --sport (\d+)| --icmp-id (\d+)", line)
    else:
        src = re.search(r" src=(\S+)", line).group(1)
        dst = re.search(r" dst=(\S+)", line).group(1)
        proto = line.split()[0]
        m = re.search(r" sport=(\d+)| id=(\d+)", line)
    return (src, dst, proto, m and (m.group(1) or m.group(2)))


def read_lag(outcomes):
    """What conntrack 1.4.7 prints for -U: outcomes are (key, found) in dump order."""
    queue, printed, errors, count = [], [], 0, 0
    for key, found in outcomes:
        queue.append("ack" if found else "err")          # the UPDATE's answer
        if queue.pop(0) == "err":
            errors += 1                                   # "Operation failed: ..."
        queue += [("entry", key), "ack"] if found else ["err"]  # the GET's answer(s)
        got = queue.pop(0)
        if got == "err":
            continue                                      # ENOENT: "vanished"
        if isinstance(got, tuple):
            printed.append(got[1])
        count += 1
    return printed, errors, count


@pytest.mark.parametrize("cmd,changes,fails", LAGGED_UPDATES)
def test_update_read_lag(pair, cmd, changes, fails):
    reset(pair)
    args = cmd.split()
    if changes is None:
        assert_same(*both(pair, args))
        return
    listing = ["-L", "-o", "save"] if "save" in args else ["-L"]
    for side in (pair.real, pair.ours):
        _, before, _ = side(["-L"])  # dump order; default format carries mark and zones
        outcomes = [(entry_key(l), not fails(l)) for l in before.splitlines() if changes(l)]
        assert len(outcomes) >= 2, f"test needs several entries: {before}"
        printed, errors, count = read_lag(outcomes)
        rc, out, err = side(args)
        want_err = ("Operation failed: No such file or directory\n" * errors +
                    f"conntrack v1.4.7 (conntrack-tools): {count} flow entries have been updated.\n")
        who = "real" if side == pair.real else "ours"
        assert err == want_err, f"{who}: stderr {err!r}, model {want_err!r}\nbefore:\n{before}"
        assert rc == (0 if count else 1)
        lines = out.splitlines()
        assert [entry_key(l) for l in lines] == printed, f"{who}: printed\n{out}\nbefore:\n{before}"
        # A printed entry is the GET of it right after its update: its final state.
        _, after, _ = side(listing)
        final = {entry_key(l): l for l in after.splitlines()}
        for l in lines:
            (a, ta), = normalize(l.replace(" use=2", " use=1"))
            (b, tb), = normalize(final[entry_key(l)])
            assert a == b and all(abs(x - y) <= TOLERANCE for x, y in zip(ta, tb)), (l, final)
    assert_same(*both(pair, ["-L"]))


# Accounting and timestamps on, on both sides: counters, delta-time, dates.
TS_LISTINGS = [
    "-L", "-L -o ktimestamp", "-L -o extended,id,ktimestamp", "-L -o xml", "-L -o save",
    "-L -z", "-L -o id -p tcp", "-G -s 1.1.1.1 -d 2.2.2.2 -p tcp --sport 10 --dport 20",
    "-D -p udp -o ktimestamp",
]


@pytest.mark.parametrize("cmd", TS_LISTINGS)
def test_listing_acct_timestamp(pair_ts, cmd):
    reset(pair_ts)
    time.sleep(1.1)  # delta-time counts whole seconds since creation
    assert_same(*both(pair_ts, cmd.split()))


@pytest.mark.parametrize("opts", [[], ["-o", "timestamp"], ["-o", "ktimestamp"],
                                  ["-o", "timestamp,extended,id"], ["-o", "save"]])
def test_events_acct_timestamp(pair_ts, opts):
    """DESTROY events carry counters, delta-time and, with ktimestamp, the
    start and stop dates; -o timestamp prefixes each event with its time."""
    reset(pair_ts, [])
    procs = (pair_ts.popen_real(["-E"] + opts), pair_ts.popen_ours(["-E"] + opts))
    time.sleep(0.5)
    ops = [SETUP[0], SETUP[1], "-U -s 1.1.1.1 -p tcp -m 43", "-D -p udp", "-D -p tcp"]
    for side in (pair_ts.real, pair_ts.ours):
        for op in ops:
            side(op.split())
    time.sleep(0.5)
    res = []
    for p in procs:
        p.send_signal(signal.SIGINT)
        out, err = p.communicate(timeout=5)
        res.append((p.returncode, out, err))
    assert_same(*res, strip_progname=True)  # progname: see test_events
