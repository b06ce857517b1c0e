/*
 * qmail-checkpassword - check a system user's password, then run a
 * program as that user (the checkpassword interface;
 * qmail-checkpassword(8)).
 *
 *	qmail-checkpassword subprogram [arg ...]
 *
 * Descriptor 3 carries "user NUL password NUL timestamp NUL" (at most
 * 512 bytes are read; the timestamp is not used: a hash in /etc/shadow
 * cannot check an APOP digest).  The user is looked up with getpwnam and
 * getspnam, the password checked with crypt(3) against the hash.  If it
 * matches, the process takes the user's supplementary groups, gid and
 * uid, changes to the home directory, sets USER, HOME and SHELL and
 * executes subprogram (looked up in $PATH) with its arguments.
 *
 * Refused like a wrong password (exit 1): an unknown user, a locked or
 * empty hash, an expired account (shadow's expiry date), any user with
 * uid 0.  An unknown user costs the same as a known one: the password
 * is hashed anyway, with a fresh setting of the system's preferred
 * method, so the time taken does not say whether the name exists.
 *
 * Run as root it can become any user; run as anyone else it can only
 * "become" that same user (and only if it can read that user's hash),
 * so it refuses every other name.
 *
 * Exit codes: 1 authorization failed, 2 misuse (no descriptor 3, no
 * subprogram, a record without its NULs), 111 temporary failure (user
 * database unreadable, home missing, exec failed); on success nothing
 * returns, the subprogram runs.
 */
#include <crypt.h>
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <shadow.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "err.h"
#include "exitcodes.h"

/* The checkpassword interface's exit codes. */
#define CP_EXIT_BAD 1
#define CP_EXIT_MISUSE 2

/* The interface reads at most this much from descriptor 3. */
#define CP_RECORD_MAX 512

struct cp_user {
	int known; /* the name exists */
	uid_t uid;
	gid_t gid;
	char *name;
	char *home;
	char *shell;
	char *hash; /* NULL: no usable hash */
	int expired;
	int foreign; /* another user, and we are not root */
};

/* cp_read_record - up to CP_RECORD_MAX bytes from fd 3; the count */
static size_t
cp_read_record(char *rec)
{
	size_t n = 0;
	ssize_t r;

	while (n < CP_RECORD_MAX) {
		r = read(3, rec + n, CP_RECORD_MAX - n);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1 && errno == EBADF)
			fatalx(CP_EXIT_MISUSE, "descriptor 3 is not open");
		if (r == -1)
			fatal(EXIT_TEMP, "unable to read descriptor 3");
		if (r == 0)
			break;
		n += (size_t)r;
	}
	close(3);
	return n;
}

static char *
cp_strdup(const char *s)
{
	char *d = strdup(s != NULL ? s : "");

	if (d == NULL)
		fatal(EXIT_TEMP, "unable to allocate memory");
	return d;
}

/* cp_hash_usable - 1 if crypt can check a password against h */
static int
cp_hash_usable(const char *h)
{
	int r;

	if (h == NULL || h[0] == '\0' || h[0] == '!' || h[0] == '*')
		return 0;
	r = crypt_checksalt(h);
	return r == CRYPT_SALT_OK || r == CRYPT_SALT_METHOD_LEGACY;
}

/* cp_lookup - what the user databases say about name */
static void
cp_lookup(const char *name, struct cp_user *u)
{
	struct passwd *pw;
	struct spwd *sp;
	long today;

	memset(u, 0, sizeof(*u));
	if (name[0] == '\0')
		return;
	errno = 0;
	pw = getpwnam(name);
	if (pw == NULL) {
		if (errno == 0 || errno == ENOENT || errno == ESRCH ||
		    errno == EBADF || errno == EPERM)
			return;
		fatal(EXIT_TEMP, "unable to read the user database");
	}
	u->known = 1;
	u->uid = pw->pw_uid;
	u->gid = pw->pw_gid;
	u->name = cp_strdup(pw->pw_name);
	u->home = cp_strdup(pw->pw_dir);
	u->shell = cp_strdup(pw->pw_shell[0] ? pw->pw_shell : "/bin/sh");
	if (geteuid() != 0 && pw->pw_uid != geteuid()) {
		u->foreign = 1; /* not root: cannot become this user */
		return;
	}
	if (cp_hash_usable(pw->pw_passwd))
		u->hash = cp_strdup(pw->pw_passwd);

	errno = 0;
	sp = getspnam(name);
	if (sp == NULL) {
		if (errno == EACCES && u->hash == NULL)
			fatal(EXIT_TEMP, "unable to read the shadow database");
		return; /* no shadow entry: the passwd hash is the one */
	}
	free(u->hash);
	u->hash = cp_hash_usable(sp->sp_pwdp) ? cp_strdup(sp->sp_pwdp) : NULL;
	today = (long)(time(NULL) / 86400);
	if (sp->sp_expire > 0 && today >= sp->sp_expire)
		u->expired = 1;
}

/* cp_equal - compare two C strings without stopping at the first change */
static int
cp_equal(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i;
	unsigned char diff = 0;

	if (la != lb)
		return 0;
	for (i = 0; i < la; i++)
		diff |= (unsigned char)(a[i] ^ b[i]);
	return diff == 0;
}

/*
 * cp_verify - 1 if pass hashes to u->hash, 0 if not, -1 if crypt could
 * not compute the hash, which must not look like a wrong password: the
 * hash passed crypt_checksalt, so the cause is elsewhere, most often
 * memory (yescrypt and scrypt need many megabytes, and a tight softlimit
 * denies them; libxcrypt says EINVAL then too).  Without a usable hash
 * the password is hashed all the same, so that "no such user" takes as
 * long as "wrong password".
 */
static int
cp_verify(const struct cp_user *u, const char *pass)
{
	static struct crypt_data data;
	char setting[CRYPT_GENSALT_OUTPUT_SIZE];
	const char *out;
	int ok = 0;

	if (u->hash != NULL) {
		out = crypt_rn(pass, u->hash, &data, (int)sizeof(data));
		ok = out == NULL ? -1 : cp_equal(out, u->hash);
	} else if (crypt_gensalt_rn(NULL, 0, NULL, 0, setting,
	               (int)sizeof(setting)) != NULL) {
		(void)crypt_rn(pass, setting, &data, (int)sizeof(data));
	}
	explicit_bzero(&data, sizeof(data));
	return ok;
}

/* cp_become - take the user's groups, gid and uid; exit on failure */
static void
cp_become(const struct cp_user *u)
{
	if (geteuid() != 0) {
		if (u->uid != getuid())
			_exit(CP_EXIT_BAD); /* a real uid we cannot keep */
		return;
	}
	if (initgroups(u->name, u->gid) == -1)
		fatal(EXIT_TEMP, "unable to set the groups of %s", u->name);
	if (setgid(u->gid) == -1)
		fatal(EXIT_TEMP, "unable to set gid");
	if (setuid(u->uid) == -1)
		fatal(EXIT_TEMP, "unable to set uid");
	if (getuid() != u->uid || geteuid() != u->uid || getgid() != u->gid ||
	    getegid() != u->gid)
		fatalx(EXIT_TEMP, "unable to drop privileges");
}

int
main(int argc, char **argv)
{
	static char rec[CP_RECORD_MAX + 1];
	struct cp_user u;
	size_t n, ulen, plen;
	const char *user, *pass;
	int ok;

	err_setprogname("qmail-checkpassword");
	if (argc < 2)
		fatalx(CP_EXIT_MISUSE, "usage: qmail-checkpassword subprogram "
		                       "[arg ...]");
	n = cp_read_record(rec);
	rec[n] = '\0';
	user = rec;
	ulen = strnlen(user, n);
	if (ulen == n)
		fatalx(CP_EXIT_MISUSE, "no user name on descriptor 3");
	pass = rec + ulen + 1;
	plen = strnlen(pass, n - ulen - 1);
	if (plen == n - ulen - 1)
		fatalx(CP_EXIT_MISUSE, "no password on descriptor 3");

	cp_lookup(user, &u);
	ok = cp_verify(&u, pass);
	explicit_bzero(rec, sizeof(rec));
	if (ok == -1)
		fatal(EXIT_TEMP, "unable to check the password");
	if (!ok || !u.known || u.foreign || u.expired || u.uid == 0)
		_exit(CP_EXIT_BAD);

	cp_become(&u);
	if (chdir(u.home) == -1)
		fatal(EXIT_TEMP, "unable to change to the home directory");
	if (setenv("USER", u.name, 1) == -1 ||
	    setenv("HOME", u.home, 1) == -1 ||
	    setenv("SHELL", u.shell, 1) == -1)
		fatal(EXIT_TEMP, "unable to set the environment");
	execvp(argv[1], argv + 1);
	fatal(EXIT_TEMP, "unable to run %s", argv[1]);
}
