/*
 * spawnproto.c - encoding and decoding of the qmail-send <-> helper
 * protocols.  The framing is documented in spawnproto.h.
 */
#include <errno.h>
#include <string.h>

#include "fmt.h"
#include "spawnproto.h"

void
spawn_u16_put(unsigned char *p, unsigned int n)
{
	p[0] = (unsigned char)((n >> 8) & 0xff);
	p[1] = (unsigned char)(n & 0xff);
}

unsigned int
spawn_u16_get(const unsigned char *p)
{
	return ((unsigned int)p[0] << 8) | (unsigned int)p[1];
}

/* messid_valid - digits and '/' (never first), 1..SPAWN_MESSID_MAX bytes */
static int
messid_valid(const char *m)
{
	size_t i;
	size_t len = strlen(m);

	if (len == 0 || len > SPAWN_MESSID_MAX)
		return 0;
	for (i = 0; i < len; i++) {
		if (m[i] == '/' && i > 0)
			continue;
		if (m[i] < '0' || m[i] > '9')
			return 0;
	}
	return 1;
}

int
spawn_cmd_append(struct bytes *out, unsigned int delnum, const char *messid,
    const char *sender, const char *recip)
{
	unsigned char d[SPAWN_DELNUM_LEN];
	size_t oldlen = out->len;

	if (delnum > 0xffff || !messid_valid(messid) ||
	    strlen(sender) > SPAWN_ADDR_MAX || strlen(recip) > SPAWN_ADDR_MAX) {
		errno = EINVAL;
		return -1;
	}
	spawn_u16_put(d, delnum);
	if (bytes_append(out, d, sizeof(d)) == -1 ||
	    bytes_append(out, messid, strlen(messid) + 1) == -1 ||
	    bytes_append(out, sender, strlen(sender) + 1) == -1 ||
	    bytes_append(out, recip, strlen(recip) + 1) == -1) {
		bytes_truncate(out, oldlen);
		return -1;
	}
	return 0;
}

void
spawn_cmd_reader_init(struct spawn_cmd_reader *r)
{
	r->stage = 0;
	r->delnum = 0;
	r->toolong = 0;
	bytes_init(&r->messid, SPAWN_MESSID_MAX + 2);
	bytes_init(&r->sender, SPAWN_ADDR_MAX + 1);
	bytes_init(&r->recip, SPAWN_ADDR_MAX + 1);
}

void
spawn_cmd_reader_free(struct spawn_cmd_reader *r)
{
	bytes_free(&r->messid);
	bytes_free(&r->sender);
	bytes_free(&r->recip);
}

/*
 * field_take - move the bytes of buf up to a NUL into f.  Returns 1 if
 * the NUL was reached (f is then a C string), 0 if not; *used counts the
 * bytes taken (the NUL included).  Bytes past f's limit are dropped and
 * *toolong set; if memory runs out *nomem and *toolong are set and the
 * bytes are dropped too, so the stream stays in step.
 */
static int
field_take(struct bytes *f, int *toolong, int *nomem, const char *buf,
    size_t len, size_t *used)
{
	const char *nul = memchr(buf, '\0', len);
	size_t n = nul ? (size_t)(nul - buf) : len;
	size_t room = f->len + 1 < f->limit ? f->limit - 1 - f->len : 0;

	*used = nul ? n + 1 : n;
	if (n > room) {
		*toolong = 1;
		n = room;
	}
	if (n > 0 && bytes_append(f, buf, n) == -1)
		*toolong = *nomem = 1;
	if (!nul)
		return 0;
	if (bytes_cstr(f) == NULL)
		*toolong = *nomem = 1;
	return 1;
}

int
spawn_cmd_feed(struct spawn_cmd_reader *r, const char *buf, size_t len,
    size_t *used)
{
	size_t pos = 0;
	int nomem = 0;

	while (pos < len) {
		size_t n;
		int done;
		struct bytes *f;

		if (r->stage < 2) {
			unsigned char c = (unsigned char)buf[pos++];

			if (r->stage == 0) {
				r->delnum = (unsigned int)c << 8;
				r->toolong = 0;
				bytes_truncate(&r->messid, 0);
				bytes_truncate(&r->sender, 0);
				bytes_truncate(&r->recip, 0);
			} else
				r->delnum |= c;
			r->stage++;
			continue;
		}
		f = r->stage == 2 ? &r->messid
		    : r->stage == 3 ? &r->sender
				    : &r->recip;
		done = field_take(f, &r->toolong, &nomem, buf + pos,
		    len - pos, &n);
		pos += n;
		if (done == 0)
			continue;
		if (r->stage < 4) {
			r->stage++;
			continue;
		}
		r->stage = 0;
		*used = pos;
		return 1;
	}
	*used = pos;
	if (nomem) {
		errno = ENOMEM;
		return -1;
	}
	return 0;
}

int
spawn_report_append(struct bytes *out, unsigned int delnum, char status,
    const char *text, size_t len)
{
	unsigned char d[SPAWN_DELNUM_LEN];
	const char *nul = memchr(text, '\0', len);
	size_t oldlen = out->len;

	if (delnum > 0xffff) {
		errno = EINVAL;
		return -1;
	}
	if (nul)
		len = (size_t)(nul - text);
	spawn_u16_put(d, delnum);
	if (bytes_append(out, d, sizeof(d)) == -1 ||
	    bytes_append_char(out, status) == -1 ||
	    bytes_append(out, text, len) == -1 ||
	    bytes_append_char(out, '\0') == -1) {
		bytes_truncate(out, oldlen);
		return -1;
	}
	return 0;
}

void
spawn_report_reader_init(struct spawn_report_reader *r)
{
	r->stage = 0;
	r->delnum = 0;
	r->toolong = 0;
	/* status byte + text + NUL */
	bytes_init(&r->report, SPAWN_REPORT_MAX + 2);
}

void
spawn_report_reader_free(struct spawn_report_reader *r)
{
	bytes_free(&r->report);
}

int
spawn_report_feed(struct spawn_report_reader *r, const char *buf,
    size_t len, size_t *used)
{
	size_t pos = 0;
	int nomem = 0;

	while (pos < len) {
		size_t n;
		int done;

		if (r->stage < 2) {
			unsigned char c = (unsigned char)buf[pos++];

			if (r->stage == 0) {
				r->delnum = (unsigned int)c << 8;
				r->toolong = 0;
				bytes_truncate(&r->report, 0);
			} else
				r->delnum |= c;
			r->stage++;
			continue;
		}
		done = field_take(&r->report, &r->toolong, &nomem,
		    buf + pos, len - pos, &n);
		pos += n;
		if (done == 0)
			continue;
		r->stage = 0;
		*used = pos;
		return 1;
	}
	*used = pos;
	if (nomem) {
		errno = ENOMEM;
		return -1;
	}
	return 0;
}

int
clean_cmd_append(struct bytes *out, enum clean_kind kind,
    unsigned long long id)
{
	char num[FMT_ULONG];
	size_t oldlen = out->len;

	fmt_ulong(num, id);
	if (bytes_append_str(out, kind == CLEAN_FOOP ? "foop/" : "todo/") ==
		-1 ||
	    bytes_append(out, num, strlen(num) + 1) == -1) {
		bytes_truncate(out, oldlen);
		return -1;
	}
	return 0;
}

int
clean_cmd_parse(const char *cmd, size_t len, enum clean_kind *kind,
    unsigned long long *id)
{
	size_t i;
	unsigned long long u;

	if (len < 7 || len > SPAWN_CLEAN_CMD_MAX || cmd[len - 1] != '\0')
		goto bad;
	for (i = 5; i < len - 1; i++)
		if (cmd[i] < '0' || cmd[i] > '9')
			goto bad;
	if (scan_ulong(cmd + 5, &u) != len - 6)
		goto bad;
	if (memcmp(cmd, "foop/", 5) == 0)
		*kind = CLEAN_FOOP;
	else if (memcmp(cmd, "todo/", 5) == 0)
		*kind = CLEAN_TODO;
	else
		goto bad;
	*id = u;
	return 0;
bad:
	errno = EINVAL;
	return -1;
}
