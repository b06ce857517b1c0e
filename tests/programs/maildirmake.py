#!/usr/bin/env python3
"""Black-box tests of maildirmake(1)."""
import mailbox
import os
import stat
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from tap import Tap, QBIN  # noqa: E402

t = Tap()
PROG = os.path.join(QBIN, "maildirmake")
tmp = tempfile.mkdtemp(prefix="maildirmake.")


def run(args, umask=0o022):
    p = subprocess.run([PROG] + args, capture_output=True,
                       preexec_fn=lambda: os.umask(umask))
    return p.returncode, p.stdout, p.stderr


def mode(p):
    return stat.S_IMODE(os.lstat(p).st_mode)


md = os.path.join(tmp, "Maildir")
rc, out, err = run([md], umask=0)
t.eq((rc, out, err), (0, b"", b""), "creates a Maildir: exit 0, silent")
t.eq(sorted(os.listdir(md)), ["cur", "new", "tmp"], "holds cur, new, tmp")
t.eq(mode(md), 0o700, "dir mode 700 even with umask 0")
for sub in ("cur", "new", "tmp"):
    t.eq(mode(os.path.join(md, sub)), 0o700, f"{sub} mode 700")
box = mailbox.Maildir(md, create=False)
key = box.add(b"Subject: py\n\nhello\n")
t.eq(box.get_bytes(key), b"Subject: py\n\nhello\n",
     "Python's mailbox.Maildir writes and reads it")

with open(os.path.join(md, "new", "keep"), "w") as f:
    f.write("x")
rc, out, err = run([md])
t.eq(rc, 111, "existing directory: refused, exit 111")
t.ok(b"unable to mkdir" in err and b"exists" in err, "says it exists")
t.ok(os.path.exists(os.path.join(md, "new", "keep")), "existing one untouched")

rc, out, err = run([os.path.join(tmp, "no", "such", "parent")])
t.eq(rc, 111, "missing parent directory: exit 111")
rc, out, err = run([])
t.eq(rc, 100, "no argument: exit 100")
t.ok(b"usage" in err, "usage message")
rc, out, err = run(["a", "b"])
t.eq(rc, 100, "two arguments: exit 100")
rc, out, err = run([os.path.join(tmp, "slash") + "/"])
t.eq(rc, 0, "trailing slash accepted")
t.ok(os.path.isdir(os.path.join(tmp, "slash", "new")), "trailing slash: made")
rc, out, err = run([os.path.join(tmp, "x" * 300)])
t.eq(rc, 111, "over-long name: exit 111")
weird = os.path.join(tmp, "we ird;$(x)")
rc, out, err = run([weird])
t.eq(rc, 0, "odd characters in the name are just a name")
t.ok(os.path.isdir(os.path.join(weird, "tmp")), "odd name: made")
t.done()
