#!/usr/bin/env python3
"""Black-box tests of except(1): reverse a program's exit code."""
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from tap import Tap, QBIN  # noqa: E402

t = Tap()
PROG = os.path.join(QBIN, "except")


def run(args, msg=b"hello\n"):
    p = subprocess.run([PROG] + args, input=msg, capture_output=True,
                       env={"PATH": os.environ["PATH"]})
    return p.returncode, p.stdout, p.stderr


for code, want in ((0, 100), (111, 111), (1, 0), (99, 0), (100, 0),
                   (112, 0), (255, 0)):
    rc, out, err = run(["sh", "-c", f"exit {code}"])
    t.eq(rc, want, f"program exits {code}: except exits {want}")
rc, out, err = run(["true"])
t.eq(rc, 100, "true: 100 (found in PATH)")
rc, out, err = run(["false"])
t.eq(rc, 0, "false: 0")
rc, out, err = run(["grep", "-q", "hello"])
t.eq(rc, 100, "grep reads stdin and matches: 100")
rc, out, err = run(["/nonexistent/prog"])
t.eq(rc, 0, "program does not exist: exit 0 (it failed)")
t.ok(b"unable to run /nonexistent/prog" in err, "does not exist: warned")
rc, out, err = run(["sh", "-c", "kill -9 $$"])
t.eq(rc, 111, "program killed: exit 111")
t.ok(b"except: fatal: child crashed" in err, "killed: reported")
rc, out, err = run([])
t.eq(rc, 100, "no program: exit 100")
t.ok(b"usage" in err, "usage message")
rc, out, err = run(["printf", "%s", "a;b $HOME"])
t.eq(out, b"a;b $HOME", "arguments untouched, no shell")
t.done()
