#!/usr/bin/env python3
"""Black-box tests of qmail-remote against real SMTP peers on loopback.

Postfix's smtp-sink (normal, and told to fail each stage with 4xx/5xx or
to hang up) and a small scripted server (multi-line, overlong, malformed,
never-ending and stalled replies, mixed recipient results, capture of the
exact bytes sent).  Routing is by control/smtproutes to [127.0.0.1]:PORT
and [::1]:PORT; every result record is compared byte for byte.
"""
import os
import shutil
import socket
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.environ.get("SRCROOT", "."), "tests/lib"))
from tap import Tap, QBIN, QHOME, instance_reset  # noqa: E402
from queuetest import control  # noqa: E402

t = Tap()
BASE = 20000 + (os.getpid() * 7) % 20000
PORTS = iter(range(BASE, BASE + 400))
REMOTE = os.path.join(QBIN, "qmail-remote")
SINK = shutil.which("smtp-sink") or "/usr/sbin/smtp-sink"
TMP = os.path.join(QHOME + "-remote-tmp")


def route(port, host="127.0.0.1", domain="example.com"):
    control("smtproutes", f"{domain}:[{host}]:{port}\n")


def run(args, msg=b"Subject: hi\n\nbody\n", host="example.com", as_file=True):
    """Run qmail-remote; the message on fd 0 from a file (or a pipe)."""
    argv = [REMOTE, host] + args
    if as_file:
        path = os.path.join(TMP, "msg")
        with open(path, "wb") as f:
            f.write(msg)
        with open(path, "rb") as f:
            p = subprocess.run(argv, stdin=f, capture_output=True, timeout=60)
    else:
        p = subprocess.run(argv, input=msg, capture_output=True, timeout=60)
    return p.returncode, p.stdout


# --- smtp-sink ------------------------------------------------------------

class Sink:
    def __init__(self, *opts, host="127.0.0.1"):
        self.port = next(PORTS)
        self.dump = os.path.join(TMP, f"dump{self.port}")
        os.makedirs(self.dump)
        os.chmod(self.dump, 0o777)
        os.chmod(TMP, 0o777)
        argv = [SINK]
        if os.geteuid() == 0:
            argv += ["-u", "nobody"]
        listen = f"[{host}]:{self.port}" if ":" in host else f"{host}:{self.port}"
        argv += ["-d", self.dump + "/%M."] + list(opts) + [listen, "10"]
        self.p = subprocess.Popen(argv, stderr=subprocess.DEVNULL)
        fam = socket.AF_INET6 if ":" in host else socket.AF_INET
        for _ in range(200):
            try:
                s = socket.socket(fam)
                s.connect((host, self.port))
                s.close()
                break
            except OSError:
                s.close()
                time.sleep(0.02)

    def messages(self):
        time.sleep(0.05)
        out = []
        for n in sorted(os.listdir(self.dump)):
            with open(os.path.join(self.dump, n), "rb") as f:
                out.append(f.read())
        return out

    def clear(self):
        for n in os.listdir(self.dump):
            os.unlink(os.path.join(self.dump, n))

    def stop(self):
        self.p.kill()
        self.p.wait()


# --- a scripted server ------------------------------------------------------

class Fake:
    """One scripted SMTP server.  replies maps a verb (GREETING, EHLO, HELO,
    MAIL, RCPT, DATA, DOT) to bytes sent back; RCPT may be a list used in
    turn.  Everything the client sends is kept in self.got."""

    def __init__(self, replies, host="127.0.0.1"):
        self.replies = dict(replies)
        self.replies.setdefault("DATA", b"354 go\r\n")
        fam = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.sock = socket.socket(fam)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.port = next(PORTS)
        self.sock.bind((host, self.port))
        self.sock.listen(5)
        self.got = b""
        self.data = None
        self.conns = 0
        self.th = threading.Thread(target=self.serve, daemon=True)
        self.th.start()

    def reply(self, conn, verb):
        r = self.replies.get(verb, b"250 ok\r\n")
        if isinstance(r, list):
            r = r.pop(0) if r else b"250 ok\r\n"
        if r is None:           # stall: say nothing, keep the line open
            time.sleep(30)
            return False
        if r == b"CLOSE":
            return False
        conn.sendall(r)
        return True

    def serve(self):
        try:
            conn, _ = self.sock.accept()
        except OSError:
            return
        self.conns += 1
        conn.settimeout(40)
        f = conn.makefile("rb")
        try:
            if not self.reply(conn, "GREETING"):
                return
            while True:
                line = f.readline(100000)
                if not line:
                    return
                self.got += line
                verb = line.split(b" ")[0].split(b":")[0].strip().upper().decode()
                verb = {"RCPT": "RCPT", "MAIL": "MAIL"}.get(verb, verb)
                if verb == "QUIT":
                    conn.sendall(b"221 bye\r\n")
                    return
                if verb == "DATA":
                    r = self.replies.get("DATA", b"354 go\r\n")
                    if not self.reply(conn, "DATA"):
                        return
                    if not r.startswith(b"354"):
                        continue
                    data = b""
                    while not (data == b".\r\n" or data.endswith(b"\r\n.\r\n")):
                        chunk = f.readline(100000)
                        if not chunk:
                            return
                        data += chunk
                    self.data = data
                    if not self.reply(conn, "DOT"):
                        return
                    continue
                if not self.reply(conn, verb):
                    return
        except OSError:
            pass
        finally:
            conn.close()

    def stop(self):
        self.sock.close()


def fresh():
    instance_reset()
    shutil.rmtree(TMP, ignore_errors=True)
    os.makedirs(TMP)
    control("me", "test.local\n")


fresh()
LH = "127.0.0.1"

# --- usage, setup failures -------------------------------------------------

rc, out = run([])
t.eq((rc, out), (0, b"DI (qmail-remote) was invoked improperly. (#5.3.5)\n\0"),
     "too few arguments: D report, exit 0")

os.unlink(os.path.join(QHOME, "control", "me"))
rc, out = run(["a@b.c", "x@example.com"])
t.eq(out, b"ZUnable to read control files. (#4.3.0)\n\0",
     "no control/me and no helohost: Z control files")
control("me", "test.local\n")

# nothing listening: connection refused
port = next(PORTS)
route(port)
rc, out = run(["a@b.c", "x@example.com"])
t.eq(out, b"ZSorry, I wasn't able to establish an SMTP connection. (#4.4.1)\n\0",
     "connection refused: Z no SMTP connection")

control("smtproutes", "example.com:[127.0.0.1]:99999\n")
rc, out = run(["a@b.c", "x@example.com"])
t.ok(out.startswith(b"Z") and b"port" in out and out.endswith(b"\0"),
     "smtproutes port out of range: Z")

# --- smtp-sink: success ----------------------------------------------------

s = Sink()
route(s.port)
msg = b"Subject: dots\n\n.leading dot\n..two\nplain\n.\nend\n"
rc, out = run(["a@b.c", "x@example.com", "y@example.com"], msg)
t.eq((rc, out), (0, b"r\0r\0K127.0.0.1 accepted message.\nRemote host said: 250 2.0.0 Ok\n\0"),
     "smtp-sink: two recipients accepted, K with the server's text")
m = s.messages()
t.ok(len(m) == 1 and m[0].endswith(msg + b"\n") or (len(m) == 1 and msg in m[0]),
     "smtp-sink got the message with dot-stuffing undone")
t.ok(len(m) == 1 and b"X-Rcpt-Args: <x@example.com>\nX-Rcpt-Args: <y@example.com>\n" in m[0],
     "smtp-sink got both recipients in order")
t.ok(len(m) == 1 and b"X-Helo-Args: test.local\n" in m[0] and b"X-Client-Proto: ESMTP" in m[0],
     "EHLO with control/me as the name")

control("helohost", "helo.example\n")
s.clear()
rc, out = run(["", "x@example.com"])
m = s.messages()
t.ok(out.startswith(b"r\0K") and len(m) == 1 and b"X-Mail-Args: <>\n" in m[0],
     "null sender: MAIL FROM:<>")
t.ok(len(m) == 1 and b"X-Helo-Args: helo.example\n" in m[0], "control/helohost is used")
os.unlink(os.path.join(QHOME, "control", "helohost"))

s.clear()
rc, out = run(["a@b.c", "john smith@example.com"])
m = s.messages()
t.ok(out.startswith(b"r\0K") and len(m) == 1 and b'X-Rcpt-Args: <"john smith"@example.com>' in m[0],
     "a local part with a space is quoted")

rc, out = run(["a@b.c", "x@example.com"], b"piped\n", as_file=False)
t.ok(out.startswith(b"r\0K127.0.0.1 accepted message."), "message on a pipe is sent too")
s.stop()

# --- smtp-sink: failures at each stage ------------------------------------

SOFT = b"Remote host said: 450 4.3.0 Error: command failed\n"
HARD = b"Remote host said: 500 5.3.0 Error: command failed\n"
cases = [
    (["-f", "RCPT"], b"h127.0.0.1 does not like recipient.\n" + HARD + b"\0"
     b"h127.0.0.1 does not like recipient.\n" + HARD + b"\0"
     b"DGiving up on 127.0.0.1.\n\0", "5xx RCPT: h h, D giving up"),
    (["-r", "RCPT"], b"s127.0.0.1 does not like recipient.\n" + SOFT + b"\0"
     b"s127.0.0.1 does not like recipient.\n" + SOFT + b"\0"
     b"DGiving up on 127.0.0.1.\n\0", "4xx RCPT: s s, D giving up"),
    (["-f", "MAIL"], b"DConnected to 127.0.0.1 but sender was rejected.\n" + HARD + b"\0",
     "5xx MAIL: D sender rejected"),
    (["-r", "MAIL"], b"ZConnected to 127.0.0.1 but sender was rejected.\n" + SOFT + b"\0",
     "4xx MAIL: Z sender rejected"),
    (["-f", "DATA"], b"r\0r\0D127.0.0.1 failed on DATA command.\n" + HARD + b"\0",
     "5xx DATA: D failed on DATA"),
    (["-r", "DATA"], b"r\0r\0Z127.0.0.1 failed on DATA command.\n" + SOFT + b"\0",
     "4xx DATA: Z failed on DATA"),
    (["-f", "."], b"r\0r\0D127.0.0.1 failed after I sent the message.\n" + HARD + b"\0",
     "5xx after the dot: D"),
    (["-r", "."], b"r\0r\0Z127.0.0.1 failed after I sent the message.\n" + SOFT + b"\0",
     "4xx after the dot: Z"),
    (["-q", "."], b"r\0r\0ZConnected to 127.0.0.1 but connection died. Possible duplicate! (#4.4.2)\n\0",
     "hang-up after the dot: Z possible duplicate"),
    (["-q", "RCPT"], b"ZConnected to 127.0.0.1 but connection died. (#4.4.2)\n\0",
     "hang-up at RCPT: Z connection died"),
    (["-r", "CONNECT"], b"ZConnected to 127.0.0.1 but greeting failed.\n" + SOFT + b"\0",
     "4xx greeting, no other host: Z greeting failed"),
    (["-f", "EHLO,HELO"], b"ZConnected to 127.0.0.1 but my name was rejected.\n" + HARD + b"\0",
     "EHLO and HELO refused: Z name rejected"),
    (["-f", "EHLO"], b"r\0r\0K127.0.0.1 accepted message.\nRemote host said: 250 2.0.0 Ok\n\0",
     "EHLO refused: HELO, then K"),
]
for opts, want, name in cases:
    s = Sink(*opts)
    route(s.port)
    rc, out = run(["a@b.c", "x@example.com", "y@example.com"])
    t.eq((rc, out), (0, want), "smtp-sink " + " ".join(opts) + ": " + name)
    s.stop()

# --- a scripted server -----------------------------------------------------

EHLO_PIPE = b"250-fake\r\n250-PIPELINING\r\n250-8BITMIME\r\n250 SIZE 1000000\r\n"
EHLO_PLAIN = b"250-fake\r\n250 HELP\r\n"


def fake(replies, args=("a@b.c", "x@example.com"), msg=b"Subject: x\n\nbody\n",
         host="127.0.0.1", as_file=True):
    replies = dict(replies)
    replies.setdefault("GREETING", b"220 fake ESMTP\r\n")
    replies.setdefault("EHLO", EHLO_PLAIN)
    f = fake.last = Fake(replies, host)
    route(f.port, host)
    rc, out = run(list(args), msg, as_file=as_file)
    f.th.join(2)
    f.stop()
    return rc, out, f


for ehlo, mode in ((EHLO_PLAIN, "one at a time"), (EHLO_PIPE, "pipelined")):
    rc, out, f = fake({"EHLO": ehlo,
                       "RCPT": [b"250 ok\r\n", b"550 5.1.1 no such user\r\n",
                                b"451 4.7.1 greylisted\r\n", b"250 ok too\r\n"],
                       "DOT": b"250 queued as 123\r\n"},
                      args=("a@b.c", "a@example.com", "b@example.com",
                            "c@example.com", "d@example.com"))
    t.eq(out, b"r\0h127.0.0.1 does not like recipient.\nRemote host said: 550 5.1.1 no such user\n\0"
         b"s127.0.0.1 does not like recipient.\nRemote host said: 451 4.7.1 greylisted\n\0"
         b"r\0K127.0.0.1 accepted message.\nRemote host said: 250 queued as 123\n\0",
         f"mixed recipient results, {mode}: r h s r K")

rc, out, f = fake({"EHLO": EHLO_PIPE, "RCPT": [b"550 no\r\n", b"550 nope\r\n"],
                   "DATA": b"554 no valid recipients\r\n"},
                  args=("a@b.c", "a@example.com", "b@example.com"))
t.eq(out, b"h127.0.0.1 does not like recipient.\nRemote host said: 550 no\n\0"
     b"h127.0.0.1 does not like recipient.\nRemote host said: 550 nope\n\0"
     b"DGiving up on 127.0.0.1.\n\0",
     "pipelined, every recipient refused: h h, D giving up")
t.ok(b"MAIL FROM:<a@b.c> SIZE=" in f.got, "SIZE is declared when offered")
t.ok(b"BODY=8BITMIME" not in f.got, "no BODY=8BITMIME for a 7-bit message")

rc, out, f = fake({"EHLO": EHLO_PIPE}, msg=b"Subject: \xe9t\xe9\n\ncaf\xe9\n")
t.ok(out.startswith(b"r\0K") and b"BODY=8BITMIME" in f.got,
     "8-bit message to an 8BITMIME server: BODY=8BITMIME")
rc, out, f = fake({}, msg=b"Subject: \xe9t\xe9\n\ncaf\xe9\n")
t.ok(out.startswith(b"r\0K") and b"BODY=" not in f.got and f.data == b"Subject: \xe9t\xe9\r\n\r\ncaf\xe9\r\n.\r\n",
     "8-bit message to a server without 8BITMIME: sent unchanged, no BODY")
t.ok(b"SIZE=" not in f.got, "no SIZE when the server does not offer it")

rc, out, f = fake({}, msg=b"a\n.b\n..c\n.\nd\r\ne\n")
t.eq(f.data, b"a\r\n..b\r\n...c\r\n..\r\nd\r\ne\r\n.\r\n",
     "CRLF line ends, leading dots doubled, a stored CR LF not doubled")

rc, out, f = fake({}, msg=b"no newline at the end")
t.eq(out, b"r\0DSMTP cannot transfer messages with partial final lines. (#5.6.2)\n\0",
     "partial final line: D")

rc, out, f = fake({"GREETING": b"220-first\r\n220-second\r\n220 third\r\n",
                   "DOT": b"250-line one\r\n250-line two\r\n250 line three\r\n"})
t.eq(out, b"r\0K127.0.0.1 accepted message.\nRemote host said: 250-line one\n250-line two\n250 line three\n\0",
     "multi-line replies are read whole and reported")

rc, out, f = fake({"MAIL": b"250 " + b"x" * 5000 + b"\r\n"})
t.eq(out, b"ZConnected to 127.0.0.1 but sent an overlong reply line. (#4.5.0)\n\0",
     "overlong reply line: Z")

rc, out, f = fake({"RCPT": b"25O ok\r\n"})
t.eq(out, b"ZConnected to 127.0.0.1 but sent a malformed reply. (#4.5.0)\n\0",
     "garbage reply: Z malformed")

rc, out, f = fake({"MAIL": b"250-a\r\n251 b\r\n"})
t.eq(out, b"ZConnected to 127.0.0.1 but sent a malformed reply. (#4.5.0)\n\0",
     "multi-line reply with changing codes: Z malformed")

rc, out, f = fake({"MAIL": b"250-more\r\n" * 1200})
t.eq(out, b"ZConnected to 127.0.0.1 but sent a reply that never ends. (#4.5.0)\n\0",
     "reply with too many lines: Z never ends")

rc, out, f = fake({"GREETING": b"554 go away\r\n"})
t.eq(out, b"ZConnected to 127.0.0.1 but greeting failed.\nRemote host said: 554 go away\n\0",
     "5xx greeting: Z greeting failed")

rc, out, f = fake({"MAIL": b"250 ok\r\n", "RCPT": b"CLOSE"})
t.eq(out, b"ZConnected to 127.0.0.1 but connection died. (#4.4.2)\n\0",
     "server closes without a reply: Z connection died")

rc, out, f = fake({"RCPT": b"250 nul\0byte\x01ctl\r\n"})
t.eq(out, b"r\0K127.0.0.1 accepted message.\nRemote host said: 250 ok\n\0",
     "reply text of an earlier command is not reported")
rc, out, f = fake({"DOT": b"250 nul\0byte\x01ctl\r\n"})
t.eq(out, b"r\0K127.0.0.1 accepted message.\nRemote host said: 250 nul?byte?ctl\n\0",
     "NUL and control bytes in reply text become '?'")

control("timeoutremote", "1\n")
start = time.time()
rc, out, f = fake({"DATA": None})
t.eq(out, b"r\0ZConnected to 127.0.0.1 but connection died. (#4.4.2)\n\0",
     "stalled reply: timeoutremote, Z connection died")
os.unlink(os.path.join(QHOME, "control", "timeoutremote"))

rc, out, f = fake({}, args=("a@b.c", "evil@example.com\r\nRSET", "ok@example.com"))
t.eq(out, b"hSorry, I cannot send that address through SMTP: it holds a line break or is too long. (#5.1.3)\n\0"
     b"r\0K127.0.0.1 accepted message.\nRemote host said: 250 ok\n\0",
     "recipient with CR LF: h, never sent")
t.ok(b"RSET" not in f.got, "no command injection through a recipient")

rc, out, f = fake({}, args=("a@b.c\nRSET", "ok@example.com"))
t.ok(out.startswith(b"D") and b"(#5.1.7)" in out and f.conns == 0,
     "sender with a line break: D before connecting")

# --- IPv6 ------------------------------------------------------------------

have6 = True
try:
    s6 = socket.socket(socket.AF_INET6)
    s6.bind(("::1", 0))
    s6.close()
except OSError:
    have6 = False
if have6:
    s = Sink(host="::1")
    route(s.port, "::1")
    rc, out = run(["a@b.c", "x@example.com"])
    t.eq(out, b"r\0K::1 accepted message.\nRemote host said: 250 2.0.0 Ok\n\0",
         "IPv6: delivery to smtp-sink on [::1] through smtproutes")
    m = s.messages()
    t.ok(len(m) == 1 and b"X-Client-Addr: ipv6:::1" in m[0], "IPv6: the sink saw an IPv6 client")
    s.stop()
    control("smtproutes", f"example.com:[IPv6:::1]:{next(PORTS)}\n")
    rc, out = run(["a@b.c", "x@example.com"])
    t.eq(out, b"ZSorry, I wasn't able to establish an SMTP connection. (#4.4.1)\n\0",
         "IPv6 literal [IPv6:::1] route, refused: Z")
else:
    t.skip("IPv6 delivery to [::1]", "no IPv6 loopback")

# --- smtproutes matching ---------------------------------------------------

s = Sink()
control("smtproutes", f"other.org:[127.0.0.2]:1\n.example.com:[127.0.0.1]:{s.port}\n")
rc, out = run(["a@b.c", "x@sub.example.com"], host="sub.example.com")
t.ok(out.startswith(b"r\0K127.0.0.1"), "smtproutes .suffix entry matches a subdomain")
control("smtproutes", f":[127.0.0.1]:{s.port}\n")
rc, out = run(["a@b.c", "x@anything.test"], host="anything.test")
t.ok(out.startswith(b"r\0K127.0.0.1"), "smtproutes empty domain routes everything")
s.stop()

shutil.rmtree(TMP, ignore_errors=True)
t.done()
