#!/usr/bin/env python3
"""bench/local-e2e.py - end-to-end local delivery, qmail next to Postfix.

Usage: bench/local-e2e.py [COUNT [SIZE]] [--conc C ...] [--no-postfix]
       (default 2000 messages of 4096 bytes, 1 and 20 injectors; as root)

Starts a private unprivileged qmail instance (build/bench-e2e, or
$BENCH_BUILD: qmail-start ./Maildir/, every local part of bench.example
delivered to one Maildir) and a private Postfix instance (bench/instance.py:
own config, queue and data directories under /tmp, loopback only,
home_mailbox = Maildir/ for a test user created for the run and removed
afterwards).  For each concurrency C it injects COUNT messages with C
injectors running side by side (each runs its share of `sendmail -f sender
rcpt` one after another: qmail's sendmail -> qmail-inject -> qmail-queue;
Postfix's sendmail -C DIR -> postdrop), and measures messages/s from the
first injection until the last message is in the Maildir's new/.  Both
systems use their default settings (qmail: concurrencylocal 10; Postfix:
local_destination_concurrency_limit 2 for one recipient), and both fsync
the queue and the Maildir.
"""
import argparse
import os
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from instance import (Qmail, Postfix, DOMAIN, PF_DOMAIN, PF_USER,  # noqa
                      wait_for, maildir_count, message)

ap = argparse.ArgumentParser()
ap.add_argument("count", nargs="?", type=int, default=2000)
ap.add_argument("size", nargs="?", type=int, default=4096)
ap.add_argument("--conc", type=int, nargs="+", default=[1, 20])
ap.add_argument("--no-postfix", action="store_true")
ap.add_argument("--timeout", type=int, default=300)
opt = ap.parse_args()
body = message(opt.size)


def clear(md):
    d = os.path.join(md, "new")
    for name in os.listdir(d):
        os.unlink(os.path.join(d, name))


def run(argv, md, conc):
    """COUNT injections of argv by CONC injectors; seconds until the last
    message is in MD/new, and seconds until the last injection."""
    clear(md)
    left = [opt.count]
    lock = threading.Lock()
    errors = []

    def injector():
        while True:
            with lock:
                if left[0] <= 0 or errors:
                    return
                left[0] -= 1
            p = subprocess.run(argv, input=body, stdout=subprocess.DEVNULL)
            if p.returncode != 0:
                with lock:
                    errors.append(p.returncode)
    threads = [threading.Thread(target=injector) for _ in range(conc)]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    tinj = time.monotonic() - t0
    if errors:
        sys.exit("%s exited %d" % (argv[0], errors[0]))
    if not wait_for(lambda: maildir_count(md) >= opt.count, opt.timeout,
                    step=0.01):
        sys.exit("only %d of %d messages arrived in %s"
                 % (maildir_count(md), opt.count, md))
    total = time.monotonic() - t0
    if maildir_count(md) != opt.count:
        sys.exit("%d messages in %s, expected %d"
                 % (maildir_count(md), md, opt.count))
    clear(md)
    return total, tinj


q = Qmail("e2e")
q.reset()
pf = None
results = []
try:
    q.start()
    if not opt.no_postfix:
        pf = Postfix()
    qargv = [os.path.join(q.bin, "sendmail"), "-f", "bench@" + DOMAIN,
             "user@" + DOMAIN]
    for c in opt.conc:
        qt = run(qargv, q.maildir, c)
        pt = None
        if pf:
            pt = run(pf.sendmail_argv("bench@" + PF_DOMAIN,
                                      PF_USER + "@" + PF_DOMAIN),
                     pf.maildir, c)
        results.append((c, qt, pt))
finally:
    q.stop()
    if pf:
        pf.stop()

print("inject -> Maildir: %d messages of %d bytes, one local recipient"
      % (opt.count, len(body)))
print("%11s %16s %16s %8s" % ("injectors", "qmail msg/s", "Postfix msg/s",
                              "ratio"))
for c, qt, pt in results:
    qr = opt.count / qt[0]
    if pt:
        pr = opt.count / pt[0]
        print("%11d %16.0f %16.0f %7.2fx" % (c, qr, pr, qr / pr))
    else:
        print("%11d %16.0f %16s %8s" % (c, qr, "-", "-"))
print("(messages/s from the first injection until the last message is in "
      "new/;\n ratio = qmail / Postfix; injection alone took:",
      ", ".join("%d injectors qmail %.1f s%s" %
                (c, qt[1], ", Postfix %.1f s" % pt[1] if pt else "")
                for c, qt, pt in results) + ")")
