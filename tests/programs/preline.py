#!/usr/bin/env python3
"""Black-box tests of preline(1): UFLINE, RPLINE, DTLINE, then the message."""
import hashlib
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from tap import Tap, QBIN  # noqa: E402

t = Tap()
PROG = os.path.join(QBIN, "preline")
UF = "From joe@a.org Sun Nov 22 05:00:00 2026\n"
RP = "Return-Path: <joe@a.org>\n"
DT = "Delivered-To: bob@b.org\n"
MSG = b"Subject: hi\n\nFrom inside\nbody\n"


def run(args, msg=MSG, env=None, unset=()):
    e = {"PATH": os.environ["PATH"], "UFLINE": UF, "RPLINE": RP, "DTLINE": DT}
    e.update(env or {})
    for k in unset:
        e.pop(k, None)
    p = subprocess.run([PROG] + args, input=msg, env=e, capture_output=True)
    return p.returncode, p.stdout, p.stderr


rc, out, err = run(["cat"])
t.eq(rc, 0, "cat: exit 0")
t.eq(out, (UF + RP + DT).encode() + MSG, "From_, Return-Path, Delivered-To, "
     "then the message unchanged")
rc, out, err = run(["-f", "cat"])
t.eq(out, (RP + DT).encode() + MSG, "-f leaves out the From_ line")
rc, out, err = run(["-r", "cat"])
t.eq(out, (UF + DT).encode() + MSG, "-r leaves out the Return-Path")
rc, out, err = run(["-d", "cat"])
t.eq(out, (UF + RP).encode() + MSG, "-d leaves out the Delivered-To")
rc, out, err = run(["-fdr", "cat"])
t.eq(out, MSG, "-fdr: the message alone")
rc, out, err = run(["-f", "-F", "cat"])
t.eq(out, (UF + RP + DT).encode() + MSG, "-F puts the From_ line back")
rc, out, err = run(["-fdr", "cat"], unset=["UFLINE", "RPLINE", "DTLINE"])
t.eq((rc, out), (0, MSG), "left-out lines need not be set")

for var in ("UFLINE", "RPLINE", "DTLINE"):
    rc, out, err = run(["cat"], unset=[var])
    t.eq(rc, 100, f"{var} missing: exit 100")
    t.eq(err, f"preline: fatal: {var} not set\n".encode(),
         f"{var} missing: message")

# --- exit codes are the command's -------------------------------------------
for code in (0, 1, 99, 100, 111, 37):
    rc, out, err = run(["sh", "-c", f"cat >/dev/null; exit {code}"])
    t.eq(rc, code, f"command's exit code {code} passed on")
rc, out, err = run(["sh", "-c", "cat >/dev/null; kill -9 $$"])
t.eq(rc, 111, "command killed by a signal: exit 111")
t.ok(b"child crashed" in err, "killed: says the child crashed")
rc, out, err = run(["/nonexistent/program"])
t.eq(rc, 100, "command that does not exist: exit 100")
t.ok(b"unable to run /nonexistent/program" in err, "does not exist: message")
rc, out, err = run([])
t.eq(rc, 100, "no command: exit 100")
t.ok(b"usage" in err, "no command: usage")
rc, out, err = run(["-x", "cat"])
t.eq(rc, 100, "unknown option: exit 100")

# A command that stops reading early has not seen the message.
big = b"Subject: big\n\n" + b"z" * (4 * 1024 * 1024)
rc, out, err = run(["sh", "-c", "exec true"], msg=big)
t.eq(rc, 111, "command that exits without reading 4 MB: exit 111")
t.ok(b"unable to copy input" in err, "early exit: reported")

# --- no shell, explicit argv --------------------------------------------------
rc, out, err = run(["-fdr", "printf", "%s|", "a;b", "$(echo x)", "*"])
t.eq(out, b"a;b|$(echo x)|*|", "arguments reach the command untouched, "
     "no shell")
rc, out, err = run(["-fdr", "sh", "-c", 'echo "$1"', "sh", "--"],
                   msg=b"")
t.eq(out, b"--\n", "options after the command belong to the command")

# --- hostile sizes ------------------------------------------------------------
huge = b"X-Long: " + b"q" * (8 * 1024 * 1024) + b"\n\nbody\n"
rc, out, err = run(["cat"], msg=huge)
t.eq(rc, 0, "8 MB header line: exit 0")
t.eq(hashlib.sha256(out).hexdigest(),
     hashlib.sha256((UF + RP + DT).encode() + huge).hexdigest(),
     "8 MB header line passed through intact")
rc, out, err = run(["cat"], msg=b"")
t.eq(out, (UF + RP + DT).encode(), "empty message: the three lines alone")
t.done()
