#!/usr/bin/env python3
"""Black-box tests of qmail-todo: classification and the files it writes.

Runs the daemons as tests/programs/qmail-send.py does, with both
concurrencies 0 so that nothing is delivered and the preprocessed files
can be looked at byte for byte.
"""
import importlib.util
import os
import signal
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from tap import Tap, QBIN  # noqa: E402

spec = importlib.util.spec_from_file_location(
    "qsend", os.path.join(os.path.dirname(__file__), "qmail-send.py"))
qs = importlib.util.module_from_spec(spec)
spec.loader.exec_module(qs)

t = Tap()


def rd(p):
    with open(p, "rb") as f:
        return f.read()


qs.fresh("0", "0", extra={
    "virtualdomains": "virt.example:vuser\n.wild.example:wpre\n"
                      "except.wild.example:\njoe@special.example:spec\n",
    "percenthack": "hack.example\n",
    "envnoathost": "noat.example\n",
    "locals": "test.example\nnoat.example\n"})
d = qs.Daemons()
n = qs.queue_msg("sender@x.example", [
    "bob@test.example", "BOB@Test.Example", "info@virt.example",
    "a@b.wild.example", "c@except.wild.example", "joe@special.example",
    "user%far.example@hack.example", "u%v%test.example@hack.example",
    "plain", "ann@far.example"])
t.ok(d.wait_log("info msg %d" % n), "preprocessed")
t.ok(d.wait_for(lambda: not os.path.exists(qs.qpath("todo", n))),
     "todo/S/N removed by qmail-clean")
t.ok(not os.path.exists(qs.qpath("intd", n)), "intd/S/N removed")
t.eq(rd(qs.qpath("info", n)), b"Fsender@x.example\0",
     "info/S/N is the F record")
t.eq(rd(qs.qpath("local", n)),
     b"Tbob@test.example\0TBOB@Test.Example\0Tvuser-info@virt.example\0"
     b"Twpre-a@b.wild.example\0Tspec-joe@special.example\0"
     b"Tu%v@test.example\0Tplain@noat.example\0",
     "local/S/N: locals, virtualdomains prefixes, percenthack, envnoathost")
t.eq(rd(qs.qpath("remote", n)),
     b"Tc@except.wild.example\0Tuser@far.example\0Tann@far.example\0",
     "remote/S/N: exceptions, percenthack to remote, remote domains")
st = os.stat(qs.qpath("info", n))
t.eq(oct(st.st_mode & 0o777), "0o600", "info/S/N mode 0600")
out = subprocess.run([os.path.join(QBIN, "qmail-qread")],
                     stdout=subprocess.PIPE).stdout
t.ok(b"#%d" % n in out and b"<sender@x.example>" in out and
     b"\tlocal\tvuser-info@virt.example\n" in out and
     b"\tremote\tann@far.example\n" in out,
     "qmail-qread lists the preprocessed message")
t.ok(d.wait_log("status: local 0/0 remote 0/0"), "concurrency 0 holds")

# HUP makes qmail-todo reread locals: far.example becomes local.
with open(os.path.join(qs.QHOME, "control", "locals"), "w") as f:
    f.write("test.example\nfar.example\n")
d.send.send_signal(signal.SIGHUP)
d.wait_log("status: local 0/0 remote 0/0", 2)
n2 = qs.queue_msg("s@x.example", ["z@far.example"])
t.ok(d.wait_log("info msg %d" % n2), "second message preprocessed")
d.wait_for(lambda: not os.path.exists(qs.qpath("todo", n2)))
t.eq(rd(qs.qpath("local", n2)), b"Tz@far.example\0",
     "HUP: changed locals used for the next message")
t.ok(not os.path.exists(qs.qpath("remote", n2)),
     "no remote file when there is no remote recipient")
t.eq(d.stop(), 0, "TERM: clean exit")
t.eq(d.todo.returncode, 0, "qmail-todo exits 0 when told to")

# Messages queued while nothing runs are picked up at start.
n3 = qs.queue_msg("s@x.example", ["q@test.example"])
d = qs.Daemons()
t.ok(d.wait_log("new msg %d" % n3), "start: todo/ scanned")
t.ok(sum(("new msg %d" % n) == ln for ln in d.lines()) == 0,
     "start: already preprocessed messages not redone")
d.stop()
t.done()
