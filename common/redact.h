/* redact.h - what of a program's argv may be written to a trace: the value
 * of an argument that names a secret (--password=..., --token ..., a
 * user:password@ or a query string in a URL) is replaced, by the rules the
 * HTTP tracker applies to request targets. Shared by the preload (its
 * header record, async-signal-safe: no allocation) and the probe. */
#ifndef CONNLEAK_REDACT_H
#define CONNLEAK_REDACT_H

#include <stdbool.h>
#include <stddef.h>

#define REDACTED "[redacted]"

/* Whether arg is an option whose value is a secret and comes as the next
 * argument ("--password", "-token"; not "--password=x"). */
bool redact_flag_takes_secret(const char *arg);

/* arg as it may be written into out (cap bytes, NUL-terminated): whole
 * when it holds no secret; "--password=[redacted]"; a URL without its
 * userinfo and query ("https://host/path?[redacted]"); REDACTED when
 * `secret` (it follows a redact_flag_takes_secret() option). */
void redact_arg(const char *arg, bool secret, char *out, size_t cap);

#endif
