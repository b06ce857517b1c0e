/*
 * lock.h - whole-file advisory locks.
 *
 * Two kinds, which do not see each other on Linux (a flock lock and an
 * fcntl lock on the same file never conflict):
 *
 * lock_exclusive, lock_exclusive_nowait, lock_unlock use flock(2), as
 * qmail does for queue/lock/sendmutex and for mbox delivery.  A flock lock
 * belongs to the open file description: descriptors from separate open()
 * calls conflict, even in one process, while dup'd and fork-inherited
 * descriptors share the lock (closing the last of them releases it).
 *
 * lock_ofd_exclusive, lock_ofd_exclusive_nowait, lock_ofd_unlock use
 * Linux open-file-description fcntl locks (F_OFD_SETLK/F_OFD_SETLKW,
 * Linux 3.15 or later) on the whole file.  They belong to the open file
 * description too, but they conflict with classic POSIX fcntl/lockf
 * record locks, which is what most mail readers take on a mailbox; an
 * mbox deliverer that wants to exclude both kinds of reader takes both.
 * They need a descriptor open for writing.
 *
 * The waiting calls do not retry EINTR: a caller bounds the wait with an
 * alarm (as qmail-local does for mailboxes) and gets -1 with EINTR.
 */
#ifndef LOCK_H
#define LOCK_H

/* lock_exclusive - take an exclusive flock lock on fd, waiting: 0 or -1 */
int lock_exclusive(int fd);

/*
 * lock_exclusive_nowait - take an exclusive flock lock on fd if it is
 * free: 0, or -1 with errno EWOULDBLOCK (== EAGAIN) if another open file
 * description holds a lock on the file, or another errno.
 */
int lock_exclusive_nowait(int fd);

/* lock_unlock - release fd's flock lock: 0 or -1 */
int lock_unlock(int fd);

/* lock_ofd_exclusive - take a whole-file OFD write lock, waiting: 0 or -1 */
int lock_ofd_exclusive(int fd);

/*
 * lock_ofd_exclusive_nowait - take a whole-file OFD write lock if free:
 * 0, or -1 with errno EWOULDBLOCK if a conflicting lock is held (the
 * kernel's EACCES is reported as EWOULDBLOCK too), or another errno.
 */
int lock_ofd_exclusive_nowait(int fd);

/* lock_ofd_unlock - release fd's whole-file OFD lock: 0 or -1 */
int lock_ofd_unlock(int fd);

#endif
