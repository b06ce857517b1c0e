/*
 * qmail-qmqpd - receive one message via QMQP and hand it to qmail-queue.
 *
 * The client is on descriptors 0 and 1 (tcpserver puts it there and
 * describes it in the TCP* environment).  A QMQP request is one
 * netstring holding the message netstring, the sender netstring and one
 * or more recipient netstrings; the answer is one netstring whose first
 * byte is K (queued), Z (temporary failure) or D (permanent failure).
 * QMQP relays for anybody: tcpserver's rules must admit only trusted
 * clients (qmail-qmqpd(8)).
 *
 * Nothing the client sends is trusted: the message is streamed to
 * qmail-queue, never held; every length is checked against what is left
 * of the request before a byte of it is read; lengths are decimal with
 * no leading zeros and must fit the limits below; the whole connection
 * may take at most an hour.  A malformed request drops the connection
 * (exit 100) without queueing anything.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bytes.h"
#include "conf.h"
#include "exitcodes.h"
#include "iobuf.h"
#include "netstring.h"
#include "qqueue.h"
#include "received.h"
#include "sig.h"

/* The largest request accepted: qmail's limit on a length (a longer one
 * is a temporary failure, as in qmail). */
#define QMQPD_REQUEST_MAX ((size_t)2000000000)

/* Addresses of 1000 bytes or more are refused, as in qmail. */
#define QMQPD_ADDR_MAX 999

/* The whole connection may take this long (seconds), as in qmail. */
#define QMQPD_DEADLINE 3600

/* How qmail-qmqpd ends: 0 after answering or when the client goes away,
 * 100 for a malformed request, 111 for a local problem or the deadline. */
#define QMQPD_EXIT_DONE 0
#define QMQPD_EXIT_BADPROTO 100
#define QMQPD_EXIT_RESOURCES 111

#define QMQPD_REFUSED "Dsorry, I can't accept addresses like that (#5.1.3)"

struct qmqpd {
	struct iobuf in;
	struct iobuf out;
	char inspace[16384];
	char outspace[1024];
	size_t left;  /* bytes of the request not read yet */
	struct qqueue qq;
	struct bytes addr;
	int flagok;   /* every address so far is acceptable */
	int have_from;
};

static struct qmqpd qmqpd;

static void
qmqpd_deadline(int signo)
{
	(void)signo;
	_exit(QMQPD_EXIT_RESOURCES);
}

/* qmqpd_input_failed - the client went away, stalled or sent garbage */
static _Noreturn void
qmqpd_input_failed(void)
{
	if (errno == EINVAL || errno == E2BIG || errno == ERANGE)
		_exit(QMQPD_EXIT_BADPROTO);
	_exit(QMQPD_EXIT_DONE);
}

/* qmqpd_take - count n more bytes of the request; past its end the
 * request is malformed */
static void
qmqpd_take(struct qmqpd *s, size_t n)
{
	if (n > s->left)
		_exit(QMQPD_EXIT_BADPROTO);
	s->left -= n;
}

/*
 * qmqpd_length - the length of the next netstring inside the request;
 * its header, data and comma must fit in what is left.  The header is
 * counted, the data and comma are left to the caller.
 */
static size_t
qmqpd_length(struct qmqpd *s)
{
	size_t len, used;

	if (netstring_read_length(&s->in, s->left, &len, &used) == -1)
		qmqpd_input_failed();
	qmqpd_take(s, used);
	if (len >= s->left) /* the comma must fit too */
		_exit(QMQPD_EXIT_BADPROTO);
	return len;
}

static void
qmqpd_comma(struct qmqpd *s)
{
	qmqpd_take(s, 1);
	if (netstring_read_comma(&s->in) == -1)
		qmqpd_input_failed();
}

/* qmqpd_message - stream the message netstring's data to qmail-queue */
static void
qmqpd_message(struct qmqpd *s, size_t len)
{
	ssize_t got;
	size_t n;

	qmqpd_take(s, len);
	while (len > 0) {
		got = iobuf_fill(&s->in);
		if (got <= 0)
			_exit(QMQPD_EXIT_DONE);
		n = (size_t)got < len ? (size_t)got : len;
		qqueue_put(&s->qq, iobuf_peek(&s->in), n);
		iobuf_skip(&s->in, n);
		len -= n;
	}
}

/*
 * qmqpd_address - the next address netstring into s->addr as a C
 * string; returns 1, or 0 when it is unacceptable (too long, or holding
 * a NUL, CR or LF byte: a line break would let the address forge header
 * lines wherever it is written into one), having read it all the same.
 */
static int
qmqpd_address(struct qmqpd *s)
{
	size_t len = qmqpd_length(s);

	qmqpd_take(s, len);
	if (len > QMQPD_ADDR_MAX) {
		if (netstring_skip(&s->in, len) == -1)
			qmqpd_input_failed();
		qmqpd_comma(s);
		return 0;
	}
	if (netstring_read_data(&s->in, len, &s->addr) == -1) {
		if (errno == ENOMEM)
			_exit(QMQPD_EXIT_RESOURCES);
		qmqpd_input_failed();
	}
	qmqpd_comma(s);
	if (bytes_cstr(&s->addr) == NULL)
		_exit(QMQPD_EXIT_RESOURCES);
	return memchr(s->addr.s, '\0', s->addr.len) == NULL &&
	    memchr(s->addr.s, '\r', s->addr.len) == NULL &&
	    memchr(s->addr.s, '\n', s->addr.len) == NULL;
}

/* qmqpd_received - qmail-qmqpd's Received field, from the TCP* variables */
static void
qmqpd_received(struct qmqpd *s)
{
	struct bytes b = BYTES_INIT(65536);
	struct received_peer peer;

	received_peer_getenv(&peer);
	if (received_append(&b, "QMQP", peer.local, peer.remoteip,
		peer.remotehost, peer.remoteinfo, NULL, time(NULL)) == -1)
		_exit(QMQPD_EXIT_RESOURCES);
	qqueue_put(&s->qq, b.s, b.len);
	bytes_free(&b);
}

/* qmqpd_answer - the response netstring; then we are done */
static _Noreturn void
qmqpd_answer(struct qmqpd *s, const char *text)
{
	char head[NETSTRING_HEADER_MAX];

	netstring_header(head, strlen(text));
	if (iobuf_puts(&s->out, head) == -1 || iobuf_puts(&s->out, text) == -1 ||
	    iobuf_puts(&s->out, ",") == -1 || iobuf_flush(&s->out) == -1)
		_exit(QMQPD_EXIT_DONE);
	_exit(QMQPD_EXIT_DONE);
}

int
main(void)
{
	struct qmqpd *s = &qmqpd;
	struct bytes ok = BYTES_INIT(128);
	size_t len;
	pid_t qp;
	int code;

	sig_ignore(SIGPIPE);
	sig_catch(SIGALRM, qmqpd_deadline);
	alarm(QMQPD_DEADLINE);
	iobuf_init(&s->in, 0, s->inspace, sizeof(s->inspace), -1);
	iobuf_init(&s->out, 1, s->outspace, sizeof(s->outspace), -1);
	bytes_init(&s->addr, QMQPD_ADDR_MAX + 2);

	/* the request: a netstring of netstrings */
	if (netstring_read_length(&s->in, QMQPD_REQUEST_MAX, &s->left, NULL) ==
	    -1) {
		if (errno == E2BIG || errno == ERANGE)
			_exit(QMQPD_EXIT_RESOURCES); /* as qmail */
		qmqpd_input_failed();
	}
	len = qmqpd_length(s);

	if (chdir(conf_qmail_home) == -1)
		_exit(QMQPD_EXIT_RESOURCES);
	if (qqueue_open(&s->qq, NULL) == -1)
		_exit(QMQPD_EXIT_RESOURCES);
	qp = s->qq.pid;
	qmqpd_received(s);
	qmqpd_message(s, len);
	qmqpd_comma(s);

	s->flagok = qmqpd_address(s);
	if (s->flagok)
		qqueue_from(&s->qq, s->addr.s);
	else
		qqueue_fail(&s->qq);
	while (s->left > 0) {
		if (qmqpd_address(s)) {
			qqueue_to(&s->qq, s->addr.s);
		} else if (s->flagok) {
			s->flagok = 0;
			qqueue_fail(&s->qq);
		}
	}
	/* the comma that ends the request */
	s->left = 1;
	qmqpd_comma(s);

	code = qqueue_close(&s->qq);
	if (!s->flagok)
		qmqpd_answer(s, QMQPD_REFUSED);
	if (code != 0)
		qmqpd_answer(s, qqueue_strerror(code));
	/* "Kok TIME qp PID", as qmail */
	if (bytes_append_str(&ok, "Kok ") == -1 ||
	    bytes_append_ulong(&ok, (unsigned long long)time(NULL)) == -1 ||
	    bytes_append_str(&ok, " qp ") == -1 ||
	    bytes_append_ulong(&ok, (unsigned long long)qp) == -1 ||
	    bytes_cstr(&ok) == NULL)
		_exit(QMQPD_EXIT_RESOURCES);
	qmqpd_answer(s, ok.s);
}
