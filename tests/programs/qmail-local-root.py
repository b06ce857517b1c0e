#!/usr/bin/env python3
"""qmail-local as a real user: run as root, the test makes a system user
with its own home, runs qmail-local under that user's ids (as qmail-lspawn
will) and checks that every kind of delivery happens with them: Maildir
and mbox files owned by the user, programs run with the user's uid and
environment, forwards queued.  Skipped (one TAP skip) when not root."""
import mailbox
import os
import pwd
import shutil
import stat
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from tap import Tap, QBIN, instance_reset  # noqa: E402
from queuetest import queue_files  # noqa: E402

t = Tap()
if os.geteuid() != 0:
    t.skip("qmail-local as a real user", "needs root to make a test user")
    t.done()

QL = os.path.join(QBIN, "qmail-local")
NAME = "qtql%d" % (os.getpid() % 100000)
TOP = tempfile.mkdtemp(prefix="qlroot.")
os.chmod(TOP, 0o755)
HOME = os.path.join(TOP, NAME)
MSG = b"From: a@example.org\nSubject: root test\n\nFrom the body.\n"


def write(path, data, mode=0o644):
    with open(path, "wb") as f:
        f.write(data)
    os.chmod(path, mode)
    os.chown(path, pw.pw_uid, pw.pw_gid)


def as_user():
    os.setgroups([pw.pw_gid])
    os.setgid(pw.pw_gid)
    os.setuid(pw.pw_uid)


def deliver(ext="", dash="", local=None):
    argv = [QL, NAME, HOME, local or NAME, dash, ext, "example.com",
            "s@example.net", "./Mailbox"]
    with tempfile.TemporaryFile() as f:
        f.write(MSG)
        f.seek(0)
        p = subprocess.run(argv, stdin=f, capture_output=True,
                           preexec_fn=as_user, cwd="/")
    return p.returncode, p.stdout, p.stderr


subprocess.run(["useradd", "-M", "-d", HOME, "-s", "/usr/sbin/nologin",
                NAME], check=True)
try:
    pw = pwd.getpwnam(NAME)
    os.mkdir(HOME, 0o755)
    os.chown(HOME, pw.pw_uid, pw.pw_gid)
    os.chmod(TOP, 0o711)
    for sub in ("Maildir", "Maildir/tmp", "Maildir/new", "Maildir/cur"):
        os.mkdir(os.path.join(HOME, sub), 0o700)
        os.chown(os.path.join(HOME, sub), pw.pw_uid, pw.pw_gid)
    instance_reset()
    # the test queue belongs to root; the user may run qmail-queue, which
    # in this unprivileged build is not setuid: let the user write it
    subprocess.run(["chmod", "-R", "a+rwX", os.path.join(
        os.environ["QHOME"], "queue")], check=True)
    write(os.path.join(HOME, ".qmail"),
          b"./Maildir/\n./mbox\n|id -u > prog-uid; echo \"$USER $HOME"
          b" $LOCAL\" > prog-env\n&friend@example.org\n")

    rc, out, err = deliver()
    t.eq(rc, 0, "delivery as the user succeeds")
    if rc:
        t.diag(err.decode(errors="replace"))
    new = os.listdir(os.path.join(HOME, "Maildir", "new"))
    t.eq(len(new), 1, "one message in the user's Maildir")
    if new:
        st = os.stat(os.path.join(HOME, "Maildir", "new", new[0]))
        t.eq((st.st_uid, st.st_gid), (pw.pw_uid, pw.pw_gid),
             "the Maildir message belongs to the user")
        md = mailbox.Maildir(os.path.join(HOME, "Maildir"), factory=None,
                             create=False)
        msg = md.get_bytes(md.keys()[0])
        t.ok(msg.startswith(b"Return-Path: <s@example.net>\n"
                            b"Delivered-To: " + NAME.encode() +
                            b"@example.com\n"),
             "Return-Path and Delivered-To lines in front")
    mb = os.path.join(HOME, "mbox")
    t.ok(os.path.exists(mb) and os.stat(mb).st_uid == pw.pw_uid,
         "the mbox was created by the user")
    if os.path.exists(mb):
        box = mailbox.mbox(mb, create=False)
        bodies = [m.get_payload() for m in box]
        # one message, not two: the body's "From " line is quoted (mboxrd),
        # and a reader that unquotes gets it back unchanged
        t.eq(bodies, [">From the body.\n"],
             "mbox holds one message; its From line is quoted, not split")
        t.eq(stat.S_IMODE(os.stat(mb).st_mode), 0o600, "new mbox mode 600")
    with open(os.path.join(HOME, "prog-uid")) as f:
        t.eq(f.read().strip(), str(pw.pw_uid), "the program ran as the user")
    with open(os.path.join(HOME, "prog-env")) as f:
        t.eq(f.read().strip(), "%s %s %s" % (NAME, HOME, NAME),
             "USER, HOME and LOCAL are the user's")
    todo = queue_files("todo")
    t.eq(len(todo), 1, "the forward was queued")
    if todo:
        (rel, _), = todo.items()
        with open(os.path.join(os.environ["QHOME"], "queue", "todo", rel),
                  "rb") as f:
            env = f.read()
        t.ok(("u%d\0" % pw.pw_uid).encode() in env and
             b"Tfriend@example.org\0" in env,
             "forward queued by the user's uid to friend@example.org")

    # extensions and the -default fallback, as the user
    write(os.path.join(HOME, ".qmail-lists-default"), b"./Maildir/\n")
    rc, out, err = deliver(ext="lists-qmail", dash="-",
                           local=NAME + "-lists-qmail")
    t.eq(rc, 0, ".qmail-lists-default takes lists-qmail")
    t.eq(len(os.listdir(os.path.join(HOME, "Maildir", "new"))), 2,
         "second message in the Maildir")

    # a group-writable .qmail is refused (temporary failure)
    os.chmod(os.path.join(HOME, ".qmail-lists-default"), 0o664)
    rc, out, err = deliver(ext="lists-x", dash="-", local=NAME + "-lists-x")
    t.eq(rc, 111, "group-writable .qmail file: temporary failure")
    os.chmod(os.path.join(HOME, ".qmail-lists-default"), 0o644)

    # the user cannot deliver into a Maildir it does not own
    os.chown(os.path.join(HOME, "Maildir", "tmp"), 0, 0)
    rc, out, err = deliver(ext="lists-y", dash="-", local=NAME + "-lists-y")
    t.eq(rc, 111, "Maildir not writable by the user: temporary failure")
finally:
    subprocess.run(["userdel", NAME], stderr=subprocess.DEVNULL)
    shutil.rmtree(TOP, ignore_errors=True)
t.done()
