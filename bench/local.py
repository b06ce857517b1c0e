#!/usr/bin/env python3
"""bench/local.py - how fast qmail-local delivers into a Maildir.

Usage: bench/local.py [COUNT [SIZE]]   (default 1000 messages of 4096 bytes)

Builds a private unprivileged instance in build/bench (unless it is up to
date), makes a home directory with a Maildir, runs qmail-local COUNT times
with the default delivery ./Maildir/ and prints wall and CPU time per
delivery and deliveries per second.  Every delivery fsyncs the message and
new/, so the wall time depends on the disk.
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
count = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
size = int(sys.argv[2]) if len(sys.argv) > 2 else 4096

subprocess.run(["make", "--no-print-directory", "-C", top, "BUILD=" + build,
                "UNPRIV=1", "QMAIL_HOME=" + os.path.join(build, "home"),
                "all"], check=True, stdout=subprocess.DEVNULL)
ql = os.path.join(build, "bin", "qmail-local")

home = tempfile.mkdtemp(prefix="bench-local.")
os.chmod(home, 0o755)
for d in ("cur", "new", "tmp"):
    os.makedirs(os.path.join(home, "Maildir", d), mode=0o700)

line = b"x" * 71 + b"\n"
message = b"Subject: bench\n\n" + line * max(0, (size - 16) // 72)
user = os.environ.get("USER", "root")
argv = [ql, "--", user, home, "user", "", "", "example.com",
        "sender@example.org", "./Maildir/"]

try:
    with tempfile.TemporaryFile() as m:
        m.write(message)
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.monotonic()
        for _ in range(count):
            m.seek(0)
            rc = subprocess.call(argv, stdin=m, stdout=subprocess.DEVNULL)
            if rc != 0:
                sys.exit("qmail-local exited %d" % rc)
        wall = time.monotonic() - t0
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    delivered = len(os.listdir(os.path.join(home, "Maildir", "new")))
finally:
    shutil.rmtree(home, ignore_errors=True)

if delivered != count:
    sys.exit("expected %d messages in new/, found %d" % (count, delivered))
cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
print("qmail-local: %d Maildir deliveries of %d bytes" % (count, len(message)))
print("  wall  %.3f ms/delivery (%.0f deliveries/s)"
      % (wall / count * 1000, count / wall))
print("  cpu   %.3f ms/delivery (user+system of qmail-local)"
      % (cpu / count * 1000))
