/*
 * test_rcpthosts.c - qmail's rcpthosts rule (src/lib/rcpthosts.c), in a
 * private temporary directory holding control/rcpthosts and
 * control/morercpthosts.cdb.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "cdbfile.h"
#include "rcpthosts.h"

static char topdir[] = "/tmp/test_rcpthosts.XXXXXX";

static void
write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

static void
write_mrh(const char *const *keys)
{
	struct cdbfile_writer w;

	assert_int_equal(cdbfile_writer_start(&w, "control/morercpthosts.cdb",
			     NULL, 0644), 0);
	for (; *keys != NULL; keys++)
		assert_int_equal(cdbfile_writer_add(&w, *keys, strlen(*keys),
				     "", 0), 0);
	assert_int_equal(cdbfile_writer_finish(&w), 0);
}

static int
allowed(struct rcpthosts *r, const char *addr)
{
	return rcpthosts_allowed(r, addr, strlen(addr));
}

static int
setup(void **state)
{
	(void)state;
	if (mkdtemp(topdir) == NULL || chdir(topdir) == -1 ||
	    mkdir("control", 0755) == -1)
		return -1;
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	unlink("control/rcpthosts");
	unlink("control/morercpthosts.cdb");
	rmdir("control");
	if (chdir("/") == -1)
		return -1;
	return rmdir(topdir);
}

static void
test_no_rcpthosts(void **state)
{
	struct rcpthosts r;

	(void)state;
	unlink("control/rcpthosts");
	assert_int_equal(rcpthosts_load(&r), 0);
	assert_int_equal(allowed(&r, "anyone@anywhere.example"), 1);
	rcpthosts_free(&r);
}

static void
test_rcpthosts_file(void **state)
{
	struct rcpthosts r;

	(void)state;
	write_file("control/rcpthosts", "example.org\n.example.com\n# x\n");
	assert_int_equal(rcpthosts_load(&r), 0);
	assert_int_equal(allowed(&r, "joe@example.org"), 1);
	assert_int_equal(allowed(&r, "joe@EXAMPLE.Org"), 1);
	assert_int_equal(allowed(&r, "joe@a.b.example.com"), 1);
	assert_int_equal(allowed(&r, "joe@example.com"), 0);
	assert_int_equal(allowed(&r, "joe@sub.example.org"), 0);
	assert_int_equal(allowed(&r, "joe@xexample.org"), 0);
	assert_int_equal(allowed(&r, "a@example.org@evil.example"), 0);
	assert_int_equal(allowed(&r, "postmaster"), 1); /* no '@' */
	assert_int_equal(allowed(&r, "joe@"), 0);
	rcpthosts_free(&r);
}

static void
test_morercpthosts(void **state)
{
	static const char *const keys[] = { "other.test", ".deep.test", NULL };
	struct rcpthosts r;
	char longaddr[RCPTHOSTS_DOMAIN_MAX + 16];

	(void)state;
	write_file("control/rcpthosts", "example.org\n");
	write_mrh(keys);
	assert_int_equal(rcpthosts_load(&r), 0);
	assert_int_equal(allowed(&r, "a@other.test"), 1);
	assert_int_equal(allowed(&r, "a@OTHER.test"), 1);
	assert_int_equal(allowed(&r, "a@x.deep.test"), 1);
	assert_int_equal(allowed(&r, "a@deep.test"), 0);
	assert_int_equal(allowed(&r, "a@x.other.test"), 0);
	assert_int_equal(allowed(&r, "a@example.org"), 1);
	memcpy(longaddr, "a@", 2);
	memset(longaddr + 2, 'x', sizeof(longaddr) - 2 - 11);
	memcpy(longaddr + sizeof(longaddr) - 11, ".other.test", 11);
	assert_int_equal(rcpthosts_allowed(&r, longaddr, sizeof(longaddr)), 0);
	rcpthosts_free(&r);

	/* a corrupt database is an error, never "allowed" */
	write_file("control/morercpthosts.cdb", "short");
	errno = 0;
	assert_int_equal(rcpthosts_load(&r), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_rcpthosts),
		cmocka_unit_test(test_rcpthosts_file),
		cmocka_unit_test(test_morercpthosts),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
