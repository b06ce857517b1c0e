#!/usr/bin/env python3
"""Black-box tests of qmail-qmtpd over pipes: packages with LF and CR LF
messages, several packages per connection, pipelined answers, rcpthosts,
morercpthosts.cdb, RELAYCLIENT, databytes, refused addresses, and hostile
input, with the queue checked after each."""
import os
import re
import select
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from tap import Tap, QHOME, QBIN, instance_reset  # noqa: E402
from qmqptest import (ns, parse_ns, control, run, queued, leftovers,  # noqa
                      clear_queue, split_received, DATE, BASE_ENV)

t = Tap()
KOK = re.compile(rb"^Kok \d+ qp \d+$")
NOGATEWAY = (b"Dsorry, that domain isn't in my list of allowed rcpthosts "
             b"(#5.7.1)")
BADRCPT = b"Dsorry, I can't handle that recipient (#5.1.3)"
BADSENDER = b"Dunacceptable sender (#5.1.7)"
TOOBIG = b"Dsorry, that message size exceeds my databytes limit (#5.3.4)"


def package(body=b"Subject: qmtp\n\nhello\n", sender="a@b.example",
            rcpts=("joe@example.org",), mode=b"\n"):
    return (ns(mode + body) + ns(sender) +
            ns(b"".join(ns(r) for r in rcpts)))


def qmtpd(data, env=None):
    out, rc = run("qmail-qmtpd", data, env)
    answers, rest = parse_ns(out)
    return answers, rest, rc


def bodies():
    return [split_received(m, b"QMTP")[2] for m, _ in queued()]


instance_reset()
control("me", "mx.example.org\n")
control("rcpthosts", "example.org\n.example.com\n")

# --- one package -----------------------------------------------------------
answers, rest, rc = qmtpd(package(rcpts=["joe@example.org",
                                         "ann@sub.example.com"]))
t.ok(len(answers) == 2 and all(KOK.match(a) for a in answers) and
     answers[0] == answers[1] and rest == b"",
     "two recipients: two equal answers 'Kok TIME qp PID'")
t.eq(rc, 0, "client closing after a package: exit 0")
q = queued()
t.eq(len(q), 1, "one message queued")
if q:
    mess, env = q[0]
    t.eq(env, b"Fa@b.example\0Tjoe@example.org\0Tann@sub.example.com\0",
         "envelope")
    qq, rcv, body = split_received(mess, b"QMTP")
    t.ok(rcv is not None and re.match(
        rb"Received: from client.example.net \(192.0.2.7\)\n"
        rb"  by mx.example.org with QMTP; " + DATE + rb"\n$", rcv),
        "Received line 'from HOST (IP) by LOCAL with QMTP'")
    t.eq(body, b"Subject: qmtp\n\nhello\n", "LF message stored as sent")
clear_queue()

# --- the line-end byte -------------------------------------------------------
cases = [
    (b"\n", b"a\r\nb\rc\nd\r", b"a\r\nb\rc\nd\r",
     "LF message: CR bytes kept as they are"),
    (b"\r", b"a\r\nb\r\nc\r\n", b"a\nb\nc\n", "CR LF message: CR LF -> LF"),
    (b"\r", b"a\rb\r\r\nc\nd\r", b"a\rb\r\nc\nd\r",
     "CR LF message: bare CR and bare LF kept, CR CR LF -> CR LF"),
    (b"\r", b"", b"", "CR LF message: empty"),
    (b"\r", b"\r", b"\r", "CR LF message: a lone CR"),
]
for mode, sent, stored, name in cases:
    answers, _, _ = qmtpd(package(body=sent, mode=mode))
    t.ok(len(answers) == 1 and KOK.match(answers[0]) and
         bodies() == [stored], name)
    clear_queue()
# CR LF spanning the server's 16 KiB input buffer
body = (b"y" * 16383 + b"\r\n") * 3
answers, _, _ = qmtpd(package(body=body, mode=b"\r"))
t.ok(answers and KOK.match(answers[0]) and
     bodies() == [(b"y" * 16383 + b"\n") * 3],
     "CR LF across input buffer boundaries")
clear_queue()

# --- several packages per connection, answers pipelined -------------------
answers, rest, rc = qmtpd(package(body=b"one\n") +
                          package(body=b"two\r\n", mode=b"\r",
                                  rcpts=["a@example.org", "b@example.org"]) +
                          package(body=b"three\n"))
t.ok(len(answers) == 4 and all(KOK.match(a) for a in answers),
     "three packages in one connection: four answers")
t.eq(sorted(bodies()), [b"one\n", b"three\n", b"two\n"],
     "three messages queued")
clear_queue()

p = subprocess.Popen([os.path.join(QBIN, "qmail-qmtpd")],
                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                     env=BASE_ENV)
got = []
for i in range(2):
    p.stdin.write(package(body=b"interactive %d\n" % i))
    p.stdin.flush()
    buf = b""
    end = time.monotonic() + 20
    while time.monotonic() < end:
        r, _, _ = select.select([p.stdout], [], [], 0.5)
        if r:
            buf += os.read(p.stdout.fileno(), 4096)
            if parse_ns(buf)[0]:
                break
    got.append(parse_ns(buf)[0])
p.stdin.close()
p.wait(timeout=20)
p.stdout.close()
t.ok(len(got) == 2 and all(len(a) == 1 and KOK.match(a[0]) for a in got),
     "each package answered while the connection stays open")
clear_queue()

# --- rcpthosts, morercpthosts.cdb, RELAYCLIENT --------------------------------
answers, _, _ = qmtpd(package(rcpts=["joe@example.org", "eve@evil.example",
                                     "x@EXAMPLE.ORG", "y@example.com",
                                     "local"]))
t.ok(len(answers) == 5 and KOK.match(answers[0]) and
     answers[1] == NOGATEWAY and KOK.match(answers[2]) and
     answers[3] == NOGATEWAY and KOK.match(answers[4]),
     "rcpthosts: answers in order, outsiders refused with qmail's text")
q = queued()
t.ok(len(q) == 1 and q[0][1] == b"Fa@b.example\0Tjoe@example.org\0"
     b"Tx@EXAMPLE.ORG\0Tlocal\0",
     "rcpthosts: only allowed recipients in the envelope")
clear_queue()

answers, _, _ = qmtpd(package(rcpts=["eve@evil.example", "m@other.test"]))
t.ok(answers == [NOGATEWAY, NOGATEWAY] and leftovers() == 0,
     "every recipient refused: nothing queued")

with open(os.path.join(QHOME, "control", "morercpthosts"), "w") as f:
    f.write("other.test\n.deep.test\n")
subprocess.run([os.path.join(QBIN, "qmail-newmrh")], check=True,
               cwd=QHOME)
answers, _, _ = qmtpd(package(rcpts=["m@Other.Test", "n@a.deep.test",
                                     "o@deep.test"]))
t.ok(len(answers) == 3 and KOK.match(answers[0]) and
     KOK.match(answers[1]) and answers[2] == NOGATEWAY,
     "morercpthosts.cdb: domains and .suffixes allowed, ignoring case")
clear_queue()
os.unlink(os.path.join(QHOME, "control", "morercpthosts.cdb"))

answers, _, _ = qmtpd(package(rcpts=["eve@evil.example"]),
                      {"RELAYCLIENT": ""})
t.ok(len(answers) == 1 and KOK.match(answers[0]) and
     queued()[0][1] == b"Fa@b.example\0Teve@evil.example\0",
     "RELAYCLIENT: rcpthosts not checked")
clear_queue()
answers, _, _ = qmtpd(package(rcpts=["eve@evil.example"]),
                      {"RELAYCLIENT": "@relay.example"})
t.ok(len(answers) == 1 and queued()[0][1] ==
     b"Fa@b.example\0Teve@evil.example@relay.example\0",
     "RELAYCLIENT is appended to each recipient")
clear_queue()
answers, _, _ = qmtpd(package(rcpts=["r" * 990, "ok@x"]),
                      {"RELAYCLIENT": "@relay.example"})
t.ok(len(answers) == 2 and answers[0] == BADRCPT and KOK.match(answers[1]),
     "recipient too long once RELAYCLIENT is appended: refused")
clear_queue()
control("rcpthosts", None)
answers, _, _ = qmtpd(package(rcpts=["eve@evil.example"]))
t.ok(len(answers) == 1 and KOK.match(answers[0]),
     "without control/rcpthosts every recipient is allowed")
clear_queue()
control("rcpthosts", "example.org\n.example.com\n")

# --- addresses refused ---------------------------------------------------------
answers, _, _ = qmtpd(package(rcpts=["a@example.org", "b\0@example.org",
                                     "r" * 1000 + "@example.org",
                                     "c@example.org"]))
t.ok(len(answers) == 4 and KOK.match(answers[0]) and
     answers[1] == BADRCPT and answers[2] == BADRCPT and
     KOK.match(answers[3]), "recipients with a NUL or of 1000 bytes: refused")
t.ok(len(queued()) == 1 and queued()[0][1] ==
     b"Fa@b.example\0Ta@example.org\0Tc@example.org\0",
     "the others queued")
clear_queue()
# CR or LF in an address would become a line break in a header
answers, _, _ = qmtpd(package(rcpts=["a@example.org",
                                     "b@example.org\r\nBcc: v@example.org",
                                     "c\n@example.org", "d\r@example.org"]))
t.ok(len(answers) == 4 and KOK.match(answers[0]) and
     answers[1:] == [BADRCPT] * 3,
     "recipients with CR LF, LF or CR: refused")
t.ok(len(queued()) == 1 and queued()[0][1] ==
     b"Fa@b.example\0Ta@example.org\0",
     "recipients with CR or LF: only the good one queued")
clear_queue()
for name, sender in [("sender with a NUL", "a\0b"),
                     ("sender of 1000 bytes", "s" * 1000),
                     ("sender with LF", "x@evil.example\nBcc: v@example.org"),
                     ("sender with CR", "x@evil.example\r")]:
    answers, _, _ = qmtpd(package(sender=sender,
                                  rcpts=["a@example.org", "eve@evil.example"]))
    t.ok(answers == [BADSENDER, NOGATEWAY] and leftovers() == 0,
         name + ": 'unacceptable sender', nothing queued")
answers, _, _ = qmtpd(package(sender="", rcpts=["a@example.org"]))
t.ok(len(answers) == 1 and queued()[0][1] == b"F\0Ta@example.org\0",
     "null sender accepted")
clear_queue()

# --- databytes --------------------------------------------------------------------
control("databytes", "100\n")
answers, _, _ = qmtpd(package(body=b"x" * 100))
t.ok(len(answers) == 1 and KOK.match(answers[0]),
     "databytes 100: a 100-byte message is accepted")
clear_queue()
answers, _, _ = qmtpd(package(body=b"x" * 101, rcpts=["a@example.org",
                                                      "b@example.org"]))
t.ok(answers == [TOOBIG, TOOBIG] and leftovers() == 0,
     "databytes 100: 101 bytes refused for every recipient, nothing queued")
answers, _, _ = qmtpd(package(body=b"x\r\n" * 50, mode=b"\r"))
t.ok(len(answers) == 1 and KOK.match(answers[0]),
     "databytes counts bytes as stored (150 sent as CR LF, 100 stored)")
clear_queue()
answers, _, _ = qmtpd(package(body=b"x" * 101), {"DATABYTES": "0"})
t.ok(len(answers) == 1 and KOK.match(answers[0]),
     "DATABYTES=0 overrides databytes: no limit")
clear_queue()
answers, _, _ = qmtpd(package(body=b"x" * 30), {"DATABYTES": "20"})
t.eq(answers, [TOOBIG], "DATABYTES=20 refuses 30 bytes")
answers, _, _ = qmtpd(package(body=b"x" * 200) + package(body=b"y"))
t.ok(len(answers) == 2 and answers[0] == TOOBIG and KOK.match(answers[1])
     and bodies() == [b"y"],
     "after a refused package the next one on the connection is accepted")
clear_queue()
control("databytes", None)

# --- hostile input ------------------------------------------------------------------
good = package()
hostile = [
    ("message without the line-end byte", b"0:," + ns("a@b") +
     ns(ns("c@example.org")), 100),
    ("line-end byte neither LF nor CR", ns(b"xhello\n") + ns("a@b") +
     ns(ns("c@example.org")), 100),
    ("line-end byte NUL", ns(b"\0hello\n") + ns("a@b") +
     ns(ns("c@example.org")), 100),
    ("leading zero in the message length", b"0" + good, 100),
    ("leading zero in a recipient length", ns(b"\nhi\n") + ns("a@b") +
     ns(b"015:c@example.org,"), 100),
    ("leading zero in the recipient list length", ns(b"\nhi\n") + ns("a@b")
     + b"0" + ns(ns("c@example.org")), 100),
    ("message length past 64 bits", b"99999999999999999999999:\nhi,", 111),
    ("message length over qmail's limit", b"2000000001:\nhi,", 111),
    ("sender length past 64 bits", ns(b"\nhi\n") +
     b"18446744073709551616:a@b,", 111),
    ("recipient list over 16 MiB", ns(b"\nhi\n") + ns("a@b") +
     b"16777217:", 111),
    ("recipient length past 64 bits", ns(b"\nhi\n") + ns("a@b") +
     ns(b"99999999999999999999999:c@example.org,"), 100),
    ("recipient longer than its list", ns(b"\nhi\n") + ns("a@b") +
     b"17:" + b"20:c@example.org,", 100),
    ("recipient without its comma inside the list", ns(b"\nhi\n") +
     ns("a@b") + ns(b"13:c@example.org;"), 100),
    ("empty recipient list", ns(b"\nhi\n") + ns("a@b") + b"0:,", 100),
    ("missing comma after the message", b"4:\nhi\n;" + ns("a@b") +
     ns(ns("c@example.org")), 100),
    ("missing comma after the sender", ns(b"\nhi\n") + b"3:a@b;" +
     ns(ns("c@example.org")), 100),
    ("missing comma after the list", good[:-1] + b";", 100),
    ("not a number", b"HELO x\r\n", 100),
    ("space in a length", b"4 :\nhi\n,", 100),
]
for name, data, code in hostile:
    answers, rest, rc = qmtpd(data)
    t.ok(answers == [] and rc == code and leftovers() == 0,
         "%s: no answer, exit %d, nothing queued" % (name, code))
    if answers or rc != code:
        t.diag("answers %r rest %r rc %d" % (answers, rest[:60], rc))
    clear_queue()

# a malformed second package: the first is answered and kept
answers, rest, rc = qmtpd(good + b"0" + good)
t.ok(len(answers) == 1 and rc == 100 and len(queued()) == 1,
     "good package then a bad one: first answered and queued, exit 100")
clear_queue()
answers, rest, rc = qmtpd(b"1999999999:\nhello")
t.ok(answers == [] and rc == 0 and leftovers() == 0,
     "declared 1999999999 bytes, sent few: exit 0, nothing queued")

bad = []
for cut in range(1, len(good)):
    answers, rest, rc = qmtpd(good[:cut])
    if answers or rest or rc != 0 or leftovers():
        bad.append((cut, answers, rc))
    clear_queue()
t.eq(bad, [], "each of %d truncations: no answer, exit 0, nothing queued"
     % (len(good) - 1))
answers, rest, rc = qmtpd(b"")
t.ok(answers == [] and rc == 0, "no input at all: exit 0")
t.done()
