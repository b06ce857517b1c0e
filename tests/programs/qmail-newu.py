#!/usr/bin/env python3
"""Black-box tests of qmail-newu: users/assign -> users/cdb.

The database is checked byte for byte with tinycdb's cdb(1) tool, and
lookups go through the library's users module by way of the test-only
harness in the test_users unit test binary ("test_users lookup CDB").
"""
import os
import re
import stat
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from tap import Tap, QHOME, QBIN, QBUILD, instance_reset  # noqa: E402

t = Tap()
USERS = os.path.join(QHOME, "users")
ASSIGN = os.path.join(USERS, "assign")
CDB = os.path.join(USERS, "cdb")
TMP = os.path.join(USERS, "cdb.tmp")
NEWU = os.path.join(QBIN, "qmail-newu")
HARNESS = os.path.join(QBUILD, "tests", "unit", "test_users")
CDBTOOL = "/usr/bin/cdb"


def write_assign(data):
    with open(ASSIGN, "wb") as f:
        f.write(data)


def newu():
    p = subprocess.run([NEWU], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    return p.returncode, p.stderr.decode("latin-1")


def dump(path=CDB):
    """The records of a cdb as a list of (key, value) byte strings."""
    raw = subprocess.run([CDBTOOL, "-d", path], stdout=subprocess.PIPE,
                         check=True).stdout
    recs, i = [], 0
    while i < len(raw) and raw[i:i + 1] == b"+":
        m = re.compile(rb"\+(\d+),(\d+):").match(raw, i)
        klen, dlen = int(m.group(1)), int(m.group(2))
        j = m.end()
        key = raw[j:j + klen]
        j += klen
        assert raw[j:j + 2] == b"->"
        j += 2
        recs.append((key, raw[j:j + dlen]))
        i = j + dlen + 1
    return recs


def lookup(locals_):
    p = subprocess.run([HARNESS, "lookup", CDB], input="".join(
        s + "\n" for s in locals_).encode(), stdout=subprocess.PIPE,
        check=True)
    out = {}
    for line in p.stdout.decode().splitlines():
        k, v = line.split("\t", 1)
        out[k] = v
    return out


def read(path):
    with open(path, "rb") as f:
        return f.read()


instance_reset()

# --- the qmail-users(5) example ------------------------------------------
EXAMPLE = (b"=joe.shmoe:joe:503:78:/home/joe:::\n"
           b"+:alias:7790:2108:/var/qmail/alias:-::\n"
           b"+joe-:joe:507:100:/home/joe:-::\n"
           b"=joe:joe:507:100:/home/joe:::\n"
           b"+List-:lists:600:600:/home/lists:-:x-:\n"
           b"=Big:big:601:601:/home/big:-:ext:ignored:after:\n"
           b".\n")
write_assign(EXAMPLE)
rc, err = newu()
t.eq((rc, err), (0, ""), "qmail-users(5) example: exit 0, no complaint")
t.eq(dump(), [
    (b"!joe.shmoe\0", b"joe\x00503\x0078\0/home/joe\0\0"),
    (b"!", b"alias\x007790\x002108\0/var/qmail/alias\0-\0"),
    (b"!joe-", b"joe\x00507\x00100\0/home/joe\0-\0"),
    (b"!joe\0", b"joe\x00507\x00100\0/home/joe\0\0"),
    (b"!list-", b"lists\x00600\x00600\0/home/lists\0-\0x-"),
    (b"!big\0", b"big\x00601\x00601\0/home/big\0-\0ext"),
    (b"", b"-"),
], "records use qmail's keys (!local NUL, !prefix, lower case) and values")
t.eq(stat.S_IMODE(os.stat(CDB).st_mode), 0o644, "users/cdb mode 644")
t.ok(not os.path.exists(TMP), "users/cdb.tmp is gone afterwards")

# The same records fed to tinycdb's own cdb -c give the very same file.
recs_txt = b"".join(b"+%d,%d:%s->%s\n" % (len(k), len(v), k, v)
                    for k, v in dump()) + b"\n"
ref = os.path.join(QHOME, "ref.cdb")
subprocess.run([CDBTOOL, "-c", "-t", ref + ".tmp", ref], input=recs_txt,
               check=True)
t.eq(read(ref), read(CDB), "byte-identical to cdb -c of the same records")
os.unlink(ref)

got = lookup(["joe", "joe-direct", "bill", "JOE.Shmoe", "list-Foo",
              "big", "joe.shmoe-x", ""])
t.eq(got["joe"], "joe:507:100:/home/joe::", "=joe found exactly")
t.eq(got["joe-direct"], "joe:507:100:/home/joe:-:direct",
     "joe-direct by the +joe- wildcard")
t.eq(got["bill"], "alias:7790:2108:/var/qmail/alias:-:bill",
     "bill by the catch-all")
t.eq(got["JOE.Shmoe"], "joe:503:78:/home/joe::",
     "case is ignored in the address")
t.eq(got["list-Foo"], "lists:600:600:/home/lists:-:x-Foo",
     "wildcard pre kept, rest of the address in its own case")
t.eq(got["big"], "big:601:601:/home/big:-:ext",
     "text after the seventh field is ignored")
t.eq(got["joe.shmoe-x"], "alias:7790:2108:/var/qmail/alias:-:joe.shmoe-x",
     "a simple assignment covers only its own address")

# --- the end of the file ---------------------------------------------------
write_assign(b"=a:a:1:1:/a:::\n.")
t.eq(newu(), (0, ""), "final dot without a newline is enough")
write_assign(b"=a:a:1:1:/a:::\n.\ngarbage after the end\n")
rc, err = newu()
t.eq(rc, 0, "lines after the dot are ignored (as qmail)")
t.eq(dump(), [(b"!a\0", b"a\x001\x001\0/a\0\0"), (b"", b"")],
     "only the lines before the dot are in the database")
write_assign(b".\n")
t.eq(newu(), (0, ""), "an assign holding only the dot is fine")
t.eq(dump(), [(b"", b"")], "empty database still has the \"\" key")
t.eq(lookup(["anyone"])["anyone"], "none", "and covers nobody")

# --- 10,000 entries resolved by the users module ---------------------------
N = 5000
lines = []
for i in range(N):
    lines.append(b"=user%d:u%d:%d:%d:/home/u%d:::\n" % (i, i, 1000 + i,
                                                       100 + i % 7, i))
    lines.append(b"+Pre%d-:p%d:%d:%d:/home/p%d:-:x%d-:\n" % (i, i, 20000 + i,
                                                             200, i, i))
write_assign(b"".join(lines) + b".\n")
rc, err = newu()
t.eq((rc, err), (0, ""), "10,000-entry assign: exit 0")
recs = dump()
t.eq(len(recs), 2 * N + 1, "10,000 records and the \"\" key")
t.eq(recs[-1], (b"", b"-"), "wildchars value lists the prefixes' last byte")
queries = []
want = {}
for i in range(N):
    q = "user%d" % i
    queries.append(q)
    want[q] = "u%d:%d:%d:/home/u%d::" % (i, 1000 + i, 100 + i % 7, i)
    q = "PRE%d-Tail%d" % (i, i)
    queries.append(q)
    want[q] = "p%d:%d:200:/home/p%d:-:x%d-Tail%d" % (i, 20000 + i, i, i, i)
queries += ["user%d-x" % N, "nobody"]
want["user%d-x" % N] = "none"
want["nobody"] = "none"
got = lookup(queries)
bad = [q for q in queries if got.get(q) != want[q]]
t.eq(bad[:5], [], "every one of the 10,000 entries resolves correctly")

# --- 100,000 lines --------------------------------------------------------
write_assign(b"".join(b"=n%d:n:%d:1:/h:::\n" % (i, i + 1)
                      for i in range(100000)) + b".\n")
rc, err = newu()
t.eq((rc, err), (0, ""), "100,000-line assign works")
got = lookup(["n0", "n99999", "n100000"])
t.eq((got["n0"], got["n99999"], got["n100000"]),
     ("n:1:1:/h::", "n:100000:1:/h::", "none"), "first and last line found")

# --- malformed assign: line number, old cdb untouched ----------------------
write_assign(EXAMPLE)
t.eq(newu()[0], 0, "good database in place before the bad ones")
good = read(CDB)
good_ino = os.stat(CDB).st_ino
GOOD = b"=a:a:1:1:/a:::\n+b:b:2:2:/b:-::\n"
CASES = [
    ("no colon after the address", GOOD + b"=nocolon\n.\n", 3,
     "no colon"),
    ("too few fields", GOOD + b"+x:u:1:1:/h:-:\n.\n", 3, "needs"),
    ("uid not a number", b"=a:a:1x:1:/a:::\n.\n", 1, "uid is not a number"),
    ("empty uid", GOOD + GOOD + b"=a:a::1:/a:::\n.\n", 5,
     "uid is not a number"),
    ("uid too large", b"=a:a:4294967295:1:/a:::\n.\n", 1,
     "uid is not a number"),
    ("gid not a number", GOOD + b"=a:a:1:-1:/a:::\n.\n", 3,
     "gid is not a number"),
    ("line not starting with = or +", GOOD + b"#comment:a:1:1:/a:::\n.\n", 3,
     "does not start with = or +"),
    ("NUL byte", b"=a\0b:a:1:1:/a:::\n.\n", 1, "NUL"),
    ("empty line", GOOD + b"\n.\n", 3, "empty line"),
    ("missing final dot", GOOD, 3, "single dot"),
    ("last line without newline", GOOD + b"=c:c:1:1:/c:::", 3,
     "no newline"),
    ("line over 64 KiB", GOOD + b"=" + b"x" * 70000 + b":a:1:1:/a:::\n.\n", 3,
     "longer than"),
    ("empty file", b"", 1, "single dot"),
]
for name, data, lineno, why in CASES:
    write_assign(data)
    rc, err = newu()
    ok = (rc == 111 and err.startswith(
        "qmail-newu: fatal: users/assign line %d: " % lineno)
        and why in err and err.count("\n") == 1)
    if not t.ok(ok, "%s: exit 111, line %d named" % (name, lineno)):
        t.diag("rc=%d err=%r" % (rc, err))
    t.ok(read(CDB) == good and os.stat(CDB).st_ino == good_ino,
         "%s: old users/cdb unchanged" % name)
    t.ok(not os.path.exists(TMP), "%s: no users/cdb.tmp left" % name)

os.unlink(ASSIGN)
rc, err = newu()
t.ok(rc == 111 and "unable to open users/assign" in err,
     "missing users/assign: exit 111")
t.eq(read(CDB), good, "missing users/assign: old users/cdb unchanged")

# A users/cdb.tmp that is a symlink is refused, not followed.
write_assign(EXAMPLE)
victim = os.path.join(QHOME, "victim")
with open(victim, "wb") as f:
    f.write(b"precious")
os.symlink(victim, TMP)
rc, err = newu()
t.ok(rc == 111 and "users/cdb.tmp" in err, "symlinked cdb.tmp: exit 111")
t.eq(read(victim), b"precious", "symlink target not written")
os.unlink(TMP)
os.unlink(victim)

t.done()
