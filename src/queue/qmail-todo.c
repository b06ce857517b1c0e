/*
 * qmail-todo - preprocess new messages for qmail-send (the ext-todo
 * design: a process of its own, so new mail never starves deliveries).
 *
 * For every todo/S/N that qmail-queue committed, qmail-todo writes
 * info/S/N (the F record), local/S/N and remote/S/N (a T record per
 * recipient, classified by locals, virtualdomains, percenthack and
 * envnoathost exactly as qmail-send does), fsyncs the files and their
 * directories, has qmail-clean remove todo/S/N and intd/S/N, and only
 * then tells qmail-send about the message.  A crash at any point leaves
 * todo/S/N in place, and the message is simply preprocessed again.
 *
 * It scans todo/ when qmail-send says start, when lock/trigger is
 * poked (qmail-queue does that), when qmail-send got ALRM, and every
 * 25 minutes in any case.  Its log lines go through qmail-send
 * (todoproto.h), so the log stays in order.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdnoreturn.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bytes.h"
#include "conf.h"
#include "control.h"
#include "domainmap.h"
#include "exitcodes.h"
#include "fmt.h"
#include "fsync.h"
#include "iobuf.h"
#include "logsafe.h"
#include "sig.h"
#include "spawnproto.h"
#include "todoproto.h"

#define TODO_SLEEP_SCAN 1500 /* scan todo/ every 25 minutes anyway */
#define TODO_RECORD_BYTES (SPAWN_ADDR_MAX + 2)
#define TODO_PATH_MAX 128

/* Everything qmail-todo knows. */
static struct {
	struct domainmap locals;
	struct domainmap vdoms;
	struct domainmap percenthack;
	struct bytes envnoathost;
	int trigger;	/* lock/trigger, or -1 */
	int want_scan;
	int want_exit;
	struct iobuf cleanin;
	char cleanspace[16];
} T;

/* ----------------------------------------------------------- output */

static noreturn void
die_send(void)
{
	static const char m[] = "alert: qmail-todo: lost connection to "
				"qmail-send, exiting\n";
	ssize_t w = write(TODO_FD_LOG, m, sizeof(m) - 1);
	(void)w;
	_exit(EXIT_TEMP);
}

static void
send_record(const struct bytes *rec)
{
	size_t pos = 0;
	ssize_t w;

	while (pos < rec->len) {
		w = write(TODO_FD_TOSEND, rec->s + pos, rec->len - pos);
		if (w == -1 && errno == EINTR)
			continue;
		if (w <= 0)
			die_send();
		pos += (size_t)w;
	}
}

static struct bytes logrec = BYTES_INIT(TODO_RECORD_MAX);

static void
log_start(void)
{
	bytes_truncate(&logrec, 0);
	(void)bytes_append_char(&logrec, TODO_REC_LOG);
}

static void
log_add(const char *s)
{
	(void)bytes_append_str(&logrec, s);
}

static void
log_addnum(unsigned long long u)
{
	(void)bytes_append_ulong(&logrec, u);
}

/* log_addsafe - untrusted bytes, made safe (logsafe.h) */
static void
log_addsafe(const char *s, size_t n)
{
	(void)logsafe_append(&logrec, s, n);
}

static void
log_end(void)
{
	if (logrec.len == 0 || logrec.s[logrec.len - 1] != '\n')
		(void)bytes_append_char(&logrec, '\n');
	(void)bytes_append_char(&logrec, '\0');
	send_record(&logrec);
}

static void
log_warning(const char *what, const char *path)
{
	log_start();
	log_add("warning: ");
	log_add(what);
	log_add(path);
	log_end();
}

/* --------------------------------------------------------- controls */

static int
map_load(struct domainmap *m, const char *path, int split,
    const struct bytes *me)
{
	struct bytes list = BYTES_INIT(CONTROL_LIST_BYTES);
	struct domainmap n = DOMAINMAP_INIT;
	int r;

	r = me ? control_readlines_me(&list, path, me)
	       : control_readlines(&list, path);
	if (r == -1 || (me && r == 0))
		goto fail;
	if (domainmap_load_lines(&n, &list, split) == -1)
		goto fail;
	bytes_free(&list);
	domainmap_free(m);
	*m = n;
	return 0;
fail:
	domainmap_free(&n);
	bytes_free(&list);
	return -1;
}

/* controls_read - everything the classification needs: 0 or -1 */
static int
controls_read(void)
{
	struct bytes me = BYTES_INIT(CONTROL_LINE_BYTES);
	struct bytes noat = BYTES_INIT(CONTROL_LINE_BYTES);
	int r, ok = -1;

	r = control_readline(&me, "control/me");
	if (r == -1)
		goto out;
	if (control_readline_me(&noat, "control/envnoathost", r ? &me : NULL,
		"envnoathost") != 1)
		goto out;
	if (r == 0) {
		/* without me, locals must exist */
		if (access("control/locals", F_OK) == -1)
			goto out;
		if (map_load(&T.locals, "control/locals", 0, NULL) == -1)
			goto out;
	} else if (map_load(&T.locals, "control/locals", 0, &me) == -1)
		goto out;
	if (map_load(&T.percenthack, "control/percenthack", 0, NULL) == -1)
		goto out;
	if (map_load(&T.vdoms, "control/virtualdomains", 1, NULL) == -1)
		goto out;
	bytes_free(&T.envnoathost);
	T.envnoathost = noat;
	bytes_init(&noat, CONTROL_LINE_BYTES);
	ok = 0;
out:
	bytes_free(&me);
	bytes_free(&noat);
	return ok;
}

static void
reread(void)
{
	if (chdir(conf_qmail_home) == -1) {
		log_start();
		log_add("alert: unable to reread controls: unable to switch "
			"to home directory");
		log_end();
		return;
	}
	if (controls_read() == -1) {
		log_start();
		log_add("alert: unable to reread controls");
		log_end();
	}
	while (chdir("queue") == -1) {
		log_start();
		log_add("alert: unable to switch back to queue directory; "
			"HELP! sleeping...");
		log_end();
		sleep(10);
	}
}

/* ---------------------------------------------------- classification */

/*
 * classify - qmail-send's rewrite of recipient r: out gets the T record
 * (with its NUL).  Returns 0 for local, 1 for remote, -1 out of memory.
 */
static int
classify(struct bytes *out, const char *r, size_t len)
{
	static struct bytes addr = BYTES_INIT(TODO_RECORD_BYTES + CONTROL_LINE_BYTES);
	const char *pre;
	size_t at, i, j;
	int found;

	if (bytes_copy(&addr, r, len) == -1)
		return -1;
	for (at = len; at > 0 && addr.s[at - 1] != '@'; at--)
		;
	if (at == 0) {
		if (bytes_append_char(&addr, '@') == -1 ||
		    bytes_append(&addr, T.envnoathost.s,
			T.envnoathost.len) == -1)
			return -1;
		at = len;
	} else
		at--;

	/* user%host@hack -> user@host, repeatedly */
	while (domainmap_find_exact(&T.percenthack, addr.s + at + 1,
	    addr.len - at - 1, NULL)) {
		for (j = at; j > 0 && addr.s[j - 1] != '%'; j--)
			;
		if (j == 0)
			break;
		bytes_truncate(&addr, at);
		at = j - 1;
		addr.s[at] = '@';
	}
	for (i = addr.len; i > 0 && addr.s[i - 1] != '@'; i--)
		;
	at = i - 1;

	bytes_truncate(out, 0);
	if (bytes_append_char(out, 'T') == -1)
		return -1;
	if (domainmap_find_exact(&T.locals, addr.s + at + 1,
		addr.len - at - 1, NULL)) {
		if (bytes_append(out, addr.s, addr.len) == -1 ||
		    bytes_append_char(out, '\0') == -1)
			return -1;
		return 0;
	}
	found = domainmap_find_virtual(&T.vdoms, addr.s, addr.len, at, &pre);
	if (found == 1 && pre != NULL && *pre) {
		if (bytes_append_str(out, pre) == -1 ||
		    bytes_append_char(out, '-') == -1 ||
		    bytes_append(out, addr.s, addr.len) == -1 ||
		    bytes_append_char(out, '\0') == -1)
			return -1;
		return 0;
	}
	if (bytes_append(out, addr.s, addr.len) == -1 ||
	    bytes_append_char(out, '\0') == -1)
		return -1;
	return 1;
}

/* ------------------------------------------------------------ cleaning */

/* clean_todo - have qmail-clean remove todo/S/N and intd/S/N: 1 if done */
static int
clean_todo(unsigned long long id)
{
	struct bytes cmd = BYTES_INIT(SPAWN_CLEAN_CMD_MAX + 1);
	size_t pos = 0;
	ssize_t w;
	char ch;

	if (clean_cmd_append(&cmd, CLEAN_TODO, id) == -1)
		return 0;
	while (pos < cmd.len) {
		w = write(TODO_FD_TOCLEAN, cmd.s + pos, cmd.len - pos);
		if (w == -1 && errno == EINTR)
			continue;
		if (w <= 0)
			goto dead;
		pos += (size_t)w;
	}
	bytes_free(&cmd);
	if (iobuf_getc(&T.cleanin, &ch) != 1)
		goto dead;
	return ch == CLEAN_DONE;
dead:
	bytes_free(&cmd);
	log_start();
	log_add("alert: oh no! lost qmail-clean connection! dying...");
	log_end();
	_exit(EXIT_TEMP);
}

/* ------------------------------------------------------- one message */

static char fn[TODO_PATH_MAX];

static const char *
fn_make(const char *dir, unsigned long long id)
{
	char a[FMT_ULONG], b[FMT_ULONG];
	size_t n, la, lb;

	fmt_ulong(a, id % conf_split);
	fmt_ulong(b, id);
	n = strlen(dir);
	la = strlen(a);
	lb = strlen(b);
	memcpy(fn, dir, n);
	fn[n++] = '/';
	memcpy(fn + n, a, la);
	n += la;
	fn[n++] = '/';
	memcpy(fn + n, b, lb + 1);
	return fn;
}

static const char *const chan_dir[2] = {"local", "remote"};

/* The files of a message being preprocessed. */
struct prep {
	int todofd;
	int infofd;
	int chanfd[2];
	struct iobuf info;
	struct iobuf chan[2];
	char infospace[1024];
	char chanspace[2][4096];
};

static void
prep_close(struct prep *p)
{
	int c;

	if (p->todofd != -1)
		close(p->todofd);
	if (p->infofd != -1)
		close(p->infofd);
	for (c = 0; c < 2; c++)
		if (p->chanfd[c] != -1)
			close(p->chanfd[c]);
}

/* commit - flush, fsync and close fd and its iobuf; 0 or -1 (logged) */
static int
commit(struct iobuf *b, int *fd, const char *dir, unsigned long long id)
{
	fn_make(dir, id);
	if (iobuf_flush(b) == -1) {
		log_warning("trouble writing to ", fn);
		return -1;
	}
	if (fsync_fd(*fd) == -1) {
		log_warning("trouble fsyncing ", fn);
		return -1;
	}
	if (close(*fd) == -1) {
		*fd = -1;
		log_warning("trouble writing to ", fn);
		return -1;
	}
	*fd = -1;
	if (fsync_parent(fn) == -1) {
		log_warning("trouble fsyncing ", fn);
		return -1;
	}
	return 0;
}

static void
todo_message(unsigned long long id)
{
	static struct bytes line = BYTES_INIT(TODO_RECORD_BYTES);
	static struct bytes rw = BYTES_INIT(TODO_RECORD_BYTES + 2 * CONTROL_LINE_BYTES);
	static struct prep p;
	unsigned long long uid = 0, pid = 0;
	struct iobuf in;
	char inspace[4096];
	struct bytes done = BYTES_INIT(64);
	struct stat st;
	int c, r;

	p.todofd = p.infofd = p.chanfd[0] = p.chanfd[1] = -1;
	p.todofd = open(fn_make("todo", id), O_RDONLY | O_CLOEXEC);
	if (p.todofd == -1) {
		if (errno != ENOENT)
			log_warning("unable to open ", fn);
		return;
	}
	if (stat(fn_make("mess", id), &st) == -1) {
		log_warning("unable to stat ", fn);
		goto fail;
	}
	for (c = 0; c < 2; c++)
		if (unlink(fn_make(chan_dir[c], id)) == -1 && errno != ENOENT) {
			log_warning("unable to unlink ", fn);
			goto fail;
		}
	if (unlink(fn_make("info", id)) == -1 && errno != ENOENT) {
		log_warning("unable to unlink ", fn);
		goto fail;
	}
	p.infofd = open(fn, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (p.infofd == -1) {
		log_warning("unable to create ", fn);
		goto fail;
	}
	iobuf_init(&p.info, p.infofd, p.infospace, sizeof(p.infospace), -1);

	log_start();
	log_add("new msg ");
	log_addnum(id);
	log_end();

	iobuf_init(&in, p.todofd, inspace, sizeof(inspace), -1);
	for (;;) {
		bytes_truncate(&line, 0);
		r = iobuf_getline(&in, &line, '\0');
		if (r == -1) {
			log_warning("trouble reading ", fn_make("todo", id));
			goto fail;
		}
		if (r == 0)
			break; /* an unterminated tail is not a record */
		switch (line.s[0]) {
		case 'u':
			(void)scan_ulong(line.s + 1, &uid);
			break;
		case 'p':
			(void)scan_ulong(line.s + 1, &pid);
			break;
		case 'F':
			if (iobuf_write(&p.info, line.s, line.len) == -1) {
				log_warning("trouble writing to ",
				    fn_make("info", id));
				goto fail;
			}
			log_start();
			log_add("info msg ");
			log_addnum(id);
			log_add(": bytes ");
			log_addnum((unsigned long long)st.st_size);
			log_add(" from <");
			log_addsafe(line.s + 1, line.len - 2);
			log_add("> qp ");
			log_addnum(pid);
			log_add(" uid ");
			log_addnum(uid);
			log_end();
			break;
		case 'T':
			c = classify(&rw, line.s + 1, line.len - 2);
			if (c == -1) {
				log_warning("trouble reading ",
				    fn_make("todo", id));
				goto fail;
			}
			if (p.chanfd[c] == -1) {
				p.chanfd[c] = open(fn_make(chan_dir[c], id),
				    O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
				    0600);
				if (p.chanfd[c] == -1) {
					log_warning("unable to create ", fn);
					goto fail;
				}
				iobuf_init(&p.chan[c], p.chanfd[c],
				    p.chanspace[c], sizeof(p.chanspace[c]),
				    -1);
			}
			if (iobuf_write(&p.chan[c], rw.s, rw.len) == -1) {
				log_warning("trouble writing to ",
				    fn_make(chan_dir[c], id));
				goto fail;
			}
			break;
		default:
			log_warning("unknown record type in ",
			    fn_make("todo", id));
			goto fail;
		}
	}
	close(p.todofd);
	p.todofd = -1;

	/* info, local and remote durable before todo/ goes away */
	if (commit(&p.info, &p.infofd, "info", id) == -1)
		goto fail;
	for (c = 0; c < 2; c++)
		if (p.chanfd[c] != -1 &&
		    commit(&p.chan[c], &p.chanfd[c], chan_dir[c], id) == -1)
			goto fail;
	if (!clean_todo(id)) {
		log_start();
		log_add("warning: qmail-clean unable to clean up todo/");
		log_addnum(id);
		log_end();
		return;
	}
	/* chanfd[] are closed now: remember which ones existed */
	(void)bytes_append_char(&done, TODO_REC_DONE);
	{
		struct stat x;
		int l = stat(fn_make("local", id), &x) == 0;
		int rm = stat(fn_make("remote", id), &x) == 0;
		(void)bytes_append_char(&done, l && rm ? TODO_CHAN_BOTH
			: l ? TODO_CHAN_LOCAL
			: rm ? TODO_CHAN_REMOTE : TODO_CHAN_NONE);
	}
	(void)bytes_append_ulong(&done, id);
	(void)bytes_append_char(&done, '\0');
	send_record(&done);
	bytes_free(&done);
	return;
fail:
	prep_close(&p);
}

/* ------------------------------------------------------------ commands */

/* commands_poll - act on what qmail-send said; wait up to ms */
static void
commands_poll(int ms)
{
	struct pollfd pfd[2];
	char buf[64];
	ssize_t r, i;
	int n = 1;

	pfd[0].fd = TODO_FD_FROMSEND;
	pfd[0].events = POLLIN;
	if (T.trigger != -1) {
		pfd[1].fd = T.trigger;
		pfd[1].events = POLLIN;
		n = 2;
	}
	if (poll(pfd, (nfds_t)n, ms) <= 0)
		return;
	if (n == 2 && pfd[1].revents) {
		while (read(T.trigger, buf, sizeof(buf)) > 0)
			;
		T.want_scan = 1;
	}
	if (!pfd[0].revents)
		return;
	r = read(TODO_FD_FROMSEND, buf, sizeof(buf));
	if (r == -1 && errno == EINTR)
		return;
	if (r <= 0) {
		T.want_exit = 1;
		return;
	}
	for (i = 0; i < r; i++)
		switch (buf[i]) {
		case TODO_CMD_EXIT:
			T.want_exit = 1;
			break;
		case TODO_CMD_REREAD:
			reread();
			break;
		case TODO_CMD_SCAN:
		case TODO_CMD_START:
			T.want_scan = 1;
			break;
		}
}

/* scan - preprocess everything in todo/ */
static void
scan(void)
{
	char dir[TODO_PATH_MAX];
	unsigned long long id;
	struct dirent *de;
	unsigned int s;
	size_t n;
	DIR *dp;

	T.want_scan = 0;
	for (s = 0; s < conf_split && !T.want_exit; s++) {
		memcpy(dir, "todo/", 5);
		fmt_ulong(dir + 5, s);
		dp = opendir(dir);
		if (dp == NULL) {
			log_start();
			log_add("alert: unable to opendir ");
			log_add(dir);
			log_add(", will try again later");
			log_end();
			continue;
		}
		while (!T.want_exit && (de = readdir(dp)) != NULL) {
			n = scan_ulong(de->d_name, &id);
			if (n == 0 || de->d_name[n] != '\0')
				continue;
			todo_message(id);
			commands_poll(0);
		}
		closedir(dp);
	}
}

static noreturn void
cannot_start(const char *why)
{
	char m[256];
	size_t n = 0, l;
	ssize_t w;

	l = strlen("alert: cannot start: qmail-todo: ");
	memcpy(m, "alert: cannot start: qmail-todo: ", l);
	n = l;
	l = strlen(why);
	if (l > sizeof(m) - n - 2)
		l = sizeof(m) - n - 2;
	memcpy(m + n, why, l);
	n += l;
	m[n++] = '\n';
	w = write(TODO_FD_LOG, m, n);
	(void)w;
	_exit(EXIT_TEMP);
}

int
main(void)
{
	char ch;
	ssize_t r;
	time_t next;

	bytes_init(&T.envnoathost, CONTROL_LINE_BYTES);
	if (chdir(conf_qmail_home) == -1)
		cannot_start("unable to switch to home directory");
	if (controls_read() == -1)
		cannot_start("unable to read controls");
	if (chdir("queue") == -1)
		cannot_start("unable to switch to queue directory");
	if (sig_ignore(SIGPIPE) == -1)
		cannot_start("unable to set up signals");
	/* qmail-send tells us when to stop; TERM from a process group
	 * kill must not cut a message in half, so it is ignored too */
	(void)sig_ignore(SIGTERM);
	(void)sig_ignore(SIGHUP);
	(void)sig_ignore(SIGALRM);
	umask(077);
	iobuf_init(&T.cleanin, TODO_FD_FROMCLEAN, T.cleanspace,
	    sizeof(T.cleanspace), -1);
	/* O_RDWR: we hold a writer ourselves, so the FIFO never says EOF */
	T.trigger = open("lock/trigger", O_RDWR | O_NONBLOCK | O_CLOEXEC);

	/* touch nothing before qmail-send has read info/ */
	for (;;) {
		r = read(TODO_FD_FROMSEND, &ch, 1);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0 || ch == TODO_CMD_EXIT)
			return EXIT_OK;
		if (ch == TODO_CMD_START)
			break;
		if (ch == TODO_CMD_REREAD)
			reread();
	}
	T.want_scan = 1;
	next = 0;
	while (!T.want_exit) {
		if (T.want_scan || time(NULL) >= next) {
			scan();
			next = time(NULL) + TODO_SLEEP_SCAN;
			continue;
		}
		commands_poll((int)(next - time(NULL)) * 1000 + 1000);
	}
	return EXIT_OK;
}
