#!/usr/bin/env python3
"""qmail-log-summary: counts from qmail-send log lines, bare, with
multilog's @TAI64N labels and with splogger's prefix; reasons restored
from the log's safe form; bounces told from double bounces."""
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from tap import Tap, QBIN, QBUILD  # noqa: E402

t = Tap()
PROG = os.path.join(QBIN, "qmail-log-summary")
if not os.path.exists(PROG):
    PROG = os.path.join(QBUILD, "scripts", "qmail-log-summary")

# The first 60 lines of a real log: qmail-start in the unprivileged test
# instance (tests/e2e/local-delivery.py), local deliveries, two bounces and
# the double bounce of a bounce that failed.
REAL = """\
status: local 0/10 remote 0/20
new msg 11149874
info msg 11149874: bytes 222 from <joe@test.example> qp 3249 uid 0
starting delivery 1: msg 11149874 to local joe@test.example
status: local 1/10 remote 0/20
delivery 1: success: did_1+0+0/
status: local 0/10 remote 0/20
end msg 11149874
new msg 11150080
info msg 11150080: bytes 243 from <joe@test.example> qp 3262 uid 0
starting delivery 2: msg 11150080 to local postmaster@test.example
status: local 1/10 remote 0/20
delivery 2: success: did_1+0+0/
status: local 0/10 remote 0/20
end msg 11150080
new msg 11149553
info msg 11149553: bytes 235 from <joe@test.example> qp 3285 uid 0
starting delivery 3: msg 11149553 to local nosuchuser@test.example
status: local 1/10 remote 0/20
delivery 3: failure: Sorry,_no_mailbox_here_by_that_name._(#5.1.1)/
status: local 0/10 remote 0/20
bounce msg 11149553 qp 3292
end msg 11149553
new msg 11150084
info msg 11150084: bytes 766 from <> qp 3292 uid 0
starting delivery 4: msg 11150084 to local joe@test.example
status: local 1/10 remote 0/20
delivery 4: success: did_1+0+0/
status: local 0/10 remote 0/20
end msg 11150084
new msg 11150083
info msg 11150083: bytes 231 from <gone@test.example> qp 3295 uid 0
starting delivery 5: msg 11150083 to local nosuchuser2@test.example
status: local 1/10 remote 0/20
delivery 5: failure: Sorry,_no_mailbox_here_by_that_name._(#5.1.1)/
status: local 0/10 remote 0/20
bounce msg 11150083 qp 3298
end msg 11150083
new msg 11150086
info msg 11150086: bytes 765 from <> qp 3298 uid 0
starting delivery 6: msg 11150086 to local gone@test.example
status: local 1/10 remote 0/20
delivery 6: failure: Sorry,_no_mailbox_here_by_that_name._(#5.1.1)/
status: local 0/10 remote 0/20
bounce msg 11150086 qp 3301
end msg 11150086
new msg 11150084
info msg 11150084: bytes 1211 from <#@[]> qp 3301 uid 0
starting delivery 7: msg 11150084 to local postmaster@test.example
status: local 1/10 remote 0/20
delivery 7: success: did_1+0+0/
status: local 0/10 remote 0/20
end msg 11150084
new msg 11149866
info msg 11149866: bytes 233 from <joe@test.example> qp 3317 uid 0
starting delivery 8: msg 11149866 to local joe-virt-anyone@virt.example
status: local 1/10 remote 0/20
delivery 8: success: did_1+0+0/
status: local 0/10 remote 0/20
end msg 11149866
"""

# Hand-written lines in qmail-log(5) form: remote deliveries, reports of
# several lines, an empty report, a mangled report, discarded bounces, a
# restart (delivery numbers start again), and noise.
MORE = """\
status: local 0/10 remote 0/20
new msg 500
info msg 500: bytes 1000 from <Ann@Example.ORG> qp 77 uid 1000
starting delivery 20: msg 500 to remote bob@Remote.EXAMPLE
starting delivery 21: msg 500 to remote carol@remote.example
starting delivery 22: msg 500 to remote dave@other.example
delivery 20: success: 192.0.2.1_accepted_message./Remote_host_said:_250_ok_12345/
delivery 21: failure: 192.0.2.1_does_not_like_recipient./Remote_host_said:_550_5.1.1_unknown_user/Giving_up_on_192.0.2.1./
delivery 22: deferral: Connected_to_192.0.2.9_but_greeting_failed./Remote_host_said:_421_busy/
bounce msg 500 qp 78
end msg 500
delivery 99: deferral: Sorry,_I_couldn't_find_any_host_named_nowhere.example._(#4.1.2)/
delivery 23: report mangled, will defer
double bounce: discarding bounce/600
triple bounce: discarding bounce/601
status: exiting
this line is not from qmail-send
status: local 0/10 remote 0/20
new msg 700
info msg 700: bytes 10 from <ann@example.org> qp 90 uid 1000
starting delivery 1: msg 700 to remote x@remote.example
delivery 1: failure: 192.0.2.1_does_not_like_recipient./Remote_host_said:_550_5.1.1_unknown_user/Giving_up_on_192.0.2.1./
end msg 700
"""


def run(args=(), text="", raw=None):
    p = subprocess.run([PROG] + list(args),
                       input=raw if raw is not None else text.encode(),
                       capture_output=True)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


def field(out, name):
    for line in out.splitlines():
        if line.startswith(name + ": "):
            return line[len(name) + 2:]
    return None


def table(out, title):
    """The rows under "title:" as (count, first line) pairs."""
    rows, inside = [], False
    for line in out.splitlines():
        if line == title + ":":
            inside = True
            continue
        if inside:
            if not line.startswith(" "):
                break
            head = line[:7].strip()
            if head.isdigit():
                rows.append((int(head), line[9:]))
    return rows


def section(out, title):
    """Everything printed under "title:", continuation lines included."""
    lines = out.splitlines()
    i = lines.index(title + ":")
    got = []
    for line in lines[i + 1:]:
        if not line.startswith(" "):
            break
        got.append(line)
    return got


# --- the real log -----------------------------------------------------------
rc, out, err = run(text=REAL)
t.eq(rc, 0, "real log: exit 0")
t.eq(field(out, "messages"), "8", "real log: 8 new msg lines")
t.eq(field(out, "bytes"), str(222 + 243 + 235 + 766 + 231 + 765 + 1211 + 233),
     "real log: bytes are the sum of the info lines")
t.eq(field(out, "deliveries"), "8 (success 5, deferral 0, failure 3)",
     "real log: deliveries by outcome")
t.eq(field(out, "  local"), "8 (success 5, deferral 0, failure 3)",
     "real log: all of them local")
t.eq(field(out, "  remote"), "0 (success 0, deferral 0, failure 0)",
     "real log: no remote delivery")
t.eq(field(out, "bounces"), "2", "real log: two bounces")
t.eq(field(out, "double bounces"), "1",
     "real log: the bounce of a <> message is a double bounce")
t.eq(table(out, "top failure reasons"),
     [(3, "Sorry, no mailbox here by that name. (#5.1.1)")],
     "real log: the failure reason with spaces restored")
t.eq(table(out, "top senders"),
     [(4, "<joe@test.example>"), (2, "<>"), (1, "<#@[]>"),
      (1, "<gone@test.example>")], "real log: top senders, <> included")
t.eq(table(out, "top recipient domains"),
     [(7, "test.example"), (1, "virt.example")],
     "real log: recipient domains")
t.ok("unknown" not in out, "real log: no unknown channel line")

# --- the same lines with multilog labels and splogger prefixes ---------------
tai = "".join("@4000000065a1b2c3%08x %s\n" % (i, line)
              for i, line in enumerate(REAL.splitlines()))
rc, out2, _ = run(text=tai)
t.eq(out2, out, "multilog's @TAI64N labels: the same summary")
spl = "".join("qmail: 1700000000.%06d %s\n" % (i, line)
              for i, line in enumerate(REAL.splitlines()))
rc, out3, _ = run(text=spl)
t.eq(out3, out, "splogger's seconds.micro prefix: the same summary")
sysl = "".join("Jan  2 03:04:05 mx qmail: 1700000000.%06d %s\n" % (i, line)
               for i, line in enumerate(REAL.splitlines()))
rc, out4, _ = run(text=sysl)
t.eq(out4, out, "a syslog file (header, tag, splogger prefix): the same")

# --- hand-written remote lines ------------------------------------------------
rc, out, err = run(text=MORE)
t.eq(rc, 0, "remote lines: exit 0")
t.eq(field(out, "messages"), "2", "remote lines: two messages")
t.eq(field(out, "bytes"), "1010", "remote lines: bytes")
t.eq(field(out, "deliveries"), "6 (success 1, deferral 3, failure 2)",
     "remote lines: all deliveries counted")
t.eq(field(out, "  remote"), "4 (success 1, deferral 1, failure 2)",
     "remote lines: remote by outcome (delivery 1 again after a restart)")
t.eq(field(out, "  local"), "0 (success 0, deferral 0, failure 0)",
     "remote lines: no local delivery")
t.eq(field(out, "  unknown"), "2 (success 0, deferral 2, failure 0)",
     "a result without its starting line is counted as unknown")
t.eq(field(out, "bounces"), "1", "remote lines: one bounce")
t.eq(field(out, "double bounces"), "0", "remote lines: no double bounce")
t.eq(field(out, "discarded"), "1 double bounces, 1 triple bounces",
     "discarded double and triple bounces")
t.eq(section(out, "top failure reasons"),
     ["      2  192.0.2.1 does not like recipient.",
      "         Remote host said: 550 5.1.1 unknown user",
      "         Giving up on 192.0.2.1."],
     "a report of three lines: '/' restored to line breaks, counted twice")
t.eq(table(out, "top deferral reasons"),
     [(1, "(report mangled)"),
      (1, "Connected to 192.0.2.9 but greeting failed."),
      (1, "Sorry, I couldn't find any host named nowhere.example. (#4.1.2)")],
     "deferral reasons, mangled report included")
t.eq(table(out, "top recipient domains"),
     [(3, "remote.example"), (1, "other.example")],
     "domains are compared without case")
t.eq(table(out, "top senders"),
     [(1, "<Ann@Example.ORG>"), (1, "<ann@example.org>")],
     "senders are shown as logged")

# --- several files, -n, an empty report ----------------------------------------
d = tempfile.mkdtemp(prefix="qls.")
f1, f2 = os.path.join(d, "a"), os.path.join(d, "b")
with open(f1, "w") as f:
    f.write(REAL)
with open(f2, "w") as f:
    f.write(MORE)
rc, out, _ = run([f1, f2])
t.eq(field(out, "messages"), "10", "two files: counts add up")
t.eq(field(out, "double bounces"), "1", "two files: double bounces")
rc, out, _ = run(["-n", "1", f1, f2])
t.eq(len(table(out, "top senders")), 1, "-n 1: one row per table")
rc, out, _ = run(["-n1", "-"], text=MORE)
t.eq(len(table(out, "top deferral reasons")), 1, "-n1 and - for stdin")
rc, out, _ = run(text="starting delivery 3: msg 9 to local a@b\n"
                 "delivery 3: deferral: \n")
t.eq(table(out, "top deferral reasons"), [(1, "(no report)")],
     "an empty report is shown as (no report)")
rc, out, _ = run(text="starting delivery 3: msg 9 to local nobody\n")
t.eq(table(out, "top recipient domains"), [(1, "(none)")],
     "a recipient without @: domain (none)")

# --- hostile and wrong input ---------------------------------------------------
rc, out, _ = run(raw=b"\xff\xfe\x00garbage\n" + b"x" * 300000 +
                 b"\nnew msg 1\n" + b"info msg 1: bytes 5 from <\xe9@x> qp 1 uid 0\n")
t.eq(rc, 0, "binary junk and a 300 kB line: exit 0")
t.eq(field(out, "messages"), "1", "the line after a 300 kB line is still read")
t.eq(field(out, "bytes"), "5", "an 8-bit sender does not upset it")
rc, out, _ = run(text="delivery 1: failure: 12.5_units/\n"
                 "new msg 12.34 delivery 2: success: x\n")
t.eq(field(out, "deliveries"), "1 (success 0, deferral 0, failure 1)",
     "a report containing seconds.micro is not taken for a prefix")
rc, out, err = run([os.path.join(d, "missing")])
t.eq(rc, 111, "an unreadable file: exit 111")
t.ok(err.startswith("qmail-log-summary: fatal: unable to read "),
     "with a fatal message")
for bad in (["-x"], ["-n"], ["-n", "0"], ["-n", "abc"]):
    rc, out, err = run(bad)
    t.eq(rc, 100, "usage error %s: exit 100" % " ".join(bad))
rc, out, _ = run(text="")
t.eq(out.splitlines()[:3],
     ["messages: 0", "bytes: 0",
      "deliveries: 0 (success 0, deferral 0, failure 0)"],
     "empty input: zero counts")
t.done()
