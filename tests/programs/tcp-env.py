#!/usr/bin/env python3
"""Black-box tests of tcp-env: the TCP environment from descriptor 0."""
import os
import socket
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from tap import Tap, QBIN  # noqa: E402

t = Tap()
TCPENV = os.path.join(QBIN, "tcp-env")
BASE = 20000 + (os.getpid() * 7) % 20000
CLEAN = {"PATH": "/usr/bin:/bin"}


def connected(family, listen_addr, connect_addr, port):
    srv = socket.socket(family, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if family == socket.AF_INET6:
        srv.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    srv.bind((listen_addr, port))
    srv.listen(1)
    cfam = socket.AF_INET6 if ":" in connect_addr else socket.AF_INET
    cli = socket.socket(cfam, socket.SOCK_STREAM)
    cli.connect((connect_addr, port))
    conn, _ = srv.accept()
    srv.close()
    return conn, cli


def run_env(conn, args, env=None):
    e = dict(CLEAN)
    e.update(env or {})
    p = subprocess.run([TCPENV] + args + ["env"], stdin=conn,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       env=e, timeout=60)
    got = {}
    for ln in p.stdout.decode().splitlines():
        k, _, v = ln.partition("=")
        got[k] = v
    return p.returncode, got, p.stderr.decode()


conn, cli = connected(socket.AF_INET, "127.0.0.1", "127.0.0.1", BASE)
rc, env, err = run_env(conn, ["-R"], {"TCPREMOTEINFO": "stale"})
t.eq(rc, 0, "runs the program")
t.eq(env.get("PROTO"), "TCP", "PROTO=TCP")
t.eq(env.get("TCPLOCALIP"), "127.0.0.1", "TCPLOCALIP")
t.eq(env.get("TCPLOCALPORT"), str(BASE), "TCPLOCALPORT")
t.eq(env.get("TCPREMOTEIP"), "127.0.0.1", "TCPREMOTEIP")
t.eq(env.get("TCPREMOTEPORT"), str(cli.getsockname()[1]), "TCPREMOTEPORT")
want = socket.getnameinfo(("127.0.0.1", 0), socket.NI_NAMEREQD)[0]
t.eq(env.get("TCPREMOTEHOST"), want, "TCPREMOTEHOST from the PTR name")
t.eq(env.get("TCPLOCALHOST"), want, "TCPLOCALHOST from the PTR name")
t.ok("TCPREMOTEINFO" not in env, "-R: stale TCPREMOTEINFO removed")
rc, env, err = run_env(conn, ["-t1"])
t.eq(rc, 0, "-r with -t1 and no ident server")
t.ok("TCPREMOTEINFO" not in env, "no ident answer: no TCPREMOTEINFO")
rc, env, err = run_env(conn, ["-r", "-t", "1"])
t.eq(rc, 0, "-t as a separate argument")
conn.close()
cli.close()

conn, cli = connected(socket.AF_INET6, "::", "127.0.0.1", BASE + 1)
rc, env, err = run_env(conn, ["-R"])
t.eq(env.get("TCPREMOTEIP"), "127.0.0.1",
     "IPv4-mapped IPv6 peer shown as IPv4")
t.eq(env.get("TCPLOCALIP"), "127.0.0.1", "IPv4-mapped local shown as IPv4")
conn.close()
cli.close()

try:
    conn, cli = connected(socket.AF_INET6, "::1", "::1", BASE + 2)
except OSError:
    conn = None
if conn is None:
    t.skip("IPv6 peer", "no ::1 on this machine")
    t.skip("IPv6 local", "no ::1 on this machine")
else:
    rc, env, err = run_env(conn, ["-R"])
    t.eq(env.get("TCPREMOTEIP"), "::1", "IPv6 TCPREMOTEIP")
    t.eq(env.get("TCPLOCALPORT"), str(BASE + 2), "IPv6 TCPLOCALPORT")
    conn.close()
    cli.close()

rc, env, err = run_env(subprocess.DEVNULL, ["-R"],
                       {"PROTO": "TCP", "TCPREMOTEIP": "192.0.2.9"})
t.eq(rc, 0, "PROTO=TCP: runs without a socket")
t.eq(env.get("TCPREMOTEIP"), "192.0.2.9", "PROTO=TCP: environment trusted")
rc, env, err = run_env(subprocess.DEVNULL, ["-R"])
t.eq(rc, 111, "descriptor 0 not a socket: 111")
t.ok(err.startswith("tcp-env: fatal: "), "...with a fatal message")
p = subprocess.run([TCPENV], stdin=subprocess.DEVNULL, capture_output=True)
t.eq(p.returncode, 100, "no program: usage, 100")
p = subprocess.run([TCPENV, "-x", "env"], capture_output=True)
t.eq(p.returncode, 100, "unknown option: 100")
p = subprocess.run([TCPENV, "-tabc", "env"], capture_output=True)
t.eq(p.returncode, 100, "bad timeout: 100")
p = subprocess.run([TCPENV, "/nonexistent/prog"], env={"PROTO": "TCP"},
                   capture_output=True)
t.eq(p.returncode, 111, "program cannot run: 111")
p = subprocess.run([TCPENV, "sh", "-c", "echo $0 $1", "a", "b c"],
                   env={"PROTO": "TCP", "PATH": "/usr/bin:/bin"},
                   capture_output=True)
t.eq(p.stdout, b"a b c\n", "arguments passed through unchanged")
t.done()
