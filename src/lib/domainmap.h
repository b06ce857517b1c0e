/*
 * domainmap.h - case-insensitive map from domain-like keys to values.
 *
 * The lookups behind locals, rcpthosts, smtproutes and virtualdomains
 * (qmail's constmap).  Keys are compared ignoring ASCII case: A-Z are
 * folded to a-z on insert and on lookup; every other byte, including
 * 8-bit ones, is compared exactly.  Each key has an optional value (a C
 * string) or none.  The map copies what it is given; a value pointer it
 * returns stays valid until domainmap_free, or until a domainmap_add of
 * the same key replaces that entry.
 *
 * An open-addressing hash table kept at most half full, so a lookup costs
 * a hash and, on average, one or two probes, however many entries there
 * are.  Growth doubles the table with every size computation checked.
 */
#ifndef DOMAINMAP_H
#define DOMAINMAP_H

#include <stddef.h>

#include "bytes.h"

struct domainmap_slot;

struct domainmap {
	struct domainmap_slot *slots; /* NULL until the first add */
	size_t cap;                   /* number of slots: 0 or a power of 2 */
	size_t count;                 /* entries in use */
};

/* DOMAINMAP_INIT - an empty map; no memory until the first add */
#define DOMAINMAP_INIT { NULL, 0, 0 }

/* domainmap_init - make m an empty map (no allocation) */
void domainmap_init(struct domainmap *m);

/* domainmap_free - release every entry; m is an empty map afterwards */
void domainmap_free(struct domainmap *m);

/*
 * domainmap_add - map key[0..keylen) (any bytes, case folded as above) to
 * a copy of the C string value, or to no value if value is NULL.  A later
 * add of the same key replaces the earlier entry, value and all: that is
 * what qmail's constmap does for a key listed twice in a control file
 * (the last line wins).  Returns 0 when the key was new, 1 when it
 * replaced an entry, -1 with ENOMEM or ERANGE (a size would overflow);
 * on failure the map is unchanged.
 */
int domainmap_add(
    struct domainmap *m, const char *key, size_t keylen, const char *value);

/*
 * domainmap_find_exact - look up key[0..keylen) itself.  Returns 1 if it
 * is in the map, else 0.  If value is not NULL, *value is set to the
 * entry's value (NULL for an entry without one, or when not found).
 * This is the locals lookup: "Example.COM" finds an entry "example.com".
 */
int domainmap_find_exact(const struct domainmap *m, const char *key,
    size_t keylen, const char **value);

/*
 * domainmap_find_host - the rcpthosts walk: the whole host, then every
 * suffix of it that starts at a '.', longest first; no catch-all.
 * Returns 1 (with *value as domainmap_find_exact) for the first key
 * found, else 0.  For host "a.b.c" the keys tried are
 *
 *	"a.b.c", ".b.c", ".c"
 *
 * so ".b.c" matches "a.b.c" and "x.a.b.c" but neither "b.c" itself nor
 * "xb.c" (a suffix only ever starts at a dot of the host).
 */
int domainmap_find_host(const struct domainmap *m, const char *host,
    size_t hostlen, const char **value);

/*
 * domainmap_find_route - the smtproutes walk: as domainmap_find_host,
 * then finally the empty key "" as a catch-all.  For "a.b.c":
 *
 *	"a.b.c", ".b.c", ".c", ""
 */
int domainmap_find_route(const struct domainmap *m, const char *host,
    size_t hostlen, const char **value);

/*
 * domainmap_find_virtual - the virtualdomains walk of qmail-send, for an
 * address addr[0..len) whose last '@' is at addr[at]: the whole address,
 * then the domain after the '@', then every suffix of the domain that
 * starts at a '.', then "".  For "joe@a.b.c":
 *
 *	"joe@a.b.c", "a.b.c", ".b.c", ".c", ""
 *
 * Returns 1 for the first key found (*value as domainmap_find_exact; an
 * empty value is how virtualdomains marks an exception, which the caller
 * handles), 0 if none, -1 with EINVAL if addr[at] is not an '@' inside
 * addr.  A '.' right after the '@' is tried as the domain only once.
 */
int domainmap_find_virtual(const struct domainmap *m, const char *addr,
    size_t len, size_t at, const char **value);

/*
 * domainmap_load_lines - add every entry of a control_readlines list.
 * With split 0 each whole entry is a key without a value (locals,
 * rcpthosts).  With split 1 each entry is "key:value", split at its FIRST
 * ':' (smtproutes "host:relay:port", virtualdomains "domain:prefix"), and
 * an entry without any ':' is skipped, as qmail does.  Later entries
 * replace earlier ones with the same key (see domainmap_add).  Returns 0,
 * or -1 with errno as domainmap_add (entries added before the failure
 * stay in the map).
 */
int domainmap_load_lines(
    struct domainmap *m, const struct bytes *list, int split);

/* domainmap_count - the number of distinct keys in the map */
size_t domainmap_count(const struct domainmap *m);

#endif
