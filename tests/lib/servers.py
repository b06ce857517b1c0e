"""tests/lib/servers.py - starting, reaching and stopping the servers the
black-box tests run on loopback (tcpserver, daemons), and a checkpassword
program for AUTH tests."""
import os
import signal
import socket
import subprocess
import time

from tap import QBIN

# What tcpserver would set for a connection from client.example.net.
BASE_ENV = {"PATH": "/usr/bin:/bin", "TCPREMOTEIP": "192.0.2.7",
            "TCPREMOTEHOST": "client.example.net",
            "TCPLOCALHOST": "mx.example.org", "TCPLOCALIP": "192.0.2.1"}


def run_piped(program, data, env=None, timeout=60):
    """Run QBIN/program as if under tcpserver (BASE_ENV, changed by env:
    a value None removes that variable) with data on fd 0; returns
    (stdout bytes, exit code)."""
    e = dict(BASE_ENV)
    for k, v in (env or {}).items():
        if v is None:
            e.pop(k, None)
        else:
            e[k] = v
    p = subprocess.run([os.path.join(QBIN, program)], input=data,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       env=e, timeout=timeout)
    return p.stdout, p.returncode


def wait_port(port, host="127.0.0.1", tries=250):
    """True once something accepts a TCP connection on host:port; False
    after tries attempts 20 ms apart (each connect waits at most 1 s)."""
    for _ in range(tries):
        try:
            socket.create_connection((host, port), 1).close()
            return True
        except OSError:
            time.sleep(0.02)
    return False


def tcpserver(tcpserver_path, port, argv, stderr=subprocess.DEVNULL):
    """Start tcpserver_path on 127.0.0.1:port running argv for each
    connection, with no remote lookups (-R -H) and "localhost" as the
    local name; its stderr goes to stderr.  Returns the Popen; the caller
    waits for the port and terminates it."""
    return subprocess.Popen([tcpserver_path, "-R", "-H", "-l", "localhost",
                             "127.0.0.1", str(port)] + list(argv),
                            stdout=subprocess.DEVNULL, stderr=stderr)


def stop(p, timeout=30):
    """Send SIGTERM to process p and wait up to timeout seconds for it; if
    it is still running, SIGKILL its process group.  Returns its exit
    status."""
    p.send_signal(signal.SIGTERM)
    try:
        return p.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        return p.wait()


CHECKPASSWORD = """#!/usr/bin/python3
import os, sys, time
data = b""
while True:
    b = os.read(3, 4096)
    if not b:
        break
    data += b
LOG = %r
if LOG:
    with open(LOG, "ab") as log:
        log.write(repr((data, os.read(0, 10), sys.argv[1:])).encode() +
                  b"\\n")
user, pw = data.split(b"\\0")[:2]
if user == b"temp":
    sys.exit(111)
if user == b"slow":
    time.sleep(30)
if user == b"joe" and pw == b"secret":
    os.execv(sys.argv[1], sys.argv[1:])
sys.exit(1)
"""


def write_checkpassword(path, log=None):
    """Write an executable checkpassword program to path.  It reads
    "user\\0password\\0timestamp\\0" on descriptor 3: joe/secret is good
    (it runs its subprogram), "temp" fails temporarily (111), "slow"
    sleeps 30 s first, anything else is a wrong password (1).  With log,
    it appends repr((what it read on 3, up to 10 bytes of fd 0, argv)) to
    that file."""
    with open(path, "w") as f:
        f.write(CHECKPASSWORD % (log or ""))
    os.chmod(path, 0o755)
