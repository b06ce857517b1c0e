#!/usr/bin/env python3
"""Recipient validation at RCPT time: qmail-newrcpt builds users/rcpt.cdb
from users/cdb (assign =/+ lines), ~alias and the homes' dot-qmail files;
qmail-smtpd with control/rcptcheck asks it for local and virtual domains.
A missing, stale or corrupt database is a 451, never accept- or
refuse-all."""
import os
import pwd
import shutil
import subprocess
import sys
import threading

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from tap import Tap, QHOME, QBIN, QBUILD, instance_reset  # noqa: E402
from queuetest import control  # noqa: E402

t = Tap()
SMTPD = os.path.join(QBIN, "qmail-smtpd")
NEWRCPT = os.path.join(QBIN, "qmail-newrcpt")
NEWU = os.path.join(QBIN, "qmail-newu")
DB = os.path.join(QHOME, "users", "rcpt.cdb")
ENV = {"PATH": "/usr/bin:/bin", "TCPREMOTEIP": "192.0.2.7",
       "TCPREMOTEHOST": "client.example.net", "TCPLOCALIP": "192.0.2.1"}
HOMES = os.path.join(QBUILD, "t-newrcpt-homes")
ME = pwd.getpwuid(os.getuid())
UID, GID, USER = os.getuid(), os.getgid(), ME.pw_name


def home(name, files):
    d = os.path.join(HOMES, name)
    os.makedirs(d, exist_ok=True)
    for f in files:
        with open(os.path.join(d, f), "w") as fh:
            fh.write("./Mailbox\n")
    return d


def assign(lines):
    with open(os.path.join(QHOME, "users", "assign"), "w") as f:
        f.write("".join(x + "\n" for x in lines) + ".\n")
    p = subprocess.run([NEWU], capture_output=True)
    assert p.returncode == 0, p.stderr


def newrcpt():
    p = subprocess.run([NEWRCPT], capture_output=True)
    return p.returncode, p.stderr.decode("latin-1")


def rcpt(*addrs, env=None):
    """The replies to RCPT TO for each address, in one session."""
    data = b"HELO x\r\nMAIL FROM:<s@example.net>\r\n"
    for a in addrs:
        data += b"RCPT TO:<" + a.encode() + b">\r\n"
    data += b"QUIT\r\n"
    e = dict(ENV)
    e.update(env or {})
    p = subprocess.run([SMTPD], input=data, capture_output=True, env=e,
                       timeout=60)
    lines = p.stdout.decode("latin-1").split("\r\n")
    return lines[3:3 + len(addrs)]


def code(addr, env=None):
    return rcpt(addr, env=env)[0][:3]


def setup():
    instance_reset()
    shutil.rmtree(HOMES, ignore_errors=True)
    control("me", "mx.example.org\n")
    control("rcpthosts", "example.org\nvirt.example\n.virt.example\n"
                         "backup.example\n")
    control("locals", "example.org\n")
    control("virtualdomains", "virt.example:vp\nexcept.virt.example:\n")
    hj = home("joe", [])
    hs = home("shop", [".qmail-sales"])
    hv = home("virt", [".qmail-info", ".qmail-list-default",
                       ".qmail-Dotted:Name"])
    ht = home("team", [".qmail-default"])
    u = f"{USER}:{UID}:{GID}"
    assign([f"=joe:{u}:{hj}:::",
            f"=sales:{u}:{hs}:-:sales:",
            f"=nobox:{u}:{hs}:-:nobox:",
            f"+vp-:{u}:{hv}:-::",
            f"+team-:{u}:{ht}:-::",
            f"+ghost-:{u}:/nonexistent/ghost:-::"])
    alias = os.path.join(QHOME, "alias")
    os.makedirs(alias, exist_ok=True)
    for f in (".qmail-postmaster", ".qmail-owner-default"):
        with open(os.path.join(alias, f), "w") as fh:
            fh.write("./Mailbox\n")


setup()

# --- off by default --------------------------------------------------------
t.eq(code("nosuchuser@example.org"), "250",
     "without control/rcptcheck every local recipient is accepted")

control("rcptcheck", "1\n")
r = code("joe@example.org")
t.eq(r, "451", "switch on, no database: 451 for a local domain")
t.ok("recipient database" in rcpt("joe@example.org")[0],
     "the 451 names the recipient database")
t.eq(code("anyone@backup.example"), "250",
     "switch on, no database: a relayed domain is not checked")

# --- build -----------------------------------------------------------------
rc, err = newrcpt()
t.eq(rc, 0, "qmail-newrcpt exits 0")
t.ok("ghost" in err and "nonexistent" in err,
     "a home that cannot be read is a warning naming it")
t.ok(os.path.exists(DB), "users/rcpt.cdb exists")
t.ok(not os.path.exists(os.path.join(QHOME, "users", "rcpt.tmp")),
     "no users/rcpt.tmp left behind")

CASES = [
    ("joe@example.org", "250", "=joe with no dash: accepted"),
    ("JOE@Example.ORG", "250", "case does not matter"),
    ("sales@example.org", "250", "=sales with .qmail-sales: accepted"),
    ("nobox@example.org", "550", "=nobox without a dot-qmail file: 550"),
    ("postmaster@example.org", "250", "~alias/.qmail-postmaster: accepted"),
    ("owner-list1@example.org", "250", "~alias/.qmail-owner-default"),
    ("owner@example.org", "550", "owner alone does not match owner-default"),
    ("nosuchuser@example.org", "550", "unknown local part: 550"),
    ("team-anything-at-all@example.org", "250",
     "+team- with .qmail-default takes every extension"),
    ("info@virt.example", "250", "virtual domain: vp-info via +vp-"),
    ("Info@VIRT.example", "250", "virtual domain, any case"),
    ("list-x@virt.example", "250", ".qmail-list-default takes list-x"),
    ("list@virt.example", "550", "list alone is not list-*"),
    ("dotted.name@virt.example", "250",
     "dots in the extension match ':' in the file name"),
    ("other@virt.example", "550", "virtual domain, unknown: 550"),
    ("ghost-x@example.org", "250",
     "a rule whose home is unreadable accepts everything (never refuses)"),
    ("anyone@except.virt.example", "250",
     "a virtualdomains exception is not checked"),
    ("anyone@backup.example", "250", "a relayed domain is not checked"),
    ("noatsign", "250", "an address without a domain is not checked"),
]
got = rcpt(*[c[0] for c in CASES])
for (addr, want, name), line in zip(CASES, got):
    t.eq(line[:3], want, name)
t.eq(rcpt("nosuchuser@example.org")[0],
     "550 sorry, no mailbox here by that name (#5.1.1)",
     "the 550 wording with #5.1.1")
t.eq(code("nosuchuser@example.org", env={"RELAYCLIENT": ""}), "550",
     "relay clients are checked too")

# a refused recipient is not a recipient
p = subprocess.run([SMTPD], input=b"HELO x\r\nMAIL FROM:<s@x>\r\n"
                   b"RCPT TO:<nosuchuser@example.org>\r\nDATA\r\nQUIT\r\n",
                   capture_output=True, env=ENV, timeout=60)
t.ok(p.stdout.decode().split("\r\n")[4].startswith("503"),
     "DATA after only refused recipients: 503 RCPT first")

# --- staleness ---------------------------------------------------------------
u = f"{USER}:{UID}:{GID}"
assign([f"=joe:{u}:{HOMES}/joe:::", f"=newbie:{u}:{HOMES}/joe:::"])
t.eq(code("newbie@example.org"), "451",
     "users/cdb rebuilt after the database: stale, 451 (not 550)")
t.eq(code("joe@example.org"), "451",
     "stale: no recipient is accepted either")
t.ok("out of date" in rcpt("joe@example.org")[0], "the 451 says out of date")
t.eq(code("anyone@backup.example"), "250",
     "stale: relayed domains are unaffected")
rc, _ = newrcpt()
t.eq((rc, code("newbie@example.org"), code("nobox@example.org")),
     (0, "250", "550"), "rebuilt: the new assignment is in, the old gone")

# --- corrupt / unreadable -------------------------------------------------
good = open(DB, "rb").read()
with open(DB, "wb") as f:
    f.write(b"garbage")
t.eq(code("joe@example.org"), "451", "corrupt database: 451")
with open(DB, "wb") as f:
    f.write(good[:1000])
t.eq(code("joe@example.org"), "451", "truncated database: 451")
with open(DB, "wb") as f:
    f.write(good)
t.eq(code("joe@example.org"), "250", "restored database: 250")

# --- atomic rebuild ------------------------------------------------------------
tmp = os.path.join(QHOME, "users", "rcpt.tmp")
os.symlink("/nonexistent-target", tmp)
rc, err = newrcpt()
t.eq(rc, 111, "a symlink at users/rcpt.tmp: exit 111")
t.eq(open(DB, "rb").read(), good, "... and the old database is untouched")
os.unlink(tmp)

old = open(DB, "rb")  # held open, so its inode cannot be reused
ino = os.fstat(old.fileno()).st_ino
stop = threading.Event()
results = []


def rebuild():
    while not stop.is_set():
        results.append(newrcpt()[0])


th = threading.Thread(target=rebuild)
th.start()
seen = set()
for _ in range(30):
    seen.update(x[:3] for x in rcpt("joe@example.org", "nobox@example.org"))
stop.set()
th.join()
t.eq(seen, {"250", "550"},
     "sessions during repeated rebuilds see a whole database (no 451)")
t.ok(results and all(r == 0 for r in results),
     f"{len(results)} rebuilds during the sessions all exit 0")
t.ok(os.stat(DB).st_ino != ino and old.read() == good,
     "the database is replaced by rename; a reader keeps the whole old one")
old.close()

# --- switch off again --------------------------------------------------------
control("rcptcheck", "0\n")
t.eq(code("nosuchuser@example.org"), "250", "rcptcheck 0: switched off")

shutil.rmtree(HOMES, ignore_errors=True)
t.done()
