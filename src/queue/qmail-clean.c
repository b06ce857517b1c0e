/*
 * qmail-clean - remove queue files on qmail-send's (or qmail-todo's)
 * request (qmail-clean(8)).
 *
 * Commands arrive on fd 0, each ending in NUL; one reply byte per command
 * goes to fd 1 (the protocol is in spawnproto.h):
 *
 *	foop/N   remove intd/S/N and mess/S/N (the message is finished)
 *	todo/N   remove intd/S/N and todo/S/N (the message is preprocessed)
 *
 * with S = N mod the queue split.  Replies: '+' done, '!' a removal failed,
 * 'x' a malformed command.  Each removal is made durable (the directory
 * fsynced) before the next name goes and before the reply, in an order
 * that never leaves a name pointing at a message file already gone: the
 * caller removes info, local, remote and bounce first; qmail-clean
 * removes intd and todo before mess.  Every SPAWN_CLEAN_PID_EVERY
 * commands it also removes files in pid/ older than 36 hours.  Runs as
 * qmailq in QMAILHOME/queue; exits 0 at end of input.
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bytes.h"
#include "conf.h"
#include "err.h"
#include "exitcodes.h"
#include "fmt.h"
#include "fsync.h"
#include "iobuf.h"
#include "sig.h"
#include "spawnproto.h"

#define PATH_MAX_Q 128

/* queue_path - "dir/S/N" (file) or "dir/S" (file == 0) into buf: 0 or -1 */
static int
queue_path(char *buf, size_t size, const char *dir, unsigned long long id,
    int file)
{
	unsigned long long s = id % conf_split;
	int n;

	if (file)
		n = snprintf(buf, size, "%s/%llu/%llu", dir, s, id);
	else
		n = snprintf(buf, size, "%s/%llu", dir, s);
	if (n < 0 || (size_t)n >= size) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

/*
 * remove_durably - unlink dir/S/N and fsync dir/S.  A file already gone
 * counts as removed (its directory is still fsynced, since the unlink
 * may have been done by an earlier attempt that crashed).  0 or -1.
 */
static int
remove_durably(const char *dir, unsigned long long id)
{
	char fn[PATH_MAX_Q];
	char dn[PATH_MAX_Q];

	if (queue_path(fn, sizeof(fn), dir, id, 1) == -1 ||
	    queue_path(dn, sizeof(dn), dir, id, 0) == -1)
		return -1;
	if (unlink(fn) == -1 && errno != ENOENT)
		return -1;
	if (fsync_dir(dn) == -1)
		return -1;
	return 0;
}

/* clean_pid - remove pid/ files left by qmail-queues that died long ago */
static void
clean_pid(void)
{
	DIR *dir = opendir("pid");
	struct dirent *d;
	time_t now = time(NULL);
	char fn[PATH_MAX_Q];
	struct stat st;

	if (dir == NULL)
		return;
	while ((d = readdir(dir)) != NULL) {
		if (d->d_name[0] == '.')
			continue;
		if (strlen(d->d_name) > sizeof(fn) - 8)
			continue;
		if (snprintf(fn, sizeof(fn), "pid/%s", d->d_name) >=
		    (int)sizeof(fn))
			continue;
		if (lstat(fn, &st) == -1)
			continue;
		if (now < st.st_atime + SPAWN_CLEAN_PID_AGE)
			continue;
		(void)unlink(fn);
	}
	closedir(dir);
}

static char
do_command(const char *cmd, size_t len)
{
	enum clean_kind kind;
	unsigned long long id;

	if (clean_cmd_parse(cmd, len, &kind, &id) == -1)
		return CLEAN_BAD;
	if (remove_durably("intd", id) == -1)
		return CLEAN_FAILED;
	if (remove_durably(kind == CLEAN_FOOP ? "mess" : "todo", id) == -1)
		return CLEAN_FAILED;
	return CLEAN_DONE;
}

int
main(void)
{
	char inspace[1024];
	struct iobuf in;
	struct bytes line = BYTES_INIT(SPAWN_CLEAN_CMD_MAX + 1);
	unsigned int countdown = 0;

	err_setprogname("qmail-clean");
	if (chdir(conf_qmail_home) == -1)
		fatal(EXIT_TEMP, "unable to chdir to %s", conf_qmail_home);
	if (chdir("queue") == -1)
		fatal(EXIT_TEMP, "unable to chdir to %s/queue",
		    conf_qmail_home);
	if (sig_ignore(SIGPIPE) == -1)
		fatal(EXIT_TEMP, "unable to ignore SIGPIPE");
	iobuf_init(&in, 0, inspace, sizeof(inspace), -1);
	for (;;) {
		char reply;
		int r;

		if (countdown == 0) {
			clean_pid();
			countdown = SPAWN_CLEAN_PID_EVERY;
		} else
			countdown--;
		bytes_truncate(&line, 0);
		r = iobuf_getline(&in, &line, '\0');
		if (r == -1 && errno == E2BIG) {
			/* too long: skip to the NUL, then refuse it */
			char c;
			int g;

			while ((g = iobuf_getc(&in, &c)) == 1 && c != '\0')
				;
			if (g != 1)
				break;
			reply = CLEAN_BAD;
		} else if (r != 1)
			break;
		else
			reply = do_command(line.s, line.len);
		for (;;) {
			ssize_t w = write(1, &reply, 1);

			if (w == 1)
				break;
			if (w == -1 && errno == EINTR)
				continue;
			_exit(EXIT_PERM);
		}
	}
	bytes_free(&line);
	return EXIT_OK;
}
