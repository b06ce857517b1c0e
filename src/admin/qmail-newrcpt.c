/*
 * qmail-newrcpt - build the database of valid local recipients that
 * qmail-smtpd consults at RCPT time (qmail-newrcpt(8), rcptdb.h).
 *
 * Usage: qmail-newrcpt
 *
 * Run by root (it reads the users' home directories), after changing
 * users/assign (and running qmail-newu), the passwd database, ~alias or
 * dot-qmail files; a cron job is the usual way.  It works out, for every
 * rule qmail-lspawn and qmail-local would follow, which "local" strings
 * (local part, or prefix-local part for a virtual domain) would be
 * delivered rather than bounced with "no mailbox here by that name":
 *
 *   - users/cdb: each =local assignment, each +prefix assignment, with
 *     the dot-qmail files in its home deciding the extensions;
 *   - the passwd database as qmail-getpw reads it: USER is deliverable,
 *     USER-EXT when a .qmail-EXT or a matching -default file exists;
 *   - the alias user (~alias/.qmail-NAME, .qmail-PREFIX-default,
 *     .qmail-default) for everything else.
 *
 * The result goes to users/rcpt.cdb through users/rcpt.tmp and a rename:
 * a reader sees the whole old database or the whole new one.  Any error
 * leaves the old database in place and exits 111.  A home that cannot be
 * read is a warning, and everything under its rule is accepted (the
 * database errs towards accepting, never towards refusing).
 */
#include <dirent.h>
#include <errno.h>
#include <pwd.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bytes.h"
#include "cdbfile.h"
#include "conf.h"
#include "domainmap.h"
#include "err.h"
#include "exitcodes.h"
#include "rcptdb.h"
#include "users.h"

/* Account names qmail-getpw considers are shorter than this. */
#define NEWRCPT_USERLEN 32
/* Most dot-qmail files looked at in one home; past it, all accepted. */
#define NEWRCPT_HOME_FILES 100000
/* Most keys in the database. */
#define NEWRCPT_KEYS_MAX 20000000UL
/* Longest key (a local part with a prefix). */
#define NEWRCPT_KEY_MAX ((size_t)64 * 1024)

static struct cdbfile_writer writer = { .fd = -1 };
static struct domainmap seen;   /* the keys written so far */
static unsigned char ends[256]; /* last bytes of the prefixes */
static int all;                 /* the empty prefix is present */
static unsigned long nkeys;

static noreturn void
die_sys(const char *what, const char *obj)
{
	int saved = errno;

	cdbfile_writer_abort(&writer);
	errno = saved;
	fatal(EXIT_TEMP, "unable to %s %s", what, obj);
}

static noreturn void
die_nomem(void)
{
	errno = ENOMEM;
	die_sys("allocate", "memory");
}

/* key_add - record kind ('=' or '+') with the normalised text s[0..len) */
static void
key_add(char kind, const char *s, size_t len)
{
	struct bytes key = BYTES_INIT(NEWRCPT_KEY_MAX + 2);
	int r;

	if (len > NEWRCPT_KEY_MAX) {
		errno = E2BIG;
		die_sys("add a key for", "a very long local part");
	}
	if (bytes_append_char(&key, kind) == -1 ||
	    bytes_append(&key, s, len) == -1)
		die_nomem();
	r = domainmap_add(&seen, key.s, key.len, NULL);
	if (r == -1)
		die_nomem();
	if (r == 0) {
		if (++nkeys > NEWRCPT_KEYS_MAX) {
			errno = E2BIG;
			die_sys("add more keys to", RCPTDB_TMP);
		}
		if (cdbfile_writer_add(&writer, key.s, key.len, "", 0) == -1)
			die_sys("write", RCPTDB_TMP);
		if (kind == '+') {
			if (len == 0)
				all = 1;
			else
				ends[(unsigned char)s[len - 1]] = 1;
		}
	}
	bytes_free(&key);
}

/* key_add2 - key_add of a followed by b[0..blen) */
static void
key_add2(char kind, const struct bytes *a, const char *b, size_t blen)
{
	struct bytes s = BYTES_INIT(NEWRCPT_KEY_MAX + 1);

	if (bytes_append(&s, a->s, a->len) == -1 ||
	    bytes_append(&s, b, blen) == -1) {
		if (errno == E2BIG)
			die_sys("add a key for", "a very long local part");
		die_nomem();
	}
	key_add(kind, s.s, s.len);
	bytes_free(&s);
}

/*
 * home_list - the dot-qmail names in home starting with ".qmail" dash,
 * without that start, NUL-separated into names.  Returns 0, or -1 (a
 * warning has been given) if the directory cannot be read or holds too
 * many of them.
 */
static int
home_list(const char *home, const char *dash, struct bytes *names)
{
	size_t dlen = 6 + strlen(dash), count = 0;
	struct dirent *de;
	DIR *dir;

	bytes_truncate(names, 0);
	dir = opendir(home);
	if (dir == NULL) {
		log_warn("unable to read %s, accepting all its addresses", home);
		return -1;
	}
	for (;;) {
		errno = 0;
		de = readdir(dir);
		if (de == NULL)
			break;
		if (strncmp(de->d_name, ".qmail", 6) != 0 ||
		    strncmp(de->d_name + 6, dash, dlen - 6) != 0)
			continue;
		if (++count > NEWRCPT_HOME_FILES) {
			log_warnx("more than %d dot-qmail files in %s, "
				  "accepting all its addresses",
			    NEWRCPT_HOME_FILES, home);
			closedir(dir);
			return -1;
		}
		if (bytes_append_str(names, de->d_name + dlen) == -1 ||
		    bytes_append_char(names, '\0') == -1)
			die_nomem();
	}
	if (errno != 0) {
		log_warn("unable to read %s, accepting all its addresses", home);
		closedir(dir);
		return -1;
	}
	closedir(dir);
	return 0;
}

/* starts_with - 1 if s[0..slen) starts with p[0..plen) (p may be NULL
 * when plen is 0) */
static int
starts_with(const char *s, size_t slen, const char *p, size_t plen)
{
	return plen == 0 || (slen >= plen && memcmp(s, p, plen) == 0);
}

/* default_part - if name is P "default" with P empty or ending in '-',
 * the length of P, else -1 */
static long
default_part(const char *name, size_t len)
{
	if (len < 7 || memcmp(name + len - 7, "default", 7) != 0)
		return -1;
	if (len > 7 && name[len - 8] != '-')
		return -1;
	return (long)(len - 7);
}

/*
 * family_add - a rule that takes every local "locprefix R" (R any) with
 * user home, dash and extension "ext R": add what the dot-qmail files in
 * home make deliverable.  locprefix and ext are normalised.
 */
static void
family_add(const struct bytes *locprefix, const char *home, const char *dash,
    const struct bytes *ext)
{
	struct bytes names = BYTES_INIT((size_t)256 * 1024 * 1024);
	const char *x;
	size_t xlen, el = ext->len;
	long p;

	if (*dash == '\0' || home_list(home, dash, &names) == -1) {
		key_add('+', locprefix->s, locprefix->len);
		bytes_free(&names);
		return;
	}
	for (x = names.s; x != NULL && x < names.s + names.len;
	     x += xlen + 1) {
		struct bytes nx = BYTES_INIT(NEWRCPT_KEY_MAX);

		xlen = strlen(x);
		if (rcptdb_norm(&nx, x, xlen) == -1)
			die_nomem();
		if (starts_with(nx.s, xlen, ext->s, el))
			key_add2('=', locprefix, nx.s + el, xlen - el);
		p = default_part(nx.s, xlen);
		if (p >= 0) {
			size_t pl = (size_t)p;
			if (starts_with(nx.s, pl, ext->s, el))
				key_add2('+', locprefix, nx.s + el, pl - el);
			else if (starts_with(ext->s, el, nx.s, pl))
				key_add('+', locprefix->s, locprefix->len);
		}
		bytes_free(&nx);
	}
	bytes_free(&names);
}

/* exact_add - a rule that takes exactly local, with home, dash and ext */
static void
exact_add(const struct bytes *local, const char *home, const char *dash,
    const struct bytes *ext)
{
	struct bytes names = BYTES_INIT((size_t)256 * 1024 * 1024);
	const char *x;
	size_t xlen;
	long p;
	int ok = 0;

	if (*dash == '\0' || home_list(home, dash, &names) == -1)
		ok = 1;
	for (x = names.s; !ok && x != NULL && x < names.s + names.len;
	     x += xlen + 1) {
		struct bytes nx = BYTES_INIT(NEWRCPT_KEY_MAX);

		xlen = strlen(x);
		if (rcptdb_norm(&nx, x, xlen) == -1)
			die_nomem();
		if (xlen == ext->len && starts_with(nx.s, xlen, ext->s, xlen))
			ok = 1;
		p = default_part(nx.s, xlen);
		if (p >= 0 && starts_with(ext->s, ext->len, nx.s, (size_t)p))
			ok = 1;
		bytes_free(&nx);
	}
	if (ok)
		key_add('=', local->s, local->len);
	bytes_free(&names);
}

static void
norm_into(struct bytes *out, const char *s, size_t len)
{
	bytes_truncate(out, 0);
	if (rcptdb_norm(out, s, len) == -1)
		die_nomem();
}

/* assign_add - the users/cdb records: "!" local NUL or "!" prefix */
static void
assign_add(struct cdbfile *c)
{
	struct users_entry e;
	struct bytes loc = BYTES_INIT(NEWRCPT_KEY_MAX);
	struct bytes ext = BYTES_INIT(NEWRCPT_KEY_MAX);
	struct bytes val = BYTES_INIT(USERS_VALUE_MAX + 2);
	unsigned pos;
	int r;

	users_entry_init(&e);
	cdb_seqinit(&pos, &c->cdb);
	while ((r = cdb_seqnext(&pos, &c->cdb)) > 0) {
		unsigned klen = cdb_keylen(&c->cdb);
		unsigned dlen = cdb_datalen(&c->cdb);
		const char *k = cdb_getkey(&c->cdb);
		const char *d = cdb_getdata(&c->cdb);
		int exact;

		if (klen == 0)
			continue; /* the wildcard index */
		if (k == NULL || (d == NULL && dlen > 0) || k[0] != '!') {
			errno = EPROTO;
			die_sys("read", USERS_CDB);
		}
		exact = klen >= 2 && k[klen - 1] == '\0';
		if (klen - 1 - (unsigned)exact > NEWRCPT_KEY_MAX) {
			errno = E2BIG;
			die_sys("read", USERS_CDB);
		}
		/* a users/cdb value has no NUL after ext (users.h): add it,
		 * as users_cdb_lookup does, so an empty ext is a field */
		if (bytes_copy(&val, d, dlen) == -1 ||
		    bytes_append_char(&val, '\0') == -1)
			die_sys("read", USERS_CDB);
		if (users_entry_parse(&e, val.s, val.len) == -1)
			die_sys("read", USERS_CDB);
		norm_into(&loc, k + 1, klen - 1 - (unsigned)exact);
		norm_into(&ext, e.ext, strlen(e.ext));
		if (exact)
			exact_add(&loc, e.home, e.dash, &ext);
		else
			family_add(&loc, e.home, e.dash, &ext);
	}
	if (r < 0)
		die_sys("read", USERS_CDB);
	users_entry_free(&e);
	bytes_free(&val);
	bytes_free(&loc);
	bytes_free(&ext);
}

/* passwd_user_counts - qmail-getpw's test: could getpwnam of a
 * lower-cased local prefix find this account and take it? */
static int
passwd_user_counts(const struct passwd *pw)
{
	struct stat st;
	size_t len = strlen(pw->pw_name), i;

	if (len == 0 || len >= NEWRCPT_USERLEN || pw->pw_uid == 0)
		return 0;
	for (i = 0; i < len; i++)
		if (pw->pw_name[i] >= 'A' && pw->pw_name[i] <= 'Z')
			return 0;
	if (stat(pw->pw_dir, &st) == -1)
		return 0;
	return st.st_uid == pw->pw_uid;
}

static void
passwd_add(void)
{
	struct bytes name = BYTES_INIT(NEWRCPT_USERLEN + 2);
	struct bytes none = BYTES_INIT(1);
	struct passwd *pw;

	setpwent();
	for (;;) {
		errno = 0;
		pw = getpwent();
		if (pw == NULL)
			break;
		if (!passwd_user_counts(pw))
			continue;
		norm_into(&name, pw->pw_name, strlen(pw->pw_name));
		key_add('=', name.s, name.len);
		if (bytes_append_char(&name, '-') == -1)
			die_nomem();
		family_add(&name, pw->pw_dir, "-", &none);
	}
	if (errno != 0 && errno != ENOENT)
		die_sys("read", "the passwd database");
	endpwent();
	bytes_free(&name);
}

/* alias_add - what qmail-getpw hands to the alias user: everything,
 * with dash "-" and the whole local as ext */
static void
alias_add(void)
{
	struct bytes home = BYTES_INIT(4096);
	struct bytes none = BYTES_INIT(1);
	struct passwd *pw;

	if (conf_unprivileged) {
		if (bytes_copy_str(&home, conf_qmail_home) == -1 ||
		    bytes_append_str(&home, "/alias") == -1 ||
		    bytes_cstr(&home) == NULL)
			die_nomem();
	} else {
		errno = 0;
		pw = getpwnam(conf_user_names[CONF_USER_ALIAS]);
		if (pw == NULL) {
			log_warnx("no user %s: nothing is delivered to ~alias",
			    conf_user_names[CONF_USER_ALIAS]);
			return;
		}
		if (bytes_copy_str(&home, pw->pw_dir) == -1 ||
		    bytes_cstr(&home) == NULL)
			die_nomem();
	}
	family_add(&none, home.s, "-", &none);
	bytes_free(&home);
}

/* header_write - the "" record (see rcptdb.h), with the stamps taken
 * before anything was read */
static void
header_write(const struct bytes *stamps)
{
	struct bytes h = BYTES_INIT(RCPTDB_HEADER_MAX);
	unsigned c;

	if (bytes_append(&h, RCPTDB_MAGIC, sizeof(RCPTDB_MAGIC)) == -1)
		die_nomem();
	for (c = 1; c < 256; c++)
		if (ends[c] && bytes_append_char(&h, (char)c) == -1)
			die_nomem();
	if (bytes_append(&h, "", 1) == -1 ||
	    bytes_append(&h, all ? "1" : "0", 2) == -1 ||
	    bytes_append(&h, stamps->s, stamps->len) == -1)
		die_nomem();
	if (cdbfile_writer_add(&writer, "", 0, h.s, h.len) == -1)
		die_sys("write", RCPTDB_TMP);
	bytes_free(&h);
}

int
main(int argc, char **argv)
{
	struct bytes stamps = BYTES_INIT(4096);
	struct cdbfile users;
	size_t i;
	int r;

	(void)argc;
	(void)argv;
	err_setprogname("qmail-newrcpt");
	domainmap_init(&seen);
	if (chdir(conf_qmail_home) == -1)
		fatal(EXIT_TEMP, "unable to chdir to %s", conf_qmail_home);
	for (i = 0; rcptdb_sources[i] != NULL; i++)
		if (bytes_append(&stamps, rcptdb_sources[i],
			strlen(rcptdb_sources[i]) + 1) == -1 ||
		    rcptdb_stamp_append(&stamps, rcptdb_sources[i]) == -1 ||
		    bytes_append_char(&stamps, '\0') == -1)
			fatal(EXIT_TEMP, "unable to stat %s", rcptdb_sources[i]);
	r = cdbfile_open(&users, USERS_CDB);
	if (r == -1)
		fatal(EXIT_TEMP, "unable to open %s", USERS_CDB);
	if (cdbfile_writer_start(&writer, RCPTDB_PATH, RCPTDB_TMP, 0644) == -1)
		fatal(EXIT_TEMP, "unable to create %s", RCPTDB_TMP);
	if (r == 1) {
		assign_add(&users);
		cdbfile_close(&users);
	}
	passwd_add();
	alias_add();
	header_write(&stamps);
	bytes_free(&stamps);
	domainmap_free(&seen);
	if (cdbfile_writer_finish(&writer) == -1)
		fatal(EXIT_TEMP, "unable to replace %s with %s", RCPTDB_PATH,
		    RCPTDB_TMP);
	return EXIT_OK;
}
