/*
 * cdbfile.h - reading and atomically writing constant databases.
 *
 * Thin wrappers over tinycdb (<cdb.h>, link with -lcdb), whose files are
 * the cdb format qmail uses for users/cdb and control/morercpthosts.cdb.
 * They add what every caller would otherwise repeat: a missing file told
 * apart from an unreadable one, values copied into a struct bytes under
 * a limit, lengths as size_t with range checks, and a writer that makes
 * the new database durable before it replaces the old one (DESIGN.md
 * section 3): write PATH.tmp, fsync it, rename it over PATH, fsync the
 * directory.  A reader sees either the whole old file or the whole new
 * one, never a mixture, even after a crash.
 *
 * A cdb file cannot exceed 4 GiB; keys and values are any bytes.  The
 * reader maps the file into memory (tinycdb does), so a database must
 * only ever be replaced by rename, never truncated or rewritten in
 * place while someone may be reading it.
 */
#ifndef CDBFILE_H
#define CDBFILE_H

#include <stddef.h>
#include <sys/types.h>

#include <cdb.h>

#include "bytes.h"

/* An open database for reading. */
struct cdbfile {
	int fd;         /* -1 when closed */
	struct cdb cdb; /* tinycdb's state: the file mapped in memory */
};

/*
 * cdbfile_open - open the database at path for reading.  Returns 1, 0 if
 * the file does not exist (ENOENT; c is left closed), -1 on any other
 * error: the open failing (EACCES, ...), or the file not being a cdb at
 * all (tinycdb's EPROTO, e.g. a file shorter than the 2048-byte header).
 * A database opened with 1 must be closed with cdbfile_close.
 */
int cdbfile_open(struct cdbfile *c, const char *path);

/*
 * cdbfile_find - look up the first record with key[0..keylen) and copy
 * its value into value (replacing its contents).  Returns 1 if found;
 * 0 if the key is absent (value emptied); -1 with E2BIG if the value is
 * longer than max bytes, EPROTO if the file is corrupt, or as bytes_copy
 * (value emptied).  A key longer than any cdb can hold is simply absent.
 */
int cdbfile_find(struct cdbfile *c, const void *key, size_t keylen,
    struct bytes *value, size_t max);

/* cdbfile_close - release the mapping and the descriptor; c is closed */
void cdbfile_close(struct cdbfile *c);

/* A database being written; see cdbfile_writer_start. */
struct cdbfile_writer {
	int fd;                  /* the temporary file; -1 when not writing */
	struct cdb_make make;    /* tinycdb's state */
	struct bytes path;       /* final name, NUL-terminated */
	struct bytes tmppath;    /* temporary name, NUL-terminated */
	unsigned long long size; /* bytes the records take so far */
};

/* Longest path cdbfile_writer_start accepts (ENAMETOOLONG past it). */
#define CDBFILE_PATH_MAX 4096

/*
 * cdbfile_writer_start - begin writing a new database that will replace
 * path.  Records go to tmppath (in the same directory, so the rename is
 * atomic), or to path with ".tmp" appended if tmppath is NULL; qmail-newu
 * uses "users/cdb.tmp" for "users/cdb", qmail-newmrh uses
 * "control/morercpthosts.tmp" for "control/morercpthosts.cdb".  The
 * temporary file is created or truncated with the given mode (the umask
 * applies); a symbolic link there is refused (ELOOP).  Returns 0, or -1
 * with errno (w is then not writing and needs no abort).
 */
int cdbfile_writer_start(struct cdbfile_writer *w, const char *path,
    const char *tmppath, mode_t mode);

/*
 * cdbfile_writer_add - add a record.  Duplicate keys are all stored; a
 * reader finds the first one added.  Returns 0, or -1 with E2BIG if the
 * database would pass the 4 GiB the format can address, or the errno of
 * a failed write; after a failure only cdbfile_writer_abort is allowed.
 */
int cdbfile_writer_add(struct cdbfile_writer *w, const void *key, size_t keylen,
    const void *data, size_t datalen);

/*
 * cdbfile_writer_finish - write the index, fsync the temporary file,
 * close it, rename it to the final path and fsync the directory holding
 * it.  Returns 0 once the new database is durable under its final name.
 * On -1 (errno from the failing step) the temporary file is removed and
 * the old database, if any, is still in place; except that if only the
 * final directory fsync failed, the rename has happened but may not
 * survive a crash.  Either way w is finished and needs no abort.
 */
int cdbfile_writer_finish(struct cdbfile_writer *w);

/*
 * cdbfile_writer_abort - give up: close and remove the temporary file and
 * release w.  The old database is untouched.  Safe to call on a writer
 * that is not writing (after a failed start, finish or a previous abort).
 */
void cdbfile_writer_abort(struct cdbfile_writer *w);

#endif
