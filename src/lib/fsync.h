/*
 * fsync.h - making data and names durable (DESIGN.md section 3).
 *
 * Linux does not write directory changes synchronously, so a file's name is
 * only durable once the directory holding it has been fsynced.
 */
#ifndef FSYNC_H
#define FSYNC_H

/* fsync_fd - fsync(2) fd, retrying EINTR: 0 or -1 */
int fsync_fd(int fd);

/* fsync_dir - open the directory at path read-only, fsync it, close: 0 or -1 */
int fsync_dir(const char *path);

/*
 * fsync_parent - fsync the directory that holds path (the part before the
 * last '/', or "." if none): 0 or -1 (ENAMETOOLONG if path is too long).
 */
int fsync_parent(const char *path);

#endif
