"""tests/lib/queue.py - run qmail-queue and look into the test queue."""
import os
import re
import subprocess

from tap import QBIN, QHOME

RECEIVED_RE = re.compile(
    rb"^Received: \(qmail (\d+) invoked by uid (\d+)\); "
    rb"(\d{1,2}) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) "
    rb"(\d{4}) (\d\d):(\d\d):(\d\d) -0000\n")


def envelope(sender, recipients):
    """The qmail-queue envelope for sender and recipients (str or bytes)."""
    def b(x):
        return x.encode() if isinstance(x, str) else x
    out = b"F" + b(sender) + b"\0"
    for r in recipients:
        out += b"T" + b(r) + b"\0"
    return out + b"\0"


def run_queue(message, env, preexec=None, timeout=60):
    """Run qmail-queue with message on fd 0 and env on fd 1; return the exit
    code.  Both are fed from temporary files so nothing blocks."""
    import tempfile
    with tempfile.TemporaryFile() as m, tempfile.TemporaryFile() as e:
        m.write(message)
        m.seek(0)
        e.write(env)
        e.seek(0)
        p = subprocess.run([os.path.join(QBIN, "qmail-queue")], stdin=m,
                           stdout=e, stderr=subprocess.PIPE,
                           preexec_fn=preexec, timeout=timeout)
        return p.returncode


def queue_files(sub):
    """Every file under queue/sub, as {relative path: inode}."""
    out = {}
    top = os.path.join(QHOME, "queue", sub)
    for dirpath, dirs, files in os.walk(top):
        for f in files:
            full = os.path.join(dirpath, f)
            out[os.path.relpath(full, top)] = os.lstat(full).st_ino
    return out


def read(path):
    with open(path, "rb") as f:
        return f.read()
