/*
 * test_iobuf.c - unit tests for src/lib/iobuf.c on real pipes and
 * socketpairs: buffer boundaries, lines, limits, timeouts, errors.
 *
 * No test depends on timing: a timeout is only checked to fail with
 * ETIMEDOUT, never for how long it took, and where a child process
 * sleeps it only makes a code path likely, never decides the outcome.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "bytes.h"
#include "deadline.h"
#include "iobuf.h"

/* A short timeout for the tests that wait for nothing. */
#define SHORT_MS 50

/* pattern_byte - the test data: not periodic in any small buffer size */
static char
pattern_byte(size_t i)
{
	return (char)((i * 7 + i / 251) & 0xff);
}

static void
pattern_fill(char *p, size_t off, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = pattern_byte(off + i);
}

static void
raw_write_all(int fd, const char *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		w = write(fd, p, n);
		if (w == -1 && errno == EINTR)
			continue;
		assert_true(w > 0);
		p += w;
		n -= (size_t)w;
	}
}

static void
raw_write_str(int fd, const char *s)
{
	raw_write_all(fd, s, strlen(s));
}

static void
close_pair(int fd[2])
{
	if (fd[0] >= 0)
		close(fd[0]);
	if (fd[1] >= 0)
		close(fd[1]);
}

static void
set_nonblocking(int fd)
{
	int flags = fcntl(fd, F_GETFL);

	assert_true(flags != -1);
	assert_int_equal(fcntl(fd, F_SETFL, flags | O_NONBLOCK), 0);
}

/* child_exit_code - wait for pid and return its exit code (or -1) */
static int
child_exit_code(pid_t pid)
{
	int status;

	while (waitpid(pid, &status, 0) == -1)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* pipe_with_text - a pipe whose read end holds text, writer closed */
static int
pipe_with_text(const char *text)
{
	int fd[2];

	assert_int_equal(pipe(fd), 0);
	raw_write_str(fd[1], text);
	close(fd[1]);
	return fd[0];
}

static void
test_read_across_boundaries(void **state)
{
	char space[7];
	char data[100];
	char got[100];
	struct iobuf b;
	int fd[2];
	size_t total = 0;
	ssize_t r;

	(void)state;
	pattern_fill(data, 0, sizeof(data));
	assert_int_equal(pipe(fd), 0);
	raw_write_all(fd[1], data, sizeof(data));
	close(fd[1]);
	iobuf_init(&b, fd[0], space, sizeof(space), -1);
	/* 10-byte reads through a 7-byte buffer straddle every boundary */
	while ((r = iobuf_read(&b, got + total, 10)) > 0) {
		assert_true(r == 10 || total + (size_t)r == sizeof(data));
		total += (size_t)r;
	}
	assert_int_equal(r, 0);
	assert_int_equal(total, sizeof(data));
	assert_memory_equal(got, data, sizeof(data));
	close(fd[0]);
}

static void
test_read_large_bypasses_buffer(void **state)
{
	char space[16];
	char data[5000];
	char got[5000];
	struct iobuf b;
	int fd[2];

	(void)state;
	pattern_fill(data, 0, sizeof(data));
	assert_int_equal(pipe(fd), 0);
	raw_write_all(fd[1], data, sizeof(data));
	close(fd[1]);
	iobuf_init(&b, fd[0], space, sizeof(space), -1);
	/* a few bytes buffered first, then one big read */
	assert_int_equal(iobuf_read(&b, got, 3), 3);
	assert_int_equal(
	    iobuf_read(&b, got + 3, sizeof(got) - 3), sizeof(got) - 3);
	assert_memory_equal(got, data, sizeof(data));
	assert_int_equal(iobuf_read(&b, got, 10), 0);
	close(fd[0]);
}

static void
test_read_short_only_at_eof(void **state)
{
	char space[4];
	char got[32];
	struct iobuf b;
	int fd;

	(void)state;
	fd = pipe_with_text("hello");
	iobuf_init(&b, fd, space, sizeof(space), -1);
	assert_int_equal(iobuf_read(&b, got, sizeof(got)), 5);
	assert_memory_equal(got, "hello", 5);
	assert_int_equal(iobuf_read(&b, got, sizeof(got)), 0);
	assert_int_equal(iobuf_read(&b, got, 0), 0);
	close(fd);
}

static void
test_getc_all_bytes(void **state)
{
	char space[3];
	struct iobuf b;
	char c;
	int fd;

	(void)state;
	fd = pipe_with_text("abcdefg");
	iobuf_init(&b, fd, space, sizeof(space), -1);
	assert_int_equal(iobuf_getc(&b, &c), 1);
	assert_int_equal(c, 'a');
	assert_int_equal(iobuf_getc(&b, &c), 1);
	assert_int_equal(iobuf_getc(&b, &c), 1);
	assert_int_equal(iobuf_getc(&b, &c), 1);
	assert_int_equal(c, 'd');
	assert_int_equal(iobuf_getc(&b, &c), 1);
	assert_int_equal(iobuf_getc(&b, &c), 1);
	assert_int_equal(iobuf_getc(&b, &c), 1);
	assert_int_equal(c, 'g');
	assert_int_equal(iobuf_getc(&b, &c), 0);
	assert_int_equal(iobuf_getc(&b, &c), 0);
	close(fd);
}

static void
test_fill_peek_skip(void **state)
{
	char space[4];
	struct iobuf b;
	int fd;

	(void)state;
	fd = pipe_with_text("abcdef");
	iobuf_init(&b, fd, space, sizeof(space), -1);
	assert_int_equal(iobuf_fill(&b), 4);
	assert_memory_equal(iobuf_peek(&b), "abcd", 4);
	/* fill does not read again while data is buffered */
	assert_int_equal(iobuf_fill(&b), 4);
	iobuf_skip(&b, 3);
	assert_int_equal(iobuf_fill(&b), 1);
	assert_memory_equal(iobuf_peek(&b), "d", 1);
	iobuf_skip(&b, 1);
	assert_int_equal(iobuf_fill(&b), 2);
	assert_memory_equal(iobuf_peek(&b), "ef", 2);
	iobuf_skip(&b, 2);
	assert_int_equal(iobuf_fill(&b), 0);
	close(fd);
}

static void
test_getline_simple(void **state)
{
	struct bytes line = BYTES_INIT(1000);
	char space[64];
	struct iobuf b;
	int fd;

	(void)state;
	fd = pipe_with_text("one\ntwo\n\nthree\n");
	iobuf_init(&b, fd, space, sizeof(space), -1);
	assert_int_equal(iobuf_getline(&b, &line, '\n'), 1);
	assert_true(bytes_equal_str(&line, "one\n"));
	line.len = 0;
	assert_int_equal(iobuf_getline(&b, &line, '\n'), 1);
	assert_true(bytes_equal_str(&line, "two\n"));
	line.len = 0;
	assert_int_equal(iobuf_getline(&b, &line, '\n'), 1);
	assert_true(bytes_equal_str(&line, "\n"));
	line.len = 0;
	assert_int_equal(iobuf_getline(&b, &line, '\n'), 1);
	assert_true(bytes_equal_str(&line, "three\n"));
	line.len = 0;
	assert_int_equal(iobuf_getline(&b, &line, '\n'), 0);
	assert_int_equal(line.len, 0);
	bytes_free(&line);
	close(fd);
}

static void
test_getline_appends(void **state)
{
	struct bytes line = BYTES_INIT(1000);
	char space[64];
	struct iobuf b;
	int fd;

	(void)state;
	fd = pipe_with_text("b\nc\n");
	iobuf_init(&b, fd, space, sizeof(space), -1);
	assert_int_equal(bytes_copy_str(&line, "a:"), 0);
	assert_int_equal(iobuf_getline(&b, &line, '\n'), 1);
	assert_int_equal(iobuf_getline(&b, &line, '\n'), 1);
	assert_true(bytes_equal_str(&line, "a:b\nc\n"));
	bytes_free(&line);
	close(fd);
}

static void
test_getline_longer_than_buffer(void **state)
{
	struct bytes line = BYTES_INIT(100000);
	char space[8];
	char text[3 * 1001 + 1];
	struct iobuf b;
	int fd[2];
	int i;
	int k;

	(void)state;
	/* three lines of 1000 bytes each through an 8-byte buffer */
	for (i = 0; i < 3; i++) {
		for (k = 0; k < 1000; k++)
			text[i * 1001 + k] = (char)('a' + (i + k) % 26);
		text[i * 1001 + 1000] = '\n';
	}
	text[3 * 1001] = '\0';
	assert_int_equal(pipe(fd), 0);
	raw_write_str(fd[1], text);
	close(fd[1]);
	iobuf_init(&b, fd[0], space, sizeof(space), -1);
	for (i = 0; i < 3; i++) {
		line.len = 0;
		assert_int_equal(iobuf_getline(&b, &line, '\n'), 1);
		assert_int_equal(line.len, 1001);
		assert_memory_equal(line.s, text + i * 1001, 1001);
	}
	line.len = 0;
	assert_int_equal(iobuf_getline(&b, &line, '\n'), 0);
	assert_int_equal(line.len, 0);
	bytes_free(&line);
	close(fd[0]);
}

static void
test_getline_nul_delimiter(void **state)
{
	struct bytes line = BYTES_INIT(100);
	char space[5];
	struct iobuf b;
	int fd[2];

	(void)state;
	/* envelope style: NUL-terminated fields */
	assert_int_equal(pipe(fd), 0);
	raw_write_all(fd[1], "Fjoe@x\0Tbob@y\0\0", 15);
	close(fd[1]);
	iobuf_init(&b, fd[0], space, sizeof(space), -1);
	assert_int_equal(iobuf_getline(&b, &line, '\0'), 1);
	assert_int_equal(line.len, 7);
	assert_memory_equal(line.s, "Fjoe@x\0", 7);
	line.len = 0;
	assert_int_equal(iobuf_getline(&b, &line, '\0'), 1);
	assert_memory_equal(line.s, "Tbob@y\0", 7);
	line.len = 0;
	assert_int_equal(iobuf_getline(&b, &line, '\0'), 1);
	assert_int_equal(line.len, 1);
	line.len = 0;
	assert_int_equal(iobuf_getline(&b, &line, '\0'), 0);
	bytes_free(&line);
	close(fd[0]);
}

static void
test_getline_eof_partial_line(void **state)
{
	struct bytes line = BYTES_INIT(100);
	char space[4];
	struct iobuf b;
	int fd;

	(void)state;
	fd = pipe_with_text("abc\nxyz");
	iobuf_init(&b, fd, space, sizeof(space), -1);
	assert_int_equal(iobuf_getline(&b, &line, '\n'), 1);
	assert_true(bytes_equal_str(&line, "abc\n"));
	line.len = 0;
	assert_int_equal(iobuf_getline(&b, &line, '\n'), 0);
	assert_true(bytes_equal_str(&line, "xyz"));
	line.len = 0;
	assert_int_equal(iobuf_getline(&b, &line, '\n'), 0);
	assert_int_equal(line.len, 0);
	bytes_free(&line);
	close(fd);
}

static void
test_getline_too_long(void **state)
{
	struct bytes line = BYTES_INIT(10);
	char space[4];
	struct iobuf b;
	char c;
	int fd;

	(void)state;
	fd = pipe_with_text("0123456789abcdef\nnext\n");
	iobuf_init(&b, fd, space, sizeof(space), -1);
	errno = 0;
	assert_int_equal(iobuf_getline(&b, &line, '\n'), -1);
	assert_int_equal(errno, E2BIG);
	/* the limit counts a NUL: nine bytes are kept */
	assert_int_equal(line.len, 9);
	assert_memory_equal(line.s, "012345678", 9);
	/* the rest is still there to read */
	assert_int_equal(iobuf_getc(&b, &c), 1);
	assert_int_equal(c, '9');
	line.len = 0;
	assert_int_equal(iobuf_getline(&b, &line, '\n'), 1);
	assert_true(bytes_equal_str(&line, "abcdef\n"));
	line.len = 0;
	assert_int_equal(iobuf_getline(&b, &line, '\n'), 1);
	assert_true(bytes_equal_str(&line, "next\n"));
	bytes_free(&line);
	close(fd);
}

static void
test_getline_exactly_at_limit(void **state)
{
	struct bytes line = BYTES_INIT(6);
	char space[3];
	struct iobuf b;
	int fd;

	(void)state;
	fd = pipe_with_text("abcd\nabcde\n");
	iobuf_init(&b, fd, space, sizeof(space), -1);
	/* five bytes with the delimiter fit a limit of six */
	assert_int_equal(iobuf_getline(&b, &line, '\n'), 1);
	assert_true(bytes_equal_str(&line, "abcd\n"));
	assert_non_null(bytes_cstr(&line));
	line.len = 0;
	/* six do not: the delimiter stays unread */
	errno = 0;
	assert_int_equal(iobuf_getline(&b, &line, '\n'), -1);
	assert_int_equal(errno, E2BIG);
	assert_true(bytes_equal_str(&line, "abcde"));
	line.len = 0;
	assert_int_equal(iobuf_getline(&b, &line, '\n'), 1);
	assert_true(bytes_equal_str(&line, "\n"));
	bytes_free(&line);
	close(fd);
}

static void
test_getline_huge_line_bounded(void **state)
{
	struct bytes line = BYTES_INIT(4096);
	char space[512];
	char chunk[65536];
	struct iobuf b;
	int fd[2];
	pid_t pid;
	int i;

	(void)state;
	/* a writer that sends 4 MiB without a newline */
	assert_int_equal(pipe(fd), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(fd[0]);
		memset(chunk, 'x', sizeof(chunk));
		for (i = 0; i < 64; i++)
			if (write(fd[1], chunk, sizeof(chunk)) < 0)
				_exit(1);
		_exit(0);
	}
	close(fd[1]);
	iobuf_init(&b, fd[0], space, sizeof(space), -1);
	errno = 0;
	assert_int_equal(iobuf_getline(&b, &line, '\n'), -1);
	assert_int_equal(errno, E2BIG);
	assert_int_equal(line.len, 4095);
	assert_true(line.cap <= 4096);
	close(fd[0]);
	child_exit_code(pid);
	bytes_free(&line);
}

static void
test_timeout_on_silent_pipe(void **state)
{
	struct bytes line = BYTES_INIT(100);
	char space[16];
	char got[4];
	struct iobuf b;
	int fd[2];
	char c;

	(void)state;
	/* the write end stays open and nobody writes */
	assert_int_equal(pipe(fd), 0);
	iobuf_init(&b, fd[0], space, sizeof(space), SHORT_MS);
	errno = 0;
	assert_int_equal(iobuf_fill(&b), -1);
	assert_int_equal(errno, ETIMEDOUT);
	errno = 0;
	assert_int_equal(iobuf_getc(&b, &c), -1);
	assert_int_equal(errno, ETIMEDOUT);
	errno = 0;
	assert_int_equal(iobuf_read(&b, got, sizeof(got)), -1);
	assert_int_equal(errno, ETIMEDOUT);
	/* a partial line that then stalls is an error, not a line */
	raw_write_str(fd[1], "partial");
	errno = 0;
	assert_int_equal(iobuf_getline(&b, &line, '\n'), -1);
	assert_int_equal(errno, ETIMEDOUT);
	assert_true(bytes_equal_str(&line, "partial"));
	bytes_free(&line);
	close_pair(fd);
}

static void
test_timeout_nonblocking_socket(void **state)
{
	char space[16];
	struct iobuf b;
	int sv[2];

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	set_nonblocking(sv[0]);
	iobuf_init(&b, sv[0], space, sizeof(space), SHORT_MS);
	errno = 0;
	assert_int_equal(iobuf_fill(&b), -1);
	assert_int_equal(errno, ETIMEDOUT);
	raw_write_str(sv[1], "now");
	assert_int_equal(iobuf_fill(&b), 3);
	assert_memory_equal(iobuf_peek(&b), "now", 3);
	close_pair(sv);
}

static void
test_timeout_on_full_socket(void **state)
{
	char space[64];
	char *big;
	struct iobuf b;
	int sv[2];
	size_t n = 16 << 20;

	(void)state;
	/* nobody reads sv[1]; 16 MiB cannot fit in the socket buffers */
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	big = calloc(1, n);
	assert_non_null(big);
	iobuf_init(&b, sv[0], space, sizeof(space), SHORT_MS);
	errno = 0;
	assert_int_equal(iobuf_write(&b, big, n), -1);
	assert_int_equal(errno, ETIMEDOUT);
	free(big);
	close_pair(sv);
}

static void
test_nonblocking_read_waits(void **state)
{
	char space[16];
	char got[6];
	struct iobuf b;
	int fd[2];
	pid_t pid;

	(void)state;
	/* EAGAIN on a non-blocking pipe is waited out, with no timeout */
	assert_int_equal(pipe(fd), 0);
	set_nonblocking(fd[0]);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(fd[0]);
		usleep(20000);
		if (write(fd[1], "late!\n", 6) != 6)
			_exit(1);
		_exit(0);
	}
	close(fd[1]);
	iobuf_init(&b, fd[0], space, sizeof(space), -1);
	assert_int_equal(iobuf_read(&b, got, sizeof(got)), 6);
	assert_memory_equal(got, "late!\n", 6);
	assert_int_equal(iobuf_read(&b, got, sizeof(got)), 0);
	assert_int_equal(child_exit_code(pid), 0);
	close(fd[0]);
}

/* round_trip_writer - the child: write 1 MiB in awkward pieces, exit 0 */
static void
round_trip_writer(int fd, size_t total, int timeout_ms)
{
	static const size_t sizes[] = {1, 3, 17, 15, 16, 64, 4096, 100000, 5};
	char space[16];
	char *chunk;
	struct iobuf b;
	size_t off = 0;
	size_t k;
	size_t i = 0;

	chunk = malloc(100000);
	if (chunk == NULL)
		_exit(2);
	iobuf_init(&b, fd, space, sizeof(space), timeout_ms);
	while (off < total) {
		k = sizes[i++ % (sizeof(sizes) / sizeof(sizes[0]))];
		if (k > total - off)
			k = total - off;
		pattern_fill(chunk, off, k);
		if (iobuf_write(&b, chunk, k) == -1)
			_exit(3);
		off += k;
	}
	if (iobuf_puts(&b, "END") == -1 || iobuf_flush(&b) == -1)
		_exit(4);
	free(chunk);
	_exit(0);
}

static void
round_trip(int nonblocking_writer, int timeout_ms)
{
	const size_t total = 1 << 20;
	char space[100];
	char *got;
	struct iobuf b;
	int sv[2];
	pid_t pid;
	size_t i;

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	if (nonblocking_writer)
		set_nonblocking(sv[1]);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(sv[0]);
		round_trip_writer(sv[1], total, timeout_ms);
	}
	close(sv[1]);
	got = malloc(total + 10);
	assert_non_null(got);
	iobuf_init(&b, sv[0], space, sizeof(space), -1);
	assert_int_equal(iobuf_read(&b, got, total + 10), total + 3);
	for (i = 0; i < total; i++)
		if (got[i] != pattern_byte(i))
			break;
	assert_int_equal(i, total);
	assert_memory_equal(got + total, "END", 3);
	assert_int_equal(child_exit_code(pid), 0);
	free(got);
	close(sv[0]);
}

static void
test_write_flush_round_trip(void **state)
{
	(void)state;
	round_trip(0, -1);
}

static void
test_write_round_trip_nonblocking(void **state)
{
	(void)state;
	/* the writer meets EAGAIN whenever the reader falls behind */
	round_trip(1, -1);
	round_trip(1, 10000);
}

static void
test_puts_and_flush(void **state)
{
	char space[8];
	char got[64];
	struct iobuf b;
	int fd[2];
	ssize_t r;

	(void)state;
	assert_int_equal(pipe(fd), 0);
	iobuf_init(&b, fd[1], space, sizeof(space), -1);
	assert_int_equal(iobuf_puts(&b, "abc"), 0);
	/* still in the buffer: nothing has reached the pipe */
	assert_int_equal(b.len, 3);
	assert_int_equal(iobuf_puts(&b, "defghijklmnop"), 0);
	assert_int_equal(iobuf_write(&b, "", 0), 0);
	assert_int_equal(iobuf_flush(&b), 0);
	assert_int_equal(b.len, 0);
	assert_int_equal(iobuf_flush(&b), 0);
	close(fd[1]);
	r = read(fd[0], got, sizeof(got));
	assert_int_equal(r, 16);
	assert_memory_equal(got, "abcdefghijklmnop", 16);
	close(fd[0]);
}

static void
test_write_to_closed_reader(void **state)
{
	void (*old)(int);
	char space[32];
	char big[100];
	struct iobuf b;
	int fd[2];

	(void)state;
	old = signal(SIGPIPE, SIG_IGN);
	assert_int_equal(pipe(fd), 0);
	close(fd[0]);
	iobuf_init(&b, fd[1], space, sizeof(space), -1);
	assert_int_equal(iobuf_puts(&b, "buffered"), 0);
	errno = 0;
	assert_int_equal(iobuf_flush(&b), -1);
	assert_int_equal(errno, EPIPE);
	/* unsent data is kept */
	assert_int_equal(b.len, 8);
	/* and a big direct write fails the same way, with a timeout too */
	memset(big, 'b', sizeof(big));
	iobuf_init(&b, fd[1], space, sizeof(space), SHORT_MS);
	errno = 0;
	assert_int_equal(iobuf_write(&b, big, sizeof(big)), -1);
	assert_int_equal(errno, EPIPE);
	close(fd[1]);
	signal(SIGPIPE, old);
}

static void
test_bad_descriptor(void **state)
{
	char space[8];
	struct iobuf b;
	int fd[2];

	(void)state;
	assert_int_equal(pipe(fd), 0);
	close_pair(fd);
	iobuf_init(&b, fd[0], space, sizeof(space), -1);
	errno = 0;
	assert_int_equal(iobuf_fill(&b), -1);
	assert_int_equal(errno, EBADF);
	iobuf_init(&b, fd[0], space, sizeof(space), SHORT_MS);
	errno = 0;
	assert_int_equal(iobuf_fill(&b), -1);
	assert_int_equal(errno, EBADF);
	iobuf_init(&b, fd[1], space, sizeof(space), SHORT_MS);
	assert_int_equal(iobuf_puts(&b, "x"), 0);
	errno = 0;
	assert_int_equal(iobuf_flush(&b), -1);
	assert_int_equal(errno, EBADF);
}

static volatile sig_atomic_t signals_seen;

static void
count_signal(int sig)
{
	(void)sig;
	signals_seen++;
}

static void
test_signals_do_not_fail_reads(void **state)
{
	struct sigaction sa;
	struct sigaction old;
	char space[16];
	char got[5];
	struct iobuf b;
	int fd[2];
	pid_t pid;
	int i;

	(void)state;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = count_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0; /* no SA_RESTART: read and poll see EINTR */
	assert_int_equal(sigaction(SIGUSR1, &sa, &old), 0);
	signals_seen = 0;
	assert_int_equal(pipe(fd), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(fd[0]);
		for (i = 0; i < 5; i++) {
			usleep(5000);
			kill(getppid(), SIGUSR1);
		}
		usleep(5000);
		if (write(fd[1], "hello", 5) != 5)
			_exit(1);
		_exit(0);
	}
	close(fd[1]);
	iobuf_init(&b, fd[0], space, sizeof(space), -1);
	assert_int_equal(iobuf_read(&b, got, 5), 5);
	assert_memory_equal(got, "hello", 5);
	assert_int_equal(child_exit_code(pid), 0);
	assert_true(signals_seen > 0);
	close(fd[0]);
	/* the same with a timeout, through poll */
	signals_seen = 0;
	assert_int_equal(pipe(fd), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(fd[0]);
		for (i = 0; i < 5; i++) {
			usleep(5000);
			kill(getppid(), SIGUSR1);
		}
		usleep(5000);
		if (write(fd[1], "world", 5) != 5)
			_exit(1);
		_exit(0);
	}
	close(fd[1]);
	iobuf_init(&b, fd[0], space, sizeof(space), 10000);
	assert_int_equal(iobuf_read(&b, got, 5), 5);
	assert_memory_equal(got, "world", 5);
	assert_int_equal(child_exit_code(pid), 0);
	assert_true(signals_seen > 0);
	close(fd[0]);
	sigaction(SIGUSR1, &old, NULL);
}

static void
test_mixed_getline_and_read(void **state)
{
	struct bytes line = BYTES_INIT(100);
	char space[6];
	char got[10];
	struct iobuf b;
	int fd;

	(void)state;
	fd = pipe_with_text("HEAD\nbody-bytes");
	iobuf_init(&b, fd, space, sizeof(space), -1);
	assert_int_equal(iobuf_getline(&b, &line, '\n'), 1);
	assert_true(bytes_equal_str(&line, "HEAD\n"));
	assert_int_equal(iobuf_read(&b, got, sizeof(got)), 10);
	assert_memory_equal(got, "body-bytes", 10);
	assert_int_equal(iobuf_read(&b, got, sizeof(got)), 0);
	bytes_free(&line);
	close(fd);
}

/*
 * A passed deadline fails a read even with data waiting and no timeout;
 * moving it later lets the read go on, and removing it lifts the bound.
 */
static void
test_deadline_bounds_reads(void **state)
{
	struct timespec d;
	char space[16];
	struct iobuf b;
	char c;
	int fd[2];

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, fd), 0);
	assert_int_equal(write(fd[1], "ab", 2), 2);
	iobuf_init(&b, fd[0], space, 1, -1);
	deadline_set(&d, 0);
	d.tv_sec -= 1;
	iobuf_deadline(&b, &d);
	errno = 0;
	assert_int_equal(iobuf_getc(&b, &c), -1);
	assert_int_equal(errno, ETIMEDOUT);
	deadline_add(&d, 60);
	assert_int_equal(iobuf_getc(&b, &c), 1);
	assert_int_equal(c, 'a');
	d.tv_sec -= 120;
	iobuf_deadline(&b, NULL);
	assert_int_equal(iobuf_getc(&b, &c), 1);
	assert_int_equal(c, 'b');
	close(fd[0]);
	close(fd[1]);
}

/* A silent peer fails a read at the deadline, before a long timeout. */
static void
test_deadline_shortens_timeout(void **state)
{
	struct timespec d;
	char space[16];
	struct iobuf b;
	char c;
	int fd[2];

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, fd), 0);
	iobuf_init(&b, fd[0], space, sizeof(space), 3600 * 1000);
	deadline_set(&d, 0);
	d.tv_nsec += SHORT_MS * 1000 * 1000;
	if (d.tv_nsec >= 1000000000L) {
		d.tv_sec++;
		d.tv_nsec -= 1000000000L;
	}
	iobuf_deadline(&b, &d);
	errno = 0;
	assert_int_equal(iobuf_getc(&b, &c), -1);
	assert_int_equal(errno, ETIMEDOUT);
	close(fd[0]);
	close(fd[1]);
}

/* A passed deadline fails a write too. */
static void
test_deadline_bounds_writes(void **state)
{
	struct timespec d;
	char space[16];
	struct iobuf b;
	int fd[2];

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, fd), 0);
	iobuf_init(&b, fd[1], space, sizeof(space), -1);
	deadline_set(&d, 0);
	d.tv_sec -= 1;
	iobuf_deadline(&b, &d);
	assert_int_equal(iobuf_puts(&b, "x"), 0);
	errno = 0;
	assert_int_equal(iobuf_flush(&b), -1);
	assert_int_equal(errno, ETIMEDOUT);
	close(fd[0]);
	close(fd[1]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_read_across_boundaries),
	    cmocka_unit_test(test_read_large_bypasses_buffer),
	    cmocka_unit_test(test_read_short_only_at_eof),
	    cmocka_unit_test(test_getc_all_bytes),
	    cmocka_unit_test(test_fill_peek_skip),
	    cmocka_unit_test(test_getline_simple),
	    cmocka_unit_test(test_getline_appends),
	    cmocka_unit_test(test_getline_longer_than_buffer),
	    cmocka_unit_test(test_getline_nul_delimiter),
	    cmocka_unit_test(test_getline_eof_partial_line),
	    cmocka_unit_test(test_getline_too_long),
	    cmocka_unit_test(test_getline_exactly_at_limit),
	    cmocka_unit_test(test_getline_huge_line_bounded),
	    cmocka_unit_test(test_timeout_on_silent_pipe),
	    cmocka_unit_test(test_timeout_nonblocking_socket),
	    cmocka_unit_test(test_timeout_on_full_socket),
	    cmocka_unit_test(test_nonblocking_read_waits),
	    cmocka_unit_test(test_write_flush_round_trip),
	    cmocka_unit_test(test_write_round_trip_nonblocking),
	    cmocka_unit_test(test_puts_and_flush),
	    cmocka_unit_test(test_write_to_closed_reader),
	    cmocka_unit_test(test_bad_descriptor),
	    cmocka_unit_test(test_signals_do_not_fail_reads),
	    cmocka_unit_test(test_mixed_getline_and_read),
	    cmocka_unit_test(test_deadline_bounds_reads),
	    cmocka_unit_test(test_deadline_shortens_timeout),
	    cmocka_unit_test(test_deadline_bounds_writes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
