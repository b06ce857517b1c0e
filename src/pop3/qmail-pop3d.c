/*
 * qmail-pop3d - serve a Maildir over POP3 (qmail-pop3d(8)).
 *
 *	qmail-pop3d maildirname
 *
 * Run by the checkpassword program once a user has logged in: already
 * that user, in the user's home, with the client on descriptors 0 and 1.
 * It changes to maildirname, removes tmp/ files older than 36 hours,
 * lists the messages of new/ and cur/ (oldest modification time first)
 * and says +OK; then it serves STAT LIST UIDL RETR TOP DELE RSET LAST
 * NOOP CAPA QUIT.  Nothing in the Maildir changes before QUIT: only then
 * are the messages marked with DELE unlinked and every other message
 * still in new/ moved to cur/ with the info ":2," (seen by a client, not
 * yet read by a person), as qmail-pop3d does.  A client that goes away
 * or stalls past the idle timeout changes nothing.
 *
 * Messages go out as RFC 1939 wants: every line ended by CR LF (a file's
 * LF or CR LF alike), a line starting with "." gets a second ".", and
 * the end is a line holding ".".  As in qmail, an extra empty line comes
 * before that end, for the sake of old clients.  Sizes (STAT, LIST) are
 * the sizes of the files, as in qmail.
 *
 * Memory is bounded: the list keeps, per message, its name once in one
 * arena plus 24 bytes; at most POP3D_MESSAGES_MAX messages and
 * POP3D_NAMES_MAX bytes of names are listed (a Maildir with more is
 * served in part, with a warning on stderr).  Message files are streamed,
 * never held whole.
 *
 * Exit code 0 whatever happens once the client has been answered (the
 * caller, qmail-popup, would otherwise tell the client that authorization
 * failed); 1 when run as root, which qmail-popup reports as a failed
 * authorization.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bytes.h"
#include "err.h"
#include "exitcodes.h"
#include "fmt.h"
#include "fsync.h"
#include "iobuf.h"
#include "maildirscan.h"
#include "pop3cmd.h"
#include "sig.h"

/* Exit code when started as root (qmail's). */
#define POP3D_EXIT_ROOT 1

/* Most messages listed, and most bytes of their names in all. */
#define POP3D_MESSAGES_MAX 1000000
#define POP3D_NAMES_MAX ((size_t)64 * 1024 * 1024)

/* Longest file name in new/ or cur/ (NAME_MAX on Linux). */
#define POP3D_NAME_MAX 255

/* RFC 1939: a unique-id is 1 to 70 characters from 0x21 to 0x7E. */
#define POP3D_UIDL_MAX 70

/* pop3d_msg.flags */
#define POP3D_NEW 0x1     /* in new/ (else cur/) */
#define POP3D_DELETED 0x2 /* DELE said so; undone by RSET */

struct pop3d_msg {
	unsigned long long size;
	long long mtime;
	uint32_t name; /* offset of "NAME\0" in the names arena */
	uint32_t flags;
};

struct pop3d {
	struct iobuf in;
	struct iobuf out;
	struct pop3d_msg *msgs;
	size_t count;
	size_t cap;
	struct bytes names;
	size_t last; /* LAST: highest message number deleted */
	int partial; /* the Maildir holds more than was listed */
};

static char pop3d_inspace[4096];
static char pop3d_outspace[65536];
static char pop3d_filebuf[65536];

/* The names arena, for the qsort comparison (owned by main's pop3d). */
static const char *pop3d_sort_names;

/* ---- talking to the client -------------------------------------------- */

/* pop3d_gone - the client left or stalled: end quietly, changing nothing */
static _Noreturn void
pop3d_gone(void)
{
	_exit(EXIT_OK);
}

static void
pop3d_put(struct pop3d *d, const char *s, size_t n)
{
	if (iobuf_write(&d->out, s, n) == -1)
		pop3d_gone();
}

static void
pop3d_puts(struct pop3d *d, const char *s)
{
	pop3d_put(d, s, strlen(s));
}

static void
pop3d_putnum(struct pop3d *d, unsigned long long u)
{
	char num[FMT_ULONG];

	pop3d_put(d, num, fmt_ulong(num, u));
}

static void
pop3d_flush(struct pop3d *d)
{
	if (iobuf_flush(&d->out) == -1)
		pop3d_gone();
}

static void
pop3d_ok(struct pop3d *d)
{
	pop3d_puts(d, "+OK \r\n");
	pop3d_flush(d);
}

static void
pop3d_err(struct pop3d *d, const char *text)
{
	pop3d_puts(d, "-ERR ");
	pop3d_puts(d, text);
	pop3d_puts(d, "\r\n");
	pop3d_flush(d);
}

/* ---- the message list --------------------------------------------------- */

static const char *
pop3d_name(const struct pop3d *d, const struct pop3d_msg *m)
{
	return d->names.s + m->name;
}

/*
 * pop3d_path - "new/NAME" or "cur/NAME" into buf (room for
 * POP3D_NAME_MAX + 6 bytes); names longer than that are never listed.
 */
static void
pop3d_path(const struct pop3d *d, const struct pop3d_msg *m, char *buf)
{
	const char *name = pop3d_name(d, m);
	size_t n = strlen(name);

	memcpy(buf, (m->flags & POP3D_NEW) ? "new/" : "cur/", 4);
	memcpy(buf + 4, name, n + 1);
}

/* pop3d_add - list one message; 0, or -1 when a limit is reached */
static int
pop3d_add(
    struct pop3d *d, const char *name, const struct stat *st, uint32_t flags)
{
	struct pop3d_msg *grown;
	size_t off = d->names.len;
	size_t cap;

	if (d->count >= POP3D_MESSAGES_MAX)
		return -1;
	if (d->count == d->cap) {
		cap = d->cap ? d->cap * 2 : 1024;
		if (cap > POP3D_MESSAGES_MAX)
			cap = POP3D_MESSAGES_MAX;
		grown = reallocarray(d->msgs, cap, sizeof(*grown));
		if (grown == NULL)
			return -1;
		d->msgs = grown;
		d->cap = cap;
	}
	if (bytes_append(&d->names, name, strlen(name) + 1) == -1)
		return -1;
	d->msgs[d->count].size = (unsigned long long)st->st_size;
	d->msgs[d->count].mtime = (long long)st->st_mtime;
	d->msgs[d->count].name = (uint32_t)off;
	d->msgs[d->count].flags = flags;
	d->count++;
	return 0;
}

/*
 * pop3d_scan_dir - list the regular files of sub ("new" or "cur") whose
 * names do not start with a dot.  0, or -1 if sub cannot be read.  A
 * limit reached sets d->partial and stops the listing.
 */
static int
pop3d_scan_dir(struct pop3d *d, const char *sub, uint32_t flags)
{
	struct dirent *de;
	struct stat st;
	DIR *dir;
	int fd;

	dir = opendir(sub);
	if (dir == NULL)
		return -1;
	fd = dirfd(dir);
	while (!d->partial) {
		errno = 0;
		de = readdir(dir);
		if (de == NULL)
			break;
		if (de->d_name[0] == '.' || strlen(de->d_name) > POP3D_NAME_MAX)
			continue;
		if (fstatat(fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) == -1) {
			if (errno == ENOENT)
				continue; /* taken by another reader */
			closedir(dir);
			return -1;
		}
		if (!S_ISREG(st.st_mode))
			continue;
		if (pop3d_add(d, de->d_name, &st, flags) == -1)
			d->partial = 1;
	}
	if (errno != 0 && !d->partial) {
		closedir(dir);
		return -1;
	}
	closedir(dir);
	return 0;
}

static int
pop3d_compare(const void *a, const void *b)
{
	const struct pop3d_msg *x = a;
	const struct pop3d_msg *y = b;

	if (x->mtime != y->mtime)
		return x->mtime < y->mtime ? -1 : 1;
	return strcmp(pop3d_sort_names + x->name, pop3d_sort_names + y->name);
}

/* pop3d_scan - list new/ then cur/, oldest first; 0 or -1 */
static int
pop3d_scan(struct pop3d *d)
{
	if (pop3d_scan_dir(d, "new", POP3D_NEW) == -1 ||
	    pop3d_scan_dir(d, "cur", 0) == -1)
		return -1;
	if (d->partial)
		log_warnx(
		    "the Maildir holds more than %d messages or %zu bytes "
		    "of names; serving the %zu listed",
		    POP3D_MESSAGES_MAX, POP3D_NAMES_MAX, d->count);
	pop3d_sort_names = d->names.s;
	if (d->count > 1)
		qsort(d->msgs, d->count, sizeof(d->msgs[0]), pop3d_compare);
	return 0;
}

/* ---- commands ------------------------------------------------------------ */

/*
 * pop3d_msgno - the message the argument names (its leading digits, as
 * in qmail), or -1 after telling the client why not.  *rest is set to
 * what follows the digits.
 */
static long
pop3d_msgno(struct pop3d *d, const char *arg, const char **rest)
{
	unsigned long long u;
	size_t n = scan_ulong(arg, &u);

	if (n == 0) {
		pop3d_err(d, "syntax error");
		return -1;
	}
	if (rest != NULL)
		*rest = arg + n;
	if (u == 0) {
		pop3d_err(d, "messages are counted from 1");
		return -1;
	}
	if (u > d->count) {
		pop3d_err(d, "not that many messages");
		return -1;
	}
	if (d->msgs[u - 1].flags & POP3D_DELETED) {
		pop3d_err(d, "already deleted");
		return -1;
	}
	return (long)(u - 1);
}

static void
pop3d_stat(struct pop3d *d, const char *arg)
{
	unsigned long long n = 0, total = 0;
	size_t i;

	(void)arg;
	for (i = 0; i < d->count; i++)
		if (!(d->msgs[i].flags & POP3D_DELETED)) {
			n++;
			total += d->msgs[i].size;
		}
	pop3d_puts(d, "+OK ");
	pop3d_putnum(d, n);
	pop3d_puts(d, " ");
	pop3d_putnum(d, total);
	pop3d_puts(d, "\r\n");
	pop3d_flush(d);
}

/* pop3d_uidl_ok - 1 if id[0..n) may go out as a RFC 1939 unique-id */
static int
pop3d_uidl_ok(const char *id, size_t n)
{
	size_t i;

	if (n == 0 || n > POP3D_UIDL_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if ((unsigned char)id[i] < 0x21 || (unsigned char)id[i] > 0x7e)
			return 0;
	return 1;
}

/*
 * pop3d_put_uidl - the unique name (the file name up to its ':' info,
 * as in qmail), or, for a name no RFC 1939 client can take (too long,
 * spaces, control bytes), "H" and a 64-bit FNV-1a hash of it in hex.
 */
static void
pop3d_put_uidl(struct pop3d *d, const struct pop3d_msg *m)
{
	static const char hex[] = "0123456789abcdef";
	const char *name = pop3d_name(d, m);
	const char *colon = strchr(name, ':');
	size_t n = colon ? (size_t)(colon - name) : strlen(name);
	unsigned long long h = 0xcbf29ce484222325ULL;
	char out[17];
	size_t i;

	if (pop3d_uidl_ok(name, n)) {
		pop3d_put(d, name, n);
		return;
	}
	for (i = 0; i < n; i++) {
		h ^= (unsigned char)name[i];
		h *= 0x100000001b3ULL;
	}
	out[0] = 'H';
	for (i = 0; i < 16; i++)
		out[1 + i] = hex[(h >> (60 - 4 * i)) & 0xf];
	pop3d_put(d, out, sizeof(out));
}

static void
pop3d_list_one(struct pop3d *d, size_t i, int uidl)
{
	pop3d_putnum(d, i + 1);
	pop3d_puts(d, " ");
	if (uidl)
		pop3d_put_uidl(d, &d->msgs[i]);
	else
		pop3d_putnum(d, d->msgs[i].size);
	pop3d_puts(d, "\r\n");
}

static void
pop3d_listing(struct pop3d *d, const char *arg, int uidl)
{
	long i;
	size_t j;

	if (*arg != '\0') {
		i = pop3d_msgno(d, arg, NULL);
		if (i == -1)
			return;
		pop3d_puts(d, "+OK ");
		pop3d_list_one(d, (size_t)i, uidl);
	} else {
		pop3d_puts(d, "+OK \r\n");
		for (j = 0; j < d->count; j++)
			if (!(d->msgs[j].flags & POP3D_DELETED))
				pop3d_list_one(d, j, uidl);
		pop3d_puts(d, ".\r\n");
	}
	pop3d_flush(d);
}

static void
pop3d_list(struct pop3d *d, const char *arg)
{
	pop3d_listing(d, arg, 0);
}

static void
pop3d_uidl(struct pop3d *d, const char *arg)
{
	pop3d_listing(d, arg, 1);
}

static void
pop3d_dele(struct pop3d *d, const char *arg)
{
	long i = pop3d_msgno(d, arg, NULL);

	if (i == -1)
		return;
	d->msgs[i].flags |= POP3D_DELETED;
	if ((size_t)i + 1 > d->last)
		d->last = (size_t)i + 1;
	pop3d_ok(d);
}

static void
pop3d_rset(struct pop3d *d, const char *arg)
{
	size_t i;

	(void)arg;
	for (i = 0; i < d->count; i++)
		d->msgs[i].flags &= ~(uint32_t)POP3D_DELETED;
	d->last = 0;
	pop3d_ok(d);
}

static void
pop3d_last(struct pop3d *d, const char *arg)
{
	(void)arg;
	pop3d_puts(d, "+OK ");
	pop3d_putnum(d, d->last);
	pop3d_puts(d, "\r\n");
	pop3d_flush(d);
}

static void
pop3d_noop(struct pop3d *d, const char *arg)
{
	(void)arg;
	pop3d_ok(d);
}

static void
pop3d_capa(struct pop3d *d, const char *arg)
{
	(void)arg;
	pop3d_puts(d, "+OK capability list follows\r\nTOP\r\nUIDL\r\n.\r\n");
	pop3d_flush(d);
}

/*
 * The state of sending one message: lines are found across reads of the
 * file, so a line of any length costs no memory.
 */
struct pop3d_blast {
	int at_start;               /* the next byte starts a line */
	int in_headers;             /* no empty line seen yet */
	int held_cr;                /* a CR ended the last read: CR LF? */
	unsigned long long content; /* bytes of the current line sent */
	unsigned long long limit;   /* qmail's: 0 all, else body lines + 1 */
};

static void
pop3d_blast_eol(struct pop3d *d, struct pop3d_blast *b)
{
	if (b->content == 0)
		b->in_headers = 0;
	pop3d_put(d, "\r\n", 2);
	b->at_start = 1;
}

/*
 * pop3d_blast_chunk - send buf[0..n) of a message; 1 when the TOP limit
 * has been reached (stop reading), else 0.
 */
static int
pop3d_blast_chunk(
    struct pop3d *d, struct pop3d_blast *b, const char *buf, size_t n)
{
	const char *nl;
	size_t i = 0, end, seg;

	if (b->held_cr && n > 0) {
		b->held_cr = 0;
		if (buf[0] == '\n') {
			pop3d_blast_eol(d, b); /* the CR was the line end's */
			i = 1;
		} else {
			pop3d_put(d, "\r", 1);
			b->content++;
		}
	}
	while (i < n) {
		if (b->at_start) {
			if (b->limit != 0 && !b->in_headers && --b->limit == 0)
				return 1;
			b->at_start = 0;
			b->content = 0;
			if (buf[i] == '.')
				pop3d_put(d, ".", 1);
		}
		nl = memchr(buf + i, '\n', n - i);
		end = nl != NULL ? (size_t)(nl - buf) : n;
		seg = end;
		if (seg > i && buf[seg - 1] == '\r') {
			seg--; /* CR LF in the file: the CR is not content */
			if (nl == NULL)
				b->held_cr = 1;
		}
		pop3d_put(d, buf + i, seg - i);
		b->content += seg - i;
		if (nl == NULL)
			break;
		pop3d_blast_eol(d, b);
		i = end + 1;
	}
	return 0;
}

/*
 * pop3d_blast - send the message on fd, all of it (limit 0) or its
 * headers and limit - 1 body lines.  A read error after +OK cannot be
 * told to the client any more: the session ends.
 */
static void
pop3d_blast(struct pop3d *d, int fd, unsigned long long limit)
{
	struct pop3d_blast b = {1, 1, 0, 0, limit};
	ssize_t r;

	for (;;) {
		r = read(fd, pop3d_filebuf, sizeof(pop3d_filebuf));
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1) {
			log_warn("unable to read a message");
			pop3d_gone();
		}
		if (r == 0)
			break;
		if (pop3d_blast_chunk(d, &b, pop3d_filebuf, (size_t)r))
			break;
	}
	if (b.held_cr)
		pop3d_put(d, "\r", 1);
	if (!b.at_start || b.held_cr)
		pop3d_put(d, "\r\n", 2);
	pop3d_put(d, "\r\n.\r\n", 5);
	pop3d_flush(d);
}

/* pop3d_send - RETR (top 0) and TOP */
static void
pop3d_send(struct pop3d *d, const char *arg, int top)
{
	char path[POP3D_NAME_MAX + 6];
	unsigned long long limit = 0, lines;
	const char *rest;
	long i;
	int fd;

	i = pop3d_msgno(d, arg, &rest);
	if (i == -1)
		return;
	if (top) {
		/* qmail's TOP: without a line count, the whole message */
		while (*rest == ' ')
			rest++;
		if (scan_ulong(rest, &lines) > 0)
			limit = lines < 0xffffffffffffULL ? lines + 1
			                                  : 0xffffffffffffULL;
	}
	pop3d_path(d, &d->msgs[i], path);
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd == -1) {
		pop3d_err(d, "unable to open that message");
		return;
	}
	pop3d_puts(d, "+OK \r\n");
	pop3d_blast(d, fd, limit);
	close(fd);
}

static void
pop3d_retr(struct pop3d *d, const char *arg)
{
	pop3d_send(d, arg, 0);
}

static void
pop3d_top(struct pop3d *d, const char *arg)
{
	pop3d_send(d, arg, 1);
}

/*
 * pop3d_quit - the UPDATE state: unlink what was deleted, move the rest
 * of new/ to cur/ with ":2,", make both directories durable, answer and
 * end.  A message another reader took meanwhile is not an error.
 */
static _Noreturn void
pop3d_quit(struct pop3d *d, const char *arg)
{
	char from[POP3D_NAME_MAX + 6];
	char to[POP3D_NAME_MAX + 10];
	const char *name;
	int failed = 0, new_changed = 0, cur_changed = 0;
	size_t i;

	(void)arg;
	for (i = 0; i < d->count; i++) {
		pop3d_path(d, &d->msgs[i], from);
		name = pop3d_name(d, &d->msgs[i]);
		if (d->msgs[i].flags & POP3D_DELETED) {
			if (unlink(from) == -1 && errno != ENOENT)
				failed = 1;
			if (d->msgs[i].flags & POP3D_NEW)
				new_changed = 1;
			else
				cur_changed = 1;
		} else if (d->msgs[i].flags & POP3D_NEW) {
			if (snprintf(to, sizeof(to), "cur/%s%s", name,
			        strchr(name, ':') ? "" : ":2,") >=
			    (int)sizeof(to))
				continue;
			/* never over a message already there */
			if (renameat2(AT_FDCWD, from, AT_FDCWD, to,
			        RENAME_NOREPLACE) == -1 &&
			    errno == EINVAL)
				(void)rename(from, to);
			new_changed = cur_changed = 1;
		}
	}
	if (new_changed && fsync_dir("new") == -1)
		failed = 1;
	if (cur_changed && fsync_dir("cur") == -1)
		failed = 1;
	if (failed)
		pop3d_err(d, "unable to unlink all deleted messages");
	else
		pop3d_ok(d);
	_exit(EXIT_OK);
}

struct pop3d_command {
	const char *verb;
	void (*run)(struct pop3d *, const char *);
};

static const struct pop3d_command pop3d_commands[] = {
    {"quit", pop3d_quit},
    {"stat", pop3d_stat},
    {"list", pop3d_list},
    {"uidl", pop3d_uidl},
    {"dele", pop3d_dele},
    {"retr", pop3d_retr},
    {"rset", pop3d_rset},
    {"last", pop3d_last},
    {"top", pop3d_top},
    {"noop", pop3d_noop},
    {"capa", pop3d_capa},
};

static void
pop3d_loop(struct pop3d *d)
{
	struct pop3cmd cmd;
	size_t i;
	int r;

	pop3cmd_init(&cmd);
	for (;;) {
		r = pop3cmd_read(&d->in, &cmd);
		if (r == 0)
			pop3d_gone();
		if (r == -1) {
			if (errno == E2BIG)
				pop3d_err(d, "line too long");
			else if (errno == EINVAL)
				pop3d_err(d, "syntax error");
			else
				pop3d_gone();
			continue;
		}
		for (i = 0;
		     i < sizeof(pop3d_commands) / sizeof(pop3d_commands[0]);
		     i++)
			if (pop3cmd_is(&cmd, pop3d_commands[i].verb))
				break;
		if (i == sizeof(pop3d_commands) / sizeof(pop3d_commands[0]))
			pop3d_err(d, "unimplemented");
		else
			pop3d_commands[i].run(d, cmd.arg);
	}
}

int
main(int argc, char **argv)
{
	static struct pop3d d;
	unsigned long timeout;
	int ms;

	err_setprogname("qmail-pop3d");
	if (sig_ignore(SIGPIPE) == -1)
		fatal(EXIT_TEMP, "unable to ignore SIGPIPE");
	if (getuid() == 0 || geteuid() == 0)
		fatalx(POP3D_EXIT_ROOT, "invoked as uid 0, terminating");
	iobuf_init(&d.out, 1, pop3d_outspace, sizeof(pop3d_outspace), -1);
	if (pop3cmd_timeout(&timeout) == -1) {
		pop3d_err(&d, "unable to read controls");
		log_warn("unable to read control/timeoutpop3d");
		return EXIT_OK;
	}
	ms = (int)(timeout * 1000);
	d.out.timeout_ms = ms;
	iobuf_init(&d.in, 0, pop3d_inspace, sizeof(pop3d_inspace), ms);

	if (argc < 2 || argv[1][0] == '\0' || chdir(argv[1]) == -1) {
		pop3d_err(&d, "this user has no $HOME/Maildir");
		return EXIT_OK;
	}
	(void)maildirscan_clean_tmp(".", time(NULL), MAILDIRSCAN_TMP_AGE);
	bytes_init(&d.names, POP3D_NAMES_MAX);
	if (pop3d_scan(&d) == -1) {
		pop3d_err(&d, "unable to scan $HOME/Maildir");
		log_warn("unable to scan the Maildir");
		return EXIT_OK;
	}
	pop3d_ok(&d);
	pop3d_loop(&d);
	return EXIT_OK;
}
