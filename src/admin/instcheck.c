/*
 * instcheck - verify the qmail tree under the qmail home.
 *
 * Usage: instcheck [BUILDDIR [SRCDIR]]
 *
 * Walks the table of hier.h (the one install(8) follows) and prints one
 * warning line for every missing entry and every wrong type, owner, group
 * or mode, e.g.
 *
 *	instcheck: warning: /var/qmail/queue/pid has mode 755, want 700
 *
 * A program the table names is missing only if it is required or the
 * build made it (BUILDDIR/bin or BUILDDIR/scripts has it).  BUILDDIR
 * defaults to the parent of the directory instcheck was run from, so
 * build/bin/instcheck compares with build/, and an installed
 * /var/qmail/bin/instcheck with the home itself.  With SRCDIR, every man
 * page, document and boot script of the source tree must be installed;
 * without it, those that are installed are checked.  Entries below a
 * missing directory are not reported one by one.
 *
 * Exit 0 if everything is right, 111 if anything is wrong or could not be
 * checked.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <grp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "conf.h"
#include "err.h"
#include "exitcodes.h"
#include "hier.h"
#include "ids.h"

struct check {
	char build[PATH_MAX]; /* where the programs were built */
	const char *src;      /* source tree, or NULL */
	uid_t uid[CONF_NUSERS];
	gid_t gid[CONF_NGROUPS];
	char gone[PATH_MAX]; /* a missing directory, or "" */
	unsigned long problems;
};

__attribute__((format(printf, 2, 3))) static void
problem(struct check *c, const char *fmt, ...)
{
	char line[PATH_MAX + 256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	log_warnx("%s", line);
	c->problems++;
}

__attribute__((format(printf, 2, 3))) static void
path_make(char *buf, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, PATH_MAX, fmt, ap);
	va_end(ap);
	if (n < 0 || n >= PATH_MAX)
		fatalx(EXIT_TEMP, "path too long: %.100s...", buf);
}

static void
home_path(char *buf, const char *rel, const char *name)
{
	if (hier_path(buf, PATH_MAX, rel, name) == -1)
		fatal(EXIT_TEMP, "unable to name %s/%s", conf_qmail_home, rel);
}

static void
check_ids_resolve(struct check *c)
{
	struct ids_all ids;
	const char *name;
	int is_group;

	if (ids_resolve_all(&ids, &name, &is_group) == -1) {
		if (errno == ENOENT)
			fatalx(EXIT_TEMP, "%s %s does not exist",
			    is_group ? "group" : "user", name);
		fatal(EXIT_TEMP, "unable to look up %s %s",
		    is_group ? "group" : "user", name);
	}
	memcpy(c->uid, ids.uid, sizeof(ids.uid));
	memcpy(c->gid, ids.gid, sizeof(ids.gid));
}

/* 1 if path is below the directory already reported missing. */
static int
below_gone(const struct check *c, const char *path)
{
	size_t len = strlen(c->gone);

	return len > 0 && strncmp(path, c->gone, len) == 0 &&
	       (path[len] == '/' || path[len] == '\0');
}

static void
mark_gone(struct check *c, const char *path)
{
	path_make(c->gone, "%s", path);
}

static const char *
type_name(mode_t mode)
{
	switch (mode & S_IFMT) {
	case S_IFREG:
		return "a regular file";
	case S_IFDIR:
		return "a directory";
	case S_IFIFO:
		return "a named pipe";
	case S_IFLNK:
		return "a symbolic link";
	case S_IFSOCK:
		return "a socket";
	case S_IFCHR:
		return "a character device";
	case S_IFBLK:
		return "a block device";
	default:
		return "of an unknown type";
	}
}

static const char *
user_name(uid_t uid, char *buf, size_t size)
{
	struct passwd *pw = getpwuid(uid);

	if (pw != NULL)
		return pw->pw_name;
	snprintf(buf, size, "%lu", (unsigned long)uid);
	return buf;
}

static const char *
group_name(gid_t gid, char *buf, size_t size)
{
	struct group *gr = getgrgid(gid);

	if (gr != NULL)
		return gr->gr_name;
	snprintf(buf, size, "%lu", (unsigned long)gid);
	return buf;
}

/* Compare owner, group and mode of path (already of the right type). */
static void
check_attrs(struct check *c, const char *path, const struct stat *st,
    const struct hier_entry *e, mode_t mode)
{
	char a[32], b[32];
	uid_t want_uid = c->uid[e->owner];
	gid_t want_gid = c->gid[e->group];

	/* Copy the names: getpwuid's result is overwritten by the next call. */
	if (st->st_uid != want_uid) {
		char have[64];

		snprintf(have, sizeof(have), "%s",
		    user_name(st->st_uid, a, sizeof(a)));
		problem(c, "%s has owner %s, want %s", path, have,
		    user_name(want_uid, b, sizeof(b)));
	}
	if (st->st_gid != want_gid) {
		char have[64];

		snprintf(have, sizeof(have), "%s",
		    group_name(st->st_gid, a, sizeof(a)));
		problem(c, "%s has group %s, want %s", path, have,
		    group_name(want_gid, b, sizeof(b)));
	}
	if ((st->st_mode & 07777) != (mode & 07777))
		problem(c, "%s has mode %lo, want %lo", path,
		    (unsigned long)(st->st_mode & 07777),
		    (unsigned long)(mode & 07777));
}

/*
 * Check path: of the given type, then its attributes.  Directories may be
 * symbolic links to directories (install follows them too); nothing else
 * may be a link.  Returns 1 if path exists with the right type, else 0
 * (and the problem is reported).
 */
static int
check_path(struct check *c, const char *path, mode_t type,
    const struct hier_entry *e, mode_t mode)
{
	struct stat st;
	int r = type == S_IFDIR ? stat(path, &st) : lstat(path, &st);

	if (r == -1) {
		if (errno == ENOENT)
			problem(c, "%s is missing", path);
		else
			problem(
			    c, "unable to stat %s: %s", path, strerror(errno));
		return 0;
	}
	if ((st.st_mode & S_IFMT) != type) {
		problem(c, "%s is %s, want %s", path, type_name(st.st_mode),
		    type_name(type));
		return 0;
	}
	check_attrs(c, path, &st, e, mode);
	return 1;
}

static void
check_dir(struct check *c, const struct hier_item *item)
{
	char path[PATH_MAX];

	home_path(path, item->path, NULL);
	if (below_gone(c, path))
		return;
	if (!check_path(c, path, S_IFDIR, item->entry, item->mode))
		mark_gone(c, path);
}

/* 1 if path exists (following links), 0 if not. */
static int
exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

/* 1 if the build made the program name. */
static int
built(const struct check *c, const char *name)
{
	char path[PATH_MAX];

	path_make(path, "%s/bin/%s", c->build, name);
	if (exists(path))
		return 1;
	path_make(path, "%s/scripts/%s", c->build, name);
	return exists(path);
}

static void
check_program(struct check *c, const struct hier_item *item)
{
	char path[PATH_MAX];
	struct stat st;

	home_path(path, item->path, NULL);
	if (below_gone(c, path))
		return;
	if (lstat(path, &st) == -1 && errno == ENOENT &&
	    !(item->entry->flags & HIER_REQUIRED) && !built(c, item->path + 4))
		return;
	check_path(c, path, S_IFREG, item->entry, item->mode);
}

static int
skip_dotfiles(const struct dirent *d)
{
	return d->d_name[0] != '.';
}

/* Sorted visible names of dir; 0 and NULL if it cannot be read. */
static int
list_dir(struct check *c, const char *dir, struct dirent ***names, int report)
{
	int n = scandir(dir, names, skip_dotfiles, alphasort);

	if (n == -1) {
		if (report && errno != ENOENT)
			problem(c, "unable to read the directory %s: %s", dir,
			    strerror(errno));
		*names = NULL;
		return 0;
	}
	return n;
}

static void
free_list(struct dirent **names, int n)
{
	int i;

	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

/* Programs the table does not name: those installed, those built. */
static void
check_other_programs(struct check *c, const struct hier_item *item)
{
	char dir[PATH_MAX], path[PATH_MAX];
	struct dirent **names;
	struct stat st;
	int i, n;

	home_path(dir, item->path, NULL);
	if (below_gone(c, dir))
		return;
	n = list_dir(c, dir, &names, 1);
	for (i = 0; i < n; i++) {
		if (hier_program_find(names[i]->d_name) != NULL)
			continue;
		home_path(path, item->path, names[i]->d_name);
		check_path(c, path, S_IFREG, item->entry, item->mode);
	}
	free_list(names, n);

	path_make(dir, "%s/bin", c->build);
	n = list_dir(c, dir, &names, 0);
	for (i = 0; i < n; i++) {
		if (hier_program_find(names[i]->d_name) != NULL)
			continue;
		path_make(path, "%s/%s", dir, names[i]->d_name);
		if (stat(path, &st) == -1 || !S_ISREG(st.st_mode) ||
		    (st.st_mode & 0111) == 0)
			continue;
		home_path(path, item->path, names[i]->d_name);
		if (lstat(path, &st) == -1 && errno == ENOENT)
			problem(c, "%s is missing", path);
	}
	free_list(names, n);
}

static int
has_suffix(const char *name, const char *suffix)
{
	size_t n = strlen(name), s = strlen(suffix);

	return n > s && strcmp(name + n - s, suffix) == 0;
}

/* Copied files: every one installed, and with SRCDIR every one there. */
static void
check_copies(struct check *c, const struct hier_item *item)
{
	const struct hier_entry *e = item->entry;
	char dir[PATH_MAX], path[PATH_MAX], name[NAME_MAX + 1];
	struct dirent **names;
	struct stat st;
	size_t len;
	int i, n;

	home_path(dir, item->path, NULL);
	if (below_gone(c, dir))
		return;
	n = list_dir(c, dir, &names, 1);
	for (i = 0; i < n; i++) {
		home_path(path, item->path, names[i]->d_name);
		check_path(c, path, S_IFREG, e, item->mode);
	}
	free_list(names, n);

	if (c->src == NULL)
		return;
	path_make(dir, "%s/%s", c->src, e->source);
	n = list_dir(c, dir, &names, 0);
	for (i = 0; i < n; i++) {
		if (e->suffix != NULL &&
		    !has_suffix(names[i]->d_name, e->suffix))
			continue;
		path_make(path, "%s/%s", dir, names[i]->d_name);
		if (stat(path, &st) == -1 || !S_ISREG(st.st_mode))
			continue;
		len = strlen(names[i]->d_name);
		if (len >= sizeof(name))
			continue;
		memcpy(name, names[i]->d_name, len + 1);
		if ((e->flags & HIER_EXPAND) && has_suffix(name, ".in"))
			name[len - 3] = '\0';
		home_path(path, item->path, name);
		if (lstat(path, &st) == -1 && errno == ENOENT)
			problem(c, "%s is missing", path);
	}
	free_list(names, n);
}

static void
check_queue_file(struct check *c, const struct hier_item *item, mode_t type)
{
	char path[PATH_MAX];

	home_path(path, item->path, NULL);
	if (below_gone(c, path))
		return;
	check_path(c, path, type, item->entry, item->mode);
}

static void
check_item(struct check *c, const struct hier_item *item)
{
	switch (item->type) {
	case HIER_DIR:
	case HIER_SPLIT:
		check_dir(c, item);
		break;
	case HIER_PROG:
		check_program(c, item);
		break;
	case HIER_OTHERPROGS:
		check_other_programs(c, item);
		break;
	case HIER_NOINSTALL:
		break;
	case HIER_COPY:
		check_copies(c, item);
		break;
	case HIER_ZERO:
	case HIER_EMPTY:
		check_queue_file(c, item, S_IFREG);
		break;
	case HIER_FIFO:
		check_queue_file(c, item, S_IFIFO);
		break;
	}
}

/* BUILDDIR, or the parent of the directory holding this program. */
static void
check_build_dir(struct check *c, int argc, char **argv)
{
	const char *slash;

	if (argc > 1) {
		path_make(c->build, "%s", argv[1]);
		return;
	}
	slash = argv[0] != NULL ? strrchr(argv[0], '/') : NULL;
	if (slash == NULL) {
		path_make(c->build, "%s", conf_qmail_home);
		return;
	}
	path_make(c->build, "%.*s/..", (int)(slash - argv[0]), argv[0]);
}

int
main(int argc, char **argv)
{
	static struct check c;
	struct hier_iter it;
	struct hier_item item;
	int r;

	err_setprogname("instcheck");
	if (argc > 3)
		fatalx(EXIT_PERM, "usage: instcheck [BUILDDIR [SRCDIR]]");
	check_build_dir(&c, argc, argv);
	c.src = argc > 2 ? argv[2] : NULL;
	check_ids_resolve(&c);

	hier_iter_start(&it);
	while ((r = hier_iter_next(&it, &item)) != 0) {
		if (r == -1) {
			problem(&c, "unable to name an entry under %s: %s",
			    conf_qmail_home, strerror(errno));
			continue;
		}
		check_item(&c, &item);
	}
	return c.problems > 0 ? EXIT_TEMP : EXIT_OK;
}
