/*
 * qmail-local - deliver or forward one mail message as the recipient user.
 *
 *	qmail-local [-nN] user homedir local dash ext domain sender
 *	    defaultdelivery  < message
 *
 * Runs as the recipient (qmail-lspawn has already become that user),
 * reads the message on stdin and follows the delivery instructions of the
 * right dot-qmail file (dot-qmail(5)): comments, |programs, &forwards,
 * mbox files and Maildirs.  Forwards are collected and handed to
 * qmail-queue once, after every other instruction succeeded.
 *
 * The interface towards qmail-lspawn is qmail's: human-readable text on
 * stdout/stderr (the program outputs, then "did F+W+P" and, after a
 * forward, "qp PID"; or the reason for a failure), and the exit code:
 * 0 delivered, 100 permanent failure (bounce), 111 temporary failure.
 * Those texts end up in bounces and logs, so failures are printed as
 * qmail prints them - a sentence and an enhanced status code, without
 * the usual "qmail-local: fatal:" prefix of our other programs.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdnoreturn.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bytes.h"
#include "exitcodes.h"
#include "fmt.h"
#include "iobuf.h"
#include "maildir.h"
#include "mbox.h"
#include "proc.h"
#include "qqueue.h"
#include "sig.h"

/* Most bytes of a dot-qmail file (or of defaultdelivery) we follow. */
#define DOTQMAIL_MAX (4UL * 1024 * 1024)
/* Most bytes of a header line compared for the loop check. */
#define HEADER_LINE_MAX 65536
/* Most bytes of a program's output kept for the report. */
#define PROG_OUTPUT_MAX 4000
/* Most bytes of a built line (Delivered-To, Return-Path, From_). */
#define ENVLINE_MAX (1024UL * 1024)
/* How long an mbox may stay locked by someone else. */
#define MBOX_LOCK_TIMEOUT 30
/* maildir(5): a delivery must give up after 24 hours. */
#define MAILDIR_TIMEOUT (24 * 3600)
/* Size of the buffers used to copy the message. */
#define COPY_CHUNK 65536

/* The kinds of delivery instruction (dot-qmail(5)). */
enum instr_kind {
	INSTR_COMMENT,
	INSTR_PROGRAM,
	INSTR_FORWARD,
	INSTR_MBOX,
	INSTR_MAILDIR,
};

/* One state struct for the whole delivery. */
struct local {
	int doit;		/* 0 with -n: only describe */
	const char *user, *homedir, *local, *dash, *ext, *domain, *sender;
	const char *defaultdelivery;
	struct bytes safeext;	/* ext, lower case, '.' and '/' as ':' */
	struct bytes qme;	/* the dot-qmail file name tried last */
	struct bytes cmds;	/* the instructions followed */
	int forwardonly;	/* the dot-qmail file has its x bit set */
	struct bytes recipient; /* local@domain */
	struct bytes dtline, rpline, ufline;
	struct bytes newsender;
	struct bytes forwards;	/* forward addresses, NUL-terminated each */
	unsigned long nforwards;
	time_t now;
	int msgfd;		/* the message, seekable */
	off_t msgstart;		/* where the message starts in msgfd */
	unsigned long count_file, count_forward, count_program;
	int flag99;		/* a program said: stop here */
};

static struct local ql;

/* Report a failure the way qmail-local does and exit with code. */
static noreturn void __attribute__((format(printf, 2, 3)))
die(int code, const char *fmt, ...)
{
	char buf[2048];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	if ((size_t)n > sizeof(buf) - 2)
		n = sizeof(buf) - 2;
	buf[n++] = '\n';
	while (n > 0) {
		ssize_t w = write(2, buf, (size_t)n);

		if (w <= 0)
			break;
		n -= (int)w;
		memmove(buf, buf + w, (size_t)n);
	}
	_exit(code);
}

static noreturn void
die_nomem(void)
{
	die(EXIT_TEMP, "Out of memory. (#4.3.0)");
}

static noreturn void
die_usage(void)
{
	die(EXIT_PERM, "usage: qmail-local [ -nN ] user homedir local dash "
		       "ext domain sender defaultdelivery");
}

static void
put(struct bytes *b, const char *s)
{
	if (bytes_append_str(b, s) == -1)
		die_nomem();
}

static void
putn(struct bytes *b, const char *s, size_t n)
{
	if (bytes_append(b, s, n) == -1)
		die_nomem();
}

static char *
cstr(struct bytes *b)
{
	char *s = bytes_cstr(b);

	if (s == NULL)
		die_nomem();
	return s;
}

/* Write all of p[0..n) to fd: 0 or -1. */
static int
write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* --- the message ------------------------------------------------------ */

static void
message_rewind(void)
{
	if (lseek(ql.msgfd, ql.msgstart, SEEK_SET) == -1)
		die(EXIT_TEMP, "Unable to rewind message. (#4.3.0)");
}

/*
 * Make the message seekable: stdin as it is if it is a regular file,
 * otherwise a copy in an unnamed temporary file.
 */
static void
message_setup(void)
{
	struct stat st;
	char buf[COPY_CHUNK];
	int fd;

	ql.msgfd = 0;
	if (fstat(0, &st) == 0 && S_ISREG(st.st_mode)) {
		ql.msgstart = lseek(0, 0, SEEK_CUR);
		if (ql.msgstart != -1)
			return;
	}
	fd = open("/tmp", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd == -1) {
		char tmpl[] = "/tmp/qmail-local.XXXXXX";

		fd = mkostemp(tmpl, O_CLOEXEC);
		if (fd == -1)
			die(EXIT_TEMP, "Unable to create a temporary file for "
				       "the message: %s. (#4.3.0)",
			    strerror(errno));
		unlink(tmpl);
	}
	for (;;) {
		ssize_t r = read(0, buf, sizeof(buf));

		if (r == -1) {
			if (errno == EINTR)
				continue;
			die(EXIT_TEMP, "Unable to read message: %s. (#4.3.0)",
			    strerror(errno));
		}
		if (r == 0)
			break;
		if (write_all(fd, buf, (size_t)r) == -1)
			die(EXIT_TEMP, "Unable to copy message to a temporary "
				       "file: %s. (#4.3.0)",
			    strerror(errno));
	}
	ql.msgfd = fd;
	ql.msgstart = 0;
}

/*
 * Pass the message (from its start) to out in chunks; out returns 0 or
 * -1.  Returns 0, -1 when out failed, -2 when reading failed.
 */
static int
message_each_chunk(int (*out)(void *, const char *, size_t), void *arg)
{
	char buf[COPY_CHUNK];

	message_rewind();
	for (;;) {
		ssize_t r = read(ql.msgfd, buf, sizeof(buf));

		if (r == -1) {
			if (errno == EINTR)
				continue;
			return -2;
		}
		if (r == 0)
			return 0;
		if (out(arg, buf, (size_t)r) == -1)
			return -1;
	}
}

/* Bounce if the header already holds our Delivered-To line. */
static void
message_check_loop(void)
{
	struct bytes line = BYTES_INIT(HEADER_LINE_MAX);
	struct iobuf in;
	char space[COPY_CHUNK];

	message_rewind();
	iobuf_init(&in, ql.msgfd, space, sizeof(space), -1);
	for (;;) {
		int r;

		bytes_truncate(&line, 0);
		r = iobuf_getline(&in, &line, '\n');
		if (r == -1 && errno == E2BIG) {
			/* longer than any Delivered-To line of ours: skip */
			char c;
			int g;

			while ((g = iobuf_getc(&in, &c)) == 1 && c != '\n')
				;
			if (g == -1)
				die(EXIT_TEMP, "Unable to read message. (#4.3.0)");
			if (g == 0)
				break;
			continue;
		}
		if (r == -1)
			die(EXIT_TEMP, "Unable to read message. (#4.3.0)");
		if (r == 0 || line.len <= 1)
			break; /* end of message or of the header */
		if (line.len == ql.dtline.len &&
		    memcmp(line.s, ql.dtline.s, line.len) == 0)
			die(EXIT_PERM, "This message is looping: it already "
				       "has my Delivered-To line. (#5.4.6)");
	}
	bytes_free(&line);
}

/* --- the envelope lines and the environment ---------------------------- */

/* Append s with every newline written as '_' (header lines stay lines). */
static void
put_oneline(struct bytes *b, const char *s)
{
	for (; *s; s++)
		if (bytes_append_char(b, *s == '\n' ? '_' : *s) == -1)
			die_nomem();
}

static void
envelope_setup(void)
{
	bytes_init(&ql.recipient, ENVLINE_MAX);
	bytes_init(&ql.dtline, ENVLINE_MAX);
	bytes_init(&ql.rpline, ENVLINE_MAX);
	bytes_init(&ql.ufline, ENVLINE_MAX);
	put(&ql.recipient, ql.local);
	put(&ql.recipient, "@");
	put(&ql.recipient, ql.domain);
	put(&ql.dtline, "Delivered-To: ");
	put_oneline(&ql.dtline, cstr(&ql.recipient));
	put(&ql.dtline, "\n");
	put(&ql.rpline, "Return-Path: <");
	put_oneline(&ql.rpline, ql.sender);
	put(&ql.rpline, ">\n");
	ql.now = time(NULL);
	if (mbox_from_line(&ql.ufline, ql.sender, ql.now) == -1)
		die_nomem();
}

/* 1 if the file .qmail DASH SAFEEXT suffix exists. */
static int
qme_exists_with(const char *suffix)
{
	struct bytes name = BYTES_INIT(ENVLINE_MAX);
	struct stat st;
	int r;

	put(&name, ".qmail");
	put(&name, ql.dash);
	putn(&name, ql.safeext.s, ql.safeext.len);
	put(&name, suffix);
	r = stat(cstr(&name), &st);
	if (r == -1 && errno != ENOENT && errno != ENOTDIR &&
	    errno != ENAMETOOLONG && errno != EACCES)
		die(EXIT_TEMP, "Unable to stat %s: %s. (#4.3.0)", name.s,
		    strerror(errno));
	bytes_free(&name);
	return r == 0;
}

/* NEWSENDER as dot-qmail(5) "EXTENSION ADDRESSES" describes it. */
static void
newsender_setup(void)
{
	bytes_init(&ql.newsender, ENVLINE_MAX);
	if (*ql.sender != '\0' && strcmp(ql.sender, "#@[]") != 0 &&
	    qme_exists_with("-owner")) {
		put(&ql.newsender, ql.local);
		if (qme_exists_with("-owner-default")) {
			put(&ql.newsender, "-owner-@");
			put(&ql.newsender, ql.domain);
			put(&ql.newsender, "-@[]");
		} else {
			put(&ql.newsender, "-owner@");
			put(&ql.newsender, ql.domain);
		}
	} else
		put(&ql.newsender, ql.sender);
}

static void
env_set(const char *name, const char *value)
{
	if (setenv(name, value, 1) == -1)
		die_nomem();
}

/* What follows the n-th '-' of s ("" if it has fewer): EXTn. */
static const char *
after_dashes(const char *s, int n)
{
	for (; n > 0; n--) {
		const char *d = strchr(s, '-');

		if (d == NULL)
			return "";
		s = d + 1;
	}
	return s;
}

/* HOSTn: the domain with its last n-1 dot-separated parts removed. */
static void
env_set_host(const char *name, struct bytes *host)
{
	char *dot;

	cstr(host);
	dot = memrchr(host->s, '.', host->len);
	if (dot != NULL)
		bytes_truncate(host, (size_t)(dot - host->s));
	env_set(name, cstr(host));
}

static void
environment_setup(const char *defaultpart)
{
	struct bytes host = BYTES_INIT(ENVLINE_MAX);

	env_set("SENDER", ql.sender);
	env_set("NEWSENDER", cstr(&ql.newsender));
	env_set("RECIPIENT", cstr(&ql.recipient));
	env_set("USER", ql.user);
	env_set("HOME", ql.homedir);
	env_set("LOCAL", ql.local);
	env_set("HOST", ql.domain);
	put(&host, ql.domain);
	env_set_host("HOST2", &host);
	env_set_host("HOST3", &host);
	env_set_host("HOST4", &host);
	bytes_free(&host);
	env_set("EXT", ql.ext);
	env_set("EXT2", after_dashes(ql.ext, 1));
	env_set("EXT3", after_dashes(ql.ext, 2));
	env_set("EXT4", after_dashes(ql.ext, 3));
	if (defaultpart != NULL)
		env_set("DEFAULT", defaultpart);
	else
		unsetenv("DEFAULT");
	env_set("DTLINE", cstr(&ql.dtline));
	env_set("RPLINE", cstr(&ql.rpline));
	env_set("UFLINE", cstr(&ql.ufline));
}

/* --- finding the dot-qmail file ---------------------------------------- */

static void
home_check(void)
{
	struct stat st;

	if (ql.homedir[0] != '/')
		die(EXIT_TEMP, "Home directory %s is not an absolute path. "
			       "(#4.3.0)",
		    ql.homedir);
	if (chdir(ql.homedir) == -1)
		die(EXIT_TEMP, "Unable to switch to %s: %s. (#4.3.0)",
		    ql.homedir, strerror(errno));
	if (stat(".", &st) == -1)
		die(EXIT_TEMP, "Unable to stat home directory: %s. (#4.3.0)",
		    strerror(errno));
	if (st.st_mode & (S_IWGRP | S_IWOTH))
		die(EXIT_TEMP, "Uh-oh: home directory is writable. (#4.7.0)");
	if (st.st_mode & S_ISVTX) {
		if (ql.doit)
			die(EXIT_TEMP, "Home directory is sticky: user is "
				       "editing his .qmail file. (#4.2.1)");
		fputs("Warning: home directory is sticky.\n", stderr);
	}
}

static void
safeext_setup(void)
{
	const char *p;

	bytes_init(&ql.safeext, ENVLINE_MAX);
	for (p = ql.ext; *p; p++) {
		char c = *p;

		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		else if (c == '.' || c == '/')
			c = ':';
		if (bytes_append_char(&ql.safeext, c) == -1)
			die_nomem();
	}
}

/*
 * Try to open ql.qme as a dot-qmail file.  Returns the descriptor, or -1
 * if it does not exist; dies on other errors.
 */
static int
qme_open(void)
{
	struct stat st;
	int fd;

	fd = open(cstr(&ql.qme), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd == -1) {
		if (errno == ENOENT || errno == ENOTDIR ||
		    errno == ENAMETOOLONG)
			return -1;
		if (errno == EACCES)
			die(EXIT_TEMP, "Permission error trying to open "
				       ".qmail file. (#4.3.0)");
		die(EXIT_TEMP, "Temporary error trying to open .qmail file: "
			       "%s. (#4.3.0)",
		    strerror(errno));
	}
	if (fstat(fd, &st) == -1)
		die(EXIT_TEMP, "Unable to stat .qmail file: %s. (#4.3.0)",
		    strerror(errno));
	if (!S_ISREG(st.st_mode))
		die(EXIT_TEMP, "Uh-oh: .qmail file is not a regular file. "
			       "(#4.7.0)");
	if (st.st_mode & (S_IWGRP | S_IWOTH))
		die(EXIT_TEMP, "Uh-oh: .qmail file is writable. (#4.7.0)");
	ql.forwardonly = (st.st_mode & S_IXUSR) != 0;
	return fd;
}

static void
qme_name(const char *ext, size_t extlen, const char *suffix)
{
	bytes_truncate(&ql.qme, 0);
	put(&ql.qme, ".qmail");
	put(&ql.qme, ql.dash);
	putn(&ql.qme, ext, extlen);
	put(&ql.qme, suffix);
}

/*
 * Find the dot-qmail file (dot-qmail(5)): .qmail DASH EXT, then with
 * a non-empty dash the -default files from the longest prefix of EXT
 * ending in '-' to the shortest.  Returns the open descriptor, or -1
 * for "no file: use defaultdelivery"; *defaultpart is the part of ext a
 * default matched (for $DEFAULT) or NULL.
 */
static int
dotqmail_find(const char **defaultpart)
{
	size_t i;
	int fd;

	*defaultpart = NULL;
	bytes_init(&ql.qme, ENVLINE_MAX);
	qme_name(ql.safeext.s, ql.safeext.len, "");
	fd = qme_open();
	if (fd >= 0) {
		if (*ql.dash != '\0' && ql.safeext.len >= 7 &&
		    memcmp(ql.safeext.s + ql.safeext.len - 7, "default", 7) ==
			0)
			*defaultpart = ql.ext + ql.safeext.len - 7;
		return fd;
	}
	if (*ql.dash == '\0')
		return -1; /* the user's own .qmail may be missing */
	for (i = ql.safeext.len + 1; i-- > 0;) {
		if (i != 0 && ql.safeext.s[i - 1] != '-')
			continue;
		qme_name(ql.safeext.s, i, "default");
		fd = qme_open();
		if (fd >= 0) {
			*defaultpart = ql.ext + i;
			return fd;
		}
	}
	die(EXIT_PERM, "Sorry, no mailbox here by that name. (#5.1.1)");
}

static void
dotqmail_read(int fd)
{
	char buf[COPY_CHUNK];

	for (;;) {
		ssize_t r = read(fd, buf, sizeof(buf));

		if (r == -1) {
			if (errno == EINTR)
				continue;
			die(EXIT_TEMP, "Unable to read .qmail file: %s. "
				       "(#4.3.0)",
			    strerror(errno));
		}
		if (r == 0)
			break;
		if (bytes_append(&ql.cmds, buf, (size_t)r) == -1) {
			if (errno == E2BIG)
				die(EXIT_TEMP, "Uh-oh: .qmail file is too "
					       "big. (#4.2.1)");
			die_nomem();
		}
	}
	close(fd);
}

/* --- the instructions -------------------------------------------------- */

/* Classify line (without its newline, trailing blanks removed). */
static enum instr_kind
instr_kind_of(const char *line, size_t len)
{
	switch (line[0]) {
	case '#':
		return INSTR_COMMENT;
	case '|':
		return INSTR_PROGRAM;
	case '.':
	case '/':
		return line[len - 1] == '/' ? INSTR_MAILDIR : INSTR_MBOX;
	default:
		return INSTR_FORWARD;
	}
}

/*
 * Call fn for each non-blank line of ql.cmds (a copy of it, NUL-ended,
 * without the newline and the trailing spaces and tabs), stopping early
 * once a program asked for it (exit code 99).
 */
static void
instr_each(void (*fn)(enum instr_kind, char *))
{
	struct bytes cur = BYTES_INIT(DOTQMAIL_MAX);
	size_t pos = 0;

	while (pos < ql.cmds.len && !ql.flag99) {
		const char *line = ql.cmds.s + pos;
		const char *nl = memchr(line, '\n', ql.cmds.len - pos);
		size_t len = nl ? (size_t)(nl - line) : ql.cmds.len - pos;

		pos += len + 1;
		while (len > 0 && (line[len - 1] == ' ' || line[len - 1] == '\t'))
			len--;
		if (len == 0)
			continue;
		if (bytes_copy(&cur, line, len) == -1)
			die_nomem();
		fn(instr_kind_of(line, len), cstr(&cur));
	}
	bytes_free(&cur);
}

/* First pass: refuse what can never work before delivering anything. */
static void
instr_check(enum instr_kind kind, char *line)
{
	if (ql.forwardonly && kind == INSTR_PROGRAM)
		die(EXIT_TEMP, "Uh-oh: .qmail has prog delivery but has x bit "
			       "set. (#4.7.0)");
	if (ql.forwardonly && (kind == INSTR_MBOX || kind == INSTR_MAILDIR))
		die(EXIT_TEMP, "Uh-oh: .qmail has file delivery but has x bit "
			       "set. (#4.7.0)");
}

static void
instr_describe(enum instr_kind kind, char *line)
{
	switch (kind) {
	case INSTR_COMMENT:
		break;
	case INSTR_PROGRAM:
		printf("program: %s\n", line + 1);
		break;
	case INSTR_FORWARD:
		printf("forward: %s\n", line + (line[0] == '&'));
		break;
	case INSTR_MBOX:
		printf("mbox: %s\n", line);
		break;
	case INSTR_MAILDIR:
		printf("maildir: %s\n", line);
		break;
	}
}

/* --- delivery: Maildir ------------------------------------------------- */

static int
chunk_to_iobuf(void *arg, const char *p, size_t n)
{
	return iobuf_write(arg, p, n);
}

static void
deliver_maildir(const char *dir)
{
	struct maildir_msg m;
	struct iobuf out;
	char space[COPY_CHUNK];
	int r;

	alarm(MAILDIR_TIMEOUT);
	if (maildir_create(&m, dir) == -1)
		die(EXIT_TEMP, "Unable to open %s: %s. (#4.2.1)", dir,
		    strerror(errno));
	iobuf_init(&out, m.fd, space, sizeof(space), -1);
	if (iobuf_write(&out, ql.rpline.s, ql.rpline.len) == -1 ||
	    iobuf_write(&out, ql.dtline.s, ql.dtline.len) == -1)
		r = -1;
	else
		r = message_each_chunk(chunk_to_iobuf, &out);
	if (r == 0 && iobuf_flush(&out) == -1)
		r = -1;
	if (r == -2) {
		maildir_abort(&m);
		die(EXIT_TEMP, "Unable to read message. (#4.3.0)");
	}
	if (r == -1) {
		maildir_abort(&m);
		if (errno == EDQUOT)
			die(EXIT_TEMP, "Recipient's mailbox is full. "
				       "(#4.2.2)");
		die(EXIT_TEMP, "Unable to write %s: %s. (#4.3.0)", dir,
		    strerror(errno));
	}
	if (maildir_commit(&m) == -1)
		die(EXIT_TEMP, "Unable to deliver to %s: %s. (#4.3.0)", dir,
		    strerror(errno));
	alarm(0);
	ql.count_file++;
}

/* --- delivery: mbox ---------------------------------------------------- */

static int
chunk_to_mbox(void *arg, const char *p, size_t n)
{
	return mbox_write(arg, p, n);
}

static void
deliver_mbox(const char *path)
{
	struct mbox mb;
	int r;

	if (mbox_open(&mb, path, MBOX_LOCK_TIMEOUT) == -1) {
		if (errno == ETIMEDOUT)
			die(EXIT_TEMP, "File has been locked for 30 seconds "
				       "straight. (#4.3.0)");
		die(EXIT_TEMP, "Unable to open %s: %s. (#4.2.1)", path,
		    strerror(errno));
	}
	if (mbox_begin(&mb, ql.sender, ql.now) == -1 ||
	    mbox_write(&mb, ql.rpline.s, ql.rpline.len) == -1 ||
	    mbox_write(&mb, ql.dtline.s, ql.dtline.len) == -1)
		r = -1;
	else
		r = message_each_chunk(chunk_to_mbox, &mb);
	if (r == -2) {
		mbox_abort(&mb);
		die(EXIT_TEMP, "Unable to read message. (#4.3.0)");
	}
	if (r == 0)
		r = mbox_commit(&mb);
	else
		mbox_abort(&mb);
	if (r == -1) {
		if (errno == EDQUOT)
			die(EXIT_TEMP, "Recipient's mailbox is full. "
				       "(#4.2.2)");
		die(EXIT_TEMP, "Unable to write %s: %s. Truncated back to "
			       "its original length. (#4.3.0)",
		    path, strerror(errno));
	}
	ql.count_file++;
}

/* --- delivery: programs ------------------------------------------------ */

/* qmail-command(8): the exit codes that mean a permanent failure. */
static int
program_code_permanent(int code)
{
	switch (code) {
	case 64:
	case 65:
	case 70:
	case 76:
	case 77:
	case 78:
	case 100:
	case 112:
		return 1;
	default:
		return 0;
	}
}

static void
deliver_program(const char *command)
{
	const char *argv[] = { "sh", "-c", command, NULL };
	struct proc_fdmap fds[3];
	struct proc_spec spec;
	char out[PROG_OUTPUT_MAX];
	size_t kept = 0;
	int pipefd[2], status, code, signo;
	pid_t pid;

	if (pipe2(pipefd, O_CLOEXEC) == -1)
		die(EXIT_TEMP, "Unable to create a pipe: %s. (#4.3.0)",
		    strerror(errno));
	message_rewind();
	fds[0].child = 0;
	fds[0].parent = ql.msgfd;
	fds[1].child = 1;
	fds[1].parent = pipefd[1];
	fds[2].child = 2;
	fds[2].parent = pipefd[1];
	memset(&spec, 0, sizeof(spec));
	spec.program = "/bin/sh";
	spec.argv = argv;
	spec.fds = fds;
	spec.nfds = 3;
	pid = proc_spawn(&spec);
	if (pid == -1)
		die(EXIT_TEMP, "Unable to run /bin/sh: %s. (#4.3.0)",
		    strerror(errno));
	close(pipefd[1]);
	/* Read everything (so the program never blocks), keep the start. */
	for (;;) {
		char buf[COPY_CHUNK];
		ssize_t r = read(pipefd[0], buf, sizeof(buf));

		if (r == -1) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (r == 0)
			break;
		if (kept < sizeof(out)) {
			size_t n = sizeof(out) - kept;

			if ((size_t)r < n)
				n = (size_t)r;
			memcpy(out + kept, buf, n);
			kept += n;
		}
	}
	close(pipefd[0]);
	if (proc_wait(pid, &status) == -1)
		die(EXIT_TEMP, "Unable to wait for the program: %s. (#4.3.0)",
		    strerror(errno));
	fflush(stdout);
	write_all(1, out, kept);
	if (proc_status_signaled(status, &signo, NULL))
		die(EXIT_TEMP, "Program crashed (signal %d). (#4.3.0)", signo);
	if (!proc_status_exited(status, &code))
		die(EXIT_TEMP, "Program ended strangely. (#4.3.0)");
	if (code == 0 || code == 99) {
		ql.count_program++;
		if (code == 99)
			ql.flag99 = 1;
		return;
	}
	_exit(program_code_permanent(code) ? EXIT_PERM : EXIT_TEMP);
}

/* --- delivery: forwarding ---------------------------------------------- */

static void
forward_add(const char *addr)
{
	if (bytes_append(&ql.forwards, addr, strlen(addr) + 1) == -1)
		die_nomem();
	ql.nforwards++;
	ql.count_forward++;
}

static int
chunk_to_qqueue(void *arg, const char *p, size_t n)
{
	qqueue_put(arg, p, n);
	return 0;
}

/* Hand all collected forwards to qmail-queue at once; returns the qp. */
static unsigned long
forward_all(void)
{
	struct qqueue q;
	const char *a, *end;
	unsigned long qp;
	int code;

	sig_ignore(SIGPIPE);
	if (qqueue_open(&q, NULL) == -1)
		die(EXIT_TEMP, "Unable to forward message: unable to run "
			       "qmail-queue: %s. (#4.3.0)",
		    strerror(errno));
	qp = (unsigned long)q.pid;
	qqueue_put(&q, ql.dtline.s, ql.dtline.len);
	if (message_each_chunk(chunk_to_qqueue, &q) == -2) {
		q.failed = 1;
		qqueue_close(&q);
		die(EXIT_TEMP, "Unable to read message. (#4.3.0)");
	}
	qqueue_from(&q, cstr(&ql.newsender));
	end = ql.forwards.s + ql.forwards.len;
	for (a = ql.forwards.s; a < end; a += strlen(a) + 1)
		qqueue_to(&q, a);
	code = qqueue_close(&q);
	if (code != 0) {
		const char *why = qqueue_strerror(code);

		die(qqueue_permanent(code) ? EXIT_PERM : EXIT_TEMP,
		    "Unable to forward message: %s", why[0] ? why + 1 : why);
	}
	return qp;
}

static void
instr_deliver(enum instr_kind kind, char *line)
{
	switch (kind) {
	case INSTR_COMMENT:
		break;
	case INSTR_PROGRAM:
		deliver_program(line + 1);
		break;
	case INSTR_FORWARD:
		if (line[0] == '&')
			line++;
		if (*line != '\0')
			forward_add(line);
		break;
	case INSTR_MBOX:
		deliver_mbox(line);
		break;
	case INSTR_MAILDIR:
		deliver_maildir(line);
		break;
	}
}

/* --- main -------------------------------------------------------------- */

static void
args_parse(int argc, char **argv)
{
	int i = 1;

	ql.doit = 1;
	for (; i < argc && argv[i][0] == '-' && argv[i][1] != '\0'; i++) {
		const char *o;

		if (strcmp(argv[i], "--") == 0) {
			i++;
			break;
		}
		for (o = argv[i] + 1; *o; o++) {
			if (*o == 'n')
				ql.doit = 0;
			else if (*o == 'N')
				ql.doit = 1;
			else
				die_usage();
		}
	}
	if (argc - i != 8)
		die_usage();
	ql.user = argv[i];
	ql.homedir = argv[i + 1];
	ql.local = argv[i + 2];
	ql.dash = argv[i + 3];
	ql.ext = argv[i + 4];
	ql.domain = argv[i + 5];
	ql.sender = argv[i + 6];
	ql.defaultdelivery = argv[i + 7];
}

int
main(int argc, char **argv)
{
	const char *defaultpart;
	unsigned long qp = 0;
	int fd;

	args_parse(argc, argv);
	umask(077);
	home_check();
	safeext_setup();
	bytes_init(&ql.cmds, DOTQMAIL_MAX);
	bytes_init(&ql.forwards, DOTQMAIL_MAX);
	fd = dotqmail_find(&defaultpart);
	if (fd >= 0)
		dotqmail_read(fd);
	if (ql.cmds.len == 0) {
		ql.forwardonly = 0;
		put(&ql.cmds, ql.defaultdelivery);
	} else if (ql.cmds.s[0] == '\n')
		die(EXIT_TEMP, "Uh-oh: first line of .qmail file is blank. "
			       "(#4.2.1)");
	if (memchr(ql.cmds.s, '\0', ql.cmds.len) != NULL)
		die(EXIT_TEMP, "Uh-oh: .qmail file contains a NUL byte. "
			       "(#4.2.1)");
	cstr(&ql.cmds);
	instr_each(instr_check);
	if (!ql.doit) {
		instr_each(instr_describe);
		return EXIT_OK;
	}

	envelope_setup();
	newsender_setup();
	environment_setup(defaultpart);
	message_setup();
	message_check_loop();
	instr_each(instr_deliver);
	if (ql.nforwards > 0)
		qp = forward_all();
	printf("did %lu+%lu+%lu\n", ql.count_file, ql.count_forward,
	    ql.count_program);
	if (qp != 0)
		printf("qp %lu\n", qp);
	if (fflush(stdout) == EOF)
		return EXIT_TEMP;
	return EXIT_OK;
}
