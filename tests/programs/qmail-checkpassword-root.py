#!/usr/bin/env python3
"""qmail-checkpassword with real system users (run as root): a user made
with useradd and a password set with chpasswd logs in, and the program it
runs has that user's ids, groups, home and environment; wrong passwords,
unknown users, locked and expired accounts and uid 0 are refused.  Then
the whole POP3 chain, qmail-popup + qmail-checkpassword + qmail-pop3d,
and the same chain with Debian's checkpw and checkapoppw (an independent
checkpassword implementation) in its place.  Skipped (one TAP skip) when
not root."""
import hashlib
import os
import pwd
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from tap import Tap, QBIN, instance_reset  # noqa: E402

t = Tap()
if os.geteuid() != 0:
    t.skip("qmail-checkpassword with system users", "needs root")
    t.done()

CHK = os.path.join(QBIN, "qmail-checkpassword")
POPUP = os.path.join(QBIN, "qmail-popup")
POP3D = os.path.join(QBIN, "qmail-pop3d")
CHECKPW = shutil.which("checkpw")
CHECKAPOPPW = shutil.which("checkapoppw")
NAME = "qtcp%d" % (os.getpid() % 100000)
ZERO = "qtcz%d" % (os.getpid() % 100000)
PASSWORD = "Corr3ct horse!"
TOP = tempfile.mkdtemp(prefix="cproot.")
os.chmod(TOP, 0o755)
HOME = os.path.join(TOP, NAME)
REC = os.path.join(TOP, "record")
MSG = b"From: a@example.org\nSubject: root test\n\nhello\n"


def check(user, password, prog, stamp=b"<1.2@x>", raw=None, as_user=None):
    """Run qmail-checkpassword prog... with the record on descriptor 3."""
    with open(REC, "wb") as f:
        f.write(raw if raw is not None else
                user.encode() + b"\0" + password.encode() + b"\0" + stamp +
                b"\0")
    os.chmod(REC, 0o644)
    p = subprocess.run(["sh", "-c", 'exec "$@" 3<"$REC"', "sh", CHK] + prog,
                       env=dict(os.environ, REC=REC), capture_output=True,
                       preexec_fn=as_user, timeout=60)
    return p.returncode, p.stdout, p.stderr


def useradd(args):
    subprocess.run(["useradd"] + args, check=True, stderr=subprocess.DEVNULL)


def chpasswd(name, password):
    subprocess.run(["chpasswd"], input=("%s:%s\n" % (name, password)).encode(),
                   check=True)


class Session:
    def __init__(self, argv):
        a, b = socket.socketpair()
        self.p = subprocess.Popen(argv, stdin=b, stdout=b,
                                  stderr=subprocess.PIPE)
        b.close()
        a.settimeout(30)
        self.s = a
        self.f = a.makefile("rb")
        self.greeting = self.f.readline()

    def cmd(self, c):
        self.s.sendall(c + b"\r\n")
        return self.f.readline()

    def multi(self):
        out = []
        while True:
            ln = self.f.readline()
            if ln in (b".\r\n", b""):
                return out
            out.append(ln)

    def finish(self):
        self.f.close()
        self.s.close()
        rc = self.p.wait(30)
        return rc, self.p.stderr.read()


def children(pid):
    """The pids whose parent is pid."""
    out = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/status" % d) as f:
                st = dict(ln.split(":", 1) for ln in f if ":" in ln)
        except OSError:
            continue
        if int(st["PPid"]) == pid:
            out.append((int(d), int(st["Uid"].split()[0]),
                        st["Name"].strip()))
    return out


def make_maildir():
    md = os.path.join(HOME, "Maildir")
    shutil.rmtree(md, ignore_errors=True)
    for s in ("", "/tmp", "/new", "/cur"):
        os.mkdir(md + s, 0o700)
        os.chown(md + s, pw.pw_uid, pw.pw_gid)
    for i in (1, 2):
        path = os.path.join(md, "new", "170000000%d.M1P1Q1.root" % i)
        with open(path, "wb") as f:
            f.write(MSG)
        os.chown(path, pw.pw_uid, pw.pw_gid)
        os.utime(path, (1700000000 + i, 1700000000 + i))
    return md


instance_reset()
useradd(["-M", "-d", HOME, "-s", "/bin/sh", "-U", NAME])
try:
    pw = pwd.getpwnam(NAME)
    chpasswd(NAME, PASSWORD)
    os.mkdir(HOME, 0o700)
    os.chown(HOME, pw.pw_uid, pw.pw_gid)
    md = make_maildir()

    show = ["sh", "-c", 'id -u; id -g; id -G; pwd; echo "$USER $HOME $SHELL";'
            ' if [ -e /proc/$$/fd/3 ]; then echo fd3; else echo no-fd3; fi']
    rc, out, err = check(NAME, PASSWORD, show)
    t.eq(rc, 0, "right password: the program runs (exit 0)")
    lines = out.decode().split("\n")
    t.eq(lines[:6], [str(pw.pw_uid), str(pw.pw_gid), str(pw.pw_gid),
                     HOME, "%s %s /bin/sh" % (NAME, HOME), "no-fd3"],
         "right password: uid, gid, only the user's groups, home, USER HOME "
         "SHELL, descriptor 3 closed")
    rc, out, err = check(NAME, "wrong", ["touch", os.path.join(TOP, "ran")])
    t.eq(rc, 1, "wrong password: exit 1")
    t.ok(not os.path.exists(os.path.join(TOP, "ran")),
         "wrong password: the program does not run")
    # yescrypt (Debian's chpasswd default) needs megabytes: too little
    # address space is a temporary failure, never "wrong password"
    lim = shutil.which("softlimit")
    with open(CHK, "rb") as f:
        sanitized = b"__asan_init" in f.read()
    if lim is None or sanitized:
        t.skip("a hash crypt cannot compute for lack of memory: exit 111",
               "sanitizer build: no address-space limit possible"
               if sanitized else "no softlimit (daemontools)")
    else:
        with open(REC, "wb") as f:
            f.write(NAME.encode() + b"\0" + PASSWORD.encode() + b"\0x\0")
        p = subprocess.run([lim, "-m", "8000000", "sh", "-c",
                            'exec "$@" 3<"$REC"', "sh", CHK, "true"],
                           env=dict(os.environ, REC=REC), capture_output=True,
                           timeout=60)
        t.eq(p.returncode, 111, "a hash crypt cannot compute for lack of "
             "memory: exit 111, not 1") or t.diag(repr(p.stderr))
    t.eq(check(NAME, PASSWORD[:-1], ["true"])[0], 1,
         "password missing its last character: exit 1")
    t.eq(check(NAME, PASSWORD + "x", ["true"])[0], 1,
         "password with an extra character: exit 1")
    t.eq(check("nosuchuser" + NAME, PASSWORD, ["true"])[0], 1,
         "unknown user: exit 1")
    t.eq(check("", PASSWORD, ["true"])[0], 1, "empty user name: exit 1")
    t.eq(check("root", "", ["true"])[0], 1, "root, empty password: exit 1")
    t.eq(check("root", PASSWORD, ["true"])[0], 1, "root: exit 1")

    # a second uid 0 account whose password we know: still refused
    useradd(["-o", "-u", "0", "-g", "0", "-N", "-M", "-d",
             os.path.join(TOP, "zero-home"), "-s", "/bin/sh", ZERO])
    try:
        chpasswd(ZERO, PASSWORD)
        rc, out, err = check(ZERO, PASSWORD, ["id", "-u"])
        t.eq((rc, out), (1, b""), "uid 0 with the right password: exit 1")
    finally:
        subprocess.run(["userdel", "-f", ZERO], stderr=subprocess.DEVNULL)

    subprocess.run(["usermod", "-L", NAME], check=True)
    t.eq(check(NAME, PASSWORD, ["true"])[0], 1, "locked account: exit 1")
    subprocess.run(["usermod", "-U", NAME], check=True)
    t.eq(check(NAME, PASSWORD, ["true"])[0], 0, "unlocked again: exit 0")
    subprocess.run(["chage", "-E", "1", NAME], check=True)
    t.eq(check(NAME, PASSWORD, ["true"])[0], 1, "expired account: exit 1")
    subprocess.run(["chage", "-E", "-1", NAME], check=True)
    t.eq(check(NAME, PASSWORD, ["true"])[0], 0, "expiry removed: exit 0")

    rc, out, err = check(NAME, PASSWORD, [], raw=b"x")
    t.eq(rc, 2, "no subprogram: exit 2")
    t.eq(check(NAME, PASSWORD, ["true"], raw=b"no nul at all")[0], 2,
         "record without NUL bytes: exit 2")
    t.eq(check(NAME, PASSWORD, ["true"], raw=NAME.encode() + b"\0pw")[0], 2,
         "record without the password's NUL: exit 2")
    p = subprocess.run([CHK, "true"], capture_output=True)
    t.eq(p.returncode, 2, "descriptor 3 not open: exit 2")
    rc, out, err = check(NAME, PASSWORD, [os.path.join(TOP, "nonexistent")])
    t.eq(rc, 111, "subprogram missing: exit 111")
    t.ok(PASSWORD.encode() not in err, "the password is never printed")

    nobody = pwd.getpwnam("nobody")

    def as_nobody():
        os.setgroups([])
        os.setgid(nobody.pw_gid)
        os.setuid(nobody.pw_uid)
    rc, out, err = check(NAME, PASSWORD, ["id", "-u"], as_user=as_nobody)
    t.eq((rc, out), (1, b""), "run as another user: cannot switch, exit 1")

    def timed(user, password, n=3):
        runs = []
        for _ in range(n):
            start = time.monotonic()
            check(user, password, ["true"])
            runs.append(time.monotonic() - start)
        return statistics.median(runs)
    wrong = timed(NAME, "wrong")
    unknown = timed("nosuchuser" + NAME, "wrong")
    t.diag("median time: wrong password %.1f ms, unknown user %.1f ms" %
           (wrong * 1000, unknown * 1000))
    t.ok(unknown > wrong * 0.4, "an unknown user takes about as long as a "
         "wrong password (the password is hashed anyway)")

    # --- the POP3 chain ------------------------------------------------------
    chain = [POPUP, "pop.example", CHK, POP3D, "Maildir"]
    s = Session(chain)
    s.cmd(b"USER " + NAME.encode())
    t.eq(s.cmd(b"PASS " + PASSWORD.encode()), b"+OK \r\n",
         "popup + qmail-checkpassword + pop3d: login")
    kids = children(s.p.pid)
    t.eq([(k[1], k[2]) for k in kids], [(pw.pw_uid, "qmail-pop3d")],
         "qmail-pop3d runs as the user")
    t.eq(s.cmd(b"STAT"), b"+OK 2 %d\r\n" % (2 * len(MSG)), "chain: STAT")
    t.eq(s.cmd(b"DELE 1"), b"+OK \r\n", "chain: DELE 1")
    t.eq(s.cmd(b"QUIT"), b"+OK \r\n", "chain: QUIT")
    t.eq(s.finish()[0], 0, "chain: popup exit 0")
    cur = os.listdir(os.path.join(md, "cur"))
    t.eq(cur, ["1700000002.M1P1Q1.root:2,"], "chain: one deleted, one moved")
    st = os.stat(os.path.join(md, "cur", cur[0])) if cur else None
    t.ok(st is not None and st.st_uid == pw.pw_uid,
         "chain: the moved message is still the user's")
    s = Session(chain)
    s.cmd(b"USER " + NAME.encode())
    t.eq(s.cmd(b"PASS wrong"), b"-ERR authorization failed\r\n",
         "chain: wrong password")
    s.finish()
    s = Session(chain)
    s.cmd(b"USER root")
    t.eq(s.cmd(b"PASS " + PASSWORD.encode()),
         b"-ERR authorization failed\r\n", "chain: root refused")
    s.finish()

    # --- Debian's checkpw / checkapoppw as the checkpassword program ---------
    if CHECKPW is None or CHECKAPOPPW is None:
        t.skip("checkpw as an independent peer", "checkpw not installed")
    else:
        md = make_maildir()
        pwfile = os.path.join(md, ".password")
        with open(pwfile, "w") as f:
            f.write("peer secret\n")
        os.chmod(pwfile, 0o600)
        os.chown(pwfile, pw.pw_uid, pw.pw_gid)
        s = Session([POPUP, "pop.example", CHECKPW, POP3D, "Maildir"])
        s.cmd(b"USER " + NAME.encode())
        t.eq(s.cmd(b"PASS peer secret"), b"+OK \r\n",
             "checkpw: qmail-popup's record logs in")
        s.cmd(b"UIDL")
        t.eq(len(s.multi()), 2, "checkpw: qmail-pop3d serves the Maildir")
        s.cmd(b"QUIT")
        s.finish()
        s = Session([POPUP, "pop.example", CHECKAPOPPW, POP3D, "Maildir"])
        stamp = s.greeting[4:-2]
        digest = hashlib.md5(stamp + b"peer secret").hexdigest().encode()
        t.eq(s.cmd(b"APOP " + NAME.encode() + b" " + digest), b"+OK \r\n",
             "checkapoppw: APOP digest over qmail-popup's timestamp")
        t.eq(s.cmd(b"STAT"), b"+OK 2 %d\r\n" % (2 * len(MSG)),
             "checkapoppw: session")
        s.cmd(b"QUIT")
        s.finish()
        s = Session([POPUP, "pop.example", CHECKAPOPPW, POP3D, "Maildir"])
        t.eq(s.cmd(b"APOP " + NAME.encode() + b" " + b"0" * 32),
             b"-ERR authorization failed\r\n", "checkapoppw: wrong digest")
        s.finish()
finally:
    subprocess.run(["userdel", NAME], stderr=subprocess.DEVNULL)
    shutil.rmtree(TOP, ignore_errors=True)
t.done()
