#!/usr/bin/env python3
"""Black-box tests of qmail-send (with qmail-todo and the real qmail-clean).

qmail-lspawn and qmail-rspawn are played by this script: it speaks the
spawn protocol of src/lib/spawnproto.h on qmail-send's descriptors 1-4,
records every delivery command and answers with the report a policy
chooses.  The other descriptors are wired as qmail-start does.
"""
import math
import os
import signal
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from tap import Tap, QHOME, QBIN, instance_reset  # noqa: E402
from queuetest import control, queue_message  # noqa: E402

SPLIT = 23
Q = os.path.join(QHOME, "queue")


def qpath(sub, num):
    if sub == "bounce":
        return os.path.join(Q, sub, str(num))
    return os.path.join(Q, sub, str(num % SPLIT), str(num))


write_control = control


def queue_msg(sender, rcpts, body=b"Subject: t\n\nhello\n"):
    return queue_message(body, sender, rcpts)


class FakeSpawn(threading.Thread):
    """Plays qmail-lspawn or qmail-rspawn: reads commands, answers."""

    def __init__(self, rfd, wfd, slots, policy):
        super().__init__(daemon=True)
        self.rfd, self.wfd, self.policy = rfd, wfd, policy
        self.commands = []
        self.lock = threading.Lock()
        os.write(wfd, bytes([slots >> 8, slots & 255]))

    def run(self):
        buf = b""
        while True:
            try:
                data = os.read(self.rfd, 65536)
            except OSError:
                data = b""
            if not data:
                os.close(self.wfd)
                return
            buf += data
            while True:
                if len(buf) < 2:
                    break
                parts = buf[2:].split(b"\0", 3)
                if len(parts) < 4:
                    break
                delnum = buf[0] * 256 + buf[1]
                messid, sender, recip = parts[0], parts[1], parts[2]
                buf = parts[3]
                mess = b""
                try:
                    with open(os.path.join(Q, "mess", messid.decode()),
                              "rb") as f:
                        mess = f.read()
                except OSError:
                    pass
                cmd = dict(delnum=delnum, messid=messid, sender=sender,
                           recip=recip, mess=mess)
                with self.lock:
                    self.commands.append(cmd)
                status, text = self.policy(cmd)
                if status is None:
                    continue  # never answer
                os.write(self.wfd, bytes([delnum >> 8, delnum & 255]) +
                         status + text + b"\0")


class Daemons:
    """qmail-send + qmail-todo + two qmail-cleans + fake spawns."""

    def __init__(self, local_policy=None, remote_policy=None, slots=100):
        ok = lambda c: (b"K", b"did 0+0+1\n")  # noqa: E731
        self.local_policy = local_policy or ok
        self.remote_policy = remote_policy or ok
        logr, logw = os.pipe()
        l_cmd_r, l_cmd_w = os.pipe()
        l_rep_r, l_rep_w = os.pipe()
        r_cmd_r, r_cmd_w = os.pipe()
        r_rep_r, r_rep_w = os.pipe()
        c1_cmd_r, c1_cmd_w = os.pipe()
        c1_rep_r, c1_rep_w = os.pipe()
        c2_cmd_r, c2_cmd_w = os.pipe()
        c2_rep_r, c2_rep_w = os.pipe()
        t_in_r, t_in_w = os.pipe()    # send 7 -> todo 7
        t_out_r, t_out_w = os.pipe()  # todo 8 -> send 8
        self.clean1 = self.spawn("qmail-clean", {0: c1_cmd_r, 1: c1_rep_w,
                                                 2: logw})
        self.clean2 = self.spawn("qmail-clean", {0: c2_cmd_r, 1: c2_rep_w,
                                                 2: logw})
        self.todo = self.spawn("qmail-todo", {0: logw, 1: c2_cmd_w,
                                              2: c2_rep_r, 7: t_in_r,
                                              8: t_out_w})
        self.lspawn = FakeSpawn(l_cmd_r, l_rep_w, slots,
                                lambda c: self.local_policy(c))
        self.rspawn = FakeSpawn(r_cmd_r, r_rep_w, slots,
                                lambda c: self.remote_policy(c))
        self.send = self.spawn("qmail-send", {0: logw, 1: l_cmd_w,
                                              2: l_rep_r, 3: r_cmd_w,
                                              4: r_rep_r, 5: c1_cmd_w,
                                              6: c1_rep_r, 7: t_in_w,
                                              8: t_out_r})
        for fd in (logw, l_cmd_w, l_rep_r, r_cmd_w, r_rep_r, c1_cmd_r,
                   c1_cmd_w, c1_rep_r, c1_rep_w, c2_cmd_r, c2_cmd_w,
                   c2_rep_r, c2_rep_w, t_in_r, t_in_w, t_out_r, t_out_w):
            os.close(fd)
        self.lspawn.start()
        self.rspawn.start()
        self.log = b""
        self.loglock = threading.Lock()
        self.logfd = logr
        threading.Thread(target=self.read_log, daemon=True).start()
        self.wait_log("status: local ")

    @staticmethod
    def spawn(prog, fdmap):
        def pre():
            # os.pipe and os.dup make close-on-exec descriptors; dup2
            # makes inheritable ones: the child gets exactly fdmap.
            tmp = {child: os.dup(parent) for child, parent in fdmap.items()}
            for child, fd in tmp.items():
                os.dup2(fd, child)
        return subprocess.Popen([os.path.join(QBIN, prog)], preexec_fn=pre,
                                close_fds=False, stdin=None)

    def read_log(self):
        while True:
            data = os.read(self.logfd, 65536)
            if not data:
                return
            with self.loglock:
                self.log += data

    def lines(self):
        with self.loglock:
            return self.log.decode("latin-1").split("\n")

    def wait_for(self, pred, timeout=20):
        end = time.time() + timeout
        while time.time() < end:
            if pred():
                return True
            time.sleep(0.02)
        return False

    def wait_log(self, text, count=1, timeout=20):
        return self.wait_for(
            lambda: sum(text in ln for ln in self.lines()) >= count, timeout)

    def stop(self):
        for p in (self.send,):
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        try:
            rc = self.send.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.send.kill()
            rc = self.send.wait()
        for p in (self.todo, self.clean1, self.clean2):
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        return rc


def fresh(conc_local="10", conc_remote="20", extra=None):
    instance_reset()
    write_control("me", "test.example\n")
    write_control("locals", "test.example\nlocalhost\n")
    write_control("concurrencylocal", conc_local + "\n")
    write_control("concurrencyremote", conc_remote + "\n")
    for k, v in (extra or {}).items():
        write_control(k, v)


def main():
    t = Tap()

    # --- a local and a remote recipient, both delivered ---------------
    fresh()
    d = Daemons()
    n = queue_msg("joe@remote.example", ["bob@test.example",
                                         "ann@far.example"])
    t.ok(d.wait_log("end msg %d" % n), "message delivered and ended") or t.diag(repr(d.lines()))
    lines = d.lines()
    t.ok("new msg %d" % n in lines, "log: new msg N")
    t.ok(any(ln.startswith("info msg %d: bytes " % n) and
             ln.endswith(" from <joe@remote.example> qp %s uid %d" %
                         (ln.split(" qp ")[1].split(" ")[0], os.getuid()))
             for ln in lines), "log: info msg N: bytes B from <s> qp P uid U")
    t.ok(any(ln.startswith("starting delivery ") and
             ln.endswith(": msg %d to local bob@test.example" % n)
             for ln in lines), "log: starting delivery D: msg N to local R")
    t.ok(any(ln.endswith(": msg %d to remote ann@far.example" % n)
             for ln in lines), "log: starting delivery ... to remote R")
    t.ok(any(ln.startswith("delivery ") and
             ln.endswith(": success: did_0+0+1/") for ln in lines),
         "log: delivery D: success: text made safe")
    t.ok("status: local 0/10 remote 0/20" in lines,
         "log: status: local a/b remote c/d")
    t.ok("status: local 1/10 remote 0/20" in lines or
         "status: local 1/10 remote 1/20" in lines,
         "status counts a delivery in progress")
    lc = d.lspawn.commands[0]
    t.eq((lc["messid"], lc["sender"], lc["recip"]),
         (("%d/%d" % (n % SPLIT, n)).encode(), b"joe@remote.example",
          b"bob@test.example"), "lspawn command: S/N, sender, recipient")
    t.ok(lc["mess"].endswith(b"hello\n"), "the message file is there")
    gone = all(not os.path.exists(qpath(s, n))
               for s in ("mess", "info", "local", "remote", "todo",
                         "intd"))
    t.ok(d.wait_for(lambda: all(not os.path.exists(qpath(s, n)) for s in
                                ("mess", "info", "local", "remote",
                                 "todo", "intd"))) or gone,
         "every queue file removed after end msg")
    rc = d.stop()
    t.eq(rc, 0, "TERM: qmail-send exits 0")
    t.eq(d.lines()[-2], "status: exiting", "TERM: status: exiting last")

    # --- deferral, then ALRM retries --------------------------------
    fresh()
    state = {"defer": True}

    def local_policy(c):
        if state["defer"]:
            return b"Z", b"try later\n"
        return b"K", b"ok\n"
    d = Daemons(local_policy=local_policy)
    n = queue_msg("joe@remote.example", ["bob@test.example",
                                         "eve@test.example"])
    t.ok(d.wait_log(": deferral: try_later/", 2),
         "deferral logged: delivery D: deferral: text")
    time.sleep(0.3)
    lfile = open(qpath("local", n), "rb").read()
    t.eq(lfile, b"Tbob@test.example\0Teve@test.example\0",
         "deferred: local/S/N still holds T records")
    t.eq(len(d.lspawn.commands), 2, "deferred: not retried at once")
    state["defer"] = False
    d.send.send_signal(signal.SIGALRM)
    t.ok(d.wait_log("end msg %d" % n), "ALRM: retried now and finished")
    t.eq(len(d.lspawn.commands), 4, "ALRM: each recipient tried again")
    d.stop()

    # --- done marks are D records, in place -------------------------
    fresh()
    hold = {"first": True}

    def mark_policy(c):
        if c["recip"] == b"b@test.example":
            return b"Z", b"later\n"
        return b"K", b"ok\n"
    d = Daemons(local_policy=mark_policy)
    n = queue_msg("s@x.example", ["a@test.example", "b@test.example",
                                  "c@test.example"])
    t.ok(d.wait_log(": deferral: later/"), "one recipient deferred")
    d.wait_log(": success: ok/", 2)
    time.sleep(0.3)
    t.eq(open(qpath("local", n), "rb").read(),
         b"Da@test.example\0Tb@test.example\0Dc@test.example\0",
         "delivered recipients marked D in place")
    out = subprocess.run([os.path.join(QBIN, "qmail-qread")],
                         stdout=subprocess.PIPE).stdout
    t.ok(b"  done\tlocal\ta@test.example\n\tlocal\tb@test.example\n"
         in out and b"<s@x.example>" in out,
         "qmail-qread lists the message with done marks")
    d.stop()
    t.ok(os.path.exists(qpath("local", n)) and
         os.path.exists(qpath("info", n)),
         "TERM with a deferred message leaves it queued")
    # A restart picks it up from info/ (not from todo/).
    d = Daemons()
    d.send.send_signal(signal.SIGALRM)
    t.ok(d.wait_log("end msg %d" % n), "restart: queued message finished")
    t.eq([c["recip"] for c in d.lspawn.commands], [b"b@test.example"],
         "restart: only the recipient not done is tried")
    d.stop()

    # --- failure: bounce to the sender, double bounce ----------------
    fresh(extra={"doublebounceto": "dbl\n", "bouncefrom": "MAILER-DAEMON\n"})

    def fail_local(c):
        if c["recip"] == b"nosuch@test.example":
            return b"D", b"Sorry, no mailbox here by that name. (#5.1.1)\n"
        return b"K", b"ok\n"

    def fail_remote(c):
        return b"D", b"Remote host said: 550 no\n"
    d = Daemons(local_policy=fail_local, remote_policy=fail_remote)
    n = queue_msg("joe@remote.example", ["nosuch@test.example"],
                  b"Subject: orig\n\nthe original body\n")
    t.ok(d.wait_log("bounce msg %d qp " % n), "log: bounce msg N qp P")
    t.ok(d.wait_log("end msg %d" % n), "bounced message ended")
    t.ok(d.wait_for(lambda: len(d.rspawn.commands) >= 1),
         "bounce delivered to the (remote) sender")
    b = d.rspawn.commands[0]
    t.eq((b["sender"], b["recip"]), (b"", b"joe@remote.example"),
         "bounce envelope: <> to the sender")
    m = b["mess"]
    t.ok(b"\nFrom: MAILER-DAEMON@test.example\n" in m and
         b"\nTo: joe@remote.example\n" in m and
         b"\nSubject: failure notice\n" in m, "bounce header fields")
    t.ok(b"\nDate: " in m, "bounce has a Date")
    t.ok(b"\n\nHi. This is the qmail-send program at test.example.\n"
         b"I'm afraid I wasn't able to deliver your message to the "
         b"following addresses.\nThis is a permanent error; I've given up."
         b" Sorry it didn't work out.\n\n<nosuch@test.example>:\n"
         b"Sorry, no mailbox here by that name. (#5.1.1)\n\n"
         b"--- Below this line is a copy of the message.\n\n"
         b"Return-Path: <joe@remote.example>\n" in m,
         "bounce body in QSBMF")
    t.ok(m.endswith(b"Subject: orig\n\nthe original body\n"),
         "original message attached")
    # the bounce to joe failed too: double bounce to doublebounceto
    t.ok(d.wait_log("bounce msg ", 2), "failed bounce: double bounce made")
    t.ok(d.wait_for(lambda: any(c["recip"] == b"dbl@test.example"
                                for c in d.lspawn.commands)),
         "double bounce goes to doublebounceto@doublebouncehost")
    db = [c for c in d.lspawn.commands
          if c["recip"] == b"dbl@test.example"][0]
    t.eq(db["sender"], b"#@[]", "double bounce sender is #@[]")
    t.ok(b"I tried to deliver a bounce message to this address, but the "
         b"bounce bounced!\n\n<joe@remote.example>:\nRemote host said: "
         b"550 no\n\n--- Below this line is the original bounce.\n\n"
         b"Return-Path: <>\n" in db["mess"], "double bounce text") or t.diag(repr(db["mess"]))
    d.stop()

    # --- a bounce carries the header and at most 50,000 body bytes ---
    fresh()
    fail_all = lambda c: (b"D", b"no\n")  # noqa: E731
    d = Daemons(local_policy=fail_all)
    head = b"Subject: big\nX-Long: " + b"h" * 60000 + b"\n\n"
    body = b"".join(b"line %06d of the body\n" % i for i in range(10000))
    n = queue_msg("joe@remote.example", ["nosuch@test.example"],
                  head + body)
    t.ok(d.wait_for(lambda: len(d.rspawn.commands) >= 1),
         "big message bounced")
    m = d.rspawn.commands[0]["mess"] if d.rspawn.commands else b""
    copy = m.split(b"Return-Path: <joe@remote.example>\n", 1)[-1]
    t.ok(copy.startswith(b"Received: ") and head in copy,
         "bounce of a big message: the whole header")
    rest = copy.split(head, 1)[-1]
    left = len(body) - 50000
    cut = body[:50000]
    if not cut.endswith(b"\n"):
        cut += b"\n"
    t.eq(rest, cut + b"--- The copy of the message was cut here; %d more "
         b"bytes were left out.\n" % left,
         "bounce of a big message: 50,000 body bytes and the cut line") \
        or t.diag(repr(rest[-300:]))
    t.ok(b"\n--- Below this line is a copy of the message.\n\n" in m,
         "bounce of a big message: still QSBMF")
    d.stop()

    # a header of 150,000 bytes is cut at 100,000
    fresh()
    huge = b"Subject: huge\nX-Long: " + b"h" * 150000 + b"\n\nbody\n"
    queue_msg("joe@remote.example", ["nosuch@test.example"], huge)
    d = Daemons(local_policy=fail_all)
    t.ok(d.wait_for(lambda: len(d.rspawn.commands) >= 1),
         "huge header bounced")
    m = d.rspawn.commands[0]["mess"] if d.rspawn.commands else b""
    copy = m.split(b"Return-Path: <joe@remote.example>\n", 1)[-1]
    rcvd = copy.split(b"Subject: huge\n", 1)[0]
    total = len(rcvd) + len(huge)
    t.eq(copy, copy[:100000] + b"\n--- The copy of the message was cut "
         b"here; %d more bytes were left out.\n" % (total - 100000),
         "bounce of a huge header: cut after 100,000 bytes") \
        or t.diag(repr(copy[-200:]))
    t.ok(copy.startswith(b"Received: ") and copy[:100000].endswith(b"h"),
         "bounce of a huge header: the first 100,000 bytes of it")
    d.stop()

    # control/bouncemaxbytes: a smaller limit; a body that fits is whole
    fresh(extra={"bouncemaxbytes": "17\n"})
    queue_msg("joe@remote.example", ["nosuch@test.example"],
              b"Subject: a\n\n0123456789abcdef\nMORE\n")
    queue_msg("joe@remote.example", ["nosuch@test.example"],
              b"Subject: b\n\n0123456789abcdef\n")
    d = Daemons(local_policy=fail_all)
    t.ok(d.wait_for(lambda: len(d.rspawn.commands) >= 2),
         "bouncemaxbytes: both bounced")
    ms = sorted(c["mess"] for c in d.rspawn.commands)
    a = [x for x in ms if b"Subject: a\n" in x]
    bb = [x for x in ms if b"Subject: b\n" in x]
    t.ok(a and a[0].endswith(b"Subject: a\n\n0123456789abcdef\n--- The "
                             b"copy of the message was cut here; 5 more "
                             b"bytes were left out.\n"),
         "bouncemaxbytes 17: 17 body bytes, then the cut line") \
        or t.diag(repr(a and a[0][-200:]))
    t.ok(bb and bb[0].endswith(b"Subject: b\n\n0123456789abcdef\n"),
         "bouncemaxbytes 17: a 17-byte body is not cut")
    d.stop()

    # --- C19: a sender with CR or LF (an old queue file) makes no header
    fresh()
    n = queue_msg("joe@remote.example", ["nosuch@test.example"])
    evil = b"x@evil.example\r\nBcc: victim@evil.example"
    todo = qpath("todo", n)
    env = open(todo, "rb").read()
    env = env.replace(b"Fjoe@remote.example\0", b"F" + evil + b"\0")
    with open(todo, "wb") as f:
        f.write(env)
    d0 = Daemons(local_policy=fail_all)
    t.ok(d0.wait_for(lambda: len(d0.rspawn.commands) +
                     len(d0.lspawn.commands) >= 2),
         "CR LF sender: bounce made")
    bounces = [c for c in d0.rspawn.commands + d0.lspawn.commands
               if c["sender"] == b""]
    m = bounces[0]["mess"] if bounces else b""
    hdr = m.split(b"\n\n", 1)[0]
    t.ok(m and b"\r" not in hdr and
         not any(ln.startswith(b"Bcc:") for ln in m.split(b"\n")),
         "CR LF sender: no Bcc header, no CR in the bounce header") \
        or t.diag(repr(hdr))
    t.ok(b"\nTo: \"x@evil.example__Bcc: victim\"@evil.example\n" in m and
         b"\nReturn-Path: <\"x@evil.example__Bcc: victim\"@evil.example>\n"
         in m, "CR LF sender: To and Return-Path with _ for CR and LF") \
        or t.diag(repr(m[:600]))
    t.eq(bounces[0]["recip"] if bounces else None,
         b"x@evil.example__Bcc: victim@evil.example",
         "CR LF sender: the bounce goes to the address with _")
    d0.stop()

    # --- triple bounce is dropped ------------------------------------
    fresh(extra={"doublebounceto": "dbl\n"})
    d = Daemons(local_policy=lambda c: (b"D", b"no\n"))
    n = queue_msg("#@[]", ["x@test.example"])
    t.ok(d.wait_log("triple bounce: discarding bounce/%d" % n),
         "triple bounce: discarding bounce/N")
    t.ok(d.wait_log("end msg %d" % n), "triple bounce: message ends")
    d.stop()

    # --- queuelifetime: a deferral of an old message is a failure ----
    fresh(extra={"queuelifetime": "0\n"})
    d = Daemons(local_policy=lambda c: (b"Z", b"busy\n")
                if c["sender"] else (b"K", b"ok\n"))
    n = queue_msg("joe@test.example", ["x@test.example"])
    d.wait_log(": deferral: busy/")
    time.sleep(1.1)
    d.send.send_signal(signal.SIGALRM)
    t.ok(d.wait_log("I'm_not_going_to_try_again;_this_message_has_been_in"
                    "_the_queue_too_long./"),
         "queuelifetime: deferral turned into failure")
    t.ok(d.wait_log("bounce msg %d" % n), "queuelifetime: bounced")
    d.stop()

    # --- sendmutex ---------------------------------------------------
    fresh()
    d = Daemons()
    d.wait_log("status: local 0/10")
    p = subprocess.run([os.path.join(QBIN, "qmail-send")],
                       stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=10,
                       preexec_fn=lambda: os.dup2(1, 0))
    t.eq(p.returncode, 111, "second qmail-send exits 111")
    t.eq(p.stdout, b"alert: cannot start: qmail-send is already running\n",
         "second qmail-send says it is already running")

    # --- HUP: concurrency files reread --------------------------------
    write_control("concurrencylocal", "3\n")
    d.send.send_signal(signal.SIGHUP)
    t.ok(d.wait_log("status: local 0/3 remote 0/20"),
         "HUP: new concurrencylocal in force")
    d.stop()

    # --- the retry schedule: birth + (floor(sqrt(age)) + skip)^2 ------
    fresh()
    d = Daemons(local_policy=lambda c: (b"Z", b"later\n"),
                remote_policy=lambda c: (b"Z", b"later\n"))
    n = queue_msg("s@x.example", ["a@test.example", "b@far.example"])
    t.ok(d.wait_log(": deferral: later/", 2), "schedule: both deferred")
    after = time.time()
    d.stop()
    birth = os.stat(qpath("info", n)).st_mtime
    for sub, skip in (("local", 10), ("remote", 20)):
        # the deferral happened between birth and after: the next try
        # is birth + (floor(sqrt(age)) + skip)^2 for an age in that span
        ok = {int(birth) + (math.isqrt(a) + skip) ** 2
              for a in range(0, int(after - birth) + 2)}
        got = int(os.stat(qpath(sub, n)).st_mtime)
        t.ok(got in ok, "schedule: %s retry time kept in the file mtime "
             "(skip %d)" % (sub, skip)) or t.diag("%d not in %r" % (got, ok))
    # A restart honours that time: nothing before it, the retry when due.
    due = time.time() + 3
    for sub in ("local", "remote"):
        os.utime(qpath(sub, n), (due, due))
    d = Daemons()
    time.sleep(1)
    t.eq(len(d.lspawn.commands) + len(d.rspawn.commands), 0,
         "schedule: not retried before the retry time")
    t.ok(d.wait_log("end msg %d" % n, timeout=30),
         "schedule: retried when due, without ALRM")
    t.ok(time.time() >= due - 1, "schedule: not before the retry time")
    d.stop()

    # --- orphaned message files are removed after 36 hours ----------
    fresh()
    old = time.time() - 37 * 3600
    orphans = {}
    for num, age in ((1000003, old), (1000004, time.time())):
        for sub in ("mess", "intd"):
            path = qpath(sub, num)
            with open(path, "wb") as f:
                f.write(b"Subject: orphan\n\n")
            os.utime(path, (age, age))
        orphans[num] = age
    held = queue_msg("s@x.example", ["a@test.example"])
    os.utime(qpath("mess", held), (old, old))  # old but still in todo/
    d = Daemons()
    t.ok(d.wait_for(lambda: not os.path.exists(qpath("mess", 1000003))),
         "orphan: a lone 37-hour-old mess file is removed")
    t.ok(not os.path.exists(qpath("intd", 1000003)),
         "orphan: and its intd file")
    t.ok(d.wait_log("end msg %d" % held),
         "orphan: an old message still in todo/ is delivered, not removed")
    t.ok(os.path.exists(qpath("mess", 1000004)) and
         os.path.exists(qpath("intd", 1000004)),
         "orphan: a recent lone mess file is left alone")
    t.ok(not any("warning" in ln for ln in d.lines()),
         "orphan: no warnings") or t.diag(repr(d.lines()))
    d.stop()

    # --- concurrency: 1,000 parallel deliveries ----------------------
    fresh(conc_local="1000")
    pending = []

    def never(c):
        pending.append(c)
        return None, None
    d = Daemons(local_policy=never, slots=2000)
    rcpts = ["u%d@test.example" % i for i in range(1100)]
    n = queue_msg("s@test.example", rcpts)
    t.ok(d.wait_for(lambda: len(pending) >= 1000, 60),
         "concurrencylocal 1000: 1000 deliveries at once")
    time.sleep(0.3)
    t.eq(len(pending), 1000, "and not one more")
    t.ok(d.wait_log("status: local 1000/1000 remote 0/20"),
         "status shows 1000/1000")
    for c in pending[:]:
        os.write(d.lspawn.wfd, bytes([c["delnum"] >> 8, c["delnum"] & 255])
                 + b"Kok\n\0")
    t.ok(d.wait_for(lambda: len(pending) >= 1100, 60),
         "freed slots reused for the rest")
    d.send.kill()
    d.send.wait()
    d.stop()

    t.done()


if __name__ == "__main__":
    main()
