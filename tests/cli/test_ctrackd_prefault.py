# SPDX-License-Identifier: MIT
"""ctrackd --prefault / 'prefault yes': the table's memory is resident from
the start (no page faults on the datapath later), the table works as usual,
and a bad value in the config file is refused with its location."""
import os
import signal
import subprocess
import tempfile
import time

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.environ.get("CTRACK_BUILD", os.path.join(ROOT, "build"))
MAX = 500000


def _need_build():
    for b in ("ctrack", "ctrackd"):
        if not os.access(os.path.join(BUILD, b), os.X_OK):
            pytest.skip(f"build/{b} is missing: run make")


def _rss(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


def _start(tmp, args):
    sock = os.path.join(tmp, "d.sock")
    log = open(os.path.join(tmp, "d.log"), "w")
    d = subprocess.Popen([os.path.join(BUILD, "ctrackd"), "-s", sock] + args, stderr=log)
    for _ in range(250):
        if os.path.exists(sock):
            return d, sock
        if d.poll() is not None:
            break
        time.sleep(0.02)
    d.kill()
    raise AssertionError(open(os.path.join(tmp, "d.log")).read())


def _stop(d):
    d.send_signal(signal.SIGTERM)
    assert d.wait(timeout=10) == 0


def _ctrack(sock, args):
    env = dict(os.environ, CTRACK_SOCKET=sock, LC_ALL="C")
    return subprocess.run([os.path.join(BUILD, "ctrack")] + args, capture_output=True,
                          text=True, env=env, timeout=10)


@pytest.mark.parametrize("how", ["option", "config"])
def test_prefault_resident_from_start(how):
    _need_build()
    with tempfile.TemporaryDirectory() as tmp:
        if how == "option":
            args = ["--prefault", "-m", str(MAX)]
        else:
            conf = os.path.join(tmp, "c.conf")
            with open(conf, "w") as f:
                f.write(f"# a table service\nmax {MAX}\nprefault yes\n")
            args = ["-c", conf]
        d, sock = _start(tmp, args)
        try:
            # Entries of 96 bytes (IPv4) and 120 (IPv6), both pools, and the index.
            assert _rss(d.pid) >= MAX * (96 + 120)
            r = _ctrack(sock, ["-I", "-p", "tcp", "-s", "10.0.0.1", "-d", "10.0.0.2",
                               "--sport", "1000", "--dport", "80", "--state", "ESTABLISHED",
                               "-t", "100", "-u", "ASSURED"])
            assert r.returncode == 0, r.stderr
            r = _ctrack(sock, ["-L"])
            assert r.returncode == 0
            assert "src=10.0.0.1 dst=10.0.0.2 sport=1000 dport=80" in r.stdout
            assert "1 flow entries have been shown" in r.stderr
        finally:
            _stop(d)


def test_without_prefault_pages_on_demand():
    _need_build()
    with tempfile.TemporaryDirectory() as tmp:
        d, _ = _start(tmp, ["-m", str(MAX)])
        try:
            assert _rss(d.pid) < MAX * 96 // 2
        finally:
            _stop(d)


def test_prefault_bad_value():
    _need_build()
    with tempfile.TemporaryDirectory() as tmp:
        conf = os.path.join(tmp, "c.conf")
        with open(conf, "w") as f:
            f.write("max 1000\nprefault maybe\n")
        p = subprocess.run([os.path.join(BUILD, "ctrackd"), "-s", os.path.join(tmp, "s"),
                            "-c", conf], capture_output=True, text=True, timeout=10)
        assert p.returncode == 2
        assert "expected 'yes' or 'no', got 'maybe'" in p.stderr
        assert f"{conf}:2:" in p.stderr
