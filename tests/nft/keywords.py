#!/usr/bin/env python3
"""Names nft 1.0.6 accepts, position by position.

nft's scanner turns many words into keyword tokens, and its grammar then
refuses them where a name (a `string` token) is expected: `map fwd { ... }`
is "syntax error, unexpected fwd, expecting string".  Which words are
keywords depends on the position: the scanner has start conditions (after
`tcp` the word `sport` is a keyword, elsewhere a plain string), and the
grammar's expected-token list differs from one position to the next.

Every word of keywords.words is put into every position of POSITIONS below,
and the outcome is recorded in keywords.tsv:

    POSITION <TAB> WORD <TAB> RESULT

RESULT is "ok" when the file is accepted, else the first line of the first
error with the file name dropped ("2:8-10: Error: syntax error, ...").
Only the first error is compared: nft goes on after a syntax error and may
report more, ctrack-nft stops at the first.

    keywords.py record [--missing] [NFT]
                                (root) re-record keywords.tsv with the real
                                nft inside a throw-away network namespace;
                                --missing: only cases not in the table yet
    keywords.py check [BUILD]   run BUILD/ctrack-nft -c over every case and
                                report each difference from keywords.tsv;
                                prints "nft keywords: P/N passed"
"""
import os
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor

HERE = os.path.dirname(os.path.abspath(__file__))
WORDS = os.path.join(HERE, "keywords.words")
TABLE = os.path.join(HERE, "keywords.tsv")
FILE = "kw.nft"
# how many differences check prints
SHOW = int(os.environ.get("KEYWORDS_SHOW", "40"))

# (position, script): "W" in braces is the word.  One-line constructs where
# possible, so that the first error is the one about the word.
POSITIONS = [
    # table names, block and command forms, with and without a family
    ("table-ip", "table ip {W} {{ }}\n"),
    ("table-ip6", "table ip6 {W} {{ }}\n"),
    ("table-inet", "table inet {W} {{ }}\n"),
    ("table", "table {W} {{ }}\n"),
    ("table-ip-quoted", "table ip \"{W}\" {{ }}\n"),
    ("add-table-ip", "add table ip {W}\n"),
    ("add-table", "add table {W}\n"),
    ("add-table-inet-quoted", "add table inet \"{W}\"\n"),
    ("delete-table-ip", "delete table ip {W}\n"),
    ("delete-table", "delete table {W}\n"),
    ("create-table-ip", "create table ip {W}\n"),
    ("flush-table-inet", "flush table inet {W}\n"),
    # chain names
    ("chain", "table ip t {{\n\tchain {W} {{ }}\n}}\n"),
    ("chain-inet", "table inet t {{\n\tchain {W} {{ }}\n}}\n"),
    ("chain-quoted", "table ip t {{\n\tchain \"{W}\" {{ }}\n}}\n"),
    ("add-chain", "add table ip t\nadd chain ip t {W}\n"),
    ("add-chain-table", "add chain ip {W} c\n"),
    ("add-chain-base", "add table ip t\n"
     "add chain ip t {W} {{ type filter hook input priority 0; }}\n"),
    ("add-rule-chain", "add table ip t\nadd rule ip t {W} accept\n"),
    ("delete-chain", "add table ip t\ndelete chain ip t {W}\n"),
    ("delete-chain-table", "delete chain ip {W} c\n"),
    ("flush-chain", "add table ip t\nflush chain ip t {W}\n"),
    ("delete-rule-chain", "add table ip t\ndelete rule ip t {W} handle 1\n"),
    # set and map names
    ("set", "table ip t {{\n\tset {W} {{ type ipv4_addr; }}\n}}\n"),
    ("set-quoted", "table ip t {{\n\tset \"{W}\" {{ type ipv4_addr; }}\n}}\n"),
    ("map", "table ip t {{\n\tmap {W} {{ type ipv4_addr : verdict; }}\n}}\n"),
    ("map-quoted", "table ip t {{\n\tmap \"{W}\" {{ type ipv4_addr : verdict; }}\n}}\n"),
    ("add-set", "add table ip t\nadd set ip t {W} {{ type ipv4_addr; }}\n"),
    ("add-map", "add table ip t\nadd map ip t {W} {{ type ipv4_addr : verdict; }}\n"),
    ("add-element", "add table ip t\nadd element ip t {W} {{ 1.2.3.4 }}\n"),
    ("flush-set", "add table ip t\nflush set ip t {W}\n"),
    ("flush-map", "add table ip t\nflush map ip t {W}\n"),
    ("delete-set", "add table ip t\ndelete set ip t {W}\n"),
    ("delete-map", "add table ip t\ndelete map ip t {W}\n"),
    ("delete-element", "add table ip t\ndelete element ip t {W} {{ 1.2.3.4 }}\n"),
    # ct helper objects
    ("ct-helper", "table ip t {{\n\tct helper {W} {{ type \"ftp\" protocol tcp; }}\n}}\n"),
    ("ct-helper-quoted",
     "table ip t {{\n\tct helper \"{W}\" {{ type \"ftp\" protocol tcp; }}\n}}\n"),
    ("add-ct-helper", "add table ip t\n"
     "add ct helper ip t {W} {{ type \"ftp\" protocol tcp; }}\n"),
    ("add-ct-helper-table", "add ct helper ip {W} h {{ type \"ftp\" protocol tcp; }}\n"),
    ("delete-ct-helper", "add table ip t\ndelete ct helper ip t {W}\n"),
    # set references in rules
    ("setref-ip", "table ip t {{\n\tchain c {{ ip saddr @{W}; }}\n}}\n"),
    ("setref-tcp", "table ip t {{\n\tchain c {{ tcp dport @{W}; }}\n}}\n"),
    ("setref-meta", "table ip t {{\n\tchain c {{ meta mark @{W}; }}\n}}\n"),
    ("setref-ct", "table ip t {{\n\tchain c {{ ct mark @{W}; }}\n}}\n"),
    ("setref-vmap", "table ip t {{\n\tchain c {{ ip saddr vmap @{W}; }}\n}}\n"),
    ("setref-defined", "table ip t {{\n\tset s {{ type ipv4_addr; }}\n"
     "\tchain c {{ ip saddr @{W}; }}\n}}\n"),
    # jump and goto targets
    ("jump", "table ip t {{\n\tchain c {{ jump {W}; }}\n}}\n"),
    ("goto", "table ip t {{\n\tchain c {{ goto {W}; }}\n}}\n"),
    ("jump-quoted", "table ip t {{\n\tchain c {{ jump \"{W}\"; }}\n}}\n"),
    ("jump-after-ip", "table ip t {{\n\tchain c {{ ip saddr 1.2.3.4 jump {W}; }}\n}}\n"),
    ("jump-after-tcp", "table ip t {{\n\tchain c {{ tcp dport 22 jump {W}; }}\n}}\n"),
    ("goto-after-ct", "table ip t {{\n\tchain c {{ ct state new goto {W}; }}\n}}\n"),
    ("jump-after-meta", "table ip t {{\n\tchain c {{ meta mark 1 jump {W}; }}\n}}\n"),
    ("jump-vmap", "table ip t {{\n\tchain c {{ ip saddr vmap {{ 1.2.3.4 : jump {W} }}; }}\n}}\n"),
    ("jump-map-elem", "table ip t {{\n\tmap m {{ type ipv4_addr : verdict; "
     "elements = {{ 1.2.3.4 : jump {W} }}; }}\n}}\n"),
    ("jump-add-element", "add table ip t\nadd map ip t m {{ type ipv4_addr : verdict; }}\n"
     "add element ip t m {{ 1.2.3.4 : goto {W} }}\n"),
    ("jump-defined", "table ip t {{\n\tchain c {{ jump {W}; }}\n\tchain {W} {{ }}\n}}\n"),
    ("add-rule-jump", "add table ip t\nadd chain ip t c\nadd rule ip t c jump {W}\n"),
    # a missing object beside one of a similar name ("abc"): nft suggests it
    ("setref-near", "table ip t {{\n\tset abc {{ type ipv4_addr; }}\n"
     "\tchain c {{ ip saddr @{W}; }}\n}}\n"),
    ("add-element-near", "add table ip t\nadd set ip t abc {{ type ipv4_addr; }}\n"
     "add element ip t {W} {{ 1.2.3.4 }}\n"),
    ("flush-set-near", "add table ip t\nadd set ip t abc {{ type ipv4_addr; }}\n"
     "flush set ip t {W}\n"),
    ("add-chain-table-near", "add table ip abc\nadd chain ip {W} c\n"),
    ("add-rule-chain-near", "add table ip t\nadd chain ip t abc\nadd rule ip t {W} accept\n"),
    ("delete-chain-near", "add table ip t\nadd chain ip t abc\ndelete chain ip t {W}\n"),
    ("jump-near", "table ip t {{\n\tchain abc {{ }}\n\tchain c {{ jump {W}; }}\n}}\n"),
    ("delete-table-near", "add table ip abc\ndelete table ip {W}\n"),
    ("flush-table-near", "add table ip abc\nflush table ip {W}\n"),
    ("flush-chain-near", "add table ip t\nadd chain ip t abc\nflush chain ip t {W}\n"),
    ("delete-set-near", "add table ip t\nadd set ip t abc {{ type ipv4_addr; }}\n"
     "delete set ip t {W}\n"),
    ("delete-element-near", "add table ip t\nadd set ip t abc {{ type ipv4_addr; }}\n"
     "delete element ip t {W} {{ 1.2.3.4 }}\n"),
    # the table of a command missing, beside a table "abc"
    ("add-rule-table-near", "add table ip abc\nadd rule ip {W} c accept\n"),
    ("add-set-table-near", "add table ip abc\nadd set ip {W} s {{ type ipv4_addr; }}\n"),
    ("add-element-table-near", "add table ip abc\nadd element ip {W} s {{ 1.2.3.4 }}\n"),
    ("flush-set-table-near", "add table ip abc\nflush set ip {W} s\n"),
    ("delete-set-table-near", "add table ip abc\ndelete set ip {W} s\n"),
    ("delete-element-table-near", "add table ip abc\ndelete element ip {W} s {{ 1.2.3.4 }}\n"),
    ("delete-chain-table-near", "add table ip abc\ndelete chain ip {W} c\n"),
    ("flush-chain-table-near", "add table ip abc\nflush chain ip {W} c\n"),
    ("delete-rule-table-near", "add table ip abc\ndelete rule ip {W} c handle 1\n"),
    ("var-near", "define abc = 1.2.3.4\ntable ip t {{\n\tchain c {{ ip saddr ${W}; }}\n}}\n"),
    # define names and variable references
    ("define", "define {W} = 1\n"),
    ("define-quoted", "define \"{W}\" = 1\n"),
    ("var", "table ip t {{\n\tchain c {{ ip saddr ${W}; }}\n}}\n"),
    ("define-use", "define {W} = 1.2.3.4\ntable ip t {{\n\tchain c {{ ip saddr ${W}; }}\n}}\n"),
]


def words():
    out = []
    for line in open(WORDS):
        line = line.strip()
        if line and not line.startswith("#"):
            out.append(line)
    return out


# words close to "abc", for the -near positions
NEAR = ["ab", "abd", "abcd", "bac", "acb", "xbc", "abcde", "abc", "s1"]


def cases():
    ws = words()
    for pos, tmpl in POSITIONS:
        # a quoted name is refused whatever the word, and a suggestion
        # depends on the word's length more than on the word: samples
        if "quoted" in pos:
            sel = ws[::8]
        elif pos.endswith("-near"):
            sel = ws[::4] + [w for w in NEAR if w not in ws[::4]]
        else:
            sel = ws
        for w in sel:
            yield pos, w, tmpl.format(W=w)


def result(rc, err, path):
    if rc == 0:
        return "ok"
    first = err.splitlines()[0] if err else "(no message, exit %d)" % rc
    if first.startswith(path + ":"):
        first = first[len(path) + 1:]
    return first


# One shell loop per worker, with a fork and exec per case and nothing more:
# each line of its input is a script with \\, newline and tab escaped for
# printf %b; it prints "RC<TAB>first line of stderr" for each.
LOOP = r"""
f="$1/%s"; e="$1/err"; shift
while IFS= read -r line; do
	printf '%%b' "$line" >"$f"
	"$@" "$f" 2>"$e" >/dev/null
	rc=$?
	first=
	IFS= read -r first <"$e"
	printf '%%s\t%%s\n' "$rc" "$first"
done
""" % FILE


def run_all(cmd, todo, jobs=2):
    """Run cmd + [DIR/FILE] on every script of todo; the results in order.
    cmd is a prefix (such as ip netns exec NS) and a list, the program."""
    esc = [t.replace("\\", "\\\\").replace("\n", "\\n").replace("\t", "\\t") for t in todo]
    with tempfile.TemporaryDirectory() as tmp:
        procs = []
        for j in range(jobs):
            d = os.path.join(tmp, str(j))
            os.mkdir(d)
            inp = os.path.join(d, "in")
            with open(inp, "w") as f:
                f.write("".join(t + "\n" for t in esc[j::jobs]))
            procs.append((d, subprocess.Popen(cmd[:-1] + ["sh", "-c", LOOP, "sh", d] + cmd[-1],
                                              stdin=open(inp), stdout=subprocess.PIPE,
                                              text=True, errors="replace")))
        outs = []
        for d, p in procs:
            lines = p.communicate()[0].splitlines()
            outs.append([result(int(l.split("\t", 1)[0]), l.split("\t", 1)[1],
                                os.path.join(d, FILE)) for l in lines])
        res = []
        for i in range(len(todo)):
            res.append(outs[i % jobs][i // jobs])
        return res


def record(nft, only):
    """Re-record every case, or only the cases missing from the table when
    only is set (after adding positions or words)."""
    old = load_table() if only and os.path.exists(TABLE) else {}
    todo = [c for c in cases() if (c[0], c[1]) not in old]
    ns = "kwrec-%d" % os.getpid()
    subprocess.run(["ip", "netns", "add", ns], check=True)
    try:
        res = run_all(["ip", "netns", "exec", ns, [nft, "-c", "-f"]], [c[2] for c in todo])
    finally:
        subprocess.run(["ip", "netns", "del", ns], check=False)
    got = dict(old)
    for (pos, w, _), r in zip(todo, res):
        got[(pos, w)] = r
    with open(TABLE, "w") as f:
        f.write("# position\tword\tresult -- recorded from nft 1.0.6 by keywords.py record\n")
        for pos, w, _ in cases():
            f.write("%s\t%s\t%s\n" % (pos, w, got[(pos, w)]))
    print("recorded %d cases (%d positions, %d words)" %
          (len(todo), len(POSITIONS), len(words())))
    return 0


def load_table():
    want = {}
    for line in open(TABLE):
        if line.startswith("#"):
            continue
        pos, w, r = line.rstrip("\n").split("\t", 2)
        want[(pos, w)] = r
    return want


def check(build):
    root = os.path.dirname(os.path.dirname(HERE))
    if not os.path.isabs(build):
        build = os.path.join(root, build)
    prog = os.path.join(build, "ctrack-nft")
    want = load_table()
    all_cases = [c for c in cases() if (c[0], c[1]) in want]
    missing = sum(1 for c in cases()) - len(all_cases)
    res = run_all([[prog, "-c", "-f"]], [c[2] for c in all_cases])
    fail = 0
    for (pos, w, _), got in zip(all_cases, res):
        exp = want[(pos, w)]
        if got != exp:
            fail += 1
            if fail <= SHOW:
                print("FAIL %s %s\n  nft:        %s\n  ctrack-nft: %s" % (pos, w, exp, got))
    if fail > SHOW:
        print("... %d more" % (fail - SHOW))
    if missing:
        print("FAIL %d cases are not in keywords.tsv: re-record it" % missing)
        fail += missing
    n = len(all_cases) + missing
    print("nft keywords: %d/%d passed" % (n - fail, n))
    return 1 if fail else 0


def main():
    if len(sys.argv) < 2 or sys.argv[1] not in ("record", "check"):
        print(__doc__)
        return 2
    if sys.argv[1] == "record":
        args = sys.argv[2:]
        only = "--missing" in args
        args = [a for a in args if a != "--missing"]
        return record(args[0] if args else "nft", only)
    return check(sys.argv[2] if len(sys.argv) > 2 else "build")


if __name__ == "__main__":
    sys.exit(main())
