#!/usr/bin/env python3
"""make demo's script: it builds its instance, listens for SMTP, delivers
a message sent with smtplib and one sent with its sendmail into the
Maildir it names, and stops everything on TERM (what Ctrl-C does in a
terminal) without leaving a process behind."""
import os
import re
import smtplib
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from tap import Tap, QBUILD, SRCROOT  # noqa: E402
from servers import stop  # noqa: E402

t = Tap()
port = 20000 + (os.getpid() * 7) % 20000
build = os.path.join(QBUILD, "demo")
env = dict(os.environ, DEMO_PORT=str(port), DEMO_BUILD=build)
out = open(os.path.join(QBUILD, "demo.out"), "wb")
p = subprocess.Popen([os.path.join(SRCROOT, "scripts", "demo")], stdout=out,
                     stderr=subprocess.STDOUT, env=env, start_new_session=True)


def text():
    with open(os.path.join(QBUILD, "demo.out"), "rb") as f:
        return f.read().decode("utf-8", "replace")


def wait_for(cond, seconds):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if cond():
            return True
        time.sleep(0.1)
    return cond()


try:
    t.ok(wait_for(lambda: "the mail server is running" in text(), 240),
         "the demo says it is running")
    m = re.search(r"deliveries: (\S+)", text())
    newdir = m.group(1) if m else "/nonexistent"
    t.ok(("port %d" % port) in text(), "it names its SMTP port")
    try:
        s = smtplib.SMTP("127.0.0.1", port, timeout=10)
        refused = s.sendmail("me@demo.example", ["you@demo.example"],
                             "Subject: demo test\r\n\r\nhello demo\r\n")
        s.quit()
        t.eq(refused, {}, "SMTP accepts a message for you@demo.example")
    except (OSError, smtplib.SMTPException) as e:
        t.ok(False, "SMTP accepts a message (%s)" % e)
    subprocess.run([os.path.join(build, "bin", "sendmail"), "someone"],
                   input=b"Subject: via sendmail\n\nhi\n", check=False)

    def delivered(word):
        if not os.path.isdir(newdir):
            return False
        for name in os.listdir(newdir):
            with open(os.path.join(newdir, name), "rb") as f:
                if word in f.read():
                    return True
        return False
    t.ok(wait_for(lambda: delivered(b"hello demo"), 30),
         "the SMTP message lands in the Maildir the demo named")
    t.ok(wait_for(lambda: delivered(b"via sendmail"), 30),
         "the sendmail message lands there too")
finally:
    rc = stop(p)
    out.close()
t.eq(rc, 0, "the demo exits 0 when stopped")
t.ok("demo: stopped" in text(), "it says it stopped")
time.sleep(0.5)
strays = []
for pid in os.listdir("/proc"):
    if not pid.isdigit():
        continue
    try:
        exe = os.readlink("/proc/%s/exe" % pid)
        with open("/proc/%s/cmdline" % pid, "rb") as f:
            args = f.read().replace(b"\0", b" ").decode("utf-8", "replace")
    except OSError:
        continue
    if exe.startswith(build) or ("tcpserver" in exe and str(port) in args):
        strays.append("%s %s" % (pid, args))
t.eq(strays, [], "no process of the demo is left")
t.done()
