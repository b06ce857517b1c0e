#!/usr/bin/env python3
"""Black-box tests of bouncesaying(1)."""
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from tap import Tap, QBIN  # noqa: E402

t = Tap()
PROG = os.path.join(QBIN, "bouncesaying")


def run(args, msg=b"Subject: spam\n\nbuy\n"):
    p = subprocess.run([PROG] + args, input=msg, capture_output=True,
                       env={"PATH": os.environ["PATH"]})
    return p.returncode, p.stdout, p.stderr


ERR = "This address no longer accepts mail."
rc, out, err = run([ERR])
t.eq(rc, 100, "no program: always bounce, exit 100")
t.eq(err, (ERR + "\n").encode(), "prints the error text, nothing else")
t.eq(out, b"", "nothing on stdout")
rc, out, err = run([])
t.eq(rc, 100, "no arguments: exit 100")
t.ok(b"usage" in err, "usage message")

rc, out, err = run([ERR, "grep", "-q", "^Subject: spam"])
t.eq((rc, err), (100, (ERR + "\n").encode()), "program exits 0: bounce")
rc, out, err = run([ERR, "grep", "-q", "^Subject: ham"])
t.eq((rc, err), (0, b""), "program exits 1: exit 0, no text")
for code, want in ((100, 0), (99, 0), (111, 111), (2, 0)):
    rc, out, err = run(["e", "sh", "-c", f"exit {code}"])
    t.eq(rc, want, f"program exits {code}: bouncesaying exits {want}")
rc, out, err = run(["e", "/nonexistent/prog"])
t.eq(rc, 0, "program does not exist: exit 0")
rc, out, err = run(["e", "sh", "-c", "kill -9 $$"])
t.eq(rc, 111, "program killed: exit 111")
rc, out, err = run(["e", "sh", "-c", "exit 111"])
t.ok(b"temporary child error" in err, "111: says so")
rc, out, err = run(["e;$(x)", "printf", "%s", "a b"])
t.eq((rc, out, err), (100, b"a b", b"e;$(x)\n"),
     "arguments and text used as given, no shell")
rc, out, err = run(["e", "cat"], msg=b"x" * (4 * 1024 * 1024))
t.eq(len(out), 4 * 1024 * 1024, "program reads the message from stdin")
t.done()
