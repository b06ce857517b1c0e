#!/usr/bin/env python3
"""splogger: lines to syslog with a time stamp, unsafe bytes neutralised,
long lines cut.  The formatting is checked through SPLOGGER_STDOUT (the
formatted lines go to stdout instead of syslog); as root, the syslog path
is checked too with a private /dev/log in a mount namespace."""
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from tap import Tap, QBIN  # noqa: E402

t = Tap()
SP = os.path.join(QBIN, "splogger")
STAMP = r"\d+\.\d{6} "


def run(args, data):
    env = dict(os.environ, SPLOGGER_STDOUT="1")
    p = subprocess.run([SP] + args, input=data, capture_output=True, env=env)
    return p.returncode, p.stdout.decode("ascii", "replace"), p.stderr


rc, out, _ = run([], b"new msg 123\nwarning: trouble\n")
lines = out.splitlines()
t.eq(rc, 0, "exit 0 at end of input")
t.eq(len(lines), 2, "one log line per input line")
t.ok(re.fullmatch("qmail: " + STAMP + "new msg 123", lines[0]) is not None,
     "default tag qmail, seconds.microseconds stamp, the line")
rc, out, _ = run(["smtpd"], b"ctl\x01\x1b[31m\xff\n")
t.ok(re.fullmatch("smtpd: " + STAMP + r"ctl\?\?\[31m\?", out.strip())
     is not None, "tag from argv; control and 8-bit bytes become ?")
rc, out, _ = run([], b"x" * 2000 + b"\n")
pieces = out.splitlines()
t.eq(len(pieces), 3, "a 2000-byte line is cut into 800-byte pieces")
t.ok(all(len(p.split(" ", 2)[2]) <= 800 for p in pieces),
     "no piece longer than 800 bytes")
rc, out, _ = run([], b"no newline at end")
t.ok(out.strip().endswith("no newline at end"), "a last line without LF")
rc, _, err = run(["qmail", "99"], b"x\n")
t.eq(rc, 100, "facility out of range: exit 100")
rc, _, err = run(["qmail", "abc"], b"x\n")
t.eq(rc, 100, "facility not a number: exit 100")

if os.geteuid() == 0 and shutil.which("unshare"):
    d = tempfile.mkdtemp()
    path = os.path.join(d, "log")
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind(path)
    s.settimeout(10)
    p = subprocess.run(
        ["unshare", "-m", "sh", "-c",
         # a private /dev (tmpfs) holding only our log socket
         'mount -t tmpfs none /dev && : > /dev/log && '
         'mount --bind "$1" /dev/log && exec "$2" qtag', "sh", path, SP],
        input=b"delivery 1: success\nwarning: odd\n", capture_output=True)
    got = []
    try:
        while len(got) < 2:
            got.append(s.recv(4096).decode("ascii", "replace"))
    except socket.timeout:
        pass
    s.close()
    shutil.rmtree(d)
    t.eq(p.returncode, 0, "splogger ran with a private /dev/log")
    t.ok(len(got) == 2 and "qtag" in got[0] and "delivery 1: success" in got[0],
         "syslog received the line under the tag")
    # facility mail (2) at info is <22>, warning: at warning is <20>
    t.ok(len(got) == 2 and got[0].startswith("<22>") and
         got[1].startswith("<20>"),
         "facility mail; info for plain lines, warning for warning: lines")
else:
    t.skip("syslog path", "needs root and unshare")
t.done()
