#!/usr/bin/env python3
"""bench/scale.py - qmail-send with a big queue: memory and CPU per message.

Usage: bench/scale.py [N ...] [--size BYTES] [--delivery maildir|program]
       (default: N = 5000 10000 20000, 300-byte messages, Maildir delivery)

For each N, in a fresh private unprivileged instance (build/bench-scale,
or $BENCH_BUILD): N messages for one local user are queued with
qmail-queue while qmail-send is not running (four qmail-queue processes at
a time); then qmail-start ./Maildir/ is started and the script waits until
all N messages are delivered and the queue is empty.  It prints

  - the wall time from qmail-start to the last delivery, messages/s;
  - the peak RSS (VmHWM in /proc/PID/status) of qmail-send and qmail-todo;
  - the CPU time (user+system, /proc/PID/stat) of qmail-send and of
    qmail-todo, per message.

The delivery is a real one by default: qmail-local writes every message
into a Maildir (and fsyncs it), which bounds the delivery rate but not the
scheduler's figures.  --delivery program makes the user's .qmail a single
`|true` line (a shell per delivery and no disk writes), to look at the
scheduler alone.  The point of the figures is their shape: qmail-send's
memory and per-message CPU at 20,000 compared with 5,000.
"""
import argparse
import os
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from instance import Qmail, DOMAIN, wait_for, maildir_count, message  # noqa

ap = argparse.ArgumentParser()
ap.add_argument("counts", nargs="*", type=int,
                default=[5000, 10000, 20000])
ap.add_argument("--size", type=int, default=300)
ap.add_argument("--delivery", choices=("maildir", "program"),
                default="maildir")
ap.add_argument("--timeout", type=int, default=600,
                help="seconds to wait for one queue run (default 600)")
opt = ap.parse_args()

TICK = os.sysconf("SC_CLK_TCK")


def stat_cpu(pid):
    """user+system seconds of PID, from /proc/PID/stat."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def hwm_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def child_named(ppid, name):
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                s = f.read()
        except OSError:
            continue
        comm = s[s.index("(") + 1:s.rindex(")")]
        ppid_of = int(s.rsplit(")", 1)[1].split()[1])
        if comm == name and ppid_of == ppid:
            return int(d)
    return None


def enqueue(q, n, body):
    """N messages to user@DOMAIN through qmail-queue, 4 at a time."""
    qq = os.path.join(q.bin, "qmail-queue")
    env = ("Fbench@%s\0Tuser@%s\0\0" % (DOMAIN, DOMAIN)).encode()
    errors = []
    lock = threading.Lock()
    next_i = [0]

    def worker():
        while True:
            with lock:
                if next_i[0] >= n or errors:
                    return
                next_i[0] += 1
            r, w = os.pipe()
            p = subprocess.Popen([qq], stdin=subprocess.PIPE,
                                 stdout=r)
            os.close(r)
            os.write(w, env)
            os.close(w)
            p.stdin.write(body)
            p.stdin.close()
            if p.wait() != 0:
                with lock:
                    errors.append(p.returncode)
    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        sys.exit("qmail-queue exited %d" % errors[0])


def run(q, n):
    q.reset()
    if opt.delivery == "program":
        with open(q.dotqmail, "w") as f:
            f.write("|true\n")
    body = message(opt.size)
    t0 = time.monotonic()
    enqueue(q, n, body)
    tq = time.monotonic() - t0
    if q.queued() != n:
        sys.exit("expected %d messages in the queue, found %d"
                 % (n, q.queued()))

    t0 = time.monotonic()
    q.start()
    send = q.proc.pid
    todo = child_named(send, "qmail-todo")
    if todo is None:
        sys.exit("qmail-todo not found among qmail-send's children")
    last = {}

    def sample():
        # read the figures while the processes live; keep the last ones
        try:
            last["send_cpu"] = stat_cpu(send)
            last["todo_cpu"] = stat_cpu(todo)
            last["send_hwm"] = hwm_kib(send)
            last["todo_hwm"] = hwm_kib(todo)
        except OSError:
            pass

    def done():
        sample()
        return q.queued() == 0
    ok = wait_for(done, opt.timeout, step=0.1)
    wall = time.monotonic() - t0
    sample()
    q.stop()
    if not ok:
        sys.exit("N=%d: not finished after %d s (%d in the Maildir, %d "
                 "queued); log in %s" % (n, opt.timeout,
                                          maildir_count(q.maildir),
                                          q.queued(), q.logname))
    if opt.delivery == "maildir" and maildir_count(q.maildir) != n:
        sys.exit("N=%d: %d messages in the Maildir"
                 % (n, maildir_count(q.maildir)))
    return dict(n=n, tq=tq, wall=wall, **last)


q = Qmail("scale")
rows = []
try:
    for n in opt.counts:
        rows.append(run(q, n))
        r = rows[-1]
        print("N=%d queued in %.1f s; delivered in %.1f s" %
              (n, r["tq"], r["wall"]), file=sys.stderr)
finally:
    q.stop()

print("qmail-send with a queue of N pending messages (%d bytes each, "
      "delivery: %s)" % (len(message(opt.size)),
                         "Maildir" if opt.delivery == "maildir" else "|true"))
print("%7s %9s %8s %13s %13s %13s %13s"
      % ("N", "wall s", "msg/s", "send VmHWM", "todo VmHWM",
         "send cpu/msg", "todo cpu/msg"))
for r in rows:
    print("%7d %9.1f %8.0f %10d KiB %10d KiB %10.1f us %10.1f us"
          % (r["n"], r["wall"], r["n"] / r["wall"], r["send_hwm"],
             r["todo_hwm"], r["send_cpu"] / r["n"] * 1e6,
             r["todo_cpu"] / r["n"] * 1e6))
if len(rows) > 1:
    a, b = rows[0], rows[-1]
    print("from N=%d to N=%d (x%.1f messages):" % (a["n"], b["n"],
                                                    b["n"] / a["n"]))
    print("  qmail-send peak RSS x%.2f (%+d KiB, %.0f bytes per extra "
          "message)" % (b["send_hwm"] / a["send_hwm"],
                        b["send_hwm"] - a["send_hwm"],
                        (b["send_hwm"] - a["send_hwm"]) * 1024.0
                        / (b["n"] - a["n"])))
    pa = (a["send_cpu"] + a["todo_cpu"]) / a["n"]
    pb = (b["send_cpu"] + b["todo_cpu"]) / b["n"]
    print("  qmail-send+qmail-todo CPU per message x%.2f "
          "(%.1f us -> %.1f us)" % (pb / pa, pa * 1e6, pb * 1e6))
