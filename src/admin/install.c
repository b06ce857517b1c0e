/*
 * install - create or repair the qmail tree under the qmail home.
 *
 * Usage: install BUILDDIR [SRCDIR]
 *
 * Walks the table of hier.h and, for each entry, makes what is missing and
 * sets the owner, group and mode of what is there:
 *
 *   - directories (and split subdirectories): mkdir, then chown and chmod;
 *   - programs: copied from BUILDDIR/bin (or, for the table's programs
 *     only, from BUILDDIR/scripts), every known program that exists there;
 *     a program the table does not name is installed with the table's
 *     HIER_OTHERPROGS owner and mode; "install" itself never is;
 *   - man pages, documents and boot scripts: copied from SRCDIR/man,
 *     SRCDIR/doc and SRCDIR/scripts/boot (boot scripts get @QMAIL_HOME@
 *     replaced, and a name ending in ".in" loses that suffix);
 *   - queue/lock/tcpto, sendmutex and trigger: made only if absent.
 *
 * SRCDIR defaults to the current directory when that is this project's
 * source tree (it holds src/lib/hier.h; "make setup" runs install there);
 * otherwise nothing is copied from a source tree.
 *
 * Every copy goes to a temporary name in the target directory, is fsynced,
 * given its owner and mode, and renamed over the old file, so a running
 * program is replaced safely and a crash never leaves half a file.  Running
 * install again is harmless.  Nothing in the queue is ever removed or
 * truncated: a queue entry of the wrong type is a fatal error for the
 * administrator to look at.
 *
 * In an unprivileged build nothing is chowned (everything belongs to the
 * user running install) and no set-id bit is set.  Exit 0, or 111 after
 * "install: fatal: ..." on stderr.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
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
#include "fsync.h"
#include "hier.h"
#include "ids.h"

/* Largest boot script we expand in memory; they are a few lines. */
#define INSTALL_EXPAND_MAX (64 * 1024)

#define INSTALL_TOKEN "@QMAIL_HOME@"

struct install {
	const char *build; /* BUILDDIR */
	const char *src;   /* source tree, or NULL */
	uid_t uid[CONF_NUSERS];
	gid_t gid[CONF_NGROUPS];
};

static void
install_usage(void)
{
	fatalx(EXIT_PERM, "usage: install BUILDDIR [SRCDIR]");
}

/* path_make - snprintf into a PATH_MAX buffer or die naming the path. */
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

/* discard - remove our temporary file tmp, keeping errno for fatal(). */
static void
discard(const char *tmp)
{
	int saved_errno = errno;

	unlink(tmp);
	errno = saved_errno;
}

/*
 * Look up every user and group the table names, before anything is made:
 * a missing one is the administrator's to create.
 */
static void
install_ids_resolve(struct install *in)
{
	struct ids_all ids;
	const char *name;
	int is_group;

	if (ids_resolve_all(&ids, &name, &is_group) == -1) {
		if (errno == ENOENT)
			fatalx(EXIT_TEMP,
			    "%s %s does not exist: create the qmail users "
			    "and groups first with %s/scripts/users",
			    is_group ? "group" : "user", name, in->build);
		fatal(EXIT_TEMP, "unable to look up %s %s",
		    is_group ? "group" : "user", name);
	}
	memcpy(in->uid, ids.uid, sizeof(ids.uid));
	memcpy(in->gid, ids.gid, sizeof(ids.gid));
}

/*
 * Give the open file fd at path its owner (privileged builds) and mode.
 * On failure path is removed if it is one of our temporary files (istmp),
 * never otherwise.
 */
static void
install_fd_fix(const struct install *in, int fd, const char *path, int istmp,
    const struct hier_entry *e, mode_t mode)
{
	/* chown first: it may clear set-id bits that chmod then sets. */
	if (!conf_unprivileged &&
	    fchown(fd, in->uid[e->owner], in->gid[e->group]) == -1) {
		if (istmp)
			discard(path);
		fatal(EXIT_TEMP, "unable to chown %s", path);
	}
	if (fchmod(fd, mode) == -1) {
		if (istmp)
			discard(path);
		fatal(EXIT_TEMP, "unable to chmod %s", path);
	}
}

static void
install_parents(const char *home)
{
	char buf[PATH_MAX];
	size_t i;

	path_make(buf, "%s", home);
	for (i = 1; buf[i] != '\0'; i++) {
		if (buf[i] != '/')
			continue;
		buf[i] = '\0';
		if (mkdir(buf, 0755) == 0) {
			/* Not the umask's: qmail users must pass. */
			if (chmod(buf, 0755) == -1)
				fatal(EXIT_TEMP, "unable to chmod %s", buf);
		} else if (errno != EEXIST) {
			fatal(EXIT_TEMP, "unable to mkdir %s", buf);
		}
		buf[i] = '/';
	}
}

/* A directory: made if missing (a symbolic link to one is accepted). */
static void
install_dir(const struct install *in, const struct hier_item *item)
{
	char path[PATH_MAX];
	struct stat st;
	int made = 1;

	home_path(path, item->path, NULL);
	if (mkdir(path, 0700) == -1) {
		if (errno != EEXIST)
			fatal(EXIT_TEMP, "unable to mkdir %s", path);
		made = 0;
	}
	if (stat(path, &st) == -1)
		fatal(EXIT_TEMP, "unable to stat %s", path);
	if (!S_ISDIR(st.st_mode))
		fatalx(EXIT_TEMP, "%s exists but is not a directory", path);
	if (!conf_unprivileged && chown(path, in->uid[item->entry->owner],
	                              in->gid[item->entry->group]) == -1)
		fatal(EXIT_TEMP, "unable to chown %s", path);
	if (chmod(path, item->mode) == -1)
		fatal(EXIT_TEMP, "unable to chmod %s", path);
	if (made && fsync_parent(path) == -1)
		fatal(EXIT_TEMP, "unable to fsync the directory holding %s",
		    path);
}

static void
write_all(int fd, const char *buf, size_t len, const char *path)
{
	ssize_t w;

	while (len > 0) {
		w = write(fd, buf, len);
		if (w == -1) {
			if (errno == EINTR)
				continue;
			discard(path); /* always one of our temporary files */
			fatal(EXIT_TEMP, "unable to write %s", path);
		}
		buf += w;
		len -= (size_t)w;
	}
}

/* Copy the open file src to fd, as it is. */
static void
copy_plain(int src, const char *srcpath, int fd, const char *tmp)
{
	static char buf[65536];
	ssize_t r;

	for (;;) {
		r = read(src, buf, sizeof(buf));
		if (r == -1) {
			if (errno == EINTR)
				continue;
			discard(tmp);
			fatal(EXIT_TEMP, "unable to read %s", srcpath);
		}
		if (r == 0)
			return;
		write_all(fd, buf, (size_t)r, tmp);
	}
}

/* Copy the open file src to fd, replacing @QMAIL_HOME@. */
static void
copy_expand(int src, const char *srcpath, int fd, const char *tmp)
{
	static char buf[INSTALL_EXPAND_MAX + 1];
	size_t len = 0, i, start, toklen = strlen(INSTALL_TOKEN);
	ssize_t r;

	for (;;) {
		r = read(src, buf + len, sizeof(buf) - len);
		if (r == -1) {
			if (errno == EINTR)
				continue;
			discard(tmp);
			fatal(EXIT_TEMP, "unable to read %s", srcpath);
		}
		if (r == 0)
			break;
		len += (size_t)r;
		if (len > INSTALL_EXPAND_MAX) {
			discard(tmp);
			fatalx(EXIT_TEMP, "%s is larger than %d bytes", srcpath,
			    INSTALL_EXPAND_MAX);
		}
	}
	start = 0;
	for (i = 0; i + toklen <= len; i++) {
		if (memcmp(buf + i, INSTALL_TOKEN, toklen) != 0)
			continue;
		write_all(fd, buf + start, i - start, tmp);
		write_all(fd, conf_qmail_home, strlen(conf_qmail_home), tmp);
		start = i + toklen;
		i = start - 1;
	}
	write_all(fd, buf + start, len - start, tmp);
}

/* The temporary name for dst: .NAME.install.PID in dst's directory. */
static void
temp_name(char *tmp, const char *dst)
{
	const char *slash = strrchr(dst, '/');
	int dirlen = (int)(slash - dst);

	if (slash == NULL)
		fatalx(EXIT_TEMP, "bad target path %s", dst);
	path_make(tmp, "%.*s/.%s.install.%ld", dirlen, dst, slash + 1,
	    (long)getpid());
}

/*
 * install_copy - copy srcpath to dst through a temporary name: write,
 * fsync, owner and mode, rename over dst, fsync the directory.
 */
static void
install_copy(const struct install *in, const char *srcpath, const char *dst,
    const struct hier_entry *e, mode_t mode, int expand)
{
	char tmp[PATH_MAX];
	struct stat st;
	int src, fd;

	/* O_NONBLOCK: a named pipe must not hang us before fstat says so. */
	src = open(srcpath, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (src == -1)
		fatal(EXIT_TEMP, "unable to open %s", srcpath);
	if (fstat(src, &st) == -1)
		fatal(EXIT_TEMP, "unable to stat %s", srcpath);
	if (!S_ISREG(st.st_mode))
		fatalx(EXIT_TEMP, "%s is not a regular file", srcpath);

	temp_name(tmp, dst);
	if (unlink(tmp) == -1 && errno != ENOENT)
		fatal(EXIT_TEMP, "unable to remove %s", tmp);
	fd = open(
	    tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd == -1)
		fatal(EXIT_TEMP, "unable to create %s", tmp);
	if (expand)
		copy_expand(src, srcpath, fd, tmp);
	else
		copy_plain(src, srcpath, fd, tmp);
	close(src);
	if (fsync_fd(fd) == -1) {
		discard(tmp);
		fatal(EXIT_TEMP, "unable to fsync %s", tmp);
	}
	install_fd_fix(in, fd, tmp, 1, e, mode);
	if (close(fd) == -1) {
		discard(tmp);
		fatal(EXIT_TEMP, "unable to close %s", tmp);
	}
	if (rename(tmp, dst) == -1) {
		discard(tmp);
		fatal(EXIT_TEMP, "unable to rename %s to %s", tmp, dst);
	}
	if (fsync_parent(dst) == -1)
		fatal(
		    EXIT_TEMP, "unable to fsync the directory holding %s", dst);
}

/* 1 if path exists (following links), 0 if not; dies on other errors. */
static int
file_exists(const char *path)
{
	struct stat st;

	if (stat(path, &st) == 0)
		return 1;
	if (errno == ENOENT || errno == ENOTDIR)
		return 0;
	fatal(EXIT_TEMP, "unable to stat %s", path);
}

/* A program the table names, if the build made it. */
static void
install_program(const struct install *in, const struct hier_item *item)
{
	const char *name = item->path + 4; /* after "bin/" */
	char src[PATH_MAX], dst[PATH_MAX];

	path_make(src, "%s/bin/%s", in->build, name);
	if (!file_exists(src)) {
		path_make(src, "%s/scripts/%s", in->build, name);
		if (!file_exists(src))
			return;
	}
	home_path(dst, item->path, NULL);
	install_copy(in, src, dst, item->entry, item->mode, 0);
}

static int
skip_dotfiles(const struct dirent *d)
{
	return d->d_name[0] != '.';
}

/*
 * List the visible names of dir, sorted.  Returns the count (0 with
 * *names NULL if dir does not exist and may be missing).
 */
static int
list_dir(const char *dir, struct dirent ***names, int may_be_missing)
{
	int n = scandir(dir, names, skip_dotfiles, alphasort);

	if (n == -1) {
		if (may_be_missing && errno == ENOENT) {
			*names = NULL;
			return 0;
		}
		fatal(EXIT_TEMP, "unable to read the directory %s", dir);
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

/* Every program of BUILDDIR/bin that the table does not name. */
static void
install_other_programs(const struct install *in, const struct hier_item *item)
{
	char dir[PATH_MAX], src[PATH_MAX], dst[PATH_MAX];
	struct dirent **names;
	struct stat st;
	int i, n;

	path_make(dir, "%s/bin", in->build);
	n = list_dir(dir, &names, 0);
	for (i = 0; i < n; i++) {
		const char *name = names[i]->d_name;

		if (hier_program_find(name) != NULL)
			continue;
		path_make(src, "%s/%s", dir, name);
		if (stat(src, &st) == -1)
			fatal(EXIT_TEMP, "unable to stat %s", src);
		if (!S_ISREG(st.st_mode) || (st.st_mode & 0111) == 0)
			continue;
		home_path(dst, item->path, name);
		install_copy(in, src, dst, item->entry, item->mode, 0);
	}
	free_list(names, n);
}

/* 1 if name ends with suffix and has something before it. */
static int
has_suffix(const char *name, const char *suffix)
{
	size_t n = strlen(name), s = strlen(suffix);

	return n > s && strcmp(name + n - s, suffix) == 0;
}

/* Every file of SRCDIR/source (with the suffix, if any) into item->path. */
static void
install_copies(const struct install *in, const struct hier_item *item)
{
	const struct hier_entry *e = item->entry;
	int expand = (e->flags & HIER_EXPAND) != 0;
	char dir[PATH_MAX], src[PATH_MAX], dst[PATH_MAX], name[NAME_MAX + 1];
	struct dirent **names;
	struct stat st;
	size_t len;
	int i, n;

	if (in->src == NULL)
		return;
	path_make(dir, "%s/%s", in->src, e->source);
	n = list_dir(dir, &names, 1);
	for (i = 0; i < n; i++) {
		if (e->suffix != NULL &&
		    !has_suffix(names[i]->d_name, e->suffix))
			continue;
		path_make(src, "%s/%s", dir, names[i]->d_name);
		if (stat(src, &st) == -1)
			fatal(EXIT_TEMP, "unable to stat %s", src);
		if (!S_ISREG(st.st_mode))
			continue;
		len = strlen(names[i]->d_name);
		if (len >= sizeof(name))
			continue;
		memcpy(name, names[i]->d_name, len + 1);
		if (expand && has_suffix(name, ".in"))
			name[len - 3] = '\0';
		home_path(dst, item->path, name);
		install_copy(in, src, dst, e, item->mode, expand);
	}
	free_list(names, n);
}

/*
 * Give an existing queue file its owner and mode, after making sure it is
 * of the type wanted (S_IFREG or S_IFIFO) and not a symbolic link.
 */
static void
install_queue_fix(const struct install *in, const struct hier_item *item,
    const char *path, mode_t type)
{
	const char *what = type == S_IFIFO ? "a named pipe" : "a regular file";
	struct stat st;
	int fd;

	if (lstat(path, &st) == -1)
		fatal(EXIT_TEMP, "unable to stat %s", path);
	if ((st.st_mode & S_IFMT) != type)
		fatalx(EXIT_TEMP,
		    "%s exists but is not %s: move it away and run install "
		    "again",
		    path, what);
	/* A FIFO opened for reading without blocking opens at once. */
	fd = open(
	    path, O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC);
	if (fd == -1)
		fatal(EXIT_TEMP, "unable to open %s", path);
	if (fstat(fd, &st) == -1)
		fatal(EXIT_TEMP, "unable to stat %s", path);
	if ((st.st_mode & S_IFMT) != type)
		fatalx(EXIT_TEMP, "%s is not %s", path, what);
	install_fd_fix(in, fd, path, 0, item->entry, item->mode);
	close(fd);
}

/* tcpto, sendmutex: made (zero-filled) only if absent, never rewritten. */
static void
install_queue_file(const struct install *in, const struct hier_item *item)
{
	static const char zeros[1024];
	char path[PATH_MAX], tmp[PATH_MAX];
	size_t left = item->entry->size, n;
	struct stat st;
	int fd;

	home_path(path, item->path, NULL);
	if (lstat(path, &st) == 0) {
		install_queue_fix(in, item, path, S_IFREG);
		return;
	}
	if (errno != ENOENT)
		fatal(EXIT_TEMP, "unable to stat %s", path);

	temp_name(tmp, path);
	if (unlink(tmp) == -1 && errno != ENOENT)
		fatal(EXIT_TEMP, "unable to remove %s", tmp);
	fd = open(
	    tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd == -1)
		fatal(EXIT_TEMP, "unable to create %s", tmp);
	while (left > 0) {
		n = left < sizeof(zeros) ? left : sizeof(zeros);
		write_all(fd, zeros, n, tmp);
		left -= n;
	}
	if (fsync_fd(fd) == -1) {
		discard(tmp);
		fatal(EXIT_TEMP, "unable to fsync %s", tmp);
	}
	install_fd_fix(in, fd, tmp, 1, item->entry, item->mode);
	close(fd);
	/* link, not rename: a file made meanwhile is never replaced. */
	if (link(tmp, path) == -1 && errno != EEXIST) {
		discard(tmp);
		fatal(EXIT_TEMP, "unable to link %s to %s", tmp, path);
	}
	if (unlink(tmp) == -1)
		fatal(EXIT_TEMP, "unable to remove %s", tmp);
	if (fsync_parent(path) == -1)
		fatal(EXIT_TEMP, "unable to fsync the directory holding %s",
		    path);
	install_queue_fix(in, item, path, S_IFREG);
}

static void
install_fifo(const struct install *in, const struct hier_item *item)
{
	char path[PATH_MAX];

	home_path(path, item->path, NULL);
	if (mkfifo(path, 0600) == 0) {
		if (fsync_parent(path) == -1)
			fatal(EXIT_TEMP,
			    "unable to fsync the directory holding %s", path);
	} else if (errno != EEXIST) {
		fatal(EXIT_TEMP, "unable to mkfifo %s", path);
	}
	install_queue_fix(in, item, path, S_IFIFO);
}

static void
install_item(const struct install *in, const struct hier_item *item)
{
	switch (item->type) {
	case HIER_DIR:
	case HIER_SPLIT:
		install_dir(in, item);
		break;
	case HIER_PROG:
		install_program(in, item);
		break;
	case HIER_OTHERPROGS:
		install_other_programs(in, item);
		break;
	case HIER_NOINSTALL:
		break;
	case HIER_COPY:
		install_copies(in, item);
		break;
	case HIER_ZERO:
	case HIER_EMPTY:
		install_queue_file(in, item);
		break;
	case HIER_FIFO:
		install_fifo(in, item);
		break;
	}
}

/* The source tree: SRCDIR if given, else the cwd if it is ours. */
static const char *
install_source(int argc, char **argv)
{
	struct stat st;

	if (argc > 2) {
		if (stat(argv[2], &st) == -1)
			fatal(EXIT_TEMP, "unable to stat %s", argv[2]);
		if (!S_ISDIR(st.st_mode))
			fatalx(EXIT_TEMP, "%s is not a directory", argv[2]);
		return argv[2];
	}
	if (stat("src/lib/hier.h", &st) == 0)
		return ".";
	log_warnx("no source tree given and the current directory is not "
	          "one: man pages, documents and boot scripts not copied");
	return NULL;
}

int
main(int argc, char **argv)
{
	struct install in;
	struct hier_iter it;
	struct hier_item item;
	struct stat st;
	int r;

	err_setprogname("install");
	if (argc < 2 || argc > 3 || argv[1][0] == '\0')
		install_usage();
	umask(077);
	in.build = argv[1];
	if (stat(in.build, &st) == -1)
		fatal(EXIT_TEMP, "unable to stat %s", in.build);
	if (!S_ISDIR(st.st_mode))
		fatalx(EXIT_TEMP, "%s is not a directory", in.build);
	in.src = install_source(argc, argv);
	if (!conf_unprivileged && geteuid() != 0)
		fatalx(EXIT_TEMP, "this is a privileged build: run install as "
		                  "root (or build with UNPRIV=1)");
	install_ids_resolve(&in);
	install_parents(conf_qmail_home);

	hier_iter_start(&it);
	while ((r = hier_iter_next(&it, &item)) != 0) {
		if (r == -1)
			fatal(EXIT_TEMP, "unable to name an entry under %s",
			    conf_qmail_home);
		install_item(&in, &item);
	}
	return EXIT_OK;
}
