#!/usr/bin/env python3
"""Black-box tests of qmail-rspawn: the spawn protocol, a real delivery
through qmail-remote to Postfix's smtp-sink (success, temporary and
permanent refusals), and the translation of qmail-remote's records into
reports, byte for byte, with a stand-in qmail-remote."""
import os
import shutil
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from tap import Tap, QHOME, QBIN, instance_reset  # noqa: E402

t = Tap()
instance_reset()
Q = os.path.join(QHOME, "queue")
SPLIT = len(os.listdir(os.path.join(Q, "mess")))
RSPAWN = os.path.join(QBIN, "qmail-rspawn")
num = 2001
messid = "%d/%d" % (num % SPLIT, num)
with open(os.path.join(Q, "mess", str(num % SPLIT), str(num)), "wb") as f:
    f.write(b"Subject: r\n\nhello\n")


def cmd(d, sender, recip):
    return (d.to_bytes(2, "big") + messid.encode() + b"\0" +
            sender.encode() + b"\0" + recip.encode() + b"\0")


def session(commands):
    """Run rspawn over a batch of commands; return (greeting, reports)."""
    p = subprocess.run([RSPAWN], input=b"".join(commands),
                       capture_output=True, timeout=60)
    out = p.stdout
    g = int.from_bytes(out[:2], "big")
    reps = {}
    rest = out[2:]
    while rest:
        i = rest.index(b"\0", 2)
        reps[int.from_bytes(rest[:2], "big")] = rest[2:i]
        rest = rest[i + 1:]
    return p.returncode, g, reps


USED = set()


def free_port():
    for port in range(23000, 23500):
        if port in USED:
            continue
        s = socket.socket()
        try:
            s.bind(("127.0.0.1", port))
            s.close()
            USED.add(port)
            return port
        except OSError:
            s.close()
    raise RuntimeError("no port")


# --- real qmail-remote against smtp-sink ---------------------------------
SINK = "/usr/sbin/smtp-sink"
if os.path.exists(SINK) and os.path.exists(os.path.join(QHOME, "bin",
                                                        "qmail-remote")):
    sinks = []
    routes = []
    for name, flags in (("ok.test", []), ("temp.test", ["-r", "RCPT"]),
                        ("perm.test", ["-f", "RCPT"])):
        port = free_port()
        sp = subprocess.Popen([SINK, "-u", "nobody"] + flags +
                              ["127.0.0.1:%d" % port, "10"],
                              stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
        sinks.append(sp)
        routes.append("%s:127.0.0.1:%d" % (name, port))
    for _ in range(100):
        time.sleep(0.05)
        try:
            for r in routes:
                socket.create_connection(("127.0.0.1", int(r.split(":")[2])),
                                         1).close()
            break
        except OSError:
            continue
    with open(os.path.join(QHOME, "control", "smtproutes"), "w") as f:
        f.write("\n".join(routes) + "\n")
    with open(os.path.join(QHOME, "control", "me"), "w") as f:
        f.write("rspawn.test\n")
    rc, g, reps = session([cmd(0, "s@x.test", "a@ok.test"),
                           cmd(1, "s@x.test", "a@temp.test"),
                           cmd(300, "s@x.test", "a@perm.test")])
    t.eq(rc, 0, "exits 0 at end of input")
    t.ok(g >= 1000, "announces at least 1000 slots")
    t.eq(reps.get(0, b"")[:1], b"K", "smtp-sink accepts: K (%r)"
         % reps.get(0, b"")[:120])
    t.eq(reps.get(1, b"")[:1], b"Z", "4xx to RCPT: Z (%r)"
         % reps.get(1, b"")[:120])
    t.eq(reps.get(300, b"")[:1], b"D", "5xx to RCPT: D (%r)"
         % reps.get(300, b"")[:120])
    for sp in sinks:
        sp.kill()
        sp.wait()
else:
    for n in ("smtp-sink accepts: K", "4xx to RCPT: Z", "5xx to RCPT: D"):
        t.skip(n, "no smtp-sink or qmail-remote")

# --- translation of the records, with a stand-in qmail-remote -----------
fake = os.path.join(QHOME, "bin", "qmail-remote")
if os.path.exists(fake):
    os.rename(fake, fake + ".real")
with open(fake, "w") as f:
    f.write("""#!/bin/sh
# $1 host, $2 sender, $3 recipient; recipient's local part picks a case
cat >/dev/null
case "$3" in
ok@*) printf 'rHi.\\n\\0KAll done.\\n\\0' ;;
soft@*) printf 'sLater.\\n\\0Zoverall later\\n\\0' ;;
hard@*) printf 'hNo such user.\\n\\0Dbye\\n\\0' ;;
rdefer@*) printf 'rHi.\\n\\0Zconnection lost\\n\\0' ;;
none@*) ;;
args@*) printf 'r%s|%s|%s\\0K\\0' "$1" "$2" "$3" ;;
crash@*) kill -9 $$ ;;
exit111@*) exit 111 ;;
exit5@*) exit 5 ;;
esac
exit 0
""")
os.chmod(fake, 0o755)
cases = [("ok", b"KHi.\nAll done.\n"),
         ("soft", b"ZLater.\noverall later\n"),
         ("hard", b"DNo such user.\nbye\n"),
         ("rdefer", b"ZHi.\nconnection lost\n"),
         ("none", b"Zqmail-remote produced no output.\n"),
         ("crash", b"Zqmail-remote crashed.\n"),
         ("exit111", b"ZUnable to run qmail-remote.\n"),
         ("exit5", b"DUnable to run qmail-remote.\n")]
rc, g, reps = session([cmd(i, "s@x", c + "@example.org")
                       for i, (c, _) in enumerate(cases)] +
                      [cmd(50, "snd@a.b", "args@dom.example")])
for i, (c, want) in enumerate(cases):
    t.eq(reps.get(i), want, "records of case %s: report %r" % (c, want))
t.eq(reps.get(50), b"Kdom.example|snd@a.b|args@dom.example",
     "qmail-remote gets host, sender, recipient")
shutil.rmtree(os.path.join(QHOME, "control", "smtproutes"),
              ignore_errors=True)
t.done()
