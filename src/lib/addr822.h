/*
 * addr822.h - RFC 822 address lists: tokenize, parse, rewrite, re-emit.
 *
 * Header fields such as To, Cc, From or Notice-Requested-Upon-Delivery-To
 * hold address lists:
 *
 *	a@b, c@d (Somebody), A Person <e@f>, group: g@h, i@j;, k
 *
 * addr822_list walks such a field body and hands every address to a
 * callback in envelope form: the local part unquoted ("a b"@c gives
 * a b@c), comments and display names dropped, source routes stripped
 * (<@r1,@r2:u@h> gives u@h), no angle brackets.  An address without a
 * host is given as the bare local part (no '@').  The callback may change
 * the address (qmail-inject adds hosts that way); when the caller asks for
 * output, the field body is re-emitted with the changed addresses, the
 * local parts quoted again where needed (quote.h), display names and
 * comments kept, addresses separated by ", " and long lists folded.
 * The output parses back to the same addresses (parse(format(parse(x)))
 * == parse(x)): a domain that would not read back as itself is written
 * as a quoted string (a@"x y"), an empty address as <>.
 *
 * The parser is lenient as qmail's is: an unterminated quoted string,
 * comment or domain literal ends at the end of the field; a stray '>' is
 * ignored; two words that can only be two addresses ("djb fred") become
 * two addresses.  NUL, CR and other control bytes are treated as white
 * space, so no address handed out ever holds NUL, CR or LF.  8-bit bytes
 * are ordinary word characters.  Comment nesting is counted, never
 * recursed, so any depth is fine.
 *
 * Memory is bounded: the parser holds one address at a time (at most
 * ADDR822_ADDRESS_MAX bytes of it, E2BIG past that); the output grows
 * within the limit of the caller's struct bytes.
 */
#ifndef ADDR822_H
#define ADDR822_H

#include <stddef.h>

#include "bytes.h"

/* Most bytes of one address, as given to or returned by the callback, and
 * of the text (display name, comments) that surrounds one address. */
#define ADDR822_ADDRESS_MAX ((size_t)64 * 1024)

/* Column past which addr822_list's output starts a new folded line. */
#define ADDR822_FOLD_COLUMN 76

/*
 * The callback: addr holds one address in envelope form (never NUL, CR or
 * LF inside; its limit is ADDR822_ADDRESS_MAX).  It may replace the
 * contents (e.g. with addr822_rewrite_host).  Return 0 to go on, or -1
 * with errno set to stop addr822_list, which then returns -1 with that
 * errno.  An empty address (<>) is handed out as an empty string.
 */
typedef int (*addr822_visit_fn)(void *ctx, struct bytes *addr);

/*
 * addr822_list - parse field[0..len) (a field body, after the colon; may
 * contain folded line breaks) as an address list.  visit (if not NULL) is
 * called for each address in order.  If out is not NULL, the re-formatted
 * body is APPENDED to out (no leading space, no trailing newline; lines
 * after the first start with two spaces, and column counting starts at
 * column, normally the length of "Name: ").  Returns the number of
 * addresses (>= 0), or -1 with errno: E2BIG for an address or its
 * surrounding text over ADDR822_ADDRESS_MAX or output past out's limit,
 * ERANGE, ENOMEM, or the callback's errno.  On failure out may hold a
 * partial result.
 */
long addr822_list(const char *field, size_t len, addr822_visit_fn visit,
    void *ctx, struct bytes *out, size_t column);

/* Host names qmail-inject adds; see addr822_rewrite_host. */
struct addr822_hosts {
	const char *defaulthost;   /* added to an address with no '@' */
	const char *defaultdomain; /* added to a host without dots */
	const char *plusdomain;	   /* replaces a trailing '+' */
};

/*
 * addr822_rewrite_host - qmail-inject's rules (qmail-header(5)) applied to
 * one envelope-form address in addr:
 *	box          -> box@defaulthost (then the rules below apply to it)
 *	box@host+    -> box@host.plusdomain  (the '+' removed)
 *	box@host     -> box@host.defaultdomain  (host without a dot)
 *	box@[1.2.3.4] and box@a.b are left alone.
 * The empty address (<>) is left alone.  Returns 0, or -1 with errno
 * (E2BIG past addr's limit, ERANGE, ENOMEM); addr is unchanged then.
 */
int addr822_rewrite_host(struct bytes *addr, const struct addr822_hosts *h);

/*
 * addr822_fix_host - the host rules alone on a host name: host+ ->
 * host.plusdomain; a host without a dot -> host.defaultdomain; anything
 * else unchanged.  Used for defaulthost and QMAILHOST.  0 or -1 as above.
 */
int addr822_fix_host(struct bytes *host, const struct addr822_hosts *h);

#endif
