/*
 * quote.h - quote the local part of an address for a message header.
 *
 * RFC 5322 lets a local part stand bare only when it is a dot-atom: atext
 * characters (letters, digits and !#$%&'*+-/=?^_`{|}~) in runs separated
 * by single dots, with no dot first or last.  Anything else must be a
 * quoted-string: wrapped in double quotes, with '"' and '\' preceded by a
 * backslash.  qmail-inject and qmail-send write envelope addresses into
 * Return-Path, Delivered-To and bounce headers this way.
 *
 * The bytes CR, LF and NUL cannot be made safe by quoting (a bare line
 * break would end the header line and let the address forge headers), so
 * an address holding one is refused with EINVAL.
 *
 * On failure out is left exactly as it was.
 */
#ifndef QUOTE_H
#define QUOTE_H

#include <stddef.h>

#include "bytes.h"

/*
 * quote_local - append local[0..len) to out, bare if it is a dot-atom,
 * otherwise as a quoted-string ("" for an empty local part).  Returns 0,
 * or -1 with errno EINVAL (CR, LF or NUL in local) or from bytes_append
 * (E2BIG, ERANGE, ENOMEM).
 */
int quote_local(struct bytes *out, const char *local, size_t len);

/*
 * quote_address - append addr[0..len) to out with its local part (all
 * before the last '@', or the whole address if it has none) quoted as by
 * quote_local, and the '@' and domain after it unchanged.  An empty
 * address (the null sender) becomes "" - callers that want <> must say so
 * themselves.  Returns 0 or -1 as quote_local, with EINVAL also for CR,
 * LF or NUL in the domain.
 */
int quote_address(struct bytes *out, const char *addr, size_t len);

#endif
