/*
 * logsafe.h - bytes from outside made safe for one log line.
 *
 * qmail-send's log lines (qmail-log(5)) carry addresses and remote
 * servers' texts; log analysers split those lines on spaces and newlines.
 * qmail's rule, kept here: a newline becomes '/', and every byte that is
 * not printable ASCII, a space, or '%' becomes '_'.
 */
#ifndef LOGSAFE_H
#define LOGSAFE_H

#include <stddef.h>

#include "bytes.h"

/* logsafe_append - append s[0..n) to out with qmail's rule: 0 or -1 */
int logsafe_append(struct bytes *out, const char *s, size_t n);

#endif
