#!/usr/bin/env python3
"""Black-box tests of qmail-local, run directly as the current user with a
temporary home directory (dot-qmail(5), qmail-local(8), qmail-command(8))."""
import mailbox
import os
import re
import resource
import shutil
import stat
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from tap import Tap, QHOME, QBIN, instance_reset  # noqa: E402

t = Tap()
QL = os.path.join(QBIN, "qmail-local")
TOP = tempfile.mkdtemp(prefix="qltest.")
os.chmod(TOP, 0o755)
MSG = b"From: a@example.org\nSubject: hi\n\nbody\n"


def new_home():
    home = tempfile.mkdtemp(dir=TOP)
    os.chmod(home, 0o755)
    return home


def write(path, data, mode=0o644):
    with open(path, "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())
    os.chmod(path, mode)


def read(path):
    with open(path, "rb") as f:
        return f.read()


def run(home, local="joe", dash="", ext="", domain="example.com",
        sender="s@example.net", dd="./Mailbox", msg=MSG, flags=(),
        env=None, pipe=False, user="joe"):
    """Run qmail-local; returns (exit code, stdout, stderr)."""
    e = dict(os.environ)
    e.pop("QMAILQUEUE", None)
    if env:
        e.update(env)
    argv = [QL] + list(flags) + [user, home, local, dash, ext, domain,
                                 sender, dd]
    if pipe:
        p = subprocess.run(argv, input=msg, capture_output=True, env=e)
    else:
        with tempfile.TemporaryFile(dir=TOP) as f:
            f.write(msg)
            f.seek(0)
            p = subprocess.run(argv, stdin=f, capture_output=True, env=e)
    return p.returncode, p.stdout, p.stderr


def maildir(home, name="Maildir"):
    d = os.path.join(home, name)
    for sub in ("", "tmp", "new", "cur"):
        os.makedirs(os.path.join(d, sub), exist_ok=True)
    return d


def maildir_messages(d):
    md = mailbox.Maildir(d, factory=None, create=False)
    return [md.get_bytes(k) for k in sorted(md.keys())]


RECORDER = os.path.join(TOP, "recorder")
write(RECORDER, "#!/bin/sh\n"
      'cat > "$QLREC/msg" || exit 54\n'
      'cat <&1 > "$QLREC/env" || exit 54\n'
      'exit "${QLREC_EXIT:-0}"\n', 0o755)


def recorder_env(code=0):
    rec = tempfile.mkdtemp(dir=TOP)
    return rec, {"QMAILQUEUE": RECORDER, "QLREC": rec,
                 "QLREC_EXIT": str(code)}


def envelope(rec):
    return read(os.path.join(rec, "env"))


# --- default delivery, mbox -----------------------------------------------
h = new_home()
rc, out, err = run(h)
t.eq(rc, 0, "missing .qmail: default delivery succeeds")
t.eq(out, b"did 1+0+0\n", "report is did 1+0+0")
box = mailbox.mbox(os.path.join(h, "Mailbox"), create=False)
msgs = list(box)
t.eq(len(msgs), 1, "one message in the default mbox")
t.ok(msgs[0].get_from().startswith("s@example.net "),
     "From_ line carries the envelope sender")
raw = read(os.path.join(h, "Mailbox"))
t.ok(re.match(rb"From s@example\.net [A-Z][a-z]{2} [A-Z][a-z]{2} [ 0-9]\d "
              rb"\d\d:\d\d:\d\d \d{4}\nReturn-Path: <s@example\.net>\n"
              rb"Delivered-To: joe@example\.com\n", raw) is not None,
     "mbox: From_, Return-Path, Delivered-To in that order")
t.ok(raw.endswith(MSG + b"\n"), "mbox: message then one blank line")
t.eq(stat.S_IMODE(os.stat(os.path.join(h, "Mailbox")).st_mode), 0o600,
     "a new mbox is created mode 0600")

rc, out, err = run(h, sender="")
box = mailbox.mbox(os.path.join(h, "Mailbox"), create=False)
t.eq(len(list(box)), 2, "second delivery appends")
t.ok(list(box)[1].get_from().startswith("MAILER-DAEMON "),
     "null sender is MAILER-DAEMON in the From_ line")
t.ok(b"Return-Path: <>\n" in read(os.path.join(h, "Mailbox")),
     "null sender gives Return-Path: <>")

# ">From " quoting: read back intact by mailbox.mbox
h = new_home()
body = (b"Subject: quoting\n\nFrom the start\n>From quoted\nnot From\n"
        b"From\n>>From deep\nlast line without newline")
rc, out, err = run(h, msg=body)
rc2, out, err = run(h, msg=MSG)
box = mailbox.mbox(os.path.join(h, "Mailbox"), create=False)
msgs = list(box)
t.eq((rc, rc2, len(msgs)), (0, 0, 2),
     "mbox with From lines in the body holds exactly two messages")


def unquote(b):
    return re.sub(rb"(?m)^>(>*From )", rb"\1", b)


got = msgs[0].as_bytes(unixfrom=False)
t.eq(unquote(got.split(b"\n\n", 1)[1]).rstrip(b"\n"),
     body.split(b"\n\n", 1)[1], "body with From lines intact after unquoting")
t.ok(b"\n>From the start\n>>From quoted\nnot From\nFrom\n>>>From deep\n"
     in read(os.path.join(h, "Mailbox")),
     "^>*From lines get one more '>'")
t.eq(msgs[1].get_payload(), "body\n", "next message parsed separately")

# --- Maildir ---------------------------------------------------------------
h = new_home()
d = maildir(h)
write(os.path.join(h, ".qmail"), "./Maildir/\n")
rc, out, err = run(h)
t.eq((rc, out), (0, b"did 1+0+0\n"), "maildir delivery succeeds")
got = maildir_messages(d)
t.eq(len(got), 1, "one message in Maildir/new")
t.eq(got[0] if got else None,
     b"Return-Path: <s@example.net>\nDelivered-To: joe@example.com\n" + MSG,
     "maildir file: Return-Path, Delivered-To, message; no From_, no quoting")
t.eq(os.listdir(os.path.join(d, "tmp")), [], "tmp/ left empty")
names = os.listdir(os.path.join(d, "new"))
t.ok(all(re.match(r"^\d+\.M\d+P\d+Q\d+\.[^/:]+$", n) for n in names),
     "unique name is time.MusecPpidQseq.host")
write(os.path.join(h, ".qmail"), "%s/\n./Maildir/\n" % d)
rc, out, err = run(h)
t.eq((rc, out, len(maildir_messages(d))), (0, b"did 2+0+0\n", 3),
     "absolute and relative maildir lines, two deliveries")
write(os.path.join(h, ".qmail"), "./NoSuchMaildir/\n")
rc, out, err = run(h)
t.eq(rc, 111, "missing maildir is a temporary failure")
t.ok(b"NoSuchMaildir" in err, "failure names the maildir")

# mbox by absolute path, in a subdirectory that does not exist
h = new_home()
write(os.path.join(h, ".qmail"), "%s/box\n./nodir/box\n" % h)
rc, out, err = run(h)
t.eq(rc, 111, "unwritable mbox path is a temporary failure")
t.eq(len(list(mailbox.mbox(os.path.join(h, "box")))), 1,
     "absolute mbox line delivered before the failing one")

# --- programs and their environment ---------------------------------------
h = new_home()
write(os.path.join(h, ".qmail-foo-default"),
      "|env > envout; cat > msgout; pwd > pwdout\n")
rc, out, err = run(h, local="joe-foo-Bar-baz-qux", dash="-",
                   ext="foo-Bar-baz-qux", domain="a.b.c.d.example",
                   sender="s@example.net")
t.eq((rc, out), (0, b"did 0+0+1\n"), "program delivery, did 0+0+1")
envout = dict(l.split("=", 1) for l in
              read(os.path.join(h, "envout")).decode().split("\n")
              if "=" in l and not l.startswith(" "))
want = {"SENDER": "s@example.net", "NEWSENDER": "s@example.net",
        "RECIPIENT": "joe-foo-Bar-baz-qux@a.b.c.d.example", "USER": "joe",
        "HOME": h, "LOCAL": "joe-foo-Bar-baz-qux", "HOST": "a.b.c.d.example",
        "HOST2": "a.b.c.d", "HOST3": "a.b.c", "HOST4": "a.b",
        "EXT": "foo-Bar-baz-qux", "EXT2": "Bar-baz-qux", "EXT3": "baz-qux",
        "EXT4": "qux", "DEFAULT": "Bar-baz-qux"}
for k, v in want.items():
    t.eq(envout.get(k), v, "program environment: %s" % k)
envraw = read(os.path.join(h, "envout"))
t.ok(b"DTLINE=Delivered-To: joe-foo-Bar-baz-qux@a.b.c.d.example\n\n"
     in envraw, "DTLINE is the Delivered-To line with its newline")
t.ok(b"RPLINE=Return-Path: <s@example.net>\n\n" in envraw,
     "RPLINE is the Return-Path line with its newline")
t.ok(re.search(rb"UFLINE=From s@example\.net [A-Z][a-z]{2} .* \d{4}\n\n",
               envraw) is not None, "UFLINE is the From_ line")
t.eq(read(os.path.join(h, "msgout")), MSG,
     "program reads the message without Return-Path/Delivered-To")
t.eq(read(os.path.join(h, "pwdout")).strip().decode(), h,
     "program runs in the home directory")

h = new_home()
write(os.path.join(h, ".qmail"), "|env > envout\n")
rc, out, err = run(h)
envout = read(os.path.join(h, "envout")).decode()
t.ok("\nDEFAULT=" not in "\n" + envout, "DEFAULT unset without a default")
t.ok("\nEXT=\n" in "\n" + envout and "\nEXT2=\n" in "\n" + envout,
     "EXT and EXT2 empty for the bare address")
t.ok("\nHOST2=example\n" in "\n" + envout, "HOST2 drops the last part")

# exit codes
for code, want_rc in [(0, 0), (99, 0), (100, 100), (111, 111), (1, 111),
                      (2, 111), (64, 100), (65, 100), (70, 100), (76, 100),
                      (77, 100), (78, 100), (112, 100), (75, 111),
                      (101, 111), (255, 111)]:
    h = new_home()
    write(os.path.join(h, ".qmail"),
          "|echo program says hello; exit %d\n./Mailbox\n" % code)
    rc, out, err = run(h)
    t.eq(rc, want_rc, "program exit %d gives qmail-local exit %d"
         % (code, want_rc))
    if code in (0, 99, 100):
        t.ok(b"program says hello\n" in out, "program output in the report"
             " (exit %d)" % code)
    if code in (0, 99):
        t.eq(os.path.exists(os.path.join(h, "Mailbox")), code == 0,
             "exit %d: %s the next line" %
             (code, "goes on to" if code == 0 else "stops before"))
h = new_home()
write(os.path.join(h, ".qmail"), "&fwd@example.org\n|exit 99\n./Mailbox\n")
rec, env = recorder_env()
rc, out, err = run(h, env=env)
t.eq(rc, 0, "exit 99 after a forward: success")
t.ok(os.path.exists(os.path.join(rec, "env")),
     "exit 99 still sends the earlier forwards")
t.ok(not os.path.exists(os.path.join(h, "Mailbox")),
     "exit 99 skips the later lines")
h = new_home()
write(os.path.join(h, ".qmail"), "|kill -9 $$\n")
rc, out, err = run(h)
t.eq(rc, 111, "program killed by a signal: temporary failure")

# bounded program output
h = new_home()
write(os.path.join(h, ".qmail"),
      "|head -c 60000000 /dev/zero | tr '\\0' x; head -c 60000000 "
      "/dev/zero | tr '\\0' y >&2; exit 0\n")
rc, out, err = run(h)
t.eq(rc, 0, "program writing 120 MB of output succeeds")
t.ok(len(out) < 5000, "only the start of its output is kept (%d bytes)"
     % len(out))
t.ok(out.endswith(b"did 0+0+1\n"), "report still ends with did 0+0+1")

# --- forwarding -----------------------------------------------------------
h = new_home()
write(os.path.join(h, ".qmail"),
      "&one@example.org\ntwo@example.org   \t\n# comment\n&three@x.y\n")
rec, env = recorder_env()
rc, out, err = run(h, env=env)
t.eq(rc, 0, "forwarding succeeds")
t.ok(re.fullmatch(rb"did 0\+3\+0\nqp \d+\n", out) is not None,
     "report: did 0+3+0 and the qp line (%r)" % out)
t.eq(envelope(rec),
     b"Fs@example.net\0Tone@example.org\0Ttwo@example.org\0Tthree@x.y\0\0",
     "one injection, all forward addresses, trailing blanks dropped")
t.eq(read(os.path.join(rec, "msg")),
     b"Delivered-To: joe@example.com\n" + MSG,
     "forwarded message gets Delivered-To, not Return-Path")

rec, env = recorder_env(31)
rc, out, err = run(h, env=env)
t.eq(rc, 100, "qmail-queue permanent refusal: permanent failure")
rec, env = recorder_env(53)
rc, out, err = run(h, env=env)
t.eq(rc, 111, "qmail-queue write error: temporary failure")
t.ok(b"Unable to forward message" in err, "forward failure explained")

# forwards happen after everything else; a failure prevents them
h = new_home()
write(os.path.join(h, ".qmail"), "&x@example.org\n|exit 111\n")
rec, env = recorder_env()
rc, out, err = run(h, env=env)
t.eq(rc, 111, "failing program after a forward line")
t.ok(not os.path.exists(os.path.join(rec, "env")),
     "no forwarding when another instruction failed")

# NEWSENDER
for files, sender, want_ns in [
        ([], "s@example.net", "s@example.net"),
        ([".qmail-list-owner"], "s@example.net", "joe-list-owner@example.com"),
        ([".qmail-list-owner", ".qmail-list-owner-default"], "s@example.net",
         "joe-list-owner-@example.com-@[]"),
        ([".qmail-list-owner"], "", ""),
        ([".qmail-list-owner"], "#@[]", "#@[]")]:
    h = new_home()
    write(os.path.join(h, ".qmail-list"), "|echo \"$NEWSENDER\" >ns\n&a@b.c\n")
    for f in files:
        write(os.path.join(h, f), "./owner\n")
    rec, env = recorder_env()
    rc, out, err = run(h, local="joe-list", dash="-", ext="list",
                       sender=sender, env=env)
    t.eq((rc, read(os.path.join(h, "ns")).decode().rstrip("\n")),
         (0, want_ns), "NEWSENDER with %s and sender %r" % (files, sender))
    t.eq(envelope(rec), b"F" + want_ns.encode() + b"\0Ta@b.c\0\0",
         "forward uses NEWSENDER (%r)" % want_ns)

# through the real qmail-queue of the test instance
instance_reset()
h = new_home()
write(os.path.join(h, ".qmail"), "&real@example.org\n")
rc, out, err = run(h)
t.eq(rc, 0, "forward through the instance's qmail-queue")
todo = [f for _, _, fs in os.walk(os.path.join(QHOME, "queue", "todo"))
        for f in fs]
t.eq(len(todo), 1, "the forwarded message is in the queue")
m = re.search(rb"qp (\d+)", out)
t.ok(m is not None, "qp line printed")

# --- lookup order ---------------------------------------------------------
h = new_home()
for f in (".qmail-foo-bar", ".qmail-foo-default", ".qmail-default"):
    write(os.path.join(h, f), "|echo %s:$DEFAULT > which\n" % f)


def which(ext, dash="-"):
    try:
        os.unlink(os.path.join(h, "which"))
    except FileNotFoundError:
        pass
    rc, out, err = run(h, local="joe-" + ext, dash=dash, ext=ext)
    try:
        return rc, read(os.path.join(h, "which")).decode().strip()
    except FileNotFoundError:
        return rc, err.decode().strip()


t.eq(which("foo-bar"), (0, ".qmail-foo-bar:"), "exact .qmail-foo-bar first")
t.eq(which("FOO-Bar"), (0, ".qmail-foo-bar:"), "extension folded to lower")
t.eq(which("foo-baz"), (0, ".qmail-foo-default:baz"),
     ".qmail-foo-default next, DEFAULT=baz")
t.eq(which("foo-Baz-x"), (0, ".qmail-foo-default:Baz-x"),
     "DEFAULT keeps the original case")
t.eq(which("other"), (0, ".qmail-default:other"),
     ".qmail-default last, DEFAULT=other")
os.unlink(os.path.join(h, ".qmail-foo-bar"))
t.eq(which("foo-bar"), (0, ".qmail-foo-default:bar"),
     "without .qmail-foo-bar: .qmail-foo-default")
os.unlink(os.path.join(h, ".qmail-foo-default"))
t.eq(which("foo-bar"), (0, ".qmail-default:foo-bar"),
     "without both: .qmail-default with DEFAULT=foo-bar")
os.unlink(os.path.join(h, ".qmail-default"))
t.eq(which("foo-bar"),
     (100, "Sorry, no mailbox here by that name. (#5.1.1)"),
     "no file at all: permanent failure")
write(os.path.join(h, ".qmail-a:b"), "|echo dots > which\n")
t.eq(which("a.b"), (0, "dots"), "dots in the extension become colons")
t.eq(which("A/b"), (0, "dots"), "slashes in the extension become colons")
write(os.path.join(h, ".qmail-empty"), "")
rc, out, err = run(h, local="joe-empty", dash="-", ext="empty")
t.eq((rc, os.path.exists(os.path.join(h, "Mailbox"))), (0, True),
     "an empty .qmail-ext means defaultdelivery")
h = new_home()
rc, out, err = run(h, dash="", ext="")
t.eq((rc, out), (0, b"did 1+0+0\n"),
     "empty dash: missing .qmail means defaultdelivery")
write(os.path.join(h, ".qmail-default"), "|echo x > which\n")
rc, out, err = run(h, dash="-", ext="")
t.eq(read(os.path.join(h, "which")), b"x\n",
     "dash '-' and empty ext: .qmail-default")

# --- loops ----------------------------------------------------------------
h = new_home()
looped = b"Received: x\nDelivered-To: joe@example.com\nSubject: l\n\nbody\n"
rc, out, err = run(h, msg=looped)
t.eq(rc, 100, "message with my Delivered-To line bounces")
t.eq(err, b"This message is looping: it already has my Delivered-To line. "
     b"(#5.4.6)\n", "loop text as qmail's")
t.ok(not os.path.exists(os.path.join(h, "Mailbox")), "nothing delivered")
rc, out, err = run(h, msg=b"Delivered-To: other@example.com\n\n"
                   b"Delivered-To: joe@example.com\n")
t.eq(rc, 0, "Delivered-To in the body or for another address is no loop")
rc, out, err = run(h, msg=looped, pipe=True)
t.eq(rc, 100, "loop detected on a non-seekable stdin too")

# --- permissions, sticky bit ----------------------------------------------
for mode in (0o775, 0o757):
    h = new_home()
    os.chmod(h, mode)
    rc, out, err = run(h)
    t.eq((rc, err), (111, b"Uh-oh: home directory is writable. (#4.7.0)\n"),
         "home mode %o: temporary failure" % mode)
for mode in (0o664, 0o646):
    h = new_home()
    write(os.path.join(h, ".qmail"), "./Mailbox\n", mode)
    rc, out, err = run(h)
    t.eq((rc, err), (111, b"Uh-oh: .qmail file is writable. (#4.7.0)\n"),
         ".qmail mode %o: temporary failure" % mode)
h = new_home()
os.chmod(h, 0o1755)
rc, out, err = run(h)
t.eq((rc, err), (111, b"Home directory is sticky: user is editing his "
                 b".qmail file. (#4.2.1)\n"), "sticky home defers")
t.ok(not os.path.exists(os.path.join(h, "Mailbox")), "sticky: no delivery")
rc, out, err = run(h, flags=["-n"])
t.eq((rc, err), (0, b"Warning: home directory is sticky.\n"),
     "-n with a sticky home only warns")
h = new_home()
write(os.path.join(h, ".qmail"), "./Mailbox\n", 0o744)
rc, out, err = run(h)
t.eq(rc, 111, "x bit with an mbox line: temporary failure")
t.ok(b"x bit" in err, "x bit failure explained")
write(os.path.join(h, ".qmail"), "|true\n", 0o744)
rc, out, err = run(h)
t.eq(rc, 111, "x bit with a program line: temporary failure")
write(os.path.join(h, ".qmail"), "&a@b.c\n", 0o744)
rec, env = recorder_env()
rc, out, err = run(h, env=env)
t.eq(rc, 0, "x bit with only forwards is fine")
write(os.path.join(h, ".qmail"), "\n./Mailbox\n")
rc, out, err = run(h)
t.eq((rc, err), (111, b"Uh-oh: first line of .qmail file is blank. "
                 b"(#4.2.1)\n"), "blank first line: temporary failure")
write(os.path.join(h, ".qmail"), "./Mailbox\n\n\n./Mailbox\n")
rc, out, err = run(h)
t.eq((rc, out), (0, b"did 2+0+0\n"), "blank lines later are skipped")

# --- -n and -N ------------------------------------------------------------
h = new_home()
write(os.path.join(h, ".qmail"),
      "# c\n|prog arg\n&a@b.c\nb@c.d\n./Mailbox\n/abs/Maildir/\n")
rc, out, err = run(h, flags=["-n"], msg=b"")
t.eq((rc, out), (0, b"program: prog arg\nforward: a@b.c\nforward: b@c.d\n"
                 b"mbox: ./Mailbox\nmaildir: /abs/Maildir/\n"),
     "-n describes the instructions")
t.ok(not os.path.exists(os.path.join(h, "Mailbox")), "-n delivers nothing")
write(os.path.join(h, ".qmail"), "./Mailbox\n")
rc, out, err = run(h, flags=["-nN"])
t.eq((rc, out), (0, b"did 1+0+0\n"), "-N after -n delivers")
rc, out, err = run(h, flags=["-x"])
t.eq(rc, 100, "unknown option: usage, exit 100")
p = subprocess.run([QL, "a", "b"], capture_output=True)
t.eq(p.returncode, 100, "wrong argument count: exit 100")
rc, out, err = run("relative/home")
t.eq(rc, 111, "relative home directory: temporary failure")

# --- non-seekable stdin ---------------------------------------------------
h = new_home()
maildir(h)
write(os.path.join(h, ".qmail"), "|cat > p1\n./Mailbox\n./Maildir/\n"
      "|cat > p2\n")
big = MSG + b"x" * 300000 + b"\n"
rc, out, err = run(h, msg=big, pipe=True)
t.eq((rc, out), (0, b"did 2+0+2\n"), "non-seekable stdin: all deliveries")
t.eq((read(os.path.join(h, "p1")), read(os.path.join(h, "p2"))), (big, big),
     "each program got the whole message")
t.eq(maildir_messages(os.path.join(h, "Maildir"))[0].split(b"\n", 2)[2], big,
     "maildir got the whole message")

# --- hostile input --------------------------------------------------------
h = new_home()
write(os.path.join(h, ".qmail-default"), "./Mailbox\n")
rc, out, err = run(h, local="joe-x\n|touch pwned", dash="-",
                   ext="x\n|touch pwned", sender="evil\n@x")
t.eq(rc, 0, "extension with a newline and '|': delivered by default")
t.ok(not os.path.exists(os.path.join(h, "pwned")),
     "the extension never becomes an instruction")
raw = read(os.path.join(h, "Mailbox"))
t.ok(b"Delivered-To: joe-x_|touch pwned@example.com\n" in raw,
     "newline in the recipient written as '_' in Delivered-To")
t.ok(b"Return-Path: <evil_@x>\n" in raw, "newline in the sender as '_'")
t.eq(len(list(mailbox.mbox(os.path.join(h, "Mailbox")))), 1,
     "the mbox still holds exactly one message")
rc, out, err = run(h, local="joe-../../etc", dash="-", ext="../../etc")
t.eq(rc, 0, "'../' in the extension is harmless (dots become colons)")

# thousands of lines
h = new_home()
maildir(h)
lines = "".join("# comment %d\n" % i for i in range(5000))
lines += "".join("&r%d@example.org\n" % i for i in range(3000))
lines += "./Maildir/\n"
write(os.path.join(h, ".qmail"), lines)
rec, env = recorder_env()
rc, out, err = run(h, env=env)
t.eq(rc, 0, ".qmail with 8001 lines")
t.ok(out.startswith(b"did 1+3000+0\n"), "3000 forwards counted")
t.eq(envelope(rec).count(b"\0T"), 3000, "one injection, 3000 recipients")

# a 100 MB message, streamed
h = new_home()
maildir(h)
write(os.path.join(h, ".qmail"), "./Maildir/\n")
big = os.path.join(TOP, "big")
with open(big, "wb") as f:
    f.write(MSG)
    line = b"y" * 99 + b"\n"
    chunk = line * 10000
    for _ in range(100):
        f.write(chunk)
with open(big, "rb") as f:
    p = subprocess.run([QL, "joe", h, "joe", "", "", "example.com", "s@x",
                        "./Mailbox"], stdin=f, capture_output=True)
rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
t.eq(p.returncode, 0, "100 MB message delivered to a Maildir")
new = os.listdir(os.path.join(h, "Maildir", "new"))
size = os.path.getsize(os.path.join(h, "Maildir", "new", new[0]))
t.eq(size, os.path.getsize(big) + len(b"Return-Path: <s@x>\n"
                                      b"Delivered-To: joe@example.com\n"),
     "whole message written")
t.ok(rss < 80 * 1024,
     "memory stays bounded (max rss %d KiB)" % rss)
os.unlink(big)

shutil.rmtree(TOP, ignore_errors=True)
t.done()
