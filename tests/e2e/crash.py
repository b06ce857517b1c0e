#!/usr/bin/env python3
"""Crash test of the queue manager: under a steady injection load,
qmail-send and all its helpers are killed with SIGKILL at random moments
and started again.  Afterwards every message that sendmail (and so
qmail-queue) accepted must have been delivered at least once; duplicates
are allowed, and counted.

Default: 5 kills.  QMAIL_TEST_LONG=1 (the long mode): 50 kills.  The
random pattern comes from a fixed seed, printed, so a failure can be
reproduced."""
import os
import pwd
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from tap import Tap, QBIN, QHOME, instance_reset  # noqa: E402
from servers import stop  # noqa: E402

t = Tap()
KILLS = 50 if os.environ.get("QMAIL_TEST_LONG") else 5
SEED = int(os.environ.get("QMAIL_TEST_SEED", "20261122"))
rng = random.Random(SEED)
t.diag("kills: %d, seed: %d" % (KILLS, SEED))

ME = "crash.example"
TOP = tempfile.mkdtemp(prefix="crash.")
os.chmod(TOP, 0o755)
me = pwd.getpwuid(os.getuid())


def write(path, text):
    with open(path, "w") as f:
        f.write(text)


instance_reset()
write(os.path.join(QHOME, "control", "me"), ME + "\n")
write(os.path.join(QHOME, "control", "locals"), ME + "\n")
home = os.path.join(TOP, "joe")
os.mkdir(home, 0o755)
MD = os.path.join(home, "Maildir")
for sub in ("", "cur", "new", "tmp"):
    os.makedirs(os.path.join(MD, sub), mode=0o700, exist_ok=True)
write(os.path.join(QHOME, "users", "assign"),
      "=joe:%s:%d:%d:%s:::\n.\n" % (me.pw_name, me.pw_uid, me.pw_gid, home))
subprocess.run([os.path.join(QBIN, "qmail-newu")], check=True)

LOGPATH = os.path.join(TOP, "log")
LOG = open(LOGPATH, "ab")


def started_since(offset):
    """qmail-send has logged since offset: its signal handlers are set."""
    with open(LOGPATH, "rb") as f:
        f.seek(offset)
        return b"status: " in f.read()


last_start = 0


def start():
    global last_start
    LOG.flush()
    last_start = os.path.getsize(LOGPATH)
    return subprocess.Popen([os.path.join(QBIN, "qmail-start"), "./Maildir/"],
                            cwd="/", stdout=LOG, stderr=subprocess.STDOUT,
                            start_new_session=True)


accepted = []
refused = 0
stop_injecting = threading.Event()


def inject():
    global refused
    n = 0
    while not stop_injecting.is_set() and n < 5000:
        token = "token-%05d" % n
        n += 1
        msg = ("Subject: %s\n\n%s\n" % (token, token)).encode()
        p = subprocess.run([os.path.join(QBIN, "sendmail"), "-f",
                            "load@" + ME, "joe@" + ME], input=msg,
                           capture_output=True)
        if p.returncode == 0:
            accepted.append(token)
        else:
            refused += 1
        time.sleep(0.005)


qs = start()
injector = threading.Thread(target=inject)
injector.start()
for k in range(KILLS):
    time.sleep(rng.uniform(0.2, 1.0))
    try:
        os.killpg(qs.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    qs.wait()
    time.sleep(rng.uniform(0, 0.2))
    qs = start()
stop_injecting.set()
injector.join()
t.ok(len(accepted) > KILLS * 5, "the load kept coming (%d messages accepted,"
     " %d refused)" % (len(accepted), refused))


def delivered():
    seen = {}
    for sub in ("new", "cur"):
        d = os.path.join(MD, sub)
        for name in os.listdir(d):
            with open(os.path.join(d, name), "rb") as f:
                for line in f:
                    if line.startswith(b"Subject: token-"):
                        tok = line.split()[1].decode()
                        seen[tok] = seen.get(tok, 0) + 1
                        break
    return seen


# Let the restarted queue manager finish, nudging it to retry now (once it
# is far enough to have its ALRM handler: until then ALRM would kill it).
for _ in range(200):
    if started_since(last_start):
        break
    time.sleep(0.05)
deadline = time.monotonic() + 120
while time.monotonic() < deadline:
    seen = delivered()
    if all(tok in seen for tok in accepted):
        break
    os.kill(qs.pid, signal.SIGALRM)
    time.sleep(0.5)
seen = delivered()
lost = [tok for tok in accepted if tok not in seen]
dups = sum(c - 1 for c in seen.values() if c > 1)
t.eq(lost, [], "every accepted message was delivered at least once")
t.diag("%d delivered, %d duplicates after %d kills"
       % (len(seen), dups, KILLS))
rc = stop(qs)
t.eq(rc, 0, "the last qmail-send stops cleanly on TERM")
t.done()
