/*
 * test_control.c - unit tests for src/lib/control.c: reading single
 * lines, numbers and lists the way qmail does, and the limits.
 *
 * Every test runs in a private temporary directory (the group setup
 * chdirs there), so control file names are plain relative names.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "bytes.h"
#include "control.h"

static char test_dir[] = "/tmp/test_control.XXXXXX";
static char test_olddir[PATH_MAX];

static int
remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	chmod(path, 0700);
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

/* write_file - create name holding data[0..len), failing the test if not */
static void
write_file(const char *name, const char *data, size_t len)
{
	int fd;

	fd = open(name, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd != -1);
	if (len > 0)
		assert_int_equal(write(fd, data, len), (ssize_t)len);
	assert_int_equal(close(fd), 0);
}

static void
write_str(const char *name, const char *s)
{
	write_file(name, s, strlen(s));
}

/* assert_bytes - b holds exactly want[0..n) */
static void
assert_bytes(const struct bytes *b, const char *want, size_t n)
{
	assert_int_equal(b->len, n);
	if (n > 0)
		assert_memory_equal(b->s, want, n);
}

/* fill - out starts non-empty, to check that readers replace it */
static void
fill(struct bytes *out)
{
	assert_int_equal(bytes_copy_str(out, "stale"), 0);
}

/* --- control_readline ------------------------------------------------ */

static void
test_readline_missing_file(void **state)
{
	struct bytes out = BYTES_INIT(CONTROL_LINE_BYTES);

	(void)state;
	fill(&out);
	assert_int_equal(control_readline(&out, "no-such-file"), 0);
	assert_int_equal(out.len, 0);
	/* a missing directory on the way is ENOENT too */
	assert_int_equal(control_readline(&out, "no-such-dir/me"), 0);
	bytes_free(&out);
}

static void
test_readline_empty_file_is_present(void **state)
{
	struct bytes out = BYTES_INIT(CONTROL_LINE_BYTES);

	(void)state;
	write_str("empty", "");
	fill(&out);
	assert_int_equal(control_readline(&out, "empty"), 1);
	assert_int_equal(out.len, 0);
	bytes_free(&out);
}

static void
test_readline_without_final_newline(void **state)
{
	struct bytes out = BYTES_INIT(CONTROL_LINE_BYTES);

	(void)state;
	write_str("me-nonl", "mail.example.com");
	assert_int_equal(control_readline(&out, "me-nonl"), 1);
	assert_string_equal(bytes_cstr(&out), "mail.example.com");
	bytes_free(&out);
}

static void
test_readline_strips_trailing_whitespace(void **state)
{
	struct bytes out = BYTES_INIT(CONTROL_LINE_BYTES);

	(void)state;
	write_str("trail", "host.example \t \t\r\n");
	assert_int_equal(control_readline(&out, "trail"), 1);
	assert_string_equal(bytes_cstr(&out), "host.example");
	write_str("crlf", "crlf.example\r\nsecond\r\n");
	assert_int_equal(control_readline(&out, "crlf"), 1);
	assert_string_equal(bytes_cstr(&out), "crlf.example");
	write_str("blank", " \t\r\n");
	assert_int_equal(control_readline(&out, "blank"), 1);
	assert_int_equal(out.len, 0);
	bytes_free(&out);
}

static void
test_readline_keeps_leading_and_inner_whitespace(void **state)
{
	struct bytes out = BYTES_INIT(CONTROL_LINE_BYTES);

	(void)state;
	write_str("lead", "  \tWelcome to  the host \n");
	assert_int_equal(control_readline(&out, "lead"), 1);
	assert_string_equal(bytes_cstr(&out), "  \tWelcome to  the host");
	bytes_free(&out);
}

static void
test_readline_first_line_only(void **state)
{
	struct bytes out = BYTES_INIT(CONTROL_LINE_BYTES);

	(void)state;
	write_str("two", "first\nsecond\n");
	assert_int_equal(control_readline(&out, "two"), 1);
	assert_string_equal(bytes_cstr(&out), "first");
	write_str("emptyfirst", "\nsecond\n");
	assert_int_equal(control_readline(&out, "emptyfirst"), 1);
	assert_int_equal(out.len, 0);
	bytes_free(&out);
}

static void
test_readline_keeps_nul_bytes(void **state)
{
	struct bytes out = BYTES_INIT(CONTROL_LINE_BYTES);

	(void)state;
	write_file("nul", "a\0b  \n", 6);
	assert_int_equal(control_readline(&out, "nul"), 1);
	assert_bytes(&out, "a\0b", 3);
	bytes_free(&out);
}

static void
test_readline_directory_is_an_error(void **state)
{
	struct bytes out = BYTES_INIT(CONTROL_LINE_BYTES);

	(void)state;
	assert_int_equal(mkdir("adir", 0755), 0);
	fill(&out);
	errno = 0;
	assert_int_equal(control_readline(&out, "adir"), -1);
	assert_int_equal(errno, EISDIR);
	assert_int_equal(out.len, 0);
	bytes_free(&out);
}

/*
 * unreadable_as_nobody - as root, mode 000 does not stop reading, so try
 * the read in a child that has dropped to an unprivileged uid; the exit
 * status says what it saw: 0 for -1/EACCES, 1 for anything else.
 */
static void
unreadable_as_nobody(void)
{
	struct bytes out = BYTES_INIT(CONTROL_LINE_BYTES);
	int status;
	pid_t pid;

	assert_int_equal(chmod(".", 0711), 0);
	pid = fork();
	assert_true(pid != -1);
	if (pid == 0) {
		if (setgid(65534) == -1 || setuid(65534) == -1)
			_exit(2);
		errno = 0;
		if (control_readline(&out, "secret") == -1 && errno == EACCES)
			_exit(0);
		_exit(1);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_int_equal(chmod(".", 0700), 0);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

static void
test_readline_unreadable_is_an_error(void **state)
{
	struct bytes out = BYTES_INIT(CONTROL_LINE_BYTES);

	(void)state;
	write_str("secret", "x\n");
	assert_int_equal(chmod("secret", 0), 0);
	if (geteuid() == 0) {
		unreadable_as_nobody();
		return;
	}
	errno = 0;
	assert_int_equal(control_readline(&out, "secret"), -1);
	assert_int_equal(errno, EACCES);
	bytes_free(&out);
}

static void
test_readline_line_limit(void **state)
{
	/* a roomier out, so that CONTROL_LINE_MAX itself is what stops */
	struct bytes out = BYTES_INIT(4 * CONTROL_LINE_MAX);
	char *big;

	(void)state;
	big = malloc(CONTROL_LINE_MAX + 2);
	assert_non_null(big);
	memset(big, 'x', CONTROL_LINE_MAX + 1);
	big[CONTROL_LINE_MAX] = '\n';
	/* exactly the limit, then a newline: fine */
	write_file("atlimit", big, CONTROL_LINE_MAX + 1);
	assert_int_equal(control_readline(&out, "atlimit"), 1);
	assert_int_equal(out.len, CONTROL_LINE_MAX);
	/* one byte more, with or without a newline: E2BIG */
	big[CONTROL_LINE_MAX] = 'x';
	big[CONTROL_LINE_MAX + 1] = '\n';
	write_file("overlimit", big, CONTROL_LINE_MAX + 2);
	errno = 0;
	assert_int_equal(control_readline(&out, "overlimit"), -1);
	assert_int_equal(errno, E2BIG);
	assert_int_equal(out.len, 0);
	write_file("overnonl", big, CONTROL_LINE_MAX + 1);
	errno = 0;
	assert_int_equal(control_readline(&out, "overnonl"), -1);
	assert_int_equal(errno, E2BIG);
	free(big);
	bytes_free(&out);
}

static void
test_readline_respects_caller_limit(void **state)
{
	struct bytes out = BYTES_INIT(4);

	(void)state;
	write_str("short", "abc\n");
	assert_int_equal(control_readline(&out, "short"), 1);
	assert_string_equal(bytes_cstr(&out), "abc");
	write_str("long", "abcd\n");
	errno = 0;
	assert_int_equal(control_readline(&out, "long"), -1);
	assert_int_equal(errno, E2BIG);
	bytes_free(&out);
}

/* --- defaults -------------------------------------------------------- */

static void
test_readline_def(void **state)
{
	struct bytes out = BYTES_INIT(CONTROL_LINE_BYTES);

	(void)state;
	assert_int_equal(
	    control_readline_def(&out, "nodef", "MAILER-DAEMON"), 1);
	assert_string_equal(bytes_cstr(&out), "MAILER-DAEMON");
	fill(&out);
	assert_int_equal(control_readline_def(&out, "nodef", NULL), 0);
	assert_int_equal(out.len, 0);
	/* an empty file is present: def does not apply */
	write_str("def-empty", "");
	assert_int_equal(control_readline_def(&out, "def-empty", "x"), 1);
	assert_int_equal(out.len, 0);
	write_str("def-set", "bounces \n");
	assert_int_equal(control_readline_def(&out, "def-set", "x"), 1);
	assert_string_equal(bytes_cstr(&out), "bounces");
	bytes_free(&out);
}

static void
test_readline_me_fallback_chain(void **state)
{
	struct bytes out = BYTES_INIT(CONTROL_LINE_BYTES);
	struct bytes me = BYTES_INIT(CONTROL_LINE_BYTES);

	(void)state;
	assert_int_equal(bytes_copy_str(&me, "me.example"), 0);
	assert_int_equal(control_readline_me(&out, "nohelo", &me, "def"), 1);
	assert_string_equal(bytes_cstr(&out), "me.example");
	assert_int_equal(control_readline_me(&out, "nohelo", NULL, "def"), 1);
	assert_string_equal(bytes_cstr(&out), "def");
	fill(&out);
	assert_int_equal(control_readline_me(&out, "nohelo", NULL, NULL), 0);
	assert_int_equal(out.len, 0);
	write_str("helo", "helo.example\n");
	assert_int_equal(control_readline_me(&out, "helo", &me, "def"), 1);
	assert_string_equal(bytes_cstr(&out), "helo.example");
	/* an error never falls back */
	assert_int_equal(mkdir("helodir", 0755), 0);
	errno = 0;
	assert_int_equal(control_readline_me(&out, "helodir", &me, "d"), -1);
	assert_int_equal(errno, EISDIR);
	bytes_free(&out);
	bytes_free(&me);
}

/* --- control_readint ------------------------------------------------- */

static void
test_readint_number(void **state)
{
	unsigned long u = 0;

	(void)state;
	write_str("int", "42\n");
	assert_int_equal(control_readint(&u, "int"), 1);
	assert_int_equal(u, 42);
	write_str("zero", "0");
	assert_int_equal(control_readint(&u, "zero"), 1);
	assert_int_equal(u, 0);
	write_str("trailing", "604800 \r\n");
	assert_int_equal(control_readint(&u, "trailing"), 1);
	assert_int_equal(u, 604800);
}

static void
test_readint_missing_leaves_value(void **state)
{
	unsigned long u = 20;

	(void)state;
	assert_int_equal(control_readint(&u, "no-int"), 0);
	assert_int_equal(u, 20);
}

static void
test_readint_garbage_is_absent(void **state)
{
	static const char *const garbage[] = {
	    "abc\n", "\n", "", "-5\n", "+5\n", "x12\n", " \n", "#10\n"};
	unsigned long u = 7;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(garbage) / sizeof(garbage[0]); i++) {
		write_str("garbage", garbage[i]);
		assert_int_equal(control_readint(&u, "garbage"), 0);
		assert_int_equal(u, 7);
	}
}

static void
test_readint_digits_then_text(void **state)
{
	unsigned long u = 0;

	(void)state;
	/* as qmail: the leading digits are the value */
	write_str("comment", "1000000 # one MB\n");
	assert_int_equal(control_readint(&u, "comment"), 1);
	assert_int_equal(u, 1000000);
	write_str("suffix", "30k\n");
	assert_int_equal(control_readint(&u, "suffix"), 1);
	assert_int_equal(u, 30);
}

static void
test_readint_leading_whitespace_skipped(void **state)
{
	unsigned long u = 0;

	(void)state;
	write_str("lead", "   30\n");
	assert_int_equal(control_readint(&u, "lead"), 1);
	assert_int_equal(u, 30);
	write_str("leadtab", "\t 12\t\n");
	assert_int_equal(control_readint(&u, "leadtab"), 1);
	assert_int_equal(u, 12);
}

static void
test_readint_overflow_is_an_error(void **state)
{
	unsigned long u = 5;
	char buf[64];

	(void)state;
	write_str("huge", "99999999999999999999999\n");
	errno = 0;
	assert_int_equal(control_readint(&u, "huge"), -1);
	assert_int_equal(errno, ERANGE);
	assert_int_equal(u, 5);
	/* the largest value fits; one more does not */
	snprintf(buf, sizeof(buf), "%lu\n", ULONG_MAX);
	write_str("max", buf);
	assert_int_equal(control_readint(&u, "max"), 1);
	assert_true(u == ULONG_MAX);
	write_str("max1", "18446744073709551616\n");
	u = 5;
	errno = 0;
	assert_int_equal(control_readint(&u, "max1"), -1);
	assert_int_equal(errno, ERANGE);
	assert_int_equal(u, 5);
}

static void
test_readint_error(void **state)
{
	unsigned long u = 5;

	(void)state;
	assert_int_equal(mkdir("intdir", 0755), 0);
	errno = 0;
	assert_int_equal(control_readint(&u, "intdir"), -1);
	assert_int_equal(errno, EISDIR);
	assert_int_equal(u, 5);
}

/* --- control_readlines ----------------------------------------------- */

static void
test_readlines_comments_and_blank_lines(void **state)
{
	struct bytes out = BYTES_INIT(CONTROL_LIST_BYTES);
	static const char want[] = "a.example\0  #kept\0b.example\0"
	                           "c.example\0";

	(void)state;
	write_str("list", "# locals\n"
	                  "a.example\n"
	                  "\n"
	                  "  #kept\n"
	                  "   \t\n"
	                  "b.example \t\r\n"
	                  "#c.example\n"
	                  "\r\n"
	                  "c.example");
	fill(&out);
	assert_int_equal(control_readlines(&out, "list"), 1);
	assert_bytes(&out, want, sizeof(want) - 1);
	bytes_free(&out);
}

static void
test_readlines_missing_and_empty(void **state)
{
	struct bytes out = BYTES_INIT(CONTROL_LIST_BYTES);

	(void)state;
	fill(&out);
	assert_int_equal(control_readlines(&out, "no-list"), 0);
	assert_int_equal(out.len, 0);
	write_str("empty-list", "");
	fill(&out);
	assert_int_equal(control_readlines(&out, "empty-list"), 1);
	assert_int_equal(out.len, 0);
	write_str("comments-only", "# one\n#two\n\n");
	assert_int_equal(control_readlines(&out, "comments-only"), 1);
	assert_int_equal(out.len, 0);
	bytes_free(&out);
}

static void
test_readlines_final_line_without_newline(void **state)
{
	struct bytes out = BYTES_INIT(CONTROL_LIST_BYTES);

	(void)state;
	write_str("nonl", "one\ntwo  ");
	assert_int_equal(control_readlines(&out, "nonl"), 1);
	assert_bytes(&out, "one\0two\0", 8);
	write_str("single", "x");
	assert_int_equal(control_readlines(&out, "single"), 1);
	assert_bytes(&out, "x\0", 2);
	bytes_free(&out);
}

static void
test_readlines_nul_cuts_a_line(void **state)
{
	struct bytes out = BYTES_INIT(CONTROL_LIST_BYTES);

	(void)state;
	/* "a<NUL>b" must not become two entries "a" and "b" */
	write_file("nullist", "a \0b\n\0hidden\nc\n", 15);
	assert_int_equal(control_readlines(&out, "nullist"), 1);
	assert_bytes(&out, "a\0c\0", 4);
	bytes_free(&out);
}

static void
test_readlines_directory_is_an_error(void **state)
{
	struct bytes out = BYTES_INIT(CONTROL_LIST_BYTES);

	(void)state;
	assert_int_equal(mkdir("listdir", 0755), 0);
	fill(&out);
	errno = 0;
	assert_int_equal(control_readlines(&out, "listdir"), -1);
	assert_int_equal(errno, EISDIR);
	assert_int_equal(out.len, 0);
	bytes_free(&out);
}

static void
test_readlines_long_line(void **state)
{
	struct bytes out = BYTES_INIT(CONTROL_LIST_BYTES);
	size_t n = CONTROL_LINE_MAX + 1;
	char *big;

	(void)state;
	big = malloc(n + 20);
	assert_non_null(big);
	memcpy(big, "ok\n", 3);
	memset(big + 3, 'y', n);
	big[3 + n] = '\n';
	write_file("longlist", big, n + 4);
	errno = 0;
	assert_int_equal(control_readlines(&out, "longlist"), -1);
	assert_int_equal(errno, E2BIG);
	assert_int_equal(out.len, 0);
	/* at the limit it is kept */
	write_file("limitlist", big, n + 2);
	assert_int_equal(control_readlines(&out, "limitlist"), 1);
	assert_int_equal(out.len, 3 + CONTROL_LINE_MAX + 1);
	free(big);
	bytes_free(&out);
}

static void
test_readlines_file_limit(void **state)
{
	struct bytes out = BYTES_INIT(CONTROL_LIST_BYTES);
	size_t chunk = 1 << 20;
	size_t done;
	char *buf;
	int fd;

	(void)state;
	/* comment lines, so out stays small while the file is huge */
	buf = malloc(chunk);
	assert_non_null(buf);
	memset(buf, '#', chunk);
	for (done = 1023; done < chunk; done += 1024)
		buf[done] = '\n';
	fd = open("hugelist", O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd != -1);
	for (done = 0; done < CONTROL_FILE_MAX; done += chunk)
		assert_int_equal(write(fd, buf, chunk), (ssize_t)chunk);
	assert_int_equal(close(fd), 0);
	assert_int_equal(control_readlines(&out, "hugelist"), 1);
	assert_int_equal(out.len, 0);
	/* one byte past the limit */
	fd = open("hugelist", O_WRONLY | O_APPEND);
	assert_true(fd != -1);
	assert_int_equal(write(fd, "x", 1), 1);
	assert_int_equal(close(fd), 0);
	errno = 0;
	assert_int_equal(control_readlines(&out, "hugelist"), -1);
	assert_int_equal(errno, E2BIG);
	assert_int_equal(unlink("hugelist"), 0);
	free(buf);
	bytes_free(&out);
}

#define MANY 50000

static void
test_readlines_many_lines(void **state)
{
	struct bytes out = BYTES_INIT(CONTROL_LIST_BYTES);
	struct bytes file = BYTES_INIT(CONTROL_LIST_BYTES);
	struct control_iter it;
	const char *line;
	char want[64];
	size_t len;
	size_t i;

	(void)state;
	for (i = 0; i < MANY; i++) {
		snprintf(want, sizeof(want), "host%05zu.example.net \n", i);
		assert_int_equal(bytes_append_str(&file, want), 0);
		if (i % 1000 == 0)
			assert_int_equal(bytes_append_str(&file, "# c\n\n"), 0);
	}
	write_file("many", file.s, file.len);
	assert_int_equal(control_readlines(&out, "many"), 1);
	control_iter_start(&it, &out);
	for (i = 0; control_iter_next(&it, &line, &len); i++) {
		assert_true(i < MANY);
		snprintf(want, sizeof(want), "host%05zu.example.net", i);
		assert_int_equal(len, strlen(want));
		assert_string_equal(line, want);
	}
	assert_int_equal(i, MANY);
	bytes_free(&out);
	bytes_free(&file);
}

static void
test_readlines_me(void **state)
{
	struct bytes out = BYTES_INIT(CONTROL_LIST_BYTES);
	struct bytes me = BYTES_INIT(CONTROL_LINE_BYTES);

	(void)state;
	assert_int_equal(bytes_copy_str(&me, "me.example"), 0);
	assert_int_equal(control_readlines_me(&out, "no-locals", &me), 1);
	assert_bytes(&out, "me.example\0", 11);
	fill(&out);
	assert_int_equal(control_readlines_me(&out, "no-locals", NULL), 0);
	assert_int_equal(out.len, 0);
	bytes_truncate(&me, 0);
	assert_int_equal(control_readlines_me(&out, "no-locals", &me), 1);
	assert_int_equal(out.len, 0);
	write_str("locals", "l.example\n");
	assert_int_equal(bytes_copy_str(&me, "me.example"), 0);
	assert_int_equal(control_readlines_me(&out, "locals", &me), 1);
	assert_bytes(&out, "l.example\0", 10);
	bytes_free(&out);
	bytes_free(&me);
}

/* --- control_iter ---------------------------------------------------- */

static void
test_iter_edges(void **state)
{
	struct bytes list = BYTES_INIT(100);
	struct control_iter it;
	const char *line;
	size_t len;

	(void)state;
	control_iter_start(&it, &list);
	assert_int_equal(control_iter_next(&it, &line, &len), 0);
	assert_int_equal(bytes_append(&list, "ab\0c", 4), 0);
	control_iter_start(&it, &list);
	assert_int_equal(control_iter_next(&it, &line, &len), 1);
	assert_int_equal(len, 2);
	assert_memory_equal(line, "ab", 2);
	assert_int_equal(control_iter_next(&it, &line, &len), 1);
	assert_int_equal(len, 1);
	assert_memory_equal(line, "c", 1);
	assert_int_equal(control_iter_next(&it, &line, &len), 0);
	assert_int_equal(control_iter_next(&it, &line, &len), 0);
	bytes_free(&list);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_readline_missing_file),
	    cmocka_unit_test(test_readline_empty_file_is_present),
	    cmocka_unit_test(test_readline_without_final_newline),
	    cmocka_unit_test(test_readline_strips_trailing_whitespace),
	    cmocka_unit_test(test_readline_keeps_leading_and_inner_whitespace),
	    cmocka_unit_test(test_readline_first_line_only),
	    cmocka_unit_test(test_readline_keeps_nul_bytes),
	    cmocka_unit_test(test_readline_directory_is_an_error),
	    cmocka_unit_test(test_readline_unreadable_is_an_error),
	    cmocka_unit_test(test_readline_line_limit),
	    cmocka_unit_test(test_readline_respects_caller_limit),
	    cmocka_unit_test(test_readline_def),
	    cmocka_unit_test(test_readline_me_fallback_chain),
	    cmocka_unit_test(test_readint_number),
	    cmocka_unit_test(test_readint_missing_leaves_value),
	    cmocka_unit_test(test_readint_garbage_is_absent),
	    cmocka_unit_test(test_readint_digits_then_text),
	    cmocka_unit_test(test_readint_leading_whitespace_skipped),
	    cmocka_unit_test(test_readint_overflow_is_an_error),
	    cmocka_unit_test(test_readint_error),
	    cmocka_unit_test(test_readlines_comments_and_blank_lines),
	    cmocka_unit_test(test_readlines_missing_and_empty),
	    cmocka_unit_test(test_readlines_final_line_without_newline),
	    cmocka_unit_test(test_readlines_nul_cuts_a_line),
	    cmocka_unit_test(test_readlines_directory_is_an_error),
	    cmocka_unit_test(test_readlines_long_line),
	    cmocka_unit_test(test_readlines_file_limit),
	    cmocka_unit_test(test_readlines_many_lines),
	    cmocka_unit_test(test_readlines_me),
	    cmocka_unit_test(test_iter_edges),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
