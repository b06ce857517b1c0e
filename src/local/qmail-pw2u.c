/*
 * qmail-pw2u - turn a passwd file into qmail-users assignments.
 *
 * Usage: qmail-pw2u [ -/ohHuUC ] [ -cchar ] < passwd > assign
 *
 * Reads a V7 passwd file (user:password:uid:gid:gecos:home:shell) on
 * stdin and prints users/assign lines (qmail-users(5)) on stdout, ended
 * by a line holding a single dot, following qmail-getpw's rules unless
 * the options or the files QMAILHOME/users/{include,exclude,mailnames,
 * subusers,append} say otherwise (qmail-pw2u(8)).  Exit 0, 100 for a bad
 * option, 111 for any other trouble (nothing complete is printed then:
 * the final dot is missing, so qmail-newu refuses the output).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bytes.h"
#include "conf.h"
#include "control.h"
#include "err.h"
#include "exitcodes.h"
#include "iobuf.h"

/* Longest passwd, subusers or append line (without its newline). */
#define PW2U_LINE_MAX ((size_t)64 * 1024)

/* Most memory the accepted accounts may take (for subusers lookups). */
#define PW2U_USERS_MAX ((size_t)256 * 1024 * 1024)

/* Most entries in one name map (include, exclude, mailnames, users). */
#define PW2U_MAP_MAX ((size_t)16 * 1024 * 1024)

enum home_strategy {
	HOME_IGNORE,    /* -H: do not look at home */
	HOME_MUST_EXIST, /* -h: stop if a home is missing */
	HOME_SKIP       /* -o: skip users whose home is missing */
};

static struct {
	const char *dashcolon; /* "-:" or, with -/, "-/:" */
	char brk;              /* user-extension delimiter, NUL for none */
	int allow_upper;
	enum home_strategy home;
} opt = { "-:", '-', 0, HOME_SKIP };

/* A lookup table of names (ASCII case ignored, as qmail's constmap). */
struct map_entry {
	const char *key;
	size_t keylen;
	const char *value; /* what follows the key's colon, or NULL */
	size_t order;      /* position in the file: the first one wins */
};

struct map {
	struct map_entry *e;
	size_t n;
	size_t cap;
};

static struct iobuf out;

static noreturn void
die_write(void)
{
	fatal(EXIT_TEMP, "unable to write output");
}

static void
put(const char *s, size_t n)
{
	if (iobuf_write(&out, s, n) == -1)
		die_write();
}

static void
puts_(const char *s)
{
	put(s, strlen(s));
}

static int
name_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
	size_t i;

	for (i = 0; i < alen && i < blen; i++) {
		unsigned char x = (unsigned char)a[i], y = (unsigned char)b[i];

		if (x >= 'A' && x <= 'Z')
			x = (unsigned char)(x - 'A' + 'a');
		if (y >= 'A' && y <= 'Z')
			y = (unsigned char)(y - 'A' + 'a');
		if (x != y)
			return x < y ? -1 : 1;
	}
	if (alen != blen)
		return alen < blen ? -1 : 1;
	return 0;
}

static int
entry_cmp(const void *pa, const void *pb)
{
	const struct map_entry *a = pa, *b = pb;
	int r = name_cmp(a->key, a->keylen, b->key, b->keylen);

	if (r != 0)
		return r;
	return a->order < b->order ? -1 : a->order > b->order;
}

static void
map_add(struct map *m, const char *key, size_t keylen, const char *value)
{
	if (m->n == m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 64;
		struct map_entry *e;

		if (cap > PW2U_MAP_MAX)
			fatalx(EXIT_TEMP, "out of memory: too many names");
		e = realloc(m->e, cap * sizeof *e);
		if (e == NULL)
			fatal(EXIT_TEMP, "out of memory");
		m->e = e;
		m->cap = cap;
	}
	m->e[m->n].key = key;
	m->e[m->n].keylen = keylen;
	m->e[m->n].value = value;
	m->e[m->n].order = m->n;
	m->n++;
}

static void
map_sort(struct map *m)
{
	if (m->n > 1)
		qsort(m->e, m->n, sizeof *m->e, entry_cmp);
}

/* map_find - the first entry added for key, or NULL */
static const struct map_entry *
map_find(const struct map *m, const char *key, size_t keylen)
{
	size_t lo = 0, hi = m->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (name_cmp(m->e[mid].key, m->e[mid].keylen, key, keylen) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < m->n &&
	    name_cmp(m->e[lo].key, m->e[lo].keylen, key, keylen) == 0)
		return &m->e[lo];
	return NULL;
}

/*
 * map_load - read a users/ list file into m: the whole line is the key,
 * or with colon set the part before the first colon (lines without one
 * are ignored) and the rest is the value.  Returns 1 or 0 (no file).
 */
static int
map_load(struct map *m, struct bytes *list, const char *path, int colon)
{
	struct control_iter it;
	const char *line;
	size_t len;
	int r;

	r = control_readlines(list, path);
	if (r == -1)
		fatal(EXIT_TEMP, "unable to read %s", path);
	if (r == 0)
		return 0;
	control_iter_start(&it, list);
	while (control_iter_next(&it, &line, &len)) {
		const char *c = colon ? memchr(line, ':', len) : NULL;

		if (colon && c == NULL)
			continue;
		if (colon)
			map_add(m, line, (size_t)(c - line), c + 1);
		else
			map_add(m, line, len, NULL);
	}
	map_sort(m);
	return 1;
}

/* The inputs, loaded once. */
static struct bytes incl_list = BYTES_INIT(CONTROL_LIST_BYTES);
static struct bytes excl_list = BYTES_INIT(CONTROL_LIST_BYTES);
static struct bytes mana_list = BYTES_INIT(CONTROL_LIST_BYTES);
static struct map incl, excl, mana;
static int have_incl, have_excl, have_mana;

/* Accepted accounts: "user NUL :user:uid:gid:home: NUL" each. */
static struct bytes accounts = BYTES_INIT(PW2U_USERS_MAX);
static int found_alias;

/* split_fields - cut line at colons into at most n fields; the count */
static size_t
split_fields(const char *line, size_t len, const char **f, size_t *flen,
    size_t n)
{
	size_t i = 0, pos = 0;

	while (i < n) {
		const char *c = memchr(line + pos, ':', len - pos);

		if (c == NULL)
			break;
		f[i] = line + pos;
		flen[i] = (size_t)(c - f[i]);
		pos += flen[i] + 1;
		i++;
	}
	return i;
}

static int
all_digits(const char *s, size_t n)
{
	size_t i;

	if (n == 0)
		return 0;
	for (i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

/* print_addresses - "=name" and "+name-" lines for one mail name */
static void
print_addresses(const char *name, size_t n, const char *uugh, size_t ulen)
{
	puts_("=");
	put(name, n);
	put(uugh, ulen);
	puts_("::\n");
	if (opt.brk) {
		puts_("+");
		put(name, n);
		put(&opt.brk, 1);
		put(uugh, ulen);
		puts_(opt.dashcolon);
		puts_(":\n");
	}
}

/* do_account - one passwd line (without its newline) */
static void
do_account(const char *line, size_t len)
{
	struct bytes uugh = BYTES_INIT(3 * PW2U_LINE_MAX);
	const char *f[6], *names;
	size_t flen[6], i;
	unsigned long uid = 0;
	struct stat st;
	char *home;

	if (memchr(line, '\0', len) != NULL)
		return;
	/* user:password:uid:gid:gecos:home: (the shell is not needed) */
	if (split_fields(line, len, f, flen, 6) < 6)
		return;
	if (flen[0] == 0 || !all_digits(f[2], flen[2]) ||
	    !all_digits(f[3], flen[3]))
		return;
	for (i = 0; i < flen[2]; i++) {
		uid = uid * 10 + (unsigned long)(f[2][i] - '0');
		if (uid > 4294967295UL)
			return;
	}
	if (uid == 0)
		return;
	if (!opt.allow_upper)
		for (i = 0; i < flen[0]; i++)
			if (f[0][i] >= 'A' && f[0][i] <= 'Z')
				return;
	if (have_incl && map_find(&incl, f[0], flen[0]) == NULL)
		return;
	if (have_excl && map_find(&excl, f[0], flen[0]) != NULL)
		return;
	if (opt.home != HOME_IGNORE) {
		home = strndup(f[5], flen[5]);
		if (home == NULL)
			fatal(EXIT_TEMP, "out of memory");
		if (stat(home, &st) == -1) {
			if (errno != ENOENT || opt.home == HOME_MUST_EXIST)
				fatal(EXIT_TEMP, "unable to stat %s", home);
			free(home);
			return;
		}
		free(home);
		if ((unsigned long)st.st_uid != uid)
			return;
	}

	/* ":user:uid:gid:home:" */
	for (i = 0; i < 6; i++) {
		if (i == 1 || i == 4)
			continue;
		if (bytes_append_char(&uugh, ':') == -1 ||
		    bytes_append(&uugh, f[i], flen[i]) == -1)
			fatal(EXIT_TEMP, "out of memory");
	}
	if (bytes_append_char(&uugh, ':') == -1)
		fatal(EXIT_TEMP, "out of memory");

	if (bytes_append(&accounts, f[0], flen[0]) == -1 ||
	    bytes_append_char(&accounts, '\0') == -1 ||
	    bytes_append(&accounts, uugh.s, uugh.len) == -1 ||
	    bytes_append_char(&accounts, '\0') == -1)
		fatal(EXIT_TEMP, "out of memory");

	if (flen[0] == strlen(conf_user_names[CONF_USER_ALIAS]) &&
	    memcmp(f[0], conf_user_names[CONF_USER_ALIAS], flen[0]) == 0) {
		puts_("+");
		put(uugh.s, uugh.len);
		puts_(opt.dashcolon);
		puts_(":\n");
		found_alias = 1;
	}

	names = NULL;
	if (have_mana) {
		const struct map_entry *m = map_find(&mana, f[0], flen[0]);

		if (m != NULL)
			names = m->value;
	}
	if (names == NULL) {
		print_addresses(f[0], flen[0], uugh.s, uugh.len);
	} else {
		/* "mailname1:mailname2:...", empty names skipped */
		while (*names) {
			size_t n = strcspn(names, ":");

			if (n > 0)
				print_addresses(names, n, uugh.s, uugh.len);
			names += n;
			if (*names == ':')
				names++;
		}
	}
	bytes_free(&uugh);
}

/* do_subuser - one "sub:user:pre:" line (without its newline) */
static void
do_subuser(const struct map *users, const char *line, size_t len)
{
	const struct map_entry *u;
	const char *f[3];
	size_t flen[3];

	if (split_fields(line, len, f, flen, 3) < 3)
		return;
	u = map_find(users, f[1], flen[1]);
	if (u == NULL)
		fatalx(EXIT_TEMP, "unable to find %.*s user for subuser",
		    (int)(flen[1] > 200 ? 200 : flen[1]), f[1]);
	puts_("=");
	put(f[0], flen[0]);
	puts_(u->value);
	puts_(opt.dashcolon);
	put(f[2], flen[2]);
	puts_(":\n");
	if (opt.brk) {
		puts_("+");
		put(f[0], flen[0]);
		put(&opt.brk, 1);
		puts_(u->value);
		puts_(opt.dashcolon);
		put(f[2], flen[2]);
		puts_("-:\n");
	}
}

/*
 * for_each_line - call fn on every line of fd (without its newline; a
 * last line without one counts).  what names the input in messages.
 */
static void
for_each_line(int fd, const char *what, void (*fn)(void *, const char *,
    size_t), void *arg)
{
	struct bytes line = BYTES_INIT(PW2U_LINE_MAX + 2);
	char space[65536];
	struct iobuf in;
	int r;

	iobuf_init(&in, fd, space, sizeof space, -1);
	for (;;) {
		bytes_truncate(&line, 0);
		r = iobuf_getline(&in, &line, '\n');
		if (r == -1) {
			if (errno == E2BIG)
				fatalx(EXIT_TEMP, "unable to read %s: a line "
				    "is longer than %zu bytes", what,
				    PW2U_LINE_MAX);
			fatal(EXIT_TEMP, "unable to read %s", what);
		}
		if (r == 1)
			line.len--;
		if (r == 1 || line.len > 0)
			fn(arg, line.s ? line.s : "", line.len);
		if (r == 0)
			break;
	}
	bytes_free(&line);
}

static void
account_cb(void *arg, const char *line, size_t len)
{
	(void)arg;
	do_account(line, len);
}

static void
subuser_cb(void *arg, const char *line, size_t len)
{
	do_subuser(arg, line, len);
}

static void
append_cb(void *arg, const char *line, size_t len)
{
	(void)arg;
	put(line, len);
	puts_("\n");
}

/* open_optional - open a users/ file: the descriptor, or -1 if missing */
static int
open_optional(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd == -1 && errno != ENOENT)
		fatal(EXIT_TEMP, "unable to read %s", path);
	return fd;
}

static noreturn void
usage(void)
{
	fatalx(EXIT_PERM, "usage: qmail-pw2u [ -/ohHuUC ] [ -cchar ]");
}

int
main(int argc, char **argv)
{
	struct map users = { NULL, 0, 0 };
	char space[65536];
	size_t pos;
	int c, fd;

	err_setprogname("qmail-pw2u");
	opterr = 0;
	while ((c = getopt(argc, argv, "/ohHuUc:C")) != -1)
		switch (c) {
		case '/': opt.dashcolon = "-/:"; break;
		case 'o': opt.home = HOME_SKIP; break;
		case 'h': opt.home = HOME_MUST_EXIST; break;
		case 'H': opt.home = HOME_IGNORE; break;
		case 'u': opt.allow_upper = 1; break;
		case 'U': opt.allow_upper = 0; break;
		case 'c': opt.brk = optarg[0]; break;
		case 'C': opt.brk = '\0'; break;
		default: usage();
		}
	if (optind != argc)
		usage();

	if (chdir(conf_qmail_home) == -1)
		fatal(EXIT_TEMP, "unable to chdir to %s", conf_qmail_home);
	have_incl = map_load(&incl, &incl_list, "users/include", 0);
	have_excl = map_load(&excl, &excl_list, "users/exclude", 0);
	have_mana = map_load(&mana, &mana_list, "users/mailnames", 1);

	iobuf_init(&out, 1, space, sizeof space, -1);
	for_each_line(0, "input", account_cb, NULL);
	if (!found_alias)
		fatalx(EXIT_TEMP, "unable to find %s user",
		    conf_user_names[CONF_USER_ALIAS]);

	fd = open_optional("users/subusers");
	if (fd != -1) {
		/* index the accepted accounts by name */
		for (pos = 0; pos < accounts.len;) {
			const char *name = accounts.s + pos;
			size_t nlen = strlen(name);
			const char *uugh = name + nlen + 1;

			map_add(&users, name, nlen, uugh);
			pos += nlen + 1 + strlen(uugh) + 1;
		}
		map_sort(&users);
		for_each_line(fd, "users/subusers", subuser_cb, &users);
		close(fd);
		free(users.e);
	}

	fd = open_optional("users/append");
	if (fd != -1) {
		for_each_line(fd, "users/append", append_cb, NULL);
		close(fd);
	}

	puts_(".\n");
	if (iobuf_flush(&out) == -1)
		die_write();
	return EXIT_OK;
}
