/*
 * spawnsrv.c - the delivery loop of qmail-lspawn and qmail-rspawn.
 * See spawnsrv.h; the wire format is in spawnproto.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "proc.h"
#include "sig.h"
#include "spawnproto.h"
#include "spawnsrv.h"

#define READ_CHUNK 4096
#define CMD_CHUNK 4096

/* One delivery slot. */
struct slot {
	int used;
	pid_t pid;	  /* 0 once reaped */
	int wstat;	  /* valid once reaped */
	int fd;		  /* read end of the child's output, -1 at EOF */
	struct bytes out; /* what the child printed */
};

/* The whole state of the loop (one per process). */
struct server {
	const struct spawnsrv_ops *ops;
	unsigned int nslots;
	struct slot *slots;
	int reading;	      /* fd 0 still open */
	int writing;	      /* fd 1 still writable */
	struct bytes wbuf;    /* reports not yet written */
	struct spawn_cmd_reader cmd;
	struct pollfd *pfd;   /* 2 + nslots entries */
	unsigned int *pslot;  /* pfd index -> slot */
};

static int selfpipe[2] = { -1, -1 };

static void
on_sigchld(int signo)
{
	int saved = errno;
	char c = 0;

	(void)signo;
	if (write(selfpipe[1], &c, 1) == -1) {
		/* the pipe is full: a wakeup is already pending */
	}
	errno = saved;
}

unsigned int
spawnsrv_slots(void)
{
	struct rlimit rl;
	rlim_t n;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1)
		return 1;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
			(void)getrlimit(RLIMIT_NOFILE, &rl);
	}
	n = rl.rlim_cur;
	if (n == RLIM_INFINITY || n > SPAWN_SLOTS_MAX + SPAWN_FD_RESERVE)
		return SPAWN_SLOTS_MAX;
	if (n <= SPAWN_FD_RESERVE)
		return 1;
	return (unsigned int)(n - SPAWN_FD_RESERVE);
}

void
spawnsrv_child_setup(void)
{
	sigset_t none;

	(void)sig_default(SIGCHLD);
	(void)sig_default(SIGPIPE);
	sigemptyset(&none);
	(void)sigprocmask(SIG_SETMASK, &none, NULL);
}

/* flush_out - write what can be written of wbuf (blocking); never fails */
static void
flush_out(struct server *s)
{
	size_t pos = 0;

	while (s->writing && pos < s->wbuf.len) {
		ssize_t w = write(1, s->wbuf.s + pos, s->wbuf.len - pos);

		if (w == -1 && errno == EINTR)
			continue;
		if (w <= 0) {
			/* qmail-send has gone: carry on without writing */
			s->writing = 0;
			break;
		}
		pos += (size_t)w;
	}
	bytes_truncate(&s->wbuf, 0);
}

/* put_report - queue a report; on no memory the report is lost (qmail) */
static void
put_report(struct server *s, unsigned int delnum, const char *report,
    size_t len)
{
	if (len == 0)
		report = "Z", len = 1;
	if (s->writing)
		(void)spawn_report_append(&s->wbuf, delnum, report[0],
		    report + 1, len - 1);
	flush_out(s);
}

static void
put_error(struct server *s, unsigned int delnum, const char *report)
{
	put_report(s, delnum, report, strlen(report));
}

static int
messid_ok(struct server *s, const char *m)
{
	size_t i, len = strlen(m);

	for (i = 0; i < len; i++)
		if (!(m[i] == '/' && i > 0) && (m[i] < '0' || m[i] > '9')) {
			put_error(s, s->cmd.delnum,
			    "DInternal error: messid has nonnumerics. "
			    "(#5.3.5)\n");
			return 0;
		}
	if (len > SPAWN_MESSID_MAX) {
		put_error(s, s->cmd.delnum,
		    "DInternal error: messid too long. (#5.3.5)\n");
		return 0;
	}
	if (len == 0) {
		put_error(s, s->cmd.delnum,
		    "DInternal error: messid too short. (#5.3.5)\n");
		return 0;
	}
	return 1;
}

/* do_command - start the delivery the reader has just completed */
static void
do_command(struct server *s)
{
	struct spawn_cmd_reader *c = &s->cmd;
	unsigned int d = c->delnum;
	struct slot *sl;
	struct bytes path = BYTES_INIT(SPAWN_MESSID_MAX + 32);
	struct stat st;
	const char *at;
	int fdmess, pi[2];
	pid_t pid;

	if (c->toolong) {
		if (c->sender.len + 1 >= c->sender.limit ||
		    c->recip.len + 1 >= c->recip.limit)
			put_error(s, d, "DSorry, address too long. (#5.1.3)\n");
		else if (c->messid.len + 1 >= c->messid.limit)
			put_error(s, d,
			    "DInternal error: messid too long. (#5.3.5)\n");
		else
			put_error(s, d, "Zqmail-spawn out of memory. (#4.3.0)\n");
		return;
	}
	if (d >= s->nslots) {
		put_error(s, d, "ZInternal error: delnum too big. (#4.3.5)\n");
		return;
	}
	sl = &s->slots[d];
	if (sl->used) {
		put_error(s, d, "ZInternal error: delnum in use. (#4.3.5)\n");
		return;
	}
	if (!messid_ok(s, c->messid.s))
		return;
	at = strrchr(c->recip.s, '@');
	if (at == NULL) {
		put_error(s, d,
		    "DSorry, address must include host name. (#5.1.3)\n");
		return;
	}
	if (bytes_copy_str(&path, "queue/mess/") == -1 ||
	    bytes_append_str(&path, c->messid.s) == -1 ||
	    bytes_cstr(&path) == NULL) {
		bytes_free(&path);
		put_error(s, d, "Zqmail-spawn out of memory. (#4.3.0)\n");
		return;
	}
	fdmess = open(path.s, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	bytes_free(&path);
	if (fdmess == -1) {
		put_error(s, d,
		    "Zqmail-spawn unable to open message. (#4.3.0)\n");
		return;
	}
	if (fstat(fdmess, &st) == -1) {
		close(fdmess);
		put_error(s, d,
		    "Zqmail-spawn unable to fstat message. (#4.3.0)\n");
		return;
	}
	if (!S_ISREG(st.st_mode)) {
		close(fdmess);
		put_error(s, d, "ZSorry, message has wrong type. (#4.3.5)\n");
		return;
	}
	if (st.st_uid != s->ops->mess_owner) {
		close(fdmess);
		put_error(s, d, "ZSorry, message has wrong owner. (#4.3.5)\n");
		return;
	}
	if (pipe2(pi, O_CLOEXEC) == -1) {
		close(fdmess);
		put_error(s, d,
		    "Zqmail-spawn unable to create pipe. (#4.3.0)\n");
		return;
	}
	pid = s->ops->start(s->ops->ctx, fdmess, pi[1], c->sender.s,
	    c->recip.s, (size_t)(at - c->recip.s));
	close(fdmess);
	close(pi[1]);
	if (pid == -1) {
		close(pi[0]);
		put_error(s, d, "Zqmail-spawn unable to fork. (#4.3.0)\n");
		return;
	}
	(void)fd_nonblock(pi[0]);
	sl->used = 1;
	sl->pid = pid;
	sl->wstat = 0;
	sl->fd = pi[0];
	bytes_truncate(&sl->out, 0);
}

/* read_commands - read what fd 0 has and start the deliveries it asks */
static void
read_commands(struct server *s)
{
	char buf[CMD_CHUNK];
	ssize_t r = read(0, buf, sizeof(buf));
	size_t pos = 0;

	if (r == -1) {
		if (errno != EINTR && errno != EAGAIN)
			s->reading = 0;
		return;
	}
	if (r == 0) {
		s->reading = 0;
		return;
	}
	while (pos < (size_t)r) {
		size_t used;
		int rc = spawn_cmd_feed(&s->cmd, buf + pos, (size_t)r - pos,
		    &used);

		pos += used;
		if (rc == 1)
			do_command(s);
	}
}

/* add_output - keep what a child printed, truncated as qmail-lspawn */
static void
add_output(struct server *s, struct slot *sl, const char *p, size_t n)
{
	size_t trunc = s->ops->truncate;
	size_t cap = trunc ? trunc : SPAWN_REPORT_MAX;
	size_t msglen = strlen(SPAWN_REPORT_TOOLONG);

	if (trunc == 0) {
		/* keep the first SPAWN_REPORT_MAX bytes, drop the rest */
		if (sl->out.len >= cap)
			return;
		if (n > cap - sl->out.len)
			n = cap - sl->out.len;
		(void)bytes_append(&sl->out, p, n);
		return;
	}
	/* as qmail: past trunc bytes, cut and say so */
	if (sl->out.len + n > trunc + 1)
		n = sl->out.len <= trunc ? trunc + 1 - sl->out.len : 0;
	(void)bytes_append(&sl->out, p, n);
	if (sl->out.len > trunc) {
		bytes_truncate(&sl->out, trunc - msglen - 3);
		(void)bytes_append_str(&sl->out, SPAWN_REPORT_TOOLONG);
	}
}

/* finish - report a slot whose child has exited and whose output ended */
static void
finish(struct server *s, unsigned int i)
{
	struct slot *sl = &s->slots[i];
	struct bytes rep = BYTES_INIT(SPAWN_REPORT_MAX + 1024);

	s->ops->report(s->ops->ctx, &rep, sl->wstat, sl->out.s ? sl->out.s : "",
	    sl->out.len);
	if (rep.len > SPAWN_REPORT_MAX)
		bytes_truncate(&rep, SPAWN_REPORT_MAX);
	if (rep.len == 0)
		put_error(s, i, "Zqmail-spawn out of memory. (#4.3.0)\n");
	else
		put_report(s, i, rep.s, rep.len);
	bytes_free(&rep);
	sl->used = 0;
	if (sl->out.cap > READ_CHUNK * 4)
		bytes_free(&sl->out);
	else
		bytes_truncate(&sl->out, 0);
}

static void
read_output(struct server *s, unsigned int i)
{
	struct slot *sl = &s->slots[i];
	char buf[READ_CHUNK];
	ssize_t r = read(sl->fd, buf, sizeof(buf));

	if (r == -1)
		return; /* EINTR, EAGAIN: poll again */
	if (r > 0) {
		add_output(s, sl, buf, (size_t)r);
		return;
	}
	close(sl->fd);
	sl->fd = -1;
	if (sl->pid == 0)
		finish(s, i);
}

static void
reap(struct server *s)
{
	char junk[64];
	int wstat;
	pid_t pid;
	unsigned int i;

	while (read(selfpipe[0], junk, sizeof(junk)) > 0)
		;
	while ((pid = waitpid(-1, &wstat, WNOHANG)) > 0)
		for (i = 0; i < s->nslots; i++)
			if (s->slots[i].used && s->slots[i].pid == pid) {
				s->slots[i].pid = 0;
				s->slots[i].wstat = wstat;
				if (s->slots[i].fd == -1)
					finish(s, i);
				break;
			}
}

static int
active(const struct server *s)
{
	unsigned int i;

	for (i = 0; i < s->nslots; i++)
		if (s->slots[i].used)
			return 1;
	return 0;
}

static int
loop(struct server *s)
{
	unsigned char greeting[SPAWN_DELNUM_LEN];
	unsigned int i;

	spawn_u16_put(greeting, s->nslots);
	if (bytes_append(&s->wbuf, greeting, sizeof(greeting)) == -1)
		return -1;
	flush_out(s);
	for (;;) {
		nfds_t n = 0;
		int r;

		if (!s->reading && !active(s))
			return 0;
		s->pfd[n].fd = selfpipe[0];
		s->pfd[n++].events = POLLIN;
		if (s->reading) {
			s->pfd[n].fd = 0;
			s->pfd[n++].events = POLLIN;
		}
		for (i = 0; i < s->nslots; i++)
			if (s->slots[i].used && s->slots[i].fd != -1) {
				s->pfd[n].fd = s->slots[i].fd;
				s->pfd[n].events = POLLIN;
				s->pslot[n++] = i;
			}
		r = poll(s->pfd, n, -1);
		if (r == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		for (i = 0; i < n; i++) {
			if (!s->pfd[i].revents)
				continue;
			if (s->pfd[i].fd == selfpipe[0])
				reap(s);
			else if (s->pfd[i].fd == 0)
				read_commands(s);
			else if (s->slots[s->pslot[i]].fd == s->pfd[i].fd)
				read_output(s, s->pslot[i]);
		}
		/* a SIGCHLD may have come in while we worked */
		reap(s);
	}
}

int
spawnsrv_run(const struct spawnsrv_ops *ops, unsigned int slots)
{
	struct server s;
	unsigned int i;
	int rc = -1;

	memset(&s, 0, sizeof(s));
	s.ops = ops;
	s.nslots = slots ? slots : 1;
	s.reading = 1;
	s.writing = 1;
	bytes_init(&s.wbuf, SPAWN_REPORT_MAX + 64);
	spawn_cmd_reader_init(&s.cmd);
	s.slots = calloc(s.nslots, sizeof(*s.slots));
	s.pfd = calloc((size_t)s.nslots + 2, sizeof(*s.pfd));
	s.pslot = calloc((size_t)s.nslots + 2, sizeof(*s.pslot));
	if (s.slots == NULL || s.pfd == NULL || s.pslot == NULL)
		goto out;
	for (i = 0; i < s.nslots; i++) {
		s.slots[i].fd = -1;
		bytes_init(&s.slots[i].out,
		    (ops->truncate ? ops->truncate : SPAWN_REPORT_MAX) +
			READ_CHUNK + 64);
	}
	if (pipe2(selfpipe, O_CLOEXEC | O_NONBLOCK) == -1)
		goto out;
	if (sig_ignore(SIGPIPE) == -1 || sig_catch(SIGCHLD, on_sigchld) == -1)
		goto out;
	rc = loop(&s);
out:
	if (s.slots)
		for (i = 0; i < s.nslots; i++)
			bytes_free(&s.slots[i].out);
	free(s.slots);
	free(s.pfd);
	free(s.pslot);
	bytes_free(&s.wbuf);
	spawn_cmd_reader_free(&s.cmd);
	return rc;
}
