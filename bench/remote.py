#!/usr/bin/env python3
"""bench/remote.py - remote delivery throughput, qmail-send next to Postfix.

Usage: bench/remote.py [COUNT [SIZE]] [--conc C ...] [--no-postfix]
       [--port P] [--sessions N] [--no-cache] [--timeout S]
       (default 2000 messages of 4096 bytes, concurrency 20, ports
        21500 (the sink), 21501 and 21502 (qmail's and Postfix's SMTP);
        as root for the Postfix part)

One smtp-sink (from Debian's postfix package) listens on 127.0.0.1:P; it
accepts every message and throws it away.  Both systems relay the same
COUNT messages for user@remote.example to it:

  qmail    a private unprivileged instance (build/bench-remote, or
           $BENCH_BUILD) with control/smtproutes
           "remote.example:127.0.0.1:P" and control/concurrencyremote C;
           qmail-send -> qmail-rspawn -> one qmail-remote per message, one
           SMTP connection per message;
  Postfix  a private instance (bench/instance.py) with transport_maps
           "remote.example smtp:[127.0.0.1]:P" and
           default_destination_concurrency_limit C; its smtp client keeps
           connections open and reuses them for the next message to the
           same destination (smtp_connection_cache_on_demand, on by
           default), so it sends several messages per connection.
           --no-cache turns that off in an extra run.

For each concurrency C, each system first queues all COUNT messages, not
timed, through its own SMTP server: `smtp-source -s 10 -m COUNT -l SIZE`
(one message per connection, SIZE bytes of body after smtp-source's few
header lines, the same messages for both), as in bench/smtp.py, while
nothing can be delivered:

  qmail    qmail-smtpd under tcpserver on 127.0.0.1:P+1 (remote.example is
           in rcpthosts); then qmail-start runs with concurrencyremote 0,
           which holds remote deliveries, and the script waits until
           qmail-todo has moved every message from todo/ to info/ and
           remote/ (qmail's counterpart of the work Postfix's cleanup has
           done by the time a message is queued);
  Postfix  its smtpd on 127.0.0.1:P+2, every accepted message put on hold
           (check_recipient_access static:HOLD).

Then the timed part: the clock starts, the held deliveries are released
(qmail: concurrencyremote C and a HUP to qmail-send, which rereads it;
Postfix: `postsuper -H ALL`, which moves the messages to the deferred
queue, then `postqueue -f` for an immediate queue run), and the clock
stops when the sink has received all COUNT messages (smtp-sink -c's
counter of final dots).  Messages/s is COUNT over that time.
--from-start times qmail from qmail-start instead, with qmail-todo's
preprocessing inside the timed part.  The script then waits until the
queue is empty (shown too), checks that the sink received exactly COUNT
messages and that nothing was deferred, and prints the number of SMTP
connections the sink saw (counted once the client is stopped).
"""
import argparse
import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from instance import (Qmail, Postfix, Sink, DOMAIN, PF_DOMAIN,  # noqa
                      wait_for, files_under)

RDOMAIN = "remote.example"
RCPT = "user@" + RDOMAIN

ap = argparse.ArgumentParser()
ap.add_argument("count", nargs="?", type=int, default=2000)
ap.add_argument("size", nargs="?", type=int, default=4096)
ap.add_argument("--conc", type=int, nargs="+", default=[20],
                help="concurrencyremote / default_destination_"
                "concurrency_limit (default 20, both systems' default)")
ap.add_argument("--port", type=int, default=21500)
ap.add_argument("--sessions", type=int, default=10,
                help="smtp-source sessions while queueing (default 10)")
ap.add_argument("--no-postfix", action="store_true")
ap.add_argument("--no-cache", action="store_true",
                help="also run Postfix with smtp_connection_cache_on_"
                "demand = no (one connection per message, as qmail)")
ap.add_argument("--from-start", action="store_true",
                help="time qmail from qmail-start (qmail-todo's "
                "preprocessing included) instead of from the release of "
                "held remote deliveries")
ap.add_argument("--timeout", type=int, default=600,
                help="seconds to wait for one delivery run (default 600)")
opt = ap.parse_args()
if opt.port <= 20000 or opt.port > 65533:
    sys.exit("--port must be from 20001 to 65533 (it uses P, P+1, P+2)")
if opt.count < 1 or opt.sessions < 1 or min(opt.conc) < 1:
    sys.exit("COUNT, --sessions and --conc must be positive")
SOURCE = "/usr/sbin/smtp-source"
if not os.path.exists(SOURCE):
    sys.exit("smtp-source is missing (Debian package postfix)")


def source(port, sender, queued, what):
    """COUNT messages of SIZE bytes to RCPT through the SMTP server on
    PORT with smtp-source; waits until all are in the queue."""
    try:
        p = subprocess.run([SOURCE, "-s", str(opt.sessions), "-m",
                            str(opt.count), "-l", str(opt.size), "-f",
                            sender, "-t", RCPT, "127.0.0.1:%d" % port],
                           capture_output=True, text=True,
                           timeout=opt.timeout)
    except subprocess.TimeoutExpired:
        sys.exit("%s: smtp-source did not finish in %d s"
                 % (what, opt.timeout))
    if p.returncode != 0:
        sys.exit("%s: smtp-source exited %d: %s"
                 % (what, p.returncode, p.stderr))
    if not wait_for(lambda: queued() >= opt.count, 30, step=0.05):
        sys.exit("%s: %d of %d messages queued"
                 % (what, queued(), opt.count))
    if queued() != opt.count:
        sys.exit("%s: %d messages queued, expected %d"
                 % (what, queued(), opt.count))


def timed(sink, release, queued, what):
    """Run release(), then wait until the sink has COUNT more messages
    (seconds: the figure) and until queued() is 0 (seconds, shown too)."""
    before = sink.received()
    t0 = time.monotonic()
    release()
    if not wait_for(lambda: sink.received() - before >= opt.count,
                    opt.timeout, step=0.005):
        sys.exit("%s: the sink received %d of %d messages in %d s "
                 "(%d still queued)" % (what, sink.received() - before,
                                        opt.count, opt.timeout, queued()))
    tsink = time.monotonic() - t0
    if not wait_for(lambda: queued() == 0, opt.timeout, step=0.01):
        sys.exit("%s: %d messages still queued after %d s"
                 % (what, queued(), opt.timeout))
    tempty = time.monotonic() - t0
    # a moment for a stray duplicate to show up in the counter
    time.sleep(0.2)
    got = sink.received() - before
    if got != opt.count:
        sys.exit("%s: the sink received %d messages, expected %d"
                 % (what, got, opt.count))
    return tsink, tempty


def connections(sink, before):
    """Sessions the sink saw since BEFORE, once the client is stopped
    (a session is counted when it ends, and Postfix's cached connections
    end only then)."""
    def settled():
        now = sink.sessions()
        time.sleep(0.3)
        return sink.sessions() == now
    wait_for(settled, 10)
    return sink.sessions() - before


def run_qmail(q, sink, c):
    q.reset()
    q.control("rcpthosts", "%s\n%s" % (DOMAIN, RDOMAIN))
    q.control("smtproutes", "%s:127.0.0.1:%d" % (RDOMAIN, opt.port))
    q.control("concurrencyremote", str(c) if opt.from_start else "0")
    sess, got = sink.sessions(), sink.received()
    queue = os.path.join(q.home, "queue")

    def preprocessed():
        return (files_under(os.path.join(queue, "todo")) == 0 and
                files_under(os.path.join(queue, "info")) == opt.count)

    def release():
        q.control("concurrencyremote", str(c))
        os.kill(q.proc.pid, signal.SIGHUP)
    try:
        q.smtpd(opt.port + 1)
        source(opt.port + 1, "bench@" + DOMAIN, q.queued, "qmail")
        what = "qmail, concurrency %d" % c
        if opt.from_start:
            r = timed(sink, q.start, q.queued, what)
        else:
            # remote deliveries held (concurrencyremote 0): qmail-todo
            # moves every message from todo/ to info/ and remote/
            q.start()
            if not wait_for(preprocessed, opt.timeout, step=0.05):
                sys.exit("qmail: qmail-todo did not preprocess the "
                         "messages; see " + q.logname)
            # qmail-todo tells qmail-send about a message just after its
            # todo/ file is gone
            time.sleep(0.5)
            if sink.received() != got:
                sys.exit("qmail: deliveries while concurrencyremote is 0")
            r = timed(sink, release, q.queued, what)
    finally:
        q.stop()
    with open(q.logname, "rb") as f:
        log = f.read()
    bad = log.count(b": deferral: ") + log.count(b": failure: ")
    if bad:
        sys.exit("qmail: %d deliveries deferred or failed; see %s"
                 % (bad, q.logname))
    return r + (connections(sink, sess),)


def run_postfix(sink, c, cache=True):
    settings = [
        "transport_maps=inline:{%s=smtp:[127.0.0.1]:%d}"
        % (RDOMAIN, opt.port),
        "default_destination_concurrency_limit=%d" % c,
    ]
    if not cache:
        settings.append("smtp_connection_cache_on_demand=no")
    sess = sink.sessions()
    pf = Postfix(smtp_port=opt.port + 2, deliver=False, settings=settings)
    try:
        source(opt.port + 2, "bench@" + PF_DOMAIN, pf.queued, "Postfix")
        if not wait_for(lambda: pf.held() == opt.count, 30, step=0.05):
            sys.exit("Postfix: %d of %d messages on hold"
                     % (pf.held(), opt.count))

        def release():
            pf.command("postsuper", "-H", "ALL")
            pf.command("postqueue", "-f")
        r = timed(sink, release, pf.queued,
                  "Postfix, concurrency %d" % c)
        with open(pf.logname, "rb") as f:
            log = f.read()
        bad = log.count(b"status=deferred") + log.count(b"status=bounced")
        if bad:
            sys.exit("Postfix: %d deliveries deferred or bounced"
                     % bad)
    finally:
        pf.stop()
    return r + (connections(sink, sess),)


# a TERM (from timeout(1), say) tears down like an error does
signal.signal(signal.SIGTERM, lambda signo, frame: sys.exit("terminated"))
q = Qmail("remote")
sink = None
results = []
try:
    sink = Sink(opt.port)
    for c in opt.conc:
        qt = run_qmail(q, sink, c)
        pt = pn = None
        if not opt.no_postfix:
            pt = run_postfix(sink, c)
            if opt.no_cache:
                pn = run_postfix(sink, c, cache=False)
        results.append((c, qt, pt, pn))
finally:
    q.stop()
    if sink:
        sink.stop()

print("remote delivery to smtp-sink on 127.0.0.1: %d messages of %d bytes, "
      "one recipient each" % (opt.count, opt.size))
head = "%11s %16s %16s %8s" % ("concurrency", "qmail msg/s", "Postfix msg/s",
                              "ratio")
if opt.no_cache:
    head += " %16s %8s" % ("no-cache msg/s", "ratio")
print(head)
for c, qt, pt, pn in results:
    qr = opt.count / qt[0]
    line = "%11d %16.0f" % (c, qr)
    for t in (pt, pn) if opt.no_cache else (pt,):
        if t:
            line += " %16.0f %7.2fx" % (opt.count / t[0],
                                        qr / (opt.count / t[0]))
        else:
            line += " %16s %8s" % ("-", "-")
    print(line)
print("(messages/s from %s (qmail) and postsuper -H ALL (Postfix)\n"
      " until the sink has received the last message; ratio = qmail / "
      "Postfix)" % ("qmail-start" if opt.from_start else
                    "concurrencyremote 0 -> C and a HUP"))
for c, qt, pt, pn in results:
    for name, t in (("qmail", qt), ("Postfix", pt),
                    ("Postfix no-cache", pn)):
        if t:
            print("concurrency %d, %s: last message at the sink after "
                  "%.2f s, queue empty after %.2f s, %d SMTP connections"
                  % (c, name, t[0], t[1], t[2]))
