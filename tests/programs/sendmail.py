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
    t.ok(b'From: "Full Name" <joe@dh.dd.example>' in q[0][0],
         "-F sets the full name (a quoted string, as qmail)")

# CR, LF in an envelope address: refused by sendmail itself, exit 100,
# nothing queued (issue 12 C19)
for what, args in (("-f", ["-f", "s@y.org\nBcc: v@z.org", "a@b.org"]),
                   ("-r", ["-r", "s@y.org\r", "a@b.org"]),
                   ("a recipient", ["a@b.org\nBcc: v@z.org"]),
                   ("a recipient with -t", ["-t", "a@b.org\r\nX: y"])):
    setup()
    rc, out, err = run(args, b"To: c@d.org\nSubject: s\n\nb\n")
    t.ok(rc == 100 and err.startswith(b"sendmail: fatal: unable to accept ")
         and b"may not hold CR, LF or NUL" in err and queued() == [],
         "CR/LF in %s: exit 100, clear message, nothing queued" % what)

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

# -bs with PROTO unset: qmail's environment, so a local user may send to
# any address through the real qmail-smtpd (issue 12 A3)
setup()
with open(os.path.join(QHOME, "control", "rcpthosts"), "w") as f:
    f.write("me.example\n")
rc, out, err = run(["-bs"], b"HELO localhost\r\nMAIL FROM:<joe@me.example>\r\n"
                   b"RCPT TO:<a@elsewhere.example>\r\nDATA\r\n"
                   b"Subject: bs\r\n\r\nhi\r\n.\r\nQUIT\r\n")
replies = out.decode("latin-1").split("\r\n")
t.ok(rc == 0 and len(replies) > 3 and replies[3].startswith("250"),
     "-bs: a local user may relay (RELAYCLIENT set; got %r)" % replies[3:4])
q = queued()
t.ok(len(q) == 1 and q[0][2] == ["a@elsewhere.example"],
     "-bs: the message to a non-local address is queued")
if q:
    t.ok(b"\nReceived: from localhost (sendmail-bs@127.0.0.1)\n" in q[0][0],
         "-bs: the Received line names sendmail-bs@127.0.0.1")

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
with open(smtpd, "w") as f:
    f.write("#!/bin/sh\nfor v in RELAYCLIENT DATABYTES PROTO TCPLOCALIP "
            "TCPLOCALHOST TCPREMOTEIP TCPREMOTEHOST TCPREMOTEINFO; do\n"
            "  eval \"x=\\${$v-unset}\"; echo \"$v=$x\"; done\n")
rc, out, err = run(["-bs"])
t.eq(out.decode().split("\n")[:-1],
     ["RELAYCLIENT=", "DATABYTES=0", "PROTO=TCP", "TCPLOCALIP=127.0.0.1",
      "TCPLOCALHOST=localhost", "TCPREMOTEIP=127.0.0.1",
      "TCPREMOTEHOST=localhost", "TCPREMOTEINFO=sendmail-bs"],
     "-bs with PROTO unset: qmail's environment for qmail-smtpd")
rc, out, err = run(["-bs"], env={"PROTO": "TCP", "TCPREMOTEIP": "10.1.2.3",
                                 "DATABYTES": "7"})
t.eq(out.decode().split("\n")[:-1],
     ["RELAYCLIENT=unset", "DATABYTES=7", "PROTO=TCP", "TCPLOCALIP=unset",
      "TCPLOCALHOST=unset", "TCPREMOTEIP=10.1.2.3", "TCPREMOTEHOST=unset",
      "TCPREMOTEINFO=unset"],
     "-bs with PROTO set: the environment is left alone")

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
