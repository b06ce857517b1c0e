/*
 * maildir.c - deliver one message into a Maildir (see maildir.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "fmt.h"
#include "fsync.h"
#include "maildir.h"

/* How many fresh names maildir_create tries before giving up (EEXIST). */
#define MAILDIR_CREATE_TRIES 5

/* Deliveries made by this process: the Q part of the unique name. */
static unsigned long long maildir_sequence;

/* Append s to buf[*pos..cap) if it fits whole (keeping room for a NUL). */
static int
name_put(char *buf, size_t cap, size_t *pos, const char *s, size_t n)
{
	if (n >= cap - *pos)
		return -1;
	memcpy(buf + *pos, s, n);
	*pos += n;
	return 0;
}

static int
name_put_ulong(char *buf, size_t cap, size_t *pos, unsigned long long u)
{
	char num[FMT_ULONG];

	return name_put(buf, cap, pos, num, fmt_ulong(num, u));
}

int
maildir_name_make(char name[MAILDIR_NAME_MAX], unsigned long long sec,
    unsigned long usec, unsigned long long pid, unsigned long long seq,
    const char *host)
{
	size_t pos = 0;
	const unsigned char *h;

	if (host == NULL || *host == '\0') {
		errno = EINVAL;
		return -1;
	}
	/* The fixed part always fits: 5 numbers of at most 20 digits. */
	name_put_ulong(name, MAILDIR_NAME_MAX, &pos, sec);
	name_put(name, MAILDIR_NAME_MAX, &pos, ".M", 2);
	name_put_ulong(name, MAILDIR_NAME_MAX, &pos, usec);
	name_put(name, MAILDIR_NAME_MAX, &pos, "P", 1);
	name_put_ulong(name, MAILDIR_NAME_MAX, &pos, pid);
	name_put(name, MAILDIR_NAME_MAX, &pos, "Q", 1);
	name_put_ulong(name, MAILDIR_NAME_MAX, &pos, seq);
	name_put(name, MAILDIR_NAME_MAX, &pos, ".", 1);
	for (h = (const unsigned char *)host; *h; h++) {
		char esc[4];

		if (*h == '/' || *h == ':' || *h == '\\' || *h <= ' ' ||
		    *h >= 127) {
			esc[0] = '\\';
			esc[1] = (char)('0' + ((*h >> 6) & 7));
			esc[2] = (char)('0' + ((*h >> 3) & 7));
			esc[3] = (char)('0' + (*h & 7));
			if (name_put(name, MAILDIR_NAME_MAX, &pos, esc, 4) == -1)
				break;
		} else if (name_put(name, MAILDIR_NAME_MAX, &pos,
			       (const char *)h, 1) == -1)
			break;
	}
	name[pos] = '\0';
	return 0;
}

/* dir + "/" + sub [+ "/" + name], malloc'd; NULL with errno. */
static char *
path_join(const char *dir, size_t dirlen, const char *sub, const char *name)
{
	size_t sublen = strlen(sub), namelen = name ? strlen(name) : 0;
	size_t total;
	char *p;

	total = dirlen + 1 + sublen + 1 + namelen + 1;
	if (total > MAILDIR_PATH_MAX + MAILDIR_NAME_MAX + 8) {
		errno = ENAMETOOLONG;
		return NULL;
	}
	p = malloc(total);
	if (p == NULL)
		return NULL;
	memcpy(p, dir, dirlen);
	p[dirlen] = '/';
	memcpy(p + dirlen + 1, sub, sublen);
	if (name != NULL) {
		p[dirlen + 1 + sublen] = '/';
		memcpy(p + dirlen + 2 + sublen, name, namelen);
		p[dirlen + 2 + sublen + namelen] = '\0';
	} else
		p[dirlen + 1 + sublen] = '\0';
	return p;
}

static void
maildir_release(struct maildir_msg *m)
{
	free(m->tmppath);
	free(m->newpath);
	free(m->newdir);
	m->tmppath = m->newpath = m->newdir = NULL;
	m->fd = -1;
}

int
maildir_create(struct maildir_msg *m, const char *dir)
{
	char host[256];
	size_t dirlen;
	int tries;

	m->fd = -1;
	m->tmppath = m->newpath = m->newdir = NULL;
	m->name[0] = '\0';
	dirlen = strlen(dir);
	while (dirlen > 1 && dir[dirlen - 1] == '/')
		dirlen--;
	if (dirlen == 0) {
		errno = ENOENT;
		return -1;
	}
	if (dirlen > MAILDIR_PATH_MAX) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if (gethostname(host, sizeof(host)) == -1 || host[0] == '\0')
		memcpy(host, "localhost", sizeof("localhost"));
	host[sizeof(host) - 1] = '\0';

	for (tries = 0; tries < MAILDIR_CREATE_TRIES; tries++) {
		struct timeval tv;
		int saved;

		gettimeofday(&tv, NULL);
		maildir_sequence++;
		maildir_name_make(m->name, (unsigned long long)tv.tv_sec,
		    (unsigned long)tv.tv_usec, (unsigned long long)getpid(),
		    maildir_sequence, host);
		m->tmppath = path_join(dir, dirlen, "tmp", m->name);
		m->newpath = path_join(dir, dirlen, "new", m->name);
		m->newdir = path_join(dir, dirlen, "new", NULL);
		if (!m->tmppath || !m->newpath || !m->newdir) {
			saved = errno;
			maildir_release(m);
			errno = saved;
			return -1;
		}
		m->fd = open(m->tmppath,
		    O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
		if (m->fd >= 0)
			return 0;
		saved = errno;
		maildir_release(m);
		errno = saved;
		if (saved != EEXIST)
			return -1;
	}
	errno = EEXIST;
	return -1;
}

int
maildir_commit(struct maildir_msg *m)
{
	int saved;

	if (m->fd < 0 || m->tmppath == NULL) {
		errno = EBADF;
		return -1;
	}
	if (fsync_fd(m->fd) == -1)
		goto fail;
	if (close(m->fd) == -1) {
		m->fd = -1;
		goto fail;
	}
	m->fd = -1;
	if (link(m->tmppath, m->newpath) == -1)
		goto fail;
	if (fsync_dir(m->newdir) == -1) {
		saved = errno;
		unlink(m->newpath);
		errno = saved;
		goto fail;
	}
	/* Delivered.  The tmp/ name is only garbage from here on. */
	unlink(m->tmppath);
	maildir_release(m);
	return 0;
fail:
	maildir_abort(m);
	return -1;
}

void
maildir_abort(struct maildir_msg *m)
{
	int saved = errno;

	if (m->fd >= 0)
		close(m->fd);
	if (m->tmppath != NULL)
		unlink(m->tmppath);
	maildir_release(m);
	errno = saved;
}
