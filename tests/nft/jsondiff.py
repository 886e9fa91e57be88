#!/usr/bin/env python3
"""JSON listing differential against the real nft (needs root, ip netns, nft).

Every tier-A rule of the nftables 1.0.6 tests/py files (../shared/nft-tests)
that nft accepts, and every tier-B one whose only feature beyond tier A is a
concatenation, is loaded, one .t file and table at a time, into a fresh
throw-away namespace and into ctrack-nft; `nft -j list ruleset` (also with
-s and -n) must print the same bytes on both sides.  Rules ctrack-nft
refuses are reported apart (they are the conformance suite's business).

usage: tests/nft/jsondiff.py [BUILD] [-v]
"""
import json, os, subprocess, sys, tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TDIR = os.path.join(os.path.dirname(ROOT), 'shared', 'nft-tests')
sys.path.insert(0, TDIR)


def run(cmd, script=None):
    p = subprocess.run(cmd, input=script, capture_output=True, text=True)
    return p.returncode, p.stdout, p.stderr


def main():
    args = [a for a in sys.argv[1:] if not a.startswith('-')]
    verbose = '-v' in sys.argv
    build = args[0] if args else 'build'
    tool = os.path.abspath(os.path.join(ROOT, build, 'ctrack-nft') if not os.path.isabs(build)
                           else os.path.join(build, 'ctrack-nft'))
    if os.geteuid() != 0:
        print('jsondiff: needs root, skipped')
        return 0
    if not os.path.isdir(TDIR):
        print('jsondiff: %s not found, skipped' % TDIR)
        return 0
    import t_runner
    import subset

    def wanted(kind, text):
        tier, feats = subset.classify(kind, text)
        return tier == 'A' or [f for f in feats if not f.startswith('A:')] == ['B:concat']
    files = sorted(os.path.join(d, f) for d, _, fs in os.walk(os.path.join(TDIR, 'tests-py'))
                   for f in fs if f.endswith('.t'))
    ns = 'ctrack-jsondiff-%d' % os.getpid()
    ex = ['ip', 'netns', 'exec', ns, 'nft']
    same = differ = refused = rules = 0
    for path in files:
        t = t_runner.TFile(path)
        tables, sets, objs, lines = [], [], [], []
        for lineno, kind, payload in t.items:
            if kind == 'table':
                tables.append(payload)
            elif kind in ('set', 'elem', 'obj') and payload[1] == 'ok' and \
                    wanted(kind, payload[0]):
                sets.append((kind, payload[0]))
            elif kind == 'rule':
                rule, state, canon, needfix = payload
                if state == 'ok' and not needfix and wanted('rule', rule):
                    lines.append(rule)
        for fam, tname, chains in tables:
            if fam not in ('ip', 'ip6', 'inet'):
                continue
            pre = ['add table %s %s' % (fam, tname)]
            for c in chains:
                cfg = t.chains.get(c, '')
                pre.append('add chain %s %s %s%s' % (fam, tname, c,
                                                     ' { %s; }' % cfg if cfg else ''))
            for kind, text in sets:
                if kind == 'set':
                    sname, decl = t_runner.parse_set_line(text)
                    pre.append('add set %s %s %s { %s}' % (fam, tname, sname, decl))
                elif kind == 'elem':
                    sp = text.find(' ')
                    pre.append('add element %s %s %s { %s }' % (
                        fam, tname, text[:sp], ', '.join(text[sp:].split(','))))
                else:
                    oname, otype, spec = t_runner.parse_obj_line(text)
                    pre.append('add %s %s %s %s %s' % (otype, fam, tname, oname, spec))
            # keep the prelude lines nft accepts, then the rules both accept
            subprocess.run(['ip', 'netns', 'add', ns], check=True)
            try:
                ok_pre = []
                for cmd in pre:
                    if run(ex + ['-c', '-f', '-'], '\n'.join(ok_pre + [cmd]) + '\n')[0] == 0:
                        ok_pre.append(cmd)
                body = []
                for rule in lines:
                    cmd = 'add rule %s %s %s %s' % (fam, tname, chains[0], rule)
                    script = '\n'.join(ok_pre + [cmd]) + '\n'
                    if run(ex + ['-c', '-f', '-'], script)[0] != 0:
                        continue
                    if run([tool, '--offline', '-c', '-f', '-'], script)[0] != 0:
                        refused += 1
                        if verbose:
                            print('refused [%s] %s' % (fam, rule))
                        continue
                    body.append(cmd)
                rules += len(body)
                script = '\n'.join(ok_pre + body) + '\n'
                with tempfile.NamedTemporaryFile('w', suffix='.nft', delete=False) as f:
                    f.write(script)
                # a fresh namespace: nft -c above took handles, an empty ruleset has none
                subprocess.run(['ip', 'netns', 'del', ns], check=True)
                subprocess.run(['ip', 'netns', 'add', ns], check=True)
                if run(ex + ['-f', f.name])[0] != 0:
                    print('jsondiff: nft refuses the combined %s [%s]' % (path, fam))
                    differ += 1
                    continue
                for flags in (['-j'], ['-j', '-s'], ['-j', '-n']):
                    r = run(ex + flags + ['list', 'ruleset'])
                    o = run([tool, '--offline', '-f', f.name] + flags + ['list', 'ruleset'])
                    if r == o:
                        same += 1
                        continue
                    differ += 1
                    rel = os.path.relpath(path, TDIR)
                    print('DIFF %s [%s] %s' % (rel, fam, ' '.join(flags)))
                    try:
                        a = json.loads(r[1])['nftables']
                        b = json.loads(o[1])['nftables']
                        for x, y in zip(a, b):
                            if x != y:
                                print('   nft:    %s' % json.dumps(x))
                                print('   ctrack: %s' % json.dumps(y))
                        if len(a) != len(b):
                            print('   %d objects against %d' % (len(a), len(b)))
                    except (ValueError, KeyError):
                        print('   nft:    %r' % (r,))
                        print('   ctrack: %r' % (o,))
                os.unlink(f.name)
            finally:
                subprocess.run(['ip', 'netns', 'del', ns])
    print('jsondiff: %d rules, %d listings identical, %d differ (%d rules ctrack-nft refuses)'
          % (rules, same, differ, refused))
    return 1 if differ else 0


if __name__ == '__main__':
    sys.exit(main())
