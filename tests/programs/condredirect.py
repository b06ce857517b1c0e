#!/usr/bin/env python3
"""Black-box tests of condredirect(1)."""
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from tap import Tap, QBIN  # noqa: E402
from fakeq import FakeQueue  # noqa: E402

t = Tap()
PROG = os.path.join(QBIN, "condredirect")
FQ = FakeQueue("condredirect.")
REC, FAKEQ = FQ.rec_dir, FQ.path
DT = "Delivered-To: joe@example.org\n"
MSG = b"Subject: hi\n\nbody\n"


def run(args, msg=MSG, env=None, unset=(), pipe=False):
    e = {"PATH": os.environ["PATH"], "REC": REC, "QMAILQUEUE": FAKEQ,
         "SENDER": "orig@b.org", "NEWSENDER": "new@a.org", "DTLINE": DT}
    e.update(env or {})
    for k in unset:
        e.pop(k, None)
    FQ.clear()
    if pipe:
        p = subprocess.run([PROG] + args, input=msg, env=e,
                           capture_output=True)
    else:
        with tempfile.TemporaryFile() as f:  # qmail-local gives a file
            f.write(msg)
            f.seek(0)
            p = subprocess.run([PROG] + args, stdin=f, env=e,
                               capture_output=True)
    return p.returncode, p.stdout, p.stderr


rec = FQ.rec


rc, out, err = run([])
t.eq(rc, 100, "no arguments: exit 100")
t.ok(b"usage" in err, "usage message")
rc, out, err = run(["x@y"])
t.eq(rc, 100, "no program: exit 100")

# The program reads the whole message; it is still forwarded whole.
rc, out, err = run(["new@example.com", "sh", "-c", "cat >/dev/null"])
t.eq(rc, 99, "program exits 0: redirect and exit 99")
t.eq(rec("msg"), DT.encode() + MSG, "redirected message: DTLINE then the "
     "whole message (stdin rewound)")
t.eq(rec("env"), b"Forig@b.org\0Tnew@example.com\0\0",
     "redirect keeps the envelope sender SENDER, to newaddress only")
t.ok(err.startswith(b"condredirect: qp "), "reports the qp number")

rc, out, err = run(["new@example.com", "grep", "-q", "^Subject: hi$"])
t.eq(rc, 99, "arguments reach the program (grep matches): 99")
rc, out, err = run(["new@example.com", "grep", "-q", "^Subject: no$"])
t.eq(rc, 0, "grep does not match: exit 0")
t.eq(rec("msg"), None, "no match: nothing queued")
for code, want in ((1, 0), (100, 0), (99, 0), (111, 111), (112, 0)):
    rc, out, err = run(["n@x", "sh", "-c", f"exit {code}"])
    t.eq(rc, want, f"program exits {code}: condredirect exits {want}")
t.eq(rec("msg"), None, "no redirect for non-zero codes")
rc, out, err = run(["n@x", "/nonexistent/prog"])
t.eq(rc, 0, "program does not exist: exit 0")
rc, out, err = run(["n@x", "sh", "-c", "kill -9 $$"])
t.eq(rc, 111, "program killed: exit 111")
t.ok(b"child crashed" in err, "killed: reported")
rc, out, err = run(["n@x", "sh", "-c", "echo 'a;b' >/dev/null"])
t.eq(rc, 99, "no shell of ours in between")

rc, out, err = run(["n@x", "true"], unset=["SENDER"])
t.eq(rc, 100, "SENDER missing: exit 100")
t.ok(b"SENDER not set" in err, "SENDER missing: message")
rc, out, err = run(["n@x", "false"], unset=["SENDER"])
t.eq(rc, 0, "SENDER missing but no redirect: exit 0")
rc, out, err = run(["n@x", "true"], unset=["DTLINE"])
t.eq(rc, 100, "DTLINE missing: exit 100")
rc, out, err = run(["n@x", "true"], env={"SENDER": ""})
t.eq(rec("env"), b"F\0Tn@x\0\0", "null SENDER kept")

rc, out, err = run(["n@x", "true"], pipe=True)
t.eq(rc, 111, "message on a pipe cannot be rewound: exit 111")
t.ok(b"unable to rewind" in err, "pipe: reported")

rc, out, err = run(["n@x", "true"], env={"QQ_EXIT": "31"})
t.eq(rc, 100, "permanent queue failure: 100")
rc, out, err = run(["n@x", "true"], env={"QQ_EXIT": "71"})
t.eq(rc, 111, "temporary queue failure: 111")

big = b"X-Big: " + b"b" * (3 * 1024 * 1024) + b"\n\n" + b"c\n" * 100000
rc, out, err = run(["n@x", "sh", "-c", "head -c 10 >/dev/null"], msg=big)
t.eq(rc, 99, "3 MB header line, program reads only a little: 99")
t.ok(rec("msg") == DT.encode() + big, "big message forwarded whole")
t.done()
