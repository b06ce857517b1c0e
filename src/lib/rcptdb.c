/*
 * rcptdb.c - the database of valid local recipients (see rcptdb.h).
 */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "rcptdb.h"

const char *const rcptdb_sources[] = { "/etc/passwd", "users/cdb", NULL };

int
rcptdb_norm(struct bytes *out, const char *local, size_t len)
{
	size_t i;

	if (bytes_reserve(out, len) == -1)
		return -1;
	for (i = 0; i < len; i++) {
		char c = local[i];
		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		else if (c == '.' || c == '/')
			c = ':';
		out->s[out->len++] = c;
	}
	return 0;
}

int
rcptdb_stamp_append(struct bytes *out, const char *path)
{
	struct stat st;

	if (stat(path, &st) == -1) {
		if (errno == ENOENT)
			return bytes_append_str(out, "-");
		return -1;
	}
	if (bytes_append_ulong(out, (unsigned long long)st.st_mtim.tv_sec) ==
		-1 ||
	    bytes_append_char(out, '.') == -1 ||
	    bytes_append_ulong(out, (unsigned long long)st.st_mtim.tv_nsec) ==
		-1)
		return -1;
	return 0;
}

/* field_next - the NUL-terminated field at *pos in h, or NULL past the
 * end (a field without its NUL is malformed: NULL) */
static const char *
field_next(const struct bytes *h, size_t *pos)
{
	const char *f, *nul;

	if (*pos >= h->len)
		return NULL;
	f = h->s + *pos;
	nul = memchr(f, '\0', h->len - *pos);
	if (nul == NULL)
		return NULL;
	*pos += (size_t)(nul - f) + 1;
	return f;
}

/* header_check - parse the header; 1 fresh, -1 with errno */
static int
header_check(struct rcptdb *db)
{
	struct bytes now = BYTES_INIT(64);
	const char *magic, *all, *path, *stamp;
	size_t pos = 0, i;
	int stale = 0;

	magic = field_next(&db->header, &pos);
	db->ends = field_next(&db->header, &pos);
	all = field_next(&db->header, &pos);
	if (magic == NULL || strcmp(magic, RCPTDB_MAGIC) != 0 ||
	    db->ends == NULL || all == NULL ||
	    (strcmp(all, "0") != 0 && strcmp(all, "1") != 0)) {
		errno = EPROTO;
		return -1;
	}
	db->all = all[0] == '1';
	for (i = 0; rcptdb_sources[i] != NULL; i++) {
		path = field_next(&db->header, &pos);
		stamp = field_next(&db->header, &pos);
		if (path == NULL || stamp == NULL ||
		    strcmp(path, rcptdb_sources[i]) != 0) {
			bytes_free(&now);
			errno = EPROTO;
			return -1;
		}
		bytes_truncate(&now, 0);
		if (rcptdb_stamp_append(&now, path) == -1) {
			int e = errno;
			bytes_free(&now);
			errno = e;
			return -1;
		}
		if (!bytes_equal_str(&now, stamp))
			stale = 1;
	}
	bytes_free(&now);
	if (pos != db->header.len) {
		errno = EPROTO;
		return -1;
	}
	if (stale) {
		errno = ESTALE;
		return -1;
	}
	return 1;
}

int
rcptdb_open(struct rcptdb *db, const char *path)
{
	int r, e;

	bytes_init(&db->header, RCPTDB_HEADER_MAX);
	r = cdbfile_open(&db->cdb, path);
	if (r != 1)
		return r;
	r = cdbfile_find(&db->cdb, "", 0, &db->header, RCPTDB_HEADER_MAX);
	if (r == 0) {
		errno = EPROTO;
		r = -1;
	}
	if (r == 1)
		r = header_check(db);
	if (r == -1) {
		e = errno;
		rcptdb_close(db);
		errno = e;
	}
	return r;
}

/* key_find - 1 if key[0..len) is in the database, 0 if not, -1 */
static int
key_find(struct rcptdb *db, const char *key, size_t len)
{
	struct bytes value = BYTES_INIT(16);
	int r;

	r = cdbfile_find(&db->cdb, key, len, &value, 8);
	bytes_free(&value);
	return r;
}

int
rcptdb_lookup(struct rcptdb *db, const char *local, size_t len)
{
	struct bytes key = BYTES_INIT(RCPTDB_LOCAL_MAX + 2);
	size_t i;
	int r;

	if (len > RCPTDB_LOCAL_MAX) {
		errno = E2BIG;
		return -1;
	}
	if (bytes_append_char(&key, '=') == -1 ||
	    rcptdb_norm(&key, local, len) == -1)
		return -1;
	r = key_find(db, key.s, key.len);
	if (r != 0)
		goto done;
	key.s[0] = '+';
	for (i = len; i > 0; i--) {
		if (strchr(db->ends, key.s[i]) == NULL || key.s[i] == '\0')
			continue;
		r = key_find(db, key.s, i + 1);
		if (r != 0)
			goto done;
	}
	r = db->all;
done:
	bytes_free(&key);
	return r;
}

void
rcptdb_close(struct rcptdb *db)
{
	cdbfile_close(&db->cdb);
	bytes_free(&db->header);
}
