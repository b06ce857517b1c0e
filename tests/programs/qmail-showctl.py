#!/usr/bin/env python3
"""Black-box tests of qmail-showctl: qmail's explanations of control/."""
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from tap import Tap, QHOME, QBIN, instance_reset  # noqa: E402

t = Tap()
CONTROL = os.path.join(QHOME, "control")
SHOWCTL = os.path.join(QBIN, "qmail-showctl")


def showctl():
    p = subprocess.run([SHOWCTL], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=60)
    return p.returncode, p.stdout.decode("latin-1"), p.stderr.decode()


def entries(out):
    """{file name: its explanation} from the blank-line separated entries
    after the settings."""
    parts = out.split("\n\n")
    result = {}
    for p in parts[1:]:
        name, _, rest = p.partition(": ")
        result[name] = rest.rstrip("\n")
    return parts[0], result


def put(name, data, mtime=None):
    path = os.path.join(CONTROL, name)
    with open(path, "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())
    if mtime is not None:
        os.utime(path, (mtime, mtime))


DEFAULTS = """
badmailfrom: (Default.) Any MAIL FROM is allowed.

bouncefrom: (Default.) Bounce user name is MAILER-DAEMON.

bouncehost: (Default.) Bounce host name is bouncehost.

concurrencylocal: (Default.) Local concurrency is 10.

concurrencyremote: (Default.) Remote concurrency is 20.

databytes: (Default.) SMTP DATA limit is 0 bytes.

defaultdomain: (Default.) Default domain name is defaultdomain.

defaulthost: (Default.) Default host name is defaulthost.

doublebouncehost: (Default.) 2B recipient host: doublebouncehost.

doublebounceto: (Default.) 2B recipient user: postmaster.

envnoathost: (Default.) Presumed domain name is envnoathost.

helohost: (Default.) SMTP client HELO host name is helohost.

idhost: (Default.) Message-ID host name is idhost.

localiphost: (Default.) Local IP address becomes localiphost.

locals: (Default.) Messages for me are delivered locally.

me: (Default.) My name is undefined! Uh-oh.

percenthack: (Default.) The percent hack is not allowed.

plusdomain: (Default.) Plus domain name is plusdomain.

qmqpservers: (Default.) No QMQP servers.

queuelifetime: (Default.) Message lifetime in the queue is 604800 seconds.

rcpthosts: (Default.) SMTP clients may send messages to any recipient.

morercpthosts: (Default.) No rcpthosts; morercpthosts is irrelevant.

morercpthosts.cdb: (Default.) No effect.

smtpgreeting: (Default.) SMTP greeting: 220 smtpgreeting.

smtproutes: (Default.) No artificial SMTP routes.

timeoutconnect: (Default.) SMTP client connection timeout is 60 seconds.

timeoutremote: (Default.) SMTP client data timeout is 1200 seconds.

timeoutsmtpd: (Default.) SMTP server data timeout is 1200 seconds.

virtualdomains: (Default.) No virtual domains.
"""

# --- an empty control/: every default, in qmail's order and words ---------
instance_reset()
for f in os.listdir(CONTROL):
    os.unlink(os.path.join(CONTROL, f))
rc, out, err = showctl()
t.eq(rc, 0, "no control files: exit 0")
t.eq(err, "", "no control files: nothing on stderr")
settings, _, rest = out.partition("\n\n")
t.eq("\n" + rest, DEFAULTS, "no control files: qmail's default explanations")
slines = settings.split("\n")
t.eq(slines[0], "qmail home directory: %s." % QHOME,
     "first line names the compiled-in qmail home")
t.ok("subdirectory split: 23." in slines, "split shown")
t.ok("user-ext delimiter: -." in slines, "user-ext delimiter shown")
uid = [x for x in slines if x.startswith("user ids: ")]
t.eq(uid, ["user ids: %s." % ", ".join([str(os.getuid())] * 8)],
     "user ids in qmail's order (unprivileged build: all the builder's)")
t.ok("group ids: %d, %d." % (os.getgid(), os.getgid()) in slines,
     "group ids shown")
t.ok("user names: alias, qmaild, qmaill, root, qmailp, qmailq, qmailr, "
     "qmails." in slines, "user names shown in the same order")
t.ok("group names: nofiles, qmail." in slines, "group names shown")

# --- me supplies the defaults of the host name files ------------------------
put("me", "mail.example.com\n")
rc, out, err = showctl()
_, e = entries(out)
t.eq(e["me"], "My name is mail.example.com.", "me: value shown")
for name, want in (
        ("bouncehost", "(Default.) Bounce host name is mail.example.com."),
        ("helohost", "(Default.) SMTP client HELO host name is "
                     "mail.example.com."),
        ("smtpgreeting", "(Default.) SMTP greeting: 220 mail.example.com."),
        ("idhost", "(Default.) Message-ID host name is mail.example.com."),
        ("bouncefrom", "(Default.) Bounce user name is MAILER-DAEMON."),
        ("doublebounceto", "(Default.) 2B recipient user: postmaster.")):
    t.eq(e[name], want, "%s: default follows me where qmail's does" % name)

# --- values that are set ------------------------------------------------------
put("concurrencyremote", "255\n")
put("databytes", "  1000000 # a megabyte\n")
put("timeoutconnect", "abc\n")
put("defaulthost", "example.com\r\n")
put("locals", "# local domains\nexample.com\n\nmail.example.com  \n")
put("badmailfrom", "spam@example.net\n@junk.example\n")
put("smtproutes", ":relay.example.net\n.internal:10.0.0.1:2525\n")
put("virtualdomains", "virt.example:joe\n")
put("percenthack", "example.com\n")
put("qmqpservers", "192.0.2.1\n")
put("plusdomain", b"ex\x01ample\xff.com\n")
rc, out, err = showctl()
_, e = entries(out)
t.eq(rc, 0, "values set: exit 0")
t.eq(e["concurrencyremote"], "Remote concurrency is 255.", "number shown")
t.eq(e["databytes"], "SMTP DATA limit is 1000000 bytes.",
     "number read the library's way (leading spaces, trailing comment)")
t.eq(e["timeoutconnect"],
     "(Default.) SMTP client connection timeout is 60 seconds.",
     "number that is not a number: the default, as in qmail")
t.eq(e["defaulthost"], "Default host name is example.com.",
     "line: trailing CR LF stripped")
t.eq(e["locals"], "\nMessages for example.com are delivered locally.\n"
     "Messages for mail.example.com are delivered locally.",
     "list: one line per entry, comments and blank lines skipped")
t.eq(e["badmailfrom"], "\nspam@example.net not accepted in MAIL FROM.\n"
     "@junk.example not accepted in MAIL FROM.", "badmailfrom entries")
t.eq(e["smtproutes"], "\nSMTP route: :relay.example.net\n"
     "SMTP route: .internal:10.0.0.1:2525", "smtproutes entries")
t.eq(e["virtualdomains"], "\nVirtual domain: virt.example:joe",
     "virtualdomains entries")
t.eq(e["percenthack"], "\nThe percent hack is allowed for "
     "user%host@example.com.", "percenthack entries")
t.eq(e["qmqpservers"], "\nQMQP server: 192.0.2.1.", "qmqpservers entries")
t.eq(e["plusdomain"], "Plus domain name is ex?ample?.com.",
     "bytes outside printable ASCII shown as ?")

# --- rcpthosts, morercpthosts and its cdb ---------------------------------
put("morercpthosts", "more.example\n", 1000000000)
rc, out, err = showctl()
_, e = entries(out)
t.eq(e["morercpthosts"], "\nNo rcpthosts; doesn't matter that "
     "morercpthosts has more.example.", "morercpthosts without rcpthosts")
t.eq(e["morercpthosts.cdb"], "Oops! morercpthosts exists but "
     "morercpthosts.cdb doesn't.", "morercpthosts without its cdb")
put("rcpthosts", "example.com\n.example.org\n")
put("morercpthosts.cdb", b"", 900000000)
rc, out, err = showctl()
_, e = entries(out)
t.eq(e["rcpthosts"], "\nSMTP clients may send messages to recipients at "
     "example.com.\nSMTP clients may send messages to recipients at "
     ".example.org.", "rcpthosts entries")
t.eq(e["morercpthosts"], "\nSMTP clients may send messages to recipients at "
     "more.example.", "morercpthosts with rcpthosts")
t.eq(e["morercpthosts.cdb"],
     "Oops! morercpthosts.cdb is older than morercpthosts.",
     "cdb older than the text file")
os.utime(os.path.join(CONTROL, "morercpthosts.cdb"), (1100000000,) * 2)
_, e = entries(showctl()[1])
t.eq(e["morercpthosts.cdb"],
     "Modified recently enough; hopefully up to date.", "cdb newer")
os.unlink(os.path.join(CONTROL, "morercpthosts"))
_, e = entries(showctl()[1])
t.eq(e["morercpthosts"], "(Default.) No effect.",
     "no morercpthosts with rcpthosts: no effect")
t.eq(e["morercpthosts.cdb"],
     "Oops! morercpthosts.cdb exists but morercpthosts doesn't.",
     "cdb without the text file")

# --- files qmail-showctl does not know ------------------------------------
put("rcpthost", "typo.example\n")
put("weird\x1bname", "x\n")
rc, out, err = showctl()
_, e = entries(out)
t.eq(e.get("rcpthost"), "I have no idea what this file does.",
     "unknown file reported as such")
t.eq(e.get("weird?name"), "I have no idea what this file does.",
     "unknown file name with a control byte shown safely")
t.ok(out.endswith("\nrcpthost: I have no idea what this file does.\n")
     or out.endswith("\nweird?name: I have no idea what this file does.\n"),
     "unknown files come last")
t.ok("\nme: I have no idea" not in out, "known files are not reported twice")

# --- this project's own files: explained when present ---------------------
t.ok("rcptcheck" not in out and "maxrcpt" not in out,
     "own files: not mentioned when absent (qmail's output unchanged)")
put("rcptcheck", "1\n")
put("maxrcpt", "200\n")
put("concurrencyincoming", "40\n")
put("defaultdelivery", "./Maildir/\n")
rc, out, err = showctl()
_, e = entries(out)
t.eq(e.get("rcptcheck"), "Recipient checks at RCPT time (1 on, 0 off): 1.",
     "rcptcheck explained")
t.eq(e.get("maxrcpt"), "SMTP recipients per message are at most 200.",
     "maxrcpt explained")
t.eq(e.get("concurrencyincoming"),
     "SMTP connections at once (tcpserver -c) are at most 40.",
     "concurrencyincoming explained")
t.eq(e.get("defaultdelivery"),
     "Default delivery instructions (for qmail-start) are ./Maildir/.",
     "defaultdelivery explained")
put("servercert.pem", "-----BEGIN CERTIFICATE-----\n")
put("tlsclient", "1\n")
os.mkdir(os.path.join(CONTROL, "tlshosts"))
rc, out, err = showctl()
_, e = entries(out)
t.eq(e.get("servercert.pem"), "qmail-smtpd offers STARTTLS, and qmail-tlsd "
     "serves SMTPS, with this certificate and key.",
     "servercert.pem: named, never shown")
t.eq(e.get("tlsclient"), "qmail-remote uses STARTTLS when offered "
     "(1 yes, 0 no): 1.", "tlsclient explained")
t.ok(e.get("tlshosts", "").startswith("qmail-remote requires TLS"),
     "tlshosts explained")
os.unlink(os.path.join(CONTROL, "servercert.pem"))
os.unlink(os.path.join(CONTROL, "tlsclient"))
os.rmdir(os.path.join(CONTROL, "tlshosts"))
t.ok(out.index("\nvirtualdomains: ") < out.index("\nrcptcheck: ")
     < out.index("\nrcpthost: "), "own files after qmail's, before unknown")
for f in ("rcptcheck", "maxrcpt", "concurrencyincoming", "defaultdelivery"):
    os.unlink(os.path.join(CONTROL, f))

# --- a control file that cannot be read --------------------------------------
os.unlink(os.path.join(CONTROL, "locals"))
os.mkdir(os.path.join(CONTROL, "locals"))
put("queuelifetime", "99999999999999999999999999\n")
unreadable = os.path.join(CONTROL, "helohost")
put("helohost", "h.example\n")
if os.getuid() != 0:
    os.chmod(unreadable, 0)
rc, out, err = showctl()
_, e = entries(out)
t.eq(rc, 0, "unreadable files: no crash, exit 0 as qmail")
t.eq(e["locals"], "Oops! Trouble reading this file.",
     "a directory in place of a list file: trouble reported")
t.ok("unable to read control/locals: Is a directory" in err,
     "and the reason goes to stderr")
t.eq(e["queuelifetime"], "Oops! Trouble reading this file.",
     "a number too large: trouble, never a wrapped value")
if os.getuid() != 0:
    t.eq(e["helohost"], "Oops! Trouble reading this file.",
         "a file without read permission: trouble reported")
else:
    t.skip("a file without read permission: trouble reported",
           "root reads everything")
t.ok(out.rstrip("\n").count("\n\n") >= 29, "every entry still shown")

os.rmdir(os.path.join(CONTROL, "locals"))
os.mkdir(os.path.join(CONTROL, "me.dir"))
os.unlink(os.path.join(CONTROL, "me"))
os.rename(os.path.join(CONTROL, "me.dir"), os.path.join(CONTROL, "me"))
rc, out, err = showctl()
t.eq(rc, 111, "me unreadable: exit 111, as qmail")
t.ok(out.endswith("Oops! Trouble reading control/me.\n"),
     "me unreadable: qmail's Oops line")
os.rmdir(os.path.join(CONTROL, "me"))

os.rename(QHOME, QHOME + ".moved")
try:
    rc, out, err = showctl()
finally:
    os.rename(QHOME + ".moved", QHOME)
t.eq(rc, 111, "no qmail home: exit 111")
t.ok(out.endswith("Oops! Unable to chdir to %s.\n" % QHOME),
     "no qmail home: qmail's Oops line")
t.ok("unable to chdir to" in err and "No such file" in err,
     "no qmail home: reason on stderr")

t.done()
