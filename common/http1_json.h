/* http1_json.h - the "http" object of `close` and `live` records (JSON, or
 * binary for the preload's close: tracebin.h), from an
 * HTTP/1 tracker's state (docs/trace-format.md): one writer for both
 * recorders. Async-signal-safe, like jsonline.h. */
#ifndef CONNLEAK_HTTP1_JSON_H
#define CONNLEAK_HTTP1_JSON_H

#include <stdbool.h>

#include "http1.h"
#include "jsonline.h"
#include "tracebin.h"

/* Writes {"reqs":..,...,"host":".."[,"lost":true][,"tunnel":true] and
 * leaves the object open for the caller's own fields and its closing '}'.
 * body_open: the probe knows from Go's net/http that the response's body
 * was never given back (phase "body", "read" 0, whatever the wire says). */
void http1_json_open(struct jb *b, const struct http1 *h, bool body_open);

/* The same fields, binary, into an object the caller opened (tb_obj). */
void http1_tb_fields(struct tb *b, const struct http1 *h);

#endif
