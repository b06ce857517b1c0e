/*
 * maildirmake - create a Maildir (maildirmake(1), maildir(5)).
 *
 * "maildirmake dir" makes dir and its subdirectories tmp, new and cur,
 * each mode 700, the layout qmail-local's Maildir delivery (maildir.h)
 * writes into.  An existing dir is refused: maildirmake never takes over
 * a directory it did not make.  The new directories are made durable
 * (their parents fsynced) before maildirmake exits 0; any failure exits
 * 111.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "err.h"
#include "exitcodes.h"
#include "fsync.h"

/* Longest dir accepted: room for "/tmp" after it. */
#define MAILDIRMAKE_PATH_MAX 4000

static void
maildirmake_sub(const char *dir, const char *sub)
{
	char path[MAILDIRMAKE_PATH_MAX + 8];

	snprintf(path, sizeof(path), "%s/%s", dir, sub);
	if (mkdir(path, 0700) == -1)
		fatal(EXIT_TEMP, "unable to mkdir %s", path);
	if (chmod(path, 0700) == -1)
		fatal(EXIT_TEMP, "unable to chmod %s", path);
}

int
main(int argc, char **argv)
{
	char top[MAILDIRMAKE_PATH_MAX + 1];
	const char *dir;
	size_t len;

	err_setprogname("maildirmake");
	if (argc != 2 || argv[1][0] == '\0')
		fatalx(EXIT_PERM, "usage: maildirmake name");
	dir = argv[1];
	if (strlen(dir) > MAILDIRMAKE_PATH_MAX) {
		errno = ENAMETOOLONG;
		fatal(EXIT_TEMP, "unable to mkdir %s", dir);
	}
	umask(077);
	if (mkdir(dir, 0700) == -1)
		fatal(EXIT_TEMP, "unable to mkdir %s", dir);
	if (chmod(dir, 0700) == -1)
		fatal(EXIT_TEMP, "unable to chmod %s", dir);
	maildirmake_sub(dir, "tmp");
	maildirmake_sub(dir, "new");
	maildirmake_sub(dir, "cur");
	if (fsync_dir(dir) == -1)
		fatal(EXIT_TEMP, "unable to fsync %s", dir);
	/* "a/b/" is made inside "a", not inside "a/b". */
	len = strlen(dir);
	memcpy(top, dir, len + 1);
	while (len > 1 && top[len - 1] == '/')
		top[--len] = '\0';
	if (fsync_parent(top) == -1)
		fatal(EXIT_TEMP, "unable to fsync the directory holding %s",
		    dir);
	return EXIT_OK;
}
