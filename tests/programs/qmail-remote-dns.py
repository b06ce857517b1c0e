#!/usr/bin/env python3
"""qmail-remote's MX logic and the DNS tools against a real DNS server.

The libc resolver reads /etc/resolv.conf and always asks port 53, so the
test re-runs itself inside private mount and network namespaces
(unshare -m -n, root only): lo is brought up, a resolv.conf naming
127.0.0.1 is bind-mounted over /etc/resolv.conf, and dnsmasq answers on
127.0.0.1:53 from --mx-host/--host-record/--cname records.  SMTP sinks
listen on port 25 of 127.0.0.2.. (local, but not interface addresses, so
not "ours") and on fd00::5 (a local IPv6 route, non-local bind).  Nothing
here can touch the host's network.  Without root: one TAP skip.
"""
import os
import shutil
import socket
import struct
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.environ.get("SRCROOT", "."), "tests/lib"))
from tap import Tap, QBIN, QHOME, instance_reset  # noqa: E402

t = Tap()
INNER = os.environ.get("QREMOTE_DNS_INNER") == "1"

if not INNER:
    if os.geteuid() != 0 or not shutil.which("unshare") or \
            not os.path.exists("/usr/sbin/dnsmasq"):
        t.skip("MX logic against dnsmasq", "needs root, unshare and dnsmasq")
        t.done()
    env = dict(os.environ, QREMOTE_DNS_INNER="1")
    p = subprocess.run(["unshare", "-m", "-n", sys.executable, __file__],
                       env=env, timeout=600)
    sys.exit(p.returncode)

TMP = QHOME + "-dns-tmp"
procs = []


def sh(*argv):
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL)


def setup_net():
    sh("ip", "link", "set", "lo", "up")
    sh("ip", "-6", "route", "add", "local", "fd00::/64", "dev", "lo")
    with open("/proc/sys/net/ipv6/ip_nonlocal_bind", "w") as f:
        f.write("1\n")
    conf = os.path.join(TMP, "resolv.conf")
    with open(conf, "w") as f:
        f.write("nameserver 127.0.0.1\noptions timeout:1 attempts:1\n")
    sh("mount", "--make-rprivate", "/")
    sh("mount", "--bind", conf, "/etc/resolv.conf")


def servfail_server():
    """127.0.0.9:53 answers every query with SERVFAIL."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.9", 53))

    def loop():
        while True:
            try:
                q, addr = s.recvfrom(4096)
            except OSError:
                return
            if len(q) < 12:
                continue
            flags = 0x8000 | (q[2] & 0x79) << 8 | 0x0080 | 2  # QR RD RA SERVFAIL
            hdr = q[:2] + struct.pack(">H", flags) + q[4:6] + b"\0\0\0\0\0\0"
            s.sendto(hdr + q[12:], addr)
    threading.Thread(target=loop, daemon=True).start()
    return s


def dnsmasq():
    args = ["/usr/sbin/dnsmasq", "--no-daemon", "--port=53",
            "--listen-address=127.0.0.1", "--bind-interfaces", "--no-resolv",
            "--no-hosts", "--user=root", "--local=/test/",
            "--local=/0.0.127.in-addr.arpa/",
            "--server=/fail.example/127.0.0.9", "--log-facility=/dev/null",
            # several preferences
            "--mx-host=multi.test,mx1.multi.test,10",
            "--mx-host=multi.test,mx2.multi.test,20",
            "--host-record=mx1.multi.test,127.0.0.2",
            "--host-record=mx2.multi.test,127.0.0.3",
            # a dead primary
            "--mx-host=dead.test,down.test,10",
            "--mx-host=dead.test,mx2.multi.test,20",
            "--host-record=down.test,127.0.0.4",
            # ourselves between a dead primary and a live backup
            "--mx-host=self.test,down.test,5",
            "--mx-host=self.test,me.test,10",
            "--mx-host=self.test,mx2.multi.test,20",
            "--host-record=me.test,127.0.0.1",
            # ourselves as the best MX
            "--mx-host=selfbest.test,me.test,10",
            "--mx-host=selfbest.test,mx2.multi.test,20",
            # a 4xx greeting on the primary
            "--mx-host=greet.test,grumpy.test,10",
            "--mx-host=greet.test,mx2.multi.test,20",
            "--host-record=grumpy.test,127.0.0.5",
            # no MX: the A record
            "--host-record=plain.test,127.0.0.2",
            # CNAME chain to plain.test
            "--cname=alias1.test,alias2.test",
            "--cname=alias2.test,plain.test",
            # AAAA only
            "--host-record=v6only.test,fd00::5",
            # equal preferences
            "--mx-host=equal.test,mx1.multi.test,10",
            "--mx-host=equal.test,mx2.multi.test,10",
            # an MX host that does not exist next to one that does
            "--mx-host=halfbad.test,nothere.test,5",
            "--mx-host=halfbad.test,mx2.multi.test,20",
            # an MX whose host has no address at all
            "--mx-host=noaddr.test,nothere.test,10",
            # a name with neither MX nor address
            "--txt-record=empty.test,nothing here",
            # a null MX (RFC 7505): the domain accepts no mail
            "--mx-host=nullmx.test,.,0",
            ]
    p = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    procs.append(p)
    for _ in range(200):
        r = subprocess.run(["getent", "ahosts", "localhost"], capture_output=True)
        try:
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.settimeout(0.2)
            s.sendto(b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00"
                     b"\x05plain\x04test\x00\x00\x01\x00\x01", ("127.0.0.1", 53))
            s.recvfrom(512)
            s.close()
            return p
        except OSError:
            s.close()
            time.sleep(0.05)
    return p


def sink(addr, *opts):
    listen = f"[{addr}]:25" if ":" in addr else f"{addr}:25"
    dump = os.path.join(TMP, "dump-" + addr.replace(":", "_"))
    os.makedirs(dump, exist_ok=True)
    os.chmod(dump, 0o777)
    p = subprocess.Popen(["/usr/sbin/smtp-sink", "-u", "nobody", "-d",
                          dump + "/%M."] + list(opts) + [listen, "10"],
                         stderr=subprocess.DEVNULL)
    procs.append(p)
    fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
    for _ in range(200):
        s = socket.socket(fam)
        try:
            s.connect((addr, 25))
            s.close()
            break
        except OSError:
            s.close()
            time.sleep(0.02)
    return dump


def dumps(d):
    time.sleep(0.05)
    out = []
    for n in sorted(os.listdir(d)):
        with open(os.path.join(d, n), "rb") as f:
            out.append(f.read())
        os.unlink(os.path.join(d, n))
    return out


def remote(host, *recips, sender="a@b.c"):
    with open(os.path.join(TMP, "msg"), "wb") as f:
        f.write(b"Subject: dns\n\nhello\n")
    with open(os.path.join(TMP, "msg"), "rb") as f:
        p = subprocess.run([os.path.join(QBIN, "qmail-remote"), host, sender]
                           + list(recips or ["x@" + host]), stdin=f,
                           capture_output=True, timeout=60)
    return p.stdout


def tool(name, *args):
    p = subprocess.run([os.path.join(QBIN, name)] + list(args),
                       capture_output=True, timeout=30)
    return p.returncode, p.stdout


def K(ip):
    return b"r\0K" + ip.encode() + b" accepted message.\nRemote host said: 250 2.0.0 Ok\n\0"


try:
    instance_reset()
    shutil.rmtree(TMP, ignore_errors=True)
    os.makedirs(TMP)
    os.chmod(TMP, 0o755)
    with open(os.path.join(QHOME, "control", "me"), "w") as f:
        f.write("test.local\n")
    setup_net()
    sf = servfail_server()
    dnsmasq()
    d2 = sink("127.0.0.2")
    d3 = sink("127.0.0.3")
    sink("127.0.0.5", "-r", "CONNECT")
    d6 = sink("fd00::5")

    # --- the DNS tools ----------------------------------------------------
    t.eq(tool("dnsip", "plain.test"), (0, b"127.0.0.2\n"), "dnsip: A record")
    t.eq(tool("dnsip", "v6only.test"), (0, b"fd00::5\n"), "dnsip: AAAA record")
    t.eq(tool("dnsip", "nosuch.test")[0], 100, "dnsip: NXDOMAIN exits 100")
    t.eq(tool("dnsip", "x.fail.example")[0], 111, "dnsip: SERVFAIL exits 111")
    t.eq(tool("dnsmxip", "multi.test"), (0, b"127.0.0.2 10\n127.0.0.3 20\n"),
         "dnsmxip: sorted by preference")
    t.eq(tool("dnsmxip", "plain.test"), (0, b"127.0.0.2 0\n"),
         "dnsmxip: no MX, the A record with preference 0")
    orders = set()
    for _ in range(24):
        orders.add(tool("dnsmxip", "equal.test")[1])
    t.eq(orders, {b"127.0.0.2 10\n127.0.0.3 10\n", b"127.0.0.3 10\n127.0.0.2 10\n"},
         "dnsmxip: equal preferences come in both orders")
    t.eq(tool("dnscname", "alias1.test"), (0, b"plain.test\n"), "dnscname: follows a CNAME chain")
    t.eq(tool("dnscname", "plain.test"), (0, b"plain.test\n"), "dnscname: canonical name unchanged")
    t.eq(tool("dnsptr", "127.0.0.2"), (0, b"mx1.multi.test\n"), "dnsptr: PTR of a host-record")
    t.eq(tool("dnsptr", "127.0.0.77")[0], 100, "dnsptr: no PTR exits 100")
    t.eq(tool("dnsfq", "alias1.test")[0], 0, "dnsfq: resolves an alias to a name")
    rc, out = tool("ipmeprint")
    t.ok(rc == 0 and b"127.0.0.1\n" in out and b"::1\n" in out and b"127.0.0.2\n" not in out,
         "ipmeprint: lo's addresses, not the rest of 127/8")

    # --- qmail-remote: MX logic ------------------------------------------
    t.eq(remote("multi.test"), K("127.0.0.2"), "MX: the lowest preference is used")
    t.eq(len(dumps(d2)), 1, "MX: the message reached the preferred exchanger")
    t.eq(remote("dead.test"), K("127.0.0.3"), "MX: dead primary, the backup takes it")
    t.eq(remote("greet.test"), K("127.0.0.3"),
         "MX: 4xx greeting on the primary, the next MX takes it")
    dumps(d3)
    out = remote("self.test")
    t.eq(out, b"ZSorry, I wasn't able to establish an SMTP connection. (#4.4.1)\n\0",
         "MX: ourselves at 10: the dead primary at 5 only, never the backup at 20")
    t.eq(dumps(d3), [], "MX: nothing reached the backup behind us")
    t.eq(remote("selfbest.test"),
         b"DSorry. Although I'm listed as a best-preference MX or A for that host,\n"
         b"it isn't in my control/locals file, so I don't treat it as local. (#5.4.6)\n\0",
         "MX: ourselves as the best MX: D")
    t.eq(remote("plain.test"), K("127.0.0.2"), "no MX: delivery to the A record")
    dumps(d2)
    t.eq(remote("halfbad.test"), K("127.0.0.3"),
         "an MX host that does not exist is skipped")
    t.eq(remote("noaddr.test"),
         b"DSorry, I couldn't find a mail exchanger or IP address. (#5.4.4)\n\0",
         "only MX host has no address: D no mail exchanger")
    t.eq(remote("empty.test"),
         b"DSorry, I couldn't find a mail exchanger or IP address. (#5.4.4)\n\0",
         "no MX and no address: D")
    t.eq(remote("nullmx.test"),
         b"DSorry, nullmx.test does not accept mail (null MX). (#5.1.10)\n\0",
         "null MX (RFC 7505): D, permanent")
    t.eq(tool("dnsmxip", "nullmx.test")[0], 100, "dnsmxip: null MX exits 100")
    t.eq(remote("nosuch.test"),
         b"DSorry, I couldn't find any host named nosuch.test. (#5.1.2)\n\0",
         "NXDOMAIN: D, permanent")
    t.eq(remote("x.fail.example", "u@plain.test"),
         b"ZSorry, I couldn't find any host by that name. (#4.1.2)\n\0",
         "SERVFAIL: Z, temporary")
    t.eq(remote("plain.test", "u@x.fail.example"),
         b"ZCNAME lookup failed temporarily. (#4.4.3)\n\0",
         "SERVFAIL while canonicalising a recipient: Z")

    # CNAME chain: the host and the recipient's domain
    t.eq(remote("alias1.test", "joe@alias1.test"), K("127.0.0.2"),
         "CNAME chain: delivered to the canonical host's address")
    m = dumps(d2)
    t.ok(len(m) == 1 and b"X-Rcpt-Args: <joe@plain.test>\n" in m[0],
         "CNAME chain: the recipient's domain is made canonical")

    # AAAA only
    t.eq(remote("v6only.test"), K("fd00::5"), "AAAA-only host: IPv6 delivery")
    m = dumps(d6)
    t.ok(len(m) == 1 and b"X-Client-Addr: ipv6:" in m[0], "AAAA-only: the sink saw IPv6")

    # smtproutes with a relay name looked up in DNS (no MX)
    with open(os.path.join(QHOME, "control", "smtproutes"), "w") as f:
        f.write("routed.test:mx2.multi.test\nmxonly.test:\n")
    dumps(d3)
    t.eq(remote("routed.test", "u@routed.test"), K("127.0.0.3"),
         "smtproutes relay by name: its address from DNS")
    m = dumps(d3)
    t.ok(len(m) == 1 and b"X-Rcpt-Args: <u@routed.test>\n" in m[0],
         "smtproutes: recipients not canonicalised")
    os.unlink(os.path.join(QHOME, "control", "smtproutes"))
finally:
    for p in procs:
        p.kill()
        p.wait()
    shutil.rmtree(TMP, ignore_errors=True)

t.done()
