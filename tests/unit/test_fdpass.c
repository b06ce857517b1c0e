/*
 * test_fdpass.c - unit tests for fdpass.c: a descriptor passed over a
 * socketpair works on the other side, and every malformed message is
 * refused without leaving a descriptor behind.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fdpass.h"

/* Number of open descriptors, from /proc/self/fd. */
static int
fd_count(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

/*
 * The n lowest free descriptor numbers, which are what the kernel hands
 * out to the next descriptors received.
 */
static void
next_free_fds(int *nums, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		nums[i] = open("/dev/null", O_RDONLY | O_CLOEXEC);
		assert_true(nums[i] >= 0);
	}
	for (i = 0; i < n; i++)
		close(nums[i]);
}

static void
assert_closed(int fd)
{
	errno = 0;
	assert_int_equal(fcntl(fd, F_GETFD), -1);
	assert_int_equal(errno, EBADF);
}

/* Send the descriptors fds[0..n) with one data byte in one message. */
static void
send_raw(int sock, const int *fds, size_t n)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int) * 16)];
	} control;
	struct msghdr msg;
	struct iovec iov;
	struct cmsghdr *cmsg;
	char byte = 'r';

	assert_true(n >= 1 && n <= 16);
	memset(&control, 0, sizeof(control));
	memset(&msg, 0, sizeof(msg));
	iov.iov_base = &byte;
	iov.iov_len = 1;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = control.buf;
	msg.msg_controllen = CMSG_SPACE(sizeof(int) * n);
	cmsg = CMSG_FIRSTHDR(&msg);
	cmsg->cmsg_level = SOL_SOCKET;
	cmsg->cmsg_type = SCM_RIGHTS;
	cmsg->cmsg_len = CMSG_LEN(sizeof(int) * n);
	memcpy(CMSG_DATA(cmsg), fds, sizeof(int) * n);
	assert_int_equal(sendmsg(sock, &msg, 0), 1);
}

static void
make_pair(int type, int sv[2])
{
	assert_return_code(
	    socketpair(AF_UNIX, type | SOCK_CLOEXEC, 0, sv), errno);
}

static void
test_pass_pipe_read_end(void **state)
{
	int sv[2], p[2];
	int fd = -1;
	char buf[16];

	make_pair(SOCK_STREAM, sv);
	assert_return_code(pipe2(p, O_CLOEXEC), errno);
	assert_int_equal(fdpass_send(sv[0], p[0], "x", 1), 0);
	close(p[0]); /* the receiver's copy keeps the pipe open */
	assert_int_equal(fdpass_recv(sv[1], &fd, buf, sizeof(buf)), 1);
	assert_int_equal(buf[0], 'x');
	assert_true(fd >= 0);
	assert_int_equal(fcntl(fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	assert_int_equal(write(p[1], "hello", 5), 5);
	assert_int_equal(read(fd, buf, sizeof(buf)), 5);
	assert_memory_equal(buf, "hello", 5);
	close(fd);
	close(p[1]);
	close(sv[0]);
	close(sv[1]);
}

static void
test_pass_with_several_data_bytes_and_from_child(void **state)
{
	int sv[2], p[2];
	int fd = -1, status;
	char buf[16];
	pid_t pid;

	make_pair(SOCK_STREAM, sv);
	assert_return_code(pipe2(p, O_CLOEXEC), errno);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		/* The child hands over its write end and writes nothing. */
		_exit(fdpass_send(sv[0], p[1], "abc", 3) == 0 ? 0 : 1);
	}
	close(p[1]);
	close(sv[0]);
	assert_int_equal(fdpass_recv(sv[1], &fd, buf, sizeof(buf)), 3);
	assert_memory_equal(buf, "abc", 3);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_int_equal(write(fd, "via", 3), 3);
	close(fd);
	assert_int_equal(read(p[0], buf, sizeof(buf)), 3);
	assert_memory_equal(buf, "via", 3);
	/* Our copy was the last writer: end of file now. */
	assert_int_equal(read(p[0], buf, sizeof(buf)), 0);
	close(p[0]);
	close(sv[1]);
}

static void
test_recv_without_descriptor(void **state)
{
	int sv[2];
	int fd = 12345;
	char buf[4];

	make_pair(SOCK_STREAM, sv);
	assert_int_equal(write(sv[0], "y", 1), 1);
	errno = 0;
	assert_int_equal(fdpass_recv(sv[1], &fd, buf, sizeof(buf)), -1);
	assert_int_equal(errno, ENOMSG);
	assert_int_equal(fd, -1);
	close(sv[0]);
	close(sv[1]);
}

static void
test_recv_end_of_stream(void **state)
{
	int sv[2];
	int fd = 12345;
	char buf[4];

	make_pair(SOCK_STREAM, sv);
	close(sv[0]);
	assert_int_equal(fdpass_recv(sv[1], &fd, buf, sizeof(buf)), 0);
	assert_int_equal(fd, -1);
	close(sv[1]);
}

static void
test_two_descriptors_refused_and_closed(void **state)
{
	int sv[2], p[2], next[2];
	int fd = 12345, before;
	char buf[4];

	make_pair(SOCK_STREAM, sv);
	assert_return_code(pipe2(p, O_CLOEXEC), errno);
	send_raw(sv[0], p, 2);
	close(p[0]);
	close(p[1]);
	before = fd_count();
	next_free_fds(next, 2);
	errno = 0;
	assert_int_equal(fdpass_recv(sv[1], &fd, buf, sizeof(buf)), -1);
	assert_int_equal(errno, EPROTO);
	assert_int_equal(fd, -1);
	assert_int_equal(fd_count(), before);
	assert_closed(next[0]);
	assert_closed(next[1]);
	close(sv[0]);
	close(sv[1]);
}

static void
test_many_descriptors_truncated_and_closed(void **state)
{
	int sv[2], fds[16];
	int fd = 12345, before;
	char buf[4];
	size_t i;

	make_pair(SOCK_STREAM, sv);
	for (i = 0; i < 16; i++) {
		fds[i] = open("/dev/null", O_RDONLY | O_CLOEXEC);
		assert_true(fds[i] >= 0);
	}
	send_raw(sv[0], fds, 16); /* more than fdpass_recv has room for */
	for (i = 0; i < 16; i++)
		close(fds[i]);
	before = fd_count();
	errno = 0;
	assert_int_equal(fdpass_recv(sv[1], &fd, buf, sizeof(buf)), -1);
	assert_int_equal(errno, EPROTO);
	assert_int_equal(fd, -1);
	assert_int_equal(fd_count(), before);
	close(sv[0]);
	close(sv[1]);
}

static void
test_credentials_refused_and_descriptor_closed(void **state)
{
	int sv[2], p[2], next;
	int fd = 12345, before, on = 1;
	char buf[4];

	make_pair(SOCK_STREAM, sv);
	/* Every message now also carries SCM_CREDENTIALS: a foreign type. */
	assert_return_code(
	    setsockopt(sv[1], SOL_SOCKET, SO_PASSCRED, &on, sizeof(on)), errno);
	assert_return_code(pipe2(p, O_CLOEXEC), errno);
	assert_int_equal(fdpass_send(sv[0], p[0], "c", 1), 0);
	close(p[0]);
	close(p[1]);
	before = fd_count();
	next_free_fds(&next, 1);
	errno = 0;
	assert_int_equal(fdpass_recv(sv[1], &fd, buf, sizeof(buf)), -1);
	assert_int_equal(errno, EPROTO);
	assert_int_equal(fd, -1);
	assert_int_equal(fd_count(), before);
	assert_closed(next);
	close(sv[0]);
	close(sv[1]);
}

static void
test_datagram_too_long_refused_and_closed(void **state)
{
	int sv[2], p[2];
	int fd = 12345, before;
	char buf[4];

	make_pair(SOCK_DGRAM, sv);
	assert_return_code(pipe2(p, O_CLOEXEC), errno);
	assert_int_equal(fdpass_send(sv[0], p[0], "0123456789", 10), 0);
	close(p[0]);
	close(p[1]);
	before = fd_count();
	errno = 0;
	assert_int_equal(fdpass_recv(sv[1], &fd, buf, sizeof(buf)), -1);
	assert_int_equal(errno, EMSGSIZE);
	assert_int_equal(fd, -1);
	assert_int_equal(fd_count(), before);
	close(sv[0]);
	close(sv[1]);
}

static void
test_seqpacket_pass(void **state)
{
	int sv[2], p[2];
	int fd = -1;
	char buf[8];

	make_pair(SOCK_SEQPACKET, sv);
	assert_return_code(pipe2(p, O_CLOEXEC), errno);
	assert_int_equal(fdpass_send(sv[0], p[1], "w", 1), 0);
	close(p[1]);
	assert_int_equal(fdpass_recv(sv[1], &fd, buf, sizeof(buf)), 1);
	assert_int_equal(write(fd, "z", 1), 1);
	assert_int_equal(read(p[0], buf, 1), 1);
	assert_int_equal(buf[0], 'z');
	close(fd);
	close(p[0]);
	close(sv[0]);
	close(sv[1]);
}

static void
test_send_errors(void **state)
{
	struct sigaction sa, old;
	int sv[2], p[2];
	int unused;

	make_pair(SOCK_STREAM, sv);
	assert_return_code(pipe2(p, O_CLOEXEC), errno);
	errno = 0;
	assert_int_equal(fdpass_send(sv[0], p[0], "", 0), -1);
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_int_equal(fdpass_send(sv[0], -1, "x", 1), -1);
	assert_int_equal(errno, EINVAL);
	unused = open("/dev/null", O_RDONLY | O_CLOEXEC);
	assert_true(unused >= 0);
	close(unused);
	errno = 0;
	assert_int_equal(fdpass_send(sv[0], unused, "x", 1), -1);
	assert_int_equal(errno, EBADF);

	/* A vanished peer is EPIPE, not a SIGPIPE that kills us. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigemptyset(&sa.sa_mask);
	assert_return_code(sigaction(SIGPIPE, &sa, &old), errno);
	close(sv[1]);
	errno = 0;
	assert_int_equal(fdpass_send(sv[0], p[0], "x", 1), -1);
	assert_int_equal(errno, EPIPE);
	assert_return_code(sigaction(SIGPIPE, &old, NULL), errno);
	close(sv[0]);
	close(p[0]);
	close(p[1]);
}

static void
test_recv_errors(void **state)
{
	int sv[2];
	int fd = 12345;
	char buf[1];

	make_pair(SOCK_STREAM, sv);
	errno = 0;
	assert_int_equal(fdpass_recv(sv[1], &fd, buf, 0), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(fd, -1);
	fd = 12345;
	assert_int_equal(fcntl(sv[1], F_SETFL, O_NONBLOCK), 0);
	errno = 0;
	assert_int_equal(fdpass_recv(sv[1], &fd, buf, sizeof(buf)), -1);
	assert_int_equal(errno, EAGAIN);
	assert_int_equal(fd, -1);
	close(sv[0]);
	close(sv[1]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_pass_pipe_read_end),
	    cmocka_unit_test(test_pass_with_several_data_bytes_and_from_child),
	    cmocka_unit_test(test_recv_without_descriptor),
	    cmocka_unit_test(test_recv_end_of_stream),
	    cmocka_unit_test(test_two_descriptors_refused_and_closed),
	    cmocka_unit_test(test_many_descriptors_truncated_and_closed),
	    cmocka_unit_test(test_credentials_refused_and_descriptor_closed),
	    cmocka_unit_test(test_datagram_too_long_refused_and_closed),
	    cmocka_unit_test(test_seqpacket_pass),
	    cmocka_unit_test(test_send_errors),
	    cmocka_unit_test(test_recv_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
