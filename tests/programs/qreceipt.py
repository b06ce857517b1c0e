#!/usr/bin/env python3
"""Black-box tests of qreceipt(1)."""
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from tap import Tap, QBIN  # noqa: E402
from fakeq import FakeQueue  # noqa: E402

t = Tap()
PROG = os.path.join(QBIN, "qreceipt")
FQ = FakeQueue("qreceipt.")
REC, FAKEQ = FQ.rec_dir, FQ.path
ME = "joe@nowhere.mil"


def run(args, msg, env=None, unset=()):
    e = {"PATH": os.environ["PATH"], "REC": REC, "QMAILQUEUE": FAKEQ,
         "SENDER": "asker@a.org"}
    e.update(env or {})
    for k in unset:
        e.pop(k, None)
    FQ.clear()
    p = subprocess.run([PROG] + args, input=msg, env=e, capture_output=True)
    return p.returncode, p.stdout, p.stderr


rec = FQ.rec


def asked(field, extra=b""):
    return (b"From: asker@a.org\nMessage-ID: <m1@a.org>\n"
            b"Notice-Requested-Upon-Delivery-To: " + field + b"\n" + extra +
            b"Subject: please\n\nbody\n")


rc, out, err = run([], b"")
t.eq(rc, 100, "no address: exit 100")
t.ok(b"usage" in err, "usage message")
rc, out, err = run([ME], asked(ME.encode()), unset=["SENDER"])
t.eq(rc, 100, "SENDER missing: exit 100")
t.ok(b"SENDER not set" in err, "SENDER missing: text")
rc, out, err = run(["a\nb@c"], b"")
t.eq(rc, 100, "address with a line break: refused")

rc, out, err = run([ME], b"Subject: none\n\nbody\n")
t.eq((rc, rec("env")), (0, None), "no request: exit 0, nothing sent")

rc, out, err = run([ME], asked(ME.encode()))
t.eq(rc, 0, "request for us: exit 0")
t.eq(rec("env"), b"F\0Tasker@a.org\0\0",
     "notice from the null sender to SENDER")
m = rec("msg") or b""
head, _, body = m.partition(b"\n\n")
t.ok(b"From: DELIVERY NOTICE SYSTEM <joe@nowhere.mil>\n" in head + b"\n",
     "From: DELIVERY NOTICE SYSTEM <youraddress>")
t.ok(b"\nTo: <asker@a.org>" in head, "To: the sender")
t.ok(b"\nSubject: success notice" in head, "Subject: success notice")
t.ok(b"\nDate: " in head, "has a Date")
t.ok(b"joe@nowhere.mil" in body and b"delivered" in body,
     "body names the address it was delivered to")
t.ok(b"<m1@a.org>" in body, "body quotes the Message-ID")
t.ok(err.startswith(b"qreceipt: qp "), "reports the qp number")

rc, out, err = run([ME], asked(b"other@x.org, third@y.org"))
t.eq((rc, rec("env")), (0, None), "request for others only: nothing sent")
rc, out, err = run([ME], asked(b"Joe Random (the boss) <joe@NOWHERE.mil>,\n"
                               b"  list: a@b, c@d;"))
t.eq(rec("env"), b"F\0Tasker@a.org\0\0",
     "display name, comment, folding, domain case: matched")
rc, out, err = run([ME], asked(b"JOE@nowhere.mil"))
t.eq(rec("env"), None, "local part differs in case: not matched")
rc, out, err = run([ME], asked(b"grp: x@y, joe@nowhere.mil;"))
t.ok(rec("env") is not None, "address inside a group matched")
rc, out, err = run([ME], asked(b"joe@nowhere.mil", b"").replace(
    b"Notice-Requested-Upon-Delivery-To", b"notice-requested-upon-delivery-to"))
t.ok(rec("env") is not None, "field name matched without case")
rc, out, err = run([ME], b"Subject: x\n\nNotice-Requested-Upon-Delivery-To: "
                   + ME.encode() + b"\n")
t.eq(rec("env"), None, "the field in the body does not count")

for s in ("", "#@[]"):
    rc, out, err = run([ME], asked(ME.encode()), env={"SENDER": s})
    t.eq((rc, rec("env")), (0, None), f"sender {s!r}: no notice")
rc, out, err = run([ME], asked(ME.encode()),
                   env={"SENDER": "evil@a.org\nBcc: x@y"})
t.eq((rc, rec("env")), (0, None), "sender with a line break: no notice")
rc, out, err = run(['odd name@x.org'], asked(b'"odd name"@x.org'))
t.ok(b'From: DELIVERY NOTICE SYSTEM <"odd name"@x.org>' in (rec("msg") or b""),
     "quoted local part matched and quoted again")

rc, out, err = run([ME], asked(ME.encode()), env={"QQ_EXIT": "31"})
t.eq(rc, 100, "permanent queue failure: 100")
rc, out, err = run([ME], asked(ME.encode()), env={"QQ_EXIT": "53"})
t.eq(rc, 111, "temporary queue failure: 111")

huge = asked(b"x@y, " * 200000 + ME.encode())
rc, out, err = run([ME], huge)
t.eq(rc, 0, "1 MB request field: exit 0 (cut, bounded)")
big = b"X-Huge: " + b"h" * (20 * 1024 * 1024) + b"\n" + asked(ME.encode())
rc, out, err = run([ME], big)
t.eq((rc, rec("env")), (0, None),
     "field after 20 MB of header: not looked for (bounded), exit 0")
t.done()
