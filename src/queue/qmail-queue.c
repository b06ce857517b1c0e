/*
 * qmail-queue - put one message into the queue.
 *
 * The message arrives on descriptor 0, the envelope on descriptor 1
 * (F sender NUL, T recipient NUL ..., NUL).  qmail-queue is the only
 * program that creates messages in the queue, and it is setuid qmailq, so
 * it trusts nothing from its caller: not the environment, not the input.
 *
 * The commit protocol (DESIGN.md section 3):
 *
 *   1. create pid/PID.TIME.TRY; its inode number names the message;
 *   2. link it to mess/SPLIT/INODE, write the Received line and the
 *      message, fsync the file and the mess/SPLIT directory;
 *   3. write the envelope to intd/SPLIT/INODE and fsync it;
 *   4. link intd/SPLIT/INODE to todo/SPLIT/INODE and fsync todo/SPLIT:
 *      this is the commit point, after which qmail-send owns the message.
 *
 * Until step 4 every failure removes what was made, so a caller that dies
 * half way (the envelope never ends) leaves nothing queued.  After step 4
 * nothing is ever removed: if the final fsync fails the caller is told to
 * retry, and a duplicate is better than a loss.
 *
 * qmail-queue prints nothing; its exit code is its report (exitcodes.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "conf.h"
#include "date822.h"
#include "exitcodes.h"
#include "fmt.h"
#include "fsync.h"
#include "ids.h"
#include "iobuf.h"
#include "qqueue.h"

/*
 * qmail's limit on one envelope address, kept for compatibility: 1002
 * bytes, not counting the F or T before it and the NUL after it.
 */
#define QQ_ADDR_MAX QQUEUE_ADDR_MAX

/* A caller that keeps qmail-queue waiting longer than a day is gone. */
#define QQ_DEATH_SECONDS 86400

/*
 * The largest envelope we queue.  qmail-send reads every envelope whole, so
 * one of this size is already absurd (at least 65,000 recipients of the
 * longest kind); a larger one is refused permanently (exit 31).
 */
#define QQ_ENVELOPE_MAX (64UL * 1024 * 1024)

/* How often to try a fresh pid/ file name before giving up. */
#define QQ_PID_TRIES 5

#define QQ_PATH_MAX 128

/* The message being queued: the names made so far, for clean-up. */
struct qq_state {
	char pidfn[QQ_PATH_MAX];
	char messfn[QQ_PATH_MAX];
	char messdir[QQ_PATH_MAX];
	char intdfn[QQ_PATH_MAX];
	char tododir[QQ_PATH_MAX];
	char todofn[QQ_PATH_MAX];
	int made_mess;
	int made_intd;
	unsigned long long message_bytes;
	size_t envelope_bytes;
	unsigned long long messnum;
	time_t start;
	pid_t pid;
	uid_t uid;
};

static struct qq_state qq;

/*
 * qq_die - undo whatever is not yet committed and exit with code.  Called
 * only before the todo link; the names are unlinked in the reverse order of
 * their making.
 */
static _Noreturn void
qq_die(int code)
{
	if (qq.made_intd)
		unlink(qq.intdfn);
	if (qq.made_mess)
		unlink(qq.messfn);
	_exit(code);
}

static void
qq_alarm(int sig)
{
	(void)sig;
	qq_die(QQ_TIMEOUT);
}

/* qq_path - "dir/N/INODE" or "dir/N" into buf, or exit 81 if it cannot fit */
static void
qq_path(char *buf, const char *dir, int with_file)
{
	int n;

	if (with_file)
		n = snprintf(buf, QQ_PATH_MAX, "%s/%llu/%llu", dir,
		    qq.messnum % conf_split, qq.messnum);
	else
		n = snprintf(buf, QQ_PATH_MAX, "%s/%llu", dir,
		    qq.messnum % conf_split);
	if (n < 0 || n >= QQ_PATH_MAX)
		qq_die(QQ_BUG);
}

/*
 * qq_received - the first line of every queued message, in qmail's words:
 * who handed the message in is told by the real uid.  In an unprivileged
 * build every role has the same uid, so only the uid is named.
 */
static int
qq_received(struct iobuf *out)
{
	char date[DATE822_MAX];
	char num[FMT_ULONG];
	uid_t uid;
	gid_t gid;

	if (iobuf_puts(out, "Received: (qmail ") == -1)
		return -1;
	fmt_ulong(num, (unsigned long long)qq.pid);
	if (iobuf_puts(out, num) == -1 || iobuf_puts(out, " invoked ") == -1)
		return -1;
	if (!conf_unprivileged && ids_user(CONF_USER_ALIAS, &uid, &gid) == 0 &&
	    uid == qq.uid) {
		if (iobuf_puts(out, "by alias") == -1)
			return -1;
	} else if (!conf_unprivileged &&
	    ids_user(CONF_USER_QMAILD, &uid, &gid) == 0 && uid == qq.uid) {
		if (iobuf_puts(out, "from network") == -1)
			return -1;
	} else if (!conf_unprivileged &&
	    ids_user(CONF_USER_QMAILS, &uid, &gid) == 0 && uid == qq.uid) {
		if (iobuf_puts(out, "for bounce") == -1)
			return -1;
	} else {
		fmt_ulong(num, (unsigned long long)qq.uid);
		if (iobuf_puts(out, "by uid ") == -1 ||
		    iobuf_puts(out, num) == -1)
			return -1;
	}
	if (date822_utc(date, qq.start) == 0)
		return -1;
	if (iobuf_puts(out, "); ") == -1 || iobuf_puts(out, date) == -1 ||
	    iobuf_puts(out, "\n") == -1)
		return -1;
	return 0;
}

/*
 * qq_pid_open - create pid/PID.TIME.TRY exclusively and learn the message
 * number from its inode.  Returns the open descriptor.
 */
static int
qq_pid_open(void)
{
	struct stat st;
	int fd, try, n;

	for (try = 1; try <= QQ_PID_TRIES; try++) {
		n = snprintf(qq.pidfn, sizeof(qq.pidfn), "pid/%llu.%llu.%d",
		    (unsigned long long)qq.pid,
		    (unsigned long long)qq.start, try);
		if (n < 0 || (size_t)n >= sizeof(qq.pidfn))
			qq_die(QQ_BUG);
		fd = open(qq.pidfn, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
		    0644);
		if (fd != -1) {
			if (fstat(fd, &st) == -1) {
				unlink(qq.pidfn);
				qq_die(QQ_PID_DIR);
			}
			qq.messnum = (unsigned long long)st.st_ino;
			return fd;
		}
		if (errno != EEXIST)
			break;
		/* A stale file from a pid that was reused: try another name. */
	}
	qq_die(QQ_PID_DIR);
}

/* qq_copy_message - the Received line and then fd 0, into out */
static void
qq_copy_message(struct iobuf *in, struct iobuf *out)
{
	ssize_t n;

	if (qq_received(out) == -1)
		qq_die(QQ_WRITE);
	for (;;) {
		n = iobuf_fill(in);
		if (n == -1)
			qq_die(QQ_READ);
		if (n == 0)
			break;
		/* Checked: a wrap would be a lie about what was written. */
		if (qq.message_bytes > ULLONG_MAX - (unsigned long long)n)
			qq_die(QQ_WRITE);
		qq.message_bytes += (unsigned long long)n;
		if (iobuf_write(out, iobuf_peek(in), (size_t)n) == -1)
			qq_die(QQ_WRITE);
		iobuf_skip(in, (size_t)n);
	}
	if (iobuf_flush(out) == -1)
		qq_die(QQ_WRITE);
}

/*
 * qq_copy_address - one NUL-terminated address from the envelope to out,
 * with its NUL.  Longer than QQ_ADDR_MAX is refused permanently, as qmail
 * (exit 11).  A CR or LF is refused permanently too (exit 12, not
 * qmail's): written into a header (a bounce's To, a Return-Path) it would
 * end the line and let the address make headers of its own.
 */
static void
qq_copy_address(struct iobuf *env, struct iobuf *out)
{
	size_t len = 0;
	char c;
	int r;

	for (;;) {
		r = iobuf_getc(env, &c);
		if (r == -1 || r == 0)
			qq_die(QQ_READ);
		if (++qq.envelope_bytes > QQ_ENVELOPE_MAX)
			qq_die(QQ_PERM_REFUSED);
		if (iobuf_write(out, &c, 1) == -1)
			qq_die(QQ_WRITE);
		if (c == '\0')
			return;
		if (c == '\r' || c == '\n')
			qq_die(QQ_ADDR_BAD);
		if (++len > QQ_ADDR_MAX)
			qq_die(QQ_ADDR_TOO_LONG);
	}
}

/*
 * qq_copy_envelope - check the envelope on fd 1 and write it to the intd
 * file after qmail's u (uid) and p (pid) records.
 */
static void
qq_copy_envelope(struct iobuf *env, struct iobuf *out)
{
	char num[FMT_ULONG];
	char c;
	int r;

	fmt_ulong(num, (unsigned long long)qq.uid);
	if (iobuf_write(out, "u", 1) == -1 ||
	    iobuf_write(out, num, strlen(num) + 1) == -1)
		qq_die(QQ_WRITE);
	fmt_ulong(num, (unsigned long long)qq.pid);
	if (iobuf_write(out, "p", 1) == -1 ||
	    iobuf_write(out, num, strlen(num) + 1) == -1)
		qq_die(QQ_WRITE);

	r = iobuf_getc(env, &c);
	if (r != 1)
		qq_die(QQ_READ);
	if (c != 'F')
		qq_die(QQ_ENVELOPE);
	if (iobuf_write(out, "F", 1) == -1)
		qq_die(QQ_WRITE);
	qq_copy_address(env, out);

	for (;;) {
		r = iobuf_getc(env, &c);
		if (r != 1)
			qq_die(QQ_READ);
		if (c == '\0')
			break;
		if (c != 'T')
			qq_die(QQ_ENVELOPE);
		if (iobuf_write(out, "T", 1) == -1)
			qq_die(QQ_WRITE);
		qq_copy_address(env, out);
	}
	if (iobuf_flush(out) == -1)
		qq_die(QQ_WRITE);
}

/* qq_trigger - wake qmail-send; it is fine if nobody is listening */
static void
qq_trigger(void)
{
	int fd;

	fd = open("lock/trigger", O_WRONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd == -1)
		return;
	if (write(fd, "", 1) == -1) {
		/* qmail-send scans the queue periodically anyway */
	}
	close(fd);
}

int
main(void)
{
	static char inspace[65536], outspace[65536];
	static char envspace[4096], intdspace[4096];
	struct iobuf in, out, env, intd;
	struct sigaction sa;
	int messfd, intdfd;

	/* qmail-queue prints no diagnostics; see the exit code. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = qq_alarm;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGALRM, &sa, NULL) == -1)
		_exit(QQ_BUG);
	/* A file size limit must fail a write (EFBIG), not kill us. */
	signal(SIGXFSZ, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	alarm(QQ_DEATH_SECONDS);

	umask(033);
	qq.uid = getuid();
	qq.pid = getpid();
	qq.start = time(NULL);

	if (chdir(conf_qmail_home) == -1)
		qq_die(QQ_HOME);
	if (chdir("queue") == -1)
		qq_die(QQ_QUEUE_DIR);

	messfd = qq_pid_open();
	qq_path(qq.messfn, "mess", 1);
	qq_path(qq.messdir, "mess", 0);
	qq_path(qq.intdfn, "intd", 1);
	qq_path(qq.todofn, "todo", 1);
	qq_path(qq.tododir, "todo", 0);

	if (link(qq.pidfn, qq.messfn) == -1) {
		unlink(qq.pidfn);
		qq_die(QQ_MESS_DIR);
	}
	qq.made_mess = 1;
	if (unlink(qq.pidfn) == -1)
		qq_die(QQ_PID_DIR);

	iobuf_init(&in, 0, inspace, sizeof(inspace), -1);
	iobuf_init(&out, messfd, outspace, sizeof(outspace), -1);
	qq_copy_message(&in, &out);
	if (fsync_fd(messfd) == -1)
		qq_die(QQ_WRITE);
	if (close(messfd) == -1)
		qq_die(QQ_WRITE);
	if (fsync_dir(qq.messdir) == -1)
		qq_die(QQ_MESS_DIR);

	intdfd = open(qq.intdfn, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
	    0644);
	if (intdfd == -1)
		qq_die(QQ_INTD_DIR);
	qq.made_intd = 1;
	iobuf_init(&env, 1, envspace, sizeof(envspace), -1);
	iobuf_init(&intd, intdfd, intdspace, sizeof(intdspace), -1);
	qq_copy_envelope(&env, &intd);
	if (fsync_fd(intdfd) == -1)
		qq_die(QQ_WRITE);
	if (close(intdfd) == -1)
		qq_die(QQ_WRITE);

	/* No timeout may strike between the link and forgetting the names. */
	alarm(0);
	if (link(qq.intdfn, qq.todofn) == -1)
		qq_die(QQ_TODO_DIR);
	/* Committed: from here on nothing is removed. */
	qq.made_intd = 0;
	qq.made_mess = 0;
	if (fsync_dir(qq.tododir) == -1)
		_exit(QQ_TODO_DIR);

	qq_trigger();
	_exit(QQ_OK);
}
