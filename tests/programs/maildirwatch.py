#!/usr/bin/env python3
"""Black-box tests of maildirwatch(1): its first summary, under timeout."""
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from tap import Tap, QBIN  # noqa: E402

t = Tap()
PROG = os.path.join(QBIN, "maildirwatch")
tmp = tempfile.mkdtemp(prefix="maildirwatch.")
CLEAR = b"\033[;H\033[;J"


def maildir(name):
    d = os.path.join(tmp, name)
    for s in ("", "/cur", "/new", "/tmp"):
        os.mkdir(d + s, 0o700)
    return d


def put(d, sub, name, data):
    with open(os.path.join(d, sub, name), "wb") as f:
        f.write(data)


def watch(env, secs=1):
    """Run for a moment; the first summary is printed at once."""
    e = {"PATH": os.environ["PATH"]}
    e.update(env)
    start = time.monotonic()
    p = subprocess.run(["timeout", str(secs), PROG], env=e,
                       capture_output=True)
    return p.returncode, p.stdout, p.stderr, time.monotonic() - start


rc, out, err, _ = watch({})
t.eq(rc, 111, "MAILDIR missing: exit 111")
t.eq(err, b"maildirwatch: fatal: MAILDIR not set\n", "MAILDIR missing: text")
rc, out, err, _ = watch({"MAILDIR": os.path.join(tmp, "nope")})
t.eq(rc, 111, "no such Maildir: exit 111")

md = maildir("md")
rc, out, err, _ = watch({"MAILDIR": md})
t.eq(rc, 124, "keeps running until killed (timeout's 124)")
t.eq(out, CLEAR + b"0 new messages\n\n", "empty Maildir: clear, count")

put(md, "new", "1700000200.M1P1Q1.h",
    b"From: Bob <bob@b.org>\nSubject: second\n\nx\n")
put(md, "new", "1700000100.M1P1Q1.h",
    b"Subject: first\n  folded\tpart\nFROM: alice@a.org\n\nFrom: body\n")
put(md, "cur", "1600000000.M1P1Q1.h:2,", b"From: old\nSubject: seen\n\n")
put(md, "new", ".dot", b"Subject: hidden\n\n")
put(md, "new", "garbage name\nwith break", b"Subject: garbage\n\n")
put(md, "new", "1700000300.M1P1Q1.h",
    b"Subject: \033[2J\033]0;pwn\007evil" + b"s" * 200 + b"\n\n")
put(md, "new", "1700000400.M1P1Q1.h",
    b"X-Huge: " + b"h" * (16 * 1024 * 1024) + b"\nSubject: late\n\n")
rc, out, err, took = watch({"MAILDIR": md}, secs=3)
t.eq(rc, 124, "still running after the summary")
t.ok(out.startswith(CLEAR), "summary starts by clearing the window")
t.eq(out.count(CLEAR), 1, "one summary in the first seconds")
lines = out[len(CLEAR):].split(b"\n")
t.eq(lines[0], b"5 new messages", "counts new/ only, no dot-files")
t.eq(lines[2:5], [b"From: ", b"Subject: garbage", b""],
     "garbage name (no time) listed first")
t.eq(lines[5:8], [b"From: alice@a.org", b"Subject: first folded part", b""],
     "oldest next; fields matched without case; folded field unfolded; "
     "body not read")
t.eq(lines[8:10], [b"From: Bob <bob@b.org>", b"Subject: second"],
     "then the next one")
evil = lines[12] if len(lines) > 12 else b""
t.ok(b"\033" not in out[len(CLEAR):] and b"\007" not in out,
     "escape sequences from the message never reach the terminal")
t.eq(len(evil), 79, "long subject cut to 79 columns")
t.ok(evil.startswith(b"Subject: ?[2J?]0;pwn?evil"), "control bytes shown as ?")
t.eq(lines[14:16], [b"From: ", b"Subject: "],
     "16 MB header line: read stops early, fields empty")
t.ok(b"seen" not in out and b"hidden" not in out, "cur/ and dot-files not shown")
t.done()
