/*
 * qmail-remote - send one message to one remote host over SMTP.
 *
 *	qmail-remote host sender recip [recip ...]
 *
 * The message is on descriptor 0.  The result goes to descriptor 1 in the
 * protocol of qmail-remote(8) that qmail-rspawn reads: one report per
 * recipient, in argument order ("r" accepted, "h" refused for good, "s"
 * refused for now), then one report for the message ("K" delivered, "Z"
 * try again later, "D" give up), each a letter, human-readable text and a
 * NUL byte.  Failure cases may stop before every recipient has a report.
 * qmail-remote always exits 0: the reports are the answer.
 *
 * Routing: control/smtproutes first (its relay is used as the only MX,
 * with an optional port), else the MX records of host (sorted by
 * preference, shuffled within one), else its own addresses.  Addresses
 * of this machine, and every MX at or after the best preference that
 * points at this machine, are never tried (qmail's "ipme" rule), so a
 * misconfigured MX can never make us deliver to ourselves.
 *
 * The SMTP dialogue speaks EHLO (HELO if EHLO is refused), uses SIZE,
 * 8BITMIME and PIPELINING when the server offers them, and reads every
 * reply into bounded space (smtpreply.h): a reply line over
 * SMTPREPLY_LINE_MAX, a reply of more than SMTPREPLY_LINES_MAX lines, or
 * a line that is not SMTP ends the attempt with a temporary failure; a server that stops talking runs
 * into timeoutremote.
 *
 * TLS (RFC 3207), off unless control/tlsclient says 1 or a CA file
 * control/tlshosts/HOST.pem names the host: after the server's 220 to
 * STARTTLS, qmail-remote runs QMAILHOME/bin/qmail-tlsc with the TCP
 * socket on its descriptors 6 and 7 and one end of a socket pair on 0
 * and 1, reads qmail-tlsc's status line from the pair, and from then on
 * speaks SMTP over the pair.  qmail-remote itself never links OpenSSL
 * (DESIGN.md section 6).  A TLS failure (required but not offered or
 * refused, a failed handshake or verification) ends the attempt with
 * that host, as a bad greeting does: the next address is tried.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bytes.h"
#include "conf.h"
#include "control.h"
#include "dns.h"
#include "domainmap.h"
#include "exitcodes.h"
#include "fmt.h"
#include "iobuf.h"
#include "ipme.h"
#include "netconn.h"
#include "proc.h"
#include "quote.h"
#include "smtpreply.h"
#include "tcpto.h"

#define PORT_SMTP 25

/* The reply limits (line, lines, text kept) are smtpreply.h's. */
/* Most bytes in one address on the command line. */
#define ADDR_MAX 4096
/* Commands sent in one go when the server offers PIPELINING. */
#define PIPE_BATCH 100
/* Upper bound on a timeout, so seconds * 1000 fits an int. */
#define TIMEOUT_MAX 86400UL

#define TCPTO_PATH "queue/lock/tcpto"

/* The TLS client (qmail-tlsc(8)), relative to the qmail home. */
#define TLSC_PROGRAM "bin/qmail-tlsc"
#define TLSHOSTS_DIR "control/tlshosts/"
/* Longest host name used for TLS (longer: as if it had none). */
#define TLS_NAME_MAX 253
/* Longest status line qmail-tlsc writes, with room to spare. */
#define TLSC_STATUS_MAX 512
/* How much longer than timeoutremote qmail-tlsc gets for its handshake
 * report, so that its own "timed out" arrives first. */
#define TLSC_STATUS_GRACE 10

/* What ended an attempt with one address (smtp_session). */
enum session_end {
	SESSION_GREETING,	/* the greeting was not 220 */
	SESSION_TLS		/* TLS was required or begun, and failed */
};

/* The whole state of one run. */
struct remote {
	struct iobuf out;	/* the reports, on fd 1 */
	struct iobuf msg;	/* the message, on fd 0 */
	struct iobuf to;	/* to the server */
	struct iobuf from;	/* from the server */
	int smtpfd;
	struct dns_addr partner;
	char partner_text[DNS_ADDR_TEXT];
	int critical;		/* the final dot is sent: a loss may duplicate */

	struct bytes helohost;
	unsigned long timeout;
	unsigned long timeoutconnect;
	unsigned long port;

	const char *host;	/* what we deliver to: host or the relay */
	int relayed;		/* host came from smtproutes */
	struct bytes sender;	/* quoted, ready for MAIL FROM:<...> */
	struct bytes *recip;	/* quoted recipients */
	int *recip_bad;		/* 1: cannot be sent (CR, LF, too long) */
	size_t nrecip;
	int all_aliases;

	/* the last reply */
	unsigned int code;
	struct bytes text;

	/* what the server offers */
	int esmtp, offer_size, offer_8bit, offer_pipe, offer_tls;

	/* TLS */
	int tlsclient;		/* control/tlsclient: 1 opportunistic */
	char tlsname[TLS_NAME_MAX + 1]; /* the server's name, "" if none */
	int tls;		/* the session runs through qmail-tlsc */
	char tls_desc[128];	/* "TLSv1.3 TLS_AES_256_GCM_SHA384" */
	pid_t tlsc;		/* qmail-tlsc, while it runs */
	struct bytes tlsfail;	/* the report text of the last TLS failure */

	/* the message, if fd 0 can be scanned beforehand */
	int scanned;
	unsigned long long smtp_size;
	int eightbit;
};

static struct remote rm;

static char out_space[1024];
static char msg_space[8192];
static char to_space[8192];
static char from_space[4096];

/* --- reports -------------------------------------------------------- */

static void
out(const char *s)
{
	if (iobuf_puts(&rm.out, s) < 0)
		_exit(EXIT_OK);
}

static void
out_bytes(const char *s, size_t n)
{
	if (iobuf_write(&rm.out, s, n) < 0)
		_exit(EXIT_OK);
}

/* out_end - end the current report with its NUL */
static void
out_end(void)
{
	out_bytes("", 1);
}

/* out_end_exit - end the message report and stop: always exit 0 */
static _Noreturn void
out_end_exit(void)
{
	out_end();
	(void)iobuf_flush(&rm.out);
	_exit(EXIT_OK);
}

/* out_safe - s with every byte that is not printable ASCII as '?' */
static void
out_safe(const char *s)
{
	char c;

	for (; *s; s++) {
		c = *s;
		if (c < 33 || c > 126)
			c = '?';
		out_bytes(&c, 1);
	}
}

/* out_smtptext - "Remote host said: " and the last reply, if any */
static void
out_smtptext(void)
{
	size_t i;

	if (rm.text.len == 0)
		return;
	out("Remote host said: ");
	for (i = 0; i < rm.text.len; i++) {
		unsigned char c = (unsigned char)rm.text.s[i];
		if ((c < 32 && c != '\n' && c != '\t') || c == 127)
			rm.text.s[i] = '?';
	}
	out_bytes(rm.text.s, rm.text.len);
	rm.text.len = 0;
}

static _Noreturn void
temp(const char *report)
{
	out(report);
	out_end_exit();
}

static _Noreturn void
temp_nomem(void)
{
	temp("ZOut of memory. (#4.3.0)\n");
}

static _Noreturn void
temp_control(void)
{
	temp("ZUnable to read control files. (#4.3.0)\n");
}

/* --- the connection ------------------------------------------------- */

static void tlsc_finish(void);

/* quit_fast - say QUIT without waiting for the answer, and close */
static void
quit_fast(void)
{
	if (rm.smtpfd < 0)
		return;
	rm.to.timeout_ms = 1000;
	(void)iobuf_puts(&rm.to, "QUIT\r\n");
	(void)iobuf_flush(&rm.to);
	close(rm.smtpfd);
	rm.smtpfd = -1;
	tlsc_finish();
}

/* dropped - the connection failed under us */
static _Noreturn void
dropped(void)
{
	if (rm.smtpfd >= 0)
		close(rm.smtpfd);
	rm.smtpfd = -1;
	out("ZConnected to ");
	out(rm.partner_text);
	out(" but connection died. ");
	if (rm.critical)
		out("Possible duplicate! ");
	out("(#4.4.2)\n");
	out_end_exit();
}

/* protocol_error - the server's reply was not SMTP we can read */
static _Noreturn void
protocol_error(const char *what)
{
	int critical = rm.critical;

	quit_fast();
	out("ZConnected to ");
	out(rm.partner_text);
	out(" but ");
	out(what);
	out(". ");
	if (critical)
		out("Possible duplicate! ");
	out("(#4.5.0)\n");
	out_end_exit();
}

/* quit - QUIT, then the report "<prepend>IP<append>." and the reply text */
static _Noreturn void
quit(const char *prepend, const char *append)
{
	quit_fast();
	out(prepend);
	out(rm.partner_text);
	out(append);
	out(".\n");
	out_smtptext();
	out_end_exit();
}

static void
smtp_put(const char *s, size_t n)
{
	if (iobuf_write(&rm.to, s, n) < 0)
		dropped();
}

static void
smtp_puts(const char *s)
{
	smtp_put(s, strlen(s));
}

static void
smtp_flush(void)
{
	if (iobuf_flush(&rm.to) < 0)
		dropped();
}

/* offers_starttls - 1 if the EHLO reply line s[0..len) is "250?STARTTLS" */
static int
offers_starttls(const char *s, size_t len)
{
	while (len > 0 && (s[len - 1] == '\n' || s[len - 1] == '\r' ||
	    s[len - 1] == ' '))
		len--;
	return len == 12 && strncasecmp(s + 4, "STARTTLS", 8) == 0;
}

/*
 * smtp_reply - read one whole reply: its code in rm.code, its text
 * (without CRs, at most SMTPREPLY_TEXT_MAX - 1 bytes) in rm.text.  The
 * extension keywords of an EHLO reply are noted when ehlo is set.
 */
static unsigned int
smtp_reply(int ehlo)
{
	static struct bytes line = BYTES_INIT(SMTPREPLY_LINE_MAX);
	static struct smtpreply rp;
	static int rp_ready;
	int r;

	if (!rp_ready) {
		smtpreply_init(&rp);
		rp_ready = 1;
	}
	rp.offers = 0;
	smtpreply_start(&rp, ehlo);
	bytes_truncate(&rm.text, 0);
	do {
		bytes_truncate(&line, 0);
		r = iobuf_getline(&rm.from, &line, '\n');
		if (r < 0 && errno == E2BIG)
			protocol_error("sent an overlong reply line");
		if (r <= 0)
			dropped();
		r = smtpreply_line(&rp, line.s, line.len);
		if (ehlo && rp.lines > 1 && (r == SMTPREPLY_MORE ||
		    r == SMTPREPLY_DONE) && offers_starttls(line.s, line.len))
			rm.offer_tls = 1;
		if (r == SMTPREPLY_TOOMANY)
			protocol_error("sent a reply that never ends");
		if (r == SMTPREPLY_MALFORMED)
			protocol_error("sent a malformed reply");
		if (r == -1)
			temp_nomem();
	} while (r == SMTPREPLY_MORE);
	if (rp.offers & SMTPREPLY_OFFER_PIPELINING)
		rm.offer_pipe = 1;
	if (rp.offers & SMTPREPLY_OFFER_8BITMIME)
		rm.offer_8bit = 1;
	if (rp.offers & SMTPREPLY_OFFER_SIZE)
		rm.offer_size = 1;
	if (bytes_copy(&rm.text, rp.text.s, rp.text.len) == -1)
		temp_nomem();
	rm.code = (unsigned int)rp.code;
	return rm.code;
}

/* --- the message ---------------------------------------------------- */

/*
 * message_scan - when fd 0 is a file: its SMTP size (each LF becomes CRLF,
 * each leading dot doubled) and whether it holds 8-bit bytes; then rewind.
 */
static void
message_scan(void)
{
	char buf[8192];
	unsigned long long size = 0;
	int bol = 1;
	ssize_t r, i;

	if (lseek(0, 0, SEEK_SET) != 0)
		return;
	for (;;) {
		r = read(0, buf, sizeof(buf));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			temp("ZUnable to read message. (#4.3.0)\n");
		if (r == 0)
			break;
		for (i = 0; i < r; i++) {
			size++;
			if (bol && buf[i] == '.')
				size++;
			if (buf[i] == '\n')
				size++;
			if ((unsigned char)buf[i] >= 128)
				rm.eightbit = 1;
			bol = buf[i] == '\n';
		}
	}
	if (lseek(0, 0, SEEK_SET) != 0)
		temp("ZUnable to read message. (#4.3.0)\n");
	rm.smtp_size = size + 3;
	rm.scanned = 1;
}

/*
 * blast - the message, with CRLF line ends and dot-stuffing, then the
 * final dot.  A CR right before an LF in the stored message is part of
 * the line end, not doubled.
 */
static void
blast(void)
{
	int bol = 1, pending_cr = 0;
	ssize_t r;

	for (;;) {
		r = iobuf_fill(&rm.msg);
		if (r < 0)
			temp("ZUnable to read message. (#4.3.0)\n");
		if (r == 0)
			break;
		const char *p = iobuf_peek(&rm.msg);
		for (ssize_t i = 0; i < r; i++) {
			char c = p[i];
			if (c == '\n') {
				smtp_put("\r\n", 2);
				pending_cr = 0;
				bol = 1;
				continue;
			}
			if (pending_cr)
				smtp_put("\r", 1);
			pending_cr = 0;
			if (bol && c == '.')
				smtp_put(".", 1);
			bol = 0;
			if (c == '\r')
				pending_cr = 1;
			else
				smtp_put(&c, 1);
		}
		iobuf_skip(&rm.msg, (size_t)r);
	}
	if (!bol) {
		quit_fast();
		temp("DSMTP cannot transfer messages with partial final lines."
		     " (#5.6.2)\n");
	}
	rm.critical = 1;
	smtp_put(".\r\n", 3);
	smtp_flush();
}

/* --- the SMTP dialogue ---------------------------------------------- */

static void
smtp_mail_cmd(void)
{
	char num[FMT_ULONG];

	smtp_puts("MAIL FROM:<");
	smtp_put(rm.sender.s, rm.sender.len);
	smtp_puts(">");
	if (rm.scanned && rm.offer_size) {
		fmt_ulong(num, rm.smtp_size);
		smtp_puts(" SIZE=");
		smtp_puts(num);
	}
	if (rm.scanned && rm.offer_8bit && rm.eightbit)
		smtp_puts(" BODY=8BITMIME");
	smtp_puts("\r\n");
}

static void
smtp_rcpt_cmd(size_t i)
{
	smtp_puts("RCPT TO:<");
	smtp_put(rm.recip[i].s, rm.recip[i].len);
	smtp_puts(">\r\n");
}

static void
mail_reply_check(void)
{
	if (rm.code >= 500)
		quit("DConnected to ", " but sender was rejected");
	if (rm.code >= 400 || rm.code / 100 != 2)
		quit("ZConnected to ", " but sender was rejected");
}

/* rcpt_report - the report for recipient i from the current reply */
static int
rcpt_report(size_t i)
{
	if (rm.recip_bad[i]) {
		out("hSorry, I cannot send that address through SMTP:"
		    " it holds a line break or is too long. (#5.1.3)\n");
		out_end();
		return 0;
	}
	if (rm.code >= 500 || rm.code / 100 == 3) {
		out("h");
		out(rm.partner_text);
		out(" does not like recipient.\n");
		out_smtptext();
		out_end();
		return 0;
	}
	if (rm.code >= 400) {
		out("s");
		out(rm.partner_text);
		out(" does not like recipient.\n");
		out_smtptext();
		out_end();
		return 0;
	}
	out("r");
	out_end();
	return 1;
}

/* data_reply_check - act on the DATA reply; returns only on 354 */
static void
data_reply_check(void)
{
	if (rm.code >= 500)
		quit("D", " failed on DATA command");
	if (rm.code >= 400 || rm.code != 354)
		quit("Z", " failed on DATA command");
}

/* smtp_envelope_plain - MAIL, RCPT..., DATA one at a time */
static int
smtp_envelope_plain(void)
{
	int accepted = 0;
	size_t i;

	smtp_mail_cmd();
	smtp_flush();
	smtp_reply(0);
	mail_reply_check();
	for (i = 0; i < rm.nrecip; i++) {
		if (!rm.recip_bad[i]) {
			smtp_rcpt_cmd(i);
			smtp_flush();
			smtp_reply(0);
		}
		accepted |= rcpt_report(i);
	}
	if (!accepted)
		quit("DGiving up on ", "");
	smtp_puts("DATA\r\n");
	smtp_flush();
	smtp_reply(0);
	data_reply_check();
	return accepted;
}

/*
 * smtp_envelope_pipelined - RFC 2920: MAIL, the RCPTs and DATA in
 * batches of at most PIPE_BATCH commands, each batch's replies read in
 * order before the next batch is sent.
 */
static int
smtp_envelope_pipelined(void)
{
	int accepted = 0, mail_done = 0;
	size_t next = 0, i, start;

	while (!mail_done || next <= rm.nrecip) {
		size_t sent = 0;
		int with_data = 0;

		if (!mail_done) {
			smtp_mail_cmd();
			sent++;
		}
		start = next;
		while (next < rm.nrecip && sent < PIPE_BATCH) {
			if (!rm.recip_bad[next]) {
				smtp_rcpt_cmd(next);
				sent++;
			}
			next++;
		}
		if (next == rm.nrecip && sent < PIPE_BATCH) {
			smtp_puts("DATA\r\n");
			with_data = 1;
		}
		smtp_flush();
		if (!mail_done) {
			smtp_reply(0);
			mail_reply_check();
			mail_done = 1;
		}
		for (i = start; i < next; i++) {
			if (!rm.recip_bad[i])
				smtp_reply(0);
			accepted |= rcpt_report(i);
		}
		if (with_data) {
			smtp_reply(0);
			if (!accepted) {
				/* a server that says 354 anyway gets an
				 * empty message it must throw away */
				if (rm.code == 354) {
					smtp_puts(".\r\n");
					smtp_flush();
				}
				/* as one at a time: the recipient reports
				 * already carry the server's words */
				bytes_truncate(&rm.text, 0);
				quit("DGiving up on ", "");
			}
			data_reply_check();
			break;
		}
	}
	return accepted;
}

/* smtp_hello - EHLO, or HELO if EHLO is refused for good */
static void
smtp_hello(void)
{
	rm.esmtp = rm.offer_size = rm.offer_8bit = rm.offer_pipe = 0;
	rm.offer_tls = 0;
	smtp_puts("EHLO ");
	smtp_put(rm.helohost.s, rm.helohost.len);
	smtp_puts("\r\n");
	smtp_flush();
	if (smtp_reply(1) == 250) {
		rm.esmtp = 1;
		return;
	}
	rm.offer_size = rm.offer_8bit = rm.offer_pipe = rm.offer_tls = 0;
	if (rm.code < 500)
		quit("ZConnected to ", " but my name was rejected");
	smtp_puts("HELO ");
	smtp_put(rm.helohost.s, rm.helohost.len);
	smtp_puts("\r\n");
	smtp_flush();
	if (smtp_reply(0) != 250)
		quit("ZConnected to ", " but my name was rejected");
}

/* --- TLS ------------------------------------------------------------ */

/*
 * tls_fail - end the attempt with this address for a TLS reason: QUIT,
 * close, and keep "Connected to IP but WHAT1WHAT2WHAT3. (#CODE)" (with
 * the server's last reply if withtext) as the report, should no other
 * address do better.  Returns -1, for tls_start to return.
 */
static int
tls_fail(const char *what, const char *what2, const char *what3,
    const char *code, int withtext)
{
	struct bytes *f = &rm.tlsfail;
	size_t i;

	bytes_truncate(f, 0);
	if (bytes_append_str(f, "Connected to ") < 0 ||
	    bytes_append_str(f, rm.partner_text) < 0 ||
	    bytes_append_str(f, " but ") < 0 ||
	    bytes_append_str(f, what) < 0 ||
	    bytes_append_str(f, what2) < 0 ||
	    bytes_append_str(f, what3) < 0 ||
	    bytes_append_str(f, ". (#") < 0 ||
	    bytes_append_str(f, code) < 0 ||
	    bytes_append_str(f, ")\n") < 0)
		temp_nomem();
	if (withtext && rm.text.len > 0) {
		if (bytes_append_str(f, "Remote host said: ") < 0 ||
		    bytes_append(f, rm.text.s, rm.text.len) < 0)
			temp_nomem();
	}
	for (i = 0; i < f->len; i++) {
		unsigned char c = (unsigned char)f->s[i];
		if ((c < 32 && c != '\n' && c != '\t') || c == 127)
			f->s[i] = '?';
	}
	quit_fast();
	return -1;
}

/*
 * tls_required - 1 if control/tlshosts/NAME.pem exists for the server's
 * name (its path in path[size]), 0 if not or the server has no usable
 * name.  A file that cannot be looked at is a temporary failure.
 */
static int
tls_required(char *path, size_t size)
{
	struct stat st;

	path[0] = '\0';
	if (rm.tlsname[0] == '\0')
		return 0;
	if (strlen(TLSHOSTS_DIR) + strlen(rm.tlsname) + 5 > size)
		return 0;
	memcpy(path, TLSHOSTS_DIR, strlen(TLSHOSTS_DIR) + 1);
	memcpy(path + strlen(path), rm.tlsname, strlen(rm.tlsname) + 1);
	memcpy(path + strlen(path), ".pem", 5);
	if (stat(path, &st) == 0)
		return 1;
	if (errno == ENOENT || errno == ENOTDIR)
		return 0;
	temp_control();
}

/* tlsc_reap - stop and reap qmail-tlsc after a failure */
static void
tlsc_reap(void)
{
	int status;

	if (rm.tlsc <= 0)
		return;
	if (proc_wait_nohang(rm.tlsc, &status) == 0) {
		(void)kill(rm.tlsc, SIGTERM);
		(void)proc_wait(rm.tlsc, &status);
	}
	rm.tlsc = 0;
}

/*
 * tlsc_finish - once the plain-text end is closed, give qmail-tlsc up to
 * a second to pass the QUIT on and close the TLS session, then reap it
 * (stopping it if it is still there), so that it never outlives us.
 */
static void
tlsc_finish(void)
{
	const struct timespec pause = {0, 10 * 1000 * 1000};
	int status, i;

	for (i = 0; i < 100 && rm.tlsc > 0; i++) {
		if (proc_wait_nohang(rm.tlsc, &status) != 0) {
			rm.tlsc = 0;
			return;
		}
		(void)nanosleep(&pause, NULL);
	}
	tlsc_reap();
}

/*
 * tlsc_start - run qmail-tlsc on the connection: returns the plain-text
 * end of the socket pair.  A qmail-tlsc that cannot be started is this
 * machine's problem, not the server's: a temporary failure at once.
 */
static int
tlsc_start(const char *cafile)
{
	struct proc_fdmap fds[5];
	struct proc_spec spec;
	const char *argv[8];
	char num[FMT_ULONG];
	int sp[2], devnull, k = 0, e;
	const char *name;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0) {
		quit_fast();
		temp("ZUnable to create a socket pair for TLS. (#4.3.0)\n");
	}
	devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (devnull < 0) {
		quit_fast();
		temp("ZUnable to open /dev/null. (#4.3.0)\n");
	}
	/* no usable name: no SNI, and nothing to verify it against */
	name = rm.tlsname[0] != '\0' ? rm.tlsname : rm.partner_text;
	fmt_ulong(num, rm.timeout);
	argv[k++] = "qmail-tlsc";
	argv[k++] = "-t";
	argv[k++] = num;
	if (cafile != NULL) {
		argv[k++] = "-c";
		argv[k++] = cafile;
	}
	argv[k++] = "--";
	argv[k++] = name;
	argv[k] = NULL;
	fds[0].child = 0;
	fds[0].parent = sp[1];
	fds[1].child = 1;
	fds[1].parent = sp[1];
	fds[2].child = 2;
	fds[2].parent = devnull;
	fds[3].child = 6;
	fds[3].parent = rm.smtpfd;
	fds[4].child = 7;
	fds[4].parent = rm.smtpfd;
	memset(&spec, 0, sizeof(spec));
	spec.program = TLSC_PROGRAM;
	spec.argv = argv;
	spec.fds = fds;
	spec.nfds = 5;
	rm.tlsc = proc_spawn(&spec);
	e = errno;
	close(sp[1]);
	close(devnull);
	if (rm.tlsc < 0) {
		rm.tlsc = 0;
		close(sp[0]);
		quit_fast();
		out("ZUnable to run qmail-tlsc for STARTTLS: ");
		out(strerror(e));
		temp(". (#4.3.0)\n");
	}
	/* the TCP connection is qmail-tlsc's now */
	close(rm.smtpfd);
	rm.smtpfd = sp[0];
	return sp[0];
}

/*
 * tls_start - STARTTLS when policy and the server's offer say so.
 * Returns 0 to go on (over TLS or, opportunistically, in plain text),
 * or -1 after a TLS failure (the connection is closed, rm.tlsfail says
 * why).
 */
static int
tls_start(void)
{
	static struct bytes status = BYTES_INIT(TLSC_STATUS_MAX);
	char path[sizeof(TLSHOSTS_DIR) + TLS_NAME_MAX + 8];
	int required, fd, ms, r;
	unsigned long grace;
	size_t i, k;

	required = tls_required(path, sizeof(path));
	if (!required && !(rm.tlsclient && rm.offer_tls))
		return 0;
	if (!rm.offer_tls)
		return tls_fail("TLS is required by ", path,
		    " and it does not offer STARTTLS", "4.7.0", 0);
	smtp_puts("STARTTLS\r\n");
	smtp_flush();
	if (smtp_reply(0) != 220) {
		/* RFC 3207: the client may go on in plain text */
		if (!required)
			return 0;
		return tls_fail("TLS is required by ", path,
		    " and it refused STARTTLS", "4.7.0", 1);
	}
	/* whatever follows the 220 in plain text may be an attacker's
	 * (CVE-2011-0411): it must not be read as the server's reply */
	if (rm.from.pos < rm.from.len)
		return tls_fail("it sent more after its reply to STARTTLS",
		    "", "", "4.7.5", 0);

	fd = tlsc_start(required ? path : NULL);
	grace = rm.timeout + TLSC_STATUS_GRACE;
	ms = (int)(rm.timeout * 1000);
	iobuf_init(&rm.to, fd, to_space, sizeof(to_space), ms);
	iobuf_init(&rm.from, fd, from_space, sizeof(from_space),
	    (int)(grace * 1000));
	bytes_truncate(&status, 0);
	r = iobuf_getline(&rm.from, &status, '\n');
	rm.from.timeout_ms = ms;
	if (r != 1 || status.len < 2 ||
	    (status.s[0] != '+' && status.s[0] != '-')) {
		tlsc_reap();
		return tls_fail("qmail-tlsc ended without a report", "", "",
		    "4.7.5", 0);
	}
	status.s[status.len - 1] = '\0'; /* the LF */
	for (i = 1; i < status.len - 1; i++)
		if (status.s[i] < 32 || status.s[i] > 126)
			status.s[i] = '?';
	if (status.s[0] == '-') {
		tlsc_reap();
		return tls_fail(status.s + 1, "", "", "4.7.5", 0);
	}
	k = status.len - 2;
	if (k >= sizeof(rm.tls_desc))
		k = sizeof(rm.tls_desc) - 1;
	memcpy(rm.tls_desc, status.s + 1, k);
	rm.tls_desc[k] = '\0';
	rm.tls = 1;
	/* RFC 3207: forget what the server said before; EHLO again */
	smtp_hello();
	return 0;
}

/*
 * smtp_session - talk to the server on rm.smtpfd.  Returns only when the
 * greeting was not 220 or TLS failed, so the caller can try the next
 * address; every other outcome ends the program with its report.
 */
static enum session_end
smtp_session(void)
{
	int ms = (int)(rm.timeout * 1000);
	char desc[sizeof(rm.tls_desc) + 32];

	iobuf_init(&rm.to, rm.smtpfd, to_space, sizeof(to_space), ms);
	iobuf_init(&rm.from, rm.smtpfd, from_space, sizeof(from_space), ms);
	rm.esmtp = rm.offer_size = rm.offer_8bit = rm.offer_pipe = 0;
	rm.offer_tls = rm.tls = 0;
	rm.critical = 0;

	if (smtp_reply(0) != 220)
		return SESSION_GREETING;

	smtp_hello();
	if (tls_start() != 0)
		return SESSION_TLS;

	if (rm.esmtp && (rm.offer_size || rm.offer_8bit))
		message_scan();

	if (rm.offer_pipe)
		smtp_envelope_pipelined();
	else
		smtp_envelope_plain();

	blast();
	smtp_reply(0);
	rm.critical = 0;
	if (rm.code >= 500)
		quit("D", " failed after I sent the message");
	if (rm.code / 100 != 2)
		quit("Z", " failed after I sent the message");
	if (!rm.tls)
		quit("K", " accepted message");
	snprintf(desc, sizeof(desc), " accepted message over TLS (%s)",
	    rm.tls_desc);
	quit("K", desc);
}

/*
 * connect_timeout - a connected socket to a:port, or -1 with errno
 * (ETIMEDOUT after timeoutconnect seconds).  The socket has TCP_NODELAY
 * (netconn.h): everything goes out through a buffer, flushed when a
 * reply is due, and without it the last piece of a message would wait
 * for the peer's delayed ACK of the piece before (40 ms on Linux).
 */
static int
connect_timeout(const struct dns_addr *a)
{
	int fd, e;

	fd = netconn_socket(a->family);
	if (fd == -1)
		return -1;
	if (netconn_connect(fd, a->family, a->ip, (unsigned int)rm.port,
		(int)(rm.timeoutconnect * 1000)) == -1) {
		e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

/* --- finding the servers --------------------------------------------- */

/*
 * target_name - the name TLS uses for the target host s (struct
 * dns_target's host: the MX host, or the host itself), or for the relay;
 * an address in text for an address (literal or bare).  Lower case, without a final dot.  "" when the name
 * holds anything but letters, digits, '.', '-', '_' (so it can never
 * climb out of control/tlshosts), starts with '.', or is too long.
 */
static void
target_name(const char *s, char *name)
{
	struct dns_addr a;
	size_t len, i;

	name[0] = '\0';
	if (dns_addr_parse(s, &a) == 0) {
		char text[DNS_ADDR_TEXT];
		dns_addr_format(&a, text);
		if (strlen(text) <= TLS_NAME_MAX)
			memcpy(name, text, strlen(text) + 1);
		return;
	}
	len = strlen(s);
	if (len > 1 && s[len - 1] == '.')
		len--;
	if (len == 0 || len > TLS_NAME_MAX || s[0] == '.')
		return;
	for (i = 0; i < len; i++) {
		char c = s[i];
		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '.' || c == '-' || c == '_')) {
			name[0] = '\0';
			return;
		}
		name[i] = c;
	}
	name[len] = '\0';
}

/* --- setting up ----------------------------------------------------- */

static void
read_controls(void)
{
	struct bytes me = BYTES_INIT(CONTROL_LINE_BYTES);
	struct bytes routes = BYTES_INIT(CONTROL_LIST_BYTES);
	struct domainmap map = DOMAINMAP_INIT;
	const char *relay = NULL;
	unsigned long u;
	size_t i;
	int r;

	rm.timeout = 1200;
	rm.timeoutconnect = 60;
	if ((r = control_readint(&u, "control/timeoutremote")) < 0)
		temp_control();
	if (r == 1)
		rm.timeout = u;
	if ((r = control_readint(&u, "control/timeoutconnect")) < 0)
		temp_control();
	if (r == 1)
		rm.timeoutconnect = u;
	if (rm.timeout == 0)
		rm.timeout = 1;
	if (rm.timeoutconnect == 0)
		rm.timeoutconnect = 1;
	if (rm.timeout > TIMEOUT_MAX)
		rm.timeout = TIMEOUT_MAX;
	if (rm.timeoutconnect > TIMEOUT_MAX)
		rm.timeoutconnect = TIMEOUT_MAX;
	if ((r = control_readint(&u, "control/tlsclient")) < 0)
		temp_control();
	rm.tlsclient = r == 1 && u > 0;

	r = control_readline(&me, "control/me");
	if (r < 0)
		temp_control();
	bytes_init(&rm.helohost, CONTROL_LINE_BYTES);
	r = control_readline_me(&rm.helohost, "control/helohost",
	    r == 1 ? &me : NULL, NULL);
	if (r != 1 || rm.helohost.len == 0)
		temp_control();
	for (i = 0; i < rm.helohost.len; i++)
		if ((unsigned char)rm.helohost.s[i] < 33 ||
		    (unsigned char)rm.helohost.s[i] == 127)
			temp_control();
	bytes_free(&me);

	r = control_readlines(&routes, "control/smtproutes");
	if (r < 0)
		temp_control();
	if (r == 1 && domainmap_load_lines(&map, &routes, 1) < 0)
		temp_nomem();
	rm.port = PORT_SMTP;
	if (r == 1 && domainmap_find_route(&map, rm.host, strlen(rm.host),
			  &relay) == 1 &&
	    relay != NULL && relay[0] != '\0') {
		/* relay is "host", "host:port", "[literal]" or "[literal]:port" */
		const char *colon;
		const char *close = relay[0] == '[' ? strchr(relay, ']') : NULL;
		char *copy;
		unsigned long long port;

		colon = strchr(close ? close : relay, ':');
		copy = strdup(relay);
		if (copy == NULL)
			temp_nomem();
		if (colon != NULL) {
			copy[colon - relay] = '\0';
			if (parse_ulong(colon + 1, 65535, &port) < 0 || port == 0)
				temp("ZThe port of this host's route in"
				     " control/smtproutes is invalid. (#4.3.5)\n");
			rm.port = (unsigned long)port;
		}
		if (copy[0] == '\0') {
			/* ":port" alone: the usual MX lookup, another port */
			free(copy);
		} else {
			rm.host = copy;
			rm.relayed = 1;
		}
	}
	bytes_free(&routes);
	domainmap_free(&map);
}

/*
 * address_prepare - quote addr's local part into out, and make its domain
 * canonical (CNAMEs followed) if canon is set.  Returns -1 if the address
 * cannot go into an SMTP command, else 1 if the domain was an alias (or
 * there was no domain), 0 if not.
 */
static int
address_prepare(struct bytes *out, const char *addr, int canon)
{
	static char last_domain[DNS_NAME_MAX];
	static char last_canon[DNS_NAME_MAX];
	static int last_hops = -2;
	char canonical[DNS_NAME_MAX];
	const char *at = strrchr(addr, '@');
	const char *domain;
	int hops;

	if (strlen(addr) > ADDR_MAX)
		return -1;
	if (at == NULL) {
		if (quote_address(out, addr, strlen(addr)) < 0)
			return errno == EINVAL ? -1 : (temp_nomem(), -1);
		return canon;
	}
	if (quote_local(out, addr, (size_t)(at - addr)) < 0)
		return errno == EINVAL ? -1 : (temp_nomem(), -1);
	domain = at + 1;
	if (strpbrk(domain, "\r\n") != NULL)
		return -1;
	if (bytes_append_char(out, '@') < 0)
		temp_nomem();
	if (!canon || strlen(domain) >= DNS_NAME_MAX) {
		if (bytes_append_str(out, domain) < 0)
			temp_nomem();
		return canon;
	}
	if (last_hops != -2 && strcasecmp(last_domain, domain) == 0) {
		hops = last_hops;
		memcpy(canonical, last_canon, sizeof(canonical));
	} else {
		hops = dns_cname(domain, canonical, sizeof(canonical));
		if (hops < 0 && errno == EAGAIN)
			temp("ZCNAME lookup failed temporarily. (#4.4.3)\n");
		if (hops < 0 && errno == ENOMEM)
			temp_nomem();
		if (hops < 0) /* an alias loop: not our problem */
			memcpy(canonical, domain, strlen(domain) + 1);
		memcpy(last_domain, domain, strlen(domain) + 1);
		memcpy(last_canon, canonical, sizeof(last_canon));
		last_hops = hops;
	}
	if (bytes_append_str(out, canonical) < 0)
		temp_nomem();
	return hops != 0;
}

static void
prepare_addresses(char **argv, int argc)
{
	size_t i;
	int r;

	bytes_init(&rm.sender, ADDR_MAX * 2 + 8);
	if (argv[2][0] != '\0' && address_prepare(&rm.sender, argv[2], 0) < 0)
		temp("DSorry, I cannot send that sender address through SMTP:"
		     " it holds a line break or is too long. (#5.1.7)\n");
	rm.nrecip = (size_t)(argc - 3);
	rm.recip = calloc(rm.nrecip, sizeof(*rm.recip));
	rm.recip_bad = calloc(rm.nrecip, sizeof(*rm.recip_bad));
	if (rm.recip == NULL || rm.recip_bad == NULL)
		temp_nomem();
	rm.all_aliases = 1;
	for (i = 0; i < rm.nrecip; i++) {
		bytes_init(&rm.recip[i], ADDR_MAX * 2 + 8);
		r = address_prepare(&rm.recip[i], argv[3 + i], !rm.relayed);
		if (r < 0)
			rm.recip_bad[i] = 1;
		if (r != 1)
			rm.all_aliases = 0;
	}
}

int
main(int argc, char **argv)
{
	struct dns_target *t;
	struct ipme me = IPME_INIT;
	unsigned long prefme;
	enum session_end ended = SESSION_GREETING;
	int n, nullmx = 0, greeted = 0, i;

	iobuf_init(&rm.out, 1, out_space, sizeof(out_space), -1);
	rm.smtpfd = -1;
	memcpy(rm.partner_text, "?", 2);
	bytes_init(&rm.text, SMTPREPLY_TEXT_MAX + 1);
	bytes_init(&rm.tlsfail, SMTPREPLY_TEXT_MAX + 2048);
	signal(SIGPIPE, SIG_IGN);

	if (argc < 4)
		temp("DI (qmail-remote) was invoked improperly. (#5.3.5)\n");
	if (chdir(conf_qmail_home) < 0)
		temp("ZUnable to switch to home directory. (#4.3.0)\n");
	rm.host = argv[1];
	read_controls();
	prepare_addresses(argv, argc);
	iobuf_init(&rm.msg, 0, msg_space, sizeof(msg_space), -1);

	if (ipme_load(&me) < 0)
		temp("ZSystem resources temporarily unavailable. (#4.3.0)\n");

	t = calloc(DNS_TARGET_MAX, sizeof(*t));
	if (t == NULL)
		temp_nomem();
	if (rm.relayed) {
		struct dns_addr *a = calloc(DNS_TARGET_MAX, sizeof(*a));
		if (a == NULL)
			temp_nomem();
		n = dns_ip(rm.host, 1, 1, a, DNS_TARGET_MAX);
		for (i = 0; i < n; i++) {
			t[i].pref = 0;
			t[i].addr = a[i];
		}
		free(a);
	} else
		n = dns_mxip(rm.host, (unsigned long)time(NULL) +
			((unsigned long)getpid() << 16), t, DNS_TARGET_MAX,
		    &nullmx);
	if (n < 0 && errno == ENOENT) {
		out("DSorry, I couldn't find any host named ");
		out_safe(rm.host);
		temp(". (#5.1.2)\n");
	}
	if (n < 0 && errno == ENOMEM)
		temp_nomem();
	if (n < 0)
		temp("ZSorry, I couldn't find any host by that name."
		     " (#4.1.2)\n");
	if (nullmx) {
		out("DSorry, ");
		out_safe(rm.host);
		temp(" does not accept mail (null MX). (#5.1.10)\n");
	}
	if (n == 0)
		temp("DSorry, I couldn't find a mail exchanger or IP address."
		     " (#5.4.4)\n");

	prefme = 100000;
	for (i = 0; i < n; i++)
		if (ipme_contains(&me, &t[i].addr) && t[i].pref < prefme)
			prefme = t[i].pref;
	if (rm.relayed)
		prefme = 300000;
	if (rm.all_aliases)
		prefme = 500000;
	for (i = 0; i < n; i++)
		if (t[i].pref < prefme)
			break;
	if (i >= n)
		temp("DSorry. Although I'm listed as a best-preference MX or A"
		     " for that host,\nit isn't in my control/locals file, so I"
		     " don't treat it as local. (#5.4.6)\n");

	for (i = 0; i < n; i++) {
		int v4 = t[i].addr.family == AF_INET, seen = 0;

		if (t[i].pref >= prefme)
			continue;
		if (v4 && tcpto_skip(TCPTO_PATH, t[i].addr.ip, time(NULL),
			      getpid(), &seen))
			continue;
		rm.smtpfd = connect_timeout(&t[i].addr);
		if (rm.smtpfd < 0) {
			if (v4 && (errno == ETIMEDOUT || seen))
				(void)tcpto_update(TCPTO_PATH, t[i].addr.ip,
				    errno == ETIMEDOUT, time(NULL));
			continue;
		}
		if (v4 && seen)
			(void)tcpto_update(TCPTO_PATH, t[i].addr.ip, 0,
			    time(NULL));
		rm.partner = t[i].addr;
		dns_addr_format(&rm.partner, rm.partner_text);
		target_name(rm.relayed ? rm.host : t[i].host, rm.tlsname);
		/* returns only after a bad greeting or a TLS failure */
		ended = smtp_session();
		greeted = 1;
		quit_fast();
	}
	if (greeted && ended == SESSION_TLS) {
		out("Z");
		out_bytes(rm.tlsfail.s, rm.tlsfail.len);
		out_end_exit();
	}
	if (greeted)
		quit("ZConnected to ", " but greeting failed");
	temp("ZSorry, I wasn't able to establish an SMTP connection."
	     " (#4.4.1)\n");
}
