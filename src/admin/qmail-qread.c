/*
 * qmail-qread - list the messages in the queue and their recipients.
 *
 * For every message that qmail-send has preprocessed (every file in
 * queue/info/S/) it prints one line in qmail's format, which people and
 * scripts parse:
 *
 *	D Mon YYYY HH:MM:SS GMT  #NUMBER  SIZE  <SENDER> [ bouncing]
 *
 * (the date is the info file's modification time, in GMT; the size is
 * the mess file's; " bouncing" is added while bounce/NUMBER exists),
 * then a line per recipient, local ones first:
 *
 *	[  done]\tlocal\tRECIPIENT        or       [  done]\tremote\tRECIPIENT
 *
 * Every byte outside printable ASCII is shown as '_', as qmail does.
 * Messages still in todo/ (not preprocessed) have no info file and are
 * not listed, as in qmail; qmail-qstat counts them.
 *
 * Memory stays bounded whatever the size of the queue: the directories
 * are read one entry at a time and one message is handled at a time.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bytes.h"
#include "conf.h"
#include "date822.h"
#include "err.h"
#include "exitcodes.h"
#include "fmt.h"
#include "iobuf.h"

/*
 * The longest record (sender or recipient) we show.  qmail-queue refuses
 * addresses longer than 1003 bytes, so anything near this is a damaged
 * file; it is reported as trouble, never read into unbounded memory.
 */
#define QREAD_RECORD_MAX ((size_t)64 * 1024)

/* Room for "remote/SPLIT/NUMBER" with two 20-digit numbers. */
#define QREAD_PATH_MAX 64

/* The channels, in the order qmail-qread shows them. */
static const char *const qread_channels[2] = {"local", "remote"};

/* One message being listed. */
struct qread_msg {
	unsigned long long id;
	unsigned long long size;
	time_t qtime;
	int bouncing;
};

static struct iobuf qread_out;
static char qread_out_space[64 * 1024];

static _Noreturn void
qread_die_write(void)
{
	fatal(EXIT_TEMP, "unable to write output");
}

static void
qread_put(const char *s, size_t n)
{
	if (iobuf_write(&qread_out, s, n) == -1)
		qread_die_write();
}

static void
qread_puts(const char *s)
{
	qread_put(s, strlen(s));
}

/*
 * qread_put_safe - write n bytes, each byte outside printable ASCII
 * (32..126) shown as '_', as qmail does, so a hostile address cannot
 * forge lines or send terminal escapes.
 */
static void
qread_put_safe(const char *s, size_t n)
{
	size_t i;
	char c;

	for (i = 0; i < n; i++) {
		c = s[i];
		if ((unsigned char)c < 32 || (unsigned char)c > 126)
			c = '_';
		qread_put(&c, 1);
	}
}

/*
 * qread_die_access - "unable to VERB OBJECT: reason" and exit 111.  A
 * permission error, the usual reason qmail-qread fails, also says who may
 * read the queue.
 */
static _Noreturn void
qread_die_access(const char *verb, const char *object)
{
	int e = errno;

	if (e == EACCES || e == EPERM)
		fatalx(EXIT_TEMP,
		    "unable to %s %s: %s (qmail-qread must be run as root or "
		    "with user id %s and group id %s)",
		    verb, object, strerror(e),
		    conf_user_names[CONF_USER_QMAILS],
		    conf_group_names[CONF_GROUP_QMAIL]);
	fatalx(EXIT_TEMP, "unable to %s %s: %s", verb, object, strerror(e));
}

/* qread_path - "dir/S/N" (or "dir/N" without split) into buf */
static void
qread_path(char *buf, const char *dir, unsigned long long id, int split)
{
	int n;

	if (split)
		n = snprintf(buf, QREAD_PATH_MAX, "%s/%llu/%llu", dir,
		    id % conf_split, id);
	else
		n = snprintf(buf, QREAD_PATH_MAX, "%s/%llu", dir, id);
	if (n < 0 || n >= QREAD_PATH_MAX)
		fatalx(EXIT_TEMP, "internal error: queue path too long");
}

/* qread_trouble - qmail's per-message warning; errno says why */
static void
qread_trouble(unsigned long long id)
{
	log_warn("trouble with #%llu", id);
}

/*
 * qread_sender - the sender of the F record of the info file open on fd
 * into sender (without the F and the NUL).  qmail-send writes only the F
 * record; other records (u, p) are passed over, so an info file that
 * copies them still works.  A last record without its NUL still counts.
 * Returns 0, -1 with errno (E2BIG: too long), or -2 if there is no F
 * record.
 */
static int
qread_sender(int fd, struct bytes *sender)
{
	char space[4096];
	struct iobuf in;
	int r;

	iobuf_init(&in, fd, space, sizeof(space), -1);
	for (;;) {
		bytes_truncate(sender, 0);
		r = iobuf_getline(&in, sender, '\0');
		if (r == -1)
			return -1;
		if (sender->len == 0)
			return -2;
		if (sender->s[0] == 'F') {
			if (r == 1)
				bytes_truncate(sender, sender->len - 1);
			return 0;
		}
		if (r == 0)
			return -2;
	}
}

/* qread_header - the message's first line, as qmail writes it */
static void
qread_header(const struct qread_msg *m, const struct bytes *sender)
{
	char date[DATE822_MAX];
	char num[FMT_ULONG];
	size_t n;

	n = date822_utc(date, m->qtime);
	/* qmail shows "... HH:MM:SS GMT", not the RFC 5322 zone "-0000". */
	if (n > 6 && memcmp(date + n - 6, " -0000", 6) == 0)
		n -= 6;
	if (n == 0)
		n = (size_t)snprintf(date, sizeof(date), "?");
	qread_put_safe(date, n);
	qread_puts(" GMT  #");
	qread_put(num, fmt_ulong(num, m->id));
	qread_puts("  ");
	qread_put(num, fmt_ulong(num, m->size));
	qread_puts("  <");
	qread_put_safe(sender->s + 1, sender->len - 1);
	qread_puts("> ");
	if (m->bouncing)
		qread_puts(" bouncing");
	qread_puts("\n");
}

/*
 * qread_recipients - a line for every T (to do) and D (done) record of
 * local/S/N or remote/S/N.  A missing file means no recipients on that
 * channel.  A last record without its NUL is being written and is not
 * shown, as in qmail.
 */
static void
qread_recipients(const struct qread_msg *m, int channel, struct bytes *rec)
{
	char path[QREAD_PATH_MAX];
	char space[4096];
	struct iobuf in;
	int fd;
	int r;

	qread_path(path, qread_channels[channel], m->id, 1);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd == -1) {
		if (errno != ENOENT)
			qread_trouble(m->id);
		return;
	}
	iobuf_init(&in, fd, space, sizeof(space), -1);
	for (;;) {
		bytes_truncate(rec, 0);
		r = iobuf_getline(&in, rec, '\0');
		if (r == -1) {
			qread_trouble(m->id);
			break;
		}
		if (r == 0)
			break;
		if (rec->s[0] != 'T' && rec->s[0] != 'D')
			continue;
		if (rec->s[0] == 'D')
			qread_puts("  done");
		qread_puts(channel ? "\tremote\t" : "\tlocal\t");
		qread_put_safe(rec->s + 1, rec->len - 2);
		qread_puts("\n");
	}
	close(fd);
}

/*
 * qread_message - list message id.  A message that vanishes or cannot
 * be read half way (qmail-send may be finishing it) gets qmail's warning
 * and is passed over.
 */
static void
qread_message(unsigned long long id, struct bytes *rec)
{
	char path[QREAD_PATH_MAX];
	struct qread_msg m;
	struct stat st;
	int fd;
	int r;

	m.id = id;
	qread_path(path, "mess", id, 1);
	if (stat(path, &st) == -1) {
		qread_trouble(id);
		return;
	}
	m.size = (unsigned long long)st.st_size;
	qread_path(path, "bounce", id, 0);
	m.bouncing = stat(path, &st) == 0;

	qread_path(path, "info", id, 1);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd == -1) {
		qread_trouble(id);
		return;
	}
	r = qread_sender(fd, rec);
	if (r == 0 && fstat(fd, &st) == -1)
		r = -1;
	if (r != 0) {
		if (r == -2)
			log_warnx(
			    "trouble with #%llu: no sender in %s", id, path);
		else
			qread_trouble(id);
		close(fd);
		return;
	}
	close(fd);
	m.qtime = st.st_mtime;

	qread_header(&m, rec);
	qread_recipients(&m, 0, rec);
	qread_recipients(&m, 1, rec);
}

/*
 * qread_name_id - the message number a queue file name stands for: the
 * whole name must be decimal digits.  Returns 1 and *id, or 0 for any
 * other name (".", "..", editor droppings), which is skipped.
 */
static int
qread_name_id(const char *name, unsigned long long *id)
{
	size_t n;

	n = scan_ulong(name, id);
	return n > 0 && name[n] == '\0';
}

/* qread_subdir - list every message of info/S, one entry at a time */
static void
qread_subdir(unsigned int s, struct bytes *rec)
{
	char path[QREAD_PATH_MAX];
	unsigned long long id;
	struct dirent *d;
	DIR *dir;

	snprintf(path, sizeof(path), "queue/info/%u", s);
	dir = opendir(path + 6);
	if (dir == NULL)
		qread_die_access("open", path);
	for (;;) {
		errno = 0;
		d = readdir(dir);
		if (d == NULL)
			break;
		if (qread_name_id(d->d_name, &id))
			qread_message(id, rec);
	}
	if (errno != 0)
		qread_die_access("read", path);
	closedir(dir);
}

int
main(int argc, char **argv)
{
	struct bytes rec = BYTES_INIT(QREAD_RECORD_MAX);
	unsigned int s;

	(void)argc;
	(void)argv;
	err_setprogname("qmail-qread");
	iobuf_init(&qread_out, 1, qread_out_space, sizeof(qread_out_space), -1);

	if (chdir(conf_qmail_home) == -1)
		qread_die_access("chdir to", conf_qmail_home);
	if (chdir("queue") == -1)
		qread_die_access("chdir to", "queue");
	for (s = 0; s < conf_split; s++) {
		qread_subdir(s, &rec);
		if (iobuf_flush(&qread_out) == -1)
			qread_die_write();
	}
	if (iobuf_flush(&qread_out) == -1)
		qread_die_write();
	bytes_free(&rec);
	return EXIT_OK;
}
