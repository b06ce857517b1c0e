#!/usr/bin/env python3
"""Black-box tests of qmail-qstat: qmail's two lines, exact counts."""
import os
import pwd
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from tap import Tap, QHOME, QBIN, instance_reset  # noqa: E402
from queuetest import envelope, run_queue, queue_files, run_tool  # noqa: E402,E501

SPLIT = 23
t = Tap()
Q = os.path.join(QHOME, "queue")
QSTAT = os.path.join(QBIN, "qmail-qstat")


def qstat(preexec=None):
    return run_tool(QSTAT, preexec)


def lines(mess, todo):
    return ("messages in queue: %d\n"
            "messages in queue but not yet preprocessed: %d\n"
            % (mess, todo)).encode()


# --- empty queue -----------------------------------------------------------
instance_reset()
t.eq(qstat(), (0, lines(0, 0), b""), "empty queue: both counts 0")

# --- messages queued with qmail-queue ---------------------------------------
for i in range(3):
    rc = run_queue(b"Subject: %d\n\nbody\n" % i,
                   envelope("a@example.org", ["b@example.com"]))
    assert rc == 0
t.eq(qstat(), (0, lines(3, 3), b""), "three queued messages: 3 and 3")

# One preprocessed, as qmail-send and qmail-clean leave it: todo/ and intd/
# entries gone, info/ made; the message stays in mess/.
rel = sorted(queue_files("todo"))[0]
os.unlink(os.path.join(Q, "todo", rel))
os.unlink(os.path.join(Q, "intd", rel))
with open(os.path.join(Q, "info", rel), "wb") as f:
    f.write(b"Fa@example.org\0")
t.eq(qstat()[1], lines(3, 2), "one preprocessed: 3 in queue, 2 not yet")

# One delivered completely: its mess file is gone too.
os.unlink(os.path.join(Q, "info", rel))
os.unlink(os.path.join(Q, "mess", rel))
t.eq(qstat()[1], lines(2, 2), "one finished: 2 and 2")

# --- counts across every split subdirectory --------------------------------
instance_reset()
for num in range(5000, 5000 + 230):
    s = str(num % SPLIT)
    open(os.path.join(Q, "mess", s, str(num)), "wb").close()
    if num % 2:
        open(os.path.join(Q, "todo", s, str(num)), "wb").close()
t.eq(qstat()[1], lines(230, 115), "230 messages over all 23 subdirectories")

# --- who may count ----------------------------------------------------------
if os.getuid() == 0:
    nobody = pwd.getpwnam("nobody")

    def as_nobody():
        os.setgid(nobody.pw_gid)
        os.setgroups([])
        os.setuid(nobody.pw_uid)

    rc, out, err = qstat(as_nobody)
else:
    todo0 = os.path.join(Q, "todo", "0")
    os.chmod(todo0, 0)
    try:
        rc, out, err = qstat()
    finally:
        os.chmod(todo0, 0o750)
t.eq(rc, 111, "queue not readable: exit 111")
t.eq(out, b"", "queue not readable: no half answer on stdout")
t.ok(err.startswith(b"qmail-qstat: fatal: unable to ")
     and b"Permission denied" in err, "queue not readable: says so")
t.ok(b"must be run as root or with group id qmail" in err,
     "queue not readable: says who may run it")

os.rename(QHOME, QHOME + ".moved")
try:
    rc, out, err = qstat()
finally:
    os.rename(QHOME + ".moved", QHOME)
t.ok(rc == 111 and b"unable to chdir to " in err,
     "no qmail home: exit 111 and says so")

t.done()
