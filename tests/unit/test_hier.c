/*
 * test_hier.c - unit tests for src/lib/hier.c: the installed tree's table
 * and its iterator.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "conf.h"
#include "hier.h"

/* Most items the table can yield: its rows plus six split sets. */
#define ITEMS_MAX (200 + 6 * 1000)

static struct hier_item items[ITEMS_MAX];

/* Walk the whole table into items[]; return the count. */
static size_t
collect(void)
{
	struct hier_iter it;
	size_t n = 0;
	int r;

	hier_iter_start(&it);
	while ((r = hier_iter_next(&it, &items[n])) != 0) {
		assert_int_equal(r, 1);
		n++;
		assert_true(n < ITEMS_MAX);
	}
	/* The end is sticky. */
	assert_int_equal(hier_iter_next(&it, &items[n]), 0);
	return n;
}

static const struct hier_item *
find(size_t n, const char *path)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(items[i].path, path) == 0)
			return &items[i];
	return NULL;
}

/* The index of path in items[], or n if absent. */
static size_t
position(size_t n, const char *path)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(items[i].path, path) == 0)
			return i;
	return n;
}

static mode_t
want_mode(mode_t m)
{
	return conf_unprivileged ? m & ~(mode_t)(S_ISUID | S_ISGID) : m;
}

static void
test_home_comes_first(void **state)
{
	size_t n = collect();

	(void)state;
	assert_true(n > 0);
	assert_string_equal(items[0].path, "");
	assert_int_equal(items[0].type, HIER_DIR);
	assert_int_equal(items[0].entry->owner, CONF_USER_ROOT);
	assert_int_equal(items[0].entry->group, CONF_GROUP_QMAIL);
	assert_int_equal(items[0].mode, 0755);
}

/* check_dir - path is a directory item with this owner and mode */
static void
check_dir(size_t n, const char *path, enum conf_user owner, mode_t mode)
{
	const struct hier_item *it = find(n, path);

	if (it == NULL)
		fail_msg("%s is not in the table", path);
	assert_int_equal(it->type, HIER_DIR);
	assert_int_equal(it->entry->owner, owner);
	assert_int_equal(it->entry->group, CONF_GROUP_QMAIL);
	assert_int_equal(it->entry->mode, mode);
	assert_int_equal(it->mode, want_mode(mode));
}

static void
test_directories_of_qmail(void **state)
{
	size_t n = collect();
	static const char *const rootdirs[] = {"control", "users", "bin",
	    "boot", "doc", "man", "man/man1", "man/man5", "man/man7",
	    "man/man8", "man/cat1", "man/cat5", "man/cat7", "man/cat8"};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rootdirs) / sizeof(rootdirs[0]); i++)
		check_dir(n, rootdirs[i], CONF_USER_ROOT, 0755);
	check_dir(n, "alias", CONF_USER_ALIAS, 02755);
	check_dir(n, "queue", CONF_USER_QMAILQ, 0750);
	check_dir(n, "queue/pid", CONF_USER_QMAILQ, 0700);
	check_dir(n, "queue/bounce", CONF_USER_QMAILS, 0700);
	check_dir(n, "queue/lock", CONF_USER_QMAILQ, 0750);
}

/* check_split - base and base/0..split-1, in order, all alike */
static void
check_split(size_t n, const char *base, enum conf_user owner, mode_t mode)
{
	size_t at = position(n, base), i;
	char want[HIER_PATH_MAX];

	if (at == n)
		fail_msg("%s is not in the table", base);
	check_dir(n, base, owner, mode);
	assert_int_equal(items[at].entry->type, HIER_SPLIT);
	for (i = 0; i < conf_split; i++) {
		const struct hier_item *it = &items[at + 1 + i];

		assert_true(at + 1 + i < n);
		snprintf(want, sizeof(want), "%s/%zu", base, i);
		assert_string_equal(it->path, want);
		assert_int_equal(it->type, HIER_DIR);
		assert_ptr_equal(it->entry, items[at].entry);
		assert_int_equal(it->mode, want_mode(mode));
	}
	/* Nothing past split-1. */
	snprintf(want, sizeof(want), "%s/%u", base, conf_split);
	assert_null(find(n, want));
}

static void
test_split_directories(void **state)
{
	size_t n = collect();

	(void)state;
	check_split(n, "queue/mess", CONF_USER_QMAILQ, 0750);
	check_split(n, "queue/info", CONF_USER_QMAILS, 0700);
	check_split(n, "queue/local", CONF_USER_QMAILS, 0700);
	check_split(n, "queue/remote", CONF_USER_QMAILS, 0700);
}

/* Our difference from qmail: intd and todo are split too. */
static void
test_intd_and_todo_are_split(void **state)
{
	size_t n = collect();

	(void)state;
	check_split(n, "queue/intd", CONF_USER_QMAILQ, 0700);
	check_split(n, "queue/todo", CONF_USER_QMAILQ, 0750);
}

static void
test_lock_files(void **state)
{
	size_t n = collect();
	const struct hier_item *t;

	(void)state;
	t = find(n, "queue/lock/tcpto");
	assert_non_null(t);
	assert_int_equal(t->type, HIER_ZERO);
	assert_int_equal(t->entry->size, 1024);
	assert_int_equal(t->entry->owner, CONF_USER_QMAILR);
	assert_int_equal(t->mode, 0644);

	t = find(n, "queue/lock/sendmutex");
	assert_non_null(t);
	assert_int_equal(t->type, HIER_EMPTY);
	assert_int_equal(t->entry->owner, CONF_USER_QMAILS);
	assert_int_equal(t->mode, 0600);

	t = find(n, "queue/lock/trigger");
	assert_non_null(t);
	assert_int_equal(t->type, HIER_FIFO);
	assert_int_equal(t->entry->owner, CONF_USER_QMAILS);
	assert_int_equal(t->entry->group, CONF_GROUP_QMAIL);
	assert_int_equal(t->mode, 0622);
}

static void
test_every_item_after_its_directory(void **state)
{
	size_t n = collect(), i, p;
	char parent[HIER_PATH_MAX];
	char *slash;

	(void)state;
	for (i = 1; i < n; i++) {
		if (items[i].type == HIER_PROG ||
		    items[i].type == HIER_NOINSTALL) {
			p = position(n, "bin");
		} else {
			snprintf(parent, sizeof(parent), "%s", items[i].path);
			slash = strrchr(parent, '/');
			if (slash != NULL)
				*slash = '\0';
			else
				parent[0] = '\0';
			p = position(n, parent);
		}
		if (items[i].type == HIER_COPY ||
		    items[i].type == HIER_OTHERPROGS)
			p = position(n, items[i].path);
		if (p >= i)
			fail_msg(
			    "%s comes before its directory", items[i].path);
		assert_int_equal(items[p].type, HIER_DIR);
	}
}

static void
test_no_duplicates(void **state)
{
	size_t n = collect(), i, j;

	(void)state;
	for (i = 0; i < n; i++) {
		if (items[i].type == HIER_COPY ||
		    items[i].type == HIER_OTHERPROGS)
			continue;
		for (j = i + 1; j < n; j++)
			if (items[j].type != HIER_COPY &&
			    items[j].type != HIER_OTHERPROGS &&
			    strcmp(items[i].path, items[j].path) == 0)
				fail_msg("%s twice", items[i].path);
	}
}

static void
test_item_count(void **state)
{
	size_t n = collect(), splits = 0, i;

	(void)state;
	for (i = 0; i < n; i++)
		if (items[i].entry->type == HIER_SPLIT &&
		    strchr(items[i].path + strlen(items[i].entry->path), '/') ==
		        NULL)
			splits++;
	assert_int_equal(splits, 6);
	/* Each split set yields its directory and conf_split more. */
	for (i = 0; i < n; i++)
		if (items[i].entry->type != HIER_SPLIT)
			splits++;
	assert_int_equal(n, splits + 6 * (size_t)conf_split);
}

static void
test_program_find(void **state)
{
	const struct hier_entry *e;

	(void)state;
	e = hier_program_find("qmail-queue");
	assert_non_null(e);
	assert_int_equal(e->type, HIER_PROG);
	assert_string_equal(e->path, "bin/qmail-queue");
	assert_int_equal(e->owner, CONF_USER_QMAILQ);
	assert_int_equal(e->mode, 04711);
	assert_int_equal(hier_mode(e), want_mode(04711));
	assert_true(e->flags & HIER_REQUIRED);

	e = hier_program_find("instcheck");
	assert_non_null(e);
	assert_int_equal(e->owner, CONF_USER_ROOT);
	assert_int_equal(e->mode, 0700);
	assert_true(e->flags & HIER_REQUIRED);

	e = hier_program_find("qmail-lspawn");
	assert_non_null(e);
	assert_int_equal(e->mode, 0700);
	assert_false(e->flags & HIER_REQUIRED);
	e = hier_program_find("qmail-send");
	assert_non_null(e);
	assert_int_equal(e->mode, 0711);
	e = hier_program_find("qmail-popup");
	assert_non_null(e);
	assert_int_equal(e->mode, 0711);
	e = hier_program_find("qmail-smtpd");
	assert_non_null(e);
	assert_int_equal(e->mode, 0755);

	e = hier_program_find("install");
	assert_non_null(e);
	assert_int_equal(e->type, HIER_NOINSTALL);

	assert_null(hier_program_find("no-such-program"));
	assert_null(hier_program_find("bin/qmail-queue"));
	assert_null(hier_program_find(""));
	assert_null(hier_program_find("qmail-queu"));
}

static void
test_other_programs(void **state)
{
	const struct hier_entry *e = hier_other_programs();

	(void)state;
	assert_non_null(e);
	assert_int_equal(e->type, HIER_OTHERPROGS);
	assert_string_equal(e->path, "bin");
	assert_int_equal(e->owner, CONF_USER_ROOT);
	assert_int_equal(e->group, CONF_GROUP_QMAIL);
	assert_int_equal(e->mode, 0755);
}

static void
test_copies(void **state)
{
	size_t n = collect(), i, copies = 0;

	(void)state;
	for (i = 0; i < n; i++) {
		if (items[i].type != HIER_COPY)
			continue;
		copies++;
		assert_non_null(items[i].entry->source);
		if (strncmp(items[i].path, "man/man", 7) == 0) {
			assert_string_equal(items[i].entry->source, "man");
			assert_non_null(items[i].entry->suffix);
			assert_int_equal(
			    items[i].entry->suffix[1], items[i].path[7]);
			assert_int_equal(items[i].mode, 0644);
		} else if (strcmp(items[i].path, "boot") == 0) {
			assert_string_equal(
			    items[i].entry->source, "scripts/boot");
			assert_true(items[i].entry->flags & HIER_EXPAND);
			assert_int_equal(items[i].mode, 0755);
		} else {
			assert_string_equal(items[i].path, "doc");
			assert_int_equal(items[i].mode, 0644);
		}
	}
	assert_int_equal(copies, 6);
}

static void
test_mode_strips_setid_only_when_unprivileged(void **state)
{
	const struct hier_entry *q = hier_program_find("qmail-queue");
	size_t n = collect();
	const struct hier_item *alias = find(n, "alias");

	(void)state;
	assert_non_null(alias);
	if (conf_unprivileged) {
		assert_int_equal(hier_mode(q), 0711);
		assert_int_equal(alias->mode, 0755);
	} else {
		assert_int_equal(hier_mode(q), 04711);
		assert_int_equal(alias->mode, 02755);
	}
}

static void
test_path(void **state)
{
	char buf[HIER_PATH_MAX + 64];
	char want[sizeof(buf)];

	(void)state;
	assert_int_equal(hier_path(buf, sizeof(buf), "", NULL), 0);
	assert_string_equal(buf, conf_qmail_home);

	assert_int_equal(hier_path(buf, sizeof(buf), "queue/lock", NULL), 0);
	snprintf(want, sizeof(want), "%s/queue/lock", conf_qmail_home);
	assert_string_equal(buf, want);

	assert_int_equal(hier_path(buf, sizeof(buf), "bin", "qmail-queue"), 0);
	snprintf(want, sizeof(want), "%s/bin/qmail-queue", conf_qmail_home);
	assert_string_equal(buf, want);

	assert_int_equal(hier_path(buf, sizeof(buf), "", "x"), 0);
	snprintf(want, sizeof(want), "%s/x", conf_qmail_home);
	assert_string_equal(buf, want);
}

static void
test_path_too_long(void **state)
{
	char buf[8];
	size_t homelen = strlen(conf_qmail_home);
	char *exact;

	(void)state;
	errno = 0;
	assert_int_equal(hier_path(buf, sizeof(buf), "a-long-name", NULL), -1);
	assert_int_equal(errno, ENAMETOOLONG);
	assert_string_equal(buf, "");

	errno = 0;
	assert_int_equal(hier_path(buf, 0, "", NULL), -1);
	assert_int_equal(errno, ENAMETOOLONG);

	/* The home plus "/q" and its NUL fits exactly; one byte less not. */
	exact = malloc(homelen + 3);
	assert_non_null(exact);
	assert_int_equal(hier_path(exact, homelen + 3, "q", NULL), 0);
	assert_int_equal(strlen(exact), homelen + 2);
	errno = 0;
	assert_int_equal(hier_path(exact, homelen + 2, "q", NULL), -1);
	assert_int_equal(errno, ENAMETOOLONG);
	free(exact);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_home_comes_first),
	    cmocka_unit_test(test_directories_of_qmail),
	    cmocka_unit_test(test_split_directories),
	    cmocka_unit_test(test_intd_and_todo_are_split),
	    cmocka_unit_test(test_lock_files),
	    cmocka_unit_test(test_every_item_after_its_directory),
	    cmocka_unit_test(test_no_duplicates),
	    cmocka_unit_test(test_item_count),
	    cmocka_unit_test(test_program_find),
	    cmocka_unit_test(test_other_programs),
	    cmocka_unit_test(test_copies),
	    cmocka_unit_test(test_mode_strips_setid_only_when_unprivileged),
	    cmocka_unit_test(test_path),
	    cmocka_unit_test(test_path_too_long),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
