"""bench/instance.py - private instances for the benchmark scripts.

Not a benchmark itself: bench/scale.py, bench/local-e2e.py, bench/smtp.py
and bench/remote.py import it.  It builds and runs

  Qmail    a private unprivileged qmail instance (every role is the user
           running the benchmark), built into its own BUILD directory
           (default build/bench-NAME, or $BENCH_BUILD), with one Maildir
           that every local part of the test domain is delivered to;
  Postfix  a private instance of the system's Postfix (Debian's postfix
           package, never configured system-wide): its own
           config_directory, queue_directory and data_directory under
           /tmp, listening on 127.0.0.1 only, a test user created for it
           and removed afterwards.  Needs root;
  Sink     Postfix's smtp-sink on a loopback port, an SMTP server that
           accepts every message and throws it away, counting the
           messages it has received.

All are stopped by stop(), which the scripts call in a finally clause.
"""
import os
import pwd
import re
import shutil
import socket
import subprocess
import tempfile
import threading
import time

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
DOMAIN = "bench.example"


def wait_for(cond, seconds, step=0.02):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if cond():
            return True
        time.sleep(step)
    return cond()


def maildir_count(md):
    return len(os.listdir(os.path.join(md, "new")))


def files_under(path):
    return sum(len(f) for _, _, f in os.walk(path))


def message(size, subject="bench"):
    """A message of SIZE bytes (at least its header): a few header lines
    and a body of 72-byte lines."""
    head = ("From: bench@%s\nTo: user@%s\nSubject: %s\n\n"
            % (DOMAIN, DOMAIN, subject)).encode()
    line = b"x" * 71 + b"\n"
    rest = max(0, size - len(head))
    tail = b"x" * (rest % 72 - 1) + b"\n" if rest % 72 else b""
    return head + line * (rest // 72) + tail


class Qmail:
    def __init__(self, name):
        self.build = os.environ.get("BENCH_BUILD") or os.path.join(
            TOP, "build", "bench-" + name)
        self.home = os.path.join(self.build, "home")
        self.bin = os.path.join(self.build, "bin")
        self.proc = None
        self.tcp = None
        self.log = None
        subprocess.run(["make", "--no-print-directory", "-C", TOP,
                        "BUILD=" + self.build, "UNPRIV=1",
                        "QMAIL_HOME=" + self.home, "all"], check=True,
                       stdout=subprocess.DEVNULL)

    def reset(self):
        """A fresh instance: installed anew, control files for DOMAIN,
        every local part delivered to self.maildir."""
        self.stop()
        shutil.rmtree(self.home, ignore_errors=True)
        subprocess.run([os.path.join(self.bin, "install"), self.build, TOP],
                       check=True, stdout=subprocess.DEVNULL)
        ctl = os.path.join(self.home, "control")
        for f, text in (("me", DOMAIN), ("locals", DOMAIN),
                        ("rcpthosts", DOMAIN)):
            with open(os.path.join(ctl, f), "w") as fp:
                fp.write(text + "\n")
        self.user = os.path.join(self.build, "user")
        shutil.rmtree(self.user, ignore_errors=True)
        os.makedirs(self.user, 0o755)
        os.chmod(self.user, 0o755)
        self.maildir = os.path.join(self.user, "Maildir")
        for sub in ("cur", "new", "tmp"):
            os.makedirs(os.path.join(self.maildir, sub), 0o700)
        # a users/assign wildcard: every local part is this user with
        # extension LOCALPART, which .qmail-default delivers to ./Maildir/
        self.dotqmail = os.path.join(self.user, ".qmail-default")
        with open(self.dotqmail, "w") as fp:
            fp.write("./Maildir/\n")
        me = pwd.getpwuid(os.getuid())
        with open(os.path.join(self.home, "users", "assign"), "w") as fp:
            fp.write("+:%s:%d:%d:%s:-::\n.\n"
                     % (me.pw_name, me.pw_uid, me.pw_gid, self.user))
        subprocess.run([os.path.join(self.bin, "qmail-newu")], check=True)

    def control(self, name, text):
        with open(os.path.join(self.home, "control", name), "w") as fp:
            fp.write(text + "\n")

    def queued(self):
        """Messages in the queue (files under queue/mess)."""
        return files_under(os.path.join(self.home, "queue", "mess"))

    def start(self):
        """qmail-start ./Maildir/, logging into build/.../qmail.log;
        returns once qmail-send has logged its first status line."""
        self.logname = os.path.join(self.build, "qmail.log")
        self.log = open(self.logname, "wb")
        self.proc = subprocess.Popen(
            [os.path.join(self.bin, "qmail-start"), "./Maildir/"], cwd="/",
            stdout=self.log, stderr=subprocess.STDOUT,
            start_new_session=True)

        def up():
            with open(self.logname, "rb") as f:
                return b"status: local" in f.read()
        if not wait_for(up, 30):
            raise SystemExit("qmail-send did not start; see " + self.logname)

    def smtpd(self, port, maxconn=100):
        """qmail-smtpd under tcpserver on 127.0.0.1:PORT, at most MAXCONN
        connections and a listen backlog of MAXCONN (tcpserver's default
        backlog of 20 drops SYNs under 50 parallel sessions, and every
        dropped SYN costs the client a second)."""
        self.tcp = subprocess.Popen(
            ["tcpserver", "-R", "-H", "-l", DOMAIN, "-c", str(maxconn),
             "-b", str(maxconn),
             "127.0.0.1", str(port), os.path.join(self.bin, "qmail-smtpd")],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, start_new_session=True)
        wait_for_port(port)

    def stop(self):
        for p in (self.tcp, self.proc):
            if p is None or p.poll() is not None:
                continue
            p.terminate()
            try:
                p.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, 9)
                p.wait()
        self.tcp = self.proc = None
        if self.log:
            self.log.close()
            self.log = None


def port_listening(port):
    """Whether something accepts connections on 127.0.0.1:PORT."""
    s = socket.socket()
    try:
        s.connect(("127.0.0.1", port))
        return True
    except OSError:
        return False
    finally:
        s.close()


def wait_for_port(port):
    if not wait_for(lambda: port_listening(port), 10):
        raise SystemExit("nothing listens on 127.0.0.1:%d" % port)


# --- Postfix ----------------------------------------------------------------

PF_DOMAIN = "pfbench.example"
PF_USER = "qbenchpf"

# Debian's master.cf without the optional pipe services, without chroot,
# and with smtpd on a loopback port of our choosing instead of port 25.
MASTER = """\
{smtp}
pickup     unix  n       -       n       60      1       pickup
cleanup    unix  n       -       n       -       0       cleanup
{qmgr}
rewrite    unix  -       -       n       -       -       trivial-rewrite
bounce     unix  -       -       n       -       0       bounce
defer      unix  -       -       n       -       0       bounce
trace      unix  -       -       n       -       0       bounce
verify     unix  -       -       n       -       1       verify
flush      unix  n       -       n       1000?   0       flush
proxymap   unix  -       -       n       -       -       proxymap
proxywrite unix  -       -       n       -       1       proxymap
smtp       unix  -       -       n       -       -       smtp
relay      unix  -       -       n       -       -       smtp
showq      unix  n       -       n       -       -       showq
error      unix  -       -       n       -       -       error
retry      unix  -       -       n       -       -       error
discard    unix  -       -       n       -       -       discard
local      unix  -       n       n       -       -       local
virtual    unix  -       n       n       -       -       virtual
lmtp       unix  -       -       n       -       -       lmtp
anvil      unix  -       -       n       -       1       anvil
scache     unix  -       -       n       -       1       scache
postlog    unix-dgram n  -       n       -       1       postlogd
"""


def postfix_cmd(conf, *args):
    """Run `postfix -c CONF ARGS` under script(1): postfix writes its
    diagnostics to stderr only when stderr is a terminal."""
    cmd = " ".join(["postfix", "-c", conf] + list(args))
    p = subprocess.run(["script", "-qec", cmd, "/dev/null"],
                       capture_output=True, text=True)
    return p.returncode, p.stdout


class Postfix:
    """A private Postfix instance.  deliver=False puts every message smtpd
    accepts on hold (smtpd_recipient_restrictions = check_recipient_access
    static:HOLD), so accepted mail stays in the hold queue and nothing is
    delivered (the counterpart of a qmail whose qmail-send is not running).
    Leaving qmgr out of master.cf instead does not work: cleanup then
    stalls for a second per message trying to notify it."""

    def __init__(self, smtp_port=None, deliver=True, settings=()):
        if os.geteuid() != 0:
            raise SystemExit("the Postfix comparison needs root")
        if not shutil.which("postfix") and not os.path.exists(
                "/usr/sbin/postfix"):
            raise SystemExit("Postfix is not installed (apt-get install "
                             "postfix)")
        self.started = False
        self.user_made = False
        self.top = tempfile.mkdtemp(prefix="bench-postfix.")
        try:
            self._setup(smtp_port, deliver, list(settings))
        except BaseException:
            self.stop()
            raise

    def _setup(self, smtp_port, deliver, extra):
        os.chmod(self.top, 0o755)
        self.conf = os.path.join(self.top, "etc")
        self.queue = os.path.join(self.top, "queue")
        data = os.path.join(self.top, "data")
        self.logname = os.path.join(self.top, "maillog")
        for d in (self.conf, self.queue, data):
            os.mkdir(d, 0o755)
        pf = pwd.getpwnam("postfix")
        os.chown(data, pf.pw_uid, pf.pw_gid)
        # the test user whose home gets home_mailbox = Maildir/
        self.userhome = os.path.join(self.top, "user")
        if self._exists():
            raise SystemExit("user %s exists already; remove it first"
                             % PF_USER)
        subprocess.run(["useradd", "-M", "-d", self.userhome, "-s",
                        "/usr/sbin/nologin", PF_USER], check=True)
        self.user_made = True
        os.mkdir(self.userhome, 0o755)
        u = pwd.getpwnam(PF_USER)
        self.maildir = os.path.join(self.userhome, "Maildir")
        for sub in ("", "cur", "new", "tmp"):
            os.mkdir(os.path.join(self.maildir, sub), 0o700)
        for d in (self.userhome, self.maildir) + tuple(
                os.path.join(self.maildir, s) for s in ("cur", "new", "tmp")):
            os.chown(d, u.pw_uid, u.pw_gid)
        smtp = ("127.0.0.1:%d inet n - n - - smtpd" % smtp_port
                if smtp_port else "")
        qmgr = "qmgr       unix  n       -       n       300     1  qmgr"
        with open(os.path.join(self.conf, "master.cf"), "w") as f:
            f.write(MASTER.format(smtp=smtp, qmgr=qmgr))
        open(os.path.join(self.conf, "main.cf"), "w").close()
        settings = [
            "compatibility_level=3.6",
            "queue_directory=" + self.queue,
            "data_directory=" + data,
            "maillog_file_prefixes=" + self.top,
            "maillog_file=" + self.logname,
            "syslog_name=postfix-bench",
            "inet_interfaces=loopback-only",
            "inet_protocols=ipv4",
            "myhostname=" + PF_DOMAIN,
            "mydomain=" + PF_DOMAIN,
            "myorigin=" + PF_DOMAIN,
            "mydestination=" + PF_DOMAIN,
            "mynetworks=127.0.0.0/8",
            "relayhost=",
            "home_mailbox=Maildir/",
            "alias_maps=",
            "alias_database=",
            "biff=no",
            "smtpd_peername_lookup=no",
        ]
        if not deliver:
            settings.append("smtpd_recipient_restrictions="
                            "check_recipient_access static:HOLD")
        settings += extra
        subprocess.run(["postconf", "-c", self.conf, "-e"] + settings,
                       check=True)
        rc, out = postfix_cmd(self.conf, "check")
        if rc != 0:
            raise SystemExit("postfix check failed:\n" + out)
        rc, out = postfix_cmd(self.conf, "start")
        if rc != 0:
            raise SystemExit("postfix start failed:\n" + out)
        self.started = True
        if smtp_port:
            wait_for_port(smtp_port)

    def sendmail_argv(self, sender, rcpt):
        # another MTA installed on this machine may have replaced it
        with open("/usr/sbin/sendmail", "rb") as f:
            if b"libpostfix" not in f.read():
                raise SystemExit("/usr/sbin/sendmail is not Postfix's")
        return ["/usr/sbin/sendmail", "-C", self.conf, "-f", sender, rcpt]

    def held(self):
        return files_under(os.path.join(self.queue, "hold"))

    def queued(self):
        """Messages anywhere in the queue: maildrop, incoming, active,
        deferred, hold."""
        return sum(files_under(os.path.join(self.queue, d))
                   for d in ("maildrop", "incoming", "active", "deferred",
                             "hold"))

    def command(self, prog, *args):
        """Run Postfix's PROG (postsuper, postqueue, ...) with -c CONF;
        exits the script if it fails."""
        p = subprocess.run([prog, "-c", self.conf] + list(args),
                           capture_output=True, text=True)
        if p.returncode != 0:
            raise SystemExit("%s %s failed: %s" % (prog, " ".join(args),
                                                   p.stderr.strip()))
        return p.stdout

    @staticmethod
    def _exists():
        try:
            pwd.getpwnam(PF_USER)
            return True
        except KeyError:
            return False

    def _userdel(self):
        if self.user_made:
            subprocess.run(["userdel", PF_USER], check=False)
            self.user_made = False

    def stop(self):
        if self.started:
            rc, out = postfix_cmd(self.conf, "stop")
            self.started = False
            if rc != 0:
                print("warning: postfix stop: " + out.strip())
        self._userdel()
        shutil.rmtree(self.top, ignore_errors=True)


# --- smtp-sink --------------------------------------------------------------

SINK = "/usr/sbin/smtp-sink"


class Sink:
    """Postfix's smtp-sink on 127.0.0.1:PORT (accepts every message and
    throws it away; announces PIPELINING, 8BITMIME and SIZE).  It runs
    with -c, which writes its running counters "sess=N quit=N mesg=N"
    (each ended by a CR) to its stdout whenever a session ends, a QUIT is
    executed or a message's final "." is received; a thread reads them
    and received() is the last mesg count seen, sessions() the last sess
    count.  Under root it drops to nobody (-u, which smtp-sink requires
    then)."""

    COUNTER = re.compile(rb"sess=(\d+) quit=\d+ mesg=(\d+)")

    def __init__(self, port, backlog=256):
        if not os.path.exists(SINK):
            raise SystemExit("smtp-sink is missing (Debian package postfix)")
        argv = [SINK, "-c"]
        if os.geteuid() == 0:
            argv += ["-u", "nobody"]
        argv += ["127.0.0.1:%d" % port, str(backlog)]
        if port_listening(port):
            raise SystemExit("127.0.0.1:%d is in use already" % port)
        self.sess = self.mesg = 0
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE,
                                     start_new_session=True)
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        try:
            wait_for_port(port)
            if self.proc.poll() is not None:
                raise SystemExit("smtp-sink exited %d" % self.proc.returncode)
        except BaseException:
            self.stop()
            raise

    def _read(self):
        tail = b""
        while True:
            chunk = os.read(self.proc.stdout.fileno(), 65536)
            if not chunk:
                return
            # only whole records (ended by CR) count
            tail = (tail + chunk)[-512:]
            done, _, tail = tail.rpartition(b"\r")
            counts = self.COUNTER.findall(done)
            if counts:
                self.sess, self.mesg = map(int, counts[-1])

    def received(self):
        """Messages received (final "." seen) since the sink started."""
        return self.mesg

    def sessions(self):
        """SMTP sessions ended since the sink started."""
        return self.sess

    def stop(self):
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, 9)
                self.proc.wait()
        self.reader.join(timeout=5)
        self.proc.stdout.close()
        self.proc = None
