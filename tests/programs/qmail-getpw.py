#!/usr/bin/env python3
"""Black-box tests of qmail-getpw: the user for a local address from passwd.

The rules that need no special accounts (uid 0, home not owned, missing
home, the catch-all) are checked on the system's own accounts in any
case.  As root the test also creates accounts named qtgp<pid>... with
useradd, and removes them again at the end.
"""
import os
import pwd
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from tap import Tap, QHOME, QBIN  # noqa: E402

t = Tap()
GETPW = os.path.join(QBIN, "qmail-getpw")

# The test build is unprivileged: its catch-all is the building user with
# the instance's alias directory as home.
me = pwd.getpwuid(os.getuid())
ALIAS = [me.pw_name, str(os.getuid()), str(os.getgid()),
         os.path.join(QHOME, "alias")]


def getpw(*args, user=None):
    cmd = [GETPW] + list(args)
    if user is not None:
        cmd = ["setpriv", "--reuid=%d" % user, "--regid=%d" % user,
               "--clear-groups"] + cmd
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    return p.returncode, p.stdout


def fields(out):
    """The six NUL-terminated fields, or None if the format is wrong."""
    if not out.endswith(b"\0"):
        return None
    f = out[:-1].split(b"\0")
    return [x.decode("latin-1") for x in f] if len(f) == 6 else None


def expect_alias(local, name):
    rc, out = getpw(local)
    t.eq((rc, fields(out)), (0, ALIAS + ["-", local]), name)


# --- usage and output format ----------------------------------------------
rc, out = getpw()
t.eq((rc, out), (100, b""), "no argument: exit 100, nothing printed")

# --- the system's accounts ------------------------------------------------
expect_alias("root", "root (uid 0) is never a user: the catch-all takes it")
expect_alias("ROOT-Ext", "uid 0 with an extension: catch-all, case kept")
for acct in ("daemon", "bin", "sys"):
    try:
        pw = pwd.getpwnam(acct)
        st = os.stat(pw.pw_dir)
    except (KeyError, OSError):
        continue
    if pw.pw_uid != 0 and st.st_uid != pw.pw_uid:
        expect_alias(acct, "%s does not own its home %s: not a user"
                     % (acct, pw.pw_dir))
        break
for acct in ("nobody",):
    try:
        pw = pwd.getpwnam(acct)
    except KeyError:
        continue
    if pw.pw_uid != 0 and not os.path.exists(pw.pw_dir):
        expect_alias(acct, "nobody's home %s does not exist: not a user"
                     % pw.pw_dir)
expect_alias("no-such-account-here", "unknown name: the catch-all")
expect_alias("", "empty local part: the catch-all")
long_local = "x" * 100000
rc, out = getpw(long_local)
t.eq((rc, fields(out)), (0, ALIAS + ["-", long_local]),
     "a 100,000-byte local part: the catch-all, ext intact")

# --- accounts made for the test (root only) --------------------------------
if os.getuid() != 0 or shutil.which("useradd") is None:
    t.skip("real user accounts", "needs root and useradd")
    t.done()

tag = "qtgp%d" % os.getpid()
base = tempfile.mkdtemp(prefix="qtgp.")
os.chmod(base, 0o755)
made = []


def add_user(name, uid=None, owner=True, mkhome=True, badname=False):
    """Create an account with home base/name; return its passwd entry."""
    home = os.path.join(base, name)
    cmd = ["useradd", "-M", "-d", home, "-s", "/usr/sbin/nologin", "-N",
           "-g", "100"]
    if uid is not None:
        cmd += ["-o", "-u", str(uid)]
    if badname:
        cmd += ["--badname"]
    p = subprocess.run(cmd + [name], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT)
    if p.returncode != 0:
        t.diag("useradd %s: %s" % (name, p.stdout.decode().strip()))
        return None
    made.append(name)
    pw = pwd.getpwnam(name)
    if mkhome:
        os.mkdir(home)
        if owner:
            os.chown(home, pw.pw_uid, pw.pw_gid)
    return pw


def user_fields(pw, dash, ext):
    return [pw.pw_name, str(pw.pw_uid), str(pw.pw_gid), pw.pw_dir, dash, ext]


try:
    a = add_user(tag + "a")
    b = add_user(tag + "b", owner=False)
    c = add_user(tag + "c", mkhome=False)
    x = add_user(tag + "x")
    xy = add_user(tag + "x-y")
    r0 = add_user(tag + "r", uid=0)
    up = add_user(tag + "U", badname=True)
    n31 = add_user((tag + "l" * 40)[:31])
    n32 = add_user((tag + "m" * 40)[:32])

    if a:
        rc, out = getpw(tag + "a")
        t.eq((rc, fields(out)), (0, user_fields(a, "", "")),
             "a user's own name: dash and ext empty")
        rc, out = getpw(tag + "a-foo-bar")
        t.eq((rc, fields(out)), (0, user_fields(a, "-", "foo-bar")),
             "user-ext: dash '-', ext the rest")
        rc, out = getpw(tag + "a-")
        t.eq((rc, fields(out)), (0, user_fields(a, "-", "")),
             "user- : dash '-', empty ext")
        rc, out = getpw(tag.upper() + "A-Foo")
        t.eq((rc, fields(out)), (0, user_fields(a, "-", "Foo")),
             "the user name is matched in any case, ext keeps its case")
        expect_alias(tag + "afoo", "no break after the name: not the user")
        expect_alias("-" + tag + "a", "leading '-': the catch-all")
        rc, out = getpw(tag + "a", user=65534)
        t.eq((rc, fields(out)), (0, user_fields(a, "", "")),
             "works run as an unprivileged user (as qmailp does)")
    if b:
        expect_alias(tag + "b", "home owned by someone else: not a user")
        expect_alias(tag + "b-ext", "... nor with an extension")
    if c:
        expect_alias(tag + "c", "home missing: not a user")
    if x and xy:
        rc, out = getpw(tag + "x-y-z")
        t.eq((rc, fields(out)), (0, user_fields(xy, "-", "z")),
             "the longest matching prefix wins (x-y over x)")
        rc, out = getpw(tag + "x-q-z")
        t.eq((rc, fields(out)), (0, user_fields(x, "-", "q-z")),
             "a shorter prefix when the longer is no account")
    if r0:
        os.chown(os.path.join(base, tag + "r"), 0, 0)
        expect_alias(tag + "r", "an account with uid 0 owning its home: "
                     "still not a user")
    if up:
        expect_alias(tag + "U", "an account name with upper case is ignored")
    else:
        t.skip("upper-case account", "useradd refused the name")
    if n31:
        rc, out = getpw(n31.pw_name + "-e")
        t.eq((rc, fields(out)), (0, user_fields(n31, "-", "e")),
             "a 31-byte account name is found")
    else:
        t.skip("31-byte account", "useradd refused the name")
    if n32:
        expect_alias(n32.pw_name + "-e", "a 32-byte account name is not")
    else:
        t.skip("32-byte account", "useradd refused the name")
finally:
    for name in made:
        subprocess.run(["userdel", "-f", name], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
    shutil.rmtree(base, ignore_errors=True)

t.done()
