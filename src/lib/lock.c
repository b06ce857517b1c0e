/*
 * lock.c - whole-file advisory locks, see lock.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>

#include "lock.h"

int
lock_exclusive(int fd)
{
	return flock(fd, LOCK_EX);
}

int
lock_exclusive_nowait(int fd)
{
	return flock(fd, LOCK_EX | LOCK_NB);
}

int
lock_unlock(int fd)
{
	return flock(fd, LOCK_UN);
}

/* Apply a whole-file OFD lock of the given type with cmd. */
static int
lock_ofd(int fd, int cmd, short type)
{
	struct flock fl;

	memset(&fl, 0, sizeof(fl)); /* l_pid must be 0 for OFD locks */
	fl.l_type = type;
	fl.l_whence = SEEK_SET;
	fl.l_start = 0;
	fl.l_len = 0; /* to the end of the file, however it grows */
	return fcntl(fd, cmd, &fl) == -1 ? -1 : 0;
}

int
lock_ofd_exclusive(int fd)
{
	return lock_ofd(fd, F_OFD_SETLKW, F_WRLCK);
}

int
lock_ofd_exclusive_nowait(int fd)
{
	if (lock_ofd(fd, F_OFD_SETLK, F_WRLCK) == -1) {
		if (errno == EACCES)
			errno = EWOULDBLOCK;
		return -1;
	}
	return 0;
}

int
lock_ofd_unlock(int fd)
{
	return lock_ofd(fd, F_OFD_SETLK, F_UNLCK);
}
