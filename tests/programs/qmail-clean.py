#!/usr/bin/env python3
"""Black-box tests of qmail-clean: the foop/N and todo/N commands of
spawnproto.h, one reply byte each, bad commands refused."""
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from tap import Tap, QHOME, QBIN, instance_reset  # noqa: E402

t = Tap()
instance_reset()
Q = os.path.join(QHOME, "queue")
SPLIT = len(os.listdir(os.path.join(Q, "mess")))
CLEAN = os.path.join(QBIN, "qmail-clean")


def path(kind, n):
    return os.path.join(Q, kind, str(n % SPLIT), str(n))


def make(kind, n):
    with open(path(kind, n), "w") as f:
        f.write("x")


def run(data):
    p = subprocess.run([CLEAN], input=data, capture_output=True)
    return p.returncode, p.stdout


for n in (101, 102):
    for k in ("intd", "mess", "todo", "info"):
        make(k, n)

rc, out = run(b"todo/101\0")
t.eq((rc, out), (0, b"+"), "todo/N answers + and exits 0 at end")
t.ok(not os.path.exists(path("todo", 101)), "todo/N removes todo/S/N")
t.ok(not os.path.exists(path("intd", 101)), "todo/N removes intd/S/N")
t.ok(os.path.exists(path("mess", 101)), "todo/N leaves mess/S/N")
t.ok(os.path.exists(path("info", 101)), "todo/N leaves info/S/N")

rc, out = run(b"foop/101\0")
t.eq(out, b"+", "foop/N answers +")
t.ok(not os.path.exists(path("mess", 101)), "foop/N removes mess/S/N")

rc, out = run(b"foop/101\0todo/101\0")
t.eq(out, b"++", "files already gone count as removed")

rc, out = run(b"foop/102\0")
t.ok(not os.path.exists(path("mess", 102)) and
     not os.path.exists(path("intd", 102)), "foop/N removes intd and mess")
t.ok(os.path.exists(path("todo", 102)), "foop/N leaves todo alone")

bad = [b"todo/\0", b"info/102\0", b"todo/1x\0", b"foop/../102\0",
       b"todo/" + b"9" * 200 + b"\0", b"\0", b"todo/99999999999999999999999\0"]
rc, out = run(b"".join(bad) + b"todo/102\0")
t.eq(out, b"x" * len(bad) + b"+", "bad commands answered x, stream stays "
     "in step")
t.ok(not os.path.exists(path("todo", 102)), "the good command after them "
     "still works")

# a removal that fails: a directory in place of the file
os.mkdir(path("mess", 103))
rc, out = run(b"foop/103\0")
t.eq(out, b"!", "a failing unlink answers !")
os.rmdir(path("mess", 103))

# stale pid files are swept, fresh ones kept
old = os.path.join(Q, "pid", "old")
new = os.path.join(Q, "pid", "new")
for p in (old, new):
    with open(p, "w") as f:
        f.write("")
os.utime(old, (1000, 1000))
rc, out = run(b"")
t.ok(not os.path.exists(old), "pid file older than 36 hours removed")
t.ok(os.path.exists(new), "fresh pid file kept")

# durability order: intd and todo go before mess (strace, if available)
import shutil  # noqa: E402
if shutil.which("strace"):
    make("intd", 104)
    make("mess", 104)
    p = subprocess.run(["strace", "-f", "-e", "trace=unlink,fsync", CLEAN],
                       input=b"foop/104\0", capture_output=True)
    calls = [ln for ln in p.stderr.decode().splitlines()
             if "unlink(" in ln or "fsync(" in ln]
    kinds = []
    for ln in calls:
        if "unlink(" in ln:
            kinds.append("unlink-intd" if "intd" in ln else "unlink-mess")
        else:
            kinds.append("fsync")
    t.eq(kinds, ["unlink-intd", "fsync", "unlink-mess", "fsync"],
         "intd unlinked and fsynced before mess")
else:
    t.skip("intd unlinked and fsynced before mess", "no strace")
t.done()
