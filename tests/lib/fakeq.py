"""tests/lib/fakeq.py - a stand-in for qmail-queue that records what a
program hands it, for tests of programs that re-inject mail (forward,
condredirect, qreceipt)."""
import os
import tempfile


class FakeQueue:
    """A temporary directory with a shell script (path) to name in
    QMAILQUEUE.  Run with REC=self.rec_dir in the environment, it copies
    the message (fd 0) to REC/msg and the envelope (fd 1) to REC/env and
    exits $QQ_EXIT (default 0)."""

    def __init__(self, prefix):
        """Make the directory (tempfile prefix) and the script."""
        self.tmp = tempfile.mkdtemp(prefix=prefix)
        self.rec_dir = os.path.join(self.tmp, "rec")
        os.mkdir(self.rec_dir)
        self.path = os.path.join(self.tmp, "fakeq")
        with open(self.path, "w") as f:
            f.write('#!/bin/sh\ncat >"$REC/msg"; cat <&1 >"$REC/env"\n'
                    'exit "${QQ_EXIT:-0}"\n')
        os.chmod(self.path, 0o755)

    def clear(self):
        """Remove what the last run recorded."""
        for n in ("msg", "env"):
            try:
                os.unlink(os.path.join(self.rec_dir, n))
            except FileNotFoundError:
                pass

    def rec(self, name):
        """The bytes recorded as name ("msg" or "env"), or None."""
        try:
            with open(os.path.join(self.rec_dir, name), "rb") as f:
                return f.read()
        except FileNotFoundError:
            return None
