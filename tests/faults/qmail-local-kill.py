#!/usr/bin/env python3
"""Kill qmail-local with SIGKILL at random points of a large Maildir and mbox
delivery and show that no partial message is ever visible in new/, and that
an mbox never keeps a partial message.

What is shown for mbox, honestly: a SIGKILL cannot run any cleanup, so right
after the kill a torn message may be visible at the end of the mbox (the
same as with qmail).  qmail-local marks the mbox (an extended attribute
holding the size before the append) while it appends; the next delivery
finds the mark under the lock and cuts the torn tail off before appending.
So after the next delivery the mbox holds exactly the complete messages.

The kill points are spread from the start of the process to past the end
of a typical delivery (calibrated first); the seed is fixed.
"""
import mailbox
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from tap import Tap, QBIN  # noqa: E402

ROUNDS = 40
t = Tap()
rng = random.Random(20260407)
QL = os.path.join(QBIN, "qmail-local")
TOP = tempfile.mkdtemp(prefix="qlkill.")
os.chmod(TOP, 0o755)
HOME = os.path.join(TOP, "home")
os.mkdir(HOME, 0o755)
os.chmod(HOME, 0o755)

# A large message with "From " lines, so the mbox quoting is exercised.
body = b"".join((b"From line %07d looks like a separator\n" if i % 7 == 0
                 else b"Line %07d of a large message, with padding.\n") % i
                for i in range(120000))
BIG = b"Subject: big\n\n" + body
SMALL = b"Subject: small\n\nsmall body\n"
HDR = b"Return-Path: <s@example.net>\nDelivered-To: joe@example.com\n"
bigfile = os.path.join(TOP, "big")
smallfile = os.path.join(TOP, "small")
for path, data in ((bigfile, BIG), (smallfile, SMALL)):
    with open(path, "wb") as f:
        f.write(data)


def start(msgfile):
    f = open(msgfile, "rb")
    p = subprocess.Popen([QL, "joe", HOME, "joe", "", "", "example.com",
                          "s@example.net", "./Mailbox"], stdin=f,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    f.close()
    return p


def deliver(msgfile):
    return start(msgfile).wait()


def set_qmail(line):
    with open(os.path.join(HOME, ".qmail"), "w") as f:
        f.write(line + "\n")
    os.chmod(os.path.join(HOME, ".qmail"), 0o644)


def calibrate():
    times = []
    for _ in range(3):
        t0 = time.monotonic()
        deliver(bigfile)
        times.append(time.monotonic() - t0)
    return sorted(times)[1]


def kill_at(delay, msgfile=bigfile):
    p = start(msgfile)
    time.sleep(delay)
    p.send_signal(signal.SIGKILL)
    return p.wait()


# --- Maildir --------------------------------------------------------------
md = os.path.join(HOME, "Maildir")
for sub in ("", "tmp", "new", "cur"):
    os.makedirs(os.path.join(md, sub), exist_ok=True)
set_qmail("./Maildir/")
span = calibrate()
t.diag("a Maildir delivery of %d bytes takes %.1f ms" % (len(BIG),
                                                         span * 1000))
for name in os.listdir(os.path.join(md, "new")):
    os.unlink(os.path.join(md, "new", name))

bad = 0
torn_tmp = completed = killed = 0
for rnd in range(ROUNDS):
    rc = kill_at(rng.uniform(0, span * 1.3))
    killed += rc == -signal.SIGKILL
    completed += rc == 0
    news = os.listdir(os.path.join(md, "new"))
    for name in news:
        if not name.startswith("."):
            with open(os.path.join(md, "new", name), "rb") as f:
                if f.read() != HDR + BIG:
                    bad += 1
            os.unlink(os.path.join(md, "new", name))
    if rc == 0 and len(news) != 1:
        bad += 1
    tmps = os.listdir(os.path.join(md, "tmp"))
    torn_tmp += len(tmps)
    for name in tmps:
        os.unlink(os.path.join(md, "tmp", name))
t.diag("maildir: %d killed, %d completed, %d kills left a partial file in "
       "tmp/" % (killed, completed, torn_tmp))
t.eq(bad, 0, "maildir: every file ever seen in new/ is a complete message")
t.ok(torn_tmp > 0, "maildir: some kills landed while the message was written")
t.ok(completed + killed == ROUNDS, "maildir: every run was killed or done")

# --- mbox -----------------------------------------------------------------
mbox_path = os.path.join(HOME, "Mailbox")
set_qmail("./Mailbox")
span = calibrate()
t.diag("an mbox delivery of %d bytes takes %.1f ms" % (len(BIG),
                                                       span * 1000))


def mbox_messages():
    box = mailbox.mbox(mbox_path, create=False)
    msgs = [m.as_bytes(unixfrom=False) for m in box]
    box.close()
    return msgs


def unquote(b):
    import re
    return re.sub(rb"(?m)^>(>*From )", rb"\1", b)


WANT_SMALL = HDR + SMALL
WANT_BIG = HDR + BIG
torn_seen = bad_after = bad_before = killed = 0
xattr_ok = True
for rnd in range(ROUNDS):
    try:
        os.unlink(mbox_path)
    except FileNotFoundError:
        pass
    deliver(smallfile)
    rc = kill_at(rng.uniform(0, span * 1.3))
    killed += rc == -signal.SIGKILL
    # right after the kill: everything but a torn last message is whole
    msgs = [unquote(m).rstrip(b"\n") for m in mbox_messages()]
    if not msgs or msgs[0] != WANT_SMALL.rstrip(b"\n"):
        bad_before += 1
    if len(msgs) == 2 and msgs[1] != WANT_BIG.rstrip(b"\n"):
        torn_seen += 1
    if len(msgs) > 2:
        bad_before += 1
    # the next delivery repairs a torn tail before appending
    if deliver(smallfile) != 0:
        bad_after += 1
        continue
    msgs = [unquote(m).rstrip(b"\n") for m in mbox_messages()]
    want = [WANT_SMALL.rstrip(b"\n")]
    if len(msgs) == 3:
        want.append(WANT_BIG.rstrip(b"\n"))
    want.append(WANT_SMALL.rstrip(b"\n"))
    if msgs != want:
        bad_after += 1
    try:
        os.getxattr(mbox_path, "user.mbox.pending")
        xattr_ok = False
    except OSError:
        pass
t.diag("mbox: %d killed, %d left a torn message until the next delivery"
       % (killed, torn_seen))
t.eq(bad_before, 0, "mbox: a kill never damages the messages before it")
t.ok(torn_seen > 0, "mbox: some kills landed while the message was written")
t.eq(bad_after, 0, "mbox: after the next delivery, only complete messages")
t.ok(xattr_ok, "mbox: no pending mark is left after a delivery")

shutil.rmtree(TOP, ignore_errors=True)
t.done()
