/*
 * addr822.c - RFC 822 address lists, see addr822.h.
 *
 * The field is cut into tokens (words, quoted strings, domain literals,
 * comments and the specials < > @ , ; : .).  Tokens are gathered up to a
 * separator at the top level (a comma, a group's colon or semicolon, none
 * of them inside angle brackets); such a segment holds one address, or
 * several when words follow each other with nothing between them.  Each
 * segment is then turned into mailboxes, each mailbox's address given to
 * the callback, and the result re-emitted.
 *
 * The output is written so that it parses back to the same addresses:
 * an address is written as its local part quoted when needed, '@', and
 * its domain bare only when the domain, read again, gives exactly the
 * same bytes as one address (atoms, dots and closed domain literals);
 * any other domain is written as a quoted string.  An empty address is
 * written <>; quoted strings, comments and literals that the input left
 * open are closed without changing what they mean.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "addr822.h"
#include "bytes.h"
#include "quote.h"

enum tok_type {
	TOK_ATOM,
	TOK_QUOTED,  /* s points at the opening '"' */
	TOK_LITERAL, /* s points at the '[' */
	TOK_COMMENT, /* s points at the '(' */
	TOK_SPECIAL  /* one byte of <>@,;:. */
};

struct tok {
	enum tok_type type;
	const char *s;
	size_t len;
	int space_before; /* white space preceded it in the field */
	int open;	  /* quoted string, literal or comment not closed */
	int dangling;	  /* open, and its last byte is a backslash that
			     escapes nothing */
	size_t depth;	  /* an open comment: the ')' it lacks */
};

/* The tokens of one segment; at most ADDR822_ADDRESS_MAX bytes of text. */
struct seg {
	struct tok *t;
	size_t n;
	size_t cap;
	size_t bytes;
};

/* The state of one addr822_list call. */
struct lister {
	addr822_visit_fn visit;
	void *ctx;
	struct bytes *out;
	size_t column;
	int need_sep; /* 0: nothing before; 1: after "group:"; 2: after item */
	long count;
	struct bytes addr; /* the current address, envelope form */
	struct bytes item; /* the current output item */
};

/* is_space - bytes treated as white space (controls, NUL, space, DEL) */
static int
is_space(unsigned char c)
{
	return c <= ' ' || c == 127;
}

/* is_special - bytes that end an atom */
static int
is_special(unsigned char c)
{
	return c != '\0' && strchr("()<>@,;:\\\".[", c) != NULL;
}

/*
 * token_next - the next token of f[*pos..len) into *t; 1, or 0 at the
 * end.  Quoted strings, literals and comments without their end run to
 * the end of the field.
 */
static int
token_next(const char *f, size_t len, size_t *pos, struct tok *t)
{
	size_t i = *pos;
	size_t start;
	size_t depth;
	char close;

	t->space_before = 0;
	t->open = 0;
	t->dangling = 0;
	t->depth = 0;
	while (i < len && is_space((unsigned char)f[i])) {
		t->space_before = 1;
		i++;
	}
	if (i >= len) {
		*pos = i;
		return 0;
	}
	start = i;
	switch (f[i]) {
	case '"':
	case '[':
		t->type = f[i] == '"' ? TOK_QUOTED : TOK_LITERAL;
		close = f[i] == '"' ? '"' : ']';
		for (i++; i < len && f[i] != close; i++)
			if (f[i] == '\\') {
				if (i + 1 < len)
					i++;
				else
					t->dangling = 1;
			}
		if (i < len)
			i++;
		else
			t->open = 1;
		break;
	case '(':
		t->type = TOK_COMMENT;
		depth = 0;
		for (; i < len; i++) {
			if (f[i] == '\\') {
				if (i + 1 < len)
					i++;
				else
					t->dangling = 1;
			} else if (f[i] == '(') {
				depth++;
			} else if (f[i] == ')') {
				if (--depth == 0) {
					i++;
					break;
				}
			}
		}
		if (depth > 0) {
			t->open = 1;
			t->depth = depth;
		}
		break;
	case '<': case '>': case '@': case ',': case ';': case ':': case '.':
		t->type = TOK_SPECIAL;
		i++;
		break;
	default:
		/* an atom; a lone backslash is an ordinary byte here */
		t->type = TOK_ATOM;
		i++;
		while (i < len && !is_space((unsigned char)f[i]) &&
		    (f[i] == '\\' || !is_special((unsigned char)f[i])))
			i++;
		break;
	}
	t->s = f + start;
	t->len = i - start;
	*pos = i;
	return 1;
}

static int
tok_is(const struct tok *t, char c)
{
	return t->type == TOK_SPECIAL && t->s[0] == c;
}

static int
tok_is_word(const struct tok *t)
{
	return t->type == TOK_ATOM || t->type == TOK_QUOTED ||
	    t->type == TOK_LITERAL;
}

/* seg_push - add t to the segment; -1 with E2BIG past the limit */
static int
seg_push(struct seg *g, const struct tok *t)
{
	struct tok *nt;
	size_t ncap;

	if (t->len > ADDR822_ADDRESS_MAX - g->bytes) {
		errno = E2BIG;
		return -1;
	}
	if (g->n == g->cap) {
		ncap = g->cap ? g->cap * 2 : 16;
		nt = realloc(g->t, ncap * sizeof(*nt));
		if (nt == NULL)
			return -1;
		g->t = nt;
		g->cap = ncap;
	}
	g->t[g->n++] = *t;
	g->bytes += t->len;
	return 0;
}

/*
 * append_clean - append s[0..n) with every control byte (NUL, CR, LF,
 * tab...) turned into a space, so no output line can be broken.
 */
static int
append_clean(struct bytes *b, const char *s, size_t n)
{
	size_t i;
	size_t run = 0;

	for (i = 0; i < n; i++) {
		if (is_space((unsigned char)s[i]) && s[i] != ' ') {
			if (bytes_append(b, s + run, i - run) == -1 ||
			    bytes_append_char(b, ' ') == -1)
				return -1;
			run = i + 1;
		}
	}
	return bytes_append(b, s + run, n - run);
}

/*
 * append_token_text - a phrase or comment token as it will be printed;
 * an unterminated quoted string, literal or comment is closed (after a
 * dangling backslash, a second one makes the pair an escaped backslash,
 * so the closing byte really closes).
 */
static int
append_token_text(struct bytes *b, const struct tok *t)
{
	size_t depth;

	if (append_clean(b, t->s, t->len) == -1)
		return -1;
	if (!t->open)
		return 0;
	if (t->dangling && bytes_append_char(b, '\\') == -1)
		return -1;
	switch (t->type) {
	case TOK_QUOTED:
		return bytes_append_char(b, '"');
	case TOK_LITERAL:
		return bytes_append_char(b, ']');
	case TOK_COMMENT:
		for (depth = t->depth; depth > 0; depth--)
			if (bytes_append_char(b, ')') == -1)
				return -1;
		return 0;
	default:
		return 0;
	}
}

/*
 * append_word_value - the value of an address word: an atom or literal
 * as it is, a quoted string without its quotes and backslashes.  Control
 * bytes are dropped (they can only come from folding or from hostile
 * input).
 */
static int
append_word_value(struct bytes *b, const struct tok *t)
{
	size_t i;
	size_t end;

	i = 0;
	end = t->len;
	if (t->type == TOK_QUOTED) {
		i = 1;
		if (!t->open)
			end--;
	}
	for (; i < end; i++) {
		unsigned char c = (unsigned char)t->s[i];

		if (t->type == TOK_QUOTED && c == '\\' && i + 1 < end)
			c = (unsigned char)t->s[++i];
		if (is_space(c) && c != ' ')
			continue;
		if (t->type != TOK_QUOTED && c == ' ')
			continue;
		if (bytes_append_char(b, (char)c) == -1)
			return -1;
	}
	if (t->type == TOK_LITERAL && t->open)
		return bytes_append_char(b, ']');
	return 0;
}

/* emit_raw - append text to the output, keeping the column count */
static int
emit_raw(struct lister *l, const char *s, size_t n)
{
	if (l->out == NULL)
		return 0;
	if (bytes_append(l->out, s, n) == -1)
		return -1;
	l->column += n;
	return 0;
}

/*
 * emit_item - the current item, after the separator its place needs;
 * folds before it when it would run past ADDR822_FOLD_COLUMN.
 */
static int
emit_item(struct lister *l)
{
	const char *sep = "";
	size_t seplen;

	if (l->out == NULL)
		return 0;
	if (l->need_sep == 2)
		sep = ",";
	seplen = strlen(sep);
	if (l->need_sep != 0 &&
	    l->column + seplen + 1 + l->item.len > ADDR822_FOLD_COLUMN &&
	    l->column > 2) {
		if (emit_raw(l, sep, seplen) == -1 ||
		    bytes_append_str(l->out, "\n  ") == -1)
			return -1;
		l->column = 2;
	} else if (l->need_sep != 0) {
		if (emit_raw(l, sep, seplen) == -1 || emit_raw(l, " ", 1) == -1)
			return -1;
	}
	if (emit_raw(l, l->item.s, l->item.len) == -1)
		return -1;
	l->need_sep = 2;
	return 0;
}

/*
 * item_add_tokens - tokens t[from..to) as display text into the item,
 * one space wherever the field had white space (or between two words).
 */
static int
item_add_tokens(struct lister *l, const struct tok *t, size_t from, size_t to)
{
	size_t i;

	for (i = from; i < to; i++) {
		if (l->item.len > 0 &&
		    (t[i].space_before || t[i].type == TOK_COMMENT ||
			(i > from && tok_is_word(&t[i]) &&
			    tok_is_word(&t[i - 1]))) &&
		    bytes_append_char(&l->item, ' ') == -1)
			return -1;
		if (append_token_text(&l->item, &t[i]) == -1)
			return -1;
	}
	return 0;
}

/* visit_addr - hand l->addr to the callback and count it */
static int
visit_addr(struct lister *l)
{
	if (l->visit != NULL && l->visit(l->ctx, &l->addr) == -1)
		return -1;
	l->count++;
	return 0;
}

/*
 * domain_is_bare - d[0..n), written right after an '@', parses back as
 * exactly these bytes and as part of one address: only atoms, dots and
 * closed domain literals with no white space in them, no white space
 * between them, and never two words in a row (that would be two
 * addresses).  The empty domain is bare.
 */
static int
domain_is_bare(const char *d, size_t n)
{
	struct tok t;
	size_t pos = 0;
	size_t i;
	int last_word = 0;

	if (n > 0 && is_space((unsigned char)d[n - 1]))
		return 0;
	while (token_next(d, n, &pos, &t)) {
		if (t.space_before || t.open)
			return 0;
		if (tok_is(&t, '.')) {
			last_word = 0;
			continue;
		}
		if (t.type != TOK_ATOM && t.type != TOK_LITERAL)
			return 0;
		if (last_word)
			return 0;
		for (i = 0; i < t.len; i++)
			if (is_space((unsigned char)t.s[i]))
				return 0;
		last_word = 1;
	}
	return 1;
}

/*
 * append_address - addr[0..n) in a form that parses back to exactly
 * addr: the local part (all before the last '@') as quote_local writes
 * it, then '@' and the domain, bare if domain_is_bare, else as a quoted
 * string.  The empty address is <>.  On failure b may be partly
 * appended to (the item is thrown away then).
 */
static int
append_address(struct bytes *b, const char *addr, size_t n)
{
	const char *at;
	size_t local;

	if (n == 0)
		return bytes_append_str(b, "<>");
	at = memrchr(addr, '@', n);
	if (at == NULL)
		return quote_local(b, addr, n);
	local = (size_t)(at - addr);
	if (quote_local(b, addr, local) == -1 ||
	    bytes_append_char(b, '@') == -1)
		return -1;
	if (domain_is_bare(at + 1, n - local - 1))
		return bytes_append(b, at + 1, n - local - 1);
	/* quote_local quotes anything that is not a dot-atom, and a
	 * dot-atom is bare; it also refuses CR, LF and NUL */
	return quote_local(b, at + 1, n - local - 1);
}

/* item_add_addr - the (visited) address, quoted, into the item */
static int
item_add_addr(struct lister *l)
{
	return append_address(&l->item, l->addr.s, l->addr.len);
}

/*
 * mailbox_angle - a mailbox "phrase <route-addr> comments" whose '<' is
 * t[lt]; the phrase starts at t[from].  Returns the index after it.
 */
static int
mailbox_angle(struct lister *l, const struct tok *t, size_t n, size_t from,
    size_t lt, size_t *next)
{
	size_t i = lt + 1;
	size_t j;

	bytes_truncate(&l->addr, 0);
	bytes_truncate(&l->item, 0);
	if (item_add_tokens(l, t, from, lt) == -1)
		return -1;
	/* a source route: @a,@b: before the address */
	if (i < n && tok_is(&t[i], '@')) {
		for (j = i; j < n && !tok_is(&t[j], '>'); j++)
			if (tok_is(&t[j], ':'))
				break;
		if (j < n && tok_is(&t[j], ':'))
			i = j + 1;
	}
	for (; i < n && !tok_is(&t[i], '>'); i++) {
		if (t[i].type == TOK_COMMENT)
			continue;
		if (tok_is_word(&t[i])) {
			if (append_word_value(&l->addr, &t[i]) == -1)
				return -1;
		} else if (tok_is(&t[i], '@') || tok_is(&t[i], '.')) {
			if (bytes_append_char(&l->addr, t[i].s[0]) == -1)
				return -1;
		}
		/* other specials inside <> are dropped */
	}
	if (i < n)
		i++; /* the '>' */
	if (visit_addr(l) == -1)
		return -1;
	if (l->item.len > 0 && bytes_append_char(&l->item, ' ') == -1)
		return -1;
	if (l->addr.len == 0) {
		if (bytes_append_str(&l->item, "<>") == -1)
			return -1;
	} else if (bytes_append_char(&l->item, '<') == -1 ||
	    item_add_addr(l) == -1 || bytes_append_char(&l->item, '>') == -1) {
		return -1;
	}
	while (i < n && (t[i].type == TOK_COMMENT || tok_is(&t[i], '>'))) {
		if (t[i].type == TOK_COMMENT &&
		    item_add_tokens(l, t, i, i + 1) == -1)
			return -1;
		i++;
	}
	*next = i;
	return emit_item(l);
}

/*
 * mailbox_plain - an addr-spec "word.word@word.word (comment)" starting
 * at t[from]; it ends where a word follows a word.  Comments inside are
 * moved after the address.
 */
static int
mailbox_plain(struct lister *l, const struct tok *t, size_t n, size_t from,
    size_t *next)
{
	size_t i;
	int words = 0;
	int last_word = 0;
	struct bytes comments = BYTES_INIT(ADDR822_ADDRESS_MAX * 2);
	int rc = -1;

	bytes_truncate(&l->addr, 0);
	bytes_truncate(&l->item, 0);
	for (i = from; i < n; i++) {
		if (t[i].type == TOK_COMMENT) {
			if (bytes_append_char(&comments, ' ') == -1 ||
			    append_token_text(&comments, &t[i]) == -1)
				goto out;
			continue;
		}
		if (tok_is_word(&t[i])) {
			if (last_word)
				break; /* "djb fred": a second address */
			if (append_word_value(&l->addr, &t[i]) == -1)
				goto out;
			words++;
			last_word = 1;
		} else if (tok_is(&t[i], '@') || tok_is(&t[i], '.')) {
			if (bytes_append_char(&l->addr, t[i].s[0]) == -1)
				goto out;
			last_word = 0;
		} else {
			/* a stray '>' or ':' outside any structure */
			last_word = 0;
		}
	}
	*next = i;
	if (words > 0 || l->addr.len > 0) {
		if (visit_addr(l) == -1 || item_add_addr(l) == -1)
			goto out;
		if (bytes_append(&l->item, comments.s, comments.len) == -1)
			goto out;
	} else if (comments.len > 0) {
		/* nothing but comments: keep them */
		if (bytes_append(&l->item, comments.s + 1,
			comments.len - 1) == -1)
			goto out;
	}
	if (l->item.len > 0 && emit_item(l) == -1)
		goto out;
	rc = 0;
out:
	bytes_free(&comments);
	return rc;
}

/* segment_flush - the mailboxes of one segment */
static int
segment_flush(struct lister *l, struct seg *g)
{
	size_t i = 0;
	size_t j;
	size_t next;

	while (i < g->n) {
		/* is there an angle bracket before a word-word break? */
		for (j = i; j < g->n; j++)
			if (tok_is(&g->t[j], '<'))
				break;
		if (j < g->n) {
			if (mailbox_angle(l, g->t, g->n, i, j, &next) == -1)
				return -1;
		} else {
			if (mailbox_plain(l, g->t, g->n, i, &next) == -1)
				return -1;
		}
		if (next <= i)
			next = i + 1;
		i = next;
	}
	g->n = 0;
	g->bytes = 0;
	return 0;
}

/* group_open - "phrase:" starts a group */
static int
group_open(struct lister *l, struct seg *g)
{
	bytes_truncate(&l->item, 0);
	if (item_add_tokens(l, g->t, 0, g->n) == -1 ||
	    bytes_append_char(&l->item, ':') == -1)
		return -1;
	if (emit_item(l) == -1)
		return -1;
	l->need_sep = 1;
	g->n = 0;
	g->bytes = 0;
	return 0;
}

static int
group_close(struct lister *l)
{
	if (emit_raw(l, ";", 1) == -1)
		return -1;
	l->need_sep = 2;
	return 0;
}

long
addr822_list(const char *field, size_t len, addr822_visit_fn visit,
    void *ctx, struct bytes *out, size_t column)
{
	struct lister l;
	struct seg g = { NULL, 0, 0, 0 };
	struct tok t;
	size_t pos = 0;
	int angle = 0;
	int group = 0;
	long rc = -1;
	int saved;

	l.visit = visit;
	l.ctx = ctx;
	l.out = out;
	l.column = column;
	l.need_sep = 0;
	l.count = 0;
	bytes_init(&l.addr, ADDR822_ADDRESS_MAX);
	bytes_init(&l.item, ADDR822_ADDRESS_MAX * 3);

	while (token_next(field, len, &pos, &t)) {
		if (tok_is(&t, '<')) {
			angle = 1;
		} else if (tok_is(&t, '>')) {
			angle = 0;
		} else if (!angle && tok_is(&t, ',')) {
			if (segment_flush(&l, &g) == -1)
				goto out;
			continue;
		} else if (!angle && tok_is(&t, ':') && !group) {
			if (group_open(&l, &g) == -1)
				goto out;
			group = 1;
			continue;
		} else if (!angle && tok_is(&t, ';')) {
			if (segment_flush(&l, &g) == -1)
				goto out;
			if (group) {
				if (group_close(&l) == -1)
					goto out;
				group = 0;
			}
			continue;
		}
		if (seg_push(&g, &t) == -1)
			goto out;
	}
	if (segment_flush(&l, &g) == -1)
		goto out;
	if (group && group_close(&l) == -1)
		goto out;
	rc = l.count;
out:
	saved = errno;
	free(g.t);
	bytes_free(&l.addr);
	bytes_free(&l.item);
	errno = saved;
	return rc;
}

/* append_dotted - ".name" */
static int
append_dotted(struct bytes *b, const char *name)
{
	if (bytes_append_char(b, '.') == -1)
		return -1;
	return bytes_append_str(b, name);
}

/* fix_host_append - host[0..n) with the host rules applied, onto b */
static int
fix_host_append(struct bytes *b, const char *host, size_t n,
    const struct addr822_hosts *h)
{
	if (n > 0 && host[0] == '[')
		return bytes_append(b, host, n);
	if (n > 0 && host[n - 1] == '+')
		return bytes_append(b, host, n - 1) == -1 ||
			append_dotted(b, h->plusdomain) == -1 ? -1 : 0;
	if (bytes_append(b, host, n) == -1)
		return -1;
	if (memchr(host, '.', n) == NULL)
		return append_dotted(b, h->defaultdomain);
	return 0;
}

/* replace - dst gets the contents of src (dst unchanged on failure) */
static int
replace(struct bytes *dst, struct bytes *src)
{
	int rc = bytes_copy(dst, src->s, src->len);
	int saved = errno;

	bytes_free(src);
	errno = saved;
	return rc;
}

int
addr822_fix_host(struct bytes *host, const struct addr822_hosts *h)
{
	struct bytes t = BYTES_INIT(host->limit);

	if (fix_host_append(&t, host->s, host->len, h) == -1) {
		int saved = errno;

		bytes_free(&t);
		errno = saved;
		return -1;
	}
	return replace(host, &t);
}

int
addr822_rewrite_host(struct bytes *addr, const struct addr822_hosts *h)
{
	struct bytes t = BYTES_INIT(addr->limit);
	size_t i;
	int saved;

	if (addr->len == 0)
		return 0;
	for (i = addr->len; i > 0; i--)
		if (addr->s[i - 1] == '@')
			break;
	if (i == 0) {
		if (bytes_append(&t, addr->s, addr->len) == -1 ||
		    bytes_append_char(&t, '@') == -1 ||
		    fix_host_append(&t, h->defaulthost,
			strlen(h->defaulthost), h) == -1)
			goto fail;
	} else {
		if (bytes_append(&t, addr->s, i) == -1 ||
		    fix_host_append(&t, addr->s + i, addr->len - i, h) == -1)
			goto fail;
	}
	return replace(addr, &t);
fail:
	saved = errno;
	bytes_free(&t);
	errno = saved;
	return -1;
}
