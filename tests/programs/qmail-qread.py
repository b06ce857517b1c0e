#!/usr/bin/env python3
"""Black-box tests of qmail-qread: qmail's output format, byte for byte.

Messages are queued with the real qmail-queue; the files qmail-send's
preprocessing makes (info/S/N with the F record, local/S/N and remote/S/N
with T and D records) are written by hand in qmail's format.
"""
import os
import pwd
import stat
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from tap import Tap, QHOME, QBIN, instance_reset  # noqa: E402
from queuetest import queue_message, run_tool  # noqa: E402

SPLIT = 23
t = Tap()
Q = os.path.join(QHOME, "queue")
QREAD = os.path.join(QBIN, "qmail-qread")


def qread(preexec=None):
    return run_tool(QREAD, preexec, timeout=120)


def queue_one(sender="a@example.org", rcpts=("x@example.com",), body=b"x\n"):
    """Queue a message with qmail-queue and return its number."""
    return queue_message(body, sender, rcpts)


def qpath(sub, num):
    if sub == "bounce":
        return os.path.join(Q, sub, str(num))
    return os.path.join(Q, sub, str(num % SPLIT), str(num))


def write(path, data, mtime=None):
    with open(path, "wb") as f:
        f.write(data)
    if mtime is not None:
        os.utime(path, (mtime, mtime))


def preprocess(num, sender, local=(), remote=(), mtime=None, extra=b""):
    """What qmail-send's preprocessing leaves: info (F record) and one
    record per recipient, (recipient, done) pairs, in local and remote;
    the todo and intd entries are removed, as qmail-clean would."""
    s = sender.encode() if isinstance(sender, str) else sender
    write(qpath("info", num), extra + b"F" + s + b"\0", mtime)
    for sub, rcpts in (("local", local), ("remote", remote)):
        if rcpts:
            data = b""
            for r, done in rcpts:
                rb = r.encode() if isinstance(r, str) else r
                data += (b"D" if done else b"T") + rb + b"\0"
            write(qpath(sub, num), data)
    for sub in ("todo", "intd"):
        try:
            os.unlink(qpath(sub, num))
        except FileNotFoundError:
            pass


def blocks(out):
    """Split qmail-qread's output into {number: block bytes} and the
    order of the numbers."""
    result, order, cur = {}, [], None
    for line in out.split(b"\n")[:-1]:
        if line.startswith(b"\t") or line.startswith(b"  done\t"):
            result[cur] += line + b"\n"
        else:
            cur = int(line.split(b"#")[1].split(b" ")[0])
            order.append(cur)
            result[cur] = line + b"\n"
    return result, order


def size(num):
    return os.stat(qpath("mess", num)).st_size


# --- an empty queue -------------------------------------------------------
instance_reset()
rc, out, err = qread()
t.eq((rc, out, err), (0, b"", b""), "empty queue: no output, exit 0")

# --- messages in several states --------------------------------------------
a = queue_one("alice@example.org", ["bob@here.example", "x@far.example"],
              b"Subject: a\n\nhello\n")
b = queue_one("j\u00f6rg@example.de", ["evil@x"])
c = queue_one("", ["postmaster@here.example"])
d = queue_one("todo-only@example.org", ["q@example.com"])
e = queue_one("u@example.org", [])

# 14 Nov 2023 22:13:20 GMT; 2 Jan 2024 03:04:05 GMT (one-digit day).
T1, T2 = 1700000000, 1704164645
preprocess(a, "alice@example.org",
           local=[("bob@here.example", False), ("carol@here.example", True)],
           remote=[("x@far.example", False), ("y@far.example", True),
                   ("z@far.example", False)], mtime=T1)
# qmail-queue's u and p records copied in front of F must not matter.
preprocess(b, "j\u00f6rg@example.de".encode("utf-8"),
           remote=[(b"evil\nline\x7f@x\x01", False)], mtime=T2,
           extra=b"u1000\0p4242\0")
preprocess(c, "", local=[("postmaster@here.example", True)], mtime=T1)
write(qpath("bounce", c), b"")
preprocess(e, "u@example.org", mtime=T2)

want = {
    a: ("14 Nov 2023 22:13:20 GMT  #%d  %d  <alice@example.org> \n"
        "\tlocal\tbob@here.example\n"
        "  done\tlocal\tcarol@here.example\n"
        "\tremote\tx@far.example\n"
        "  done\tremote\ty@far.example\n"
        "\tremote\tz@far.example\n" % (a, size(a))).encode(),
    b: ("2 Jan 2024 03:04:05 GMT  #%d  %d  <j__rg@example.de> \n"
        "\tremote\tevil_line_@x_\n" % (b, size(b))).encode(),
    c: ("14 Nov 2023 22:13:20 GMT  #%d  %d  <>  bouncing\n"
        "  done\tlocal\tpostmaster@here.example\n" % (c, size(c))).encode(),
    e: ("2 Jan 2024 03:04:05 GMT  #%d  %d  <u@example.org> \n"
        % (e, size(e))).encode(),
}
rc, out, err = qread()
t.eq(rc, 0, "several messages: exit 0")
t.eq(err, b"", "several messages: nothing on stderr")
got, order = blocks(out)
for num, label in ((a, "local and remote, done and not done, in qmail's "
                       "format"),
                   (b, "8-bit sender and control bytes shown as _"),
                   (c, "empty sender as <>, bounce file adds ' bouncing'"),
                   (e, "message without recipients: header line only")):
    t.eq(got.get(num), want[num], label)
t.ok(d not in got, "message still in todo/ (not preprocessed) is not listed")
t.eq(b"".join(got[n] for n in order), out, "output is exactly the blocks")
t.eq(sorted(order), sorted([a, b, c, e]), "each message listed once")
t.eq([n % SPLIT for n in order], sorted(n % SPLIT for n in order),
     "messages listed in info/ subdirectory order")

# --- trouble with one message does not stop the listing -------------------
os.rename(qpath("mess", e), qpath("mess", e) + ".away")
write(qpath("info", b), b"u1\0p2\0")  # no F record
rc, out, err = qread()
got, order = blocks(out)
t.eq(rc, 0, "trouble with a message: still exit 0, as qmail")
t.ok(b"warning: trouble with #%d: No such file or directory" % e in err,
     "missing mess file: qmail's 'trouble with #N' warning")
t.ok(b"trouble with #%d: no sender" % b in err,
     "info without an F record: warning")
t.eq(sorted(order), sorted([a, c]), "the other messages are still listed")
t.eq(got.get(a), want[a], "and unchanged")
os.rename(qpath("mess", e) + ".away", qpath("mess", e))
write(qpath("info", b), b"u1000\0p4242\0F" + "j\u00f6rg@example.de".encode()
      + b"\0", T2)

# --- a record far too long is trouble, not unbounded memory ----------------
write(qpath("info", e), b"F" + b"x" * (2 * 1024 * 1024) + b"\0", T2)
rc, out, err = qread()
t.ok(b"trouble with #%d: Argument list too long" % e in err,
     "2 MB sender record: reported as trouble")
t.ok(b"#%d " % e not in out, "and the message is skipped")
t.eq(rc, 0, "and qmail-qread goes on (exit 0)")

# --- a last record without its NUL is not shown (being written) ----------
preprocess(e, "u@example.org", mtime=T2)
write(qpath("remote", e), b"Tdone-soon@x\0Tpartial@x")
rc, out, err = qread()
got, _ = blocks(out)
t.eq(got.get(e), want[e][:-1] + b"\n\tremote\tdone-soon@x\n",
     "unterminated last recipient record is not shown")

# --- junk in info/ is ignored -------------------------------------------
write(os.path.join(Q, "info", "3", ".nfs123"), b"Fjunk\0")
write(os.path.join(Q, "info", "3", "12abc"), b"Fjunk\0")
rc, out, err = qread()
t.ok(rc == 0 and b"junk" not in out and err == b"",
     "names that are not message numbers are skipped")
os.unlink(os.path.join(Q, "info", "3", ".nfs123"))
os.unlink(os.path.join(Q, "info", "3", "12abc"))

# --- a large queue lists every message ------------------------------------
instance_reset()
N = 2000
base = 1000000
for i in range(N):
    num = base + i
    write(qpath("mess", num), b"Received: x\n\n" + b"y" * (i % 50))
    preprocess(num, "s%d@example.org" % i,
               local=[("l%d@here" % i, i % 3 == 0)],
               remote=[("r%d@far" % i, i % 2 == 0)], mtime=T1 + i)
t0 = time.time()
rc, out, err = qread()
got, order = blocks(out)
t.eq(rc, 0, "%d messages: exit 0" % N)
t.eq(len(order), N, "%d messages: every one listed" % N)
t.eq(len(set(order)), N, "%d messages: none twice" % N)
bad = []
for i in range(N):
    num = base + i
    tm = time.gmtime(T1 + i)
    hdr = "%d %s %d %02d:%02d:%02d GMT  #%d  %d  <s%d@example.org> \n" % (
        tm.tm_mday, time.strftime("%b", tm), tm.tm_year, tm.tm_hour,
        tm.tm_min, tm.tm_sec, num, 13 + i % 50, i)
    w = (hdr + ("  done" if i % 3 == 0 else "") + "\tlocal\tl%d@here\n" % i
         + ("  done" if i % 2 == 0 else "") + "\tremote\tr%d@far\n" % i)
    if got.get(num) != w.encode():
        bad.append(num)
t.eq(bad[:5], [], "%d messages: each entry exact" % N)
t.diag("qmail-qread listed %d messages in %.2fs" % (N, time.time() - t0))

# --- who may read the queue -------------------------------------------------
instance_reset()
num = queue_one()
preprocess(num, "a@example.org", remote=[("x@example.com", False)])
if os.getuid() == 0:
    nobody = pwd.getpwnam("nobody")

    def as_nobody():
        os.setgid(nobody.pw_gid)
        os.setgroups([])
        os.setuid(nobody.pw_uid)

    rc, out, err = qread(as_nobody)
    t.eq(rc, 111, "queue not readable: exit 111")
    t.eq(out, b"", "queue not readable: nothing on stdout")
    t.ok(err.startswith(b"qmail-qread: fatal: unable to chdir to queue: "
                        b"Permission denied"),
         "queue not readable: says so")
    t.ok(b"must be run as root or with user id qmails and group id qmail"
         in err, "queue not readable: says who may read it")
    # A queue/ the caller may enter, but info/ (mode 700) it may not read.
    qmode = stat.S_IMODE(os.stat(Q).st_mode)
    os.chmod(Q, 0o755)
    try:
        rc, out, err = qread(as_nobody)
    finally:
        os.chmod(Q, qmode)
    t.eq(rc, 111, "info/ not readable: exit 111")
    t.ok(err.startswith(b"qmail-qread: fatal: unable to open queue/info/0: "
                        b"Permission denied (qmail-qread must be run as "
                        b"root"), "info/ not readable: says which directory")
else:
    info0 = os.path.join(Q, "info", "0")
    os.chmod(info0, 0)
    try:
        rc, out, err = qread()
    finally:
        os.chmod(info0, 0o700)
    t.eq(rc, 111, "info/ not readable: exit 111")
    t.ok(b"unable to open queue/info/0: Permission denied" in err,
         "info/ not readable: says which directory")
    t.ok(b"must be run as root or with user id qmails" in err,
         "info/ not readable: says who may read it")

shutil_home = QHOME + ".moved"
os.rename(QHOME, shutil_home)
try:
    rc, out, err = qread()
finally:
    os.rename(shutil_home, QHOME)
t.eq(rc, 111, "no qmail home: exit 111")
t.ok(b"qmail-qread: fatal: unable to chdir to " in err
     and b"No such file or directory" in err, "no qmail home: says so")

t.done()
