/*
 * tlsrelay.c - the TLS plumbing of qmail-tlsc and qmail-tlsd, see
 * tlsrelay.h.
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "deadline.h"
#include "tlsrelay.h"

const char *
tlsrelay_reason(int sslerr, const char *closed)
{
	unsigned long e = ERR_peek_last_error();
	const char *r;

	if (e != 0) {
		r = ERR_reason_error_string(e);
		return r != NULL ? r : "unknown TLS error";
	}
	if (sslerr == SSL_ERROR_SYSCALL && errno != 0)
		return strerror(errno);
	return closed;
}

SSL_CTX *
tlsrelay_context_new(const SSL_METHOD *method)
{
	SSL_CTX *ctx;

	ctx = SSL_CTX_new(method);
	if (ctx == NULL)
		return NULL;
	if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1) {
		SSL_CTX_free(ctx);
		return NULL;
	}
	/* no renegotiation (a CPU sink), no session resumption: each
	 * connection is its own process, so there is nothing to resume */
	SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION |
	    SSL_OP_NO_COMPRESSION | SSL_OP_NO_TICKET |
	    SSL_OP_IGNORE_UNEXPECTED_EOF);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
	    SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	return ctx;
}

int
tlsrelay_handshake(SSL *ssl, int net_in, int net_out, unsigned long seconds,
    int *sslerr)
{
	struct timespec deadline;
	struct pollfd p;
	int r, e, ms;

	*sslerr = 0;
	deadline_set(&deadline, seconds);
	for (;;) {
		ERR_clear_error();
		errno = 0;
		r = SSL_is_server(ssl) ? SSL_accept(ssl) : SSL_connect(ssl);
		if (r == 1)
			return 0;
		e = SSL_get_error(ssl, r);
		if (e == SSL_ERROR_WANT_READ) {
			p.fd = net_in;
			p.events = POLLIN;
		} else if (e == SSL_ERROR_WANT_WRITE) {
			p.fd = net_out;
			p.events = POLLOUT;
		} else {
			*sslerr = e;
			return -1;
		}
		ms = deadline_ms_left(&deadline);
		if (ms == 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		r = poll(&p, 1, ms);
		if (r == -1 && errno != EINTR)
			return -1;
	}
}

/* want - note that the TLS connection waits for read or write */
static void
want(int sslerr, short *net)
{
	if (sslerr == SSL_ERROR_WANT_READ)
		*net |= POLLIN;
	else if (sslerr == SSL_ERROR_WANT_WRITE)
		*net |= POLLOUT;
}

/* net_read - one SSL_read into to_plain; 1 if the state changed */
static int
net_read(struct tlsrelay *r, short *net)
{
	int n, e;

	if (r->net_eof || r->to_plain_len >= sizeof(r->to_plain))
		return 0;
	ERR_clear_error();
	n = SSL_read(r->ssl, r->to_plain + r->to_plain_len,
	    (int)(sizeof(r->to_plain) - r->to_plain_len));
	if (n > 0) {
		r->to_plain_len += (size_t)n;
		return 1;
	}
	e = SSL_get_error(r->ssl, n);
	if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
		want(e, net);
		return 0;
	}
	r->net_eof = 1;
	if (e != SSL_ERROR_ZERO_RETURN)
		r->net_dead = 1;
	return 1;
}

/* plain_write - one write from to_plain to plain_out; 1 if it changed */
static int
plain_write(struct tlsrelay *r, short *out)
{
	int moved = 0;
	ssize_t w;

	if (r->to_plain_len > 0 && !r->plain_dead) {
		w = write(r->plain_out, r->to_plain, r->to_plain_len);
		if (w > 0) {
			memmove(r->to_plain, r->to_plain + w,
			    r->to_plain_len - (size_t)w);
			r->to_plain_len -= (size_t)w;
			moved = 1;
		} else if (w == -1 && (errno == EAGAIN || errno == EINTR)) {
			*out |= POLLOUT;
		} else {
			/* drop what it won't take; a program (half close)
			 * gets nothing more from the peer, a client side
			 * ends the relay */
			r->to_plain_len = 0;
			if (r->flags & TLSRELAY_HALF_CLOSE)
				r->net_eof = 1;
			else
				r->plain_dead = 1;
			moved = 1;
		}
	}
	if ((r->flags & TLSRELAY_HALF_CLOSE) && r->net_eof &&
	    r->to_plain_len == 0 && !r->plain_closed) {
		(void)shutdown(r->plain_out, SHUT_WR);
		r->plain_closed = 1;
	}
	return moved;
}

/* plain_read - one read from plain_in into to_net; 1 if it changed */
static int
plain_read(struct tlsrelay *r, short *in)
{
	ssize_t got;

	if (r->plain_eof || r->to_net_len >= sizeof(r->to_net))
		return 0;
	got = read(r->plain_in, r->to_net + r->to_net_len,
	    sizeof(r->to_net) - r->to_net_len);
	if (got > 0) {
		r->to_net_len += (size_t)got;
		return 1;
	}
	if (got == -1 && (errno == EAGAIN || errno == EINTR)) {
		*in |= POLLIN;
		return 0;
	}
	r->plain_eof = 1;
	return 1;
}

/* net_write - one SSL_write from to_net; 1 if the state changed */
static int
net_write(struct tlsrelay *r, short *net)
{
	int n, e;

	if (r->to_net_len == 0 || r->net_dead)
		return 0;
	ERR_clear_error();
	n = SSL_write(r->ssl, r->to_net, (int)r->to_net_len);
	if (n > 0) {
		memmove(r->to_net, r->to_net + n, r->to_net_len - (size_t)n);
		r->to_net_len -= (size_t)n;
		return 1;
	}
	e = SSL_get_error(r->ssl, n);
	if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
		want(e, net);
		return 0;
	}
	r->net_dead = r->net_eof = 1;
	r->to_net_len = 0;
	return 1;
}

/* relay_done - 1 when r has ended by the rules of its flags */
static int
relay_done(const struct tlsrelay *r)
{
	int sent = r->plain_eof && r->to_net_len == 0;

	if (r->flags & TLSRELAY_HALF_CLOSE)
		return r->net_dead || sent;
	return sent || (r->net_eof && r->to_plain_len == 0) || r->plain_dead;
}

int
tlsrelay_run(struct tlsrelay *r, int idle_ms)
{
	struct pollfd p[4];
	short net, in, out;
	int moved, n;

	for (;;) {
		net = in = out = 0;
		moved = net_read(r, &net);
		/* half close: what came before a break is not passed on */
		if ((r->flags & TLSRELAY_HALF_CLOSE) && r->net_dead)
			return 0;
		moved |= plain_write(r, &out);
		moved |= plain_read(r, &in);
		moved |= net_write(r, &net);
		if (relay_done(r))
			return 0;
		if (moved)
			continue;
		p[0].fd = (net & POLLIN) ? r->net_in : -1;
		p[0].events = POLLIN;
		p[1].fd = (net & POLLOUT) ? r->net_out : -1;
		p[1].events = POLLOUT;
		p[2].fd = in ? r->plain_in : -1;
		p[2].events = POLLIN;
		p[3].fd = out ? r->plain_out : -1;
		p[3].events = POLLOUT;
		n = poll(p, 4, idle_ms);
		if (n == -1 && errno != EINTR)
			return -1;
		if (n == 0) {
			errno = ETIMEDOUT;
			return -1;
		}
	}
}
