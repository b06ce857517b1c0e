/*
 * tcpto.c - qmail's table of hosts whose connections time out.
 */
#include "tcpto.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "lock.h"

/* tcpto_open - open path read-write and lock it: fd, or -1 */
static int
tcpto_open(const char *path)
{
	int fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW);

	if (fd < 0)
		return -1;
	if (lock_exclusive(fd) < 0) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

/* tcpto_load - read the table from fd: whole records, or -1 */
static int
tcpto_load(int fd, unsigned char *buf)
{
	ssize_t r;
	size_t got = 0;

	memset(buf, 0, TCPTO_SIZE);
	while (got < TCPTO_SIZE) {
		r = pread(fd, buf + got, TCPTO_SIZE - got, (off_t)got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0)
			break;
		got += (size_t)r;
	}
	return (int)(got / TCPTO_RECORD);
}

static void
tcpto_decode(const unsigned char *rec, struct tcpto_entry *e)
{
	memcpy(e->ip, rec, 4);
	e->count = rec[4];
	e->when = (unsigned long)rec[8] | (unsigned long)rec[9] << 8 |
	    (unsigned long)rec[10] << 16 | (unsigned long)rec[11] << 24;
}

static void
tcpto_set_when(unsigned char *rec, time_t now)
{
	uint32_t w = (uint32_t)now;

	rec[8] = (unsigned char)(w & 0xff);
	rec[9] = (unsigned char)((w >> 8) & 0xff);
	rec[10] = (unsigned char)((w >> 16) & 0xff);
	rec[11] = (unsigned char)((w >> 24) & 0xff);
}

/* tcpto_age - seconds from when (32 bits) to now, modulo 2^32 */
static unsigned long
tcpto_age(time_t now, unsigned long when)
{
	return (unsigned long)(uint32_t)((uint32_t)now - (uint32_t)when);
}

int
tcpto_read(const char *path, struct tcpto_entry *e)
{
	unsigned char buf[TCPTO_SIZE];
	int fd, n, i;

	fd = tcpto_open(path);
	if (fd < 0)
		return -1;
	n = tcpto_load(fd, buf);
	close(fd);
	if (n < 0)
		return -1;
	for (i = 0; i < n; i++)
		tcpto_decode(buf + i * TCPTO_RECORD, &e[i]);
	return n;
}

int
tcpto_skip(const char *path, const unsigned char ip[4], time_t now,
    pid_t pid, int *seen)
{
	struct tcpto_entry e[TCPTO_RECORDS];
	unsigned long hold;
	int n, i;

	*seen = 0;
	n = tcpto_read(path, e);
	for (i = 0; i < n; i++) {
		if (memcmp(e[i].ip, ip, 4) != 0)
			continue;
		*seen = 1;
		if (e[i].count < 2)
			return 0;
		hold = (60UL + ((unsigned long)pid & 31)) << 6;
		return tcpto_age(now, e[i].when) < hold;
	}
	return 0;
}

/* tcpto_slot_for_new - a free slot, else the one that matters least */
static int
tcpto_slot_for_new(const unsigned char *buf, int n)
{
	struct tcpto_entry e;
	unsigned long best = 0, score;
	int i, pick = -1;

	for (i = 0; i < n; i++)
		if (buf[i * TCPTO_RECORD + 4] == 0)
			return i;
	for (i = 0; i < n; i++) {
		tcpto_decode(buf + i * TCPTO_RECORD, &e);
		score = e.when + ((unsigned long)e.count << 10);
		if (pick < 0 || score < best) {
			pick = i;
			best = score;
		}
	}
	return pick;
}

int
tcpto_update(const char *path, const unsigned char ip[4], int timedout,
    time_t now)
{
	unsigned char buf[TCPTO_SIZE];
	unsigned char *rec = NULL;
	struct tcpto_entry e;
	int fd, n, i, rc = 0;

	fd = tcpto_open(path);
	if (fd < 0)
		return -1;
	n = tcpto_load(fd, buf);
	if (n <= 0) {
		rc = n < 0 ? -1 : 0;
		goto out;
	}
	for (i = 0; i < n; i++)
		if (memcmp(buf + i * TCPTO_RECORD, ip, 4) == 0) {
			rec = buf + i * TCPTO_RECORD;
			break;
		}
	if (rec != NULL && !timedout) {
		if (rec[4] == 0)
			goto out;
		rec[4] = 0;
	} else if (rec != NULL) {
		tcpto_decode(rec, &e);
		if (e.count > 0 && tcpto_age(now, e.when) < TCPTO_SPACING)
			goto out;
		if (rec[4] < TCPTO_COUNT_MAX)
			rec[4]++;
		tcpto_set_when(rec, now);
	} else if (timedout) {
		i = tcpto_slot_for_new(buf, n);
		rec = buf + i * TCPTO_RECORD;
		memset(rec, 0, TCPTO_RECORD);
		memcpy(rec, ip, 4);
		rec[4] = 1;
		tcpto_set_when(rec, now);
	} else
		goto out;
	if (pwrite(fd, rec, TCPTO_RECORD, (off_t)(i * TCPTO_RECORD)) !=
	    TCPTO_RECORD)
		rc = -1;
out:
	if (rc < 0) {
		int err = errno;
		close(fd);
		errno = err;
		return -1;
	}
	close(fd);
	return 0;
}

int
tcpto_clear(const char *path)
{
	unsigned char zero[TCPTO_SIZE];
	int fd, err;

	memset(zero, 0, sizeof(zero));
	fd = tcpto_open(path);
	if (fd < 0)
		return -1;
	if (pwrite(fd, zero, sizeof(zero), 0) != (ssize_t)sizeof(zero)) {
		err = errno;
		close(fd);
		errno = err;
		return -1;
	}
	if (close(fd) < 0)
		return -1;
	return 0;
}
