#!/usr/bin/env python3
"""Black-box tests of qmail-queue against the unprivileged test instance."""
import os
import resource
import signal
import stat
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from tap import Tap, QHOME, QBIN, instance_reset  # noqa: E402
from queuetest import (RECEIVED_RE, envelope, run_queue, queue_files,  # noqa
                   read)

SPLIT = 23  # the test build uses the default split
t = Tap()
Q = os.path.join(QHOME, "queue")


def queue_empty():
    return not (queue_files("mess") or queue_files("intd")
                or queue_files("todo") or queue_files("pid"))


# --- a message is queued in qmail's layout --------------------------------
instance_reset()
trigger = os.open(os.path.join(Q, "lock", "trigger"),
                  os.O_RDONLY | os.O_NONBLOCK)
msg = b"Subject: hello\n\nbody line\n"
env = envelope("a@example.org", ["x@example.com", "q@example.net"])
rc = run_queue(msg, env)
t.eq(rc, 0, "queues a message and exits 0")

mess = queue_files("mess")
todo = queue_files("todo")
intd = queue_files("intd")
t.eq(len(mess), 1, "exactly one file in mess/")
t.eq(len(todo), 1, "exactly one file in todo/")
t.eq(len(intd), 1, "exactly one file in intd/")
t.eq(queue_files("pid"), {}, "pid/ is left empty")
(mrel, mino), = mess.items()
num = int(os.path.basename(mrel))
t.eq(num, mino, "the message is named by its inode number")
t.eq(mrel, "%d/%d" % (num % SPLIT, num), "mess/ is split by inode %% 23")
t.eq(list(todo), ["%d/%d" % (num % SPLIT, num)], "todo/ is split too")
t.eq(list(intd), ["%d/%d" % (num % SPLIT, num)], "intd/ is split too")
t.eq(todo[mrel], intd[mrel], "todo entry is a link to the intd file")

body = read(os.path.join(Q, "mess", mrel))
m = RECEIVED_RE.match(body)
t.ok(m is not None, "message starts with qmail's Received line")
if m:
    t.eq(int(m.group(2)), os.getuid(), "Received line names the real uid")
    t.eq(body[m.end():], msg, "message body copied byte for byte")
    t.ok(abs(int(m.group(5)) - time.gmtime().tm_year) <= 1,
         "Received date is current")
else:
    t.diag(repr(body[:200]))

want_env = ("u%d\0p%s\0" % (os.getuid(), m.group(1).decode() if m else "?")
            ).encode() + b"Fa@example.org\0Tx@example.com\0Tq@example.net\0"
t.eq(read(os.path.join(Q, "intd", mrel)), want_env,
     "intd holds u, p, F and T records as qmail writes them")
st = os.stat(os.path.join(Q, "mess", mrel))
t.eq(stat.S_IMODE(st.st_mode), 0o644, "mess file mode 644")
t.eq(st.st_uid, os.getuid(), "mess file owned by the queue user")
st = os.stat(os.path.join(Q, "todo", mrel))
t.eq(stat.S_IMODE(st.st_mode), 0o644, "todo file mode 644")
try:
    poked = os.read(trigger, 16)
except BlockingIOError:
    poked = b""
t.ok(len(poked) >= 1, "lock/trigger was poked")
os.close(trigger)

# --- envelopes qmail accepts ----------------------------------------------
instance_reset()
t.eq(run_queue(b"x\n", envelope("", ["a@b.c"])), 0, "empty sender accepted")
t.eq(run_queue(b"x\n", envelope("a@b.c", [])), 0, "no recipients accepted")
t.eq(run_queue(b"", envelope("a@b.c", ["d@e.f"])), 0, "empty message ok")
t.eq(run_queue(b"x\n", envelope("a" * 1002, ["b" * 1002])), 0,
     "1002-byte addresses accepted (qmail's limit)")
t.eq(len(queue_files("todo")), 4, "four messages in todo/")

# --- message content is not touched ---------------------------------------
instance_reset()
binary = bytes(range(256)) * 4096 + b"\r\n.\r\n\0tail"
t.eq(run_queue(binary, envelope("a@b", ["c@d"])), 0, "1 MiB binary message")
(mrel, _), = queue_files("mess").items()
body = read(os.path.join(Q, "mess", mrel))
m = RECEIVED_RE.match(body)
t.ok(m is not None and body[m.end():] == binary,
     "NUL, CR, 8-bit bytes and dots kept exactly")

# --- failures leave nothing behind ----------------------------------------
def refused(message, env, code, name, preexec=None):
    instance_reset()
    t.eq(run_queue(message, env, preexec), code, name)
    t.ok(queue_empty(), name + ": nothing left in the queue")


refused(b"x\n", b"Xa@b\0Tc@d\0\0", 91, "envelope not starting with F: 91")
refused(b"x\n", b"Fa@b\0Xc@d\0\0", 91, "recipient not starting with T: 91")
refused(b"x\n", b"Fa@b\0Tc@d\0", 54, "envelope without final NUL: 54")
refused(b"x\n", b"Fa@b\0Tc@", 54, "envelope cut inside an address: 54")
refused(b"x\n", b"", 54, "empty envelope: 54")
refused(b"x\n", envelope("a" * 1003, ["b"]), 11, "1003-byte sender: 11")
refused(b"x\n", envelope("a", ["c", "b" * 1003]), 11,
        "1003-byte recipient: 11")
refused(b"x\n", envelope("a" * 1004, ["b"]), 11, "1004-byte sender: 11")
# CR or LF in an address would become a line break in a header: 12
refused(b"x\n", envelope(b"x@evil\nBcc: victim@a.b", ["b@c.d"]), 12,
        "LF in the sender: 12")
refused(b"x\n", envelope(b"x@evil\r", ["b@c.d"]), 12, "CR in the sender: 12")
refused(b"x\n", envelope("a@b.c", ["ok@c.d", b"b@c.d\r\nX: y"]), 12,
        "CR LF in a recipient: 12")
refused(b"x\n", envelope("a", ["b" * 5000]), 11, "5000-byte recipient: 11")


def small_fsize():
    resource.setrlimit(resource.RLIMIT_FSIZE, (65536, 65536))


refused(b"y" * 1000000, envelope("a", ["b"]), 53,
        "message over the file size limit: 53", small_fsize)

# An envelope past the 64 MiB bound is refused permanently.
big_env = b"Fa\0" + (b"T" + b"r" * 1000 + b"\0") * 67200 + b"\0"
refused(b"x\n", big_env, 31, "envelope over 64 MiB: 31")

# --- a broken queue gives the documented code -----------------------------
def broken(path, code, name):
    instance_reset()
    full = os.path.join(QHOME, path)
    subprocess.run(["rm", "-rf", full], check=True)
    t.eq(run_queue(b"x\n", envelope("a", ["b"])), code, name)


broken("queue/pid", 63, "missing queue/pid: 63")
broken("queue/mess", 64, "missing queue/mess: 64")
broken("queue/intd", 65, "missing queue/intd: 65")
t.eq(queue_files("mess"), {}, "intd failure removes the message file")
broken("queue/todo", 66, "missing queue/todo: 66")
t.eq(queue_files("mess"), {}, "todo failure removes the message file")
t.eq(queue_files("intd"), {}, "todo failure removes the intd file")
broken("queue", 62, "missing queue: 62")
instance_reset()
os.rename(QHOME, QHOME + ".away")
try:
    t.eq(run_queue(b"x\n", envelope("a", ["b"])), 61, "missing home: 61")
finally:
    os.rename(QHOME + ".away", QHOME)

# --- a timeout (SIGALRM) gives 52 and leaves nothing ----------------------
instance_reset()
r, w = os.pipe()
p = subprocess.Popen([os.path.join(QBIN, "qmail-queue")], stdin=r,
                     stdout=subprocess.DEVNULL)
os.close(r)
os.write(w, b"partial message\n")
# wait until the message file exists, then pretend a day has gone by
for _ in range(200):
    if queue_files("mess"):
        break
    time.sleep(0.01)
t.eq(len(queue_files("mess")), 1, "message file exists while reading")
p.send_signal(signal.SIGALRM)
t.eq(p.wait(timeout=30), 52, "SIGALRM (the day-long timeout): 52")
os.close(w)
t.ok(queue_empty(), "timeout leaves nothing in the queue")

t.done()
