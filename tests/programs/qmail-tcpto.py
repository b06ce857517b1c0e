#!/usr/bin/env python3
"""qmail-tcpto, qmail-tcpok and qmail-remote's use of queue/lock/tcpto.

The file keeps qmail's format (64 records of 16 bytes: IPv4 address,
timeout count, little-endian time of the last timeout), so records are
written and read here byte by byte.
"""
import os
import socket
import struct
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.environ.get("SRCROOT", "."), "tests/lib"))
from tap import Tap, QBIN, QHOME, instance_reset  # noqa: E402
from queuetest import control  # noqa: E402

t = Tap()
TCPTO = os.path.join(QHOME, "queue/lock/tcpto")
PORT = 20000 + (os.getpid() * 13) % 20000


def record(ip, count, when):
    return socket.inet_aton(ip) + bytes([count, 0, 0, 0]) + struct.pack("<I", when & 0xffffffff) + b"\0" * 4


def run(name, *args, stdin=None):
    return subprocess.run([os.path.join(QBIN, name)] + list(args), stdin=stdin,
                          capture_output=True, timeout=60)


instance_reset()
control("me", "test.local\n")
t.eq(os.path.getsize(TCPTO), 1024, "install makes a 1024-byte tcpto")

p = run("qmail-tcpto")
t.eq((p.returncode, p.stdout), (0, b""), "empty table: nothing printed")

now = int(time.time())
with open(TCPTO, "r+b") as f:
    f.write(record("10.1.2.3", 2, now - 300) + record("192.0.2.7", 1, now - 5))
p = run("qmail-tcpto")
t.eq(p.stdout, b"10.1.2.3 timed out 300 seconds ago; # recent timeouts: 2\n"
     b"192.0.2.7 timed out 5 seconds ago; # recent timeouts: 1\n",
     "qmail-tcpto prints qmail's line for each record") if abs(int(time.time()) - now) < 1 else \
    t.ok(b"10.1.2.3 timed out" in p.stdout, "qmail-tcpto prints each record")

p = run("qmail-tcpok")
t.eq(p.returncode, 0, "qmail-tcpok exits 0")
with open(TCPTO, "rb") as f:
    t.eq(f.read(), b"\0" * 1024, "qmail-tcpok zeroes the table")
t.eq(run("qmail-tcpto").stdout, b"", "after qmail-tcpok: nothing printed")

# qmail-remote skips an address with two recent timeouts
msg = os.path.join(QHOME, "msg")
with open(msg, "wb") as f:
    f.write(b"Subject: x\n\nx\n")
srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", PORT))
srv.listen(0)
control("smtproutes", f"example.com:[127.0.0.1]:{PORT}\n")
with open(TCPTO, "r+b") as f:
    f.write(record("127.0.0.1", 2, int(time.time()) - 10))
with open(msg, "rb") as m:
    p = run("qmail-remote", "example.com", "a@b.c", "x@example.com", stdin=m)
t.eq(p.stdout, b"ZSorry, I wasn't able to establish an SMTP connection. (#4.4.1)\n\0",
     "two recent timeouts: the address is not even tried")
srv.settimeout(0.2)
try:
    c, _ = srv.accept()
    c.close()
    tried = True
except OSError:
    tried = False
t.ok(not tried, "no connection was made")

# an old record does not hold the address back; a success frees it
with open(TCPTO, "r+b") as f:
    f.write(record("127.0.0.1", 2, int(time.time()) - 7200))
srv.close()
srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", PORT))
srv.listen(5)
with open(msg, "rb") as m:
    proc = subprocess.Popen([os.path.join(QBIN, "qmail-remote"), "example.com",
                             "a@b.c", "x@example.com"], stdin=m,
                            stdout=subprocess.PIPE)
    c, _ = srv.accept()
    c.sendall(b"421 busy\r\n")
    out = proc.communicate(timeout=30)[0]
    c.close()
t.eq(out, b"ZConnected to 127.0.0.1 but greeting failed.\nRemote host said: 421 busy\n\0",
     "an old timeout record: the address is tried again")
with open(TCPTO, "rb") as f:
    t.eq(f.read(16)[4], 0, "a successful connection clears the address's count")
srv.close()

# a connection that times out is recorded
srv = socket.socket()
srv.bind(("127.0.0.1", PORT))
srv.listen(0)
fillers = []
for _ in range(4):
    s = socket.socket()
    s.setblocking(False)
    try:
        s.connect(("127.0.0.1", PORT))
    except BlockingIOError:
        pass
    fillers.append(s)
time.sleep(0.1)
run("qmail-tcpok")
control("timeoutconnect", "1\n")
with open(msg, "rb") as m:
    p = run("qmail-remote", "example.com", "a@b.c", "x@example.com", stdin=m)
with open(TCPTO, "rb") as f:
    rec = f.read(16)
if p.stdout.startswith(b"ZSorry, I wasn't able"):
    t.ok(rec[:5] == socket.inet_aton("127.0.0.1") + b"\x01",
         "a connect timeout is recorded: 127.0.0.1, count 1")
    when = struct.unpack("<I", rec[8:12])[0]
    t.ok(abs(when - time.time()) < 10, "the record holds the time of the timeout")
    t.ok(run("qmail-tcpto").stdout.startswith(b"127.0.0.1 timed out "),
         "qmail-tcpto shows the new record")
else:
    t.skip("connect timeout recorded", "the kernel did not let the connect hang")
for s in fillers:
    s.close()
srv.close()
t.done()
