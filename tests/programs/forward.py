#!/usr/bin/env python3
"""Black-box tests of forward(1): re-queue stdin with DTLINE, NEWSENDER."""
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from tap import Tap, QHOME, QBIN, instance_reset  # noqa: E402
from fakeq import FakeQueue  # noqa: E402

t = Tap()
PROG = os.path.join(QBIN, "forward")
FQ = FakeQueue("forward.")
REC, FAKEQ = FQ.rec_dir, FQ.path

DT = "Delivered-To: joe@example.org\n"


def run(args, msg=b"Subject: x\n\nbody\n", env=None, unset=(), qq=FAKEQ):
    e = {"PATH": os.environ["PATH"], "REC": REC, "NEWSENDER": "ns@a.org",
         "SENDER": "orig@b.org", "DTLINE": DT}
    if qq is not None:
        e["QMAILQUEUE"] = qq
    e.update(env or {})
    for k in unset:
        e.pop(k, None)
    FQ.clear()
    p = subprocess.run([PROG] + args, input=msg, env=e, capture_output=True)
    return p.returncode, p.stdout, p.stderr


rec = FQ.rec


# --- usage and environment ------------------------------------------------
rc, out, err = run([])
t.eq(rc, 100, "no address: exit 100")
t.ok(b"usage" in err, "no address: usage message")
t.eq(rec("msg"), None, "no address: nothing queued")
rc, out, err = run(["a@b.c"], unset=["NEWSENDER"])
t.eq(rc, 100, "NEWSENDER missing: exit 100")
t.eq(err, b"forward: fatal: NEWSENDER not set\n", "NEWSENDER missing: message")
t.eq(rec("msg"), None, "NEWSENDER missing: nothing queued")
rc, out, err = run(["a@b.c"], unset=["DTLINE"])
t.eq(rc, 100, "DTLINE missing: exit 100")
t.ok(b"DTLINE not set" in err, "DTLINE missing: message")

# --- a forward ------------------------------------------------------------
msg = b"From: x@y\nSubject: hi\n\nFrom the body\n"
rc, out, err = run(["one@example.com", "two@example.net"], msg=msg)
t.eq(rc, 0, "forwards: exit 0")
t.eq(rec("msg"), DT.encode() + msg, "message is DTLINE then stdin, intact")
t.eq(rec("env"), b"Fns@a.org\0Tone@example.com\0Ttwo@example.net\0\0",
     "envelope: NEWSENDER (not SENDER) to each address, in order")
t.ok(err.startswith(b"forward: qp ") and err[12:-1].isdigit(),
     "reports the qp number")
t.eq(out, b"", "nothing on stdout")

rc, out, err = run(["a@b.c"], env={"NEWSENDER": ""})
t.eq(rc, 0, "empty NEWSENDER accepted")
t.eq(rec("env"), b"F\0Ta@b.c\0\0", "empty NEWSENDER is the null sender")

big = b"Subject: big\n\n" + (b"x" * 999 + b"\n") * 8000
rc, out, err = run(["a@b.c"], msg=big)
t.eq(rc, 0, "8 MB message: exit 0")
t.ok(rec("msg") == DT.encode() + big, "8 MB message copied byte for byte")
hdr = b"X-Long: " + b"y" * (2 * 1024 * 1024) + b"\n\nbody\n"
rc, out, err = run(["a@b.c"], msg=hdr)
t.eq(rc, 0, "2 MB header line: exit 0")
t.ok(rec("msg") == DT.encode() + hdr, "2 MB header line passed on intact")
rc, out, err = run(["a@b.c"], msg=b"")
t.eq((rc, rec("msg")), (0, DT.encode()), "empty message: DTLINE alone")

# --- queue failures ---------------------------------------------------------
rc, out, err = run(["a@b.c"], env={"QQ_EXIT": "31"})
t.eq(rc, 100, "qmail-queue permanent failure (31): exit 100")
t.ok(b"permanently rejected" in err, "permanent failure: qmail's text")
rc, out, err = run(["a@b.c"], env={"QQ_EXIT": "53"})
t.eq(rc, 111, "qmail-queue temporary failure (53): exit 111")
t.ok(b"qq write error or disk full" in err, "temporary failure: qmail's text")
rc, out, err = run(["a@b.c"], qq=os.path.join(FQ.tmp, "missing"))
t.eq(rc, 111, "qmail-queue cannot be run: exit 111")

# --- through the real qmail-queue -------------------------------------------
instance_reset()
rc, out, err = run(["real@example.com"], msg=b"Subject: real\n\nreal\n",
                   qq=None)
t.eq(rc, 0, "real qmail-queue: exit 0")
todo = []
for root, dirs, files in os.walk(os.path.join(QHOME, "queue", "todo")):
    todo += [os.path.join(root, f) for f in files]
t.eq(len(todo), 1, "real qmail-queue: one message in todo/")
if todo:
    with open(todo[0], "rb") as f:
        env = f.read()
    t.ok(env.endswith(b"\0Fns@a.org\0Treal@example.com\0"),
         "real queue envelope: F NEWSENDER, T address")
    num = os.path.basename(todo[0])
    mess = os.path.join(QHOME, "queue", "mess", os.path.basename(
        os.path.dirname(todo[0])), num)
    with open(mess, "rb") as f:
        body = f.read()
    t.ok(body.endswith(DT.encode() + b"Subject: real\n\nreal\n"),
         "real queue message ends with DTLINE and the message")
    t.ok(err == b"forward: qp %d\n" % 0 or err.startswith(b"forward: qp "),
         "real queue: qp reported")
else:
    t.ok(False, "real queue envelope")
    t.ok(False, "real queue message")
    t.ok(False, "real queue qp")
t.done()
