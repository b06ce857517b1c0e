#!/usr/bin/env python3
"""qmail-tlsd: STARTTLS in qmail-smtpd and SMTPS (port 465) with real
clients over loopback through tcpserver: Python's smtplib and ssl, swaks
--tls and --tls-on-connect with --auth, a client that pipelines after
STARTTLS, handshake garbage and silence.  qmail-tlsd is also run directly
on a socket pair to see its exit codes.  A self-signed certificate is
made with the openssl command; AUTH uses a small checkpassword program
written here."""
import base64
import os
import re
import shutil
import smtplib
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from tap import Tap, QHOME, QBIN, instance_reset  # noqa: E402
from queuetest import clear_queue, committed, control, strip_uid_pid  # noqa
from servers import tcpserver, wait_port, write_checkpassword  # noqa: E402
from tlstest import client_ctx, needed, self_signed, write_pem  # noqa: E402

t = Tap()
Q = os.path.join(QHOME, "queue")
# two ports in 22000-22199
PORT = 22000 + (os.getpid() % 95) * 2
SPORT = PORT + 1
TCPSERVER = shutil.which("tcpserver")
OPENSSL = shutil.which("openssl")
SWAKS = shutil.which("swaks")
SMTPD = os.path.join(QBIN, "qmail-smtpd")
TLSD = os.path.join(QBIN, "qmail-tlsd")


def queued():
    return [(m, strip_uid_pid(e)) for _, m, e in committed()]


def read_reply(f):
    """The lines of one SMTP reply (a file object), as str."""
    lines = []
    while True:
        line = f.readline()
        if not line:
            return lines
        lines.append(line.decode("latin-1").rstrip("\r\n"))
        if line[3:4] != b"-":
            return lines


def closed_within(sock, seconds):
    """True if the peer closes sock (EOF or reset) within seconds."""
    sock.settimeout(0.2)
    end = time.time() + seconds
    while time.time() < end:
        try:
            if sock.recv(4096) == b"":
                return True
        except socket.timeout:
            continue
        except OSError:
            return True
    return False


for tool, name in ((TCPSERVER, "tcpserver"), (OPENSSL, "openssl")):
    if tool is None:
        t.skip("qmail-tlsd", name + " is not installed")
        t.done()

# --- qmail-tlsd is the only program that links OpenSSL --------------------
if shutil.which("readelf"):
    t.ok(not any("ssl" in x or "crypto" in x for x in needed(SMTPD)),
         "qmail-smtpd does not link libssl or libcrypto")
    t.ok(any(x.startswith("libssl") for x in needed(TLSD)),
         "qmail-tlsd links libssl")
else:
    t.skip("linked libraries", "readelf is not installed")

# --- the instance, a certificate, a checkpassword program -----------------
instance_reset()
control("me", "mx.example.org\n")
control("rcpthosts", "example.org\n")
tmp = tempfile.mkdtemp(prefix="tlsd.")
rc, key, cert = self_signed(OPENSSL, tmp, "mx.example.org")
t.eq(rc, 0, "openssl makes a self-signed certificate")
SERVERCERT = os.path.join(QHOME, "control", "servercert.pem")
write_pem(SERVERCERT, cert, key)

CHKPW = os.path.join(tmp, "checkpw")
write_checkpassword(CHKPW)
ARGS = ["mx.example.org", CHKPW, "/bin/true"]

log = open(os.path.join(tmp, "tcpserver.log"), "wb")
plain = tcpserver(TCPSERVER, PORT, [SMTPD] + ARGS, stderr=log)
smtps = tcpserver(TCPSERVER, SPORT, [TLSD, SMTPD] + ARGS, stderr=log)
try:
    t.ok(wait_port(PORT) and wait_port(SPORT), "both listeners are up")

    # --- STARTTLS with smtplib ----------------------------------------------
    clear_queue()
    s = smtplib.SMTP("127.0.0.1", PORT, local_hostname="client.example",
                     timeout=30)
    s.ehlo()
    t.ok(s.has_extn("starttls"), "plain EHLO offers STARTTLS")
    t.ok(not s.has_extn("auth"), "plain EHLO does not offer AUTH")
    code, msg = s.docmd("AUTH", "PLAIN " + base64.b64encode(
        b"\0joe\0secret").decode())
    t.eq(code, 538, "AUTH before STARTTLS: 538 encryption required")
    code, msg = s.starttls(context=client_ctx())
    t.eq(code, 220, "STARTTLS: 220")
    t.ok(s.sock.version() in ("TLSv1.2", "TLSv1.3"),
         "TLS 1.2 or later negotiated (%s)" % s.sock.version())
    code, msg = s.ehlo()
    t.eq(code, 250, "EHLO again over TLS")
    t.ok(s.has_extn("auth") and "PLAIN" in s.esmtp_features["auth"] and
         "LOGIN" in s.esmtp_features["auth"], "EHLO over TLS offers AUTH")
    t.ok(not s.has_extn("starttls"), "EHLO over TLS no longer offers STARTTLS")
    t.eq(s.docmd("STARTTLS")[0], 503, "STARTTLS inside TLS: 503")
    refused = s.sendmail("alice@sender.example", ["bob@example.org"],
                         b"Subject: over starttls\r\n\r\nsecret stuff\r\n")
    t.eq(refused, {}, "message accepted over TLS")
    try:
        s.sendmail("alice@sender.example", ["eve@elsewhere.example"],
                   b"Subject: relay\r\n\r\nx\r\n")
        t.ok(False, "relaying refused over TLS without AUTH")
    except smtplib.SMTPRecipientsRefused:
        t.ok(True, "relaying refused over TLS without AUTH")
    s.login("joe", "secret")
    refused = s.sendmail("joe@example.org", ["eve@elsewhere.example"],
                         b"Subject: relayed\r\n\r\nx\r\n")
    t.eq(refused, {}, "after AUTH over TLS relaying is allowed")
    s.quit()
    q = queued()
    t.eq(len(q), 2, "two messages queued")
    recs = {}
    for m, e in q:
        subj = re.search(rb"Subject: (.*)\n", m).group(1)
        recs[subj] = (m, e)
    m = recs.get(b"over starttls", (b"", b""))[0]
    t.ok(re.search(rb"\nReceived: from unknown \(HELO client.example\) "
                   rb"\(127.0.0.1\)\n  by localhost with ESMTPS \(TLSv1.[23] "
                   rb"[A-Z0-9_-]+\); ", m) is not None,
         "Received says ESMTPS with the protocol and cipher")
    m, e = recs.get(b"relayed", (b"", b""))
    t.ok(re.search(rb"\n  by localhost with ESMTPSA \(TLSv1.[23] "
                   rb"[A-Z0-9_-]+, auth joe\); ", m) is not None,
         "Received says ESMTPSA ... auth joe after AUTH")
    t.eq(e, b"Fjoe@example.org\0Teve@elsewhere.example\0",
         "the relayed envelope")

    # --- a large message through the relay buffers ---------------------------
    clear_queue()
    body = b"".join(b"line %06d " % i + b"x" * 90 + b"\r\n"
                    for i in range(20000))
    s = smtplib.SMTP("127.0.0.1", PORT, timeout=60)
    s.starttls(context=client_ctx())
    s.sendmail("a@b.example", ["bob@example.org"], b"Subject: big\r\n\r\n" +
               body)
    s.quit()
    q = queued()
    t.ok(len(q) == 1 and q[0][0].endswith(b"Subject: big\n\n" +
                                         body.replace(b"\r\n", b"\n")),
         "2 MB message over STARTTLS arrives intact")

    # --- STARTTLS pipelining injection (CVE-2011-0411 class) -----------------
    sock = socket.create_connection(("127.0.0.1", PORT), 10)
    f = sock.makefile("rwb")
    read_reply(f)
    f.write(b"EHLO x\r\n")
    f.flush()
    read_reply(f)
    f.write(b"STARTTLS\r\nRSET\r\n")
    f.flush()
    r1, r2 = read_reply(f), read_reply(f)
    t.eq(r1, ["503 STARTTLS must be the last command sent before the reply "
              "(#5.5.1)"], "STARTTLS with a command pipelined after it: 503")
    t.eq(r2, ["250 flushed"],
         "...and the pipelined RSET is answered in plain text, not in TLS")
    f.write(b"STARTTLS extra\r\n")
    f.flush()
    t.eq(read_reply(f), ["501 STARTTLS takes no argument (#5.5.4)"],
         "STARTTLS with an argument: 501")
    # plain text after the 220: it is a broken handshake, never a command
    f.write(b"STARTTLS\r\n")
    f.flush()
    t.eq(read_reply(f), ["220 ready to start TLS (#2.0.0)"],
         "STARTTLS alone: 220")
    f.write(b"RSET\r\nQUIT\r\n")
    f.flush()
    rest = b""
    sock.settimeout(10)
    try:
        while True:
            b = sock.recv(4096)
            if not b:
                break
            rest += b
    except OSError:
        pass
    t.ok(b"250" not in rest and b"221" not in rest,
         "plain text sent after 220 is never executed")
    sock.close()

    # --- SMTPS ----------------------------------------------------------------
    raw = socket.create_connection(("127.0.0.1", SPORT), 10)
    ss = client_ctx().wrap_socket(raw, server_hostname="mx.example.org")
    f = ss.makefile("rwb")
    t.eq(read_reply(f), ["220 mx.example.org ESMTP"],
         "SMTPS: the greeting comes over TLS")
    f.write(b"EHLO c.example\r\n")
    f.flush()
    r = read_reply(f)
    t.ok("250-AUTH LOGIN PLAIN" in r and "250-STARTTLS" not in r,
         "SMTPS: EHLO offers AUTH, not STARTTLS")
    f.write(b"QUIT\r\n")
    f.flush()
    t.eq(read_reply(f), ["221 mx.example.org"], "SMTPS: QUIT")
    ss.close()

    clear_queue()
    s = smtplib.SMTP_SSL("127.0.0.1", SPORT, context=client_ctx(),
                         timeout=30)
    s.login("joe", "secret")
    refused = s.sendmail("joe@example.org", ["x@elsewhere.example"],
                         b"Subject: smtps\r\n\r\nhi\r\n")
    s.quit()
    t.eq(refused, {}, "SMTPS with AUTH: relayed message accepted")
    q = queued()
    t.ok(len(q) == 1 and re.search(rb"with ESMTPSA \(TLSv1.[23] [A-Z0-9_-]+, "
                                   rb"auth joe\); ", q[0][0]) is not None,
         "SMTPS: Received says ESMTPSA")
    s = smtplib.SMTP_SSL("127.0.0.1", SPORT, context=client_ctx(),
                         timeout=30)
    try:
        s.login("joe", "wrong")
        t.ok(False, "SMTPS: a wrong password is refused")
    except smtplib.SMTPAuthenticationError as e:
        t.eq(e.smtp_code, 535, "SMTPS: a wrong password is refused (535)")
    s.quit()

    # --- swaks ----------------------------------------------------------------
    if SWAKS is None:
        t.skip("swaks --tls", "swaks is not installed")
    else:
        for extra, name in [(["--port", str(PORT), "--tls"], "--tls"),
                            (["--port", str(SPORT), "--tls-on-connect"],
                             "--tls-on-connect")]:
            clear_queue()
            p = subprocess.run(
                [SWAKS, "--server", "127.0.0.1", "--from", "joe@example.org",
                 "--to", "far@elsewhere.example", "--helo", "swaks.example",
                 "--auth", "PLAIN", "--auth-user", "joe",
                 "--auth-password", "secret", "--body", "via swaks"] + extra,
                capture_output=True, timeout=60)
            out = p.stdout.decode(errors="replace")
            if "TLS" in out and "not available" in out:
                t.skip("swaks " + name, "swaks has no TLS support here")
                continue
            t.eq(p.returncode, 0, "swaks %s --auth PLAIN: exit 0" % name)
            t.ok("235 ok, go ahead" in out, "swaks %s: 235 after AUTH" % name)
            q = queued()
            t.ok(len(q) == 1 and b"via swaks" in q[0][0] and
                 q[0][1] == b"Fjoe@example.org\0Tfar@elsewhere.example\0",
                 "swaks %s: relayed message queued" % name)
        p = subprocess.run(
            [SWAKS, "--server", "127.0.0.1", "--port", str(PORT), "--tls",
             "--from", "joe@example.org", "--to", "far@elsewhere.example",
             "--auth", "LOGIN", "--auth-user", "joe",
             "--auth-password", "bad"], capture_output=True, timeout=60)
        t.ok(p.returncode != 0 and "535 authentication failed" in
             p.stdout.decode(errors="replace"),
             "swaks --tls --auth LOGIN with a wrong password: 535")

    # --- hostile handshakes ----------------------------------------------------
    sock = socket.create_connection(("127.0.0.1", SPORT), 10)
    sock.sendall(b"EHLO garbage\r\n" * 20)
    t.ok(closed_within(sock, 10), "SMTPS: plain text instead of a handshake "
         "is dropped at once")
    sock.close()
    control("timeoutsmtpd", "2\n")
    sock = socket.create_connection(("127.0.0.1", SPORT), 10)
    t0 = time.time()
    t.ok(closed_within(sock, 15) and time.time() - t0 >= 1.5,
         "SMTPS: a silent client is dropped after timeoutsmtpd (2 s)")
    sock.close()
    control("timeoutsmtpd", None)
finally:
    for srv in (plain, smtps):
        srv.terminate()
        srv.wait()
    log.close()

with open(os.path.join(tmp, "tcpserver.log"), "rb") as f:
    logtext = f.read().decode(errors="replace")
t.ok("qmail-tlsd: fatal: unable to finish the TLS handshake with 127.0.0.1"
     in logtext, "a failed handshake is logged with the client's address")
t.ok("secret" not in logtext, "no password in the log")
t.ok("Sanitizer" not in logtext and "runtime error" not in logtext,
     "no sanitizer report from the servers")

# --- qmail-tlsd run directly: exit codes ------------------------------------
ENV = {"PATH": "/usr/bin:/bin", "TCPREMOTEIP": "127.0.0.1",
       "TCPLOCALHOST": "mx.example.org", "TCPREMOTEHOST": "localhost",
       "TLS_STARTTLS": "1", "SSL_CIPHER": "forged"}


def tlsd_direct(args, script, env=ENV):
    """Run qmail-tlsd args on a socket pair; script(sock) plays the
    client.  Returns (exit code, stderr)."""
    a, b = socket.socketpair()
    p = subprocess.Popen([TLSD] + args, stdin=b, stdout=b,
                         stderr=subprocess.PIPE, env=env)
    b.close()
    try:
        script(a)
    finally:
        a.close()
    try:
        _, err = p.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        p.kill()
        _, err = p.communicate()
        return None, err.decode(errors="replace")
    return p.returncode, err.decode(errors="replace")


seen = {}


def quit_session(a):
    ss = client_ctx().wrap_socket(a, server_hostname="mx")
    f = ss.makefile("rwb")
    seen["greeting"] = read_reply(f)
    f.write(b"EHLO x\r\nQUIT\r\n")
    f.flush()
    seen["ehlo"] = read_reply(f)
    seen["quit"] = read_reply(f)


rc, err = tlsd_direct([SMTPD], quit_session)
t.eq(rc, 0, "qmail-tlsd exits with the program's code (QUIT: 0)")
t.eq(seen.get("greeting"), ["220 mx.example.org ESMTP"],
     "without -s a TLS_STARTTLS from outside is dropped: the program greets")
seen.clear()


def starttls_session(a):
    ss = client_ctx().wrap_socket(a, server_hostname="mx")
    f = ss.makefile("rwb")
    f.write(b"EHLO x\r\n")
    f.flush()
    seen["ehlo"] = read_reply(f)
    f.write(b"QUIT\r\n")
    f.flush()
    seen["quit"] = read_reply(f)


rc, err = tlsd_direct(["-s", SMTPD], starttls_session)
t.eq((seen.get("ehlo") or [""])[0], "250-mx.example.org",
     "with -s the program does not greet: EHLO is answered first")

envdump = os.path.join(tmp, "env.out")


def env_session(a):
    ss = client_ctx().wrap_socket(a, server_hostname="mx")
    seen["data"] = ss.recv(100)


rc, err = tlsd_direct(["/bin/sh", "-c", "env > " + envdump], env_session)
with open(envdump) as f:
    env = dict(line.rstrip("\n").split("=", 1) for line in f if "=" in line)
t.ok(env.get("TLS") == "1" and env.get("SSL_PROTOCOL", "").startswith("TLSv1.")
     and env.get("SSL_CIPHER") not in (None, "forged")
     and "TLS_STARTTLS" not in env,
     "the program gets TLS=1, SSL_PROTOCOL, SSL_CIPHER (outside values "
     "replaced) and no TLS_STARTTLS without -s")
t.eq(rc, 0, "the program's exit code 0 when it ends on its own")


def garbage(a):
    a.sendall(b"\x16\x03\x01\x00\x05hello" + b"\0" * 100)
    a.settimeout(10)
    try:
        while a.recv(4096):
            pass
    except OSError:
        pass


rc, err = tlsd_direct([SMTPD], garbage)
t.eq(rc, 111, "handshake garbage: qmail-tlsd exits 111 without hanging")
t.ok("unable to finish the TLS handshake with 127.0.0.1" in err,
     "...and says why on stderr")

os.rename(SERVERCERT, SERVERCERT + ".off")
rc, err = tlsd_direct([SMTPD], lambda a: None)
t.eq(rc, 111, "no servercert.pem: qmail-tlsd exits 111")
t.ok("unable to read" in err and "servercert.pem: No such file" in err,
     "...naming the file")
p = subprocess.run([SMTPD], input=b"EHLO x\r\nSTARTTLS\r\nQUIT\r\n",
                   capture_output=True, env=ENV)
out = p.stdout.decode()
t.ok("STARTTLS" not in out.split("\r\n", 1)[1].split("502")[0] and
     "502 unimplemented (#5.5.1)" in out,
     "no servercert.pem: STARTTLS neither offered nor accepted")
os.rename(SERVERCERT + ".off", SERVERCERT)
p = subprocess.run([TLSD], capture_output=True)
t.eq(p.returncode, 100, "qmail-tlsd without a program: usage, exit 100")

shutil.rmtree(tmp, ignore_errors=True)
t.done()
