#!/usr/bin/env python3
"""Black-box tests of qmail-qmqpd over pipes: well-formed requests, the
Received line, addresses it refuses, QMAILQUEUE, and hostile input (bad
netstrings, leading zeros, lengths past 64 bits, huge declared lengths,
truncation, missing commas) with the queue checked after each."""
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from tap import Tap, QHOME, instance_reset  # noqa: E402
from qmqptest import (ns, parse_ns, control, run, queued, leftovers,  # noqa
                      clear_queue, split_received, DATE)

t = Tap()
KOK = re.compile(rb"^Kok \d+ qp \d+$")
REFUSED = b"Dsorry, I can't accept addresses like that (#5.1.3)"
MSG = b"Subject: qmqp\n\nbody line\n"


def request(message=MSG, sender="a@b.example",
            rcpts=("c@d.example", "e@f.example")):
    return ns(ns(message) + ns(sender) + b"".join(ns(r) for r in rcpts))


def qmqpd(data, env=None):
    out, rc = run("qmail-qmqpd", data, env)
    answers, rest = parse_ns(out)
    return answers, rest, rc


instance_reset()
control("me", "mx.example.org\n")

# --- a good request ---------------------------------------------------------
answers, rest, rc = qmqpd(request())
t.ok(len(answers) == 1 and KOK.match(answers[0]) and rest == b"",
     "good request: one answer netstring 'Kok TIME qp PID'")
t.eq(rc, 0, "good request: exit 0")
q = queued()
t.eq(len(q), 1, "good request: one message queued")
if q:
    mess, env = q[0]
    t.eq(env, b"Fa@b.example\0Tc@d.example\0Te@f.example\0",
         "good request: envelope sender and recipients")
    qq, rcv, body = split_received(mess, b"QMQP")
    t.ok(rcv is not None and re.match(
        rb"Received: from client.example.net \(192.0.2.7\)\n"
        rb"  by mx.example.org with QMQP; " + DATE + rb"\n$", rcv),
        "good request: Received line 'from HOST (IP) by LOCAL with QMQP'")
    t.eq(body, MSG, "good request: message stored as sent")
    pid = re.search(rb"qp (\d+)", answers[0]).group(1)
    t.ok(qq is not None and b"(qmail " + pid + b" " in qq,
         "the qp in the answer is qmail-queue's pid")

clear_queue()
qmqpd(request(), {"TCPREMOTEINFO": "joe", "TCPREMOTEHOST": "h<o>st",
                  "TCPLOCALHOST": None, "TCPLOCALIP": "192.0.2.1"})
q = queued()
t.ok(len(q) == 1 and b"Received: from h?o?st (joe@192.0.2.7)\n  by "
     b"192.0.2.1 with QMQP; " in q[0][0],
     "Received: TCPREMOTEINFO@, unsafe bytes as '?', TCPLOCALIP fallback")
clear_queue()
qmqpd(request(), {"TCPREMOTEIP": None, "TCPREMOTEHOST": None,
                  "TCPLOCALHOST": None, "TCPLOCALIP": None})
q = queued()
t.ok(len(q) == 1 and b"Received: from unknown (unknown)\n  by unknown "
     b"with QMQP; " in q[0][0], "Received: unknown without TCP variables")

# binary data, CR LF and NULs are stored exactly (no line-end conversion)
clear_queue()
raw = bytes(range(256)) * 3 + b"\r\nx\r"
answers, _, _ = qmqpd(request(message=raw, sender="", rcpts=["x@y"]))
q = queued()
t.ok(answers and KOK.match(answers[0]) and len(q) == 1 and
     split_received(q[0][0], b"QMQP")[2] == raw and q[0][1] == b"F\0Tx@y\0",
     "every byte value, CR LF and the null sender kept exactly")

# a big message is streamed
clear_queue()
big = (b"x" * 79 + b"\n") * 65536  # 5 MiB
answers, _, _ = qmqpd(request(message=big))
q = queued()
t.ok(answers and KOK.match(answers[0]) and len(q) == 1 and
     split_received(q[0][0], b"QMQP")[2] == big, "5 MiB message queued")

# no recipients: qmail passes the envelope on as it is
clear_queue()
answers, _, _ = qmqpd(request(rcpts=[]))
t.ok(len(answers) == 1 and answers[0][:1] in (b"K", b"D", b"Z"),
     "no recipients: answered (qmail-queue decides)")
clear_queue()

# --- addresses qmail-qmqpd refuses -----------------------------------------
for name, sender, rcpts in [
        ("sender of 1000 bytes", "s" * 1000, ["c@d"]),
        ("sender with a NUL", "a\0b", ["c@d"]),
        ("recipient of 1000 bytes", "a@b", ["c@d", "r" * 1000]),
        ("recipient with a NUL", "a@b", ["c@d\0x", "e@f"]),
        ("sender with LF", "x@evil\nBcc: victim@a.b", ["c@d"]),
        ("sender with CR", "x@evil\r", ["c@d"]),
        ("recipient with CR LF", "a@b", ["c@d", "e@f\r\nBcc: v@a.b"]),
        ("huge recipient (1 MB)", "a@b", ["c@d", "r" * 1000000])]:
    clear_queue()
    answers, rest, rc = qmqpd(request(sender=sender, rcpts=rcpts))
    t.ok(answers == [REFUSED] and rc == 0 and leftovers() == 0,
         name + ": D 'can't accept addresses like that', nothing queued")
answers, _, _ = qmqpd(request(sender="s" * 999, rcpts=["r" * 999]))
q = queued()
t.ok(answers and KOK.match(answers[0]) and len(q) == 1 and
     q[0][1] == b"F" + b"s" * 999 + b"\0T" + b"r" * 999 + b"\0",
     "addresses of 999 bytes are accepted")
clear_queue()

# --- QMAILQUEUE -------------------------------------------------------------
tmp = os.path.join(QHOME, "fakeqq")
for code, want in [(71, b"Zmail server temporarily rejected message "
                        b"(#4.3.0)"),
                   (31, b"Dmail server permanently rejected message "
                        b"(#5.3.0)"),
                   (53, b"Zqq write error or disk full (#4.3.0)")]:
    with open(tmp, "w") as f:
        f.write("#!/bin/sh\ncat >/dev/null\ncat <&1 >/dev/null\nexit %d\n"
                % code)
    os.chmod(tmp, 0o755)
    answers, _, _ = qmqpd(request(), {"QMAILQUEUE": tmp})
    t.eq(answers, [want], "QMAILQUEUE exiting %d: answer %r" % (code, want))
os.unlink(tmp)
t.eq(leftovers(), 0, "QMAILQUEUE: nothing in the real queue")

# --- hostile input -----------------------------------------------------------
good = request()
inner = ns(MSG) + ns("a@b.example") + ns("c@d.example")
hostile = [
    ("leading zero in the request length", b"0" + good, 100),
    ("leading zero in the message length",
     ns(b"0" + ns(MSG) + ns("a@b") + ns("c@d")), 100),
    ("leading zero in a recipient length",
     ns(ns(MSG) + ns("a@b") + b"05:c@d.e,"), 100),
    ("'00:' request", b"00:,", 100),
    ("sign in a length", b"+" + good, 100),
    ("space before the colon", str(len(inner)).encode() + b" :" + inner + b",",
     100),
    ("not a number", b"abc:" + inner + b",", 100),
    ("request length past 64 bits", b"99999999999999999999999:" + inner +
     b",", 111),
    ("request length of 2^64", b"18446744073709551616:" + inner + b",", 111),
    ("request length over qmail's limit", b"2000000001:" + inner, 111),
    ("message length past 64 bits",
     ns(b"99999999999999999999999:" + MSG + b"," + ns("a@b")), 100),
    ("message length longer than the request",
     ns(b"1000:" + MSG + b"," + ns("a@b")), 100),
    ("recipient length longer than the request",
     ns(ns(MSG) + ns("a@b") + b"50:c@d,"), 100),
    ("missing comma after the message",
     ns(str(len(MSG)).encode() + b":" + MSG + b";" + ns("a@b") + ns("c@d")),
     100),
    ("missing comma after the request", good[:-1] + b";", 100),
    ("missing comma after a recipient",
     ns(ns(MSG) + ns("a@b") + b"3:c@d;"), 100),
    ("empty request", b"0:,", 100),
    ("garbage", b"HELO there\r\n", 100),
]
for name, data, code in hostile:
    answers, rest, rc = qmqpd(data)
    t.ok(answers == [] and rc == code and leftovers() == 0,
         "%s: no answer, exit %d, nothing queued" % (name, code))
    if answers or rc != code:
        t.diag("answers %r rest %r rc %d" % (answers, rest[:60], rc))
    clear_queue()

# a huge declared length followed by little: the client goes away
answers, rest, rc = qmqpd(b"1999999999:" + inner)
t.ok(answers == [] and rc == 0 and leftovers() == 0,
     "declared 1999999999 bytes, sent few: exit 0, nothing queued")
answers, rest, rc = qmqpd(ns(b"1999999000:" + MSG))
t.ok(answers == [] and rc == 100 and leftovers() == 0,
     "message longer than its request: exit 100 before reading it")

# every truncation of a good request: no answer, nothing queued
bad = []
for cut in range(len(good)):
    answers, rest, rc = qmqpd(good[:cut])
    if answers or rest or rc != 0 or leftovers():
        bad.append((cut, answers, rc))
    clear_queue()
t.eq(bad, [], "each of %d truncations: no answer, exit 0, nothing queued"
     % len(good))
t.done()
