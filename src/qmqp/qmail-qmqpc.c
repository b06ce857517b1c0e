/*
 * qmail-qmqpc - queue a message on a QMQP server instead of locally.
 *
 * The interface is qmail-queue's (qmail-queue(8)): the message on
 * descriptor 0, then the envelope on descriptor 1 (an F record, T
 * records, an empty record), and the exit code says what happened.  So
 * qmail-qmqpc can stand in for qmail-queue (QMAILQUEUE, or a link in a
 * mini-qmail installation, where control/qmqpservers names the hub).
 *
 * The message is read to its end first (QMQP declares its length up
 * front): a regular file on descriptor 0 is used where it is, anything
 * else is copied to an unnamed temporary file in /tmp, so memory stays
 * small whatever the size.  The envelope is held in memory under
 * qmail-queue's limits.  Then the servers of control/qmqpservers are
 * tried in order, each on port 628, until one takes the connection; the
 * first that does gives the answer.
 *
 * Exit codes (qmail-queue's, as qmail's qmail-qmqpc uses them):
 *   0 the server said K; 31 it said D; 71 it said Z;
 *   72 the last server tried timed out connecting, 73 refused it;
 *   74 talking to the server failed (timeout, dropped, a bad answer);
 *   11 an address too long; 12 an address holding CR or LF;
 *   31 an envelope too long;
 *   51 out of memory; 53 the temporary file could not be written;
 *   54 reading the message or the envelope failed;
 *   55 control/qmqpservers missing, unreadable or naming no address;
 *   56 no socket; 61 no qmail home; 91 a malformed envelope.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bytes.h"
#include "conf.h"
#include "control.h"
#include "exitcodes.h"
#include "iobuf.h"
#include "netconn.h"
#include "netstring.h"
#include "qqueue.h"
#include "sig.h"

#define QMQPC_PORT 628
/* Timeouts, as in qmail: connecting, and each wait for the server. */
#define QMQPC_CONNECT_TIMEOUT 10
#define QMQPC_DATA_TIMEOUT 60
/* qmail-queue's limits: an address (1002 bytes without its letter and
 * NUL), the whole envelope. */
#define QMQPC_ADDR_MAX QQUEUE_ADDR_MAX
#define QMQPC_ENVELOPE_MAX ((size_t)64 * 1024 * 1024)
/* The longest answer we read; a longer one is a communication failure. */
#define QMQPC_ANSWER_MAX 4096

struct qmqpc {
	int msgfd;       /* the message: fd 0 or the temporary file */
	off_t msgstart;  /* where it starts in msgfd */
	size_t msglen;
	struct bytes after; /* ",", the sender and recipient netstrings */
	char space[16384];
};

static struct qmqpc qmqpc;

/* qmqpc_tmpfile - an unnamed file for the message copy, or -1 */
static int
qmqpc_tmpfile(void)
{
	char name[] = "/tmp/qmail-qmqpc.XXXXXX";
	int fd;

	fd = open("/tmp", O_TMPFILE | O_RDWR | O_EXCL | O_CLOEXEC, 0600);
	if (fd != -1)
		return fd;
	fd = mkostemp(name, O_CLOEXEC);
	if (fd == -1)
		return -1;
	if (unlink(name) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

/* qmqpc_message - find or make a seekable copy of the message */
static void
qmqpc_message(struct qmqpc *s)
{
	struct stat st;
	unsigned long long total = 0;
	ssize_t n, w, off;
	off_t here;

	if (fstat(0, &st) == 0 && S_ISREG(st.st_mode) &&
	    (here = lseek(0, 0, SEEK_CUR)) != -1) {
		s->msgfd = 0;
		s->msgstart = here;
		if (st.st_size < here)
			st.st_size = here;
		if ((unsigned long long)(st.st_size - here) > (size_t)-1 / 2)
			_exit(QQ_PERM_REFUSED);
		s->msglen = (size_t)(st.st_size - here);
		return;
	}
	s->msgfd = qmqpc_tmpfile();
	if (s->msgfd == -1)
		_exit(QQ_WRITE);
	s->msgstart = 0;
	for (;;) {
		n = read(0, s->space, sizeof(s->space));
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			_exit(QQ_READ);
		if (n == 0)
			break;
		for (off = 0; off < n; off += w) {
			w = write(s->msgfd, s->space + off, (size_t)(n - off));
			if (w == -1 && errno == EINTR)
				w = 0;
			else if (w <= 0)
				_exit(QQ_WRITE);
		}
		total += (unsigned long long)n;
		if (total > (size_t)-1 / 2)
			_exit(QQ_PERM_REFUSED);
	}
	s->msglen = (size_t)total;
}

/*
 * qmqpc_envelope - read the envelope from fd 1 into s->after as the
 * netstrings that follow the message: ",", sender, recipients.
 */
static void
qmqpc_envelope(struct qmqpc *s)
{
	/* letter, address, NUL, and one byte to see a longer address */
	struct bytes line = BYTES_INIT(QMQPC_ADDR_MAX + 4);
	struct iobuf in;
	int first = 1, r;

	iobuf_init(&in, 1, s->space, sizeof(s->space), -1);
	bytes_init(&s->after, QMQPC_ENVELOPE_MAX);
	if (bytes_append_char(&s->after, ',') == -1)
		_exit(QQ_NOMEM);
	for (;;) {
		bytes_truncate(&line, 0);
		r = iobuf_getline(&in, &line, '\0');
		if (r == -1) {
			if (errno == E2BIG)
				_exit(QQ_ADDR_TOO_LONG);
			_exit(errno == ENOMEM ? QQ_NOMEM : QQ_READ);
		}
		if (r == 0)
			_exit(QQ_ENVELOPE); /* ends without the empty record */
		if (!first && line.len < 2)
			break; /* the empty record */
		if (line.len < 2 || line.s[0] != (first ? 'F' : 'T'))
			_exit(QQ_ENVELOPE);
		if (line.len - 2 > QMQPC_ADDR_MAX)
			_exit(QQ_ADDR_TOO_LONG);
		if (memchr(line.s, '\r', line.len) != NULL ||
		    memchr(line.s, '\n', line.len) != NULL)
			_exit(QQ_ADDR_BAD);
		if (netstring_append(&s->after, line.s + 1, line.len - 2) ==
		    -1) {
			if (errno == ENOMEM)
				_exit(QQ_NOMEM);
			_exit(QQ_PERM_REFUSED); /* over the envelope limit */
		}
		first = 0;
	}
	bytes_free(&line);
}

/* qmqpc_send - the whole request to the server on out; exits on failure */
static void
qmqpc_send(struct qmqpc *s, struct iobuf *out)
{
	char head[NETSTRING_HEADER_MAX], msghead[NETSTRING_HEADER_MAX];
	char buf[16384];
	size_t mh, total, left;
	off_t at;
	ssize_t n;

	mh = netstring_header(msghead, s->msglen);
	if (__builtin_add_overflow(mh, s->msglen, &total) ||
	    __builtin_add_overflow(total, s->after.len, &total))
		_exit(QQ_PERM_REFUSED);
	netstring_header(head, total);
	if (iobuf_puts(out, head) == -1 || iobuf_write(out, msghead, mh) == -1)
		_exit(QQ_COMM_FAILED);
	at = s->msgstart;
	for (left = s->msglen; left > 0; left -= (size_t)n) {
		n = pread(s->msgfd, buf, left < sizeof(buf) ? left : sizeof(buf),
		    at);
		if (n == -1 && errno == EINTR) {
			n = 0;
			continue;
		}
		if (n <= 0)
			_exit(QQ_READ); /* the file shrank under us */
		if (iobuf_write(out, buf, (size_t)n) == -1)
			_exit(QQ_COMM_FAILED);
		at += n;
	}
	if (iobuf_write(out, s->after.s, s->after.len) == -1 ||
	    iobuf_puts(out, ",") == -1 || iobuf_flush(out) == -1)
		_exit(QQ_COMM_FAILED);
}

/* qmqpc_answer - read the server's answer and exit accordingly */
static _Noreturn void
qmqpc_answer(int fd)
{
	struct bytes answer = BYTES_INIT(QMQPC_ANSWER_MAX + 1);
	char space[1024];
	struct iobuf in;

	iobuf_init(&in, fd, space, sizeof(space), QMQPC_DATA_TIMEOUT * 1000);
	if (netstring_read(&in, QMQPC_ANSWER_MAX, &answer) == -1 ||
	    answer.len == 0)
		_exit(QQ_COMM_FAILED);
	switch (answer.s[0]) {
	case 'K':
		_exit(QQ_OK);
	case 'Z':
		_exit(QQ_TEMP_REFUSED);
	case 'D':
		_exit(QQ_PERM_REFUSED);
	default:
		_exit(QQ_COMM_FAILED);
	}
}

/*
 * qmqpc_server_parse - the address at the start of a qmqpservers line
 * (up to a space, a tab or a '#'); 1 with *family and ip set, else 0.
 */
static int
qmqpc_server_parse(const char *line, int *family, unsigned char *ip)
{
	char text[64];
	size_t n = strcspn(line, " \t#");

	if (n == 0 || n >= sizeof(text))
		return 0;
	memcpy(text, line, n);
	text[n] = '\0';
	if (inet_pton(AF_INET, text, ip) == 1) {
		*family = AF_INET;
		return 1;
	}
	if (inet_pton(AF_INET6, text, ip) == 1) {
		*family = AF_INET6;
		return 1;
	}
	return 0;
}

int
main(void)
{
	struct qmqpc *s = &qmqpc;
	struct bytes servers = BYTES_INIT(CONTROL_LIST_BYTES);
	struct control_iter it;
	unsigned char ip[16];
	struct iobuf out;
	const char *line;
	size_t len;
	int lasterror = QQ_CONFIG;
	int family, fd;

	sig_ignore(SIGPIPE);
	if (chdir(conf_qmail_home) == -1)
		_exit(QQ_HOME);
	if (control_readlines(&servers, "control/qmqpservers") != 1)
		_exit(QQ_CONFIG);

	qmqpc_message(s);
	qmqpc_envelope(s);

	control_iter_start(&it, &servers);
	while (control_iter_next(&it, &line, &len)) {
		if (!qmqpc_server_parse(line, &family, ip))
			continue;
		fd = netconn_socket(family);
		if (fd == -1) {
			if (errno == EAFNOSUPPORT)
				continue; /* no IPv6 here: try the next */
			_exit(QQ_NETWORK);
		}
		if (netconn_connect(fd, family, ip, QMQPC_PORT,
			QMQPC_CONNECT_TIMEOUT * 1000) == -1) {
			lasterror = errno == ETIMEDOUT ? QQ_CONN_TIMEOUT
						       : QQ_CONN_REJECTED;
			close(fd);
			continue;
		}
		iobuf_init(&out, fd, s->space, sizeof(s->space),
		    QMQPC_DATA_TIMEOUT * 1000);
		qmqpc_send(s, &out);
		qmqpc_answer(fd);
	}
	_exit(lasterror);
}
