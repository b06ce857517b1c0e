#!/usr/bin/env python3
"""Black-box tests of qmail-inject: header rewriting (with -n), the
envelope (through a real queue), environment, options, hostile input."""
import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from tap import Tap, QHOME, QBIN, instance_reset  # noqa: E402
from queuetest import queue_files, queued_records  # noqa: E402

t = Tap()
INJECT = os.path.join(QBIN, "qmail-inject")
CONTROL = os.path.join(QHOME, "control")
with open(INJECT, "rb") as f:
    SANITIZED = b"__asan_init" in f.read()
MEM_LIMIT_KB = (256 if SANITIZED else 64) * 1024


def setcontrol(name, value):
    path = os.path.join(CONTROL, name)
    if value is None:
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass
        return
    with open(path, "w") as f:
        f.write(value + "\n")


def controls(me="me.example", **kw):
    for name in ("me", "defaulthost", "defaultdomain", "plusdomain",
                 "idhost"):
        setcontrol(name, None)
    if me is not None:
        setcontrol("me", me)
    for k, v in kw.items():
        setcontrol(k, v)


def inject(msg, args=(), env=None, stdin_file=None):
    e = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    for k in ("ASAN_OPTIONS", "UBSAN_OPTIONS"):
        if k in os.environ:
            e[k] = os.environ[k]
    e.update(env or {})
    p = subprocess.run([INJECT] + list(args), input=msg, env=e,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=120)
    return p.returncode, p.stdout, p.stderr


def show(msg, args=(), env=None):
    """qmail-inject -n output (header only) as text."""
    rc, out, err = inject(msg, ["-n"] + list(args), env)
    if rc != 0:
        t.diag("rc %d: %r" % (rc, err[:300]))
    return out.decode("latin-1")


def field(text, name):
    """All values of header field name (unfolded)."""
    head = text.split("\n\n", 1)[0]
    out = []
    for m in re.finditer(r"^%s:[ \t]?(.*(?:\n[ \t].*)*)" % re.escape(name),
                         head, re.M | re.I):
        out.append(re.sub(r"\n[ \t]+", " ", m.group(1)))
    return out


queued = queued_records


def envelope_of(msg, args=(), env=None):
    """Queue msg, return (rc, sender, [recipients], message, stderr)."""
    instance_reset()
    controls(**CTL)
    rc, out, err = inject(msg, args, env)
    q = queued()
    if rc != 0 or len(q) != 1:
        return rc, None, [], b"", err
    mess, recs = q[0]
    sender = [r[1:] for r in recs if r.startswith("F")]
    rcpts = [r[1:] for r in recs if r.startswith("T")]
    return rc, sender[0] if sender else None, rcpts, mess, err


USER = {"USER": "joe"}
CTL = dict(me="me.example", defaulthost="dh", defaultdomain="dd.example",
           plusdomain="pd.example", idhost="id.example")
instance_reset()
controls(**CTL)

# --- rewriting rules (qmail-header(5)) ------------------------------------
o = show(b"To: fred\n\nbody\n", env=USER)
t.eq(field(o, "To"), ["fred@dh.dd.example"],
     "lone box gets defaulthost, then defaultdomain (no dots)")
o = show(b"To: djb@silverton\n\n", env=USER)
t.eq(field(o, "To"), ["djb@silverton.dd.example"],
     "host without dots gets defaultdomain")
o = show(b"To: eric@mammoth.cs+\n\n", env=USER)
t.eq(field(o, "To"), ["eric@mammoth.cs.pd.example"],
     "trailing + becomes plusdomain")
o = show(b"To: eric@mammoth+\n\n", env=USER)
t.eq(field(o, "To"), ["eric@mammoth.pd.example"],
     "dotless host with + uses plusdomain, not defaultdomain")
o = show(b"To: djb@[128.32.183.163]\n\n", env=USER)
t.eq(field(o, "To"), ["djb@[128.32.183.163]"], "domain literal left alone")
o = show(b"To: a@b.c (Some Body), A Person <e@f>,\n"
         b"   random group: g@h, i@j.k;, k\n\n", env=USER)
t.eq(field(o, "To"),
     ["a@b.c (Some Body), A Person <e@f.dd.example>, random group: "
      "g@h.dd.example, i@j.k;, k@dh.dd.example"],
     "comments, names, groups and folding handled")
o = show(b"To: <@r1.x,@r2.y:u@h.z>\n\n", env=USER)
t.eq(field(o, "To"), ["<u@h.z>"], "source route stripped")
o = show(b"To: djb fred\n\n", env=USER)
t.eq(field(o, "To"), ["djb@dh.dd.example, fred@dh.dd.example"],
     "illegal space becomes a comma")
o = show(b'To: "a b"@x.y, "Doe, J" <j@x.y>\n\n', env=USER)
t.eq(field(o, "To"), ['"a b"@x.y, "Doe, J" <j@x.y>'],
     "quoted strings kept quoted")
for name in ("Cc", "Reply-To", "Sender", "Errors-To", "Return-Receipt-To",
             "Mail-Followup-To", "Resent-Sender", "Resent-Reply-To"):
    o = show(("To: x@y.z\n%s: box\n\n" % name).encode(), env=USER)
    t.eq(field(o, name), ["box@dh.dd.example"], "%s is rewritten" % name)
o = show(b"To: x@y.z\nSubject: joe, fred\nX-Thing: a b\n\n", env=USER)
t.eq(field(o, "Subject"), ["joe, fred"], "Subject is not an address list")
t.eq(field(o, "X-Thing"), ["a b"], "unknown fields are kept as they are")
o = show(b"to: fred\n\n", env=USER)
t.ok("to: fred@dh.dd.example\n" in o, "field name case kept, matched "
     "without regard to case")
o = show(b"To: x@y.z\nSubject: folded\n  second line\n\nbody\n", env=USER)
t.ok("Subject: folded\n  second line\n" in o, "folded field kept folded")

# --- defaults: me, and the literal names -----------------------------------
controls(me="mehost.example")
o = show(b"To: fred\n\n", env=USER)
t.eq(field(o, "To"), ["fred@mehost.example"], "defaulthost defaults to me")
t.ok(re.search(r"^Message-ID: <\d{14}\.\d+\.qmail@mehost\.example>$", o,
               re.M) is not None, "idhost defaults to me")
controls(me=None)
o = show(b"To: fred, x@y\n\n", env=USER)
t.eq(field(o, "To"), ["fred@defaulthost.defaultdomain, x@y.defaultdomain"],
     "without me the literal names defaulthost/defaultdomain are used")
o = show(b"To: x@y+\n\n", env=USER)
t.eq(field(o, "To"), ["x@y.plusdomain"], "... and plusdomain")
t.ok("qmail@idhost>" in o, "... and idhost")
controls(**CTL)
o = show(b"To: fred, x@y+\n\n",
         env=dict(USER, QMAILDEFAULTHOST="eh", QMAILDEFAULTDOMAIN="ed.org",
                  QMAILPLUSDOMAIN="ep.org", QMAILIDHOST="ei.org"))
t.eq(field(o, "To"), ["fred@eh.ed.org, x@y.ep.org"],
     "QMAILDEFAULTHOST/QMAILDEFAULTDOMAIN/QMAILPLUSDOMAIN override controls")
t.ok("qmail@ei.org>" in o, "QMAILIDHOST overrides idhost")
controls(**dict(CTL, defaulthost="dhp+"))
o = show(b"To: fred\n\n", env=USER)
t.eq(field(o, "To"), ["fred@dhp.pd.example"],
     "defaulthost ending in + gets plusdomain")
controls(**CTL)

# --- added and removed fields ---------------------------------------------
o = show(b"To: x@y.z\nBcc: hidden@y.z\nReturn-Path: <r@y.z>\n"
         b"Content-Length: 99\n\nbody\n", env=USER)
t.eq(field(o, "Bcc"), [], "Bcc removed")
# -n prints the envelope sender as a Return-Path line first; none other
t.eq(field(o, "Return-Path"), ["<r@y.z>"],
     "Return-Path removed (only -n's envelope line is left)")
t.eq(field(o, "Content-Length"), [], "Content-Length removed")
t.ok(o.endswith("\n\nbody\n"), "body follows the header unchanged")
t.eq(len(field(o, "Date")), 1, "Date added")
t.ok(re.match(r"^\d{1,2} [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d -0000$",
              field(o, "Date")[0]) is not None, "Date is RFC 822, in GMT")
t.eq(len(field(o, "Message-ID")), 1, "Message-ID added")
t.eq(field(o, "From"), ["joe@dh.dd.example"], "From added from USER")
t.eq(field(o, "Cc"), [], "no Cc added when To exists")
o = show(b"Subject: x\n\n", env=USER)
t.eq(field(o, "Cc"), ["recipient list not shown: ;"],
     "Cc: recipient list not shown added without To/Cc")
o = show(b"To: x@y.z\nDate: 1 Jan 2000 00:00:00 -0000\n"
         b"Message-ID: <a@b>\nFrom: me@x.y\n\n", env=USER)
t.eq(field(o, "Date"), ["1 Jan 2000 00:00:00 -0000"], "Date kept")
t.eq(field(o, "Message-ID"), ["<a@b>"], "Message-ID kept")
t.eq(field(o, "From"), ["me@x.y"], "From kept")
o = show(b"From: me@x.y\nMessage-ID: <a@b>\nTo: x@y.z\n\n",
         env=dict(USER, QMAILINJECT="fi"))
t.eq(field(o, "From"), ["joe@dh.dd.example"], "QMAILINJECT=f replaces From")
t.ok(field(o, "Message-ID") != ["<a@b>"] and len(field(o, "Message-ID")) == 1,
     "QMAILINJECT=i replaces Message-ID")

# resent messages
o = show(b"From: a@b.c\nTo: x@y.z\nResent-To: r@y.z\nDate: 1 Jan 2000 "
         b"00:00:00 -0000\nMessage-ID: <a@b>\n\n", env=USER)
t.eq(field(o, "Resent-From"), ["joe@dh.dd.example"], "Resent-From added")
t.eq(len(field(o, "Resent-Date")), 1, "Resent-Date added")
t.eq(len(field(o, "Resent-Message-ID")), 1, "Resent-Message-ID added")
t.eq(field(o, "Resent-Cc"), [], "no Resent-Cc when Resent-To exists")
o = show(b"Resent-From: a@b.c\nSubject: x\n\n", env=USER)
t.eq(field(o, "Resent-Cc"), ["recipient list not shown: ;"],
     "Resent-Cc added to a resent message without Resent-To/Cc")
t.eq(field(o, "Cc"), [], "... and no Cc")
t.eq(field(o, "From"), [], "... and no From")
t.eq(field(o, "Date"), [], "... and no Date")

# --- From: names ----------------------------------------------------------
o = show(b"To: x@y.z\n\n", env=dict(USER, NAME="Joe Q. Public"))
t.eq(field(o, "From"), ['"Joe Q. Public" <joe@dh.dd.example>'],
     "NAME gives name-address style, quoted where needed")
o = show(b"To: x@y.z\n\n", env=dict(USER, NAME="Joe Public",
                                     QMAILINJECT="c"))
t.eq(field(o, "From"), ["joe@dh.dd.example (Joe Public)"],
     "QMAILINJECT=c gives address-comment style")
o = show(b"To: x@y.z\n\n", env=dict(USER, NAME="n", MAILNAME="m",
                                     QMAILNAME="q"))
t.eq(field(o, "From"), ['"q" <joe@dh.dd.example>'], "QMAILNAME comes first")
o = show(b"To: x@y.z\n\n", env=dict(USER, NAME="n", MAILNAME="m"))
t.eq(field(o, "From"), ['"m" <joe@dh.dd.example>'], "then MAILNAME")
o = show(b"To: x@y.z\n\n", env=dict(USER, NAME="bad\nX-Injected: 1"))
t.eq(field(o, "X-Injected"), [], "a line break in NAME injects nothing")
for var, env, want in (
        ("QMAILUSER", dict(QMAILUSER="q", MAILUSER="m", USER="u",
                           LOGNAME="l"), "q"),
        ("MAILUSER", dict(MAILUSER="m", USER="u", LOGNAME="l"), "m"),
        ("USER", dict(USER="u", LOGNAME="l"), "u"),
        ("LOGNAME", dict(LOGNAME="l"), "l"),
        ("nothing", {}, "anonymous")):
    o = show(b"To: x@y.z\n\n", env=env)
    t.eq(field(o, "From"), [want + "@dh.dd.example"],
         "user name from %s" % var)
o = show(b"To: x@y.z\n\n", env=dict(USER, QMAILHOST="qh.org",
                                     MAILHOST="mh.org"))
t.eq(field(o, "From"), ["joe@qh.org"], "QMAILHOST sets the host")
o = show(b"To: x@y.z\n\n", env=dict(USER, MAILHOST="mh"))
t.eq(field(o, "From"), ["joe@mh.dd.example"],
     "MAILHOST sets the host (and gets defaultdomain)")

# qmail writes the full name as a quoted string, always (issue 12 A2)
o = show(b"To: x@y.z\n\n", env=dict(USER, NAME="Alice Example"))
t.eq(field(o, "From"), ['"Alice Example" <joe@dh.dd.example>'],
     "full name written as a quoted string, as qmail")
o = show(b"To: x@y.z\n\n", env=dict(USER, MAILNAME='Al "Bo" C\\d'))
t.eq(field(o, "From"), ['"Al \\"Bo\\" C\\\\d" <joe@dh.dd.example>'],
     "quote and backslash in the full name escaped")
o = show(b"To: x@y.z\n\n", env=dict(USER, QMAILNAME="Eve\r\nBcc: v@x.org"))
head = o.split("\n\n", 1)[0]
t.ok(field(o, "From") == ['"Eve  Bcc: v@x.org" <joe@dh.dd.example>'] and
     "\r" not in head and "\nBcc:" not in head,
     "CR LF in QMAILNAME become spaces inside the quoted name")

# --- -n prints the envelope sender first, as qmail (issue 12 A1) ------------
def first_line(msg, args=(), env=None):
    return show(msg, args, env).split("\n", 1)[0]


t.eq(first_line(b"To: x@y.z\n\n", env=USER),
     "Return-Path: <joe@dh.dd.example>",
     "-n: Return-Path with the default envelope sender comes first")
t.eq(first_line(b"To: x@y.z\n\n", ["-fbounce@x.org"], USER),
     "Return-Path: <bounce@x.org>", "-n: -f sender shown")
t.eq(first_line(b"To: x@y.z\n\n", ["-f", ""], USER), "Return-Path: <>",
     "-n: null sender shown as <>")
t.eq(first_line(b"To: x@y.z\n\n", ["-f", '"a b"@x.org'], USER),
     'Return-Path: <"a b"@x.org>', "-n: sender quoted as qmail quotes it")
o = show(b"Return-Path: <rp@x.org>\nTo: x@y.z\n\n", env=USER)
t.ok(o.startswith("Return-Path: <rp@x.org>\n") and
     o.count("Return-Path") == 1,
     "-n: incoming Return-Path shown once, as the envelope sender")
t.eq(first_line(b"To: x@y.z\n\n",
                env=dict(USER, QMAILSUSER="su", QMAILSHOST="sh.org")),
     "Return-Path: <su@sh.org>", "-n: QMAILSUSER and QMAILSHOST shown")
t.eq(first_line(b"To: x@y.z\n\n", env=dict(USER, QMAILINJECT="r")),
     'Return-Path: <"joe-@dh.dd.example-"@[]>',
     "-n: QMAILINJECT=r VERP sender shown, quoted")

# --- envelope, through the real queue ---------------------------------------
rc, snd, rcpts, mess, err = envelope_of(
    b"To: a@x.org, b\nCc: c@y.org\nBcc: d@z.org\nSubject: s\n\nhi\n",
    env=USER)
t.eq(rc, 0, "queued, exit 0")
t.eq(snd, "joe@dh.dd.example", "envelope sender from USER and defaulthost")
t.eq(rcpts, ["a@x.org", "b@dh.dd.example", "c@y.org", "d@z.org"],
     "To, Cc and Bcc are the recipients, rewritten")
t.ok(b"\nBcc:" not in mess and not mess.startswith(b"Bcc:"),
     "Bcc is not in the queued message")
t.ok(mess.endswith(b"\n\nhi\n"), "body queued")
rc, snd, rcpts, mess, err = envelope_of(
    b"To: a@x.org\nApparently-To: ap@x.org\n\n", env=USER)
t.eq(rcpts, ["a@x.org", "ap@x.org"], "Apparently-To is a recipient")
rc, snd, rcpts, mess, err = envelope_of(
    b"To: a@x.org\nResent-To: r@x.org\nResent-Bcc: rb@x.org\n\n", env=USER)
t.eq(rcpts, ["r@x.org", "rb@x.org"],
     "resent message: Resent-To/Resent-Bcc are the recipients")
t.ok(b"Resent-Bcc" not in mess, "Resent-Bcc removed")
rc, snd, rcpts, mess, err = envelope_of(b"To: a@x.org\n\n", ["z@q.org", "w"],
                                        env=USER)
t.eq(rcpts, ["z@q.org", "w@dh.dd.example"],
     "-A (default): command-line recipients replace the header's")
rc, snd, rcpts, mess, err = envelope_of(b"To: a@x.org\n\n", ["-a"],
                                        env=USER)
t.eq(rc, 100, "-a without arguments: no recipients, exit 100")
t.ok(b"no recipients" in err, "... saying so")
rc, snd, rcpts, mess, err = envelope_of(b"To: a@x.org\n\n",
                                        ["-h", "z@q.org"], env=USER)
t.eq(rcpts, ["a@x.org"], "-h: header recipients only")
rc, snd, rcpts, mess, err = envelope_of(b"To: a@x.org\n\n",
                                        ["-H", "z@q.org"], env=USER)
t.eq(rcpts, ["a@x.org", "z@q.org"], "-H: header and arguments")
rc, snd, rcpts, mess, err = envelope_of(b"To: a@x.org\n\n",
                                        ["-A"], env=USER)
t.eq(rcpts, ["a@x.org"], "-A without arguments uses the header")
rc, snd, rcpts, mess, err = envelope_of(b"To: a@x.org\n\n",
                                        ["-fbounce@x.org"], env=USER)
t.eq(snd, "bounce@x.org", "-f sets the envelope sender")
rc, snd, rcpts, mess, err = envelope_of(b"To: a@x.org\n\n",
                                        ["-f", ""], env=USER)
t.eq(snd, "", "-f '' gives the null sender")
rc, snd, rcpts, mess, err = envelope_of(
    b"Return-Path: <rp@x.org>\nTo: a@x.org\n\n", env=USER)
t.eq(snd, "rp@x.org", "Return-Path sets the envelope sender")
t.ok(b"Return-Path" not in mess, "... and is removed")
rc, snd, rcpts, mess, err = envelope_of(
    b"Return-Path: <rp@x.org>\nTo: a@x.org\n\n", ["-f", "ff@x.org"],
    env=dict(USER, QMAILSUSER="su"))
t.eq(snd, "ff@x.org", "-f overrides Return-Path and the environment")
rc, snd, rcpts, mess, err = envelope_of(
    b"Return-Path: <rp@x.org>\nTo: a@x.org\n\n",
    env=dict(USER, QMAILSUSER="su"))
t.eq(snd, "rp@x.org", "Return-Path overrides the environment")
rc, snd, rcpts, mess, err = envelope_of(
    b"Return-Path: <rp@x.org>\nTo: a@x.org\n\n",
    env=dict(USER, QMAILINJECT="s"))
t.eq(snd, "joe@dh.dd.example", "QMAILINJECT=s ignores Return-Path")
t.ok(b"Return-Path" not in mess, "... still removing it")
rc, snd, rcpts, mess, err = envelope_of(
    b"Return-Path: <>\nTo: a@x.org\n\n", env=USER)
t.eq(snd, "", "Return-Path: <> gives the null sender")
rc, snd, rcpts, mess, err = envelope_of(
    b"To: a@x.org\n\n", env=dict(USER, QMAILSUSER="su", QMAILSHOST="sh.org",
                                 QMAILHOST="qh.org"))
t.eq(snd, "su@sh.org", "QMAILSUSER and QMAILSHOST set the envelope sender")
t.ok(b"From: joe@qh.org\n" in mess, "... but not From")
rc, snd, rcpts, mess, err = envelope_of(
    b"To: a@x.org\n\n", env=dict(USER, MAILHOST="mh.org"))
t.eq(snd, "joe@mh.org", "sender host from MAILHOST")
rc, snd, rcpts, mess, err = envelope_of(
    b"To: a@x.org\n\n", env=dict(USER, QMAILINJECT="r"))
t.eq(snd, "joe-@dh.dd.example-@[]", "QMAILINJECT=r: per-recipient VERP")
rc, snd, rcpts, mess, err = envelope_of(
    b"To: a@x.org\n\n", env=dict(USER, QMAILINJECT="m"))
t.ok(snd is not None and re.match(r"^joe-\d+\.\d+@dh\.dd\.example$", snd)
     is not None, "QMAILINJECT=m: per-message VERP (date and pid)")
rc, snd, rcpts, mess, err = envelope_of(b"Subject: none\n\n", env=USER)
t.eq(rc, 100, "no recipients at all: exit 100")

# CR, LF or NUL in an envelope address: refused, exit 100, nothing queued
# (issue 12 C19)
for what, msg, args, env in (
        ("-f", b"To: a@x.org\n\n", ["-f", "s@x.org\nBcc: v@y.org"], USER),
        ("a recipient argument", b"Subject: s\n\n",
         ["-a", "a@x.org\r\nBcc: v@y.org"], USER),
        ("QMAILSUSER", b"To: a@x.org\n\n", [],
         dict(USER, QMAILSUSER="su\nBcc: v")),
        ("QMAILSHOST", b"To: a@x.org\n\n", [],
         dict(USER, QMAILSHOST="sh.org\rX: y")),
        ("QMAILUSER", b"To: a@x.org\n\n", [],
         dict(QMAILUSER="joe\nBcc: v@y.org")),
        ("USER", b"To: a@x.org\n\n", [], dict(USER="joe\r")),
        ("QMAILHOST", b"To: a@x.org\n\n", [],
         dict(USER, QMAILHOST="h.org\nBcc: v@y.org")),
        ("MAILHOST", b"To: a@x.org\n\n", [],
         dict(USER, MAILHOST="h.org\n")),
        ("QMAILDEFAULTHOST", b"To: a\n\n", [],
         dict(USER, QMAILDEFAULTHOST="dh.org\nBcc: v@y.org")),
        ("QMAILDEFAULTDOMAIN", b"To: a@b\n\n", [],
         dict(USER, QMAILDEFAULTDOMAIN="dd\nBcc: v@y.org")),
        ("QMAILPLUSDOMAIN", b"To: a@b+\n\n", [],
         dict(USER, QMAILPLUSDOMAIN="pd\nBcc: v@y.org")),
        ("QMAILIDHOST", b"To: a@x.org\n\n", [],
         dict(USER, QMAILIDHOST="id.org>\nBcc: v@y.org"))):
    instance_reset()
    controls(**CTL)
    rc, out, err = inject(msg, args, env)
    t.ok(rc == 100 and b"may not hold CR, LF or NUL" in err and
         err.startswith(b"qmail-inject: fatal: unable to accept ") and
         queued() == [],
         "CR/LF in %s: exit 100, clear message, nothing queued" % what)
    rc, out, err = inject(msg, ["-n"] + args, env)
    t.ok(rc == 100 and b"Bcc: v" not in out,
         "CR/LF in %s: refused with -n too" % what)
rc, snd, rcpts, mess, err = envelope_of(
    b'To: "x\rBcc: v"@y.org\n\n', env=USER)
t.ok(rc == 0 and rcpts == ["xBcc: v@y.org"] and b"\r" not in mess,
     "a CR inside a header address never reaches the envelope")

# QMAILQUEUE and queue failures
instance_reset()
controls(**CTL)
with tempfile.TemporaryDirectory() as d:
    fake = os.path.join(d, "fakeq")
    with open(fake, "w") as f:
        f.write("#!/bin/sh\ncat >/dev/null; exit %s\n")
    for code, want in ((0, 0), (31, 100), (71, 111), (53, 111)):
        with open(fake, "w") as f:
            f.write("#!/bin/sh\ncat >%s/msg; exit %d\n" % (d, code))
        os.chmod(fake, 0o755)
        rc, out, err = inject(b"To: a@x.org\n\n",
                              env=dict(USER, QMAILQUEUE=fake))
        t.eq(rc, want, "QMAILQUEUE exiting %d gives %d" % (code, want))
    t.eq(queue_files("todo"), {}, "QMAILQUEUE replaces qmail-queue")
    rc, out, err = inject(b"To: a@x.org\n\n",
                          env=dict(USER, QMAILQUEUE=d + "/missing"))
    t.eq(rc, 111, "QMAILQUEUE that cannot run: 111")

# --- odd and hostile input -------------------------------------------------
rc, out, err = inject(b"To: a@x.org\nnot a header line\nmore\n",
                      ["-n"], USER)
t.ok(rc == 0 and out.decode().endswith("\n\nnot a header line\nmore\n"),
     "a line that is not a field starts the body")
rc, out, err = inject(b"", ["-n"], USER)
t.eq(rc, 0, "empty input accepted with -n")
rc, out, err = inject(b"To: \"unterminated@x.org\n\nb\n", ["-n"], USER)
t.eq(rc, 0, "unterminated quote: accepted")
t.ok(b'To: unterminated@x.org\n' in out, "... and closed")
rc, out, err = inject(b"To: a@x.org (open (comment\n\n", ["-n"], USER)
t.eq(rc, 0, "unterminated comment: accepted")
t.ok(b"To: a@x.org (open (comment))\n" in out, "... and closed")
rc, out, err = inject(b"To: " + b"(" * 20000 + b"x\n\n", ["-n"], USER)
t.eq(rc, 0, "20000-deep comment nesting: accepted")
rc, out, err = inject(b"To: a\0b@x.org\nX-N: \0\n\nbody\0\n", ["-n"], USER)
t.eq(rc, 0, "NUL bytes: accepted")
t.ok(b"To: a b@x.org" not in out and b"\0" not in out.split(b"\n\n")[0]
     .split(b"X-N")[0], "no NUL in rewritten address fields")
t.ok(out.endswith(b"body\0\n"), "body bytes passed through")
rc, out, err = inject(b"To: \xe9l\xe8ve@x.org\nSubject: \xff\n\n",
                      ["-n"], USER)
t.ok(rc == 0 and b"\xe9l\xe8ve" in out and b"Subject: \xff" in out,
     "8-bit bytes pass through")
rc, out, err = inject(b"To: a@x.org\r\nSubject: crlf\r\n\r\nb\r\n",
                      ["-n"], USER)
t.eq(rc, 0, "CRLF input accepted")
rc, out, err = inject(b"To: " + b"a" * 100000 + b"\n\n", ["-n"], USER)
t.eq(rc, 100, "one address over the address limit: exit 100")
t.ok(b"too long" in err, "... with a clear message")
rc, out, err = inject(b"X: y\n", ["-q"], USER)
t.eq(rc, 100, "unknown option: exit 100")
t.ok(b"usage" in err, "... with a usage message")


def measured(args, infile, env):
    """Run qmail-inject in a fresh process; return (rc, maxrss KiB)."""
    code = ("import os,resource,subprocess,sys\n"
            "f=open(sys.argv[1],'rb')\n"
            "p=subprocess.run(sys.argv[2:],stdin=f,stdout=subprocess.DEVNULL,"
            "stderr=subprocess.DEVNULL)\n"
            "print(p.returncode,"
            "resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n")
    e = dict(os.environ)
    e.update(env)
    p = subprocess.run([sys.executable, "-c", code, infile, INJECT] + args,
                       env=e, stdout=subprocess.PIPE, timeout=300)
    rc, kb = p.stdout.split()
    return int(rc), int(kb)


with tempfile.TemporaryDirectory() as d:
    big = os.path.join(d, "big")
    with open(big, "wb") as f:
        f.write(b"To: a@x.org\nX-Long: ")
        f.write(b"x" * (20 * 1024 * 1024))
        f.write(b"\n\nbody\n")
    rc, kb = measured(["-n"], big, USER)
    t.eq(rc, 100, "20 MB header line: permanent error 100")
    t.ok(kb < MEM_LIMIT_KB, "20 MB header line: peak memory %d KiB bounded"
         % kb)
    rc, out, err = inject(open(big, "rb").read(), ["-n"], USER)
    t.ok(b"header line longer than" in err, "... with a clear message")

    many = os.path.join(d, "many")
    with open(many, "wb") as f:
        f.write(b"To: ")
        f.write(b", ".join(b"u%d@example.org" % i for i in range(100000)))
        f.write(b"\nSubject: many\n\n")
        f.write(b"0123456789abcdef\n" * (2 * 1024 * 1024 // 17))
    instance_reset()
    controls(**CTL)
    rc, kb = measured([], many, USER)
    t.eq(rc, 0, "100,000 recipients in one field: queued")
    t.ok(kb < MEM_LIMIT_KB, "100,000 recipients: peak memory %d KiB bounded"
         % kb)
    q = queued()
    if q:
        recs = q[0][1]
        t.eq(sum(1 for r in recs if r.startswith("T")), 100000,
             "... all 100,000 are envelope recipients")
        t.eq(recs[-1], "Tu99999@example.org", "... in order")
    else:
        t.ok(False, "... message in the queue")

    bigbody = os.path.join(d, "bigbody")
    with open(bigbody, "wb") as f:
        f.write(b"To: a@x.org\n\n")
        chunk = b"y" * 1023 + b"\n"
        for i in range(80 * 1024):
            f.write(chunk)
    rc, kb = measured(["-n"], bigbody, USER)
    t.eq(rc, 0, "80 MB body: passed through")
    t.ok(kb < MEM_LIMIT_KB, "80 MB body is streamed (peak %d KiB)" % kb)

t.done()
