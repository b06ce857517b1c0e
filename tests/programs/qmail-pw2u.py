#!/usr/bin/env python3
"""Black-box tests of qmail-pw2u: a synthetic passwd file on stdin, the
options, and the include/exclude/mailnames/subusers/append files."""
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from tap import Tap, QHOME, QBIN, QBUILD, instance_reset  # noqa: E402
from queuetest import set_file  # noqa: E402

t = Tap()
PW2U = os.path.join(QBIN, "qmail-pw2u")
USERS = os.path.join(QHOME, "users")
ROOT = os.getuid() == 0
# Homes must be owned by their accounts; as root any uid will do.
U1 = 5001 if ROOT else os.getuid()
U2 = 5002 if ROOT else os.getuid()
OTHER = 5003 if ROOT else None

base = tempfile.mkdtemp(prefix="qtpw.")
os.chmod(base, 0o755)


def home(name, uid):
    d = os.path.join(base, name)
    os.mkdir(d)
    if ROOT:
        os.chown(d, uid, 100)
    return d


H_ALIAS = home("alias", U1)
H_JOE = home("joe", U1)
H_ANN = home("ann", U2)
H_BIG = home("Big", U1)
H_OTHER = home("other", OTHER) if OTHER else None
H_NONE = os.path.join(base, "missing")

PASSWD = (
    "root:x:0:0:root:/root:/bin/bash\n"
    "alias:*:%d:2108::%s:/bin/true\n" % (U1, H_ALIAS) +
    "joe:x:%d:100:Joe:%s:/bin/sh\n" % (U1, H_JOE) +
    "ann:x:%d:200:Ann:%s:/bin/sh\n" % (U2, H_ANN) +
    "Big:x:%d:100::%s:/bin/sh\n" % (U1, H_BIG) +
    "gone:x:%d:100::%s:/bin/sh\n" % (U1, H_NONE))


def pw2u(passwd, *args):
    p = subprocess.run([PW2U] + list(args), input=passwd.encode(),
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


def users_file(name, text):
    set_file(os.path.join(USERS, name), text)


def uugh(user, uid, gid, h):
    return ":%s:%d:%d:%s:" % (user, uid, gid, h)


ALIAS = uugh("alias", U1, 2108, H_ALIAS)
JOE = uugh("joe", U1, 100, H_JOE)
ANN = uugh("ann", U2, 200, H_ANN)
BIG = uugh("Big", U1, 100, H_BIG)

try:
    instance_reset()

    # --- the default rules ------------------------------------------------
    rc, out, err = pw2u(PASSWD)
    t.eq((rc, err), (0, ""), "default: exit 0, no complaint")
    t.eq(out, "+" + ALIAS + "-::\n"
         "=alias" + ALIAS + "::\n" "+alias-" + ALIAS + "-::\n"
         "=joe" + JOE + "::\n" "+joe-" + JOE + "-::\n"
         "=ann" + ANN + "::\n" "+ann-" + ANN + "-::\n"
         ".\n",
         "default: alias catch-all, =user and +user- for each user; uid 0, "
         "upper case and missing home skipped; final dot")

    # --- options ---------------------------------------------------------
    rc, out, err = pw2u(PASSWD, "-u")
    t.ok(rc == 0 and "=Big" + BIG + "::\n+Big-" + BIG + "-::\n" in out,
         "-u: upper-case user names allowed")
    rc, out, err = pw2u(PASSWD, "-u", "-U")
    t.ok(rc == 0 and "Big" not in out, "-U (after -u): skipped again")

    rc, out, err = pw2u(PASSWD, "-h")
    t.ok(rc == 111 and out.find(".\n") == -1
         and err == "qmail-pw2u: fatal: unable to stat %s: "
         "No such file or directory\n" % H_NONE,
         "-h: a missing home stops with 111, no final dot")
    rc, out, err = pw2u(PASSWD, "-h", "-o")
    t.eq(rc, 0, "-o (after -h): missing home skipped again")

    rc, out, err = pw2u(PASSWD, "-H")
    t.ok(rc == 0 and "=gone" + uugh("gone", U1, 100, H_NONE) + "::\n" in out,
         "-H: home not checked at all")

    if OTHER:
        pw = ("alias:*:%d:2108::%s:/bin/true\n" % (U1, H_ALIAS) +
              "eve:x:%d:100::%s:/bin/sh\n" % (U1, H_OTHER))
        rc, out, err = pw2u(pw)
        t.ok(rc == 0 and "eve" not in out, "-o: home owned by another skipped")
        rc, out, err = pw2u(pw, "-h")
        t.ok(rc == 0 and "eve" not in out, "-h: home owned by another skipped")
        rc, out, err = pw2u(pw, "-H")
        t.ok(rc == 0 and "=eve:" in out, "-H: ownership not checked")
    else:
        t.skip("home owned by another", "needs root to chown")

    rc, out, err = pw2u(PASSWD, "-c.")
    t.ok(rc == 0 and "+joe." + JOE + "-::\n" in out and "+joe-" not in out,
         "-c.: '.' is the extension delimiter")
    rc, out, err = pw2u(PASSWD, "-C")
    t.eq(out, "+" + ALIAS + "-::\n" "=alias" + ALIAS + "::\n"
         "=joe" + JOE + "::\n" "=ann" + ANN + "::\n.\n",
         "-C: no user-ext wildcards (the catch-all stays)")
    rc, out, err = pw2u(PASSWD, "-/")
    t.ok(rc == 0 and out.startswith("+" + ALIAS + "-/::\n")
         and "+joe-" + JOE + "-/::\n" in out and "=joe" + JOE + "::\n" in out,
         "-/: dash is '-/' in the wildcards")
    rc, out, err = pw2u(PASSWD, "-x")
    t.ok(rc == 100 and out == "" and "usage" in err, "bad option: exit 100")
    rc, out, err = pw2u(PASSWD, "extra")
    t.eq(rc, 100, "stray argument: exit 100")

    # --- passwd lines that are skipped -----------------------------------
    rc, out, err = pw2u(PASSWD + "short:x:7:7:gecos:/h\n"
                        "nul\0:x:7:7::%s:/bin/sh\n" % H_JOE +
                        "nonum:x:7a:7::%s:/bin/sh\n" % H_JOE +
                        "neg:x:-7:7::%s:/bin/sh\n" % H_JOE +
                        "\n" "just text\n"
                        "last:x:%d:1::%s:/bin/sh" % (U1, H_JOE), "-H")
    t.ok(rc == 0 and "short" not in out and "nul" not in out
         and "nonum" not in out and "neg" not in out and "just" not in out,
         "malformed passwd lines are skipped")
    t.ok("=last" + uugh("last", U1, 1, H_JOE) + "::\n" in out,
         "a last line without a newline counts")

    rc, out, err = pw2u("joe:x:%d:100::%s:/bin/sh\n" % (U1, H_JOE))
    t.ok(rc == 111 and err == "qmail-pw2u: fatal: unable to find alias user\n"
         and ".\n" not in out, "no alias account: exit 111, no final dot")

    # --- users/include, users/exclude ------------------------------------
    users_file("include", "alias\njoe\n# comment\n")
    rc, out, err = pw2u(PASSWD)
    t.ok(rc == 0 and "=joe" in out and "ann" not in out,
         "include: only the listed users")
    users_file("include", None)
    users_file("exclude", "ann  \n")
    rc, out, err = pw2u(PASSWD)
    t.ok(rc == 0 and "=joe" in out and "ann" not in out,
         "exclude: the listed users left out (trailing blanks ignored)")
    users_file("exclude", None)

    # --- users/mailnames --------------------------------------------------
    users_file("mailnames", "joe:jo:joseph.q\nnosuch:x\nann:\n")
    rc, out, err = pw2u(PASSWD)
    t.ok(rc == 0 and "=jo" + JOE + "::\n+jo-" + JOE + "-::\n"
         "=joseph.q" + JOE + "::\n+joseph.q-" + JOE + "-::\n" in out,
         "mailnames: each mail name gets = and + lines")
    t.ok("=joe:" not in out and "+joe-:" not in out,
         "mailnames: the account name itself is not used")
    t.ok("ann" not in out.replace(ANN, ""),
         "mailnames: an empty list gives the user no addresses")
    t.ok("=x:" not in out, "mailnames: a line for no account is ignored")
    users_file("mailnames", None)

    # --- users/subusers ---------------------------------------------------
    users_file("subusers", "sales:joe:shop:\nbad line\nhelp:ann::\n")
    rc, out, err = pw2u(PASSWD)
    t.ok(rc == 0 and out.endswith(
        "=sales" + JOE + "-:shop:\n" "+sales-" + JOE + "-:shop-:\n"
        "=help" + ANN + "-::\n" "+help-" + ANN + "-:-:\n.\n"),
        "subusers: =sub with pre, +sub- with pre-, after the passwd users")
    rc, out, err = pw2u(PASSWD, "-C", "-/")
    t.ok(rc == 0 and "=sales" + JOE + "-/:shop:\n" in out
         and "+sales" not in out, "subusers honour -C and -/")
    users_file("subusers", "x:gone:y:\n")
    rc, out, err = pw2u(PASSWD)
    t.ok(rc == 111 and
         err == "qmail-pw2u: fatal: unable to find gone user for subuser\n",
         "subusers naming a skipped user: exit 111")
    users_file("subusers", None)

    # --- users/append -----------------------------------------------------
    users_file("append", "=extra:joe:1:1:/x:::\n+more:ann:2:2:/y:-::")
    rc, out, err = pw2u(PASSWD)
    t.ok(rc == 0 and out.endswith("=extra:joe:1:1:/x:::\n"
                                  "+more:ann:2:2:/y:-::\n.\n"),
         "append: copied at the end, before the dot, newline added")

    # --- the output feeds qmail-newu --------------------------------------
    users_file("subusers", "sales:joe:shop:\n")
    rc, out, err = pw2u(PASSWD)
    users_file("assign", out)
    p = subprocess.run([os.path.join(QBIN, "qmail-newu")],
                       stderr=subprocess.PIPE)
    t.eq(p.returncode, 0, "qmail-newu accepts qmail-pw2u's output")
    p = subprocess.run(
        [os.path.join(QBUILD, "tests", "unit", "test_users"), "lookup",
         os.path.join(USERS, "cdb")],
        input=b"joe\nJoe-List\nsales-x\nmore-Z\nstranger\n",
        stdout=subprocess.PIPE)
    t.eq(p.stdout.decode(),
         "joe\tjoe:%d:100:%s::\n" % (U1, H_JOE) +
         "Joe-List\tjoe:%d:100:%s:-:List\n" % (U1, H_JOE) +
         "sales-x\tjoe:%d:100:%s:-:shop-x\n" % (U1, H_JOE) +
         "more-Z\tann:2:2:/y:-:-Z\n"
         "stranger\talias:%d:2108:%s:-:stranger\n" % (U1, H_ALIAS),
         "and the addresses resolve as qmail-users(5) says")
finally:
    shutil.rmtree(base, ignore_errors=True)

t.done()
