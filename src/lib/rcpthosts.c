/*
 * rcpthosts.c - qmail's rcpthosts rule, see rcpthosts.h.
 */
#include <errno.h>
#include <string.h>

#include "bytes.h"
#include "cdbfile.h"
#include "control.h"
#include "domainmap.h"
#include "rcpthosts.h"

/* The longest value read from morercpthosts.cdb (qmail stores none). */
#define RCPTHOSTS_VALUE_MAX 1024

int
rcpthosts_load(struct rcpthosts *r)
{
	struct bytes list = BYTES_INIT(CONTROL_LIST_BYTES);
	int got;

	domainmap_init(&r->map);
	r->map_ok = 0;
	r->mrh_ok = 0;
	r->mrh.fd = -1;
	got = control_readlines(&list, "control/rcpthosts");
	if (got == -1)
		return -1;
	if (got == 1 && domainmap_load_lines(&r->map, &list, 0) == -1) {
		bytes_free(&list);
		domainmap_free(&r->map);
		return -1;
	}
	bytes_free(&list);
	r->map_ok = got;
	if (!r->map_ok)
		return 0;
	got = cdbfile_open(&r->mrh, "control/morercpthosts.cdb");
	if (got == -1) {
		domainmap_free(&r->map);
		r->map_ok = 0;
		return -1;
	}
	r->mrh_ok = got;
	return 0;
}

/* rcpthosts_mrh_has - 1 if key is in morercpthosts.cdb, 0, or -1 */
static int
rcpthosts_mrh_has(struct rcpthosts *r, const char *key, size_t len)
{
	struct bytes value = BYTES_INIT(RCPTHOSTS_VALUE_MAX + 1);
	int found;

	found = cdbfile_find(&r->mrh, key, len, &value, RCPTHOSTS_VALUE_MAX);
	bytes_free(&value);
	return found;
}

int
rcpthosts_allowed(struct rcpthosts *r, const char *addr, size_t len)
{
	char lower[RCPTHOSTS_DOMAIN_MAX];
	const char *dom;
	size_t at, dlen, i;
	int found;

	if (!r->map_ok)
		return 1;
	for (at = len; at > 0 && addr[at - 1] != '@'; at--)
		;
	if (at == 0)
		return 1; /* no '@' */
	dom = addr + at;
	dlen = len - at;
	if (domainmap_find_host(&r->map, dom, dlen, NULL))
		return 1;
	if (!r->mrh_ok || dlen > sizeof(lower))
		return 0;
	for (i = 0; i < dlen; i++) {
		char c = dom[i];
		lower[i] = (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
	}
	for (i = 0; i < dlen; i++) {
		if (i != 0 && lower[i] != '.')
			continue;
		found = rcpthosts_mrh_has(r, lower + i, dlen - i);
		if (found != 0)
			return found;
	}
	return 0;
}

void
rcpthosts_free(struct rcpthosts *r)
{
	domainmap_free(&r->map);
	if (r->mrh_ok)
		cdbfile_close(&r->mrh);
	r->map_ok = 0;
	r->mrh_ok = 0;
}
