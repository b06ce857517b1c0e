#!/usr/bin/env python3
"""Black-box tests of qmail-newmrh: morercpthosts into a cdb, atomically."""
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from tap import Tap, QHOME, QBIN, instance_reset  # noqa: E402

t = Tap()
NEWMRH = os.path.join(QBIN, "qmail-newmrh")
C = os.path.join(QHOME, "control")
CDB = os.path.join(C, "morercpthosts.cdb")


def cdb_records(path):
    """Every (key, value) of a cdb file, in order (the format is simple)."""
    with open(path, "rb") as f:
        data = f.read()
    end = int.from_bytes(data[0:4], "little")
    for i in range(256):
        pos = int.from_bytes(data[i * 8:i * 8 + 4], "little")
        end = min(end, pos)
    out, pos = [], 2048
    while pos < end:
        kl = int.from_bytes(data[pos:pos + 4], "little")
        vl = int.from_bytes(data[pos + 4:pos + 8], "little")
        out.append((data[pos + 8:pos + 8 + kl],
                    data[pos + 8 + kl:pos + 8 + kl + vl]))
        pos += 8 + kl + vl
    return out


def newmrh():
    return subprocess.run([NEWMRH], capture_output=True)


instance_reset()
p = newmrh()
t.eq(p.returncode, 111, "no morercpthosts: 111")
t.ok(p.stderr.startswith(b"qmail-newmrh: fatal: unable to read"),
     "...with a fatal message")
t.ok(not os.path.exists(CDB), "...and no cdb made")

with open(os.path.join(C, "morercpthosts"), "w") as f:
    f.write("Example.COM\n.Sub.Example.NET  \n\n# comment\nplain.org\n")
p = newmrh()
t.eq(p.returncode, 0, "builds the cdb")
t.eq(cdb_records(CDB), [(b"example.com", b""), (b".sub.example.net", b""),
                        (b"plain.org", b"")],
     "keys lower-cased, whitespace stripped, comments and blanks skipped")
t.eq(os.stat(CDB).st_mode & 0o777, 0o644, "cdb mode 644")
t.ok(not os.path.exists(os.path.join(C, "morercpthosts.tmp")),
     "temporary file gone")

old = os.stat(CDB).st_ino
with open(os.path.join(C, "morercpthosts"), "w") as f:
    f.write("new.example\n")
p = newmrh()
t.eq(cdb_records(CDB), [(b"new.example", b"")], "rebuild replaces the cdb")
t.ok(os.stat(CDB).st_ino != old, "replaced by rename (a new inode)")

os.chmod(os.path.join(C, "morercpthosts"), 0)
if os.geteuid() == 0:
    t.skip("unreadable morercpthosts: 111", "root reads anything")
    t.skip("unreadable: old cdb kept", "root reads anything")
else:
    p = newmrh()
    t.eq(p.returncode, 111, "unreadable morercpthosts: 111")
    t.eq(cdb_records(CDB), [(b"new.example", b"")], "unreadable: old cdb kept")
os.chmod(os.path.join(C, "morercpthosts"), 0o644)

os.symlink("/nonexistent", os.path.join(C, "morercpthosts.tmp"))
p = newmrh()
t.eq(p.returncode, 111, "symlink at morercpthosts.tmp refused: 111")
t.eq(cdb_records(CDB), [(b"new.example", b"")], "...old cdb kept")
os.unlink(os.path.join(C, "morercpthosts.tmp"))

with open(os.path.join(C, "morercpthosts"), "w") as f:
    f.write("".join("d%d.example\n" % i for i in range(20000)))
p = newmrh()
t.eq(len(cdb_records(CDB)), 20000, "20,000 entries")
t.done()
