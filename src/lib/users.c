/*
 * users.c - users/cdb lookups with qmail's key encoding, see users.h.
 */
#include <errno.h>
#include <string.h>

#include "bytes.h"
#include "cdbfile.h"
#include "users.h"

/* Room for a record: a value, the longest extension appended, a NUL. */
#define USERS_REC_BYTES (USERS_VALUE_MAX + USERS_LOCAL_MAX + 2)

/* Room for a key: "!", the local part, a NUL, and bytes_cstr's NUL. */
#define USERS_KEY_BYTES (USERS_LOCAL_MAX + 3)

void
users_entry_init(struct users_entry *e)
{
	bytes_init(&e->rec, USERS_REC_BYTES);
	e->user = e->home = e->dash = e->ext = NULL;
	e->uid = 0;
	e->gid = 0;
}

void
users_entry_free(struct users_entry *e)
{
	bytes_free(&e->rec);
	users_entry_init(e);
}

/* lower - ASCII lower-casing of s[0..len), as qmail's case_lowerb */
static void
lower(char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (s[i] >= 'A' && s[i] <= 'Z')
			s[i] = (char)(s[i] - 'A' + 'a');
}

/* parse_id - a decimal id up to USERS_ID_MAX: 0, or -1 if malformed */
static int
parse_id(const char *s, unsigned long *out)
{
	unsigned long v = 0;

	if (*s == '\0')
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		if (v > (USERS_ID_MAX - (unsigned long)(*s - '0')) / 10)
			return -1;
		v = v * 10 + (unsigned long)(*s - '0');
	}
	*out = v;
	return 0;
}

/*
 * entry_split - point e's fields into e->rec, which must hold exactly six
 * NUL-terminated fields: 0, or -1 with EPROTO (e emptied).
 */
static int
entry_split(struct users_entry *e)
{
	const char *field[6];
	unsigned long uid, gid;
	size_t pos = 0, n;
	int i;

	for (i = 0; i < 6; i++) {
		const char *nul;

		if (pos >= e->rec.len)
			goto bad;
		nul = memchr(e->rec.s + pos, '\0', e->rec.len - pos);
		if (nul == NULL)
			goto bad;
		field[i] = e->rec.s + pos;
		n = (size_t)(nul - field[i]);
		pos += n + 1;
	}
	if (pos != e->rec.len)
		goto bad;
	if (parse_id(field[1], &uid) == -1 || parse_id(field[2], &gid) == -1)
		goto bad;
	e->user = field[0];
	e->uid = (uid_t)uid;
	e->gid = (gid_t)gid;
	e->home = field[3];
	e->dash = field[4];
	e->ext = field[5];
	return 0;
bad:
	users_entry_free(e);
	errno = EPROTO;
	return -1;
}

int
users_entry_parse(struct users_entry *e, const char *rec, size_t len)
{
	int saved;

	if (bytes_copy(&e->rec, rec, len) == -1)
		goto fail;
	if (len == 0 || rec[len - 1] != '\0')
		if (bytes_append_char(&e->rec, '\0') == -1)
			goto fail;
	return entry_split(e);
fail:
	saved = errno;
	users_entry_free(e);
	errno = saved;
	return -1;
}

static int
key_make(struct bytes *key, const char *local, size_t len, int exact)
{
	if (len > USERS_LOCAL_MAX) {
		errno = E2BIG;
		return -1;
	}
	if (bytes_copy(key, "!", 1) == -1)
		return -1;
	if (bytes_append(key, local, len) == -1)
		return -1;
	if (exact && bytes_append_char(key, '\0') == -1)
		return -1;
	lower(key->s, key->len);
	return 0;
}

int
users_key_exact(struct bytes *key, const char *local, size_t len)
{
	return key_make(key, local, len, 1);
}

int
users_key_wild(struct bytes *key, const char *loc, size_t len)
{
	return key_make(key, loc, len, 0);
}

int
users_cdb_lookup(struct cdbfile *c, const char *local, struct users_entry *e)
{
	struct bytes key = BYTES_INIT(USERS_KEY_BYTES);
	struct bytes wildchars = BYTES_INIT(USERS_VALUE_MAX + 1);
	size_t locallen, i;
	int wild = 0, r, ret = -1, saved;

	users_entry_free(e);
	locallen = strnlen(local, USERS_LOCAL_MAX + 1);
	if (users_key_exact(&key, local, locallen) == -1)
		goto done;

	r = cdbfile_find(c, "", 0, &wildchars, USERS_VALUE_MAX);
	if (r == -1)
		goto done;
	if (r == 0) {
		errno = EPROTO; /* not a users/cdb qmail-newu wrote */
		goto done;
	}

	/* key is "!local\0": first the exact key, then ever shorter
	 * prefixes "!" local[0..i-1) as wildcards, down to "!" alone. */
	i = key.len;
	do {
		if (!wild || i == 1 ||
		    memchr(wildchars.s, key.s[i - 1], wildchars.len) != NULL) {
			r = cdbfile_find(c, key.s, i, &e->rec, USERS_VALUE_MAX);
			if (r == -1)
				goto done;
			if (r == 1) {
				if (wild && bytes_append(&e->rec, local + i - 1,
				    locallen - (i - 1)) == -1)
					goto done;
				if (bytes_append_char(&e->rec, '\0') == -1)
					goto done;
				if (entry_split(e) == -1)
					goto done;
				ret = 1;
				goto done;
			}
		}
		i--;
		wild = 1;
	} while (i > 0);
	ret = 0;
done:
	saved = errno;
	if (ret != 1)
		users_entry_free(e);
	bytes_free(&key);
	bytes_free(&wildchars);
	errno = saved;
	return ret;
}

int
users_lookup(const char *path, const char *local, struct users_entry *e)
{
	struct cdbfile c;
	int r, saved;

	users_entry_free(e);
	r = cdbfile_open(&c, path);
	if (r != 1)
		return r;
	r = users_cdb_lookup(&c, local, e);
	saved = errno;
	cdbfile_close(&c);
	errno = saved;
	return r;
}
