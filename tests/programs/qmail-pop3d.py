#!/usr/bin/env python3
"""qmail-popup and qmail-pop3d: a POP3 session over a socket pair (popup,
a test checkpassword program, pop3d), then real clients through tcpserver
on loopback: Python's poplib and, when installed, fetchmail.

The test checkpassword program (written below) knows a few users and
their passwords, accepts an APOP digest, and switches to "nobody" when
the test runs as root (qmail-pop3d refuses to run as root)."""
import hashlib
import os
import poplib
import pwd
import re
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from tap import Tap, QBIN, QHOME, instance_reset  # noqa: E402
from servers import tcpserver, wait_port  # noqa: E402

t = Tap()
POPUP = os.path.join(QBIN, "qmail-popup")
POP3D = os.path.join(QBIN, "qmail-pop3d")
TCPSERVER = shutil.which("tcpserver")
FETCHMAIL = shutil.which("fetchmail")
PORT = 22200 + os.getpid() % 50
ROOT = os.geteuid() == 0
TMP = tempfile.mkdtemp(prefix="pop3d.")
os.chmod(TMP, 0o755)
CP = os.path.join(TMP, "checkpassword")
RECORD = os.path.join(TMP, "cp-record")
NOBODY = pwd.getpwnam("nobody") if ROOT else None
SECRET = b"secret pass"  # a password with a space in it

with open(CP, "w") as f:
    f.write(r'''#!/usr/bin/env python3
import hashlib, os, sys
data = b""
while len(data) < 512:
    c = os.read(3, 512 - len(data))
    if not c:
        break
    data += c
os.close(3)
base = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(base, "cp-record"), "wb") as f:
    f.write(data)
parts = data.split(b"\0")
if len(parts) < 4:
    sys.exit(2)
user, pw, stamp = parts[0], parts[1], parts[2]
if user == b"tempfail":
    sys.exit(111)
if user == b"crash":
    os.kill(os.getpid(), 9)
users = {b"alice": b"secret pass", b"bob": b"b"}
secret = users.get(user)
if secret is None or (pw != secret and pw !=
                      hashlib.md5(stamp + secret).hexdigest().encode()):
    sys.exit(1)
home = os.path.join(base, "home-" + user.decode())
if os.geteuid() == 0:
    import pwd
    n = pwd.getpwnam("nobody")
    os.setgroups([])
    os.setgid(n.pw_gid)
    os.setuid(n.pw_uid)
os.chdir(home)
os.environ.update(USER=user.decode(), HOME=home, SHELL="/bin/sh")
os.execvp(sys.argv[1], sys.argv[1:])
''')
os.chmod(CP, 0o755)


def own(path):
    """Give path (recursively) to the user the sessions run as."""
    if not ROOT:
        return
    os.chown(path, NOBODY.pw_uid, NOBODY.pw_gid)
    for dp, dirs, files in os.walk(path):
        os.chown(dp, NOBODY.pw_uid, NOBODY.pw_gid)
        for n in files:
            os.chown(os.path.join(dp, n), NOBODY.pw_uid, NOBODY.pw_gid)


def maildir(user="alice"):
    """A fresh, empty Maildir for user; its path."""
    home = os.path.join(TMP, "home-" + user)
    shutil.rmtree(home, ignore_errors=True)
    os.mkdir(home, 0o755)
    md = os.path.join(home, "Maildir")
    for s in ("", "/tmp", "/new", "/cur"):
        os.mkdir(md + s, 0o700)
    own(home)
    return md


def put(md, sub, name, data, mtime=None):
    path = os.path.join(md, sub, name)
    with open(path, "wb") as f:
        f.write(data)
    if mtime is not None:
        os.utime(path, (mtime, mtime))
    own(path)
    return path


def listing(md):
    return (sorted(os.listdir(os.path.join(md, "new"))),
            sorted(os.listdir(os.path.join(md, "cur"))))


class Session:
    """qmail-popup pop.example CP qmail-pop3d Maildir on a socket pair."""

    def __init__(self, argv=None):
        a, b = socket.socketpair()
        self.err = tempfile.TemporaryFile()
        self.p = subprocess.Popen(
            argv or [POPUP, "pop.example", CP, POP3D, "Maildir"],
            stdin=b, stdout=b, stderr=self.err)
        b.close()
        a.settimeout(30)
        self.s = a
        self.f = a.makefile("rb")
        self.greeting = self.line()

    def line(self):
        try:
            return self.f.readline()
        except (socket.timeout, OSError):
            return b"<timeout>"

    def send(self, data):
        self.s.sendall(data)

    def cmd(self, c):
        self.send(c + b"\r\n")
        return self.line()

    def multi(self):
        """The lines of a multi-line answer, as sent, up to the '.'."""
        out = []
        while True:
            ln = self.line()
            if ln in (b".\r\n", b"", b"<timeout>"):
                return out
            out.append(ln)

    def login(self, user=b"alice", pw=SECRET):
        self.cmd(b"USER " + user)
        return self.cmd(b"PASS " + pw)

    def finish(self):
        self.f.close()
        self.s.close()
        try:
            rc = self.p.wait(30)
        except subprocess.TimeoutExpired:
            self.p.kill()
            rc = self.p.wait()
        self.err.seek(0)
        return rc, self.err.read()


def wire(data):
    """What RETR must send for a message file holding data."""
    lines = data.split(b"\n")
    if data.endswith(b"\n"):
        lines.pop()
    out = b""
    for ln in lines:
        if ln.endswith(b"\r"):
            ln = ln[:-1]
        if ln.startswith(b"."):
            ln = b"." + ln
        out += ln + b"\r\n"
    return out + b"\r\n"


def retr(s, n):
    first = s.cmd(b"RETR %d" % n)
    return first, b"".join(s.multi())


instance_reset()
CONTROL = os.path.join(QHOME, "control")

# --- qmail-popup on its own -------------------------------------------------
p = subprocess.run([POPUP], capture_output=True)
t.eq(p.returncode, 100, "popup: no arguments: exit 100")
t.ok(p.stdout.startswith(b"-ERR usage"), "popup: usage error told the client")

p = subprocess.run([POPUP, "bad host", "true"], capture_output=True)
t.eq(p.returncode, 100, "popup: hostname with a space: exit 100")

s = Session()
m = re.match(rb"\+OK <(\d+)\.(\d+)@pop\.example>\r\n$", s.greeting)
t.ok(m is not None and int(m.group(1)) == s.p.pid and
     abs(int(m.group(2)) - time.time()) < 60,
     "popup: greeting +OK <pid.time@hostname>")
t.eq(s.cmd(b"CAPA"), b"+OK capability list follows\r\n", "popup: CAPA")
t.eq(s.multi(), [b"TOP\r\n", b"UIDL\r\n", b"USER\r\n"],
     "popup: CAPA lists TOP UIDL USER")
t.eq(s.cmd(b"STAT"), b"-ERR authorization first\r\n",
     "popup: STAT before login refused")
t.eq(s.cmd(b"RETR 1"), b"-ERR authorization first\r\n",
     "popup: RETR before login refused")
t.eq(s.cmd(b"PASS x"), b"-ERR USER first\r\n", "popup: PASS before USER")
t.eq(s.cmd(b"USER"), b"-ERR syntax error\r\n", "popup: USER without name")
t.eq(s.cmd(b"APOP alice"), b"-ERR syntax error\r\n",
     "popup: APOP without digest")
t.eq(s.cmd(b"NOOP"), b"+OK \r\n", "popup: NOOP")
t.eq(s.cmd(b"USER " + b"u" * 5000), b"-ERR line too long\r\n",
     "popup: overlong line refused")
t.eq(s.cmd(b"noop"), b"+OK \r\n", "popup: session goes on after it")
t.eq(s.cmd(b"USER a\0b"), b"-ERR syntax error\r\n",
     "popup: NUL byte in a line refused")
t.eq(s.cmd(b"quit"), b"+OK \r\n", "popup: QUIT")
rc, err = s.finish()
t.eq(rc, 0, "popup: exit 0 after QUIT")

# --- failed logins ---------------------------------------------------------
maildir()
s = Session()
t.eq(s.login(pw=b"wrong"), b"-ERR authorization failed\r\n",
     "wrong password: -ERR authorization failed")
t.eq(s.line(), b"", "wrong password: connection closed")
rc, err = s.finish()
t.eq(rc, 1, "wrong password: popup exits 1")
with open(RECORD, "rb") as f:
    rec = f.read()
stamp = s.greeting[4:-2]
t.eq(rec, b"alice\0wrong\0" + stamp + b"\0",
     "descriptor 3: user NUL password NUL timestamp NUL")
t.ok(b"wrong" not in err, "popup never logs the password")

os.unlink(RECORD)
s = Session()
t.eq(s.login(pw=b"p" * 600), b"-ERR authorization failed\r\n",
     "user and password over the 512 bytes of descriptor 3: refused")
t.ok(not os.path.exists(RECORD), "... without running the checkpassword "
     "program")
s.finish()

s = Session()
t.eq(s.login(user=b"nosuch"), b"-ERR authorization failed\r\n",
     "unknown user: -ERR authorization failed")
s.finish()
s = Session()
t.eq(s.login(user=b"tempfail"), b"-ERR temporary failure, try again "
     b"later\r\n", "checkpassword exit 111: temporary failure")
t.eq(s.finish()[0], 1, "checkpassword exit 111: popup exits 1")
s = Session()
t.eq(s.login(user=b"crash"), b"-ERR aack, child crashed\r\n",
     "checkpassword killed: child crashed")
s.finish()
s = Session([POPUP, "pop.example", os.path.join(TMP, "missing"), POP3D,
             "Maildir"])
t.eq(s.login(), b"-ERR temporary failure, try again later\r\n",
     "checkpassword program missing: temporary failure")
rc, err = s.finish()
t.eq(rc, 111, "checkpassword program missing: exit 111, logged")
t.ok(b"qmail-popup: fatal: unable to run" in err and SECRET not in err,
     "checkpassword program missing: log line without the password")

# --- a session --------------------------------------------------------------
md = maildir()
M1 = b"From: a@example.org\nSubject: one\n\nbody one\n.leading dot\n..two\n"
M2 = b"Subject: two\r\nX: crlf\r\n\r\nline\r\n.dot\r\n"      # CR LF file
M3 = b"Subject: three\n\nno newline at the end"
M4 = b"Subject: four\n\nbare\rcr\n\n\nafter blank lines\n"
n1 = "1700000001.M1P1Q1.test"
n2 = "1700000002.M1P1Q1.test"
n3 = "1700000003.M1P1Q1.test"
n4 = "1700000004.M1P1Q1.test:2,S"
put(md, "new", n1, M1, 1700000010)
put(md, "new", n2, M2, 1700000020)
put(md, "cur", n4, M4, 1700000005)        # the oldest, listed first
put(md, "new", n3, M3, 1700000030)
put(md, "new", ".hidden", b"x")
put(md, "tmp", "1600000000.old", b"stale", 1600000000)
put(md, "tmp", "fresh", b"fresh")
os.mkdir(os.path.join(md, "new", "subdir"))
os.symlink("/etc/passwd", os.path.join(md, "new", "link"))

s = Session()
t.eq(s.login(), b"+OK \r\n", "login: +OK from qmail-pop3d")
t.eq(sorted(os.listdir(os.path.join(md, "tmp"))), ["fresh"],
     "tmp/ files older than 36 hours removed, fresh kept")
total = len(M1) + len(M2) + len(M3) + len(M4)
t.eq(s.cmd(b"STAT"), b"+OK 4 %d\r\n" % total,
     "STAT: regular files of new/ and cur/, their sizes")
t.eq(s.cmd(b"LIST"), b"+OK \r\n", "LIST: +OK")
t.eq(s.multi(), [b"1 %d\r\n" % len(M4), b"2 %d\r\n" % len(M1),
                 b"3 %d\r\n" % len(M2), b"4 %d\r\n" % len(M3)],
     "LIST: oldest modification time first")
t.eq(s.cmd(b"LIST 2"), b"+OK 2 %d\r\n" % len(M1), "LIST n")
t.eq(s.cmd(b"UIDL"), b"+OK \r\n", "UIDL: +OK")
t.eq(s.multi(), [b"1 1700000004.M1P1Q1.test\r\n",
                 b"2 1700000001.M1P1Q1.test\r\n",
                 b"3 1700000002.M1P1Q1.test\r\n",
                 b"4 1700000003.M1P1Q1.test\r\n"],
     "UIDL: the names without their :2, info")
t.eq(s.cmd(b"uidl 3"), b"+OK 3 1700000002.M1P1Q1.test\r\n", "UIDL n")
first, body = retr(s, 2)
t.eq(first, b"+OK \r\n", "RETR: +OK")
t.eq(body, wire(M1), "RETR: CR LF line ends, dot-stuffing, extra blank line")
t.eq(retr(s, 3)[1], wire(M2), "RETR: a CR LF file is not doubled to CR CR LF")
t.eq(retr(s, 4)[1], b"Subject: three\r\n\r\nno newline at the end\r\n\r\n",
     "RETR: a last line without LF is ended")
t.eq(retr(s, 1)[1], wire(M4), "RETR: bare CR kept, empty lines kept")
t.eq(s.cmd(b"TOP 2 1"), b"+OK \r\n", "TOP: +OK")
t.eq(b"".join(s.multi()), b"From: a@example.org\r\nSubject: one\r\n\r\n"
     b"body one\r\n\r\n", "TOP n 1: headers, blank line, one body line")
s.cmd(b"TOP 3 0")
t.eq(b"".join(s.multi()), b"Subject: two\r\nX: crlf\r\n\r\n\r\n",
     "TOP n 0 on a CR LF file: the headers")
s.cmd(b"TOP 2 99")
t.eq(b"".join(s.multi()), wire(M1), "TOP beyond the end: the whole message")
s.cmd(b"RETR 2 1")
t.eq(b"".join(s.multi()), wire(M1), "RETR n m: the whole message (not TOP)")
t.eq(s.cmd(b"RETR 0"), b"-ERR messages are counted from 1\r\n", "RETR 0")
t.eq(s.cmd(b"RETR 9"), b"-ERR not that many messages\r\n", "RETR past end")
t.eq(s.cmd(b"RETR x"), b"-ERR syntax error\r\n", "RETR x")
t.eq(s.cmd(b"RETR 99999999999999999999999"), b"-ERR syntax error\r\n",
     "RETR with a number too big")
t.eq(s.cmd(b"LAST"), b"+OK 0\r\n", "LAST before any DELE: 0")
t.eq(s.cmd(b"DELE 2"), b"+OK \r\n", "DELE 2")
t.eq(s.cmd(b"DELE 2"), b"-ERR already deleted\r\n", "DELE twice refused")
t.eq(s.cmd(b"RETR 2"), b"-ERR already deleted\r\n", "RETR deleted refused")
t.eq(s.cmd(b"LAST"), b"+OK 2\r\n", "LAST after DELE 2: 2")
t.eq(s.cmd(b"STAT"), b"+OK 3 %d\r\n" % (total - len(M1)),
     "STAT leaves the deleted message out")
s.cmd(b"LIST")
t.eq(len(s.multi()), 3, "LIST leaves the deleted message out")
t.ok(os.path.exists(os.path.join(md, "new", n1)),
     "DELE: the file stays until QUIT")
t.eq(s.cmd(b"RSET"), b"+OK \r\n", "RSET")
t.eq(s.cmd(b"STAT"), b"+OK 4 %d\r\n" % total, "RSET undeletes")
t.eq(s.cmd(b"LAST"), b"+OK 0\r\n", "RSET: LAST 0 again")
t.eq(s.cmd(b"DELE 2"), b"+OK \r\n", "DELE 2 again")
t.eq(s.cmd(b"DELE 1"), b"+OK \r\n", "DELE 1 (in cur/)")
t.eq(s.cmd(b"NOOP"), b"+OK \r\n", "NOOP")
t.eq(s.cmd(b"CAPA"), b"+OK capability list follows\r\n", "CAPA after login")
t.eq(s.multi(), [b"TOP\r\n", b"UIDL\r\n"], "CAPA after login: TOP UIDL")
t.eq(s.cmd(b"USER x"), b"-ERR unimplemented\r\n", "unknown command")
t.eq(s.cmd(b"LIST " + b"1" * 3000), b"-ERR line too long\r\n",
     "pop3d: overlong line refused")
t.eq(s.cmd(b"LIST\0"), b"-ERR syntax error\r\n", "pop3d: NUL byte refused")
t.eq(listing(md), (sorted([n1, n2, n3, ".hidden", "link", "subdir"]), [n4]),
     "before QUIT: nothing moved or removed")
t.eq(s.cmd(b"QUIT"), b"+OK \r\n", "QUIT: +OK")
rc, err = s.finish()
t.eq((rc, err), (0, b""), "session: popup exit 0, nothing logged")
t.eq(listing(md), (sorted([".hidden", "link", "subdir"]),
                   [n2 + ":2,", n3 + ":2,"]),
     "QUIT: deleted messages unlinked, the rest of new/ moved to cur/ "
     "with :2,")
if ROOT:
    t.eq(os.stat(os.path.join(md, "cur", n2 + ":2,")).st_uid, NOBODY.pw_uid,
         "moved file keeps its owner")

# the uids stay the same once moved
s = Session()
s.login()
s.cmd(b"UIDL")
t.eq(s.multi(), [b"1 1700000002.M1P1Q1.test\r\n",
                 b"2 1700000003.M1P1Q1.test\r\n"],
     "UIDL unchanged after the move to cur/")
t.eq(s.cmd(b"DELE 1"), b"+OK \r\n", "DELE, then the client goes away")
s.finish()
t.eq(listing(md)[1], [n2 + ":2,", n3 + ":2,"],
     "no QUIT: nothing removed")

# a message that vanishes during the session
s = Session()
s.login()
os.unlink(os.path.join(md, "cur", n2 + ":2,"))
t.eq(s.cmd(b"RETR 1"), b"-ERR unable to open that message\r\n",
     "RETR of a message another reader took")
s.cmd(b"DELE 1")
t.eq(s.cmd(b"QUIT"), b"+OK \r\n", "QUIT with it deleted: +OK")
s.finish()

# names a RFC 1939 client could not take as unique-ids
md = maildir()
long_name = "1700000001.M1P1Q1." + "h" * 80
put(md, "new", long_name, b"x\n", 1)
put(md, "new", "17 spaced name", b"y\n", 2)
s = Session()
s.login()
s.cmd(b"UIDL")
uids = [ln.split(b" ", 1)[1].rstrip(b"\r\n") for ln in s.multi()]
t.ok(len(uids) == 2 and all(re.match(rb"^H[0-9a-f]{16}$", u) for u in uids)
     and uids[0] != uids[1],
     "UIDL: long or spaced names become H + a 16-digit hash")
s.cmd(b"QUIT")
s.finish()

# pipelined commands right after PASS are not lost by qmail-popup
md = maildir()
put(md, "new", n1, M1)
s = Session()
s.send(b"USER alice\r\nPASS " + SECRET + b"\r\nSTAT\r\nUIDL 1\r\nQUIT\r\n")
got = [s.line() for _ in range(5)]
t.eq(got, [b"+OK \r\n", b"+OK \r\n", b"+OK 1 %d\r\n" % len(M1),
           b"+OK 1 " + n1.encode() + b"\r\n", b"+OK \r\n"],
     "pipelined USER PASS STAT UIDL QUIT all answered")
s.finish()

# QUIT when a deleted message cannot be removed
md = maildir()
put(md, "cur", n4, M4, 1)
put(md, "new", n1, M1, 2)
put(md, "cur", n1 + ":2,", b"already here\n", 3)   # the move's target
s = Session()
s.login()
s.cmd(b"DELE 1")
os.chmod(os.path.join(md, "cur"), 0o500)
t.eq(s.cmd(b"QUIT"), b"-ERR unable to unlink all deleted messages\r\n",
     "QUIT: unlink failure: one -ERR answer")
s.finish()
os.chmod(os.path.join(md, "cur"), 0o700)
t.eq(listing(md), ([n1], sorted([n1 + ":2,", n4])),
     "QUIT: a move never replaces a message in cur/")

md = maildir()
put(md, "new", "1700000009.M1P1Q1.test:2,S", M1, 1)
s = Session()
s.login()
s.cmd(b"QUIT")
s.finish()
t.eq(listing(md), ([], ["1700000009.M1P1Q1.test:2,S"]),
     "QUIT: a name in new/ that has an info already gets no second :2,")

if shutil.which("strace"):
    md = maildir()
    put(md, "new", n1, M1, 1)
    put(md, "new", n2, M2, 2)
    trace = os.path.join(TMP, "trace")
    s = Session(["strace", "-f", "-qq", "-o", trace, "-e",
                 "trace=unlink,unlinkat,rename,renameat,renameat2,fsync,"
                 "write", POPUP, "pop.example", CP, POP3D, "Maildir"])
    s.login()
    s.cmd(b"DELE 1")
    s.cmd(b"QUIT")
    s.finish()
    calls = [ln.split(None, 1)[1] for ln in open(trace) if " " in ln]
    idx = {k: next((i for i, c in enumerate(calls) if k in c), -1)
           for k in ("unlink", "rename", "fsync", "+OK \\r\\n\", 1)")}
    fsyncs = [i for i, c in enumerate(calls) if c.startswith("fsync")]
    quit_ok = [i for i, c in enumerate(calls)
               if c.startswith("write(1, \"+OK \\r\\n\"")]
    t.ok(len(fsyncs) == 2 and idx["unlink"] < fsyncs[0] and
         idx["rename"] < fsyncs[0] and quit_ok and fsyncs[1] < quit_ok[-1],
         "QUIT: new/ and cur/ fsynced after the unlink and the rename, "
         "before +OK")
else:
    t.skip("QUIT: fsync order", "strace not installed")

# APOP
md = maildir()
put(md, "new", n1, M1)
s = Session()
stamp = s.greeting[4:-2]
digest = hashlib.md5(stamp + SECRET).hexdigest().encode()
t.eq(s.cmd(b"APOP alice " + digest), b"+OK \r\n", "APOP with the right digest")
with open(RECORD, "rb") as f:
    t.eq(f.read(), b"alice\0" + digest + b"\0" + stamp + b"\0",
         "APOP: descriptor 3 has name, digest, timestamp")
t.eq(s.cmd(b"STAT"), b"+OK 1 %d\r\n" % len(M1), "APOP: session works")
s.cmd(b"QUIT")
s.finish()
s = Session()
t.eq(s.cmd(b"APOP alice " + b"0" * 32), b"-ERR authorization failed\r\n",
     "APOP with a wrong digest fails")
s.finish()

# qmail-pop3d refusals
s = Session([POPUP, "pop.example", CP, POP3D, "NoSuchMaildir"])
t.eq(s.login(), b"-ERR this user has no $HOME/Maildir\r\n",
     "missing Maildir: -ERR")
t.eq(s.finish()[0], 0, "missing Maildir: popup exit 0 (pop3d answered)")
if ROOT:
    p = subprocess.run([POP3D, md], capture_output=True)
    t.eq((p.returncode, p.stdout, p.stderr),
         (1, b"", b"qmail-pop3d: fatal: invoked as uid 0, terminating\n"),
         "qmail-pop3d as root: exit 1, nothing to the client")
else:
    t.skip("qmail-pop3d as root", "needs root")

# --- timeouts (control/timeoutpop3d) --------------------------------------
with open(os.path.join(CONTROL, "timeoutpop3d"), "w") as f:
    f.write("1\n")
s = Session()
start = time.monotonic()
got = s.line()
took = time.monotonic() - start
t.ok(got == b"" and 0.8 < took < 5, "popup: idle timeout from "
     "control/timeoutpop3d closes the connection (%.1f s)" % took)
t.eq(s.finish()[0], 1, "popup: timeout: exit 1")
md = maildir()
put(md, "new", n1, M1)
s = Session()
s.login()
s.cmd(b"DELE 1")
start = time.monotonic()
got = s.line()
took = time.monotonic() - start
t.ok(got == b"" and 0.8 < took < 5, "pop3d: idle timeout closes the "
     "connection (%.1f s)" % took)
t.eq(s.finish()[0], 0, "pop3d: timeout: exit 0")
t.eq(listing(md), ([n1], []), "pop3d: timeout changes nothing")
os.unlink(os.path.join(CONTROL, "timeoutpop3d"))
os.mkdir(os.path.join(CONTROL, "timeoutpop3d"))
s = Session()
t.eq(s.greeting, b"-ERR unable to read controls\r\n",
     "unreadable control/timeoutpop3d: -ERR")
t.eq(s.finish()[0], 111, "unreadable control/timeoutpop3d: exit 111")
os.rmdir(os.path.join(CONTROL, "timeoutpop3d"))

# --- many messages, a big one ------------------------------------------------
md = maildir()
N = 5000
for i in range(N):
    put(md, "new" if i % 2 else "cur", "%d.M%dP1Q1.many" % (1700000000 + i, i),
        b"Subject: %d\n\nmessage %d\n" % (i, i), 1700000000 + i)
s = Session()
start = time.monotonic()
t.eq(s.login(), b"+OK \r\n", "%d messages: login" % N)
s.cmd(b"LIST")
lst = s.multi()
took = time.monotonic() - start
t.eq(len(lst), N, "%d messages: LIST has them all" % N)
t.diag("login and LIST of %d messages: %.2f s" % (N, took))
s.cmd(b"UIDL")
uids = [ln.split()[1] for ln in s.multi()]
t.eq(uids, [b"%d.M%dP1Q1.many" % (1700000000 + i, i) for i in range(N)],
     "%d messages: UIDL in delivery order" % N)
t.eq(s.cmd(b"RETR %d" % N), b"+OK \r\n", "%d messages: RETR the last" % N)
t.eq(b"".join(s.multi()), b"Subject: %d\r\n\r\nmessage %d\r\n\r\n"
     % (N - 1, N - 1), "%d messages: the last one's text" % N)
oks = 0
for batch in range(1, N + 1, 200):   # pipelined, 100 at a time
    todo = range(batch, min(batch + 200, N + 1), 2)
    s.send(b"".join(b"DELE %d\r\n" % i for i in todo))
    oks += sum(1 for _ in todo if s.line() == b"+OK \r\n")
t.eq(oks, N // 2, "%d messages: pipelined DELE of half" % N)
t.eq(s.cmd(b"QUIT"), b"+OK \r\n", "%d messages: QUIT" % N)
s.finish()
new, cur = listing(md)
t.eq((len(new), len(cur)), (0, N // 2), "%d messages: half left, all in cur/"
     % N)

md = maildir()
big = b"Subject: big\n\n" + b"".join(
    (b"." if i % 7 == 0 else b"") + b"%07d " % i + b"x" * 120 + b"\n"
    for i in range(80000))
big += b"y" * 1000000 + b"\n"          # one line of a megabyte
put(md, "new", n1, big)
s = Session()
s.login()
first, body = retr(s, 1)
t.ok(len(big) > 10000000 and body == wire(big),
     "a %d-byte message: RETR exact, dot-stuffed" % len(big))
s.cmd(b"QUIT")
s.finish()

# --- real clients through tcpserver ------------------------------------------
if TCPSERVER is None:
    t.skip("poplib and fetchmail through tcpserver", "tcpserver not installed")
    shutil.rmtree(TMP, ignore_errors=True)
    t.done()

server = tcpserver(TCPSERVER, PORT,
                   [POPUP, "pop.example", CP, POP3D, "Maildir"])
try:
    wait_port(PORT, tries=200)
    md = maildir()
    put(md, "new", n1, M1, 1)
    put(md, "new", n2, M2, 2)
    put(md, "cur", n4, M4, 3)
    c = poplib.POP3("127.0.0.1", PORT, timeout=30)
    t.ok(c.getwelcome().startswith(b"+OK <"), "poplib: welcome")
    caps = c.capa()
    t.ok("TOP" in caps and "UIDL" in caps and "USER" in caps,
         "poplib: capa() sees TOP UIDL USER")
    c.user("alice")
    t.ok(c.pass_(SECRET.decode()).startswith(b"+OK"), "poplib: login")
    t.eq(c.stat(), (3, len(M1) + len(M2) + len(M4)), "poplib: stat()")
    resp, lines, _ = c.list()
    t.eq(lines, [b"1 %d" % len(M1), b"2 %d" % len(M2), b"3 %d" % len(M4)],
         "poplib: list()")
    resp, lines, _ = c.uidl()
    t.eq(lines, [b"1 " + n1.encode(), b"2 " + n2.encode(),
                 b"3 1700000004.M1P1Q1.test"], "poplib: uidl()")
    resp, lines, _ = c.retr(1)
    t.eq(lines, M1.split(b"\n"), "poplib: retr() gives the message back "
         "(dots unstuffed) plus qmail's blank line")
    resp, lines, _ = c.retr(2)
    t.eq(lines, M2.replace(b"\r\n", b"\n").split(b"\n"),
         "poplib: retr() of a CR LF file")
    resp, lines, _ = c.top(1, 0)
    t.eq(lines, [b"From: a@example.org", b"Subject: one", b"", b""],
         "poplib: top(n, 0)")
    c.dele(1)
    c.rset()
    c.dele(2)
    t.ok(c.quit().startswith(b"+OK"), "poplib: quit()")
    t.eq(listing(md), ([], sorted([n1 + ":2,", n4])),
         "poplib: deleted one gone, the other moved to cur/")
    c = poplib.POP3("127.0.0.1", PORT, timeout=30)
    c.user("alice")
    try:
        c.pass_("wrong")
        t.ok(False, "poplib: wrong password raises error_proto")
    except poplib.error_proto as e:
        t.eq(str(e), "b'-ERR authorization failed'",
             "poplib: wrong password raises error_proto")
    c.close()
    c = poplib.POP3("127.0.0.1", PORT, timeout=30)
    t.ok(c.apop("alice", SECRET.decode()).startswith(b"+OK"),
         "poplib: apop()")
    t.eq(c.stat()[0], 2, "poplib: apop() session")
    c.quit()

    # --- fetchmail -----------------------------------------------------------
    if FETCHMAIL is None:
        t.skip("fetchmail retrieves the messages", "fetchmail not installed")
    else:
        md = maildir()
        put(md, "new", n1, M1, 1)
        put(md, "new", n2, M2, 2)
        # fetchmail cuts lines longer than 8 KiB: none here
        bigfm = big[:-1000001]
        put(md, "new", "big", bigfm, 3)
        fmhome = os.path.join(TMP, "fetchmail")
        os.mkdir(fmhome, 0o700)
        out = os.path.join(fmhome, "delivered")
        mda = os.path.join(fmhome, "mda")
        with open(mda, "w") as f:
            f.write("#!/bin/sh\n{ echo '=== message'; cat; } >> '%s'\n" % out)
        os.chmod(mda, 0o755)
        rc = os.path.join(fmhome, "fetchmailrc")
        with open(rc, "w") as f:
            f.write('poll 127.0.0.1 port %d protocol POP3 auth password\n'
                    '  user "alice" password "%s"\n'
                    '  mda "%s" fetchall\n' % (PORT, SECRET.decode(), mda))
        os.chmod(rc, 0o600)
        env = dict(os.environ, HOME=fmhome, FETCHMAILHOME=fmhome)
        p = subprocess.run([FETCHMAIL, "-f", rc, "--nosyslog", "-v",
                            "--nodetach", "--sslproto", ""],
                           capture_output=True, env=env, timeout=120)
        log = (p.stdout + p.stderr).decode(errors="replace")
        t.eq(p.returncode, 0, "fetchmail: exit 0")
        if p.returncode:
            for ln in log.splitlines()[-15:]:
                t.diag(ln)
        got = open(out, "rb").read() if os.path.exists(out) else b""
        parts = got.split(b"=== message\n")[1:]
        t.eq(len(parts), 3, "fetchmail: three messages delivered")
        t.ok(len(parts) == 3 and parts[0].endswith(b"body one\n"
                                                   b".leading dot\n..two\n\n")
             and b"X: crlf\n" in parts[1] and b"\r" not in parts[1],
             "fetchmail: bodies intact, dots unstuffed, CR LF to LF")
        t.ok(len(parts) == 3 and parts[2].endswith(b"\n\n" + bigfm[14:]
                                                   + b"\n"),
             "fetchmail: the %d-byte message intact" % len(bigfm))
        t.eq(listing(md), ([], []), "fetchmail: messages deleted from the "
             "Maildir (QUIT)")
finally:
    server.send_signal(signal.SIGTERM)
    server.wait(10)

shutil.rmtree(TMP, ignore_errors=True)
t.done()
