#!/usr/bin/env python3
"""bench/smtp.py - SMTP acceptance throughput, qmail-smtpd next to Postfix.

Usage: bench/smtp.py [COUNT [SIZE]] [--conc C ...] [--no-postfix]
       [--port P]   (default 2000 messages of 4096 bytes, concurrency
                     1, 10 and 50, ports 20625 and 20626; as root)

Runs smtp-source (from Debian's postfix package) against

  qmail    qmail-smtpd under `tcpserver -R -H -c 100 -b 100` on 127.0.0.1:P, in a
           private unprivileged instance (build/bench-smtp, or
           $BENCH_BUILD); qmail-send is NOT running, so accepted messages
           stay in the queue and no delivery competes with the SMTP
           server (qmail-queue still writes and fsyncs every message);
  Postfix  the smtpd of a private Postfix instance (bench/instance.py) on
           127.0.0.1:P+1, where every accepted message is put on hold
           (check_recipient_access static:HOLD) for the same reason:
           accepted messages stay in the hold queue and are not delivered
           (cleanup still writes and fsyncs every message);
           smtpd_peername_lookup = no, as tcpserver -H.

`smtp-source -s C -m COUNT -l SIZE -f FROM -t TO 127.0.0.1:PORT` sends
COUNT messages over C parallel sessions, one message per connection.  The
figure is messages/s over smtp-source's whole run; the script checks that
every message reached the queue.
"""
import argparse
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from instance import (Qmail, Postfix, DOMAIN, PF_DOMAIN, PF_USER,  # noqa
                      wait_for)

ap = argparse.ArgumentParser()
ap.add_argument("count", nargs="?", type=int, default=2000)
ap.add_argument("size", nargs="?", type=int, default=4096)
ap.add_argument("--conc", type=int, nargs="+", default=[1, 10, 50])
ap.add_argument("--port", type=int, default=20625)
ap.add_argument("--no-postfix", action="store_true")
opt = ap.parse_args()
if opt.port <= 20000 or opt.port > 65534:
    sys.exit("--port must be above 20000")
SOURCE = "/usr/sbin/smtp-source"
if not os.path.exists(SOURCE):
    sys.exit("smtp-source is missing (Debian package postfix)")


def source(conc, port, sender, rcpt, queued):
    before = queued()
    t0 = time.monotonic()
    p = subprocess.run([SOURCE, "-s", str(conc), "-m", str(opt.count),
                        "-l", str(opt.size), "-f", sender, "-t", rcpt,
                        "127.0.0.1:%d" % port], capture_output=True,
                       text=True, timeout=600)
    wall = time.monotonic() - t0
    if p.returncode != 0:
        sys.exit("smtp-source exited %d: %s" % (p.returncode, p.stderr))
    # every message in the queue (a moment for the last ones to be counted)
    if not wait_for(lambda: queued() - before >= opt.count, 10):
        sys.exit("only %d of %d messages reached the queue (port %d)"
                 % (queued() - before, opt.count, port))
    return opt.count / wall


q = Qmail("smtp")
q.reset()
pf = None
results = []
try:
    q.smtpd(opt.port)
    if not opt.no_postfix:
        pf = Postfix(smtp_port=opt.port + 1, deliver=False)
    for c in opt.conc:
        qr = source(c, opt.port, "bench@" + DOMAIN, "user@" + DOMAIN,
                    q.queued)
        pr = None
        if pf:
            pr = source(c, opt.port + 1, "bench@" + PF_DOMAIN,
                        PF_USER + "@" + PF_DOMAIN, pf.held)
        results.append((c, qr, pr))
finally:
    q.stop()
    if pf:
        pf.stop()

print("SMTP acceptance: smtp-source, %d messages of %d bytes, one message "
      "per connection, no delivery running" % (opt.count, opt.size))
print("%11s %16s %16s %8s" % ("sessions", "qmail msg/s", "Postfix msg/s",
                              "ratio"))
for c, qr, pr in results:
    if pr:
        print("%11d %16.0f %16.0f %7.2fx" % (c, qr, pr, qr / pr))
    else:
        print("%11d %16.0f %16s %8s" % (c, qr, "-", "-"))
print("(ratio = qmail / Postfix)")
