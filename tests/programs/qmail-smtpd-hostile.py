#!/usr/bin/env python3
"""Hostile input against qmail-smtpd: SMTP smuggling, overlong lines, NUL
bytes, floods, odd addresses, slow clients and multi-gigabyte DATA, with
qmail-smtpd's peak memory measured."""
import os
import shutil
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from tap import Tap, QHOME, QBIN, instance_reset  # noqa: E402
from queuetest import clear_queue, committed, control, strip_uid_pid  # noqa

t = Tap()
SMTPD = os.path.join(QBIN, "qmail-smtpd")
Q = os.path.join(QHOME, "queue")
ENV = {"PATH": "/usr/bin:/bin", "TCPREMOTEIP": "192.0.2.7",
       "TCPREMOTEHOST": "client.example.net", "TCPLOCALHOST": "mx.example.org"}
BARELF = "451 See http://pobox.com/~djb/docs/smtplf.html."
NOGW = "553 sorry, that domain isn't in my list of allowed rcpthosts (#5.7.1)"
SIZE = "552 sorry, that message size exceeds my databytes limit (#5.3.4)"
with open(SMTPD, "rb") as f:
    _image = f.read()
    SANITIZED = b"__asan_init" in _image or b"AddressSanitizer" in _image
# Peak resident memory allowed, whatever the input (ASan's shadow memory
# needs far more, but it too must not grow with the input).
RSS_BOUND_KB = 400 * 1024 if SANITIZED else 8 * 1024


def crlf(*lines):
    return b"".join((x.encode() if isinstance(x, str) else x) + b"\r\n"
                    for x in lines)


def peak_rss(pid, box, done):
    """Sample qmail-smtpd's VmHWM (its own peak RSS since exec) until it
    ends; box[0] keeps the largest value seen, in KiB."""
    while not done.is_set():
        try:
            with open("/proc/%d/status" % pid) as f:
                for ln in f:
                    if ln.startswith("VmHWM:"):
                        box[0] = max(box[0], int(ln.split()[1]))
        except OSError:
            return
        done.wait(0.005)


def run(chunks, env=None, pace=0.0):
    """Feed chunks (bytes or an iterable of bytes) to qmail-smtpd from a
    thread while reading its replies.  Returns (replies, exit code, peak
    RSS in KiB as sampled from /proc)."""
    e = dict(ENV)
    e.update(env or {})
    p = subprocess.Popen([SMTPD], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, env=e)
    if isinstance(chunks, bytes):
        chunks = [chunks]

    def writer():
        try:
            for c in chunks:
                p.stdin.write(c)
                if pace:
                    p.stdin.flush()
                    time.sleep(pace)
            p.stdin.close()
        except (BrokenPipeError, OSError):
            pass
    box, done = [0], threading.Event()
    sampler = threading.Thread(target=peak_rss, args=(p.pid, box, done))
    sampler.start()
    w = threading.Thread(target=writer)
    w.start()
    out = p.stdout.read()
    done.set()
    sampler.join()
    p.wait()
    w.join()
    return out.decode("latin-1").split("\r\n")[:-1], p.returncode, box[0]


def queued():
    """[(body after qmail-smtpd's Received, envelope)] of the queue."""
    return [(m.split(b"with SMTP; ", 1)[-1].split(b"\n", 1)[-1],
             strip_uid_pid(e)) for _, m, e in committed()]


instance_reset()
control("me", "mx.example.org\n")
control("rcpthosts", "example.org\n")
START = crlf("HELO c", "MAIL FROM:<a@b.example>", "RCPT TO:<j@example.org>",
             "DATA")
# replies before the body: 220, HELO, MAIL, RCPT, 354
PRE = 5

# --- SMTP smuggling: only CR LF . CR LF ends the data -----------------------
smuggle = [
    (b"x\n.\nMAIL FROM:<evil@x>\r\n", "bare LF . bare LF"),
    (b"x\r\n.\nMAIL FROM:<evil@x>\r\n", "CRLF . bare LF"),
    (b"x\n.\r\nMAIL FROM:<evil@x>\r\n", "bare LF . CRLF"),
    (b"x\r.\r\nMAIL FROM:<evil@x>\r\n", "bare CR . CRLF"),
    (b"x\r\n.\rMAIL FROM:<evil@x>\r\n", "CRLF . bare CR"),
    (b"x\r\n.\r\r\nMAIL FROM:<evil@x>\r\n", "CRLF . CR CRLF"),
    (b"x\r.\rMAIL FROM:<evil@x>\r\n", "bare CR . bare CR"),
    (b"x\n\r\n.\r\nMAIL FROM:<evil@x>\r\n", "LF CRLF . CRLF"),
    (b"x\r\r\n.\r\nMAIL FROM:<evil@x>\r\n", "CR CRLF . CRLF"),
    (b"x\r\n\n.\r\nMAIL FROM:<evil@x>\r\n", "CRLF LF . CRLF"),
    (b".\n", "bare LF . as first line"),
    (b"mid\nline\r\n.\r\n", "bare LF inside a line"),
    (b"mid\rline\r\n.\r\n", "bare CR inside a line"),
    (b"x\r\n\r\r\n.\r\n", "lone CR on a line"),
    (b"x\r\n.\n\r\n.\r\n", "dot bare LF then a real end"),
]
for body, name in smuggle:
    clear_queue()
    r, rc, _ = run(START + body + crlf("RCPT TO:<k@example.org>", "DATA",
                                       "smuggled", ".", "QUIT"))
    t.eq(r[PRE:], [BARELF], "smuggling refused: " + name)
    t.eq(queued(), [], "nothing queued: " + name)

clear_queue()
r, rc, _ = run(START + crlf("x", ".", "MAIL FROM:<two@x>",
                            "RCPT TO:<k@example.org>", "DATA", "y", ".",
                            "QUIT"))
t.ok(r[5].startswith("250 ok") and r[9].startswith("250 ok"),
     "proper end followed by pipelined MAIL: two messages")
t.eq(sorted(queued()), sorted([(b"x\n", b"Fa@b.example\0Tj@example.org\0"),
                               (b"y\n", b"Ftwo@x\0Tk@example.org\0")]),
     "each message holds only its own data")
clear_queue()
r, rc, _ = run(START + crlf(". ", ".\0", "..", ".", "QUIT"))
t.eq(queued(), [(b" \n\0\n.\n", b"Fa@b.example\0Tj@example.org\0")],
     "'. ', '.NUL', '..' are data lines with the dot removed")
clear_queue()
r, rc, _ = run([START, b"x\r", b"\n.", b"\r", b"\n", crlf("QUIT")], pace=0.02)
t.ok(r[5].startswith("250 ok"), "end of data split over several writes")
r, rc, _ = run(START + crlf("RSET", "QUIT", "."), {})
clear_queue()
r, rc, _ = run(START + crlf("RSET", "QUIT", ".", "QUIT"))
t.eq(len(r), 7, "commands sent after DATA before 354 are message data")

# --- command line discipline -------------------------------------------------
r, rc, _ = run(b"NOOP\n" + crlf("NOOP"))
t.eq(r[1:], [BARELF], "bare LF ending a command: 451 and drop")
t.ok(rc != 0, "...with a non-zero exit")
r, rc, _ = run(b"NOOP\rNOOP\r\n")
t.eq(r[1:], [BARELF], "bare CR inside a command: 451")
r, rc, _ = run(b"NOOP\r\r\n")
t.eq(r[1:], [BARELF], "CR CR LF ending a command: 451")
r, rc, _ = run(crlf("NOOP " + "x" * 2041, "QUIT"))
t.eq(r[1], "250 ok", "command of 2048 bytes with CRLF accepted")
r, rc, _ = run(crlf("NOOP " + "x" * 2042, "NOOP", "QUIT"))
t.eq(r[1:3], ["500 line too long (#5.5.2)", "250 ok"],
     "2049 bytes: 500, and the next command is read properly")
r, rc, _ = run(crlf("MAIL FROM:<" + "a" * 1000000 + "@b>", "NOOP", "QUIT"))
t.eq(r[1:3], ["500 line too long (#5.5.2)", "250 ok"],
     "1 MB command: 500 without desynchronising")
r, rc, _ = run(crlf(*(["x" * 5000] * 100), "QUIT"))
t.eq(r[1:101], ["500 line too long (#5.5.2)"] * 100,
     "100 overlong lines: 100 replies of 500")
r, rc, rss = run(iter([b"A" * 1048576] * 200))
t.eq(r[1:], [], "200 MB without a line end then EOF: no reply, dropped")
t.ok(rss < RSS_BOUND_KB, "...in bounded memory (%d KiB)" % rss)
r, rc, _ = run(b"x" * 5000 + b"\n" + crlf("NOOP"))
t.eq(r[1:], [BARELF], "overlong line ending in bare LF: 451")
r, rc, _ = run(b"NOOP\r\n\r\n" + crlf("QUIT"))
t.eq(r[1:3], ["250 ok", "502 unimplemented (#5.5.1)"],
     "empty command line: 502")
r, rc, _ = run(crlf(" NOOP", "NOOP\tx", "QuIt"))
t.eq(r[1:], ["502 unimplemented (#5.5.1)"] * 2 + ["221 mx.example.org"],
     "leading space and tab-joined verbs unknown; verbs ignore case")
r, rc, _ = run(b"NOOP", {})
t.eq(r[1:], [], "EOF inside a command: no reply")

# --- NUL bytes -----------------------------------------------------------------
r, rc, _ = run(crlf(b"NOOP\0x", b"\0\0\0", "QUIT"))
t.eq(r[1:3], ["502 unimplemented (#5.5.1)"] * 2,
     "NUL in a verb: unknown command")
r, rc, _ = run(crlf(b"MAIL FROM:<a\0b@c>", "QUIT"))
t.eq(r[1], "555 syntax error (#5.5.4)", "NUL in MAIL address: 555")
r, rc, _ = run(crlf("MAIL FROM:<a@b>", b"RCPT TO:<j\0@example.org>", "QUIT"))
t.eq(r[2], "555 syntax error (#5.5.4)", "NUL in RCPT address: 555")
r, rc, _ = run(crlf(b"NOOP \0", "QUIT"))
t.eq(r[1], "250 ok", "NUL in an argument that is ignored")
clear_queue()
run(crlf(b"HELO a\0b", "MAIL FROM:<a@b>", "RCPT TO:<j@example.org>", "DATA",
         "x", ".", "QUIT"))
mess = b""
for dp, _, files in os.walk(os.path.join(Q, "mess")):
    for f in files:
        mess = open(os.path.join(dp, f), "rb").read()
t.ok(b"(HELO a?b)" in mess, "NUL in HELO shown as ? in Received")

# --- addresses ------------------------------------------------------------------
def rcpt(addr):
    r, _, _ = run(crlf("MAIL FROM:<a@b>", b"RCPT TO:" + addr, "QUIT"))
    return r[2]


for addr, want, name in [
        (b'<"j@example.org>', NOGW, "unbalanced quote"),
        (b'<"j@evil.net"@example.org>', "250 ok", "quoted @ then ours"),
        (b'<"j"@evil.net>', NOGW, "quoted local part, foreign"),
        (b"<j%evil.net@example.org>", "250 ok", "percent hack to ours"),
        (b"<j@evil.net%example.org>", NOGW, "percent in domain"),
        (b"<evil.net!j@example.org>", "250 ok", "bang path to ours"),
        (b"<example.org!j@evil.net>", NOGW, "bang path to foreign"),
        (b"<@example.org:j@evil.net>", NOGW, "source route to foreign"),
        (b"<@example.org,@x.example.org:j@example.org>", "250 ok",
         "source route to ours"),
        (b"<j@example.org.>", NOGW, "trailing dot"),
        (b"<j@example.org..>", NOGW, "two trailing dots"),
        (b"<j@.example.org>", NOGW, "leading dot in domain"),
        (b"<j\xe9@example.org>", "250 ok", "8-bit local part"),
        (b"<j@ex\xe9mple.org>", NOGW, "8-bit domain"),
        (b"<j@example.org\\>", NOGW, "backslash before >"),
        (b"<@@@@@>", "250 ok", "only @ signs: empty address after route"),
        (b"<j@[127.0.0.1>", NOGW, "unterminated literal"),
        (b"<j@[999.1.1.1]>", NOGW, "bad IPv4 literal"),
        (b"<j@[IPv6:zz]>", NOGW, "bad IPv6 literal"),
        (b"<j@[]>", NOGW, "empty literal"),
        (b"<" + b"j" * 1000 + b"@example.org>", "555 syntax error (#5.5.4)",
         "address over 899 bytes"),
        (b"<j@example.org> <k@evil.net>", "250 ok", "two paths: first wins"),
        (b"j@example.org", "250 ok", "no angle brackets"),
]:
    t.eq(rcpt(addr), want, "address: " + name)
clear_queue()
run(crlf("MAIL FROM:<a@b>", b"RCPT TO:<j\xe9%x!y@example.org>", "DATA", "x",
         ".", "QUIT"))
t.eq(queued(), [(b"x\n", b"Fa@b\0Tj\xe9%x!y@example.org\0")],
     "8-bit, % and ! kept byte for byte in the T record")

# --- floods and limits ----------------------------------------------------------
clear_queue()
rcpts = b"".join(b"RCPT TO:<r%d@example.org>\r\n" % i for i in range(100000))
t0 = time.time()
r, rc, rss = run([crlf("MAIL FROM:<a@b>"), rcpts,
                  crlf("DATA", "x", ".", "QUIT")])
t.eq(r[2:1002], ["250 ok"] * 1000, "100,000 RCPTs: first 1000 accepted")
t.eq(set(r[1002:100002]), {"452 too many recipients (#4.5.3)"},
     "...the other 99,000 get 452")
t.ok(r[100003].startswith("250 ok"), "...and the message is queued")
q = queued()
t.eq(q[0][1].count(b"\0T") if q else 0, 1000, "...to 1000 recipients")
t.ok(rss < RSS_BOUND_KB, "100,000 RCPTs in bounded memory (%d KiB)" % rss)
r, rc, rss = run([crlf(*(["NOOP"] * 200000)), crlf("QUIT")])
t.eq(len(r), 200002, "200,000 pipelined NOOPs all answered")
t.ok(rss < RSS_BOUND_KB, "...in bounded memory (%d KiB)" % rss)
r, rc, _ = run(crlf(*(["RSET", "VRFY x", "HELO h", "EHLO h"] * 5000), "QUIT"))
t.eq(len(r), 1 + 5000 * 8 + 1, "20,000 mixed commands pipelined")
clear_queue()
msgs = b"".join(crlf("MAIL FROM:<m%d@b>" % i, "RCPT TO:<j@example.org>",
                     "DATA", "n%d" % i, ".") for i in range(30))
r, rc, _ = run(msgs + crlf("QUIT"))
t.eq(len([x for x in r if x.startswith("250 ok ")]), 30,
     "30 pipelined messages all accepted")
t.eq(sorted(q[0] for q in queued()),
     sorted(b"n%d\n" % i for i in range(30)), "...each with its own body")

# --- slow clients -------------------------------------------------------------------
control("timeoutsmtpd", "1\n")
r, rc, _ = run([b"NO", b"OP\r\n"], pace=1.5)
t.eq(r[1:], ["451 timeout (#4.4.2)"], "half a command then silence: timeout")
clear_queue()
r, rc, _ = run([START, b"a", b"b", b"c", b"\r\n", b".\r\n", crlf("QUIT")],
               pace=0.3)
t.ok(r[5].startswith("250 ok"),
     "slow but steady DATA within timeoutsmtpd accepted")
clear_queue()
r, rc, _ = run([START + b"partial", b"rest\r\n.\r\n"], pace=1.5)
t.eq(r[5:], ["451 timeout (#4.4.2)"], "stall in DATA: 451 timeout")
t.eq(queued(), [], "...and nothing queued")
control("timeoutsmtpd", None)

# --- enormous DATA ----------------------------------------------------------------
control("databytes", "1000000\n")
GB = 1 << 30
line = (b"x" * 1022 + b"\r\n") * 1024  # 1 MiB of 1 KiB lines


def big(total, chunk):
    sent = 0
    while sent < total:
        yield chunk
        sent += len(chunk)


clear_queue()
t0 = time.time()
r, rc, rss = run(iter([START, *big(2 * GB, line), crlf(".", "NOOP", "QUIT")]))
t.eq(r[5:7], [SIZE, "250 ok"], "2 GiB of DATA against databytes: 552")
t.ok(rss < RSS_BOUND_KB, "2 GiB of DATA in bounded memory (%d KiB)" % rss)
t.eq(queued(), [], "nothing queued")
t.diag("2 GiB streamed in %.1f s" % (time.time() - t0))
r, rc, rss = run(iter([START, *big(256 << 20, b"y" * 1048576),
                       crlf("", ".", "QUIT")]))
t.eq(r[5], SIZE, "256 MiB single line against databytes: 552")
t.ok(rss < RSS_BOUND_KB, "...in bounded memory (%d KiB)" % rss)
r, rc, _ = run(iter([START, *big(64 << 20, line), b"bare\nLF", crlf(".")]))
t.eq(r[5:], [BARELF], "bare LF after 64 MiB still refused")
control("databytes", None)
clear_queue()
r, rc, rss = run(iter([START, *big(1 << 20, b"Received: x\r\n" * 1000),
                       crlf("", ".", "QUIT")]))
t.eq(r[5], "554 too many hops, this message is looping (#5.4.6)",
     "80,000 Received lines: 554 looping")
t.eq(queued(), [], "...nothing queued")
clear_queue()
r, rc, _ = run(START + b"x" * 100)
t.eq(r[5:], [], "EOF inside DATA: no reply")
time.sleep(0.1)
t.eq(queued(), [], "...and nothing queued")

# --- the address-space limit the man page states ---------------------------
# qmail-smtpd(8): a whole session, with the qmail-queue it starts, runs
# under softlimit -m 4800000 (measured) and 5000000 leaves room.  ASan
# reserves terabytes of address space, so a sanitizer build cannot run
# under any such limit.
SOFTLIMIT = shutil.which("softlimit")
if SANITIZED or SOFTLIMIT is None:
    t.skip("a whole session under softlimit -m 5000000",
           "sanitizer build" if SANITIZED else "no softlimit (daemontools)")
else:
    clear_queue()
    e = dict(ENV)
    p = subprocess.run([SOFTLIMIT, "-m", "5000000", SMTPD],
                       input=START + crlf("Subject: limit", "", "x", ".",
                                          "QUIT"),
                       stdout=subprocess.PIPE, env=e, timeout=60)
    r = p.stdout.decode("latin-1").split("\r\n")
    t.ok(len(r) > 6 and r[5].startswith("250 ok"),
         "a whole session under softlimit -m 5000000") or t.diag(repr(r))

t.done()
