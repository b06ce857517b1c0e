/*
 * maildirscan.c - list the messages of a Maildir, see maildirscan.h.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "maildirscan.h"

/* Most bytes of DIR/sub/NAME. */
#define MAILDIRSCAN_PATH_MAX 4096

static char *
path_join(const char *dir, const char *sub, const char *name)
{
	size_t a = strlen(dir), b = strlen(sub), c = strlen(name);
	char *p;

	if (a > MAILDIRSCAN_PATH_MAX || b + c + 2 > MAILDIRSCAN_PATH_MAX - a) {
		errno = ENAMETOOLONG;
		return NULL;
	}
	p = malloc(a + b + c + 3);
	if (p == NULL)
		return NULL;
	memcpy(p, dir, a);
	p[a] = '/';
	memcpy(p + a + 1, sub, b);
	p[a + 1 + b] = '/';
	memcpy(p + a + b + 2, name, c + 1);
	return p;
}

static unsigned long long
name_stamp(const char *name)
{
	unsigned long long u = 0;

	for (; *name >= '0' && *name <= '9'; name++) {
		if (u > (~0ULL - 9) / 10)
			return ~0ULL;
		u = u * 10 + (unsigned long long)(*name - '0');
	}
	return u;
}

static int
msg_compare(const void *a, const void *b)
{
	const struct maildirscan_msg *x = a, *y = b;

	if (x->stamp != y->stamp)
		return x->stamp < y->stamp ? -1 : 1;
	return strcmp(x->name, y->name);
}

static int
scan_add(struct maildirscan *s, const char *dir, const char *sub,
    const char *name, const struct stat *st)
{
	struct maildirscan_msg *m;

	if (s->count == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 64;

		if (s->count >= MAILDIRSCAN_MAX) {
			errno = E2BIG;
			return -1;
		}
		if (cap > MAILDIRSCAN_MAX)
			cap = MAILDIRSCAN_MAX;
		m = reallocarray(s->msgs, cap, sizeof(*m));
		if (m == NULL)
			return -1;
		s->msgs = m;
		s->cap = cap;
	}
	m = &s->msgs[s->count];
	m->path = path_join(dir, sub, name);
	if (m->path == NULL)
		return -1;
	m->name = m->path + strlen(m->path) - strlen(name);
	m->stamp = name_stamp(name);
	m->mtime = st->st_mtime;
	m->size = st->st_size;
	s->count++;
	return 0;
}

static int
scan_sub(struct maildirscan *s, const char *dir, const char *sub)
{
	struct dirent *d;
	struct stat st;
	char *path;
	DIR *dp;
	int saved;

	path = path_join(dir, sub, "");
	if (path == NULL)
		return -1;
	dp = opendir(path);
	free(path);
	if (dp == NULL)
		return -1;
	for (;;) {
		errno = 0;
		d = readdir(dp);
		if (d == NULL)
			break;
		if (d->d_name[0] == '.')
			continue;
		if (fstatat(dirfd(dp), d->d_name, &st, AT_SYMLINK_NOFOLLOW) ==
		    -1) {
			if (errno == ENOENT)
				continue; /* read or moved meanwhile */
			goto fail;
		}
		if (!S_ISREG(st.st_mode))
			continue;
		if (scan_add(s, dir, sub, d->d_name, &st) == -1)
			goto fail;
	}
	if (errno != 0)
		goto fail;
	closedir(dp);
	return 0;
fail:
	saved = errno;
	closedir(dp);
	errno = saved;
	return -1;
}

int
maildirscan_list(struct maildirscan *s, const char *dir, int flags)
{
	int saved;

	memset(s, 0, sizeof(*s));
	if ((flags & MAILDIRSCAN_NEW) && scan_sub(s, dir, "new") == -1)
		goto fail;
	if ((flags & MAILDIRSCAN_CUR) && scan_sub(s, dir, "cur") == -1)
		goto fail;
	if (s->count > 1)
		qsort(s->msgs, s->count, sizeof(*s->msgs), msg_compare);
	return 0;
fail:
	saved = errno;
	maildirscan_free(s);
	errno = saved;
	return -1;
}

void
maildirscan_free(struct maildirscan *s)
{
	size_t i;

	for (i = 0; i < s->count; i++)
		free(s->msgs[i].path);
	free(s->msgs);
	memset(s, 0, sizeof(*s));
}

long
maildirscan_clean_tmp(const char *dir, time_t now, time_t age)
{
	struct dirent *d;
	struct stat st;
	char *path;
	long removed = 0;
	DIR *dp;

	path = path_join(dir, "tmp", "");
	if (path == NULL)
		return -1;
	dp = opendir(path);
	free(path);
	if (dp == NULL)
		return -1;
	while ((d = readdir(dp)) != NULL) {
		if (strcmp(d->d_name, ".") == 0 || strcmp(d->d_name, "..") == 0)
			continue;
		if (fstatat(dirfd(dp), d->d_name, &st, AT_SYMLINK_NOFOLLOW) ==
		    -1)
			continue;
		if (!S_ISREG(st.st_mode) || st.st_mtime > now - age)
			continue;
		if (unlinkat(dirfd(dp), d->d_name, 0) == 0)
			removed++;
	}
	closedir(dp);
	return removed;
}
