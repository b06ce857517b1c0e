/*
 * domainmap.c - case-insensitive map for control file lookups, see
 * domainmap.h.
 *
 * Linear probing in a power-of-two table that is never more than half
 * full, so every probe sequence ends at an empty slot.  Each entry is one
 * allocation holding the folded key, a NUL, and the value with its NUL;
 * growing the table moves only the slots, never the entries.  The keys
 * come from the administrator's control files, not from the network, so
 * a fixed hash function is enough: a remote peer can choose what it looks
 * up but not what collides in the table.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bytes.h"
#include "control.h"
#include "domainmap.h"

/* Slots in the first table; it doubles from there. */
#define DOMAINMAP_CAP_MIN 64

struct domainmap_slot {
	uint64_t hash;
	char *key; /* NULL: the slot is empty; else folded, NUL-ended */
	size_t keylen;
	const char *value; /* inside the key's allocation, or NULL */
};

static unsigned char
domainmap_fold(char c)
{
	unsigned char u = (unsigned char)c;

	return u >= 'A' && u <= 'Z' ? (unsigned char)(u - 'A' + 'a') : u;
}

/* FNV-1a over the folded bytes, with a final mix for the low bits. */
static uint64_t
domainmap_hash(const char *key, size_t len)
{
	uint64_t h = UINT64_C(14695981039346656037);
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= domainmap_fold(key[i]);
		h *= UINT64_C(1099511628211);
	}
	h ^= h >> 32;
	h *= UINT64_C(0xd6e8feb86659fd93);
	h ^= h >> 32;
	return h;
}

/* domainmap_key_equal - stored (already folded) equals key, folded */
static int
domainmap_key_equal(
    const struct domainmap_slot *slot, const char *key, size_t len)
{
	size_t i;

	if (slot->keylen != len)
		return 0;
	for (i = 0; i < len; i++)
		if ((unsigned char)slot->key[i] != domainmap_fold(key[i]))
			return 0;
	return 1;
}

/*
 * domainmap_slot_for - the slot holding key, or the empty slot where it
 * would go.  The table must exist (cap > 0) and have an empty slot.
 */
static struct domainmap_slot *
domainmap_slot_for(
    const struct domainmap *m, const char *key, size_t len, uint64_t hash)
{
	size_t mask = m->cap - 1;
	size_t i = (size_t)hash & mask;
	struct domainmap_slot *slot;

	for (;;) {
		slot = &m->slots[i];
		if (slot->key == NULL)
			return slot;
		if (slot->hash == hash && domainmap_key_equal(slot, key, len))
			return slot;
		i = (i + 1) & mask;
	}
}

/* domainmap_grow - double the table (or make the first one): 0 or -1 */
static int
domainmap_grow(struct domainmap *m)
{
	struct domainmap_slot *old = m->slots;
	struct domainmap_slot *slot;
	size_t oldcap = m->cap;
	size_t newcap;
	size_t i;

	if (oldcap == 0)
		newcap = DOMAINMAP_CAP_MIN;
	else if (oldcap > SIZE_MAX / 2 / sizeof(*old)) {
		errno = ERANGE;
		return -1;
	} else
		newcap = oldcap * 2;
	m->slots = calloc(newcap, sizeof(*m->slots));
	if (m->slots == NULL) {
		m->slots = old;
		errno = ENOMEM;
		return -1;
	}
	m->cap = newcap;
	for (i = 0; i < oldcap; i++) {
		if (old[i].key == NULL)
			continue;
		slot = domainmap_slot_for(
		    m, old[i].key, old[i].keylen, old[i].hash);
		*slot = old[i];
	}
	free(old);
	return 0;
}

/*
 * domainmap_entry_new - one allocation holding the folded key and the
 * value (if has_value): stores the key and value pointers in slot.
 */
static int
domainmap_entry_new(struct domainmap_slot *slot, const char *key, size_t keylen,
    const char *value, size_t valuelen, int has_value)
{
	size_t size;
	size_t i;
	char *p;

	if (keylen == SIZE_MAX) {
		errno = ERANGE;
		return -1;
	}
	size = keylen + 1;
	if (has_value) {
		if (valuelen > SIZE_MAX - size - 1) {
			errno = ERANGE;
			return -1;
		}
		size += valuelen + 1;
	}
	p = malloc(size);
	if (p == NULL) {
		errno = ENOMEM;
		return -1;
	}
	for (i = 0; i < keylen; i++)
		p[i] = (char)domainmap_fold(key[i]);
	p[keylen] = '\0';
	slot->key = p;
	slot->keylen = keylen;
	slot->value = NULL;
	if (has_value) {
		if (valuelen > 0)
			memcpy(p + keylen + 1, value, valuelen);
		p[keylen + 1 + valuelen] = '\0';
		slot->value = p + keylen + 1;
	}
	return 0;
}

/* domainmap_put - domainmap_add with a counted value */
static int
domainmap_put(struct domainmap *m, const char *key, size_t keylen,
    const char *value, size_t valuelen, int has_value)
{
	struct domainmap_slot *slot;
	struct domainmap_slot fresh;
	uint64_t hash = domainmap_hash(key, keylen);

	if (m->cap > 0) {
		slot = domainmap_slot_for(m, key, keylen, hash);
		if (slot->key != NULL) {
			if (domainmap_entry_new(&fresh, key, keylen, value,
			        valuelen, has_value) == -1)
				return -1;
			free(slot->key);
			fresh.hash = hash;
			*slot = fresh;
			return 1;
		}
	}
	/* Keep the table at most half full after this insertion. */
	if (m->count >= m->cap / 2 && domainmap_grow(m) == -1)
		return -1;
	slot = domainmap_slot_for(m, key, keylen, hash);
	if (domainmap_entry_new(
	        slot, key, keylen, value, valuelen, has_value) == -1)
		return -1;
	slot->hash = hash;
	m->count++;
	return 0;
}

void
domainmap_init(struct domainmap *m)
{
	m->slots = NULL;
	m->cap = 0;
	m->count = 0;
}

void
domainmap_free(struct domainmap *m)
{
	size_t i;

	for (i = 0; i < m->cap; i++)
		free(m->slots[i].key);
	free(m->slots);
	domainmap_init(m);
}

int
domainmap_add(
    struct domainmap *m, const char *key, size_t keylen, const char *value)
{
	if (value == NULL)
		return domainmap_put(m, key, keylen, NULL, 0, 0);
	return domainmap_put(m, key, keylen, value, strlen(value), 1);
}

int
domainmap_find_exact(const struct domainmap *m, const char *key, size_t keylen,
    const char **value)
{
	const struct domainmap_slot *slot;

	if (value != NULL)
		*value = NULL;
	if (m->count == 0)
		return 0;
	slot = domainmap_slot_for(m, key, keylen, domainmap_hash(key, keylen));
	if (slot->key == NULL)
		return 0;
	if (value != NULL)
		*value = slot->value;
	return 1;
}

/* domainmap_find_dots - try every suffix of s[0..len) at a '.', i > 0 */
static int
domainmap_find_dots(
    const struct domainmap *m, const char *s, size_t len, const char **value)
{
	size_t i;

	for (i = 1; i < len; i++)
		if (s[i] == '.' &&
		    domainmap_find_exact(m, s + i, len - i, value))
			return 1;
	return 0;
}

int
domainmap_find_host(const struct domainmap *m, const char *host, size_t hostlen,
    const char **value)
{
	if (value != NULL)
		*value = NULL;
	if (hostlen == 0)
		return 0; /* no host: nothing to try (qmail tries nothing) */
	if (domainmap_find_exact(m, host, hostlen, value))
		return 1;
	return domainmap_find_dots(m, host, hostlen, value);
}

int
domainmap_find_route(const struct domainmap *m, const char *host,
    size_t hostlen, const char **value)
{
	if (domainmap_find_host(m, host, hostlen, value))
		return 1;
	return domainmap_find_exact(m, "", 0, value);
}

int
domainmap_find_virtual(const struct domainmap *m, const char *addr, size_t len,
    size_t at, const char **value)
{
	const char *domain;
	size_t domainlen;

	if (value != NULL)
		*value = NULL;
	if (at >= len || addr[at] != '@') {
		errno = EINVAL;
		return -1;
	}
	if (domainmap_find_exact(m, addr, len, value))
		return 1;
	domain = addr + at + 1;
	domainlen = len - at - 1;
	if (domainlen > 0) {
		if (domainmap_find_exact(m, domain, domainlen, value))
			return 1;
		if (domainmap_find_dots(m, domain, domainlen, value))
			return 1;
	}
	return domainmap_find_exact(m, "", 0, value);
}

int
domainmap_load_lines(struct domainmap *m, const struct bytes *list, int split)
{
	struct control_iter it;
	const char *line;
	const char *colon;
	size_t len;
	size_t keylen;

	control_iter_start(&it, list);
	while (control_iter_next(&it, &line, &len)) {
		if (!split) {
			if (domainmap_put(m, line, len, NULL, 0, 0) == -1)
				return -1;
			continue;
		}
		colon = memchr(line, ':', len);
		if (colon == NULL)
			continue; /* no ':' in a key:value file: ignored */
		keylen = (size_t)(colon - line);
		if (domainmap_put(
		        m, line, keylen, colon + 1, len - keylen - 1, 1) == -1)
			return -1;
	}
	return 0;
}

size_t
domainmap_count(const struct domainmap *m)
{
	return m->count;
}
