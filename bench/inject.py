#!/usr/bin/env python3
"""bench/inject.py - how fast local programs hand mail to the queue.

Usage: bench/inject.py [COUNT [SIZE]]   (default 1000 messages of 4096 bytes)

Builds a private unprivileged instance in build/bench, then injects COUNT
messages one after another with `sendmail -f sender rcpt` (sendmail runs
qmail-inject, which runs qmail-queue), and prints wall and CPU time per
message and messages per second.
"""
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time

top = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
build = os.path.join(top, "build", "bench")
home = os.path.join(build, "home")
count = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
size = int(sys.argv[2]) if len(sys.argv) > 2 else 4096

subprocess.run(["make", "--no-print-directory", "-C", top, "BUILD=" + build,
                "UNPRIV=1", "QMAIL_HOME=" + home, "all"], check=True,
               stdout=subprocess.DEVNULL)
shutil.rmtree(home, ignore_errors=True)
subprocess.run([os.path.join(build, "bin", "install"), build, top],
               check=True, stdout=subprocess.DEVNULL)
with open(os.path.join(home, "control", "me"), "w") as f:
    f.write("bench.example.org\n")

line = b"x" * 71 + b"\n"
head = b"From: bench@example.org\nTo: user@example.com\nSubject: bench\n\n"
message = head + line * max(0, (size - len(head)) // 72)
argv = [os.path.join(build, "bin", "sendmail"), "-f", "bench@example.org",
        "user@example.com"]
env = dict(os.environ, QMAILQUEUE="")

with tempfile.TemporaryFile() as m:
    m.write(message)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.monotonic()
    for _ in range(count):
        m.seek(0)
        rc = subprocess.call(argv, stdin=m, env=env)
        if rc != 0:
            sys.exit("sendmail exited %d" % rc)
    wall = time.monotonic() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)

queued = sum(len(files) for _, _, files in
             os.walk(os.path.join(home, "queue", "todo")))
if queued != count:
    sys.exit("expected %d messages in todo/, found %d" % (count, queued))
cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
print("sendmail: %d injections of %d bytes" % (count, len(message)))
print("  wall  %.3f ms/message (%.0f messages/s)"
      % (wall / count * 1000, count / wall))
print("  cpu   %.3f ms/message (sendmail + qmail-inject + qmail-queue)"
      % (cpu / count * 1000))
