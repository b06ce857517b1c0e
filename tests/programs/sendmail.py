#!/usr/bin/env python3
"""Black-box tests of sendmail (qmail's front end) against the test queue."""
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from tap import Tap, QHOME, QBIN, instance_reset  # noqa: E402
from queuetest import queued_records, read  # noqa: E402

t = Tap()
SENDMAIL = os.path.join(QHOME, "bin", "sendmail")


def setup():
    instance_reset()
    for name, v in (("me", "me.example"), ("defaulthost", "dh"),
                    ("defaultdomain", "dd.example")):
        with open(os.path.join(QHOME, "control", name), "w") as f:
            f.write(v + "\n")


def run(args, msg=b"", env=None):
    e = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "USER": "joe"}
    for k in ("ASAN_OPTIONS", "UBSAN_OPTIONS"):
        if k in os.environ:
            e[k] = os.environ[k]
    e.update(env or {})
    p = subprocess.run([SENDMAIL] + args, input=msg, env=e,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=60)
    return p.returncode, p.stdout, p.stderr


def queued():
    return [(mess, [r[1:] for r in recs if r[0] == "F"],
             [r[1:] for r in recs if r[0] == "T"])
            for mess, recs in queued_records()]


setup()
rc, out, err = run(["-t"], b"To: a@x.org\nCc: b@y.org\nBcc: c@z.org\n"
                   b"Subject: t\n\nbody\n")
t.eq(rc, 0, "-t: exit 0")
q = queued()
t.eq(len(q), 1, "-t: one message queued")
if q:
    mess, snd, rcpts = q[0]
    t.eq(rcpts, ["a@x.org", "b@y.org", "c@z.org"],
         "-t: To, Cc and Bcc are all envelope recipients")
    t.ok(b"Bcc" not in mess, "-t: Bcc is gone from the message")
    t.eq(snd, ["joe@dh.dd.example"], "default envelope sender from USER")

setup()
rc, out, err = run(["-f", "x@y.org", "a@b.org"], b"Subject: s\n\nb\n")
t.eq(rc, 0, "-f x@y a@b: exit 0")
q = queued()
t.ok(len(q) == 1 and q[0][1] == ["x@y.org"] and q[0][2] == ["a@b.org"],
     "-f x@y a@b sets the envelope")
if q:
    t.ok(b"To:" not in q[0][0] and b"Cc: recipient list not shown: ;"
         in q[0][0], "command-line recipients are not put in the header")

setup()
rc, out, err = run(["-r", "r@y.org", "-oi", "-oem", "-i", "-v", "-bm",
                    "-N", "never", "-R", "hdrs", "-X", "/dev/null",
                    "-F", "Full Name", "a@b.org"], b"Subject: s\n\nb\n")
t.eq(rc, 0, "-r -oi -oem -i -v -bm -N -R -X -F accepted")
q = queued()
t.ok(len(q) == 1 and q[0][1] == ["r@y.org"] and q[0][2] == ["a@b.org"],
     "-r sets the sender; ignored options take their arguments")
if q:
    t.ok(b"From: Full Name <joe@dh.dd.example>" in q[0][0],
         "-F sets the full name")

setup()
rc, out, err = run(["-t", "extra@b.org"], b"To: a@x.org\n\n")
q = queued()
t.ok(len(q) == 1 and q[0][2] == ["a@x.org", "extra@b.org"],
     "-t with arguments: header and arguments")

rc, out, err = run(["-k", "a@b.org"], b"x\n")
t.eq(rc, 100, "unknown flag: exit 100")
t.ok(b"usage" in err, "unknown flag: usage message")
rc, out, err = run(["-bz"], b"")
t.eq(rc, 100, "unknown -b mode: exit 100")
rc, out, err = run([], b"Subject: x\n\n")
t.eq(rc, 100, "no recipients: exit 100")

setup()
smtpd = os.path.join(QHOME, "bin", "qmail-smtpd")
if os.path.exists(smtpd):
    os.unlink(smtpd)
rc, out, err = run(["-bs"], b"QUIT\r\n")
t.eq(rc, 111, "-bs without qmail-smtpd: exit 111")
t.ok(err.startswith(b"sendmail: fatal: ") and b"qmail-smtpd" in err,
     "-bs without qmail-smtpd: clear error")
with open(smtpd, "w") as f:
    f.write("#!/bin/sh\necho smtpd-ran \"$#\"\n")
os.chmod(smtpd, 0o755)
rc, out, err = run(["-bs"])
t.ok(rc == 0 and out == b"smtpd-ran 0\n", "-bs runs bin/qmail-smtpd")

qread = os.path.join(QHOME, "bin", "qmail-qread")
saved = None
if os.path.exists(qread):
    saved = read(qread)
    os.unlink(qread)
rc, out, err = run(["-bp"])
t.eq(rc, 111, "-bp without qmail-qread: exit 111")
t.ok(b"sendmail: fatal: " in err and b"qmail-qread" in err,
     "-bp without qmail-qread: clear error")
with open(qread, "w") as f:
    f.write("#!/bin/sh\necho qread-ran \"$#\"\n")
os.chmod(qread, 0o755)
rc, out, err = run(["-bp"])
t.ok(rc == 0 and out == b"qread-ran 0\n", "-bp runs bin/qmail-qread")
if saved is not None:
    setup()
    run(["a@b.org"], b"Subject: q\n\n")
    # preprocess the message the way qmail-send will, so qmail-qread
    # has something to list
    qdir = os.path.join(QHOME, "queue")
    for dirpath, _, files in os.walk(os.path.join(qdir, "todo")):
        for n in files:
            split = os.path.basename(dirpath)
            with open(os.path.join(qdir, "info", split, n), "wb") as f:
                f.write(b"Fme@example.org\0")
            with open(os.path.join(qdir, "remote", split, n), "wb") as f:
                f.write(b"Ta@b.org\0")
    rc, out, err = run(["-bp"])
    t.ok(b"remote\ta@b.org" in out, "-bp shows the queued recipient")
    p = subprocess.run([qread], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE)
    t.ok(rc == p.returncode == 0 and out == p.stdout,
         "-bp lists what qmail-qread lists")
t.done()
