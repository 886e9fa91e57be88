#!/usr/bin/env python3
"""Concatenation conformance for `make test` (tests/run.sh nft).

Runs ../shared/nft-tests/t_runner.py over every .t file against
build/ctrack-nft, on the tier-B lines whose only feature beyond tier A is
`concat` (subset.py's classify), plus the tier-A lines (sets and elements
they build on).  Only the concat lines are counted.  Prints
"nft-concat: P passed, K known, F failed" and exits non-zero if a concat
line outside KNOWN fails, or one in KNOWN passes (the list must then shrink).

Known: lines ctrack-nft does not pass, with the reason.
"""
import json
import os
import subprocess
import sys
import tempfile

KNOWN = {
}

RUNNER = r'''
import sys, json
sys.path.insert(0, sys.argv[1])
import subset, t_runner
orig = subset.classify

def classify(kind, text):
    tier, feats = orig(kind, text)
    nona = [f for f in feats if not f.startswith('A:')]
    if nona == ['B:concat']:
        return 'Q', feats          # Q: concat is the only feature beyond tier A
    return tier, feats

subset.classify = classify
t_runner.subset_mod.classify = classify
sys.argv = ['t_runner.py'] + sys.argv[2:]
t_runner.main()
'''


def main():
    build = sys.argv[1] if len(sys.argv) > 1 else "build"
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    tdir = os.path.join(os.path.dirname(root), "shared", "nft-tests")
    if not os.path.isdir(tdir):
        print("SKIP nft-concat: %s not found" % tdir)
        return 0
    files = sorted(
        os.path.join(d, f)
        for d, _, fs in os.walk(os.path.join(tdir, "tests-py"))
        for f in fs if f.endswith(".t"))
    prog = os.path.join(root, build, "ctrack-nft") if not os.path.isabs(build) else \
        os.path.join(build, "ctrack-nft")
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "r.json")
        drv = os.path.join(tmp, "drv.py")
        with open(drv, "w") as f:
            f.write(RUNNER)
        subprocess.run([sys.executable, drv, tdir, "--prog", prog, "--tiers", "AQ",
                        "--json", out] + files,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        if not os.path.exists(out):
            print("FAIL nft-concat: the runner wrote no results")
            print("nft-concat: 0 passed, 0 known, 1 failed")
            return 1
        res = json.load(open(out))
    passed = known = failed = 0
    for r in res:
        if r["tier"][0] != "Q":
            continue
        rel = os.path.relpath(r["file"], os.path.join(tdir, "tests-py"))
        key = (rel, r["line"])
        ok = r["status"] == "pass"
        if key in KNOWN:
            if ok:
                print("FAIL nft-concat: %s:%d passes now; remove it from KNOWN" % key)
                failed += 1
            else:
                known += 1
            continue
        if ok:
            passed += 1
        else:
            failed += 1
            print("FAIL nft-concat: %s:%d [%s %s] %s (%s) %s" % (rel, r["line"], r["family"],
                  r["chain"], r["text"], r["status"], r["detail"][:200]))
    print("nft-concat: %d passed, %d known, %d failed (of %d concat runs)"
          % (passed, known, failed, passed + known + failed))
    return 1 if failed else 0


sys.exit(main())
