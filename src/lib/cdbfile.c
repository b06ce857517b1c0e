/*
 * cdbfile.c - constant databases through tinycdb, see cdbfile.h.
 *
 * The writer's commit follows DESIGN.md section 3: the data is fsynced
 * before the name that points at it changes, and the directory is
 * fsynced before success is reported.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cdb.h>

#include "bytes.h"
#include "cdbfile.h"
#include "fsync.h"

/* The cdb format addresses its file with 32-bit offsets. */
#define CDBFILE_SIZE_MAX 0xffffffffULL

/* Fixed header: 256 hash table pointers of 8 bytes. */
#define CDBFILE_HEADER 2048ULL

/* Per record: 8 bytes of lengths, and 2 index slots of 8 bytes. */
#define CDBFILE_RECORD_OVERHEAD (8ULL + 16ULL)

static void
cdbfile_close_keep_errno(int fd)
{
	int saved_errno = errno;

	close(fd);
	errno = saved_errno;
}

int
cdbfile_open(struct cdbfile *c, const char *path)
{
	int fd;

	c->fd = -1;
	do
		fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	while (fd == -1 && errno == EINTR);
	if (fd == -1)
		return errno == ENOENT ? 0 : -1;
	errno = 0;
	if (cdb_init(&c->cdb, fd) < 0) {
		if (errno == 0)
			errno = EPROTO;
		cdbfile_close_keep_errno(fd);
		return -1;
	}
	c->fd = fd;
	return 1;
}

int
cdbfile_find(struct cdbfile *c, const void *key, size_t keylen,
    struct bytes *value, size_t max)
{
	const void *data;
	unsigned len;
	int r;

	bytes_truncate(value, 0);
	if (c->fd == -1) {
		errno = EBADF;
		return -1;
	}
	if (keylen > CDBFILE_SIZE_MAX)
		return 0; /* cannot be in any cdb */
	errno = 0;
	r = cdb_find(&c->cdb, key, (unsigned)keylen);
	if (r < 0) {
		if (errno == 0)
			errno = EPROTO;
		return -1;
	}
	if (r == 0)
		return 0;
	len = cdb_datalen(&c->cdb);
	if (len > max) {
		errno = E2BIG;
		return -1;
	}
	data = cdb_get(&c->cdb, len, cdb_datapos(&c->cdb));
	if (data == NULL) {
		errno = EPROTO;
		return -1;
	}
	if (bytes_copy(value, data, len) == -1) {
		bytes_truncate(value, 0);
		return -1;
	}
	return 1;
}

void
cdbfile_close(struct cdbfile *c)
{
	if (c->fd == -1)
		return;
	cdb_free(&c->cdb);
	close(c->fd);
	c->fd = -1;
}

/* cdbfile_writer_release - free the names; w is not writing */
static void
cdbfile_writer_release(struct cdbfile_writer *w)
{
	bytes_free(&w->path);
	bytes_free(&w->tmppath);
	w->fd = -1;
}

/*
 * cdbfile_writer_discard - free tinycdb's record lists without writing:
 * cdb_make_finish always frees them, and with no descriptor (cdb_fd is a
 * documented member) every write it tries fails with EBADF, so nothing
 * lands in any file, even one that reused our descriptor's number.
 */
static void
cdbfile_writer_discard(struct cdbfile_writer *w)
{
	int saved_errno = errno;

	w->make.cdb_fd = -1;
	(void)cdb_make_finish(&w->make);
	errno = saved_errno;
}

int
cdbfile_writer_start(struct cdbfile_writer *w, const char *path,
    const char *tmppath, mode_t mode)
{
	int saved_errno;
	int fd;

	w->fd = -1;
	w->size = CDBFILE_HEADER;
	bytes_init(&w->path, CDBFILE_PATH_MAX + 1);
	bytes_init(&w->tmppath, CDBFILE_PATH_MAX + 1);
	if (bytes_copy_str(&w->path, path) == -1 ||
	    bytes_cstr(&w->path) == NULL)
		goto fail_names;
	if (tmppath != NULL) {
		if (bytes_copy_str(&w->tmppath, tmppath) == -1)
			goto fail_names;
	} else if (bytes_copy_str(&w->tmppath, path) == -1 ||
	           bytes_append_str(&w->tmppath, ".tmp") == -1)
		goto fail_names;
	if (bytes_cstr(&w->tmppath) == NULL)
		goto fail_names;
	do
		fd = open(w->tmppath.s,
		    O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW |
		        O_NOCTTY,
		    mode);
	while (fd == -1 && errno == EINTR);
	if (fd == -1)
		goto fail;
	if (cdb_make_start(&w->make, fd) < 0) {
		cdbfile_close_keep_errno(fd);
		(void)unlink(w->tmppath.s);
		goto fail;
	}
	w->fd = fd;
	return 0;
fail_names:
	if (errno == E2BIG)
		errno = ENAMETOOLONG;
fail:
	saved_errno = errno;
	cdbfile_writer_release(w);
	errno = saved_errno;
	return -1;
}

int
cdbfile_writer_add(struct cdbfile_writer *w, const void *key, size_t keylen,
    const void *data, size_t datalen)
{
	unsigned long long room;

	if (w->fd == -1) {
		errno = EBADF;
		return -1;
	}
	/* size <= CDBFILE_SIZE_MAX always, so room cannot wrap. */
	room = CDBFILE_SIZE_MAX - w->size;
	if (room < CDBFILE_RECORD_OVERHEAD ||
	    keylen > room - CDBFILE_RECORD_OVERHEAD ||
	    datalen > room - CDBFILE_RECORD_OVERHEAD - keylen) {
		errno = E2BIG;
		return -1;
	}
	if (cdb_make_add(
	        &w->make, key, (unsigned)keylen, data, (unsigned)datalen) < 0) {
		if (errno == 0)
			errno = EIO;
		return -1;
	}
	w->size += CDBFILE_RECORD_OVERHEAD + keylen + datalen;
	return 0;
}

int
cdbfile_writer_finish(struct cdbfile_writer *w)
{
	int saved_errno;
	int fd = w->fd;

	if (fd == -1) {
		errno = EBADF;
		return -1;
	}
	errno = 0;
	if (cdb_make_finish(&w->make) < 0) {
		/* tinycdb reports a failed index allocation as ENOENT */
		if (errno == 0 || errno == ENOENT)
			errno = ENOMEM;
		goto fail;
	}
	if (fsync_fd(fd) == -1)
		goto fail;
	fd = -1;
	if (close(w->fd) == -1)
		goto fail;
	if (rename(w->tmppath.s, w->path.s) == -1)
		goto fail;
	if (fsync_parent(w->path.s) == -1) {
		saved_errno = errno;
		cdbfile_writer_release(w);
		errno = saved_errno;
		return -1;
	}
	cdbfile_writer_release(w);
	return 0;
fail:
	saved_errno = errno;
	if (fd != -1)
		close(fd);
	(void)unlink(w->tmppath.s);
	cdbfile_writer_release(w);
	errno = saved_errno;
	return -1;
}

void
cdbfile_writer_abort(struct cdbfile_writer *w)
{
	int saved_errno = errno;

	if (w->fd != -1) {
		cdbfile_writer_discard(w);
		close(w->fd);
		(void)unlink(w->tmppath.s);
	}
	cdbfile_writer_release(w);
	errno = saved_errno;
}
