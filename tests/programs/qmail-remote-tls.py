#!/usr/bin/env python3
"""qmail-remote with STARTTLS (qmail-tlsc) against two real TLS peers on
loopback: our own qmail-smtpd with STARTTLS under tcpserver (the message
must land in this instance's queue with "with ESMTPS"), and a small SMTP
server written here with Python's ssl module, scripted per case (offer
STARTTLS or not, answer it 220 or 454, send garbage instead of a
handshake, inject plain text after the 220, present a certificate for
another name).  A test CA, server certificates with subjectAltName and a
second, unrelated CA are made with the openssl command.  qmail-tlsc is
also run directly to check host-name verification.  Routing is by
control/smtproutes to [127.0.0.1]:PORT, so the name TLS verifies is the
address 127.0.0.1 and the policy file is control/tlshosts/127.0.0.1.pem.

With root, unshare and dnsmasq, the last part re-runs this file inside
private mount and network namespaces (as qmail-remote-dns.py does) with
MX records on a loopback DNS server, to see MX host names used for
tlshosts, SNI and verification, and the next MX tried after a TLS
failure; the inner run's results are reported here.
"""
import os
import re
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from tap import Tap, QHOME, QBIN, instance_reset  # noqa: E402
from queuetest import clear_queue, committed, control  # noqa: E402
from servers import tcpserver, wait_port  # noqa: E402
from tlstest import needed  # noqa: E402

t = Tap()
INNER = os.environ.get("QREMOTE_TLS_INNER")
Q = os.path.join(QHOME, "queue")
# two ports in 22400-22499
PORT = 22400 + (os.getpid() % 48) * 2
PYPORT = PORT + 1
TCPSERVER = shutil.which("tcpserver")
OPENSSL = shutil.which("openssl")
SMTPD = os.path.join(QBIN, "qmail-smtpd")
REMOTE = os.path.join(QBIN, "qmail-remote")
TLSC = os.path.join(QBIN, "qmail-tlsc")
HOME_TLSC = os.path.join(QHOME, "bin", "qmail-tlsc")

for tool, name in ((TCPSERVER, "tcpserver"), (OPENSSL, "openssl")):
    if tool is None:
        t.skip("qmail-remote TLS", name + " is not installed")
        t.done()


def queued():
    return [m for _, m, _ in committed()]


def remote(port, msg=b"Subject: hi\n\nbody\n", rcpt="bob@example.org",
           timeout=60):
    """Run qmail-remote for example.org routed to 127.0.0.1:port; the
    message is a file (so SIZE is computed).  Returns the reports."""
    control("smtproutes", "example.org:[127.0.0.1]:%d\n" % port)
    with tempfile.TemporaryFile() as f:
        f.write(msg)
        f.seek(0)
        p = subprocess.run([REMOTE, "example.org", "alice@sender.example",
                            rcpt], stdin=f, capture_output=True,
                           timeout=timeout)
    for srv in SERVERS:
        srv.wait_idle()
    return p.stdout


SERVERS = []  # PyServers: remote() waits until they finish their session


def reports(out):
    return [x.decode("latin-1") for x in out.split(b"\0") if x]


def openssl(*args):
    p = subprocess.run([OPENSSL] + list(args), capture_output=True)
    if p.returncode != 0:
        t.diag(p.stderr.decode("latin-1")[:500])
    return p.returncode == 0


# --- qmail-remote does not link OpenSSL; qmail-tlsc does -----------------
if INNER:
    pass
elif shutil.which("readelf"):
    t.ok(not any("ssl" in x or "crypto" in x for x in needed(REMOTE)),
         "qmail-remote does not link libssl or libcrypto")
    t.ok(any(x.startswith("libssl") for x in needed(TLSC)),
         "qmail-tlsc links libssl")
else:
    t.skip("linked libraries", "readelf is not installed")

# --- certificates ---------------------------------------------------------
tmp = INNER or tempfile.mkdtemp(prefix="rtls.")


def P(name):
    return os.path.join(tmp, name)


EC = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]


def make_ca(name):
    return openssl("req", "-x509", *EC, "-keyout", P(name + ".key"),
                   "-out", P(name + ".pem"), "-days", "2",
                   "-subj", "/CN=" + name,
                   "-addext", "basicConstraints=critical,CA:TRUE",
                   "-addext", "keyUsage=critical,keyCertSign,cRLSign")


def make_cert(name, ca, san):
    with open(P(name + ".ext"), "w") as f:
        f.write("subjectAltName=%s\n" % san)
    ok = openssl("req", *EC, "-keyout", P(name + ".key"),
                 "-out", P(name + ".csr"), "-subj", "/CN=" + name)
    ok = ok and openssl("x509", "-req", "-in", P(name + ".csr"),
                        "-CA", P(ca + ".pem"), "-CAkey", P(ca + ".key"),
                        "-CAcreateserial", "-out", P(name + ".pem"),
                        "-days", "2", "-extfile", P(name + ".ext"))
    return ok


if not INNER:
    ok = make_ca("testca") and make_ca("otherca")
    ok = ok and make_cert("good", "testca",
                          "DNS:mx.example.org,IP:127.0.0.1")
    ok = ok and make_cert("othername", "testca",
                          "DNS:other.example,IP:127.0.0.2")
    ok = ok and make_cert("mx2", "testca", "DNS:*.tls.test")
    t.ok(ok, "openssl makes two CAs and three server certificates")
    if not ok:
        t.done()

if not INNER:
    instance_reset()
control("me", "mx.example.org\n")
control("rcpthosts", "example.org\n")
SERVERCERT = os.path.join(QHOME, "control", "servercert.pem")
with open(SERVERCERT, "wb") as out:
    for part in ("good.pem", "good.key"):
        with open(P(part), "rb") as f:
            out.write(f.read())
os.chmod(SERVERCERT, 0o600)
TLSHOST = "tlshosts/127.0.0.1.pem"


def ca_text(name):
    with open(P(name + ".pem")) as f:
        return f.read()


# --- the Python server ------------------------------------------------------
class PyServer:
    """One connection at a time.  self.mode says what to do:
    offer (STARTTLS in EHLO), answer ("220", "454", "garbage", "inject"),
    cert (the certificate name used after 220)."""

    def __init__(self, port, host="127.0.0.1"):
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((host, port))
        self.sock.listen(8)
        self.sock.settimeout(0.2)
        self.configure()
        self.busy = False
        self.stopping = False
        SERVERS.append(self)
        self.th = threading.Thread(target=self.loop, daemon=True)
        self.th.start()

    def configure(self, offer=True, answer="220", cert="good"):
        self.offer, self.answer, self.cert = offer, answer, cert
        self.log = []       # commands seen, "TLS" when TLS began
        self.data = []      # message bodies received
        self.tls_version = None
        self.sni = None

    def loop(self):
        while not self.stopping:
            try:
                conn, _ = self.sock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            self.busy = True
            try:
                conn.settimeout(30)
                self.session(conn)
            except (OSError, ssl.SSLError, ValueError):
                pass
            finally:
                conn.close()
                self.busy = False

    def wait_idle(self):
        """Wait (5 s at most) until the current session is over."""
        for _ in range(250):
            if not self.busy:
                return
            time.sleep(0.02)

    def session(self, conn):
        f = conn.makefile("rwb")

        def say(s):
            f.write(s)
            f.flush()

        say(b"220 py.test ESMTP\r\n")
        tls = False
        while True:
            line = f.readline()
            if not line:
                return
            cmd = line.decode("latin-1").rstrip("\r\n")
            self.log.append(cmd)
            verb = cmd.split(" ")[0].upper()
            if verb == "EHLO":
                ext = [b"250-py.test", b"250-PIPELINING", b"250-SIZE 0"]
                if self.offer and not tls:
                    ext.append(b"250-STARTTLS")
                ext.append(b"250 8BITMIME")
                say(b"\r\n".join(ext) + b"\r\n")
            elif verb == "STARTTLS":
                if self.answer == "454":
                    say(b"454 TLS not available now\r\n")
                    continue
                if self.answer == "inject":
                    say(b"220 go ahead\r\n250 injected\r\n")
                    return
                say(b"220 go ahead\r\n")
                if self.answer == "garbage":
                    conn.sendall(b"this is no TLS server hello\r\n" * 4)
                    time.sleep(0.2)
                    return
                ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
                ctx.load_cert_chain(P(self.cert + ".pem"),
                                    P(self.cert + ".key"))

                def sni(sock, name, c):
                    self.sni = name
                ctx.sni_callback = sni
                f.close()
                conn = ctx.wrap_socket(conn, server_side=True)
                self.tls_version = conn.version()
                self.log.append("TLS")
                f = conn.makefile("rwb")
                tls = True
            elif verb == "DATA":
                say(b"354 go\r\n")
                body = b""
                while True:
                    line = f.readline()
                    if not line or line == b".\r\n":
                        break
                    body += line
                self.data.append(body)
                say(b"250 ok py\r\n")
            elif verb == "QUIT":
                say(b"221 bye\r\n")
                return
            else:
                say(b"250 ok\r\n")

    def stop(self):
        self.stopping = True
        self.sock.close()
        self.th.join(5)


def sh(*argv):
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL)


def inner():
    """In the namespaces: MX names and TLS."""
    sh("ip", "link", "set", "lo", "up")
    conf = P("resolv.conf")
    with open(conf, "w") as f:
        f.write("nameserver 127.0.0.1\noptions timeout:1 attempts:1\n")
    sh("mount", "--make-rprivate", "/")
    sh("mount", "--bind", conf, "/etc/resolv.conf")
    dns = subprocess.Popen(
        ["/usr/sbin/dnsmasq", "--no-daemon", "--port=53",
         "--listen-address=127.0.0.1", "--bind-interfaces", "--no-resolv",
         "--no-hosts", "--user=root", "--local=/test/",
         "--log-facility=/dev/null",
         "--mx-host=tls.test,mx1.tls.test,10",
         "--mx-host=tls.test,MX2.tls.test,20",
         "--host-record=mx1.tls.test,127.0.0.2",
         "--host-record=mx2.tls.test,127.0.0.3"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    mx1 = PyServer(25, "127.0.0.2")
    mx2 = PyServer(25, "127.0.0.3")
    try:
        for _ in range(100):
            if subprocess.run(["getent", "hosts", "x.test"],
                              capture_output=True).returncode != 111:
                break
            time.sleep(0.05)
        time.sleep(0.3)
        control("smtproutes", None)

        def send():
            with tempfile.TemporaryFile() as f:
                f.write(b"Subject: mx\n\nbody\n")
                f.seek(0)
                p = subprocess.run([REMOTE, "tls.test", "a@b.example",
                                    "bob@tls.test"], stdin=f,
                                   capture_output=True, timeout=60)
            for srv in SERVERS:
                srv.wait_idle()
            return reports(p.stdout)

        control("tlsclient", "1\n")
        mx1.configure(answer="garbage")
        mx2.configure(cert="mx2")
        r = send()
        t.ok(r[-1].startswith("K127.0.0.3 accepted message over TLS") and
             mx2.tls_version is not None,
             "handshake failure on the first MX: the second gets it over "
             "TLS: %r" % r[-1:])
        t.eq(mx2.sni, "mx2.tls.test", "SNI is the MX host's name, "
             "lower case")

        control("tlsclient", None)
        control("tlshosts/mx1.tls.test.pem", ca_text("testca"))
        control("tlshosts/mx2.tls.test.pem", ca_text("testca"))
        mx1.configure(cert="good")
        mx2.configure(cert="mx2")
        r = send()
        t.ok(r[-1].startswith("K127.0.0.3 accepted message over TLS") and
             "STARTTLS" in mx1.log and not mx1.data and len(mx2.data) == 1,
             "tlshosts/MX.pem: a certificate for another name fails, "
             "the next MX with a matching one gets it: %r" % r[-1:])
        mx1.configure(offer=False)
        mx2.configure(offer=False)
        r = send()
        t.eq(r, ["ZConnected to 127.0.0.3 but TLS is required by "
                 "control/tlshosts/mx2.tls.test.pem and it does not offer "
                 "STARTTLS. (#4.7.0)\n"],
             "both MXes required, neither offers: Z with the last reason")
        t.ok(mx1.log[-1] == "QUIT" and mx2.log[-1] == "QUIT",
             "...both were tried")
        control("tlshosts/mx1.tls.test.pem", None)
        control("tlshosts/mx2.tls.test.pem", None)
    finally:
        mx1.stop()
        mx2.stop()
        dns.kill()
        dns.wait()


if INNER:
    inner()
    t.done()

log = open(P("tcpserver.log"), "wb")
smtpd = tcpserver(TCPSERVER, PORT, [SMTPD], stderr=log)
py = PyServer(PYPORT)
try:
    t.ok(wait_port(PORT), "qmail-smtpd listens")

    # --- tlsclient absent: no STARTTLS ---------------------------------
    control("tlsclient", None)
    clear_queue()
    r = reports(remote(PORT))
    t.ok(len(r) == 2 and r[0] == "r" and r[1].startswith(
        "K127.0.0.1 accepted message.\n"), "no tlsclient: delivered: %r" % r)
    q = queued()
    t.ok(len(q) == 1 and b" with SMTP; " in q[0],
         "no tlsclient: qmail-smtpd got it without TLS (with SMTP)")
    py.configure()
    r = reports(remote(PYPORT))
    t.ok(r[-1].startswith("K") and "STARTTLS" not in py.log,
         "no tlsclient: STARTTLS offered but never sent")

    # --- tlsclient 1, offered -------------------------------------------
    control("tlsclient", "1\n")
    clear_queue()
    r = reports(remote(PORT))
    t.ok(len(r) == 2 and r[0] == "r" and re.match(
        r"K127\.0\.0\.1 accepted message over TLS \(TLSv1\.[23] [A-Z0-9_-]+\)"
        r"\.\nRemote host said: 250 ok", r[1]) is not None,
        "tlsclient 1: K report says TLS: %r" % r[-1:])
    q = queued()
    t.ok(len(q) == 1 and re.search(rb" with ESMTPS \(TLSv1\.[23] ", q[0])
         is not None, "tlsclient 1: queued by qmail-smtpd with ESMTPS")
    py.configure()
    r = reports(remote(PYPORT))
    t.ok(r[-1].startswith("K") and py.tls_version in ("TLSv1.2", "TLSv1.3"),
         "tlsclient 1: the Python server saw %s" % py.tls_version)
    i = py.log.index("TLS") if "TLS" in py.log else -1
    t.ok(i > 0 and py.log[i - 1] == "STARTTLS" and
         py.log[i + 1].startswith("EHLO ") and
         py.log.count("STARTTLS") == 1,
         "EHLO again after STARTTLS, STARTTLS once: %r" % py.log)

    # --- tlsclient 1, not offered ----------------------------------------
    py.configure(offer=False)
    r = reports(remote(PYPORT))
    t.ok(r[-1].startswith("K127.0.0.1 accepted message.\n") and
         "STARTTLS" not in py.log and len(py.data) == 1,
         "tlsclient 1, not offered: plain delivery")

    # --- tlsclient 1, STARTTLS refused with 454: plain text -------------
    py.configure(answer="454")
    r = reports(remote(PYPORT))
    t.ok(r[-1].startswith("K127.0.0.1 accepted message.\n") and
         "STARTTLS" in py.log and "TLS" not in py.log and len(py.data) == 1,
         "tlsclient 1, 454 to STARTTLS: goes on in plain text")

    # --- tlsclient 1, handshake garbage: Z --------------------------------
    py.configure(answer="garbage")
    r = reports(remote(PYPORT))
    t.ok(len(r) == 1 and r[0].startswith("ZConnected to 127.0.0.1 but TLS "
                                         "handshake failed: ") and
         r[0].endswith("(#4.7.5)\n") and not py.data,
         "tlsclient 1, garbage after 220: Z: %r" % r)

    # --- plain text injected after the 220 --------------------------------
    py.configure(answer="inject")
    r = reports(remote(PYPORT))
    t.eq(r, ["ZConnected to 127.0.0.1 but it sent more after its reply to "
             "STARTTLS. (#4.7.5)\n"], "plain text after 220: Z, not read")

    # --- tlshosts: required and verified ----------------------------------
    control("tlsclient", None)
    control(TLSHOST, ca_text("testca"))
    clear_queue()
    r = reports(remote(PORT))
    t.ok(r[-1].startswith("K127.0.0.1 accepted message over TLS (TLSv1."),
         "tlshosts with the right CA: verified delivery: %r" % r[-1:])
    q = queued()
    t.ok(len(q) == 1 and b" with ESMTPS (" in q[0],
         "...and qmail-smtpd queued it with ESMTPS")

    control(TLSHOST, ca_text("otherca"))
    clear_queue()
    r = reports(remote(PORT))
    t.eq(r, ["ZConnected to 127.0.0.1 but certificate verification failed: "
             "unable to get local issuer certificate. (#4.7.5)\n"],
         "tlshosts with the wrong CA: Z")
    t.eq(queued(), [], "...and nothing was delivered")

    control(TLSHOST, ca_text("testca"))
    py.configure(cert="othername")
    r = reports(remote(PYPORT))
    t.eq(r, ["ZConnected to 127.0.0.1 but certificate verification failed: "
             "IP address mismatch. (#4.7.5)\n"],
         "tlshosts, certificate for another address: Z")
    t.ok(not py.data, "...nothing sent")

    py.configure(offer=False)
    r = reports(remote(PYPORT))
    t.eq(r, ["ZConnected to 127.0.0.1 but TLS is required by "
             "control/tlshosts/127.0.0.1.pem and it does not offer STARTTLS."
             " (#4.7.0)\n"], "tlshosts, STARTTLS not offered: Z")
    t.ok(py.log[-1] == "QUIT" and not py.data, "...QUIT, nothing sent")

    py.configure(answer="454")
    r = reports(remote(PYPORT))
    t.eq(r, ["ZConnected to 127.0.0.1 but TLS is required by "
             "control/tlshosts/127.0.0.1.pem and it refused STARTTLS."
             " (#4.7.0)\nRemote host said: 454 TLS not available now\n"],
         "tlshosts, 454 to STARTTLS: Z with the server's words")

    control(TLSHOST, None)
    os.mkdir(os.path.join(QHOME, "control", "tlshosts", "127.0.0.1.pem"))
    py.configure(offer=False)
    r = reports(remote(PYPORT))
    t.ok(r[-1].startswith("Z") and "TLS is required" in r[-1],
         "tlshosts/HOST.pem that is not a file still requires TLS")
    os.rmdir(os.path.join(QHOME, "control", "tlshosts", "127.0.0.1.pem"))

    # --- qmail-tlsc missing -----------------------------------------------
    control("tlsclient", "1\n")
    os.rename(HOME_TLSC, HOME_TLSC + ".away")
    try:
        py.configure()
        r = reports(remote(PYPORT))
    finally:
        os.rename(HOME_TLSC + ".away", HOME_TLSC)
    t.eq(r, ["ZUnable to run qmail-tlsc for STARTTLS: No such file or "
             "directory. (#4.3.0)\n"], "qmail-tlsc missing: Z saying so")

    # --- a 5 MB message, and dot-stuffing, over TLS ------------------------
    clear_queue()
    body = b"".join(b"line %07d " % i + b"y" * 88 + b"\n"
                    for i in range(52000))
    big = b"Subject: big\n\n" + body
    start = time.time()
    r = reports(remote(PORT, big, timeout=120))
    took = time.time() - start
    q = queued()
    t.ok(r[-1].startswith("K127.0.0.1 accepted message over TLS") and
         len(q) == 1 and q[0].endswith(big),
         "%.1f MB message over TLS arrives intact (%.2f s)" %
         (len(big) / 1e6, took))

    clear_queue()
    dots = b"Subject: dots\n\n.\n..\n.x\nend\n. \n"
    r = reports(remote(PORT, dots))
    q = queued()
    t.ok(r[-1].startswith("K127.0.0.1 accepted message over TLS") and
         len(q) == 1 and q[0].endswith(dots), "dot-stuffing over TLS")
    py.configure()
    r = reports(remote(PYPORT, dots))
    t.eq(py.data, [b"Subject: dots\r\n\r\n..\r\n...\r\n..x\r\nend\r\n.. \r\n"],
         "the dots on the wire inside TLS")
finally:
    smtpd.terminate()
    smtpd.wait(10)
    py.stop()
    log.close()


# --- qmail-tlsc by itself: host names ---------------------------------------
def tlsc_run(args, cert):
    """qmail-tlsc args against a TLS server with cert on a socket pair;
    returns (status line, exit code)."""
    net_c, net_s = socket.socketpair()
    plain_c, plain_q = socket.socketpair()
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(P(cert + ".pem"), P(cert + ".key"))
    seen = {}

    def serve():
        try:
            s = ctx.wrap_socket(net_s, server_side=True)
            seen["sni"] = True
            s.sendall(b"220 hello\r\n")
            s.recv(100)
        except (OSError, ssl.SSLError):
            pass
        finally:
            net_s.close()

    th = threading.Thread(target=serve, daemon=True)
    th.start()
    p = subprocess.Popen([TLSC] + args, stdin=plain_q, stdout=plain_q,
                         stderr=subprocess.DEVNULL,
                         close_fds=False,
                         preexec_fn=lambda: (os.dup2(net_c.fileno(), 6),
                                             os.dup2(net_c.fileno(), 7)))
    net_c.close()
    plain_q.close()
    plain_c.settimeout(20)
    got = b""
    try:
        while b"\n" not in got:
            b = plain_c.recv(200)
            if not b:
                break
            got += b
        if got.startswith(b"+"):
            while b"220 hello" not in got:
                b = plain_c.recv(200)
                if not b:
                    break
                got += b
            plain_c.sendall(b"QUIT\r\n")
    except OSError:
        pass
    plain_c.close()
    rc = p.wait(20)
    th.join(5)
    return got.decode("latin-1"), rc


ca = P("testca.pem")
st, rc = tlsc_run(["-c", ca, "mx.example.org"], "good")
t.ok(re.match(r"\+TLSv1\.[23] \S+\n220 hello\r\n$", st) is not None and
     rc == 0, "qmail-tlsc -c CA mx.example.org: verified, relayed: %r %d" %
     (st, rc))
st, rc = tlsc_run(["-c", ca, "wrong.example.org"], "good")
t.eq((st, rc), ("-certificate verification failed: hostname mismatch\n",
                111), "qmail-tlsc: host name mismatch")
st, rc = tlsc_run(["-c", ca, "MX.Example.ORG"], "good")
t.ok(st.startswith("+"), "qmail-tlsc: host names compare without case")
st, rc = tlsc_run(["wrong.example.org"], "othername")
t.ok(st.startswith("+") and rc == 0, "qmail-tlsc without -c verifies nothing")
st, rc = tlsc_run(["-c", P("nonexistent.pem"), "mx.example.org"], "good")
t.eq((st, rc), ("-unable to read the CA file: No such file or directory\n",
                111), "qmail-tlsc: a missing CA file is reported")
st, rc = tlsc_run(["../etc/x"], "good")
t.eq((st, rc), ("-the host name is not usable\n", 100),
     "qmail-tlsc: a host name with '/' is refused")
p = subprocess.run([TLSC], capture_output=True)
t.ok(p.returncode == 100 and p.stdout.startswith(b"-usage: "),
     "qmail-tlsc without a host: usage on the status line, exit 100")

# --- MX names, in private namespaces -------------------------------------
if os.geteuid() != 0 or not shutil.which("unshare") or \
        not os.path.exists("/usr/sbin/dnsmasq"):
    t.skip("MX host names and TLS", "needs root, unshare and dnsmasq")
else:
    p = subprocess.run(["unshare", "-m", "-n", sys.executable, __file__],
                       env=dict(os.environ, QREMOTE_TLS_INNER=tmp),
                       capture_output=True, text=True, timeout=300)
    lines = [x for x in p.stdout.splitlines()
             if x.startswith(("ok ", "not ok "))]
    for x in lines:
        t.ok(x.startswith("ok "), "namespaces: " +
             re.sub(r"^(not )?ok \d+ - ", "", x))
        if x.startswith("not ok"):
            t.diag(p.stdout[-1500:] + p.stderr[-1500:])
    t.ok(p.returncode == 0 and len(lines) >= 4,
         "the namespace run finished (%d results)" % len(lines))

shutil.rmtree(tmp, ignore_errors=True)
t.done()
