/*
 * qmail-getpw - find the user who controls a local address, from the
 * system's passwd database (qmail-getpw(8)).
 *
 * Usage: qmail-getpw local
 *
 * Prints "user NUL uid NUL gid NUL home NUL dash NUL ext NUL" on stdout.
 * The user is the longest prefix of local, ending at the end of local or
 * just before a '-', shorter than 32 bytes, that lower-cased names an
 * account with a nonzero uid owning an existing home directory; then dash
 * is "-" and ext the rest after that '-' (both empty when the whole of
 * local matched).  Otherwise the alias user takes the address with dash
 * "-" and ext the whole of local.  Exit codes are qmail's (users.h):
 * 0, 100 without an argument, QLX_NOALIAS, QLX_NFS, QLX_SYS; nothing is
 * printed unless the exit code is 0.
 */
#include <errno.h>
#include <pwd.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bytes.h"
#include "conf.h"
#include "exitcodes.h"
#include "iobuf.h"
#include "users.h"

/* Account names considered are shorter than this (qmail's limit). */
#define GETPW_USERLEN 32

/* The user-extension delimiter (qmail's conf-break). */
#define GETPW_BREAK '-'

struct found {
	const char *user;
	unsigned long uid;
	unsigned long gid;
	const char *home;
	const char *dash;
	const char *ext;
};

/* lookup_error_is_temporary - getpwnam or stat failed in a way worth
 * retrying (rather than "no such account" or "no such directory") */
static int
lookup_error_is_temporary(int e)
{
	switch (e) {
	case EINTR:
	case EIO:
	case EAGAIN:
	case ENOMEM:
	case ENFILE:
	case EMFILE:
	case ETXTBSY:
	case ETIMEDOUT:
	case ESTALE:
	case ENOLINK:
	case EHOSTDOWN:
	case EHOSTUNREACH:
	case ENETDOWN:
	case ENETUNREACH:
	case ECONNREFUSED:
		return 1;
	default:
		return 0;
	}
}

/*
 * find_user - the account for the prefix local[0..len), lower-cased, if it
 * counts as a user (nonzero uid, home directory it owns); NULL if not.
 */
static struct passwd *
find_user(const char *local, size_t len)
{
	char name[GETPW_USERLEN];
	struct passwd *pw;
	struct stat st;
	size_t i;

	for (i = 0; i < len; i++)
		name[i] = (local[i] >= 'A' && local[i] <= 'Z')
		    ? (char)(local[i] - 'A' + 'a') : local[i];
	name[len] = '\0';

	errno = 0;
	pw = getpwnam(name);
	if (pw == NULL) {
		if (lookup_error_is_temporary(errno))
			_exit(QLX_SYS);
		return NULL;
	}
	if (pw->pw_uid == 0)
		return NULL;
	if (stat(pw->pw_dir, &st) == -1) {
		if (lookup_error_is_temporary(errno))
			_exit(QLX_NFS);
		return NULL;
	}
	if (st.st_uid != pw->pw_uid)
		return NULL;
	return pw;
}

/*
 * find_alias - the catch-all user.  In an unprivileged build that is the
 * building user with the instance's alias directory as home.
 */
static int
find_alias(struct found *f, struct bytes *home)
{
	struct passwd *pw;

	if (conf_unprivileged) {
		pw = getpwuid((uid_t)conf_unpriv_uid);
		if (pw == NULL)
			return -1;
		f->user = pw->pw_name;
		f->uid = conf_unpriv_uid;
		f->gid = conf_unpriv_gid;
		if (bytes_copy_str(home, conf_qmail_home) == -1 ||
		    bytes_append_str(home, "/alias") == -1 ||
		    bytes_cstr(home) == NULL)
			_exit(QLX_NOMEM);
		f->home = home->s;
		return 0;
	}
	pw = getpwnam(conf_user_names[CONF_USER_ALIAS]);
	if (pw == NULL)
		return -1;
	f->user = pw->pw_name;
	f->uid = pw->pw_uid;
	f->gid = pw->pw_gid;
	f->home = pw->pw_dir;
	return 0;
}

static int
put_field(struct iobuf *out, const char *s)
{
	return iobuf_write(out, s, strlen(s) + 1);
}

static int
put_number(struct iobuf *out, unsigned long u)
{
	struct bytes num = BYTES_INIT(32);
	int r;

	if (bytes_append_ulong(&num, u) == -1 || bytes_cstr(&num) == NULL)
		return -1;
	r = put_field(out, num.s);
	bytes_free(&num);
	return r;
}

int
main(int argc, char **argv)
{
	struct bytes alias_home = BYTES_INIT(4096);
	struct passwd *pw = NULL;
	struct found f;
	struct iobuf out;
	char space[1024];
	const char *local;
	size_t len, p;

	if (argc < 2 || argv[1] == NULL)
		_exit(EXIT_PERM);
	local = argv[1];
	len = strlen(local);

	/* From the whole of local down to the empty prefix: the longest
	 * prefix that names a user wins. */
	for (p = len + 1; p-- > 0;) {
		if (p >= GETPW_USERLEN)
			continue;
		if (local[p] != '\0' && local[p] != GETPW_BREAK)
			continue;
		pw = find_user(local, p);
		if (pw != NULL)
			break;
	}

	if (pw != NULL) {
		f.user = pw->pw_name;
		f.uid = pw->pw_uid;
		f.gid = pw->pw_gid;
		f.home = pw->pw_dir;
		f.dash = local[p] ? "-" : "";
		f.ext = local[p] ? local + p + 1 : "";
	} else {
		if (find_alias(&f, &alias_home) == -1)
			_exit(QLX_NOALIAS);
		f.dash = "-";
		f.ext = local;
	}

	iobuf_init(&out, 1, space, sizeof space, -1);
	if (put_field(&out, f.user) == -1 || put_number(&out, f.uid) == -1 ||
	    put_number(&out, f.gid) == -1 || put_field(&out, f.home) == -1 ||
	    put_field(&out, f.dash) == -1 || put_field(&out, f.ext) == -1 ||
	    iobuf_flush(&out) == -1)
		_exit(QLX_SYS);
	bytes_free(&alias_home);
	return EXIT_OK;
}
