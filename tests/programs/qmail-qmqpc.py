#!/usr/bin/env python3
"""qmail-qmqpc end to end: against qmail-qmqpd under tcpserver on
loopback port 628 (the QMQP port, which qmail-qmqpc always uses), failover
to the next server, the K/Z/D answers of a fake server mapped to exit
codes, envelope errors, qmail-inject through QMAILQUEUE, and Postfix's
qmqpd as an independent server when Postfix is installed and we are root.

Port 628 is privileged, so the test runs itself in a private network
namespace (unshare -n as root; otherwise a user namespace that keeps
the user's own uid and the capability to bind it); nothing listens
outside it.  Without unshare it is skipped."""
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from tap import Tap, QHOME, QBIN, SRCROOT, instance_reset  # noqa: E402
from servers import tcpserver, wait_port  # noqa: E402
from qmqptest import (ns, parse_ns, control, queued, clear_queue,  # noqa
                      split_received, DATE)

MARK = "QMQPC_TEST_NETNS"
if os.environ.get(MARK) != "1":
    env = dict(os.environ, **{MARK: "1"})
    unshare = shutil.which("unshare")
    if unshare:
        if os.geteuid() == 0:
            argv = [unshare, "--net"]
        else:
            argv = [unshare, "--map-current-user", "--net", "--keep-caps"]
        probe = subprocess.run(argv + ["true"], capture_output=True)
        if probe.returncode == 0:
            os.execve(unshare, argv + [sys.executable, __file__], env)
    t = Tap()
    t.skip("qmail-qmqpc end to end", "cannot make a private network "
           "namespace (unshare)")
    t.done()

t = Tap()
subprocess.run(["ip", "link", "set", "lo", "up"], check=False)
QMQPC = os.path.join(QBIN, "qmail-qmqpc")
TCPSERVER = shutil.which("tcpserver")
MSG = b"Subject: via qmqpc\n\nhello\n"


def envelope(sender, rcpts):
    return (b"F" + sender.encode() + b"\0" +
            b"".join(b"T" + r.encode() + b"\0" for r in rcpts) + b"\0")


def qmqpc(message=MSG, env=None, pipe=False, extra_env=None, timeout=60):
    """Run qmail-qmqpc; message on fd 0 (a regular file, or a pipe),
    the envelope on fd 1 (a regular file).  The exit code."""
    if env is None:
        env = envelope("a@b.example", ["c@d.example", "e@f.example"])
    e = {"PATH": "/usr/bin:/bin"}
    e.update(extra_env or {})
    with tempfile.TemporaryFile() as ef, tempfile.TemporaryFile() as mf:
        ef.write(env)
        ef.seek(0)
        if pipe:
            p = subprocess.run([QMQPC], input=message, stdout=ef, env=e,
                               stderr=subprocess.DEVNULL, timeout=timeout)
        else:
            mf.write(b"ignored prefix")
            mf.write(message)
            mf.seek(len(b"ignored prefix"))
            p = subprocess.run([QMQPC], stdin=mf, stdout=ef, env=e,
                               stderr=subprocess.DEVNULL, timeout=timeout)
        return p.returncode


class Fake:
    """A QMQP server on HOST:628 that reads one request and answers
    with the bytes given (or closes without answering if None)."""

    def __init__(self, host, answer):
        self.answer = answer
        self.request = None
        self.s = socket.socket()
        self.s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.s.bind((host, 628))
        self.s.listen(5)
        self.th = threading.Thread(target=self.serve, daemon=True)
        self.th.start()

    def serve(self):
        c, _ = self.s.accept()
        c.settimeout(30)
        buf = b""
        while True:
            got, rest = parse_ns(buf)
            if got:
                break
            d = c.recv(65536)
            if not d:
                break
            buf += d
        self.request = buf
        if self.answer is not None:
            c.sendall(self.answer)
        c.close()

    def close(self):
        self.th.join(30)
        self.s.close()


instance_reset()
control("me", "mx.example.org\n")

# --- configuration and envelope errors (before any connection) -------------
control("qmqpservers", None)
t.eq(qmqpc(), 55, "no control/qmqpservers: exit 55")
control("qmqpservers", "")
t.eq(qmqpc(), 55, "empty qmqpservers: exit 55")
control("qmqpservers", "not-an-address\nmx.example.org\n")
t.eq(qmqpc(), 55, "qmqpservers naming no address: exit 55")
control("qmqpservers", "127.0.0.2\n")
t.eq(qmqpc(env=b"Ta@b\0\0"), 91, "envelope without F: exit 91")
t.eq(qmqpc(env=b"Fa@b\0Tc@d\0"), 91, "envelope without its end: exit 91")
t.eq(qmqpc(env=b"Fa@b\0Xc@d\0\0"), 91, "envelope with an X record: exit 91")
t.eq(qmqpc(env=envelope("a@b", ["r" * 1002])), 73,
     "address of 1002 bytes passes (then: connection refused, 73)")
t.eq(qmqpc(env=envelope("a@b", ["r" * 1003])), 11,
     "address of 1003 bytes: exit 11, as qmail-queue")
t.eq(qmqpc(env=envelope("s" * 1003, ["r"])), 11,
     "sender of 1003 bytes: exit 11")
t.eq(qmqpc(env=envelope("a@b", ["r" * 1004])), 11,
     "address of 1004 bytes: exit 11")
t.eq(qmqpc(env=envelope("x@evil\nBcc: v@a.b", ["r@s"])), 12,
     "LF in the sender: exit 12, as qmail-queue")
t.eq(qmqpc(env=envelope("a@b", ["r@s\r"])), 12,
     "CR in a recipient: exit 12")
t.eq(qmqpc(), 73, "only server refuses the connection: exit 73")

# --- against qmail-qmqpd under tcpserver ----------------------------------------
if TCPSERVER is None:
    t.skip("qmail-qmqpc to qmail-qmqpd", "tcpserver not installed")
else:
    server = tcpserver(TCPSERVER, 628, [os.path.join(QBIN, "qmail-qmqpd")])
    try:
        t.ok(wait_port(628), "tcpserver qmail-qmqpd on :628")
        control("qmqpservers", "127.0.0.1\n")
        t.eq(qmqpc(), 0, "message from a regular file: exit 0")
        q = queued()
        t.eq(len(q), 1, "one message queued")
        if q:
            mess, env = q[0]
            t.eq(env, b"Fa@b.example\0Tc@d.example\0Te@f.example\0",
                 "envelope arrives intact")
            _, rcv, body = split_received(mess, b"QMQP")
            t.ok(rcv is not None and rcv.startswith(
                b"Received: from unknown (127.0.0.1)\n  by localhost with "
                b"QMQP; "), "Received line from tcpserver's environment")
            t.eq(body, MSG, "message arrives intact (read from its offset)")
        clear_queue()

        big = bytes(range(256)) * 8192  # 2 MiB, every byte value
        t.eq(qmqpc(message=big, pipe=True, env=envelope("", ["x@y"])), 0,
             "2 MiB binary message through a pipe: exit 0")
        q = queued()
        t.ok(len(q) == 1 and split_received(q[0][0], b"QMQP")[2] == big and
             q[0][1] == b"F\0Tx@y\0", "binary message and null sender intact")
        clear_queue()

        control("qmqpservers", "# comment\n127.0.0.2\n127.0.0.1\n")
        t.eq(qmqpc(), 0, "first server refuses: the second takes it (exit 0)")
        t.eq(len(queued()), 1, "failover: message queued once")
        clear_queue()
        control("qmqpservers", "::1\n127.0.0.1\n")
        t.eq(qmqpc(), 0, "an IPv6 server that refuses, then IPv4: exit 0")
        clear_queue()

        # qmail-inject with QMAILQUEUE (the mini-qmail setup)
        control("qmqpservers", "127.0.0.1\n")
        p = subprocess.run([os.path.join(QBIN, "qmail-inject"), "-f",
                            "sender@example.org", "rcpt@example.net"],
                           input=b"Subject: injected\n\nvia qmqp\n",
                           env={"PATH": "/usr/bin:/bin", "QMAILQUEUE": QMQPC},
                           capture_output=True, timeout=60)
        q = queued()
        t.ok(p.returncode == 0 and len(q) == 1 and
             q[0][1] == b"Fsender@example.org\0Trcpt@example.net\0" and
             b"\nSubject: injected\n" in q[0][0],
             "qmail-inject with QMAILQUEUE=qmail-qmqpc queues via QMQP")
        clear_queue()
    finally:
        server.terminate()
        server.wait()

# --- answers of a fake server ------------------------------------------------------
control("qmqpservers", "127.0.0.4\n")
for answer, code, name in [
        (ns("Kok thanks"), 0, "K: exit 0"),
        (ns("Zno room"), 71, "Z: exit 71"),
        (ns("Dgo away"), 31, "D: exit 31"),
        (ns("Xwhat"), 74, "another letter: exit 74"),
        (ns(""), 74, "an empty answer: exit 74"),
        (b"Kok", 74, "an answer that is not a netstring: exit 74"),
        (b"08:Kok yes,", 74, "a length with a leading zero: exit 74"),
        (ns("K" + "x" * 5000), 74, "an answer over 4096 bytes: exit 74"),
        (None, 74, "connection closed without an answer: exit 74")]:
    fake = Fake("127.0.0.4", answer)
    rc = qmqpc()
    fake.close()
    t.eq(rc, code, "fake server answering " + name)
    if answer == ns("Kok thanks"):
        want = ns(ns(MSG) + ns("a@b.example") + ns("c@d.example") +
                  ns("e@f.example"))
        t.eq(fake.request, want, "the request is QMQP's netstrings")

# a server whose accept queue is full never completes the handshake
full = socket.socket()
full.bind(("127.0.0.5", 628))
full.listen(0)
fillers = []
for _ in range(4):
    c = socket.socket()
    c.setblocking(False)
    try:
        c.connect(("127.0.0.5", 628))
    except BlockingIOError:
        pass
    fillers.append(c)
time.sleep(0.2)
control("qmqpservers", "127.0.0.5\n")
start = time.monotonic()
rc = qmqpc()
took = time.monotonic() - start
t.eq(rc, 72, "connection that never completes: exit 72")
t.ok(9 <= took <= 20, "after the 10-second connect timeout (%.1f s)" % took)
for c in fillers:
    c.close()
full.close()

# --- Postfix's qmqpd as an independent server -----------------------------------
postfix_ok = (os.geteuid() == 0 and os.path.exists("/usr/sbin/postfix")
              and os.path.exists("/usr/lib/postfix/sbin/qmqpd"))
if not postfix_ok:
    t.skip("qmail-qmqpc to Postfix's qmqpd", "needs root and Postfix")
else:
    sys.path.insert(0, os.path.join(SRCROOT, "bench"))
    import instance  # noqa: E402
    pf = None
    try:
        pf = instance.Postfix(settings=["qmqpd_authorized_clients="
                                        "127.0.0.0/8"])
        with open(os.path.join(pf.conf, "master.cf"), "a") as f:
            f.write("127.0.0.1:628 inet n - n - - qmqpd\n")
        instance.postfix_cmd(pf.conf, "reload")
        t.ok(wait_port(628), "Postfix qmqpd on :628")
        control("qmqpservers", "127.0.0.1\n")
        rcpt = "%s@%s" % (instance.PF_USER, instance.PF_DOMAIN)
        rc = qmqpc(message=b"Subject: to postfix\n\nvia QMQP\n",
                   env=envelope("qmqpc@example.org", [rcpt]))
        t.eq(rc, 0, "Postfix qmqpd answers K: exit 0")
        ok = instance.wait_for(
            lambda: instance.maildir_count(pf.maildir) == 1, 30)
        got = b""
        if ok:
            new = os.path.join(pf.maildir, "new")
            with open(os.path.join(new, os.listdir(new)[0]), "rb") as f:
                got = f.read()
        t.ok(ok and b"Return-Path: <qmqpc@example.org>" in got and
             b"Subject: to postfix" in got and b"via QMQP" in got,
             "Postfix delivered it with our sender and body")
        rc = qmqpc(env=envelope("qmqpc@example.org", ["x@nowhere.invalid"]))
        t.ok(rc in (0, 31, 71), "Postfix's answer to an odd recipient is "
             "mapped (exit %d)" % rc)
    except SystemExit as e:
        t.skip("qmail-qmqpc to Postfix's qmqpd", str(e))
    finally:
        if pf is not None:
            pf.stop()
t.done()
