/*
 * qmail-send - the scheduler: deliver what qmail-todo has preprocessed.
 *
 * qmail-todo turns every new message (todo/S/N) into info/S/N (the F
 * record), local/S/N and remote/S/N (a T record per recipient) and tells
 * us about it.  We hand one recipient at a time to qmail-lspawn or
 * qmail-rspawn, up to concurrencylocal and concurrencyremote deliveries
 * at once, mark each finished recipient done (T becomes D, fsynced),
 * collect permanent failures in bounce/N and send them back as one QSBMF
 * bounce, and finally have qmail-clean remove the message.
 *
 * The schedule is qmail's: a channel of a message is retried at
 * birth + (floor(sqrt(now - birth)) + skip)^2 (skip 10 local, 20 remote),
 * birth being the info file's mtime; after queuelifetime a deferral is a
 * failure.  Each channel keeps a binary heap of (time, message), so an
 * event never costs a scan of the queue; per queued message we keep only
 * two heap entries, never its recipients or its sender.
 *
 * Descriptors and the byte protocols are in spawnproto.h.  The log
 * (qmail-log(5)) goes to descriptor 0.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdnoreturn.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <utime.h>

#include "bytes.h"
#include "conf.h"
#include "control.h"
#include "date822.h"
#include "domainmap.h"
#include "exitcodes.h"
#include "fmt.h"
#include "fsync.h"
#include "iobuf.h"
#include "logsafe.h"
#include "lock.h"
#include "proc.h"
#include "qqueue.h"
#include "quote.h"
#include "sig.h"
#include "spawnproto.h"
#include "todoproto.h"

#define CHANNELS 2

/* Timings, in seconds (qmail's values). */
#define SEND_SLEEP_SYSFAIL 123 /* retry after a system failure */
#define SEND_SLEEP_FOREVER 86400 /* longest sleep in poll */
#define SEND_SLEEP_NOMEM 10
#define SEND_CLEANUP_EVERY 76431 /* between two sweeps of mess/ */
#define SEND_OSSIFIED 129600 /* 36 hours: a lone message file is an orphan */

/* Limits. */
#define SEND_REPORT_MAX (SPAWN_REPORT_MAX + 256) /* a report, with ours */
#define SEND_RECORD_BYTES (SPAWN_ADDR_MAX + 2) /* a record, with its NUL */
#define SEND_COMMAND_BACKLOG 65536    /* commands queued for one spawn */
#define SEND_PATH_MAX 128
/* A bounce carries the original's header (at most this much of it) and
 * at most control/bouncemaxbytes (default this) of its body. */
#define SEND_BOUNCE_HEADER_MAX 100000
#define SEND_BOUNCE_BODY_DEFAULT 50000

static const char *const chan_dir[CHANNELS] = {"local", "remote"};
static const int chan_skip[CHANNELS] = {10, 20};
static const int chan_fdout[CHANNELS] = {SEND_FD_TOLSPAWN,
    SEND_FD_TORSPAWN};
static const int chan_fdin[CHANNELS] = {SEND_FD_FROMLSPAWN,
    SEND_FD_FROMRSPAWN};
static const char *const chan_ctl[CHANNELS] = {"control/concurrencylocal",
    "control/concurrencyremote"};
static const unsigned long chan_default_conc[CHANNELS] = {10, 20};

/* A heap entry: message id due at dt. */
struct pq_elt {
	time_t dt;
	unsigned long long id;
};

struct pq {
	struct pq_elt *p;
	size_t len;
	size_t cap;
};

/* A message being worked on in one channel (qmail's job). */
struct job {
	int refs; /* 0: free */
	unsigned long long id;
	int channel;
	time_t retry;
	struct bytes sender;
	size_t numtodo;
	int hiteof;
	int dying;
};

/* A delivery in progress; its index is the delivery number on the wire. */
struct del {
	int used;
	size_t job;
	unsigned long long delid;
	off_t mpos;
	struct bytes recip;
};

/* The recipient file of a channel being read to start deliveries. */
struct pass {
	int active;
	unsigned long long id;
	size_t job;
	int fd;
	off_t mpos;
	struct iobuf in;
	char space[4096];
};

struct channel {
	int alive;
	unsigned long conc;	 /* the limit in force */
	unsigned long used;	 /* deliveries in progress */
	unsigned long spawnmax;	 /* what the spawn program accepts */
	struct del *d;		 /* nslots slots */
	size_t nslots;
	size_t *freeslots;	 /* stack of free slot numbers */
	size_t nfree;
	struct bytes out;	 /* commands not yet written */
	size_t outpos;
	struct spawn_report_reader rr; /* a report being read */
	struct pq pq;		 /* when to look at each message again */
	struct pass pass;
};

/* Everything qmail-send knows, owned by this file. */
static struct {
	struct channel ch[CHANNELS];
	struct job *jobs;
	size_t njobs;
	size_t *freejobs;
	size_t nfreejobs;
	struct pq pqdone; /* messages to finish (bounce, clean) */
	struct pq pqfail; /* messages whose files could not be looked at */
	unsigned long long masterdelid;
	time_t recent;
	unsigned long lifetime;
	unsigned long bouncemaxbytes; /* body bytes in a bounce; 0: all */
	struct bytes bouncefrom, bouncehost, doublebounceto, doublebouncehost;
	struct domainmap vdoms;
	struct bytes vdomlist;
	int todo_alive;
	int clean_alive;
	struct bytes todoin; /* a record from qmail-todo being read */
	struct iobuf cleanin;
	char cleanspace[16];
	time_t cleanup_next;	   /* when the next sweep of mess/ starts */
	unsigned int cleanup_dir; /* the mess/ directory it looks at next */
} S;

static volatile sig_atomic_t flag_exitasap, flag_runasap, flag_readasap;

static void on_term(int s) { (void)s; flag_exitasap = 1; }
static void on_alrm(int s) { (void)s; flag_runasap = 1; }
static void on_hup(int s) { (void)s; flag_readasap = 1; }

/* ----------------------------------------------------------------- log */

static struct bytes logline = BYTES_INIT(SEND_REPORT_MAX * 2 + 4096);

static void
log_add(const char *s)
{
	(void)bytes_append_str(&logline, s);
}

static void
log_addnum(unsigned long long u)
{
	(void)bytes_append_ulong(&logline, u);
}

/* log_addsafe - untrusted bytes, made safe (logsafe.h) */
static void
log_addsafe(const char *s, size_t n)
{
	(void)logsafe_append(&logline, s, n);
}

static void
log_flush(void)
{
	size_t pos = 0;
	ssize_t w;

	while (pos < logline.len) {
		w = write(0, logline.s + pos, logline.len - pos);
		if (w == -1 && errno == EINTR)
			continue;
		if (w <= 0)
			break; /* nowhere to complain */
		pos += (size_t)w;
	}
	bytes_truncate(&logline, 0);
}

/* log_line - one whole line made of the C strings given, NULL-ended */
static void
log_line(const char *s, ...)
	__attribute__((sentinel));

static void
log_line(const char *s, ...)
{
	va_list ap;

	va_start(ap, s);
	for (; s != NULL; s = va_arg(ap, const char *))
		log_add(s);
	va_end(ap);
	log_flush();
}

static void
nomem(void)
{
	log_line("alert: out of memory, sleeping...\n", NULL);
	sleep(SEND_SLEEP_NOMEM);
}

/* ----------------------------------------------------------- filenames */

static char fn[SEND_PATH_MAX];

/* fn_make - "dir/S/N" (split) or "dir/N" into fn */
static const char *
fn_make(const char *dir, unsigned long long id, int split)
{
	char a[FMT_ULONG], b[FMT_ULONG];
	size_t n = 0;

	fmt_ulong(a, id % conf_split);
	fmt_ulong(b, id);
	fn[0] = '\0';
	if (dir[0]) {
		n = strlen(dir);
		memcpy(fn, dir, n);
		fn[n++] = '/';
	}
	if (split) {
		memcpy(fn + n, a, strlen(a));
		n += strlen(a);
		fn[n++] = '/';
	}
	memcpy(fn + n, b, strlen(b) + 1);
	return fn;
}

/* --------------------------------------------------------------- heaps */

static int
pq_insert(struct pq *q, time_t dt, unsigned long long id)
{
	size_t i, parent;
	struct pq_elt *p;

	if (q->len == q->cap) {
		size_t ncap = q->cap ? q->cap * 2 : 64;
		if (ncap < q->cap || ncap > SIZE_MAX / sizeof(*p))
			return -1;
		p = realloc(q->p, ncap * sizeof(*p));
		if (p == NULL)
			return -1;
		q->p = p;
		q->cap = ncap;
	}
	i = q->len++;
	while (i > 0) {
		parent = (i - 1) / 2;
		if (q->p[parent].dt <= dt)
			break;
		q->p[i] = q->p[parent];
		i = parent;
	}
	q->p[i].dt = dt;
	q->p[i].id = id;
	return 0;
}

static void
pq_add(struct pq *q, time_t dt, unsigned long long id)
{
	while (pq_insert(q, dt, id) == -1)
		nomem();
}

static int
pq_min(const struct pq *q, struct pq_elt *e)
{
	if (q->len == 0)
		return 0;
	*e = q->p[0];
	return 1;
}

static void
pq_delmin(struct pq *q)
{
	size_t i = 0, child;
	struct pq_elt last;

	if (q->len == 0)
		return;
	last = q->p[--q->len];
	for (;;) {
		child = 2 * i + 1;
		if (child >= q->len)
			break;
		if (child + 1 < q->len && q->p[child + 1].dt < q->p[child].dt)
			child++;
		if (last.dt <= q->p[child].dt)
			break;
		q->p[i] = q->p[child];
		i = child;
	}
	if (q->len)
		q->p[i] = last;
}

/* -------------------------------------------------------------- controls */

static struct bytes ctl_me = BYTES_INIT(CONTROL_LINE_BYTES);

static int
controls_read_vdoms(void)
{
	struct bytes list = BYTES_INIT(CONTROL_LIST_BYTES);
	struct domainmap m = DOMAINMAP_INIT;
	int r;

	r = control_readlines(&list, "control/virtualdomains");
	if (r == -1)
		return -1;
	if (domainmap_load_lines(&m, &list, 1) == -1) {
		domainmap_free(&m);
		bytes_free(&list);
		return -1;
	}
	bytes_free(&list);
	domainmap_free(&S.vdoms);
	S.vdoms = m;
	return 0;
}

static int
controls_read_conc(unsigned long conc[CHANNELS])
{
	int c;

	for (c = 0; c < CHANNELS; c++) {
		conc[c] = chan_default_conc[c];
		if (control_readint(&conc[c], chan_ctl[c]) == -1)
			return -1;
	}
	return 0;
}

static int
controls_read(unsigned long conc[CHANNELS])
{
	int r;
	const struct bytes *me;

	r = control_readline(&ctl_me, "control/me");
	if (r == -1)
		return -1;
	me = r ? &ctl_me : NULL;
	S.lifetime = 604800;
	if (control_readint(&S.lifetime, "control/queuelifetime") == -1)
		return -1;
	S.bouncemaxbytes = SEND_BOUNCE_BODY_DEFAULT;
	if (control_readint(&S.bouncemaxbytes, "control/bouncemaxbytes") == -1)
		return -1;
	if (controls_read_conc(conc) == -1)
		return -1;
	if (control_readline_def(&S.bouncefrom, "control/bouncefrom",
		"MAILER-DAEMON") != 1)
		return -1;
	if (control_readline_me(&S.bouncehost, "control/bouncehost", me,
		"bouncehost") != 1)
		return -1;
	if (control_readline_me(&S.doublebouncehost,
		"control/doublebouncehost", me, "doublebouncehost") != 1)
		return -1;
	if (control_readline_def(&S.doublebounceto, "control/doublebounceto",
		"postmaster") != 1)
		return -1;
	if (controls_read_vdoms() == -1)
		return -1;
	return 0;
}

/* ------------------------------------------------------------- deliveries */

static void
status_log(void)
{
	int c;

	log_add("status:");
	for (c = 0; c < CHANNELS; c++) {
		log_add(c ? " remote " : " local ");
		log_addnum(S.ch[c].used);
		log_add("/");
		log_addnum(S.ch[c].conc);
	}
	if (flag_exitasap)
		log_add(" exitasap");
	log_add("\n");
	log_flush();
}

/* chan_setconc - apply a concurrency limit, growing the slot table */
static void
chan_setconc(int c, unsigned long want)
{
	struct channel *ch = &S.ch[c];
	size_t n, i;
	struct del *d;
	size_t *fs;

	if (want > ch->spawnmax)
		want = ch->spawnmax;
	n = (size_t)want;
	if (n > ch->nslots) {
		if (n > SIZE_MAX / sizeof(*d))
			return;
		d = realloc(ch->d, n * sizeof(*d));
		if (d == NULL)
			return; /* keep the old, smaller limit */
		ch->d = d;
		fs = realloc(ch->freeslots, n * sizeof(*fs));
		if (fs == NULL)
			return;
		ch->freeslots = fs;
		for (i = ch->nslots; i < n; i++) {
			d[i].used = 0;
			bytes_init(&d[i].recip, SEND_RECORD_BYTES);
		}
		/* push in reverse so low numbers are used first */
		for (i = n; i > ch->nslots; i--)
			ch->freeslots[ch->nfree++] = i - 1;
		ch->nslots = n;
	}
	ch->conc = want;
}

/* jobs_grow - make sure there are at least the sum of limits job slots */
static void
jobs_grow(void)
{
	size_t want = 0, i;
	struct job *j;
	size_t *f;
	int c;

	for (c = 0; c < CHANNELS; c++)
		want += (size_t)S.ch[c].conc;
	want += 2;
	if (want <= S.njobs)
		return;
	if (want > SIZE_MAX / sizeof(*j))
		return;
	j = realloc(S.jobs, want * sizeof(*j));
	if (j == NULL)
		return;
	S.jobs = j;
	f = realloc(S.freejobs, want * sizeof(*f));
	if (f == NULL)
		return;
	S.freejobs = f;
	for (i = S.njobs; i < want; i++) {
		j[i].refs = 0;
		bytes_init(&j[i].sender, SEND_RECORD_BYTES);
	}
	for (i = want; i > S.njobs; i--)
		S.freejobs[S.nfreejobs++] = i - 1;
	S.njobs = want;
}

static int
del_avail(int c)
{
	struct channel *ch = &S.ch[c];

	return ch->alive && ch->used < ch->conc && ch->nfree > 0 &&
	    ch->out.len < SEND_COMMAND_BACKLOG;
}

/* ----------------------------------------------------------------- jobs */

static size_t
job_open(unsigned long long id, int c)
{
	size_t j = S.freejobs[--S.nfreejobs];

	S.jobs[j].refs = 1;
	S.jobs[j].id = id;
	S.jobs[j].channel = c;
	S.jobs[j].numtodo = 0;
	S.jobs[j].hiteof = 0;
	S.jobs[j].dying = 0;
	return j;
}

static int
chanfile_exists(unsigned long long id, int c)
{
	struct stat st;

	if (stat(fn_make(chan_dir[c], id, 1), &st) == 0)
		return 1;
	return errno == ENOENT ? 0 : -1;
}

static void
job_close(size_t j)
{
	struct job *jo = &S.jobs[j];
	int c;
	time_t dt;

	if (--jo->refs > 0)
		return;
	S.freejobs[S.nfreejobs++] = j;
	bytes_truncate(&jo->sender, 0);
	dt = jo->retry;
	if (jo->hiteof && jo->numtodo == 0) {
		fn_make(chan_dir[jo->channel], jo->id, 1);
		if (unlink(fn) == -1) {
			log_line("warning: unable to unlink ", fn,
			    "; will try again later\n", NULL);
			dt = time(NULL) + SEND_SLEEP_SYSFAIL;
		} else {
			/* the recipients are done: durably, before cleanup */
			if (fsync_parent(fn) == -1)
				log_line("warning: trouble fsyncing ", fn,
				    "\n", NULL);
			for (c = 0; c < CHANNELS; c++) {
				if (c == jo->channel)
					continue;
				switch (chanfile_exists(jo->id, c)) {
				case 1:
					return; /* the other channel goes on */
				case -1:
					log_line("warning: unable to stat ",
					    fn, "\n", NULL);
					break;
				}
			}
			pq_add(&S.pqdone, time(NULL), jo->id);
			return;
		}
	}
	pq_add(&S.ch[jo->channel].pq, dt, jo->id);
}

/* ------------------------------------------------------------ reading info */

/*
 * info_read - the sender (without F) and the birth (mtime) of message id:
 * 1, or 0 if the info file cannot be read.
 */
static int
info_read(unsigned long long id, struct bytes *sender, time_t *birth)
{
	struct stat st;
	struct iobuf in;
	char space[512];
	int fd, r;

	fd = open(fn_make("info", id, 1), O_RDONLY | O_CLOEXEC);
	if (fd == -1)
		return 0;
	if (fstat(fd, &st) == -1) {
		close(fd);
		return 0;
	}
	iobuf_init(&in, fd, space, sizeof(space), -1);
	for (;;) {
		bytes_truncate(sender, 0);
		r = iobuf_getline(&in, sender, '\0');
		if (r != 1 || sender->len < 1) {
			close(fd);
			return 0;
		}
		if (sender->s[0] == 'F')
			break;
	}
	close(fd);
	/* drop the F and the NUL, keep the address */
	memmove(sender->s, sender->s + 1, sender->len - 2);
	bytes_truncate(sender, sender->len - 2);
	*birth = st.st_mtime;
	return 1;
}

/* ------------------------------------------------------------- commands */

/*
 * sender_for - the envelope sender of a delivery: qmail's VERP,
 * "owner-@host-@[]" becomes "owner-box=domain@host" for box@domain.
 */
static void
sender_for(struct bytes *out, const struct bytes *sender, const char *recip)
{
	const char *s = sender->s;
	size_t n = sender->len, j;
	const char *at;

	if (n >= 5 && memcmp(s + n - 4, "-@[]", 4) == 0) {
		for (j = n - 4; j > 0; j--)
			if (s[j - 1] == '@')
				break;
		at = strrchr(recip, '@');
		if (j > 0 && at != NULL) {
			(void)bytes_append(out, s, j - 1);
			(void)bytes_append(out, recip, (size_t)(at - recip));
			(void)bytes_append_char(out, '=');
			(void)bytes_append_str(out, at + 1);
			(void)bytes_append_char(out, '@');
			(void)bytes_append(out, s + j, n - 4 - j);
			return;
		}
	}
	(void)bytes_append(out, s, n);
}

static void
del_start(int c, size_t j, off_t mpos, const char *recip, size_t rlen)
{
	struct channel *ch = &S.ch[c];
	struct del *d;
	size_t i;

	i = ch->freeslots[--ch->nfree];
	d = &ch->d[i];
	if (bytes_copy(&d->recip, recip, rlen) == -1 ||
	    bytes_cstr(&d->recip) == NULL) {
		ch->freeslots[ch->nfree++] = i;
		nomem();
		return;
	}
	d->used = 1;
	d->job = j;
	d->delid = S.masterdelid++;
	d->mpos = mpos;
	S.jobs[j].refs++;
	ch->used++;

	{
		static struct bytes snd = BYTES_INIT(2 * SEND_RECORD_BYTES);
		bytes_truncate(&snd, 0);
		sender_for(&snd, &S.jobs[j].sender, d->recip.s);
		fn_make("", S.jobs[j].id, 1);
		if (bytes_cstr(&snd) == NULL ||
		    spawn_cmd_append(&ch->out, (unsigned int)i, fn, snd.s,
			d->recip.s) == -1) {
			/* cannot be said: treat as a deferral */
			log_line("warning: unable to start delivery of msg ",
			    fn, "\n", NULL);
			d->used = 0;
			S.jobs[j].refs--; /* numtodo stays: the T stays */
			ch->used--;
			ch->freeslots[ch->nfree++] = i;
			return;
		}
	}

	log_add("starting delivery ");
	log_addnum(d->delid);
	log_add(": msg ");
	log_addnum(S.jobs[j].id);
	log_add(c ? " to remote " : " to local ");
	log_addsafe(recip, rlen);
	log_add("\n");
	log_flush();
	status_log();
}

static void
comm_write(int c)
{
	struct channel *ch = &S.ch[c];
	ssize_t w;

	while (ch->outpos < ch->out.len) {
		w = write(chan_fdout[c], ch->out.s + ch->outpos,
		    ch->out.len - ch->outpos);
		if (w == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				return;
			log_line("alert: oh no! lost spawn connection! "
				 "dying...\n", NULL);
			ch->alive = 0;
			flag_exitasap = 1;
			return;
		}
		ch->outpos += (size_t)w;
	}
	bytes_truncate(&ch->out, 0);
	ch->outpos = 0;
}

/* ------------------------------------------------------------- marking */

/* mark_done - turn the T at pos into D and fsync, durably */
static void
mark_done(int c, unsigned long long id, off_t pos)
{
	int fd;

	fn_make(chan_dir[c], id, 1);
	fd = open(fn, O_WRONLY | O_CLOEXEC);
	if (fd != -1) {
		if (pwrite(fd, "D", 1, pos) == 1 && fsync_fd(fd) == 0) {
			close(fd);
			return;
		}
		close(fd);
	}
	log_line("warning: trouble marking ", fn,
	    "; message will be delivered twice!\n", NULL);
}

/* ------------------------------------------------------------- bounces */

/* strip_vdom - recip without the prefix virtualdomains gave it */
static const char *
strip_vdom(const char *recip)
{
	const char *at = strrchr(recip, '@');
	const char *dom, *pre;
	size_t dlen, i, plen;

	if (at == NULL)
		return recip;
	dom = at + 1;
	dlen = strlen(dom);
	for (i = 0; i <= dlen; i++) {
		if (i != 0 && i != dlen && dom[i] != '.')
			continue;
		if (!domainmap_find_exact(&S.vdoms, dom + i, dlen - i, &pre))
			continue;
		if (pre == NULL || !*pre)
			break;
		plen = strlen(pre);
		if (strncmp(recip, pre, plen) != 0 || recip[plen] != '-')
			break;
		return recip + plen + 1;
	}
	return recip;
}

/*
 * bounce_add - append "<recip>:\nreport\n\n" to bounce/N and fsync it,
 * as qmail writes it (a blank line inside the report becomes "/").
 * Keeps trying: a permanent failure must not be forgotten.
 */
static void
bounce_add(unsigned long long id, const char *recip, const char *report)
{
	struct bytes t = BYTES_INIT(SEND_REPORT_MAX + SEND_RECORD_BYTES + 64);
	size_t pos, start;
	ssize_t w;
	int fd;

	while (bytes_copy_str(&t, "<") == -1)
		nomem();
	(void)bytes_append_str(&t, strip_vdom(recip));
	for (pos = 1; pos < t.len; pos++)
		if (t.s[pos] == '\n' || t.s[pos] == '\r')
			t.s[pos] = '_';
	(void)bytes_append_str(&t, ">:\n");
	start = t.len;
	(void)bytes_append_str(&t, report);
	if (report[0] && report[strlen(report) - 1] != '\n')
		(void)bytes_append_char(&t, '\n');
	for (pos = t.len - 1; pos > start; pos--)
		if (t.s[pos] == '\n' && t.s[pos - 1] == '\n')
			t.s[pos] = '/';
	(void)bytes_append_char(&t, '\n');

	for (;;) {
		fd = open(fn_make("bounce", id, 0),
		    O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
		if (fd != -1) {
			for (pos = 0; pos < t.len; pos += (size_t)w) {
				w = write(fd, t.s + pos, t.len - pos);
				if (w <= 0)
					break;
			}
			if (pos == t.len && fsync_fd(fd) == 0 &&
			    fsync_dir("bounce") == 0) {
				close(fd);
				break;
			}
			close(fd);
		}
		log_line("alert: unable to append to bounce message; "
			 "HELP! sleeping...\n", NULL);
		sleep(10);
	}
	bytes_free(&t);
}

static void
qq_copyfile(struct qqueue *q, const char *path, int *failed)
{
	char buf[8192];
	ssize_t r;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd == -1) {
		*failed = 1;
		return;
	}
	for (;;) {
		r = read(fd, buf, sizeof(buf));
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		qqueue_put(q, buf, (size_t)r);
	}
	if (r == -1)
		*failed = 1;
	close(fd);
}

/*
 * qq_copymess - the copy of the original message in a bounce: its header
 * whole (but at most SEND_BOUNCE_HEADER_MAX bytes) and at most
 * S.bouncemaxbytes bytes of its body (all of it for 0).  Where the copy
 * is cut, a line after it says so and how much was left out.
 */
static void
qq_copymess(struct qqueue *q, const char *path, int *failed)
{
	char buf[8192], num[FMT_ULONG];
	unsigned long long copied = 0, left;
	unsigned long body = 0, room;
	size_t hlen = 0, i, take;
	int inheader = 1, nl = 1, cut = 0;
	struct stat st;
	ssize_t r;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd == -1 || fstat(fd, &st) == -1) {
		if (fd != -1)
			close(fd);
		*failed = 1;
		return;
	}
	while (!cut) {
		r = read(fd, buf, sizeof(buf));
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1)
			*failed = 1;
		if (r <= 0)
			break;
		i = 0;
		/* the header ends with its empty line (or at a first LF) */
		while (inheader && i < (size_t)r) {
			if (hlen == SEND_BOUNCE_HEADER_MAX) {
				cut = 1;
				break;
			}
			hlen++;
			if (buf[i] == '\n' && nl)
				inheader = 0;
			nl = buf[i++] == '\n';
		}
		if (!inheader && !cut && i < (size_t)r) {
			take = (size_t)r - i;
			if (S.bouncemaxbytes != 0) {
				room = S.bouncemaxbytes - body;
				if (take > room) {
					take = (size_t)room;
					cut = 1;
				}
				body += (unsigned long)take;
			}
			i += take;
			if (take > 0)
				nl = buf[i - 1] == '\n';
		}
		qqueue_put(q, buf, i);
		copied += i;
	}
	close(fd);
	if (!cut)
		return;
	left = (unsigned long long)st.st_size > copied
	    ? (unsigned long long)st.st_size - copied
	    : 0;
	if (!nl)
		qqueue_puts(q, "\n");
	qqueue_puts(q, "--- The copy of the message was cut here; ");
	fmt_ulong(num, left);
	qqueue_puts(q, num);
	qqueue_puts(q, " more bytes were left out.\n");
}

/*
 * addr_unbreak - a CR or LF in an address becomes '_'.  qmail-queue and
 * the servers refuse such addresses now, but a queue written by an older
 * version may hold one, and written raw into a header it would end the
 * line and make the rest a header field of its own.
 */
static void
addr_unbreak(struct bytes *b)
{
	size_t i;

	for (i = 0; i < b->len; i++)
		if (b->s[i] == '\r' || b->s[i] == '\n')
			b->s[i] = '_';
}

/* qq_putquoted - addr (already without CR and LF) as a header shows it */
static void
qq_putquoted(struct qqueue *q, const char *addr)
{
	struct bytes b = BYTES_INIT(SEND_RECORD_BYTES * 2);

	if (*addr == '\0')
		return; /* the null sender is <>, not <""> */
	if (quote_address(&b, addr, strlen(addr)) == 0)
		qqueue_put(q, b.s, b.len);
	else
		qqueue_puts(q, addr);
	bytes_free(&b);
}

/*
 * bounce_inject - send bounce/N (if any) back to the sender of message
 * id.  1 when done (or nothing to do), 0 to try again later.
 */
static int
bounce_inject(unsigned long long id)
{
	struct bytes sender = BYTES_INIT(SEND_RECORD_BYTES);
	struct bytes to = BYTES_INIT(2 * CONTROL_LINE_BYTES + 2);
	char bfn[SEND_PATH_MAX], date[DATE822_MAX];
	const char *bsender;
	struct qqueue q;
	struct stat st;
	time_t birth;
	int failed = 0, code, ok = 0;

	if (!info_read(id, &sender, &birth) || bytes_cstr(&sender) == NULL)
		goto out;
	/* it goes into the To and Return-Path fields, and is the bounce's
	 * envelope recipient */
	addr_unbreak(&sender);
	/* "owner-@host-@[]" bounces to "owner-@host" */
	if (sender.len >= 5 && memcmp(sender.s + sender.len - 4, "-@[]",
				   4) == 0) {
		bytes_truncate(&sender, sender.len - 4);
		(void)bytes_cstr(&sender);
	}
	fn_make("bounce", id, 0);
	memcpy(bfn, fn, strlen(fn) + 1);
	if (stat(bfn, &st) == -1) {
		if (errno == ENOENT)
			ok = 1;
		else
			log_line("warning: unable to stat ", bfn, "\n", NULL);
		goto out;
	}
	if (strcmp(sender.s, "#@[]") == 0) {
		log_line("triple bounce: discarding ", bfn, "\n", NULL);
		goto unlink;
	}
	if (sender.len == 0 && S.doublebounceto.len == 0) {
		log_line("double bounce: discarding ", bfn, "\n", NULL);
		goto unlink;
	}
	if (sender.len) {
		bsender = "";
		(void)bytes_copy(&to, sender.s, sender.len);
	} else {
		bsender = "#@[]";
		(void)bytes_copy(&to, S.doublebounceto.s,
		    S.doublebounceto.len);
		(void)bytes_append_char(&to, '@');
		(void)bytes_append(&to, S.doublebouncehost.s,
		    S.doublebouncehost.len);
	}
	if (bytes_cstr(&to) == NULL) {
		nomem();
		goto out;
	}
	if (qqueue_open(&q, NULL) == -1) {
		log_line("warning: unable to start qmail-queue, will try "
			 "later\n", NULL);
		goto out;
	}
	date822_utc(date, time(NULL));
	qqueue_puts(&q, "Date: ");
	qqueue_puts(&q, date);
	qqueue_puts(&q, "\nFrom: ");
	{
		struct bytes b = BYTES_INIT(CONTROL_LINE_BYTES * 2);
		if (quote_local(&b, S.bouncefrom.s, S.bouncefrom.len) == 0)
			qqueue_put(&q, b.s, b.len);
		bytes_free(&b);
	}
	qqueue_puts(&q, "@");
	qqueue_put(&q, S.bouncehost.s, S.bouncehost.len);
	qqueue_puts(&q, "\nTo: ");
	qq_putquoted(&q, to.s);
	qqueue_puts(&q, "\nSubject: failure notice\n\n"
			"Hi. This is the qmail-send program at ");
	qqueue_put(&q, S.bouncehost.s, S.bouncehost.len);
	if (sender.len)
		qqueue_puts(&q, ".\nI'm afraid I wasn't able to deliver your "
				"message to the following addresses.\n"
				"This is a permanent error; I've given up. "
				"Sorry it didn't work out.\n\n");
	else
		qqueue_puts(&q, ".\nI tried to deliver a bounce message to "
				"this address, but the bounce bounced!\n\n");
	qq_copyfile(&q, bfn, &failed);
	qqueue_puts(&q, sender.len
		? "--- Below this line is a copy of the message.\n\n"
		: "--- Below this line is the original bounce.\n\n");
	qqueue_puts(&q, "Return-Path: <");
	qq_putquoted(&q, sender.s);
	qqueue_puts(&q, ">\n");
	qq_copymess(&q, fn_make("mess", id, 1), &failed);
	if (failed)
		q.failed = 1;
	qqueue_from(&q, bsender);
	qqueue_to(&q, to.s);
	{
		pid_t qp = q.pid;
		code = qqueue_close(&q);
		if (code != 0) {
			log_line("warning: trouble injecting bounce message, "
				 "will try later\n", NULL);
			goto out;
		}
		log_add("bounce msg ");
		log_addnum(id);
		log_add(" qp ");
		log_addnum((unsigned long long)qp);
		log_add("\n");
		log_flush();
	}
unlink:
	if (unlink(bfn) == -1) {
		log_line("warning: unable to unlink ", bfn, "\n", NULL);
		goto out;
	}
	ok = 1;
out:
	bytes_free(&sender);
	bytes_free(&to);
	return ok;
}

/* -------------------------------------------------------------- cleaning */

/* clean_ask - have qmail-clean remove message id: 1 if it did */
static int
clean_ask(unsigned long long id)
{
	struct bytes cmd = BYTES_INIT(SEND_PATH_MAX);
	size_t pos = 0;
	ssize_t w;
	char ch;

	if (!S.clean_alive)
		return 0;
	while (clean_cmd_append(&cmd, CLEAN_FOOP, id) == -1)
		nomem();
	while (pos < cmd.len) {
		w = write(SEND_FD_TOCLEAN, cmd.s + pos, cmd.len - pos);
		if (w == -1 && errno == EINTR)
			continue;
		if (w <= 0)
			goto dead;
		pos += (size_t)w;
	}
	bytes_free(&cmd);
	if (iobuf_getc(&S.cleanin, &ch) != 1)
		goto dead;
	if (ch != CLEAN_DONE) {
		log_add("warning: qmail-clean unable to clean up ");
		log_add(fn_make("foop", id, 0));
		log_add("\n");
		log_flush();
		return 0;
	}
	return 1;
dead:
	bytes_free(&cmd);
	log_line("alert: oh no! lost qmail-clean connection! dying...\n",
	    NULL);
	S.clean_alive = 0;
	flag_exitasap = 1;
	return 0;
}

/* mess_done - a message with no recipient files left: bounce, clean */
static void
mess_done(unsigned long long id)
{
	struct stat st;
	int c;

	for (c = 0; c < CHANNELS; c++) {
		switch (chanfile_exists(id, c)) {
		case 1:
			return; /* still going */
		case -1:
			log_line("warning: unable to stat ", fn,
			    "; will try again later\n", NULL);
			goto fail;
		}
	}
	if (stat(fn_make("info", id, 1), &st) == -1) {
		if (errno == ENOENT)
			return;
		log_line("warning: unable to stat ", fn,
		    "; will try again later\n", NULL);
		goto fail;
	}
	if (!bounce_inject(id))
		goto fail;
	log_add("end msg ");
	log_addnum(id);
	log_add("\n");
	log_flush();
	if (unlink(fn_make("info", id, 1)) == -1) {
		log_line("warning: unable to unlink ", fn,
		    "; will try again later\n", NULL);
		goto fail;
	}
	if (fsync_parent(fn) == -1) {
		log_line("warning: trouble fsyncing ", fn,
		    "; will try again later\n", NULL);
		goto fail;
	}
	(void)clean_ask(id);
	return;
fail:
	pq_add(&S.pqdone, time(NULL) + SEND_SLEEP_SYSFAIL, id);
}

/*
 * orphan_check - mess/S/N with neither todo/S/N nor info/S/N, untouched
 * for 36 hours, was left by a qmail-queue that died before committing it
 * (or by a crash between removing info and asking qmail-clean): have
 * qmail-clean remove it.  todo is looked at before info because
 * qmail-todo writes info before it removes todo, so a message being
 * preprocessed is always seen in one or the other.
 */
static void
orphan_check(unsigned long long id)
{
	struct stat st;

	if (stat(fn_make("mess", id, 1), &st) == -1)
		return;
	if (S.recent < st.st_mtime + SEND_OSSIFIED)
		return;
	if (stat(fn_make("todo", id, 1), &st) == 0 || errno != ENOENT)
		return;
	if (stat(fn_make("info", id, 1), &st) == 0 || errno != ENOENT)
		return;
	(void)clean_ask(id);
}

/*
 * cleanup_step - when a sweep is due, look at one mess/ directory; the
 * sweep goes on with the next one at the next turn of the main loop, so
 * deliveries never wait for a whole queue scan.
 */
static void
cleanup_step(void)
{
	char dir[SEND_PATH_MAX];
	unsigned long long id;
	struct dirent *de;
	size_t n;
	DIR *dp;

	if (S.recent < S.cleanup_next)
		return;
	memcpy(dir, "mess/", 5);
	fmt_ulong(dir + 5, S.cleanup_dir);
	dp = opendir(dir);
	if (dp == NULL) {
		log_line("warning: unable to opendir ", dir,
		    "; will try again later\n", NULL);
	} else {
		while ((de = readdir(dp)) != NULL) {
			n = scan_ulong(de->d_name, &id);
			if (n == 0 || de->d_name[n] != '\0')
				continue;
			if (id % conf_split != S.cleanup_dir)
				continue;
			orphan_check(id);
		}
		closedir(dp);
	}
	if (++S.cleanup_dir >= conf_split) {
		S.cleanup_dir = 0;
		S.cleanup_next = S.recent + SEND_CLEANUP_EVERY;
	}
}

/* ------------------------------------------------------------- reports */

static void
report_handle(int c, size_t delnum, const char *r, size_t len)
{
	struct channel *ch = &S.ch[c];
	static struct bytes text = BYTES_INIT(SEND_REPORT_MAX);
	struct del *d;
	struct job *jo;
	char status;

	if (delnum >= ch->nslots || !ch->d[delnum].used) {
		log_line("warning: internal error: delivery report out of "
			 "range\n", NULL);
		return;
	}
	d = &ch->d[delnum];
	jo = &S.jobs[d->job];
	status = len ? r[0] : '?';
	if (len)
		(void)bytes_copy(&text, r + 1, len - 1);
	else
		bytes_truncate(&text, 0);
	if (status == 'Z' && jo->dying) {
		status = 'D';
		(void)bytes_append_str(&text, "I'm not going to try again; "
			"this message has been in the queue too long.\n");
	}
	while (bytes_cstr(&text) == NULL)
		nomem();
	log_add("delivery ");
	log_addnum(d->delid);
	switch (status) {
	case 'K':
		log_add(": success: ");
		log_addsafe(text.s, text.len);
		log_add("\n");
		log_flush();
		mark_done(c, jo->id, d->mpos);
		jo->numtodo--;
		break;
	case 'Z':
		log_add(": deferral: ");
		log_addsafe(text.s, text.len);
		log_add("\n");
		log_flush();
		break;
	case 'D':
		log_add(": failure: ");
		log_addsafe(text.s, text.len);
		log_add("\n");
		log_flush();
		bounce_add(jo->id, d->recip.s, text.s);
		mark_done(c, jo->id, d->mpos);
		jo->numtodo--;
		break;
	default:
		log_add(": report mangled, will defer\n");
		log_flush();
	}
	job_close(d->job);
	d->used = 0;
	bytes_truncate(&d->recip, 0);
	ch->freeslots[ch->nfree++] = delnum;
	ch->used--;
	status_log();
}

static void
reports_read(int c)
{
	struct channel *ch = &S.ch[c];
	char buf[4096];
	size_t i, used;
	ssize_t r;
	int x;

	r = read(chan_fdin[c], buf, sizeof(buf));
	if (r == -1)
		return;
	if (r == 0) {
		log_line("alert: oh no! lost spawn connection! dying...\n",
		    NULL);
		ch->alive = 0;
		flag_exitasap = 1;
		return;
	}
	for (i = 0; i < (size_t)r; i += used) {
		used = 0;
		x = spawn_report_feed(&ch->rr, buf + i, (size_t)r - i, &used);
		if (x == -1)
			nomem();
		if (x != 1)
			continue;
		if (ch->rr.report.s == NULL)
			report_handle(c, ch->rr.delnum, "", 0);
		else
			report_handle(c, ch->rr.delnum, ch->rr.report.s,
			    ch->rr.report.len);
	}
}

/* -------------------------------------------------------------- passes */

static time_t
isqrt(time_t x)
{
	time_t y = 0, b;

	if (x <= 0)
		return 0;
	for (b = (time_t)1 << 30; b > 0; b >>= 1)
		if ((y + b) * (y + b) <= x)
			y += b;
	return y;
}

static time_t
next_retry(time_t birth, int c)
{
	time_t n;

	n = birth > S.recent ? 0 : isqrt(S.recent - birth);
	n += chan_skip[c];
	return birth + n * n;
}

static void
pass_stop(int c)
{
	struct pass *p = &S.ch[c].pass;

	close(p->fd);
	job_close(p->job);
	p->active = 0;
}

/* pass_do - start at most one delivery on channel c */
static void
pass_do(int c)
{
	static struct bytes line = BYTES_INIT(SEND_RECORD_BYTES);
	struct pass *p = &S.ch[c].pass;
	struct pq_elt e;
	struct job *jo;
	time_t birth;
	int r;

	if (flag_exitasap)
		return;
	if (!p->active) {
		if (S.nfreejobs == 0 || !S.ch[c].alive)
			return;
		if (!pq_min(&S.ch[c].pq, &e) || e.dt > S.recent)
			return;
		pq_delmin(&S.ch[c].pq);
		fn_make(chan_dir[c], e.id, 1);
		p->fd = open(fn, O_RDONLY | O_CLOEXEC);
		if (p->fd == -1)
			goto trouble;
		p->job = job_open(e.id, c);
		jo = &S.jobs[p->job];
		if (!info_read(e.id, &jo->sender, &birth)) {
			close(p->fd);
			jo->refs = 0;
			S.freejobs[S.nfreejobs++] = p->job;
			fn_make(chan_dir[c], e.id, 1);
			goto trouble;
		}
		p->active = 1;
		p->id = e.id;
		p->mpos = 0;
		iobuf_init(&p->in, p->fd, p->space, sizeof(p->space), -1);
		jo->retry = next_retry(birth, c);
		jo->dying = S.recent > birth + (time_t)S.lifetime;
	}
	if (!del_avail(c))
		return;
	jo = &S.jobs[p->job];
	bytes_truncate(&line, 0);
	r = iobuf_getline(&p->in, &line, '\0');
	if (r == -1) {
		log_line("warning: trouble reading ",
		    fn_make(chan_dir[c], p->id, 1), "; will try again later\n",
		    NULL);
		pass_stop(c);
		return;
	}
	if (r == 0) {
		jo->hiteof = 1;
		pass_stop(c);
		return;
	}
	switch (line.s[0]) {
	case 'T':
		jo->numtodo++;
		del_start(c, p->job, p->mpos, line.s + 1, line.len - 2);
		break;
	case 'D':
		break;
	default:
		log_line("warning: unknown record type in ",
		    fn_make(chan_dir[c], p->id, 1), "!\n", NULL);
		pass_stop(c);
		return;
	}
	p->mpos += (off_t)line.len;
	return;
trouble:
	log_line("warning: trouble opening ", fn, "; will try again later\n",
	    NULL);
	pq_add(&S.ch[c].pq, S.recent + SEND_SLEEP_SYSFAIL, e.id);
}

/* ----------------------------------------------------------- the queue */

/* pq_add_message - schedule a message found in info/ at start-up */
static void
pq_add_message(unsigned long long id)
{
	struct stat st;
	int c, any = 0;

	if (stat(fn_make("info", id, 1), &st) == -1) {
		if (errno != ENOENT)
			goto fail;
		return;
	}
	/* qmail-todo has not finished with it; it will tell us */
	if (stat(fn_make("todo", id, 1), &st) == 0)
		return;
	if (errno != ENOENT)
		goto fail;
	for (c = 0; c < CHANNELS; c++) {
		if (stat(fn_make(chan_dir[c], id, 1), &st) == 0) {
			pq_add(&S.ch[c].pq, st.st_mtime, id);
			any = 1;
		} else if (errno != ENOENT)
			goto fail;
	}
	if (!any)
		pq_add(&S.pqdone, time(NULL), id);
	return;
fail:
	log_line("warning: unable to stat ", fn, "; will try again later\n",
	    NULL);
	pq_add(&S.pqfail, time(NULL) + SEND_SLEEP_SYSFAIL, id);
}

static void
queue_scan(void)
{
	char dir[SEND_PATH_MAX];
	unsigned long long id;
	struct dirent *de;
	unsigned int s;
	size_t n;
	DIR *dp;

	for (s = 0; s < conf_split; s++) {
		fmt_ulong(dir, s);
		memmove(dir + 5, dir, strlen(dir) + 1);
		memcpy(dir, "info/", 5);
		while ((dp = opendir(dir)) == NULL) {
			log_line("alert: unable to opendir ", dir,
			    ", sleeping...\n", NULL);
			sleep(10);
		}
		while ((de = readdir(dp)) != NULL) {
			n = scan_ulong(de->d_name, &id);
			if (n == 0 || de->d_name[n] != '\0')
				continue;
			pq_add_message(id);
		}
		closedir(dp);
	}
}

/* queue_finish - at exit, leave each next retry time in the file mtimes */
static void
queue_finish(void)
{
	struct utimbuf ut;
	struct pq_elt e;
	int c;

	for (c = 0; c < CHANNELS; c++)
		while (pq_min(&S.ch[c].pq, &e)) {
			pq_delmin(&S.ch[c].pq);
			ut.actime = ut.modtime = e.dt;
			if (utime(fn_make(chan_dir[c], e.id, 1), &ut) == -1 &&
			    errno != ENOENT)
				log_line("warning: unable to utime ", fn,
				    "; message will be retried too soon\n",
				    NULL);
		}
}

/* ---------------------------------------------------------- qmail-todo */

static void
todo_send(char cmd)
{
	ssize_t w;

	if (!S.todo_alive)
		return;
	do
		w = write(SEND_FD_TOTODO, &cmd, 1);
	while (w == -1 && errno == EINTR);
}

static void
todo_record(const char *r, size_t len)
{
	unsigned long long id;
	size_t n;
	time_t now = time(NULL);

	if (len == 0)
		return;
	switch (r[0]) {
	case TODO_REC_LOG:
		/* a log line of qmail-todo, already made safe */
		log_add("");
		(void)bytes_append(&logline, r + 1, len - 1);
		log_flush();
		return;
	case TODO_REC_DONE:
		if (len < 3)
			break;
		n = scan_ulong(r + 2, &id);
		if (n == 0 || n != len - 2)
			break;
		if (r[1] == TODO_CHAN_LOCAL || r[1] == TODO_CHAN_BOTH)
			pq_add(&S.ch[0].pq, now, id);
		if (r[1] == TODO_CHAN_REMOTE || r[1] == TODO_CHAN_BOTH)
			pq_add(&S.ch[1].pq, now, id);
		if (r[1] == TODO_CHAN_NONE)
			pq_add(&S.pqdone, now, id);
		return;
	}
	log_line("warning: qmail-todo sent an unknown record\n", NULL);
}

static void
todo_read(void)
{
	char buf[4096];
	ssize_t r, i;

	r = read(SEND_FD_FROMTODO, buf, sizeof(buf));
	if (r == -1)
		return;
	if (r == 0) {
		S.todo_alive = 0;
		if (!flag_exitasap) {
			log_line("alert: oh no! lost qmail-todo connection! "
				 "dying...\n", NULL);
			flag_exitasap = 1;
		}
		return;
	}
	for (i = 0; i < r; i++) {
		if (buf[i] == '\0') {
			while (bytes_cstr(&S.todoin) == NULL)
				nomem();
			todo_record(S.todoin.s, S.todoin.len);
			bytes_truncate(&S.todoin, 0);
		} else if (S.todoin.len < TODO_RECORD_MAX)
			(void)bytes_append_char(&S.todoin, buf[i]);
	}
}

/* -------------------------------------------------------------- signals */

static void
reread(void)
{
	unsigned long conc[CHANNELS];
	int c;

	if (chdir(conf_qmail_home) == -1) {
		log_line("alert: unable to reread controls: unable to switch "
			 "to home directory\n", NULL);
		return;
	}
	if (controls_read_vdoms() == -1)
		log_line("alert: unable to reread control/virtualdomains\n",
		    NULL);
	if (controls_read_conc(conc) == -1)
		log_line("alert: unable to reread concurrency controls\n",
		    NULL);
	else {
		for (c = 0; c < CHANNELS; c++)
			chan_setconc(c, conc[c]);
		jobs_grow();
	}
	while (chdir("queue") == -1) {
		log_line("alert: unable to switch back to queue directory; "
			 "HELP! sleeping...\n", NULL);
		sleep(10);
	}
	todo_send(TODO_CMD_REREAD);
	status_log();
}

static void
run_now(void)
{
	int c;
	size_t i;

	/* every entry gets the same key: still a heap */
	for (c = 0; c < CHANNELS; c++)
		for (i = 0; i < S.ch[c].pq.len; i++)
			S.ch[c].pq.p[i].dt = S.recent;
	todo_send(TODO_CMD_SCAN);
}

/* ----------------------------------------------------------------- main */

static noreturn void
cannot_start(const char *why)
{
	log_line("alert: cannot start: ", why, "\n", NULL);
	_exit(EXIT_TEMP);
}

static unsigned long
spawn_hello(int c)
{
	unsigned char b[SPAWN_DELNUM_LEN];
	size_t got = 0;
	ssize_t r;

	while (got < sizeof(b)) {
		r = read(chan_fdin[c], b + got, sizeof(b) - got);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			cannot_start("hath the daemon spawn no fire?");
		got += (size_t)r;
	}
	return spawn_u16_get(b);
}

static void
channels_init(const unsigned long conc[CHANNELS])
{
	int c;

	for (c = 0; c < CHANNELS; c++) {
		struct channel *ch = &S.ch[c];
		ch->alive = 1;
		bytes_init(&ch->out, SEND_COMMAND_BACKLOG + 2 * SEND_RECORD_BYTES +
			SEND_PATH_MAX);
		spawn_report_reader_init(&ch->rr);
		ch->spawnmax = spawn_hello(c);
		chan_setconc(c, conc[c]);
		if (fd_nonblock(chan_fdout[c]) == -1)
			cannot_start("unable to set up spawn connection");
	}
	jobs_grow();
	if (S.njobs == 0)
		cannot_start("out of memory");
}

static int
busy(void)
{
	int c;

	for (c = 0; c < CHANNELS; c++)
		if (S.ch[c].alive && S.ch[c].used)
			return 1;
	return 0;
}

static void
loop_once(void)
{
	struct pollfd pfd[6];
	int npfd = 0, c, ix_in[CHANNELS], ix_out[CHANNELS], ix_todo = -1;
	struct pq_elt e;
	time_t wake;
	struct timespec ts;
	sigset_t empty;
	int r;

	S.recent = time(NULL);
	if (flag_runasap) {
		flag_runasap = 0;
		run_now();
	}
	if (flag_readasap) {
		flag_readasap = 0;
		reread();
	}

	wake = S.recent + SEND_SLEEP_FOREVER;
	for (c = 0; c < CHANNELS; c++) {
		ix_in[c] = ix_out[c] = -1;
		if (!S.ch[c].alive)
			continue;
		ix_in[c] = npfd;
		pfd[npfd].fd = chan_fdin[c];
		pfd[npfd++].events = POLLIN;
		if (S.ch[c].out.len) {
			ix_out[c] = npfd;
			pfd[npfd].fd = chan_fdout[c];
			pfd[npfd++].events = POLLOUT;
		}
		if (flag_exitasap)
			continue;
		if (S.ch[c].pass.active) {
			if (del_avail(c))
				wake = S.recent;
		} else if (S.nfreejobs && pq_min(&S.ch[c].pq, &e) &&
		    e.dt < wake)
			wake = e.dt;
	}
	if (S.todo_alive) {
		ix_todo = npfd;
		pfd[npfd].fd = SEND_FD_FROMTODO;
		pfd[npfd++].events = POLLIN;
	}
	if (!flag_exitasap) {
		if (pq_min(&S.pqdone, &e) && e.dt < wake)
			wake = e.dt;
		if (pq_min(&S.pqfail, &e) && e.dt < wake)
			wake = e.dt;
		if (S.cleanup_next < wake)
			wake = S.cleanup_next;
	}
	if (wake <= S.recent) {
		ts.tv_sec = 0;
	} else
		ts.tv_sec = wake - S.recent + 1;
	ts.tv_nsec = 0;
	sigemptyset(&empty);
	r = ppoll(pfd, (nfds_t)npfd, &ts, &empty);
	if (r == -1) {
		if (errno != EINTR)
			log_line("warning: trouble in select\n", NULL);
		return;
	}
	S.recent = time(NULL);
	for (c = 0; c < CHANNELS; c++) {
		if (ix_out[c] >= 0 && pfd[ix_out[c]].revents)
			comm_write(c);
		if (ix_in[c] >= 0 && pfd[ix_in[c]].revents)
			reports_read(c);
	}
	if (ix_todo >= 0 && pfd[ix_todo].revents)
		todo_read();
	for (c = 0; c < CHANNELS; c++) {
		pass_do(c);
		if (S.ch[c].out.len)
			comm_write(c);
	}
	if (flag_exitasap)
		return;
	if (pq_min(&S.pqfail, &e) && e.dt <= S.recent) {
		pq_delmin(&S.pqfail);
		pq_add_message(e.id);
	}
	if (pq_min(&S.pqdone, &e) && e.dt <= S.recent) {
		pq_delmin(&S.pqdone);
		mess_done(e.id);
	}
	cleanup_step();
}

int
main(void)
{
	unsigned long conc[CHANNELS];
	int fd, told_todo = 0;

	bytes_init(&S.bouncefrom, CONTROL_LINE_BYTES);
	bytes_init(&S.bouncehost, CONTROL_LINE_BYTES);
	bytes_init(&S.doublebounceto, CONTROL_LINE_BYTES);
	bytes_init(&S.doublebouncehost, CONTROL_LINE_BYTES);
	bytes_init(&S.todoin, TODO_RECORD_MAX + 1);
	domainmap_init(&S.vdoms);
	S.masterdelid = 1;

	if (chdir(conf_qmail_home) == -1)
		cannot_start("unable to switch to home directory");
	if (controls_read(conc) == -1)
		cannot_start("unable to read controls");
	if (chdir("queue") == -1)
		cannot_start("unable to switch to queue directory");
	if (sig_ignore(SIGPIPE) == -1 || sig_block(SIGTERM) == -1 ||
	    sig_block(SIGALRM) == -1 || sig_block(SIGHUP) == -1 ||
	    sig_catch(SIGTERM, on_term) == -1 ||
	    sig_catch(SIGALRM, on_alrm) == -1 ||
	    sig_catch(SIGHUP, on_hup) == -1 || sig_default(SIGCHLD) == -1)
		cannot_start("unable to set up signals");
	umask(077);

	fd = open("lock/sendmutex", O_WRONLY | O_CLOEXEC);
	if (fd == -1)
		cannot_start("unable to open mutex");
	if (lock_exclusive_nowait(fd) == -1)
		cannot_start("qmail-send is already running");

	S.todo_alive = 1;
	S.clean_alive = 1;
	iobuf_init(&S.cleanin, SEND_FD_FROMCLEAN, S.cleanspace,
	    sizeof(S.cleanspace), -1);
	channels_init(conc);
	if (fd_nonblock(SEND_FD_FROMTODO) == -1)
		S.todo_alive = 0;
	queue_scan();
	/* only now may qmail-todo hand us messages: none twice */
	todo_send(TODO_CMD_START);
	status_log();

	for (;;) {
		if (flag_exitasap && !told_todo) {
			todo_send(TODO_CMD_EXIT);
			told_todo = 1;
		}
		if (flag_exitasap && !busy() && !S.todo_alive)
			break;
		loop_once();
	}
	queue_finish();
	log_line("status: exiting\n", NULL);
	return EXIT_OK;
}
