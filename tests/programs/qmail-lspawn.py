#!/usr/bin/env python3
"""Black-box tests of qmail-lspawn in the unprivileged build: the spawn
protocol of spawnproto.h on its fds 0 and 1, users/cdb lookups, Maildir
deliveries through qmail-local, concurrency and the report bytes."""
import os
import select
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from tap import Tap, QHOME, QBIN, instance_reset  # noqa: E402

t = Tap()
instance_reset()
TOP = tempfile.mkdtemp(prefix="lspawn.")
os.chmod(TOP, 0o755)
SPLIT = len(os.listdir(os.path.join(QHOME, "queue", "mess")))
USER = __import__("pwd").getpwuid(os.getuid()).pw_name


def new_home(maildir=True):
    home = tempfile.mkdtemp(dir=TOP)
    os.chmod(home, 0o755)
    if maildir:
        for d in ("tmp", "new", "cur"):
            os.makedirs(os.path.join(home, "Maildir", d))
    return home


def put_message(num, body=b"Subject: t\n\nhello\n"):
    path = os.path.join(QHOME, "queue", "mess", str(num % SPLIT), str(num))
    with open(path, "wb") as f:
        f.write(body)
    return "%d/%d" % (num % SPLIT, num)


def cmd(delnum, messid, sender, recip):
    return (delnum.to_bytes(2, "big") + messid.encode() + b"\0" +
            sender.encode() + b"\0" + recip.encode() + b"\0")


class Helper:
    def __init__(self, argv):
        self.p = subprocess.Popen(argv, stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, cwd=TOP)
        self.buf = b""

    def need(self, n, timeout=20):
        while len(self.buf) < n:
            r, _, _ = select.select([self.p.stdout], [], [], timeout)
            if not r:
                raise TimeoutError("no data")
            chunk = os.read(self.p.stdout.fileno(), 65536)
            if not chunk:
                raise EOFError("eof")
            self.buf += chunk

    def greeting(self):
        self.need(2)
        g, self.buf = self.buf[:2], self.buf[2:]
        return int.from_bytes(g, "big")

    def report(self):
        while b"\0" not in self.buf[2:]:
            self.need(len(self.buf) + 1)
        i = self.buf.index(b"\0", 2)
        rep, self.buf = self.buf[:i + 1], self.buf[i + 1:]
        return rep

    def send(self, data):
        self.p.stdin.write(data)
        self.p.stdin.flush()

    def close(self):
        self.p.stdin.close()
        rest = self.p.stdout.read()
        return self.p.wait(timeout=20), self.buf + rest


def maildir_count(home):
    return len(os.listdir(os.path.join(home, "Maildir", "new")))


# users/assign: joe and a wildcard for list-* with an ext
home_joe = new_home()
home_list = new_home()
with open(os.path.join(home_list, ".qmail-default"), "w") as f:
    f.write("./Maildir/\n")
with open(os.path.join(QHOME, "users", "assign"), "w") as f:
    f.write("=joe:%s:%d:%d:%s:::\n" % (USER, os.getuid(), os.getgid(),
                                         home_joe))
    f.write("+list-:%s:%d:%d:%s:-::\n" % (USER, os.getuid(), os.getgid(),
                                           home_list))
    f.write("+joe-:%s:%d:%d:%s:-::\n" % (USER, os.getuid(), os.getgid(),
                                          home_joe))
    f.write("=rootish:root:0:0:%s:::\n" % home_joe)
    f.write(".\n")
r = subprocess.run([os.path.join(QBIN, "qmail-newu")], capture_output=True)
t.eq(r.returncode, 0, "qmail-newu builds users/cdb")

LSPAWN = [os.path.join(QBIN, "qmail-lspawn"), "./Maildir/"]

h = Helper(LSPAWN)
slots = h.greeting()
t.ok(slots >= 1000, "announces at least 1000 slots in 2 bytes (got %d)"
     % slots)

m1 = put_message(1001)
h.send(cmd(0, m1, "s@example.net", "joe@example.com"))
rep = h.report()
t.eq(rep[:3], b"\0\0K", "delivery to joe: slot 0, status K")
t.ok(rep.endswith(b"\0") and rep.count(b"\0") == 3,
     "report is delnum(2) K text NUL")
t.ok(b"did 1+0+0" in rep, "report carries qmail-local's text")
t.eq(maildir_count(home_joe), 1, "message landed in joe's Maildir")
with open(os.path.join(home_joe, "Maildir", "new",
                       os.listdir(os.path.join(home_joe, "Maildir",
                                               "new"))[0]), "rb") as f:
    data = f.read()
t.ok(b"Delivered-To: joe@example.com" in data,
     "Delivered-To line names the recipient")
t.ok(b"Return-Path: <s@example.net>" in data, "Return-Path from sender")

# a high slot number (above one byte)
h.send(cmd(1000, m1, "s@example.net", "joe@example.com"))
rep = h.report()
t.eq(rep[:3], b"\x03\xe8K", "slot 1000 is echoed in two bytes")

# wildcard entry: list-foo goes to home_list with ext foo
h.send(cmd(5, m1, "", "list-foo@example.com"))
rep = h.report()
t.eq(rep[:3], b"\0\x05K", "wildcard assignment delivers")
t.eq(maildir_count(home_list), 1, "wildcard delivery landed")

# several concurrent deliveries, answered each once
N = 40
batch = b"".join(cmd(100 + i, m1, "s@example.net", "joe@example.com")
                 for i in range(N))
h.send(batch)
seen = set()
for i in range(N):
    rep = h.report()
    seen.add(int.from_bytes(rep[:2], "big"))
    if rep[2:3] != b"K":
        t.eq(seen, set(range(100, 100 + N)), "%d concurrent deliveries each reported"
     % N)
t.eq(maildir_count(home_joe), 2 + N, "all concurrent deliveries landed")

# a slot in use is refused while its delivery runs
with open(os.path.join(home_joe, ".qmail-slow"), "w") as f:
    f.write("|sleep 1\n./Maildir/\n")
h.send(cmd(20, m1, "", "joe-slow@example.com") +
       cmd(20, m1, "", "joe@example.com"))
first = h.report()
second = h.report()
t.eq(first, b"\0\x14ZInternal error: delnum in use. (#4.3.5)\n\0",
     "a second command for a busy slot is refused at once")
t.eq(second[:3], b"\0\x14K", "the running delivery still reports")

# errors produced by lspawn itself, with qmail's exact bytes
h.send(cmd(7, m1, "", "joe"))
t.eq(h.report(), b"\0\x07DSorry, address must include host name. (#5.1.3)\n\0",
     "recipient without @: exact D report")
h.send(cmd(7, "1x/2", "", "joe@x"))
t.eq(h.report(), b"\0\x07DInternal error: messid has nonnumerics. (#5.3.5)\n\0",
     "bad messid refused")
h.send(cmd(7, "3/99999", "", "joe@x"))
t.eq(h.report(), b"\0\x07Zqmail-spawn unable to open message. (#4.3.0)\n\0",
     "missing message: Z")
h.send(cmd(65535, m1, "", "joe@x"))
rep = h.report()
if slots < 65535:
    t.eq(rep, b"\xff\xffZInternal error: delnum too big. (#4.3.5)\n\0",
         "delnum beyond the slots is refused")
else:
    t.eq(rep[2:3], b"K", "slot 65535 usable")
if os.getuid() != 0:
    h.send(cmd(8, m1, "", "rootish@x"))
    t.eq(h.report(),
         b"\0\x08ZNot allowed to perform deliveries as root.\n\0",
         "an assignment to uid 0 is refused")
else:
    t.skip("an assignment to uid 0 is refused",
           "unprivileged build made by root: every role is uid 0")

# empty local part: success with nothing done (qmail)
h.send(cmd(9, m1, "", "@example.com"))
t.eq(h.report(), b"\0\x09K\0", "empty local part: K with no text")

# unknown user goes through qmail-getpw
h.send(cmd(10, m1, "", "nosuchuser-xyzzy@example.com"))
rep = h.report()
t.ok(rep[2:3] in (b"K", b"Z", b"D") and rep[:2] == b"\0\x0a",
     "unknown user answered through qmail-getpw (%r)" % rep[:80])

# a deferral: the user's .qmail says exit 111
with open(os.path.join(home_joe, ".qmail-tmp"), "w") as f:
    f.write("|echo later; exit 111\n")
h.send(cmd(11, m1, "", "joe-tmp@example.com"))
rep = h.report()
t.eq(rep[:3], b"\0\x0bZ", "exit 111 from the .qmail command: Z")
t.ok(b"later" in rep, "deferral text is reported")
with open(os.path.join(home_joe, ".qmail-perm"), "w") as f:
    f.write("|echo nope; exit 100\n")
h.send(cmd(12, m1, "", "joe-perm@example.com"))
rep = h.report()
t.eq(rep[:3], b"\0\x0cD", "exit 100: D")

# long output is truncated as qmail does
with open(os.path.join(home_joe, ".qmail-long"), "w") as f:
    f.write("|yes xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx | head -c 20000; exit 100\n")
h.send(cmd(13, m1, "", "joe-long@example.com"))
rep = h.report()
t.ok(len(rep) <= 3000 + 4 and
     rep.endswith(b"\nError report too long, sorry.\n\0"),
     "long report truncated to 3000 bytes with qmail's note (%d)" % len(rep))

# end of input: exits 0
rc, rest = h.close()
t.eq(rc, 0, "exits 0 at end of input")
t.eq(rest, b"", "nothing more written")

# no defaultdelivery: usage
r = subprocess.run(LSPAWN[:1], capture_output=True, stdin=subprocess.DEVNULL)
t.eq(r.returncode, 100, "no default delivery argument: exit 100")

shutil.rmtree(TOP, ignore_errors=True)
t.done()
