#!/usr/bin/env python3
"""The systemd units, without systemd as PID 1: this test reads the
ExecStart lines of the generated qmail-send.service and
qmail-smtpd@.service and runs them itself, qmail-smtpd under
systemd-socket-activate (--inetd --accept: each connection on the
program's stdin and stdout, as StandardInput=socket with Accept=yes
gives).  User=, Group= and LimitAS= are not applied by this harness (the
test instance is unprivileged).  Mail sent over SMTP must land in a
Maildir, and stopping the service must leave nothing behind."""
import os
import pwd
import shlex
import shutil
import signal
import smtplib
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from tap import Tap, QBIN, QBUILD, QHOME, instance_reset  # noqa: E402
from servers import stop  # noqa: E402

t = Tap()
SA = shutil.which("systemd-socket-activate")
if not SA:
    t.skip("systemd units", "systemd-socket-activate is not installed")
    t.done()

UNITS = os.path.join(QBUILD, "systemd")


def unit_value(name, key):
    with open(os.path.join(UNITS, name)) as f:
        for line in f:
            if line.startswith(key + "="):
                return line[len(key) + 1:].strip()
    return None


send_exec = unit_value("qmail-send.service", "ExecStart")
smtpd_exec = unit_value("qmail-smtpd@.service", "ExecStart")
t.ok(send_exec and "qmail-start" in send_exec,
     "qmail-send.service runs qmail-start")
t.ok(smtpd_exec and "tcp-env" in smtpd_exec and "qmail-smtpd" in smtpd_exec,
     "qmail-smtpd@.service runs qmail-smtpd through tcp-env")
t.eq(unit_value("qmail-smtpd.socket", "Accept"), "yes",
     "qmail-smtpd.socket has Accept=yes")
t.eq(unit_value("qmail-smtpd@.service", "StandardInput"), "socket",
     "the session's stdin is the connection")

ME = "units.example"
instance_reset()
for name, text in (("me", ME), ("locals", ME), ("rcpthosts", ME),
                   ("defaultdelivery", "./Maildir/")):
    with open(os.path.join(QHOME, "control", name), "w") as f:
        f.write(text + "\n")
top = tempfile.mkdtemp(prefix="units.")
os.chmod(top, 0o755)
home = os.path.join(top, "joe")
os.mkdir(home, 0o755)
md = os.path.join(home, "Maildir")
subprocess.run([os.path.join(QBIN, "maildirmake"), md], check=True)
me = pwd.getpwuid(os.getuid())
with open(os.path.join(QHOME, "users", "assign"), "w") as f:
    f.write("=joe:%s:%d:%d:%s:::\n.\n" % (me.pw_name, me.pw_uid, me.pw_gid,
                                          home))
subprocess.run([os.path.join(QBIN, "qmail-newu")], check=True)

port = 20000 + (os.getpid() * 11) % 20000
send = subprocess.Popen(shlex.split(send_exec), cwd="/",
                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                        start_new_session=True)
sock = subprocess.Popen([SA, "--inetd", "--accept", "-l",
                         "127.0.0.1:%d" % port] + shlex.split(smtpd_exec),
                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                        start_new_session=True)
try:
    reply = None
    for _ in range(100):
        try:
            s = smtplib.SMTP("127.0.0.1", port, timeout=10)
            break
        except OSError:
            time.sleep(0.1)
    else:
        s = None
    t.ok(s is not None, "the socket accepts a connection")
    if s:
        code, banner = s.ehlo("client.example")
        t.eq(code, 250, "qmail-smtpd answers EHLO")
        refused = s.sendmail("a@example.org", ["joe@" + ME],
                             "Subject: via systemd units\r\n\r\nhello\r\n")
        s.quit()
        t.eq(refused, {}, "the message is accepted")

    def arrived():
        for name in os.listdir(os.path.join(md, "new")):
            with open(os.path.join(md, "new", name), "rb") as f:
                data = f.read()
            if b"via systemd units" in data:
                return data
        return None
    data = None
    for _ in range(200):
        data = arrived()
        if data:
            break
        time.sleep(0.1)
    t.ok(data is not None, "it lands in joe's Maildir")
    received = b""
    if data:
        for line in data.split(b"\n"):
            if line.startswith(b"Received: from"):
                received = line
                break
    t.ok(received.endswith(b"(127.0.0.1)") and b"HELO client.example"
         in received,
         "qmail-smtpd's Received line names the peer tcp-env found")
    t.diag(received.decode("ascii", "replace"))

    # SMTPS: qmail-smtps@.service with a certificate and a checkpassword
    # program put in place of the unit's placeholder
    smtps_exec = unit_value("qmail-smtps@.service", "ExecStart") or ""
    sub_exec = unit_value("qmail-submission@.service", "ExecStart") or ""
    t.ok("qmail-tlsd" in smtps_exec and "qmail-checkpassword" in
         smtps_exec, "qmail-smtps@.service runs qmail-tlsd, qmail-smtpd "
         "and a checkpassword program")
    t.ok("qmail-tlsd" not in sub_exec and "qmail-checkpassword" in
         sub_exec and unit_value("qmail-submission@.service",
                                 "Environment") == "SMTPAUTH_REQUIRED=1",
         "qmail-submission@.service requires AUTH")
    openssl = shutil.which("openssl")
    if not openssl:
        t.skip("SMTPS unit", "openssl is not installed")
    else:
        import ssl
        cert = os.path.join(QHOME, "control", "servercert.pem")
        subprocess.run([openssl, "req", "-x509", "-newkey", "rsa:2048",
                        "-nodes", "-keyout", cert + ".key", "-out",
                        cert + ".crt", "-days", "2", "-subj", "/CN=" + ME],
                       capture_output=True, check=True)
        with open(cert, "wb") as out:
            for part in (".crt", ".key"):
                with open(cert + part, "rb") as f:
                    out.write(f.read())
        chk = os.path.join(top, "checkpw")
        with open(chk, "w") as f:
            f.write("#!/bin/sh\n"
                    "[ \"$(tr '\\0' ' ' <&3)\" = 'joe secret  ' ] && "
                    "exec \"$@\"\nexit 1\n")
        os.chmod(chk, 0o755)
        argv = [chk if a.endswith("/bin/qmail-checkpassword") else
                ME if a == "%H" else a for a in shlex.split(smtps_exec)]
        sport = 22190 + os.getpid() % 10
        ssock = subprocess.Popen([SA, "--inetd", "--accept", "-l",
                                  "127.0.0.1:%d" % sport] + argv,
                                 stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL,
                                 start_new_session=True)
        try:
            ctx = ssl.create_default_context()
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            s = None
            for _ in range(100):
                try:
                    s = smtplib.SMTP_SSL("127.0.0.1", sport, context=ctx,
                                         timeout=10)
                    break
                except OSError:
                    time.sleep(0.1)
            t.ok(s is not None, "the SMTPS socket accepts a TLS connection")
            if s:
                s.login("joe", "secret")
                refused = s.sendmail("joe@" + ME, ["joe@" + ME],
                                     "Subject: via smtps unit\r\n\r\nhi\r\n")
                s.quit()
                t.eq(refused, {}, "SMTPS unit: AUTH and a message accepted")
            data = None
            for _ in range(200):
                for name in os.listdir(os.path.join(md, "new")):
                    with open(os.path.join(md, "new", name), "rb") as f:
                        got = f.read()
                    if b"via smtps unit" in got:
                        data = got
                if data:
                    break
                time.sleep(0.1)
            t.ok(data is not None and b"with ESMTPSA (TLSv1." in data and
                 b"auth joe)" in data,
                 "it lands in joe's Maildir, received with ESMTPSA")
        finally:
            stop(ssock)
finally:
    for p in (sock, send):
        p.send_signal(signal.SIGTERM)
    for p in (sock, send):
        try:
            p.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()
t.eq(send.returncode, 0, "qmail-send stops cleanly on TERM (KillMode=mixed)")
shutil.rmtree(top, ignore_errors=True)
t.done()
