#!/usr/bin/env python3
"""Real SMTP clients (Python's smtplib, swaks plain and pipelined) deliver
through tcpserver and qmail-smtpd into the test instance's queue."""
import os
import re
import shutil
import smtplib
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from tap import Tap, QHOME, QBIN, instance_reset  # noqa: E402
from queuetest import clear_queue, committed, control, strip_uid_pid  # noqa
from servers import tcpserver, wait_port  # noqa: E402

t = Tap()
Q = os.path.join(QHOME, "queue")
PORT = 20000 + (os.getpid() * 13) % 20000
TCPSERVER = shutil.which("tcpserver")
SWAKS = shutil.which("swaks")


def queued():
    return [(m, strip_uid_pid(e)) for _, m, e in committed()]


if TCPSERVER is None:
    t.skip("clients through tcpserver", "tcpserver not installed")
    t.done()

instance_reset()
control("me", "mx.example.org\n")
control("rcpthosts", "example.org\n")

server = tcpserver(TCPSERVER, PORT, [os.path.join(QBIN, "qmail-smtpd")])
try:
    wait_port(PORT, tries=200)

    # --- smtplib ------------------------------------------------------------
    s = smtplib.SMTP("127.0.0.1", PORT, local_hostname="client.example")
    code, msg = s.ehlo()
    t.eq(code, 250, "smtplib: EHLO 250")
    t.ok(s.has_extn("pipelining") and s.has_extn("8bitmime") and
         s.has_extn("size") and s.has_extn("enhancedstatuscodes"),
         "smtplib sees PIPELINING 8BITMIME SIZE ENHANCEDSTATUSCODES")
    refused = s.sendmail("alice@sender.example",
                         ["bob@example.org", "carol@example.org"],
                         b"Subject: via smtplib\r\n\r\nline one\r\n"
                         b".leading dot\r\n")
    t.eq(refused, {}, "smtplib: message accepted")
    try:
        s.sendmail("alice@sender.example", ["eve@elsewhere.example"],
                   b"Subject: relay\r\n\r\nx\r\n")
        t.ok(False, "smtplib: relay attempt refused")
    except smtplib.SMTPRecipientsRefused as e:
        code, text = e.recipients["eve@elsewhere.example"]
        t.eq((code, text), (553, b"sorry, that domain isn't in my list of "
                                 b"allowed rcpthosts (#5.7.1)"),
             "smtplib: relay attempt refused with 553")
    t.eq(s.noop()[0], 250, "smtplib: NOOP")
    t.eq(s.verify("bob")[0], 252, "smtplib: VRFY 252")
    s.quit()
    q = queued()
    t.eq(len(q), 1, "smtplib: one message queued")
    if q:
        mess, env = q[0]
        t.eq(env, b"Falice@sender.example\0Tbob@example.org\0"
             b"Tcarol@example.org\0", "smtplib: envelope")
        t.ok(mess.endswith(b" -0000\nSubject: via smtplib\n\nline one\n"
                           b".leading dot\n"),
             "smtplib: body with CRLF to LF and the dot kept")
        t.ok(re.search(rb"\nReceived: from unknown \(HELO client.example\) "
                       rb"\(127.0.0.1\)\n  by localhost with SMTP; ", mess)
             is not None, "Received line from tcpserver's environment")

    # --- swaks --------------------------------------------------------------
    if SWAKS is None:
        t.skip("swaks", "swaks not installed")
    else:
        for extra, name in [([], "plain"), (["--pipeline"], "--pipeline")]:
            clear_queue()
            p = subprocess.run(
                [SWAKS, "--server", "127.0.0.1", "--port", str(PORT),
                 "--from", "s@sender.example", "--to", "dave@example.org",
                 "--helo", "swaks.example", "--header", "Subject: swaks",
                 "--body", "hello from swaks"] + extra,
                capture_output=True, timeout=60)
            out = p.stdout.decode(errors="replace")
            t.eq(p.returncode, 0, "swaks %s: exit 0" % name)
            t.ok(re.search(r"<-  250 ok \d+ qp \d+", out) is not None,
                 "swaks %s: 250 ok after DATA" % name)
            q = queued()
            t.ok(len(q) == 1 and q[0][1] ==
                 b"Fs@sender.example\0Tdave@example.org\0"
                 and b"hello from swaks" in q[0][0],
                 "swaks %s: message queued" % name)
        p = subprocess.run(
            [SWAKS, "--server", "127.0.0.1", "--port", str(PORT),
             "--from", "s@x", "--to", "x@relay.example", "--pipeline"],
            capture_output=True, timeout=60)
        t.ok("553 sorry, that domain isn't in my list of allowed rcpthosts"
             in p.stdout.decode(errors="replace"),
             "swaks --pipeline: relay refused")
finally:
    server.terminate()
    server.wait()
t.done()
