#!/usr/bin/env python3
"""End to end, in the unprivileged test instance: qmail-start with
./Maildir/ as the default delivery, messages injected with sendmail, and
what arrives where: a user's Maildir, an alias, a bounce to the sender
(QSBMF with the original attached), a double bounce to doublebounceto,
virtualdomains and users/assign routing, a temporary failure retried after
ALRM, HUP picking up a changed locals, queuelifetime expiry, and a clean
stop on TERM with no process left behind."""
import os
import pwd
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from tap import Tap, QBIN, QHOME, instance_reset  # noqa: E402
from servers import stop  # noqa: E402

t = Tap()
ME = "test.example"
TOP = tempfile.mkdtemp(prefix="e2e.")
os.chmod(TOP, 0o755)
me = pwd.getpwuid(os.getuid())


def write(path, text, mode=0o644):
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, mode)


def maildir(path):
    for sub in ("", "cur", "new", "tmp"):
        os.makedirs(os.path.join(path, sub), mode=0o700, exist_ok=True)
    return path


def messages(md):
    out = []
    for sub in ("new", "cur"):
        d = os.path.join(md, sub)
        for name in sorted(os.listdir(d)):
            with open(os.path.join(d, name), "rb") as f:
                out.append(f.read())
    return out


def wait_for(cond, seconds=20):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if cond():
            return True
        time.sleep(0.05)
    return cond()


def send(rcpts, body, sender="joe@" + ME):
    msg = ("From: %s\nTo: %s\nSubject: %s\n\n%s\n"
           % (sender, ", ".join(rcpts), body, body)).encode()
    p = subprocess.run([os.path.join(QBIN, "sendmail"), "-f", sender]
                       + rcpts, input=msg, capture_output=True)
    return p.returncode


def log_text():
    with open(LOG, "rb") as f:
        return f.read().decode("ascii", "replace")


def children_of(pid):
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)],
                         capture_output=True, text=True).stdout
    return [int(x) for x in out.split()]


# --- the instance ----------------------------------------------------------
instance_reset()
ctl = os.path.join(QHOME, "control")
write(os.path.join(ctl, "me"), ME + "\n")
write(os.path.join(ctl, "locals"), ME + "\n")
write(os.path.join(ctl, "virtualdomains"), "virt.example:joe-virt\n")
write(os.path.join(ctl, "doublebounceto"), "postmaster\n")
write(os.path.join(ctl, "queuelifetime"), "3\n")

joe = os.path.join(TOP, "joe")
os.mkdir(joe, 0o755)
JOE_MD = maildir(os.path.join(joe, "Maildir"))
POST_MD = maildir(os.path.join(TOP, "postmaster-box"))
VIRT_MD = maildir(os.path.join(joe, "virt"))
write(os.path.join(joe, ".qmail-virt-default"), "./virt/\n")
# a delivery that fails temporarily until the flag file exists
FLAG = os.path.join(TOP, "flag")
write(os.path.join(joe, ".qmail-later"),
      "|test -e %s || exit 111\n./Maildir/\n" % FLAG)
write(os.path.join(joe, ".qmail-never"), "|exit 111\n")
# users/assign: joe and his extensions are this user with home joe/
write(os.path.join(QHOME, "users", "assign"),
      "=joe:%s:%d:%d:%s:::\n+joe-:%s:%d:%d:%s:-::\n.\n"
      % (me.pw_name, me.pw_uid, me.pw_gid, joe,
         me.pw_name, me.pw_uid, me.pw_gid, joe))
subprocess.run([os.path.join(QBIN, "qmail-newu")], check=True)
# the alias user: postmaster goes to a Maildir of its own
alias = os.path.join(QHOME, "alias")
write(os.path.join(alias, ".qmail-postmaster"), POST_MD + "/\n")

LOG = os.path.join(TOP, "log")
logf = open(LOG, "wb")
qs = subprocess.Popen([os.path.join(QBIN, "qmail-start"), "./Maildir/"],
                      cwd="/", stdout=logf, stderr=subprocess.STDOUT,
                      start_new_session=True)
try:
    t.ok(wait_for(lambda: "status: local 0/" in log_text(), 10),
         "qmail-start is up and qmail-send logs its status")

    # --- a local user ------------------------------------------------------
    t.eq(send(["joe@" + ME], "to-joe"), 0, "sendmail accepts a message")
    t.ok(wait_for(lambda: any(b"to-joe" in m for m in messages(JOE_MD))),
         "the message lands in joe's Maildir")
    m = [m for m in messages(JOE_MD) if b"to-joe" in m]
    t.ok(m and m[0].startswith(b"Return-Path: <joe@test.example>\n"
                               b"Delivered-To: joe@test.example\n"),
         "with Return-Path and Delivered-To in front")
    log = log_text()
    for line in ("new msg ", "info msg ", "starting delivery ",
                 ": success: ", "end msg "):
        t.ok(line in log, "log has '%s' lines" % line.strip())

    # --- an alias ----------------------------------------------------------
    t.eq(send(["postmaster@" + ME], "to-postmaster"), 0, "mail to postmaster")
    t.ok(wait_for(lambda: any(b"to-postmaster" in m
                              for m in messages(POST_MD))),
         "postmaster mail lands where ~alias/.qmail-postmaster says")

    # --- an unknown user bounces to the sender -----------------------------
    t.eq(send(["nosuchuser@" + ME], "to-nobody"), 0, "mail to an unknown user")

    def bounced():
        return [m for m in messages(JOE_MD)
                if b"Hi. This is the qmail-send program" in m
                and b"to-nobody" in m]
    t.ok(wait_for(lambda: bounced()), "the sender gets a bounce")
    b = bounced()
    t.ok(b and b"<nosuchuser@test.example>:" in b[0]
         and b"--- Below this line is a copy of the message." in b[0],
         "QSBMF: the failed recipient and a copy of the message")

    # --- a bounce that cannot be delivered goes to doublebounceto ---------
    t.eq(send(["nosuchuser2@" + ME], "double", sender="gone@" + ME), 0,
         "mail from an unknown local sender to an unknown user")
    t.ok(wait_for(lambda: any(b"double" in m and b"Hi. This is" in m
                              for m in messages(POST_MD))),
         "the double bounce reaches postmaster (doublebounceto)")

    # --- virtualdomains ----------------------------------------------------
    t.eq(send(["anyone@virt.example"], "to-virtual"), 0, "mail to virt.example")
    t.ok(wait_for(lambda: any(b"to-virtual" in m
                              for m in messages(VIRT_MD))),
         "virtualdomains routes it to joe-virt-anyone (.qmail-virt-default)")
    vm = [m for m in messages(VIRT_MD) if b"to-virtual" in m]
    t.ok(vm and b"Delivered-To: joe-virt-anyone@virt.example\n" in vm[0],
         "Delivered-To shows the virtual-domain prefix")

    # --- a temporary failure is retried after ALRM -------------------------
    t.eq(send(["joe-later@" + ME], "later"), 0, "mail to joe-later")
    t.ok(wait_for(lambda: "deferral" in log_text()),
         "the first attempt is deferred")
    with open(FLAG, "w"):
        pass
    os.kill(qs.pid, signal.SIGALRM)
    t.ok(wait_for(lambda: any(b"later" in m and b"Subject: later" in m
                              for m in messages(JOE_MD))),
         "after ALRM the retry delivers it")

    # --- queuelifetime: a message that keeps failing bounces ---------------
    t.eq(send(["joe-never@" + ME], "never"), 0, "mail to joe-never")
    t.ok(wait_for(lambda: "deferral" in log_text().split("joe-never")[-1]),
         "joe-never is deferred")
    time.sleep(3.5)

    last_alrm = [0.0]

    def never_bounced():
        # keep nudging (twice a second): each ALRM is a retry, and the
        # first one past the lifetime turns into a bounce
        if time.monotonic() - last_alrm[0] > 0.5:
            os.kill(qs.pid, signal.SIGALRM)
            last_alrm[0] = time.monotonic()
        return any(b"never" in m and b"Hi. This is" in m
                   for m in messages(JOE_MD))
    t.ok(wait_for(never_bounced, 30),
         "past queuelifetime the message bounces")

    # --- HUP picks up a changed locals -------------------------------------
    write(os.path.join(ctl, "locals"), ME + "\nnew.example\n")
    os.kill(qs.pid, signal.SIGHUP)
    time.sleep(0.5)
    t.eq(send(["joe@new.example"], "to-new-local"), 0, "mail to joe@new.example")
    t.ok(wait_for(lambda: any(b"to-new-local" in m
                              for m in messages(JOE_MD))),
         "after HUP new.example is local")
finally:
    kids = children_of(qs.pid)
    rc = stop(qs)
    logf.close()
t.eq(rc, 0, "qmail-send exits 0 on TERM")
t.ok("status: exiting" in log_text(), "it logs status: exiting")
time.sleep(0.5)
left = [k for k in kids if os.path.exists("/proc/%d" % k)
        and open("/proc/%d/stat" % k).read().split()[2] != "Z"]
t.eq(left, [], "no helper process is left behind")
t.done()
