/*
 * qmail-newu - compile users/assign into users/cdb for qmail-lspawn.
 *
 * Usage: qmail-newu
 *
 * Reads QMAILHOME/users/assign (qmail-users(5)) and writes
 * QMAILHOME/users/cdb with the keys and values qmail's qmail-newu writes
 * (see users.h), through users/cdb.tmp and a rename, so a reader sees the
 * whole old database or the whole new one.  Any problem with the assign
 * file names its line, leaves users/cdb alone and exits 111.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "bytes.h"
#include "cdbfile.h"
#include "conf.h"
#include "err.h"
#include "exitcodes.h"
#include "iobuf.h"
#include "users.h"

/* Longest assign line (without its newline) and most lines accepted. */
#define ASSIGN_LINE_MAX ((size_t)64 * 1024)
#define ASSIGN_LINES_MAX 1000000UL

/* The assign fields after the leading = or +: local and six more. */
#define ASSIGN_VALUE_COLONS 6

/* The database being written; removed by die_* before exiting. */
static struct cdbfile_writer writer = { .fd = -1 };

static unsigned long lineno;

static noreturn void die_assign(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

static noreturn void
die_assign(const char *fmt, ...)
{
	char why[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof why, fmt, ap);
	va_end(ap);
	cdbfile_writer_abort(&writer);
	fatalx(EXIT_TEMP, "%s line %lu: %s", USERS_ASSIGN, lineno, why);
}

static noreturn void
die_sys(const char *what)
{
	int saved = errno;

	cdbfile_writer_abort(&writer);
	errno = saved;
	fatal(EXIT_TEMP, "%s", what);
}

/* is_id - nonempty decimal digits no larger than USERS_ID_MAX */
static int
is_id(const char *s, size_t len)
{
	unsigned long v = 0;
	size_t i;

	if (len == 0)
		return 0;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return 0;
		if (v > (USERS_ID_MAX - (unsigned long)(s[i] - '0')) / 10)
			return 0;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	return 1;
}

/*
 * add_assignment - check one assign line (without its newline) and add
 * its record; wildchars collects the last byte of each wildcard prefix.
 */
static void
add_assignment(const char *line, size_t len, struct bytes *key,
    struct bytes *value, unsigned char seen[256], struct bytes *wildchars)
{
	const char *colon, *field[ASSIGN_VALUE_COLONS];
	size_t fieldlen[ASSIGN_VALUE_COLONS];
	size_t loclen, pos, i;
	int r;

	if (memchr(line, '\0', len) != NULL)
		die_assign("contains a NUL byte");
	if (len == 0)
		die_assign("empty line (the last line must be a single dot)");
	if (line[0] != '=' && line[0] != '+')
		die_assign("does not start with = or +");
	colon = memchr(line + 1, ':', len - 1);
	if (colon == NULL)
		die_assign("no colon after the address");
	loclen = (size_t)(colon - (line + 1));

	/* The value: user, uid, gid, home, dash, ext, each ended by ':'. */
	pos = loclen + 2;
	for (i = 0; i < ASSIGN_VALUE_COLONS; i++) {
		const char *end;

		end = pos < len ? memchr(line + pos, ':', len - pos) : NULL;
		if (end == NULL)
			die_assign("needs %clocal:user:uid:gid:homedir:dash:%s:",
			    line[0], line[0] == '=' ? "ext" : "pre");
		field[i] = line + pos;
		fieldlen[i] = (size_t)(end - field[i]);
		pos += fieldlen[i] + 1;
	}
	if (!is_id(field[1], fieldlen[1]))
		die_assign("uid is not a number");
	if (!is_id(field[2], fieldlen[2]))
		die_assign("gid is not a number");

	bytes_truncate(value, 0);
	for (i = 0; i < ASSIGN_VALUE_COLONS; i++) {
		if (bytes_append(value, field[i], fieldlen[i]) == -1)
			die_sys("unable to build a record");
		if (i + 1 < ASSIGN_VALUE_COLONS &&
		    bytes_append_char(value, '\0') == -1)
			die_sys("unable to build a record");
	}

	if (line[0] == '=') {
		r = users_key_exact(key, line + 1, loclen);
	} else {
		r = users_key_wild(key, line + 1, loclen);
		if (r == 0 && loclen > 0) {
			unsigned char last = (unsigned char)key->s[key->len - 1];

			if (!seen[last]) {
				seen[last] = 1;
				r = bytes_append_char(wildchars, (char)last);
			}
		}
	}
	if (r == -1)
		die_sys("unable to build a key");
	if (cdbfile_writer_add(&writer, key->s, key->len, value->s,
	    value->len) == -1)
		die_sys("unable to write " USERS_CDB_TMP);
}

int
main(int argc, char **argv)
{
	struct bytes line = BYTES_INIT(ASSIGN_LINE_MAX + 2);
	struct bytes key = BYTES_INIT(ASSIGN_LINE_MAX + 3);
	struct bytes value = BYTES_INIT(ASSIGN_LINE_MAX + 2);
	struct bytes wildchars = BYTES_INIT(257);
	unsigned char seen[256];
	char space[65536];
	struct iobuf in;
	int fd, r;

	err_setprogname("qmail-newu");
	memset(seen, 0, sizeof seen);

	if (chdir(conf_qmail_home) == -1)
		fatal(EXIT_TEMP, "unable to chdir to %s", conf_qmail_home);
	fd = open(USERS_ASSIGN, O_RDONLY | O_CLOEXEC);
	if (fd == -1)
		fatal(EXIT_TEMP, "unable to open %s", USERS_ASSIGN);
	iobuf_init(&in, fd, space, sizeof space, -1);
	if (cdbfile_writer_start(&writer, USERS_CDB, USERS_CDB_TMP, 0644) == -1)
		fatal(EXIT_TEMP, "unable to create %s", USERS_CDB_TMP);

	for (;;) {
		if (++lineno > ASSIGN_LINES_MAX)
			die_assign("more than %lu lines", ASSIGN_LINES_MAX);
		bytes_truncate(&line, 0);
		r = iobuf_getline(&in, &line, '\n');
		if (r == -1) {
			if (errno == E2BIG)
				die_assign("longer than %zu bytes",
				    ASSIGN_LINE_MAX);
			die_sys("unable to read " USERS_ASSIGN);
		}
		/* qmail: a line starting with a dot ends the assignments. */
		if (line.len > 0 && line.s[0] == '.')
			break;
		if (r == 0) {
			if (line.len == 0)
				die_assign("missing the final line "
					   "holding a single dot");
			die_assign("last line has no newline");
		}
		add_assignment(line.s, line.len - 1, &key, &value, seen,
		    &wildchars);
	}
	close(fd);

	if (cdbfile_writer_add(&writer, "", 0,
	    wildchars.len ? wildchars.s : "", wildchars.len) == -1)
		die_sys("unable to write " USERS_CDB_TMP);
	if (cdbfile_writer_finish(&writer) == -1)
		fatal(EXIT_TEMP, "unable to replace %s with %s", USERS_CDB,
		    USERS_CDB_TMP);
	bytes_free(&line);
	bytes_free(&key);
	bytes_free(&value);
	bytes_free(&wildchars);
	return EXIT_OK;
}
