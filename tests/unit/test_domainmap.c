/*
 * test_domainmap.c - unit tests for src/lib/domainmap.c: exact and
 * suffix lookups, case folding, the order of the qmail walks, loading
 * control lists, and a large map.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "bytes.h"
#include "domainmap.h"

/* add - domainmap_add of a C string key, which must be new */
static void
add(struct domainmap *m, const char *key, const char *value)
{
	assert_int_equal(domainmap_add(m, key, strlen(key), value), 0);
}

static int
exact(const struct domainmap *m, const char *key, const char **value)
{
	return domainmap_find_exact(m, key, strlen(key), value);
}

static int
host(const struct domainmap *m, const char *h, const char **value)
{
	return domainmap_find_host(m, h, strlen(h), value);
}

static int
route(const struct domainmap *m, const char *h, const char **value)
{
	return domainmap_find_route(m, h, strlen(h), value);
}

/* virt - domainmap_find_virtual of a C string address at its last '@' */
static int
virt(const struct domainmap *m, const char *addr, const char **value)
{
	const char *at = strrchr(addr, '@');

	assert_non_null(at);
	return domainmap_find_virtual(
	    m, addr, strlen(addr), (size_t)(at - addr), value);
}

static void
test_empty_map(void **state)
{
	struct domainmap m = DOMAINMAP_INIT;
	const char *v = "x";

	(void)state;
	assert_int_equal(exact(&m, "a", &v), 0);
	assert_null(v);
	assert_int_equal(host(&m, "a.b", NULL), 0);
	assert_int_equal(route(&m, "a.b", NULL), 0);
	assert_int_equal(virt(&m, "u@a.b", NULL), 0);
	assert_int_equal(domainmap_count(&m), 0);
	domainmap_free(&m);
	domainmap_free(&m);
}

static void
test_exact_and_case(void **state)
{
	struct domainmap m;
	const char *v;

	(void)state;
	domainmap_init(&m);
	add(&m, "Example.COM", NULL);
	assert_int_equal(exact(&m, "example.com", &v), 1);
	assert_null(v);
	assert_int_equal(exact(&m, "EXAMPLE.COM", NULL), 1);
	assert_int_equal(exact(&m, "eXaMpLe.CoM", NULL), 1);
	assert_int_equal(exact(&m, "example.co", NULL), 0);
	assert_int_equal(exact(&m, "example.comx", NULL), 0);
	assert_int_equal(exact(&m, "xexample.com", NULL), 0);
	assert_int_equal(exact(&m, "", NULL), 0);
	/* locals is exact only: no suffix walk */
	assert_int_equal(exact(&m, "mail.example.com", NULL), 0);
	domainmap_free(&m);
}

static void
test_eight_bit_bytes_are_exact(void **state)
{
	struct domainmap m = DOMAINMAP_INIT;

	(void)state;
	add(&m, "\xc4x.example", NULL);
	assert_int_equal(exact(&m, "\xc4x.example", NULL), 1);
	assert_int_equal(exact(&m, "\xe4x.example", NULL), 0);
	assert_int_equal(exact(&m, "\xc4X.EXAMPLE", NULL), 1);
	/* keys are counted bytes, NULs included */
	assert_int_equal(domainmap_add(&m, "a\0b", 3, "nul"), 0);
	assert_int_equal(domainmap_find_exact(&m, "a\0b", 3, NULL), 1);
	assert_int_equal(domainmap_find_exact(&m, "a\0c", 3, NULL), 0);
	assert_int_equal(domainmap_find_exact(&m, "a", 1, NULL), 0);
	domainmap_free(&m);
}

static void
test_values(void **state)
{
	struct domainmap m = DOMAINMAP_INIT;
	const char *v;

	(void)state;
	add(&m, "relay.example", "smtp.example:2525");
	add(&m, "empty.example", "");
	add(&m, "none.example", NULL);
	assert_int_equal(exact(&m, "RELAY.example", &v), 1);
	assert_string_equal(v, "smtp.example:2525");
	assert_int_equal(exact(&m, "empty.example", &v), 1);
	assert_non_null(v);
	assert_string_equal(v, "");
	assert_int_equal(exact(&m, "none.example", &v), 1);
	assert_null(v);
	domainmap_free(&m);
}

static void
test_duplicate_key_last_wins(void **state)
{
	struct domainmap m = DOMAINMAP_INIT;
	const char *v;

	(void)state;
	assert_int_equal(domainmap_add(&m, "dup.example", 11, "first"), 0);
	assert_int_equal(domainmap_add(&m, "DUP.example", 11, "second"), 1);
	assert_int_equal(domainmap_count(&m), 1);
	assert_int_equal(exact(&m, "dup.example", &v), 1);
	assert_string_equal(v, "second");
	assert_int_equal(domainmap_add(&m, "dup.example", 11, NULL), 1);
	assert_int_equal(exact(&m, "dup.example", &v), 1);
	assert_null(v);
	domainmap_free(&m);
}

static void
test_host_suffix_boundaries(void **state)
{
	struct domainmap m = DOMAINMAP_INIT;

	(void)state;
	add(&m, ".example.com", NULL);
	assert_int_equal(host(&m, "mail.example.com", NULL), 1);
	assert_int_equal(host(&m, "a.b.example.com", NULL), 1);
	assert_int_equal(host(&m, "MAIL.Example.Com", NULL), 1);
	/* the domain itself is not below itself */
	assert_int_equal(host(&m, "example.com", NULL), 0);
	/* a suffix only starts at a dot of the host */
	assert_int_equal(host(&m, "xexample.com", NULL), 0);
	assert_int_equal(host(&m, "mail.xexample.com", NULL), 0);
	assert_int_equal(host(&m, "example.com.evil", NULL), 0);
	assert_int_equal(host(&m, "", NULL), 0);
	add(&m, "example.com", NULL);
	assert_int_equal(host(&m, "example.com", NULL), 1);
	assert_int_equal(host(&m, "xexample.com", NULL), 0);
	domainmap_free(&m);
}

static void
test_host_walk_order(void **state)
{
	struct domainmap m = DOMAINMAP_INIT;
	const char *v;

	(void)state;
	add(&m, "a.b.c", "exact");
	add(&m, ".b.c", "b.c");
	add(&m, ".c", "c");
	assert_int_equal(host(&m, "a.b.c", &v), 1);
	assert_string_equal(v, "exact");
	assert_int_equal(host(&m, "x.a.b.c", &v), 1);
	assert_string_equal(v, "b.c"); /* longest suffix first */
	assert_int_equal(host(&m, "x.b.c", &v), 1);
	assert_string_equal(v, "b.c");
	assert_int_equal(host(&m, "b.c", &v), 1);
	assert_string_equal(v, "c");
	assert_int_equal(host(&m, "c", &v), 0);
	assert_null(v);
	domainmap_free(&m);
}

static void
test_host_has_no_catch_all(void **state)
{
	struct domainmap m = DOMAINMAP_INIT;
	const char *v;

	(void)state;
	add(&m, "", "everything");
	assert_int_equal(host(&m, "other.org", NULL), 0);
	assert_int_equal(host(&m, "", NULL), 0);
	assert_int_equal(route(&m, "other.org", &v), 1);
	assert_string_equal(v, "everything");
	domainmap_free(&m);
}

static void
test_route_catch_all_last(void **state)
{
	struct domainmap m = DOMAINMAP_INIT;
	const char *v;

	(void)state;
	add(&m, "", "relay.isp.example");
	add(&m, ".corp.example", "inner.corp.example:2525");
	add(&m, "direct.example", "");
	assert_int_equal(route(&m, "mx.corp.example", &v), 1);
	assert_string_equal(v, "inner.corp.example:2525");
	assert_int_equal(route(&m, "direct.example", &v), 1);
	assert_string_equal(v, "");
	assert_int_equal(route(&m, "other.org", &v), 1);
	assert_string_equal(v, "relay.isp.example");
	assert_int_equal(route(&m, "corp.example", &v), 1);
	assert_string_equal(v, "relay.isp.example");
	assert_int_equal(route(&m, "", &v), 1);
	assert_string_equal(v, "relay.isp.example");
	domainmap_free(&m);
}

static void
test_route_without_catch_all(void **state)
{
	struct domainmap m = DOMAINMAP_INIT;
	const char *v = "x";

	(void)state;
	add(&m, ".corp.example", "inner");
	assert_int_equal(route(&m, "other.org", &v), 0);
	assert_null(v);
	domainmap_free(&m);
}

static void
test_virtual_order(void **state)
{
	struct domainmap m = DOMAINMAP_INIT;
	const char *v;

	(void)state;
	add(&m, "joe@a.b.c", "user");
	add(&m, "a.b.c", "domain");
	add(&m, ".b.c", "suffix");
	add(&m, "", "all");
	assert_int_equal(virt(&m, "joe@a.b.c", &v), 1);
	assert_string_equal(v, "user");
	assert_int_equal(virt(&m, "JOE@A.B.C", &v), 1);
	assert_string_equal(v, "user");
	assert_int_equal(virt(&m, "ann@a.b.c", &v), 1);
	assert_string_equal(v, "domain");
	assert_int_equal(virt(&m, "joe@x.a.b.c", &v), 1);
	assert_string_equal(v, "suffix");
	assert_int_equal(virt(&m, "joe@x.b.c", &v), 1);
	assert_string_equal(v, "suffix");
	assert_int_equal(virt(&m, "joe@b.c", &v), 1);
	assert_string_equal(v, "all");
	assert_int_equal(virt(&m, "joe@other.org", &v), 1);
	assert_string_equal(v, "all");
	assert_int_equal(virt(&m, "joe@", &v), 1);
	assert_string_equal(v, "all");
	domainmap_free(&m);
}

static void
test_virtual_without_catch_all(void **state)
{
	struct domainmap m = DOMAINMAP_INIT;
	const char *v;

	(void)state;
	add(&m, "virt.example", "pre");
	add(&m, "except.virt.example", ""); /* an exception */
	add(&m, ".oe@y.example", "never");
	add(&m, "x.example", NULL);
	assert_int_equal(virt(&m, "joe@virt.example", &v), 1);
	assert_string_equal(v, "pre");
	assert_int_equal(virt(&m, "joe@except.virt.example", &v), 1);
	assert_string_equal(v, "");
	/* suffixes are only taken after the '@' */
	assert_int_equal(virt(&m, "j.oe@y.example", &v), 0);
	assert_null(v);
	assert_int_equal(virt(&m, "j.oe@x.example", &v), 1);
	assert_null(v); /* the key "x.example", which has no value */
	assert_int_equal(virt(&m, "joe@other.org", &v), 0);
	/* the last '@' decides: "a@b" is local part, "c.example" domain */
	add(&m, "c.example", "c");
	assert_int_equal(virt(&m, "a@b@c.example", &v), 1);
	assert_string_equal(v, "c");
	domainmap_free(&m);
}

static void
test_virtual_bad_at(void **state)
{
	struct domainmap m = DOMAINMAP_INIT;
	const char *v;

	(void)state;
	add(&m, "", "all");
	errno = 0;
	assert_int_equal(
	    domainmap_find_virtual(&m, "joe.example", 11, 3, &v), -1);
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_int_equal(domainmap_find_virtual(&m, "joe@x", 5, 5, &v), -1);
	assert_int_equal(errno, EINVAL);
	domainmap_free(&m);
}

static void
test_load_lines_keys(void **state)
{
	struct domainmap m = DOMAINMAP_INIT;
	struct bytes list = BYTES_INIT(1000);
	const char *v = "x";

	(void)state;
	assert_int_equal(
	    bytes_append(&list, "a.example\0.b.example\0has:colon\0", 31), 0);
	assert_int_equal(domainmap_load_lines(&m, &list, 0), 0);
	assert_int_equal(domainmap_count(&m), 3);
	assert_int_equal(exact(&m, "a.example", &v), 1);
	assert_null(v);
	assert_int_equal(host(&m, "x.b.example", NULL), 1);
	assert_int_equal(exact(&m, "has:colon", NULL), 1);
	assert_int_equal(exact(&m, "has", NULL), 0);
	bytes_free(&list);
	domainmap_free(&m);
}

static void
test_load_lines_split(void **state)
{
	static const char lines[] = "example.com:relay.example:25\0"
	                            "nocolon.example\0"
	                            ":catch.all\0"
	                            "virt.example:pre\0"
	                            "except.example:\0"
	                            "VIRT.example:later\0";
	struct domainmap m = DOMAINMAP_INIT;
	struct bytes list = BYTES_INIT(1000);
	const char *v;

	(void)state;
	assert_int_equal(bytes_append(&list, lines, sizeof(lines) - 1), 0);
	assert_int_equal(domainmap_load_lines(&m, &list, 1), 0);
	assert_int_equal(domainmap_count(&m), 4);
	assert_int_equal(exact(&m, "example.com", &v), 1);
	assert_string_equal(v, "relay.example:25"); /* first ':' splits */
	assert_int_equal(exact(&m, "nocolon.example", NULL), 0);
	assert_int_equal(route(&m, "else.where", &v), 1);
	assert_string_equal(v, "catch.all");
	assert_int_equal(exact(&m, "except.example", &v), 1);
	assert_string_equal(v, "");
	assert_int_equal(exact(&m, "virt.example", &v), 1);
	assert_string_equal(v, "later"); /* the later line wins, as qmail */
	bytes_free(&list);
	domainmap_free(&m);
}

static void
test_load_lines_unterminated_last_entry(void **state)
{
	struct domainmap m = DOMAINMAP_INIT;
	struct bytes list = BYTES_INIT(1000);
	const char *v;

	(void)state;
	/* not what control_readlines makes, but must be handled safely */
	assert_int_equal(bytes_append(&list, "a:1\0b:2", 7), 0);
	assert_int_equal(domainmap_load_lines(&m, &list, 1), 0);
	assert_int_equal(exact(&m, "b", &v), 1);
	assert_string_equal(v, "2");
	bytes_free(&list);
	domainmap_free(&m);
}

#define MANY 50000

static void
test_many_entries(void **state)
{
	struct domainmap m = DOMAINMAP_INIT;
	char key[64];
	char val[64];
	const char *v;
	size_t i;
	int n;

	(void)state;
	for (i = 0; i < MANY; i++) {
		n = snprintf(key, sizeof(key), "host%zu.Example.ORG", i);
		snprintf(val, sizeof(val), "v%zu", i);
		assert_int_equal(domainmap_add(&m, key, (size_t)n, val), 0);
	}
	assert_int_equal(domainmap_count(&m), MANY);
	for (i = 0; i < MANY; i++) {
		n = snprintf(key, sizeof(key), "HOST%zu.example.org", i);
		snprintf(val, sizeof(val), "v%zu", i);
		assert_int_equal(
		    domainmap_find_exact(&m, key, (size_t)n, &v), 1);
		assert_string_equal(v, val);
	}
	for (i = MANY; i < 2 * MANY; i++) {
		n = snprintf(key, sizeof(key), "host%zu.example.org", i);
		assert_int_equal(
		    domainmap_find_exact(&m, key, (size_t)n, NULL), 0);
	}
	assert_int_equal(exact(&m, "host1.example.orgx", NULL), 0);
	assert_int_equal(exact(&m, "host1.example.or", NULL), 0);
	assert_int_equal(exact(&m, "ost1.example.org", NULL), 0);
	assert_int_equal(host(&m, "mail.host1.example.org", NULL), 0);
	domainmap_free(&m);
	assert_int_equal(domainmap_count(&m), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_empty_map),
	    cmocka_unit_test(test_exact_and_case),
	    cmocka_unit_test(test_eight_bit_bytes_are_exact),
	    cmocka_unit_test(test_values),
	    cmocka_unit_test(test_duplicate_key_last_wins),
	    cmocka_unit_test(test_host_suffix_boundaries),
	    cmocka_unit_test(test_host_walk_order),
	    cmocka_unit_test(test_host_has_no_catch_all),
	    cmocka_unit_test(test_route_catch_all_last),
	    cmocka_unit_test(test_route_without_catch_all),
	    cmocka_unit_test(test_virtual_order),
	    cmocka_unit_test(test_virtual_without_catch_all),
	    cmocka_unit_test(test_virtual_bad_at),
	    cmocka_unit_test(test_load_lines_keys),
	    cmocka_unit_test(test_load_lines_split),
	    cmocka_unit_test(test_load_lines_unterminated_last_entry),
	    cmocka_unit_test(test_many_entries),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
