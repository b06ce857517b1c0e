#!/usr/bin/env python3
"""Black-box tests of qmail-smtpd: every command, reply, control file and
environment variable, driven over pipes, with the queue files checked."""
import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from tap import Tap, QHOME, QBIN, instance_reset  # noqa: E402
from queuetest import clear_queue, committed, control  # noqa: E402
from servers import BASE_ENV, run_piped, write_checkpassword  # noqa: E402

t = Tap()
SMTPD = os.path.join(QBIN, "qmail-smtpd")
Q = os.path.join(QHOME, "queue")
DATE = rb"\d{1,2} [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d -0000"


def fresh(**controls):
    instance_reset()
    control("me", "mx.example.org\n")
    control("rcpthosts", "example.org\n.example.com\n")
    for k, v in controls.items():
        control(k, v)


def smtp(data, env=None, timeout=60):
    return run_piped("qmail-smtpd", data, env, timeout)


def replies(out):
    return out.decode("latin-1").split("\r\n")[:-1]


def crlf(*lines):
    return b"".join((x.encode() if isinstance(x, str) else x) + b"\r\n"
                    for x in lines)


def queued():
    """[(mess bytes, envelope bytes)] of every message in the queue."""
    return [(m, e) for _, m, e in committed()]


def strip_received(mess):
    """(qmail-queue's Received, qmail-smtpd's Received, rest)"""
    m = re.match(rb"(Received: \(qmail \d+ invoked by uid \d+\); " + DATE +
                 rb"\n)(Received: from [^\n]*\n  by [^\n]*; " + DATE +
                 rb"\n)", mess)
    if not m:
        return None, None, mess
    return m.group(1), m.group(2), mess[m.end():]


def envelope(sender, rcpts):
    return (b"F" + sender + b"\0" + b"".join(b"T" + r + b"\0" for r in rcpts)
            + b"\0")


def env_records(env):
    """The envelope without the u and p records, and those records."""
    m = re.match(rb"u(\d+)\0p(\d+)\0", env)
    return (env[m.end():] if m else env), m


DIALOG = crlf("HELO client.example.net", "MAIL FROM:<a@b.example>",
              "RCPT TO:<joe@example.org>", "DATA", "Subject: x", "",
              "hello", ".", "QUIT")

# --- greeting and basic dialogue ------------------------------------------
fresh()
out, rc = smtp(crlf("QUIT"))
r = replies(out)
t.eq(r[0], "220 mx.example.org ESMTP", "greeting is 220 <me> ESMTP")
t.eq(r[1], "221 mx.example.org", "QUIT says 221 <greeting>")
t.eq(rc, 0, "QUIT exits 0")

control("smtpgreeting", "gw.example.org ready for you\n")
r = replies(smtp(crlf("HELO x", "QUIT"))[0])
t.eq(r[0], "220 gw.example.org ready for you ESMTP",
     "smtpgreeting replaces me in the greeting")
t.eq(r[1], "250 gw.example.org ready for you", "HELO answers 250 <greeting>")
control("smtpgreeting", None)

control("me", None)
out, rc = smtp(crlf("QUIT"))
t.eq(replies(out), ["421 unable to read controls (#4.3.0)"],
     "without me or smtpgreeting: 421 unable to read controls")
t.ok(rc != 0, "and exits non-zero")
control("me", "mx.example.org\n")

r = replies(smtp(crlf("EHLO c.example", "QUIT"))[0])
t.eq(r[1:6], ["250-mx.example.org", "250-PIPELINING", "250-8BITMIME",
              "250-SIZE", "250 ENHANCEDSTATUSCODES"],
     "EHLO lists PIPELINING 8BITMIME SIZE ENHANCEDSTATUSCODES")
control("databytes", "50000\n")
r = replies(smtp(crlf("EHLO c.example", "QUIT"))[0])
t.eq(r[4], "250-SIZE 50000", "EHLO SIZE shows databytes")
r = replies(smtp(crlf("EHLO c.example", "QUIT"), {"DATABYTES": "777"})[0])
t.eq(r[4], "250-SIZE 777", "DATABYTES overrides databytes")
control("databytes", None)

simple = [
    ("NOOP", "250 ok", "NOOP: 250 ok"),
    ("noop whatever", "250 ok", "noop in lower case with argument"),
    ("VRFY joe", "252 send some mail, i'll try my best", "VRFY: 252"),
    ("RSET", "250 flushed", "RSET: 250 flushed"),
    ("HELP", None, "HELP: 214"),
    ("EXPN list", "502 unimplemented (#5.5.1)", "EXPN unimplemented"),
    ("TURN", "502 unimplemented (#5.5.1)", "TURN unimplemented"),
    ("", "502 unimplemented (#5.5.1)", "empty line unimplemented"),
    ("STARTTLS", "502 unimplemented (#5.5.1)",
     "STARTTLS without control/servercert.pem: 502"),
    ("AUTH PLAIN AGpvZQBzZWNyZXQ=", "502 unimplemented (#5.5.1)",
     "AUTH without checkpassword arguments: 502"),
    ("RCPT TO:<joe@example.org>", "503 MAIL first (#5.5.1)",
     "RCPT before MAIL: 503 MAIL first"),
    ("DATA", "503 MAIL first (#5.5.1)", "DATA before MAIL: 503 MAIL first"),
]
for cmd, want, name in simple:
    r = replies(smtp(crlf(cmd, "QUIT"))[0])
    if want is None:
        t.ok(r[1].startswith("214 "), name)
    else:
        t.eq(r[1], want, name)

r = replies(smtp(crlf("MAIL FROM:<a@b.example>", "DATA", "QUIT"))[0])
t.eq(r[2], "503 RCPT first (#5.5.1)", "DATA without RCPT: 503 RCPT first")
r = replies(smtp(crlf("MAIL FROM:<a@b.example>", "RSET",
                      "RCPT TO:<j@example.org>", "QUIT"))[0])
t.eq(r[3], "503 MAIL first (#5.5.1)", "RSET forgets MAIL")
r = replies(smtp(crlf("MAIL FROM:<a@b.example>", "HELO x",
                      "RCPT TO:<j@example.org>", "QUIT"))[0])
t.eq(r[3], "503 MAIL first (#5.5.1)", "HELO resets the transaction")
r = replies(smtp(crlf("MAIL FROM:<a@b.example>", "EHLO x",
                      "RCPT TO:<j@example.org>", "QUIT"))[0])
t.eq(r[-2], "503 MAIL first (#5.5.1)", "EHLO resets the transaction")
r = replies(smtp(crlf("MAIL FROM", "QUIT"))[0])
t.eq(r[1], "250 ok", "MAIL without a path gives the null sender, as qmail")

# --- a message is queued ---------------------------------------------------
clear_queue()
out, rc = smtp(DIALOG)
r = replies(out)
t.eq(r[1:4], ["250 mx.example.org", "250 ok", "250 ok"],
     "HELO, MAIL, RCPT accepted")
t.eq(r[4], "354 go ahead", "DATA: 354 go ahead")
m = re.match(r"250 ok (\d+) qp (\d+)$", r[5])
t.ok(m is not None, "after the dot: 250 ok <time> qp <pid>")
msgs = queued()
t.eq(len(msgs), 1, "one message queued")
mess, env = msgs[0]
qqrec, rec, body = strip_received(mess)
t.ok(rec is not None, "qmail-queue's and qmail-smtpd's Received lines")
t.eq(body, b"Subject: x\n\nhello\n", "body stored with LF line ends")
if rec:
    t.ok(re.match(rb"Received: from client.example.net \(192.0.2.7\)\n"
                  rb"  by mx.example.org with SMTP; " + DATE + rb"\n$", rec)
         is not None,
         "HELO equal to TCPREMOTEHOST: no (HELO ...) part")
rest, um = env_records(env)
t.ok(um is not None, "envelope starts with u and p records")
if um and m:
    t.eq(um.group(2).decode(), m.group(2), "p record is the qp in the reply")
    t.eq(int(um.group(1)), os.getuid(), "u record is our uid")
t.eq(rest, b"Fa@b.example\0Tjoe@example.org\0",
     "F and T records byte for byte")

clear_queue()
smtp(crlf("HELO Other.Example", "MAIL FROM:<>", "RCPT TO:<joe@example.org>",
          "DATA", "x", ".", "QUIT"),
     {"TCPREMOTEINFO": "alice", "TCPREMOTEHOST": None, "TCPLOCALHOST": None})
mess, env = queued()[0]
_, rec, body = strip_received(mess)
t.ok(rec is not None and re.match(
    rb"Received: from unknown \(HELO Other.Example\) \(alice@192.0.2.7\)\n"
    rb"  by 192.0.2.1 with SMTP; ", rec) is not None,
    "Received: unknown host, (HELO ...), INFO@IP, by TCPLOCALIP")
t.eq(env_records(env)[0], b"F\0Tjoe@example.org\0", "null sender: F record empty")

clear_queue()
smtp(crlf("HELO [1.2.3.4] x(y)", "MAIL FROM:<a@b>", "RCPT TO:<j@example.org>",
          "DATA", "x", ".", "QUIT"),
     {"TCPREMOTEIP": None, "TCPREMOTEHOST": "client.example.net"})
_, rec, _ = strip_received(queued()[0][0])
t.ok(rec is not None and rec.startswith(
    b"Received: from client.example.net (HELO ?1.2.3.4??x?y?) (unknown)\n"),
    "unsafe HELO bytes shown as ?, missing TCPREMOTEIP is unknown")

clear_queue()
r = replies(smtp(crlf("HELO client.example.net", "MAIL FROM:<a@b.example>",
                      "RCPT TO:<j@example.org>", "RCPT TO:<k@x.example.com>",
                      "RCPT TO:<Z@EXAMPLE.ORG>", "DATA", "x", ".",
                      "MAIL FROM:<second@b.example>",
                      "RCPT TO:<m@example.org>", "DATA", "y", ".", "QUIT"))[0])
t.ok(r[7].startswith("250 ok ") and r[11].startswith("250 ok "),
     "two messages in one session")
got = sorted(env_records(e)[0] for _, e in queued())
t.eq(got, sorted([b"Fa@b.example\0Tj@example.org\0Tk@x.example.com\0"
                  b"TZ@EXAMPLE.ORG\0",
                  b"Fsecond@b.example\0Tm@example.org\0"]),
     "each message gets its own envelope; case kept")

# --- transparency ------------------------------------------------------------
clear_queue()
smtp(crlf("MAIL FROM:<a@b>", "RCPT TO:<j@example.org>", "DATA",
          "..", "...x", ".y", "a.b", " .", ".", "QUIT"))
t.eq(strip_received(queued()[0][0])[2], b".\n..x\ny\na.b\n .\n",
     "dot-stuffing undone")
clear_queue()
smtp(crlf("MAIL FROM:<a@b>", "RCPT TO:<j@example.org>", "DATA", ".",
          "QUIT"))
t.eq(strip_received(queued()[0][0])[2], b"", "empty message accepted")
clear_queue()
smtp(crlf("MAIL FROM:<a@b>", "RCPT TO:<j@example.org>", "DATA",
          b"8bit \xe9\xff\x00 nul", "x" * 5000, ".", "QUIT"))
t.eq(strip_received(queued()[0][0])[2],
     b"8bit \xe9\xff\x00 nul\n" + b"x" * 5000 + b"\n",
     "8-bit bytes, NUL and long lines in DATA kept")

# --- addresses ---------------------------------------------------------------
addrs = [
    ("MAIL FROM:<a@b>", b"a@b", "plain <a@b>"),
    ("mail from:<a@b>", b"a@b", "lower-case verb"),
    ("MAIL FROM: <a@b>", b"a@b", "space before <"),
    ("MAIL FROM:a@b", b"a@b", "no brackets"),
    ("MAIL FROM:<@r1,@r2:a@b>", b"a@b", "source route dropped"),
    ('MAIL FROM:<"a b"@c>', b"a b@c", "quotes removed"),
    ("MAIL FROM:<a\\>b@c>", b"a>b@c", "backslash escapes"),
    ("MAIL FROM:<a@b> BODY=8BITMIME", b"a@b", "BODY parameter ignored"),
    ("MAIL FROM:<a@b> SIZE=100", b"a@b", "SIZE under no limit"),
]
for cmd, want, name in addrs:
    clear_queue()
    r = replies(smtp(crlf(cmd, "RCPT TO:<j@example.org>", "DATA", "x", ".",
                          "QUIT"))[0])
    q = queued()
    t.eq(env_records(q[0][1])[0] if q else None,
         b"F" + want + b"\0Tj@example.org\0", "MAIL " + name)

r = replies(smtp(crlf("MAIL FROM:<" + "a" * 900 + "@b>", "QUIT"))[0])
t.eq(r[1], "555 syntax error (#5.5.4)", "address over 899 bytes: 555")
r = replies(smtp(crlf("MAIL FROM:<" + "a" * 897 + "@b>", "QUIT"))[0])
t.eq(r[1], "250 ok", "address of 899 bytes accepted")

# --- rcpthosts, morercpthosts, RELAYCLIENT -----------------------------------
rc_cases = [
    ("joe@example.org", True, "exact rcpthosts entry"),
    ("joe@EXAMPLE.Org", True, "rcpthosts is case-insensitive"),
    ("joe@a.example.com", True, ".suffix entry matches a subdomain"),
    ("joe@a.b.example.com", True, ".suffix entry matches deeper"),
    ("joe@example.com", False, ".suffix entry does not match itself"),
    ("joe@badexample.org", False, "no partial match"),
    ("joe@evil.net", False, "foreign domain refused"),
    ("joe", True, "address without @ always allowed"),
    ("joe%evil.net@example.org", True, "percent in local part: our domain"),
    ("evil.net!joe@example.org", True, "bang in local part: our domain"),
    ("joe@evil.net@example.org", True, "last @ decides"),
    ("joe@example.org@evil.net", False, "last @ decides (refused)"),
    ("@example.org:joe@evil.net", False, "source route to foreign refused"),
    ("joe@example.org.", False, "trailing dot is another domain"),
]
for addr, ok, name in rc_cases:
    r = replies(smtp(crlf("MAIL FROM:<a@b>", "RCPT TO:<%s>" % addr,
                          "QUIT"))[0])
    t.eq(r[2], "250 ok" if ok else
         "553 sorry, that domain isn't in my list of allowed rcpthosts "
         "(#5.7.1)", "rcpthosts: " + name)

control("rcpthosts", None)
r = replies(smtp(crlf("MAIL FROM:<a@b>", "RCPT TO:<joe@evil.net>",
                      "QUIT"))[0])
t.eq(r[2], "250 ok", "without rcpthosts every domain is allowed")
control("rcpthosts", "example.org\n")

clear_queue()
r = replies(smtp(crlf("MAIL FROM:<a@b>", "RCPT TO:<joe@evil.net>",
                      "DATA", "x", ".", "QUIT"),
                 {"RELAYCLIENT": ""})[0])
t.eq(r[2], "250 ok", "RELAYCLIENT set: relaying allowed")
t.eq(env_records(queued()[0][1])[0], b"Fa@b\0Tjoe@evil.net\0",
     "empty RELAYCLIENT appends nothing")
clear_queue()
smtp(crlf("MAIL FROM:<a@b>", "RCPT TO:<joe@evil.net>", "DATA", "x", ".",
          "QUIT"), {"RELAYCLIENT": "@fixme"})
t.eq(env_records(queued()[0][1])[0], b"Fa@b\0Tjoe@evil.net@fixme\0",
     "RELAYCLIENT's value appended to each recipient")

control("morercpthosts", "More.Example\n.deep.example\n")
mrh = subprocess.run([os.path.join(QBIN, "qmail-newmrh")])
t.eq(mrh.returncode, 0, "qmail-newmrh builds morercpthosts.cdb")
for addr, ok, name in [("j@more.example", True, "exact entry"),
                       ("j@MORE.EXAMPLE", True, "case-insensitive"),
                       ("j@x.deep.example", True, ".suffix entry"),
                       ("j@deep.example", False, ".suffix not itself"),
                       ("j@example.org", True, "rcpthosts still works"),
                       ("j@other.example", False, "unlisted refused")]:
    r = replies(smtp(crlf("MAIL FROM:<a@b>", "RCPT TO:<%s>" % addr,
                          "QUIT"))[0])
    t.eq(r[2][:3], "250" if ok else "553", "morercpthosts.cdb: " + name)
control("rcpthosts", None)
r = replies(smtp(crlf("MAIL FROM:<a@b>", "RCPT TO:<j@other.example>",
                      "QUIT"))[0])
t.eq(r[2], "250 ok", "morercpthosts unused without rcpthosts")
control("rcpthosts", "example.org\n")
with open(os.path.join(QHOME, "control", "morercpthosts.cdb"), "wb") as f:
    f.write(b"junk")
r = replies(smtp(crlf("QUIT"))[0])
t.eq(r[0], "421 unable to read controls (#4.3.0)",
     "corrupt morercpthosts.cdb: 421")
os.unlink(os.path.join(QHOME, "control", "morercpthosts.cdb"))

# --- localiphost and domain literals -----------------------------------------
control("rcpthosts", "example.org\nmx.example.org\n")
clear_queue()
r = replies(smtp(crlf("MAIL FROM:<a@b>", "RCPT TO:<joe@[127.0.0.1]>",
                      "DATA", "x", ".", "QUIT"))[0])
t.eq(r[2], "250 ok", "domain literal of our address becomes me (allowed)")
t.eq(env_records(queued()[0][1])[0], b"Fa@b\0Tjoe@mx.example.org\0",
     "...and me is put in its place")
control("rcpthosts", "example.org\nlocal.example\n")
control("localiphost", "local.example\n")
clear_queue()
smtp(crlf("MAIL FROM:<a@[127.0.0.1]>", "RCPT TO:<joe@[IPv6:::1]>",
          "DATA", "x", ".", "QUIT"))
t.eq(env_records(queued()[0][1])[0],
     b"Fa@local.example\0Tjoe@local.example\0",
     "localiphost replaces [IPv4] and [IPv6:] literals of ours")
r = replies(smtp(crlf("MAIL FROM:<a@b>", "RCPT TO:<joe@[192.0.2.99]>",
                      "QUIT"))[0])
t.eq(r[2][:3], "553", "literal of a foreign address is not ours")
control("localiphost", None)
control("rcpthosts", "example.org\n")

# --- badmailfrom -------------------------------------------------------------
control("badmailfrom", "spammer@bad.example\n@worse.example\n")
for sender, bad, name in [("spammer@bad.example", True, "listed address"),
                          ("SPAMMER@Bad.Example", True, "case-insensitive"),
                          ("other@bad.example", False, "other user"),
                          ("any@worse.example", True, "@domain entry"),
                          ("x@sub.worse.example", False, "no subdomains"),
                          ("", False, "null sender")]:
    r = replies(smtp(crlf("MAIL FROM:<%s>" % sender,
                          "RCPT TO:<j@example.org>", "QUIT"))[0])
    t.eq(r[1], "250 ok", "badmailfrom: MAIL itself accepted (" + name + ")")
    t.eq(r[2], "553 sorry, your envelope sender is in my badmailfrom list "
         "(#5.7.1)" if bad else "250 ok", "badmailfrom at RCPT: " + name)
control("badmailfrom", None)

# --- databytes ---------------------------------------------------------------
control("databytes", "20\n")
r = replies(smtp(crlf("MAIL FROM:<a@b> SIZE=21", "QUIT"))[0])
t.eq(r[1], "552 sorry, that message size exceeds my databytes limit "
     "(#5.3.4)", "MAIL SIZE over databytes refused at MAIL")
r = replies(smtp(crlf("MAIL FROM:<a@b> size=20", "QUIT"))[0])
t.eq(r[1], "250 ok", "MAIL SIZE equal to databytes accepted")
clear_queue()
r = replies(smtp(crlf("MAIL FROM:<a@b>", "RCPT TO:<j@example.org>", "DATA",
                      "x" * 19, ".", "QUIT"))[0])
t.ok(r[4].startswith("250 ok "), "message of exactly databytes accepted")
clear_queue()
r = replies(smtp(crlf("MAIL FROM:<a@b>", "RCPT TO:<j@example.org>", "DATA",
                      "x" * 20, ".", "NOOP", "QUIT"))[0])
t.eq(r[4], "552 sorry, that message size exceeds my databytes limit "
     "(#5.3.4)", "one byte over databytes: 552")
t.eq(r[5], "250 ok", "session goes on after 552")
t.eq(queued(), [], "nothing queued after 552")
r = replies(smtp(crlf("MAIL FROM:<a@b>", "RCPT TO:<j@example.org>", "DATA",
                      "x" * 30, ".", "QUIT"), {"DATABYTES": "0"})[0])
t.ok(r[4].startswith("250 ok "), "DATABYTES=0 lifts the limit")
control("databytes", None)

# --- maxrcpt -----------------------------------------------------------------
control("maxrcpt", "3\n")
clear_queue()
cmds = ["MAIL FROM:<a@b>"] + ["RCPT TO:<r%d@example.org>" % i
                             for i in range(5)] + ["DATA", "x", ".", "QUIT"]
r = replies(smtp(crlf(*cmds))[0])
t.eq(r[2:7], ["250 ok"] * 3 + ["452 too many recipients (#4.5.3)"] * 2,
     "maxrcpt: recipients past the limit get 452")
t.eq(env_records(queued()[0][1])[0],
     b"Fa@b\0Tr0@example.org\0Tr1@example.org\0Tr2@example.org\0",
     "maxrcpt: the first recipients are queued")
control("maxrcpt", None)

# --- hops --------------------------------------------------------------------
clear_queue()
hdr = ["Received: x"] * 50 + ["delivered-to: y"] * 49
r = replies(smtp(crlf("MAIL FROM:<a@b>", "RCPT TO:<j@example.org>", "DATA",
                      *hdr, "", "b", ".", "QUIT"))[0])
t.ok(r[4].startswith("250 ok"), "99 Received/Delivered-To lines accepted")
hdr = ["Received: x"] * 50 + ["DELIVERED-TO: y"] * 50
clear_queue()
r = replies(smtp(crlf("MAIL FROM:<a@b>", "RCPT TO:<j@example.org>", "DATA",
                      *hdr, "", "b", ".", "QUIT"))[0])
t.eq(r[4], "554 too many hops, this message is looping (#5.4.6)",
     "100 Received/Delivered-To lines: 554 looping")
t.eq(queued(), [], "looping message not queued")
r = replies(smtp(crlf("MAIL FROM:<a@b>", "RCPT TO:<j@example.org>", "DATA",
                      "Subject: x", "", *(["Received: x"] * 120), ".",
                      "QUIT"))[0])
t.ok(r[4].startswith("250 ok"), "Received lines in the body do not count")

# --- QMAILQUEUE and qmail-queue failures ------------------------------------
fake = os.path.join(QHOME, "fakeqq")
for code, want in [(53, "451 qq write error or disk full (#4.3.0)"),
                   (31, "554 mail server permanently rejected message "
                    "(#5.3.0)"),
                   (11, "554 envelope address too long for qq (#5.1.3)"),
                   (71, "451 mail server temporarily rejected message "
                    "(#4.3.0)"),
                   (99, "451 qq temporary problem (#4.3.0)")]:
    with open(fake, "w") as f:
        f.write("#!/bin/sh\ncat >/dev/null; cat <&1 >/dev/null; exit %d\n"
                % code)
    os.chmod(fake, 0o755)
    r = replies(smtp(crlf("MAIL FROM:<a@b>", "RCPT TO:<j@example.org>",
                          "DATA", "x", ".", "QUIT"), {"QMAILQUEUE": fake})[0])
    t.eq(r[4], want, "qmail-queue exit %d: %s" % (code, want[:3]))
cap = os.path.join(QHOME, "captured")
with open(fake, "w") as f:
    f.write("#!/bin/sh\ncat > %s.msg; cat <&1 > %s.env; exit 0\n"
            % (cap, cap))
r = replies(smtp(crlf("MAIL FROM:<a@b>", "RCPT TO:<j@example.org>", "DATA",
                      "x", ".", "QUIT"), {"QMAILQUEUE": fake})[0])
t.ok(r[4].startswith("250 ok"), "QMAILQUEUE program is used")
with open(cap + ".env", "rb") as f:
    t.eq(f.read(), envelope(b"a@b", [b"j@example.org"]),
         "QMAILQUEUE gets the envelope on fd 1")
r = replies(smtp(crlf("MAIL FROM:<a@b>", "RCPT TO:<j@example.org>", "DATA",
                      "RCPT TO:<j@example.org>", "QUIT"),
                 {"QMAILQUEUE": "/nonexistent/qq"})[0])
t.eq(r[3], "451 qqt failure (#4.3.0)", "qmail-queue cannot start: 451 qqt")
t.eq(r[4], "503 MAIL first (#5.5.1)", "...and the transaction is over")

# --- SMTP AUTH over pipes (SMTPAUTH_PLAINTEXT) -------------------------------
# A checkpassword program in the interface's terms: it reads
# "user\0password\0timestamp\0" on descriptor 3; joe/secret is good (it
# then runs its subprogram), "temp" fails temporarily, "slow" sleeps,
# anything else is a wrong password.  It records what it read.
fresh()
CHKPW = os.path.join(QHOME, "checkpw")
CHKLOG = os.path.join(QHOME, "checkpw.log")
write_checkpassword(CHKPW, CHKLOG)
AUTHARGS = ["mx.example.org", CHKPW, "/bin/true"]
PLAINENV = {"SMTPAUTH_PLAINTEXT": ""}


def b64(x):
    import base64
    return base64.b64encode(x).decode()


def asmtp(data, env=None, args=AUTHARGS, timeout=60):
    e = dict(BASE_ENV)
    e.update(env if env is not None else PLAINENV)
    p = subprocess.run([SMTPD] + args, input=data, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, env=e, timeout=timeout)
    return replies(p.stdout), p.stderr.decode(errors="replace")


def checklog():
    try:
        with open(CHKLOG) as f:
            return f.read()
    except FileNotFoundError:
        return ""


r, _ = asmtp(crlf("EHLO c.example", "QUIT"))
t.ok("250-AUTH LOGIN PLAIN" in r, "AUTH offered with checkpassword arguments "
     "and SMTPAUTH_PLAINTEXT")
r, _ = asmtp(crlf("EHLO c.example", "AUTH PLAIN " + b64(b"\0joe\0secret"),
                  "QUIT"), env={})
t.ok(not any(x.startswith("250-AUTH") for x in r),
     "AUTH not offered in plain text by default")
t.eq(r[-2], "538 encryption required for requested authentication "
     "mechanism (#5.7.11)", "AUTH in plain text by default: 538")
t.eq(checklog(), "", "...and the checkpassword program is not run")

r, err = asmtp(crlf("EHLO c.example", "AUTH PLAIN " + b64(b"\0joe\0secret"),
                    "QUIT"))
t.eq(r[-2], "235 ok, go ahead (#2.7.0)", "AUTH PLAIN, initial response: 235")
t.ok("secret" not in err and "auth: accepted joe from 192.0.2.7" in err,
     "success logged with user and IP, never the password")
log = checklog()
t.ok("(b'joe\\x00secret\\x00\\x00', b'', ['/bin/true'])" in log,
     "checkpassword gets user NUL password NUL timestamp NUL on fd 3, "
     "/dev/null on fd 0, the subprogram as arguments")
r, _ = asmtp(crlf("EHLO c.example", "AUTH PLAIN",
                  b64(b"joe\0joe\0secret"), "QUIT"))
t.eq(r[-3:-1], ["334 ", "235 ok, go ahead (#2.7.0)"],
     "AUTH PLAIN with a 334 continuation (authzid = authcid)")
r, _ = asmtp(crlf("EHLO c.example", "AUTH PLAIN",
                  b64(b"ann\0joe\0secret"), "QUIT"))
t.eq(r[-2], "535 authentication failed (#5.7.8)",
     "AUTH PLAIN for another authzid: 535")
r, _ = asmtp(crlf("EHLO c.example", "auth login", b64(b"joe"), b64(b"secret"),
                  "QUIT"))
t.eq(r[-4:-1], ["334 VXNlcm5hbWU6", "334 UGFzc3dvcmQ6",
                "235 ok, go ahead (#2.7.0)"],
     "AUTH LOGIN: Username:, Password:, 235")
r, _ = asmtp(crlf("EHLO c.example", "AUTH LOGIN " + b64(b"joe"),
                  b64(b"secret"), "QUIT"))
t.eq(r[-3:-1], ["334 UGFzc3dvcmQ6", "235 ok, go ahead (#2.7.0)"],
     "AUTH LOGIN with the user name as initial response")
r, err = asmtp(crlf("EHLO c.example", "AUTH PLAIN " + b64(b"\0joe\0wrong"),
                    "QUIT"))
t.eq(r[-2], "535 authentication failed (#5.7.8)", "wrong password: 535")
t.ok("auth: refused joe from 192.0.2.7" in err and "wrong" not in err,
     "refusal logged without the password")
r, _ = asmtp(crlf("EHLO c.example", "AUTH PLAIN " + b64(b"\0temp\0x"),
                  "QUIT"))
t.eq(r[-2], "454 temporary authentication failure (#4.7.0)",
     "checkpassword exit 111: 454")
r, _ = asmtp(crlf("EHLO c.example", "AUTH PLAIN " + b64(b"\0joe\0secret"),
                  "QUIT"), args=["mx", "/nonexistent/checkpw", "/bin/true"])
t.eq(r[-2], "454 temporary authentication failure (#4.7.0)",
     "checkpassword program missing: 454")
control("timeoutsmtpd", "2\n")
t0 = time.time()
r, err = asmtp(crlf("EHLO c.example", "AUTH PLAIN " + b64(b"\0slow\0x"),
                    "QUIT"))
t.ok(r[-2] == "454 temporary authentication failure (#4.7.0)" and
     time.time() - t0 < 20 and "did not finish in time" in err,
     "checkpassword that hangs is killed: 454")
control("timeoutsmtpd", None)
r, _ = asmtp(crlf("EHLO c.example", "AUTH LOGIN", "*", "NOOP", "QUIT"))
t.eq(r[-4:-1], ["334 VXNlcm5hbWU6", "501 auth exchange cancelled (#5.0.0)",
                "250 ok"], "'*' cancels with 501, the session goes on")
r, _ = asmtp(crlf("EHLO c.example", "AUTH PLAIN", "*", "QUIT"))
t.eq(r[-2], "501 auth exchange cancelled (#5.0.0)", "'*' cancels PLAIN too")
for bad, name in [("AGpvZQBzZWNyZXQ", "missing padding"),
                  ("AGpvZQBzZW!yZXQ=", "bad character"),
                  ("AGpv ZQBzZWNyZXQ=", "space inside"),
                  (b64(b"joe\0secret"), "one NUL only"),
                  (b64(b"\0joe\0"), "empty password"),
                  (b64(b"\0\0secret"), "empty user"),
                  (b64(b"\0joe\0sec\0ret"), "a third NUL"),
                  ("QUFB" * 400, "decodes to over 1024 bytes")]:
    r, _ = asmtp(crlf("EHLO c.example", "AUTH PLAIN " + bad, "QUIT"))
    t.eq(r[-2], "501 malformed auth input (#5.5.2)", "AUTH PLAIN: " + name +
         ": 501")
r, _ = asmtp(crlf("EHLO c.example", "AUTH LOGIN", "@@@@", "QUIT"))
t.eq(r[-2], "501 malformed auth input (#5.5.2)", "AUTH LOGIN: bad base64: 501")
r, _ = asmtp(crlf("EHLO c.example", "AUTH CRAM-MD5", "AUTH", "QUIT"))
t.eq(r[-3:-1], ["504 auth type unimplemented (#5.5.4)",
                "501 auth type missing (#5.5.4)"],
     "unknown mechanism: 504; none: 501")
r, _ = asmtp(crlf("EHLO c.example", "AUTH PLAIN " + b64(b"\0joe\0secret"),
                  "AUTH PLAIN " + b64(b"\0joe\0secret"), "QUIT"))
t.eq(r[-2], "503 you're already authenticated (#5.5.1)", "AUTH twice: 503")
r, _ = asmtp(crlf("EHLO c.example", "MAIL FROM:<a@b>",
                  "AUTH PLAIN " + b64(b"\0joe\0secret"), "QUIT"))
t.eq(r[-2], "503 no auth during mail transaction (#5.5.1)",
     "AUTH during a mail transaction: 503")

r, _ = asmtp(crlf("EHLO c.example", "MAIL FROM:<a@b>",
                  "RCPT TO:<x@elsewhere.example>", "QUIT"))
t.eq(r[-2][:3], "553", "without AUTH relaying is refused")
clear_queue()
r, _ = asmtp(crlf("EHLO c.example", "AUTH PLAIN " + b64(b"\0joe\0secret"),
                  "MAIL FROM:<joe@example.org>",
                  "RCPT TO:<x@elsewhere.example>", "DATA", "hi", ".",
                  "QUIT"))
t.eq(r[-5:-2], ["250 ok", "250 ok", "354 go ahead"],
     "after AUTH relaying is allowed")
q = queued()
t.eq(env_records(q[0][1])[0] if q else None,
     b"Fjoe@example.org\0Tx@elsewhere.example\0",
     "...and the relayed message is queued")
if q:
    _, rec, _ = strip_received(q[0][0])
    t.ok(rec is not None and re.match(
        rb"Received: from client.example.net \(HELO c.example\) "
        rb"\(192.0.2.7\)\n  by mx.example.org with ESMTPA \(auth joe\); ",
        rec) is not None, "Received says ESMTPA (auth joe)")
r, _ = asmtp(crlf("EHLO c.example", "MAIL FROM:<a@b>", "QUIT"),
             env={"SMTPAUTH_PLAINTEXT": "", "SMTPAUTH_REQUIRED": ""})
t.eq(r[-2], "530 authentication required (#5.7.0)",
     "SMTPAUTH_REQUIRED: MAIL before AUTH gets 530")
r, _ = asmtp(crlf("EHLO c.example", "AUTH PLAIN " + b64(b"\0joe\0secret"),
                  "MAIL FROM:<a@b>", "QUIT"),
             env={"SMTPAUTH_PLAINTEXT": "", "SMTPAUTH_REQUIRED": ""})
t.eq(r[-2], "250 ok", "SMTPAUTH_REQUIRED: MAIL after AUTH is accepted")
r, err = asmtp(crlf("QUIT"), args=["mx", CHKPW])
t.eq(r, ["421 qmail-smtpd is misconfigured (#4.3.0)"],
     "two arguments (no subprogram): 421, not a silent AUTH-less server")
r, _ = asmtp(crlf("EHLO c.example", "QUIT"), env={"TLS": "1"}, args=[])
t.ok("250-STARTTLS" not in r and r[0].startswith("220 "),
     "TLS=1 (behind qmail-tlsd): greeting, no STARTTLS")
r, _ = asmtp(crlf("EHLO c.example", "QUIT"),
             env={"TLS": "1", "TLS_STARTTLS": "1"}, args=[])
t.eq(r[0], "250-mx.example.org", "TLS_STARTTLS=1: no second greeting")
r, _ = asmtp(crlf("EHLO c.example", "QUIT"), env={"TLS_STARTTLS": "1"},
             args=[])
t.ok(r[0].startswith("220 "), "TLS_STARTTLS without TLS=1 is ignored")

# --- timeoutsmtpd ------------------------------------------------------------
control("timeoutsmtpd", "1\n")
p = subprocess.Popen([SMTPD], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                     env=BASE_ENV)
p.stdin.write(b"NOOP\r\n")
p.stdin.flush()
out = p.stdout.read()
p.wait()
p.stdin.close()
t.eq(replies(out)[-1], "451 timeout (#4.4.2)",
     "idle client past timeoutsmtpd: 451 timeout")
control("timeoutsmtpd", None)

t.done()
