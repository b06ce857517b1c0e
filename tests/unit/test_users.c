/*
 * test_users.c - unit tests for src/lib/users.c: users/cdb lookups with
 * qmail's key encoding, on databases built here record by record exactly
 * as qmail's qmail-newu lays them out.
 *
 * Run with arguments "lookup CDBFILE" it is instead a small test-only
 * harness for tests/programs/qmail-newu.py: it reads local parts, one per
 * line, from stdin and prints for each "local TAB result" where result is
 * "user:uid:gid:home:dash:ext", "none" or "error".
 */
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "bytes.h"
#include "cdbfile.h"
#include "users.h"

static char test_dir[] = "/tmp/test_users.XXXXXX";
static char test_olddir[PATH_MAX];

static int
remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int
group_setup(void **state)
{
	(void)state;
	if (getcwd(test_olddir, sizeof(test_olddir)) == NULL)
		return -1;
	if (mkdtemp(test_dir) == NULL)
		return -1;
	return chdir(test_dir);
}

static int
group_teardown(void **state)
{
	(void)state;
	if (chdir(test_olddir) == -1)
		return -1;
	return nftw(test_dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* One record: key and value given with explicit lengths (NULs inside). */
struct rec {
	const char *key;
	size_t keylen;
	const char *val;
	size_t vallen;
};

#define R(k, v) { k, sizeof(k) - 1, v, sizeof(v) - 1 }

static void
make_db(const char *path, const struct rec *recs, size_t n)
{
	struct cdbfile_writer w;
	size_t i;

	assert_int_equal(cdbfile_writer_start(&w, path, NULL, 0644), 0);
	for (i = 0; i < n; i++)
		assert_int_equal(cdbfile_writer_add(&w, recs[i].key,
		    recs[i].keylen, recs[i].val, recs[i].vallen), 0);
	assert_int_equal(cdbfile_writer_finish(&w), 0);
}

/*
 * The qmail-users(5) example plus a few more, as qmail-newu encodes:
 *	=joe.shmoe:joe:503:78:/home/joe:::
 *	+:alias:7790:2108:/var/qmail/alias:-::
 *	+joe-:joe:507:100:/home/joe:-::
 *	=joe:joe:507:100:/home/joe:::
 *	+list-:lists:600:600:/home/lists:-:x-:
 *	+list-big-:big:601:601:/home/big:-::
 */
static const struct rec example[] = {
	R("!joe.shmoe\0", "joe\0" "503\0" "78\0" "/home/joe\0" "\0"),
	R("!", "alias\0" "7790\0" "2108\0" "/var/qmail/alias\0" "-\0"),
	R("!joe-", "joe\0" "507\0" "100\0" "/home/joe\0" "-\0"),
	R("!joe\0", "joe\0" "507\0" "100\0" "/home/joe\0" "\0"),
	R("!list-", "lists\0" "600\0" "600\0" "/home/lists\0" "-\0" "x-"),
	R("!list-big-", "big\0" "601\0" "601\0" "/home/big\0" "-\0"),
	R("", "-"),
};

static void
expect(const char *db, const char *local, const char *user, unsigned uid,
    unsigned gid, const char *home, const char *dash, const char *ext)
{
	struct users_entry e;

	users_entry_init(&e);
	assert_int_equal(users_lookup(db, local, &e), 1);
	assert_string_equal(e.user, user);
	assert_int_equal(e.uid, uid);
	assert_int_equal(e.gid, gid);
	assert_string_equal(e.home, home);
	assert_string_equal(e.dash, dash);
	assert_string_equal(e.ext, ext);
	users_entry_free(&e);
}

static void
test_simple_assignment(void **state)
{
	(void)state;
	make_db("ex.cdb", example, sizeof example / sizeof example[0]);
	expect("ex.cdb", "joe.shmoe", "joe", 503, 78, "/home/joe", "", "");
	expect("ex.cdb", "joe", "joe", 507, 100, "/home/joe", "", "");
}

static void
test_case_folding(void **state)
{
	(void)state;
	make_db("ex.cdb", example, sizeof example / sizeof example[0]);
	expect("ex.cdb", "Joe.SHMOE", "joe", 503, 78, "/home/joe", "", "");
	/* the extension keeps the case the address had */
	expect("ex.cdb", "JOE-Direct", "joe", 507, 100, "/home/joe", "-",
	    "Direct");
	expect("ex.cdb", "Bill", "alias", 7790, 2108, "/var/qmail/alias", "-",
	    "Bill");
}

static void
test_wildcards(void **state)
{
	(void)state;
	make_db("ex.cdb", example, sizeof example / sizeof example[0]);
	/* qmail-users(5): joe-direct by the wildcard, bill by the catch-all */
	expect("ex.cdb", "joe-direct", "joe", 507, 100, "/home/joe", "-",
	    "direct");
	expect("ex.cdb", "joe-", "joe", 507, 100, "/home/joe", "-", "");
	expect("ex.cdb", "bill", "alias", 7790, 2108, "/var/qmail/alias", "-",
	    "bill");
	/* pre is kept in front of the rest of the address */
	expect("ex.cdb", "list-foo", "lists", 600, 600, "/home/lists", "-",
	    "x-foo");
	/* the longest prefix wins */
	expect("ex.cdb", "list-big-one", "big", 601, 601, "/home/big", "-",
	    "one");
	expect("ex.cdb", "list-bigone", "lists", 600, 600, "/home/lists", "-",
	    "x-bigone");
	/* "joe.shmoe-x" has no exact key: the catch-all, not joe.shmoe */
	expect("ex.cdb", "joe.shmoe-x", "alias", 7790, 2108,
	    "/var/qmail/alias", "-", "joe.shmoe-x");
	expect("ex.cdb", "", "alias", 7790, 2108, "/var/qmail/alias", "-", "");
}

static void
test_exact_beats_wildcard(void **state)
{
	static const struct rec recs[] = {
		R("!ab", "wild\0" "1\0" "1\0" "/w\0" "-\0"),
		R("!abc\0", "exact\0" "2\0" "2\0" "/e\0" "\0"),
		R("", "b"),
	};

	(void)state;
	make_db("eb.cdb", recs, 3);
	expect("eb.cdb", "abc", "exact", 2, 2, "/e", "", "");
	expect("eb.cdb", "abcd", "wild", 1, 1, "/w", "-", "cd");
	expect("eb.cdb", "ab", "wild", 1, 1, "/w", "-", "");
}

static void
test_no_match(void **state)
{
	struct users_entry e;

	(void)state;
	static const struct rec recs[] = {
		R("!joe\0", "joe\0" "507\0" "100\0" "/home/joe\0" "\0"),
		R("", ""),
	};
	make_db("nm.cdb", recs, 2);
	users_entry_init(&e);
	assert_int_equal(users_lookup("nm.cdb", "joe-x", &e), 0);
	assert_null(e.user);
	assert_int_equal(users_lookup("nm.cdb", "bob", &e), 0);
	assert_int_equal(users_lookup("missing.cdb", "joe", &e), 0);
	users_entry_free(&e);
}

/* qmail-lspawn only looks at a wildcard key whose last byte is listed. */
static void
test_wildchars_gate(void **state)
{
	struct users_entry e;
	static const struct rec recs[] = {
		R("!ab", "wild\0" "1\0" "1\0" "/w\0" "-\0"),
		R("", "x"),
	};

	(void)state;
	make_db("wg.cdb", recs, 2);
	users_entry_init(&e);
	assert_int_equal(users_lookup("wg.cdb", "abc", &e), 0);
	users_entry_free(&e);
}

static void
test_missing_empty_key(void **state)
{
	struct users_entry e;
	static const struct rec recs[] = {
		R("!joe\0", "joe\0" "507\0" "100\0" "/home/joe\0" "\0"),
	};

	(void)state;
	make_db("me.cdb", recs, 1);
	users_entry_init(&e);
	errno = 0;
	assert_int_equal(users_lookup("me.cdb", "joe", &e), -1);
	assert_int_equal(errno, EPROTO);
	assert_null(e.user);
	users_entry_free(&e);
}

static void
test_malformed_records(void **state)
{
	struct users_entry e;
	static const struct rec recs[] = {
		R("!few\0", "joe\0" "507\0" "100\0" "/home/joe\0"),
		R("!uid\0", "joe\0" "5x7\0" "100\0" "/home/joe\0" "\0"),
		R("!gid\0", "joe\0" "507\0" "\0" "/home/joe\0" "\0"),
		R("!big\0", "joe\0" "4294967295\0" "1\0" "/h\0" "\0"),
		R("!more\0", "joe\0" "1\0" "1\0" "/h\0" "\0" "\0" "x"),
		R("", ""),
	};
	static const char *const bad[] = { "few", "uid", "gid", "big",
		"more" };
	size_t i;

	(void)state;
	make_db("mr.cdb", recs, 6);
	users_entry_init(&e);
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		errno = 0;
		assert_int_equal(users_lookup("mr.cdb", bad[i], &e), -1);
		assert_int_equal(errno, EPROTO);
	}
	users_entry_free(&e);
}

static void
test_corrupt_file(void **state)
{
	struct users_entry e;
	FILE *f;

	(void)state;
	f = fopen("short.cdb", "w");
	assert_non_null(f);
	fputs("not a cdb", f);
	fclose(f);
	users_entry_init(&e);
	assert_int_equal(users_lookup("short.cdb", "joe", &e), -1);
	users_entry_free(&e);
}

static void
test_local_too_long(void **state)
{
	struct users_entry e;
	char *big;

	(void)state;
	make_db("ex.cdb", example, sizeof example / sizeof example[0]);
	big = malloc(USERS_LOCAL_MAX + 2);
	assert_non_null(big);
	memset(big, 'a', USERS_LOCAL_MAX + 1);
	big[USERS_LOCAL_MAX + 1] = '\0';
	users_entry_init(&e);
	errno = 0;
	assert_int_equal(users_lookup("ex.cdb", big, &e), -1);
	assert_int_equal(errno, E2BIG);
	/* exactly at the limit is fine: the catch-all takes it */
	big[USERS_LOCAL_MAX] = '\0';
	assert_int_equal(users_lookup("ex.cdb", big, &e), 1);
	assert_int_equal(strlen(e.ext), USERS_LOCAL_MAX);
	users_entry_free(&e);
	free(big);
}

static void
test_keys(void **state)
{
	struct bytes k = BYTES_INIT(100);

	(void)state;
	assert_int_equal(users_key_exact(&k, "Joe.Shmoe", 9), 0);
	assert_int_equal(k.len, 11);
	assert_memory_equal(k.s, "!joe.shmoe\0", 11);
	assert_int_equal(users_key_wild(&k, "LIST-", 5), 0);
	assert_int_equal(k.len, 6);
	assert_memory_equal(k.s, "!list-", 6);
	assert_int_equal(users_key_wild(&k, "", 0), 0);
	assert_int_equal(k.len, 1);
	/* only ASCII letters are folded */
	assert_int_equal(users_key_exact(&k, "\xc4Z@", 3), 0);
	assert_memory_equal(k.s, "!\xc4z@\0", 5);
	bytes_free(&k);
}

static void
test_entry_parse(void **state)
{
	struct users_entry e;
	static const char full[] = "joe\0" "507\0" "100\0" "/home/joe\0"
				   "-\0" "ext\0";
	static const char nofinal[] = "joe\0" "0\0" "4294967294\0" "/h\0"
				      "\0" "e";

	(void)state;
	users_entry_init(&e);
	assert_int_equal(users_entry_parse(&e, full, sizeof full - 1), 0);
	assert_string_equal(e.user, "joe");
	assert_int_equal(e.uid, 507);
	assert_int_equal(e.gid, 100);
	assert_string_equal(e.home, "/home/joe");
	assert_string_equal(e.dash, "-");
	assert_string_equal(e.ext, "ext");
	/* the last field without its NUL */
	assert_int_equal(users_entry_parse(&e, nofinal, sizeof nofinal - 1),
	    0);
	assert_int_equal(e.uid, 0);
	assert_int_equal(e.gid, 4294967294U);
	assert_string_equal(e.dash, "");
	assert_string_equal(e.ext, "e");
	/* five fields, seven fields, empty */
	assert_int_equal(users_entry_parse(&e, full, 21), -1);
	assert_int_equal(errno, EPROTO);
	assert_null(e.user);
	assert_int_equal(users_entry_parse(&e, "a\0" "1\0" "1\0" "h\0" "\0"
	    "\0" "x\0", 12), -1);
	assert_int_equal(users_entry_parse(&e, "", 0), -1);
	users_entry_free(&e);
}

/* The test-only harness (see the top of the file). */
static int
harness(const char *db)
{
	struct users_entry e;
	struct cdbfile c;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;

	if (cdbfile_open(&c, db) != 1) {
		perror(db);
		return 111;
	}
	users_entry_init(&e);
	while ((n = getline(&line, &cap, stdin)) > 0) {
		if (line[n - 1] == '\n')
			line[--n] = '\0';
		switch (users_cdb_lookup(&c, line, &e)) {
		case 1:
			printf("%s\t%s:%lu:%lu:%s:%s:%s\n", line, e.user,
			    (unsigned long)e.uid, (unsigned long)e.gid, e.home,
			    e.dash, e.ext);
			break;
		case 0:
			printf("%s\tnone\n", line);
			break;
		default:
			printf("%s\terror\n", line);
		}
	}
	users_entry_free(&e);
	free(line);
	cdbfile_close(&c);
	return fflush(stdout) == 0 ? 0 : 111;
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_simple_assignment),
	    cmocka_unit_test(test_case_folding),
	    cmocka_unit_test(test_wildcards),
	    cmocka_unit_test(test_exact_beats_wildcard),
	    cmocka_unit_test(test_no_match),
	    cmocka_unit_test(test_wildchars_gate),
	    cmocka_unit_test(test_missing_empty_key),
	    cmocka_unit_test(test_malformed_records),
	    cmocka_unit_test(test_corrupt_file),
	    cmocka_unit_test(test_local_too_long),
	    cmocka_unit_test(test_keys),
	    cmocka_unit_test(test_entry_parse),
	};

	if (argc == 3 && strcmp(argv[1], "lookup") == 0)
		return harness(argv[2]);
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
