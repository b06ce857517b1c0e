/*
 * qmail-popup - read a POP3 user name and password, then run the
 * checkpassword program (qmail-popup(8)).
 *
 *	qmail-popup hostname subprogram [arg ...]
 *
 * The client is on descriptors 0 and 1.  qmail-popup greets it with an
 * APOP timestamp <PID.TIME@hostname>, takes USER and PASS (or APOP
 * name digest), QUIT, NOOP and CAPA, and then runs subprogram (looked up
 * in $PATH, as qmail's execvp did) with the same descriptors 0 and 1 and
 * with descriptor 3 reading "user NUL password NUL timestamp NUL" (the
 * checkpassword interface).  What the client hears next comes from the
 * subprogram (qmail-pop3d says +OK); only if the subprogram exits other
 * than 0 or crashes does qmail-popup answer -ERR.  One attempt per
 * connection, as in qmail.
 *
 * Input is read one byte at a time: whatever the client sends after its
 * PASS line must stay unread in the socket for the subprogram, so a
 * client that sends commands without waiting loses nothing.
 *
 * The password only ever lives in the line buffer and the fd 3 record;
 * both are wiped once the record is written.  Nothing is logged about a
 * client at all.
 *
 * Exit codes: 0 after QUIT or when the subprogram exited 0; 1 when
 * authorization failed (the subprogram exited non-zero or crashed) or
 * the client went away or stalled past the idle timeout; 100 for a usage
 * error; 111 for a local failure (pipe, fork, reading the control file).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bytes.h"
#include "err.h"
#include "exitcodes.h"
#include "fmt.h"
#include "iobuf.h"
#include "pop3cmd.h"
#include "proc.h"
#include "sig.h"

/* Exit code when authorization fails or the client leaves (qmail: 1). */
#define POPUP_EXIT_NOAUTH 1

/* The checkpassword interface reads at most this much from fd 3. */
#define POPUP_RECORD_MAX 512

/* Most bytes of the hostname argument (it goes into every greeting). */
#define POPUP_HOST_MAX 255

struct popup {
	struct iobuf in;
	struct iobuf out;
	char inspace[1]; /* one byte: never read past a line end */
	char outspace[512];
	const char *hostname;
	char *const *childargv;
	char stamp[POPUP_HOST_MAX + 2 * FMT_ULONG + 8]; /* <pid.time@host> */
	struct bytes user;
	int seen_user;
};

/* popup_put - send s to the client, or give up on a dead client */
static void
popup_put(struct popup *p, const char *s)
{
	if (iobuf_puts(&p->out, s) == -1 || iobuf_flush(&p->out) == -1)
		_exit(POPUP_EXIT_NOAUTH);
}

static void
popup_err(struct popup *p, const char *text)
{
	if (iobuf_puts(&p->out, "-ERR ") == -1 ||
	    iobuf_puts(&p->out, text) == -1)
		_exit(POPUP_EXIT_NOAUTH);
	popup_put(p, "\r\n");
}

static void
popup_ok(struct popup *p)
{
	popup_put(p, "+OK \r\n");
}

/* popup_hostname_ok - the greeting must stay one line of printable text */
static int
popup_hostname_ok(const char *h)
{
	size_t n = strlen(h);
	size_t i;

	if (n == 0 || n > POPUP_HOST_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if (h[i] <= ' ' || h[i] >= 127 || h[i] == '<' || h[i] == '>')
			return 0;
	return 1;
}

static void
popup_greet(struct popup *p)
{
	char pid[FMT_ULONG], now[FMT_ULONG];

	fmt_ulong(pid, (unsigned long long)getpid());
	fmt_ulong(now, (unsigned long long)time(NULL));
	if (snprintf(p->stamp, sizeof(p->stamp), "<%s.%s@%s>", pid, now,
	        p->hostname) >= (int)sizeof(p->stamp))
		fatalx(EXIT_TEMP, "unable to make the timestamp: too long");
	if (iobuf_puts(&p->out, "+OK ") == -1 ||
	    iobuf_puts(&p->out, p->stamp) == -1)
		_exit(POPUP_EXIT_NOAUTH);
	popup_put(p, "\r\n");
}

/*
 * popup_record - "user NUL pass NUL stamp NUL" into rec (size
 * POPUP_RECORD_MAX); the length, or 0 if it would not fit (the
 * checkpassword program could not read it whole).
 */
static size_t
popup_record(char *rec, const char *user, size_t ulen, const char *pass,
    const char *stamp)
{
	size_t plen = strlen(pass);
	size_t slen = strlen(stamp);

	if (ulen > POPUP_RECORD_MAX || plen > POPUP_RECORD_MAX ||
	    ulen + plen + slen + 3 > POPUP_RECORD_MAX)
		return 0;
	memcpy(rec, user, ulen);
	rec[ulen] = '\0';
	memcpy(rec + ulen + 1, pass, plen);
	rec[ulen + 1 + plen] = '\0';
	memcpy(rec + ulen + plen + 2, stamp, slen);
	rec[ulen + plen + 2 + slen] = '\0';
	return ulen + plen + slen + 3;
}

/* popup_write_all - write the record to the pipe; a reader gone is fine */
static void
popup_write_all(int fd, const char *s, size_t n)
{
	ssize_t w;

	while (n > 0) {
		w = write(fd, s, n);
		if (w == -1 && errno == EINTR)
			continue;
		if (w == -1)
			return; /* EPIPE: the program did not want it */
		s += w;
		n -= (size_t)w;
	}
}

/*
 * popup_run - hand the session to the subprogram and report how it
 * ended; never returns.  cmd holds the password: it is wiped here.
 */
static void
popup_run(struct popup *p, struct pop3cmd *cmd, const char *user, size_t ulen,
    const char *pass)
{
	static char rec[POPUP_RECORD_MAX];
	struct proc_fdmap fds[1];
	struct proc_spec spec;
	size_t n;
	int pi[2];
	int status, signo;
	int code = -1;
	pid_t pid;

	n = popup_record(rec, user, ulen, pass, p->stamp);
	pop3cmd_wipe(cmd);
	if (n == 0) {
		popup_err(p, "authorization failed");
		_exit(POPUP_EXIT_NOAUTH);
	}
	if (pipe2(pi, O_CLOEXEC) == -1) {
		explicit_bzero(rec, sizeof(rec));
		popup_err(p, "unable to open pipe");
		fatal(EXIT_TEMP, "unable to open pipe");
	}
	fds[0].child = 3;
	fds[0].parent = pi[0];
	memset(&spec, 0, sizeof(spec));
	spec.program = p->childargv[0];
	spec.argv = (const char *const *)p->childargv;
	spec.fds = fds;
	spec.nfds = 1;
	spec.flags = PROC_SEARCH_PATH;
	pid = proc_spawn(&spec);
	close(pi[0]);
	if (pid == -1) {
		explicit_bzero(rec, sizeof(rec));
		popup_err(p, "temporary failure, try again later");
		fatal(EXIT_TEMP, "unable to run %s", p->childargv[0]);
	}
	popup_write_all(pi[1], rec, n);
	explicit_bzero(rec, sizeof(rec));
	close(pi[1]);

	if (proc_wait(pid, &status) == -1)
		fatal(EXIT_TEMP, "unable to wait for %s", p->childargv[0]);
	if (proc_status_signaled(status, &signo, NULL)) {
		popup_err(p, "aack, child crashed");
		_exit(POPUP_EXIT_NOAUTH);
	}
	if (proc_status_exited(status, &code) && code == 0)
		_exit(EXIT_OK);
	if (code == EXIT_TEMP)
		popup_err(p, "temporary failure, try again later");
	else
		popup_err(p, "authorization failed");
	_exit(POPUP_EXIT_NOAUTH);
}

static void
popup_user(struct popup *p, struct pop3cmd *cmd)
{
	if (*cmd->arg == '\0') {
		popup_err(p, "syntax error");
		return;
	}
	if (bytes_copy_str(&p->user, cmd->arg) == -1) {
		popup_err(p, "out of memory");
		_exit(EXIT_TEMP);
	}
	p->seen_user = 1;
	popup_ok(p);
}

static void
popup_pass(struct popup *p, struct pop3cmd *cmd)
{
	if (!p->seen_user) {
		popup_err(p, "USER first");
		return;
	}
	if (*cmd->arg == '\0') {
		popup_err(p, "syntax error");
		return;
	}
	popup_run(p, cmd, p->user.s, p->user.len, cmd->arg);
}

static void
popup_apop(struct popup *p, struct pop3cmd *cmd)
{
	const char *space = strchr(cmd->arg, ' ');
	const char *digest;

	if (space == NULL || space == cmd->arg) {
		popup_err(p, "syntax error");
		return;
	}
	digest = space + 1;
	if (*digest == '\0') {
		popup_err(p, "syntax error");
		return;
	}
	popup_run(p, cmd, cmd->arg, (size_t)(space - cmd->arg), digest);
}

static void
popup_capa(struct popup *p)
{
	popup_put(p, "+OK capability list follows\r\nTOP\r\nUIDL\r\nUSER\r\n"
	             ".\r\n");
}

static void
popup_loop(struct popup *p)
{
	struct pop3cmd cmd;
	int r;

	pop3cmd_init(&cmd);
	for (;;) {
		r = pop3cmd_read(&p->in, &cmd);
		if (r == 0)
			_exit(POPUP_EXIT_NOAUTH);
		if (r == -1) {
			if (errno == E2BIG) {
				popup_err(p, "line too long");
				continue;
			}
			if (errno == EINVAL) {
				popup_err(p, "syntax error");
				continue;
			}
			_exit(POPUP_EXIT_NOAUTH); /* timeout, read error */
		}
		if (pop3cmd_is(&cmd, "user"))
			popup_user(p, &cmd);
		else if (pop3cmd_is(&cmd, "pass"))
			popup_pass(p, &cmd);
		else if (pop3cmd_is(&cmd, "apop"))
			popup_apop(p, &cmd);
		else if (pop3cmd_is(&cmd, "quit")) {
			popup_ok(p);
			_exit(EXIT_OK);
		} else if (pop3cmd_is(&cmd, "noop"))
			popup_ok(p);
		else if (pop3cmd_is(&cmd, "capa"))
			popup_capa(p);
		else
			popup_err(p, "authorization first");
	}
}

int
main(int argc, char **argv)
{
	static struct popup p;
	unsigned long timeout;

	err_setprogname("qmail-popup");
	/* A client gone is seen as EPIPE; the subprogram gets a clean
	 * signal mask from proc_spawn, so it still dies of SIGPIPE. */
	if (sig_block(SIGPIPE) == -1)
		fatal(EXIT_TEMP, "unable to block SIGPIPE");
	iobuf_init(&p.out, 1, p.outspace, sizeof(p.outspace), -1);
	if (argc < 3) {
		popup_err(&p, "usage: qmail-popup hostname subprogram");
		fatalx(EXIT_PERM, "usage: qmail-popup hostname subprogram "
		                  "[arg ...]");
	}
	p.hostname = argv[1];
	p.childargv = argv + 2;
	if (!popup_hostname_ok(p.hostname)) {
		popup_err(&p, "unable to greet: bad hostname");
		fatalx(EXIT_PERM, "hostname is empty, too long or not "
		                  "printable text");
	}
	if (pop3cmd_timeout(&timeout) == -1) {
		popup_err(&p, "unable to read controls");
		fatal(EXIT_TEMP, "unable to read control/timeoutpop3d");
	}
	iobuf_init(
	    &p.in, 0, p.inspace, sizeof(p.inspace), (int)(timeout * 1000));
	p.out.timeout_ms = (int)(timeout * 1000);
	bytes_init(&p.user, POP3CMD_LINE_MAX + 1);
	popup_greet(&p);
	popup_loop(&p);
	return POPUP_EXIT_NOAUTH;
}
