"""tests/lib/tap.py - TAP output for black-box tests written in Python.

    from tap import Tap
    t = Tap()
    t.ok(cond, "name")
    t.eq(got, want, "name")
    t.done()
"""
import os
import shutil
import subprocess
import sys

QBUILD = os.environ.get("QBUILD", "")
QBIN = os.environ.get("QBIN", "")
QHOME = os.environ.get("QHOME", "")
SRCROOT = os.environ.get("SRCROOT", "")


class Tap:
    def __init__(self):
        self.n = 0
        self.failed = 0

    def ok(self, cond, name):
        self.n += 1
        if cond:
            print(f"ok {self.n} - {name}", flush=True)
        else:
            print(f"not ok {self.n} - {name}", flush=True)
            self.failed += 1
        return cond

    def eq(self, got, want, name):
        if not self.ok(got == want, name):
            print(f"#   got:      {got!r}"[:2000])
            print(f"#   expected: {want!r}"[:2000], flush=True)
        return got == want

    def skip(self, name, reason):
        self.n += 1
        print(f"ok {self.n} - {name} # SKIP {reason}", flush=True)

    def diag(self, msg):
        print(f"# {msg}", flush=True)

    def done(self):
        print(f"1..{self.n}", flush=True)
        sys.exit(1 if self.failed else 0)


def instance_reset():
    """A fresh, empty queue in the test instance's home."""
    shutil.rmtree(QHOME, ignore_errors=True)
    subprocess.run([os.path.join(QBIN, "install"), QBUILD, SRCROOT], check=True,
                   stdout=subprocess.DEVNULL)
