"""tests/lib/queuetest.py - run qmail-queue, look into the test queue and
set the test instance's control files."""
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
    """The bytes of the file path."""
    with open(path, "rb") as f:
        return f.read()


def queue_message(body, sender, recipients):
    """Queue body for sender and recipients with qmail-queue (asserting
    that it succeeds) and return the new message's number."""
    before = set(queue_files("mess"))
    rc = run_queue(body, envelope(sender, list(recipients)))
    assert rc == 0, rc
    new = set(queue_files("mess")) - before
    assert len(new) == 1
    return int(os.path.basename(new.pop()))


def set_file(path, text):
    """Write text to path, or remove path if text is None."""
    if text is None:
        if os.path.exists(path):
            os.unlink(path)
        return
    with open(path, "w") as f:
        f.write(text)


def control(name, text):
    """Write control/name of the test instance (text None removes it).
    A name with a directory part (tlshosts/x.pem) makes the directory."""
    path = os.path.join(QHOME, "control", name)
    if text is not None:
        os.makedirs(os.path.dirname(path), exist_ok=True)
    set_file(path, text)


def committed():
    """[(number, mess bytes, todo bytes)] of every committed message (one
    with both mess/ and todo/ files), in order of number."""
    q = os.path.join(QHOME, "queue")
    out = []
    for dp, _, files in os.walk(os.path.join(q, "mess")):
        for f in files:
            todo = os.path.join(q, "todo", os.path.basename(dp), f)
            if not os.path.exists(todo):
                continue  # not committed (qmail-queue is cleaning up)
            out.append((int(f), read(os.path.join(dp, f)), read(todo)))
    return sorted(out)


def strip_uid_pid(env):
    """An envelope without qmail-queue's leading u and p records."""
    return re.sub(rb"^u\d+\0p\d+\0", b"", env)


def clear_queue():
    """Remove every file under mess/, todo/ and intd/ of the test queue
    (one that disappears meanwhile is fine)."""
    for sub in ("mess", "todo", "intd"):
        for dp, _, files in os.walk(os.path.join(QHOME, "queue", sub)):
            for f in files:
                try:
                    os.unlink(os.path.join(dp, f))
                except FileNotFoundError:
                    pass


def run_tool(path, preexec=None, timeout=60):
    """Run the program path with no input, preexec_fn preexec; returns
    (exit code, stdout bytes, stderr bytes)."""
    p = subprocess.run([path], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       preexec_fn=preexec, timeout=timeout)
    return p.returncode, p.stdout, p.stderr


def queued_records():
    """[(mess bytes, [envelope record as str, ...])] of every message in
    todo/, in order of its todo/ path."""
    res = []
    for rel in sorted(queue_files("todo")):
        env = read(os.path.join(QHOME, "queue", "todo", rel))
        mess = read(os.path.join(QHOME, "queue", "mess", rel))
        recs = [r.decode("latin-1") for r in env.split(b"\0") if r]
        res.append((mess, recs))
    return res
