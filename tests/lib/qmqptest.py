"""tests/lib/qmqptest.py - helpers shared by the QMQP and QMTP tests:
netstrings, running a server over pipes, and reading the test queue."""
import os
import re
import subprocess

from tap import QBIN, QHOME

Q = os.path.join(QHOME, "queue")
DATE = rb"\d{1,2} [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d -0000"
BASE_ENV = {"PATH": "/usr/bin:/bin", "TCPREMOTEIP": "192.0.2.7",
            "TCPREMOTEHOST": "client.example.net",
            "TCPLOCALHOST": "mx.example.org", "TCPLOCALIP": "192.0.2.1"}


def b(x):
    return x.encode() if isinstance(x, str) else x


def ns(data):
    """The netstring of data (str or bytes)."""
    data = b(data)
    return str(len(data)).encode() + b":" + data + b","


def parse_ns(buf):
    """[data, ...] of the netstrings in buf, and what is left over."""
    out = []
    while True:
        m = re.match(rb"(0|[1-9][0-9]*):", buf)
        if not m:
            return out, buf
        n = int(m.group(1))
        end = m.end() + n
        if len(buf) < end + 1 or buf[end:end + 1] != b",":
            return out, buf
        out.append(buf[m.end():end])
        buf = buf[end + 1:]


def control(name, text):
    path = os.path.join(QHOME, "control", name)
    if text is None:
        if os.path.exists(path):
            os.unlink(path)
        return
    with open(path, "w") as f:
        f.write(text)


def run(program, data, env=None, timeout=60):
    """Run program with data on fd 0; (stdout, exit code)."""
    e = dict(BASE_ENV)
    for k, v in (env or {}).items():
        if v is None:
            e.pop(k, None)
        else:
            e[k] = v
    p = subprocess.run([os.path.join(QBIN, program)], input=data,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       env=e, timeout=timeout)
    return p.stdout, p.returncode


def queued():
    """[(mess bytes, envelope without u/p records)] of committed messages,
    oldest inode first."""
    out = []
    for dp, _, files in os.walk(os.path.join(Q, "mess")):
        for f in files:
            sub = os.path.basename(dp)
            todo = os.path.join(Q, "todo", sub, f)
            if not os.path.exists(todo):
                continue
            with open(os.path.join(dp, f), "rb") as m, open(todo, "rb") as e:
                out.append((int(f), m.read(),
                            re.sub(rb"^u\d+\0p\d+\0", b"", e.read())))
    return [(m, e) for _, m, e in sorted(out)]


def leftovers():
    """Files in mess/, intd/ or todo/ (a failed message leaves none)."""
    n = 0
    for sub in ("mess", "intd", "todo"):
        for _, _, files in os.walk(os.path.join(Q, sub)):
            n += len(files)
    return n


def clear_queue():
    for sub in ("mess", "todo", "intd"):
        for dp, _, files in os.walk(os.path.join(Q, sub)):
            for f in files:
                os.unlink(os.path.join(dp, f))


def split_received(mess, protocol):
    """(qmail-queue's Received, the server's Received, rest), or Nones."""
    m = re.match(rb"(Received: \(qmail \d+ invoked by uid \d+\); " + DATE +
                 rb"\n)(Received: from [^\n]*\n  by [^\n]* with " +
                 protocol + rb"; " + DATE + rb"\n)", mess)
    if not m:
        return None, None, mess
    return m.group(1), m.group(2), mess[m.end():]
