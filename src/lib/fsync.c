/*
 * fsync.c - making data and names durable, see fsync.h.
 *
 * Every step of the queue's commit protocol (DESIGN.md section 3) ends in
 * one of these calls, so they are strict: any failure, including one from
 * close(2) after a successful fsync, is reported.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <unistd.h>

#include "fsync.h"

int
fsync_fd(int fd)
{
	int r;

	do
		r = fsync(fd);
	while (r == -1 && errno == EINTR);
	return r;
}

int
fsync_dir(const char *path)
{
	int fd;
	int saved_errno;

	do
		fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	while (fd == -1 && errno == EINTR);
	if (fd == -1)
		return -1;
	if (fsync_fd(fd) == -1) {
		saved_errno = errno;
		close(fd);
		errno = saved_errno;
		return -1;
	}
	/* Linux releases the descriptor even when close fails with EINTR. */
	if (close(fd) == -1 && errno != EINTR)
		return -1;
	return 0;
}

int
fsync_parent(const char *path)
{
	char dir[PATH_MAX];
	const char *slash;
	size_t len;

	if (path[0] == '\0') {
		errno = ENOENT;
		return -1;
	}
	slash = strrchr(path, '/');
	if (slash == NULL)
		return fsync_dir(".");
	/* "a//b" opens "a/", which is "a"; "/b" names the root. */
	len = (size_t)(slash - path);
	if (len == 0)
		return fsync_dir("/");
	if (len >= sizeof(dir)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(dir, path, len);
	dir[len] = '\0';
	return fsync_dir(dir);
}
