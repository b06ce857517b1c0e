/*
 * test_addr822.c - unit tests for src/lib/addr822.c: tokenizing and
 * parsing address lists, the host rewriting rules of qmail-header(5),
 * re-emitting, and hostile input.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "addr822.h"
#include "bytes.h"

static const struct addr822_hosts hosts = { "dh", "dd.example", "pd.example" };

/* collect - callback: rewrite (if ctx->rewrite) and remember each address */
struct seen {
	int rewrite;
	struct bytes list; /* addresses joined by '|' */
};

static int
collect(void *ctx, struct bytes *addr)
{
	struct seen *s = ctx;

	if (s->rewrite && addr822_rewrite_host(addr, &hosts) == -1)
		return -1;
	if (s->list.len > 0 && bytes_append_char(&s->list, '|') == -1)
		return -1;
	return bytes_append(&s->list, addr->s, addr->len);
}

/* check - field gives the addresses want_addrs and the output want_out */
static void
check(const char *field, int rewrite, const char *want_addrs,
    const char *want_out)
{
	struct seen s;
	struct bytes out = BYTES_INIT(1 << 20);
	long n;

	s.rewrite = rewrite;
	bytes_init(&s.list, 1 << 20);
	n = addr822_list(field, strlen(field), collect, &s, &out, 4);
	assert_true(n >= 0);
	assert_non_null(bytes_cstr(&s.list));
	assert_string_equal(s.list.s, want_addrs);
	if (want_out != NULL) {
		assert_non_null(bytes_cstr(&out));
		assert_string_equal(out.s, want_out);
	}
	bytes_free(&s.list);
	bytes_free(&out);
}

static void
test_simple(void **state)
{
	(void)state;
	check("a@b.c", 0, "a@b.c", "a@b.c");
	check(" a@b.c , d@e.f ", 0, "a@b.c|d@e.f", "a@b.c, d@e.f");
	check("a@b.c (Some Body)", 0, "a@b.c", "a@b.c (Some Body)");
	check("A Person <e@f.g>", 0, "e@f.g", "A Person <e@f.g>");
	check("\"Doe, John\" <j@d.e>", 0, "j@d.e", "\"Doe, John\" <j@d.e>");
	check("", 0, "", "");
	check("<>", 0, "", "<>");
}

static void
test_rewrite_rules(void **state)
{
	(void)state;
	check("joe", 1, "joe@dh.dd.example", "joe@dh.dd.example");
	check("djb@silverton", 1, "djb@silverton.dd.example", NULL);
	check("eric@mammoth.cs+", 1, "eric@mammoth.cs.pd.example", NULL);
	check("eric@mammoth+", 1, "eric@mammoth.pd.example", NULL);
	check("djb@[128.32.183.163]", 1, "djb@[128.32.183.163]", NULL);
	check("a@b.c", 1, "a@b.c", NULL);
	check("Joe <joe>", 1, "joe@dh.dd.example", "Joe <joe@dh.dd.example>");
	check("<>", 1, "", "<>");
}

static void
test_host_fix(void **state)
{
	struct bytes h = BYTES_INIT(100);
	static const struct addr822_hosts plus = { "x+", "dd", "pd" };
	struct bytes a = BYTES_INIT(100);

	(void)state;
	assert_int_equal(bytes_copy_str(&h, "host"), 0);
	assert_int_equal(addr822_fix_host(&h, &hosts), 0);
	assert_true(bytes_equal_str(&h, "host.dd.example"));
	assert_int_equal(bytes_copy_str(&h, "a.b"), 0);
	assert_int_equal(addr822_fix_host(&h, &hosts), 0);
	assert_true(bytes_equal_str(&h, "a.b"));
	assert_int_equal(bytes_copy_str(&a, "u"), 0);
	assert_int_equal(addr822_rewrite_host(&a, &plus), 0);
	assert_true(bytes_equal_str(&a, "u@x.pd"));
	/* too long: unchanged, E2BIG */
	a.limit = 5;
	assert_int_equal(bytes_copy_str(&a, "u@h"), 0);
	assert_int_equal(addr822_rewrite_host(&a, &hosts), -1);
	assert_int_equal(errno, E2BIG);
	assert_true(bytes_equal_str(&a, "u@h"));
	bytes_free(&h);
	bytes_free(&a);
}

static void
test_quoting(void **state)
{
	(void)state;
	check("\"a b\"@c.d", 0, "a b@c.d", "\"a b\"@c.d");
	check("\"a\\\"b\"@c.d", 0, "a\"b@c.d", "\"a\\\"b\"@c.d");
	check("\"plain\"@c.d", 0, "plain@c.d", "plain@c.d");
	check("a . b @ c . d", 0, "a.b@c.d", "a.b@c.d");
}

static void
test_groups_and_routes(void **state)
{
	(void)state;
	check("random group: g@h.i, i@j.k;, k@l.m", 0, "g@h.i|i@j.k|k@l.m",
	    "random group: g@h.i, i@j.k;, k@l.m");
	check("undisclosed-recipients:;", 0, "", "undisclosed-recipients:;");
	check("<@r1.x,@r2.y:u@h.z>", 0, "u@h.z", "<u@h.z>");
	check("g: a@b.c", 0, "a@b.c", "g: a@b.c;");
}

static void
test_illegal_space(void **state)
{
	(void)state;
	check("djb fred", 1, "djb@dh.dd.example|fred@dh.dd.example",
	    "djb@dh.dd.example, fred@dh.dd.example");
	check("a@b.c d@e.f", 0, "a@b.c|d@e.f", "a@b.c, d@e.f");
}

static void
test_hostile(void **state)
{
	struct bytes big = BYTES_INIT(1 << 22);
	struct bytes out = BYTES_INIT(1 << 24);
	size_t i;
	long n;

	(void)state;
	/* unterminated constructs end at the end of the field */
	check("\"abc", 0, "abc", "abc");
	check("a@b.c (unterminated", 0, "a@b.c", "a@b.c (unterminated)");
	check("x@[1.2.3", 0, "x@[1.2.3]", "x@[1.2.3]");
	check("<a@b.c", 0, "a@b.c", "<a@b.c>");
	check("a@b.c>", 0, "a@b.c", "a@b.c");
	/* NUL and CR never reach an address or the output */
	n = addr822_list("a\0b@c.d,\r\n e@f.g", 16, NULL, NULL, &out, 0);
	assert_int_equal(n, 3);
	assert_null(memchr(out.s, '\0', out.len));
	assert_null(memchr(out.s, '\r', out.len));
	bytes_free(&out);
	/* deep comment nesting: no recursion, no trouble */
	for (i = 0; i < 50000; i++)
		assert_int_equal(bytes_append_char(&big, '('), 0);
	assert_int_equal(bytes_append_str(&big, "x"), 0);
	n = addr822_list(big.s, big.len, NULL, NULL, NULL, 0);
	assert_int_equal(n, 0);
	/* a comment longer than an address may be: a clean E2BIG */
	for (i = 0; i < ADDR822_ADDRESS_MAX; i++)
		assert_int_equal(bytes_append_char(&big, '('), 0);
	n = addr822_list(big.s, big.len, NULL, NULL, NULL, 0);
	assert_int_equal(n, -1);
	assert_int_equal(errno, E2BIG);
	/* one word too long for an address */
	bytes_truncate(&big, 0);
	for (i = 0; i < ADDR822_ADDRESS_MAX + 10; i++)
		assert_int_equal(bytes_append_char(&big, 'a'), 0);
	n = addr822_list(big.s, big.len, NULL, NULL, NULL, 0);
	assert_int_equal(n, -1);
	assert_int_equal(errno, E2BIG);
	/* many addresses: fine, and folded */
	bytes_truncate(&big, 0);
	for (i = 0; i < 20000; i++)
		assert_int_equal(bytes_append_str(&big, "user@example.com, "),
		    0);
	n = addr822_list(big.s, big.len, NULL, NULL, &out, 4);
	assert_int_equal(n, 20000);
	assert_non_null(memchr(out.s, '\n', out.len));
	bytes_free(&out);
	bytes_free(&big);
}

static void
test_folding(void **state)
{
	struct bytes out = BYTES_INIT(10000);
	const char *f = "aaaaaaaaaaaaaaaaaaaa@example.com, "
			"bbbbbbbbbbbbbbbbbbbb@example.com, "
			"cccccccccccccccccccc@example.com";
	char *nl;

	(void)state;
	assert_int_equal(addr822_list(f, strlen(f), NULL, NULL, &out, 4), 3);
	assert_non_null(bytes_cstr(&out));
	nl = strchr(out.s, '\n');
	assert_non_null(nl);
	assert_true(nl - out.s + 4 <= ADDR822_FOLD_COLUMN);
	assert_string_equal(nl, "\n  cccccccccccccccccccc@example.com");
	bytes_free(&out);
}

/*
 * parse_twice - parse f[0..n), then parse its output; the addresses of
 * both parses into l1 and l2 (joined by '|'), the outputs into o1, o2.
 */
static void
parse_twice(const char *f, size_t n, struct seen *l1, struct seen *l2,
    struct bytes *o1, struct bytes *o2)
{
	long n1, n2;

	l1->rewrite = l2->rewrite = 0;
	bytes_init(&l1->list, 1 << 20);
	bytes_init(&l2->list, 1 << 20);
	bytes_init(o1, 1 << 20);
	bytes_init(o2, 1 << 20);
	n1 = addr822_list(f, n, collect, l1, o1, 4);
	assert_true(n1 >= 0);
	n2 = addr822_list(o1->s == NULL ? "" : o1->s, o1->len, collect, l2, o2,
	    4);
	if (n2 != n1 || l1->list.len != l2->list.len ||
	    (l1->list.len > 0 &&
		memcmp(l1->list.s, l2->list.s, l1->list.len) != 0))
		fail_msg("round trip of \"%.*s\": %ld addresses \"%.*s\", "
			 "output \"%.*s\" gives %ld \"%.*s\"",
		    (int)n, f, n1, (int)l1->list.len,
		    l1->list.s ? l1->list.s : "", (int)o1->len,
		    o1->s ? o1->s : "", n2, (int)l2->list.len,
		    l2->list.s ? l2->list.s : "");
}

static void
free_twice(struct seen *l1, struct seen *l2, struct bytes *o1,
    struct bytes *o2)
{
	bytes_free(&l1->list);
	bytes_free(&l2->list);
	bytes_free(o1);
	bytes_free(o2);
}

/* round_trip - field's output parses back to field's addresses; and the
 * output, if want_out is not NULL, is want_out */
static void
round_trip(const char *field, const char *want_addrs, const char *want_out)
{
	struct seen l1, l2;
	struct bytes o1, o2;

	parse_twice(field, strlen(field), &l1, &l2, &o1, &o2);
	assert_non_null(bytes_cstr(&l1.list));
	assert_string_equal(l1.list.s, want_addrs);
	if (want_out != NULL) {
		assert_non_null(bytes_cstr(&o1));
		assert_string_equal(o1.s, want_out);
	}
	free_twice(&l1, &l2, &o1, &o2);
}

/* issue 12 C24: parse(format(parse(x))) == parse(x) */
static void
test_round_trip(void **state)
{
	(void)state;
	/* an open literal took the comma in: its domain gets quoted */
	round_trip("a[0.@y,b", "a|[0.@y,b]", "a, \"[0.\"@\"y,b]\"");
	/* a domain that is not atoms and dots is written quoted */
	round_trip("a@\"x y\"", "a@x y", "a@\"x y\"");
	round_trip("<a@\"x>y\">", "a@x>y", "<a@\"x>y\">");
	round_trip("a@b.c, a@b., a@", "a@b.c|a@b.|a@", "a@b.c, a@b., a@");
	round_trip("a@[1.2.3.4], b@x.[5]", "a@[1.2.3.4]|b@x.[5]",
	    "a@[1.2.3.4], b@x.[5]");
	round_trip("<a@x[1]>", "a@x[1]", "<a@\"x[1]\">");
	round_trip("<a@[x y]>", "a@[xy]", "<a@[xy]>");
	/* an empty address stays one */
	round_trip("\"\"", "", "<>");
	round_trip("\"\" \"\", x", "x", "<>, <>, x");
	assert_int_equal(addr822_list("<>, <>, x", 9, NULL, NULL, NULL, 0), 3);
	round_trip("Name <>", "", "Name <>");
	/* '@' and the local part */
	round_trip("\"a@b\"@c", "a@b@c", "\"a@b\"@c");
	round_trip("@", "@", "\"\"@");
	round_trip(".", ".", "\".\"");
	round_trip("a\\@b", "a\\@b", "\"a\\\\\"@b");
	/* an escaped backslash ends a quoted string: it is not reopened */
	round_trip("\"x\\\\\" <y@z>, b@c", "y@z|b@c", "\"x\\\\\" <y@z>, b@c");
	/* open constructs closed so that they close */
	round_trip("a@b (c\\", "a@b", "a@b (c\\\\)");
	round_trip("a@b (c\\\\", "a@b", "a@b (c\\\\)");
	round_trip("x, [a\\", "x|[a\\]", "x, \"[a\\\\]\"");
	round_trip("\"ab\\", "ab\\", "\"ab\\\\\"");
	round_trip("\"ab\\\"", "ab\"", "\"ab\\\"\"");
	/* groups */
	round_trip("g: a; h: b;", "a|b", "g: a;, h: b;");
	round_trip("g: x:y <a>, b:c;", "a|bc", "g: x:y <a>, bc;");
}

/*
 * test_round_trip_exhaustive - every field of up to 5 bytes from the
 * bytes that matter to the parser round-trips
 */
static void
test_round_trip_exhaustive(void **state)
{
	static const char alphabet[] = "a@.,;:<>\"()[]\\ \n";
	const size_t k = sizeof(alphabet) - 1;
	char f[5];
	size_t len, i, idx, total;
	struct seen l1, l2;
	struct bytes o1, o2;

	(void)state;
	for (len = 1; len <= 5; len++) {
		total = 1;
		for (i = 0; i < len; i++)
			total *= k;
		for (idx = 0; idx < total; idx++) {
			size_t v = idx;

			for (i = 0; i < len; i++) {
				f[i] = alphabet[v % k];
				v /= k;
			}
			parse_twice(f, len, &l1, &l2, &o1, &o2);
			free_twice(&l1, &l2, &o1, &o2);
		}
	}
}

/* stop - a callback that fails */
static int
stop(void *ctx, struct bytes *addr)
{
	(void)ctx;
	(void)addr;
	errno = EPERM;
	return -1;
}

static void
test_callback_error(void **state)
{
	(void)state;
	assert_int_equal(addr822_list("a@b", 3, stop, NULL, NULL, 0), -1);
	assert_int_equal(errno, EPERM);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_simple),
		cmocka_unit_test(test_rewrite_rules),
		cmocka_unit_test(test_host_fix),
		cmocka_unit_test(test_quoting),
		cmocka_unit_test(test_groups_and_routes),
		cmocka_unit_test(test_illegal_space),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_folding),
		cmocka_unit_test(test_callback_error),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_round_trip_exhaustive),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
