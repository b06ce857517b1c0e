#!/usr/bin/env python3
"""Kill qmail-queue with SIGKILL at many points of a large message and show
that no todo entry ever points at an incomplete message or envelope.

The message is fed slowly (in chunks, with pauses) so that the kill lands
at different points: while the message is read, between message and
envelope, while the envelope is read, and after the input is complete
(while qmail-queue fsyncs and links).  The pattern of kill points is fixed
by a seed so a failure can be reproduced.
"""
import os
import random
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from tap import Tap, QHOME, QBIN, instance_reset  # noqa: E402
from queuetest import RECEIVED_RE, envelope, queue_files, read  # noqa: E402

ROUNDS = 60
CHUNK = 64 * 1024
CHUNKS = 32  # a 2 MiB message
t = Tap()
Q = os.path.join(QHOME, "queue")
rng = random.Random(20261122)

message = b"".join(b"Line %07d of a large message, with some padding.\n" % i
                   for i in range(CHUNK * CHUNKS // 50))
env = envelope("sender@example.org",
               ["rcpt%d@example.com" % i for i in range(200)])
env_records = env[:-1]  # what intd holds after the u and p records

instance_reset()
killed = completed = 0
stages = {"message": 0, "between": 0, "envelope": 0, "after": 0}
for rnd in range(ROUNDS):
    stage = ("message", "between", "envelope", "after")[rnd % 4]
    stages[stage] += 1
    mr, mw = os.pipe()
    er, ew = os.pipe()
    p = subprocess.Popen([os.path.join(QBIN, "qmail-queue")],
                         stdin=mr, stdout=er)
    os.close(mr)
    os.close(er)
    try:
        if stage == "message":
            stop = rng.randrange(1, CHUNKS)
            for i in range(stop):
                os.write(mw, message[i * CHUNK:(i + 1) * CHUNK])
                time.sleep(0.001)
        else:
            pos = 0
            while pos < len(message):
                pos += os.write(mw, message[pos:pos + CHUNK])
            os.close(mw)
            mw = -1
            time.sleep(rng.uniform(0, 0.02))
            if stage in ("envelope", "after"):
                cut = (rng.randrange(1, len(env)) if stage == "envelope"
                       else len(env))
                os.write(ew, env[:cut])
                if stage == "after":
                    os.close(ew)
                    ew = -1
                    time.sleep(rng.uniform(0, 0.003))
                else:
                    time.sleep(rng.uniform(0, 0.005))
    except BrokenPipeError:
        pass  # it already finished (or failed) on its own
    p.send_signal(signal.SIGKILL)
    rc = p.wait()
    if rc == -signal.SIGKILL:
        killed += 1
    elif rc == 0:
        completed += 1
    for fd in (mw, ew):
        if fd != -1:
            os.close(fd)

t.ok(killed >= ROUNDS // 2, "most rounds were really killed (%d of %d; "
     "%d completed first)" % (killed, ROUNDS, completed))
t.diag("kill stages: %r" % stages)

todo = queue_files("todo")
t.diag("%d messages reached todo/, %d files left in mess/"
       % (len(todo), len(queue_files("mess"))))
bad = []
for rel in todo:
    mpath = os.path.join(Q, "mess", rel)
    if not os.path.exists(mpath):
        bad.append("%s: todo without mess" % rel)
        continue
    body = read(mpath)
    m = RECEIVED_RE.match(body)
    if not m or body[m.end():] != message:
        bad.append("%s: incomplete message (%d bytes)" % (rel, len(body)))
    e = read(os.path.join(Q, "todo", rel))
    if not e.endswith(env_records) or not e.startswith(b"u"):
        bad.append("%s: incomplete envelope (%d bytes)" % (rel, len(e)))
t.eq(bad, [], "every todo entry points at a complete message and envelope")

# Rounds cut before the end of the envelope must never reach todo: those
# are at least the "message", "between" and "envelope" stages.
t.ok(len(todo) <= stages["after"],
     "no message whose envelope was cut reached todo/")
t.done()
