"""tests/lib/qmqptest.py - helpers shared by the QMQP and QMTP tests:
netstrings, running a server over pipes, and reading the test queue."""
import os
import re

from tap import QHOME
from queuetest import clear_queue, committed, control, strip_uid_pid  # noqa
from servers import BASE_ENV, run_piped as run  # noqa

Q = os.path.join(QHOME, "queue")
DATE = rb"\d{1,2} [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d -0000"


def b(x):
    """x as bytes (a str is UTF-8 encoded)."""
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


def queued():
    """[(mess bytes, envelope without u/p records)] of committed messages,
    oldest inode first."""
    return [(m, strip_uid_pid(e)) for _, m, e in committed()]


def leftovers():
    """Files in mess/, intd/ or todo/ (a failed message leaves none)."""
    n = 0
    for sub in ("mess", "intd", "todo"):
        for _, _, files in os.walk(os.path.join(Q, sub)):
            n += len(files)
    return n


def split_received(mess, protocol):
    """(qmail-queue's Received, the server's Received, rest), or Nones."""
    m = re.match(rb"(Received: \(qmail \d+ invoked by uid \d+\); " + DATE +
                 rb"\n)(Received: from [^\n]*\n  by [^\n]* with " +
                 protocol + rb"; " + DATE + rb"\n)", mess)
    if not m:
        return None, None, mess
    return m.group(1), m.group(2), mess[m.end():]
