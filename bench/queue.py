#!/usr/bin/env python3
"""bench/queue.py - how fast qmail-queue commits messages.

Usage: bench/queue.py [COUNT [SIZE]]   (default 500 messages of 4096 bytes)

Builds a private unprivileged instance in build/bench (unless it exists),
queues COUNT messages one after another, and prints the wall time per
message, the CPU time per message (user+system of the qmail-queue
processes) and the message rate.  The wall time is dominated by the
fsyncs of the durability protocol, so it depends on the disk.
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
count = int(sys.argv[1]) if len(sys.argv) > 1 else 500
size = int(sys.argv[2]) if len(sys.argv) > 2 else 4096

subprocess.run(["make", "--no-print-directory", "-C", top, "BUILD=" + build,
                "UNPRIV=1", "QMAIL_HOME=" + home, "all"], check=True,
               stdout=subprocess.DEVNULL)
shutil.rmtree(home, ignore_errors=True)
subprocess.run([os.path.join(build, "bin", "install"), build], check=True,
               stdout=subprocess.DEVNULL)

line = b"x" * 71 + b"\n"
message = b"Subject: bench\n\n" + line * max(0, (size - 16) // 72)
env = b"Fbench@example.org\0Tuser@example.com\0\0"
qq = os.path.join(build, "bin", "qmail-queue")

with tempfile.TemporaryFile() as m, tempfile.TemporaryFile() as e:
    m.write(message)
    e.write(env)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.monotonic()
    for _ in range(count):
        m.seek(0)
        e.seek(0)
        rc = subprocess.call([qq], stdin=m, stdout=e)
        if rc != 0:
            sys.exit("qmail-queue exited %d" % rc)
    wall = time.monotonic() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)

cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
print("qmail-queue: %d messages of %d bytes" % (count, len(message)))
print("  wall  %.3f ms/message (%.0f messages/s)"
      % (wall / count * 1000, count / wall))
print("  cpu   %.3f ms/message (user+system of qmail-queue)"
      % (cpu / count * 1000))
