#!/usr/bin/env python3
"""Black-box tests of maildir2mbox(1), read back with Python's mailbox."""
import fcntl
import mailbox
import os
import re
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from tap import Tap, QBIN  # noqa: E402

t = Tap()
PROG = os.path.join(QBIN, "maildir2mbox")
tmp = tempfile.mkdtemp(prefix="maildir2mbox.")
FROMLINE = re.compile(rb"^From (\S+) \w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}$")


def maildir(name):
    d = os.path.join(tmp, name)
    for s in ("", "/cur", "/new", "/tmp"):
        os.mkdir(d + s, 0o700)
    return d


def put(d, sub, name, data, mtime=None):
    p = os.path.join(d, sub, name)
    with open(p, "wb") as f:
        f.write(data)
    if mtime is not None:
        os.utime(p, (mtime, mtime))
    return p


def run(env, unset=()):
    e = {"PATH": os.environ["PATH"]}
    e.update(env)
    for k in unset:
        e.pop(k, None)
    p = subprocess.run([PROG], env=e, capture_output=True)
    return p.returncode, p.stdout, p.stderr


def unquote(b):
    return re.sub(rb"(?m)^>(>*From )", rb"\1", b)


def left(d):
    return sorted(os.listdir(os.path.join(d, "new")) +
                  os.listdir(os.path.join(d, "cur")))


# --- environment ----------------------------------------------------------
md = maildir("md")
mb = os.path.join(tmp, "mbox")
rc, out, err = run({"MAIL": mb}, )
t.eq(rc, 111, "MAILDIR missing: exit 111")
t.eq(err, b"maildir2mbox: fatal: MAILDIR not set\n", "MAILDIR missing: text")
rc, out, err = run({"MAILDIR": md})
t.eq(rc, 111, "MAIL missing: exit 111")
t.ok(b"MAIL not set" in err, "MAIL missing: text")
rc, out, err = run({"MAILDIR": md, "MAIL": mb})
t.eq(rc, 0, "empty Maildir: exit 0")
t.ok(not os.path.exists(mb), "empty Maildir: MAIL not created")
rc, out, err = run({"MAILDIR": os.path.join(tmp, "nope"), "MAIL": mb})
t.eq(rc, 111, "no such Maildir: exit 111")

# --- moving messages --------------------------------------------------------
m1 = (b"Return-Path: <alice@a.org>\nDelivered-To: bob@b.org\n"
      b"Subject: one\n\nFrom the start\n>From quoted\nend\n")
m2 = b"Return-Path: <>\nSubject: two\n\nno newline at end"
m3 = b"Subject: three\n\nplain\n"
put(md, "new", "1700000300.M1P1Q1.host", m3, 1700000300)
put(md, "cur", "1700000100.M1P1Q1.host:2,S", m1, 1700000100)
put(md, "new", "1700000200.M1P2Q1.host", m2, 1700000200)
with open(mb, "wb") as f:
    f.write(b"From old@x Thu Jan  1 00:00:00 1970\nSubject: old\n\nold\n\n")
oldtmp = put(md, "tmp", "1.old", b"dead", time.time() - 40 * 3600)
newtmp = put(md, "tmp", "2.fresh", b"in progress")
rc, out, err = run({"MAILDIR": md, "MAIL": mb, "MAILTMP": mb + ".tmp"})
t.eq((rc, err), (0, b""), "moves three messages: exit 0, silent")
t.eq(left(md), [], "Maildir new/ and cur/ emptied")
t.ok(not os.path.exists(oldtmp), "tmp/ file older than 36 hours removed")
t.ok(os.path.exists(newtmp), "fresh tmp/ file kept")
box = mailbox.mbox(mb, create=False)
msgs = [box.get_bytes(k, from_=True) for k in box.keys()]
t.eq(len(msgs), 4, "mailbox.mbox reads 4 messages (old + 3)")
if len(msgs) == 4:
    t.ok(msgs[0].startswith(b"From old@x "), "old content kept first")
    heads = [m.split(b"\n", 1)[0] for m in msgs[1:]]
    senders = [FROMLINE.match(h).group(1) if FROMLINE.match(h) else None
               for h in heads]
    t.eq(senders, [b"alice@a.org", b"MAILER-DAEMON", b"MAILER-DAEMON"],
         "From_ senders from Return-Path, oldest message first")
    t.ok(b"Tue Nov 14 22:15:00 2023" in heads[0],
         "From_ date is the file's time")
    bodies = [box.get_bytes(k) for k in box.keys()][1:]
    t.eq(unquote(bodies[0]), m1, "message 1 intact after unquoting")
    t.ok(b"\n>From the start\n>>From quoted\n" in bodies[0],
         "From lines quoted in the mbox")
    t.eq(bodies[1], m2 + b"\n", "message without final newline gets one")
    t.eq(bodies[2], m3, "message 3 intact")
    t.eq(box[box.keys()[1]]["Subject"], "one", "headers parse")
else:
    for i in range(8):
        t.ok(False, "mbox contents")
box.close()
with open(mb, "rb") as f:
    raw = f.read()
t.ok(raw.endswith(b"plain\n\n"), "each message ends with a blank line")

# --- garbage in the Maildir ---------------------------------------------------
md2 = maildir("md2")
mb2 = os.path.join(tmp, "mbox2")
put(md2, "new", "hello world", b"Subject: g1\n\ng1\n")
put(md2, "new", "line\nbreak", b"Subject: g2\n\ng2\n")
put(md2, "cur", ".hidden", b"Subject: hidden\n\n")
os.mkdir(os.path.join(md2, "new", "subdir"))
secret = put(md2, "tmp", "target", b"Subject: secret\n\n")
os.symlink(secret, os.path.join(md2, "cur", "123.link"))
huge = b"Return-Path: <" + b"r" * (1 << 20) + b">\nSubject: huge\n\nh\n"
put(md2, "new", "5.huge", huge)
put(md2, "new", "99999999999999999999999999.big", b"Subject: bignum\n\nb\n")
rc, out, err = run({"MAILDIR": md2, "MAIL": mb2})
t.eq(rc, 0, "Maildir with garbage names: exit 0")
t.eq(left(md2), [".hidden", "123.link", "subdir"],
     "dot-files, directories and symbolic links left alone")
box = mailbox.mbox(mb2, create=False)
subjects = sorted(box[k]["Subject"] for k in box.keys())
t.eq(subjects, ["bignum", "g1", "g2", "huge"], "every real message moved")
hk = [k for k in box.keys() if box[k]["Subject"] == "huge"]
t.ok(hk and box.get_bytes(hk[0]) == huge, "1 MB Return-Path line intact")
t.ok(hk and box.get_bytes(hk[0], from_=True).startswith(
    b"From MAILER-DAEMON "), "over-long Return-Path: MAILER-DAEMON")
box.close()

# --- failures keep the Maildir ------------------------------------------------
md3 = maildir("md3")
put(md3, "new", "1.a", b"Subject: a\n\na\n")
rc, out, err = run({"MAILDIR": md3,
                    "MAIL": os.path.join(tmp, "no", "dir", "mbox")})
t.eq(rc, 111, "MAIL cannot be opened: exit 111")
t.ok(b"unable to lock" in err, "MAIL cannot be opened: reported")
t.eq(left(md3), ["1.a"], "message stays in the Maildir on failure")

# The mbox lock is honoured: nothing is appended while a reader holds it.
mb3 = os.path.join(tmp, "mbox3")
with open(mb3, "wb") as f:
    f.write(b"")
lk = open(mb3, "rb+")
fcntl.flock(lk, fcntl.LOCK_EX)
p = subprocess.Popen([PROG], env={"MAILDIR": md3, "MAIL": mb3},
                     stderr=subprocess.PIPE)
time.sleep(0.5)
t.eq((p.poll(), os.path.getsize(mb3)), (None, 0),
     "waits while a reader holds the flock lock")
fcntl.flock(lk, fcntl.LOCK_UN)
lk.close()
rc = p.wait(timeout=30)
t.eq(rc, 0, "finishes once the lock is released")
t.eq((left(md3), os.path.getsize(mb3) > 0), ([], True),
     "message moved after the lock")
t.done()
