/*
 * qqueue.c - hand a message to qmail-queue, see qqueue.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "exitcodes.h"
#include "proc.h"
#include "qqueue.h"

int
qqueue_open(struct qqueue *q, const char *program)
{
	char path[4096];
	const char *argv[2];
	struct proc_fdmap fds[2];
	struct proc_spec spec;
	int msg[2], env[2];
	int n, saved;

	memset(q, 0, sizeof(*q));
	q->pid = -1;
	q->msgfd = q->envfd = -1;

	if (program == NULL) {
		program = getenv("QMAILQUEUE");
		if (program == NULL || *program == '\0') {
			n = snprintf(path, sizeof(path), "%s/bin/qmail-queue",
			    conf_qmail_home);
			if (n < 0 || (size_t)n >= sizeof(path)) {
				errno = ENAMETOOLONG;
				return -1;
			}
			program = path;
		}
	}

	if (pipe2(msg, O_CLOEXEC) == -1)
		return -1;
	if (pipe2(env, O_CLOEXEC) == -1) {
		saved = errno;
		close(msg[0]);
		close(msg[1]);
		errno = saved;
		return -1;
	}

	argv[0] = program;
	argv[1] = NULL;
	fds[0].child = 0;
	fds[0].parent = msg[0];
	fds[1].child = 1;
	fds[1].parent = env[0];
	memset(&spec, 0, sizeof(spec));
	spec.program = program;
	spec.argv = argv;
	spec.fds = fds;
	spec.nfds = 2;

	q->pid = proc_spawn(&spec);
	saved = errno;
	close(msg[0]);
	close(env[0]);
	if (q->pid == -1) {
		close(msg[1]);
		close(env[1]);
		errno = saved;
		return -1;
	}
	q->msgfd = msg[1];
	q->envfd = env[1];
	iobuf_init(&q->out, q->msgfd, q->space, sizeof(q->space), -1);
	return 0;
}

void
qqueue_put(struct qqueue *q, const void *p, size_t n)
{
	if (q->failed || q->msgfd == -1)
		return;
	if (iobuf_write(&q->out, p, n) == -1)
		q->failed = 1;
	q->msgbytes = n > (size_t)-1 - q->msgbytes ? (size_t)-1
						  : q->msgbytes + n;
}

int
qqueue_put_fd(struct qqueue *q, int fd)
{
	char space[16384];
	struct iobuf in;
	ssize_t n;

	iobuf_init(&in, fd, space, sizeof(space), -1);
	for (;;) {
		n = iobuf_fill(&in);
		if (n == -1)
			return -1;
		if (n == 0)
			return 0;
		qqueue_put(q, iobuf_peek(&in), (size_t)n);
		iobuf_skip(&in, (size_t)n);
	}
}

void
qqueue_puts(struct qqueue *q, const char *s)
{
	qqueue_put(q, s, strlen(s));
}

/* qqueue_switch - flush and close the message; envelope writes follow */
static void
qqueue_switch(struct qqueue *q)
{
	if (q->msgfd == -1)
		return;
	if (!q->failed && iobuf_flush(&q->out) == -1)
		q->failed = 1;
	if (close(q->msgfd) == -1)
		q->failed = 1;
	q->msgfd = -1;
	iobuf_init(&q->out, q->envfd, q->space, sizeof(q->space), -1);
}

int
qqueue_address_check(const char *addr, size_t len)
{
	if (len > QQUEUE_ADDR_MAX) {
		errno = E2BIG;
		return -1;
	}
	if (memchr(addr, '\r', len) != NULL ||
	    memchr(addr, '\n', len) != NULL ||
	    memchr(addr, '\0', len) != NULL) {
		errno = EINVAL;
		return -1;
	}
	return 0;
}

/*
 * qqueue_env - one envelope record: letter, address, NUL.  An address
 * qmail-queue would refuse gives the message up, with its code kept for
 * qqueue_close.
 */
static void
qqueue_env(struct qqueue *q, char letter, const char *addr)
{
	size_t len = strlen(addr);

	if (qqueue_address_check(addr, len) == -1) {
		if (q->refused == 0)
			q->refused =
			    errno == E2BIG ? QQ_ADDR_TOO_LONG : QQ_ADDR_BAD;
		q->failed = 1;
		return;
	}
	if (q->failed || q->envfd == -1)
		return;
	if (iobuf_write(&q->out, &letter, 1) == -1 ||
	    iobuf_write(&q->out, addr, len + 1) == -1)
		q->failed = 1;
}

void
qqueue_from(struct qqueue *q, const char *sender)
{
	qqueue_switch(q);
	qqueue_env(q, 'F', sender);
}

void
qqueue_to(struct qqueue *q, const char *recipient)
{
	qqueue_env(q, 'T', recipient);
}

void
qqueue_fail(struct qqueue *q)
{
	q->failed = 1;
}

int
qqueue_close(struct qqueue *q)
{
	int status, code, signo;

	if (q->pid == -1)
		return QQUEUE_CRASHED;
	qqueue_switch(q);
	if (q->envfd != -1) {
		if (!q->failed && (iobuf_write(&q->out, "", 1) == -1 ||
					 iobuf_flush(&q->out) == -1))
			q->failed = 1;
		if (close(q->envfd) == -1)
			q->failed = 1;
		q->envfd = -1;
	}
	if (proc_wait(q->pid, &status) == -1) {
		q->pid = -1;
		return QQUEUE_CRASHED;
	}
	q->pid = -1;
	if (q->refused != 0)
		return q->refused;
	if (proc_status_exited(status, &code)) {
		if (code == 0 && q->failed)
			return QQ_READ;
		return code;
	}
	if (proc_status_signaled(status, &signo, NULL))
		return QQUEUE_CRASHED;
	return QQUEUE_CRASHED;
}

int
qqueue_permanent(int code)
{
	return QQ_IS_PERMANENT(code);
}

const char *
qqueue_strerror(int code)
{
	switch (code) {
	case QQ_OK:
		return "";
	case QQ_ADDR_TOO_LONG:
		return "Denvelope address too long for qq (#5.1.3)";
	case QQ_ADDR_BAD:
		return "Denvelope address contains CR or LF (#5.1.3)";
	case QQ_PERM_REFUSED:
		return "Dmail server permanently rejected message (#5.3.0)";
	case QQ_NOMEM:
		return "Zqq out of memory (#4.3.0)";
	case QQ_TIMEOUT:
		return "Ztimeout in qq (#4.3.0)";
	case QQ_WRITE:
		return "Zqq write error or disk full (#4.3.0)";
	case QQ_READ:
		return "Zqq read error (#4.3.0)";
	case QQ_CONFIG:
		return "Zqq unable to read configuration (#4.3.0)";
	case QQ_NETWORK:
		return "Zqq trouble making network connection (#4.3.0)";
	case QQ_HOME:
		return "Zqq trouble in home directory (#4.3.0)";
	case QQ_QUEUE_DIR:
	case QQ_PID_DIR:
	case QQ_MESS_DIR:
	case QQ_INTD_DIR:
	case QQ_TODO_DIR:
		return "Zqq trouble creating files in queue (#4.3.0)";
	case QQ_TEMP_REFUSED:
		return "Zmail server temporarily rejected message (#4.3.0)";
	case QQ_CONN_TIMEOUT:
		return "Zconnection to mail server timed out (#4.4.1)";
	case QQ_CONN_REJECTED:
		return "Zconnection to mail server rejected (#4.4.1)";
	case QQ_COMM_FAILED:
		return "Zcommunication with mail server failed (#4.4.2)";
	case QQ_ENVELOPE:
	case QQ_BUG:
		return "Zqq internal bug (#4.3.0)";
	case QQUEUE_EXEC_FAILED:
		return "Zunable to exec qq (#4.3.0)";
	default:
		if (QQ_IS_PERMANENT(code))
			return "Dqq permanent problem (#5.3.0)";
		return "Zqq temporary problem (#4.3.0)";
	}
}
